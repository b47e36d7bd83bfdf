//! Statements sluice answers itself, never sent to a server: `SHOW SLUICE BACKENDS` (one row
//! per backend: role, address, health, weight, connections, statements routed there and why,
//! and what the monitor sees: reachability, lag, executed GTIDs, whether it follows the binlog),
//! `SHOW SLUICE STATUS` (the consistent read path: replica/primary reads, waits and their
//! percentiles, fallbacks by reason; and per replica how soon after a commit's ack the monitor saw
//! it applied), `SET [SESSION] sluice_consistency = …` and `SELECT @@sluice_consistency`, and
//! `SELECT @@sluice_last_gtid`. It must not route statements.

use std::sync::atomic::Ordering;

use super::outbox::{send_err, send_ok};
use super::run::Session;
use super::SessionError;
use crate::classify::{Classification, SluiceCommand};
use crate::config::ConsistencyLevel;
use crate::error::{codes, MysqlError};
use crate::net::Net;
use crate::protocol::resultset::{write_result_set, ColumnKind, ColumnSpec};
use crate::router::{BackendCounters, FallbackReason, Role};

/// The columns of `SHOW SLUICE BACKENDS`.
const BACKEND_COLUMNS: &[(&str, ColumnKind)] = &[
    ("name", ColumnKind::Text),
    ("role", ColumnKind::Text),
    ("address", ColumnKind::Text),
    ("state", ColumnKind::Text),
    ("read_weight", ColumnKind::UnsignedInt),
    ("connections", ColumnKind::UnsignedInt),
    ("idle_connections", ColumnKind::UnsignedInt),
    ("statements", ColumnKind::UnsignedInt),
    ("by_class", ColumnKind::UnsignedInt),
    ("by_hint", ColumnKind::UnsignedInt),
    ("pinned", ColumnKind::UnsignedInt),
    ("same_connection", ColumnKind::UnsignedInt),
    ("fallback", ColumnKind::UnsignedInt),
    ("commands", ColumnKind::UnsignedInt),
    ("retries", ColumnKind::UnsignedInt),
    ("failures", ColumnKind::UnsignedInt),
    ("primary_reasons", ColumnKind::Text),
    ("monitor", ColumnKind::Text),
    ("lag_ms", ColumnKind::Text),
    ("gtid_executed", ColumnKind::Text),
    ("push", ColumnKind::Text),
];

/// The columns of `SHOW SLUICE STATUS`.
const STATUS_COLUMNS: &[(&str, ColumnKind)] = &[
    ("Variable_name", ColumnKind::Text),
    ("Value", ColumnKind::Text),
];

