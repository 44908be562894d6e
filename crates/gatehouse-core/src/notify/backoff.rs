//! When a failed delivery is tried again: exponential backoff with "equal jitter" — the
//! n-th retry waits between half and all of `base * 2^n` (capped at `max`), so a provider
//! outage does not bring every queued message back in the same instant, yet no retry comes
//! sooner than half its step.

use rand::Rng;
use std::time::Duration;

/// The wait before retry number `retry` (0 for the first retry).
pub fn retry_delay(retry: u32, base: Duration, max: Duration, rng: &mut impl Rng) -> Duration {
    let step = base
        .checked_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max);
    let half = step / 2;
    let jitter_ms = rng.gen_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_millis(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn each_retry_waits_between_half_and_all_of_its_doubling_step() {
        let mut rng = StdRng::seed_from_u64(7);
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        for retry in 0..8u32 {
            let step = (base * 2u32.pow(retry)).min(max);
            for _ in 0..200 {
                let d = retry_delay(retry, base, max, &mut rng);
                assert!(
                    d >= step / 2 && d <= step,
                    "retry {retry}: {d:?} vs step {step:?}"
                );
            }
        }
    }

    #[test]
    fn the_wait_is_capped_and_does_not_overflow_on_large_counts() {
        let mut rng = StdRng::seed_from_u64(1);
        let max = Duration::from_secs(3600);
        let d = retry_delay(u32::MAX, Duration::from_secs(30), max, &mut rng);
        assert!(d <= max && d >= max / 2);
    }

    #[test]
    fn jitter_spreads_the_retries() {
        let mut rng = StdRng::seed_from_u64(3);
        let base = Duration::from_secs(30);
        let waits: std::collections::BTreeSet<_> = (0..50)
            .map(|_| retry_delay(2, base, Duration::from_secs(3600), &mut rng))
            .collect();
        assert!(
            waits.len() > 40,
            "50 draws gave only {} distinct waits",
            waits.len()
        );
    }
}
