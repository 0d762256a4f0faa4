//! Builders for every frame the server sends, in both dialects (shapes from PROTOCOL.md).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::params::RunIdForm;
use crate::scenario::GOLDEN_EVENTS;

/// The `server_id` the reference server stamps on netra control frames.
const SERVER_ID: &str = "ref-1";

/// Who a run belongs to; shared by all its events.
#[derive(Debug, Clone)]
pub struct RunCtx {
    pub run_id: String,
    pub thread_id: String,
    pub user_id: String,
    pub agent_name: &'static str,
}

/// One event of a run, with the content that varies between runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Started,
    Thinking { step: u32, of: u32, reasoning: &'static str },
    ToolExecuting { tool: String },
    ToolCompleted { tool: String },
    Completed,
}

impl Step {
    /// The event's wire `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Started => "agent_started",
            Step::Thinking { .. } => "agent_thinking",
            Step::ToolExecuting { .. } => "tool_executing",
            Step::ToolCompleted { .. } => "tool_completed",
            Step::Completed => "agent_completed",
        }
    }
}

/// A netra agent event. `agent_started`, `agent_thinking` and `tool_executing` use the older
/// `payload` form (top-level `run_id`, `tool_name`, ISO timestamp); `tool_completed` and
/// `agent_completed` use the `data` form (`run_id` inside `data`, `tool`, `critical`,
/// `attempt: null`), as the deployed backend mixes them.
pub fn netra_event(step: &Step, ctx: &RunCtx) -> Value {
    match step {
        Step::Started => json!({
            "type": "agent_started", "run_id": ctx.run_id, "user_id": ctx.user_id,
            "agent_name": ctx.agent_name, "thread_id": ctx.thread_id, "timestamp": iso_now(),
            "payload": {"status": "started", "context": {},
                        "message": format!("{} has started processing your request", ctx.agent_name)}
        }),
        Step::Thinking { step, of, reasoning } => json!({
            "type": "agent_thinking", "run_id": ctx.run_id, "agent_name": ctx.agent_name,
            "thread_id": ctx.thread_id, "timestamp": iso_now(),
            "payload": {"reasoning": reasoning, "step_number": step,
                        "progress_percentage": step * 100 / (of + 1), "status": "thinking"}
        }),
        Step::ToolExecuting { tool } => json!({
            "type": "tool_executing", "run_id": ctx.run_id, "thread_id": ctx.thread_id,
            "timestamp": iso_now(),
            "payload": {"tool_name": tool, "parameters": {}, "status": "executing"}
        }),
        Step::ToolCompleted { tool } => json!({
            "type": "tool_completed",
            "data": {"tool": tool, "result": {}, "run_id": ctx.run_id, "thread_id": ctx.thread_id,
                     "request_id": format!("req_{}", ctx.run_id)},
            "timestamp": iso_now_naive(), "critical": true, "attempt": null
        }),
        Step::Completed => json!({
            "type": "agent_completed",
            "data": {"run_id": ctx.run_id, "thread_id": ctx.thread_id, "result": {"summary": "done"}},
            "timestamp": epoch_now(), "critical": true, "attempt": null
        }),
    }
}

/// Rewrites an event's run id in the form `form` asks for: a JSON number (the id must be all
/// digits), or an added top-level `null` beside a body `run_id`.
pub fn shape_run_id(frame: &mut Value, form: RunIdForm) {
    let Some(members) = frame.as_object_mut() else {
        return;
    };
    match form {
        RunIdForm::Text => {}
        RunIdForm::Number => {
            to_number(members);
            if let Some(Value::Object(body)) = members.get_mut("data") {
                to_number(body);
            }
        }
        RunIdForm::Null => {
            let in_body = members.get("data").is_some_and(|d| d.get("run_id").is_some());
            if in_body && !members.contains_key("run_id") {
                members.insert("run_id".into(), Value::Null);
            }
        }
    }
}

/// Turns a digits-only string `run_id` member into a number.
fn to_number(members: &mut serde_json::Map<String, Value>) {
    let number = members.get("run_id").and_then(Value::as_str).and_then(|id| id.parse::<u64>().ok());
    if let Some(number) = number {
        members.insert("run_id".into(), json!(number));
    }
}

