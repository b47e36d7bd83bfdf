//! Text-protocol commands through sluice give what the primary gives directly: DDL, DML with
//! affected rows, many column types and NULLs, multi-statement results, SHOW, relayed errors,
//! COM_INIT_DB, COM_PING, COM_RESET_CONNECTION and transactions; with the client crate and with the
//! `mariadb` command-line client.

mod common;

use common::raw::RawConn;
use common::{
    assert_script_same, dump_query, each_flavor, exec, run_script, server_error, Sluice, DATABASE,
    PASSWORD, USER,
};
use mysql::prelude::Queryable;
use mysql::{Conn, TxOpts, Value};

/// The script, with `{t}` replaced by the test's table.
fn script(t: &str) -> Vec<String> {
    [
        "DROP TABLE IF EXISTS {t}",
        "CREATE TABLE {t} (
            id INT AUTO_INCREMENT PRIMARY KEY,
            i8 TINYINT, i64 BIGINT, u64 BIGINT UNSIGNED,
            f FLOAT, d DOUBLE, dc DECIMAL(20,6),
            s VARCHAR(100), txt TEXT CHARACTER SET utf8mb4, b VARBINARY(50), blb BLOB,
            dt DATETIME(6), da DATE, tm TIME, ts TIMESTAMP NULL DEFAULT NULL, y YEAR,
            e ENUM('a','b'), st SET('x','y'), j JSON, bt BIT(8)
        )",
        "INSERT INTO {t} (i8, i64, u64, f, d, dc, s, txt, b, blb, dt, da, tm, ts, y, e, st, j, bt)
         VALUES (-128, -9223372036854775808, 18446744073709551615, 1.5, -2.25e-300,
                 -12345678901234.123456, 'plain', 'h\u{e9}llo \u{1f600}', X'00FF7F', X'DEADBEEF',
                 '2024-02-29 23:59:59.123456', '1000-01-01', '-838:59:59', '2038-01-19 03:14:07',
                 2155, 'b', 'x,y', '{\"k\": [1, null, \"v\"]}', b'10101010')",
        "INSERT INTO {t} (s) VALUES (NULL), (''), ('three')",
        "INSERT INTO {t} () VALUES ()",
        "SELECT * FROM {t} ORDER BY id",
        "SELECT id, s IS NULL, LENGTH(s), HEX(b) FROM {t} ORDER BY id DESC",
        "SELECT NULL, 1, -1.5e10, 'x', X'00ff', CAST('2024-01-02' AS DATE), 18446744073709551615, 0.1 + 0.2",
        "UPDATE {t} SET s = 'changed' WHERE id > 1",
        "UPDATE {t} SET s = 'changed' WHERE id > 1",
        "DELETE FROM {t} WHERE id = 3",
        "SELECT COUNT(*), SUM(id), MAX(s) FROM {t}",
        "SELECT 1; SELECT 2",
        "SELECT 'a' AS first; UPDATE {t} SET i8 = 1 WHERE id = 2; SELECT i8 FROM {t} WHERE id = 2",
        "SELECT 1; SELECT * FROM {t}_missing; SELECT 3",
        "INSERT INTO {t} (s) VALUES ('m'); SELECT LAST_INSERT_ID(), ROW_COUNT()",
        "SHOW TABLES LIKE '{t}'",
        "SHOW COLUMNS FROM {t}",
        "SHOW CREATE TABLE {t}",
        "SHOW VARIABLES LIKE 'max_allowed_packet'",
        "SELECT @@character_set_client, @@character_set_connection, @@character_set_results, \
         @@collation_connection, @@autocommit, @@sql_mode, @@time_zone",
        "SET NAMES latin1; SELECT @@character_set_client, HEX('\u{e9}'), '\u{e9}'; SET NAMES utf8mb4",
        "SELEC 1",
        "SELECT * FROM {t}_missing",
        "INSERT INTO {t} (id) VALUES (1)",
        "SELECT 1/0",
        "SHOW WARNINGS",
        "SELECT id FROM {t} WHERE 1 = 0",
        "DROP PROCEDURE IF EXISTS {t}_p",
        "CREATE PROCEDURE {t}_p(IN n INT) BEGIN SELECT n; SELECT n + 1 AS m, 'two'; \
         UPDATE {t} SET i8 = n WHERE id = 2; END",
        "CALL {t}_p(5)",
        "CALL {t}_p(7); SELECT i8 FROM {t} WHERE id = 2",
        "DROP PROCEDURE {t}_p",
        "DROP TABLE {t}",
    ]
    .iter()
    .map(|s| s.replace("{t}", t))
    .collect()
}

