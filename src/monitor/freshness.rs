//! `Tracker`: the monitor's side of the freshness measurement. After each publish it takes the
//! commits sessions saw acknowledged since the last one (`LatestCommits::drain_recent`), and for
//! each replica records, the first time a published position covers a commit, the time from the
//! commit's ack to that publish into `router::Freshness`. A commit a replica already covered in
//! the previous view counts from that view's publish (zero if the ack came later).
//!
//! It owns the commits still waiting for some replica, bounded in number and age. It must not
//! poll, publish, or touch the sessions' ring beyond draining it. Only positions that changed
//! since the last publish are compared, so a stopped replica costs nothing per round.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::gtid::GtidSet;
use crate::router::{AckedCommit, Freshness, LatestCommits};

use super::view::BackendView;

/// Commits not applied everywhere after this long are given up on (that is lag, not freshness).
pub const HORIZON: Duration = Duration::from_secs(10);
/// Most commits tracked at once; the oldest are given up on beyond it.
pub const MAX_TRACKED: usize = 4096;
/// Backends beyond this index are not tracked (one bit each).
const MAX_BACKENDS: usize = 64;

/// A commit some replicas have not been seen to apply yet.
struct Tracked {
    commit: GtidSet,
    acked_at: Instant,
    /// Bit `i`: backend `i` has not covered it yet.
    missing: u64,
}

/// Matches acknowledged commits against published positions.
pub struct Tracker {
    /// The backends measured (replicas), as a bit mask.
    replicas: u64,
    tracked: VecDeque<Tracked>,
    /// Reused buffer for draining the sessions' ring.
    drained: VecDeque<AckedCommit>,
    /// Each backend's position in the previous published view, and when it was published.
    last: Vec<Option<GtidSet>>,
    last_published: Option<Instant>,
}

impl Tracker {
    /// A tracker for the backends flagged `true` (the replicas).
    pub fn new(replicas: &[bool]) -> Self {
        let mask = replicas
            .iter()
            .take(MAX_BACKENDS)
            .enumerate()
            .filter(|(_, r)| **r)
            .fold(0u64, |m, (i, _)| m | 1 << i);
        Self {
            replicas: mask,
            tracked: VecDeque::new(),
            drained: VecDeque::new(),
            last: vec![None; replicas.len().min(MAX_BACKENDS)],
            last_published: None,
        }
    }

    /// Called after each publish at `published_at` of a view with `backends`.
    pub fn observe(
        &mut self,
        latest: &LatestCommits,
        backends: &[BackendView],
        published_at: Instant,
        out: &Freshness,
    ) {
        let mut gave_up = latest.drain_recent(&mut self.drained);
        while let Some((commit, acked_at)) = self.drained.pop_front() {
            let mut missing = self.replicas;
            for i in bits(self.replicas) {
                if self.last[i].as_ref().is_some_and(|s| s.covers(&commit)) {
                    let seen = self.last_published.unwrap_or(published_at);
                    out.record(i, seen.saturating_duration_since(acked_at));
                    missing &= !(1 << i);
                }
            }
            if missing != 0 {
                self.tracked.push_back(Tracked {
                    commit,
                    acked_at,
                    missing,
                });
            }
        }
        let mut changed = 0u64;
        for i in bits(self.replicas) {
            let now = backends.get(i).and_then(|b| b.executed.as_ref());
            if now != self.last[i].as_ref() {
                changed |= 1 << i;
                self.last[i] = now.cloned();
            }
        }
        if changed != 0 {
            for t in &mut self.tracked {
                for i in bits(t.missing & changed) {
                    if self.last[i].as_ref().is_some_and(|s| s.covers(&t.commit)) {
                        out.record(i, published_at.saturating_duration_since(t.acked_at));
                        t.missing &= !(1 << i);
                    }
                }
            }
            self.tracked.retain(|t| t.missing != 0);
        }
        while let Some(t) = self.tracked.front() {
            let old = published_at.saturating_duration_since(t.acked_at) > HORIZON;
            if !old && self.tracked.len() <= MAX_TRACKED {
                break;
            }
            self.tracked.pop_front();
            gave_up += 1;
        }
        out.give_up(gave_up);
        self.last_published = Some(published_at);
    }

