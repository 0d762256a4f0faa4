//! The detectors in the `sequenced` dialect: gaps, tails, duplicates, reorders and resume.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
#![cfg(not(target_arch = "wasm32"))]

mod common;

use chat_sentinel::core::{Config, Dialect, SeqRange, Verdict};
use common::*;

const S: &str = "s-1";

fn sequenced() -> Harness {
    let mut h = Harness::new(test_config());
    h.pong = Some(r#"{"type":"pong","head_seq":0}"#.to_owned());
    h.open(&sequenced_handshake(S, 0));
    assert_eq!(h.tracker.health().dialect, Some(Dialect::Sequenced));
    h
}

/// The events of one run as (seq, frame), seq starting at `first`.
fn run(first: u64, id: &str) -> Vec<(u64, String)> {
    seq_run(S, first, id)
}

fn pong(head: u64) -> String {
    format!(r#"{{"type":"pong","head_seq":{head}}}"#)
}

#[test]
fn in_order_events_are_delivered_and_acked_cumulatively() {
    let mut h = sequenced();
    for i in 0..20 {
        for (_, f) in run(1 + i * 5, &format!("r{i}")) {
            h.frame(&f);
        }
    }
    h.pong = Some(pong(100));
    h.advance(10_000);
    assert!(h.kinds().is_empty(), "{:?}", h.kinds());
    assert_eq!(h.seen.events.len(), 100);
    assert!(h.seen.events.windows(2).all(|w| w[0].seq.unwrap() + 1 == w[1].seq.unwrap()));
    assert!(h.seen.sent.contains(&r#"{"type":"ack","seq":64}"#.to_owned()), "{:?}", h.seen.sent);
    assert!(h.seen.sent.contains(&r#"{"type":"ack","seq":100}"#.to_owned()));
}

#[test]
fn a_hole_not_filled_in_the_window_is_a_seq_gap() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 1, 3, 4] {
        h.frame(&events[i].1);
    }
    assert_eq!(h.seen.events.len(), 2, "held until the window ends");
    h.advance(99);
    assert!(h.kinds().is_empty());
    h.advance(1);
    assert_eq!(h.kinds(), ["seq_gap"]);
    assert_eq!(h.seen.failures[0].seq, Some(SeqRange::new(3, 3)));
    assert_eq!(h.seen.events.len(), 4);
    h.advance(100);
    assert_eq!(h.kinds(), ["seq_gap", "missing_event"]);
    // tool_completed without its tool_executing: the run watchdog agrees.
    assert!(h.seen.failures[1].detail.contains("without its tool_executing"));
}

#[test]
fn a_hole_filled_in_the_window_is_only_out_of_order() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 2, 1, 3, 4] {
        h.frame(&events[i].1);
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["out_of_order"]);
    let seqs: Vec<_> = h.seen.events.iter().map(|e| e.seq.unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
}

#[test]
fn a_lost_last_event_is_a_tail_gap_at_the_next_pong() {
    let mut h = sequenced();
    for (_, f) in &run(1, "r")[..4] {
        h.frame(f);
    }
    h.pong = Some(pong(5));
    h.advance(1_000);
    assert!(h.kinds().is_empty());
    h.advance(200);
    assert_eq!(h.kinds(), ["tail_gap"]);
    assert_eq!(h.seen.failures[0].seq, Some(SeqRange::new(5, 5)));
    // A server heartbeat carries the head too.
    h.frame(r#"{"type":"heartbeat","head_seq":7}"#);
    h.advance(100);
    assert_eq!(h.kinds(), ["tail_gap", "tail_gap"]);
    assert_eq!(h.seen.failures[1].seq, Some(SeqRange::new(6, 7)));
}

#[test]
fn a_repeated_seq_is_a_duplicate_and_not_delivered() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 0, 1, 2, 2, 2, 3, 4, 1] {
        h.frame(&events[i].1);
    }
    assert_eq!(h.kinds(), ["duplicate"; 4]);
    assert_eq!(h.seen.events.len(), 5);
}

#[test]
fn a_late_arrival_after_its_gap_was_reported_is_delivered_as_out_of_order() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 2] {
        h.frame(&events[i].1);
    }
    h.advance(100);
    assert_eq!(h.kinds(), ["seq_gap"]);
    h.frame(&events[1].1);
    assert_eq!(h.kinds(), ["seq_gap", "out_of_order"]);
    h.frame(&events[1].1);
    assert_eq!(h.kinds(), ["seq_gap", "out_of_order", "duplicate"]);
}

