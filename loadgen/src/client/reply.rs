//! Reading a server's reply, one packet at a time, without I/O and without allocating: the reply
//! to COM_QUERY / COM_STMT_EXECUTE (OK, ERR, or result sets in the text or the binary row format,
//! with or without DEPRECATE_EOF, possibly several), of which it keeps the first row's first
//! columns as integers; and the reply to COM_STMT_PREPARE (the statement id and parameter count).
//! An ERR packet becomes [`ClientError::Server`] with its code and SQLSTATE.
//!
//! It must not do I/O nor keep anything but those integers; length-encoded fields and OK/ERR/EOF
//! decoding come from sluice's `protocol`. A reply it cannot follow is a lost connection (the
//! stream is out of step); a first row it cannot read as integers is reported once the whole reply
//! was read, so the connection stays usable.

use sluice::error::MysqlError;
use sluice::protocol::constants::{
    cap, status, EOF_HEADER, ERR_HEADER, LOCAL_INFILE_HEADER, OK_HEADER,
};
use sluice::protocol::lenenc::{lenenc_bytes, lenenc_int};
use sluice::protocol::packet::MAX_PAYLOAD;
use sluice::protocol::response::{decode_err, terminator_status};

use super::ClientError;

/// The most columns a caller can ask to read.
pub const MAX_COLUMNS_READ: usize = 8;
/// A NULL value in a text-protocol row.
const NULL_VALUE: u8 = 0xfb;
/// Longest EOF packet payload; a longer 0xFE packet is an OK (DEPRECATE_EOF).
const EOF_MAX_LEN: usize = 9;
/// UNSIGNED_FLAG of a column definition.
const UNSIGNED_FLAG: u16 = 32;
/// Length of the PREPARE_OK payload up to the parameter count.
const PREPARE_OK_LEN: usize = 9;

/// MYSQL_TYPE_* codes whose binary values are fixed-width integers, with their width.
fn integer_width(kind: u8) -> Option<usize> {
    match kind {
        1 => Some(1),      // TINY
        2 | 13 => Some(2), // SHORT, YEAR
        3 | 9 => Some(4),  // LONG, INT24
        8 => Some(8),      // LONGLONG
        _ => None,
    }
}

/// MYSQL_TYPE_* codes whose binary values are length-encoded text (decimals, strings).
fn is_text(kind: u8) -> bool {
    matches!(kind, 0 | 15 | 245..=254)
}

fn malformed(what: &str) -> ClientError {
    ClientError::Lost(format!("malformed reply: {what}"))
}

/// A server's error (from an ERR packet) as loadgen counts it.
pub fn from_mysql(err: MysqlError) -> ClientError {
    ClientError::Server {
        code: err.code,
        state: String::from_utf8_lossy(&err.sql_state).into_owned(),
        message: err.message,
    }
}

/// The error an ERR packet carries.
fn server_error(payload: &[u8]) -> ClientError {
    decode_err(payload).map_or_else(|| malformed("ERR packet"), from_mysql)
}

fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&EOF_HEADER) && payload.len() < EOF_MAX_LEN
}

/// What the reader needs to know of a column.
#[derive(Debug, Clone, Copy, Default)]
struct Column {
    kind: u8,
    unsigned: bool,
}

/// Reads the type and flags of a Column Definition 41 payload.
fn column(def: &[u8]) -> Option<Column> {
    let mut rest = def;
    for _ in 0..6 {
        // catalog, schema, table, org_table, name, org_name
        rest = lenenc_bytes(rest).ok()?.0;
    }
    let (rest, _fixed_len) = lenenc_int(rest).ok()?;
    // charset (2), column length (4), type (1), flags (2)
    let fixed = rest.get(..9)?;
    Some(Column {
        kind: fixed[6],
        unsigned: u16::from_le_bytes([fixed[7], fixed[8]]) & UNSIGNED_FLAG != 0,
    })
}

fn parse_int(index: usize, text: &[u8]) -> Result<i64, ClientError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| {
            ClientError::Unexpected(format!(
                "column {index}: {:?} is not an integer",
                String::from_utf8_lossy(text)
            ))
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting OK, ERR or a column count.
    First,
    /// Expecting this many more column definitions.
    Columns(u64),
    /// Expecting the EOF after the column definitions (no DEPRECATE_EOF).
    ColumnsEof,
    /// Expecting rows or the end of the result set.
    Rows,
    Done,
}

