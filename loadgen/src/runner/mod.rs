//! Running a workload, thread per core: `--threads` worker threads, each an executor (pinned to
//! a CPU with `--cpus`) running its share of the connections (connection *i* on thread *i* mod
//! threads) as tasks. Every connection is opened (and its statements prepared) before the clock
//! starts; then the main thread prints the live line every second and, when every worker has
//! stopped (duration over, `--reads` reached), merges the connections' totals and the process's
//! CPU time over the measured part (after the warmup). Connections still waiting for a reply
//! [`IN_FLIGHT_GRACE`] after the end (a silent server) are abandoned with their threads.
//!
//! It must not know what a workload does nor how a report looks, nor name the async runtime (that
//! is `crate::runtime`). A worker thread's part is in [`worker`], the open-loop schedule in
//! [`pacer`], the live line in [`live`].

pub mod live;
pub mod pacer;
mod worker;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::client::{Client, ClientError, ConnectOpts};
use crate::cpu::CpuTime;
use crate::runtime::{RuntimeError, Worker};
use crate::stats::{ConnStats, Totals};
use crate::workload::{CheckedRead, Workload};

/// How many stale reads are printed as examples.
const STALE_EXAMPLES: u32 = 5;
/// How long requests in flight at the end may take before their connections are abandoned.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(60);

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct Plan {
    pub connections: usize,
    /// Worker threads (at most `connections`).
    pub threads: usize,
    /// CPUs to pin the worker threads to, in turn (`None`: unpinned).
    pub cpus: Option<Vec<usize>>,
    /// Run this long first without counting.
    pub warmup: Duration,
    /// Then this long, counting (`None`: until `reads`).
    pub duration: Option<Duration>,
    /// Stop once this many checked reads were counted.
    pub reads: Option<u64>,
    /// Open loop: this many events per second over all connections (`None`: closed loop).
    pub rate: Option<f64>,
    /// Closed loop: pause after each event.
    pub think_time: Duration,
    /// Whether the live line shows stale reads.
    pub show_stale: bool,
}

/// Why a run could not start (or its threads failed).
#[derive(Debug, Error)]
pub enum StartError {
    /// A connection could not be opened.
    #[error("cannot connect: {0}")]
    Connect(ClientError),
    /// A connection could not prepare the workload's statements.
    #[error("cannot prepare the workload's statements: {0}")]
    Prepare(ClientError),
    /// A worker thread could not be started, or stopped abnormally.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A worker thread ended before all its connections were ready.
    #[error("a worker thread stopped before its connections were ready")]
    Stopped,
}

impl StartError {
    /// The client's error, if that is what failed.
    pub fn client_error(&self) -> Option<&ClientError> {
        match self {
            StartError::Connect(err) | StartError::Prepare(err) => Some(err),
            StartError::Runtime(_) | StartError::Stopped => None,
        }
    }
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    pub totals: Totals,
    /// From the end of the warmup to the end of the last measured event.
    pub measured: Duration,
    /// The process's CPU time over the measured part.
    pub cpu: CpuTime,
}

/// The run's instants, fixed once every connection is ready.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: Instant,
    measure_from: Instant,
    end: Option<Instant>,
}

/// Where the workers wait until every connection is ready; opened with the clock, or with
/// nothing when the run is called off.
struct Gate {
    state: Mutex<Option<Option<Clock>>>,
    opened: Condvar,
}

impl Gate {
    fn open(&self, clock: Option<Clock>) {
        *lock(&self.state) = Some(clock);
        self.opened.notify_all();
    }

