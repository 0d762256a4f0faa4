//! `cargo xtask check`: the staging check (`www/check.html`) headless, with the real wasm.
//!
//! ```text
//! cargo xtask check [--url URL] [--token-env VAR] [--message TEXT] [--runs N]
//!                   [--json FILE] [--junit FILE] [--scenario NAME] [--dialect D]
//!                   [--otlp URL]
//! ```
//!
//! It starts the reference server (always: it serves check.html and pkg/ to the browser),
//! builds pkg/ if it is missing, and runs `tests/pages/check-runner.mjs` (playwright-core +
//! Debian's Chromium), which opens check.html and calls `window.runCheck(settings)`. The
//! token goes from the environment variable named by `--token-env` to the runner's
//! environment and into the page through `runCheck`; it never appears on a command line, in
//! a URL or in the report. Without `--url` the check targets the reference server's
//! `/ws?dialect=D&scenario=NAME` with short deadlines ([`Deadlines::reference`]) so every
//! fault fails within a few seconds; with `--url` it uses production-like deadlines
//! ([`Deadlines::staging`]).
//!
//! Prints a one-screen summary and exits 0 on PASS, 1 on FAIL, 2 on a setup or usage error.
//! [`matrix`] and [`page_tests`] are steps of `cargo xtask test`. The deadlines come from
//! `www/deadlines.json` ([`deadlines`]), the scenarios from the reference server's crate.

mod deadlines;
mod matrix;
mod otlp;
mod report;

pub use matrix::{matrix, page_tests};

use crate::build;
use crate::server::Server;
use crate::setup;
use crate::util::{self, fail, Res};
use crate::Opts;
use deadlines::Deadlines;
use report::{junit, junit_error, parse, summary, Json};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const DEFAULT_MESSAGE: &str = "What did we spend on compute last month?";
/// The token offered to the reference server when no `--token-env` is given (it accepts any).
const REFERENCE_TOKEN_ENV: &str = "CHAT_SENTINEL_CHECK_TOKEN";
pub(super) const REFERENCE_TOKEN: &str = "reference-check-token";

pub const USAGE: &str = "  check [--url URL] [--token-env VAR] [--message TEXT] [--runs N] [--json FILE]
        [--junit FILE] [--scenario NAME] [--dialect D] [--otlp URL]
                      the staging check (www/check.html) in headless Chromium; without
                      --url against the reference server (scenario clean, short deadlines);
                      the token comes from env VAR; exit 0 PASS, 1 FAIL, 2 setup/usage error
";

/// What `cargo xtask check` was asked to do.
#[derive(Debug, Clone)]
pub struct Args {
    pub url: Option<String>,
    pub token_env: Option<String>,
    pub message: String,
    pub runs: u32,
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub scenario: String,
    pub dialect: Option<String>,
    /// An OTLP/HTTP endpoint (a Collector's base URL) for the verdict and the latencies.
    pub otlp: Option<String>,
}

