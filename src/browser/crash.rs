//! If the module dies: what the page hears when this WebAssembly module traps.
//!
//! A trap (an `unreachable`, a failed allocation) unwinds nothing: a client whose state was
//! borrowed stays borrowed, and no Rust code may be trusted to run again. So the JavaScript
//! glue keeps, outside wasm memory, what it needs to say so: each live client's listener table,
//! a `client_crashed` report prepared here while the module was healthy, the reject functions
//! of unsettled promises, and the open WebSockets. Every way into the module that the page
//! drives — the socket and transport callbacks, the timer, microtasks, the wake listeners —
//! runs through [`guard`].
//!
//! On the first trap: every client's `failure` listeners get the report (critical) and its
//! `state` listeners `"closed"`; every unsettled `connect()`/`sendMessage()` promise is
//! rejected with a `ChatError` of it; every WebSocket is closed; from then on every guarded
//! callback does nothing and every call throws that error.
//!
//! A trap inside an API call reaches its caller as the `WebAssembly.RuntimeError` itself; the
//! first call or callback after it finds the client locked and stops the module
//! ([`trapped`]).

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::convert;
use super::listeners::Topic;
use super::timer;
use crate::core::{ConnectionState, FailureKind, Output, Report};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// `f` wrapped: a `WebAssembly.RuntimeError` thrown inside it stops the module (see the
    /// module doc) instead of propagating; once stopped, the wrapper returns at once.
    pub(crate) fn guard(f: &JsValue) -> JsValue;

    /// Watches a client: its listener table, the report its listeners get if the module
    /// traps, the name of the closed state, and the indices of the topics they are emitted on.
    fn watch(listeners: &Array, report: &JsValue, closed: &JsValue, failure: u32, state: u32);

    /// Forgets a client that was freed.
    pub(crate) fn unwatch(listeners: &Array);

    /// A call found a client's state borrowed, which only a trap in the middle of a call leaves
    /// behind: stops the module (if not yet stopped) and returns the `ChatError` to throw.
    pub(crate) fn trapped() -> JsValue;

    /// Throws the `client_crashed` `ChatError` once the module has stopped.
    #[wasm_bindgen(catch)]
    pub(crate) fn check() -> Result<(), JsValue>;
}

/// The detail of the `client_crashed` report (the trap's message is appended).
const CRASHED: &str = "chat-sentinel stopped: its WebAssembly module trapped, so this client no longer \
                       sends, receives or reports; reload the page";

/// Watches a new JavaScript client (see [`watch`]).
pub(crate) fn watch_client(listeners: &Array) {
    let report = Report::new(FailureKind::ClientCrashed, timer::now(), CRASHED.into());
    let closed = JsValue::from_str(ConnectionState::Closed.as_str());
    let report = convert::output(&Output::Failure(report));
    watch(listeners, &report, &closed, Topic::Failure as u32, Topic::State as u32);
}
