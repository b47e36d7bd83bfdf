//! The statement path: where a command runs (the held connection, a replica chosen by weight, or
//! the primary, and why), getting that connection from the shard's pool in line with the
//! session, sending the command, relaying the reply, and learning from it. A read whose backend
//! failed before any byte reached the client is retried on another backend; a write never is.
//! Binary prepared statements get their client-facing ids here and are prepared lazily on each
//! connection that executes them. It must not decode rows.

use std::rc::Rc;

use super::consistency::ReadNeed;
use super::prepared::{
    execute_flags, remember_types, rewrite_execute, rewrite_id, statement_id, ClientStmt,
    RewriteError, CURSOR_TYPE_READ_ONLY,
};
use super::run::Session;
use super::state::Effects;
use super::SessionError;
use crate::classify::{classify, PrimaryReason, Route, RouteHint, SameConnection};
use crate::error::{codes, MysqlError};
use crate::net::Net;
use crate::pool::{BackendError, BackendStmt, PooledConn};
use crate::protocol::constants::{com, OK_HEADER};
use crate::protocol::packet::{write_small_packet, PacketHeader, HEADER_LEN};
use crate::protocol::reply::{ReplyKind, ReplyTracker};
use crate::router::{RouteWhy, PRIMARY};
use crate::wire::{
    drain_reply, forward_packets, relay_reply, ForwardError, RelayError, RelayOutcome, WireError,
};

/// Where a command goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The connection the session holds.
    Held(RouteWhy),
    /// A backend from the pool.
    Backend(usize, RouteWhy),
    /// Any replica by weight (the primary if none can take it).
    Read(RouteWhy),
}

/// How the packet for a connection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Send {
    /// `self.packet` as the client sent it.
    Raw,
    /// A COM_STMT_EXECUTE/SEND_LONG_DATA/FETCH/RESET/CLOSE for this client statement id.
    Statement(u32),
}

/// One command's plan.
struct Plan {
    target: Target,
    kind: ReplyKind,
    send: Send,
    /// Keep the connection for the next statement (it may ask what this one did).
    keep: bool,
    /// What the statement reads of the previous statement's connection (`LAST_INSERT_ID()`,
    /// `SHOW WARNINGS`, ...); empty for most.
    follows: SameConnection,
}

/// Why the statement path stopped without a reply relayed.
enum Failure {
    /// The client was told (an ERR was sent); the session goes on.
    Told,
}

/// Whether the next statement may need this statement's connection: after a write, a
/// sequence or a call (`LAST_INSERT_ID()`, `ROW_COUNT()`, ...), a commit or DDL (`@@last_gtid`),
/// a `SQL_CALC_FOUND_ROWS` query (`FOUND_ROWS()`), and a statement that reads the diagnostics
/// area (`SHOW WARNINGS`, `@@warning_count`, ...) without clearing it, so the same warnings can
/// be read again.
fn keeps_connection(c: &crate::classify::Classification<'_>) -> bool {
    c.calc_found_rows
        || c.same_connection.contains(SameConnection::DIAGNOSTICS)
        || matches!(
            c.primary_reason(),
            Some(
                PrimaryReason::Write
                    | PrimaryReason::Returning
                    | PrimaryReason::Sequence
                    | PrimaryReason::Call
                    | PrimaryReason::Transaction
                    | PrimaryReason::Ddl
            )
        )
}