/// Rebuilds a sent event as the #373 retry wrapper's variant does for attempt `attempt`: a
/// fresh `timestamp` and the `attempt` counter (PROTOCOL.md: neither makes it another event).
pub fn restamp(frame: &mut Value, attempt: u32) {
    if let Some(members) = frame.as_object_mut() {
        members.insert("timestamp".into(), json!(epoch_now() + f64::from(attempt) / 1000.0));
        members.insert("attempt".into(), json!(attempt));
    }
}

/// A sequenced agent event before stamping: `type`, top-level `run_id`, body under `data`.
/// [`crate::session::Session`] adds `session` and `seq`.
pub fn sequenced_event(step: &Step, ctx: &RunCtx) -> Value {
    let data = match step {
        Step::Started => json!({"agent_name": ctx.agent_name, "thread_id": ctx.thread_id,
                                "message": format!("{} has started", ctx.agent_name)}),
        Step::Thinking { step, reasoning, .. } => {
            json!({"reasoning": reasoning, "step_number": step, "thread_id": ctx.thread_id})
        }
        Step::ToolExecuting { tool } => json!({"tool_name": tool, "thread_id": ctx.thread_id}),
        Step::ToolCompleted { tool } => {
            json!({"tool_name": tool, "result": {}, "thread_id": ctx.thread_id})
        }
        Step::Completed => json!({"result": {"summary": "done"}, "thread_id": ctx.thread_id}),
    };
    json!({"type": step.kind(), "run_id": ctx.run_id, "data": data})
}

/// The netra handshake (`connection_established`, main mode).
/// The netra handshake; `confirm` asks for `event_confirmation` frames.
pub fn netra_handshake(connection_id: &str, user_id: &str, confirm: bool) -> Value {
    let now = epoch_now();
    let mut data = handshake_data(connection_id, user_id, now);
    if let (true, Some(map)) = (confirm, data.as_object_mut()) {
        map.insert("event_confirmation".to_owned(), Value::Bool(true));
    }
    json!({"type": "connection_established", "data": data, "timestamp": now})
}

/// The sequenced handshake: a fresh session at `head_seq` 0.
pub fn sequenced_handshake(connection_id: &str, user_id: &str, session: &str) -> Value {
    json!({"type": "connection_established", "protocol": "sequenced", "session": session,
           "head_seq": 0, "data": handshake_data(connection_id, user_id, epoch_now())})
}

fn handshake_data(connection_id: &str, user_id: &str, now: f64) -> Value {
    json!({"mode": "main", "user_id": user_id, "connection_id": connection_id,
           "golden_path_events": GOLDEN_EVENTS, "features": {}, "timestamp": now})
}

/// The netra acknowledgement of a user message.
pub fn netra_ack(message_id: &Value, correlation: u64) -> Value {
    json!({"type": "system_message",
           "data": {"content": "Message received", "original_message_id": message_id},
           "timestamp": epoch_now(), "server_id": SERVER_ID,
           "correlation_id": format!("c_{correlation}")})
}

/// The sequenced acknowledgement of a user message, naming the run it started.
pub fn sequenced_ack(message_id: &Value, run_id: &str) -> Value {
    json!({"type": "ack", "message_id": message_id, "run_id": run_id})
}

/// A netra liveness frame (`pong`, `heartbeat`, `heartbeat_ack`); `data` is its body.
pub fn netra_liveness(kind: &str, data: Value) -> Value {
    json!({"type": kind, "data": data, "timestamp": epoch_now(), "server_id": SERVER_ID})
}

/// A sequenced liveness frame (`pong`, `heartbeat`, `heartbeat_ack`) carrying `head_seq`.
pub fn sequenced_liveness(kind: &str, head_seq: u64) -> Value {
    json!({"type": kind, "head_seq": head_seq})
}

/// The answer to a client frame of a type the server does not handle.
pub fn unknown_ack(received_type: &str) -> Value {
    json!({"type": "ack", "received_type": received_type, "status": "acknowledged"})
}

/// The answer to a successful `resume`.
pub fn resumed(session: &str, from_seq: u64, head_seq: u64) -> Value {
    json!({"type": "resumed", "session": session, "from_seq": from_seq, "head_seq": head_seq})
}

/// The answer to a `resume` of a session the server does not know.
pub fn resume_failed(session: &str) -> Value {
    json!({"type": "resume_failed", "session": session, "reason": "unknown_session"})
}

