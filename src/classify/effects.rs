//! The effects a statement has beyond its rows, as reported in a
//! [`Classification`](super::Classification): transaction control, session-state changes, and
//! sluice's own statements. Everything borrows the SQL text.
//!
//! Owns these report types. It must not parse SQL (the statement parsers fill them in) and must
//! not decide what the session does with them: the session layer decides, using the servers'
//! session-state tracking as the final word.

use std::borrow::Cow;

use super::set::SetList;

/// An identifier as written: unquoted, or the content of a backtick-quoted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident<'a> {
    /// The bytes as written (inside the backticks when quoted; doubled backticks kept).
    pub text: &'a [u8],
    /// Written in backticks.
    pub quoted: bool,
}

impl<'a> Ident<'a> {
    /// The identifier's name: `text`, with doubled backticks undone when quoted (allocates only
    /// then).
    pub fn name(&self) -> Cow<'a, [u8]> {
        if self.quoted && self.text.windows(2).any(|w| w == b"``") {
            let mut out = Vec::with_capacity(self.text.len());
            let mut i = 0;
            while i < self.text.len() {
                out.push(self.text[i]);
                i += if self.text[i] == b'`' { 2 } else { 1 };
            }
            Cow::Owned(out)
        } else {
            Cow::Borrowed(self.text)
        }
    }
}

/// Read-only or read-write, as a transaction statement asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionAccess {
    /// Not stated (the session's default applies).
    #[default]
    Default,
    /// `READ ONLY`.
    ReadOnly,
    /// `READ WRITE`.
    ReadWrite,
}

/// The verb of an `XA` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XaVerb {
    /// `XA START|BEGIN xid`.
    Start,
    /// `XA END xid`.
    End,
    /// `XA PREPARE xid`.
    Prepare,
    /// `XA COMMIT xid`.
    Commit,
    /// `XA ROLLBACK xid`.
    Rollback,
    /// `XA RECOVER`.
    Recover,
    /// Anything else after `XA`.
    Other,
}

/// Transaction control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN [WORK]`, `START TRANSACTION [READ ONLY|READ WRITE] [, WITH CONSISTENT SNAPSHOT]`.
    /// Also commits any open transaction.
    Begin {
        /// `READ ONLY` / `READ WRITE`.
        access: TransactionAccess,
        /// `WITH CONSISTENT SNAPSHOT`.
        consistent_snapshot: bool,
    },
    /// `COMMIT [WORK] [AND [NO] CHAIN] [[NO] RELEASE]`.
    Commit {
        /// `AND CHAIN`: a new transaction starts at once.
        chain: bool,
        /// `RELEASE`: the server closes the connection afterwards.
        release: bool,
    },
    /// `ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]` (not `ROLLBACK TO`).
    Rollback {
        /// `AND CHAIN`.
        chain: bool,
        /// `RELEASE`.
        release: bool,
    },
    /// `SAVEPOINT s`.
    Savepoint,
    /// `ROLLBACK [WORK] TO [SAVEPOINT] s`.
    RollbackToSavepoint,
    /// `RELEASE SAVEPOINT s`.
    ReleaseSavepoint,
    /// `XA …`.
    Xa(XaVerb),
}

/// Which transactions a `SET TRANSACTION` applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionScope {
    /// `SET TRANSACTION …`: the next transaction of this session only.
    Next,
    /// `SET SESSION|LOCAL TRANSACTION …`: every later transaction of this session.
    Session,
    /// `SET GLOBAL TRANSACTION …`: new sessions (primary).
    Global,
}

/// `SET [GLOBAL|SESSION|LOCAL] TRANSACTION ISOLATION LEVEL … | READ ONLY | READ WRITE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetTransaction {
    /// Which transactions it applies to.
    pub scope: TransactionScope,
    /// `READ ONLY` / `READ WRITE`, if given.
    pub access: TransactionAccess,
    /// An `ISOLATION LEVEL` was given.
    pub isolation: bool,
}

/// The value of a `SET autocommit = …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autocommit {
    /// `1`, `ON`, `TRUE`.
    On,
    /// `0`, `OFF`, `FALSE`.
    Off,
    /// An expression or `DEFAULT`: only the server knows.
    Other,
}

/// Session state a statement changes (what every backend connection the session uses must
/// carry, or what decides the next transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionChanges<'a> {
    /// `USE db`.
    pub use_database: Option<Ident<'a>>,
    /// The assignments of a `SET` statement, to iterate for names and values.
    pub set: Option<SetList<'a>>,
    /// `SET NAMES …`.
    pub names: bool,
    /// `SET CHARACTER SET …` / `SET CHARSET …`.
    pub character_set: bool,
    /// A session system variable (`SET [SESSION|LOCAL|@@session.|@@]var = …`, or unqualified).
    pub session_variables: bool,
    /// A user variable (`SET @x = …`).
    pub user_variables: bool,
    /// A global or persisted variable (`SET GLOBAL|PERSIST|PERSIST_ONLY …`, `@@global.`).
    pub global_variables: bool,
    /// `SET autocommit = …`.
    pub autocommit: Option<Autocommit>,
    /// `SET [SESSION|GLOBAL] TRANSACTION …`.
    pub set_transaction: Option<SetTransaction>,
}

impl SessionChanges<'_> {
    /// True when the statement changes no session state.
    pub fn is_empty(&self) -> bool {
        *self == SessionChanges::default()
    }
}

/// A statement sluice answers itself instead of sending it to a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SluiceCommand<'a> {
    /// `SET [SESSION|LOCAL] sluice_consistency = 'level'` (or `@@[session.]sluice_consistency`,
    /// quotes `'`/`"` or a bare word): the value as written, without quotes, not validated.
    SetConsistency(&'a [u8]),
    /// `SELECT @@[session.]sluice_consistency`.
    SelectConsistency,
    /// `SELECT @@[session.]sluice_last_gtid`.
    SelectLastGtid,
    /// `SHOW SLUICE <what>`, e.g. `SHOW SLUICE BACKENDS`: the word after `SLUICE` as written.
    Show(&'a [u8]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ident_names() {
        let plain = Ident {
            text: b"shop",
            quoted: false,
        };
        assert!(matches!(plain.name(), Cow::Borrowed(b"shop")));
        let quoted = Ident {
            text: b"we``ird",
            quoted: true,
        };
        assert_eq!(&*quoted.name(), b"we`ird");
        assert!(SessionChanges::default().is_empty());
    }
}
