//! Turns and incidents: every user message's turn ends in exactly one verdict, every report
//! about its run names it, and one loss is one critical report however many checks it trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
#![cfg(not(target_arch = "wasm32"))]

mod common;

use chat_sentinel::core::{Config, Credential, DialectChoice, FailureKind, MessageId, Severity, TurnState};
use common::*;

const S: &str = "s-1";

fn netra(config: Config) -> Harness {
    let mut h = Harness::new(Config { dialect: DialectChoice::Netra, ..config });
    h.open(NETRA_HANDSHAKE);
    h
}

fn sequenced() -> Harness {
    let mut h = Harness::new(test_config());
    h.pong = Some(r#"{"type":"pong","head_seq":0}"#.to_owned());
    h.open(&sequenced_handshake(S, 0));
    h
}

/// The sequenced run `id` as frames, seq from `first`.
fn seq_frames(first: u64, id: &str) -> Vec<String> {
    seq_run(S, first, id).into_iter().map(|(_, frame)| frame).collect()
}

fn seq_ack(id: MessageId, run: &str) -> String {
    format!(r#"{{"type":"ack","message_id":"{}","run_id":"{run}"}}"#, id.to_wire())
}

/// The states turn `id` went through.
fn states(h: &Harness, id: MessageId) -> Vec<TurnState> {
    h.seen.turns.iter().filter(|t| t.message_id == id).map(|t| t.state).collect()
}

fn criticals(h: &Harness) -> Vec<&'static str> {
    h.seen.failures.iter().filter(|f| f.severity == Severity::Critical).map(|f| f.kind.as_str()).collect()
}

#[test]
fn netra_without_an_ack_frame_infers_the_ack_from_the_first_event_and_raises_nothing() {
    let mut h = netra(test_config());
    let id = h.send("what did we spend?");
    h.advance(1_500);
    for frame in netra_run("r1") {
        h.frame(&frame);
    }
    // Well past the ack timeout: no acknowledgement frame ever came, and none was needed.
    h.advance(10_000);
    assert!(h.kinds().is_empty(), "{:?}", h.seen.failures);
    assert_eq!(h.seen.acks.len(), 1);
    let receipt = &h.seen.acks[0];
    assert_eq!((receipt.message_id, receipt.run_id.as_deref(), receipt.inferred), (id, Some("r1"), true));
    assert_eq!(receipt.latency_ms, 1_500);
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Running, TurnState::Complete]);
    let last = h.seen.turns.last().unwrap();
    assert_eq!((last.run_id.as_deref(), last.incident, last.report.is_none()), (Some("r1"), None, true));
}

#[test]
fn netra_without_any_answer_is_one_no_response_not_an_ack_timeout_too() {
    let mut h = netra(test_config());
    let id = h.send("hello?");
    h.advance(10_000);
    assert_eq!(h.kinds(), ["no_response"]);
    assert_eq!(criticals(&h), ["no_response"]);
    assert_eq!(h.seen.failures[0].message_id, Some(id));
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Incomplete]);
    assert_eq!(h.seen.turns.last().unwrap().incident, h.seen.failures[0].incident);
}

#[test]
fn netra_with_explicit_acks_required_times_an_ack_out() {
    let mut h = netra(Config { require_explicit_ack: true, ..test_config() });
    let id = h.send("hello");
    h.advance(1_000);
    for frame in netra_run("r1") {
        h.frame(&frame);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["ack_timeout"]);
    assert_eq!(h.seen.failures[0].message_id, Some(id));
    assert!(h.seen.acks.is_empty());
    // The run answered the message: the turn completed, the missing frame is reported anyway.
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Running, TurnState::Complete]);
}

#[test]
fn an_ack_frame_ties_a_netra_message_to_its_run_even_when_another_answers_first() {
    let mut h = netra(test_config());
    let first = h.send("first");
    let second = h.send("second");
    h.frame(&netra_ack(second));
    // The server says nothing of which run is whose: first new run, oldest message first.
    for frame in netra_run("a") {
        h.frame(&frame);
    }
    for frame in netra_run("b") {
        h.frame(&frame);
    }
    h.advance(1_000);
    assert!(h.kinds().is_empty(), "{:?}", h.seen.failures);
    let receipts: Vec<_> = h.seen.acks.iter().map(|r| (r.message_id, r.run_id.clone(), r.inferred)).collect();
    assert_eq!(receipts, [(second, None, false), (first, Some("a".to_owned()), true)]);
    assert_eq!(states(&h, first), [TurnState::Sent, TurnState::Running, TurnState::Complete]);
    assert_eq!(states(&h, second), [TurnState::Sent, TurnState::Acknowledged, TurnState::Running, TurnState::Complete]);
    assert_eq!(h.seen.turns.last().unwrap().run_id.as_deref(), Some("b"));
}

#[test]
fn a_lost_tool_executing_is_one_critical_report_in_netra() {
    let mut h = netra(test_config());
    let id = h.send("q");
    let run = netra_run("r1");
    for i in [0, 1, 3, 4] {
        h.frame(&run[i]);
    }
    h.advance(10_000);
    assert_eq!(criticals(&h), ["missing_event"], "{:?}", h.seen.failures);
    let incident = h.seen.failures.iter().find(|f| f.severity == Severity::Critical).unwrap().incident;
    assert!(incident.is_some());
    for f in &h.seen.failures {
        assert_eq!((f.message_id, f.run_id.as_deref(), f.incident), (Some(id), Some("r1"), incident), "{f:?}");
    }
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Running, TurnState::Incomplete]);
    let end = h.seen.turns.last().unwrap();
    assert_eq!(end.incident, incident);
    assert_eq!(end.report.as_ref().map(|r| r.kind), Some(FailureKind::MissingEvent));
}

