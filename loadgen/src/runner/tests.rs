//! The runner end to end against the fake client: start and stop, open-loop pacing, `--reads`,
//! warmup exclusion and a refused connection.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::check::global::{seed_rows, GlobalCheck, Published};
use crate::check::session::SessionCheck;
use crate::check::RunRows;
use crate::client::fake::{FakeClient, FakeServer};
use crate::client::Protocol;
use futures_lite::future::block_on;

fn opts(port: u16) -> ConnectOpts {
    ConnectOpts::fake(port, Protocol::Prepared)
}

fn plan(connections: usize) -> Plan {
    Plan {
        connections,
        threads: 2,
        cpus: None,
        warmup: Duration::ZERO,
        duration: Some(Duration::from_millis(300)),
        reads: None,
        rate: None,
        think_time: Duration::ZERO,
        show_stale: true,
    }
}

fn session_checks(connections: usize) -> Vec<SessionCheck> {
    let rows = RunRows::from_run_id(11);
    (0..connections)
        .map(|i| SessionCheck::new(rows.id(i)))
        .collect()
}

#[test]
fn closed_loop_session_check_without_lag() {
    FakeServer::register(40_400, 0);
    let outcome = run::<FakeClient, _>(&opts(40_400), &plan(3), session_checks(3)).expect("run");
    let totals = &outcome.totals;
    assert!(totals.events > 100, "{} events", totals.events);
    assert_eq!(totals.checked_reads, totals.events);
    assert_eq!(totals.queries, totals.events * 2);
    assert_eq!(totals.stale_reads, 0);
    assert_eq!(totals.reads_by_port.get(&40_400), Some(&totals.events));
    assert!(outcome.measured >= Duration::from_millis(290));
    assert!(outcome.measured < Duration::from_millis(1500));
}

#[test]
fn many_connections_share_one_thread() {
    let server = FakeServer::register(40_406, 0);
    let plan = Plan {
        threads: 1,
        ..plan(6)
    };
    let outcome = run::<FakeClient, _>(&opts(40_406), &plan, session_checks(6)).expect("run");
    let totals = &outcome.totals;
    assert!(totals.events > 100, "{} events", totals.events);
    assert_eq!(totals.stale_reads, 0);
    // Every connection got its turn on the shared executor.
    let rows = RunRows::from_run_id(11);
    for conn in 0..6 {
        let written = server.value(rows.id(conn)).unwrap_or(0);
        assert!(written > 5, "connection {conn} wrote {written} times");
    }
}

#[test]
fn stale_reads_are_counted() {
    FakeServer::register(40_401, 4);
    let outcome = run::<FakeClient, _>(&opts(40_401), &plan(2), session_checks(2)).expect("run");
    let totals = &outcome.totals;
    assert!(totals.stale_reads > 0);
    // Every 4th read of the server is stale, counted over both connections (within the few
    // reads still in flight when the clock stopped).
    let expected = totals.checked_reads / 4;
    assert!(totals.stale_reads.abs_diff(expected) <= 2, "{totals:?}");
}

#[test]
fn open_loop_sends_the_rate() {
    FakeServer::register(40_402, 0);
    let plan = Plan {
        rate: Some(200.0),
        duration: Some(Duration::from_millis(500)),
        ..plan(2)
    };
    let outcome = run::<FakeClient, _>(&opts(40_402), &plan, session_checks(2)).expect("run");
    // All sent, unless this machine stalled the test past the end.
    assert_eq!(outcome.totals.events + outcome.totals.unsent, 100);
}

#[test]
fn warmup_is_excluded() {
    FakeServer::register(40_403, 0);
    let plan = Plan {
        rate: Some(100.0),
        warmup: Duration::from_millis(300),
        duration: Some(Duration::from_millis(300)),
        ..plan(1)
    };
    let outcome = run::<FakeClient, _>(&opts(40_403), &plan, session_checks(1)).expect("run");
    assert_eq!(outcome.totals.events + outcome.totals.unsent, 30);
}

#[test]
fn reads_limit_stops_the_global_check() {
    FakeServer::register(40_404, 0);
    let rows = RunRows::from_run_id(12);
    let published = Arc::new(Published::new(2));
    block_on(async {
        let mut setup = FakeClient::connect(&opts(40_404)).await?;
        seed_rows(&mut setup, rows, 2).await
    })
    .expect("seed");
    let plan = Plan {
        duration: None,
        reads: Some(500),
        ..plan(4)
    };
    let workloads = (0..4)
        .map(|i| GlobalCheck::new(i, rows, published.clone()))
        .collect();
    let outcome = run::<FakeClient, _>(&opts(40_404), &plan, workloads).expect("run");
    let totals = &outcome.totals;
    assert!((500..504).contains(&totals.checked_reads), "{totals:?}");
    assert_eq!(totals.stale_reads, 0);
}

#[test]
fn global_check_times_its_writes() {
    // Not in the `--reads` test above: readers can finish 500 reads before a writer is first
    // scheduled on a loaded machine. Over a timed run the writer gets its turn.
    FakeServer::register(40_405, 0);
    let rows = RunRows::from_run_id(13);
    let published = Arc::new(Published::new(1));
    block_on(async {
        let mut setup = FakeClient::connect(&opts(40_405)).await?;
        seed_rows(&mut setup, rows, 1).await
    })
    .expect("seed");
    let workloads = (0..2)
        .map(|i| GlobalCheck::new(i, rows, published.clone()))
        .collect();
    let outcome = run::<FakeClient, _>(&opts(40_405), &plan(2), workloads).expect("run");
    let totals = &outcome.totals;
    assert!(!totals.write_latency.is_empty(), "{totals:?}");
    assert!(totals.checked_reads > 0, "{totals:?}");
    assert_eq!(totals.stale_reads, 0);
}

#[test]
fn a_refused_connection_fails_the_run() {
    let err = run::<FakeClient, _>(&opts(40_499), &plan(2), session_checks(2))
        .expect_err("nothing listens on the port");
    assert!(
        matches!(&err, StartError::Connect(e) if e.connection_lost()),
        "{err:?}"
    );
}
