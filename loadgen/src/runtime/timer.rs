//! Timers on the thread's reactor: `sleep` and `sleep_until`. A timer exists in the reactor only
//! while its future waits; dropping the future removes it.
//!
//! It owns the timer futures and must not know about sockets.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::executor::{try_current, with_current};
use super::reactor::TimerKey;

/// Resolves at its deadline.
pub struct Sleep {
    deadline: Instant,
    key: Option<TimerKey>,
}

/// Resolves after `d`.
pub fn sleep(d: Duration) -> Sleep {
    sleep_until(Instant::now() + d)
}

/// Resolves at `at` (at once if it is past).
pub fn sleep_until(at: Instant) -> Sleep {
    Sleep {
        deadline: at,
        key: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            return Poll::Ready(());
        }
        match this.key {
            Some(key) => with_current(|ex| ex.reactor.update_timer(key, cx.waker())),
            None => {
                let key =
                    with_current(|ex| ex.reactor.add_timer(this.deadline, cx.waker().clone()));
                this.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(key), Some(ex)) = (self.key, try_current()) {
            ex.reactor.remove_timer(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::executor::{block_on, spawn_local};

    #[test]
    fn sleeps_end_at_their_deadlines_and_dropped_ones_never_fire() {
        let took = block_on(async {
            let start = Instant::now();
            let short = spawn_local(async move {
                sleep(Duration::from_millis(5)).await;
                start.elapsed()
            });
            let long = spawn_local(async move {
                sleep(Duration::from_millis(20)).await;
                start.elapsed()
            });
            // A timer that is dropped before its deadline.
            let abandoned = futures_lite::future::or(
                async {
                    sleep(Duration::from_millis(1)).await;
                    true
                },
                async {
                    sleep(Duration::from_secs(60)).await;
                    false
                },
            )
            .await;
            assert!(abandoned);
            sleep_until(start).await;
            (short.await, long.await, start.elapsed())
        })
        .expect("runs");
        assert!(took.0 >= Duration::from_millis(5), "{took:?}");
        assert!(took.1 >= Duration::from_millis(20), "{took:?}");
        assert!(took.2 < Duration::from_secs(60), "{took:?}");
    }
}
