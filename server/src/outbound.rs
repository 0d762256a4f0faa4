//! The path from a run to a socket: outbound messages, a connection's sink, and the outlet a
//! run writes to (the connection directly in netra, the session in sequenced).

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

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
    /// netra: straight to the connection; the run ends when the connection is gone.
    Netra(Sink),
    /// sequenced: through the session, which numbers and buffers events and forwards them to
    /// whichever connection is attached; the run outlives its connection.
    Sequenced(Arc<Session>),
}

impl Outlet {
    /// Whether frames can still go anywhere (a run stops once this is false).
    pub fn is_open(&self) -> bool {
        match self {
            Outlet::Netra(sink) => !sink.is_closed(),
            Outlet::Sequenced(session) => !session.is_forgotten(),
        }
    }

    /// Readies an event for sending: sequenced numbers and buffers it; netra keeps it as is.
    pub fn stamp(&self, body: Value) -> Value {
        match self {
            Outlet::Netra(_) => body,
            Outlet::Sequenced(session) => session.stamp(body),
        }
    }

    /// Stamps and sends an event as one step, so concurrent runs keep `seq` order on the wire.
    pub fn emit(&self, body: Value, permit: Option<OwnedSemaphorePermit>) -> Value {
        match self {
            Outlet::Netra(sink) => {
                send(sink, &body, permit);
                body
            }
            Outlet::Sequenced(session) => session.emit(body, permit),
        }
    }

    /// Sends an already stamped event (again).
    pub fn send(&self, frame: &Value) {
        match self {
            Outlet::Netra(sink) => send(sink, frame, None),
            Outlet::Sequenced(session) => session.forward(Out::Text(frame.to_string(), None)),
        }
    }

    /// Loses an event: sequenced consumes its `seq` (returned) without sending or buffering it.
    pub fn lose(&self) -> Option<u64> {
        match self {
            Outlet::Netra(_) => None,
            Outlet::Sequenced(session) => Some(session.lose()),
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
            Outlet::Netra(_) => "",
            Outlet::Sequenced(session) => session.id(),
        }
    }

    /// Bytes that stamping adds to an event (an upper bound).
    pub fn stamp_overhead(&self) -> usize {
        match self {
            Outlet::Netra(_) => 0,
            Outlet::Sequenced(session) => session.id().len() + r#","session":"","seq":"#.len() + 20,
        }
    }

    fn forward(&self, out: Out) {
        match self {
            Outlet::Netra(sink) => {
                // A closed sink means the connection is gone; the run notices via `is_open`.
                let _ = sink.send(out);
            }
            Outlet::Sequenced(session) => session.forward(out),
        }
    }
}

/// Queues `frame` on `sink`; a closed sink (connection gone) drops it.
pub fn send(sink: &Sink, frame: &Value, permit: Option<OwnedSemaphorePermit>) {
    let _ = sink.send(Out::Text(frame.to_string(), permit));
}
