//! JavaScript options objects → the client's endpoint and [`Config`], and [`SendOptions`],
//! strictly: unknown names, wrong types and out-of-range values are a `TypeError`/`RangeError`
//! naming the option. `undefined` means "absent" (the default applies).
//!
//! Every name comes from [`core::options`](crate::core::options). The values
//! of the configuration as a whole (a timeout of zero, a cap too small) are then checked by
//! `Tracker::new`, as for the Rust API.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::bytes;
use super::error::{argument_error, OptionError};
use super::otel::Instruments;
use super::transport::{self, Endpoint};
use crate::core::options::{
    number_option, NumberOption, CONFIRM_EVENTS, DEBUG, DIALECT, MAX_SAFE_INTEGER, RECONNECT, RECONNECT_PREFIX,
    REQUIRED_EVENTS, REQUIRE_EXPLICIT_ACK, SIGNAL, TELEMETRY, TELEMETRY_ENDPOINT, TELEMETRY_ENDPOINT_ONLY,
    TELEMETRY_FLUSH_INTERVAL_MS, TELEMETRY_HEADERS, TELEMETRY_LOGGER, TELEMETRY_MAX_BATCH, TELEMETRY_MAX_QUEUE,
    TELEMETRY_METER, TELEMETRY_PREFIX, TELEMETRY_RESOURCE, TELEMETRY_SAMPLE_RATE, THREAD_ID, TOKEN, TRANSPORT, URL,
};
use crate::core::{
    Config, Credential, DialectChoice, SendOptions, TelemetryConfig, TelemetrySink, ALL_SAMPLED, MAX_REQUIRED_EVENTS,
};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// The members of the object `value` that are not `undefined`, as `[name, value]` pairs in
    /// key order; `undefined` if `value` is not a plain object (an array, `null` or not an
    /// object). Throws what a member's getter throws.
    #[wasm_bindgen(catch)]
    fn members(value: &JsValue) -> Result<Option<Array>, JsValue>;

    /// `console.debug`, bound to `console`.
    fn console_debug() -> Function;

    /// Whether `value` is an `AbortSignal`.
    fn is_abort_signal(value: &JsValue) -> bool;

    /// `performance.timeOrigin`: the Unix time in ms of the clock's zero.
    fn time_origin() -> f64;
}

/// `new ChatClient(options)`, checked: where to connect and the tracker's configuration (whose
/// values `Tracker::new` checks).
pub(crate) struct JsClientOptions {
    pub(crate) endpoint: Endpoint,
    pub(crate) config: Config,
    /// Where telemetry goes (the `telemetry` option).
    pub(crate) telemetry: Option<TelemetryTarget>,
    /// The `debug` option: the function given each line of the decisions' log.
    pub(crate) logger: Option<Function>,
}

/// Parses and checks `new ChatClient(options)`; `Err` is the `TypeError` or `RangeError` to
/// throw, for the first bad option in the order of the object's keys: exactly one of `url` (a
/// valid `ws://` or `wss://` URL without a fragment that contains the token neither as given
/// nor as the subprotocol encodes it) and `transport` (an object with a `connect` function);
/// `token` (a string, `""` meaning none) only with `url`; every numeric option a non-negative
/// integer that fits its field; `requireExplicitAck` a boolean; `dialect` one of its names;
/// `requiredEvents` an array of strings.
pub(crate) fn client(value: &JsValue) -> Result<JsClientOptions, JsValue> {
    read_client(value).map_err(|e| e.to_js())
}

