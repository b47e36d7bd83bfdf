//! Unit tests for `ReplyTracker`: every reply shape, with and without DEPRECATE_EOF.

use super::*;
use crate::protocol::packet::PacketHeader;
use crate::protocol::response::{encode_eof, encode_ok};

const CAPS: u32 = cap::SUPPORTED;
const OLD_CAPS: u32 = cap::SUPPORTED & !cap::DEPRECATE_EOF;

fn ok(status_flags: u16, header: u8) -> Vec<u8> {
    let mut v = Vec::new();
    encode_ok(&mut v, 0, status_flags, header);
    v
}

fn eof(status_flags: u16) -> Vec<u8> {
    let mut v = Vec::new();
    encode_eof(&mut v, status_flags);
    v
}

fn coldef() -> Vec<u8> {
    let mut v = vec![3];
    v.extend_from_slice(b"def");
    v.extend_from_slice(&[0; 20]);
    v
}

/// Feeds packets; returns the index of the packet that ended the reply, and the final event.
fn run(kind: ReplyKind, caps: u32, packets: &[Vec<u8>]) -> (usize, Event) {
    let mut t = ReplyTracker::new(kind, caps);
    for (i, p) in packets.iter().enumerate() {
        let h = PacketHeader {
            payload_len: p.len(),
            seq: (i + 1) as u8,
        };
        let need = t.need(h, p.first().copied());
        let view = match need {
            Need::Whole => &p[..],
            Need::FirstByte => &p[..p.len().min(1)],
        };
        let ev = t.on_packet(h, view).expect("valid reply");
        if let Event::Done { .. } = ev {
            // The relay can only stop on a packet boundary.
            assert_eq!(view.len(), p.len(), "the last packet must be read whole");
            assert!(t.is_done());
            return (i, ev);
        }
    }
    panic!("reply did not end");
}

#[test]
fn ok_reply() {
    let (i, ev) = run(ReplyKind::ResultSets, CAPS, &[ok(status::AUTOCOMMIT, 0)]);
    assert_eq!(
        (i, ev),
        (
            0,
            Event::Done {
                status: status::AUTOCOMMIT,
                error: false
            }
        )
    );
}

#[test]
fn err_reply() {
    let (i, ev) = run(
        ReplyKind::ResultSets,
        CAPS,
        &[vec![0xff, 0x28, 0x04, b'#', b'4', b'2', b'0', b'0', b'0']],
    );
    assert_eq!(
        (i, ev),
        (
            0,
            Event::Done {
                status: 0,
                error: true
            }
        )
    );
}

#[test]
fn result_set_deprecate_eof() {
    let packets = vec![
        vec![2],
        coldef(),
        coldef(),
        vec![1, b'a', 0],
        vec![0xfb, 1, b'x'],
        ok(2, 0xfe),
    ];
    assert_eq!(run(ReplyKind::ResultSets, CAPS, &packets).0, 5);
}

#[test]
fn result_set_with_eofs() {
    let packets = vec![vec![1], coldef(), eof(2), vec![1, b'a'], eof(2)];
    assert_eq!(run(ReplyKind::ResultSets, OLD_CAPS, &packets).0, 4);
}

#[test]
fn multi_results() {
    let more = status::MORE_RESULTS_EXISTS | status::AUTOCOMMIT;
    let packets = vec![
        vec![1],
        coldef(),
        vec![1, b'a'],
        ok(more, 0xfe),
        ok(more, 0),
        vec![1],
        coldef(),
        ok(2, 0xfe),
    ];
    assert_eq!(run(ReplyKind::ResultSets, CAPS, &packets).0, 7);
}

#[test]
fn row_starting_with_fe_is_not_a_terminator_when_large() {
    let mut t = ReplyTracker::new(ReplyKind::ResultSets, OLD_CAPS);
    t.state = State::Rows;
    let h = PacketHeader {
        payload_len: 20,
        seq: 3,
    };
    assert_eq!(t.need(h, Some(0xfe)), Need::Whole);
    let row = vec![0xfe; 20];
    assert_eq!(t.on_packet(h, &row).expect("row"), Event::More);
}

#[test]
fn continuation_packets_are_not_inspected() {
    let mut t = ReplyTracker::new(ReplyKind::ResultSets, CAPS);
    t.state = State::Rows;
    let big = PacketHeader {
        payload_len: MAX_PAYLOAD,
        seq: 3,
    };
    assert_eq!(t.on_packet(big, &[5]).expect("row"), Event::More);
    // the continuation starts with 0xfe but is data
    let cont = PacketHeader {
        payload_len: 7,
        seq: 4,
    };
    assert_eq!(t.need(cont, Some(0xfe)), Need::FirstByte);
    assert_eq!(t.on_packet(cont, &[0xfe]).expect("data"), Event::More);
    let end = ok(2, 0xfe);
    let h = PacketHeader {
        payload_len: end.len(),
        seq: 5,
    };
    assert!(matches!(
        t.on_packet(h, &end).expect("end"),
        Event::Done { .. }
    ));
}

#[test]
fn prepare_with_params_and_columns() {
    let mut pok = vec![0, 7, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0];
    pok.truncate(12);
    let packets = vec![pok.clone(), coldef(), coldef(), coldef()];
    assert_eq!(run(ReplyKind::Prepare, CAPS, &packets).0, 3);
    let packets = [pok, coldef(), eof(2), coldef(), coldef(), eof(2)];
    let mut t = ReplyTracker::new(ReplyKind::Prepare, OLD_CAPS);
    for (i, p) in packets.iter().enumerate() {
        let ev = t
            .on_packet(
                PacketHeader {
                    payload_len: p.len(),
                    seq: i as u8 + 1,
                },
                p,
            )
            .expect("ok");
        assert_eq!(matches!(ev, Event::Done { .. }), i == 5);
    }
    assert_eq!(
        t.prepare_ok(),
        Some(PrepareOk {
            statement_id: 7,
            columns: 2,
            params: 1
        })
    );
}

