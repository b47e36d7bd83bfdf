//! The monitor's loops, run together in one task: the poll rounds, the logins, and (with
//! `[monitor] push`) one binlog follower per replica.
//!
//! A full round sends the position query to every connected backend at once, waits for all
//! replies (each bounded by the timeout), folds them into the per-backend state (reachable,
//! executed, lag from the primary's position history, the primary probe) and publishes one
//! `ClusterView`. Full rounds come every `poll_interval`, or every `fast_poll_interval` while
//! sessions wait or a probe is pending, and an idle pause ends at once on demand. Between them, a
//! push round polls only the replicas whose follower reported a new GTID (and, while a polled
//! position does not cover it yet, polls them again shortly), then publishes too. After each
//! publish the freshness tracker matches acknowledged commits against the new positions. The
//! login loop opens the links that are down, with back-off, and wakes when a round finds one
//! broken.
//!
//! This file owns the schedule (folding a round's results into a view is `round`'s). It must not
//! decode packets (`query`, `binlog`), hold connections (`link`) or know the runtime (it sees
//! `net::Net` only).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future;

use crate::gtid::GtidSet;
use crate::net::Net;
use crate::router::{Cluster, Role, PRIMARY};
use crate::signal::{Signal, SignalWait};

use super::binlog::dump::server_id;
use super::binlog::{Follower, Pushes};
use super::freshness::Tracker;
use super::join::join_all;
use super::link::{Link, MonitorLogin};
use super::push_board::PushStatus;
use super::round::{Outcome, RoundState};

/// Longest the monitor goes without looking at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(50);
/// While reads wait, followed replicas are still polled by a round at least this often (a push
/// whose confirmation was given up, a follower that went quiet).
const SWEEP_EVERY: Duration = Duration::from_millis(10);

/// The monitor's timing.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Between rounds when nobody waits.
    pub poll_interval: Duration,
    /// Between rounds while sessions wait or a probe is pending (zero: back to back).
    pub fast_poll_interval: Duration,
    /// Limit on one login and on one poll's reply.
    pub timeout: Duration,
    /// How long the primary's positions are remembered for lag (twice the latency threshold).
    pub keep_history: Duration,
    /// Whether replicas' binlogs are followed (`[monitor] push`).
    pub push: bool,
}

/// Everything the loops share.
pub struct Monitor<'a, N: Net> {
    pub net: &'a N,
    pub cluster: &'a Cluster,
    pub links: &'a [Link<N::Stream>],
    pub login: MonitorLogin<'a>,
    pub settings: Settings,
    pub stop: &'a AtomicBool,
    /// What the binlog followers report (one entry per link).
    pub pushes: &'a Pushes,
    /// The base of the followers' replication server ids.
    pub server_id_base: u32,
}

