//! Where frames go: a transport written in JavaScript, the browser `WebSocket` included.
//!
//! A JavaScript transport is an object with `connect(callbacks)`. Every connection attempt
//! (the first and each reconnect) calls it once with fresh callbacks
//! `{open(protocol?), message(text), closed(code, reason, wasClean)}` and expects back a connection
//! `{send(text), close(code, reason)}`. The driver makes no protocol decision here, and each
//! connection carries a generation number so that callbacks of a connection the driver has let
//! go are ignored.
//!
//! The default endpoint, a `WebSocket(url, protocols)`, is such a transport too ([`websocket`]
//! in JavaScript): its handlers call the callbacks, and closing a connection removes them.
//!
//! Callbacks may be called at any time, also synchronously from inside `connect`, `send` or
//! `close` (a scripted in-page server answers at once): an input that arrives while the driver
//! is busy waits in a per-client mailbox, delivered in order on a microtask, and everything
//! after it queues behind it so that the order of frames is kept.

use alloc::rc::{Rc, Weak};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use js_sys::{Array, Function};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::bytes;
use super::driver::{self, Inner, Input, Sink, SocketEvent};
use crate::core::vecs::take_at;
use crate::core::{Credential, ABNORMAL_CLOSURE, AUTH_SUBPROTOCOL, NORMAL_CLOSURE};

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// The transport of `new WebSocket(url, protocols)` (binary frames as `ArrayBuffer`s). Its
    /// connection's `send` returns `false` unless the socket is `OPEN`; its `close` removes the
    /// socket's handlers, then closes it if it is still connecting or open. Browsers give no
    /// detail on `error`; the `close` that follows carries what there is.
    #[wasm_bindgen(js_name = websocket)]
    fn websocket_transport(url: &JsValue, protocols: &JsValue) -> JsValue;

    /// The callbacks object handed to a transport's `connect`: `{open, message, closed}`, where
    /// `closed(code, reason, wasClean)` calls the given `closed` with `[code, reason, wasClean]`
    /// (so every closure takes one argument: `open` the accepted subprotocol, if any).
    fn callbacks(open: &JsValue, message: &JsValue, closed: &JsValue) -> JsValue;

    /// `object[name]` if `object` is an object (not `null`) whose property `name` reads without
    /// throwing and is a function; else `undefined`.
    pub(crate) fn method(object: &JsValue, name: &str) -> Option<Function>;

    /// Whether the environment has a `WebSocket` constructor.
    fn has_websocket() -> bool;

    /// The length of `data` if it is an `ArrayBuffer`, else 0.
    fn byte_length(data: &JsValue) -> u32;
}

/// Where to connect, and how to authenticate: a JavaScript transport, and the mailbox of its
/// callbacks. No `Debug`: it may hold the token.
pub(crate) struct Endpoint {
    /// A JavaScript object with `connect(callbacks)`.
    transport: JsValue,
    /// The transport is the browser's `WebSocket`.
    websocket: bool,
    mailbox: Rc<Mailbox>,
}

/// Why a connection could not be opened.
pub(crate) enum Refused {
    /// The environment has no `WebSocket` (Node.js before 22, a worker without one).
    NoWebSocket,
    /// The browser or the transport refused (the exception is not read: it may quote the
    /// subprotocols).
    Refused,
}

impl Refused {
    /// The reason given to the tracker (as if the socket had closed with it).
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Refused::NoWebSocket => "this environment has no WebSocket: give a transport (Node.js before 22 has none)",
            Refused::Refused => "the browser or the transport refused to connect",
        }
    }
}

impl Endpoint {
    /// A JavaScript transport (already checked to have a `connect` function).
    pub(crate) fn custom(transport: JsValue) -> Endpoint {
        Endpoint { transport, websocket: false, mailbox: Rc::new(Mailbox::default()) }
    }

    /// `new WebSocket(url, protocols)`, offering the credential as the subprotocols
    /// `["jwt-auth", "jwt.<base64url(token)>"]` (none without one).
    pub(crate) fn websocket(url: &str, credential: Option<&Credential>) -> Endpoint {
        let protocols = match credential {
            Some(c) => Array::of2(&JsValue::from_str(AUTH_SUBPROTOCOL), &JsValue::from_str(&c.subprotocol())),
            None => Array::new(),
        };
        Endpoint { websocket: true, ..Endpoint::custom(websocket_transport(&JsValue::from_str(url), &protocols)) }
    }
}

/// Whether `value` is a transport: an object with a `connect` function.
pub(crate) fn has_connect(value: &JsValue) -> bool {
    method(value, "connect").is_some()
}

/// Inputs that arrived while the driver was busy, in arrival order. The queue is short and
/// only ever taken out of its `Cell`, changed and put back (no borrow that could panic).
#[derive(Default)]
pub(crate) struct Mailbox {
    queue: Cell<Vec<(u64, SocketEvent)>>,
    scheduled: Cell<bool>,
}

/// The connection the driver currently owns: one connection of a JavaScript transport.
pub(crate) struct Link {
    generation: u64,
    /// What `connect` returned: `send` and `close` are called on it.
    conn: JsValue,
    send_fn: Function,
    close_fn: Function,
    /// Set by `open()`; `send` is only called on an open connection.
    open: Rc<Cell<bool>>,
    /// Set by `closed()` or by our own `close`: no further `close` is sent.
    ended: Rc<Cell<bool>>,
}

