//! `ViewCell`: where the monitor publishes `ClusterView` snapshots and every shard reads them with
//! one atomic load (`ArcSwap`). Tasks on any thread can await the next publish (`changed`), and
//! sessions signal demand for fast polling (`waiting`, `request_probe`; see `demand`).
//!
//! It owns the current snapshot, the epoch rule (each publish is the previous epoch plus one) and
//! the wakers of tasks waiting for a newer epoch. It must not build views or poll servers; only the
//! monitor publishes. Waiting must not lose a wake-up, and an abandoned wait must not leave an
//! entry behind.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use arc_swap::{ArcSwap, Guard};

use super::demand::{Demand, DemandWait, WaitingGuard};
use super::view::ClusterView;

/// The shared, lock-free home of the current [`ClusterView`].
pub struct ViewCell {
    current: ArcSwap<ClusterView>,
    waiters: Mutex<Waiters>,
    demand: Demand,
}

/// Tasks waiting for a newer epoch, each entry tagged with its wait's id.
#[derive(Default)]
struct Waiters {
    next_id: u64,
    entries: Vec<(u64, Waker)>,
}

impl Default for ViewCell {
    fn default() -> Self {
        Self::new()
    }
}

impl ViewCell {
    /// A cell holding the empty view (epoch 0, no backends).
    pub fn new() -> Self {
        Self {
            current: ArcSwap::from_pointee(ClusterView::default()),
            waiters: Mutex::new(Waiters::default()),
            demand: Demand::default(),
        }
    }

    /// The current view: one atomic load, no lock. Keep the guard briefly (it pins the snapshot);
    /// clone the `Arc` out of it (`Guard::into_inner`) to keep the view longer.
    pub fn load(&self) -> Guard<Arc<ClusterView>> {
        self.current.load()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.current.load().epoch
    }

    /// Replaces the view (monitor only: there is one publisher) with `view`, its epoch set to the
    /// previous epoch plus one, and wakes every task waiting in [`ViewCell::changed`]. Returns the
    /// new epoch.
    pub fn publish(&self, mut view: ClusterView) -> u64 {
        view.epoch = self.current.load().epoch + 1;
        let epoch = view.epoch;
        self.current.store(Arc::new(view));
        let woken = std::mem::take(&mut self.lock().entries);
        for (_, w) in woken {
            w.wake();
        }
        epoch
    }

    /// Resolves once the published epoch is greater than `seen_epoch` (at once if it is already).
    /// The waiting task may run on any thread.
    pub fn changed(&self, seen_epoch: u64) -> Changed<'_> {
        Changed {
            cell: self,
            seen_epoch,
            id: None,
        }
    }

    /// Marks a session as waiting for the view to advance: the monitor polls at its fast interval
    /// until the guard is dropped (the first waiter wakes it at once).
    pub fn waiting(&self) -> WaitingGuard<'_> {
        self.demand.waiting()
    }

    /// How many [`WaitingGuard`]s are held.
    pub fn waiting_count(&self) -> usize {
        self.demand.waiting_count()
    }

    /// Asks the monitor for a fresh read of the primary's position (a new `primary_probe` whose
    /// query is sent after this call); wakes the monitor.
    pub fn request_probe(&self) {
        self.demand.request_probe();
    }

    /// Monitor side: whether a probe was requested and not yet taken.
    pub fn probe_requested(&self) -> bool {
        self.demand.probe_requested()
    }

    /// Monitor side: takes the pending probe request, if any.
    pub fn take_probe_request(&self) -> bool {
        self.demand.take_probe_request()
    }

    /// Monitor side: resolves once a session waits or a probe is requested.
    pub fn demand(&self) -> DemandWait<'_> {
        self.demand.wait()
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        // Waiters is a list of wakers: a panic elsewhere cannot leave it inconsistent.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The future of [`ViewCell::changed`].
pub struct Changed<'a> {
    cell: &'a ViewCell,
    seen_epoch: u64,
    /// This wait's entry in the cell's waiters, once registered.
    id: Option<u64>,
}

impl Changed<'_> {
    fn advanced(&self) -> bool {
        self.cell.epoch() > self.seen_epoch
    }
}