fn read_client(value: &JsValue) -> Result<JsClientOptions, OptionError> {
    let mut config = Config::default();
    let (mut url, mut token, mut custom, mut logger, mut telemetry_target) = (None, None, None, None, None);
    for (name, value) in entries(value, "options")? {
        match name.as_str() {
            URL => url = Some(string(&value, URL)?),
            TOKEN => token = Some(string(&value, TOKEN)?),
            TRANSPORT => {
                if !transport::has_connect(&value) {
                    return Err(OptionError::type_error(
                        TRANSPORT,
                        "must be an object with a connect(callbacks) method",
                    ));
                }
                custom = Some(value);
            }
            REQUIRE_EXPLICIT_ACK => config.require_explicit_ack = boolean(&value, REQUIRE_EXPLICIT_ACK)?,
            CONFIRM_EVENTS => config.confirm_events = boolean(&value, CONFIRM_EVENTS)?,
            DIALECT => {
                let name = string(&value, DIALECT)?;
                config.dialect = DialectChoice::parse(&name).ok_or_else(dialect_error)?;
            }
            REQUIRED_EVENTS => config.required_events = events(&value)?,
            TELEMETRY => {
                let (telemetry, target) = telemetry(&value)?;
                config.telemetry = Some(telemetry);
                telemetry_target = Some(target);
            }
            DEBUG => {
                logger = match value.as_bool() {
                    Some(true) => Some(console_debug()),
                    Some(false) => None,
                    None if value.is_function() => Some(value.unchecked_into()),
                    None => return Err(OptionError::type_error(DEBUG, "must be a boolean or a function")),
                };
            }
            RECONNECT => {
                for (member, value) in entries(&value, RECONNECT)? {
                    let name = bytes::joined(RECONNECT_PREFIX, &member);
                    let option = number_option(&name);
                    let option = option.ok_or_else(|| OptionError::type_error(name, "is not a known option"))?;
                    set_number(&mut config, option, &value)?;
                }
            }
            other => match number_option(other).filter(|o| !o.name.starts_with(RECONNECT_PREFIX)) {
                Some(option) => set_number(&mut config, option, &value)?,
                None => return Err(OptionError::type_error(name, "is not a known option")),
            },
        }
    }
    let endpoint = match (url, custom) {
        (Some(_), Some(_)) => return Err(OptionError::type_error(TRANSPORT, "cannot be given together with \"url\"")),
        (None, None) => return Err(OptionError::type_error(URL, "is required (or give a \"transport\" instead)")),
        (None, Some(transport)) => {
            if token.is_some() {
                let reason = "cannot be used with a transport (the transport authenticates itself)";
                return Err(OptionError::type_error(TOKEN, reason));
            }
            Endpoint::custom(transport)
        }
        (Some(url), None) => {
            let credential = check_endpoint(&url, token.as_deref())?;
            let endpoint = Endpoint::websocket(&url, credential.as_ref());
            config.credential = credential;
            endpoint
        }
    };
    if let (Some(TelemetryTarget::Collector(target)), Some(credential)) = (&telemetry_target, &config.credential) {
        target.check_secrets(credential)?;
    }
    Ok(JsClientOptions { endpoint, config, logger, telemetry: telemetry_target })
}

