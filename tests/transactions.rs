//! Transactions through read/write splitting (issue 3): `BEGIN`/`START TRANSACTION` and
//! `SET autocommit = 0` sessions run every statement, reads included, on the primary and see their
//! own uncommitted rows; `COMMIT`/`ROLLBACK` work and end the pin; DDL commits implicitly;
//! `START TRANSACTION READ ONLY` runs start to end on one replica and reads one snapshot;
//! `SET TRANSACTION ISOLATION LEVEL` applies to the next transaction only; XA transactions stay on
//! the primary; idle `autocommit = 0` sessions (the default of Python's DB-API drivers) do not
//! each hold a backend connection between transactions, and keep `autocommit = 0` on whichever
//! connection runs their next one.
//!
//! Each test asserts what the application sees and where the statements ran (`@@port`).
//! `SLUICE_TEST_LOCATIONS=warn` reports location failures without failing.

mod common;

use common::{
    assert_all_on_primary, assert_on_primary, assert_on_replica, assert_spread_over_replicas,
    each_flavor, exec, location_check, ports_of, role_of, row_of, server_error, spread_ports_of,
    wait_replicated, Ctx, Flavor, Sluice,
};
use mysql::prelude::Queryable;
use mysql::{Conn, TxOpts};

/// Drops and creates the test's table `id INT PRIMARY KEY, v INT`.
/// Reads after a commit are checked for *where* they run. Under the default `session` level they
/// may wait for, or fall back from, a replica that has not applied the commit yet, so the
/// sessions that check that use `eventual` (tests/consistency.rs covers the levels).
const EVENTUAL: &str = "SET sluice_consistency = 'eventual'";

fn create_table(conn: &mut Conn, ctx: &Ctx, what: &str) -> String {
    let t = ctx.name(what);
    exec(conn, &format!("DROP TABLE IF EXISTS {t}"));
    exec(
        conn,
        &format!("CREATE TABLE {t} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"),
    );
    t
}

/// `SELECT COUNT(*), @@port FROM t` on `conn`.
fn count_and_port(conn: &mut Conn, t: &str) -> (i64, u16) {
    row_of(conn, &format!("SELECT COUNT(*), @@port FROM {t}"))
}

/// `SELECT COUNT(*) FROM t` directly on the primary, from a connection of its own.
fn committed_count(flavor: Flavor, t: &str) -> i64 {
    let (n,): (i64,) = row_of(
        &mut flavor.direct_conn(),
        &format!("SELECT COUNT(*) FROM {t}"),
    );
    n
}

