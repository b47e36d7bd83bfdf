//! The seam between sluice's logic and the runtime: the `Net` trait (connect to a backend, sleep)
//! that sessions and pools use, and `Shutdown`, a shard-local signal that tells sessions to finish
//! their in-flight reply and close. The runtime implements `Net` with glommio; nothing here knows
//! which runtime that is.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};

/// A byte stream sluice can read and write (a client socket or a backend socket).
pub trait Stream: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Stream for T {}

/// What sessions need from the runtime.
pub trait Net {
    type Stream: Stream;
    /// Opens a TCP connection with TCP_NODELAY set, failing after `timeout`.
    fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<Self::Stream>>;
    /// Resolves after `d`.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()>;
}

/// Runs `fut`, or gives `None` if it takes longer than `d`.
pub async fn with_timeout<N: Net, T>(
    net: &N,
    d: Duration,
    fut: impl Future<Output = T>,
) -> Option<T> {
    unless(fut, net.sleep(d)).await
}

/// Runs `fut` unless `stop` completes first: `None` if it did.
async fn unless<T>(fut: impl Future<Output = T>, stop: impl Future<Output = ()>) -> Option<T> {
    futures_lite::future::or(async { Some(fut.await) }, async {
        stop.await;
        None
    })
    .await
}

/// Wakers of the tasks waiting for shutdown, in reusable slots: a wait that ends (its future
/// is dropped, as happens after every command a session reads) frees its slot, so the table
/// holds one entry per waiting task, never one per wait that ever happened.
#[derive(Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

#[derive(Default)]
struct ShutdownState {
    triggered: Cell<bool>,
    waiters: RefCell<Waiters>,
}

/// A shard-local shutdown flag that can be awaited. Cloning shares the flag.
#[derive(Clone, Default)]
pub struct Shutdown {
    state: Rc<ShutdownState>,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn trigger(&self) {
        self.state.triggered.set(true);
        let wakers: Vec<Waker> = self
            .state
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

    pub fn is_triggered(&self) -> bool {
        self.state.triggered.get()
    }

    /// Runs `fut` unless shutdown comes first: `None` if it did.
    pub async fn unless_triggered<T>(&self, fut: impl Future<Output = T>) -> Option<T> {
        unless(fut, self.wait()).await
    }

    /// Resolves once [`Shutdown::trigger`] was called.
    pub fn wait(&self) -> ShutdownWait {
        ShutdownWait {
            state: self.state.clone(),
            slot: None,
        }
    }
}

pub struct ShutdownWait {
    state: Rc<ShutdownState>,
    slot: Option<usize>,
}

impl Future for ShutdownWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.state.triggered.get() {
            return Poll::Ready(());
        }
        let state = self.state.clone();
        let mut waiters = state.waiters.borrow_mut();
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

impl Drop for ShutdownWait {
    fn drop(&mut self) {
        if let Some(i) = self.slot.take() {
            let mut waiters = self.state.waiters.borrow_mut();
            waiters.slots[i] = None;
            waiters.free.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_waits_free_their_slots() {
        let s = Shutdown::new();
        let waker = futures_lite::future::block_on(futures_lite::future::poll_fn(|cx| {
            Poll::Ready(cx.waker().clone())
        }));
        let mut cx = Context::from_waker(&waker);
        for _ in 0..1000 {
            let mut w = Box::pin(s.wait());
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(s.state.waiters.borrow().slots.len(), 1);
        let mut kept = Box::pin(s.wait());
        assert!(kept.as_mut().poll(&mut cx).is_pending());
        s.trigger();
        assert!(kept.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn wait_resolves_after_trigger() {
        let s = Shutdown::new();
        let w = s.wait();
        assert!(!s.is_triggered());
        s.trigger();
        futures_lite::future::block_on(w);
        assert!(s.is_triggered());
    }
}
