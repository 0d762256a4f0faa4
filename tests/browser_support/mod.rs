//! Shared harness of the browser tests: a client on the reference server, a recorder of its
//! outputs, and the exact assertion on failure kinds and their counts.
#![allow(dead_code)]

pub mod scenarios;

use std::collections::BTreeSet;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use chat_sentinel::browser::{Client, ClientOptions, Outputs};
use chat_sentinel::core::{
    Config, ConnectionState, Event, Output, Receipt, Reconnect, Recovery, Report, SendOptions, Severity, Turn,
    TurnState, Verdict,
};
use futures_core::Stream;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = fetch)]
    fn js_fetch(url: &str) -> js_sys::Promise;
}

pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1X3Rlc3QifQ.c2lnbmF0dXJl-s3cr3t";

/// The reference server's `host:port`, baked in at compile time.
#[allow(clippy::option_env_unwrap)] // absent at build time: every browser test must fail, loudly
pub fn server() -> &'static str {
    option_env!("CHAT_SENTINEL_SERVER").expect(
        "CHAT_SENTINEL_SERVER is not set: start `chat-sentinel-server --port 0 --root .` and build the \
         browser tests with CHAT_SENTINEL_SERVER=127.0.0.1:PORT (cargo xtask test does this)",
    )
}

/// `ws://SERVER/ws?QUERY&pace_ms=30&seed=N` with a fresh seed per call.
pub fn url(query: &str) -> String {
    thread_local!(static SEED: std::cell::Cell<u64> = const { std::cell::Cell::new(1) });
    let seed = SEED.with(|s| {
        let n = s.get();
        s.set(n + 1);
        n
    });
    let pace = if query.contains("pace_ms=") { String::new() } else { "&pace_ms=30".to_owned() };
    format!("ws://{}/ws?{query}{pace}&seed={}", server(), 1000 + seed)
}

/// Deadlines long enough that no detector fires unless a test shortens it.
pub fn config() -> Config {
    Config {
        heartbeat_interval_ms: 30_000,
        heartbeat_timeout_ms: 30_000,
        handshake_timeout_ms: 10_000,
        ack_timeout_ms: 10_000,
        first_event_timeout_ms: 60_000,
        run_stall_timeout_ms: 60_000,
        reconnect: Reconnect { min_delay_ms: 50, max_delay_ms: 200, max_attempts: 5 },
        ..Config::default()
    }
}

pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// `GET http://SERVER/debug/connections` as parsed JSON.
pub async fn debug_connections() -> Result<JsValue, JsValue> {
    debug_json("connections").await
}

/// The entry of `GET http://SERVER/debug/delivery` (see server/src/delivery.rs) whose
/// `path_and_query` contains `marker`: the last one, for a session resumed under it.
pub async fn debug_delivery(marker: &str) -> JsValue {
    let list = debug_json("delivery").await.expect("GET /debug/delivery");
    let list: js_sys::Array = list.into();
    let entries: Vec<JsValue> = list.iter().collect();
    entries
        .into_iter()
        .rev()
        .find(|entry| field(entry, "path_and_query").as_string().is_some_and(|p| p.contains(marker)))
        .unwrap_or_else(|| panic!("no /debug/delivery entry for {marker}"))
}

/// `GET http://SERVER/debug/otlp`: the OTLP exports the reference server's receiver accepted.
pub async fn debug_otlp() -> Vec<JsValue> {
    items(&debug_json("otlp").await.expect("GET /debug/otlp"))
}

/// `value[key]`, or `undefined`.
pub fn field(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The items of a JS array (none for anything else).
pub fn items(value: &JsValue) -> Vec<JsValue> {
    value.dyn_ref::<js_sys::Array>().map(|a| a.iter().collect()).unwrap_or_default()
}

/// `GET http://SERVER/debug/<what>` as parsed JSON.
async fn debug_json(what: &str) -> Result<JsValue, JsValue> {
    let url = format!("http://{}/debug/{what}", server());
    let response = JsFuture::from(js_fetch(&url)).await?;
    let json = js_sys::Reflect::get(&response, &"json".into())?;
    let json: js_sys::Function = json.into();
    JsFuture::from(js_sys::Promise::from(json.call0(&response)?)).await
}

/// Everything a client emitted.
#[derive(Default, Debug)]
pub struct Rec {
    pub events: Vec<Event>,
    pub failures: Vec<Report>,
    pub states: Vec<ConnectionState>,
    pub recoveries: Vec<Recovery>,
    pub receipts: Vec<Receipt>,
    pub turns: Vec<Turn>,
}

impl Rec {
    pub fn kinds(&self) -> BTreeSet<&'static str> {
        self.failures.iter().map(|f| f.kind.as_str()).collect()
    }

    /// Every reported kind, as many times as reported, sorted.
    pub fn all_kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.failures.iter().map(|f| f.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds
    }

    /// The kinds of the critical reports, in order.
    pub fn criticals(&self) -> Vec<&'static str> {
        self.failures.iter().filter(|f| f.severity == Severity::Critical).map(|f| f.kind.as_str()).collect()
    }

    /// The final states of the turns, in order.
    pub fn turn_ends(&self) -> Vec<TurnState> {
        self.turns.iter().filter(|t| t.state.is_final()).map(|t| t.state).collect()
    }

    pub fn has(&self, kind: &str) -> bool {
        self.failures.iter().any(|f| f.kind.as_str() == kind)
    }

    pub fn completed(&self) -> bool {
        self.events.iter().any(|e| e.kind == "agent_completed")
    }

    pub fn types(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.kind.as_str()).collect()
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        self.recoveries.iter().map(|r| r.verdict).collect()
    }
}

