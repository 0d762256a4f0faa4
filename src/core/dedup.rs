//! The duplicate window for dialects without sequence numbers: content keys seen recently.

use alloc::collections::VecDeque;

use super::json::Object;
use super::keyset::KeySet;
use super::time::Instant;

/// The members that differ between retries of one event and so never make two frames
/// different: a retry wrapper re-stamps the time and counts its attempts (PROTOCOL.md).
pub(crate) const RETRY_FIELDS: [&[u8]; 6] =
    [b"timestamp", b"attempt", b"retry_count", b"recovered", b"server_id", b"correlation_id"];

fn is_retry_field(key: &[u8]) -> bool {
    RETRY_FIELDS.contains(&key)
}

/// The content key of an event: a 64-bit hash over its top-level members in wire order, and
/// over the body's members in place of the body's text, leaving out the [`RETRY_FIELDS`] at
/// both levels. It runs on every frame: see [`Fold`].
pub(crate) fn content_key(object: &Object<'_>) -> u64 {
    let mut hash = Fold::new();
    for slot in object.top_slots() {
        if is_retry_field(object.key(slot)) {
            continue;
        }
        if object.is_body(slot) {
            hash.member(object.raw_key(slot), b"{");
            let mut members = 0;
            for member in object.body_slots() {
                if !is_retry_field(object.key(member)) {
                    hash.member(object.raw_key(member), object.value_bytes(member));
                    members += 1;
                }
            }
            // So that a body's members do not read as top-level ones.
            hash.push(members);
        } else {
            hash.member(object.raw_key(slot), object.value_bytes(slot));
        }
    }
    hash.finish()
}

/// A 64-bit hash of `bytes` (the same mixing as [`content_key`]).
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash = Fold::new();
    hash.words(bytes);
    hash.push(bytes.len() as u64);
    hash.finish()
}

/// FxHash's mixing, eight bytes a word, dealt round-robin to four lanes: each lane is a chain
/// of dependent multiplications, and four chains overlap where one would wait.
struct Fold {
    /// The lanes, the one the next word goes to first.
    lanes: [u64; 4],
}

impl Fold {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn new() -> Self {
        Fold { lanes: [0, 1, 2, 3] }
    }

    fn mix(lane: u64, w: u64) -> u64 {
        (lane.rotate_left(5) ^ w).wrapping_mul(Self::K)
    }

    /// Mixes one word into the next lane.
    #[inline(always)]
    fn push(&mut self, w: u64) {
        let [a, b, c, d] = self.lanes;
        self.lanes = [b, c, d, Self::mix(a, w)];
    }

    /// Mixes one member in: its key and value, and their lengths, so that member and field
    /// boundaries count.
    fn member(&mut self, key: &[u8], value: &[u8]) {
        self.words(key);
        self.words(value);
        self.push(key.len() as u64);
        self.push(value.len() as u64);
    }

    /// Mixes `bytes` in, eight at a time; a short tail is zero-padded, a longer one is the
    /// last eight bytes.
    fn words(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.push(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let tail = match bytes.len().checked_sub(8).and_then(|from| bytes.get(from..)) {
                Some(last) => u64::from_le_bytes(last.try_into().unwrap_or_default()),
                None => padded(rest),
            };
            self.push(tail);
        }
    }

    fn finish(&self) -> u64 {
        self.lanes.iter().fold(0, |h, &lane| Self::mix(h, lane))
    }
}

/// `bytes` (at most eight) as a little-endian word, zero-padded: from two overlapping loads,
/// not byte by byte (most keys and many values are this short).
fn padded(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let at = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0)) << (8 * i);
    let half = |from: usize| {
        let four = bytes.get(from..from + 4).and_then(|b| b.try_into().ok()).unwrap_or_default();
        u64::from(u32::from_le_bytes(four)) << (8 * from)
    };
    match n {
        0 => 0,
        1..=3 => at(0) | at(n / 2) | at(n - 1),
        _ => half(0) | half(n.saturating_sub(4)),
    }
}

/// Content keys seen within the last `max_age_ms`, at most `cap` of them. A key that falls out
/// of the window by count (not age) is counted in `evicted`: a duplicate of it would go unseen.
pub(crate) struct DedupWindow {
    order: VecDeque<(u64, Instant)>,
    keys: KeySet,
    cap: usize,
    max_age_ms: u64,
    pub(crate) evicted: u64,
}

impl DedupWindow {
    pub(crate) fn new(cap: usize, max_age_ms: u64) -> Self {
        DedupWindow { order: VecDeque::with_capacity(cap.min(4096)), keys: KeySet::new(), cap, max_age_ms, evicted: 0 }
    }

    /// What the window holds, in bytes (see `budget`).
    pub(crate) fn bytes(&self) -> usize {
        super::budget::dedup(self.order.len())
    }

    /// Records `key` at `now`; returns true if it was already in the window.
    pub(crate) fn seen(&mut self, now: Instant, key: u64) -> bool {
        let key = key.max(1); // 0 marks an empty slot
        while let Some(&(old, at)) = self.order.front() {
            if now.since(at) < self.max_age_ms {
                break;
            }
            self.keys.remove(old);
            self.order.pop_front();
        }
        if self.keys.contains(key) {
            return true;
        }
        if self.order.len() >= self.cap {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(old);
                self.evicted += 1;
            }
        }
        self.keys.insert(key);
        self.order.push_back((key, now));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> u64 {
        content_key(&Object::parse(text, 32).unwrap())
    }

    #[test]
    fn retries_share_a_key_and_distinct_events_do_not() {
        let a = key(r#"{"type":"tool_completed","data":{"tool":"q"},"timestamp":1.5,"attempt":null}"#);
        let b = key(r#"{"type":"tool_completed","data":{"tool":"q"},"timestamp":1.5,"attempt":2}"#);
        let restamped = key(r#"{"type":"tool_completed","data":{"tool":"q","attempt":3},"timestamp":1.6}"#);
        let other = key(r#"{"type":"tool_completed","data":{"tool":"r"},"timestamp":1.5,"attempt":null}"#);
        let moved = key(r#"{"type":"tool_completed","tool":"q","data":{},"timestamp":1.5}"#);
        assert_eq!(a, b);
        assert_eq!(a, restamped);
        assert_ne!(a, other);
        assert_ne!(a, moved);
    }

    #[test]
    fn padded_words_match_byte_by_byte() {
        let bytes = [0x11u8, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
        for n in 0..=8 {
            let slow = bytes[..n].iter().rev().fold(0, |w, &b| w << 8 | u64::from(b));
            assert_eq!(padded(&bytes[..n]), slow, "{n} bytes");
        }
    }

    #[test]
    fn window_forgets_by_age_and_by_count() {
        let mut w = DedupWindow::new(2, 1_000);
        let t = Instant::from_millis;
        assert!(!w.seen(t(0), 1));
        assert!(w.seen(t(999), 1));
        assert!(!w.seen(t(1_000), 1), "aged out");
        assert!(!w.seen(t(1_001), 2));
        assert!(!w.seen(t(1_002), 3));
        assert_eq!(w.evicted, 1);
        assert_eq!(w.order.len(), 2);
        assert!(!w.seen(t(1_003), 1), "evicted by count");
    }
}
