//! The life of one client session: login, then read a command, forward it to the primary, relay
//! the reply, until the client quits, breaks, or the shard shuts down (an in-flight reply is
//! always finished first).

use std::net::SocketAddr;
use std::rc::Rc;

use tracing::debug;

use super::login::{accept_client, authenticate, Answer, ClientLogin};
use super::outbox::{send_err, send_ok};
use super::recovery::{Pending, Recovery};
use super::{SessionError, ShardContext};
use crate::auth::new_scramble;
use crate::error::{codes, ErrorInfo, MysqlError};
use crate::net::Net;
use crate::pool::{BackendConn, BackendError, LoginParams};
use crate::protocol::command::{action, CommandAction};
use crate::protocol::constants::{com, status};
use crate::protocol::handshake::ChangeUser;
use crate::protocol::packet::{write_small_packet, PacketHeader, HEADER_LEN};
use crate::protocol::reply::{ReplyKind, ReplyTracker};
use crate::protocol::ProtocolError;
use crate::wire::{
    drain_reply, forward_packets, relay_reply, ForwardError, PacketConn, RelayError, RelayOutcome,
    WireError,
};

/// Commands up to this size are buffered whole; larger ones are streamed to the backend.
const MAX_BUFFERED_COMMAND: usize = 1024 * 1024;

/// One session's state.
struct Session<'c, N: Net> {
    ctx: &'c ShardContext<N>,
    client: PacketConn<N::Stream>,
    peer: SocketAddr,
    scramble: [u8; crate::auth::SCRAMBLE_LEN],
    login: ClientLogin,
    backend: Option<BackendConn<N::Stream>>,
    /// What a new backend connection must be given, and whether it can be.
    recovery: Recovery,
}

/// What a forwarded command will change in the session if it succeeds.
enum Effect {
    None,
    Query(Pending),
    InitDb(Vec<u8>),
    Prepare,
    Reset,
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
    let recovery = Recovery::new(login.database.take());
    let mut session = Session {
        ctx: &ctx,
        client,
        peer,
        scramble,
        login,
        backend: None,
        recovery,
    };
    let seq = session.login.next_seq;
    let result = match session.connect_backend().await {
        Ok(()) => match send_ok(&mut session.client, seq, status::AUTOCOMMIT).await {
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
    session.client.close().await;
}

impl<N: Net> Session<'_, N> {
    /// Opens the session's backend connection and gives it the session's state (schema at
    /// login, then the session `SET`s replayed in order).
    async fn connect_backend(&mut self) -> Result<(), SessionError> {
        let login = &self.login;
        let params = LoginParams {
            user: &login.identity.user,
            password: &login.identity.password,
            database: self.recovery.database.as_deref(),
            capabilities: login.capabilities,
            collation: login.collation,
            attributes: login.attributes.as_deref(),
        };
        let conn = BackendConn::connect(
            &self.ctx.net,
            &self.ctx.primary,
            &params,
            self.ctx.connect_timeout,
        )
        .await?;
        self.ctx.learn_identity(
            &conn.server_version,
            conn.server_capabilities,
            conn.server_collation,
        );
        self.backend = Some(conn);
        self.replay_state().await
    }

    /// Runs the session's `SET` statements on a fresh backend connection. Any failure closes the
    /// session: its commands must not run with settings other than the ones it chose.
    async fn replay_state(&mut self) -> Result<(), SessionError> {
        let Some(backend) = self.backend.as_mut() else {
            return Ok(());
        };
        let mut packet = Vec::new();
        for stmt in self.recovery.replay() {
            packet.clear();
            write_small_packet(&mut packet, 0, |p| {
                p.push(com::QUERY);
                p.extend_from_slice(stmt);
            });
            let mut tracker = ReplyTracker::new(ReplyKind::ResultSets, backend.capabilities);
            let done = match backend.conn.write_all(&packet).await {
                Ok(()) => drain_reply(&mut backend.conn, &mut tracker).await,
                Err(e) => Err(e),
            };
            if !matches!(done, Ok(RelayOutcome { error: false, .. })) {
                self.backend = None;
                return Err(SessionError::LostState(
                    "its session settings could not be restored",
                ));
            }
        }
        Ok(())
    }

    /// What `command` will change if it succeeds (learned before the packet is sent).
    fn effect_of(&self, command: u8, header: PacketHeader, large: bool) -> Effect {
        if large {
            return Effect::None;
        }
        let body = &self.client.payload(header)[1..];
        match command {
            com::QUERY => Effect::Query(self.recovery.inspect(body, &self.ctx.classifier)),
            com::INIT_DB => Effect::InitDb(body.to_vec()),
            com::STMT_PREPARE => Effect::Prepare,
            com::RESET_CONNECTION => Effect::Reset,
            _ => Effect::None,
        }
    }

    /// A reply ended: record what the command changed.
    fn settle(&mut self, effect: Effect, tracker: &ReplyTracker, outcome: RelayOutcome) {
        if !outcome.error {
            self.recovery.note_status(outcome.status);
        }
        match effect {
            Effect::Query(pending) => self.recovery.settle(pending, outcome.error),
            Effect::InitDb(db) if !outcome.error => self.recovery.database = Some(db),
            Effect::Prepare if !outcome.error => {
                if let Some(ok) = tracker.prepare_ok() {
                    self.recovery.prepared(ok.statement_id);
                }
            }
            Effect::Reset if !outcome.error => self.recovery.reset(),
            _ => {}
        }
    }

    /// After an ERR for a lost backend: a session holding connection-bound state is closed.
    fn after_loss(&self) -> Result<(), SessionError> {
        match self.recovery.blocker() {
            Some(why) => Err(SessionError::LostState(why)),
            None => Ok(()),
        }
    }

    /// The command loop.
    async fn serve(&mut self) -> Result<(), SessionError> {
        loop {
            let header = self
                .ctx
                .shutdown
                .unless_triggered(self.client.next_header())
                .await;
            let Some(header) = header else {
                return Err(SessionError::ShuttingDown);
            };
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
                CommandAction::Forward(kind) => self.forward(header, large, kind, command).await?,
            }
        }
    }

