//! A tiny text-protocol query for the monitor's own connections: send one COM_QUERY, read the
//! reply (column count, column definitions, [EOF], rows, EOF or OK with or without DEPRECATE_EOF,
//! or an ERR) and keep the first row's values. Only for small results the monitor asks for (one
//! row of a few columns).
//!
//! It owns the reply decoding for that purpose only; framing, length-encoded fields and ERR
//! decoding come from `protocol`. It must not be used to relay anything to a client, and must not
//! decide what to do with the values.

use crate::net::Stream;
use crate::pool::BackendConn;
use crate::protocol::constants::{cap, com, status, EOF_HEADER, ERR_HEADER, OK_HEADER};
use crate::protocol::lenenc::{lenenc_bytes, lenenc_int};
use crate::protocol::packet::{write_packet, MAX_PAYLOAD};
use crate::protocol::response::{decode_err, terminator_status};

use super::error::MonitorError;

/// Largest reply packet the monitor accepts (a long `gtid_executed` is a few KiB).
const MAX_REPLY_PACKET: usize = 1024 * 1024;
/// A NULL value in a text-protocol row.
const NULL_VALUE: u8 = 0xfb;
/// The LOCAL INFILE request a query could answer with (never for the monitor's queries).
const LOCAL_INFILE_HEADER: u8 = 0xfb;
/// Longest EOF packet payload; a longer 0xFE packet is an OK (DEPRECATE_EOF) or a row.
const EOF_MAX_LEN: usize = 9;

/// One value of a text-protocol row: `None` for SQL NULL.
pub type Value = Option<Vec<u8>>;

/// Sends `sql` on `conn` and returns the first row's values (empty if the reply has no row).
pub async fn query_first_row<S: Stream>(
    conn: &mut BackendConn<S>,
    sql: &str,
) -> Result<Vec<Value>, MonitorError> {
    let mut out = Vec::with_capacity(sql.len() + 8);
    let mut payload = Vec::with_capacity(sql.len() + 1);
    payload.push(com::QUERY);
    payload.extend_from_slice(sql.as_bytes());
    write_packet(&mut out, 0, &payload);
    conn.conn.write_all(&out).await?;
    let mut reply = FirstRow::new(conn.capabilities);
    loop {
        let h = conn.conn.fill_packet(MAX_REPLY_PACKET).await?;
        let done = reply.feed(conn.conn.payload(h));
        conn.conn.consume_packet(h);
        if done? {
            return Ok(reply.into_row());
        }
    }
}

/// Where the decoder is in the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting the first packet: OK, ERR, or the column count.
    Start,
    /// Expecting this many more column definitions.
    Columns(u64),
    /// Expecting the EOF after the column definitions (no DEPRECATE_EOF).
    ColumnsEof,
    /// Expecting rows or the terminator.
    Rows,
    Done,
}

/// Decodes one text-protocol reply packet by packet and keeps its first row.
#[derive(Debug)]
pub struct FirstRow {
    deprecate_eof: bool,
    state: State,
    columns: usize,
    row: Option<Vec<Value>>,
}

impl FirstRow {
    /// A decoder for a reply on a connection with capability flags `caps`.
    pub fn new(caps: u32) -> Self {
        Self {
            deprecate_eof: caps & cap::DEPRECATE_EOF != 0,
            state: State::Start,
            columns: 0,
            row: None,
        }
    }

