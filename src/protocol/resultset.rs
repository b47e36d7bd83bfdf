//! Text-protocol result sets that sluice builds itself, to answer statements it owns
//! (`SHOW SLUICE BACKENDS`, `SELECT @@sluice_consistency`, ...): column count, Column Definition 41
//! packets, the EOF after them (unless DEPRECATE_EOF), rows, and the final EOF or OK.
//! It owns only this encoding; it appends bytes to a `Vec<u8>` and must not do I/O, decide which
//! statements sluice answers, or know where the values come from. Framing, length-encoded fields
//! and OK/EOF bodies come from `packet`, `lenenc` and `response`.

use super::constants::{cap, DEFAULT_COLLATION, EOF_HEADER};
use super::lenenc::{put_lenenc_bytes, put_lenenc_int};
use super::packet::{write_packet, write_small_packet};
use super::response::{encode_eof, encode_ok};

/// Catalog of every column definition.
const CATALOG: &[u8] = b"def";
/// Length of the fixed-length fields of a Column Definition 41 (charset .. decimals).
const FIXED_FIELDS_LEN: u64 = 0x0c;
/// Character set `binary`, announced for numbers.
const CHARSET_BINARY: u16 = 63;
/// MYSQL_TYPE_VAR_STRING.
const TYPE_VAR_STRING: u8 = 0xfd;
/// MYSQL_TYPE_LONGLONG.
const TYPE_LONGLONG: u8 = 0x08;
/// UNSIGNED_FLAG of a column definition.
const UNSIGNED_FLAG: u16 = 32;
/// Display length of a text column: 255 characters of up to 4 bytes (utf8mb4).
const TEXT_COLUMN_LEN: u32 = 255 * 4;
/// Display length of a BIGINT UNSIGNED column.
const UNSIGNED_INT_COLUMN_LEN: u32 = 20;
/// A NULL value in a text-protocol row.
const NULL_VALUE: u8 = 0xfb;

/// A column of a result set sluice builds itself.
pub struct ColumnSpec<'a> {
    pub name: &'a str,
    pub kind: ColumnKind,
}

/// How a column is announced to the client; values are always sent as text.
#[derive(Clone, Copy)]
pub enum ColumnKind {
    /// VAR_STRING in utf8mb4_general_ci.
    Text,
    /// BIGINT UNSIGNED (values are decimal digits).
    UnsignedInt,
}

