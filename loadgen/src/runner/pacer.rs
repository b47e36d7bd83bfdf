//! Open-loop scheduling: with `--rate N` every connection gets N/connections requests per second
//! at fixed intervals, the connections staggered by 1/N s so the whole run sends one request every
//! 1/N s. Latency is measured from the scheduled time, so a slow reply delays the following
//! requests without hiding their wait (coordinated omission corrected).
//!
//! When the duration ends before every scheduled request could be sent (the server fell behind),
//! the rest are not sent but counted ([`Pacer::due_before`]).
//!
//! It must not sleep or read the clock: it only computes instants from the start.

use std::time::{Duration, Instant};

/// The schedule of one connection.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    /// Offset of this connection's first request from the start, in ns.
    offset_ns: f64,
    /// Time between two requests of this connection, in ns.
    interval_ns: f64,
    /// How many requests were handed out.
    next: u64,
}

impl Pacer {
    /// The schedule of connection `index` of `connections` sharing `rate` requests/s.
    pub fn new(start: Instant, rate: f64, connections: usize, index: usize) -> Pacer {
        let gap_ns = 1e9 / rate;
        Pacer {
            start,
            offset_ns: gap_ns * index as f64,
            interval_ns: gap_ns * connections as f64,
            next: 0,
        }
    }

    /// When the next request is due.
    pub fn next_due(&mut self) -> Instant {
        let at = self.offset_ns + self.interval_ns * self.next as f64;
        self.next += 1;
        self.start + Duration::from_nanos(at as u64)
    }

    /// How many requests not yet handed out are due before `end`.
    pub fn due_before(&self, end: Instant) -> u64 {
        let end_ns = end.saturating_duration_since(self.start).as_nanos() as f64;
        let due = ((end_ns - self.offset_ns) / self.interval_ns)
            .ceil()
            .max(0.0) as u64;
        due.saturating_sub(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(pacer: &mut Pacer, start: Instant, n: usize) -> Vec<u128> {
        (0..n)
            .map(|_| pacer.next_due().duration_since(start).as_micros())
            .collect()
    }

    #[test]
    fn connections_are_staggered_at_fixed_intervals() {
        let start = Instant::now();
        let mut second = Pacer::new(start, 1000.0, 4, 1);
        assert_eq!(offsets(&mut second, start, 3), vec![1000, 5000, 9000]);
        let mut first = Pacer::new(start, 1000.0, 4, 0);
        assert_eq!(offsets(&mut first, start, 3), vec![0, 4000, 8000]);
    }

    #[test]
    fn all_connections_together_send_the_rate() {
        let start = Instant::now();
        let end = start + Duration::from_secs(2);
        let mut due = 0;
        for index in 0..3 {
            let mut pacer = Pacer::new(start, 500.0, 3, index);
            while pacer.next_due() < end {
                due += 1;
            }
        }
        assert_eq!(due, 1000);
    }

    #[test]
    fn requests_left_before_the_end() {
        let start = Instant::now();
        let end = start + Duration::from_millis(10);
        let mut pacer = Pacer::new(start, 1000.0, 2, 1);
        // due at 1, 3, 5, 7, 9 ms
        assert_eq!(pacer.due_before(end), 5);
        pacer.next_due();
        pacer.next_due();
        assert_eq!(pacer.due_before(end), 3);
        assert_eq!(pacer.due_before(start), 0);
    }

    #[test]
    fn fractional_rates() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, 0.5, 1, 0);
        assert_eq!(offsets(&mut pacer, start, 2), vec![0, 2_000_000]);
    }
}
