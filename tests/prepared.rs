//! Binary-protocol prepared statements through sluice (COM_STMT_PREPARE / EXECUTE / CLOSE /
//! RESET): parameters of many types and NULLs, re-execution, closing, INSERT via `exec_drop`,
//! prepare errors, many statements; results equal to the primary's own.

mod common;

use common::raw::{Packet, RawConn};
use common::{each_flavor, exec, server_error, Sluice, DATABASE, PASSWORD, USER};
use mysql::prelude::Queryable;
use mysql::{Conn, Row, Value};

/// Parameters of many types, and what each is.
fn typed_params() -> Vec<Value> {
    vec![
        Value::Int(-42),
        Value::UInt(u64::MAX),
        Value::Double(-1.25e-7),
        Value::Float(3.5),
        Value::Bytes(b"text with 'quotes' and \x00 nul".to_vec()),
        Value::Bytes(vec![0xff, 0x00, 0x80]),
        Value::NULL,
        Value::Date(2024, 2, 29, 13, 14, 15, 123_456),
        Value::Time(true, 1, 2, 3, 4, 5),
        Value::Int(0),
    ]
}

fn rows_of(conn: &mut Conn, sql: &str, params: Vec<Value>) -> Vec<Vec<Value>> {
    let stmt = conn
        .prep(sql)
        .unwrap_or_else(|err| panic!("prepare {sql:?}: {err}"));
    let rows: Vec<Row> = conn
        .exec(&stmt, params)
        .unwrap_or_else(|err| panic!("execute {sql:?}: {err}"));
    rows.into_iter().map(Row::unwrap).collect()
}

#[test]
fn params_of_many_types_round_trip() {
    each_flavor("prep_types", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut through = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        let sql = "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
        let expected = rows_of(&mut direct, sql, typed_params());
        let got = rows_of(&mut through, sql, typed_params());
        assert_eq!(got, expected);
        // The NULL parameter comes back NULL; the string one unchanged.
        assert_eq!(got[0][6], Value::NULL);
        assert_eq!(got[0][4], typed_params()[4]);

        // Statement metadata is the server's.
        let s1 = through.prep(sql).expect("prepare through sluice");
        let s2 = direct.prep(sql).expect("prepare direct");
        assert_eq!(s1.num_params(), s2.num_params());
        assert_eq!(s1.num_columns(), s2.num_columns());
    });
}

#[test]
fn insert_select_reexecute_and_close() {
    each_flavor("prep_table", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("p");
        let mut results = Vec::new();
        for (label, mut conn) in [
            ("direct", ctx.flavor.direct_conn()),
            ("through sluice", sluice.conn()),
        ] {
            exec(&mut conn, &format!("DROP TABLE IF EXISTS {t}"));
            exec(
                &mut conn,
                &format!(
                    "CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, n BIGINT, s VARCHAR(50), \
                     d DATETIME(6), f DOUBLE, b VARBINARY(20))"
                ),
            );
            let insert = conn
                .prep(format!(
                    "INSERT INTO {t} (n, s, d, f, b) VALUES (?, ?, ?, ?, ?)"
                ))
                .expect("prepare insert");
            for i in 0..50_i64 {
                let s = if i % 7 == 0 {
                    Value::NULL
                } else {
                    Value::from(format!("row {i}"))
                };
                let d = if i % 5 == 0 {
                    Value::NULL
                } else {
                    Value::Date(2020, 1, 1 + (i % 28) as u8, 0, 0, 0, i as u32)
                };
                conn.exec_drop(
                    &insert,
                    (i * 1000, s, d, i as f64 / 3.0, vec![i as u8, 0, 255]),
                )
                .unwrap_or_else(|err| panic!("{label}: insert {i}: {err}"));
                assert_eq!(conn.affected_rows(), 1);
                assert_eq!(conn.last_insert_id(), (i + 1) as u64);
            }
            let select = conn
                .prep(format!(
                    "SELECT * FROM {t} WHERE id BETWEEN ? AND ? ORDER BY id"
                ))
                .expect("prepare select");
            let mut sets = Vec::new();
            for (lo, hi) in [(1, 10), (5, 5), (40, 100), (100, 200), (1, 50)] {
                let rows: Vec<Row> = conn.exec(&select, (lo, hi)).expect("execute select");
                sets.push(rows.into_iter().map(Row::unwrap).collect::<Vec<_>>());
            }
            let update = conn
                .prep(format!("UPDATE {t} SET n = n + ? WHERE id <= ?"))
                .expect("prepare update");
            conn.exec_drop(&update, (1, 10)).expect("update");
            assert_eq!(conn.affected_rows(), 10, "{label}: updated rows");

            // Close, then executing the closed statement is the server's error.
            conn.close(select.clone()).expect("COM_STMT_CLOSE");
            let err = server_error(
                conn.exec::<Row, _, _>(&select, (1, 2)),
                "execute a closed statement",
            );
            assert_eq!((err.code, err.state.as_str()), (1243, "HY000"), "{label}");
            // The session goes on.
            let n: Option<i64> = conn
                .query_first(format!("SELECT SUM(n) FROM {t}"))
                .expect("sum");
            sets.push(vec![vec![Value::from(n)]]);
            exec(&mut conn, &format!("DROP TABLE {t}"));
            results.push(sets);
        }
        assert_eq!(results[1], results[0], "through sluice vs direct");
    });
}

