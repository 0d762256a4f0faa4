//! JavaScript options objects → [`ClientOptions`] and [`SendOptions`], strictly: unknown names,
//! wrong types and out-of-range values are a `TypeError`/`RangeError` naming the option.
//! `undefined` means "absent" (the default applies).

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::error::OptionError;
use super::rust::ClientOptions;
use super::transport::Endpoint;
use crate::core::{Config, DialectChoice, SendOptions};

/// `new ChatClient(options)`, checked: where to connect and the tracker's configuration (whose
/// values `Tracker::new` checks).
pub(crate) struct JsClientOptions {
    pub(crate) endpoint: Endpoint,
    pub(crate) config: Config,
}

/// What `requiredEvents` must be.
const EVENT_LIST: &str = "must be an array of strings";

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The members of a plain options object, `undefined` ones left out.
fn members(value: &JsValue, option: &'static str) -> Result<Vec<(String, JsValue)>, OptionError> {
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Err(OptionError::type_error(option, "must be an object"));
    }
    let object: &Object = value.unchecked_ref();
    let mut out = Vec::new();
    for key in Object::keys(object).iter() {
        let Some(name) = key.as_string() else { continue };
        let member =
            Reflect::get(object, &key).map_err(|_| OptionError::type_error(name.clone(), "could not be read"))?;
        if !member.is_undefined() {
            out.push((name, member));
        }
    }
    Ok(out)
}

fn unknown(prefix: &str, name: &str) -> OptionError {
    let mut option = String::from(prefix);
    option.push_str(name);
    OptionError::type_error(option, "is not a known option")
}

