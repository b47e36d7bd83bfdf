//! OK, ERR and EOF packets: decoding the fields sluice looks at (status flags, affected rows,
//! session-state info) from borrowed payloads, and building the packets sluice sends itself.

use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u8};
use nom::IResult;

use super::constants::{cap, status, EOF_HEADER, ERR_HEADER, OK_HEADER};
use super::lenenc::{lenenc_bytes, lenenc_int, put_lenenc_int};
use crate::error::MysqlError;

/// The fields of an OK packet (or of the OK that ends rows under DEPRECATE_EOF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkPacket<'a> {
    pub affected_rows: u64,
    pub last_insert_id: u64,
    pub status: u16,
    pub warnings: u16,
    pub info: &'a [u8],
    /// Raw session-state-change block, present when SESSION_STATE_CHANGED is set.
    pub session_state: &'a [u8],
}

fn ok_body(caps: u32) -> impl Fn(&[u8]) -> IResult<&[u8], OkPacket<'_>> {
    move |input| {
        let (input, _hdr) = le_u8(input)?;
        let (input, affected_rows) = lenenc_int(input)?;
        let (input, last_insert_id) = lenenc_int(input)?;
        let (input, status) = le_u16(input)?;
        let (input, warnings) = le_u16(input)?;
        if caps & cap::SESSION_TRACK != 0 {
            let (input, info) = if input.is_empty() {
                (input, &b""[..])
            } else {
                lenenc_bytes(input)?
            };
            let (input, session_state) =
                if status & status::SESSION_STATE_CHANGED != 0 && !input.is_empty() {
                    lenenc_bytes(input)?
                } else {
                    (input, &b""[..])
                };
            Ok((
                input,
                OkPacket {
                    affected_rows,
                    last_insert_id,
                    status,
                    warnings,
                    info,
                    session_state,
                },
            ))
        } else {
            let (input, info) = take(input.len())(input)?;
            Ok((
                input,
                OkPacket {
                    affected_rows,
                    last_insert_id,
                    status,
                    warnings,
                    info,
                    session_state: b"",
                },
            ))
        }
    }
}

impl<'a> OkPacket<'a> {
    /// Decodes an OK packet (header 0x00, or 0xfe when it ends rows under DEPRECATE_EOF).
    pub fn decode(payload: &'a [u8], caps: u32) -> Option<Self> {
        match payload.first() {
            Some(&OK_HEADER) | Some(&EOF_HEADER) => ok_body(caps)(payload).ok().map(|(_, ok)| ok),
            _ => None,
        }
    }
}

/// Appends a plain OK packet payload.
pub fn encode_ok(out: &mut Vec<u8>, affected_rows: u64, status_flags: u16, header: u8) {
    out.push(header);
    put_lenenc_int(out, affected_rows);
    put_lenenc_int(out, 0);
    out.extend_from_slice(&status_flags.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

/// Appends an EOF packet payload (protocol 4.1 form).
pub fn encode_eof(out: &mut Vec<u8>, status_flags: u16) {
    out.push(EOF_HEADER);
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&status_flags.to_le_bytes());
}

/// Appends an ERR packet payload (protocol 4.1 form, with SQLSTATE).
pub fn encode_err(out: &mut Vec<u8>, err: &MysqlError) {
    out.push(ERR_HEADER);
    out.extend_from_slice(&err.code.to_le_bytes());
    out.push(b'#');
    out.extend_from_slice(&err.sql_state);
    out.extend_from_slice(err.message.as_bytes());
}

/// Decodes an ERR packet payload.
pub fn decode_err(payload: &[u8]) -> Option<MysqlError> {
    let body = payload.strip_prefix(&[ERR_HEADER])?;
    if body.len() < 2 {
        return None;
    }
    let code = u16::from_le_bytes([body[0], body[1]]);
    let rest = &body[2..];
    let (state, msg) = match rest.strip_prefix(b"#") {
        Some(r) if r.len() >= 5 => (&r[..5], &r[5..]),
        _ => (&b"HY000"[..], rest),
    };
    let mut sql_state = [0u8; 5];
    sql_state.copy_from_slice(state);
    Some(MysqlError {
        code,
        sql_state,
        message: String::from_utf8_lossy(msg).into_owned(),
    })
}

/// Shortest OK-form packet: header, two one-byte length-encoded integers, status, warnings. A
/// shorter `0xfe` packet is a classic EOF (5 bytes: header, warnings, status; 1 before 4.1).
const OK_FORM_MIN: usize = 7;

/// Status flags of a packet that ends a reply or a result set: an EOF (`0xfe`, short) or an OK.
/// `None` if the packet is neither.
pub fn terminator_status(payload: &[u8], caps: u32) -> Option<u16> {
    terminator(payload, caps).map(|t| t.status)
}

/// What the OK or EOF packet that ends a reply says about the statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminator {
    pub status: u16,
    /// The statement's warning count (what `SHOW WARNINGS` would list).
    pub warnings: u16,
    /// The OK packet's last-insert-id field (0 in an EOF packet).
    pub insert_id: u64,
}

