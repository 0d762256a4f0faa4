//! The README's "Testing a Rust frontend" example, as written: a client against the crate's
//! in-memory `ScriptedServer` through the Rust transport seam (no network, no server process).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// README example: begin
use chat_sentinel::browser::{Client, ClientOptions, ScriptedServer};
use chat_sentinel::core::{Config, FailureKind, SendOptions, TurnState};

#[wasm_bindgen_test]
async fn a_clean_turn_completes() {
    let client = Client::new(ClientOptions::with_transport(ScriptedServer::netra(), Config::default())).unwrap();
    client.connect().await.unwrap();
    let message = client.send_message("What did we spend on compute?", SendOptions::default());
    let receipt = message.acknowledged.await.unwrap();
    assert!(receipt.inferred, "Netra sends no ack: the run's first event stands for it");
    assert_eq!(message.completed.await.unwrap().state, TurnState::Complete);
}

#[wasm_bindgen_test]
async fn a_lost_tool_call_leaves_the_turn_incomplete() {
    // The backend loses the run's tool_executing, as in the staging report.
    let server = ScriptedServer::netra().losing("tool_executing");
    let client = Client::new(ClientOptions::with_transport(server.clone(), Config::default())).unwrap();
    client.connect().await.unwrap();
    let message = client.send_message("What did we spend on compute?", SendOptions::default());
    let error = message.completed.await.expect_err("the turn is incomplete");
    assert_eq!(error.kind, FailureKind::MissingEvent);
    assert!(server.received()[0].contains("What did we spend on compute?"));
}
// README example: end

#[wasm_bindgen_test]
fn a_transport_takes_no_token() {
    let options = ClientOptions {
        token: Some("t".into()),
        ..ClientOptions::with_transport(ScriptedServer::netra(), Config::default())
    };
    assert_eq!(Client::new(options).unwrap_err().option, "token");
}
