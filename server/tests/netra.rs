//! The `netra` dialect: handshake, the literal Netra shapes, liveness, and every scenario.

#![allow(clippy::indexing_slicing)] // tests index fixed-size results

mod common;

use std::time::{Duration, Instant};

use common::{server, text, types, Client, Frame, TestResult, FAST, RUN};
use serde_json::{json, Value};

async fn open(addr: std::net::SocketAddr, extra: &str) -> Result<(Client, Value), Box<dyn std::error::Error>> {
    let mut client = Client::connect(addr, &format!("{FAST}&{extra}")).await?;
    let hello = client.json().await?;
    Ok((client, hello))
}

/// Sends one user message; returns the frames until silence (ack first unless `no_ack`).
async fn one_run(client: &mut Client) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    client.user_message(false, "cs-1").await?;
    Ok(client.drain().await?)
}

/// The run events among `frames` (everything but the acknowledgement).
fn events(frames: &[Value]) -> Vec<Value> {
    frames.iter().filter(|f| text(f, &["type"]) != "system_message").cloned().collect()
}

async fn until_end(client: &mut Client) -> Result<(Vec<Value>, Frame), String> {
    let mut frames = Vec::new();
    loop {
        match client.read(common::WAIT).await {
            Frame::Json(v) => frames.push(v),
            Frame::Silent => return Err("connection did not end".to_owned()),
            end => return Ok((frames, end)),
        }
    }
}

#[tokio::test]
async fn handshake_and_clean_run_use_the_netra_shapes() -> TestResult {
    let addr = server().await?;
    let (mut client, hello) = open(addr, "").await?;
    assert_eq!(text(&hello, &["type"]), "connection_established");
    let data = &hello["data"];
    assert_eq!(text(data, &["mode"]), "main");
    assert!(text(data, &["user_id"]).starts_with("u_"));
    assert!(text(data, &["connection_id"]).starts_with("conn_"));
    assert_eq!(data["golden_path_events"], json!(chat_sentinel_server::GOLDEN_EVENTS));
    assert_eq!(data["features"], json!({}));
    assert!(data["timestamp"].is_f64() && hello["timestamp"].is_f64());
    assert!(hello.get("protocol").is_none());

    let frames = one_run(&mut client).await?;
    let ack = &frames[0];
    assert_eq!(text(ack, &["type"]), "system_message");
    assert_eq!(ack["data"], json!({"content": "Message received", "original_message_id": "cs-1"}));
    assert_eq!(text(ack, &["server_id"]), "ref-1");
    let events = events(&frames);
    assert_eq!(types(&events), RUN);
    let run_id = text(&events[0], &["run_id"]).to_owned();
    assert!(run_id.starts_with("run_") && run_id.ends_with("_1"));

    // payload form: run_id top level, ISO timestamp with offset.
    for event in &events[..4] {
        assert_eq!(text(event, &["run_id"]), run_id);
        assert_eq!(text(event, &["thread_id"]), "th_7");
        assert!(text(event, &["timestamp"]).ends_with("+00:00"));
        assert!(event["payload"].is_object() && event.get("data").is_none());
    }
    assert_eq!(text(&events[0], &["payload", "status"]), "started");
    assert!(!text(&events[0], &["agent_name"]).is_empty());
    assert!(!text(&events[1], &["payload", "reasoning"]).is_empty());
    assert_eq!(events[2]["payload"]["step_number"], json!(2));
    let tool = text(&events[3], &["payload", "tool_name"]);

    // data form: run_id inside data, critical, attempt null.
    for event in &events[4..] {
        assert_eq!(text(event, &["data", "run_id"]), run_id);
        assert_eq!(text(event, &["data", "thread_id"]), "th_7");
        assert_eq!(event["critical"], json!(true));
        assert_eq!(event["attempt"], Value::Null);
        assert!(event.get("run_id").is_none() && event.get("payload").is_none());
    }
    assert_eq!(text(&events[4], &["data", "tool"]), tool);
    assert!(events[4]["timestamp"].is_string());
    assert!(events[5]["timestamp"].is_f64());
    assert_eq!(events[5]["data"]["result"], json!({"summary": "done"}));
    Ok(())
}

