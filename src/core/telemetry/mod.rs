//! Fleet telemetry, sans-IO: every failure report and turn verdict as a log record, counters
//! per kind and state plus an acknowledgement-latency histogram as metrics ([`record`]). Kinds,
//! ids, counts and timings only: never a report's detail (it may quote server text), never
//! message text or event bodies. They go one of two ways ([`TelemetrySink`]):
//!
//! - **OTLP**: batched as OTLP/HTTP JSON for the driver to POST ([`Export`]). Records wait at
//!   most [`TelemetryConfig::flush_interval_ms`], or go at once in a full batch of
//!   [`TelemetryConfig::max_batch`]; at most [`TelemetryConfig::max_queue`] wait (more are
//!   dropped, and counted in the metric `chat_sentinel.telemetry.dropped`). An export answered
//!   429, 502, 503 or 504, or not answered at all, is sent again after the receiver's
//!   `Retry-After` or a doubling backoff, [`MAX_ATTEMPTS`] times in all, as OTLP/HTTP asks; any
//!   other answer but 2xx drops it (counted). Exports go as `keepalive` requests, which outlive
//!   the page; when the page is hidden or the client closes, everything still waiting goes at
//!   once, and is still answered like any export if the page lives on.
//! - **The application's own OpenTelemetry logger and meter**: each record and measurement as
//!   an [`Observation`], in order, for the driver to hand over at once; the application's SDK
//!   batches and exports. At most [`TelemetryConfig::max_queue`] wait between two drains (more
//!   are dropped, and counted).

mod otlp_json;
pub mod record;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use self::otlp_json::Metrics;
use self::record::{Attribute, AttributeValue, Instrument, LogRecord, LogSeverity, Measurement, Observation};
use super::credential::Credential;
use super::dedup::hash_bytes;
use super::output::{Receipt, Turn, TurnState};
use super::report::{Report, Severity};
use super::time::Instant;

/// Sends of one export, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// The first retry's delay when the receiver names none; doubled for each later one.
const FIRST_BACKOFF_MS: u64 = 1_000;
/// The longest delay before a retry, `Retry-After` included.
const MAX_BACKOFF_MS: u64 = 30_000;
/// Exports sent and not yet answered at most; further batches wait.
const MAX_IN_FLIGHT: usize = 4;
/// The bytes a page may still send as it goes (browsers allow 64 KiB of `keepalive` bodies).
const KEEPALIVE_BYTES: usize = 60_000;
/// "All of them", for [`TelemetryConfig::sample_per_million`].
pub const ALL_SAMPLED: u32 = 1_000_000;

/// Where telemetry goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TelemetrySink {
    /// OTLP/HTTP JSON exports, for the driver to POST ([`Export`]).
    Otlp,
    /// [`Observation`]s for the application's OpenTelemetry SDK: the records when `logs`, the
    /// measurements when `metrics`.
    Application { logs: bool, metrics: bool },
}

/// How telemetry is exported. [`TelemetryConfig::default`] suits a chat UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    pub sink: TelemetrySink,
    /// Records per export at most; a full batch goes at once (OTLP).
    pub max_batch: usize,
    /// The longest a record waits for its batch (OTLP).
    pub flush_interval_ms: u64,
    /// Records waiting at most; more are dropped and counted.
    pub max_queue: usize,
    /// The share of incidents and turns whose records are exported, per million, chosen by
    /// the incident (else the message) so that an incident's records go together. Metrics
    /// count everything.
    pub sample_per_million: u32,
    /// Resource attributes the application supplies (`service.name`, …) (OTLP; the
    /// application's SDK has its own resource).
    pub resource: Vec<(String, String)>,
    /// Unix time in ms at `Instant` 0 (the driver's clock origin), for the timestamps; the
    /// browser clients set it.
    pub epoch_ms: u64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            sink: TelemetrySink::Otlp,
            max_batch: 50,
            flush_interval_ms: 5_000,
            max_queue: 500,
            sample_per_million: ALL_SAMPLED,
            resource: Vec::new(),
            epoch_ms: 0,
        }
    }
}

