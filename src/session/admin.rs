//! Statements sluice answers itself, never sent to a server: `SHOW SLUICE BACKENDS` (one row
//! per backend: role, address, health, weight, connections, and statements routed there and
//! why), `SET [SESSION] sluice_consistency = …` and `SELECT @@sluice_consistency`, and
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
use crate::router::BackendCounters;

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
            Some(SluiceCommand::Show(what)) => {
                let err = MysqlError::new(
                    codes::SYNTAX_ERROR,
                    "42000",
                    format!(
                        "Unknown SHOW SLUICE target '{}' (known: BACKENDS)",
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
                // Commit tracking arrives with the consistency levels: no GTID known yet.
                let rows = vec![vec![None]];
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
        self.ctx
            .cluster()
            .backends
            .iter()
            .map(|b| {
                let c = &b.counters;
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
                ]
            })
            .collect()
    }
}