/// The golden path of one run with the server's defaults (k=2, m=1).
pub const GOLDEN: [&str; 6] =
    ["agent_started", "agent_thinking", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

pub struct Harness {
    pub client: Client,
    outputs: Outputs,
    pub rec: Rec,
}

impl Harness {
    pub fn new(query: &str, config: Config) -> Harness {
        Harness::with_options(ClientOptions::new(url(query), config).with_token(TOKEN))
    }

    pub fn with_options(options: ClientOptions) -> Harness {
        let client = Client::new(options).expect("valid options");
        let outputs = client.outputs();
        Harness { client, outputs, rec: Rec::default() }
    }

    fn record(&mut self, output: Output) {
        match output {
            Output::Event(e) => self.rec.events.push(e),
            Output::Failure(r) => self.rec.failures.push(r),
            Output::State(s) => self.rec.states.push(s),
            Output::Recovery(r) => self.rec.recoveries.push(r),
            Output::Acked(r) => self.rec.receipts.push(r),
            Output::Turn(t) => self.rec.turns.push(t),
            Output::Connected(_) => panic!("the connect() outcome settles its future; it is not streamed"),
        }
    }

    /// The next output within `ms`, if any.
    async fn next_within(&mut self, ms: u32) -> Option<Output> {
        let mut timeout = Box::pin(sleep(ms));
        let outputs = &mut self.outputs;
        poll_fn(|cx| {
            if let Poll::Ready(item) = Pin::new(&mut *outputs).poll_next(cx) {
                return Poll::Ready(item);
            }
            if timeout.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    }

    /// Records outputs until `done` holds or `bound_ms` passed; returns whether it held.
    pub async fn until(&mut self, bound_ms: u32, done: impl Fn(&Rec) -> bool) -> bool {
        let start = js_sys::Date::now();
        loop {
            if done(&self.rec) {
                return true;
            }
            let left = bound_ms as f64 - (js_sys::Date::now() - start);
            if left <= 0.0 {
                return false;
            }
            if let Some(output) = self.next_within(left as u32 + 1).await {
                self.record(output);
            }
        }
    }

    /// Records everything for `ms`.
    pub async fn settle(&mut self, ms: u32) {
        self.until(ms, |_| false).await;
    }

    pub async fn connect(&mut self) {
        let result = self.client.connect().await;
        assert!(result.is_ok(), "connect failed: {result:?}");
    }

    /// Sends and waits for the acknowledgement.
    pub async fn send(&mut self, text: &str) -> Result<Receipt, Report> {
        self.client.send_message(text, SendOptions { thread_id: Some("th_test".to_owned()) }).await
    }

    /// Waits (at most `bound_ms`) until every report in `expected` (a kind as many times as
    /// listed, in any order) came and `done` holds, settles 400 ms, then asserts the reports
    /// are exactly `expected`, and that no incident has more than one critical report.
    pub async fn expect_kinds(&mut self, expected: &[&str], bound_ms: u32, done: impl Fn(&Rec) -> bool) {
        let mut want = expected.to_vec();
        want.sort_unstable();
        let count = |r: &Rec, kind: &str| r.failures.iter().filter(|f| f.kind.as_str() == kind).count();
        let all_came = |r: &Rec| want.iter().all(|k| count(r, k) >= want.iter().filter(|w| *w == k).count());
        let reached = self.until(bound_ms, |r| all_came(r) && done(r)).await;
        self.settle(400).await;
        for report in self.rec.failures.iter().filter(|f| f.severity == Severity::Critical) {
            let same =
                self.rec.failures.iter().filter(|f| f.severity == Severity::Critical && f.incident == report.incident);
            assert_eq!(same.count(), 1, "one critical report per incident: {:#?}", self.rec.failures);
        }
        let got = self.rec.all_kinds();
        assert_eq!(
            got,
            want,
            "failure kinds (reached: {reached}); failures: {:#?}; events: {:?}",
            self.rec.failures,
            self.rec.types()
        );
        assert!(reached, "the expected outputs did not all arrive in {bound_ms} ms: {:?}", self.rec.types());
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.client.close();
    }
}

/// Asserts that the events are the golden path once each, in order (and, when sequenced,
/// numbered 1..=6).
pub fn assert_golden(rec: &Rec, sequenced: bool) {
    assert_eq!(rec.types(), GOLDEN, "every event once, in order");
    if sequenced {
        let seqs: Vec<Option<u64>> = rec.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=6).map(Some).collect::<Vec<_>>(), "contiguous seqs");
    }
}
