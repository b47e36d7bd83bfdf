//! Session-state information, the block a server appends to an OK packet when the connection
//! has CLIENT_SESSION_TRACK and the status has SESSION_STATE_CHANGED: walking its entries,
//! finding the commit GTID in it (MySQL `SESSION_TRACK_GTIDS` with `session_track_gtids =
//! OWN_GTID`; MariaDB's `last_gtid` system variable), and turning an OK packet written for a
//! session-tracking connection into the form a client without CLIENT_SESSION_TRACK expects
//! (both servers write the info length-prefixed either way, so only the session state and its
//! status flag go).
//!
//! Pure functions over borrowed bytes; they must not decide what a GTID means (that is `gtid`)
//! or what a state change implies for a session (that is `session`).

use nom::number::complete::le_u8;

use super::constants::{status, EOF_HEADER, OK_HEADER};
use super::lenenc::{lenenc_bytes, put_lenenc_int};
use super::response::OkPacket;

/// Entry types of the session-state block.
pub mod track {
    pub const SYSTEM_VARIABLES: u8 = 0;
    pub const SCHEMA: u8 = 1;
    pub const STATE_CHANGE: u8 = 2;
    pub const GTIDS: u8 = 3;
}

/// MariaDB's session variable that holds the GTID of the session's last commit.
const LAST_GTID: &[u8] = b"last_gtid";

/// Iterates over the entries of a session-state-change block: `(type, data)`.
pub fn session_state_entries(mut block: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (rest, kind) = le_u8::<_, nom::error::Error<&[u8]>>(block).ok()?;
        let (rest, data) = lenenc_bytes(rest).ok()?;
        block = rest;
        Some((kind, data))
    })
}

/// What a session-state block says that sluice acts on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StateReport<'a> {
    /// The GTID text of the commit(s) the statement made, if reported.
    pub commit_gtid: Option<&'a [u8]>,
    /// The server flagged a change of session state (`session_track_state_change`).
    pub state_change: bool,
}

/// A system variable a server reported changed, owned: `(name, value)`.
pub type ReportedVariable = (Box<[u8]>, Box<[u8]>);

/// The system variables a session-state block reports changed, as `(name, value)`, without
/// MariaDB's `last_gtid` (a commit's GTID, not a setting).
pub fn system_variables(block: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    session_state_entries(block).filter_map(|(kind, data)| {
        if kind != track::SYSTEM_VARIABLES {
            return None;
        }
        let (rest, name) = text(data)?;
        let (_, value) = text(rest)?;
        (!name.eq_ignore_ascii_case(LAST_GTID)).then_some((name, value))
    })
}

