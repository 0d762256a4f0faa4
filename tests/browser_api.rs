//! The browser driver's API in headless Chromium against the reference server: the token's
//! path, `health()`, errors, option validation, `connect` semantics, buffering across a
//! reconnect, and the bounded output stream.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod browser_support;

use browser_support::{assert_golden, config, debug_otlp, field, items, server, url, Harness, Rec, TOKEN};
use chat_sentinel::browser::{Client, ClientOptions, OptionErrorKind, TelemetryEndpoint};
use chat_sentinel::core::{
    Config, ConnectionState, FailureKind, Reconnect, SendOptions, TelemetryConfig, TelemetrySink, TurnState,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// base64url without padding, written independently of the driver's encoder.
fn b64url(text: &str) -> String {
    let encoded = js_sys::global().unchecked_ref::<web_sys::Window>().btoa(text).expect("btoa of an ASCII token");
    encoded.replace('+', "-").replace('/', "_").trim_end_matches('=').to_owned()
}

use wasm_bindgen::JsCast;

fn contains_token(text: &str) -> bool {
    text.contains(TOKEN) || text.contains(&b64url(TOKEN))
}

#[wasm_bindgen_test]
async fn token_travels_only_in_the_subprotocol() {
    let mut h = Harness::new("dialect=netra&scenario=clean&marker=tok", config());
    h.connect().await;
    let connections = browser_support::debug_connections().await;
    let connections = connections.unwrap_or_else(|e| {
        panic!("GET /debug/connections failed (the server must allow cross-origin GETs from the test page): {e:?}")
    });
    let text = js_sys::JSON::stringify(&connections).map(String::from).unwrap_or_default();
    let list: js_sys::Array = connections.into();
    let mine: Vec<JsValue> = list
        .iter()
        .filter(|c| {
            js_sys::Reflect::get(c, &"path_and_query".into())
                .ok()
                .and_then(|p| p.as_string())
                .is_some_and(|p| p.contains("marker=tok"))
        })
        .collect();
    assert!(!mine.is_empty(), "the connection is listed: {text}");
    let last = mine.last().expect("one");
    let protocols = js_sys::Reflect::get(last, &"subprotocols".into()).expect("subprotocols");
    let protocols: Vec<String> = js_sys::Array::from(&protocols).iter().filter_map(|p| p.as_string()).collect();
    assert_eq!(protocols, ["jwt-auth".to_owned(), format!("jwt.{}", b64url(TOKEN))]);
    let path =
        js_sys::Reflect::get(last, &"path_and_query".into()).ok().and_then(|p| p.as_string()).unwrap_or_default();
    assert!(!contains_token(&path), "no token in the URL: {path}");
}

#[wasm_bindgen_test]
async fn no_token_in_reports_errors_health_or_debug() {
    let cfg =
        Config { ack_timeout_ms: 300, reconnect: Reconnect { max_attempts: 0, ..config().reconnect }, ..config() };
    let mut h = Harness::new("dialect=sequenced&scenario=no_ack", cfg);
    h.connect().await;
    let error = h.send("hello").await.expect_err("no_ack");
    assert_eq!(error.kind, FailureKind::AckTimeout);
    h.client.close();
    let error = h.send("after close").await.expect_err("closed");
    assert_eq!(error.kind, FailureKind::SendFailed);
    h.settle(200).await;
    assert!(h.rec.failures.len() >= 2);
    for text in [format!("{:?}", h.rec), format!("{:?}", h.client.health()), format!("{:?}", h.client)] {
        assert!(!contains_token(&text), "token leaked: {text}");
    }
    let options = ClientOptions::new(url("dialect=netra"), config()).with_token(TOKEN);
    let debug = format!("{options:?}");
    assert!(!contains_token(&debug) && debug.contains("<redacted>"), "{debug}");
    let bad = ClientOptions::new(format!("ws://{}/ws?auth={TOKEN}", server()), config()).with_token(TOKEN);
    let message = bad.validate().expect_err("token in URL").message();
    assert!(!contains_token(&message), "{message}");
}

#[wasm_bindgen_test]
async fn health_tracks_a_clean_sequenced_run() {
    let mut h = Harness::new("dialect=sequenced&scenario=clean", config());
    let before = h.client.health();
    assert_eq!(before.state, ConnectionState::Closed);
    assert_eq!(before.dialect, None);
    h.connect().await;
    let receipt = h.send("hello").await.expect("acknowledged");
    assert_eq!(receipt.message_id.to_wire(), "cs-1");
    assert!(receipt.run_id.is_some(), "sequenced acks name the run");
    assert!(h.until(10_000, Rec::completed).await);
    h.settle(200).await;
    assert_golden(&h.rec, true);
    let health = h.client.health();
    assert_eq!(health.state, ConnectionState::Open);
    assert_eq!(health.dialect.map(|d| d.as_str()), Some("sequenced"));
    assert_eq!(health.delivered, 6);
    assert!(health.received >= 8, "handshake, ack and six events: {}", health.received);
    assert_eq!((health.pending_acks, health.open_runs, health.held_events, health.failures), (0, 0, 0, 0));
    assert!(health.last_frame_at.is_some());
    h.client.close();
    assert_eq!(h.client.health().state, ConnectionState::Closed);
    h.settle(100).await;
    assert_eq!(h.rec.states, [ConnectionState::Connecting, ConnectionState::Open, ConnectionState::Closed]);
}

#[wasm_bindgen_test]
fn options_are_validated() {
    let ok = |url: String, token: &str, config: Config| ClientOptions::new(url, config).with_token(token).validate();
    assert!(ok(url("dialect=netra"), TOKEN, config()).is_ok());
    let cases: Vec<(Result<(), _>, &str, OptionErrorKind)> = vec![
        (ok(format!("http://{}/ws", server()), TOKEN, config()), "url", OptionErrorKind::Type),
        (ok("ws://".to_owned(), TOKEN, config()), "url", OptionErrorKind::Type),
        (ok(format!("ws://{}/ws#frag", server()), TOKEN, config()), "url", OptionErrorKind::Type),
        (ok(format!("ws://{}/ws?t={}", server(), b64url(TOKEN)), TOKEN, config()), "url", OptionErrorKind::Type),
        (
            ok(url("x=1"), TOKEN, Config { heartbeat_interval_ms: 0, ..config() }),
            "heartbeatIntervalMs",
            OptionErrorKind::Range,
        ),
        (ok(url("x=1"), TOKEN, Config { output_queue_cap: 0, ..config() }), "outputQueueCap", OptionErrorKind::Range),
        (
            ok(
                url("x=1"),
                TOKEN,
                Config { reconnect: Reconnect { min_delay_ms: 10, max_delay_ms: 5, max_attempts: 1 }, ..config() },
            ),
            "reconnect.maxDelayMs",
            OptionErrorKind::Range,
        ),
    ];
    for (result, option, kind) in cases {
        let error = result.expect_err(option);
        assert_eq!((error.option.as_ref(), error.kind), (option, kind), "{}", error.message());
        assert!(error.message().contains(option));
    }
    assert!(Client::new(ClientOptions::new("wss://x.invalid/ws", Config { pending_cap: 0, ..config() })).is_err());
    assert!(ClientOptions::new(url("dialect=netra"), config()).validate().is_ok(), "the token is optional");
    assert!(ok(url("dialect=netra"), "", config()).is_ok(), "an empty token is none, as in JavaScript");
}

#[wasm_bindgen_test]
fn telemetry_options_are_validated() {
    let collector = |url: String, headers: Vec<(String, String)>| TelemetryEndpoint { url, headers };
    let with = |telemetry: TelemetryConfig, endpoint: Option<TelemetryEndpoint>| {
        let options = ClientOptions::new(url("dialect=netra"), config()).with_token(TOKEN);
        let options = match endpoint {
            Some(endpoint) => options.with_telemetry(telemetry, endpoint),
            None => {
                ClientOptions { config: Config { telemetry: Some(telemetry), ..options.config.clone() }, ..options }
            }
        };
        options.validate()
    };
    let good = || collector(format!("http://{}", server()), vec![("x-api-key".into(), "k".into())]);
    assert!(with(TelemetryConfig::default(), Some(good())).is_ok());
    let application =
        TelemetryConfig { sink: TelemetrySink::Application { logs: true, metrics: true }, ..Default::default() };
    let cases = [
        (with(TelemetryConfig::default(), None), "telemetry.endpoint"),
        (with(TelemetryConfig::default(), Some(collector("ftp://otel.example".into(), vec![]))), "telemetry.endpoint"),
        (with(application, Some(good())), "telemetry"),
        (
            with(
                TelemetryConfig::default(),
                Some(collector(
                    "https://otel.example".into(),
                    vec![("authorization".into(), format!("Bearer {TOKEN}"))],
                )),
            ),
            "telemetry",
        ),
        (with(TelemetryConfig { max_batch: 0, ..Default::default() }, Some(good())), "telemetry.maxBatch"),
    ];
    for (result, option) in cases {
        let error = result.expect_err(option);
        assert_eq!(error.option.as_ref(), option, "{}", error.message());
        assert!(!error.message().contains(TOKEN), "{}", error.message());
    }
    assert!(!format!("{:?}", good()).contains("\"k\""), "header values are redacted in Debug");
}

/// The Rust client exports as the JavaScript one does: a `drop` run's reports and verdict
/// arrive at the reference server's receiver, decoded, once each, with Unix timestamps.
#[wasm_bindgen_test]
async fn the_rust_client_exports_its_reports_and_verdict_over_otlp() {
    let service = format!("rust-{}", js_sys::Math::random());
    let telemetry = TelemetryConfig {
        flush_interval_ms: 200,
        resource: vec![("service.name".into(), service.clone())],
        ..TelemetryConfig::default()
    };
    let endpoint = TelemetryEndpoint { url: format!("http://{}", server()), headers: vec![] };
    let options = ClientOptions::new(url("dialect=netra&scenario=drop"), config())
        .with_token(TOKEN)
        .with_telemetry(telemetry, endpoint);
    let mut h = Harness::with_options(options);
    h.connect().await;
    let _ = h.send("what did we spend?").await;
    assert!(h.until(10_000, |r| r.turns.iter().any(|t| t.end().is_some())).await, "the turn ends");
    h.settle(1_000).await;
    let ours: Vec<JsValue> =
        debug_otlp().await.into_iter().filter(|e| field(e, "raw").as_string().unwrap().contains(&service)).collect();
    let bodies: Vec<String> = ours
        .iter()
        .filter(|e| field(e, "signal").as_string().as_deref() == Some("logs"))
        .flat_map(|e| items(&field(&field(e, "decoded"), "resourceLogs")))
        .flat_map(|r| items(&field(&r, "scopeLogs")))
        .flat_map(|s| items(&field(&s, "logRecords")))
        .map(|r| {
            let nanos: f64 = field(&r, "timeUnixNano").as_string().unwrap().parse().unwrap();
            assert!((nanos / 1e6 - js_sys::Date::now()).abs() < 3_600_000.0, "a Unix timestamp: {nanos}");
            field(&field(&r, "body"), "stringValue").as_string().unwrap()
        })
        .collect();
    let mut expected: Vec<String> = h.rec.failures.iter().map(|f| f.kind.as_str().to_owned()).collect();
    expected.push("turn incomplete".into());
    let mut got = bodies.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "each report and the verdict, once");
    assert!(ours.iter().any(|e| field(e, "signal").as_string().as_deref() == Some("metrics")), "the counters");
    assert!(ours.iter().all(|e| !field(e, "raw").as_string().unwrap().contains(TOKEN)), "never the token");
    h.client.close();
}

