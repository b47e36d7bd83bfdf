//! The io_uring reactor: one `io_uring_enter` per loop iteration submits every queued recv/send
//! and waits; completions are handled in a batch that queues the next SQEs.

use crate::{open_pair, Slab, BUF};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

const ACCEPT: u64 = u64::MAX;
const RECV: u64 = 0;
const SEND: u64 = 1;
/// `IORING_RECVSEND_POLL_FIRST`: arm the poll before trying to receive (socket known drained).
const RECVSEND_POLL_FIRST: u16 = 1;
/// Stop reading a side while this much of its data waits for the other side.
const HIGH_WATER: usize = 256 * 1024;

/// Bytes from side `d` of a pair to side `1 - d`. `sending` is owned by the kernel while a send
/// is in flight and never touched then; bytes received meanwhile go to `queued`.
struct Dir {
    rbuf: Box<[u8]>,
    recv_armed: bool,
    sending: Vec<u8>,
    sent: usize,
    send_inflight: bool,
    queued: Vec<u8>,
    eof: bool,
}

impl Dir {
    fn new() -> Self {
        Dir {
            rbuf: vec![0; BUF].into_boxed_slice(),
            recv_armed: false,
            sending: Vec::new(),
            sent: 0,
            send_inflight: false,
            queued: Vec::new(),
            eof: false,
        }
    }
    fn idle(&self) -> bool {
        !self.send_inflight && self.queued.is_empty()
    }
}

/// A client socket (side 0) and its backend socket (side 1).
struct Pair {
    socks: [TcpStream; 2],
    dirs: [Dir; 2],
    inflight: u32,
    closing: bool,
}

fn user_data(idx: usize, op: u64, side: usize) -> u64 {
    (idx as u64) << 2 | op << 1 | side as u64
}

/// The ring plus the SQEs queued for the next `io_uring_enter`.
struct Reactor {
    ring: IoUring,
    sends_queued: usize,
}

impl Reactor {
    fn push(&mut self, sqe: squeue::Entry) {
        // SAFETY: every buffer an SQE points to lives in a `Pair` that is only freed once
        // `inflight` is back to 0, and is not touched while its operation is in flight.
        while unsafe { self.ring.submission().push(&sqe) }.is_err() {
            self.ring.submit().expect("io_uring submit");
        }
    }

    fn arm_recv(&mut self, pair: &mut Pair, idx: usize, d: usize, poll_first: bool) {
        let dir = &mut pair.dirs[d];
        let mut op = opcode::Recv::new(
            types::Fd(pair.socks[d].as_raw_fd()),
            dir.rbuf.as_mut_ptr(),
            dir.rbuf.len() as u32,
        );
        if poll_first {
            op = op.ioprio(RECVSEND_POLL_FIRST);
        }
        self.push(op.build().user_data(user_data(idx, RECV, d)));
        dir.recv_armed = true;
        pair.inflight += 1;
    }

    /// Queues a send of `sending[sent..]` to side `1 - d`. MSG_WAITALL makes io_uring itself
    /// finish a short send (it waits for room in the socket), so one completion covers it all.
    /// In `batch` mode the send is counted in the next wait (see `run`), unless its side said
    /// EOF: then its completion is what closes the pair and must end the wait.
    fn arm_send(&mut self, pair: &mut Pair, idx: usize, d: usize) {
        let dir = &mut pair.dirs[d];
        let rest = &dir.sending[dir.sent..];
        let fd = types::Fd(pair.socks[1 - d].as_raw_fd());
        let op = opcode::Send::new(fd, rest.as_ptr(), rest.len() as u32)
            .flags(libc::MSG_NOSIGNAL | libc::MSG_WAITALL);
        self.push(op.build().user_data(user_data(idx, SEND, d)));
        dir.send_inflight = true;
        pair.inflight += 1;
        self.sends_queued += !dir.eof as usize;
    }

    /// Handles one completion for `pairs[idx]`. Returns true when the pair can be freed.
    fn complete(
        &mut self,
        pair: &mut Pair,
        idx: usize,
        op: u64,
        d: usize,
        res: i32,
        flags: u32,
    ) -> bool {
        pair.inflight -= 1;
        if pair.closing {
            return pair.inflight == 0;
        }
        let ok = if op == RECV {
            self.on_recv(pair, idx, d, res, flags)
        } else {
            self.on_send(pair, idx, d, res)
        };
        // A side that said EOF closes the pair once what it sent has been delivered.
        if !ok || (0..2).any(|d| pair.dirs[d].eof && pair.dirs[d].idle()) {
            pair.closing = true;
            for s in &pair.socks {
                let _ = s.shutdown(std::net::Shutdown::Both); // completes what is in flight
            }
        }
        pair.closing && pair.inflight == 0
    }

