//! `BinlogError`: why one replica's binlog follower stopped (or never started). The follower logs
//! it, shows it as the replica's push state (`failed: <reason>`), and tries again later with
//! back-off; the replica is polled as before meanwhile. No client ever sees these.
//!
//! It must not decide the back-off or hold routing decisions.

use thiserror::Error;

use crate::error::{codes, ErrorInfo, MysqlError, Origin};
use crate::gtid::GtidError;
use crate::monitor::MonitorError;
use crate::pool::BackendError;
use crate::wire::WireError;

#[derive(Debug, Error)]
pub enum BinlogError {
    /// Connecting or logging in as the monitor user failed.
    #[error(transparent)]
    Login(#[from] BackendError),
    /// A statement before the dump failed (announcing the checksum, reading the position).
    #[error("setting up the binlog dump failed: {0}")]
    Setup(#[from] MonitorError),
    /// The connection broke or the setup took too long.
    #[error("binlog connection lost: {0}")]
    Lost(#[from] WireError),
    /// The server refused the dump or ended it with an ERR packet (for example the monitor user
    /// lacks REPLICATION SLAVE).
    #[error("{0}")]
    Server(MysqlError),
    /// The server ended the stream with an EOF packet.
    #[error("the server ended the binlog stream")]
    Ended,
    /// Nothing arrived, not even a heartbeat, for this long.
    #[error("no binlog event or heartbeat within {0} ms")]
    Silent(u128),
    /// The setup statements did not answer in time.
    #[error("no answer within {0} ms while setting up the binlog dump")]
    TimedOut(u128),
    /// A packet or an event did not have the shape the protocol gives it.
    #[error("malformed binlog stream: {0}")]
    Malformed(&'static str),
    /// The replica does not log what it applies: its binlog has nothing to follow.
    #[error("the replica does not write applied transactions to its binlog (log_slave_updates / log_replica_updates is off)")]
    NotLogged,
    /// The replica's executed set cannot be sent in COM_BINLOG_DUMP_GTID's untagged form.
    #[error("the executed GTID set has tagged GTIDs, which the binlog follower cannot encode")]
    TaggedSet,
    /// The replica's position did not parse.
    #[error("unreadable GTID position: {0}")]
    Gtid(#[from] GtidError),
}

impl ErrorInfo for BinlogError {
    fn origin(&self) -> Origin {
        match self {
            BinlogError::TaggedSet | BinlogError::NotLogged => Origin::Sluice,
            _ => Origin::Backend,
        }
    }

    fn retryable(&self) -> bool {
        // Following a binlog only reads: starting again is always safe.
        true
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            BinlogError::Login(e) => return e.mysql_error(),
            BinlogError::Setup(e) => return e.mysql_error(),
            BinlogError::Server(e) => e.clone(),
            other => MysqlError::new(codes::UNKNOWN_ERROR, "HY000", other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_their_code_and_text() {
        let denied = MysqlError::new(
            1227,
            "42000",
            "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s)",
        );
        let e = BinlogError::Server(denied.clone());
        assert_eq!(e.mysql_error(), Some(denied));
        assert!(e.to_string().contains("REPLICATION SLAVE"));
        assert!(e.retryable());
        assert_eq!(BinlogError::TaggedSet.origin(), Origin::Sluice);
        assert_eq!(
            BinlogError::Silent(3000).mysql_error().map(|e| e.code),
            Some(codes::UNKNOWN_ERROR)
        );
    }
}
