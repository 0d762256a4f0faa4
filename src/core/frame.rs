//! Reading server frames of either dialect into one vocabulary, and writing client frames.
//!
//! The reader is lenient where the Netra backend varies (`payload` or `data`, `run_id` at the
//! top or inside the body, `tool_name` or `tool`) and strict where a wrong type would mislead
//! the detectors (`seq`, `head_seq`, `from_seq` must be non-negative integers).

use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use core::cell::Cell;
use core::ops::Range;

use super::budget::MAX_ID_BYTES;
use super::credential::Credential;
use super::dedup::hash_bytes;
use super::json::{push_str, push_u64, Object, Raw, Slot};
use super::message::{MessageId, SendOptions};
use super::output::{Body, Event};
use super::report::char_prefix;
use super::time::Instant;

/// How much of a shortened id is kept before its hash.
const SHORTENED_ID_PREFIX: usize = 200;

/// How many characters of one part of an error frame a report quotes.
const ERROR_PART_CHARS: usize = 300;

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
        /// The server asks for `event_confirmation` frames (netra): `"event_confirmation":
        /// true`, at the top level or in the body.
        confirms: bool,
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

/// What a frame says about its run.
pub(crate) enum RunId<'a> {
    /// No `run_id`, or `null` (at the top level a `null` does not hide the body's).
    Absent,
    /// A string, or a number taken by its text (`42` is run `"42"`); at most
    /// [`MAX_ID_BYTES`] long ([`bounded_id`]).
    Valid(Cow<'a, str>),
    /// Neither a string nor a number.
    Invalid,
}

/// An event frame: everything the detectors and the application need.
pub(crate) struct EventFrame<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) run_id: Option<Cow<'a, str>>,
    /// The frame's `run_id` was neither a string nor a number: the event is not tracked.
    pub(crate) run_id_invalid: bool,
    /// The run id or the tool name was longer than [`MAX_ID_BYTES`] and was shortened.
    pub(crate) shortened: bool,
    pub(crate) tool: Option<Cow<'a, str>>,
    /// The server's id of this event (`event_id`, top level or body), for its confirmation.
    pub(crate) event_id: Option<Cow<'a, str>>,
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
    pub(crate) event_id: Option<String>,
    pub(crate) seq: Option<u64>,
    /// The body's text, if the frame had one.
    pub(crate) body: Option<String>,
    pub(crate) recovered: bool,
    /// The frame's ordinal.
    pub(crate) frame: u64,
}

impl EventFrame<'_> {
    /// The sequence number, if valid.
    pub(crate) fn seq(&self) -> Option<u64> {
        match self.seq {
            Num::Valid(n) => Some(n),
            _ => None,
        }
    }

    /// An owned copy of this event from frame number `frame`, to be held.
    pub(crate) fn to_incoming(&self, frame: u64) -> Incoming {
        Incoming {
            kind: self.kind.clone().into_owned(),
            run_id: self.run_id.clone().map(Cow::into_owned),
            tool: self.tool.clone().map(Cow::into_owned),
            event_id: self.event_id.clone().map(Cow::into_owned),
            seq: self.seq(),
            body: self.body_range.is_some().then(|| self.body.to_owned()),
            recovered: self.recovered,
            frame,
        }
    }

    /// The event for the application, from frame number `frame` (the one just handled): its
    /// body stands in that frame.
    pub(crate) fn into_event(self, at: Instant, frame: u64) -> Event {
        Event {
            seq: self.seq(),
            body: self.body_range.map_or(Body::Empty, Body::InFrame),
            kind: self.kind.into_owned(),
            run_id: self.run_id.map(Cow::into_owned),
            recovered: self.recovered,
            at,
            frame,
        }
    }
}

impl Incoming {
    /// What holding it costs, in bytes: its texts.
    pub(crate) fn bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.kind.len() + text(&self.body) + text(&self.run_id) + text(&self.tool) + text(&self.event_id)
    }

    /// The event for the application, its body owned.
    pub(crate) fn into_event(self, at: Instant) -> Event {
        Event {
            kind: self.kind,
            run_id: self.run_id,
            seq: self.seq,
            body: self.body.map_or(Body::Empty, Body::Owned),
            recovered: self.recovered,
            at,
            frame: self.frame,
        }
    }
}

/// The members [`classify`] reads.
#[derive(Clone, Copy)]
enum Key {
    Type,
    Protocol,
    Session,
    HeadSeq,
    MessageId,
    RunId,
    OriginalMessageId,
    FromSeq,
    Reason,
    ToolName,
    Tool,
    Seq,
    Recovered,
    ErrorCode,
    Code,
    ErrorMessage,
    Message,
    SupportCode,
    EventId,
    EventConfirmation,
}

