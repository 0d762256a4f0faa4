//! Issue 15's classes through the reference server in headless Chromium: each hostile
//! scenario, asserted by exact failure kinds and counts (and, for the memory classes, by the
//! growth of wasm memory).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod browser_support;

use browser_support::{assert_golden, config, Harness, Rec, GOLDEN, TOKEN};
use chat_sentinel::core::{Config, ConnectionState, FailureKind, Reconnect, SendOptions, Severity};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const DIALECTS: [&str; 2] = ["netra", "sequenced"];

/// Connects to `dialect=D&rest`, sends one message and returns the harness.
async fn started(d: &str, rest: &str, config: Config) -> Harness {
    let mut h = Harness::new(&format!("dialect={d}&{rest}"), config);
    h.connect().await;
    let receipt = h.send("hello").await;
    assert!(receipt.is_ok(), "send failed: {receipt:?}");
    h
}

fn count(rec: &Rec, kind: FailureKind) -> usize {
    rec.failures.iter().filter(|f| f.kind == kind).count()
}

/// The current size of this module's linear memory (it only grows).
fn wasm_memory_bytes() -> f64 {
    let memory = wasm_bindgen::memory();
    let buffer = js_sys::Reflect::get(&memory, &"buffer".into()).unwrap();
    js_sys::Reflect::get(&buffer, &"byteLength".into()).unwrap().as_f64().unwrap()
}

const MIB: f64 = 1024.0 * 1024.0;

/// Twenty tools of one run open before any closes: all paired, no report.
#[wasm_bindgen_test]
async fn parallel_tools_raise_no_alarm() {
    for d in DIALECTS {
        let mut h = started(d, "scenario=parallel_tools&k=0&m=20&pace_ms=5", config()).await;
        h.expect_kinds(&[], 10_000, Rec::completed).await;
        assert_eq!(h.rec.events.len(), 42, "{d}: started, 20 opens, 20 closes, completed");
        assert_eq!(h.client.health().open_runs, 0);
    }
}

/// A loss in the first run, then 3,000 clean runs through a run table of 8: the loss is
/// reported, once, and nothing else is.
#[wasm_bindgen_test]
async fn a_loss_before_a_long_session_is_reported_once() {
    const RUNS: usize = 3_000;
    for d in DIALECTS {
        let cfg = Config { run_table_cap: 8, ..config() };
        let mut h = started(d, &format!("scenario=many_runs&count={RUNS}&pace_ms=0"), cfg).await;
        let total = 5 + RUNS * GOLDEN.len();
        h.until(60_000, |r| r.events.len() >= total).await;
        h.settle(400).await;
        assert_eq!(h.rec.events.len(), total, "{d}: every event delivered once");
        assert_eq!(count(&h.rec, FailureKind::MissingEvent), 1, "{d}: {:#?}", h.rec.failures);
        let missing = h.rec.failures.iter().find(|f| f.kind == FailureKind::MissingEvent).unwrap();
        assert_eq!(missing.run_id, h.rec.events[0].run_id, "{d}: the first run's loss");
        let expected = if d == "sequenced" { 2 } else { 1 };
        assert_eq!(h.rec.failures.len(), expected, "{d}: and a seq_gap in sequenced: {:#?}", h.rec.failures);
    }
}

/// Run ids that are JSON numbers are tracked: a lost event in such a run is reported.
#[wasm_bindgen_test]
async fn a_numeric_run_id_is_tracked() {
    for d in DIALECTS {
        let mut h = started(d, "scenario=drop&run_id=number", config()).await;
        let expected: &[&str] = if d == "sequenced" { &["missing_event", "seq_gap"] } else { &["missing_event"] };
        h.expect_kinds(expected, 10_000, Rec::completed).await;
        let missing = h.rec.failures.iter().find(|f| f.kind == FailureKind::MissingEvent).unwrap();
        let run = missing.run_id.clone().unwrap_or_default();
        assert!(!run.is_empty() && run.bytes().all(|b| b.is_ascii_digit()), "{d}: the number's text: {run:?}");
        assert_eq!(h.rec.failures.len(), expected.len(), "{d}: {:#?}", h.rec.failures);
    }
}

