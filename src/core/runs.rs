//! The run watchdog: every agent run is checked from `agent_started` to its terminal event,
//! with its tool calls paired and its required events present.
//!
//! Findings that might be a reorder rather than a loss (`agent_started` after later events, a
//! `tool_completed` before its `tool_executing`, a tool still open at the close) wait for the
//! reorder window before they become losses; if the awaited event arrives meanwhile it is an
//! `out_of_order` warning instead.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::collections::{BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Reverse;

use super::budget::{RUN_OVERHEAD, RUN_TOOLS, RUN_TOOL_BYTES, TOOL_OVERHEAD};
use super::dedup::hash_bytes;
use super::keyset::KeySet;
use super::message::{MessageId, RunEnd};
use super::report::{char_prefix, Detail, FailureKind, IncidentId, Report, Severity};
use super::time::{earliest, Instant};
use super::vecs::{put_at, take_at};

/// Runs remembered after they leave the table, so that a late copy of one of their events is
/// not taken for a new run.
const RETIRED_RUNS: usize = 4096;

/// How many characters of an event type a report quotes.
const KIND_CHARS: usize = 64;

const AGENT_STARTED: &str = "agent_started";
const AGENT_THINKING: &str = "agent_thinking";
const AGENT_COMPLETED: &str = "agent_completed";
const TOOL_EXECUTING: &str = "tool_executing";
const TOOL_COMPLETED: &str = "tool_completed";

/// The event types of an agent's turn, the ones whose order and completeness the watchdog
/// checks, in the order of a turn.
pub const AGENT_EVENTS: [&str; 5] = [AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED];

/// The parts of an event the watchdog looks at.
pub(crate) struct RunEvent<'e> {
    pub(crate) kind: &'e str,
    pub(crate) run_id: &'e str,
    pub(crate) tool: Option<&'e str>,
}

struct Run {
    id: String,
    /// Hash of `id`, compared before the string.
    key: u64,
    /// Bit i set: `required[i]` was seen.
    seen: u32,
    started: bool,
    /// Later events came before `agent_started`: since when.
    start_missing_since: Option<Instant>,
    open_tools: Vec<String>,
    /// `tool_completed` without a prior `tool_executing`, and when it came.
    orphan_completions: Vec<(String, Instant)>,
    /// The bytes of the tool names in `open_tools` and `orphan_completions`.
    tool_bytes: usize,
    /// More tools than [`RUN_TOOLS`] or [`RUN_TOOL_BYTES`] allow: this run's tools are no
    /// longer paired (said once, as a `protocol_violation`).
    tools_unpaired: bool,
    /// When the terminal event came, and whether it was an error.
    closed: Option<(Instant, bool)>,
    /// Final checks done; the run is kept only to recognise late events.
    finished: bool,
    last_activity: Instant,
    /// Reported stalled in the current silence.
    stalled: bool,
    /// Numbers runs in table order (oldest first), and names the run in the queue.
    serial: u64,
    /// The time of the run's live entry in the queue: at or before its next due time.
    queued: Instant,
    /// The incident this run belongs to: later critical reports about it join it.
    incident: Option<IncidentId>,
    /// The user message whose turn this run answers, once known; kept after the turn ends,
    /// so that late reports about the run still name it.
    message: Option<MessageId>,
}

impl Run {
    fn open(&self) -> bool {
        self.closed.is_none() && !self.finished
    }

    /// A report about this run, with its message and incident: it may be judged on its way out
    /// of the table, when neither can be looked up any more.
    fn report(&self, kind: FailureKind, now: Instant, detail: Detail) -> Report {
        let mut report = Report::new(kind, now, detail.done()).run(Some(&self.id));
        report.message_id = self.message;
        report.incident = self.incident;
        report
    }