#[test]
fn bad_sequence_fields_are_violations() {
    let mut h = sequenced();
    for frame in [
        r#"{"type":"agent_started","session":"s-1","seq":"abc","run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"s-1","seq":-3,"run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"s-1","seq":1.5,"run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"s-1","seq":0,"run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"s-1","seq":99999999999999999999,"run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"s-1","seq":9007199254740993,"run_id":"r","data":{}}"#,
        r#"{"type":"agent_started","session":"other","seq":1,"run_id":"r","data":{}}"#,
        r#"{"type":"pong","head_seq":"x"}"#,
    ] {
        h.frame(frame);
    }
    assert_eq!(h.kinds(), ["protocol_violation"; 8]);
    assert!(h.seen.events.is_empty());
    h.advance(1_000);
    assert_eq!(h.count("protocol_violation"), 8, "no gap invented from junk: {:?}", h.kinds());
}

fn reconnected(h: &mut Harness, delivered: u64) {
    for (_, f) in &run(1, "r")[..delivered as usize] {
        h.frame(f);
    }
    h.closed(1006, false);
    h.reopen(&sequenced_handshake("s-2", 0));
    let resume = format!(r#"{{"type":"resume","session":"s-1","last_seq":{delivered}}}"#);
    assert_eq!(h.seen.sent.last(), Some(&resume));
}

#[test]
fn resume_with_a_full_replay() {
    let mut h = sequenced();
    reconnected(&mut h, 2);
    h.frame(r#"{"type":"resumed","session":"s-1","from_seq":3,"head_seq":5}"#);
    for (_, f) in &run(1, "r")[2..] {
        h.frame(&f.replace('}', r#","recovered":true}"#));
    }
    h.advance(1_000);
    assert_eq!(h.kinds(), ["connection_lost"]);
    assert_eq!(h.seen.recoveries.len(), 1);
    assert_eq!(h.seen.recoveries[0].verdict, Verdict::Full);
    assert_eq!(h.seen.events.len(), 5);
    assert!(h.seen.events[2].recovered);
}

#[test]
fn resume_with_a_partial_replay() {
    let mut h = sequenced();
    reconnected(&mut h, 2);
    h.frame(r#"{"type":"resumed","session":"s-1","from_seq":5,"head_seq":5}"#);
    h.frame(&run(1, "r")[4].1);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["connection_lost", "recovery_failed"]);
    assert_eq!(h.seen.recoveries[0].verdict, Verdict::Partial);
    assert_eq!(h.seen.recoveries[0].missing, [SeqRange::new(3, 4)]);
    assert_eq!(h.seen.failures[1].seq, Some(SeqRange::new(3, 4)));
}

#[test]
fn resume_failed_moves_to_the_new_session() {
    let mut h = sequenced();
    reconnected(&mut h, 2);
    h.frame(r#"{"type":"resume_failed","session":"s-1","reason":"unknown_session"}"#);
    assert_eq!(h.kinds(), ["connection_lost", "recovery_failed"]);
    assert_eq!(h.seen.recoveries[0].verdict, Verdict::None);
    assert_eq!(h.seen.recoveries[0].missing, [SeqRange { from: 3, to: None }]);
    // The new session counts from its own head.
    h.frame(&seq_event("s-2", 1, "agent_started", "r2", None));
    assert_eq!(h.seen.events.last().map(|e| e.run_id.as_deref()), Some(Some("r2")));
    assert_eq!(h.kinds().len(), 2);
}

#[test]
fn an_unanswered_resume_fails_after_the_handshake_timeout() {
    let mut h = sequenced();
    reconnected(&mut h, 1);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["connection_lost", "recovery_failed"]);
    assert!(h.seen.failures[1].detail.contains("no answer to resume"));
}

#[test]
fn a_hole_open_at_disconnect_waits_for_the_resume() {
    let mut h = sequenced();
    let events = run(1, "r");
    h.frame(&events[0].1);
    h.frame(&events[2].1);
    h.closed(1006, false);
    h.advance(400);
    assert_eq!(h.kinds(), ["connection_lost"], "no gap while the resume may fill it");
    h.reopen(&sequenced_handshake("s-2", 0));
    h.frame(r#"{"type":"resumed","session":"s-1","from_seq":2,"head_seq":3}"#);
    h.frame(&events[1].1);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["connection_lost", "out_of_order"]);
    assert_eq!(h.seen.events.len(), 3);
}

#[test]
fn auto_detects_netra_from_its_handshake() {
    let mut h = Harness::new(Config::default());
    h.open(NETRA_HANDSHAKE);
    assert_eq!(h.tracker.health().dialect, Some(Dialect::Netra));
}

#[test]
fn forced_sequenced_rejects_a_handshake_without_a_session() {
    let mut h = Harness::new(Config { dialect: chat_sentinel::core::DialectChoice::Sequenced, ..test_config() });
    h.open(NETRA_HANDSHAKE);
    assert_eq!(h.kinds(), ["protocol_violation"]);
}

/// The acks the client sent, in order.
fn acks(h: &Harness) -> Vec<&str> {
    h.seen.sent.iter().filter(|t| t.starts_with(r#"{"type":"ack""#)).map(String::as_str).collect()
}

#[test]
fn a_delivered_event_is_acked_within_the_ack_delay_without_waiting_for_a_ping() {
    let mut h = sequenced();
    let events = run(1, "r");
    h.frame(&events[0].1);
    h.frame(&events[1].1);
    assert!(acks(&h).is_empty(), "not one ack per event: {:?}", acks(&h));
    h.advance(249);
    assert!(acks(&h).is_empty(), "{:?}", acks(&h));
    h.advance(1);
    assert_eq!(acks(&h), [r#"{"type":"ack","seq":2}"#], "250 ms after the first unacked delivery");
    h.advance(1_000);
    assert_eq!(acks(&h).len(), 1, "nothing more is owed: {:?}", acks(&h));
}

#[test]
fn acks_stay_bounded_by_the_event_count_in_a_burst() {
    let mut h = sequenced();
    for i in 0..40 {
        for (_, f) in run(1 + i * 5, &format!("r{i}")) {
            h.frame(&f);
        }
    }
    assert_eq!(acks(&h), [r#"{"type":"ack","seq":64}"#, r#"{"type":"ack","seq":128}"#, r#"{"type":"ack","seq":192}"#]);
    h.advance(250);
    assert_eq!(acks(&h).last(), Some(&r#"{"type":"ack","seq":200}"#), "the rest within the delay");
    assert_eq!(acks(&h).len(), 4);
}

#[test]
fn an_ack_past_a_hole_names_the_range_given_up_on() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 1, 3, 4] {
        h.frame(&events[i].1);
    }
    h.advance(100);
    assert_eq!(h.kinds(), ["seq_gap"]);
    h.advance(250);
    assert_eq!(acks(&h).last(), Some(&r#"{"type":"ack","seq":5,"lost":[[3,3]]}"#), "{:?}", acks(&h));
    h.advance(1_000);
    assert!(acks(&h).iter().skip(1).all(|a| !a.contains("lost")), "a range is named once: {:?}", acks(&h));
}

#[test]
fn an_event_the_application_never_got_is_acked_as_lost() {
    // An output queue of 2 that the application does not drain: events 3 to 5 arrive but are
    // dropped (and reported), so the ack must not count them as delivered.
    let mut h = Harness::new(Config { output_queue_cap: 2, ..test_config() });
    h.pong = Some(r#"{"type":"pong","head_seq":0}"#.to_owned());
    h.open(&sequenced_handshake(S, 0));
    let frames: Vec<String> = run(1, "r").into_iter().map(|(_, f)| f).collect();
    let (events, kinds) = h.undrained(&frames);
    assert_eq!(events.iter().filter_map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(kinds, ["missing_event"], "the dropped events are reported");
    h.advance(250);
    assert_eq!(acks(&h), [r#"{"type":"ack","seq":5,"lost":[[3,5]]}"#]);
}

#[test]
fn closing_sends_the_ack_still_owed_before_the_close() {
    let mut h = sequenced();
    for (_, f) in run(1, "r") {
        h.frame(&f);
    }
    assert!(acks(&h).is_empty(), "within the ack delay: {:?}", acks(&h));
    h.tracker.close(h.at());
    h.drain();
    assert_eq!(acks(&h), [r#"{"type":"ack","seq":5}"#], "what arrived, before the socket closes");
    assert_eq!(h.seen.disconnects, [1000]);
}

#[test]
fn a_lost_tail_is_named_by_the_next_ack() {
    let mut h = sequenced();
    let events = run(1, "r");
    for i in [0, 1, 2] {
        h.frame(&events[i].1);
    }
    h.advance(250);
    assert_eq!(acks(&h), [r#"{"type":"ack","seq":3}"#]);
    h.frame(&pong(5));
    h.advance(100);
    assert_eq!(h.kinds(), ["tail_gap"]);
    h.advance(250);
    assert_eq!(acks(&h).last(), Some(&r#"{"type":"ack","seq":5,"lost":[[4,5]]}"#), "{:?}", acks(&h));
}
