//! The monitor core against the real servers (both flavors): it logs in to every backend as the
//! `[monitor]` user, publishes each one's executed GTID position, measures a replica's lag below
//! one second when its applier is stopped (`scripts/topology.sh lag PORT on`), sees it recover, polls
//! fast only while a session waits, and answers a primary probe with a query sent after the
//! request.
//!
//! The view is read through the library: the test runs `monitor::run` on its own executor with
//! `runtime::spawn_monitor` and reads `Cluster::view`. It also starts the sluice binary with the
//! same `[monitor]` settings and checks its log shows the monitor reaching every backend.
//! The injected lag is always turned off again, even when the test fails (`LagGuard`).
//!
//! The push path: with `[monitor] push` on (the default), `SHOW SLUICE BACKENDS` says `on` for
//! each replica, and a write through sluice shows up as applied on both replicas far sooner than
//! the one-second idle poll would allow; `SHOW SLUICE STATUS` has freshness samples for them. A
//! monitor user without REPLICATION SLAVE (created for the test, dropped after it) gets
//! `failed: ...` and the monitor keeps polling.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{base_config, each_flavor, exec, Ctx, Flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::Conn;
use sluice::gtid::GtidSet;
use sluice::monitor::{ClusterView, PushStatus};
use sluice::router::Cluster;

/// The `[monitor]` table the test adds to sluice's config: a slow idle poll, so that fast polling
/// on demand is easy to tell apart.
const MONITOR: &str = "
[monitor]
user = \"sluice_monitor\"
password = \"monitor\"
poll_interval = \"1s\"
fast_poll_interval = \"1ms\"
";

/// Longest wait for a state the test expects.
const PATIENCE: Duration = Duration::from_secs(15);

/// Index of the replica the test delays, and of the one it leaves alone.
const LAGGING: usize = 1;
const STEADY: usize = 2;

/// The base config with the test's `[monitor]` table.
fn with_monitor(config: String) -> String {
    format!("{config}{MONITOR}")
}

/// Runs `scripts/topology.sh ARGS --flavor F`.
fn topology(flavor: Flavor, args: &[&str]) -> Result<(), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/topology.sh");
    let out = Command::new(script)
        .args(args)
        .arg("--flavor")
        .arg(flavor.name())
        .output()
        .map_err(|e| format!("run {script}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "topology.sh {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Stops a replica's applier; starts it again when dropped, whatever happened in between.
struct LagGuard {
    flavor: Flavor,
    port: u16,
}

impl LagGuard {
    fn on(flavor: Flavor, port: u16) -> LagGuard {
        let guard = LagGuard { flavor, port };
        topology(flavor, &["lag", &port.to_string(), "on"]).unwrap_or_else(|e| panic!("{e}"));
        guard
    }
}

impl Drop for LagGuard {
    fn drop(&mut self) {
        if let Err(e) = topology(self.flavor, &["lag", &self.port.to_string(), "off"]) {
            eprintln!("warning: could not turn the lag off again: {e}");
        }
    }
}

/// The monitor running in this process, stopped when dropped.
struct Monitor {
    cluster: Arc<Cluster>,
    stop: Arc<AtomicBool>,
    handle: Option<sluice::runtime::MonitorHandle>,
}

impl Monitor {
    fn start(flavor: Flavor) -> Monitor {
        Monitor::start_with(flavor, with_monitor)
    }

    /// Starts the monitor on the base config passed through `edit`.
    fn start_with(flavor: Flavor, edit: impl Fn(String) -> String) -> Monitor {
        let text = edit(base_config(flavor, common::free_port()));
        let config = sluice::config::parse(&text, "monitor-test.toml")
            .unwrap_or_else(|e| panic!("test config: {e}"));
        let config = Arc::new(config);
        let cluster = Cluster::new(&config.backends);
        let stop = Arc::new(AtomicBool::new(false));
        let handle = sluice::runtime::spawn_monitor(config, cluster.clone(), stop.clone())
            .unwrap_or_else(|e| panic!("spawn the monitor: {e}"));
        Monitor {
            cluster,
            stop,
            handle: Some(handle),
        }
    }

    fn view(&self) -> Arc<ClusterView> {
        arc_swap::Guard::into_inner(self.cluster.view.load())
    }

    /// Waits until `check` accepts the view; panics with `what` and the last view otherwise.
    fn wait_for(&self, what: &str, check: impl Fn(&ClusterView) -> bool) -> Arc<ClusterView> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let view = self.view();
            if check(&view) {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not seen within {PATIENCE:?}; last view: {}",
                describe(&view)
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            if let Err(e) = h.join() {
                eprintln!("warning: the monitor did not stop cleanly: {e}");
            }
        }
    }
}

fn describe(view: &ClusterView) -> String {
    let backends: Vec<String> = view
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!(
                "#{i} reachable={} lag_ms={:?} executed={}",
                b.reachable,
                view.lag_ms(i),
                b.executed
                    .as_ref()
                    .map_or("-".to_owned(), |e| e.to_string())
            )
        })
        .collect();
    format!("epoch {} [{}]", view.epoch, backends.join("; "))
}

