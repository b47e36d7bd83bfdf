//! The loadgen binary end to end against the MariaDB primary of `scripts/topology.sh` (127.0.0.1:3307,
//! user app/app): a 2 s point-select run with `--json` (its one JSON object parsed and checked), a
//! short read-after-write session check, and the one-line error for a wrong password.
//!
//! Each test is skipped, saying why, when the primary is not reachable. They only create what is
//! missing (the sbtest1 table, the sluice_check table) and delete only their own checker rows.

use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

const PORT: u16 = 3307;

fn reachable() -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], PORT));
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Ok(_) => true,
        Err(err) => {
            eprintln!(
                "SKIPPED: the MariaDB primary at {addr} is not reachable ({err}); \
                 start it with `scripts/topology.sh up`"
            );
            false
        }
    }
}

fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--host", "127.0.0.1", "--port", "3307", "--user", "app"])
        .args(args)
        .output()
        .expect("the loadgen binary runs")
}

fn json_report(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "loadgen failed ({}):\n{stderr}",
        output.status
    );
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "stdout holds exactly one JSON object:\n{stdout}"
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("{err}:\n{stdout}"))
}

fn number(report: &Value, path: &[&str]) -> f64 {
    let mut value = report;
    for key in path {
        value = &value[*key];
    }
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number in {report}"))
}

#[test]
fn point_select_json_report() {
    if !reachable() {
        return;
    }
    let output = loadgen(&[
        "--password",
        "app",
        "--database",
        "sbtest",
        "--workload",
        "point-select",
        "--prepare",
        "--connections",
        "2",
        "--duration",
        "2s",
        "--json",
    ]);
    let report = json_report(&output);
    assert!(number(&report, &["throughput_per_sec"]) > 100.0, "{report}");
    let p50 = number(&report, &["latency_us", "p50"]);
    assert!(p50 > 0.0);
    assert!(number(&report, &["latency_us", "p90"]) >= p50);
    assert!(number(&report, &["latency_us", "p99"]) >= number(&report, &["latency_us", "p90"]));
    assert!(number(&report, &["latency_us", "p999"]) >= number(&report, &["latency_us", "p99"]));
    assert!(number(&report, &["latency_us", "max"]) >= number(&report, &["latency_us", "p999"]));
    assert_eq!(number(&report, &["errors", "total"]), 0.0, "{report}");
    assert_eq!(number(&report, &["stale_reads"]), 0.0);
    assert!(number(&report, &["cpu_us_per_query"]) > 0.0);
    let duration = number(&report, &["duration_s"]);
    assert!((1.9..3.0).contains(&duration), "{report}");
    assert_eq!(report["events"], report["queries"], "one query per request");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ev/s"), "live lines on stderr:\n{stderr}");
}

#[test]
fn read_after_write_session_check_on_the_primary() {
    if !reachable() {
        return;
    }
    let output = loadgen(&[
        "--password",
        "app",
        "--database",
        "sluice_test",
        "--workload",
        "read-after-write",
        "--connections",
        "2",
        "--reads",
        "500",
        "--primary-port",
        "3307",
        "--max-stale",
        "0",
        "--json",
    ]);
    let report = json_report(&output);
    let checked = number(&report, &["checked_reads"]);
    assert!(checked >= 500.0, "{report}");
    assert_eq!(number(&report, &["stale_reads"]), 0.0, "{report}");
    assert_eq!(number(&report, &["primary_reads"]), checked);
    assert_eq!(number(&report, &["replica_reads"]), 0.0);
    assert_eq!(number(&report, &["reads_by_port", "3307"]), checked);
    assert!(number(&report, &["read_latency_us", "p50"]) > 0.0);
}

#[test]
fn wrong_password_is_one_clear_line() {
    if !reachable() {
        return;
    }
    let output = loadgen(&["--password", "not-the-password", "--duration", "1s"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("loadgen: 127.0.0.1:3307 refused the login of user 'app': ERROR 1045"),
        "{stderr}"
    );
    assert!(stderr.contains("Access denied"), "{stderr}");
}