impl Future for Changed<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.advanced() {
            return Poll::Ready(());
        }
        {
            let mut waiters = self.cell.lock();
            let found = self
                .id
                .and_then(|id| waiters.entries.iter_mut().find(|(i, _)| *i == id));
            match found {
                Some((_, w)) => {
                    if !w.will_wake(cx.waker()) {
                        *w = cx.waker().clone();
                    }
                }
                None => {
                    let id = waiters.next_id;
                    waiters.next_id += 1;
                    waiters.entries.push((id, cx.waker().clone()));
                    self.id = Some(id);
                }
            }
        }
        // A publish may have come between the first check and the registration: it stored the
        // view before taking the lock, so this load sees it.
        if self.advanced() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for Changed<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut waiters = self.cell.lock();
            if let Some(pos) = waiters.entries.iter().position(|(i, _)| *i == id) {
                waiters.entries.swap_remove(pos);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    fn noop_waker() -> Waker {
        futures_lite::future::block_on(futures_lite::future::poll_fn(|cx| {
            Poll::Ready(cx.waker().clone())
        }))
    }

    #[test]
    fn publish_counts_epochs_and_replaces_the_view() {
        let cell = ViewCell::new();
        assert_eq!(cell.epoch(), 0);
        assert!(cell.load().backends.is_empty());
        let view = ClusterView {
            epoch: 77, // ignored: the cell numbers epochs
            backends: vec![Default::default(); 3],
            ..Default::default()
        };
        assert_eq!(cell.publish(view.clone()), 1);
        assert_eq!(cell.publish(view), 2);
        let seen = cell.load();
        assert_eq!((seen.epoch, seen.backends.len()), (2, 3));
    }

    #[test]
    fn changed_resolves_at_once_when_already_newer() {
        let cell = ViewCell::new();
        cell.publish(ClusterView::default());
        futures_lite::future::block_on(cell.changed(0));
    }

    #[test]
    fn changed_is_woken_from_another_thread() {
        let cell = Arc::new(ViewCell::new());
        let done = Arc::new(AtomicBool::new(false));
        let publisher = {
            let (cell, done) = (cell.clone(), done.clone());
            std::thread::spawn(move || {
                // Publish until the waiter saw it, so the test cannot pass by racing past the wait.
                while !done.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                    cell.publish(ClusterView::default());
                }
            })
        };
        let seen = cell.epoch();
        futures_lite::future::block_on(cell.changed(seen));
        assert!(cell.epoch() > seen);
        done.store(true, Ordering::SeqCst);
        publisher.join().expect("publisher thread");
        assert!(cell.lock().entries.is_empty());
    }

    #[test]
    fn abandoned_waits_leave_no_entry() {
        let cell = ViewCell::new();
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        for _ in 0..100 {
            let mut w = Box::pin(cell.changed(0));
            assert!(w.as_mut().poll(&mut cx).is_pending());
            assert!(w.as_mut().poll(&mut cx).is_pending(), "re-polling re-uses");
            assert_eq!(cell.lock().entries.len(), 1);
        }
        assert!(cell.lock().entries.is_empty());
        let mut kept = Box::pin(cell.changed(0));
        assert!(kept.as_mut().poll(&mut cx).is_pending());
        cell.publish(ClusterView::default());
        assert!(cell.lock().entries.is_empty(), "publish drains");
        assert!(kept.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn waiting_guards_count_and_wake_the_monitor() {
        let cell = Arc::new(ViewCell::new());
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        {
            let mut idle = Box::pin(cell.demand());
            assert!(idle.as_mut().poll(&mut cx).is_pending());
        }
        let a = cell.waiting();
        let b = cell.waiting();
        assert_eq!(cell.waiting_count(), 2);
        futures_lite::future::block_on(cell.demand());
        drop(a);
        assert_eq!(cell.waiting_count(), 1);
        drop(b);
        assert_eq!(cell.waiting_count(), 0);

        // The monitor sleeps in demand() on this thread; a session on another thread wakes it.
        let session = {
            let cell = cell.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                let _guard = cell.waiting();
                std::thread::sleep(Duration::from_millis(200));
            })
        };
        futures_lite::future::block_on(cell.demand());
        assert!(cell.waiting_count() >= 1 || session.is_finished());
        session.join().expect("session thread");
        assert_eq!(cell.waiting_count(), 0);
    }

    #[test]
    fn probe_requests_are_taken_once() {
        let cell = ViewCell::new();
        assert!(!cell.take_probe_request());
        cell.request_probe();
        cell.request_probe();
        assert!(cell.probe_requested());
        futures_lite::future::block_on(cell.demand());
        assert!(cell.take_probe_request());
        assert!(!cell.take_probe_request());
        assert!(!cell.probe_requested());
    }
}
