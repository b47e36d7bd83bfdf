//! Binary-protocol prepared statements across backend connections: the client-facing statement
//! ids of one session, what each statement is (its SQL and class, its parameter count, the
//! parameter types the client last bound), and rewriting a client's COM_STMT_* packet for the
//! statement id a given backend connection knows (adding the parameter types when that
//! connection has not been told them). No I/O; preparing on a connection is the session's job.

use std::collections::HashMap;
use std::rc::Rc;

use super::consistency::ReadNeed;
use crate::classify::{Route, RouteHint};
use crate::protocol::packet::{begin_packet, end_packet};

/// COM_STMT_EXECUTE flag: open a read-only cursor.
pub const CURSOR_TYPE_READ_ONLY: u8 = 1;

/// One statement a client prepared.
#[derive(Debug)]
pub struct ClientStmt {
    pub sql: Rc<[u8]>,
    /// Where it may run, from the classifier (classified once, at prepare).
    pub route: Route,
    /// A `/* sluice: … */` routing hint in its text.
    pub hint: Option<RouteHint>,
    /// The consistency level and `min_gtid` its hints ask of every execution.
    pub need: ReadNeed,
    /// It must follow the previous statement's connection (`LAST_INSERT_ID()`, ...).
    pub same_connection: crate::classify::SameConnection,
    /// The next statement may need the connection it ran on (a write, `SQL_CALC_FOUND_ROWS`).
    pub keep: bool,
    /// It starts or may end session pins, or changes session state: it runs where the
    /// session's state lives (the primary), like its text form would.
    pub has_effects: bool,
    pub params: u16,
    /// The parameter types (2 bytes each) of the last execute that sent them.
    pub types: Option<Vec<u8>>,
    /// Long data was sent for the next execute (it lives on the held connection).
    pub long_data: bool,
    /// A cursor is open on the held connection.
    pub cursor: bool,
}

/// The statements of one session, by client-facing id.
#[derive(Debug, Default)]
pub struct Statements {
    by_id: HashMap<u32, ClientStmt>,
    next_id: u32,
}

