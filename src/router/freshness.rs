//! `Freshness`: how long after the primary acknowledged a commit the published `ClusterView`
//! first showed each backend had applied it, one [`Histogram`] per backend (same indexes as
//! `Cluster::backends`), plus how many commits were given up on (never seen applied within the
//! monitor's horizon, or pushed out of its bounded list). Written by the monitor, read by
//! `SHOW SLUICE STATUS`.
//!
//! It owns the numbers only; it must not match commits against positions (the monitor's
//! `freshness` tracker does) or decide routing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::Histogram;

/// Per-backend freshness samples.
pub struct Freshness {
    backends: Box<[Histogram]>,
    given_up: AtomicU64,
}

impl Freshness {
    /// Histograms for `backends` backends.
    pub fn new(backends: usize) -> Self {
        Self {
            backends: (0..backends).map(|_| Histogram::default()).collect(),
            given_up: AtomicU64::new(0),
        }
    }

    /// Records that backend `i` was first seen to have applied a commit `d` after its ack.
    pub fn record(&self, i: usize, d: Duration) {
        if let Some(h) = self.backends.get(i) {
            h.record(d);
        }
    }

    /// Backend `i`'s samples, if it exists.
    pub fn backend(&self, i: usize) -> Option<&Histogram> {
        self.backends.get(i)
    }

    /// Counts `n` commits the monitor stopped tracking before every replica was seen to apply them.
    pub fn give_up(&self, n: u64) {
        self.given_up.fetch_add(n, Ordering::Relaxed);
    }

    pub fn given_up(&self) -> u64 {
        self.given_up.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_go_to_their_backend() {
        let f = Freshness::new(2);
        f.record(1, Duration::from_micros(300));
        f.record(5, Duration::from_micros(300)); // no such backend: ignored
        f.give_up(2);
        assert_eq!(f.backend(0).map(Histogram::count), Some(0));
        assert_eq!(f.backend(1).map(Histogram::count), Some(1));
        assert_eq!(f.backend(1).map(|h| h.quantile_us(0.5)), Some(300));
        assert!(f.backend(2).is_none());
        assert_eq!(f.given_up(), 2);
    }
}
