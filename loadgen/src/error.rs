//! loadgen's own errors: the one-line messages for what stops a run before it starts (the server
//! cannot be reached, refuses the login, lacks the database or the tables, a bad combination of
//! options) and the exit code each maps to.
//!
//! It must not print: `main` prints the message, prefixed with `loadgen: `.

use thiserror::Error;

use crate::client::{ClientError, ConnectOpts};

/// `ER_ACCESS_DENIED_ERROR`, `ER_ACCESS_DENIED_NO_PASSWORD_ERROR`.
const LOGIN_REFUSED: [u16; 2] = [1045, 1698];
/// `ER_DBACCESS_DENIED_ERROR`: what a user without global rights gets for a missing database.
const ER_DBACCESS_DENIED: u16 = 1044;
/// `ER_BAD_DB_ERROR`.
const ER_BAD_DB: u16 = 1049;

/// Exit code for a usage error (as clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for any other error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of a run with more stale reads than `--max-stale` allows.
pub const EXIT_TOO_STALE: u8 = 3;

#[derive(Debug, Error)]
pub enum LoadgenError {
    #[error("invalid options: {0}")]
    Usage(String),
    #[error("cannot connect to {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("{addr} refused the login of user '{user}': {source}")]
    Login {
        addr: String,
        user: String,
        source: Box<ClientError>,
    },
    #[error("database '{database}' does not exist on {addr} ({source}); create it first")]
    NoDatabase {
        addr: String,
        database: String,
        source: Box<ClientError>,
    },
    #[error(
        "cannot use database '{database}' on {addr} (it does not exist, or user '{user}' has no \
         rights on it): {source}"
    )]
    NoDatabaseAccess {
        addr: String,
        database: String,
        user: String,
        source: Box<ClientError>,
    },
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: Box<ClientError>,
    },
    #[error(
        "table {table} does not exist in database '{database}': run `loadgen ... prepare` \
         (or add --prepare) first"
    )]
    MissingTable { table: String, database: String },
    #[error("{what}: {source}")]
    Setup {
        what: String,
        source: Box<ClientError>,
    },
    /// An executor thread could not be started or failed.
    #[error("{0}")]
    Runtime(String),
}

impl LoadgenError {
    /// Explains a failed connection attempt.
    pub fn connect(opts: &ConnectOpts, err: ClientError) -> LoadgenError {
        let addr = opts.addr();
        match err {
            ClientError::Unreachable(reason) => LoadgenError::Unreachable { addr, reason },
            ClientError::Server { code, .. } if LOGIN_REFUSED.contains(&code) => {
                LoadgenError::Login {
                    addr,
                    user: opts.user.clone(),
                    source: Box::new(err),
                }
            }
            ClientError::Server { code, .. } if code == ER_DBACCESS_DENIED => {
                LoadgenError::NoDatabaseAccess {
                    addr,
                    database: opts.database.clone().unwrap_or_default(),
                    user: opts.user.clone(),
                    source: Box::new(err),
                }
            }
            ClientError::Server { code, .. } if code == ER_BAD_DB => LoadgenError::NoDatabase {
                addr,
                database: opts.database.clone().unwrap_or_default(),
                source: Box::new(err),
            },
            source => LoadgenError::Connect {
                addr,
                source: Box::new(source),
            },
        }
    }

    /// A statement of the setup (or clean-up) failed.
    pub fn setup(what: impl Into<String>) -> impl FnOnce(ClientError) -> LoadgenError {
        let what = what.into();
        move |source| LoadgenError::Setup {
            what,
            source: Box::new(source),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            LoadgenError::Usage(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Protocol;

    fn opts() -> ConnectOpts {
        ConnectOpts {
            host: "127.0.0.1".into(),
            port: 3307,
            user: "app".into(),
            password: "x".into(),
            database: Some("nope".into()),
            protocol: Protocol::Prepared,
            init_sql: Vec::new(),
        }
    }

    fn server(code: u16, message: &str) -> ClientError {
        ClientError::Server {
            code,
            state: "28000".into(),
            message: message.into(),
        }
    }

    #[test]
    fn connect_errors_are_explained_in_one_line() {
        let denied = "Access denied for user 'app'@'localhost' (using password: YES)";
        let login = LoadgenError::connect(&opts(), server(1045, denied)).to_string();
        assert_eq!(
            login,
            format!("127.0.0.1:3307 refused the login of user 'app': ERROR 1045 (28000): {denied}")
        );
        let db = LoadgenError::connect(&opts(), server(1049, "Unknown database 'nope'"));
        assert!(db
            .to_string()
            .starts_with("database 'nope' does not exist on 127.0.0.1:3307"));
        let no_rights = LoadgenError::connect(&opts(), server(1044, "Access denied"));
        assert!(no_rights
            .to_string()
            .starts_with("cannot use database 'nope' on 127.0.0.1:3307 (it does not exist"));
        let refused = LoadgenError::connect(
            &opts(),
            ClientError::Unreachable("Connection refused (os error 111)".into()),
        );
        assert_eq!(
            refused.to_string(),
            "cannot connect to 127.0.0.1:3307: Connection refused (os error 111)"
        );
        assert_eq!(refused.exit_code(), EXIT_FAILURE);
        assert!(!refused.to_string().contains('\n'));
    }
}
