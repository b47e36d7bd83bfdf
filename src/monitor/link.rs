//! `Link`: the monitor's one connection to one backend, logged in as the `[monitor]` user: opening
//! it (with back-off after failures), polling the backend's executed GTID position over it, and
//! dropping it when a poll fails so that it is opened again.
//!
//! It owns the connection, its flavor and its reconnect schedule. It must not build views, judge
//! lag or touch `router::Health` (the shards own that); it reports what one poll found.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use crate::gtid::{Flavor, GtidSet};
use crate::net::{with_timeout, Net, Stream};
use crate::pool::{BackendConn, BackendTarget, LoginParams};
use crate::protocol::constants::{cap, com, DEFAULT_COLLATION};
use crate::protocol::packet::write_packet;
use crate::router::Role;

use super::error::MonitorError;
use super::query::query_first_row;

/// What the monitor connections ask for: protocol 4.1 basics, no schema, no TLS, no connection
/// attributes, nothing that changes how replies look beyond DEPRECATE_EOF (which `query` reads).
pub const MONITOR_CAPABILITIES: u32 = cap::SUPPORTED
    & !(cap::CONNECT_WITH_DB
        | cap::CONNECT_ATTRS
        | cap::SSL
        | cap::LOCAL_FILES
        | cap::MULTI_STATEMENTS
        | cap::SESSION_TRACK);

/// First wait after a failed login; doubled after each further failure.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest wait between login attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Who the monitor logs in as.
#[derive(Debug, Clone, Copy)]
pub struct MonitorLogin<'a> {
    pub user: &'a [u8],
    pub password: &'a [u8],
    pub timeout: Duration,
}

/// One successful poll.
#[derive(Debug, Clone)]
pub struct Polled {
    /// Just before the query was written.
    pub sent_at: Instant,
    /// When the reply was complete.
    pub received_at: Instant,
    pub executed: GtidSet,
}

/// The monitor's connection to one backend. Shared by the poll loop and the reconnect loop of one
/// task (interior mutability; no borrow is held across an await).
pub struct Link<S> {
    pub target: BackendTarget,
    pub role: Role,
    conn: RefCell<Option<BackendConn<S>>>,
    /// A poll has the connection out of `conn` right now: the link is up, not down.
    polling: Cell<bool>,
    flavor: Cell<Option<Flavor>>,
    backoff: Cell<Duration>,
    next_attempt: Cell<Instant>,
    /// Whether a login was tried at all (before that, reachability is unknown).
    tried: Cell<bool>,
    last_error: RefCell<Option<String>>,
}

impl<S> Link<S> {
    pub fn new(target: BackendTarget, role: Role) -> Self {
        Self {
            target,
            role,
            conn: RefCell::new(None),
            polling: Cell::new(false),
            flavor: Cell::new(None),
            backoff: Cell::new(BACKOFF_MIN),
            next_attempt: Cell::new(Instant::now()),
            tried: Cell::new(false),
            last_error: RefCell::new(None),
        }
    }

    pub fn is_connected(&self) -> bool {
        self.polling.get() || self.conn.borrow().is_some()
    }

    /// Whether a login attempt is due at `now`.
    pub fn login_due(&self, now: Instant) -> bool {
        !self.is_connected() && now >= self.next_attempt.get()
    }

    /// When the next login attempt is due, if the link is down.
    pub fn next_attempt(&self) -> Option<Instant> {
        (!self.is_connected()).then(|| self.next_attempt.get())
    }

    pub fn tried(&self) -> bool {
        self.tried.get()
    }

    /// The server's flavor, from the version string of the last login.
    pub fn flavor(&self) -> Option<Flavor> {
        self.flavor.get()
    }

    /// Why the link last failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.borrow().clone()
    }

    /// Records `e` and schedules the next login: after the back-off, or at once after a
    /// connection that worked broke.
    fn failed(&self, e: &MonitorError, back_off: bool) {
        *self.last_error.borrow_mut() = Some(e.to_string());
        let now = Instant::now();
        if back_off {
            let wait = self.backoff.get();
            self.next_attempt.set(now + wait);
            self.backoff.set((wait * 2).min(BACKOFF_MAX));
        } else {
            self.next_attempt.set(now);
        }
    }
}

