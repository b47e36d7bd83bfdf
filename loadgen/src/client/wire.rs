//! [`Wire`]: the [`Client`] loadgen runs with, one MySQL-protocol connection as a task on its
//! thread's executor. Opening it is sluice's backend login (`BackendConn::connect`: TCP,
//! greeting, `mysql_native_password` or `caching_sha2_password` including full authentication with
//! the server's RSA key, within a timeout); packets go through sluice's `PacketConn`. Commands are
//! built in one reused buffer ([`super::command`]) and replies read packet by packet
//! ([`super::reply`]), so a query allocates nothing. What the server refuses to prepare (MySQL:
//! BEGIN, COMMIT) is sent as text, as sysbench does.
//!
//! It must not hold workload or timing logic, and it turns every failure into a [`ClientError`]
//! (no panics on anything the server sends).

use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;

use sluice::pool::{BackendConn, BackendError, BackendTarget, LoginParams};
use sluice::protocol::constants::{cap, DEFAULT_COLLATION};
use sluice::protocol::packet::MAX_PAYLOAD;
use sluice::wire::{PacketConn, WireError};

use super::reply::{from_mysql, PrepareReader, ResultReader};
use super::text::Template;
use super::{command, Client, ClientError, ConnectOpts, Param, Protocol};
use crate::runtime::{Stream, TcpNet};

/// How long opening a connection and logging in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `ER_UNSUPPORTED_PS`: the statement cannot be prepared (MySQL for BEGIN and COMMIT).
const ER_UNSUPPORTED_PS: u16 = 1295;
/// What loadgen asks the server for: protocol 4.1 with plugin authentication, several results
/// (so a multi-statement `--init-sql` works), and no EOF packets (one packet less per result set).
/// No session tracking (smaller OK packets), no TLS, no compression, no query attributes.
const CAPABILITIES: u32 = cap::LONG_PASSWORD
    | cap::LONG_FLAG
    | cap::PROTOCOL_41
    | cap::TRANSACTIONS
    | cap::SECURE_CONNECTION
    | cap::MULTI_STATEMENTS
    | cap::MULTI_RESULTS
    | cap::PS_MULTI_RESULTS
    | cap::PLUGIN_AUTH
    | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
    | cap::DEPRECATE_EOF;

/// A statement of [`Wire`]: server-side, or a text template.
pub enum Stmt {
    Prepared { id: u32, params: u16 },
    Text(Template),
}

/// One connection.
pub struct Wire {
    conn: PacketConn<Stream>,
    /// Capability flags in force on the connection.
    caps: u32,
    protocol: Protocol,
    /// The command being sent (reused).
    out: Vec<u8>,
    /// The rendered text of the last text-protocol statement (reused).
    sql: String,
    sent: u64,
}

impl Client for Wire {
    type Stmt = Stmt;

    async fn connect(opts: &ConnectOpts) -> Result<Self, ClientError> {
        let target = BackendTarget {
            name: Rc::from(opts.addr()),
            addr: resolve(opts)?,
        };
        let login = LoginParams {
            user: opts.user.as_bytes(),
            password: opts.password.as_bytes(),
            database: opts.database.as_deref().map(str::as_bytes),
            capabilities: CAPABILITIES,
            collation: DEFAULT_COLLATION,
            attributes: None,
        };
        let backend = BackendConn::connect(&TcpNet, &target, &login, CONNECT_TIMEOUT)
            .await
            .map_err(login_error)?;
        let mut client = Wire {
            conn: backend.conn,
            caps: backend.capabilities,
            protocol: opts.protocol,
            out: Vec::with_capacity(256),
            sql: String::with_capacity(256),
            sent: 0,
        };
        for sql in &opts.init_sql {
            command::query(&mut client.out, sql);
            client.round_trip(false, &mut []).await?;
        }
        Ok(client)
    }

