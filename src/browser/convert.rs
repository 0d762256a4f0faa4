//! Core outputs as plain JavaScript objects, each built by one object literal in JavaScript from
//! its fields as arguments (no `Reflect.set` per field); an absent field is `None`, `null` in
//! the object.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::bytes;
use super::inbound::InFrame;
use crate::core::{Event, Health, Instant, MessageId, Output, Receipt, Recovery, Report, Turn};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// The event object, its data parsed from `text.slice(start, end)` (`{}` when `start ==
    /// end`, or should the slice not parse).
    #[allow(clippy::too_many_arguments)]
    fn event_in_frame(
        text: &JsValue,
        start: u32,
        end: u32,
        kind: &JsValue,
        run_id: &JsValue,
        seq: Option<f64>,
        recovered: bool,
        at_ms: f64,
    ) -> JsValue;

    /// The event object, its data parsed from `data` (`{}` if it does not parse).
    fn event_of_data(
        data: &str,
        kind: &JsValue,
        run_id: &JsValue,
        seq: Option<f64>,
        recovered: bool,
        at_ms: f64,
    ) -> JsValue;

    /// `{kind, severity, runId, messageId, incident, seq, detail, atMs}`; `seq` is `{from, to}`
    /// when `from` is given (without `to` for an open range).
    #[wasm_bindgen(js_name = report)]
    #[allow(clippy::too_many_arguments)]
    fn report_js(
        kind: &str,
        severity: &str,
        run_id: Option<&str>,
        message_id: Option<&str>,
        incident: Option<f64>,
        from: Option<f64>,
        to: Option<f64>,
        detail: &str,
        at_ms: f64,
    ) -> JsValue;

    /// `{verdict, missing, reason, atMs}`; `missing` holds the ranges' `{from, to}` objects.
    #[wasm_bindgen(js_name = recovery)]
    fn recovery_js(verdict: &str, missing: &Array, reason: &str, at_ms: f64) -> JsValue;

    /// A `{from, to}` range (without `to` when open).
    #[wasm_bindgen(js_name = seq_range)]
    fn seq_range_js(from: f64, to: Option<f64>) -> JsValue;

    /// `{messageId, runId, inferred, latencyMs}`.
    #[wasm_bindgen(js_name = receipt)]
    fn receipt_js(message_id: &str, run_id: Option<&str>, inferred: bool, latency_ms: f64) -> JsValue;

    /// `{messageId, state, runId, incident, report, atMs}`.
    #[wasm_bindgen(js_name = turn)]
    fn turn_js(
        message_id: &str,
        state: &str,
        run_id: Option<&str>,
        incident: Option<f64>,
        report: Option<JsValue>,
        at_ms: f64,
    ) -> JsValue;

    /// The `health()` object.
    #[wasm_bindgen(js_name = health)]
    #[allow(clippy::too_many_arguments)]
    fn health_js(
        state: &str,
        dialect: Option<&str>,
        received: f64,
        delivered: f64,
        duplicates: f64,
        gaps: f64,
        pending_acks: f64,
        open_runs: f64,
        held_events: f64,
        last_frame_age_ms: Option<f64>,
        reconnects: f64,
        failures: f64,
        wakes: f64,
        dropped_outputs: f64,
        dedup_evicted: f64,
        bytes_held: f64,
    ) -> JsValue;

    /// A `ChatError` of a report object: an `Error` named `"ChatError"` whose message is the
    /// report's detail, with its `kind`, `messageId` and the `report` itself.
    #[wasm_bindgen(js_name = chat_error)]
    fn chat_error_js(report: &JsValue) -> JsValue;
}

/// JavaScript strings for names seen lately (event types, run ids), so that a name repeated
/// from event to event is not decoded from UTF-8 again. At most `cap` entries, replaced in turn.
pub(crate) struct Names {
    /// The wasm memory, for [`bytes::string`].
    memory: JsValue,
    entries: Vec<(String, JsValue)>,
    cap: usize,
    next: usize,
}

impl Names {
    pub(crate) fn new(cap: usize) -> Names {
        Names { memory: wasm_bindgen::memory(), entries: Vec::with_capacity(cap), cap, next: 0 }
    }

