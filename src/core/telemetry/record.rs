//! What telemetry says, before any encoding: a [`LogRecord`] per failure report or turn
//! verdict, a [`Measurement`] per count or latency. The OTLP exporter encodes them as
//! OTLP/HTTP JSON; with [`TelemetrySink::Application`](super::TelemetrySink::Application) the
//! driver hands them to the application's own OpenTelemetry logger and meter. One source for
//! the names, units and bucket bounds either way.

use alloc::string::String;
use alloc::vec::Vec;

/// The acknowledgement-latency histogram's bucket bounds, in ms.
pub const LATENCY_BOUNDS_MS: [u64; 10] = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// One log record: a failure report (its body the kind) or a turn verdict (`turn <state>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// When it happened, in ms since the Unix epoch.
    pub time_unix_ms: u64,
    pub severity: LogSeverity,
    pub body: String,
    pub attributes: Vec<Attribute>,
}

/// An attribute of a record: kinds, ids, counts and timings only, never text a user or the
/// server wrote (a run id is redacted of the credential).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub key: &'static str,
    pub value: AttributeValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeValue {
    String(String),
    Int(u64),
}

/// OpenTelemetry's severities, those telemetry uses (the log data model's `SeverityNumber`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSeverity {
    Info,
    Warn,
    Error,
}

impl LogSeverity {
    pub const fn number(self) -> u8 {
        match self {
            LogSeverity::Info => 9,
            LogSeverity::Warn => 13,
            LogSeverity::Error => 17,
        }
    }

    pub const fn text(self) -> &'static str {
        match self {
            LogSeverity::Info => "INFO",
            LogSeverity::Warn => "WARN",
            LogSeverity::Error => "ERROR",
        }
    }
}

/// The metric instruments, each cumulative since the client started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument {
    /// Failure reports, by `chat_sentinel.kind`.
    Failures,
    /// Turn verdicts, by `chat_sentinel.turn.state`.
    Turns,
    /// Telemetry records dropped: queue full, refused, or out of attempts.
    Dropped,
    /// Acknowledgement latencies, a histogram in ms over [`LATENCY_BOUNDS_MS`].
    AckLatency,
}

impl Instrument {
    pub const ALL: [Instrument; 4] =
        [Instrument::Failures, Instrument::Turns, Instrument::Dropped, Instrument::AckLatency];

    pub const fn name(self) -> &'static str {
        match self {
            Instrument::Failures => "chat_sentinel.failures",
            Instrument::Turns => "chat_sentinel.turns",
            Instrument::Dropped => "chat_sentinel.telemetry.dropped",
            Instrument::AckLatency => "chat_sentinel.ack.latency",
        }
    }

    pub const fn unit(self) -> &'static str {
        match self {
            Instrument::Failures => "reports",
            Instrument::Turns => "turns",
            Instrument::Dropped => "records",
            Instrument::AckLatency => "ms",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            Instrument::Failures => "Failure reports, by kind",
            Instrument::Turns => "Turn verdicts, by final state",
            Instrument::Dropped => "Telemetry records dropped before export",
            Instrument::AckLatency => "Time from a message's send to its acknowledgement",
        }
    }

    /// A histogram (recorded values) rather than a counter (added values).
    pub const fn is_histogram(self) -> bool {
        matches!(self, Instrument::AckLatency)
    }

    /// Its place in [`Instrument::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A value for an instrument: an increment of a counter, or a histogram's recorded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measurement {
    pub instrument: Instrument,
    pub value: u64,
    /// The one attribute it is counted by, if any (`chat_sentinel.kind`, …).
    pub attribute: Option<(&'static str, &'static str)>,
}

/// What the application's logger and meter receive, in order
/// ([`Tracker::poll_observation`](super::super::Tracker::poll_observation)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    Record(LogRecord),
    Measurement(Measurement),
}
