//! The SQL classifier: from the borrowed bytes of a `COM_QUERY` or `COM_STMT_PREPARE` statement,
//! where it may run (a replica or only the primary, and why), whether it must follow the previous
//! statement's backend connection, which session pins it starts or may end, what session state
//! and transaction control it carries, sluice's own statements, and routing hints.
//!
//! [`classify`] never panics, accepts any bytes (non-UTF-8 included) and does not allocate: the
//! answer borrows the input. Unknown or unparseable text goes to the primary. The module owns SQL
//! recognition only; it must not hold session state or make the final routing choice (the session
//! layer and the router do, using the servers' session-state tracking and status flags as the
//! final word). nom and memchr stay inside it.
//!
//! # Files
//!
//! `lexer` (tokens, comments, executable comments), `hint` (`/* sluice: … */`), `keyword`,
//! `functions` (read-only built-ins, non-call keywords, special functions), `statement` (first
//! keywords), `set` (SET lists), `set_form` (SET statements), `show`, `transaction`, `scan`
//! (facts found anywhere in the text), `classification` (combining them), result types in
//! `route`, `kind`, `flags`, `effects`, `config`, and `fuzz_entry`.
//!
//! # Rules
//!
//! - **Replica**: `SELECT` (also parenthesized, `UNION`, and `WITH` whose main statement is a
//!   query), `TABLE t`, `VALUES …`, `DO …`, `HELP`, most `SHOW`s, `DESCRIBE t`, and
//!   `EXPLAIN`/`DESCRIBE`/`ANALYZE` of a query — as long as nothing below applies anywhere in the
//!   text. Also `USE db`, `SET NAMES`, `SET CHARACTER SET`, `SET SESSION|LOCAL var`,
//!   `SET [SESSION] TRANSACTION …` (session state the session layer replays; safe anywhere), and
//!   `START TRANSACTION READ ONLY` (which may run on one replica, start to end).
//! - **Primary** (with the [`PrimaryReason`]): writes (`INSERT`, `REPLACE`, `UPDATE`, `DELETE`,
//!   `LOAD`; `… RETURNING` as `Returning`), DDL and account statements, `CALL`, compound
//!   statements; locking reads (`FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`, also in
//!   subqueries and CTEs); `INTO` anywhere (`SELECT … INTO @v|OUTFILE|DUMPFILE`, also the trailing
//!   MySQL 8 form); `@x :=`; sequences (`NEXTVAL()`, `NEXT VALUE FOR`, `SETVAL()`, `LASTVAL()`,
//!   `PREVIOUS VALUE FOR`, `s.NEXTVAL`, `s.CURRVAL`); calls of functions that are neither
//!   read-only built-ins nor configured read-only (a stored function or UDF may write; qualified
//!   `db.f(` and quoted `` `f`( `` calls are never built-ins); user-lock functions; replication
//!   waits; server-state functions and variables; multi-statement text (a `;` followed by another
//!   statement; a single trailing `;` is fine); `EXPLAIN` and `WITH` around DML; binlog and
//!   replication `SHOW`s; `SET GLOBAL|PERSIST|PERSIST_ONLY`, `@@global.`; transaction control
//!   (`BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK`, savepoints, `XA`, `SET autocommit`);
//!   locks, temporary tables, text-protocol prepared statements, `HANDLER`; administrative
//!   statements; unknown first keywords; unterminated strings, identifiers or comments.
//! - **Same connection** ([`SameConnection`]): `LAST_INSERT_ID()`, `@@last_insert_id`,
//!   `@@identity`, `FOUND_ROWS()`, `ROW_COUNT()`, `SHOW WARNINGS|ERRORS|COUNT(*) …|PROFILE[S]`,
//!   `GET DIAGNOSTICS`, `@@warning_count`, `@@error_count`, `LASTVAL()`/`PREVIOUS VALUE FOR`,
//!   `@@last_gtid`.
//!   [`Classification::calc_found_rows`] marks the query whose connection `FOUND_ROWS()` needs.
//! - **Pins** ([`Pins`]): `GET_LOCK`, `LOCK TABLES`, `FLUSH TABLES … WITH READ LOCK|FOR EXPORT`,
//!   backup locks, `CREATE TEMPORARY TABLE`, text `PREPARE`, user-variable assignment (`SET @x`,
//!   `@x :=`, `INTO @x`), `HANDLER … OPEN`, `XA START`, `SET ROLE`; and what may end them:
//!   `RELEASE_LOCK`, `RELEASE_ALL_LOCKS`, `UNLOCK TABLES|INSTANCE`, `DEALLOCATE|DROP PREPARE`,
//!   `DROP [TEMPORARY] TABLE`, `HANDLER … CLOSE`, `XA COMMIT|ROLLBACK`.
//! - **Sluice's own statements** ([`SluiceCommand`]): `SET [SESSION|LOCAL] sluice_consistency = v`
//!   (or `@@[session.]sluice_consistency`, any case, `'v'`, `"v"` or a bare word),
//!   `SELECT @@[session.]sluice_consistency`, `SELECT @@[session.]sluice_last_gtid` (optional
//!   trailing `;`), `SHOW SLUICE <what>`.
//! - **Hints** ([`Hints`]): `/* sluice: primary */`, `/* sluice: replica */`,
//!   `/* sluice: consistency=eventual|session|global */`, `/* sluice: min_gtid=<set> */`, several
//!   items per comment, in any comment form. `primary` moves a replica-safe statement to the
//!   primary ([`PrimaryReason::Hint`]); `replica` moves back to a replica only a read whose sole
//!   reason was an unknown function or server state, never a write, a lock or anything with
//!   effects.
//!
//! # Decisions on ambiguous cases
//!
//! - Executable comments (`/*! */`, `/*!NNNNN */`, `/*M! */`) are always read as SQL, whatever
//!   version they name: the server version is not known here, and more SQL only makes routing
//!   more careful.
//! - `SLEEP`, `BENCHMARK`, `RAND`, `UUID`, `NOW`, `SYSDATE`: replica (read-only; only time or
//!   randomness differ).
//! - `CONNECTION_ID()`, `PS_CURRENT_THREAD_ID()`: primary (`ServerState`). The id is that of a
//!   pooled backend connection, which no routing can keep stable; the primary is at least where
//!   the session's writes and locks are.
//! - `UUID_SHORT()`: primary — unique only within one server's counter. `LOAD_FILE()`: primary —
//!   the file is on the server's host.
//! - `IS_FREE_LOCK()`, `IS_USED_LOCK()`: primary (`Lock`), where user locks are taken; no pin.
//! - `MASTER_POS_WAIT`, `SOURCE_POS_WAIT`, `MASTER_GTID_WAIT`, `WAIT_FOR_EXECUTED_GTID_SET`,
//!   `WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS`: primary (`ReplicationWait`). Which replica would answer
//!   is not the application's choice through sluice; on the primary they return at once, and
//!   sluice's consistency levels give the guarantee these waits are used for.
//! - `@@read_only`, `@@super_read_only`, `@@innodb_read_only`, `@@gtid_executed`,
//!   `@@gtid_purged`, MariaDB `@@gtid_binlog_pos|state`, `@@gtid_current_pos`: primary
//!   (`ServerState`): applications read them to learn about the server they write to. Other
//!   system variables (`@@port`, `@@hostname`, `@@version`, session variables) are read on the
//!   replica that runs the query.
//! - `SHOW [FULL] PROCESSLIST`, `SHOW [GLOBAL|SESSION] STATUS`, `SHOW ENGINE …`: primary
//!   (`ServerState`). `SHOW VARIABLES` and catalogue `SHOW`s: replica.
//! - `HANDLER`: primary, `OPEN` pins, `CLOSE` may unpin; `READ` needs the pinned connection.
//! - `START TRANSACTION READ ONLY`: replica (one replica for the whole transaction; the status
//!   flags keep the session there). `SET autocommit = …`: primary (`Transaction`).
//! - An unqualified `SET var = …` of a variable not known to have a session value: primary
//!   (`SetGlobal`), because MariaDB applies it to the global value when the variable has no
//!   session value. `SET STATEMENT … FOR s` (MariaDB) is classified as `s`.
//! - Stored-program definitions (`CREATE`/`ALTER … BEGIN … END`) and `BEGIN NOT ATOMIC` keep
//!   their inner `;`s: they are never reported as multi-statement text.
//! - Strings are read with backslash escapes (default `sql_mode`); under `NO_BACKSLASH_ESCAPES` a
//!   string ending in `\` reads as unterminated: primary.
//! - A derived-table or CTE column list (`AS dt (a, b)`, `WITH c (a) AS`) is not a call; a name
//!   before `(` right after `)` is taken as such a list too.
//! - In a multi-statement text, the pins and same-connection needs of every statement are
//!   reported (found by the scan); the other effects are those of the first statement only.