/// Appends a complete text result set (column count, column definitions, [EOF], rows, final EOF or
/// OK) to `out`, starting at sequence id `seq`; returns the next sequence id. `capabilities` are
/// the client's negotiated flags: with CLIENT_DEPRECATE_EOF there is no EOF after the column
/// definitions and the end is an OK packet with header 0xFE; without it, classic EOF packets.
/// `status` is the server status flags to report in the final packet (e.g. SERVER_STATUS_AUTOCOMMIT).
/// Rows are `None` for SQL NULL.
///
/// `columns` must not be empty and every row must have one value per column. Rows of any size
/// are allowed (a row of 16 MiB or more is split into continuation packets); column names must
/// be short (well under 16 MiB), as every definition is written as a single packet.
pub fn write_result_set(
    out: &mut Vec<u8>,
    seq: u8,
    capabilities: u32,
    status: u16,
    columns: &[ColumnSpec<'_>],
    rows: &[Vec<Option<String>>],
) -> u8 {
    debug_assert!(!columns.is_empty(), "a result set has at least one column");
    let deprecate_eof = capabilities & cap::DEPRECATE_EOF != 0;
    let mut seq = write_small_packet(out, seq, |p| put_lenenc_int(p, columns.len() as u64));
    for column in columns {
        seq = write_small_packet(out, seq, |p| put_column_definition(p, column));
    }
    if !deprecate_eof {
        seq = write_small_packet(out, seq, |p| encode_eof(p, status));
    }
    let mut row_payload = Vec::new();
    for row in rows {
        debug_assert_eq!(row.len(), columns.len(), "one value per column");
        row_payload.clear();
        for value in row {
            match value {
                Some(v) => put_lenenc_bytes(&mut row_payload, v.as_bytes()),
                None => row_payload.push(NULL_VALUE),
            }
        }
        seq = write_packet(out, seq, &row_payload);
    }
    if deprecate_eof {
        write_small_packet(out, seq, |p| encode_ok(p, 0, status, EOF_HEADER))
    } else {
        write_small_packet(out, seq, |p| encode_eof(p, status))
    }
}

/// Appends the payload of a Column Definition 41 packet for `column`.
fn put_column_definition(out: &mut Vec<u8>, column: &ColumnSpec<'_>) {
    let (charset, length, kind, flags) = match column.kind {
        ColumnKind::Text => (
            u16::from(DEFAULT_COLLATION),
            TEXT_COLUMN_LEN,
            TYPE_VAR_STRING,
            0,
        ),
        ColumnKind::UnsignedInt => (
            CHARSET_BINARY,
            UNSIGNED_INT_COLUMN_LEN,
            TYPE_LONGLONG,
            UNSIGNED_FLAG,
        ),
    };
    let name = column.name.as_bytes();
    put_lenenc_bytes(out, CATALOG);
    put_lenenc_bytes(out, b""); // schema
    put_lenenc_bytes(out, b""); // table
    put_lenenc_bytes(out, b""); // org_table
    put_lenenc_bytes(out, name);
    put_lenenc_bytes(out, name); // org_name
    put_lenenc_int(out, FIXED_FIELDS_LEN);
    out.extend_from_slice(&charset.to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&flags.to_le_bytes());
    out.push(0); // decimals
    out.extend_from_slice(&[0, 0]); // filler
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::status;
    use crate::protocol::lenenc::lenenc_bytes;
    use crate::protocol::packet::{split_packet, HEADER_LEN, MAX_PAYLOAD};
    use crate::protocol::reply::{scan, Event, ReplyKind, ReplyTracker, ScanCursor};

    const NEW_CAPS: u32 = cap::SUPPORTED;
    const OLD_CAPS: u32 = cap::SUPPORTED & !cap::DEPRECATE_EOF;
    const STATUS: u16 = status::AUTOCOMMIT | status::IN_TRANS;

    fn backends() -> Vec<ColumnSpec<'static>> {
        vec![
            ColumnSpec {
                name: "backend",
                kind: ColumnKind::Text,
            },
            ColumnSpec {
                name: "lag_ms",
                kind: ColumnKind::UnsignedInt,
            },
        ]
    }

    fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_owned)).collect()
    }

    /// Walks `bytes` with the reply tracker, as the relay would walk a server's reply to
    /// COM_QUERY: the reply must end exactly at the last byte, without error.
    fn assert_complete_reply(bytes: &[u8], caps: u32, status_flags: u16) {
        let mut tracker = ReplyTracker::new(ReplyKind::ResultSets, caps);
        let mut cursor = ScanCursor::default();
        let s = scan(bytes, &mut cursor, &mut tracker).expect("well-formed reply");
        assert_eq!(s.pass, bytes.len(), "the reply ends at the last byte");
        assert_eq!(
            s.event,
            Some(Event::Done {
                status: status_flags,
                error: false
            })
        );
        assert!(tracker.is_done());
        assert_eq!(tracker.last_status(), status_flags);
    }

    /// Splits `bytes` into packets, checking that sequence ids follow on from `seq`.
    fn packets(mut bytes: &[u8], mut seq: u8) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let (h, payload) = split_packet(bytes).expect("whole packet");
            assert_eq!(h.seq, seq);
            seq = seq.wrapping_add(1);
            out.push(payload);
            bytes = &bytes[HEADER_LEN + payload.len()..];
        }
        out
    }

    /// The name, charset, type and flags of a Column Definition 41 payload.
    fn decode_column(payload: &[u8]) -> (&[u8], u16, u8, u16) {
        let (rest, catalog) = lenenc_bytes(payload).expect("catalog");
        assert_eq!(catalog, b"def");
        let (rest, _schema) = lenenc_bytes(rest).expect("schema");
        let (rest, _table) = lenenc_bytes(rest).expect("table");
        let (rest, _org_table) = lenenc_bytes(rest).expect("org_table");
        let (rest, name) = lenenc_bytes(rest).expect("name");
        let (rest, org_name) = lenenc_bytes(rest).expect("org_name");
        assert_eq!(name, org_name);
        assert_eq!(rest.len(), 13, "0x0c and twelve fixed bytes");
        assert_eq!(rest[0], 0x0c);
        let charset = u16::from_le_bytes([rest[1], rest[2]]);
        let flags = u16::from_le_bytes([rest[8], rest[9]]);
        assert_eq!(&rest[10..], &[0, 0, 0], "decimals and filler");
        (name, charset, rest[7], flags)
    }

    #[test]
    fn tracker_sees_a_complete_reply_in_both_eof_modes() {
        let rows = vec![
            row(&[Some("db1:3306"), Some("0")]),
            row(&[Some("db2:3306"), None]),
            row(&[Some(""), Some("18446744073709551615")]),
        ];
        for caps in [NEW_CAPS, OLD_CAPS] {
            let mut out = Vec::new();
            let next = write_result_set(&mut out, 1, caps, STATUS, &backends(), &rows);
            assert_complete_reply(&out, caps, STATUS);
            let p = packets(&out, 1);
            // count, 2 definitions, [EOF], 3 rows, end
            let eof = usize::from(caps & cap::DEPRECATE_EOF == 0);
            assert_eq!(p.len(), 1 + 2 + eof + 3 + 1);
            assert_eq!(usize::from(next), 1 + p.len());
            assert_eq!(p[0], &[2]);
            assert_eq!(decode_column(p[1]), (&b"backend"[..], 45, 0xfd, 0));
            assert_eq!(decode_column(p[2]), (&b"lag_ms"[..], 63, 0x08, 32));
            let first_row = 3 + eof;
            assert_eq!(p[first_row + 1], b"\x08db2:3306\xfb");
            assert_eq!(p[first_row + 2], b"\x00\x1418446744073709551615");
        }
    }

    #[test]
    fn empty_result_set_is_complete() {
        for caps in [NEW_CAPS, OLD_CAPS] {
            let mut out = Vec::new();
            write_result_set(&mut out, 1, caps, status::AUTOCOMMIT, &backends(), &[]);
            assert_complete_reply(&out, caps, status::AUTOCOMMIT);
        }
    }

    #[test]
    fn one_column_one_row_bytes_without_deprecate_eof() {
        let columns = [ColumnSpec {
            name: "a",
            kind: ColumnKind::Text,
        }];
        let mut out = Vec::new();
        let next = write_result_set(
            &mut out,
            1,
            OLD_CAPS,
            status::AUTOCOMMIT,
            &columns,
            &[row(&[Some("x")])],
        );
        #[rustfmt::skip]
        let expected: &[u8] = &[
            1, 0, 0, 1, 1, // column count
            24, 0, 0, 2, // column definition
            3, b'd', b'e', b'f', 0, 0, 0, 1, b'a', 1, b'a', 0x0c,
            45, 0, 0xfc, 0x03, 0, 0, 0xfd, 0, 0, 0, 0, 0,
            5, 0, 0, 3, 0xfe, 0, 0, 2, 0, // EOF: warnings, status
            2, 0, 0, 4, 1, b'x', // row
            5, 0, 0, 5, 0xfe, 0, 0, 2, 0, // EOF: warnings, status
        ];
        assert_eq!(out, expected);
        assert_eq!(next, 6);
    }

    #[test]
    fn one_column_one_row_bytes_with_deprecate_eof() {
        let columns = [ColumnSpec {
            name: "n",
            kind: ColumnKind::UnsignedInt,
        }];
        let mut out = Vec::new();
        let next = write_result_set(
            &mut out,
            1,
            NEW_CAPS,
            status::AUTOCOMMIT,
            &columns,
            &[row(&[None])],
        );
        #[rustfmt::skip]
        let expected: &[u8] = &[
            1, 0, 0, 1, 1, // column count
            24, 0, 0, 2, // column definition
            3, b'd', b'e', b'f', 0, 0, 0, 1, b'n', 1, b'n', 0x0c,
            63, 0, 20, 0, 0, 0, 0x08, 32, 0, 0, 0, 0,
            1, 0, 0, 3, 0xfb, // row: NULL
            7, 0, 0, 4, 0xfe, 0, 0, 2, 0, 0, 0, // OK: rows, insert id, status, warnings
        ];
        assert_eq!(out, expected);
        assert_eq!(next, 5);
    }

    #[test]
    fn sequence_ids_wrap() {
        let rows: Vec<_> = (0..5)
            .map(|i| row(&[Some("x"), Some(&i.to_string())]))
            .collect();
        let mut out = Vec::new();
        let next = write_result_set(&mut out, 254, NEW_CAPS, STATUS, &backends(), &rows);
        assert_eq!(packets(&out, 254).len(), 9);
        assert_eq!(next, 254u8.wrapping_add(9));
    }

    #[test]
    fn row_of_16_mib_is_split_into_continuation_packets() {
        let big = "z".repeat(MAX_PAYLOAD);
        let rows = vec![row(&[Some(&big), Some("1")]), row(&[Some("small"), None])];
        for caps in [NEW_CAPS, OLD_CAPS] {
            let mut out = Vec::new();
            let next = write_result_set(&mut out, 1, caps, STATUS, &backends(), &rows);
            assert_complete_reply(&out, caps, STATUS);
            // count, 2 definitions, [EOF], 2 packets for the big row, 1 small row, end
            let eof = u8::from(caps & cap::DEPRECATE_EOF == 0);
            assert_eq!(next, 1 + 1 + 2 + eof + 2 + 1 + 1);
        }
    }
}
