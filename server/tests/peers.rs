//! The bench's peer endpoints: each library's handshake over a real socket, as far as its first
//! frame, and the peers' files.

mod common;

use common::{http_get, server, Client, Frame, TestResult, WAIT};
use serde_json::json;

/// The next text frame, as the raw text (engine.io packets are not JSON).
async fn raw(client: &mut Client) -> Result<String, String> {
    match client.read(WAIT).await {
        Frame::Raw(text) => Ok(text),
        Frame::Json(value) => Ok(value.to_string()),
        other => Err(format!("expected a text frame, got {other:?}")),
    }
}

#[tokio::test]
async fn phoenix_join_is_answered() -> TestResult {
    let addr = server().await?;
    let mut client = Client::connect_to(addr, "/peers/phoenix/websocket?vsn=2.0.0").await?;
    client.send(json!(["1", "1", "bench:lobby", "phx_join", {}])).await?;
    assert_eq!(client.json().await?, json!(["1", "1", "bench:lobby", "phx_reply", {"status": "ok", "response": {}}]));
    Ok(())
}

#[tokio::test]
async fn socket_io_opens_then_connects() -> TestResult {
    let addr = server().await?;
    let mut client = Client::connect_to(addr, "/peers/socket.io/?EIO=4&transport=websocket").await?;
    let open = raw(&mut client).await?;
    assert!(open.starts_with(r#"0{"sid":"#), "{open}");
    client.send_text("40").await?;
    assert_eq!(raw(&mut client).await?, r#"40{"sid":"bench-sio"}"#);
    Ok(())
}

#[tokio::test]
async fn centrifuge_connect_is_answered() -> TestResult {
    let addr = server().await?;
    let mut client = Client::connect_to(addr, "/peers/centrifuge").await?;
    client.send_text(r#"{"id":1,"connect":{"name":"js"}}"#).await?;
    let reply = client.json().await?;
    assert_eq!(reply["id"], 1);
    assert!(reply["connect"]["client"].is_string(), "{reply}");
    Ok(())
}

#[tokio::test]
async fn peer_files_are_served() -> TestResult {
    let addr = server().await?;
    let (status, headers, _) = http_get(addr, "/peers/lib/peer/dist/peer.js").await?;
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("content-type: text/javascript"), "{headers}");
    let (status, _, _) = http_get(addr, "/peers/lib/missing.js").await?;
    assert!(status.contains("404"), "{status}");
    Ok(())
}
