//! [`StatementKind`]: what a statement is, by its first keywords.
//!
//! Owns the kinds and their labels. It must not carry routing: a kind says what the statement is,
//! [`super::Route`] says where it may run.

/// What a statement is, by its first keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// Nothing but whitespace, comments and `;`.
    Empty,
    /// `SELECT …` or a parenthesized query.
    Select,
    /// `WITH … <statement>`.
    With,
    /// `TABLE t` (MySQL 8).
    Table,
    /// `VALUES ROW(…)` / `VALUES (…)`.
    Values,
    /// `SHOW …`.
    Show,
    /// `DESCRIBE t`, `DESC t`, `EXPLAIN t` (table form).
    Describe,
    /// `EXPLAIN`/`DESCRIBE`/`ANALYZE` of a statement.
    Explain,
    /// `DO expr, …`.
    Do,
    /// `HANDLER …`.
    Handler,
    /// `INSERT`.
    Insert,
    /// `REPLACE`.
    Replace,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CALL`.
    Call,
    /// `LOAD DATA`, `LOAD XML`.
    Load,
    /// `CREATE`, `ALTER`, `DROP`, `RENAME`, `TRUNCATE`.
    Ddl,
    /// `GRANT`, `REVOKE`, `SET PASSWORD`, `SET DEFAULT ROLE`.
    Account,
    /// `SET …` (variables, `NAMES`, `CHARACTER SET`, `TRANSACTION`, `ROLE`, …).
    Set,
    /// `USE db`.
    Use,
    /// `BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK`, savepoints, `XA`.
    Transaction,
    /// `LOCK TABLES`, `LOCK INSTANCE FOR BACKUP`, MariaDB `BACKUP STAGE`/`BACKUP LOCK`.
    Lock,
    /// `UNLOCK TABLES`, `UNLOCK INSTANCE`, `BACKUP UNLOCK`.
    Unlock,
    /// `FLUSH …`.
    Flush,
    /// `PREPARE s FROM …`.
    Prepare,
    /// `EXECUTE s`, `EXECUTE IMMEDIATE`.
    Execute,
    /// `DEALLOCATE PREPARE s`, `DROP PREPARE s`.
    Deallocate,
    /// `GET DIAGNOSTICS`.
    GetDiagnostics,
    /// `HELP 'topic'`.
    Help,
    /// `KILL`, `RESET`, `PURGE`, `ANALYZE TABLE`, replication control, …
    Admin,
    /// `BEGIN NOT ATOMIC … END`.
    Compound,
    /// A statement sluice answers itself.
    Sluice,
    /// A first keyword sluice does not know.
    Unknown,
}

impl StatementKind {
    /// A snake_case label for counters and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Empty => "empty",
            StatementKind::Select => "select",
            StatementKind::With => "with",
            StatementKind::Table => "table",
            StatementKind::Values => "values",
            StatementKind::Show => "show",
            StatementKind::Describe => "describe",
            StatementKind::Explain => "explain",
            StatementKind::Do => "do",
            StatementKind::Handler => "handler",
            StatementKind::Insert => "insert",
            StatementKind::Replace => "replace",
            StatementKind::Update => "update",
            StatementKind::Delete => "delete",
            StatementKind::Call => "call",
            StatementKind::Load => "load",
            StatementKind::Ddl => "ddl",
            StatementKind::Account => "account",
            StatementKind::Set => "set",
            StatementKind::Use => "use",
            StatementKind::Transaction => "transaction",
            StatementKind::Lock => "lock",
            StatementKind::Unlock => "unlock",
            StatementKind::Flush => "flush",
            StatementKind::Prepare => "prepare",
            StatementKind::Execute => "execute",
            StatementKind::Deallocate => "deallocate",
            StatementKind::GetDiagnostics => "get_diagnostics",
            StatementKind::Help => "help",
            StatementKind::Admin => "admin",
            StatementKind::Compound => "compound",
            StatementKind::Sluice => "sluice",
            StatementKind::Unknown => "unknown",
        }
    }
}
