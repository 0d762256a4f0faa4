//! Native cost of the core per event, parse included, for both dialects.
//!
//! `cargo bench --bench core` prints nanoseconds per event (frame → parse → track → output).
//! `BENCH_EVENTS=N` sets the count (default 1,000,000; the test command uses a quick count).
//! Each dialect runs three rounds on fresh trackers over the same frames; the fastest is printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

use std::hint::black_box;
use std::time::Instant as Clock;

use chat_sentinel::core::{Config, DialectChoice, Instant, Output, Tracker};

const PAD: &str = "Looking at the monthly cloud costs by service and region to find the biggest movers";

/// Runs of the five critical events in the Netra shapes, 300–600 bytes each.
fn netra_frames(runs: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(runs * 5);
    for r in 0..runs {
        out.push(format!(r#"{{"type": "agent_started", "run_id": "run_{r}", "user_id": "u_1", "agent_name": "triage", "timestamp": "2025-09-11T19:50:12.{r:06}+00:00", "payload": {{"status": "started", "context": {{"thread_id": "th_7"}}, "message": "triage has started processing your request: {PAD}"}}}}"#));
        out.push(format!(r#"{{"type": "agent_thinking", "run_id": "run_{r}", "agent_name": "triage", "timestamp": "2025-09-11T19:50:12.{r:06}+00:00", "payload": {{"reasoning": "{PAD}", "step_number": 1, "progress_percentage": 20, "status": "thinking"}}}}"#));
        out.push(format!(r#"{{"type": "tool_executing", "run_id": "run_{r}", "timestamp": "2025-09-11T19:50:12.{r:06}+00:00", "payload": {{"tool_name": "cost_query", "parameters": {{"window": "30d", "group_by": ["service", "region"], "note": "{PAD}"}}, "status": "executing"}}}}"#));
        out.push(format!(r#"{{"type": "tool_completed", "data": {{"tool": "cost_query", "result": {{"rows": 42, "total": 1234.5, "note": "{PAD}"}}, "run_id": "run_{r}", "thread_id": "th_7", "request_id": "req_{r}"}}, "timestamp": "2025-09-11T19:50:13.{r:06}", "critical": true, "attempt": null}}"#));
        out.push(format!(r#"{{"type": "agent_completed", "data": {{"run_id": "run_{r}", "thread_id": "th_7", "result": {{"summary": "{PAD}"}}}}, "timestamp": 1757620213.{r}, "critical": true, "attempt": null}}"#));
    }
    out
}

fn sequenced_frames(runs: usize) -> Vec<String> {
    let kinds = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];
    let mut out = Vec::with_capacity(runs * 5);
    for r in 0..runs {
        for (i, kind) in kinds.iter().enumerate() {
            let seq = r * 5 + i + 1;
            out.push(format!(r#"{{"type":"{kind}","session":"s-1","seq":{seq},"run_id":"run_{r}","data":{{"agent_name":"triage","tool_name":"cost_query","thread_id":"th_7","timestamp":"2025-09-11T19:50:12.{r:06}+00:00","message":"{PAD}","detail":"{PAD}"}}}}"#));
        }
    }
    out
}

/// Rounds per dialect; the printed figure is the fastest (a shared machine only ever adds time).
const ROUNDS: usize = 3;

/// What one round measured.
struct Round {
    nanos_per_event: f64,
    delivered: usize,
    failures: u64,
}

/// Feeds `events` of `frames` (cycled) to a fresh, handshaken tracker.
fn round(dialect: DialectChoice, handshake: &str, frames: &[String], events: usize) -> Round {
    let config = Config { dialect, heartbeat_interval_ms: 3_600_000, ..Config::default() };
    let mut tracker = Tracker::new(config).expect("valid");
    let t0 = Instant::from_millis(0);
    tracker.connect(t0);
    tracker.handle_open(t0, "");
    tracker.handle_frame(t0, handshake);
    while tracker.poll_output().is_some() {}
    let start = Clock::now();
    let mut delivered = 0usize;
    for (i, frame) in frames.iter().cycle().take(events).enumerate() {
        // One event per millisecond of virtual time; timers fire as a driver would fire them.
        let now = Instant::from_millis(1 + i as u64);
        tracker.handle_frame(now, frame);
        if tracker.poll_timeout().is_some_and(|t| t <= now) {
            tracker.handle_timeout(now);
        }
        while let Some(o) = tracker.poll_output() {
            if let Output::Event(e) = o {
                delivered += black_box(e.body.owned_bytes() + 1).min(1);
            }
        }
        while tracker.poll_transmit().is_some() {}
    }
    let elapsed = start.elapsed();
    Round { nanos_per_event: elapsed.as_nanos() as f64 / events as f64, delivered, failures: tracker.health().failures }
}

/// Measures [`ROUNDS`] rounds and prints the fastest.
fn measure(name: &str, dialect: DialectChoice, handshake: &str, frames: &[String], events: usize) {
    let bytes: usize = frames.iter().map(String::len).sum::<usize>() / frames.len();
    let rounds: Vec<Round> = (0..ROUNDS).map(|_| round(dialect, handshake, frames, events)).collect();
    let best = rounds.iter().min_by(|a, b| a.nanos_per_event.total_cmp(&b.nanos_per_event)).expect("rounds");
    println!(
        "core {name:<9} {events:>9} events  {:>7.1} ns/event  (best of {ROUNDS}; avg frame {bytes} B, delivered {}, failures {})",
        best.nanos_per_event, best.delivered, best.failures
    );
}

fn main() {
    let events: usize = std::env::var("BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let runs = (events / 5).clamp(1, 200_000);
    let netra_handshake = r#"{"type":"connection_established","data":{"mode":"main","connection_id":"c1"}}"#;
    let sequenced_handshake =
        r#"{"type":"connection_established","protocol":"sequenced","session":"s-1","head_seq":0}"#;
    measure("netra", DialectChoice::Netra, netra_handshake, &netra_frames(runs), events.min(runs * 5));
    measure("sequenced", DialectChoice::Sequenced, sequenced_handshake, &sequenced_frames(runs), events.min(runs * 5));
}
