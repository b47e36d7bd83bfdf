//! The live line: once a second, drain every connection's interval statistics and print elapsed
//! time, throughput, p50/p99 of that second, errors (and stale reads for the checker) on stderr.
//!
//! It must not touch the totals, and holds each connection's lock only to copy and clear.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::stats::{ConnStats, Interval};

/// The shortest interval worth a line.
const MIN_SPAN: Duration = Duration::from_millis(200);

/// Prints the live lines of one run.
pub struct Live {
    start: Instant,
    last: Instant,
    measure_from: Instant,
    show_stale: bool,
    sum: Interval,
}

impl Live {
    pub fn new(start: Instant, measure_from: Instant, show_stale: bool) -> Live {
        Live {
            start,
            last: start,
            measure_from,
            show_stale,
            sum: Interval::default(),
        }
    }

    /// Drains the connections' intervals and prints one line for the time since the last call
    /// (nothing if no event ended and no error happened in it, or if it is too short for a
    /// meaningful rate: the tail of the run).
    pub fn tick(&mut self, stats: &[Mutex<ConnStats>], now: Instant) {
        self.sum.clear();
        for conn in stats {
            if let Ok(mut conn) = conn.lock() {
                self.sum.absorb(&conn.interval);
                conn.interval.clear();
            }
        }
        let (from, span) = (self.last, now.duration_since(self.last));
        self.last = now;
        if (self.sum.events == 0 && self.sum.errors == 0) || span < MIN_SPAN {
            return;
        }
        eprintln!("{}", self.line(now, span, from < self.measure_from));
    }

    fn line(&self, now: Instant, span: Duration, warmup: bool) -> String {
        let elapsed = now.duration_since(self.start).as_secs_f64();
        let rate = self.sum.events as f64 / span.as_secs_f64().max(1e-9);
        let mut line = format!(
            "[{elapsed:5.1}s] {rate:9.1} ev/s  p50 {:>6} µs  p99 {:>7} µs  errors {}",
            self.sum.latency.value_at_quantile(0.5),
            self.sum.latency.value_at_quantile(0.99),
            self.sum.errors
        );
        if self.show_stale {
            line.push_str(&format!("  stale {}", self.sum.stale));
        }
        if warmup {
            line.push_str("  (warmup)");
        }
        line
    }
}
