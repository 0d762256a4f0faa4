//! Fleet telemetry, sans-IO: every failure report and turn verdict as an OTLP/HTTP JSON log
//! record, and counters per kind and state plus an acknowledgement-latency histogram as OTLP
//! metrics, batched for the driver to POST ([`Export`]). Kinds, ids, counts and timings only:
//! never a report's detail (it may quote server text), never message text or event bodies.
//!
//! Records wait at most [`TelemetryConfig::flush_interval_ms`], or go at once in a full batch
//! of [`TelemetryConfig::max_batch`]; at most [`TelemetryConfig::max_queue`] wait (more are
//! dropped, and counted in the metric `chat_sentinel.telemetry.dropped`). An export answered
//! 429, 502, 503 or 504, or not answered at all, is sent again after the receiver's
//! `Retry-After` or a doubling backoff, [`MAX_ATTEMPTS`] times in all, as OTLP/HTTP asks; any
//! other answer but 2xx drops it (counted). Exports go as `keepalive` requests, which outlive
//! the page; when the page is hidden or the client closes, everything still waiting goes at
//! once.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use super::credential::Credential;
use super::dedup::hash_bytes;
use super::json::{push_str, push_u64};
use super::output::{Receipt, Turn, TurnState};
use super::report::Report;
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
/// The acknowledgement-latency histogram's bucket bounds, in ms.
const LATENCY_BOUNDS_MS: [u64; 10] = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];
/// The instrumentation scope of every export.
const SCOPE: &str = "chat-sentinel";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How telemetry is exported. [`TelemetryConfig::default`] suits a chat UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Records per export at most; a full batch goes at once.
    pub max_batch: usize,
    /// The longest a record waits for its batch.
    pub flush_interval_ms: u64,
    /// Records waiting at most; more are dropped and counted.
    pub max_queue: usize,
    /// The share of incidents and turns whose records are exported, per million, chosen by
    /// the incident (else the message) so that an incident's records go together. Metrics
    /// count everything.
    pub sample_per_million: u32,
    /// Resource attributes the application supplies (`service.name`, …).
    pub resource: Vec<(String, String)>,
    /// Unix time in ms at `Instant` 0 (the driver's clock origin), for OTLP's timestamps.
    pub epoch_ms: u64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
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

