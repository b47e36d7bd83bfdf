//! The consistent read choice: given what a read must see (a GTID set, or nothing), the
//! monitor's `ClusterView` and the shard's `ReadChooser`, which backend takes the read now, or
//! whether it must wait for a replica to catch up, or go to the primary and why.
//!
//! Pure and allocation-free: the session does the waiting (woken when the view's epoch moves)
//! and the counting. It must not open connections or look at SQL.

use std::time::Duration;

use super::{Cluster, ReadChooser, Role, PRIMARY};
use crate::gtid::GtidSet;
use crate::monitor::ClusterView;

/// Why a read went to the primary instead of a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackReason {
    /// No replica is usable: down, weight 0, or unknown to the monitor yet.
    NoReplica,
    /// Every usable replica lags more than `latency_threshold`.
    Lag,
    /// No replica covered the required position within `read_consistency_timeout`.
    Timeout,
    /// `global`: the primary's position could not be learned within the timeout.
    Probe,
}

impl FallbackReason {
    pub const ALL: [FallbackReason; 4] = [
        FallbackReason::NoReplica,
        FallbackReason::Lag,
        FallbackReason::Timeout,
        FallbackReason::Probe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FallbackReason::NoReplica => "no_replica",
            FallbackReason::Lag => "lag",
            FallbackReason::Timeout => "timeout",
            FallbackReason::Probe => "probe",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What to do with a read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadVerdict {
    /// This backend can take it (a replica that covers what the read must see, or the primary
    /// when its read weight drew it). `partial`: some replicas inside the threshold do not
    /// cover it yet (as far as this view knows), so the choice was narrower than the weights.
    Go { backend: usize, partial: bool },
    /// Replicas inside the threshold exist but none covers the requirement yet.
    Wait,
    /// Only the primary can take it.
    Primary(FallbackReason),
}

/// Chooses the backend for a read that must see every set in `required` (none for `eventual`;
/// `None` entries are skipped), skipping
/// backends in the `excluded` bit mask. A replica is a candidate when it is healthy, has a read
/// weight, the monitor has seen it and its lag is within `threshold`; among candidates that
/// cover `required` the choice is weighted at random. A primary with a read weight always covers.
pub fn choose_read(
    cluster: &Cluster,
    view: &ClusterView,
    chooser: &ReadChooser,
    required: &[Option<&GtidSet>],
    excluded: u64,
    threshold: Duration,
) -> ReadVerdict {
    let mut any_usable = false;
    let mut any_fresh = false;
    let mut any_covering = false;
    let mut any_behind = false;
    let eligible = |i: usize| -> bool {
        let b = &cluster.backends[i];
        if b.role == Role::Primary {
            return true;
        }
        let Some(v) = view.backend(i) else {
            return false;
        };
        if !v.reachable || v.lag.map_or(true, |lag| lag > threshold) {
            return false;
        }
        let mut required = required.iter().flatten();
        match &v.executed {
            Some(e) => required.all(|r| e.covers(r)),
            None => required.next().is_none(),
        }
    };
    for (i, b) in cluster.backends.iter().enumerate() {
        let bit = if i < 64 { 1u64 << i } else { 0 };
        if b.read_weight == 0 || excluded & bit != 0 || !b.health.usable() {
            continue;
        }
        if b.role == Role::Primary {
            (any_usable, any_fresh, any_covering) = (true, true, true);
            continue;
        }
        let Some(v) = view.backend(i).filter(|v| v.reachable) else {
            continue;
        };
        any_usable = true;
        if v.lag.is_some_and(|lag| lag <= threshold) {
            any_fresh = true;
            if eligible(i) {
                any_covering = true;
            } else {
                any_behind = true;
            }
        }
    }
    if !any_usable {
        return ReadVerdict::Primary(FallbackReason::NoReplica);
    }
    if !any_fresh {
        return ReadVerdict::Primary(FallbackReason::Lag);
    }
    if !any_covering {
        return ReadVerdict::Wait;
    }
    let backend = chooser
        .pick_where(cluster, excluded, eligible)
        .unwrap_or(PRIMARY);
    ReadVerdict::Go {
        backend,
        partial: any_behind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;
    use crate::monitor::BackendView;
    use std::time::Instant;

    use crate::router::test_cluster as cluster;

    fn set(s: &str) -> GtidSet {
        GtidSet::parse(s, Flavor::MariaDb).expect("set")
    }

    fn view(replicas: &[(&str, u64)]) -> ClusterView {
        let mut backends = vec![BackendView {
            reachable: true,
            executed: Some(set("0-1-100")),
            lag: Some(Duration::ZERO),
            observed_at: Some(Instant::now()),
        }];
        for (pos, lag_ms) in replicas {
            backends.push(BackendView {
                reachable: true,
                executed: Some(set(pos)),
                lag: Some(Duration::from_millis(*lag_ms)),
                observed_at: Some(Instant::now()),
            });
        }
        ClusterView {
            epoch: 1,
            flavor: Some(Flavor::MariaDb),
            backends,
            primary_probe: None,
        }
    }

    const T: Duration = Duration::from_secs(30);

    #[test]
    fn covering_replica_is_chosen() {
        let c = cluster(&[0, 1, 1]);
        let ch = ReadChooser::new(&c);
        let v = view(&[("0-1-90", 0), ("0-1-100", 0)]);
        for _ in 0..20 {
            let r = choose_read(&c, &v, &ch, &[Some(&set("0-1-95"))], 0, T);
            assert_eq!(
                r,
                ReadVerdict::Go {
                    backend: 2,
                    partial: true
                }
            );
        }
        let r = choose_read(&c, &v, &ch, &[], 0b100, T);
        assert_eq!(
            r,
            ReadVerdict::Go {
                backend: 1,
                partial: false
            }
        );
    }

    #[test]
    fn waits_when_none_covers_and_falls_back_on_lag() {
        let c = cluster(&[0, 1, 1]);
        let ch = ReadChooser::new(&c);
        let v = view(&[("0-1-90", 0), ("0-1-91", 0)]);
        let need = set("0-1-95");
        assert_eq!(
            choose_read(&c, &v, &ch, &[Some(&need)], 0, T),
            ReadVerdict::Wait
        );
        let lagging = view(&[("0-1-90", 40_000), ("0-1-91", 31_000)]);
        assert_eq!(
            choose_read(&c, &lagging, &ch, &[], 0, T),
            ReadVerdict::Primary(FallbackReason::Lag)
        );
    }

    #[test]
    fn unknown_or_down_replicas_are_not_used() {
        let c = cluster(&[0, 1]);
        let ch = ReadChooser::new(&c);
        let mut v = view(&[("0-1-100", 0)]);
        v.backends[1].lag = None;
        assert_eq!(
            choose_read(&c, &v, &ch, &[], 0, T),
            ReadVerdict::Primary(FallbackReason::Lag)
        );
        v.backends[1].reachable = false;
        assert_eq!(
            choose_read(&c, &v, &ch, &[], 0, T),
            ReadVerdict::Primary(FallbackReason::NoReplica)
        );
        let empty = ClusterView::default();
        assert_eq!(
            choose_read(&c, &empty, &ch, &[], 0, T),
            ReadVerdict::Primary(FallbackReason::NoReplica)
        );
    }

    #[test]
    fn a_weighted_primary_counts_as_covering() {
        let c = cluster(&[1, 1]);
        let ch = ReadChooser::new(&c);
        let v = view(&[("0-1-10", 0)]);
        for _ in 0..20 {
            let r = choose_read(&c, &v, &ch, &[Some(&set("0-1-95"))], 0, T);
            assert_eq!(
                r,
                ReadVerdict::Go {
                    backend: PRIMARY,
                    partial: true
                }
            );
        }
    }
}
