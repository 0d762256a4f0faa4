//! Configuration of the tracker: deadlines, caps, the dialect and the reconnect policy.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::budget;
use super::credential::Credential;
use super::options::{
    NumberOption, Rule, DAY_MS, MAX_CAP, NUMBER_OPTIONS, REQUIRED_EVENTS, TELEMETRY_FLUSH_INTERVAL_MS,
    TELEMETRY_MAX_BATCH, TELEMETRY_MAX_QUEUE, TELEMETRY_RESOURCE, TELEMETRY_SAMPLE_RATE,
};
use super::telemetry::{TelemetryConfig, ALL_SAMPLED};

/// Which wire dialect to speak. See PROTOCOL.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DialectChoice {
    /// Detect from the handshake: `"protocol": "sequenced"` selects sequenced, anything else netra.
    #[default]
    Auto,
    /// The Netra backend as deployed: no sequence numbers.
    Netra,
    /// Contiguous sequence numbers, head sequence in heartbeats, resume.
    Sequenced,
}

impl DialectChoice {
    /// Every choice, in the order of [`NAMES`](Self::NAMES).
    pub const ALL: [DialectChoice; 3] = [DialectChoice::Auto, DialectChoice::Netra, DialectChoice::Sequenced];
    /// The names of the choices, as the `dialect` option spells them.
    pub const NAMES: [&'static str; 3] = ["auto", Dialect::Netra.as_str(), Dialect::Sequenced.as_str()];

    /// Parses one of [`NAMES`](Self::NAMES).
    pub fn parse(name: &str) -> Option<Self> {
        let index = Self::NAMES.iter().position(|n| *n == name)?;
        Self::ALL.get(index).copied()
    }
}

/// The dialect a connection speaks, once chosen or detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// No sequence numbers; content-key dedup and run lifecycle checks.
    Netra,
    /// Sequence numbers, head sequence and resume.
    Sequenced,
}

impl Dialect {
    /// `"netra"` or `"sequenced"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Netra => "netra",
            Dialect::Sequenced => "sequenced",
        }
    }
}

/// Reconnect policy: exponential backoff with full jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reconnect {
    /// Base delay before the first attempt; each attempt doubles the ceiling.
    pub min_delay_ms: u64,
    /// Ceiling of any delay.
    pub max_delay_ms: u64,
    /// Attempts after a lost connection before giving up; 0 never reconnects.
    pub max_attempts: u32,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect { min_delay_ms: 500, max_delay_ms: 20_000, max_attempts: 10 }
    }
}

/// Everything the tracker can be tuned by. [`Config::default`] suits a chat UI; tests shorten
/// the deadlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The wire dialect.
    pub dialect: DialectChoice,
    /// Idle time after which the client pings.
    pub heartbeat_interval_ms: u64,
    /// Time after a ping within which some frame must arrive.
    pub heartbeat_timeout_ms: u64,
    /// Time within which the socket must open and the handshake arrive.
    pub handshake_timeout_ms: u64,
    /// Time within which a user message must be acknowledged.
    pub ack_timeout_ms: u64,
    /// Netra: acknowledge a user message only by an acknowledgement frame. By default the
    /// first event of the message's run stands for one (no Netra build sends the frame), and
    /// the receipt says it was inferred. Ignored by the sequenced dialect, whose server acks.
    pub require_explicit_ack: bool,
    /// Netra: confirm each delivered agent event that carries an `event_id` to the server with
    /// an `event_confirmation` frame, even when the handshake does not ask for it (with
    /// `"event_confirmation": true`). Ignored by the sequenced dialect, which always acks.
    pub confirm_events: bool,
    /// Time within which a user message must start an agent run.
    pub first_event_timeout_ms: u64,
    /// Silence after which an open run is reported stalled.
    pub run_stall_timeout_ms: u64,
    /// Time an out-of-order arrival may take before a hole is reported as a loss.
    pub reorder_window_ms: u64,
    /// Lateness of a timer beyond which the page is taken to have been asleep or throttled:
    /// deadlines that expired meanwhile get a grace of `heartbeat_timeout_ms` and a probe ping.
    pub late_wake_ms: u64,
    /// Event types every run must deliver before it closes.
    pub required_events: Vec<String>,
    /// Reconnect policy.
    pub reconnect: Reconnect,
    /// Largest accepted frame, in bytes.
    pub max_frame_bytes: usize,
    /// Deepest accepted nesting of objects and arrays.
    pub max_depth: u32,
    /// Entries of the duplicate window (netra content keys).
    pub dedup_window: usize,
    /// Age after which a content key leaves the duplicate window.
    pub dedup_window_ms: u64,
    /// User messages buffered while disconnected.
    pub send_buffer_cap: usize,
    /// User messages awaiting acknowledgement or a first event.
    pub pending_cap: usize,
    /// Runs tracked at once.
    pub run_table_cap: usize,
    /// Events held while waiting for a missing sequence number.
    pub reorder_buffer_cap: usize,
    /// Outputs queued for the application before they are dropped (and reported).
    pub output_queue_cap: usize,
    /// Seed for reconnect jitter.
    pub jitter_seed: u64,
    /// The bearer token, if the client authenticates: the driver offers it as the subprotocol,
    /// and every text the tracker emits is redacted of it.
    pub credential: Option<Credential>,
    /// OTLP export of reports, turns and counters, if the application asks for it.
    pub telemetry: Option<TelemetryConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dialect: DialectChoice::Auto,
            heartbeat_interval_ms: 15_000,
            heartbeat_timeout_ms: 10_000,
            handshake_timeout_ms: 10_000,
            ack_timeout_ms: 10_000,
            require_explicit_ack: false,
            confirm_events: false,
            first_event_timeout_ms: 30_000,
            run_stall_timeout_ms: 60_000,
            reorder_window_ms: 250,
            late_wake_ms: 2_000,
            required_events: vec!["agent_started".to_owned(), "agent_completed".to_owned()],
            reconnect: Reconnect::default(),
            max_frame_bytes: 1 << 20,
            max_depth: 32,
            dedup_window: 1024,
            dedup_window_ms: 300_000,
            send_buffer_cap: 100,
            pending_cap: 256,
            run_table_cap: 256,
            reorder_buffer_cap: 1024,
            output_queue_cap: 10_000,
            jitter_seed: 0,
            credential: None,
            telemetry: None,
        }
    }
}

