//! From the parsed command line to what a run needs: connection options, the run plan, the data
//! shape, and the checks that involve several options (with clear messages).
//!
//! It must not connect or run anything.

use std::time::Duration;

use crate::check::IDS_PER_RUN;
use crate::cli::{Action, Args, CheckKind, WorkloadKind};
use crate::client::ConnectOpts;
use crate::error::LoadgenError;
use crate::runner::Plan;
use crate::workload::oltp::{OltpKind, Shape};

/// How long a run measures when neither --duration nor --reads is given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub action: Action,
    pub workload: WorkloadKind,
    pub check: CheckKind,
    pub opts: ConnectOpts,
    pub plan: Plan,
    pub shape: Shape,
    pub prepare: bool,
    pub json: bool,
    pub primary_port: Option<u16>,
    pub max_stale: Option<u64>,
}

impl Settings {
    pub fn from_args(args: &Args) -> Result<Settings, LoadgenError> {
        let usage = |msg: &str| Err(LoadgenError::Usage(msg.to_owned()));
        let checker = args.workload == WorkloadKind::ReadAfterWrite;
        if args
            .rate
            .is_some_and(|rate| !(rate.is_finite() && rate > 0.0))
        {
            return usage("--rate must be a positive number of requests per second");
        }
        if args.reads.is_some() && !checker {
            return usage("--reads only applies to --workload read-after-write");
        }
        if args.duration == Some(Duration::ZERO) {
            return usage("--duration must be longer than 0");
        }
        let connections = args.connections as usize;
        if checker && args.check == CheckKind::Global && connections < 2 {
            return usage("--check global needs at least 2 connections (writers and readers)");
        }
        if checker && connections as i64 > IDS_PER_RUN {
            return usage("read-after-write supports at most 65536 connections");
        }
        let cpus = args.cpus.as_ref().map(|list| list.0.clone());
        let threads = match (args.threads, &cpus) {
            (Some(threads), _) => threads as usize,
            (None, Some(cpus)) => cpus.len(),
            (None, None) => std::thread::available_parallelism().map_or(1, usize::from),
        }
        .min(connections);
        let duration = match (args.duration, args.reads) {
            (Some(duration), _) => Some(duration),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_DURATION),
        };
        Ok(Settings {
            action: args.action,
            workload: args.workload,
            check: args.check,
            opts: ConnectOpts {
                host: args.host.clone(),
                port: args.port,
                user: args.user.clone(),
                password: args.password.clone(),
                database: Some(args.database.clone()),
                protocol: args.protocol,
                init_sql: args.init_sql.clone(),
            },
            plan: Plan {
                connections,
                threads,
                cpus,
                warmup: args.warmup,
                duration,
                reads: args.reads,
                rate: args.rate,
                think_time: args.think_time,
                show_stale: checker,
            },
            shape: Shape {
                tables: args.tables,
                table_size: args.table_size,
            },
            prepare: args.prepare || args.action == Action::Prepare,
            json: args.json,
            primary_port: args.primary_port,
            max_stale: args.max_stale,
        })
    }

    /// The OLTP kind of the workload (`None` for the checker).
    pub fn oltp(&self) -> Option<OltpKind> {
        match self.workload {
            WorkloadKind::PointSelect => Some(OltpKind::PointSelect),
            WorkloadKind::ReadOnly => Some(OltpKind::ReadOnly),
            WorkloadKind::ReadWrite => Some(OltpKind::ReadWrite),
            WorkloadKind::WriteOnly => Some(OltpKind::WriteOnly),
            WorkloadKind::ReadAfterWrite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> Result<Settings, LoadgenError> {
        let mut all = vec!["loadgen"];
        all.extend_from_slice(args);
        Settings::from_args(&Args::try_parse_from(all).expect("parses"))
    }

    #[test]
    fn durations_default_to_ten_seconds_or_the_read_count() {
        let plain = settings(&[]).expect("valid");
        assert_eq!(plain.plan.duration, Some(DEFAULT_DURATION));
        assert!(!plain.plan.show_stale);
        let reads = settings(&["--workload", "read-after-write", "--reads", "100"]).expect("valid");
        assert_eq!(reads.plan.duration, None);
        assert_eq!(reads.plan.reads, Some(100));
        assert!(reads.plan.show_stale);
    }

    #[test]
    fn threads_default_to_the_cpus_and_never_exceed_the_connections() {
        let one = settings(&[]).expect("valid");
        assert_eq!(one.plan.threads, 1, "one connection, one thread");
        let listed = settings(&["--connections", "8", "--cpus", "0,1,1"]).expect("valid");
        assert_eq!(listed.plan.threads, 3);
        assert_eq!(listed.plan.cpus, Some(vec![0, 1, 1]));
        let many = settings(&["--connections", "3", "--threads", "16"]).expect("valid");
        assert_eq!(many.plan.threads, 3);
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let default = settings(&["--connections", "65536"]).expect("valid");
        assert_eq!(default.plan.threads, cpus);
    }

    #[test]
    fn bad_combinations_are_usage_errors() {
        for args in [
            &["--rate", "0"][..],
            &["--rate", "NaN"],
            &["--reads", "10"],
            &["--duration", "0s"],
            &["--workload", "read-after-write", "--check", "global"],
        ] {
            let err = settings(args).expect_err("invalid");
            assert_eq!(err.exit_code(), crate::error::EXIT_USAGE, "{args:?}: {err}");
        }
    }
}