    async fn prepare(&mut self, sql: &str) -> Result<Stmt, ClientError> {
        if self.protocol == Protocol::Text {
            return Ok(Stmt::Text(Template::parse(sql)));
        }
        command::prepare(&mut self.out, sql);
        self.write().await?;
        let mut reader = PrepareReader::new(self.caps);
        let step = loop {
            let h = self.conn.fill_packet(MAX_PAYLOAD).await.map_err(lost)?;
            let step = reader.feed(h.payload_len, self.conn.payload(h));
            self.conn.consume_packet(h);
            match step {
                Ok(None) => continue,
                Ok(Some(prepared)) => break Ok(prepared),
                Err(err) => break Err(err),
            }
        };
        match step {
            Ok(prepared) => Ok(Stmt::Prepared {
                id: prepared.id,
                params: prepared.params,
            }),
            // Like sysbench, send what the server cannot prepare as text.
            Err(ClientError::Server { code, .. }) if code == ER_UNSUPPORTED_PS => {
                Ok(Stmt::Text(Template::parse(sql)))
            }
            Err(err) => Err(err),
        }
    }

    async fn exec(&mut self, stmt: &Stmt, params: &[Param<'_>]) -> Result<(), ClientError> {
        self.exec_row(stmt, params, &mut []).await.map(drop)
    }

    async fn exec_row(
        &mut self,
        stmt: &Stmt,
        params: &[Param<'_>],
        out: &mut [i64],
    ) -> Result<bool, ClientError> {
        self.sent += 1;
        let binary = match stmt {
            Stmt::Prepared { id, params: wanted } => {
                command::execute(&mut self.out, *id, *wanted, params)?;
                true
            }
            Stmt::Text(template) => {
                if !template.render(params, &mut self.sql) {
                    return Err(ClientError::Other(format!(
                        "statement takes {} parameters, got {}",
                        template.params(),
                        params.len()
                    )));
                }
                command::query(&mut self.out, &self.sql);
                false
            }
        };
        self.round_trip(binary, out).await
    }

    async fn query(&mut self, sql: &str) -> Result<(), ClientError> {
        self.query_row(sql, &mut []).await.map(drop)
    }

    async fn query_row(&mut self, sql: &str, out: &mut [i64]) -> Result<bool, ClientError> {
        self.sent += 1;
        command::query(&mut self.out, sql);
        self.round_trip(false, out).await
    }

    fn statements_sent(&self) -> u64 {
        self.sent
    }

    async fn close(mut self) {
        command::quit(&mut self.out);
        let _ = self.conn.write_all(&self.out).await;
        self.conn.close().await;
    }
}

impl Wire {
    async fn write(&mut self) -> Result<(), ClientError> {
        self.conn.write_all(&self.out).await.map_err(lost)
    }

    /// Sends the command in `out` and reads its reply, keeping the first row's integers.
    async fn round_trip(&mut self, binary: bool, out: &mut [i64]) -> Result<bool, ClientError> {
        self.write().await?;
        let mut reader = ResultReader::new(self.caps, binary, out)?;
        loop {
            let h = self.conn.fill_packet(MAX_PAYLOAD).await.map_err(lost)?;
            let step = reader.feed(h.payload_len, self.conn.payload(h));
            self.conn.consume_packet(h);
            if let Some(found) = step? {
                return Ok(found);
            }
        }
    }
}

/// The server's address (the first one `host` resolves to).
fn resolve(opts: &ConnectOpts) -> Result<SocketAddr, ClientError> {
    let unknown =
        |why: String| ClientError::Unreachable(format!("cannot resolve {}: {why}", opts.host));
    (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .map_err(|err| unknown(err.to_string()))?
        .next()
        .ok_or_else(|| unknown("no address".into()))
}

fn lost(err: WireError) -> ClientError {
    ClientError::Lost(err.to_string())
}

/// Converts a failed login: the server's own refusal keeps its code and SQLSTATE; anything before
/// the server answered means it could not be reached.
fn login_error(err: BackendError) -> ClientError {
    match err {
        BackendError::Unreachable { source, .. } => ClientError::Unreachable(source.to_string()),
        BackendError::LoginTimeout { timeout_ms, .. } => {
            ClientError::Unreachable(format!("no login within {timeout_ms} ms"))
        }
        BackendError::Rejected { error, .. } => from_mysql(error),
        BackendError::Lost { source, .. } => ClientError::Unreachable(source.to_string()),
        BackendError::Auth { source, .. } => ClientError::Other(source.to_string()),
        // Not from a login (they come from sluice's pools), but kept readable if they ever do.
        BackendError::SyncRefused { error, .. } => from_mysql(error),
        other @ BackendError::PoolExhausted { .. } => ClientError::Other(other.to_string()),
    }
}
