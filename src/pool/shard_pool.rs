//! `ShardPool`: one shard's backend connections, per backend: idle connections kept for reuse
//! (most recently used first), a limit on how many are open, lazy creation, a wait when the
//! limit is reached, and the upkeep (`maintain`): closing connections idle past the idle timeout
//! above `min_idle`, pinging long-idle ones and closing the broken, topping up `min_idle`, and
//! probing backends marked down so they come back when healthy.
//!
//! A checkout picks the idle connection that needs the fewest commands to match the session
//! (same key; its settings a prefix of the session's), then brings it in line (`sync`). It must
//! not choose the backend (that is `router` and the session).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::debug;

use super::pooled::{PooledConn, Slot};
use super::state::{ConnState, LoginSpec, Wanted};
use super::sync::{sync, SyncError};
use super::{BackendConn, BackendError, BackendTarget, LoginParams};
use crate::config::PoolConfig;
use crate::net::{with_timeout, Net};
use crate::protocol::constants::{cap, com};
use crate::protocol::packet::write_small_packet;
use crate::protocol::reply::{ReplyKind, ReplyTracker};
use crate::router::Cluster;
use crate::wire::drain_reply;

/// How often `maintain` runs.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);
/// Idle connections unused this long are pinged by the upkeep (and closed if broken).
const PING_AFTER: Duration = Duration::from_secs(30);

struct BackendPool<S> {
    target: BackendTarget,
    slot: Rc<Slot>,
    idle: RefCell<Vec<PooledConn<S>>>,
    /// The login of the last checkout, to open `min_idle` connections and probe with.
    last_login: RefCell<Option<LoginSpec>>,
}

pub struct ShardPool<S> {
    cluster: Arc<Cluster>,
    backends: Vec<BackendPool<S>>,
    cfg: PoolConfig,
}

impl<S: crate::net::Stream> ShardPool<S> {
    pub fn new(cluster: Arc<Cluster>, cfg: PoolConfig) -> Self {
        let backends = cluster
            .backends
            .iter()
            .enumerate()
            .map(|(index, b)| BackendPool {
                target: BackendTarget {
                    name: Rc::from(&*b.name),
                    addr: b.addr,
                },
                slot: Rc::new(Slot {
                    open: Default::default(),
                    freed: Default::default(),
                    wanted: Default::default(),
                    cluster: cluster.clone(),
                    index,
                }),
                idle: RefCell::new(Vec::new()),
                last_login: RefCell::new(None),
            })
            .collect();
        Self {
            cluster,
            backends,
            cfg,
        }
    }

    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    pub fn target(&self, backend: usize) -> &BackendTarget {
        &self.backends[backend].target
    }

    /// A connection to `backend` for `login`'s key, brought in line with `want`.
    pub async fn checkout<N: Net<Stream = S>>(
        &self,
        net: &N,
        backend: usize,
        login: &LoginSpec,
        want: &Wanted<'_>,
    ) -> Result<PooledConn<S>, BackendError> {
        let pool = &self.backends[backend];
        if pool.last_login.borrow().as_ref().map(|l| &l.key) != Some(&login.key) {
            *pool.last_login.borrow_mut() = Some(login.clone());
        }
        let deadline = Instant::now() + self.cfg.connect_timeout;
        loop {
            // An idle connection that matches; else one of the same user whose settings do not
            // fit (another session's SET NAMES, ...), reset rather than a new one opened: one
            // round trip instead of a login, and the pool does not grow with every client that
            // sets something.
            let reused = match self.take_idle(backend, login, want) {
                Some(c) => Some(c),
                None => self.take_resettable(backend, login, want).map(|mut c| {
                    c.state.reset_for(want);
                    c
                }),
            };
            if let Some(mut c) = reused {
                // A statement reading what its session's previous statement left: on a clean
                // connection (see `Wanted::last_insert_id`).
                if want.last_insert_id.is_some() && !c.state.reset {
                    c.state.reset_for(want);
                }
                return match sync(&mut c.conn, &mut c.state, want, false).await {
                    Ok(()) => Ok(c),
                    // An idle connection the server closed (restart, kill, wait_timeout): the
                    // others idle with it are likely gone too. Nothing of the session's was
                    // sent, so go on with a fresh one.
                    Err(SyncError::Wire(_)) => {
                        drop(c);
                        self.discard_idle(backend);
                        continue;
                    }
                    Err(e) => Err(self.sync_failed(backend, e)),
                };
            }
            if pool.slot.open.get() < self.cfg.max_per_shard {
                return self.open(net, backend, login, want).await;
            }
            // At the limit: make room by closing an idle connection no use to this session.
            if let Some(c) = pool.idle.borrow_mut().pop() {
                self.cluster.backends[backend].counters.connections(0, -1);
                drop(c);
                continue;
            }
            // Ask idle sessions whose connection holds nothing of theirs to give it back.
            pool.slot.wanted.notify();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero()
                || with_timeout(net, left, pool.slot.freed.wait())
                    .await
                    .is_none()
            {
                return Err(BackendError::PoolExhausted {
                    name: pool.target.name.to_string(),
                    limit: self.cfg.max_per_shard,
                });
            }
        }
    }

