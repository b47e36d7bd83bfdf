//! `ReplyTracker`: follows a server's reply to one command, packet by packet, to know where it
//! ends, without decoding rows. It looks at each packet's header and, where the protocol says the
//! packet may end a result (OK, EOF, ERR, column count, prepare OK), at the whole (small) packet.
//! Row and column-definition packets are only counted, so they can be relayed as they arrive.
//! It owns no buffer and does no I/O; the relay feeds it.

use super::constants::{cap, status, EOF_HEADER, ERR_HEADER, LOCAL_INFILE_HEADER, OK_HEADER};
use super::lenenc::lenenc_int;
use super::packet::{PacketHeader, MAX_PAYLOAD};
use super::response::{terminator, OkPacket, Terminator};
use super::session_state::{
    is_ok_form, needs_untracking, read_state, system_variables, ReportedVariable,
};
use super::ProtocolError;

/// The shape of the reply a command gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// COM_QUERY, COM_STMT_EXECUTE: OK/ERR, LOCAL INFILE request, or result sets (possibly several).
    ResultSets,
    /// COM_STMT_PREPARE: ERR or PREPARE_OK with parameter and column definitions.
    Prepare,
    /// COM_FIELD_LIST: column definitions up to an EOF, or ERR.
    FieldList,
    /// COM_STMT_FETCH: rows up to an EOF/OK, or ERR.
    Rows,
    /// One packet (OK, ERR, EOF, or COM_STATISTICS' text).
    Single,
    /// No reply at all (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_QUIT).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    First,
    ColumnDefs { left: u64 },
    ColumnsEof,
    Rows,
    PrepareParams { left: u64, columns: u64 },
    PrepareParamsEof { columns: u64 },
    PrepareColumns { left: u64 },
    PrepareColumnsEof,
    FieldList,
    Single,
    Done,
}

/// What the relay must buffer of a packet before handing it to [`ReplyTracker::on_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The header and the first payload byte are enough.
    FirstByte,
    /// The whole payload (the packet is small: it may end the reply).
    Whole,
}

/// What a packet meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// More packets of this reply follow.
    More,
    /// The reply is complete. `status` is the server status of the final OK/EOF (0 for ERR).
    Done { status: u16, error: bool },
    /// The server asked for a LOCAL INFILE: the client's file packets must be relayed to the
    /// server (up to an empty packet), after which the reply goes on.
    LocalInfile,
}

/// A statement prepared on a server: what PREPARE_OK said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepareOk {
    pub statement_id: u32,
    pub columns: u16,
    pub params: u16,
}

/// Follows one reply. Create one per command with [`ReplyTracker::new`].
#[derive(Debug, Clone)]
pub struct ReplyTracker {
    kind: ReplyKind,
    deprecate_eof: bool,
    caps: u32,
    state: State,
    continued: bool,
    last_seq: u8,
    prepare_ok: Option<PrepareOk>,
    /// The last OK/EOF that ended a result (status, warnings, insert id).
    last: Terminator,
    /// The client lacks CLIENT_SESSION_TRACK that the server connection has: OK packets with
    /// info or session state must be rewritten before they reach it.
    untrack: bool,
    /// The packet just fed must be rewritten (see `untrack`).
    rewrite: bool,
    /// GTID text of the last commit reported in this reply's session state.
    commit_gtid: Vec<u8>,
    /// The server flagged a session-state change in this reply.
    state_change: bool,
    /// System variables the server reported changed in this reply, in order: `(name, value)`.
    system_variables: Vec<ReportedVariable>,
}

impl ReplyTracker {
    pub fn new(kind: ReplyKind, caps: u32) -> Self {
        let state = match kind {
            ReplyKind::ResultSets | ReplyKind::Prepare => State::First,
            ReplyKind::FieldList => State::FieldList,
            ReplyKind::Rows => State::Rows,
            ReplyKind::Single => State::Single,
            ReplyKind::None => State::Done,
        };
        Self {
            kind,
            deprecate_eof: caps & cap::DEPRECATE_EOF != 0,
            caps,
            state,
            continued: false,
            last_seq: 0,
            prepare_ok: None,
            last: Terminator::default(),
            untrack: false,
            rewrite: false,
            commit_gtid: Vec::new(),
            state_change: false,
            system_variables: Vec::new(),
        }
    }

