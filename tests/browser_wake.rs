//! A page that stops running (a frozen main thread stands in for a throttled background tab or
//! a sleeping laptop) in headless Chromium against the reference server: when it runs again,
//! its overdue timers neither invent a dead connection nor hide a real one.
//!
//! Chromium runs the socket events queued during the freeze before the overdue timer, so
//! these tests check the behaviour end to end; the opposite order (the timer first, the
//! frames still queued), which the core answers with a grace period and a probe ping, is
//! tested on a virtual clock in `core_netra.rs`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod browser_support;

use browser_support::{config, sleep, Harness};
use chat_sentinel::core::Config;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Heartbeats every 300 ms, answered within 300 ms; a timer 1 s late means the page slept.
fn fast_heartbeat() -> Config {
    Config { heartbeat_interval_ms: 300, heartbeat_timeout_ms: 300, late_wake_ms: 1_000, ..config() }
}

/// Blocks the main thread: no timer, no socket event, no callback runs meanwhile.
fn freeze(ms: f64) {
    let end = js_sys::Date::now() + ms;
    while js_sys::Date::now() < end {}
}

#[wasm_bindgen_test]
async fn a_frozen_page_with_a_live_connection_reports_nothing() {
    let mut h = Harness::new("dialect=netra&scenario=clean", fast_heartbeat());
    h.connect().await;
    // Freeze at several points of the ping cycle: sometimes a ping is out, its pong queued
    // behind the frozen page; the overdue liveness deadline must not win against it.
    for offset in [0, 70, 150, 230, 310] {
        sleep(offset).await;
        freeze(2_500.0);
        h.settle(900).await;
    }
    assert!(h.rec.failures.is_empty(), "a sleeping page was judged dead: {:#?}", h.rec.failures);
    assert!(h.client.health().wakes >= 1, "the overdue timers were not taken as a wake");
    // Still alive and working after the sleeps.
    h.send("after the sleep").await.expect("acknowledged");
    assert!(h.until(5_000, |r| r.completed()).await, "{:?}", h.rec.types());
}

#[wasm_bindgen_test]
async fn a_frozen_page_with_a_dead_connection_finds_it_within_one_timeout() {
    // The server goes silent (no events, no pongs) after the run's third event.
    let mut h = Harness::new("dialect=netra&scenario=half_open&after=2", fast_heartbeat());
    h.connect().await;
    h.send("hello").await.expect("acknowledged");
    assert!(h.until(3_000, |r| r.events.len() >= 3).await, "{:?}", h.rec.types());
    freeze(2_500.0);
    let woke = js_sys::Date::now();
    assert!(h.until(3_000, |r| r.has("heartbeat_timeout")).await, "{:#?}", h.rec.failures);
    let found = h.rec.failures.iter().find(|f| f.kind.as_str() == "heartbeat_timeout").map(|f| f.at);
    // Reported after the wake's probe ping went unanswered, not before it could be answered.
    let elapsed = js_sys::Date::now() - woke;
    assert!(elapsed >= 250.0, "judged dead {elapsed} ms after waking, before a probe could be answered ({found:?})");
    assert!(h.client.health().wakes >= 1);
}