    /// The earliest of this run's deadlines: stall, reorder waits, final checks, or (finished)
    /// the end of its retention.
    fn next_due(&self, reorder_ms: u64, stall_ms: u64, retention_ms: u64) -> Instant {
        if self.finished {
            return self.last_activity.plus(retention_ms);
        }
        let mut next = match self.closed {
            Some((t, _)) => t.plus(reorder_ms),
            None if self.stalled => self.last_activity.plus(stall_ms.saturating_mul(2)),
            None => self.last_activity.plus(stall_ms),
        };
        if let Some(t) = self.start_missing_since {
            next = next.min(t.plus(reorder_ms));
        }
        for (_, t) in &self.orphan_completions {
            next = next.min(t.plus(reorder_ms));
        }
        next
    }

    fn saw(&self, index: usize) -> bool {
        self.seen & 1u32.checked_shl(index as u32).unwrap_or(0) != 0
    }

    /// What the run holds, in bytes (see `budget`).
    fn bytes(&self) -> usize {
        let tools = self.open_tools.len() + self.orphan_completions.len();
        RUN_OVERHEAD + self.id.len() + self.tool_bytes + tools * TOOL_OVERHEAD
    }

    /// Records a tool name in `open_tools` (or, `at` given, in `orphan_completions`) if the
    /// run's tool budget allows; past it, stops pairing the run's tools and says so.
    fn hold_tool(&mut self, now: Instant, tool: &str, at: Option<Instant>, out: &mut Vec<Report>) -> bool {
        if self.tools_unpaired {
            return false;
        }
        let count = self.open_tools.len() + self.orphan_completions.len();
        if count >= RUN_TOOLS || self.tool_bytes + tool.len() > RUN_TOOL_BYTES {
            self.tools_unpaired = true;
            self.open_tools.clear();
            self.orphan_completions.clear();
            self.tool_bytes = 0;
            let detail = Detail::new("more than ")
                .num(RUN_TOOLS as u64)
                .text(" tool calls (or ")
                .num(RUN_TOOL_BYTES as u64)
                .text(" bytes of tool names) open at once: this run's tools are no longer paired");
            out.push(self.report(FailureKind::ProtocolViolation, now, detail));
            return false;
        }
        self.tool_bytes += tool.len();
        match at {
            None => self.open_tools.push(tool.to_owned()),
            Some(at) => self.orphan_completions.push((tool.to_owned(), at)),
        }
        true
    }

    /// Forgets a tool name's bytes (its entry was taken out).
    fn release_tool(&mut self, tool: &str) {
        self.tool_bytes = self.tool_bytes.saturating_sub(tool.len());
    }

    /// Final checks of a closed run: tools still open, required events absent. Finishes it.
    fn close_checks(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) {
        // Waits still open (a page's sleep deferred them past the close's) end with the run.
        if self.start_missing_since.take().is_some() {
            self.start_lost(now, required, out);
        }
        for (tool, _) in core::mem::take(&mut self.orphan_completions) {
            self.orphan_lost(&tool, now, out);
        }
        let error = self.closed.is_some_and(|(_, error)| error);
        for tool in core::mem::take(&mut self.open_tools) {
            let detail = Detail::new("the run closed with tool ").text(&tool).text(" still executing");
            out.push(self.report(FailureKind::ToolUnfinished, now, detail));
        }
        self.tool_bytes = 0;
        for (i, name) in required.iter().enumerate() {
            let excused = (name == AGENT_STARTED && self.started) || (name == AGENT_COMPLETED && error);
            if !self.saw(i) && !excused && !repeated(required, i) {
                let detail = Detail::new("required event ").text(name).text(" never came before the run closed");
                out.push(self.report(FailureKind::MissingEvent, now, detail));
            }
        }
        self.finished = true;
    }

    /// The run's `agent_started` will not come: reported if it is required.
    fn start_lost(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) {
        self.started = true;
        if required.iter().any(|r| r == AGENT_STARTED) {
            let detail = Detail::new("agent_started never came, but later events of the run did");
            out.push(self.report(FailureKind::MissingEvent, now, detail));
        }
    }

