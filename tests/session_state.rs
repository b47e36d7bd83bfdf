//! Session state through read/write splitting (issue 3): user locks and `LOCK TABLES` stay with the
//! session that took them, temporary tables are found by later statements, text-protocol
//! `PREPARE`/`EXECUTE`/`DEALLOCATE` work, `USE`, `SET NAMES`, `SET SESSION sql_mode` and
//! `time_zone` hold on every backend the session uses, `SET GLOBAL` gets the primary's answer, and
//! COM_RESET_CONNECTION / COM_CHANGE_USER reset all of it and end the session's pin.
//!
//! Each test asserts what the application sees and where the statements ran (`@@port`, or
//! sluice's counters). `SLUICE_TEST_LOCATIONS=warn` reports location failures without failing.

mod common;

use common::{
    assert_all_on_primary, assert_counted_on_primary, assert_on_primary,
    assert_spread_over_replicas, each_flavor, exec, port_of, ports_of, row_of, server_error,
    spread_ports_of, until_both_replicas, wait_replicated, Ctx, Flavor, Sluice, DATABASE,
};
use mysql::prelude::Queryable;
use mysql::{ChangeUserOpts, Conn, Row, Value};

#[test]
fn get_lock_is_held_by_the_same_session() {
    each_flavor("ss_getlock", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let lock = ctx.name("lock");
        let mut a = sluice.conn();
        let mut b = sluice.conn();

        let (got, port): (i64, u16) =
            row_of(&mut a, &format!("SELECT GET_LOCK('{lock}', 5), @@port"));
        assert_eq!(got, 1, "GET_LOCK in session a");
        assert_on_primary(ctx.flavor, port, "SELECT GET_LOCK(…)");
        for i in 0..10 {
            let (mine, port): (i64, u16) = row_of(
                &mut a,
                &format!("SELECT IS_USED_LOCK('{lock}') = CONNECTION_ID(), @@port"),
            );
            assert_eq!(
                mine, 1,
                "check {i}: IS_USED_LOCK(name) = CONNECTION_ID() in the session holding it"
            );
            assert_on_primary(
                ctx.flavor,
                port,
                "a statement of the session holding a user lock",
            );
        }
        let ports = ports_of(&mut a, 10);
        assert_all_on_primary(
            ctx.flavor,
            &ports,
            "reads while holding a user lock (pinned)",
        );

        let (other,): (i64,) = row_of(&mut b, &format!("SELECT GET_LOCK('{lock}', 0)"));
        assert_eq!(
            other, 0,
            "another client must not get the lock while a holds it"
        );
        let (free,): (i64,) = row_of(
            &mut ctx.flavor.direct_conn(),
            &format!("SELECT IS_FREE_LOCK('{lock}')"),
        );
        assert_eq!(free, 0, "the lock is taken on the primary");

        let (released,): (i64,) = row_of(&mut a, &format!("SELECT RELEASE_LOCK('{lock}')"));
        assert_eq!(released, 1, "RELEASE_LOCK in the session holding the lock");
        let (other,): (i64,) = row_of(&mut b, &format!("SELECT GET_LOCK('{lock}', 0)"));
        assert_eq!(other, 1, "another client gets the lock once released");
        let (released,): (i64,) = row_of(&mut b, &format!("SELECT RELEASE_LOCK('{lock}')"));
        assert_eq!(released, 1);

        let ports = spread_ports_of(ctx.flavor, &mut a, 30);
        assert_spread_over_replicas(
            ctx.flavor,
            &ports,
            "reads after RELEASE_LOCK (no longer pinned)",
        );
    });
}

