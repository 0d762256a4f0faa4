//! Hostile input: mutated, truncated and spliced frames, in both dialects, never panic the
//! tracker and never break its caps.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod common;

use chat_sentinel::core::{Command, Config, Instant, Tracker};
use common::{netra_run, seq_event, sequenced_handshake, NETRA_HANDSHAKE};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPLICE: [&str; 12] =
    ["{", "}", "[", "]", "\"", "\\", "\\u", "\\ud800", ":", ",", "99999999999999999999999", "-0.5e-7"];

fn mutate(rng: &mut Rng, frame: &str) -> String {
    let mut bytes = frame.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => bytes.truncate(at),
            1 if at < bytes.len() => bytes[at] = (rng.next() & 0x7f) as u8,
            2 => {
                let s = SPLICE[rng.below(SPLICE.len())].as_bytes();
                bytes.splice(at..at, s.iter().copied());
            }
            3 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => {
                let copy = bytes[at..].to_vec();
                bytes.extend_from_slice(&copy[..copy.len().min(64)]);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_frames_never_panic_and_caps_hold() {
    let config = Config {
        run_table_cap: 16,
        reorder_buffer_cap: 32,
        output_queue_cap: 256,
        pending_cap: 8,
        ..Config::default()
    };
    let mut valid: Vec<String> = (0..4).flat_map(|r| netra_run(&format!("r{r}"))).collect();
    for seq in 1..40 {
        valid.push(seq_event("s-1", seq, "agent_thinking", "r", None));
    }
    valid.push(r#"{"type":"pong","head_seq":12}"#.to_owned());
    valid.push(r#"{"type":"resumed","session":"s-1","from_seq":3,"head_seq":9}"#.to_owned());
    valid.push(r#"{"type":"resume_failed","session":"s-1"}"#.to_owned());
    valid.push(r#"{"type":"system_message","data":{"original_message_id":"cs-1"}}"#.to_owned());
    for (seed, handshake) in [(1u64, NETRA_HANDSHAKE.to_owned()), (2, sequenced_handshake("s-1", 0))] {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut tracker = Tracker::new(config.clone()).unwrap();
        let mut now = 0;
        tracker.connect(Instant::from_millis(now));
        tracker.handle_open(Instant::from_millis(now), "");
        tracker.handle_frame(Instant::from_millis(now), &handshake);
        for i in 0..100_000 {
            now += rng.below(20) as u64;
            let t = Instant::from_millis(now);
            let base = &valid[rng.below(valid.len())];
            let frame = if rng.below(3) == 0 { base.clone() } else { mutate(&mut rng, base) };
            tracker.handle_frame(t, &frame);
            match i % 997 {
                0 => tracker.handle_closed(t, 1006, &frame, false),
                1 => {
                    tracker.handle_open(t, "");
                    tracker.handle_frame(t, &handshake);
                }
                2 => {
                    tracker.send_user_message(t, &frame, Default::default());
                }
                _ => {}
            }
            if tracker.poll_timeout().is_some_and(|d| d <= t) {
                tracker.handle_timeout(t);
            }
            while tracker.poll_transmit().is_some() {}
            // Drain only now and then: the output cap must hold meanwhile.
            if i % 7 == 0 {
                while tracker.poll_output().is_some() {}
                while let Some(command) = tracker.poll_command() {
                    if command == Command::Connect {
                        tracker.handle_open(t, "");
                    }
                }
            }
            let h = tracker.health();
            assert!(h.held_events <= 32 && h.open_runs <= 16 && h.pending_acks <= 8, "{h:?}");
        }
        assert!(tracker.health().failures > 1000);
    }
}
