//! Sequence tracking for the `sequenced` dialect: in-order delivery, holes, tails, duplicates
//! and resume.
//!
//! Events are delivered strictly in `seq` order. An event ahead of the next expected one is
//! held; the hole gets `reorder_window_ms` to fill. When the window ends, holes followed by a
//! held event are `seq_gap`s, a hole known only from the server's `head_seq` is a `tail_gap`,
//! and everything held is delivered. Reported holes are remembered (bounded) so that a very
//! late arrival is told apart from a duplicate.

use alloc::string::String;
use alloc::vec::Vec;

use super::budget::HELD_EVENT_BYTES;
use super::frame::{self, Incoming};
use super::output::Verdict;
use super::report::{Detail, FailureKind, Report, SeqRange};
use super::time::Instant;
use super::vecs::{put_at, take_at};

/// Reported holes remembered for late arrivals, and the most one ack names.
const LOST_RANGES: usize = 64;
/// Delivered events after which the cumulative ack goes out at once, whatever
/// [`ACK_DELAY_MS`] says.
pub(crate) const ACK_EVERY: u32 = 64;
/// The longest a delivered event waits for its cumulative ack.
pub(crate) const ACK_DELAY_MS: u64 = 250;
/// A `seq` or `head_seq` further than this past the next expected one is a protocol violation
/// (a hostile or broken server), not a loss.
pub(crate) const MAX_SEQ_JUMP: u64 = 1 << 20;

/// What happened to an arriving event.
pub(crate) enum Arrival {
    /// Deliver it now (then drain [`Sequence::pop_ready`]).
    Deliver,
    /// Held until the hole before it fills or the window ends.
    Held,
    /// Already delivered or held: reported, dropped.
    Duplicate,
}

/// The state of one sequenced session.
pub(crate) struct Sequence {
    session: Option<String>,
    /// The next `seq` to deliver.
    next: u64,
    /// The highest `seq` the server said it sent.
    head: u64,
    held: Held,
    held_cap: usize,
    /// Reported holes, oldest first; at most `LOST_RANGES`.
    lost: Vec<SeqRange>,
    /// When the current hole's window ends; `None` when there is no hole or while disconnected.
    deadline: Option<Instant>,
    /// `out_of_order` already reported for the current hole.
    reorder_reported: bool,
    /// Delivered since the last cumulative ack.
    unacked: u32,
    /// Ranges given up on since the last ack (`from`, `to`), for the next ack to name; at most
    /// `LOST_RANGES`, and the ack is due when it holds that many.
    lost_unacked: Vec<(u64, u64)>,
}

impl Sequence {
    pub(crate) fn new(held_cap: usize) -> Self {
        Sequence {
            session: None,
            next: 1,
            head: 0,
            held: Held::default(),
            held_cap,
            lost: Vec::new(),
            deadline: None,
            reorder_reported: false,
            unacked: 0,
            lost_unacked: Vec::new(),
        }
    }

    /// The session being tracked.
    pub(crate) fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Starts tracking a new session whose server head is `head`: only later events are ours.
    pub(crate) fn start(&mut self, session: Option<String>, head: u64) {
        self.session = session;
        self.next = head.saturating_add(1);
        self.head = head;
        self.held.clear();
        self.lost.clear();
        self.lost_unacked.clear();
        self.deadline = None;
        self.reorder_reported = false;
    }

    /// The highest `seq` delivered in order.
    pub(crate) fn last_delivered(&self) -> u64 {
        self.next.saturating_sub(1)
    }

    /// Takes an arriving event with sequence number `seq`, of run `run`. `hold` makes the
    /// owned copy kept if the event must wait; it is called only then.
    pub(crate) fn arrive(
        &mut self,
        now: Instant,
        seq: u64,
        run: Option<&str>,
        hold: impl FnOnce() -> Incoming,
        window_ms: u64,
        out: &mut Vec<Report>,
    ) -> Arrival {
        let report = |kind: FailureKind, detail: Detail| {
            Report::new(kind, now, detail.done()).run(run).seq(SeqRange::new(seq, seq))
        };
        if seq < self.next {
            if let Some(i) = self.lost.iter().position(|r| r.contains(seq)) {
                self.unlose(i, seq);
                out.push(report(
                    FailureKind::OutOfOrder,
                    Detail::new("seq ").num(seq).text(" arrived after it was reported lost"),
                ));
                return Arrival::Deliver;
            }
            out.push(report(FailureKind::Duplicate, Detail::new("seq ").num(seq).text(" arrived again")));
            return Arrival::Duplicate;
        }
        if seq == self.next {
            self.next += 1;
            if self.held.remove(seq).is_some() {
                // The held copy came first; this one is delivered in its place.
                out.push(report(FailureKind::Duplicate, Detail::new("seq ").num(seq).text(" arrived again")));
            }
            if !self.held.is_empty() && !self.reorder_reported {
                self.reorder_reported = true;
                out.push(report(
                    FailureKind::OutOfOrder,
                    Detail::new("seq ").num(seq).text(" arrived after later events; delivered in order"),
                ));
            }
            return Arrival::Deliver;
        }
        if self.held.contains(seq) {
            out.push(report(FailureKind::Duplicate, Detail::new("seq ").num(seq).text(" arrived again")));
            return Arrival::Duplicate;
        }
        self.held.insert(seq, hold());
        if self.deadline.is_none() {
            self.deadline = Some(now.plus(window_ms));
        }
        if self.held.len() > self.held_cap || self.held.bytes > HELD_EVENT_BYTES {
            // No room to wait: the hole is declared now.
            self.deadline = Some(now);
        }
        Arrival::Held
    }

