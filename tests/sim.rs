//! Deterministic simulation: the tracker against a scripted chat server over a lossy network,
//! on a virtual clock, for thousands of seeded fault schedules.
//!
//! For every seed and both dialects:
//! - no false negatives: every event the network or a disconnect lost is reported
//!   (sequenced: its seq lies in a reported range; netra: a loss the dialect can see names its
//!   run, or the message that started it gets `no_response`);
//! - exactly once: no event reaches the application twice (sequenced: and in order);
//! - no false positives: a fault-free schedule produces no report at all;
//! - bounded memory: the tracker's tables stay within their caps, and its bytes within
//!   `Config::memory_budget()`;
//! - parallel tool calls (up to 24 open at once in a run) raise nothing when fault-free;
//! - late copies of a whole run after the dedup window (the retry wrapper) are never
//!   delivered again once the run closed;
//! - long sessions under run-table pressure (hundreds of messages answered by quick runs,
//!   closed runs evicted within the reorder window) keep every loss reported;
//! - run ids sent as JSON numbers are tracked like text ids;
//! - duplicates re-stamped by a retry wrapper (fresh `timestamp`, an `attempt` counter) are
//!   still duplicates;
//! - every user message ends in exactly one outcome, and its turn in one end, when the client
//!   is closed at the end, also with an output queue smaller than what closing produces;
//! - with telemetry (a third of the seeds, half of them to the application's SDK, half over
//!   OTLP to a receiver that answers 503, 429 or nothing before it accepts, the page hidden
//!   now and then): every report the application got, and every turn verdict, is one record,
//!   with its kind and ids, accepted once; the application's counters add up to its records.
//!
//! `SIM_SEEDS=N` runs N seeds (default 2000); `SIM_SEED=S` runs only seed S, printing its trace.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
#![cfg(not(target_arch = "wasm32"))]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};

mod common;

use chat_sentinel::core::json::Object;
use chat_sentinel::core::{
    AttributeValue, Command, Config, DialectChoice, Export, FailureKind, Instant, Instrument, LogRecord, Measurement,
    MessageId, Observation, Output, Reconnect, Report, SendOptions, Severity, Signal, Subject, TelemetryConfig,
    TelemetrySink, Tracker, Verdict, MAX_ATTEMPTS,
};

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dialect {
    Netra,
    Sequenced,
}

/// How a schedule misbehaves; all zero is fault-free.
#[derive(Clone, Default, Debug)]
struct Faults {
    drop: u64,
    duplicate: u64,
    reorder: u64,
    disconnects: Vec<u64>,
    half_open_at: Option<u64>,
    restart_at: Option<u64>,
    replay_cap: usize,
    /// Per mille of runs whose every frame is sent again once the run completed, after the
    /// dedup window (the retry wrapper's late copies).
    late_copies: u64,
    /// A long session: this many more messages, each answered by a quick run, tens of
    /// milliseconds apart (the run table fills with runs closed within the reorder window).
    quick_messages: u64,
    /// Duplicate copies are rebuilt with a fresh `timestamp` and an `attempt` counter.
    restamped: bool,
    /// Run ids go out as JSON numbers.
    numeric_ids: bool,
    /// The client's output queue holds this many outputs; a burst of messages is pending when
    /// the client is closed.
    tiny_output_queue: Option<usize>,
}

impl Faults {
    fn any(&self) -> bool {
        self.drop + self.duplicate + self.reorder + self.late_copies > 0
            || self.tiny_output_queue.is_some()
            || !self.disconnects.is_empty()
            || self.half_open_at.is_some()
            || self.restart_at.is_some()
    }
}

/// A generated event: what the server meant the client to get.
#[derive(Clone, Debug)]
struct Generated {
    eid: u64,
    run: String,
    kind: &'static str,
    session: u64,
    seq: u64,
}

