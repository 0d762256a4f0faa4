//! A small validating JSON reader built for one job: check that a frame is a well-formed JSON
//! object within a depth limit, and hand out its top-level members as borrowed slices.
//!
//! Values are not decoded up front: a [`Raw`] is the exact text of a value, decoded only when a
//! caller asks for a string, an integer or a nested object. That keeps the per-frame cost to one
//! linear scan and one small allocation, and keeps `core::fmt` and serde out of the shipped
//! wasm. Every function here is total: malformed input yields `Err`/`None`, never a panic.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

/// Why a frame is not an acceptable JSON object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not valid JSON text.
    Syntax,
    /// Valid JSON, but the top level is not an object.
    NotObject,
    /// Objects or arrays nested deeper than the configured limit.
    TooDeep,
}

impl JsonError {
    /// A short human-readable reason, for failure reports.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonError::Syntax => "frame is not valid JSON",
            JsonError::NotObject => "frame is not a JSON object",
            JsonError::TooDeep => "frame nests deeper than the limit",
        }
    }
}

/// The exact text of one JSON value inside a validated document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a>(pub &'a str);

/// One member of an object: its key (still escaped, without quotes) and its value.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    key: &'a str,
    key_escaped: bool,
    /// The member's value.
    pub value: Raw<'a>,
}

impl<'a> Member<'a> {
    /// Whether this member's key equals `name`.
    pub fn is(&self, name: &str) -> bool {
        if self.key_escaped {
            unescape(self.key) == name
        } else {
            self.key == name
        }
    }

    /// The key text as it stands on the wire (escapes not decoded).
    pub fn raw_key(&self) -> &'a str {
        self.key
    }
}

/// The top-level members of a validated JSON object, in wire order, and the members of its
/// body: the first top-level `data` or `payload` member whose value is an object. Both are
/// collected in the one validating pass, as positions in the text; values are sliced out only
/// when asked for.
#[derive(Clone, Debug, Default)]
pub struct Object<'a> {
    text: &'a str,
    slots: Slots,
    /// The body's byte range in `text`.
    body: Option<Range<usize>>,
}

/// The members' places of an [`Object`]: a buffer that can outlive the object and be reused.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    top: Vec<Slot>,
    body: Vec<Slot>,
    /// The keys that hold escapes, decoded once, in scan order ([`Slot::decoded`]).
    names: Vec<String>,
}

/// Where one member lies in its document: the byte ranges of its key's body (quotes
/// excluded) and of its value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    key: (usize, usize),
    value: (usize, usize),
    /// 0 if the key holds no escapes; else 1 + the index of its decoded text in
    /// [`Slots::names`].
    decoded: u32,
    /// The value is a string without escapes.
    plain_string: bool,
}

impl<'a> Object<'a> {
    /// Validates `text` as one JSON object nested at most `max_depth` levels, and collects its
    /// top-level members and its body's.
    pub fn parse(text: &'a str, max_depth: u32) -> Result<Self, JsonError> {
        Self::parse_in(text, max_depth, Slots::default())
    }

    /// [`Object::parse`], collecting into `buffer` (cleared first) so that a caller parsing
    /// frame after frame allocates once; [`Object::into_buffer`] hands it back.
    pub(crate) fn parse_in(text: &'a str, max_depth: u32, mut buffer: Slots) -> Result<Self, JsonError> {
        buffer.top.clear();
        buffer.body.clear();
        buffer.names.clear();
        let mut scanner = Scanner { bytes: text.as_bytes(), pos: 0, max_depth, slots: buffer, body: None };
        let first = scanner.skip_ws();
        if first != Some(b'{') {
            // Distinguish "valid but not an object" from garbage, for a clearer report.
            scanner.value(0, first.ok_or(JsonError::Syntax)?)?;
            return Err(if scanner.skip_ws().is_none() { JsonError::NotObject } else { JsonError::Syntax });
        }
        scanner.object(0, Role::Top)?;
        if scanner.skip_ws().is_some() {
            return Err(JsonError::Syntax);
        }
        let body = scanner.body.map(|(start, end)| start..end);
        Ok(Object { text, slots: scanner.slots, body })
    }

