//! The tracker: one chat connection's delivery state, driven by its caller.

use alloc::borrow::{Cow, ToOwned};
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::backoff::Jitter;
use super::budget::{MAX_ID_BYTES, OUTPUT_QUEUE_BYTES};
use super::config::{Config, ConfigError, Dialect, DialectChoice};
use super::credential::Credential;
use super::dedup::{content_key, DedupWindow};
use super::frame::{self, classify, Classified, EventFrame, Frame, Incoming, Num};
use super::json::{Object, Slots};
use super::message::{MessageId, Messages, SendOptions};
use super::output::{Command, ConnectionState, Output, Recovery, Transmit, Verdict, CLIENT_DROPPED, NORMAL_CLOSURE};
use super::report::{char_prefix, Detail, FailureKind, IncidentId, Report, SeqRange, Severity};
use super::runs::{RunEvent, Runs, AGENT_EVENTS};
use super::sequence::{Arrival, Sequence, ACK_DELAY_MS};
use super::telemetry::record::Observation;
use super::telemetry::{Export, Exporter};
use super::time::{earliest, Instant};

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Never connected.
    Idle,
    /// `Command::Connect` given; waiting for `handle_open`.
    Connecting,
    /// Socket open; waiting for the handshake.
    Handshaking,
    /// Resume sent (sequenced); waiting for `resumed` or `resume_failed`.
    Resuming,
    /// Live.
    Open,
    /// Lost; waiting out the reconnect delay.
    Waiting,
    /// Closed by the application, or given up.
    Closed,
}

impl Phase {
    /// A socket exists (or is being opened) that the tracker answers for.
    fn has_socket(self) -> bool {
        matches!(self, Phase::Connecting | Phase::Handshaking | Phase::Resuming | Phase::Open)
    }
}

/// The tracker's own deadlines, one slot each.
#[derive(Clone, Copy)]
enum Timer {
    /// The socket must open and the handshake (or the resume answer) arrive.
    Handshake,
    /// The next reconnect attempt.
    Reconnect,
    /// The connection has been idle for the heartbeat interval: ping.
    Ping,
    /// A ping went out: some frame must arrive.
    Liveness,
    /// Earliest message deadline (may be early: then the sweep finds nothing).
    Messages,
    /// Earliest run deadline (may be early likewise).
    Runs,
    /// The cumulative ack owed for events delivered since the last one (sequenced).
    Ack,
}

const TIMERS: usize = 7;

/// How many characters of a close reason a report quotes (a close reason has at most 123 bytes).
const CLOSE_REASON_CHARS: usize = 123;

/// How many characters of a `resume_failed` reason a report quotes.
const RESUME_REASON_CHARS: usize = 100;

/// How many characters of an event type a report quotes.
const KIND_CHARS: usize = 64;

#[derive(Default)]
struct Timers([Option<Instant>; TIMERS]);

impl Timers {
    fn get(&self, t: Timer) -> Option<Instant> {
        self.0.get(t as usize).copied().flatten()
    }
    fn set(&mut self, t: Timer, at: Option<Instant>) {
        if let Some(slot) = self.0.get_mut(t as usize) {
            *slot = at;
        }
    }
    /// Makes `t` fire no later than `at`.
    fn lower(&mut self, t: Timer, at: Instant) {
        let next = self.get(t).map_or(at, |cur| cur.min(at));
        self.set(t, Some(next));
    }
    fn expired(&self, t: Timer, now: Instant) -> bool {
        self.get(t).is_some_and(|at| at <= now)
    }
    fn earliest(&self) -> Option<Instant> {
        let mut next = None;
        for &at in self.0.iter().flatten() {
            next = earliest(next, at);
        }
        next
    }
}

/// Counters behind [`Health`].
#[derive(Default)]
struct Stats {
    received: u64,
    delivered: u64,
    duplicates: u64,
    gaps: u64,
    reconnects: u64,
    failures: u64,
    wakes: u64,
    dropped_outputs: u64,
}

/// A snapshot of the tracker's state and counters, cheap to take at any time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// The connection state.
    pub state: ConnectionState,
    /// The dialect in use, once known.
    pub dialect: Option<Dialect>,
    /// Frames received.
    pub received: u64,
    /// Events delivered to the application.
    pub delivered: u64,
    /// Duplicates reported (and not delivered again).
    pub duplicates: u64,
    /// Losses reported: `seq_gap`, `tail_gap` and `missing_event`.
    pub gaps: u64,
    /// User messages not yet acknowledged or failed.
    pub pending_acks: usize,
    /// Runs not yet closed.
    pub open_runs: usize,
    /// Events held waiting for a missing sequence number.
    pub held_events: usize,
    /// When the last frame arrived.
    pub last_frame_at: Option<Instant>,
    /// Successful reconnects.
    pub reconnects: u64,
    /// Failure reports of every kind.
    pub failures: u64,
    /// Times the tracker found its timers far overdue (page asleep or throttled).
    pub wakes: u64,
    /// Outputs dropped because the application did not drain them (reported as
    /// `missing_event`).
    pub dropped_outputs: u64,
    /// Content keys pushed out of the duplicate window by its cap.
    pub dedup_evicted: u64,
    /// Bytes held of what the server sent (runs, held events, queued outputs, the duplicate
    /// window); at most [`Config::memory_budget`].
    pub bytes_held: usize,
}