fn lag_below(view: &ClusterView, i: usize, ms: f64) -> bool {
    view.reachable(i) && view.lag_ms(i).is_some_and(|l| l < ms)
}

/// Whether replica `i` has applied everything the primary had at the last poll.
fn caught_up(view: &ClusterView, i: usize) -> bool {
    match (view.executed(0), view.executed(i)) {
        (Some(primary), Some(replica)) => view.reachable(i) && replica.covers(primary),
        _ => false,
    }
}

/// The ids of the monitor user's connections on the primary (this test's only: the other test
/// here monitors as the default user).
fn monitor_connections(flavor: Flavor) -> Vec<String> {
    common::admin_sql(
        flavor,
        flavor.primary_port(),
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'sluice_monitor'",
    )
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

/// How many views the monitor publishes over `d`.
fn publishes_during(m: &Monitor, d: Duration) -> u64 {
    let before = m.cluster.view.epoch();
    thread::sleep(d);
    m.cluster.view.epoch() - before
}

/// Publishes that show fast polling while a session waits, and the time they must take at most
/// (idle polling, once a second, would need 20 s).
const FAST_PUBLISHES: u64 = 20;
const FAST_DEADLINE: Duration = Duration::from_secs(5);

/// How long the monitor takes to publish `n` views; `None` if not within `deadline`.
fn time_to_publish(m: &Monitor, n: u64, deadline: Duration) -> Option<Duration> {
    let start = Instant::now();
    let before = m.cluster.view.epoch();
    while start.elapsed() < deadline {
        if m.cluster.view.epoch() - before >= n {
            return Some(start.elapsed());
        }
        thread::sleep(Duration::from_millis(1));
    }
    None
}

fn check_monitor(ctx: &Ctx) {
    let flavor = ctx.flavor;
    let table = format!("monitor_probe_{}", flavor.name());
    let [lagging_port, _] = flavor.replica_ports();

    // The binary: the runtime starts the monitor, which reaches every backend.
    let sluice = Sluice::start_with(flavor, with_monitor);

    let m = Monitor::start(flavor);
    let view = m.wait_for("every backend reachable with a position", |v| {
        v.backends.len() == 3 && (0..3).all(|i| v.reachable(i) && v.executed(i).is_some())
    });
    let expected = match flavor {
        Flavor::MariaDb => sluice::gtid::Flavor::MariaDb,
        Flavor::MySql => sluice::gtid::Flavor::MySql,
    };
    assert_eq!(view.flavor, Some(expected));
    assert_eq!(view.lag_ms(0), Some(0.0), "the primary has no lag");

    // A waiter on a plain thread is woken by the next publish.
    let seen = m.cluster.view.epoch();
    futures_lite::future::block_on(m.cluster.view.changed(seen));
    assert!(m.cluster.view.epoch() > seen);

    // Idle, the monitor polls every second; while a session waits, it sweeps every backend every
    // few milliseconds, over the same connections (the ids of the monitor user's connections do
    // not change). Fast polling is shown by 20 publishes well before idle polling could make
    // them (20 s): a deadline, not a rate, so a loaded machine (replicas still applying the
    // previous test's 16 MiB rows) stalling a few rounds does not fail it.
    let before = monitor_connections(flavor);
    let idle = publishes_during(&m, Duration::from_millis(500));
    let fast = {
        let _waiting = m.cluster.view.waiting();
        time_to_publish(&m, FAST_PUBLISHES, FAST_DEADLINE)
    };
    let after = monitor_connections(flavor);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "monitor connections were replaced: {before:?}, then {after:?}"
    );
    eprintln!("[monitor/{flavor}] publishes in 500 ms idle: {idle}");
    assert!(idle <= 2, "{idle} publishes in 500 ms while idle");
    let Some(fast) = fast else {
        panic!("fewer than {FAST_PUBLISHES} publishes in {FAST_DEADLINE:?} while a session waits");
    };
    eprintln!("[monitor/{flavor}] {FAST_PUBLISHES} publishes while a session waits took {fast:?}");

    // A probe request is answered by a primary query sent after it, without waiting for the
    // idle interval.
    thread::sleep(Duration::from_millis(50));
    let asked = Instant::now();
    m.cluster.view.request_probe();
    let answered = m.wait_for("a probe sent after the request", |v| {
        v.primary_probe.as_ref().is_some_and(|p| p.sent_at >= asked)
    });
    let took = asked.elapsed();
    eprintln!("[monitor/{flavor}] probe answered in {took:?}");
    assert!(took < Duration::from_millis(500), "probe took {took:?}");
    assert!(answered.primary_probe.is_some());

    let mut primary = flavor.direct_conn();
    exec(
        &mut primary,
        &format!("CREATE TABLE IF NOT EXISTS {table} (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"),
    );
    let _waiting = m.cluster.view.waiting();
    m.wait_for("both replicas caught up", |v| {
        caught_up(v, LAGGING) && caught_up(v, STEADY)
    });

    // Stop one replica's applier and write: its lag grows, the other's stays near zero.
    let lag = LagGuard::on(flavor, lagging_port);
    exec(&mut primary, &format!("INSERT INTO {table} (v) VALUES (1)"));
    let behind = m.wait_for(
        "the stopped replica over 200 ms behind, the other not",
        |v| v.lag_ms(LAGGING).is_some_and(|l| l > 200.0) && lag_below(v, STEADY, 50.0),
    );
    // Its lag keeps growing while it is stopped. Waited for rather than read after a fixed
    // sleep: on a loaded machine a published view can be a few hundred ms old.
    let first = behind.lag_ms(LAGGING).unwrap_or_default();
    let later = m.wait_for("the stopped replica's lag growing by 250 ms more", |v| {
        v.lag_ms(LAGGING).is_some_and(|l| l >= first + 250.0)
    });
    let second = later.lag_ms(LAGGING).unwrap_or_default();
    eprintln!("[monitor/{flavor}] lag of the stopped replica: {first:.1} ms, then {second:.1} ms");
    assert!(
        later.reachable(LAGGING),
        "a lagging replica is still reachable"
    );

    // Start it again: it catches up and its lag returns to about zero.
    drop(lag);
    m.wait_for("the replica caught up again", |v| {
        caught_up(v, LAGGING) && lag_below(v, LAGGING, 50.0)
    });
    let _: Vec<u8> = primary
        .query(format!("SELECT 1 FROM {table} LIMIT 0"))
        .expect("table still there");

    let log = sluice.log();
    assert!(log.contains("monitor executor ready"), "sluice log:\n{log}");
    assert_eq!(
        log.matches("monitor: backend reachable").count(),
        3,
        "sluice log:\n{log}"
    );
}

