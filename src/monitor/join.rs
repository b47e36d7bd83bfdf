//! `join_all`: runs a handful of futures concurrently inside one task and gives back all their
//! outputs, in order. The monitor uses it to send one round's queries (and logins) to every
//! backend at once without spawning tasks, so it needs nothing from the runtime. Meant for a few
//! futures: every wake-up polls each unfinished one.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Runs every future to completion concurrently; outputs in input order.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    futures_lite::future::poll_fn(|cx| {
        let mut all_done = true;
        for (fut, out) in pending.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_back_in_order() {
        let futs = (0..4u32).map(|i| async move {
            for _ in 0..(4 - i) {
                futures_lite::future::yield_now().await;
            }
            i * 10
        });
        let got = futures_lite::future::block_on(join_all(futs));
        assert_eq!(got, vec![0, 10, 20, 30]);
        let none: Vec<u8> =
            futures_lite::future::block_on(join_all(Vec::<std::future::Ready<u8>>::new()));
        assert!(none.is_empty());
    }
}
