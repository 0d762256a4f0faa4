//! One check per server scenario, shared by the netra and sequenced test binaries. Each asserts
//! the exact failure reports (kind and count), the one critical report of each loss, and the
//! verdict of the message's turn.
#![allow(dead_code)]

use chat_sentinel::core::{Config, ConnectionState, FailureKind, Reconnect, Severity, TurnState, Verdict};

use wasm_bindgen::JsValue;

use super::{assert_golden, config, Harness, Rec};

/// The turn has ended.
fn ended(r: &Rec) -> bool {
    !r.turn_ends().is_empty()
}

/// Asserts one turn, ended `state`, and (for an incomplete one) tied to the first critical
/// report's incident and, when that report names a run, message.
fn assert_turn(h: &Harness, state: TurnState) {
    assert_eq!(h.rec.turn_ends(), [state], "turns: {:#?}", h.rec.turns);
    if state != TurnState::Complete {
        let end = h.rec.turns.last().expect("a turn");
        let critical = h.rec.failures.iter().find(|f| f.severity == Severity::Critical).expect("a critical report");
        assert_eq!(end.incident, critical.incident, "the turn ends with the loss's incident");
        // A loss of the stream (no run named) belongs to no one message.
        if critical.run_id.is_some() {
            assert_eq!(critical.message_id, Some(end.message_id), "the loss names the turn's message");
        }
    }
}

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
    h.expect_kinds(&[], 10_000, |r| r.completed() && ended(r)).await;
    assert_golden(&h.rec, sequenced(d));
    assert_turn(&h, TurnState::Complete);
    let run = h.rec.events[0].run_id.as_deref();
    assert_eq!(h.rec.turns.last().and_then(|t| t.run_id.as_deref()), run, "the turn names its run");
    if sequenced(d) {
        // The sequenced ack names the run; the netra one only the message.
        assert_eq!(h.rec.receipts[0].run_id.as_deref(), run, "the receipt names the run");
    }
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
    // One loss, one critical report: the gap in sequenced, the orphan completion in netra.
    let expected: &[&str] = if sequenced(d) { &["missing_event", "seq_gap"] } else { &["missing_event"] };
    let mut h = started(d, "scenario=drop", config()).await;
    h.expect_kinds(expected, 10_000, |r| r.completed() && ended(r)).await;
    assert_eq!(h.rec.criticals(), [if sequenced(d) { "seq_gap" } else { "missing_event" }]);
    assert_turn(&h, TurnState::Incomplete);
    assert!(!h.rec.types().contains(&"tool_executing"));
    if sequenced(d) {
        let gap = h.rec.failures.iter().find(|f| f.kind == FailureKind::SeqGap).expect("a seq_gap");
        assert_eq!(gap.seq.map(|s| (s.from, s.to)), Some((4, Some(4))), "the missing seq");
    }
}

pub async fn drop_tail(d: &str) {
    if sequenced(d) {
        // The tail shows in the next pong's head_seq. Which run it took is unknown: the open
        // run joins its incident, so that stalling without its agent_completed is no new loss.
        let cfg =
            Config { heartbeat_interval_ms: 400, heartbeat_timeout_ms: 5_000, run_stall_timeout_ms: 1_000, ..config() };
        let mut h = started(d, "scenario=drop_tail", cfg).await;
        h.expect_kinds(&["missing_event", "run_stalled", "tail_gap"], 10_000, ended).await;
        assert_eq!(h.rec.criticals(), ["tail_gap"]);
        let gap = h.rec.failures.iter().find(|f| f.kind == FailureKind::TailGap).expect("a tail_gap");
        assert_eq!(gap.seq.map(|s| s.from), Some(6));
        assert_turn(&h, TurnState::Incomplete);
    } else {
        // Stalled, then abandoned at the second silence without its agent_completed: one loss.
        let cfg = Config { run_stall_timeout_ms: 1_000, ..config() };
        let mut h = started(d, "scenario=drop_tail", cfg).await;
        h.expect_kinds(&["missing_event", "run_stalled"], 10_000, ended).await;
        assert_eq!(h.rec.criticals(), ["run_stalled"]);
        assert_turn(&h, TurnState::Incomplete);
    }
}

