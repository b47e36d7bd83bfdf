//! Raw TOML → validated `Config`: defaults, cross-field rules, and located error messages.
//!
//! Owns the entry point (`parse_with`), the host facts validation depends on (`Host`), and the rules
//! for listeners, shards, consistency and pool. Users, monitor and backends have their own modules.
//! It must not do I/O beyond what `Host` provides and name resolution in `backends`.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::duration::{number_hint, parse_duration};
use super::error::{ConfigError, Source};
use super::levels::{ClientAuthPlugin, ConsistencyLevel};
use super::model::{Config, ConsistencyConfig, ListenerConfig, PoolConfig, ShardsConfig};
use super::raw::{RawConfig, RawConsistency, RawListener, RawPool, RawShards};
use super::{backends, monitor, users};

/// Reads an environment variable.
pub(crate) type EnvLookup = fn(&str) -> Result<String, std::env::VarError>;

/// Facts about the machine that validation checks against; tests substitute their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Host {
    /// CPUs usable by this process; CPU numbers must be below this.
    pub available_cpus: usize,
    /// Where `password_env` names are looked up.
    pub env_var: EnvLookup,
}

impl Host {
    /// This machine and this process's environment.
    pub fn current() -> Self {
        Host {
            // If the count is unknown, do not reject CPU numbers we cannot judge.
            available_cpus: std::thread::available_parallelism().map_or(usize::MAX, |n| n.get()),
            env_var: |name| std::env::var(name),
        }
    }
}

/// Parses `text` (reported as `file_name`) and validates it against `host`.
pub(crate) fn parse_with(text: &str, file_name: &str, host: &Host) -> Result<Config, ConfigError> {
    let source = Source::new(file_name, text);
    let raw: RawConfig = toml::from_str(text).map_err(|err| source.syntax(&err))?;
    validate(raw, &source, host)
}

fn validate(raw: RawConfig, source: &Source<'_>, host: &Host) -> Result<Config, ConfigError> {
    let consistency = consistency(raw.consistency, source)?;
    let listeners = listeners(raw.listeners, consistency.level, source)?;
    let shards = shards(raw.shards, source, host)?;
    let users = users::validate(raw.users, source, host)?;
    Ok(Config {
        listeners,
        shards,
        monitor: monitor::validate(raw.monitor, &users, source, host)?,
        users,
        backends: backends::validate(raw.backends, source)?,
        pool: pool(raw.pool, source)?,
        consistency,
    })
}

fn listeners(
    raw: Option<Spanned<Vec<RawListener>>>,
    default_level: ConsistencyLevel,
    source: &Source<'_>,
) -> Result<Vec<ListenerConfig>, ConfigError> {
    const NEED_ONE: &str = "at least one [[listeners]] entry with an address is required";
    let raw = raw.ok_or_else(|| source.error(0..0, NEED_ONE))?;
    if raw.get_ref().is_empty() {
        return Err(source.error(raw.span(), NEED_ONE));
    }
    let mut listeners: Vec<(ListenerConfig, Range<usize>)> = Vec::new();
    for entry in raw.into_inner() {
        let span = entry.address.span();
        let text = entry.address.get_ref();
        let address: SocketAddr = text.parse().map_err(|_| {
            source.error(
                span.clone(),
                format!(
                    "listener address {text:?} is not an IP:port address, e.g. \"127.0.0.1:3380\""
                ),
            )
        })?;
        if let Some((_, first)) = listeners.iter().find(|(l, _)| l.address == address) {
            return Err(source.error(
                span,
                format!(
                    "listener address {address} is already used at line {}",
                    source.line_of(first.start)
                ),
            ));
        }
        let consistency = match entry.consistency {
            Some(level) => consistency_level(&level, "listeners.consistency", source)?,
            None => default_level,
        };
        let auth_plugin = match entry.auth_plugin {
            Some(name) => ClientAuthPlugin::from_name(name.get_ref()).ok_or_else(|| {
                source.error(
                    name.span(),
                    format!(
                        "listeners.auth_plugin {:?} is not supported: expected \"mysql_native_password\" or \"caching_sha2_password\"",
                        name.get_ref()
                    ),
                )
            })?,
            None => ClientAuthPlugin::default(),
        };
        let listener = ListenerConfig {
            address,
            consistency,
            auth_plugin,
        };
        listeners.push((listener, span));
    }
    Ok(listeners
        .into_iter()
        .map(|(listener, _)| listener)
        .collect())
}