/// Reads a session-state block.
pub fn read_state(block: &[u8]) -> StateReport<'_> {
    let mut report = StateReport::default();
    for (kind, data) in session_state_entries(block) {
        match kind {
            track::STATE_CHANGE => report.state_change = true,
            // One byte of encoding specification (0: text), then the GTID set as lenenc text.
            track::GTIDS => {
                if let Some((_, gtids)) = data.split_first().and_then(|(_, d)| text(d)) {
                    if !gtids.is_empty() {
                        report.commit_gtid = Some(gtids);
                    }
                }
            }
            track::SYSTEM_VARIABLES => {
                let Some((rest, name)) = text(data) else {
                    continue;
                };
                if name.eq_ignore_ascii_case(LAST_GTID) {
                    if let Some((_, value)) = text(rest) {
                        if !value.is_empty() {
                            report.commit_gtid = Some(value);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    report
}

fn text(input: &[u8]) -> Option<(&[u8], &[u8])> {
    lenenc_bytes(input).ok()
}

/// True when `payload`, an OK-form packet (OK, or the OK that ends rows under DEPRECATE_EOF)
/// written for a session-tracking connection, differs from what a client without
/// CLIENT_SESSION_TRACK must get: it carries session state.
pub fn needs_untracking(payload: &[u8], ok: &OkPacket<'_>) -> bool {
    is_ok_form(payload) && ok.status & status::SESSION_STATE_CHANGED != 0
}

/// Whether `payload` is an OK-form packet (not a 4.1 EOF, which is shorter than 9 bytes).
pub fn is_ok_form(payload: &[u8]) -> bool {
    match payload.first() {
        Some(&OK_HEADER) => true,
        Some(&EOF_HEADER) => payload.len() >= 9,
        _ => false,
    }
}

/// Appends to `out` the payload of `ok` as a server writes it for a client without
/// CLIENT_SESSION_TRACK: no session state and the SESSION_STATE_CHANGED flag cleared. MySQL and
/// MariaDB both write a non-empty info length-prefixed even then (and clients read it so),
/// whatever the protocol documentation says. `header` is the original first byte.
pub fn untracked_ok(out: &mut Vec<u8>, header: u8, ok: &OkPacket<'_>) {
    out.push(header);
    put_lenenc_int(out, ok.affected_rows);
    put_lenenc_int(out, ok.last_insert_id);
    out.extend_from_slice(&(ok.status & !status::SESSION_STATE_CHANGED).to_le_bytes());
    out.extend_from_slice(&ok.warnings.to_le_bytes());
    if !ok.info.is_empty() {
        put_lenenc_int(out, ok.info.len() as u64);
        out.extend_from_slice(ok.info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::cap;

    /// An OK payload with SESSION_TRACK: info, then the given entries.
    fn tracked_ok(info: &[u8], entries: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut p = vec![OK_HEADER, 1, 5];
        let st = if entries.is_empty() {
            status::AUTOCOMMIT
        } else {
            status::AUTOCOMMIT | status::SESSION_STATE_CHANGED
        };
        p.extend_from_slice(&st.to_le_bytes());
        p.extend_from_slice(&[1, 0]);
        put_lenenc_int(&mut p, info.len() as u64);
        p.extend_from_slice(info);
        if !entries.is_empty() {
            let mut block = Vec::new();
            for (kind, data) in entries {
                block.push(*kind);
                put_lenenc_int(&mut block, data.len() as u64);
                block.extend_from_slice(data);
            }
            put_lenenc_int(&mut p, block.len() as u64);
            p.extend_from_slice(&block);
        }
        p
    }

    fn lenenc(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        put_lenenc_int(&mut v, s.len() as u64);
        v.extend_from_slice(s);
        v
    }

    #[test]
    fn mysql_own_gtid_is_found() {
        let gtid = b"0818b27a-e5da-11f1-a9c5-02fc00000001:64062";
        let mut data = vec![0];
        data.extend(lenenc(gtid));
        let p = tracked_ok(b"", &[(track::GTIDS, data), (5, lenenc(b"________"))]);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        let r = read_state(ok.session_state);
        assert_eq!(r.commit_gtid, Some(&gtid[..]));
        assert!(!r.state_change);
    }

    #[test]
    fn mariadb_last_gtid_is_found_and_state_change_seen() {
        let mut var = lenenc(b"last_gtid");
        var.extend(lenenc(b"0-3307-73252"));
        let p = tracked_ok(b"", &[(track::SYSTEM_VARIABLES, var), (2, lenenc(b"1"))]);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        let r = read_state(ok.session_state);
        assert_eq!(r.commit_gtid, Some(&b"0-3307-73252"[..]));
        assert!(r.state_change);
    }

    #[test]
    fn system_variables_are_listed_without_last_gtid() {
        let var = |n: &[u8], v: &[u8]| {
            let mut d = lenenc(n);
            d.extend(lenenc(v));
            (track::SYSTEM_VARIABLES, d)
        };
        let p = tracked_ok(
            b"",
            &[
                var(b"time_zone", b"+02:00"),
                var(b"last_gtid", b"0-1-5"),
                (track::STATE_CHANGE, lenenc(b"1")),
                var(b"sql_mode", b""),
            ],
        );
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        let vars: Vec<_> = system_variables(ok.session_state).collect();
        assert_eq!(
            vars,
            vec![
                (&b"time_zone"[..], &b"+02:00"[..]),
                (&b"sql_mode"[..], &b""[..])
            ]
        );
    }

    #[test]
    fn other_variables_are_not_gtids() {
        let mut var = lenenc(b"character_set_client");
        var.extend(lenenc(b"utf8mb4"));
        let p = tracked_ok(b"", &[(track::SYSTEM_VARIABLES, var)]);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        assert_eq!(read_state(ok.session_state), StateReport::default());
    }

    #[test]
    fn truncated_blocks_do_not_panic() {
        let mut data = vec![0];
        data.extend(lenenc(b"abc:1"));
        let p = tracked_ok(b"", &[(track::GTIDS, data)]);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        for n in 0..ok.session_state.len() {
            let _ = read_state(&ok.session_state[..n]);
        }
    }

    #[test]
    fn untracked_form_matches_what_a_plain_client_decodes() {
        let info = b"Rows matched: 1  Changed: 1  Warnings: 0";
        let p = tracked_ok(info, &[(track::STATE_CHANGE, lenenc(b"1"))]);
        let ok = OkPacket::decode(&p, cap::SUPPORTED).expect("ok");
        assert!(needs_untracking(&p, &ok));
        let mut out = Vec::new();
        untracked_ok(&mut out, p[0], &ok);
        // Decoded as a session-tracking OK (info length-prefixed), with no state left.
        let plain = OkPacket::decode(&out, cap::SUPPORTED).expect("plain");
        assert_eq!(plain.info, &info[..]);
        assert!(plain.session_state.is_empty());
        assert_eq!(
            (plain.affected_rows, plain.last_insert_id, plain.warnings),
            (1, 5, 1)
        );
        assert_eq!(plain.status, status::AUTOCOMMIT);
        let bare = tracked_ok(info, &[]);
        let ok = OkPacket::decode(&bare, cap::SUPPORTED).expect("ok");
        assert!(!needs_untracking(&bare, &ok));
    }
}
