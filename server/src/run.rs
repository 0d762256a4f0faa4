//! Agent runs: the events a user message produces, shaped by the connection's scenario.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::sleep;

use crate::frames::{self, RunCtx, Step};
use crate::outbound::Outlet;
use crate::params::{Dialect, Params};
use crate::rng::Rng;
use crate::scenario::{ConnFault, Scenario};

const AGENTS: [&str; 4] = ["triage", "data_helper", "optimizer", "reporter"];
const TOOLS: [&str; 5] = ["cost_query", "usage_report", "anomaly_scan", "forecast", "log_search"];
const THOUGHTS: [&str; 5] = [
    "Looking at the costs",
    "Comparing last month with this month",
    "Checking which services grew",
    "Weighing the options",
    "Summarising the findings",
];

/// Index of the run event after which `malformed` and `error` send their extra frames.
const JUNK_AFTER: usize = 1;
/// `started_thrice`: the waits before the second and third copy of `agent_started` (the
/// deployed retry wrapper's 0 s, +1 s, +3 s).
const STARTED_THRICE_RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];
/// Frames a flood may have queued but not yet written.
const FLOOD_BACKLOG: usize = 256;
/// `huge_names`: frames queued but not yet written (each up to `bytes` long).
const HUGE_BACKLOG: usize = 4;
/// `huge_names`: the runs its frames are spread over.
const HOG_RUNS: u64 = 300;

/// One run to perform.
pub struct Run {
    pub params: Arc<Params>,
    pub outlet: Outlet,
    pub ctx: RunCtx,
    /// The run's number on its connection (1-based); seeds its content.
    pub number: u64,
    /// The connection-level fault to inject after event `params.after`, if this run carries it.
    pub fault: Option<ConnFault>,
    /// The connection's id, for log lines.
    pub conn: u64,
}

/// The agent name a run uses; deterministic for `(seed, number)`.
pub fn agent_name(seed: u64, number: u64) -> &'static str {
    Rng::new(seed, number).pick(&AGENTS)
}

/// The run's events in order: `agent_started`, `agent_thinking`×k, (`tool_executing`,
/// `tool_completed`)×m, `agent_completed`, without the `skip` scenario's event type.
fn plan(params: &Params, number: u64) -> Vec<Step> {
    let mut rng = Rng::new(params.seed, number.wrapping_add(1 << 32));
    let mut steps = vec![Step::Started];
    for step in 1..=params.thinking {
        let reasoning = rng.pick(&THOUGHTS);
        steps.push(Step::Thinking { step, of: params.thinking, reasoning });
    }
    let parallel = params.scenario == Scenario::ParallelTools;
    // Parallel calls are told apart by name, as a backend's tool-call ids would.
    let tools: Vec<String> = (0..params.tools)
        .map(|i| if parallel { format!("{}_{i}", rng.pick(&TOOLS)) } else { rng.pick(&TOOLS).to_owned() })
        .collect();
    if parallel {
        steps.extend(tools.iter().map(|tool| Step::ToolExecuting { tool: tool.clone() }));
        steps.extend(tools.into_iter().map(|tool| Step::ToolCompleted { tool }));
    } else {
        for tool in tools {
            steps.push(Step::ToolExecuting { tool: tool.clone() });
            steps.push(Step::ToolCompleted { tool });
        }
    }
    steps.push(Step::Completed);
    if params.scenario == Scenario::Skip {
        steps.retain(|s| Some(s.kind()) != params.skip_event);
    }
    steps
}

