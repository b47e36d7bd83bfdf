//! The routing decision's shared parts: the backends (primary first, then replicas) with their
//! read weights, their health as every shard sees it, the per-backend counters that
//! `SHOW SLUICE BACKENDS` reports, the read path's and the monitor's statistics (`ReadStats`,
//! `Freshness`, both built on `Histogram`), and the weighted choice of a replica for a read.
//!
//! `Cluster` is built once and shared by all shards (`Arc`); its only writes on the query path are
//! relaxed atomic counter increments and health marks. `ReadChooser` is per shard. This module
//! decides *which backend*; it must not open connections (that is `pool`) or look at SQL (that
//! is `classify`).

mod choice;
mod commits;
mod consistent;
mod counters;
mod freshness;
mod health;
mod histogram;
mod read_stats;

use std::net::SocketAddr;
use std::sync::Arc;

pub use choice::ReadChooser;
pub use commits::{AckedCommit, LatestCommits, RECENT_CAPACITY};
pub use consistent::{choose_read, FallbackReason, ReadVerdict};
pub use counters::{BackendCounters, RouteWhy};
pub use freshness::Freshness;
pub use health::Health;
pub use histogram::Histogram;
pub use read_stats::ReadStats;

use crate::config::BackendsConfig;

/// Index of the primary in [`Cluster::backends`].
pub const PRIMARY: usize = 0;

/// Whether a backend takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Replica => "replica",
        }
    }
}

/// One backend server as all shards share it.
pub struct Backend {
    pub name: Arc<str>,
    /// As written in the configuration.
    pub address: String,
    pub addr: SocketAddr,
    pub role: Role,
    /// Share of reads (0: none, except as a fallback for the primary).
    pub read_weight: u32,
    pub health: Health,
    pub counters: BackendCounters,
}

/// Every backend, primary first.
pub struct Cluster {
    pub backends: Vec<Backend>,
    /// The newest commit position seen acknowledged through sluice (all shards).
    pub latest: LatestCommits,
    /// Counters of the consistent read path.
    pub reads: ReadStats,
    /// How soon after a commit's ack the monitor saw each backend apply it (monitor writes).
    pub freshness: Freshness,
    /// What the monitor last saw of the backends (same indexes), read with one atomic load.
    pub view: crate::monitor::ViewCell,
    /// Whether the monitor follows each backend's binlog (same indexes).
    pub push: crate::monitor::PushBoard,
}

impl Cluster {
    pub fn new(cfg: &BackendsConfig) -> Arc<Self> {
        let backend = |b: &crate::config::BackendConfig, role| Backend {
            name: b.name.as_str().into(),
            address: b.address.clone(),
            addr: b.socket_addr,
            role,
            read_weight: b.read_weight,
            health: Health::default(),
            counters: BackendCounters::default(),
        };
        let mut backends = vec![backend(&cfg.primary, Role::Primary)];
        backends.extend(cfg.replicas.iter().map(|r| backend(r, Role::Replica)));
        Arc::new(Self {
            freshness: Freshness::new(backends.len()),
            backends,
            latest: LatestCommits::default(),
            reads: ReadStats::default(),
            view: crate::monitor::ViewCell::new(),
            push: crate::monitor::PushBoard::default(),
        })
    }

    pub fn primary(&self) -> &Backend {
        &self.backends[PRIMARY]
    }
}

/// A cluster of backends on made-up addresses with these read weights (primary first), for the
/// router's unit tests.
#[cfg(test)]
pub(crate) fn test_cluster(weights: &[u32]) -> Arc<Cluster> {
    use crate::config::BackendConfig;
    let b = |i: usize, w: u32| BackendConfig {
        name: format!("b{i}"),
        address: format!("127.0.0.1:{}", 4000 + i),
        socket_addr: SocketAddr::from(([127, 0, 0, 1], 4000 + i as u16)),
        read_weight: w,
    };
    Cluster::new(&BackendsConfig {
        primary: b(0, weights[0]),
        replicas: weights[1..]
            .iter()
            .enumerate()
            .map(|(i, &w)| b(i + 1, w))
            .collect(),
    })
}
