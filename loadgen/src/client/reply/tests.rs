//! The reply readers against replies built packet by packet: text result sets from sluice's own
//! encoder (with and without DEPRECATE_EOF), binary rows, ERR packets, several result sets, and
//! PREPARE_OK with and without definitions.

use sluice::error::MysqlError;
use sluice::protocol::constants::{cap, status, EOF_HEADER};
use sluice::protocol::lenenc::{put_lenenc_bytes, put_lenenc_int};
use sluice::protocol::packet::{split_packet, write_packet, HEADER_LEN};
use sluice::protocol::response::{encode_eof, encode_err, encode_ok};
use sluice::protocol::resultset::{write_result_set, ColumnKind, ColumnSpec};

use super::*;

const NEW: u32 = cap::SUPPORTED;
const OLD: u32 = cap::SUPPORTED & !cap::DEPRECATE_EOF;

/// Feeds one whole (shorter than 16 MiB) packet to a PREPARE reader.
fn feed_whole(reader: &mut PrepareReader, payload: &[u8]) -> Result<Option<Prepared>, ClientError> {
    reader.feed(payload.len(), payload)
}

/// Feeds every packet of `bytes`; checks that the reply ends exactly at the last one.
fn read(bytes: &[u8], caps: u32, binary: bool, out: &mut [i64]) -> Result<bool, ClientError> {
    let mut reader = ResultReader::new(caps, binary, out)?;
    let mut rest = bytes;
    while let Some((h, payload)) = split_packet(rest) {
        rest = &rest[HEADER_LEN + h.payload_len..];
        if let Some(found) = reader.feed(h.payload_len, payload)? {
            assert!(rest.is_empty(), "bytes left after the end");
            return Ok(found);
        }
    }
    panic!("the reply did not end");
}

fn text_set(caps: u32, status_flags: u16, rows: &[Vec<Option<String>>]) -> Vec<u8> {
    let mut out = Vec::new();
    let columns = [
        ColumnSpec {
            name: "v",
            kind: ColumnKind::UnsignedInt,
        },
        ColumnSpec {
            name: "c",
            kind: ColumnKind::Text,
        },
    ];
    write_result_set(&mut out, 1, caps, status_flags, &columns, rows);
    out
}

fn row(v: &str, c: &str) -> Vec<Option<String>> {
    vec![Some(v.into()), Some(c.into())]
}

#[test]
fn text_first_row_with_and_without_deprecate_eof() {
    for caps in [NEW, OLD] {
        let bytes = text_set(caps, 0, &[row("42", " 7"), row("43", "8")]);
        let mut out = [0; 2];
        assert_eq!(read(&bytes, caps, false, &mut out), Ok(true));
        assert_eq!(out, [42, 7]);
        let empty = text_set(caps, 0, &[]);
        assert_eq!(read(&empty, caps, false, &mut out), Ok(false));
        assert_eq!(read(&bytes, caps, false, &mut []), Ok(true), "drained");
    }
}

#[test]
fn what_is_not_an_integer_is_reported_after_the_whole_reply() {
    let bytes = text_set(NEW, 0, &[row("42", "abc")]);
    let err = read(&bytes, NEW, false, &mut [0; 2]).expect_err("not an integer");
    assert!(matches!(err, ClientError::Unexpected(_)), "{err:?}");
    let null = text_set(NEW, 0, &[vec![None, None]]);
    assert!(matches!(
        read(&null, NEW, false, &mut [0]),
        Err(ClientError::Unexpected(_))
    ));
    let too_many = read(&bytes, NEW, false, &mut [0; 3]).expect_err("three of two columns");
    assert!(too_many.to_string().contains("2 columns"), "{too_many}");
}

#[test]
fn err_packets_carry_code_and_sqlstate() {
    let mut payload = Vec::new();
    encode_err(
        &mut payload,
        &MysqlError::new(1146, "42S02", "Table 'x' doesn't exist"),
    );
    let mut bytes = Vec::new();
    write_packet(&mut bytes, 1, &payload);
    let err = read(&bytes, NEW, true, &mut []).expect_err("ERR");
    assert_eq!(
        err,
        ClientError::Server {
            code: 1146,
            state: "42S02".into(),
            message: "Table 'x' doesn't exist".into()
        }
    );
}

#[test]
fn ok_and_several_results() {
    let mut ok = Vec::new();
    encode_ok(&mut ok, 1, status::AUTOCOMMIT, 0);
    let mut bytes = Vec::new();
    write_packet(&mut bytes, 1, &ok);
    assert_eq!(read(&bytes, NEW, false, &mut []), Ok(false));

    // A result set with more results after it, then an OK.
    let mut bytes = text_set(OLD, status::MORE_RESULTS_EXISTS, &[row("5", "6")]);
    write_packet(&mut bytes, 9, &ok);
    let mut out = [0];
    assert_eq!(read(&bytes, OLD, false, &mut out), Ok(true));
    assert_eq!(out, [5]);
}

/// A Column Definition 41 payload of type `kind`.
fn definition(kind: u8, flags: u16) -> Vec<u8> {
    let mut p = Vec::new();
    for field in ["def", "db", "t", "t", "col", "col"] {
        put_lenenc_bytes(&mut p, field.as_bytes());
    }
    put_lenenc_int(&mut p, 0x0c);
    p.extend_from_slice(&63u16.to_le_bytes());
    p.extend_from_slice(&20u32.to_le_bytes());
    p.push(kind);
    p.extend_from_slice(&flags.to_le_bytes());
    p.extend_from_slice(&[0, 0, 0]);
    p
}