#[test]
fn lock_tables_hold_until_unlock_tables() {
    each_flavor("ss_locktables", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let (t, u) = (ctx.name("t"), ctx.name("u"));
        let mut a = sluice.conn();
        for table in [&t, &u] {
            exec(&mut a, &format!("DROP TABLE IF EXISTS {table}"));
            exec(
                &mut a,
                &format!("CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, v INT, p INT)"),
            );
        }
        exec(&mut a, &format!("INSERT INTO {t} (v) VALUES (1)"));
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t}"));

        // A connection holding LOCK TABLES may use only the locked tables (the direct answer, taken
        // before sluice's session locks the table).
        let mut direct = ctx.flavor.direct_conn();
        exec(&mut direct, &format!("LOCK TABLES {t} WRITE"));
        let expected = server_error(
            direct.query_drop(format!("SELECT COUNT(*) FROM {u}")),
            "unlocked table directly",
        );
        exec(&mut direct, "UNLOCK TABLES");
        exec(&mut a, &format!("LOCK TABLES {t} WRITE"));
        // The locking connection may use only the locked tables: proof that it is the same one.
        exec(
            &mut a,
            &format!("INSERT INTO {t} (v, p) VALUES (2, @@port)"),
        );
        for _ in 0..5 {
            let (n, port): (i64, u16) =
                row_of(&mut a, &format!("SELECT COUNT(*), @@port FROM {t}"));
            assert_eq!(n, 2, "the locking session sees its own write");
            assert_on_primary(
                ctx.flavor,
                port,
                "a read of a table locked with LOCK TABLES",
            );
        }
        let got = server_error(
            a.query_drop(format!("SELECT COUNT(*) FROM {u}")),
            "a table not locked, through sluice",
        );
        assert_eq!(
            (got.code, got.state, got.message),
            (expected.code, expected.state, expected.message),
            "a read of a table outside LOCK TABLES"
        );
        let ports = ports_of(&mut a, 5);
        assert_all_on_primary(
            ctx.flavor,
            &ports,
            "reads while LOCK TABLES is held (pinned)",
        );

        // Another client waits for the write lock.
        exec(&mut direct, "SET SESSION lock_wait_timeout = 1");
        let err = server_error(
            direct.query_drop(format!("SELECT COUNT(*) FROM {t}")),
            "a read on the primary of a table write-locked through sluice",
        );
        assert_eq!(err.code, 1205, "lock wait timeout expected: {err:?}");

        exec(&mut a, "UNLOCK TABLES");
        let (n,): (i64,) = row_of(&mut direct, &format!("SELECT COUNT(*) FROM {t}"));
        assert_eq!(n, 2, "after UNLOCK TABLES another client reads");
        let (n,): (i64,) = row_of(&mut a, &format!("SELECT COUNT(*) FROM {u}"));
        assert_eq!(n, 0, "after UNLOCK TABLES every table is readable again");
        let ports = spread_ports_of(ctx.flavor, &mut a, 30);
        assert_spread_over_replicas(
            ctx.flavor,
            &ports,
            "reads after UNLOCK TABLES (no longer pinned)",
        );
        exec(&mut a, &format!("DROP TABLE {t}"));
        exec(&mut a, &format!("DROP TABLE {u}"));
    });
}

