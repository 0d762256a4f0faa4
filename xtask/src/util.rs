//! Shared helpers: workspace paths, child processes with the tools on PATH, timeouts.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// An error with a message meant for the person running the task.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

pub type Res<T> = Result<T, Error>;

/// Builds an [`Error`] from `format!` arguments.
macro_rules! fail {
    ($($arg:tt)*) => { $crate::util::Error(format!($($arg)*)) };
}
pub(crate) use fail;

/// The workspace root (the parent of the xtask package), whatever the current directory.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|p| p.join("Cargo.toml").is_file() && p.ends_with("xtask"))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or(manifest_dir)
}

/// Cargo's target directory (`CARGO_TARGET_DIR` if set, else `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        }
        _ => root().join("target"),
    }
}

/// Where `setup` installs the project's own tools: `<root>/target/tools`.
pub fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

pub fn tools_bin() -> PathBuf {
    tools_dir().join("bin")
}

/// The `node_modules` folder that holds playwright-core, binaryen and terser.
pub fn node_modules() -> PathBuf {
    tools_dir().join("node").join("node_modules")
}

/// PATH with `target/tools/bin` in front.
pub fn path_env() -> OsString {
    let mut paths = vec![tools_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_else(|_| std::env::var_os("PATH").unwrap_or_default())
}

/// A command run in the workspace root with the tools on PATH.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", path_env());
    c
}

/// `cargo` (the one that runs us, if known).
pub fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Finds an executable on PATH (with `target/tools/bin` first).
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&path_env()).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// A printable rendering of a command line.
pub fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for arg in c.get_args() {
        let arg = arg.to_string_lossy();
        s.push(' ');
        if arg.contains(' ') || arg.is_empty() {
            s.push('\'');
            s.push_str(&arg);
            s.push('\'');
        } else {
            s.push_str(&arg);
        }
    }
    s
}

/// Runs a command with inherited stdio; an error if it can't start or exits non-zero.
pub fn run(c: &mut Command) -> Res<()> {
    println!("$ {}", show(c));
    let status = c.status().map_err(|e| fail!("cannot run `{}`: {e}", show(c)))?;
    if status.success() {
        Ok(())
    } else {
        Err(fail!("`{}` failed ({status})", show(c)))
    }
}

/// The trimmed stdout of a command that succeeded, or `None`.
pub fn output_of(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    if out.status.success() {
        Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        None
    }
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            return line.split_whitespace().nth(1) == Some("0");
        }
    }
    output_of(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// Test counts scraped from a runner's output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// Reads test counts from one output line: libtest's (and wasm-bindgen-test-runner's)
/// `test result: ok. 3 passed; 0 failed; ...`, or a plain `N passed, N failed` line.
pub fn parse_counts(line: &str) -> Option<Counts> {
    let line = line.trim();
    let rest = if let Some(pos) = line.find("test result:") {
        line.get(pos + "test result:".len()..)?
    } else if line.split_whitespace().next().is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit())) {
        line
    } else {
        return None;
    };
    let words: Vec<&str> =
        rest.split(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == '.').filter(|w| !w.is_empty()).collect();
    let count_before = |label: &str| -> Option<u64> {
        let i = words.iter().position(|w| *w == label)?;
        words.get(i.checked_sub(1)?)?.parse().ok()
    };
    Some(Counts { passed: count_before("passed")?, failed: count_before("failed")? })
}

/// The outcome of [`run_step`].
pub struct StepRun {
    pub ok: bool,
    pub counts: Counts,
    pub note: String,
}

