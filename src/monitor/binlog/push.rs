//! `Pushes`: what the binlog followers tell the poller, one [`PushLink`] per backend (same
//! indexes as the monitor's links). A follower marks its replica *wanted* when a GTID event
//! arrives and wakes the poller; the poller polls that replica at once and then *confirms*: the
//! polled position covers the pushed GTIDs (done), or not yet — the binlog is written just
//! before the commit becomes visible — and it polls again after [`RETRY_DELAY`], a few times.
//! Published positions therefore always come from polls, never from the stream.
//!
//! It owns the wake-up signal, the pending GTIDs, the retry schedule and each follower's status.
//! It is monitor-local (one thread, interior mutability, no borrow held across an await). It
//! must not poll, publish, or read the stream.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use crate::gtid::{Gtid, GtidSet};
use crate::signal::{Signal, SignalWait};

use super::super::push_board::{PushCounts, PushStatus};

/// Wait before polling again a replica whose polled position lacks a pushed GTID.
pub const RETRY_DELAY: Duration = Duration::from_micros(150);
/// Polls after which pushed GTIDs that never showed up are left to the regular rounds.
pub const MAX_RETRIES: u32 = 8;

/// The followers' side of every backend, and the poller's wake-up.
pub struct Pushes {
    links: Vec<PushLink>,
    signal: Signal,
    counts: Cell<PushCounts>,
}

/// One backend's pushed-but-unconfirmed state and its follower's status.
#[derive(Default)]
pub struct PushLink {
    status: RefCell<PushStatus>,
    /// A GTID arrived since a round last polled this backend.
    wanted: Cell<bool>,
    /// GTIDs pushed and not yet seen in a polled position.
    pending: RefCell<Option<GtidSet>>,
    /// A GTID arrived that was not decoded: any change of the polled position confirms it.
    undecoded: Cell<bool>,
    /// Polls made for the pending GTIDs without seeing them.
    retries: Cell<u32>,
    /// When the next confirming poll is due.
    retry_at: Cell<Option<Instant>>,
}

impl Pushes {
    /// State for `backends` backends, every follower off.
    pub fn new(backends: usize) -> Self {
        Self {
            links: (0..backends).map(|_| PushLink::default()).collect(),
            signal: Signal::new(),
            counts: Cell::new(PushCounts::default()),
        }
    }

    fn link(&self, i: usize) -> Option<&PushLink> {
        self.links.get(i)
    }

    /// Follower: a transaction (`Some(gtid)`, or one whose GTID was not decoded) arrived on
    /// backend `i`'s binlog; the poller is woken.
    pub fn pushed(&self, i: usize, gtid: Option<&Gtid>) {
        let Some(l) = self.link(i) else {
            return;
        };
        self.count(|c| c.gtids += 1);
        l.wanted.set(true);
        match gtid {
            Some(g) => {
                let mut pending = l.pending.borrow_mut();
                let set = pending.get_or_insert_with(|| GtidSet::empty(g.flavor()));
                if set.add(g).is_err() {
                    // The flavour changed under us: keep only the newest.
                    *set = GtidSet::from(*g);
                }
            }
            None => l.undecoded.set(true),
        }
        self.signal.notify();
    }

    /// Follower: its state changed.
    pub fn set_status(&self, i: usize, status: PushStatus) {
        if let Some(l) = self.link(i) {
            *l.status.borrow_mut() = status;
        }
    }

    /// Backend `i`'s follower status (`Off` for backends without one).
    pub fn status(&self, i: usize) -> PushStatus {
        self.link(i)
            .map(|l| l.status.borrow().clone())
            .unwrap_or_default()
    }

    /// Every backend's follower status.
    pub fn statuses(&self) -> Vec<PushStatus> {
        self.links
            .iter()
            .map(|l| l.status.borrow().clone())
            .collect()
    }

    /// Poller: resolves on the next push after this call.
    pub fn wait(&self) -> SignalWait {
        self.signal.wait()
    }

    /// Poller: whether a push arrived that no round has answered yet.
    pub fn any_wanted(&self) -> bool {
        self.links.iter().any(|l| l.wanted.get())
    }

    /// Poller: the earliest confirming poll due, if any.
    pub fn next_retry(&self) -> Option<Instant> {
        self.links.iter().filter_map(|l| l.retry_at.get()).min()
    }

    /// Poller, when it starts a round at `now`: whether backend `i` needs polling for a push;
    /// the round about to be sent answers the request either way (it is taken).
    pub fn take_due(&self, i: usize, now: Instant) -> bool {
        let Some(l) = self.link(i) else {
            return false;
        };
        let retry = l.retry_at.get().is_some_and(|t| t <= now);
        if retry {
            l.retry_at.set(None);
        }
        let due = l.wanted.replace(false) || retry;
        if due {
            self.count(|c| c.polls += 1);
        }
        due
    }

    /// What the push path did so far.
    pub fn counts(&self) -> PushCounts {
        self.counts.get()
    }

