//! `MonitorError`: why one monitor poll or login failed. The monitor logs these and marks the
//! backend unreachable in its view; no client ever sees them. Must not hold routing decisions.

use thiserror::Error;

use crate::error::{codes, ErrorInfo, MysqlError, Origin};
use crate::gtid::GtidError;
use crate::pool::BackendError;
use crate::wire::WireError;

#[derive(Debug, Error)]
pub enum MonitorError {
    /// Connecting or logging in as the monitor user failed.
    #[error(transparent)]
    Login(#[from] BackendError),
    /// The connection broke during a poll.
    #[error("monitor connection lost: {0}")]
    Lost(#[from] WireError),
    /// The server answered the poll with an ERR packet.
    #[error("server refused the monitor query: {0}")]
    Server(MysqlError),
    /// The reply did not follow the text protocol.
    #[error("malformed reply to the monitor query: {0}")]
    Malformed(&'static str),
    /// The reply did not arrive in time.
    #[error("no reply to the monitor query within {0} ms")]
    TimedOut(u128),
    /// The reply had no value where a GTID position was expected.
    #[error("the monitor query returned no value")]
    NoValue,
    /// The position text did not parse.
    #[error("unreadable GTID position from the server: {0}")]
    Gtid(#[from] GtidError),
}

impl MonitorError {
    /// Whether the reply was read to its end, so the connection can take the next poll (the
    /// server refused the query, or its value was unusable).
    pub fn leaves_connection_usable(&self) -> bool {
        matches!(
            self,
            MonitorError::Server(_) | MonitorError::NoValue | MonitorError::Gtid(_)
        )
    }
}

impl ErrorInfo for MonitorError {
    fn origin(&self) -> Origin {
        Origin::Backend
    }

    fn retryable(&self) -> bool {
        // Polls only read: trying again is always safe.
        true
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            MonitorError::Login(e) => return e.mysql_error(),
            MonitorError::Server(e) => e.clone(),
            other => MysqlError::new(codes::UNKNOWN_ERROR, "HY000", other.to_string()),
        })
    }
}
