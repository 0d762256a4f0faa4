//! The least each peer library needs to reach its first frame over a real WebSocket, for the
//! startup figure of `cargo xtask bench` (the SDK beside phoenix, socket.io-client and
//! centrifuge), and the peers' files as `cargo xtask setup` installs them.
//!
//! | path | answers |
//! |---|---|
//! | `/peers/phoenix/websocket` | every push (`[join_ref, ref, topic, event, payload]`, the v2 JSON serializer), `phx_join` included, with `phx_reply` `{"status":"ok","response":{}}` |
//! | `/peers/socket.io/` | engine.io 4: the open packet `0{…}` on connect, then `40{"sid":…}` to the client's `40` |
//! | `/peers/centrifuge` | the JSON protocol: `{"id":N,"connect":{…}}` to a `connect` command |
//! | `/peers/lib/` | `DIR/target/tools/peers/node_modules` (404 when the peers are not installed) |
//!
//! Nothing else is answered: these endpoints only complete a handshake, then stay open and
//! silent (socket.io's ping interval is set far beyond a startup measurement).

use std::path::Path;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tower_http::services::ServeDir;

/// engine.io's open packet: no upgrades, and pings far apart (the bench never waits for one).
const ENGINE_IO_OPEN: &str =
    r#"0{"sid":"bench-eio","upgrades":[],"pingInterval":300000,"pingTimeout":20000,"maxPayload":1000000}"#;
/// socket.io's answer to the client's connect packet for the default namespace.
const SOCKET_IO_CONNECTED: &str = r#"40{"sid":"bench-sio"}"#;
/// The client id a centrifuge connect reply names.
const CENTRIFUGE_CLIENT: &str = "bench-client";

/// Adds the `/peers/…` routes to `router`; `root` is the server's `--root`.
pub fn routes<S: Clone + Send + Sync + 'static>(router: Router<S>, root: &Path) -> Router<S> {
    let lib = root.join("target").join("tools").join("peers").join("node_modules");
    router
        .route("/peers/phoenix/websocket", any(|u: WebSocketUpgrade| upgrade(u, &[], phoenix)))
        .route("/peers/socket.io/", any(|u: WebSocketUpgrade| upgrade(u, &[ENGINE_IO_OPEN], socket_io)))
        .route("/peers/centrifuge", any(|u: WebSocketUpgrade| upgrade(u, &[], centrifuge)))
        .nest_service("/peers/lib", ServeDir::new(lib))
}

async fn upgrade(
    upgrade: WebSocketUpgrade,
    greeting: &'static [&'static str],
    reply: fn(&str) -> Vec<String>,
) -> Response {
    upgrade.on_upgrade(move |socket| serve(socket, greeting, reply))
}

/// Sends `greeting`, then answers each text frame with what `reply` makes of it, until the
/// socket ends.
async fn serve(mut socket: WebSocket, greeting: &[&str], reply: fn(&str) -> Vec<String>) {
    for frame in greeting {
        if socket.send(Message::Text((*frame).into())).await.is_err() {
            return;
        }
    }
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else { continue };
        for frame in reply(text.as_str()) {
            if socket.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
        }
    }
}

/// phoenix: a push `[join_ref, ref, topic, event, payload]` is answered
/// `[join_ref, ref, topic, "phx_reply", {"status":"ok","response":{}}]`.
fn phoenix(text: &str) -> Vec<String> {
    let Ok(Value::Array(push)) = serde_json::from_str::<Value>(text) else { return Vec::new() };
    let [join_ref, reference, topic, _event, _payload] = push.as_slice() else { return Vec::new() };
    vec![json!([join_ref, reference, topic, "phx_reply", {"status": "ok", "response": {}}]).to_string()]
}

/// socket.io over engine.io 4: the connect packet `40…` is answered `40{"sid":…}`.
fn socket_io(text: &str) -> Vec<String> {
    if text.starts_with("40") {
        vec![SOCKET_IO_CONNECTED.to_owned()]
    } else {
        Vec::new()
    }
}

/// centrifuge's JSON protocol (commands one per line): `{"id":N,"connect":{…}}` is answered
/// `{"id":N,"connect":{"client":…,"version":…}}`.
fn centrifuge(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|command| command.get("connect").is_some())
        .map(|command| {
            json!({"id": command.get("id"), "connect": {"client": CENTRIFUGE_CLIENT, "version": "0.0.0"}}).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phoenix_replies_to_a_join() {
        let reply = phoenix(r#"["3","3","bench:lobby","phx_join",{}]"#);
        assert_eq!(reply, vec![r#"["3","3","bench:lobby","phx_reply",{"status":"ok","response":{}}]"#]);
        assert!(phoenix("not json").is_empty());
        assert!(phoenix(r#"["3","3"]"#).is_empty());
    }

    #[test]
    fn socket_io_connects_the_namespace() {
        assert_eq!(socket_io("40"), vec![SOCKET_IO_CONNECTED]);
        assert_eq!(socket_io(r#"40{"token":"t"}"#), vec![SOCKET_IO_CONNECTED]);
        assert!(socket_io("3").is_empty());
    }

    #[test]
    fn centrifuge_replies_to_connect() {
        let reply = centrifuge("{\"id\":1,\"connect\":{\"name\":\"js\"}}\n{}");
        assert_eq!(reply, vec![r#"{"id":1,"connect":{"client":"bench-client","version":"0.0.0"}}"#]);
        assert!(centrifuge(r#"{"id":2,"subscribe":{"channel":"c"}}"#).is_empty());
    }
}
