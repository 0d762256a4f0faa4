//! Delivery as the server sees it, the twin of the client's reports: every event the server
//! believes it sent — including those a fault scenario threw away after "sending" — and
//! whether the client confirmed it (netra `event_confirmation`, sequenced cumulative `ack`;
//! PROTOCOL.md, "Delivery confirmations"). `GET /debug/delivery` lists them per connection,
//! and a connection that closes logs each event it sent that was never confirmed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// An event unconfirmed for longer than this is overdue: the client does not have it.
pub const CONFIRM_DEADLINE: Duration = Duration::from_secs(2);
/// Events remembered per ledger; later ones are counted but not listed.
const MAX_ENTRIES: usize = 10_000;
/// Ledgers listed by `/debug/delivery`, the newest last.
const MAX_LEDGERS: usize = 64;

/// One event the server sent (or threw away).
struct Entry {
    /// Netra: the `event_id` the server gave it; sequenced: its `seq`.
    id: String,
    seq: Option<u64>,
    kind: String,
    run_id: Value,
    /// A fault scenario dropped it after "sending" it.
    thrown_away: bool,
    sent_at: Instant,
    confirmed: bool,
    /// Sequenced: an ack named it lost, so a later ack past it does not confirm it (the client
    /// names a lost range once).
    lost: bool,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    /// Events past [`MAX_ENTRIES`], not listed.
    unlisted: u64,
    next_event_id: u64,
    /// Confirmation frames (netra) or acks (sequenced) received, and their bytes.
    confirmations: u64,
    confirmation_bytes: u64,
    /// Confirmations naming no event the server sent.
    unknown: u64,
}

/// What one connection (netra) or one session (sequenced) sent, and what was confirmed.
pub struct Ledger {
    /// Which connection: `{conn, path_and_query, dialect, scenario}`.
    meta: Value,
    /// Netra events carry an `event_id` and are expected to be confirmed (`?confirm=1`);
    /// sequenced events always are (the `ack`).
    expects_confirmations: bool,
    state: Mutex<State>,
}