mod classification;
mod config;
mod effects;
mod flags;
mod functions;
/// Entry points for the `classify` fuzz target and the corpus replay test: never panic.
pub mod fuzz_entry;
mod hint;
mod keyword;
mod kind;
mod lexer;
mod route;
mod scan;
mod set;
mod set_form;
mod show;
mod statement;
mod transaction;

#[cfg(test)]
mod tests;

pub use classification::Classification;
pub use config::ClassifierConfig;
pub use effects::{
    Autocommit, Ident, SessionChanges, SetTransaction, SluiceCommand, TransactionAccess,
    TransactionControl, TransactionScope, XaVerb,
};
pub use flags::{Pins, SameConnection};
pub use hint::{Hints, RouteHint};
pub use kind::StatementKind;
pub use route::{PrimaryReason, Route};
pub use set::{Assignment, Assignments, SetList, SetTarget, VarScope};

/// Classifies one SQL statement text (the payload of `COM_QUERY` or `COM_STMT_PREPARE` after the
/// command byte). Never panics; does not allocate; the answer borrows `sql`.
pub fn classify<'a>(sql: &'a [u8], cfg: &ClassifierConfig) -> Classification<'a> {
    let mut lex = lexer::Lexer::new(sql);
    let head = statement::head(lex.quiet(), 0);
    let facts = scan::scan(&mut lex, cfg, head.scan);
    classification::finish(head, facts, lex.hints(), lex.failed())
}
