//! `BackendError`: what can go wrong with a backend connection, and what the client sees.

use std::net::SocketAddr;

use thiserror::Error;

use crate::auth::AuthError;
use crate::error::{codes, ErrorInfo, MysqlError, Origin};
use crate::wire::WireError;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error("backend '{name}' at {addr} is unreachable: {source}")]
    Unreachable {
        name: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("backend '{name}' at {addr} did not complete the login within {timeout_ms} ms")]
    LoginTimeout {
        name: String,
        addr: SocketAddr,
        timeout_ms: u128,
    },
    /// The server refused (unknown database, too many connections, access denied...): the
    /// client sees the server's own ERR.
    #[error("backend '{name}' refused the login: {error}")]
    Rejected { name: String, error: MysqlError },
    #[error("lost connection to backend '{name}' at {addr}: {source}")]
    Lost {
        name: String,
        addr: SocketAddr,
        source: WireError,
    },
    #[error("backend '{name}': {source}")]
    Auth { name: String, source: AuthError },
    /// The server refused a command that brings a pooled connection in line with the session (a
    /// `SET` it accepted elsewhere, an unknown schema): the client sees the server's own ERR.
    #[error("backend '{name}' refused to bring a connection in line with the session: {error}")]
    SyncRefused { name: String, error: MysqlError },
    /// Every connection this shard may open to the backend is in use and none came back within
    /// `connect_timeout`.
    #[error("sluice's pool for backend '{name}' is at its limit of {limit} connections per shard")]
    PoolExhausted { name: String, limit: usize },
}

impl ErrorInfo for BackendError {
    fn origin(&self) -> Origin {
        match self {
            BackendError::PoolExhausted { .. } => Origin::Sluice,
            _ => Origin::Backend,
        }
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            BackendError::Unreachable { .. }
                | BackendError::LoginTimeout { .. }
                | BackendError::PoolExhausted { .. }
        )
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            BackendError::Unreachable { name, addr, source } => MysqlError::new(
                codes::BACKEND_UNREACHABLE,
                "HY000",
                format!("Can't connect to MySQL server on '{addr}' (sluice backend '{name}': {source})"),
            ),
            BackendError::LoginTimeout { name, addr, timeout_ms } => MysqlError::new(
                codes::BACKEND_UNREACHABLE,
                "HY000",
                format!("Can't connect to MySQL server on '{addr}' (sluice backend '{name}': login timed out after {timeout_ms} ms)"),
            ),
            BackendError::Rejected { error, .. } => error.clone(),
            BackendError::Lost { name, addr, .. } => MysqlError::new(
                codes::BACKEND_LOST,
                "08S01",
                format!("Lost connection to MySQL server during query (sluice backend '{name}' at {addr})"),
            ),
            BackendError::Auth { source, .. } => source.mysql_error()?,
            BackendError::SyncRefused { error, .. } => error.clone(),
            BackendError::PoolExhausted { name, limit } => MysqlError::new(
                codes::TOO_MANY_CONNECTIONS,
                "08004",
                format!("Too many connections (sluice's pool for backend '{name}' is at its limit of {limit} per shard)"),
            ),
        })
    }
}