pub async fn duplicate(d: &str) {
    let mut h = started(d, "scenario=duplicate", config()).await;
    h.expect_kinds(&["duplicate"; 6], 10_000, |r| r.completed() && ended(r)).await;
    assert_golden(&h.rec, sequenced(d));
    assert!(h.rec.criticals().is_empty(), "a duplicate was delivered once: nothing was lost");
    assert_turn(&h, TurnState::Complete);
    assert_eq!(h.client.health().duplicates, 6);
}

pub async fn triple_send(d: &str) {
    let mut h = started(d, "scenario=triple_send&retry_ms=30", config()).await;
    // Two copies of each of six events.
    h.expect_kinds(&["duplicate"; 12], 10_000, |r| r.completed() && ended(r)).await;
    assert_golden(&h.rec, sequenced(d));
    assert_turn(&h, TurnState::Complete);
}

/// The retry wrapper's rebuilt variant: each copy re-stamped with a fresh `timestamp` and an
/// `attempt` counter. Still one event each, the copies duplicates (PROTOCOL.md, retry fields).
pub async fn retry_restamped(d: &str) {
    let mut h = started(d, "scenario=retry_restamped&retry_ms=30", config()).await;
    h.expect_kinds(&["duplicate"; 12], 10_000, |r| r.completed() && ended(r)).await;
    assert_golden(&h.rec, sequenced(d));
    assert_turn(&h, TurnState::Complete);
    assert_eq!(h.client.health().duplicates, 12);
}

pub async fn reorder(d: &str) {
    let mut h = started(d, "scenario=reorder", config()).await;
    h.expect_kinds(&["out_of_order"], 10_000, |r| r.completed() && ended(r)).await;
    assert!(h.rec.criticals().is_empty(), "nothing was lost");
    assert_turn(&h, TurnState::Complete);
    if sequenced(d) {
        // Held and delivered in order.
        assert_golden(&h.rec, true);
    }
}

