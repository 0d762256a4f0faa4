//! The drive loop: the only place that owns the tracker, the socket, the timer and the
//! listeners, and the only code that runs after an input.
//!
//! Every input (a socket event, the timer, a wake event, an API call) goes through [`input`]:
//! borrow the shared state, feed the tracker, [`Inner::step`] (send what it asks, act on
//! `Connect`/`Disconnect`, queue what the application must see, re-arm the timer), release the
//! borrow, and only then [`deliver`] the queued outputs to the application. User callbacks run
//! with no borrow held, so they may call back into the client; outputs produced meanwhile join
//! the same queue and are delivered in order by the outermost `deliver`.
//!
//! The driver is generic over its [`Sink`]: the API side that awaits outcomes and receives
//! outputs (`client::JsSink` for JavaScript, `rust::RustSink` for Rust).

use alloc::borrow::ToOwned;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use wasm_bindgen::JsValue;

use super::inbound::{InFrame, Inbound};
use super::options::TelemetryTarget;
use super::otel::{self, Application};
use super::otlp::Collector;
use super::timer::{self, Timer, WakeListeners};
use super::transport::{Endpoint, Link};
use crate::core::{
    Command, ConnectionState, Event, FailureKind, Health, Instant, MessageId, Observation, Output, Receipt, Report,
    SendOptions, Tracker, Turn, ABNORMAL_CLOSURE, NORMAL_CLOSURE,
};

/// The state shared by the client handle and the closures (which hold it weakly).
pub(crate) type Shared<S> = Rc<RefCell<Inner<S>>>;

/// The application's side of a driver, one implementation per API (the JavaScript
/// `ChatClient`, the Rust `Client`): whoever awaits the outcome of a `connect()` or
/// `send_message()`, and where the outputs go. The driver is generic over it, so a build links
/// only the APIs it constructs: the npm bundle only the JavaScript one.
pub(crate) trait Sink: Sized + 'static {
    /// Whoever awaits a `connect()`.
    type ConnectWaiter;
    /// Whoever awaits a `send_message()`'s acknowledgement.
    type SendWaiter;
    /// Whoever awaits the end of a `send_message()`'s turn.
    type TurnWaiter;
    /// Work for the application, done once the borrow of the client is released.
    type Job;

    /// Whether the sink builds an event from its frame's string, where the driver locates its
    /// body (see [`Inbound::locate`]); otherwise the driver hands it the event with its body
    /// owned.
    const LOCATES_EVENTS: bool;

    /// Settles a `connect()` with its outcome. Called exactly once per waiter (with a
    /// `send_failed` report when the client is dropped first), with no borrow held.
    fn connected(waiter: Self::ConnectWaiter, result: Result<(), Report>);
    /// Settles a `send_message()` with its outcome; called like [`connected`](Self::connected).
    fn sent(waiter: Self::SendWaiter, result: Result<Receipt, Report>);
    /// Settles the end of a turn: its final state, `Err` with the report that ended it when it
    /// did not complete. Called like [`connected`](Self::connected).
    fn finished(waiter: Self::TurnWaiter, result: Result<Turn, Report>);
    /// The work of delivering an event (`None`: nothing to do), with where its body stands in
    /// its frame's string when the sink [locates events](Self::LOCATES_EVENTS) and the body
    /// stands in the frame.
    fn event(&mut self, event: Event, in_frame: Option<InFrame>) -> Option<Self::Job>;
    /// The work of delivering any other output (`None`: nothing to do).
    fn output(&mut self, output: Output) -> Option<Self::Job>;
    /// Does a job. Called with no borrow held: it may call back into the client.
    fn run(job: Self::Job);
    /// Outputs this sink dropped in all, added to `health().dropped_outputs`.
    fn dropped(&self) -> u64 {
        0
    }
    /// Whether the application logs the client's decisions (see [`log`](super::log)).
    fn logs(&self) -> bool {
        false
    }
    /// The work of logging one line (`None`: nothing to do).
    fn log(&mut self, _line: String) -> Option<Self::Job> {
        None
    }
}

/// Why a `connect()` failed when its client went away first.
pub(crate) const DROPPED: &str = "the client was dropped";
/// Why a `send_message()` failed when its client went away first.
pub(crate) const DROPPED_UNACKED: &str = "the client was dropped before an acknowledgement";
/// Why a turn did not complete when its client went away first.
pub(crate) const DROPPED_UNFINISHED: &str = "the client was dropped before the turn ended";

/// The failure of a message's waiter whose client is gone (`send_failed`, with `detail`).
pub(crate) fn abandoned(detail: &str) -> Report {
    Report::new(FailureKind::SendFailed, timer::now(), detail.to_owned())
}

