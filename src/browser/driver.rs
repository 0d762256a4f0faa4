//! The drive loop: the only place that owns the tracker, the socket, the timer and the
//! listeners, and the only code that runs after an input.
//!
//! Every input (a socket event, the timer, a wake event, an API call) goes through [`input`]:
//! borrow the shared state, feed the tracker, [`Inner::step`] (send what it asks, act on
//! `Connect`/`Disconnect`, queue what the application must see, re-arm the timer), release the
//! borrow, and only then [`deliver`] the queued outputs to the application. User callbacks run
//! with no borrow held, so they may call back into the client; outputs produced meanwhile join
//! the same queue and are delivered in order by the outermost `deliver`.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::task::Waker;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::{self, Names};
use super::inbound::{InFrame, Inbound};
use super::listeners::{self, Topic};
use super::timer::{self, Timer, WakeListeners};
use super::transport::{Endpoint, Link};
use crate::core::{
    ConnectionState, Event, FailureKind, Health, Instant, MessageId, Output, Receipt, Report, SendOptions, Tracker,
};

/// The state shared by the client handle and the closures (which hold it weakly).
pub(crate) type Shared = Rc<RefCell<Inner>>;

/// Settles a `connect()`.
pub(crate) type ConnectWaiter = Waiter<()>;
/// Settles a `send_message()`.
pub(crate) type SendWaiter = Waiter<Receipt>;

/// Why a `connect()` failed when its client went away first.
pub(crate) const DROPPED: &str = "the client was dropped";
/// Why a `send_message()` failed when its client went away first.
pub(crate) const DROPPED_UNACKED: &str = "the client was dropped before an acknowledgement";

#[wasm_bindgen(module = "/src/browser/glue.js")]
extern "C" {
    /// A new promise and the functions that settle it: `[promise, resolve, reject]`.
    fn deferred() -> Array;
}

/// Whoever awaits the outcome of a `connect()` or `send_message()`. Settled exactly once:
/// by the driver with the outcome, or with a `send_failed` report when the client is dropped
/// first.
pub(crate) enum Waiter<T> {
    /// A JavaScript promise, settled through its own `resolve` and `reject`: no Rust executor
    /// is involved.
    Js { resolve: Function, reject: Function },
    /// A Rust future (the Rust API's oneshot channel behind the closure). Only the Rust API
    /// creates these, so the JavaScript bundle links none of that code.
    Rust(Box<dyn FnOnce(Result<T, Report>)>),
}

/// What a promise resolves with.
pub(crate) trait Resolution {
    /// The JavaScript value of a successful outcome.
    fn to_js(&self) -> JsValue;
}

impl Resolution for () {
    fn to_js(&self) -> JsValue {
        JsValue::UNDEFINED
    }
}

impl Resolution for Receipt {
    fn to_js(&self) -> JsValue {
        convert::receipt(self)
    }
}

impl<T: Resolution> Waiter<T> {
    /// A waiter for a new JavaScript promise, and the promise.
    pub(crate) fn promise() -> (Self, Promise) {
        let parts = deferred();
        let waiter = Waiter::Js { resolve: parts.get(1).unchecked_into(), reject: parts.get(2).unchecked_into() };
        (waiter, parts.get(0).unchecked_into())
    }

    /// Hands over the outcome: resolves or rejects (with a `ChatError`) the promise, or
    /// completes the Rust future. Must be called with no borrow of the client held.
    pub(crate) fn settle(self, result: Result<T, Report>) {
        match self {
            Waiter::Js { resolve, reject } => match &result {
                Ok(value) => settle_js(&resolve, &value.to_js()),
                Err(report) => settle_js(&reject, &convert::chat_error(report)),
            },
            Waiter::Rust(complete) => complete(result),
        }
    }

    /// Fails a waiter whose client is gone (`send_failed`, with `detail`).
    fn abandon(self, detail: &str) {
        self.settle(Err(Report::new(FailureKind::SendFailed, timer::now(), detail.to_owned())));
    }
}

