//! `LatestCommits`: the newest commit position sluice has seen acknowledged by the primary,
//! merged over every session of every shard (each session's commit GTIDs, from the primary's OK
//! packets). Lock-free: readers take one atomic load; a commit merges with a compare-and-swap
//! loop (`ArcSwap::rcu`), and only when the position is not already covered.
//!
//! It must not decide routing: the router asks it what is known to be committed.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::gtid::GtidSet;

/// The cluster-wide latest commit position seen through sluice.
#[derive(Default)]
pub struct LatestCommits {
    set: ArcSwapOption<GtidSet>,
}

impl LatestCommits {
    /// Merges a commit position. Positions of another flavour than the one held replace it
    /// (the primary was swapped for a server of the other family).
    pub fn merge(&self, commit: &GtidSet) {
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
}
