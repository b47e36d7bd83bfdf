//! `PacketConn`: a stream plus its read buffer, with whole-packet reads (for the connection phase
//! and commands) and plain writes. Used for both client and backend sockets.

use std::io;

use futures_lite::AsyncWriteExt;
use thiserror::Error;

use super::ReadBuf;
use crate::net::Stream;
use crate::protocol::packet::{parse_header, PacketHeader, HEADER_LEN};
use crate::protocol::ProtocolError;

#[derive(Debug, Error)]
pub enum WireError {
    #[error("connection closed by peer")]
    Closed,
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

pub struct PacketConn<S> {
    pub stream: S,
    pub rbuf: ReadBuf,
}

impl<S: Stream> PacketConn<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            rbuf: ReadBuf::default(),
        }
    }

    /// Reads until at least `n` bytes are buffered.
    pub async fn fill_to(&mut self, n: usize) -> Result<(), WireError> {
        if self.rbuf.len() < n {
            self.rbuf.reserve_total(n);
        }
        while self.rbuf.len() < n {
            if self.rbuf.fill(&mut self.stream).await? == 0 {
                return Err(WireError::Closed);
            }
        }
        Ok(())
    }

    /// Reads until a packet header is buffered and returns it.
    pub async fn next_header(&mut self) -> Result<PacketHeader, WireError> {
        self.fill_to(HEADER_LEN).await?;
        parse_header(self.rbuf.data()).ok_or(WireError::Closed)
    }

    /// Reads until one whole packet (at most `max_payload` bytes of payload) is buffered and
    /// returns its header; [`PacketConn::payload`] then borrows it.
    pub async fn fill_packet(&mut self, max_payload: usize) -> Result<PacketHeader, WireError> {
        let h = self.next_header().await?;
        if h.payload_len > max_payload {
            return Err(ProtocolError::TooLarge(h.payload_len).into());
        }
        self.fill_to(HEADER_LEN + h.payload_len).await?;
        Ok(h)
    }

    /// The payload of the buffered packet with header `h`.
    pub fn payload(&self, h: PacketHeader) -> &[u8] {
        &self.rbuf.data()[HEADER_LEN..HEADER_LEN + h.payload_len]
    }

    /// The buffered packet with header `h`, header included.
    pub fn raw_packet(&self, h: PacketHeader) -> &[u8] {
        &self.rbuf.data()[..HEADER_LEN + h.payload_len]
    }

    pub fn consume_packet(&mut self, h: PacketHeader) {
        self.rbuf.consume(HEADER_LEN + h.payload_len);
        if self.rbuf.is_empty() {
            self.rbuf.shrink();
        }
    }

    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<(), WireError> {
        self.stream.flush().await?;
        Ok(())
    }

    pub async fn close(&mut self) {
        let _ = self.stream.close().await;
    }
}
