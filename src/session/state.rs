//! `SessionState`: what every backend connection a session uses must carry (schema, session
//! settings, the multi-statements option) and what ties it to one connection (`SessionPins`),
//! learned from the classifier before a statement runs and confirmed by the server's reply
//! (kept only after an OK; status flags and the session-state-changed flag from the reply).
//! No I/O; it must not choose backends.

use crate::protocol::session_state::ReportedVariable;
use std::rc::Rc;

use super::pins::SessionPins;
use crate::classify::{Classification, TransactionScope};
use crate::pool::{Settings, Wanted};

/// At most this many `SET` statements are kept; beyond, the session stays on its connection.
const MAX_SETTINGS: usize = 64;

/// What a statement will change if it succeeds, decided before it is sent.
#[derive(Debug, Default)]
pub struct Effects {
    multi: bool,
    database: Option<Rc<[u8]>>,
    setting: Option<Rc<[u8]>>,
    pins: crate::classify::Pins,
    unpins: crate::classify::Pins,
    next_transaction: bool,
    /// Session effects sluice cannot follow.
    unfollowable: bool,
    /// The statement's own session effects are known (a `SET`, `USE`, pins): a state change the
    /// server reports for it is expected.
    expected_change: bool,
}

impl Effects {
    /// Effects of a COM_QUERY (or an executed prepared statement) from its classification.
    pub fn of(c: &Classification<'_>, sql: &[u8]) -> Self {
        let s = &c.session;
        let next_transaction = s
            .set_transaction
            .is_some_and(|t| t.scope == TransactionScope::Next);
        let sets_session =
            s.names || s.character_set || s.session_variables || s.autocommit.is_some();
        let session_scope_trx = s
            .set_transaction
            .is_some_and(|t| t.scope == TransactionScope::Session);
        let replayable = (sets_session || session_scope_trx)
            && !next_transaction
            && !s.user_variables
            && !s.global_variables
            && c.pins.is_empty()
            && !c.multi_statement;
        Self {
            multi: c.multi_statement,
            database: s.use_database.map(|d| Rc::from(&*d.name())),
            setting: replayable.then(|| Rc::from(sql)),
            pins: c.pins,
            unpins: c.unpins,
            next_transaction,
            unfollowable: false,
            expected_change: !s.is_empty() || !c.pins.is_empty() || !c.unpins.is_empty(),
        }
    }

    /// A command whose effects are not known (a large statement streamed unread).
    pub fn unknown() -> Self {
        Self {
            multi: true,
            ..Self::default()
        }
    }

    /// A statement whose session effects sluice cannot follow (a prepared `SET ?`, ...): on
    /// success the session stays on the connection that ran it.
    pub fn unfollowable() -> Self {
        Self {
            unfollowable: true,
            expected_change: true,
            ..Self::default()
        }
    }

    pub fn changes_schema(&self) -> bool {
        self.database.is_some()
    }

    pub fn changes_settings(&self) -> bool {
        self.setting.is_some()
    }

    /// The server reported the values the statement's `SET` gave: replay those instead of the
    /// statement's text (see `tracked_set`). Nothing changes when the statement is not a
    /// replayable `SET` or the values cannot be written back exactly.
    pub fn use_reported_values(&mut self, vars: &[ReportedVariable]) {
        if self.setting.is_some() {
            if let Some(sql) = super::tracked_set::replay_sql(vars) {
                self.setting = Some(sql);
            }
        }
    }

    /// Effects of COM_INIT_DB.
    pub fn init_db(db: &[u8]) -> Self {
        Self {
            database: Some(Rc::from(db)),
            expected_change: true,
            ..Self::default()
        }
    }
}

#[derive(Debug)]
pub struct SessionState {
    pub schema: Option<Rc<[u8]>>,
    pub settings: Settings,
    pub multi_statements: bool,
    pub pins: SessionPins,
    /// The session's `LAST_INSERT_ID()` as its OK packets reported it (0 until an insert
    /// generates one). Set on another connection before a statement reads it there.
    pub last_insert_id: u64,
}

impl SessionState {
    pub fn new(schema: Option<Rc<[u8]>>, multi_statements: bool) -> Self {
        Self {
            schema,
            settings: Rc::from(Vec::new()),
            multi_statements,
            pins: SessionPins::default(),
            last_insert_id: 0,
        }
    }

