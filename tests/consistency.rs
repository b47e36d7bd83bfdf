//! GTID consistency levels (issue 4) against real replication with real lag: the replicas'
//! appliers are stopped with `scripts/topology.sh lag PORT on`, so a replica read would return
//! the old value. `session` reads must still see the session's own writes, `global` reads every
//! write acknowledged before them (also writes made straight to the primary), `eventual` reads
//! may be stale. Where a read ran is its `@@port`.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{each_flavor, exec, row_of, server_error, status_number, Ctx, Flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Stops a replica's applier until dropped (even when the test fails).
struct Lag {
    flavor: Flavor,
    port: u16,
}

fn topology(args: &[&str], flavor: Flavor) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/topology.sh");
    let status = Command::new(script)
        .args(args)
        .arg("--flavor")
        .arg(flavor.name())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("run topology.sh");
    assert!(status.success(), "topology.sh {args:?} failed");
}

impl Lag {
    fn on(flavor: Flavor, port: u16) -> Lag {
        topology(&["lag", &port.to_string(), "on"], flavor);
        Lag { flavor, port }
    }
}

impl Drop for Lag {
    fn drop(&mut self) {
        topology(&["lag", &self.port.to_string(), "off"], self.flavor);
    }
}

/// Sluice with a short read timeout (so fallbacks are quick) and `extra` consistency keys.
fn start(flavor: Flavor, extra: &str) -> Sluice {
    let extra = extra.to_owned();
    Sluice::start_with(flavor, move |cfg| {
        format!("{cfg}\n[consistency]\nread_consistency_timeout = \"3ms\"\n{extra}\n")
    })
}

fn create(conn: &mut Conn, t: &str) {
    exec(conn, &format!("DROP TABLE IF EXISTS {t}"));
    exec(
        conn,
        &format!("CREATE TABLE {t} (id INT PRIMARY KEY, v INT NOT NULL)"),
    );
    exec(conn, &format!("INSERT INTO {t} VALUES (1, 0)"));
}

/// Where the writes and the reads of [`write_then_read`] go.
enum Conns<'a> {
    /// One session writes and reads back.
    Same(&'a mut Conn),
    /// A writer (e.g. straight to the primary) and a reader through sluice.
    Split {
        writer: &'a mut Conn,
        reader: &'a mut Conn,
    },
}

impl Conns<'_> {
    fn writer(&mut self) -> &mut Conn {
        match self {
            Conns::Same(c) => c,
            Conns::Split { writer, .. } => writer,
        }
    }

    fn reader(&mut self) -> &mut Conn {
        match self {
            Conns::Same(c) => c,
            Conns::Split { reader, .. } => reader,
        }
    }
}

/// Writes n increasing values to row 1 and reads each back at once (the read prefixed with
/// `read_prefix`, e.g. a hint); returns (stale reads, reads per port).
fn write_then_read(
    mut conns: Conns<'_>,
    t: &str,
    n: i64,
    read_prefix: &str,
) -> (usize, Vec<(u16, usize)>) {
    let mut stale = 0;
    let mut ports: Vec<(u16, usize)> = Vec::new();
    // Go on from the current value (a locking read runs on the primary).
    let base: i64 = row_of(
        conns.writer(),
        &format!("SELECT v FROM {t} WHERE id = 1 FOR UPDATE"),
    );
    for i in base + 1..=base + n {
        exec(
            conns.writer(),
            &format!("UPDATE {t} SET v = {i} WHERE id = 1"),
        );
        let (v, port): (i64, u16) = row_of(
            conns.reader(),
            &format!("{read_prefix}SELECT v, @@port FROM {t} WHERE id = 1"),
        );
        if v < i {
            stale += 1;
        }
        match ports.iter_mut().find(|(p, _)| *p == port) {
            Some((_, c)) => *c += 1,
            None => ports.push((port, 1)),
        }
    }
    (stale, ports)
}

/// sluice (short timeout), a connection to it, and a fresh table `t` of the test that the
/// replicas have applied.
fn with_table(ctx: &Ctx) -> (Sluice, Conn, String) {
    let sluice = start(ctx.flavor, "");
    let mut conn = sluice.conn();
    let t = ctx.name("t");
    create(&mut conn, &t);
    common::wait_replicated(ctx.flavor, &format!("SELECT 1 FROM {t} WHERE id = 1"));
    (sluice, conn, t)
}

/// Both replicas' appliers stopped until dropped.
fn both_stopped(flavor: Flavor) -> (Lag, Lag) {
    let [r1, r2] = flavor.replica_ports();
    (Lag::on(flavor, r1), Lag::on(flavor, r2))
}