#[test]
fn monitor_sees_positions_lag_and_demand() {
    each_flavor("monitor", check_monitor);
}

#[test]
fn an_unreachable_backend_is_marked_and_the_others_keep_polling() {
    each_flavor("monitor_down", |ctx| {
        let [_, second] = ctx.flavor.replica_ports();
        let closed = common::free_port();
        // The default monitor account (the first user), fast idle polls.
        let m = Monitor::start_with(ctx.flavor, |cfg| {
            let cfg = cfg.replace(
                &format!("127.0.0.1:{second}"),
                &format!("127.0.0.1:{closed}"),
            );
            format!("{cfg}\n[monitor]\npoll_interval = \"100ms\"\n")
        });
        let view = m.wait_for("two backends reachable, one not", |v| {
            v.backends.len() == 3 && v.reachable(0) && v.reachable(1) && !v.reachable(2)
        });
        assert_eq!(view.executed(2), None);
        assert_eq!(
            view.lag_ms(2),
            None,
            "an unreachable backend's lag is unknown"
        );
        // It stays so, and the others keep being polled.
        let epoch = view.epoch;
        let later = m.wait_for("more rounds", |v| v.epoch >= epoch + 2);
        assert!(!later.reachable(2) && later.reachable(1));
        assert!(later.lag_ms(1).is_some());
    });
}

