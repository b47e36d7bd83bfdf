//! Clean shutdown: on SIGTERM sluice stops accepting, lets a reply in flight finish, closes idle
//! sessions, and exits with status 0.

mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{each_flavor, Sluice};
use mysql::prelude::Queryable;

#[test]
fn sigterm_finishes_in_flight_reply_then_exits() {
    each_flavor("shutdown", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let port = sluice.port;
        let mut idle = sluice.conn();
        let mut busy = sluice.conn();
        let pid = sluice.pid();
        let query = thread::spawn(move || {
            let started = Instant::now();
            let v: Option<i64> = busy
                .query_first("SELECT SLEEP(1.5) + 7")
                .expect("in-flight query completes");
            (v, started.elapsed())
        });
        thread::sleep(Duration::from_millis(400));
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        // New connections are refused soon after the signal.
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "sluice still accepts connections after SIGTERM"
            );
            thread::sleep(Duration::from_millis(20));
        }
        let (v, took) = query.join().expect("query thread");
        assert_eq!(v, Some(7), "in-flight reply must arrive whole");
        assert!(took >= Duration::from_millis(1400));
        // The idle session was closed by sluice.
        assert!(
            idle.query_drop("SELECT 1").is_err(),
            "idle session must be closed on shutdown"
        );
        let status = sluice.stop();
        assert!(
            status.success(),
            "sluice exit status after SIGTERM: {status:?}"
        );
    });
}

/// A restarted sluice binds its port at once, although connections it closed are still in
/// TIME_WAIT on it (the listeners set SO_REUSEADDR as well as SO_REUSEPORT).
#[test]
fn restart_binds_the_port_while_closed_connections_wait_out_time_wait() {
    each_flavor("restart", |ctx| {
        let reservation = common::PortReservation::new();
        let port = reservation.port;
        let config = std::env::temp_dir().join(format!(
            "sluice-restart-{}-{}.toml",
            std::process::id(),
            ctx.flavor.name()
        ));
        std::fs::write(
            &config,
            common::primary_only(common::base_config(ctx.flavor, port)),
        )
        .expect("write config");
        let spawn = || {
            Child(
                Command::new(env!("CARGO_BIN_EXE_sluice"))
                    .arg("--config")
                    .arg(&config)
                    .env("SLUICE_LOG", "warn")
                    .spawn()
                    .expect("start sluice"),
            )
        };
        let wait_accepting = || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "sluice does not accept on {port}"
                );
                thread::sleep(Duration::from_millis(20));
            }
        };
        // The first connections after a start may race the listener setup under heavy load.
        let connect = |what: &str| {
            let mut last = None;
            for _ in 0..10 {
                match mysql::Conn::new(common::client_opts(port)) {
                    Ok(conn) => return conn,
                    Err(err) => last = Some(err),
                }
                thread::sleep(Duration::from_millis(200));
            }
            panic!("{what}: {last:?}")
        };
        let first = spawn();
        wait_accepting();
        for _ in 0..3 {
            let mut conn = connect("connect to the first sluice");
            let one: Option<i64> = conn.query_first("SELECT 1").expect("select");
            assert_eq!(one, Some(1));
        }
        let status = first.stop();
        assert!(status.success(), "the first sluice exited with {status}");
        let second = spawn();
        wait_accepting();
        let mut conn = connect("connect to the restarted sluice");
        let one: Option<i64> = conn.query_first("SELECT 1").expect("select");
        assert_eq!(one, Some(1));
        drop(conn);
        let status = second.stop();
        assert!(
            status.success(),
            "the restarted sluice exited with {status}"
        );
        let _ = std::fs::remove_file(&config);
    });
}

/// A sluice child process, stopped with SIGTERM (and waited for) when the test is done with it or
/// fails.
struct Child(std::process::Child);

impl Child {
    fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        self.0.wait().expect("wait for sluice")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.terminate();
        }
    }
}
