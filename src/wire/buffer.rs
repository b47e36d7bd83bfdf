//! `ReadBuf`: a growable read buffer with a consumed prefix, compacted on demand. It is the only
//! place bytes from a socket are stored.

use futures_lite::{AsyncRead, AsyncReadExt};
use std::io;

/// Initial (and usual) capacity of a connection's read buffer.
pub const DEFAULT_CAPACITY: usize = 16 * 1024;

#[derive(Debug)]
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for ReadBuf {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl ReadBuf {
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: vec![0; cap],
            start: 0,
            end: 0,
        }
    }

    /// Unconsumed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Unconsumed bytes, writable (to patch a buffered packet before it is passed on).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes room so that `total` unconsumed bytes fit, compacting and growing as needed.
    pub fn reserve_total(&mut self, total: usize) {
        if self.buf.len() - self.start >= total && self.end < self.buf.len() {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < total {
            self.buf.resize(total, 0);
        }
    }

    /// Shrinks back to the default capacity after a large packet, if the data allows.
    pub fn shrink(&mut self) {
        if self.buf.len() > DEFAULT_CAPACITY && self.len() <= DEFAULT_CAPACITY {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.buf.truncate(DEFAULT_CAPACITY);
            self.buf.shrink_to_fit();
        }
    }

    /// Reads once from `stream` into free space (making some if the buffer is full). Returns the
    /// number of bytes read; 0 means the peer closed.
    pub async fn fill<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> io::Result<usize> {
        if self.end == self.buf.len() {
            let want = (self.len() + DEFAULT_CAPACITY / 2).max(DEFAULT_CAPACITY);
            self.reserve_total(want);
        }
        let n = stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_consume_compact() {
        let mut b = ReadBuf::with_capacity(8);
        let mut src: &[u8] = b"abcdefghijkl";
        futures_lite::future::block_on(async {
            assert_eq!(b.fill(&mut src).await.expect("read"), 8);
            b.consume(6);
            assert_eq!(b.data(), b"gh");
            b.reserve_total(6);
            assert_eq!(b.fill(&mut src).await.expect("read"), 4);
            assert_eq!(b.data(), b"ghijkl");
            b.consume(6);
            assert!(b.is_empty());
            assert_eq!(b.fill(&mut src).await.expect("eof"), 0);
        });
    }

    #[test]
    fn grows_for_large_packets_and_shrinks_back() {
        let mut b = ReadBuf::with_capacity(4);
        b.reserve_total(100_000);
        assert!(b.capacity() >= 100_000);
        b.shrink();
        assert_eq!(b.capacity(), DEFAULT_CAPACITY);
    }
}