fn on_replicas(ctx: &Ctx, ports: &[(u16, usize)]) -> usize {
    let replicas = ctx.flavor.replica_ports();
    ports
        .iter()
        .filter(|(p, _)| replicas.contains(p))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn session_reads_see_own_writes_under_lag_and_eventual_ones_do_not() {
    each_flavor("cs_session_lag", |ctx| {
        let (_sluice, mut conn, t) = with_table(ctx);
        let _lag = both_stopped(ctx.flavor);
        let (stale, ports) = write_then_read(Conns::Same(&mut conn), &t, 150, "");
        assert_eq!(
            stale, 0,
            "session reads saw stale values; reads per port {ports:?}"
        );
        assert_eq!(on_replicas(ctx, &ports), 0, "{ports:?}");
        assert!(status_number(&mut conn, "fallback_timeout") > 0);

        exec(&mut conn, "SET SESSION sluice_consistency = 'eventual'");
        let (stale, ports) = write_then_read(Conns::Same(&mut conn), &t, 40, "");
        assert!(
            stale > 0,
            "eventual reads on stopped replicas must be stale; reads per port {ports:?}"
        );
    });
}

#[test]
fn session_reads_go_to_replicas_when_there_is_no_lag() {
    each_flavor("cs_session_fresh", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let t = ctx.name("t");
        create(&mut conn, &t);
        let (stale, ports) = write_then_read(Conns::Same(&mut conn), &t, 200, "");
        assert_eq!(stale, 0, "{ports:?}");
        let replica = on_replicas(ctx, &ports);
        assert!(
            replica * 100 >= 200 * 95,
            "at least 95% of session reads should be served by replicas: {ports:?}"
        );
    });
}

#[test]
fn global_reads_see_writes_made_straight_to_the_primary() {
    each_flavor("cs_global", |ctx| {
        let (_sluice, mut conn, t) = with_table(ctx);
        let mut direct = ctx.flavor.direct_conn();
        // Fresh replicas: global reads wait for the probe, then go to a replica.
        let (stale, ports) = write_then_read(
            Conns::Split {
                writer: &mut direct,
                reader: &mut conn,
            },
            &t,
            60,
            "/* sluice: consistency=global */ ",
        );
        assert_eq!(stale, 0, "{ports:?}");
        assert!(
            on_replicas(ctx, &ports) > 0,
            "global reads never used a replica: {ports:?}"
        );
        // Most reads ask for a probe. Not all: a read that arrives just before one of the
        // monitor's regular rounds is proven by that round's poll of the primary (sent after the
        // read arrived) without asking. Rounds come every 100 ms here; the 60 reads take about
        // one second, so at most about ten of them can be served that way.
        let probes = status_number(&mut conn, "global_probes");
        assert!(
            probes >= 30,
            "only {probes} of 60 global reads asked for a probe"
        );
        // Stopped replicas: global reads fall back to the primary and still see the writes.
        let _lag = both_stopped(ctx.flavor);
        exec(&mut conn, "SET @@session.sluice_consistency = 'GLOBAL'");
        let (stale, ports) = write_then_read(
            Conns::Split {
                writer: &mut direct,
                reader: &mut conn,
            },
            &t,
            60,
            "",
        );
        assert_eq!(stale, 0, "{ports:?}");
        // The same reads in an eventual session are stale.
        exec(&mut conn, "SET sluice_consistency = 'eventual'");
        let (stale, ports) = write_then_read(
            Conns::Split {
                writer: &mut direct,
                reader: &mut conn,
            },
            &t,
            20,
            "",
        );
        assert!(stale > 0, "{ports:?}");
    });
}

#[test]
fn global_reads_are_proven_by_commits_through_sluice() {
    each_flavor("cs_global_proof", |ctx| {
        let (sluice, mut conn, t) = with_table(ctx);
        exec(&mut conn, &format!("INSERT INTO {t} VALUES (2, 0)"));
        // A busy writer through sluice: a commit whose statement arrived after a read did proves
        // the primary's position for that read, without waiting for the monitor's probe.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (opts, stop, t) = (sluice.opts(), stop.clone(), t.clone());
            thread::spawn(move || {
                let mut w = Conn::new(opts).expect("writer through sluice");
                while !stop.load(Ordering::Relaxed) {
                    exec(&mut w, &format!("UPDATE {t} SET v = v + 1 WHERE id = 2"));
                }
            })
        };
        // The writes the reads must see go straight to the primary.
        let mut direct = ctx.flavor.direct_conn();
        let (stale, ports) = write_then_read(
            Conns::Split {
                writer: &mut direct,
                reader: &mut conn,
            },
            &t,
            300,
            "/* sluice: consistency=global */ ",
        );
        stop.store(true, Ordering::Relaxed);
        writer.join().expect("writer thread");
        assert_eq!(stale, 0, "{ports:?}");
        let skipped = status_number(&mut conn, "global_probes_skipped");
        eprintln!(
            "[{}] reads per port {ports:?}; probes skipped {skipped}, asked {}",
            ctx.flavor,
            status_number(&mut conn, "global_probes")
        );
        assert!(
            skipped > 0,
            "no global read was proven by a commit: {ports:?}"
        );
    });
}

