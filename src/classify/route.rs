//! Where a statement may run ([`Route`]) and, when only the primary will do, why
//! ([`PrimaryReason`], one value per statement, usable as a counter label).
//!
//! Owns these two types and their labels. It must not decide which statement gets which value:
//! that is [`super::classification`].

use std::fmt;

/// Where a statement may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// A read that is safe on a replica (the router may still choose the primary, e.g. when no
    /// replica is fresh enough).
    Replica,
    /// Only the primary may run it.
    Primary(PrimaryReason),
    /// sluice answers the statement itself (see [`super::SluiceCommand`]); no backend sees it.
    Sluice,
}

impl Route {
    /// True for [`Route::Replica`].
    pub fn is_replica(self) -> bool {
        self == Route::Replica
    }

    /// The reason when the route is the primary.
    pub fn primary_reason(self) -> Option<PrimaryReason> {
        match self {
            Route::Primary(r) => Some(r),
            _ => None,
        }
    }
}

macro_rules! reasons {
    ($( $(#[$doc:meta])* $name:ident = $label:literal, )*) => {
        /// Why a statement must run on the primary. When several reasons apply, the classifier
        /// reports the first in this order: `Unparseable`, `MultiStatement`, the statement's own
        /// kind (`Write`, `Ddl`, …), then what its expressions do (`LockingRead`, `SelectInto`, …),
        /// and `Hint` only when nothing else applies.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PrimaryReason {
            $( $(#[$doc])* $name, )*
        }

        impl PrimaryReason {
            /// Every reason, in declaration order (`ALL[r.index()] == r`).
            pub const ALL: &'static [PrimaryReason] = &[ $( PrimaryReason::$name, )* ];

            /// A snake_case label for counters and logs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( PrimaryReason::$name => $label, )*
                }
            }

            /// A dense index, `0..ALL.len()`, for counter arrays.
            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

reasons! {
    /// `INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `LOAD DATA`, or DML where a read was expected.
    Write = "write",
    /// `INSERT … RETURNING`, `REPLACE … RETURNING`, `DELETE … RETURNING`.
    Returning = "returning",
    /// `CREATE`, `ALTER`, `DROP`, `RENAME`, `TRUNCATE`, `GRANT`, `REVOKE`, account statements.
    Ddl = "ddl",
    /// `CALL`.
    Call = "call",
    /// A compound statement (`BEGIN NOT ATOMIC … END`).
    CompoundStatement = "compound_statement",
    /// `FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`, anywhere in the statement.
    LockingRead = "locking_read",
    /// `SELECT … INTO @v|OUTFILE|DUMPFILE`.
    SelectInto = "select_into",
    /// `SET @x = …`, `SELECT @x := …`.
    UserVariableAssignment = "user_variable_assignment",
    /// A call of a function that is not a known read-only built-in nor configured read-only:
    /// a stored function or UDF may write.
    StoredOrUnknownFunction = "stored_or_unknown_function",
    /// Sequence functions (`NEXTVAL`, `NEXT VALUE FOR`, `SETVAL`, `LASTVAL`, …).
    Sequence = "sequence",
    /// Must run on the previous statement's connection (`LAST_INSERT_ID()`, `FOUND_ROWS()`,
    /// `ROW_COUNT()`, `SHOW WARNINGS`, …); the primary is the fallback when that connection is
    /// gone.
    SameConnection = "same_connection",
    /// The answer depends on the server or connection (`CONNECTION_ID()`, `UUID_SHORT()`,
    /// `LOAD_FILE()`, `@@read_only`, `@@gtid_executed`, `SHOW PROCESSLIST`, `SHOW STATUS`, …).
    ServerState = "server_state",
    /// A replication wait (`MASTER_GTID_WAIT`, `WAIT_FOR_EXECUTED_GTID_SET`, …).
    ReplicationWait = "replication_wait",
    /// User locks (`GET_LOCK` and friends), `LOCK`/`UNLOCK TABLES`, `FLUSH … WITH READ LOCK`,
    /// backup locks.
    Lock = "lock",
    /// `CREATE TEMPORARY TABLE`, `DROP TEMPORARY TABLE`.
    TemporaryTable = "temporary_table",
    /// Text-protocol `PREPARE`, `EXECUTE`, `DEALLOCATE PREPARE`.
    PreparedStatement = "prepared_statement",
    /// `HANDLER … OPEN|READ|CLOSE`.
    Handler = "handler",
    /// More than one statement in the text.
    MultiStatement = "multi_statement",
    /// `EXPLAIN`/`DESCRIBE`/`ANALYZE` of an `INSERT`, `UPDATE`, `DELETE` or `REPLACE`.
    ExplainOfDml = "explain_of_dml",
    /// A `WITH` whose main statement is DML.
    WithAroundDml = "with_around_dml",
    /// `SHOW MASTER STATUS`, `SHOW BINARY LOG STATUS`, `SHOW BINLOG EVENTS`, `SHOW REPLICAS`,
    /// `SHOW REPLICA STATUS`, and the other binlog and replication `SHOW`s.
    ShowPrimaryStatus = "show_primary_status",
    /// `SET GLOBAL`, `SET PERSIST`, `SET @@global.`, or an unqualified `SET` of a variable not
    /// known to have a session value (MariaDB then sets the global one).
    SetGlobal = "set_global",
    /// Session state sluice cannot replay on another connection (`SET ROLE`, …).
    SessionState = "session_state",
    /// Transaction control (`BEGIN`, `COMMIT`, `XA`, `SET autocommit`, …).
    Transaction = "transaction",
    /// Administrative statements (`KILL`, `FLUSH`, `RESET`, `PURGE`, `ANALYZE TABLE`,
    /// replication control, plugins, …).
    Admin = "admin",
    /// A `/* sluice: primary */` hint on a statement that could have run on a replica.
    Hint = "hint",
    /// An empty statement (only whitespace, comments or `;`).
    Empty = "empty",
    /// A statement whose first keyword sluice does not know.
    Unknown = "unknown",
    /// Unterminated string, identifier or comment, or a statement that does not parse.
    Unparseable = "unparseable",
}

impl fmt::Display for PrimaryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_all() {
        for (i, r) in PrimaryReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert!(!r.as_str().is_empty());
        }
        assert_eq!(PrimaryReason::Hint.to_string(), "hint");
        assert!(Route::Replica.is_replica());
        assert_eq!(
            Route::Primary(PrimaryReason::Write).primary_reason(),
            Some(PrimaryReason::Write)
        );
        assert_eq!(Route::Sluice.primary_reason(), None);
    }
}
