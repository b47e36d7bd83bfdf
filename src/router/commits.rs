//! `LatestCommits`: the newest commit position sluice has seen acknowledged by the primary,
//! merged over every session of every shard (each session's commit GTIDs, from the primary's OK
//! packets). Lock-free: readers take one atomic load; a commit merges with a compare-and-swap
//! loop (`ArcSwap::rcu`), and only when the position is not already covered.
//!
//! It also keeps the most recent acknowledged commits with the instant of their ack, in a bounded
//! ring the monitor drains to measure freshness (how soon each replica is seen to apply them).
//! The ring's lock is held only to move one entry in or to swap the ring out; the read path never
//! touches it.
//!
//! It must not decide routing: the router asks it what is known to be committed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use arc_swap::ArcSwapOption;

use crate::gtid::GtidSet;

/// Most acknowledged commits kept for the monitor between two drains; older ones are dropped.
pub const RECENT_CAPACITY: usize = 1024;

/// One acknowledged commit: its GTIDs and when sluice saw the primary's OK.
pub type AckedCommit = (GtidSet, Instant);

/// The cluster-wide latest commit position seen through sluice.
pub struct LatestCommits {
    set: ArcSwapOption<GtidSet>,
    recent: Mutex<Recent>,
}

/// The ring of recent commits, and how many fell out of it since the last drain.
struct Recent {
    entries: VecDeque<AckedCommit>,
    dropped: u64,
}

impl Default for LatestCommits {
    fn default() -> Self {
        Self {
            set: ArcSwapOption::default(),
            recent: Mutex::new(Recent {
                entries: VecDeque::with_capacity(RECENT_CAPACITY),
                dropped: 0,
            }),
        }
    }
}

impl LatestCommits {
    /// Merges a commit position, acknowledged by the primary just now. Positions of another
    /// flavour than the one held replace it (the primary was swapped for a server of the other
    /// family).
    pub fn merge(&self, commit: &GtidSet) {
        self.remember(commit.clone(), Instant::now());
        if let Some(cur) = self.set.load().as_ref() {
            if cur.covers(commit) && cur.flavor() == commit.flavor() {
                return;
            }
        }
        self.set.rcu(|cur| {
            let mut next = match cur {
                Some(cur) if cur.flavor() == commit.flavor() => GtidSet::clone(cur),
                _ => GtidSet::empty(commit.flavor()),
            };
            // Same flavour by construction: merge cannot fail.
            let _ = next.merge(commit);
            Some(Arc::new(next))
        });
    }

    /// The position, if any commit was seen.
    pub fn get(&self) -> Option<Arc<GtidSet>> {
        self.set.load_full()
    }

    /// Appends to the ring of recent commits, dropping the oldest when it is full.
    fn remember(&self, commit: GtidSet, acked_at: Instant) {
        let evicted = {
            let mut recent = self.lock_recent();
            let evicted = if recent.entries.len() >= RECENT_CAPACITY {
                recent.dropped += 1;
                recent.entries.pop_front()
            } else {
                None
            };
            recent.entries.push_back((commit, acked_at));
            evicted
        };
        // Freed outside the lock.
        drop(evicted);
    }

    /// Monitor side: moves every recent commit (oldest first) into `out`, which must be empty
    /// (its allocation is reused as the next ring), and returns how many were dropped unseen
    /// since the last drain.
    pub fn drain_recent(&self, out: &mut VecDeque<AckedCommit>) -> u64 {
        out.clear();
        if out.capacity() < RECENT_CAPACITY {
            out.reserve(RECENT_CAPACITY);
        }
        let mut recent = self.lock_recent();
        std::mem::swap(&mut recent.entries, out);
        std::mem::take(&mut recent.dropped)
    }

    fn lock_recent(&self) -> MutexGuard<'_, Recent> {
        // Plain values: a panic elsewhere cannot leave the ring inconsistent.
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;

    #[test]
    fn merges_across_threads() {
        let latest = Arc::new(LatestCommits::default());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let latest = latest.clone();
                std::thread::spawn(move || {
                    for n in 1..=50u64 {
                        let g = format!("{t}-1-{n}");
                        let set = GtidSet::parse(&g, Flavor::MariaDb).expect("gtid");
                        latest.merge(&set);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let all = GtidSet::parse("0-1-50,1-1-50,2-1-50,3-1-50", Flavor::MariaDb).expect("set");
        assert!(latest.get().expect("some").covers(&all));
    }

    #[test]
    fn covered_commits_change_nothing() {
        let latest = LatestCommits::default();
        let a =
            GtidSet::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9", Flavor::MySql).expect("set");
        latest.merge(&a);
        let before = latest.get().expect("some");
        let b =
            GtidSet::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:5", Flavor::MySql).expect("set");
        latest.merge(&b);
        assert!(Arc::ptr_eq(&before, &latest.get().expect("some")));
    }

    #[test]
    fn recent_commits_are_drained_in_order_and_bounded() {
        let latest = LatestCommits::default();
        let gtid = |n: usize| GtidSet::parse(&format!("0-1-{n}"), Flavor::MariaDb).expect("gtid");
        let before = Instant::now();
        for n in 1..=3 {
            latest.merge(&gtid(n));
        }
        let mut out = VecDeque::new();
        assert_eq!(latest.drain_recent(&mut out), 0);
        let got: Vec<String> = out.iter().map(|(g, _)| g.to_string()).collect();
        assert_eq!(got, ["0-1-1", "0-1-2", "0-1-3"]);
        assert!(out.iter().all(|(_, at)| *at >= before));
        // Even a covered commit is an ack to measure.
        latest.merge(&gtid(2));
        out.clear();
        latest.drain_recent(&mut out);
        assert_eq!(out.len(), 1);

        for n in 0..RECENT_CAPACITY + 10 {
            latest.merge(&gtid(n + 10));
        }
        out.clear();
        assert_eq!(latest.drain_recent(&mut out), 10);
        assert_eq!(out.len(), RECENT_CAPACITY);
        assert_eq!(
            out.front().map(|(g, _)| g.to_string()),
            Some("0-1-20".into())
        );
        out.clear();
        assert_eq!(latest.drain_recent(&mut out), 0);
        assert!(out.is_empty());
    }
}
