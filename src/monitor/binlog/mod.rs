//! The monitor's push path: a replication client per replica that follows the replica's own
//! binlog (replicas log what they apply, `log_slave_updates` / `log_replica_updates`), so that
//! a newly applied transaction wakes the poller within microseconds instead of at the next poll.
//! The binlog is written, and dump threads woken, just before the engine commit makes rows
//! visible: a pushed GTID is only a wake-up; the poller confirms with a poll, and published
//! positions always come from polls.
//!
//! Layout: [`event`] (event headers and GTID events from borrowed bytes), [`stream`] (reading
//! events off the connection, skipping their bodies without buffering them), [`dump`] (the setup
//! statement and the dump commands), [`follower`] (the per-replica loop), [`push`] (what the
//! followers tell the poller), [`error`] ([`BinlogError`]), [`fuzz_entry`] (checks for the
//! `binlog_event` fuzz target).
//!
//! It must not publish views, decide routing, or know the runtime (it sees `net::Net` only).

pub mod dump;
pub mod error;
pub mod event;
pub mod follower;
pub mod fuzz_entry;
pub mod push;
pub mod stream;

pub use error::BinlogError;
pub use follower::Follower;
pub use push::Pushes;

/// Bytes captured from the topology's replicas, for the unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    /// MariaDB 10.11 replica (3308): `COM_BINLOG_DUMP` reply, packets with their headers.
    pub const MARIADB_STREAM: &[u8] = include_bytes!("fixtures/mariadb-stream.bin");
    /// MySQL 9.7 replica (3318): `COM_BINLOG_DUMP_GTID` reply, packets with their headers.
    pub const MYSQL_STREAM: &[u8] = include_bytes!("fixtures/mysql-stream.bin");
}
