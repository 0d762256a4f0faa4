//! The `sequenced` dialect: handshake, contiguous seq, head_seq, resume, and every scenario.

#![allow(clippy::indexing_slicing)] // tests index fixed-size results

mod common;

use common::{num, seqs, server, text, types, Client, Frame, TestResult, FAST, QUIET, RUN};
use serde_json::{json, Value};

/// Connects with `dialect=sequenced&{FAST}&{extra}` and reads the handshake.
async fn open(addr: std::net::SocketAddr, extra: &str) -> Result<(Client, Value), Box<dyn std::error::Error>> {
    let mut client = Client::connect(addr, &format!("dialect=sequenced&{FAST}&{extra}")).await?;
    let hello = client.json().await?;
    Ok((client, hello))
}

/// Sends one user message and returns the ack and the run's events (until silence).
async fn one_run(client: &mut Client) -> Result<(Value, Vec<Value>), Box<dyn std::error::Error>> {
    client.user_message(true, "cs-1").await?;
    let ack = client.json().await?;
    assert_eq!(ack, json!({"type": "ack", "message_id": "cs-1", "run_id": text(&ack, &["run_id"])}));
    Ok((ack, client.drain().await?))
}

async fn head_seq_by_ping(client: &mut Client) -> Result<Option<u64>, Box<dyn std::error::Error>> {
    client.send(json!({"type": "ping"})).await?;
    let pong = client.json().await?;
    assert_eq!(text(&pong, &["type"]), "pong");
    Ok(num(&pong, "head_seq"))
}

#[tokio::test]
async fn handshake_clean_run_and_pong() -> TestResult {
    let addr = server().await?;
    let (mut client, hello) = open(addr, "scenario=clean").await?;
    assert_eq!(text(&hello, &["type"]), "connection_established");
    assert_eq!(text(&hello, &["protocol"]), "sequenced");
    assert!(text(&hello, &["session"]).starts_with("s-"));
    assert_eq!(num(&hello, "head_seq"), Some(0));
    assert!(text(&hello, &["data", "connection_id"]).starts_with("conn_"));
    let session = text(&hello, &["session"]).to_owned();

    let (ack, events) = one_run(&mut client).await?;
    let run_id = text(&ack, &["run_id"]).to_owned();
    assert!(run_id.starts_with("run_") && run_id.ends_with("_1"), "{run_id}");
    assert_eq!(types(&events), RUN);
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    for event in &events {
        assert_eq!(text(event, &["session"]), session);
        assert_eq!(text(event, &["run_id"]), run_id);
        assert_eq!(text(event, &["data", "thread_id"]), "th_7");
        assert!(event.get("recovered").is_none());
    }
    assert_eq!(text(&events[3], &["data", "tool_name"]), text(&events[4], &["data", "tool_name"]));
    assert_eq!(head_seq_by_ping(&mut client).await?, Some(6));

    // Client acks, pings and resumes get no generic ack; unknown types do.
    client.send(json!({"type": "ack", "seq": 6})).await?;
    client.send(json!({"type": "mystery"})).await?;
    let reply = client.json().await?;
    assert_eq!(reply, json!({"type": "ack", "received_type": "mystery", "status": "acknowledged"}));

    // A second message continues the session's numbering.
    client.user_message(true, "cs-2").await?;
    let ack = client.json().await?;
    assert!(text(&ack, &["run_id"]).ends_with("_2"));
    assert_eq!(seqs(&client.drain().await?), [7, 8, 9, 10, 11, 12]);
    Ok(())
}

#[tokio::test]
async fn idle_heartbeat_carries_head_seq() -> TestResult {
    let addr = server().await?;
    let mut client = Client::connect(addr, "dialect=sequenced&hb_ms=100").await?;
    client.json().await?;
    let beat = client.json().await?;
    assert_eq!(beat, json!({"type": "heartbeat", "head_seq": 0}));
    Ok(())
}

#[tokio::test]
async fn drop_leaves_a_seq_gap() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=drop").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(
        types(&events),
        ["agent_started", "agent_thinking", "agent_thinking", "tool_completed", "agent_completed"]
    );
    assert_eq!(seqs(&events), [1, 2, 3, 5, 6]);
    Ok(())
}

#[tokio::test]
async fn drop_tail_shows_in_head_seq() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=drop_tail").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5]);
    assert_eq!(types(&events).last(), Some(&"tool_completed"));
    assert_eq!(head_seq_by_ping(&mut client).await?, Some(6));
    Ok(())
}

#[tokio::test]
async fn duplicate_repeats_each_seq() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=duplicate&k=0&m=0").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(seqs(&events), [1, 1, 2, 2]);
    assert_eq!(events[0], events[1]);
    Ok(())
}

#[tokio::test]
async fn triple_send_repeats_each_seq_three_times() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=triple_send&k=0&m=0").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(seqs(&events), [1, 1, 1, 2, 2, 2]);
    Ok(())
}

