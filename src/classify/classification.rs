//! [`Classification`], the classifier's answer, and the step that builds it: the statement's form
//! ([`super::statement::Head`]) weighed against what the scan found ([`super::scan::Facts`]) and
//! the hints.
//!
//! Owns the order in which reasons win and how hints apply. It must not read tokens itself.

use super::effects::{SessionChanges, SluiceCommand, TransactionControl};
use super::flags::{Pins, SameConnection};
use super::hint::{Hints, RouteHint};
use super::kind::StatementKind;
use super::route::{PrimaryReason, Route};
use super::scan::Facts;
use super::statement::{Base, Head};

/// Everything the classifier says about one statement. Borrowed values point into the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification<'a> {
    /// What the statement is, by its first keywords.
    pub kind: StatementKind,
    /// Where it may run (hints applied).
    pub route: Route,
    /// Non-empty: the statement must run on the backend connection that ran the session's
    /// previous statement (if the session still holds it); `route` is the fallback.
    pub same_connection: SameConnection,
    /// `SQL_CALC_FOUND_ROWS`: keep this statement's connection for a following `FOUND_ROWS()`.
    pub calc_found_rows: bool,
    /// Session pins the statement starts: the session must stay on the connection that ran it.
    pub pins: Pins,
    /// Session pins the statement may end (the session layer checks what is left).
    pub unpins: Pins,
    /// Transaction control, if the statement is one.
    pub transaction: Option<TransactionControl>,
    /// The statement commits an open transaction implicitly (DDL, `LOCK TABLES`, `BEGIN`, …).
    /// Informational: transaction state comes from the server status flags.
    pub implicit_commit: bool,
    /// Session state the statement changes (`USE`, `SET …`).
    pub session: SessionChanges<'a>,
    /// Set when sluice answers the statement itself (`route` is then [`Route::Sluice`]).
    pub sluice: Option<SluiceCommand<'a>>,
    /// Hints found in comments.
    pub hints: Hints<'a>,
    /// The text holds more than one statement; only the first one's form is reported, and the
    /// pins and same-connection needs of all of them.
    pub multi_statement: bool,
}

impl Classification<'_> {
    /// True when a replica may run the statement.
    pub fn is_replica_safe(&self) -> bool {
        self.route == Route::Replica
    }

    /// Why the primary is needed, when it is.
    pub fn primary_reason(&self) -> Option<PrimaryReason> {
        self.route.primary_reason()
    }
}

/// Combines the statement's form, the scan's facts and the hints into the answer.
pub(crate) fn finish<'a>(
    head: Head<'a>,
    facts: Facts,
    hints: Hints<'a>,
    unparseable: bool,
) -> Classification<'a> {
    let route = if unparseable {
        Route::Primary(PrimaryReason::Unparseable)
    } else if facts.multi_statement {
        Route::Primary(PrimaryReason::MultiStatement)
    } else {
        match head.base {
            Base::Sluice => Route::Sluice,
            Base::Primary(PrimaryReason::Write)
                if facts.returning
                    && matches!(
                        head.kind,
                        StatementKind::Insert | StatementKind::Replace | StatementKind::Delete
                    ) =>
            {
                Route::Primary(PrimaryReason::Returning)
            }
            Base::Primary(r) => Route::Primary(r),
            Base::Replica { dml } => demote(&facts, head.same_connection, dml),
        }
    };
    let route = apply_hint(route, hints.route);
    let sluice = if route == Route::Sluice {
        head.sluice
    } else {
        None
    };
    Classification {
        kind: head.kind,
        route,
        same_connection: head.same_connection | facts.same_connection,
        calc_found_rows: facts.calc_found_rows,
        pins: head.pins | facts.pins,
        // What an unparseable text releases is not known: keep the pins.
        unpins: if unparseable {
            Pins::empty()
        } else {
            head.unpins | facts.unpins
        },
        transaction: head.transaction,
        implicit_commit: head.implicit_commit,
        session: head.session,
        sluice,
        hints,
        multi_statement: facts.multi_statement,
    }
}

/// A statement that could run on a replica by its form: the first fact that needs the primary
/// decides the reason.
fn demote(f: &Facts, same: SameConnection, dml: PrimaryReason) -> Route {
    use PrimaryReason as R;
    let reason = if f.dml {
        dml
    } else if f.locking {
        R::LockingRead
    } else if f.into {
        R::SelectInto
    } else if f.assign {
        R::UserVariableAssignment
    } else if f.sequence {
        R::Sequence
    } else if f.lock_function {
        R::Lock
    } else if !(same | f.same_connection).is_empty() {
        R::SameConnection
    } else if f.replication_wait {
        R::ReplicationWait
    } else if f.server_state {
        R::ServerState
    } else if f.unknown_function {
        R::StoredOrUnknownFunction
    } else {
        return Route::Replica;
    };
    Route::Primary(reason)
}

/// `primary` moves a replica-safe statement to the primary; `replica` moves back a read that
/// only calls unknown functions or asks about server state (the application vouches for it).
fn apply_hint(route: Route, hint: Option<RouteHint>) -> Route {
    match (route, hint) {
        (Route::Replica, Some(RouteHint::Primary)) => Route::Primary(PrimaryReason::Hint),
        (
            Route::Primary(PrimaryReason::StoredOrUnknownFunction | PrimaryReason::ServerState),
            Some(RouteHint::Replica),
        ) => Route::Replica,
        _ => route,
    }
}