#[test]
fn temporary_tables_are_found_until_dropped() {
    each_flavor("ss_temp", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let t = ctx.name("t");
        let x = ctx.name("x");
        let mut a = sluice.conn();
        let mut b = sluice.conn();
        exec(&mut a, &format!("DROP TABLE IF EXISTS {t}"));
        exec(&mut a, &format!("CREATE TABLE {t} (id INT, v INT, p INT)"));
        exec(&mut a, &format!("INSERT INTO {t} VALUES (100, 100, NULL)"));
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t}"));

        // A temporary table with the name of a real one hides it in this session only; a
        // replica would answer from the real table.
        exec(
            &mut a,
            &format!("CREATE TEMPORARY TABLE {t} (id INT, v INT, p INT)"),
        );
        exec(
            &mut a,
            &format!("INSERT INTO {t} VALUES (1, 1, @@port), (2, 2, @@port), (3, 3, @@port)"),
        );
        exec(
            &mut a,
            &format!("CREATE TEMPORARY TABLE {x} AS SELECT id, v * 10 AS v FROM {t}"),
        );
        for i in 0..10 {
            let (n, sum, port): (i64, i64, u16) =
                row_of(&mut a, &format!("SELECT COUNT(*), SUM(v), @@port FROM {t}"));
            assert_eq!((n, sum), (3, 6), "read {i} of the temporary table");
            assert_on_primary(ctx.flavor, port, "a read of a temporary table");
            let (n, sum): (i64, i64) = row_of(&mut a, &format!("SELECT COUNT(*), SUM(v) FROM {x}"));
            assert_eq!((n, sum), (3, 60), "read {i} of the second temporary table");
        }
        let (p,): (u16,) = row_of(&mut a, &format!("SELECT p FROM {t} WHERE id = 1"));
        assert_on_primary(ctx.flavor, p, "INSERT into a temporary table");
        let (n,): (i64,) = row_of(&mut b, &format!("SELECT COUNT(*) FROM {t}"));
        assert_eq!(n, 1, "another session sees the real table");
        let ports = ports_of(&mut a, 5);
        assert_all_on_primary(
            ctx.flavor,
            &ports,
            "reads while temporary tables exist (pinned)",
        );

        exec(&mut a, &format!("DROP TEMPORARY TABLE {t}"));
        let (n, v): (i64, i64) = row_of(&mut a, &format!("SELECT COUNT(*), MAX(v) FROM {t}"));
        assert_eq!(
            (n, v),
            (1, 100),
            "the real table once the temporary one is dropped"
        );
        let (n,): (i64,) = row_of(&mut a, &format!("SELECT COUNT(*) FROM {x}"));
        assert_eq!(n, 3, "the other temporary table is still there");
        // DROP TABLE drops the temporary table first.
        exec(&mut a, &format!("DROP TABLE {x}"));
        let err = server_error(
            a.query_drop(format!("SELECT * FROM {x}")),
            "a dropped temporary table",
        );
        assert_eq!(err.code, 1146, "{err:?}");

        let ports = spread_ports_of(ctx.flavor, &mut a, 30);
        assert_spread_over_replicas(
            ctx.flavor,
            &ports,
            "reads after the temporary tables were dropped",
        );
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn text_prepare_execute_deallocate() {
    each_flavor("ss_textprep", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let t = ctx.name("t");
        let mut a = sluice.conn();
        exec(&mut a, &format!("DROP TABLE IF EXISTS {t}"));
        exec(
            &mut a,
            &format!("CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, v INT, p INT)"),
        );

        exec(&mut a, "PREPARE sluice_s FROM 'SELECT ? * 2, @@port'");
        exec(
            &mut a,
            &format!("PREPARE sluice_i FROM 'INSERT INTO {t} (v, p) VALUES (?, @@port)'"),
        );
        for i in 1..=10_i64 {
            exec(&mut a, &format!("SET @sluice_a = {i}"));
            let (doubled, port): (i64, u16) = row_of(&mut a, "EXECUTE sluice_s USING @sluice_a");
            assert_eq!(doubled, 2 * i, "EXECUTE of a text-prepared SELECT");
            assert_on_primary(
                ctx.flavor,
                port,
                "EXECUTE of a text-prepared statement (pinned)",
            );
            exec(&mut a, "EXECUTE sluice_i USING @sluice_a");
            assert_eq!(a.affected_rows(), 1);
        }
        let (n, sum, max_p, min_p): (i64, i64, u16, u16) = row_of(
            &mut ctx.flavor.direct_conn(),
            &format!("SELECT COUNT(*), SUM(v), MAX(p), MIN(p) FROM {t}"),
        );
        assert_eq!(
            (n, sum),
            (10, 55),
            "rows inserted by EXECUTE, on the primary"
        );
        assert_on_primary(ctx.flavor, max_p, "EXECUTE of a text-prepared INSERT");
        assert_on_primary(ctx.flavor, min_p, "EXECUTE of a text-prepared INSERT");

        exec(&mut a, "DEALLOCATE PREPARE sluice_s");
        exec(&mut a, "DROP PREPARE sluice_i");
        let mut direct = ctx.flavor.direct_conn();
        let expected = server_error(
            direct.query_drop("EXECUTE sluice_s USING @sluice_a"),
            "EXECUTE unknown directly",
        );
        let got = server_error(
            a.query_drop("EXECUTE sluice_s USING @sluice_a"),
            "EXECUTE after DEALLOCATE",
        );
        assert_eq!(
            (got.code, got.state, got.message),
            (expected.code, expected.state, expected.message)
        );
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

/// What the session settings look like: everything but the port.
const SETTINGS: &str = "SELECT DATABASE(), @@character_set_client, @@character_set_connection, \
                        @@character_set_results, @@sql_mode, @@time_zone, CHAR_LENGTH('\u{e9}'), \
                        @@port";

/// Runs [`SETTINGS`] `n` times: the settings of each run (port removed) and the ports.
fn settings(conn: &mut Conn, n: usize) -> (Vec<Vec<Value>>, Vec<u16>) {
    let mut all = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..n {
        let row: Row = row_of(conn, SETTINGS);
        let mut values = row.unwrap();
        let port = values.pop().expect("the port column");
        ports.push(mysql::from_value(port));
        all.push(values);
    }
    (all, ports)
}

#[test]
fn use_and_set_hold_on_every_backend() {
    each_flavor("ss_set", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        let phases: [&[&str]; 3] = [
            &[
                "USE sbtest",
                "SET NAMES latin1",
                "SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'",
                "SET time_zone = '+03:00'",
            ],
            &[
                "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
                "SET @@session.sql_mode = 'TRADITIONAL'",
                "SET SESSION time_zone = '-05:00', character_set_results = NULL",
            ],
            &[
                "USE sluice_test",
                "SET sql_mode = DEFAULT",
                "SET time_zone = DEFAULT",
            ],
        ];
        for statements in phases {
            for sql in statements {
                exec(&mut direct, sql);
                exec(&mut conn, sql);
            }
            let (expected, _) = settings(&mut direct, 1);
            let (got, ports) = settings(&mut conn, 40);
            for (i, row) in got.iter().enumerate() {
                assert_eq!(
                    row, &expected[0],
                    "after {statements:?}, read {i} (on port {}): through sluice (left) vs \
                     direct (right)",
                    ports[i]
                );
            }
            assert_spread_over_replicas(ctx.flavor, &ports, &format!("reads after {statements:?}"));
        }
        // COM_INIT_DB too.
        for db in ["sbtest", DATABASE] {
            conn.select_db(db).expect("COM_INIT_DB");
            for _ in 0..20 {
                let (current, port): (String, u16) = row_of(&mut conn, "SELECT DATABASE(), @@port");
                assert_eq!(
                    current, db,
                    "DATABASE() after COM_INIT_DB {db} (on port {port})"
                );
            }
        }
    });
}

/// A `SET` whose value is computed (here at random) carries the value the server computed to
/// every backend the session uses: sluice replays the value the server reported, not the text.
#[test]
fn computed_set_values_are_the_same_on_every_backend() {
    each_flavor("ss_set_value", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        exec(
            &mut conn,
            "SET SESSION wait_timeout = CAST(1000 + RAND() * 1000000 AS UNSIGNED)",
        );
        exec(
            &mut conn,
            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT'), time_zone = IF(RAND() < 2, '+04:00', 'SYSTEM')",
        );
        let mut seen = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..40 {
            let (timeout, mode, zone, port): (u64, String, String, u16) = row_of(
                &mut conn,
                "SELECT @@wait_timeout, @@sql_mode, @@time_zone, @@port",
            );
            seen.push((timeout, mode, zone));
            ports.push(port);
        }
        let first = seen[0].clone();
        assert!(
            first.1.contains("PIPES_AS_CONCAT") && first.2 == "+04:00",
            "{first:?}"
        );
        for (i, s) in seen.iter().enumerate() {
            assert_eq!(s, &first, "read {i} on port {}: {ports:?}", ports[i]);
        }
        assert_spread_over_replicas(ctx.flavor, &ports, "reads after computed SETs");
    });
}

#[test]
fn set_global_gets_the_primarys_answer() {
    each_flavor("ss_setglobal", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        let mut statements = vec![
            "SET GLOBAL max_connections = 500",
            "SET @@global.max_connections = 500",
            "SET GLOBAL sql_mode = ''",
        ];
        if ctx.flavor == Flavor::MySql {
            statements.push("SET PERSIST max_connections = 500");
        }
        for sql in statements {
            // The app user lacks the privilege: the error must be the primary's.
            let expected = server_error(direct.query_drop(sql), "SET GLOBAL directly");
            let got = assert_counted_on_primary(ctx.flavor, &mut conn, sql, |conn| {
                server_error(conn.query_drop(sql), "SET GLOBAL through sluice")
            });
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message),
                "{sql:?}"
            );
        }
        let (one,): (i64,) = row_of(&mut conn, "SELECT 1");
        assert_eq!(one, 1, "the session goes on");
    });
}

