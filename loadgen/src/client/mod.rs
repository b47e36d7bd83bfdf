//! The client seam: what a workload needs from one MySQL connection (connect, prepare a statement,
//! execute it and drop its rows, execute it and read the first row's integers, run a text query),
//! the options to connect with, and the parameters statements take.
//!
//! It must not know about workloads, timing or statistics. The implementation is [`wire::Wire`]
//! (the MySQL protocol on sluice's codecs, one task per connection on its thread's executor); the
//! trait is async with static dispatch, so workloads are generic over it and the unit tests run
//! them against [`fake::FakeClient`].

mod command;
mod error;
#[cfg(test)]
pub mod fake;
pub(crate) mod reply;
pub mod text;
pub mod wire;

pub use error::{ClientError, CR_UNKNOWN_ERROR};

/// How statements are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Server-side prepared statements (COM_STMT_PREPARE once, COM_STMT_EXECUTE per query), as
    /// sysbench does by default.
    Prepared,
    /// Plain COM_QUERY with the parameters written into the text.
    Text,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Prepared => "prepared",
            Protocol::Text => "text",
        }
    }
}

/// Where and as whom to connect, and how statements are sent.
#[derive(Debug, Clone)]
pub struct ConnectOpts {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The default database of the connection (`None`: no `USE`).
    pub database: Option<String>,
    pub protocol: Protocol,
    /// Statements every connection runs once after connecting (e.g. a session setting).
    pub init_sql: Vec<String>,
}

impl ConnectOpts {
    /// Options for the fake client of the unit tests.
    #[cfg(test)]
    pub fn fake(port: u16, protocol: Protocol) -> Self {
        Self {
            host: "fake".into(),
            port,
            user: "u".into(),
            password: String::new(),
            database: None,
            protocol,
            init_sql: Vec::new(),
        }
    }

    /// `host:port`, for messages.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// One statement parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    Int(i64),
    Str(&'a str),
}

/// One connection to a MySQL-protocol server. Its futures are not `Send`: a connection lives on
/// the executor thread that opened it.
pub trait Client: Sized {
    /// A statement ready to execute on this connection (server-side or text template, per
    /// [`Protocol`]). It is only valid on the connection that made it.
    type Stmt;

    /// Opens a connection (TCP, never a unix socket), logs in and runs `opts.init_sql`.
    async fn connect(opts: &ConnectOpts) -> Result<Self, ClientError>;

    /// Prepares `sql` (with `?` placeholders) for repeated execution.
    async fn prepare(&mut self, sql: &str) -> Result<Self::Stmt, ClientError>;

    /// Executes a statement and reads (and drops) whatever rows it returns.
    async fn exec(&mut self, stmt: &Self::Stmt, params: &[Param<'_>]) -> Result<(), ClientError>;

    /// Executes a statement and stores the first row's first `out.len()` columns, which must be
    /// integers, in `out`. Returns `false` if there was no row. Other rows are read and dropped.
    async fn exec_row(
        &mut self,
        stmt: &Self::Stmt,
        params: &[Param<'_>],
        out: &mut [i64],
    ) -> Result<bool, ClientError>;

    /// Runs one text statement, dropping any rows.
    async fn query(&mut self, sql: &str) -> Result<(), ClientError>;

    /// Runs one text statement and reads its first row as integers, like [`Client::exec_row`].
    async fn query_row(&mut self, sql: &str, out: &mut [i64]) -> Result<bool, ClientError>;

    /// How many statements (executions and text queries, not prepares) this connection has sent.
    fn statements_sent(&self) -> u64;

    /// Says goodbye to the server (COM_QUIT) and closes the connection; errors are ignored.
    async fn close(self) {}
}