impl Run {
    /// Sends the run's events `pace` apart (the first after `delay` in `slow`), applying the
    /// scenario's run-level fault, and the connection-level fault after event `after`.
    /// Returns early when the outlet closes or the scenario stalls.
    pub async fn perform(self) {
        let params = &self.params;
        let scenario = params.scenario;
        let steps = plan(params, self.number);
        let stall_at = steps.iter().position(|s| matches!(s, Step::Thinking { .. })).unwrap_or(0);
        let first_exec = steps.iter().position(|s| matches!(s, Step::ToolExecuting { .. }));
        let first_done = steps.iter().position(|s| matches!(s, Step::ToolCompleted { .. }));
        let mut held: Option<Value> = None;
        // late_retry: every frame as sent, for the late copies.
        let mut sent: Vec<Value> = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let wait = match (index, scenario) {
                (0, Scenario::Slow) => {
                    self.log(&format!("slow: first event in {:?}", params.delay));
                    params.delay
                }
                (0, _) => Duration::ZERO,
                _ => params.pace,
            };
            sleep(wait).await;
            if !self.outlet.is_open() {
                return;
            }
            let mut body = match params.dialect {
                Dialect::Netra => frames::netra_event(step, &self.ctx),
                Dialect::Sequenced => frames::sequenced_event(step, &self.ctx),
            };
            frames::shape_run_id(&mut body, params.run_id);
            match scenario {
                Scenario::StartedThrice => {
                    let frame = self.outlet.emit(body, None);
                    for wait in STARTED_THRICE_RETRIES {
                        sleep(wait).await;
                        self.outlet.send(&frame);
                    }
                    self.log("started_thrice: agent_started sent three times, then the run aborted");
                    return;
                }
                Scenario::Drop if Some(index) == first_exec => self.lose(step, body),
                Scenario::ManyRuns if Some(index) == first_exec => self.lose(step, body),
                Scenario::ConflictingKeys if index == JUNK_AFTER => {
                    let text = frames::with_conflicting_run_id(&self.outlet.stamp(body));
                    self.outlet.send_raw(text, None);
                    self.log("conflicting_keys: sent a frame with a second, different run_id");
                }
                Scenario::LateRetry => sent.push(self.outlet.emit(body, None)),
                Scenario::DropTail if *step == Step::Completed => self.lose(step, body),
                Scenario::Reorder if Some(index) == first_exec && first_done.is_some() => {
                    held = Some(self.outlet.stamp(body));
                    self.log("reorder: holding tool_executing until after tool_completed");
                }
                Scenario::Reorder if Some(index) == first_done => {
                    self.outlet.emit(body, None);
                    if let Some(frame) = held.take() {
                        self.outlet.send(&frame);
                    }
                }
                Scenario::Duplicate => {
                    let frame = self.outlet.emit(body, None);
                    self.outlet.send(&frame);
                    self.log(&format!("duplicate: sent {} twice", step.kind()));
                }
                Scenario::TripleSend => {
                    let frame = self.outlet.emit(body, None);
                    for _ in 0..2 {
                        sleep(params.retry).await;
                        self.outlet.send(&frame);
                    }
                    self.log(&format!("triple_send: sent {} three times", step.kind()));
                }
                Scenario::RetryRestamped => {
                    let mut frame = self.outlet.emit(body, None);
                    for attempt in 2..=3 {
                        sleep(params.retry).await;
                        frames::restamp(&mut frame, attempt);
                        self.outlet.send(&frame);
                    }
                    self.log(&format!("retry_restamped: sent {} three times, re-stamped", step.kind()));
                }
                _ => {
                    self.outlet.emit(body, None);
                }
            }
            if index == JUNK_AFTER {
                self.send_junk().await;
            }
            if index == params.after {
                if let Some(fault) = self.fault {
                    self.outlet.fault(fault);
                }
            }
            if scenario == Scenario::Stall && index == stall_at {
                self.log(&format!("stall: run stops after {}", step.kind()));
                return;
            }
        }
        if !sent.is_empty() {
            sleep(params.delay).await;
            self.log(&format!("late_retry: sending all {} events again", sent.len()));
            for frame in &sent {
                self.outlet.send(frame);
            }
        }
    }

    /// `drop`/`drop_tail`: the event is never sent (sequenced: its `seq` is consumed).
    fn lose(&self, step: &Step, body: Value) {
        let seq = self.outlet.lose(body).map_or(String::new(), |s| format!(" (seq {s} consumed)"));
        self.log(&format!("{}: {} not sent{seq}", self.params.scenario, step.kind()));
    }

    /// `malformed`/`error`/`echo_token`/`huge_frame`/`huge_names`: the extra frames sent after
    /// event [`JUNK_AFTER`], never numbered.
    async fn send_junk(&self) {
        let params = &self.params;
        let frames: Vec<String> = match params.scenario {
            Scenario::Malformed => frames::malformed_frames(self.outlet.session_id(), &self.ctx.run_id),
            Scenario::Error => frames::error_frames().iter().map(Value::to_string).collect(),
            Scenario::EchoToken => frames::echo_frames(params.token.as_ref()).iter().map(Value::to_string).collect(),
            Scenario::HugeFrame => vec![frames::padded_thinking(&self.ctx.run_id, params.bytes)],
            Scenario::HugeNames => return self.send_huge_names().await,
            _ => return,
        };
        self.log(&format!("{}: sending {} extra frames", params.scenario, frames.len()));
        for text in frames {
            self.outlet.send_raw(text, None);
        }
    }

    /// `huge_names`: `count` `tool_executing` frames, each `bytes` long with a tool name of its
    /// own, spread over [`HOG_RUNS`] runs that never end; at most [`FLOOD_BACKLOG`] queued.
    async fn send_huge_names(&self) {
        let params = &self.params;
        self.log(&format!("huge_names: sending {} frames of {} bytes", params.count, params.bytes));
        let backlog = Arc::new(Semaphore::new(HUGE_BACKLOG));
        for i in 0..params.count {
            let Ok(permit) = Arc::clone(&backlog).acquire_owned().await else {
                return;
            };
            if !self.outlet.is_open() {
                return;
            }
            let run_id = format!("hog_{}", i % HOG_RUNS);
            self.outlet.send_raw(frames::huge_tool_frame(&run_id, i, params.bytes), Some(permit));
        }
    }

    fn log(&self, what: &str) {
        eprintln!("conn {} {}: fault {what}", self.conn, self.ctx.run_id);
    }
}

