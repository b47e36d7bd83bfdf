//! Creating the sysbench tables: `sbtest1..=N` with sysbench's schema, filled with sysbench-shaped
//! rows by multi-row INSERTs of 1,000 rows, then indexed on `k` (as sysbench does, after the fill).
//! Only missing tables are created: an existing table (from sysbench or an earlier run) is left as
//! it is, and a table some other process creates at the same moment is left to that process.
//!
//! It must never drop or empty a table: other processes may be using them.

use std::fmt::Write as _;
use std::time::Instant;

use crate::client::{Client, ClientError, ConnectOpts};
use crate::rng::{Rng, C_GROUPS, PAD_GROUPS};
use crate::runtime;
use crate::workload::oltp::Shape;

/// Rows per INSERT statement.
const BATCH: u32 = 1000;
/// `ER_TABLE_EXISTS_ERROR`.
const ER_TABLE_EXISTS: u16 = 1050;

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableOutcome {
    Created { table: String, rows: u32 },
    Existed { table: String },
}

/// Whether table `name` exists in the connection's current database.
pub async fn table_exists<C: Client>(client: &mut C, name: &str) -> Result<bool, ClientError> {
    let mut count = [0];
    client
        .query_row(
            &format!(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = '{name}'"
            ),
            &mut count,
        )
        .await?;
    Ok(count[0] > 0)
}

/// The name of table number `t`.
pub fn table_name(t: u32) -> String {
    format!("sbtest{t}")
}

/// Creates and fills the missing tables of `shape`, using up to `connections` connections at
/// once (one table per connection at a time), as tasks of the current executor. `log` gets one
/// line per table.
pub async fn prepare_tables<C: Client + 'static>(
    opts: &ConnectOpts,
    shape: Shape,
    connections: usize,
    seed: u64,
    log: fn(&str),
) -> Result<Vec<TableOutcome>, ClientError> {
    let connections = connections.clamp(1, shape.tables as usize);
    let results = runtime::join_all((0..connections).map(|worker| {
        let opts = opts.clone();
        async move {
            let mut client = C::connect(&opts).await?;
            let mut rng = Rng::new(seed ^ worker as u64);
            let mut outcomes = Vec::new();
            for t in (1..=shape.tables).filter(|t| (*t as usize - 1) % connections == worker) {
                let outcome =
                    create_and_fill(&mut client, t, shape.table_size, &mut rng, log).await?;
                outcomes.push(outcome);
            }
            client.close().await;
            Ok::<_, ClientError>(outcomes)
        }
    }))
    .await;
    let mut outcomes = Vec::new();
    for result in results {
        outcomes.extend(result?);
    }
    outcomes.sort_by_key(|outcome| match outcome {
        TableOutcome::Created { table, .. } | TableOutcome::Existed { table } => {
            (table.len(), table.clone())
        }
    });
    Ok(outcomes)
}

async fn create_and_fill<C: Client>(
    client: &mut C,
    t: u32,
    rows: u32,
    rng: &mut Rng,
    log: fn(&str),
) -> Result<TableOutcome, ClientError> {
    let table = table_name(t);
    let started = Instant::now();
    let create = format!(
        "CREATE TABLE {table} (\
         id INTEGER NOT NULL AUTO_INCREMENT, \
         k INTEGER DEFAULT '0' NOT NULL, \
         c CHAR(120) DEFAULT '' NOT NULL, \
         pad CHAR(60) DEFAULT '' NOT NULL, \
         PRIMARY KEY (id)) ENGINE=InnoDB"
    );
    match client.query(&create).await {
        Ok(()) => {}
        Err(ClientError::Server { code, .. }) if code == ER_TABLE_EXISTS => {
            log(&format!("{table}: exists, left as it is"));
            return Ok(TableOutcome::Existed { table });
        }
        Err(err) => return Err(err),
    }
    let (mut sql, mut c, mut pad) = (String::new(), String::new(), String::new());
    let mut done = 0;
    while done < rows {
        let n = BATCH.min(rows - done);
        sql.clear();
        let _ = write!(sql, "INSERT INTO {table} (k, c, pad) VALUES ");
        for i in 0..n {
            rng.digit_groups(C_GROUPS, &mut c);
            rng.digit_groups(PAD_GROUPS, &mut pad);
            let k = rng.between(1, i64::from(rows));
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(sql, "{sep}({k},'{c}','{pad}')");
        }
        client.query(&sql).await?;
        done += n;
    }
    client
        .query(&format!("CREATE INDEX k_{t} ON {table}(k)"))
        .await?;
    log(&format!(
        "{table}: created, {rows} rows and index k_{t} in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(TableOutcome::Created { table, rows })
}