impl Args {
    fn parse(opts: &mut Opts) -> Res<Args> {
        let url: Option<String> = opts.value("--url")?;
        let token_env: Option<String> = opts.value("--token-env")?;
        let message: Option<String> = opts.value("--message")?;
        let runs: Option<u32> = opts.value("--runs")?;
        let json: Option<PathBuf> = opts.value("--json")?;
        let junit: Option<PathBuf> = opts.value("--junit")?;
        let scenario: Option<String> = opts.value("--scenario")?;
        let dialect: Option<String> = opts.value("--dialect")?;
        let otlp: Option<String> = opts.value("--otlp")?;
        if let Some(endpoint) = &otlp {
            let lower = endpoint.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(fail!(
                    "--otlp must be an http:// or https:// URL (an OTLP/HTTP receiver, got `{endpoint}`)"
                ));
            }
        }
        if let Some(a) = opts.args.iter().find(|a| a.starts_with("--token")) {
            return Err(fail!(
                "unknown option `{a}`: the token is read from an environment variable (--token-env VAR)"
            ));
        }
        opts.done()?;
        let runs = runs.unwrap_or(1);
        if !(1..=100).contains(&runs) {
            return Err(fail!("--runs must be from 1 to 100"));
        }
        let message = message.unwrap_or_else(|| DEFAULT_MESSAGE.to_string());
        if message.trim().is_empty() {
            return Err(fail!("--message must not be empty"));
        }
        if let Some(url) = &url {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("ws://") || lower.starts_with("wss://")) {
                return Err(fail!("--url must be a ws:// or wss:// URL (got `{url}`)"));
            }
            if scenario.is_some() {
                return Err(fail!("--scenario picks a fault of the reference server; it cannot be used with --url"));
            }
            if token_env.is_none() {
                return Err(fail!(
                    "--url needs --token-env VAR (the name of an environment variable holding the token)"
                ));
            }
        }
        let scenario = scenario.unwrap_or_else(|| "clean".to_string());
        if !chat_sentinel_server::scenario_names().any(|s| s == scenario) {
            let names: Vec<&str> = chat_sentinel_server::scenario_names().collect();
            return Err(fail!("unknown scenario `{scenario}` (one of: {})", names.join(", ")));
        }
        if let Some(d) = &dialect {
            let allowed: &[&str] =
                if url.is_some() { &["auto", "netra", "sequenced"] } else { &["netra", "sequenced"] };
            if !allowed.contains(&d.as_str()) {
                return Err(fail!("--dialect must be one of {}", allowed.join(", ")));
            }
        }
        if let Some(var) = &token_env {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => {}
                _ => return Err(fail!("--token-env {var}: the environment variable {var} is unset or empty")),
            }
        }
        Ok(Args { url, token_env, message, runs, json, junit, scenario, dialect, otlp })
    }

    /// The deadlines for this check's target.
    fn deadlines(&self) -> Deadlines {
        if self.url.is_some() {
            Deadlines::staging()
        } else {
            Deadlines::reference()
        }
    }

    /// A file-name-safe label for this check's artifacts.
    fn label(&self) -> String {
        match &self.url {
            Some(_) => "url".to_string(),
            None => format!("{}-{}", self.dialect.as_deref().unwrap_or("netra"), self.scenario),
        }
    }
}

/// The result of one headless check.
pub struct Outcome {
    /// 0 PASS, 1 FAIL, 2 setup error.
    pub code: i32,
    pub json_text: String,
    pub report: Json,
    pub screenshot: PathBuf,
}

pub fn run(opts: &mut Opts) -> Res<()> {
    let code = match Args::parse(opts) {
        Err(e) => {
            eprintln!("xtask check: {e}\n\nusage: cargo xtask\n{USAGE}");
            2
        }
        Ok(args) => main(&args),
    };
    std::process::exit(code)
}

/// Everything but the exit: returns the exit code (every child is stopped by then).
fn main(args: &Args) -> i32 {
    if let Err(e) = prepare() {
        eprintln!("xtask check: setup error: {e}");
        return 2;
    }
    let server = match Server::start(0) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xtask check: setup error: cannot start the reference server: {e}");
            return 2;
        }
    };
    let outcome = check(args, &server);
    drop(server);
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask check: setup error: {e}");
            if let Some(junit) = &args.junit {
                let _ = std::fs::write(junit, junit_error(&e.0));
            }
            return 2;
        }
    };
    println!("{}", summary(&outcome.report, Some(&outcome.screenshot)));
    if let Some(path) = &args.json {
        if let Err(e) = write_file(path, &outcome.json_text) {
            eprintln!("xtask check: cannot write {}: {e}", path.display());
            return 2;
        }
        println!("JSON report: {}", path.display());
    }
    if let Some(path) = &args.junit {
        if let Err(e) = write_file(path, &junit(&outcome.report)) {
            eprintln!("xtask check: cannot write {}: {e}", path.display());
            return 2;
        }
        println!("JUnit report: {}", path.display());
    }
    if let Some(endpoint) = &args.otlp {
        let version = util::toml_value(
            &std::fs::read_to_string(util::root().join("Cargo.toml")).unwrap_or_default(),
            "package",
            "version",
        )
        .unwrap_or_default();
        let context =
            otlp::Context { version: &version, scenario: args.url.is_none().then_some(args.scenario.as_str()) };
        if let Err(e) = otlp::export(endpoint, &outcome.report, &context) {
            eprintln!("xtask check: {e}");
            return 2;
        }
    }
    outcome.code
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// The tools and pkg/ the check needs, installed or built only when missing.
fn prepare() -> Res<()> {
    if !util::node_modules().join("playwright-core").is_dir() {
        setup::wasm()?;
    }
    if setup::browser_path().is_none() && !Path::new("/usr/bin/chromium").exists() {
        setup::browser()?;
    }
    let pkg = util::root().join("pkg");
    let js = pkg.join(format!("{}.js", build::OUT_NAME));
    let wasm = pkg.join(format!("{}_bg.wasm", build::OUT_NAME));
    if !(js.is_file() && wasm.is_file()) {
        println!("check: pkg/ is missing; building it");
        build::run(false)?;
    }
    if util::which("node").is_none() {
        return Err(fail!("node is not on PATH"));
    }
    Ok(())
}