#[test]
fn prepare_errors_are_relayed() {
    each_flavor("prep_errors", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut through = sluice.conn();
        let mut direct = ctx.flavor.direct_conn();
        for sql in [
            "SELEC ?",
            "SELECT * FROM sluice_no_such_table WHERE id = ?",
            "SELECT ?; SELECT ?",
        ] {
            let expected = server_error(direct.prep(sql), "direct prepare");
            let got = server_error(through.prep(sql), "prepare through sluice");
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message),
                "{sql:?}"
            );
        }
        let v: Option<i64> = through
            .exec_first("SELECT ? + 1", (41,))
            .expect("prepared after errors");
        assert_eq!(v, Some(42));
    });
}

#[test]
fn many_statements_prepared_and_closed() {
    each_flavor("prep_many", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut conn = sluice.conn();
        // Each distinct text is a new statement; the crate's cache (32) closes old ones.
        for i in 0..300_i64 {
            let v: Option<i64> = conn
                .exec_first(format!("SELECT ? + {i}"), (i,))
                .unwrap_or_else(|err| panic!("statement {i}: {err}"));
            assert_eq!(v, Some(2 * i));
        }
        // Prepared and closed explicitly.
        for i in 0..300_i64 {
            let stmt = conn.prep(format!("SELECT {i} + ?, 'x'")).expect("prepare");
            let v: Option<(i64, String)> = conn.exec_first(&stmt, (1,)).expect("execute");
            assert_eq!(v, Some((i + 1, "x".to_owned())));
            conn.close(stmt).expect("close");
        }
        // The backend must not keep the 600 statements the client closed (the count is global, so
        // other tests' statements are in it too: allow for them).
        let open: Option<(String, i64)> = ctx
            .flavor
            .direct_conn()
            .query_first("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")
            .expect("status");
        let (_, open) = open.expect("Prepared_stmt_count row");
        assert!(
            open < 250,
            "{open} prepared statements open on the primary after the client closed them"
        );
        drop(conn);
    });
}

/// Reads a COM_STMT_PREPARE reply to its end: (statement id, columns, params), or the ERR.
fn read_prepare_reply(raw: &mut RawConn, first: Packet) -> Result<(u32, u16, u16), Packet> {
    if !first.is_ok() {
        return Err(first);
    }
    let p = &first.payload;
    let id = u32::from_le_bytes([p[1], p[2], p[3], p[4]]);
    let columns = u16::from_le_bytes([p[5], p[6]]);
    let params = u16::from_le_bytes([p[7], p[8]]);
    for count in [params, columns] {
        if count > 0 {
            for _ in 0..count {
                raw.read_packet().expect("definition");
            }
            let eof = raw.read_packet().expect("EOF");
            assert_eq!(eof.payload.first(), Some(&0xfe), "EOF after definitions");
        }
    }
    Ok((id, columns, params))
}

