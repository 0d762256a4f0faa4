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
use crate::core::{Config, Credential, DialectChoice, SendOptions};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// Checks `new ChatClient(options)` and throws the `TypeError` or `RangeError` of the first
    /// bad option, in the order of the object's keys: exactly one of `url` (a valid `ws://` or
    /// `wss://` URL without a fragment that contains the token neither as given nor as the
    /// subprotocol encodes it) and `transport` (an object with a `connect` function); `token`
    /// (a string, `""` meaning none) only with `url`; every numeric option a non-negative safe
    /// integer, at most 2^32 − 1 for sizes and counts; `requireExplicitAck` a boolean.
    /// Returns, `undefined` where absent:
    /// `[requireExplicitAck, token, transport, dialect index, requiredEvents, ...numbers]`, the numbers in the order
    /// of [`store`]; with a `url`, `transport` is the WebSocket transport of the URL (as
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

/// The dialects by the index `client_options` returns.
const DIALECTS: [DialectChoice; 3] = [DialectChoice::Auto, DialectChoice::Netra, DialectChoice::Sequenced];

/// Stores the numeric option at `index` in the order `client_options` returns them (those of
/// the top level, `NUMERIC` in JavaScript, then the members of `reconnect`, `RECONNECT`); an
/// index past them stores nothing. The narrower fields (those of sizes and counts, checked to
/// fit 32 bits) get `wide` narrowed.
fn store(c: &mut Config, index: u32, wide: u64) {
    let small = u32::try_from(wide).unwrap_or(u32::MAX);
    // A `usize` holds any `u32` on every target this code runs on (wasm32 and wider).
    let size = small as usize;
    match index {
        0 => c.heartbeat_interval_ms = wide,
        1 => c.heartbeat_timeout_ms = wide,
        2 => c.handshake_timeout_ms = wide,
        3 => c.ack_timeout_ms = wide,
        4 => c.first_event_timeout_ms = wide,
        5 => c.run_stall_timeout_ms = wide,
        6 => c.reorder_window_ms = wide,
        7 => c.late_wake_ms = wide,
        8 => c.dedup_window_ms = wide,
        9 => c.jitter_seed = wide,
        10 => c.max_frame_bytes = size,
        11 => c.max_depth = small,
        12 => c.dedup_window = size,
        13 => c.send_buffer_cap = size,
        14 => c.pending_cap = size,
        15 => c.run_table_cap = size,
        16 => c.reorder_buffer_cap = size,
        17 => c.output_queue_cap = size,
        18 => c.reconnect.min_delay_ms = wide,
        19 => c.reconnect.max_delay_ms = wide,
        20 => c.reconnect.max_attempts = small,
        _ => {}
    }
}

/// How many numeric options `client_options` returns.
const NUMBERS: u32 = 21;

/// Parses and checks `new ChatClient(options)`; `Err` is the `TypeError` or `RangeError` to
/// throw.
pub(crate) fn client(value: &JsValue) -> Result<JsClientOptions, JsValue> {
    let checked = client_options(value)?;
    let mut config = Config {
        credential: bytes::to_string(&checked.get(1)).map(Credential::new),
        require_explicit_ack: checked.get(0).as_bool().unwrap_or(false),
        ..Config::default()
    };
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
    for index in 0..NUMBERS {
        // Checked in JavaScript: a non-negative safe integer, so `as` is exact.
        if let Some(n) = bytes::number(&checked.get(5 + index)) {
            store(&mut config, index, n as u64);
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
