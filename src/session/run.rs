//! The life of one client session: login, then the command loop: read a command, decide what it
//! is (`protocol::command`), and hand it to the statement path (`exec.rs`, which borrows backend
//! connections from the shard's pool), sluice's own answers (`admin.rs`), or the few commands
//! sluice answers or refuses here, until the client quits, breaks, or the shard shuts down (an
//! in-flight reply is always finished first). While the client is idle, a connection that holds
//! nothing of the session's (kept for a possible follow-up statement, or `autocommit = 0` between
//! transactions) goes back to the pool when another session waits for one.

use crate::protocol::session_state::ReportedVariable;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use tracing::debug;

use super::consistency::ReadNeed;
use super::login::{accept_client, authenticate, Answer, ClientLogin};
use super::outbox::{send_err, send_ok};
use super::prepared::Statements;
use super::state::SessionState;
use super::{SessionError, ShardContext};
use crate::auth::new_scramble;
use crate::config::ConsistencyLevel;
use crate::error::{codes, ErrorInfo, MysqlError};
use crate::gtid::GtidSet;
use crate::net::{unless, Net};
use crate::pool::{ConnKey, LoginSpec, PooledConn};
use crate::protocol::command::{action, CommandAction};
use crate::protocol::constants::{cap, com};
use crate::protocol::handshake::ChangeUser;
use crate::protocol::packet::{write_small_packet, PacketHeader, HEADER_LEN};
use crate::protocol::reply::{ReplyKind, ReplyTracker};
use crate::protocol::ProtocolError;
use crate::router::PRIMARY;
use crate::wire::{drain_reply, forward_packets, ForwardError, PacketConn, WireError};

/// Commands up to this size are buffered whole; larger ones are streamed to the backend.
pub(super) const MAX_BUFFERED_COMMAND: usize = 1024 * 1024;

/// One session's state.
pub(super) struct Session<'c, N: Net> {
    pub ctx: &'c ShardContext<N>,
    pub client: PacketConn<N::Stream>,
    pub peer: SocketAddr,
    pub scramble: [u8; crate::auth::SCRAMBLE_LEN],
    pub login: ClientLogin,
    pub spec: LoginSpec,
    pub state: SessionState,
    /// The backend connection the session holds between statements: while pinned, or for the
    /// statement right after one whose connection it may need (`LAST_INSERT_ID()`, ...).
    pub held: Option<PooledConn<N::Stream>>,
    /// `held` is kept for the next statement (after a write, a reply with warnings, an error, ...),
    /// not only because the session is pinned (the end of a prepared statement's execution
    /// gives back a connection held for neither).
    pub held_for_next: bool,
    pub stmts: Statements,
    pub consistency: ConsistencyLevel,
    /// The GTID of the session's last commit, as the primary reported it.
    pub last_commit: Option<GtidSet>,
    /// The primary reported a commit whose GTID could not be read: reads go to the primary.
    pub last_commit_unknown: bool,
    /// When the command being served arrived (its header was read).
    pub command_arrival: Instant,
    /// What the statement being served asks of a read (hints).
    pub read_need: ReadNeed,
    /// The system variables the last reply reported changed (`(name, value)`).
    pub reported_variables: Vec<ReportedVariable>,
    /// The command packet being served (copied so a read can be retried elsewhere).
    pub packet: Vec<u8>,
    /// A packet sluice builds for a backend (a rewritten EXECUTE, ...).
    pub scratch: Vec<u8>,
}

fn login_spec(login: &ClientLogin) -> LoginSpec {
    LoginSpec {
        // Backend connections always ask for session tracking (commit GTIDs, state changes);
        // replies are rewritten for clients that did not ask for it.
        key: ConnKey::new(
            &login.identity.user,
            login.capabilities | cap::SESSION_TRACK,
            login.collation,
        ),
        password: Rc::from(&login.identity.password[..]),
        attributes: login.attributes.as_deref().map(Rc::from),
    }
}

/// Serves one client connection until it ends. Never panics on client or backend input.
pub async fn run_session<N: Net>(ctx: Rc<ShardContext<N>>, stream: N::Stream, peer: SocketAddr) {
    let mut client = PacketConn::new(stream);
    let connection_id = ctx.next_connection_id();
    let scramble = new_scramble();
    let mut login =
        match accept_client(&ctx, &mut client, connection_id, &scramble, peer.ip()).await {
            Ok(login) => login,
            Err(e) => {
                if let SessionError::Protocol(_) = e {
                    if let Some(err) = e.mysql_error() {
                        let _ = send_err(&mut client, 2, &err).await;
                    }
                }
                debug!(%peer, error = %e, "login failed");
                client.close().await;
                return;
            }
        };
    let schema = login.database.take().map(|d| Rc::from(&d[..]));
    let multi = login.capabilities & cap::MULTI_STATEMENTS != 0;
    let spec = login_spec(&login);
    let mut session = Session {
        ctx: &ctx,
        client,
        peer,
        scramble,
        login,
        spec,
        state: SessionState::new(schema, multi),
        held: None,
        held_for_next: false,
        stmts: Statements::default(),
        consistency: ctx.consistency,
        last_commit: None,
        last_commit_unknown: false,
        command_arrival: Instant::now(),
        read_need: ReadNeed::default(),
        reported_variables: Vec::new(),
        packet: Vec::new(),
        scratch: Vec::new(),
    };
    let seq = session.login.next_seq;
    let result = match session.check_login().await {
        Ok(()) => match send_ok(&mut session.client, seq, session.state.pins.status()).await {
            Ok(()) => session.serve().await,
            Err(e) => Err(e.into()),
        },
        Err(e) => {
            if let Some(err) = e.mysql_error() {
                let _ = send_err(&mut session.client, seq, &err).await;
            }
            Err(e)
        }
    };
    if let Err(e) = result {
        debug!(%peer, error = %e, "session ended");
    }
    session.release_held();
    session.client.close().await;
}

