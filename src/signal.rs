//! `Signal`: a shard-local, runtime-free "something changed" notification that tasks can await
//! (a backend connection came back to the pool, shutdown began). A wait resolves on the first
//! `notify` after it was created. Waker slots are reused: a wait that ends frees its slot, so the
//! table holds one entry per waiting task, never one per wait that ever happened. It must not
//! know about glommio or hold any state beyond the wakers and a generation counter.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

#[derive(Default)]
struct Inner {
    generation: Cell<u64>,
    waiters: RefCell<Waiters>,
}

/// A notification many tasks of one thread can wait for. Cloning shares it.
#[derive(Clone, Default)]
pub struct Signal {
    inner: Rc<Inner>,
}

impl Signal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes every task waiting now.
    pub fn notify(&self) {
        let inner = &self.inner;
        inner.generation.set(inner.generation.get().wrapping_add(1));
        let wakers: Vec<Waker> = inner
            .waiters
            .borrow_mut()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for w in wakers {
            w.wake();
        }
    }

    /// Resolves on the first [`Signal::notify`] after this call.
    pub fn wait(&self) -> SignalWait {
        SignalWait {
            inner: self.inner.clone(),
            generation: self.inner.generation.get(),
            slot: None,
        }
    }

    /// How many tasks are waiting.
    pub fn waiting(&self) -> usize {
        let w = self.inner.waiters.borrow();
        w.slots.len() - w.free.len()
    }
}

pub struct SignalWait {
    inner: Rc<Inner>,
    generation: u64,
    slot: Option<usize>,
}

impl Future for SignalWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.inner.generation.get() != self.generation {
            return Poll::Ready(());
        }
        let inner = self.inner.clone();
        let mut waiters = inner.waiters.borrow_mut();
        match self.slot {
            Some(i) => match &mut waiters.slots[i] {
                Some(w) if w.will_wake(cx.waker()) => {}
                entry => *entry = Some(cx.waker().clone()),
            },
            None => {
                let waker = Some(cx.waker().clone());
                let i = match waiters.free.pop() {
                    Some(i) => {
                        waiters.slots[i] = waker;
                        i
                    }
                    None => {
                        waiters.slots.push(waker);
                        waiters.slots.len() - 1
                    }
                };
                self.slot = Some(i);
            }
        }
        Poll::Pending
    }
}

impl Drop for SignalWait {
    fn drop(&mut self) {
        if let Some(i) = self.slot.take() {
            let mut waiters = self.inner.waiters.borrow_mut();
            waiters.slots[i] = None;
            waiters.free.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx_waker() -> Waker {
        futures_lite::future::block_on(futures_lite::future::poll_fn(|cx| {
            Poll::Ready(cx.waker().clone())
        }))
    }

    #[test]
    fn ended_waits_free_their_slots() {
        let s = Signal::new();
        let waker = noop_cx_waker();
        let mut cx = Context::from_waker(&waker);
        for _ in 0..1000 {
            let mut w = Box::pin(s.wait());
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(s.inner.waiters.borrow().slots.len(), 1);
        assert_eq!(s.waiting(), 0);
        let mut kept = Box::pin(s.wait());
        assert!(kept.as_mut().poll(&mut cx).is_pending());
        assert_eq!(s.waiting(), 1);
        s.notify();
        assert!(kept.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn a_wait_sees_only_later_notifies() {
        let s = Signal::new();
        s.notify();
        let waker = noop_cx_waker();
        let mut cx = Context::from_waker(&waker);
        let mut w = Box::pin(s.wait());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        s.notify();
        assert!(w.as_mut().poll(&mut cx).is_ready());
    }
}
