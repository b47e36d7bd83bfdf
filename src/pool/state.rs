//! What a backend connection carries that a client session may depend on, and what a session
//! wants a connection to carry: the pool key (user, capability flags, collation: fixed at login),
//! the schema, the session settings (`SET` statements in the order they ran), and the
//! multi-statements option. Also the connection's prepared-statement cache. No I/O here.

use std::collections::HashMap;
use std::rc::Rc;

use crate::protocol::constants::cap;

/// Session settings: `SET` statements in the order they ran. Shared, never mutated: a session
/// that runs another `SET` makes a new list, so a connection can keep the list it applied.
pub type Settings = Rc<[Rc<[u8]>]>;

/// Statements kept prepared per backend connection; beyond, one is closed for each new one.
const MAX_PREPARED_PER_CONN: usize = 128;

/// Capability flags that do not change what a logged-in connection does.
const KEY_IGNORED_CAPS: u32 = cap::CONNECT_WITH_DB | cap::CONNECT_ATTRS;

/// What a backend connection is fixed to at login: only sessions with the same key share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnKey {
    pub user: Rc<[u8]>,
    pub capabilities: u32,
    pub collation: u8,
}

impl ConnKey {
    pub fn new(user: &[u8], capabilities: u32, collation: u8) -> Self {
        Self {
            user: user.into(),
            capabilities: capabilities & !KEY_IGNORED_CAPS,
            collation,
        }
    }
}

/// How to log in a new connection for a key.
#[derive(Debug, Clone)]
pub struct LoginSpec {
    pub key: ConnKey,
    pub password: Rc<[u8]>,
    /// The connection-attributes block of the client that caused the connection.
    pub attributes: Option<Rc<[u8]>>,
}

/// The state a session needs its backend connection in.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub schema: Option<&'a Rc<[u8]>>,
    pub settings: &'a Settings,
    pub multi_statements: bool,
    /// The connection's `LAST_INSERT_ID()` must be this. A statement that reads what the
    /// session's previous one left on its connection (`LAST_INSERT_ID()`, `SHOW WARNINGS`,
    /// `ROW_COUNT()`, ...) wants it when it runs on another connection, or on one whose value is
    /// not the session's. A pooled connection checked out for such a statement is also reset on
    /// the server first (COM_RESET_CONNECTION), so it shows no diagnostics its last user left (a
    /// statement would not clear them on MariaDB, which clears them only for statements that use
    /// a table), and then always gets `SELECT LAST_INSERT_ID(n)` (`ROW_COUNT()` -1, as after a
    /// read).
    pub last_insert_id: Option<u64>,
}

/// A statement prepared on one backend connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendStmt {
    pub id: u32,
    pub params: u16,
}

/// What a backend connection carries now.
#[derive(Debug)]
pub struct ConnState {
    pub schema: Option<Rc<[u8]>>,
    pub settings: Settings,
    pub multi_statements: bool,
    /// Prepared statements by SQL text (prepared in `schema`; cleared when it changes).
    pub prepared: HashMap<Rc<[u8]>, BackendStmt>,
    /// Statement ids to close on the server with the next sync.
    pub closing: Vec<u32>,
    /// The connection holds state no other session may see (user variables, temporary tables,
    /// locks, an unknown change the server reported): it must be closed, never pooled again.
    pub tainted: bool,
    /// The next sync starts with COM_RESET_CONNECTION (see [`ConnState::reset_for`]).
    pub reset: bool,
    /// `LAST_INSERT_ID()` on the server, as far as sluice knows: 0 when opened or reset, then the
    /// last insert id an OK reported or sluice set (`SELECT LAST_INSERT_ID(n)`).
    pub last_insert_id: u64,
}

impl ConnState {
    pub fn new(schema: Option<Rc<[u8]>>, multi_statements: bool) -> Self {
        Self {
            schema,
            settings: Rc::from(Vec::new()),
            multi_statements,
            prepared: HashMap::new(),
            closing: Vec::new(),
            tainted: false,
            reset: false,
            last_insert_id: 0,
        }
    }

