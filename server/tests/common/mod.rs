//! Test harness: an in-process server on a free port, a WebSocket client that reads frames
//! with deadlines, and a raw HTTP GET.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chat_sentinel_server::{start, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// How long a test waits for a frame it expects.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long "nothing more arrives" is observed.
pub const QUIET: Duration = Duration::from_millis(300);

/// Tuning that keeps runs fast and idle heartbeats out of the way.
pub const FAST: &str = "pace_ms=5&retry_ms=20&hb_ms=60000";

/// The five events of a run with `k=2, m=1`, in order.
pub const RUN: [&str; 6] =
    ["agent_started", "agent_thinking", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

/// Starts a server on a free loopback port with a small static tree as its root. The tree
/// lives at one fixed temporary path, written only when its content differs, so test runs
/// leave nothing new behind.
pub async fn server() -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let root: PathBuf = std::env::temp_dir().join("chat-sentinel-server-test-root");
    for (path, text) in [
        ("www/index.html", "<!doctype html><title>demo</title>"),
        ("pkg/sdk_bg.wasm", "\0asm"),
        ("pkg/sdk.js", "export {};"),
        ("tests/js/suite.mjs", "export {};"),
        ("target/tools/peers/node_modules/peer/dist/peer.js", "export {};"),
    ] {
        let file = root.join(path);
        if std::fs::read(&file).ok().as_deref() == Some(text.as_bytes()) {
            continue;
        }
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(file, text)?;
    }
    let (addr, serving) = start(Config { port: 0, root, ..Config::default() }).await?;
    tokio::spawn(serving);
    Ok(addr)
}

/// What a read produced.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    /// A text frame that is not JSON.
    Raw(String),
    Close(Option<CloseFrame>),
    /// The stream ended or failed without a close frame.
    Ended(String),
    /// Nothing arrived within the deadline.
    Silent,
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub protocol: Option<String>,
}

impl Client {
    /// Connects to `/ws?query`, offering `subprotocols`.
    pub async fn connect_with(
        addr: SocketAddr,
        query: &str,
        subprotocols: &[&str],
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut request = format!("ws://{addr}/ws?{query}").into_client_request()?;
        if !subprotocols.is_empty() {
            request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&subprotocols.join(", "))?);
        }
        let (ws, response) = connect_async(request).await?;
        let protocol =
            response.headers().get("Sec-WebSocket-Protocol").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Client { ws, protocol })
    }

    pub async fn connect(addr: SocketAddr, query: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Self::connect_with(addr, query, &[]).await
    }

    /// Connects to another WebSocket endpoint than `/ws`: `path` with its query.
    pub async fn connect_to(addr: SocketAddr, path: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let (ws, _) = connect_async(format!("ws://{addr}{path}")).await?;
        Ok(Client { ws, protocol: None })
    }

    /// The next frame within `wait` (pings are skipped).
    pub async fn read(&mut self, wait: Duration) -> Frame {
        loop {
            return match timeout(wait, self.ws.next()).await {
                Err(_) => Frame::Silent,
                Ok(None) => Frame::Ended("end of stream".to_owned()),
                Ok(Some(Err(err))) => Frame::Ended(err.to_string()),
                Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(&text) {
                    Ok(value) => Frame::Json(value),
                    Err(_) => Frame::Raw(text.to_string()),
                },
                Ok(Some(Ok(Message::Close(frame)))) => Frame::Close(frame),
                Ok(Some(Ok(_))) => continue,
            };
        }
    }

    /// The next frame, which must be a JSON frame.
    pub async fn json(&mut self) -> Result<Value, String> {
        match self.read(WAIT).await {
            Frame::Json(value) => Ok(value),
            other => Err(format!("expected a JSON frame, got {other:?}")),
        }
    }

    /// `n` JSON frames.
    pub async fn frames(&mut self, n: usize) -> Result<Vec<Value>, String> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.json().await?);
        }
        Ok(out)
    }

    /// Every JSON frame until nothing arrives for [`QUIET`]; fails on anything else.
    pub async fn drain(&mut self) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        loop {
            match self.read(QUIET).await {
                Frame::Json(value) => out.push(value),
                Frame::Silent => return Ok(out),
                other => return Err(format!("expected JSON or silence, got {other:?}")),
            }
        }
    }

    /// Asserts nothing arrives for [`QUIET`].
    pub async fn silent(&mut self) -> Result<(), String> {
        match self.read(QUIET).await {
            Frame::Silent => Ok(()),
            other => Err(format!("expected silence, got {other:?}")),
        }
    }

    pub async fn send(&mut self, frame: Value) -> Result<(), Error> {
        self.ws.send(Message::Text(frame.to_string().into())).await
    }

    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.ws.send(Message::Text(text.to_owned().into())).await
    }

    /// Sends a user message in the connection's dialect.
    pub async fn user_message(&mut self, sequenced: bool, id: &str) -> Result<(), Error> {
        let frame = if sequenced {
            json!({"type": "user_message", "message_id": id,
                   "payload": {"content": "hello", "thread_id": "th_7"}})
        } else {
            json!({"type": "user_message",
                   "payload": {"content": "hello", "thread_id": "th_7", "message_id": id}})
        };
        self.send(frame).await
    }
}

/// The `type` of each frame.
pub fn types(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(|f| f.get("type").and_then(Value::as_str).unwrap_or("<none>")).collect()
}

/// The `seq` of each frame (0 when absent).
pub fn seqs(frames: &[Value]) -> Vec<u64> {
    frames.iter().map(|f| f.get("seq").and_then(Value::as_u64).unwrap_or(0)).collect()
}

/// A string field of `frame` at `path` (e.g. `["data", "run_id"]`).
pub fn text<'a>(frame: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(frame, |v, key| v.get(*key)).and_then(Value::as_str).unwrap_or("<missing>")
}

/// A numeric field of `frame`.
pub fn num(frame: &Value, key: &str) -> Option<u64> {
    frame.get(key).and_then(Value::as_u64)
}

/// `GET path` over HTTP/1.1; returns (status line, headers, body).
pub async fn http_get(
    addr: impl ToSocketAddrs,
    path: &str,
) -> Result<(String, String, Vec<u8>), Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut response)).await??;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no header end")?;
    let head = String::from_utf8_lossy(response.get(..split).ok_or("bad split")?).to_string();
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    Ok((status.to_owned(), headers.to_ascii_lowercase(), body))
}