    /// Marks that the reply goes to a client without CLIENT_SESSION_TRACK while the server
    /// connection has it: OK packets carrying info or session state are reported by
    /// [`ReplyTracker::take_rewrite`] so the relay rewrites them.
    pub fn untracking(mut self, client_caps: u32) -> Self {
        self.untrack = self.caps & cap::SESSION_TRACK != 0 && client_caps & cap::SESSION_TRACK == 0;
        self
    }

    /// True (once) if the packet just fed is an OK the client must get in its untracked form.
    pub fn take_rewrite(&mut self) -> bool {
        std::mem::take(&mut self.rewrite)
    }

    /// The GTID text of the last commit the server reported in this reply, if any.
    pub fn commit_gtid(&self) -> Option<&[u8]> {
        (!self.commit_gtid.is_empty()).then_some(&self.commit_gtid[..])
    }

    /// The system variables the server reported changed in this reply (`(name, value)`, in
    /// order), taken out of the tracker.
    pub fn take_system_variables(&mut self) -> Vec<ReportedVariable> {
        std::mem::take(&mut self.system_variables)
    }

    /// Whether the server flagged a change of session state in this reply.
    pub fn state_changed(&self) -> bool {
        self.state_change
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Sequence id of the last packet seen; an ERR sluice appends must use the next one.
    pub fn last_seq(&self) -> u8 {
        self.last_seq
    }

    /// The capability flags of the server connection the reply comes from.
    pub fn capabilities(&self) -> u32 {
        self.caps
    }

    /// Status flags of the last OK/EOF seen.
    pub fn last_status(&self) -> u16 {
        self.last.status
    }

    /// The warning count of the OK/EOF that ended the reply (0 after an ERR).
    pub fn warnings(&self) -> u16 {
        self.last.warnings
    }

    /// The last-insert-id field of the OK that ended the reply (0 for a result set or an ERR).
    pub fn insert_id(&self) -> u64 {
        self.last.insert_id
    }

    /// What PREPARE_OK said, once seen.
    pub fn prepare_ok(&self) -> Option<PrepareOk> {
        self.prepare_ok
    }

    /// How much of the packet with this header and first payload byte must be buffered.
    pub fn need(&self, header: PacketHeader, first: Option<u8>) -> Need {
        if self.continued || header.payload_len >= MAX_PAYLOAD {
            return Need::FirstByte;
        }
        match self.state {
            State::First
            | State::ColumnsEof
            | State::PrepareParamsEof { .. }
            | State::PrepareColumnsEof => Need::Whole,
            // Under DEPRECATE_EOF the last definition after PREPARE_OK ends the reply, and the
            // relay can only report the end on a packet boundary.
            State::PrepareParams {
                left: 1,
                columns: 0,
            }
            | State::PrepareColumns { left: 1 }
                if self.deprecate_eof =>
            {
                Need::Whole
            }
            State::Rows | State::FieldList => match first {
                Some(EOF_HEADER) | Some(ERR_HEADER) => Need::Whole,
                _ => Need::FirstByte,
            },
            // A single-packet reply (OK, ERR, EOF, COM_STATISTICS text) ends the reply: read whole.
            State::Single => Need::Whole,
            _ => Need::FirstByte,
        }
    }

    /// Feeds one packet. `payload` holds at least what [`ReplyTracker::need`] asked for (for
    /// `Need::FirstByte`, possibly only the first byte).
    pub fn on_packet(
        &mut self,
        header: PacketHeader,
        payload: &[u8],
    ) -> Result<Event, ProtocolError> {
        self.last_seq = header.seq;
        if self.continued {
            self.continued = header.is_continued();
            return Ok(Event::More);
        }
        self.continued = header.is_continued();
        let first = payload.first().copied();
        if self.continued && self.must_read(header, first) {
            // `need` never asks to buffer 16 MiB, so only a prefix is here; judging the reply by
            // it would depend on how the bytes arrived. No such packet is that large.
            return Err(ProtocolError::Malformed(
                "16 MiB packet where the reply may end",
            ));
        }
        let event = match self.state {
            State::Done => return Err(ProtocolError::Malformed("packet after the end of a reply")),
            State::Single => self.finish(payload, first == Some(ERR_HEADER)),
            State::First => self.on_first(payload)?,
            State::ColumnDefs { left } => {
                self.state = if left > 1 {
                    State::ColumnDefs { left: left - 1 }
                } else if self.deprecate_eof {
                    State::Rows
                } else {
                    State::ColumnsEof
                };
                Event::More
            }
            State::ColumnsEof => {
                let st = self.expect_terminator(payload)?;
                if st & status::CURSOR_EXISTS != 0 {
                    self.end_of_result(st)
                } else {
                    self.state = State::Rows;
                    Event::More
                }
            }
            State::Rows | State::FieldList => {
                if self.is_row_terminator(header, first) {
                    if first == Some(ERR_HEADER) {
                        self.finish(payload, true)
                    } else {
                        let st = self.expect_terminator(payload)?;
                        if self.state == State::FieldList {
                            self.finish(payload, false)
                        } else {
                            self.end_of_result(st)
                        }
                    }
                } else {
                    Event::More
                }
            }
            State::PrepareParams { left, columns } => {
                self.state = if left > 1 {
                    State::PrepareParams {
                        left: left - 1,
                        columns,
                    }
                } else if self.deprecate_eof {
                    self.after_params(columns)
                } else {
                    State::PrepareParamsEof { columns }
                };
                self.done_if_finished()
            }
            State::PrepareParamsEof { columns } => {
                self.expect_terminator(payload)?;
                self.state = self.after_params(columns);
                self.done_if_finished()
            }
            State::PrepareColumns { left } => {
                self.state = if left > 1 {
                    State::PrepareColumns { left: left - 1 }
                } else if self.deprecate_eof {
                    State::Done
                } else {
                    State::PrepareColumnsEof
                };
                self.done_if_finished()
            }
            State::PrepareColumnsEof => {
                self.expect_terminator(payload)?;
                self.state = State::Done;
                self.done_if_finished()
            }
        };
        Ok(event)
    }

    /// The relay calls this after the client's LOCAL INFILE data was passed on: the server's
    /// OK or ERR follows.
    pub fn after_local_infile(&mut self) {
        self.state = State::First;
    }

    fn on_first(&mut self, payload: &[u8]) -> Result<Event, ProtocolError> {
        match payload.first() {
            None => Err(ProtocolError::Malformed("empty reply packet")),
            Some(&ERR_HEADER) => Ok(self.finish(payload, true)),
            Some(&OK_HEADER) if self.kind == ReplyKind::Prepare => {
                if payload.len() < 12 {
                    return Err(ProtocolError::Malformed("short PREPARE_OK"));
                }
                let ok = PrepareOk {
                    statement_id: u32::from_le_bytes([
                        payload[1], payload[2], payload[3], payload[4],
                    ]),
                    columns: u16::from_le_bytes([payload[5], payload[6]]),
                    params: u16::from_le_bytes([payload[7], payload[8]]),
                };
                self.prepare_ok = Some(ok);
                let columns = u64::from(ok.columns);
                self.state = if ok.params > 0 {
                    State::PrepareParams {
                        left: u64::from(ok.params),
                        columns,
                    }
                } else {
                    self.after_params(columns)
                };
                Ok(self.done_if_finished())
            }
            Some(&OK_HEADER) => {
                let st = self.expect_terminator(payload)?;
                Ok(self.end_of_result(st))
            }
            Some(&LOCAL_INFILE_HEADER) if self.kind == ReplyKind::ResultSets => {
                Ok(Event::LocalInfile)
            }
            Some(_) if self.kind == ReplyKind::ResultSets => {
                let (_, count) =
                    lenenc_int(payload).map_err(|_| ProtocolError::Malformed("column count"))?;
                if count == 0 {
                    return Err(ProtocolError::Malformed("zero column count"));
                }
                self.state = State::ColumnDefs { left: count };
                Ok(Event::More)
            }
            Some(_) => Err(ProtocolError::Malformed(
                "unexpected first packet of a reply",
            )),
        }
    }

    fn after_params(&self, columns: u64) -> State {
        if columns > 0 {
            State::PrepareColumns { left: columns }
        } else {
            State::Done
        }
    }

    fn done_if_finished(&mut self) -> Event {
        if self.state == State::Done {
            Event::Done {
                status: self.last.status,
                error: false,
            }
        } else {
            Event::More
        }
    }

    /// True if the tracker must read all of this packet: it may end the reply or says how the
    /// reply goes on (OK, ERR, EOF, column count, PREPARE_OK, the last definition after it).
    fn must_read(&self, header: PacketHeader, first: Option<u8>) -> bool {
        match self.state {
            State::First
            | State::ColumnsEof
            | State::PrepareParamsEof { .. }
            | State::PrepareColumnsEof => true,
            State::PrepareParams {
                left: 1,
                columns: 0,
            }
            | State::PrepareColumns { left: 1 } => self.deprecate_eof,
            State::Rows | State::FieldList => self.is_row_terminator(header, first),
            _ => false,
        }
    }

    fn is_row_terminator(&self, header: PacketHeader, first: Option<u8>) -> bool {
        match first {
            Some(ERR_HEADER) => true,
            Some(EOF_HEADER) if self.deprecate_eof => header.payload_len < MAX_PAYLOAD,
            Some(EOF_HEADER) => header.payload_len < 9,
            _ => false,
        }
    }

    fn expect_terminator(&mut self, payload: &[u8]) -> Result<u16, ProtocolError> {
        let t = terminator(payload, self.caps)
            .ok_or(ProtocolError::Malformed("expected an OK or EOF packet"))?;
        self.last = t;
        self.note_ok(payload, t.status);
        Ok(t.status)
    }

    /// Reads what an OK-form packet says beyond its status: the session state (commit GTID,
    /// state change) and whether the client must get it rewritten.
    fn note_ok(&mut self, payload: &[u8], st: u16) {
        if self.caps & cap::SESSION_TRACK == 0
            || (!self.untrack && st & status::SESSION_STATE_CHANGED == 0)
            || !is_ok_form(payload)
        {
            return;
        }
        let Some(ok) = OkPacket::decode(payload, self.caps) else {
            return;
        };
        if self.untrack && needs_untracking(payload, &ok) {
            self.rewrite = true;
        }
        if st & status::SESSION_STATE_CHANGED != 0 {
            let report = read_state(ok.session_state);
            if let Some(g) = report.commit_gtid {
                self.commit_gtid.clear();
                self.commit_gtid.extend_from_slice(g);
            }
            self.state_change |= report.state_change;
            self.system_variables.extend(
                system_variables(ok.session_state).map(|(n, v)| (Box::from(n), Box::from(v))),
            );
        }
    }

    /// A result set (or OK) ended with status `st`: another result follows if the server says so.
    fn end_of_result(&mut self, st: u16) -> Event {
        if st & status::MORE_RESULTS_EXISTS != 0 && self.kind == ReplyKind::ResultSets {
            self.state = State::First;
            Event::More
        } else {
            self.state = State::Done;
            Event::Done {
                status: st,
                error: false,
            }
        }
    }

    fn finish(&mut self, payload: &[u8], error: bool) -> Event {
        self.state = State::Done;
        if !error {
            if let Some(t) = terminator(payload, self.caps) {
                self.last = t;
                self.note_ok(payload, t.status);
            }
        } else {
            self.last = Terminator::default();
        }
        Event::Done {
            status: self.last.status,
            error,
        }
    }
}

mod scan;

pub use scan::{scan, Scan, ScanCursor};

#[cfg(test)]
mod tests;