/// Which OTLP signal an export carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Logs,
    Metrics,
}

impl Signal {
    /// The OTLP/HTTP path, to append to the endpoint: `/v1/logs` or `/v1/metrics`.
    pub const fn path(self) -> &'static str {
        match self {
            Signal::Logs => "/v1/logs",
            Signal::Metrics => "/v1/metrics",
        }
    }
}

/// A body for the driver to POST (`content-type: application/json`) to the endpoint's
/// [`Signal::path`], then to answer with [`Tracker::handle_export_result`](super::Tracker::handle_export_result).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// Names this export in its result.
    pub id: u64,
    pub signal: Signal,
    pub body: String,
    /// Send with `fetch(…, { keepalive: true })`, so that it outlives the page: every export
    /// small enough for the browser's keepalive quota ([`KEEPALIVE_BYTES`]).
    pub keepalive: bool,
}

/// An export sent and not yet answered, or waiting to be sent again.
struct Pending {
    export: Export,
    records: u64,
    attempts: u32,
    retry_at: Option<Instant>,
}

/// The exporter's state (see the module doc).
pub(crate) struct Exporter {
    config: TelemetryConfig,
    /// Redacted from every id the server chose (a run id), as from every report.
    credential: Option<Credential>,
    /// OTLP: log records waiting, each as its OTLP JSON object.
    queue: VecDeque<String>,
    flush_at: Option<Instant>,
    pending: Vec<Pending>,
    /// OTLP: exports for the driver to send.
    ready: VecDeque<Export>,
    next_id: u64,
    /// OTLP: every instrument's value, exported whole.
    metrics: Metrics,
    /// OTLP: something counted since the last metrics export.
    metrics_dirty: bool,
    /// The application's SDK: what it has yet to receive.
    observations: VecDeque<Observation>,
    /// The application's SDK: observations dropped and not yet counted to it.
    uncounted_drops: u64,
}

impl Exporter {
    pub(crate) fn new(config: TelemetryConfig, credential: Option<Credential>) -> Self {
        Exporter {
            config,
            credential,
            queue: VecDeque::new(),
            flush_at: None,
            pending: Vec::new(),
            ready: VecDeque::new(),
            next_id: 0,
            metrics: Metrics::default(),
            metrics_dirty: false,
            observations: VecDeque::new(),
            uncounted_drops: 0,
        }
    }

    /// A failure report, on the connection's `dialect` (if known).
    pub(crate) fn report(&mut self, now: Instant, report: &Report, dialect: Option<&str>) {
        let kind = report.kind.as_str();
        self.count(now, Instrument::Failures, 1, Some(("chat_sentinel.kind", kind)));
        let key = report.incident.map(|i| i.get()).or(report.message_id.map(|m| m.get()));
        if !self.sampled(key) {
            return;
        }
        let mut attributes = Attributes::new(self.credential.as_ref());
        attributes.string("chat_sentinel.kind", kind);
        attributes.string("chat_sentinel.severity", report.severity.as_str());
        attributes.ids(
            report.run_id.as_deref(),
            report.message_id.map(|m| m.to_wire()),
            report.incident.map(|i| i.get()),
        );
        if let Some(range) = report.seq {
            attributes.int("chat_sentinel.seq.from", range.from);
            if let Some(to) = range.to {
                attributes.int("chat_sentinel.seq.to", to);
            }
        }
        if let Some(dialect) = dialect {
            attributes.string("chat_sentinel.dialect", dialect);
        }
        let severity = match report.severity {
            Severity::Critical => LogSeverity::Error,
            Severity::Warning => LogSeverity::Warn,
        };
        let attributes = attributes.list;
        self.record(now, report.at, severity, String::from(kind), attributes);
    }

