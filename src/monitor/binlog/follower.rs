//! `Follower`: one replica's binlog follower, an endless async loop on the monitor's task. It logs
//! in as the `[monitor]` user on its own connection, announces itself as a replication client
//! (`dump::setup_statement`), asks for the binlog from the replica's current position on, and
//! reads events (`stream::next_event`), telling `Pushes` of every GTID. When the stream fails —
//! the user lacks REPLICATION SLAVE, the replica restarts, nothing arrives for a while — it shows
//! the reason as the replica's push status and tries again with back-off; the replica is polled
//! on the regular schedule meanwhile.
//!
//! It owns its connection and its retry schedule. It must not poll positions or publish views
//! (a pushed GTID is only a wake-up for the poller), and sees the runtime only through `Net`.

use std::cell::Cell;
use std::time::{Duration, Instant};

use futures_lite::future;
use tracing::info;

use crate::gtid::{Flavor, GtidSet};
use crate::net::{with_timeout, Net, Stream};
use crate::pool::{BackendConn, BackendTarget, LoginParams};
use crate::protocol::constants::DEFAULT_COLLATION;
use crate::protocol::packet::write_packet;

use super::super::link::{MonitorLogin, MONITOR_CAPABILITIES};
use super::super::push_board::PushStatus;
use super::super::query::query_first_row;
use super::dump::{mariadb_dump, mysql_dump_gtid, setup_statement, start_query, HEARTBEAT_NS};
use super::error::BinlogError;
use super::event::Seen;
use super::push::Pushes;
use super::stream::{next_event, Next};

/// First wait after a failed attempt; doubled after each further failure.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest wait between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// A stream that brought nothing, not even a heartbeat, for this long is given up.
const SILENCE: Duration = Duration::from_nanos(HEARTBEAT_NS * 5);

/// One replica's follower.
pub struct Follower<'a, N: Net> {
    pub net: &'a N,
    pub target: &'a BackendTarget,
    pub login: &'a MonitorLogin<'a>,
    /// This follower's replication server id (unique per link and per monitor).
    pub server_id: u32,
    /// The replica's index in the monitor's links.
    pub index: usize,
    pub pushes: &'a Pushes,
}

impl<N: Net> Follower<'_, N> {
    /// Follows the replica's binlog for ever (the caller drops this future to stop it).
    pub async fn run(&self) {
        let mut backoff = BACKOFF_MIN;
        let mut last_reason = String::new();
        loop {
            self.pushes.set_status(self.index, PushStatus::Connecting);
            let streamed = Cell::new(false);
            let error = self.session(&streamed).await;
            let reason = error.to_string();
            if streamed.get() {
                backoff = BACKOFF_MIN;
            }
            if reason != last_reason {
                info!(
                    backend = %self.target.name,
                    error = %reason,
                    retry_in = ?backoff,
                    "monitor: binlog follower stopped, polling only until it is back"
                );
                last_reason = reason.clone();
            }
            self.pushes
                .set_status(self.index, PushStatus::Failed(reason.into()));
            self.net.sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// One connection: login, setup, dump, events until something fails. Sets `streamed` once
    /// events flow.
    async fn session(&self, streamed: &Cell<bool>) -> BinlogError {
        let params = LoginParams {
            user: self.login.user,
            password: self.login.password,
            database: None,
            capabilities: MONITOR_CAPABILITIES,
            collation: DEFAULT_COLLATION,
            attributes: None,
        };
        let mut conn =
            match BackendConn::connect(self.net, self.target, &params, self.login.timeout).await {
                Ok(c) => c,
                Err(e) => return e.into(),
            };
        let timeout = self.login.timeout;
        match with_timeout(self.net, timeout, self.start_dump(&mut conn)).await {
            None => return BinlogError::TimedOut(timeout.as_millis()),
            Some(Err(e)) => return e,
            Some(Ok(())) => {}
        }
        let last_event = Cell::new(Instant::now());
        let read = async {
            loop {
                let next = match next_event(&mut conn.conn).await {
                    Ok(n) => n,
                    Err(e) => return e,
                };
                last_event.set(Instant::now());
                let Next::Event(_, seen) = next else {
                    return BinlogError::Ended;
                };
                if !streamed.replace(true) {
                    self.pushes.set_status(self.index, PushStatus::On);
                    info!(
                        backend = %self.target.name,
                        server_id = self.server_id,
                        "monitor: following the binlog (push on)"
                    );
                }
                match seen {
                    Seen::Gtid(g) => self.pushes.pushed(self.index, Some(&g)),
                    Seen::UndecodedGtid => self.pushes.pushed(self.index, None),
                    Seen::Other => {}
                }
            }
        };
        let watchdog = async {
            loop {
                self.net.sleep(SILENCE / 4).await;
                if last_event.get().elapsed() > SILENCE {
                    return BinlogError::Silent(SILENCE.as_millis());
                }
            }
        };
        future::or(read, watchdog).await
    }

    /// Announces the follower, checks the replica logs what it applies, reads the start position
    /// (MySQL) and sends the dump command.
    async fn start_dump<S: Stream>(&self, conn: &mut BackendConn<S>) -> Result<(), BinlogError> {
        let flavor = conn.flavor();
        query_first_row(conn, &setup_statement(flavor)).await?;
        let mut row = query_first_row(conn, start_query(flavor))
            .await?
            .into_iter();
        if row.next().flatten().as_deref() != Some(b"1") {
            return Err(BinlogError::NotLogged);
        }
        let command = match flavor {
            Flavor::MariaDb => mariadb_dump(self.server_id),
            Flavor::MySql => {
                let value = row.next().flatten().unwrap_or_default();
                let text = std::str::from_utf8(&value)
                    .map_err(|_| BinlogError::Malformed("executed set is not UTF-8"))?;
                match GtidSet::parse(text, Flavor::MySql)? {
                    GtidSet::MySql(set) => mysql_dump_gtid(self.server_id, &set)?,
                    GtidSet::MariaDb(_) => return Err(BinlogError::Malformed("not a MySQL set")),
                }
            }
        };
        let mut out = Vec::with_capacity(command.len() + 4);
        write_packet(&mut out, 0, &command);
        conn.conn.write_all(&out).await?;
        Ok(())
    }
}
