//! Configuration of the tracker: deadlines, caps, the dialect and the reconnect policy.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

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
    /// Parses `"auto"`, `"netra"` or `"sequenced"`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(DialectChoice::Auto),
            "netra" => Some(DialectChoice::Netra),
            "sequenced" => Some(DialectChoice::Sequenced),
            _ => None,
        }
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dialect: DialectChoice::Auto,
            heartbeat_interval_ms: 15_000,
            heartbeat_timeout_ms: 10_000,
            handshake_timeout_ms: 10_000,
            ack_timeout_ms: 10_000,
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

/// The durations [`Config::validate`] checks to be positive and at most a day, by the names
/// the JavaScript API spells them (names apart from values: one table in the binary rather
/// than a name stored next to each value).
static POSITIVE: [&str; 8] = [
    "heartbeatIntervalMs",
    "heartbeatTimeoutMs",
    "handshakeTimeoutMs",
    "ackTimeoutMs",
    "firstEventTimeoutMs",
    "runStallTimeoutMs",
    "lateWakeMs",
    "reconnect.minDelayMs",
];

/// The sizes and caps [`Config::validate`] checks to be between 1 and 2^26, named likewise.
static CAPS: [&str; 7] = [
    "maxFrameBytes",
    "dedupWindow",
    "sendBufferCap",
    "pendingCap",
    "runTableCap",
    "reorderBufferCap",
    "outputQueueCap",
];

impl Config {
    /// Checks every value; the tracker accepts only a valid configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, reason| Err(ConfigError { field, reason });
        let positive = [
            self.heartbeat_interval_ms,
            self.heartbeat_timeout_ms,
            self.handshake_timeout_ms,
            self.ack_timeout_ms,
            self.first_event_timeout_ms,
            self.run_stall_timeout_ms,
            self.late_wake_ms,
            self.reconnect.min_delay_ms,
        ];
        for (&field, value) in POSITIVE.iter().zip(positive) {
            if value == 0 {
                return err(field, "must be greater than zero");
            }
            if value > 86_400_000 {
                return err(field, "must be at most one day (86400000 ms)");
            }
        }
        if self.reconnect.max_delay_ms < self.reconnect.min_delay_ms {
            return err("reconnect.maxDelayMs", "must not be below reconnect.minDelayMs");
        }
        if self.reorder_window_ms > 60_000 {
            return err("reorderWindowMs", "must be at most 60000");
        }
        if self.required_events.len() > MAX_REQUIRED_EVENTS {
            return err("requiredEvents", "lists more than 32 event types");
        }
        if self.required_events.iter().any(|e| e.is_empty() || e.len() > 64) {
            return err("requiredEvents", "holds an empty or over-long event type");
        }
        let caps = [
            self.max_frame_bytes,
            self.dedup_window,
            self.send_buffer_cap,
            self.pending_cap,
            self.run_table_cap,
            self.reorder_buffer_cap,
            self.output_queue_cap,
        ];
        for (&field, value) in CAPS.iter().zip(caps) {
            if value == 0 || value > (1 << 26) {
                return err(field, "must be between 1 and 67108864");
            }
        }
        if self.max_depth == 0 || self.max_depth > 128 {
            return err("maxDepth", "must be between 1 and 128");
        }
        Ok(())
    }
}
