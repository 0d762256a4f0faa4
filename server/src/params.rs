//! The `/ws` query parameters: dialect, scenario, seed and tuning.

use std::collections::HashMap;
use std::time::Duration;

use crate::frames::Echo;
use crate::scenario::{Scenario, GOLDEN_EVENTS};

/// The wire dialect of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Netra,
    Sequenced,
}

impl Dialect {
    /// The dialect's query-parameter name.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Netra => "netra",
            Dialect::Sequenced => "sequenced",
        }
    }
}

/// How run ids are written in events (the `run_id` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunIdForm {
    /// `"run_id": "run_…"`.
    Text,
    /// `"run_id": 1234`: a JSON number (the run's id is then all digits).
    Number,
    /// netra events that carry `run_id` in their body also get a top-level `"run_id": null`.
    Null,
}

/// Everything a connection is configured with, parsed from its `/ws` query.
#[derive(Debug, Clone)]
pub struct Params {
    pub dialect: Dialect,
    pub scenario: Scenario,
    pub seed: u64,
    /// Gap between a run's events.
    pub pace: Duration,
    /// Number of `agent_thinking` events per run.
    pub thinking: u32,
    /// Number of `tool_executing`/`tool_completed` pairs per run.
    pub tools: u32,
    /// Outbound idleness after which the server sends `heartbeat`. All durations are capped
    /// at one day.
    pub heartbeat: Duration,
    /// Spacing of `triple_send` copies.
    pub retry: Duration,
    /// `slow`: delay before a run's first event.
    pub delay: Duration,
    /// `close_code`: the close code and reason.
    pub close_code: u16,
    pub close_reason: String,
    /// `skip`: the event type that is never produced.
    pub skip_event: Option<&'static str>,
    /// `flood`: number of events.
    pub count: u64,
    /// Index of the run event after which a connection-level fault fires.
    pub after: usize,
    /// `huge_frame`: the frame's size; `huge_names`: each frame's size.
    pub bytes: usize,
    /// How events write their run id.
    pub run_id: RunIdForm,
    /// `echo_token`: the token the client offered, to quote back (set from the upgrade's
    /// subprotocols, not the query).
    pub token: Option<Echo>,
    /// netra `confirm=1`: the handshake asks for `event_confirmation` frames and every event
    /// carries an `event_id` (sequenced events are always confirmed, by the `ack`).
    pub confirm: bool,
}

impl Params {
    /// Parses the query; an unknown dialect, scenario or event, or a malformed number, is an
    /// error naming the parameter.
    pub fn parse(query: &HashMap<String, String>) -> Result<Self, String> {
        let get = |key: &str| query.get(key).map(String::as_str);
        let dialect = match get("dialect").unwrap_or("netra") {
            "netra" => Dialect::Netra,
            "sequenced" => Dialect::Sequenced,
            other => return Err(format!("unknown dialect {other:?}")),
        };
        let scenario_name = get("scenario").unwrap_or("clean");
        let scenario = Scenario::parse(scenario_name).ok_or_else(|| format!("unknown scenario {scenario_name:?}"))?;
        let skip_event = match get("event") {
            None => None,
            Some(name) => {
                Some(GOLDEN_EVENTS.into_iter().find(|e| *e == name).ok_or_else(|| format!("unknown event {name:?}"))?)
            }
        };
        if scenario == Scenario::Skip && skip_event.is_none() {
            return Err("scenario skip needs event=<type>".to_owned());
        }
        let default_hb = match dialect {
            Dialect::Netra => 35_000,
            Dialect::Sequenced => 5_000,
        };
        let ms =
            |key: &str, default: u64| number(query, key, default).map(|n: u64| Duration::from_millis(n.min(MAX_MS)));
        let close_code = number(query, "code", 1011)?;
        if !(1000..=4999).contains(&close_code) || [1004, 1005, 1006, 1015].contains(&close_code) {
            return Err(format!("parameter code: {close_code} cannot be sent in a close frame"));
        }
        Ok(Params {
            dialect,
            scenario,
            seed: number(query, "seed", 0)?,
            pace: ms("pace_ms", 50)?,
            thinking: bounded(query, "k", 2)?,
            tools: bounded(query, "m", 1)?,
            heartbeat: ms("hb_ms", default_hb)?.max(Duration::from_millis(1)),
            retry: ms("retry_ms", 1_000)?,
            delay: ms("delay_ms", 3_000)?,
            close_code,
            close_reason: get("reason").unwrap_or("internal error").to_owned(),
            skip_event,
            count: number(query, "count", 100_000)?,
            after: number(query, "after", 2)?,
            bytes: number(query, "bytes", DEFAULT_BYTES)?.min(MAX_BYTES),
            run_id: match get("run_id").unwrap_or("text") {
                "text" => RunIdForm::Text,
                "number" => RunIdForm::Number,
                "null" => RunIdForm::Null,
                other => return Err(format!("parameter run_id: {other:?} is not text, number or null")),
            },
            token: None,
            confirm: get("confirm") == Some("1"),
        })
    }
}

/// `bytes` unless given: a frame well over the client's default `maxFrameBytes` (1 MiB).
const DEFAULT_BYTES: usize = 24 * 1024 * 1024;
/// Cap on `bytes`.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Durations are capped at one day.
const MAX_MS: u64 = 86_400_000;
/// Cap on `k` and `m`.
const MAX_STEPS: u32 = 1000;

/// Parses a per-run step count, at most [`MAX_STEPS`].
fn bounded(query: &HashMap<String, String>, key: &str, default: u32) -> Result<u32, String> {
    let n = number(query, key, default)?;
    if n > MAX_STEPS {
        return Err(format!("parameter {key}: at most {MAX_STEPS}"));
    }
    Ok(n)
}

/// Parses the numeric parameter `key`, or returns `default` when it is absent.
fn number<T: std::str::FromStr>(query: &HashMap<String, String>, key: &str, default: T) -> Result<T, String> {
    match query.get(key) {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| format!("parameter {key}: not a valid number: {text:?}")),
    }
}
