//! The reliability classes of issue 15, one test each: losses the tracker must not miss, healthy
//! turns it must not alarm on, outcomes that must settle, budgets a server must not exceed.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod common;

use chat_sentinel::core::{Config, Credential, Output, Reconnect, SendOptions, Severity, Tracker};
use common::{netra_ack, netra_run, seq_event, sequenced_handshake, test_config, Harness, NETRA_HANDSHAKE};

fn netra(config: Config) -> Harness {
    let mut h = Harness::new(config);
    h.open(NETRA_HANDSHAKE);
    h
}

/// A clean netra run of `run` without its `index`-th golden event.
fn run_without(run: &str, index: usize) -> Vec<String> {
    let mut frames = netra_run(run);
    frames.remove(index);
    frames
}

fn play(h: &mut Harness, frames: &[String]) {
    for f in frames {
        h.frame(f);
    }
}

#[test]
fn a_closed_run_evicted_from_a_full_table_keeps_its_pending_loss() {
    // The run loses tool_executing and closes; before its reorder window ends the table is
    // full and it is the one evicted.
    let mut h = netra(Config { run_table_cap: 4, ..test_config() });
    play(&mut h, &run_without("victim", 2));
    for i in 0..4 {
        h.frame(&netra_run(&format!("r{i}"))[0]);
    }
    h.advance(10_000);
    let missing: Vec<_> = h.seen.failures.iter().filter(|f| f.run_id.as_deref() == Some("victim")).collect();
    assert_eq!(missing.len(), 1, "{:?}", h.seen.failures);
    assert_eq!(missing[0].kind.as_str(), "missing_event");
    assert!(missing[0].detail.contains("tool_executing"), "{}", missing[0].detail);
}

#[test]
fn a_run_judged_on_its_way_out_of_a_full_table_is_one_incident() {
    // Two losses in one run, both found only when it is evicted: one critical report, and a
    // warning of the same incident (the run is no longer in the table to look it up).
    let mut h = netra(Config { run_table_cap: 4, ..test_config() });
    let frames = netra_run("victim");
    play(&mut h, &[frames[1].clone(), frames[3].clone(), frames[4].clone()]);
    for i in 0..4 {
        h.frame(&netra_run(&format!("r{i}"))[0]);
    }
    let about: Vec<_> = h.seen.failures.iter().filter(|f| f.run_id.as_deref() == Some("victim")).collect();
    assert_eq!(about.len(), 2, "{:?}", h.seen.failures);
    let critical: Vec<_> = about.iter().filter(|f| f.severity == Severity::Critical).collect();
    assert_eq!(critical.len(), 1, "{about:?}");
    assert!(about.iter().all(|f| f.incident == critical[0].incident && f.incident.is_some()), "{about:?}");
}

#[test]
fn a_wait_deferred_by_a_sleep_is_judged_when_its_run_is_evicted() {
    // The run closes without its agent_started; the page sleeps, which defers the reorder
    // wait past the wake-up; then the full table evicts the run before that wait ends.
    let mut h = netra(Config { run_table_cap: 4, ..test_config() });
    play(&mut h, &run_without("victim", 0));
    h.now += 60_000;
    h.tracker.handle_timeout(h.at());
    h.drain();
    for i in 0..4 {
        h.frame(&netra_run(&format!("r{i}"))[0]);
    }
    let about: Vec<_> = h.seen.failures.iter().filter(|f| f.run_id.as_deref() == Some("victim")).collect();
    assert_eq!(about.len(), 1, "{:?}", h.seen.failures);
    assert!(about[0].detail.contains("agent_started never came"), "{}", about[0].detail);
}

#[test]
fn a_wait_deferred_by_a_sleep_past_the_close_is_judged_with_the_run() {
    // tool_executing is lost; its tool_completed arrives, the page sleeps (deferring that
    // wait), and agent_completed arrives after the wake: the run's final checks come before
    // the deferred wait would, and must not leave it behind.
    let mut h = netra(test_config());
    let frames = netra_run("victim");
    play(&mut h, &[frames[0].clone(), frames[1].clone(), frames[3].clone()]);
    h.now += 60_000;
    h.tracker.handle_timeout(h.at());
    h.drain();
    h.frame(&frames[4]);
    h.advance(60_000);
    let about: Vec<_> = h.seen.failures.iter().filter(|f| f.run_id.as_deref() == Some("victim")).collect();
    assert_eq!(about.len(), 1, "{:?}", h.seen.failures);
    assert!(about[0].detail.contains("came without its tool_executing"), "{}", about[0].detail);
}