    /// The `tool_executing` of the completion of `tool` will not come.
    fn orphan_lost(&mut self, tool: &str, now: Instant, out: &mut Vec<Report>) {
        self.release_tool(tool);
        let detail = Detail::new("tool_completed for ").text(tool).text(" came without its tool_executing");
        out.push(self.report(FailureKind::MissingEvent, now, detail));
    }

    /// Reports what has come due: reorder waits, the final checks, stalls.
    fn expire(&mut self, now: Instant, required: &[String], reorder_ms: u64, stall_ms: u64, out: &mut Vec<Report>) {
        if self.start_missing_since.is_some_and(|t| t.plus(reorder_ms) <= now) {
            self.start_missing_since = None;
            self.start_lost(now, required, out);
        }
        for (tool, at) in core::mem::take(&mut self.orphan_completions) {
            if at.plus(reorder_ms) <= now {
                self.orphan_lost(&tool, now, out);
            } else {
                self.orphan_completions.push((tool, at));
            }
        }
        match self.closed {
            Some((at, _)) if at.plus(reorder_ms) <= now => self.close_checks(now, required, out),
            Some(_) => {}
            None if self.last_activity.plus(stall_ms) > now => {}
            None if !self.stalled => {
                self.stalled = true;
                let detail = Detail::new("no event for ")
                    .num(now.since(self.last_activity))
                    .text(" ms and the run has not completed");
                out.push(self.report(FailureKind::RunStalled, now, detail));
            }
            None if self.last_activity.plus(stall_ms.saturating_mul(2)) <= now => {
                // A second silence as long: the run is abandoned.
                let silent = now.since(self.last_activity);
                for (i, name) in required.iter().enumerate() {
                    if !(self.saw(i) || name == AGENT_STARTED && self.started || repeated(required, i)) {
                        let detail = Detail::new("required event ")
                            .text(name)
                            .text(" never came: run silent for ")
                            .num(silent)
                            .text(" ms");
                        out.push(self.report(FailureKind::MissingEvent, now, detail));
                    }
                }
                self.finished = true;
            }
            None => {}
        }
    }
}

impl Run {
    /// The run leaves the table before its deadlines: every wait still pending is decided
    /// now, as if its window had ended — a loss it was waiting on is reported, not forgotten —
    /// and a closed run gets its final checks.
    fn settle(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) {
        // Waits deferred past now (after the page slept) end now too.
        let starts = [self.start_missing_since.as_mut(), self.closed.as_mut().map(|(at, _)| at)];
        for at in starts.into_iter().flatten().chain(self.orphan_completions.iter_mut().map(|(_, at)| at)) {
            *at = (*at).min(now);
        }
        // A window of zero ends every wait now; stalls are not decided early.
        self.expire(now, required, 0, u64::MAX, out);
    }
}

/// Whether `required[index]` repeats an entry before it (a repeated entry is required once).
fn repeated(required: &[String], index: usize) -> bool {
    required.get(..index).zip(required.get(index)).is_some_and(|(before, name)| before.contains(name))
}

/// The run table. Bounded by `cap`: finished runs leave first; if every run is open, the one
/// silent longest stops being watched and a `run_stalled` warning says so.
pub(crate) struct Runs {
    /// Oldest first: eviction mostly takes the front, lookups mostly hit the back. Boxed, so
    /// that a run leaving the front moves pointers, not runs.
    #[allow(clippy::vec_box, reason = "evicting from the front of a full table must not move every run")]
    runs: Vec<Box<Run>>,
    /// Due times, earliest first, with their run's serial. Every run has one live entry, at
    /// `Run::queued`; entries of runs gone or since re-queued are stale, skipped when met.
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The next run's serial.
    serial: u64,
    /// Serials of the runs due in one expiry, reused.
    due: Vec<u64>,
    /// The `key`s of the runs in the table: most events' runs are found at the back, and a
    /// new run's absence is known without a scan.
    keys: KeySet,
    /// The index of the run of the last event observed; stale once runs leave the table, so
    /// only a hint, checked against the id.
    recent: usize,
    /// Keys of the runs that left the table, oldest first, and whether each had closed; at
    /// most [`RETIRED_RUNS`].
    retired: VecDeque<(u64, bool)>,
    /// The keys of those that had closed: a later event of one is a late copy or straggler.
    retired_keys: KeySet,
    /// The keys of those evicted while still open: a later event of one resumes watching it.
    evicted_keys: KeySet,
    /// Runs that left the watchdog since the last [`take_ended`](Self::take_ended), and how.
    ended: Vec<(String, RunEnd)>,
    /// The runs that left the table during the current input, with their incidents: reports
    /// about them may still be on their way out (see [`Runs::forget_departed`]).
    departed: Vec<(String, Option<IncidentId>)>,
    cap: usize,
    reorder_ms: u64,
    stall_ms: u64,
    retention_ms: u64,
}

