//! The monitor's executor: one more glommio executor, "sluice-monitor", pinned to
//! `[monitor].cpu` (or left to the OS), that runs `monitor::run` with the glommio `Net` until the
//! stop flag is set. It owns only the thread and its placement; the monitor's logic lives in
//! `monitor` and sees `net::Net` only.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use glommio::{ExecutorJoinHandle, LocalExecutorBuilder, Placement};
use tracing::info;

use super::net::GlommioNet;
use super::shard::current_cpu;
use super::{RuntimeError, IO_MEMORY};
use crate::config::Config;
use crate::router::Cluster;

/// The running monitor executor.
pub struct MonitorHandle {
    handle: ExecutorJoinHandle<()>,
}

impl MonitorHandle {
    /// Waits for the monitor to stop (set the stop flag first).
    pub fn join(self) -> Result<(), RuntimeError> {
        self.handle
            .join()
            .map_err(|e| RuntimeError::Monitor(std::io::Error::from(e)))
    }
}

/// Starts the monitor on its own executor; it publishes into `cluster.view` until `stop` is set.
/// `run_until` uses this; so can tests that want the monitor without the shards.
pub fn spawn_monitor(
    config: Arc<Config>,
    cluster: Arc<Cluster>,
    stop: Arc<AtomicBool>,
) -> Result<MonitorHandle, RuntimeError> {
    let placement = match config.monitor.cpu {
        Some(cpu) => Placement::Fixed(cpu),
        None => Placement::Unbound,
    };
    let handle = LocalExecutorBuilder::new(placement)
        .name("sluice-monitor")
        .io_memory(IO_MEMORY)
        .spawn(move || async move {
            info!(cpu = ?current_cpu(), pinned = ?config.monitor.cpu, "monitor executor ready");
            crate::monitor::run(GlommioNet, cluster, config, stop).await;
        })
        .map_err(|e| RuntimeError::Monitor(std::io::Error::from(e)))?;
    Ok(MonitorHandle { handle })
}
