//! Packets sluice writes to a client on its own account: OK, ERR, auth messages. Keeps the
//! encoding in one place so every session answers the same way.

use crate::error::MysqlError;
use crate::net::Stream;
use crate::protocol::constants::OK_HEADER;
use crate::protocol::packet::write_small_packet;
use crate::protocol::response::{encode_err, encode_ok};
use crate::wire::{PacketConn, WireError};

pub async fn send_err<S: Stream>(
    conn: &mut PacketConn<S>,
    seq: u8,
    err: &MysqlError,
) -> Result<(), WireError> {
    let mut out = Vec::with_capacity(64 + err.message.len());
    write_small_packet(&mut out, seq, |b| encode_err(b, err));
    conn.write_all(&out).await
}

pub async fn send_ok<S: Stream>(
    conn: &mut PacketConn<S>,
    seq: u8,
    status: u16,
) -> Result<(), WireError> {
    let mut out = Vec::with_capacity(16);
    write_small_packet(&mut out, seq, |b| encode_ok(b, 0, status, OK_HEADER));
    conn.write_all(&out).await
}

/// Sends `payload` as one small packet.
pub async fn send_packet<S: Stream>(
    conn: &mut PacketConn<S>,
    seq: u8,
    payload: &[u8],
) -> Result<(), WireError> {
    let mut out = Vec::with_capacity(4 + payload.len());
    write_small_packet(&mut out, seq, |b| b.extend_from_slice(payload));
    conn.write_all(&out).await
}
