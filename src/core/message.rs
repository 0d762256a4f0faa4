//! User messages: ids, the send buffer, acknowledgement and first-event deadlines.
//!
//! Every message ends in exactly one outcome — acknowledged, `ack_timeout`, `unacknowledged`
//! or `send_failed` — and its turn, the run it causes, in exactly one final state.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::json::push_u64;
use super::output::{Receipt, Turn, TurnState};
use super::report::{Detail, FailureKind, IncidentId, Report, Severity};
use super::time::{earliest, Instant};

/// A user message's id, unique within one tracker. On the wire it is `cs-<n>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(u64);

impl MessageId {
    /// The id's number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The wire form, `cs-<n>`.
    pub fn to_wire(self) -> String {
        let mut s = String::from("cs-");
        push_u64(&mut s, self.0);
        s
    }

    /// Parses the wire form; `None` for ids this client did not make.
    pub fn from_wire(text: &str) -> Option<Self> {
        let digits = text.strip_prefix("cs-")?;
        if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(MessageId)
    }
}

/// Options of one user message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// The conversation thread the message belongs to.
    pub thread_id: Option<String>,
}

struct Pending {
    id: MessageId,
    /// The user's text and thread, kept until the message is transmitted.
    unsent: Option<(String, SendOptions)>,
    created: Instant,
    ack_deadline: Instant,
    /// The message's one outcome has been given: acknowledged, or failed.
    settled: bool,
    /// The run the server said this message started, or the run that answered it.
    run_id: Option<String>,
    /// Cleared once a run started for this message, or `no_response` was reported.
    first_event_deadline: Option<Instant>,
    /// Where the turn stands.
    state: TurnState,
    /// The incident the turn belongs to, and the report that opened it (or joined it to one).
    incident: Option<(IncidentId, Report)>,
}

impl Pending {
    /// Whether its ack deadline applies: it has no outcome yet, and is unsent or acks are
    /// explicit.
    fn awaits_ack(&self, infer_acks: bool) -> bool {
        let ack_inferred = infer_acks && self.unsent.is_none();
        !(self.settled || ack_inferred)
    }

    fn done(&self) -> bool {
        self.settled && self.first_event_deadline.is_none() && self.state.is_final()
    }
}

/// Why a message could not be accepted for sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    PendingFull,
    BufferFull,
}

impl Refusal {
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Refusal::PendingFull => "too many turns unfinished (pendingCap reached)",
            Refusal::BufferFull => "send buffer full while disconnected (sendBufferCap reached)",
        }
    }
}

/// How a run left the watchdog, for the turn it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// Closed, and its final checks are done.
    Closed,
    /// Abandoned after a second silence, or evicted from a full table while open.
    Abandoned,
}

/// The turns not yet finished, in send order: each user message until its one outcome, and
/// its turn until a final state. Bounded by `pending_cap`; at most `buffer_cap` of them unsent.
///
/// A turn's run is the one the server ties to the message (a sequenced ack's `run_id`), or
/// else the first new run after the message was sent, the oldest message first (PROTOCOL.md,
/// "Turns").
pub(crate) struct Messages {
    pending: Vec<Pending>,
    next_id: u64,
    pending_cap: usize,
    buffer_cap: usize,
    unsent: usize,
    /// Turn states entered since the last [`take_turns`](Self::take_turns).
    turns: Vec<Turn>,
}

impl Messages {
    pub(crate) fn new(pending_cap: usize, buffer_cap: usize) -> Self {
        Messages { pending: Vec::new(), next_id: 1, pending_cap, buffer_cap, unsent: 0, turns: Vec::new() }
    }