#[wasm_bindgen_test]
async fn without_a_token_no_subprotocol_is_offered() {
    let client = Client::new(ClientOptions::new(url("dialect=netra&scenario=clean"), config())).expect("valid");
    client.connect().await.expect("the server accepts a connection without subprotocols");
    client.close();
}

#[wasm_bindgen_test]
async fn connect_rejects_on_the_first_failure_and_keeps_retrying() {
    // An unknown scenario: the server refuses the upgrade with HTTP 400.
    let mut h = Harness::new("dialect=netra&scenario=no_such_scenario", config());
    let error = h.client.connect().await.expect_err("the upgrade is refused");
    assert_eq!(error.kind, FailureKind::ConnectFailed);
    assert!(!contains_token(&error.detail));
    assert!(
        h.until(2_000, |r| r.states.contains(&ConnectionState::Reconnecting)).await,
        "retrying: {:?}",
        h.rec.states
    );
    assert_eq!(h.client.health().state, ConnectionState::Reconnecting);
    h.client.close();
    h.settle(100).await;
    assert_eq!(h.rec.states.last(), Some(&ConnectionState::Closed));
}

#[wasm_bindgen_test]
async fn close_before_open_rejects_connect() {
    let h = Harness::new("dialect=netra&scenario=clean", config());
    let connecting = h.client.connect();
    h.client.close();
    let error = connecting.await.expect_err("closed before open");
    assert_eq!(error.kind, FailureKind::ConnectCancelled);
    // And the client can connect again afterwards.
    h.client.connect().await.expect("reconnects after close");
    assert_eq!(h.client.health().state, ConnectionState::Open);
}

