//! Replication lag measured by sluice itself, below one second: a bounded history of the primary's
//! executed positions, each with the time the monitor first saw it. A replica that does not cover
//! some position the primary had at time T is at least `now - T` behind; its lag is measured from
//! the oldest such position, and is zero when it covers the newest.
//!
//! This file owns the history and that arithmetic only (pure, no clock of its own: callers pass
//! the instants). It must not poll, publish, or use `Seconds_Behind_Master`, which counts whole
//! seconds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::gtid::GtidSet;

/// Most positions kept. When full, every other older entry is dropped: the history keeps its time
/// span with a coarser step, so a long lag is never under-measured by more than one step.
pub const MAX_ENTRIES: usize = 4096;

/// The primary's positions over the recent past, oldest first.
#[derive(Debug)]
pub struct History {
    entries: VecDeque<(Instant, GtidSet)>,
    keep_for: Duration,
    max_entries: usize,
}

impl History {
    /// A history that forgets positions older than `keep_for` (the newest is always kept).
    pub fn new(keep_for: Duration) -> Self {
        Self::with_limit(keep_for, MAX_ENTRIES)
    }

    fn with_limit(keep_for: Duration, max_entries: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            keep_for,
            max_entries: max_entries.max(2),
        }
    }

    /// Records the primary's position `set`, read at `at`; a new entry only if it changed.
    pub fn observe(&mut self, at: Instant, set: &GtidSet) {
        match self.entries.back() {
            Some((_, newest)) if newest == set => {}
            // Positions only grow on one primary. One that does not contain the last (a new
            // primary, a reset binlog) makes the old ones meaningless: start over.
            Some((_, newest)) if !set.covers(newest) => {
                self.entries.clear();
                self.entries.push_back((at, set.clone()));
            }
            _ => self.entries.push_back((at, set.clone())),
        }
        self.trim(at);
    }

    /// The newest position seen, if any.
    pub fn newest(&self) -> Option<&GtidSet> {
        self.entries.back().map(|(_, s)| s)
    }

    /// How far behind a replica whose executed set is `replica` is at `now`: zero if it covers
    /// the newest position, else the age of the oldest position it does not cover. `None` with
    /// no primary position yet.
    pub fn lag(&self, replica: &GtidSet, now: Instant) -> Option<Duration> {
        if self.entries.is_empty() {
            return None;
        }
        // Covered positions form a prefix: each position contains the ones before it.
        let first_missing = self.entries.partition_point(|(_, s)| replica.covers(s));
        Some(match self.entries.get(first_missing) {
            None => Duration::ZERO,
            Some((seen, _)) => now.saturating_duration_since(*seen),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn trim(&mut self, now: Instant) {
        while self.entries.len() > 1 {
            match self.entries.front() {
                Some((seen, _)) if now.saturating_duration_since(*seen) > self.keep_for => {
                    self.entries.pop_front();
                }
                _ => break,
            }
        }
        if self.entries.len() > self.max_entries {
            // Keep the even-numbered entries (the oldest among them) and the newest.
            let last = self.entries.len() - 1;
            let mut i = 0;
            self.entries.retain(|_| {
                let keep = i % 2 == 0 || i == last;
                i += 1;
                keep
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;

    fn pos(seq: u64) -> GtidSet {
        GtidSet::parse(&format!("0-1-{seq}"), Flavor::MariaDb).expect("valid")
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn no_primary_data_means_unknown() {
        let h = History::new(ms(60_000));
        assert_eq!(h.lag(&pos(1), Instant::now()), None);
    }

    #[test]
    fn lag_is_the_age_of_the_oldest_position_not_covered() {
        let t0 = Instant::now();
        let mut h = History::new(ms(60_000));
        h.observe(t0, &pos(10));
        h.observe(t0 + ms(100), &pos(10)); // unchanged: no new entry
        h.observe(t0 + ms(200), &pos(12));
        h.observe(t0 + ms(300), &pos(15));
        assert_eq!(h.len(), 3);
        let now = t0 + ms(1000);
        assert_eq!(h.lag(&pos(15), now), Some(Duration::ZERO));
        assert_eq!(h.lag(&pos(16), now), Some(Duration::ZERO));
        assert_eq!(h.lag(&pos(14), now), Some(ms(700)));
        assert_eq!(h.lag(&pos(12), now), Some(ms(700)));
        assert_eq!(h.lag(&pos(11), now), Some(ms(800)));
        assert_eq!(h.lag(&pos(3), now), Some(ms(1000)));
        assert_eq!(h.newest(), Some(&pos(15)));
    }

    #[test]
    fn old_positions_are_forgotten_but_the_newest_is_kept() {
        let t0 = Instant::now();
        let mut h = History::new(ms(1000));
        h.observe(t0, &pos(1));
        h.observe(t0 + ms(500), &pos(2));
        h.observe(t0 + ms(1400), &pos(3));
        assert_eq!(h.len(), 2, "the position from t0 is older than 1s");
        // A replica behind everything kept is at least as old as the oldest kept entry.
        assert_eq!(h.lag(&pos(0), t0 + ms(1400)), Some(ms(900)));
        // An idle primary: the newest stays, however old.
        let mut idle = History::new(ms(1000));
        idle.observe(t0, &pos(7));
        idle.observe(t0 + ms(60_000), &pos(7));
        assert_eq!(idle.len(), 1);
        assert_eq!(idle.lag(&pos(6), t0 + ms(60_000)), Some(ms(60_000)));
    }

    #[test]
    fn a_full_history_thins_out_and_keeps_its_span() {
        let t0 = Instant::now();
        let mut h = History::with_limit(ms(1_000_000), 8);
        for i in 0..9u64 {
            h.observe(t0 + ms(i * 10), &pos(i + 1));
        }
        assert!(h.len() <= 8, "{}", h.len());
        let now = t0 + ms(100);
        // The oldest and the newest survive.
        assert_eq!(h.lag(&pos(0), now), Some(ms(100)));
        assert_eq!(h.lag(&pos(9), now), Some(Duration::ZERO));
        assert_eq!(h.lag(&pos(8), now), Some(ms(20)));
        for i in 9..5000u64 {
            h.observe(t0 + ms(i * 10), &pos(i + 1));
        }
        assert!(h.len() <= 8);
        assert_eq!(h.lag(&pos(0), t0 + ms(50_000)), Some(ms(50_000)));
    }

    #[test]
    fn a_position_that_goes_back_restarts_the_history() {
        let t0 = Instant::now();
        let mut h = History::new(ms(60_000));
        h.observe(t0, &pos(10));
        h.observe(t0 + ms(10), &pos(20));
        h.observe(t0 + ms(20), &pos(5));
        assert_eq!(h.len(), 1);
        assert_eq!(h.lag(&pos(5), t0 + ms(30)), Some(Duration::ZERO));
        assert_eq!(h.lag(&pos(4), t0 + ms(30)), Some(ms(10)));
    }

    #[test]
    fn mysql_sets_work_the_same() {
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let set = |t: &str| GtidSet::parse(t, Flavor::MySql).expect("valid");
        let t0 = Instant::now();
        let mut h = History::new(ms(60_000));
        h.observe(t0, &set(&format!("{a}:1-10")));
        h.observe(t0 + ms(50), &set(&format!("{a}:1-11")));
        let replica = set(&format!(
            "{a}:1-10,4c6f8f3a-71ca-11e1-9e33-c80aa9429562:1-3"
        ));
        assert_eq!(h.lag(&replica, t0 + ms(250)), Some(ms(200)));
    }
}