fn string(value: &JsValue, option: &'static str) -> Result<String, OptionError> {
    value.as_string().ok_or_else(|| OptionError::type_error(option, "must be a string"))
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

/// A numeric option: its name as the JavaScript API spells it (`reconnect.` included for the
/// members of `reconnect`), where it goes, and whether it must fit 32 bits (sizes and counts)
/// or may be any non-negative safe integer (milliseconds and the seed).
struct Numeric {
    option: &'static str,
    field: Field,
    small: bool,
}

const fn numeric(option: &'static str, field: Field, small: bool) -> Numeric {
    Numeric { option, field, small }
}

/// The numeric options at the top level of `new ChatClient(options)`.
static NUMERIC: [Numeric; 18] = [
    numeric("heartbeatIntervalMs", Field::HeartbeatIntervalMs, false),
    numeric("heartbeatTimeoutMs", Field::HeartbeatTimeoutMs, false),
    numeric("handshakeTimeoutMs", Field::HandshakeTimeoutMs, false),
    numeric("ackTimeoutMs", Field::AckTimeoutMs, false),
    numeric("firstEventTimeoutMs", Field::FirstEventTimeoutMs, false),
    numeric("runStallTimeoutMs", Field::RunStallTimeoutMs, false),
    numeric("reorderWindowMs", Field::ReorderWindowMs, false),
    numeric("lateWakeMs", Field::LateWakeMs, false),
    numeric("dedupWindowMs", Field::DedupWindowMs, false),
    numeric("jitterSeed", Field::JitterSeed, false),
    numeric("maxFrameBytes", Field::MaxFrameBytes, true),
    numeric("maxDepth", Field::MaxDepth, true),
    numeric("dedupWindow", Field::DedupWindow, true),
    numeric("sendBufferCap", Field::SendBufferCap, true),
    numeric("pendingCap", Field::PendingCap, true),
    numeric("runTableCap", Field::RunTableCap, true),
    numeric("reorderBufferCap", Field::ReorderBufferCap, true),
    numeric("outputQueueCap", Field::OutputQueueCap, true),
];

/// The members of `reconnect`.
static RECONNECT: [Numeric; 3] = [
    numeric("reconnect.minDelayMs", Field::MinDelayMs, false),
    numeric("reconnect.maxDelayMs", Field::MaxDelayMs, false),
    numeric("reconnect.maxAttempts", Field::MaxAttempts, true),
];

impl Numeric {
    /// The option of `table` named `name` (after `prefix`, the table's common prefix).
    fn find(table: &'static [Numeric], prefix: &str, name: &str) -> Option<&'static Numeric> {
        table.iter().find(|n| n.option.strip_prefix(prefix) == Some(name))
    }

    /// Checks `value` and stores it: a number (`TypeError`), a non-negative integer of at most
    /// 2^53 − 1 (`RangeError`), and for a small option at most 2^32 − 1 (`RangeError`).
    fn set(&self, config: &mut Config, value: &JsValue) -> Result<(), OptionError> {
        let n = value.as_f64().ok_or_else(|| OptionError::type_error(self.option, "must be a number"))?;
        // In range, `as` is exact for an integral `n` and truncates any other; NaN is out of range.
        let whole = n as u64;
        if !(0.0..=MAX_SAFE).contains(&n) || whole as f64 != n {
            return Err(OptionError::range_error(self.option, "must be a non-negative integer"));
        }
        if self.small && whole > u64::from(u32::MAX) {
            return Err(OptionError::range_error(self.option, "is too large"));
        }
        self.field.store(config, whole);
        Ok(())
    }
}

impl Field {
    /// Stores `wide`; the narrower fields (those of small options) get it checked to fit 32 bits.
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

/// Parses and validates `new ChatClient(options)`: exactly one of `url` and `transport`;
/// `token` only with `url` (a transport authenticates itself).
pub(crate) fn client(value: &JsValue) -> Result<JsClientOptions, OptionError> {
    let mut url = None;
    let mut token = None;
    let mut transport = None;
    let mut c = Config::default();
    for (name, v) in members(value, "options")? {
        let v = &v;
        match name.as_str() {
            "url" => url = Some(string(v, "url")?),
            "transport" => {
                let connect = Reflect::get(v, &JsValue::from_str("connect")).unwrap_or(JsValue::UNDEFINED);
                if !v.is_object() || !connect.is_function() {
                    return Err(OptionError::type_error(
                        "transport",
                        "must be an object with a connect(callbacks) method",
                    ));
                }
                transport = Some(v.clone());
            }
            "token" => token = Some(string(v, "token")?).filter(|t| !t.is_empty()),
            "dialect" => {
                let text = string(v, "dialect")?;
                c.dialect = DialectChoice::parse(&text).ok_or_else(|| {
                    OptionError::range_error("dialect", "must be \"auto\", \"netra\" or \"sequenced\"")
                })?;
            }
            "requiredEvents" => {
                if !Array::is_array(v) {
                    return Err(OptionError::type_error("requiredEvents", EVENT_LIST));
                }
                let array: &Array = v.unchecked_ref();
                if array.length() > 1024 {
                    return Err(OptionError::range_error("requiredEvents", "lists more than 32 event types"));
                }
                let mut events = Vec::new();
                for event in array.iter() {
                    let event = event.as_string();
                    events.push(event.ok_or_else(|| OptionError::type_error("requiredEvents", EVENT_LIST))?);
                }
                c.required_events = events;
            }
            "reconnect" => {
                for (name, v) in members(v, "reconnect")? {
                    let option = Numeric::find(&RECONNECT, "reconnect.", &name);
                    option.ok_or_else(|| unknown("reconnect.", &name))?.set(&mut c, &v)?;
                }
            }
            other => Numeric::find(&NUMERIC, "", other).ok_or_else(|| unknown("", other))?.set(&mut c, v)?,
        }
    }
    match (url, transport) {
        (Some(_), Some(_)) => Err(OptionError::type_error("transport", "cannot be given together with \"url\"")),
        (None, None) => Err(OptionError::type_error("url", "is required (or give a \"transport\" instead)")),
        (None, Some(transport)) => {
            if token.is_some() {
                return Err(OptionError::type_error(
                    "token",
                    "cannot be used with a transport (the transport authenticates itself)",
                ));
            }
            Ok(JsClientOptions { endpoint: Endpoint::custom(transport), config: c })
        }
        (Some(url), None) => {
            ClientOptions::check_endpoint(&url, token.as_deref())?;
            Ok(JsClientOptions { endpoint: super::driver::websocket(url, token.as_deref()), config: c })
        }
    }
}

/// Parses `sendMessage(text, {threadId})`.
pub(crate) fn send(value: &JsValue) -> Result<SendOptions, OptionError> {
    let mut options = SendOptions::default();
    if value.is_undefined() || value.is_null() {
        return Ok(options);
    }
    for (name, v) in members(value, "sendMessage options")? {
        match name.as_str() {
            "threadId" => options.thread_id = Some(string(&v, "threadId")?),
            other => return Err(unknown("sendMessage options.", other)),
        }
    }
    Ok(options)
}