#[tokio::test]
async fn liveness_unknown_types_and_bad_client_frames() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "").await?;
    for junk in ["garbage", "[1]", r#"{"type": 5}"#, r#"{"no": "type"}"#] {
        client.send_text(junk).await?;
    }
    client.send(json!({"type": "ping", "timestamp": 1234})).await?;
    let pong = client.json().await?;
    assert_eq!(text(&pong, &["type"]), "pong");
    assert_eq!(pong["data"], json!({"timestamp": 1234}));
    client.send(json!({"type": "heartbeat"})).await?;
    assert_eq!(text(&client.json().await?, &["type"]), "heartbeat_ack");
    client.send(json!({"type": "heartbeat_ack"})).await?;
    client.send(json!({"type": "session_restore"})).await?;
    let ack = client.json().await?;
    assert_eq!(ack, json!({"type": "ack", "received_type": "session_restore", "status": "acknowledged"}));
    client.silent().await?;
    Ok(())
}

#[tokio::test]
async fn idle_heartbeat() -> TestResult {
    let addr = server().await?;
    let mut client = Client::connect(addr, "hb_ms=100").await?;
    client.json().await?;
    let started = Instant::now();
    let beat = client.json().await?;
    assert_eq!(text(&beat, &["type"]), "heartbeat");
    assert_eq!(beat["data"], json!({}));
    assert!(started.elapsed() >= Duration::from_millis(50));
    Ok(())
}

#[tokio::test]
async fn drop_loses_the_first_tool_executing() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=drop&m=2").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "agent_thinking",
            "agent_thinking",
            "tool_completed",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn drop_tail_loses_agent_completed() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=drop_tail").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(types(&events), RUN[..5]);
    Ok(())
}

#[tokio::test]
async fn duplicate_sends_identical_frames_back_to_back() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=duplicate").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(events.len(), 12);
    for pair in events.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    Ok(())
}

#[tokio::test]
async fn triple_send_repeats_each_event_retry_ms_apart() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=triple_send&k=0&m=0&retry_ms=100").await?;
    client.user_message(false, "cs-1").await?;
    client.json().await?;
    let mut arrivals = Vec::new();
    for _ in 0..6 {
        arrivals.push((client.json().await?, Instant::now()));
    }
    for triple in arrivals.chunks(3) {
        assert_eq!(triple[0].0, triple[1].0);
        assert_eq!(triple[1].0, triple[2].0);
        assert!(triple[2].1 - triple[0].1 >= Duration::from_millis(150));
    }
    assert_eq!(text(&arrivals[0].0, &["type"]), "agent_started");
    assert_eq!(text(&arrivals[3].0, &["type"]), "agent_completed");
    client.silent().await?;
    Ok(())
}

#[tokio::test]
async fn retry_restamped_rebuilds_each_copy_with_a_new_timestamp_and_attempt() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=retry_restamped&k=0&m=0&retry_ms=20").await?;
    client.user_message(false, "cs-1").await?;
    client.json().await?;
    let mut copies = Vec::new();
    for _ in 0..3 {
        copies.push(client.json().await?);
    }
    assert_eq!(copies[1]["attempt"], 2);
    assert_eq!(copies[2]["attempt"], 3);
    assert_ne!(copies[0]["timestamp"], copies[1]["timestamp"]);
    let stripped: Vec<_> = copies
        .into_iter()
        .map(|mut v| {
            if let Some(members) = v.as_object_mut() {
                members.remove("timestamp");
                members.remove("attempt");
            }
            v
        })
        .collect();
    assert_eq!(stripped[0], stripped[1]);
    assert_eq!(stripped[1], stripped[2]);
    Ok(())
}

#[tokio::test]
async fn reorder_swaps_the_tool_pair() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=reorder").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(
        types(&events),
        ["agent_started", "agent_thinking", "agent_thinking", "tool_completed", "tool_executing", "agent_completed"]
    );
    Ok(())
}

#[tokio::test]
async fn stall_stops_the_run_but_not_liveness() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=stall").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(types(&events), ["agent_started", "agent_thinking"]);
    client.send(json!({"type": "ping"})).await?;
    assert_eq!(text(&client.json().await?, &["type"]), "pong");
    Ok(())
}

#[tokio::test]
async fn half_open_stops_everything_after_event_after() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=half_open&after=0").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(types(&events), ["agent_started"]);
    client.send(json!({"type": "ping"})).await?;
    client.send(json!({"type": "heartbeat"})).await?;
    client.silent().await?;
    Ok(())
}

