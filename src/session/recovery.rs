//! `Recovery`: what a session must restore when its backend connection is lost and a new one is
//! opened (schema, and the session `SET`s it ran: character set, sql_mode, time zone, ...), and
//! whether that is possible at all. State that dies with a connection (an open transaction,
//! temporary tables, user variables, locks, prepared statements) cannot be restored: a session
//! holding any of it must be closed on backend loss, as a server restart would close it, rather
//! than go on silently without it. It learns from the classifier and the servers' replies; it
//! does no I/O.

use crate::classify::{classify, Classification, ClassifierConfig};
use crate::protocol::constants::status;

/// At most this many `SET` statements are kept for replay; beyond, the session is treated as
/// unrecoverable rather than growing without bound.
const MAX_REPLAY: usize = 64;

/// What a statement will change if it succeeds, decided before it is sent.
#[derive(Debug, Default)]
pub struct Pending {
    multi: bool,
    database: Option<Vec<u8>>,
    replay: Option<Vec<u8>>,
    unrecoverable: Option<&'static str>,
}

#[derive(Debug, Default)]
pub struct Recovery {
    /// The schema a new backend connection must be in (`None`: none chosen).
    pub database: Option<Vec<u8>>,
    /// Session `SET` statements, in the order they ran.
    replay: Vec<Vec<u8>>,
    /// Statement ids of binary prepared statements still open.
    prepared: Vec<u32>,
    in_transaction: bool,
    /// Why a lost backend connection cannot be replaced silently.
    unrecoverable: Option<&'static str>,
}

impl Recovery {
    pub fn new(database: Option<Vec<u8>>) -> Self {
        Self {
            database,
            ..Self::default()
        }
    }

    /// Looks at a COM_QUERY's SQL before it is sent.
    pub fn inspect(&self, sql: &[u8], cfg: &ClassifierConfig) -> Pending {
        let c = classify(sql, cfg);
        Pending {
            multi: c.multi_statement,
            database: c.session.use_database.map(|d| d.name().into_owned()),
            replay: replayable(&c).then(|| sql.to_vec()),
            unrecoverable: unrecoverable_reason(&c),
        }
    }

    /// The statement got its reply: an error means a single statement changed nothing, but a
    /// multi-statement text may have run part of its statements.
    pub fn settle(&mut self, pending: Pending, error: bool) {
        if error && !pending.multi {
            return;
        }
        if error {
            if pending.database.is_some()
                || pending.replay.is_some()
                || pending.unrecoverable.is_some()
            {
                self.unrecoverable =
                    Some("a multi-statement query with session effects failed part-way");
            }
            return;
        }
        if let Some(db) = pending.database {
            self.database = Some(db);
        }
        if let Some(stmt) = pending.replay {
            if self.replay.len() >= MAX_REPLAY {
                self.unrecoverable
                    .get_or_insert("too many session SET statements to replay");
            } else {
                self.replay.push(stmt);
            }
        }
        if let Some(why) = pending.unrecoverable {
            self.unrecoverable.get_or_insert(why);
        }
    }

    /// Every reply's final status flags tell whether a transaction is open.
    pub fn note_status(&mut self, status_flags: u16) {
        self.in_transaction = status_flags & status::IN_TRANS != 0;
    }

    pub fn prepared(&mut self, statement_id: u32) {
        self.prepared.push(statement_id);
    }

    pub fn closed(&mut self, statement_id: u32) {
        self.prepared.retain(|&id| id != statement_id);
    }

    /// COM_RESET_CONNECTION succeeded: the server dropped everything but the schema.
    pub fn reset(&mut self) {
        let database = self.database.take();
        *self = Self::new(database);
    }

    /// Why the session cannot go on with a new backend connection, if it cannot.
    pub fn blocker(&self) -> Option<&'static str> {
        if self.in_transaction {
            return Some("a transaction was open");
        }
        if !self.prepared.is_empty() {
            return Some("prepared statements were open");
        }
        self.unrecoverable
    }

    /// The statements to run on a new backend connection, in order.
    pub fn replay(&self) -> &[Vec<u8>] {
        &self.replay
    }
}

/// A statement whose only effect is session state a new connection can be given again.
fn replayable(c: &Classification<'_>) -> bool {
    let s = &c.session;
    let sets_session = s.names || s.character_set || s.session_variables || s.autocommit.is_some();
    let next_transaction_only = s
        .set_transaction
        .is_some_and(|t| t.scope == crate::classify::TransactionScope::Next);
    sets_session
        && !next_transaction_only
        && !s.user_variables
        && !s.global_variables
        && c.pins.is_empty()
        && !c.multi_statement
}

fn unrecoverable_reason(c: &Classification<'_>) -> Option<&'static str> {
    if !c.pins.is_empty() {
        return Some("it holds connection-bound state (locks, temporary tables, user variables or prepared statements)");
    }
    if c.multi_statement && !c.session.is_empty() {
        return Some("a multi-statement query changed session state");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(r: &mut Recovery, sql: &str) {
        let p = r.inspect(sql.as_bytes(), &ClassifierConfig::default());
        r.settle(p, false);
    }

    #[test]
    fn use_and_sets_are_replayable() {
        let mut r = Recovery::new(Some(b"a".to_vec()));
        run(&mut r, "USE `b`");
        run(&mut r, "SET NAMES latin1");
        run(&mut r, "SET SESSION sql_mode = 'ANSI'");
        run(&mut r, "SELECT 1");
        assert_eq!(r.database.as_deref(), Some(&b"b"[..]));
        assert_eq!(r.replay().len(), 2);
        assert_eq!(r.blocker(), None);
    }

    #[test]
    fn connection_bound_state_blocks() {
        for sql in [
            "CREATE TEMPORARY TABLE t (a int)",
            "SET @x = 1",
            "SELECT GET_LOCK('a', 1)",
            "LOCK TABLES t READ",
        ] {
            let mut r = Recovery::default();
            run(&mut r, sql);
            assert!(r.blocker().is_some(), "{sql}");
            r.reset();
            assert!(r.blocker().is_none(), "{sql} after reset");
        }
    }

    #[test]
    fn transactions_and_prepared_statements_block_until_closed() {
        let mut r = Recovery::default();
        r.note_status(status::IN_TRANS);
        assert!(r.blocker().is_some());
        r.note_status(status::AUTOCOMMIT);
        assert!(r.blocker().is_none());
        r.prepared(7);
        assert!(r.blocker().is_some());
        r.closed(7);
        assert!(r.blocker().is_none());
    }

    #[test]
    fn failed_single_statement_changes_nothing() {
        let mut r = Recovery::default();
        let p = r.inspect(b"USE nosuchdb", &ClassifierConfig::default());
        r.settle(p, true);
        assert_eq!(r.database, None);
    }
}
