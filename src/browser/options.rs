//! JavaScript options objects → the client's endpoint and [`Config`], and [`SendOptions`],
//! strictly: unknown names, wrong types and out-of-range values are a `TypeError`/`RangeError`
//! naming the option. `undefined` means "absent" (the default applies).
//!
//! The objects are read and checked in JavaScript (one call, no property crossing the boundary
//! one by one, and none of the error texts in wasm); what comes back is a flat array of checked
//! values. The values of the configuration as a whole (a timeout of zero, a cap too small) are
//! then checked by `Tracker::new`, as for the Rust API.

use alloc::string::String;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::bytes;
use super::transport::Endpoint;
use crate::core::{Config, DialectChoice, SendOptions};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Checks `new ChatClient(options)` and throws the `TypeError` or `RangeError` of the first
    /// bad option, in the order of the object's keys: exactly one of `url` (a valid `ws://` or
    /// `wss://` URL without a fragment that contains the token neither as given nor as the
    /// subprotocol encodes it) and `transport` (an object with a `connect` function); `token`
    /// (a string, `""` meaning none) only with `url`; every numeric option a non-negative safe
    /// integer, at most 2^32 − 1 for sizes and counts. Returns, `undefined` where absent:
    /// `[, , transport, dialect index, requiredEvents, ...numbers]`, the numbers in the order
    /// of [`FIELDS`]; with a `url`, `transport` is the WebSocket transport of the URL (as
    /// `websocket` makes it) offering the subprotocols `["jwt-auth", "jwt.<base64url(token)>"]`,
    /// or none without a token.
    #[wasm_bindgen(catch)]
    fn client_options(options: &JsValue) -> Result<Array, JsValue>;

    /// Checks `sendMessage(text, options)`: throws a `TypeError` if `text` is not a string, or
    /// one naming a bad option; the options may be `undefined`, `null` or
    /// `{threadId?: string}`. Returns the thread id (a string, or `undefined`).
    #[wasm_bindgen(catch)]
    fn send_arguments(text: &JsValue, options: &JsValue) -> Result<JsValue, JsValue>;
}

/// `new ChatClient(options)`, checked: where to connect and the tracker's configuration (whose
/// values `Tracker::new` checks).
pub(crate) struct JsClientOptions {
    pub(crate) endpoint: Endpoint,
    pub(crate) config: Config,
}

/// Where a numeric option is stored in the [`Config`].
#[derive(Clone, Copy)]
enum Field {
    HeartbeatIntervalMs,
    HeartbeatTimeoutMs,
    HandshakeTimeoutMs,
    AckTimeoutMs,
    FirstEventTimeoutMs,
    RunStallTimeoutMs,
    ReorderWindowMs,
    LateWakeMs,
    DedupWindowMs,
    JitterSeed,
    MaxFrameBytes,
    MaxDepth,
    DedupWindow,
    SendBufferCap,
    PendingCap,
    RunTableCap,
    ReorderBufferCap,
    OutputQueueCap,
    MinDelayMs,
    MaxDelayMs,
    MaxAttempts,
}

/// The numeric options in the order `client_options` returns them: those of the top level
/// (`NUMERIC` in JavaScript), then the members of `reconnect` (`RECONNECT`).
static FIELDS: [Field; 21] = [
    Field::HeartbeatIntervalMs,
    Field::HeartbeatTimeoutMs,
    Field::HandshakeTimeoutMs,
    Field::AckTimeoutMs,
    Field::FirstEventTimeoutMs,
    Field::RunStallTimeoutMs,
    Field::ReorderWindowMs,
    Field::LateWakeMs,
    Field::DedupWindowMs,
    Field::JitterSeed,
    Field::MaxFrameBytes,
    Field::MaxDepth,
    Field::DedupWindow,
    Field::SendBufferCap,
    Field::PendingCap,
    Field::RunTableCap,
    Field::ReorderBufferCap,
    Field::OutputQueueCap,
    Field::MinDelayMs,
    Field::MaxDelayMs,
    Field::MaxAttempts,
];

