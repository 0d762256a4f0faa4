//! A tiny deterministic generator (SplitMix64): the same seed gives the same runs.

/// SplitMix64 state.
pub struct Rng(u64);

impl Rng {
    /// A generator for `stream` (e.g. a run number) under `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        match (hi.saturating_sub(lo)).checked_add(1) {
            Some(span) if hi >= lo => lo + self.next_u64() % span,
            _ => lo,
        }
    }

    /// One of `items` (`""` when empty).
    pub fn pick(&mut self, items: &[&'static str]) -> &'static str {
        let len = items.len() as u64;
        let index = self.range(0, len.saturating_sub(1));
        usize::try_from(index).ok().and_then(|i| items.get(i)).copied().unwrap_or("")
    }
}