/// A top-level `"run_id": null` beside the body's id does not hide it: a clean run is clean.
#[wasm_bindgen_test]
async fn a_null_top_level_run_id_is_absent() {
    let mut h = started("netra", "scenario=clean&run_id=null", config()).await;
    h.expect_kinds(&[], 10_000, Rec::completed).await;
    assert_golden(&h.rec, false);
}

/// `requiredEvents` naming an event twice requires it once.
#[wasm_bindgen_test]
async fn a_repeated_required_event_is_required_once() {
    let required = ["agent_started", "agent_completed", "agent_completed"].map(String::from).to_vec();
    for d in DIALECTS {
        let cfg = Config { required_events: required.clone(), ..config() };
        let mut h = started(d, "scenario=clean", cfg).await;
        h.expect_kinds(&[], 10_000, Rec::completed).await;
        assert_golden(&h.rec, d == "sequenced");
    }
}

/// The whole run sent again after the dedup window: no new run, no loss, no critical report;
/// each late copy is one `out_of_order` warning and none is delivered again.
#[wasm_bindgen_test]
async fn late_retry_copies_are_not_a_new_run() {
    let cfg = Config { dedup_window_ms: 200, ..config() };
    let mut h = started("netra", "scenario=late_retry&delay_ms=1000", cfg).await;
    h.until(10_000, |r| r.completed()).await;
    h.settle(2_500).await;
    assert_golden(&h.rec, false);
    assert!(h.rec.failures.iter().all(|f| f.severity == Severity::Warning), "{:#?}", h.rec.failures);
    assert_eq!(h.rec.kinds().into_iter().collect::<Vec<_>>(), ["out_of_order"]);
    assert_eq!(h.rec.failures.len(), GOLDEN.len(), "one warning per late copy");
}

/// A frame whose two `run_id` members disagree: one `protocol_violation`, the first value
/// wins, and the run completes clean.
#[wasm_bindgen_test]
async fn conflicting_duplicate_keys_are_one_violation() {
    for d in DIALECTS {
        let mut h = started(d, "scenario=conflicting_keys", config()).await;
        h.expect_kinds(&["protocol_violation"], 10_000, Rec::completed).await;
        assert_eq!(h.rec.failures.len(), 1, "{d}: {:#?}", h.rec.failures);
        assert_golden(&h.rec, d == "sequenced");
        let run = h.rec.events[0].run_id.clone();
        assert!(h.rec.events.iter().all(|e| e.run_id == run), "{d}: the first run_id won");
    }
}

/// A 24 MiB frame, over `maxFrameBytes`: one `protocol_violation`, the run goes on, and wasm
/// memory does not grow by the frame's size (it is never copied in).
#[wasm_bindgen_test]
async fn a_huge_frame_is_rejected_without_copying_it() {
    let before = wasm_memory_bytes();
    let mut h = started("netra", "scenario=huge_frame&bytes=25165824", config()).await;
    h.expect_kinds(&["protocol_violation"], 20_000, Rec::completed).await;
    assert_eq!(h.rec.failures.len(), 1, "{:#?}", h.rec.failures);
    assert_golden(&h.rec, false);
    let grown = (wasm_memory_bytes() - before) / MIB;
    console_log!("huge_frame: wasm memory grew {grown:.1} MiB");
    assert!(grown < 4.0, "wasm memory grew {grown:.1} MiB for a rejected 24 MiB frame");
}

/// 300 frames of 900 KB, each with a unique tool name, over 300 runs: what the client holds
/// stays within its byte budget, wasm memory stops growing, and the client keeps working: a
/// later unacknowledged message still gets its outcome.
#[wasm_bindgen_test]
async fn huge_unique_names_stay_within_the_byte_budget() {
    const FRAMES: usize = 300;
    let cfg = Config { ack_timeout_ms: 1_000, ..config() };
    let budget = cfg.memory_budget();
    let before = wasm_memory_bytes();
    let mut h = started("netra", &format!("scenario=huge_names&count={FRAMES}&bytes=900000"), cfg).await;
    let mut peak_held = 0;
    let mut completed = false;
    let start = js_sys::Date::now();
    while !completed && js_sys::Date::now() - start < 120_000.0 {
        h.until(50, Rec::completed).await;
        completed = h.rec.completed();
        peak_held = peak_held.max(h.client.health().bytes_held);
        // The recorder shares this module's memory: it must not be what grows.
        h.rec.events.clear();
    }
    assert!(completed, "the run completed after the hogs: {:?}", h.rec.kinds());
    let again = h.send("still there?").await;
    assert!(again.is_ok(), "a later message is still acknowledged: {again:?}");
    let grown = (wasm_memory_bytes() - before) / MIB;
    console_log!(
        "huge_names: held at most {peak_held} B of a {budget} B budget, wasm memory grew {grown:.1} MiB, \
         {} missing_event, {} protocol_violation, {} run_stalled",
        count(&h.rec, FailureKind::MissingEvent),
        count(&h.rec, FailureKind::ProtocolViolation),
        count(&h.rec, FailureKind::RunStalled)
    );
    assert!(peak_held <= budget, "held {peak_held} B, budget {budget} B");
    assert!(grown < budget as f64 / MIB + 8.0, "wasm memory grew {grown:.1} MiB for 270 MB of frames");
    assert!(h.rec.has("protocol_violation"), "the long names are reported: {:?}", h.rec.kinds());
    assert!(h.rec.failures.len() < FRAMES * 3, "{} reports", h.rec.failures.len());
    assert_eq!(h.client.health().state, ConnectionState::Open);
}

