//! Starts and stops the reference chat server (package `chat-sentinel-server`).
//!
//! The server binary is built with cargo and then spawned directly (not through `cargo run`),
//! so that killing the child really stops the server. It prints one line
//! `listening on http://127.0.0.1:PORT`; every other line it prints is forwarded with a
//! `[server]` prefix. Dropping a [`Server`] kills it.

use crate::util::{self, fail, Res};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub const PACKAGE: &str = "chat-sentinel-server";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub port: u16,
}

impl Server {
    /// Builds the server (release) and starts it on `port` (0: a free one), serving the
    /// workspace root. Waits for its `listening on` line.
    pub fn start(port: u16) -> Res<Server> {
        util::run(util::cargo().args(["build", "-p", PACKAGE, "--release", "--bin", PACKAGE]))?;
        let bin = util::target_dir().join("release").join(PACKAGE);
        let mut cmd = util::cmd(&bin);
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--root")
            .arg(util::root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        println!("$ {}", util::show(&cmd));
        let mut child = cmd.spawn().map_err(|e| fail!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take();
        // From here on `server` owns the child: any early return kills it.
        let mut server = Server { child, addr: String::new(), port: 0 };
        let stdout = stdout.ok_or_else(|| fail!("no stdout from the server"))?;
        let (tx, rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match parse_listening(&line) {
                    Some(addr) if tx.is_some() => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(addr);
                        }
                    }
                    _ => println!("[server] {line}"),
                }
            }
        });
        let addr = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                return Err(match status {
                    Some(s) => fail!("the server exited ({s}) before printing `listening on`"),
                    None => fail!(
                        "the server printed no `listening on http://127.0.0.1:PORT` line within {}s",
                        STARTUP_TIMEOUT.as_secs()
                    ),
                });
            }
        };
        server.port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| fail!("no port in the server's address {addr}"))?;
        server.addr = addr;
        println!("server: listening on http://{}/", server.addr);
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Blocks until the server exits by itself (or is interrupted with Ctrl-C).
    pub fn wait(mut self) -> Res<()> {
        let status = self.child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(fail!("the server exited: {status}"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            println!("server: stopping (pid {})", self.child.id());
            util::kill_tree(&mut self.child);
        }
        let _ = self.child.wait();
    }
}

/// `listening on http://127.0.0.1:PORT[/]` → `127.0.0.1:PORT`.
fn parse_listening(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("listening on ")?;
    let addr = rest.strip_prefix("http://").unwrap_or(rest);
    let addr = addr.trim_end_matches('/');
    (!addr.is_empty() && addr.contains(':')).then(|| addr.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listening_line() {
        assert_eq!(parse_listening("listening on http://127.0.0.1:41234").as_deref(), Some("127.0.0.1:41234"));
        assert_eq!(parse_listening("listening on http://127.0.0.1:8080/\n").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(parse_listening("GET /ws 101"), None);
    }
}
