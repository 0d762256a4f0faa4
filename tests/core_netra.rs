//! The detectors in the `netra` dialect, fed the literal frame shapes the Netra backend sends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
#![cfg(not(target_arch = "wasm32"))]

mod common;

use chat_sentinel::core::{
    Config, ConnectionState, DialectChoice, FailureKind, Reconnect, SendOptions, Severity, Tracker, TurnState, Verdict,
};
use common::*;

fn netra() -> Harness {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    h
}

#[test]
fn golden_path_is_delivered_in_order_with_no_report() {
    let mut h = netra();
    assert_eq!(h.seen.states, [ConnectionState::Connecting, ConnectionState::Open]);
    let id = h.send("what did we spend?");
    assert!(h.seen.sent.iter().any(|f| f.contains(r#""message_id":"cs-1""#)), "{:?}", h.seen.sent);
    h.advance(50);
    h.frame(&netra_ack(id));
    for frame in netra_run("run_42") {
        h.advance(100);
        h.frame(&frame);
    }
    h.advance(20_000);
    assert_eq!(
        h.event_types(),
        ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]
    );
    assert!(h.seen.events.iter().all(|e| e.run_id.as_deref() == Some("run_42")));
    assert_eq!(
        h.seen.events[1].data(""),
        r#"{"reasoning": "Looking at the costs", "step_number": 1, "progress_percentage": 20, "status": "thinking"}"#
    );
    assert_eq!(h.seen.acks.len(), 1);
    assert_eq!(h.seen.acks[0].latency_ms, 50);
    assert_eq!(h.kinds(), Vec::<&str>::new());
    let health = h.tracker.health();
    assert_eq!((health.delivered, health.open_runs, health.pending_acks), (5, 0, 0));
}

#[test]
fn triple_send_is_delivered_once_and_each_copy_reported() {
    let mut h = netra();
    for frame in netra_run("run_1") {
        for _ in 0..3 {
            h.frame(&frame);
            h.advance(1_000);
        }
    }
    assert_eq!(h.seen.events.len(), 5);
    assert_eq!(h.kinds(), ["duplicate"; 10]);
    assert!(h.seen.failures.iter().all(|f| f.severity == Severity::Warning && f.run_id.as_deref() == Some("run_1")));
}

#[test]
fn retries_that_renumber_the_attempt_are_still_duplicates() {
    let mut h = netra();
    let first = netra_run("r")[4].clone();
    h.frame(&first);
    h.frame(&first.replace(r#""attempt": null"#, r#""attempt": 2"#));
    assert_eq!(h.kinds(), ["duplicate"]);
}

#[test]
fn a_run_that_never_completes_stalls_then_is_missing_its_completion() {
    let mut h = netra();
    let run = netra_run("run_9");
    for frame in &run[..4] {
        h.frame(frame);
    }
    h.advance(4_900);
    assert_eq!(h.kinds(), Vec::<&str>::new());
    h.advance(200);
    assert_eq!(h.kinds(), ["run_stalled"]);
    h.advance(5_000);
    assert_eq!(h.kinds(), ["run_stalled", "missing_event"]);
    assert!(h.seen.failures[1].detail.contains("agent_completed"));
    assert_eq!(h.tracker.health().open_runs, 0);
}

#[test]
fn tool_completed_without_tool_executing_is_a_missing_event() {
    let mut h = netra();
    let run = netra_run("r");
    for i in [0, 1, 3, 4] {
        h.frame(&run[i]);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["missing_event"]);
    assert!(h.seen.failures[0].detail.contains("cost_query"), "{}", h.seen.failures[0].detail);
}

#[test]
fn a_swapped_tool_pair_is_out_of_order_not_lost() {
    let mut h = netra();
    let run = netra_run("r");
    for i in [0, 1, 3, 2, 4] {
        h.frame(&run[i]);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["out_of_order"]);
    assert_eq!(h.seen.events.len(), 5);
}

#[test]
fn a_run_that_closes_with_a_tool_open_reports_tool_unfinished() {
    let mut h = netra();
    let run = netra_run("r");
    for i in [0, 1, 2, 4] {
        h.frame(&run[i]);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["tool_unfinished"]);
}

#[test]
fn a_run_without_agent_started_is_missing_it() {
    let mut h = netra();
    for frame in &netra_run("r")[1..] {
        h.frame(frame);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["missing_event"]);
    assert!(h.seen.failures[0].detail.contains("agent_started"));
}

#[test]
fn required_events_are_configurable() {
    let required = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];
    let mut h =
        Harness::new(Config { required_events: required.iter().map(|s| s.to_string()).collect(), ..test_config() });
    h.open(NETRA_HANDSHAKE);
    let run = netra_run("r");
    for i in [0, 2, 3, 4] {
        h.frame(&run[i]);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["missing_event"]);
    assert!(h.seen.failures[0].detail.contains("agent_thinking"));
}

#[test]
fn an_event_after_the_run_closed_is_out_of_order() {
    let mut h = netra();
    let run = netra_run("r");
    for i in [0, 2, 3, 4, 1] {
        h.frame(&run[i]);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["out_of_order"]);
}

#[test]
fn unacknowledged_message_without_a_run_times_out_and_gets_no_response() {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, require_explicit_ack: true, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    let id = h.send("hello");
    h.advance(1_999);
    assert!(h.kinds().is_empty());
    h.advance(1);
    assert_eq!(h.kinds(), ["ack_timeout"]);
    assert_eq!(h.seen.failures[0].message_id, Some(id));
    h.advance(1_000);
    assert_eq!(h.kinds(), ["ack_timeout", "no_response"]);
    // A late ack changes nothing: the message already has its outcome.
    h.frame(&netra_ack(id));
    assert!(h.seen.acks.is_empty());
}

#[test]
fn a_run_answers_the_oldest_waiting_message() {
    let mut h = netra();
    let a = h.send("a");
    let b = h.send("b");
    h.frame(&netra_ack(a));
    h.frame(&netra_ack(b));
    for frame in netra_run("r1") {
        h.frame(&frame);
    }
    h.advance(3_000);
    assert_eq!(h.kinds(), ["no_response"]);
    assert_eq!(h.seen.failures[0].message_id, Some(b));
}

#[test]
fn heartbeats_are_answered_and_silence_after_a_ping_is_a_dead_connection() {
    let mut h = netra();
    h.frame(r#"{"type": "heartbeat", "data": {}, "timestamp": 1757620247.3, "server_id": "ref-1"}"#);
    assert_eq!(h.seen.sent.last().map(String::as_str), Some(r#"{"type":"heartbeat_ack"}"#));
    // Pongs keep it alive indefinitely.
    h.advance(10_000);
    assert!(h.kinds().is_empty());
    let pings = h.seen.sent.iter().filter(|f| f.contains("ping")).count();
    assert!((9..=11).contains(&pings), "{pings} pings");
    // Half-open: the server stops answering.
    h.pong = None;
    h.advance(1_499);
    assert!(h.kinds().is_empty());
    h.advance(100);
    assert_eq!(h.kinds(), ["heartbeat_timeout"]);
    assert_eq!(h.seen.disconnects, [4000]);
    assert_eq!(h.seen.states.last(), Some(&ConnectionState::Reconnecting));
    // The socket's own close, arriving later, is not a second report.
    h.closed(1006, false);
    assert_eq!(h.kinds(), ["heartbeat_timeout"]);
}

#[test]
fn busy_connections_are_not_pinged_and_not_judged_stale() {
    let mut h = netra();
    h.pong = None;
    for i in 0..100 {
        h.advance(400);
        h.frame(&format!(r#"{{"type":"stream_chunk","data":{{"i":{i}}}}}"#));
    }
    assert!(h.kinds().is_empty(), "{:?}", h.kinds());
    assert!(!h.seen.sent.iter().any(|f| f.contains("ping")));
}

#[test]
fn a_throttled_timer_neither_hides_a_dead_socket_nor_invents_one() {
    // The page sleeps for a minute: every deadline is overdue when the timer finally fires.
    let mut h = netra();
    let id = h.send("hello");
    h.now += 60_000;
    h.tracker.handle_timeout(h.at());
    h.drain();
    assert!(h.kinds().is_empty(), "judged on silence after a sleep: {:?}", h.kinds());
    assert_eq!(h.tracker.health().wakes, 1);
    assert!(h.seen.sent.last().is_some_and(|f| f.contains("ping")), "a probe ping goes out");
    // The frames queued while asleep arrive: the connection is alive, the message acked.
    h.frame(&netra_ack(id));
    h.frame(&netra_run("r")[0]);
    h.advance(100);
    assert!(h.kinds().is_empty(), "{:?}", h.kinds());
    assert_eq!(h.seen.acks.len(), 1);

    // Same sleep, but the socket died meanwhile: found within one heartbeat timeout.
    let mut h = netra();
    h.pong = None;
    h.now += 60_000;
    h.tracker.handle_timeout(h.at());
    h.drain();
    assert!(h.kinds().is_empty());
    h.advance(500);
    assert_eq!(h.kinds(), ["heartbeat_timeout"]);
}

#[test]
fn malformed_oversized_and_hostile_frames_are_violations_not_panics() {
    let mut h = Harness::new(Config { max_frame_bytes: 4096, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    let deep = "{\"a\":".repeat(200) + "1" + &"}".repeat(200);
    let big = format!(r#"{{"type":"agent_thinking","run_id":"r","payload":{{"reasoning":"{}"}}}}"#, "x".repeat(5000));
    let bad = [
        "not json",
        "[1,2]",
        r#"{"type":42}"#,
        r#"{"no_type":true}"#,
        deep.as_str(),
        big.as_str(),
        "{\"type\":\"a\u{0}\"}",
        "",
        "{\"type\":\"x\",\"seq\":-1}",
    ];
    for frame in bad {
        h.frame(frame);
    }
    assert_eq!(h.count("protocol_violation"), 8, "{:?}", h.kinds());
    // A frame with a number where a string belongs is delivered; its run is not tracked.
    h.frame(r#"{"type":"agent_started","run_id":7,"payload":{}}"#);
    // Unknown event types pass through.
    h.frame(r#"{"type":"partial_result","run_id":"r","data":{"text":"hi"}}"#);
    assert_eq!(h.event_types(), ["x", "agent_started", "partial_result"]);
}

#[test]
fn server_errors_are_reported() {
    let mut h = netra();
    h.frame(r#"{"type":"error_message","error_code":"AGENT_FAILED","error_message":"Tool backend unavailable","details":{}}"#);
    h.frame(r#"{"type":"connection_error","data":{"message":"Upstream unavailable","support_code":"SUP-7"}}"#);
    h.frame(&netra_run("r")[0]);
    h.frame(r#"{"type":"agent_error","run_id":"r","payload":{"error":"boom"}}"#);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["server_error", "server_error", "server_error"]);
    assert_eq!(h.seen.failures[0].detail, "error_message: AGENT_FAILED: Tool backend unavailable");
    assert_eq!(h.seen.failures[1].detail, "connection_error: Upstream unavailable support SUP-7");
}

#[test]
fn a_lost_connection_reconnects_with_backoff_and_flushes_the_buffer() {
    let mut h = netra();
    h.closed(1006, false);
    assert_eq!(h.kinds(), ["connection_lost"]);
    assert_eq!(h.seen.failures[0].severity, Severity::Warning);
    assert!(h.seen.failures[0].detail.contains("code 1006 (unclean)"));
    let id = h.send("while down");
    h.reopen(NETRA_HANDSHAKE);
    assert_eq!(h.seen.states.last(), Some(&ConnectionState::Open));
    assert_eq!(h.seen.recoveries.len(), 1);
    assert_eq!(h.seen.recoveries[0].verdict, Verdict::None);
    assert!(h.seen.sent.last().is_some_and(|f| f.contains(&id.to_wire())));
    assert_eq!(h.tracker.health().reconnects, 1);
}

#[test]
fn giving_up_ends_every_pending_message_sent_or_not() {
    let mut h =
        Harness::new(Config { reconnect: Reconnect { max_attempts: 1, ..Reconnect::default() }, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    let sent = h.send("sent");
    h.closed(1011, true);
    let buffered = h.send("buffered");
    h.advance_until(|h| h.seen.connects == 2, 60_000);
    h.closed(1006, false);
    // The reconnect never opened; the message on the wire is unacknowledged, not unsent; both
    // are consequences of the one loss, the connection given up.
    assert_eq!(h.kinds(), ["connection_lost", "connect_failed", "unacknowledged", "send_failed"]);
    let severities: Vec<_> = h.seen.failures.iter().map(|f| f.severity).collect();
    assert_eq!(severities, [Severity::Warning, Severity::Critical, Severity::Warning, Severity::Warning]);
    let incident = h.seen.failures[1].incident;
    assert!(incident.is_some() && h.seen.failures[2..].iter().all(|f| f.incident == incident));
    let ids: Vec<_> = h.seen.failures[2..].iter().map(|f| f.message_id).collect();
    assert_eq!(ids, [Some(sent), Some(buffered)]);
    let ends: Vec<_> = h.seen.turns.iter().filter(|t| t.state.is_final()).map(|t| (t.message_id, t.state)).collect();
    assert_eq!(ends, [(sent, TurnState::Incomplete), (buffered, TurnState::Failed)]);
    assert_eq!(h.seen.states.last(), Some(&ConnectionState::Closed));
    // After that, sending fails at once.
    h.send("late");
    assert_eq!(h.kinds().last(), Some(&"send_failed"));
}

#[test]
fn every_message_ends_in_exactly_one_outcome() {
    let mut h = netra();
    let acked = h.send("a");
    let timed_out = h.send("b");
    let unsendable = h.tracker.send_user_message(h.at(), "c", SendOptions::default());
    let transmit = h.tracker.poll_transmit().unwrap();
    assert_eq!(transmit.message, Some(unsendable));
    h.tracker.handle_transmit_failed(h.at(), transmit);
    h.drain();
    h.frame(&netra_ack(acked));
    h.advance(10_000);
    h.tracker.close(h.at());
    h.drain();
    let outcome = |id| {
        let acks = h.seen.acks.iter().filter(|r| r.message_id == id).count();
        acks + h.seen.failures.iter().filter(|f| f.message_id == Some(id) && f.outcome).count()
    };
    for id in [acked, timed_out, unsendable] {
        assert_eq!(outcome(id), 1, "{id:?}: {:?}", h.kinds());
    }
}

#[test]
fn caps_hold_and_are_reported() {
    // Run table: the oldest open run stops being watched, with a warning.
    let mut h = Harness::new(Config { run_table_cap: 3, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    for i in 0..4 {
        h.frame(&netra_run(&format!("r{i}"))[0]);
    }
    assert_eq!(h.kinds(), ["run_stalled"]);
    assert_eq!(h.seen.failures[0].run_id.as_deref(), Some("r0"));
    assert_eq!(h.tracker.health().open_runs, 3);

    // Send buffer: a message over the cap fails at once.
    let mut h = Harness::new(Config { send_buffer_cap: 2, ..test_config() });
    h.tracker.connect(h.at());
    for _ in 0..3 {
        h.send("x");
    }
    assert_eq!(h.kinds(), ["send_failed"]);

    // Output queue: an application that does not drain loses events, and is told.
    let mut t = Tracker::new(Config { output_queue_cap: 8, ..test_config() }).unwrap();
    t.connect(chat_sentinel::core::Instant::from_millis(0));
    t.handle_open(chat_sentinel::core::Instant::from_millis(0), "");
    t.handle_frame(chat_sentinel::core::Instant::from_millis(0), NETRA_HANDSHAKE);
    for i in 0..20 {
        let frame = format!(r#"{{"type":"stream_chunk","data":{{"i":{i}}}}}"#);
        t.handle_frame(chat_sentinel::core::Instant::from_millis(1), &frame);
    }
    let mut outputs = Vec::new();
    while let Some(o) = t.poll_output() {
        outputs.push(o);
    }
    let last = outputs.last().unwrap();
    match last {
        chat_sentinel::core::Output::Failure(r) => {
            assert_eq!(r.kind, FailureKind::MissingEvent);
            // The queue of 8 also holds the states and the connect() outcome (commands have
            // their own queue).
            assert!(r.detail.starts_with("15 outputs were dropped"), "{}", r.detail);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.health().dropped_outputs, 15);
}

#[test]
fn both_envelope_generations_are_read() {
    let mut h = netra();
    h.frame(r#"{"type":"agent_started","data":{"run_id":"r","agent_name":"a"},"timestamp":1757620212.1}"#);
    h.frame(r#"{"type":"agent_thinking","run_id":"r","payload":{"thought":"hm"},"timestamp":"2025-09-14T10:00:00Z"}"#);
    h.frame(r#"{"type":"tool_executing","run_id":"r","tool_name":"q","data":{"parameters":{}}}"#);
    h.frame(r#"{"type":"tool_completed","data":{"tool":"q","run_id":"r"},"recovered":true}"#);
    h.frame(r#"{"type":"agent_completed","data":{"run_id":"r"}}"#);
    h.advance(1_000);
    assert!(h.kinds().is_empty(), "{:?}", h.kinds());
    assert!(h.seen.events[3].recovered);
    assert!(h.seen.events.iter().all(|e| e.run_id.as_deref() == Some("r")));
    // A recovered replay of something already delivered is a duplicate.
    h.frame(r#"{"type":"agent_completed","data":{"run_id":"r"},"recovered":true}"#);
    assert_eq!(h.kinds(), ["duplicate"]);
}

#[test]
fn no_handshake_is_a_failed_connect_and_connect_is_retried() {
    let mut h = Harness::new(test_config());
    h.tracker.connect(h.at());
    h.tracker.handle_open(h.at(), "");
    h.drain();
    h.advance(1_000);
    assert_eq!(h.kinds(), ["connect_failed"]);
    assert!(h.seen.failures[0].detail.starts_with("the connection never opened: the socket opened but no handshake"));
    h.reopen(NETRA_HANDSHAKE);
    assert_eq!(h.seen.states, [ConnectionState::Connecting, ConnectionState::Reconnecting, ConnectionState::Open]);
}

#[test]
fn invalid_configuration_is_rejected() {
    for (config, field) in [
        (Config { heartbeat_interval_ms: 0, ..Config::default() }, "heartbeatIntervalMs"),
        (
            Config { reconnect: Reconnect { min_delay_ms: 10, max_delay_ms: 5, max_attempts: 1 }, ..Config::default() },
            "reconnect.maxDelayMs",
        ),
        (Config { required_events: vec![String::new()], ..Config::default() }, "requiredEvents"),
        (Config { dedup_window: 0, ..Config::default() }, "dedupWindow"),
    ] {
        assert_eq!(Tracker::new(config).err().map(|e| e.field), Some(field));
    }
}

/// The `event_confirmation` frames the client sent, in order.
fn confirmations(h: &Harness) -> Vec<&str> {
    h.seen.sent.iter().filter(|t| t.contains(r#""type":"event_confirmation""#)).map(String::as_str).collect()
}

/// Netra's run `run` with an `event_id` on each event: top level, or in the body for the two
/// that carry their ids there.
fn identified_run(run: &str) -> Vec<String> {
    netra_run(run)
        .into_iter()
        .enumerate()
        .map(|(i, frame)| match i {
            3 | 4 => frame.replacen(r#""data": {"#, &format!(r#""data": {{"event_id": "{run}-e{i}", "#), 1),
            _ => frame.replacen('{', &format!(r#"{{"event_id": "{run}-e{i}", "#), 1),
        })
        .collect()
}

const CONFIRMING_HANDSHAKE: &str =
    r#"{"type":"connection_established","data":{"connection_id":"conn_9","event_confirmation":true}}"#;

#[test]
fn a_handshake_that_asks_gets_each_agent_event_confirmed_once() {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, ..test_config() });
    h.open(CONFIRMING_HANDSHAKE);
    h.send("hi");
    let frames = identified_run("r1");
    for f in &frames {
        h.frame(f);
    }
    h.frame(&frames[0]); // a copy: not delivered, not confirmed again
    let expected: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"type":"event_confirmation","event_id":"r1-e{i}","status":"confirmed"}}"#))
        .collect();
    assert_eq!(confirmations(&h), expected);
    assert_eq!(h.kinds(), ["duplicate"]);
}

#[test]
fn events_are_not_confirmed_unless_the_handshake_or_the_option_asks() {
    let mut quiet = netra();
    quiet.send("hi");
    for f in &identified_run("r1") {
        quiet.frame(f);
    }
    assert!(confirmations(&quiet).is_empty(), "{:?}", confirmations(&quiet));

    let mut forced = Harness::new(Config { dialect: DialectChoice::Netra, confirm_events: true, ..test_config() });
    forced.open(NETRA_HANDSHAKE);
    forced.send("hi");
    let frames = identified_run("r1");
    for f in &frames {
        forced.frame(f);
    }
    assert_eq!(confirmations(&forced).len(), 5, "{:?}", forced.seen.sent);
}

#[test]
fn an_event_lost_on_the_way_is_never_confirmed() {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, ..test_config() });
    h.open(CONFIRMING_HANDSHAKE);
    h.send("hi");
    let frames = identified_run("r1");
    for (i, f) in frames.iter().enumerate() {
        if i != 2 {
            h.frame(f);
        }
    }
    h.advance(1_000);
    let confirmed = confirmations(&h).join(" ");
    assert!(!confirmed.contains("r1-e2"), "{confirmed}");
    assert_eq!(confirmations(&h).len(), 4);
    assert!(h.kinds().contains(&"missing_event"), "{:?}", h.kinds());
}

#[test]
fn an_event_the_application_never_got_is_never_confirmed() {
    // An output queue of 2 that the application does not drain: the events past it are
    // dropped (and reported), so the server must not hear that they were delivered.
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, output_queue_cap: 2, ..test_config() });
    h.open(CONFIRMING_HANDSHAKE);
    let (events, kinds) = h.undrained(&identified_run("r1"));
    let sent: Vec<String> = std::iter::from_fn(|| h.tracker.poll_transmit()).map(|t| t.text).collect();
    let expected: Vec<String> = (0..2)
        .map(|i| format!(r#"{{"type":"event_confirmation","event_id":"r1-e{i}","status":"confirmed"}}"#))
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["agent_started", "agent_thinking"]);
    assert_eq!(kinds, ["missing_event"], "the dropped events are reported");
}
