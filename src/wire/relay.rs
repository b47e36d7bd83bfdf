//! Relays between two packet connections. `relay_reply` streams a server's reply to the client,
//! asking `ReplyTracker` where it ends and buffering only the small packets that may end it.
//! `forward_packets` streams a run of packets (a large command, LOCAL INFILE data) from one side
//! to the other. Memory stays bounded: row packets pass through in buffer-sized pieces.

use futures_lite::{AsyncWrite, AsyncWriteExt};
use thiserror::Error;

use super::conn::{PacketConn, WireError};
use crate::net::Stream;
use crate::protocol::packet::{parse_header, PacketHeader, HEADER_LEN};
use crate::protocol::reply::{Event, Need, ReplyTracker};
use crate::protocol::ProtocolError;

/// How a reply relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayOutcome {
    /// Status flags of the final OK/EOF (0 after an ERR).
    pub status: u16,
    pub error: bool,
}

/// Why a relay stopped early.
#[derive(Debug, Error)]
pub enum RelayError {
    /// The backend failed. `at_boundary` says whether what reached the client so far ends on a
    /// packet boundary (so an ERR packet with sequence `next_seq` can still be sent);
    /// `sent` whether any byte of the reply reached the client.
    #[error("backend failed during the reply: {source}")]
    Backend {
        source: WireError,
        sent: bool,
        at_boundary: bool,
        next_seq: u8,
    },
    /// The client went away or sent something wrong.
    #[error("client failed during the reply: {0}")]
    Client(WireError),
}

/// Where the relay is inside the current packet.
#[derive(Default)]
struct Cursor {
    /// Payload bytes of the current packet still to pass through without looking.
    skip: usize,
}

/// Streams the backend's reply to the client until `tracker` says it is complete. LOCAL INFILE
/// requests are served by streaming the client's file packets to the backend.
pub async fn relay_reply<B: Stream, C: Stream>(
    backend: &mut PacketConn<B>,
    client: &mut PacketConn<C>,
    tracker: &mut ReplyTracker,
) -> Result<RelayOutcome, RelayError> {
    let mut cur = Cursor::default();
    let mut sent = false;
    let backend_err = |source, sent, cur: &Cursor, tracker: &ReplyTracker| RelayError::Backend {
        source,
        sent,
        at_boundary: cur.skip == 0,
        next_seq: tracker.last_seq().wrapping_add(1),
    };
    loop {
        let (pos, event, want) = scan(backend.rbuf.data(), &mut cur, tracker)
            .map_err(|e| backend_err(e.into(), sent, &cur, tracker))?;
        if pos > 0 {
            client
                .write_all(&backend.rbuf.data()[..pos])
                .await
                .map_err(RelayError::Client)?;
            backend.rbuf.consume(pos);
            sent = true;
        }
        match event {
            Some(Event::Done { status, error }) => {
                if backend.rbuf.is_empty() {
                    backend.rbuf.shrink();
                }
                return Ok(RelayOutcome { status, error });
            }
            Some(Event::LocalInfile) => {
                forward_packets(client, &mut backend.stream, |h| h.payload_len == 0)
                    .await
                    .map_err(|e| match e {
                        ForwardError::Source(e) => RelayError::Client(e),
                        ForwardError::Sink(e) => backend_err(e, sent, &cur, tracker),
                    })?;
                tracker.after_local_infile();
                continue;
            }
            Some(Event::More) | None => {}
        }
        if want > backend.rbuf.len() {
            backend.rbuf.reserve_total(want);
        }
        match backend.rbuf.fill(&mut backend.stream).await {
            Ok(0) => return Err(backend_err(WireError::Closed, sent, &cur, tracker)),
            Ok(_) => {}
            Err(e) => return Err(backend_err(e.into(), sent, &cur, tracker)),
        }
    }
}

/// Walks the buffered bytes. Returns how many leading bytes can be passed on, the event that
/// stopped the walk (end of reply or LOCAL INFILE), and how many bytes must be buffered before
/// the walk can go on.
fn scan(
    data: &[u8],
    cur: &mut Cursor,
    tracker: &mut ReplyTracker,
) -> Result<(usize, Option<Event>, usize), ProtocolError> {
    let mut pos = 0;
    loop {
        if cur.skip > 0 {
            let n = cur.skip.min(data.len() - pos);
            pos += n;
            cur.skip -= n;
            if cur.skip > 0 {
                return Ok((pos, None, 0));
            }
        }
        let rest = &data[pos..];
        let Some(h) = parse_header(rest) else {
            return Ok((pos, None, rest.len() + HEADER_LEN));
        };
        let first = rest.get(HEADER_LEN).copied();
        if h.payload_len > 0 && first.is_none() {
            return Ok((pos, None, HEADER_LEN + 1));
        }
        let whole = HEADER_LEN + h.payload_len;
        let need = tracker.need(h, first);
        if need == Need::Whole && rest.len() < whole {
            return Ok((pos, None, whole));
        }
        let avail = (rest.len() - HEADER_LEN).min(h.payload_len);
        let event = tracker.on_packet(h, &rest[HEADER_LEN..HEADER_LEN + avail])?;
        pos += HEADER_LEN + avail;
        cur.skip = h.payload_len - avail;
        match event {
            Event::More => {}
            Event::Done { .. } | Event::LocalInfile => {
                if cur.skip > 0 {
                    return Err(ProtocolError::Malformed("reply ended inside a packet"));
                }
                return Ok((pos, Some(event), 0));
            }
        }
    }
}

/// Which side of a forward failed.
#[derive(Debug, Error)]
pub enum ForwardError {
    #[error("reading: {0}")]
    Source(WireError),
    #[error("writing: {0}")]
    Sink(WireError),
}

/// Streams packets from `src` to `dst` up to and including the first logical packet (a packet
/// plus its continuations after a 16 MiB one) whose first header satisfies `last`.
pub async fn forward_packets<A: Stream, W: AsyncWrite + Unpin>(
    src: &mut PacketConn<A>,
    dst: &mut W,
    last: impl Fn(PacketHeader) -> bool,
) -> Result<(), ForwardError> {
    let mut skip = 0usize;
    let mut continued = false;
    let mut terminal = false;
    let mut done = false;
    loop {
        let data = src.rbuf.data();
        let mut pos = 0;
        loop {
            if skip > 0 {
                let n = skip.min(data.len() - pos);
                pos += n;
                skip -= n;
                if skip > 0 {
                    break;
                }
            }
            if done {
                break;
            }
            let Some(h) = parse_header(&data[pos..]) else {
                break;
            };
            if !continued {
                terminal = last(h);
            }
            continued = h.is_continued();
            let avail = (data.len() - pos - HEADER_LEN).min(h.payload_len);
            pos += HEADER_LEN + avail;
            skip = h.payload_len - avail;
            done = terminal && !continued;
        }
        if pos > 0 {
            dst.write_all(&data[..pos])
                .await
                .map_err(|e| ForwardError::Sink(e.into()))?;
            src.rbuf.consume(pos);
        }
        if done && skip == 0 {
            return Ok(());
        }
        match src.rbuf.fill(&mut src.stream).await {
            Ok(0) => return Err(ForwardError::Source(WireError::Closed)),
            Ok(_) => {}
            Err(e) => return Err(ForwardError::Source(e.into())),
        }
    }
}
