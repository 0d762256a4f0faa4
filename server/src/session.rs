//! Sequenced sessions: contiguous `seq` numbering, the replay buffer, and the registry that
//! keeps sessions alive across connections so a client can resume.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};
use tokio::sync::OwnedSemaphorePermit;

use crate::delivery::Ledger;
use crate::frames;
use crate::outbound::{Out, Sink};

/// At most this many sessions are kept; the oldest is forgotten first.
pub const MAX_SESSIONS: usize = 1000;
/// At most this many events are kept for replay per session; the oldest go first.
pub const MAX_BUFFERED: usize = 1000;

/// One sequenced session. Runs append to it whether or not a connection is attached.
pub struct Session {
    id: String,
    state: Mutex<State>,
    /// Every event numbered (sent or thrown away) and whether the client acked it.
    ledger: Arc<Ledger>,
}

#[derive(Default)]
struct State {
    /// The highest `seq` assigned, including events that were lost on purpose.
    head_seq: u64,
    /// Sent events not yet acknowledged, in `seq` order.
    buffer: VecDeque<(u64, Value)>,
    /// The attached connection (its id and sink).
    sink: Option<(u64, Sink)>,
    /// `resume_partial`: events from this `seq` on are lost (all but the last) at the next
    /// resume.
    lossy_from: Option<u64>,
    /// Removed from the registry (`restart`): runs on it stop.
    forgotten: bool,
}

/// What a successful resume did.
pub struct Resumed {
    pub from_seq: u64,
    pub head_seq: u64,
    pub replayed: usize,
}

impl Session {
    fn new(id: String, ledger: Arc<Ledger>) -> Self {
        Session { id, state: Mutex::new(State::default()), ledger }
    }

    /// What the session sent and the client acked.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The session id (`s-…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The highest `seq` assigned so far (lost events count).
    pub fn head_seq(&self) -> u64 {
        self.state().head_seq
    }

    /// Whether the session was forgotten by a simulated restart.
    pub fn is_forgotten(&self) -> bool {
        self.state().forgotten
    }

    /// Numbers `body` with the next `seq`, buffers it for replay, and returns the frame
    /// `{type, session, seq, …body}`.
    pub fn stamp(&self, body: Value) -> Value {
        self.stamp_locked(&mut self.state(), body)
    }

    /// [`Session::stamp`] and forward to the attached connection, under one lock.
    pub fn emit(&self, body: Value, permit: Option<OwnedSemaphorePermit>) -> Value {
        let mut state = self.state();
        let frame = self.stamp_locked(&mut state, body);
        if let Some((_, sink)) = &state.sink {
            let _ = sink.send(Out::Text(frame.to_string(), permit));
        }
        frame
    }

    /// Consumes the next `seq` for an event (`body`) that is never sent nor buffered; returns
    /// it.
    pub fn lose(&self, body: &Value) -> u64 {
        let mut state = self.state();
        state.head_seq += 1;
        self.ledger.sent(state.head_seq.to_string(), Some(state.head_seq), body, true);
        state.head_seq
    }

    /// Forwards `out` to the attached connection, if any (otherwise it is dropped).
    pub fn forward(&self, out: Out) {
        if let Some((_, sink)) = &self.state().sink {
            let _ = sink.send(out);
        }
    }

    /// Forgets buffered events up to and including `seq` (a cumulative client ack of
    /// `bytes`, which has all of them but those in the `lost` ranges).
    pub fn ack(&self, seq: u64, lost: &[(u64, u64)], bytes: usize) {
        self.ledger.ack(seq, lost, bytes);
        let mut state = self.state();
        while state.buffer.front().is_some_and(|(s, _)| *s <= seq) {
            state.buffer.pop_front();
        }
    }

    /// Attaches connection `conn` to a session it just created.
    pub fn attach(&self, conn: u64, sink: Sink) {
        self.state().sink = Some((conn, sink));
    }

