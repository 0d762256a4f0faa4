//! A transport written in Rust, for the tests of Rust frontends: the [`Transport`] seam of
//! [`ClientOptions::with_transport`](super::ClientOptions::with_transport), and
//! [`ScriptedServer`], an in-memory Netra backend that plays a turn's golden path, or loses
//! an event of it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn core::error::Error>> {
//! use chat_sentinel::browser::{Client, ClientOptions, ScriptedServer};
//! use chat_sentinel::core::{Config, FailureKind, SendOptions};
//!
//! // The backend loses the run's tool_executing: the turn must end incomplete.
//! let server = ScriptedServer::netra().losing("tool_executing");
//! let client = Client::new(ClientOptions::with_transport(server.clone(), Config::default()))?;
//! client.connect().await.map_err(|r| r.detail)?;
//! let message = client.send_message("What did we spend on compute?", SendOptions::default());
//! let error = message.completed.await.expect_err("the turn is incomplete");
//! assert_eq!(error.kind, FailureKind::MissingEvent);
//! assert!(server.received()[0].contains("What did we spend")); // the user_message
//! # Ok(()) }
//! ```

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::bytes;
use super::transport::method;
use crate::core::json::{push_str, push_u64, Object};
use crate::core::NORMAL_CLOSURE;

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// A JavaScript transport, `{connect}`, whose `connect(callbacks)` is `connect`.
    fn rust_transport(connect: &JsValue) -> JsValue;

    /// A JavaScript connection, `{send, close}`, of the two functions.
    fn rust_connection(send: &JsValue, close: &JsValue) -> JsValue;
}

/// Where a client's frames go instead of a WebSocket: an in-memory server, a recorder, a
/// proxy. Called for the first connection and again for each reconnect.
pub trait Transport: 'static {
    /// Opens one connection. Report what happens on it through `callbacks` (also from inside
    /// this call, or from inside [`Connection::send`]); `None` refuses the connection.
    fn connect(&self, callbacks: Callbacks) -> Option<Box<dyn Connection>>;
}

/// One connection of a [`Transport`].
pub trait Connection {
    /// Sends one text frame; `false` means "not sent" (a user message then fails with
    /// `send_failed`). Called only between `open` and `closed`.
    fn send(&self, text: &str) -> bool;
    /// Closes the connection (`code` 1000 or 4000–4999); no callback is needed afterwards.
    fn close(&self, code: u16, reason: &str);
}

/// What a connection reports to its client, fresh for each connection. Once the client has
/// let the connection go, its callbacks do nothing.
#[derive(Clone)]
pub struct Callbacks {
    open: Function,
    message: Function,
    closed: Function,
}

impl Callbacks {
    /// The connection is open; the server accepted `protocol` as its subprotocol (`""`: none).
    pub fn open(&self, protocol: &str) {
        let _ = self.open.call1(&JsValue::NULL, &JsValue::from_str(protocol));
    }

    /// One inbound text frame.
    pub fn message(&self, text: &str) {
        let _ = self.message.call1(&JsValue::NULL, &JsValue::from_str(text));
    }

    /// The connection ended, whoever ended it.
    pub fn closed(&self, code: u16, reason: &str, clean: bool) {
        let args = [JsValue::from(code), JsValue::from_str(reason), JsValue::from_bool(clean)];
        let _ = self.closed.call3(&JsValue::NULL, &args[0], &args[1], &args[2]);
    }
}

/// `transport` as the JavaScript transport object the driver connects through.
pub(crate) fn to_js(transport: Rc<dyn Transport>) -> JsValue {
    let connect = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |callbacks: JsValue| {
        let functions = (method(&callbacks, "open"), method(&callbacks, "message"), method(&callbacks, "closed"));
        let (Some(open), Some(message), Some(closed)) = functions else { return JsValue::UNDEFINED };
        let Some(connection) = transport.connect(Callbacks { open, message, closed }) else {
            return JsValue::UNDEFINED;
        };
        let connection: Rc<dyn Connection> = Rc::from(connection);
        let sender = connection.clone();
        let send = Closure::<dyn Fn(JsValue) -> bool>::new(move |text: JsValue| {
            bytes::to_string(&text).is_some_and(|text| sender.send(&text))
        });
        let close = Closure::<dyn Fn(JsValue, JsValue)>::new(move |code: JsValue, reason: JsValue| {
            let code = bytes::number(&code).map_or(NORMAL_CLOSURE, |c| c as u16);
            connection.close(code, &bytes::to_string(&reason).unwrap_or_default());
        });
        // Owned by the JavaScript functions from here on (collected with them).
        rust_connection(&send.into_js_value(), &close.into_js_value())
    });
    rust_transport(&connect.into_js_value())
}