/// Column `name` of `SHOW SLUICE BACKENDS`, one value per backend.
fn backends_column(conn: &mut Conn, name: &str) -> Vec<String> {
    let outcome = common::dump_query(conn, "SHOW SLUICE BACKENDS");
    assert!(
        outcome.error.is_none(),
        "SHOW SLUICE BACKENDS: {:?}",
        outcome.error
    );
    let set = outcome.sets.first().expect("a result set");
    let i = set
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("SHOW SLUICE BACKENDS has no column {name}"));
    set.rows
        .iter()
        .map(|r| match &r[i] {
            mysql::Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            mysql::Value::NULL => String::new(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Waits until `check` accepts the `SHOW SLUICE BACKENDS` column `name`.
fn wait_column(conn: &mut Conn, name: &str, what: &str, check: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let values = backends_column(conn, name);
        if check(&values) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {PATIENCE:?}; {name} = {values:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn gtid_flavor(flavor: Flavor) -> sluice::gtid::Flavor {
    match flavor {
        Flavor::MariaDb => sluice::gtid::Flavor::MariaDb,
        Flavor::MySql => sluice::gtid::Flavor::MySql,
    }
}

/// How long after the write returned both replicas' positions in `SHOW SLUICE BACKENDS` cover
/// the session's last commit.
fn time_to_applied(conn: &mut Conn, flavor: Flavor, insert: &str) -> Duration {
    exec(conn, insert);
    let acked = Instant::now();
    let last: Option<String> = conn
        .query_first("SELECT @@sluice_last_gtid")
        .expect("SELECT @@sluice_last_gtid");
    let last = last.expect("a commit GTID after the write");
    let commit = GtidSet::parse(&last, gtid_flavor(flavor)).expect("commit GTID parses");
    loop {
        let executed = backends_column(conn, "gtid_executed");
        let covered = executed[1..]
            .iter()
            .all(|text| GtidSet::parse(text, gtid_flavor(flavor)).is_ok_and(|e| e.covers(&commit)));
        if covered {
            return acked.elapsed();
        }
        assert!(
            acked.elapsed() < PATIENCE,
            "replicas never showed {last} applied: {executed:?}"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn push_shows_writes_applied_on_replicas_at_once() {
    each_flavor("monitor_push", |ctx| {
        let flavor = ctx.flavor;
        let table = format!("monitor_push_{}", flavor.name());
        // Idle polls every second: only the push path can show a write within milliseconds.
        let sluice = Sluice::start_with(flavor, with_monitor);
        let mut conn = sluice.conn();
        wait_column(&mut conn, "push", "push on for both replicas", |v| {
            v == ["off", "on", "on"]
        });
        exec(
            &mut conn,
            &format!(
                "CREATE TABLE IF NOT EXISTS {table} (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"
            ),
        );
        let mut took: Vec<Duration> = (0..15)
            .map(|n| {
                thread::sleep(Duration::from_millis(20));
                time_to_applied(
                    &mut conn,
                    flavor,
                    &format!("INSERT INTO {table} (v) VALUES ({n})"),
                )
            })
            .collect();
        took.sort();
        let median = took[took.len() / 2];
        eprintln!("[monitor_push/{flavor}] write to applied on both replicas: median {median:?}, all {took:?}");
        assert!(
            median < Duration::from_millis(150),
            "median {median:?} (idle polls are 1 s apart): {took:?}"
        );
        let status = common::sluice_status(&mut conn);
        for replica in ["replica1", "replica2"] {
            let samples: u64 = status
                .get(&format!("freshness_{replica}_samples"))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no freshness samples row for {replica}: {status:?}"));
            assert!(samples >= 15, "{replica}: {samples} freshness samples");
            let p50: u64 = status
                .get(&format!("freshness_{replica}_p50_us"))
                .and_then(|v| v.parse().ok())
                .expect("a p50 row");
            assert!(p50 < 150_000, "{replica}: freshness p50 {p50} µs");
        }
        exec(&mut conn, &format!("DROP TABLE {table}"));
        let log = sluice.log();
        assert_eq!(
            log.matches("monitor: following the binlog (push on)")
                .count(),
            2,
            "sluice log:\n{log}"
        );
    });
}

/// A monitor account without REPLICATION SLAVE, dropped again when the test ends.
struct NoPushUser {
    flavor: Flavor,
}

const NO_PUSH_USER: &str = "sluice_nopush";

impl NoPushUser {
    fn create(flavor: Flavor) -> NoPushUser {
        let privileges = match flavor {
            Flavor::MariaDb => "PROCESS, BINLOG MONITOR, REPLICA MONITOR",
            Flavor::MySql => "PROCESS, REPLICATION CLIENT",
        };
        // On the primary: it reaches the replicas through replication.
        let sql = format!(
            "DROP USER IF EXISTS '{NO_PUSH_USER}'@'127.0.0.1'; \
             CREATE USER '{NO_PUSH_USER}'@'127.0.0.1' IDENTIFIED BY 'nopush'; \
             GRANT {privileges} ON *.* TO '{NO_PUSH_USER}'@'127.0.0.1'"
        );
        common::admin_sql(flavor, flavor.primary_port(), &sql);
        NoPushUser { flavor }
    }
}

impl Drop for NoPushUser {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/topology.sh");
        let dropped = Command::new(script)
            .args(["sql", &self.flavor.primary_port().to_string(), "--flavor"])
            .arg(self.flavor.name())
            .arg("-e")
            .arg(format!("DROP USER IF EXISTS '{NO_PUSH_USER}'@'127.0.0.1'"))
            .output();
        if !dropped.is_ok_and(|o| o.status.success()) {
            eprintln!("warning: could not drop {NO_PUSH_USER}");
        }
    }
}

#[test]
fn without_replication_privilege_the_monitor_polls_only() {
    each_flavor("monitor_no_push", |ctx| {
        let flavor = ctx.flavor;
        let _user = NoPushUser::create(flavor);
        let m = Monitor::start_with(flavor, |cfg| {
            format!(
                "{cfg}\n[monitor]\nuser = \"{NO_PUSH_USER}\"\npassword = \"nopush\"\npoll_interval = \"100ms\"\n"
            )
        });
        // The followers are refused; the polls go on.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let push: Vec<PushStatus> = (0..3).map(|i| m.cluster.push.status(i)).collect();
            let refused = push[1..]
                .iter()
                .all(|p| matches!(p, PushStatus::Failed(why) if why.contains("REPLICATION SLAVE")));
            if refused {
                assert_eq!(push[0], PushStatus::Off, "the primary is not followed");
                eprintln!("[monitor_no_push/{flavor}] replica push state: {}", push[1]);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the followers were not refused within {PATIENCE:?}: {push:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
        let view = m.wait_for("every backend reachable with a position", |v| {
            v.backends.len() == 3 && (0..3).all(|i| v.reachable(i) && v.executed(i).is_some())
        });
        let epoch = view.epoch;
        m.wait_for("polls go on", |v| v.epoch >= epoch + 3);
        let mut primary = flavor.direct_conn();
        exec(
            &mut primary,
            "CREATE TABLE IF NOT EXISTS monitor_no_push (id INT PRIMARY KEY)",
        );
        exec(&mut primary, "DROP TABLE monitor_no_push");
        m.wait_for("both replicas caught up by polling", |v| {
            caught_up(v, LAGGING) && caught_up(v, STEADY)
        });
    });
}