/// What observing one event changed.
pub(crate) struct Observed {
    /// The event opened a run not seen before.
    pub(crate) new_run: bool,
    /// A deadline this event created; the caller's timer must fire no later.
    pub(crate) deadline: Option<Instant>,
    /// The event came after its run had closed (a late copy, or a straggler): it is reported
    /// as `out_of_order` and must not be delivered, so a finished turn never reopens.
    pub(crate) withheld: bool,
}

impl Runs {
    pub(crate) fn new(cap: usize, reorder_ms: u64, stall_ms: u64, retention_ms: u64) -> Self {
        Runs {
            runs: Vec::new(),
            queue: BinaryHeap::new(),
            serial: 0,
            due: Vec::new(),
            keys: KeySet::new(),
            recent: 0,
            retired: VecDeque::new(),
            retired_keys: KeySet::new(),
            evicted_keys: KeySet::new(),
            ended: Vec::new(),
            departed: Vec::new(),
            cap,
            reorder_ms,
            stall_ms,
            retention_ms,
        }
    }

    fn required_bit(required: &[String], kind: &str) -> u32 {
        required.iter().position(|r| r == kind).map_or(0, |i| 1u32.checked_shl(i as u32).unwrap_or(0))
    }

    /// Checks one delivered event against its run's lifecycle.
    pub(crate) fn observe(
        &mut self,
        now: Instant,
        event: &RunEvent<'_>,
        required: &[String],
        out: &mut Vec<Report>,
    ) -> Observed {
        let (observed, index) = self.observe_run(now, event, required, out);
        let (reorder_ms, stall_ms, retention_ms) = (self.reorder_ms, self.stall_ms, self.retention_ms);
        if let Some(run) = self.runs.get_mut(index) {
            let due = run.next_due(reorder_ms, stall_ms, retention_ms);
            if due < run.queued {
                run.queued = due;
                self.queue.push(Reverse((due, run.serial)));
                if self.queue.len() > 2 * self.runs.len() + 16 {
                    self.requeue();
                }
            }
        }
        observed
    }

