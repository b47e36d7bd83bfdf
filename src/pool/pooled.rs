//! `PooledConn`: a logged-in backend connection owned by a shard's pool or lent to a session,
//! with the state it carries. Dropping one (instead of giving it back) closes it and keeps the
//! pool's and the counters' connection counts right, whoever drops it. It must not decide when a
//! connection is given back.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use super::state::{ConnKey, ConnState};
use super::BackendConn;
use crate::router::Cluster;
use crate::signal::Signal;

/// One backend's connection accounting on one shard, shared by the pool and its connections.
pub(crate) struct Slot {
    pub open: Cell<usize>,
    /// Notified whenever a connection of this backend is given back or closed.
    pub freed: Signal,
    /// Notified when a checkout waits at the limit with no idle connection: idle sessions whose
    /// connection holds nothing of theirs (kept in case the next statement needs it, or
    /// `autocommit = 0` between transactions) give it back.
    pub wanted: Signal,
    pub cluster: Arc<Cluster>,
    pub index: usize,
}

impl Slot {
    pub fn opened(&self) {
        self.open.set(self.open.get() + 1);
        self.cluster.backends[self.index].counters.connections(1, 0);
    }

    fn closed(&self) {
        self.open.set(self.open.get().saturating_sub(1));
        self.cluster.backends[self.index]
            .counters
            .connections(-1, 0);
        self.freed.notify();
    }
}

pub struct PooledConn<S> {
    pub conn: BackendConn<S>,
    pub key: ConnKey,
    pub state: ConnState,
    pub(crate) slot: Rc<Slot>,
    pub(crate) idle_since: Instant,
}

impl<S> PooledConn<S> {
    /// Index of its backend in the cluster.
    pub fn backend(&self) -> usize {
        self.slot.index
    }
}

impl<S> Drop for PooledConn<S> {
    fn drop(&mut self) {
        self.slot.closed();
    }
}
