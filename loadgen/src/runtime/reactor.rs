//! The reactor of one loadgen thread: which sockets are ready, which timers are due, and the one
//! blocking wait of the thread. One epoll instance per thread with every socket registered once,
//! edge-triggered, for reading and writing (no re-arming per read or write); one timerfd set to the
//! earliest pending timer, and only when that changes (a closed loop has no timer pending, so its
//! wait is one `epoll_wait` and nothing else); one eventfd that a waker on another thread rings.
//!
//! It owns readiness flags and the wakers waiting on them, and must not read or write sockets or
//! run tasks (the socket type and the executor do).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::eventfd::{eventfd, EfdFlags};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

/// Event tokens of the reactor's own descriptors; sockets get slot tokens below these.
const BELL_TOKEN: u64 = u64::MAX;
const TIMER_TOKEN: u64 = u64::MAX - 1;
/// Events taken per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 256;

/// One direction (read or write) of a registered socket.
#[derive(Default)]
struct Direction {
    /// The last attempt did not find the socket empty (read) or full (write), or an edge came
    /// since: the next attempt must make the system call.
    ready: Cell<bool>,
    waiter: RefCell<Option<Waker>>,
}

impl Direction {
    fn wait(&self, waker: &Waker) {
        let mut slot = self.waiter.borrow_mut();
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

/// Readiness of one registered socket, shared by the socket and the reactor.
#[derive(Default)]
pub(super) struct Readiness {
    read: Direction,
    write: Direction,
    /// The peer closed its side (or the socket failed): reads never block again, so a short read
    /// must not clear `read`.
    closed: Cell<bool>,
}

/// One direction of a registered socket, for [`Readiness`]'s methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Read,
    Write,
}

impl Readiness {
    fn direction(&self, dir: Dir) -> &Direction {
        match dir {
            Dir::Read => &self.read,
            Dir::Write => &self.write,
        }
    }

    /// Whether the next attempt in `dir` must make the system call.
    pub(super) fn is_ready(&self, dir: Dir) -> bool {
        self.direction(dir).ready.get()
    }

    /// The socket was found empty (read) or full (write): wait for the next edge. Reads never
    /// wait once the peer has closed.
    pub(super) fn clear(&self, dir: Dir) {
        if dir == Dir::Write || !self.closed.get() {
            self.direction(dir).ready.set(false);
        }
    }

    /// Wakes `waker` at the next edge in `dir`.
    pub(super) fn wait(&self, dir: Dir, waker: &Waker) {
        self.direction(dir).wait(waker);
    }
}

/// A registration slot: its generation tells a stale event (for a socket since closed) from a
/// current one.
struct Slot {
    generation: u32,
    readiness: Option<Rc<Readiness>>,
}

/// Rings the reactor of a thread from any thread.
#[derive(Clone)]
pub(super) struct Bell {
    fd: Arc<OwnedFd>,
    /// How often it was rung (a wake-up from the executor's own thread never should).
    rung: Arc<AtomicU64>,
}

impl Bell {
    pub(super) fn ring(&self) {
        self.rung.fetch_add(1, Ordering::Relaxed);
        // EAGAIN: the counter is already non-zero, so the reactor wakes anyway.
        let _ = nix::unistd::write(self.fd.as_raw_fd(), &1u64.to_ne_bytes());
    }