#[test]
fn hints_in_prepared_statements_apply_to_every_execution() {
    each_flavor("cs_prepared_hints", |ctx| {
        let (_sluice, mut conn, t) = with_table(ctx);
        let _lag = both_stopped(ctx.flavor);
        let eventual = conn
            .prep(format!(
                "/* sluice: consistency=eventual */ SELECT v, @@port FROM {t} WHERE id = ?"
            ))
            .expect("prepare with a consistency hint");
        let plain = conn
            .prep(format!("SELECT v, @@port FROM {t} WHERE id = ?"))
            .expect("prepare without a hint");
        for i in 1..=3_i64 {
            exec(&mut conn, &format!("UPDATE {t} SET v = {i} WHERE id = 1"));
            // The session level: this session's write is seen (on the primary, replicas stopped).
            let (v, port): (i64, u16) = conn
                .exec_first(&plain, (1,))
                .expect("execute")
                .expect("a row");
            assert_eq!((v, port), (i, ctx.flavor.primary_port()));
            // The statement's own hint: eventual, so a stopped replica answers, stale.
            let (v, port): (i64, u16) = conn
                .exec_first(&eventual, (1,))
                .expect("execute")
                .expect("a row");
            assert_ne!(
                port,
                ctx.flavor.primary_port(),
                "eventual read on the primary"
            );
            assert_eq!(v, 0, "a stopped replica's value");
        }
        let err = server_error(
            conn.prep("/* sluice: min_gtid=not-a-gtid */ SELECT 1"),
            "bad min_gtid in a prepared statement",
        );
        assert_eq!(err.code, 1772, "{err:?}");
    });
}

#[test]
fn last_gtid_crosses_sessions_with_min_gtid() {
    each_flavor("cs_min_gtid", |ctx| {
        let (sluice, mut writer, t) = with_table(ctx);
        let _lag = both_stopped(ctx.flavor);
        exec(&mut writer, &format!("UPDATE {t} SET v = 42 WHERE id = 1"));
        let gtid: Option<String> = row_of(&mut writer, "SELECT @@sluice_last_gtid");
        let gtid = gtid.expect("a GTID after a commit");
        let mut direct = ctx.flavor.direct_conn();
        let executed_var = match ctx.flavor {
            Flavor::MariaDb => "@@global.gtid_binlog_pos",
            Flavor::MySql => "@@global.gtid_executed",
        };
        let executed: String = row_of(&mut direct, &format!("SELECT {executed_var}"));
        let sid = gtid.split(':').next().unwrap_or_default().to_owned();
        assert!(
            executed.contains(&sid) || executed.contains(gtid.rsplit('-').nth(1).unwrap_or("?")),
            "last GTID {gtid} is not from the primary's {executed}"
        );
        // Another session (eventual!) that passes the GTID sees the write.
        let mut reader = sluice.conn();
        exec(&mut reader, "SET sluice_consistency = 'eventual'");
        let (v, _port): (i64, u16) = row_of(
            &mut reader,
            &format!("/* sluice: min_gtid={gtid} */ SELECT v, @@port FROM {t} WHERE id = 1"),
        );
        assert_eq!(v, 42);
        let err = server_error(
            reader.query_drop(format!(
                "/* sluice: min_gtid=not-a-gtid */ SELECT v FROM {t} WHERE id = 1"
            )),
            "bad min_gtid",
        );
        assert_eq!(err.code, 1772, "{err:?}");
        // Without the GTID, the eventual reader sees the stale value.
        let (v, _): (i64, u16) = row_of(
            &mut reader,
            &format!("SELECT v, @@port FROM {t} WHERE id = 1"),
        );
        assert_eq!(v, 0);
    });
}