/// `flood`: `count` events as fast as the connection takes them, cycling through the five
/// golden-path events with a new run id per cycle, each frame padded to 300–600 bytes.
pub async fn flood(params: Arc<Params>, outlet: Outlet, ctx: RunCtx, conn: u64) {
    eprintln!("conn {conn}: fault flood: sending {} events", params.count);
    let backlog = Arc::new(Semaphore::new(FLOOD_BACKLOG));
    let mut rng = Rng::new(params.seed, u64::MAX);
    let cycle_steps = [
        Step::Started,
        Step::Thinking { step: 1, of: 1, reasoning: "Flooding" },
        Step::ToolExecuting { tool: "flood_tool".to_owned() },
        Step::ToolCompleted { tool: "flood_tool".to_owned() },
        Step::Completed,
    ];
    let mut ctx = ctx;
    for index in 0..params.count {
        let Ok(permit) = Arc::clone(&backlog).acquire_owned().await else {
            return;
        };
        if !outlet.is_open() {
            return;
        }
        let cycle = index / 5;
        let Some(step) = usize::try_from(index % 5).ok().and_then(|i| cycle_steps.get(i)) else {
            return;
        };
        ctx.run_id = format!("run_{conn}_{}", cycle + 1);
        let mut body = match params.dialect {
            Dialect::Netra => frames::netra_event(step, &ctx),
            Dialect::Sequenced => frames::sequenced_event(step, &ctx),
        };
        let target = usize::try_from(rng.range(330, 570)).unwrap_or(450);
        pad(&mut body, target.saturating_sub(outlet.stamp_overhead()));
        outlet.emit(body, Some(permit));
    }
    eprintln!("conn {conn}: flood done");
}

/// Adds a `padding` string to the frame's body (`payload` or `data`) so its JSON text is
/// `target` bytes long (or as close as a non-negative padding allows).
fn pad(frame: &mut Value, target: usize) {
    let Some(map) = frame.as_object_mut() else {
        return;
    };
    let Some(body) = ["payload", "data"].into_iter().find(|k| map.get(*k).is_some_and(Value::is_object)) else {
        return;
    };
    if let Some(Value::Object(inner)) = map.get_mut(body) {
        inner.insert("padding".to_owned(), Value::from(""));
    }
    let len = Value::Object(map.clone()).to_string().len();
    if let Some(Value::Object(inner)) = map.get_mut(body) {
        inner.insert("padding".to_owned(), Value::from("x".repeat(target.saturating_sub(len))));
    }
}
