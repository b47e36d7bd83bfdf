//! A non-blocking TCP stream on the thread's reactor, and connecting one with a timeout. A read or
//! write is one system call when the socket is ready; when it would block, the stream waits for
//! the reactor's next edge for that direction. A short read means the socket was emptied, so the
//! next read waits for an edge instead of trying (and failing) first; it does not once the peer
//! has closed, so the end of the stream is always seen.
//!
//! It owns the socket and its registration, and must not know about MySQL.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use nix::errno::Errno;
use socket2::{Domain, Protocol, Socket, Type};

use super::executor::{try_current, with_current};
use super::reactor::{Dir, Readiness};
use super::timer::sleep;

pub struct TcpStream {
    socket: std::net::TcpStream,
    token: u64,
    readiness: Rc<Readiness>,
}

impl TcpStream {
    fn register(socket: std::net::TcpStream, connected: bool) -> io::Result<TcpStream> {
        socket.set_nonblocking(true)?;
        let (token, readiness) = with_current(|ex| ex.reactor.register(&socket, connected))?;
        Ok(TcpStream {
            socket,
            token,
            readiness,
        })
    }

    /// Takes over a connected (blocking or not) socket.
    #[cfg(test)]
    pub(super) fn from_std(socket: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::register(socket, true)
    }

    /// Opens a connection to `addr` with TCP_NODELAY set, failing after `timeout`.
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        let connected = match socket.connect(&addr.into()) {
            Ok(()) => true,
            Err(err) if err.raw_os_error() == Some(Errno::EINPROGRESS as i32) => false,
            Err(err) => return Err(err),
        };
        let stream = TcpStream::register(socket.into(), connected)?;
        if !connected {
            let writable = futures_lite::future::poll_fn(|cx| stream.poll_writable(cx));
            let timed_out = futures_lite::future::or(
                async {
                    writable.await;
                    false
                },
                async {
                    sleep(timeout).await;
                    true
                },
            )
            .await;
            if timed_out {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connection to {addr} timed out after {timeout:?}"),
                ));
            }
            if let Some(err) = stream.socket.take_error()? {
                return Err(err);
            }
        }
        stream.socket.set_nodelay(true)?;
        Ok(stream)
    }

    fn poll_writable(&self, cx: &Context<'_>) -> Poll<()> {
        if self.readiness.is_ready(Dir::Write) {
            return Poll::Ready(());
        }
        self.readiness.wait(Dir::Write, cx.waker());
        Poll::Pending
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        // Closing the socket (when `socket` drops) removes it from the epoll set.
        if let Some(ex) = try_current() {
            ex.reactor.deregister(self.token);
        }
    }
}

/// Runs `op` (one read or write system call of `len` bytes) if the socket may be ready in
/// `dir`; waits for the reactor's next edge if it is not, or turns out not to be.
fn poll_io(
    readiness: &Readiness,
    dir: Dir,
    cx: &Context<'_>,
    len: usize,
    mut op: impl FnMut() -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        if !readiness.is_ready(dir) {
            readiness.wait(dir, cx.waker());
            return Poll::Pending;
        }
        match op() {
            Ok(n) => {
                // A short read emptied the socket, a short write filled it (a read of 0 is
                // the end of the stream, which stays readable).
                if n < len && (n > 0 || dir == Dir::Write) {
                    readiness.clear(dir);
                }
                return Poll::Ready(Ok(n));
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => readiness.clear(dir),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Poll::Ready(Err(err)),
        }
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let len = buf.len();
        poll_io(&this.readiness, Dir::Read, cx, len, || {
            (&this.socket).read(buf)
        })
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        poll_io(&this.readiness, Dir::Write, cx, buf.len(), || {
            (&this.socket).write(buf)
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(match self.socket.shutdown(Shutdown::Write) {
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::executor::{block_on, spawn_local};
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn bytes_round_trip_in_both_directions_and_eof_is_seen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        // A blocking echo peer: echoes 3 MB, then closes.
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = vec![0u8; 65536];
            let mut left = 3_000_000usize;
            while left > 0 {
                let n = s.read(&mut buf).expect("read");
                assert!(n > 0, "early eof");
                s.write_all(&buf[..n]).expect("write");
                left -= n;
            }
        });
        let got = block_on(async move {
            let stream = TcpStream::connect(addr, Duration::from_secs(2))
                .await
                .expect("connect");
            let stream = Rc::new(std::cell::RefCell::new(Some(stream)));
            let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
            let expected = data.clone();
            // Write and read at once, on two tasks, so both directions fill up and block.
            let (mut r, mut w) = futures_lite::io::split(stream.borrow_mut().take().expect("s"));
            let writer = spawn_local(async move {
                w.write_all(&data).await.expect("write_all");
            });
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.expect("read_to_end");
            writer.await;
            assert_eq!(got.len(), expected.len());
            got == expected
        })
        .expect("runs");
        peer.join().expect("peer");
        assert!(got, "echoed bytes differ");
    }

    #[test]
    fn connecting_to_a_closed_port_is_refused() {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr")
        };
        let err = block_on(async move { TcpStream::connect(addr, Duration::from_secs(2)).await })
            .expect("runs")
            .err()
            .expect("refused");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }
}