    /// How many commits wait for some replica.
    pub fn tracked(&self) -> usize {
        self.tracked.len()
    }
}

/// The indexes of the bits set in `mask`.
fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..MAX_BACKENDS).filter(move |i| mask & (1 << i) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;

    fn pos(seq: u64) -> GtidSet {
        GtidSet::parse(&format!("0-1-{seq}"), Flavor::MariaDb).expect("position")
    }

    fn view(positions: &[Option<u64>]) -> Vec<BackendView> {
        positions
            .iter()
            .map(|p| BackendView {
                executed: p.map(pos),
                reachable: true,
                ..Default::default()
            })
            .collect()
    }

    fn samples(f: &Freshness, i: usize) -> (u64, u64) {
        let h = f.backend(i).expect("backend");
        (h.count(), h.max_us())
    }

    #[test]
    fn each_replica_is_measured_once_per_commit_when_first_seen() {
        let latest = LatestCommits::default();
        let out = Freshness::new(3);
        let mut t = Tracker::new(&[false, true, true]);
        let t0 = Instant::now();
        t.observe(&latest, &view(&[Some(4), Some(4), Some(4)]), t0, &out);

        latest.merge(&pos(5));
        let ms = Duration::from_millis;
        // Replica 1 has it at the next publish, replica 2 two publishes later.
        let p1 = Instant::now() + ms(3);
        t.observe(&latest, &view(&[Some(5), Some(5), Some(4)]), p1, &out);
        assert_eq!(samples(&out, 1).0, 1);
        assert_eq!(samples(&out, 2).0, 0);
        assert_eq!(t.tracked(), 1);
        t.observe(
            &latest,
            &view(&[Some(5), Some(5), Some(4)]),
            p1 + ms(1),
            &out,
        );
        t.observe(
            &latest,
            &view(&[Some(6), Some(6), Some(6)]),
            p1 + ms(2),
            &out,
        );
        let (n, max) = samples(&out, 2);
        assert_eq!(n, 1);
        assert!(max >= 5000, "{max} µs");
        assert_eq!(samples(&out, 1).0, 1, "counted once");
        assert_eq!(samples(&out, 0).0, 0, "the primary is not measured");
        assert_eq!(t.tracked(), 0);
        assert_eq!(out.given_up(), 0);
    }

    #[test]
    fn a_commit_covered_by_the_previous_view_counts_from_its_publish() {
        let latest = LatestCommits::default();
        let out = Freshness::new(2);
        let mut t = Tracker::new(&[false, true]);
        let before = Instant::now();
        t.observe(&latest, &view(&[Some(9), Some(9)]), before, &out);
        // Acked after the publish that already showed it applied: zero.
        latest.merge(&pos(8));
        t.observe(&latest, &view(&[Some(9), Some(9)]), Instant::now(), &out);
        assert_eq!(samples(&out, 1), (1, 0));
    }

    #[test]
    fn stuck_replicas_give_commits_up_after_the_horizon() {
        let latest = LatestCommits::default();
        let out = Freshness::new(2);
        let mut t = Tracker::new(&[false, true]);
        let t0 = Instant::now();
        t.observe(&latest, &view(&[Some(1), Some(1)]), t0, &out);
        for n in 2..5 {
            latest.merge(&pos(n));
        }
        t.observe(&latest, &view(&[Some(4), Some(1)]), t0, &out);
        assert_eq!(t.tracked(), 3);
        t.observe(
            &latest,
            &view(&[Some(4), Some(1)]),
            t0 + HORIZON + HORIZON,
            &out,
        );
        assert_eq!(t.tracked(), 0);
        assert_eq!(out.given_up(), 3);
        assert_eq!(samples(&out, 1).0, 0);
    }
}
