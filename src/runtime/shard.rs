//! One shard: its listeners (SO_REUSEPORT, so every shard accepts on the same addresses and the
//! kernel spreads connections), its accept loops, its sessions, and its part of shutdown.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use glommio::net::TcpListener;
use tracing::{debug, info, warn};

use super::net::GlommioNet;
use super::RuntimeError;
use crate::auth::UserStore;
use crate::config::Config;
use crate::net::Shutdown;
use crate::pool::ShardPool;
use crate::router::Cluster;
use crate::session::{run_session, ServerIdentity, ShardContext, ShardShared};

/// How often a shard looks at the process-wide stop flag. Only shutdown waits on this.
const STOP_POLL: Duration = Duration::from_millis(50);
/// How long shutdown waits for in-flight replies (a long query, a stuck backend) before closing
/// the sessions anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub async fn run_shard(
    shard: u32,
    config: Arc<Config>,
    cluster: Arc<Cluster>,
    identity: ServerIdentity,
    stop: Arc<AtomicBool>,
) -> Result<(), RuntimeError> {
    let shutdown = Shutdown::new();
    let mut shared = ShardShared::new(
        GlommioNet,
        shard,
        UserStore::new(&config.users),
        ShardPool::new(cluster, config.pool.clone()),
        identity,
        shutdown.clone(),
    );
    shared.reads = config.consistency.clone();
    let shared = Rc::new(shared);
    // One context per listener: listeners may require different auth plugins and levels.
    let mut listeners = Vec::new();
    for l in &config.listeners {
        let listener = listen(l.address).map_err(|source| RuntimeError::Listen {
            shard,
            address: l.address,
            source,
        })?;
        let ctx = Rc::new(ShardContext {
            shared: shared.clone(),
            auth_plugin: l.auth_plugin.into(),
            consistency: l.consistency,
        });
        listeners.push((listener, ctx));
    }
    let upkeep = {
        let shared = shared.clone();
        let stop = shutdown.clone();
        glommio::spawn_local(async move {
            shared.pool.maintain(&shared.net, stop.wait()).await;
        })
    };
    let cpu = current_cpu();
    info!(shard, cpu = ?cpu, listeners = ?config.listeners.iter().map(|l| l.address).collect::<Vec<_>>(), "shard ready");

    let active = Rc::new(Cell::new(0usize));
    let mut accept_tasks = Vec::new();
    for (listener, ctx) in listeners {
        let active = active.clone();
        let shutdown = shutdown.clone();
        accept_tasks.push(glommio::spawn_local(accept_loop(
            listener, ctx, active, shutdown,
        )));
    }
    while !stop.load(Ordering::SeqCst) {
        glommio::timer::sleep(STOP_POLL).await;
    }
    shutdown.trigger();
    for t in accept_tasks {
        t.await;
    }
    let started = std::time::Instant::now();
    while active.get() > 0 {
        if started.elapsed() > SHUTDOWN_GRACE {
            warn!(
                shard,
                sessions = active.get(),
                "replies still in flight after the shutdown grace period; closing them"
            );
            break;
        }
        glommio::timer::sleep(Duration::from_millis(5)).await;
    }
    upkeep.await;
    info!(shard, "shard stopped");
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Rc<ShardContext<GlommioNet>>,
    active: Rc<Cell<usize>>,
    shutdown: Shutdown,
) {
    loop {
        let accepted = shutdown.unless_triggered(listener.accept()).await;
        let Some(accepted) = accepted else { return };
        let stream = match accepted {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "accept failed");
                glommio::timer::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            debug!(error = %e, "set_nodelay failed");
        }
        let peer = match stream.peer_addr() {
            Ok(p) => p,
            Err(_) => continue,
        };
        let ctx = ctx.clone();
        let active = active.clone();
        active.set(active.get() + 1);
        glommio::spawn_local(async move {
            run_session(ctx, stream, peer).await;
            active.set(active.get() - 1);
        })
        .detach();
    }
}

/// The CPU this thread runs on, for the start-up log that shows pinning took effect.
pub(super) fn current_cpu() -> Option<usize> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Field 39 (processor); the command name (field 2) may contain spaces, so count from ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(36)?.parse().ok()
}

/// How long [`wait_free`] waits for a listener that is going away.
const FREE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// [`check_free`], waiting up to [`FREE_WAIT`] while the address is in use: a sluice that just
/// exited may still hold its listening socket for a moment, because its io_uring instances (with
/// an accept pending on that socket) are torn down by the kernel after the process is gone.
pub(super) fn wait_free(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match check_free(addr) {
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse && started.elapsed() < FREE_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(()) if started.elapsed() >= std::time::Duration::from_millis(50) => {
                tracing::info!(%addr, waited = ?started.elapsed(), "listener address became free");
                return Ok(());
            }
            other => return other,
        }
    }
}

/// Fails if another socket listens on `addr` (a plain bind, without SO_REUSEPORT). It never
/// listens itself, so no client can connect to it and be reset when it closes.
pub(super) fn check_free(addr: std::net::SocketAddr) -> std::io::Result<()> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())
}

/// A listening socket with SO_REUSEPORT (every shard binds the same address; the kernel spreads
/// connections) and SO_REUSEADDR (a restarted sluice can bind while connections it closed wait
/// out TIME_WAIT; glommio's own `bind` sets only the first).
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::os::unix::io::{FromRawFd, IntoRawFd};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    let fd = socket.into_raw_fd();
    // SAFETY: `fd` is a bound, listening TCP socket that nothing else owns: `into_raw_fd` gave up
    // ownership, and the listener takes it over (and closes it).
    #[allow(unsafe_code)]
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    Ok(listener)
}