    /// Takes the next packet's payload; `Ok(true)` once the reply is complete.
    pub fn feed(&mut self, payload: &[u8]) -> Result<bool, MonitorError> {
        let first = *payload
            .first()
            .ok_or(MonitorError::Malformed("empty packet"))?;
        if first == ERR_HEADER && self.state != State::Done {
            return Err(decode_err(payload).map_or(
                MonitorError::Malformed("unreadable ERR packet"),
                MonitorError::Server,
            ));
        }
        match self.state {
            State::Start => match first {
                OK_HEADER => self.end(payload)?,
                LOCAL_INFILE_HEADER => {
                    return Err(MonitorError::Malformed("unexpected LOCAL INFILE request"))
                }
                _ => {
                    let (_, n) = lenenc_int(payload)
                        .map_err(|_| MonitorError::Malformed("bad column count"))?;
                    if n == 0 {
                        return Err(MonitorError::Malformed("zero columns"));
                    }
                    self.columns = usize::try_from(n)
                        .map_err(|_| MonitorError::Malformed("too many columns"))?;
                    self.state = State::Columns(n);
                }
            },
            State::Columns(left) => {
                self.state = match (left - 1, self.deprecate_eof) {
                    (0, true) => State::Rows,
                    (0, false) => State::ColumnsEof,
                    (n, _) => State::Columns(n),
                };
            }
            State::ColumnsEof => {
                if !is_eof(payload) {
                    return Err(MonitorError::Malformed("no EOF after column definitions"));
                }
                self.state = State::Rows;
            }
            State::Rows => {
                if first == EOF_HEADER && payload.len() < MAX_PAYLOAD {
                    // A row starting 0xFE would need a value of 16 MiB or more: this ends rows.
                    self.end(payload)?;
                } else if self.row.is_none() {
                    self.row = Some(decode_row(payload, self.columns)?);
                }
            }
            State::Done => return Err(MonitorError::Malformed("packet after the reply ended")),
        }
        Ok(self.state == State::Done)
    }

    /// The first row's values; empty if there was none.
    pub fn into_row(self) -> Vec<Value> {
        self.row.unwrap_or_default()
    }

    fn end(&mut self, payload: &[u8]) -> Result<(), MonitorError> {
        let flags = terminator_status(payload, cap::SUPPORTED)
            .ok_or(MonitorError::Malformed("bad end of reply"))?;
        if flags & status::MORE_RESULTS_EXISTS != 0 {
            return Err(MonitorError::Malformed("more than one result"));
        }
        self.state = State::Done;
        Ok(())
    }
}

fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&EOF_HEADER) && payload.len() < EOF_MAX_LEN
}

