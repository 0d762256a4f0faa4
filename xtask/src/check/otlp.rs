//! `cargo xtask check --otlp URL`: the check's verdict as an OTLP/HTTP JSON log record
//! (`URL/v1/logs`) and its per-step latencies as an OTLP gauge (`URL/v1/metrics`), so that
//! scheduled checks land on the dashboards the browsers' reports land on. Kinds, steps and
//! timings only: never the token, never the message text (neither is in the report).

use super::report::{items, Json};
use crate::util::{fail, Res};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The OTLP `service.name` of the check's exports.
pub const SERVICE: &str = "chat-sentinel-check";
/// The instrumentation scope: the check, at the SDK's version.
const SCOPE: &str = "chat-sentinel.check";
/// The gauge of each step's latency.
pub const STEP_METRIC: &str = "chat_sentinel.check.step.duration";
/// Attempts per export: the first, then retries on the statuses OTLP/HTTP calls retryable.
const ATTEMPTS: u32 = 3;
/// OTLP/HTTP's retryable statuses.
const RETRYABLE: [u16; 4] = [429, 502, 503, 504];
/// The wait before a retry when the receiver names none (`Retry-After`), doubled each time.
const BACKOFF: Duration = Duration::from_millis(500);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// OTLP's severity numbers (the data model's `SeverityNumber`).
const INFO: u32 = 9;
const ERROR: u32 = 17;

/// What the exports say about the check besides its report.
pub struct Context<'a> {
    /// The SDK's version.
    pub version: &'a str,
    /// The reference server's scenario, when the check ran against it.
    pub scenario: Option<&'a str>,
}

/// Posts the logs and the metrics of `report` to `base` (`…/v1/logs`, `…/v1/metrics`).
pub fn export(base: &str, report: &Json, context: &Context<'_>) -> Res<()> {
    let now = now_unix_nano();
    let base = base.trim_end_matches('/');
    post(&format!("{base}/v1/logs"), &logs(report, context, &now))?;
    if let Some(body) = metrics(report, context, &now) {
        post(&format!("{base}/v1/metrics"), &body)?;
    }
    println!("check: exported the verdict and the step latencies to {base} (OTLP/HTTP JSON)");
    Ok(())
}

/// The time now in nanoseconds since the epoch, as OTLP/JSON writes 64-bit integers (a string).
fn now_unix_nano() -> String {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0).to_string()
}

fn string(key: &str, value: &str) -> Json {
    json!({"key": key, "value": {"stringValue": value}})
}

fn int(key: &str, value: i64) -> Json {
    json!({"key": key, "value": {"intValue": value.to_string()}})
}

fn resource() -> Json {
    json!({"attributes": [string("service.name", SERVICE)]})
}

fn scope(context: &Context<'_>) -> Json {
    json!({"name": SCOPE, "version": context.version})
}

/// The attributes every record of this check carries.
fn common(report: &Json, context: &Context<'_>) -> Vec<Json> {
    let mut attributes =
        vec![string("chat_sentinel.dialect", report.get("dialect").and_then(Json::as_str).unwrap_or("?"))];
    if let Some(scenario) = context.scenario {
        attributes.push(string("chat_sentinel.check.scenario", scenario));
    }
    attributes
}

/// `ExportLogsServiceRequest` JSON: one record, the verdict, with its first reason, the failure
/// kinds, the run count and the duration.
fn logs(report: &Json, context: &Context<'_>, now: &str) -> Json {
    let verdict = report.get("verdict").and_then(Json::as_str).unwrap_or("ERROR");
    let reasons: Vec<&str> =
        report.get("reasons").map(items).unwrap_or_default().iter().filter_map(|r| r.as_str()).collect();
    let kinds: Vec<&str> =
        report.get("failureKinds").map(items).unwrap_or_default().iter().filter_map(|k| k.as_str()).collect();
    let runs = report.get("runs").map(items).unwrap_or_default().len();
    let duration = report.get("durationMs").and_then(Json::as_f64).unwrap_or(0.0);
    let mut attributes = common(report, context);
    attributes.extend([
        string("chat_sentinel.check.verdict", verdict),
        string("chat_sentinel.check.reason", reasons.first().copied().unwrap_or("")),
        string("chat_sentinel.check.failure_kinds", &kinds.join(",")),
        int("chat_sentinel.check.runs", runs as i64),
        int("chat_sentinel.check.duration_ms", duration.round() as i64),
    ]);
    let (severity, text) = if verdict == "PASS" { (INFO, "INFO") } else { (ERROR, "ERROR") };
    let body = match reasons.first() {
        Some(reason) => format!("chat-sentinel check {verdict}: {reason}"),
        None => format!("chat-sentinel check {verdict}"),
    };
    json!({"resourceLogs": [{"resource": resource(), "scopeLogs": [{"scope": scope(context), "logRecords": [{
        "timeUnixNano": now, "observedTimeUnixNano": now, "severityNumber": severity, "severityText": text,
        "body": {"stringValue": body}, "attributes": attributes,
    }]}]}]})
}