/// A configuration value out of range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The option's name as the JavaScript API spells it.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The most required event types a run can be checked for.
pub const MAX_REQUIRED_EVENTS: usize = 32;

/// The largest `telemetry.maxBatch`.
const MAX_TELEMETRY_BATCH: u64 = 1_000;
/// The largest `telemetry.maxQueue`.
const MAX_TELEMETRY_QUEUE: u64 = 10_000;
/// The most resource attributes `telemetry.resource` holds.
const MAX_RESOURCE_ATTRIBUTES: u64 = 32;
/// The longest resource attribute key or value, in bytes.
const MAX_ATTRIBUTE_BYTES: u64 = 256;

/// The longest required event type, in bytes.
const MAX_EVENT_TYPE_BYTES: u64 = 64;

/// The outcome of a sequence of range checks: the error of the first that failed, if any.
/// Every check is one out-of-line call that records nothing once an earlier check has failed,
/// so the checks need no branch or copy of an error each.
struct Checks(Result<(), ConfigError>);

impl Checks {
    /// Records the error naming `field` (as the JavaScript API spells it) with `reason` unless
    /// `min <= value <= max` or an earlier check failed.
    #[inline(never)]
    fn within(&mut self, field: &'static str, value: u64, min: u64, max: u64, reason: &'static str) {
        if self.0.is_ok() && (value < min || value > max) {
            self.0 = Err(ConfigError { field, reason });
        }
    }

    /// A numeric option's value against its rule.
    fn number(&mut self, option: &NumberOption, config: &Config) {
        let (name, value) = (option.name, (option.get)(config));
        match option.rule {
            Rule::Duration => {
                self.within(name, value, 1, u64::MAX, "must be greater than zero");
                self.within(name, value, 0, DAY_MS, "must be at most one day (86400000 ms)");
            }
            Rule::Cap => self.within(name, value, 1, MAX_CAP, "must be between 1 and 67108864"),
            Rule::Between { min, max, reason } => self.within(name, value, min, max, reason),
            Rule::NotBelowMinDelay => {
                let min = config.reconnect.min_delay_ms;
                self.within(name, value, min, u64::MAX, "must not be below reconnect.minDelayMs");
            }
            Rule::Any => {}
        }
    }
}

impl Config {
    /// The most bytes the tracker holds of what the server sent, whatever the server sends:
    /// the sum of the byte budgets of its tables (runs, held events, queued outputs, the
    /// duplicate window). [`Health::bytes_held`](super::Health::bytes_held) stays at or under it.
    pub fn memory_budget(&self) -> usize {
        budget::runs(self.run_table_cap)
            .saturating_add(budget::HELD_EVENT_BYTES)
            .saturating_add(budget::OUTPUT_QUEUE_BYTES)
            .saturating_add(budget::dedup(self.dedup_window))
            // One frame's worth over a budget: a table refuses the entry that crosses it.
            .saturating_add(self.max_frame_bytes.saturating_mul(2))
    }

    /// Checks every value; the tracker accepts only a valid configuration. The error is that
    /// of the first value out of range: the numeric options in the order of
    /// [`NUMBER_OPTIONS`], each against its [`Rule`], then `requiredEvents` (their count, then
    /// each one's length).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut c = Checks(Ok(()));
        for option in &NUMBER_OPTIONS {
            c.number(option, self);
        }
        let events = &self.required_events;
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        c.within(REQUIRED_EVENTS, count, 0, MAX_REQUIRED_EVENTS as u64, "lists more than 32 event types");
        for event in events {
            let length = u64::try_from(event.len()).unwrap_or(u64::MAX);
            c.within(REQUIRED_EVENTS, length, 1, MAX_EVENT_TYPE_BYTES, "holds an empty or over-long event type");
        }
        if let Some(t) = &self.telemetry {
            let size = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            c.within(TELEMETRY_MAX_BATCH, size(t.max_batch), 1, MAX_TELEMETRY_BATCH, "must be between 1 and 1000");
            c.within(TELEMETRY_FLUSH_INTERVAL_MS, t.flush_interval_ms, 1, DAY_MS, "must be between 1 and 86400000");
            c.within(TELEMETRY_MAX_QUEUE, size(t.max_queue), 1, MAX_TELEMETRY_QUEUE, "must be between 1 and 10000");
            c.within(
                TELEMETRY_SAMPLE_RATE,
                u64::from(t.sample_per_million),
                0,
                u64::from(ALL_SAMPLED),
                "must be between 0 and 1",
            );
            c.within(
                TELEMETRY_RESOURCE,
                size(t.resource.len()),
                0,
                MAX_RESOURCE_ATTRIBUTES,
                "holds more than 32 attributes",
            );
            for (key, value) in &t.resource {
                c.within(
                    TELEMETRY_RESOURCE,
                    size(key.len().max(value.len())),
                    1,
                    MAX_ATTRIBUTE_BYTES,
                    "holds an empty or over-long key or value",
                );
            }
        }
        c.0
    }
}