    /// A turn's verdict (its final states only).
    pub(crate) fn turn(&mut self, now: Instant, turn: &Turn, dialect: Option<&str>) {
        if !matches!(turn.state, TurnState::Complete | TurnState::Incomplete | TurnState::Failed) {
            return;
        }
        self.count(now, Instrument::Turns, 1, Some(("chat_sentinel.turn.state", turn.state.as_str())));
        let key = turn.incident.map(|i| i.get()).or(Some(turn.message_id.get()));
        if !self.sampled(key) {
            return;
        }
        let mut attributes = Attributes::new(self.credential.as_ref());
        attributes.string("chat_sentinel.turn.state", turn.state.as_str());
        attributes.ids(turn.run_id.as_deref(), Some(turn.message_id.to_wire()), turn.incident.map(|i| i.get()));
        if let Some(report) = &turn.report {
            attributes.string("chat_sentinel.kind", report.kind.as_str());
        }
        if let Some(dialect) = dialect {
            attributes.string("chat_sentinel.dialect", dialect);
        }
        let severity = if turn.state == TurnState::Complete { LogSeverity::Info } else { LogSeverity::Error };
        let mut body = String::from("turn ");
        body.push_str(turn.state.as_str());
        let attributes = attributes.list;
        self.record(now, turn.at, severity, body, attributes);
    }

    /// An acknowledgement, for the latency histogram.
    pub(crate) fn receipt(&mut self, receipt: &Receipt) {
        self.count(receipt.at, Instrument::AckLatency, receipt.latency_ms, None);
    }

    /// The next export to send, if any (OTLP).
    pub(crate) fn poll_export(&mut self) -> Option<Export> {
        self.ready.pop_front()
    }