    /// The buffer [`Object::parse_in`] collected into, for the next parse; a fresh one if an
    /// unusually large object grew it, so that one hostile frame does not pin its memory.
    pub(crate) fn into_buffer(self) -> Slots {
        const KEEP: usize = 256;
        if self.slots.top.capacity() + self.slots.body.capacity() + self.slots.names.capacity() > KEEP {
            Slots::default()
        } else {
            self.slots
        }
    }

    /// The value of the first member named `name`.
    pub fn get(&self, name: &str) -> Option<Raw<'a>> {
        self.top_slots().iter().find(|s| self.key_is(s, name.as_bytes())).map(|s| self.value(s))
    }

    /// The members in wire order.
    pub fn members(&self) -> impl Iterator<Item = Member<'a>> + '_ {
        self.top_slots().iter().map(|s| Member {
            key: self.text.get(s.key.0..s.key.1).unwrap_or_default(),
            key_escaped: s.decoded != 0,
            value: self.value(s),
        })
    }

    /// The body (`data` or `payload` object), if there is one.
    pub fn body(&self) -> Option<Raw<'a>> {
        self.text.get(self.body.clone()?).map(Raw)
    }

    /// Where the body stands in the text, if there is one.
    pub(crate) fn body_range(&self) -> Option<Range<usize>> {
        self.body.clone()
    }

    /// Whether `slot` is the body's member (its value is the body).
    pub(crate) fn is_body(&self, slot: &Slot) -> bool {
        self.body.as_ref().is_some_and(|body| body.start == slot.value.0)
    }

    /// The top-level members' places.
    pub(crate) fn top_slots(&self) -> &[Slot] {
        &self.slots.top
    }

    /// The body's members' places; empty without a body.
    pub(crate) fn body_slots(&self) -> &[Slot] {
        &self.slots.body
    }

    /// A member's key as on the wire (escapes not decoded).
    pub(crate) fn raw_key(&self, slot: &Slot) -> &'a [u8] {
        self.text.as_bytes().get(slot.key.0..slot.key.1).unwrap_or_default()
    }

    /// A member's key with its escapes decoded (those were decoded by the scan).
    pub(crate) fn key(&self, slot: &Slot) -> &[u8] {
        match slot.decoded.checked_sub(1) {
            None => self.raw_key(slot),
            Some(i) => self.slots.names.get(i as usize).map_or(&[], |name| name.as_bytes()),
        }
    }

    /// Whether a member's key, escapes decoded, is `name`.
    pub(crate) fn key_is(&self, slot: &Slot, name: &[u8]) -> bool {
        self.key(slot) == name
    }

    /// A member's value.
    pub(crate) fn value(&self, slot: &Slot) -> Raw<'a> {
        Raw(self.text.get(slot.value.0..slot.value.1).unwrap_or_default())
    }

    /// A member's value text as bytes.
    pub(crate) fn value_bytes(&self, slot: &Slot) -> &'a [u8] {
        self.text.as_bytes().get(slot.value.0..slot.value.1).unwrap_or_default()
    }

    /// A member's value decoded as a string, if it is one ([`Raw::as_str`], without looking
    /// for escapes again).
    pub(crate) fn string(&self, slot: &Slot) -> Option<Cow<'a, str>> {
        if slot.plain_string {
            self.text.get(slot.value.0 + 1..slot.value.1.saturating_sub(1)).map(Cow::Borrowed)
        } else {
            self.value(slot).as_str()
        }
    }
}

