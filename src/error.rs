//! What every subsystem error must be able to say about itself.
//!
//! Each subsystem has its own `thiserror` enum; all of them implement [`ErrorInfo`] so the session
//! can decide, without knowing the subsystem, where a failure came from, whether a retry is allowed,
//! and which MySQL ERR packet the client should see. This file owns only those shared notions; it
//! must not grow subsystem-specific variants.

use std::fmt;

/// Who caused a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client sent something wrong (bad packet, wrong password, unknown command).
    Client,
    /// A backend server failed or refused (unreachable, died mid-reply, returned an error at login).
    Backend,
    /// sluice itself (configuration, resource limits, internal invariants).
    Sluice,
}

/// The ERR packet a client should receive: code, SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlError {
    pub code: u16,
    pub sql_state: [u8; 5],
    pub message: String,
}

impl MysqlError {
    pub fn new(code: u16, sql_state: &str, message: impl Into<String>) -> Self {
        let mut state = *b"HY000";
        if sql_state.len() == 5 {
            state.copy_from_slice(sql_state.as_bytes());
        }
        Self {
            code,
            sql_state: state,
            message: message.into(),
        }
    }
}

impl fmt::Display for MysqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ERROR {} ({}): {}",
            self.code,
            String::from_utf8_lossy(&self.sql_state),
            self.message
        )
    }
}

/// Common questions every subsystem error answers.
pub trait ErrorInfo {
    fn origin(&self) -> Origin;
    /// True if the operation may be tried again (on the same or another server) without risk of
    /// doing a write twice. Never true once a byte of the reply reached the client.
    fn retryable(&self) -> bool;
    /// The ERR packet the client sees, or `None` when the only right answer is to close the
    /// client connection (for example a reply broken off in the middle of a packet).
    fn mysql_error(&self) -> Option<MysqlError>;
}

/// MySQL error codes sluice sends itself.
pub mod codes {
    /// ER_ACCESS_DENIED_ERROR, SQLSTATE 28000.
    pub const ACCESS_DENIED: u16 = 1045;
    /// ER_UNKNOWN_COM_ERROR, SQLSTATE 08S01.
    pub const UNKNOWN_COMMAND: u16 = 1047;
    /// ER_NET_PACKETS_OUT_OF_ORDER, SQLSTATE 08S01.
    pub const PACKETS_OUT_OF_ORDER: u16 = 1156;
    /// ER_NET_PACKET_TOO_LARGE, SQLSTATE 08S01.
    pub const PACKET_TOO_LARGE: u16 = 1153;
    /// ER_HANDSHAKE_ERROR ("Bad handshake"), SQLSTATE 08S01.
    pub const HANDSHAKE_ERROR: u16 = 1043;
    /// ER_NOT_SUPPORTED_AUTH_MODE, SQLSTATE 08004.
    pub const NOT_SUPPORTED_AUTH_MODE: u16 = 1251;
    /// ER_MALFORMED_PACKET, SQLSTATE HY000.
    pub const MALFORMED_PACKET: u16 = 1835;
    /// ER_CONNECT_TO_FOREIGN_DATA_SOURCE, SQLSTATE HY000: a backend cannot be reached. A server
    /// error code on purpose: client libraries (libmariadb) turn codes 2001..2998 received from a
    /// server into "malformed packet", so the client-range CR_CONN_HOST_ERROR cannot be used.
    pub const BACKEND_UNREACHABLE: u16 = 1429;
    /// ER_NET_READ_ERROR, SQLSTATE 08S01: the backend went away during a command.
    /// ER_MAX_PREPARED_STMT_COUNT_REACHED: the server holds `max_prepared_stmt_count` statements.
    pub const MAX_PREPARED_STMT_COUNT_REACHED: u16 = 1461;
    pub const BACKEND_LOST: u16 = 1158;
    /// ER_CON_COUNT_ERROR, SQLSTATE 08004.
    pub const TOO_MANY_CONNECTIONS: u16 = 1040;
    /// ER_UNKNOWN_STMT_HANDLER, SQLSTATE HY000.
    pub const UNKNOWN_STMT_HANDLER: u16 = 1243;
    /// ER_WRONG_VALUE_FOR_VAR, SQLSTATE 42000.
    pub const WRONG_VALUE_FOR_VAR: u16 = 1231;
    /// ER_SYNTAX_ERROR, SQLSTATE 42000.
    pub const SYNTAX_ERROR: u16 = 1149;
    /// ER_UNKNOWN_ERROR, SQLSTATE HY000.
    pub const UNKNOWN_ERROR: u16 = 1105;
    /// ER_SERVER_SHUTDOWN, SQLSTATE 08S01.
    pub const SERVER_SHUTDOWN: u16 = 1053;
}
