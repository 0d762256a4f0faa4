//! The duplicate window for dialects without sequence numbers: content keys seen recently.

use std::collections::VecDeque;

use super::json::Object;
use super::time::Instant;

/// The content key of an event: a 64-bit hash over its top-level members in wire order, except
/// the fields that differ between retries of the same event (`attempt`, `recovered`,
/// `server_id`, `correlation_id`, `retry_count`). Eight bytes a step (FxHash's mixing), as it
/// runs on every frame.
pub(crate) fn content_key(object: &Object<'_>) -> u64 {
    let mut hash = Fold(0);
    for slot in object.top_slots() {
        if matches!(&*object.key(slot), b"attempt" | b"recovered" | b"server_id" | b"correlation_id" | b"retry_count") {
            continue;
        }
        hash.feed(object.raw_key(slot));
        hash.feed(object.value_bytes(slot));
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

    /// Feeds `bytes` and its length (so that field boundaries count). Long inputs go 32 bytes
    /// a step into four independent lanes, so that the multiplications overlap.
    fn feed(&mut self, bytes: &[u8]) {
        let mut blocks = bytes.chunks_exact(32);
        if bytes.len() >= 32 {
            let mut lanes = [Fold(self.0), Fold(1), Fold(2), Fold(3)];
            for block in &mut blocks {
                for (lane, chunk) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                    lane.word(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
                }
            }
            for lane in lanes {
                self.word(lane.0);
            }
        }
        let mut chunks = blocks.remainder().chunks_exact(8);
        for chunk in &mut chunks {
            self.word(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        for (slot, b) in tail.iter_mut().zip(chunks.remainder()) {
            *slot = *b;
        }
        self.word(u64::from_le_bytes(tail));
        self.word(bytes.len() as u64);
    }
}

/// A set of non-zero 64-bit keys that are already hashes: open addressing with linear probing
/// and backward-shift deletion, sized once for `cap` keys at most half full.
struct KeySet {
    slots: Vec<u64>,
    mask: usize,
}

impl KeySet {
    fn new(cap: usize) -> Self {
        let size = cap.saturating_mul(2).max(8).next_power_of_two();
        KeySet { slots: vec![0; size], mask: size - 1 }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn probe(&self, key: u64) -> usize {
        // Keys are hashes: their low bits are already well mixed. The table is never full.
        let mut at = key as usize & self.mask;
        while let Some(&slot) = self.slots.get(at) {
            if slot == key || slot == 0 {
                break;
            }
            at = (at + 1) & self.mask;
        }
        at
    }

    fn contains(&self, key: u64) -> bool {
        self.slots.get(self.probe(key)) == Some(&key)
    }

    fn insert(&mut self, key: u64) {
        let at = self.probe(key);
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = key;
        }
    }

    fn remove(&mut self, key: u64) {
        let mut hole = self.probe(key);
        if self.slots.get(hole) != Some(&key) {
            return;
        }
        // Shift later members of the probe run back so none is cut off from its home slot.
        let mut at = hole;
        loop {
            at = (at + 1) & self.mask;
            let Some(&next) = self.slots.get(at) else { break };
            if next == 0 {
                break;
            }
            let home = next as usize & self.mask;
            let displaced_past_hole = if hole <= at { home <= hole || home > at } else { home <= hole && home > at };
            if displaced_past_hole {
                if let Some(slot) = self.slots.get_mut(hole) {
                    *slot = next;
                }
                hole = at;
            }
        }
        if let Some(slot) = self.slots.get_mut(hole) {
            *slot = 0;
        }
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
        DedupWindow {
            order: VecDeque::with_capacity(cap.min(4096)),
            keys: KeySet::new(cap),
            cap,
            max_age_ms,
            evicted: 0,
        }
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
        let c = key(r#"{"type":"tool_completed","data":{"tool":"q"},"timestamp":1.6,"attempt":null}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn key_set_survives_colliding_inserts_and_removals() {
        let mut set = KeySet::new(8);
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct keys, many sharing a home slot.
            let key = ((x % 12) << 20 | (x % 3)) + 1;
            if x % 3 == 0 || model.len() >= 8 {
                set.remove(key);
                model.remove(&key);
            } else {
                set.insert(key);
                model.insert(key);
            }
            for hi in 0..12u64 {
                for lo in 0..3u64 {
                    let k = (hi << 20 | lo) + 1;
                    assert_eq!(set.contains(k), model.contains(&k), "key {k}");
                }
            }
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
