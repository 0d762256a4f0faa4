//! Failure reports: what went wrong, how badly, and where.

use alloc::borrow::ToOwned;
use alloc::string::String;

use super::json::push_u64;
use super::message::MessageId;
use super::time::Instant;

/// The kind of a failure. Its [`as_str`](FailureKind::as_str) name is stable public API: the
/// browser client surfaces it unchanged as `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// Sequence numbers were skipped and not filled within the reorder window.
    SeqGap,
    /// The server's head sequence shows events at the end that never arrived.
    TailGap,
    /// An event arrived again; it was delivered once.
    Duplicate,
    /// An event arrived out of its order (it was delivered), or after its run had closed (it
    /// was not).
    OutOfOrder,
    /// A sent user message was not acknowledged in time.
    AckTimeout,
    /// A user message started no agent run in time.
    NoResponse,
    /// An open run fell silent past its deadline.
    RunStalled,
    /// A run closed with a tool call still open.
    ToolUnfinished,
    /// A required event of a run never came, or events were dropped because the application
    /// did not drain them.
    MissingEvent,
    /// Nothing was received after a ping (half-open socket), or no handshake came.
    HeartbeatTimeout,
    /// The socket closed without the application asking.
    ConnectionLost,
    /// A resume after reconnecting failed or was partial.
    RecoveryFailed,
    /// The server reported an error.
    ServerError,
    /// A malformed, oversized or inconsistent frame.
    ProtocolViolation,
    /// A user message never left: the client was closed, a cap refused it, or the socket
    /// could not take it.
    SendFailed,
    /// A user message was handed to the socket but will never be acknowledged: the
    /// connection was lost for good, or the client was closed, first.
    Unacknowledged,
    /// The connection never opened: the socket closed, or the handshake did not come, before
    /// the connection was live.
    ConnectFailed,
    /// The server echoed the credential back as the accepted subprotocol (a response header
    /// that proxies log).
    CredentialEchoed,
    /// The client itself stopped: the browser driver's WebAssembly module trapped. Never
    /// produced by the tracker; the JavaScript side raises it, once, on every client, and
    /// rejects every unsettled promise with it (README, "If the module dies").
    ClientCrashed,
    /// A `connect()` the application cancelled: the client was closed (or the connect aborted)
    /// before the connection opened. Only ever the outcome of that `connect()` (a
    /// [`Output::Connected`](super::Output::Connected) error), never a failure of the chat.
    ConnectCancelled,
}

/// What every report of a kind names, besides its detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A user message: `message_id` is always set.
    Message,
    /// A run: `run_id` is always set.
    Run,
    /// A range of sequence numbers: `seq` is always set.
    Range,
    /// Nothing in particular (the connection, a frame, an event); any of them may be set.
    Other,
}

impl FailureKind {
    /// Every kind, in declaration order.
    pub const ALL: [FailureKind; 20] = [
        FailureKind::SeqGap,
        FailureKind::TailGap,
        FailureKind::Duplicate,
        FailureKind::OutOfOrder,
        FailureKind::AckTimeout,
        FailureKind::NoResponse,
        FailureKind::RunStalled,
        FailureKind::ToolUnfinished,
        FailureKind::MissingEvent,
        FailureKind::HeartbeatTimeout,
        FailureKind::ConnectionLost,
        FailureKind::RecoveryFailed,
        FailureKind::ServerError,
        FailureKind::ProtocolViolation,
        FailureKind::SendFailed,
        FailureKind::Unacknowledged,
        FailureKind::ConnectFailed,
        FailureKind::CredentialEchoed,
        FailureKind::ClientCrashed,
        FailureKind::ConnectCancelled,
    ];

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureKind::SeqGap => "seq_gap",
            FailureKind::TailGap => "tail_gap",
            FailureKind::Duplicate => "duplicate",
            FailureKind::OutOfOrder => "out_of_order",
            FailureKind::AckTimeout => "ack_timeout",
            FailureKind::NoResponse => "no_response",
            FailureKind::RunStalled => "run_stalled",
            FailureKind::ToolUnfinished => "tool_unfinished",
            FailureKind::MissingEvent => "missing_event",
            FailureKind::HeartbeatTimeout => "heartbeat_timeout",
            FailureKind::ConnectionLost => "connection_lost",
            FailureKind::RecoveryFailed => "recovery_failed",
            FailureKind::ServerError => "server_error",
            FailureKind::ProtocolViolation => "protocol_violation",
            FailureKind::SendFailed => "send_failed",
            FailureKind::Unacknowledged => "unacknowledged",
            FailureKind::ConnectFailed => "connect_failed",
            FailureKind::CredentialEchoed => "credential_echoed",
            FailureKind::ClientCrashed => "client_crashed",
            FailureKind::ConnectCancelled => "connect_cancelled",
        }
    }

    /// What every report of this kind names.
    pub const fn subject(self) -> Subject {
        match self {
            FailureKind::AckTimeout
            | FailureKind::NoResponse
            | FailureKind::SendFailed
            | FailureKind::Unacknowledged => Subject::Message,
            FailureKind::RunStalled | FailureKind::ToolUnfinished => Subject::Run,
            FailureKind::SeqGap | FailureKind::TailGap | FailureKind::RecoveryFailed => Subject::Range,
            _ => Subject::Other,
        }
    }

    /// The usual severity of this kind.
    pub const fn severity(self) -> Severity {
        match self {
            FailureKind::Duplicate
            | FailureKind::OutOfOrder
            | FailureKind::ProtocolViolation
            | FailureKind::ConnectCancelled => Severity::Warning,
            _ => Severity::Critical,
        }
    }
}

