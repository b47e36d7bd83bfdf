//! `PushBoard`: where the monitor shows each backend's binlog follower state (`PushStatus`) to the
//! shards, for `SHOW SLUICE BACKENDS`, and what the push path did so far (`PushCounts`, for
//! `SHOW SLUICE STATUS`). The monitor replaces the whole list when a state changes; readers take
//! one atomic load. Kept beside the `ClusterView` rather than in it: routing never looks at it.
//!
//! It owns the states and counts as shown; it must not follow binlogs or decide anything from
//! them.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

/// The state of a replica's binlog follower: when `On`, each transaction the replica applies
/// starts a poll of it at once; otherwise it is polled on the regular schedule only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PushStatus {
    /// Not followed (the primary; `[monitor] push = false`).
    #[default]
    Off,
    /// Logging in and starting the dump.
    Connecting,
    /// Events are flowing.
    On,
    /// The follower stopped for this reason; it tries again later.
    Failed(Arc<str>),
}

impl fmt::Display for PushStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushStatus::Off => f.write_str("off"),
            PushStatus::Connecting => f.write_str("connecting"),
            PushStatus::On => f.write_str("on"),
            PushStatus::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// What the push path did since the monitor started (all replicas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushCounts {
    /// GTID events the followers received.
    pub gtids: u64,
    /// Polls of a replica made because of a push (first polls and confirming polls).
    pub polls: u64,
    /// Confirming polls: the previous poll did not cover the pushed GTIDs yet.
    pub retries: u64,
    /// Pushed GTIDs still not covered after the last confirming poll, left to the regular rounds.
    pub unconfirmed: u64,
}

/// Every backend's follower state, same indexes as `router::Cluster::backends`, and the counts.
#[derive(Default)]
pub struct PushBoard {
    states: ArcSwap<Vec<PushStatus>>,
    counts: [AtomicU64; 4],
}

impl PushBoard {
    /// Monitor side: shows `states` (if they differ from what is shown) and `counts`.
    pub fn show(&self, states: Vec<PushStatus>, counts: PushCounts) {
        if **self.states.load() != states {
            self.states.store(Arc::new(states));
        }
        let values = [
            counts.gtids,
            counts.polls,
            counts.retries,
            counts.unconfirmed,
        ];
        for (c, v) in self.counts.iter().zip(values) {
            c.store(v, Ordering::Relaxed);
        }
    }

    /// The counts last shown.
    pub fn counts(&self) -> PushCounts {
        let [gtids, polls, retries, unconfirmed] =
            [0, 1, 2, 3].map(|i| self.counts[i].load(Ordering::Relaxed));
        PushCounts {
            gtids,
            polls,
            retries,
            unconfirmed,
        }
    }

    /// Backend `i`'s follower state (`Off` when unknown).
    pub fn status(&self, i: usize) -> PushStatus {
        self.states.load().get(i).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_show_as_text() {
        let board = PushBoard::default();
        assert_eq!(board.status(1), PushStatus::Off);
        let counts = PushCounts {
            gtids: 4,
            polls: 6,
            retries: 2,
            unconfirmed: 1,
        };
        board.show(
            vec![
                PushStatus::Off,
                PushStatus::On,
                PushStatus::Failed("ERROR 1227 (42000): Access denied".into()),
                PushStatus::Connecting,
            ],
            counts,
        );
        assert_eq!(board.counts(), counts);
        let shown: Vec<String> = (0..5).map(|i| board.status(i).to_string()).collect();
        assert_eq!(
            shown,
            [
                "off",
                "on",
                "failed: ERROR 1227 (42000): Access denied",
                "connecting",
                "off"
            ]
        );
        let before = board.states.load_full();
        board.show(before.to_vec(), counts);
        assert!(
            Arc::ptr_eq(&before, &board.states.load_full()),
            "unchanged: kept"
        );
    }
}
