//! [`Client`] on the synchronous `mysql` crate: one blocking TCP connection, used by one OS thread.
//! Prepared statements are kept by the workload (the crate's statement cache is off, so nothing is
//! closed behind its back); what the server refuses to prepare (MySQL: BEGIN, COMMIT) is sent as
//! text, as sysbench does; text statements are rendered into one reused buffer.
//!
//! It must not hold workload or timing logic, and it converts every crate error into a
//! [`ClientError`] (no panics on anything the server sends).

use std::time::Duration;

use mysql::prelude::{Protocol as RowProtocol, Queryable};
use mysql::{Conn, DriverError, OptsBuilder, Params, QueryResult, Row, Value};

use super::text::Template;
use super::{Client, ClientError, ConnectOpts, Param, Protocol};

/// How long to wait for the TCP connection to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one read or write on the socket may block before the connection counts as lost.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// `ER_UNSUPPORTED_PS`: the statement cannot be prepared (MySQL for BEGIN and COMMIT).
const ER_UNSUPPORTED_PS: u16 = 1295;

/// A statement of [`MysqlSync`]: server-side, or a text template.
pub enum Stmt {
    Prepared(mysql::Statement),
    Text(Template),
}

/// A connection through the `mysql` crate.
pub struct MysqlSync {
    conn: Conn,
    protocol: Protocol,
    /// The rendered text of the last text-protocol statement (reused).
    sql: String,
    sent: u64,
}

impl Client for MysqlSync {
    type Stmt = Stmt;