struct Session {
    head: u64,
    buffer: VecDeque<(u64, String)>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Wire {
    /// A frame to the client on connection `gen`.
    ToClient(u64, String),
    /// A frame to the server on connection `gen`.
    ToServer(u64, String),
    /// The client's socket `gen` opens.
    Open(u64),
    /// The client's socket `gen` closes (server side dropped it).
    Closed(u64),
    /// The OTLP receiver's answer to export `id`: its status and `Retry-After` (ms).
    ExportAnswer(u64, u16, Option<u64>),
}

struct Sim {
    rng: Rng,
    dialect: Dialect,
    faults: Faults,
    /// Whether the schedule has any fault (fixed before the run consumes them).
    faulty: bool,
    now: u64,
    tracker: Tracker,
    /// Deliveries in flight: (time, order) → what.
    wire: BinaryHeap<Reverse<(u64, u64, Wire)>>,
    order: u64,
    /// The live connection and when its last frame to the client lands (FIFO).
    conn: Option<u64>,
    conn_gen: u64,
    last_to_client: u64,
    half_open_conn: Option<u64>,
    sessions: HashMap<u64, Session>,
    next_session: u64,
    /// The session of the live connection (sequenced).
    conn_session: Option<u64>,
    /// Scheduled run events: (time, order) → (run index, step).
    script: BinaryHeap<Reverse<(u64, u64, usize, usize)>>,
    runs: Vec<RunPlan>,
    generated: Vec<Generated>,
    next_eid: u64,
    sends: VecDeque<u64>,
    // What the application saw.
    delivered: Vec<(u64, Option<u64>)>,
    reports: Vec<(Report, u64)>,
    outcomes: HashMap<MessageId, u32>,
    /// Final turn states seen, per message.
    turn_ends: HashMap<MessageId, u32>,
    /// The telemetry records and measurements for the application's SDK, if the seed has it.
    records: Vec<LogRecord>,
    measurements: Vec<Measurement>,
    /// OTLP: the receiver's answers (drawn apart from the schedule), its refusals so far per
    /// export, and the bodies of the log exports it accepted.
    receiver: Rng,
    refusals: HashMap<u64, u32>,
    accepted_logs: Vec<String>,
    /// When the page is hidden (telemetry sends what waits), drawn apart from the schedule.
    hidden_at: VecDeque<u64>,
    message_runs: HashMap<MessageId, String>,
    /// Every frame handed to the tracker, by ordinal − 1 (to check each event's origin).
    frames: Vec<String>,
    client_session: Option<u64>,
    last_handshake_session: Option<u64>,
    /// When the next quick message of a long session is sent, and how many are left.
    next_quick: Option<u64>,
    quick_left: u64,
    /// Steps at which the run table was full (the schedules must really press on it).
    full_table_steps: u64,
    /// `Output::Connected`s seen: the one `connect()` has exactly one.
    connect_outcomes: u32,
    trace: bool,
}

struct RunPlan {
    id: String,
    /// The frames sent so far, for late copies.
    sent: Vec<String>,
    /// Its frames were sent again after the dedup window.
    late_copied: bool,
    steps: Vec<(&'static str, Option<&'static str>)>,
    gaps: Vec<u64>,
    abandoned: bool,
    /// The session the run's events belong to (sequenced).
    session: u64,
}

/// The text of a long session's messages.
const QUICK: &str = "quick";

/// From a run's start to its first event.
const FIRST_EVENT_MS: u64 = 30;

/// The dedup window of the simulated client: late copies come after it.
const DEDUP_WINDOW_MS: u64 = 3_000;

/// Tool names of a run's parallel calls.
const PARALLEL_TOOLS: [&str; 24] = [
    "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17",
    "p18", "p19", "p20", "p21", "p22", "p23",
];

const CONFIG_RECONNECT: Reconnect = Reconnect { min_delay_ms: 100, max_delay_ms: 2_000, max_attempts: 20 };

impl Sim {
    fn new(seed: u64, dialect: Dialect, trace: bool) -> Sim {
        let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ dialect as u64);
        let faulty = seed % 4 != 0;
        let mut faults = Faults { replay_cap: 1000, ..Faults::default() };
        if faulty {
            let pick = rng.below(6);
            faults.drop = if pick == 0 || rng.chance(300) { rng.below(150) + 10 } else { 0 };
            faults.duplicate = if pick == 1 || rng.chance(300) { rng.below(200) + 10 } else { 0 };
            faults.reorder = if pick == 2 || rng.chance(300) { rng.below(200) + 10 } else { 0 };
            if pick == 3 || rng.chance(300) {
                for _ in 0..=rng.below(3) {
                    faults.disconnects.push(200 + rng.below(8_000));
                }
            }
            if pick == 4 || rng.chance(150) {
                faults.half_open_at = Some(200 + rng.below(6_000));
            }
            if pick == 5 || rng.chance(150) {
                faults.restart_at = Some(200 + rng.below(6_000));
            }
            if rng.chance(300) {
                faults.replay_cap = 1 + rng.below(8) as usize;
            }
            if rng.chance(200) {
                faults.late_copies = 300 + rng.below(700);
            }
            faults.restamped = rng.chance(300);
            if rng.chance(100) {
                faults.tiny_output_queue = Some(1 + rng.below(3) as usize);
            }
        }
        // Neither is a fault: a healthy schedule must stay silent with them too.
        if rng.chance(200) {
            faults.quick_messages = 50 + rng.below(250);
        }
        faults.numeric_ids = rng.chance(200);
        // Not drawn from `rng`, so that a seed's schedule is the same with or without it.
        let sink = if seed / 3 % 2 == 0 {
            TelemetrySink::Application { logs: true, metrics: true }
        } else {
            TelemetrySink::Otlp
        };
        let telemetry =
            (seed % 3 == 2).then(|| TelemetryConfig { sink, max_queue: 10_000, ..TelemetryConfig::default() });
        let mut receiver = Rng(seed ^ 0x07e1_e3e7);
        let mut hidden_at: Vec<u64> = (0..receiver.below(4)).map(|_| receiver.below(40_000)).collect();
        hidden_at.sort_unstable();
        let config = Config {
            dialect: if dialect == Dialect::Netra { DialectChoice::Netra } else { DialectChoice::Sequenced },
            heartbeat_interval_ms: 1_000,
            heartbeat_timeout_ms: 500,
            handshake_timeout_ms: 1_000,
            ack_timeout_ms: 3_000,
            first_event_timeout_ms: 4_000,
            run_stall_timeout_ms: 5_000,
            reorder_window_ms: 150,
            reconnect: CONFIG_RECONNECT,
            jitter_seed: seed,
            run_table_cap: 8,
            dedup_window: 64,
            dedup_window_ms: DEDUP_WINDOW_MS,
            output_queue_cap: faults.tiny_output_queue.unwrap_or(10_000),
            telemetry,
            ..Config::default()
        };
        let quick_messages = faults.quick_messages;
        let mut sends = VecDeque::new();
        let mut at = 50;
        for _ in 0..=rng.below(4) {
            sends.push_back(at);
            at += 200 + rng.below(3_000);
        }
        Sim {
            rng,
            dialect,
            faulty: faults.any(),
            faults,
            now: 0,
            tracker: Tracker::new(config).expect("valid"),
            wire: BinaryHeap::new(),
            order: 0,
            conn: None,
            conn_gen: 0,
            last_to_client: 0,
            half_open_conn: None,
            sessions: HashMap::new(),
            next_session: 1,
            conn_session: None,
            script: BinaryHeap::new(),
            runs: Vec::new(),
            generated: Vec::new(),
            next_eid: 1,
            sends,
            delivered: Vec::new(),
            reports: Vec::new(),
            outcomes: HashMap::new(),
            turn_ends: HashMap::new(),
            records: Vec::new(),
            measurements: Vec::new(),
            receiver,
            refusals: HashMap::new(),
            accepted_logs: Vec::new(),
            hidden_at: hidden_at.into(),
            message_runs: HashMap::new(),
            frames: Vec::new(),
            client_session: None,
            last_handshake_session: None,
            next_quick: (quick_messages > 0).then_some(300),
            quick_left: quick_messages,
            full_table_steps: 0,
            connect_outcomes: 0,
            trace,
        }
    }

    fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn latency(&mut self) -> u64 {
        5 + self.rng.below(40)
    }

    fn put(&mut self, at: u64, what: Wire) {
        self.order += 1;
        self.wire.push(Reverse((at, self.order, what)));
    }

    /// Server → client, FIFO per connection unless a fault reorders, drops or doubles it.
    fn send_to_client(&mut self, frame: String, faultable: bool) {
        let Some(gen) = self.conn else { return };
        if self.half_open_conn == Some(gen) {
            return;
        }
        if faultable && self.rng.chance(self.faults.drop) {
            if self.trace {
                println!("{:>6} drop {frame}", self.now);
            }
            return;
        }
        let mut at = (self.now + self.latency()).max(self.last_to_client);
        if faultable && self.rng.chance(self.faults.reorder) {
            // Held back past later frames, but within the reorder window.
            let late = at + 20 + self.rng.below(100);
            self.put(late, Wire::ToClient(gen, frame));
            return;
        }
        self.last_to_client = at;
        if faultable && self.rng.chance(self.faults.duplicate) {
            let copy = if self.faults.restamped { restamped(&frame, 2) } else { frame.clone() };
            self.put(at, Wire::ToClient(gen, frame));
            at += self.rng.below(50);
            self.last_to_client = at;
            self.put(at, Wire::ToClient(gen, copy));
            return;
        }
        self.put(at, Wire::ToClient(gen, frame));
    }

    /// Every frame of a completed netra run again, after the client's dedup window.
    fn send_late_copies(&mut self, run: usize) {
        let Some(gen) = self.conn else { return };
        let at = self.now + DEDUP_WINDOW_MS + 500 + self.rng.below(1_000);
        self.runs[run].late_copied = true;
        for frame in self.runs[run].sent.clone() {
            if self.trace {
                println!("{:>6} late copy at {at}: {frame}", self.now);
            }
            self.put(at, Wire::ToClient(gen, frame));
        }
    }

    fn drop_connection(&mut self, notify_client: bool) {
        if let Some(gen) = self.conn.take() {
            self.wire
                .retain(|Reverse((_, _, w))| !matches!(w, Wire::ToClient(g, _) | Wire::ToServer(g, _) if *g == gen));
            if notify_client {
                let at = self.now + self.latency();
                self.put(at, Wire::Closed(gen));
            }
            if self.trace {
                println!("{:>6} connection {gen} dropped", self.now);
            }
        }
        self.conn_session = None;
    }

