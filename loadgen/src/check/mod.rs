//! The read-after-write consistency checker's shared parts: the `sluice_check` table and its
//! statements, the block of row ids a run owns (from a random run id, so concurrent runs never
//! touch each other's rows), the timed, checked read, and the clean-up of a run's rows.
//! The two checks are in [`session`] (each connection reads its own writes) and [`global`]
//! (readers must see what other connections' writes had been acknowledged).
//!
//! It must not touch rows outside its run's block, and never decides what is measured or counted.

pub mod global;
pub mod session;

use std::time::Instant;

use crate::client::{Client, ClientError, Param};
use crate::workload::CheckedRead;

/// Creates the checker's table if it is missing.
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_check \
     (id BIGINT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB";
/// The checked read: the row's value and the port of the server that answered.
pub const SELECT: &str = "SELECT v, @@port FROM sluice_check WHERE id = ?";
/// A later write of a row.
pub const UPDATE: &str = "UPDATE sluice_check SET v = ? WHERE id = ?";
/// The first write of a row (REPLACE, so that a retry after a lost connection cannot collide).
pub const INSERT: &str = "REPLACE INTO sluice_check (id, v) VALUES (?, ?)";

/// How many ids a run owns (so at most this many connections or shared rows).
pub const IDS_PER_RUN: i64 = 1 << 16;

/// The block of `sluice_check` ids one run owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunRows {
    base: i64,
}

impl RunRows {
    /// The block of the run with this (random) id: one of 2^40 blocks of 2^16 ids.
    pub fn from_run_id(run_id: u64) -> RunRows {
        let block = (run_id % (1 << 40)) as i64 + 1;
        RunRows {
            base: block * IDS_PER_RUN,
        }
    }

    /// The id of row `index` (`index < IDS_PER_RUN`).
    pub fn id(self, index: usize) -> i64 {
        self.base + index as i64
    }

    pub fn first(self) -> i64 {
        self.base
    }

    pub fn last(self) -> i64 {
        self.base + IDS_PER_RUN - 1
    }
}

/// Deletes every row of the run.
pub async fn delete_rows<C: Client>(client: &mut C, rows: RunRows) -> Result<(), ClientError> {
    client
        .query(&format!(
            "DELETE FROM sluice_check WHERE id BETWEEN {} AND {}",
            rows.first(),
            rows.last()
        ))
        .await
}

/// Reads row `row` with `select` ([`SELECT`]) and returns what it saw, timed; `expected` is the
/// smallest value a fresh read may return.
pub async fn checked_read<C: Client>(
    client: &mut C,
    select: &C::Stmt,
    row: i64,
    expected: i64,
) -> Result<CheckedRead, ClientError> {
    let mut out = [0; 2];
    let started = Instant::now();
    let found = client
        .exec_row(select, &[Param::Int(row)], &mut out)
        .await?;
    let latency_us = started.elapsed().as_micros() as u64;
    let port = if found {
        u16::try_from(out[1])
            .map_err(|_| ClientError::Unexpected(format!("@@port {} is not a port", out[1])))?
    } else {
        0
    };
    Ok(CheckedRead {
        row,
        expected,
        got: found.then_some(out[0]),
        port,
        latency_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_own_disjoint_blocks() {
        let a = RunRows::from_run_id(7);
        let b = RunRows::from_run_id(8);
        assert_eq!(a.id(0), a.first());
        assert_eq!(a.last() + 1, b.first());
        assert!(a.first() > 0, "id 0 and below stay free for other uses");
        let top = RunRows::from_run_id(u64::MAX);
        assert!(top.last() > top.first(), "no overflow at the top block");
    }
}
