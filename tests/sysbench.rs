//! sysbench 1.0 (an independent client using libmariadb, server-side prepared statements by
//! default) runs `oltp_read_write` through sluice, in both prepared-statement and text mode: it
//! exits successfully (any error other than a lock conflict fails it) with no reconnects.

mod common;

use common::sysbench::{counter, sysbench as run_sysbench, Tables};
use common::{each_flavor, Sluice};

/// In `sluice_test`, apart from the benchmarks' tables in `sbtest`.
const TABLES: Tables = Tables {
    db: "sluice_test",
    count: 4,
    size: 2000,
};

fn sysbench(port: u16, args: &[&str]) -> String {
    run_sysbench(port, "oltp_read_write", TABLES, args)
}

#[test]
fn sysbench_oltp_read_write_runs_clean_through_sluice() {
    each_flavor("sysbench", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let _ = sysbench(sluice.port, &["cleanup"]);
        sysbench(sluice.port, &["prepare"]);
        for mode in [
            &["--threads=4", "--time=4"][..],
            &["--threads=2", "--time=3", "--db-ps-mode=disable"][..],
        ] {
            let mut args = vec!["run", "--report-interval=0"];
            args.extend_from_slice(mode);
            let report = sysbench(sluice.port, &args);
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
        sysbench(sluice.port, &["cleanup"]);
        let mut sluice = sluice;
        sluice.assert_running();
    });
}
