//! Fuzzing entry points for the packet codec: one function per parser entry point, each taking
//! arbitrary bytes, running the parser, and checking what must hold when it succeeds (round trips
//! through the encoders, consistency between parsers). They are called by the cargo-fuzz targets
//! in `fuzz/` and, on stable, by `tests/fuzz_corpus.rs`, which replays the committed corpus.
//!
//! A panic here is a bug report: every function must return normally for every input. This module
//! must not change how the parsers behave, must do no I/O and must not allocate without bound.
//! `reply_stream` mirrors `wire::relay::scan` so the tracker is driven exactly as the relay
//! drives it; keep the two in step.

use super::constants::cap;
use super::handshake::{AuthSwitch, ChangeUser, Greeting, HandshakeResponse};
use super::lenenc::{
    lenenc_bytes, lenenc_int, nul_bytes, nul_or_eof_bytes, put_lenenc_bytes, put_lenenc_int,
};
use super::packet::{
    parse_header, split_packet, write_packet, write_small_packet, HEADER_LEN, MAX_PAYLOAD,
};
use super::reply::{scan, Event, ReplyKind, ReplyTracker, Scan, ScanCursor};
use super::response::{decode_err, encode_eof, encode_err, encode_ok, terminator_status, OkPacket};
use super::session_state::{needs_untracking, read_state, session_state_entries, untracked_ok};

/// Server greeting: decode, and when it decodes, encode and decode again. The encoder always
/// writes the second scramble part and the plugin name, so the round trip is exact for greetings
/// a real server sends (SECURE_CONNECTION with a scramble of 20 to 254 bytes, or neither
/// SECURE_CONNECTION nor PLUGIN_AUTH); otherwise the fixed-layout fields must still survive.
pub fn greeting(data: &[u8]) {
    let Ok(g) = Greeting::decode(data) else {
        return;
    };
    assert!(g.scramble.len() >= 8, "the first scramble part is fixed");
    let mut buf = Vec::new();
    g.encode(&mut buf);
    let again = Greeting::decode(&buf).expect("an encoded greeting decodes");
    assert_eq!(
        (
            again.server_version,
            again.connection_id,
            again.capabilities,
            again.collation,
            again.status,
            &again.scramble[..8],
        ),
        (
            g.server_version,
            g.connection_id,
            g.capabilities,
            g.collation,
            g.status,
            &g.scramble[..8],
        )
    );
    let exact = if g.capabilities & cap::SECURE_CONNECTION != 0 {
        (20..=254).contains(&g.scramble.len())
    } else {
        g.capabilities & cap::PLUGIN_AUTH == 0
    };
    if exact {
        assert_eq!(again, g);
    }
}

/// HandshakeResponse41: decode, and when it decodes, encode (the encoder always writes the auth
/// response length-encoded, so that flag is added) and decode again. Absent optional fields whose
/// capability is set come back empty (database, plugin) or as an empty attribute block.
pub fn handshake_response(data: &[u8]) {
    let Ok(r) = HandshakeResponse::decode(data) else {
        return;
    };
    let sent = HandshakeResponse {
        capabilities: r.capabilities | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA,
        ..r.clone()
    };
    let mut buf = Vec::new();
    sent.encode(&mut buf);
    let again = HandshakeResponse::decode(&buf).expect("an encoded handshake response decodes");
    let has = |flag: u32| sent.capabilities & flag != 0;
    let expected = HandshakeResponse {
        database: has(cap::CONNECT_WITH_DB).then(|| r.database.unwrap_or(b"")),
        auth_plugin: has(cap::PLUGIN_AUTH).then(|| r.auth_plugin.unwrap_or(b"")),
        attributes: has(cap::CONNECT_ATTRS).then(|| r.attributes.unwrap_or(&[0])),
        ..sent
    };
    assert_eq!(again, expected);
    if let Some(attrs) = r.attributes {
        let (rest, _) = lenenc_bytes(attrs).expect("attributes are one length-encoded block");
        assert!(rest.is_empty());
    }
}

/// AuthSwitchRequest: decode, and when it decodes, the encode/decode round trip is exact.
pub fn auth_switch(data: &[u8]) {
    let Ok(s) = AuthSwitch::decode(data) else {
        return;
    };
    let mut buf = Vec::new();
    s.encode(&mut buf);
    assert_eq!(
        AuthSwitch::decode(&buf).expect("an encoded auth switch decodes"),
        s
    );
}

/// COM_CHANGE_USER: the first four bytes are the negotiated capabilities (little-endian), the
/// rest is the payload.
pub fn change_user(data: &[u8]) {
    let Some((caps, payload)) = data.split_first_chunk::<4>() else {
        return;
    };
    let caps = u32::from_le_bytes(*caps);
    let Ok(c) = ChangeUser::decode(payload, caps) else {
        return;
    };
    let parsed = c.user.len()
        + c.auth_response.len()
        + c.database.len()
        + c.auth_plugin.map_or(0, <[u8]>::len)
        + c.attributes.map_or(0, <[u8]>::len);
    assert!(
        parsed < payload.len(),
        "fields are disjoint parts of the payload"
    );
    if let Some(attrs) = c.attributes {
        let (rest, _) = lenenc_bytes(attrs).expect("attributes are one length-encoded block");
        assert!(rest.is_empty());
    }
}