    /// [`Runs::observe`] but for the run's due time; also returns the run's index.
    fn observe_run(
        &mut self,
        now: Instant,
        event: &RunEvent<'_>,
        required: &[String],
        out: &mut Vec<Report>,
    ) -> (Observed, usize) {
        let bit = Self::required_bit(required, event.kind);
        let (reorder_ms, stall_ms) = (self.reorder_ms, self.stall_ms);
        let mut deadline = None;
        let mut new_run = false;
        let index = match self.index_of(event.run_id) {
            Ok(i) => i,
            Err(key) if self.retired_keys.contains(key) => {
                let kind = char_prefix(event.kind, KIND_CHARS);
                let detail =
                    Detail::new(kind).text(" arrived after its run had closed and left the run table; not delivered");
                out.push(Report::new(FailureKind::OutOfOrder, now, detail.done()).run(Some(event.run_id)));
                return (Observed { new_run, deadline, withheld: true }, usize::MAX);
            }
            Err(key) => {
                // A run evicted while open was started (or already judged): no second report.
                // Its tools opened before are unknown, so its tools are no longer paired.
                let resumed = self.evicted_keys.contains(key);
                self.make_room(now, required, out);
                new_run = !resumed;
                self.runs.push(Box::new(Run {
                    id: event.run_id.to_owned(),
                    key,
                    seen: 0,
                    started: resumed,
                    start_missing_since: None,
                    open_tools: Vec::new(),
                    orphan_completions: Vec::new(),
                    tool_bytes: 0,
                    tools_unpaired: resumed,
                    closed: None,
                    finished: false,
                    last_activity: now,
                    stalled: false,
                    serial: self.serial,
                    queued: Instant::from_millis(u64::MAX),
                    incident: None,
                    message: None,
                }));
                self.serial += 1;
                self.keys.insert(key);
                deadline = Some(now.plus(stall_ms));
                self.runs.len() - 1
            }
        };
        self.recent = index;
        let Some(run) = self.runs.get_mut(index) else {
            return (Observed { new_run, deadline, withheld: false }, index);
        };
        let report = |kind: FailureKind, detail: Detail| Report::new(kind, now, detail.done()).run(Some(event.run_id));
        run.seen |= bit;
        run.last_activity = now;
        run.stalled = false;

        if run.finished || (run.closed.is_some() && !Self::may_follow_close(run, event)) {
            out.push(report(
                FailureKind::OutOfOrder,
                Detail::new(char_prefix(event.kind, KIND_CHARS))
                    .text(" arrived after its run had closed; not delivered"),
            ));
            return (Observed { new_run, deadline, withheld: true }, index);
        }

        match event.kind {
            AGENT_STARTED => {
                if run.start_missing_since.take().is_some() {
                    out.push(report(
                        FailureKind::OutOfOrder,
                        Detail::new("agent_started arrived after later events of its run"),
                    ));
                } else if run.started {
                    out.push(report(FailureKind::OutOfOrder, Detail::new("a second agent_started for the same run")));
                }
                run.started = true;
            }
            TOOL_EXECUTING => {
                let tool = event.tool.unwrap_or("");
                if let Some(i) = run.orphan_completions.iter().position(|(t, _)| t == tool) {
                    take_at(&mut run.orphan_completions, i);
                    run.release_tool(tool);
                    out.push(report(
                        FailureKind::OutOfOrder,
                        Detail::new("tool_executing for ").text(tool).text(" arrived after its tool_completed"),
                    ));
                } else {
                    run.hold_tool(now, tool, None, out);
                }
            }
            TOOL_COMPLETED => {
                let tool = event.tool.unwrap_or("");
                if let Some(i) = run.open_tools.iter().position(|t| t == tool) {
                    take_at(&mut run.open_tools, i);
                    run.release_tool(tool);
                    if run.closed.is_some() {
                        out.push(report(
                            FailureKind::OutOfOrder,
                            Detail::new("tool_completed for ").text(tool).text(" arrived after its run closed"),
                        ));
                    }
                } else if run.hold_tool(now, tool, Some(now), out) {
                    deadline = earliest(deadline, now.plus(reorder_ms));
                }
            }
            // The normal end, and the terminal events that end a run with an error.
            kind @ (AGENT_COMPLETED | "agent_error" | "agent_failed" | "agent_death" | "agent_cancelled") => {
                let error = kind != AGENT_COMPLETED;
                run.closed = Some((now, error));
                deadline = earliest(deadline, now.plus(reorder_ms));
                if error {
                    out.push(report(FailureKind::ServerError, Detail::new("run ended with ").text(kind)));
                }
            }
            _ => {}
        }
        if !run.started && run.start_missing_since.is_none() && event.kind != AGENT_STARTED {
            run.start_missing_since = Some(now);
            deadline = earliest(deadline, now.plus(reorder_ms));
        }
        (Observed { new_run, deadline, withheld: false }, index)
    }

    /// Run `id`, if it is in the table.
    fn get(&self, id: &str) -> Option<&Run> {
        self.index_of(id).ok().and_then(|i| self.runs.get(i)).map(Box::as_ref)
    }