#[test]
fn an_early_loss_in_a_long_session_is_reported() {
    let mut h = netra(test_config());
    let mut lost = 0;
    for i in 0..3_000 {
        let run = format!("run_{i}");
        // Runs 7 and 2_500 lose their tool_executing.
        let frames = if i == 7 || i == 2_500 {
            lost += 1;
            run_without(&run, 2)
        } else {
            netra_run(&run)
        };
        play(&mut h, &frames);
        h.advance(20);
    }
    h.advance(20_000);
    let reported: Vec<_> =
        h.seen.failures.iter().filter(|f| f.kind.as_str() == "missing_event").map(|f| f.run_id.clone()).collect();
    assert_eq!(reported, [Some("run_7".to_owned()), Some("run_2500".to_owned())], "{lost} lost");
}

#[test]
fn a_numeric_run_id_is_tracked_by_its_text() {
    let mut h = netra(test_config());
    h.frame(r#"{"type":"agent_started","run_id":42,"payload":{}}"#);
    h.frame(r#"{"type":"tool_completed","run_id":42,"payload":{"tool_name":"q"}}"#);
    h.frame(r#"{"type":"agent_completed","run_id":42,"payload":{}}"#);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["missing_event"], "{:?}", h.seen.failures);
    assert_eq!(h.seen.failures[0].run_id.as_deref(), Some("42"));
    assert_eq!(h.seen.events[0].run_id.as_deref(), Some("42"));
}

#[test]
fn a_run_id_of_another_type_is_a_protocol_violation() {
    let mut h = netra(test_config());
    h.frame(r#"{"type":"agent_started","run_id":{"a":1},"payload":{}}"#);
    assert_eq!(h.kinds(), ["protocol_violation"]);
    assert_eq!(h.seen.events.len(), 1, "still delivered");
}

#[test]
fn a_null_top_level_run_id_does_not_hide_the_body_one() {
    let mut h = netra(test_config());
    for f in netra_run("r1") {
        // The frames whose run_id is in their body get a top-level null one.
        let f = if f.starts_with(r#"{"type": "agent_started""#)
            || f.contains(r#", "run_id": "r1", "agent"#)
            || f.contains(r#""tool_executing", "run_id""#)
        {
            f
        } else {
            f.replacen(r#""type":"#, r#""run_id": null, "type":"#, 1)
        };
        h.frame(&f);
    }
    h.advance(120_000);
    assert_eq!(h.kinds(), Vec::<&str>::new(), "{:?}", h.seen.failures);
    assert!(h.seen.events.iter().all(|e| e.run_id.as_deref() == Some("r1")));
}

fn tool_frame(kind: &str, run: &str, tool: &str) -> String {
    format!(r#"{{"type":"{kind}","run_id":"{run}","payload":{{"tool_name":"{tool}"}}}}"#)
}

#[test]
fn many_parallel_tools_of_one_run_are_paired() {
    let mut h = netra(test_config());
    h.frame(&netra_run("r")[0]);
    for i in 0..200 {
        h.frame(&tool_frame("tool_executing", "r", &format!("t{i}")));
    }
    for i in 0..200 {
        h.frame(&tool_frame("tool_completed", "r", &format!("t{i}")));
    }
    h.frame(&netra_run("r")[4]);
    h.advance(10_000);
    assert_eq!(h.kinds(), Vec::<&str>::new(), "{:?}", h.seen.failures);
}

#[test]
fn more_tools_than_the_budget_are_said_once_and_raise_no_false_loss() {
    let mut h = netra(test_config());
    h.frame(&netra_run("r")[0]);
    let n = 5_000;
    for i in 0..n {
        h.frame(&tool_frame("tool_executing", "r", &format!("t{i}")));
    }
    for i in 0..n {
        h.frame(&tool_frame("tool_completed", "r", &format!("t{i}")));
    }
    h.frame(&netra_run("r")[4]);
    h.advance(10_000);
    assert_eq!(h.kinds(), ["protocol_violation"], "{:?}", h.seen.failures);
    assert!(h.seen.failures[0].detail.contains("tool"), "{}", h.seen.failures[0].detail);
}

#[test]
fn a_repeated_required_event_is_required_once() {
    let required = ["agent_started", "agent_completed", "agent_completed", "agent_started"];
    let config = Config { required_events: required.map(str::to_owned).to_vec(), ..test_config() };
    let mut h = netra(config);
    play(&mut h, &netra_run("r"));
    h.advance(10_000);
    assert_eq!(h.kinds(), Vec::<&str>::new(), "{:?}", h.seen.failures);
}

#[test]
fn a_retry_copy_after_the_dedup_window_is_not_a_new_run() {
    let mut h = netra(Config { dedup_window_ms: 30_000, ..test_config() });
    let frames = netra_run("r");
    play(&mut h, &frames);
    h.advance(31_000);
    h.frame(&frames[0]);
    h.frame(&frames[3]);
    h.advance(120_000);
    assert!(h.seen.failures.iter().all(|f| f.severity == Severity::Warning), "{:?}", h.seen.failures);
    assert_eq!(h.count("duplicate") + h.count("out_of_order"), 2, "{:?}", h.seen.failures);
    assert_eq!(h.seen.events.len(), frames.len(), "the late copies are not delivered again");
}

#[test]
fn every_late_copy_of_a_closed_run_is_one_warning_and_not_delivered() {
    let mut h = netra(Config { dedup_window_ms: 200, ..test_config() });
    let frames = netra_run("r");
    play(&mut h, &frames);
    h.advance(1_000);
    play(&mut h, &frames);
    h.advance(120_000);
    assert_eq!(h.kinds(), vec!["out_of_order"; frames.len()], "{:?}", h.seen.failures);
    assert!(h.seen.failures.iter().all(|f| f.severity == Severity::Warning));
    assert_eq!(h.seen.events.len(), frames.len(), "delivered once each");
}

#[test]
fn restamped_retry_copies_are_duplicates() {
    let mut h = netra(test_config());
    let frames = netra_run("r");
    for f in &frames {
        for attempt in 1..=3 {
            let copy = f.replacen("2025-09-11T19:50:1", &format!("2025-09-11T19:5{attempt}:1"), 1).replacen(
                "\"attempt\": null",
                &format!("\"attempt\": {attempt}"),
                1,
            );
            let copy = if copy.contains("\"attempt\"") {
                copy
            } else {
                copy.replacen("{", &format!("{{\"attempt\": {attempt}, "), 1)
            };
            h.frame(&copy);
        }
    }
    h.advance(10_000);
    assert_eq!(h.seen.events.len(), 5, "delivered once each");
    assert_eq!(h.kinds(), ["duplicate"; 10], "{:?}", h.seen.failures);
}

#[test]
fn a_tiny_output_queue_never_loses_an_outcome() {
    let mut t = Tracker::new(Config { output_queue_cap: 1, ..test_config() }).unwrap();
    let at = chat_sentinel::core::Instant::from_millis;
    t.connect(at(0));
    t.handle_open(at(0), "");
    t.handle_frame(at(0), NETRA_HANDSHAKE);
    let ids: Vec<_> = (0..20).map(|i| t.send_user_message(at(1), &format!("m{i}"), SendOptions::default())).collect();
    t.close(at(2));
    let mut settled = Vec::new();
    while let Some(o) = t.poll_output() {
        if let Output::Failure(r) = o {
            settled.extend(r.message_id);
        }
    }
    assert_eq!(settled, ids);
}

#[test]
fn the_token_is_redacted_from_every_report() {
    let token = "s3cr3t-T0KEN_value";
    let b64 = "czNjcjN0LVQwS0VOX3ZhbHVl";
    let config = Config { credential: Some(Credential::new(token)), ..test_config() };
    let mut h = netra(config);
    h.frame(&format!(r#"{{"type":"error_message","error_code":"AUTH {token}","error_message":"bad jwt.{b64}","data":{{"support_code":"{token}"}}}}"#));
    h.tracker.handle_closed(h.at(), 4001, &format!("token {token} rejected"), false);
    h.drain();
    assert_eq!(h.kinds(), ["server_error", "connection_lost"]);
    for f in &h.seen.failures {
        assert!(!f.detail.contains(token) && !f.detail.contains(b64), "{}", f.detail);
        assert!(f.detail.contains("[redacted]"), "{}", f.detail);
    }
}

#[test]
fn a_server_that_closes_after_each_handshake_exhausts_the_attempts() {
    let reconnect = Reconnect { min_delay_ms: 100, max_delay_ms: 1_000, max_attempts: 3 };
    let mut h = netra(Config { reconnect, ..test_config() });
    for _ in 0..10 {
        h.tracker.handle_closed(h.at(), 1000, "bye", true);
        h.drain();
        if h.tracker.health().state == chat_sentinel::core::ConnectionState::Closed {
            break;
        }
        h.reopen(NETRA_HANDSHAKE);
    }
    assert_eq!(h.seen.connects, 4, "one connect and three attempts");
    assert_eq!(h.count("connection_lost"), 4);
    assert_eq!(h.seen.failures.last().unwrap().severity, Severity::Critical);
}

#[test]
fn a_connection_that_stayed_healthy_resets_the_attempts() {
    let reconnect = Reconnect { min_delay_ms: 100, max_delay_ms: 1_000, max_attempts: 2 };
    let mut h = netra(Config { reconnect, ..test_config() });
    for _ in 0..5 {
        h.advance(5_000); // pings answered: healthy
        h.tracker.handle_closed(h.at(), 1006, "", false);
        h.drain();
        h.reopen(NETRA_HANDSHAKE);
    }
    assert_eq!(h.tracker.health().state, chat_sentinel::core::ConnectionState::Open);
}

#[test]
fn disagreeing_duplicate_keys_are_a_violation_and_the_first_wins() {
    let mut h = netra(test_config());
    h.frame(r#"{"type":"agent_started","run_id":"a","run_id":"b","payload":{}}"#);
    assert_eq!(h.kinds(), ["protocol_violation"]);
    assert!(h.seen.failures[0].detail.contains("run_id"), "{}", h.seen.failures[0].detail);
    assert_eq!(h.seen.events[0].run_id.as_deref(), Some("a"));
    // Agreeing duplicates are harmless.
    h.frame(r#"{"type":"agent_thinking","run_id":"a","run_id":"a","payload":{}}"#);
    assert_eq!(h.kinds().len(), 1);
}

#[test]
fn held_bytes_stay_within_the_budgets_under_unique_huge_names() {
    let config = Config { max_frame_bytes: 1 << 20, ..test_config() };
    let budget = config.memory_budget();
    let mut h = netra(config);
    let big = "x".repeat(900_000);
    for i in 0..600 {
        h.frame(&format!(r#"{{"type":"tool_executing","run_id":"{i}{big}","payload":{{"tool_name":"{i}{big}"}}}}"#));
        assert!(h.tracker.health().bytes_held <= budget, "{} > {budget}", h.tracker.health().bytes_held);
        h.seen.events.clear();
    }
    // And the tracker still works: a clean run is clean, a loss is reported.
    let before = h.seen.failures.len();
    play(&mut h, &run_without("after", 2));
    h.advance(200_000);
    let after: Vec<_> = h.seen.failures[before..].iter().filter(|f| f.run_id.as_deref() == Some("after")).collect();
    assert_eq!(after.len(), 1, "{after:?}");
}

#[test]
fn the_reorder_buffer_is_bounded_in_bytes() {
    let config = test_config();
    let budget = config.memory_budget();
    let mut h = Harness::new(config);
    h.open(&sequenced_handshake("s", 0));
    let big = "y".repeat(900_000);
    // seq 1 never comes: everything after it is held, until the byte budget says otherwise.
    for seq in 2..200 {
        h.frame(&seq_event("s", seq, "agent_thinking", "r", Some(&big)));
        assert!(h.tracker.health().bytes_held <= budget, "{} > {budget}", h.tracker.health().bytes_held);
    }
    assert_eq!(h.count("seq_gap"), 1, "{:?}", h.kinds());
}

#[test]
fn the_netra_ack_helper_still_acknowledges() {
    let mut h = netra(test_config());
    let id = h.send("hi");
    h.frame(&netra_ack(id));
    assert_eq!(h.seen.acks.len(), 1);
}

#[test]
fn a_run_evicted_while_open_resumes_without_a_false_report_or_withheld_events() {
    let mut h = netra(Config { run_table_cap: 4, ..test_config() });
    let a = netra_run("a");
    play(&mut h, &a[..2]);
    for other in ["b", "c", "d", "e"] {
        h.advance(10);
        h.frame(&netra_run(other)[0]);
    }
    // "e" took the slot of "a", silent longest; "a" goes on and takes the slot of "b".
    h.advance(10);
    play(&mut h, &a[2..]);
    h.advance(1_000);
    assert_eq!(h.kinds(), ["run_stalled", "run_stalled"], "{:?}", h.seen.failures);
    assert!(h.seen.failures.iter().all(|f| f.severity == Severity::Warning));
    let runs: Vec<_> = h.seen.failures.iter().map(|f| f.run_id.as_deref()).collect();
    assert_eq!(runs, [Some("a"), Some("b")]);
    assert_eq!(h.seen.events.len(), a.len() + 4, "every event of \"a\" delivered");
}

#[test]
fn a_tool_call_that_straddles_an_eviction_raises_no_false_loss() {
    // "a" is evicted (table full of open runs) between its tool_executing and tool_completed:
    // watched again, it cannot pair its tools any more, and must not call the completion an
    // orphan.
    let mut h = netra(Config { run_table_cap: 4, ..test_config() });
    let a = netra_run("a");
    play(&mut h, &a[..3]);
    for other in ["b", "c", "d", "e"] {
        h.advance(10);
        h.frame(&netra_run(other)[0]);
    }
    h.advance(10);
    play(&mut h, &a[3..]);
    h.advance(1_000);
    assert!(h.seen.failures.iter().all(|f| f.severity == Severity::Warning), "{:?}", h.seen.failures);
    assert!(!h.kinds().contains(&"missing_event"), "{:?}", h.seen.failures);
    assert_eq!(h.seen.events.len(), a.len() + 4, "every event of \"a\" delivered");
}
