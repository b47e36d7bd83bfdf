//! loadgen's runtime: one single-threaded executor per thread that talks to a server, on its own
//! small reactor (epoll, edge-triggered, plus a timerfd and an eventfd; see `reactor`). The worker
//! threads of a run (one per `--threads`, pinned to a CPU when `--cpus` is given, else unbound)
//! and the main thread, whose executor carries the control connection, each run one. Connections
//! are tasks on their thread's executor and reach servers through `TcpNet`, an implementation of
//! sluice's `net::Net`, so the MySQL client code is sluice's own.
//!
//! Why not glommio, as sluice: a load generator must spend as little CPU per query as it can,
//! because on a small host its CPU is taken from the server it measures. glommio arms an io_uring
//! poll for every read that finds no data, and wakes through its rings; here a socket is
//! registered once and a query costs one `sendto`, one `epoll_wait` and one `recvfrom`.
//!
//! This module is the one that knows how tasks, sockets and timers are driven, and it must not
//! know about workloads, clients or statistics.

mod executor;
mod reactor;
mod tcp;
mod timer;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use thiserror::Error;

pub use tcp::TcpStream;
pub use timer::{sleep, sleep_until};

/// A connection's byte stream.
pub type Stream = TcpStream;

/// The `sluice::net::Net` implementation connections use: this runtime's TCP streams and timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpNet;

impl sluice::net::Net for TcpNet {
    type Stream = TcpStream;

    async fn connect(&self, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        TcpStream::connect(addr, timeout).await
    }

    async fn sleep(&self, d: Duration) {
        sleep(d).await;
    }
}

#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("cannot start executor '{name}': {source}")]
    Executor { name: String, source: io::Error },
    #[error("executor '{name}' stopped abnormally: {source}")]
    Join { name: String, source: io::Error },
}

/// Runs `fut` to completion on an executor on the current thread.
pub fn block_on<T>(name: &str, fut: impl Future<Output = T>) -> Result<T, RuntimeError> {
    executor::block_on(fut).map_err(|source| RuntimeError::Executor {
        name: name.to_owned(),
        source,
    })
}

/// A worker thread running its executor.
pub struct Worker<T: Send + 'static> {
    name: String,
    handle: JoinHandle<io::Result<T>>,
}

impl<T: Send + 'static> Worker<T> {
    /// Starts a thread (pinned to `cpu` if given) whose executor runs the future `make` returns.
    pub fn spawn<G, F>(name: String, cpu: Option<usize>, make: G) -> Result<Worker<T>, RuntimeError>
    where
        G: FnOnce() -> F + Send + 'static,
        F: Future<Output = T> + 'static,
    {
        let failed = |source: io::Error| RuntimeError::Executor {
            name: name.clone(),
            source,
        };
        // The thread reports whether it could be pinned before it runs anything.
        let (pinned_tx, pinned_rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let pinned = cpu.map_or(Ok(()), pin_to);
                let ok = pinned.is_ok();
                let _ = pinned_tx.send(pinned);
                if !ok {
                    return Err(io::Error::other("not started"));
                }
                executor::block_on(make())
            })
            .map_err(failed)?;
        match pinned_rx.recv() {
            Ok(Ok(())) => Ok(Worker { name, handle }),
            Ok(Err(err)) => {
                let _ = handle.join();
                Err(failed(err))
            }
            Err(_) => {
                let _ = handle.join();
                Err(failed(io::Error::other(
                    "the thread ended before it started",
                )))
            }
        }
    }

    /// Waits for the thread to finish and returns what its future returned.
    pub fn join(self) -> Result<T, RuntimeError> {
        let name = self.name;
        match self.handle.join() {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(source)) => Err(RuntimeError::Join { name, source }),
            Err(_) => Err(RuntimeError::Join {
                name,
                source: io::Error::other("the thread panicked"),
            }),
        }
    }
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) -> io::Result<()> {
    use nix::sched::{sched_setaffinity, CpuSet};
    let mut set = CpuSet::new();
    set.set(cpu)
        .map_err(|e| io::Error::other(format!("CPU {cpu}: {e}")))?;
    sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
        .map_err(|e| io::Error::other(format!("pinning to CPU {cpu}: {e}")))
}

/// Runs `futures` as concurrent tasks of the current executor and returns their outputs in order.
/// Dropping the returned future cancels the tasks still running.
pub async fn join_all<T, F>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    T: 'static,
    F: Future<Output = T> + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(executor::spawn_local).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await);
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn workers_run_tasks_and_timers() {
        let worker = Worker::spawn("test-worker".into(), None, || async {
            let started = Instant::now();
            let outputs = join_all((0..3u64).map(|i| async move {
                sleep(Duration::from_millis(10 * i)).await;
                i
            }))
            .await;
            (outputs, started.elapsed())
        })
        .expect("spawns");
        let (outputs, took) = worker.join().expect("joins");
        assert_eq!(outputs, vec![0, 1, 2]);
        assert!(took >= Duration::from_millis(20), "{took:?}");
        assert_eq!(block_on("test-main", async { 7 }).expect("runs"), 7);
    }

    #[test]
    fn a_worker_on_a_cpu_that_does_not_exist_fails_to_start() {
        let err = Worker::spawn("test-bad-cpu".into(), Some(100_000), || async {})
            .err()
            .expect("fails");
        assert!(err.to_string().contains("test-bad-cpu"), "{err}");
    }

    #[test]
    fn a_pinned_worker_runs_on_its_cpu() {
        let worker = Worker::spawn("test-pinned".into(), Some(0), || async {
            nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
                .map(|set| (set.is_set(0), set.is_set(1)))
        })
        .expect("spawns");
        assert_eq!(
            worker.join().expect("joins").expect("affinity"),
            (Ok(true), Ok(false))
        );
    }
}