    /// A fresh id.
    pub(crate) fn allocate(&mut self) -> MessageId {
        let id = MessageId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Starts watching a message. `unsent` holds its content while it waits for a connection.
    pub(crate) fn add(
        &mut self,
        now: Instant,
        id: MessageId,
        unsent: Option<(String, SendOptions)>,
        ack_timeout_ms: u64,
        first_event_timeout_ms: u64,
    ) -> Result<(), Refusal> {
        if self.pending.len() >= self.pending_cap {
            return Err(Refusal::PendingFull);
        }
        if unsent.is_some() {
            if self.unsent >= self.buffer_cap {
                return Err(Refusal::BufferFull);
            }
            self.unsent += 1;
        }
        let state = if unsent.is_some() { TurnState::Queued } else { TurnState::Sent };
        self.pending.push(Pending {
            id,
            unsent,
            created: now,
            ack_deadline: now.plus(ack_timeout_ms),
            settled: false,
            run_id: None,
            first_event_deadline: Some(now.plus(first_event_timeout_ms)),
            state,
            incident: None,
        });
        self.turns.push(Turn { message_id: id, state, run_id: None, incident: None, report: None, at: now });
        Ok(())
    }

    /// A turn refused by [`add`](Self::add): failed with `report` before it began.
    pub(crate) fn refused(&mut self, id: MessageId, report: &Report) {
        let at = report.at;
        let report = Some(report.clone());
        self.turns.push(Turn { message_id: id, state: TurnState::Failed, run_id: None, incident: None, report, at });
    }

    /// Takes every buffered message's content, oldest first, marking them sent.
    pub(crate) fn take_unsent(&mut self, now: Instant) -> Vec<(MessageId, String, SendOptions)> {
        let mut out = Vec::new();
        for p in self.pending.iter_mut() {
            if let Some((text, options)) = p.unsent.take() {
                out.push((p.id, text, options));
                enter(&mut self.turns, p, TurnState::Sent, now);
            }
        }
        self.unsent = 0;
        out
    }

    /// Records the server's acknowledgement; `None` if the id is unknown or already settled.
    pub(crate) fn ack(&mut self, now: Instant, id: MessageId, run_id: Option<&str>) -> Option<Receipt> {
        let p = self.pending.iter_mut().find(|p| p.id == id)?;
        if run_id.is_some() {
            p.run_id = run_id.map(str::to_owned);
        }
        if p.settled {
            return None;
        }
        p.settled = true;
        if p.state == TurnState::Sent {
            enter(&mut self.turns, p, TurnState::Acknowledged, now);
        }
        let receipt = receipt(p, now, false);
        self.prune();
        Some(receipt)
    }

    /// A new run began: it answers the message the server tied it to, or else the oldest
    /// message still waiting for a run. With `infer_ack`, a message not yet acknowledged is
    /// acknowledged by it: the receipt (inferred) is returned.
    pub(crate) fn run_started(&mut self, now: Instant, run_id: &str, infer_ack: bool) -> Option<Receipt> {
        let waiting = |p: &Pending| p.first_event_deadline.is_some() && p.unsent.is_none();
        let bound = self.pending.iter().position(|p| waiting(p) && p.run_id.as_deref() == Some(run_id));
        let index = bound.or_else(|| self.pending.iter().position(|p| waiting(p) && p.run_id.is_none()));
        let p = self.pending.get_mut(index?)?;
        p.first_event_deadline = None;
        p.run_id = Some(run_id.to_owned());
        let mut inferred = None;
        if infer_ack && !p.settled {
            p.settled = true;
            inferred = Some(receipt(p, now, true));
        }
        if !p.state.is_final() {
            enter(&mut self.turns, p, TurnState::Running, now);
        }
        self.prune();
        inferred
    }

    /// The turn run `run_id` answers, if it is still unfinished.
    pub(crate) fn of_run(&self, run_id: &str) -> Option<MessageId> {
        self.pending.iter().find(|p| p.run_id.as_deref() == Some(run_id)).map(|p| p.id)
    }

    /// The incident turn `id` belongs to, if any.
    pub(crate) fn incident(&self, id: MessageId) -> Option<IncidentId> {
        self.pending.iter().find(|p| p.id == id).and_then(|p| p.incident.as_ref()).map(|(i, _)| *i)
    }

    /// Joins every unfinished turn without an incident to `incident` (a loss of the
    /// connection's stream, reported by `report`).
    pub(crate) fn join_all(&mut self, incident: IncidentId, report: &Report) {
        for p in self.pending.iter_mut().filter(|p| p.incident.is_none() && !p.state.is_final()) {
            p.incident = Some((incident, report.clone()));
        }
    }

    /// What a report naming turn `id` (with its incident, if it has one) does to it: a lost
    /// message or run, or any other `loss` (a report that was critical before it joined an
    /// incident), ends it (`Failed` if the message never left, else `Incomplete`); a missing
    /// acknowledgement or a stall gives it its incident (its state is entered again, with it),
    /// and it may still complete.
    pub(crate) fn reported(&mut self, id: MessageId, report: &Report, loss: bool) {
        let Some(p) = self.pending.iter_mut().find(|p| p.id == id) else { return };
        if let (None, Some(incident)) = (&p.incident, report.incident) {
            p.incident = Some((incident, report.clone()));
        }
        let state = match report.kind {
            FailureKind::SendFailed => TurnState::Failed,
            // Late, not lost yet: its run may still come, or close.
            FailureKind::RunStalled | FailureKind::AckTimeout => {
                if !p.state.is_final() {
                    enter(&mut self.turns, p, p.state, report.at);
                }
                return;
            }
            FailureKind::NoResponse | FailureKind::Unacknowledged | FailureKind::ConnectionLost => {
                TurnState::Incomplete
            }
            _ if loss => TurnState::Incomplete,
            _ => return,
        };
        if !p.state.is_final() {
            p.first_event_deadline = None;
            finish(&mut self.turns, p, state, report.incident, Some(report.clone()), report.at);
        }
        self.prune();
    }

    /// The run of an unfinished turn left the watchdog: a closed run completes its turn (even
    /// after a stall); an abandoned one leaves it incomplete, with the incident of its stall.
    pub(crate) fn run_ended(&mut self, now: Instant, run_id: &str, end: RunEnd) {
        let Some(p) = self.pending.iter_mut().find(|p| p.run_id.as_deref() == Some(run_id)) else { return };
        if p.state.is_final() {
            return;
        }
        let (state, incident, report) = match (end, &p.incident) {
            (RunEnd::Closed, _) => (TurnState::Complete, p.incident.as_ref().map(|(i, _)| *i), None),
            (RunEnd::Abandoned, Some((incident, report))) => {
                (TurnState::Incomplete, Some(*incident), Some(report.clone()))
            }
            (RunEnd::Abandoned, None) => {
                let report = Report::new(
                    FailureKind::RunStalled,
                    now,
                    String::from("the run stopped being watched before it closed"),
                )
                .message(p.id)
                .run(Some(run_id));
                (TurnState::Incomplete, None, Some(report))
            }
        };
        finish(&mut self.turns, p, state, incident, report, now);
        self.prune();
    }

    /// Whether turns entered states since the last [`take_turns`](Self::take_turns).
    pub(crate) fn has_turns(&self) -> bool {
        !self.turns.is_empty()
    }

    /// The turn states entered since the last call, in order.
    pub(crate) fn take_turns(&mut self) -> Vec<Turn> {
        core::mem::take(&mut self.turns)
    }

    /// Ends every unfinished turn, the connection being gone for good: a message never sent
    /// fails with `send_failed`, one sent but not acknowledged ends `unacknowledged` (at
    /// `severity`: the client closing is no loss of the server's doing), and a turn already
    /// acknowledged ends with a `connection_lost` warning.
    pub(crate) fn fail_all(&mut self, now: Instant, why: &str, severity: Severity, out: &mut Vec<Report>) {
        for p in self.pending.iter_mut() {
            p.first_event_deadline = None;
            if !p.settled {
                let left = p.unsent.is_none();
                Self::fail_entry(p, &mut self.unsent, now, why, left, severity, out);
            } else if !p.state.is_final() {
                let detail = Detail::new("the turn ended unfinished: ").text(why);
                out.push(
                    Report::new(FailureKind::ConnectionLost, now, detail.done())
                        .message(p.id)
                        .run(p.run_id.as_deref())
                        .severity(Severity::Warning),
                );
            }
        }
        self.prune();
    }

    /// Fails one message with `send_failed` (it never left), if it has no outcome yet.
    pub(crate) fn fail(&mut self, now: Instant, id: MessageId, detail: &str, out: &mut Vec<Report>) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id && !p.settled) {
            Self::fail_entry(p, &mut self.unsent, now, detail, false, Severity::Critical, out);
        }
        self.prune();
    }

    /// Gives a message its failure: `send_failed` unless it `left` (reached the socket), then
    /// `unacknowledged` at `severity`.
    #[allow(clippy::too_many_arguments)]
    fn fail_entry(
        p: &mut Pending,
        unsent: &mut usize,
        now: Instant,
        why: &str,
        left: bool,
        severity: Severity,
        out: &mut Vec<Report>,
    ) {
        p.settled = true;
        p.first_event_deadline = None;
        if p.unsent.take().is_some() {
            *unsent = unsent.saturating_sub(1);
        }
        let report = if !left {
            Report::new(FailureKind::SendFailed, now, Detail::new("not sent: ").text(why).done())
        } else {
            let detail = Detail::new("sent, but never acknowledged: ").text(why);
            Report::new(FailureKind::Unacknowledged, now, detail.done()).severity(severity)
        };
        out.push(report.message(p.id).run(p.run_id.as_deref()).outcome());
    }

    /// Reports every deadline that has passed. With `infer_acks` a sent message has no ack
    /// deadline: its `no_response` is its outcome.
    pub(crate) fn expire(&mut self, now: Instant, infer_acks: bool, out: &mut Vec<Report>) {
        for p in self.pending.iter_mut() {
            if p.awaits_ack(infer_acks) && p.ack_deadline <= now {
                if p.unsent.is_some() {
                    let why = "no connection before ackTimeoutMs";
                    Self::fail_entry(p, &mut self.unsent, now, why, false, Severity::Critical, out);
                } else {
                    p.settled = true;
                    let detail = Detail::new("no acknowledgement within ").num(now.since(p.created)).text(" ms");
                    out.push(Report::new(FailureKind::AckTimeout, now, detail.done()).message(p.id).outcome());
                }
            }
            if p.first_event_deadline.is_some_and(|d| d <= now) {
                p.first_event_deadline = None;
                let detail = Detail::new("no agent run started within ").num(now.since(p.created)).text(" ms");
                let report = Report::new(FailureKind::NoResponse, now, detail.done()).message(p.id);
                let report = report.run(p.run_id.as_deref());
                // A message without an outcome yet (its ack inferred, or later than this) gets
                // this one.
                out.push(if p.settled { report } else { report.outcome() });
                p.settled = true;
            }
        }
        self.prune();
    }

    /// Pushes every deadline earlier than `until` back to `until` (after the page slept).
    pub(crate) fn defer(&mut self, until: Instant) {
        for p in self.pending.iter_mut() {
            p.ack_deadline = p.ack_deadline.max(until);
            if let Some(d) = p.first_event_deadline.as_mut() {
                *d = (*d).max(until);
            }
        }
    }

    /// The earliest deadline still to come (`infer_acks` as for [`expire`](Self::expire)).
    pub(crate) fn next_deadline(&self, infer_acks: bool) -> Option<Instant> {
        let mut next = None;
        for p in &self.pending {
            if p.awaits_ack(infer_acks) {
                next = earliest(next, p.ack_deadline);
            }
            if let Some(due) = p.first_event_deadline {
                next = earliest(next, due);
            }
        }
        next
    }

    /// Messages sent or buffered and not yet acknowledged or failed.
    pub(crate) fn awaiting_ack(&self) -> usize {
        self.pending.iter().filter(|p| !p.settled).count()
    }

    fn prune(&mut self) {
        self.pending.retain(|p| !p.done());
    }
}