/// OK/EOF/ERR: the first byte picks the capabilities (bit 0: SESSION_TRACK), the rest is the
/// payload. Exercises `OkPacket::decode`, `terminator_status`, `decode_err`,
/// `session_state_entries`, `read_state` and `untracked_ok`, and checks they agree with each
/// other and with the encoders.
pub fn ok_packet(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let caps = if sel & 1 != 0 {
        cap::SUPPORTED
    } else {
        cap::SUPPORTED & !cap::SESSION_TRACK
    };
    let ok = OkPacket::decode(payload, caps);
    let term = terminator_status(payload, caps);
    if let Some(ok) = &ok {
        let entries = session_state_entries(ok.session_state).fold(0usize, |n, (_, d)| {
            assert!(d.len() < ok.session_state.len());
            n + 1
        });
        assert!(entries <= ok.session_state.len() / 2);
        let report = read_state(ok.session_state);
        if let Some(g) = report.commit_gtid {
            assert!(g.len() < ok.session_state.len());
        }
        if caps & cap::SESSION_TRACK != 0 && needs_untracking(payload, ok) {
            let mut plain = Vec::new();
            untracked_ok(&mut plain, payload[0], ok);
            let again = OkPacket::decode(&plain, caps).expect("an untracked OK decodes");
            assert!(again.session_state.is_empty());
            assert_eq!(
                (again.affected_rows, again.last_insert_id, again.info),
                (ok.affected_rows, ok.last_insert_id, ok.info)
            );
        }
        if payload.len() >= 7 || payload.first() == Some(&0) {
            assert_eq!(term, Some(ok.status), "a decodable OK is a terminator");
        }
        let mut buf = Vec::new();
        encode_ok(&mut buf, ok.affected_rows, ok.status, payload[0]);
        let again = OkPacket::decode(&buf, caps).expect("an encoded OK decodes");
        assert_eq!(
            (again.affected_rows, again.status),
            (ok.affected_rows, ok.status)
        );
    }
    if let Some(st) = term {
        if ok.is_none() {
            // Only the short EOF form is a terminator without being an OK.
            assert!(payload.first() == Some(&0xfe) && payload.len() < 7);
            if payload.len() >= 5 {
                let mut buf = Vec::new();
                encode_eof(&mut buf, st);
                assert_eq!(terminator_status(&buf, caps), Some(st));
            }
        }
    }
    let entries = session_state_entries(payload).count();
    assert!(entries <= payload.len() / 2);
    if let Some(err) = decode_err(payload) {
        assert!(ok.is_none() && term.is_none(), "ERR is neither OK nor EOF");
        let mut buf = Vec::new();
        encode_err(&mut buf, &err);
        assert_eq!(decode_err(&buf), Some(err));
    }
}

/// Length-encoded integers and strings, NUL-terminated strings: every parser on the input, the
/// canonical re-encoding of what they return, and a walk of consecutive length-encoded strings.
pub fn lenenc(data: &[u8]) {
    if let Ok((rest, v)) = lenenc_int(data) {
        let mut buf = Vec::new();
        put_lenenc_int(&mut buf, v);
        assert!(
            buf.len() <= data.len() - rest.len(),
            "canonical form is shortest"
        );
        let (left, again) = lenenc_int(&buf).expect("an encoded integer decodes");
        assert_eq!((left.len(), again), (0, v));
    }
    if let Ok((rest, s)) = lenenc_bytes(data) {
        assert!(s.len() + rest.len() < data.len());
        let mut buf = Vec::new();
        put_lenenc_bytes(&mut buf, s);
        let (left, again) = lenenc_bytes(&buf).expect("an encoded string decodes");
        assert_eq!((left.len(), again), (0, s));
    }
    if let Ok((rest, s)) = nul_bytes(data) {
        assert_eq!(s.len() + 1 + rest.len(), data.len());
        assert!(!s.contains(&0));
    }
    let (rest, s) = nul_or_eof_bytes(data).expect("nul_or_eof_bytes always succeeds");
    assert!(!s.contains(&0));
    assert_eq!(
        s.len() + rest.len() + usize::from(s.len() < data.len()),
        data.len()
    );
    let mut walk = data;
    while let Ok((rest, _)) = lenenc_bytes(walk) {
        assert!(rest.len() < walk.len(), "every string consumes its length");
        walk = rest;
    }
}