/// One chat connection's delivery tracker: a deterministic, sans-IO state machine.
///
/// It never reads a clock, opens a socket or sleeps. Its caller (the browser driver, or a test
/// on a virtual clock) feeds it what happened, each with the current time, and carries out
/// what it asks.
///
/// # Method families
/// - **Commands** from the application: [`connect`](Self::connect),
///   [`send_user_message`](Self::send_user_message), [`close`](Self::close).
/// - **Inputs** from the socket and the clock: [`handle_open`](Self::handle_open),
///   [`handle_frame`](Self::handle_frame), [`handle_binary_frame`](Self::handle_binary_frame),
///   [`handle_closed`](Self::handle_closed),
///   [`handle_transmit_failed`](Self::handle_transmit_failed),
///   [`handle_timeout`](Self::handle_timeout) (spurious calls are no-ops).
/// - **For the driver**, drained after every input: [`poll_transmit`](Self::poll_transmit)
///   (frames to send), [`poll_command`](Self::poll_command) (`Connect`/`Disconnect` the
///   socket), [`poll_timeout`](Self::poll_timeout) (when to call `handle_timeout` next).
/// - **For the application**: [`poll_output`](Self::poll_output) (events, failures, state
///   changes, recovery verdicts, acknowledgements, turns, the outcome of `connect`).
/// - **Getters**: [`health`](Self::health), [`config`](Self::config).
///
/// # The drive loop
/// ```
/// use chat_sentinel::core::{Command, Config, Instant, Output, Tracker};
/// let mut tracker = Tracker::new(Config::default()).unwrap();
/// tracker.connect(Instant::from_millis(0));
/// // After every input: send what it asks, do what it commands, tell the application, re-arm
/// // the one timer.
/// while let Some(transmit) = tracker.poll_transmit() { /* socket.send(transmit.text) */ }
/// while let Some(command) = tracker.poll_command() {
///     match command {
///         Command::Connect => { /* open a socket; later handle_open / handle_frame */ }
///         Command::Disconnect { code, reason } => { /* socket.close(code, reason) */ }
///     }
/// }
/// while let Some(output) = tracker.poll_output() {
///     match output {
///         Output::Event(event) => println!("{} {:?}", event.kind, event.run_id),
///         Output::Failure(report) => println!("{}: {}", report.kind.as_str(), report.detail),
///         _ => {}
///     }
/// }
/// let _next_wakeup = tracker.poll_timeout();
/// ```
pub struct Tracker {
    config: Config,
    dialect: Option<Dialect>,
    /// Netra: the connection's events are confirmed to the server (`event_confirmation`).
    confirms: bool,
    phase: Phase,
    state: ConnectionState,
    ever_opened: bool,
    /// A `connect()` waits for its [`Output::Connected`].
    connect_awaited: bool,
    /// Failed attempts since a connection last proved healthy.
    attempt: u32,
    /// When the current connection opened, if it is open.
    opened_at: Option<Instant>,
    timers: Timers,
    jitter: Jitter,
    sequence: Sequence,
    /// The session of the handshake that preceded a resume, used if the resume fails.
    fallback_session: Option<(Option<String>, u64)>,
    dedup: DedupWindow,
    runs: Runs,
    messages: Messages,
    transmits: VecDeque<Transmit>,
    outputs: VecDeque<Output>,
    commands: VecDeque<Command>,
    /// The bytes of the events and reports in `outputs` (see `budget`).
    output_bytes: usize,
    /// Reports produced by the detectors during one input, before they become outputs.
    findings: Vec<Report>,
    /// Outputs dropped since the last report of it.
    dropped_unreported: u64,
    /// Incidents opened so far: the last one's number.
    incidents: u64,

    last_frame_at: Option<Instant>,
    stats: Stats,
    /// Reused by every frame's parse, so that parsing allocates only while it grows.
    parse_buffer: Slots,
    /// The OTLP export, when configured.
    telemetry: Option<Exporter>,
}

