//! One invocation of loadgen from start to end, on the main thread's executor: open a control
//! connection (which is where an unreachable server, a refused login or a missing database is
//! reported), prepare what is missing, check the tables, run the workload (the runner blocks this
//! thread while the worker threads run; the control connection idles meanwhile), clean up the
//! checker's rows, print the report and choose the exit code.
//!
//! It must not hold workload, timing or formatting logic of its own; it only wires the modules.

use std::sync::Arc;

use crate::check::global::{seed_rows, writers, GlobalCheck, Published};
use crate::check::session::SessionCheck;
use crate::check::{delete_rows, RunRows, CREATE_TABLE};
use crate::cli::{Action, CheckKind};
use crate::client::wire::Wire;
use crate::client::{Client, ClientError};
use crate::error::{LoadgenError, EXIT_TOO_STALE};
use crate::report::{json, text, CheckInfo, Report, RunInfo};
use crate::rng::Rng;
use crate::runner::{self, Outcome, StartError};
use crate::settings::Settings;
use crate::workload::oltp::{Oltp, OltpKind};
use crate::workload::prepare::{prepare_tables, table_exists, table_name, TableOutcome};

/// Runs what `settings` asks for and returns the exit code.
pub async fn run(settings: &Settings) -> Result<u8, LoadgenError> {
    let opts = &settings.opts;
    let mut control = Wire::connect(opts)
        .await
        .map_err(|err| LoadgenError::connect(opts, err))?;
    let seed = Rng::seed_from_clock();
    if settings.prepare {
        prepare(settings, &mut control, seed).await?;
        if settings.action == Action::Prepare {
            return Ok(0);
        }
    }
    let outcome = match settings.oltp() {
        Some(kind) => run_oltp(settings, &mut control, kind, seed).await?,
        None => run_check(settings, &mut control, seed).await?,
    };
    control.close().await;
    let report = Report {
        run: RunInfo {
            workload: settings.workload.name(),
            protocol: opts.protocol.name(),
            connections: settings.plan.connections,
            threads: settings.plan.threads,
            rate: settings.plan.rate,
            warmup: settings.plan.warmup,
        },
        check: settings.oltp().is_none().then(|| CheckInfo {
            kind: settings.check.name(),
            primary_port: settings.primary_port,
            max_stale: settings.max_stale,
        }),
        totals: outcome.totals,
        measured: outcome.measured,
        cpu: outcome.cpu,
    };
    if settings.json {
        println!("{}", json::render(&report));
    } else {
        print!("{}", text::render(&report));
    }
    Ok(if report.too_stale() {
        EXIT_TOO_STALE
    } else {
        0
    })
}

async fn prepare(settings: &Settings, control: &mut Wire, seed: u64) -> Result<(), LoadgenError> {
    if settings.oltp().is_none() {
        control
            .query(CREATE_TABLE)
            .await
            .map_err(LoadgenError::setup("creating table sluice_check"))?;
        eprintln!("sluice_check: ready");
        return Ok(());
    }
    let outcomes = prepare_tables::<Wire>(
        &settings.opts,
        settings.shape,
        settings.plan.connections,
        seed,
        |line| eprintln!("{line}"),
    )
    .await
    .map_err(LoadgenError::setup("preparing the sbtest tables"))?;
    if settings.json && settings.action == Action::Prepare {
        let (mut created, mut existed) = (Vec::new(), Vec::new());
        for outcome in outcomes {
            match outcome {
                TableOutcome::Created { table, .. } => created.push(table),
                TableOutcome::Existed { table } => existed.push(table),
            }
        }
        println!(
            "{}",
            serde_json::json!({ "created": created, "existing": existed })
        );
    }
    Ok(())
}

async fn run_oltp(
    settings: &Settings,
    control: &mut Wire,
    kind: OltpKind,
    seed: u64,
) -> Result<Outcome, LoadgenError> {
    for t in 1..=settings.shape.tables {
        let table = table_name(t);
        let exists = table_exists(control, &table)
            .await
            .map_err(LoadgenError::setup(format!("looking for table {table}")))?;
        if !exists {
            return Err(LoadgenError::MissingTable {
                table,
                database: settings.opts.database.clone().unwrap_or_default(),
            });
        }
    }
    let mut seeds = Rng::new(seed);
    let workloads = (0..settings.plan.connections)
        .map(|_| Oltp::new(kind, settings.shape, seeds.next_u64()))
        .collect();
    runner::run::<Wire, _>(&settings.opts, &settings.plan, workloads)
        .map_err(|err| start_error(settings, err))
}

fn start_error(settings: &Settings, err: StartError) -> LoadgenError {
    match err {
        StartError::Connect(err) => LoadgenError::connect(&settings.opts, err),
        StartError::Prepare(err) => LoadgenError::setup("preparing the workload's statements")(err),
        err @ (StartError::Runtime(_) | StartError::Stopped) => {
            LoadgenError::Runtime(err.to_string())
        }
    }
}

async fn run_check(
    settings: &Settings,
    control: &mut Wire,
    seed: u64,
) -> Result<Outcome, LoadgenError> {
    control
        .query(CREATE_TABLE)
        .await
        .map_err(LoadgenError::setup("creating table sluice_check"))?;
    let rows = RunRows::from_run_id(seed);
    let connections = settings.plan.connections;
    let outcome = match settings.check {
        CheckKind::Session => {
            let workloads = (0..connections)
                .map(|i| SessionCheck::new(rows.id(i)))
                .collect();
            runner::run::<Wire, _>(&settings.opts, &settings.plan, workloads)
        }
        CheckKind::Global => {
            let published = Arc::new(Published::new(writers(connections)));
            seed_rows(control, rows, published.rows())
                .await
                .map_err(LoadgenError::setup("writing the shared sluice_check rows"))?;
            let workloads = (0..connections)
                .map(|i| GlobalCheck::new(i, rows, published.clone()))
                .collect();
            runner::run::<Wire, _>(&settings.opts, &settings.plan, workloads)
        }
    };
    if let Err(err) = clean_up(settings, control, rows).await {
        eprintln!(
            "loadgen: warning: could not delete this run's sluice_check rows (ids {}..={}): {err}",
            rows.first(),
            rows.last()
        );
    }
    outcome.map_err(|err| start_error(settings, err))
}

/// Deletes the run's rows, on a new connection if the control connection is gone.
async fn clean_up(
    settings: &Settings,
    control: &mut Wire,
    rows: RunRows,
) -> Result<(), ClientError> {
    match delete_rows(control, rows).await {
        Err(err) if err.connection_lost() => {
            let mut fresh = Wire::connect(&settings.opts).await?;
            let deleted = delete_rows(&mut fresh, rows).await;
            fresh.close().await;
            deleted
        }
        other => other,
    }
}