/// Moves a turn to a non-final `state`, recording the change.
fn enter(turns: &mut Vec<Turn>, p: &mut Pending, state: TurnState, at: Instant) {
    p.state = state;
    let incident = p.incident.as_ref().map(|(i, _)| *i);
    turns.push(Turn { message_id: p.id, state, run_id: p.run_id.clone(), incident, report: None, at });
}

/// Moves a turn to its final `state`, recording the change with what ended it.
fn finish(
    turns: &mut Vec<Turn>,
    p: &mut Pending,
    state: TurnState,
    incident: Option<IncidentId>,
    report: Option<Report>,
    at: Instant,
) {
    p.state = state;
    turns.push(Turn { message_id: p.id, state, run_id: p.run_id.clone(), incident, report, at });
}

fn receipt(p: &Pending, now: Instant, inferred: bool) -> Receipt {
    Receipt { message_id: p.id, run_id: p.run_id.clone(), inferred, latency_ms: now.since(p.created), at: now }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_ids_round_trip_and_reject_foreign_ids() {
        let id = MessageId(42);
        assert_eq!(id.to_wire(), "cs-42");
        assert_eq!(MessageId::from_wire("cs-42"), Some(id));
        for bad in ["42", "cs-", "cs-4x", "cs--1", "cs-99999999999999999999", "xs-1"] {
            assert_eq!(MessageId::from_wire(bad), None, "{bad}");
        }
    }
}