    /// The next held event if it is now in order.
    pub(crate) fn pop_ready(&mut self) -> Option<Incoming> {
        let event = self.held.pop_first_if(|seq| seq == self.next)?;
        self.next += 1;
        if self.held.is_empty() && self.head < self.next {
            self.deadline = None;
            self.reorder_reported = false;
        }
        Some(event)
    }

    /// Notes the server's head; a head beyond what arrived opens a hole with `window_ms` to fill.
    pub(crate) fn head(&mut self, now: Instant, head: u64, window_ms: u64) {
        if head > self.head {
            self.head = head;
        }
        if self.head >= self.next && self.deadline.is_none() {
            self.deadline = Some(now.plus(window_ms));
        }
    }

    /// Whether `n` is too far ahead to be believed.
    pub(crate) fn implausible(&self, n: u64) -> bool {
        n > self.next.saturating_add(MAX_SEQ_JUMP)
    }

    /// When the current hole's window ends.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Pushes the window's end back to `until` (after the page slept).
    pub(crate) fn defer(&mut self, until: Instant) {
        if let Some(d) = self.deadline.as_mut() {
            *d = (*d).max(until);
        }
    }

    /// Stops the window while disconnected: a hole may still be filled by the resume.
    pub(crate) fn suspend(&mut self) {
        self.deadline = None;
    }

