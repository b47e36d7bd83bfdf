//! `BackendCounters`: per backend, how many statements were routed to it and why, shared by all
//! shards as relaxed atomics (the only cross-core writes on the query path besides GTID merges).
//! Read by `SHOW SLUICE BACKENDS`. It must not decide routing.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::classify::PrimaryReason;

/// Why a statement went to the backend it went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteWhy {
    /// The statement's class: a read to a replica, or a statement only the primary may run.
    Class(Option<PrimaryReason>),
    /// A `/* sluice: … */` hint decided.
    Hint,
    /// The session is pinned to a connection (transaction, locks, temporary tables, ...).
    Pinned,
    /// It had to follow the previous statement's connection (`LAST_INSERT_ID()`, ...).
    SameConnection,
    /// A read went to the primary because no replica could take it.
    Fallback,
    /// A command that is not a statement (COM_INIT_DB, COM_FIELD_LIST, ...).
    Command,
}

/// Counters of one backend.
#[derive(Debug)]
pub struct BackendCounters {
    pub statements: AtomicU64,
    pub class: AtomicU64,
    pub hint: AtomicU64,
    pub pinned: AtomicU64,
    pub same_connection: AtomicU64,
    pub fallback: AtomicU64,
    pub command: AtomicU64,
    /// Reads retried here after another backend failed before answering.
    pub retries: AtomicU64,
    /// Connects that failed and connections lost.
    pub failures: AtomicU64,
    /// Statements routed here by class, per primary reason (index: `PrimaryReason::index`).
    pub reasons: Vec<AtomicU64>,
    /// Backend connections open, across shards.
    pub open_connections: AtomicI64,
    /// Of those, idle in a pool.
    pub idle_connections: AtomicI64,
}

impl Default for BackendCounters {
    fn default() -> Self {
        Self {
            statements: AtomicU64::new(0),
            class: AtomicU64::new(0),
            hint: AtomicU64::new(0),
            pinned: AtomicU64::new(0),
            same_connection: AtomicU64::new(0),
            fallback: AtomicU64::new(0),
            command: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            reasons: PrimaryReason::ALL
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect(),
            open_connections: AtomicI64::new(0),
            idle_connections: AtomicI64::new(0),
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl BackendCounters {
    /// Counts one statement routed here.
    pub fn routed(&self, why: RouteWhy) {
        bump(&self.statements);
        match why {
            RouteWhy::Class(reason) => {
                bump(&self.class);
                if let Some(r) = reason {
                    if let Some(c) = self.reasons.get(r.index()) {
                        bump(c);
                    }
                }
            }
            RouteWhy::Hint => bump(&self.hint),
            RouteWhy::Pinned => bump(&self.pinned),
            RouteWhy::SameConnection => bump(&self.same_connection),
            RouteWhy::Fallback => bump(&self.fallback),
            RouteWhy::Command => bump(&self.command),
        }
    }

    pub fn retried(&self) {
        bump(&self.retries);
    }

    pub fn failed(&self) {
        bump(&self.failures);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// `reason:count` for every primary reason counted, e.g. `write:12 transaction:3`.
    pub fn reasons_text(&self) -> String {
        let mut out = String::new();
        for (r, c) in PrimaryReason::ALL.iter().zip(&self.reasons) {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(r.as_str());
                out.push(':');
                out.push_str(&n.to_string());
            }
        }
        out
    }

    /// Adjusts the connection gauges.
    pub fn connections(&self, open: i64, idle: i64) {
        if open != 0 {
            self.open_connections.fetch_add(open, Ordering::Relaxed);
        }
        if idle != 0 {
            self.idle_connections.fetch_add(idle, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routed_counts_total_and_why() {
        let c = BackendCounters::default();
        c.routed(RouteWhy::Class(Some(PrimaryReason::Write)));
        c.routed(RouteWhy::Class(Some(PrimaryReason::Write)));
        c.routed(RouteWhy::Class(None));
        c.routed(RouteWhy::Pinned);
        assert_eq!(BackendCounters::get(&c.statements), 4);
        assert_eq!(BackendCounters::get(&c.class), 3);
        assert_eq!(BackendCounters::get(&c.pinned), 1);
        assert_eq!(c.reasons_text(), "write:2");
    }
}
