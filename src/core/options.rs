//! The options of a [`Config`] by the names the JavaScript API gives them: the one table that
//! the browser's options reader, [`Config::validate`], the README's option table and the
//! TypeScript types are all checked against.

use super::config::Config;

/// Longest duration a [`Rule::Duration`] accepts: one day, in milliseconds.
pub const DAY_MS: u64 = 86_400_000;

/// Largest size or cap a [`Rule::Cap`] accepts (2^26).
pub const MAX_CAP: u64 = 1 << 26;

/// The largest integer a JavaScript number holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Which values of a numeric option [`Config::validate`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Milliseconds, greater than zero and at most [`DAY_MS`].
    Duration,
    /// A size or a cap: between 1 and [`MAX_CAP`].
    Cap,
    /// Between `min` and `max`, else `reason`.
    Between { min: u64, max: u64, reason: &'static str },
    /// Not below `reconnect.minDelayMs`.
    NotBelowMinDelay,
    /// Any value of the field.
    Any,
}

/// Whether a numeric option's field holds 64 or 32 bits (sizes, counts and caps are 32 bits in
/// JavaScript; more is refused as too large rather than cut).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Bits64,
    Bits32,
}

impl Width {
    /// The largest value an option of this width takes from JavaScript.
    pub const fn max(self) -> u64 {
        match self {
            Width::Bits64 => MAX_SAFE_INTEGER,
            Width::Bits32 => u32::MAX as u64,
        }
    }
}

/// One numeric option: its name, its range and the field it reads and sets.
#[derive(Clone, Copy)]
pub struct NumberOption {
    /// As the JavaScript API spells it; the members of `reconnect` as `reconnect.<member>`.
    pub name: &'static str,
    pub width: Width,
    pub rule: Rule,
    pub get: fn(&Config) -> u64,
    /// Sets the field; a 32-bit field takes values already checked to fit [`Width::max`].
    pub set: fn(&mut Config, u64),
}

impl core::fmt::Debug for NumberOption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)
    }
}

/// The prefix of the members of the `reconnect` option.
pub const RECONNECT_PREFIX: &str = "reconnect.";

/// The option holding the reconnect policy (an object of [`RECONNECT_PREFIX`] members).
pub const RECONNECT: &str = "reconnect";
/// The option choosing the dialect: one of [`DialectChoice::NAMES`](super::DialectChoice::NAMES).
pub const DIALECT: &str = "dialect";
/// The option listing the required event types.
pub const REQUIRED_EVENTS: &str = "requiredEvents";
/// The option requiring the explicit acknowledgement (a boolean).
pub const REQUIRE_EXPLICIT_ACK: &str = "requireExplicitAck";
/// The option forcing netra's `event_confirmation` frames (a boolean).
pub const CONFIRM_EVENTS: &str = "confirmEvents";

