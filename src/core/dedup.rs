//! The duplicate window for dialects without sequence numbers: content keys seen recently.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::json::Object;
use super::time::Instant;

/// Top-level fields that differ between retries of the same event, left out of the key.
const VOLATILE_FIELDS: [&str; 5] = ["attempt", "recovered", "server_id", "correlation_id", "retry_count"];

/// The content key of an event: a 64-bit hash over its top-level members in wire order, except
/// the [`VOLATILE_FIELDS`]. Eight bytes a step (FxHash's mixing), as it runs on every frame.
pub(crate) fn content_key(object: &Object<'_>) -> u64 {
    let mut hash = Fold(0);
    for member in object.members() {
        if VOLATILE_FIELDS.iter().any(|f| member.is(f)) {
            continue;
        }
        hash.feed(member.raw_key().as_bytes());
        hash.feed(member.value.0.as_bytes());
    }
    hash.0
}

/// A 64-bit hash of `bytes` (the same mixing as [`content_key`]).
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash = Fold(0);
    hash.feed(bytes);
    hash.0
}

struct Fold(u64);

impl Fold {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }

    /// Feeds `bytes` and its length (so that field boundaries count).
    fn feed(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
        let mut tail = [0u8; 8];
        for (slot, b) in tail.iter_mut().zip(chunks.remainder()) {
            *slot = *b;
        }
        self.word(u64::from_le_bytes(tail));
        self.word(bytes.len() as u64);
    }
}

/// Hashes a key that is already a hash: passes it through.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Content keys seen within the last `max_age_ms`, at most `cap` of them. A key that falls out
/// of the window by count (not age) is counted in `evicted`: a duplicate of it would go unseen.
pub(crate) struct DedupWindow {
    order: VecDeque<(u64, Instant)>,
    keys: HashSet<u64, BuildHasherDefault<KeyHasher>>,
    cap: usize,
    max_age_ms: u64,
    pub(crate) evicted: u64,
}

impl DedupWindow {
    pub(crate) fn new(cap: usize, max_age_ms: u64) -> Self {
        DedupWindow { order: VecDeque::new(), keys: HashSet::default(), cap, max_age_ms, evicted: 0 }
    }

    /// Records `key` at `now`; returns true if it was already in the window.
    pub(crate) fn seen(&mut self, now: Instant, key: u64) -> bool {
        while let Some(&(old, at)) = self.order.front() {
            if now.since(at) < self.max_age_ms {
                break;
            }
            self.keys.remove(&old);
            self.order.pop_front();
        }
        if self.keys.contains(&key) {
            return true;
        }
        if self.order.len() >= self.cap {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(&old);
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
        let c = key(r#"{"type":"tool_completed","data":{"tool":"q"},"timestamp":1.6,"attempt":null}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
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
