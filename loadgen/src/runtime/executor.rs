//! The executor of one loadgen thread: runs a main future and the tasks spawned beside it, and
//! when none can run, waits in the thread's reactor. Tasks are local (they need not be `Send`);
//! their wakers are ordinary `Waker`s that may be used from any thread: they queue the task id
//! and ring the reactor's bell only if the executor is asleep.
//!
//! It owns the task slots, the run queue and the thread's current executor, and must not know
//! about sockets or timers beyond asking the reactor to wait.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use super::reactor::{Bell, Reactor};

type LocalTask = Pin<Box<dyn Future<Output = ()>>>;

/// A task's slot index and generation; [`MAIN`] is the future `block_on` runs.
type TaskId = u64;
const MAIN: TaskId = u64::MAX;

/// After this many rounds without waiting, the reactor is polled without blocking, so tasks that
/// keep waking each other cannot starve the sockets.
const ROUNDS_PER_POLL: u32 = 64;

/// Ids of woken tasks, shared with their wakers on any thread.
struct RunQueue {
    woken: Mutex<Vec<TaskId>>,
    /// The executor is (about to be) blocked in the reactor: a wake-up must ring the bell.
    sleeping: AtomicBool,
    bell: Bell,
}

impl RunQueue {
    fn lock(&self) -> MutexGuard<'_, Vec<TaskId>> {
        // A plain list of ids: a panic elsewhere cannot leave it broken.
        self.woken.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, id: TaskId) {
        self.lock().push(id);
        if self.sleeping.load(Ordering::SeqCst) {
            self.bell.ring();
        }
    }
}

struct TaskWaker {
    id: TaskId,
    /// Queued and not polled since: further wake-ups need not queue it again.
    queued: AtomicBool,
    queue: Arc<RunQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            self.queue.push(self.id);
        }
    }
}

struct Slot {
    generation: u32,
    /// `None` while the task is being polled, or once the slot is free.
    task: Option<LocalTask>,
    waker: Option<(Arc<TaskWaker>, Waker)>,
}

pub(super) struct Executor {
    pub(super) reactor: Reactor,
    queue: Arc<RunQueue>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<u32>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Executor>>> = const { RefCell::new(None) };
}

/// Runs `f` with the executor of this thread.
///
/// # Panics
/// Outside [`block_on`]: loadgen's futures run only on its own executors.
pub(super) fn with_current<R>(f: impl FnOnce(&Executor) -> R) -> R {
    match try_current() {
        Some(ex) => f(&ex),
        None => panic!("loadgen's runtime used outside its executor"),
    }
}

/// This thread's executor, if a [`block_on`] runs on it.
pub(super) fn try_current() -> Option<Rc<Executor>> {
    CURRENT.with(|c| c.borrow().clone())
}

fn id_of(index: u32, generation: u32) -> TaskId {
    (u64::from(generation) << 32) | u64::from(index)
}

fn split(id: TaskId) -> (usize, u32) {
    ((id & u64::from(u32::MAX)) as usize, (id >> 32) as u32)
}

/// Runs `fut` to completion on a new executor on this thread, with the tasks it spawns.
pub(super) fn block_on<T>(fut: impl Future<Output = T>) -> io::Result<T> {
    let reactor = Reactor::new()?;
    let queue = Arc::new(RunQueue {
        woken: Mutex::default(),
        sleeping: AtomicBool::new(false),
        bell: reactor.bell(),
    });
    let ex = Rc::new(Executor {
        reactor,
        queue,
        slots: RefCell::default(),
        free: RefCell::default(),
    });
    let previous = CURRENT.with(|c| c.replace(Some(ex.clone())));
    let result = ex.run(fut);
    // The tasks still spawned end with the executor (their futures are dropped here).
    let tasks: Vec<_> = ex
        .slots
        .borrow_mut()
        .iter_mut()
        .filter_map(|s| s.task.take())
        .collect();
    drop(tasks);
    CURRENT.with(|c| c.replace(previous));
    result
}

