//! `Histogram`: a lock-free log-linear histogram of microsecond values, shared by threads as
//! relaxed atomics. Values are exact below 8 and kept to within 1/8 (12.5 %) above, so
//! percentiles can be read at any time without a lock. Used for the read path's waits
//! (`ReadStats`) and the monitor's freshness samples (`Freshness`).
//!
//! It owns the buckets, the count, the sum and the maximum; it must not know what is measured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two: values are kept to within 1/8 (12.5 %).
const SUB: u32 = 8;
const SUB_BITS: u32 = SUB.trailing_zeros();
/// Buckets for every `u64` value.
const BUCKETS: usize = (64 * SUB) as usize;

/// Counts of microsecond values in log-linear buckets.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    total: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

/// The bucket of a value: exact below `SUB`, then `SUB` buckets per power of two.
fn bucket(v: u64) -> usize {
    if v < u64::from(SUB) {
        return v as usize;
    }
    let top = 63 - v.leading_zeros();
    let shift = top - SUB_BITS;
    let sub = (v >> shift) as u32 & (SUB - 1);
    ((shift + 1) * SUB + sub) as usize
}

/// The largest value in bucket `b`.
fn bucket_high(b: usize) -> u64 {
    let b = b as u32;
    if b < SUB {
        return u64::from(b);
    }
    let shift = b / SUB - 1;
    let sub = u64::from(b % SUB);
    let low = (u64::from(SUB) + sub) << shift;
    low + ((1u64 << shift) - 1)
}

impl Histogram {
    /// Records one value in microseconds.
    pub fn record_us(&self, us: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(us, Ordering::Relaxed);
        self.max.fetch_max(us, Ordering::Relaxed);
        self.buckets[bucket(us)].fetch_add(1, Ordering::Relaxed);
    }

    /// Records one duration (in whole microseconds, saturating).
    pub fn record(&self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The sum of all values (wrapping only after 584,000 years of microseconds).
    pub fn total_us(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The largest value recorded; 0 when none was.
    pub fn max_us(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// The value at quantile `q` (0..=1), within 12.5 % and never above the maximum; 0 when
    /// nothing was recorded.
    pub fn quantile_us(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_high(b).min(self.max_us());
            }
        }
        self.max_us()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..100_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last, "{v}");
            assert!(b < BUCKETS);
            assert!(bucket_high(b) >= v, "{v} in bucket {b}");
            assert!(bucket_high(b) - v <= v / 8 + 1, "{v}");
            last = b;
        }
    }

    #[test]
    fn quantiles_count_sum_and_max() {
        let h = Histogram::default();
        assert_eq!((h.quantile_us(0.5), h.count(), h.max_us()), (0, 0, 0));
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile_us(0.5);
        assert!((500..=570).contains(&p50), "{p50}");
        assert_eq!(h.quantile_us(1.0), 1000);
        assert_eq!(h.count(), 1000);
        assert_eq!(h.total_us(), 500_500);
        assert_eq!(h.max_us(), 1000);
        h.record(Duration::MAX);
        assert_eq!(h.max_us(), u64::MAX);
    }
}