    fn event_frame(&self, g: &Generated, tool: Option<&str>) -> String {
        let tool = tool.map(|t| format!(r#","tool_name":"{t}""#)).unwrap_or_default();
        let run = if self.faults.numeric_ids { g.run.clone() } else { format!(r#""{}""#, g.run) };
        match self.dialect {
            Dialect::Netra => format!(
                r#"{{"type":"{}","run_id":{run},"timestamp":"2025-09-11T19:50:12.{:06}+00:00","payload":{{"eid":{}{tool}}}}}"#,
                g.kind, g.eid, g.eid
            ),
            Dialect::Sequenced => format!(
                r#"{{"type":"{}","session":"s{}","seq":{},"run_id":{run},"data":{{"eid":{}{tool}}}}}"#,
                g.kind, g.session, g.seq, g.eid
            ),
        }
    }

    /// The server emits one run event.
    fn emit(&mut self, run: usize, step: usize) {
        let Some(plan) = self.runs.get(run) else { return };
        if plan.abandoned {
            return;
        }
        let (kind, tool) = plan.steps[step];
        let mut g = Generated { eid: self.next_eid, run: plan.id.clone(), kind, session: 0, seq: 0 };
        self.next_eid += 1;
        if self.dialect == Dialect::Sequenced {
            // Events belong to the session of the connection that asked for the run.
            let Some(sid) = self.run_session(run) else { return };
            let session = self.sessions.get_mut(&sid).expect("session");
            session.head += 1;
            g.session = sid;
            g.seq = session.head;
            let frame = self.event_frame(&g, tool);
            let session = self.sessions.get_mut(&sid).expect("session");
            session.buffer.push_back((g.seq, frame.clone()));
            while session.buffer.len() > 1000 {
                session.buffer.pop_front();
            }
            self.generated.push(g);
            if self.conn_session == Some(sid) {
                self.send_to_client(frame, true);
            }
        } else {
            let frame = self.event_frame(&g, tool);
            self.generated.push(g);
            self.runs[run].sent.push(frame.clone());
            self.send_to_client(frame, true);
        }
        if kind == "agent_completed" && self.rng.chance(self.faults.late_copies) {
            self.send_late_copies(run);
        }
        if let Some(next) = self.runs[run].gaps.get(step).copied() {
            if step + 1 < self.runs[run].steps.len() {
                self.order += 1;
                self.script.push(Reverse((self.now + next, self.order, run, step + 1)));
            }
        }
    }

    fn run_session(&self, run: usize) -> Option<u64> {
        Some(self.runs.get(run)?.session).filter(|s| self.sessions.contains_key(s))
    }

    /// Plans a run and schedules its first event; a `quick` one has short gaps and at most two
    /// sequential tools.
    fn start_run(&mut self, quick: bool) {
        let index = self.runs.len();
        let session = self.conn_session.unwrap_or(0);
        let id =
            if self.faults.numeric_ids { (1_000_000 + index).to_string() } else { format!("run{index}@{session}") };
        let mut steps = vec![("agent_started", None)];
        for _ in 0..self.rng.below(3) {
            steps.push(("agent_thinking", None));
        }
        if !quick && self.rng.chance(150) {
            // Parallel tool calls: every one opens before any completes.
            let n = 2 + self.rng.below(PARALLEL_TOOLS.len() as u64 - 1) as usize;
            steps.extend(PARALLEL_TOOLS.iter().take(n).map(|t| ("tool_executing", Some(*t))));
            steps.extend(PARALLEL_TOOLS.iter().take(n).map(|t| ("tool_completed", Some(*t))));
        } else {
            for tool in ["search", "query"].iter().take(self.rng.below(3) as usize) {
                steps.push(("tool_executing", Some(*tool)));
                steps.push(("tool_completed", Some(*tool)));
            }
        }
        steps.push(("agent_completed", None));
        let gaps: Vec<u64> =
            steps.iter().map(|_| if quick { 1 + self.rng.below(10) } else { 20 + self.rng.below(300) }).collect();
        self.runs.push(RunPlan { id, sent: Vec::new(), late_copied: false, steps, gaps, abandoned: false, session });
        self.order += 1;
        self.script.push(Reverse((self.now + FIRST_EVENT_MS, self.order, index, 0)));
    }

    fn server_receive(&mut self, gen: u64, text: &str) {
        if self.conn != Some(gen) || self.half_open_conn == Some(gen) {
            return;
        }
        let object = Object::parse(text, 32).expect("client frames are valid JSON");
        let kind = object.get("type").and_then(|v| v.as_str()).expect("typed").into_owned();
        match kind.as_str() {
            "user_message" => {
                let id = object.get("message_id").and_then(|v| v.as_str()).expect("id").into_owned();
                let run_index = self.runs.len();
                self.start_run(text.contains(&format!(r#""content":"{QUICK}""#)));
                let run_id = self.runs[run_index].id.clone();
                if let Some(mid) = MessageId::from_wire(&id) {
                    self.message_runs.insert(mid, run_id.clone());
                }
                let ack = match self.dialect {
                    Dialect::Netra => format!(
                        r#"{{"type":"system_message","data":{{"content":"Message received","original_message_id":"{id}"}},"timestamp":1.5}}"#
                    ),
                    Dialect::Sequenced => format!(r#"{{"type":"ack","message_id":"{id}","run_id":"{run_id}"}}"#),
                };
                self.send_to_client(ack, false);
            }
            "ping" => {
                let head = self.conn_session.and_then(|s| self.sessions.get(&s)).map_or(0, |s| s.head);
                let pong = match self.dialect {
                    Dialect::Netra => r#"{"type":"pong","data":{},"timestamp":1.5}"#.to_owned(),
                    Dialect::Sequenced => format!(r#"{{"type":"pong","head_seq":{head}}}"#),
                };
                self.send_to_client(pong, false);
            }
            "ack" => {
                let seq = object.get("seq").and_then(|v| v.as_u64()).expect("seq");
                if let Some(s) = self.conn_session.and_then(|s| self.sessions.get_mut(&s)) {
                    while s.buffer.front().is_some_and(|(n, _)| *n <= seq) {
                        s.buffer.pop_front();
                    }
                }
            }
            "resume" => {
                let name = object.get("session").and_then(|v| v.as_str()).expect("session").into_owned();
                let last = object.get("last_seq").and_then(|v| v.as_u64()).expect("last");
                let known = name
                    .strip_prefix('s')
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|n| self.sessions.contains_key(n));
                match known {
                    None => self.send_to_client(
                        format!(r#"{{"type":"resume_failed","session":"{name}","reason":"unknown_session"}}"#),
                        false,
                    ),
                    Some(sid) => {
                        // The new handshake's session is dropped; the old one continues.
                        if let Some(fresh) = self.conn_session.replace(sid) {
                            if fresh != sid {
                                self.sessions.remove(&fresh);
                            }
                        }
                        let cap = self.faults.replay_cap;
                        let s = self.sessions.get_mut(&sid).expect("known");
                        while s.buffer.len() > cap {
                            s.buffer.pop_front();
                        }
                        let head = s.head;
                        let from =
                            s.buffer.iter().map(|(n, _)| *n).find(|n| *n > last).unwrap_or(head + 1).max(last + 1);
                        let replay: Vec<String> = s
                            .buffer
                            .iter()
                            .filter(|(n, _)| *n >= from)
                            .map(|(_, f)| f.replacen('{', r#"{"recovered":true,"#, 1))
                            .collect();
                        self.send_to_client(
                            format!(r#"{{"type":"resumed","session":"{name}","from_seq":{from},"head_seq":{head}}}"#),
                            false,
                        );
                        for frame in replay {
                            self.send_to_client(frame, true);
                        }
                    }
                }
            }
            other => panic!("unexpected client frame {other}"),
        }
    }

    fn open_connection(&mut self, gen: u64) {
        self.conn = Some(gen);
        self.last_to_client = self.now;
        let handshake = match self.dialect {
            Dialect::Netra => {
                r#"{"type":"connection_established","data":{"mode":"main","connection_id":"c"}}"#.to_owned()
            }
            Dialect::Sequenced => {
                let sid = self.next_session;
                self.next_session += 1;
                self.sessions.insert(sid, Session { head: 0, buffer: VecDeque::new() });
                self.conn_session = Some(sid);
                self.last_handshake_session = Some(sid);
                format!(r#"{{"type":"connection_established","protocol":"sequenced","session":"s{sid}","head_seq":0}}"#)
            }
        };
        self.tracker.handle_open(self.at(), "");
        self.send_to_client(handshake, false);
    }

    fn drain(&mut self) {
        while let Some(t) = self.tracker.poll_transmit() {
            if let Some(gen) = self.conn {
                let at = self.now + self.latency();
                self.put(at, Wire::ToServer(gen, t.text));
            } else {
                self.tracker.handle_transmit_failed(self.at(), t);
            }
        }
        while let Some(command) = self.tracker.poll_command() {
            match command {
                Command::Connect => {
                    self.conn_gen += 1;
                    let gen = self.conn_gen;
                    let at = self.now + self.latency();
                    self.put(at, Wire::Open(gen));
                }
                Command::Disconnect { .. } => self.drop_connection(false),
            }
        }
        while let Some(output) = self.tracker.poll_output() {
            match output {
                Output::Event(e) => {
                    let e = common::owned_event(&self.frames, e);
                    let data = Object::parse(e.data(""), 32).expect("data is an object");
                    let eid = data.get("eid").and_then(|v| v.as_u64()).expect("eid");
                    if self.trace {
                        println!("{:>6} event {} {:?} eid {eid}", self.now, e.kind, e.seq);
                    }
                    self.delivered.push((eid, e.seq));
                }
                Output::Failure(r) => {
                    if self.trace {
                        println!(
                            "{:>6} FAILURE {} {} {:?} {:?} {:?} {}",
                            self.now,
                            r.kind.as_str(),
                            r.severity.as_str(),
                            r.incident,
                            r.run_id,
                            r.seq,
                            r.detail
                        );
                    }
                    if let Some(id) = r.message_id {
                        // At most one report is the message's outcome, and only without an ack.
                        if r.outcome {
                            *self.outcomes.entry(id).or_default() += 1;
                        }
                    }
                    let session = self.client_session.unwrap_or(0);
                    self.reports.push((r, session));
                }
                Output::Acked(receipt) => *self.outcomes.entry(receipt.message_id).or_default() += 1,
                Output::Turn(turn) => {
                    if self.trace {
                        println!("{:>6} turn {:?} {:?} {:?}", self.now, turn.message_id, turn.state, turn.incident);
                    }
                    if turn.state.is_final() {
                        *self.turn_ends.entry(turn.message_id).or_default() += 1;
                    }
                }
                Output::Recovery(r) => {
                    if self.trace {
                        println!("{:>6} recovery {:?} {:?}", self.now, r.verdict, r.missing);
                    }
                    if r.verdict == Verdict::None && self.dialect == Dialect::Sequenced {
                        self.client_session = self.last_handshake_session;
                    }
                }
                Output::State(s) => {
                    if s == chat_sentinel::core::ConnectionState::Open && self.client_session.is_none() {
                        self.client_session = self.last_handshake_session;
                    }
                }
                Output::Connected(result) => {
                    self.connect_outcomes += 1;
                    if let Err(report) = result {
                        assert_ne!(report.kind, FailureKind::ConnectCancelled, "the sim closes only at the end");
                    }
                }
            }
        }
        while let Some(export) = self.tracker.poll_export() {
            self.answer_export(export);
        }
        while let Some(observation) = self.tracker.poll_observation() {
            match observation {
                Observation::Record(record) => self.records.push(record),
                Observation::Measurement(measurement) => self.measurements.push(measurement),
            }
        }
    }

    /// The receiver takes `export` after the network's latency: it refuses (503 or 429, with
    /// or without `Retry-After`) or does not answer (status 0) a third of the time, but never
    /// so often that the client gives the export up.
    fn answer_export(&mut self, export: Export) {
        let refused = self.refusals.entry(export.id).or_default();
        let status = if *refused + 1 < MAX_ATTEMPTS && self.receiver.chance(330) {
            *refused += 1;
            [503, 429, 0][self.receiver.below(3) as usize]
        } else {
            200
        };
        if status == 200 && export.signal == Signal::Logs {
            self.accepted_logs.push(export.body);
        }
        let retry_after = (status != 0 && self.receiver.chance(500)).then(|| self.receiver.below(3_000));
        let at = self.now + self.latency();
        self.put(at, Wire::ExportAnswer(export.id, status, retry_after));
    }

    /// Hands the client what the wire holds for now.
    fn deliver_wire(&mut self) {
        while self.wire.peek().is_some_and(|Reverse((t, _, _))| *t <= self.now) {
            let Some(Reverse((_, _, what))) = self.wire.pop() else { break };
            match what {
                Wire::ToClient(gen, frame) if self.conn == Some(gen) => {
                    self.tracker.handle_frame(self.at(), &frame);
                    self.frames.push(frame);
                }
                Wire::ToServer(gen, frame) => self.server_receive(gen, &frame),
                Wire::Open(gen) if gen == self.conn_gen => self.open_connection(gen),
                Wire::Closed(_) => self.tracker.handle_closed(self.at(), 1006, "", false),
                Wire::ExportAnswer(id, status, retry_after) => {
                    self.tracker.handle_export_result(self.at(), id, status, retry_after);
                }
                _ => {}
            }
            self.drain();
        }
    }

    fn run(&mut self) {
        self.tracker.connect(self.at());
        self.drain();
        let end = 40_000;
        let mut disconnects: VecDeque<u64> =
            self.faults.disconnects.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        loop {
            let mut next = end;
            for t in [
                self.tracker.poll_timeout().map(Instant::as_millis),
                self.wire.peek().map(|Reverse((t, _, _))| *t),
                self.script.peek().map(|Reverse((t, _, _, _))| *t),
                self.sends.front().copied(),
                disconnects.front().copied(),
                self.faults.half_open_at,
                self.faults.restart_at,
                self.next_quick,
                self.hidden_at.front().copied(),
            ]
            .into_iter()
            .flatten()
            {
                next = next.min(t);
            }
            if next >= end {
                break;
            }
            self.now = self.now.max(next);
            if self.faults.half_open_at.is_some_and(|t| t <= self.now) {
                self.faults.half_open_at = None;
                self.half_open_conn = self.conn;
            }
            if self.faults.restart_at.is_some_and(|t| t <= self.now) {
                self.faults.restart_at = None;
                self.sessions.clear();
                for plan in &mut self.runs {
                    plan.abandoned = true;
                }
                self.drop_connection(true);
            }
            if disconnects.front().is_some_and(|t| *t <= self.now) {
                disconnects.pop_front();
                self.drop_connection(true);
            }
            if self.hidden_at.front().is_some_and(|t| *t <= self.now) {
                self.hidden_at.pop_front();
                self.tracker.handle_page_hidden(self.at());
                self.drain();
            }
            if self.next_quick.is_some_and(|t| t <= self.now) {
                let id = self.tracker.send_user_message(self.at(), QUICK, SendOptions::default());
                self.outcomes.entry(id).or_default();
                self.quick_left -= 1;
                self.next_quick = (self.quick_left > 0).then(|| self.now + 30 + self.rng.below(70));
            }
            if self.sends.front().is_some_and(|t| *t <= self.now) {
                self.sends.pop_front();
                let id = self.tracker.send_user_message(self.at(), "hello", SendOptions::default());
                self.outcomes.entry(id).or_default();
            }
            while self.script.peek().is_some_and(|Reverse((t, _, _, _))| *t <= self.now) {
                let Some(Reverse((_, _, run, step))) = self.script.pop() else { break };
                self.emit(run, step);
            }
            self.deliver_wire();
            self.tracker.handle_timeout(self.at());
            self.drain();
            self.check_bounds();
        }
        // The client is closed at the end; with a tiny output queue, a burst of messages is
        // still pending then, so closing produces more outcomes than the queue holds.
        if self.faults.tiny_output_queue.is_some() {
            for _ in 0..=self.rng.below(20) {
                let id = self.tracker.send_user_message(self.at(), "hello", SendOptions::default());
                self.outcomes.entry(id).or_default();
            }
            self.drain();
            self.now += self.rng.below(100);
        }
        self.tracker.close(self.at());
        self.drain();
        self.check_bounds();
        // What telemetry still has on its way is answered, and what waits is sent.
        let settled_by = self.now + 600_000;
        while let Some(next) =
            [self.tracker.poll_timeout().map(Instant::as_millis), self.wire.peek().map(|Reverse((t, _, _))| *t)]
                .into_iter()
                .flatten()
                .min()
        {
            assert!(next <= settled_by, "telemetry still busy 10 minutes after the close");
            self.now = self.now.max(next);
            self.deliver_wire();
            self.tracker.handle_timeout(self.at());
            self.drain();
        }
    }

    fn check_bounds(&mut self) {
        let health = self.tracker.health();
        assert!(health.held_events <= 1024 && health.open_runs <= 8 && health.pending_acks <= 256);
        assert!(health.bytes_held <= self.tracker.config().memory_budget(), "{} B held", health.bytes_held);
        if health.open_runs == self.tracker.config().run_table_cap {
            self.full_table_steps += 1;
        }
    }

    fn check(&self, seed: u64) {
        let ctx = format!("seed {seed} {:?} {:?}", self.dialect, self.faults);
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for (r, _) in &self.reports {
            *kinds.entry(r.kind.as_str()).or_default() += 1;
        }
        if !self.faulty {
            assert!(kinds.is_empty(), "false positive: {kinds:?} ({ctx})");
        }
        // Exactly once. One exception, by design: a late copy (after the dedup window) of an
        // event whose run never closed for the client (its agent_completed was lost) cannot be
        // told from a new event, and is delivered.
        let first_at = |eid: u64| self.delivered.iter().position(|(e, _)| *e == eid);
        let closed_before = |run: &str, at: usize| {
            self.generated
                .iter()
                .filter(|g| g.run == run && g.kind == "agent_completed")
                .any(|g| first_at(g.eid).is_some_and(|i| i < at))
        };
        let mut seen = BTreeSet::new();
        for (at, (eid, _)) in self.delivered.iter().enumerate() {
            let copied_open = self.generated.iter().find(|g| g.eid == *eid).is_some_and(|g| {
                self.runs.iter().any(|r| r.id == g.run && r.late_copied) && !closed_before(&g.run, at)
            });
            assert!(seen.insert(*eid) || copied_open, "eid {eid} delivered twice ({ctx})");
        }
        // Every message has exactly one outcome.
        for (id, n) in &self.outcomes {
            assert_eq!(*n, 1, "message {id:?} has {n} outcomes ({ctx}) {kinds:?}");
        }
        assert_eq!(self.connect_outcomes, 1, "one outcome of the one connect() ({ctx})");
        // Every report names what its kind promises.
        for (r, _) in &self.reports {
            let named = match r.kind.subject() {
                Subject::Message => r.message_id.is_some(),
                Subject::Run => r.run_id.is_some(),
                Subject::Range => r.seq.is_some(),
                Subject::Other => true,
            };
            assert!(named, "{r:?} lacks its {:?} ({ctx})", r.kind.subject());
        }
        // After close, every message's turn has ended, once.
        for id in self.outcomes.keys() {
            let n = self.turn_ends.get(id).copied().unwrap_or(0);
            assert_eq!(n, 1, "turn {id:?} ended {n} times ({ctx})");
        }
        // One loss, one critical report: every critical report opens its own incident, and
        // no run has two.
        // A run evicted while open (more runs open at once than the table holds, which a
        // warning says) is watched again as a new run: it may open a second incident.
        let evicted_open: BTreeSet<&str> = self
            .reports
            .iter()
            .filter(|(r, _)| r.kind == FailureKind::RunStalled && r.detail.starts_with("run table full"))
            .filter_map(|(r, _)| r.run_id.as_deref())
            .collect();
        let mut incidents = BTreeSet::new();
        let mut broken_runs = BTreeSet::new();
        for (r, _) in self.reports.iter().filter(|(r, _)| r.severity == Severity::Critical) {
            let incident = r.incident.unwrap_or_else(|| panic!("a critical report without incident: {r:?} ({ctx})"));
            assert!(incidents.insert(incident), "two critical reports of incident {incident:?} ({ctx}) {kinds:?}");
            if let Some(run) = r.run_id.as_deref().filter(|run| !evicted_open.contains(run)) {
                assert!(broken_runs.insert(run.to_owned()), "two critical reports about run {run} ({ctx}) {kinds:?}");
            }
        }
        self.check_telemetry(&ctx);
        if self.faults.tiny_output_queue.is_some() {
            // Events the queue dropped are counted (`dropped_outputs`), not reported one by one.
            return;
        }
        match self.dialect {
            Dialect::Sequenced => self.check_sequenced(&seen, &ctx),
            Dialect::Netra => self.check_netra(&seen, &ctx),
        }
    }

    /// Telemetry: each report the application got is one record with its kind and ids (more
    /// records only for reports a full output queue dropped), each turn verdict one record,
    /// accepted once; the application's counters add up to its records.
    fn check_telemetry(&self, ctx: &str) {
        let Some(telemetry) = &self.tracker.config().telemetry else {
            assert!(self.records.is_empty() && self.accepted_logs.is_empty(), "{ctx}");
            return;
        };
        // Per record: whether it is a turn's verdict, and its kind and ids.
        let recorded: Vec<(bool, RecordKey)> = match telemetry.sink {
            TelemetrySink::Otlp => self.accepted_logs.iter().flat_map(|body| otlp_records(body)).collect(),
            TelemetrySink::Application { .. } => self.records.iter().map(record_key).collect(),
        };
        let verdicts = recorded.iter().filter(|(verdict, _)| *verdict).count();
        let mut failures: Vec<RecordKey> = recorded.into_iter().filter(|(v, _)| !v).map(|(_, key)| key).collect();
        failures.sort();
        let mut reported: Vec<RecordKey> = self
            .reports
            .iter()
            .map(|(r, _)| {
                [
                    Some(r.kind.as_str().to_owned()),
                    r.run_id.clone(),
                    r.message_id.map(|m| m.to_wire()),
                    r.incident.map(|i| i.get().to_string()),
                ]
            })
            .collect();
        reported.sort();
        let dropped = self.tracker.health().dropped_outputs;
        if dropped == 0 {
            assert_eq!(failures, reported, "one record per report: {ctx}");
        } else {
            let mut left = failures.clone();
            for r in &reported {
                let at = left.iter().position(|k| k == r);
                assert!(at.is_some(), "the report {r:?} has a record: {ctx}");
                left.remove(at.unwrap());
            }
            assert!(left.len() as u64 <= dropped, "{} records more than {dropped} dropped outputs: {ctx}", left.len());
        }
        let ends: u32 = self.turn_ends.values().sum();
        assert_eq!(verdicts, ends as usize, "one record per turn verdict: {ctx}");
        if let TelemetrySink::Application { .. } = telemetry.sink {
            let counted = |instrument: Instrument| -> u64 {
                self.measurements.iter().filter(|m| m.instrument == instrument).map(|m| m.value).sum()
            };
            assert_eq!(counted(Instrument::Failures), failures.len() as u64, "the failure counter: {ctx}");
            assert_eq!(counted(Instrument::Turns), verdicts as u64, "the turn counter: {ctx}");
            assert_eq!(counted(Instrument::Dropped), 0, "nothing dropped: {ctx}");
        }
    }

    fn check_sequenced(&self, delivered: &BTreeSet<u64>, ctx: &str) {
        // In order within a session.
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        let session_of: HashMap<u64, u64> = self.generated.iter().map(|g| (g.eid, g.session)).collect();
        for (eid, seq) in &self.delivered {
            let session = session_of[eid];
            let seq = seq.expect("sequenced events carry seq");
            let prev = last.insert(session, seq).unwrap_or(0);
            let late = self
                .reports
                .iter()
                .any(|(r, _)| r.kind == FailureKind::OutOfOrder && r.seq.is_some_and(|s| s.contains(seq)));
            assert!(seq > prev || late, "seq {seq} after {prev} ({ctx})");
        }
        for g in self.generated.iter().filter(|g| !delivered.contains(&g.eid)) {
            let covered = self.reports.iter().any(|(r, session)| {
                matches!(r.kind, FailureKind::SeqGap | FailureKind::TailGap | FailureKind::RecoveryFailed)
                    && *session == g.session
                    && r.seq.is_some_and(|range| range.contains(g.seq))
            });
            assert!(
                covered,
                "lost seq {} of session {} not reported ({ctx}); reports {:?}",
                g.seq,
                g.session,
                self.reports.iter().map(|(r, s)| (r.kind.as_str(), r.seq, *s)).collect::<Vec<_>>()
            );
        }
    }

    fn check_netra(&self, delivered: &BTreeSet<u64>, ctx: &str) {
        let mut by_run: BTreeMap<&str, Vec<&Generated>> = BTreeMap::new();
        for g in &self.generated {
            by_run.entry(g.run.as_str()).or_default().push(g);
        }
        for (run, events) in by_run {
            let got = |kind: &str, tool_index: usize| {
                events.iter().filter(|g| g.kind == kind).nth(tool_index).is_some_and(|g| delivered.contains(&g.eid))
            };
            let lost = |kind: &str| events.iter().any(|g| g.kind == kind && !delivered.contains(&g.eid));
            let mut visible = lost("agent_started") || lost("agent_completed");
            for i in 0..PARALLEL_TOOLS.len() {
                // One half of a tool pair lost while the other half arrived (the i-th
                // completion is the i-th call's, parallel calls too).
                visible |= got("tool_executing", i) != got("tool_completed", i);
            }
            let plan_complete = events.iter().any(|g| g.kind == "agent_completed");
            if !plan_complete {
                // The server abandoned the run (restart): the client must still notice it open.
                visible |= events.iter().any(|g| delivered.contains(&g.eid));
            }
            if !visible {
                continue;
            }
            let named = self.reports.iter().any(|(r, _)| r.run_id.as_deref() == Some(run));
            let nothing_delivered = events.iter().all(|g| !delivered.contains(&g.eid));
            let message = self.message_runs.iter().find(|(_, r)| r.as_str() == run).map(|(m, _)| *m);
            let unanswered = nothing_delivered
                && self.reports.iter().any(|(r, _)| r.kind == FailureKind::NoResponse)
                && message.is_some();
            assert!(
                named || unanswered,
                "loss in {run} not reported ({ctx}): {:?}",
                self.reports.iter().map(|(r, _)| (r.kind.as_str(), r.run_id.clone())).collect::<Vec<_>>()
            );
        }
    }
}

/// `frame` as a retry wrapper rebuilds it for attempt `attempt`: re-stamped, counted.
/// A telemetry record's kind, run id, message id and incident, as text.
type RecordKey = [Option<String>; 4];

const KEY_ATTRIBUTES: [&str; 4] =
    ["chat_sentinel.kind", "chat_sentinel.run_id", "chat_sentinel.message_id", "chat_sentinel.incident"];
const VERDICT_ATTRIBUTE: &str = "chat_sentinel.turn.state";

/// An application-SDK record: whether it is a turn's verdict, and its key.
fn record_key(record: &LogRecord) -> (bool, RecordKey) {
    let text = |key: &str| {
        record.attributes.iter().find(|a| a.key == key).map(|a| match &a.value {
            AttributeValue::String(s) => s.clone(),
            AttributeValue::Int(n) => n.to_string(),
        })
    };
    (text(VERDICT_ATTRIBUTE).is_some(), KEY_ATTRIBUTES.map(text))
}

/// The records of an OTLP/HTTP JSON logs export, as [`record_key`] gives them.
fn otlp_records(body: &str) -> Vec<(bool, RecordKey)> {
    let body: serde_json::Value = serde_json::from_str(body).expect("an export is JSON");
    let records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"].as_array().cloned().unwrap_or_default();
    records
        .iter()
        .map(|record| {
            let attributes = record["attributes"].as_array().cloned().unwrap_or_default();
            let text = |key: &str| {
                let value = &attributes.iter().find(|a| a["key"] == key)?["value"];
                value["stringValue"].as_str().or(value["intValue"].as_str()).map(str::to_owned)
            };
            (text(VERDICT_ATTRIBUTE).is_some(), KEY_ATTRIBUTES.map(text))
        })
        .collect()
}

fn restamped(frame: &str, attempt: u32) -> String {
    frame.replacen(r#""timestamp":"2025-09-11T19:50:12."#, r#""timestamp":"2025-09-11T19:50:14."#, 1).replacen(
        '{',
        &format!(r#"{{"attempt":{attempt},"#),
        1,
    )
}

/// What a batch of seeds exercised, so a run shows the faults really happened.
#[derive(Default)]
struct Tally {
    generated: usize,
    lost: usize,
    reports: BTreeMap<&'static str, usize>,
    /// Steps at which the run table was full.
    full_table_steps: u64,
    /// Outputs a tiny queue dropped.
    dropped_outputs: u64,
    /// Telemetry records the application's SDK got, and those the OTLP receiver accepted
    /// after its refusals.
    sdk_records: usize,
    otlp_records: usize,
    otlp_refusals: u32,
}

fn run_seed(seed: u64, trace: bool, tally: &mut Tally) {
    for dialect in [Dialect::Netra, Dialect::Sequenced] {
        let mut sim = Sim::new(seed, dialect, trace);
        sim.run();
        sim.check(seed);
        let delivered: BTreeSet<u64> = sim.delivered.iter().map(|(e, _)| *e).collect();
        tally.generated += sim.generated.len();
        tally.lost += sim.generated.iter().filter(|g| !delivered.contains(&g.eid)).count();
        for (r, _) in &sim.reports {
            *tally.reports.entry(r.kind.as_str()).or_default() += 1;
        }
        tally.full_table_steps += sim.full_table_steps;
        tally.dropped_outputs += sim.tracker.health().dropped_outputs;
        tally.sdk_records += sim.records.len();
        tally.otlp_records += sim.accepted_logs.iter().map(|body| otlp_records(body).len()).sum::<usize>();
        tally.otlp_refusals += sim.refusals.values().sum::<u32>();
    }
}

#[test]
fn seeded_fault_schedules_hold_every_property() {
    let mut tally = Tally::default();
    if let Some(seed) = std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return run_seed(seed, true, &mut tally);
    }
    let seeds: u64 = std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    for seed in 0..seeds {
        run_seed(seed, false, &mut tally);
    }
    println!(
        "{seeds} seeds x 2 dialects: {} events generated, {} lost, {} steps with a full run table, {} outputs dropped, reports {:?}",
        tally.generated, tally.lost, tally.full_table_steps, tally.dropped_outputs, tally.reports
    );
    println!(
        "telemetry: {} records to the application's SDK, {} accepted over OTLP after {} refusals",
        tally.sdk_records, tally.otlp_records, tally.otlp_refusals
    );
    assert!(
        tally.full_table_steps > 0 && tally.dropped_outputs > 0,
        "the schedules must press on the run table and the output queue"
    );
    assert!(
        tally.sdk_records > 0 && tally.otlp_records > 0 && tally.otlp_refusals > 0,
        "both telemetry sinks must be exercised, the receiver refusing some exports"
    );
    // The schedules must really exercise the detectors.
    for kind in [
        "seq_gap",
        "tail_gap",
        "duplicate",
        "out_of_order",
        "heartbeat_timeout",
        "connection_lost",
        "recovery_failed",
        "run_stalled",
        "missing_event",
    ] {
        assert!(tally.reports.get(kind).copied().unwrap_or(0) > 0, "no {kind} in {seeds} seeds");
    }
}