impl Executor {
    fn run<T>(&self, fut: impl Future<Output = T>) -> io::Result<T> {
        let mut fut = pin!(fut);
        let main = Arc::new(TaskWaker {
            id: MAIN,
            queued: AtomicBool::new(true),
            queue: self.queue.clone(),
        });
        let main_waker = Waker::from(main.clone());
        let mut batch = Vec::new();
        let mut woken = Vec::new();
        let mut busy_rounds = 0u32;
        loop {
            if main.queued.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = fut.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                    return Ok(v);
                }
            }
            std::mem::swap(&mut batch, &mut *self.queue.lock());
            for id in batch.drain(..) {
                if id != MAIN {
                    self.poll_task(id);
                }
            }
            if main.queued.load(Ordering::SeqCst) || !self.queue.lock().is_empty() {
                busy_rounds += 1;
                if busy_rounds % ROUNDS_PER_POLL == 0 {
                    self.reactor.wait(false, &mut woken)?;
                    woken.drain(..).for_each(Waker::wake);
                }
                continue;
            }
            busy_rounds = 0;
            self.queue.sleeping.store(true, Ordering::SeqCst);
            // A wake-up between the check above and `sleeping` rang no bell: look once more.
            let idle = self.queue.lock().is_empty() && !main.queued.load(Ordering::SeqCst);
            let waited = if idle {
                self.reactor.wait(true, &mut woken)
            } else {
                Ok(())
            };
            // Awake again before waking anything: these wake-ups come from this thread.
            self.queue.sleeping.store(false, Ordering::SeqCst);
            woken.drain(..).for_each(Waker::wake);
            waited?;
        }
    }

    /// Polls the task `id` if it still exists; frees its slot when it completes.
    fn poll_task(&self, id: TaskId) {
        let (index, generation) = split(id);
        let (mut task, tw, waker) = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(index) else {
                return;
            };
            if slot.generation != generation {
                return;
            }
            let (Some(task), Some((tw, waker))) = (slot.task.take(), slot.waker.as_ref()) else {
                return;
            };
            (task, tw.clone(), waker.clone())
        };
        tw.queued.store(false, Ordering::SeqCst);
        let done = task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready();
        let finished = {
            let mut slots = self.slots.borrow_mut();
            match slots.get_mut(index) {
                // Still ours (not cancelled while it ran).
                Some(slot) if slot.generation == generation => {
                    if done {
                        self.release(slot, index);
                        Some(task)
                    } else {
                        slot.task = Some(task);
                        None
                    }
                }
                _ => Some(task),
            }
        };
        // Dropped outside the borrow: dropping a future may cancel other tasks.
        drop(finished);
    }

    fn release(&self, slot: &mut Slot, index: usize) {
        slot.generation = slot.generation.wrapping_add(1);
        slot.waker = None;
        slot.task = None;
        if let Ok(i) = u32::try_from(index) {
            self.free.borrow_mut().push(i);
        }
    }

    fn spawn(&self, task: LocalTask) -> TaskId {
        let mut slots = self.slots.borrow_mut();
        let index = match self.free.borrow_mut().pop() {
            Some(i) => i as usize,
            None => {
                slots.push(Slot {
                    generation: 0,
                    task: None,
                    waker: None,
                });
                slots.len() - 1
            }
        };
        let slot = &mut slots[index];
        let id = id_of(index as u32, slot.generation);
        let tw = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(false),
            queue: self.queue.clone(),
        });
        let waker = Waker::from(tw.clone());
        slot.task = Some(task);
        slot.waker = Some((tw, waker.clone()));
        drop(slots);
        waker.wake();
        id
    }

    /// Drops the task `id` if it has not completed.
    fn cancel(&self, id: TaskId) {
        let (index, generation) = split(id);
        let task = {
            let mut slots = self.slots.borrow_mut();
            match slots.get_mut(index) {
                Some(slot) if slot.generation == generation => {
                    let task = slot.task.take();
                    self.release(slot, index);
                    task
                }
                _ => None,
            }
        };
        drop(task);
    }
}

