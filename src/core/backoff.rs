//! Reconnect delays: exponential backoff with full jitter, from a seeded generator.

use core::num::NonZeroU64;

use super::config::Reconnect;

/// SplitMix64: small, fast and good enough for jitter. Seeded by the caller, so a test can
/// replay any schedule.
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The delay before reconnect attempt `attempt` (1-based): uniform between the minimum
    /// and a ceiling that doubles with every attempt up to the maximum.
    pub(crate) fn delay_ms(&mut self, policy: &Reconnect, attempt: u32) -> u64 {
        let doublings = attempt.saturating_sub(1).min(63);
        let ceiling =
            policy.min_delay_ms.saturating_mul(1u64 << doublings).min(policy.max_delay_ms).max(policy.min_delay_ms);
        let span = ceiling - policy.min_delay_ms;
        // `span + 1` values; when that wraps to zero every `u64` is one of them.
        let random = self.next_u64();
        policy.min_delay_ms + NonZeroU64::new(span.wrapping_add(1)).map_or(random, |values| random % values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_doubling_ceiling() {
        let policy = Reconnect { min_delay_ms: 100, max_delay_ms: 1_000, max_attempts: 50 };
        let mut jitter = Jitter::new(7);
        for attempt in 1..50 {
            let ceiling = (100u64 << (attempt - 1).min(20)).min(1_000);
            for _ in 0..50 {
                let d = jitter.delay_ms(&policy, attempt);
                assert!((100..=ceiling).contains(&d), "attempt {attempt}: {d}");
            }
        }
        let same = |seed| (1..10).map(|a| Jitter::new(seed).delay_ms(&policy, a)).collect::<Vec<_>>();
        assert_eq!(same(3), same(3));
    }
}
