//! loadgen's runtime: executors and timers. Every thread that talks to a server runs a glommio
//! `LocalExecutor` (io_uring): the worker threads of a run (one per `--threads`, pinned to a CPU
//! when `--cpus` is given, else unbound) and the main thread, whose executor carries the control
//! connection. Connections are tasks on their thread's executor; the network implementation they
//! connect with is sluice's glommio `Net`.
//!
//! It is the one loadgen module that knows glommio, and it must not know about workloads, clients
//! or statistics.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use glommio::{ExecutorJoinHandle, LocalExecutorBuilder, Placement};
use thiserror::Error;

/// The `sluice::net::Net` implementation connections use: glommio TCP streams and timers.
pub use sluice::runtime::GlommioNet as TcpNet;

/// A connection's byte stream.
pub type Stream = <TcpNet as sluice::net::Net>::Stream;

/// io_uring registered-buffer memory per executor: glommio's minimum. loadgen does no file I/O
/// (the only user of that memory) and the locked-memory limit on many hosts is a few MiB.
const IO_MEMORY: usize = 64 * 1024;

#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("cannot start executor '{name}': {source}")]
    Executor { name: String, source: io::Error },
    #[error("executor '{name}' stopped abnormally: {source}")]
    Join { name: String, source: io::Error },
}

fn builder(name: &str, cpu: Option<usize>) -> LocalExecutorBuilder {
    let placement = match cpu {
        Some(cpu) => Placement::Fixed(cpu),
        None => Placement::Unbound,
    };
    LocalExecutorBuilder::new(placement)
        .name(name)
        .io_memory(IO_MEMORY)
}

/// Runs `fut` to completion on an executor on the current thread.
pub fn block_on<T>(name: &str, fut: impl Future<Output = T>) -> Result<T, RuntimeError> {
    let executor = builder(name, None)
        .make()
        .map_err(|err| RuntimeError::Executor {
            name: name.to_owned(),
            source: io::Error::from(err),
        })?;
    Ok(executor.run(fut))
}

/// A worker thread running its executor.
pub struct Worker<T: Send + 'static> {
    name: String,
    handle: ExecutorJoinHandle<T>,
}

impl<T: Send + 'static> Worker<T> {
    /// Starts a thread (pinned to `cpu` if given) whose executor runs the future `make` returns.
    pub fn spawn<G, F>(name: String, cpu: Option<usize>, make: G) -> Result<Worker<T>, RuntimeError>
    where
        G: FnOnce() -> F + Send + 'static,
        F: Future<Output = T> + 'static,
    {
        match builder(&name, cpu).spawn(make) {
            Ok(handle) => Ok(Worker { name, handle }),
            Err(err) => Err(RuntimeError::Executor {
                name,
                source: io::Error::from(err),
            }),
        }
    }

    /// Waits for the thread to finish and returns what its future returned.
    pub fn join(self) -> Result<T, RuntimeError> {
        self.handle.join().map_err(|err| RuntimeError::Join {
            name: self.name,
            source: io::Error::from(err),
        })
    }
}

/// Runs `futures` as concurrent tasks of the current executor and returns their outputs in order.
/// Dropping the returned future cancels the tasks still running.
pub async fn join_all<T, F>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    T: 'static,
    F: Future<Output = T> + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(glommio::spawn_local).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await);
    }
    outputs
}

/// Resolves after `d`.
pub async fn sleep(d: Duration) {
    glommio::timer::sleep(d).await;
}

/// Resolves at `at` (at once if it is past).
pub async fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        glommio::timer::sleep(at - now).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