    /// Run `id`, if it is in the table, to change.
    fn get_mut(&mut self, id: &str) -> Option<&mut Run> {
        self.index_of(id).ok().and_then(|i| self.runs.get_mut(i)).map(Box::as_mut)
    }

    /// The index of run `id` in the table, or the key of an absent one. Most events belong to
    /// the run of the event before: that run is compared first, without hashing.
    fn index_of(&self, id: &str) -> Result<usize, u64> {
        if self.runs.get(self.recent).is_some_and(|r| r.id == id) {
            return Ok(self.recent);
        }
        // Non-zero, as the key set wants.
        let key = hash_bytes(id.as_bytes()).max(1);
        let found =
            if self.keys.contains(key) { self.runs.iter().rposition(|r| r.key == key && r.id == id) } else { None };
        found.ok_or(key)
    }

    /// After the terminal event only the completion of a still-open tool may come (any
    /// completion, once the run's tools are no longer paired).
    fn may_follow_close(run: &Run, event: &RunEvent<'_>) -> bool {
        event.kind == TOOL_COMPLETED
            && (run.tools_unpaired || run.open_tools.iter().any(|t| Some(t.as_str()) == event.tool))
    }

    /// The index of the run whose last event is the oldest (the first of equals).
    fn silent_longest(&self) -> Option<usize> {
        let mut oldest: Option<(usize, Instant)> = None;
        for (i, run) in self.runs.iter().enumerate() {
            if oldest.is_none_or(|(_, at)| run.last_activity < at) {
                oldest = Some((i, run.last_activity));
            }
        }
        oldest.map(|(i, _)| i)
    }

    /// Frees a slot if the table is full: a finished run if any; else a closed run; else the
    /// run silent longest, with a `run_stalled` warning. The run leaving is settled first:
    /// what it was waiting on is decided now, so that no loss leaves with it.
    fn make_room(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) {
        if self.runs.len() < self.cap {
            return;
        }
        let victim = (self.runs.iter().position(|r| r.finished))
            .or_else(|| self.runs.iter().position(|r| r.closed.is_some()))
            .or_else(|| self.silent_longest());
        let Some(i) = victim else { return };
        if i >= self.runs.len() {
            return;
        }
        // `Vec::remove`, not `take_at`: the table is long and this is on the per-event path
        // when it is full.
        let mut run = self.runs.remove(i);
        self.keys.remove(run.key);
        self.retire(run.key, !run.open());
        self.departed.push((run.id.clone(), run.incident));
        if run.finished {
            return;
        }
        let open = run.open();
        run.settle(now, required, out);
        let end = if run.finished { RunEnd::Closed } else { RunEnd::Abandoned };
        self.ended.push((run.id.clone(), end));
        if open {
            let detail =
                Detail::new("run table full (runTableCap ").num(self.cap as u64).text("): stopped watching this run");
            out.push(run.report(FailureKind::RunStalled, now, detail).severity(Severity::Warning));
        }
    }

    /// Remembers that the run keyed `key` left the table, `closed` or evicted while open.
    fn retire(&mut self, key: u64, closed: bool) {
        if self.retired.len() >= RETIRED_RUNS {
            if let Some((old, was_closed)) = self.retired.pop_front() {
                self.remembered(was_closed).remove(old);
            }
        }
        self.retired.push_back((key, closed));
        self.remembered(closed).insert(key);
    }

    fn remembered(&mut self, closed: bool) -> &mut KeySet {
        if closed {
            &mut self.retired_keys
        } else {
            &mut self.evicted_keys
        }
    }