/// The dialects by the index `client_options` returns.
const DIALECTS: [DialectChoice; 3] = [DialectChoice::Auto, DialectChoice::Netra, DialectChoice::Sequenced];

impl Field {
    /// Stores `wide`; the narrower fields (those of sizes and counts, checked to fit 32 bits)
    /// get it narrowed.
    fn store(self, c: &mut Config, wide: u64) {
        let small = u32::try_from(wide).unwrap_or(u32::MAX);
        // A `usize` holds any `u32` on every target this code runs on (wasm32 and wider).
        let size = small as usize;
        match self {
            Field::HeartbeatIntervalMs => c.heartbeat_interval_ms = wide,
            Field::HeartbeatTimeoutMs => c.heartbeat_timeout_ms = wide,
            Field::HandshakeTimeoutMs => c.handshake_timeout_ms = wide,
            Field::AckTimeoutMs => c.ack_timeout_ms = wide,
            Field::FirstEventTimeoutMs => c.first_event_timeout_ms = wide,
            Field::RunStallTimeoutMs => c.run_stall_timeout_ms = wide,
            Field::ReorderWindowMs => c.reorder_window_ms = wide,
            Field::LateWakeMs => c.late_wake_ms = wide,
            Field::DedupWindowMs => c.dedup_window_ms = wide,
            Field::JitterSeed => c.jitter_seed = wide,
            Field::MaxFrameBytes => c.max_frame_bytes = size,
            Field::MaxDepth => c.max_depth = small,
            Field::DedupWindow => c.dedup_window = size,
            Field::SendBufferCap => c.send_buffer_cap = size,
            Field::PendingCap => c.pending_cap = size,
            Field::RunTableCap => c.run_table_cap = size,
            Field::ReorderBufferCap => c.reorder_buffer_cap = size,
            Field::OutputQueueCap => c.output_queue_cap = size,
            Field::MinDelayMs => c.reconnect.min_delay_ms = wide,
            Field::MaxDelayMs => c.reconnect.max_delay_ms = wide,
            Field::MaxAttempts => c.reconnect.max_attempts = small,
        }
    }
}

/// Parses and checks `new ChatClient(options)`; `Err` is the `TypeError` or `RangeError` to
/// throw.
pub(crate) fn client(value: &JsValue) -> Result<JsClientOptions, JsValue> {
    let checked = client_options(value)?;
    let mut config = Config::default();
    if let Some(dialect) = bytes::number(&checked.get(3)).and_then(|i| DIALECTS.get(i as usize)) {
        config.dialect = *dialect;
    }
    let events = checked.get(4);
    // An array of strings where given (checked in JavaScript), else `undefined`.
    if !events.is_undefined() {
        let events = events.unchecked_into::<Array>();
        config.required_events.clear();
        for i in 0..events.length() {
            if let Some(event) = bytes::to_string(&events.get(i)) {
                config.required_events.push(event);
            }
        }
    }
    for (at, &field) in (5..).zip(&FIELDS) {
        // Checked in JavaScript: a non-negative safe integer, so `as` is exact.
        if let Some(n) = bytes::number(&checked.get(at)) {
            field.store(&mut config, n as u64);
        }
    }
    Ok(JsClientOptions { endpoint: Endpoint::custom(checked.get(2)), config })
}

/// Parses `sendMessage(text, {threadId})` into the text and its options; `Err` is the
/// `TypeError` to throw.
pub(crate) fn send(text: &JsValue, options: &JsValue) -> Result<(String, SendOptions), JsValue> {
    let thread_id = bytes::to_string(&send_arguments(text, options)?);
    // Checked to be a string in JavaScript, so this is never the default.
    let text = bytes::to_string(text).unwrap_or_default();
    Ok((text, SendOptions { thread_id }))
}
