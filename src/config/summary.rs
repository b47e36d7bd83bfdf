//! The human-readable summary `sluice check-config` prints after a successful validation.
//!
//! Owns its wording only. It must not print passwords (user names only) nor do any validation.

use std::fmt::Write as _;

use super::model::{BackendConfig, Config};

impl Config {
    /// A few lines describing what this configuration will run: listeners, shards and CPUs, the
    /// monitor (CPU, user name, intervals), user names, backends with their read weights,
    /// consistency and pool settings.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for listener in &self.listeners {
            line(
                &mut out,
                format_args!(
                    "listener    {} (consistency {}, auth {})",
                    listener.address, listener.consistency, listener.auth_plugin
                ),
            );
        }
        let cpus = match &self.shards.cpus {
            Some(cpus) => format!("pinned to CPUs {cpus:?}"),
            None => "not pinned".to_owned(),
        };
        line(
            &mut out,
            format_args!("shards      {} ({cpus})", self.shards.count),
        );
        let monitor = &self.monitor;
        let placement = match monitor.cpu {
            Some(cpu) => format!("pinned to CPU {cpu}"),
            None => "not pinned".to_owned(),
        };
        line(
            &mut out,
            format_args!(
                "monitor     {placement}, user {}, poll_interval {:?}, fast_poll_interval {:?}, push {}",
                monitor.user,
                monitor.poll_interval,
                monitor.fast_poll_interval,
                if monitor.push { "on" } else { "off" }
            ),
        );
        let users: Vec<&str> = self.users.iter().map(|user| user.name.as_str()).collect();
        line(&mut out, format_args!("users       {}", users.join(", ")));
        backend(&mut out, "primary", &self.backends.primary);
        for replica in &self.backends.replicas {
            backend(&mut out, "replica", replica);
        }
        let consistency = &self.consistency;
        line(
            &mut out,
            format_args!(
                "consistency {} (read_consistency_timeout {:?}, latency_threshold {:?})",
                consistency.level,
                consistency.read_consistency_timeout,
                consistency.latency_threshold
            ),
        );
        let pool = &self.pool;
        line(
            &mut out,
            format_args!(
                "pool        connect_timeout {:?}, min_idle {}, max_per_shard {}, idle_timeout {:?}",
                pool.connect_timeout, pool.min_idle, pool.max_per_shard, pool.idle_timeout
            ),
        );
        out
    }
}

fn backend(out: &mut String, role: &str, backend: &BackendConfig) {
    let resolved = if backend.address == backend.socket_addr.to_string() {
        String::new()
    } else {
        format!(" = {}", backend.socket_addr)
    };
    line(
        out,
        format_args!(
            "{role:<11} {} {}{resolved} (read_weight {})",
            backend.name, backend.address, backend.read_weight
        ),
    );
}

fn line(out: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    let _ = out.write_fmt(args);
    out.push('\n');
}
