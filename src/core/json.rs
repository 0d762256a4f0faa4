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
/// collected in the one validating pass.
#[derive(Clone, Debug, Default)]
pub struct Object<'a> {
    members: Vec<Member<'a>>,
    body: Option<Raw<'a>>,
    body_members: Vec<Member<'a>>,
}

impl<'a> Object<'a> {
    /// Validates `text` as one JSON object nested at most `max_depth` levels, and collects its
    /// top-level members and its body's.
    pub fn parse(text: &'a str, max_depth: u32) -> Result<Self, JsonError> {
        let mut scanner = Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            max_depth,
            top: Vec::with_capacity(12),
            body: None,
            body_members: Vec::new(),
        };
        scanner.skip_ws();
        if scanner.peek() != Some(b'{') {
            // Distinguish "valid but not an object" from garbage, for a clearer report.
            scanner.value(0)?;
            scanner.skip_ws();
            return Err(if scanner.at_end() { JsonError::NotObject } else { JsonError::Syntax });
        }
        scanner.object(0, Role::Top)?;
        scanner.skip_ws();
        if !scanner.at_end() {
            return Err(JsonError::Syntax);
        }
        Ok(Object { members: scanner.top, body: scanner.body, body_members: scanner.body_members })
    }

    /// The value of the first member named `name`.
    pub fn get(&self, name: &str) -> Option<Raw<'a>> {
        self.members.iter().find(|m| m.is(name)).map(|m| m.value)
    }

    /// The members in wire order.
    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }

    /// The body (`data` or `payload` object), if there is one.
    pub fn body(&self) -> Option<Raw<'a>> {
        self.body
    }

    /// The value of member `name` of the body.
    pub fn body_get(&self, name: &str) -> Option<Raw<'a>> {
        self.body_members.iter().find(|m| m.is(name)).map(|m| m.value)
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

    /// Whether the value is an object.
    pub fn is_object(self) -> bool {
        self.0.starts_with('{')
    }

    /// The value's members, if it is an object. The document was validated as a whole, so
    /// this re-scan cannot fail on depth; it is still checked.
    pub fn as_object(self) -> Option<Object<'a>> {
        // Re-scanning a nested value of a validated document cannot exceed the original depth.
        if !self.is_object() {
            return None;
        }
        Object::parse(self.0, u32::MAX).ok()
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

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: u32,
    top: Vec<Member<'a>>,
    body: Option<Raw<'a>>,
    body_members: Vec<Member<'a>>,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    #[inline]
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        if self.bump() == Some(b) {
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize, end: usize) -> Result<&'a str, JsonError> {
        self.text.get(start..end).ok_or(JsonError::Syntax)
    }

    /// Scans one value; returns its text.
    fn value(&mut self, depth: u32) -> Result<Raw<'a>, JsonError> {
        let start = self.pos;
        match self.peek().ok_or(JsonError::Syntax)? {
            b'{' => self.object(depth, Role::Skip)?,
            b'[' => self.array(depth)?,
            b'"' => {
                self.string()?;
            }
            b't' => self.literal("true")?,
            b'f' => self.literal("false")?,
            b'n' => self.literal("null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(JsonError::Syntax),
        }
        Ok(Raw(self.slice(start, self.pos)?))
    }

    fn enter(&self, depth: u32) -> Result<u32, JsonError> {
        let next = depth + 1;
        if next > self.max_depth {
            Err(JsonError::TooDeep)
        } else {
            Ok(next)
        }
    }

    /// Scans an object, collecting its members as `role` says.
    fn object(&mut self, depth: u32, role: Role) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let (key, key_escaped) = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let is_body = role == Role::Top
                && self.body.is_none()
                && self.peek() == Some(b'{')
                && (key == "data" || key == "payload");
            let value = if is_body {
                let start = self.pos;
                self.object(depth, Role::Body)?;
                let raw = Raw(self.slice(start, self.pos)?);
                self.body = Some(raw);
                raw
            } else {
                self.value(depth)?
            };
            let member = Member { key, key_escaped, value };
            match role {
                Role::Top => self.top.push(member),
                Role::Body => {
                    if self.body_members.is_empty() {
                        self.body_members.reserve(12);
                    }
                    self.body_members.push(member);
                }
                Role::Skip => {}
            }
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn array(&mut self, depth: u32) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.expect(b'[')?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    /// Scans a string; returns its body (without quotes) and whether it holds escapes.
    fn string(&mut self) -> Result<(&'a str, bool), JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos += plain_prefix(self.bytes.get(self.pos..).unwrap_or_default());
            match self.bump().ok_or(JsonError::Syntax)? {
                b'"' => return Ok((self.slice(start, self.pos - 1)?, escaped)),
                b'\\' => {
                    escaped = true;
                    match self.bump().ok_or(JsonError::Syntax)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            for _ in 0..4 {
                                if !self.bump().is_some_and(|b| b.is_ascii_hexdigit()) {
                                    return Err(JsonError::Syntax);
                                }
                            }
                        }
                        _ => return Err(JsonError::Syntax),
                    }
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let end = self.pos + word.len();
        if self.text.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        Ok(())
    }
}

/// Length of the run of bytes at the start of `bytes` that need no attention inside a JSON
/// string: everything but a quote, a backslash or a control byte. Eight bytes a step (SWAR),
/// as string bodies are most of every frame.
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Flags (at least) every byte of `w` that is zero; may also flag bytes after a zero one.
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut done = 0;
    for chunk in bytes.chunks_exact(8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let quote = zero_bytes(w ^ (ONES * u64::from(b'"')));
        let backslash = zero_bytes(w ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20: subtracting 0x20 borrows into the high bit (ASCII bytes only).
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        if quote | backslash | control != 0 {
            break;
        }
        done += 8;
    }
    let rest = bytes.get(done..).unwrap_or_default();
    done + rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len())
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
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            // `rest % 10` is below 10, so the cast cannot truncate.
            *slot = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        out.push(char::from(*d));
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
        let data = o.get("data").and_then(Raw::as_object).unwrap();
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
    fn plain_prefix_stops_at_the_first_special_byte() {
        for len in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    bytes.extend_from_slice("é~\u{7f}".as_bytes());
                    if at < len {
                        bytes[at] = special;
                    }
                    let want = if at < len { at } else { bytes.len() };
                    assert_eq!(plain_prefix(&bytes), want, "len {len} special {special} at {at}");
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
