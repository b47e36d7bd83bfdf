//! What a `SET` statement is, for the classifier: an assignment list (and which session state it
//! changes), `SET [GLOBAL|SESSION] TRANSACTION`, `SET PASSWORD`/`SET DEFAULT ROLE`, `SET ROLE`/
//! `SET RESOURCE GROUP`, MariaDB `SET STATEMENT … FOR …`, or sluice's own
//! `SET sluice_consistency = …`.
//!
//! Owns these forms and the list of variables known to have a session value. It must not decide
//! routing beyond naming the reason a SET needs the primary, and must not interpret values beyond
//! `autocommit`'s.
//!
//! An unqualified `SET var = …` (or `@@var`) of a variable not in [`SESSION_VARIABLES`] is sent to
//! the primary: MariaDB applies an unqualified SET of a global-only variable to the global value.

use super::effects::{
    Autocommit, SessionChanges, SetTransaction, TransactionAccess, TransactionScope,
};
use super::flags::Pins;
use super::functions::upper;
use super::keyword::{keyword, Kw};
use super::lexer::{Lexer, Tok};
use super::route::PrimaryReason;
use super::set::{Assignment, SetList, SetTarget, VarScope};

/// Variables known to have a session value (upper case, sorted): an unqualified SET of one of
/// these changes only the session.
#[rustfmt::skip]
pub(crate) const SESSION_VARIABLES: &[&str] = &[
    "AUTOCOMMIT", "AUTO_INCREMENT_INCREMENT", "AUTO_INCREMENT_OFFSET", "BIG_TABLES",
    "BINLOG_FORMAT", "BINLOG_ROW_IMAGE", "BLOCK_ENCRYPTION_MODE", "BULK_INSERT_BUFFER_SIZE",
    "CHARACTER_SET_CLIENT", "CHARACTER_SET_COLLATIONS", "CHARACTER_SET_CONNECTION",
    "CHARACTER_SET_DATABASE", "CHARACTER_SET_FILESYSTEM", "CHARACTER_SET_RESULTS",
    "CHARACTER_SET_SERVER", "CHECK_CONSTRAINT_CHECKS", "COLLATION_CONNECTION", "COLLATION_DATABASE",
    "COLLATION_FOR_UTF8MB4", "COLLATION_SERVER", "COMPLETION_TYPE", "CTE_MAX_RECURSION_DEPTH",
    "DEFAULT_COLLATION_FOR_UTF8MB4", "DEFAULT_STORAGE_ENGINE", "DEFAULT_TMP_STORAGE_ENGINE",
    "DEFAULT_WEEK_FORMAT", "DIV_PRECISION_INCREMENT", "END_MARKERS_IN_JSON",
    "EQ_RANGE_INDEX_DIVE_LIMIT", "EXPLICIT_DEFAULTS_FOR_TIMESTAMP", "FOREIGN_KEY_CHECKS",
    "GROUP_CONCAT_MAX_LEN", "HISTOGRAM_GENERATION_MAX_MEM_SIZE", "IDENTITY",
    "INFORMATION_SCHEMA_STATS_EXPIRY", "INNODB_LOCK_WAIT_TIMEOUT", "INNODB_STRICT_MODE",
    "INSERT_ID", "INTERACTIVE_TIMEOUT", "INTERNAL_TMP_MEM_STORAGE_ENGINE", "JOIN_BUFFER_SIZE",
    "JOIN_CACHE_LEVEL", "LAST_INSERT_ID", "LC_MESSAGES", "LC_TIME_NAMES", "LOCK_WAIT_TIMEOUT",
    "LONG_QUERY_TIME", "LOW_PRIORITY_UPDATES", "MAX_ERROR_COUNT", "MAX_EXECUTION_TIME",
    "MAX_HEAP_TABLE_SIZE", "MAX_INSERT_DELAYED_THREADS", "MAX_JOIN_SIZE",
    "MAX_LENGTH_FOR_SORT_DATA", "MAX_POINTS_IN_GEOMETRY", "MAX_RECURSIVE_ITERATIONS",
    "MAX_SEEKS_FOR_KEY", "MAX_SORT_LENGTH", "MAX_SP_RECURSION_DEPTH", "MAX_STATEMENT_TIME",
    "NET_BUFFER_LENGTH", "NET_READ_TIMEOUT", "NET_RETRY_COUNT", "NET_WRITE_TIMEOUT",
    "OLD_ALTER_TABLE", "OPTIMIZER_PRUNE_LEVEL", "OPTIMIZER_SEARCH_DEPTH", "OPTIMIZER_SWITCH",
    "OPTIMIZER_TRACE", "OPTIMIZER_TRACE_FEATURES", "OPTIMIZER_TRACE_LIMIT",
    "OPTIMIZER_TRACE_MAX_MEM_SIZE", "OPTIMIZER_TRACE_OFFSET", "OPTIMIZER_USE_CONDITION_SELECTIVITY",
    "PROFILING", "PROFILING_HISTORY_SIZE", "PSEUDO_THREAD_ID", "QUERY_CACHE_TYPE", "RAND_SEED1",
    "RAND_SEED2", "RANGE_OPTIMIZER_MAX_MEM_SIZE", "READ_BUFFER_SIZE", "READ_RND_BUFFER_SIZE",
    "REQUIRE_ROW_FORMAT", "RESULTSET_METADATA", "SELECT_INTO_BUFFER_SIZE", "SESSION_TRACK_GTIDS",
    "SESSION_TRACK_SCHEMA", "SESSION_TRACK_STATE_CHANGE", "SESSION_TRACK_SYSTEM_VARIABLES",
    "SESSION_TRACK_TRANSACTION_INFO", "SKIP_REPLICATION", "SORT_BUFFER_SIZE", "SQL_AUTO_IS_NULL",
    "SQL_BIG_SELECTS", "SQL_BUFFER_RESULT", "SQL_GENERATE_INVISIBLE_PRIMARY_KEY", "SQL_IF_EXISTS",
    "SQL_LOG_BIN", "SQL_LOG_OFF", "SQL_MODE", "SQL_NOTES", "SQL_QUOTE_SHOW_CREATE",
    "SQL_REQUIRE_PRIMARY_KEY", "SQL_SAFE_UPDATES", "SQL_SELECT_LIMIT", "SQL_WARNINGS",
    "SYSTEM_VERSIONING_ASOF", "TIMESTAMP", "TIME_ZONE", "TMP_TABLE_SIZE",
    "TRANSACTION_ALLOC_BLOCK_SIZE", "TRANSACTION_ISOLATION", "TRANSACTION_PREALLOC_SIZE",
    "TRANSACTION_READ_ONLY", "TX_ISOLATION", "TX_READ_ONLY", "UNIQUE_CHECKS",
    "UPDATABLE_VIEWS_WITH_LIMIT", "USE_SECONDARY_ENGINE", "WAIT_TIMEOUT",
    "WINDOWING_USE_HIGH_PRECISION",
];