pub async fn stall(d: &str) {
    let cfg = Config { run_stall_timeout_ms: 1_000, ..config() };
    let mut h = started(d, "scenario=stall", cfg).await;
    // Stalled, then abandoned: the events it never sent join the stall's incident.
    h.expect_kinds(&["missing_event", "run_stalled"], 10_000, ended).await;
    assert_eq!(h.rec.criticals(), ["run_stalled"]);
    assert_turn(&h, TurnState::Incomplete);
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

/// `no_ack`: the Netra backend as deployed never acknowledges; its first event stands for the
/// ack (no alarm). The sequenced server must ack: `ack_timeout`, and the turn still completes.
pub async fn no_ack(d: &str) {
    let cfg = Config { ack_timeout_ms: 500, ..config() };
    let mut h = Harness::new(&q(d, "scenario=no_ack"), cfg);
    h.connect().await;
    let result = h.send("hello").await;
    if sequenced(d) {
        let report = result.expect_err("sendMessage must fail without an ack");
        assert_eq!(report.kind, FailureKind::AckTimeout);
        assert!(report.message_id.is_some());
        h.expect_kinds(&["ack_timeout"], 10_000, |r| r.completed() && ended(r)).await;
        assert_eq!(h.rec.failures[0].message_id, report.message_id);
    } else {
        let receipt = result.expect("acknowledged by its run's first event");
        assert!(receipt.inferred);
        assert!(receipt.run_id.is_some());
        h.expect_kinds(&[], 10_000, |r| r.completed() && ended(r)).await;
    }
    assert_turn(&h, TurnState::Complete);
}

/// `require_explicit_ack` restores the strict rule for a Netra server that does ack.
pub async fn no_ack_strict(d: &str) {
    let cfg = Config { ack_timeout_ms: 500, require_explicit_ack: true, ..config() };
    let mut h = Harness::new(&q(d, "scenario=no_ack"), cfg);
    h.connect().await;
    let report = h.send("hello").await.expect_err("no ack frame");
    assert_eq!(report.kind, FailureKind::AckTimeout);
    h.expect_kinds(&["ack_timeout"], 10_000, |r| r.completed() && ended(r)).await;
    assert_turn(&h, TurnState::Complete);
}

/// `silent`: the message is dropped unanswered (a later Netra build). One report: netra has
/// no ack to miss, so `no_response`; sequenced misses the ack first, and the turn joins it.
pub async fn silent(d: &str) {
    let cfg = Config { ack_timeout_ms: 300, first_event_timeout_ms: 600, ..config() };
    let mut h = Harness::new(&q(d, "scenario=silent"), cfg);
    h.connect().await;
    let report = h.send("hello").await.expect_err("no answer at all");
    if sequenced(d) {
        assert_eq!(report.kind, FailureKind::AckTimeout);
        h.expect_kinds(&["ack_timeout", "no_response"], 10_000, ended).await;
        assert_eq!(h.rec.criticals(), ["ack_timeout"]);
    } else {
        assert_eq!(report.kind, FailureKind::NoResponse);
        h.expect_kinds(&["no_response"], 10_000, ended).await;
    }
    assert_turn(&h, TurnState::Incomplete);
}

/// `started_thrice`: the deployed retry wrapper sends `agent_started` three times (0 s, +1 s,
/// +3 s), then the run aborts. Two duplicates, and one loss: the run that never went on.
pub async fn started_thrice(d: &str) {
    let cfg = Config { run_stall_timeout_ms: 4_000, ..config() };
    let mut h = started(d, "scenario=started_thrice", cfg).await;
    h.expect_kinds(&["duplicate", "duplicate", "missing_event", "run_stalled"], 20_000, ended).await;
    assert_eq!(h.rec.criticals(), ["run_stalled"]);
    assert_eq!(h.rec.types(), ["agent_started"]);
    assert_turn(&h, TurnState::Incomplete);
}

/// `upgrade_500`: every upgrade is refused with HTTP 500 (the #373 build). The browser sees
/// only a 1006 close: `connect_failed`, one per attempt, critical once the client gives up.
pub async fn upgrade_500(d: &str) {
    let cfg = Config { reconnect: Reconnect { max_attempts: 1, ..config().reconnect }, ..config() };
    let mut h = Harness::new(&q(d, "scenario=upgrade_500"), cfg);
    let report = h.client.connect().await.expect_err("the upgrade is refused");
    assert_eq!(report.kind, FailureKind::ConnectFailed);
    assert!(report.detail.starts_with("the connection never opened"), "{}", report.detail);
    h.expect_kinds(&["connect_failed", "connect_failed"], 10_000, |r| {
        r.states.last() == Some(&ConnectionState::Closed)
    })
    .await;
    assert_eq!(h.rec.criticals(), ["connect_failed"]);
    assert!(h.rec.turns.is_empty());
}

/// `cleanup_close`: the server's receive loop dies on the first message and it closes 1000
/// "main cleanup". The client reconnects; the message's turn is the loss.
pub async fn cleanup_close(d: &str) {
    let cfg = Config { ack_timeout_ms: 600, first_event_timeout_ms: 900, ..config() };
    let mut h = Harness::new(&q(d, "scenario=cleanup_close"), cfg);
    h.connect().await;
    let report = h.send("hello").await.expect_err("never answered");
    let expected: &[&str] = if sequenced(d) {
        &["ack_timeout", "connection_lost", "no_response"]
    } else {
        &["connection_lost", "no_response"]
    };
    h.expect_kinds(expected, 10_000, ended).await;
    assert_eq!(h.rec.criticals(), [report.kind.as_str()]);
    let lost = h.rec.failures.iter().find(|f| f.kind == FailureKind::ConnectionLost).expect("connection_lost");
    assert!(lost.detail.contains("1000 (clean): main cleanup"), "{}", lost.detail);
    assert_turn(&h, TurnState::Incomplete);
}

/// `echo_protocol`: the server accepts the client's own `jwt.<token>` as the subprotocol. One
/// critical `credential_echoed` that does not quote the token; the turn itself is fine.
pub async fn echo_protocol(d: &str) {
    let mut h = started(d, "scenario=echo_protocol", config()).await;
    h.expect_kinds(&["credential_echoed"], 10_000, |r| r.completed() && ended(r)).await;
    assert_eq!(h.rec.criticals(), ["credential_echoed"]);
    assert!(!h.rec.failures[0].detail.contains(super::TOKEN));
    assert_turn(&h, TurnState::Complete);
}

pub async fn malformed(d: &str) {
    let mut h = started(d, "scenario=malformed", config()).await;
    // One report per malformed frame.
    let count = if sequenced(d) { 6 } else { 5 };
    h.expect_kinds(&vec!["protocol_violation"; count], 10_000, |r| r.completed() && ended(r)).await;
    if sequenced(d) {
        assert_golden(&h.rec, true);
    } else {
        // netra has no seq: the frame with `"seq": "abc"` is a well-formed netra event.
        let mut expected = super::GOLDEN.to_vec();
        expected.insert(2, "agent_thinking");
        assert_eq!(h.rec.types(), expected);
    }
}

pub async fn error(d: &str) {
    let mut h = started(d, "scenario=error", config()).await;
    // The agent's error and the connection's.
    h.expect_kinds(&["server_error"; 2], 10_000, |r| r.completed() && ended(r)).await;
    assert_golden(&h.rec, sequenced(d));
}

pub async fn skip_tool_completed(d: &str) {
    let mut h = started(d, "scenario=skip&event=tool_completed", config()).await;
    h.expect_kinds(&["tool_unfinished"], 10_000, |r| r.completed() && ended(r)).await;
    assert_turn(&h, TurnState::Incomplete);
}

pub async fn skip_agent_started(d: &str) {
    let mut h = started(d, "scenario=skip&event=agent_started", config()).await;
    h.expect_kinds(&["missing_event"], 10_000, |r| r.completed() && ended(r)).await;
    assert_turn(&h, TurnState::Incomplete);
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
    // The loss, the first turn it cut short (a warning of the same incident), the late send.
    h.expect_kinds(&["connection_lost", "connection_lost", "send_failed"], 10_000, |_| true).await;
    let lost = h.rec.failures.iter().find(|f| f.kind == FailureKind::ConnectionLost).expect("connection_lost");
    assert_eq!(lost.severity, Severity::Critical, "critical when giving up");
    assert_eq!(h.rec.failures[1].incident, lost.incident);
    assert_eq!(h.rec.turn_ends(), [TurnState::Incomplete, TurnState::Failed]);
    assert!(report.detail.starts_with("not sent: "), "{}", report.detail);
}

/// The server's own view of delivery (`/debug/delivery`) after a `scenario` run, connected
/// with confirmations on (netra `confirm=1`; sequenced always acks): the events it never had
/// confirmed are exactly those of `lost` types, each thrown away by the scenario, and it has
/// every event the client delivered confirmed (netra by `event_id`, sequenced by `seq`).
pub async fn delivery(d: &str, scenario: &str, lost: &[&str]) {
    let marker = format!("dlv-{d}-{scenario}");
    let mut h = started(d, &format!("scenario={scenario}&confirm=1&marker={marker}"), config()).await;
    h.until(10_000, ended).await;
    // Past the ack delay (250 ms), so the last sequenced ack is out.
    h.settle(600).await;
    let entry = super::debug_delivery(&marker).await;
    let unconfirmed = super::items(&super::field(&entry, "unconfirmed"));
    let types: Vec<String> = unconfirmed.iter().filter_map(|e| super::field(e, "type").as_string()).collect();
    assert_eq!(types, lost, "the server's unconfirmed events: {:?}", js_sys::JSON::stringify(&entry));
    for e in &unconfirmed {
        assert_eq!(super::field(e, "thrown_away").as_bool(), Some(true), "only what the scenario threw away");
    }
    let confirmed: Vec<String> =
        super::items(&super::field(&entry, "confirmed")).iter().filter_map(JsValue::as_string).collect();
    assert_eq!(confirmed.len(), h.rec.events.len(), "one confirmed per delivered event: {confirmed:?}");
    if sequenced(d) {
        let delivered: Vec<String> = h.rec.events.iter().filter_map(|e| e.seq).map(|s| s.to_string()).collect();
        assert_eq!(confirmed, delivered, "the acked seqs are the delivered ones");
    }
    assert_eq!(super::field(&entry, "unknown_confirmations").as_f64(), Some(0.0));
}

/// A client closed the moment its turn ended, within the ack delay: what arrived since the
/// last ack goes before the close (sequenced), so the server has every delivered event
/// confirmed.
pub async fn delivery_when_closed_at_once(d: &str) {
    let marker = format!("dlv-closed-{d}");
    // A short reorder window, so that the turn ends well within the ack delay (250 ms).
    let cfg = Config { reorder_window_ms: 20, ..config() };
    let mut h = started(d, &format!("scenario=clean&confirm=1&marker={marker}"), cfg).await;
    h.until(10_000, ended).await;
    h.client.close();
    let delivered = h.rec.events.len();
    // The server reads the socket until its close; nothing more comes from the client.
    let mut entry = super::debug_delivery(&marker).await;
    for _ in 0..20 {
        if super::items(&super::field(&entry, "confirmed")).len() >= delivered {
            break;
        }
        super::sleep(50).await;
        entry = super::debug_delivery(&marker).await;
    }
    let confirmed = super::items(&super::field(&entry, "confirmed")).len();
    assert_eq!(confirmed, delivered, "every delivered event confirmed: {:?}", js_sys::JSON::stringify(&entry));
    assert_eq!(super::items(&super::field(&entry, "unconfirmed")).len(), 0);
}

/// Confirmations stay within their bound under `flood` (PROTOCOL.md, "Delivery
/// confirmations"): netra one `event_confirmation` of 64 bytes plus its id per delivered
/// agent event; sequenced one ack per 64 delivered events plus one per 250 ms (and per ping).
pub async fn flood_confirmations(d: &str) {
    const COUNT: usize = 2_000;
    let marker = format!("flood-{d}");
    let started_at = js_sys::Date::now();
    let mut h = started(d, &format!("scenario=flood&count={COUNT}&confirm=1&marker={marker}"), config()).await;
    assert!(h.until(30_000, |r| r.events.len() >= COUNT).await, "the flood arrived: {}", h.rec.events.len());
    h.settle(600).await;
    let elapsed_ms = js_sys::Date::now() - started_at;
    let entry = super::debug_delivery(&marker).await;
    let number = |key: &str| super::field(&entry, key).as_f64().unwrap_or(-1.0);
    let (frames, bytes) = (number("confirmations"), number("confirmation_bytes"));
    let delivered = h.rec.events.len() as f64;
    assert_eq!(number("unknown_confirmations"), 0.0);
    assert_eq!(super::items(&super::field(&entry, "unconfirmed")).len(), 0, "every flood event confirmed");
    if sequenced(d) {
        let bound = (delivered / 64.0).ceil() + (elapsed_ms / 250.0).ceil() + 2.0;
        assert!(
            frames >= delivered / 64.0 && frames <= bound,
            "{frames} acks for {delivered} events in {elapsed_ms} ms (bound {bound})"
        );
        assert!(bytes <= frames * 64.0, "{bytes} bytes in {frames} acks");
    } else {
        assert_eq!(frames, delivered, "one confirmation per delivered agent event");
        // The frame is 64 bytes around its id; the server's ids are `ev-<conn>-<n>`.
        let longest_id = format!("ev-{}-{COUNT}", super::field(&entry, "conn").as_f64().unwrap_or(0.0)).len() as f64;
        assert!(bytes <= frames * (64.0 + longest_id), "{bytes} bytes in {frames} confirmations");
    }
}
