//! The session's read consistency: what a read must see and where it may go. The session
//! remembers the GTID of its last commit (reported by the primary in the OK packet) and merges
//! it into the cluster-wide latest position. Before a read goes to a replica, the statement's
//! level decides what the replica must cover:
//!
//! - `eventual`: nothing (any replica within the latency threshold);
//! - `session`: the session's last commit (commits are applied in order on the replicas, so the
//!   last one implies the earlier ones);
//! - `global`: the primary's executed position read by a probe *sent after the read arrived*
//!   (one probe, made by the monitor, serves every read waiting for it), plus the session's own
//!   last commit;
//! - and, for any level, a `/* sluice: min_gtid=… */` the client passed.
//!
//! If no usable replica covers it, the read waits (woken when the monitor publishes a new view)
//! up to `read_consistency_timeout`, then goes to the primary. It must not send statements.

use std::time::Instant;

use super::exec::Target;
use super::run::Session;
use crate::classify::Hints;
use crate::config::ConsistencyLevel;
use crate::error::{ErrorInfo, MysqlError, Origin};
use crate::gtid::{Flavor, GtidSet};
use crate::net::{with_timeout, Net};
use crate::router::{choose_read, FallbackReason, ReadVerdict, RouteWhy, PRIMARY};
use futures_lite::future::or;

/// What the current statement asks of a read beyond the session's level.
#[derive(Debug, Clone, Default)]
pub(super) struct ReadNeed {
    /// A `consistency=` hint for this statement.
    pub level: Option<ConsistencyLevel>,
    /// A `min_gtid=` hint for this statement, parsed.
    pub min_gtid: Option<GtidSet>,
}

impl ReadNeed {
    /// The needs of a statement with these hints; an unreadable `min_gtid` is the client's
    /// error (ER_MALFORMED_GTID_SET_SPECIFICATION). `flavor`: the primary's.
    pub fn of(hints: &Hints<'_>, flavor: Flavor) -> Result<Self, MysqlError> {
        let min_gtid = match hints.min_gtid {
            None => None,
            Some(text) => {
                let text = String::from_utf8_lossy(text);
                let set = GtidSet::parse(text.trim(), flavor).map_err(|e| {
                    e.with_origin(Origin::Client)
                        .mysql_error()
                        .unwrap_or_else(|| MysqlError::new(1772, "HY000", "Malformed GTID set"))
                })?;
                Some(set)
            }
        };
        Ok(Self {
            level: hints.consistency,
            min_gtid,
        })
    }
}

