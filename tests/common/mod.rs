//! A tracker on a virtual clock, with everything it outputs collected for assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test code: a panic is a failed test
#![allow(dead_code)]

use chat_sentinel::core::{
    Body, Command, Config, ConnectionState, Event, Export, Instant, MessageId, Observation, Output, Receipt, Recovery,
    Report, SendOptions, Tracker, Turn,
};

pub const NETRA_HANDSHAKE: &str = r#"{"type":"connection_established","data":{"mode":"main","user_id":"u_1234...","connection_id":"conn_9","golden_path_events":["agent_started","agent_thinking","tool_executing","tool_completed","agent_completed"],"features":{},"timestamp":1757620212.12},"timestamp":1757620212.12}"#;

pub fn sequenced_handshake(session: &str, head: u64) -> String {
    format!(
        r#"{{"type":"connection_established","protocol":"sequenced","session":"{session}","head_seq":{head},"data":{{"connection_id":"c1"}}}}"#
    )
}

/// A sequenced event frame.
pub fn seq_event(session: &str, seq: u64, kind: &str, run: &str, tool: Option<&str>) -> String {
    let tool = tool.map(|t| format!(r#","tool_name":"{t}""#)).unwrap_or_default();
    format!(r#"{{"type":"{kind}","session":"{session}","seq":{seq},"run_id":"{run}","data":{{"n":{seq}{tool}}}}}"#)
}

/// The five events of sequenced run `id` in session `session` as (seq, frame), seq from `first`.
pub fn seq_run(session: &str, first: u64, id: &str) -> Vec<(u64, String)> {
    let kinds = [
        ("agent_started", None),
        ("agent_thinking", None),
        ("tool_executing", Some("q")),
        ("tool_completed", Some("q")),
        ("agent_completed", None),
    ];
    kinds.iter().zip(first..).map(|((k, t), seq)| (seq, seq_event(session, seq, k, id, *t))).collect()
}

/// The five golden-path events of one run, in the literal shapes the Netra backend sends.
pub fn netra_run(run: &str) -> Vec<String> {
    vec![
        format!(
            r#"{{"type": "agent_started", "run_id": "{run}", "user_id": "u_1", "agent_name": "triage", "timestamp": "2025-09-11T19:50:12.123456+00:00", "payload": {{"status": "started", "context": {{}}, "message": "triage has started processing your request"}}}}"#
        ),
        format!(
            r#"{{"type": "agent_thinking", "run_id": "{run}", "agent_name": "triage", "timestamp": "2025-09-11T19:50:12.400000+00:00", "payload": {{"reasoning": "Looking at the costs", "step_number": 1, "progress_percentage": 20, "status": "thinking"}}}}"#
        ),
        format!(
            r#"{{"type": "tool_executing", "run_id": "{run}", "timestamp": "2025-09-11T19:50:12.700000+00:00", "payload": {{"tool_name": "cost_query", "parameters": {{}}, "status": "executing"}}}}"#
        ),
        format!(
            r#"{{"type": "tool_completed", "data": {{"tool": "cost_query", "result": {{}}, "run_id": "{run}", "thread_id": "th_7", "request_id": "req_9"}}, "timestamp": "2025-09-11T19:50:13.001", "critical": true, "attempt": null}}"#
        ),
        format!(
            r#"{{"type": "agent_completed", "data": {{"run_id": "{run}", "thread_id": "th_7", "result": {{"summary": "done"}}}}, "timestamp": 1757620213.5, "critical": true, "attempt": null}}"#
        ),
    ]
}

pub fn netra_ack(id: MessageId) -> String {
    format!(
        r#"{{"type": "system_message", "data": {{"content": "Message received", "original_message_id": "{}"}}, "timestamp": 1757620212.2, "server_id": "ref-1", "correlation_id": "c_1"}}"#,
        id.to_wire()
    )
}

/// Deadlines short enough for tests, long enough not to overlap.
pub fn test_config() -> Config {
    Config {
        heartbeat_interval_ms: 1_000,
        heartbeat_timeout_ms: 500,
        handshake_timeout_ms: 1_000,
        ack_timeout_ms: 2_000,
        first_event_timeout_ms: 3_000,
        run_stall_timeout_ms: 5_000,
        reorder_window_ms: 100,
        ..Config::default()
    }
}

#[derive(Default)]
pub struct Seen {
    pub events: Vec<Event>,
    pub failures: Vec<Report>,
    pub sent: Vec<String>,
    pub states: Vec<ConnectionState>,
    pub recoveries: Vec<Recovery>,
    pub acks: Vec<Receipt>,
    pub turns: Vec<Turn>,
    pub connects: usize,
    pub disconnects: Vec<u16>,
    /// The outcomes of `connect()`.
    pub connected: Vec<Result<(), Report>>,
    /// The OTLP exports, in order.
    pub exports: Vec<Export>,
    /// What the application's OpenTelemetry logger and meter received, in order.
    pub observations: Vec<Observation>,
}

/// `event` with its body owned, checked against its frame (`frames` holding every frame the
/// tracker received, first at index 0): a body in the frame is in the frame just handled, an
/// owned one (held for reordering) is a slice of the frame it came in.
pub fn owned_event(frames: &[String], event: Event) -> Event {
    let frame = &frames[(event.frame - 1) as usize];
    match &event.body {
        Body::InFrame(range) => {
            assert_eq!(event.frame as usize, frames.len(), "a body in the frame comes from the frame just handled");
            assert!(frame.get(range.clone()).is_some_and(|b| b.starts_with('{') && b.ends_with('}')), "{event:?}");
        }
        Body::Owned(text) => assert!(frame.contains(text.as_str()), "{event:?} is not from {frame}"),
        Body::Empty => {}
    }
    event.into_owned(frame)
}

pub struct Harness {
    pub tracker: Tracker,
    /// Every frame handed to the tracker, in order.
    pub frames: Vec<String>,
    pub now: u64,
    pub seen: Seen,
    /// The server's answer to every ping, if it answers.
    pub pong: Option<String>,
}

impl Harness {
    pub fn new(config: Config) -> Self {
        Harness {
            tracker: Tracker::new(config).expect("valid config"),
            frames: Vec::new(),
            now: 0,
            seen: Seen::default(),
            pong: Some(r#"{"type": "pong", "data": {}, "timestamp": 1757620212.3, "server_id": "ref-1"}"#.to_owned()),
        }
    }

    pub fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    pub fn drain(&mut self) {
        let mut pinged = false;
        while let Some(t) = self.tracker.poll_transmit() {
            pinged |= t.text.starts_with(r#"{"type":"ping""#);
            self.seen.sent.push(t.text);
        }
        while let Some(export) = self.tracker.poll_export() {
            self.seen.exports.push(export);
        }
        while let Some(observation) = self.tracker.poll_observation() {
            self.seen.observations.push(observation);
        }
        while let Some(command) = self.tracker.poll_command() {
            match command {
                Command::Connect => self.seen.connects += 1,
                Command::Disconnect { code, .. } => self.seen.disconnects.push(code),
            }
        }
        while let Some(o) = self.tracker.poll_output() {
            match o {
                Output::Event(e) => self.seen.events.push(owned_event(&self.frames, e)),
                Output::Failure(r) => self.seen.failures.push(r),
                Output::State(s) => self.seen.states.push(s),
                Output::Recovery(r) => self.seen.recoveries.push(r),
                Output::Acked(r) => self.seen.acks.push(r),
                Output::Turn(t) => self.seen.turns.push(t),
                Output::Connected(result) => self.seen.connected.push(result),
            }
        }
        if let (true, Some(pong)) = (pinged, self.pong.clone()) {
            self.tracker.handle_frame(self.at(), &pong);
            self.frames.push(pong);
            self.drain();
        }
    }

    /// connect + open + handshake.
    pub fn open(&mut self, handshake: &str) {
        self.tracker.connect(self.at());
        self.tracker.handle_open(self.at(), "");
        self.frame(handshake);
    }

    /// The socket opens again after a reconnect delay, with this handshake.
    pub fn reopen(&mut self, handshake: &str) {
        let connects = self.seen.connects;
        self.advance_until(|h| h.seen.connects > connects, 60_000);
        self.tracker.handle_open(self.at(), "");
        self.frame(handshake);
    }

    pub fn frame(&mut self, text: &str) {
        self.tracker.handle_frame(self.at(), text);
        self.frames.push(text.to_owned());
        self.drain();
    }

    pub fn send(&mut self, text: &str) -> MessageId {
        let id = self.tracker.send_user_message(self.at(), text, SendOptions::default());
        self.drain();
        id
    }

    pub fn closed(&mut self, code: u16, clean: bool) {
        self.tracker.handle_closed(self.at(), code, "bye", clean);
        self.drain();
    }

    /// Moves the clock forward by `ms`, firing every deadline on the way.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now + ms;
        while let Some(d) = self.tracker.poll_timeout() {
            let d = d.as_millis();
            if d > target {
                break;
            }
            self.now = self.now.max(d);
            self.tracker.handle_timeout(self.at());
            self.drain();
        }
        self.now = target;
    }

    /// Advances until `done` holds or `limit` ms passed.
    pub fn advance_until(&mut self, done: impl Fn(&Harness) -> bool, limit: u64) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            self.advance(10);
        }
    }

    /// Hands `frames` to the tracker as an application that does not drain would, then takes
    /// what the output queue kept: the events as they are, and the kinds of the reports.
    pub fn undrained(&mut self, frames: &[String]) -> (Vec<Event>, Vec<&'static str>) {
        for frame in frames {
            self.tracker.handle_frame(self.at(), frame);
        }
        let (mut events, mut kinds) = (Vec::new(), Vec::new());
        while let Some(output) = self.tracker.poll_output() {
            match output {
                Output::Event(e) => events.push(e),
                Output::Failure(r) => kinds.push(r.kind.as_str()),
                _ => {}
            }
        }
        (events, kinds)
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.seen.failures.iter().map(|f| f.kind.as_str()).collect()
    }

    pub fn event_types(&self) -> Vec<&str> {
        self.seen.events.iter().map(|e| e.kind.as_str()).collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.kinds().iter().filter(|k| **k == kind).count()
    }
}
