//! Telemetry (`core::telemetry`) on a virtual clock: what the OTLP export sends, when, how
//! often it is retried, what is dropped and counted, and what never leaves the client; and
//! what the application's own OpenTelemetry logger and meter receive instead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod common;

use chat_sentinel::core::{
    AttributeValue, Config, Credential, DialectChoice, Export, Instrument, LogRecord, LogSeverity, Measurement,
    Observation, Signal, TelemetryConfig, TelemetrySink, MAX_ATTEMPTS,
};
use common::*;
use serde_json::Value;

const FLUSH_MS: u64 = 1_000;

fn telemetry() -> TelemetryConfig {
    TelemetryConfig {
        flush_interval_ms: FLUSH_MS,
        resource: vec![("service.name".to_owned(), "chat-web".to_owned())],
        epoch_ms: 1_764_800_000_000,
        ..TelemetryConfig::default()
    }
}

fn netra(telemetry: TelemetryConfig) -> Harness {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, telemetry: Some(telemetry), ..test_config() });
    h.open(NETRA_HANDSHAKE);
    h
}

/// A netra run of `run` that loses its `tool_executing`, and the reorder window (100 ms)
/// after it, by which the loss is reported and the turn has ended.
fn lossy_run(h: &mut Harness, run: &str) {
    h.send("what did we spend?");
    for (i, frame) in netra_run(run).iter().enumerate() {
        if i != 2 {
            h.frame(frame);
        }
    }
    h.advance(REORDER_MS);
    assert!(!h.seen.failures.is_empty() && !h.seen.turns.is_empty(), "the loss is reported");
}

const REORDER_MS: u64 = 100;

fn logs(exports: &[Export]) -> Vec<Value> {
    exports.iter().filter(|e| e.signal == Signal::Logs).map(|e| serde_json::from_str(&e.body).unwrap()).collect()
}

fn records(body: &Value) -> Vec<Value> {
    body["resourceLogs"][0]["scopeLogs"][0]["logRecords"].as_array().unwrap().clone()
}

fn attribute(record: &Value, key: &str) -> Option<Value> {
    let attributes = record["attributes"].as_array().unwrap();
    attributes.iter().find(|a| a["key"] == key).map(|a| a["value"].clone())
}

/// Answers every export not answered yet with `status`.
fn answer(h: &mut Harness, answered: &mut usize, status: u16, retry_after_ms: Option<u64>) {
    let ids: Vec<u64> = h.seen.exports[*answered..].iter().map(|e| e.id).collect();
    *answered = h.seen.exports.len();
    for id in ids {
        h.tracker.handle_export_result(h.at(), id, status, retry_after_ms);
        h.drain();
    }
}

#[test]
fn every_report_and_the_turn_are_one_batch_after_the_flush_interval() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS - REORDER_MS - 1);
    assert!(h.seen.exports.is_empty(), "nothing before the interval: {:?}", h.seen.exports);
    h.advance(REORDER_MS + 1);
    let bodies = logs(&h.seen.exports);
    assert_eq!(bodies.len(), 1, "one batch");
    let records = records(&bodies[0]);
    let kinds: Vec<Value> = records.iter().filter_map(|r| attribute(r, "chat_sentinel.kind")).collect();
    let reported: Vec<&str> = h.kinds();
    assert_eq!(records.len(), reported.len() + 1, "each report and the turn: {records:#?}");
    for kind in &reported {
        assert!(kinds.contains(&serde_json::json!({"stringValue": kind})), "{kind}");
    }
    let turn = records.iter().find(|r| attribute(r, "chat_sentinel.turn.state").is_some()).expect("the turn");
    assert_eq!(attribute(turn, "chat_sentinel.turn.state").unwrap(), serde_json::json!({"stringValue": "incomplete"}));
    assert_eq!(turn["severityNumber"], 17);
    let incident = attribute(turn, "chat_sentinel.incident").expect("the turn's incident");
    let critical =
        records.iter().find(|r| r["severityText"] == "ERROR" && attribute(r, "chat_sentinel.kind").is_some());
    assert_eq!(attribute(critical.unwrap(), "chat_sentinel.incident"), Some(incident), "tied to the loss");
    assert_eq!(bodies[0]["resourceLogs"][0]["resource"]["attributes"][0]["value"]["stringValue"], "chat-web");
    assert_eq!(bodies[0]["resourceLogs"][0]["scopeLogs"][0]["scope"]["name"], "chat-sentinel");
    let time: u64 = records[0]["timeUnixNano"].as_str().unwrap().parse().unwrap();
    assert!(time >= 1_764_800_000_000 * 1_000_000, "unix nanoseconds: {time}");
}

