//! The Rust API, for Rust frontends (Leptos, Yew, Dioxus, …) compiled to wasm32.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn core::error::Error>> {
//! use chat_sentinel::browser::{Client, ClientOptions};
//! use chat_sentinel::core::{Config, Output, SendOptions};
//! use futures_core::Stream;
//!
//! let options = ClientOptions::new("wss://chat.example/ws", Config::default()).with_token("eyJ…");
//! let client = Client::new(options)?;
//! let outputs = client.outputs(); // a Stream<Item = Output>: events, failures, states, …
//! client.connect().await.map_err(|r| r.detail)?;
//! // Awaiting the message waits for its acknowledgement; `completed` for the end of its turn.
//! let message = client.send_message("hello", SendOptions::default());
//! let (id, completed) = (message.id, message.completed);
//! let turn = completed.await.map_err(|r| r.detail)?; // Err: the turn ended incomplete or failed
//! # let _ = (outputs, id, turn);
//! # Ok(()) }
//! ```

use alloc::borrow::ToOwned;
use alloc::collections::VecDeque;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::{Future, IntoFuture};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_channel::oneshot;
use futures_core::Stream;

use super::driver::{self, Inner, Input, Shared, Sink};
use super::error::OptionError;
use super::inbound::InFrame;
use super::options::{self, CollectorTarget, TelemetryTarget};
use super::scripted::{self, Transport};
use super::timer;
use super::transport::Endpoint;
use crate::core::options::{TELEMETRY, TELEMETRY_ENDPOINT, TOKEN};
use crate::core::{
    Config, Credential, Event, Health, MessageId, Output, Receipt, Report, SendOptions, TelemetryConfig, TelemetrySink,
    Tracker, Turn,
};

/// Everything a client is made from: where, who, and the tracker's configuration.
#[derive(Clone)]
pub struct ClientOptions {
    /// `ws://` or `wss://` URL of the chat endpoint. Must not contain the token. Unused with a
    /// `transport`.
    pub url: String,
    /// The bearer token, sent only as the subprotocol `jwt.<base64url(token)>` next to
    /// `jwt-auth`. Without one (or with `""`), no subprotocol is offered.
    pub token: Option<String>,
    /// Instead of a WebSocket to `url`: a [`Transport`] written in Rust (a [`ScriptedServer`]
    /// in tests). It authenticates itself: no `token` with it.
    ///
    /// [`ScriptedServer`]: super::ScriptedServer
    pub transport: Option<Rc<dyn Transport>>,
    /// Deadlines, caps, dialect and reconnect policy.
    pub config: Config,
    /// Where the OTLP exports of `config.telemetry` go; required with it.
    pub telemetry: Option<TelemetryEndpoint>,
}

/// An OTLP/HTTP receiver (an OpenTelemetry Collector) for a Rust client's exports.
#[derive(Clone)]
pub struct TelemetryEndpoint {
    /// The `http://` or `https://` base URL: `/v1/logs` and `/v1/metrics` are appended.
    pub url: String,
    /// Extra request headers (a Collector's API key); never the chat token (refused).
    pub headers: Vec<(String, String)>,
}

impl ClientOptions {
    /// Options without a token.
    pub fn new(url: impl Into<String>, config: Config) -> Self {
        ClientOptions { url: url.into(), token: None, transport: None, config, telemetry: None }
    }

    /// Options for a client that connects through `transport` instead of a WebSocket.
    pub fn with_transport(transport: impl Transport, config: Config) -> Self {
        ClientOptions { url: String::new(), token: None, transport: Some(Rc::new(transport)), config, telemetry: None }
    }

    /// The same options with a token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The same options exporting `telemetry` (the OTLP sink: the application sink takes
    /// JavaScript objects, for the JavaScript client) to `endpoint`.
    pub fn with_telemetry(mut self, telemetry: TelemetryConfig, endpoint: TelemetryEndpoint) -> Self {
        self.config.telemetry = Some(telemetry);
        self.telemetry = Some(endpoint);
        self
    }

    /// Checks the URL, the token and every configuration value, as `new ChatClient` does: a
    /// valid `ws://` or `wss://` URL without a fragment that contains the token neither as
    /// given nor as the subprotocol encodes it; an empty token is none.
    pub fn validate(&self) -> Result<(), OptionError> {
        let (_, credential) = self.endpoint()?;
        self.collector(credential.as_ref())?;
        self.config.validate().map_err(|e| OptionError::config(&e))
    }

    /// Where to connect, and the credential of the token.
    fn endpoint(&self) -> Result<(Endpoint, Option<Credential>), OptionError> {
        match &self.transport {
            Some(_) if self.token.as_deref().is_some_and(|t| !t.is_empty()) => Err(OptionError::type_error(
                TOKEN,
                "cannot be used with a transport (the transport authenticates itself)",
            )),
            Some(transport) => Ok((Endpoint::custom(scripted::to_js(transport.clone())), None)),
            None => {
                let credential = options::check_endpoint(&self.url, self.token.as_deref())?;
                Ok((Endpoint::websocket(&self.url, credential.as_ref()), credential))
            }
        }
    }