/// How bad a failure is for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Something was off but nothing was lost (a duplicate, a reorder, a bad frame).
    Warning,
    /// Something was lost or will never come.
    Critical,
}

impl Severity {
    /// `"warning"` or `"critical"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// An inclusive range of sequence numbers; `to` is `None` when the end is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqRange {
    /// First sequence number in the range.
    pub from: u64,
    /// Last sequence number in the range, when known.
    pub to: Option<u64>,
}

impl SeqRange {
    /// The range `from..=to`.
    pub const fn new(from: u64, to: u64) -> Self {
        SeqRange { from, to: Some(to) }
    }

    /// Whether `seq` lies inside the range.
    pub fn contains(&self, seq: u64) -> bool {
        seq >= self.from && self.to.is_none_or(|to| seq <= to)
    }
}

/// One detected failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// What went wrong.
    pub kind: FailureKind,
    /// How bad it is.
    pub severity: Severity,
    /// The agent run concerned, when known.
    pub run_id: Option<String>,
    /// The user message concerned, when known.
    pub message_id: Option<MessageId>,
    /// The sequence numbers concerned, when known.
    pub seq: Option<SeqRange>,
    /// A human-readable explanation. Never contains the token.
    pub detail: String,
    /// When the failure was detected.
    pub at: Instant,
    /// The incident the report belongs to (see [`IncidentId`]): set on every critical report,
    /// and on the reports of what an incident already reported went on to cause (which are
    /// then warnings). `None` on a warning that is nobody's consequence.
    pub incident: Option<IncidentId>,
    /// This report is the one outcome of its message (`message_id`): it fails that
    /// `send_user_message`. At most one per message, and none for a message acknowledged.
    pub outcome: bool,
}

/// One loss, however many reports it causes. The first critical report about a run, a user
/// message or the connection opens an incident; a later report about the same run or message
/// — the run then closing without the lost event, stalling, leaving a tool open — joins it
/// as a warning instead of raising a new critical report. A loss of the connection's stream
/// (a sequence gap, a failed resume, a connection given up) is joined by every run and user
/// message unfinished at that moment. So one loss is exactly one critical report (PROTOCOL.md,
/// "Incidents").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId(pub(crate) u64);

impl IncidentId {
    /// The id's number: 1 for a tracker's first incident.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Report {
    /// A report of `kind` at its usual severity, with nothing but a detail.
    #[inline(never)]
    pub fn new(kind: FailureKind, at: Instant, detail: String) -> Self {
        Report {
            kind,
            severity: kind.severity(),
            run_id: None,
            message_id: None,
            seq: None,
            detail,
            at,
            incident: None,
            outcome: false,
        }
    }

    /// The report of `dropped` outputs an application did not drain from a queue of `cap`: a
    /// `missing_event` (their events never reached it).
    pub fn outputs_dropped(dropped: u64, cap: usize, at: Instant) -> Self {
        let detail = Detail::new("")
            .num(dropped)
            .text(" outputs were dropped because the application did not drain them (outputQueueCap ")
            .num(cap as u64)
            .text(")");
        Report::new(FailureKind::MissingEvent, at, detail.done())
    }

    /// Sets the run concerned.
    pub fn run(mut self, run_id: Option<&str>) -> Self {
        self.run_id = run_id.map(str::to_owned);
        self
    }

    /// Sets the message concerned.
    pub fn message(mut self, id: MessageId) -> Self {
        self.message_id = Some(id);
        self
    }

    /// Sets the sequence range concerned.
    pub fn seq(mut self, range: SeqRange) -> Self {
        self.seq = Some(range);
        self
    }

    /// Marks the report as its message's outcome (see [`Report::outcome`]).
    pub(crate) fn outcome(mut self) -> Self {
        self.outcome = true;
        self
    }

    /// Overrides the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// The longest prefix of `text` with at most `max_chars` characters: how much of a text from
/// the server a detail quotes.
pub(crate) fn char_prefix(text: &str, max_chars: usize) -> &str {
    let mut chars = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        // A character starts at every byte but a UTF-8 continuation byte (0b10xx_xxxx).
        if byte & 0xC0 != 0x80 {
            if chars == max_chars {
                return text.get(..at).unwrap_or(text);
            }
            chars += 1;
        }
    }
    text
}

/// Builds a detail text from parts without `core::fmt`. Its builders, like [`Report::new`], stay
/// out of line (`#[inline(never)]`): some twenty detectors call them, and one shared copy is
/// smaller in the bundle than one per call site.
#[derive(Default)]
pub(crate) struct Detail(String);

impl Detail {
    #[inline(never)]
    pub(crate) fn new(text: &str) -> Self {
        Detail(text.to_owned())
    }

    #[inline(never)]
    pub(crate) fn text(mut self, text: &str) -> Self {
        self.0.push_str(text);
        self
    }

    #[inline(never)]
    pub(crate) fn num(mut self, n: u64) -> Self {
        push_u64(&mut self.0, n);
        self
    }

    pub(crate) fn range(self, range: SeqRange) -> Self {
        let with_from = self.num(range.from);
        match range.to {
            Some(to) if to == range.from => with_from,
            Some(to) => with_from.text("..=").num(to),
            None => with_from.text(".."),
        }
    }

    pub(crate) fn done(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_prefix_counts_characters_not_bytes() {
        assert_eq!(char_prefix("", 3), "");
        assert_eq!(char_prefix("abc", 0), "");
        assert_eq!(char_prefix("abc", 3), "abc");
        assert_eq!(char_prefix("abcd", 3), "abc");
        assert_eq!(char_prefix("é😀xy", 2), "é😀");
        assert_eq!(char_prefix("é😀", 5), "é😀");
    }
}