#[test]
fn text_queries_match_direct() {
    each_flavor("queries_text", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("types");
        let statements = script(&t);
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        let mut direct = ctx.flavor.direct_conn();
        let mut through = sluice.conn();
        assert_script_same(&mut through, &mut direct, &statements);

        // A few sanity checks that the script exercised what it claims.
        let outcomes = run_script(&mut through, &statements[..3]);
        assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:?}");
        let multi = dump_query(&mut through, "SELECT 1; SELECT 2");
        assert_eq!(multi.sets.len(), 2, "two result sets: {multi:?}");
        let syntax = dump_query(&mut through, "SELEC 1");
        let err = syntax.error.expect("syntax error");
        assert_eq!((err.code, err.state.as_str()), (1064, "42000"));
        exec(&mut through, &format!("DROP TABLE IF EXISTS {t}"));
    });
}

#[test]
fn affected_rows_and_insert_ids() {
    each_flavor("queries_affected", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("aff");
        let mut conn = sluice.conn();
        exec(&mut conn, &format!("DROP TABLE IF EXISTS {t}"));
        exec(
            &mut conn,
            &format!("CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"),
        );
        exec(
            &mut conn,
            &format!("INSERT INTO {t} (v) VALUES (1), (2), (3), (4)"),
        );
        assert_eq!(conn.affected_rows(), 4);
        assert_eq!(conn.last_insert_id(), 1);
        exec(&mut conn, &format!("UPDATE {t} SET v = 0 WHERE v >= 2"));
        assert_eq!(conn.affected_rows(), 3);
        exec(&mut conn, &format!("UPDATE {t} SET v = 0 WHERE v >= 0"));
        assert_eq!(conn.affected_rows(), 1, "only one row actually changed");
        exec(&mut conn, &format!("DELETE FROM {t}"));
        assert_eq!(conn.affected_rows(), 4);
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

#[test]
fn init_db_ping_and_errors() {
    each_flavor("queries_initdb", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut conn = sluice.conn();
        conn.ping().expect("COM_PING through sluice");
        conn.select_db("sbtest").expect("COM_INIT_DB sbtest");
        let db: Option<String> = conn.query_first("SELECT DATABASE()").expect("database");
        assert_eq!(db.as_deref(), Some("sbtest"));

        let expected = server_error(
            ctx.flavor.direct_conn().select_db("sluicextest"),
            "direct COM_INIT_DB to a missing database",
        );
        let got = server_error(
            conn.select_db("sluicextest"),
            "COM_INIT_DB to a missing database through sluice",
        );
        assert_eq!(expected.code, 1049);
        assert_eq!(
            (got.code, got.state, got.message),
            (expected.code, expected.state, expected.message)
        );
        // The failed COM_INIT_DB leaves the old database in place, as on the server.
        let db: Option<String> = conn.query_first("SELECT DATABASE()").expect("database");
        assert_eq!(db.as_deref(), Some("sbtest"));
        conn.select_db(DATABASE).expect("COM_INIT_DB back");
        conn.ping().expect("COM_PING again");
        let db: Option<String> = conn.query_first("SELECT DATABASE()").expect("database");
        assert_eq!(db.as_deref(), Some(DATABASE));
    });
}

#[test]
fn reset_connection_clears_session_state() {
    each_flavor("queries_reset", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("tmp");
        for (label, port) in [
            ("direct", ctx.flavor.primary_port()),
            ("through sluice", sluice.port),
        ] {
            // COM_RESET_CONNECTION with the raw client, so a failure cannot fall back to
            // COM_CHANGE_USER the way the client crate's `reset()` does.
            let mut raw = match RawConn::login(port, USER, PASSWORD, DATABASE) {
                Ok(raw) => raw,
                Err(err) if label == "direct" => {
                    // MySQL 9.7 needs full caching_sha2 auth (TLS) for an uncached password.
                    eprintln!(
                        "raw direct login refused ({:?}), skipping the direct half",
                        err.err()
                    );
                    continue;
                }
                Err(err) => panic!("raw login through sluice failed: {:?}", err.err()),
            };
            let (done, _) = raw.query("SET @sluice_r = 5").expect("SET");
            assert!(done.is_ok(), "{label}: SET: {:?}", done.err());
            let (done, _) = raw
                .query(&format!("CREATE TEMPORARY TABLE {t} (x INT)"))
                .expect("create temporary table");
            assert!(done.is_ok(), "{label}: CREATE TEMPORARY: {:?}", done.err());
            let reply = raw.command(&[0x1f]).expect("COM_RESET_CONNECTION");
            assert!(
                reply.is_ok(),
                "{label}: COM_RESET_CONNECTION answered {:?} / {:?}",
                reply.payload,
                reply.err()
            );
            let (done, rows) = raw
                .query("SELECT @sluice_r FROM DUAL WHERE @sluice_r IS NOT NULL")
                .expect("SELECT");
            assert!(!done.is_err(), "{label}: {:?}", done.err());
            assert_eq!(rows, 0, "{label}: user variable survived the reset");
            let (done, _) = raw
                .query(&format!("SELECT * FROM {t}"))
                .expect("SELECT temporary");
            assert_eq!(
                done.err().map(|e| e.0),
                Some(1146),
                "{label}: temporary table survived the reset"
            );
            let (done, rows) = raw
                .query("SELECT DATABASE() FROM DUAL WHERE DATABASE() = 'sluice_test'")
                .expect("SELECT DATABASE()");
            assert!(!done.is_err(), "{label}: {:?}", done.err());
            assert_eq!(rows, 1, "{label}: reset kept the database");
        }

        // And through the crate's `reset()`.
        let mut conn = sluice.conn();
        exec(&mut conn, "SET @sluice_r = 6");
        conn.reset().expect("reset through sluice");
        let v: Option<Value> = conn.query_first("SELECT @sluice_r").expect("read");
        assert_eq!(v, Some(Value::NULL));
    });
}