/// What happened on a socket.
pub(crate) enum SocketEvent {
    Open,
    /// A text frame: the JavaScript string.
    Text(JsValue),
    Binary(usize),
    Closed {
        code: u16,
        reason: String,
        clean: bool,
    },
}

/// One input to the driver.
pub(crate) enum Input {
    /// An event of the socket with this generation.
    Socket(u64, SocketEvent),
    /// The timer fired.
    Timeout,
    /// The page may have slept (visibility, focus, online, pageshow).
    Wake,
    /// `connect()`.
    Connect(ConnectWaiter),
    /// `send_message()`.
    Send(String, SendOptions, SendWaiter),
    /// `close()`.
    Close,
}

impl Input {
    /// Drops an input that cannot be applied, failing its waiter (if any) as if the client
    /// were gone.
    fn abandon(self) {
        match self {
            Input::Connect(waiter) => waiter.abandon(DROPPED),
            Input::Send(_, _, waiter) => waiter.abandon(DROPPED_UNACKED),
            Input::Socket(..) | Input::Timeout | Input::Wake | Input::Close => {}
        }
    }
}

/// Calls a promise's `resolve` or `reject` with `value` (one body for every kind of waiter).
fn settle_js(function: &Function, value: &JsValue) {
    // `resolve` and `reject` of a promise never throw.
    let _ = function.call1(&JsValue::UNDEFINED, value);
}

/// The application's side of the outputs.
pub(crate) enum Sink {
    /// JavaScript callbacks, called synchronously (outside any borrow): the listeners by
    /// topic (see [`listeners`]).
    Js(Array),
    /// A bounded queue drained by a Rust `Stream`.
    Rust(Queue),
}

/// The Rust stream's queue, bounded by the core's `output_queue_cap`.
pub(crate) struct Queue {
    pub(crate) items: VecDeque<Output>,
    pub(crate) cap: usize,
    /// Outputs dropped since the stream last reported it.
    pub(crate) dropped_unreported: u64,
    /// Outputs dropped in all.
    pub(crate) dropped: u64,
    pub(crate) waker: Option<Waker>,
}

impl Queue {
    pub(crate) fn new(cap: usize) -> Self {
        Queue { items: VecDeque::new(), cap, dropped_unreported: 0, dropped: 0, waker: None }
    }

    /// Queues `output` (or counts it dropped when full); the stream is to be woken.
    fn push(&mut self, output: Output) -> Job {
        if self.items.len() >= self.cap {
            self.dropped += 1;
            self.dropped_unreported += 1;
        } else {
            self.items.push_back(output);
        }
        Job::Wake(self.waker.take())
    }
}

/// Work queued for the application, delivered outside the borrow.
enum Delivery {
    /// An event, and where its data stands in its frame's string when the frame is at hand.
    Event(Event, Option<InFrame>),
    Output(Output),
    Connected(ConnectWaiter, Result<(), Report>),
    Sent(SendWaiter, Result<Receipt, Report>),
}

/// What delivering one item means once the borrow is released.
enum Job {
    /// Calls the listeners of these entries with this value.
    Call(JsValue, JsValue),
    Wake(Option<Waker>),
    Connected(ConnectWaiter, Result<(), Report>),
    Sent(SendWaiter, Result<Receipt, Report>),
}

/// Everything behind one client.
pub(crate) struct Inner {
    this: Weak<RefCell<Inner>>,
    pub(crate) tracker: Tracker,
    endpoint: Endpoint,
    socket: Option<Link>,
    generation: u64,
    timer: Timer,
    wake: Option<WakeListeners>,
    state: ConnectionState,
    inbound: Inbound,
    /// Event types and run ids as JavaScript strings.
    kinds: Names,
    runs: Names,
    connect_waiters: Vec<ConnectWaiter>,
    send_waiters: Vec<(MessageId, SendWaiter)>,
    /// Deliveries in order; those before `ready_next` are taken (`None`). Emptied once all are
    /// taken, so that taking the next one is constant time.
    ready: Vec<Option<Delivery>>,
    ready_next: usize,
    delivering: bool,
    pub(crate) sink: Sink,
}