const KEYS: usize = Key::EventConfirmation as usize + 1;

/// Every [`Key`], in declaration order (indexed by `Key as usize`).
const KEY_ORDER: [Key; KEYS] = [
    Key::Type,
    Key::Protocol,
    Key::Session,
    Key::HeadSeq,
    Key::MessageId,
    Key::RunId,
    Key::OriginalMessageId,
    Key::FromSeq,
    Key::Reason,
    Key::ToolName,
    Key::Tool,
    Key::Seq,
    Key::Recovered,
    Key::ErrorCode,
    Key::Code,
    Key::ErrorMessage,
    Key::Message,
    Key::SupportCode,
    Key::EventId,
    Key::EventConfirmation,
];

/// The name of each [`Key`], in declaration order (indexed by `Key as usize`).
const KEY_NAMES: [&[u8]; KEYS] = [
    b"type",
    b"protocol",
    b"session",
    b"head_seq",
    b"message_id",
    b"run_id",
    b"original_message_id",
    b"from_seq",
    b"reason",
    b"tool_name",
    b"tool",
    b"seq",
    b"recovered",
    b"error_code",
    b"code",
    b"error_message",
    b"message",
    b"support_code",
    b"event_id",
    b"event_confirmation",
];

/// The index of the [`Key`] named `name` (`Key as usize`), if it is one.
fn key_index(name: &[u8]) -> Option<usize> {
    KEY_NAMES.iter().position(|key| *key == name)
}

/// The first top-level member of each [`Key`], found in one pass; the body's members are
/// looked up by name when asked for, as few are (a run id, a tool, an error's parts).
struct Fields<'o, 'a> {
    object: &'o Object<'a>,
    top: [Option<&'o Slot>; KEYS],
    /// The first key read that appears twice with different values.
    conflict: Cell<Option<Key>>,
}

impl<'o, 'a> Fields<'o, 'a> {
    /// No member found yet; [`Fields::read`] finds them.
    fn new(object: &'o Object<'a>) -> Self {
        Fields { object, top: [None; KEYS], conflict: Cell::new(None) }
    }

    /// Finds the first top-level member of each [`Key`], and notes a key repeated with
    /// another value. Filled in place (the caller's `Fields`, not a returned one): the array
    /// is too large to copy per frame.
    fn read(&mut self) {
        let object = self.object;
        for slot in object.top_slots() {
            let Some(index) = key_index(object.key(slot)) else { continue };
            let Some(entry) = self.top.get_mut(index) else { continue };
            match entry {
                None => *entry = Some(slot),
                Some(first) if object.value_bytes(first) != object.value_bytes(slot) => {
                    if self.conflict.get().is_none() {
                        self.conflict.set(KEY_ORDER.get(index).copied());
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// The name of the first key read that appears twice with different values.
    fn conflict(&self) -> Option<&'static str> {
        let key = self.conflict.get()?;
        KEY_NAMES.get(key as usize).and_then(|name| core::str::from_utf8(name).ok())
    }

    /// The top-level member `key`.
    fn get(&self, key: Key) -> Option<Raw<'a>> {
        self.top_slot(key).map(|s| self.object.value(s))
    }

    fn top_slot(&self, key: Key) -> Option<&'o Slot> {
        self.top.get(key as usize).copied().flatten()
    }

    /// Member `key` at the top level, else in the body.
    fn field_slot(&self, key: Key) -> Option<&'o Slot> {
        self.top_slot(key).or_else(|| self.body_slot(key))
    }

    /// The first member of the body named `key` (a later one with another value is noted as
    /// a conflict).
    fn body_slot(&self, key: Key) -> Option<&'o Slot> {
        let name = *KEY_NAMES.get(key as usize)?;
        let mut named = self.object.body_slots().iter().filter(|s| self.object.key_is(s, name));
        let first = named.next()?;
        let value = self.object.value_bytes(first);
        if named.any(|s| self.object.value_bytes(s) != value) && self.conflict.get().is_none() {
            self.conflict.set(Some(key));
        }
        Some(first)
    }

    /// The run id: top level, else body; see [`RunId`].
    fn run_id(&self) -> RunId<'a> {
        match self.top_slot(Key::RunId).map(|s| self.id_at(s)) {
            None | Some(RunId::Absent) => self.body_slot(Key::RunId).map_or(RunId::Absent, |s| self.id_at(s)),
            Some(id) => id,
        }
    }

