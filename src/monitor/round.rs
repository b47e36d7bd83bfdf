//! `RoundState`: what the poll rounds have learnt so far, and how one round's results are folded
//! into it — reachability, executed positions, lag from the primary's position history, the
//! primary probe — and turned into a `ClusterView`. A round may poll only some links (a push
//! round): the others keep what they had.
//!
//! It owns the folding and the reachability log lines. It must not poll, schedule rounds or
//! publish (`poller` does), and has no clock of its own: callers pass the instants.

use std::time::{Duration, Instant};

use tracing::info;

use crate::gtid::{GtidSet, Movement};
use crate::router::PRIMARY;

use super::lag::History;
use super::link::{Link, Polled};
use super::view::{BackendView, ClusterView, PrimaryProbe};
use super::MonitorError;

/// What one link gave in a round.
#[derive(Debug)]
pub enum Outcome {
    /// Not polled this round (a push round for other replicas).
    NotPolled,
    /// The link is down.
    Down,
    /// The poll's result.
    Answered(Result<Polled, MonitorError>),
}

/// What the rounds have learnt so far.
pub(super) struct RoundState {
    pub(super) backends: Vec<BackendView>,
    history: History,
    probe: Option<PrimaryProbe>,
    /// The reachability last logged per backend (`None`: not logged yet).
    announced: Vec<Option<bool>>,
    /// Why each backend's last poll failed.
    errors: Vec<Option<String>>,
}

impl RoundState {
    pub(super) fn new(backends: usize, keep_history: Duration) -> Self {
        Self {
            backends: vec![BackendView::default(); backends],
            history: History::new(keep_history),
            probe: None,
            announced: vec![None; backends],
            errors: vec![None; backends],
        }
    }

    /// Backend `i`'s last polled position.
    pub(super) fn executed(&self, i: usize) -> Option<&GtidSet> {
        self.backends.get(i)?.executed.as_ref()
    }

    /// Takes one round's results, measured at `now`.
    pub(super) fn fold(&mut self, results: Vec<Outcome>, now: Instant) {
        for (i, result) in results.into_iter().enumerate() {
            let Some(b) = self.backends.get_mut(i) else {
                continue;
            };
            match result {
                Outcome::Answered(Ok(p)) => {
                    if i == PRIMARY {
                        self.history.observe(p.received_at, &p.executed);
                        let writer = self.probe.as_ref().and_then(|old| {
                            match p.executed.movement_since(&old.executed) {
                                Movement::Still => old.writer,
                                Movement::One(source) => Some(source),
                                Movement::Many => None,
                            }
                        });
                        self.probe = Some(PrimaryProbe {
                            sent_at: p.sent_at,
                            executed: p.executed.clone(),
                            writer,
                        });
                    }
                    b.reachable = true;
                    b.executed = Some(p.executed);
                    b.observed_at = Some(p.received_at);
                    self.errors[i] = None;
                }
                Outcome::Answered(Err(e)) => {
                    b.reachable = false;
                    self.errors[i] = Some(e.to_string());
                }
                Outcome::Down => b.reachable = false,
                Outcome::NotPolled => {}
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
    pub(super) fn announce<S>(&mut self, links: &[Link<S>]) {
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

    pub(super) fn view(&self, flavor: Option<crate::gtid::Flavor>) -> ClusterView {
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
    use crate::gtid::{Flavor, Source};

    fn pos(seq: u64) -> GtidSet {
        GtidSet::parse(&format!("0-1-{seq}"), Flavor::MariaDb).expect("valid")
    }

    fn polled(at: Instant, seq: u64) -> Outcome {
        Outcome::Answered(Ok(Polled {
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
        s.fold(vec![polled(t0, 5), polled(t0, 5), Outcome::Down], t0);
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
                Outcome::Answered(Err(MonitorError::TimedOut(2000))),
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
        // Domain 0 advanced (5 -> 6), then nothing: still the one writer.
        assert_eq!(probe.writer, Some(Source::MariaDb(0)));
    }

    #[test]
    fn the_probe_names_the_writer_only_while_one_source_advances() {
        let t0 = Instant::now();
        let at = |text: &str| {
            Outcome::Answered(Ok(Polled {
                sent_at: t0,
                received_at: t0,
                executed: GtidSet::parse(text, Flavor::MariaDb).expect("valid"),
            }))
        };
        let mut s = RoundState::new(1, Duration::from_secs(60));
        let writer = |s: &RoundState| s.view(None).primary_probe.and_then(|p| p.writer);
        s.fold(vec![at("0-1-5,1-1-2")], t0);
        assert_eq!(writer(&s), None, "one probe: nothing compared yet");
        s.fold(vec![at("0-1-6,1-1-2")], t0);
        assert_eq!(writer(&s), Some(Source::MariaDb(0)));
        s.fold(vec![at("0-1-7,1-1-3")], t0);
        assert_eq!(writer(&s), None, "two domains advanced");
        s.fold(vec![at("0-1-7,1-1-3")], t0);
        assert_eq!(writer(&s), None, "no movement keeps what was known");
        s.fold(vec![at("0-1-7,1-1-4")], t0);
        assert_eq!(writer(&s), Some(Source::MariaDb(1)));
    }

    #[test]
    fn primary_failure_keeps_the_last_probe_and_history() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = RoundState::new(2, ms(60_000));
        s.fold(vec![polled(t0, 9), polled(t0, 8)], t0);
        s.fold(vec![Outcome::Down, polled(t0 + ms(50), 8)], t0 + ms(50));
        let v = s.view(None);
        assert!(!v.reachable(0));
        assert_eq!(v.lag_ms(0), None);
        assert_eq!(v.lag_ms(1), Some(50.0));
        assert_eq!(v.primary_probe.map(|p| p.sent_at), Some(t0));
    }

    #[test]
    fn push_rounds_leave_unpolled_backends_as_they_were() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = RoundState::new(3, ms(60_000));
        s.fold(vec![polled(t0, 9), polled(t0, 8), polled(t0, 7)], t0);
        s.fold(
            vec![
                Outcome::NotPolled,
                polled(t0 + ms(5), 9),
                Outcome::NotPolled,
            ],
            t0 + ms(5),
        );
        let v = s.view(None);
        assert!(v.reachable(0) && v.reachable(1) && v.reachable(2));
        assert_eq!(v.executed(1), Some(&pos(9)));
        assert_eq!(v.executed(2), Some(&pos(7)));
        assert_eq!(v.backends[2].observed_at, Some(t0));
        assert_eq!(v.lag_ms(1), Some(0.0));
        assert_eq!(
            v.lag_ms(2),
            Some(5.0),
            "still measured against the primary's history"
        );
        assert_eq!(v.primary_probe.map(|p| p.sent_at), Some(t0));
    }
}
