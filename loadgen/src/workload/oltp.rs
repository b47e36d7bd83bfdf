//! The sysbench OLTP workloads, statement for statement as sysbench 1.0's `oltp_point_select`,
//! `oltp_read_only`, `oltp_read_write` and `oltp_write_only` send them with their default options
//! (10 point selects, one of each range query over 100 ids, one index update, one non-index
//! update, one delete+insert, all inside BEGIN/COMMIT except for point-select), ids uniform over
//! the table, each group of statements on a table picked at random.
//!
//! It must not create tables (see [`super::prepare`]) or time anything.

use crate::client::{Client, ClientError, Param};
use crate::rng::{Rng, C_GROUPS, PAD_GROUPS};
use crate::workload::{Observation, Workload};

/// Point selects per event of read-only and read-write (point-select sends one).
const POINT_SELECTS: u32 = 10;
/// Ids covered by a range query.
const RANGE_SIZE: i64 = 100;

/// Which sysbench workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OltpKind {
    PointSelect,
    ReadOnly,
    ReadWrite,
    WriteOnly,
}

impl OltpKind {
    fn transactions(self) -> bool {
        self != OltpKind::PointSelect
    }

    fn point_selects(self) -> u32 {
        match self {
            OltpKind::PointSelect => 1,
            OltpKind::ReadOnly | OltpKind::ReadWrite => POINT_SELECTS,
            OltpKind::WriteOnly => 0,
        }
    }

    fn ranges(self) -> bool {
        matches!(self, OltpKind::ReadOnly | OltpKind::ReadWrite)
    }

    fn writes(self) -> bool {
        matches!(self, OltpKind::ReadWrite | OltpKind::WriteOnly)
    }
}

/// The shape of the data: `sbtest1..=tables`, ids `1..=table_size`.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub tables: u32,
    pub table_size: u32,
}

/// One connection's OLTP workload.
pub struct Oltp {
    kind: OltpKind,
    shape: Shape,
    rng: Rng,
    c: String,
    pad: String,
}

impl Oltp {
    pub fn new(kind: OltpKind, shape: Shape, seed: u64) -> Oltp {
        Oltp {
            kind,
            shape,
            rng: Rng::new(seed),
            c: String::with_capacity(128),
            pad: String::with_capacity(64),
        }
    }

    fn id(&mut self) -> i64 {
        self.rng.between(1, i64::from(self.shape.table_size))
    }

    /// The statements of a table picked at random.
    fn pick<'s, T>(&mut self, per_table: &'s [T]) -> &'s T {
        &per_table[self.rng.below(per_table.len() as u64) as usize]
    }
}

/// The range queries of one table: simple, sum, order, distinct.
type Ranges<S> = [S; 4];

/// The writes of one table.
pub struct Writes<S> {
    index_update: S,
    non_index_update: S,
    delete: S,
    insert: S,
}

/// The statements of one connection, per table, for the groups its kind sends.
pub struct OltpStmts<S> {
    begin_commit: Option<(S, S)>,
    points: Vec<S>,
    ranges: Vec<Ranges<S>>,
    writes: Vec<Writes<S>>,
}

impl<C: Client> Workload<C> for Oltp {
    type Stmts = OltpStmts<C::Stmt>;

    async fn prepare(&mut self, client: &mut C) -> Result<Self::Stmts, ClientError> {
        let kind = self.kind;
        let begin_commit = if kind.transactions() {
            Some((
                client.prepare("BEGIN").await?,
                client.prepare("COMMIT").await?,
            ))
        } else {
            None
        };
        let tables = 1..=self.shape.tables;
        let mut stmts = OltpStmts {
            begin_commit,
            points: Vec::new(),
            ranges: Vec::new(),
            writes: Vec::new(),
        };
        if kind.point_selects() > 0 {
            for t in tables.clone() {
                let sql = format!("SELECT c FROM sbtest{t} WHERE id=?");
                stmts.points.push(client.prepare(&sql).await?);
            }
        }
        if kind.ranges() {
            for t in tables.clone() {
                stmts.ranges.push([
                    client
                        .prepare(&format!("SELECT c FROM sbtest{t} WHERE id BETWEEN ? AND ?"))
                        .await?,
                    client
                        .prepare(&format!(
                            "SELECT SUM(k) FROM sbtest{t} WHERE id BETWEEN ? AND ?"
                        ))
                        .await?,
                    client
                        .prepare(&format!(
                            "SELECT c FROM sbtest{t} WHERE id BETWEEN ? AND ? ORDER BY c"
                        ))
                        .await?,
                    client
                        .prepare(&format!(
                            "SELECT DISTINCT c FROM sbtest{t} WHERE id BETWEEN ? AND ? ORDER BY c"
                        ))
                        .await?,
                ]);
            }
        }
        if kind.writes() {
            for t in tables {
                stmts.writes.push(Writes {
                    index_update: client
                        .prepare(&format!("UPDATE sbtest{t} SET k=k+1 WHERE id=?"))
                        .await?,
                    non_index_update: client
                        .prepare(&format!("UPDATE sbtest{t} SET c=? WHERE id=?"))
                        .await?,
                    delete: client
                        .prepare(&format!("DELETE FROM sbtest{t} WHERE id=?"))
                        .await?,
                    insert: client
                        .prepare(&format!(
                            "INSERT INTO sbtest{t} (id, k, c, pad) VALUES (?, ?, ?, ?)"
                        ))
                        .await?,
                });
            }
        }
        Ok(stmts)
    }

