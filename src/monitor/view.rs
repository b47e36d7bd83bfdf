//! `ClusterView`: one immutable snapshot of what the monitor knows about every backend (reachable
//! over its monitor connection, executed GTID position, replication lag, when it was read) and of
//! the primary's position as read by a query sent at a known time (`PrimaryProbe`).
//!
//! This file owns only the snapshot values and read-only accessors. It must not poll, publish or
//! decide routing: the poller builds views, `ViewCell` shares them, the router reads them.
//! Backends are indexed as in `router::Cluster::backends` (the primary is `router::PRIMARY`).

use std::time::{Duration, Instant};

use crate::gtid::{Flavor, GtidSet, Source};
use crate::router::PRIMARY;

/// What the monitor knows about the whole cluster at one moment.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    /// 0 for the empty view sluice starts with; each publish adds one.
    pub epoch: u64,
    /// The servers' GTID flavor, from the primary's version string (else any backend's); `None`
    /// until a monitor connection logged in.
    pub flavor: Option<Flavor>,
    /// One entry per backend, same index as `router::Cluster::backends`; empty until the first
    /// publish.
    pub backends: Vec<BackendView>,
    /// The primary's executed set from the latest primary poll, with the time its query was sent.
    pub primary_probe: Option<PrimaryProbe>,
}

/// One backend as the monitor last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendView {
    /// The monitor connection works and answered the last poll.
    pub reachable: bool,
    /// The executed (MariaDB replicas: applied and committed) GTID position from the last
    /// successful poll; kept while the backend is unreachable.
    pub executed: Option<GtidSet>,
    /// How far this backend is behind the primary; `Some(0)` for the primary itself; `None` when
    /// unknown (unreachable, or no primary position yet).
    pub lag: Option<Duration>,
    /// When `executed` was read (the poll's reply arrived).
    pub observed_at: Option<Instant>,
}

/// The primary's executed set, read by a query that was sent at `sent_at`: every transaction the
/// primary had committed by then is in `executed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryProbe {
    pub sent_at: Instant,
    pub executed: GtidSet,
    /// The one source (the primary's UUID or domain) that the latest probes saw advancing;
    /// `None` until two probes compared, or while several sources advanced between two probes.
    pub writer: Option<Source>,
}

impl ClusterView {
    /// Backend `i`, if the view has it.
    pub fn backend(&self, i: usize) -> Option<&BackendView> {
        self.backends.get(i)
    }

    /// The primary, if the view has any backend.
    pub fn primary(&self) -> Option<&BackendView> {
        self.backend(PRIMARY)
    }

    /// Whether backend `i`'s monitor connection answered the last poll.
    pub fn reachable(&self, i: usize) -> bool {
        self.backend(i).is_some_and(|b| b.reachable)
    }

    /// Backend `i`'s lag in milliseconds (fractional), if known.
    pub fn lag_ms(&self, i: usize) -> Option<f64> {
        self.backend(i)?.lag.map(|d| d.as_secs_f64() * 1000.0)
    }

    /// Backend `i`'s executed position, if one was ever read.
    pub fn executed(&self, i: usize) -> Option<&GtidSet> {
        self.backend(i)?.executed.as_ref()
    }

    /// Whether backend `i` is reachable and its executed position covers `required`.
    pub fn covers(&self, i: usize, required: &GtidSet) -> bool {
        self.backend(i)
            .is_some_and(|b| b.reachable && b.executed.as_ref().is_some_and(|e| e.covers(required)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> GtidSet {
        GtidSet::parse(text, Flavor::MariaDb).expect("valid position")
    }

    #[test]
    fn accessors_answer_for_missing_backends_too() {
        let view = ClusterView {
            epoch: 3,
            flavor: Some(Flavor::MariaDb),
            backends: vec![
                BackendView {
                    reachable: true,
                    executed: Some(set("0-1-10")),
                    lag: Some(Duration::ZERO),
                    observed_at: Some(Instant::now()),
                },
                BackendView {
                    reachable: false,
                    executed: Some(set("0-1-10")),
                    lag: None,
                    observed_at: None,
                },
                BackendView {
                    reachable: true,
                    executed: Some(set("0-1-7")),
                    lag: Some(Duration::from_micros(1500)),
                    observed_at: None,
                },
            ],
            primary_probe: None,
        };
        assert!(view.reachable(0) && !view.reachable(1) && !view.reachable(9));
        assert_eq!(view.lag_ms(2), Some(1.5));
        assert_eq!(view.lag_ms(1), None);
        assert_eq!(view.lag_ms(9), None);
        assert_eq!(view.executed(1), Some(&set("0-1-10")));
        let need = set("0-1-8");
        assert!(view.covers(0, &need));
        assert!(!view.covers(1, &need), "unreachable backends cover nothing");
        assert!(!view.covers(2, &need));
        assert!(view.primary().is_some());
        assert!(ClusterView::default().primary().is_none());
    }
}