#[test]
fn the_metrics_count_every_kind_and_the_ack_latency() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    let metrics: Value = serde_json::from_str(
        &h.seen.exports.iter().find(|e| e.signal == Signal::Metrics).expect("a metrics export").body,
    )
    .unwrap();
    let all = metrics["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].as_array().unwrap();
    let named = |name: &str| all.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("{name}"));
    let failures = named("chat_sentinel.failures")["sum"]["dataPoints"].as_array().unwrap();
    let total: u64 = failures.iter().map(|p| p["asInt"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, h.seen.failures.len(), "the counters add up to the reports");
    let latency = &named("chat_sentinel.ack.latency")["histogram"]["dataPoints"][0];
    assert_eq!(latency["count"], "1", "one acknowledged message");
    assert_eq!(named("chat_sentinel.turns")["sum"]["dataPoints"][0]["asInt"], 1);
}

#[test]
fn a_full_batch_goes_at_once() {
    let mut h = netra(TelemetryConfig { max_batch: 3, ..telemetry() });
    for run in ["a", "b"] {
        lossy_run(&mut h, run);
    }
    let bodies = logs(&h.seen.exports);
    assert!(!bodies.is_empty(), "no waiting for the interval");
    assert!(bodies.iter().all(|b| records(b).len() <= 3));
}

#[test]
fn a_retryable_answer_sends_the_same_batch_again_after_retry_after() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    let first = logs(&h.seen.exports);
    let mut answered = 0;
    answer(&mut h, &mut answered, 503, Some(2_000));
    h.advance(1_999);
    assert_eq!(logs(&h.seen.exports).len(), 1, "not before Retry-After");
    h.advance(1);
    let again = logs(&h.seen.exports);
    assert_eq!(again.len(), 2);
    assert_eq!(again[1], first[0], "the same records");
    answer(&mut h, &mut answered, 200, None);
    h.advance(60_000);
    assert_eq!(logs(&h.seen.exports).len(), 2, "sent once more, then done");
}

#[test]
fn an_export_out_of_attempts_is_dropped_and_counted() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    let records_sent = records(&logs(&h.seen.exports)[0]).len();
    let mut answered = 0;
    for _ in 0..MAX_ATTEMPTS {
        answer(&mut h, &mut answered, 0, None);
        h.advance(60_000);
    }
    assert_eq!(logs(&h.seen.exports).len(), MAX_ATTEMPTS as usize, "{MAX_ATTEMPTS} sends in all");
    h.closed(1000, true);
    h.tracker.close(h.at());
    h.drain();
    let last = h.seen.exports.iter().rev().find(|e| e.signal == Signal::Metrics).expect("metrics at close");
    assert!(last.keepalive, "sent as the page goes");
    let metrics: Value = serde_json::from_str(&last.body).unwrap();
    let dropped = metrics["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "chat_sentinel.telemetry.dropped")
        .unwrap()["sum"]["dataPoints"][0]["asInt"]
        .clone();
    assert_eq!(dropped, Value::from(records_sent));
}

#[test]
fn a_refused_export_is_not_retried() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    let mut answered = 0;
    answer(&mut h, &mut answered, 400, None);
    h.advance(60_000);
    assert_eq!(logs(&h.seen.exports).len(), 1);
}

#[test]
fn what_waits_goes_as_keepalive_when_the_page_is_hidden() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    assert!(h.seen.exports.is_empty());
    h.tracker.handle_page_hidden(h.at());
    h.drain();
    assert!(h.seen.exports.iter().all(|e| e.keepalive), "{:?}", h.seen.exports);
    assert_eq!(logs(&h.seen.exports).len(), 1, "{:?}", h.seen.exports);
    assert_eq!(records(&logs(&h.seen.exports)[0]).len(), h.seen.failures.len() + 1);
    h.advance(60_000);
    assert_eq!(logs(&h.seen.exports).len(), 1, "nothing is sent twice");
}

#[test]
fn an_export_on_its_way_when_the_page_hides_is_not_sent_again() {
    let mut h = netra(telemetry());
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    assert_eq!(logs(&h.seen.exports).len(), 1);
    h.tracker.handle_page_hidden(h.at());
    h.drain();
    assert_eq!(logs(&h.seen.exports).len(), 1, "on its way: it arrives once");
    let mut answered = 0;
    answer(&mut h, &mut answered, 503, Some(0));
    h.tracker.handle_page_hidden(h.at());
    h.drain();
    assert_eq!(logs(&h.seen.exports).len(), 2, "refused and waiting: sent again as the page goes");
}

