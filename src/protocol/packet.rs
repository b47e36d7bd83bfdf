//! Packet framing: the 4-byte header (3-byte little-endian payload length, 1-byte sequence id),
//! splitting payloads of 16 MiB and more into continuation packets, and reading one header from
//! borrowed bytes. No I/O and no allocation when parsing.

use nom::number::complete::{le_u24, le_u8};
use nom::IResult;

/// Length of a packet header.
pub const HEADER_LEN: usize = 4;
/// Largest payload one packet can carry; a payload of exactly this length is continued by the
/// next packet.
pub const MAX_PAYLOAD: usize = 0xff_ff_ff;

/// A packet header read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    pub payload_len: usize,
    pub seq: u8,
}

impl PacketHeader {
    /// True if the logical packet goes on in the next packet.
    pub fn is_continued(&self) -> bool {
        self.payload_len == MAX_PAYLOAD
    }

    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let len = (self.payload_len as u32).to_le_bytes();
        [len[0], len[1], len[2], self.seq]
    }
}

fn header(input: &[u8]) -> IResult<&[u8], PacketHeader> {
    let (input, len) = le_u24(input)?;
    let (input, seq) = le_u8(input)?;
    Ok((
        input,
        PacketHeader {
            payload_len: len as usize,
            seq,
        },
    ))
}

/// Reads a header from the start of `buf`; `None` if fewer than four bytes are there.
pub fn parse_header(buf: &[u8]) -> Option<PacketHeader> {
    header(buf).ok().map(|(_, h)| h)
}

/// If `buf` starts with one whole packet, returns its header and payload.
pub fn split_packet(buf: &[u8]) -> Option<(PacketHeader, &[u8])> {
    let h = parse_header(buf)?;
    let end = HEADER_LEN + h.payload_len;
    if buf.len() < end {
        return None;
    }
    Some((h, &buf[HEADER_LEN..end]))
}

/// Clears `out` and leaves room for a packet header: the payload is appended after it, then
/// [`end_packet`] fills the header in (building a command in place, without a copy).
pub fn begin_packet(out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&[0; HEADER_LEN]);
}

/// Fills in the header of the packet (sequence 0) begun by [`begin_packet`], splitting the
/// payload into 16 MiB packets in the rare case it needs to be.
pub fn end_packet(out: &mut Vec<u8>) {
    let len = out.len() - HEADER_LEN;
    if len < MAX_PAYLOAD {
        out[..3].copy_from_slice(&(len as u32).to_le_bytes()[..3]);
        out[3] = 0;
    } else {
        let payload = out.split_off(HEADER_LEN);
        out.clear();
        write_packet(out, 0, &payload);
    }
}

/// Appends `payload` to `out` as one logical packet starting at sequence id `seq`, split into
/// continuation packets as the protocol requires. Returns the next sequence id.
pub fn write_packet(out: &mut Vec<u8>, seq: u8, payload: &[u8]) -> u8 {
    let mut seq = seq;
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX_PAYLOAD);
        out.extend_from_slice(
            &PacketHeader {
                payload_len: n,
                seq,
            }
            .encode(),
        );
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        seq = seq.wrapping_add(1);
        if n < MAX_PAYLOAD {
            return seq;
        }
    }
}

/// Appends a packet whose payload is written by `fill`, patching the length afterwards. For
/// payloads known to be smaller than [`MAX_PAYLOAD`] (handshakes, OK and ERR packets).
pub fn write_small_packet(out: &mut Vec<u8>, seq: u8, fill: impl FnOnce(&mut Vec<u8>)) -> u8 {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, seq]);
    fill(out);
    let len = (out.len() - start - HEADER_LEN).min(MAX_PAYLOAD) as u32;
    out[start..start + 3].copy_from_slice(&len.to_le_bytes()[..3]);
    seq.wrapping_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let h = PacketHeader {
            payload_len: 0x123456,
            seq: 7,
        };
        assert_eq!(parse_header(&h.encode()), Some(h));
        assert_eq!(parse_header(&[1, 0]), None);
    }

    #[test]
    fn split_needs_whole_payload() {
        let mut buf = Vec::new();
        write_packet(&mut buf, 3, b"hello");
        assert_eq!(split_packet(&buf[..6]), None);
        let (h, p) = split_packet(&buf).expect("whole packet");
        assert_eq!((h.seq, p), (3, &b"hello"[..]));
    }

    #[test]
    fn large_payload_is_continued() {
        let payload = vec![7u8; MAX_PAYLOAD + 10];
        let mut buf = Vec::new();
        let next = write_packet(&mut buf, 0, &payload);
        assert_eq!(next, 2);
        let first = parse_header(&buf).expect("header");
        assert!(first.is_continued());
        let second = parse_header(&buf[HEADER_LEN + MAX_PAYLOAD..]).expect("header");
        assert_eq!((second.payload_len, second.seq), (10, 1));
    }

    #[test]
    fn exact_multiple_ends_with_empty_packet() {
        let payload = vec![1u8; MAX_PAYLOAD];
        let mut buf = Vec::new();
        assert_eq!(write_packet(&mut buf, 0, &payload), 2);
        assert_eq!(buf.len(), 2 * HEADER_LEN + MAX_PAYLOAD);
    }

    #[test]
    fn small_packet_patches_length() {
        let mut buf = Vec::new();
        write_small_packet(&mut buf, 9, |b| b.extend_from_slice(b"abc"));
        assert_eq!(buf, vec![3, 0, 0, 9, b'a', b'b', b'c']);
    }
}