    /// The next record or measurement for the application's SDK, if any; the observations
    /// dropped meanwhile come last, as one count.
    pub(crate) fn poll_observation(&mut self) -> Option<Observation> {
        self.observations.pop_front().or_else(|| {
            let metrics = matches!(self.config.sink, TelemetrySink::Application { metrics: true, .. });
            let dropped = core::mem::take(&mut self.uncounted_drops);
            (metrics && dropped > 0).then_some(Observation::Measurement(Measurement {
                instrument: Instrument::Dropped,
                value: dropped,
                attribute: None,
            }))
        })
    }
    /// When [`Exporter::handle_timeout`] has something to do.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.pending.iter().filter_map(|p| p.retry_at).chain(self.flush_at).min()
    }

    /// Sends the batch that waited long enough, and the exports whose retry is due.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.flush_at.is_some_and(|at| at <= now) {
            self.flush_at = None;
            self.flush(now);
        }
        for pending in &mut self.pending {
            if pending.retry_at.is_some_and(|at| at <= now) {
                pending.retry_at = None;
                self.ready.push_back(pending.export.clone());
            }
        }
    }

    /// The answer to export `id`: an HTTP `status` (0: no answer, a network error) and the
    /// receiver's `Retry-After`, in ms.
    pub(crate) fn handle_result(&mut self, now: Instant, id: u64, status: u16, retry_after_ms: Option<u64>) {
        let Some(index) = self.pending.iter().position(|p| p.export.id == id) else { return };
        let retryable = matches!(status, 0 | 429 | 502 | 503 | 504);
        if (200..300).contains(&status)
            || !retryable
            || self.pending.get(index).is_some_and(|p| p.attempts >= MAX_ATTEMPTS)
        {
            let done = self.pending.swap_remove(index);
            if !(200..300).contains(&status) {
                self.drop_records(now, done.records);
            }
            if !self.queue.is_empty() && self.flush_at.is_none() {
                self.flush(now);
            }
            return;
        }
        if let Some(pending) = self.pending.get_mut(index) {
            let backoff = FIRST_BACKOFF_MS << pending.attempts.saturating_sub(1).min(5);
            let delay = retry_after_ms.unwrap_or(backoff).min(MAX_BACKOFF_MS);
            pending.attempts += 1;
            pending.retry_at = Some(now.plus(delay));
        }
    }

    /// The page may be going away (hidden, or the client closed): everything waiting — the
    /// queue, the metrics, the exports waiting to be sent again — goes now, within
    /// [`KEEPALIVE_BYTES`]. Exports already on their way are left to arrive (they were sent
    /// `keepalive`): sending them again could deliver them twice. What goes is answered like
    /// any export, and what does not fit waits for the next flush: if the page lives on,
    /// nothing is lost.
    pub(crate) fn flush_keepalive(&mut self, now: Instant) {
        self.flush_at = None;
        let mut budget = KEEPALIVE_BYTES;
        for pending in &mut self.pending {
            let size = pending.export.body.len();
            if pending.retry_at.is_some() && size <= budget {
                budget -= size;
                pending.retry_at = None;
                self.ready.push_back(pending.export.clone());
            }
        }
        while let Some((body, records)) = self.logs_batch(budget) {
            budget -= body.len();
            self.send(Signal::Logs, body, records);
        }
        if self.metrics_dirty {
            let body = self.metrics_body(now);
            if body.len() <= budget {
                self.metrics_dirty = false;
                self.send(Signal::Metrics, body, 0);
            }
        }
        if !self.queue.is_empty() || self.metrics_dirty {
            self.flush_at = Some(now.plus(self.config.flush_interval_ms));
        }
    }

    // ---- plumbing ------------------------------------------------------------------------

    fn sampled(&self, key: Option<u64>) -> bool {
        let rate = self.config.sample_per_million;
        if rate >= ALL_SAMPLED {
            return true;
        }
        let key = key.unwrap_or(0);
        hash_bytes(&key.to_le_bytes()) % u64::from(ALL_SAMPLED) < u64::from(rate)
    }

    fn unix_ms(&self, at: Instant) -> u64 {
        self.config.epoch_ms.saturating_add(at.as_millis())
    }

    /// A record, to the queue of its sink.
    fn record(&mut self, now: Instant, at: Instant, severity: LogSeverity, body: String, attributes: Vec<Attribute>) {
        let record = LogRecord { time_unix_ms: self.unix_ms(at), severity, body, attributes };
        match self.config.sink {
            TelemetrySink::Otlp => self.enqueue(now, otlp_json::log_record(&record)),
            TelemetrySink::Application { logs: true, .. } => self.observe(Observation::Record(record)),
            TelemetrySink::Application { logs: false, .. } => {}
        }
    }

    /// A measurement, to the metrics of its sink.
    fn count(
        &mut self,
        now: Instant,
        instrument: Instrument,
        value: u64,
        attribute: Option<(&'static str, &'static str)>,
    ) {
        let measurement = Measurement { instrument, value, attribute };
        match self.config.sink {
            TelemetrySink::Otlp => {
                self.metrics.add(&measurement);
                self.counted(now);
            }
            TelemetrySink::Application { metrics: true, .. } => self.observe(Observation::Measurement(measurement)),
            TelemetrySink::Application { metrics: false, .. } => {}
        }
    }

    fn observe(&mut self, observation: Observation) {
        if self.observations.len() >= self.config.max_queue {
            self.uncounted_drops += 1;
        } else {
            self.observations.push_back(observation);
        }
    }

    fn enqueue(&mut self, now: Instant, record: String) {
        if self.queue.len() >= self.config.max_queue {
            self.drop_records(now, 1);
            return;
        }
        self.queue.push_back(record);
        if self.queue.len() >= self.config.max_batch {
            self.flush_at = None;
            self.flush(now);
        } else if self.flush_at.is_none() {
            self.flush_at = Some(now.plus(self.config.flush_interval_ms));
        }
    }

    /// A counter moved: the metrics go with the next flush, within the flush interval.
    fn counted(&mut self, now: Instant) {
        self.metrics_dirty = true;
        if self.flush_at.is_none() {
            self.flush_at = Some(now.plus(self.config.flush_interval_ms));
        }
    }

    fn drop_records(&mut self, now: Instant, records: u64) {
        self.count(now, Instrument::Dropped, records, None);
    }

    /// Sends a batch of waiting records, and the metrics if they changed, unless
    /// [`MAX_IN_FLIGHT`] exports are unanswered (then they wait for an answer).
    fn flush(&mut self, now: Instant) {
        if self.pending.len() < MAX_IN_FLIGHT {
            if let Some((body, records)) = self.logs_batch(usize::MAX) {
                self.send(Signal::Logs, body, records);
            }
        }
        if self.metrics_dirty && self.pending.len() < MAX_IN_FLIGHT {
            self.metrics_dirty = false;
            let body = self.metrics_body(now);
            self.send(Signal::Metrics, body, 0);
        }
        if !self.queue.is_empty() && self.flush_at.is_none() && self.pending.len() < MAX_IN_FLIGHT {
            self.flush_at = Some(now.plus(self.config.flush_interval_ms));
        }
    }

    /// Hands an export to the driver; it stays pending until answered (and is sent again if
    /// need be).
    fn send(&mut self, signal: Signal, body: String, records: u64) {
        self.next_id += 1;
        let keepalive = body.len() <= KEEPALIVE_BYTES;
        let export = Export { id: self.next_id, signal, body, keepalive };
        self.ready.push_back(export.clone());
        self.pending.push(Pending { export, records, attempts: 1, retry_at: None });
    }

    /// Up to `max_batch` waiting records as one `ExportLogsServiceRequest` of at most
    /// `max_bytes`, and how many; `None` when no record waits, or the first does not fit.
    fn logs_batch(&mut self, max_bytes: usize) -> Option<(String, u64)> {
        let mut size = otlp_json::logs_body(&self.config.resource, "").len();
        let mut records = String::new();
        let mut count = 0;
        while count < self.config.max_batch as u64 {
            let Some(next) = self.queue.front() else { break };
            size = size.saturating_add(next.len() + usize::from(count > 0));
            if size > max_bytes {
                break;
            }
            let Some(record) = self.queue.pop_front() else { break };
            if count > 0 {
                records.push(',');
            }
            records.push_str(&record);
            count += 1;
        }
        (count > 0).then(|| (otlp_json::logs_body(&self.config.resource, &records), count))
    }

    /// Every counter and the histogram, cumulative since the client started, as one
    /// `ExportMetricsServiceRequest`.
    fn metrics_body(&self, now: Instant) -> String {
        self.metrics.body(&self.config.resource, self.unix_ms(Instant::from_millis(0)), self.unix_ms(now))
    }
}

