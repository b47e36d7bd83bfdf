//! `SessionError`: why a session ended or a command failed, and what the client is told.

use thiserror::Error;

use crate::auth::AuthError;
use crate::error::{codes, ErrorInfo, MysqlError, Origin};
use crate::pool::BackendError;
use crate::protocol::ProtocolError;
use crate::wire::WireError;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("client connection: {0}")]
    Client(WireError),
    #[error("client sent a bad packet: {0}")]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("sluice is shutting down")]
    ShuttingDown,
    /// The backend connection was lost while the session held state a new connection cannot
    /// be given (an open transaction, temporary tables, locks...): the client connection is
    /// closed, as a server restart would close it, after the ERR for the failed command.
    #[error("backend connection lost while {0}; closing the session")]
    LostState(&'static str),
}

impl From<WireError> for SessionError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Protocol(p) => SessionError::Protocol(p),
            other => SessionError::Client(other),
        }
    }
}

impl ErrorInfo for SessionError {
    fn origin(&self) -> Origin {
        match self {
            SessionError::Client(_) | SessionError::Protocol(_) => Origin::Client,
            SessionError::Auth(e) => e.origin(),
            SessionError::Backend(e) => e.origin(),
            SessionError::ShuttingDown => Origin::Sluice,
            SessionError::LostState(_) => Origin::Backend,
        }
    }

    fn retryable(&self) -> bool {
        match self {
            SessionError::Backend(e) => e.retryable(),
            _ => false,
        }
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        match self {
            SessionError::Client(_) => None,
            SessionError::Protocol(e) => e.mysql_error(),
            SessionError::Auth(e) => e.mysql_error(),
            SessionError::Backend(e) => e.mysql_error(),
            SessionError::LostState(_) => None,
            SessionError::ShuttingDown => Some(MysqlError::new(
                codes::SERVER_SHUTDOWN,
                "08S01",
                "Server shutdown in progress",
            )),
        }
    }
}
