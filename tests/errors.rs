//! Bad conditions and bad input: a primary that is unreachable at login, one that goes away and
//! comes back under a live session (through a TCP forwarder the test controls), a backend dying
//! mid-result, and malformed, truncated or unknown client packets. Each must end in a proper ERR
//! or a clean close of that one session, with sluice still running and serving other sessions.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use common::forwarder::{with_primary, Forwarder};
use common::raw::{Packet, RawConn};
use common::{each_flavor, mariadb_cli, Flavor, PortReservation, Sluice, DATABASE, PASSWORD, USER};
use mysql::prelude::Queryable;
use mysql::Conn;

/// How long a session may take to answer or close after bad input before we call it a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

fn select_one(conn: &mut Conn) -> mysql::Result<Option<i64>> {
    conn.query_first("SELECT 1")
}

/// A new session through sluice works.
fn assert_new_session_works(sluice: &Sluice) {
    let mut conn = sluice.conn();
    assert_eq!(select_one(&mut conn).expect("SELECT 1"), Some(1));
}

/// What a session did after bad input: the packets it sent, and whether it then closed.
#[derive(Debug)]
struct Ending {
    packets: Vec<Packet>,
    closed: bool,
}

/// Reads packets until the connection closes; panics if it neither answers nor closes in time.
fn read_until_closed(raw: &mut RawConn) -> Ending {
    raw.stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("set read timeout");
    let mut packets = Vec::new();
    loop {
        match raw.read_packet() {
            Ok(packet) => packets.push(packet),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("session neither answered nor closed within {ANSWER_TIMEOUT:?}; got {packets:?}")
            }
            Err(_) => {
                return Ending {
                    packets,
                    closed: true,
                }
            }
        }
    }
}

/// After bad input, the session either sent only ERR packets and closed, or just closed.
fn assert_err_or_close(what: &str, ending: &Ending) {
    assert!(ending.closed, "{what}: session not closed: {ending:?}");
    for packet in &ending.packets {
        assert!(
            packet.is_err(),
            "{what}: expected only ERR packets before the close, got {packet:?}"
        );
    }
    eprintln!(
        "{what}: {}",
        match ending.packets.first().and_then(Packet::err) {
            Some(err) => format!("ERR {err:?} then close"),
            None => "closed without ERR".to_owned(),
        }
    );
}

fn raw_login(port: u16) -> RawConn {
    RawConn::login(port, USER, PASSWORD, DATABASE)
        .unwrap_or_else(|err| panic!("raw login on port {port}: {:?}", err.err()))
}

// ---------------------------------------------------------------------------------------------
// Primary unreachable.

#[test]
fn primary_unreachable_login_gets_err_naming_backend() {
    each_flavor("err_dead_primary", |ctx| {
        let dead = PortReservation::new(); // reserved, nothing listens
        let dead_addr = format!("127.0.0.1:{}", dead.port);
        let mut sluice = Sluice::start_primary_only_with(
            ctx.flavor,
            with_primary(ctx.flavor, dead_addr.clone()),
        );
        for _ in 0..3 {
            let started = Instant::now();
            let err = match Conn::new(sluice.opts()) {
                Err(mysql::Error::MySqlError(err)) => err,
                other => {
                    panic!("login with the primary down: expected an ERR packet, got {other:?}")
                }
            };
            eprintln!(
                "login with primary down: {err:?} after {:.1?}",
                started.elapsed()
            );
            assert_eq!(err.state, "HY000", "{err:?}");
            assert!(
                err.message.contains(&dead_addr),
                "the ERR must name the backend {dead_addr}: {err:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "login took too long"
            );
        }
        sluice.assert_running();
    });
}

