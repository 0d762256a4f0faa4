//! Reading server frames of either dialect into one vocabulary, and writing client frames.
//!
//! The reader is lenient where the Netra backend varies (`payload` or `data`, `run_id` at the
//! top or inside the body, `tool_name` or `tool`) and strict where a wrong type would mislead
//! the detectors (`seq`, `head_seq`, `from_seq` must be non-negative integers).

use alloc::borrow::Cow;
use alloc::borrow::ToOwned;
use alloc::string::String;
use core::ops::Range;

use super::json::{push_str, push_u64, Object, Raw};
use super::message::{MessageId, SendOptions};
use super::output::Origin;

/// Handshake frame types (`connection_established` and the Netra variants).
const HANDSHAKES: [&str; 5] = [
    "connection_established",
    "connect",
    "factory_connection_established",
    "isolated_connection_established",
    "legacy_connection_established",
];

/// Error frame types.
const ERRORS: [&str; 4] = ["error_message", "connection_error", "system_error", "error"];

/// A `seq`-like field: absent, a valid integer, or present but not a non-negative integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Num {
    Absent,
    Valid(u64),
    Invalid,
}

impl Num {
    fn read(raw: Option<Raw<'_>>) -> Num {
        match raw {
            None => Num::Absent,
            Some(r) => r.as_u64().map_or(Num::Invalid, Num::Valid),
        }
    }
}

/// A server frame, classified.
pub(crate) enum Frame<'a> {
    Handshake {
        sequenced: bool,
        session: Option<Cow<'a, str>>,
        head: Num,
    },
    /// `pong`, `heartbeat`, `heartbeat_ack`; `heartbeat` is set for a server `heartbeat`.
    Liveness {
        heartbeat: bool,
        head: Num,
    },
    Ack {
        message_id: Cow<'a, str>,
        run_id: Option<Cow<'a, str>>,
    },
    Resumed {
        session: Option<Cow<'a, str>>,
        from: Num,
        head: Num,
    },
    ResumeFailed {
        reason: Option<Cow<'a, str>>,
    },
    Error {
        detail: String,
    },
    /// Frames with nothing to track (the Netra `ack` of unknown client types).
    Ignored,
    Event(EventFrame<'a>),
}

/// An event frame: everything the detectors and the application need.
pub(crate) struct EventFrame<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) run_id: Option<Cow<'a, str>>,
    pub(crate) tool: Option<Cow<'a, str>>,
    pub(crate) seq: Num,
    pub(crate) session: Option<Cow<'a, str>>,
    pub(crate) body: &'a str,
    /// Where `body` stands in the frame's text, when the frame has one.
    pub(crate) body_range: Option<Range<usize>>,
    pub(crate) recovered: bool,
}

/// An event owned and waiting for delivery (held for reordering, or about to be delivered).
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub(crate) kind: String,
    pub(crate) run_id: Option<String>,
    pub(crate) tool: Option<String>,
    pub(crate) seq: Option<u64>,
    pub(crate) data: String,
    pub(crate) recovered: bool,
    pub(crate) origin: Origin,
}

impl EventFrame<'_> {
    /// The owned event of frame number `frame`.
    pub(crate) fn into_incoming(self, frame: u64) -> Incoming {
        Incoming {
            kind: self.kind.into_owned(),
            run_id: self.run_id.map(Cow::into_owned),
            tool: self.tool.map(Cow::into_owned),
            seq: match self.seq {
                Num::Valid(n) => Some(n),
                _ => None,
            },
            data: self.body.to_owned(),
            recovered: self.recovered,
            origin: Origin { frame, data: self.body_range },
        }
    }
}

fn text<'a>(raw: Option<Raw<'a>>) -> Option<Cow<'a, str>> {
    raw.and_then(Raw::as_str)
}