/// Follows the reply to one COM_QUERY or COM_STMT_EXECUTE.
pub struct ResultReader<'o> {
    caps: u32,
    binary: bool,
    state: State,
    /// Still in the first result set (the only one whose row is kept).
    first_set: bool,
    /// Columns of the current result set, and how many definitions were read.
    columns: usize,
    defs_read: usize,
    kinds: [Column; MAX_COLUMNS_READ],
    out: &'o mut [i64],
    found: bool,
    /// The previous packet was 16 MiB: this one continues it.
    continued: bool,
    problem: Option<ClientError>,
}

impl<'o> ResultReader<'o> {
    /// A reader for a reply on a connection with capability flags `caps`, whose rows are in the
    /// binary format (COM_STMT_EXECUTE) or text (COM_QUERY); the first row's first `out.len()`
    /// columns go to `out`.
    pub fn new(caps: u32, binary: bool, out: &'o mut [i64]) -> Result<Self, ClientError> {
        if out.len() > MAX_COLUMNS_READ {
            return Err(ClientError::Other(format!(
                "at most {MAX_COLUMNS_READ} columns can be read"
            )));
        }
        Ok(Self {
            caps,
            binary,
            state: State::First,
            first_set: true,
            columns: 0,
            defs_read: 0,
            kinds: [Column::default(); MAX_COLUMNS_READ],
            out,
            found: false,
            continued: false,
            problem: None,
        })
    }

    /// Takes the next packet; `Ok(Some(found))` once the reply is complete (`found`: the first
    /// row was read into `out`).
    pub fn feed(
        &mut self,
        payload_len: usize,
        payload: &[u8],
    ) -> Result<Option<bool>, ClientError> {
        let continuation = self.continued;
        self.continued = payload_len == MAX_PAYLOAD;
        if continuation {
            return Ok(None);
        }
        let first = *payload.first().ok_or_else(|| malformed("empty packet"))?;
        // An OK or ERR cannot take 16 MiB; one that claims to would leave its continuation
        // unread after the reply "ended", and the connection out of step.
        let whole = payload_len < MAX_PAYLOAD;
        match self.state {
            State::First => match first {
                ERR_HEADER | OK_HEADER if !whole => return Err(malformed("a 16 MiB OK or ERR")),
                ERR_HEADER => return Err(server_error(payload)),
                OK_HEADER => self.end_of_result(payload)?,
                LOCAL_INFILE_HEADER => {
                    return Err(ClientError::Lost(
                        "the server asked for a LOCAL INFILE".into(),
                    ))
                }
                _ => {
                    let (_, n) = lenenc_int(payload).map_err(|_| malformed("column count"))?;
                    if n == 0 {
                        return Err(malformed("zero columns"));
                    }
                    self.columns = usize::try_from(n).map_err(|_| malformed("column count"))?;
                    self.defs_read = 0;
                    self.state = State::Columns(n);
                }
            },
            State::Columns(left) => {
                if self.first_set && self.defs_read < self.out.len() {
                    self.kinds[self.defs_read] =
                        column(payload).ok_or_else(|| malformed("column definition"))?;
                }
                self.defs_read += 1;
                self.state = match left - 1 {
                    0 if self.caps & cap::DEPRECATE_EOF != 0 => State::Rows,
                    0 => State::ColumnsEof,
                    n => State::Columns(n),
                };
            }
            State::ColumnsEof => {
                if !is_eof(payload) {
                    return Err(malformed("no EOF after the column definitions"));
                }
                self.state = State::Rows;
            }
            State::Rows => match first {
                // No row starts 0xFF (not a length-encoded value, nor a binary row's 0x00).
                ERR_HEADER if !whole => return Err(malformed("a 16 MiB ERR")),
                ERR_HEADER => return Err(server_error(payload)),
                // A row starting 0xFE would need a value of 16 MiB or more: this ends the rows.
                EOF_HEADER if whole => self.end_of_result(payload)?,
                _ if self.first_set && !self.found => {
                    self.found = true;
                    if let Err(err) = self.first_row(payload) {
                        self.problem.get_or_insert(err);
                    }
                }
                _ => {}
            },
            State::Done => return Err(malformed("packet after the end of the reply")),
        }
        if self.state != State::Done {
            return Ok(None);
        }
        match self.problem.take() {
            Some(err) => Err(err),
            None => Ok(Some(self.found)),
        }
    }

    /// An OK, EOF or OK-as-EOF ends a result: the reply, unless more results follow.
    fn end_of_result(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let flags =
            terminator_status(payload, self.caps).ok_or_else(|| malformed("end of result"))?;
        self.state = if flags & status::MORE_RESULTS_EXISTS != 0 {
            if self.columns > 0 {
                self.first_set = false;
            }
            State::First
        } else {
            State::Done
        };
        Ok(())
    }