/// The settings JSON handed to `window.runCheck` (no token).
fn settings_json(args: &Args, server: &Server) -> String {
    let (url, dialect) = match &args.url {
        Some(url) => (url.clone(), args.dialect.clone().unwrap_or_else(|| "auto".into())),
        None => (
            format!(
                "ws://{}/ws?dialect={}&scenario={}&seed=0{}",
                server.addr,
                args.dialect.as_deref().unwrap_or("netra"),
                args.scenario,
                match args.scenario.as_str() {
                    "skip" => "&event=agent_thinking",
                    "flood" => "&count=2000",
                    _ => "",
                }
            ),
            "auto".to_string(),
        ),
    };
    let mut settings = json!({ "url": url, "dialect": dialect, "message": args.message, "runs": args.runs });
    if let Some(object) = settings.as_object_mut() {
        object.extend(args.deadlines().settings().clone());
    }
    settings.to_string()
}

/// Runs the check page once against `server` (or `args.url`), and reads its report.
pub fn check(args: &Args, server: &Server) -> Res<Outcome> {
    let dir = util::target_dir().join("check");
    std::fs::create_dir_all(&dir)?;
    let label = args.label();
    let out = dir.join(format!("{label}-{}.json", std::process::id()));
    let screenshot = dir.join(format!("{label}.png"));
    let _ = std::fs::remove_file(&out);
    let deadlines = args.deadlines();
    let per_run =
        deadlines.ms("handshakeTimeoutMs") + deadlines.ms("completionTimeoutMs") + deadlines.ms("settleMs") + 3000;
    let timeout = Duration::from_millis(per_run * u64::from(args.runs) + 60_000);

    let mut c = util::cmd("node");
    c.arg(util::root().join("tests").join("pages").join("check-runner.mjs"))
        .arg("--page")
        .arg(format!("{}check.html", server.url()))
        .arg("--out")
        .arg(&out)
        .arg("--screenshot")
        .arg(&screenshot)
        .env("NODE_PATH", util::node_modules())
        .env("CHECK_SETTINGS", settings_json(args, server))
        .stdin(Stdio::null());
    match &args.token_env {
        Some(var) => {
            c.env("CHECK_TOKEN_ENV", var);
        }
        None => {
            c.env("CHECK_TOKEN_ENV", REFERENCE_TOKEN_ENV).env(REFERENCE_TOKEN_ENV, REFERENCE_TOKEN);
        }
    }
    let target = match &args.url {
        Some(u) => u.clone(),
        None => format!("reference server, scenario {}", args.scenario),
    };
    println!("check: {target} ({} run(s)) in headless Chromium…", args.runs);
    let started = Instant::now();
    let mut child = c.spawn().map_err(|e| fail!("cannot start node: {e}"))?;
    let (status, timed_out) = util::wait_with_timeout(&mut child, timeout);
    if timed_out {
        return Err(fail!("the check page did not finish within {}s", timeout.as_secs()));
    }
    let code = status.and_then(|s| s.code()).unwrap_or(2);
    let json_text = std::fs::read_to_string(&out).map_err(|_| {
        fail!(
            "the check runner wrote no report (exit {code} after {:.1}s; see its messages above)",
            started.elapsed().as_secs_f64()
        )
    })?;
    let _ = std::fs::remove_file(&out);
    let report = parse(&json_text).map_err(|e| fail!("the check report is not JSON: {e}"))?;
    let verdict = report.get("verdict").and_then(Json::as_str).unwrap_or("ERROR");
    let code = match (verdict, code) {
        ("PASS", 0) => 0,
        ("FAIL", 1) => 1,
        _ => 2,
    };
    Ok(Outcome { code, json_text, report, screenshot })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_hold_a_token() {
        let args = Args {
            url: None,
            token_env: None,
            message: "hi".into(),
            runs: 2,
            json: None,
            junit: None,
            scenario: "drop".into(),
            dialect: None,
            otlp: None,
        };
        assert_eq!(args.label(), "netra-drop");
        assert!(chat_sentinel_server::scenario_names().any(|s| s == "half_open"));
        assert!(!REFERENCE_TOKEN.is_empty());
    }
}
