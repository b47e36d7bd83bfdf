//! `ReadStats`: cluster-wide counters of the consistent read path, shared by all shards as
//! relaxed atomics: reads served by replicas and by the primary, reads that had to wait for a
//! replica to catch up and how long they waited (a [`Histogram`], so percentiles can be read
//! without locks), fallbacks to the primary by reason, and `global` probes asked for and skipped. Read by
//! `SHOW SLUICE STATUS`. It must not decide routing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::Histogram;
use super::FallbackReason;

/// Counters of the read path.
#[derive(Default)]
pub struct ReadStats {
    pub replica_reads: AtomicU64,
    pub primary_reads: AtomicU64,
    /// `global` reads that asked for a probe of the primary's position.
    pub probes: AtomicU64,
    /// `global` reads routed on a position a later commit through sluice proved, without waiting
    /// for a probe's answer.
    pub probes_skipped: AtomicU64,
    fallbacks: [AtomicU64; FallbackReason::ALL.len()],
    /// Reads that waited for a replica (whatever the outcome), by how long.
    waits: Histogram,
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
        self.waits.record(d);
    }

    /// How many reads waited.
    pub fn waits(&self) -> u64 {
        self.waits.count()
    }

    /// The waits' total (µs).
    pub fn wait_us_total(&self) -> u64 {
        self.waits.total_us()
    }

    /// The longest wait (µs).
    pub fn wait_us_max(&self) -> u64 {
        self.waits.max_us()
    }

    /// The wait (µs) at quantile `q` (0..=1), within 12.5 %; 0 when nothing waited.
    pub fn wait_quantile_us(&self, q: f64) -> u64 {
        self.waits.quantile_us(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(s.waits(), 1000);
        assert_eq!(s.wait_us_max(), 1000);
        assert_eq!(s.wait_us_total(), 500_500);
        s.fallback(FallbackReason::Timeout);
        assert_eq!(s.fallbacks(FallbackReason::Timeout), 1);
    }
}