/// Counts by name, in first-seen order.
#[derive(Default)]
struct Counts(Vec<(&'static str, u64)>);

impl Counts {
    fn add(&mut self, name: &'static str) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => self.0.push((name, 1)),
        }
    }
}

/// The exporter's state (see the module doc).
pub(crate) struct Exporter {
    config: TelemetryConfig,
    /// Redacted from every id the server chose (a run id), as from every report.
    credential: Option<Credential>,
    /// Log records waiting, each as its OTLP JSON object.
    queue: VecDeque<String>,
    flush_at: Option<Instant>,
    pending: Vec<Pending>,
    /// Exports for the driver to send.
    ready: VecDeque<Export>,
    next_id: u64,
    failures: Counts,
    turns: Counts,
    /// Acknowledgement latencies: a count per bucket (the last past every bound), their sum.
    latency_buckets: [u64; LATENCY_BOUNDS_MS.len() + 1],
    latency_sum: u64,
    /// Records dropped: queue full, refused, out of attempts, or past the keepalive budget.
    dropped: u64,
    /// Something counted since the last metrics export.
    metrics_dirty: bool,
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
            failures: Counts::default(),
            turns: Counts::default(),
            latency_buckets: [0; LATENCY_BOUNDS_MS.len() + 1],
            latency_sum: 0,
            dropped: 0,
            metrics_dirty: false,
        }
    }

    /// A failure report, on the connection's `dialect` (if known).
    pub(crate) fn report(&mut self, now: Instant, report: &Report, dialect: Option<&str>) {
        self.failures.add(report.kind.as_str());
        self.counted(now);
        let key = report.incident.map(|i| i.get()).or(report.message_id.map(|m| m.get()));
        if !self.sampled(key) {
            return;
        }
        let mut attributes = Attributes::new(self.credential.as_ref());
        attributes.string("chat_sentinel.kind", report.kind.as_str());
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
            super::report::Severity::Critical => Severity::Error,
            super::report::Severity::Warning => Severity::Warn,
        };
        self.enqueue(now, self.log_record(report.at, severity, report.kind.as_str(), attributes));
    }

    /// A turn's verdict (its final states only).
    pub(crate) fn turn(&mut self, now: Instant, turn: &Turn, dialect: Option<&str>) {
        if !matches!(turn.state, TurnState::Complete | TurnState::Incomplete | TurnState::Failed) {
            return;
        }
        self.turns.add(turn.state.as_str());
        self.counted(now);
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
        let severity = if turn.state == TurnState::Complete { Severity::Info } else { Severity::Error };
        let mut body = String::from("turn ");
        body.push_str(turn.state.as_str());
        self.enqueue(now, self.log_record(turn.at, severity, &body, attributes));
    }

    /// An acknowledgement, for the latency histogram.
    pub(crate) fn receipt(&mut self, receipt: &Receipt) {
        let bucket = LATENCY_BOUNDS_MS.iter().position(|b| receipt.latency_ms <= *b).unwrap_or(LATENCY_BOUNDS_MS.len());
        if let Some(count) = self.latency_buckets.get_mut(bucket) {
            *count += 1;
        }
        self.latency_sum = self.latency_sum.saturating_add(receipt.latency_ms);
        self.counted(receipt.at);
    }

    /// The next export to send, if any.
    pub(crate) fn poll_export(&mut self) -> Option<Export> {
        self.ready.pop_front()
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
    /// [`KEEPALIVE_BYTES`], and is not waited for. Exports already on their way are left to
    /// arrive (they were sent `keepalive`): sending them again could deliver them twice.
    pub(crate) fn flush_keepalive(&mut self, now: Instant) {
        self.flush_at = None;
        let mut budget = KEEPALIVE_BYTES;
        let (waiting, on_the_way) = core::mem::take(&mut self.pending).into_iter().partition(|p| p.retry_at.is_some());
        self.pending = on_the_way;
        for p in waiting {
            self.send_keepalive(p.export.signal, p.export.body, p.records, &mut budget);
        }
        while !self.queue.is_empty() {
            let (body, records) = self.logs_batch();
            self.send_keepalive(Signal::Logs, body, records, &mut budget);
        }
        if self.metrics_dirty {
            self.metrics_dirty = false;
            let body = self.metrics_body(now);
            self.send_keepalive(Signal::Metrics, body, 0, &mut budget);
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
        self.dropped += records;
        self.counted(now);
    }

    /// Sends a batch of waiting records, and the metrics if they changed, unless
    /// [`MAX_IN_FLIGHT`] exports are unanswered (then they wait for an answer).
    fn flush(&mut self, now: Instant) {
        if !self.queue.is_empty() && self.pending.len() < MAX_IN_FLIGHT {
            let (body, records) = self.logs_batch();
            self.send(Signal::Logs, body, records, true);
        }
        if self.metrics_dirty && self.pending.len() < MAX_IN_FLIGHT {
            self.metrics_dirty = false;
            let body = self.metrics_body(now);
            self.send(Signal::Metrics, body, 0, true);
        }
        if !self.queue.is_empty() && self.flush_at.is_none() && self.pending.len() < MAX_IN_FLIGHT {
            self.flush_at = Some(now.plus(self.config.flush_interval_ms));
        }
    }

    /// Hands an export to the driver; `awaited` ones stay pending until answered (and are
    /// sent again if need be), the others are sent once, as the page goes.
    fn send(&mut self, signal: Signal, body: String, records: u64, awaited: bool) {
        self.next_id += 1;
        let keepalive = body.len() <= KEEPALIVE_BYTES;
        let export = Export { id: self.next_id, signal, body, keepalive };
        self.ready.push_back(export.clone());
        if awaited {
            self.pending.push(Pending { export, records, attempts: 1, retry_at: None });
        }
    }

    fn send_keepalive(&mut self, signal: Signal, body: String, records: u64, budget: &mut usize) {
        if body.len() > *budget {
            self.dropped += records;
            return;
        }
        *budget -= body.len();
        self.send(signal, body, records, false);
    }

    /// Up to `max_batch` waiting records as one `ExportLogsServiceRequest`.
    fn logs_batch(&mut self) -> (String, u64) {
        let mut records = String::new();
        let mut count = 0;
        while count < self.config.max_batch as u64 {
            let Some(record) = self.queue.pop_front() else { break };
            if count > 0 {
                records.push(',');
            }
            records.push_str(&record);
            count += 1;
        }
        let mut body = String::from("{\"resourceLogs\":[{");
        self.push_resource_and_scope(&mut body, "scopeLogs");
        body.push_str("\"logRecords\":[");
        body.push_str(&records);
        body.push_str("]}]}]}");
        (body, count)
    }

    /// `"resource":{…},"<scopes>":[{"scope":{…},` — the caller writes the rest of the scope.
    fn push_resource_and_scope(&self, body: &mut String, scopes: &str) {
        body.push_str("\"resource\":{\"attributes\":[");
        for (i, (key, value)) in self.config.resource.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            push_string_attribute(body, key, value);
        }
        body.push_str("]},\"");
        body.push_str(scopes);
        body.push_str("\":[{\"scope\":{\"name\":");
        push_str(body, SCOPE);
        body.push_str(",\"version\":");
        push_str(body, VERSION);
        body.push_str("},");
    }

    fn nanos(&self, at: Instant) -> String {
        let mut out = String::new();
        push_u64(&mut out, self.config.epoch_ms.saturating_add(at.as_millis()).saturating_mul(1_000_000));
        out
    }

    fn log_record(&self, at: Instant, severity: Severity, body: &str, attributes: Attributes) -> String {
        let mut out = String::from("{\"timeUnixNano\":\"");
        out.push_str(&self.nanos(at));
        out.push_str("\",\"severityNumber\":");
        push_u64(&mut out, severity.number());
        out.push_str(",\"severityText\":");
        push_str(&mut out, severity.text());
        out.push_str(",\"body\":{\"stringValue\":");
        push_str(&mut out, body);
        out.push_str("},\"attributes\":[");
        out.push_str(&attributes.json);
        out.push_str("]}");
        out
    }

    /// Every counter and the histogram, cumulative since the client started, as one
    /// `ExportMetricsServiceRequest`.
    fn metrics_body(&self, now: Instant) -> String {
        let start = self.nanos(Instant::from_millis(0));
        let time = self.nanos(now);
        let mut body = String::from("{\"resourceMetrics\":[{");
        self.push_resource_and_scope(&mut body, "scopeMetrics");
        body.push_str("\"metrics\":[");
        let points = |counts: &Counts, key: &str| {
            let mut out = String::new();
            for (i, (name, count)) in counts.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_point(&mut out, &start, &time, *count, Some((key, name)));
            }
            out
        };
        let mut dropped = String::new();
        push_point(&mut dropped, &start, &time, self.dropped, None);
        let sums = [
            ("chat_sentinel.failures", "reports", points(&self.failures, "chat_sentinel.kind")),
            ("chat_sentinel.turns", "turns", points(&self.turns, "chat_sentinel.turn.state")),
            ("chat_sentinel.telemetry.dropped", "records", dropped),
        ];
        for (name, unit, points) in &sums {
            body.push_str("{\"name\":");
            push_str(&mut body, name);
            body.push_str(",\"unit\":");
            push_str(&mut body, unit);
            body.push_str(",\"sum\":{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":[");
            body.push_str(points);
            body.push_str("]}},");
        }
        body.push_str("{\"name\":\"chat_sentinel.ack.latency\",\"unit\":\"ms\",\"histogram\":{\"aggregationTemporality\":2,\"dataPoints\":[{\"startTimeUnixNano\":\"");
        body.push_str(&start);
        body.push_str("\",\"timeUnixNano\":\"");
        body.push_str(&time);
        body.push_str("\",\"count\":\"");
        push_u64(&mut body, self.latency_buckets.iter().sum());
        body.push_str("\",\"sum\":");
        push_u64(&mut body, self.latency_sum);
        body.push_str(",\"bucketCounts\":[");
        for (i, count) in self.latency_buckets.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push('"');
            push_u64(&mut body, *count);
            body.push('"');
        }
        body.push_str("],\"explicitBounds\":[");
        for (i, bound) in LATENCY_BOUNDS_MS.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            push_u64(&mut body, *bound);
        }
        body.push_str("]}]}}]}]}]}");
        body
    }
}

