//! `SessionPins`: why a session must stay on the backend connection it holds, counted so the pin
//! ends when the state that caused it is released (a transaction ends, the last user lock or
//! temporary table goes), and never ends for state that cannot be released (user variables,
//! unknown changes the server reported). Transactions and `autocommit=0` come from the server
//! status flags, not from SQL. No I/O; it must not choose backends.

use crate::classify::Pins;
use crate::protocol::constants::status;

/// Pins counted by statements; index by bit position of [`Pins`].
const KINDS: usize = 16;

#[derive(Debug, Clone)]
pub struct SessionPins {
    counts: [u32; KINDS],
    /// A `SET TRANSACTION` (next transaction only) waits for that transaction to end.
    next_transaction: bool,
    /// Binary-protocol state on the connection: statements with long data sent or a cursor open.
    statement_state: u32,
    /// The server status flags of the last reply.
    status: u16,
    /// Temporary tables the session created and has not dropped (lower-case, unqualified).
    temporary_tables: Vec<Vec<u8>>,
    /// State that outlives every statement (user variables, unknown changes): the connection is
    /// never given back to the pool.
    permanent: bool,
}

impl Default for SessionPins {
    fn default() -> Self {
        Self {
            counts: [0; KINDS],
            next_transaction: false,
            statement_state: 0,
            status: status::AUTOCOMMIT,
            temporary_tables: Vec::new(),
            permanent: false,
        }
    }
}

fn bit(p: Pins) -> Option<usize> {
    Pins::ALL.iter().position(|(f, _)| *f == p)
}

impl SessionPins {
    /// True when the session must stay on its connection.
    pub fn pinned(&self) -> bool {
        self.binds_connection() || self.autocommit_off()
    }

    /// True when the session's connection holds what no other connection has (a transaction,
    /// locks, temporary tables, ...): everything [`SessionPins::pinned`] means but `autocommit =
    /// 0` between transactions, a setting the session replays on any primary connection (the
    /// next statement starts a transaction wherever it runs). While the client is idle, only
    /// this keeps the connection from going back to the pool.
    pub fn binds_connection(&self) -> bool {
        self.in_transaction()
            || self.next_transaction
            || self.statement_state > 0
            || self.permanent
            || !self.temporary_tables.is_empty()
            || self.counts.iter().any(|&c| c > 0)
    }

    /// The session runs with `autocommit = 0`: every statement belongs to a transaction.
    pub fn autocommit_off(&self) -> bool {
        self.status & status::AUTOCOMMIT == 0
    }

    /// True when the connection carries state that must never reach another session.
    pub fn taints(&self) -> bool {
        self.permanent
            || !self.temporary_tables.is_empty()
            || self.counts.iter().any(|&c| c > 0)
            || self.statement_state > 0
    }

    pub fn in_transaction(&self) -> bool {
        self.status & status::IN_TRANS != 0
    }

    /// The status flags of the last reply (AUTOCOMMIT, IN_TRANS).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A reply ended with these status flags.
    pub fn note_status(&mut self, flags: u16) {
        self.status = flags;
    }

    /// A statement that started pins succeeded. `text` is its SQL, to count user locks.
    pub fn start(&mut self, pins: Pins, text: &[u8]) {
        for (flag, _) in Pins::ALL {
            if !pins.contains(*flag) {
                continue;
            }
            if *flag == Pins::USER_VARIABLE || *flag == Pins::SESSION_STATE {
                self.permanent = true;
                continue;
            }
            if *flag == Pins::TEMPORARY_TABLE {
                match created_temporary_table(text) {
                    Some(name) => self.temporary_tables.push(name),
                    None => self.permanent = true,
                }
                continue;
            }
            let n = if *flag == Pins::USER_LOCK {
                occurrences(text, b"get_lock").max(1)
            } else {
                1
            };
            if let Some(i) = bit(*flag) {
                self.counts[i] = self.counts[i].saturating_add(n);
            }
        }
    }