#[test]
fn primary_unreachable_login_error_readable_by_mariadb_cli() {
    each_flavor("err_dead_primary_cli", |ctx| {
        let dead = PortReservation::new();
        let dead_addr = format!("127.0.0.1:{}", dead.port);
        let mut sluice = Sluice::start_primary_only_with(
            ctx.flavor,
            with_primary(ctx.flavor, dead_addr.clone()),
        );
        let cli = mariadb_cli(sluice.port, "SELECT 1", &[]);
        assert!(
            !cli.status.success(),
            "CLI login succeeded with the primary down"
        );
        sluice.assert_running();
        // libmariadb (Connector/C 3.3, Debian's mariadb client) turns a server ERR whose code is
        // in 2001..=2998 (the client's own range; e.g. 2003) into "ERROR 2027 (HY000): Received
        // malformed packet", hiding sluice's message.
        assert!(
            cli.stderr.contains(&dead_addr),
            "the mariadb CLI should show an error naming the backend {dead_addr}; it printed: {}",
            cli.stderr.trim()
        );
    });
}

#[test]
fn primary_down_and_back_under_a_live_session() {
    each_flavor("err_primary_flap", |ctx| {
        let mut forwarder = Forwarder::start(ctx.flavor.primary_addr());
        let via = forwarder.addr();
        let mut sluice =
            Sluice::start_primary_only_with(ctx.flavor, with_primary(ctx.flavor, via.clone()));
        let mut conn = Conn::new(sluice.opts().read_timeout(Some(Duration::from_secs(15))))
            .expect("login through sluice and the forwarder");
        assert_eq!(select_one(&mut conn).expect("SELECT 1"), Some(1));

        forwarder.down();
        let started = Instant::now();
        match select_one(&mut conn) {
            Err(mysql::Error::MySqlError(err)) => {
                eprintln!("query with the primary down: {err:?}");
                assert!(
                    err.message.contains(&via) || err.message.contains("primary"),
                    "the ERR should name the backend: {err:?}"
                );
            }
            other => panic!(
                "query with the primary down: expected an ERR packet (session kept), got {other:?}"
            ),
        }
        assert!(started.elapsed() < ANSWER_TIMEOUT, "the ERR took too long");
        // A second try while still down: still an ERR, not a hang or a closed session.
        assert!(
            matches!(select_one(&mut conn), Err(mysql::Error::MySqlError(_))),
            "second query with the primary down"
        );
        // New logins fail cleanly while it is down.
        assert!(
            matches!(Conn::new(sluice.opts()), Err(mysql::Error::MySqlError(_))),
            "login with the primary down"
        );

        forwarder.up();
        let back = select_one(&mut conn);
        assert_eq!(
            back.as_ref().ok(),
            Some(&Some(1)),
            "the same session must work again once the primary is back: {back:?}"
        );
        let db: Option<String> = conn
            .query_first("SELECT DATABASE()")
            .expect("SELECT DATABASE() after reconnect");
        assert_eq!(db.as_deref(), Some(DATABASE), "session's database restored");
        assert_new_session_works(&sluice);
        sluice.assert_running();
    });
}

#[test]
fn primary_lost_mid_statement_error_readable_by_mariadb_cli() {
    each_flavor("err_lost_cli", |ctx| {
        let mut forwarder = Forwarder::start(ctx.flavor.primary_addr());
        let via = forwarder.addr();
        let mut sluice =
            Sluice::start_primary_only_with(ctx.flavor, with_primary(ctx.flavor, via.clone()));
        let port = sluice.port;
        let cli = thread::spawn(move || mariadb_cli(port, "SELECT 1; DO SLEEP(3); SELECT 2", &[]));
        // Cut the link only once the primary is running the sleep: a fixed pause raced with the
        // CLI's start-up on a loaded machine.
        wait_until_running(ctx.flavor, "DO SLEEP(3)");
        forwarder.down();
        let cli = cli.join().expect("CLI thread");
        forwarder.up();
        eprintln!("CLI with the primary lost mid-statement: {cli:?}");
        assert!(!cli.status.success(), "the statement cannot have succeeded");
        assert_eq!(cli.stdout, "1\n", "the first statement's output");
        sluice.assert_running();
        assert_new_session_works(&sluice);
        // As above: an ERR code in 2001..=2998 (e.g. 2013) reads as "Received malformed packet".
        assert!(
            cli.stderr.contains(&via) || cli.stderr.contains("'primary'"),
            "the mariadb CLI should show an error naming the backend; it printed: {}",
            cli.stderr.trim()
        );
    });
}