    fn id_at(&self, slot: &Slot) -> RunId<'a> {
        let raw = self.object.value(slot);
        if raw.0 == "null" {
            return RunId::Absent;
        }
        match self.object.string(slot) {
            Some(text) => RunId::Valid(text),
            None if raw.is_number() => RunId::Valid(Cow::Borrowed(raw.0)),
            None => RunId::Invalid,
        }
    }

    /// The top-level member `key` as a string.
    fn text(&self, key: Key) -> Option<Cow<'a, str>> {
        self.top_slot(key).and_then(|s| self.object.string(s))
    }

    /// Member `key` (top level, else body) as a string.
    fn field_text(&self, key: Key) -> Option<Cow<'a, str>> {
        self.field_slot(key).and_then(|s| self.object.string(s))
    }

    fn num(&self, key: Key) -> Num {
        Num::read(self.get(key))
    }
}

/// A classified frame, and the first member it repeats with another value (the first value
/// is the one read).
pub(crate) struct Classified<'a> {
    pub(crate) frame: Frame<'a>,
    pub(crate) conflict: Option<&'static str>,
}

/// Classifies `object`, a parsed frame; `Err` is a protocol violation's detail. Error texts
/// are redacted of `credential` before they are cut to length.
pub(crate) fn classify<'a>(
    object: &Object<'a>,
    credential: Option<&Credential>,
) -> Result<Classified<'a>, &'static str> {
    let mut fields = Fields::new(object);
    fields.read();
    let frame = frame(&fields, credential)?;
    Ok(Classified { frame, conflict: fields.conflict() })
}

fn frame<'a>(fields: &Fields<'_, 'a>, credential: Option<&Credential>) -> Result<Frame<'a>, &'static str> {
    let object = fields.object;
    let kind = match fields.top_slot(Key::Type) {
        None => return Err("frame has no type"),
        Some(slot) => object.string(slot).ok_or("frame type is not a string")?,
    };
    let kind_str: &str = &kind;
    match kind_str {
        // `connection_established` and the Netra variants.
        "connection_established"
        | "connect"
        | "factory_connection_established"
        | "isolated_connection_established"
        | "legacy_connection_established" => {
            return Ok(Frame::Handshake {
                sequenced: fields.text(Key::Protocol).as_deref() == Some("sequenced"),
                session: fields.text(Key::Session),
                head: fields.num(Key::HeadSeq),
                confirms: fields.field_slot(Key::EventConfirmation).and_then(|s| object.value(s).as_bool())
                    == Some(true),
            })
        }
        "pong" | "heartbeat" | "heartbeat_ack" => {
            return Ok(Frame::Liveness { heartbeat: kind_str == "heartbeat", head: fields.num(Key::HeadSeq) })
        }
        "ack" => {
            return Ok(match fields.text(Key::MessageId) {
                Some(message_id) => Frame::Ack { message_id, run_id: bounded(fields.text(Key::RunId)).0 },
                None => Frame::Ignored,
            })
        }
        "system_message" => {
            if let Some(message_id) = fields.field_text(Key::OriginalMessageId) {
                return Ok(Frame::Ack { message_id, run_id: bounded(fields.field_text(Key::RunId)).0 });
            }
        }
        "resumed" => {
            return Ok(Frame::Resumed {
                session: fields.text(Key::Session),
                from: fields.num(Key::FromSeq),
                head: fields.num(Key::HeadSeq),
            })
        }
        "resume_failed" => return Ok(Frame::ResumeFailed { reason: fields.text(Key::Reason) }),
        "error_message" | "connection_error" | "system_error" | "error" => {
            return Ok(Frame::Error { detail: error_detail(fields, credential) })
        }
        _ => {}
    }
    let (run_id, run_id_invalid) = match fields.run_id() {
        RunId::Absent => (None, false),
        RunId::Valid(id) => (Some(id), false),
        RunId::Invalid => (None, true),
    };
    let tool = fields.field_text(Key::ToolName).or_else(|| fields.field_text(Key::Tool));
    let (run_id, long_run) = bounded(run_id);
    let (tool, long_tool) = bounded(tool);
    let (event_id, long_event_id) = bounded(fields.field_text(Key::EventId));
    Ok(Frame::Event(EventFrame {
        run_id,
        run_id_invalid,
        shortened: long_run || long_tool || long_event_id,
        tool,
        event_id,
        seq: fields.num(Key::Seq),
        session: fields.text(Key::Session),
        body: object.body().map_or("{}", |r| r.0),
        body_range: object.body_range(),
        recovered: fields.get(Key::Recovered).and_then(Raw::as_bool) == Some(true),
        kind,
    }))
}

