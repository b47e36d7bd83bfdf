//! Unit tests of `stream::next_event`: the captured streams read whole and in small pieces, an
//! event of more than 16 MiB split over continuation packets read with a buffer that never grows,
//! ERR and EOF endings, and packets that contradict their events.

use super::*;
use crate::error::MysqlError;
use crate::gtid::Gtid;
use crate::monitor::binlog::event::{kind, HEADER_LEN};
use crate::monitor::binlog::fixtures::{MARIADB_STREAM, MYSQL_STREAM};
use crate::monitor::binlog::fuzz_entry::{binlog_event, Pieces};
use crate::protocol::packet::write_packet;
use crate::protocol::response::encode_err;
use crate::wire::ReadBuf;

/// Reads `stream` to its end in reads of `piece` bytes: the events, then the final outcome.
fn read(stream: &[u8], piece: usize) -> (Vec<(EventHeader, Seen)>, Result<Next, BinlogError>) {
    let mut conn = PacketConn::new(Pieces::new(stream, piece));
    let mut events = Vec::new();
    futures_lite::future::block_on(async {
        loop {
            match next_event(&mut conn).await {
                Ok(Next::Event(h, s)) => events.push((h, s)),
                other => return (events, other),
            }
        }
    })
}

fn gtid_count(events: &[(EventHeader, Seen)]) -> usize {
    events
        .iter()
        .filter(|(_, s)| matches!(s, Seen::Gtid(_)))
        .count()
}

#[test]
fn captured_streams_read_alike_whole_and_in_pieces() {
    for (stream, events) in [(MARIADB_STREAM, 20), (MYSQL_STREAM, 21)] {
        let (whole, end) = read(stream, usize::MAX);
        assert_eq!(whole.len(), events);
        assert_eq!(gtid_count(&whole), 3);
        // The capture stops mid-stream: the connection "closes" after the last heartbeat.
        assert!(
            matches!(end, Err(BinlogError::Lost(WireError::Closed))),
            "{end:?}"
        );
        for piece in [1, 3, 7, 64] {
            assert_eq!(read(stream, piece).0, whole, "pieces of {piece}");
        }
        binlog_event(&[[0u8].as_slice(), stream].concat());
        binlog_event(&[[6u8].as_slice(), stream].concat());
    }
}

/// A MySQL GTID event for transaction `n` of a fixed UUID.
fn gtid_event(n: u64) -> Vec<u8> {
    let mut body = vec![1u8];
    body.extend_from_slice(&[0x11; 16]);
    body.extend_from_slice(&n.to_le_bytes());
    body.extend_from_slice(&[0; 4]); // checksum
    event_bytes(kind::GTID, &body)
}

fn event_bytes(kind_code: u8, body: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8; HEADER_LEN];
    e[4] = kind_code;
    e[5..9].copy_from_slice(&9u32.to_le_bytes());
    e[9..13].copy_from_slice(&((HEADER_LEN + body.len()) as u32).to_le_bytes());
    e.extend_from_slice(body);
    e
}

/// `event` as the server sends it: the OK byte, then the event, split into packets.
fn packets(event: &[u8], seq: u8) -> Vec<u8> {
    let mut payload = vec![0u8];
    payload.extend_from_slice(event);
    let mut out = Vec::new();
    write_packet(&mut out, seq, &payload);
    out
}

#[test]
fn huge_events_are_skipped_without_being_buffered() {
    // A rows event of 20 MiB: two packets (16 MiB - 1 and the rest), then a GTID event.
    let rows = event_bytes(30, &vec![0xab; 20 * 1024 * 1024]);
    let mut stream = packets(&rows, 1);
    stream.extend_from_slice(&packets(&gtid_event(42), 3));
    let mut conn = PacketConn::new(Pieces::new(&stream, 1 << 20));
    futures_lite::future::block_on(async {
        let first = next_event(&mut conn).await.expect("rows event");
        assert!(
            matches!(first, Next::Event(h, Seen::Other) if h.event_size as usize == rows.len())
        );
        assert_eq!(conn.rbuf.capacity(), ReadBuf::default().capacity());
        match next_event(&mut conn).await.expect("GTID event") {
            Next::Event(_, Seen::Gtid(Gtid::MySql(g))) => assert_eq!(g.transaction, 42),
            other => panic!("expected the GTID, got {other:?}"),
        }
        assert_eq!(conn.rbuf.capacity(), ReadBuf::default().capacity());
    });
    // An event of exactly 16 MiB - 2 bytes plus the OK byte fills one packet: an empty
    // continuation packet ends it.
    let exact = event_bytes(30, &vec![0; MAX_PAYLOAD - 1 - HEADER_LEN]);
    let mut stream = packets(&exact, 1);
    assert_eq!(stream.len(), 4 + MAX_PAYLOAD + 4);
    stream.extend_from_slice(&packets(&gtid_event(7), 3));
    let (events, _) = read(&stream, 1 << 20);
    assert_eq!(events.len(), 2);
}

#[test]
fn err_and_eof_end_the_stream() {
    let denied = MysqlError::new(
        1227,
        "42000",
        "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s)",
    );
    let mut payload = Vec::new();
    encode_err(&mut payload, &denied);
    let mut stream = packets(&gtid_event(5), 1);
    write_packet(&mut stream, 2, &payload);
    let (events, end) = read(&stream, 5);
    assert_eq!(events.len(), 1);
    match end {
        Err(BinlogError::Server(e)) => assert_eq!(e, denied),
        other => panic!("expected the server's error, got {other:?}"),
    }
    let mut stream = Vec::new();
    write_packet(&mut stream, 1, &[0xfe, 0, 0, 2, 0]);
    assert!(matches!(read(&stream, 2).1, Ok(Next::End)));
}

#[test]
fn contradicting_packets_are_malformed() {
    // The event says it is longer than its (final) packet.
    let mut e = gtid_event(5);
    e[9..13].copy_from_slice(&100u32.to_le_bytes());
    assert!(matches!(
        read(&packets(&e, 1), 8).1,
        Err(BinlogError::Malformed(_))
    ));
    // An empty packet, a packet that is neither OK, ERR nor EOF, a long 0xFE packet.
    for payload in [&[][..], &[0x01, 2, 3][..], &[0xfe; 20][..]] {
        let mut stream = Vec::new();
        write_packet(&mut stream, 1, payload);
        assert!(
            matches!(read(&stream, 3).1, Err(BinlogError::Malformed(_))),
            "{payload:?}"
        );
    }
    // A header cut short by the end of the connection.
    let whole = packets(&gtid_event(5), 1);
    assert!(matches!(
        read(&whole[..10], 4).1,
        Err(BinlogError::Lost(WireError::Closed))
    ));
}