    fn first_row(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        if self.out.len() > self.columns {
            return Err(ClientError::Unexpected(format!(
                "the row has {} columns, wanted {}",
                self.columns,
                self.out.len()
            )));
        }
        if self.binary {
            self.binary_row(payload)
        } else {
            text_row(payload, self.out)
        }
    }

    fn binary_row(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let truncated = || ClientError::Unexpected("truncated binary row".into());
        // 0x00, then the NULL bitmap (offset by 2 bits), then the non-NULL values in order.
        let bitmap_len = (self.columns + 7 + 2) / 8;
        let bitmap = payload.get(1..1 + bitmap_len).ok_or_else(truncated)?;
        let mut rest = &payload[1 + bitmap_len..];
        for index in 0..self.out.len() {
            let bit = index + 2;
            if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
                return Err(ClientError::Unexpected(format!(
                    "column {index}: NULL is not an integer"
                )));
            }
            let Column { kind, unsigned } = self.kinds[index];
            self.out[index] = if let Some(width) = integer_width(kind) {
                let bytes = rest.get(..width).ok_or_else(truncated)?;
                rest = &rest[width..];
                let mut raw = [0u8; 8];
                raw[..width].copy_from_slice(bytes);
                let value = u64::from_le_bytes(raw);
                if unsigned {
                    i64::try_from(value).map_err(|_| {
                        ClientError::Unexpected(format!("column {index}: {value} is out of range"))
                    })?
                } else {
                    // Sign-extend from `width` bytes.
                    let shift = 64 - 8 * width as u32;
                    ((value << shift) as i64) >> shift
                }
            } else if is_text(kind) {
                let (r, text) = lenenc_bytes(rest).map_err(|_| truncated())?;
                rest = r;
                parse_int(index, text)?
            } else {
                return Err(ClientError::Unexpected(format!(
                    "column {index}: type {kind} is not an integer"
                )));
            };
        }
        Ok(())
    }
}

fn text_row(payload: &[u8], out: &mut [i64]) -> Result<(), ClientError> {
    let mut rest = payload;
    for (index, slot) in out.iter_mut().enumerate() {
        if rest.first() == Some(&NULL_VALUE) {
            return Err(ClientError::Unexpected(format!(
                "column {index}: NULL is not an integer"
            )));
        }
        let (r, text) =
            lenenc_bytes(rest).map_err(|_| ClientError::Unexpected("truncated text row".into()))?;
        *slot = parse_int(index, text)?;
        rest = r;
    }
    Ok(())
}

/// What COM_STMT_PREPARE gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    pub id: u32,
    pub params: u16,
}

/// Follows the reply to one COM_STMT_PREPARE.
pub struct PrepareReader {
    deprecate_eof: bool,
    prepared: Option<Prepared>,
    /// Definition (and EOF) packets still to come.
    left: u32,
}

impl PrepareReader {
    pub fn new(caps: u32) -> Self {
        Self {
            deprecate_eof: caps & cap::DEPRECATE_EOF != 0,
            prepared: None,
            left: 0,
        }
    }

    /// Takes the next packet (`payload_len` long on the wire); `Ok(Some(..))` once the reply is
    /// complete. No packet of this reply comes near 16 MiB: one that does (and so would be
    /// followed by a continuation this count does not expect) is malformed.
    pub fn feed(
        &mut self,
        payload_len: usize,
        payload: &[u8],
    ) -> Result<Option<Prepared>, ClientError> {
        if payload_len >= MAX_PAYLOAD {
            return Err(malformed("a 16 MiB packet in a PREPARE reply"));
        }
        let Some(prepared) = self.prepared else {
            match payload.first() {
                Some(&ERR_HEADER) => return Err(server_error(payload)),
                Some(&OK_HEADER) if payload.len() >= PREPARE_OK_LEN => {}
                _ => return Err(malformed("PREPARE_OK")),
            }
            let prepared = Prepared {
                id: u32::from_le_bytes([payload[1], payload[2], payload[3], payload[4]]),
                params: u16::from_le_bytes([payload[7], payload[8]]),
            };
            let columns = u16::from_le_bytes([payload[5], payload[6]]);
            let eof = |n: u16| u32::from(n > 0 && !self.deprecate_eof);
            self.left = u32::from(prepared.params)
                + eof(prepared.params)
                + u32::from(columns)
                + eof(columns);
            self.prepared = Some(prepared);
            return Ok((self.left == 0).then_some(prepared));
        };
        self.left = self
            .left
            .checked_sub(1)
            .ok_or_else(|| malformed("packet after the end of the reply"))?;
        Ok((self.left == 0).then_some(prepared))
    }
}

#[cfg(test)]
mod tests;