/// An in-memory Netra backend as deployed: it accepts every connection with
/// `connection_established`, answers `ping` with `pong`, and answers each `user_message` with
/// the five events of one run (`agent_started`, `agent_thinking`, `tool_executing`,
/// `tool_completed`, `agent_completed`, run ids `run_1`, `run_2`, …) and no acknowledgement, as
/// the real backend does. Clones share the server: keep one to look at what it received.
#[derive(Clone, Default)]
pub struct ScriptedServer {
    state: Rc<RefCell<ServerState>>,
}

#[derive(Default)]
struct ServerState {
    /// Event types never sent (the run goes on without them).
    lost: Vec<String>,
    /// Every frame the client sent, in order.
    received: Vec<String>,
    runs: u64,
}

impl ScriptedServer {
    /// The Netra backend as deployed.
    pub fn netra() -> Self {
        Self::default()
    }

    /// The same server, never sending events of type `kind` (`"tool_executing"`: the loss of
    /// the seed's staging report).
    pub fn losing(self, kind: &str) -> Self {
        self.state.borrow_mut().lost.push(kind.to_owned());
        self
    }

    /// Every frame the client sent so far, in order (pings included).
    pub fn received(&self) -> Vec<String> {
        self.state.borrow().received.clone()
    }

    /// What the server answers to `frame`.
    fn answer(&self, frame: &str) -> Vec<String> {
        let mut state = self.state.borrow_mut();
        state.received.push(frame.to_owned());
        let kind = Object::parse(frame, 32).ok().and_then(|o| o.get("type")).and_then(|t| t.as_str());
        match kind.as_deref() {
            Some("ping") => Vec::from([String::from(r#"{"type":"pong","data":{},"timestamp":1.5}"#)]),
            Some("user_message") => {
                state.runs += 1;
                let mut run = String::from("run_");
                push_u64(&mut run, state.runs);
                RUN.iter()
                    .filter(|(kind, _)| !state.lost.iter().any(|lost| lost == kind))
                    .map(|(kind, body)| event(kind, &run, body))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The events of one run, with their bodies.
const RUN: [(&str, &str); 5] = [
    ("agent_started", r#"{"status":"started"}"#),
    ("agent_thinking", r#"{"reasoning":"Looking at the costs"}"#),
    ("tool_executing", r#"{"tool_name":"cost_query"}"#),
    ("tool_completed", r#"{"tool_name":"cost_query","result":{}}"#),
    ("agent_completed", r#"{"result":{"summary":"done"}}"#),
];

/// A Netra event frame.
fn event(kind: &str, run: &str, body: &str) -> String {
    let mut frame = String::from(r#"{"type":"#);
    push_str(&mut frame, kind);
    frame.push_str(r#","run_id":"#);
    push_str(&mut frame, run);
    frame.push_str(r#","payload":"#);
    frame.push_str(body);
    frame.push('}');
    frame
}

impl Transport for ScriptedServer {
    fn connect(&self, callbacks: Callbacks) -> Option<Box<dyn Connection>> {
        callbacks.open("");
        callbacks.message(r#"{"type":"connection_established","data":{"mode":"main","connection_id":"scripted"}}"#);
        Some(Box::new(ScriptedConnection { server: self.clone(), callbacks }))
    }
}

/// One connection to a [`ScriptedServer`].
struct ScriptedConnection {
    server: ScriptedServer,
    callbacks: Callbacks,
}

impl Connection for ScriptedConnection {
    fn send(&self, text: &str) -> bool {
        for frame in self.server.answer(text) {
            self.callbacks.message(&frame);
        }
        true
    }

    fn close(&self, _code: u16, _reason: &str) {}
}