/// The `error` scenario's frames: an `error_message` and a `connection_error`.
pub fn error_frames() -> [Value; 2] {
    [
        json!({"type": "error_message", "error_code": "AGENT_FAILED",
               "error_message": "Tool backend unavailable", "details": {}}),
        json!({"type": "connection_error",
               "data": {"message": "Upstream unavailable", "support_code": "SUP-7"}}),
    ]
}

/// `conflicting_keys`: the frame's text with a second, different `run_id` member appended, so
/// a reader that takes the first value sees the right run and one that takes the last does not.
pub fn with_conflicting_run_id(frame: &Value) -> String {
    let text = frame.to_string();
    match text.strip_suffix('}') {
        Some(open) => format!("{open},\"run_id\":\"not_this_run\"}}"),
        None => text,
    }
}

/// The token a client offered, in the forms a careless server quotes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    /// The token itself.
    pub raw: String,
    /// Its base64url form, as it travelled in the `jwt.` subprotocol.
    pub encoded: String,
}

/// `echo_token`: an `error_message` quoting the raw token and a `connection_error` whose
/// support code is the whole subprotocol, as the deployed backend's error paths do.
pub fn echo_frames(echo: Option<&Echo>) -> [Value; 2] {
    let (raw, encoded) = echo.map_or(("", ""), |e| (e.raw.as_str(), e.encoded.as_str()));
    [
        json!({"type": "error_message", "error_code": "AUTH_EXPIRED",
               "error_message": format!("token {raw} has expired"), "details": {"token": raw}}),
        json!({"type": "connection_error",
               "data": {"message": "Re-authenticate", "support_code": format!("jwt.{encoded}")}}),
    ]
}

/// `huge_frame`: an `agent_thinking` of `run_id` padded to `bytes` bytes of JSON text.
pub fn padded_thinking(run_id: &str, bytes: usize) -> String {
    let head = format!("{{\"type\":\"agent_thinking\",\"run_id\":\"{run_id}\",\"data\":{{\"padding\":\"");
    let tail = "\"}}";
    let pad = bytes.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

/// `huge_names`: the `i`-th `tool_executing` of `run_id`, its tool name unique and the frame
/// `bytes` bytes long.
pub fn huge_tool_frame(run_id: &str, i: u64, bytes: usize) -> String {
    let head = format!("{{\"type\":\"tool_executing\",\"run_id\":\"{run_id}\",\"payload\":{{\"tool_name\":\"t{i}_");
    let tail = "\"}}";
    let pad = bytes.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "n".repeat(pad))
}

/// Size of the oversized frame in the `malformed` scenario.
const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;
/// Nesting depth of the deep frame in the `malformed` scenario.
const DEEP_NESTING: usize = 100;

/// The `malformed` scenario's junk, as raw text frames: not JSON, a non-object, a non-string
/// `type`, a sequenced frame whose `seq` is a string, a frame nested 100 levels deep, and a
/// well-formed event padded to 2 MiB.
pub fn malformed_frames(session: &str, run_id: &str) -> Vec<String> {
    let seq_text = json!({"type": "agent_thinking", "session": session, "seq": "abc",
                          "run_id": run_id, "data": {}});
    let deep = format!(
        "{{\"type\":\"agent_thinking\",\"run_id\":\"{run_id}\",\"data\":{}1{}}}",
        "[".repeat(DEEP_NESTING),
        "]".repeat(DEEP_NESTING)
    );
    let oversized = padded_thinking(run_id, OVERSIZED_BYTES);
    vec!["not json".to_owned(), "[1,2]".to_owned(), r#"{"type":42}"#.to_owned(), seq_text.to_string(), deep, oversized]
}

/// Seconds since the Unix epoch, millisecond precision.
pub fn epoch_now() -> f64 {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    millis as f64 / 1000.0
}

/// Now as ISO-8601 UTC with microseconds and offset: `2025-09-11T19:50:12.123456+00:00`.
fn iso_now() -> String {
    let (date, micros) = utc_now();
    format!("{date}.{micros:06}+00:00")
}

/// Now as ISO-8601 without offset, milliseconds: `2025-09-11T19:50:13.001`.
fn iso_now_naive() -> String {
    let (date, micros) = utc_now();
    format!("{date}.{:03}", micros / 1000)
}

/// Now as `YYYY-MM-DDTHH:MM:SS` (UTC) and the microseconds within that second.
fn utc_now() -> (String, u32) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
    (date, now.subsec_micros())
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_342), (2025, 9, 11));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
