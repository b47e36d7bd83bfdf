//! Reading a binlog stream one event at a time without holding whole events: for each packet
//! only the first bytes are buffered (the OK byte and [`PEEK_LEN`] bytes of the event), the rest
//! of the packet — and of any continuation packets, for events of 16 MiB and more — is read and
//! dropped in buffer-sized pieces. An ERR packet ends the stream with the server's error; an EOF
//! packet ends it cleanly.
//!
//! It owns the stream's packet framing only. It must not decide what to do with a GTID (the
//! follower does) or grow the connection's buffer beyond its usual size for an event.

use crate::net::Stream;
use crate::protocol::constants::{EOF_HEADER, ERR_HEADER, OK_HEADER};
use crate::protocol::packet::{HEADER_LEN as PACKET_HEADER_LEN, MAX_PAYLOAD};
use crate::protocol::response::decode_err;
use crate::wire::{PacketConn, WireError};

use super::error::BinlogError;
use super::event::{parse_event, EventHeader, Seen, PEEK_LEN};

/// Largest ERR packet read whole (an ERR is a code, a state and a message).
const MAX_ERR_PACKET: usize = 64 * 1024;
/// An EOF packet is shorter than this; a longer 0xFE packet would be something else.
const EOF_MAX_LEN: usize = 9;

/// What came next on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Event(EventHeader, Seen),
    /// The server ended the stream (EOF packet).
    End,
}

/// Reads the next event's header (and GTID) and skips the rest of it.
pub async fn next_event<S: Stream>(conn: &mut PacketConn<S>) -> Result<Next, BinlogError> {
    let h = conn.next_header().await?;
    let len = h.payload_len;
    if len == 0 {
        return Err(BinlogError::Malformed("empty packet"));
    }
    let peek = len.min(1 + PEEK_LEN);
    conn.fill_to(PACKET_HEADER_LEN + peek).await?;
    match conn.rbuf.data()[PACKET_HEADER_LEN] {
        OK_HEADER => {}
        ERR_HEADER => {
            if len > MAX_ERR_PACKET {
                return Err(BinlogError::Malformed("oversized ERR packet"));
            }
            conn.fill_to(PACKET_HEADER_LEN + len).await?;
            let err = decode_err(conn.payload(h));
            conn.consume_packet(h);
            return Err(err.map_or(
                BinlogError::Malformed("unreadable ERR packet"),
                BinlogError::Server,
            ));
        }
        EOF_HEADER if len < EOF_MAX_LEN => {
            conn.fill_to(PACKET_HEADER_LEN + len).await?;
            conn.consume_packet(h);
            return Ok(Next::End);
        }
        _ => {
            return Err(BinlogError::Malformed(
                "unexpected packet in the binlog stream",
            ))
        }
    }
    let event = &conn.rbuf.data()[PACKET_HEADER_LEN + 1..PACKET_HEADER_LEN + peek];
    let (header, seen) = parse_event(event)?;
    let in_packet = len - 1;
    let size = header.event_size as usize;
    let consistent = if h.is_continued() {
        size >= in_packet
    } else {
        size == in_packet
    };
    if !consistent {
        return Err(BinlogError::Malformed(
            "event size disagrees with its packets",
        ));
    }
    skip(conn, PACKET_HEADER_LEN + len).await?;
    let mut continued = h.is_continued();
    let mut left = size - in_packet;
    while continued {
        let c = conn.next_header().await?;
        if c.payload_len > left {
            return Err(BinlogError::Malformed("event longer than its size"));
        }
        left -= c.payload_len;
        skip(conn, PACKET_HEADER_LEN + c.payload_len).await?;
        continued = c.payload_len == MAX_PAYLOAD;
    }
    if left != 0 {
        return Err(BinlogError::Malformed("event shorter than its size"));
    }
    Ok(Next::Event(header, seen))
}

/// Drops the next `n` bytes of the stream, buffered or not, reading at most a buffer at a time.
async fn skip<S: Stream>(conn: &mut PacketConn<S>, n: usize) -> Result<(), BinlogError> {
    let mut left = n;
    loop {
        let now = conn.rbuf.len().min(left);
        conn.rbuf.consume(now);
        left -= now;
        if left == 0 {
            return Ok(());
        }
        // The buffer is empty here, so this read reuses it from the start.
        if conn
            .rbuf
            .fill(&mut conn.stream)
            .await
            .map_err(WireError::Io)?
            == 0
        {
            return Err(WireError::Closed.into());
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
