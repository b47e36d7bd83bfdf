//! sysbench 1.0 `oltp_read_only` and `oltp_read_write` through sluice with read/write splitting
//! (issue 3): every run completes with no errors (other than the rare lock conflicts sysbench
//! ignores) and no reconnects, and in autocommit mode (`--skip_trx=on`, where sysbench's reads are
//! not inside transactions) the reads are spread over both replicas, counted by each replica's own
//! `Com_select`.
//!
//! It works in its own database, `sluice_test_sysbench` (created and granted to the app user by
//! root), so that its `sbtest1..2` never meet those of tests/sysbench.rs, which may run at the
//! same time.

mod common;

use common::sysbench::{counter, sysbench as run_sysbench, Tables};
use common::{
    admin_sql, each_flavor, location_check, server_conn, wait_replicated, Flavor, Sluice,
};
use mysql::prelude::Queryable;

const DB: &str = "sluice_test_sysbench";
const TABLES: u32 = 2;
const TABLE_SIZE: u32 = 1000;

fn sysbench(port: u16, test: &str, args: &[&str]) -> String {
    let tables = Tables {
        db: DB,
        count: TABLES,
        size: TABLE_SIZE,
    };
    run_sysbench(port, test, tables, args)
}

/// `Com_select` of the server on `port`, read directly.
fn com_select(port: u16) -> u64 {
    let row: Option<(String, u64)> = server_conn(port)
        .query_first("SHOW GLOBAL STATUS LIKE 'Com_select'")
        .expect("SHOW GLOBAL STATUS");
    row.expect("a Com_select row").1
}

/// The test's database, on the primary and (through replication) on the replicas.
fn create_database(flavor: Flavor) {
    admin_sql(
        flavor,
        flavor.primary_port(),
        &format!(
            "CREATE DATABASE IF NOT EXISTS {DB}; \
             GRANT ALL PRIVILEGES ON {DB}.* TO 'app'@'127.0.0.1'; \
             GRANT ALL PRIVILEGES ON {DB}.* TO 'app'@'localhost';"
        ),
    );
    wait_replicated(
        flavor,
        &format!("SELECT 1 FROM information_schema.schemata WHERE schema_name = '{DB}'"),
    );
}

#[test]
fn sysbench_oltp_runs_clean_with_reads_spread_over_replicas() {
    each_flavor("sysbench_routing", |ctx| {
        create_database(ctx.flavor);
        let sluice = Sluice::start(ctx.flavor);
        let _ = sysbench(sluice.port, "oltp_read_write", &["cleanup"]);
        sysbench(sluice.port, "oltp_read_write", &["prepare"]);
        // Replica reads must find the tables and rows.
        wait_replicated(
            ctx.flavor,
            &format!("SELECT 1 FROM {DB}.sbtest{TABLES} HAVING COUNT(*) = {TABLE_SIZE}"),
        );
        let [r1, r2] = ctx.flavor.replica_ports();
        let runs: [(&str, &[&str], bool); 5] = [
            ("oltp_read_only", &["--skip_trx=on", "--threads=4"], true),
            (
                "oltp_read_only",
                &["--skip_trx=on", "--db-ps-mode=disable"],
                true,
            ),
            ("oltp_read_only", &["--threads=2"], false),
            // One thread: in autocommit mode, concurrent threads' DELETE + INSERT of the same id
            // collide (1062) directly on the primary too.
            ("oltp_read_write", &["--skip_trx=on", "--threads=1"], true),
            ("oltp_read_write", &["--threads=4"], false),
        ];
        for (test, options, spread) in runs {
            let before = [com_select(r1), com_select(r2)];
            let mut args = vec!["run", "--time=3", "--report-interval=0"];
            args.extend_from_slice(options);
            let report = sysbench(sluice.port, test, &args);
            let after = [com_select(r1), com_select(r2)];
            let transactions = counter(&report, "transactions:");
            let reads = counter(&report, "read:");
            assert!(
                transactions > 50,
                "{test} {options:?}: too few transactions:\n{report}"
            );
            // sysbench exits non-zero on any error but the lock conflicts it ignores (1213, 1205,
            // 1020), which concurrent transactions also get directly; they must stay rare.
            assert!(
                counter(&report, "ignored errors:") * 100 <= transactions,
                "{test} {options:?}: more than 1% lock conflicts through sluice:\n{report}"
            );
            assert_eq!(
                counter(&report, "reconnects:"),
                0,
                "{test} {options:?}: reconnects through sluice:\n{report}"
            );
            if spread {
                // Other tests' reads may add to the counters, never subtract: with equal weights
                // each replica must have run at least a quarter of sysbench's reads.
                let grown = [after[0] - before[0], after[1] - before[1]];
                location_check(grown.iter().all(|&g| g * 4 >= reads), || {
                    format!(
                        "{test} {options:?}: expected its {reads} reads spread over both \
                         replicas; Com_select grew by {} on {r1} and {} on {r2}",
                        grown[0], grown[1]
                    )
                });
            }
        }
        sysbench(sluice.port, "oltp_read_write", &["cleanup"]);
        let mut sluice = sluice;
        sluice.assert_running();
    });
}
