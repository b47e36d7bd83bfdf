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

fn per_table<C: Client, T>(
    client: &mut C,
    shape: Shape,
    wanted: bool,
    mut make: impl FnMut(&mut C, u32) -> Result<T, ClientError>,
) -> Result<Vec<T>, ClientError> {
    if !wanted {
        return Ok(Vec::new());
    }
    (1..=shape.tables).map(|t| make(client, t)).collect()
}

impl<C: Client> Workload<C> for Oltp {
    type Stmts = OltpStmts<C::Stmt>;

    fn prepare(&mut self, client: &mut C) -> Result<Self::Stmts, ClientError> {
        let kind = self.kind;
        let begin_commit = if kind.transactions() {
            Some((client.prepare("BEGIN")?, client.prepare("COMMIT")?))
        } else {
            None
        };
        let points = per_table(client, self.shape, kind.point_selects() > 0, |c, t| {
            c.prepare(&format!("SELECT c FROM sbtest{t} WHERE id=?"))
        })?;
        let ranges = per_table(client, self.shape, kind.ranges(), |c, t| {
            Ok([
                c.prepare(&format!("SELECT c FROM sbtest{t} WHERE id BETWEEN ? AND ?"))?,
                c.prepare(&format!(
                    "SELECT SUM(k) FROM sbtest{t} WHERE id BETWEEN ? AND ?"
                ))?,
                c.prepare(&format!(
                    "SELECT c FROM sbtest{t} WHERE id BETWEEN ? AND ? ORDER BY c"
                ))?,
                c.prepare(&format!(
                    "SELECT DISTINCT c FROM sbtest{t} WHERE id BETWEEN ? AND ? ORDER BY c"
                ))?,
            ])
        })?;
        let writes = per_table(client, self.shape, kind.writes(), |c, t| {
            Ok(Writes {
                index_update: c.prepare(&format!("UPDATE sbtest{t} SET k=k+1 WHERE id=?"))?,
                non_index_update: c.prepare(&format!("UPDATE sbtest{t} SET c=? WHERE id=?"))?,
                delete: c.prepare(&format!("DELETE FROM sbtest{t} WHERE id=?"))?,
                insert: c.prepare(&format!(
                    "INSERT INTO sbtest{t} (id, k, c, pad) VALUES (?, ?, ?, ?)"
                ))?,
            })
        })?;
        Ok(OltpStmts {
            begin_commit,
            points,
            ranges,
            writes,
        })
    }

    fn event(
        &mut self,
        client: &mut C,
        stmts: &Self::Stmts,
        _seen: &mut Observation,
    ) -> Result<(), ClientError> {
        if let Some((begin, _)) = &stmts.begin_commit {
            client.exec(begin, &[])?;
        }
        if !stmts.points.is_empty() {
            let stmt = self.pick(&stmts.points);
            for _ in 0..self.kind.point_selects() {
                let id = self.id();
                client.exec(stmt, &[Param::Int(id)])?;
            }
        }
        if !stmts.ranges.is_empty() {
            for query in 0..4 {
                let stmt = &self.pick(&stmts.ranges)[query];
                let id = self.id();
                client.exec(stmt, &[Param::Int(id), Param::Int(id + RANGE_SIZE - 1)])?;
            }
        }
        if !stmts.writes.is_empty() {
            let id = self.id();
            client.exec(&self.pick(&stmts.writes).index_update, &[Param::Int(id)])?;

            let stmt = &self.pick(&stmts.writes).non_index_update;
            self.rng.digit_groups(C_GROUPS, &mut self.c);
            let id = self.id();
            client.exec(stmt, &[Param::Str(&self.c), Param::Int(id)])?;

            let table = self.pick(&stmts.writes);
            let (id, k) = (self.id(), self.id());
            self.rng.digit_groups(C_GROUPS, &mut self.c);
            self.rng.digit_groups(PAD_GROUPS, &mut self.pad);
            client.exec(&table.delete, &[Param::Int(id)])?;
            let row = [
                Param::Int(id),
                Param::Int(k),
                Param::Str(&self.c),
                Param::Str(&self.pad),
            ];
            client.exec(&table.insert, &row)?;
        }
        if let Some((_, commit)) = &stmts.begin_commit {
            client.exec(commit, &[])?;
        }
        Ok(())
    }

    fn recover(&mut self, client: &mut C) {
        if self.kind.transactions() {
            // A failed ROLLBACK means the connection is gone; the next event will tell.
            let _ = client.query("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::{FakeClient, FakeServer};
    use crate::client::{ConnectOpts, Protocol};

    fn opts(port: u16) -> ConnectOpts {
        ConnectOpts::fake(port, Protocol::Prepared)
    }

    fn statements_per_event(kind: OltpKind) -> u64 {
        FakeServer::register(40_100, 0);
        let mut client = FakeClient::connect(&opts(40_100)).expect("fake connects");
        let shape = Shape {
            tables: 3,
            table_size: 100,
        };
        let mut oltp = Oltp::new(kind, shape, 9);
        let stmts = oltp.prepare(&mut client).expect("prepare");
        let mut seen = Observation::default();
        oltp.event(&mut client, &stmts, &mut seen).expect("event");
        client.statements_sent()
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
