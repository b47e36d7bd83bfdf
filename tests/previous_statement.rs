//! What a statement reads of the session's earlier statements, which a server keeps per
//! connection while sluice spreads a session over several: `LAST_INSERT_ID()` after reads on
//! replicas and other sessions' inserts in between, a new session's `LAST_INSERT_ID()` (0, not
//! what another session left on a pooled connection), and the diagnostics area (`SHOW WARNINGS`,
//! `SHOW ERRORS`, `@@warning_count`, `SHOW COUNT(*) WARNINGS`) after a read with warnings that
//! ran on a replica, and in a new session (empty, not another session's warnings); `ROW_COUNT()`
//! after a read; MariaDB's `@@last_gtid` after a write, a commit and DDL.
//!
//! The oracle is the server itself: the same statements run directly on the primary must give
//! the same results. The `mariadb` CLI with `--show-warnings` (it asks `SHOW WARNINGS` whenever a
//! reply counts warnings) is the independent client.

mod common;

use common::{
    assert_on_replica, assert_script_same, each_flavor, exec, mariadb_cli, wait_replicated, Ctx,
    Flavor, Sluice,
};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Creates `t` (auto-increment `id`, integer `v`) with four rows, replicated.
fn table(ctx: &Ctx, what: &str) -> String {
    let t = ctx.name(what);
    let mut direct = ctx.flavor.direct_conn();
    exec(&mut direct, &format!("DROP TABLE IF EXISTS {t}"));
    exec(
        &mut direct,
        &format!("CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB"),
    );
    exec(
        &mut direct,
        &format!("INSERT INTO {t} (v) VALUES (1), (2), (3), (4)"),
    );
    wait_replicated(
        ctx.flavor,
        &format!("SELECT 1 FROM {t} HAVING COUNT(*) = 4"),
    );
    t
}

fn last_insert_ids(conn: &mut Conn, prepared: bool) -> (u64, u64, u64) {
    let sql = "SELECT LAST_INSERT_ID(), @@last_insert_id, @@identity";
    let row: Option<(u64, u64, u64)> = if prepared {
        conn.exec_first(sql, ())
    } else {
        conn.query_first(sql)
    }
    .expect("read LAST_INSERT_ID()");
    row.expect("a row")
}