/// The WebSocket endpoint for `url`, offering the token as a subprotocol.
pub(crate) fn websocket(url: &str, token: Option<&str>) -> Endpoint {
    let protocols = match token {
        Some(token) => Array::of2(&JsValue::from_str("jwt-auth"), &JsValue::from_str(&auth_protocol(token))),
        None => Array::new(),
    };
    Endpoint::websocket(&JsValue::from_str(url), &protocols)
}

/// A new client's shared state, closed until `connect`.
pub(crate) fn new(tracker: Tracker, endpoint: Endpoint, sink: Sink) -> Shared {
    let inbound = Inbound::new(tracker.config().max_frame_bytes);
    Rc::new_cyclic(|this: &Weak<RefCell<Inner>>| {
        RefCell::new(Inner {
            this: this.clone(),
            tracker,
            endpoint,
            socket: None,
            generation: 0,
            timer: Timer::new(this.clone()),
            wake: None,
            state: ConnectionState::Closed,
            inbound,
            kinds: Names::new(16),
            runs: Names::new(4),
            connect_waiters: Vec::new(),
            send_waiters: Vec::new(),
            ready: Vec::new(),
            ready_next: 0,
            delivering: false,
            sink,
        })
    })
}

/// Feeds one input to the tracker, runs the drive loop, then delivers the outputs.
pub(crate) fn input(shared: &Shared, input: Input) {
    {
        // A borrow is never held while user code or a re-entrant input can run, so this
        // cannot fail; if it ever did, the input is dropped rather than panicking.
        let Ok(mut inner) = shared.try_borrow_mut() else {
            input.abandon();
            return;
        };
        let now = timer::now();
        inner.apply(now, input);
        inner.step(now);
    }
    deliver(shared);
}

/// A snapshot of the tracker's health, with the stream's own drops added.
pub(crate) fn health(shared: &Shared) -> Option<(Health, Instant)> {
    let inner = shared.try_borrow().ok()?;
    let mut health = inner.tracker.health();
    if let Sink::Rust(queue) = &inner.sink {
        health.dropped_outputs += queue.dropped;
    }
    Some((health, timer::now()))
}

impl Inner {
    fn apply(&mut self, now: Instant, input: Input) {
        match input {
            Input::Socket(generation, event) => {
                if self.socket.as_ref().map(Link::generation) != Some(generation) {
                    return;
                }
                match event {
                    SocketEvent::Open => self.tracker.handle_open(now),
                    SocketEvent::Text(text) => {
                        let frame = self.inbound.read(text);
                        self.tracker.handle_frame(now, &frame);
                        self.inbound.handled(self.tracker.frames_received());
                    }
                    SocketEvent::Binary(len) => self.tracker.handle_binary_frame(now, len),
                    SocketEvent::Closed { code, reason, clean } => {
                        self.socket = None;
                        self.tracker.handle_closed(now, code, &reason, clean);
                    }
                }
            }
            Input::Timeout => {
                self.timer.fired();
                self.tracker.handle_timeout(now);
            }
            Input::Wake => self.tracker.handle_timeout(now),
            Input::Connect(waiter) => {
                if self.state == ConnectionState::Open {
                    self.ready.push(Some(Delivery::Connected(waiter, Ok(()))));
                } else {
                    self.connect_waiters.push(waiter);
                    self.tracker.connect(now);
                }
            }
            Input::Send(text, options, waiter) => {
                let id = self.tracker.send_user_message(now, &text, options);
                self.send_waiters.push((id, waiter));
            }
            Input::Close => self.tracker.close(now),
        }
    }

    /// Drains the tracker until it has nothing more to say, then re-arms the timer.
    fn step(&mut self, now: Instant) {
        loop {
            let mut busy = false;
            while let Some(transmit) = self.tracker.poll_transmit() {
                busy = true;
                let sent = self.socket.as_ref().is_some_and(|s| s.send(&transmit.text));
                if !sent {
                    self.tracker.handle_transmit_failed(now, transmit);
                }
            }
            while let Some(output) = self.tracker.poll_output() {
                busy = true;
                self.route(now, output);
            }
            if !busy {
                break;
            }
        }
        let active = self.state != ConnectionState::Closed;
        if active && self.wake.is_none() {
            self.wake = Some(WakeListeners::attach(self.this.clone()));
        } else if !active {
            self.wake = None;
        }
        self.timer.arm(self.tracker.poll_timeout(), now);
    }

