//! The monitor's two loops, run together in one task: the poll rounds and the logins.
//!
//! A round sends the position query to every connected backend at once, waits for all replies
//! (each bounded by the timeout), folds them into the per-backend state (reachable, executed,
//! lag from the primary's position history, the primary probe) and publishes one `ClusterView`.
//! Between rounds it sleeps `poll_interval`, or `fast_poll_interval` while sessions wait or a probe
//! is pending, and an idle sleep ends at once on demand. The login loop opens the links that are
//! down, with back-off, and wakes when a round finds one broken.
//!
//! This file owns the schedule and the folding of results into views. It must not decode packets
//! (`query`), hold connections (`link`) or know the runtime (it sees `net::Net` only).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future;
use tracing::info;

use crate::net::Net;
use crate::router::{Cluster, PRIMARY};
use crate::signal::Signal;

use super::join::join_all;
use super::lag::History;
use super::link::{Link, MonitorLogin, Polled};
use super::view::{BackendView, ClusterView, PrimaryProbe};
use super::MonitorError;

/// Longest the monitor goes without looking at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(50);

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
}

/// Everything the loops share.
pub struct Monitor<'a, N: Net> {
    pub net: &'a N,
    pub cluster: &'a Cluster,
    pub links: &'a [Link<N::Stream>],
    pub login: MonitorLogin<'a>,
    pub settings: Settings,
    pub stop: &'a AtomicBool,
}