#[tokio::test]
async fn reorder_swaps_the_tool_pair() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=reorder").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(seqs(&events), [1, 2, 3, 5, 4, 6]);
    assert_eq!(types(&events)[3..5], ["tool_completed", "tool_executing"]);
    Ok(())
}

#[tokio::test]
async fn stall_stops_after_first_thinking_but_pongs_continue() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=stall").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(types(&events), ["agent_started", "agent_thinking"]);
    assert_eq!(head_seq_by_ping(&mut client).await?, Some(2));
    Ok(())
}

#[tokio::test]
async fn half_open_goes_silent_but_stays_open() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=half_open&hb_ms=50").await?;
    client.user_message(true, "cs-1").await?;
    let mut frames = Vec::new();
    loop {
        match client.read(QUIET).await {
            Frame::Json(v) => frames.push(v),
            Frame::Silent => break,
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    let events: Vec<Value> = frames.into_iter().filter(|f| f.get("seq").is_some()).collect();
    assert_eq!(seqs(&events), [1, 2, 3]);
    client.send(json!({"type": "ping"})).await?;
    client.silent().await?;
    Ok(())
}

/// Reads until the socket ends; returns the events seen and how it ended.
async fn until_end(client: &mut Client) -> Result<(Vec<Value>, Frame), String> {
    let mut events = Vec::new();
    loop {
        match client.read(common::WAIT).await {
            Frame::Json(v) => events.push(v),
            Frame::Silent => return Err("connection did not end".to_owned()),
            end => return Ok((events, end)),
        }
    }
}

#[tokio::test]
async fn abrupt_close_then_full_resume_and_clean_continuation() -> TestResult {
    let addr = server().await?;
    let (mut first, hello) = open(addr, "scenario=abrupt_close").await?;
    let session = text(&hello, &["session"]).to_owned();
    first.user_message(true, "cs-1").await?;
    let (frames, end) = until_end(&mut first).await?;
    assert!(matches!(end, Frame::Ended(_)), "no close frame expected, got {end:?}");
    assert_eq!(types(&frames), ["ack", "agent_started", "agent_thinking", "agent_thinking"]);
    tokio::time::sleep(QUIET).await; // the run finishes into the buffer

    let (mut second, hello2) = open(addr, "scenario=abrupt_close").await?;
    assert_ne!(text(&hello2, &["session"]), session);
    second.send(json!({"type": "resume", "session": session, "last_seq": 3})).await?;
    let resumed = second.json().await?;
    assert_eq!(resumed, json!({"type": "resumed", "session": session, "from_seq": 4, "head_seq": 6}));
    let replay = second.frames(3).await?;
    assert_eq!(seqs(&replay), [4, 5, 6]);
    assert_eq!(types(&replay), RUN[3..]);
    assert!(replay.iter().all(|f| f.get("recovered") == Some(&json!(true))));
    assert!(replay.iter().all(|f| text(f, &["session"]) == session));

    // The resumed connection continues the old session, with no fault this time.
    let (_, events) = one_run(&mut second).await?;
    assert_eq!(seqs(&events), [7, 8, 9, 10, 11, 12]);
    assert!(events.iter().all(|f| text(f, &["session"]) == session));
    Ok(())
}

#[tokio::test]
async fn resume_partial_replays_only_the_last_event() -> TestResult {
    let addr = server().await?;
    let (mut first, hello) = open(addr, "scenario=resume_partial").await?;
    let session = text(&hello, &["session"]).to_owned();
    first.user_message(true, "cs-1").await?;
    let (frames, end) = until_end(&mut first).await?;
    assert!(matches!(end, Frame::Ended(_)));
    assert_eq!(frames.len(), 4);
    tokio::time::sleep(QUIET).await;

    let (mut second, _) = open(addr, "").await?;
    second.send(json!({"type": "resume", "session": session, "last_seq": 3})).await?;
    let resumed = second.json().await?;
    assert_eq!(resumed, json!({"type": "resumed", "session": session, "from_seq": 6, "head_seq": 6}));
    let replay = second.drain().await?;
    assert_eq!(seqs(&replay), [6]);
    assert_eq!(types(&replay), ["agent_completed"]);
    Ok(())
}

#[tokio::test]
async fn restart_forgets_the_session() -> TestResult {
    let addr = server().await?;
    let (mut first, hello) = open(addr, "scenario=restart").await?;
    let session = text(&hello, &["session"]).to_owned();
    first.user_message(true, "cs-1").await?;
    let (_, end) = until_end(&mut first).await?;
    assert!(matches!(end, Frame::Ended(_)));

    let (mut second, hello2) = open(addr, "scenario=restart").await?;
    second.send(json!({"type": "resume", "session": session, "last_seq": 3})).await?;
    let failed = second.json().await?;
    assert_eq!(failed, json!({"type": "resume_failed", "session": session, "reason": "unknown_session"}));
    // The connection stays on its new session; and it is not resumed, so it faults again.
    second.user_message(true, "cs-2").await?;
    let (frames, _) = until_end(&mut second).await?;
    let events: Vec<&Value> = frames.iter().filter(|f| f.get("seq").is_some()).collect();
    assert!(events.iter().all(|f| text(f, &["session"]) == text(&hello2, &["session"])));
    assert_eq!(events.len(), 3);
    Ok(())
}

#[tokio::test]
async fn ack_trims_the_replay_buffer() -> TestResult {
    let addr = server().await?;
    let (mut client, hello) = open(addr, "").await?;
    let session = text(&hello, &["session"]).to_owned();
    one_run(&mut client).await?;
    client.send(json!({"type": "ack", "seq": 4})).await?;
    client.send(json!({"type": "resume", "session": session, "last_seq": 2})).await?;
    let resumed = client.json().await?;
    assert_eq!(resumed, json!({"type": "resumed", "session": session, "from_seq": 5, "head_seq": 6}));
    assert_eq!(seqs(&client.drain().await?), [5, 6]);
    Ok(())
}

#[tokio::test]
async fn close_code_sends_the_close_frame() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=close_code&code=4000&reason=bye").await?;
    client.user_message(true, "cs-1").await?;
    let (frames, end) = until_end(&mut client).await?;
    assert_eq!(frames.len(), 4);
    match end {
        Frame::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 4000);
            assert_eq!(frame.reason.as_str(), "bye");
        }
        other => return Err(format!("expected a close frame, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn no_ack_still_runs() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=no_ack").await?;
    client.user_message(true, "cs-1").await?;
    let events = client.drain().await?;
    assert_eq!(types(&events), RUN);
    Ok(())
}