    /// Drops a command the client sent that will not be forwarded.
    async fn discard_command(
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

    /// Forwards one command to the primary and relays its reply.
    async fn forward(
        &mut self,
        header: PacketHeader,
        large: bool,
        kind: ReplyKind,
        command: u8,
    ) -> Result<(), SessionError> {
        let reply_seq = header.seq.wrapping_add(1);
        if self.backend.is_none() {
            if let Err(e) = self.connect_backend().await {
                self.discard_command(header, large).await?;
                if kind != ReplyKind::None {
                    self.send_error(reply_seq, &e).await?;
                }
                return Ok(());
            }
        }
        let effect = self.effect_of(command, header, large);
        if command == com::STMT_CLOSE && !large {
            if let Some(id) = self.client.payload(header).get(1..5) {
                self.recovery
                    .closed(u32::from_le_bytes([id[0], id[1], id[2], id[3]]));
            }
        }
        let Some(backend) = self.backend.as_mut() else {
            return Ok(());
        };
        let sent = if large {
            match forward_packets(&mut self.client, &mut backend.conn.stream, |_| true).await {
                Ok(()) => Ok(()),
                Err(ForwardError::Source(e)) => {
                    // A half-sent command leaves the backend in an unknown state.
                    self.backend = None;
                    return Err(e.into());
                }
                Err(ForwardError::Sink(e)) => Err(e),
            }
        } else {
            let r = backend.conn.write_all(self.client.raw_packet(header)).await;
            self.client.consume_packet(header);
            r
        };
        if let Err(source) = sent {
            let e = self.backend_lost(source);
            if kind != ReplyKind::None {
                self.send_error(reply_seq, &e).await?;
            }
            return self.after_loss();
        }
        if kind == ReplyKind::None {
            return Ok(());
        }
        let mut tracker = ReplyTracker::new(kind, backend.capabilities);
        match relay_reply(&mut backend.conn, &mut self.client, &mut tracker).await {
            Ok(outcome) => {
                self.settle(effect, &tracker, outcome);
                Ok(())
            }
            Err(RelayError::Client(e)) => {
                self.backend = None;
                Err(e.into())
            }
            Err(RelayError::Backend {
                source,
                sent,
                at_boundary,
                next_seq,
            }) => {
                let e = self.backend_lost(source);
                // The ERR goes where the client expects the next packet; inside a packet there
                // is no such place, and only closing the connection is right.
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

    fn backend_lost(&mut self, source: WireError) -> BackendError {
        let target = self.ctx.primary.clone();
        self.backend = None;
        BackendError::Lost {
            name: target.name.to_string(),
            addr: target.addr,
            source,
        }
    }

    async fn send_error(&mut self, seq: u8, e: &impl ErrorInfo) -> Result<(), SessionError> {
        if let Some(err) = e.mysql_error() {
            send_err(&mut self.client, seq, &err).await?;
        }
        Ok(())
    }

    /// COM_CHANGE_USER: sluice checks the new user itself, then logs in to the backend afresh as
    /// that user (backend connections belong to one user). Session state starts over.
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
        self.backend = None;
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
        self.recovery = Recovery::new((!database.is_empty()).then_some(database));
        if let Some(c) = collation {
            self.login.collation = c as u8;
        }
        if attributes.is_some() {
            self.login.attributes = attributes;
        }
        match self.connect_backend().await {
            Ok(()) => send_ok(&mut self.client, seq, status::AUTOCOMMIT)
                .await
                .map_err(Into::into),
            Err(e) => {
                self.send_error(seq, &e).await?;
                Ok(())
            }
        }
    }
}
