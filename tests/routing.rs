//! Read/write splitting by statement class (issue 3, ../shared/DESIGN.md "Classification rules"):
//! plain reads are spread over the replicas, writes and every statement a replica must not or
//! cannot run go to the primary: locking reads, `SELECT … INTO`, `@x :=`, sequences, `CALL`,
//! stored functions, `LAST_INSERT_ID()` / `FOUND_ROWS()` / `ROW_COUNT()` on the connection that
//! ran the statement before, hints, multi-statement text, `EXPLAIN`/`WITH` around DML,
//! `… RETURNING`, syntax errors.
//!
//! Each test asserts what the application sees and where the statement ran: `@@port` in the
//! statement's own result (or stored by a write and read back on the primary), sluice's
//! `SHOW SLUICE BACKENDS` counters, or a table that exists on the primary only.
//! `SLUICE_TEST_LOCATIONS=warn` reports location failures without failing (see `common`).

mod common;

use common::{
    admin_sql, assert_all_on_primary, assert_counted_on_primary, assert_on_primary,
    assert_on_replica, assert_spread_over_replicas, dump_query, each_flavor, exec, location_check,
    mariadb_cli, ports_of, role_of, server_error, wait_replicated, Ctx, Flavor, Outcome, Sluice,
};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Drops and creates `t` through `conn`: `id` auto-increment key, `v` a value, `p` a port.
fn create_table(conn: &mut Conn, t: &str) {
    exec(conn, &format!("DROP TABLE IF EXISTS {t}"));
    exec(
        conn,
        &format!(
            "CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, v INT, p INT) ENGINE=InnoDB"
        ),
    );
}

/// The `p` column of row `id`, read directly on the primary: the port of the server that wrote it
/// (row-based replication copies the value, so only the primary's own write stores its port).
fn stored_port(flavor: Flavor, t: &str, id: u64) -> u16 {
    let p: Option<Option<u16>> = flavor
        .direct_conn()
        .query_first(format!("SELECT p FROM {t} WHERE id = {id}"))
        .expect("read p on the primary");
    p.flatten()
        .unwrap_or_else(|| panic!("row {id} of {t} has no port on the primary"))
}

/// The first column of every row of every result set, as ports.
fn ports_in(outcome: &Outcome, what: &str) -> Vec<u16> {
    assert!(outcome.error.is_none(), "{what}: {:?}", outcome.error);
    outcome
        .sets
        .iter()
        .flat_map(|set| set.rows.iter())
        .map(|row| mysql::from_value::<u16>(row[0].clone()))
        .collect()
}