/// A record's attributes, the run id redacted of the credential.
struct Attributes<'c> {
    list: Vec<Attribute>,
    credential: Option<&'c Credential>,
}

impl<'c> Attributes<'c> {
    fn new(credential: Option<&'c Credential>) -> Self {
        Attributes { list: Vec::new(), credential }
    }

    fn string(&mut self, key: &'static str, value: &str) {
        self.list.push(Attribute { key, value: AttributeValue::String(String::from(value)) });
    }

    fn int(&mut self, key: &'static str, value: u64) {
        self.list.push(Attribute { key, value: AttributeValue::Int(value) });
    }

    /// The run (redacted of the credential: the server chose it), message and incident a
    /// record is about, those it has.
    fn ids(&mut self, run_id: Option<&str>, message_id: Option<String>, incident: Option<u64>) {
        if let Some(run_id) = run_id {
            let run_id = match self.credential {
                Some(credential) => credential.redact(run_id),
                None => alloc::borrow::Cow::Borrowed(run_id),
            };
            self.string("chat_sentinel.run_id", &run_id);
        }
        if let Some(message_id) = message_id {
            self.list.push(Attribute { key: "chat_sentinel.message_id", value: AttributeValue::String(message_id) });
        }
        if let Some(incident) = incident {
            self.int("chat_sentinel.incident", incident);
        }
    }
}