    /// `name` as a JavaScript string.
    pub(crate) fn get(&mut self, name: &str) -> JsValue {
        if let Some((_, value)) = self.entries.iter().find(|(n, _)| n == name) {
            return value.clone();
        }
        let value = bytes::string(name, &self.memory);
        if self.entries.len() < self.cap {
            self.entries.push((name.to_owned(), value.clone()));
        } else if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = (name.to_owned(), value.clone());
            // The next slot in turn, wrapping at `cap` (no remainder: no divide-by-zero path).
            self.next = if self.next + 1 < self.cap { self.next + 1 } else { 0 };
        }
        value
    }
}

/// `{type, runId, seq, data, recovered, atMs}` built in JavaScript: from the frame's own string
/// where the body stands in it (one `JSON.parse` of the body's slice, no UTF-8 crossing for the
/// body), else from the owned body.
pub(crate) fn event(event: &Event, frame: Option<&InFrame>, kinds: &mut Names, runs: &mut Names) -> JsValue {
    let run_id = event.run_id.as_deref().map_or(JsValue::NULL, |r| runs.get(r));
    let kind = kinds.get(&event.kind);
    let seq = event.seq.map(|s| s as f64);
    let at = ms(event.at);
    match frame {
        Some(frame) => event_in_frame(&frame.text, frame.start, frame.end, &kind, &run_id, seq, event.recovered, at),
        // Only an owned body is not in the frame at hand.
        None => event_of_data(event.data(""), &kind, &run_id, seq, event.recovered, at),
    }
}

fn ms(at: Instant) -> f64 {
    at.as_millis() as f64
}

/// `{kind, severity, runId, messageId, incident, seq, detail, atMs}`.
pub(crate) fn report(report: &Report) -> JsValue {
    report_js(
        report.kind.as_str(),
        report.severity.as_str(),
        report.run_id.as_deref(),
        report.message_id.map(MessageId::to_wire).as_deref(),
        report.incident.map(|i| i.get() as f64),
        report.seq.as_ref().map(|s| s.from as f64),
        report.seq.as_ref().and_then(|s| s.to).map(|to| to as f64),
        &report.detail,
        ms(report.at),
    )
}

/// `{verdict, missing, reason, atMs}`.
pub(crate) fn recovery(recovery: &Recovery) -> JsValue {
    let missing: Array =
        recovery.missing.iter().map(|r| seq_range_js(r.from as f64, r.to.map(|to| to as f64))).collect();
    recovery_js(recovery.verdict.as_str(), &missing, recovery.reason, ms(recovery.at))
}

/// `{messageId, runId, inferred, latencyMs}`.
pub(crate) fn receipt(receipt: &Receipt) -> JsValue {
    let id = receipt.message_id.to_wire();
    receipt_js(&id, receipt.run_id.as_deref(), receipt.inferred, receipt.latency_ms as f64)
}

/// `{messageId, state, runId, incident, report, atMs}`.
pub(crate) fn turn(turn: &Turn) -> JsValue {
    turn_js(
        &turn.message_id.to_wire(),
        turn.state.as_str(),
        turn.run_id.as_deref(),
        turn.incident.map(|i| i.get() as f64),
        turn.report.as_ref().map(report),
        ms(turn.at),
    )
}

/// What a listener of the output's topic receives. Events are delivered through [`event`]
/// (which has the names cache); here they, like the driver's own outputs, are `undefined`.
pub(crate) fn output(output: &Output) -> JsValue {
    match output {
        Output::Failure(r) => report(r),
        Output::State(s) => JsValue::from_str(s.as_str()),
        Output::Recovery(r) => recovery(r),
        Output::Acked(r) => receipt(r),
        Output::Turn(t) => turn(t),
        Output::Event(_) | Output::Connected(_) => JsValue::UNDEFINED,
    }
}

/// The `health()` object.
pub(crate) fn health(health: &Health, now: Instant) -> JsValue {
    health_js(
        health.state.as_str(),
        health.dialect.map(|d| d.as_str()),
        health.received as f64,
        health.delivered as f64,
        health.duplicates as f64,
        health.gaps as f64,
        health.pending_acks as f64,
        health.open_runs as f64,
        health.held_events as f64,
        health.last_frame_at.map(|t| now.since(t) as f64),
        health.reconnects as f64,
        health.failures as f64,
        health.wakes as f64,
        health.dropped_outputs as f64,
        health.dedup_evicted as f64,
        health.bytes_held as f64,
    )
}

/// A `ChatError`: an `Error` named `"ChatError"` with `kind`, `messageId` and `report`; its
/// message is the report's detail.
pub(crate) fn chat_error(r: &Report) -> JsValue {
    chat_error_js(&report(r))
}
