//! OTLP/HTTP JSON encoding (the protobuf JSON mapping of `ExportLogsServiceRequest` and
//! `ExportMetricsServiceRequest`), and the cumulative metrics the OTLP exporter keeps.

use alloc::string::String;
use alloc::vec::Vec;

use super::record::{AttributeValue, Instrument, LogRecord, Measurement, LATENCY_BOUNDS_MS};
use crate::core::json::{push_str, push_u64};

/// The instrumentation scope of every export.
const SCOPE: &str = "chat-sentinel";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// OTLP's `AGGREGATION_TEMPORALITY_CUMULATIVE`.
const CUMULATIVE: &str = "2";

/// `record` as an OTLP `LogRecord` object.
pub(super) fn log_record(record: &LogRecord) -> String {
    let mut out = String::from("{\"timeUnixNano\":\"");
    push_nanos(&mut out, record.time_unix_ms);
    out.push_str("\",\"severityNumber\":");
    push_u64(&mut out, u64::from(record.severity.number()));
    out.push_str(",\"severityText\":");
    push_str(&mut out, record.severity.text());
    out.push_str(",\"body\":{\"stringValue\":");
    push_str(&mut out, &record.body);
    out.push_str("},\"attributes\":[");
    for (i, attribute) in record.attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match &attribute.value {
            AttributeValue::String(value) => push_string_attribute(&mut out, attribute.key, value),
            AttributeValue::Int(value) => {
                out.push_str("{\"key\":");
                push_str(&mut out, attribute.key);
                out.push_str(",\"value\":{\"intValue\":\"");
                push_u64(&mut out, *value);
                out.push_str("\"}}");
            }
        }
    }
    out.push_str("]}");
    out
}

/// An `ExportLogsServiceRequest` of `records`, each already a `LogRecord` object.
pub(super) fn logs_body(resource: &[(String, String)], records: &str) -> String {
    let mut body = String::from("{\"resourceLogs\":[{");
    push_resource_and_scope(&mut body, resource, "scopeLogs");
    body.push_str("\"logRecords\":[");
    body.push_str(records);
    body.push_str("]}]}]}");
    body
}

/// Counts by name, in first-seen order.
#[derive(Default)]
struct Counts(Vec<(&'static str, u64)>);

impl Counts {
    fn add(&mut self, name: &'static str, value: u64) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += value,
            None => self.0.push((name, value)),
        }
    }
}

/// Every instrument's cumulative value since the client started.
#[derive(Default)]
pub(super) struct Metrics {
    failures: Counts,
    turns: Counts,
    pub(super) dropped: u64,
    /// Acknowledgement latencies: a count per bucket (the last past every bound), their sum.
    latency_buckets: [u64; LATENCY_BOUNDS_MS.len() + 1],
    latency_sum: u64,
}

impl Metrics {
    pub(super) fn add(&mut self, measurement: &Measurement) {
        let value = measurement.value;
        let name = measurement.attribute.map_or("", |(_, name)| name);
        match measurement.instrument {
            Instrument::Failures => self.failures.add(name, value),
            Instrument::Turns => self.turns.add(name, value),
            Instrument::Dropped => self.dropped += value,
            Instrument::AckLatency => self.latency(value),
        }
    }

    fn latency(&mut self, ms: u64) {
        let bucket = LATENCY_BOUNDS_MS.iter().position(|b| ms <= *b).unwrap_or(LATENCY_BOUNDS_MS.len());
        if let Some(count) = self.latency_buckets.get_mut(bucket) {
            *count += 1;
        }
        self.latency_sum = self.latency_sum.saturating_add(ms);
    }

    /// Every instrument as one `ExportMetricsServiceRequest`, from `start_ms` to `now_ms` (Unix).
    pub(super) fn body(&self, resource: &[(String, String)], start_ms: u64, now_ms: u64) -> String {
        let mut span = String::from("\"startTimeUnixNano\":\"");
        push_nanos(&mut span, start_ms);
        span.push_str("\",\"timeUnixNano\":\"");
        push_nanos(&mut span, now_ms);
        span.push('"');
        let points = |counts: &Counts, key: &str| {
            let mut out = String::new();
            for (i, (name, count)) in counts.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_point(&mut out, &span, *count, Some((key, name)));
            }
            out
        };
        let mut dropped = String::new();
        push_point(&mut dropped, &span, self.dropped, None);
        let sums = [
            (Instrument::Failures, points(&self.failures, "chat_sentinel.kind")),
            (Instrument::Turns, points(&self.turns, "chat_sentinel.turn.state")),
            (Instrument::Dropped, dropped),
        ];
        let mut body = String::from("{\"resourceMetrics\":[{");
        push_resource_and_scope(&mut body, resource, "scopeMetrics");
        body.push_str("\"metrics\":[");
        for (instrument, points) in &sums {
            push_metric_head(&mut body, *instrument);
            body.push_str("\"sum\":{\"aggregationTemporality\":");
            body.push_str(CUMULATIVE);
            body.push_str(",\"isMonotonic\":true,\"dataPoints\":[");
            body.push_str(points);
            body.push_str("]}},");
        }
        push_metric_head(&mut body, Instrument::AckLatency);
        body.push_str("\"histogram\":{\"aggregationTemporality\":");
        body.push_str(CUMULATIVE);
        body.push_str(",\"dataPoints\":[{");
        body.push_str(&span);
        body.push_str(",\"count\":\"");
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

/// `{"name":…,"unit":…,"description":…,` — the caller writes the data.
fn push_metric_head(body: &mut String, instrument: Instrument) {
    body.push_str("{\"name\":");
    push_str(body, instrument.name());
    body.push_str(",\"unit\":");
    push_str(body, instrument.unit());
    body.push_str(",\"description\":");
    push_str(body, instrument.description());
    body.push(',');
}

/// `"resource":{…},"<scopes>":[{"scope":{…},` — the caller writes the rest of the scope.
fn push_resource_and_scope(body: &mut String, resource: &[(String, String)], scopes: &str) {
    body.push_str("\"resource\":{\"attributes\":[");
    for (i, (key, value)) in resource.iter().enumerate() {
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

fn push_nanos(out: &mut String, unix_ms: u64) {
    push_u64(out, unix_ms.saturating_mul(1_000_000));
}

fn push_string_attribute(out: &mut String, key: &str, value: &str) {
    out.push_str("{\"key\":");
    push_str(out, key);
    out.push_str(",\"value\":{\"stringValue\":");
    push_str(out, value);
    out.push_str("}}");
}

/// A cumulative sum's data point over `span`, with one attribute if given.
fn push_point(out: &mut String, span: &str, value: u64, attribute: Option<(&str, &str)>) {
    out.push('{');
    out.push_str(span);
    // A JSON number: every OTLP receiver takes one for an int64 (not every one a string).
    out.push_str(",\"asInt\":");
    push_u64(out, value);
    out.push_str(",\"attributes\":[");
    if let Some((key, value)) = attribute {
        push_string_attribute(out, key, value);
    }
    out.push_str("]}");
}
