//! An operator's round trip through sluice with the stock tools: `mariadb-dump
//! --single-transaction` of a table gives the same file through sluice as directly, and piping
//! that file back through sluice into the `mariadb` client restores the same rows (`CHECKSUM
//! TABLE` on the primary). The dump reads in a consistent-snapshot transaction; the restore runs
//! executable comments, `SET @OLD_...` user variables, `LOCK TABLES`, `ALTER TABLE ... DISABLE
//! KEYS` and multi-row inserts.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{client_program, each_flavor, exec, Flavor, Sluice, DATABASE};
use mysql::prelude::Queryable;

/// `mariadb-dump` of one table, on `port` (`extra`: arguments for a direct connection). The
/// bytes as written: blobs are dumped raw, so the file is not UTF-8.
fn dump(port: u16, extra: &[&str], table: &str) -> Vec<u8> {
    let out = client_program("mariadb-dump", port)
        .args(extra)
        .args(["--single-transaction", "--skip-dump-date"])
        .arg(DATABASE)
        .arg(table)
        .output()
        .expect("run mariadb-dump (apt-get install mariadb-client)");
    assert!(
        out.status.success(),
        "mariadb-dump on {port} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Pipes `sql` into the `mariadb` client connected through sluice.
fn restore(port: u16, sql: &[u8]) {
    let mut child = client_program("mariadb", port)
        .arg(DATABASE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the mariadb client");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(sql)
        .expect("feed the dump");
    let out = child.wait_with_output().expect("mariadb client");
    assert!(
        out.status.success(),
        "restore through sluice failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn checksum(flavor: Flavor, table: &str) -> u64 {
    let row: Option<(String, Option<u64>)> = flavor
        .direct_conn()
        .query_first(format!("CHECKSUM TABLE {table}"))
        .expect("CHECKSUM TABLE");
    row.and_then(|(_, c)| c).expect("a checksum")
}

#[test]
fn dump_and_restore_through_sluice() {
    each_flavor("dump", |ctx| {
        let t = ctx.name("t");
        let mut direct = ctx.flavor.direct_conn();
        exec(&mut direct, &format!("DROP TABLE IF EXISTS {t}"));
        exec(
            &mut direct,
            &format!(
                "CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), \
                 body BLOB, amount DECIMAL(12,3), at DATETIME(6), KEY (name)) \
                 DEFAULT CHARSET = utf8mb4"
            ),
        );
        // Quotes, backslashes, NUL and high bytes, non-ASCII text, NULLs; 93 rows.
        exec(
            &mut direct,
            &format!(
                "INSERT INTO {t} (name, body, amount, at) VALUES \
                 ('it''s', X'00FF5C27220A', -1.5, '2026-11-22 10:00:00.123456'), \
                 ('gr\u{fc}\u{df}e \u{1f600}', NULL, NULL, NULL), ('back\\\\slash', '', 0, NULL)"
            ),
        );
        exec(
            &mut direct,
            &format!(
                "INSERT INTO {t} (name, body, amount) SELECT CONCAT('row ', a.id, '-', b.id), \
                 REPEAT(CHAR(a.id), b.id), a.id * b.id / 7 FROM {t} a, {t} b, \
                 (SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION \
                 SELECT 6 UNION SELECT 7 UNION SELECT 8 UNION SELECT 9 UNION SELECT 10) n"
            ),
        );
        let before = checksum(ctx.flavor, &t);
        let sluice = Sluice::start(ctx.flavor);

        let through = dump(sluice.port, &[], &t);
        let direct_dump = dump(ctx.flavor.primary_port(), ctx.flavor.direct_cli_args(), &t);
        assert!(
            through.windows(11).any(|w| w == b"INSERT INTO"),
            "a dump with rows"
        );
        assert!(
            through == direct_dump,
            "mariadb-dump through sluice differs from the dump taken directly"
        );

        exec(&mut direct, &format!("DROP TABLE {t}"));
        restore(sluice.port, &through);
        assert_eq!(
            checksum(ctx.flavor, &t),
            before,
            "the table restored through sluice has the rows it was dumped with"
        );
        exec(&mut direct, &format!("DROP TABLE {t}"));
    });
}