    /// A statement that may release pins succeeded.
    pub fn release(&mut self, pins: Pins, text: &[u8]) {
        for (flag, _) in Pins::ALL {
            if !pins.contains(*flag) {
                continue;
            }
            let Some(i) = bit(*flag) else { continue };
            let f = *flag;
            if f == Pins::USER_LOCK {
                if occurrences(text, b"release_all_locks") > 0 {
                    self.counts[i] = 0;
                } else {
                    let n = occurrences(text, b"release_lock").max(1);
                    self.counts[i] = self.counts[i].saturating_sub(n);
                }
            } else if f == Pins::TEMPORARY_TABLE {
                // `DROP [TEMPORARY] TABLE a, b`: a temporary table of that name goes first.
                for name in dropped_tables(text) {
                    if let Some(pos) = self.temporary_tables.iter().position(|t| *t == name) {
                        self.temporary_tables.remove(pos);
                    }
                }
            } else if f == Pins::TABLE_LOCK || f == Pins::GLOBAL_READ_LOCK || f == Pins::XA {
                self.counts[i] = 0;
            } else {
                self.counts[i] = self.counts[i].saturating_sub(1);
            }
        }
        // UNLOCK TABLES releases both table-lock kinds.
        if pins.intersects(Pins::TABLE_LOCK | Pins::GLOBAL_READ_LOCK) {
            for f in [Pins::TABLE_LOCK, Pins::GLOBAL_READ_LOCK] {
                if let Some(i) = bit(f) {
                    self.counts[i] = 0;
                }
            }
        }
    }

    /// `SET TRANSACTION …` for the next transaction only succeeded.
    pub fn hold_for_next_transaction(&mut self) {
        self.next_transaction = true;
    }

    /// A statement other than the `SET TRANSACTION` ended with the current status: once no
    /// transaction is open, the next transaction has come and gone.
    pub fn statement_done(&mut self) {
        if self.next_transaction && !self.in_transaction() {
            self.next_transaction = false;
        }
    }

    /// The server reported a session-state change sluice cannot follow.
    pub fn unknown_change(&mut self) {
        self.permanent = true;
    }

    /// Long data was sent or a cursor opened for a statement (`+1`), or that ended (`-1`).
    pub fn statement_state(&mut self, open: bool) {
        if open {
            self.statement_state += 1;
        } else {
            self.statement_state = self.statement_state.saturating_sub(1);
        }
    }
}

/// Words of a short DDL statement: identifiers (backquotes removed, lower-cased, qualified
/// names reduced to their last part), keywords, and `,` as its own word. Comments are not
/// expected in the statements this reads (CREATE/DROP of temporary tables); a `/*` makes the
/// caller fall back to the conservative answer.
fn words(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    if text.windows(2).any(|w| w == b"/*")
        || text.contains(&b'#')
        || text.windows(2).any(|w| w == b"--")
    {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c.is_ascii_whitespace() || c == b';' || c == b'(' {
            if c == b'(' {
                break;
            }
            i += 1;
            continue;
        }
        if c == b',' {
            out.push(b",".to_vec());
            i += 1;
            continue;
        }
        let mut word = Vec::new();
        while i < text.len() {
            let c = text[i];
            if c == b'`' {
                i += 1;
                while i < text.len() && text[i] != b'`' {
                    word.push(text[i].to_ascii_lowercase());
                    i += 1;
                }
                i += 1;
            } else if c.is_ascii_whitespace() || c == b',' || c == b';' || c == b'(' {
                break;
            } else if c == b'.' {
                word.clear();
                i += 1;
            } else {
                word.push(c.to_ascii_lowercase());
                i += 1;
            }
        }
        out.push(word);
    }
    Some(out)
}