impl<N: Net> Session<'_, N> {
    /// COM_QUERY.
    pub(super) async fn query(&mut self, reply_seq: u8) -> Result<(), SessionError> {
        let packet = std::mem::take(&mut self.packet);
        let sql = &packet[HEADER_LEN + 1..];
        let c = classify(sql, &self.ctx.classifier);
        if c.route == Route::Sluice {
            let r = self.sluice_statement(&c, reply_seq).await;
            self.packet = packet;
            return r;
        }
        if self.state.pins.in_transaction()
            && self.held.as_ref().is_some_and(|h| h.backend() != PRIMARY)
            && matches!(
                c.primary_reason(),
                Some(PrimaryReason::Write | PrimaryReason::Returning)
            )
        {
            self.packet = packet;
            let err = read_only_transaction_error(&self.ctx.identity().version);
            return self.client_error(reply_seq, err).await;
        }
        self.read_need = if c.hints.consistency.is_none() && c.hints.min_gtid.is_none() {
            ReadNeed::default()
        } else {
            match ReadNeed::of(&c.hints, self.primary_flavor()) {
                Ok(need) => need,
                Err(err) => {
                    self.packet = packet;
                    return self.client_error(reply_seq, err).await;
                }
            }
        };
        let effects = Effects::of(&c, sql);
        let must_primary = !c.pins.is_empty() || effects_need_primary(&c);
        let target = self.target_for(c.route, c.hints.route, c.same_connection, must_primary);
        let keep = keeps_connection(&c);
        let follows = c.same_connection;
        self.packet = packet;
        let plan = Plan {
            target,
            kind: ReplyKind::ResultSets,
            send: Send::Raw,
            keep,
            follows,
        };
        self.run(plan, reply_seq, effects).await.map(|_| ())
    }

    /// Where a statement of this class goes.
    fn target_for(
        &mut self,
        route: Route,
        hint: Option<RouteHint>,
        follows: SameConnection,
        must_primary: bool,
    ) -> Target {
        if self.held.is_some() && self.state.pins.pinned() {
            return Target::Held(RouteWhy::Pinned);
        }
        if self.held.is_some() && !follows.is_empty() {
            return Target::Held(RouteWhy::SameConnection);
        }
        self.release_held();
        // With autocommit = 0 every statement opens or continues a transaction: on the primary,
        // also when the connection went back to the pool between transactions.
        let must_primary = must_primary || self.state.pins.autocommit_off();
        match route {
            Route::Replica if must_primary => Target::Backend(PRIMARY, RouteWhy::Class(None)),
            Route::Replica if hint == Some(RouteHint::Replica) => Target::Read(RouteWhy::Hint),
            Route::Replica => Target::Read(RouteWhy::Class(None)),
            Route::Primary(PrimaryReason::Hint) => Target::Backend(PRIMARY, RouteWhy::Hint),
            Route::Primary(r) => Target::Backend(PRIMARY, RouteWhy::Class(Some(r))),
            Route::Sluice => Target::Backend(PRIMARY, RouteWhy::Command),
        }
    }

    /// Where a command other than a routed statement runs (COM_STMT_PREPARE, SEND_LONG_DATA,
    /// COM_INIT_DB, ...): the held connection while pinned, or the kept one for a statement that
    /// `follows` the previous one; else the primary.
    fn command_target(&mut self, follows: SameConnection) -> Target {
        match self.target_for(Route::Primary(PrimaryReason::Admin), None, follows, true) {
            Target::Held(why) => Target::Held(why),
            _ => Target::Backend(PRIMARY, RouteWhy::Command),
        }
    }

    /// Commands that are not statements: COM_INIT_DB, COM_FIELD_LIST, COM_SET_OPTION,
    /// COM_STATISTICS, ...: on the held connection if pinned, else on the primary.
    pub(super) async fn other_command(
        &mut self,
        command: u8,
        reply_seq: u8,
        kind: ReplyKind,
    ) -> Result<(), SessionError> {
        let body = &self.packet[HEADER_LEN + 1..];
        let effects = match command {
            com::INIT_DB => Effects::init_db(body),
            _ => Effects::default(),
        };
        let set_option = (command == com::SET_OPTION)
            .then(|| body.get(..2).map(|b| u16::from_le_bytes([b[0], b[1]])))
            .flatten();
        let target = self.command_target(SameConnection::empty());
        let plan = Plan {
            target,
            kind,
            send: Send::Raw,
            keep: false,
            follows: SameConnection::empty(),
        };
        let ok = self.run(plan, reply_seq, effects).await?;
        if let (Some(option), true) = (set_option, ok) {
            self.state.multi_statements = option == 0;
            if let Some(h) = self.held.as_mut() {
                h.state.multi_statements = option == 0;
            }
        }
        Ok(())
    }

    /// A command larger than the buffer: streamed to the primary (or the held connection)
    /// without being read; its effects are unknown, so the session stays where it ran.
    pub(super) async fn forward_large(&mut self, header: PacketHeader) -> Result<(), SessionError> {
        let reply_seq = header.seq.wrapping_add(1);
        let target = self.target_for(
            Route::Primary(PrimaryReason::Unknown),
            None,
            SameConnection::empty(),
            true,
        );
        let conn = match self.acquire(target, SameConnection::empty()).await {
            Ok(c) => c,
            Err(e) => {
                self.discard_command(header, true).await?;
                self.send_error(reply_seq, &e).await?;
                return Ok(());
            }
        };
        let mut conn = conn;
        // A large COM_STMT_EXECUTE / SEND_LONG_DATA names the client's statement id: prepare
        // the statement on this connection if needed and patch the id in place.
        let command = self.client.rbuf.data()[HEADER_LEN];
        if matches!(command, com::STMT_EXECUTE | com::STMT_SEND_LONG_DATA) {
            if let Err(e) = self.client.fill_to(HEADER_LEN + 5).await {
                return Err(e.into());
            }
            let id = statement_id(&self.client.rbuf.data()[HEADER_LEN..]).unwrap_or(0);
            let Some(sql) = self.stmts.get(id).map(|s| s.sql.clone()) else {
                self.keep(conn, false);
                self.discard_command(header, true).await?;
                if command == com::STMT_EXECUTE {
                    let err = Self::unknown_statement(id, "mysqld_stmt_execute");
                    self.client_error(reply_seq, err).await?;
                }
                return Ok(());
            };
            let backend = match conn.state.prepared.get(&sql).copied() {
                Some(b) => b,
                None => match prepare_on(&mut conn, &sql, !self.state.pins.pinned()).await {
                    Ok(b) => b,
                    Err(err) => {
                        self.discard_command(header, true).await?;
                        if command == com::STMT_EXECUTE {
                            self.client_error(reply_seq, err).await?;
                        }
                        return Ok(());
                    }
                },
            };
            self.client.rbuf.data_mut()[HEADER_LEN + 1..HEADER_LEN + 5]
                .copy_from_slice(&backend.id.to_le_bytes());
            if command == com::STMT_SEND_LONG_DATA {
                if let Some(s) = self.stmts.get_mut(id) {
                    if !s.long_data {
                        s.long_data = true;
                        self.state.pins.statement_state(true);
                    }
                }
            }
        }
        match forward_packets(&mut self.client, &mut conn.conn.conn.stream, |_| true).await {
            Ok(()) => {}
            Err(ForwardError::Source(e)) => return Err(e.into()),
            Err(ForwardError::Sink(e)) => {
                let err = self.lost(&conn, e);
                self.send_error(reply_seq, &err).await?;
                return self.after_loss();
            }
        }
        if command == com::STMT_SEND_LONG_DATA {
            self.keep(conn, true);
            return Ok(());
        }
        let effects = if command == com::QUERY {
            Effects::unknown()
        } else {
            Effects::default()
        };
        self.relay(conn, ReplyKind::ResultSets, reply_seq, effects, true)
            .await
            .map(|_| ())
    }

    /// Runs a planned command; true when it got a reply other than an ERR.
    async fn run(
        &mut self,
        plan: Plan,
        reply_seq: u8,
        effects: Effects,
    ) -> Result<bool, SessionError> {
        let read = matches!(plan.target, Target::Read(_));
        let arrival = self.command_arrival;
        // Set by `query` for this statement only (hints); other commands use the session's level.
        let need = std::mem::take(&mut self.read_need);
        let mut excluded = 0u64;
        let mut primary_retry = true;
        let mut retry = false;
        loop {
            let target = match plan.target {
                Target::Read(why) => self.read_target(&need, why, excluded, arrival).await,
                t => t,
            };
            let backend = match target {
                Target::Backend(i, _) => Some(i),
                _ => None,
            };
            let mut conn = match self.acquire(target, plan.follows).await {
                Ok(c) => c,
                Err(e) => {
                    if let (true, Some(i)) = (read && e_retryable(&e), backend) {
                        if i != PRIMARY {
                            tracing::debug!(backend = i, error = ?e, "read: no connection, trying another backend");
                            excluded |= 1 << i.min(63);
                            retry = true;
                            continue;
                        }
                    }
                    self.send_error(reply_seq, &e).await?;
                    return Ok(false);
                }
            };
            if retry {
                self.ctx.cluster().backends[conn.backend()]
                    .counters
                    .retried();
            }
            let why = match target {
                Target::Held(w) | Target::Backend(_, w) | Target::Read(w) => w,
            };
            self.ctx.cluster().backends[conn.backend()]
                .counters
                .routed(why);
            let held = matches!(target, Target::Held(_));
            // Build the packet for this connection (a lazy prepare may run first).
            let built = match plan.send {
                Send::Raw => Ok(()),
                Send::Statement(id) => self.statement_packet(&mut conn, id).await,
            };
            if let Err(Failure::Told) = built {
                self.keep(conn, false);
                return Ok(false);
            }
            let bytes = match plan.send {
                Send::Raw => &self.packet,
                Send::Statement(_) => &self.scratch,
            };
            // A read that fails before any byte reached the client may run again: elsewhere, or
            // once more on the primary (its connection may have been a stale idle one).
            let retryable = read && !held && (conn.backend() != PRIMARY || primary_retry);
            if let Err(e) = conn.conn.conn.write_all(bytes).await {
                if retryable {
                    let backend = conn.backend();
                    self.mark_failed(&conn);
                    drop(conn);
                    self.retry_elsewhere(backend, &mut excluded, &mut primary_retry);
                    retry = true;
                    continue;
                }
                let err = self.lost(&conn, e);
                if plan.kind != ReplyKind::None {
                    self.send_error(reply_seq, &err).await?;
                }
                return self.after_loss().map(|_| false);
            }
            if plan.kind == ReplyKind::None {
                self.keep(conn, plan.keep);
                return Ok(true);
            }
            match self
                .relay_attempt(conn, plan.kind, reply_seq, retryable)
                .await?
            {
                Attempt::Relayed(conn, outcome) => {
                    self.learn(effects, conn, outcome, plan.keep);
                    return Ok(!outcome.error);
                }
                Attempt::Told => return Ok(false),
                Attempt::RetryRead(backend) => {
                    self.retry_elsewhere(backend, &mut excluded, &mut primary_retry);
                    retry = true;
                    continue;
                }
            }
        }
    }

    /// A reply was relayed: the session learns what the command changed, the connection
    /// follows (it ran the command), and is kept or given back. A reply with warnings keeps it
    /// too, for a `SHOW WARNINGS` next; so does an ERR.
    fn learn(
        &mut self,
        effects: Effects,
        mut conn: PooledConn<N::Stream>,
        outcome: RelayOutcome,
        follow_up: bool,
    ) {
        let text = if self.packet.get(HEADER_LEN) == Some(&com::QUERY) {
            &self.packet[HEADER_LEN + 1..]
        } else {
            &[][..]
        };
        let mut effects = effects;
        effects.use_reported_values(&std::mem::take(&mut self.reported_variables));
        let changes_schema = effects.changes_schema();
        let changes_settings = effects.changes_settings();
        self.state.settle(
            effects,
            outcome.error,
            outcome.status,
            outcome.state_change,
            text,
        );
        if !outcome.error {
            if changes_settings {
                conn.state.settings = self.state.settings.clone();
            }
            if changes_schema && conn.state.schema != self.state.schema {
                conn.state.schema = self.state.schema.clone();
                // Statements prepared in the old schema: closed the next time the connection
                // is brought in line (sync closes what `forget_prepared` returns).
                let stale = conn.state.forget_prepared();
                conn.state.closing.extend(stale);
            }
            if outcome.insert_id != 0 {
                self.state.last_insert_id = outcome.insert_id;
                conn.state.last_insert_id = outcome.insert_id;
            }
        }
        self.keep(conn, follow_up || outcome.error || outcome.warnings > 0);
    }
}