#[test]
fn the_queue_is_bounded_and_its_drops_are_counted() {
    let mut h = netra(TelemetryConfig { max_queue: 2, max_batch: 1_000, ..telemetry() });
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    let sent = records(&logs(&h.seen.exports)[0]).len();
    assert_eq!(sent, 2, "at most max_queue wait");
}

#[test]
fn a_sample_rate_of_zero_exports_counters_only() {
    let mut h = netra(TelemetryConfig { sample_per_million: 0, ..telemetry() });
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    assert!(logs(&h.seen.exports).is_empty());
    assert!(h.seen.exports.iter().any(|e| e.signal == Signal::Metrics));
}

#[test]
fn no_export_holds_the_token_the_message_text_or_a_detail() {
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzEifQ.s3cr3t";
    let mut h = Harness::new(Config {
        dialect: DialectChoice::Netra,
        telemetry: Some(telemetry()),
        credential: Some(Credential::new(token)),
        ..test_config()
    });
    h.open(NETRA_HANDSHAKE);
    // A hostile server names its run after the token.
    let run = format!("run-{token}");
    lossy_run(&mut h, &run);
    h.tracker.handle_page_hidden(h.at());
    h.drain();
    assert!(!h.seen.exports.is_empty());
    for export in &h.seen.exports {
        assert!(!export.body.contains(token) && !export.body.contains("s3cr3t"), "{}", export.body);
        assert!(!export.body.contains("what did we spend"), "no message text");
        for report in &h.seen.failures {
            assert!(!export.body.contains(&report.detail), "no detail: {}", report.detail);
        }
    }
}

fn application(logs: bool, metrics: bool) -> TelemetryConfig {
    TelemetryConfig { sink: TelemetrySink::Application { logs, metrics }, ..telemetry() }
}

fn observed_records(h: &Harness) -> Vec<&LogRecord> {
    let records = h.seen.observations.iter().filter_map(|o| match o {
        Observation::Record(record) => Some(record),
        Observation::Measurement(_) => None,
    });
    records.collect()
}

fn measurements(h: &Harness) -> Vec<Measurement> {
    let measurements = h.seen.observations.iter().filter_map(|o| match o {
        Observation::Measurement(m) => Some(*m),
        Observation::Record(_) => None,
    });
    measurements.collect()
}

fn string_attribute<'r>(record: &'r LogRecord, key: &str) -> Option<&'r str> {
    record.attributes.iter().find(|a| a.key == key).and_then(|a| match &a.value {
        AttributeValue::String(value) => Some(value.as_str()),
        AttributeValue::Int(_) => None,
    })
}

#[test]
fn the_applications_logger_and_meter_receive_each_report_turn_and_count_once_at_once() {
    let mut h = netra(application(true, true));
    lossy_run(&mut h, "r1");
    h.advance(FLUSH_MS);
    assert!(h.seen.exports.is_empty(), "nothing for a collector: {:?}", h.seen.exports);
    let records = observed_records(&h);
    let kinds: Vec<&str> = records.iter().filter_map(|r| string_attribute(r, "chat_sentinel.kind")).collect();
    let reported = h.kinds();
    assert_eq!(records.len(), reported.len() + 1, "each report and the turn: {records:#?}");
    for (record, report) in records.iter().zip(&h.seen.failures) {
        assert_eq!(record.body, report.kind.as_str(), "in order, each once");
        assert!(record.time_unix_ms >= 1_764_800_000_000, "unix ms");
    }
    assert!(reported.iter().all(|k| kinds.contains(k)));
    let turn = records.last().unwrap();
    assert_eq!((turn.body.as_str(), turn.severity), ("turn incomplete", LogSeverity::Error));
    let message_id = h.seen.failures[0].message_id.unwrap().to_wire();
    assert_eq!(string_attribute(turn, "chat_sentinel.message_id"), Some(message_id.as_str()));
    let measurements = measurements(&h);
    let failures: u64 = measurements.iter().filter(|m| m.instrument == Instrument::Failures).map(|m| m.value).sum();
    assert_eq!(failures as usize, reported.len(), "the counter adds up to the reports");
    let turns: Vec<_> = measurements.iter().filter(|m| m.instrument == Instrument::Turns).collect();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].attribute, Some(("chat_sentinel.turn.state", "incomplete")));
    let latencies = measurements.iter().filter(|m| m.instrument == Instrument::AckLatency).count();
    assert_eq!(latencies, 1, "one acknowledged message");
}