/// Gives the session state of every kind, checks it is pinned, resets it with `reset`, and checks
/// that everything is gone and reads are spread over the replicas again.
fn reset_clears_state(ctx: &Ctx, what: &str, reset: impl Fn(&mut Conn), db_after: &str) {
    let sluice = Sluice::start(ctx.flavor);
    let lock = ctx.name("lock");
    let tmp = ctx.name("tmp");
    let mut a = sluice.conn();
    let mut b = sluice.conn();
    let defaults: (String, String) = row_of(
        &mut ctx.flavor.direct_conn(),
        "SELECT @@sql_mode, @@time_zone",
    );

    exec(&mut a, "SET @sluice_u = 7");
    exec(&mut a, &format!("CREATE TEMPORARY TABLE {tmp} (x INT)"));
    exec(&mut a, &format!("INSERT INTO {tmp} VALUES (1)"));
    exec(&mut a, "SET SESSION sql_mode = 'ANSI_QUOTES'");
    exec(&mut a, "SET time_zone = '+03:00'");
    exec(&mut a, "PREPARE sluice_r FROM 'SELECT 1'");
    let (got,): (i64,) = row_of(&mut a, &format!("SELECT GET_LOCK('{lock}', 5)"));
    assert_eq!(got, 1);
    let (u, n, port): (i64, i64, u16) = row_of(
        &mut a,
        &format!("SELECT @sluice_u, COUNT(*), @@port FROM {tmp}"),
    );
    assert_eq!((u, n), (7, 1), "state before {what}");
    assert_on_primary(
        ctx.flavor,
        port,
        &format!("a read of session state before {what}"),
    );

    reset(&mut a);

    let u: Option<Value> = a
        .query_first("SELECT @sluice_u")
        .expect("read a user variable");
    assert_eq!(u, Some(Value::NULL), "user variable after {what}");
    let err = server_error(
        a.query_drop(format!("SELECT * FROM {tmp}")),
        "temporary table after reset",
    );
    assert_eq!(err.code, 1146, "temporary table after {what}: {err:?}");
    let err = server_error(
        a.query_drop("EXECUTE sluice_r"),
        "text prepared statement after reset",
    );
    assert_eq!(err.code, 1243, "prepared statement after {what}: {err:?}");
    // A single server releases the lock before its OK, and so does sluice (it resets the backend
    // connection that held it and waits for that reply first): no waiting here.
    let (got,): (i64,) = row_of(&mut b, &format!("SELECT GET_LOCK('{lock}', 0)"));
    assert_eq!(got, 1, "the user lock is released by {what}");
    let (released,): (i64,) = row_of(&mut b, &format!("SELECT RELEASE_LOCK('{lock}')"));
    assert_eq!(released, 1);
    let mut ports = Vec::new();
    for i in 0..30 {
        let (mode, zone, db, port): (String, String, String, u16) =
            row_of(&mut a, "SELECT @@sql_mode, @@time_zone, DATABASE(), @@port");
        assert_eq!(
            (mode, zone),
            defaults,
            "read {i} after {what} (on port {port}): session variables back to defaults"
        );
        assert_eq!(db, db_after, "read {i} after {what}: DATABASE()");
        ports.push(port);
    }
    until_both_replicas(ctx.flavor, &mut ports, || port_of(&mut a));
    assert_spread_over_replicas(
        ctx.flavor,
        &ports,
        &format!("reads after {what} (no longer pinned)"),
    );
}