/// The option of fleet telemetry (an object of the `TELEMETRY_*` members).
pub const TELEMETRY: &str = "telemetry";
/// The prefix of the members of the `telemetry` option.
pub const TELEMETRY_PREFIX: &str = "telemetry.";
/// Its OTLP/HTTP endpoint, the base URL that `/v1/logs` and `/v1/metrics` are appended to.
pub const TELEMETRY_ENDPOINT: &str = "telemetry.endpoint";
/// Its extra request headers (a Collector's API key, say): an object of strings.
pub const TELEMETRY_HEADERS: &str = "telemetry.headers";
/// Its resource attributes (`service.name`, …): an object of strings.
pub const TELEMETRY_RESOURCE: &str = "telemetry.resource";
/// The share of incidents and turns exported, from 0 to 1.
pub const TELEMETRY_SAMPLE_RATE: &str = "telemetry.sampleRate";
/// Records per export at most.
pub const TELEMETRY_MAX_BATCH: &str = "telemetry.maxBatch";
/// The longest a record waits for its batch, in ms.
pub const TELEMETRY_FLUSH_INTERVAL_MS: &str = "telemetry.flushIntervalMs";
/// Records waiting at most.
pub const TELEMETRY_MAX_QUEUE: &str = "telemetry.maxQueue";
/// The application's OpenTelemetry `Logger`, instead of an endpoint (JavaScript).
pub const TELEMETRY_LOGGER: &str = "telemetry.logger";
/// The application's OpenTelemetry `Meter`, instead of an endpoint (JavaScript).
pub const TELEMETRY_METER: &str = "telemetry.meter";
/// The members of the `telemetry` option, as `telemetry.<member>`.
pub const TELEMETRY_OPTIONS: [&str; 9] = [
    TELEMETRY_ENDPOINT,
    TELEMETRY_HEADERS,
    TELEMETRY_RESOURCE,
    TELEMETRY_SAMPLE_RATE,
    TELEMETRY_MAX_BATCH,
    TELEMETRY_FLUSH_INTERVAL_MS,
    TELEMETRY_MAX_QUEUE,
    TELEMETRY_LOGGER,
    TELEMETRY_METER,
];
/// The members of the `telemetry` option that only the OTLP endpoint uses: with a logger or a
/// meter, the application's OpenTelemetry SDK does their work.
pub const TELEMETRY_ENDPOINT_ONLY: [&str; 5] =
    [TELEMETRY_HEADERS, TELEMETRY_RESOURCE, TELEMETRY_MAX_BATCH, TELEMETRY_FLUSH_INTERVAL_MS, TELEMETRY_ENDPOINT];

/// The option of the WebSocket URL (JavaScript).
pub const URL: &str = "url";
/// The option of the bearer token, with a URL only (JavaScript).
pub const TOKEN: &str = "token";
/// The option of a JavaScript transport, instead of a URL.
pub const TRANSPORT: &str = "transport";
/// The option of a log of the client's decisions (JavaScript): `true` for `console.debug`, or
/// a function given each line.
pub const DEBUG: &str = "debug";
/// The options of a JavaScript client that are not part of a [`Config`] (`telemetry` is partly:
/// its endpoint and headers are the driver's).
pub const CLIENT_OPTIONS: [&str; 5] = [URL, TOKEN, TRANSPORT, DEBUG, TELEMETRY];
/// The option of `sendMessage` naming the thread.
pub const THREAD_ID: &str = "threadId";
/// The option of `connect` holding its `AbortSignal`.
pub const SIGNAL: &str = "signal";

/// The topics of `client.on(topic, listener)` in JavaScript, in the order the driver indexes
/// them.
pub const TOPICS: [&str; 5] = ["event", "failure", "state", "recovery", "turn"];

/// The options of a [`Config`] that are not numbers.
pub const OTHER_OPTIONS: [&str; 5] = [DIALECT, REQUIRE_EXPLICIT_ACK, CONFIRM_EVENTS, REQUIRED_EVENTS, RECONNECT];