#[tokio::test]
async fn malformed_junk_consumes_no_seq() -> TestResult {
    let addr = server().await?;
    let (mut client, hello) = open(addr, "scenario=malformed").await?;
    client.user_message(true, "cs-1").await?;
    client.json().await?; // ack
    let mut events = client.frames(2).await?;
    assert!(matches!(client.read(common::WAIT).await, Frame::Raw(t) if t == "not json"));
    assert_eq!(client.json().await?, json!([1, 2]));
    assert_eq!(client.json().await?, json!({"type": 42}));
    let bad_seq = client.json().await?;
    assert_eq!(bad_seq.get("seq"), Some(&json!("abc")));
    assert_eq!(text(&bad_seq, &["session"]), text(&hello, &["session"]));
    match client.read(common::WAIT).await {
        Frame::Json(deep) => assert!(deep.to_string().contains(&"[".repeat(100))),
        Frame::Raw(deep) => assert!(deep.contains(&"[".repeat(100))),
        other => return Err(format!("expected the deep frame, got {other:?}").into()),
    }
    let big = client.json().await?;
    assert!(big.to_string().len() >= 2 * 1024 * 1024);
    events.extend(client.drain().await?);
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    Ok(())
}

#[tokio::test]
async fn error_frames_after_event_one() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=error").await?;
    let (_, frames) = one_run(&mut client).await?;
    assert_eq!(
        types(&frames),
        [
            "agent_started",
            "agent_thinking",
            "error_message",
            "connection_error",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(seqs(&frames), [1, 2, 0, 0, 3, 4, 5, 6]);
    Ok(())
}

#[tokio::test]
async fn skip_produces_no_event_and_no_seq() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=skip&event=agent_started").await?;
    let (_, events) = one_run(&mut client).await?;
    assert_eq!(types(&events), RUN[1..]);
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5]);
    Ok(())
}

#[tokio::test]
async fn slow_delays_the_first_event() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=slow&delay_ms=400").await?;
    client.user_message(true, "cs-1").await?;
    client.json().await?;
    client.silent().await?;
    assert_eq!(seqs(&client.drain().await?), [1, 2, 3, 4, 5, 6]);
    Ok(())
}

#[tokio::test]
async fn flood_sends_count_sized_events() -> TestResult {
    let addr = server().await?;
    let (mut client, _) = open(addr, "scenario=flood&count=2000").await?;
    client.user_message(true, "cs-1").await?;
    assert_eq!(text(&client.json().await?, &["type"]), "ack");
    let events = client.frames(2000).await?;
    assert_eq!(seqs(&events), (1..=2000).collect::<Vec<u64>>());
    for (i, event) in events.iter().enumerate() {
        let len = event.to_string().len();
        assert!((300..=600).contains(&len), "frame {i} is {len} bytes");
        assert_eq!(text(event, &["type"]), RUN[[0, 1, 3, 4, 5][i % 5]]);
    }
    client.silent().await?;
    Ok(())
}

#[tokio::test]
async fn same_seed_same_runs() -> TestResult {
    let addr = server().await?;
    let mut tools = Vec::new();
    for _ in 0..2 {
        let (mut client, _) = open(addr, "seed=7&m=3").await?;
        let (_, events) = one_run(&mut client).await?;
        let names: Vec<String> = events
            .iter()
            .filter(|e| text(e, &["type"]) == "tool_executing")
            .map(|e| text(e, &["data", "tool_name"]).to_owned())
            .collect();
        assert_eq!(names.len(), 3);
        tools.push(names);
    }
    assert_eq!(tools[0], tools[1]);
    Ok(())
}