    fn route(&mut self, now: Instant, output: Output) {
        match output {
            Output::Connect => self.open_socket(now),
            Output::Disconnect { code, reason } => {
                if let Some(socket) = self.socket.take() {
                    socket.close(code, reason);
                }
            }
            Output::State(state) => {
                self.state = state;
                match state {
                    ConnectionState::Open => self.settle_connects(Ok(())),
                    ConnectionState::Closed => {
                        let detail = "the client closed before the connection opened".to_owned();
                        self.settle_connects(Err(Report::new(FailureKind::ConnectionLost, now, detail)));
                    }
                    ConnectionState::Connecting | ConnectionState::Reconnecting => {}
                }
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Failure(ref report) => {
                // A failed attempt before the connection is open fails `connect()`.
                let attempt_failed = matches!(report.kind, FailureKind::ConnectionLost | FailureKind::HeartbeatTimeout);
                if self.state != ConnectionState::Open && attempt_failed {
                    self.settle_connects(Err(report.clone()));
                }
                if matches!(report.kind, FailureKind::AckTimeout | FailureKind::SendFailed) {
                    if let Some(id) = report.message_id {
                        let result = Err(report.clone());
                        self.settle_send(id, result);
                    }
                }
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Acked(ref receipt) => {
                self.settle_send(receipt.message_id, Ok(receipt.clone()));
                if matches!(self.sink, Sink::Rust(_)) {
                    self.ready.push(Some(Delivery::Output(output)));
                }
            }
            Output::Event(event) => {
                let in_frame = match self.sink {
                    Sink::Js(_) => self.inbound.locate(&event.origin),
                    Sink::Rust(_) => None,
                };
                self.ready.push(Some(Delivery::Event(event, in_frame)));
            }
            Output::Recovery(_) => self.ready.push(Some(Delivery::Output(output))),
        }
    }

    fn open_socket(&mut self, now: Instant) {
        if let Some(old) = self.socket.take() {
            old.close(1000, "replaced");
        }
        self.generation = self.generation.wrapping_add(1);
        match Link::open(&self.endpoint, self.generation, &self.this) {
            Ok(link) => self.socket = Some(link),
            Err(()) => self.tracker.handle_closed(now, 1006, "the browser or the transport refused to connect", false),
        }
    }

    /// Takes the first delivery not yet taken, if any.
    fn next_ready(&mut self) -> Option<Delivery> {
        let next = self.ready.get_mut(self.ready_next).and_then(Option::take);
        if next.is_some() {
            self.ready_next += 1;
        } else {
            self.ready.clear();
            self.ready_next = 0;
        }
        next
    }

    fn settle_connects(&mut self, result: Result<(), Report>) {
        for waiter in core::mem::take(&mut self.connect_waiters) {
            self.ready.push(Some(Delivery::Connected(waiter, result.clone())));
        }
    }

    fn settle_send(&mut self, id: MessageId, result: Result<Receipt, Report>) {
        if let Some(index) = self.send_waiters.iter().position(|(i, _)| *i == id) {
            let (_, waiter) = self.send_waiters.swap_remove(index);
            self.ready.push(Some(Delivery::Sent(waiter, result)));
        }
    }

    /// Turns one queued delivery into work to do once the borrow is released.
    fn prepare(&mut self, delivery: Delivery) -> Option<Job> {
        match delivery {
            Delivery::Connected(waiter, result) => Some(Job::Connected(waiter, result)),
            Delivery::Sent(waiter, result) => Some(Job::Sent(waiter, result)),
            Delivery::Event(event, in_frame) => match &mut self.sink {
                Sink::Rust(queue) => Some(queue.push(Output::Event(event))),
                Sink::Js(all) => {
                    let entries = listeners::of(all, Topic::Event)?;
                    let value = convert::event(&event, in_frame.as_ref(), &mut self.kinds, &mut self.runs);
                    Some(Job::Call(entries, value))
                }
            },
            Delivery::Output(output) => match &mut self.sink {
                Sink::Rust(queue) => Some(queue.push(output)),
                Sink::Js(all) => {
                    let entries = listeners::of(all, Topic::of(&output)?)?;
                    Some(Job::Call(entries, convert::output(&output)))
                }
            },
        }
    }
}

/// A client dropped with outcomes still owed settles them: queued ones with their outcome,
/// pending ones with `send_failed` (a promise never stays pending forever).
impl Drop for Inner {
    fn drop(&mut self) {
        while let Some(delivery) = self.next_ready() {
            match delivery {
                Delivery::Connected(waiter, result) => waiter.settle(result),
                Delivery::Sent(waiter, result) => waiter.settle(result),
                Delivery::Event(..) | Delivery::Output(_) => {}
            }
        }
        for waiter in core::mem::take(&mut self.connect_waiters) {
            waiter.abandon(DROPPED);
        }
        for (_, waiter) in core::mem::take(&mut self.send_waiters) {
            waiter.abandon(DROPPED_UNACKED);
        }
    }
}

/// Delivers queued outputs, one at a time, each with no borrow held. A nested call (from a
/// callback) returns at once: the outermost call delivers what the nested input queued.
fn deliver(shared: &Shared) {
    {
        let Ok(mut inner) = shared.try_borrow_mut() else { return };
        if inner.delivering {
            return;
        }
        inner.delivering = true;
    }
    loop {
        let job = {
            let Ok(mut inner) = shared.try_borrow_mut() else { return };
            match inner.next_ready() {
                Some(delivery) => inner.prepare(delivery),
                None => {
                    inner.delivering = false;
                    return;
                }
            }
        };
        match job {
            None => {}
            Some(Job::Call(entries, value)) => listeners::emit(&entries, &value),
            Some(Job::Wake(Some(waker))) => waker.wake(),
            Some(Job::Wake(None)) => {}
            Some(Job::Connected(waiter, result)) => waiter.settle(result),
            Some(Job::Sent(waiter, result)) => waiter.settle(result),
        }
    }
}

/// `"jwt." + base64url(token)` without padding.
fn auth_protocol(token: &str) -> String {
    let mut out = String::with_capacity(4 + token.len().div_ceil(3) * 4);
    out.push_str("jwt.");
    push_base64url(&mut out, token);
    out
}

/// The token as the subprotocol carries it (for the check that a URL does not contain it).
pub(crate) fn encoded_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len().div_ceil(3) * 4);
    push_base64url(&mut out, token);
    out
}

