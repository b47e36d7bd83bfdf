//! `RuntimeError`: failures to start or run the executors and listeners.

use thiserror::Error;

use crate::error::{codes, ErrorInfo, MysqlError, Origin};

#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("cannot start shard {shard}: {source}")]
    Executor {
        shard: usize,
        source: std::io::Error,
    },
    #[error("shard {shard} cannot listen on {address}: {source}")]
    Listen {
        shard: u32,
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("monitor executor failed: {0}")]
    Monitor(std::io::Error),
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

impl ErrorInfo for RuntimeError {
    fn origin(&self) -> Origin {
        Origin::Sluice
    }

    fn retryable(&self) -> bool {
        false
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(MysqlError::new(
            codes::SERVER_SHUTDOWN,
            "08S01",
            self.to_string(),
        ))
    }
}