/// Runs a command (stdout forwarded line by line and scanned for test counts, stderr
/// inherited), killing it and all its descendants if it runs longer than `timeout`.
pub fn run_step(c: &mut Command, timeout: Duration) -> StepRun {
    println!("$ {}", show(c));
    let mut child = match c.stdout(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return StepRun { ok: false, counts: Counts::default(), note: format!("cannot start: {e}") },
    };
    let (tx, rx) = mpsc::channel::<Counts>();
    let reader = child.stdout.take().map(|stdout| {
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("{line}");
                if let Some(counts) = parse_counts(&line) {
                    let _ = tx.send(counts);
                }
            }
        })
    });
    let (status, timed_out) = wait_with_timeout(&mut child, timeout);
    // Drain the output; don't wait forever on an orphan that still holds the pipe open.
    let mut counts = Counts::default();
    let drain_deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = drain_deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(c) => counts.add(c),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Some(reader) = reader {
                    let _ = reader.join();
                }
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                eprintln!("xtask: output of `{}` still open after it exited; not waiting", show(c));
                break;
            }
        }
    }
    let ok = !timed_out && status.is_some_and(|s| s.success());
    let note = if timed_out {
        format!("timed out after {}s", timeout.as_secs())
    } else {
        match status {
            Some(s) if s.success() => String::new(),
            Some(s) => format!("{s}"),
            None => "could not wait for it".to_string(),
        }
    };
    StepRun { ok, counts, note }
}

/// Waits for a child; past `timeout` kills it with its descendants. Returns the status and
/// whether it timed out.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> (Option<ExitStatus>, bool) {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) => {}
            Err(_) => return (None, false),
        }
        if Instant::now() >= deadline {
            eprintln!("xtask: `{}` ran past {}s; killing it and its children", child.id(), timeout.as_secs());
            kill_tree(child);
            return (child.wait().ok(), true);
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Kills a child and every process descended from it (found through /proc).
pub fn kill_tree(child: &mut Child) {
    let mut pids = descendants(child.id());
    pids.reverse();
    if !pids.is_empty() {
        let mut kill = Command::new("kill");
        kill.arg("-KILL").arg("--");
        for pid in &pids {
            kill.arg(pid.to_string());
        }
        let _ = kill.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
    let _ = child.kill();
}

/// All descendants of `pid`, parents before children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat
                .rfind(')')
                .and_then(|i| stat.get(i + 1..))
                .and_then(|rest| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent_of.push((p, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == parent && !out.contains(&p) {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}

/// The string value of `key` in the table `[section]` of a TOML document.
pub fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let document: toml::Table = text.parse().ok()?;
    document.get(section)?.get(key)?.as_str().map(str::to_string)
}

/// Quotes a string for JSON.
pub fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The size of `bytes` compressed by `gzip -9`, if gzip is available.
pub fn gzip_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip").args(["-9", "-n", "-c"]).arg(path).stderr(Stdio::null()).output().ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summary() {
        let c = parse_counts(
            "test result: ok. 12 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
        );
        assert_eq!(c, Some(Counts { passed: 12, failed: 1 }));
    }

    #[test]
    fn parses_plain_summary() {
        assert_eq!(parse_counts("3 passed, 0 failed"), Some(Counts { passed: 3, failed: 0 }));
        assert_eq!(parse_counts("running 3 tests"), None);
        assert_eq!(parse_counts("ok - 3 passed things"), None);
    }

    #[test]
    fn reads_toml_values() {
        let text = "[package]\nname = \"x\"\nversion = \"1.2.3\" # c\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(toml_value(text, "package", "version").as_deref(), Some("1.2.3"));
        assert_eq!(toml_value(text, "package", "license"), None);
    }

    #[test]
    fn quotes_json() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }

    #[test]
    fn run_step_counts_and_times_out() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo 'test result: ok. 2 passed; 1 failed;'; echo '3 passed, 0 failed'"]);
        let r = run_step(&mut c, Duration::from_secs(30));
        assert!(r.ok);
        assert_eq!(r.counts, Counts { passed: 5, failed: 1 });

        // A grandchild holding stdout open must not keep us waiting past the timeout.
        let mut c = Command::new("sh");
        c.args(["-c", "sleep 60 & sleep 60; echo never"]);
        let started = Instant::now();
        let r = run_step(&mut c, Duration::from_millis(500));
        assert!(!r.ok);
        assert!(r.note.contains("timed out"));
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn root_is_the_workspace() {
        assert!(root().join("xtask").join("Cargo.toml").is_file());
    }
}