#[test]
fn plain_reads_spread_over_replicas_and_writes_go_to_primary() {
    each_flavor("rt_spread", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let ports = ports_of(&mut conn, 50);
        let known =
            |p: &u16| *p == ctx.flavor.primary_port() || ctx.flavor.replica_ports().contains(p);
        assert!(ports.iter().all(known), "SELECT @@port answered {ports:?}");
        assert_spread_over_replicas(ctx.flavor, &ports, "50 x SELECT @@port");

        let t = ctx.name("w");
        create_table(&mut conn, &t);
        exec(
            &mut conn,
            &format!("INSERT INTO {t} (v, p) VALUES (1, @@port)"),
        );
        assert_eq!(conn.affected_rows(), 1);
        let id = conn.last_insert_id();
        assert_eq!(id, 1, "insert id");
        assert_on_primary(ctx.flavor, stored_port(ctx.flavor, &t, id), "INSERT");

        exec(
            &mut conn,
            &format!("REPLACE INTO {t} (id, v, p) VALUES (2, 2, @@port)"),
        );
        assert_on_primary(ctx.flavor, stored_port(ctx.flavor, &t, 2), "REPLACE");

        exec(&mut conn, &format!("UPDATE {t} SET p = 0"));
        assert_eq!(conn.affected_rows(), 2);
        exec(
            &mut conn,
            &format!("UPDATE {t} SET p = @@port WHERE id = 1"),
        );
        assert_eq!(conn.affected_rows(), 1);
        assert_on_primary(ctx.flavor, stored_port(ctx.flavor, &t, 1), "UPDATE");

        exec(&mut conn, &format!("DELETE FROM {t} WHERE id = 2"));
        assert_eq!(conn.affected_rows(), 1, "DELETE");
        let n: Option<i64> = ctx
            .flavor
            .direct_conn()
            .query_first(format!("SELECT COUNT(*) FROM {t}"))
            .expect("count on the primary");
        assert_eq!(n, Some(1), "rows left on the primary after DELETE");

        // The rows reach the replicas, and reads through sluice see them there.
        wait_replicated(
            ctx.flavor,
            &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 1"),
        );
        for _ in 0..10 {
            let row: Option<(i64, u16)> = conn
                .query_first(format!("SELECT COUNT(*), @@port FROM {t}"))
                .expect("count");
            let (n, port) = row.expect("a row");
            assert_eq!(n, 1, "rows seen through sluice");
            assert_on_replica(ctx.flavor, port, "SELECT COUNT(*) after the writes");
        }
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn locking_reads_run_on_primary() {
    each_flavor("rt_locking", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("l");
        create_table(&mut conn, &t);
        exec(&mut conn, &format!("INSERT INTO {t} (v) VALUES (10)"));
        // So that a wrongly routed read still returns the row: only the port tells.
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t} WHERE v = 10"));

        let mut statements = vec![
            format!("SELECT @@port, v FROM {t} WHERE id = 1 FOR UPDATE"),
            format!("SELECT @@port, v FROM {t} WHERE id = 1 LOCK IN SHARE MODE"),
            format!("SELECT @@port, (SELECT v FROM {t} WHERE id = 1 FOR UPDATE) AS v"),
            format!(
                "SELECT @@port, d.v FROM (SELECT v FROM {t} WHERE id = 1 LOCK IN SHARE MODE) AS d"
            ),
            format!(
                "WITH c AS (SELECT v FROM {t} WHERE id = 1 FOR UPDATE) SELECT @@port, v FROM c"
            ),
            format!("SELECT @@port, v FROM {t} WHERE id IN (SELECT id FROM {t} FOR UPDATE)"),
            format!("SELECT @@port, v FROM {t} WHERE id = 1 FOR UPDATE SKIP LOCKED"),
            format!("SELECT @@port, v FROM {t} WHERE id = 1 FOR UPDATE NOWAIT"),
        ];
        if ctx.flavor == Flavor::MySql {
            // MariaDB 10.11 has no FOR SHARE.
            statements.push(format!("SELECT @@port, v FROM {t} WHERE id = 1 FOR SHARE"));
        }
        for sql in &statements {
            let row: Option<(u16, i64)> = conn
                .query_first(sql)
                .unwrap_or_else(|err| panic!("{sql:?}: {err}"));
            let (port, v) = row.unwrap_or_else(|| panic!("{sql:?}: no row"));
            assert_eq!(v, 10, "{sql:?}");
            assert_on_primary(ctx.flavor, port, sql);
        }

        // Inside a transaction the lock is held on the primary: a writer there must wait.
        exec(&mut conn, "BEGIN");
        let row: Option<(u16, i64)> = conn
            .query_first(format!("SELECT @@port, v FROM {t} WHERE id = 1 FOR UPDATE"))
            .expect("FOR UPDATE in a transaction");
        assert_eq!(row.map(|r| r.1), Some(10));
        let mut other = ctx.flavor.direct_conn();
        exec(&mut other, "SET SESSION innodb_lock_wait_timeout = 1");
        let err = server_error(
            other.query_drop(format!("UPDATE {t} SET v = 11 WHERE id = 1")),
            "a write on the primary to the row locked FOR UPDATE through sluice",
        );
        assert_eq!(err.code, 1205, "lock wait timeout expected: {err:?}");
        exec(&mut conn, "ROLLBACK");
        other
            .query_drop(format!("UPDATE {t} SET v = 11 WHERE id = 1"))
            .expect("the write once the lock is released");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn select_into_and_assignments_run_on_primary_and_keep_variables() {
    each_flavor("rt_into", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("i");
        create_table(&mut conn, &t);
        exec(&mut conn, &format!("INSERT INTO {t} (v) VALUES (10)"));
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t} WHERE v = 10"));

        exec(
            &mut conn,
            &format!("SELECT @@port, v INTO @sluice_p, @sluice_v FROM {t} WHERE id = 1"),
        );
        let row: Option<(u16, i64)> = conn
            .query_first("SELECT @sluice_p, @sluice_v")
            .expect("read the INTO variables");
        let (port, v) = row.expect("a row");
        assert_eq!(v, 10, "@sluice_v after SELECT … INTO");
        assert_on_primary(ctx.flavor, port, "SELECT @@port … INTO @sluice_p");

        // The trailing form (MySQL 8 style; MariaDB accepts it too).
        exec(
            &mut conn,
            &format!("SELECT @@port FROM {t} WHERE id = 1 INTO @sluice_q"),
        );
        let q: Option<u16> = conn
            .query_first("SELECT @sluice_q")
            .expect("read @sluice_q");
        assert_on_primary(
            ctx.flavor,
            q.expect("@sluice_q set"),
            "SELECT … INTO @sluice_q (trailing)",
        );

        let row: Option<(i64, u16)> = conn
            .query_first(format!(
                "SELECT @sluice_x := v + 1, @@port FROM {t} WHERE id = 1"
            ))
            .expect("SELECT @x := …");
        let (x, port) = row.expect("a row");
        assert_eq!(x, 11);
        assert_on_primary(ctx.flavor, port, "SELECT @sluice_x := …");

        // The variables survive, and the session stays on the primary connection that has them.
        for i in 0..10 {
            let row: Option<(i64, i64, u16)> = conn
                .query_first("SELECT @sluice_v, @sluice_x, @@port")
                .expect("read user variables");
            let (v, x, port) = row.expect("a row");
            assert_eq!((v, x), (10, 11), "user variables on read {i}");
            assert_on_primary(
                ctx.flavor,
                port,
                "a read after user variables were set (pinned)",
            );
        }
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn sequences_run_on_primary() {
    each_flavor("rt_seq", |ctx| {
        if ctx.flavor != Flavor::MariaDb {
            eprintln!("sequences are MariaDB only: skipped for {}", ctx.flavor);
            return;
        }
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let s = ctx.name("s");
        exec(&mut conn, &format!("DROP SEQUENCE IF EXISTS {s}"));
        exec(&mut conn, &format!("CREATE SEQUENCE {s} START WITH 100"));
        wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {s}"));
        let cases = [
            (format!("SELECT NEXTVAL({s}), @@port"), 100),
            (format!("SELECT NEXT VALUE FOR {s}, @@port"), 101),
            (format!("SELECT LASTVAL({s}), @@port"), 101),
            (format!("SELECT PREVIOUS VALUE FOR {s}, @@port"), 101),
            (format!("SELECT SETVAL({s}, 200), @@port"), 200),
            (format!("SELECT NEXTVAL({s}), @@port"), 201),
        ];
        for (sql, expected) in &cases {
            let row: Option<(i64, u16)> = conn
                .query_first(sql)
                .unwrap_or_else(|err| panic!("{sql:?}: {err}"));
            let (value, port) = row.unwrap_or_else(|| panic!("{sql:?}: no row"));
            assert_eq!(value, *expected, "{sql:?}");
            assert_on_primary(ctx.flavor, port, sql);
        }
        exec(&mut conn, &format!("DROP SEQUENCE {s}"));
    });
}

#[test]
fn call_runs_on_primary() {
    each_flavor("rt_call", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("c");
        let (p, q) = (ctx.name("p"), ctx.name("q"));
        create_table(&mut conn, &t);
        exec(&mut conn, &format!("DROP PROCEDURE IF EXISTS {p}"));
        exec(&mut conn, &format!("DROP PROCEDURE IF EXISTS {q}"));
        exec(
            &mut conn,
            &format!(
                "CREATE PROCEDURE {p}(IN x INT) BEGIN INSERT INTO {t} (v, p) VALUES (x, @@port); \
                 SELECT @@port, COUNT(*) FROM {t}; END"
            ),
        );
        // A procedure that only reads still goes to the primary: sluice cannot know.
        exec(
            &mut conn,
            &format!("CREATE PROCEDURE {q}() BEGIN SELECT @@port, COUNT(*) FROM {t}; END"),
        );
        for i in 1..=3_i64 {
            let outcome = dump_query(&mut conn, &format!("CALL {p}({i})"));
            assert!(outcome.error.is_none(), "CALL {p}: {:?}", outcome.error);
            let row = &outcome.sets[0].rows[0];
            let (port, n): (u16, i64) = (
                mysql::from_value(row[0].clone()),
                mysql::from_value(row[1].clone()),
            );
            assert_eq!(n, i, "rows counted inside CALL {p}({i})");
            assert_on_primary(ctx.flavor, port, "CALL of a writing procedure");
            assert_on_primary(
                ctx.flavor,
                stored_port(ctx.flavor, &t, i as u64),
                "the procedure's INSERT",
            );
        }
        wait_replicated(
            ctx.flavor,
            &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 3"),
        );
        let outcome = dump_query(&mut conn, &format!("CALL {q}()"));
        let ports = ports_in(&outcome, "CALL of a reading procedure");
        let n: i64 = mysql::from_value(outcome.sets[0].rows[0][1].clone());
        assert_eq!(n, 3, "rows counted inside CALL {q}()");
        assert_all_on_primary(ctx.flavor, &ports, "CALL of a reading procedure");
        exec(&mut conn, &format!("DROP PROCEDURE {p}"));
        exec(&mut conn, &format!("DROP PROCEDURE {q}"));
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn stored_function_in_select_runs_on_primary() {
    each_flavor("rt_func", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("f");
        let f = ctx.name("fn");
        create_table(&mut conn, &t);
        // The app user may not create functions while binary logging is on (no SUPER): root does.
        // SQL SECURITY INVOKER: on a (read-only) replica the app user's INSERT would fail rather
        // than write there.
        admin_sql(
            ctx.flavor,
            ctx.flavor.primary_port(),
            &format!(
                "DROP FUNCTION IF EXISTS {f};
                 DELIMITER //
                 CREATE FUNCTION {f}(x INT) RETURNS INT DETERMINISTIC MODIFIES SQL DATA \
                 SQL SECURITY INVOKER BEGIN INSERT INTO {t} (v, p) VALUES (x, @@port); \
                 RETURN @@port; END //
                 DELIMITER ;"
            ),
        );
        wait_replicated(
            ctx.flavor,
            &format!(
                "SELECT 1 FROM information_schema.routines WHERE routine_schema = DATABASE() \
                 AND routine_name = '{f}'"
            ),
        );
        for i in 1..=3_u64 {
            let port: Option<u16> = conn
                .query_first(format!("SELECT {f}({i})"))
                .unwrap_or_else(|err| panic!("SELECT {f}({i}): {err}"));
            let port = port.expect("a row");
            assert_on_primary(ctx.flavor, port, "SELECT of a stored function that writes");
            let v: Option<i64> = ctx
                .flavor
                .direct_conn()
                .query_first(format!("SELECT v FROM {t} WHERE id = {i}"))
                .expect("read on the primary");
            assert_eq!(v, Some(i as i64), "the function's INSERT on the primary");
        }
        admin_sql(
            ctx.flavor,
            ctx.flavor.primary_port(),
            &format!("DROP FUNCTION {f}"),
        );
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

/// Two sessions through sluice writing to the same table; the checks run on the first after the
/// second wrote, so a connection shared between them would show the second's values.
fn two_sessions(ctx: &Ctx, sluice: &Sluice, what: &str) -> (Conn, Conn, String) {
    let mut a = sluice.conn();
    let b = sluice.conn();
    let t = ctx.name(what);
    create_table(&mut a, &t);
    (a, b, t)
}

#[test]
fn last_insert_id_is_the_inserted_id() {
    each_flavor("rt_lastid", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let (mut a, mut b, t) = two_sessions(ctx, &sluice, "li");
        for round in 0..10 {
            exec(&mut a, &format!("INSERT INTO {t} (v) VALUES ({round})"));
            let id_a = a.last_insert_id();
            exec(
                &mut b,
                &format!("INSERT INTO {t} (v) VALUES (1000), (1001)"),
            );
            let id_b = b.last_insert_id();
            assert_ne!(id_a, id_b);
            let row: Option<(u64, u64, u64, u16)> = a
                .query_first("SELECT LAST_INSERT_ID(), @@last_insert_id, @@identity, @@port")
                .expect("LAST_INSERT_ID()");
            let (last, var, identity, port) = row.expect("a row");
            assert_eq!(
                (last, var, identity),
                (id_a, id_a, id_a),
                "round {round}: LAST_INSERT_ID(), @@last_insert_id, @@identity after this \
                 session inserted {id_a} (the other session inserted {id_b})"
            );
            assert_on_primary(
                ctx.flavor,
                port,
                "SELECT LAST_INSERT_ID() right after an INSERT",
            );
            let v: Option<i64> = ctx
                .flavor
                .direct_conn()
                .query_first(format!("SELECT v FROM {t} WHERE id = {id_a}"))
                .expect("read on the primary");
            assert_eq!(v, Some(round), "the row with the reported id");
        }
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn found_rows_after_sql_calc_found_rows() {
    each_flavor("rt_found", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let (mut a, mut b, t) = two_sessions(ctx, &sluice, "fr");
        exec(
            &mut a,
            &format!("INSERT INTO {t} (v) VALUES (1), (1), (1), (1), (1), (1), (1), (2), (2), (2)"),
        );
        wait_replicated(
            ctx.flavor,
            &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 10"),
        );
        for round in 0..10 {
            let rows: Vec<(i64, u16)> = a
                .query(format!("SELECT SQL_CALC_FOUND_ROWS id, @@port FROM {t} WHERE v = 1 ORDER BY id LIMIT 2"))
                .expect("SQL_CALC_FOUND_ROWS in a");
            assert_eq!(rows.len(), 2);
            let calc_port = rows[0].1;
            let other: Vec<(i64, u16)> = b
                .query(format!(
                    "SELECT SQL_CALC_FOUND_ROWS id, @@port FROM {t} WHERE v = 2 LIMIT 1"
                ))
                .expect("SQL_CALC_FOUND_ROWS in b");
            assert_eq!(other.len(), 1);
            let row: Option<(u64, u16)> = a
                .query_first("SELECT FOUND_ROWS(), @@port")
                .expect("FOUND_ROWS()");
            let (found, port) = row.expect("a row");
            assert_eq!(
                found, 7,
                "round {round}: FOUND_ROWS() after SQL_CALC_FOUND_ROWS"
            );
            location_check(port == calc_port, || {
                format!(
                    "round {round}: FOUND_ROWS() must run on the connection of the \
                     SQL_CALC_FOUND_ROWS query ({}), ran on {}",
                    role_of(ctx.flavor, calc_port),
                    role_of(ctx.flavor, port)
                )
            });
        }
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn row_count_after_update() {
    each_flavor("rt_rowcount", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let (mut a, mut b, t) = two_sessions(ctx, &sluice, "rc");
        exec(
            &mut a,
            &format!("INSERT INTO {t} (v) VALUES (1), (1), (1), (2)"),
        );
        for round in 0..10 {
            exec(&mut a, &format!("UPDATE {t} SET p = {round} WHERE v = 1"));
            assert_eq!(a.affected_rows(), 3);
            exec(&mut b, &format!("UPDATE {t} SET p = {round} WHERE v = 2"));
            let row: Option<(i64, u16)> = a
                .query_first("SELECT ROW_COUNT(), @@port")
                .expect("ROW_COUNT()");
            let (count, port) = row.expect("a row");
            assert_eq!(count, 3, "round {round}: ROW_COUNT() after updating 3 rows");
            assert_on_primary(ctx.flavor, port, "SELECT ROW_COUNT() right after an UPDATE");
        }
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn hints_choose_the_primary() {
    each_flavor("rt_hints", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        for sql in [
            "/* sluice: primary */ SELECT @@port",
            "SELECT @@port /* sluice: primary */",
            "SELECT /* sluice:primary */ @@port",
            "-- sluice: primary\nSELECT @@port",
        ] {
            let ports: Vec<u16> = (0..10)
                .map(|_| {
                    conn.query_first(sql)
                        .unwrap_or_else(|err| panic!("{sql:?}: {err}"))
                        .expect("a row")
                })
                .collect();
            assert_all_on_primary(ctx.flavor, &ports, sql);
        }
        let ports: Vec<u16> = (0..20)
            .map(|_| {
                conn.query_first("/* sluice: replica */ SELECT @@port")
                    .expect("replica hint")
                    .expect("a row")
            })
            .collect();
        assert_spread_over_replicas(ctx.flavor, &ports, "/* sluice: replica */ SELECT @@port");

        // A replica hint never moves a write.
        let t = ctx.name("h");
        create_table(&mut conn, &t);
        exec(
            &mut conn,
            &format!("/* sluice: replica */ INSERT INTO {t} (v, p) VALUES (1, @@port)"),
        );
        assert_on_primary(
            ctx.flavor,
            stored_port(ctx.flavor, &t, 1),
            "/* sluice: replica */ INSERT",
        );
        exec(&mut conn, &format!("DROP TABLE {t}"));

        // The mariadb CLI keeps comments only with --comments.
        for _ in 0..5 {
            let out = mariadb_cli(
                sluice.port,
                "/* sluice: primary */ SELECT @@port",
                &["--comments"],
            );
            let port: u16 = out.ok().trim().parse().expect("a port from the CLI");
            assert_on_primary(
                ctx.flavor,
                port,
                "mariadb --comments: /* sluice: primary */ SELECT @@port",
            );
        }
    });
}

#[test]
fn multi_statement_text_runs_on_primary() {
    each_flavor("rt_multi", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("m");
        create_table(&mut conn, &t);

        // The client crate always sends CLIENT_MULTI_STATEMENTS.
        let outcome = dump_query(&mut conn, "SELECT @@port; SELECT @@port");
        assert_eq!(outcome.sets.len(), 2, "{outcome:?}");
        assert_all_on_primary(
            ctx.flavor,
            &ports_in(&outcome, "two SELECTs"),
            "SELECT @@port; SELECT @@port",
        );

        // A write and a read of it in one text: the read must see the write.
        for i in 1..=5_i64 {
            let outcome = dump_query(
                &mut conn,
                &format!(
                    "INSERT INTO {t} (v, p) VALUES ({i}, @@port); SELECT @@port, COUNT(*) FROM {t}"
                ),
            );
            assert!(outcome.error.is_none(), "{outcome:?}");
            assert_eq!(outcome.sets.len(), 2, "{outcome:?}");
            let row = &outcome.sets[1].rows[0];
            assert_eq!(
                mysql::from_value::<i64>(row[1].clone()),
                i,
                "the read in the same text sees the INSERT"
            );
            assert_on_primary(
                ctx.flavor,
                mysql::from_value(row[0].clone()),
                "INSERT …; SELECT …",
            );
        }

        // The mariadb CLI splits on its delimiter; with another delimiter it sends one text.
        let out = mariadb_cli(
            sluice.port,
            "DELIMITER //\nSELECT @@port; SELECT @@port //",
            &[],
        );
        let ports: Vec<u16> = out
            .ok()
            .lines()
            .map(|l| l.trim().parse().expect("a port from the CLI"))
            .collect();
        assert_eq!(ports.len(), 2, "two result sets from the CLI: {ports:?}");
        assert_all_on_primary(ctx.flavor, &ports, "mariadb CLI multi-statement text");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

/// A table that exists on the primary only (created by root with the binlog off): a statement
/// that names it succeeds on the primary and fails with 1146 elsewhere. Only non-writing
/// statements (EXPLAIN) may use it: a logged write to it would break replication.
struct PrimaryOnlyTable {
    flavor: Flavor,
    name: String,
}

impl PrimaryOnlyTable {
    fn create(ctx: &Ctx) -> PrimaryOnlyTable {
        let name = ctx.name("po");
        admin_sql(
            ctx.flavor,
            ctx.flavor.primary_port(),
            &format!(
                "SET SESSION sql_log_bin = 0; DROP TABLE IF EXISTS {name}; \
                 CREATE TABLE {name} (id INT PRIMARY KEY, v INT); \
                 INSERT INTO {name} VALUES (1, 1), (2, 2);"
            ),
        );
        PrimaryOnlyTable {
            flavor: ctx.flavor,
            name,
        }
    }
}

impl Drop for PrimaryOnlyTable {
    fn drop(&mut self) {
        admin_sql(
            self.flavor,
            self.flavor.primary_port(),
            &format!(
                "SET SESSION sql_log_bin = 0; DROP TABLE IF EXISTS {}",
                self.name
            ),
        );
    }
}

#[test]
fn explain_of_dml_runs_on_primary() {
    each_flavor("rt_explain", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        let po = PrimaryOnlyTable::create(ctx);
        let t = &po.name;
        for sql in [
            format!("EXPLAIN UPDATE {t} SET v = 3 WHERE id = 1"),
            format!("EXPLAIN DELETE FROM {t} WHERE id = 2"),
            format!("EXPLAIN INSERT INTO {t} VALUES (3, 3)"),
            format!("DESCRIBE UPDATE {t} SET v = 3 WHERE id > 0"),
        ] {
            let expected = dump_query(&mut direct, &sql);
            assert!(expected.error.is_none(), "{sql:?} directly: {expected:?}");
            let got = dump_query(&mut conn, &sql);
            // On a replica the table does not exist: 1146 means the EXPLAIN ran there.
            let on_replica = matches!(&got.error, Some(e) if e.code == 1146);
            location_check(!on_replica, || {
                format!(
                    "{sql:?}: expected to run on the primary, got {:?} (a replica's answer)",
                    got.error
                )
            });
            if on_replica {
                continue;
            }
            assert_eq!(
                got, expected,
                "{sql:?}: through sluice (left) vs direct (right)"
            );
        }
        // EXPLAIN did not change anything.
        let n: Option<i64> = direct
            .query_first(format!("SELECT SUM(v) FROM {t}"))
            .expect("sum on the primary");
        assert_eq!(n, Some(3));
    });
}

#[test]
fn with_around_dml_runs_on_primary() {
    each_flavor("rt_withdml", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("wd");
        create_table(&mut conn, &t);
        exec(&mut conn, &format!("INSERT INTO {t} (v) VALUES (1), (2)"));
        let sql = format!(
            "WITH c AS (SELECT 1 AS x) UPDATE {t} SET p = @@port WHERE id IN (SELECT x FROM c)"
        );
        let mut direct = ctx.flavor.direct_conn();
        // Whether the server knows the syntax: the same statement directly (it changes nothing).
        let probe = direct.query_drop(sql.replace("@@port", "p"));
        let got = conn.query_drop(&sql);
        if let Err(mysql::Error::MySqlError(_)) = probe {
            // The same text directly (it fails again, changing nothing) for the exact message.
            let expected = server_error(direct.query_drop(&sql), "WITH … UPDATE directly");
            // MariaDB 10.11 has no WITH around UPDATE: the same error as directly.
            eprintln!(
                "{}: the server rejects WITH … UPDATE ({expected:?}); comparing errors only",
                ctx.flavor
            );
            let got = server_error(got, "WITH … UPDATE through sluice");
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message)
            );
        } else {
            got.unwrap_or_else(|err| panic!("{sql:?}: {err}"));
            assert_eq!(conn.affected_rows(), 1, "{sql:?}");
            assert_on_primary(ctx.flavor, stored_port(ctx.flavor, &t, 1), "WITH … UPDATE");
            let sql =
                format!("WITH c AS (SELECT 2 AS x) DELETE FROM {t} WHERE id IN (SELECT x FROM c)");
            exec(&mut conn, &sql);
            assert_eq!(conn.affected_rows(), 1, "{sql:?}");
            let n: Option<i64> = direct
                .query_first(format!("SELECT COUNT(*) FROM {t}"))
                .expect("count on the primary");
            assert_eq!(n, Some(1), "rows left on the primary after WITH … DELETE");
        }
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn insert_returning_runs_on_primary() {
    each_flavor("rt_returning", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("ret");
        create_table(&mut conn, &t);
        let sql = format!("INSERT INTO {t} (v) VALUES (7), (8) RETURNING id, v, @@port");
        if ctx.flavor != Flavor::MariaDb {
            // MySQL has no RETURNING: the same error as directly.
            let mut direct = ctx.flavor.direct_conn();
            let expected = server_error(direct.query_drop(&sql), "INSERT … RETURNING directly");
            let got = server_error(conn.query_drop(&sql), "INSERT … RETURNING through sluice");
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message)
            );
        } else {
            let rows: Vec<(u64, i64, u16)> = conn.query(&sql).expect("INSERT … RETURNING");
            assert_eq!(
                rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
                vec![(1, 7), (2, 8)],
                "RETURNING rows"
            );
            for (_, _, port) in &rows {
                assert_on_primary(ctx.flavor, *port, "INSERT … RETURNING");
            }
            let sql = format!("DELETE FROM {t} WHERE v = 7 RETURNING id, @@port");
            let rows: Vec<(u64, u16)> = conn.query(&sql).expect("DELETE … RETURNING");
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].0, 1);
            assert_on_primary(ctx.flavor, rows[0].1, "DELETE … RETURNING");
        }
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn syntax_error_is_the_primarys() {
    each_flavor("rt_syntax", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        for sql in ["SELEC @@port", "SELECT 'unterminated"] {
            let expected = server_error(direct.query_drop(sql), "syntax error directly");
            let got = assert_counted_on_primary(ctx.flavor, &mut conn, sql, |conn| {
                server_error(conn.query_drop(sql), "syntax error through sluice")
            });
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message),
                "{sql:?}"
            );
        }
        // Text that reads as a complete query up to a missing operand is not recognised as
        // broken without a full SQL grammar; it may reach a replica, which returns the very same
        // error the primary would.
        for sql in ["SELECT @@port FROM", "SELECT 1 +"] {
            let expected = server_error(direct.query_drop(sql), "syntax error directly");
            let got = server_error(conn.query_drop(sql), "syntax error through sluice");
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message),
                "{sql:?}"
            );
        }
        // The session goes on.
        let one: Option<i64> = conn.query_first("SELECT 1").expect("after the errors");
        assert_eq!(one, Some(1));
    });
}