/// `id` if it is at most [`MAX_ID_BYTES`] long; else its first [`SHORTENED_ID_PREFIX`] bytes
/// (whole characters), `…` and its 64-bit hash in hex, so that distinct long ids stay
/// distinct. The flag says it was shortened.
pub(crate) fn bounded_id(id: Cow<'_, str>) -> (Cow<'_, str>, bool) {
    if id.len() <= MAX_ID_BYTES {
        return (id, false);
    }
    let mut cut = SHORTENED_ID_PREFIX;
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut short = String::with_capacity(cut + 20);
    short.push_str(id.get(..cut).unwrap_or_default());
    short.push('…');
    let hash = hash_bytes(id.as_bytes());
    for shift in (0..16).rev() {
        let nibble = (hash >> (4 * shift)) & 0xF;
        short.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
    }
    (Cow::Owned(short), true)
}

fn bounded(id: Option<Cow<'_, str>>) -> (Option<Cow<'_, str>>, bool) {
    match id {
        None => (None, false),
        Some(id) => {
            let (id, shortened) = bounded_id(id);
            (Some(id), shortened)
        }
    }
}

/// "CODE: message (support SUP-7)" from whichever fields the error frame has, each part
/// redacted of the credential, then cut to [`ERROR_PART_CHARS`].
fn error_detail(fields: &Fields<'_, '_>, credential: Option<&Credential>) -> String {
    let code = fields.field_text(Key::ErrorCode).or_else(|| fields.field_text(Key::Code));
    let message = fields.field_text(Key::ErrorMessage).or_else(|| fields.field_text(Key::Message));
    let support = fields.field_text(Key::SupportCode);
    let mut out = String::new();
    if let Some(kind) = fields.text(Key::Type) {
        out.push_str(&kind);
    }
    for (sep, part) in [(": ", code), (": ", message), (" support ", support)] {
        if let Some(part) = part {
            out.push_str(sep);
            let part = match credential {
                Some(credential) => Cow::Owned(credential.redact(&part).into_owned()),
                None => part,
            };
            // Bound what a hostile server can put into a report.
            out.push_str(char_prefix(&part, ERROR_PART_CHARS));
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

/// `{"type":"ack","seq":<n>}`: cumulative acknowledgement (sequenced); with
/// `"lost":[[from,to],…]` when ranges up to `seq` were given up on since the last ack.
pub(crate) fn seq_ack(seq: u64, lost: &[(u64, u64)]) -> String {
    let mut out = String::from("{\"type\":\"ack\",\"seq\":");
    push_u64(&mut out, seq);
    if !lost.is_empty() {
        out.push_str(",\"lost\":[");
        for (i, (from, to)) in lost.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            push_u64(&mut out, *from);
            out.push(',');
            push_u64(&mut out, *to);
            out.push(']');
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// `{"type":"event_confirmation","event_id":…,"status":"confirmed"}` (netra): the client has
/// the event the server sent with this `event_id`.
pub(crate) fn event_confirmation(event_id: &str) -> String {
    let mut out = String::from("{\"type\":\"event_confirmation\",\"event_id\":");
    push_str(&mut out, event_id);
    out.push_str(",\"status\":\"confirmed\"}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_index_finds_each_key_by_its_name_and_nothing_else() {
        let keys = [
            (Key::Type, "type"),
            (Key::Protocol, "protocol"),
            (Key::Session, "session"),
            (Key::HeadSeq, "head_seq"),
            (Key::MessageId, "message_id"),
            (Key::RunId, "run_id"),
            (Key::OriginalMessageId, "original_message_id"),
            (Key::FromSeq, "from_seq"),
            (Key::Reason, "reason"),
            (Key::ToolName, "tool_name"),
            (Key::Tool, "tool"),
            (Key::Seq, "seq"),
            (Key::Recovered, "recovered"),
            (Key::ErrorCode, "error_code"),
            (Key::Code, "code"),
            (Key::ErrorMessage, "error_message"),
            (Key::Message, "message"),
            (Key::SupportCode, "support_code"),
            (Key::EventId, "event_id"),
            (Key::EventConfirmation, "event_confirmation"),
        ];
        assert_eq!(keys.len(), KEYS);
        for (key, name) in keys {
            assert_eq!(key_index(name.as_bytes()), Some(key as usize), "{name}");
        }
        for other in
            ["", "t", "typ", "types", "Type", "tyqe", "data", "payload", "timestamp", "seq_", "run", "messages"]
        {
            assert_eq!(key_index(other.as_bytes()), None, "{other:?}");
        }
    }
}
