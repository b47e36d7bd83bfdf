//! `Health`: whether a backend may be used, as all shards see it. A failed connect or a
//! connection lost outside a client's own error marks it down for a back-off period; reads skip
//! it until a probe (the pool's maintenance, or the first use after the back-off) succeeds.
//! Lock-free: two atomics. It must not do I/O.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// First back-off after a failure; doubled per consecutive failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

#[derive(Debug, Default)]
pub struct Health {
    /// 0: up. Otherwise the time (ms since the process epoch) before which reads skip it.
    down_until_ms: AtomicU64,
    consecutive_failures: AtomicU32,
}

impl Health {
    /// True when reads may be sent to it now (up, or its back-off has passed: worth a try).
    pub fn usable(&self) -> bool {
        let until = self.down_until_ms.load(Ordering::Relaxed);
        until == 0 || now_ms() >= until
    }

    /// True when it is marked down (even if its back-off has passed).
    pub fn is_down(&self) -> bool {
        self.down_until_ms.load(Ordering::Relaxed) != 0
    }

    pub fn mark_failed(&self) {
        let n = self
            .consecutive_failures
            .fetch_add(1, Ordering::Relaxed)
            .min(8);
        let backoff = (FIRST_BACKOFF * (1 << n)).min(MAX_BACKOFF);
        self.down_until_ms
            .store(now_ms() + backoff.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn mark_ok(&self) {
        if self.down_until_ms.load(Ordering::Relaxed) != 0 {
            self.down_until_ms.store(0, Ordering::Relaxed);
        }
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    pub fn state(&self) -> &'static str {
        if self.is_down() {
            "down"
        } else {
            "up"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_takes_it_out_until_ok() {
        let h = Health::default();
        assert!(h.usable() && !h.is_down());
        h.mark_failed();
        assert!(h.is_down());
        assert!(!h.usable(), "inside the back-off");
        assert_eq!(h.state(), "down");
        h.mark_ok();
        assert!(h.usable() && !h.is_down());
    }
}
