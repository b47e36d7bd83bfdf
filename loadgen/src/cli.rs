//! The command line: every option with its default and help text. Values are parsed here
//! (durations, enums); checks that involve several options are in `crate::settings`.
//!
//! It must not hold any logic beyond parsing.

use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::client::Protocol;

/// sluice's load generator: sysbench-like OLTP workloads and a read-after-write consistency
/// checker, for any MySQL-protocol endpoint.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Args {
    /// `run` the workload, or `prepare` (create and fill the missing sbtest tables, then exit).
    #[arg(value_enum, default_value_t = Action::Run)]
    pub action: Action,

    /// Server (or proxy) host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server (or proxy) port.
    #[arg(long, default_value_t = 3306)]
    pub port: u16,
    /// User name.
    #[arg(long, short = 'u', default_value = "root")]
    pub user: String,
    /// Password.
    #[arg(long, short = 'p', default_value = "")]
    pub password: String,
    /// Database holding the sbtest tables (and the sluice_check table).
    #[arg(long, default_value = "sbtest")]
    pub database: String,

    /// What to run.
    #[arg(long, value_enum, default_value_t = WorkloadKind::PointSelect)]
    pub workload: WorkloadKind,
    /// Client connections (tasks on the worker threads).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub connections: u32,
    /// Worker threads, each an io_uring executor running its share of the connections. Default:
    /// one per CPU (or per --cpus entry), at most one per connection.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// Pin the worker threads to these CPUs, in turn: `0,2`, `1-3`, `0,4-7`. Default: unpinned.
    #[arg(long, value_parser = parse_cpus)]
    pub cpus: Option<CpuList>,
    /// How long to measure (after the warmup): 30s, 2m, 500ms. Default 10s, or no limit with --reads.
    #[arg(long, value_parser = crate::duration::parse)]
    pub duration: Option<Duration>,
    /// How long to run before measuring (excluded from the results).
    #[arg(long, default_value = "0s", value_parser = crate::duration::parse)]
    pub warmup: Duration,
    /// Closed loop only: pause after each request.
    #[arg(long, default_value = "0s", value_parser = crate::duration::parse, conflicts_with = "rate")]
    pub think_time: Duration,
    /// Open loop: requests per second over all connections, at fixed intervals; latency counts
    /// from each request's scheduled time (coordinated omission corrected).
    #[arg(long)]
    pub rate: Option<f64>,
    /// How statements are sent.
    #[arg(long, value_enum, default_value_t = Protocol::Prepared)]
    pub protocol: Protocol,
    /// Print the final report as one JSON object on stdout (live lines stay on stderr).
    #[arg(long)]
    pub json: bool,

    /// Number of sbtest tables.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub tables: u32,
    /// Rows per sbtest table.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub table_size: u32,
    /// Create and fill the missing sbtest tables before running.
    #[arg(long)]
    pub prepare: bool,

    /// read-after-write: which guarantee to check.
    #[arg(long, value_enum, default_value_t = CheckKind::Session)]
    pub check: CheckKind,
    /// read-after-write: the primary's @@port, to count primary and replica reads.
    #[arg(long)]
    pub primary_port: Option<u16>,
    /// read-after-write: exit with code 3 if more reads than this are stale.
    #[arg(long)]
    pub max_stale: Option<u64>,
    /// A statement each connection runs once after connecting, e.g.
    /// "SET sluice_consistency = 'eventual'" (repeatable).
    #[arg(long = "init-sql")]
    pub init_sql: Vec<String>,
    /// read-after-write: stop after this many checked reads.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub reads: Option<u64>,
}

/// A list of CPU ids, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuList(pub Vec<usize>);

/// Parses `0,2-3` into `[0, 2, 3]`.
fn parse_cpus(text: &str) -> Result<CpuList, String> {
    let mut cpus = Vec::new();
    for part in text.split(',') {
        let bad = || format!("`{part}` is not a CPU id or range (like 0,2-3)");
        let (first, last) = match part.trim().split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part.trim(), part.trim()),
        };
        let first: usize = first.parse().map_err(|_| bad())?;
        let last: usize = last.parse().map_err(|_| bad())?;
        if last < first || last - first >= 4096 {
            return Err(bad());
        }
        cpus.extend(first..=last);
    }
    Ok(CpuList(cpus))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Action {
    Run,
    Prepare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadKind {
    /// sysbench oltp_point_select: one `SELECT c ... WHERE id=?` per request.
    PointSelect,
    /// sysbench oltp_read_only: a transaction of 10 point selects and 4 range queries.
    ReadOnly,
    /// sysbench oltp_read_write: read-only's queries plus 2 updates, a delete and an insert.
    ReadWrite,
    /// sysbench oltp_write_only: a transaction of 2 updates, a delete and an insert.
    WriteOnly,
    /// The consistency checker: writes, then reads that must see them (see --check).
    ReadAfterWrite,
}

impl WorkloadKind {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::PointSelect => "point-select",
            WorkloadKind::ReadOnly => "read-only",
            WorkloadKind::ReadWrite => "read-write",
            WorkloadKind::WriteOnly => "write-only",
            WorkloadKind::ReadAfterWrite => "read-after-write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckKind {
    /// Each connection reads its own row right after writing it.
    Session,
    /// Half the connections write shared rows, the other half read them and must see every
    /// acknowledged write.
    Global,
}

impl CheckKind {
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Session => "session",
            CheckKind::Global => "global",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn the_issue_example_parses() {
        let args = Args::try_parse_from([
            "loadgen",
            "--host",
            "h",
            "--port",
            "3307",
            "--user",
            "app",
            "--password",
            "app",
            "--workload",
            "point-select",
            "--connections",
            "8",
            "--duration",
            "30s",
            "--rate",
            "1000",
            "--json",
        ])
        .expect("parses");
        assert_eq!(args.action, Action::Run);
        assert_eq!(args.duration, Some(Duration::from_secs(30)));
        assert_eq!(args.rate, Some(1000.0));
        assert_eq!(args.protocol, Protocol::Prepared);
        let prepare =
            Args::try_parse_from(["loadgen", "--tables", "2", "prepare"]).expect("parses");
        assert_eq!(prepare.action, Action::Prepare);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpus("0,2-3"), Ok(CpuList(vec![0, 2, 3])));
        assert_eq!(parse_cpus("5"), Ok(CpuList(vec![5])));
        assert!(parse_cpus("3-1").is_err());
        assert!(parse_cpus("a").is_err());
        assert!(parse_cpus("").is_err());
        let args =
            Args::try_parse_from(["loadgen", "--threads", "2", "--cpus", "0-1"]).expect("parses");
        assert_eq!(args.threads, Some(2));
        assert_eq!(args.cpus, Some(CpuList(vec![0, 1])));
    }

    #[test]
    fn think_time_and_rate_conflict() {
        let err = Args::try_parse_from(["loadgen", "--rate", "10", "--think-time", "1ms"]);
        assert!(err.is_err());
        assert!(Args::try_parse_from(["loadgen", "--duration", "ten"]).is_err());
    }
}
