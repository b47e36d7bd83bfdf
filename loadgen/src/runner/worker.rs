//! One connection's loop: connect and prepare, wait for the start, then run events until the
//! duration is over (or enough checked reads were counted) — back to back (closed loop, with an
//! optional think time) or at the instants the pacer gives (open loop; requests still due when
//! the duration is over are counted as unsent) — timing each from its start or its scheduled
//! instant, recording it, and reconnecting after a lost connection.
//!
//! It must not print anything but stale-read examples and a connection's giving up, and must not
//! allocate per event beyond what the client does.

use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

use super::pacer::Pacer;
use super::{lock, Clock, Plan, Shared, StartError};
use crate::client::{Client, ClientError, ConnectOpts};
use crate::stats::{ConnStats, Event};
use crate::workload::{Observation, Workload};

/// Pause between two reconnect attempts.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);
/// A connection stops after failing to reconnect for this long.
const RECONNECT_GIVE_UP: Duration = Duration::from_secs(10);
/// Timer slack asked for in open loop, so that sleeps end close to the scheduled instant.
const TIMER_SLACK_NS: u64 = 1_000;

pub(super) fn run<C: Client, W: Workload<C>>(
    index: usize,
    opts: &ConnectOpts,
    plan: &Plan,
    shared: &Shared,
    mut workload: W,
    ready: Sender<Result<(), StartError>>,
) {
    let (mut client, mut stmts) = match connect(opts, &mut workload) {
        Ok(connected) => {
            let _ = ready.send(Ok(()));
            connected
        }
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    drop(ready);
    let Some(clock) = shared.gate.wait() else {
        return;
    };
    let mut pacer = plan.rate.map(|rate| {
        // Best effort: without it sleeps may end up to 50 µs late, which then shows as latency.
        let _ = nix::sys::prctl::set_timerslack(TIMER_SLACK_NS);
        Pacer::new(clock.start, rate, plan.connections, index)
    });
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
        sleep_until(due);
        seen.read = None;
        seen.write_us = None;
        let sent_before = client.statements_sent();
        let result = workload.event(&mut client, &stmts, &mut seen);
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
            shared
                .checked_reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if read.stale() {
                shared.stale_example(index, read);
            }
        }
        match result {
            Ok(()) => {}
            Err(err) if err.connection_lost() => {
                match reconnect(index, opts, plan, shared, clock, &mut workload, stats) {
                    Some((new_client, new_stmts)) => (client, stmts) = (new_client, new_stmts),
                    None => break,
                }
            }
            Err(_) => workload.recover(&mut client),
        }
        if pacer.is_none() && !plan.think_time.is_zero() {
            thread::sleep(plan.think_time);
        }
    }
}

fn connect<C: Client, W: Workload<C>>(
    opts: &ConnectOpts,
    workload: &mut W,
) -> Result<(C, W::Stmts), StartError> {
    let mut client = C::connect(opts).map_err(StartError::Connect)?;
    let stmts = workload.prepare(&mut client).map_err(StartError::Prepare)?;
    Ok((client, stmts))
}

/// Reconnects until it works, the run ends, or [`RECONNECT_GIVE_UP`] passes; each failure counts
/// as an error.
fn reconnect<C: Client, W: Workload<C>>(
    index: usize,
    opts: &ConnectOpts,
    plan: &Plan,
    shared: &Shared,
    clock: Clock,
    workload: &mut W,
    stats: &std::sync::Mutex<ConnStats>,
) -> Option<(C, W::Stmts)> {
    let give_up = Instant::now() + RECONNECT_GIVE_UP;
    loop {
        let now = Instant::now();
        if clock.end.is_some_and(|end| now >= end) || shared.reads_reached(plan.reads) {
            return None;
        }
        match connect(opts, workload) {
            Ok(connected) => return Some(connected),
            Err(err) => {
                let err = err.error();
                lock(stats).record_error(err.code(), now >= clock.measure_from);
                if now >= give_up {
                    eprintln!(
                        "loadgen: connection {index} stops after {} s of failed reconnects: {err}",
                        RECONNECT_GIVE_UP.as_secs()
                    );
                    return None;
                }
                thread::sleep(RECONNECT_PAUSE);
            }
        }
    }
}

fn sleep_until(due: Instant) {
    let now = Instant::now();
    if due > now {
        thread::sleep(due - now);
    }
}
