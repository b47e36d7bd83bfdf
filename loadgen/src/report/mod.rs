//! The final report of a run: what was run, and the figures derived from the merged totals
//! (throughput, latency percentiles, errors, CPU per query, the checker's counts). Rendered as
//! text ([`text`]) or as one JSON object ([`json`]).
//!
//! It must not measure or print; `app` prints the rendered report on stdout.

pub mod json;
pub mod text;

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::cpu::CpuTime;
use crate::stats::Totals;

/// What was run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub workload: &'static str,
    pub protocol: &'static str,
    pub connections: usize,
    /// Worker threads the connections ran on.
    pub threads: usize,
    pub rate: Option<f64>,
    pub warmup: Duration,
}

/// The read-after-write checker's settings.
#[derive(Debug, Clone)]
pub struct CheckInfo {
    pub kind: &'static str,
    pub primary_port: Option<u16>,
    pub max_stale: Option<u64>,
}

/// A run's report.
#[derive(Debug)]
pub struct Report {
    pub run: RunInfo,
    pub check: Option<CheckInfo>,
    pub totals: Totals,
    pub measured: Duration,
    pub cpu: CpuTime,
}

/// Latency percentiles in µs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

impl Percentiles {
    /// The percentiles of `h` (all zero when it is empty).
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles {
                p50: 0,
                p90: 0,
                p99: 0,
                p999: 0,
                max: 0,
                mean: 0.0,
            };
        }
        Percentiles {
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

impl Report {
    fn per_second(&self, count: u64) -> f64 {
        let secs = self.measured.as_secs_f64();
        if secs > 0.0 {
            count as f64 / secs
        } else {
            0.0
        }
    }

    /// Successful events per second.
    pub fn throughput(&self) -> f64 {
        self.per_second(self.totals.events)
    }

    pub fn queries_per_second(&self) -> f64 {
        self.per_second(self.totals.queries)
    }

    pub fn cpu_us_per_query(&self) -> Option<f64> {
        self.cpu.per_query_us(self.totals.queries)
    }

    /// Reads answered by the primary and by other servers, when the primary's port is known.
    pub fn primary_and_replica_reads(&self) -> Option<(u64, u64)> {
        let primary = self.check.as_ref()?.primary_port?;
        let (mut on_primary, mut elsewhere) = (0, 0);
        for (port, count) in &self.totals.reads_by_port {
            if *port == primary {
                on_primary += count;
            } else {
                elsewhere += count;
            }
        }
        Some((on_primary, elsewhere))
    }

    /// Whether there were more stale reads than `--max-stale` allows.
    pub fn too_stale(&self) -> bool {
        let max = self.check.as_ref().and_then(|check| check.max_stale);
        max.is_some_and(|max| self.totals.stale_reads > max)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::histogram;

    pub fn sample() -> Report {
        let mut totals = Totals::default();
        for us in 1..=1000 {
            totals.latency.saturating_record(us);
            totals.read_latency.saturating_record(us);
        }
        totals.events = 1000;
        totals.queries = 2000;
        totals.errors.insert(1213, 2);
        totals.checked_reads = 1000;
        totals.stale_reads = 3;
        totals.reads_by_port.insert(3307, 400);
        totals.reads_by_port.insert(3308, 600);
        Report {
            run: RunInfo {
                workload: "read-after-write",
                protocol: "prepared",
                connections: 4,
                threads: 2,
                rate: None,
                warmup: Duration::ZERO,
            },
            check: Some(CheckInfo {
                kind: "session",
                primary_port: Some(3307),
                max_stale: Some(0),
            }),
            totals,
            measured: Duration::from_secs(2),
            cpu: CpuTime {
                user: Duration::from_millis(30),
                sys: Duration::from_millis(10),
            },
        }
    }

    #[test]
    fn derived_figures() {
        let report = sample();
        assert_eq!(report.throughput(), 500.0);
        assert_eq!(report.queries_per_second(), 1000.0);
        assert_eq!(report.cpu_us_per_query(), Some(20.0));
        assert_eq!(report.primary_and_replica_reads(), Some((400, 600)));
        assert!(report.too_stale());
        let p = Percentiles::of(&report.totals.latency);
        assert_eq!((p.p50, p.max), (500, 1000));
        assert_eq!(Percentiles::of(&histogram()).p99, 0);
    }
}
