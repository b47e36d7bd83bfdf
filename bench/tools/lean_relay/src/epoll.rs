//! The epoll reactor: level-triggered, one `read` per readable socket per wake-up, direct writes.

use crate::{open_pair, Slab, BUF};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

const LISTENER: u64 = u64::MAX;

/// A client socket (side 0) and its backend socket (side 1). `pending[d]` holds bytes read from
/// side `d` that side `1 - d` has not accepted yet; while it is non-empty side `d` is not read.
struct Pair {
    socks: [TcpStream; 2],
    pending: [Vec<u8>; 2],
    eof: [bool; 2],
    interest: [u32; 2],
    dead: bool,
}

fn ctl(ep: RawFd, op: i32, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    if unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn is_would_block(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}

impl Pair {
    /// Writes `pending[d]` to side `1 - d`. Err means the pair must close.
    fn flush(&mut self, d: usize) -> io::Result<()> {
        while !self.pending[d].is_empty() {
            match (&self.socks[1 - d]).write(&self.pending[d]) {
                Ok(n) => drop(self.pending[d].drain(..n)),
                Err(e) if is_would_block(&e) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Handles readiness of side `s`. Returns false when the pair must close.
    fn on_event(&mut self, s: usize, events: u32, buf: &mut [u8]) -> bool {
        if events & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
            return false;
        }
        if events & libc::EPOLLOUT as u32 != 0 && self.flush(1 - s).is_err() {
            return false;
        }
        if events & libc::EPOLLIN as u32 != 0 && self.pending[s].is_empty() && !self.eof[s] {
            match (&self.socks[s]).read(buf) {
                Ok(0) => self.eof[s] = true,
                Ok(n) => match (&self.socks[1 - s]).write(&buf[..n]) {
                    Ok(m) => self.pending[s].extend_from_slice(&buf[m..n]),
                    Err(e) if is_would_block(&e) => self.pending[s].extend_from_slice(&buf[..n]),
                    Err(_) => return false,
                },
                Err(e) if is_would_block(&e) => {}
                Err(_) => return false,
            }
        }
        // A side that said EOF closes the pair once what it sent has been delivered.
        !(0..2).any(|d| self.eof[d] && self.pending[d].is_empty())
    }

    fn update_interest(&mut self, ep: RawFd, idx: usize) -> io::Result<()> {
        for s in 0..2 {
            let mut want = 0;
            if !self.eof[s] && self.pending[s].is_empty() {
                want |= libc::EPOLLIN as u32;
            }
            if !self.pending[1 - s].is_empty() {
                want |= libc::EPOLLOUT as u32;
            }
            if want != self.interest[s] {
                ctl(
                    ep,
                    libc::EPOLL_CTL_MOD,
                    self.socks[s].as_raw_fd(),
                    want,
                    token(idx, s),
                )?;
                self.interest[s] = want;
            }
        }
        Ok(())
    }
}

fn token(idx: usize, side: usize) -> u64 {
    (idx as u64) << 1 | side as u64
}

fn accept_all(
    ep: RawFd,
    listener: &TcpListener,
    backend: &str,
    pairs: &mut Slab<Pair>,
) -> io::Result<()> {
    loop {
        let client = match listener.accept() {
            Ok((c, _)) => c,
            Err(e) if is_would_block(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        let socks = match open_pair(client, backend) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("lean_relay: backend {backend}: {e}");
                continue;
            }
        };
        for s in &socks {
            s.set_nonblocking(true)?;
        }
        let fds = [socks[0].as_raw_fd(), socks[1].as_raw_fd()];
        let pair = Pair {
            socks,
            pending: [Vec::new(), Vec::new()],
            eof: [false; 2],
            interest: [libc::EPOLLIN as u32; 2],
            dead: false,
        };
        let idx = pairs.insert(pair);
        for (s, fd) in fds.into_iter().enumerate() {
            ctl(
                ep,
                libc::EPOLL_CTL_ADD,
                fd,
                libc::EPOLLIN as u32,
                token(idx, s),
            )?;
        }
    }
}

pub fn run(listener: TcpListener, backend: String) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(io::Error::last_os_error());
    }
    ctl(
        ep,
        libc::EPOLL_CTL_ADD,
        listener.as_raw_fd(),
        libc::EPOLLIN as u32,
        LISTENER,
    )?;
    let mut pairs = Slab::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut buf = vec![0u8; BUF];
    let mut dead = Vec::new();
    loop {
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for ev in &events[..n as usize] {
            let (token, bits) = (ev.u64, ev.events);
            if token == LISTENER {
                accept_all(ep, &listener, &backend, &mut pairs)?;
                continue;
            }
            let (idx, side) = ((token >> 1) as usize, (token & 1) as usize);
            // Closed pairs are freed after the batch, so a stale event never reaches a new pair.
            let Some(pair) = pairs.get_mut(idx).filter(|p| !p.dead) else {
                continue;
            };
            if !pair.on_event(side, bits, &mut buf) || pair.update_interest(ep, idx).is_err() {
                pair.dead = true;
                dead.push(idx);
            }
        }
        for idx in dead.drain(..) {
            pairs.remove(idx); // dropping the sockets closes them, which also leaves the epoll set
        }
    }
}