/// The table a `CREATE TEMPORARY TABLE [IF NOT EXISTS] name …` creates.
fn created_temporary_table(text: &[u8]) -> Option<Vec<u8>> {
    let w = words(text)?;
    let at = w.iter().position(|x| x == b"table")?;
    let mut rest = &w[at + 1..];
    if rest.len() >= 3 && rest[0] == b"if" && rest[1] == b"not" && rest[2] == b"exists" {
        rest = &rest[3..];
    }
    rest.first().filter(|n| !n.is_empty()).cloned()
}

/// The tables a `DROP [TEMPORARY] TABLE[S] [IF EXISTS] a, b …` names.
fn dropped_tables(text: &[u8]) -> Vec<Vec<u8>> {
    let Some(w) = words(text) else {
        return Vec::new();
    };
    let Some(at) = w.iter().position(|x| x == b"table" || x == b"tables") else {
        return Vec::new();
    };
    let mut rest = &w[at + 1..];
    if rest.len() >= 2 && rest[0] == b"if" && rest[1] == b"exists" {
        rest = &rest[2..];
    }
    rest.iter()
        .filter(|x| *x != b"," && *x != b"restrict" && *x != b"cascade")
        .cloned()
        .collect()
}

/// Case-insensitive count of `needle` (lower-case) in `text`.
fn occurrences(text: &[u8], needle: &[u8]) -> u32 {
    if needle.is_empty() || text.len() < needle.len() {
        return 0;
    }
    text.windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_are_counted() {
        let mut p = SessionPins::default();
        assert!(!p.pinned());
        p.start(Pins::USER_LOCK, b"SELECT GET_LOCK('a',0), get_lock('b',0)");
        p.release(Pins::USER_LOCK, b"SELECT RELEASE_LOCK('a')");
        assert!(p.pinned());
        p.release(Pins::USER_LOCK, b"SELECT RELEASE_LOCK('b')");
        assert!(!p.pinned());
        p.start(Pins::USER_LOCK, b"SELECT GET_LOCK('a',0)");
        p.release(Pins::USER_LOCK, b"DO RELEASE_ALL_LOCKS()");
        assert!(!p.pinned() && !p.taints());
    }

    #[test]
    fn temporary_tables_are_followed_by_name() {
        let mut p = SessionPins::default();
        p.start(Pins::TEMPORARY_TABLE, b"CREATE TEMPORARY TABLE t (a int)");
        p.start(
            Pins::TEMPORARY_TABLE,
            b"create temporary table if not exists db.`U` as select 1",
        );
        p.release(Pins::TEMPORARY_TABLE, b"DROP TABLE other");
        assert!(p.pinned());
        p.release(Pins::TEMPORARY_TABLE, b"DROP TEMPORARY TABLE IF EXISTS T");
        assert!(p.pinned());
        p.release(Pins::TEMPORARY_TABLE, b"DROP TABLE x, `u`");
        assert!(!p.pinned() && !p.taints());
        p.start(
            Pins::TEMPORARY_TABLE,
            b"CREATE /* c */ TEMPORARY TABLE t (a int)",
        );
        assert!(p.taints(), "unreadable text: conservative");
    }

    #[test]
    fn transactions_follow_status_and_user_variables_stay() {
        let mut p = SessionPins::default();
        p.note_status(status::AUTOCOMMIT | status::IN_TRANS);
        assert!(p.pinned() && !p.taints());
        p.note_status(0);
        assert!(p.pinned(), "autocommit=0 is a transaction");
        p.note_status(status::AUTOCOMMIT);
        assert!(!p.pinned());
        p.start(Pins::USER_VARIABLE, b"SET @x = 1");
        assert!(p.pinned() && p.taints());
    }

    #[test]
    fn next_transaction_ends_after_it() {
        let mut p = SessionPins::default();
        p.hold_for_next_transaction();
        assert!(p.pinned());
        p.note_status(status::AUTOCOMMIT | status::IN_TRANS);
        p.statement_done();
        assert!(p.pinned());
        p.note_status(status::AUTOCOMMIT);
        p.statement_done();
        assert!(!p.pinned());
    }
}
