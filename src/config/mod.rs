//! sluice's configuration: a TOML file read once at start-up, validated into typed [`Config`].
//!
//! Owns the public API (`load`, `parse`, the typed structs) and wires the stages together:
//! `raw` (serde structs with spans) → `validate` (defaults and rules) → `model` (typed values).
//! It must not start anything or hold runtime state: the runtime reads a finished `Config`.
//!
//! Every error names the file, line and column of the offending value (`FILE:LINE:COL: message`),
//! and unknown keys are errors. The file looks like this; only `[[listeners]]`, `[[users]]` and
//! `[backends.primary]` are required, everything else shows its default:
//!
//! ```toml
//! [[listeners]]                      # one or more client endpoints
//! address = "127.0.0.1:3380"         # IP:port
//! # consistency = "session"          # default: [consistency].level
//! # auth_plugin = "caching_sha2_password"   # or "mysql_native_password"
//!
//! [shards]
//! count = 1                          # executors accepting clients, >= 1
//! cpus = [0]                         # optional: one distinct CPU per shard
//!
//! [monitor]
//! cpu = 1                            # optional: CPU for health/lag/GTID polling
//! # user = "app"                     # default: the first [[users]] entry
//! # password = "app"                 # or password_env; default: that [[users]] entry's
//! # poll_interval = "100ms"          # between polls while no read waits
//! # fast_poll_interval = "1ms"       # while reads wait ("0ms": back to back)
//!
//! [[users]]                          # one or more; names unique
//! name = "app"
//! password = "app"                   # or: password_env = "SLUICE_APP_PASSWORD"
//!
//! [backends.primary]
//! address = "127.0.0.1:3307"         # host:port, resolved at load
//! # name = "primary"
//! # read_weight = 0                  # the primary takes reads only as a fallback by default
//!
//! [[backends.replicas]]              # zero or more; names default to replica1, replica2, ...
//! address = "127.0.0.1:3308"
//! read_weight = 1
//!
//! [consistency]
//! level = "session"                  # "eventual" | "session" | "global"
//! read_consistency_timeout = "10ms"  # durations: "500us", "10ms", "1.5s", "2m", "1h"
//! latency_threshold = "30s"
//!
//! [pool]
//! connect_timeout = "2s"
//! min_idle = 0
//! max_per_shard = 64                 # >= 1 and >= min_idle
//! idle_timeout = "60s"
//! ```

mod backends;
mod duration;
mod error;
mod levels;
mod model;
mod monitor;
mod raw;
mod summary;
mod users;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tuning_tests;

use std::path::Path;

pub use error::ConfigError;
pub use levels::{ClientAuthPlugin, ConsistencyLevel, UnknownConsistencyLevel};
pub use model::{
    BackendConfig, BackendsConfig, Config, ConsistencyConfig, ListenerConfig, MonitorConfig,
    PoolConfig, ShardsConfig, UserConfig,
};

/// Reads, parses and validates the configuration file at `path`.
///
/// Errors are reported under the path as given, e.g. `tuning/local.toml:14:11: ...`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: file.clone(),
        source,
    })?;
    parse(&text, &file)
}

/// Parses and validates configuration `text`, reporting errors under `file_name`.
///
/// CPU numbers are checked against this host and `password_env` against this process's
/// environment; backend addresses are resolved.
pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigError> {
    validate::parse_with(text, file_name, &validate::Host::current())
}