    /// Attaches connection `conn` to this existing session for a client that has every
    /// event up to `last_seq`: queues `resumed` and the replay (each buffered frame with
    /// `seq > last_seq`, plus `"recovered": true`) on `sink`, then makes `sink` the live
    /// destination, all under one lock so no live event slips in between.
    pub fn resume(&self, conn: u64, sink: Sink, last_seq: u64) -> Resumed {
        let mut state = self.state();
        if let Some(from) = state.lossy_from.take() {
            let last = state.buffer.back().map(|(s, _)| *s);
            state.buffer.retain(|(s, _)| *s < from || Some(*s) == last);
        }
        let head_seq = state.head_seq;
        let from_seq = state.buffer.iter().map(|(s, _)| *s).find(|s| *s > last_seq).unwrap_or(head_seq + 1);
        let _ = sink.send(Out::Text(frames::resumed(&self.id, from_seq, head_seq).to_string(), None));
        let mut replayed = 0;
        for (_, frame) in state.buffer.iter().filter(|(s, _)| *s > last_seq) {
            let mut frame = frame.clone();
            if let Some(map) = frame.as_object_mut() {
                map.insert("recovered".to_owned(), Value::Bool(true));
            }
            let _ = sink.send(Out::Text(frame.to_string(), None));
            replayed += 1;
        }
        state.sink = Some((conn, sink));
        Resumed { from_seq, head_seq, replayed }
    }

    /// Detaches connection `conn` if it is the one attached; later events are only buffered.
    pub fn detach(&self, conn: u64) {
        let mut state = self.state();
        if state.sink.as_ref().is_some_and(|(c, _)| *c == conn) {
            state.sink = None;
        }
    }

    /// `resume_partial`: events produced from now on are lost from the replay buffer, all
    /// but the last, when the next resume happens.
    pub fn make_lossy(&self) {
        let mut state = self.state();
        state.lossy_from = Some(state.head_seq + 1);
    }

    fn stamp_locked(&self, state: &mut State, body: Value) -> Value {
        state.head_seq += 1;
        let seq = state.head_seq;
        let mut frame = Map::new();
        let mut rest = match body {
            Value::Object(map) => map,
            other => Map::from_iter([("data".to_owned(), other)]),
        };
        if let Some(kind) = rest.remove("type") {
            frame.insert("type".to_owned(), kind);
        }
        frame.insert("session".to_owned(), Value::from(self.id.as_str()));
        frame.insert("seq".to_owned(), Value::from(seq));
        frame.append(&mut rest);
        let frame = Value::Object(frame);
        self.ledger.sent(seq.to_string(), Some(seq), &frame, false);
        state.buffer.push_back((seq, frame.clone()));
        if state.buffer.len() > MAX_BUFFERED {
            state.buffer.pop_front();
        }
        frame
    }
}

/// All live sequenced sessions, by id; shared by every connection of the server.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    sessions: HashMap<String, Arc<Session>>,
    /// Ids in creation order, for eviction.
    order: VecDeque<String>,
}

impl Registry {
    fn inner(&self) -> MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates and registers a session named `id`, evicting the oldest beyond
    /// [`MAX_SESSIONS`].
    pub fn create(&self, id: String, ledger: Arc<Ledger>) -> Arc<Session> {
        let session = Arc::new(Session::new(id.clone(), ledger));
        let mut inner = self.inner();
        inner.sessions.insert(id.clone(), Arc::clone(&session));
        inner.order.push_back(id);
        while inner.order.len() > MAX_SESSIONS {
            if let Some(old) = inner.order.pop_front() {
                inner.sessions.remove(&old);
            }
        }
        session
    }

    /// The session named `id`, if the server still knows it.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.inner().sessions.get(id).cloned()
    }

    /// Forgets `session` as a restarted server would: resumes fail, and runs on it stop.
    pub fn forget(&self, session: &Session) {
        session.state().forgotten = true;
        let mut inner = self.inner();
        inner.sessions.remove(session.id());
        inner.order.retain(|id| id != session.id());
    }
}