fn is_session_variable(name: &[u8]) -> bool {
    let mut buf = [0u8; 64];
    upper(name, &mut buf).is_some_and(|up| {
        SESSION_VARIABLES
            .binary_search_by(|probe| probe.as_bytes().cmp(up))
            .is_ok()
    })
}

/// What a `SET` statement is, for the classifier.
#[derive(Debug, Clone)]
pub(crate) enum SetForm<'a> {
    /// An assignment list.
    Assignments {
        session: SessionChanges<'a>,
        /// Why it needs the primary, if it does.
        reason: Option<PrimaryReason>,
        pins: Pins,
    },
    /// `SET [scope] TRANSACTION …`.
    Transaction(SetTransaction),
    /// `SET PASSWORD …`, `SET DEFAULT ROLE …`.
    Account,
    /// `SET ROLE …`, `SET RESOURCE GROUP …`.
    SessionState,
    /// MariaDB `SET STATEMENT … FOR <statement>`: a lexer just after `FOR`.
    Statement(Lexer<'a>),
    /// `SET sluice_consistency = value`.
    Sluice(&'a [u8]),
}

/// Reads a `SET` statement; `after_set` is just past the `SET` keyword.
pub(crate) fn parse_set<'a>(after_set: &Lexer<'a>) -> SetForm<'a> {
    let mut look = after_set.quiet();
    let first = look.next_token();
    let second_kw = {
        let mut l = look.clone();
        match l.next_token() {
            Some(Tok::Word(w)) => keyword(w),
            _ => Kw::Other,
        }
    };
    if let Some(Tok::Word(w)) = first {
        let scope = match (keyword(w), second_kw) {
            (Kw::Transaction, _) => Some(TransactionScope::Next),
            (Kw::Session | Kw::Local, Kw::Transaction) => Some(TransactionScope::Session),
            (Kw::Global, Kw::Transaction) => Some(TransactionScope::Global),
            (Kw::Password, _) | (Kw::Default, Kw::Role) => return SetForm::Account,
            (Kw::Role, _) | (Kw::Resource, _) => return SetForm::SessionState,
            (Kw::Statement, _) => {
                if let Some(inner) = after_for(look.clone()) {
                    return SetForm::Statement(inner);
                }
                None
            }
            _ => None,
        };
        if let Some(scope) = scope {
            return SetForm::Transaction(set_transaction(look, scope));
        }
    }
    assignments_form(SetList::at(after_set))
}