#[test]
fn transaction_sees_its_own_rows_on_the_primary() {
    each_flavor("tx_basic", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        exec(&mut conn, EVENTUAL);
        let mut other = sluice.conn();
        let t = create_table(&mut conn, ctx, "tx");

        for begin in [
            "BEGIN",
            "START TRANSACTION",
            "BEGIN WORK",
            "START TRANSACTION READ WRITE",
        ] {
            exec(&mut conn, &format!("DELETE FROM {t}"));
            // Reads outside the transaction may go to a replica: let it catch up first.
            wait_replicated(
                ctx.flavor,
                &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 0"),
            );
            exec(&mut conn, begin);
            let ports = ports_of(&mut conn, 5);
            assert_all_on_primary(ctx.flavor, &ports, &format!("SELECT @@port after {begin}"));
            exec(&mut conn, &format!("INSERT INTO {t} VALUES (1, 1), (2, 2)"));
            let (n, port) = count_and_port(&mut conn, &t);
            assert_eq!(
                n, 2,
                "{begin}: the transaction sees its own uncommitted rows"
            );
            assert_on_primary(ctx.flavor, port, &format!("a read inside {begin}"));
            assert_eq!(
                committed_count(ctx.flavor, &t),
                0,
                "{begin}: uncommitted rows are invisible to others"
            );
            let (n, _) = count_and_port(&mut other, &t);
            assert_eq!(
                n, 0,
                "{begin}: another session through sluice does not see uncommitted rows"
            );
            exec(&mut conn, "ROLLBACK");
            let (n, _) = count_and_port(&mut conn, &t);
            assert_eq!(n, 0, "{begin}: rolled back");

            exec(&mut conn, begin);
            exec(&mut conn, &format!("INSERT INTO {t} VALUES (3, 3)"));
            let (n, port) = count_and_port(&mut conn, &t);
            assert_eq!(n, 1);
            assert_on_primary(ctx.flavor, port, &format!("a read inside {begin}"));
            exec(&mut conn, "COMMIT");
            assert_eq!(
                committed_count(ctx.flavor, &t),
                1,
                "{begin}: committed rows are visible to others"
            );
            let ports = spread_ports_of(ctx.flavor, &mut conn, 30);
            assert_spread_over_replicas(
                ctx.flavor,
                &ports,
                &format!("reads after {begin} … COMMIT"),
            );
        }

        // Through the crate's transaction API.
        let mut tx = conn
            .start_transaction(TxOpts::default())
            .expect("start transaction");
        tx.query_drop(format!("INSERT INTO {t} VALUES (4, 4)"))
            .expect("insert in tx");
        let (n, port): (i64, u16) = tx
            .query_first(format!("SELECT COUNT(*), @@port FROM {t}"))
            .expect("read in tx")
            .expect("a row");
        assert_eq!(n, 2);
        assert_on_primary(ctx.flavor, port, "a read inside the crate's transaction");
        tx.rollback().expect("rollback");
        assert_eq!(committed_count(ctx.flavor, &t), 1, "the crate's rollback");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn autocommit_off_sessions_are_transactions() {
    each_flavor("tx_autocommit", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        exec(&mut conn, EVENTUAL);
        let t = create_table(&mut conn, ctx, "ac");

        exec(&mut conn, "SET autocommit = 0");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (1, 1)"));
        let (n, port) = count_and_port(&mut conn, &t);
        assert_eq!(n, 1, "the session sees its own uncommitted row");
        assert_on_primary(ctx.flavor, port, "a read with autocommit = 0 after a write");
        assert_eq!(
            committed_count(ctx.flavor, &t),
            0,
            "uncommitted until COMMIT"
        );
        exec(&mut conn, "COMMIT");
        assert_eq!(committed_count(ctx.flavor, &t), 1, "visible after COMMIT");

        // Still autocommit = 0: the next statement opens a new transaction, reads included.
        let ports = ports_of(&mut conn, 10);
        assert_all_on_primary(ctx.flavor, &ports, "reads with autocommit = 0 after COMMIT");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (2, 2)"));
        exec(&mut conn, "ROLLBACK");
        assert_eq!(
            committed_count(ctx.flavor, &t),
            1,
            "ROLLBACK with autocommit = 0"
        );
        let (n, port) = count_and_port(&mut conn, &t);
        assert_eq!(n, 1);
        assert_on_primary(
            ctx.flavor,
            port,
            "a read with autocommit = 0 after ROLLBACK",
        );

        // Back to autocommit: the open transaction is committed, reads leave the primary.
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (3, 3)"));
        exec(&mut conn, "SET autocommit = 1");
        assert_eq!(
            committed_count(ctx.flavor, &t),
            2,
            "SET autocommit = 1 commits"
        );
        let ports = spread_ports_of(ctx.flavor, &mut conn, 30);
        assert_spread_over_replicas(ctx.flavor, &ports, "reads after SET autocommit = 1");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn ddl_commits_implicitly() {
    each_flavor("tx_ddl", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        exec(&mut conn, EVENTUAL);
        let t = create_table(&mut conn, ctx, "ddl");
        let other = ctx.name("ddl2");
        exec(&mut conn, &format!("DROP TABLE IF EXISTS {other}"));

        exec(&mut conn, "BEGIN");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (1, 1)"));
        let (n, port) = count_and_port(&mut conn, &t);
        assert_eq!(n, 1);
        assert_on_primary(ctx.flavor, port, "a read inside BEGIN");
        assert_eq!(
            committed_count(ctx.flavor, &t),
            0,
            "uncommitted before the DDL"
        );
        exec(&mut conn, &format!("CREATE TABLE {other} (x INT)"));
        assert_eq!(
            committed_count(ctx.flavor, &t),
            1,
            "the DDL committed the transaction"
        );
        exec(&mut conn, "ROLLBACK");
        assert_eq!(
            committed_count(ctx.flavor, &t),
            1,
            "nothing left to roll back after the DDL"
        );
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t} WHERE id = 1"));
        let (n, _) = count_and_port(&mut conn, &t);
        assert_eq!(n, 1, "the committed row, read after the DDL");
        let ports = spread_ports_of(ctx.flavor, &mut conn, 30);
        assert_spread_over_replicas(
            ctx.flavor,
            &ports,
            "reads after the DDL ended the transaction",
        );
        exec(&mut conn, &format!("DROP TABLE {other}"));
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn read_only_transaction_runs_on_one_replica_and_reads_one_snapshot() {
    each_flavor("tx_readonly", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = create_table(&mut conn, ctx, "ro");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (1, 1), (2, 2)"));
        wait_replicated(
            ctx.flavor,
            &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 2"),
        );
        let mut writer = ctx.flavor.direct_conn();

        for round in 0..4_i64 {
            let before = 2 + round;
            exec(&mut conn, "START TRANSACTION READ ONLY");
            let (n, first_port) = count_and_port(&mut conn, &t);
            assert_eq!(
                n, before,
                "round {round}: rows at the start of the READ ONLY transaction"
            );
            assert_on_replica(
                ctx.flavor,
                first_port,
                "the first read of START TRANSACTION READ ONLY",
            );

            // Another client commits a row, and it reaches both replicas.
            let id = 10 + round;
            exec(&mut writer, &format!("INSERT INTO {t} VALUES ({id}, {id})"));
            wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t} WHERE id = {id}"));

            for i in 0..5 {
                let (n, port) = count_and_port(&mut conn, &t);
                assert_eq!(
                    n, before,
                    "round {round}, read {i}: the READ ONLY transaction reads one snapshot"
                );
                location_check(port == first_port, || {
                    format!(
                        "round {round}, read {i}: a READ ONLY transaction must stay on one \
                         backend; it started on {} and read on {}",
                        role_of(ctx.flavor, first_port),
                        role_of(ctx.flavor, port)
                    )
                });
                let (seen,): (i64,) = row_of(
                    &mut conn,
                    &format!("SELECT COUNT(*) FROM {t} WHERE id = {id}"),
                );
                assert_eq!(seen, 0, "round {round}: a row committed after the snapshot");
            }
            exec(&mut conn, "COMMIT");
            let (n, port) = count_and_port(&mut conn, &t);
            assert_eq!(
                n,
                before + 1,
                "round {round}: after COMMIT the new row is visible (on {port})"
            );
        }
        // Short READ ONLY transactions are spread over the replicas, each on one of them.
        let mut ports = Vec::new();
        for i in 0..20 {
            exec(&mut conn, "START TRANSACTION READ ONLY");
            let run = ports_of(&mut conn, 3);
            exec(&mut conn, "COMMIT");
            location_check(run.iter().all(|&p| p == run[0]), || {
                format!("READ ONLY transaction {i} ran on several backends: {run:?}")
            });
            ports.push(run[0]);
        }
        assert_spread_over_replicas(ctx.flavor, &ports, "20 short READ ONLY transactions");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn write_in_read_only_transaction_gets_the_primarys_error() {
    each_flavor("tx_rowrite", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = create_table(&mut conn, ctx, "row");
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{t}'"));
        let mut direct = ctx.flavor.direct_conn();
        let sql = format!("INSERT INTO {t} VALUES (1, 1)");
        exec(&mut direct, "START TRANSACTION READ ONLY");
        let expected = server_error(
            direct.query_drop(&sql),
            "a write in a READ ONLY transaction directly",
        );
        exec(&mut direct, "ROLLBACK");

        exec(&mut conn, "START TRANSACTION READ ONLY");
        let got = server_error(
            conn.query_drop(&sql),
            "a write in a READ ONLY transaction through sluice",
        );
        // On a replica the server would answer 1290 (--read-only) instead of 1792.
        assert_eq!(
            (got.code, got.state, got.message),
            (expected.code, expected.state, expected.message),
            "a write inside START TRANSACTION READ ONLY: through sluice (left) vs direct (right)"
        );
        exec(&mut conn, "ROLLBACK");
        assert_eq!(committed_count(ctx.flavor, &t), 0);
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn set_transaction_applies_to_the_next_transaction_only() {
    each_flavor("tx_isolation", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        exec(&mut conn, EVENTUAL);
        let t = create_table(&mut conn, ctx, "iso");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (1, 1)"));
        let mut writer = ctx.flavor.direct_conn();

        // Sees a row another client commits mid-transaction: READ COMMITTED does,
        // REPEATABLE READ (the default) does not.
        let mut sees_concurrent_commit = |conn: &mut Conn, id: i64| -> bool {
            exec(conn, "START TRANSACTION");
            let (before, port) = count_and_port(conn, &t);
            assert_on_primary(ctx.flavor, port, "a read inside START TRANSACTION");
            exec(&mut writer, &format!("INSERT INTO {t} VALUES ({id}, {id})"));
            let (after, port) = count_and_port(conn, &t);
            assert_on_primary(ctx.flavor, port, "a read inside START TRANSACTION");
            exec(conn, "COMMIT");
            after == before + 1
        };

        exec(&mut conn, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        assert!(
            sees_concurrent_commit(&mut conn, 2),
            "the transaction after SET TRANSACTION ISOLATION LEVEL READ COMMITTED must see rows \
             committed meanwhile"
        );
        assert!(
            !sees_concurrent_commit(&mut conn, 3),
            "the transaction after that is REPEATABLE READ again: it must not see rows committed \
             meanwhile"
        );

        // SET SESSION TRANSACTION lasts, on every backend the session uses.
        exec(
            &mut conn,
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        );
        let variable = match ctx.flavor {
            Flavor::MariaDb => "@@tx_isolation",
            Flavor::MySql => "@@transaction_isolation",
        };
        let mut ports = Vec::new();
        for _ in 0..30 {
            let (level, port): (String, u16) =
                row_of(&mut conn, &format!("SELECT {variable}, @@port"));
            assert_eq!(
                level, "READ-COMMITTED",
                "{variable} on port {port} after SET SESSION TRANSACTION"
            );
            ports.push(port);
        }
        assert_spread_over_replicas(ctx.flavor, &ports, "reads after SET SESSION TRANSACTION");
        assert!(
            sees_concurrent_commit(&mut conn, 4),
            "SET SESSION TRANSACTION … READ COMMITTED"
        );
        assert!(
            sees_concurrent_commit(&mut conn, 5),
            "… for every later transaction"
        );
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn xa_transaction_runs_on_the_primary() {
    each_flavor("tx_xa", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = create_table(&mut conn, ctx, "xa");
        // XA COMMIT keeps the row, XA ROLLBACK (after XA PREPARE) drops it.
        for (id, end, committed) in [(1, "XA COMMIT", 1), (2, "XA ROLLBACK", 1)] {
            let xid = format!("{}_{id}", ctx.name("xid"));
            exec(&mut conn, &format!("XA START '{xid}'"));
            exec(&mut conn, &format!("INSERT INTO {t} VALUES ({id}, {id})"));
            let (n, port) = count_and_port(&mut conn, &t);
            assert_eq!(n, id, "the XA transaction sees its own row");
            assert_on_primary(ctx.flavor, port, "a read inside XA START");
            assert_eq!(
                committed_count(ctx.flavor, &t),
                id - 1,
                "uncommitted inside XA START"
            );
            exec(&mut conn, &format!("XA END '{xid}'"));
            exec(&mut conn, &format!("XA PREPARE '{xid}'"));
            exec(&mut conn, &format!("{end} '{xid}'"));
            assert_eq!(
                committed_count(ctx.flavor, &t),
                committed,
                "rows after {end}"
            );
        }
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

/// Python's DB-API drivers open every session with `autocommit = 0`. Between transactions such a
/// session binds nothing to its connection, so with 4 connections per backend 12 idle sessions
/// all get through; each still runs its next statements as one transaction (on whichever
/// connection), sees its own uncommitted row, and its ROLLBACK and COMMIT do what they say.
#[test]
fn idle_autocommit_off_sessions_share_the_pool() {
    each_flavor("tx_ac_pool", |ctx| {
        let sluice = Sluice::start_with(ctx.flavor, |cfg| {
            cfg.replace("[pool]\n", "[pool]\nmax_per_shard = 4\n")
        });
        let t = create_table(&mut ctx.flavor.direct_conn(), ctx, "acpool");
        let mut sessions = Vec::new();
        for i in 0..12 {
            let mut conn = sluice.conn();
            exec(&mut conn, "SET autocommit = 0");
            exec(&mut conn, &format!("INSERT INTO {t} VALUES ({i}, {i})"));
            exec(&mut conn, "COMMIT");
            sessions.push(conn);
        }
        assert_eq!(committed_count(ctx.flavor, &t), 12);
        for (i, conn) in sessions.iter_mut().enumerate() {
            let committed = 12 + i as i64;
            exec(conn, &format!("INSERT INTO {t} VALUES ({}, 0)", 100 + i));
            let (n, port) = count_and_port(conn, &t);
            assert_eq!(n, committed + 1, "session {i} sees its own uncommitted row");
            assert_on_primary(ctx.flavor, port, "a read with autocommit = 0");
            assert_eq!(
                committed_count(ctx.flavor, &t),
                committed,
                "session {i}: not committed"
            );
            exec(conn, "ROLLBACK");
            assert_eq!(
                committed_count(ctx.flavor, &t),
                committed,
                "session {i}: rolled back, so autocommit stayed 0"
            );
            exec(conn, &format!("INSERT INTO {t} VALUES ({}, 0)", 200 + i));
            exec(conn, "COMMIT");
            assert_eq!(
                committed_count(ctx.flavor, &t),
                committed + 1,
                "session {i}"
            );
        }
        let (ac,): (i64,) = row_of(&mut sessions[0], "SELECT @@autocommit");
        assert_eq!(ac, 0, "still autocommit = 0");
        drop(sessions);
        exec(&mut ctx.flavor.direct_conn(), &format!("DROP TABLE {t}"));
    });
}
