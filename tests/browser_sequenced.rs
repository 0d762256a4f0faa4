//! Every server scenario in the `sequenced` dialect, in headless Chromium against the reference
//! server (`CHAT_SENTINEL_SERVER`), asserting the exact set of failure kinds.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

mod browser_support;

use browser_support::scenarios;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const D: &str = "sequenced";

#[wasm_bindgen_test]
async fn sequenced_clean() {
    scenarios::clean(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_drop() {
    scenarios::drop(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_drop_tail() {
    scenarios::drop_tail(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_duplicate() {
    scenarios::duplicate(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_triple_send() {
    scenarios::triple_send(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_retry_restamped() {
    scenarios::retry_restamped(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_reorder() {
    scenarios::reorder(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_stall() {
    scenarios::stall(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_half_open() {
    scenarios::half_open(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_no_ack() {
    scenarios::no_ack(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_malformed() {
    scenarios::malformed(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_error() {
    scenarios::error(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_skip_tool_completed() {
    scenarios::skip_tool_completed(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_skip_agent_started() {
    scenarios::skip_agent_started(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_slow() {
    scenarios::slow(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_send_failed() {
    scenarios::send_failed(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_abrupt_close() {
    scenarios::connection_lost(D, "scenario=abrupt_close").await;
}

#[wasm_bindgen_test]
async fn sequenced_close_code() {
    scenarios::connection_lost(D, "scenario=close_code&code=4001&reason=going+away").await;
}

#[wasm_bindgen_test]
async fn sequenced_restart() {
    scenarios::restart(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_resume_partial() {
    scenarios::resume_partial(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_no_ack_strict() {
    scenarios::no_ack_strict(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_silent() {
    scenarios::silent(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_started_thrice() {
    scenarios::started_thrice(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_upgrade_500() {
    scenarios::upgrade_500(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_cleanup_close() {
    scenarios::cleanup_close(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_echo_protocol() {
    scenarios::echo_protocol(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_the_server_learns_which_event_never_arrived() {
    scenarios::delivery(D, "clean", &[]).await;
    scenarios::delivery(D, "drop", &["tool_executing"]).await;
}

#[wasm_bindgen_test]
async fn sequenced_a_client_closed_at_once_still_confirms_what_it_got() {
    scenarios::delivery_when_closed_at_once(D).await;
}

#[wasm_bindgen_test]
async fn sequenced_acks_stay_bounded_in_a_flood() {
    scenarios::flood_confirmations(D).await;
}
