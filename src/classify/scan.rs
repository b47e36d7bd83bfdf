//! The pass over every token of a statement that finds what can hide anywhere in it: locking
//! reads (also in subqueries and CTEs), `INTO`, `@x :=` assignments, sequences, function calls and
//! what they are, session-bound system variables, DML words inside a `WITH`/`EXPLAIN`,
//! `RETURNING`, `SQL_CALC_FOUND_ROWS`, and a second statement after a `;`.
//!
//! Owns [`Facts`] and the rules that recognise each fact from a token and its neighbours (the
//! previous two tokens and the next one). It must not decide routing (that is
//! [`super::classification`], which weighs the facts against the statement's kind) and must not
//! look at the statement's first keywords beyond the options it is given.
//!
//! A name followed by `(` is a function call unless it is a keyword that is not a call
//! (`IN (`, `OVER (` …), a CTE name or column list (`WITH c (a) AS …`, `, d (b) AS …` in the CTE
//! list), a derived-table column list (`AS dt (a, b)`, `) dt (a, b)`) or a type after `AS`
//! (`CAST(x AS DECIMAL(10,2))`). A qualified call (`db.f(`) or a quoted one (`` `f`( ``) is never
//! a built-in.

use super::config::ClassifierConfig;
use super::flags::{Pins, SameConnection};
use super::functions::{self, Special};
use super::keyword::{keyword, scan_keyword, Kw};
use super::lexer::{Lexer, Tok};

/// How to read the statement's tokens.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScanOptions {
    /// A `SET` statement: `:=` at the top level is the assignment of the SET itself, not an
    /// `@x :=` inside an expression.
    pub set_statement: bool,
    /// A stored-program definition or compound statement: `;` separates statements of its body,
    /// not statements of the text.
    pub inner_semicolons: bool,
    /// The statement starts with `WITH`: names before `(` in its CTE list are not calls.
    pub with_head: bool,
}

/// What the scan found. Every field is a fact about some token; none is a routing decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE` anywhere.
    pub locking: bool,
    /// `INTO` anywhere (`SELECT … INTO @v|OUTFILE|DUMPFILE`, `INSERT INTO`).
    pub into: bool,
    /// `:=` inside an expression.
    pub assign: bool,
    /// A call of a function that is neither built-in read-only nor configured read-only.
    pub unknown_function: bool,
    /// `NEXTVAL`, `SETVAL`, `LASTVAL`, `NEXT VALUE FOR`, `PREVIOUS VALUE FOR`, `s.NEXTVAL`.
    pub sequence: bool,
    /// `GET_LOCK`, `RELEASE_LOCK`, `RELEASE_ALL_LOCKS`, `IS_FREE_LOCK`, `IS_USED_LOCK`.
    pub lock_function: bool,
    /// A function or system variable whose value depends on the server or connection.
    pub server_state: bool,
    /// A replication wait function.
    pub replication_wait: bool,
    /// `INSERT`/`UPDATE`/`DELETE`/`REPLACE` used as a statement (not `FOR UPDATE`, not the
    /// `INSERT(`/`REPLACE(` string functions, not a column after `.`).
    pub dml: bool,
    /// `RETURNING` at the top level.
    pub returning: bool,
    /// `SQL_CALC_FOUND_ROWS`.
    pub calc_found_rows: bool,
    /// A second statement follows a `;`.
    pub multi_statement: bool,
    /// Same-connection needs found.
    pub same_connection: SameConnection,
    /// Pins started by functions, assignments or `INTO @v`.
    pub pins: Pins,
    /// Pins possibly ended by functions.
    pub unpins: Pins,
}

