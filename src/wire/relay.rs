//! Relays between two packet connections. `relay_reply` streams a server's reply to the client,
//! asking `ReplyTracker` where it ends and buffering only the small packets that may end it.
//! `forward_packets` streams a run of packets (a large command, LOCAL INFILE data) from one side
//! to the other. Memory stays bounded: row packets pass through in buffer-sized pieces.

use futures_lite::{AsyncWrite, AsyncWriteExt};
use thiserror::Error;

use super::conn::{PacketConn, WireError};
use crate::error::MysqlError;
use crate::net::Stream;
use crate::protocol::packet::{parse_header, write_small_packet, PacketHeader, HEADER_LEN};
use crate::protocol::reply::{scan, Event, ReplyTracker, Scan, ScanCursor};
use crate::protocol::response::{decode_err, OkPacket};
use crate::protocol::session_state::untracked_ok;

/// How a reply relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayOutcome {
    /// Status flags of the final OK/EOF (0 after an ERR).
    pub status: u16,
    pub error: bool,
    /// The server flagged a change of session state (`session_track_state_change`).
    pub state_change: bool,
    /// The statement's warning count (0 after an ERR).
    pub warnings: u16,
    /// The last-insert-id field of the final OK (0 for a result set or an ERR).
    pub insert_id: u64,
}

impl RelayOutcome {
    /// How the reply `tracker` followed ended.
    fn of(status: u16, error: bool, tracker: &ReplyTracker) -> Self {
        Self {
            status,
            error,
            state_change: tracker.state_changed(),
            warnings: tracker.warnings(),
            insert_id: tracker.insert_id(),
        }
    }
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

/// Streams the backend's reply to the client until `tracker` says it is complete. LOCAL INFILE
/// requests are served by streaming the client's file packets to the backend.
pub async fn relay_reply<B: Stream, C: Stream>(
    backend: &mut PacketConn<B>,
    client: &mut PacketConn<C>,
    tracker: &mut ReplyTracker,
) -> Result<RelayOutcome, RelayError> {
    let mut cur = ScanCursor::default();
    let mut sent = false;
    let backend_err =
        |source, sent, cur: &ScanCursor, tracker: &ReplyTracker| RelayError::Backend {
            source,
            sent,
            at_boundary: cur.at_boundary(),
            next_seq: tracker.last_seq().wrapping_add(1),
        };
    let mut rewritten = Vec::new();
    loop {
        let Scan {
            pass,
            event,
            want,
            rewrite,
        } = scan(backend.rbuf.data(), &mut cur, tracker)
            .map_err(|e| backend_err(e.into(), sent, &cur, tracker))?;
        if pass > 0 {
            client
                .write_all(&backend.rbuf.data()[..pass])
                .await
                .map_err(RelayError::Client)?;
            backend.rbuf.consume(pass);
            sent = true;
        }
        if rewrite > 0 {
            rewritten.clear();
            untracked_packet(&backend.rbuf.data()[..rewrite], tracker, &mut rewritten);
            client
                .write_all(&rewritten)
                .await
                .map_err(RelayError::Client)?;
            backend.rbuf.consume(rewrite);
            sent = true;
        }
        match event {
            Some(Event::Done { status, error }) => {
                if backend.rbuf.is_empty() {
                    backend.rbuf.shrink();
                }
                return Ok(RelayOutcome::of(status, error, tracker));
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
            // The walk stopped after a rewritten packet: walk on before reading.
            Some(Event::More) => continue,
            None => {}
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

/// Reads a reply to a command sluice sent on its own account (a session-state sync, a lazy
/// prepare) and discards it, returning how it ended and, when the reply was a lone ERR packet,
/// the server's error.
pub async fn drain_reply<B: Stream>(
    backend: &mut PacketConn<B>,
    tracker: &mut ReplyTracker,
) -> Result<(RelayOutcome, Option<MysqlError>), WireError> {
    let mut cur = ScanCursor::default();
    loop {
        let Scan {
            pass,
            event,
            want,
            rewrite,
        } = scan(backend.rbuf.data(), &mut cur, tracker)?;
        let err = match event {
            Some(Event::Done { error: true, .. }) => lone_err(&backend.rbuf.data()[..pass]),
            _ => None,
        };
        backend.rbuf.consume(pass + rewrite);
        match event {
            Some(Event::Done { status, error }) => {
                return Ok((RelayOutcome::of(status, error, tracker), err));
            }
            Some(Event::LocalInfile) => {
                return Err(crate::protocol::ProtocolError::Malformed(
                    "LOCAL INFILE request during a replay",
                )
                .into())
            }
            Some(Event::More) => continue,
            None => {}
        }
        if want > backend.rbuf.len() {
            backend.rbuf.reserve_total(want);
        }
        if backend.rbuf.fill(&mut backend.stream).await? == 0 {
            return Err(WireError::Closed);
        }
    }
}

/// Appends to `out` the packet `bytes` (one whole OK-form packet written for a session-tracking
/// connection) as the client, which lacks CLIENT_SESSION_TRACK, must get it.
fn untracked_packet(bytes: &[u8], tracker: &ReplyTracker, out: &mut Vec<u8>) {
    let ok = parse_header(bytes).and_then(|h| {
        let payload = &bytes[HEADER_LEN..];
        OkPacket::decode(payload, tracker.capabilities()).map(|ok| (h, payload[0], ok))
    });
    match ok {
        Some((h, header, ok)) => {
            write_small_packet(out, h.seq, |p| untracked_ok(p, header, &ok));
        }
        // The tracker only asks for packets it decoded as OKs.
        None => out.extend_from_slice(bytes),
    }
}

/// The server's error when `bytes` are exactly one ERR packet.
fn lone_err(bytes: &[u8]) -> Option<MysqlError> {
    let h = parse_header(bytes)?;
    if HEADER_LEN + h.payload_len != bytes.len() {
        return None;
    }
    decode_err(&bytes[HEADER_LEN..])
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
