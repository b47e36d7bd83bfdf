//! `ReadStats`: cluster-wide counters of the consistent read path, shared by all shards as
//! relaxed atomics: reads served by replicas and by the primary, reads that had to wait for a
//! replica to catch up and how long they waited (a log-linear histogram, so percentiles can be
//! read without locks), fallbacks to the primary by reason, and `global` probes. Read by
//! `SHOW SLUICE STATUS`. It must not decide routing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::FallbackReason;

/// Sub-buckets per power of two: values are kept to within 1/8 (12.5 %).
const SUB: u32 = 8;
const SUB_BITS: u32 = SUB.trailing_zeros();
/// Buckets for every `u64` microsecond value.
const BUCKETS: usize = (64 * SUB) as usize;

/// Counters of the read path.
pub struct ReadStats {
    pub replica_reads: AtomicU64,
    pub primary_reads: AtomicU64,
    /// Reads that waited for a replica (whatever the outcome).
    pub waits: AtomicU64,
    pub wait_us_total: AtomicU64,
    pub wait_us_max: AtomicU64,
    /// `global` reads that asked for a probe of the primary's position.
    pub probes: AtomicU64,
    fallbacks: [AtomicU64; FallbackReason::ALL.len()],
    wait_hist: Box<[AtomicU64]>,
}

impl Default for ReadStats {
    fn default() -> Self {
        Self {
            replica_reads: AtomicU64::new(0),
            primary_reads: AtomicU64::new(0),
            waits: AtomicU64::new(0),
            wait_us_total: AtomicU64::new(0),
            wait_us_max: AtomicU64::new(0),
            probes: AtomicU64::new(0),
            fallbacks: Default::default(),
            wait_hist: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
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

impl ReadStats {
    pub fn fallback(&self, reason: FallbackReason) {
        self.fallbacks[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn fallbacks(&self, reason: FallbackReason) -> u64 {
        self.fallbacks[reason.index()].load(Ordering::Relaxed)
    }

    /// Records one wait of `d`.
    pub fn waited(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.waits.fetch_add(1, Ordering::Relaxed);
        self.wait_us_total.fetch_add(us, Ordering::Relaxed);
        self.wait_us_max.fetch_max(us, Ordering::Relaxed);
        self.wait_hist[bucket(us)].fetch_add(1, Ordering::Relaxed);
    }

    /// The wait (µs) at quantile `q` (0..=1), within 12.5 %; 0 when nothing waited.
    pub fn wait_quantile_us(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self
            .wait_hist
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
                return bucket_high(b).min(self.wait_us_max.load(Ordering::Relaxed));
            }
        }
        self.wait_us_max.load(Ordering::Relaxed)
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
    fn quantiles_of_waits() {
        let s = ReadStats::default();
        assert_eq!(s.wait_quantile_us(0.5), 0);
        for us in 1..=1000u64 {
            s.waited(Duration::from_micros(us));
        }
        let p50 = s.wait_quantile_us(0.5);
        assert!((500..=570).contains(&p50), "{p50}");
        assert_eq!(s.wait_quantile_us(1.0), 1000);
        assert_eq!(s.waits.load(Ordering::Relaxed), 1000);
        s.fallback(FallbackReason::Timeout);
        assert_eq!(s.fallbacks(FallbackReason::Timeout), 1);
    }
}
