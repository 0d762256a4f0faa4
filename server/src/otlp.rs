//! An OTLP/HTTP JSON receiver for the tests, standing in for an OpenTelemetry Collector:
//! `POST /v1/logs` and `POST /v1/metrics` decode the body with the `opentelemetry-proto` types
//! (their serde JSON encoding) and keep it; a body that does not decode is refused with 400,
//! as a Collector refuses it. `/flaky/v1/…` answers each distinct body 503 (`Retry-After: 0`)
//! the first time and accepts it the second, to test an exporter's retry. `GET /debug/otlp`
//! lists what was accepted. Every route answers CORS preflights, so a page of any origin can
//! export to it, as to a Collector configured with CORS for the app's origin.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_REQUEST_HEADERS, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use serde_json::{json, Value};

/// Exports kept for `/debug/otlp`, the oldest forgotten first.
const KEPT: usize = 1000;

/// Which OTLP signal a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Logs,
    Metrics,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// Decodes `body`: the request as the OTLP types read it, re-encoded, and its record count
    /// (log records, or metrics).
    fn decode(self, body: &str) -> Result<(Value, usize), String> {
        let err = |e: serde_json::Error| format!("not an OTLP/JSON {} export: {e}", self.name());
        match self {
            Signal::Logs => {
                let request: ExportLogsServiceRequest = serde_json::from_str(body).map_err(err)?;
                let records =
                    request.resource_logs.iter().flat_map(|r| &r.scope_logs).map(|s| s.log_records.len()).sum();
                Ok((serde_json::to_value(&request).map_err(err)?, records))
            }
            Signal::Metrics => {
                let request: ExportMetricsServiceRequest = serde_json::from_str(body).map_err(err)?;
                let metrics = request.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
                let records = metrics.count();
                Ok((serde_json::to_value(&request).map_err(err)?, records))
            }
        }
    }
}

/// One accepted export.
struct Export {
    signal: Signal,
    path: String,
    /// The body as received, so tests can search the raw bytes (for a token, say).
    raw: String,
    decoded: Value,
    records: usize,
}

/// What the receiver accepted, and the bodies `/flaky/` refused once.
#[derive(Default)]
pub struct Receiver {
    exports: Mutex<VecDeque<Export>>,
    refused_once: Mutex<HashSet<String>>,
}

impl Receiver {
    /// Handles `POST <path>` of `signal`; `flaky` refuses each new body once with 503.
    pub fn post(&self, signal: Signal, path: &str, flaky: bool, body: String) -> Response {
        if flaky && self.refused_once.lock().unwrap_or_else(|p| p.into_inner()).insert(body.clone()) {
            eprintln!("otlp: {path}: 503 for a new body (it is accepted when sent again)");
            // Readable by the page's exporter only when exposed.
            let headers = [
                (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (RETRY_AFTER, "0"),
                (ACCESS_CONTROL_EXPOSE_HEADERS, "retry-after"),
            ];
            return (StatusCode::SERVICE_UNAVAILABLE, headers, "try again").into_response();
        }
        match signal.decode(&body) {
            Err(reason) => {
                eprintln!("otlp: {path}: refused: {reason}");
                (StatusCode::BAD_REQUEST, [(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], reason).into_response()
            }
            Ok((decoded, records)) => {
                eprintln!("otlp: {path}: {records} {} record(s)", signal.name());
                let mut exports = self.exports.lock().unwrap_or_else(|p| p.into_inner());
                exports.push_back(Export { signal, path: path.to_owned(), raw: body, decoded, records });
                while exports.len() > KEPT {
                    exports.pop_front();
                }
                let headers =
                    [(ACCESS_CONTROL_ALLOW_ORIGIN, "*"), (axum::http::header::CONTENT_TYPE, "application/json")];
                (StatusCode::OK, headers, "{}").into_response()
            }
        }
    }

    /// `[{signal, path, records, raw, decoded}]`, oldest first.
    pub fn json(&self) -> Value {
        let exports = self.exports.lock().unwrap_or_else(|p| p.into_inner());
        exports
            .iter()
            .map(|e| {
                json!({"signal": e.signal.name(), "path": e.path, "records": e.records, "raw": e.raw,
                       "decoded": e.decoded})
            })
            .collect()
    }
}

/// The answer to a CORS preflight: any origin may POST with the headers it asks for.
pub fn preflight(headers: &HeaderMap) -> Response {
    let asked =
        headers.get(ACCESS_CONTROL_REQUEST_HEADERS).cloned().unwrap_or(HeaderValue::from_static("content-type"));
    let headers = [
        (ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        (ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST")),
        (ACCESS_CONTROL_ALLOW_HEADERS, asked),
    ];
    (StatusCode::NO_CONTENT, headers).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGS: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"chat"}}]},
        "scopeLogs":[{"scope":{"name":"chat-sentinel","version":"0.1.0"},"logRecords":[
          {"timeUnixNano":"1764800000000000000","severityNumber":17,"severityText":"ERROR",
           "body":{"stringValue":"missing_event"},
           "attributes":[{"key":"chat_sentinel.kind","value":{"stringValue":"missing_event"}},
                         {"key":"chat_sentinel.incident","value":{"intValue":"1"}}]}]}]}]}"#;

    #[test]
    fn decodes_an_otlp_json_log_export_and_counts_its_records() {
        let (decoded, records) = Signal::Logs.decode(LOGS).expect("decodes");
        assert_eq!(records, 1);
        let record = &decoded["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
        assert_eq!(record["severityNumber"], json!(17));
        assert_eq!(record["body"]["stringValue"], json!("missing_event"));
    }

    #[test]
    fn refuses_what_does_not_decode() {
        assert!(Signal::Logs
            .decode(r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"high"}]}]}]}"#)
            .is_err());
        assert!(Signal::Logs.decode("not json").is_err());
        assert!(Signal::Metrics.decode(r#"{"resourceMetrics":7}"#).is_err());
    }

    #[test]
    fn a_flaky_path_refuses_a_body_once() {
        let receiver = Receiver::default();
        let first = receiver.post(Signal::Logs, "/flaky/v1/logs", true, LOGS.to_owned());
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
        let second = receiver.post(Signal::Logs, "/flaky/v1/logs", true, LOGS.to_owned());
        assert_eq!(second.status(), StatusCode::OK);
        assert_eq!(receiver.json().as_array().map(Vec::len), Some(1));
    }
}