#[test]
fn transactions_commit_and_rollback() {
    each_flavor("queries_tx", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("tx");
        let mut conn = sluice.conn();
        exec(&mut conn, &format!("DROP TABLE IF EXISTS {t}"));
        exec(
            &mut conn,
            &format!("CREATE TABLE {t} (id INT PRIMARY KEY) ENGINE=InnoDB"),
        );
        let count = |conn: &mut Conn| -> i64 {
            conn.query_first(format!("SELECT COUNT(*) FROM {t}"))
                .expect("count")
                .expect("one row")
        };

        exec(&mut conn, "BEGIN");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (1), (2)"));
        assert_eq!(count(&mut conn), 2, "own uncommitted rows visible");
        let mut other = ctx.flavor.direct_conn();
        assert_eq!(count(&mut other), 0, "uncommitted rows invisible to others");
        exec(&mut conn, "ROLLBACK");
        assert_eq!(count(&mut conn), 0, "rolled back");

        let mut tx = conn
            .start_transaction(TxOpts::default())
            .expect("start transaction");
        tx.query_drop(format!("INSERT INTO {t} VALUES (3)"))
            .expect("insert in tx");
        tx.commit().expect("commit");
        assert_eq!(count(&mut conn), 1);
        assert_eq!(count(&mut other), 1, "committed rows visible to others");

        let mut tx = conn
            .start_transaction(TxOpts::default())
            .expect("start transaction");
        tx.query_drop(format!("INSERT INTO {t} VALUES (4)"))
            .expect("insert in tx");
        tx.rollback().expect("rollback");
        assert_eq!(count(&mut conn), 1);

        // autocommit off: nothing is visible to others until COMMIT.
        exec(&mut conn, "SET autocommit = 0");
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (5)"));
        assert_eq!(count(&mut other), 1);
        exec(&mut conn, "COMMIT");
        assert_eq!(count(&mut other), 2);
        exec(&mut conn, "SET autocommit = 1");
        exec(&mut conn, &format!("DROP TABLE {t}"));
    });
}

/// The CLI script, `{t}` replaced by the test's table.
const CLI_SCRIPT: &str = "DROP TABLE IF EXISTS {t};
CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(20), n DECIMAL(10,2), d DATETIME);
INSERT INTO {t} (s, n, d) VALUES ('a', 1.5, '2020-01-01 00:00:00'), (NULL, NULL, NULL), ('tab\\there', -3, '1999-12-31 23:59:59');
SELECT * FROM {t} ORDER BY id;
UPDATE {t} SET n = n * 2 WHERE n IS NOT NULL;
SELECT ROW_COUNT();
SELECT id, s, n FROM {t} WHERE n > 0;
SELECT 1; SELECT 2;
SHOW COLUMNS FROM {t};
USE sbtest;
SELECT DATABASE();
USE sluice_test;
DROP TABLE {t};";

