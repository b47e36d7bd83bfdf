//! The runtime: one glommio executor per shard (pinned as configured), each with its own
//! SO_REUSEPORT listener per configured address and its own backend connections, one more for the
//! monitor (`[monitor].cpu`), plus signal handling and a clean shutdown (stop accepting, let
//! in-flight replies finish, close). This is the one module that knows glommio; everything else
//! sees `net::Net`.

mod error;
mod identity;
mod monitor;
mod net;
mod shard;
mod signals;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use glommio::{LocalExecutorBuilder, Placement};
use tracing::{info, warn};

use crate::config::Config;
pub use error::RuntimeError;
pub use monitor::{spawn_monitor, MonitorHandle};

/// io_uring registered-buffer memory per executor. Small: sluice does its own buffering, and the
/// locked-memory limit on many hosts is a few MiB.
const IO_MEMORY: usize = 512 * 1024;

/// Runs sluice until SIGINT or SIGTERM, then shuts down cleanly.
pub fn run(config: Config) -> Result<(), RuntimeError> {
    let stop = Arc::new(AtomicBool::new(false));
    signals::install(stop.clone())?;
    run_until(config, stop)
}

/// Runs sluice until `stop` becomes true.
pub fn run_until(config: Config, stop: Arc<AtomicBool>) -> Result<(), RuntimeError> {
    // The shards bind with SO_REUSEPORT, which would let a second sluice (or anything else with
    // SO_REUSEPORT) silently share the port. A plain bind first makes "address in use" an error
    // (after a short wait, for a predecessor whose socket the kernel is still closing).
    for l in &config.listeners {
        shard::wait_free(l.address).map_err(|source| RuntimeError::Listen {
            shard: 0,
            address: l.address,
            source,
        })?;
    }
    let identity = identity::probe(
        &config.backends.primary.socket_addr,
        config.pool.connect_timeout,
    );
    match &identity {
        Some(id) => info!(version = %id.version, "primary identity learned"),
        None => {
            warn!(primary = %config.backends.primary.address, "primary unreachable at start-up; greeting clients with defaults")
        }
    }
    let identity = identity.unwrap_or_default();
    let config = Arc::new(config);
    let cluster = crate::router::Cluster::new(&config.backends);
    let monitor = spawn_monitor(config.clone(), cluster.clone(), stop.clone())?;
    let mut handles = Vec::new();
    for shard in 0..config.shards.count {
        let placement = match &config.shards.cpus {
            Some(cpus) => Placement::Fixed(cpus[shard]),
            None => Placement::Unbound,
        };
        let config = config.clone();
        let identity = identity.clone();
        let shard_stop = stop.clone();
        let cluster = cluster.clone();
        let spawned = LocalExecutorBuilder::new(placement)
            .name(&format!("sluice-shard-{shard}"))
            .io_memory(IO_MEMORY)
            .spawn(move || async move {
                shard::run_shard(shard as u32, config, cluster, identity, shard_stop).await
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                // Stop what already runs (the monitor, earlier shards) before reporting.
                stop.store(true, Ordering::SeqCst);
                for h in handles {
                    let _ = h.join();
                }
                let _ = monitor.join();
                return Err(RuntimeError::Executor {
                    shard,
                    source: std::io::Error::from(e),
                });
            }
        }
    }
    let mut first_error = None;
    for (shard, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                stop.store(true, Ordering::SeqCst);
                first_error.get_or_insert(e);
            }
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                first_error.get_or_insert(RuntimeError::Executor {
                    shard,
                    source: std::io::Error::from(e),
                });
            }
        }
    }
    // The shards stop only once the flag is set; make sure the monitor sees it too.
    stop.store(true, Ordering::SeqCst);
    if let Err(e) = monitor.join() {
        first_error.get_or_insert(e);
    }
    match first_error {
        Some(e) => Err(e),
        None => {
            info!("sluice stopped");
            Ok(())
        }
    }
}