/// Server text that quotes the token back (an error frame, a support code carrying the
/// `jwt.` subprotocol, a close reason): no report carries it in any form.
#[wasm_bindgen_test]
async fn an_echoed_token_is_redacted_from_every_report() {
    let encoded = {
        // base64url without padding, as the subprotocol carries it
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = TOKEN.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    };
    let mut h = started("netra", "scenario=echo_token&after=1", config()).await;
    // The error frame and the support code, then the close.
    h.expect_kinds(&["connection_lost", "server_error", "server_error"], 10_000, |r| r.has("connection_lost")).await;
    for report in &h.rec.failures {
        for secret in [TOKEN, encoded.as_str(), &TOKEN[..24], &encoded[..24]] {
            assert!(!report.detail.contains(secret), "the token leaked into {report:#?}");
        }
    }
    let redacted = h.rec.failures.iter().filter(|f| f.detail.contains("[redacted]")).count();
    assert!(redacted >= 3, "the error text, the support code and the close reason: {:#?}", h.rec.failures);
}

/// A server that closes every connection right after its handshake: the attempts run out
/// (no reset on a connection that never proved healthy) and the client gives up, loudly.
#[wasm_bindgen_test]
async fn a_server_closing_after_each_handshake_is_given_up_on() {
    let cfg = Config { reconnect: Reconnect { min_delay_ms: 50, max_delay_ms: 100, max_attempts: 3 }, ..config() };
    let mut h = Harness::new("dialect=netra&scenario=close_after_handshake", cfg);
    let _ = h.client.connect().await;
    let gave_up = h.until(15_000, |r| r.states.last() == Some(&ConnectionState::Closed)).await;
    h.settle(1_000).await;
    assert!(gave_up, "states: {:?}; failures: {:#?}", h.rec.states, h.rec.failures);
    let lost: Vec<_> = h.rec.failures.iter().filter(|f| f.kind == FailureKind::ConnectionLost).collect();
    console_log!("close_after_handshake: {} connection_lost, states {:?}", lost.len(), h.rec.states);
    assert_eq!(lost.len(), 4, "the first connection and 3 attempts: {:#?}", h.rec.failures);
    assert_eq!(lost.last().unwrap().severity, Severity::Critical, "the last one says the client gave up");
    assert_eq!(h.client.health().reconnects, 3);
}

/// An output queue of 1, twenty messages sent and never answered, then `close()`: every one
/// of the twenty sends settles, each `unacknowledged` (they left; no answer came).
#[wasm_bindgen_test]
async fn every_pending_message_settles_at_close_with_a_tiny_output_queue() {
    let cfg = Config { output_queue_cap: 1, ..config() };
    let mut h = Harness::new("dialect=netra&scenario=silent", cfg);
    h.connect().await;
    let sends: Vec<_> = (0..20)
        .map(|i| h.client.send_message(&format!("m{i}"), SendOptions { thread_id: Some("th".to_owned()) }))
        .collect();
    browser_support::sleep(200).await;
    h.client.close();
    let mut failed = 0;
    for send in sends {
        let report = send.await.expect_err("never acknowledged");
        assert_eq!(report.kind, FailureKind::Unacknowledged);
        failed += 1;
    }
    assert_eq!(failed, 20);
}
