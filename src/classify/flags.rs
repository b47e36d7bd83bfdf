//! Small copyable bit sets used in a [`Classification`](super::Classification): which session pins
//! a statement starts or may end ([`Pins`]) and why it must follow the previous statement's
//! backend connection ([`SameConnection`]).
//!
//! Owns only the set types and their named members. It must not decide which statement sets which
//! bit: that is the scanner's and the statement parsers' job.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

macro_rules! flag_set {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $flag:ident = $bit:expr, $label:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u16);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: Self = Self(1 << $bit); )*

            /// Every member with its lower-case label, in bit order (for counters and logs).
            pub const ALL: &'static [(Self, &'static str)] = &[ $( (Self::$flag, $label), )* ];

            /// The empty set.
            pub const fn empty() -> Self {
                Self(0)
            }

            /// True when no member is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// True when every member of `other` is set here.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// True when at least one member of `other` is set here.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }

            /// The labels of the members that are set, in bit order.
            pub fn labels(self) -> impl Iterator<Item = &'static str> {
                Self::ALL
                    .iter()
                    .filter(move |(flag, _)| self.contains(*flag))
                    .map(|(_, label)| *label)
            }
        }

        impl BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.labels()).finish()
            }
        }
    };
}

flag_set! {
    /// Session state that ties a client session to one backend connection. In
    /// [`Classification::pins`](super::Classification::pins): the statement creates such state (the
    /// session must stay on the connection that ran it). In
    /// [`Classification::unpins`](super::Classification::unpins): the statement may release it (the
    /// session layer decides, e.g. from the server's session-state tracking, whether anything is
    /// left).
    Pins {
        /// `GET_LOCK()` / `RELEASE_LOCK()`, `RELEASE_ALL_LOCKS()`.
        USER_LOCK = 0, "user_lock";
        /// `LOCK TABLES`, `FLUSH TABLES t WITH READ LOCK`, `FLUSH TABLES t FOR EXPORT` / `UNLOCK TABLES`.
        TABLE_LOCK = 1, "table_lock";
        /// `FLUSH TABLES WITH READ LOCK` (all tables) / `UNLOCK TABLES`.
        GLOBAL_READ_LOCK = 2, "global_read_lock";
        /// `LOCK INSTANCE FOR BACKUP`, MariaDB `BACKUP STAGE` / `BACKUP LOCK` / their unlocks.
        BACKUP_LOCK = 3, "backup_lock";
        /// `CREATE TEMPORARY TABLE` / `DROP [TEMPORARY] TABLE`.
        TEMPORARY_TABLE = 4, "temporary_table";
        /// Text-protocol `PREPARE` / `DEALLOCATE PREPARE`, `DROP PREPARE`.
        PREPARED_STATEMENT = 5, "prepared_statement";
        /// A user variable assigned (`SET @x`, `SELECT @x := …`, `SELECT … INTO @x`). Never released.
        USER_VARIABLE = 6, "user_variable";
        /// `HANDLER t OPEN` / `HANDLER t CLOSE`.
        HANDLER = 7, "handler";
        /// `XA START` / `XA COMMIT`, `XA ROLLBACK`.
        XA = 8, "xa";
        /// Session state sluice cannot replay on another connection (`SET ROLE`,
        /// `SET RESOURCE GROUP`). Never released.
        SESSION_STATE = 9, "session_state";
    }
}

flag_set! {
    /// Why a statement must run on the backend connection that ran the session's previous
    /// statement (its result depends on what that connection did last).
    SameConnection {
        /// `LAST_INSERT_ID()`, `@@last_insert_id`, `@@identity`.
        LAST_INSERT_ID = 0, "last_insert_id";
        /// `FOUND_ROWS()` (after a `SQL_CALC_FOUND_ROWS` query).
        FOUND_ROWS = 1, "found_rows";
        /// `ROW_COUNT()`.
        ROW_COUNT = 2, "row_count";
        /// `SHOW WARNINGS`/`ERRORS`/`PROFILE(S)`, `GET DIAGNOSTICS`, `@@warning_count`,
        /// `@@error_count`.
        DIAGNOSTICS = 3, "diagnostics";
        /// `LASTVAL()`, `PREVIOUS VALUE FOR`, `seq.CURRVAL`: the session's last sequence value.
        SEQUENCE = 4, "sequence";
        /// `@@last_gtid` (MariaDB): the GTID of the session's last commit.
        LAST_GTID = 5, "last_gtid";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut p = Pins::empty();
        assert!(p.is_empty());
        p |= Pins::USER_LOCK;
        p |= Pins::XA;
        assert!(p.contains(Pins::USER_LOCK | Pins::XA));
        assert!(!p.contains(Pins::USER_LOCK | Pins::HANDLER));
        assert!(p.intersects(Pins::USER_LOCK | Pins::HANDLER));
        assert_eq!(p.labels().collect::<Vec<_>>(), ["user_lock", "xa"]);
        assert_eq!(format!("{p:?}"), r#"{"user_lock", "xa"}"#);
    }

    #[test]
    fn bits_are_distinct() {
        let mut all = SameConnection::empty();
        for (flag, _) in SameConnection::ALL {
            assert!(!all.intersects(*flag));
            all |= *flag;
        }
        let mut all = Pins::empty();
        for (flag, _) in Pins::ALL {
            assert!(!all.intersects(*flag));
            all |= *flag;
        }
    }
}
