//! What the tracker tells its driver and the application.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::message::MessageId;
use super::report::{IncidentId, Report, SeqRange};
use super::time::Instant;

/// The WebSocket close code of a normal closure (RFC 6455, 7.4.1): the client closed.
pub const NORMAL_CLOSURE: u16 = 1000;
/// The close code of a connection that ended without a close frame (never sent on the wire).
pub const ABNORMAL_CLOSURE: u16 = 1006;
/// The close code of a connection the client dropped for its own reason (no sign of life, a
/// breach of the protocol): the first of the codes for applications (4000–4999).
pub const CLIENT_DROPPED: u16 = 4000;

/// One thing for the application (through the driver, which settles its promises from them), from
/// [`Tracker::poll_output`](super::Tracker::poll_output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// An agent event, delivered once and in order.
    Event(Event),
    /// A detected failure.
    Failure(Report),
    /// The connection state changed.
    State(ConnectionState),
    /// The verdict on what a reconnect recovered.
    Recovery(Recovery),
    /// A user message was acknowledged by the server.
    Acked(Receipt),
    /// A user message's turn changed state. Never dropped: every turn reports each state it
    /// enters, ending in exactly one of `Complete`, `Incomplete` and `Failed`.
    Turn(Turn),
    /// The outcome of [`Tracker::connect`](super::Tracker::connect), once: `Ok` when the
    /// connection is open and handshaken (at once if it already is); `Err` with the report of
    /// the first attempt that failed before that (the tracker keeps retrying per its reconnect
    /// policy), or a `connect_cancelled` report when [`Tracker::close`](super::Tracker::close)
    /// came first. Never dropped.
    Connected(Result<(), Report>),
}

/// What the driver must do with the socket, from
/// [`Tracker::poll_command`](super::Tracker::poll_command). Never dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open a new socket now, then call `handle_open` or `handle_closed`.
    Connect,
    /// Close the current socket with this code and reason. The tracker already treats it as
    /// closed; a later `handle_closed` for it is ignored.
    Disconnect {
        /// WebSocket close code ([`NORMAL_CLOSURE`], or [`CLIENT_DROPPED`] for the tracker's
        /// own reasons).
        code: u16,
        /// Close reason.
        reason: &'static str,
    },
}

/// An event of an agent run, or any other server frame the application should see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The frame's `type`.
    pub kind: String,
    /// The run it belongs to, when the frame names one.
    pub run_id: Option<String>,
    /// Its sequence number (sequenced dialect).
    pub seq: Option<u64>,
    /// The frame's body (`data` or `payload`); its text is [`Event::data`].
    pub body: Body,
    /// Replayed after a reconnect (`"recovered": true`).
    pub recovered: bool,
    /// When it arrived.
    pub at: Instant,
    /// The ordinal of the frame it came in: the value of
    /// [`Tracker::frames_received`](super::Tracker::frames_received) right after that frame was
    /// handled (1 for the first frame, counting every frame).
    pub frame: u64,
}

/// An event's body, in one form at a time: where it stands in its frame while the frame is at
/// hand, owned only when the event outlived its frame (held back for reordering).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// The frame had no body: `{}`.
    Empty,
    /// The byte range of the body (a JSON object) in the text of the event's frame. Only an
    /// event delivered from the frame just handled has it: the driver that handed the tracker
    /// that frame resolves it ([`Event::data`], [`Event::into_owned`]) before the next one.
    InFrame(Range<usize>),
    /// The body's JSON object text.
    Owned(String),
}

impl Event {
    /// The body's JSON object text (`{}` when the frame had none); `frame` is the text of the
    /// frame the event came in, read only for a body [`Body::InFrame`].
    pub fn data<'a>(&'a self, frame: &'a str) -> &'a str {
        match &self.body {
            Body::Empty => EMPTY_BODY,
            Body::InFrame(range) => frame.get(range.clone()).unwrap_or(EMPTY_BODY),
            Body::Owned(text) => text,
        }
    }

    /// The event with its body owned: copied out of `frame` (the text of the frame it came in)
    /// if it stands there.
    pub fn into_owned(mut self, frame: &str) -> Event {
        if let Body::InFrame(_) = self.body {
            self.body = Body::Owned(self.data(frame).to_owned());
        }
        self
    }
}

impl Body {
    /// The bytes it owns: those of an owned body's text.
    pub fn owned_bytes(&self) -> usize {
        match self {
            Body::Owned(text) => text.len(),
            Body::Empty | Body::InFrame(_) => 0,
        }
    }
}

