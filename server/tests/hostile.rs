//! The hostile scenarios (issue 15's classes): parallel tools, long sessions, late retry copies,
//! conflicting keys, huge frames and names, an echoed token, a close after every handshake,
//! and run ids that are numbers or shadowed by a null.

#![allow(clippy::indexing_slicing)] // tests index fixed-size results

mod common;

use common::{server, text, types, Client, Frame, TestResult, FAST, RUN};
use serde_json::{json, Value};

async fn open(addr: std::net::SocketAddr, extra: &str) -> Result<Client, Box<dyn std::error::Error>> {
    let mut client = Client::connect(addr, &format!("{FAST}&{extra}")).await?;
    client.json().await?;
    Ok(client)
}

async fn one_run(client: &mut Client) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    client.user_message(false, "cs-1").await?;
    Ok(client.drain().await?)
}

fn tool_names<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a str> {
    frames
        .iter()
        .filter(|f| text(f, &["type"]) == kind)
        .map(|f| f["payload"]["tool_name"].as_str().or(f["data"]["tool"].as_str()).unwrap_or(""))
        .collect()
}

#[tokio::test]
async fn parallel_tools_open_every_tool_before_closing_any() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=parallel_tools&k=0&m=20").await?;
    let frames = one_run(&mut client).await?;
    let kinds = types(&frames);
    assert_eq!(kinds[..2], ["system_message", "agent_started"]);
    assert!(kinds[2..22].iter().all(|k| *k == "tool_executing"), "{kinds:?}");
    assert!(kinds[22..42].iter().all(|k| *k == "tool_completed"), "{kinds:?}");
    assert_eq!(kinds[42..], ["agent_completed"]);
    let opened = tool_names(&frames, "tool_executing");
    let mut distinct = opened.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 20, "every parallel call has a name of its own");
    assert_eq!(opened, tool_names(&frames, "tool_completed"));
    Ok(())
}

#[tokio::test]
async fn many_runs_loses_only_the_first_runs_tool_executing() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=many_runs&count=30&pace_ms=0").await?;
    let frames = one_run(&mut client).await?;
    let events: Vec<&Value> = frames.iter().filter(|f| text(f, &["type"]) != "system_message").collect();
    assert_eq!(events.len(), 5 + 30 * 6);
    let run_of = |f: &Value| f["run_id"].as_str().or(f["data"]["run_id"].as_str()).unwrap_or("").to_owned();
    let first = run_of(events[0]);
    let first_types: Vec<&str> = events.iter().filter(|f| run_of(f) == first).map(|f| text(f, &["type"])).collect();
    assert_eq!(first_types, [RUN[0], RUN[1], RUN[2], RUN[4], RUN[5]]);
    let mut runs: Vec<String> = events.iter().map(|f| run_of(f)).collect();
    runs.dedup();
    assert_eq!(runs.len(), 31, "each run has an id of its own");
    Ok(())
}

#[tokio::test]
async fn late_retry_sends_the_whole_run_again_after_the_delay() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=late_retry&delay_ms=400").await?;
    let frames = one_run(&mut client).await?;
    assert_eq!(types(&frames)[1..], RUN);
    let copies = client.drain().await?;
    assert_eq!(copies, frames[1..], "the same frames, byte for byte");
    Ok(())
}

#[tokio::test]
async fn conflicting_keys_appends_a_second_run_id() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=conflicting_keys").await?;
    client.user_message(false, "cs-1").await?;
    let head = client.frames(2).await?;
    // serde_json keeps the last value; the raw text holds both, the real one first.
    let Frame::Json(last) = client.read(common::WAIT).await else { panic!("the conflicting frame") };
    assert_eq!(text(&head[1], &["type"]), "agent_started");
    assert_eq!(text(&last, &["type"]), "agent_thinking");
    assert_eq!(text(&last, &["run_id"]), "not_this_run");
    assert_eq!(types(&client.drain().await?), RUN[2..]);
    Ok(())
}

