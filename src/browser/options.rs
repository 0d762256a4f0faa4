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

/// `new ChatClient(options)`, checked: where to connect and the tracker's configuration.
pub(crate) struct JsClientOptions {
    pub(crate) endpoint: Endpoint,
    pub(crate) config: Config,
}

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

/// A non-negative integer number of at most 2^53 − 1.
fn integer(value: &JsValue, option: &'static str) -> Result<u64, OptionError> {
    let n = value.as_f64().ok_or_else(|| OptionError::type_error(option, "must be a number"))?;
    // In range, `as` is exact for an integral `n` and truncates any other; NaN is out of range.
    let whole = n as u64;
    if !(0.0..=MAX_SAFE).contains(&n) || whole as f64 != n {
        return Err(OptionError::range_error(option, "must be a non-negative integer"));
    }
    Ok(whole)
}

fn size(value: &JsValue, option: &'static str) -> Result<usize, OptionError> {
    usize::try_from(integer(value, option)?).map_err(|_| OptionError::range_error(option, "is too large"))
}

fn count(value: &JsValue, option: &'static str) -> Result<u32, OptionError> {
    u32::try_from(integer(value, option)?).map_err(|_| OptionError::range_error(option, "is too large"))
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
            "heartbeatIntervalMs" => c.heartbeat_interval_ms = integer(v, "heartbeatIntervalMs")?,
            "heartbeatTimeoutMs" => c.heartbeat_timeout_ms = integer(v, "heartbeatTimeoutMs")?,
            "handshakeTimeoutMs" => c.handshake_timeout_ms = integer(v, "handshakeTimeoutMs")?,
            "ackTimeoutMs" => c.ack_timeout_ms = integer(v, "ackTimeoutMs")?,
            "firstEventTimeoutMs" => c.first_event_timeout_ms = integer(v, "firstEventTimeoutMs")?,
            "runStallTimeoutMs" => c.run_stall_timeout_ms = integer(v, "runStallTimeoutMs")?,
            "reorderWindowMs" => c.reorder_window_ms = integer(v, "reorderWindowMs")?,
            "lateWakeMs" => c.late_wake_ms = integer(v, "lateWakeMs")?,
            "dedupWindowMs" => c.dedup_window_ms = integer(v, "dedupWindowMs")?,
            "jitterSeed" => c.jitter_seed = integer(v, "jitterSeed")?,
            "maxFrameBytes" => c.max_frame_bytes = size(v, "maxFrameBytes")?,
            "maxDepth" => c.max_depth = count(v, "maxDepth")?,
            "dedupWindow" => c.dedup_window = size(v, "dedupWindow")?,
            "sendBufferCap" => c.send_buffer_cap = size(v, "sendBufferCap")?,
            "pendingCap" => c.pending_cap = size(v, "pendingCap")?,
            "runTableCap" => c.run_table_cap = size(v, "runTableCap")?,
            "reorderBufferCap" => c.reorder_buffer_cap = size(v, "reorderBufferCap")?,
            "outputQueueCap" => c.output_queue_cap = size(v, "outputQueueCap")?,
            "requiredEvents" => {
                if !Array::is_array(v) {
                    return Err(OptionError::type_error("requiredEvents", "must be an array of strings"));
                }
                let array: &Array = v.unchecked_ref();
                if array.length() > 1024 {
                    return Err(OptionError::range_error("requiredEvents", "lists more than 32 event types"));
                }
                c.required_events = array
                    .iter()
                    .map(|e| {
                        e.as_string()
                            .ok_or_else(|| OptionError::type_error("requiredEvents", "must be an array of strings"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "reconnect" => {
                for (name, v) in members(v, "reconnect")? {
                    let v = &v;
                    match name.as_str() {
                        "minDelayMs" => c.reconnect.min_delay_ms = integer(v, "reconnect.minDelayMs")?,
                        "maxDelayMs" => c.reconnect.max_delay_ms = integer(v, "reconnect.maxDelayMs")?,
                        "maxAttempts" => c.reconnect.max_attempts = count(v, "reconnect.maxAttempts")?,
                        other => return Err(unknown("reconnect.", other)),
                    }
                }
            }
            other => return Err(unknown("", other)),
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
            c.validate().map_err(|e| OptionError::range_error(e.field, e.reason))?;
            Ok(JsClientOptions { endpoint: Endpoint::custom(transport), config: c })
        }
        (Some(url), None) => {
            let options = ClientOptions { url, token, config: c };
            options.validate()?;
            let endpoint = super::driver::websocket(options.url, options.token.as_deref());
            Ok(JsClientOptions { endpoint, config: options.config })
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
