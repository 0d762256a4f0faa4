//! The path from a run to a socket: outbound messages, a connection's sink, and the outlet a
//! run writes to (the connection directly in netra, the session in sequenced).

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use crate::delivery::Ledger;
use crate::scenario::ConnFault;
use crate::session::Session;

/// A message for a connection's writer, in send order.
#[derive(Debug)]
pub enum Out {
    /// A text frame. The permit, when present, is held until the frame is written, so a
    /// flood cannot queue more frames than its semaphore allows.
    Text(String, Option<OwnedSemaphorePermit>),
    /// Inject a connection-level fault at this point of the stream.
    Fault(ConnFault),
}

/// The sending half of a connection's outbound queue.
pub type Sink = mpsc::UnboundedSender<Out>;

/// Where a run's frames go.
#[derive(Clone)]
pub enum Outlet {
    /// netra: straight to the connection, whose ledger records each event; the run ends when
    /// the connection is gone.
    Netra(Sink, Arc<Ledger>),
    /// sequenced: through the session, which numbers and buffers events and forwards them to
    /// whichever connection is attached; the run outlives its connection.
    Sequenced(Arc<Session>),
}

impl Outlet {
    /// Whether frames can still go anywhere (a run stops once this is false).
    pub fn is_open(&self) -> bool {
        match self {
            Outlet::Netra(sink, _) => !sink.is_closed(),
            Outlet::Sequenced(session) => !session.is_forgotten(),
        }
    }

    /// Readies an event for sending and records it as sent: sequenced numbers and buffers it;
    /// netra gives it an `event_id` when the connection confirms events.
    pub fn stamp(&self, body: Value) -> Value {
        match self {
            Outlet::Netra(_, ledger) => identify(ledger, body, false),
            Outlet::Sequenced(session) => session.stamp(body),
        }
    }

    /// Stamps and sends an event as one step, so concurrent runs keep `seq` order on the wire.
    pub fn emit(&self, body: Value, permit: Option<OwnedSemaphorePermit>) -> Value {
        match self {
            Outlet::Netra(sink, ledger) => {
                let frame = identify(ledger, body, false);
                send(sink, &frame, permit);
                frame
            }
            Outlet::Sequenced(session) => session.emit(body, permit),
        }
    }

    /// Sends an already stamped event (again).
    pub fn send(&self, frame: &Value) {
        match self {
            Outlet::Netra(sink, _) => send(sink, frame, None),
            Outlet::Sequenced(session) => session.forward(Out::Text(frame.to_string(), None)),
        }
    }

    /// Loses an event, recorded as thrown away after "sending": sequenced consumes its `seq`
    /// (returned) without sending or buffering it.
    pub fn lose(&self, body: Value) -> Option<u64> {
        match self {
            Outlet::Netra(_, ledger) => {
                identify(ledger, body, true);
                None
            }
            Outlet::Sequenced(session) => Some(session.lose(&body)),
        }
    }

    /// Sends a frame that is not a run event (junk, errors): never numbered. The permit, if
    /// any, is held until the frame is written.
    pub fn send_raw(&self, text: String, permit: Option<OwnedSemaphorePermit>) {
        self.forward(Out::Text(text, permit));
    }

    /// Asks the connection that currently carries this outlet to inject `fault`. For
    /// `resume_partial` the session starts losing events at once, so exactly the events
    /// produced after this point are affected, however late the connection acts.
    pub fn fault(&self, fault: ConnFault) {
        if let (Outlet::Sequenced(session), ConnFault::ResumePartial) = (self, fault) {
            session.make_lossy();
        }
        self.forward(Out::Fault(fault));
    }

    /// The sequenced session id, if any.
    pub fn session_id(&self) -> &str {
        match self {
            Outlet::Netra(..) => "",
            Outlet::Sequenced(session) => session.id(),
        }
    }

    /// Bytes that stamping adds to an event (an upper bound).
    pub fn stamp_overhead(&self) -> usize {
        match self {
            Outlet::Netra(_, ledger) if ledger.expects_confirmations() => r#","event_id":"ev-00000000-00000000""#.len(),
            Outlet::Netra(..) => 0,
            Outlet::Sequenced(session) => session.id().len() + r#","session":"","seq":"#.len() + 20,
        }
    }

    fn forward(&self, out: Out) {
        match self {
            Outlet::Netra(sink, _) => {
                // A closed sink means the connection is gone; the run notices via `is_open`.
                let _ = sink.send(out);
            }
            Outlet::Sequenced(session) => session.forward(out),
        }
    }
}

/// A netra event with its `event_id` (first, after `type`), recorded in `ledger`, when the
/// connection confirms events; else as it is.
fn identify(ledger: &Ledger, body: Value, thrown_away: bool) -> Value {
    if !ledger.expects_confirmations() {
        return body;
    }
    let id = ledger.next_event_id();
    ledger.sent(id.clone(), None, &body, thrown_away);
    match body {
        Value::Object(rest) => {
            let mut frame = serde_json::Map::new();
            if let Some(kind) = rest.get("type") {
                frame.insert("type".to_owned(), kind.clone());
            }
            frame.insert("event_id".to_owned(), Value::from(id));
            frame.extend(rest);
            Value::Object(frame)
        }
        other => other,
    }
}

/// Queues `frame` on `sink`; a closed sink (connection gone) drops it.
pub fn send(sink: &Sink, frame: &Value, permit: Option<OwnedSemaphorePermit>) {
    let _ = sink.send(Out::Text(frame.to_string(), permit));
}
