//! User messages: ids, the send buffer, acknowledgement and first-event deadlines.
//!
//! Every message ends in exactly one outcome — acknowledged, `ack_timeout` or `send_failed` —
//! and is separately watched for the agent run it should start (`no_response`).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::json::push_u64;
use super::output::Receipt;
use super::report::{Detail, FailureKind, Report};
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
    /// Acknowledged, or failed: the message's one outcome has been given.
    settled: bool,
    /// The run the server said this message started.
    run_id: Option<String>,
    /// Cleared once a run started for this message, or `no_response` was reported.
    first_event_deadline: Option<Instant>,
}

impl Pending {
    fn done(&self) -> bool {
        self.settled && self.first_event_deadline.is_none()
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
            Refusal::PendingFull => {
                "too many messages awaiting an acknowledgement or their agent run (pendingCap reached)"
            }
            Refusal::BufferFull => "send buffer full while disconnected (sendBufferCap reached)",
        }
    }
}

/// The table of messages not yet finished, in send order. Bounded by `pending_cap`; at most
/// `buffer_cap` of them unsent.
pub(crate) struct Messages {
    pending: Vec<Pending>,
    next_id: u64,
    pending_cap: usize,
    buffer_cap: usize,
    unsent: usize,
}

impl Messages {
    pub(crate) fn new(pending_cap: usize, buffer_cap: usize) -> Self {
        Messages { pending: Vec::new(), next_id: 1, pending_cap, buffer_cap, unsent: 0 }
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
        self.pending.push(Pending {
            id,
            unsent,
            created: now,
            ack_deadline: now.plus(ack_timeout_ms),
            settled: false,
            run_id: None,
            first_event_deadline: Some(now.plus(first_event_timeout_ms)),
        });
        Ok(())
    }

    /// Takes every buffered message's content, oldest first, marking them sent.
    pub(crate) fn take_unsent(&mut self) -> Vec<(MessageId, String, SendOptions)> {
        let mut out = Vec::new();
        for p in self.pending.iter_mut() {
            if let Some((text, options)) = p.unsent.take() {
                out.push((p.id, text, options));
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
        let receipt = Receipt { message_id: id, run_id: p.run_id.clone(), latency_ms: now.since(p.created), at: now };
        self.prune();
        Some(receipt)
    }

    /// A new run began: it answers the message the server tied it to, or else the oldest
    /// message still waiting for a run.
    pub(crate) fn run_started(&mut self, run_id: &str) {
        let waiting = |p: &Pending| p.first_event_deadline.is_some() && p.unsent.is_none();
        let bound = self.pending.iter().position(|p| waiting(p) && p.run_id.as_deref() == Some(run_id));
        let index = bound.or_else(|| self.pending.iter().position(|p| waiting(p) && p.run_id.is_none()));
        if let Some(p) = index.and_then(|i| self.pending.get_mut(i)) {
            p.first_event_deadline = None;
            p.run_id = Some(run_id.to_owned());
        }
        self.prune();
    }

    /// Fails one message with `send_failed`, if it has no outcome yet.
    pub(crate) fn fail(&mut self, now: Instant, id: MessageId, detail: &str, out: &mut Vec<Report>) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            Self::fail_entry(p, &mut self.unsent, now, detail, out);
        }
        self.prune();
    }

    /// Fails every message without an outcome with `send_failed`.
    pub(crate) fn fail_all(&mut self, now: Instant, detail: &str, out: &mut Vec<Report>) {
        for p in self.pending.iter_mut() {
            Self::fail_entry(p, &mut self.unsent, now, detail, out);
            p.first_event_deadline = None;
        }
        self.prune();
    }

    fn fail_entry(p: &mut Pending, unsent: &mut usize, now: Instant, detail: &str, out: &mut Vec<Report>) {
        if p.settled {
            return;
        }
        p.settled = true;
        // A message the server never got cannot start a run.
        p.first_event_deadline = None;
        if p.unsent.take().is_some() {
            *unsent = unsent.saturating_sub(1);
        }
        out.push(Report::new(FailureKind::SendFailed, now, detail.to_owned()).message(p.id));
    }

    /// Reports every deadline that has passed.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<Report>) {
        for p in self.pending.iter_mut() {
            if !p.settled && p.ack_deadline <= now {
                if p.unsent.is_some() {
                    Self::fail_entry(p, &mut self.unsent, now, "not sent: no connection before ackTimeoutMs", out);
                } else {
                    p.settled = true;
                    let detail = Detail::new("no acknowledgement within ").num(now.since(p.created)).text(" ms");
                    out.push(Report::new(FailureKind::AckTimeout, now, detail.done()).message(p.id));
                }
            }
            if p.first_event_deadline.is_some_and(|d| d <= now) {
                p.first_event_deadline = None;
                let detail = Detail::new("no agent run started within ").num(now.since(p.created)).text(" ms");
                out.push(
                    Report::new(FailureKind::NoResponse, now, detail.done()).message(p.id).run(p.run_id.as_deref()),
                );
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

    /// The earliest deadline still to come.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut next = None;
        for p in &self.pending {
            if !p.settled {
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
