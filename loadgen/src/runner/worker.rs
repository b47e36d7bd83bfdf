//! One worker thread's part of a run, on its executor: open its connections (concurrently, each
//! with its statements prepared) and report each to the main thread, wait for the start, then run
//! one task per connection until the duration is over (or enough checked reads were counted) —
//! events back to back (closed loop, with an optional think time) or at the instants the pacer
//! gives (open loop, the task sleeping on a timer until then; requests still due when the duration
//! is over are counted as unsent) — timing each from its start or its scheduled instant,
//! recording it, and reconnecting after a lost connection. No timer is pending while a closed
//! loop runs (a pending timer would cost a timerfd update per wait); a connection still waiting for
//! a reply long after the end is abandoned by the main thread, not watched here.
//!
//! It must not print anything but stale-read examples and a connection's giving up, and must not
//! allocate per event beyond what the client does.

use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pacer::Pacer;
use super::{lock, Clock, Plan, Shared, StartError};
use crate::client::{Client, ClientError, ConnectOpts, CR_UNKNOWN_ERROR};
use crate::runtime;
use crate::stats::{ConnStats, Event};
use crate::workload::{Observation, Workload};

/// Pause between two reconnect attempts.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);
/// A connection stops after failing to reconnect for this long.
const RECONNECT_GIVE_UP: Duration = Duration::from_secs(10);
/// Timer slack asked for in open loop, so that sleeps end close to the scheduled instant.
const TIMER_SLACK_NS: u64 = 1_000;

/// One open connection and its workload.
struct Conn<C: Client, W: Workload<C>> {
    index: usize,
    workload: W,
    client: C,
    stmts: W::Stmts,
}

/// What every connection task of the thread shares.
struct Ctx {
    opts: ConnectOpts,
    plan: Plan,
    shared: Arc<Shared>,
    clock: Clock,
}

/// What a worker thread runs: its connections `share` (index, workload) from start to end.
/// Dropping `done` (when it returns) tells the main thread this worker is over.
pub(super) async fn run<C: Client + 'static, W: Workload<C> + 'static>(
    opts: ConnectOpts,
    plan: Plan,
    shared: Arc<Shared>,
    share: Vec<(usize, W)>,
    ready: Sender<Result<(), StartError>>,
    done: Sender<()>,
) {
    let _done = done;
    let opts = Rc::new(opts);
    let connected = runtime::join_all(share.into_iter().map(|(index, mut workload)| {
        let opts = opts.clone();
        async move {
            let result = connect::<C, W>(&opts, &mut workload).await;
            (index, workload, result)
        }
    }))
    .await;
    let mut conns = Vec::with_capacity(connected.len());
    for (index, workload, result) in connected {
        match result {
            Ok((client, stmts)) => {
                let _ = ready.send(Ok(()));
                conns.push(Conn {
                    index,
                    workload,
                    client,
                    stmts,
                });
            }
            Err(err) => {
                let _ = ready.send(Err(err));
            }
        }
    }
    drop(ready);
    // Every connection of this thread is idle until the start, so blocking the executor here
    // holds nothing up.
    let Some(clock) = shared.gate.wait() else {
        return;
    };
    if plan.rate.is_some() {
        // Best effort: without it sleeps may end up to 50 µs late, which then shows as latency.
        let _ = nix::sys::prctl::set_timerslack(TIMER_SLACK_NS);
    }
    let ctx = Rc::new(Ctx {
        opts: Rc::unwrap_or_clone(opts),
        plan,
        shared,
        clock,
    });
    runtime::join_all(conns.into_iter().map(|conn| run_conn(conn, ctx.clone()))).await;
}

async fn run_conn<C: Client, W: Workload<C>>(conn: Conn<C, W>, ctx: Rc<Ctx>) {
    let Conn {
        index,
        mut workload,
        mut client,
        mut stmts,
    } = conn;
    let (plan, shared, clock) = (&ctx.plan, &*ctx.shared, ctx.clock);
    let mut pacer = plan
        .rate
        .map(|rate| Pacer::new(clock.start, rate, plan.connections, index));
    let stats = &shared.stats[index];
    let mut seen = Observation::default();
    loop {
        let due = match pacer.as_mut() {
            Some(pacer) => pacer.next_due(),
            None => Instant::now(),
        };
        if clock.end.is_some_and(|end| due >= end) || shared.reads_reached(plan.reads) {
            break;
        }
        if let (Some(end), Some(pacer)) = (clock.end, &pacer) {
            if Instant::now() >= end {
                // Behind schedule at the end: the requests still due are not sent, but counted.
                lock(stats).total.unsent += 1 + pacer.due_before(end);
                break;
            }
        }
        if pacer.is_some() {
            runtime::sleep_until(due).await;
        }
        seen.read = None;
        seen.write_us = None;
        let sent_before = client.statements_sent();
        let result = workload.event(&mut client, &stmts, &mut seen).await;
        let done = Instant::now();
        let measured = due >= clock.measure_from;
        lock(stats).record(&Event {
            measured,
            latency_us: done.saturating_duration_since(due).as_micros() as u64,
            queries: client.statements_sent() - sent_before,
            error: result.as_ref().err().map(ClientError::code),
            seen: &seen,
            done,
        });
        if let (true, Some(read)) = (measured, &seen.read) {
            shared.checked_reads.fetch_add(1, Ordering::Relaxed);
            if read.stale() {
                shared.stale_example(index, read);
            }
        }
        match result {
            Ok(()) => {}
            Err(err) if err.connection_lost() => {
                match reconnect(index, &ctx, &mut workload, stats).await {
                    Some((new_client, new_stmts)) => (client, stmts) = (new_client, new_stmts),
                    None => return,
                }
            }
            Err(_) => workload.recover(&mut client).await,
        }
        if pacer.is_none() && !plan.think_time.is_zero() {
            runtime::sleep(plan.think_time).await;
        }
    }
    client.close().await;
}

async fn connect<C: Client, W: Workload<C>>(
    opts: &ConnectOpts,
    workload: &mut W,
) -> Result<(C, W::Stmts), StartError> {
    let mut client = C::connect(opts).await.map_err(StartError::Connect)?;
    let stmts = workload
        .prepare(&mut client)
        .await
        .map_err(StartError::Prepare)?;
    Ok((client, stmts))
}

/// Reconnects until it works, the run ends, or [`RECONNECT_GIVE_UP`] passes; each failure counts
/// as an error.
async fn reconnect<C: Client, W: Workload<C>>(
    index: usize,
    ctx: &Ctx,
    workload: &mut W,
    stats: &Mutex<ConnStats>,
) -> Option<(C, W::Stmts)> {
    let give_up = Instant::now() + RECONNECT_GIVE_UP;
    loop {
        let now = Instant::now();
        if ctx.clock.end.is_some_and(|end| now >= end) || ctx.shared.reads_reached(ctx.plan.reads) {
            return None;
        }
        match connect(&ctx.opts, workload).await {
            Ok(connected) => return Some(connected),
            Err(err) => {
                let code = err
                    .client_error()
                    .map_or(CR_UNKNOWN_ERROR, ClientError::code);
                lock(stats).record_error(code, now >= ctx.clock.measure_from);
                if now >= give_up {
                    eprintln!(
                        "loadgen: connection {index} stops after {} s of failed reconnects: {err}",
                        RECONNECT_GIVE_UP.as_secs()
                    );
                    return None;
                }
                runtime::sleep(RECONNECT_PAUSE).await;
            }
        }
    }
}
