//! `AuthError`: why a login failed, towards the client or towards a backend.

use thiserror::Error;

use crate::error::{codes, ErrorInfo, MysqlError, Origin};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Unknown user or wrong password. Worded as MySQL words it.
    #[error("Access denied for user '{user}'@'{host}' (using password: {})", if *.using_password { "YES" } else { "NO" })]
    AccessDenied {
        user: String,
        host: String,
        using_password: bool,
    },
    /// The client insists on a plugin sluice cannot check.
    #[error("Client does not support authentication protocol requested by server; consider upgrading MySQL client")]
    UnsupportedPlugin,
    /// A backend asked for a plugin sluice cannot answer.
    #[error("backend asked for unsupported authentication plugin '{0}'")]
    BackendPlugin(String),
    /// The backend's RSA public key could not be used.
    #[error("backend sent an unusable RSA public key")]
    BadPublicKey,
}

impl ErrorInfo for AuthError {
    fn origin(&self) -> Origin {
        match self {
            AuthError::AccessDenied { .. } | AuthError::UnsupportedPlugin => Origin::Client,
            AuthError::BackendPlugin(_) | AuthError::BadPublicKey => Origin::Backend,
        }
    }

    fn retryable(&self) -> bool {
        false
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            AuthError::AccessDenied { .. } => {
                MysqlError::new(codes::ACCESS_DENIED, "28000", self.to_string())
            }
            AuthError::UnsupportedPlugin => {
                MysqlError::new(codes::NOT_SUPPORTED_AUTH_MODE, "08004", self.to_string())
            }
            AuthError::BackendPlugin(_) | AuthError::BadPublicKey => MysqlError::new(
                codes::ACCESS_DENIED,
                "28000",
                format!("sluice could not log in to the backend: {self}"),
            ),
        })
    }
}