/// OTLP's severity numbers and texts (the data model's `SeverityNumber`).
#[derive(Clone, Copy)]
enum Severity {
    Info,
    Warn,
    Error,
}

impl Severity {
    const fn number(self) -> u64 {
        match self {
            Severity::Info => 9,
            Severity::Warn => 13,
            Severity::Error => 17,
        }
    }

    const fn text(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        }
    }
}

/// A record's attributes, as the JSON inside its `"attributes":[…]`.
struct Attributes<'c> {
    json: String,
    credential: Option<&'c Credential>,
}

impl<'c> Attributes<'c> {
    fn new(credential: Option<&'c Credential>) -> Self {
        Attributes { json: String::new(), credential }
    }

    fn separate(&mut self) {
        if !self.json.is_empty() {
            self.json.push(',');
        }
    }

    fn string(&mut self, key: &str, value: &str) {
        self.separate();
        push_string_attribute(&mut self.json, key, value);
    }

    fn int(&mut self, key: &str, value: u64) {
        self.separate();
        self.json.push_str("{\"key\":");
        push_str(&mut self.json, key);
        self.json.push_str(",\"value\":{\"intValue\":\"");
        push_u64(&mut self.json, value);
        self.json.push_str("\"}}");
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
            self.string("chat_sentinel.message_id", &message_id);
        }
        if let Some(incident) = incident {
            self.int("chat_sentinel.incident", incident);
        }
    }
}

fn push_string_attribute(out: &mut String, key: &str, value: &str) {
    out.push_str("{\"key\":");
    push_str(out, key);
    out.push_str(",\"value\":{\"stringValue\":");
    push_str(out, value);
    out.push_str("}}");
}

/// A cumulative sum's data point, with one attribute if given.
fn push_point(out: &mut String, start: &str, time: &str, value: u64, attribute: Option<(&str, &str)>) {
    out.push_str("{\"startTimeUnixNano\":\"");
    out.push_str(start);
    out.push_str("\",\"timeUnixNano\":\"");
    out.push_str(time);
    // A JSON number: every OTLP receiver takes one for an int64 (not every one a string).
    out.push_str("\",\"asInt\":");
    push_u64(out, value);
    out.push_str(",\"attributes\":[");
    if let Some((key, value)) = attribute {
        push_string_attribute(out, key, value);
    }
    out.push_str("]}");
}
