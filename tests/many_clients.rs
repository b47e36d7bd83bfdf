//! Many client sessions share few backend connections: 2,000 concurrent clients each run
//! statements through sluice, and every backend sees at most a few dozen connections from it
//! (counted by sluice's `SHOW SLUICE BACKENDS` and by the servers' own processlists).

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{each_flavor, Flavor, Sluice, USER};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Clients held open at once.
const CLIENTS: usize = 2000;
/// Threads that open and drive them.
const THREADS: usize = 20;
/// `app` connections the tests running alongside may have open on a server.
const OTHER_TESTS_CONNECTIONS: usize = 32;

/// This sluice's open backend connections, by backend name (`SHOW SLUICE BACKENDS`).
fn sluice_connections(sluice: &Sluice) -> Vec<(String, u64)> {
    sluice
        .conn()
        .query_map("SHOW SLUICE BACKENDS", |row: mysql::Row| {
            let name: String = row.get("name").unwrap_or_default();
            let open: u64 = row.get("connections").unwrap_or_default();
            (name, open)
        })
        .expect("SHOW SLUICE BACKENDS")
}

/// The soft limit on open files of this process (sluice inherits it).
fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

/// Connections `app` has open on a server, by its processlist.
fn server_connections(port: u16) -> usize {
    let mut c = Conn::new(common::client_opts(port)).expect("direct connection");
    let n: Option<usize> = c
        .query_first(format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{USER}'"
        ))
        .expect("processlist");
    n.unwrap_or(0).saturating_sub(1)
}

#[test]
fn two_thousand_clients_share_a_few_dozen_backend_connections() {
    each_flavor("many_clients", |ctx| {
        // Each client costs a descriptor here and one in sluice.
        let clients = CLIENTS.min(open_files_limit().saturating_sub(200) / 2);
        assert!(clients >= 500, "open-files limit too low for this test");
        if clients < CLIENTS {
            eprintln!("open-files limit: testing {clients} clients instead of {CLIENTS}");
        }
        let sluice = Sluice::start(ctx.flavor);
        let per_thread = clients / THREADS;
        let barrier = Arc::new(Barrier::new(THREADS + 1));
        let done = Arc::new(Barrier::new(THREADS + 1));
        let mut handles = Vec::new();
        for _ in 0..THREADS {
            let opts = sluice.opts();
            let barrier = barrier.clone();
            let done = done.clone();
            handles.push(thread::spawn(move || {
                let mut conns: Vec<Conn> = (0..per_thread)
                    .map(|_| Conn::new(opts.clone()).expect("connect through sluice"))
                    .collect();
                barrier.wait();
                for round in 0..3 {
                    for c in &mut conns {
                        let v: Option<i64> =
                            c.query_first(format!("SELECT {round} + 1")).expect("read");
                        assert_eq!(v, Some(round + 1));
                    }
                }
                // Every client still open while the counts are taken.
                done.wait();
                drop(conns);
            }));
        }
        barrier.wait();
        // Let the reads of every thread finish, then count while all clients are connected.
        let flavor: Flavor = ctx.flavor;
        thread::sleep(std::time::Duration::from_millis(500));
        let ports = [
            flavor.primary_port(),
            flavor.replica_ports()[0],
            flavor.replica_ports()[1],
        ];
        let mut counted = Vec::new();
        for port in ports {
            counted.push((port, server_connections(port)));
        }
        let own = sluice_connections(&sluice);
        done.wait();
        for h in handles {
            h.join().expect("client thread");
        }
        eprintln!(
            "{clients} clients; backend connections by sluice's count {own:?}, by the servers' \
             processlists (port, count) {counted:?}"
        );
        for (name, n) in &own {
            assert!(
                *n <= 64,
                "{clients} clients: {n} backend connections to {name} (at most the pool limit of 64 \
                 per shard)"
            );
        }
        // The servers count every `app` connection, other tests' too (they run alongside).
        for (port, n) in counted {
            assert!(
                n <= 64 + OTHER_TESTS_CONNECTIONS,
                "{clients} clients: {n} `app` connections on {port}"
            );
        }
    });
}

/// Clients that each set their character set at connect (as most connectors do) and stay idle
/// reuse the same few backend connections: a connection another session left with other settings
/// is reset for the next one rather than a new one opened.
#[test]
fn clients_with_their_own_settings_reuse_a_few_connections() {
    each_flavor("mc_settings", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut held = Vec::new();
        for i in 0..150 {
            let mut conn = sluice.conn();
            let names = if i % 2 == 0 { "utf8mb4" } else { "latin1" };
            conn.query_drop(format!("SET NAMES {names}"))
                .expect("SET NAMES");
            let cs: Option<String> = conn
                .query_first("SELECT @@character_set_client")
                .expect("read");
            assert_eq!(cs.as_deref(), Some(names), "client {i}");
            held.push(conn);
        }
        // This sluice's own count (other tests' sluice processes share the servers).
        let rows = sluice_connections(&sluice);
        for (name, n) in &rows {
            assert!(
                *n <= 6,
                "150 idle clients: {n} backend connections to {name}, expected a handful: {rows:?}"
            );
        }
        drop(held);
    });
}

/// A session keeps its connection after a write (and after a read with warnings, a commit, ...)
/// in case its next statement asks what that one did (`LAST_INSERT_ID()`, `SHOW WARNINGS`). Idle
/// clients must not hold the pool that way: with 8 connections per backend, 40 clients that each
/// insert (or read with a warning) and then sit idle all get through, because an idle session
/// gives its connection back when another session waits for one. Each still reads its own
/// `LAST_INSERT_ID()` afterwards.
#[test]
fn idle_sessions_give_back_connections_kept_for_a_follow_up() {
    each_flavor("mc_follow", |ctx| {
        let sluice = Sluice::start_with(ctx.flavor, |cfg| {
            cfg.replace("[pool]\n", "[pool]\nmax_per_shard = 8\n")
        });
        let t = ctx.name("t");
        let mut setup = ctx.flavor.direct_conn();
        setup
            .query_drop(format!("DROP TABLE IF EXISTS {t}"))
            .expect("drop");
        setup
            .query_drop(format!(
                "CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"
            ))
            .expect("create");
        let mut clients = Vec::new();
        for i in 0..40 {
            let mut conn = sluice.conn();
            if i % 4 == 3 {
                // A replica read with a warning keeps its replica connection.
                let v: Option<i64> = conn
                    .query_first("SELECT CAST('x' AS SIGNED)")
                    .expect("read with a warning");
                assert_eq!(v, Some(0));
                clients.push((conn, 0));
            } else {
                conn.query_drop(format!("INSERT INTO {t} (v) VALUES ({i})"))
                    .unwrap_or_else(|e| panic!("client {i}: insert: {e}"));
                let id = conn.last_insert_id();
                clients.push((conn, id));
            }
        }
        for (i, (conn, id)) in clients.iter_mut().enumerate() {
            let got: Option<u64> = conn
                .query_first("SELECT LAST_INSERT_ID()")
                .expect("LAST_INSERT_ID()");
            assert_eq!(got, Some(*id), "client {i}: its own LAST_INSERT_ID()");
        }
        let rows = sluice_connections(&sluice);
        for (name, n) in &rows {
            assert!(*n <= 8, "{name}: {n} connections, limit 8: {rows:?}");
        }
        drop(clients);
        setup.query_drop(format!("DROP TABLE {t}")).expect("drop");
    });
}
