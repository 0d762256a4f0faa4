//! One WebSocket connection: handshake, client frames, the outbound writer, idle heartbeats
//! and connection-level faults.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};

use crate::delivery::{Ledger, Ledgers};
use crate::frames::{self, RunCtx};
use crate::outbound::{self, Out, Outlet, Sink};
use crate::params::{Dialect, Params, RunIdForm};
use crate::run::{self, Run};
use crate::scenario::{ConnFault, Scenario};
use crate::session::{Registry, Session};

/// How long to wait for the client's reply to our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The per-connection state the client's frames act on.
struct Conn {
    id: u64,
    /// The server process's nonce: run ids differ between processes as session ids do.
    nonce: u64,
    params: Arc<Params>,
    registry: Arc<Registry>,
    /// This connection's own outbound queue.
    tx: Sink,
    user_id: String,
    /// sequenced: the session this connection is attached to.
    session: Option<Arc<Session>>,
    /// What this connection (netra) or its first session (sequenced) sent, and what the
    /// client confirmed; `meta` describes the connection.
    ledger: Arc<Ledger>,
    ledgers: Arc<Ledgers>,
    meta: Value,
    /// User messages received so far (the next run's number is `runs + 1`).
    runs: u64,
    /// Resumed an existing session: no connection-level fault on this connection.
    resumed: bool,
    /// `flood` already started.
    flooded: bool,
}

/// What the writer does after handling an outbound message.
enum Next {
    Continue,
    /// Stop sending, keep reading.
    Mute,
    /// End the connection by dropping the socket (no close frame).
    Drop,
    /// Send a close frame, then end.
    Close,
}

/// Where a connection is registered: the sessions (sequenced) and the delivery ledgers, with
/// the connection's description (`{id, path_and_query, dialect, scenario}`) for the latter.
pub struct Registries {
    pub sessions: Arc<Registry>,
    pub ledgers: Arc<Ledgers>,
    pub meta: Value,
}

/// Serves connection `id` until the socket ends or a fault ends it. `session_id` names the
/// fresh session a sequenced connection starts on.
pub async fn serve(
    mut socket: WebSocket,
    id: u64,
    nonce: u64,
    params: Arc<Params>,
    registries: Registries,
    session_id: String,
) {
    let Registries { sessions: registry, ledgers, meta } = registries;
    let ledger = Arc::new(Ledger::new(meta.clone(), params.confirm));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut conn = Conn {
        ledger,
        ledgers,
        meta,
        id,
        nonce,
        params: Arc::clone(&params),
        registry,
        tx,
        user_id: format!("u_{:08x}", params.seed),
        session: None,
        runs: 0,
        resumed: false,
        flooded: false,
    };
    conn.handshake(session_id);
    if params.scenario == Scenario::CloseAfterHandshake {
        let _ = conn.tx.send(Out::Fault(ConnFault::CloseCode));
    }
    let mut muted = false;
    let mut idle_deadline = Instant::now() + params.heartbeat;
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => conn.on_text(text.as_str()),
                Some(Ok(Message::Binary(_))) => eprintln!("conn {id}: ignored a binary frame"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(err)) => {
                    eprintln!("conn {id}: read error: {err}");
                    break;
                }
            },
            Some(out) = rx.recv() => {
                let next = match out {
                    Out::Text(_, _) if muted => Next::Continue,
                    Out::Text(text, _permit) => {
                        idle_deadline = Instant::now() + params.heartbeat;
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                        Next::Continue
                    }
                    Out::Fault(fault) => conn.fault(fault),
                };
                match next {
                    Next::Continue => {}
                    Next::Mute => muted = true,
                    Next::Drop => break,
                    Next::Close => {
                        close(&mut socket, &params).await;
                        break;
                    }
                }
            },
            () = sleep_until(idle_deadline), if !muted => {
                idle_deadline = Instant::now() + params.heartbeat;
                let beat = conn.liveness("heartbeat", json!({}));
                if socket.send(Message::Text(beat.to_string().into())).await.is_err() {
                    break;
                }
            },
        }
    }
    if let Some(session) = &conn.session {
        session.detach(id);
    }
    conn.ledger.log_unconfirmed(&format!("conn {id}"));
    eprintln!("conn {id}: closed");
}

/// The `"lost": [[from, to], …]` ranges of a sequenced ack (none if absent or malformed).
fn lost_ranges(ack: &Value) -> Vec<(u64, u64)> {
    let ranges = ack.get("lost").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    ranges
        .iter()
        .filter_map(|range| match range.as_array().map(Vec::as_slice) {
            Some([from, to]) => Some((from.as_u64()?, to.as_u64()?)),
            _ => None,
        })
        .collect()
}

