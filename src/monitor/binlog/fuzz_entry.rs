//! Fuzzing entry point for the binlog event reader: arbitrary bytes as one event (header and GTID
//! parsing) and as a whole replication stream read by `stream::next_event` from memory, once in
//! one piece and once in small reads; both reads must give the same events and end alike, and
//! nothing may panic or buffer more than a small bounded amount. Called by the cargo-fuzz target
//! `binlog_event` in `fuzz/` and, on stable, by `tests/fuzz_corpus.rs`. A panic here is a bug
//! report; this module must not change parsing and does no real I/O.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

use crate::gtid::Gtid;
use crate::wire::PacketConn;

use super::event::{parse_event, Seen};
use super::stream::{next_event, Next};

/// Most the reader may hold at once while reading any stream (ERR packets up to 64 KiB are read
/// whole; events never are).
const MAX_BUFFER: usize = 128 * 1024;

/// Runs every check on `data`. Byte 0 picks the size of the small reads (1 to 256 bytes).
pub fn binlog_event(data: &[u8]) {
    let Some((&piece, stream)) = data.split_first() else {
        return;
    };
    check_event(stream);
    let whole = read_all(stream, usize::MAX);
    let pieces = read_all(stream, usize::from(piece) + 1);
    assert_eq!(whole, pieces, "reading in pieces changed the outcome");
}

fn check_event(bytes: &[u8]) {
    if let Ok((header, seen)) = parse_event(bytes) {
        assert!(header.event_size >= 19);
        if let Seen::Gtid(Gtid::MySql(g)) = seen {
            assert!(g.transaction >= 1 && g.transaction <= i64::MAX as u64);
            assert!(g.sid.tag.is_none());
        }
    }
}

/// Every outcome of reading `stream` to its end, as text (events, then the final error or end).
fn read_all(stream: &[u8], piece: usize) -> Vec<String> {
    let mut conn = PacketConn::new(Pieces::new(stream, piece));
    let mut out = Vec::new();
    futures_lite::future::block_on(async {
        loop {
            let next = next_event(&mut conn).await;
            assert!(
                conn.rbuf.capacity() <= MAX_BUFFER,
                "reader buffered too much"
            );
            match next {
                Ok(Next::Event(h, seen)) => out.push(format!("{h:?} {seen:?}")),
                Ok(Next::End) => {
                    out.push("end".to_owned());
                    return;
                }
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return;
                }
            }
        }
    });
    out
}

/// An in-memory stream that gives at most `piece` bytes per read and swallows writes.
pub(crate) struct Pieces<'a> {
    data: &'a [u8],
    piece: usize,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(data: &'a [u8], piece: usize) -> Self {
        Self {
            data,
            piece: piece.max(1),
        }
    }
}

impl AsyncRead for Pieces<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.piece).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Pieces<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