    fn count(&self, f: impl FnOnce(&mut PushCounts)) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
    }

    /// Poller: whether pushed GTIDs of backend `i` wait for confirmation.
    pub fn has_pending(&self, i: usize) -> bool {
        self.link(i)
            .is_some_and(|l| l.pending.borrow().is_some() || l.undecoded.get())
    }

    /// Poller, after backend `i` answered a poll at `now` with `after` (its position was
    /// `before`): clears what that position confirms, or schedules another poll soon. Returns
    /// whether pushed GTIDs were given up on (not seen after [`MAX_RETRIES`] polls).
    pub fn confirm(
        &self,
        i: usize,
        before: Option<&GtidSet>,
        after: Option<&GtidSet>,
        now: Instant,
    ) -> bool {
        let Some(l) = self.link(i) else {
            return false;
        };
        if !self.has_pending(i) {
            l.retries.set(0);
            return false;
        }
        let covered = match (after, l.pending.borrow().as_ref()) {
            (None, _) => false,
            (Some(a), Some(p)) => a.covers(p),
            (Some(_), None) => true,
        };
        let moved = !l.undecoded.get() || after != before;
        if covered && moved {
            self.settle(l);
            return false;
        }
        let tries = l.retries.get() + 1;
        if tries > MAX_RETRIES {
            self.settle(l);
            self.count(|c| c.unconfirmed += 1);
            return true;
        }
        self.count(|c| c.retries += 1);
        l.retries.set(tries);
        l.retry_at.set(Some(now + RETRY_DELAY));
        false
    }

    /// Poller: backend `i` could not be polled; its pushes wait for the regular rounds.
    pub fn abandon(&self, i: usize) {
        if let Some(l) = self.link(i) {
            self.settle(l);
        }
    }

    fn settle(&self, l: &PushLink) {
        *l.pending.borrow_mut() = None;
        l.undecoded.set(false);
        l.retries.set(0);
        l.retry_at.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;

    fn gtid(text: &str) -> Gtid {
        Gtid::parse(text, Flavor::MariaDb).expect("gtid")
    }

    fn pos(text: &str) -> GtidSet {
        GtidSet::parse(text, Flavor::MariaDb).expect("position")
    }

    #[test]
    fn a_push_wants_one_round_and_is_confirmed_by_a_covering_poll() {
        let p = Pushes::new(3);
        let t0 = Instant::now();
        let woken = p.wait();
        p.pushed(1, Some(&gtid("0-1-5")));
        p.pushed(1, Some(&gtid("0-1-6")));
        futures_lite::future::block_on(woken);
        assert!(p.any_wanted());
        assert!(!p.take_due(0, t0) && p.take_due(1, t0) && !p.take_due(2, t0));
        assert!(!p.any_wanted(), "taken by the round");
        assert!(p.has_pending(1));
        assert!(!p.confirm(1, Some(&pos("0-1-4")), Some(&pos("0-1-6")), t0));
        assert!(!p.has_pending(1));
        assert_eq!(p.next_retry(), None);
    }

    #[test]
    fn an_uncovered_push_is_polled_again_soon_then_given_up() {
        let p = Pushes::new(2);
        let t0 = Instant::now();
        p.pushed(1, Some(&gtid("0-1-9")));
        assert!(p.take_due(1, t0));
        let mut now = t0;
        for n in 1..=MAX_RETRIES {
            assert!(!p.confirm(1, Some(&pos("0-1-8")), Some(&pos("0-1-8")), now));
            let due = p.next_retry().expect("a retry");
            assert_eq!(due, now + RETRY_DELAY, "retry {n}");
            assert!(!p.take_due(1, now), "not before its time");
            now = due;
            assert!(p.take_due(1, now));
        }
        assert!(
            p.confirm(1, Some(&pos("0-1-8")), Some(&pos("0-1-8")), now),
            "given up"
        );
        assert!(!p.has_pending(1));
        assert_eq!(p.next_retry(), None);
    }

    #[test]
    fn undecoded_pushes_wait_for_the_position_to_move() {
        let p = Pushes::new(2);
        let t0 = Instant::now();
        p.pushed(1, None);
        assert!(p.take_due(1, t0));
        assert!(!p.confirm(1, Some(&pos("0-1-8")), Some(&pos("0-1-8")), t0));
        assert!(p.has_pending(1));
        assert!(!p.confirm(1, Some(&pos("0-1-8")), Some(&pos("0-1-9")), t0));
        assert!(!p.has_pending(1));
    }

    #[test]
    fn status_and_abandon() {
        let p = Pushes::new(2);
        assert_eq!(p.status(1), PushStatus::Off);
        p.set_status(1, PushStatus::On);
        assert_eq!(p.status(1), PushStatus::On);
        assert_eq!(p.status(7), PushStatus::Off);
        p.pushed(1, Some(&gtid("0-1-3")));
        p.abandon(1);
        assert!(!p.has_pending(1));
        // Out-of-range indexes are ignored.
        p.pushed(9, None);
        assert!(!p.take_due(9, Instant::now()));
    }
}