impl Ledger {
    pub fn new(meta: Value, expects_confirmations: bool) -> Self {
        Ledger { meta, expects_confirmations, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the client is expected to confirm this ledger's events.
    pub fn expects_confirmations(&self) -> bool {
        self.expects_confirmations
    }

    /// A fresh netra `event_id` for this connection: `ev-<conn>-<n>`.
    pub fn next_event_id(&self) -> String {
        let mut state = self.state();
        state.next_event_id += 1;
        let conn = self.meta.get("conn").cloned().unwrap_or(Value::Null);
        format!("ev-{conn}-{}", state.next_event_id)
    }

    /// Records an event sent (or, `thrown_away`, dropped by the scenario) under `id`.
    pub fn sent(&self, id: String, seq: Option<u64>, body: &Value, thrown_away: bool) {
        let mut state = self.state();
        if state.entries.len() >= MAX_ENTRIES {
            state.unlisted += 1;
            return;
        }
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("?").to_owned();
        let run_id = body
            .get("run_id")
            .or_else(|| body.get("data").and_then(|d| d.get("run_id")))
            .or_else(|| body.get("payload").and_then(|p| p.get("run_id")))
            .cloned()
            .unwrap_or(Value::Null);
        state.entries.push(Entry {
            id,
            seq,
            kind,
            run_id,
            thrown_away,
            sent_at: Instant::now(),
            confirmed: false,
            lost: false,
        });
    }

    /// Netra: the client confirmed the event `id` with a frame of `bytes`.
    pub fn confirm(&self, id: &str, bytes: usize) {
        let mut state = self.state();
        state.confirmations += 1;
        state.confirmation_bytes += bytes as u64;
        match state.entries.iter_mut().find(|e| e.id == id) {
            Some(entry) => entry.confirmed = true,
            None => state.unknown += 1,
        }
    }

    /// Sequenced: the client has every event up to `seq` but those in `lost` (inclusive
    /// ranges) and those an earlier ack named lost, said by an ack of `bytes`.
    pub fn ack(&self, seq: u64, lost: &[(u64, u64)], bytes: usize) {
        let mut state = self.state();
        state.confirmations += 1;
        state.confirmation_bytes += bytes as u64;
        for entry in &mut state.entries {
            let Some(s) = entry.seq else { continue };
            if lost.iter().any(|(from, to)| (*from..=*to).contains(&s)) {
                entry.lost = true;
            } else if s <= seq && !entry.lost {
                entry.confirmed = true;
            }
        }
    }

    /// `{…meta, sent, confirmed: [ids], unconfirmed: [{id, type, run_id, thrown_away,
    /// overdue}], confirmations, confirmation_bytes, unknown_confirmations, unlisted}`.
    pub fn json(&self) -> Value {
        let state = self.state();
        let now = Instant::now();
        let confirmed: Vec<&str> = state.entries.iter().filter(|e| e.confirmed).map(|e| e.id.as_str()).collect();
        let unconfirmed: Vec<Value> = state
            .entries
            .iter()
            .filter(|e| !e.confirmed)
            .map(|e| {
                json!({"id": e.id, "type": e.kind, "run_id": e.run_id, "thrown_away": e.thrown_away,
                       "overdue": now.duration_since(e.sent_at) > CONFIRM_DEADLINE})
            })
            .collect();
        let mut out = self.meta.clone();
        if let Some(map) = out.as_object_mut() {
            map.insert("expects_confirmations".into(), json!(self.expects_confirmations));
            map.insert("sent".into(), json!(state.entries.len() as u64 + state.unlisted));
            map.insert("confirmed".into(), json!(confirmed));
            map.insert("unconfirmed".into(), json!(unconfirmed));
            map.insert("confirmations".into(), json!(state.confirmations));
            map.insert("confirmation_bytes".into(), json!(state.confirmation_bytes));
            map.insert("unknown_confirmations".into(), json!(state.unknown));
            map.insert("unlisted".into(), json!(state.unlisted));
        }
        out
    }

    /// Logs each event the client was expected to confirm and did not (`who` names the
    /// connection).
    pub fn log_unconfirmed(&self, who: &str) {
        if !self.expects_confirmations {
            return;
        }
        for e in self.state().entries.iter().filter(|e| !e.confirmed) {
            let how = if e.thrown_away { " (the scenario threw it away)" } else { "" };
            eprintln!(
                "{who}: delivery: {} {} of run {} was never confirmed by the client{how}",
                e.kind, e.id, e.run_id
            );
        }
    }
}

/// The ledgers `/debug/delivery` lists, oldest first.
#[derive(Default)]
pub struct Ledgers(Mutex<VecDeque<Arc<Ledger>>>);

impl Ledgers {
    /// Lists `ledger` (forgetting the oldest past [`MAX_LEDGERS`]).
    pub fn add(&self, ledger: Arc<Ledger>) {
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        list.push_back(ledger);
        while list.len() > MAX_LEDGERS {
            list.pop_front();
        }
    }

    pub fn json(&self) -> Value {
        let list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Value::Array(list.iter().map(|l| l.json()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_confirms_up_to_its_seq_but_the_lost_ranges() {
        let ledger = Ledger::new(json!({"conn": 1}), true);
        for seq in 1..=6 {
            ledger.sent(seq.to_string(), Some(seq), &json!({"type": "agent_thinking", "run_id": "r"}), seq == 3);
        }
        ledger.ack(5, &[(3, 3)], 30);
        let listed = ledger.json();
        assert_eq!(listed["confirmed"], json!(["1", "2", "4", "5"]));
        let unconfirmed: Vec<&str> =
            listed["unconfirmed"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(unconfirmed, ["3", "6"]);
        assert_eq!(listed["unconfirmed"][0]["thrown_away"], json!(true));
        // A later ack past the hole does not name it again, and does not confirm it.
        ledger.ack(6, &[], 20);
        let unconfirmed = ledger.json()["unconfirmed"].as_array().map(|l| l.len());
        assert_eq!(unconfirmed, Some(1), "3 stays lost");
    }

    #[test]
    fn a_netra_confirmation_names_one_event() {
        let ledger = Ledger::new(json!({"conn": 7}), true);
        let id = ledger.next_event_id();
        assert_eq!(id, "ev-7-1");
        ledger.sent(id.clone(), None, &json!({"type": "tool_executing", "data": {"run_id": "r"}}), false);
        ledger.confirm("ev-7-9", 60);
        ledger.confirm(&id, 60);
        let listed = ledger.json();
        assert_eq!(listed["confirmed"], json!(["ev-7-1"]));
        assert_eq!(listed["unknown_confirmations"], json!(1));
        assert_eq!(listed["confirmation_bytes"], json!(120));
    }
}
