//! `LOAD DATA LOCAL INFILE` through sluice: the server asks the client for a file mid-command and
//! the client streams it; with the client crate's handler and with the `mariadb` CLI, rows counted
//! and the OK's info compared to the primary's own.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;

use common::{each_flavor, exec, mariadb_cli, Sluice};
use mysql::prelude::Queryable;
use mysql::{Conn, LocalInfileHandler};

const ROWS: usize = 100_000;

/// CSV rows `id,name,amount` with a `\N` (NULL) name every 10th row; about 3 MB.
fn csv(rows: usize) -> String {
    let mut out = String::with_capacity(rows * 32);
    for i in 1..=rows {
        if i % 10 == 0 {
            writeln!(out, "{i},\\N,{}.25", i % 1000).expect("write to a String");
        } else {
            writeln!(out, "{i},name {i} with \\, comma,{}.25", i % 1000)
                .expect("write to a String");
        }
    }
    out
}

fn with_handler(conn_opts: mysql::OptsBuilder, data: String) -> Conn {
    let handler = LocalInfileHandler::new(move |file_name, writer| {
        assert_eq!(
            file_name, b"sluice-rows.csv",
            "file name the server asked for"
        );
        writer.write_all(data.as_bytes())?;
        Ok(())
    });
    Conn::new(conn_opts.local_infile_handler(Some(handler))).expect("connect with infile handler")
}

fn load_sql(t: &str, file: &str) -> String {
    format!(
        "LOAD DATA LOCAL INFILE '{file}' INTO TABLE {t} FIELDS TERMINATED BY ',' \
         LINES TERMINATED BY '\\n' (id, name, amount)"
    )
}

fn create(conn: &mut Conn, t: &str) {
    exec(conn, &format!("DROP TABLE IF EXISTS {t}"));
    exec(
        conn,
        &format!("CREATE TABLE {t} (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2))"),
    );
}

fn summary(conn: &mut Conn, t: &str) -> (i64, i64, String, i64) {
    conn.query_first(format!(
        "SELECT COUNT(*), SUM(name IS NULL), CAST(SUM(amount) AS CHAR), SUM(name LIKE '%, comma') FROM {t}"
    ))
    .expect("summary query")
    .expect("one row")
}

#[test]
fn load_data_local_with_crate_handler() {
    each_flavor("infile_crate", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("rows");
        let mut results = Vec::new();
        for opts in [ctx.flavor.direct_opts(), sluice.opts()] {
            let mut conn = with_handler(opts, csv(ROWS));
            create(&mut conn, &t);
            exec(&mut conn, &load_sql(&t, "sluice-rows.csv"));
            let info = (
                conn.affected_rows(),
                conn.info_str().into_owned(),
                conn.warnings(),
            );
            let sums = summary(&mut conn, &t);
            // The session goes on normally after the file transfer.
            let one: Option<i64> = conn.query_first("SELECT 1").expect("query after load");
            assert_eq!(one, Some(1));
            exec(&mut conn, &format!("DROP TABLE {t}"));
            results.push((info, sums));
        }
        let (info, sums) = &results[1];
        assert_eq!(info.0, ROWS as u64, "affected rows through sluice");
        assert_eq!(sums.0, ROWS as i64, "rows loaded through sluice");
        assert_eq!(sums.1, (ROWS / 10) as i64, "NULL names");
        assert_eq!(results[1], results[0], "through sluice vs direct");
    });
}

#[test]
fn load_data_local_with_cli() {
    each_flavor("infile_cli", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let t = ctx.name("cli");
        let dir = std::env::temp_dir().join(format!("sluice-infile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{t}.csv"));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(csv(ROWS).as_bytes()))
            .expect("write the CSV file");
        let file = path.to_str().expect("UTF-8 temp path");

        let sql = format!(
            "DROP TABLE IF EXISTS {t}; \
             CREATE TABLE {t} (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2)); \
             {}; SELECT COUNT(*), SUM(name IS NULL), SUM(amount) FROM {t}; DROP TABLE {t}",
            load_sql(&t, file)
        );
        let mut direct_args = ctx.flavor.direct_cli_args().to_vec();
        direct_args.push("--local-infile=1");
        let direct = mariadb_cli(ctx.flavor.primary_port(), &sql, &direct_args);
        let through = mariadb_cli(sluice.port, &sql, &["--local-infile=1"]);
        assert_eq!(
            through.ok(),
            direct.ok(),
            "CLI output through sluice vs direct"
        );
        assert!(
            through
                .stdout
                .starts_with(&format!("{ROWS}\t{}\t", ROWS / 10)),
            "{}",
            through.stdout
        );

        // A file the client cannot read: the client's error, and the same as direct.
        let sql = format!(
            "DROP TABLE IF EXISTS {t}; \
             CREATE TABLE {t} (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2)); \
             {}",
            load_sql(&t, "/nonexistent/sluice.csv")
        );
        let direct = mariadb_cli(ctx.flavor.primary_port(), &sql, &direct_args);
        let through = mariadb_cli(sluice.port, &sql, &["--local-infile=1"]);
        assert!(!direct.status.success(), "direct load of a missing file");
        assert_eq!(
            (through.status.code(), through.stderr.as_str()),
            (direct.status.code(), direct.stderr.as_str())
        );
        // And a later session works.
        let after = mariadb_cli(
            sluice.port,
            &format!("SELECT COUNT(*) FROM {t}; DROP TABLE {t}"),
            &[],
        );
        assert_eq!(after.ok(), "0\n");
        let _ = std::fs::remove_dir_all(&dir);
    });
}