    #[cfg(test)]
    pub(super) fn times_rung(&self) -> u64 {
        self.rung.load(Ordering::Relaxed)
    }
}

/// A pending timer's key: its deadline and a sequence number (two timers may share a deadline).
pub(super) type TimerKey = (Instant, u64);

pub(super) struct Reactor {
    epoll: Epoll,
    bell: Bell,
    timerfd: TimerFd,
    /// The deadline the timerfd is set to, if it is set and has not fired yet.
    armed: Cell<Option<Instant>>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<u32>>,
    timers: RefCell<BTreeMap<TimerKey, Waker>>,
    next_timer: Cell<u64>,
    events: RefCell<Vec<EpollEvent>>,
}

impl Reactor {
    pub(super) fn new() -> io::Result<Reactor> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let bell = eventfd(0, EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC)?;
        epoll.add(&bell, EpollEvent::new(EpollFlags::EPOLLIN, BELL_TOKEN))?;
        let timerfd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        epoll.add(
            timerfd.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, TIMER_TOKEN),
        )?;
        Ok(Reactor {
            epoll,
            bell: Bell {
                fd: Arc::new(bell),
                rung: Arc::default(),
            },
            timerfd,
            armed: Cell::new(None),
            slots: RefCell::default(),
            free: RefCell::default(),
            timers: RefCell::default(),
            next_timer: Cell::new(0),
            events: RefCell::new(vec![EpollEvent::empty(); EVENTS_PER_WAIT]),
        })
    }

    pub(super) fn bell(&self) -> Bell {
        self.bell.clone()
    }

    /// Registers `fd` (edge-triggered, both directions) and returns its token and readiness.
    /// `writable`: whether it can be written at once (a connected socket; not one connecting).
    pub(super) fn register(
        &self,
        fd: impl AsFd,
        writable: bool,
    ) -> io::Result<(u64, Rc<Readiness>)> {
        let readiness = Rc::new(Readiness::default());
        readiness.read.ready.set(true);
        readiness.write.ready.set(writable);
        let mut slots = self.slots.borrow_mut();
        let index = match self.free.borrow_mut().pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(slots.len())
                    .map_err(|_| io::Error::other("too many sockets on one thread"))?;
                slots.push(Slot {
                    generation: 0,
                    readiness: None,
                });
                i
            }
        };
        let slot = &mut slots[index as usize];
        slot.readiness = Some(readiness.clone());
        let token = (u64::from(slot.generation) << 32) | u64::from(index);
        let flags = EpollFlags::EPOLLIN
            | EpollFlags::EPOLLOUT
            | EpollFlags::EPOLLRDHUP
            | EpollFlags::EPOLLET;
        if let Err(err) = self.epoll.add(fd, EpollEvent::new(flags, token)) {
            slot.readiness = None;
            slot.generation = slot.generation.wrapping_add(1);
            self.free.borrow_mut().push(index);
            return Err(err.into());
        }
        Ok((token, readiness))
    }

    /// Forgets the registration `token` (its socket is being closed, which removes it from the
    /// epoll set).
    pub(super) fn deregister(&self, token: u64) {
        let index = (token & u64::from(u32::MAX)) as u32;
        let mut slots = self.slots.borrow_mut();
        if let Some(slot) = slots.get_mut(index as usize) {
            if u64::from(slot.generation) == token >> 32 && slot.readiness.take().is_some() {
                slot.generation = slot.generation.wrapping_add(1);
                self.free.borrow_mut().push(index);
            }
        }
    }

    /// Adds a timer waking `waker` at `deadline`.
    pub(super) fn add_timer(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let key = (deadline, self.next_timer.get());
        self.next_timer.set(key.1.wrapping_add(1));
        self.timers.borrow_mut().insert(key, waker);
        key
    }

    /// Replaces the waker of a pending timer (gone already: it fired, nothing to do).
    pub(super) fn update_timer(&self, key: TimerKey, waker: &Waker) {
        if let Some(w) = self.timers.borrow_mut().get_mut(&key) {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }

    pub(super) fn remove_timer(&self, key: TimerKey) {
        self.timers.borrow_mut().remove(&key);
    }

    /// Waits for events (until the earliest timer if `block`, else not at all) and adds the
    /// wakers of whatever became ready, and of every timer that is due, to `woken`. The caller
    /// wakes them once it no longer counts as asleep: a wake-up from this thread must not ring the
    /// bell.
    pub(super) fn wait(&self, block: bool, woken: &mut Vec<Waker>) -> io::Result<()> {
        let timeout = if block { self.arm_timer()? } else { 0 };
        let mut events = self.events.borrow_mut();
        let n = match self.epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(err) => return Err(err.into()),
        };
        for ev in &events[..n] {
            match ev.data() {
                BELL_TOKEN => self.drain(self.bell.fd.as_raw_fd()),
                TIMER_TOKEN => {
                    self.drain(self.timerfd.as_fd().as_raw_fd());
                    self.armed.set(None);
                }
                token => self.dispatch(token, ev.events(), woken),
            }
        }
        drop(events);
        self.take_due_timers(woken);
        Ok(())
    }

    /// Sets the timerfd to the earliest timer if it is not set to that already; the `epoll_wait`
    /// timeout: 0 if a timer is due, else none.
    fn arm_timer(&self) -> io::Result<isize> {
        let Some(&(earliest, _)) = self.timers.borrow().keys().next() else {
            return Ok(-1);
        };
        let now = Instant::now();
        if earliest <= now {
            return Ok(0);
        }
        // A later deadline than the armed one needs nothing: the early expiry is harmless.
        if self.armed.get().is_some_and(|armed| armed <= earliest) {
            return Ok(-1);
        }
        let left = TimeSpec::from_duration(earliest - now);
        self.timerfd
            .set(Expiration::OneShot(left), TimerSetTimeFlags::empty())?;
        self.armed.set(Some(earliest));
        Ok(-1)
    }

    fn drain(&self, fd: std::os::fd::RawFd) {
        let mut buf = [0u8; 8];
        // EAGAIN: nothing to drain.
        let _ = nix::unistd::read(fd, &mut buf);
    }

    fn dispatch(&self, token: u64, flags: EpollFlags, woken: &mut Vec<Waker>) {
        let index = (token & u64::from(u32::MAX)) as usize;
        let readiness = {
            let slots = self.slots.borrow();
            match slots.get(index) {
                Some(slot) if u64::from(slot.generation) == token >> 32 => slot.readiness.clone(),
                _ => None,
            }
        };
        let Some(r) = readiness else {
            return;
        };
        let failed = flags.intersects(EpollFlags::EPOLLERR | EpollFlags::EPOLLHUP);
        if failed || flags.contains(EpollFlags::EPOLLRDHUP) {
            r.closed.set(true);
        }
        if failed || flags.intersects(EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP) {
            r.read.ready.set(true);
            woken.extend(r.read.waiter.borrow_mut().take());
        }
        if failed || flags.contains(EpollFlags::EPOLLOUT) {
            r.write.ready.set(true);
            woken.extend(r.write.waiter.borrow_mut().take());
        }
    }

    fn take_due_timers(&self, woken: &mut Vec<Waker>) {
        let mut timers = self.timers.borrow_mut();
        if timers.is_empty() {
            return;
        }
        let now = Instant::now();
        while let Some(entry) = timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            woken.push(entry.remove());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;
    use std::time::Duration;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// One wait, waking what it found.
    fn wait(r: &Reactor, block: bool) {
        let mut woken = Vec::new();
        r.wait(block, &mut woken).expect("wait");
        woken.into_iter().for_each(Waker::wake);
    }

    fn counter() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn a_socket_edge_wakes_its_reader_and_sets_readable() {
        let r = Reactor::new().expect("reactor");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut peer =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut ours, _) = listener.accept().expect("accept");
        ours.set_nonblocking(true).expect("nonblocking");
        let (token, readiness) = r.register(&ours, true).expect("register");
        wait(&r, false);
        let mut buf = [0u8; 8];
        assert!(ours.read(&mut buf).is_err(), "nothing sent yet");
        readiness.clear(Dir::Read);
        let (count, waker) = counter();
        readiness.wait(Dir::Read, &waker);
        peer.write_all(b"hi").expect("write");
        wait(&r, true);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(readiness.is_ready(Dir::Read));
        assert_eq!(ours.read(&mut buf).expect("read"), 2);
        // The peer closes: a short read no longer clears readability (EOF must be seen).
        drop(peer);
        wait(&r, true);
        readiness.clear(Dir::Read);
        assert!(readiness.is_ready(Dir::Read));
        r.deregister(token);
    }

    #[test]
    fn timers_fire_in_order_and_removed_ones_do_not() {
        let r = Reactor::new().expect("reactor");
        let now = Instant::now();
        let (first, w1) = counter();
        let (removed, w2) = counter();
        let (later, w3) = counter();
        r.add_timer(now + Duration::from_millis(5), w1);
        let k2 = r.add_timer(now + Duration::from_millis(1), w2);
        r.add_timer(now + Duration::from_millis(30), w3);
        r.remove_timer(k2);
        while first.0.load(Ordering::SeqCst) == 0 {
            wait(&r, true);
        }
        assert!(now.elapsed() >= Duration::from_millis(5));
        assert_eq!(removed.0.load(Ordering::SeqCst), 0);
        assert_eq!(later.0.load(Ordering::SeqCst), 0);
        while later.0.load(Ordering::SeqCst) == 0 {
            wait(&r, true);
        }
        assert!(now.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn the_bell_ends_a_blocking_wait_from_another_thread() {
        let r = Reactor::new().expect("reactor");
        let bell = r.bell();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            bell.ring();
        });
        wait(&r, true);
        t.join().expect("join");
    }
}
