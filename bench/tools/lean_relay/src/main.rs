//! lean_relay: a prototype, not part of sluice. It answers one question with measurements: would a
//! proxy that owns a lean single-threaded reactor (one per shard, pinned) meet the latency and CPU
//! targets on this host, where glommio's reactor makes ~8 `io_uring_enter` calls per query?
//!
//! For each client connection it opens one TCP connection to the backend and copies bytes both
//! ways without parsing, all on ONE thread, optionally pinned to a CPU. Modes:
//!
//! * `epoll`: level-triggered nonblocking sockets. Per wake-up one `epoll_wait`; per readable
//!   socket one `read`, then a direct `write` to the other side. A short write keeps the rest in a
//!   per-direction buffer, stops reading the source and waits for `EPOLLOUT` on the destination.
//!   A ping-pong query costs 6 syscalls: 2 x (epoll_wait, read, write).
//! * `uring`: plain `recv` SQEs (re-armed with `IORING_RECVSEND_POLL_FIRST` when the socket was
//!   drained) and `send` SQEs (MSG_WAITALL: io_uring finishes a short send itself), all submitted
//!   by the one `io_uring_enter` per loop iteration that also waits for one completion. The ring
//!   is `SINGLE_ISSUER | DEFER_TASKRUN`, so completions are only produced inside that call and
//!   nothing interrupts the thread. A ping-pong query costs 4 `io_uring_enter`: a send to a
//!   socket with room completes during the submit, so its completion ends that wait at once.
//! * `uring-batch`: the same, but the wait asks for `1 + sends submitted` completions, so a
//!   ping-pong query costs 2 `io_uring_enter`. For measurement only: it can stall when a send
//!   must wait for room while its peer waits for us (see `uring::run`). (An earlier version
//!   bounded that with `min_wait_usec`, an hrtimer per wait; it cost more than it saved.)
//!
//! usage: lean_relay LISTEN_ADDR BACKEND_ADDR [--cpu N] [--mode epoll|uring|uring-batch]
//!
//! The backend connect is blocking (the host is local; a real proxy would connect asynchronously).

mod epoll;
mod uring;

use std::io;
use std::net::{TcpListener, TcpStream};

/// Bytes read per `read`/`recv`.
const BUF: usize = 64 * 1024;

/// Free-list arena of connection pairs; the index travels in the epoll token / io_uring user_data.
struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<usize>,
}

impl<T> Slab<T> {
    fn new() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
    fn insert(&mut self, t: T) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.items[i] = Some(t);
                i
            }
            None => {
                self.items.push(Some(t));
                self.items.len() - 1
            }
        }
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i).and_then(Option::as_mut)
    }
    fn remove(&mut self, i: usize) -> Option<T> {
        let t = self.items.get_mut(i)?.take();
        if t.is_some() {
            self.free.push(i);
        }
        t
    }
}

/// Connects to the backend and sets TCP_NODELAY on both sockets.
fn open_pair(client: TcpStream, backend: &str) -> io::Result<[TcpStream; 2]> {
    let server = TcpStream::connect(backend)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    Ok([client, server])
}

fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn usage() -> ! {
    eprintln!(
        "usage: lean_relay LISTEN_ADDR BACKEND_ADDR [--cpu N] [--mode epoll|uring|uring-batch]"
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        usage();
    }
    let (listen, backend) = (&args[0], args[1].clone());
    let (mut cpu, mut mode) = (None, "epoll".to_string());
    let mut rest = args[2..].iter();
    while let Some(a) = rest.next() {
        match (a.as_str(), rest.next()) {
            ("--cpu", Some(n)) => cpu = Some(n.parse::<usize>().unwrap_or_else(|_| usage())),
            ("--mode", Some(m)) => mode = m.clone(),
            _ => usage(),
        }
    }
    if let Some(c) = cpu {
        pin_to_cpu(c).unwrap_or_else(|e| panic!("sched_setaffinity({c}): {e}"));
    }
    let listener = TcpListener::bind(listen).unwrap_or_else(|e| panic!("bind {listen}: {e}"));
    eprintln!("lean_relay: {listen} -> {backend}, mode {mode}, cpu {cpu:?}");
    let result = match mode.as_str() {
        "epoll" => epoll::run(listener, backend),
        "uring" => uring::run(listener, backend, false),
        "uring-batch" => uring::run(listener, backend, true),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("lean_relay: {e}");
        std::process::exit(1);
    }
}