#[test]
fn stmt_reset_and_long_data_raw() {
    each_flavor("prep_raw", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut raw = RawConn::login(sluice.port, USER, PASSWORD, DATABASE)
            .unwrap_or_else(|err| panic!("raw login: {:?}", err.err()));
        let mut prepare = vec![0x16];
        prepare.extend_from_slice(b"SELECT CONCAT(?, '!')");
        let first = raw.command(&prepare).expect("COM_STMT_PREPARE");
        let (id, columns, params) = read_prepare_reply(&mut raw, first)
            .unwrap_or_else(|err| panic!("prepare: {:?}", err.err()));
        assert_eq!((columns, params), (1, 1));

        // SEND_LONG_DATA (no reply), then RESET discards it: OK.
        let mut long = vec![0x18];
        long.extend_from_slice(&id.to_le_bytes());
        long.extend_from_slice(&0u16.to_le_bytes());
        long.extend_from_slice(b"discarded");
        raw.write_packet(0, &long).expect("COM_STMT_SEND_LONG_DATA");
        let mut reset = vec![0x1a];
        reset.extend_from_slice(&id.to_le_bytes());
        let reply = raw.command(&reset).expect("COM_STMT_RESET");
        assert!(reply.is_ok(), "COM_STMT_RESET: {:?}", reply.err());

        // RESET of an unknown statement: the server's 1243.
        let mut bogus = vec![0x1a];
        bogus.extend_from_slice(&0x7fff_fff0_u32.to_le_bytes());
        let reply = raw.command(&bogus).expect("COM_STMT_RESET unknown");
        let (code, state, message) = reply.err().expect("ERR for an unknown statement");
        assert_eq!((code, state.as_str()), (1243, "HY000"), "{message}");

        // CLOSE (no reply); the session still answers.
        let mut close = vec![0x19];
        close.extend_from_slice(&id.to_le_bytes());
        raw.write_packet(0, &close).expect("COM_STMT_CLOSE");
        let (done, rows) = raw.query("SELECT 1").expect("query after close");
        assert!(!done.is_err(), "{:?}", done.err());
        assert_eq!(rows, 1);
    });
}

/// Every result set of a binary-protocol execution, as rows of values.
fn all_sets(conn: &mut Conn, sql: &str, params: Vec<Value>) -> Vec<Vec<Vec<Value>>> {
    let mut result = conn
        .exec_iter(sql, params)
        .unwrap_or_else(|err| panic!("execute {sql:?}: {err}"));
    let mut sets = Vec::new();
    while let Some(set) = result.iter() {
        sets.push(
            set.map(|row| row.expect("row").unwrap())
                .collect::<Vec<_>>(),
        );
    }
    sets
}

#[test]
fn call_with_several_result_sets() {
    each_flavor("prep_call", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let p = ctx.name("proc");
        let mut results = Vec::new();
        for mut conn in [ctx.flavor.direct_conn(), sluice.conn()] {
            exec(&mut conn, &format!("DROP PROCEDURE IF EXISTS {p}"));
            exec(
                &mut conn,
                &format!(
                    "CREATE PROCEDURE {p}(IN n INT, OUT doubled INT) \
                     BEGIN SELECT n, 'first'; SELECT n + 1, NULL UNION ALL SELECT n + 2, 'x'; \
                     SET doubled = n * 2; END"
                ),
            );
            let sets = all_sets(&mut conn, &format!("CALL {p}(?, @d)"), vec![Value::Int(20)]);
            let out: Option<i64> = conn.query_first("SELECT @d").expect("OUT parameter");
            // And the session is in step afterwards.
            let again = all_sets(&mut conn, &format!("CALL {p}(?, @d)"), vec![Value::Int(1)]);
            exec(&mut conn, &format!("DROP PROCEDURE {p}"));
            results.push((sets, out, again));
        }
        assert_eq!(results[1], results[0], "through sluice vs direct");
        assert_eq!(results[1].1, Some(40));
        assert!(results[1].0.len() >= 2, "{:?}", results[1].0);
    });
}