/// A 32-bit field's value, already checked to fit.
fn narrow(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A size field's value, already checked to fit 32 bits (which a `usize` holds on every target
/// this code runs on).
fn size(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Every numeric option, in the order [`Config::validate`] checks them (its first failure is
/// the one reported).
pub const NUMBER_OPTIONS: [NumberOption; 21] = {
    use Rule::{Any, Between, Cap, Duration, NotBelowMinDelay};
    use Width::{Bits32, Bits64};
    const REORDER: Rule = Between { min: 0, max: 60_000, reason: "must be at most 60000" };
    const DEPTH: Rule = Between { min: 1, max: 128, reason: "must be between 1 and 128" };
    [
        NumberOption {
            name: "heartbeatIntervalMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.heartbeat_interval_ms,
            set: |c, v| c.heartbeat_interval_ms = v,
        },
        NumberOption {
            name: "heartbeatTimeoutMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.heartbeat_timeout_ms,
            set: |c, v| c.heartbeat_timeout_ms = v,
        },
        NumberOption {
            name: "handshakeTimeoutMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.handshake_timeout_ms,
            set: |c, v| c.handshake_timeout_ms = v,
        },
        NumberOption {
            name: "ackTimeoutMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.ack_timeout_ms,
            set: |c, v| c.ack_timeout_ms = v,
        },
        NumberOption {
            name: "firstEventTimeoutMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.first_event_timeout_ms,
            set: |c, v| c.first_event_timeout_ms = v,
        },
        NumberOption {
            name: "runStallTimeoutMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.run_stall_timeout_ms,
            set: |c, v| c.run_stall_timeout_ms = v,
        },
        NumberOption {
            name: "lateWakeMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.late_wake_ms,
            set: |c, v| c.late_wake_ms = v,
        },
        NumberOption {
            name: "reconnect.minDelayMs",
            width: Bits64,
            rule: Duration,
            get: |c| c.reconnect.min_delay_ms,
            set: |c, v| c.reconnect.min_delay_ms = v,
        },
        NumberOption {
            name: "reconnect.maxDelayMs",
            width: Bits64,
            rule: NotBelowMinDelay,
            get: |c| c.reconnect.max_delay_ms,
            set: |c, v| c.reconnect.max_delay_ms = v,
        },
        NumberOption {
            name: "reconnect.maxAttempts",
            width: Bits32,
            rule: Any,
            get: |c| u64::from(c.reconnect.max_attempts),
            set: |c, v| c.reconnect.max_attempts = narrow(v),
        },
        NumberOption {
            name: "reorderWindowMs",
            width: Bits64,
            rule: REORDER,
            get: |c| c.reorder_window_ms,
            set: |c, v| c.reorder_window_ms = v,
        },
        NumberOption {
            name: "dedupWindowMs",
            width: Bits64,
            rule: Any,
            get: |c| c.dedup_window_ms,
            set: |c, v| c.dedup_window_ms = v,
        },
        NumberOption {
            name: "jitterSeed",
            width: Bits64,
            rule: Any,
            get: |c| c.jitter_seed,
            set: |c, v| c.jitter_seed = v,
        },
        NumberOption {
            name: "maxFrameBytes",
            width: Bits32,
            rule: Cap,
            get: |c| c.max_frame_bytes as u64,
            set: |c, v| c.max_frame_bytes = size(v),
        },
        NumberOption {
            name: "dedupWindow",
            width: Bits32,
            rule: Cap,
            get: |c| c.dedup_window as u64,
            set: |c, v| c.dedup_window = size(v),
        },
        NumberOption {
            name: "sendBufferCap",
            width: Bits32,
            rule: Cap,
            get: |c| c.send_buffer_cap as u64,
            set: |c, v| c.send_buffer_cap = size(v),
        },
        NumberOption {
            name: "pendingCap",
            width: Bits32,
            rule: Cap,
            get: |c| c.pending_cap as u64,
            set: |c, v| c.pending_cap = size(v),
        },
        NumberOption {
            name: "runTableCap",
            width: Bits32,
            rule: Cap,
            get: |c| c.run_table_cap as u64,
            set: |c, v| c.run_table_cap = size(v),
        },
        NumberOption {
            name: "reorderBufferCap",
            width: Bits32,
            rule: Cap,
            get: |c| c.reorder_buffer_cap as u64,
            set: |c, v| c.reorder_buffer_cap = size(v),
        },
        NumberOption {
            name: "outputQueueCap",
            width: Bits32,
            rule: Cap,
            get: |c| c.output_queue_cap as u64,
            set: |c, v| c.output_queue_cap = size(v),
        },
        NumberOption {
            name: "maxDepth",
            width: Bits32,
            rule: DEPTH,
            get: |c| u64::from(c.max_depth),
            set: |c, v| c.max_depth = narrow(v),
        },
    ]
};

/// The numeric option named `name` (`reconnect.<member>` for a member of `reconnect`).
pub fn number_option(name: &str) -> Option<&'static NumberOption> {
    NUMBER_OPTIONS.iter().find(|o| o.name == name)
}
