//! chat-sentinel: a browser client SDK for AI chat backends that tells the frontend, loudly and
//! precisely, when an agent event was lost, duplicated, reordered or stalled.
//!
//! - [`core`] is a sans-IO state machine: frames, socket events and timeouts in; frames to send,
//!   delivered events, failure reports and the next deadline out. It never reads a clock.
//! - `browser` (wasm32 only) drives the core with a WebSocket, timers and `performance.now()`,
//!   and exposes the `ChatClient` to JavaScript and Rust.
#![forbid(unsafe_code)]

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod browser;
