//! The validated, typed configuration that the rest of sluice reads.
//!
//! Owns the public structs and their documented defaults. It must not parse or validate: values of
//! these types come only out of `validate`, already checked, with names resolved and defaults filled.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use super::levels::{ClientAuthPlugin, ConsistencyLevel};

/// A whole, validated sluice configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Client-facing endpoints; at least one.
    pub listeners: Vec<ListenerConfig>,
    pub shards: ShardsConfig,
    pub monitor: MonitorConfig,
    /// Client accounts; at least one, names unique.
    pub users: Vec<UserConfig>,
    pub backends: BackendsConfig,
    pub consistency: ConsistencyConfig,
    pub pool: PoolConfig,
}

/// One client-facing endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    pub address: SocketAddr,
    /// The level sessions on this endpoint start with; defaults to `[consistency].level`.
    pub consistency: ConsistencyLevel,
    /// The plugin offered in the handshake; defaults to `caching_sha2_password`.
    pub auth_plugin: ClientAuthPlugin,
}

/// How many executors run and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardsConfig {
    /// Number of shard executors; at least 1, default 1.
    pub count: usize,
    /// One CPU per shard, distinct and present on this host; `None` leaves placement to the OS.
    pub cpus: Option<Vec<usize>>,
}

impl Default for ShardsConfig {
    fn default() -> Self {
        ShardsConfig {
            count: 1,
            cpus: None,
        }
    }
}

/// Where the monitor runs, who it logs in as, and how often it polls. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct MonitorConfig {
    /// The CPU the monitor is pinned to, if any; present on this host.
    pub cpu: Option<usize>,
    /// The account of the monitor connections; defaults to the first `[[users]]` entry.
    pub user: String,
    /// Its clear-text password; defaults to that `[[users]]` entry's password.
    pub password: String,
    /// Between polls when no read waits; default 100ms.
    pub poll_interval: Duration,
    /// Between polls while reads wait for a replica or the primary's position; default 1ms
    /// (zero: back to back).
    pub fast_poll_interval: Duration,
    /// Follow each replica's binlog over a replication connection, so that a newly applied
    /// transaction starts a poll of that replica at once; default true. Polling alone when false
    /// (or where the monitor user lacks REPLICATION SLAVE).
    pub push: bool,
}

impl MonitorConfig {
    /// Default `poll_interval`.
    pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
    /// Default `fast_poll_interval`.
    pub const FAST_POLL_INTERVAL: Duration = Duration::from_millis(1);
}

impl fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("cpu", &self.cpu)
            .field("user", &self.user)
            .field("password", &"***")
            .field("poll_interval", &self.poll_interval)
            .field("fast_poll_interval", &self.fast_poll_interval)
            .field("push", &self.push)
            .finish()
    }
}

/// One client account. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserConfig {
    pub name: String,
    /// The clear-text password (from `password`, or the variable named by `password_env`).
    pub password: String,
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("password", &"***")
            .finish()
    }
}

/// The database servers behind sluice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendsConfig {
    pub primary: BackendConfig,
    pub replicas: Vec<BackendConfig>,
}

/// One database server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendConfig {
    /// Unique name; defaults to `primary`, `replica1`, `replica2`, ...
    pub name: String,
    /// The address as written (`host:port`), for messages and metrics.
    pub address: String,
    /// `address` resolved once at load time (the first address the resolver returns).
    pub socket_addr: SocketAddr,
    /// Share of reads; defaults to 0 for the primary and 1 for replicas.
    pub read_weight: u32,
}

/// Read consistency defaults and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyConfig {
    /// Default level for listeners that do not set one; default `session`.
    pub level: ConsistencyLevel,
    /// How long a read waits for a replica to catch up before going to the primary; default 10ms.
    pub read_consistency_timeout: Duration,
    /// Replicas lagging more than this get no reads; default 30s.
    pub latency_threshold: Duration,
}

impl Default for ConsistencyConfig {
    fn default() -> Self {
        ConsistencyConfig {
            level: ConsistencyLevel::Session,
            read_consistency_timeout: Duration::from_millis(10),
            latency_threshold: Duration::from_secs(30),
        }
    }
}

/// Per-shard backend connection pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Limit on establishing one backend connection; default 2s.
    pub connect_timeout: Duration,
    /// Idle connections kept open per backend and shard; default 0.
    pub min_idle: usize,
    /// Connections per backend and shard; default 64, at least 1 and at least `min_idle`.
    pub max_per_shard: usize,
    /// Idle connections above `min_idle` are closed after this; default 60s.
    pub idle_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            connect_timeout: Duration::from_secs(2),
            min_idle: 0,
            max_per_shard: 64,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_debug_hides_the_password() {
        let user = UserConfig {
            name: "app".to_owned(),
            password: "hunter2".to_owned(),
        };
        let shown = format!("{user:?}");
        assert!(shown.contains("\"app\""), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn monitor_debug_hides_the_password() {
        let monitor = MonitorConfig {
            cpu: None,
            user: "sluice_monitor".to_owned(),
            password: "hunter2".to_owned(),
            poll_interval: MonitorConfig::POLL_INTERVAL,
            fast_poll_interval: MonitorConfig::FAST_POLL_INTERVAL,
            push: true,
        };
        let shown = format!("{monitor:?}");
        assert!(shown.contains("sluice_monitor"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
