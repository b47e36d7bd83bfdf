//! What a workload is to the runner: per connection, a value that prepares its statements on a
//! (new) connection and runs one event at a time, reporting what the event observed beyond its
//! latency (a checked read, a write's latency). The sysbench-like workloads are in [`oltp`], the
//! table setup in [`prepare`]; the read-after-write checker is in `crate::check`.
//!
//! It must not time events, sleep, count or print: the runner does all of that.

pub mod oltp;
pub mod prepare;

use crate::client::{Client, ClientError};

/// One connection's share of a workload. Made on the main thread and moved to the worker thread
/// whose executor runs the connection (hence `Send`); its futures run there.
pub trait Workload<C: Client>: Send {
    /// The statements the workload needs, prepared on one connection.
    type Stmts;

    /// Prepares the statements on `client`; called after every (re)connect.
    async fn prepare(&mut self, client: &mut C) -> Result<Self::Stmts, ClientError>;

    /// Runs one event (a transaction, a query, a write and its read).
    async fn event(
        &mut self,
        client: &mut C,
        stmts: &Self::Stmts,
        seen: &mut Observation,
    ) -> Result<(), ClientError>;

    /// Called after [`Workload::event`] failed on a connection that still works: undo whatever
    /// the event left open (a transaction). Its own errors are ignored.
    async fn recover(&mut self, _client: &mut C) {}
}

/// What one event observed besides its own latency. Reset by the runner before each event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Observation {
    /// A checked read (read-after-write only).
    pub read: Option<CheckedRead>,
    /// How long the event's write took, in µs (read-after-write only).
    pub write_us: Option<u64>,
}

/// One read whose freshness was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRead {
    /// The `sluice_check` row read.
    pub row: i64,
    /// The value the read had to return at least.
    pub expected: i64,
    /// What it returned (`None`: no row).
    pub got: Option<i64>,
    /// `@@port` of the server that answered (0 if there was no row).
    pub port: u16,
    /// How long the read took, in µs.
    pub latency_us: u64,
}

impl CheckedRead {
    /// A read is stale when it returned no row or a value older than one already acknowledged.
    pub fn stale(&self) -> bool {
        self.got.map_or(true, |got| got < self.expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(expected: i64, got: Option<i64>) -> CheckedRead {
        CheckedRead {
            row: 1,
            expected,
            got,
            port: 3307,
            latency_us: 10,
        }
    }

    #[test]
    fn stale_means_missing_or_older() {
        assert!(!read(5, Some(5)).stale());
        assert!(!read(5, Some(6)).stale(), "a newer value is fresh");
        assert!(read(5, Some(4)).stale());
        assert!(read(5, None).stale());
        assert!(
            read(0, None).stale(),
            "the row was acknowledged before reads began"
        );
    }
}