impl<N: Net> Session<'_, N> {
    /// The primary's flavour, as the greeting sluice shows tells it.
    pub(super) fn primary_flavor(&self) -> Flavor {
        if let Some(set) = &self.last_commit {
            return set.flavor();
        }
        if self.ctx.identity().version.contains("MariaDB") {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        }
    }

    /// The primary reported a commit (GTID text of the connection's `flavor`).
    pub(super) fn note_commit(&mut self, text: &[u8], flavor: Flavor) {
        let Some(set) = std::str::from_utf8(text)
            .ok()
            .and_then(|t| GtidSet::parse(t.trim(), flavor).ok())
        else {
            tracing::warn!(
                gtid = %String::from_utf8_lossy(text),
                "unreadable commit GTID from the primary; this session's next reads go to the primary"
            );
            self.last_commit_unknown = true;
            return;
        };
        let cluster = self.ctx.cluster();
        cluster.latest.merge(&set);
        let view = cluster.view.load();
        self.ctx
            .commit_watermark
            .note(self.command_arrival, &set, view.primary_probe.as_ref());
        self.last_commit_unknown = false;
        self.last_commit = Some(set);
    }

    /// The text of the session's last commit GTID, for `SELECT @@sluice_last_gtid`.
    pub(super) fn last_gtid_text(&self) -> Option<String> {
        self.last_commit.as_ref().map(|s| s.to_string())
    }

    /// COM_RESET_CONNECTION / COM_CHANGE_USER: the level returns to the listener's.
    pub(super) fn reset_consistency(&mut self) {
        self.consistency = self.ctx.consistency;
    }

    /// Where a read goes (see the module doc), waiting for a replica if it must. `need`: the
    /// statement's hints; `arrival`: when the command arrived (a `global` read must see what was
    /// committed before it).
    pub(super) async fn read_target(
        &mut self,
        need: &ReadNeed,
        why: RouteWhy,
        excluded: u64,
        arrival: Instant,
    ) -> Target {
        let level = need.level.unwrap_or(self.consistency);
        let cluster = self.ctx.cluster();
        if self.last_commit_unknown && level != ConsistencyLevel::Eventual {
            cluster.reads.primary_reads.fetch_add(1, relaxed());
            return Target::Backend(PRIMARY, RouteWhy::Fallback);
        }
        let cell = &cluster.view;
        let timeout = self.ctx.reads.read_consistency_timeout;
        let threshold = self.ctx.reads.latency_threshold;
        let deadline = arrival + timeout;
        let global = level == ConsistencyLevel::Global;
        let (mut probe_asked, mut skip_counted) = (false, false);
        let mut waiting = None;
        let mut wait_start = None;
        loop {
            let view = cell.load();
            let probe = view
                .primary_probe
                .as_ref()
                .filter(|p| p.sent_at >= arrival)
                .map(|p| &p.executed);
            // Without a fresh probe, a commit made after this read arrived may prove the position.
            let proven = match (global, probe) {
                (true, None) => self.ctx.commit_watermark.covering(arrival),
                _ => None,
            };
            let position = probe.or(proven.as_deref());
            let verdict = if global && position.is_none() {
                if !probe_asked {
                    probe_asked = true;
                    cluster.reads.probes.fetch_add(1, relaxed());
                }
                cell.request_probe();
                None
            } else {
                if proven.is_some() && !skip_counted {
                    skip_counted = true;
                    cluster.reads.probes_skipped.fetch_add(1, relaxed());
                }
                let own = (level != ConsistencyLevel::Eventual)
                    .then_some(self.last_commit.as_ref())
                    .flatten();
                let required = [own, need.min_gtid.as_ref(), position];
                Some(choose_read(
                    cluster,
                    &view,
                    &self.ctx.chooser,
                    &required,
                    excluded,
                    threshold,
                ))
            };
            let target = match verdict {
                Some(ReadVerdict::Go { backend, partial }) => {
                    if partial {
                        // Replicas the view shows behind may have caught up: ask the monitor
                        // for a fresh round so the next reads spread by weight again.
                        cell.request_probe();
                    }
                    Some(Target::Backend(backend, why))
                }
                Some(ReadVerdict::Primary(reason)) => {
                    cluster.reads.fallback(reason);
                    Some(Target::Backend(PRIMARY, RouteWhy::Fallback))
                }
                Some(ReadVerdict::Wait) | None => None,
            };
            let now = Instant::now();
            let target = target.or_else(|| {
                (now >= deadline).then(|| {
                    let reason = if verdict.is_none() {
                        FallbackReason::Probe
                    } else {
                        FallbackReason::Timeout
                    };
                    cluster.reads.fallback(reason);
                    Target::Backend(PRIMARY, RouteWhy::Fallback)
                })
            });
            if let Some(target) = target {
                if let Some(start) = wait_start {
                    cluster.reads.waited(now.saturating_duration_since(start));
                }
                let counter = match target {
                    Target::Backend(PRIMARY, _) => &cluster.reads.primary_reads,
                    _ => &cluster.reads.replica_reads,
                };
                counter.fetch_add(1, relaxed());
                return target;
            }
            if waiting.is_none() {
                waiting = Some(cell.waiting());
                wait_start = Some(now);
            }
            let epoch = view.epoch;
            let unproven = global && position.is_none();
            drop(view);
            let changed = cell.changed(epoch);
            if unproven {
                // A commit through this shard may prove the position before the probe answers.
                let watermark = &self.ctx.commit_watermark;
                let proven = watermark.advanced(watermark.generation());
                with_timeout(&self.ctx.net, deadline - now, or(changed, proven)).await;
            } else {
                with_timeout(&self.ctx.net, deadline - now, changed).await;
            }
        }
    }
}

fn relaxed() -> std::sync::atomic::Ordering {
    std::sync::atomic::Ordering::Relaxed
}