    /// Reports every deadline that has passed and drops finished runs past their retention.
    /// Returns the earliest deadline still to come.
    pub(crate) fn expire(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) -> Option<Instant> {
        let (reorder_ms, stall_ms, retention_ms) = (self.reorder_ms, self.stall_ms, self.retention_ms);
        // The runs whose live entry has come, visited in table order as a sweep would.
        let mut due = core::mem::take(&mut self.due);
        while let Some(&Reverse((at, serial))) = self.queue.peek() {
            if at > now {
                break;
            }
            self.queue.pop();
            if let Some(run) = find(&mut self.runs, serial).filter(|r| r.queued == at) {
                run.queued = Instant::from_millis(u64::MAX);
                // Kept sorted: serials are in table order. Few runs fall due at once.
                let at = due.partition_point(|&s| s < serial);
                put_at(&mut due, at, serial);
            }
        }
        let mut retiring = Vec::new();
        for &serial in &due {
            let Some(run) = find(&mut self.runs, serial) else { continue };
            // The entry may be early: the run's due time may have moved since it was queued.
            let was_finished = run.finished;
            if run.next_due(reorder_ms, stall_ms, retention_ms) <= now && !run.finished {
                run.expire(now, required, reorder_ms, stall_ms, out);
                if run.finished {
                    let end = if run.closed.is_some() { RunEnd::Closed } else { RunEnd::Abandoned };
                    self.ended.push((run.id.clone(), end));
                }
            }
            let next = run.next_due(reorder_ms, stall_ms, retention_ms);
            // A run that finished just now stays until the next expiry: its reports are still
            // to be tied to its incident.
            if was_finished && next <= now {
                retiring.push(serial);
            } else {
                run.queued = next;
                self.queue.push(Reverse((next, serial)));
            }
        }
        due.clear();
        self.due = due;
        if !retiring.is_empty() {
            let mut leaving = Vec::new();
            let departed = &mut self.departed;
            self.runs.retain(|r| {
                let keep = !retiring.contains(&r.serial);
                if !keep {
                    leaving.push(r.key);
                    if r.incident.is_some() {
                        departed.push((r.id.clone(), r.incident));
                    }
                }
                keep
            });
            for key in leaving {
                self.keys.remove(key);
                self.retire(key, true);
            }
        }
        self.next_deadline()
    }

    /// Rebuilds the queue with one exact entry per run.
    fn requeue(&mut self) {
        let (reorder_ms, stall_ms, retention_ms) = (self.reorder_ms, self.stall_ms, self.retention_ms);
        let mut entries = core::mem::take(&mut self.queue).into_vec();
        entries.clear();
        for run in self.runs.iter_mut() {
            run.queued = run.next_due(reorder_ms, stall_ms, retention_ms);
            entries.push(Reverse((run.queued, run.serial)));
        }
        self.queue = BinaryHeap::from(entries);
    }

    /// Pushes every deadline earlier than `until` back to `until` (after the page slept).
    /// Returns the earliest deadline still to come.
    pub(crate) fn defer(&mut self, until: Instant) -> Option<Instant> {
        let shift = |t: &mut Instant, span: u64| {
            if t.plus(span) < until {
                *t = Instant::from_millis(until.as_millis().saturating_sub(span));
            }
        };
        let (reorder_ms, stall_ms) = (self.reorder_ms, self.stall_ms);
        for run in self.runs.iter_mut().filter(|r| !r.finished) {
            shift(&mut run.last_activity, stall_ms);
            if let Some(t) = run.start_missing_since.as_mut() {
                shift(t, reorder_ms);
            }
            for (_, t) in run.orphan_completions.iter_mut() {
                shift(t, reorder_ms);
            }
            if let Some((t, _)) = run.closed.as_mut() {
                shift(t, reorder_ms);
            }
        }
        self.requeue();
        self.next_deadline()
    }

    /// The earliest deadline still to come (stalls, reorder waits, final checks, retention).
    /// Settles the queue's head first: stale entries go, an early one moves to its run's
    /// due time, until the head is exact.
    fn next_deadline(&mut self) -> Option<Instant> {
        let (reorder_ms, stall_ms, retention_ms) = (self.reorder_ms, self.stall_ms, self.retention_ms);
        while let Some(&Reverse((at, serial))) = self.queue.peek() {
            let Some(run) = find(&mut self.runs, serial).filter(|r| r.queued == at) else {
                self.queue.pop();
                continue;
            };
            let due = run.next_due(reorder_ms, stall_ms, retention_ms);
            if due == at {
                return Some(at);
            }
            run.queued = due;
            self.queue.pop();
            self.queue.push(Reverse((due, serial)));
        }
        None
    }