/// Found by the `reply_stream` fuzz target: under DEPRECATE_EOF the last parameter or column
/// definition ends a PREPARE reply, so it must be read whole, or the relay would see the reply end
/// inside a packet whenever that packet arrives in pieces.
#[test]
fn last_prepare_definition_is_read_whole() {
    let coldef_len = coldef().len();
    let h = PacketHeader {
        payload_len: coldef_len,
        seq: 2,
    };
    // One parameter, no columns.
    let pok: [u8; 12] = [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    let mut t = ReplyTracker::new(ReplyKind::Prepare, CAPS);
    t.on_packet(
        PacketHeader {
            payload_len: 12,
            seq: 1,
        },
        &pok,
    )
    .expect("PREPARE_OK");
    assert_eq!(t.need(h, Some(3)), Need::Whole);
    // Two columns: only the second one is read whole.
    let pok: [u8; 12] = [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    let mut t = ReplyTracker::new(ReplyKind::Prepare, CAPS);
    t.on_packet(
        PacketHeader {
            payload_len: 12,
            seq: 1,
        },
        &pok,
    )
    .expect("PREPARE_OK");
    assert_eq!(t.need(h, Some(3)), Need::FirstByte);
    t.on_packet(h, &[3]).expect("first column");
    assert_eq!(t.need(h, Some(3)), Need::Whole);
    // With EOF packets the definitions are never the end.
    let mut t = ReplyTracker::new(ReplyKind::Prepare, OLD_CAPS);
    t.on_packet(
        PacketHeader {
            payload_len: 12,
            seq: 1,
        },
        &pok,
    )
    .expect("PREPARE_OK");
    t.on_packet(h, &[3]).expect("first column");
    assert_eq!(t.need(h, Some(3)), Need::FirstByte);
}

/// Found by the `reply_stream` fuzz target: a 16 MiB packet where a small one belongs (here a
/// PREPARE_OK) is only given to the tracker in part, so the verdict depended on how much of it had
/// arrived. It is rejected, however much is there.
#[test]
fn huge_packet_where_the_reply_may_end_is_malformed() {
    let h = PacketHeader {
        payload_len: MAX_PAYLOAD,
        seq: 1,
    };
    let pok = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for prefix in [&pok[..1], &pok[..]] {
        let mut t = ReplyTracker::new(ReplyKind::Prepare, CAPS);
        assert_eq!(t.need(h, Some(0)), Need::FirstByte);
        assert!(t.on_packet(h, prefix).is_err());
    }
    let mut t = ReplyTracker::new(ReplyKind::Rows, CAPS);
    assert!(t.on_packet(h, &[ERR_HEADER]).is_err());
    // Large rows, even one starting with 0xfe (a string of 16 MiB or more), stream through.
    let mut t = ReplyTracker::new(ReplyKind::Rows, CAPS);
    assert_eq!(t.on_packet(h, &[EOF_HEADER]), Ok(Event::More));
}

#[test]
fn prepare_without_anything() {
    let pok = vec![0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(run(ReplyKind::Prepare, CAPS, &[pok]).0, 0);
}

#[test]
fn cursor_ends_after_metadata() {
    let packets = vec![vec![1], coldef(), eof(status::CURSOR_EXISTS | 2)];
    assert_eq!(run(ReplyKind::ResultSets, OLD_CAPS, &packets).0, 2);
}

#[test]
fn local_infile_then_ok() {
    let mut t = ReplyTracker::new(ReplyKind::ResultSets, CAPS);
    let req = [0xfb, b'f'];
    assert_eq!(
        t.on_packet(
            PacketHeader {
                payload_len: 2,
                seq: 1
            },
            &req
        )
        .expect("ok"),
        Event::LocalInfile
    );
    t.after_local_infile();
    let o = ok(2, 0);
    assert!(matches!(
        t.on_packet(
            PacketHeader {
                payload_len: o.len(),
                seq: 4
            },
            &o
        )
        .expect("ok"),
        Event::Done { .. }
    ));
}

#[test]
fn field_list_and_fetch() {
    assert_eq!(
        run(
            ReplyKind::FieldList,
            OLD_CAPS,
            &[coldef(), coldef(), eof(2)]
        )
        .0,
        2
    );
    assert_eq!(
        run(
            ReplyKind::Rows,
            CAPS,
            &[vec![0, 1], vec![0, 2], ok(status::LAST_ROW_SENT, 0xfe)]
        )
        .0,
        2
    );
    assert_eq!(run(ReplyKind::Single, CAPS, &[b"Uptime: 5".to_vec()]).0, 0);
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let mut t = ReplyTracker::new(ReplyKind::ResultSets, CAPS);
    assert!(t
        .on_packet(
            PacketHeader {
                payload_len: 0,
                seq: 1
            },
            &[]
        )
        .is_err());
    let mut t = ReplyTracker::new(ReplyKind::Prepare, CAPS);
    assert!(t
        .on_packet(
            PacketHeader {
                payload_len: 3,
                seq: 1
            },
            &[0, 1, 2]
        )
        .is_err());
    let mut t = ReplyTracker::new(ReplyKind::ResultSets, CAPS);
    assert!(t
        .on_packet(
            PacketHeader {
                payload_len: 1,
                seq: 1
            },
            &[0xff]
        )
        .is_ok());
}