/// Scans every remaining token of `lex` (normally the whole text).
pub(crate) fn scan(lex: &mut Lexer<'_>, cfg: &ClassifierConfig, opts: ScanOptions) -> Facts {
    let mut s = Scanner {
        cfg,
        opts,
        facts: Facts::default(),
        depth: 0,
        cte_list: opts.with_head,
    };
    let mut prev2: Option<Tok<'_>> = None;
    let mut prev: Option<Tok<'_>> = None;
    let mut after_semicolon = false;
    let mut next = lex.next_token();
    while let Some(tok) = next {
        next = lex.next_token();
        if after_semicolon && !tok.is(b';') {
            s.facts.multi_statement = true;
            after_semicolon = false;
        }
        match tok {
            Tok::Punct(b'(') => {
                if s.cte_list && s.depth == 0 && prev.is_some_and(|p| p.is(b')')) {
                    s.cte_list = false;
                }
                s.depth = s.depth.saturating_add(1);
            }
            Tok::Punct(b')') => s.depth = s.depth.saturating_sub(1),
            Tok::Punct(b';') if !s.opts.inner_semicolons => {
                after_semicolon = true;
                s.depth = 0;
                s.cte_list = false;
                s.opts.set_statement = false;
            }
            Tok::Assign if !(s.opts.set_statement && s.depth == 0) => {
                s.facts.assign = true;
                s.facts.pins |= Pins::USER_VARIABLE;
            }
            Tok::SysVar(name) => s.system_variable(name),
            Tok::Word(w) => s.word(w, prev, prev2, next),
            Tok::Quoted(q) => {
                let called = next.is_some_and(|n| n.is(b'('));
                if prev.is_some_and(|p| p.is(b'.')) {
                    s.qualified(q, prev2, called);
                } else if called {
                    s.call(q, prev, prev2, false);
                }
            }
            _ => {}
        }
        prev2 = prev;
        prev = Some(tok);
    }
    s.facts
}

struct Scanner<'c> {
    cfg: &'c ClassifierConfig,
    opts: ScanOptions,
    facts: Facts,
    depth: u32,
    /// Inside the CTE list of a leading `WITH` (before its main statement).
    cte_list: bool,
}

/// The keyword of a word token (for the rarer looks at neighbours).
fn word_kw(tok: Option<Tok<'_>>) -> Kw {
    match tok {
        Some(Tok::Word(w)) => keyword(w),
        _ => Kw::Other,
    }
}

