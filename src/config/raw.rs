//! The configuration file exactly as written: serde structs mirroring the TOML, with spans.
//!
//! Owns the accepted keys (every table denies unknown fields) and keeps the byte span of each value a
//! rule may reject. It must not apply defaults or check rules; `validate` does both.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub listeners: Option<Spanned<Vec<RawListener>>>,
    pub shards: Option<RawShards>,
    pub monitor: Option<RawMonitor>,
    pub users: Option<Spanned<Vec<RawUser>>>,
    pub backends: Option<RawBackends>,
    pub consistency: Option<RawConsistency>,
    pub pool: Option<RawPool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawListener {
    pub address: Spanned<String>,
    pub consistency: Option<Spanned<String>>,
    pub auth_plugin: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShards {
    pub count: Option<Spanned<usize>>,
    pub cpus: Option<Spanned<Vec<Spanned<usize>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMonitor {
    pub cpu: Option<Spanned<usize>>,
    pub user: Option<Spanned<String>>,
    pub password: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub poll_interval: Option<Spanned<toml::Value>>,
    pub fast_poll_interval: Option<Spanned<toml::Value>>,
    pub push: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub name: Spanned<String>,
    pub password: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBackends {
    pub primary: RawBackend,
    pub replicas: Option<Vec<RawBackend>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBackend {
    pub name: Option<Spanned<String>>,
    pub address: Spanned<String>,
    pub read_weight: Option<Spanned<u32>>,
}

/// Durations are kept as any TOML value so that a bare integer gets a hint, not a type error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsistency {
    pub level: Option<Spanned<String>>,
    pub read_consistency_timeout: Option<Spanned<toml::Value>>,
    pub latency_threshold: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPool {
    pub connect_timeout: Option<Spanned<toml::Value>>,
    pub min_idle: Option<Spanned<usize>>,
    pub max_per_shard: Option<Spanned<usize>>,
    pub idle_timeout: Option<Spanned<toml::Value>>,
}