#[test]
fn reset_connection_resets_state() {
    each_flavor("ss_reset", |ctx| {
        reset_clears_state(
            ctx,
            "COM_RESET_CONNECTION",
            |conn| conn.reset().expect("COM_RESET_CONNECTION"),
            DATABASE,
        );
    });
}

#[test]
fn change_user_resets_state() {
    each_flavor("ss_changeuser", |ctx| {
        reset_clears_state(
            ctx,
            "COM_CHANGE_USER",
            |conn| {
                conn.change_user(ChangeUserOpts::DEFAULT)
                    .expect("COM_CHANGE_USER")
            },
            DATABASE,
        );
        reset_clears_state(
            ctx,
            "COM_CHANGE_USER to sbtest",
            |conn| {
                conn.change_user(ChangeUserOpts::default().with_db_name(Some("sbtest".to_owned())))
                    .expect("COM_CHANGE_USER with a database")
            },
            "sbtest",
        );
    });
}

/// A pooled connection another session changed (`SET NAMES latin1`) is reset on the server
/// before a session without that setting uses it (one connection per backend here, so it is the
/// only one). The reset must leave the character set of the login, as on a new connection: MySQL
/// resets it to the server's default instead.
#[test]
fn reset_pooled_connection_keeps_the_logins_character_set() {
    each_flavor("ss_reset_charset", |ctx| {
        let sluice = Sluice::start_primary_only_with(ctx.flavor, |cfg| {
            cfg.replace("[pool]\n", "[pool]\nmax_per_shard = 1\n")
        });
        let sql = "SELECT @@character_set_client, @@character_set_connection, \
                   @@character_set_results, @@collation_connection, CHAR_LENGTH('\u{e9}')";
        let expected: Row = row_of(&mut ctx.flavor.direct_conn(), sql);
        let expected = expected.unwrap();
        let mut a = sluice.conn();
        exec(&mut a, "SET NAMES latin1");
        exec(&mut a, "SELECT 1");
        for round in 0..3 {
            let mut b = sluice.conn();
            let got: Row = row_of(&mut b, sql);
            assert_eq!(
                got.unwrap(),
                expected,
                "round {round}: a new session on the connection another session set to latin1 \
                 (through sluice, left) vs a new connection to the primary (right)"
            );
            drop(b);
            // Back to latin1 for the next round: the next session gets it reset again.
            exec(&mut a, "SELECT 1");
        }
        let latin1: Row = row_of(&mut a, "SELECT @@character_set_client");
        assert_eq!(latin1.unwrap(), vec![Value::from("latin1")]);
    });
}