#[test]
fn the_application_gets_only_the_signals_it_gave_a_logger_or_a_meter_for() {
    let mut logs_only = netra(application(true, false));
    lossy_run(&mut logs_only, "r1");
    assert!(!observed_records(&logs_only).is_empty() && measurements(&logs_only).is_empty());
    let mut metrics_only = netra(application(false, true));
    lossy_run(&mut metrics_only, "r1");
    assert!(observed_records(&metrics_only).is_empty() && !measurements(&metrics_only).is_empty());
}

#[test]
fn what_the_application_has_not_taken_is_bounded_and_its_drops_are_counted() {
    let mut h = netra(TelemetryConfig { max_queue: 2, ..application(true, true) });
    lossy_run(&mut h, "r1");
    let dropped: Vec<_> = measurements(&h).into_iter().filter(|m| m.instrument == Instrument::Dropped).collect();
    assert!(!dropped.is_empty(), "a step said more than two things: {:?}", h.seen.observations);
    let mut unbounded = netra(application(true, true));
    lossy_run(&mut unbounded, "r1");
    let seen = h.seen.observations.len() - dropped.len();
    let lost: u64 = dropped.iter().map(|m| m.value).sum();
    assert_eq!(seen as u64 + lost, unbounded.seen.observations.len() as u64, "each one seen or counted");
}

#[test]
fn no_observation_holds_the_token_the_message_text_or_a_detail() {
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzEifQ.s3cr3t";
    let mut h = Harness::new(Config {
        dialect: DialectChoice::Netra,
        telemetry: Some(application(true, true)),
        credential: Some(Credential::new(token)),
        ..test_config()
    });
    h.open(NETRA_HANDSHAKE);
    lossy_run(&mut h, &format!("run-{token}"));
    let seen = format!("{:?}", h.seen.observations);
    assert!(seen.contains("chat_sentinel.run_id"), "{seen}");
    assert!(!seen.contains("s3cr3t") && !seen.contains("what did we spend"), "{seen}");
    for report in &h.seen.failures {
        assert!(!seen.contains(&report.detail), "no detail: {}", report.detail);
    }
}

#[test]
fn the_report_of_outputs_dropped_is_recorded_too() {
    // An output queue of 1 that the application does not drain: the events past it are
    // dropped, and the one report that says so is a record like any other.
    let config = Config {
        dialect: DialectChoice::Netra,
        output_queue_cap: 1,
        telemetry: Some(application(true, true)),
        ..test_config()
    };
    let mut h = Harness::new(config);
    h.open(NETRA_HANDSHAKE);
    let (_, kinds) = h.undrained(&netra_run("r1"));
    assert_eq!(kinds, ["missing_event"]);
    h.drain();
    let recorded: Vec<_> =
        observed_records(&h).iter().filter_map(|r| string_attribute(r, "chat_sentinel.kind")).collect();
    assert_eq!(recorded, ["missing_event"]);
}

#[test]
fn what_a_hidden_page_cannot_send_within_the_keepalive_quota_waits_instead_of_being_dropped() {
    let mut h = netra(telemetry());
    let frame = netra_run("r1")[0].clone();
    // The receiver does not answer yet: four batches on their way, then the records wait.
    for _ in 0..=400 {
        h.frame(&frame);
    }
    let reports = h.seen.failures.len();
    h.tracker.handle_page_hidden(h.at());
    h.drain();
    let quota: usize = h.seen.exports.iter().skip(4).map(|e| e.body.len()).sum();
    assert!(quota <= 60_000, "within the keepalive quota: {quota} B");
    // The page lives on: every export is answered, and what did not fit goes later.
    let mut sent = Vec::new();
    for _ in 0..100 {
        let exports = std::mem::take(&mut h.seen.exports);
        if exports.is_empty() && h.tracker.poll_timeout().is_none() {
            break;
        }
        for export in &exports {
            h.tracker.handle_export_result(h.at(), export.id, 200, None);
        }
        sent.extend(exports);
        h.drain();
        h.advance(FLUSH_MS);
    }
    let recorded: usize = logs(&sent).iter().map(|body| records(body).len()).sum();
    assert!(reports > 200, "more records than the quota holds: {reports}");
    // The reports since (the run's own, as the clock moved on) are exported too.
    assert_eq!(recorded, h.seen.failures.len(), "every report exported once, none dropped");
}
