//! Binlog event headers and GTID events, from borrowed bytes: the 19-byte v4 header (timestamp,
//! type, server id, event size, next position, flags) and the GTID a transaction starts with —
//! MySQL `GTID_LOG_EVENT` (33: flags, source UUID, transaction number), MySQL 8.4+
//! `GTID_TAGGED_LOG_EVENT` (42: recognised as "a GTID arrived", not decoded), MariaDB
//! `GTID_EVENT` (162: sequence number and domain; the server id is the header's).
//!
//! It looks only at an event's first [`PEEK_LEN`] bytes, so callers never need a whole event in
//! memory. It must not read sockets, keep state between events, or look at any other event's
//! body (rows, queries, checksums are skipped by the caller).

use crate::gtid::{Gtid, MariaDbGtid, MySqlGtid, Sid, Uuid};

use super::error::BinlogError;

/// Length of the v4 event header.
pub const HEADER_LEN: usize = 19;
/// MySQL GTID_LOG_EVENT: flags (1), source UUID (16), transaction number (8).
const MYSQL_GTID_LEN: usize = 1 + 16 + 8;
/// MariaDB GTID_EVENT: sequence number (8), domain (4), flags (1).
const MARIADB_GTID_LEN: usize = 8 + 4 + 1;
/// The most of an event the parser ever needs: its header and a MySQL GTID body.
pub const PEEK_LEN: usize = HEADER_LEN + MYSQL_GTID_LEN;
/// Largest transaction number MySQL uses (`GNO_END` is `i64::MAX`).
const MAX_TRANSACTION: u64 = i64::MAX as u64;

/// Event type codes the follower cares about (everything else is skipped by size).
pub mod kind {
    pub const ROTATE: u8 = 4;
    pub const FORMAT_DESCRIPTION: u8 = 15;
    pub const HEARTBEAT: u8 = 27;
    pub const GTID: u8 = 33;
    pub const ANONYMOUS_GTID: u8 = 34;
    pub const PREVIOUS_GTIDS: u8 = 35;
    pub const HEARTBEAT_V2: u8 = 41;
    pub const GTID_TAGGED: u8 = 42;
    pub const MARIADB_GTID: u8 = 162;
    pub const MARIADB_GTID_LIST: u8 = 163;
}

/// The common header of every binlog event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    pub timestamp: u32,
    pub kind: u8,
    pub server_id: u32,
    /// The whole event's length, header included.
    pub event_size: u32,
    /// Where the next event starts in the server's binlog file (0 for artificial events).
    pub log_pos: u32,
    pub flags: u16,
}

/// What an event tells the follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A transaction with this GTID follows.
    Gtid(Gtid),
    /// A transaction with a GTID follows, in a form not decoded here (tagged GTIDs).
    UndecodedGtid,
    /// Anything else (rotation, heartbeat, row or query event, ...).
    Other,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads the header from the first [`HEADER_LEN`] bytes of an event.
pub fn parse_header(event: &[u8]) -> Result<EventHeader, BinlogError> {
    let short = || BinlogError::Malformed("event shorter than its header");
    let header = EventHeader {
        timestamp: u32_at(event, 0).ok_or_else(short)?,
        kind: *event.get(4).ok_or_else(short)?,
        server_id: u32_at(event, 5).ok_or_else(short)?,
        event_size: u32_at(event, 9).ok_or_else(short)?,
        log_pos: u32_at(event, 13).ok_or_else(short)?,
        flags: u16_at(event, 17).ok_or_else(short)?,
    };
    if (header.event_size as usize) < HEADER_LEN {
        return Err(BinlogError::Malformed("event size smaller than the header"));
    }
    Ok(header)
}

/// Reads an event's header and, for GTID events, its GTID. `prefix` is the start of the event:
/// at least `min(event_size, PEEK_LEN)` bytes of it (more is ignored).
pub fn parse_event(prefix: &[u8]) -> Result<(EventHeader, Seen), BinlogError> {
    let header = parse_header(prefix)?;
    let end = prefix.len().min(header.event_size as usize);
    let body = prefix.get(HEADER_LEN..end).unwrap_or_default();
    let seen = match header.kind {
        kind::GTID => Seen::Gtid(Gtid::MySql(mysql_gtid(body)?)),
        kind::GTID_TAGGED => Seen::UndecodedGtid,
        kind::MARIADB_GTID => Seen::Gtid(Gtid::MariaDb(mariadb_gtid(body, header.server_id)?)),
        _ => Seen::Other,
    };
    Ok((header, seen))
}

/// The GTID of a MySQL GTID_LOG_EVENT body.
fn mysql_gtid(body: &[u8]) -> Result<MySqlGtid, BinlogError> {
    if body.len() < MYSQL_GTID_LEN {
        return Err(BinlogError::Malformed("GTID event too short"));
    }
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&body[1..17]);
    let transaction = u64_at(body, 17).ok_or(BinlogError::Malformed("GTID event too short"))?;
    if !(1..=MAX_TRANSACTION).contains(&transaction) {
        return Err(BinlogError::Malformed(
            "GTID event with an invalid transaction number",
        ));
    }
    Ok(MySqlGtid {
        sid: Sid {
            uuid: Uuid(uuid),
            tag: None,
        },
        transaction,
    })
}

/// The GTID of a MariaDB GTID_EVENT body; `server` comes from the event header.
fn mariadb_gtid(body: &[u8], server: u32) -> Result<MariaDbGtid, BinlogError> {
    if body.len() < MARIADB_GTID_LEN {
        return Err(BinlogError::Malformed("GTID event too short"));
    }
    let short = || BinlogError::Malformed("GTID event too short");
    Ok(MariaDbGtid {
        domain: u32_at(body, 8).ok_or_else(short)?,
        server,
        seq: u64_at(body, 0).ok_or_else(short)?,
    })
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