    /// Ends the window: reports the holes and returns every held event, in order.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<Report>) -> Vec<Incoming> {
        self.deadline = None;
        self.reorder_reported = false;
        let held = self.held.take();
        let mut ready = Vec::with_capacity(held.len());
        for (seq, event) in held.into_iter().rev() {
            if seq < self.next {
                // Unreachable: held events always lie ahead of `next`.
                continue;
            }
            if seq > self.next {
                let range = SeqRange::new(self.next, seq - 1);
                out.push(self.lose(now, FailureKind::SeqGap, range, event.run_id.as_deref()));
            }
            self.next = seq + 1;
            ready.push(event);
        }
        if self.head >= self.next {
            let range = SeqRange::new(self.next, self.head);
            out.push(self.lose(now, FailureKind::TailGap, range, None));
            self.next = self.head + 1;
        }
        ready
    }

    fn lose(&mut self, now: Instant, kind: FailureKind, range: SeqRange, run_id: Option<&str>) -> Report {
        self.remember_lost(range);
        if let (Some(to), true) = (range.to, self.lost_unacked.len() < LOST_RANGES) {
            self.lost_unacked.push((range.from, to));
        }
        let what = if kind == FailureKind::TailGap {
            " never arrived (server head is "
        } else {
            " never arrived (later events did"
        };
        let detail = Detail::new("events ").range(range).text(what);
        let detail = if kind == FailureKind::TailGap { detail.num(self.head).text(")") } else { detail.text(")") };
        Report::new(kind, now, detail.done()).run(run_id).seq(range)
    }

    /// Remembers a reported hole, forgetting the oldest one when `LOST_RANGES` are held.
    fn remember_lost(&mut self, range: SeqRange) {
        if self.lost.len() >= LOST_RANGES {
            take_at(&mut self.lost, 0);
        }
        self.lost.push(range);
    }

    /// Takes `seq` out of the remembered hole at `index`, keeping what is left of it.
    fn unlose(&mut self, index: usize, seq: u64) {
        let Some(range) = take_at(&mut self.lost, index) else { return };
        if seq > range.from {
            self.lost.push(SeqRange::new(range.from, seq - 1));
        }
        if range.to.is_none_or(|to| seq < to) {
            self.lost.push(SeqRange { from: seq + 1, to: range.to });
        }
    }

    /// The server resumed our session, replaying from `from` up to `head`. Whatever below
    /// `from` was neither delivered nor held is lost; held events below `from` are returned
    /// for delivery, in order.
    pub(crate) fn resumed(
        &mut self,
        now: Instant,
        from: u64,
        head: u64,
        window_ms: u64,
    ) -> (Verdict, Vec<SeqRange>, Vec<Incoming>) {
        let mut missing = Vec::new();
        let mut ready = Vec::new();
        while self.next < from {
            let next = self.next;
            match self.held.pop_first_if(|seq| seq < from) {
                Some(event) => {
                    let seq = event.seq.unwrap_or(next);
                    if seq > next {
                        missing.push(SeqRange::new(next, seq - 1));
                    }
                    ready.push(event);
                    self.next = seq + 1;
                }
                None => {
                    missing.push(SeqRange::new(next, from - 1));
                    self.next = from;
                }
            }
        }
        for &range in &missing {
            self.remember_lost(range);
        }
        self.head(now, head, window_ms);
        if !self.held.is_empty() && self.deadline.is_none() {
            self.deadline = Some(now.plus(window_ms));
        }
        (if missing.is_empty() { Verdict::Full } else { Verdict::Partial }, missing, ready)
    }

    /// The server no longer knows our session: everything after what we delivered is gone.
    /// Switches to the new session.
    pub(crate) fn resume_failed(&mut self, new_session: Option<String>, new_head: u64) -> SeqRange {
        // Open-ended: the server's head is forgotten with the session.
        let missing = SeqRange { from: self.next, to: None };
        self.start(new_session, new_head);
        missing
    }

    /// Marks `seq`, which arrived, as never handed to the application (its output was
    /// dropped): the next ack names it lost. Joined to the last range when it follows it;
    /// when the ack already names [`LOST_RANGES`] ranges, the last one grows to reach it, so
    /// the ack may call lost a few events the application had, but never the reverse.
    pub(crate) fn undelivered(&mut self, seq: u64) {
        let full = self.lost_unacked.len() >= LOST_RANGES;
        match self.lost_unacked.last_mut() {
            Some((_, to)) if full || to.saturating_add(1) == seq => *to = seq.max(*to),
            _ => self.lost_unacked.push((seq, seq)),
        }
    }

    /// Counts a delivered event; true when a cumulative ack is due at once ([`ACK_EVERY`]
    /// events, or as many lost ranges as one ack names).
    pub(crate) fn delivered(&mut self) -> bool {
        self.unacked += 1;
        self.unacked >= ACK_EVERY || self.lost_unacked.len() >= LOST_RANGES
    }

    /// Whether an ack is owed: something was delivered or given up on since the last one.
    pub(crate) fn owes_ack(&self) -> bool {
        self.unacked > 0 || !self.lost_unacked.is_empty()
    }

    /// The cumulative ack to send (`{"type":"ack",…}`), if one is owed.
    pub(crate) fn take_ack(&mut self) -> Option<String> {
        if !self.owes_ack() {
            return None;
        }
        self.unacked = 0;
        let lost = core::mem::take(&mut self.lost_unacked);
        Some(frame::seq_ack(self.last_delivered(), &lost))
    }

    /// Events held for reordering.
    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }

    /// The bytes of the events held for reordering.
    pub(crate) fn held_bytes(&self) -> usize {
        self.held.bytes
    }
}

/// Events held for reordering, sorted by `seq`, highest first, so that the next in order pops
/// off the end (few, and rarely any: a sorted vector beats a tree here, in speed and in code
/// size).
#[derive(Default)]
struct Held {
    events: Vec<(u64, Incoming)>,
    /// The bytes of their texts ([`Incoming::bytes`]).
    bytes: usize,
}

impl Held {
    fn find(&self, seq: u64) -> Result<usize, usize> {
        self.events.binary_search_by(|(held, _)| seq.cmp(held))
    }

    fn contains(&self, seq: u64) -> bool {
        self.find(seq).is_ok()
    }

    fn insert(&mut self, seq: u64, event: Incoming) {
        if let Err(at) = self.find(seq) {
            self.bytes += event.bytes();
            put_at(&mut self.events, at, (seq, event));
        }
    }

    fn remove(&mut self, seq: u64) -> Option<Incoming> {
        let at = self.find(seq).ok()?;
        let (_, event) = take_at(&mut self.events, at)?;
        self.bytes = self.bytes.saturating_sub(event.bytes());
        Some(event)
    }

    /// The first event, if its `seq` passes `test`.
    fn pop_first_if(&mut self, test: impl FnOnce(u64) -> bool) -> Option<Incoming> {
        let (seq, _) = self.events.last()?;
        if !test(*seq) {
            return None;
        }
        let (_, event) = self.events.pop()?;
        self.bytes = self.bytes.saturating_sub(event.bytes());
        Some(event)
    }

    fn len(&self) -> usize {
        self.events.len()
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn clear(&mut self) {
        self.events.clear();
        self.bytes = 0;
    }

    /// Takes every held event, highest `seq` first.
    fn take(&mut self) -> Vec<(u64, Incoming)> {
        self.bytes = 0;
        core::mem::take(&mut self.events)
    }
}
