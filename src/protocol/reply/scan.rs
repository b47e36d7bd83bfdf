//! `scan`: walks bytes a server sent, packet by packet, feeding a `ReplyTracker`, and says how
//! many leading bytes can be passed on to the client now, whether the reply ended (or asked for
//! LOCAL INFILE data), and how many bytes must be buffered before the walk can go on. Pure: the
//! relay in `wire` does the reading and writing; fuzz targets drive the same function.

use super::{Event, Need, ReplyTracker};
use crate::protocol::packet::{parse_header, HEADER_LEN};
use crate::protocol::ProtocolError;

/// Where the walk is inside the current packet, carried from one scan to the next.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanCursor {
    /// Payload bytes of the current packet still to pass through without looking.
    skip: usize,
}

impl ScanCursor {
    /// True if everything passed on so far ends on a packet boundary.
    pub fn at_boundary(&self) -> bool {
        self.skip == 0
    }
}

/// The result of one walk over the buffered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Leading bytes that can be passed on (and consumed).
    pub pass: usize,
    /// `Done` or `LocalInfile` if the walk stopped there; `None` if it needs more bytes.
    pub event: Option<Event>,
    /// Bytes (counted from the end of `pass`) that must be buffered before the next walk can
    /// make progress; 0 when any new byte helps.
    pub want: usize,
    /// Length of the whole packet right after `pass` that the client must get rewritten
    /// ([`ReplyTracker::take_rewrite`]); 0 if none. Its event is `event` (`More` when the
    /// reply goes on: walk again without reading).
    pub rewrite: usize,
}

/// Walks `data` (bytes not yet passed on) for `tracker`.
pub fn scan(
    data: &[u8],
    cur: &mut ScanCursor,
    tracker: &mut ReplyTracker,
) -> Result<Scan, ProtocolError> {
    let mut pos = 0;
    let more = |pass, want| {
        Ok(Scan {
            pass,
            event: None,
            want,
            rewrite: 0,
        })
    };
    loop {
        if cur.skip > 0 {
            let n = cur.skip.min(data.len() - pos);
            pos += n;
            cur.skip -= n;
            if cur.skip > 0 {
                return more(pos, 0);
            }
        }
        let rest = &data[pos..];
        let Some(h) = parse_header(rest) else {
            return more(pos, HEADER_LEN);
        };
        let first = rest.get(HEADER_LEN).copied();
        if h.payload_len > 0 && first.is_none() {
            return more(pos, HEADER_LEN + 1);
        }
        let whole = HEADER_LEN + h.payload_len;
        if tracker.need(h, first) == Need::Whole && rest.len() < whole {
            return more(pos, whole);
        }
        let avail = (rest.len() - HEADER_LEN).min(h.payload_len);
        let event = tracker.on_packet(h, &rest[HEADER_LEN..HEADER_LEN + avail])?;
        if tracker.take_rewrite() && avail == h.payload_len {
            // Only whole packets are read as OKs, so the rewrite has all of it.
            return Ok(Scan {
                pass: pos,
                event: Some(event),
                want: 0,
                rewrite: whole,
            });
        }
        pos += HEADER_LEN + avail;
        cur.skip = h.payload_len - avail;
        match event {
            Event::More => {}
            Event::Done { .. } | Event::LocalInfile => {
                if cur.skip > 0 {
                    return Err(ProtocolError::Malformed("reply ended inside a packet"));
                }
                return Ok(Scan {
                    pass: pos,
                    event: Some(event),
                    want: 0,
                    rewrite: 0,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::cap;
    use crate::protocol::packet::write_packet;
    use crate::protocol::reply::ReplyKind;
    use crate::protocol::response::encode_ok;

    /// One OK packet as a server sends it in reply to a command.
    fn ok_reply() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut ok = Vec::new();
        encode_ok(&mut ok, 1, 2, 0);
        write_packet(&mut bytes, 1, &ok);
        bytes
    }

    #[test]
    fn whole_reply_in_one_buffer() {
        let bytes = ok_reply();
        let mut t = ReplyTracker::new(ReplyKind::ResultSets, cap::SUPPORTED);
        let mut cur = ScanCursor::default();
        let s = scan(&bytes, &mut cur, &mut t).expect("valid");
        assert_eq!(s.pass, bytes.len());
        assert!(matches!(s.event, Some(Event::Done { .. })));
    }

    #[test]
    fn byte_by_byte_needs_more_until_whole() {
        let bytes = ok_reply();
        let mut t = ReplyTracker::new(ReplyKind::ResultSets, cap::SUPPORTED);
        let mut cur = ScanCursor::default();
        for n in 0..bytes.len() {
            let s = scan(&bytes[..n], &mut cur, &mut t).expect("valid prefix");
            assert_eq!((s.pass, s.event), (0, None));
            assert!(s.want > n);
        }
    }
}