    /// Resolves when a checkout of `backend` waits at the limit (see `Slot::wanted`).
    pub fn wanted(&self, backend: usize) -> crate::signal::SignalWait {
        self.backends[backend].slot.wanted.wait()
    }

    /// Brings a connection the session already has in line with `want` (see [`sync`]).
    pub async fn bring_in_line(
        &self,
        conn: &mut PooledConn<S>,
        want: &Wanted<'_>,
    ) -> Result<(), BackendError> {
        let backend = conn.backend();
        sync(&mut conn.conn, &mut conn.state, want, false)
            .await
            .map_err(|e| self.sync_failed(backend, e))
    }

    /// Gives a connection back for reuse (or closes it if it carries state no one else may see).
    pub fn checkin(&self, mut conn: PooledConn<S>) {
        if conn.state.tainted || !conn.conn.conn.rbuf.is_empty() {
            return;
        }
        let backend = conn.backend();
        conn.idle_since = Instant::now();
        self.cluster.backends[backend].counters.connections(0, 1);
        let pool = &self.backends[backend];
        pool.idle.borrow_mut().push(conn);
        pool.slot.freed.notify();
    }

    /// Closes every idle connection to `backend`: one of them was found closed by the server.
    pub fn discard_idle(&self, backend: usize) {
        let stale: Vec<PooledConn<S>> =
            self.backends[backend].idle.borrow_mut().drain(..).collect();
        let n = stale.len() as i64;
        self.cluster.backends[backend].counters.connections(0, -n);
        drop(stale);
    }

    /// The most recently used idle connection of `login`'s key that can be reset for `want`
    /// (a reset cannot leave a connection without a schema, so a session without one needs a
    /// connection without one).
    fn take_resettable(
        &self,
        backend: usize,
        login: &LoginSpec,
        want: &Wanted<'_>,
    ) -> Option<PooledConn<S>> {
        let mut idle = self.backends[backend].idle.borrow_mut();
        let i = idle.iter().rposition(|c| {
            c.key == login.key && (want.schema.is_some() || c.state.schema.is_none())
        })?;
        self.cluster.backends[backend].counters.connections(0, -1);
        Some(idle.remove(i))
    }

    fn take_idle(
        &self,
        backend: usize,
        login: &LoginSpec,
        want: &Wanted<'_>,
    ) -> Option<PooledConn<S>> {
        let mut idle = self.backends[backend].idle.borrow_mut();
        let mut best: Option<(usize, usize)> = None;
        for (i, c) in idle.iter().enumerate().rev() {
            if c.key != login.key {
                continue;
            }
            if let Some(d) = c.state.distance(want) {
                if best.map_or(true, |(_, bd)| d < bd) {
                    best = Some((i, d));
                    if d == 0 {
                        break;
                    }
                }
            }
        }
        let (i, _) = best?;
        self.cluster.backends[backend].counters.connections(0, -1);
        Some(idle.remove(i))
    }

