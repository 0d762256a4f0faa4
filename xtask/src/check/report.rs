//! The check report read back: its one-screen summary and its JUnit XML.

use std::fmt::Write as _;
use std::path::Path;

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

pub fn junit_error(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"chat-sentinel check\" tests=\"1\" errors=\"1\">\n  <testsuite name=\"chat-sentinel check\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"chat-sentinel.check\" name=\"setup\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
        xml(message)
    )
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
}