impl<'a> Raw<'a> {
    /// The decoded string, if this value is a JSON string.
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        let inner = self.0.strip_prefix('"')?.strip_suffix('"')?;
        if inner.contains('\\') {
            Some(Cow::Owned(unescape(inner)))
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// The value as a non-negative integer, if it is one that fits in `u64` (no sign, fraction
    /// or exponent).
    pub fn as_u64(self) -> Option<u64> {
        let bytes = self.0.as_bytes();
        if bytes.is_empty() || bytes.len() > 20 {
            return None;
        }
        let mut n: u64 = 0;
        for &b in bytes {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        }
        Some(n)
    }

    /// The value as a boolean, if it is `true` or `false`.
    pub fn as_bool(self) -> Option<bool> {
        match self.0 {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Whether the value is a number (validated by the scan: it starts with `-` or a digit).
    pub fn is_number(self) -> bool {
        self.0.starts_with(|c: char| c == '-' || c.is_ascii_digit())
    }
}

/// Decodes the escapes of a string body that was validated by the scanner. Invalid or lone
/// surrogates become U+FFFD.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let high = hex4(&mut chars);
                let code = match high {
                    Some(h) if (0xD800..0xDC00).contains(&h) => {
                        let mut ahead = chars.clone();
                        let low = match (ahead.next(), ahead.next()) {
                            (Some('\\'), Some('u')) => hex4(&mut ahead),
                            _ => None,
                        };
                        match low {
                            Some(l) if (0xDC00..0xE000).contains(&l) => {
                                chars = ahead;
                                Some(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                            }
                            _ => None,
                        }
                    }
                    other => other,
                };
                out.push(code.and_then(char::from_u32).unwrap_or('\u{FFFD}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn hex4(chars: &mut core::str::Chars<'_>) -> Option<u32> {
    let mut n = 0;
    for _ in 0..4 {
        n = n * 16 + chars.next()?.to_digit(16)?;
    }
    Some(n)
}

/// Which members an object scan collects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document's top level.
    Top,
    /// The body under `data` / `payload`.
    Body,
    /// Anything else: validated only.
    Skip,
}

/// The validating reader: recursive descent over bytes, bounded by `max_depth`.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    max_depth: u32,
    /// Members of the top level and of the body.
    slots: Slots,
    /// The body's byte range.
    body: Option<(usize, usize)>,
}

impl<'a> Scanner<'a> {
    /// Skips whitespace; returns the byte after it.
    #[inline]
    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Scans one value, whose first byte is `first`.
    fn value(&mut self, depth: u32, first: u8) -> Result<(), JsonError> {
        match first {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(depth, Role::Skip),
            b'[' => self.array(depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(JsonError::Syntax),
        }
    }

    fn enter(&self, depth: u32) -> Result<u32, JsonError> {
        let next = depth + 1;
        if next > self.max_depth {
            Err(JsonError::TooDeep)
        } else {
            Ok(next)
        }
    }

    /// Scans an object (at its `{`), collecting its members as `role` says.
    fn object(&mut self, depth: u32, role: Role) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut next = self.skip_ws();
        if next == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if next != Some(b'"') {
                return Err(JsonError::Syntax);
            }
            let key_start = self.pos + 1;
            let key_escaped = self.string()?;
            let key = (key_start, self.pos - 1);
            let decoded = if key_escaped && role != Role::Skip { self.decode_key(key) } else { 0 };
            if self.skip_ws() != Some(b':') {
                return Err(JsonError::Syntax);
            }
            self.pos += 1;
            let first = self.skip_ws().ok_or(JsonError::Syntax)?;
            let start = self.pos;
            let mut plain_string = false;
            if role == Role::Skip {
                // Members of other objects are validated only.
                self.value(depth, first)?;
            } else {
                if role == Role::Top && first == b'{' && self.body.is_none() && self.is_body_key(key) {
                    self.object(depth, Role::Body)?;
                    self.body = Some((start, self.pos));
                } else if first == b'"' {
                    plain_string = !self.string()?;
                } else {
                    self.value(depth, first)?;
                }
                let slot = Slot { key, value: (start, self.pos), decoded, plain_string };
                if role == Role::Top {
                    self.slots.top.push(slot);
                } else {
                    self.slots.body.push(slot);
                }
            }
            match self.after_member(b'}')? {
                Some(b) => next = Some(b),
                None => return Ok(()),
            }
        }
    }

    /// Decodes the key at `key`, which holds escapes, into [`Slots::names`]; returns its
    /// [`Slot::decoded`] number.
    #[cold]
    fn decode_key(&mut self, key: (usize, usize)) -> u32 {
        let raw = self.bytes.get(key.0..key.1).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default();
        self.slots.names.push(unescape(raw));
        // More than four billion members do not fit in memory (nor under `max_frame_bytes`).
        u32::try_from(self.slots.names.len()).unwrap_or(u32::MAX)
    }

    /// Whether the key at `key` reads `data` or `payload` as written (escapes not decoded).
    #[inline(always)]
    fn is_body_key(&self, key: (usize, usize)) -> bool {
        matches!(self.bytes.get(key.0..key.1), Some(b"data" | b"payload"))
    }

    /// After a member or element: consumes `,` and returns the byte after it and whitespace
    /// (0 at the end of the text, which no member or element starts with), or consumes `close`
    /// and returns `None`.
    #[inline(always)]
    fn after_member(&mut self, close: u8) -> Result<Option<u8>, JsonError> {
        match self.skip_ws() {
            Some(b',') => {
                self.pos += 1;
                Ok(Some(self.skip_ws().unwrap_or(0)))
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err(JsonError::Syntax),
        }
    }

    /// Scans an array (at its `[`).
    fn array(&mut self, depth: u32) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut next = self.skip_ws();
        if next == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth, next.ok_or(JsonError::Syntax)?)?;
            match self.after_member(b']')? {
                Some(b) => next = Some(b),
                None => return Ok(()),
            }
        }
    }