#[test]
fn last_insert_id_survives_reads_and_other_sessions_inserts() {
    each_flavor("ps_lastid", |ctx| {
        let t = table(ctx, "li");
        let sluice = Sluice::start(ctx.flavor);
        let mut a = sluice.conn();
        let mut b = sluice.conn();
        for round in 0..10 {
            exec(&mut a, &format!("INSERT INTO {t} (v) VALUES ({round})"));
            let id_a = a.last_insert_id();
            // Reads in between: they run on replicas, and the connection of the insert goes
            // back to the pool, where the other session's insert may take it.
            let n: Option<u64> = a
                .query_first(format!("SELECT COUNT(*) FROM {t} WHERE v < 0"))
                .expect("a read");
            assert_eq!(n, Some(0));
            exec(&mut b, &format!("INSERT INTO {t} (v) VALUES (100), (101)"));
            let id_b = b.last_insert_id();
            exec(&mut b, &format!("SELECT COUNT(*) FROM {t}"));
            assert_ne!(id_a, id_b);
            let prepared = round % 2 == 1;
            assert_eq!(
                last_insert_ids(&mut a, prepared),
                (id_a, id_a, id_a),
                "round {round} (prepared: {prepared}): LAST_INSERT_ID(), @@last_insert_id, \
                 @@identity after this session inserted {id_a}, read, and the other session \
                 inserted {id_b}"
            );
            // The value stays until the session's next insert, however many statements later.
            exec(&mut a, "SELECT 1");
            assert_eq!(last_insert_ids(&mut a, !prepared).0, id_a);
            // A new session has inserted nothing: 0, as on a new server connection.
            let mut fresh = sluice.conn();
            assert_eq!(
                last_insert_ids(&mut fresh, prepared),
                (0, 0, 0),
                "round {round}: LAST_INSERT_ID() of a session that inserted nothing"
            );
        }
        // COM_RESET_CONNECTION starts the session over: 0 again, as on a server.
        a.reset().expect("COM_RESET_CONNECTION");
        assert_eq!(last_insert_ids(&mut a, false), (0, 0, 0));
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn warnings_of_a_replica_read_reach_show_warnings() {
    each_flavor("ps_warn", |ctx| {
        let t = table(ctx, "w");
        let sluice = Sluice::start(ctx.flavor);
        let mut via = sluice.conn();
        // The read with a warning runs on a replica (it is not sent to the primary to keep its
        // warnings).
        let row: Option<(i64, u16)> = via
            .query_first(format!(
                "SELECT CAST(CONCAT('x', MAX(v)) AS SIGNED), @@port FROM {t}"
            ))
            .expect("read with a warning");
        let (value, port) = row.expect("a row");
        assert_eq!(value, 0);
        assert_on_replica(ctx.flavor, port, "a read with a warning");

        let script = [
            format!("SELECT CAST(CONCAT('x', MAX(v)) AS SIGNED) FROM {t}"),
            "SHOW WARNINGS".to_owned(),
            // Diagnostic statements leave the diagnostics area as it is: again.
            "SHOW WARNINGS".to_owned(),
            "SHOW COUNT(*) WARNINGS".to_owned(),
            "SELECT @@warning_count, @@error_count".to_owned(),
            // A read without warnings empties it.
            format!("SELECT COUNT(*) FROM {t}"),
            "SHOW WARNINGS".to_owned(),
            "SELECT @@warning_count".to_owned(),
            // Two warnings, then an error: the error is what SHOW ERRORS lists.
            format!("SELECT CAST('a' AS SIGNED) + CAST('b' AS SIGNED) FROM {t} LIMIT 1"),
            "SHOW WARNINGS".to_owned(),
            format!("SELECT no_such_column FROM {t}"),
            "SHOW ERRORS".to_owned(),
            "SELECT @@error_count".to_owned(),
            // ROW_COUNT() after a read is -1, wherever the read ran.
            format!("SELECT COUNT(*) FROM {t}"),
            "SELECT ROW_COUNT()".to_owned(),
        ];
        let script: Vec<&str> = script.iter().map(String::as_str).collect();
        assert_script_same(&mut via, &mut ctx.flavor.direct_conn(), &script);

        // The same after a prepared read (COM_STMT_EXECUTE, whose EOF counts the warnings).
        let prepared = format!("SELECT CAST(CONCAT(?, MAX(v)) AS SIGNED) FROM {t}");
        let warnings = |conn: &mut Conn| -> (Option<i64>, Vec<(String, u32, String)>) {
            let value: Option<i64> = conn.exec_first(&prepared, ("z",)).expect("prepared read");
            let shown = conn.query("SHOW WARNINGS").expect("SHOW WARNINGS");
            (value, shown)
        };
        let direct = warnings(&mut ctx.flavor.direct_conn());
        assert_eq!(direct.1.len(), 1, "one warning directly: {direct:?}");
        for round in 0..5 {
            assert_eq!(
                warnings(&mut via),
                direct,
                "round {round}: a prepared read's warnings through sluice (left) and directly"
            );
        }

        // Diagnostics read by prepared statements: the statement is prepared on the kept
        // connection. MySQL prepares neither (error 1295): the same error through sluice.
        let read = format!("SELECT CAST(CONCAT('x', MAX(v)) AS SIGNED) FROM {t}");
        type Shown = Result<Vec<(String, u32, String)>, String>;
        let prepared_diagnostics = |conn: &mut Conn| -> (Shown, Result<Option<u64>, String>) {
            let _: Option<i64> = conn.query_first(&read).expect("read with a warning");
            let shown = conn.exec("SHOW WARNINGS", ()).map_err(|e| e.to_string());
            let _: Option<i64> = conn.query_first(&read).expect("read with a warning");
            let count = conn
                .exec_first("SELECT @@warning_count", ())
                .map_err(|e| e.to_string());
            (shown, count)
        };
        let direct = prepared_diagnostics(&mut ctx.flavor.direct_conn());
        if ctx.flavor == Flavor::MariaDb {
            assert_eq!(direct.1, Ok(Some(1)), "directly: {direct:?}");
        }
        for round in 0..3 {
            assert_eq!(
                prepared_diagnostics(&mut via),
                direct,
                "round {round}: prepared SHOW WARNINGS and @@warning_count through sluice (left) \
                 and directly"
            );
        }

        // The mariadb CLI shows a reply's warnings by asking SHOW WARNINGS when the reply counts
        // any: the same lines through sluice as directly.
        let sql = format!(
            "SELECT CAST(CONCAT('x', MAX(v)) AS SIGNED) FROM {t}; SELECT COUNT(*) FROM {t}; \
             SELECT CAST('7y' AS SIGNED) FROM {t} WHERE v = 1"
        );
        let args = ["--show-warnings"];
        let through = sluice.cli_with(&sql, &args);
        let mut direct_args = ctx.flavor.direct_cli_args().to_vec();
        direct_args.extend_from_slice(&args);
        let direct = mariadb_cli(ctx.flavor.primary_port(), &sql, &direct_args);
        assert!(
            direct.ok().contains("Truncated incorrect"),
            "the CLI shows warnings directly: {direct:?}"
        );
        assert_eq!(
            through.ok(),
            direct.ok(),
            "mariadb --show-warnings through sluice (left) and directly (right)"
        );
        drop(via);
        ctx.flavor
            .direct_conn()
            .query_drop(format!("DROP TABLE {t}"))
            .expect("drop");
    });
}

#[test]
fn a_new_session_sees_no_other_sessions_diagnostics() {
    each_flavor("ps_fresh", |ctx| {
        let t = table(ctx, "f");
        let sluice = Sluice::start(ctx.flavor);
        let mut a = sluice.conn();
        let clean = [
            "SHOW WARNINGS",
            "SHOW COUNT(*) WARNINGS",
            "SELECT @@warning_count, @@error_count",
            "SELECT LAST_INSERT_ID()",
        ];
        for round in 0..5 {
            // Session a leaves warnings, an error and an insert id on a primary connection, and
            // gives the connection back (a plain read next).
            exec(&mut a, &format!("INSERT INTO {t} (v) VALUES ({round})"));
            exec(
                &mut a,
                &format!("/* sluice: primary */ SELECT CAST('x' AS SIGNED) FROM {t}"),
            );
            exec(&mut a, &format!("SELECT COUNT(*) FROM {t}"));
            // A new session asks first thing: what a new server connection answers.
            let mut b = sluice.conn();
            assert_script_same(&mut b, &mut ctx.flavor.direct_conn(), &clean);
        }
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}

/// `(domain, server, sequence)` of a MariaDB GTID such as `0-3307-42`.
fn gtid_parts(gtid: &str) -> (u32, u32, u64) {
    let parts: Vec<&str> = gtid.split('-').collect();
    assert_eq!(parts.len(), 3, "a MariaDB GTID: {gtid:?}");
    let n = |i: usize| {
        parts[i]
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{gtid:?}"))
    };
    (n(0) as u32, n(1) as u32, n(2))
}

fn last_gtid(conn: &mut Conn) -> String {
    let row: Option<String> = conn.query_first("SELECT @@last_gtid").expect("@@last_gtid");
    row.expect("a row")
}

/// MariaDB's `@@last_gtid` is the GTID of the session's own last commit: read right after a write,
/// a `COMMIT` or DDL it is that statement's, not another connection's (a replica's is empty).
#[test]
fn last_gtid_is_the_sessions_last_commit() {
    each_flavor("ps_lastgtid", |ctx| {
        if ctx.flavor != Flavor::MariaDb {
            return; // MySQL has no @@last_gtid.
        }
        let t = table(ctx, "g");
        let sluice = Sluice::start(ctx.flavor);
        let server_id: Option<u32> = ctx
            .flavor
            .direct_conn()
            .query_first("SELECT @@server_id")
            .expect("server_id");
        let mut a = sluice.conn();
        let mut b = sluice.conn();
        let mut previous = 0;
        for round in 0..5 {
            exec(&mut a, &format!("INSERT INTO {t} (v) VALUES ({round})"));
            let after_insert = last_gtid(&mut a);
            exec(&mut b, &format!("INSERT INTO {t} (v) VALUES (100)"));
            let other = last_gtid(&mut b);
            exec(&mut a, "BEGIN");
            exec(&mut a, &format!("UPDATE {t} SET v = v + 1 WHERE id = 1"));
            exec(&mut a, "COMMIT");
            let after_commit = last_gtid(&mut a);
            exec(
                &mut a,
                &format!("CREATE TABLE IF NOT EXISTS {t}_ddl (i INT)"),
            );
            exec(&mut a, &format!("DROP TABLE {t}_ddl"));
            let after_ddl = last_gtid(&mut a);
            let seqs: Vec<u64> = [&after_insert, &other, &after_commit, &after_ddl]
                .iter()
                .map(|g| {
                    let (_, server, seq) = gtid_parts(g);
                    assert_eq!(
                        Some(server),
                        server_id,
                        "round {round}: {g} is the primary's"
                    );
                    seq
                })
                .collect();
            assert!(
                previous < seqs[0] && seqs[0] < seqs[1] && seqs[1] < seqs[2] && seqs[2] < seqs[3],
                "round {round}: @@last_gtid after a's insert, b's insert, a's commit and a's DDL \
                 must be those commits, in order: {after_insert} {other} {after_commit} {after_ddl}"
            );
            previous = seqs[3];
        }
        exec(&mut a, &format!("DROP TABLE {t}"));
    });
}
