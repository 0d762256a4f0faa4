//! One check per server scenario, shared by the netra and sequenced test binaries. Each asserts
//! the exact set of failure kinds.
#![allow(dead_code)]

use chat_sentinel::core::{Config, ConnectionState, FailureKind, Reconnect, Severity, Verdict};

use super::{assert_golden, config, Harness, Rec};

fn q(dialect: &str, rest: &str) -> String {
    format!("dialect={dialect}&{rest}")
}

fn sequenced(dialect: &str) -> bool {
    dialect == "sequenced"
}

/// Connects, sends one message (acknowledged) and returns the harness.
async fn started(dialect: &str, rest: &str, config: Config) -> Harness {
    let mut h = Harness::new(&q(dialect, rest), config);
    h.connect().await;
    let receipt = h.send("hello").await;
    assert!(receipt.is_ok(), "send failed: {receipt:?}");
    h
}

pub async fn clean(d: &str) {
    let mut h = started(d, "scenario=clean", config()).await;
    h.expect_kinds(&[], 10_000, Rec::completed).await;
    assert_golden(&h.rec, sequenced(d));
    assert!(h.rec.events.iter().all(|e| e.run_id.as_deref() == h.rec.events[0].run_id.as_deref()));
    assert_eq!(h.rec.receipts.len(), 1);
    let health = h.client.health();
    assert_eq!(health.state, ConnectionState::Open);
    assert_eq!(health.delivered, 6);
    assert_eq!(
        (health.failures, health.gaps, health.duplicates, health.pending_acks, health.open_runs),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(health.dialect.map(|d| d.as_str()), Some(d));
}

pub async fn drop(d: &str) {
    // Sequenced: the gap, and (PROTOCOL.md: all netra run-lifecycle checks apply) the
    // tool_completed that came without its tool_executing.
    let expected: &[&str] = if sequenced(d) { &["missing_event", "seq_gap"] } else { &["missing_event"] };
    let mut h = started(d, "scenario=drop", config()).await;
    h.expect_kinds(expected, 10_000, Rec::completed).await;
    assert!(!h.rec.types().contains(&"tool_executing"));
    if sequenced(d) {
        let gap = h.rec.failures.iter().find(|f| f.kind == FailureKind::SeqGap).expect("a seq_gap");
        assert_eq!(gap.seq.map(|s| (s.from, s.to)), Some((4, Some(4))), "the missing seq");
    }
}

pub async fn drop_tail(d: &str) {
    if sequenced(d) {
        // The tail shows in the next pong's head_seq.
        let cfg = Config { heartbeat_interval_ms: 400, heartbeat_timeout_ms: 5_000, ..config() };
        let mut h = started(d, "scenario=drop_tail", cfg).await;
        h.expect_kinds(&["tail_gap"], 10_000, |_| true).await;
        let gap = h.rec.failures.iter().find(|f| f.kind == FailureKind::TailGap).expect("a tail_gap");
        assert_eq!(gap.seq.map(|s| s.from), Some(6));
    } else {
        let cfg = Config { run_stall_timeout_ms: 1_000, ..config() };
        let mut h = started(d, "scenario=drop_tail", cfg).await;
        h.expect_kinds(&["run_stalled"], 10_000, |_| true).await;
    }
}

pub async fn duplicate(d: &str) {
    let mut h = started(d, "scenario=duplicate", config()).await;
    h.expect_kinds(&["duplicate"], 10_000, Rec::completed).await;
    assert_golden(&h.rec, sequenced(d));
    assert_eq!(h.client.health().duplicates, 6);
}

pub async fn triple_send(d: &str) {
    let mut h = started(d, "scenario=triple_send&retry_ms=30", config()).await;
    h.expect_kinds(&["duplicate"], 10_000, |r| r.completed() && r.failures.len() >= 12).await;
    assert_golden(&h.rec, sequenced(d));
    assert_eq!(h.rec.failures.len(), 12, "two copies of each of six events");
}

/// The retry wrapper's rebuilt variant: each copy re-stamped with a fresh `timestamp` and an
/// `attempt` counter. Still one event each, the copies duplicates (PROTOCOL.md, retry fields).
pub async fn retry_restamped(d: &str) {
    let mut h = started(d, "scenario=retry_restamped&retry_ms=30", config()).await;
    h.expect_kinds(&["duplicate"], 10_000, |r| r.completed() && r.failures.len() >= 12).await;
    assert_golden(&h.rec, sequenced(d));
    assert_eq!(h.rec.failures.len(), 12, "two copies of each of six events");
    assert_eq!(h.client.health().duplicates, 12);
}

pub async fn reorder(d: &str) {
    let mut h = started(d, "scenario=reorder", config()).await;
    h.expect_kinds(&["out_of_order"], 10_000, Rec::completed).await;
    if sequenced(d) {
        // Held and delivered in order.
        assert_golden(&h.rec, true);
    }
}

pub async fn stall(d: &str) {
    let cfg = Config { run_stall_timeout_ms: 1_000, ..config() };
    let mut h = started(d, "scenario=stall", cfg).await;
    h.expect_kinds(&["run_stalled"], 10_000, |_| true).await;
    assert_eq!(h.rec.types(), ["agent_started", "agent_thinking"]);
}

pub async fn half_open(d: &str) {
    let cfg = Config { heartbeat_interval_ms: 300, heartbeat_timeout_ms: 500, ..config() };
    let mut h = started(d, "scenario=half_open", cfg).await;
    let recovered = |r: &Rec| {
        !r.recoveries.is_empty() && (!r.has("heartbeat_timeout") || r.states.last() == Some(&ConnectionState::Open))
    };
    if sequenced(d) {
        h.expect_kinds(&["heartbeat_timeout"], 15_000, |r| recovered(r) && r.completed()).await;
        assert_eq!(h.rec.verdicts(), [Verdict::Full]);
        assert_golden(&h.rec, true);
        assert!(h.rec.events.iter().any(|e| e.recovered), "replayed events are marked recovered");
    } else {
        h.expect_kinds(&["heartbeat_timeout"], 15_000, recovered).await;
        assert_eq!(h.rec.verdicts(), [Verdict::None]);
    }
    assert_eq!(h.client.health().reconnects, 1);
}

/// `abrupt_close` and `close_code`: connection_lost, a reconnect, and the recovery verdict.
pub async fn connection_lost(d: &str, scenario: &str) {
    let mut h = started(d, scenario, config()).await;
    if sequenced(d) {
        h.expect_kinds(&["connection_lost"], 10_000, |r| !r.recoveries.is_empty() && r.completed()).await;
        assert_eq!(h.rec.verdicts(), [Verdict::Full]);
        assert_golden(&h.rec, true);
    } else {
        h.expect_kinds(&["connection_lost"], 10_000, |r| !r.recoveries.is_empty()).await;
        assert_eq!(h.rec.verdicts(), [Verdict::None]);
    }
    let lost = h.rec.failures.iter().find(|f| f.kind == FailureKind::ConnectionLost).expect("connection_lost");
    assert_eq!(lost.severity, Severity::Warning, "warning while reconnecting");
    if scenario.contains("code=4001") {
        assert!(lost.detail.contains("4001"), "the close code is in the detail: {}", lost.detail);
    }
    assert_eq!(
        h.rec.states,
        [ConnectionState::Connecting, ConnectionState::Open, ConnectionState::Reconnecting, ConnectionState::Open]
    );
    assert_eq!(h.client.health().reconnects, 1);
}

pub async fn restart(d: &str) {
    let mut h = started(d, "scenario=restart", config()).await;
    h.expect_kinds(&["connection_lost", "recovery_failed"], 10_000, |r| !r.recoveries.is_empty()).await;
    assert_eq!(h.rec.verdicts(), [Verdict::None]);
    assert!(!h.rec.recoveries[0].missing.is_empty());
}

pub async fn resume_partial(d: &str) {
    // Reconnect only after the rest of the run was produced: of it, only the last event
    // survives for the replay, so the server's from_seq lies past last_seq + 1.
    let cfg = Config { reconnect: Reconnect { min_delay_ms: 400, max_delay_ms: 400, max_attempts: 5 }, ..config() };
    let mut h = started(d, "scenario=resume_partial", cfg).await;
    h.expect_kinds(&["connection_lost", "recovery_failed"], 10_000, |r| !r.recoveries.is_empty() && r.completed())
        .await;
    assert_eq!(h.rec.verdicts(), [Verdict::Partial]);
    assert!(!h.rec.recoveries[0].missing.is_empty());
    let failed = h.rec.failures.iter().find(|f| f.kind == FailureKind::RecoveryFailed).expect("recovery_failed");
    assert!(failed.seq.is_some(), "recovery_failed carries the missing range");
}

pub async fn no_ack(d: &str) {
    let cfg = Config { ack_timeout_ms: 500, ..config() };
    let mut h = Harness::new(&q(d, "scenario=no_ack"), cfg);
    h.connect().await;
    let result = h.send("hello").await;
    let report = result.expect_err("sendMessage must fail without an ack");
    assert_eq!(report.kind, FailureKind::AckTimeout);
    assert!(report.message_id.is_some());
    h.expect_kinds(&["ack_timeout"], 10_000, Rec::completed).await;
    assert_eq!(h.rec.failures[0].message_id, report.message_id);
}

pub async fn malformed(d: &str) {
    let mut h = started(d, "scenario=malformed", config()).await;
    h.expect_kinds(&["protocol_violation"], 10_000, Rec::completed).await;
    if sequenced(d) {
        assert_golden(&h.rec, true);
        assert_eq!(h.rec.failures.len(), 6, "one report per malformed frame: {:#?}", h.rec.failures);
    } else {
        // netra has no seq: the frame with `"seq": "abc"` is a well-formed netra event.
        let mut expected = super::GOLDEN.to_vec();
        expected.insert(2, "agent_thinking");
        assert_eq!(h.rec.types(), expected);
        assert_eq!(h.rec.failures.len(), 5, "one report per malformed frame: {:#?}", h.rec.failures);
    }
}

pub async fn error(d: &str) {
    let mut h = started(d, "scenario=error", config()).await;
    h.expect_kinds(&["server_error"], 10_000, Rec::completed).await;
    assert_golden(&h.rec, sequenced(d));
}

pub async fn skip_tool_completed(d: &str) {
    let mut h = started(d, "scenario=skip&event=tool_completed", config()).await;
    h.expect_kinds(&["tool_unfinished"], 10_000, Rec::completed).await;
}

pub async fn skip_agent_started(d: &str) {
    let mut h = started(d, "scenario=skip&event=agent_started", config()).await;
    h.expect_kinds(&["missing_event"], 10_000, Rec::completed).await;
}

pub async fn slow(d: &str) {
    let cfg = Config { first_event_timeout_ms: 300, ..config() };
    let mut h = started(d, "scenario=slow&delay_ms=1500", cfg).await;
    h.expect_kinds(&["no_response"], 10_000, Rec::completed).await;
}

pub async fn send_failed(d: &str) {
    let cfg = Config { reconnect: Reconnect { max_attempts: 0, ..config().reconnect }, ..config() };
    let mut h = started(d, "scenario=close_code&code=4002", cfg).await;
    assert!(h.until(10_000, |r| r.states.last() == Some(&ConnectionState::Closed)).await, "gave up");
    let report = h.send("after the close").await.expect_err("no connection: send_failed");
    assert_eq!(report.kind, FailureKind::SendFailed);
    h.expect_kinds(&["connection_lost", "send_failed"], 10_000, |_| true).await;
    let lost = h.rec.failures.iter().find(|f| f.kind == FailureKind::ConnectionLost).expect("connection_lost");
    assert_eq!(lost.severity, Severity::Critical, "critical when giving up");
}