    /// Scans a string (at its opening quote) to just past its closing quote; returns whether
    /// it holds escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, JsonError> {
        let start = self.pos + 1;
        // Most keys and many values end within their first word.
        let at = match self.bytes.get(start..start + 8) {
            Some(word) => match specials(word) {
                0 => special_at(self.bytes, start + 8),
                flags => start + (flags.trailing_zeros() / 8) as usize,
            },
            None => special_at(self.bytes, start),
        };
        if self.bytes.get(at) == Some(&b'"') {
            self.pos = at + 1;
            return Ok(false);
        }
        self.string_rest(at)
    }

    /// The rest of a string from `at`, a byte that is not its closing quote: valid escapes up
    /// to the closing quote, or an error.
    fn string_rest(&mut self, mut at: usize) -> Result<bool, JsonError> {
        loop {
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.pos = at + 1;
                    return Ok(true);
                }
                Some(b'\\') => at = special_at(self.bytes, escape_end(self.bytes, at)?),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(JsonError::Syntax),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        Ok(())
    }
}

/// The end of the escape sequence at `at` (a backslash), if it is a valid one.
fn escape_end(bytes: &[u8], at: usize) -> Result<usize, JsonError> {
    match bytes.get(at + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 2),
        Some(b'u') if bytes.get(at + 2..at + 6).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) => Ok(at + 6),
        _ => Err(JsonError::Syntax),
    }
}

/// The index of the first byte at or after `from` that needs attention inside a JSON string —
/// a quote, a backslash or a control byte — or `bytes.len()` if there is none. Eight bytes a
/// step (SWAR), as string bodies are most of every frame.
fn special_at(bytes: &[u8], from: usize) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    let mut words = rest.chunks_exact(8);
    let mut at = from;
    for word in &mut words {
        let flags = specials(word);
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(tail.len())
}

