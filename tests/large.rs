//! Large payloads through sluice: a 20 MiB blob in both directions (prepared-statement parameter,
//! which the client sends as COM_STMT_SEND_LONG_DATA, and a 40 MiB text query), i.e. packets split
//! at 16 MiB; and a 1,000,000-row result streamed to a slow reader while sluice's memory stays small.
//!
//! The blob tables are TEMPORARY: with row-based binary logging the servers keep them out of the
//! binlog, so a run does not copy some 150 MB of blobs into every server's binlog and relay log
//! (about 2 GB over both topologies, enough to fill a small CI disk). The client still sends and
//! receives the same packets.

mod common;

use std::time::{Duration, Instant};

use common::{each_flavor, exec, Flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::{from_value, Conn, Row, Value};
use sha2::{Digest, Sha256};

const BLOB_LEN: usize = 20 * 1024 * 1024;
const ROWS: u64 = 1_000_000;
/// Peak resident memory sluice may reach while relaying the big result.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Deterministic bytes covering every byte value (xorshift).
fn blob(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fetch_blob(conn: &mut Conn, sql: &str, prepared: bool) -> Vec<u8> {
    let row: Option<Row> = if prepared {
        conn.exec_first(sql, ()).expect("prepared select blob")
    } else {
        conn.query_first(sql).expect("text select blob")
    };
    let mut row = row.expect("one row");
    let value: Value = row.take(0).expect("a column");
    from_value(value)
}

#[test]
fn blob_20mib_round_trips() {
    each_flavor("large_blob", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("blob");
        let mut conn = sluice.conn();
        exec(
            &mut conn,
            &format!("CREATE TEMPORARY TABLE {t} (id INT PRIMARY KEY, b LONGBLOB)"),
        );
        let one = blob(BLOB_LEN, 0x5eed);
        let two = blob(BLOB_LEN, 0xbeef);

        // 1: a prepared-statement parameter (sent as COM_STMT_SEND_LONG_DATA in 16 MiB chunks).
        let started = Instant::now();
        conn.exec_drop(format!("INSERT INTO {t} VALUES (?, ?)"), (1, &one))
            .expect("insert 20 MiB blob as a prepared parameter");
        // 2: a text query of 40 MiB (hex literal): a COM_QUERY split over three packets.
        let mut sql = format!("INSERT INTO {t} VALUES (2, X'").into_bytes();
        for b in &two {
            sql.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        sql.extend_from_slice(b"')");
        let sql = String::from_utf8(sql).expect("ASCII query");
        conn.query_drop(&sql)
            .expect("insert 20 MiB blob as a 40 MiB text query");
        drop(sql);
        eprintln!("inserted two 20 MiB blobs in {:.1?}", started.elapsed());

        // The server stored exactly these bytes.
        let server_side: Vec<(i32, u64, String)> = conn
            .query(format!(
                "SELECT id, LENGTH(b), SHA2(b, 256) FROM {t} ORDER BY id"
            ))
            .expect("server-side digests");
        assert_eq!(
            server_side,
            vec![
                (1, BLOB_LEN as u64, sha_hex(&one)),
                (2, BLOB_LEN as u64, sha_hex(&two))
            ]
        );

        // And they come back intact, as text and binary result rows over 16 MiB.
        for (id, expected) in [(1, &one), (2, &two)] {
            for prepared in [false, true] {
                let sql = format!("SELECT b FROM {t} WHERE id = {id}");
                let fetched = Instant::now();
                let got = fetch_blob(&mut conn, &sql, prepared);
                eprintln!(
                    "read blob {id} (prepared: {prepared}) in {:.1?}",
                    fetched.elapsed()
                );
                assert_eq!(got.len(), expected.len(), "length of blob {id}");
                assert!(
                    got == *expected,
                    "blob {id} (prepared: {prepared}) differs: sha {} vs {}",
                    sha_hex(&got),
                    sha_hex(expected)
                );
            }
        }
        exec(&mut conn, &format!("DROP TEMPORARY TABLE {t}"));
        let mut sluice = sluice;
        sluice.assert_running();
    });
}

/// The largest payload of one packet; a payload of exactly this size is followed by an empty
/// packet.
const MAX_PAYLOAD: usize = 0xff_ffff;

#[test]
fn packets_at_the_16mib_boundary() {
    each_flavor("large_boundary", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("edge");
        let mut conn = sluice.conn();
        exec(
            &mut conn,
            &format!("CREATE TEMPORARY TABLE {t} (id INT PRIMARY KEY, b LONGBLOB)"),
        );

        // A COM_QUERY whose payload (command byte + SQL) is exactly MAX_PAYLOAD, and one byte
        // either side of it.
        for (id, extra) in [(1, -1_i64), (2, 0), (3, 1)] {
            let target = (MAX_PAYLOAD as i64 - 1 + extra) as usize; // SQL length
            let mut prefix = format!("INSERT INTO {t} VALUES ({id}, X'");
            let suffix = "')";
            if (target - prefix.len() - suffix.len()) % 2 == 1 {
                prefix = format!("INSERT INTO {t} VALUES ({id},  X'");
            }
            let hex_len = target - prefix.len() - suffix.len();
            let data = blob(hex_len / 2, id as u64);
            let mut sql = prefix.into_bytes();
            for b in &data {
                sql.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            sql.extend_from_slice(suffix.as_bytes());
            assert_eq!(sql.len(), target);
            let sql = String::from_utf8(sql).expect("ASCII query");
            conn.query_drop(&sql)
                .unwrap_or_else(|err| panic!("COM_QUERY of payload {} bytes: {err}", target + 1));
            let len: Option<u64> = conn
                .query_first(format!("SELECT LENGTH(b) FROM {t} WHERE id = {id}"))
                .expect("length");
            assert_eq!(len, Some(data.len() as u64));
        }

        // Result rows whose payload is exactly MAX_PAYLOAD, and one byte either side: a text row
        // is a 4-byte length prefix plus the value; a binary row adds a header byte and a
        // one-byte NULL bitmap.
        let text_exact = MAX_PAYLOAD - 4;
        let binary_exact = MAX_PAYLOAD - 6;
        // binary_exact + 1 == text_exact - 1: five lengths cover both exact cases and their
        // neighbours.
        for (i, len) in [
            binary_exact - 1,
            binary_exact,
            text_exact - 1,
            text_exact,
            text_exact + 1,
        ]
        .into_iter()
        .enumerate()
        {
            let id = 10 + i as i64;
            let data = blob(len, id as u64);
            conn.exec_drop(format!("INSERT INTO {t} VALUES (?, ?)"), (id, &data))
                .unwrap_or_else(|err| panic!("insert blob of {len} bytes: {err}"));
            for prepared in [false, true] {
                let got = fetch_blob(
                    &mut conn,
                    &format!("SELECT b FROM {t} WHERE id = {id}"),
                    prepared,
                );
                assert!(
                    got == data,
                    "blob of {len} bytes (prepared: {prepared}) came back as {} bytes, sha {} vs {}",
                    got.len(),
                    sha_hex(&got),
                    sha_hex(&data)
                );
            }
        }
        // The session is still in step.
        let one: Option<i64> = conn.query_first("SELECT 1").expect("query after");
        assert_eq!(one, Some(1));
        exec(&mut conn, &format!("DROP TEMPORARY TABLE {t}"));
        let mut sluice = sluice;
        sluice.assert_running();
    });
}

/// A query producing rows 1..=ROWS, each with a 50-byte filler so the result (about 60 MB) is far
/// bigger than the socket buffers between the server, sluice and the client.
fn million_rows_sql(flavor: Flavor) -> (&'static str, String) {
    match flavor {
        Flavor::MariaDb => (
            "DO 0",
            format!("SELECT seq, REPEAT('x', 50) FROM seq_1_to_{ROWS}"),
        ),
        Flavor::MySql => (
            "SET SESSION cte_max_recursion_depth = 2000000",
            format!(
                "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {ROWS}) \
                 SELECT n, REPEAT('x', 50) FROM c"
            ),
        ),
    }
}

/// Streams the result, pausing now and then; returns (rows, sum of the first column).
fn stream(conn: &mut Conn, sql: &str, mut on_pause: impl FnMut(u64)) -> (u64, u64) {
    let mut result = conn.query_iter(sql).expect("start the big query");
    let mut count = 0_u64;
    let mut sum = 0_u64;
    let set = result.iter().expect("a result set");
    for row in set {
        let row = row.expect("row");
        let n: u64 = row.get(0).expect("first column as a number");
        let filler: String = row.get(1).expect("second column");
        assert_eq!(filler.len(), 50);
        count += 1;
        sum += n;
        if count % 100_000 == 0 {
            on_pause(count);
        }
    }
    (count, sum)
}

#[test]
fn million_rows_stream_with_bounded_memory() {
    each_flavor("large_rows", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let (setup, sql) = million_rows_sql(ctx.flavor);

        let started = Instant::now();
        let mut direct = ctx.flavor.direct_conn();
        exec(&mut direct, setup);
        let expected = stream(&mut direct, &sql, |_| {});
        eprintln!("direct: {expected:?} in {:.1?}", started.elapsed());
        assert_eq!(expected, (ROWS, ROWS * (ROWS + 1) / 2));

        let mut conn = sluice.conn();
        exec(&mut conn, setup);
        let before = sluice.proc_status_kib("VmRSS");
        let mut samples = Vec::new();
        let started = Instant::now();
        let got = stream(&mut conn, &sql, |count| {
            // A slow reader: the server keeps producing while we sleep, so sluice must stop
            // reading from it (backpressure) rather than buffer.
            std::thread::sleep(Duration::from_millis(150));
            samples.push((count, sluice.proc_status_kib("VmRSS")));
        });
        eprintln!(
            "through sluice: {got:?} in {:.1?}; sluice VmRSS before {before} KiB, during {samples:?}",
            started.elapsed()
        );
        assert_eq!(got, expected, "rows and sum through sluice vs direct");
        let peak = sluice.proc_status_kib("VmHWM");
        eprintln!("sluice peak RSS (VmHWM) {peak} KiB");
        assert!(
            peak < RSS_LIMIT_KIB,
            "sluice's peak RSS {peak} KiB exceeds {RSS_LIMIT_KIB} KiB (samples {samples:?})"
        );
        // The session is still usable.
        let one: Option<i64> = conn.query_first("SELECT 1").expect("query after stream");
        assert_eq!(one, Some(1));
        sluice.assert_running();
    });
}
