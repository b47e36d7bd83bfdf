//! Unit tests of `event` against bytes captured from the topology's replicas (MariaDB 10.11 on
//! 3308, MySQL 9.7 on 3318: a dump started at the executed position, then a CREATE TABLE, an
//! INSERT and a two-statement transaction on the primary, then heartbeats), and against
//! hand-made corner cases.

use super::*;
use crate::gtid::Flavor;
use crate::monitor::binlog::fixtures::{MARIADB_STREAM, MYSQL_STREAM};
use crate::protocol::packet::split_packet;

/// The payloads of a captured stream.
fn payloads(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((h, payload)) = split_packet(stream) {
        out.push(payload);
        stream = &stream[4 + h.payload_len..];
    }
    assert!(stream.is_empty(), "fixture ends inside a packet");
    out
}

/// Every event of a stream: its header and what it says (the OK byte stripped).
fn events(stream: &[u8]) -> Vec<(EventHeader, Seen)> {
    payloads(stream)
        .into_iter()
        .map(|p| {
            assert_eq!(p[0], 0, "event packets start with the OK byte");
            let (h, seen) = parse_event(&p[1..]).expect("captured events parse");
            assert_eq!(
                h.event_size as usize,
                p.len() - 1,
                "size field = event length"
            );
            // Only the prefix is ever needed.
            let peek = &p[1..p.len().min(1 + PEEK_LEN)];
            assert_eq!(parse_event(peek).expect("prefix parses"), (h, seen));
            (h, seen)
        })
        .collect()
}

fn gtids(events: &[(EventHeader, Seen)]) -> Vec<String> {
    events
        .iter()
        .filter_map(|(_, s)| match s {
            Seen::Gtid(g) => Some(g.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn mariadb_stream_yields_its_gtids() {
    let ev = events(MARIADB_STREAM);
    let kinds: Vec<u8> = ev.iter().map(|(h, _)| h.kind).collect();
    assert_eq!(
        &kinds[..6],
        &[
            kind::ROTATE,
            kind::FORMAT_DESCRIPTION,
            kind::MARIADB_GTID_LIST,
            161, // binlog checkpoint
            kind::MARIADB_GTID_LIST,
            kind::MARIADB_GTID
        ]
    );
    assert_eq!(kinds.last(), Some(&kind::HEARTBEAT));
    assert_eq!(gtids(&ev), ["0-3307-94194", "0-3307-94195", "0-3307-94196"]);
    // The GTID names the primary that wrote it; the artificial events the replica itself.
    let first_gtid = ev.iter().find(|(h, _)| h.kind == kind::MARIADB_GTID);
    assert_eq!(first_gtid.map(|(h, _)| h.server_id), Some(3307));
    assert_eq!(ev[0].0.server_id, 3308);
    for (_, s) in &ev {
        if let Seen::Gtid(g) = s {
            assert_eq!(g.flavor(), Flavor::MariaDb);
        }
    }
}

#[test]
fn mysql_stream_yields_its_gtids() {
    let ev = events(MYSQL_STREAM);
    let kinds: Vec<u8> = ev.iter().map(|(h, _)| h.kind).collect();
    assert_eq!(
        &kinds[..5],
        &[
            kind::ROTATE,
            kind::FORMAT_DESCRIPTION,
            kind::PREVIOUS_GTIDS,
            kind::HEARTBEAT,
            kind::GTID
        ]
    );
    let uuid = "0818b27a-e5da-11f1-a9c5-02fc00000001";
    assert_eq!(
        gtids(&ev),
        [
            format!("{uuid}:69653"),
            format!("{uuid}:69654"),
            format!("{uuid}:69655")
        ]
    );
}

/// A hand-made event: header fields, then `body`.
fn event(kind_code: u8, server_id: u32, body: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    e.push(kind_code);
    e.extend_from_slice(&server_id.to_le_bytes());
    e.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_le_bytes());
    e.extend_from_slice(&1234u32.to_le_bytes());
    e.extend_from_slice(&8u16.to_le_bytes());
    e.extend_from_slice(body);
    e
}

#[test]
fn header_fields_are_little_endian() {
    let e = event(kind::MARIADB_GTID, 7, &[0; 13]);
    let h = parse_header(&e).expect("header");
    assert_eq!(
        h,
        EventHeader {
            timestamp: 1_700_000_000,
            kind: kind::MARIADB_GTID,
            server_id: 7,
            event_size: 32,
            log_pos: 1234,
            flags: 8,
        }
    );
}

#[test]
fn tagged_gtids_are_recognised_without_decoding() {
    let e = event(kind::GTID_TAGGED, 1, &[0xab; 60]);
    assert_eq!(
        parse_event(&e).map(|(_, s)| s).ok(),
        Some(Seen::UndecodedGtid)
    );
}

#[test]
fn short_or_inconsistent_events_are_errors_not_panics() {
    assert!(parse_header(&[0; HEADER_LEN - 1]).is_err());
    // A size smaller than the header.
    let mut e = event(kind::ROTATE, 1, b"x");
    e[9..13].copy_from_slice(&5u32.to_le_bytes());
    assert!(parse_header(&e).is_err());
    // GTID events whose body is too short, by their size or by the bytes given.
    assert!(parse_event(&event(kind::GTID, 1, &[1; 24])).is_err());
    assert!(parse_event(&event(kind::MARIADB_GTID, 1, &[1; 12])).is_err());
    let whole = event(kind::GTID, 1, &[1; 40]);
    assert!(parse_event(&whole[..HEADER_LEN + 10]).is_err());
    // Transaction number 0 and numbers past MySQL's range are not GTIDs.
    let mut body = [0u8; 25];
    body[17..25].copy_from_slice(&0u64.to_le_bytes());
    assert!(parse_event(&event(kind::GTID, 1, &body)).is_err());
    body[17..25].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(parse_event(&event(kind::GTID, 1, &body)).is_err());
    body[17..25].copy_from_slice(&5u64.to_le_bytes());
    assert!(parse_event(&event(kind::GTID, 1, &body)).is_ok());
    // Other events need only their header.
    assert_eq!(
        parse_event(&event(kind::HEARTBEAT, 1, &[]))
            .map(|(_, s)| s)
            .ok(),
        Some(Seen::Other)
    );
}