    /// Where `config.telemetry` goes: an endpoint is required with it, with neither the token;
    /// the application sink is refused (its logger and meter are JavaScript objects).
    fn collector(&self, credential: Option<&Credential>) -> Result<Option<CollectorTarget>, OptionError> {
        let Some(telemetry) = &self.config.telemetry else { return Ok(None) };
        if telemetry.sink != TelemetrySink::Otlp {
            let reason = "sends to the application's OpenTelemetry SDK only from the JavaScript client";
            return Err(OptionError::type_error(TELEMETRY, reason));
        }
        let endpoint =
            self.telemetry.as_ref().ok_or_else(|| OptionError::type_error(TELEMETRY_ENDPOINT, "is required"))?;
        let target = CollectorTarget::new(&endpoint.url, &endpoint.headers)?;
        if let Some(credential) = credential {
            target.check_secrets(credential)?;
        }
        Ok(Some(target))
    }
}

impl core::fmt::Debug for TelemetryEndpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, _)| (k.as_str(), "<redacted>")).collect();
        f.debug_struct("TelemetryEndpoint").field("url", &self.url).field("headers", &headers).finish()
    }
}

impl core::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("transport", &self.transport.as_ref().map(|_| "<transport>"))
            .field("config", &self.config)
            .field("telemetry", &self.telemetry)
            .finish()
    }
}

/// A chat connection driven in the browser, for Rust code.
///
/// Commands take effect when called (not when their future is first polled). Dropping the
/// client closes its socket; futures still pending then fail with `send_failed`.
pub struct Client {
    shared: Shared<RustSink>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Client { .. }")
    }
}

/// The Rust API's side of the driver: futures completed through oneshot channels, and a
/// bounded queue of outputs drained by the [`Outputs`] stream (bounded by the core's
/// `output_queue_cap`).
pub(crate) struct RustSink {
    items: VecDeque<Output>,
    cap: usize,
    /// Outputs dropped since the stream last reported it.
    dropped_unreported: u64,
    /// Outputs dropped in all.
    dropped: u64,
    waker: Option<Waker>,
}

impl RustSink {
    fn new(cap: usize) -> Self {
        RustSink { items: VecDeque::new(), cap, dropped_unreported: 0, dropped: 0, waker: None }
    }

    /// Queues `output` (or counts it dropped when full); the stream is to be woken.
    fn push(&mut self, output: Output) -> Option<Waker> {
        if self.items.len() >= self.cap {
            self.dropped += 1;
            self.dropped_unreported += 1;
        } else {
            self.items.push_back(output);
        }
        self.waker.take()
    }
}

impl Sink for RustSink {
    type ConnectWaiter = oneshot::Sender<Result<(), Report>>;
    type SendWaiter = oneshot::Sender<Result<Receipt, Report>>;
    type TurnWaiter = oneshot::Sender<Result<Turn, Report>>;
    /// The stream's waker, if it waits.
    type Job = Waker;

    const LOCATES_EVENTS: bool = false;

    fn connected(waiter: Self::ConnectWaiter, result: Result<(), Report>) {
        // The receiver is gone when the future was dropped: nobody is waiting any more.
        let _ = waiter.send(result);
    }

    fn sent(waiter: Self::SendWaiter, result: Result<Receipt, Report>) {
        let _ = waiter.send(result);
    }

    fn finished(waiter: Self::TurnWaiter, result: Result<Turn, Report>) {
        let _ = waiter.send(result);
    }

    fn event(&mut self, event: Event, _: Option<InFrame>) -> Option<Waker> {
        self.push(Output::Event(event))
    }

    fn output(&mut self, output: Output) -> Option<Waker> {
        self.push(output)
    }

