//! A counted set of 64-bit keys that are already hashes, for lookups that must not scan.

use alloc::vec;
use alloc::vec::Vec;

/// A multiset of non-zero 64-bit keys that are already hashes: open addressing with linear
/// probing and backward-shift deletion, at most a quarter full (it doubles as keys come). A key
/// inserted twice must be removed twice.
pub(crate) struct KeySet {
    /// Key and count; key 0 marks an empty slot. The length is a power of two.
    slots: Vec<(u64, u32)>,
    /// Distinct keys held.
    len: usize,
    mask: usize,
    /// A key's home slot is its top bits: multiplicative hashes mix those best.
    shift: u32,
}

impl KeySet {
    pub(crate) fn new() -> Self {
        Self::with_slots(8)
    }

    fn with_slots(size: usize) -> Self {
        KeySet { slots: vec![(0, 0); size], len: 0, mask: size - 1, shift: 64 - size.trailing_zeros() }
    }

    fn home(&self, key: u64) -> usize {
        key.checked_shr(self.shift).unwrap_or(0) as usize & self.mask
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn probe(&self, key: u64) -> usize {
        // The table is never full.
        let mut at = self.home(key);
        while let Some(&(slot, _)) = self.slots.get(at) {
            if slot == key || slot == 0 {
                break;
            }
            at = (at + 1) & self.mask;
        }
        at
    }

    pub(crate) fn contains(&self, key: u64) -> bool {
        self.slots.get(self.probe(key)).is_some_and(|&(slot, _)| slot == key)
    }

    pub(crate) fn insert(&mut self, key: u64) {
        let mut at = self.probe(key);
        if self.slots.get(at).is_some_and(|&(slot, _)| slot == 0) {
            if (self.len + 1) * 4 > self.slots.len() {
                self.grow();
                at = self.probe(key);
            }
            self.len += 1;
        }
        if let Some((slot, count)) = self.slots.get_mut(at) {
            *slot = key;
            *count = count.saturating_add(1);
        }
    }

    /// Doubles the table.
    fn grow(&mut self) {
        let old = core::mem::replace(self, Self::with_slots(self.slots.len() * 2));
        self.len = old.len;
        for entry in old.slots.into_iter().filter(|&(key, _)| key != 0) {
            let at = self.probe(entry.0);
            if let Some(slot) = self.slots.get_mut(at) {
                *slot = entry;
            }
        }
    }

    pub(crate) fn remove(&mut self, key: u64) {
        let mut hole = self.probe(key);
        match self.slots.get_mut(hole) {
            Some((slot, count)) if *slot == key => {
                *count -= 1;
                if *count > 0 {
                    return;
                }
                self.len -= 1;
            }
            _ => return,
        }
        // Shift later members of the probe run back so none is cut off from its home slot.
        let mut at = hole;
        loop {
            at = (at + 1) & self.mask;
            let Some(&next) = self.slots.get(at) else { break };
            if next.0 == 0 {
                break;
            }
            let home = self.home(next.0);
            let displaced_past_hole = if hole <= at { home <= hole || home > at } else { home <= hole && home > at };
            if displaced_past_hole {
                if let Some(slot) = self.slots.get_mut(hole) {
                    *slot = next;
                }
                hole = at;
            }
        }
        if let Some(slot) = self.slots.get_mut(hole) {
            *slot = (0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_colliding_inserts_removals_and_growth() {
        let mut set = KeySet::new();
        let mut model = std::collections::BTreeMap::<u64, u32>::new();
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct keys, many sharing a home slot.
            let key = ((x % 12) << 20 | (x % 3)) + 1;
            if x % 3 == 0 || model.len() >= 24 {
                set.remove(key);
                if let Some(n) = model.get_mut(&key) {
                    *n -= 1;
                    if *n == 0 {
                        model.remove(&key);
                    }
                }
            } else {
                set.insert(key);
                *model.entry(key).or_default() += 1;
            }
            for hi in 0..12u64 {
                for lo in 0..3u64 {
                    let k = (hi << 20 | lo) + 1;
                    assert_eq!(set.contains(k), model.contains_key(&k), "key {k}");
                }
            }
        }
    }
}