    async fn open<N: Net<Stream = S>>(
        &self,
        net: &N,
        backend: usize,
        login: &LoginSpec,
        want: &Wanted<'_>,
    ) -> Result<PooledConn<S>, BackendError> {
        let pool = &self.backends[backend];
        let info = &self.cluster.backends[backend];
        pool.slot.opened();
        // Counted as open from here: a failure below drops `guard`, which un-counts it.
        let guard = OpenGuard(&pool.slot);
        let params = LoginParams {
            user: &login.key.user,
            password: &login.password,
            database: want.schema.map(|s| &s[..]),
            capabilities: login.key.capabilities,
            collation: login.key.collation,
            attributes: login.attributes.as_deref(),
        };
        let conn = match BackendConn::connect(net, &pool.target, &params, self.cfg.connect_timeout)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                if matches!(
                    e,
                    BackendError::Unreachable { .. }
                        | BackendError::LoginTimeout { .. }
                        | BackendError::Lost { .. }
                ) {
                    info.health.mark_failed();
                    info.counters.failed();
                }
                return Err(e);
            }
        };
        info.health.mark_ok();
        std::mem::forget(guard);
        let multi = conn.capabilities & cap::MULTI_STATEMENTS != 0;
        let mut c = PooledConn {
            conn,
            key: login.key.clone(),
            state: ConnState::new(want.schema.cloned(), multi),
            slot: pool.slot.clone(),
            idle_since: Instant::now(),
        };
        match sync(&mut c.conn, &mut c.state, want, true).await {
            Ok(()) => Ok(c),
            Err(e) => Err(self.sync_failed(backend, e)),
        }
    }

    fn sync_failed(&self, backend: usize, e: SyncError) -> BackendError {
        let t = &self.backends[backend].target;
        match e {
            SyncError::Refused(error) => BackendError::SyncRefused {
                name: t.name.to_string(),
                error,
            },
            SyncError::Wire(source) => {
                self.cluster.backends[backend].counters.failed();
                BackendError::Lost {
                    name: t.name.to_string(),
                    addr: t.addr,
                    source,
                }
            }
        }
    }

    /// The upkeep loop; runs until `stop` resolves. See the module doc.
    pub async fn maintain<N: Net<Stream = S>>(&self, net: &N, stop: impl std::future::Future) {
        let upkeep = async {
            loop {
                net.sleep(UPKEEP_EVERY).await;
                for backend in 0..self.backends.len() {
                    self.upkeep(net, backend).await;
                }
            }
        };
        futures_lite::future::or(upkeep, async {
            stop.await;
        })
        .await;
        for b in &self.backends {
            let n = b.idle.borrow().len() as i64;
            self.cluster.backends[b.slot.index]
                .counters
                .connections(0, -n);
            b.idle.borrow_mut().clear();
        }
    }

    async fn upkeep<N: Net<Stream = S>>(&self, net: &N, backend: usize) {
        let pool = &self.backends[backend];
        let info = &self.cluster.backends[backend];
        let now = Instant::now();
        // Close idle connections past the idle timeout, oldest first, keeping `min_idle`.
        {
            let mut idle = pool.idle.borrow_mut();
            while idle.len() > self.cfg.min_idle
                && idle
                    .first()
                    .is_some_and(|c| now.duration_since(c.idle_since) >= self.cfg.idle_timeout)
            {
                idle.remove(0);
                info.counters.connections(0, -1);
            }
        }
        // Ping the long-idle ones; close the broken.
        let stale: Vec<PooledConn<S>> = {
            let mut idle = pool.idle.borrow_mut();
            let (old, fresh): (Vec<_>, Vec<_>) = idle
                .drain(..)
                .partition(|c| now.duration_since(c.idle_since) >= PING_AFTER);
            *idle = fresh;
            info.counters.connections(0, -(old.len() as i64));
            old
        };
        for mut c in stale {
            if ping(net, &mut c.conn, self.cfg.connect_timeout).await {
                self.checkin(c);
            } else {
                debug!(backend = %pool.target.name, "idle backend connection broken; closed");
            }
        }
        let login = pool.last_login.borrow().clone();
        let Some(login) = login else { return };
        let settings = Rc::from(Vec::new());
        let want = Wanted {
            schema: None,
            settings: &settings,
            multi_statements: login.key.capabilities & cap::MULTI_STATEMENTS != 0,
            last_insert_id: None,
        };
        // Probe a backend marked down (its back-off passed), and top up `min_idle`.
        let probe = info.health.is_down() && info.health.usable();
        let short = pool.idle.borrow().len() < self.cfg.min_idle
            && pool.slot.open.get() < self.cfg.max_per_shard;
        if probe || short {
            match self.open(net, backend, &login, &want).await {
                Ok(c) => self.checkin(c),
                Err(e) => debug!(backend = %pool.target.name, error = ?e, "backend probe failed"),
            }
        }
    }
}

/// Un-counts a connection whose opening failed.
struct OpenGuard<'a>(&'a Slot);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open.set(self.0.open.get().saturating_sub(1));
        self.0.cluster.backends[self.0.index]
            .counters
            .connections(-1, 0);
        self.0.freed.notify();
    }
}

/// COM_PING on an idle connection: true if it answered OK in time.
async fn ping<N: Net>(net: &N, conn: &mut BackendConn<N::Stream>, timeout: Duration) -> bool {
    let mut out = Vec::with_capacity(5);
    write_small_packet(&mut out, 0, |p| p.push(com::PING));
    let exchange = async {
        conn.conn.write_all(&out).await.ok()?;
        let mut tracker = ReplyTracker::new(ReplyKind::Single, conn.capabilities);
        let (outcome, _) = drain_reply(&mut conn.conn, &mut tracker).await.ok()?;
        (!outcome.error).then_some(())
    };
    with_timeout(net, timeout, exchange)
        .await
        .flatten()
        .is_some()
}