    /// What a connection must carry for this session.
    pub fn wanted(&self) -> Wanted<'_> {
        Wanted {
            schema: self.schema.as_ref(),
            settings: &self.settings,
            multi_statements: self.multi_statements,
            last_insert_id: None,
        }
    }

    /// What a connection must carry for a statement that reads what the session's previous
    /// statement left on its connection, when it runs on another one: the session's
    /// `LAST_INSERT_ID()`, set by a statement that also empties the diagnostics area.
    pub fn wanted_following(&self) -> Wanted<'_> {
        Wanted {
            last_insert_id: Some(self.last_insert_id),
            ..self.wanted()
        }
    }

    /// The reply to a statement with `effects` ended (`error`: with an ERR; `status`: the final
    /// status flags). `text` is the statement's SQL, for pin counting. Returns true when the
    /// connection it ran on now carries state the session's later connections must not
    /// silently lack (it must stay pinned to it).
    /// `state_change`: the server flagged a change of session state.
    pub fn settle(
        &mut self,
        effects: Effects,
        error: bool,
        status_flags: u16,
        state_change: bool,
        text: &[u8],
    ) {
        if !error {
            self.pins.note_status(status_flags);
        }
        if error && !effects.multi {
            self.pins.statement_done();
            return;
        }
        if error {
            // A multi-statement text failed part-way: what ran is unknown.
            if effects.setting.is_some()
                || effects.database.is_some()
                || !effects.pins.is_empty()
                || effects.next_transaction
            {
                self.pins.unknown_change();
            }
            return;
        }
        if effects.unfollowable {
            self.pins.unknown_change();
        }
        if let Some(db) = effects.database {
            self.schema = Some(db);
        }
        if let Some(stmt) = effects.setting {
            if self.settings.len() >= MAX_SETTINGS {
                self.pins.unknown_change();
            } else {
                let mut v: Vec<Rc<[u8]>> = self.settings.iter().cloned().collect();
                v.push(stmt);
                self.settings = v.into();
            }
        }
        self.pins.release(effects.unpins, text);
        self.pins.start(effects.pins, text);
        if effects.next_transaction {
            self.pins.hold_for_next_transaction();
        } else {
            self.pins.statement_done();
        }
        if state_change && (!effects.expected_change || effects.multi) {
            self.pins.unknown_change();
        }
    }

    /// COM_RESET_CONNECTION: everything but the schema starts over.
    pub fn reset(&mut self) {
        let schema = self.schema.take();
        *self = Self::new(schema, self.multi_statements);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify, ClassifierConfig};
    use crate::protocol::constants::status;

    fn run(s: &mut SessionState, sql: &str, status_flags: u16) {
        let c = classify(sql.as_bytes(), &ClassifierConfig::default());
        let e = Effects::of(&c, sql.as_bytes());
        let changed = status_flags & status::SESSION_STATE_CHANGED != 0;
        s.settle(e, false, status_flags, changed, sql.as_bytes());
    }

    #[test]
    fn use_and_sets_are_kept_in_order() {
        let mut s = SessionState::new(Some(Rc::from(&b"a"[..])), false);
        run(&mut s, "USE `b`", status::AUTOCOMMIT);
        run(&mut s, "SET NAMES latin1", status::AUTOCOMMIT);
        run(&mut s, "SET SESSION sql_mode = 'ANSI'", status::AUTOCOMMIT);
        run(&mut s, "SELECT 1", status::AUTOCOMMIT);
        assert_eq!(s.schema.as_deref(), Some(&b"b"[..]));
        assert_eq!(s.settings.len(), 2);
        assert!(!s.pins.pinned());
    }

    #[test]
    fn autocommit_off_is_a_replayed_setting() {
        let mut s = SessionState::new(None, false);
        run(&mut s, "SET autocommit = 0", status::SESSION_STATE_CHANGED);
        assert_eq!(
            s.settings.len(),
            1,
            "replayed on the session's other connections"
        );
        assert!(s.pins.pinned() && s.pins.autocommit_off());
        assert!(!s.pins.binds_connection(), "between transactions");
        run(&mut s, "INSERT INTO t VALUES (1)", status::IN_TRANS);
        assert!(s.pins.binds_connection(), "in the transaction");
        run(&mut s, "COMMIT", 0);
        assert!(!s.pins.binds_connection());
    }

    #[test]
    fn connection_bound_state_pins() {
        for sql in [
            "CREATE TEMPORARY TABLE t (a int)",
            "SET @x = 1",
            "SELECT GET_LOCK('a', 1)",
            "LOCK TABLES t READ",
        ] {
            let mut s = SessionState::new(None, false);
            run(&mut s, sql, status::AUTOCOMMIT);
            assert!(s.pins.pinned(), "{sql}");
            s.reset();
            assert!(!s.pins.pinned(), "{sql} after reset");
        }
    }

    #[test]
    fn unknown_state_change_pins() {
        let mut s = SessionState::new(None, false);
        run(
            &mut s,
            "CALL p()",
            status::AUTOCOMMIT | status::SESSION_STATE_CHANGED,
        );
        assert!(s.pins.pinned());
        let mut s = SessionState::new(None, false);
        run(
            &mut s,
            "SET NAMES utf8mb4",
            status::AUTOCOMMIT | status::SESSION_STATE_CHANGED,
        );
        assert!(!s.pins.pinned());
    }

    #[test]
    fn failed_single_statement_changes_nothing() {
        let mut s = SessionState::new(None, false);
        let c = classify(b"USE nosuchdb", &ClassifierConfig::default());
        s.settle(
            Effects::of(&c, b"USE nosuchdb"),
            true,
            0,
            false,
            b"USE nosuchdb",
        );
        assert_eq!(s.schema, None);
    }
}
