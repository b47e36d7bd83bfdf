//! Client authentication: the greeting sluice sends, the client's HandshakeResponse41, an auth
//! switch when the client answered with another plugin than the listener requires, and the check
//! of the client's token against the configured password. Shared by the first login and
//! COM_CHANGE_USER. Logging in to the backend is `pool`'s job.

use std::net::IpAddr;

use super::outbox::{send_err, send_packet};
use super::{SessionError, ShardContext};
use crate::auth::{new_scramble, verify_token, AuthError, AuthPlugin};
use crate::error::ErrorInfo;
use crate::net::{Net, Stream};
use crate::protocol::constants::{cap, status, AUTH_MORE_DATA_HEADER};
use crate::protocol::handshake::{AuthSwitch, Greeting, HandshakeResponse};
use crate::protocol::packet::write_small_packet;
use crate::protocol::ProtocolError;
use crate::wire::PacketConn;

/// Largest packet accepted during the connection phase.
const MAX_LOGIN_PACKET: usize = 64 * 1024;
/// caching_sha2_password "fast authentication succeeded".
const FAST_AUTH_OK: u8 = 3;

/// A client that proved who it is.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: Vec<u8>,
    pub password: Vec<u8>,
}

/// What the client asked for in its handshake.
#[derive(Debug, Clone)]
pub struct ClientLogin {
    pub identity: Identity,
    /// The schema named in the handshake; the session moves it into its `Recovery`, which then
    /// follows the current schema.
    pub database: Option<Vec<u8>>,
    pub capabilities: u32,
    pub collation: u8,
    pub attributes: Option<Vec<u8>>,
    /// Sequence id for sluice's final OK/ERR of the login.
    pub next_seq: u8,
}

/// A client's answer to an authentication request, as received.
pub struct Answer<'a> {
    pub user: &'a [u8],
    pub plugin: Option<&'a [u8]>,
    pub token: &'a [u8],
    /// Sequence id of the client's packet that carried the answer.
    pub seq: u8,
}

/// Sends the greeting and authenticates the client.
pub async fn accept_client<N: Net, S: Stream>(
    ctx: &ShardContext<N>,
    client: &mut PacketConn<S>,
    connection_id: u32,
    scramble: &[u8],
    peer: IpAddr,
) -> Result<ClientLogin, SessionError> {
    let offered = ctx.offered_capabilities();
    let identity = ctx.identity();
    let mut out = Vec::with_capacity(128);
    write_small_packet(&mut out, 0, |b| {
        Greeting {
            server_version: identity.version.as_bytes(),
            connection_id,
            scramble: scramble.to_vec(),
            capabilities: offered,
            collation: identity.collation,
            status: status::AUTOCOMMIT,
            auth_plugin: ctx.auth_plugin.name().as_bytes(),
        }
        .encode(b)
    });
    client.write_all(&out).await?;

    let h = client.fill_packet(MAX_LOGIN_PACKET).await?;
    if h.seq != 1 {
        return Err(ProtocolError::OutOfOrder {
            expected: 1,
            got: h.seq,
        }
        .into());
    }
    let resp = HandshakeResponse::decode(client.payload(h))?;
    let capabilities = resp.capabilities & offered;
    if capabilities & cap::REQUIRED & !cap::PLUGIN_AUTH != cap::REQUIRED & !cap::PLUGIN_AUTH {
        return Err(
            ProtocolError::Unsupported("clients without secure (4.1) authentication").into(),
        );
    }
    let user = resp.user.to_vec();
    let database = resp.database.filter(|d| !d.is_empty()).map(<[u8]>::to_vec);
    let collation = resp.collation;
    let attributes = resp.attributes.map(<[u8]>::to_vec);
    let plugin = resp.auth_plugin.map(<[u8]>::to_vec);
    let token = resp.auth_response.to_vec();
    client.consume_packet(h);

    let answer = Answer {
        user: &user,
        plugin: plugin.as_deref(),
        token: &token,
        seq: h.seq,
    };
    let (identity, next_seq) =
        authenticate(ctx, client, answer, scramble, capabilities, peer).await?;
    Ok(ClientLogin {
        identity,
        database,
        capabilities,
        collation,
        attributes,
        next_seq,
    })
}

/// Checks the client's answer, switching it to the listener's plugin first if needed. On success
/// returns who the client is and the sequence id for the final OK.
pub async fn authenticate<N: Net, S: Stream>(
    ctx: &ShardContext<N>,
    client: &mut PacketConn<S>,
    answer: Answer<'_>,
    scramble: &[u8],
    capabilities: u32,
    peer: IpAddr,
) -> Result<(Identity, u8), SessionError> {
    let denied = |using_password: bool| AuthError::AccessDenied {
        user: String::from_utf8_lossy(answer.user).into_owned(),
        host: peer.to_string(),
        using_password,
    };
    let Some(password) = ctx.users.password(answer.user) else {
        return deny(
            client,
            answer.seq.wrapping_add(1),
            denied(!answer.token.is_empty()),
        )
        .await;
    };
    let password = password.to_vec();
    let required = ctx.auth_plugin;
    let used = match answer.plugin {
        Some(name) => AuthPlugin::from_name(name),
        None => Some(AuthPlugin::MysqlNativePassword),
    };
    let mut seq = answer.seq.wrapping_add(1);
    let (plugin, ok) = if used == Some(required) || capabilities & cap::PLUGIN_AUTH == 0 {
        let plugin = used.unwrap_or(AuthPlugin::MysqlNativePassword);
        (
            plugin,
            verify_token(plugin, &password, scramble, answer.token),
        )
    } else {
        let fresh = new_scramble();
        let mut out = Vec::with_capacity(64);
        write_small_packet(&mut out, seq, |b| {
            AuthSwitch {
                plugin: required.name().as_bytes(),
                scramble: &fresh,
            }
            .encode(b)
        });
        client.write_all(&out).await?;
        let h = client.fill_packet(MAX_LOGIN_PACKET).await?;
        let ok = verify_token(required, &password, &fresh, client.payload(h));
        client.consume_packet(h);
        seq = h.seq.wrapping_add(1);
        (required, ok)
    };
    if !ok {
        return deny(
            client,
            seq,
            denied(!answer.token.is_empty() || !password.is_empty()),
        )
        .await;
    }
    if plugin == AuthPlugin::CachingSha2Password {
        send_packet(client, seq, &[AUTH_MORE_DATA_HEADER, FAST_AUTH_OK]).await?;
        seq = seq.wrapping_add(1);
    }
    Ok((
        Identity {
            user: answer.user.to_vec(),
            password,
        },
        seq,
    ))
}

/// Tells the client it is denied (ERR 1045 with sequence `seq`) and fails.
async fn deny<S: Stream, T>(
    client: &mut PacketConn<S>,
    seq: u8,
    err: AuthError,
) -> Result<T, SessionError> {
    if let Some(e) = err.mysql_error() {
        send_err(client, seq, &e).await?;
    }
    Err(err.into())
}
