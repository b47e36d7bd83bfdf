//! `ProtocolError`: what can be wrong with bytes on the wire, independent of who sent them.
//! The session decides whether the peer was the client or a backend.

use thiserror::Error;

use crate::error::{codes, ErrorInfo, MysqlError, Origin};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    #[error("packet of {0} bytes is larger than max_allowed_packet")]
    TooLarge(usize),
    #[error("packets out of order: expected sequence {expected}, got {got}")]
    OutOfOrder { expected: u8, got: u8 },
}

impl ErrorInfo for ProtocolError {
    fn origin(&self) -> Origin {
        Origin::Client
    }

    fn retryable(&self) -> bool {
        false
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            ProtocolError::Malformed(what) => MysqlError::new(
                codes::MALFORMED_PACKET,
                "HY000",
                format!("Malformed communication packet ({what})"),
            ),
            ProtocolError::Unsupported(what) => MysqlError::new(
                codes::HANDSHAKE_ERROR,
                "08S01",
                format!("Bad handshake: sluice does not support {what}"),
            ),
            ProtocolError::TooLarge(_) => MysqlError::new(
                codes::PACKET_TOO_LARGE,
                "08S01",
                "Got a packet bigger than 'max_allowed_packet' bytes",
            ),
            ProtocolError::OutOfOrder { .. } => MysqlError::new(
                codes::PACKETS_OUT_OF_ORDER,
                "08S01",
                "Got packets out of order",
            ),
        })
    }
}