/// The lexer just after the top-level `FOR` of `SET STATEMENT … FOR`.
fn after_for(mut lex: Lexer<'_>) -> Option<Lexer<'_>> {
    let mut depth = 0u32;
    while let Some(tok) = lex.next_token() {
        match tok {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') => depth = depth.saturating_sub(1),
            Tok::Word(w) if depth == 0 && keyword(w) == Kw::For => return Some(lex),
            _ => {}
        }
    }
    None
}

fn set_transaction(mut lex: Lexer<'_>, scope: TransactionScope) -> SetTransaction {
    if scope != TransactionScope::Next {
        lex.next_token(); // TRANSACTION
    }
    let mut st = SetTransaction {
        scope,
        access: TransactionAccess::Default,
        isolation: false,
    };
    let mut prev_read = false;
    while let Some(tok) = lex.next_token() {
        let kw = match tok {
            Tok::Word(w) => keyword(w),
            _ => Kw::Other,
        };
        match kw {
            Kw::Only if prev_read => st.access = TransactionAccess::ReadOnly,
            Kw::Write if prev_read => st.access = TransactionAccess::ReadWrite,
            Kw::Other if matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(b"ISOLATION")) => {
                st.isolation = true
            }
            _ => {}
        }
        prev_read = kw == Kw::Read;
    }
    st
}

/// `SET [SESSION|LOCAL] sluice_consistency = v` as the only assignment, with a one-token
/// value: the value without quotes.
fn sluice_consistency(only: Assignment<'_>) -> Option<&[u8]> {
    let SetTarget::System { scope, name } = only.target else {
        return None;
    };
    if !matches!(scope, VarScope::Default | VarScope::Session)
        || !name.eq_ignore_ascii_case(b"sluice_consistency")
    {
        return None;
    }
    let mut lex = Lexer::new(only.value).quiet();
    match (lex.next_token(), lex.next_token()) {
        (Some(Tok::Str(v) | Tok::Word(v)), None) => Some(v),
        _ => None,
    }
}

fn assignments_form(list: SetList<'_>) -> SetForm<'_> {
    let mut s = SessionChanges {
        set: Some(list),
        ..SessionChanges::default()
    };
    let mut unknown = false;
    let mut maybe_global = false;
    let mut first = None;
    for (i, a) in list.assignments().enumerate() {
        first = if i == 0 { Some(a) } else { None };
        match a.target {
            SetTarget::Names => s.names = true,
            SetTarget::CharacterSet => s.character_set = true,
            SetTarget::User(_) => s.user_variables = true,
            SetTarget::Unknown => unknown = true,
            SetTarget::System { scope, name } => {
                if scope.is_global() {
                    s.global_variables = true;
                    continue;
                }
                s.session_variables = true;
                if scope == VarScope::Default && !is_session_variable(name) {
                    maybe_global = true;
                }
                if name.eq_ignore_ascii_case(b"autocommit") {
                    s.autocommit = Some(autocommit_value(a.value));
                }
            }
        }
    }
    if let Some(value) = first.and_then(sluice_consistency) {
        return SetForm::Sluice(value);
    }
    let reason = if unknown {
        Some(PrimaryReason::Unknown)
    } else if s.global_variables || maybe_global {
        Some(PrimaryReason::SetGlobal)
    } else if s.user_variables {
        Some(PrimaryReason::UserVariableAssignment)
    } else if s.autocommit.is_some() {
        Some(PrimaryReason::Transaction)
    } else {
        None
    };
    let pins = if s.user_variables {
        Pins::USER_VARIABLE
    } else {
        Pins::empty()
    };
    SetForm::Assignments {
        session: s,
        reason,
        pins,
    }
}

fn autocommit_value(value: &[u8]) -> Autocommit {
    let mut lex = Lexer::new(value).quiet();
    let v = match (lex.next_token(), lex.next_token()) {
        (Some(Tok::Word(v) | Tok::Number(v) | Tok::Str(v)), None) => v,
        _ => return Autocommit::Other,
    };
    if v == b"1" || v.eq_ignore_ascii_case(b"ON") || v.eq_ignore_ascii_case(b"TRUE") {
        Autocommit::On
    } else if v == b"0" || v.eq_ignore_ascii_case(b"OFF") || v.eq_ignore_ascii_case(b"FALSE") {
        Autocommit::Off
    } else {
        Autocommit::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_variables_list_is_sorted() {
        for pair in SESSION_VARIABLES.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
        assert!(is_session_variable(b"sql_mode"));
        assert!(!is_session_variable(b"read_only"));
    }

    #[test]
    fn autocommit_values() {
        assert_eq!(autocommit_value(b"1"), Autocommit::On);
        assert_eq!(autocommit_value(b"'off'"), Autocommit::Off);
        assert_eq!(autocommit_value(b"FALSE"), Autocommit::Off);
        assert_eq!(autocommit_value(b"@x"), Autocommit::Other);
        assert_eq!(autocommit_value(b"1 + 0"), Autocommit::Other);
    }
}