impl<N: Net> Monitor<'_, N> {
    /// Runs both loops until the stop flag is set, then closes the links.
    pub async fn run(&self) {
        let broken = Signal::new();
        let connected = Signal::new();
        future::zip(
            self.poll_loop(&broken, &connected),
            self.login_loop(&broken, &connected),
        )
        .await;
        for link in self.links {
            link.quit().await;
        }
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
    /// ends the pause, so a new link is polled at once.
    async fn poll_loop(&self, broken: &Signal, connected: &Signal) {
        let mut state = RoundState::new(self.links.len(), self.settings.keep_history);
        while !self.stopped() {
            let cell = &self.cluster.view;
            let logged_in = connected.wait();
            // Taken before the primary's query is sent: that query answers this request.
            cell.take_probe_request();
            let polls = self
                .links
                .iter()
                .map(|l| l.poll(self.net, self.settings.timeout));
            let Some(results) = self.unless_stopped(join_all(polls)).await else {
                break;
            };
            let polled_any = results.iter().any(Option::is_some);
            if results.iter().flatten().any(|r| r.as_ref().is_err()) {
                broken.notify();
            }
            state.fold(results, Instant::now());
            state.announce(self.links);
            cell.publish(state.view(self.flavor()));
            future::or(self.pause(polled_any), logged_in).await;
        }
    }

    /// The servers' flavor: the primary's, else any backend's.
    fn flavor(&self) -> Option<crate::gtid::Flavor> {
        self.links
            .get(PRIMARY)
            .and_then(Link::flavor)
            .or_else(|| self.links.iter().find_map(Link::flavor))
    }

    /// Waits before the next round.
    async fn pause(&self, polled_any: bool) {
        let cell = &self.cluster.view;
        if !polled_any {
            // Nothing to poll until a login succeeds (which ends the pause): do not spin.
            self.net
                .sleep(self.settings.poll_interval.min(STOP_CHECK))
                .await;
            return;
        }
        if cell.waiting_count() > 0 || cell.probe_requested() {
            if !self.settings.fast_poll_interval.is_zero() {
                self.net.sleep(self.settings.fast_poll_interval).await;
            }
            return;
        }
        let deadline = Instant::now() + self.settings.poll_interval;
        while !self.stopped() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let demanded = future::or(
                async {
                    self.net.sleep(left.min(STOP_CHECK)).await;
                    false
                },
                async {
                    cell.demand().await;
                    true
                },
            )
            .await;
            if demanded {
                return;
            }
        }
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

/// What the rounds have learnt so far.
struct RoundState {
    backends: Vec<BackendView>,
    history: History,
    probe: Option<PrimaryProbe>,
    /// The reachability last logged per backend (`None`: not logged yet).
    announced: Vec<Option<bool>>,
    /// Why each backend's last poll failed.
    errors: Vec<Option<String>>,
}

impl RoundState {
    fn new(backends: usize, keep_history: Duration) -> Self {
        Self {
            backends: vec![BackendView::default(); backends],
            history: History::new(keep_history),
            probe: None,
            announced: vec![None; backends],
            errors: vec![None; backends],
        }
    }

    /// Takes one round's results (`None`: link down), measured at `now`.
    fn fold(&mut self, results: Vec<Option<Result<Polled, MonitorError>>>, now: Instant) {
        for (i, result) in results.into_iter().enumerate() {
            let Some(b) = self.backends.get_mut(i) else {
                continue;
            };
            match result {
                Some(Ok(p)) => {
                    if i == PRIMARY {
                        self.history.observe(p.received_at, &p.executed);
                        self.probe = Some(PrimaryProbe {
                            sent_at: p.sent_at,
                            executed: p.executed.clone(),
                        });
                    }
                    b.reachable = true;
                    b.executed = Some(p.executed);
                    b.observed_at = Some(p.received_at);
                    self.errors[i] = None;
                }
                Some(Err(e)) => {
                    b.reachable = false;
                    self.errors[i] = Some(e.to_string());
                }
                None => b.reachable = false,
            }
        }
        for (i, b) in self.backends.iter_mut().enumerate() {
            b.lag = match (&b.executed, b.reachable) {
                (_, false) | (None, _) => None,
                (Some(_), true) if i == PRIMARY => Some(Duration::ZERO),
                (Some(executed), true) => self.history.lag(executed, now),
            };
        }
    }

    /// Logs each backend whose reachability changed (once known: after its first login attempt).
    fn announce<S>(&mut self, links: &[Link<S>]) {
        for (i, link) in links.iter().enumerate() {
            let Some(b) = self.backends.get(i) else {
                continue;
            };
            if !b.reachable && !link.tried() {
                continue;
            }
            if self.announced[i] == Some(b.reachable) {
                continue;
            }
            self.announced[i] = Some(b.reachable);
            let name = &link.target.name;
            let addr = link.target.addr;
            if b.reachable {
                info!(backend = %name, %addr, "monitor: backend reachable");
            } else {
                let error = self.errors[i].clone().or_else(|| link.last_error());
                let error = error.as_deref().unwrap_or("not connected");
                info!(backend = %name, %addr, error, "monitor: backend unreachable");
            }
        }
    }

    fn view(&self, flavor: Option<crate::gtid::Flavor>) -> ClusterView {
        ClusterView {
            epoch: 0,
            flavor,
            backends: self.backends.clone(),
            primary_probe: self.probe.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::{Flavor, GtidSet};

    fn pos(seq: u64) -> GtidSet {
        GtidSet::parse(&format!("0-1-{seq}"), Flavor::MariaDb).expect("valid")
    }

    fn polled(at: Instant, seq: u64) -> Option<Result<Polled, MonitorError>> {
        Some(Ok(Polled {
            sent_at: at,
            received_at: at,
            executed: pos(seq),
        }))
    }

    #[test]
    fn rounds_fold_into_reachability_positions_lag_and_probe() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = RoundState::new(3, ms(60_000));
        s.fold(vec![polled(t0, 5), polled(t0, 5), None], t0);
        let v = s.view(Some(Flavor::MariaDb));
        assert_eq!(v.lag_ms(0), Some(0.0));
        assert_eq!(v.lag_ms(1), Some(0.0));
        assert!(!v.reachable(2));
        assert_eq!(v.lag_ms(2), None, "unreachable: unknown");
        assert_eq!(v.primary_probe.as_ref().map(|p| &p.executed), Some(&pos(5)));

        // The primary moves on; replica 1 stays behind; replica 2 fails after one answer.
        s.fold(
            vec![
                polled(t0 + ms(100), 6),
                polled(t0 + ms(100), 5),
                polled(t0, 6),
            ],
            t0 + ms(100),
        );
        s.fold(
            vec![
                polled(t0 + ms(300), 6),
                polled(t0 + ms(300), 5),
                Some(Err(MonitorError::TimedOut(2000))),
            ],
            t0 + ms(300),
        );
        let v = s.view(None);
        assert_eq!(v.lag_ms(1), Some(200.0));
        assert!(!v.reachable(2));
        assert_eq!(v.executed(2), Some(&pos(6)), "kept from the last poll");
        assert_eq!(v.backends[2].observed_at, Some(t0));
        let probe = v.primary_probe.expect("probe");
        assert_eq!(probe.sent_at, t0 + ms(300));
    }

    #[test]
    fn primary_failure_keeps_the_last_probe_and_history() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = RoundState::new(2, ms(60_000));
        s.fold(vec![polled(t0, 9), polled(t0, 8)], t0);
        s.fold(vec![None, polled(t0 + ms(50), 8)], t0 + ms(50));
        let v = s.view(None);
        assert!(!v.reachable(0));
        assert_eq!(v.lag_ms(0), None);
        assert_eq!(v.lag_ms(1), Some(50.0));
        assert_eq!(v.primary_probe.map(|p| p.sent_at), Some(t0));
    }
}
