//! Fuzzing entry points for loadgen's own parsers: the readers of a server's reply to COM_QUERY /
//! COM_STMT_EXECUTE and to COM_STMT_PREPARE (`client::reply`). The cargo-fuzz targets in `fuzz/`
//! and the corpus replay in `tests/fuzz_corpus.rs` call these, so every check lives here and runs
//! on stable too. They must not do I/O; a failed check panics (that is how libFuzzer sees it).
//!
//! Input layout, after the first byte (which picks the options, below): packets, each one length
//! byte and then that many payload bytes (fewer at the end of the input). A length byte of 0xFF
//! stands for a packet of 16 MiB - 1 bytes, the largest, which a continuation follows; the reader
//! sees only the next (up to) 16 bytes of it, as loadgen's wire reader hands over a prefix.

use sluice::protocol::constants::cap;
use sluice::protocol::packet::MAX_PAYLOAD;

use crate::client::reply::{PrepareReader, ResultReader, MAX_COLUMNS_READ};

/// Length byte that stands for a maximum-size packet.
const MAX_PACKET_MARK: u8 = 0xFF;
/// How much of a maximum-size packet the reader is shown.
const MAX_PACKET_PREFIX: usize = 16;

/// The packets encoded in `data`, as (length on the wire, payload bytes the reader sees).
fn packets(mut data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    std::iter::from_fn(move || {
        let (&len, rest) = data.split_first()?;
        let (wire_len, take) = if len == MAX_PACKET_MARK {
            (MAX_PAYLOAD, MAX_PACKET_PREFIX)
        } else {
            (usize::from(len), usize::from(len))
        };
        let take = take.min(rest.len());
        let (payload, rest) = rest.split_at(take);
        data = rest;
        Some((wire_len.max(payload.len()), payload))
    })
}

/// Capability flags from the option byte: bit 0 sets DEPRECATE_EOF.
fn caps(options: u8) -> u32 {
    let deprecate_eof = if options & 1 != 0 {
        cap::DEPRECATE_EOF
    } else {
        0
    };
    cap::PROTOCOL_41 | deprecate_eof
}

/// `ResultReader`: option byte bit 0 DEPRECATE_EOF, bit 1 binary rows, bits 2-5 how many columns
/// of the first row to read (modulo 9). Checks: no panic; once the reader says the reply ended,
/// it refuses any further packet; a reply that ended without a row leaves the columns untouched.
/// Returns how the reply ended: `Some(found a row)`, or `None` (an error, or input ran out).
pub fn result_reply(data: &[u8]) -> Option<bool> {
    let (&options, rest) = data.split_first()?;
    let binary = options & 2 != 0;
    let wanted = usize::from(options >> 2) % (MAX_COLUMNS_READ + 1);
    const UNTOUCHED: i64 = 0x5a5a_5a5a;
    let mut out = [UNTOUCHED; MAX_COLUMNS_READ];
    let Ok(mut reader) = ResultReader::new(caps(options), binary, &mut out[..wanted]) else {
        panic!("{wanted} columns is within the limit");
    };
    let mut ended = None;
    for (len, payload) in packets(rest) {
        match reader.feed(len, payload) {
            Ok(None) => {}
            Ok(Some(found)) => {
                ended = Some(found);
                break;
            }
            Err(_) => break,
        }
    }
    if let Some(found) = ended {
        assert!(
            reader.feed(1, &[0]).is_err(),
            "a packet after the end of the reply was accepted"
        );
        drop(reader);
        if !found {
            assert!(
                out.iter().all(|&v| v == UNTOUCHED),
                "columns written without a row"
            );
        }
    }
    ended
}

/// `PrepareReader`: option byte bit 0 DEPRECATE_EOF. Checks: no panic; when the first packet is
/// a PREPARE_OK, the reply ends exactly after the parameter and column definitions it announces
/// (each group followed by an EOF unless DEPRECATE_EOF), and nothing is accepted after that.
/// Returns the statement id and parameter count once the reply ended.
pub fn prepare_reply(data: &[u8]) -> Option<(u32, u16)> {
    let (&options, rest) = data.split_first()?;
    let deprecate_eof = options & 1 != 0;
    let mut reader = PrepareReader::new(caps(options));
    // From a PREPARE_OK first packet: (packets the reply has, parameters it announces).
    let mut announced = None;
    for (fed, (len, payload)) in packets(rest).enumerate() {
        if fed == 0 && len < MAX_PAYLOAD && payload.first() == Some(&0) && payload.len() >= 9 {
            let params = u16::from_le_bytes([payload[7], payload[8]]);
            let columns = u16::from_le_bytes([payload[5], payload[6]]);
            let group = |n: u16| usize::from(n) + usize::from(n > 0 && !deprecate_eof);
            announced = Some((1 + group(params) + group(columns), params));
        }
        match reader.feed(len, payload) {
            Ok(None) => {}
            Ok(Some(prepared)) => {
                if let Some((packets, params)) = announced {
                    assert_eq!(fed + 1, packets, "the reply ended early or late");
                    assert_eq!(prepared.params, params, "parameter count");
                }
                assert!(
                    reader.feed(1, &[0]).is_err(),
                    "a packet after the end of the reply was accepted"
                );
                return Some((prepared.id, prepared.params));
            }
            Err(_) => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_split_by_length_byte_and_mark_maximum_size_ones() {
        let data = [2, b'a', b'b', 0, 0xFF, 1, 2, 3];
        let got: Vec<_> = packets(&data).collect();
        assert_eq!(
            got,
            vec![(2, &b"ab"[..]), (0, &[][..]), (MAX_PAYLOAD, &[1, 2, 3][..])]
        );
    }

    #[test]
    fn a_whole_text_reply_is_read() {
        // One column (definition with type LONGLONG), DEPRECATE_EOF, one row "7", OK-as-EOF.
        let mut def = vec![3, b'd', b'e', b'f', 0, 0, 0, 1, b'c', 0, 0x0c];
        def.extend_from_slice(&[0x3f, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        let mut data = vec![1 | (1 << 2)];
        for p in [&[1u8][..], &def, &[1, b'7'], &[0xfe, 0, 0, 2, 0, 0, 0]] {
            data.push(p.len() as u8);
            data.extend_from_slice(p);
        }
        assert_eq!(result_reply(&data), Some(true));
        // The same bytes are no PREPARE_OK: the prepare reader gives up on the first packet.
        assert_eq!(prepare_reply(&data), None);
    }

    #[test]
    fn a_whole_prepare_reply_is_read() {
        // PREPARE_OK: id 5, 1 column, 2 parameters; then 2 + EOF and 1 + EOF definitions.
        let ok = [0, 5, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0];
        let eof = [0xfe, 0, 0, 2, 0];
        let mut data = vec![0];
        for p in [&ok[..], &[3, 1], &[3, 2], &eof, &[3, 3], &eof] {
            data.push(p.len() as u8);
            data.extend_from_slice(p);
        }
        assert_eq!(prepare_reply(&data), Some((5, 2)));
        // With DEPRECATE_EOF the first EOF is the last column's definition and one packet is left.
        data[0] = 1;
        assert_eq!(prepare_reply(&data), Some((5, 2)));
    }
}
