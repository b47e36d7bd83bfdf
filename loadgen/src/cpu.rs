//! The process's own CPU time (user and system, all threads), from getrusage(RUSAGE_SELF), to
//! report what loadgen itself costs per query.
//!
//! It must not measure anything but this process.

use std::time::Duration;

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;

/// CPU time used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    pub user: Duration,
    pub sys: Duration,
}

impl CpuTime {
    /// The process's CPU time now (zero if getrusage fails, which it does not on Linux).
    pub fn now() -> CpuTime {
        match getrusage(UsageWho::RUSAGE_SELF) {
            Ok(usage) => CpuTime {
                user: Duration::from_micros(usage.user_time().num_microseconds().max(0) as u64),
                sys: Duration::from_micros(usage.system_time().num_microseconds().max(0) as u64),
            },
            Err(_) => CpuTime::default(),
        }
    }

    /// The CPU time used since `earlier`.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            sys: self.sys.saturating_sub(earlier.sys),
        }
    }

    pub fn total(self) -> Duration {
        self.user + self.sys
    }

    /// µs of CPU per query (`None` without queries).
    pub fn per_query_us(self, queries: u64) -> Option<f64> {
        (queries > 0).then(|| self.total().as_secs_f64() * 1e6 / queries as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_and_divides() {
        let before = CpuTime::now();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert_ne!(x, 1);
        let used = CpuTime::now().since(before);
        assert!(used.total() > Duration::ZERO);
        let cpu = CpuTime {
            user: Duration::from_millis(3),
            sys: Duration::from_millis(1),
        };
        assert_eq!(cpu.per_query_us(1000), Some(4.0));
        assert_eq!(cpu.per_query_us(0), None);
    }
}