    async fn event(
        &mut self,
        client: &mut C,
        stmts: &Self::Stmts,
        _seen: &mut Observation,
    ) -> Result<(), ClientError> {
        if let Some((begin, _)) = &stmts.begin_commit {
            client.exec(begin, &[]).await?;
        }
        if !stmts.points.is_empty() {
            let stmt = self.pick(&stmts.points);
            for _ in 0..self.kind.point_selects() {
                let id = self.id();
                client.exec(stmt, &[Param::Int(id)]).await?;
            }
        }
        if !stmts.ranges.is_empty() {
            for query in 0..4 {
                let stmt = &self.pick(&stmts.ranges)[query];
                let id = self.id();
                client
                    .exec(stmt, &[Param::Int(id), Param::Int(id + RANGE_SIZE - 1)])
                    .await?;
            }
        }
        if !stmts.writes.is_empty() {
            let id = self.id();
            client
                .exec(&self.pick(&stmts.writes).index_update, &[Param::Int(id)])
                .await?;

            let stmt = &self.pick(&stmts.writes).non_index_update;
            self.rng.digit_groups(C_GROUPS, &mut self.c);
            let id = self.id();
            client
                .exec(stmt, &[Param::Str(&self.c), Param::Int(id)])
                .await?;

            let table = self.pick(&stmts.writes);
            let (id, k) = (self.id(), self.id());
            self.rng.digit_groups(C_GROUPS, &mut self.c);
            self.rng.digit_groups(PAD_GROUPS, &mut self.pad);
            client.exec(&table.delete, &[Param::Int(id)]).await?;
            let row = [
                Param::Int(id),
                Param::Int(k),
                Param::Str(&self.c),
                Param::Str(&self.pad),
            ];
            client.exec(&table.insert, &row).await?;
        }
        if let Some((_, commit)) = &stmts.begin_commit {
            client.exec(commit, &[]).await?;
        }
        Ok(())
    }

    async fn recover(&mut self, client: &mut C) {
        if self.kind.transactions() {
            // A failed ROLLBACK means the connection is gone; the next event will tell.
            let _ = client.query("ROLLBACK").await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::{FakeClient, FakeServer};
    use crate::client::{ConnectOpts, Protocol};
    use futures_lite::future::block_on;

    fn opts(port: u16) -> ConnectOpts {
        ConnectOpts::fake(port, Protocol::Prepared)
    }

    fn statements_per_event(kind: OltpKind) -> u64 {
        FakeServer::register(40_100, 0);
        block_on(async {
            let mut client = FakeClient::connect(&opts(40_100))
                .await
                .expect("fake connects");
            let shape = Shape {
                tables: 3,
                table_size: 100,
            };
            let mut oltp = Oltp::new(kind, shape, 9);
            let stmts = oltp.prepare(&mut client).await.expect("prepare");
            let mut seen = Observation::default();
            oltp.event(&mut client, &stmts, &mut seen)
                .await
                .expect("event");
            client.statements_sent()
        })
    }

    #[test]
    fn statements_per_event_match_sysbench() {
        assert_eq!(statements_per_event(OltpKind::PointSelect), 1);
        // BEGIN + 10 point selects + 4 ranges + COMMIT
        assert_eq!(statements_per_event(OltpKind::ReadOnly), 16);
        // ... + index update + non-index update + delete + insert
        assert_eq!(statements_per_event(OltpKind::ReadWrite), 20);
        assert_eq!(statements_per_event(OltpKind::WriteOnly), 6);
    }
}
