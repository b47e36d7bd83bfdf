//! `CommitWatermark`: the primary position proven by the newest commit this shard's sessions saw,
//! with the instant its statement arrived. A `global` read that arrived before that instant must
//! see only what this position holds (`gtid::progress` explains why), so it needs no probe.
//!
//! The proof needs one writing source: a commit is used only when the monitor's probes show the
//! primary's position advancing in the commit's source alone (`PrimaryProbe::writer`). If another
//! source started writing after the latest probe (a multi-source primary, a client setting
//! `gtid_next`, a domain switch), reads in that window could miss it; the next probe shows the
//! second source and turns the shortcut off.
//!
//! Reads waiting for a position are woken when a new one is proven ([`CommitWatermark::advanced`]),
//! so a busy writer answers them before the monitor's probe does.
//!
//! Shard-local (one executor thread, no atomics). It must not route reads or talk to servers.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::gtid::GtidSet;
use crate::monitor::view::PrimaryProbe;

/// The newest proven position, with when its committing statement arrived.
#[derive(Default)]
pub struct CommitWatermark {
    latest: RefCell<Option<(Instant, Rc<GtidSet>)>>,
    /// Bumped each time a new position is proven.
    generation: Cell<u64>,
    /// Reads waiting for the next generation, by wait id.
    waiters: RefCell<Vec<(u64, Waker)>>,
    next_wait: Cell<u64>,
}

impl CommitWatermark {
    /// A statement that arrived at `arrived` committed `commit` on the primary; `probe` is the
    /// monitor's latest read of the primary's position (taken before this commit was reported).
    pub fn note(&self, arrived: Instant, commit: &GtidSet, probe: Option<&PrimaryProbe>) {
        if self
            .latest
            .borrow()
            .as_ref()
            .is_some_and(|(at, _)| *at >= arrived)
        {
            return;
        }
        let proven = probe
            .filter(|p| p.writer.is_some() && p.writer == commit.sole_source())
            .and_then(|p| p.executed.implied_by_commit(commit));
        if let Some(position) = proven {
            *self.latest.borrow_mut() = Some((arrived, Rc::new(position)));
            self.generation.set(self.generation.get() + 1);
            for (_, waker) in self.waiters.borrow_mut().drain(..) {
                waker.wake();
            }
        }
    }

    /// The current generation, to wait for the next with [`CommitWatermark::advanced`].
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Completes once a position newer than generation `seen` is proven.
    pub fn advanced(&self, seen: u64) -> Advanced<'_> {
        Advanced {
            watermark: self,
            seen,
            id: None,
        }
    }

    /// A position holding every transaction the primary acknowledged before `arrival`, if a commit
    /// whose statement arrived at or after it proves one.
    pub fn covering(&self, arrival: Instant) -> Option<Rc<GtidSet>> {
        match &*self.latest.borrow() {
            Some((at, position)) if *at >= arrival => Some(position.clone()),
            _ => None,
        }
    }
}

/// The future of [`CommitWatermark::advanced`]; unregisters itself when dropped.
pub struct Advanced<'a> {
    watermark: &'a CommitWatermark,
    seen: u64,
    id: Option<u64>,
}

impl Future for Advanced<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let w = self.watermark;
        if w.generation.get() > self.seen {
            return Poll::Ready(());
        }
        let mut waiters = w.waiters.borrow_mut();
        match self.id {
            Some(id) => {
                if let Some(entry) = waiters.iter_mut().find(|(i, _)| *i == id) {
                    entry.1.clone_from(cx.waker());
                } else {
                    waiters.push((id, cx.waker().clone()));
                }
            }
            None => {
                let id = w.next_wait.get();
                w.next_wait.set(id + 1);
                waiters.push((id, cx.waker().clone()));
                drop(waiters);
                self.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl Drop for Advanced<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.watermark
                .waiters
                .borrow_mut()
                .retain(|(i, _)| *i != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::gtid::{Flavor, Source};

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    fn my(text: &str) -> GtidSet {
        GtidSet::parse(text, Flavor::MySql).expect("valid set")
    }

    fn probe(executed: &str, writer: bool) -> PrimaryProbe {
        let executed = my(executed);
        let writer = writer.then(|| executed.sole_source()).flatten();
        PrimaryProbe {
            sent_at: Instant::now(),
            executed,
            writer,
        }
    }

    #[test]
    fn a_commit_after_the_read_arrived_proves_a_position() {
        let w = CommitWatermark::default();
        let read = Instant::now();
        let commit_at = read + Duration::from_micros(50);
        w.note(
            commit_at,
            &my(&format!("{A}:12")),
            Some(&probe(&format!("{A}:1-9"), true)),
        );
        assert_eq!(*w.covering(read).expect("proven"), my(&format!("{A}:1-12")));
        // A read that arrived after the commit's statement learns nothing from it.
        assert!(w.covering(commit_at + Duration::from_micros(1)).is_none());
    }

    #[test]
    fn no_proof_without_a_single_known_writer() {
        let w = CommitWatermark::default();
        let read = Instant::now();
        let commit = my(&format!("{A}:12"));
        w.note(read, &commit, None);
        w.note(read, &commit, Some(&probe(&format!("{A}:1-9"), false)));
        let other = PrimaryProbe {
            writer: Some(Source::MariaDb(0)),
            ..probe(&format!("{A}:1-9"), true)
        };
        w.note(read, &commit, Some(&other));
        assert!(w.covering(read).is_none());
    }

    #[test]
    fn waiting_reads_wake_on_a_new_proof_and_unregister_when_dropped() {
        use std::task::Wake;
        struct Flag(std::sync::atomic::AtomicBool);
        impl Wake for Flag {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let w = CommitWatermark::default();
        let flag = std::sync::Arc::new(Flag(false.into()));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fut = Box::pin(w.advanced(w.generation()));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(w.waiters.borrow().len(), 1, "one entry per wait");
        let t = Instant::now();
        w.note(
            t,
            &my(&format!("{A}:3")),
            Some(&probe(&format!("{A}:1-2"), true)),
        );
        assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst));
        assert!(fut.as_mut().poll(&mut cx).is_ready());
        let mut other = Box::pin(w.advanced(w.generation()));
        assert!(other.as_mut().poll(&mut cx).is_pending());
        drop(other);
        assert!(w.waiters.borrow().is_empty());
    }

    #[test]
    fn an_older_statement_does_not_replace_a_newer_one() {
        let w = CommitWatermark::default();
        let t0 = Instant::now();
        let base = probe(&format!("{A}:1-9"), true);
        w.note(
            t0 + Duration::from_micros(20),
            &my(&format!("{A}:15")),
            Some(&base),
        );
        w.note(
            t0 + Duration::from_micros(10),
            &my(&format!("{A}:16")),
            Some(&base),
        );
        assert_eq!(*w.covering(t0).expect("proven"), my(&format!("{A}:1-15")));
    }
}