/// Reads a reply-ending OK or EOF packet (see [`terminator_status`]).
pub fn terminator(payload: &[u8], caps: u32) -> Option<Terminator> {
    match payload.first() {
        Some(&EOF_HEADER) if payload.len() < OK_FORM_MIN => Some(if payload.len() >= 5 {
            Terminator {
                status: u16::from_le_bytes([payload[3], payload[4]]),
                warnings: u16::from_le_bytes([payload[1], payload[2]]),
                insert_id: 0,
            }
        } else {
            Terminator::default()
        }),
        Some(&EOF_HEADER) | Some(&OK_HEADER) => {
            OkPacket::decode(payload, caps).map(|ok| Terminator {
                status: ok.status,
                warnings: ok.warnings,
                insert_id: ok.last_insert_id,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_round_trip_with_and_without_session_track() {
        let mut buf = Vec::new();
        encode_ok(&mut buf, 300, status::AUTOCOMMIT, OK_HEADER);
        for caps in [cap::SUPPORTED, cap::SUPPORTED & !cap::SESSION_TRACK] {
            let ok = OkPacket::decode(&buf, caps).expect("decodes");
            assert_eq!((ok.affected_rows, ok.status), (300, status::AUTOCOMMIT));
        }
    }

    #[test]
    fn ok_with_session_state() {
        let mut p = vec![0, 0, 0];
        p.extend_from_slice(&(status::SESSION_STATE_CHANGED | status::AUTOCOMMIT).to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        p.push(0); // empty info
                   // one entry: type 1 (schema), data = lenenc "db"
        p.extend_from_slice(&[4, 1, 2, 1, b'd']);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("decodes");
        let entries: Vec<_> =
            crate::protocol::session_state::session_state_entries(ok.session_state).collect();
        assert_eq!(entries, vec![(1u8, &[1u8, b'd'][..])]);
    }

    #[test]
    fn err_round_trip() {
        let e = MysqlError::new(1045, "28000", "Access denied");
        let mut buf = Vec::new();
        encode_err(&mut buf, &e);
        assert_eq!(decode_err(&buf), Some(e));
        assert_eq!(decode_err(&[0xff, 1]), None);
    }

    #[test]
    fn terminators() {
        let mut eof = Vec::new();
        encode_eof(&mut eof, status::MORE_RESULTS_EXISTS);
        assert_eq!(
            terminator_status(&eof, 0),
            Some(status::MORE_RESULTS_EXISTS)
        );
        let mut ok = Vec::new();
        encode_ok(&mut ok, 0, status::IN_TRANS, EOF_HEADER);
        assert_eq!(
            terminator_status(&ok, cap::SUPPORTED),
            Some(status::IN_TRANS)
        );
        assert_eq!(terminator_status(&[1, 2], cap::SUPPORTED), None);
    }

    /// Under DEPRECATE_EOF rows end with an OK-form packet whose header is 0xfe; at 7 or 8 bytes
    /// it is shorter than a row starting with 0xfe, but it is not a classic EOF: its warnings
    /// come after the status.
    #[test]
    fn short_ok_form_after_rows() {
        let ok = [EOF_HEADER, 0, 0, 2, 0, 1, 0];
        let t = terminator(&ok, cap::SUPPORTED).expect("a terminator");
        assert_eq!((t.status, t.warnings), (status::AUTOCOMMIT, 1));
        let ok = [EOF_HEADER, 5, 0xfc, 0x2c, 0x01, 0x22, 0, 3, 0];
        let t = terminator(&ok[..8], cap::SUPPORTED);
        assert_eq!(t, None, "cut short: neither");
        let t = terminator(&ok, cap::SUPPORTED).expect("a terminator");
        assert_eq!((t.status, t.warnings, t.insert_id), (0x22, 3, 300));
    }

    #[test]
    fn terminator_warnings_and_insert_id() {
        // EOF: header, warnings 3, status AUTOCOMMIT.
        let eof = [EOF_HEADER, 3, 0, 2, 0];
        assert_eq!(
            terminator(&eof, 0),
            Some(Terminator {
                status: status::AUTOCOMMIT,
                warnings: 3,
                insert_id: 0
            })
        );
        // A short EOF (pre-4.1): no fields.
        assert_eq!(terminator(&[EOF_HEADER], 0), Some(Terminator::default()));
        // OK: affected 1, insert id 300 (lenenc 0xfc), status AUTOCOMMIT, warnings 2.
        let ok = [OK_HEADER, 1, 0xfc, 0x2c, 0x01, 2, 0, 2, 0];
        for caps in [cap::SUPPORTED, cap::SUPPORTED & !cap::SESSION_TRACK] {
            assert_eq!(
                terminator(&ok, caps),
                Some(Terminator {
                    status: status::AUTOCOMMIT,
                    warnings: 2,
                    insert_id: 300
                })
            );
        }
        assert_eq!(terminator(&[ERR_HEADER, 0, 0], cap::SUPPORTED), None);
    }
}