impl<S: Stream> Link<S> {
    /// Opens and logs in the connection; on failure schedules the next attempt. Returns whether
    /// it succeeded.
    pub async fn connect<N: Net<Stream = S>>(&self, net: &N, login: &MonitorLogin<'_>) -> bool {
        let params = LoginParams {
            user: login.user,
            password: login.password,
            database: None,
            capabilities: MONITOR_CAPABILITIES,
            collation: DEFAULT_COLLATION,
            attributes: None,
        };
        let result = BackendConn::connect(net, &self.target, &params, login.timeout).await;
        self.tried.set(true);
        match result {
            Ok(conn) => {
                self.flavor.set(Some(conn.flavor()));
                *self.conn.borrow_mut() = Some(conn);
                *self.last_error.borrow_mut() = None;
                self.backoff.set(BACKOFF_MIN);
                true
            }
            Err(e) => {
                tracing::debug!(backend = %self.target.name, error = %e, "monitor login failed");
                self.failed(&MonitorError::Login(e), true);
                false
            }
        }
    }

    /// Reads the backend's executed position; `None` when the link is down. A failure drops the
    /// connection (a login is tried again at once, then with back-off).
    pub async fn poll<N: Net<Stream = S>>(
        &self,
        net: &N,
        timeout: Duration,
    ) -> Option<Result<Polled, MonitorError>> {
        let mut conn = self.conn.borrow_mut().take()?;
        let flavor = self.flavor.get().unwrap_or(Flavor::MySql);
        self.polling.set(true);
        let _done = Reset(&self.polling);
        let sent_at = Instant::now();
        let result = with_timeout(net, timeout, read_position(&mut conn, flavor, self.role))
            .await
            .unwrap_or(Err(MonitorError::TimedOut(timeout.as_millis())));
        match result {
            Ok(executed) => {
                *self.conn.borrow_mut() = Some(conn);
                Some(Ok(Polled {
                    sent_at,
                    received_at: Instant::now(),
                    executed,
                }))
            }
            Err(e) => {
                if e.leaves_connection_usable() {
                    *self.conn.borrow_mut() = Some(conn);
                    *self.last_error.borrow_mut() = Some(e.to_string());
                } else {
                    self.failed(&e, false);
                }
                Some(Err(e))
            }
        }
    }

    /// Says goodbye (COM_QUIT) and closes the connection, if any.
    pub async fn quit(&self) {
        let Some(mut conn) = self.conn.borrow_mut().take() else {
            return;
        };
        let mut out = Vec::with_capacity(5);
        write_packet(&mut out, 0, &[com::QUIT]);
        let _ = conn.conn.write_all(&out).await;
        conn.conn.close().await;
    }
}

/// Clears a flag when dropped (also when the poll is abandoned at shutdown).
struct Reset<'a>(&'a Cell<bool>);

impl Drop for Reset<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// The statement that reads a backend's executed position.
///
/// MySQL: `gtid_executed` everywhere. MariaDB: the primary's `gtid_binlog_pos`; on replicas
/// `gtid_slave_pos`, the position the applier has *committed* (it is updated in the same
/// transaction as the applied rows). Not `gtid_binlog_pos` or `gtid_current_pos` on replicas: with
/// `log_slave_updates` the binlog is written before the engine commit, so those can name a
/// transaction whose rows are not visible yet, and a read routed on them could miss it.
pub fn position_query(flavor: Flavor, role: Role) -> &'static str {
    match (flavor, role) {
        (Flavor::MySql, _) => "SELECT @@global.gtid_executed",
        (Flavor::MariaDb, Role::Primary) => "SELECT @@global.gtid_binlog_pos",
        (Flavor::MariaDb, Role::Replica) => "SELECT @@global.gtid_slave_pos",
    }
}

async fn read_position<S: Stream>(
    conn: &mut BackendConn<S>,
    flavor: Flavor,
    role: Role,
) -> Result<GtidSet, MonitorError> {
    let row = query_first_row(conn, position_query(flavor, role)).await?;
    let value = row
        .into_iter()
        .next()
        .flatten()
        .ok_or(MonitorError::NoValue)?;
    let text = std::str::from_utf8(&value).map_err(|_| MonitorError::Malformed("not UTF-8"))?;
    Ok(GtidSet::parse(text, flavor)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_replicas_read_the_committed_applied_position() {
        assert_eq!(
            position_query(Flavor::MariaDb, Role::Replica),
            "SELECT @@global.gtid_slave_pos"
        );
        assert_eq!(
            position_query(Flavor::MariaDb, Role::Primary),
            "SELECT @@global.gtid_binlog_pos"
        );
        assert_eq!(
            position_query(Flavor::MySql, Role::Replica),
            "SELECT @@global.gtid_executed"
        );
    }

    #[test]
    fn monitor_capabilities_leave_out_what_it_cannot_use() {
        for flag in [
            cap::SSL,
            cap::CONNECT_WITH_DB,
            cap::CONNECT_ATTRS,
            cap::LOCAL_FILES,
        ] {
            assert_eq!(MONITOR_CAPABILITIES & flag, 0);
        }
        assert_eq!(MONITOR_CAPABILITIES & cap::REQUIRED, cap::REQUIRED);
    }
}