impl<N: Net> Session<'_, N> {
    pub(super) async fn sluice_statement(
        &mut self,
        c: &Classification<'_>,
        seq: u8,
    ) -> Result<(), SessionError> {
        let status = self.state.pins.status();
        let caps = self.login.capabilities;
        let mut out = Vec::new();
        match c.sluice {
            Some(SluiceCommand::Show(what)) if what.eq_ignore_ascii_case(b"backends") => {
                let rows = self.backend_rows();
                let cols: Vec<ColumnSpec<'_>> = BACKEND_COLUMNS
                    .iter()
                    .map(|&(name, kind)| ColumnSpec { name, kind })
                    .collect();
                write_result_set(&mut out, seq, caps, status, &cols, &rows);
            }
            Some(SluiceCommand::Show(what)) if what.eq_ignore_ascii_case(b"status") => {
                let rows = self.status_rows();
                let cols: Vec<ColumnSpec<'_>> = STATUS_COLUMNS
                    .iter()
                    .map(|&(name, kind)| ColumnSpec { name, kind })
                    .collect();
                write_result_set(&mut out, seq, caps, status, &cols, &rows);
            }
            Some(SluiceCommand::Show(what)) => {
                let err = MysqlError::new(
                    codes::SYNTAX_ERROR,
                    "42000",
                    format!(
                        "Unknown SHOW SLUICE target '{}' (known: BACKENDS, STATUS)",
                        String::from_utf8_lossy(what)
                    ),
                );
                return send_err(&mut self.client, seq, &err)
                    .await
                    .map_err(Into::into);
            }
            Some(SluiceCommand::SetConsistency(value)) => {
                let text = String::from_utf8_lossy(value);
                return match text.to_ascii_lowercase().parse::<ConsistencyLevel>() {
                    Ok(level) => {
                        self.consistency = level;
                        send_ok(&mut self.client, seq, status)
                            .await
                            .map_err(Into::into)
                    }
                    Err(_) => {
                        let err = MysqlError::new(
                            codes::WRONG_VALUE_FOR_VAR,
                            "42000",
                            format!("Variable 'sluice_consistency' can't be set to the value of '{text}'"),
                        );
                        send_err(&mut self.client, seq, &err)
                            .await
                            .map_err(Into::into)
                    }
                };
            }
            Some(SluiceCommand::SelectConsistency) => {
                let col = [ColumnSpec {
                    name: "@@sluice_consistency",
                    kind: ColumnKind::Text,
                }];
                let rows = vec![vec![Some(self.consistency.as_str().to_owned())]];
                write_result_set(&mut out, seq, caps, status, &col, &rows);
            }
            Some(SluiceCommand::SelectLastGtid) => {
                let col = [ColumnSpec {
                    name: "@@sluice_last_gtid",
                    kind: ColumnKind::Text,
                }];
                let rows = vec![vec![self.last_gtid_text()]];
                write_result_set(&mut out, seq, caps, status, &col, &rows);
            }
            None => {
                let err =
                    MysqlError::new(codes::UNKNOWN_ERROR, "HY000", "unknown sluice statement");
                return send_err(&mut self.client, seq, &err)
                    .await
                    .map_err(Into::into);
            }
        }
        self.client.write_all(&out).await.map_err(Into::into)
    }

    fn backend_rows(&self) -> Vec<Vec<Option<String>>> {
        let n = |c: &std::sync::atomic::AtomicU64| Some(BackendCounters::get(c).to_string());
        let g =
            |c: &std::sync::atomic::AtomicI64| Some(c.load(Ordering::Relaxed).max(0).to_string());
        let view = self.ctx.cluster().view.load();
        self.ctx
            .cluster()
            .backends
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let c = &b.counters;
                let seen = view.backend(i).filter(|v| v.observed_at.is_some());
                let monitor = match seen {
                    None => "unknown",
                    Some(v) if v.reachable => "reachable",
                    Some(_) => "unreachable",
                };
                vec![
                    Some(b.name.to_string()),
                    Some(b.role.as_str().to_owned()),
                    Some(b.address.clone()),
                    Some(b.health.state().to_owned()),
                    Some(b.read_weight.to_string()),
                    g(&c.open_connections),
                    g(&c.idle_connections),
                    n(&c.statements),
                    n(&c.class),
                    n(&c.hint),
                    n(&c.pinned),
                    n(&c.same_connection),
                    n(&c.fallback),
                    n(&c.command),
                    n(&c.retries),
                    n(&c.failures),
                    Some(c.reasons_text()),
                    Some(monitor.to_owned()),
                    seen.and_then(|v| v.lag)
                        .map(|d| format!("{:.3}", d.as_secs_f64() * 1e3)),
                    seen.and_then(|v| v.executed.as_ref())
                        .map(|g| g.to_string()),
                    Some(self.ctx.cluster().push.status(i).to_string()),
                ]
            })
            .collect()
    }

    /// `SHOW SLUICE STATUS`: the consistent read path's counters (all shards).
    fn status_rows(&self) -> Vec<Vec<Option<String>>> {
        let cluster = self.ctx.cluster();
        let r = &cluster.reads;
        let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed).to_string();
        let waits = r.waits();
        let avg = r.wait_us_total() / waits.max(1);
        let mut rows: Vec<(String, String)> = vec![
            ("replica_reads".into(), n(&r.replica_reads)),
            ("primary_reads".into(), n(&r.primary_reads)),
            ("waits".into(), waits.to_string()),
            ("wait_avg_us".into(), avg.to_string()),
            ("wait_p50_us".into(), r.wait_quantile_us(0.5).to_string()),
            ("wait_p99_us".into(), r.wait_quantile_us(0.99).to_string()),
            ("wait_p999_us".into(), r.wait_quantile_us(0.999).to_string()),
            ("wait_max_us".into(), r.wait_us_max().to_string()),
            ("global_probes".into(), n(&r.probes)),
            ("global_probes_skipped".into(), n(&r.probes_skipped)),
        ];
        for reason in FallbackReason::ALL {
            rows.push((
                format!("fallback_{}", reason.as_str()),
                r.fallbacks(reason).to_string(),
            ));
        }
        rows.push(("view_epoch".into(), cluster.view.load().epoch.to_string()));
        rows.push((
            "latest_commit".into(),
            cluster
                .latest
                .get()
                .map(|g| g.to_string())
                .unwrap_or_default(),
        ));
        let f = &cluster.freshness;
        for (i, b) in cluster.backends.iter().enumerate() {
            let Some(h) = f.backend(i).filter(|_| b.role == Role::Replica) else {
                continue;
            };
            let name = &b.name;
            rows.push((
                format!("freshness_{name}_p50_us"),
                h.quantile_us(0.5).to_string(),
            ));
            rows.push((
                format!("freshness_{name}_p99_us"),
                h.quantile_us(0.99).to_string(),
            ));
            rows.push((format!("freshness_{name}_samples"), h.count().to_string()));
        }
        rows.push(("freshness_given_up".into(), f.given_up().to_string()));
        let p = cluster.push.counts();
        rows.push(("push_gtids".into(), p.gtids.to_string()));
        rows.push(("push_polls".into(), p.polls.to_string()));
        rows.push(("push_retries".into(), p.retries.to_string()));
        rows.push(("push_unconfirmed".into(), p.unconfirmed.to_string()));
        rows.into_iter()
            .map(|(k, v)| vec![Some(k), Some(v)])
            .collect()
    }
}
