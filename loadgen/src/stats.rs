//! Per-connection statistics: what one connection's events add to the current second (for the live
//! line) and to the run's totals (for the final report), and how totals of connections merge.
//! Latencies are in µs in hdrhistogram histograms (1 µs .. 1 h, 3 significant digits; larger values
//! are clamped).
//!
//! It must not time, print or decide what is measured: the runner passes each event in, already
//! classified as measured (after the warmup) or not.

use std::collections::BTreeMap;
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::workload::Observation;

/// The largest latency recorded, in µs (larger ones are clamped to it).
pub const MAX_US: u64 = 3_600_000_000;

/// An empty latency histogram with loadgen's bounds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("1 µs .. 1 h at 3 digits is a valid range")
}

/// Adds `from` into `into` (both made by [`histogram`]).
pub fn merge(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    into.add(from)
        .expect("histograms made by histogram() share their bounds");
}

/// One finished event, as the runner saw it.
#[derive(Debug)]
pub struct Event<'a> {
    /// Whether it counts in the totals (it was scheduled after the warmup).
    pub measured: bool,
    /// From its scheduled (open loop) or actual (closed loop) start to its end.
    pub latency_us: u64,
    /// Statements it sent.
    pub queries: u64,
    /// The MySQL error code it failed with, if it failed.
    pub error: Option<u16>,
    pub seen: &'a Observation,
    pub done: Instant,
}

/// What one connection did in the current second.
#[derive(Debug, Clone)]
pub struct Interval {
    pub latency: Histogram<u64>,
    pub events: u64,
    pub errors: u64,
    pub stale: u64,
}

impl Default for Interval {
    fn default() -> Self {
        Interval {
            latency: histogram(),
            events: 0,
            errors: 0,
            stale: 0,
        }
    }
}

impl Interval {
    /// Adds `other` into `self`.
    pub fn absorb(&mut self, other: &Interval) {
        merge(&mut self.latency, &other.latency);
        self.events += other.events;
        self.errors += other.errors;
        self.stale += other.stale;
    }

    pub fn clear(&mut self) {
        self.latency.reset();
        self.events = 0;
        self.errors = 0;
        self.stale = 0;
    }
}

/// What connections did over the measured part of the run.
#[derive(Debug, Clone)]
pub struct Totals {
    /// Latency of successful events.
    pub latency: Histogram<u64>,
    /// Latency of checked reads alone.
    pub read_latency: Histogram<u64>,
    /// Latency of the checker's writes alone.
    pub write_latency: Histogram<u64>,
    /// Successful events.
    pub events: u64,
    /// Statements sent (by successful and failed events).
    pub queries: u64,
    /// Failures by MySQL error code (events that failed, reconnects that failed).
    pub errors: BTreeMap<u16, u64>,
    pub checked_reads: u64,
    pub stale_reads: u64,
    /// Checked reads that found no row (also counted as stale; their server is unknown).
    pub missing_rows: u64,
    /// Checked reads that found their row, by the `@@port` of the server that answered.
    pub reads_by_port: BTreeMap<u16, u64>,
    /// Open loop: requests scheduled before the end but not sent because the run was over.
    pub unsent: u64,
    /// When the last measured event ended.
    pub finished: Option<Instant>,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            latency: histogram(),
            read_latency: histogram(),
            write_latency: histogram(),
            events: 0,
            queries: 0,
            errors: BTreeMap::new(),
            checked_reads: 0,
            stale_reads: 0,
            missing_rows: 0,
            reads_by_port: BTreeMap::new(),
            unsent: 0,
            finished: None,
        }
    }
}

impl Totals {
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds `other` into `self`.
    pub fn absorb(&mut self, other: &Totals) {
        merge(&mut self.latency, &other.latency);
        merge(&mut self.read_latency, &other.read_latency);
        merge(&mut self.write_latency, &other.write_latency);
        self.events += other.events;
        self.queries += other.queries;
        for (code, count) in &other.errors {
            *self.errors.entry(*code).or_default() += count;
        }
        self.checked_reads += other.checked_reads;
        self.stale_reads += other.stale_reads;
        self.missing_rows += other.missing_rows;
        for (port, count) in &other.reads_by_port {
            *self.reads_by_port.entry(*port).or_default() += count;
        }
        self.unsent += other.unsent;
        self.finished = self.finished.max(other.finished);
    }
}