impl Statements {
    /// Registers a statement and returns its client-facing id.
    pub fn add(&mut self, stmt: ClientStmt) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        while self.by_id.contains_key(&self.next_id) {
            self.next_id = self.next_id.wrapping_add(1).max(1);
        }
        self.by_id.insert(self.next_id, stmt);
        self.next_id
    }

    pub fn get(&self, id: u32) -> Option<&ClientStmt> {
        self.by_id.get(&id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut ClientStmt> {
        self.by_id.get_mut(&id)
    }

    pub fn remove(&mut self, id: u32) -> Option<ClientStmt> {
        self.by_id.remove(&id)
    }

    pub fn clear(&mut self) {
        self.by_id.clear();
    }

    /// The id that the next [`Statements::add`] will return (to patch a PREPARE_OK before the
    /// statement is registered).
    pub fn peek_next_id(&self) -> u32 {
        let mut id = self.next_id.wrapping_add(1).max(1);
        while self.by_id.contains_key(&id) {
            id = id.wrapping_add(1).max(1);
        }
        id
    }
}

/// The statement id of a COM_STMT_* payload (after the command byte).
pub fn statement_id(payload: &[u8]) -> Option<u32> {
    let b = payload.get(1..5)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Where an EXECUTE payload's new-params-bound byte is: `Some(None)` for a statement without
/// parameters, `None` when the payload is too short for its statement.
fn bound_at(payload: &[u8], params: u16) -> Option<Option<usize>> {
    payload.get(9)?;
    if params == 0 {
        return Some(None);
    }
    let at = 10 + usize::from(params).div_ceil(8);
    payload.get(at)?;
    Some(Some(at))
}

/// The cursor flags of an EXECUTE payload.
pub fn execute_flags(payload: &[u8]) -> u8 {
    payload.get(5).copied().unwrap_or(0)
}

/// Remembers the parameter types an EXECUTE payload carries, if it carries them.
pub fn remember_types(stmt: &mut ClientStmt, payload: &[u8]) {
    let Some(Some(at)) = bound_at(payload, stmt.params) else {
        return;
    };
    if payload[at] == 1 {
        let n = usize::from(stmt.params) * 2;
        if let Some(types) = payload.get(at + 1..at + 1 + n) {
            stmt.types = Some(types.to_vec());
        }
    }
}

/// Why an EXECUTE cannot be rewritten.
#[derive(Debug, PartialEq, Eq)]
pub enum RewriteError {
    /// Too short for its statement's parameters.
    Malformed,
    /// No parameter types were ever bound.
    NoTypes,
}

/// Writes the EXECUTE packet (header included, sequence 0) for backend statement `backend_id`
/// into `out`: the client's payload with the id replaced and, when the client did not send
/// parameter types this time, the remembered ones added (a backend connection other than the
/// one that saw them does not know them).
pub fn rewrite_execute(
    payload: &[u8],
    stmt: &ClientStmt,
    backend_id: u32,
    out: &mut Vec<u8>,
) -> Result<(), RewriteError> {
    let bound = bound_at(payload, stmt.params).ok_or(RewriteError::Malformed)?;
    begin_packet(out);
    out.extend_from_slice(&payload[..1]);
    out.extend_from_slice(&backend_id.to_le_bytes());
    match bound {
        Some(at) if payload[at] == 0 => {
            let types = stmt.types.as_deref().ok_or(RewriteError::NoTypes)?;
            out.extend_from_slice(&payload[5..at]);
            out.push(1);
            out.extend_from_slice(types);
            out.extend_from_slice(&payload[at + 1..]);
        }
        _ => out.extend_from_slice(&payload[5..]),
    }
    end_packet(out);
    Ok(())
}

/// Writes a COM_STMT_* packet whose only change is the statement id.
pub fn rewrite_id(payload: &[u8], backend_id: u32, out: &mut Vec<u8>) {
    begin_packet(out);
    out.extend_from_slice(&payload[..1]);
    out.extend_from_slice(&backend_id.to_le_bytes());
    out.extend_from_slice(payload.get(5..).unwrap_or(&[]));
    end_packet(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::PrimaryReason;

    fn stmt(params: u16) -> ClientStmt {
        ClientStmt {
            sql: Rc::from(&b"SELECT ?"[..]),
            route: Route::Primary(PrimaryReason::Write),
            hint: None,
            need: ReadNeed::default(),
            same_connection: crate::classify::SameConnection::empty(),
            keep: false,
            has_effects: false,
            params,
            types: None,
            long_data: false,
            cursor: false,
        }
    }

    #[test]
    fn execute_without_types_gets_the_remembered_ones() {
        let mut s = stmt(1);
        // COM_STMT_EXECUTE id=7 flags=0 iter=1 nullmap=0 bound=1 type=LONGLONG value=5
        let first = [
            0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 8, 0, 5, 0, 0, 0, 0, 0, 0, 0,
        ];
        remember_types(&mut s, &first);
        assert_eq!(s.types.as_deref(), Some(&[8u8, 0][..]));
        let second = [
            0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
        ];
        let mut out = Vec::new();
        rewrite_execute(&second, &s, 42, &mut out).expect("rewrite");
        assert_eq!(
            &out[4..],
            &[0x17, 42, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 8, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            rewrite_execute(&second, &stmt(1), 42, &mut out),
            Err(RewriteError::NoTypes)
        );
        assert_eq!(
            rewrite_execute(&second[..8], &s, 42, &mut out),
            Err(RewriteError::Malformed)
        );
    }

    #[test]
    fn ids_are_unique_and_nonzero() {
        let mut st = Statements::default();
        let a = st.add(stmt(0));
        assert_eq!(st.peek_next_id(), a + 1);
        let b = st.add(stmt(0));
        assert_ne!(a, b);
        assert!(a > 0 && b > 0);
        assert!(st.remove(a).is_some());
        assert_eq!(statement_id(&[0x19, 3, 0, 0, 0]), Some(3));
    }
}