/// Where `part`, a slice of `whole`, stands in it.
fn range_in(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// Classifies `object`, parsed from `wire`; `Err` is a protocol violation's detail.
pub(crate) fn classify<'a>(wire: &'a str, object: &Object<'a>) -> Result<Frame<'a>, &'static str> {
    let kind = match object.get("type") {
        None => return Err("frame has no type"),
        Some(raw) => raw.as_str().ok_or("frame type is not a string")?,
    };
    let body = object.body();
    let field = |name: &str| object.get(name).or_else(|| object.body_get(name));
    let kind_str: &str = &kind;
    if HANDSHAKES.contains(&kind_str) {
        return Ok(Frame::Handshake {
            sequenced: text(object.get("protocol")).as_deref() == Some("sequenced"),
            session: text(object.get("session")),
            head: Num::read(object.get("head_seq")),
        });
    }
    match kind_str {
        "pong" | "heartbeat" | "heartbeat_ack" => {
            return Ok(Frame::Liveness { heartbeat: kind_str == "heartbeat", head: Num::read(object.get("head_seq")) })
        }
        "ack" => {
            return Ok(match text(object.get("message_id")) {
                Some(message_id) => Frame::Ack { message_id, run_id: text(object.get("run_id")) },
                None => Frame::Ignored,
            })
        }
        "system_message" => {
            if let Some(message_id) = text(field("original_message_id")) {
                return Ok(Frame::Ack { message_id, run_id: text(field("run_id")) });
            }
        }
        "resumed" => {
            return Ok(Frame::Resumed {
                session: text(object.get("session")),
                from: Num::read(object.get("from_seq")),
                head: Num::read(object.get("head_seq")),
            })
        }
        "resume_failed" => return Ok(Frame::ResumeFailed { reason: text(object.get("reason")) }),
        k if ERRORS.contains(&k) => return Ok(Frame::Error { detail: error_detail(object, field) }),
        _ => {}
    }
    Ok(Frame::Event(EventFrame {
        run_id: text(field("run_id")),
        tool: text(field("tool_name")).or_else(|| text(field("tool"))),
        seq: Num::read(object.get("seq")),
        session: text(object.get("session")),
        body: body.map_or("{}", |r| r.0),
        body_range: body.and_then(|r| range_in(wire, r.0)),
        recovered: object.get("recovered").and_then(Raw::as_bool) == Some(true),
        kind,
    }))
}

/// "CODE: message (support SUP-7)" from whichever fields the error frame has.
fn error_detail<'a>(object: &Object<'a>, field: impl Fn(&str) -> Option<Raw<'a>>) -> String {
    let code = text(field("error_code")).or_else(|| text(field("code")));
    let message = text(field("error_message")).or_else(|| text(field("message")));
    let support = text(field("support_code"));
    let mut out = String::new();
    if let Some(kind) = text(object.get("type")) {
        out.push_str(&kind);
    }
    for (sep, part) in [(": ", code), (": ", message), (" support ", support)] {
        if let Some(part) = part {
            out.push_str(sep);
            // Bound what a hostile server can put into a report.
            out.extend(part.chars().take(300));
        }
    }
    out
}

/// `{"type":"user_message","message_id":…,"payload":{"content":…,"thread_id":…,"message_id":…}}`:
/// one shape both dialects read (netra reads the payload, sequenced the top-level id).
pub(crate) fn user_message(id: MessageId, content: &str, options: &SendOptions) -> String {
    let wire_id = id.to_wire();
    let mut out = String::with_capacity(content.len() + 96);
    out.push_str("{\"type\":\"user_message\",\"message_id\":");
    push_str(&mut out, &wire_id);
    out.push_str(",\"payload\":{\"content\":");
    push_str(&mut out, content);
    if let Some(thread) = &options.thread_id {
        out.push_str(",\"thread_id\":");
        push_str(&mut out, thread);
    }
    out.push_str(",\"message_id\":");
    push_str(&mut out, &wire_id);
    out.push_str("}}");
    out
}

/// `{"type":"ping","timestamp":<ms>}`.
pub(crate) fn ping(now_ms: u64) -> String {
    let mut out = String::from("{\"type\":\"ping\",\"timestamp\":");
    push_u64(&mut out, now_ms);
    out.push('}');
    out
}

/// `{"type":"heartbeat_ack"}`.
pub(crate) fn heartbeat_ack() -> String {
    String::from("{\"type\":\"heartbeat_ack\"}")
}

/// `{"type":"ack","seq":<n>}`: cumulative acknowledgement (sequenced).
pub(crate) fn seq_ack(seq: u64) -> String {
    let mut out = String::from("{\"type\":\"ack\",\"seq\":");
    push_u64(&mut out, seq);
    out.push('}');
    out
}

/// `{"type":"resume","session":…,"last_seq":<n>}` (sequenced).
pub(crate) fn resume(session: &str, last_seq: u64) -> String {
    let mut out = String::from("{\"type\":\"resume\",\"session\":");
    push_str(&mut out, session);
    out.push_str(",\"last_seq\":");
    push_u64(&mut out, last_seq);
    out.push('}');
    out
}
