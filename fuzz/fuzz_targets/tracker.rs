//! A whole `Tracker` on a virtual clock, driven by the fuzzer: frames built from the golden
//! path's kinds, run ids, tools and sequence numbers (and raw text), acknowledgements, sends,
//! clock jumps, lost connections and reconnects, with small caps so every budget is reached.
//! Invariants: no panic; what the tracker holds stays within `Config::memory_budget()`; every
//! event's origin names its data in its frame (checked by the harness); and, once the client
//! closes, every user message has exactly one outcome and its turn exactly one end.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // a panic is a finding

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;

use chat_sentinel::core::{Config, MessageId};
use common::{netra_ack, sequenced_handshake, test_config, Harness, NETRA_HANDSHAKE};
use libfuzzer_sys::fuzz_target;

const KINDS: [&str; 8] = [
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "agent_error",
    "heartbeat",
    "error_message",
];
const RUNS: [&str; 5] = ["r1", "r2", "r3", "r4", "r5"];
const TOOLS: [&str; 3] = ["search", "query", "t"];

fn config() -> Config {
    Config {
        run_table_cap: 3,
        pending_cap: 4,
        output_queue_cap: 8,
        dedup_window: 8,
        max_frame_bytes: 2048,
        reorder_buffer_cap: 4,
        send_buffer_cap: 4,
        ..test_config()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next();
    let sequenced = next().is_some_and(|b| b & 1 == 1);
    let handshake = if sequenced { sequenced_handshake("s1", 0) } else { NETRA_HANDSHAKE.to_owned() };
    let mut h = Harness::new(config());
    let budget = h.tracker.config().memory_budget();
    h.open(&handshake);
    let mut sent: Vec<MessageId> = Vec::new();
    let mut seq = 0u64;
    while let Some(op) = next() {
        let arg = next().unwrap_or(0);
        match op % 10 {
            0 => sent.push(h.send("hello")),
            1..=4 => {
                let kind = KINDS[usize::from(arg) % KINDS.len()];
                let run = RUNS[usize::from(arg >> 3) % RUNS.len()];
                let tool = TOOLS[usize::from(op >> 4) % TOOLS.len()];
                let frame = if sequenced {
                    // Mostly the next seq; sometimes a repeat, a skip or a step back.
                    seq = match op >> 6 {
                        0 | 1 => seq + 1,
                        2 => seq,
                        _ => seq.saturating_sub(u64::from(arg & 3)) + u64::from(arg >> 6),
                    };
                    common::seq_event("s1", seq, kind, run, Some(tool))
                } else if op & 0x10 == 0 {
                    format!(r#"{{"type":"{kind}","run_id":"{run}","payload":{{"tool_name":"{tool}"}}}}"#)
                } else {
                    format!(r#"{{"type":"{kind}","data":{{"run_id":"{run}","tool":"{tool}","n":{arg}}}}}"#)
                };
                h.frame(&frame);
            }
            5 => h.advance(u64::from(arg) * 20),
            6 => h.advance(u64::from(arg) * 1_000),
            7 => {
                h.closed(1006, false);
                h.reopen(&handshake);
            }
            8 => {
                let raw: Vec<u8> = (0..arg).map_while(|_| next()).collect();
                h.frame(&String::from_utf8_lossy(&raw));
            }
            _ => {
                if let Some(&id) = sent.get(usize::from(arg) % sent.len().max(1)) {
                    let ack = if sequenced {
                        format!(r#"{{"type":"ack","message_id":"{}","run_id":"r{}"}}"#, id.to_wire(), 1 + arg % 5)
                    } else {
                        netra_ack(id)
                    };
                    h.frame(&ack);
                }
            }
        }
        let held = h.tracker.health().bytes_held;
        assert!(held <= budget, "holds {held} B over its budget of {budget} B");
    }
    let at = h.at();
    h.tracker.close(at);
    h.drain();
    h.advance(600_000);
    let mut outcomes: HashMap<MessageId, u32> = HashMap::new();
    for receipt in &h.seen.acks {
        *outcomes.entry(receipt.message_id).or_default() += 1;
    }
    for report in &h.seen.failures {
        if let (true, Some(id)) = (report.outcome, report.message_id) {
            *outcomes.entry(id).or_default() += 1;
        }
    }
    let mut ends: HashMap<MessageId, u32> = HashMap::new();
    for turn in h.seen.turns.iter().filter(|t| t.state.is_final()) {
        *ends.entry(turn.message_id).or_default() += 1;
    }
    for id in &sent {
        assert_eq!(outcomes.get(id), Some(&1), "message {id:?}: {:?}", h.seen.failures);
        assert_eq!(ends.get(id), Some(&1), "the turn of {id:?} ends once: {:?}", h.seen.turns);
    }
});
