//! Core outputs as plain JavaScript objects (no serde: `Reflect::set` on fresh objects).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::bytes;
use super::inbound::InFrame;
use crate::core::{Event, Health, Instant, Output, Receipt, Recovery, Report, SeqRange};

#[wasm_bindgen(inline_js = "
export function event_in_frame(text, start, end, type, runId, seq, recovered, atMs) {
  let data;
  try { data = start < end ? JSON.parse(text.slice(start, end)) : {}; } catch (_) { return undefined; }
  return { type, runId, seq: seq < 0 ? null : seq, data, recovered, atMs };
}
")]
extern "C" {
    /// The event object, its data parsed from `text.slice(start, end)` (`{}` when empty);
    /// `seq` < 0 is `null`. `undefined` if that slice does not parse.
    #[allow(clippy::too_many_arguments)]
    fn event_in_frame(
        text: &JsValue,
        start: u32,
        end: u32,
        kind: &JsValue,
        run_id: &JsValue,
        seq: f64,
        recovered: bool,
        at_ms: f64,
    ) -> JsValue;
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
            self.next = (self.next + 1) % self.cap;
        }
        value
    }
}

/// `{type, runId, seq, data, recovered, atMs}` built in JavaScript from the frame's own string:
/// one `JSON.parse` of the data's slice, no UTF-8 crossing for the data. Falls back to
/// [`event`] if the slice does not parse.
pub(crate) fn event_in(event: &Event, frame: &InFrame, kinds: &mut Names, runs: &mut Names) -> JsValue {
    let run_id = event.run_id.as_deref().map_or(JsValue::NULL, |r| runs.get(r));
    let value = event_in_frame(
        &frame.text,
        frame.start,
        frame.end,
        &kinds.get(&event.kind),
        &run_id,
        event.seq.map_or(-1.0, |s| s as f64),
        event.recovered,
        event.at.as_millis() as f64,
    );
    if value.is_undefined() {
        self::event(event)
    } else {
        value
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn num(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn opt_str(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

fn ms(at: Instant) -> JsValue {
    num(at.as_millis())
}

/// `{from, to}`, `to` absent when open-ended.
pub(crate) fn seq_range(range: &SeqRange) -> JsValue {
    let o = Object::new();
    set(&o, "from", &num(range.from));
    if let Some(to) = range.to {
        set(&o, "to", &num(to));
    }
    o.into()
}

/// `{type, runId, seq, data, recovered, atMs}`.
///
/// The hot path: one string crosses into JavaScript and one `JSON.parse` builds the whole
/// object, `data` included. Setting each field with `Reflect.set` costs a boundary crossing
/// and a UTF-8 decode per key and per string, several times the `JSON.parse` of the body.
pub(crate) fn event(event: &Event) -> JsValue {
    let mut text = String::with_capacity(event.data.len() + event.kind.len() + 96);
    text.push_str("{\"type\":");
    crate::core::json::push_str(&mut text, &event.kind);
    text.push_str(",\"runId\":");
    match event.run_id.as_deref() {
        Some(run_id) => crate::core::json::push_str(&mut text, run_id),
        None => text.push_str("null"),
    }
    text.push_str(",\"seq\":");
    match event.seq {
        Some(seq) => crate::core::json::push_u64(&mut text, seq),
        None => text.push_str("null"),
    }
    text.push_str(",\"data\":");
    text.push_str(&event.data);
    text.push_str(if event.recovered { ",\"recovered\":true" } else { ",\"recovered\":false" });
    text.push_str(",\"atMs\":");
    crate::core::json::push_u64(&mut text, event.at.as_millis());
    text.push('}');
    // The core validated `data` as a JSON object, so this parses; field by field otherwise.
    JSON::parse(&text).unwrap_or_else(|_| event_by_fields(event))
}

fn event_by_fields(event: &Event) -> JsValue {
    let o = Object::new();
    set(&o, "type", &JsValue::from_str(&event.kind));
    set(&o, "runId", &opt_str(event.run_id.as_deref()));
    set(&o, "seq", &event.seq.map_or(JsValue::NULL, num));
    set(&o, "data", &JSON::parse(&event.data).unwrap_or_else(|_| Object::new().into()));
    set(&o, "recovered", &JsValue::from_bool(event.recovered));
    set(&o, "atMs", &ms(event.at));
    o.into()
}

/// `{kind, severity, runId, messageId, seq, detail, atMs}`.
pub(crate) fn report(report: &Report) -> JsValue {
    let o = Object::new();
    set(&o, "kind", &JsValue::from_str(report.kind.as_str()));
    set(&o, "severity", &JsValue::from_str(report.severity.as_str()));
    set(&o, "runId", &opt_str(report.run_id.as_deref()));
    set(&o, "messageId", &report.message_id.map_or(JsValue::NULL, |id| JsValue::from_str(&id.to_wire())));
    set(&o, "seq", &report.seq.as_ref().map_or(JsValue::NULL, seq_range));
    set(&o, "detail", &JsValue::from_str(&report.detail));
    set(&o, "atMs", &ms(report.at));
    o.into()
}

/// `{verdict, missing, reason, atMs}`.
pub(crate) fn recovery(recovery: &Recovery) -> JsValue {
    let o = Object::new();
    set(&o, "verdict", &JsValue::from_str(recovery.verdict.as_str()));
    let missing: Array = recovery.missing.iter().map(seq_range).collect();
    set(&o, "missing", &missing);
    set(&o, "reason", &JsValue::from_str(recovery.reason));
    set(&o, "atMs", &ms(recovery.at));
    o.into()
}

/// `{messageId, runId, latencyMs}`.
pub(crate) fn receipt(receipt: &Receipt) -> JsValue {
    let o = Object::new();
    set(&o, "messageId", &JsValue::from_str(&receipt.message_id.to_wire()));
    set(&o, "runId", &opt_str(receipt.run_id.as_deref()));
    set(&o, "latencyMs", &num(receipt.latency_ms));
    o.into()
}

/// What a listener of the output's topic receives.
pub(crate) fn output(output: &Output) -> JsValue {
    match output {
        Output::Event(e) => event(e),
        Output::Failure(r) => report(r),
        Output::State(s) => JsValue::from_str(s.as_str()),
        Output::Recovery(r) => recovery(r),
        Output::Acked(r) => receipt(r),
        Output::Connect | Output::Disconnect { .. } => JsValue::UNDEFINED,
    }
}

/// The `health()` object.
pub(crate) fn health(health: &Health, now: Instant) -> JsValue {
    let o = Object::new();
    set(&o, "state", &JsValue::from_str(health.state.as_str()));
    set(&o, "dialect", &opt_str(health.dialect.map(|d| d.as_str())));
    set(&o, "received", &num(health.received));
    set(&o, "delivered", &num(health.delivered));
    set(&o, "duplicates", &num(health.duplicates));
    set(&o, "gaps", &num(health.gaps));
    set(&o, "pendingAcks", &num(health.pending_acks as u64));
    set(&o, "openRuns", &num(health.open_runs as u64));
    set(&o, "heldEvents", &num(health.held_events as u64));
    set(&o, "lastFrameAgeMs", &health.last_frame_at.map_or(JsValue::NULL, |t| num(now.since(t))));
    set(&o, "reconnects", &num(health.reconnects));
    set(&o, "failures", &num(health.failures));
    set(&o, "wakes", &num(health.wakes));
    set(&o, "droppedOutputs", &num(health.dropped_outputs));
    o.into()
}

/// A `ChatError`: an `Error` named `"ChatError"` with `kind`, `messageId` and `report`; its
/// message is the report's detail.
pub(crate) fn chat_error(r: &Report) -> JsValue {
    let error = js_sys::Error::new(&r.detail);
    error.set_name("ChatError");
    set(&error, "kind", &JsValue::from_str(r.kind.as_str()));
    set(&error, "messageId", &r.message_id.map_or(JsValue::NULL, |id| JsValue::from_str(&id.to_wire())));
    set(&error, "report", &report(r));
    error.into()
}