#[wasm_bindgen_test]
async fn messages_sent_while_reconnecting_are_delivered_after_it() {
    let cfg = Config { reconnect: Reconnect { min_delay_ms: 300, max_delay_ms: 300, max_attempts: 5 }, ..config() };
    let mut h = Harness::new("dialect=sequenced&scenario=abrupt_close", cfg);
    h.connect().await;
    h.send("first").await.expect("acknowledged");
    assert!(h.until(10_000, |r| r.states.last() == Some(&ConnectionState::Reconnecting)).await);
    let second = h.client.send_message("while reconnecting", SendOptions::default());
    let receipt = second.await.expect("buffered, then sent and acknowledged after the reconnect");
    assert_eq!(receipt.message_id.to_wire(), "cs-2");
    assert!(h.until(10_000, |r| r.events.iter().filter(|e| e.kind == "agent_completed").count() == 2).await);
    h.settle(300).await;
    assert_eq!(h.rec.kinds().into_iter().collect::<Vec<_>>(), ["connection_lost"]);
    assert_eq!(h.client.health().reconnects, 1);
}

#[wasm_bindgen_test]
async fn an_undrained_stream_reports_its_drops() {
    let cfg = Config { output_queue_cap: 4, ..config() };
    let mut h = Harness::new("dialect=netra&scenario=clean", cfg);
    // Do not drain while the run goes on: connect and send without reading the stream.
    h.client.connect().await.expect("open");
    h.client.send_message("hello", SendOptions::default()).await.expect("acknowledged");
    browser_support::sleep(1_000).await;
    h.settle(200).await;
    let dropped = h.client.health().dropped_outputs;
    assert!(dropped > 0, "outputs beyond the cap were dropped");
    let report = h.rec.failures.iter().find(|f| f.kind == FailureKind::MissingEvent).expect("the drop is reported");
    assert!(report.detail.contains("outputQueueCap 4"), "{}", report.detail);
    assert_eq!(h.rec.kinds().into_iter().collect::<Vec<_>>(), ["missing_event"]);
    assert_eq!(h.rec.events.len() + h.rec.states.len() + h.rec.receipts.len() + h.rec.turns.len(), 4);
}

/// The Rust turn API: `send_message` gives the id at once, `.await` the acknowledgement (inferred
/// from the first event against a netra server that never acks), `completed` the turn's end; a
/// lost event makes `completed` fail with the loss's report.
#[wasm_bindgen_test]
async fn a_sent_message_gives_its_id_its_ack_and_its_turns_end() {
    let mut h = Harness::new("dialect=netra&scenario=no_ack", config());
    h.connect().await;
    let message = h.client.send_message("hello", SendOptions::default());
    let id = message.id.expect("the client took the message");
    let receipt = message.acknowledged.await.expect("acknowledged by the run's first event");
    assert!(receipt.inferred && receipt.message_id == id && receipt.run_id.is_some());
    let turn = message.completed.await.expect("the turn completed");
    assert_eq!((turn.message_id, turn.state, turn.run_id), (id, TurnState::Complete, receipt.run_id));

    let mut h = Harness::new("dialect=sequenced&scenario=drop", config());
    h.connect().await;
    let message = h.client.send_message("hello", SendOptions::default());
    let report = message.completed.await.expect_err("a lost event leaves the turn incomplete");
    assert_eq!((report.kind, report.message_id), (FailureKind::SeqGap, message.id));
    assert!(report.incident.is_some());
}