/// Waits (at most 20 s) until a session on the primary runs exactly `statement`.
fn wait_until_running(flavor: Flavor, statement: &str) {
    let mut direct = flavor.direct_conn();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let running: Option<u64> = direct
            .exec_first(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = ?",
                (statement,),
            )
            .expect("read the primary's process list");
        if running.unwrap_or(0) > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{statement:?} never started on the primary"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killed_idle_backend_connection_recovers() {
    each_flavor("err_killed_idle", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let mut conn = sluice.conn();
        let id: u64 = conn
            .query_first("SELECT CONNECTION_ID()")
            .expect("backend connection id")
            .expect("one row");
        // What wait_timeout or an operator's KILL does to an idle backend connection.
        ctx.flavor
            .direct_conn()
            .query_drop(format!("KILL {id}"))
            .expect("KILL the session's backend connection");
        thread::sleep(Duration::from_millis(100));
        // The next statement may fail with an ERR (sluice may also retry it, as nothing reached
        // the client yet), but the session must not be dropped, and the one after must work.
        match select_one(&mut conn) {
            Ok(v) => {
                eprintln!("statement after KILL: retried transparently");
                assert_eq!(v, Some(1));
            }
            Err(mysql::Error::MySqlError(err)) => eprintln!("statement after KILL: {err:?}"),
            Err(other) => panic!("statement after KILL: session dropped: {other:?}"),
        }
        let again = select_one(&mut conn);
        assert_eq!(
            again.as_ref().ok(),
            Some(&Some(1)),
            "the session works again after its backend connection was killed: {again:?}"
        );
        let new_id: u64 = conn
            .query_first("SELECT CONNECTION_ID()")
            .expect("backend connection id")
            .expect("one row");
        assert_ne!(new_id, id, "a new backend connection");
        sluice.assert_running();
    });
}