    fn wait(&self) -> Option<Clock> {
        let mut state = lock(&self.state);
        loop {
            if let Some(clock) = *state {
                return clock;
            }
            state = self
                .opened
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// What the threads of a run share.
struct Shared {
    stats: Vec<Mutex<ConnStats>>,
    gate: Gate,
    checked_reads: AtomicU64,
    stale_examples: AtomicU32,
}

impl Shared {
    fn reads_reached(&self, limit: Option<u64>) -> bool {
        limit.is_some_and(|limit| self.checked_reads.load(Ordering::Relaxed) >= limit)
    }

    fn stale_example(&self, connection: usize, read: &CheckedRead) {
        if self.stale_examples.fetch_add(1, Ordering::Relaxed) >= STALE_EXAMPLES {
            return;
        }
        let got = read.got.map_or_else(
            || "no row".to_owned(),
            |v| format!("v={v} from port {}", read.port),
        );
        eprintln!(
            "stale read: connection {connection}, row {}: expected v>={}, got {got} ({} µs)",
            read.row, read.expected, read.latency_us
        );
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `workloads` (one per connection) as `plan` says. Fails with the first error if a
/// connection cannot be opened or its statements prepared. Blocks the calling thread until the
/// run is over.
pub fn run<C, W>(opts: &ConnectOpts, plan: &Plan, workloads: Vec<W>) -> Result<Outcome, StartError>
where
    C: Client + 'static,
    W: Workload<C> + 'static,
{
    let shared = Arc::new(Shared {
        stats: workloads.iter().map(|_| Mutex::default()).collect(),
        gate: Gate {
            state: Mutex::new(None),
            opened: Condvar::new(),
        },
        checked_reads: AtomicU64::new(0),
        stale_examples: AtomicU32::new(0),
    });
    let count = workloads.len();
    let threads = plan.threads.clamp(1, count.max(1));
    let mut shares: Vec<Vec<(usize, W)>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, workload) in workloads.into_iter().enumerate() {
        shares[index % threads].push((index, workload));
    }
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut workers = Vec::with_capacity(threads);
    for (thread, share) in shares.into_iter().enumerate() {
        let cpu = plan.cpus.as_ref().map(|cpus| cpus[thread % cpus.len()]);
        let (opts, plan, ours) = (opts.clone(), plan.clone(), shared.clone());
        let (ready, done) = (ready_tx.clone(), done_tx.clone());
        let spawned = Worker::spawn(format!("loadgen-{thread}"), cpu, move || {
            worker::run::<C, W>(opts, plan, ours, share, ready, done)
        });
        match spawned {
            Ok(worker) => workers.push(worker),
            Err(err) => {
                shared.gate.open(None);
                for worker in workers {
                    let _ = worker.join();
                }
                return Err(err.into());
            }
        }
    }
    drop((ready_tx, done_tx));

    let mut failure = None;
    let mut ready = 0;
    for result in ready_rx.iter().take(count) {
        ready += 1;
        if let Err(err) = result {
            failure.get_or_insert(err);
        }
    }
    if failure.is_some() || ready < count {
        shared.gate.open(None);
        let mut stopped = None;
        for worker in workers {
            if let Err(err) = worker.join() {
                stopped.get_or_insert(StartError::from(err));
            }
        }
        return Err(failure.or(stopped).unwrap_or(StartError::Stopped));
    }
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let clock = Clock {
        start,
        measure_from,
        end: plan.duration.map(|duration| measure_from + duration),
    };
    shared.gate.open(Some(clock));
    let (cpu, finished) = watch(&shared, plan, clock, &done_rx);
    if finished {
        for worker in workers {
            worker.join()?;
        }
    } else {
        // Their threads stay blocked on the silent connections until the process exits.
        eprintln!(
            "loadgen: connections still waiting for a reply {} s after the end were abandoned",
            IN_FLIGHT_GRACE.as_secs()
        );
    }

    let mut totals = Totals::default();
    for conn in &shared.stats {
        totals.absorb(&lock(conn).total);
    }
    let measured = totals.finished.map_or(Duration::ZERO, |end| {
        end.saturating_duration_since(clock.measure_from)
    });
    Ok(Outcome {
        totals,
        measured,
        cpu,
    })
}

/// The main thread's part while the workers run: a live line a second, and the CPU time from
/// the end of the warmup until every worker stopped (`true`), or until [`IN_FLIGHT_GRACE`] after
/// the end if some did not (`false`).
fn watch(shared: &Shared, plan: &Plan, clock: Clock, done: &mpsc::Receiver<()>) -> (CpuTime, bool) {
    const SECOND: Duration = Duration::from_secs(1);
    let mut live = live::Live::new(clock.start, clock.measure_from, plan.show_stale);
    let mut cpu_from = plan.warmup.is_zero().then(CpuTime::now);
    let mut tick = clock.start + SECOND;
    // The grace after the end counts live ticks, not clock time, so a clock jump cannot cut it.
    let (mut ended, mut grace_ticks) = (false, 0);
    let finished = loop {
        let wake = match cpu_from {
            Some(_) => tick,
            None => tick.min(clock.measure_from),
        };
        let timeout = wake.saturating_duration_since(Instant::now());
        let finished = matches!(
            done.recv_timeout(timeout),
            Err(RecvTimeoutError::Disconnected)
        );
        let now = Instant::now();
        if cpu_from.is_none() && now >= clock.measure_from {
            cpu_from = Some(CpuTime::now());
        }
        if finished {
            break true;
        }
        if now >= tick {
            live.tick(&shared.stats, now);
            // After a stall (a loaded host, a paused VM) start again from now rather than
            // catching up with a burst of ticks.
            tick = (tick + SECOND).max(now + SECOND / 2);
            if ended || clock.end.is_some_and(|end| now >= end) || shared.reads_reached(plan.reads)
            {
                ended = true;
                grace_ticks += 1;
            }
            if grace_ticks > IN_FLIGHT_GRACE.as_secs() {
                break false;
            }
        }
    };
    let cpu = cpu_from.map_or_else(CpuTime::default, |from| CpuTime::now().since(from));
    live.tick(&shared.stats, Instant::now());
    (cpu, finished)
}

#[cfg(test)]
mod tests;