fn shards(
    raw: Option<RawShards>,
    source: &Source<'_>,
    host: &Host,
) -> Result<ShardsConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(ShardsConfig::default());
    };
    let count = match raw.count {
        Some(count) if *count.get_ref() == 0 => {
            return Err(source.error(count.span(), "shards.count must be at least 1"));
        }
        Some(count) => count.into_inner(),
        None => ShardsConfig::default().count,
    };
    let Some(cpus) = raw.cpus else {
        return Ok(ShardsConfig { count, cpus: None });
    };
    if cpus.get_ref().len() != count {
        return Err(source.error(
            cpus.span(),
            format!(
                "shards.cpus has {} entries but shards.count is {count}",
                cpus.get_ref().len()
            ),
        ));
    }
    let mut seen: Vec<usize> = Vec::with_capacity(count);
    for cpu in cpus.into_inner() {
        check_cpu(&cpu, "shards.cpus", source, host)?;
        let cpu_number = *cpu.get_ref();
        if seen.contains(&cpu_number) {
            return Err(source.error(
                cpu.span(),
                format!("shards.cpus lists CPU {cpu_number} twice: each shard needs its own CPU"),
            ));
        }
        seen.push(cpu_number);
    }
    Ok(ShardsConfig {
        count,
        cpus: Some(seen),
    })
}

pub(super) fn check_cpu(
    cpu: &Spanned<usize>,
    key: &str,
    source: &Source<'_>,
    host: &Host,
) -> Result<(), ConfigError> {
    let number = *cpu.get_ref();
    if number >= host.available_cpus {
        return Err(source.error(
            cpu.span(),
            format!(
                "{key}: CPU {number} is not available: this host has {} CPUs (0..={})",
                host.available_cpus,
                host.available_cpus.saturating_sub(1)
            ),
        ));
    }
    Ok(())
}

fn consistency(
    raw: Option<RawConsistency>,
    source: &Source<'_>,
) -> Result<ConsistencyConfig, ConfigError> {
    let defaults = ConsistencyConfig::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    Ok(ConsistencyConfig {
        level: match raw.level {
            Some(level) => consistency_level(&level, "consistency.level", source)?,
            None => defaults.level,
        },
        read_consistency_timeout: duration(
            raw.read_consistency_timeout,
            "consistency.read_consistency_timeout",
            defaults.read_consistency_timeout,
            source,
        )?,
        latency_threshold: duration(
            raw.latency_threshold,
            "consistency.latency_threshold",
            defaults.latency_threshold,
            source,
        )?,
    })
}

fn pool(raw: Option<RawPool>, source: &Source<'_>) -> Result<PoolConfig, ConfigError> {
    let defaults = PoolConfig::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let connect_span = raw.connect_timeout.as_ref().map(Spanned::span);
    let connect_timeout = duration(
        raw.connect_timeout,
        "pool.connect_timeout",
        defaults.connect_timeout,
        source,
    )?;
    if let (Some(span), true) = (connect_span, connect_timeout.is_zero()) {
        return Err(source.error(span, "pool.connect_timeout must be greater than zero"));
    }
    let idle_timeout = duration(
        raw.idle_timeout,
        "pool.idle_timeout",
        defaults.idle_timeout,
        source,
    )?;
    let max_per_shard = match raw.max_per_shard {
        Some(max) if *max.get_ref() == 0 => {
            return Err(source.error(max.span(), "pool.max_per_shard must be at least 1"));
        }
        Some(max) => max.into_inner(),
        None => defaults.max_per_shard,
    };
    let min_idle = match raw.min_idle {
        Some(min) if *min.get_ref() > max_per_shard => {
            return Err(source.error(
                min.span(),
                format!(
                    "pool.min_idle is {} but pool.max_per_shard is {max_per_shard}: min_idle cannot exceed it",
                    min.get_ref()
                ),
            ));
        }
        Some(min) => min.into_inner(),
        None => defaults.min_idle,
    };
    Ok(PoolConfig {
        connect_timeout,
        min_idle,
        max_per_shard,
        idle_timeout,
    })
}

fn consistency_level(
    raw: &Spanned<String>,
    key: &str,
    source: &Source<'_>,
) -> Result<ConsistencyLevel, ConfigError> {
    raw.get_ref()
        .parse()
        .map_err(|err| source.error(raw.span(), format!("{key}: {err}")))
}

/// A duration value, or `default` when the key is absent.
pub(super) fn duration(
    raw: Option<Spanned<toml::Value>>,
    key: &str,
    default: Duration,
    source: &Source<'_>,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    let message = match raw.get_ref() {
        toml::Value::String(text) => match parse_duration(text) {
            Ok(duration) => return Ok(duration),
            Err(message) => message,
        },
        toml::Value::Integer(number) => number_hint(number),
        toml::Value::Float(number) => number_hint(number),
        other => format!(
            "expected a duration string such as \"10ms\", found a {}",
            other.type_str()
        ),
    };
    Err(source.error(raw.span(), format!("{key}: {message}")))
}
