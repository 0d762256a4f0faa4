//! The sans-IO delivery core: no clock, no socket, no randomness, no browser.
//!
//! [`Tracker`] takes frames, socket events, timeouts and user commands, each with the current
//! [`Instant`], and hands back frames to send, delivered [`Event`]s, failure [`Report`]s and the
//! next deadline. Everything that decides whether an event was lost lives here, so it is tested
//! natively on a virtual clock, by the thousands.

mod backoff;
mod budget;
mod config;
mod credential;
mod dedup;
mod frame;
pub mod json;
mod keyset;
mod message;
pub mod options;
mod output;
mod report;
mod runs;
mod sequence;
mod telemetry;
mod time;
mod tracker;
pub(crate) mod vecs;

pub use config::{Config, ConfigError, Dialect, DialectChoice, Reconnect, MAX_REQUIRED_EVENTS};
pub use credential::{Credential, AUTH_SUBPROTOCOL, REDACTED};
pub use message::{MessageId, SendOptions};
pub use output::{
    Body, Command, ConnectionState, Event, Output, Receipt, Recovery, Transmit, Turn, TurnState, Verdict,
    ABNORMAL_CLOSURE, CLIENT_DROPPED, NORMAL_CLOSURE,
};
pub use report::{FailureKind, IncidentId, Report, SeqRange, Severity, Subject};
pub use runs::AGENT_EVENTS;
pub use telemetry::record::{
    Attribute, AttributeValue, Instrument, LogRecord, LogSeverity, Measurement, Observation, LATENCY_BOUNDS_MS,
};
pub use telemetry::{Export, Signal, TelemetryConfig, TelemetrySink, ALL_SAMPLED, MAX_ATTEMPTS};
pub use time::Instant;
pub use tracker::{Health, Tracker};