impl<N: Net> Session<'_, N> {
    /// Checks that the session can work: a primary connection for its user, in its schema (an
    /// unknown schema gets the server's own error, as at a direct login).
    async fn check_login(&mut self) -> Result<(), SessionError> {
        let conn = self
            .ctx
            .pool
            .checkout(&self.ctx.net, PRIMARY, &self.spec, &self.state.wanted())
            .await?;
        self.ctx.learn_identity(
            &conn.conn.server_version,
            conn.conn.server_capabilities,
            conn.conn.server_collation,
        );
        self.ctx.pool.checkin(conn);
        Ok(())
    }

    /// Before the session's state starts over: a held connection that carries it (locks,
    /// temporary tables, a transaction, ...) is reset on the server (COM_RESET_CONNECTION, its
    /// reply awaited) and closed, so that what it held is released before the client hears that
    /// its state is gone (another session's GET_LOCK right after must not find the lock taken).
    /// Any other held connection is given back.
    async fn discard_held_state(&mut self) {
        let carries_state = self.state.pins.taints() || self.state.pins.in_transaction();
        let Some(mut conn) = self.held.take().filter(|_| carries_state) else {
            self.release_held();
            return;
        };
        let mut out = Vec::with_capacity(5);
        write_small_packet(&mut out, 0, |p| p.push(com::RESET_CONNECTION));
        if conn.conn.conn.write_all(&out).await.is_ok() {
            let mut tracker = ReplyTracker::new(ReplyKind::Single, conn.conn.capabilities);
            let _ = drain_reply(&mut conn.conn.conn, &mut tracker).await;
        }
        // Reset to server defaults, the connection no longer matches what the pool knows of it.
        drop(conn);
    }

    /// Gives back the held connection (closed instead if it carries the session's own state).
    pub(super) fn release_held(&mut self) {
        if let Some(conn) = self.held.take() {
            if self.state.pins.taints() || self.state.pins.in_transaction() {
                drop(conn);
            } else {
                self.ctx.pool.checkin(conn);
            }
        }
    }

    /// The backend of the connection the session holds though nothing binds it there (kept in
    /// case the next statement needs it, or `autocommit = 0` between transactions): given back
    /// while the client is idle if another session waits for one.
    fn lendable_backend(&self) -> Option<usize> {
        self.held
            .as_ref()
            .filter(|_| !self.state.pins.binds_connection())
            .map(|c| c.backend())
    }

    /// The next command's header; `None` once shutdown began. While the client is idle, a
    /// connection held for a follow-up goes back to the pool when another session waits for one.
    async fn next_command(&mut self) -> Option<Result<PacketHeader, WireError>> {
        let ctx = self.ctx;
        loop {
            let Some(backend) = self.lendable_backend() else {
                return ctx
                    .shutdown
                    .unless_triggered(self.client.next_header())
                    .await;
            };
            let wanted = ctx.pool.wanted(backend);
            match ctx
                .shutdown
                .unless_triggered(unless(self.client.next_header(), wanted))
                .await
            {
                None => return None,
                Some(Some(header)) => return Some(header),
                Some(None) => {
                    debug!(
                        backend,
                        "idle session gives back a connection another waits for"
                    );
                    self.release_held();
                }
            }
        }
    }

    /// The command loop.
    async fn serve(&mut self) -> Result<(), SessionError> {
        loop {
            let header = self.next_command().await;
            let Some(header) = header else {
                return Err(SessionError::ShuttingDown);
            };
            self.command_arrival = Instant::now();
            let header = match header {
                Ok(h) => h,
                Err(WireError::Closed) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            if header.payload_len == 0 {
                self.client.consume_packet(header);
                let err = MysqlError::new(
                    codes::MALFORMED_PACKET,
                    "HY000",
                    "Malformed communication packet (empty command)",
                );
                send_err(&mut self.client, header.seq.wrapping_add(1), &err).await?;
                continue;
            }
            let large = header.payload_len > MAX_BUFFERED_COMMAND;
            if large {
                self.client.fill_to(HEADER_LEN + 1).await?;
            } else {
                self.client.fill_packet(MAX_BUFFERED_COMMAND).await?;
            }
            let command = self.client.rbuf.data()[HEADER_LEN];
            match action(command) {
                CommandAction::Quit => return Ok(()),
                CommandAction::Refuse => {
                    self.discard_command(header, large).await?;
                    let err = MysqlError::new(codes::UNKNOWN_COMMAND, "08S01", "Unknown command");
                    send_err(&mut self.client, header.seq.wrapping_add(1), &err).await?;
                }
                CommandAction::ChangeUser if !large => self.change_user(header).await?,
                CommandAction::ChangeUser => {
                    return Err(ProtocolError::TooLarge(header.payload_len).into());
                }
                CommandAction::Forward(_) if large => self.forward_large(header).await?,
                CommandAction::Forward(kind) => {
                    self.packet.clear();
                    self.packet
                        .extend_from_slice(self.client.raw_packet(header));
                    self.client.consume_packet(header);
                    self.command(command, header.seq, kind).await?;
                }
            }
        }
    }

    /// Drops a command the client sent that will not be forwarded.
    pub(super) async fn discard_command(
        &mut self,
        header: PacketHeader,
        large: bool,
    ) -> Result<(), SessionError> {
        if !large {
            self.client.consume_packet(header);
            return Ok(());
        }
        let mut sink = futures_lite::io::sink();
        forward_packets(&mut self.client, &mut sink, |_| true)
            .await
            .map_err(|e| match e {
                ForwardError::Source(e) | ForwardError::Sink(e) => SessionError::from(e),
            })
    }

    pub(super) async fn send_error(
        &mut self,
        seq: u8,
        e: &impl ErrorInfo,
    ) -> Result<(), SessionError> {
        if let Some(err) = e.mysql_error() {
            send_err(&mut self.client, seq, &err).await?;
        }
        Ok(())
    }

    /// COM_RESET_CONNECTION: the session's state starts over (schema kept, as on a server);
    /// a connection holding its old state is closed, not given to anyone.
    pub(super) async fn reset_connection(&mut self, seq: u8) -> Result<(), SessionError> {
        self.discard_held_state().await;
        self.state.reset();
        self.stmts.clear();
        self.reset_consistency();
        send_ok(&mut self.client, seq, self.state.pins.status())
            .await
            .map_err(Into::into)
    }

    /// COM_CHANGE_USER: sluice checks the new user itself; the session's state starts over, and
    /// its later connections belong to the new user.
    async fn change_user(&mut self, header: PacketHeader) -> Result<(), SessionError> {
        let caps = self.login.capabilities;
        let parsed = ChangeUser::decode(self.client.payload(header), caps).map(|c| {
            (
                c.user.to_vec(),
                c.auth_response.to_vec(),
                c.database.to_vec(),
                c.collation,
                c.auth_plugin.map(<[u8]>::to_vec),
                c.attributes.map(<[u8]>::to_vec),
            )
        });
        self.client.consume_packet(header);
        let (user, token, database, collation, plugin, attributes) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let err = SessionError::from(e);
                self.send_error(header.seq.wrapping_add(1), &err).await?;
                return Err(err);
            }
        };
        self.discard_held_state().await;
        let answer = Answer {
            user: &user,
            plugin: plugin.as_deref(),
            token: &token,
            seq: header.seq,
        };
        let (identity, seq) = authenticate(
            self.ctx,
            &mut self.client,
            answer,
            &self.scramble,
            caps,
            self.peer.ip(),
        )
        .await?;
        self.login.identity = identity;
        if let Some(c) = collation {
            self.login.collation = c as u8;
        }
        if attributes.is_some() {
            self.login.attributes = attributes;
        }
        self.spec = login_spec(&self.login);
        let schema = (!database.is_empty()).then(|| Rc::from(&database[..]));
        self.state = SessionState::new(schema, caps & cap::MULTI_STATEMENTS != 0);
        self.stmts.clear();
        self.reset_consistency();
        match self.check_login().await {
            Ok(()) => send_ok(&mut self.client, seq, self.state.pins.status())
                .await
                .map_err(Into::into),
            Err(e) => {
                self.send_error(seq, &e).await?;
                Ok(())
            }
        }
    }

    /// Dispatches one buffered command (in `self.packet`).
    async fn command(
        &mut self,
        command: u8,
        seq: u8,
        kind: crate::protocol::reply::ReplyKind,
    ) -> Result<(), SessionError> {
        let reply_seq = seq.wrapping_add(1);
        match command {
            com::QUERY => self.query(reply_seq).await,
            com::STMT_PREPARE => self.prepare(reply_seq).await,
            com::STMT_EXECUTE => self.execute(reply_seq).await,
            com::STMT_SEND_LONG_DATA => self.send_long_data().await,
            com::STMT_CLOSE => self.close_statement().await,
            com::STMT_RESET => self.reset_statement(reply_seq).await,
            com::STMT_FETCH => self.fetch(reply_seq).await,
            com::PING => send_ok(&mut self.client, reply_seq, self.state.pins.status())
                .await
                .map_err(Into::into),
            com::RESET_CONNECTION => self.reset_connection(reply_seq).await,
            _ => self.other_command(command, reply_seq, kind).await,
        }
    }
}
