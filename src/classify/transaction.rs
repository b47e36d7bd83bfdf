//! Transaction-control statements: `BEGIN [WORK]`, `START TRANSACTION [modes]`,
//! `COMMIT`/`ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]`, `ROLLBACK … TO [SAVEPOINT]`,
//! `SAVEPOINT`, `RELEASE SAVEPOINT`, and `XA …`.
//!
//! Owns the grammar of these statements after their first keyword. It must not decide routing or
//! track transaction state: the server status flags say whether a transaction is open.

use super::effects::{TransactionAccess, TransactionControl, XaVerb};
use super::keyword::{keyword, Kw};
use super::lexer::{Lexer, Tok};

fn next_kw(lex: &mut Lexer<'_>) -> Option<Kw> {
    lex.next_token().map(|t| match t {
        Tok::Word(w) => keyword(w),
        _ => Kw::Other,
    })
}

/// `BEGIN [WORK]` (the caller has ruled out `BEGIN NOT ATOMIC`).
pub(crate) fn begin() -> TransactionControl {
    TransactionControl::Begin {
        access: TransactionAccess::Default,
        consistent_snapshot: false,
    }
}

/// After `START`: `TRANSACTION [READ ONLY|READ WRITE|WITH CONSISTENT SNAPSHOT][, …]`, or `None`
/// for another `START` (`START SLAVE`, `START REPLICA`, …).
pub(crate) fn start(mut lex: Lexer<'_>) -> Option<TransactionControl> {
    if next_kw(&mut lex)? != Kw::Transaction {
        return None;
    }
    let mut access = TransactionAccess::Default;
    let mut consistent_snapshot = false;
    let mut prev = Kw::Other;
    while let Some(kw) = next_kw(&mut lex) {
        match (prev, kw) {
            (Kw::Read, Kw::Only) => access = TransactionAccess::ReadOnly,
            (Kw::Read, Kw::Write) => access = TransactionAccess::ReadWrite,
            (Kw::Consistent, Kw::Snapshot) => consistent_snapshot = true,
            _ => {}
        }
        prev = kw;
    }
    Some(TransactionControl::Begin {
        access,
        consistent_snapshot,
    })
}

/// The `AND [NO] CHAIN` and `[NO] RELEASE` options after `COMMIT`/`ROLLBACK`.
fn completion(lex: &mut Lexer<'_>) -> (bool, bool, bool) {
    let (mut chain, mut release, mut to) = (false, false, false);
    let mut no = false;
    while let Some(kw) = next_kw(lex) {
        match kw {
            Kw::To => to = true,
            Kw::Chain => chain = !no,
            Kw::Release => release = !no,
            _ => {}
        }
        no = kw == Kw::No;
    }
    (chain, release, to)
}

/// After `COMMIT`.
pub(crate) fn commit(mut lex: Lexer<'_>) -> TransactionControl {
    let (chain, release, _) = completion(&mut lex);
    TransactionControl::Commit { chain, release }
}

/// After `ROLLBACK`.
pub(crate) fn rollback(mut lex: Lexer<'_>) -> TransactionControl {
    match completion(&mut lex) {
        (_, _, true) => TransactionControl::RollbackToSavepoint,
        (chain, release, false) => TransactionControl::Rollback { chain, release },
    }
}

/// After `RELEASE`: `SAVEPOINT s`, or `None`.
pub(crate) fn release(mut lex: Lexer<'_>) -> Option<TransactionControl> {
    (next_kw(&mut lex)? == Kw::Savepoint).then_some(TransactionControl::ReleaseSavepoint)
}

/// After `XA`: the verb.
pub(crate) fn xa(mut lex: Lexer<'_>) -> XaVerb {
    match lex.next_token() {
        Some(Tok::Word(w)) => match keyword(w) {
            Kw::Start | Kw::Begin => XaVerb::Start,
            Kw::End => XaVerb::End,
            Kw::Prepare => XaVerb::Prepare,
            Kw::Commit => XaVerb::Commit,
            Kw::Rollback => XaVerb::Rollback,
            _ if w.eq_ignore_ascii_case(b"RECOVER") => XaVerb::Recover,
            _ => XaVerb::Other,
        },
        _ => XaVerb::Other,
    }
}
