//! HTTP side: static files with their MIME types, the subprotocol answer, the token staying
//! out of everything but the subprotocol, `/debug/connections`, and the binary's CLI.

#![allow(clippy::indexing_slicing)] // tests index fixed-size results

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{http_get, server, text, Client, TestResult};
use serde_json::{json, Value};

#[tokio::test]
async fn static_files_have_their_mime_types() -> TestResult {
    let addr = server().await?;
    for (path, mime) in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/pkg/sdk_bg.wasm", "application/wasm"),
        ("/pkg/sdk.js", "text/javascript"),
        ("/tests/js/suite.mjs", "text/javascript"),
    ] {
        let (status, headers, body) = http_get(addr, path).await?;
        assert!(status.contains("200"), "{path}: {status}");
        assert!(headers.contains(&format!("content-type: {mime}")), "{path}: {headers}");
        assert!(!body.is_empty());
    }
    let (status, _, _) = http_get(addr, "/pkg/missing.js").await?;
    assert!(status.contains("404"), "{status}");
    Ok(())
}

#[tokio::test]
async fn bad_query_is_a_400_naming_the_parameter() -> TestResult {
    let addr = server().await?;
    let request = "GET /ws?scenario=nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\
                   Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(common::WAIT, stream.read(&mut buf)).await??;
    let response = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).to_string();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("unknown scenario"), "{response}");
    Ok(())
}

#[tokio::test]
async fn token_travels_only_in_the_subprotocol() -> TestResult {
    let addr = server().await?;
    let token = "jwt.ZXlKaGJHY2lPaUpJVXpJMU5pSjkuc2VjcmV0";
    let mut client =
        Client::connect_with(addr, "dialect=sequenced&scenario=clean&pace_ms=1", &["jwt-auth", token]).await?;
    assert_eq!(client.protocol.as_deref(), Some("jwt-auth"));
    let mut seen = vec![client.json().await?];
    client.user_message(true, "cs-1").await?;
    seen.extend(client.drain().await?);
    assert_eq!(seen.len(), 8);
    let secret = token.trim_start_matches("jwt.");
    assert!(seen.iter().all(|f| !f.to_string().contains(secret)));

    let (status, _, body) = http_get(addr, "/debug/connections").await?;
    assert!(status.contains("200"));
    let list: Value = serde_json::from_slice(&body)?;
    let entry = list.as_array().and_then(|l| l.last()).ok_or("no connection recorded")?;
    assert_eq!(
        entry,
        &json!({"id": entry["id"], "path_and_query": "/ws?dialect=sequenced&scenario=clean&pace_ms=1",
                "subprotocols": ["jwt-auth", token], "dialect": "sequenced", "scenario": "clean"})
    );
    assert!(!text(entry, &["path_and_query"]).contains(secret));
    Ok(())
}

#[tokio::test]
async fn no_subprotocol_offered_none_answered() -> TestResult {
    let addr = server().await?;
    let client = Client::connect(addr, "").await?;
    assert_eq!(client.protocol, None);
    let (_, _, body) = http_get(addr, "/debug/connections").await?;
    let list: Value = serde_json::from_slice(&body)?;
    assert_eq!(list[0]["subprotocols"], json!([]));
    assert_eq!(list[0]["dialect"], json!("netra"));
    Ok(())
}

#[test]
fn binary_prints_its_address_and_serves() -> TestResult {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-sentinel-server"))
        .args(["--port", "0", "--root", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let result = (|| -> TestResult {
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port: u16 = line
            .trim_end()
            .strip_prefix("listening on http://127.0.0.1:")
            .ok_or_else(|| format!("unexpected first line {line:?}"))?
            .parse()?;
        assert_ne!(port, 0);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (status, _, _) = runtime.block_on(http_get(("127.0.0.1", port), "/debug/connections"))?;
        assert!(status.contains("200"), "{status}");
        Ok(())
    })();
    child.kill()?;
    child.wait()?;
    result
}

#[test]
fn binary_refuses_a_public_or_wildcard_host() -> TestResult {
    for host in ["0.0.0.0", "8.8.8.8", "::"] {
        let output =
            Command::new(env!("CARGO_BIN_EXE_chat-sentinel-server")).args(["--port", "0", "--host", host]).output()?;
        assert!(!output.status.success(), "{host}");
        assert!(output.stdout.is_empty());
        assert!(String::from_utf8_lossy(&output.stderr).contains("loopback or private addresses only"), "{host}");
    }
    Ok(())
}
