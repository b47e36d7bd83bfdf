//! The error every client implementation reports, with the MySQL error code loadgen counts it
//! under: the server's own code for an ERR packet, and the classic client-side codes (2003 could
//! not connect, 2013 connection lost, 2000 anything else) for failures that never reached one.
//!
//! It must not depend on a particular client crate: implementations convert their errors into it.

use thiserror::Error;

/// `CR_UNKNOWN_ERROR`: a client-side failure that is neither a lost connection nor a refused one.
pub const CR_UNKNOWN_ERROR: u16 = 2000;
/// `CR_CONN_HOST_ERROR`: the server could not be reached.
pub const CR_CONN_HOST_ERROR: u16 = 2003;
/// `CR_SERVER_LOST`: the connection broke while a statement was under way.
pub const CR_SERVER_LOST: u16 = 2013;

/// A failed client operation.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The server answered with an ERR packet.
    #[error("ERROR {code} ({state}): {message}")]
    Server {
        code: u16,
        state: String,
        message: String,
    },
    /// The server could not be reached (refused, timed out, unknown host).
    #[error("{0}")]
    Unreachable(String),
    /// The connection broke (I/O error, malformed packet): it cannot be used any more.
    #[error("connection lost: {0}")]
    Lost(String),
    /// The reply was not what the workload expected (a NULL or non-integer where a number belongs).
    #[error("unexpected reply: {0}")]
    Unexpected(String),
    /// Any other client-side failure.
    #[error("{0}")]
    Other(String),
}

impl ClientError {
    /// The MySQL error code this failure is counted under.
    pub fn code(&self) -> u16 {
        match self {
            ClientError::Server { code, .. } => *code,
            ClientError::Unreachable(_) => CR_CONN_HOST_ERROR,
            ClientError::Lost(_) => CR_SERVER_LOST,
            ClientError::Unexpected(_) | ClientError::Other(_) => CR_UNKNOWN_ERROR,
        }
    }

    /// Whether the connection must be replaced before the next statement.
    pub fn connection_lost(&self) -> bool {
        matches!(self, ClientError::Unreachable(_) | ClientError::Lost(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_mysql_client_conventions() {
        let server = ClientError::Server {
            code: 1213,
            state: "40001".into(),
            message: "Deadlock".into(),
        };
        assert_eq!(server.code(), 1213);
        assert!(!server.connection_lost());
        assert_eq!(server.to_string(), "ERROR 1213 (40001): Deadlock");
        assert_eq!(ClientError::Lost("eof".into()).code(), CR_SERVER_LOST);
        assert!(ClientError::Lost("eof".into()).connection_lost());
        assert_eq!(
            ClientError::Unreachable("refused".into()).code(),
            CR_CONN_HOST_ERROR
        );
        assert_eq!(ClientError::Other("x".into()).code(), CR_UNKNOWN_ERROR);
    }
}
