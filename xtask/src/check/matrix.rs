//! The check's steps of `cargo xtask test`: the scenario matrix and the pages' own tests.

use super::report::{items, parse, Json};
use crate::server::Server;
use crate::util::{self, fail, Counts, Res};
use std::process::Stdio;
use std::time::{Duration, Instant};

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

/// `cargo xtask check --scenario S --otlp <server>` for every scenario of [`MATRIX`], through
/// this very binary (so arguments, exit codes and the JSON file are what a person gets); the
/// verdict must reach `server`'s OTLP receiver, decoded, with the scenario's verdict.
pub fn matrix(server: &Server) -> (Counts, Res<()>) {
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
        c.args(["check", "--scenario", scenario, "--json"])
            .arg(&json)
            .arg("--junit")
            .arg(&junit_path)
            .arg("--otlp")
            .arg(otlp_endpoint(server, scenario));
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
            _ => exported(server, scenario, if expected.is_some() { "FAIL" } else { "PASS" }, report.as_ref()).err(),
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

/// The scenario whose check exports through the receiver's `/flaky/` path, which answers each
/// new body 503 once: its verdict must still arrive exactly once.
const FLAKY_EXPORT: &str = "clean";

/// Where `scenario`'s check exports: the reference server's OTLP receiver.
fn otlp_endpoint(server: &Server, scenario: &str) -> String {
    if scenario == FLAKY_EXPORT {
        format!("{}flaky", server.url())
    } else {
        server.url()
    }
}

/// Whether `server`'s OTLP receiver holds exactly one verdict record of `scenario`'s check,
/// saying `verdict`, and step latencies for it if its `report` timed any step; no export
/// names the reference token.
fn exported(server: &Server, scenario: &str, verdict: &str, report: Option<&Json>) -> Result<(), String> {
    let url = format!("{}debug/otlp", server.url());
    let text = ureq::get(&url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("GET {url}: {e}"))?;
    let exports = parse(&text)?;
    let exports = items(&exports);
    let has = |record: &Json, key: &str, value: &str| {
        items(&record["attributes"])
            .iter()
            .any(|a| a["key"] == key && a.pointer("/value/stringValue") == Some(&Json::from(value)))
    };
    let of_scenario = |e: &Json| {
        let raw = e["raw"].as_str().unwrap_or("");
        raw.contains(&format!("\"{scenario}\"")) && raw.contains("chat_sentinel.check.scenario")
    };
    let logs: Vec<&Json> = exports.iter().copied().filter(|e| e["signal"] == "logs" && of_scenario(e)).collect();
    let records: Vec<&Json> = logs
        .iter()
        .flat_map(|e| e.pointer("/decoded/resourceLogs").map(items).unwrap_or_default())
        .flat_map(|r| items(&r["scopeLogs"]))
        .flat_map(|s| items(&s["logRecords"]))
        .filter(|r| has(r, "chat_sentinel.check.scenario", scenario))
        .collect();
    match records.as_slice() {
        [record] if has(record, "chat_sentinel.check.verdict", verdict) => {}
        [record] => return Err(format!("the exported verdict is not {verdict}: {record}")),
        other => return Err(format!("{} exported verdict records for {scenario}, not one", other.len())),
    }
    let timed = report.is_some_and(|r| {
        items(&r["runs"]).iter().flat_map(|run| items(&run["steps"])).any(|step| step["ms"].is_number())
    });
    if timed && !exports.iter().any(|e| e["signal"] == "metrics" && of_scenario(e)) {
        return Err(format!("no step latencies exported for {scenario}"));
    }
    if exports.iter().any(|e| e["raw"].as_str().is_some_and(|raw| raw.contains(super::REFERENCE_TOKEN))) {
        return Err("an OTLP export holds the token".to_string());
    }
    Ok(())
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