    /// The runs that left the watchdog since the last call (finished, abandoned or evicted
    /// while open), in order.
    pub(crate) fn take_ended(&mut self) -> Vec<(String, RunEnd)> {
        core::mem::take(&mut self.ended)
    }

    /// Whether runs left the watchdog since the last [`take_ended`](Self::take_ended).
    pub(crate) fn has_ended(&self) -> bool {
        !self.ended.is_empty()
    }

    /// Runs their final checks on the runs whose terminal event came, without waiting out the
    /// reorder window: the connection is closed, so nothing more can arrive.
    pub(crate) fn conclude_closed(&mut self, now: Instant, required: &[String], out: &mut Vec<Report>) {
        let stall_ms = self.stall_ms;
        for run in self.runs.iter_mut().filter(|r| r.closed.is_some() && !r.finished) {
            run.expire(now, required, 0, stall_ms, out);
            if run.finished {
                self.ended.push((run.id.clone(), RunEnd::Closed));
            }
        }
    }

    /// The incident run `id` belongs to, if it is in the table and belongs to one.
    pub(crate) fn incident(&self, id: &str) -> Option<IncidentId> {
        match self.get(id) {
            Some(run) => run.incident,
            None => self.departed.iter().find(|(d, _)| d == id).and_then(|(_, incident)| *incident),
        }
    }

    /// The user message run `id` answers, if it is in the table and known to answer one.
    pub(crate) fn message(&self, id: &str) -> Option<MessageId> {
        self.get(id).and_then(|r| r.message)
    }

    /// Records that run `id` (if in the table) answers `message`.
    pub(crate) fn answers(&mut self, id: &str, message: MessageId) {
        if let Some(run) = self.get_mut(id) {
            run.message = Some(message);
        }
    }

    /// Makes run `id` (in the table, or departed during this input) belong to `incident`,
    /// unless it already belongs to one.
    pub(crate) fn join(&mut self, id: &str, incident: IncidentId) {
        if let Some(run) = self.get_mut(id) {
            run.incident.get_or_insert(incident);
        } else if let Some((_, joined)) = self.departed.iter_mut().find(|(d, _)| d == id) {
            joined.get_or_insert(incident);
        }
    }

    /// Ends the current input: the runs that departed during it are forgotten.
    pub(crate) fn forget_departed(&mut self) {
        self.departed.clear();
    }

    /// Makes every open run without an incident belong to `incident` (a loss of the
    /// connection's stream may have taken any of their events).
    pub(crate) fn join_open(&mut self, incident: IncidentId) {
        for run in self.runs.iter_mut().filter(|r| r.open()) {
            run.incident.get_or_insert(incident);
        }
    }

    /// Runs not yet closed.
    pub(crate) fn open_count(&self) -> usize {
        self.runs.iter().filter(|r| r.open()).count()
    }

    /// What the table holds, in bytes (see `budget`).
    pub(crate) fn bytes(&self) -> usize {
        self.runs.iter().map(|r| r.bytes()).sum::<usize>()
            + self.retired.len() * (core::mem::size_of::<(u64, bool)>() + core::mem::size_of::<u64>())
    }
}

/// The run numbered `serial`, if it is still in the table. Runs mostly leave from the front,
/// so the distance from the first serial is usually the index; else a binary search.
fn find(runs: &mut [Box<Run>], serial: u64) -> Option<&mut Run> {
    let first = runs.first()?.serial;
    let guess = usize::try_from(serial.checked_sub(first)?).ok()?;
    let i = match runs.get(guess) {
        Some(r) if r.serial == serial => guess,
        _ => runs.binary_search_by_key(&serial, |r| r.serial).ok()?,
    };
    runs.get_mut(i).map(|run| &mut **run)
}
