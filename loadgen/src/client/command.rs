//! The commands loadgen sends, framed as packets into a caller-owned buffer (reused, so building
//! a command does not allocate once the buffer has grown): COM_QUERY, COM_STMT_PREPARE,
//! COM_STMT_EXECUTE with integer and string parameters (binary protocol), COM_QUIT.
//!
//! It must not do I/O or read replies; framing of oversized payloads and the constants come from
//! sluice's `protocol`.

use sluice::protocol::constants::com;
use sluice::protocol::lenenc::put_lenenc_bytes;
use sluice::protocol::packet::{begin_packet, end_packet};

use super::{ClientError, Param};

/// MYSQL_TYPE_LONGLONG: how integer parameters are sent.
const TYPE_LONGLONG: u8 = 0x08;
/// MYSQL_TYPE_VAR_STRING: how string parameters are sent.
const TYPE_VAR_STRING: u8 = 0xfd;
/// COM_STMT_EXECUTE flags: no cursor.
const CURSOR_TYPE_NO_CURSOR: u8 = 0;
/// COM_STMT_EXECUTE iteration count (always 1).
const ITERATIONS: u32 = 1;

/// Starts a command packet in `out` (cleared): room for the header, then the command byte.
fn start(out: &mut Vec<u8>, command: u8) {
    begin_packet(out);
    out.push(command);
}

/// COM_QUERY with `sql`.
pub fn query(out: &mut Vec<u8>, sql: &str) {
    start(out, com::QUERY);
    out.extend_from_slice(sql.as_bytes());
    end_packet(out);
}

/// COM_STMT_PREPARE of `sql`.
pub fn prepare(out: &mut Vec<u8>, sql: &str) {
    start(out, com::STMT_PREPARE);
    out.extend_from_slice(sql.as_bytes());
    end_packet(out);
}

/// COM_STMT_EXECUTE of statement `id`, which takes `expected` parameters, with `params` (their
/// types sent every time; integers as BIGINT, strings as VAR_STRING, never NULL).
pub fn execute(
    out: &mut Vec<u8>,
    id: u32,
    expected: u16,
    params: &[Param<'_>],
) -> Result<(), ClientError> {
    if params.len() != usize::from(expected) {
        return Err(ClientError::Other(format!(
            "statement takes {expected} parameters, got {}",
            params.len()
        )));
    }
    start(out, com::STMT_EXECUTE);
    out.extend_from_slice(&id.to_le_bytes());
    out.push(CURSOR_TYPE_NO_CURSOR);
    out.extend_from_slice(&ITERATIONS.to_le_bytes());
    if !params.is_empty() {
        out.resize(out.len() + params.len().div_ceil(8), 0); // NULL bitmap: none is NULL
        out.push(1); // new-params-bound: the types follow
        for param in params {
            let kind = match param {
                Param::Int(_) => TYPE_LONGLONG,
                Param::Str(_) => TYPE_VAR_STRING,
            };
            out.extend_from_slice(&[kind, 0]);
        }
        for param in params {
            match param {
                Param::Int(value) => out.extend_from_slice(&value.to_le_bytes()),
                Param::Str(text) => put_lenenc_bytes(out, text.as_bytes()),
            }
        }
    }
    end_packet(out);
    Ok(())
}

/// COM_QUIT.
pub fn quit(out: &mut Vec<u8>) {
    start(out, com::QUIT);
    end_packet(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::protocol::packet::{split_packet, HEADER_LEN, MAX_PAYLOAD};

    #[test]
    fn query_is_one_framed_packet() {
        let mut out = vec![9; 3];
        query(&mut out, "SELECT 1");
        let (h, payload) = split_packet(&out).expect("a whole packet");
        assert_eq!((h.seq, h.payload_len), (0, 9));
        assert_eq!(payload, b"\x03SELECT 1");
    }

    #[test]
    fn execute_binds_integers_and_strings() {
        let mut out = Vec::new();
        execute(&mut out, 7, 2, &[Param::Int(-2), Param::Str("ab")]).expect("two params");
        let (_, payload) = split_packet(&out).expect("a whole packet");
        let mut want = vec![com::STMT_EXECUTE, 7, 0, 0, 0, 0, 1, 0, 0, 0];
        want.extend_from_slice(&[0, 1, TYPE_LONGLONG, 0, TYPE_VAR_STRING, 0]);
        want.extend_from_slice(&(-2i64).to_le_bytes());
        want.extend_from_slice(&[2, b'a', b'b']);
        assert_eq!(payload, &want[..]);
        execute(&mut out, 7, 0, &[]).expect("no params");
        assert_eq!(split_packet(&out).expect("packet").1.len(), 10);
        assert!(execute(&mut out, 7, 1, &[]).is_err());
    }

    #[test]
    fn oversized_payloads_are_split() {
        let mut out = Vec::new();
        let sql = "x".repeat(MAX_PAYLOAD);
        query(&mut out, &sql);
        let (first, _) = split_packet(&out).expect("first packet");
        assert_eq!((first.payload_len, first.seq), (MAX_PAYLOAD, 0));
        let (second, rest) = split_packet(&out[HEADER_LEN + MAX_PAYLOAD..]).expect("second");
        assert_eq!((second.payload_len, second.seq, rest), (1, 1, &b"x"[..]));
    }
}
