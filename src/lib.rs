//! chat-sentinel: a browser client SDK for AI chat backends that tells the frontend, loudly and
//! precisely, when an agent event was lost, duplicated, reordered or stalled.
//!
//! - [`core`] is a sans-IO state machine: frames, socket events and timeouts in; frames to send,
//!   delivered events, failure reports and the next deadline out. It never reads a clock.
//! - `browser` (wasm32 only) drives the core with a WebSocket, timers and `performance.now()`,
//!   and exposes the `ChatClient` to JavaScript and Rust.
//!
//! The crate uses only `core` and `alloc`. With the `shipped` feature (the bundle that
//! `cargo xtask build` writes) it is `no_std` on wasm32: talc is the allocator and a panic, which
//! no input can cause, traps instead of formatting a message. Without the feature (tests,
//! native builds) std is linked as usual.
#![forbid(unsafe_code)]
#![cfg_attr(all(feature = "shipped", target_arch = "wasm32"), no_std)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod browser;

/// The shipped bundle's allocator: talc on the wasm memory, grown page by page as needed. Its
/// binned free lists make allocation and release O(1), and freed memory is reused, so memory
/// stays bounded under a steady event load.
#[cfg(all(feature = "shipped", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The shipped bundle's panic handler: trap (a `RuntimeError: unreachable` in JavaScript).
/// Nothing formats the panic message, so `core::fmt` is not linked for it.
#[cfg(all(feature = "shipped", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}