#[test]
fn lagging_replica_is_excluded_past_the_threshold_and_rejoins() {
    each_flavor("cs_threshold", |ctx| {
        let sluice = start(ctx.flavor, "latency_threshold = \"300ms\"");
        let mut conn = sluice.conn();
        let t = ctx.name("t");
        create(&mut conn, &t);
        exec(&mut conn, "SET sluice_consistency = 'eventual'");
        let [r1, r2] = ctx.flavor.replica_ports();
        let lag = Lag::on(ctx.flavor, r1);
        let mut direct = ctx.flavor.direct_conn();
        let reads_on = |conn: &mut Conn, n: usize| -> Vec<u16> {
            (0..n)
                .map(|_| row_of::<u16>(conn, "SELECT @@port"))
                .collect::<Vec<_>>()
        };
        // Keep committing so the stopped replica falls behind.
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut i = 0;
        while Instant::now() < deadline {
            i += 1;
            exec(&mut direct, &format!("UPDATE {t} SET v = {i} WHERE id = 1"));
            std::thread::sleep(Duration::from_millis(20));
        }
        let ports = reads_on(&mut conn, 60);
        assert!(
            !ports.contains(&r1),
            "a replica past the threshold got reads: {ports:?}"
        );
        assert!(ports.contains(&r2), "{ports:?}");
        drop(lag);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ports = reads_on(&mut conn, 20);
            if ports.contains(&r1) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the replica did not rejoin after catching up: {ports:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    });
}

/// The `loadgen` binary of this workspace (built on demand: `cargo nextest run --workspace`
/// has usually built it already).
fn loadgen() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/debug/loadgen");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "loadgen"])
            .current_dir(root)
            .status()
            .expect("cargo build -p loadgen");
        assert!(status.success(), "cargo build -p loadgen failed");
    }
    bin
}

/// Runs loadgen's read-after-write checker through `sluice` at `level`; returns its JSON report.
fn checker(sluice: &Sluice, check: &str, level: &str, reads: u64) -> Report {
    let out = Command::new(loadgen())
        .args(["--host", "127.0.0.1", "--port", &sluice.port.to_string()])
        .args(["--user", common::USER, "--password", common::PASSWORD])
        .args([
            "--database",
            common::DATABASE,
            "--workload",
            "read-after-write",
        ])
        .args([
            "--check",
            check,
            "--connections",
            "4",
            "--reads",
            &reads.to_string(),
        ])
        .args([
            "--primary-port",
            &sluice.flavor.primary_port().to_string(),
            "--json",
        ])
        .arg("--init-sql")
        .arg(format!("SET sluice_consistency = '{level}'"))
        .stdin(Stdio::null())
        .output()
        .expect("run loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "loadgen failed ({}): {}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Report::parse(&stdout)
}

/// The numbers the tests read from loadgen's JSON report.
#[derive(Debug)]
struct Report {
    checked: u64,
    stale: u64,
    replica: u64,
}

impl Report {
    fn parse(json: &str) -> Report {
        let v: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("loadgen JSON ({e}): {json}"));
        let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("no {k} in {json}"));
        Report {
            checked: n("checked_reads"),
            stale: n("stale_reads"),
            replica: n("replica_reads"),
        }
    }
}

#[test]
fn loadgen_checker_finds_no_stale_reads_in_session_and_global_and_some_in_eventual() {
    each_flavor("cs_loadgen", |ctx| {
        // No lag: session reads are served by replicas. A 50 ms timeout rather than the default
        // 10 ms: when this 2-core machine is saturated by other tests a replica may take longer
        // than 10 ms to apply a commit (bench/consistency.sh records the default's figures).
        let defaults = Sluice::start_with(ctx.flavor, |cfg| {
            format!("{cfg}\n[consistency]\nread_consistency_timeout = \"50ms\"\n")
        });
        let fresh = checker(&defaults, "session", "session", 1000);
        drop(defaults);
        let sluice = start(ctx.flavor, "");
        assert_eq!(fresh.stale, 0, "{fresh:?}");
        assert!(
            fresh.replica * 100 >= fresh.checked * 95,
            "at least 95% of session reads on replicas without lag: {fresh:?}"
        );
        // One replica stopped, then both: never stale in session and global.
        let [r1, r2] = ctx.flavor.replica_ports();
        let one = Lag::on(ctx.flavor, r1);
        for (check, level) in [("session", "session"), ("global", "global")] {
            let r = checker(&sluice, check, level, 600);
            assert_eq!(r.stale, 0, "{level} with replica {r1} stopped: {r:?}");
        }
        let both = Lag::on(ctx.flavor, r2);
        for (check, level) in [("session", "session"), ("global", "global")] {
            let r = checker(&sluice, check, level, 300);
            assert_eq!(r.stale, 0, "{level} with both replicas stopped: {r:?}");
        }
        // The checker can fail: eventual reads on stopped replicas are stale.
        let r = checker(&sluice, "session", "eventual", 200);
        assert!(r.stale > 0, "eventual with both replicas stopped: {r:?}");
        drop((one, both));
    });
}
