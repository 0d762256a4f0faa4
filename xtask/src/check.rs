//! `cargo xtask check`: the staging check (`www/check.html`) headless, with the real wasm.
//!
//! ```text
//! cargo xtask check [--url URL] [--token-env VAR] [--message TEXT] [--runs N]
//!                   [--json FILE] [--junit FILE] [--scenario NAME] [--dialect D]
//! ```
//!
//! It starts the reference server (always: it serves check.html and pkg/ to the browser),
//! builds pkg/ if it is missing, and runs `tests/pages/check-runner.mjs` (playwright-core +
//! Debian's Chromium), which opens check.html and calls `window.runCheck(settings)`. The
//! token goes from the environment variable named by `--token-env` to the runner's
//! environment and into the page through `runCheck`; it never appears on a command line, in
//! a URL or in the report. Without `--url` the check targets the reference server's
//! `/ws?dialect=D&scenario=NAME` with short deadlines ([`REFERENCE_DEADLINES`]) so every
//! fault fails within a few seconds; with `--url` it uses production-like deadlines
//! ([`STAGING_DEADLINES`]).
//!
//! Prints a one-screen summary and exits 0 on PASS, 1 on FAIL, 2 on a setup or usage error.
//! [`matrix`] and [`page_tests`] are steps of `cargo xtask test`.

use crate::build;
use crate::server::Server;
use crate::setup;
use crate::util::{self, fail, Counts, Res};
use crate::Opts;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The reference server's scenarios (server/README.md).
const SCENARIOS: [&str; 32] = [
    "clean",
    "drop",
    "drop_tail",
    "duplicate",
    "triple_send",
    "retry_restamped",
    "reorder",
    "stall",
    "half_open",
    "abrupt_close",
    "close_code",
    "restart",
    "resume_partial",
    "no_ack",
    "malformed",
    "error",
    "skip",
    "slow",
    "flood",
    "parallel_tools",
    "many_runs",
    "late_retry",
    "conflicting_keys",
    "huge_frame",
    "huge_names",
    "echo_token",
    "close_after_handshake",
    "silent",
    "started_thrice",
    "upgrade_500",
    "cleanup_close",
    "echo_protocol",
];

/// Deadlines (ms) for the local reference server: every fault shows within seconds.
pub const REFERENCE_DEADLINES: [(&str, u64); 8] = [
    ("handshakeTimeoutMs", 3000),
    ("ackTimeoutMs", 1500),
    ("firstEventTimeoutMs", 3000),
    ("completionTimeoutMs", 6000),
    ("runStallTimeoutMs", 2000),
    ("heartbeatIntervalMs", 500),
    ("heartbeatTimeoutMs", 1000),
    ("settleMs", 600),
];

/// Deadlines (ms) for a deployed server (`--url`).
pub const STAGING_DEADLINES: [(&str, u64); 8] = [
    ("handshakeTimeoutMs", 10000),
    ("ackTimeoutMs", 10000),
    ("firstEventTimeoutMs", 30000),
    ("completionTimeoutMs", 120000),
    ("runStallTimeoutMs", 60000),
    ("heartbeatIntervalMs", 15000),
    ("heartbeatTimeoutMs", 10000),
    ("settleMs", 1500),
];

const DEFAULT_MESSAGE: &str = "What did we spend on compute last month?";
/// The token offered to the reference server when no `--token-env` is given (it accepts any).
const REFERENCE_TOKEN_ENV: &str = "CHAT_SENTINEL_CHECK_TOKEN";
const REFERENCE_TOKEN: &str = "reference-check-token";

pub const USAGE: &str = "  check [--url URL] [--token-env VAR] [--message TEXT] [--runs N] [--json FILE]
        [--junit FILE] [--scenario NAME] [--dialect D]
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
        if !SCENARIOS.contains(&scenario.as_str()) {
            return Err(fail!("unknown scenario `{scenario}` (one of: {})", SCENARIOS.join(", ")));
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
        Ok(Args { url, token_env, message, runs, json, junit, scenario, dialect })
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
    let (url, dialect, deadlines) = match &args.url {
        Some(url) => (url.clone(), args.dialect.clone().unwrap_or_else(|| "auto".into()), &STAGING_DEADLINES),
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
            &REFERENCE_DEADLINES,
        ),
    };
    let mut s = format!(
        "{{\"url\":{},\"dialect\":{},\"message\":{},\"runs\":{}",
        util::json_str(&url),
        util::json_str(&dialect),
        util::json_str(&args.message),
        args.runs
    );
    for (k, v) in deadlines.iter() {
        let _ = write!(s, ",\"{k}\":{v}");
    }
    s.push('}');
    s
}

