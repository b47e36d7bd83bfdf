//! The monitor core: one task (on its own executor) that keeps a connection to every backend as
//! the `[monitor]` user, polls each one's executed GTID position, measures replication lag itself
//! (below one second, from the primary's position history), and publishes an immutable
//! [`ClusterView`] through the [`ViewCell`] in `router::Cluster`, which every shard reads with one
//! atomic load. Sessions waiting for a position are woken by each publish (`ViewCell::changed`);
//! while any waits, or a primary probe is requested, the monitor polls at its fast interval. With
//! `[monitor] push` it also follows each replica's binlog, and polls a replica as soon as it
//! applies a transaction. After each publish it measures freshness: how long after their ack
//! commits show up as applied on each replica (`router::Freshness`).
//!
//! Layout: [`view`] (the snapshot values), [`cell`] ([`ViewCell`]: publish, load, wait) and
//! [`demand`] (sessions asking for fast polls), [`query`] (a tiny text-protocol query), [`link`]
//! (one backend's monitor connection), [`lag`] (the position history), [`binlog`] (the push
//! path: binlog followers) and [`push_board`] (their states, shown to the shards), [`freshness`]
//! (matching commits against positions), [`poller`] (the schedule of rounds, logins and
//! followers), `round` (folding a round's results into a view), [`join`] (running a round's
//! queries concurrently), [`error`].
//!
//! It must not know the runtime (it sees `net::Net` only), touch `router::Health` (the shards own
//! it), relay anything to clients, or decide routing: it says what it saw and when.

pub mod binlog;
pub mod cell;
pub mod demand;
pub mod error;
pub mod freshness;
mod join;
pub mod lag;
pub mod link;
pub mod poller;
pub mod push_board;
pub mod query;
mod round;
pub mod view;

use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub use cell::{Changed, ViewCell};
pub use demand::{DemandWait, WaitingGuard};
pub use error::MonitorError;
pub use push_board::{PushBoard, PushCounts, PushStatus};
pub use view::{BackendView, ClusterView, PrimaryProbe};

use crate::config::Config;
use crate::net::Net;
use crate::pool::BackendTarget;
use crate::router::Cluster;
use binlog::Pushes;
use link::{Link, MonitorLogin};
use poller::{Monitor, Settings};

/// Runs the monitor until `stop` becomes true, publishing into `cluster.view`.
pub async fn run<N: Net>(
    net: N,
    cluster: Arc<Cluster>,
    config: Arc<Config>,
    stop: Arc<AtomicBool>,
) {
    let links: Vec<Link<N::Stream>> = cluster
        .backends
        .iter()
        .map(|b| {
            let target = BackendTarget {
                name: Rc::from(&*b.name),
                addr: b.addr,
            };
            Link::new(target, b.role)
        })
        .collect();
    let m = &config.monitor;
    let settings = Settings {
        poll_interval: m.poll_interval,
        fast_poll_interval: m.fast_poll_interval,
        timeout: config.pool.connect_timeout,
        keep_history: config.consistency.latency_threshold.saturating_mul(2),
        push: m.push,
    };
    let pushes = Pushes::new(links.len());
    tracing::info!(
        user = %m.user,
        poll_interval = ?settings.poll_interval,
        fast_poll_interval = ?settings.fast_poll_interval,
        push = settings.push,
        backends = links.len(),
        "monitor started"
    );
    Monitor {
        net: &net,
        cluster: &cluster,
        links: &links,
        login: MonitorLogin {
            user: m.user.as_bytes(),
            password: m.password.as_bytes(),
            timeout: config.pool.connect_timeout,
        },
        settings,
        stop: &stop,
        pushes: &pushes,
        server_id_base: binlog::dump::server_id_base(),
    }
    .run()
    .await;
    tracing::info!("monitor stopped");
}