    /// Marks an idle connection to be reset on the server before a session with `want` uses it:
    /// its settings, prepared statements and schema are dropped (the server forgets them), and
    /// the sync that follows starts with COM_RESET_CONNECTION, then brings it in line from
    /// scratch (the login's character set, tracking switches, multi-statements option, schema,
    /// the session's settings).
    pub fn reset_for(&mut self, want: &Wanted<'_>) {
        self.settings = Rc::from(Vec::new());
        self.prepared.clear();
        self.closing.clear();
        self.schema = None;
        // The server's option after a reset is not documented: set it explicitly.
        self.multi_statements = !want.multi_statements;
        self.reset = true;
        self.last_insert_id = 0;
    }

    /// Records a statement prepared on this connection; returns the ids the server should
    /// close (a statement with the same SQL prepared before, or one evicted to keep the cache
    /// within its limit).
    pub fn remember(&mut self, sql: Rc<[u8]>, stmt: BackendStmt) -> Vec<u32> {
        let mut close = Vec::new();
        if let Some(old) = self.prepared.insert(sql.clone(), stmt) {
            if old.id != stmt.id {
                close.push(old.id);
            }
        }
        while self.prepared.len() > MAX_PREPARED_PER_CONN {
            let Some(victim) = self.prepared.keys().find(|k| **k != sql).cloned() else {
                break;
            };
            if let Some(old) = self.prepared.remove(&victim) {
                close.push(old.id);
            }
        }
        close
    }

    /// Forgets every prepared statement (the schema changed); returns their ids to close.
    pub fn forget_prepared(&mut self) -> Vec<u32> {
        self.prepared.drain().map(|(_, s)| s.id).collect()
    }

    /// How many commands bringing this connection in line with `want` takes, or `None` if it
    /// cannot be (its settings are not a prefix of the wanted ones).
    pub fn distance(&self, want: &Wanted<'_>) -> Option<usize> {
        let extra = settings_suffix(&self.settings, want.settings)?.len();
        let schema = match (want.schema, &self.schema) {
            (Some(s), _) => usize::from(self.schema.as_ref() != Some(s)),
            // No schema can be unselected: only a connection without one will do.
            (None, Some(_)) => return None,
            (None, None) => 0,
        };
        Some(extra + schema + usize::from(self.multi_statements != want.multi_statements))
    }
}

/// The statements of `want` that `have` lacks, if `have` is a prefix of `want`.
pub fn settings_suffix<'w>(have: &Settings, want: &'w Settings) -> Option<&'w [Rc<[u8]>]> {
    if Rc::ptr_eq(have, want) {
        return Some(&[]);
    }
    if have.len() > want.len() {
        return None;
    }
    let same = have
        .iter()
        .zip(want.iter())
        .all(|(a, b)| Rc::ptr_eq(a, b) || a == b);
    same.then(|| &want[have.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(items: &[&str]) -> Settings {
        items.iter().map(|s| Rc::from(s.as_bytes())).collect()
    }

    #[test]
    fn prefix_and_distance() {
        let a = settings(&["SET NAMES latin1"]);
        let ab = settings(&["SET NAMES latin1", "SET time_zone='+01:00'"]);
        let b = settings(&["SET time_zone='+01:00'"]);
        assert_eq!(settings_suffix(&a, &ab).map(<[_]>::len), Some(1));
        assert_eq!(settings_suffix(&ab, &a), None);
        assert_eq!(settings_suffix(&b, &ab), None);
        let db: Rc<[u8]> = Rc::from(&b"shop"[..]);
        let mut state = ConnState::new(Some(db.clone()), false);
        state.settings = a.clone();
        let want = Wanted {
            schema: Some(&db),
            settings: &ab,
            multi_statements: false,
            last_insert_id: None,
        };
        assert_eq!(state.distance(&want), Some(1));
        let other: Rc<[u8]> = Rc::from(&b"other"[..]);
        let want = Wanted {
            schema: Some(&other),
            settings: &a,
            multi_statements: true,
            last_insert_id: None,
        };
        assert_eq!(state.distance(&want), Some(2));
    }

    #[test]
    fn key_ignores_login_only_flags() {
        let a = ConnKey::new(b"app", cap::PROTOCOL_41 | cap::CONNECT_WITH_DB, 45);
        let b = ConnKey::new(b"app", cap::PROTOCOL_41 | cap::CONNECT_ATTRS, 45);
        assert_eq!(a, b);
        assert_ne!(a, ConnKey::new(b"app", cap::PROTOCOL_41, 8));
    }
}