impl<N: Net> Monitor<'_, N> {
    /// Runs the loops until the stop flag is set, then closes the links.
    pub async fn run(&self) {
        let broken = Signal::new();
        let connected = Signal::new();
        future::zip(
            future::zip(
                self.poll_loop(&broken, &connected),
                self.login_loop(&broken, &connected),
            ),
            self.follow_loop(),
        )
        .await;
        for link in self.links {
            link.quit().await;
        }
    }

    /// Follows every replica's binlog until stopped (nothing to do with `push` off).
    async fn follow_loop(&self) {
        if !self.settings.push {
            return;
        }
        let followers: Vec<Follower<'_, N>> = self
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.role == Role::Replica)
            .map(|(i, l)| Follower {
                net: self.net,
                target: &l.target,
                login: &self.login,
                server_id: server_id(self.server_id_base, i),
                index: i,
                pushes: self.pushes,
            })
            .collect();
        self.unless_stopped(join_all(followers.iter().map(Follower::run)))
            .await;
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Resolves once the stop flag is set (looked at every [`STOP_CHECK`]).
    async fn until_stopped(&self) {
        while !self.stopped() {
            self.net.sleep(STOP_CHECK).await;
        }
    }

    /// Runs `fut` unless the stop flag is set first.
    async fn unless_stopped<T>(&self, fut: impl std::future::Future<Output = T>) -> Option<T> {
        future::or(async { Some(fut.await) }, async {
            self.until_stopped().await;
            None
        })
        .await
    }

    /// Rounds until stopped. `broken` tells the login loop a link failed; `connected` from it
    /// ends the pause with a full round, so a new link is polled at once.
    async fn poll_loop(&self, broken: &Signal, connected: &Signal) {
        let mut state = RoundState::new(self.links.len(), self.settings.keep_history);
        let replicas: Vec<bool> = self.links.iter().map(|l| l.role == Role::Replica).collect();
        let mut freshness = Tracker::new(&replicas);
        let mut last_full: Option<(Instant, bool)> = None;
        let mut last_sweep: Option<Instant> = None;
        while !self.stopped() {
            let cell = &self.cluster.view;
            let logged_in = connected.wait();
            let now = Instant::now();
            let full = self.full_due(last_full).map_or(true, |due| now >= due);
            let fast = cell.waiting_count() > 0 || cell.probe_requested();
            // Taken before the primary's query is sent: that query answers this request.
            let probe = full && cell.take_probe_request();
            // While reads wait, fast rounds poll the primary only for a probe (`global` reads)
            // and the replicas whose binlog is not followed; a followed replica is polled when
            // it applies something (its pushes). Every backend is polled at least every
            // SWEEP_EVERY (lag, a push whose confirmation was given up, a quiet follower). That
            // keeps the servers and this core from being polled flat out while reads wait.
            let sweep = last_sweep.map_or(true, |at: Instant| now >= at + SWEEP_EVERY);
            let selected: Vec<bool> = (0..self.links.len())
                .map(|i| {
                    let in_round = full
                        && (!fast
                            || sweep
                            || if i == PRIMARY {
                                probe
                            } else {
                                self.pushes.status(i) != PushStatus::On
                            });
                    self.pushes.take_due(i, now) || in_round
                })
                .collect();
            if full && (!fast || sweep) {
                last_sweep = Some(now);
            }
            if !selected.contains(&true) {
                // A fast round with nothing to poll: no new view to publish (publishing would
                // wake every waiting read for nothing).
                if full {
                    last_full = Some((now, true));
                }
                if self.pause(last_full, logged_in).await {
                    last_full = None;
                }
                continue;
            }
            let before: Vec<Option<GtidSet>> = (0..self.links.len())
                .map(|i| {
                    let pending = selected[i] && self.pushes.has_pending(i);
                    pending.then(|| state.executed(i).cloned()).flatten()
                })
                .collect();
            let polls = self
                .links
                .iter()
                .zip(&selected)
                .map(|(l, &polled)| async move {
                    if !polled {
                        return Outcome::NotPolled;
                    }
                    match l.poll(self.net, self.settings.timeout).await {
                        None => Outcome::Down,
                        Some(r) => Outcome::Answered(r),
                    }
                });
            let Some(results) = self.unless_stopped(join_all(polls)).await else {
                break;
            };
            let answered: Vec<bool> = results
                .iter()
                .map(|r| matches!(r, Outcome::Answered(Ok(_))))
                .collect();
            if results
                .iter()
                .any(|r| matches!(r, Outcome::Answered(Err(_))))
            {
                broken.notify();
            }
            let now = Instant::now();
            state.fold(results, now);
            for (i, &ok) in answered.iter().enumerate() {
                if !selected[i] {
                    continue;
                }
                if ok {
                    self.pushes
                        .confirm(i, before[i].as_ref(), state.executed(i), now);
                } else {
                    self.pushes.abandon(i);
                }
            }
            state.announce(self.links);
            cell.publish(state.view(self.flavor()));
            self.cluster
                .push
                .show(self.pushes.statuses(), self.pushes.counts());
            freshness.observe(
                &self.cluster.latest,
                &state.backends,
                Instant::now(),
                &self.cluster.freshness,
            );
            if full {
                last_full = Some((now, answered.contains(&true)));
            }
            if self.pause(last_full, logged_in).await {
                last_full = None;
            }
        }
    }

    /// The servers' flavor: the primary's, else any backend's.
    fn flavor(&self) -> Option<crate::gtid::Flavor> {
        self.links
            .get(PRIMARY)
            .and_then(Link::flavor)
            .or_else(|| self.links.iter().find_map(Link::flavor))
    }

    /// When the next full round is due, after the last one at `.0` (`.1`: whether it polled
    /// anything); `None`: now.
    fn full_due(&self, last_full: Option<(Instant, bool)>) -> Option<Instant> {
        let (at, polled_any) = last_full?;
        let cell = &self.cluster.view;
        let s = &self.settings;
        Some(if !polled_any {
            // Nothing to poll until a login succeeds (which ends the pause): do not spin.
            at + s.poll_interval.min(STOP_CHECK)
        } else if cell.waiting_count() > 0 || cell.probe_requested() {
            at + s.fast_poll_interval
        } else {
            at + s.poll_interval
        })
    }

    /// Waits before the next round: until a full round is due, a push or a confirming poll is
    /// due, sessions demand fresh data, or a login succeeded. Returns whether a full round must
    /// come at once (demand, login).
    async fn pause(&self, last_full: Option<(Instant, bool)>, logged_in: SignalWait) -> bool {
        let cell = &self.cluster.view;
        let mut logged_in = logged_in;
        while !self.stopped() {
            let pushed = self.pushes.wait();
            if self.pushes.any_wanted() {
                return false;
            }
            let Some(full) = self.full_due(last_full) else {
                return true;
            };
            let until = self.pushes.next_retry().map_or(full, |r| r.min(full));
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // While sessions wait, the fast interval applies: demand is already answered.
            let idle = cell.waiting_count() == 0 && !cell.probe_requested();
            let woke = future::or(
                future::or(
                    async {
                        self.net.sleep(left.min(STOP_CHECK)).await;
                        Wake::Timer
                    },
                    async {
                        pushed.await;
                        Wake::Push
                    },
                ),
                future::or(
                    async {
                        if idle {
                            cell.demand().await;
                        } else {
                            future::pending::<()>().await;
                        }
                        Wake::Full
                    },
                    async {
                        (&mut logged_in).await;
                        Wake::Full
                    },
                ),
            )
            .await;
            match woke {
                Wake::Full => return true,
                Wake::Push => return false,
                Wake::Timer => {}
            }
        }
        false
    }

    async fn login_loop(&self, broken: &Signal, connected: &Signal) {
        while !self.stopped() {
            let woken = broken.wait();
            let now = Instant::now();
            let due: Vec<&Link<N::Stream>> =
                self.links.iter().filter(|l| l.login_due(now)).collect();
            if !due.is_empty() {
                let logins = due.into_iter().map(|l| l.connect(self.net, &self.login));
                let Some(succeeded) = self.unless_stopped(join_all(logins)).await else {
                    return;
                };
                if succeeded.contains(&true) {
                    connected.notify();
                }
                continue;
            }
            let wait = self
                .links
                .iter()
                .filter_map(Link::next_attempt)
                .min()
                .map_or(STOP_CHECK, |t| t.saturating_duration_since(now))
                .min(STOP_CHECK);
            future::or(self.net.sleep(wait), woken).await;
        }
    }
}

/// Why a pause ended.
enum Wake {
    /// A sleep ended: look at the schedule again.
    Timer,
    /// A follower reported a GTID.
    Push,
    /// Sessions demand fresh data, or a link logged in.
    Full,
}
