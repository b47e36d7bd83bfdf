//! Running sysbench 1.0 (an independent libmariadb client) against a port, and reading its
//! report. Shared by the sysbench tests; owns no test.

use std::process::Command;

/// Which tables a run uses.
#[derive(Debug, Clone, Copy)]
pub struct Tables<'a> {
    pub db: &'a str,
    pub count: u32,
    pub size: u32,
}

/// Runs `sysbench <test> <args>` as app/app against 127.0.0.1:`port`; panics on failure.
pub fn sysbench(port: u16, test: &str, tables: Tables<'_>, args: &[&str]) -> String {
    let out = Command::new("sysbench")
        .arg(test)
        .arg("--mysql-host=127.0.0.1")
        .arg(format!("--mysql-port={port}"))
        .arg("--mysql-user=app")
        .arg("--mysql-password=app")
        .arg(format!("--mysql-db={}", tables.db))
        .arg(format!("--tables={}", tables.count))
        .arg(format!("--table-size={}", tables.size))
        .args(args)
        .output()
        .expect("run sysbench (apt-get install sysbench; scripts/topology.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "sysbench {test} {args:?} through port {port} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number after `label` in a sysbench report.
pub fn counter(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in sysbench report:\n{report}"))
}
