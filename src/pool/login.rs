//! Opening a backend connection and logging in: greeting, HandshakeResponse41, then whatever the
//! server asks: auth switch, `caching_sha2_password` fast or full authentication (RSA public key
//! requested from the server, since backend links are plain TCP), `sha256_password`.

use std::time::Duration;

use super::{BackendConn, BackendError, BackendTarget, LoginParams};
use crate::auth::{encrypt_password, token_for, AuthError, AuthPlugin};
use crate::net::{with_timeout, Net};
use crate::protocol::constants::{cap, AUTH_MORE_DATA_HEADER, EOF_HEADER, ERR_HEADER, OK_HEADER};
use crate::protocol::handshake::{AuthSwitch, Greeting, HandshakeResponse};
use crate::protocol::packet::{write_packet, MAX_PAYLOAD};
use crate::protocol::response::decode_err;
use crate::wire::{PacketConn, WireError};

/// caching_sha2_password: server says the fast path succeeded.
const FAST_AUTH_OK: u8 = 3;
/// caching_sha2_password: server wants full authentication.
const PERFORM_FULL_AUTH: u8 = 4;
/// caching_sha2_password: client asks for the server's RSA public key.
const REQUEST_PUBLIC_KEY_SHA2: u8 = 2;
/// sha256_password: client asks for the server's RSA public key.
const REQUEST_PUBLIC_KEY_SHA256: u8 = 1;

impl<S: crate::net::Stream> BackendConn<S> {
    /// Connects to `target` and logs in with `login`, all within `timeout`.
    pub async fn connect<N: Net<Stream = S>>(
        net: &N,
        target: &BackendTarget,
        login: &LoginParams<'_>,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let timed_out = || BackendError::LoginTimeout {
            name: target.name.to_string(),
            addr: target.addr,
            timeout_ms: timeout.as_millis(),
        };
        let stream = net.connect(target.addr, timeout).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::TimedOut {
                timed_out()
            } else {
                BackendError::Unreachable {
                    name: target.name.to_string(),
                    addr: target.addr,
                    source,
                }
            }
        })?;
        let conn = PacketConn::new(stream);
        with_timeout(net, timeout, login_on(conn, target, login))
            .await
            .ok_or_else(timed_out)?
    }
}

async fn login_on<S: crate::net::Stream>(
    mut conn: PacketConn<S>,
    target: &BackendTarget,
    login: &LoginParams<'_>,
) -> Result<BackendConn<S>, BackendError> {
    let lost = |source: WireError| BackendError::Lost {
        name: target.name.to_string(),
        addr: target.addr,
        source,
    };
    let rejected = |payload: &[u8]| BackendError::Rejected {
        name: target.name.to_string(),
        error: decode_err(payload).unwrap_or_else(|| {
            crate::error::MysqlError::new(
                crate::error::codes::ACCESS_DENIED,
                "28000",
                "backend refused the login",
            )
        }),
    };
    let auth_err = |source: AuthError| BackendError::Auth {
        name: target.name.to_string(),
        source,
    };

    let h = conn.fill_packet(MAX_PAYLOAD).await.map_err(lost)?;
    let payload = conn.payload(h);
    if payload.first() == Some(&ERR_HEADER) {
        return Err(rejected(payload));
    }
    let greeting = Greeting::decode(payload).map_err(|e| lost(e.into()))?;
    let server_caps = greeting.capabilities;
    if server_caps & cap::REQUIRED != cap::REQUIRED {
        return Err(lost(WireError::Protocol(
            crate::protocol::ProtocolError::Unsupported(
                "servers without protocol 4.1 plugin authentication",
            ),
        )));
    }
    let mut caps =
        (login.capabilities & server_caps) | cap::REQUIRED | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA;
    caps &= !(cap::SSL | cap::COMPRESS | cap::ZSTD_COMPRESSION);
    caps &= server_caps | cap::LONG_PASSWORD;
    if login.database.is_some() {
        caps |= cap::CONNECT_WITH_DB & server_caps;
    } else {
        caps &= !cap::CONNECT_WITH_DB;
    }
    if login.attributes.is_none() {
        caps &= !cap::CONNECT_ATTRS;
    }
    let mut plugin =
        AuthPlugin::from_name(greeting.auth_plugin).unwrap_or(AuthPlugin::MysqlNativePassword);
    let mut scramble = greeting.scramble.clone();
    let connection_id = greeting.connection_id;
    let server_version = String::from_utf8_lossy(greeting.server_version).into_owned();
    let server_collation = greeting.collation;
    let token = token_for(plugin, login.password, &scramble);
    let mut out = Vec::with_capacity(256);
    let mut payload_buf = Vec::with_capacity(256);
    HandshakeResponse {
        capabilities: caps,
        max_packet: MAX_PAYLOAD as u32 + 1,
        collation: login.collation,
        user: login.user,
        auth_response: &token,
        database: login.database,
        auth_plugin: Some(plugin.name().as_bytes()),
        attributes: login.attributes,
    }
    .encode(&mut payload_buf);
    write_packet(&mut out, h.seq.wrapping_add(1), &payload_buf);
    conn.consume_packet(h);
    conn.write_all(&out).await.map_err(lost)?;

    loop {
        let h = conn.fill_packet(MAX_PAYLOAD).await.map_err(lost)?;
        let payload = conn.payload(h).to_vec();
        conn.consume_packet(h);
        let seq = h.seq.wrapping_add(1);
        let reply: Vec<u8> = match payload.first().copied() {
            Some(OK_HEADER) => {
                return Ok(BackendConn {
                    conn,
                    target: target.clone(),
                    capabilities: caps,
                    connection_id,
                    server_version,
                    server_capabilities: server_caps,
                    server_collation,
                    collation: login.collation,
                })
            }
            Some(ERR_HEADER) => return Err(rejected(&payload)),
            Some(EOF_HEADER) => {
                let switch = AuthSwitch::decode(&payload).map_err(|e| lost(e.into()))?;
                plugin = AuthPlugin::from_name(switch.plugin).ok_or_else(|| {
                    auth_err(AuthError::BackendPlugin(
                        String::from_utf8_lossy(switch.plugin).into_owned(),
                    ))
                })?;
                scramble = switch.scramble.to_vec();
                match plugin {
                    AuthPlugin::Sha256Password if !login.password.is_empty() => {
                        vec![REQUEST_PUBLIC_KEY_SHA256]
                    }
                    AuthPlugin::Sha256Password => vec![0],
                    _ => token_for(plugin, login.password, &scramble),
                }
            }
            Some(AUTH_MORE_DATA_HEADER) => {
                let data = &payload[1..];
                match (plugin, data.first().copied()) {
                    (AuthPlugin::CachingSha2Password, Some(FAST_AUTH_OK)) => continue,
                    (AuthPlugin::CachingSha2Password, Some(PERFORM_FULL_AUTH)) => {
                        vec![REQUEST_PUBLIC_KEY_SHA2]
                    }
                    // Anything else is the server's PEM public key.
                    _ => encrypt_password(login.password, &scramble, data).map_err(auth_err)?,
                }
            }
            _ => {
                return Err(lost(WireError::Protocol(
                    crate::protocol::ProtocolError::Malformed("login reply"),
                )))
            }
        };
        out.clear();
        write_packet(&mut out, seq, &reply);
        conn.write_all(&out).await.map_err(lost)?;
    }
}