#[tokio::test]
async fn huge_frame_is_the_asked_size() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=huge_frame&bytes=3000000").await?;
    let frames = one_run(&mut client).await?;
    let big: Vec<usize> = frames.iter().map(|f| f.to_string().len()).filter(|n| *n > 1_000_000).collect();
    assert_eq!(big, [3_000_000]);
    assert_eq!(frames.len(), 1 + RUN.len() + 1, "the ack, the run and the huge frame");
    Ok(())
}

#[tokio::test]
async fn huge_names_sends_unique_names_over_many_runs() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "scenario=huge_names&count=40&bytes=20000").await?;
    let frames = one_run(&mut client).await?;
    let hogs: Vec<&Value> = frames.iter().filter(|f| text(f, &["run_id"]).starts_with("hog_")).collect();
    assert_eq!(hogs.len(), 40);
    assert!(hogs.iter().all(|f| f.to_string().len() == 20_000));
    let mut names = tool_names(&frames, "tool_executing");
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 41, "40 unique hog names and the run's own tool");
    Ok(())
}

#[tokio::test]
async fn echo_token_quotes_the_offered_token_back() -> TestResult {
    let addr = server().await?;
    // base64url("s3cr3t") = "czNjcjN0"
    let mut client =
        Client::connect_with(addr, &format!("{FAST}&scenario=echo_token"), &["jwt-auth", "jwt.czNjcjN0"]).await?;
    client.json().await?;
    client.user_message(false, "cs-1").await?;
    let mut frames = Vec::new();
    let close = loop {
        match client.read(common::WAIT).await {
            Frame::Json(v) => frames.push(v),
            Frame::Close(close) => break close,
            other => panic!("unexpected {other:?}"),
        }
    };
    let error = frames.iter().find(|f| text(f, &["type"]) == "error_message").expect("error_message");
    assert_eq!(text(error, &["error_message"]), "token s3cr3t has expired");
    let conn_error = frames.iter().find(|f| text(f, &["type"]) == "connection_error").expect("connection_error");
    assert_eq!(text(conn_error, &["data", "support_code"]), "jwt.czNjcjN0");
    assert_eq!(close.map(|c| c.reason.to_string()), Some("token s3cr3t rejected".to_owned()));
    Ok(())
}

#[tokio::test]
async fn close_after_handshake_closes_every_connection() -> TestResult {
    let addr = server().await?;
    for _ in 0..2 {
        let mut client = Client::connect(addr, "scenario=close_after_handshake&code=1000&reason=bye").await?;
        assert_eq!(text(&client.json().await?, &["type"]), "connection_established");
        let Frame::Close(Some(close)) = client.read(common::WAIT).await else { panic!("a close frame") };
        assert_eq!((u16::from(close.code), close.reason.as_str()), (1000, "bye"));
    }
    Ok(())
}

#[tokio::test]
async fn run_ids_as_numbers_or_shadowed_by_null() -> TestResult {
    let addr = server().await?;
    let mut client = open(addr, "run_id=number").await?;
    let frames = one_run(&mut client).await?;
    let top = frames[1]["run_id"].as_u64().expect("a number");
    assert_eq!(frames[5]["data"]["run_id"], json!(top));

    let mut client = open(addr, "run_id=null").await?;
    let frames = one_run(&mut client).await?;
    assert!(frames[1]["run_id"].is_string(), "payload form keeps its run_id");
    for event in &frames[5..] {
        assert_eq!(event["run_id"], Value::Null);
        assert!(event["data"]["run_id"].is_string());
    }
    Ok(())
}

#[tokio::test]
async fn two_server_processes_never_reuse_a_run_id() -> TestResult {
    // Each call starts a server with its own nonce, as a restarted process would.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let addr = server().await?;
        let mut client = open(addr, "").await?;
        let frames = one_run(&mut client).await?;
        ids.push(text(&frames[1], &["run_id"]).to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    }
    assert_ne!(ids[0], ids[1]);
    Ok(())
}
