//! `chat-sentinel-server [--port P] [--host 127.0.0.1] [--root DIR]`: prints
//! `listening on http://HOST:PORT` once bound, then serves until killed.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chat_sentinel_server::{start, Config};

const USAGE: &str = "usage: chat-sentinel-server [--port P (default 8787; 0 = any free)] \
                     [--host 127.0.0.1] [--root DIR (default .)]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config::default();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--port" => config.port = value.parse().map_err(|_| format!("bad port {value:?}"))?,
            "--host" => {
                config.host = value.parse::<IpAddr>().map_err(|_| format!("bad host {value:?} (an IP address)"))?;
            }
            "--root" => config.root = PathBuf::from(value),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let (addr, serving) = match start(config).await {
        Ok(started) => started,
        Err(err) => {
            eprintln!("chat-sentinel-server: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{addr}");
    let _ = stdout.flush();
    match serving.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chat-sentinel-server: {err}");
            ExitCode::FAILURE
        }
    }
}