/// Framing: split the input into packets with `split_packet`/`parse_header`, check each header
/// and payload, and re-frame each payload with `write_packet` and `write_small_packet`: the bytes
/// must come back identical.
pub fn framing(data: &[u8]) {
    let mut rest = data;
    let mut reframed = Vec::with_capacity(data.len());
    while let Some((h, payload)) = split_packet(rest) {
        assert_eq!(parse_header(rest), Some(h));
        assert_eq!(h.encode(), rest[..HEADER_LEN]);
        assert_eq!(payload.len(), h.payload_len);
        assert_eq!(payload, &rest[HEADER_LEN..HEADER_LEN + h.payload_len]);
        let next = write_packet(&mut reframed, h.seq, payload);
        // Inputs are far below 16 MiB, so every payload fits one packet.
        assert!(payload.len() < MAX_PAYLOAD);
        assert_eq!(next, h.seq.wrapping_add(1));
        let mut small = Vec::new();
        write_small_packet(&mut small, h.seq, |b| b.extend_from_slice(payload));
        assert_eq!(small, rest[..HEADER_LEN + h.payload_len]);
        rest = &rest[HEADER_LEN + h.payload_len..];
    }
    assert_eq!(reframed, data[..data.len() - rest.len()]);
    if let Some(h) = parse_header(rest) {
        assert!(
            rest.len() < HEADER_LEN + h.payload_len,
            "a whole packet was left"
        );
    } else {
        assert!(rest.len() < HEADER_LEN);
    }
    // The whole input as one payload, framed and split again.
    let mut one = Vec::new();
    let next = write_packet(&mut one, 7, data);
    assert_eq!(next, 8);
    let (h, payload) = split_packet(&one).expect("a framed payload splits");
    assert_eq!(
        (h.seq, payload, one.len()),
        (7, data, data.len() + HEADER_LEN)
    );
}

/// What a simulated relay run ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// The tracker said the reply is complete after `passed` bytes.
    Done {
        status: u16,
        error: bool,
        passed: usize,
        last_seq: u8,
        last_status: u16,
        local_infiles: usize,
    },
    /// The tracker rejected the stream.
    Failed,
    /// The stream ended before the reply did; `passed` bytes were relayed.
    Starved { passed: usize, local_infiles: usize },
}

/// A server's reply to one command: the first byte picks the reply kind (bits 0-2, modulo 6),
/// DEPRECATE_EOF (bit 3) and SESSION_TRACK (bit 4); the second byte the size of the pieces the
/// rest arrives in (0: all at once). The rest is the byte stream from the server. The tracker is
/// driven as `wire::relay` drives it, once with all bytes buffered and once with the bytes arriving
/// piece by piece; both runs must end the same way, because TCP segmentation must not matter.
pub fn reply_stream(data: &[u8]) {
    let Some((&[sel, piece], stream)) = data.split_first_chunk::<2>() else {
        return;
    };
    let kind = match (sel & 7) % 6 {
        0 => ReplyKind::ResultSets,
        1 => ReplyKind::Prepare,
        2 => ReplyKind::FieldList,
        3 => ReplyKind::Rows,
        4 => ReplyKind::Single,
        _ => ReplyKind::None,
    };
    let mut caps = cap::SUPPORTED;
    if sel & 8 == 0 {
        caps &= !cap::DEPRECATE_EOF;
    }
    if sel & 16 == 0 {
        caps &= !cap::SESSION_TRACK;
    }
    let whole = relay(kind, caps, stream, usize::MAX);
    let piece = if piece == 0 {
        usize::MAX
    } else {
        usize::from(piece)
    };
    let pieces = relay(kind, caps, stream, piece);
    assert_eq!(whole, pieces, "the outcome must not depend on segmentation");
    if let Outcome::Done {
        status: st,
        error: true,
        ..
    } = whole
    {
        assert_eq!(st, 0, "an ERR carries no status");
    }
}

/// Feeds `stream` to a tracker `piece` bytes at a time, like `relay_reply` filling its buffer.
fn relay(kind: ReplyKind, caps: u32, stream: &[u8], piece: usize) -> Outcome {
    // As for a client without SESSION_TRACK, so OK rewrites are walked too.
    let mut tracker = ReplyTracker::new(kind, caps).untracking(0);
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut passed = 0;
    let mut cur = ScanCursor::default();
    let mut local_infiles = 0;
    loop {
        let Ok(Scan {
            pass: pos,
            event,
            want,
            rewrite,
        }) = scan(&buf, &mut cur, &mut tracker)
        else {
            return Outcome::Failed;
        };
        buf.drain(..pos + rewrite);
        passed += pos + rewrite;
        match event {
            Some(Event::Done { status, error }) => {
                assert!(tracker.is_done());
                assert!(cur.at_boundary());
                return Outcome::Done {
                    status,
                    error,
                    passed,
                    last_seq: tracker.last_seq(),
                    last_status: tracker.last_status(),
                    local_infiles,
                };
            }
            Some(Event::LocalInfile) => {
                local_infiles += 1;
                tracker.after_local_infile();
                continue;
            }
            Some(Event::More) => continue,
            None => {}
        }
        // The walk stopped because it needs more bytes than are buffered: otherwise the relay
        // would wait for the server while holding a complete reply.
        assert!(
            (buf.is_empty() && !cur.at_boundary()) || want > buf.len(),
            "scan stopped with {} bytes buffered, wanting {want}",
            buf.len()
        );
        if fed == stream.len() {
            return Outcome::Starved {
                passed,
                local_infiles,
            };
        }
        let n = piece.min(stream.len() - fed);
        buf.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
    }
}