/// How one relay attempt ended.
enum Attempt<C> {
    /// The reply was relayed.
    Relayed(C, RelayOutcome),
    /// The backend was lost; the client got an ERR and the session goes on.
    Told,
    /// The backend failed before any byte reached the client.
    RetryRead(usize),
}

/// Whether a failed checkout is worth trying on another backend: anything but a full pool.
fn e_retryable(e: &BackendError) -> bool {
    !matches!(e, BackendError::PoolExhausted { .. })
}

/// Statements whose text changes session state run where that state lives: the primary.
fn effects_need_primary(c: &crate::classify::Classification<'_>) -> bool {
    let next_transaction = c
        .session
        .set_transaction
        .is_some_and(|t| t.scope == crate::classify::TransactionScope::Next);
    c.session.user_variables || c.session.global_variables || c.multi_statement || next_transaction
}

/// What the primary answers a write inside `START TRANSACTION READ ONLY`
/// (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION); a replica would answer with its `read_only`
/// error instead, so sluice gives the primary's answer itself.
fn read_only_transaction_error(server_version: &str) -> MysqlError {
    // MySQL ends the message with a period; MariaDB does not.
    let stop = if server_version.contains("MariaDB") {
        ""
    } else {
        "."
    };
    MysqlError::new(
        1792,
        "25006",
        format!("Cannot execute statement in a READ ONLY transaction{stop}"),
    )
}