    fn on_recv(&mut self, pair: &mut Pair, idx: usize, d: usize, res: i32, flags: u32) -> bool {
        pair.dirs[d].recv_armed = false;
        if res <= 0 {
            pair.dirs[d].eof = true;
            return res == 0;
        }
        let dir = &mut pair.dirs[d];
        let data = &dir.rbuf[..res as usize];
        if dir.send_inflight {
            dir.queued.extend_from_slice(data);
        } else {
            dir.sending.clear();
            dir.sending.extend_from_slice(data);
            dir.sent = 0;
            self.arm_send(pair, idx, d);
        }
        if pair.dirs[d].queued.len() < HIGH_WATER {
            self.arm_recv(pair, idx, d, !cqueue::sock_nonempty(flags));
        }
        true
    }

    fn on_send(&mut self, pair: &mut Pair, idx: usize, d: usize, res: i32) -> bool {
        let dir = &mut pair.dirs[d];
        dir.send_inflight = false;
        if res < 0 {
            return false;
        }
        dir.sent += res as usize;
        if dir.sent < dir.sending.len() {
            self.arm_send(pair, idx, d);
        } else if !dir.queued.is_empty() {
            std::mem::swap(&mut dir.sending, &mut dir.queued);
            dir.queued.clear();
            dir.sent = 0;
            self.arm_send(pair, idx, d);
        }
        let dir = &pair.dirs[d];
        if !dir.recv_armed && !dir.eof && dir.queued.len() < HIGH_WATER {
            self.arm_recv(pair, idx, d, false);
        }
        true
    }
}

pub fn run(listener: TcpListener, backend: String, batch: bool) -> io::Result<()> {
    let ring = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_coop_taskrun()
        .build(1024)?;
    let mut r = Reactor {
        ring,
        sends_queued: 0,
    };
    let accept = || {
        opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd()))
            .flags(libc::SOCK_CLOEXEC)
            .build()
            .user_data(ACCEPT)
    };
    r.push(accept());
    let mut pairs: Slab<Pair> = Slab::new();
    let mut cqes: Vec<(u64, i32, u32)> = Vec::with_capacity(1024);
    loop {
        // Batch mode: sends to sockets with room complete during the submit; wait for one
        // completion beyond them, or each half-query costs a second io_uring_enter. Not a
        // general design: a send that has to wait for room is counted too, and if its peer only
        // reads after we read from it (both sides sending megabytes at once), this never returns.
        let want = if batch { 1 + r.sends_queued } else { 1 };
        r.sends_queued = 0;
        if let Err(e) = r.ring.submitter().submit_and_wait(want) {
            if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) {
                return Err(e);
            }
        }
        cqes.extend(
            r.ring
                .completion()
                .map(|c| (c.user_data(), c.result(), c.flags())),
        );
        for (ud, res, flags) in cqes.drain(..) {
            if ud == ACCEPT {
                if res >= 0 {
                    let client = unsafe { TcpStream::from_raw_fd(res) };
                    match open_pair(client, &backend) {
                        Ok(socks) => {
                            let idx = pairs.insert(Pair {
                                socks,
                                dirs: [Dir::new(), Dir::new()],
                                inflight: 0,
                                closing: false,
                            });
                            let pair = pairs.get_mut(idx).unwrap();
                            r.arm_recv(pair, idx, 0, true);
                            r.arm_recv(pair, idx, 1, true);
                        }
                        Err(e) => eprintln!("lean_relay: backend {backend}: {e}"),
                    }
                }
                if !cqueue::more(flags) {
                    r.push(accept()); // the multishot accept ended: re-arm
                }
                continue;
            }
            let (idx, op, side) = ((ud >> 2) as usize, (ud >> 1) & 1, (ud & 1) as usize);
            let pair = pairs.get_mut(idx).expect("completion for a freed pair");
            if r.complete(pair, idx, op, side, res, flags) {
                pairs.remove(idx); // nothing in flight: dropping closes both sockets
            }
        }
    }
}