/// Flags the bytes of an eight-byte word that need attention inside a JSON string: the high
/// bit of each byte ends up set where it is a quote (its XOR is zero and borrows), a backslash
/// (likewise) or below 0x20 (borrows); `!w` clears bytes of 0x80 and up. A borrow can flag
/// bytes above a flagged one, never below: the lowest flag is exact.
#[inline(always)]
fn specials(word: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
    let borrows =
        (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) | (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (borrows | w.wrapping_sub(ONES * 0x20)) & !w & HIGHS
}

/// Appends `s` to `out` as a JSON string literal, quotes included.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                let n = c as usize;
                for nibble in [n >> 4, n & 0xf] {
                    out.push(HEX.get(nibble).map_or('0', |&b| char::from(b)));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends the decimal digits of `n` to `out`, without `core::fmt`.
pub fn push_u64(out: &mut String, n: u64) {
    // Filled from the end: the last digit first.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            // `rest % 10` is below 10, so the cast cannot truncate.
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in digits.get(start..).unwrap_or_default() {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Object<'_>, JsonError> {
        Object::parse(s, 32)
    }

    #[test]
    fn reads_top_level_members_lazily() {
        let o = parse(r#" {"type":"agent_started","seq":7,"data":{"a":[1,2,{"b":null}]},"ok":true} "#).unwrap();
        assert_eq!(o.get("type").and_then(|v| v.as_str()).as_deref(), Some("agent_started"));
        assert_eq!(o.get("seq").and_then(Raw::as_u64), Some(7));
        assert_eq!(o.get("ok").and_then(Raw::as_bool), Some(true));
        let data = o.get("data").map(|d| Object::parse(d.0, 32).unwrap()).unwrap();
        assert_eq!(data.get("a").map(|r| r.0), Some("[1,2,{\"b\":null}]"));
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "not json",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\\x\"}",
            "{} {}",
            "{\"a\":tru}",
            "{\"a\":-}",
        ] {
            assert_eq!(parse(bad).err(), Some(JsonError::Syntax), "{bad:?}");
        }
        assert_eq!(parse("[1,2]").err(), Some(JsonError::NotObject));
        assert_eq!(parse("\"x\"").err(), Some(JsonError::NotObject));
    }

    #[test]
    fn limits_depth_without_recursing_past_it() {
        let deep = "{\"a\":".repeat(100) + "1" + &"}".repeat(100);
        assert_eq!(parse(&deep).err(), Some(JsonError::TooDeep));
        let arrays = String::from("{\"a\":") + &"[".repeat(100_000);
        assert_eq!(parse(&arrays).err(), Some(JsonError::TooDeep));
        let ok = "{\"a\":".repeat(31) + "1" + &"}".repeat(31);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn special_at_stops_at_the_first_special_byte() {
        for len in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    bytes.extend_from_slice("é~\u{7f}".as_bytes());
                    if at < len {
                        bytes[at] = special;
                    }
                    let want = if at < len { at } else { bytes.len() };
                    assert_eq!(special_at(&bytes, 0), want, "len {len} special {special} at {at}");
                    for from in 0..=at.min(len) {
                        assert_eq!(special_at(&bytes, from), want, "from {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn integers_are_strict() {
        for (text, want) in [
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("-1", None),
            ("1.5", None),
            ("1e3", None),
            ("\"5\"", None),
        ] {
            assert_eq!(Raw(text).as_u64(), want, "{text}");
        }
    }

    #[test]
    fn decodes_escapes_and_surrogates() {
        let o = parse(r#"{"k\u0065y":"a\"b\\c\n\u00e9\ud83d\ude00\ud800x"}"#).unwrap();
        let v = o.get("key").and_then(|v| v.as_str()).unwrap();
        assert_eq!(v, "a\"b\\c\né😀\u{FFFD}x");
        let body = parse(r#"{"data":{"run\u005fid":"r","r\u0075n_id":"s"},"\u0074ype":"t"}"#).unwrap();
        let run_id = body.body_slots().iter().find(|s| body.key_is(s, b"run_id")).map(|s| body.value(s).0);
        assert_eq!(run_id, Some("\"r\""));
        assert_eq!(body.get("type").map(|r| r.0), Some("\"t\""));
    }

    #[test]
    fn writes_strings_and_numbers() {
        let mut out = String::new();
        push_str(&mut out, "a\"b\\\n\u{1}é");
        push_u64(&mut out, 0);
        push_u64(&mut out, 18_446_744_073_709_551_615);
        assert_eq!(out, "\"a\\\"b\\\\\\n\\u0001é\"018446744073709551615");
        let round = format!("{{\"v\":{}}}", {
            let mut s = String::new();
            push_str(&mut s, "q\"\u{1f}");
            s
        });
        let o = parse(&round).unwrap();
        assert_eq!(o.get("v").and_then(|v| v.as_str()).as_deref(), Some("q\"\u{1f}"));
    }
}