#[test]
fn backend_dies_mid_result() {
    each_flavor("err_mid_result", |ctx| {
        let forwarder = Forwarder::start(ctx.flavor.primary_addr());
        let mut sluice =
            Sluice::start_primary_only_with(ctx.flavor, with_primary(ctx.flavor, forwarder.addr()));
        let mut bystander = sluice.conn();
        let mut conn =
            Conn::new(sluice.opts().read_timeout(Some(Duration::from_secs(20)))).expect("login");
        let sql = match ctx.flavor {
            Flavor::MariaDb => "SELECT seq, REPEAT('x', 50) FROM seq_1_to_1000000".to_owned(),
            Flavor::MySql => {
                conn.query_drop("SET SESSION cte_max_recursion_depth = 2000000")
                    .expect("raise recursion depth");
                "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) \
                 SELECT n, REPEAT('x', 50) FROM c"
                    .to_owned()
            }
        };
        let started = Instant::now();
        let mut rows = 0_u64;
        let mut failure = None;
        {
            let mut result = conn.query_iter(&sql).expect("start the big query");
            let set = result.iter().expect("a result set");
            for row in set {
                match row {
                    Ok(_) => rows += 1,
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
                if rows == 10_000 {
                    let cut = forwarder.cut_busy(256 * 1024);
                    assert_eq!(cut, 1, "exactly the streaming backend connection is cut");
                }
            }
        }
        eprintln!(
            "mid-result backend death: {rows} rows then {failure:?} after {:.1?}",
            started.elapsed()
        );
        let failure = failure.expect("the result must not complete after the backend died");
        assert!(rows < 1_000_000);
        if let mysql::Error::IoError(io) = &failure {
            assert!(
                !matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "sluice neither sent an ERR nor closed the session: {io:?}"
            );
        }
        // Other sessions carry on; new ones work.
        let bystander_answer = select_one(&mut bystander);
        assert_eq!(
            bystander_answer.as_ref().ok(),
            Some(&Some(1)),
            "bystander session: {bystander_answer:?}"
        );
        // The session that lost its backend: an ERR for its next statement at worst, then it
        // works again (sluice reconnects), or it was closed cleanly.
        match select_one(&mut conn) {
            Ok(v) => assert_eq!(v, Some(1)),
            Err(err) => eprintln!("the cut session's next statement: {err:?}"),
        }
        assert_new_session_works(&sluice);
        sluice.assert_running();
    });
}

#[test]
fn client_gone_mid_result_releases_the_backend() {
    each_flavor("err_client_gone", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let marker = format!("sluice_gone_marker_{}", ctx.flavor);
        let sql = match ctx.flavor {
            Flavor::MariaDb => format!("SELECT seq, '{marker}' FROM seq_1_to_5000000"),
            Flavor::MySql => format!(
                "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) \
                 SELECT a.n, '{marker}' FROM c a, c b, c d"
            ),
        };
        let mut raw = raw_login(sluice.port);
        let mut payload = vec![0x03];
        payload.extend_from_slice(sql.as_bytes());
        raw.write_packet(0, &payload).expect("send the big query");
        for _ in 0..1000 {
            let packet = raw.read_packet().expect("some of the result");
            assert!(!packet.is_err(), "the big query failed: {:?}", packet.err());
        }
        drop(raw); // the client goes away mid-result

        // The server-side statement must end soon (sluice closes or drains its backend
        // connection) rather than sit blocked on a full socket until net_write_timeout.
        let mut direct = ctx.flavor.direct_conn();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let running: Vec<(u64, Option<String>)> = direct
                .query(format!(
                    "SELECT ID, STATE FROM information_schema.PROCESSLIST \
                     WHERE INFO LIKE '%{marker}%' AND INFO NOT LIKE '%PROCESSLIST%'"
                ))
                .expect("processlist");
            if running.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the abandoned query still runs on the primary 10 s after its client left: {running:?}"
            );
            thread::sleep(Duration::from_millis(100));
        }
        assert_new_session_works(&sluice);
        sluice.assert_running();
    });
}

// ---------------------------------------------------------------------------------------------
// Malformed input from clients.

#[test]
fn garbage_instead_of_handshake_response() {
    each_flavor("err_garbage_login", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let cases: [(&str, Vec<u8>); 5] = [
            (
                "short garbage packet",
                vec![5, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0x00],
            ),
            ("empty packet", vec![0, 0, 0, 1]),
            (
                "HTTP request",
                b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            ),
            (
                "oversize length then close",
                vec![0xff, 0xff, 0xff, 1, 1, 2, 3],
            ),
            ("wrong sequence id", {
                let mut p = vec![40, 0, 0, 7];
                p.extend_from_slice(&[0x85, 0xa2, 0xbf, 0]);
                p.extend_from_slice(&[0; 36]);
                p
            }),
        ];
        for (what, bytes) in cases {
            let mut raw = RawConn::connect(sluice.port);
            let greeting = raw.read_packet().expect("greeting");
            assert_eq!(greeting.payload.first(), Some(&10));
            raw.stream.write_all(&bytes).expect("send garbage");
            if what == "oversize length then close" {
                let _ = raw.stream.shutdown(Shutdown::Write);
            }
            let ending = read_until_closed(&mut raw);
            assert_err_or_close(what, &ending);
            sluice.assert_running();
            assert_new_session_works(&sluice);
        }
    });
}

