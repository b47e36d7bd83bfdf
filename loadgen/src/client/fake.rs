//! A test-only [`Client`] that plays a server holding the `sluice_check` rows, for testing the
//! consistency checker and the runner without a real server. A [`FakeServer`] is registered under
//! a port; connecting to that port reaches it. It can answer every `stale_every`-th read with the
//! row's previous value, as a lagging replica would, and reports `port` as `@@port`.
//!
//! It understands only the statements the checker sends on `sluice_check` (told apart by their
//! first words) and answers anything else with an empty success. Its futures never wait, so tests
//! can run them with `futures_lite::future::block_on` or on the runner's executors. It must never be
//! compiled outside tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::{Client, ClientError, ConnectOpts, Param};

/// The shared state behind every connection to one fake port.
#[derive(Default)]
pub struct FakeServer {
    rows: Mutex<HashMap<i64, i64>>,
    /// Every n-th read (0: none) returns the value before the latest write.
    pub stale_every: u64,
    /// The port reported as `@@port`.
    pub port: u16,
    reads: AtomicU64,
    previous: Mutex<HashMap<i64, i64>>,
}

impl FakeServer {
    /// Registers a server under `port` (replacing any earlier one) and returns it.
    pub fn register(port: u16, stale_every: u64) -> Arc<FakeServer> {
        let server = Arc::new(FakeServer {
            stale_every,
            port,
            ..FakeServer::default()
        });
        registry()
            .lock()
            .expect("fake registry")
            .insert(port, server.clone());
        server
    }

    /// The current value of row `id`.
    pub fn value(&self, id: i64) -> Option<i64> {
        self.rows.lock().expect("fake rows").get(&id).copied()
    }

    fn write(&self, id: i64, v: i64) {
        let old = self.rows.lock().expect("fake rows").insert(id, v);
        if let Some(old) = old {
            self.previous.lock().expect("fake rows").insert(id, old);
        }
    }

    fn read(&self, id: i64) -> Option<i64> {
        let n = self.reads.fetch_add(1, Ordering::Relaxed) + 1;
        if self.stale_every > 0 && n % self.stale_every == 0 {
            return self.previous.lock().expect("fake rows").get(&id).copied();
        }
        self.value(id)
    }
}

fn registry() -> &'static Mutex<HashMap<u16, Arc<FakeServer>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u16, Arc<FakeServer>>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// What a fake statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeStmt {
    /// `REPLACE/INSERT ... (id, v) VALUES (?, ?)`
    Insert,
    /// `UPDATE ... SET v = ? WHERE id = ?`
    Update,
    /// `SELECT v, @@port ... WHERE id = ?`
    Select,
    Other,
}

/// A connection to a [`FakeServer`].
pub struct FakeClient {
    server: Arc<FakeServer>,
    sent: u64,
}

impl Client for FakeClient {
    type Stmt = FakeStmt;

    async fn connect(opts: &ConnectOpts) -> Result<Self, ClientError> {
        let server = registry()
            .lock()
            .expect("fake registry")
            .get(&opts.port)
            .cloned()
            .ok_or_else(|| ClientError::Unreachable("connection refused".into()))?;
        Ok(FakeClient { server, sent: 0 })
    }

    async fn prepare(&mut self, sql: &str) -> Result<FakeStmt, ClientError> {
        let sql = sql.to_ascii_uppercase();
        Ok(if !sql.contains("SLUICE_CHECK") {
            FakeStmt::Other
        } else if sql.starts_with("REPLACE") || sql.starts_with("INSERT") {
            FakeStmt::Insert
        } else if sql.starts_with("UPDATE") {
            FakeStmt::Update
        } else if sql.starts_with("SELECT V") {
            FakeStmt::Select
        } else {
            FakeStmt::Other
        })
    }

    async fn exec(&mut self, stmt: &FakeStmt, params: &[Param<'_>]) -> Result<(), ClientError> {
        let mut out = [0; 2];
        self.exec_row(stmt, params, &mut out).await.map(drop)
    }

    async fn exec_row(
        &mut self,
        stmt: &FakeStmt,
        params: &[Param<'_>],
        out: &mut [i64],
    ) -> Result<bool, ClientError> {
        self.sent += 1;
        // A real server's answer takes a round trip: let the executor's other tasks run.
        futures_lite::future::yield_now().await;
        let int = |i: usize| match params.get(i) {
            Some(Param::Int(v)) => Ok(*v),
            _ => Err(ClientError::Other(format!(
                "parameter {i} is not an integer"
            ))),
        };
        match stmt {
            FakeStmt::Insert => self.server.write(int(0)?, int(1)?),
            FakeStmt::Update => self.server.write(int(1)?, int(0)?),
            FakeStmt::Select => {
                let Some(v) = self.server.read(int(0)?) else {
                    return Ok(false);
                };
                if let Some(slot) = out.get_mut(0) {
                    *slot = v;
                }
                if let Some(slot) = out.get_mut(1) {
                    *slot = i64::from(self.server.port);
                }
                return Ok(true);
            }
            FakeStmt::Other => {}
        }
        Ok(false)
    }

    async fn query(&mut self, _sql: &str) -> Result<(), ClientError> {
        self.sent += 1;
        futures_lite::future::yield_now().await;
        Ok(())
    }

    async fn query_row(&mut self, _sql: &str, _out: &mut [i64]) -> Result<bool, ClientError> {
        self.sent += 1;
        futures_lite::future::yield_now().await;
        Ok(false)
    }

    fn statements_sent(&self) -> u64 {
        self.sent
    }
}