fn decode_row(payload: &[u8], columns: usize) -> Result<Vec<Value>, MonitorError> {
    let mut rest = payload;
    let mut values = Vec::with_capacity(columns);
    for _ in 0..columns {
        if rest.first() == Some(&NULL_VALUE) {
            values.push(None);
            rest = &rest[1..];
        } else {
            let (r, v) =
                lenenc_bytes(rest).map_err(|_| MonitorError::Malformed("truncated row"))?;
            values.push(Some(v.to_vec()));
            rest = r;
        }
    }
    if !rest.is_empty() {
        return Err(MonitorError::Malformed("row longer than its columns"));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::MysqlError;
    use crate::protocol::packet::split_packet;
    use crate::protocol::response::{encode_err, encode_ok};
    use crate::protocol::resultset::{write_result_set, ColumnKind, ColumnSpec};

    const NEW_CAPS: u32 = cap::SUPPORTED;
    const OLD_CAPS: u32 = cap::SUPPORTED & !cap::DEPRECATE_EOF;

    /// Feeds every packet of `bytes`; the first row, or the error, and whether all were used.
    fn decode(bytes: &[u8], caps: u32) -> Result<Vec<Value>, MonitorError> {
        let mut d = FirstRow::new(caps);
        let mut rest = bytes;
        while let Some((h, payload)) = split_packet(rest) {
            rest = &rest[4 + h.payload_len..];
            if d.feed(payload)? {
                assert!(rest.is_empty(), "bytes left after the end");
                return Ok(d.into_row());
            }
        }
        panic!("reply did not end");
    }

    fn result_set(caps: u32, rows: &[Vec<Option<String>>]) -> Vec<u8> {
        let columns = [
            ColumnSpec {
                name: "@@global.gtid_executed",
                kind: ColumnKind::Text,
            },
            ColumnSpec {
                name: "n",
                kind: ColumnKind::UnsignedInt,
            },
        ];
        let mut out = Vec::new();
        write_result_set(&mut out, 1, caps, status::AUTOCOMMIT, &columns, rows);
        out
    }

    #[test]
    fn first_row_with_and_without_deprecate_eof() {
        let rows = vec![
            vec![Some("0-1-5".to_owned()), None],
            vec![Some("ignored".to_owned()), Some("2".to_owned())],
        ];
        for caps in [NEW_CAPS, OLD_CAPS] {
            let got = decode(&result_set(caps, &rows), caps).expect("decodes");
            assert_eq!(got, vec![Some(b"0-1-5".to_vec()), None], "caps {caps:#x}");
        }
    }

    #[test]
    fn empty_values_no_rows_and_plain_ok() {
        let rows = vec![vec![Some(String::new()), Some("0".to_owned())]];
        let got = decode(&result_set(NEW_CAPS, &rows), NEW_CAPS).expect("decodes");
        assert_eq!(got, vec![Some(vec![]), Some(b"0".to_vec())]);
        for caps in [NEW_CAPS, OLD_CAPS] {
            assert!(decode(&result_set(caps, &[]), caps)
                .expect("decodes")
                .is_empty());
        }
        let mut ok = Vec::new();
        encode_ok(&mut ok, 0, status::AUTOCOMMIT, OK_HEADER);
        let mut packet = Vec::new();
        write_packet(&mut packet, 1, &ok);
        assert!(decode(&packet, NEW_CAPS).expect("decodes").is_empty());
    }

    #[test]
    fn err_reply_carries_the_server_error() {
        let e = MysqlError::new(
            1227,
            "42000",
            "Access denied; you need the PROCESS privilege",
        );
        let mut payload = Vec::new();
        encode_err(&mut payload, &e);
        let mut packet = Vec::new();
        write_packet(&mut packet, 1, &payload);
        match decode(&packet, NEW_CAPS) {
            Err(MonitorError::Server(got)) => assert_eq!(got, e),
            other => panic!("expected the server error, got {other:?}"),
        }
    }

    #[test]
    fn err_in_the_middle_of_rows() {
        let mut bytes = result_set(OLD_CAPS, &[vec![Some("a".into()), None]]);
        // Replace the final EOF (last packet, 5-byte payload) by an ERR.
        bytes.truncate(bytes.len() - 9);
        let mut err = Vec::new();
        encode_err(&mut err, &MysqlError::new(1317, "70100", "interrupted"));
        write_packet(&mut bytes, 6, &err);
        assert!(matches!(
            decode(&bytes, OLD_CAPS),
            Err(MonitorError::Server(e)) if e.code == 1317
        ));
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let mut d = FirstRow::new(NEW_CAPS);
        assert!(d.feed(&[]).is_err());
        let mut d = FirstRow::new(NEW_CAPS);
        assert!(d.feed(&[LOCAL_INFILE_HEADER, b'f']).is_err());
        // An OK too short to be one.
        assert!(FirstRow::new(NEW_CAPS).feed(&[OK_HEADER]).is_err());
        // One column announced, a row with a truncated value.
        let mut d = FirstRow::new(NEW_CAPS);
        assert_eq!(d.feed(&[1]).ok(), Some(false));
        assert_eq!(d.feed(b"\x03def").ok(), Some(false));
        assert!(d.feed(&[5, b'a']).is_err());
        // A row with more values than columns.
        let mut d = FirstRow::new(NEW_CAPS);
        d.feed(&[1]).expect("count");
        d.feed(b"\x03def").expect("definition");
        assert!(d.feed(&[1, b'a', 1, b'b']).is_err());
        // No EOF where one must be.
        let mut d = FirstRow::new(OLD_CAPS);
        d.feed(&[1]).expect("count");
        d.feed(b"\x03def").expect("definition");
        assert!(d.feed(&[1, b'a']).is_err());
        // Zero columns.
        assert!(FirstRow::new(NEW_CAPS).feed(&[0xfc, 0, 0]).is_err());
    }

    #[test]
    fn more_results_are_refused() {
        let mut bytes = Vec::new();
        write_result_set(
            &mut bytes,
            1,
            OLD_CAPS,
            status::MORE_RESULTS_EXISTS,
            &[ColumnSpec {
                name: "a",
                kind: ColumnKind::Text,
            }],
            &[vec![Some("x".into())]],
        );
        assert!(matches!(
            decode(&bytes, OLD_CAPS),
            Err(MonitorError::Malformed(_))
        ));
    }
}
