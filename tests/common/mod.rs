//! Shared harness of the integration tests: which server flavors to test (and failing loudly when a
//! flavor's topology is down), a sluice child process per test with its own config, port and log,
//! client options for sluice and for the primary directly, the `mariadb` command-line client, and a
//! comparable dump of query results.
//!
//! It owns no test of its own. Every test file includes it with `mod common;`; not every file uses
//! every helper, hence the `dead_code` allowance.

#![allow(dead_code)]

pub mod forwarder;
pub mod raw;
pub mod sysbench;

use std::fmt;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, MySqlError, OptsBuilder, Value};

/// The user every test logs in as (created by `scripts/topology.sh`).
pub const USER: &str = "app";
/// That user's password.
pub const PASSWORD: &str = "app";
/// The database tests work in.
pub const DATABASE: &str = "sluice_test";

/// How long sluice may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a start waits for the monitor to see every backend.
const MONITOR_WAIT: Duration = Duration::from_secs(3);

/// Unless a test sets its own: reads under the default `session` level wait up to 2 s for a
/// replica that has applied the session's writes, instead of 10 ms, so that where a read runs does
/// not depend on how loaded this machine is (a 10 ms fallback to the primary is right, but makes a
/// location check flaky). tests/consistency.rs tests the timeout itself.
const CONSISTENCY_TABLE: &str = "\n[consistency]\nread_consistency_timeout = \"2s\"\n";

/// The monitor login tests use unless their config has a `[monitor]` table (the topology's
/// monitoring user, so the `app` user's connection counts stay the sessions' own).
const MONITOR_TABLE: &str = "\n[monitor]\nuser = \"sluice_monitor\"\npassword = \"monitor\"\n";
/// How long sluice may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A server flavor of the test topologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MariaDB 10.11: primary 3307, replicas 3308 and 3309.
    MariaDb,
    /// MySQL 9.7: primary 3317, replicas 3318 and 3319.
    MySql,
}

impl Flavor {
    /// The name used by `scripts/topology.sh --flavor` and `SLUICE_TEST_FLAVORS`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::MariaDb => "mariadb",
            Flavor::MySql => "mysql",
        }
    }

    pub fn primary_port(self) -> u16 {
        match self {
            Flavor::MariaDb => 3307,
            Flavor::MySql => 3317,
        }
    }

    pub fn replica_ports(self) -> [u16; 2] {
        match self {
            Flavor::MariaDb => [3308, 3309],
            Flavor::MySql => [3318, 3319],
        }
    }

    /// `127.0.0.1:PORT` of the primary.
    pub fn primary_addr(self) -> String {
        format!("127.0.0.1:{}", self.primary_port())
    }

    /// Client options for a direct connection to the primary (no sluice in between).
    pub fn direct_opts(self) -> OptsBuilder {
        client_opts(self.primary_port())
    }

    /// A direct connection to the primary.
    pub fn direct_conn(self) -> Conn {
        Conn::new(self.direct_opts()).unwrap_or_else(|err| {
            panic!(
                "cannot connect directly to the {} primary at {}: {err}",
                self.name(),
                self.primary_addr()
            )
        })
    }

    /// Extra `mariadb` CLI arguments needed to talk to this flavor's servers directly. MySQL 9.7
    /// only has caching_sha2_password, whose full authentication needs TLS (or the RSA key).
    pub fn direct_cli_args(self) -> &'static [&'static str] {
        match self {
            Flavor::MariaDb => &[],
            Flavor::MySql => &["--ssl", "--ssl-verify-server-cert=0"],
        }
    }

    /// Runs the `mariadb` CLI directly against the primary.
    pub fn direct_cli(self, sql: &str) -> CliOutput {
        mariadb_cli(self.primary_port(), sql, self.direct_cli_args())
    }

    fn check_reachable(self) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.primary_port()));
        TcpStream::connect_timeout(&addr, Duration::from_secs(2))
            .map(drop)
            .map_err(|err| {
                format!(
                    "the {} primary at {addr} is not reachable ({err}): run `scripts/topology.sh up \
                     --flavor {}` first, or limit the flavors with SLUICE_TEST_FLAVORS",
                    self.name(),
                    self.name()
                )
            })
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The flavors to test: both, or those named in `SLUICE_TEST_FLAVORS` (comma list).
pub fn flavors() -> Vec<Flavor> {
    let Ok(list) = std::env::var("SLUICE_TEST_FLAVORS") else {
        return vec![Flavor::MariaDb, Flavor::MySql];
    };
    let flavors: Vec<Flavor> = list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| match name.to_ascii_lowercase().as_str() {
            "mariadb" => Flavor::MariaDb,
            "mysql" => Flavor::MySql,
            other => panic!("SLUICE_TEST_FLAVORS: unknown flavor {other:?} (mariadb, mysql)"),
        })
        .collect();
    assert!(
        !flavors.is_empty(),
        "SLUICE_TEST_FLAVORS={list:?} names no flavor (use mariadb, mysql or both)"
    );
    flavors
}

