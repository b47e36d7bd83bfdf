//! `Demand`: how sessions tell the monitor they need fresh data now. A session waiting for a
//! replica to catch up holds a `WaitingGuard` (the monitor polls fast while any is held); a session
//! that needs the primary's current position calls `request_probe`. Either wakes the monitor from
//! its idle sleep at once.
//!
//! It owns the counter, the probe flag and the monitor's one waker, and works across threads (the
//! monitor and the shards are different executors). It must not poll servers or know intervals.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

/// Demand for fresh polls, shared by all threads.
#[derive(Debug, Default)]
pub(super) struct Demand {
    waiting: AtomicUsize,
    probe: AtomicBool,
    /// The monitor task, while it waits in [`Demand::wait`].
    monitor: Mutex<Option<Waker>>,
}

/// Held by a session while it waits for the view to advance; dropping it ends the demand.
#[must_use = "the demand lasts only while the guard is held"]
pub struct WaitingGuard<'a> {
    demand: &'a Demand,
}

impl Demand {
    pub(super) fn waiting(&self) -> WaitingGuard<'_> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) == 0 {
            self.wake_monitor();
        }
        WaitingGuard { demand: self }
    }

    pub(super) fn waiting_count(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub(super) fn request_probe(&self) {
        if !self.probe.swap(true, Ordering::SeqCst) {
            self.wake_monitor();
        }
    }

    pub(super) fn probe_requested(&self) -> bool {
        self.probe.load(Ordering::SeqCst)
    }

    pub(super) fn take_probe_request(&self) -> bool {
        self.probe.swap(false, Ordering::SeqCst)
    }

    fn pending(&self) -> bool {
        self.waiting_count() > 0 || self.probe_requested()
    }

    /// Resolves once a session waits or a probe is requested (at once if that is so already).
    pub(super) fn wait(&self) -> DemandWait<'_> {
        DemandWait { demand: self }
    }

    fn wake_monitor(&self) {
        let waker = self.lock().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        // The guarded value is a plain Option<Waker>: a panic elsewhere cannot leave it broken.
        self.monitor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.demand.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The future of [`Demand::wait`].
pub struct DemandWait<'a> {
    demand: &'a Demand,
}

impl Future for DemandWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.demand.pending() {
            return Poll::Ready(());
        }
        {
            let mut slot = self.demand.lock();
            match &mut *slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                other => *other = Some(cx.waker().clone()),
            }
        }
        // A session may have arrived between the check and the registration.
        if self.demand.pending() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}