#[test]
fn binary_rows_of_every_integer_width() {
    // LONGLONG -3, LONG 3307, TINY UNSIGNED 200, NEWDECIMAL "12", SHORT -1
    let kinds = [(8, 0), (3, 0), (1, UNSIGNED_FLAG), (246, 0), (2, 0)];
    let mut bytes = Vec::new();
    let mut seq = 1;
    let mut count = Vec::new();
    put_lenenc_int(&mut count, kinds.len() as u64);
    seq = write_packet(&mut bytes, seq, &count);
    for (kind, flags) in kinds {
        seq = write_packet(&mut bytes, seq, &definition(kind, flags));
    }
    let mut row = vec![0x00, 0x00]; // header, NULL bitmap (5 + 2 bits: one byte)
    row.extend_from_slice(&(-3i64).to_le_bytes());
    row.extend_from_slice(&3307i32.to_le_bytes());
    row.push(200);
    put_lenenc_bytes(&mut row, b"12");
    row.extend_from_slice(&(-1i16).to_le_bytes());
    seq = write_packet(&mut bytes, seq, &row);
    let mut end = Vec::new();
    encode_ok(&mut end, 0, 0, EOF_HEADER);
    write_packet(&mut bytes, seq, &end);
    let mut out = [0; 5];
    assert_eq!(read(&bytes, NEW, true, &mut out), Ok(true));
    assert_eq!(out, [-3, 3307, 200, 12, -1]);
}

#[test]
fn a_null_binary_value_is_not_an_integer() {
    let mut bytes = Vec::new();
    let mut seq = write_packet(&mut bytes, 1, &[1]);
    seq = write_packet(&mut bytes, seq, &definition(8, 0));
    let mut eof = Vec::new();
    encode_eof(&mut eof, 0);
    seq = write_packet(&mut bytes, seq, &eof);
    seq = write_packet(&mut bytes, seq, &[0x00, 0b0000_0100]);
    write_packet(&mut bytes, seq, &eof);
    assert!(matches!(
        read(&bytes, OLD, true, &mut [0]),
        Err(ClientError::Unexpected(_))
    ));
}

#[test]
fn prepare_ok_with_and_without_definitions() {
    let prepare_ok = |params: u16, columns: u16| {
        let mut p = vec![0, 9, 0, 0, 0];
        p.extend_from_slice(&columns.to_le_bytes());
        p.extend_from_slice(&params.to_le_bytes());
        p.extend_from_slice(&[0, 0, 0]);
        p
    };
    let want = Prepared { id: 9, params: 2 };
    for (caps, packets) in [(NEW, 3), (OLD, 5)] {
        let mut reader = PrepareReader::new(caps);
        assert_eq!(feed_whole(&mut reader, &prepare_ok(2, 1)), Ok(None));
        for _ in 0..packets - 1 {
            assert_eq!(feed_whole(&mut reader, &definition(8, 0)), Ok(None));
        }
        assert_eq!(feed_whole(&mut reader, &definition(8, 0)), Ok(Some(want)));
    }
    let mut reader = PrepareReader::new(NEW);
    assert_eq!(
        feed_whole(&mut reader, &prepare_ok(0, 0)),
        Ok(Some(Prepared { id: 9, params: 0 }))
    );
    let mut err = Vec::new();
    encode_err(&mut err, &MysqlError::new(1295, "HY000", "not supported"));
    let refused = feed_whole(&mut PrepareReader::new(NEW), &err).expect_err("ERR");
    assert_eq!(refused.code(), 1295);
}

#[test]
fn sixteen_mib_terminal_packets_are_malformed() {
    // An OK, or an ERR in place of a row, announced as 16 MiB: its continuation would be left in
    // the stream after the reply "ended".
    let mut ok = Vec::new();
    encode_ok(&mut ok, 0, status::AUTOCOMMIT, 0);
    let mut out = [0i64; 1];
    let mut reader = ResultReader::new(NEW, false, &mut out).expect("one column");
    assert!(matches!(
        reader.feed(MAX_PAYLOAD, &ok),
        Err(ClientError::Lost(_))
    ));
    let mut err = Vec::new();
    encode_err(&mut err, &MysqlError::new(1146, "42S02", "no table"));
    let set = text_set(NEW, status::AUTOCOMMIT, &[]);
    let mut reader = ResultReader::new(NEW, false, &mut out).expect("one column");
    let mut rest = &set[..];
    // Column count and both definitions; then the ERR where the rows are.
    for _ in 0..3 {
        let (h, payload) = split_packet(rest).expect("a packet");
        rest = &rest[HEADER_LEN + h.payload_len..];
        assert_eq!(reader.feed(h.payload_len, payload), Ok(None));
    }
    assert!(matches!(
        reader.feed(MAX_PAYLOAD, &err),
        Err(ClientError::Lost(_))
    ));
    // A PREPARE reply has no packet anywhere near 16 MiB.
    let mut reader = PrepareReader::new(NEW);
    assert!(matches!(
        reader.feed(MAX_PAYLOAD, &[0; 12]),
        Err(ClientError::Lost(_))
    ));
}