impl<N: Net> Session<'_, N> {
    /// The connection for `target`: the held one, or one from the pool in line with the session.
    ///
    /// `follows`: what the statement reads of the previous statement's connection. On the held
    /// connection it gets the server's own answer, but for `LAST_INSERT_ID()` where the held
    /// connection's value is not the session's (the session inserted elsewhere, or the
    /// connection came from another session). On any other connection the session's value is
    /// set first, which also empties the diagnostics area the connection's last user left, as
    /// after the session's previous statement (one with warnings keeps its connection).
    async fn acquire(
        &mut self,
        target: Target,
        follows: SameConnection,
    ) -> Result<PooledConn<N::Stream>, BackendError> {
        match (target, self.held.take()) {
            (Target::Held(_), Some(mut c)) => {
                if follows.contains(SameConnection::LAST_INSERT_ID)
                    && c.state.last_insert_id != self.state.last_insert_id
                {
                    let want = self.state.wanted_following();
                    self.ctx.pool.bring_in_line(&mut c, &want).await?;
                }
                Ok(c)
            }
            (target, held) => {
                self.held = held;
                let backend = match target {
                    Target::Backend(i, _) => i,
                    Target::Held(_) | Target::Read(_) => PRIMARY,
                };
                self.checkout(backend, !follows.is_empty()).await
            }
        }
    }

    /// A pooled connection to `backend` in line with the session (`following`: see
    /// [`Session::acquire`]).
    async fn checkout(
        &mut self,
        backend: usize,
        following: bool,
    ) -> Result<PooledConn<N::Stream>, BackendError> {
        self.release_held();
        let want = if following {
            self.state.wanted_following()
        } else {
            self.state.wanted()
        };
        self.ctx
            .pool
            .checkout(&self.ctx.net, backend, &self.spec, &want)
            .await
    }

    /// After a command: keep the connection (pinned, or for a follow-up) or give it back.
    fn keep(&mut self, conn: PooledConn<N::Stream>, follow_up: bool) {
        self.held = Some(conn);
        self.held_for_next = follow_up;
        if !(self.state.pins.pinned() || follow_up) {
            self.release_held();
        }
    }

    fn mark_failed(&self, conn: &PooledConn<N::Stream>) {
        let b = &self.ctx.cluster().backends[conn.backend()];
        b.health.mark_failed();
        b.counters.failed();
    }

    fn lost(&self, conn: &PooledConn<N::Stream>, source: WireError) -> BackendError {
        self.mark_failed(conn);
        let t = self.ctx.pool.target(conn.backend());
        BackendError::Lost {
            name: t.name.to_string(),
            addr: t.addr,
            source,
        }
    }

    /// After an ERR for a lost backend: a session pinned to that connection lost state it
    /// cannot get back, and is closed (as a server restart would close it).
    fn after_loss(&self) -> Result<(), SessionError> {
        if self.state.pins.pinned() {
            let why = if self.state.pins.in_transaction() {
                "a transaction was open"
            } else {
                "it held connection-bound state (locks, temporary tables, user variables, prepared statements or a transaction)"
            };
            return Err(SessionError::LostState(why));
        }
        Ok(())
    }

    /// A read failed on `backend` before any byte reached the client: its idle connections are
    /// suspect (closed with it), and the next attempt goes elsewhere, or to the primary once.
    fn retry_elsewhere(&mut self, backend: usize, excluded: &mut u64, primary_retry: &mut bool) {
        self.ctx.pool.discard_idle(backend);
        if backend == PRIMARY {
            *primary_retry = false;
        } else {
            *excluded |= 1 << backend.min(63);
        }
    }

    /// Relays the reply on `conn`. `retryable`: a backend failure before any byte reached the
    /// client is returned as [`Attempt::RetryRead`] instead of told to the client.
    async fn relay_attempt(
        &mut self,
        mut conn: PooledConn<N::Stream>,
        kind: ReplyKind,
        reply_seq: u8,
        retryable: bool,
    ) -> Result<Attempt<PooledConn<N::Stream>>, SessionError> {
        let mut tracker =
            ReplyTracker::new(kind, conn.conn.capabilities).untracking(self.login.capabilities);
        match relay_reply(&mut conn.conn.conn, &mut self.client, &mut tracker).await {
            Ok(outcome) => {
                if let Some(gtid) = tracker.commit_gtid() {
                    self.note_commit(gtid, conn.conn.flavor());
                }
                self.reported_variables = tracker.take_system_variables();
                Ok(Attempt::Relayed(conn, outcome))
            }
            Err(RelayError::Client(e)) => Err(e.into()),
            Err(RelayError::Backend {
                source,
                sent,
                at_boundary,
                next_seq,
            }) => {
                if !sent && retryable {
                    let b = conn.backend();
                    self.mark_failed(&conn);
                    return Ok(Attempt::RetryRead(b));
                }
                let e = self.lost(&conn, source);
                drop(conn);
                let seq = match (sent, at_boundary) {
                    (false, _) => reply_seq,
                    (true, true) => next_seq,
                    (true, false) => return Err(e.into()),
                };
                self.send_error(seq, &e).await?;
                self.after_loss()?;
                Ok(Attempt::Told)
            }
        }
    }

    /// Relays the reply of a command already sent on `conn` (streamed commands).
    async fn relay(
        &mut self,
        conn: PooledConn<N::Stream>,
        kind: ReplyKind,
        reply_seq: u8,
        effects: Effects,
        keep: bool,
    ) -> Result<bool, SessionError> {
        match self.relay_attempt(conn, kind, reply_seq, false).await? {
            Attempt::Relayed(conn, outcome) => {
                self.learn(effects, conn, outcome, keep);
                Ok(!outcome.error)
            }
            // Not retryable: relay_attempt told the client.
            Attempt::Told | Attempt::RetryRead(_) => Ok(false),
        }
    }
}