/// `many_runs`: the message's run (which loses its `tool_executing`), then `count` clean runs
/// back to back, each with a run id of its own: a long session that fills the client's run
/// table while the lossy run is still within its reorder window.
async fn many_runs(first: Run) {
    let clean = Arc::new(Params { scenario: Scenario::Clean, ..(*first.params).clone() });
    let (outlet, base, ctx, conn) = (first.outlet.clone(), first.ctx.run_id.clone(), first.ctx.clone(), first.conn);
    first.perform().await;
    eprintln!("conn {conn}: fault many_runs: {} more runs", clean.count);
    for i in 1..=clean.count {
        if !outlet.is_open() {
            return;
        }
        let ctx = RunCtx { run_id: format!("{base}_{i}"), ..ctx.clone() };
        let run = Run { params: Arc::clone(&clean), outlet: outlet.clone(), ctx, number: i + 1, fault: None, conn };
        run.perform().await;
    }
}

/// Sends the `close_code` scenario's close frame and waits briefly for the client's reply.
async fn close(socket: &mut WebSocket, params: &Params) {
    let frame = CloseFrame { code: params.close_code, reason: params.close_reason.as_str().into() };
    if socket.send(Message::Close(Some(frame))).await.is_ok() {
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

impl Conn {
    fn send(&self, frame: &Value) {
        outbound::send(&self.tx, frame, None);
    }

    /// Queues the handshake; sequenced also creates and attaches the fresh session.
    fn handshake(&mut self, session_id: String) {
        let connection_id = format!("conn_{}", self.id);
        let frame = match self.params.dialect {
            Dialect::Netra => {
                if self.params.confirm {
                    self.ledgers.add(Arc::clone(&self.ledger));
                }
                frames::netra_handshake(&connection_id, &self.user_id, self.params.confirm)
            }
            Dialect::Sequenced => {
                // The session's ledger outlives this connection, as the session does.
                self.ledger = Arc::new(Ledger::new(self.meta.clone(), true));
                self.ledgers.add(Arc::clone(&self.ledger));
                let session = self.registry.create(session_id, Arc::clone(&self.ledger));
                session.attach(self.id, self.tx.clone());
                let frame = frames::sequenced_handshake(&connection_id, &self.user_id, session.id());
                self.session = Some(session);
                frame
            }
        };
        self.send(&frame);
    }

    /// A liveness frame of type `kind`: netra with `data`, sequenced with `head_seq`.
    fn liveness(&self, kind: &str, data: Value) -> Value {
        match &self.session {
            Some(session) => frames::sequenced_liveness(kind, session.head_seq()),
            None => frames::netra_liveness(kind, data),
        }
    }

    /// Handles one client text frame. Malformed frames are logged (never their content) and
    /// ignored.
    fn on_text(&mut self, text: &str) {
        let frame: Value = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(err) => {
                eprintln!("conn {}: ignored a malformed client frame: {err}", self.id);
                return;
            }
        };
        let Some(kind) = frame.get("type").and_then(Value::as_str) else {
            eprintln!("conn {}: ignored a client frame without a string type", self.id);
            return;
        };
        let sequenced = self.params.dialect == Dialect::Sequenced;
        match kind {
            "user_message" => self.on_user_message(&frame),
            "ping" => {
                let data = json!({"timestamp": frame.get("timestamp")});
                self.send(&self.liveness("pong", data));
            }
            "heartbeat" => self.send(&self.liveness("heartbeat_ack", json!({}))),
            "heartbeat_ack" | "pong" => {}
            "ack" if sequenced => match (&self.session, frame.get("seq").and_then(Value::as_u64)) {
                (Some(session), Some(seq)) => session.ack(seq, &lost_ranges(&frame), text.len()),
                _ => eprintln!("conn {}: ignored an ack without a valid seq", self.id),
            },
            "event_confirmation" if !sequenced => match frame.get("event_id").and_then(Value::as_str) {
                Some(event_id) => self.ledger.confirm(event_id, text.len()),
                None => eprintln!("conn {}: ignored an event_confirmation without an event_id", self.id),
            },
            "resume" if sequenced => self.on_resume(&frame),
            other => self.send(&frames::unknown_ack(other)),
        }
    }

    /// Acknowledges a user message (unless `no_ack`) and starts its run (or the flood).
    fn on_user_message(&mut self, frame: &Value) {
        let payload = frame.get("payload");
        let field = |key: &str| payload.and_then(|p| p.get(key)).cloned();
        let message_id = match self.params.dialect {
            Dialect::Netra => field("message_id"),
            Dialect::Sequenced => frame.get("message_id").cloned().or_else(|| field("message_id")),
        }
        .unwrap_or(Value::Null);
        let thread_id =
            field("thread_id").and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_else(|| format!("th_{}", self.id));
        self.runs += 1;
        let number = self.runs;
        let ctx = RunCtx {
            run_id: self.run_id(number),
            thread_id,
            user_id: self.user_id.clone(),
            agent_name: run::agent_name(self.params.seed, number),
        };
        let scenario = self.params.scenario;
        match scenario {
            Scenario::Silent => {
                eprintln!("conn {}: fault silent: message {message_id} dropped unanswered", self.id);
                return;
            }
            Scenario::CleanupClose if number == 1 => {
                eprintln!("conn {}: fault cleanup_close: receive loop ends on message {message_id}", self.id);
                let _ = self.tx.send(Out::Fault(ConnFault::CloseCode));
                return;
            }
            _ => {}
        }
        if scenario == Scenario::NoAck {
            eprintln!("conn {}: fault no_ack: message {message_id} not acknowledged", self.id);
        } else {
            let ack = match self.params.dialect {
                Dialect::Netra => frames::netra_ack(&message_id, number),
                Dialect::Sequenced => frames::sequenced_ack(&message_id, &ctx.run_id),
            };
            self.send(&ack);
        }
        let outlet = match &self.session {
            Some(session) => Outlet::Sequenced(Arc::clone(session)),
            None => Outlet::Netra(self.tx.clone(), Arc::clone(&self.ledger)),
        };
        if scenario == Scenario::Flood {
            if !self.flooded {
                self.flooded = true;
                tokio::spawn(run::flood(Arc::clone(&self.params), outlet, ctx, self.id));
            }
            return;
        }
        let fault = if number == 1 && !self.resumed { scenario.conn_fault() } else { None };
        let run = Run { params: Arc::clone(&self.params), outlet, ctx, number, fault, conn: self.id };
        if scenario == Scenario::ManyRuns {
            tokio::spawn(many_runs(run));
        } else {
            tokio::spawn(run.perform());
        }
    }

    /// The id of the connection's `number`-th run: `run_<nonce>_<conn>_<number>`, or with
    /// `run_id=number` the same three as digits.
    fn run_id(&self, number: u64) -> String {
        match self.params.run_id {
            RunIdForm::Number => format!("{}{:06}{number:04}", self.nonce, self.id),
            RunIdForm::Text | RunIdForm::Null => format!("run_{:x}_{}_{number}", self.nonce, self.id),
        }
    }

    /// `resume {session, last_seq}`: continue a known session (replaying what the client
    /// missed) or answer `resume_failed` and stay on the current one.
    fn on_resume(&mut self, frame: &Value) {
        let Some(wanted) = frame.get("session").and_then(Value::as_str) else {
            eprintln!("conn {}: ignored a resume without a session", self.id);
            return;
        };
        let last_seq = frame.get("last_seq").and_then(Value::as_u64).unwrap_or(0);
        let Some(old) = self.registry.get(wanted) else {
            eprintln!("conn {}: resume of unknown session {wanted}", self.id);
            self.send(&frames::resume_failed(wanted));
            return;
        };
        if let Some(current) = &self.session {
            current.detach(self.id);
        }
        let done = old.resume(self.id, self.tx.clone(), last_seq);
        eprintln!(
            "conn {}: resumed {wanted} after seq {last_seq}: from_seq {} head_seq {} replayed {}",
            self.id, done.from_seq, done.head_seq, done.replayed
        );
        self.ledger = Arc::clone(old.ledger());
        self.session = Some(old);
        self.resumed = true;
    }

    /// Carries out a connection-level fault; the returned step tells the writer what next.
    /// (`resume_partial` has already marked the session lossy; see [`Outlet::fault`].)
    fn fault(&self, fault: ConnFault) -> Next {
        eprintln!("conn {}: fault {}: injected", self.id, self.params.scenario);
        match fault {
            ConnFault::HalfOpen => Next::Mute,
            ConnFault::CloseCode => Next::Close,
            ConnFault::Restart => {
                if let Some(session) = &self.session {
                    self.registry.forget(session);
                }
                Next::Drop
            }
            ConnFault::AbruptClose | ConnFault::ResumePartial => Next::Drop,
        }
    }
}