/// The output of a spawned task, shared by the task and its handle.
struct JoinState<T> {
    output: RefCell<Option<T>>,
    done: Cell<bool>,
    waiter: RefCell<Option<Waker>>,
}

/// A spawned task: awaiting it gives its output; dropping it first cancels the task.
pub(super) struct JoinHandle<T> {
    id: TaskId,
    state: Rc<JoinState<T>>,
}

/// Spawns `fut` as a task of this thread's executor.
pub(super) fn spawn_local<T: 'static>(fut: impl Future<Output = T> + 'static) -> JoinHandle<T> {
    let state = Rc::new(JoinState {
        output: RefCell::new(None),
        done: Cell::new(false),
        waiter: RefCell::new(None),
    });
    let ours = state.clone();
    let task = Box::pin(async move {
        let v = fut.await;
        *ours.output.borrow_mut() = Some(v);
        ours.done.set(true);
        let waiter = ours.waiter.borrow_mut().take();
        if let Some(w) = waiter {
            w.wake();
        }
    });
    let id = with_current(|ex| ex.spawn(task));
    JoinHandle { id, state }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(v) = self.state.output.borrow_mut().take() {
            return Poll::Ready(v);
        }
        *self.state.waiter.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if !self.state.done.get() {
            // Outside the executor (never for loadgen's handles) there is nothing to cancel.
            if let Some(ex) = try_current() {
                ex.cancel(self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_run_and_their_outputs_are_joined() {
        let out = block_on(async {
            let a = spawn_local(async { 1 });
            let b = spawn_local(async { 2 });
            a.await + b.await
        })
        .expect("runs");
        assert_eq!(out, 3);
    }

    #[test]
    fn a_dropped_handle_cancels_its_task() {
        let ran = Rc::new(Cell::new(false));
        let seen = ran.clone();
        block_on(async move {
            let never = spawn_local(async move {
                futures_lite::future::yield_now().await;
                seen.set(true);
            });
            drop(never);
            // Give a cancelled task every chance to run.
            for _ in 0..10 {
                futures_lite::future::yield_now().await;
            }
        })
        .expect("runs");
        assert!(!ran.get());
    }

    #[test]
    fn a_waker_used_on_another_thread_wakes_a_sleeping_executor() {
        let (out, rung) = block_on(async {
            let mut sent = false;
            let out = futures_lite::future::poll_fn(|cx| {
                if sent {
                    return Poll::Ready(7);
                }
                sent = true;
                let w = cx.waker().clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    w.wake();
                });
                Poll::Pending
            })
            .await;
            (out, with_current(|ex| ex.queue.bell.times_rung()))
        })
        .expect("runs");
        assert_eq!(out, 7);
        assert_eq!(rung, 1, "the other thread rang the bell once");
    }

    #[test]
    fn wake_ups_from_the_executors_own_thread_never_ring_its_bell() {
        use super::super::tcp::TcpStream;
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        let rung = block_on(async move {
            let mut client = TcpStream::from_std(client).expect("register");
            // An echo task on the same executor: every reply wakes the client from a wait.
            let echo = spawn_local(async move {
                let mut server = TcpStream::from_std(server).expect("register");
                let mut buf = [0u8; 64];
                for _ in 0..100 {
                    let n = server.read(&mut buf).await.expect("read");
                    server.write_all(&buf[..n]).await.expect("write");
                }
            });
            for i in 0..100u8 {
                client.write_all(&[i]).await.expect("write");
                let mut one = [0u8; 1];
                client.read_exact(&mut one).await.expect("read");
                assert_eq!(one[0], i);
            }
            echo.await;
            with_current(|ex| ex.queue.bell.times_rung())
        })
        .expect("runs");
        assert_eq!(rung, 0);
    }

    #[test]
    fn slots_are_reused_without_waking_the_wrong_task() {
        block_on(async {
            for round in 0..100u32 {
                let handles: Vec<_> = (0..10u32).map(|i| spawn_local(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await;
                }
                assert_eq!(sum, 45, "round {round}");
            }
        })
        .expect("runs");
    }
}