// ---- binary prepared statements ----

impl<N: Net> Session<'_, N> {
    /// COM_STMT_PREPARE: prepared on the primary (or the held connection), so the metadata the
    /// client gets is the primary's; the client gets a sluice statement id.
    pub(super) async fn prepare(&mut self, reply_seq: u8) -> Result<(), SessionError> {
        let sql: Rc<[u8]> = Rc::from(&self.packet[HEADER_LEN + 1..]);
        let c = classify(&sql, &self.ctx.classifier);
        let has_effects = !c.pins.is_empty() || !c.session.is_empty() || c.multi_statement;
        let (hint, same_connection) = (c.hints.route, c.same_connection);
        // A consistency or min_gtid hint in the prepared text applies to every execution.
        let need = match ReadNeed::of(&c.hints, self.primary_flavor()) {
            Ok(need) => need,
            Err(err) => return self.client_error(reply_seq, err).await,
        };
        let keep = keeps_connection(&c);
        let route = if c.route == Route::Sluice {
            Route::Primary(PrimaryReason::Unknown)
        } else {
            c.route
        };
        // A statement that reads the previous statement's connection (a prepared
        // `SHOW WARNINGS`) is prepared on it, and the connection stays for its execution.
        let target = self.command_target(same_connection);
        let for_next = matches!(target, Target::Held(RouteWhy::SameConnection));
        let mut conn = match self.acquire(target, SameConnection::empty()).await {
            Ok(c) => c,
            Err(e) => {
                self.send_error(reply_seq, &e).await?;
                return Ok(());
            }
        };
        if let Err(e) = conn.conn.conn.write_all(&self.packet).await {
            let err = self.lost(&conn, e);
            self.send_error(reply_seq, &err).await?;
            return self.after_loss();
        }
        // The first packet is PREPARE_OK (or ERR): give the client its own id.
        let first = match conn
            .conn
            .conn
            .fill_packet(crate::protocol::packet::MAX_PAYLOAD)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                let err = self.lost(&conn, e);
                self.send_error(reply_seq, &err).await?;
                return self.after_loss();
            }
        };
        let payload = conn.conn.conn.payload(first);
        let prepared = (payload.first() == Some(&OK_HEADER) && payload.len() >= 12).then(|| {
            let id = u32::from_le_bytes([payload[1], payload[2], payload[3], payload[4]]);
            let params = u16::from_le_bytes([payload[7], payload[8]]);
            (id, params)
        });
        let client_id = self.stmts.peek_next_id();
        if prepared.is_some() {
            conn.conn.conn.rbuf.data_mut()[HEADER_LEN + 1..HEADER_LEN + 5]
                .copy_from_slice(&client_id.to_le_bytes());
        }
        let mut tracker = ReplyTracker::new(ReplyKind::Prepare, conn.conn.capabilities)
            .untracking(self.login.capabilities);
        match relay_reply(&mut conn.conn.conn, &mut self.client, &mut tracker).await {
            Ok(outcome) => {
                if let (Some((backend_id, params)), false) = (prepared, outcome.error) {
                    if remember_on(
                        &mut conn,
                        &sql,
                        BackendStmt {
                            id: backend_id,
                            params,
                        },
                    )
                    .await
                    .is_err()
                    {
                        conn.state.tainted = true;
                    }
                    self.stmts.add(ClientStmt {
                        sql,
                        route,
                        hint,
                        need,
                        same_connection,
                        keep,
                        has_effects,
                        params,
                        types: None,
                        long_data: false,
                        cursor: false,
                    });
                }
                self.keep(conn, for_next);
                Ok(())
            }
            Err(RelayError::Client(e)) => Err(e.into()),
            Err(RelayError::Backend {
                source,
                sent,
                at_boundary,
                next_seq,
            }) => {
                let e = self.lost(&conn, source);
                let seq = match (sent, at_boundary) {
                    (false, _) => reply_seq,
                    (true, true) => next_seq,
                    (true, false) => return Err(e.into()),
                };
                self.send_error(seq, &e).await?;
                self.after_loss()
            }
        }
    }

    fn unknown_statement(id: u32, command: &str) -> MysqlError {
        MysqlError::new(
            codes::UNKNOWN_STMT_HANDLER,
            "HY000",
            format!("Unknown prepared statement handler ({id}) given to {command}"),
        )
    }

    /// COM_STMT_EXECUTE: routed by the statement's class.
    pub(super) async fn execute(&mut self, reply_seq: u8) -> Result<(), SessionError> {
        let body = &self.packet[HEADER_LEN..];
        let Some(id) = statement_id(body) else {
            return self
                .client_error(reply_seq, Self::unknown_statement(0, "mysqld_stmt_execute"))
                .await;
        };
        let flags = execute_flags(body);
        let Some(stmt) = self.stmts.get_mut(id) else {
            return self
                .client_error(
                    reply_seq,
                    Self::unknown_statement(id, "mysqld_stmt_execute"),
                )
                .await;
        };
        remember_types(stmt, body);
        let cursor = flags & CURSOR_TYPE_READ_ONLY != 0;
        self.read_need = stmt.need.clone();
        let (route, hint, same_connection, keep, has_effects, long_data) = (
            stmt.route,
            stmt.hint,
            stmt.same_connection,
            stmt.keep,
            stmt.has_effects,
            stmt.long_data,
        );
        // A prepared statement's session effects cannot be replayed from its text (it has
        // placeholders): the session stays on the connection that ran it.
        let effects = if has_effects {
            Effects::unfollowable()
        } else {
            Effects::default()
        };
        let must_primary = has_effects || cursor || long_data;
        let target = self.target_for(route, hint, same_connection, must_primary);
        let plan = Plan {
            target,
            kind: ReplyKind::ResultSets,
            send: Send::Statement(id),
            keep,
            follows: same_connection,
        };
        // A cursor lives on the connection that opened it: the session stays there.
        let opens_cursor = cursor && self.stmts.get(id).is_some_and(|s| !s.cursor);
        if opens_cursor {
            if let Some(stmt) = self.stmts.get_mut(id) {
                stmt.cursor = true;
            }
            self.state.pins.statement_state(true);
        }
        let ok = self.run(plan, reply_seq, effects).await?;
        if let Some(stmt) = self.stmts.get_mut(id) {
            if stmt.long_data {
                stmt.long_data = false;
                self.state.pins.statement_state(false);
            }
            if opens_cursor && !ok {
                stmt.cursor = false;
                self.state.pins.statement_state(false);
            }
        }
        if self.held.is_some() && !self.state.pins.pinned() && !self.held_for_next {
            // A cursor or long data ended: nothing keeps the connection now.
            self.release_held();
        }
        Ok(())
    }

    /// Makes `self.scratch` the packet for client statement `id` on `conn`, preparing the
    /// statement there first if it is not yet.
    async fn statement_packet(
        &mut self,
        conn: &mut PooledConn<N::Stream>,
        id: u32,
    ) -> Result<(), Failure> {
        let Some(stmt) = self.stmts.get(id) else {
            return Err(Failure::Told);
        };
        let sql = stmt.sql.clone();
        // A pinned session may have cursors open on this connection's other statements.
        let may_evict = !self.state.pins.pinned();
        let backend = match conn.state.prepared.get(&sql) {
            Some(b) => *b,
            None => match prepare_on(conn, &sql, may_evict).await {
                Ok(b) => b,
                Err(e) => {
                    let seq = self.packet.get(3).copied().unwrap_or(0).wrapping_add(1);
                    let _ = self.send_error_mysql(seq, e).await;
                    return Err(Failure::Told);
                }
            },
        };
        let payload = &self.packet[HEADER_LEN..];
        let Some(stmt) = self.stmts.get(id) else {
            return Err(Failure::Told);
        };
        if payload[0] == com::STMT_EXECUTE {
            match rewrite_execute(payload, stmt, backend.id, &mut self.scratch) {
                Ok(()) => Ok(()),
                Err(RewriteError::Malformed | RewriteError::NoTypes) => {
                    let seq = self.packet.get(3).copied().unwrap_or(0).wrapping_add(1);
                    let err = MysqlError::new(
                        codes::MALFORMED_PACKET,
                        "HY000",
                        "Malformed communication packet (COM_STMT_EXECUTE without parameter types)",
                    );
                    let _ = self.send_error_mysql(seq, err).await;
                    Err(Failure::Told)
                }
            }
        } else {
            rewrite_id(payload, backend.id, &mut self.scratch);
            Ok(())
        }
    }

    async fn send_error_mysql(&mut self, seq: u8, e: MysqlError) -> Result<(), SessionError> {
        super::outbox::send_err(&mut self.client, seq, &e).await?;
        Ok(())
    }

    async fn client_error(&mut self, seq: u8, e: MysqlError) -> Result<(), SessionError> {
        self.send_error_mysql(seq, e).await
    }

    /// COM_STMT_SEND_LONG_DATA: the data lives on one connection, so the session stays on it
    /// (the primary) until the statement is executed or reset.
    pub(super) async fn send_long_data(&mut self) -> Result<(), SessionError> {
        let Some(id) = statement_id(&self.packet[HEADER_LEN..]) else {
            return Ok(());
        };
        let Some(stmt) = self.stmts.get(id) else {
            return Ok(());
        };
        let first = !stmt.long_data;
        let target = self.command_target(SameConnection::empty());
        if first {
            if let Some(s) = self.stmts.get_mut(id) {
                s.long_data = true;
            }
            self.state.pins.statement_state(true);
        }
        let plan = Plan {
            target,
            kind: ReplyKind::None,
            send: Send::Statement(id),
            keep: true,
            follows: SameConnection::empty(),
        };
        self.run(plan, 0, Effects::default()).await.map(|_| ())
    }

    /// COM_STMT_CLOSE: forgets the client's id; the statement stays prepared on the backend
    /// connections (cached by SQL) for other sessions. An open cursor is closed on its connection.
    pub(super) async fn close_statement(&mut self) -> Result<(), SessionError> {
        let Some(id) = statement_id(&self.packet[HEADER_LEN..]) else {
            return Ok(());
        };
        let Some(stmt) = self.stmts.remove(id) else {
            return Ok(());
        };
        if stmt.cursor || stmt.long_data {
            if let Some(conn) = self.held.as_mut() {
                if let Some(b) = conn.state.prepared.get(&stmt.sql).copied() {
                    // Reset (not close) keeps the statement cached for reuse and ends the cursor.
                    let mut out = Vec::with_capacity(9);
                    write_small_packet(&mut out, 0, |p| {
                        p.push(com::STMT_RESET);
                        p.extend_from_slice(&b.id.to_le_bytes());
                    });
                    let mut tracker = ReplyTracker::new(ReplyKind::Single, conn.conn.capabilities);
                    let done = match conn.conn.conn.write_all(&out).await {
                        Ok(()) => drain_reply(&mut conn.conn.conn, &mut tracker).await.is_ok(),
                        Err(_) => false,
                    };
                    if !done {
                        self.held = None;
                    }
                }
            }
            self.statement_state_ended(stmt.cursor, stmt.long_data);
        }
        Ok(())
    }

    /// A statement's cursor and/or long data are gone: their pins end, and the connection goes
    /// back unless something else keeps the session on it.
    fn statement_state_ended(&mut self, cursor: bool, long_data: bool) {
        for ended in [cursor, long_data] {
            if ended {
                self.state.pins.statement_state(false);
            }
        }
        if !self.state.pins.pinned() {
            self.release_held();
        }
    }

    /// COM_STMT_RESET: where long data or a cursor lives, reset there; otherwise there is
    /// nothing on any connection to reset and sluice answers OK itself.
    pub(super) async fn reset_statement(&mut self, reply_seq: u8) -> Result<(), SessionError> {
        let Some(id) = statement_id(&self.packet[HEADER_LEN..]) else {
            return self
                .client_error(reply_seq, Self::unknown_statement(0, "mysqld_stmt_reset"))
                .await;
        };
        let Some(stmt) = self.stmts.get(id) else {
            return self
                .client_error(reply_seq, Self::unknown_statement(id, "mysqld_stmt_reset"))
                .await;
        };
        let (cursor, long_data) = (stmt.cursor, stmt.long_data);
        if !(cursor || long_data) || self.held.is_none() {
            return super::outbox::send_ok(&mut self.client, reply_seq, self.state.pins.status())
                .await
                .map_err(Into::into);
        }
        let plan = Plan {
            target: Target::Held(RouteWhy::Pinned),
            kind: ReplyKind::Single,
            send: Send::Statement(id),
            keep: false,
            follows: SameConnection::empty(),
        };
        self.run(plan, reply_seq, Effects::default()).await?;
        if let Some(s) = self.stmts.get_mut(id) {
            let ended = (s.cursor, s.long_data);
            s.cursor = false;
            s.long_data = false;
            self.statement_state_ended(ended.0, ended.1);
        }
        Ok(())
    }

    /// COM_STMT_FETCH: on the connection holding the statement's cursor.
    pub(super) async fn fetch(&mut self, reply_seq: u8) -> Result<(), SessionError> {
        let Some(id) = statement_id(&self.packet[HEADER_LEN..]) else {
            return self
                .client_error(reply_seq, Self::unknown_statement(0, "mysqld_stmt_fetch"))
                .await;
        };
        match self.stmts.get(id) {
            None => {
                self.client_error(reply_seq, Self::unknown_statement(id, "mysqld_stmt_fetch"))
                    .await
            }
            Some(s) if !s.cursor || self.held.is_none() => {
                let err = MysqlError::new(
                    1421,
                    "HY000",
                    format!("The statement ({id}) has no open cursor."),
                );
                self.client_error(reply_seq, err).await
            }
            Some(_) => {
                let plan = Plan {
                    target: Target::Held(RouteWhy::Pinned),
                    kind: ReplyKind::Rows,
                    send: Send::Statement(id),
                    keep: false,
                    follows: SameConnection::empty(),
                };
                self.run(plan, reply_seq, Effects::default())
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// Records a statement prepared on `conn` and closes there the ones the cache lets go.
async fn remember_on<S: crate::net::Stream>(
    conn: &mut PooledConn<S>,
    sql: &Rc<[u8]>,
    stmt: BackendStmt,
) -> Result<(), WireError> {
    let close = conn.state.remember(sql.clone(), stmt);
    close_on(conn, &close).await
}

/// Sends COM_STMT_CLOSE (no reply) for each id.
async fn close_on<S: crate::net::Stream>(
    conn: &mut PooledConn<S>,
    ids: &[u32],
) -> Result<(), WireError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut out = Vec::with_capacity(9 * ids.len());
    for id in ids {
        write_small_packet(&mut out, 0, |p| {
            p.push(com::STMT_CLOSE);
            p.extend_from_slice(&id.to_le_bytes());
        });
    }
    conn.conn.conn.write_all(&out).await
}

/// Prepares `sql` on `conn` (sluice's own command; the reply is not relayed).
///
/// When the server is at `max_prepared_stmt_count` (a limit over all its connections, which
/// sluice's per-connection caches add up to), the statements this connection keeps prepared are
/// closed and the prepare tried once more, if `may_evict` (nothing of the session's depends on
/// them: no cursor is open).
async fn prepare_on<S: crate::net::Stream>(
    conn: &mut PooledConn<S>,
    sql: &Rc<[u8]>,
    may_evict: bool,
) -> Result<BackendStmt, MysqlError> {
    match prepare_once(conn, sql).await {
        Err(e) if e.code == codes::MAX_PREPARED_STMT_COUNT_REACHED && may_evict => {
            let cached = conn.state.forget_prepared();
            if cached.is_empty() {
                return Err(e);
            }
            tracing::info!(
                closed = cached.len(),
                "backend at max_prepared_stmt_count: closing this connection's cached statements"
            );
            close_on(conn, &cached)
                .await
                .map_err(|_| lost_while_preparing())?;
            prepare_once(conn, sql).await
        }
        other => other,
    }
}

fn lost_while_preparing() -> MysqlError {
    MysqlError::new(
        codes::BACKEND_LOST,
        "08S01",
        "Lost connection to MySQL server during query (while preparing a statement)",
    )
}

async fn prepare_once<S: crate::net::Stream>(
    conn: &mut PooledConn<S>,
    sql: &Rc<[u8]>,
) -> Result<BackendStmt, MysqlError> {
    let mut out = Vec::with_capacity(sql.len() + 5);
    crate::protocol::packet::write_packet(&mut out, 0, &[&[com::STMT_PREPARE][..], sql].concat());
    let lost = |_| lost_while_preparing();
    conn.conn.conn.write_all(&out).await.map_err(lost)?;
    let mut tracker = ReplyTracker::new(ReplyKind::Prepare, conn.conn.capabilities);
    let (outcome, err) = drain_reply(&mut conn.conn.conn, &mut tracker)
        .await
        .map_err(lost)?;
    match (outcome.error, tracker.prepare_ok()) {
        (false, Some(ok)) => {
            let b = BackendStmt {
                id: ok.statement_id,
                params: ok.params,
            };
            remember_on(conn, sql, b).await.map_err(lost)?;
            Ok(b)
        }
        _ => Err(err.unwrap_or_else(|| {
            MysqlError::new(
                codes::UNKNOWN_ERROR,
                "HY000",
                "the backend could not prepare the statement",
            )
        })),
    }
}
