//! Running a workload: one OS thread per connection, all connected (and their statements
//! prepared) before the clock starts; then the main thread prints the live line every second and,
//! when every connection has stopped (duration over, `--reads` reached), merges the connections'
//! totals and the process's CPU time over the measured part (after the warmup).
//!
//! It must not know what a workload does nor how a report looks. The per-connection loop is in
//! [`worker`], the open-loop schedule in [`pacer`], the live line in [`live`].

pub mod live;
pub mod pacer;
mod worker;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::client::{Client, ClientError, ConnectOpts};
use crate::cpu::CpuTime;
use crate::stats::{ConnStats, Totals};
use crate::workload::{CheckedRead, Workload};

/// How many stale reads are printed as examples.
const STALE_EXAMPLES: u32 = 5;

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct Plan {
    pub connections: usize,
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

/// Why a run could not start.
#[derive(Debug)]
pub enum StartError {
    /// A connection could not be opened.
    Connect(ClientError),
    /// A connection could not prepare the workload's statements.
    Prepare(ClientError),
}

impl StartError {
    pub fn error(&self) -> &ClientError {
        match self {
            StartError::Connect(err) | StartError::Prepare(err) => err,
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
/// connection cannot be opened or its statements prepared.
pub fn run<C, W>(opts: &ConnectOpts, plan: &Plan, workloads: Vec<W>) -> Result<Outcome, StartError>
where
    C: Client,
    W: Workload<C> + Send,
{
    let shared = Shared {
        stats: workloads.iter().map(|_| Mutex::default()).collect(),
        gate: Gate {
            state: Mutex::new(None),
            opened: Condvar::new(),
        },
        checked_reads: AtomicU64::new(0),
        stale_examples: AtomicU32::new(0),
    };
    let count = workloads.len();
    let (clock, cpu) = std::thread::scope(|scope| {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        for (index, workload) in workloads.into_iter().enumerate() {
            let (ready, done, shared) = (ready_tx.clone(), done_tx.clone(), &shared);
            scope.spawn(move || {
                worker::run::<C, W>(index, opts, plan, shared, workload, ready);
                drop(done);
            });
        }
        drop((ready_tx, done_tx));

        let mut failure = None;
        for result in ready_rx.iter().take(count) {
            if let Err(err) = result {
                failure.get_or_insert(err);
            }
        }
        if let Some(err) = failure {
            shared.gate.open(None);
            return Err(err);
        }
        let start = Instant::now();
        let measure_from = start + plan.warmup;
        let clock = Clock {
            start,
            measure_from,
            end: plan.duration.map(|duration| measure_from + duration),
        };
        shared.gate.open(Some(clock));
        let cpu = watch(&shared, plan, clock, &done_rx);
        Ok((clock, cpu))
    })?;

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
/// the end of the warmup until every worker stopped.
fn watch(shared: &Shared, plan: &Plan, clock: Clock, done: &mpsc::Receiver<()>) -> CpuTime {
    const SECOND: Duration = Duration::from_secs(1);
    let mut live = live::Live::new(clock.start, clock.measure_from, plan.show_stale);
    let mut cpu_from = plan.warmup.is_zero().then(CpuTime::now);
    let mut tick = clock.start + SECOND;
    loop {
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
            break;
        }
        if now >= tick {
            live.tick(&shared.stats, now);
            tick += SECOND;
        }
    }
    let cpu = cpu_from.map_or_else(CpuTime::default, |from| CpuTime::now().since(from));
    live.tick(&shared.stats, Instant::now());
    cpu
}

#[cfg(test)]
mod tests;