/// The failure of a `connect()` whose client is gone (`connect_cancelled`).
pub(crate) fn connect_abandoned() -> Report {
    Report::new(FailureKind::ConnectCancelled, timer::now(), DROPPED.to_owned())
}

/// What happened on a socket.
pub(crate) enum SocketEvent {
    /// The connection opened; the server accepted `protocol` as its subprotocol (`""`: none).
    Open {
        protocol: String,
    },
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
pub(crate) enum Input<S: Sink> {
    /// An event of the socket with this generation.
    Socket(u64, SocketEvent),
    /// The timer fired.
    Timeout,
    /// The page may have slept (visibility, focus, online, pageshow).
    Wake,
    /// `connect()`.
    Connect(S::ConnectWaiter),
    /// `send_message()`.
    Send(String, SendOptions, S::SendWaiter, S::TurnWaiter),
    /// `close()`.
    Close,
    /// The signal of a `connect()` was aborted.
    CancelConnect,
    /// The page is being hidden or unloaded.
    Hidden,
    /// The answer to an OTLP export.
    Exported { id: u64, status: u16, retry_after_ms: Option<u64> },
}

impl<S: Sink> Input<S> {
    /// Drops an input that cannot be applied, failing its waiter (if any) as if the client
    /// were gone.
    fn abandon(self) {
        match self {
            Input::Connect(waiter) => S::connected(waiter, Err(connect_abandoned())),
            Input::Send(_, _, waiter, turn) => {
                S::sent(waiter, Err(abandoned(DROPPED_UNACKED)));
                S::finished(turn, Err(abandoned(DROPPED_UNFINISHED)));
            }
            Input::Socket(..)
            | Input::Timeout
            | Input::Wake
            | Input::Close
            | Input::CancelConnect
            | Input::Hidden
            | Input::Exported { .. } => {}
        }
    }
}

/// Work queued for the application, delivered outside the borrow.
enum Delivery<S: Sink> {
    /// An event, and where its data stands in its frame's string when located and the frame
    /// is at hand.
    Event(Event, Option<InFrame>),
    Output(Output),
    Connected(S::ConnectWaiter, Result<(), Report>),
    Sent(S::SendWaiter, Result<Receipt, Report>),
    Finished(S::TurnWaiter, Result<Turn, Report>),
    /// A line of the decisions' log.
    Log(String),
    /// For the application's OpenTelemetry SDK.
    Observation(Observation),
}

/// What delivering one item means once the borrow is released.
enum Job<S: Sink> {
    /// The sink's work for an event or output.
    Output(S::Job),
    Connected(S::ConnectWaiter, Result<(), Report>),
    Sent(S::SendWaiter, Result<Receipt, Report>),
    Finished(S::TurnWaiter, Result<Turn, Report>),
    /// A call into the application's OpenTelemetry SDK.
    Observe(otel::Work),
}

/// Where a client's telemetry goes, with the `telemetry` option.
enum Telemetry {
    Collector(Collector),
    Application(Application),
}

/// Everything behind one client.
pub(crate) struct Inner<S: Sink> {
    this: Weak<RefCell<Inner<S>>>,
    pub(crate) tracker: Tracker,
    endpoint: Endpoint,
    socket: Option<Link>,
    generation: u64,
    timer: Timer,
    wake: Option<WakeListeners>,
    telemetry: Option<Telemetry>,
    state: ConnectionState,
    inbound: Inbound,
    connect_waiters: Vec<S::ConnectWaiter>,
    send_waiters: Vec<(MessageId, S::SendWaiter)>,
    turn_waiters: Vec<(MessageId, S::TurnWaiter)>,
    /// Deliveries in order; those before `ready_next` are taken (`None`). Emptied once all are
    /// taken, so that taking the next one is constant time.
    ready: Vec<Option<Delivery<S>>>,
    ready_next: usize,
    delivering: bool,
    pub(crate) sink: S,
}

/// A new client's shared state, closed until `connect`.
pub(crate) fn new<S: Sink>(
    tracker: Tracker,
    endpoint: Endpoint,
    telemetry: Option<TelemetryTarget>,
    sink: S,
) -> Shared<S> {
    let inbound = Inbound::new(tracker.config().max_frame_bytes);
    Rc::new_cyclic(|this: &Weak<RefCell<Inner<S>>>| {
        RefCell::new(Inner {
            this: this.clone(),
            tracker,
            endpoint,
            socket: None,
            generation: 0,
            timer: Timer::new(this.clone()),
            wake: None,
            telemetry: telemetry.map(|target| match target {
                TelemetryTarget::Collector(target) => Telemetry::Collector(Collector::new(target, this.clone())),
                TelemetryTarget::Application { logger, instruments } => {
                    Telemetry::Application(Application { logger, instruments })
                }
            }),
            state: ConnectionState::Closed,
            inbound,
            connect_waiters: Vec::new(),
            send_waiters: Vec::new(),
            turn_waiters: Vec::new(),
            ready: Vec::new(),
            ready_next: 0,
            delivering: false,
            sink,
        })
    })
}

/// Feeds one input to the tracker, runs the drive loop, then delivers the outputs.
pub(crate) fn input<S: Sink>(shared: &Shared<S>, input: Input<S>) {
    feed(shared, input);
}

/// `send_message()`, as [`input`]: returns the message's id, `None` if the input was dropped
/// (a trap left the client locked; the waiters are then failed).
pub(crate) fn send<S: Sink>(
    shared: &Shared<S>,
    text: String,
    options: SendOptions,
    acknowledged: S::SendWaiter,
    completed: S::TurnWaiter,
) -> Option<MessageId> {
    feed(shared, Input::Send(text, options, acknowledged, completed))
}

/// [`input`], returning the id of the message a `Send` gave to the tracker.
fn feed<S: Sink>(shared: &Shared<S>, input: Input<S>) -> Option<MessageId> {
    let sent = {
        // A borrow is never held while user code or a re-entrant input can run, so this
        // fails only after a trap; the input is then dropped rather than panicking.
        let Ok(mut inner) = shared.try_borrow_mut() else {
            // Only a trap in the middle of an earlier input leaves the state borrowed: the
            // module is dead, and the page must hear it.
            let _ = super::crash::trapped();
            input.abandon();
            return None;
        };
        let now = timer::now();
        let sent = inner.apply(now, input);
        inner.step(now);
        sent
    };
    deliver(shared);
    sent
}

/// A snapshot of the tracker's health, with the sink's own drops added.
pub(crate) fn health<S: Sink>(shared: &Shared<S>) -> Option<(Health, Instant)> {
    let inner = shared.try_borrow().ok()?;
    let mut health = inner.tracker.health();
    health.dropped_outputs += inner.sink.dropped();
    Some((health, timer::now()))
}

impl<S: Sink> Inner<S> {
    /// Applies one input; for a `Send`, returns the message's id.
    fn apply(&mut self, now: Instant, input: Input<S>) -> Option<MessageId> {
        match input {
            Input::Socket(generation, event) => {
                if self.socket.as_ref().map(Link::generation) != Some(generation) {
                    return None;
                }
                match event {
                    SocketEvent::Open { protocol } => self.tracker.handle_open(now, &protocol),
                    SocketEvent::Text(text) => {
                        match self.inbound.read(text) {
                            Ok(frame) => self.tracker.handle_frame(now, frame),
                            Err(at_least) => self.tracker.handle_oversize_frame(now, at_least),
                        }
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
                // Settled by the tracker's `Connected`, in `step`.
                self.connect_waiters.push(waiter);
                self.tracker.connect(now);
            }
            Input::Send(text, options, waiter, turn) => {
                // Its outputs are routed in `step`, after the waiters are in place.
                let id = self.tracker.send_user_message(now, &text, options);
                self.send_waiters.push((id, waiter));
                self.turn_waiters.push((id, turn));
                return Some(id);
            }
            Input::Close => self.tracker.close(now),
            Input::Hidden => self.tracker.handle_page_hidden(now),
            Input::Exported { id, status, retry_after_ms } => {
                self.tracker.handle_export_result(now, id, status, retry_after_ms)
            }
            Input::CancelConnect => self.tracker.cancel_connect(now),
        }
        None
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
            while let Some(command) = self.tracker.poll_command() {
                busy = true;
                self.command(now, command);
            }
            while let Some(export) = self.tracker.poll_export() {
                busy = true;
                if let Some(Telemetry::Collector(collector)) = &self.telemetry {
                    collector.post(&export);
                }
            }
            while let Some(observation) = self.tracker.poll_observation() {
                busy = true;
                self.ready.push(Some(Delivery::Observation(observation)));
            }
            while let Some(output) = self.tracker.poll_output() {
                busy = true;
                self.route(output);
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

    /// Does what the tracker commands with the socket.
    fn command(&mut self, now: Instant, command: Command) {
        if self.sink.logs() {
            self.ready.push(Some(Delivery::Log(super::log::command_line(command))));
        }
        match command {
            Command::Connect => self.open_socket(now),
            Command::Disconnect { code, reason } => {
                if let Some(socket) = self.socket.take() {
                    socket.close(code, reason);
                }
            }
        }
    }

    /// Settles what an output settles, and queues it for the application.
    fn route(&mut self, output: Output) {
        if self.sink.logs() {
            let line = super::log::line(&output, self.tracker.config().credential.as_ref());
            self.ready.push(Some(Delivery::Log(line)));
        }
        match output {
            Output::Connected(result) => self.settle_connects(result),
            Output::State(state) => {
                self.state = state;
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Failure(ref report) => {
                if let (true, Some(id)) = (report.outcome, report.message_id) {
                    self.settle_send(id, Err(report.clone()));
                }
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Turn(ref turn) => {
                if let Some(end) = turn.end() {
                    self.settle_turn(turn.message_id, end.cloned().map_err(Report::clone));
                }
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Acked(ref receipt) => {
                // Also an output: the sink delivers it or not (the JavaScript one has no topic
                // for it).
                self.settle_send(receipt.message_id, Ok(receipt.clone()));
                self.ready.push(Some(Delivery::Output(output)));
            }
            Output::Event(event) => {
                // The frame is at hand now, not once the deliveries run.
                let delivery = if S::LOCATES_EVENTS {
                    let in_frame = self.inbound.locate(&event);
                    Delivery::Event(event, in_frame)
                } else {
                    Delivery::Event(event.into_owned(self.inbound.text()), None)
                };
                self.ready.push(Some(delivery));
            }
            Output::Recovery(_) => self.ready.push(Some(Delivery::Output(output))),
        }
    }

    fn open_socket(&mut self, now: Instant) {
        if let Some(old) = self.socket.take() {
            old.close(NORMAL_CLOSURE, "replaced");
        }
        self.generation = self.generation.wrapping_add(1);
        match Link::open(&self.endpoint, self.generation, &self.this) {
            Ok(link) => self.socket = Some(link),
            Err(refused) => self.tracker.handle_closed(now, ABNORMAL_CLOSURE, refused.reason(), false),
        }
    }

    /// Takes the first delivery not yet taken, if any.
    fn next_ready(&mut self) -> Option<Delivery<S>> {
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

    fn settle_turn(&mut self, id: MessageId, result: Result<Turn, Report>) {
        if let Some(index) = self.turn_waiters.iter().position(|(i, _)| *i == id) {
            let (_, waiter) = self.turn_waiters.swap_remove(index);
            self.ready.push(Some(Delivery::Finished(waiter, result)));
        }
    }

    /// Turns one queued delivery into work to do once the borrow is released.
    fn prepare(&mut self, delivery: Delivery<S>) -> Option<Job<S>> {
        match delivery {
            Delivery::Connected(waiter, result) => Some(Job::Connected(waiter, result)),
            Delivery::Sent(waiter, result) => Some(Job::Sent(waiter, result)),
            Delivery::Finished(waiter, result) => Some(Job::Finished(waiter, result)),
            Delivery::Event(event, in_frame) => self.sink.event(event, in_frame).map(Job::Output),
            Delivery::Output(output) => self.sink.output(output).map(Job::Output),
            Delivery::Log(line) => self.sink.log(line).map(Job::Output),
            Delivery::Observation(observation) => match &self.telemetry {
                Some(Telemetry::Application(application)) => application.work(observation).map(Job::Observe),
                _ => None,
            },
        }
    }
}

/// A client dropped with outcomes still owed settles them: queued ones with their outcome,
/// pending ones with `send_failed` (a promise never stays pending forever).
impl<S: Sink> Drop for Inner<S> {
    fn drop(&mut self) {
        while let Some(delivery) = self.next_ready() {
            match delivery {
                Delivery::Connected(waiter, result) => S::connected(waiter, result),
                Delivery::Sent(waiter, result) => S::sent(waiter, result),
                Delivery::Finished(waiter, result) => S::finished(waiter, result),
                Delivery::Event(..) | Delivery::Output(_) | Delivery::Log(_) | Delivery::Observation(_) => {}
            }
        }
        for waiter in core::mem::take(&mut self.connect_waiters) {
            S::connected(waiter, Err(connect_abandoned()));
        }
        for (_, waiter) in core::mem::take(&mut self.send_waiters) {
            S::sent(waiter, Err(abandoned(DROPPED_UNACKED)));
        }
        for (_, waiter) in core::mem::take(&mut self.turn_waiters) {
            S::finished(waiter, Err(abandoned(DROPPED_UNFINISHED)));
        }
    }
}

/// Delivers queued outputs, one at a time, each with no borrow held. A nested call (from a
/// callback) returns at once: the outermost call delivers what the nested input queued.
fn deliver<S: Sink>(shared: &Shared<S>) {
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
            Some(Job::Output(job)) => S::run(job),
            Some(Job::Connected(waiter, result)) => S::connected(waiter, result),
            Some(Job::Sent(waiter, result)) => S::sent(waiter, result),
            Some(Job::Finished(waiter, result)) => S::finished(waiter, result),
            Some(Job::Observe(work)) => work.run(),
        }
    }
}
