//! `--check session`: each connection owns one row; each event writes the row's next value
//! (autocommit) and at once reads it back through the same connection. A read that returns a
//! smaller value, or no row, is stale: the session did not see its own acknowledged write.
//!
//! It must not share anything between connections.

use std::time::Instant;

use super::{checked_read, INSERT, SELECT, UPDATE};
use crate::client::{Client, ClientError, Param};
use crate::workload::{Observation, Workload};

/// One connection's session check.
pub struct SessionCheck {
    row: i64,
    /// The last value whose write was acknowledged (0: the row was never written).
    written: i64,
}

impl SessionCheck {
    pub fn new(row: i64) -> SessionCheck {
        SessionCheck { row, written: 0 }
    }
}

pub struct SessionStmts<S> {
    insert: S,
    update: S,
    select: S,
}

impl<C: Client> Workload<C> for SessionCheck {
    type Stmts = SessionStmts<C::Stmt>;

    async fn prepare(&mut self, client: &mut C) -> Result<Self::Stmts, ClientError> {
        Ok(SessionStmts {
            insert: client.prepare(INSERT).await?,
            update: client.prepare(UPDATE).await?,
            select: client.prepare(SELECT).await?,
        })
    }

    async fn event(
        &mut self,
        client: &mut C,
        stmts: &Self::Stmts,
        seen: &mut Observation,
    ) -> Result<(), ClientError> {
        let next = self.written + 1;
        let started = Instant::now();
        if self.written == 0 {
            client
                .exec(&stmts.insert, &[Param::Int(self.row), Param::Int(next)])
                .await?;
        } else {
            client
                .exec(&stmts.update, &[Param::Int(next), Param::Int(self.row)])
                .await?;
        }
        self.written = next;
        seen.write_us = Some(started.elapsed().as_micros() as u64);
        seen.read = Some(checked_read(client, &stmts.select, self.row, next).await?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::{FakeClient, FakeServer};
    use crate::client::{ConnectOpts, Protocol};
    use futures_lite::future::block_on;

    fn connect(port: u16) -> FakeClient {
        block_on(FakeClient::connect(&ConnectOpts::fake(
            port,
            Protocol::Prepared,
        )))
        .expect("fake connects")
    }

    #[test]
    fn fresh_reads_are_not_stale() {
        let server = FakeServer::register(40_200, 0);
        let mut client = connect(40_200);
        let mut check = SessionCheck::new(77);
        let stmts = block_on(check.prepare(&mut client)).expect("prepare");
        for expected in 1..=3 {
            let mut seen = Observation::default();
            block_on(check.event(&mut client, &stmts, &mut seen)).expect("event");
            let read = seen.read.expect("a checked read");
            assert_eq!(
                (read.expected, read.got, read.port),
                (expected, Some(expected), 40_200)
            );
            assert!(!read.stale());
            assert!(seen.write_us.is_some());
        }
        assert_eq!(server.value(77), Some(3));
    }

    #[test]
    fn a_lagging_read_is_stale() {
        // Every second read returns the value before the last write (none, for the first row).
        FakeServer::register(40_201, 2);
        let mut client = connect(40_201);
        let mut check = SessionCheck::new(5);
        let stmts = block_on(check.prepare(&mut client)).expect("prepare");
        let mut stale = Vec::new();
        for _ in 0..4 {
            let mut seen = Observation::default();
            block_on(check.event(&mut client, &stmts, &mut seen)).expect("event");
            let read = seen.read.expect("a checked read");
            stale.push((read.stale(), read.got));
        }
        assert_eq!(
            stale,
            vec![
                (false, Some(1)),
                (true, Some(1)),
                (false, Some(3)),
                (true, Some(3))
            ]
        );
    }
}