fn deadline(deadlines: &[(&str, u64)], key: &str) -> u64 {
    deadlines.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or(10_000)
}

/// Runs the check page once against `server` (or `args.url`), and reads its report.
pub fn check(args: &Args, server: &Server) -> Res<Outcome> {
    let dir = util::target_dir().join("check");
    std::fs::create_dir_all(&dir)?;
    let label = args.label();
    let out = dir.join(format!("{label}-{}.json", std::process::id()));
    let screenshot = dir.join(format!("{label}.png"));
    let _ = std::fs::remove_file(&out);
    let deadlines: &[(&str, u64)] = if args.url.is_some() { &STAGING_DEADLINES } else { &REFERENCE_DEADLINES };
    let per_run = deadline(deadlines, "handshakeTimeoutMs")
        + deadline(deadlines, "completionTimeoutMs")
        + deadline(deadlines, "settleMs")
        + 3000;
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

// ------------------------------------------------------------------ summary and JUnit

fn ms(v: Option<&Json>) -> String {
    match v.and_then(Json::as_f64) {
        Some(x) if x >= 10_000.0 => format!("{:.1} s", x / 1000.0),
        Some(x) => format!("{x:.0} ms"),
        None => "—".to_string(),
    }
}

/// The one-screen summary.
pub fn summary(report: &Json, screenshot: Option<&Path>) -> String {
    let mut s = String::new();
    let verdict = report.get("verdict").and_then(Json::as_str).unwrap_or("ERROR");
    let runs = report.get("runs").map(items).unwrap_or_default();
    let settings = report.get("settings");
    let url = settings.and_then(|x| x.get("url")).and_then(Json::as_str).unwrap_or("?");
    let dialect = report.get("dialect").and_then(Json::as_str).unwrap_or("?");
    let secs = report.get("durationMs").and_then(Json::as_f64).unwrap_or(0.0) / 1000.0;
    let _ =
        writeln!(s, "\n══ chat-sentinel check: {verdict} ══  {} run(s), {secs:.1} s, dialect {dialect}", runs.len());
    let _ = writeln!(s, "target: {url}");
    let reasons = report.get("reasons").map(items).unwrap_or_default();
    if !reasons.is_empty() {
        let _ = writeln!(s, "reasons:");
        for r in reasons.iter().take(8) {
            let _ = writeln!(s, "  - {}", r.as_str().unwrap_or("?"));
        }
        if reasons.len() > 8 {
            let _ = writeln!(s, "  … and {} more (see the JSON report)", reasons.len() - 8);
        }
    }
    let kinds: Vec<&str> =
        report.get("failureKinds").map(items).unwrap_or_default().iter().filter_map(|k| k.as_str()).collect();
    if !kinds.is_empty() {
        let _ = writeln!(s, "failure kinds: {}", kinds.join(", "));
    }
    if let Some(first) = runs.first() {
        let _ = writeln!(s, "steps{}:", if runs.len() > 1 { " (all runs)" } else { "" });
        for step in first.get("steps").map(items).unwrap_or_default() {
            let id = step.get("id").and_then(Json::as_str).unwrap_or("");
            let name = step.get("name").and_then(Json::as_str).unwrap_or(id);
            let per: Vec<&Json> = runs
                .iter()
                .filter_map(|r| {
                    r.get("steps")
                        .map(items)
                        .unwrap_or_default()
                        .iter()
                        .find(|x| x.get("id").and_then(Json::as_str) == Some(id))
                        .copied()
                })
                .collect();
            let ok = per.iter().filter(|p| p.get("ok").and_then(Json::as_bool) == Some(true)).count();
            let mark = if ok == per.len() { "✔" } else { "✘" };
            let lat = if runs.len() == 1 {
                ms(step.get("ms"))
            } else {
                let mut values: Vec<f64> = per.iter().filter_map(|p| p.get("ms").and_then(Json::as_f64)).collect();
                values.sort_by(f64::total_cmp);
                let p50 = values.get(values.len().div_ceil(2).saturating_sub(1)).copied().map(Json::from);
                match p50 {
                    Some(p) => format!("{ok}/{} p50 {}", per.len(), ms(Some(&p))),
                    None => format!("{ok}/{}", per.len()),
                }
            };
            let dl = step.get("deadlineMs").and_then(Json::as_f64).map(|d| format!("≤ {d:.0} ms")).unwrap_or_default();
            let detail = per
                .iter()
                .find(|p| p.get("ok").and_then(Json::as_bool) != Some(true))
                .and_then(|p| p.get("detail"))
                .and_then(Json::as_str)
                .unwrap_or("");
            let detail: String = detail.chars().take(70).collect();
            let _ = writeln!(s, "  {mark} {name:<22} {lat:>14}  {dl:<11} {detail}");
        }
    }
    if let Some(p) = report.get("percentiles") {
        let _ = writeln!(s, "latency         n      p50      p90      max");
        for (key, label) in [
            ("handshakeMs", "to handshake"),
            ("ackMs", "to ack"),
            ("firstEventMs", "to first event"),
            ("completionMs", "to completion"),
        ] {
            if let Some(x) = p.get(key) {
                let n = x.get("n").and_then(Json::as_f64).unwrap_or(0.0);
                let _ = writeln!(
                    s,
                    "  {label:<14}{n:>2} {:>8} {:>8} {:>8}",
                    ms(x.get("p50")),
                    ms(x.get("p90")),
                    ms(x.get("max"))
                );
            }
        }
    }
    if let Some(shot) = screenshot {
        if shot.is_file() {
            let _ = writeln!(s, "screenshot: {}", shot.display());
        }
    }
    s
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per step per run, and one for the verdict.
pub fn junit(report: &Json) -> String {
    let verdict = report.get("verdict").and_then(Json::as_str).unwrap_or("ERROR");
    let reasons: Vec<&str> =
        report.get("reasons").map(items).unwrap_or_default().iter().filter_map(|r| r.as_str()).collect();
    let secs = report.get("durationMs").and_then(Json::as_f64).unwrap_or(0.0) / 1000.0;
    let mut cases = String::new();
    let mut tests = 0;
    let mut failures = 0;
    for run in report.get("runs").map(items).unwrap_or_default() {
        let index = run.get("index").and_then(Json::as_f64).unwrap_or(0.0);
        for step in run.get("steps").map(items).unwrap_or_default() {
            tests += 1;
            let name = step.get("name").and_then(Json::as_str).unwrap_or("?");
            let time = step.get("ms").and_then(Json::as_f64).unwrap_or(0.0) / 1000.0;
            let _ = write!(
                cases,
                "    <testcase classname=\"chat-sentinel.check.run{index:.0}\" name=\"{}\" time=\"{time:.3}\"",
                xml(name)
            );
            if step.get("ok").and_then(Json::as_bool) == Some(true) {
                cases.push_str("/>\n");
            } else {
                failures += 1;
                let detail = step.get("detail").and_then(Json::as_str).unwrap_or("failed");
                let _ = write!(
                    cases,
                    ">\n      <failure message=\"{}\" type=\"step\">{}</failure>\n    </testcase>\n",
                    xml(detail),
                    xml(detail)
                );
            }
        }
    }
    tests += 1;
    let _ = write!(cases, "    <testcase classname=\"chat-sentinel.check\" name=\"verdict\" time=\"{secs:.3}\"");
    if verdict == "PASS" {
        cases.push_str("/>\n");
    } else {
        failures += 1;
        let _ = write!(
            cases,
            ">\n      <failure message=\"{}\" type=\"{verdict}\">{}</failure>\n    </testcase>\n",
            xml(&format!("{verdict}: {}", reasons.first().copied().unwrap_or(""))),
            xml(&reasons.join("\n"))
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"chat-sentinel check\" tests=\"{tests}\" failures=\"{failures}\" time=\"{secs:.3}\">\n  <testsuite name=\"chat-sentinel check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{secs:.3}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

fn junit_error(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"chat-sentinel check\" tests=\"1\" errors=\"1\">\n  <testsuite name=\"chat-sentinel check\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"chat-sentinel.check\" name=\"setup\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
        xml(message)
    )
}

// ------------------------------------------------------------------ cargo xtask test steps

/// The scenarios `cargo xtask test` checks, with the failure kind each must report.
pub const MATRIX: [(&str, Option<&str>); 13] = [
    ("clean", None),
    ("drop", Some("missing_event")),
    ("drop_tail", Some("run_stalled")),
    ("triple_send", Some("duplicate")),
    ("retry_restamped", Some("duplicate")),
    ("stall", Some("run_stalled")),
    ("half_open", Some("heartbeat_timeout")),
    // The Netra backend as deployed never acks: its first event stands for the ack.
    ("no_ack", None),
    ("silent", Some("no_response")),
    ("echo_protocol", Some("credential_echoed")),
    ("upgrade_500", Some("connect_failed")),
    ("started_thrice", Some("duplicate")),
    ("cleanup_close", Some("connection_lost")),
];

/// `cargo xtask check --scenario S` for every scenario of [`MATRIX`], through this very
/// binary (so arguments, exit codes and the JSON file are what a person gets).
pub fn matrix() -> (Counts, Res<()>) {
    let mut counts = Counts::default();
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return (counts, Err(fail!("cannot find the xtask binary: {e}"))),
    };
    let dir = util::target_dir().join("check");
    let mut failed = Vec::new();
    for (scenario, expected) in MATRIX {
        let json = dir.join(format!("matrix-{scenario}.json"));
        let junit_path = dir.join(format!("matrix-{scenario}.xml"));
        let _ = std::fs::remove_file(&json);
        let mut c = util::cmd(&exe);
        c.args(["check", "--scenario", scenario, "--json"]).arg(&json).arg("--junit").arg(&junit_path);
        println!("$ {}", util::show(&c));
        let started = Instant::now();
        let status = c
            .stdin(Stdio::null())
            .spawn()
            .map(|mut child| util::wait_with_timeout(&mut child, Duration::from_secs(180)));
        let code = match status {
            Ok((Some(s), false)) => s.code().unwrap_or(-1),
            Ok((_, true)) => -2,
            _ => -1,
        };
        let report = std::fs::read_to_string(&json).ok().and_then(|t| parse(&t).ok());
        let kinds: Vec<String> = report
            .as_ref()
            .and_then(|r| r.get("failureKinds"))
            .map(items)
            .unwrap_or_default()
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        let junit_ok =
            std::fs::read_to_string(&junit_path).is_ok_and(|t| t.starts_with("<?xml") && t.contains("<testsuite "));
        let problem = match expected {
            None if code != 0 => Some(format!("expected PASS (exit 0), got exit {code}")),
            Some(_) if code != 1 => Some(format!("expected FAIL (exit 1), got exit {code}")),
            Some(kind) if !kinds.iter().any(|k| k == kind) => {
                Some(format!("expected the reason {kind}, got [{}]", kinds.join(", ")))
            }
            _ if report.is_none() => Some("no JSON report written".to_string()),
            _ if !junit_ok => Some("no JUnit report written".to_string()),
            _ => None,
        };
        let secs = started.elapsed().as_secs_f64();
        match problem {
            None => {
                counts.passed += 1;
                println!(
                    "ok - check {scenario}: {} ({secs:.1}s){}",
                    if expected.is_some() { "FAIL as expected" } else { "PASS" },
                    expected.map(|k| format!(", reason {k}")).unwrap_or_default()
                );
            }
            Some(p) => {
                counts.failed += 1;
                println!("FAIL - check {scenario}: {p} ({secs:.1}s)");
                failed.push(scenario);
            }
        }
    }
    println!("check matrix: {} passed, {} failed", counts.passed, counts.failed);
    let result = if failed.is_empty() { Ok(()) } else { Err(fail!("check matrix failed for: {}", failed.join(", "))) };
    (counts, result)
}

/// `node tests/pages/run.mjs --base URL`: the page tests of check.html and index.html.
pub fn page_tests(server: &Server) -> (Counts, Res<()>) {
    let mut c = util::cmd("node");
    c.arg(util::root().join("tests").join("pages").join("run.mjs"))
        .arg("--base")
        .arg(server.url())
        .env("NODE_PATH", util::node_modules());
    let run = util::run_step(&mut c, Duration::from_secs(300));
    let result = if run.ok { Ok(()) } else { Err(fail!("node tests/pages/run.mjs failed: {}", run.note)) };
    (run.counts, result)
}

/// A JSON value of the check report (serde_json's).
pub type Json = serde_json::Value;

/// The items of a JSON array (none for anything else).
pub fn items(value: &Json) -> Vec<&Json> {
    value.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// Parses the check report.
pub fn parse(text: &str) -> Result<Json, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Json {
        parse(
            r#"{"verdict":"FAIL","reasons":["duplicate: agent_started again <x>"],"failureKinds":["duplicate"],
               "durationMs":1700,"dialect":"netra","settings":{"url":"ws://h/ws"},
               "runs":[{"index":1,"steps":[{"id":"handshake","name":"Handshake (connect)","ok":true,"ms":12,"deadlineMs":3000,"detail":""},
                                           {"id":"no_failures","name":"No failure reports","ok":false,"ms":null,"deadlineMs":null,"detail":"duplicate"}]}],
               "percentiles":{"handshakeMs":{"n":1,"p50":12,"p90":12,"max":12}}}"#,
        )
        .unwrap_or(Json::Null)
    }

    #[test]
    fn writes_junit_and_summary() {
        let r = sample();
        let x = junit(&r);
        assert!(x.contains("tests=\"3\" failures=\"2\""), "{x}");
        assert!(x.contains("&lt;x&gt;"));
        let s = summary(&r, None);
        assert!(s.contains("chat-sentinel check: FAIL"));
        assert!(s.contains("duplicate"));
        assert!(s.contains("12 ms"));
    }

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
        };
        assert_eq!(args.label(), "netra-drop");
        assert!(SCENARIOS.contains(&"half_open"));
        assert!(!REFERENCE_TOKEN.is_empty());
    }
}
