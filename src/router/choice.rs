//! `ReadChooser`: one shard's weighted choice of the backend for a read, at random in proportion
//! to the read weights, over the backends usable now (healthy, weight above zero, not excluded by
//! the caller after a failure). Random rather than round robin so that a workload's own rhythm
//! (a transaction every other read) cannot lock onto one replica. Allocation-free per pick. It
//! must not know about connections or SQL.

use std::cell::Cell;

use super::Cluster;

/// Per-shard state of the weighted random choice.
pub struct ReadChooser {
    rng: Cell<u64>,
}

impl ReadChooser {
    pub fn new(cluster: &Cluster) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ (cluster as *const Cluster as u64).rotate_left(32);
        Self {
            rng: Cell::new(seed | 1),
        }
    }

    /// xorshift64*: cheap, good enough to spread reads.
    fn next(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The backend a read should go to, skipping those in the `excluded` bit mask (bit i:
    /// backend i); `None` when no backend with a read weight is usable.
    pub fn pick(&self, cluster: &Cluster, excluded: u64) -> Option<usize> {
        self.pick_where(cluster, excluded, |_| true)
    }

    /// As [`ReadChooser::pick`], among the backends `accept` also takes.
    pub fn pick_where(
        &self,
        cluster: &Cluster,
        excluded: u64,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let eligible = |i: usize, b: &super::Backend| {
            let bit = if i < 64 { 1u64 << i } else { 0 };
            b.read_weight > 0 && excluded & bit == 0 && b.health.usable() && accept(i)
        };
        let total: u64 = cluster
            .backends
            .iter()
            .enumerate()
            .filter(|(i, b)| eligible(*i, b))
            .map(|(_, b)| u64::from(b.read_weight))
            .sum();
        if total == 0 {
            return None;
        }
        let mut r = self.next() % total;
        for (i, b) in cluster.backends.iter().enumerate() {
            if !eligible(i, b) {
                continue;
            }
            let w = u64::from(b.read_weight);
            if r < w {
                return Some(i);
            }
            r -= w;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::router::test_cluster as cluster;

    #[test]
    fn spreads_by_weight() {
        let c = cluster(&[0, 1, 3]);
        let chooser = ReadChooser::new(&c);
        let mut hits = [0; 3];
        for _ in 0..400 {
            hits[chooser.pick(&c, 0).expect("pick")] += 1;
        }
        assert_eq!(hits[0], 0);
        assert!((60..=140).contains(&hits[1]), "{hits:?}");
        assert_eq!(hits[1] + hits[2], 400);
    }

    #[test]
    fn skips_excluded_and_down() {
        let c = cluster(&[0, 1, 1]);
        let chooser = ReadChooser::new(&c);
        for _ in 0..10 {
            assert_eq!(chooser.pick(&c, 0b010), Some(2));
        }
        c.backends[2].health.mark_failed();
        assert_eq!(chooser.pick(&c, 0), Some(1));
        assert_eq!(chooser.pick(&c, 0b010), None);
        c.backends[2].health.mark_ok();
        assert!(chooser.pick(&c, 0b010).is_some());
    }
}