impl Scanner<'_> {
    fn word(
        &mut self,
        w: &[u8],
        prev: Option<Tok<'_>>,
        prev2: Option<Tok<'_>>,
        next: Option<Tok<'_>>,
    ) {
        let called = next.is_some_and(|n| n.is(b'('));
        if prev.is_some_and(|p| p.is(b'.')) {
            self.qualified(w, prev2, called);
            return;
        }
        let kw = scan_keyword(w);
        if called {
            self.call(w, prev, prev2, true);
        }
        match kw {
            Kw::For if matches!(word_kw(next), Kw::Update | Kw::Share) => self.facts.locking = true,
            Kw::Lock if word_kw(next) == Kw::In => self.facts.locking = true,
            Kw::Into => {
                self.facts.into = true;
                if matches!(next, Some(Tok::UserVar(_))) {
                    self.facts.pins |= Pins::USER_VARIABLE;
                }
            }
            Kw::Next if word_kw(next) == Kw::Value => self.facts.sequence = true,
            Kw::Previous if word_kw(next) == Kw::Value => {
                self.facts.sequence = true;
                self.facts.same_connection |= SameConnection::SEQUENCE;
            }
            Kw::Insert | Kw::Update | Kw::Delete | Kw::Replace
                if !called && word_kw(prev) != Kw::For =>
            {
                self.facts.dml = true;
                self.end_cte_list();
            }
            Kw::Select | Kw::Table | Kw::Values => self.end_cte_list(),
            Kw::Returning if self.depth == 0 => self.facts.returning = true,
            Kw::SqlCalcFoundRows => self.facts.calc_found_rows = true,
            _ => {}
        }
    }

    fn end_cte_list(&mut self) {
        if self.depth == 0 {
            self.cte_list = false;
        }
    }

    /// A word after `.`: a column or table name, `seq.NEXTVAL`, or a qualified call `db.f(`.
    fn qualified(&mut self, w: &[u8], schema: Option<Tok<'_>>, called: bool) {
        if called {
            let schema = match schema {
                Some(Tok::Word(s) | Tok::Quoted(s)) => Some(s),
                _ => None,
            };
            if !self.cfg.is_read_only_function(schema, w) {
                self.facts.unknown_function = true;
            }
        } else if w.eq_ignore_ascii_case(b"NEXTVAL") {
            self.facts.sequence = true;
        } else if w.eq_ignore_ascii_case(b"CURRVAL") {
            self.facts.sequence = true;
            self.facts.same_connection |= SameConnection::SEQUENCE;
        }
    }

    /// `name (` where `name` is not after a `.`; `prev` and `prev2` are the tokens before it. `bare` is false for a backtick-quoted name,
    /// which never names a built-in or a keyword.
    fn call(&mut self, name: &[u8], prev: Option<Tok<'_>>, prev2: Option<Tok<'_>>, bare: bool) {
        let mut buf = [0u8; 64];
        let upper = if bare {
            functions::upper(name, &mut buf)
        } else {
            None
        };
        // Special functions count wherever they appear, even where the name could be a column
        // list: erring towards the primary is safe.
        if let Some(special) = upper.and_then(functions::special) {
            self.special(special);
            return;
        }
        let not_a_call = match prev {
            Some(Tok::Punct(b')')) => true,
            // `EXPLAIN FORMAT = TREE (SELECT …)`
            Some(Tok::Punct(b'=')) => word_kw(prev2) == Kw::Format,
            Some(Tok::Punct(b',')) => self.cte_list && self.depth == 0,
            Some(Tok::Word(p)) => matches!(keyword(p), Kw::As | Kw::With | Kw::Recursive),
            _ => false,
        };
        if not_a_call
            || upper
                .is_some_and(|up| functions::is_read_only_builtin(up) || functions::is_not_call(up))
            || self.cfg.is_read_only_function(None, name)
        {
            return;
        }
        self.facts.unknown_function = true;
    }

    fn special(&mut self, special: Special) {
        let f = &mut self.facts;
        match special {
            Special::LastInsertId => f.same_connection |= SameConnection::LAST_INSERT_ID,
            Special::FoundRows => f.same_connection |= SameConnection::FOUND_ROWS,
            Special::RowCount => f.same_connection |= SameConnection::ROW_COUNT,
            Special::GetLock => {
                f.lock_function = true;
                f.pins |= Pins::USER_LOCK;
            }
            Special::ReleaseLock => {
                f.lock_function = true;
                f.unpins |= Pins::USER_LOCK;
            }
            Special::LockQuery => f.lock_function = true,
            Special::Sequence => f.sequence = true,
            Special::LastSequenceValue => {
                f.sequence = true;
                f.same_connection |= SameConnection::SEQUENCE;
            }
            Special::ServerState => f.server_state = true,
            Special::ReplicationWait => f.replication_wait = true,
        }
    }

    /// `@@name` / `@@scope.name` read or assigned anywhere.
    fn system_variable(&mut self, raw: &[u8]) {
        let (_, name) = super::set::split_system_variable(raw);
        let mut buf = [0u8; 64];
        let Some(up) = functions::upper(name, &mut buf) else {
            return;
        };
        match up {
            b"LAST_INSERT_ID" | b"IDENTITY" => {
                self.facts.same_connection |= SameConnection::LAST_INSERT_ID
            }
            b"WARNING_COUNT" | b"ERROR_COUNT" => {
                self.facts.same_connection |= SameConnection::DIAGNOSTICS
            }
            b"LAST_GTID" => self.facts.same_connection |= SameConnection::LAST_GTID,
            b"READ_ONLY" | b"SUPER_READ_ONLY" | b"INNODB_READ_ONLY" | b"GTID_EXECUTED"
            | b"GTID_PURGED" | b"GTID_BINLOG_POS" | b"GTID_BINLOG_STATE" | b"GTID_CURRENT_POS" => {
                self.facts.server_state = true
            }
            _ => {}
        }
    }
}