/// Checks a WebSocket URL and its token: a valid `ws://` or `wss://` URL without a fragment
/// that contains the token neither as given nor as the subprotocol encodes it. An empty token
/// is none. Returns the credential of the token.
pub(crate) fn check_endpoint(url: &str, token: Option<&str>) -> Result<Option<Credential>, OptionError> {
    let scheme_ok = ["ws://", "wss://"].iter().any(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
    if !scheme_ok {
        return Err(OptionError::type_error(URL, "must be a ws:// or wss:// URL"));
    }
    if web_sys::Url::new(url).is_err() {
        return Err(OptionError::type_error(URL, "is not a valid URL"));
    }
    if url.contains('#') {
        return Err(OptionError::type_error(URL, "must not have a fragment (#)"));
    }
    let credential = token.filter(|t| !t.is_empty()).map(Credential::new);
    if credential.as_ref().is_some_and(|c| c.appears_in(url)) {
        return Err(OptionError::type_error(URL, "must not contain the token (it travels as a subprotocol)"));
    }
    Ok(credential)
}

/// The `[name, value]` members of the object `value` (the option `option`).
fn entries(value: &JsValue, option: &str) -> Result<Vec<(String, JsValue)>, OptionError> {
    let option = || Cow::Owned(String::from(option));
    let pairs = members(value).map_err(|_| OptionError::type_error(option(), "has a member that could not be read"))?;
    let pairs = pairs.ok_or_else(|| OptionError::type_error(option(), "must be an object"))?;
    let mut out = Vec::new();
    for pair in pairs.iter() {
        let pair: Array = pair.unchecked_into();
        out.push((bytes::to_string(&pair.get(0)).unwrap_or_default(), pair.get(1)));
    }
    Ok(out)
}

/// Where the exports of the `telemetry` option go: its endpoint and extra headers.
pub(crate) struct CollectorTarget {
    /// The OTLP/HTTP base URL (`http://` or `https://`), without a trailing `/`.
    pub(crate) endpoint: String,
    /// The headers object to send, its values checked to be strings.
    pub(crate) headers: JsValue,
    /// The endpoint and the header values, checked against the token once it is known.
    secrets: Vec<String>,
}

impl CollectorTarget {
    /// The target of a Rust client: `endpoint` checked, `headers` made a JavaScript object.
    pub(crate) fn new(endpoint: &str, headers: &[(String, String)]) -> Result<Self, OptionError> {
        let object = js_sys::Object::new();
        let mut secrets = alloc::vec![String::from(endpoint)];
        for (key, value) in headers {
            // Setting a property on a fresh plain object does not throw.
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
            secrets.extend([key.clone(), value.clone()]);
        }
        Ok(CollectorTarget { endpoint: collector_endpoint(endpoint)?, headers: object.into(), secrets })
    }

    /// Refuses an endpoint or a header that holds the token: it travels only as the WebSocket
    /// subprotocol.
    pub(crate) fn check_secrets(&self, credential: &Credential) -> Result<(), OptionError> {
        if self.secrets.iter().any(|text| credential.appears_in(text)) {
            let reason = "must not contain the token (it travels only as the WebSocket subprotocol)";
            return Err(OptionError::type_error(TELEMETRY, reason));
        }
        Ok(())
    }
}

/// An OTLP/HTTP endpoint checked (an `http://` or `https://` URL), without a trailing `/`.
fn collector_endpoint(url: &str) -> Result<String, OptionError> {
    let scheme_ok =
        ["http://", "https://"].iter().any(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
    if !scheme_ok {
        return Err(OptionError::type_error(TELEMETRY_ENDPOINT, "must be an http:// or https:// URL"));
    }
    Ok(String::from(url.trim_end_matches('/')))
}

/// Unix time in ms at the driver's clock origin, for [`TelemetryConfig::epoch_ms`].
pub(crate) fn epoch_ms() -> u64 {
    time_origin() as u64
}

/// Where telemetry goes: an OTLP receiver, or the application's own OpenTelemetry SDK.
pub(crate) enum TelemetryTarget {
    Collector(CollectorTarget),
    /// The application's OpenTelemetry `Logger` and the instruments made with its `Meter`, one
    /// of them at least.
    Application {
        logger: Option<JsValue>,
        instruments: Option<Instruments>,
    },
}

/// Parses the `telemetry` option: either `endpoint` (an `http://` or `https://` URL) with
/// `headers` and `resource` (objects of strings) and the numbers `maxBatch` and
/// `flushIntervalMs`, or the application's `logger` and/or `meter`; `sampleRate` (0 to 1) and
/// `maxQueue` with either. The numbers are checked by `Config::validate`.
fn telemetry(value: &JsValue) -> Result<(TelemetryConfig, TelemetryTarget), OptionError> {
    let mut config = TelemetryConfig { epoch_ms: epoch_ms(), ..TelemetryConfig::default() };
    let (mut endpoint, mut headers, mut secrets) = (None, JsValue::UNDEFINED, Vec::new());
    let (mut logger, mut meter, mut endpoint_only) = (None, None, None);
    for (member, value) in entries(value, TELEMETRY)? {
        let name = bytes::joined(TELEMETRY_PREFIX, &member);
        if let Some(option) = TELEMETRY_ENDPOINT_ONLY.iter().find(|o| **o == name) {
            endpoint_only = Some(*option);
        }
        match name.as_str() {
            TELEMETRY_ENDPOINT => {
                let url = string(&value, TELEMETRY_ENDPOINT)?;
                endpoint = Some(collector_endpoint(&url)?);
                secrets.push(url);
            }
            TELEMETRY_HEADERS => {
                for (key, value) in string_members(&value, TELEMETRY_HEADERS)? {
                    secrets.push(key);
                    secrets.push(value);
                }
                headers = value;
            }
            TELEMETRY_RESOURCE => config.resource = string_members(&value, TELEMETRY_RESOURCE)?,
            TELEMETRY_SAMPLE_RATE => {
                let rate = bytes::number(&value).filter(|r| (0.0..=1.0).contains(r));
                let rate = rate
                    .ok_or_else(|| OptionError::range_error(TELEMETRY_SAMPLE_RATE, "must be a number from 0 to 1"))?;
                config.sample_per_million = (rate * f64::from(ALL_SAMPLED)) as u32;
            }
            TELEMETRY_MAX_BATCH => config.max_batch = size(integer(&value, TELEMETRY_MAX_BATCH)?),
            TELEMETRY_FLUSH_INTERVAL_MS => config.flush_interval_ms = integer(&value, TELEMETRY_FLUSH_INTERVAL_MS)?,
            TELEMETRY_MAX_QUEUE => config.max_queue = size(integer(&value, TELEMETRY_MAX_QUEUE)?),
            TELEMETRY_LOGGER => {
                let emit = js_sys::Reflect::get(&value, &JsValue::from_str("emit")).is_ok_and(|f| f.is_function());
                if !value.is_object() || !emit {
                    return Err(OptionError::type_error(
                        TELEMETRY_LOGGER,
                        "must be an OpenTelemetry Logger (with emit)",
                    ));
                }
                logger = Some(value);
            }
            TELEMETRY_METER => {
                let reason = "must be an OpenTelemetry Meter (createCounter and createHistogram made no instrument)";
                meter = Some(Instruments::new(&value).ok_or_else(|| OptionError::type_error(TELEMETRY_METER, reason))?);
            }
            _ => return Err(OptionError::type_error(name, "is not a known option")),
        }
    }
    if logger.is_some() || meter.is_some() {
        if let Some(option) = endpoint_only {
            return Err(OptionError::type_error(
                option,
                "is for the endpoint only: the logger and meter export themselves",
            ));
        }
        config.sink = TelemetrySink::Application { logs: logger.is_some(), metrics: meter.is_some() };
        return Ok((config, TelemetryTarget::Application { logger, instruments: meter }));
    }
    let endpoint =
        endpoint.ok_or_else(|| OptionError::type_error(TELEMETRY_ENDPOINT, "is required (or a logger or a meter)"))?;
    Ok((config, TelemetryTarget::Collector(CollectorTarget { endpoint, headers, secrets })))
}

/// The members of an object whose values must all be strings.
fn string_members(value: &JsValue, option: &'static str) -> Result<Vec<(String, String)>, OptionError> {
    entries(value, option)?
        .into_iter()
        .map(|(key, value)| {
            let value =
                bytes::to_string(&value).ok_or_else(|| OptionError::type_error(option, "must hold strings only"))?;
            Ok((key, value))
        })
        .collect()
}

/// A non-negative integer up to 2^53.
fn integer(value: &JsValue, name: &'static str) -> Result<u64, OptionError> {
    let number = bytes::number(value).ok_or_else(|| OptionError::type_error(name, "must be a number"))?;
    // Exact for every integer up to 2^53; anything else (a fraction, a negative number,
    // infinity) does not come back as itself.
    let integer = number as u64;
    if integer as f64 != number || integer > MAX_SAFE_INTEGER {
        return Err(OptionError::range_error(name, "must be a non-negative integer"));
    }
    Ok(integer)
}

/// A size already bounded by `Config::validate`'s checks, saturated to fit.
fn size(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn boolean(value: &JsValue, option: &'static str) -> Result<bool, OptionError> {
    value.as_bool().ok_or_else(|| OptionError::type_error(option, "must be a boolean"))
}

fn string(value: &JsValue, option: &'static str) -> Result<String, OptionError> {
    bytes::to_string(value).ok_or_else(|| OptionError::type_error(option, "must be a string"))
}

fn dialect_error() -> OptionError {
    let mut reason = String::from("must be one of ");
    for (i, name) in DialectChoice::NAMES.iter().enumerate() {
        if i > 0 {
            reason.push_str(", ");
        }
        reason.push('"');
        reason.push_str(name);
        reason.push('"');
    }
    OptionError::range_error(DIALECT, reason)
}

/// `requiredEvents`: an array of strings (their count and lengths are checked by
/// `Config::validate`, but an array far longer than any valid one is refused before copying).
fn events(value: &JsValue) -> Result<Vec<String>, OptionError> {
    const NOT_A_LIST: &str = "must be an array of strings";
    if !Array::is_array(value) {
        return Err(OptionError::type_error(REQUIRED_EVENTS, NOT_A_LIST));
    }
    let list: &Array = value.unchecked_ref();
    if list.length() as usize > MAX_REQUIRED_EVENTS {
        return Err(OptionError::range_error(REQUIRED_EVENTS, "lists more than 32 event types"));
    }
    list.iter()
        .map(|event| bytes::to_string(&event).ok_or(OptionError::type_error(REQUIRED_EVENTS, NOT_A_LIST)))
        .collect()
}

/// Sets the numeric `option` from `value`: a number, a non-negative integer, within its width.
fn set_number(config: &mut Config, option: &NumberOption, value: &JsValue) -> Result<(), OptionError> {
    let name = option.name;
    let integer = integer(value, name)?;
    if integer > option.width.max() {
        return Err(OptionError::range_error(name, "is too large"));
    }
    (option.set)(config, integer);
    Ok(())
}

/// Parses `connect({signal})`: the `AbortSignal`, if given; `Err` is the `TypeError` to
/// reject with (options other than `undefined`, `null` or `{signal?: AbortSignal}`).
pub(crate) fn connect(options: &JsValue) -> Result<Option<JsValue>, JsValue> {
    let signal = only_member(options, "connect options", SIGNAL)?;
    match signal {
        Some(signal) if !is_abort_signal(&signal) => {
            Err(OptionError::type_error(SIGNAL, "must be an AbortSignal").to_js())
        }
        signal => Ok(signal),
    }
}

/// Parses `sendMessage(text, {threadId})` into the text and its options; `Err` is the
/// `TypeError` to reject with: `text` not a string, or options other than `undefined`, `null`
/// or `{threadId?: string}`.
pub(crate) fn send(text: &JsValue, options: &JsValue) -> Result<(String, SendOptions), JsValue> {
    let text = bytes::to_string(text).ok_or_else(|| argument_error("sendMessage() takes the text as a string"))?;
    let thread_id = only_member(options, "sendMessage options", THREAD_ID)?;
    let thread_id = thread_id.map(|t| string(&t, THREAD_ID)).transpose().map_err(|e| e.to_js())?;
    Ok((text, SendOptions { thread_id }))
}

/// The member `name` of the options object `options` of a method (`what`, as errors name it),
/// the only one it takes; `undefined` and `null` are no options. `Err` is the `TypeError` of
/// any other member.
fn only_member(options: &JsValue, what: &str, name: &str) -> Result<Option<JsValue>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let mut found = None;
    for (member, value) in entries(options, what).map_err(|e| e.to_js())? {
        if member != name {
            let option = bytes::joined(&bytes::joined(what, "."), &member);
            return Err(OptionError::type_error(option, "is not a known option").to_js());
        }
        found = Some(value);
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
mod tests {
    use alloc::borrow::ToOwned;
    use alloc::format;
    use alloc::vec;

    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::core::options::{NUMBER_OPTIONS, OTHER_OPTIONS};

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    type Setter = fn(&mut Config);

    /// Every option as a JavaScript member, and the `Config` change it must make, written out
    /// by hand here (not from the table under test).
    fn expected() -> Vec<(&'static str, &'static str, Setter)> {
        vec![
            ("heartbeatIntervalMs", "1001", |c| c.heartbeat_interval_ms = 1001),
            ("heartbeatTimeoutMs", "1002", |c| c.heartbeat_timeout_ms = 1002),
            ("handshakeTimeoutMs", "1003", |c| c.handshake_timeout_ms = 1003),
            ("ackTimeoutMs", "1004", |c| c.ack_timeout_ms = 1004),
            ("firstEventTimeoutMs", "1005", |c| c.first_event_timeout_ms = 1005),
            ("runStallTimeoutMs", "1006", |c| c.run_stall_timeout_ms = 1006),
            ("lateWakeMs", "1007", |c| c.late_wake_ms = 1007),
            ("reconnect.minDelayMs", "108", |c| c.reconnect.min_delay_ms = 108),
            ("reconnect.maxDelayMs", "30009", |c| c.reconnect.max_delay_ms = 30_009),
            ("reconnect.maxAttempts", "10", |c| c.reconnect.max_attempts = 10),
            ("reorderWindowMs", "1011", |c| c.reorder_window_ms = 1011),
            ("dedupWindowMs", "1012", |c| c.dedup_window_ms = 1012),
            ("jitterSeed", "9007199254740991", |c| c.jitter_seed = 9_007_199_254_740_991),
            ("maxFrameBytes", "1014", |c| c.max_frame_bytes = 1014),
            ("dedupWindow", "1015", |c| c.dedup_window = 1015),
            ("sendBufferCap", "1016", |c| c.send_buffer_cap = 1016),
            ("pendingCap", "1017", |c| c.pending_cap = 1017),
            ("runTableCap", "1018", |c| c.run_table_cap = 1018),
            ("reorderBufferCap", "1019", |c| c.reorder_buffer_cap = 1019),
            ("outputQueueCap", "1020", |c| c.output_queue_cap = 1020),
            ("maxDepth", "21", |c| c.max_depth = 21),
            ("dialect", "\"sequenced\"", |c| c.dialect = DialectChoice::Sequenced),
            ("requireExplicitAck", "true", |c| c.require_explicit_ack = true),
            ("confirmEvents", "true", |c| c.confirm_events = true),
            ("requiredEvents", "[\"agent_started\"]", |c| c.required_events = vec!["agent_started".to_owned()]),
        ]
    }

    fn options(json: &str) -> JsValue {
        js_sys::JSON::parse(json).unwrap()
    }

    #[wasm_bindgen_test]
    fn every_option_sets_its_own_config_field_and_no_other() {
        let expected = expected();
        let named: Vec<&str> = expected.iter().map(|(name, _, _)| *name).collect();
        let table: Vec<&str> =
            NUMBER_OPTIONS.iter().map(|o| o.name).chain(OTHER_OPTIONS).filter(|n| *n != RECONNECT).collect();
        assert_eq!(named.len(), table.len(), "{named:?} vs {table:?}");
        assert!(table.iter().all(|name| named.contains(name)), "{named:?} vs {table:?}");
        for (name, value, set) in expected {
            let member = match name.strip_prefix(RECONNECT_PREFIX) {
                Some(member) => format!(r#""reconnect": {{"{member}": {value}}}"#),
                None => format!(r#""{name}": {value}"#),
            };
            let read = read_client(&options(&format!(r#"{{"url": "ws://127.0.0.1/ws", {member}}}"#)));
            let config = read.unwrap_or_else(|e| panic!("{name}: {e}")).config;
            let mut want = Config::default();
            set(&mut want);
            assert_eq!(config, want, "{name}");
            assert_eq!(config.validate(), Ok(()), "{name}");
        }
    }

    #[wasm_bindgen_test]
    fn a_number_out_of_its_width_or_not_an_integer_is_a_range_error() {
        for (member, option) in [
            (r#""maxDepth": 4294967296"#, "maxDepth"),
            (r#""ackTimeoutMs": 1.5"#, "ackTimeoutMs"),
            (r#""ackTimeoutMs": -1"#, "ackTimeoutMs"),
            (r#""reconnect": {"maxAttempts": 4294967296}"#, "reconnect.maxAttempts"),
            (r#""jitterSeed": 9007199254740992"#, "jitterSeed"),
        ] {
            let error = read_client(&options(&format!(r#"{{"url": "ws://127.0.0.1/ws", {member}}}"#))).err();
            let error = error.unwrap_or_else(|| panic!("{member} accepted"));
            assert_eq!(
                (error.kind, error.option.as_ref()),
                (crate::browser::OptionErrorKind::Range, option),
                "{member}"
            );
        }
    }

    #[wasm_bindgen_test]
    fn the_endpoint_check_is_the_rust_apis() {
        let token = "s3cr3t-token";
        let encoded = Credential::new(token).encoded().to_owned();
        for url in [
            format!("ws://h/ws?t={token}"),
            format!("ws://h/ws?t={encoded}"),
            "http://h/ws".to_owned(),
            "ws://h/#x".to_owned(),
        ] {
            let js = read_client(&options(&format!(r#"{{"url": "{url}", "token": "{token}"}}"#))).err();
            let rust = check_endpoint(&url, Some(token)).err();
            assert_eq!(js.map(|e| e.message()), rust.map(|e| e.message()), "{url}");
        }
        // An empty token is none, in both.
        assert!(check_endpoint("ws://h/ws", Some("")).unwrap().is_none());
        let read = read_client(&options(r#"{"url": "ws://h/ws", "token": ""}"#)).ok().unwrap();
        assert!(read.config.credential.is_none());
    }
}