impl Tracker {
    /// A tracker in the closed state. Call [`connect`](Self::connect) to start.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Tracker {
            dialect: match config.dialect {
                DialectChoice::Auto => None,
                DialectChoice::Netra => Some(Dialect::Netra),
                DialectChoice::Sequenced => Some(Dialect::Sequenced),
            },
            confirms: false,
            phase: Phase::Idle,
            state: ConnectionState::Closed,
            ever_opened: false,
            connect_awaited: false,
            attempt: 0,
            opened_at: None,
            timers: Timers::default(),
            jitter: Jitter::new(config.jitter_seed),
            sequence: Sequence::new(config.reorder_buffer_cap),
            fallback_session: None,
            dedup: DedupWindow::new(config.dedup_window, config.dedup_window_ms),
            runs: Runs::new(
                config.run_table_cap,
                config.reorder_window_ms,
                config.run_stall_timeout_ms,
                config.dedup_window_ms,
            ),
            messages: Messages::new(config.pending_cap, config.send_buffer_cap),
            transmits: VecDeque::new(),
            outputs: VecDeque::new(),
            commands: VecDeque::new(),
            output_bytes: 0,
            findings: Vec::new(),
            dropped_unreported: 0,
            incidents: 0,
            last_frame_at: None,
            stats: Stats::default(),
            parse_buffer: Slots::default(),
            telemetry: config.telemetry.clone().map(|t| Exporter::new(t, config.credential.clone())),
            config,
        })
    }

    // ---- getters -------------------------------------------------------------------------

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many frames (text or binary) have been handed to the tracker; an event's
    /// [`Origin::frame`](super::Origin::frame) is this count as it stood after its frame.
    pub fn frames_received(&self) -> u64 {
        self.stats.received
    }

    /// A snapshot of state and counters.
    pub fn health(&self) -> Health {
        Health {
            state: self.state,
            dialect: self.dialect,
            received: self.stats.received,
            delivered: self.stats.delivered,
            duplicates: self.stats.duplicates,
            gaps: self.stats.gaps,
            pending_acks: self.messages.awaiting_ack(),
            open_runs: self.runs.open_count(),
            held_events: self.sequence.held(),
            last_frame_at: self.last_frame_at,
            reconnects: self.stats.reconnects,
            failures: self.stats.failures,
            wakes: self.stats.wakes,
            dropped_outputs: self.stats.dropped_outputs,
            dedup_evicted: self.dedup.evicted,
            bytes_held: self.runs.bytes() + self.sequence.held_bytes() + self.output_bytes + self.dedup.bytes(),
        }
    }

    // ---- commands ------------------------------------------------------------------------

    /// Starts connecting (asks the driver for a socket with `Command::Connect`), unless already
    /// connecting or connected; its outcome comes as one [`Output::Connected`].
    pub fn connect(&mut self, now: Instant) {
        self.connect_awaited = true;
        if self.state == ConnectionState::Open {
            self.settle_connect(Ok(()));
            return;
        }
        if !matches!(self.phase, Phase::Idle | Phase::Closed) {
            return;
        }
        self.attempt = 0;
        self.begin_attempt(now);
        self.set_state(if self.ever_opened { ConnectionState::Reconnecting } else { ConnectionState::Connecting });
    }

    /// Sends a user message now, or buffers it until the connection is open. The message will
    /// end in exactly one of `Output::Acked`, an `ack_timeout` report or a `send_failed` report,
    /// each naming the returned id; and it is watched for the run it should start
    /// (`no_response`).
    pub fn send_user_message(&mut self, now: Instant, text: &str, options: SendOptions) -> MessageId {
        let id = self.messages.allocate();
        let (ack_ms, first_ms) = (self.config.ack_timeout_ms, self.config.first_event_timeout_ms);
        let result = match self.phase {
            Phase::Open => {
                let added = self.messages.add(now, id, None, ack_ms, first_ms);
                if added.is_ok() {
                    self.transmit(frame::user_message(id, text, &options), Some(id));
                }
                added.map_err(|r| r.detail())
            }
            Phase::Connecting | Phase::Handshaking | Phase::Resuming | Phase::Waiting => {
                self.messages.add(now, id, Some((text.to_owned(), options)), ack_ms, first_ms).map_err(|r| r.detail())
            }
            Phase::Idle | Phase::Closed => Err("the client is closed"),
        };
        match result {
            Ok(()) => self.timers.lower(Timer::Messages, now.plus(ack_ms.min(first_ms))),
            Err(detail) => {
                let detail = Detail::new("not sent: ").text(detail).done();
                let report = Report::new(FailureKind::SendFailed, now, detail).message(id).outcome();
                self.messages.refused(id, &report);
                self.findings.push(report);
            }
        }
        self.flush_findings(now);
        id
    }

    /// Closes the connection for good (until `connect` is called again). Messages without an
    /// outcome fail with `send_failed` or `unacknowledged`; a `connect()` still waiting is
    /// `connect_cancelled`.
    pub fn close(&mut self, now: Instant) {
        self.close_because(now, "the client was closed before the connection opened");
    }

    /// Cancels the `connect()` still waiting, if one is (the application aborted it): closes
    /// as [`close`](Self::close) does, and the connect's outcome is `connect_cancelled`. A
    /// no-op once the connect has its outcome.
    pub fn cancel_connect(&mut self, now: Instant) {
        if self.connect_awaited {
            self.close_because(now, "the connect was aborted before the connection opened");
        }
    }

    /// [`close`](Self::close); `cancelled` is the detail of a `connect()` still waiting.
    fn close_because(&mut self, now: Instant, cancelled: &str) {
        if matches!(self.phase, Phase::Idle | Phase::Closed) {
            return;
        }
        self.settle_connect(Err(Report::new(FailureKind::ConnectCancelled, now, String::from(cancelled))));
        if self.phase.has_socket() {
            // What arrived since the last ack goes before the close, so that the server does
            // not count it as never delivered.
            self.send_ack();
            self.push_command(Command::Disconnect { code: NORMAL_CLOSURE, reason: "client closed" });
        }
        self.phase = Phase::Closed;
        self.timers = Timers::default();
        self.sequence.suspend();
        // Runs already closed are judged now (no frame can still come), so that their turns
        // complete rather than end unfinished.
        self.runs.conclude_closed(now, &self.config.required_events, &mut self.findings);
        self.flush_findings(now);
        self.messages.fail_all(now, "the client was closed", Severity::Warning, &mut self.findings);
        self.flush_findings(now);
        self.set_state(ConnectionState::Closed);
        self.handle_page_hidden(now);
    }

    // ---- inputs --------------------------------------------------------------------------

    /// The socket asked for by `Command::Connect` is open, and the server accepted
    /// `protocol` as its subprotocol (`""` for none). A subprotocol that carries the credential
    /// is a critical `credential_echoed`: the server put the token in a response header.
    pub fn handle_open(&mut self, now: Instant, protocol: &str) {
        if self.phase != Phase::Connecting {
            return;
        }
        self.phase = Phase::Handshaking;
        self.last_frame_at = Some(now);
        if self.config.credential.as_ref().is_some_and(|c| c.appears_in(protocol)) {
            let detail = "the server accepted a subprotocol that contains the token: it echoed the credential in \
                          the Sec-WebSocket-Protocol response header, which proxies and logs keep";
            self.findings.push(Report::new(FailureKind::CredentialEchoed, now, detail.to_owned()));
            self.flush_findings(now);
        }
    }

    /// The current socket closed. Ignored if the tracker already let it go (after `close` or
    /// a `Disconnect` it asked for).
    pub fn handle_closed(&mut self, now: Instant, code: u16, reason: &str, was_clean: bool) {
        if !self.phase.has_socket() {
            return;
        }
        let (kind, lead) = if self.is_live() {
            (FailureKind::ConnectionLost, "socket closed with code ")
        } else {
            (FailureKind::ConnectFailed, "the connection never opened: socket closed with code ")
        };
        let detail = Detail::new(lead).num(u64::from(code)).text(if was_clean { " (clean)" } else { " (unclean)" });
        let reason = self.redact(reason);
        let detail =
            if reason.is_empty() { detail } else { detail.text(": ").text(char_prefix(&reason, CLOSE_REASON_CHARS)) };
        self.connection_down(now, Report::new(kind, now, detail.done()));
    }

    /// The driver could not send `transmit` (the socket was not open). A user message in it
    /// fails with `send_failed`; the socket's close is reported when it arrives.
    pub fn handle_transmit_failed(&mut self, now: Instant, transmit: Transmit) {
        if let Some(id) = transmit.message {
            self.messages.fail(now, id, "the socket was not open when the message was sent", &mut self.findings);
            self.flush_findings(now);
        }
    }

    /// The deadline from `poll_timeout` has come (or the page woke up). Calling it early or
    /// twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(earliest) = self.poll_timeout() else { return };
        if earliest > now {
            return;
        }
        if now.since(earliest) > self.config.late_wake_ms {
            self.wake(now);
        }
        if self.timers.expired(Timer::Handshake, now) {
            self.timers.set(Timer::Handshake, None);
            self.handshake_expired(now);
        }
        if self.timers.expired(Timer::Reconnect, now) {
            self.timers.set(Timer::Reconnect, None);
            if self.phase == Phase::Waiting {
                self.begin_attempt(now);
            }
        }
        if self.timers.expired(Timer::Ping, now) {
            self.timers.set(Timer::Ping, None);
            self.ping(now);
        }
        if self.timers.expired(Timer::Liveness, now) {
            self.timers.set(Timer::Liveness, None);
            let silent = self.last_frame_at.map_or(0, |t| now.since(t));
            let detail =
                Detail::new("nothing received for ").num(silent).text(" ms after a ping: the connection is dead");
            self.drop_socket(now, Report::new(FailureKind::HeartbeatTimeout, now, detail.done()), "heartbeat timeout");
        }
        if self.sequence.deadline().is_some_and(|d| d <= now) {
            for event in self.sequence.expire(now, &mut self.findings) {
                self.deliver(now, event);
            }
            // A hole given up on with nothing after it (a tail) is owed an ack too.
            self.schedule_ack(now);
        }
        if self.timers.expired(Timer::Ack, now) {
            self.send_ack();
        }
        if self.timers.expired(Timer::Messages, now) {
            let infers = self.infers_acks();
            self.messages.expire(now, infers, &mut self.findings);
            self.timers.set(Timer::Messages, self.messages.next_deadline(infers));
        }
        if self.timers.expired(Timer::Runs, now) {
            let next = self.runs.expire(now, &self.config.required_events, &mut self.findings);
            self.timers.set(Timer::Runs, next);
        }
        if let Some(telemetry) = &mut self.telemetry {
            telemetry.handle_timeout(now);
        }
        self.flush_findings(now);
    }

    /// One text frame from the server.
    pub fn handle_frame(&mut self, now: Instant, text: &str) {
        self.frame_arrived(now);
        if text.len() > self.config.max_frame_bytes {
            self.oversize(now, text.len());
        } else {
            let buffer = core::mem::take(&mut self.parse_buffer);
            match Object::parse_in(text, self.config.max_depth, buffer) {
                Err(e) => self.violation(now, e.as_str().to_owned()),
                Ok(object) => {
                    match classify(&object, self.config.credential.as_ref()) {
                        Err(detail) => self.violation(now, detail.to_owned()),
                        Ok(Classified { frame, conflict }) => {
                            if let Some(key) = conflict {
                                let detail = Detail::new("the frame repeats ")
                                    .text(key)
                                    .text(" with another value; the first one is used");
                                self.violation(now, detail.done());
                            }
                            self.on_frame(now, frame, &object)
                        }
                    }
                    self.parse_buffer = object.into_buffer();
                }
            }
        }
        self.flush_findings(now);
    }

    /// Whether a text frame of `utf16_len` UTF-16 code units (JavaScript's `length`) may be
    /// within `max_frame_bytes`: a driver asks before copying the frame out of JavaScript, and
    /// hands one that may not to [`handle_oversize_frame`](Self::handle_oversize_frame)
    /// instead. Its UTF-8 form has at least as many bytes as code units.
    pub fn frame_may_fit(&self, utf16_len: usize) -> bool {
        utf16_len <= self.config.max_frame_bytes
    }

    /// A text frame of at least `len` bytes arrived that the driver did not copy because it
    /// exceeds `max_frame_bytes`: a sign of life, and a `protocol_violation`.
    pub fn handle_oversize_frame(&mut self, now: Instant, len: usize) {
        self.frame_arrived(now);
        self.oversize(now, len);
        self.flush_findings(now);
    }

    /// One binary frame from the server, of `len` bytes: a sign of life, and a
    /// `protocol_violation` (every frame must be text).
    pub fn handle_binary_frame(&mut self, now: Instant, len: usize) {
        self.frame_arrived(now);
        let detail = Detail::new("binary frame of ").num(len as u64).text(" bytes; frames must be text");
        self.violation(now, detail.done());
        self.flush_findings(now);
    }

    /// What any frame means before it is read: the connection is alive.
    fn frame_arrived(&mut self, now: Instant) {
        self.stats.received += 1;
        self.last_frame_at = Some(now);
        self.timers.set(Timer::Liveness, None);
        if self.phase == Phase::Open {
            self.timers.set(Timer::Ping, Some(now.plus(self.config.heartbeat_interval_ms)));
        }
    }

    fn oversize(&mut self, now: Instant, len: usize) {
        let detail = Detail::new("frame of ")
            .num(len as u64)
            .text(" bytes exceeds maxFrameBytes ")
            .num(self.config.max_frame_bytes as u64);
        self.violation(now, detail.done());
    }

    // ---- outputs -------------------------------------------------------------------------

    /// The next frame to send on the socket.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next command for the driver: open or close the socket.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// The next output for the application.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(output) = self.outputs.pop_front() {
            self.output_bytes = self.output_bytes.saturating_sub(output_bytes(&output));
            return Some(output);
        }
        if self.dropped_unreported == 0 {
            return None;
        }
        let at = self.last_frame_at.unwrap_or_default();
        let mut report = Report::outputs_dropped(self.dropped_unreported, self.config.output_queue_cap, at);
        self.dropped_unreported = 0;
        self.stats.failures += 1;
        self.stats.gaps += 1;
        // A loss of the stream: its own incident, joined by every open run and turn.
        self.assign_incident(&mut report);
        let report = Output::Failure(report);
        self.export(&report);
        Some(report)
    }

    /// When `handle_timeout` must be called next, if anything is pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let telemetry = self.telemetry.as_ref().and_then(Exporter::poll_timeout);
        [self.timers.earliest(), self.sequence.deadline(), telemetry].into_iter().flatten().min()
    }

    /// The next OTLP export for the driver to POST (with `config.telemetry`), if any.
    pub fn poll_export(&mut self) -> Option<Export> {
        self.telemetry.as_mut().and_then(Exporter::poll_export)
    }

    /// The next record or measurement for the application's OpenTelemetry logger and meter
    /// (with `config.telemetry` and its sink [`TelemetrySink::Application`](super::TelemetrySink::Application)), if any.
    pub fn poll_observation(&mut self) -> Option<Observation> {
        self.telemetry.as_mut().and_then(Exporter::poll_observation)
    }

    /// The answer to an export: its HTTP `status` (0 when none came, a network error) and
    /// the receiver's `Retry-After` in ms, if it sent one.
    pub fn handle_export_result(&mut self, now: Instant, id: u64, status: u16, retry_after_ms: Option<u64>) {
        if let Some(telemetry) = &mut self.telemetry {
            telemetry.handle_result(now, id, status, retry_after_ms);
        }
    }

    /// The page was hidden or is being unloaded: what telemetry still waits goes now, as
    /// `keepalive` exports (the page may never run again).
    pub fn handle_page_hidden(&mut self, now: Instant) {
        if let Some(telemetry) = &mut self.telemetry {
            telemetry.flush_keepalive(now);
        }
    }

    // ---- connection life -----------------------------------------------------------------

    fn begin_attempt(&mut self, now: Instant) {
        self.phase = Phase::Connecting;
        self.push_command(Command::Connect);
        self.timers.set(Timer::Handshake, Some(now.plus(self.config.handshake_timeout_ms)));
    }

    fn handshake_expired(&mut self, now: Instant) {
        match self.phase {
            Phase::Connecting | Phase::Handshaking => {
                let detail = Detail::new("the connection never opened: ")
                    .text(if self.phase == Phase::Connecting {
                        "no socket"
                    } else {
                        "the socket opened but no handshake came"
                    })
                    .text(" within ")
                    .num(self.config.handshake_timeout_ms)
                    .text(" ms");
                let report = Report::new(FailureKind::ConnectFailed, now, detail.done());
                self.drop_socket(now, report, "no handshake");
            }
            Phase::Resuming => {
                let (session, head) = self.fallback_session.take().unwrap_or((None, 0));
                let missing = self.sequence.resume_failed(session, head);
                self.resume_lost(now, missing, "no answer to resume");
            }
            _ => {}
        }
    }

    /// The tracker gives up the current socket itself (and tells the driver to close it).
    fn drop_socket(&mut self, now: Instant, cause: Report, reason: &'static str) {
        if !self.phase.has_socket() {
            return;
        }
        self.push_command(Command::Disconnect { code: CLIENT_DROPPED, reason });
        self.connection_down(now, cause);
    }

    /// The socket is gone: report `cause`, then reconnect after a delay or give up.
    fn connection_down(&mut self, now: Instant, mut cause: Report) {
        for t in [Timer::Handshake, Timer::Ping, Timer::Liveness, Timer::Ack] {
            self.timers.set(t, None);
        }
        self.sequence.suspend();
        // Only a connection that proved healthy earns a fresh set of attempts: a server that
        // accepts and closes at once must not be retried at the shortest delay forever.
        if self.opened_at.take().is_some_and(|at| now.since(at) >= self.config.heartbeat_interval_ms) {
            self.attempt = 0;
        }
        self.attempt = self.attempt.saturating_add(1);
        let max = self.config.reconnect.max_attempts;
        if self.attempt > max {
            self.phase = Phase::Closed;
            cause.severity = Severity::Critical;
            cause.detail = Detail::new(&cause.detail)
                .text("; not reconnecting after ")
                .num(u64::from(max))
                .text(" attempts")
                .done();
            self.findings.push(cause);
            let why = "the connection was lost and will not be retried";
            self.messages.fail_all(now, why, Severity::Critical, &mut self.findings);
            self.flush_findings(now);
            self.set_state(ConnectionState::Closed);
        } else {
            let delay = self.jitter.delay_ms(&self.config.reconnect, self.attempt);
            if matches!(cause.kind, FailureKind::ConnectionLost | FailureKind::ConnectFailed) {
                cause.severity = Severity::Warning;
            }
            cause.detail = Detail::new(&cause.detail)
                .text("; reconnecting in ")
                .num(delay)
                .text(" ms (attempt ")
                .num(u64::from(self.attempt))
                .text(" of ")
                .num(u64::from(max))
                .text(")")
                .done();
            self.findings.push(cause);
            self.flush_findings(now);
            self.phase = Phase::Waiting;
            self.timers.set(Timer::Reconnect, Some(now.plus(delay)));
            self.set_state(ConnectionState::Reconnecting);
        }
    }

    /// The connection is live (handshaken, and resumed where that applies).
    fn opened(&mut self, now: Instant, recovery: Option<Recovery>) {
        self.phase = Phase::Open;
        self.timers.set(Timer::Handshake, None);
        self.timers.set(Timer::Liveness, None);
        self.timers.set(Timer::Ping, Some(now.plus(self.config.heartbeat_interval_ms)));
        if self.ever_opened {
            self.stats.reconnects += 1;
        }
        self.ever_opened = true;
        self.opened_at = Some(now);
        self.set_state(ConnectionState::Open);
        if let Some(recovery) = recovery {
            self.push_output(Output::Recovery(recovery));
        }
        for (id, text, options) in self.messages.take_unsent(now) {
            self.transmit(frame::user_message(id, &text, &options), Some(id));
        }
    }

    /// Whether the first event of a message's run stands for its acknowledgement (netra, unless
    /// `require_explicit_ack`): a sent message then has no ack deadline of its own, only the
    /// first-event one.
    fn infers_acks(&self) -> bool {
        self.dialect == Some(Dialect::Netra) && !self.config.require_explicit_ack
    }

    /// Whether the current socket got as far as a live connection (handshaken; perhaps
    /// resuming).
    fn is_live(&self) -> bool {
        matches!(self.phase, Phase::Open | Phase::Resuming)
    }

    fn ping(&mut self, now: Instant) {
        if self.phase != Phase::Open {
            return;
        }
        if self.dialect == Some(Dialect::Sequenced) {
            self.send_ack();
        }
        self.transmit(frame::ping(now.as_millis()), None);
        self.timers.set(Timer::Liveness, Some(now.plus(self.config.heartbeat_timeout_ms)));
    }

    /// Timers fired far later than asked: the page slept or was throttled. Nothing that
    /// expired meanwhile is judged on silence alone: every deadline gets a grace of one
    /// heartbeat timeout (frames queued while asleep arrive first), and a probe ping checks
    /// the socket now.
    fn wake(&mut self, now: Instant) {
        self.stats.wakes += 1;
        let grace = now.plus(self.config.heartbeat_timeout_ms);
        self.messages.defer(grace);
        self.timers.set(Timer::Messages, self.messages.next_deadline(self.infers_acks()));
        let next = self.runs.defer(grace);
        self.timers.set(Timer::Runs, next);
        self.sequence.defer(grace);
        if self.timers.expired(Timer::Handshake, now) {
            self.timers.set(Timer::Handshake, Some(grace));
        }
        if self.phase == Phase::Open
            && (self.timers.expired(Timer::Ping, now) || self.timers.expired(Timer::Liveness, now))
        {
            self.timers.set(Timer::Ping, None);
            self.ping(now);
        }
    }

    // ---- frames --------------------------------------------------------------------------

    fn on_frame(&mut self, now: Instant, frame: Frame<'_>, object: &Object<'_>) {
        match frame {
            Frame::Handshake { sequenced, session, head, confirms } => {
                self.confirms = confirms || self.config.confirm_events;
                self.on_handshake(now, sequenced, session.map(|s| s.into_owned()), head)
            }
            Frame::Liveness { heartbeat, head } => {
                if self.dialect == Some(Dialect::Sequenced) {
                    match head {
                        Num::Valid(h) if self.sequence.implausible(h) => {
                            self.violation(now, "head_seq jumps implausibly far ahead".to_owned())
                        }
                        Num::Valid(h) => self.sequence.head(now, h, self.config.reorder_window_ms),
                        Num::Invalid => self.violation(now, "head_seq is not a non-negative integer".to_owned()),
                        Num::Absent => {}
                    }
                } else if heartbeat {
                    self.transmit(frame::heartbeat_ack(), None);
                }
            }
            Frame::Ack { message_id, run_id } => {
                if let Some(id) = MessageId::from_wire(&message_id) {
                    if let Some(receipt) = self.messages.ack(now, id, run_id.as_deref()) {
                        self.push_output(Output::Acked(receipt));
                    }
                }
            }
            Frame::Resumed { session, from, head } => self.on_resumed(now, session.as_deref(), from, head),
            Frame::ResumeFailed { reason } => {
                if self.phase != Phase::Resuming {
                    return self.violation(now, "resume_failed without a resume".to_owned());
                }
                let (session, head) = self.fallback_session.take().unwrap_or((None, 0));
                let missing = self.sequence.resume_failed(session, head);
                let reason = reason.map_or_else(
                    || "resume failed".to_owned(),
                    |r| char_prefix(&self.redact(&r), RESUME_REASON_CHARS).to_owned(),
                );
                self.resume_lost(now, missing, &reason);
            }
            Frame::Error { detail } => {
                self.findings.push(Report::new(FailureKind::ServerError, now, detail));
            }
            Frame::Ignored => {}
            Frame::Event(event) => self.on_event(now, event, object),
        }
    }

    fn on_handshake(&mut self, now: Instant, sequenced: bool, session: Option<String>, head: Num) {
        if !matches!(self.phase, Phase::Connecting | Phase::Handshaking) {
            return self.violation(now, "handshake on a connection that is already open".to_owned());
        }
        let dialect = match self.config.dialect {
            DialectChoice::Auto if sequenced => Dialect::Sequenced,
            DialectChoice::Auto | DialectChoice::Netra => Dialect::Netra,
            DialectChoice::Sequenced => {
                if !sequenced || session.is_none() {
                    self.violation(now, "the handshake does not announce a sequenced session".to_owned());
                }
                Dialect::Sequenced
            }
        };
        self.dialect = Some(dialect);
        if dialect == Dialect::Netra {
            let recovery = self.ever_opened.then_some(Recovery {
                verdict: Verdict::None,
                missing: Vec::new(),
                reason: "the netra dialect cannot resume; open runs are left to their deadlines",
                at: now,
            });
            return self.opened(now, recovery);
        }
        let head = match head {
            Num::Valid(h) => h,
            Num::Absent => 0,
            Num::Invalid => {
                self.violation(now, "head_seq is not a non-negative integer".to_owned());
                0
            }
        };
        let previous = self.sequence.session().map(str::to_owned);
        match previous {
            Some(old) if self.ever_opened && session.as_deref() != Some(&old) => {
                let last = self.sequence.last_delivered();
                self.transmit(frame::resume(&old, last), None);
                self.fallback_session = Some((session, head));
                self.phase = Phase::Resuming;
                self.timers.set(Timer::Handshake, Some(now.plus(self.config.handshake_timeout_ms)));
            }
            Some(_) if self.ever_opened => {
                let recovery = Recovery {
                    verdict: Verdict::Full,
                    missing: Vec::new(),
                    reason: "the server kept the session",
                    at: now,
                };
                self.opened(now, Some(recovery));
            }
            _ => {
                self.sequence.start(session, head);
                self.opened(now, None);
            }
        }
    }

    fn on_resumed(&mut self, now: Instant, session: Option<&str>, from: Num, head: Num) {
        if self.phase != Phase::Resuming {
            return self.violation(now, "resumed without a resume".to_owned());
        }
        let (Num::Valid(from), Num::Valid(head)) = (from, head) else {
            return self.violation(now, "resumed without integer from_seq and head_seq".to_owned());
        };
        if session.is_some_and(|s| Some(s) != self.sequence.session()) {
            return self.violation(now, "resumed names another session".to_owned());
        }
        self.fallback_session = None;
        // The replay follows the `resumed` frame; give it a heartbeat timeout to arrive.
        let (verdict, missing, ready) = self.sequence.resumed(now, from, head, self.config.heartbeat_timeout_ms);
        for &range in &missing {
            let detail = Detail::new("partial resume: the server no longer holds events ").range(range);
            self.findings.push(Report::new(FailureKind::RecoveryFailed, now, detail.done()).seq(range));
        }
        for event in ready {
            self.deliver(now, event);
        }
        // The failure precedes the verdict, so it is read against the session it concerns.
        self.flush_findings(now);
        self.opened(now, Some(Recovery { verdict, missing, reason: "resumed", at: now }));
    }

    /// A resume that recovered nothing: report it and carry on in the new session.
    fn resume_lost(&mut self, now: Instant, missing: SeqRange, reason: &str) {
        let detail = Detail::new("resume failed (").text(reason).text("): events ").range(missing).text(" are lost");
        self.findings.push(Report::new(FailureKind::RecoveryFailed, now, detail.done()).seq(missing));
        self.flush_findings(now);
        self.opened(
            now,
            Some(Recovery { verdict: Verdict::None, missing: vec![missing], reason: "resume_failed", at: now }),
        );
    }

    fn on_event(&mut self, now: Instant, event: EventFrame<'_>, object: &Object<'_>) {
        if event.run_id_invalid {
            self.violation(now, "run_id is neither a string nor a number; the event is delivered untracked".to_owned());
        }
        if event.shortened {
            let detail = Detail::new("a run_id or tool name longer than ")
                .num(MAX_ID_BYTES as u64)
                .text(" bytes; it is tracked shortened");
            self.violation(now, detail.done());
        }
        if self.dialect != Some(Dialect::Sequenced) {
            if self.dedup.seen(now, content_key(object)) {
                let detail = Detail::new(char_prefix(&event.kind, KIND_CHARS))
                    .text(" arrived again (same content); delivered once");
                let run_id = event.run_id.as_deref();
                self.findings.push(Report::new(FailureKind::Duplicate, now, detail.done()).run(run_id));
                return;
            }
            return self.deliver_frame(now, event);
        }
        let seq = match event.seq {
            Num::Valid(0) | Num::Invalid => {
                return self.violation(now, "seq is not a positive integer".to_owned());
            }
            Num::Valid(seq) => seq,
            Num::Absent => {
                self.violation(now, "sequenced event without seq; delivered untracked".to_owned());
                return self.deliver_frame(now, event);
            }
        };
        if let (Some(theirs), Some(ours)) = (event.session.as_deref(), self.sequence.session()) {
            if theirs != ours {
                return self.violation(now, "event from another session".to_owned());
            }
        }
        if self.sequence.implausible(seq) {
            return self.violation(now, "seq jumps implausibly far ahead".to_owned());
        }
        let window = self.config.reorder_window_ms;
        let run_id = event.run_id.as_deref();
        let frame = self.stats.received;
        match self.sequence.arrive(now, seq, run_id, || event.to_incoming(frame), window, &mut self.findings) {
            Arrival::Deliver => {
                self.deliver_frame(now, event);
                while let Some(next) = self.sequence.pop_ready() {
                    self.deliver(now, next);
                }
            }
            // Over the reorder buffer's cap the hole is declared at once, not at the next timer.
            Arrival::Held if self.sequence.deadline().is_some_and(|d| d <= now) => {
                for event in self.sequence.expire(now, &mut self.findings) {
                    self.deliver(now, event);
                }
            }
            Arrival::Held | Arrival::Duplicate => {}
        }
    }

    /// Delivers an event that was held.
    fn deliver(&mut self, now: Instant, event: Incoming) {
        let seq = event.seq;
        let mut received = true;
        if self.watch(now, &event.kind, event.run_id.as_deref(), event.tool.as_deref()) {
            let confirmation = self.confirmation(&event.kind, event.event_id.as_deref());
            received = self.push_output(Output::Event(event.into_event(now)));
            if received {
                self.confirm(confirmation);
            }
        }
        self.acknowledge(now, seq, received);
    }

    /// Delivers an event straight from its frame.
    fn deliver_frame(&mut self, now: Instant, event: EventFrame<'_>) {
        let seq = event.seq();
        let mut received = true;
        if self.watch(now, &event.kind, event.run_id.as_deref(), event.tool.as_deref()) {
            let confirmation = self.confirmation(&event.kind, event.event_id.as_deref());
            received = self.push_output(Output::Event(event.into_event(now, self.stats.received)));
            if received {
                self.confirm(confirmation);
            }
        }
        self.acknowledge(now, seq, received);
    }

    /// What delivering an event entails besides the output: the run watchdog. Returns
    /// whether the event is delivered: not when it came after its run had closed (reported
    /// `out_of_order`; a sequenced one still counts as received for the ack).
    fn watch(&mut self, now: Instant, kind: &str, run_id: Option<&str>, tool: Option<&str>) -> bool {
        let mut deliver = true;
        if let Some(run_id) = run_id {
            let run_event = RunEvent { kind, run_id, tool };
            let observed = self.runs.observe(now, &run_event, &self.config.required_events, &mut self.findings);
            if observed.new_run {
                if let Some(receipt) = self.messages.run_started(now, run_id, self.infers_acks()) {
                    self.push_output(Output::Acked(receipt));
                }
                if let Some(message) = self.messages.of_run(run_id) {
                    self.runs.answers(run_id, message);
                }
            }
            if let Some(deadline) = observed.deadline {
                self.timers.lower(Timer::Runs, deadline);
            }
            deliver = !observed.withheld;
        }
        if deliver {
            self.stats.delivered += 1;
        }
        deliver
    }

    /// Counts a sequenced event (`seq`) for the cumulative ack: as lost unless `received`
    /// (the output queue dropped it, so the application never had it).
    fn acknowledge(&mut self, now: Instant, seq: Option<u64>, received: bool) {
        let Some(seq) = seq else { return };
        if !received {
            self.sequence.undelivered(seq);
        }
        if self.sequence.delivered() {
            self.send_ack();
        } else {
            self.schedule_ack(now);
        }
    }

    /// Sends the cumulative ack if one is owed (sequenced), and forgets its deadline.
    fn send_ack(&mut self) {
        self.timers.set(Timer::Ack, None);
        if let Some(ack) = self.sequence.take_ack() {
            self.transmit(ack, None);
        }
    }

    /// Owing an ack, makes sure it goes out within [`ACK_DELAY_MS`].
    fn schedule_ack(&mut self, now: Instant) {
        if self.sequence.owes_ack() && self.timers.get(Timer::Ack).is_none() {
            self.timers.set(Timer::Ack, Some(now.plus(ACK_DELAY_MS)));
        }
    }

    /// The confirmation of a delivered netra event, when the connection confirms events: each
    /// of the [`AGENT_EVENTS`] that carries an `event_id`, once (a duplicate is never
    /// delivered).
    fn confirmation(&self, kind: &str, event_id: Option<&str>) -> Option<String> {
        if !self.confirms || self.dialect != Some(Dialect::Netra) || !AGENT_EVENTS.contains(&kind) {
            return None;
        }
        event_id.map(frame::event_confirmation)
    }

    /// Sends the `confirmation` of an event the output queue took (an event it dropped never
    /// reached the application, so it is never confirmed).
    fn confirm(&mut self, confirmation: Option<String>) {
        if let Some(confirmation) = confirmation {
            self.transmit(confirmation, None);
        }
    }

    // ---- plumbing ------------------------------------------------------------------------

    fn violation(&mut self, now: Instant, detail: String) {
        self.findings.push(Report::new(FailureKind::ProtocolViolation, now, detail));
    }

    fn transmit(&mut self, text: String, message: Option<MessageId>) {
        self.transmits.push_back(Transmit { text, message });
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.push_kept(Output::State(state));
            if state == ConnectionState::Open {
                self.settle_connect(Ok(()));
            }
        }
    }

    /// The outcome of the `connect()` waiting, if one is.
    fn settle_connect(&mut self, result: Result<(), Report>) {
        if core::mem::take(&mut self.connect_awaited) {
            self.push_kept(Output::Connected(result));
        }
    }

    /// Queues an output that is never dropped (it settles a promise, or the application must
    /// know the state).
    fn push_kept(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    /// Queues a command for the driver.
    fn push_command(&mut self, command: Command) {
        self.commands.push_back(command);
    }

    /// Queues an event or a report for the application, unless the queue is over its cap or
    /// its byte budget: then it is dropped and counted (reported by `poll_output`). A message's
    /// outcome (its acknowledgement, or a report naming it) is never dropped: it settles a
    /// promise, and there are at most `pending_cap` of them. Returns whether it was queued.
    fn push_output(&mut self, output: Output) -> bool {
        self.export(&output);
        let outcome = match &output {
            Output::Acked(_) => true,
            Output::Failure(report) => report.message_id.is_some(),
            _ => false,
        };
        let bytes = output_bytes(&output);
        let full = self.outputs.len() >= self.config.output_queue_cap
            || self.output_bytes.saturating_add(bytes) > OUTPUT_QUEUE_BYTES;
        if full && !outcome {
            self.stats.dropped_outputs += 1;
            self.dropped_unreported += 1;
            false
        } else {
            self.output_bytes += bytes;
            self.outputs.push_back(output);
            true
        }
    }

    /// `text` with the credential redacted, if there is one.
    fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.config.credential {
            Some(credential) => credential.redact(text),
            None => Cow::Borrowed(text),
        }
    }

    /// Turns the detectors' findings into outputs — each redacted, tied to its turn and given
    /// its incident — then the turns they and the run watchdog moved.
    fn flush_findings(&mut self, now: Instant) {
        // Most inputs find nothing and move no turn: keep the empty buffers.
        if self.findings.is_empty() && !self.runs.has_ended() && !self.messages.has_turns() {
            self.runs.forget_departed();
            return;
        }
        for mut report in core::mem::take(&mut self.findings) {
            if let Some(credential) = &self.config.credential {
                redact_report(credential, &mut report);
            }
            if report.message_id.is_none() {
                report.message_id = report
                    .run_id
                    .as_deref()
                    .and_then(|run| self.messages.of_run(run).or_else(|| self.runs.message(run)));
            }
            // A loss, whether it opens an incident or joins one (and is then a warning).
            let loss = report.severity == Severity::Critical;
            self.assign_incident(&mut report);
            // An attempt that failed before the connection opened fails the `connect()`.
            let attempt_failed = matches!(
                report.kind,
                FailureKind::ConnectionLost | FailureKind::ConnectFailed | FailureKind::HeartbeatTimeout
            );
            if attempt_failed && self.state != ConnectionState::Open && report.message_id.is_none() {
                self.settle_connect(Err(report.clone()));
            }
            if let Some(id) = report.message_id {
                self.messages.reported(id, &report, loss);
            }
            self.stats.failures += 1;
            match report.kind {
                FailureKind::Duplicate => self.stats.duplicates += 1,
                FailureKind::SeqGap | FailureKind::TailGap | FailureKind::MissingEvent => self.stats.gaps += 1,
                _ => {}
            }
            self.push_output(Output::Failure(report));
            self.flush_turns();
        }
        for (run_id, end) in self.runs.take_ended() {
            self.messages.run_ended(now, &run_id, end);
        }
        self.flush_turns();
        self.runs.forget_departed();
    }

    /// Gives a critical report its incident (see [`IncidentId`]): the one its run or turn
    /// already belongs to, the report then becoming a warning; else a new one. A new incident
    /// of the connection's stream (a report about no run or message, or a sequence gap) is
    /// joined by every open run and unfinished turn.
    fn assign_incident(&mut self, report: &mut Report) {
        let run = report.run_id.as_deref();
        let existing = report
            .incident
            .or_else(|| run.and_then(|run| self.runs.incident(run)))
            .or_else(|| report.message_id.and_then(|id| self.messages.incident(id)));
        if report.severity != Severity::Critical {
            // A warning about a run or turn already in an incident is one of its consequences.
            report.incident = report.incident.or(existing);
            return;
        }
        if let Some(incident) = existing {
            report.severity = Severity::Warning;
            report.incident = Some(incident);
            return;
        }
        let incident = self.new_incident();
        report.incident = Some(incident);
        if let Some(run) = run {
            self.runs.join(run, incident);
        }
        let stream = report.kind == FailureKind::SeqGap || (run.is_none() && report.message_id.is_none());
        if stream {
            self.runs.join_open(incident);
            self.messages.join_all(incident, report);
        }
    }

    fn new_incident(&mut self) -> IncidentId {
        self.incidents += 1;
        IncidentId(self.incidents)
    }

    /// The turn states entered, as outputs (never dropped: each settles a promise at most
    /// once, and there are at most `pending_cap` turns).
    fn flush_turns(&mut self) {
        for turn in self.messages.take_turns() {
            let turn = Output::Turn(turn);
            self.export(&turn);
            self.push_kept(turn);
        }
    }

    /// Hands a report, a turn or a receipt to the OTLP export, if there is one.
    fn export(&mut self, output: &Output) {
        let Some(telemetry) = &mut self.telemetry else { return };
        let dialect = self.dialect.map(Dialect::as_str);
        match output {
            Output::Failure(report) => telemetry.report(report.at, report, dialect),
            Output::Turn(turn) => telemetry.turn(turn.at, turn, dialect),
            Output::Acked(receipt) => telemetry.receipt(receipt),
            _ => {}
        }
    }
}

/// What an output costs the queue's byte budget: the texts it carries.
fn output_bytes(output: &Output) -> usize {
    match output {
        Output::Event(event) => {
            event.kind.len() + event.body.owned_bytes() + event.run_id.as_ref().map_or(0, String::len)
        }
        Output::Failure(report) => report.detail.len() + report.run_id.as_ref().map_or(0, String::len),
        _ => 0,
    }
}

/// Removes the credential from the texts of `report` that may quote the server.
fn redact_report(credential: &Credential, report: &mut Report) {
    if let Cow::Owned(detail) = credential.redact(&report.detail) {
        report.detail = detail;
    }
    if let Some(run_id) = report.run_id.as_mut() {
        if let Cow::Owned(redacted) = credential.redact(run_id) {
            *run_id = redacted;
        }
    }
}