#[test]
fn cli_output_matches_direct() {
    each_flavor("queries_cli", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let sql = CLI_SCRIPT.replace("{t}", &ctx.name("cli"));
        let direct = ctx.flavor.direct_cli(&sql);
        let through = sluice.cli(&sql);
        assert_eq!(
            through.ok(),
            direct.ok(),
            "CLI output through sluice vs direct"
        );
        assert!(direct.stdout.contains("tab\\there"), "{}", direct.stdout);

        // With column names, and an error at the end.
        let sql = "SELECT 1 AS one, NULL AS nothing, 'x' AS ex; SELECT * FROM sluice_missing_table";
        let args = ["--column-names"];
        let through = common::mariadb_cli(sluice.port, sql, &args);
        let mut direct_args = ctx.flavor.direct_cli_args().to_vec();
        direct_args.extend(args);
        let direct = common::mariadb_cli(ctx.flavor.primary_port(), sql, &direct_args);
        assert!(!direct.status.success());
        assert_eq!(through.status.code(), direct.status.code());
        assert_eq!(through.stdout, direct.stdout);
        assert_eq!(through.stderr, direct.stderr);
        assert!(
            direct.stderr.contains("ERROR 1146 (42S02)"),
            "{}",
            direct.stderr
        );
    });
}

#[test]
fn cli_character_sets_match_direct() {
    each_flavor("queries_charset", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let sql = "SELECT @@character_set_client, @@character_set_connection, \
                   @@character_set_results, @@collation_connection, HEX('\u{e9}'), '\u{e9}'";
        // The character set the client names in its handshake must reach the backend session.
        for charset in ["latin1", "utf8mb4", "utf8", "binary", "cp1251"] {
            let arg = format!("--default-character-set={charset}");
            let through = common::mariadb_cli(sluice.port, sql, &[&arg]);
            let mut direct_args = ctx.flavor.direct_cli_args().to_vec();
            direct_args.push(&arg);
            let direct = common::mariadb_cli(ctx.flavor.primary_port(), sql, &direct_args);
            assert_eq!(
                through.ok(),
                direct.ok(),
                "{charset}: through sluice vs direct"
            );
        }
    });
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    each_flavor("queries_pipeline", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut raw = RawConn::login(sluice.port, USER, PASSWORD, DATABASE)
            .unwrap_or_else(|err| panic!("raw login: {:?}", err.err()));
        // Several commands in one write, before reading any reply.
        let mut batch = Vec::new();
        for sql in ["SELECT 1", "DO 0", "SELEC 3", "SELECT 4, 5"] {
            let mut payload = vec![0x03];
            payload.extend_from_slice(sql.as_bytes());
            let len = u32::try_from(payload.len()).expect("small");
            batch.extend_from_slice(&len.to_le_bytes()[..3]);
            batch.push(0);
            batch.extend_from_slice(&payload);
        }
        batch.extend_from_slice(&[1, 0, 0, 0, 0x0e]); // COM_PING
        use std::io::Write as _;
        raw.stream.write_all(&batch).expect("send the batch");

        // SELECT 1: column count, definition, EOF, row, EOF.
        let read_result_set = |raw: &mut RawConn| -> Vec<Vec<u8>> {
            let count = raw.read_packet().expect("column count");
            assert!(!count.is_err(), "{:?}", count.err());
            let mut packets = vec![count.payload];
            let mut eofs = 0;
            while eofs < 2 {
                let p = raw.read_packet().expect("result packet");
                if p.payload.first() == Some(&0xfe) && p.payload.len() < 9 {
                    eofs += 1;
                }
                packets.push(p.payload);
            }
            packets
        };
        let first = read_result_set(&mut raw);
        assert_eq!(first[0], vec![1], "one column");
        assert_eq!(first[3], b"\x011".to_vec(), "row of SELECT 1");
        let ok = raw.read_packet().expect("DO 0 reply");
        assert!(ok.is_ok(), "DO 0: {ok:?}");
        let err = raw.read_packet().expect("syntax error reply");
        assert_eq!(err.err().map(|e| e.0), Some(1064), "{err:?}");
        let fourth = read_result_set(&mut raw);
        assert_eq!(fourth[0], vec![2], "two columns");
        let pong = raw.read_packet().expect("COM_PING reply");
        assert!(pong.is_ok(), "COM_PING: {pong:?}");
        // And the session is still in step.
        let (done, rows) = raw.query("SELECT 6").expect("query after the batch");
        assert!(!done.is_err(), "{:?}", done.err());
        assert_eq!(rows, 1);
    });
}
