//! The SDK's core (`src/core/`, compiled in as a module) behind a minimal wasm-bindgen surface:
//! what the core weighs in the bundle without the browser driver. Every entry point the driver
//! calls is reachable, every configuration number comes from JavaScript (so no cap is folded
//! into a constant), and every output field is read into a digest (so none is dropped as dead).
#![forbid(unsafe_code)]
#![no_std]

extern crate alloc;

#[path = "../../../src/core/mod.rs"]
pub mod core;

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::wasm_bindgen;

use crate::core::{Body, Command, Config, DialectChoice, Instant, Output, SendOptions, Tracker};

#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}

/// A tracker and a digest of everything it handed out.
#[wasm_bindgen]
pub struct Core {
    tracker: Tracker,
    digest: f64,
}

#[wasm_bindgen]
impl Core {
    /// `numbers`: the dialect (0 auto, 1 netra, 2 sequenced), then the configuration's numbers in
    /// the order of `Config`'s fields. `None` for an invalid configuration.
    pub fn create(numbers: &[f64], required: Vec<String>) -> Option<Core> {
        let n = |i: usize| numbers.get(i).map_or(0, |&x| x as u64);
        let dialect = [DialectChoice::Auto, DialectChoice::Netra, DialectChoice::Sequenced].get(n(0) as usize);
        let mut c = Config { dialect: dialect.copied().unwrap_or_default(), ..Config::default() };
        if !required.is_empty() {
            c.required_events = required;
        }
        let times = [
            &mut c.heartbeat_interval_ms,
            &mut c.heartbeat_timeout_ms,
            &mut c.handshake_timeout_ms,
            &mut c.ack_timeout_ms,
            &mut c.first_event_timeout_ms,
            &mut c.run_stall_timeout_ms,
            &mut c.reorder_window_ms,
            &mut c.late_wake_ms,
            &mut c.dedup_window_ms,
            &mut c.jitter_seed,
            &mut c.reconnect.min_delay_ms,
            &mut c.reconnect.max_delay_ms,
        ];
        for (i, field) in (1..).zip(times) {
            *field = n(i);
        }
        let sizes = [
            &mut c.max_frame_bytes,
            &mut c.dedup_window,
            &mut c.send_buffer_cap,
            &mut c.pending_cap,
            &mut c.run_table_cap,
            &mut c.reorder_buffer_cap,
            &mut c.output_queue_cap,
        ];
        for (i, field) in (13..).zip(sizes) {
            *field = n(i) as usize;
        }
        c.max_depth = n(20) as u32;
        c.reconnect.max_attempts = n(21) as u32;
        Tracker::new(c).ok().map(|tracker| Core { tracker, digest: 0.0 })
    }

    /// One input to the tracker at `now_ms`; returns the digest of all outputs so far.
    /// `op`: 0 connect, 1 open, 2 text frame, 3 binary frame of `n` bytes, 4 timeout, 5 closed
    /// with code `n`, 6 send `text`, 7 close, 8 the last transmit failed.
    pub fn input(&mut self, op: u32, now_ms: f64, text: &str, n: u32) -> f64 {
        let now = Instant::from_millis(now_ms as u64);
        let t = &mut self.tracker;
        match op {
            0 => t.connect(now),
            1 => t.handle_open(now, ""),
            2 => t.handle_frame(now, text),
            3 => t.handle_binary_frame(now, n as usize),
            4 => t.handle_timeout(now),
            5 => t.handle_closed(now, n as u16, text, n == 1000),
            6 => self.digest += t.send_user_message(now, text, SendOptions { thread_id: None }).get() as f64,
            7 => t.close(now),
            _ => {}
        }
        let mut failed = None;
        while let Some(transmit) = self.tracker.poll_transmit() {
            self.digest += transmit.text.len() as f64;
            if op == 8 && failed.is_none() {
                failed = Some(transmit);
            }
        }
        if let Some(transmit) = failed {
            self.tracker.handle_transmit_failed(now, transmit);
        }
        while let Some(command) = self.tracker.poll_command() {
            self.digest += match command {
                Command::Connect => 1.0,
                Command::Disconnect { code, reason } => f64::from(code) + reason.len() as f64,
            };
        }
        while let Some(output) = self.tracker.poll_output() {
            self.digest += digest(&output);
        }
        let h = self.tracker.health();
        self.digest += (h.received + h.delivered + h.duplicates + h.gaps + h.reconnects + h.failures + h.wakes) as f64
            + (h.pending_acks + h.open_runs + h.held_events) as f64
            + (h.dropped_outputs + h.dedup_evicted) as f64
            + h.last_frame_at.map_or(0.0, |at| at.as_millis() as f64)
            + h.dialect.map_or(0.0, |d| d as u8 as f64)
            + h.state as u8 as f64
            + self.tracker.poll_timeout().map_or(0.0, |at| at.as_millis() as f64);
        self.digest
    }
}

/// Every field of one output, folded into a number.
fn digest(output: &Output) -> f64 {
    let len = |s: &Option<String>| s.as_ref().map_or(0, String::len) as f64;
    match output {
        Output::Event(e) => {
            let body = match &e.body {
                Body::Empty => 0,
                Body::InFrame(r) => r.start + r.end,
                Body::Owned(text) => text.len(),
            } as f64;
            e.kind.len() as f64
                + len(&e.run_id)
                + e.seq.unwrap_or(0) as f64
                + f64::from(u8::from(e.recovered))
                + e.at.as_millis() as f64
                + e.frame as f64
                + body
        }
        Output::Failure(r) => {
            r.kind.as_str().len() as f64
                + r.severity as u8 as f64
                + len(&r.run_id)
                + r.message_id.map_or(0, |m| m.get()) as f64
                + r.seq.map_or(0, |s| s.from + s.to.unwrap_or(0)) as f64
                + r.detail.len() as f64
                + r.at.as_millis() as f64
        }
        Output::State(s) => *s as u8 as f64,
        Output::Recovery(r) => {
            r.verdict as u8 as f64
                + r.missing.iter().map(|s| s.from + s.to.unwrap_or(0)).sum::<u64>() as f64
                + r.reason.len() as f64
                + r.at.as_millis() as f64
        }
        Output::Acked(r) => r.message_id.get() as f64 + len(&r.run_id) + r.latency_ms as f64 + r.at.as_millis() as f64,
        Output::Turn(t) => {
            t.message_id.get() as f64
                + t.state as u8 as f64
                + len(&t.run_id)
                + t.incident.map_or(0, |i| i.get()) as f64
                + t.at.as_millis() as f64
        }
        Output::Connected(result) => result.as_ref().map_or_else(|r| r.kind.as_str().len() as f64, |()| 1.0),
    }
}