/// One connection's statistics, shared (behind a mutex) between its worker, which records, and
/// the live reporter, which drains the interval once a second.
#[derive(Debug, Clone, Default)]
pub struct ConnStats {
    pub interval: Interval,
    pub total: Totals,
}

impl ConnStats {
    pub fn record(&mut self, event: &Event<'_>) {
        let stale = event.seen.read.as_ref().is_some_and(|read| read.stale());
        match event.error {
            Some(_) => self.interval.errors += 1,
            None => {
                self.interval.events += 1;
                self.interval
                    .latency
                    .saturating_record(event.latency_us.max(1));
            }
        }
        self.interval.stale += u64::from(stale);
        if !event.measured {
            return;
        }
        let total = &mut self.total;
        total.queries += event.queries;
        total.finished = Some(event.done);
        match event.error {
            Some(code) => *total.errors.entry(code).or_default() += 1,
            None => {
                total.events += 1;
                total.latency.saturating_record(event.latency_us.max(1));
            }
        }
        if let Some(write_us) = event.seen.write_us {
            total.write_latency.saturating_record(write_us.max(1));
        }
        if let Some(read) = &event.seen.read {
            total.checked_reads += 1;
            total.read_latency.saturating_record(read.latency_us.max(1));
            if stale {
                total.stale_reads += 1;
            }
            if read.got.is_some() {
                *total.reads_by_port.entry(read.port).or_default() += 1;
            } else {
                total.missing_rows += 1;
            }
        }
    }

    /// Counts a failure that is not an event (a failed reconnect).
    pub fn record_error(&mut self, code: u16, measured: bool) {
        self.interval.errors += 1;
        if measured {
            *self.total.errors.entry(code).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::CheckedRead;

    fn event(seen: &Observation, measured: bool, error: Option<u16>) -> Event<'_> {
        Event {
            measured,
            latency_us: 100,
            queries: 2,
            error,
            seen,
            done: Instant::now(),
        }
    }

    fn read(got: Option<i64>, port: u16) -> Observation {
        Observation {
            read: Some(CheckedRead {
                row: 1,
                expected: 5,
                got,
                port,
                latency_us: 40,
            }),
            write_us: Some(60),
        }
    }

    #[test]
    fn warmup_events_reach_the_live_line_but_not_the_totals() {
        let mut stats = ConnStats::default();
        let seen = Observation::default();
        stats.record(&event(&seen, false, None));
        stats.record(&event(&seen, true, None));
        stats.record(&event(&seen, true, Some(1213)));
        assert_eq!(stats.interval.events, 2);
        assert_eq!(stats.interval.errors, 1);
        assert_eq!(stats.total.events, 1);
        assert_eq!(stats.total.queries, 4);
        assert_eq!(stats.total.errors.get(&1213), Some(&1));
        assert_eq!(stats.total.latency.len(), 1);
    }

    #[test]
    fn checked_reads_count_stale_missing_and_ports() {
        let mut stats = ConnStats::default();
        stats.record(&event(&read(Some(5), 3308), true, None));
        stats.record(&event(&read(Some(4), 3309), true, None));
        stats.record(&event(&read(None, 0), true, None));
        let total = &stats.total;
        assert_eq!(total.checked_reads, 3);
        assert_eq!(total.stale_reads, 2);
        assert_eq!(total.missing_rows, 1);
        assert_eq!(total.reads_by_port.get(&3308), Some(&1));
        assert_eq!(total.reads_by_port.get(&3309), Some(&1));
        assert_eq!(total.read_latency.len(), 3);
        assert_eq!(total.write_latency.len(), 3);
        assert_eq!(stats.interval.stale, 2);
    }

    #[test]
    fn totals_merge() {
        let mut a = ConnStats::default();
        let mut b = ConnStats::default();
        a.record(&event(&read(Some(5), 3308), true, None));
        b.record(&event(&read(Some(5), 3308), true, Some(2013)));
        b.record_error(2003, true);
        let mut all = Totals::default();
        all.absorb(&a.total);
        all.absorb(&b.total);
        assert_eq!(all.events, 1);
        assert_eq!(all.errors_total(), 2);
        assert_eq!(all.reads_by_port.get(&3308), Some(&2));
        assert_eq!(all.latency.len(), 1);
    }
}