/// The text of an absent body.
const EMPTY_BODY: &str = "{}";

/// The connection's state as the application sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Opening a socket and waiting for the handshake (first connection).
    Connecting,
    /// Handshaken and live.
    Open,
    /// Lost and trying again.
    Reconnecting,
    /// Not connected and not trying: before `connect`, after `close`, or after giving up.
    Closed,
}

impl ConnectionState {
    /// `"connecting"`, `"open"`, `"reconnecting"` or `"closed"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Open => "open",
            ConnectionState::Reconnecting => "reconnecting",
            ConnectionState::Closed => "closed",
        }
    }
}

/// How much of what was missed during a disconnect came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything the server sent meanwhile is being replayed.
    Full,
    /// Part of it is gone; `missing` says which.
    Partial,
    /// Nothing was recovered (the resume failed, or the dialect cannot resume).
    None,
}

impl Verdict {
    /// `"full"`, `"partial"` or `"none"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Full => "full",
            Verdict::Partial => "partial",
            Verdict::None => "none",
        }
    }
}

/// The recovery verdict after one reconnect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The verdict.
    pub verdict: Verdict,
    /// The sequence ranges that will not come back.
    pub missing: Vec<SeqRange>,
    /// Why, in a few words.
    pub reason: &'static str,
    /// When the verdict was reached.
    pub at: Instant,
}

/// The acknowledgement of a user message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The message acknowledged.
    pub message_id: MessageId,
    /// The run it started, when the server said.
    pub run_id: Option<String>,
    /// No acknowledgement frame came: the first event of the message's run stood for it
    /// (netra, as deployed; see [`Config::require_explicit_ack`](super::Config::require_explicit_ack)).
    pub inferred: bool,
    /// Milliseconds from `send_user_message` to the acknowledgement.
    pub latency_ms: u64,
    /// When it was acknowledged.
    pub at: Instant,
}

/// A frame for the driver to send, from [`Tracker::poll_transmit`](super::Tracker::poll_transmit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The frame text.
    pub text: String,
    /// The user message it carries, if any: if the socket cannot take it, the driver hands it
    /// back with `handle_transmit_failed` and the message fails with `send_failed`.
    pub message: Option<MessageId>,
}

/// Where one user message's turn stands: the message, then the agent run it caused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnState {
    /// Waiting for a connection to be sent.
    Queued,
    /// Handed to the socket; no acknowledgement yet.
    Sent,
    /// Acknowledged; its run has not started.
    Acknowledged,
    /// Its run started and has not closed.
    Running,
    /// Its run closed and every check passed. Final.
    Complete,
    /// Something the turn needed was lost, or will never come: the turn's incident says
    /// what (or, after `close`, the report of the close). Final.
    Incomplete,
    /// The message never left the client (`send_failed`). Final.
    Failed,
}

impl TurnState {
    /// `"queued"`, `"sent"`, `"acknowledged"`, `"running"`, `"complete"`, `"incomplete"` or
    /// `"failed"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TurnState::Queued => "queued",
            TurnState::Sent => "sent",
            TurnState::Acknowledged => "acknowledged",
            TurnState::Running => "running",
            TurnState::Complete => "complete",
            TurnState::Incomplete => "incomplete",
            TurnState::Failed => "failed",
        }
    }

    /// Whether the state is final.
    pub const fn is_final(self) -> bool {
        matches!(self, TurnState::Complete | TurnState::Incomplete | TurnState::Failed)
    }
}

/// A turn's new state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The user message that started the turn.
    pub message_id: MessageId,
    /// Its state now.
    pub state: TurnState,
    /// The run it caused, once known.
    pub run_id: Option<String>,
    /// The incident that made it incomplete (or failed), if any.
    pub incident: Option<IncidentId>,
    /// The report that ended it, for `Incomplete` and `Failed`.
    pub report: Option<Report>,
    /// When it entered the state.
    pub at: Instant,
}

impl Turn {
    /// For a final state, how the turn ended: `Ok` when it completed, else the report that
    /// left it incomplete or failed. `None` while it goes on.
    pub fn end(&self) -> Option<Result<&Turn, &Report>> {
        match (self.state, &self.report) {
            (TurnState::Incomplete | TurnState::Failed, Some(report)) => Some(Err(report)),
            (state, _) => state.is_final().then_some(Ok(self)),
        }
    }
}