/// Appends base64url(`token`) without padding.
fn push_base64url(out: &mut String, token: &str) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let symbol = |index: u32| char::from(ALPHABET.get((index & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in token.as_bytes().chunks(3) {
        let (b0, b1, b2) = match *chunk {
            [a] => (a, None, None),
            [a, b] => (a, Some(b), None),
            [a, b, c] => (a, Some(b), Some(c)),
            _ => continue,
        };
        let n = u32::from(b0) << 16 | u32::from(b1.unwrap_or(0)) << 8 | u32::from(b2.unwrap_or(0));
        out.push(symbol(n >> 18));
        out.push(symbol(n >> 12));
        if b1.is_some() {
            out.push(symbol(n >> 6));
        }
        if b2.is_some() {
            out.push(symbol(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encoded_token;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn base64url_without_padding() {
        assert_eq!(encoded_token(""), "");
        assert_eq!(encoded_token("f"), "Zg");
        assert_eq!(encoded_token("fo"), "Zm8");
        assert_eq!(encoded_token("foo"), "Zm9v");
        assert_eq!(encoded_token("foob"), "Zm9vYg");
        assert_eq!(encoded_token("\u{fb}\u{ff}"), "w7vDvw");
        assert_eq!(encoded_token("??>"), "Pz8-");
        assert_eq!(encoded_token("???"), "Pz8_");
    }
}