/// Hands one event to the driver now, or through the mailbox when the driver is busy (or
/// earlier events still wait there).
fn post<S: Sink>(shared: &Weak<RefCell<Inner<S>>>, mailbox: &Rc<Mailbox>, generation: u64, event: SocketEvent) {
    let Some(strong) = shared.upgrade() else { return };
    let mut queue = mailbox.queue.take();
    let idle = queue.is_empty() && strong.try_borrow_mut().is_ok();
    if idle {
        driver::input(&strong, Input::Socket(generation, event));
        return;
    }
    queue.push((generation, event));
    mailbox.queue.set(queue);
    if !mailbox.scheduled.replace(true) {
        let shared = shared.clone();
        let mailbox = mailbox.clone();
        super::timer::queue_microtask(move || drain(&shared, &mailbox));
    }
}

fn drain<S: Sink>(shared: &Weak<RefCell<Inner<S>>>, mailbox: &Rc<Mailbox>) {
    loop {
        let mut queue = mailbox.queue.take();
        let next = take_at(&mut queue, 0);
        mailbox.queue.set(queue);
        let Some((generation, event)) = next else { break };
        match shared.upgrade() {
            Some(strong) => driver::input(&strong, Input::Socket(generation, event)),
            None => drop(mailbox.queue.take()),
        }
    }
    mailbox.scheduled.set(false);
}

impl Link {
    /// Opens a connection to `endpoint`. `Err` when the browser or the transport refuses
    /// (the exception is dropped unread: it may quote the subprotocols).
    pub(crate) fn open<S: Sink>(
        endpoint: &Endpoint,
        generation: u64,
        shared: &Weak<RefCell<Inner<S>>>,
    ) -> Result<Link, Refused> {
        let Endpoint { transport, websocket, mailbox } = endpoint;
        if *websocket && !has_websocket() {
            return Err(Refused::NoWebSocket);
        }
        let open = Rc::new(Cell::new(false));
        let ended = Rc::new(Cell::new(false));

        let (weak, mb, flag) = (shared.clone(), mailbox.clone(), open.clone());
        let on_open = Closure::<dyn Fn(JsValue)>::new(move |protocol: JsValue| {
            flag.set(true);
            let protocol = bytes::to_string(&protocol).unwrap_or_default();
            post(&weak, &mb, generation, SocketEvent::Open { protocol });
        });
        let (weak, mb) = (shared.clone(), mailbox.clone());
        let on_message = Closure::<dyn Fn(JsValue)>::new(move |data: JsValue| {
            let event = if data.is_string() {
                SocketEvent::Text(data)
            } else {
                SocketEvent::Binary(byte_length(&data) as usize)
            };
            post(&weak, &mb, generation, event);
        });
        let (weak, mb, flag) = (shared.clone(), mailbox.clone(), ended.clone());
        let on_closed = Closure::<dyn Fn(JsValue)>::new(move |arguments: JsValue| {
            // `[code, reason, wasClean]`, as the glue's `callbacks` passes them on.
            let arguments: &Array = arguments.unchecked_ref();
            let (code, reason, clean) = (arguments.get(0), arguments.get(1), arguments.get(2));
            flag.set(true);
            let code =
                bytes::number(&code).filter(|c| (0.0..=65535.0).contains(c)).map_or(ABNORMAL_CLOSURE, |c| c as u16);
            let reason = bytes::to_string(&reason).unwrap_or_default();
            let clean = clean == JsValue::TRUE;
            post(&weak, &mb, generation, SocketEvent::Closed { code, reason, clean });
        });
        // Owned by the JavaScript functions from here on (collected with them): a transport
        // may call them after the driver let the connection go, and they then do nothing.
        let callbacks = callbacks(&on_open.into_js_value(), &on_message.into_js_value(), &on_closed.into_js_value());

        let connect = method(transport, "connect").ok_or(Refused::Refused)?;
        let conn = connect.call1(transport, &callbacks).map_err(|_| Refused::Refused)?;
        let (Some(send_fn), Some(close_fn)) = (method(&conn, "send"), method(&conn, "close")) else {
            return Err(Refused::Refused);
        };
        Ok(Link { generation, conn, send_fn, close_fn, open, ended })
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Sends one text frame, `conn.send(text)`; `false` if the connection is not open, `send`
    /// threw or returned `false` (the caller hands the frame back).
    pub(crate) fn send(&self, text: &str) -> bool {
        if !self.open.get() || self.ended.get() {
            return false;
        }
        match self.send_fn.call1(&self.conn, &JsValue::from_str(text)) {
            Ok(result) => result != JsValue::FALSE,
            Err(_) => false,
        }
    }

    /// Closes the connection with `code` and `reason`.
    pub(crate) fn close(self, code: u16, reason: &str) {
        self.close_once(code, reason);
    }

    fn close_once(&self, code: u16, reason: &str) {
        if !self.ended.replace(true) {
            let _ = self.close_fn.call2(&self.conn, &JsValue::from(code), &JsValue::from_str(reason));
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close_once(NORMAL_CLOSURE, "client closed");
    }
}