#[test]
fn truncated_packets_do_not_affect_other_sessions() {
    each_flavor("err_truncated", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let mut bystander = sluice.conn();
        bystander
            .query_drop("SET @sluice_bystander = 7")
            .expect("bystander state");

        // Truncated handshake response, then close.
        let mut raw = RawConn::connect(sluice.port);
        raw.read_packet().expect("greeting");
        raw.stream
            .write_all(&[100, 0, 0, 1, 0x85, 0xa2, 0xbf, 0, 0, 0])
            .expect("send truncated");
        drop(raw);

        // Truncated command after a real login, then close.
        let mut raw = raw_login(sluice.port);
        raw.stream
            .write_all(&[50, 0, 0, 0, 0x03, b'S', b'E', b'L'])
            .expect("send truncated query");
        drop(raw);

        // Half a packet header, then close.
        let mut raw = raw_login(sluice.port);
        raw.stream.write_all(&[9, 0]).expect("send half a header");
        drop(raw);

        // A truncated query after login, with the socket kept open: the session waits for the
        // rest, and other sessions are unaffected meanwhile.
        let mut waiting = raw_login(sluice.port);
        waiting
            .stream
            .write_all(&[50, 0, 0, 0, 0x03, b'S'])
            .expect("send partial query");

        thread::sleep(Duration::from_millis(200));
        let v: Option<i64> = bystander
            .query_first("SELECT @sluice_bystander")
            .expect("bystander query");
        assert_eq!(v, Some(7), "bystander session lost its state");
        assert_new_session_works(&sluice);
        drop(waiting);
        sluice.assert_running();
    });
}

#[test]
fn unknown_command_gets_err_1047() {
    each_flavor("err_unknown_cmd", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let mut results = Vec::new();
        for (label, port) in [
            ("through sluice", sluice.port),
            ("direct", ctx.flavor.primary_port()),
        ] {
            let mut raw = match RawConn::login(port, USER, PASSWORD, DATABASE) {
                Ok(raw) => raw,
                Err(err) if label == "direct" => {
                    eprintln!(
                        "raw direct login refused ({:?}); no direct comparison",
                        err.err()
                    );
                    continue;
                }
                Err(err) => panic!("raw login through sluice: {:?}", err.err()),
            };
            let mut seen = Vec::new();
            for command in [0x50_u8, 0x7f, 0xee] {
                let reply = raw
                    .command(&[command, 1, 2, 3])
                    .unwrap_or_else(|err| panic!("{label}: command {command:#x}: no reply: {err}"));
                let err = reply.err().unwrap_or_else(|| {
                    panic!("{label}: command {command:#x}: expected ERR, got {reply:?}")
                });
                seen.push(err);
                // The session carries on.
                let (done, rows) = raw.query("SELECT 1").expect("query after unknown command");
                assert!(!done.is_err(), "{label}: {:?}", done.err());
                assert_eq!(rows, 1, "{label}");
            }
            results.push((label, seen));
        }
        let (_, through) = &results[0];
        for (code, state, message) in through {
            assert_eq!((*code, state.as_str()), (1047, "08S01"), "{message}");
        }
        if let Some((_, direct)) = results.get(1) {
            assert_eq!(through, direct, "sluice vs the server's own answer");
        }
        sluice.assert_running();
    });
}

#[test]
fn quit_closes_only_that_session() {
    each_flavor("err_quit", |ctx| {
        let mut sluice = Sluice::start_primary_only(ctx.flavor);
        let mut bystander = sluice.conn();
        let mut raw = raw_login(sluice.port);
        raw.write_packet(0, &[0x01]).expect("COM_QUIT");
        let ending = read_until_closed(&mut raw);
        assert!(
            ending.packets.is_empty(),
            "COM_QUIT is answered by a close, got {ending:?}"
        );
        let mut buf = [0u8; 1];
        assert_eq!(raw.stream.read(&mut buf).ok(), Some(0));
        assert_eq!(select_one(&mut bystander).ok(), Some(Some(1)));
        sluice.assert_running();
    });
}
