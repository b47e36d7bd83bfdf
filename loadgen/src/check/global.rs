//! `--check global`: the first half of the connections are writers, each owning one shared row
//! that it sets to increasing values and, once the server acknowledged a write, publishes in
//! process (an atomic per row). The other half are readers that take each row in turn, load its
//! published value *before* sending their SELECT, and call the read stale if it returns less: it
//! missed a commit that had been acknowledged before the read began.
//!
//! It must not publish a value before its write was acknowledged, nor read the published value
//! after the SELECT was sent.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{checked_read, RunRows, INSERT, SELECT, UPDATE};
use crate::client::{Client, ClientError, Param};
use crate::workload::{Observation, Workload};

/// How many writers (and so shared rows) a run of `connections` has.
pub fn writers(connections: usize) -> usize {
    connections / 2
}

/// The acknowledged value of every shared row.
#[derive(Debug)]
pub struct Published {
    values: Vec<AtomicI64>,
}

impl Published {
    pub fn new(rows: usize) -> Published {
        Published {
            values: (0..rows).map(|_| AtomicI64::new(0)).collect(),
        }
    }

    pub fn rows(&self) -> usize {
        self.values.len()
    }
}

/// Writes value 0 to every shared row, before any reader starts.
pub async fn seed_rows<C: Client>(
    client: &mut C,
    rows: RunRows,
    count: usize,
) -> Result<(), ClientError> {
    let insert = client.prepare(INSERT).await?;
    for row in 0..count {
        client
            .exec(&insert, &[Param::Int(rows.id(row)), Param::Int(0)])
            .await?;
    }
    Ok(())
}

enum Role {
    Writer { row: usize, written: i64 },
    Reader { next: usize },
}

/// One connection of the global check.
pub struct GlobalCheck {
    rows: RunRows,
    published: Arc<Published>,
    role: Role,
}

impl GlobalCheck {
    /// Connection `index`: a writer of row `index` if it is in the first half, else a reader
    /// starting at a row of its own.
    pub fn new(index: usize, rows: RunRows, published: Arc<Published>) -> GlobalCheck {
        let shared = published.rows().max(1);
        let role = if index < published.rows() {
            Role::Writer {
                row: index,
                written: 0,
            }
        } else {
            Role::Reader {
                next: index % shared,
            }
        };
        GlobalCheck {
            rows,
            published,
            role,
        }
    }
}

/// A writer's or a reader's one statement.
pub enum GlobalStmt<S> {
    Update(S),
    Select(S),
}

impl<C: Client> Workload<C> for GlobalCheck {
    type Stmts = GlobalStmt<C::Stmt>;

    async fn prepare(&mut self, client: &mut C) -> Result<Self::Stmts, ClientError> {
        Ok(match self.role {
            Role::Writer { .. } => GlobalStmt::Update(client.prepare(UPDATE).await?),
            Role::Reader { .. } => GlobalStmt::Select(client.prepare(SELECT).await?),
        })
    }

    async fn event(
        &mut self,
        client: &mut C,
        stmts: &Self::Stmts,
        seen: &mut Observation,
    ) -> Result<(), ClientError> {
        match (&mut self.role, stmts) {
            (Role::Writer { row, written }, GlobalStmt::Update(update)) => {
                let next = *written + 1;
                let started = Instant::now();
                let id = self.rows.id(*row);
                client
                    .exec(update, &[Param::Int(next), Param::Int(id)])
                    .await?;
                seen.write_us = Some(started.elapsed().as_micros() as u64);
                *written = next;
                self.published.values[*row].store(next, Ordering::Release);
            }
            (Role::Reader { next }, GlobalStmt::Select(select)) => {
                let row = *next;
                *next = (row + 1) % self.published.rows();
                let expected = self.published.values[row].load(Ordering::Acquire);
                seen.read = Some(checked_read(client, select, self.rows.id(row), expected).await?);
            }
            _ => {
                return Err(ClientError::Other(
                    "global check: statements of the other role".into(),
                ))
            }
        }
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
            Protocol::Text,
        )))
        .expect("fake connects")
    }

    #[test]
    fn roles_split_the_connections() {
        assert_eq!(writers(2), 1);
        assert_eq!(writers(5), 2);
        let published = Arc::new(Published::new(writers(4)));
        let rows = RunRows::from_run_id(1);
        let roles: Vec<bool> = (0..4)
            .map(|i| {
                matches!(
                    GlobalCheck::new(i, rows, published.clone()).role,
                    Role::Writer { .. }
                )
            })
            .collect();
        assert_eq!(roles, vec![true, true, false, false]);
    }

    #[test]
    fn a_reader_must_see_every_published_write() {
        // Every third read returns the row's value before its latest write.
        let server = FakeServer::register(40_300, 3);
        let rows = RunRows::from_run_id(2);
        let published = Arc::new(Published::new(1));
        let mut setup = connect(40_300);
        block_on(seed_rows(&mut setup, rows, 1)).expect("seed");

        let mut writer = GlobalCheck::new(0, rows, published.clone());
        let mut reader = GlobalCheck::new(1, rows, published.clone());
        let (mut wc, mut rc) = (connect(40_300), connect(40_300));
        let ws = block_on(writer.prepare(&mut wc)).expect("prepare writer");
        let rs = block_on(reader.prepare(&mut rc)).expect("prepare reader");

        let mut verdicts = Vec::new();
        for _ in 0..3 {
            let mut seen = Observation::default();
            block_on(writer.event(&mut wc, &ws, &mut seen)).expect("write");
            assert!(seen.read.is_none() && seen.write_us.is_some());
            let mut seen = Observation::default();
            block_on(reader.event(&mut rc, &rs, &mut seen)).expect("read");
            let read = seen.read.expect("a checked read");
            verdicts.push((read.expected, read.got, read.stale()));
        }
        assert_eq!(server.value(rows.id(0)), Some(3));
        assert_eq!(
            verdicts,
            vec![(1, Some(1), false), (2, Some(2), false), (3, Some(2), true)]
        );
    }
}
