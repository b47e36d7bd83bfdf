//! A replica at its `max_prepared_stmt_count`: the statements sluice keeps prepared on its
//! connections count against that server-wide limit, so when a lazy prepare there is refused
//! (ER_MAX_PREPARED_STMT_COUNT_REACHED), sluice closes what that connection keeps cached and
//! prepares again; the client never sees the error it did not cause.
//!
//! Lowers a global server limit for a moment, so this binary runs alone (.config/nextest.toml).

mod common;

use common::{admin_sql, each_flavor, server_conn, Flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::Conn;

/// `Prepared_stmt_count` of the server on `port`.
fn prepared_stmt_count(port: u16) -> u64 {
    let row: Option<(String, u64)> = server_conn(port)
        .query_first("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")
        .expect("Prepared_stmt_count");
    row.expect("a row").1
}

/// Holds the replicas at the statements they have open now; restores the limit when dropped.
struct AtLimit {
    flavor: Flavor,
    saved: Vec<(u16, String)>,
}

impl AtLimit {
    fn now(flavor: Flavor) -> AtLimit {
        let saved = flavor
            .replica_ports()
            .iter()
            .map(|&port| {
                let old = admin_sql(flavor, port, "SELECT @@global.max_prepared_stmt_count");
                let open = prepared_stmt_count(port);
                admin_sql(
                    flavor,
                    port,
                    &format!("SET GLOBAL max_prepared_stmt_count = {open}"),
                );
                (port, old.trim().to_owned())
            })
            .collect();
        AtLimit { flavor, saved }
    }
}

impl Drop for AtLimit {
    fn drop(&mut self) {
        for (port, old) in &self.saved {
            admin_sql(
                self.flavor,
                *port,
                &format!("SET GLOBAL max_prepared_stmt_count = {old}"),
            );
        }
    }
}

/// Prepares `SELECT ? + {i}, @@port` and executes it twice; returns the ports that ran it.
fn prepare_and_run(conn: &mut Conn, i: i64) -> Vec<u16> {
    let stmt = conn
        .prep(format!("SELECT ? + {i}, @@port"))
        .unwrap_or_else(|err| panic!("prepare {i}: {err}"));
    let ports = (0..2_i64)
        .map(|j| {
            let row: Option<(i64, u16)> = conn
                .exec_first(&stmt, (j,))
                .unwrap_or_else(|err| panic!("execute statement {i} (run {j}): {err}"));
            let (v, port) = row.expect("a row");
            assert_eq!(v, i + j, "statement {i}, run {j}");
            port
        })
        .collect();
    conn.close(stmt).expect("COM_STMT_CLOSE");
    ports
}

#[test]
fn a_replica_at_its_statement_limit_still_runs_new_statements() {
    each_flavor("pl_limit", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        // Statements the replicas' connections now keep prepared (the client closed them).
        for i in 0..20 {
            prepare_and_run(&mut conn, i);
        }
        let _limit = AtLimit::now(ctx.flavor);
        // Every new statement needs a lazy prepare on a replica at its limit.
        let [r1, r2] = ctx.flavor.replica_ports();
        let mut on_replicas = 0;
        for i in 100..110 {
            on_replicas += prepare_and_run(&mut conn, i)
                .iter()
                .filter(|&&p| p == r1 || p == r2)
                .count();
        }
        assert!(on_replicas > 0, "no execution ran on a replica");
    });
}