/// What a test body gets for one flavor.
pub struct Ctx {
    pub flavor: Flavor,
    test: &'static str,
}

impl Ctx {
    /// A table (or other object) name unique to this test and flavor, so tests can run in parallel.
    pub fn name(&self, what: &str) -> String {
        format!("t_{}_{}_{}", self.test, what, self.flavor.name())
    }
}

/// Runs `body` once per flavor from [`flavors`]. Every flavor runs even if an earlier one failed;
/// the test then fails naming each failed flavor. An unreachable primary is a failure, not a skip.
pub fn each_flavor(test: &'static str, body: impl Fn(&Ctx)) {
    let mut failures = Vec::new();
    for flavor in flavors() {
        if let Err(why) = flavor.check_reachable() {
            eprintln!("[{test}/{flavor}] {why}");
            failures.push(format!("{flavor}: {why}"));
            continue;
        }
        let ctx = Ctx { flavor, test };
        let started = Instant::now();
        match panic::catch_unwind(AssertUnwindSafe(|| body(&ctx))) {
            Ok(()) => eprintln!("[{test}/{flavor}] ok in {:.1?}", started.elapsed()),
            Err(payload) => {
                let why = panic_message(payload.as_ref());
                eprintln!("[{test}/{flavor}] FAILED: {why}");
                failures.push(format!("{flavor}: {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{test} failed for {} flavor(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".to_owned()
    }
}

/// Client options for `127.0.0.1:port` as `app`/`app` in `sluice_test`, over TCP only (the crate
/// would otherwise switch to the server's unix socket and bypass sluice).
pub fn client_opts(port: u16) -> OptsBuilder {
    OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .user(Some(USER))
        .pass(Some(PASSWORD))
        .db_name(Some(DATABASE))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .read_timeout(Some(Duration::from_secs(60)))
        .write_timeout(Some(Duration::from_secs(60)))
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The config text sluice gets unless a test edits it: one shard, the flavor's primary and
/// replicas, user app/app.
pub fn base_config(flavor: Flavor, port: u16) -> String {
    let [r1, r2] = flavor.replica_ports();
    format!(
        r#"[[listeners]]
address = "127.0.0.1:{port}"

[shards]
count = 1

[[users]]
name = "{USER}"
password = "{PASSWORD}"

[backends.primary]
address = "{primary}"

[[backends.replicas]]
address = "127.0.0.1:{r1}"

[[backends.replicas]]
address = "127.0.0.1:{r2}"

[pool]
connect_timeout = "2s"
"#,
        primary = flavor.primary_addr()
    )
}

/// `config` without its `[[backends.replicas]]` tables.
pub fn primary_only(config: String) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.trim_start().starts_with('[') {
            skipping = line.trim() == "[[backends.replicas]]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A running sluice child process, stopped with SIGTERM when dropped.
pub struct Sluice {
    child: Child,
    pub port: u16,
    _reservation: PortReservation,
    pub flavor: Flavor,
    dir: PathBuf,
    log: PathBuf,
    stopped: bool,
}

impl Sluice {
    /// Starts sluice in front of `flavor`'s topology with [`base_config`].
    pub fn start(flavor: Flavor) -> Sluice {
        Sluice::start_with(flavor, |cfg| cfg)
    }

    /// Starts sluice with the base config passed through `edit` first.
    /// Starts sluice in front of `flavor`'s primary alone (no replicas): for tests of the proxy's
    /// mechanics (protocol, pooling, state sync, failures) that compare with the primary right
    /// after writing, which replica reads (eventual consistency) could not.
    pub fn start_primary_only(flavor: Flavor) -> Sluice {
        Self::start_with(flavor, primary_only)
    }

    /// [`Sluice::start_with`] on the primary alone.
    pub fn start_primary_only_with(flavor: Flavor, edit: impl Fn(String) -> String) -> Sluice {
        Self::start_with(flavor, move |c| edit(primary_only(c)))
    }

    pub fn start_with(flavor: Flavor, edit: impl Fn(String) -> String) -> Sluice {
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let reservation = PortReservation::new();
            let port = reservation.port;
            let dir = std::env::temp_dir().join(format!(
                "sluice-test-{}-{}",
                std::process::id(),
                NEXT_DIR.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).expect("create the test's temp dir");
            let config = dir.join("sluice.toml");
            let log = dir.join("sluice.log");
            let mut text = edit(base_config(flavor, port));
            if !text.contains("[monitor]") {
                text.push_str(MONITOR_TABLE);
            }
            if !text.contains("[consistency]") {
                text.push_str(CONSISTENCY_TABLE);
            }
            fs::write(&config, text).expect("write sluice config");
            let log_file = fs::File::create(&log).expect("create sluice log file");
            let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
                .arg("--config")
                .arg(&config)
                .env(
                    "SLUICE_LOG",
                    std::env::var("SLUICE_LOG").unwrap_or_else(|_| "info".to_owned()),
                )
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .expect("spawn the sluice binary");
            let mut sluice = Sluice {
                child,
                port,
                _reservation: reservation,
                flavor,
                dir,
                log,
                stopped: false,
            };
            match sluice.wait_ready() {
                Ok(()) => return sluice,
                Err(log_text) if log_text.contains("in use") => {
                    // Another process took the port between our probe and sluice's bind.
                    last_log = log_text;
                    continue;
                }
                Err(log_text) => panic!(
                    "sluice did not start (config {}):\n{log_text}",
                    sluice.dir.join("sluice.toml").display()
                ),
            }
        }
        panic!("sluice could not bind a free port in 5 attempts; last log:\n{last_log}");
    }

    /// Waits until the listener accepts; on failure returns the log.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Some(status) = self.child.try_wait().expect("poll sluice child") {
                self.stopped = true;
                return Err(format!("sluice exited with {status}:\n{}", self.log()));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return self.wait_monitored(deadline);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "sluice did not accept on {addr} within {START_TIMEOUT:?}:\n{}",
                    self.log()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the monitor has seen every backend (reads go to the primary until then), for
    /// at most [`MONITOR_WAIT`]: tests of unreachable backends start anyway.
    fn wait_monitored(&mut self, deadline: Instant) -> Result<(), String> {
        let deadline = deadline.min(Instant::now() + MONITOR_WAIT);
        while Instant::now() < deadline {
            if let Ok(mut conn) = Conn::new(self.opts()) {
                if monitor_states(&mut conn).is_ok_and(|s| s.iter().all(|s| s == "reachable")) {
                    return Ok(());
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything sluice logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_else(|err| format!("(cannot read log: {err})"))
    }

    /// Client options for a connection through sluice.
    pub fn opts(&self) -> OptsBuilder {
        client_opts(self.port)
    }

    /// A connection through sluice.
    pub fn conn(&self) -> Conn {
        Conn::new(self.opts()).unwrap_or_else(|err| {
            panic!(
                "cannot connect through sluice on port {}: {err}\nsluice log:\n{}",
                self.port,
                self.log()
            )
        })
    }

    /// Runs the `mariadb` CLI through sluice.
    pub fn cli(&self, sql: &str) -> CliOutput {
        self.cli_with(sql, &[])
    }

    /// Runs the `mariadb` CLI through sluice with extra arguments.
    pub fn cli_with(&self, sql: &str, extra: &[&str]) -> CliOutput {
        mariadb_cli(self.port, sql, extra)
    }

    /// Panics (with the log) unless the sluice process is still running.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("poll sluice child") {
            self.stopped = true;
            panic!(
                "sluice is no longer running ({status}); log:\n{}",
                self.log()
            );
        }
    }

    /// A field of /proc/PID/status in KiB (e.g. "VmRSS", "VmHWM").
    pub fn proc_status_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.pid());
        let text = fs::read_to_string(&path).expect("read /proc/PID/status of sluice");
        text.lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {path}:\n{text}"))
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    pub fn stop(mut self) -> ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> ExitStatus {
        if let Some(status) = self.child.try_wait().expect("poll sluice child") {
            self.stopped = true;
            return status;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll sluice child") {
                self.stopped = true;
                return status;
            }
            if Instant::now() > deadline {
                eprintln!("sluice did not exit within {STOP_TIMEOUT:?} of SIGTERM: killing it");
                let _ = self.child.kill();
                let status = self.child.wait().expect("wait for killed sluice");
                self.stopped = true;
                return status;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sluice {
    fn drop(&mut self) {
        if !self.stopped {
            let status = self.terminate();
            if !status.success() {
                eprintln!("warning: sluice exited with {status} after SIGTERM (expected 0)");
            }
        }
        if thread::panicking() {
            eprintln!(
                "---- sluice log ({}) ----\n{}\n---- end of sluice log ----",
                self.log.display(),
                tail(&self.log(), 200)
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A free port reserved for this process until dropped. sluice binds with SO_REUSEPORT, so two
/// sluice processes given the same port would silently share it instead of failing: test processes
/// running in parallel claim their ports through a file per port in a shared directory.
pub struct PortReservation {
    pub port: u16,
    file: PathBuf,
}

impl PortReservation {
    pub fn new() -> PortReservation {
        let dir = std::env::temp_dir().join("sluice-test-ports");
        fs::create_dir_all(&dir).expect("create the port reservation dir");
        for _ in 0..100 {
            let port = free_port();
            let file = dir.join(port.to_string());
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                Ok(mut f) => {
                    use std::io::Write as _;
                    let _ = write!(f, "{}", std::process::id());
                    return PortReservation { port, file };
                }
                Err(_) => {
                    // Taken; if its owner is gone, free it for a later round.
                    let owner = fs::read_to_string(&file).unwrap_or_default();
                    let alive = owner
                        .trim()
                        .parse::<u32>()
                        .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
                    if !alive {
                        let _ = fs::remove_file(&file);
                    }
                }
            }
        }
        panic!("could not reserve a free port in 100 attempts");
    }
}

impl Default for PortReservation {
    fn default() -> Self {
        PortReservation::new()
    }
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.file);
    }
}

/// What the `mariadb` CLI did.
#[derive(Debug)]
pub struct CliOutput {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
}

impl CliOutput {
    /// The stdout, panicking (with stderr) unless the client succeeded.
    pub fn ok(&self) -> &str {
        assert!(
            self.status.success(),
            "mariadb CLI failed ({}): {}",
            self.status,
            self.stderr
        );
        &self.stdout
    }
}

/// A MariaDB client program (`mariadb`, `mariadb-dump`, ...) set to log in as `app`/`app` to
/// `127.0.0.1:port` over TCP.
pub fn client_program(program: &str, port: u16) -> Command {
    let mut command = Command::new(program);
    command
        .arg("-h127.0.0.1")
        .arg(format!("-P{port}"))
        .arg(format!("-u{USER}"))
        .arg(format!("-p{PASSWORD}"))
        .arg("--protocol=TCP");
    command
}

/// Runs `mariadb -h127.0.0.1 -PPORT -uapp -papp --batch --skip-column-names EXTRA -e SQL sluice_test`.
pub fn mariadb_cli(port: u16, sql: &str, extra: &[&str]) -> CliOutput {
    let output = client_program("mariadb", port)
        .arg("--batch")
        .arg("--skip-column-names")
        .arg("--connect-timeout=10")
        .args(extra)
        .arg("-e")
        .arg(sql)
        .arg(DATABASE)
        .stdin(Stdio::null())
        .output()
        .expect("run the mariadb CLI (apt-get install mariadb-client)");
    CliOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status,
    }
}

/// The server error inside a client error, or a panic naming what was expected.
pub fn server_error<T: fmt::Debug>(result: mysql::Result<T>, what: &str) -> MySqlError {
    match result {
        Err(mysql::Error::MySqlError(err)) => err,
        Err(other) => panic!("{what}: expected a server ERR packet, got client error {other:?}"),
        Ok(value) => panic!("{what}: expected a server ERR packet, got success {value:?}"),
    }
}

/// The parts of a column definition a client sees (the table's own name is left out).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDump {
    pub name: String,
    pub column_type: String,
    pub flags: u16,
    pub character_set: u16,
    pub column_length: u32,
    pub decimals: u8,
}

/// One result (a result set, or an OK) of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct SetDump {
    pub columns: Vec<ColumnDump>,
    pub rows: Vec<Vec<Value>>,
    pub affected_rows: u64,
    pub last_insert_id: Option<u64>,
    pub warnings: u16,
    pub info: String,
}

/// The server error of a statement, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrDump {
    pub code: u16,
    pub state: String,
    pub message: String,
}

/// Everything a statement returned: its results, then an error if one ended it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub sets: Vec<SetDump>,
    pub error: Option<ErrDump>,
}

fn err_dump(err: mysql::Error, sql: &str) -> ErrDump {
    match err {
        mysql::Error::MySqlError(e) => ErrDump {
            code: e.code,
            state: e.state,
            message: e.message,
        },
        other => panic!("{sql:?}: client-side error (not a server ERR): {other:?}"),
    }
}

fn column_dump(column: &mysql::Column) -> ColumnDump {
    ColumnDump {
        name: column.name_str().into_owned(),
        column_type: format!("{:?}", column.column_type()),
        flags: column.flags().bits(),
        character_set: column.character_set(),
        column_length: column.column_length(),
        decimals: column.decimals(),
    }
}

/// Runs `sql` as a text query (COM_QUERY) and records every result set and error.
pub fn dump_query(conn: &mut Conn, sql: &str) -> Outcome {
    let mut outcome = Outcome {
        sets: Vec::new(),
        error: None,
    };
    let mut result = match conn.query_iter(sql) {
        Ok(result) => result,
        Err(err) => {
            outcome.error = Some(err_dump(err, sql));
            return outcome;
        }
    };
    while let Some(set) = result.iter() {
        let columns: Vec<ColumnDump> = set.columns().as_ref().iter().map(column_dump).collect();
        let mut rows = Vec::new();
        let mut error = None;
        let mut set = set;
        for row in set.by_ref() {
            match row {
                Ok(row) => rows.push(row.unwrap()),
                Err(err) => {
                    error = Some(err_dump(err, sql));
                    break;
                }
            }
        }
        let dump = SetDump {
            columns,
            rows,
            affected_rows: set.affected_rows(),
            last_insert_id: set.last_insert_id(),
            warnings: set.warnings(),
            info: set.info_str().into_owned(),
        };
        drop(set);
        outcome.sets.push(dump);
        if error.is_some() {
            outcome.error = error;
            break;
        }
    }
    outcome
}

/// Runs each statement in turn and records its outcome.
pub fn run_script(conn: &mut Conn, statements: &[&str]) -> Vec<Outcome> {
    statements.iter().map(|sql| dump_query(conn, sql)).collect()
}

/// Runs the script directly on the primary, then again through sluice (so a script that starts by
/// recreating its tables gives identical results both times), and asserts equal outcomes.
pub fn assert_script_same(via_sluice: &mut Conn, direct: &mut Conn, statements: &[&str]) {
    let expected = run_script(direct, statements);
    let through = run_script(via_sluice, statements);
    for ((sql, through), expected) in statements.iter().zip(&through).zip(&expected) {
        assert_eq!(
            through, expected,
            "{sql:?}: result through sluice (left) differs from direct to the primary (right)"
        );
    }
}

/// `query_drop` with a panic message naming the statement.
pub fn exec(conn: &mut Conn, sql: &str) {
    conn.query_drop(sql)
        .unwrap_or_else(|err| panic!("{sql:?} failed: {err}"));
}

// ---------------------------------------------------------------- routing helpers (issue 3)
//
// Where a statement ran is read from the server itself (`@@port` in the statement's own result)
// or from sluice's per-backend counters (`SHOW SLUICE BACKENDS`). While the routing layer is being
// built, `SLUICE_TEST_LOCATIONS=warn` turns every location assertion into a warning on stderr, so
// the result assertions can be checked on their own.

/// How long a test waits for the replicas to apply what it wrote on the primary.
pub const REPLICATION_TIMEOUT: Duration = Duration::from_secs(20);

/// Which server of `flavor` listens on `port`, for messages: "primary 3307", "replica 3308", ...
pub fn role_of(flavor: Flavor, port: u16) -> String {
    if port == flavor.primary_port() {
        format!("primary {port}")
    } else if flavor.replica_ports().contains(&port) {
        format!("replica {port}")
    } else {
        format!("unknown server {port}")
    }
}

/// A direct connection (no sluice) to one server of the topology, by port.
pub fn server_conn(port: u16) -> Conn {
    Conn::new(client_opts(port))
        .unwrap_or_else(|err| panic!("cannot connect directly to 127.0.0.1:{port}: {err}"))
}

/// `SELECT @@port` on `conn`: the server that ran it.
pub fn port_of(conn: &mut Conn) -> u16 {
    conn.query_first("SELECT @@port")
        .unwrap_or_else(|err| panic!("SELECT @@port failed: {err}"))
        .unwrap_or_else(|| panic!("SELECT @@port returned no row"))
}

/// Runs `SELECT @@port` `n` times and returns each answer.
pub fn ports_of(conn: &mut Conn, n: usize) -> Vec<u16> {
    (0..n).map(|_| port_of(conn)).collect()
}

/// How long [`until_both_replicas`] reads on.
pub const SPREAD_PATIENCE: Duration = Duration::from_secs(5);

/// Adds the ports of more reads (`read` returns the port of one) to `ports` until both replicas
/// of `flavor` are among them, for at most [`SPREAD_PATIENCE`]. Right after a session writes, a
/// replica that has not applied the write yet gets none of its reads (session consistency); under
/// the write load of tests running alongside that lasts tens of milliseconds, longer than a burst
/// of reads. A replica that never gets a read still fails [`assert_spread_over_replicas`].
pub fn until_both_replicas(flavor: Flavor, ports: &mut Vec<u16>, mut read: impl FnMut() -> u16) {
    let started = Instant::now();
    let both = |ports: &[u16]| flavor.replica_ports().iter().all(|r| ports.contains(r));
    while !both(ports) && started.elapsed() < SPREAD_PATIENCE {
        ports.push(read());
        thread::sleep(Duration::from_millis(5));
    }
}

/// [`ports_of`] `n` reads, then [`until_both_replicas`].
pub fn spread_ports_of(flavor: Flavor, conn: &mut Conn, n: usize) -> Vec<u16> {
    let mut ports = ports_of(conn, n);
    until_both_replicas(flavor, &mut ports, || port_of(conn));
    ports
}

/// Fails (or, with `SLUICE_TEST_LOCATIONS=warn`, warns) about where a statement ran.
pub fn location_check(ok: bool, message: impl FnOnce() -> String) {
    if ok {
        return;
    }
    let message = message();
    if std::env::var("SLUICE_TEST_LOCATIONS").is_ok_and(|v| v == "warn") {
        eprintln!("LOCATION CHECK FAILED (ignored, SLUICE_TEST_LOCATIONS=warn): {message}");
    } else {
        panic!("{message}");
    }
}

/// `port` must be the primary's: `what` ran there.
pub fn assert_on_primary(flavor: Flavor, port: u16, what: &str) {
    location_check(port == flavor.primary_port(), || {
        format!(
            "{what}: expected to run on the primary ({}), ran on {}",
            flavor.primary_port(),
            role_of(flavor, port)
        )
    });
}

/// `port` must be one of the replicas'.
pub fn assert_on_replica(flavor: Flavor, port: u16, what: &str) {
    let [r1, r2] = flavor.replica_ports();
    location_check(port == r1 || port == r2, || {
        format!(
            "{what}: expected to run on a replica ({r1} or {r2}), ran on {}",
            role_of(flavor, port)
        )
    });
}

/// Every port is a replica's, and both replicas appear (reads are spread over them).
pub fn assert_spread_over_replicas(flavor: Flavor, ports: &[u16], what: &str) {
    let [r1, r2] = flavor.replica_ports();
    let count = |p: u16| ports.iter().filter(|&&x| x == p).count();
    let primary = count(flavor.primary_port());
    let other = ports.len() - primary - count(r1) - count(r2);
    location_check(primary == 0 && other == 0, || {
        format!(
            "{what}: expected only replicas ({r1}, {r2}); of {} runs, {primary} ran on the \
             primary {}, {other} elsewhere, {} on replica {r1}, {} on replica {r2}",
            ports.len(),
            flavor.primary_port(),
            count(r1),
            count(r2)
        )
    });
    location_check(count(r1) > 0 && count(r2) > 0, || {
        format!(
            "{what}: expected reads spread over both replicas; of {} runs, replica {r1} ran {} \
             and replica {r2} ran {}",
            ports.len(),
            count(r1),
            count(r2)
        )
    });
}

/// Every port is the primary's.
pub fn assert_all_on_primary(flavor: Flavor, ports: &[u16], what: &str) {
    let elsewhere: Vec<u16> = ports
        .iter()
        .copied()
        .filter(|&p| p != flavor.primary_port())
        .collect();
    let mut servers = elsewhere.clone();
    servers.sort_unstable();
    servers.dedup();
    location_check(elsewhere.is_empty(), || {
        format!(
            "{what}: expected every run on the primary ({}); {} of {} ran elsewhere, on \
             {servers:?}",
            flavor.primary_port(),
            elsewhere.len(),
            ports.len()
        )
    });
}

/// Polls each replica directly until `sql` returns at least one row there (query errors, e.g. a
/// table not yet created, count as "not yet"); panics after [`REPLICATION_TIMEOUT`].
pub fn wait_replicated(flavor: Flavor, sql: &str) {
    for port in flavor.replica_ports() {
        let mut conn = server_conn(port);
        let deadline = Instant::now() + REPLICATION_TIMEOUT;
        loop {
            let last = match conn.query_iter(sql) {
                Ok(mut result) => {
                    let rows = result.iter().map_or(0, |set| set.count());
                    if rows > 0 {
                        break;
                    }
                    "no row".to_owned()
                }
                Err(err) => err.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "replica {port} did not apply the primary's writes within {REPLICATION_TIMEOUT:?}: \
                 {sql:?} still gives {last}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Runs SQL on one server as root through `scripts/topology.sh sql` (for what the app user may
/// not do: stored functions with binary logging on, statements kept out of the binlog, grants).
/// The tests run as root, like the topology script. Returns stdout (batch, no column names).
pub fn admin_sql(flavor: Flavor, port: u16, sql: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/topology.sh");
    let output = Command::new(script)
        .arg("sql")
        .arg(port.to_string())
        .arg("--flavor")
        .arg(flavor.name())
        .arg("--batch")
        .arg("--skip-column-names")
        .arg("-e")
        .arg(sql)
        .arg(DATABASE)
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/topology.sh sql");
    assert!(
        output.status.success(),
        "admin SQL on {} {port} failed ({}): {sql}\n{}",
        flavor.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One row of `SHOW SLUICE BACKENDS` (the columns the tests rely on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRow {
    pub name: String,
    /// `primary` or `replica`.
    pub role: String,
    /// `host:port`.
    pub address: String,
    /// Statements sluice routed to this backend so far.
    pub statements: u64,
}

impl BackendRow {
    /// The port at the end of `address`.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("SHOW SLUICE BACKENDS: no port in address {self:?}"))
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::NULL => String::new(),
        other => format!("{other:?}"),
    }
}

/// `SHOW SLUICE BACKENDS` through `conn` (a connection to sluice), one entry per backend.
pub fn show_backends(conn: &mut Conn) -> Vec<BackendRow> {
    try_show_backends(conn).unwrap_or_else(|why| panic!("{why}"))
}

/// `SHOW SLUICE BACKENDS`, or why it gave no usable answer.
pub fn try_show_backends(conn: &mut Conn) -> Result<Vec<BackendRow>, String> {
    let outcome = dump_query(conn, "SHOW SLUICE BACKENDS");
    if let Some(err) = &outcome.error {
        return Err(format!("SHOW SLUICE BACKENDS failed: {err:?}"));
    }
    let set = outcome
        .sets
        .first()
        .ok_or("SHOW SLUICE BACKENDS returned no result set")?;
    let column = |name: &str| {
        set.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "SHOW SLUICE BACKENDS has no column {name:?}; columns: {:?}",
                    set.columns.iter().map(|c| &c.name).collect::<Vec<_>>()
                )
            })
    };
    let (name, role, address, statements) = (
        column("name")?,
        column("role")?,
        column("address")?,
        column("statements")?,
    );
    set.rows
        .iter()
        .map(|row| {
            Ok(BackendRow {
                name: value_text(&row[name]),
                role: value_text(&row[role]),
                address: value_text(&row[address]),
                statements: value_text(&row[statements]).parse().map_err(|_| {
                    format!("SHOW SLUICE BACKENDS: statements is not a number in {row:?}")
                })?,
            })
        })
        .collect()
}

/// The `monitor` column of `SHOW SLUICE BACKENDS` (reachable, unreachable, unknown).
pub fn monitor_states(conn: &mut Conn) -> Result<Vec<String>, String> {
    let outcome = dump_query(conn, "SHOW SLUICE BACKENDS");
    if let Some(err) = &outcome.error {
        return Err(format!("SHOW SLUICE BACKENDS failed: {err:?}"));
    }
    let set = outcome.sets.first().ok_or("no result set")?;
    let i = set
        .columns
        .iter()
        .position(|c| c.name == "monitor")
        .ok_or("no monitor column")?;
    Ok(set.rows.iter().map(|r| value_text(&r[i])).collect())
}

/// `SHOW SLUICE STATUS` as name → value.
pub fn sluice_status(conn: &mut Conn) -> std::collections::HashMap<String, String> {
    let rows: Vec<(String, String)> = conn
        .query("SHOW SLUICE STATUS")
        .unwrap_or_else(|e| panic!("SHOW SLUICE STATUS: {e}"));
    rows.into_iter().collect()
}

/// A number from `SHOW SLUICE STATUS`.
pub fn status_number(conn: &mut Conn, name: &str) -> u64 {
    let status = sluice_status(conn);
    status
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("SHOW SLUICE STATUS has no number {name}: {status:?}"))
}

/// Per-port statement counters from `SHOW SLUICE BACKENDS`, or why they are unavailable.
pub fn backend_statements(conn: &mut Conn) -> Result<Vec<(u16, u64)>, String> {
    Ok(try_show_backends(conn)?
        .iter()
        .map(|b| (b.port(), b.statements))
        .collect())
}

/// Runs `body` on the sluice connection `conn` and checks with sluice's counters that the
/// statements it sent ran on the primary only: the primary's counter grew, the replicas' did not.
/// Use for statements whose result cannot carry `@@port` (errors, EXPLAIN, SET GLOBAL, ...).
/// `conn` must be the only client of this sluice while `body` runs.
pub fn assert_counted_on_primary<T>(
    flavor: Flavor,
    conn: &mut Conn,
    what: &str,
    body: impl FnOnce(&mut Conn) -> T,
) -> T {
    let before = backend_statements(conn);
    let result = body(conn);
    let after = backend_statements(conn);
    let (before, after) = match (before, after) {
        (Ok(b), Ok(a)) => (b, a),
        (Err(why), _) | (_, Err(why)) => {
            location_check(false, || {
                format!("{what}: expected to run on the primary; cannot tell: {why}")
            });
            return result;
        }
    };
    let delta = |port: u16| {
        let get =
            |list: &[(u16, u64)]| list.iter().find(|(p, _)| *p == port).map_or(0, |(_, n)| *n);
        get(&after).saturating_sub(get(&before))
    };
    let primary = delta(flavor.primary_port());
    let [r1, r2] = flavor.replica_ports();
    location_check(primary > 0 && delta(r1) == 0 && delta(r2) == 0, || {
        format!(
            "{what}: expected to run on the primary; SHOW SLUICE BACKENDS counted {primary} \
             statement(s) on the primary, {} on replica {r1}, {} on replica {r2}",
            delta(r1),
            delta(r2)
        )
    });
    result
}

/// The client-visible metadata of columns, comparable across servers.
pub fn column_dumps(columns: &[mysql::Column]) -> Vec<ColumnDump> {
    columns.iter().map(column_dump).collect()
}

/// The first row of `sql`, panicking with the statement on failure or when there is none.
pub fn row_of<T: mysql::prelude::FromRow>(conn: &mut Conn, sql: &str) -> T {
    conn.query_first(sql)
        .unwrap_or_else(|err| panic!("{sql:?}: {err}"))
        .unwrap_or_else(|| panic!("{sql:?}: no row"))
}
