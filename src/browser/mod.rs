//! The browser driver (wasm32 only): runs the sans-IO [`core`](crate::core) with a
//! `WebSocket`, one `setTimeout` and `performance.now()`, and exposes it to JavaScript
//! ([`ChatClient`]) and to Rust ([`Client`]).
//!
//! The driver makes no protocol decisions; everything that judges delivery lives in the core.
//!
//! # The drive loop
//! After every input — a socket event, the timer, a wake event, an API call — the driver feeds
//! the tracker, then drains it: frames from `poll_transmit` go to the socket (when the socket
//! is not `OPEN`, or the browser refuses, the frame goes back through
//! `handle_transmit_failed`, so a user message fails with `send_failed` instead of vanishing);
//! the commands from `poll_command` open (`Connect`: a new
//! `WebSocket(url, ["jwt-auth", "jwt.<base64url(token)>"])`, or a transport's connection) and
//! close (`Disconnect`) the socket; the outputs settle the promises they are the outcomes of
//! (`Connected`, `Acked`, a report marked `outcome`, a turn's end) and are queued for the
//! application. The single
//! `setTimeout` is re-armed only when `poll_timeout` comes earlier than the pending one (a timer
//! that fires early is a no-op and re-arms). Only then, with no borrow held,
//! are the queued outputs dispatched, so callbacks may call back into the client.
//!
//! Every socket carries a generation number: events of a socket the driver has let go never
//! reach the tracker. Closing the client removes every socket handler, the timer and the page
//! listeners.
//!
//! # The JavaScript half
//! What is cheaper or smaller in JavaScript lives in one module, `src/browser/glue.js`, which
//! each Rust module imports with `#[wasm_bindgen(module = …)]` and documents: the WebSocket as
//! a transport, option checks, the object literals of events and reports, the listener calls,
//! and the frame's copy into wasm memory. It makes no protocol decision either. It also keeps
//! what the page must hear if the module ever traps (`crash`): every client then raises one
//! critical `client_crashed` report, and every unsettled promise is rejected with it.
//!
//! # Background tabs and sleep
//! Browsers throttle timers in background tabs (to once a minute under Chrome's intensive
//! throttling) and stop them while a laptop sleeps. The driver listens for `visibilitychange`,
//! `focus`, `online` and `pageshow` while connected and then calls `handle_timeout(now)`. The
//! core treats deadlines found far overdue (more than `lateWakeMs`) as a wake, not as silence:
//! every deadline gets a grace of one `heartbeatTimeoutMs` for queued frames to arrive, and a
//! probe ping checks the socket at once. `health().wakes` counts these.
//!
//! # The token
//! The token travels only as the second subprotocol. It never appears in a URL (the options
//! check refuses a URL containing it), a failure report, a log, `health()`, an error message or
//! a `Debug` output.

mod bytes;
mod client;
mod convert;
mod crash;
mod driver;
mod error;
mod inbound;
mod listeners;
mod log;
mod options;
mod otel;
mod otlp;
mod rust;
mod scripted;
mod timer;
mod transport;

pub use client::ChatClient;
pub use error::{OptionError, OptionErrorKind};
pub use rust::{Client, ClientOptions, Outcome, Outputs, SentMessage, TelemetryEndpoint};
pub use scripted::{Callbacks, Connection, ScriptedServer, Transport};