#[tokio::test]
async fn abrupt_close_and_restart_drop_the_socket_without_close_frame() -> TestResult {
    let addr = server().await?;
    for scenario in ["abrupt_close", "restart", "resume_partial"] {
        let (mut client, _) = open(addr, &format!("scenario={scenario}")).await?;
        client.user_message(false, "cs-1").await?;
        let (frames, end) = until_end(&mut client).await?;
        assert!(matches!(end, Frame::Ended(_)), "{scenario}: {end:?}");
        assert_eq!(types(&events(&frames)), RUN[..3], "{scenario}");
    }
    Ok(())
}

#[tokio::test]
async fn close_code_defaults_to_1011() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=close_code&after=1").await?;
    client.user_message(false, "cs-1").await?;
    let (frames, end) = until_end(&mut client).await?;
    assert_eq!(types(&events(&frames)), RUN[..2]);
    match end {
        Frame::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 1011);
            assert_eq!(frame.reason.as_str(), "internal error");
        }
        other => return Err(format!("expected a close frame, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn no_ack_runs_without_acknowledging() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=no_ack").await?;
    let frames = one_run(&mut client).await?;
    assert_eq!(types(&frames), RUN);
    Ok(())
}

#[tokio::test]
async fn malformed_junk_then_the_rest_of_the_run() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=malformed").await?;
    client.user_message(false, "cs-1").await?;
    let head = client.frames(3).await?;
    assert_eq!(types(&head), ["system_message", "agent_started", "agent_thinking"]);
    assert!(matches!(client.read(common::WAIT).await, Frame::Raw(t) if t == "not json"));
    assert_eq!(client.json().await?, json!([1, 2]));
    assert_eq!(client.json().await?, json!({"type": 42}));
    assert_eq!(client.json().await?["seq"], json!("abc"));
    let deep = client.json().await?;
    assert!(deep.to_string().contains(&"[".repeat(100)));
    let big = client.json().await?;
    assert!(big.to_string().len() >= 2 * 1024 * 1024);
    assert_eq!(types(&client.drain().await?), RUN[2..]);
    Ok(())
}

#[tokio::test]
async fn error_frames_then_the_rest_of_the_run() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=error").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(
        events[2],
        json!({"type": "error_message", "error_code": "AGENT_FAILED",
                                 "error_message": "Tool backend unavailable", "details": {}})
    );
    assert_eq!(
        events[3],
        json!({"type": "connection_error",
                                 "data": {"message": "Upstream unavailable", "support_code": "SUP-7"}})
    );
    assert_eq!(types(&events[4..]), RUN[2..]);
    Ok(())
}

#[tokio::test]
async fn skip_never_produces_the_event() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=skip&event=tool_completed").await?;
    let events = events(&one_run(&mut client).await?);
    assert_eq!(
        types(&events),
        ["agent_started", "agent_thinking", "agent_thinking", "tool_executing", "agent_completed"]
    );
    Ok(())
}

#[tokio::test]
async fn slow_delays_the_first_event() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=slow&delay_ms=400").await?;
    client.user_message(false, "cs-1").await?;
    let sent = Instant::now();
    assert_eq!(text(&client.json().await?, &["type"]), "system_message");
    assert_eq!(text(&client.json().await?, &["type"]), "agent_started");
    assert!(sent.elapsed() >= Duration::from_millis(400));
    Ok(())
}

#[tokio::test]
async fn flood_sends_count_events_of_300_to_600_bytes() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=flood&count=1000").await?;
    client.user_message(false, "cs-1").await?;
    assert_eq!(text(&client.json().await?, &["type"]), "system_message");
    let events = client.frames(1000).await?;
    for (i, event) in events.iter().enumerate() {
        let len = event.to_string().len();
        assert!((300..=600).contains(&len), "frame {i} is {len} bytes");
        assert_eq!(text(event, &["type"]), RUN[[0, 1, 3, 4, 5][i % 5]]);
    }
    // Later messages are acknowledged but start nothing.
    client.user_message(false, "cs-2").await?;
    assert_eq!(types(&client.drain().await?), ["system_message"]);
    Ok(())
}

#[tokio::test]
async fn invalid_parameters_are_refused() -> TestResult {
    let addr = server().await?;
    for query in ["dialect=nope", "scenario=nope", "scenario=skip", "event=nope", "pace_ms=x", "k=1001", "code=1005"] {
        let refused = Client::connect(addr, query).await;
        assert!(refused.is_err(), "{query} was accepted");
    }
    Ok(())
}