    fn run(waker: Waker) {
        waker.wake();
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl Client {
    /// A closed client; call [`connect`](Self::connect).
    pub fn new(options: ClientOptions) -> Result<Client, OptionError> {
        let (endpoint, credential) = options.endpoint()?;
        let collector = options.collector(credential.as_ref())?.map(TelemetryTarget::Collector);
        let cap = options.config.output_queue_cap;
        let mut config = Config { credential, ..options.config };
        if let Some(telemetry) = &mut config.telemetry {
            telemetry.epoch_ms = options::epoch_ms();
        }
        let tracker = Tracker::new(config).map_err(|e| OptionError::config(&e))?;
        let shared = driver::new(tracker, endpoint, collector, RustSink::new(cap));
        Ok(Client { shared })
    }

    /// Connects (or waits for the connection in progress). Resolves once open and
    /// handshaken; fails with the first connection failure before that (the client keeps
    /// retrying per its reconnect policy), or if the client is closed first.
    pub fn connect(&self) -> impl Future<Output = Result<(), Report>> + 'static {
        let (tx, rx) = oneshot::channel();
        driver::input(&self.shared, Input::Connect(tx));
        async move { rx.await.unwrap_or_else(|_| Err(driver::connect_abandoned())) }
    }

    /// Sends a user message (buffered while reconnecting) and starts its turn. Awaiting the
    /// [`SentMessage`] waits for the acknowledgement: the receipt, or `ack_timeout`,
    /// `no_response`, `send_failed` or `unacknowledged` (also in `outputs()`); its
    /// [`completed`](SentMessage::completed) waits for the end of the turn.
    pub fn send_message(&self, text: &str, options: SendOptions) -> SentMessage {
        let (ack_tx, ack_rx) = oneshot::channel();
        let (turn_tx, turn_rx) = oneshot::channel();
        let id = driver::send(&self.shared, text.to_owned(), options, ack_tx, turn_tx);
        SentMessage {
            id,
            acknowledged: Outcome { receiver: ack_rx, dropped: driver::DROPPED_UNACKED },
            completed: Outcome { receiver: turn_rx, dropped: driver::DROPPED_UNFINISHED },
        }
    }

    /// Every output for the application, in order: events, failures, state changes, recovery
    /// verdicts and acknowledgements. Buffered up to `output_queue_cap`; beyond that outputs
    /// are dropped and reported as one `missing_event` failure. Meant to be called once; all
    /// streams share one queue.
    pub fn outputs(&self) -> Outputs {
        Outputs { shared: Rc::downgrade(&self.shared) }
    }

    /// A snapshot of state and counters.
    pub fn health(&self) -> Health {
        driver::health(&self.shared).map_or_else(blank_health, |(health, _)| health)
    }

    /// Closes the connection; unsettled messages fail with `send_failed`. `connect` may be
    /// called again later.
    pub fn close(&self) {
        driver::input(&self.shared, Input::Close);
    }
}

/// A message handed to [`Client::send_message`]: its id and the two outcomes of its turn.
/// `.await` on it waits for `acknowledged`.
#[derive(Debug)]
pub struct SentMessage {
    /// The message's id (the one its reports and turns carry); `None` only if the client could
    /// not take the message because its module had trapped (both outcomes then fail).
    pub id: Option<MessageId>,
    /// The acknowledgement: the receipt, or the report of the message's failure.
    pub acknowledged: Outcome<Receipt>,
    /// The end of the turn: the `Complete` turn, or the report that left it incomplete or
    /// failed.
    pub completed: Outcome<Turn>,
}

impl IntoFuture for SentMessage {
    type Output = Result<Receipt, Report>;
    type IntoFuture = Outcome<Receipt>;

    fn into_future(self) -> Outcome<Receipt> {
        self.acknowledged
    }
}

/// One outcome the driver owes: ready once settled, with `send_failed` if the client is
/// dropped first.
#[derive(Debug)]
pub struct Outcome<T> {
    receiver: oneshot::Receiver<Result<T, Report>>,
    /// The detail of the `send_failed` given if the client is dropped first.
    dropped: &'static str,
}

impl<T> Future for Outcome<T> {
    type Output = Result<T, Report>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Report>> {
        let dropped = self.dropped;
        Pin::new(&mut self.receiver).poll(cx).map(|settled| settled.unwrap_or_else(|_| Err(driver::abandoned(dropped))))
    }
}

/// Stands in if the state is borrowed, which no caller outside the driver can observe.
fn blank_health() -> Health {
    Health {
        state: crate::core::ConnectionState::Closed,
        dialect: None,
        received: 0,
        delivered: 0,
        duplicates: 0,
        gaps: 0,
        pending_acks: 0,
        open_runs: 0,
        held_events: 0,
        last_frame_at: None,
        reconnects: 0,
        failures: 0,
        wakes: 0,
        dropped_outputs: 0,
        dedup_evicted: 0,
        bytes_held: 0,
    }
}

/// The stream of a [`Client`]'s outputs; ends when the client is dropped.
pub struct Outputs {
    shared: Weak<RefCell<Inner<RustSink>>>,
}

impl Stream for Outputs {
    type Item = Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Output>> {
        let Some(shared) = self.shared.upgrade() else { return Poll::Ready(None) };
        let Ok(mut inner) = shared.try_borrow_mut() else {
            // Polled from inside the driver (cannot happen with a real executor): try later.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        let queue = &mut inner.sink;
        if let Some(output) = queue.items.pop_front() {
            return Poll::Ready(Some(output));
        }
        if queue.dropped_unreported > 0 {
            let report = Report::outputs_dropped(queue.dropped_unreported, queue.cap, timer::now());
            queue.dropped_unreported = 0;
            return Poll::Ready(Some(Output::Failure(report)));
        }
        queue.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
