//! The seam between sluice's logic and the runtime: the `Net` trait (connect to a backend, sleep)
//! that sessions and pools use, and `Shutdown`, a shard-local signal that tells sessions to finish
//! their in-flight reply and close. The runtime implements `Net` with glommio; nothing here knows
//! which runtime that is.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};

use crate::signal::Signal;

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
pub async fn unless<T>(fut: impl Future<Output = T>, stop: impl Future<Output = ()>) -> Option<T> {
    futures_lite::future::or(async { Some(fut.await) }, async {
        stop.await;
        None
    })
    .await
}

/// A shard-local shutdown flag that can be awaited. Cloning shares the flag.
#[derive(Clone, Default)]
pub struct Shutdown {
    triggered: Rc<Cell<bool>>,
    signal: Signal,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn trigger(&self) {
        self.triggered.set(true);
        self.signal.notify();
    }

    pub fn is_triggered(&self) -> bool {
        self.triggered.get()
    }

    /// Runs `fut` unless shutdown comes first: `None` if it did.
    pub async fn unless_triggered<T>(&self, fut: impl Future<Output = T>) -> Option<T> {
        unless(fut, self.wait()).await
    }

    /// Resolves once [`Shutdown::trigger`] was called.
    pub async fn wait(&self) {
        if !self.triggered.get() {
            self.signal.wait().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_resolves_after_trigger() {
        let s = Shutdown::new();
        let w = s.wait();
        assert!(!s.is_triggered());
        s.trigger();
        futures_lite::future::block_on(w);
        assert!(s.is_triggered());
        futures_lite::future::block_on(s.wait());
    }
}