    fn connect(opts: &ConnectOpts) -> Result<Self, ClientError> {
        let builder = OptsBuilder::new()
            .ip_or_hostname(Some(opts.host.as_str()))
            .tcp_port(opts.port)
            .user(Some(opts.user.as_str()))
            .pass(Some(opts.password.as_str()))
            .db_name(opts.database.as_deref())
            .prefer_socket(false)
            .tcp_nodelay(true)
            .stmt_cache_size(0)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(IO_TIMEOUT))
            .write_timeout(Some(IO_TIMEOUT))
            .init(opts.init_sql.clone());
        let conn = Conn::new(builder).map_err(connect_error)?;
        Ok(MysqlSync {
            conn,
            protocol: opts.protocol,
            sql: String::with_capacity(256),
            sent: 0,
        })
    }

    fn prepare(&mut self, sql: &str) -> Result<Stmt, ClientError> {
        match self.protocol {
            Protocol::Prepared => match self.conn.prep(sql).map_err(error) {
                Ok(stmt) => Ok(Stmt::Prepared(stmt)),
                // Like sysbench, send what the server cannot prepare as text.
                Err(ClientError::Server { code, .. }) if code == ER_UNSUPPORTED_PS => {
                    Ok(Stmt::Text(Template::parse(sql)))
                }
                Err(err) => Err(err),
            },
            Protocol::Text => Ok(Stmt::Text(Template::parse(sql))),
        }
    }

    fn exec(&mut self, stmt: &Stmt, params: &[Param<'_>]) -> Result<(), ClientError> {
        self.sent += 1;
        match stmt {
            Stmt::Prepared(stmt) => drain(self.conn.exec_iter(stmt, bind(params)).map_err(error)?),
            Stmt::Text(template) => {
                render(template, params, &mut self.sql)?;
                drain(self.conn.query_iter(&self.sql).map_err(error)?)
            }
        }
    }

    fn exec_row(
        &mut self,
        stmt: &Stmt,
        params: &[Param<'_>],
        out: &mut [i64],
    ) -> Result<bool, ClientError> {
        self.sent += 1;
        match stmt {
            Stmt::Prepared(stmt) => {
                first_row(self.conn.exec_iter(stmt, bind(params)).map_err(error)?, out)
            }
            Stmt::Text(template) => {
                render(template, params, &mut self.sql)?;
                first_row(self.conn.query_iter(&self.sql).map_err(error)?, out)
            }
        }
    }

    fn query(&mut self, sql: &str) -> Result<(), ClientError> {
        self.sent += 1;
        drain(self.conn.query_iter(sql).map_err(error)?)
    }

    fn query_row(&mut self, sql: &str, out: &mut [i64]) -> Result<bool, ClientError> {
        self.sent += 1;
        first_row(self.conn.query_iter(sql).map_err(error)?, out)
    }

    fn statements_sent(&self) -> u64 {
        self.sent
    }
}

fn bind(params: &[Param<'_>]) -> Params {
    if params.is_empty() {
        return Params::Empty;
    }
    Params::Positional(
        params
            .iter()
            .map(|param| match param {
                Param::Int(value) => Value::Int(*value),
                Param::Str(text) => Value::Bytes(text.as_bytes().to_vec()),
            })
            .collect(),
    )
}

fn render(template: &Template, params: &[Param<'_>], out: &mut String) -> Result<(), ClientError> {
    if template.render(params, out) {
        Ok(())
    } else {
        Err(ClientError::Other(format!(
            "statement takes {} parameters, got {}",
            template.params(),
            params.len()
        )))
    }
}

/// Reads every row of every result set, so the connection is ready for the next command and an
/// error in the middle of the rows is reported rather than swallowed.
fn drain<P: RowProtocol>(mut rows: QueryResult<'_, '_, '_, P>) -> Result<(), ClientError> {
    for row in rows.by_ref() {
        row.map_err(error)?;
    }
    Ok(())
}

fn first_row<P: RowProtocol>(
    mut rows: QueryResult<'_, '_, '_, P>,
    out: &mut [i64],
) -> Result<bool, ClientError> {
    let found = match rows.next() {
        None => false,
        Some(row) => {
            integers(&row.map_err(error)?, out)?;
            true
        }
    };
    drain(rows)?;
    Ok(found)
}

fn integers(row: &Row, out: &mut [i64]) -> Result<(), ClientError> {
    for (index, slot) in out.iter_mut().enumerate() {
        *slot = match row.as_ref(index) {
            Some(Value::Int(value)) => *value,
            Some(Value::UInt(value)) => i64::try_from(*value).map_err(|_| {
                ClientError::Unexpected(format!("column {index}: {value} is out of range"))
            })?,
            Some(Value::Bytes(bytes)) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .ok_or_else(|| {
                    ClientError::Unexpected(format!(
                        "column {index}: {:?} is not an integer",
                        String::from_utf8_lossy(bytes)
                    ))
                })?,
            Some(other) => {
                return Err(ClientError::Unexpected(format!(
                    "column {index}: {other:?} is not an integer"
                )))
            }
            None => {
                return Err(ClientError::Unexpected(format!(
                    "the row has {} columns, wanted {}",
                    row.len(),
                    out.len()
                )))
            }
        };
    }
    Ok(())
}

/// Converts an error of an established connection.
fn error(err: mysql::Error) -> ClientError {
    match err {
        mysql::Error::MySqlError(err) => ClientError::Server {
            code: err.code,
            state: err.state,
            message: err.message,
        },
        mysql::Error::IoError(err) => ClientError::Lost(err.to_string()),
        mysql::Error::CodecError(err) => ClientError::Lost(err.to_string()),
        mysql::Error::DriverError(
            err @ (DriverError::PacketOutOfSync
            | DriverError::PacketTooLarge
            | DriverError::UnexpectedPacket
            | DriverError::Timeout
            | DriverError::ConnectTimeout
            | DriverError::CouldNotConnect(_)),
        ) => ClientError::Lost(err.to_string()),
        mysql::Error::FromValueError(value) => {
            ClientError::Unexpected(format!("cannot convert {value:?}"))
        }
        mysql::Error::FromRowError(row) => {
            ClientError::Unexpected(format!("cannot convert {row:?}"))
        }
        other => ClientError::Other(other.to_string()),
    }
}

/// Converts an error of the connection handshake: anything below the server's own answer means
/// the server could not be reached (or broke off before it answered).
fn connect_error(err: mysql::Error) -> ClientError {
    match err {
        mysql::Error::IoError(err) => ClientError::Unreachable(err.to_string()),
        mysql::Error::CodecError(err) => ClientError::Unreachable(err.to_string()),
        mysql::Error::DriverError(DriverError::CouldNotConnect(Some((_, why, _)))) => {
            ClientError::Unreachable(why)
        }
        mysql::Error::DriverError(
            err @ (DriverError::ConnectTimeout | DriverError::CouldNotConnect(None)),
        ) => ClientError::Unreachable(err.to_string()),
        other => error(other),
    }
}
