//! sysbench 1.0 (an independent client using libmariadb, server-side prepared statements by
//! default) runs `oltp_read_write` through sluice, in both prepared-statement and text mode: it
//! exits successfully (any error other than a lock conflict fails it) with no reconnects.

mod common;

use std::process::Command;

use common::{each_flavor, Sluice};

fn sysbench(port: u16, tables_prefix_db: &str, args: &[&str]) -> String {
    let out = Command::new("sysbench")
        .arg("oltp_read_write")
        .arg("--mysql-host=127.0.0.1")
        .arg(format!("--mysql-port={port}"))
        .arg("--mysql-user=app")
        .arg("--mysql-password=app")
        .arg(format!("--mysql-db={tables_prefix_db}"))
        .arg("--tables=4")
        .arg("--table-size=2000")
        .args(args)
        .output()
        .expect("run sysbench (apt-get install sysbench; scripts/topology.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "sysbench {args:?} through port {port} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn counter(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in sysbench report:\n{report}"))
}

#[test]
fn sysbench_oltp_read_write_runs_clean_through_sluice() {
    each_flavor("sysbench", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        // Its own database keeps this test's sbtest1..2 apart from the benchmarks' tables.
        let db = "sluice_test";
        let _ = sysbench(sluice.port, db, &["cleanup"]);
        sysbench(sluice.port, db, &["prepare"]);
        for mode in [
            &["--threads=4", "--time=4"][..],
            &["--threads=2", "--time=3", "--db-ps-mode=disable"][..],
        ] {
            let mut args = vec!["run", "--report-interval=0"];
            args.extend_from_slice(mode);
            let report = sysbench(sluice.port, db, &args);
            assert!(
                counter(&report, "transactions:") > 50,
                "too few transactions:\n{report}"
            );
            // sysbench exits non-zero on any error except the lock conflicts it ignores by
            // default (1213 deadlock, 1205 lock wait timeout, 1020 record changed), which
            // concurrent transactions also get directly on the primary; they must stay rare.
            let transactions = counter(&report, "transactions:");
            assert!(
                counter(&report, "ignored errors:") * 100 <= transactions,
                "more than 1% lock conflicts through sluice:\n{report}"
            );
            assert_eq!(
                counter(&report, "reconnects:"),
                0,
                "reconnects through sluice:\n{report}"
            );
        }
        sysbench(sluice.port, db, &["cleanup"]);
        let mut sluice = sluice;
        sluice.assert_running();
    });
}