/// `ExportMetricsServiceRequest` JSON: a gauge of each step's latency (ms), per run; none when
/// no step was timed (the connection never opened).
pub fn metrics(report: &Json, context: &Context<'_>, now: &str) -> Option<Json> {
    let mut points = Vec::new();
    for run in report.get("runs").map(items).unwrap_or_default() {
        let index = run.get("index").and_then(Json::as_i64).unwrap_or(0);
        for step in run.get("steps").map(items).unwrap_or_default() {
            let Some(ms) = step.get("ms").and_then(Json::as_f64) else { continue };
            let mut attributes = common(report, context);
            attributes.extend([
                string("chat_sentinel.check.step", step.get("id").and_then(Json::as_str).unwrap_or("?")),
                string(
                    "chat_sentinel.check.step_ok",
                    if step.get("ok").and_then(Json::as_bool) == Some(true) { "true" } else { "false" },
                ),
                int("chat_sentinel.check.run", index),
            ]);
            points.push(json!({"timeUnixNano": now, "asDouble": ms, "attributes": attributes}));
        }
    }
    if points.is_empty() {
        return None;
    }
    Some(json!({"resourceMetrics": [{"resource": resource(), "scopeMetrics": [{"scope": scope(context), "metrics": [{
        "name": STEP_METRIC, "unit": "ms", "description": "latency of each step of the staging check",
        "gauge": {"dataPoints": points},
    }]}]}]}))
}

/// POSTs `body` to `url`, retrying OTLP/HTTP's retryable statuses after `Retry-After` (or a
/// doubling backoff); any other failure is an error naming the status.
fn post(url: &str, body: &Json) -> Res<()> {
    let text = body.to_string();
    let mut wait = BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let sent = ureq::post(url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("content-type", "application/json")
            .send(&text)
            .map_err(|e| fail!("OTLP export to {url} failed: {e}"))?;
        let status = sent.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        if !RETRYABLE.contains(&status) || attempt == ATTEMPTS {
            return Err(fail!("OTLP export to {url} answered {status}"));
        }
        let after = sent
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let pause = after.unwrap_or(wait);
        println!("check: OTLP export to {url} answered {status}; retrying in {} ms", pause.as_millis());
        std::thread::sleep(pause);
        wait *= 2;
    }
    Err(fail!("OTLP export to {url}: no attempt left"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Json {
        json!({"verdict": "FAIL", "reasons": ["missing_event: tool_executing never came"], "failureKinds": ["missing_event"],
               "durationMs": 812.4, "dialect": "netra",
               "runs": [{"index": 1, "steps": [{"id": "handshake", "ok": true, "ms": 12}, {"id": "no_failures", "ok": false, "ms": null}]}]})
    }

    fn attribute<'a>(record: &'a Json, key: &str) -> &'a Json {
        let attributes = record["attributes"].as_array().expect("attributes");
        &attributes.iter().find(|a| a["key"] == key).unwrap_or_else(|| panic!("{key} in {record}"))["value"]
    }

    #[test]
    fn the_verdict_is_one_error_record_with_its_reason_and_kinds() {
        let context = Context { version: "0.1.0", scenario: Some("drop") };
        let body = logs(&report(), &context, "1");
        let record = &body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
        assert_eq!(record["severityNumber"], json!(ERROR));
        assert_eq!(attribute(record, "chat_sentinel.check.verdict"), &json!({"stringValue": "FAIL"}));
        assert_eq!(attribute(record, "chat_sentinel.check.failure_kinds"), &json!({"stringValue": "missing_event"}));
        assert_eq!(attribute(record, "chat_sentinel.check.scenario"), &json!({"stringValue": "drop"}));
        assert_eq!(attribute(record, "chat_sentinel.check.duration_ms"), &json!({"intValue": "812"}));
        assert_eq!(body["resourceLogs"][0]["resource"]["attributes"][0]["value"]["stringValue"], json!(SERVICE));
    }

    #[test]
    fn each_measured_step_is_a_gauge_point() {
        let context = Context { version: "0.1.0", scenario: None };
        let body = metrics(&report(), &context, "1").expect("a timed step");
        let metric = &body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
        assert_eq!(metric["name"], json!(STEP_METRIC));
        let points = metric["gauge"]["dataPoints"].as_array().expect("points");
        assert_eq!(points.len(), 1, "the step without a latency has no point");
        assert_eq!(points[0]["asDouble"], json!(12.0));
        assert_eq!(attribute(&points[0], "chat_sentinel.check.step"), &json!({"stringValue": "handshake"}));
    }
}