#[test]
fn a_lost_tool_executing_is_one_critical_report_in_sequenced() {
    let mut h = sequenced();
    let id = h.send("q");
    h.frame(&seq_ack(id, "r1"));
    let run = seq_frames(1, "r1");
    for i in [0, 1, 3, 4] {
        h.frame(&run[i]);
    }
    h.advance(10_000);
    assert_eq!(criticals(&h), ["seq_gap"], "{:?}", h.seen.failures);
    assert!(h.count("missing_event") >= 1, "{:?}", h.kinds());
    let incident = h.seen.failures[0].incident;
    assert!(incident.is_some() && h.seen.failures.iter().all(|f| f.incident == incident));
    assert!(
        h.seen.failures.iter().filter(|f| f.run_id.is_some()).all(|f| f.message_id == Some(id)),
        "{:?}",
        h.seen.failures
    );
    assert_eq!(h.seen.acks[0].run_id.as_deref(), Some("r1"));
    assert_eq!(states(&h, id).last(), Some(&TurnState::Incomplete));
    assert_eq!(h.seen.turns.last().unwrap().incident, incident);
}

#[test]
fn a_stalled_run_is_one_critical_report_and_its_missing_events_join_it() {
    let mut h = netra(test_config());
    let id = h.send("q");
    h.frame(&netra_run("r1")[0]);
    h.advance(30_000);
    assert_eq!(criticals(&h), ["run_stalled"], "{:?}", h.seen.failures);
    let incident = h.seen.failures[0].incident;
    assert!(h.seen.failures.iter().all(|f| f.incident == incident && f.message_id == Some(id)));
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Running, TurnState::Running, TurnState::Incomplete]);
    assert_eq!(h.seen.turns.last().unwrap().incident, incident);
}

#[test]
fn a_stalled_run_that_then_closes_completes_its_turn() {
    let mut h = netra(test_config());
    let id = h.send("q");
    let run = netra_run("r1");
    h.frame(&run[0]);
    h.advance(5_000);
    assert_eq!(h.kinds(), ["run_stalled"]);
    for frame in &run[1..] {
        h.frame(frame);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["run_stalled"]);
    assert_eq!(states(&h, id).last(), Some(&TurnState::Complete));
}

#[test]
fn the_credential_accepted_as_subprotocol_is_one_critical_report_without_the_token() {
    let token = "s3cr3t-token-value";
    let mut h = Harness::new(Config { credential: Some(Credential::new(token.to_owned())), ..test_config() });
    h.tracker.connect(h.at());
    h.drain();
    let echoed = format!("jwt.{}", Credential::new(token.to_owned()).encoded());
    h.tracker.handle_open(h.at(), &echoed);
    h.frame(NETRA_HANDSHAKE);
    assert_eq!(h.kinds(), ["credential_echoed"]);
    assert_eq!(criticals(&h), ["credential_echoed"]);
    assert!(!h.seen.failures[0].detail.contains(token) && !h.seen.failures[0].detail.contains(&echoed));
    // The connection itself works.
    assert_eq!(h.tracker.health().state, chat_sentinel::core::ConnectionState::Open);
}

#[test]
fn the_plain_auth_subprotocol_is_no_echo() {
    let mut h = Harness::new(Config { credential: Some(Credential::new("tok".to_owned())), ..test_config() });
    h.tracker.connect(h.at());
    h.drain();
    h.tracker.handle_open(h.at(), "jwt-auth");
    h.frame(NETRA_HANDSHAKE);
    assert!(h.kinds().is_empty());
}

#[test]
fn a_message_on_the_wire_when_the_server_dies_is_unacknowledged_not_send_failed() {
    let mut h = Harness::new(Config {
        reconnect: chat_sentinel::core::Reconnect { max_attempts: 0, ..Default::default() },
        ..test_config()
    });
    h.open(NETRA_HANDSHAKE);
    let id = h.send("q");
    h.closed(1006, false);
    assert_eq!(h.kinds(), ["connection_lost", "unacknowledged"]);
    assert_eq!(criticals(&h), ["connection_lost"]);
    let f = &h.seen.failures[1];
    assert_eq!(f.message_id, Some(id));
    assert!(f.detail.starts_with("sent, but never acknowledged"), "{}", f.detail);
    assert_eq!(f.incident, h.seen.failures[0].incident);
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Incomplete]);
}

#[test]
fn closing_the_client_ends_every_turn_with_warnings_only() {
    let mut h = netra(test_config());
    let unacked = h.send("a");
    let running = h.send("b");
    h.frame(&netra_ack(running));
    h.tracker.close(h.at());
    h.drain();
    assert!(criticals(&h).is_empty(), "{:?}", h.seen.failures);
    assert_eq!(states(&h, unacked).last(), Some(&TurnState::Incomplete));
    assert_eq!(states(&h, running).last(), Some(&TurnState::Incomplete));
    assert_eq!(h.kinds(), ["unacknowledged", "connection_lost"]);
}

#[test]
fn every_report_kind_has_a_distinct_stable_name() {
    let names: std::collections::HashSet<_> = FailureKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names.len(), FailureKind::ALL.len());
    for name in ["unacknowledged", "connect_failed", "credential_echoed"] {
        assert!(names.contains(name), "{name}");
    }
}

#[test]
fn closing_right_after_the_last_event_completes_the_turn() {
    let mut h = netra(test_config());
    let id = h.send("q");
    for frame in netra_run("r1") {
        h.frame(&frame);
    }
    h.tracker.close(h.at());
    h.drain();
    assert!(h.kinds().is_empty(), "{:?}", h.seen.failures);
    assert_eq!(states(&h, id), [TurnState::Sent, TurnState::Running, TurnState::Complete]);
}
