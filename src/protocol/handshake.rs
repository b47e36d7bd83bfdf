//! The connection phase messages: the server greeting (Handshake v10), the client's
//! HandshakeResponse41, AuthSwitchRequest and COM_CHANGE_USER. Decoding borrows from the packet
//! payload; encoding appends to a `Vec<u8>`. No I/O, no authentication logic (see `auth`).

use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32, le_u8};
use nom::IResult;

use super::constants::cap;
use super::lenenc::{lenenc_bytes, nul_bytes, nul_or_eof_bytes, put_lenenc_bytes, put_nul_bytes};
use super::ProtocolError;

/// The server's first packet (protocol version 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting<'a> {
    pub server_version: &'a [u8],
    pub connection_id: u32,
    /// The full scramble (usually 20 bytes), without the trailing NUL.
    pub scramble: Vec<u8>,
    pub capabilities: u32,
    pub collation: u8,
    pub status: u16,
    pub auth_plugin: &'a [u8],
}

fn greeting(input: &[u8]) -> IResult<&[u8], Greeting<'_>> {
    let (input, _proto) = nom::bytes::complete::tag(&[10u8][..])(input)?;
    let (input, server_version) = nul_bytes(input)?;
    let (input, connection_id) = le_u32(input)?;
    let (input, scramble1) = take(8usize)(input)?;
    let (input, _filler) = le_u8(input)?;
    let (input, caps_low) = le_u16(input)?;
    let (input, collation) = le_u8(input)?;
    let (input, status) = le_u16(input)?;
    let (input, caps_high) = le_u16(input)?;
    let capabilities = u32::from(caps_low) | (u32::from(caps_high) << 16);
    let (input, auth_len) = le_u8(input)?;
    let (input, _reserved) = take(10usize)(input)?;
    let mut scramble = scramble1.to_vec();
    let mut input = input;
    if capabilities & cap::SECURE_CONNECTION != 0 {
        let part2_len = (auth_len as usize).saturating_sub(8).max(13);
        let (rest, part2) = take(part2_len.min(input.len()))(input)?;
        // The second part is NUL-terminated on the wire; the NUL is not part of the scramble.
        let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
        scramble.extend_from_slice(part2);
        input = rest;
    }
    let (input, auth_plugin) = if capabilities & cap::PLUGIN_AUTH != 0 {
        nul_or_eof_bytes(input)?
    } else {
        (input, &b""[..])
    };
    Ok((
        input,
        Greeting {
            server_version,
            connection_id,
            scramble,
            capabilities,
            collation,
            status,
            auth_plugin,
        },
    ))
}

impl<'a> Greeting<'a> {
    pub fn decode(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        if payload.first() == Some(&0xff) {
            return Err(ProtocolError::Malformed(
                "server sent an error instead of a greeting",
            ));
        }
        greeting(payload)
            .map(|(_, g)| g)
            .map_err(|_| ProtocolError::Malformed("server greeting"))
    }

    /// Appends the greeting payload (without packet header).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(10);
        put_nul_bytes(out, self.server_version);
        out.extend_from_slice(&self.connection_id.to_le_bytes());
        let (part1, part2) = self.scramble.split_at(self.scramble.len().min(8));
        out.extend_from_slice(part1);
        out.push(0);
        out.extend_from_slice(&(self.capabilities as u16).to_le_bytes());
        out.push(self.collation);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&((self.capabilities >> 16) as u16).to_le_bytes());
        out.push((self.scramble.len() + 1) as u8);
        out.extend_from_slice(&[0u8; 10]);
        put_nul_bytes(out, part2);
        put_nul_bytes(out, self.auth_plugin);
    }
}

/// A trailing NUL-terminated field that is there when `present` (its capability was negotiated)
/// and bytes remain.
fn optional_nul(input: &[u8], present: bool) -> IResult<&[u8], Option<&[u8]>> {
    if present && !input.is_empty() {
        let (rest, v) = nul_or_eof_bytes(input)?;
        Ok((rest, Some(v)))
    } else {
        Ok((input, None))
    }
}

/// The connection-attributes block, kept raw with its length prefix, when CONNECT_ATTRS was
/// negotiated and bytes remain.
fn optional_attributes(input: &[u8], caps: u32) -> IResult<&[u8], Option<&[u8]>> {
    if caps & cap::CONNECT_ATTRS != 0 && !input.is_empty() {
        let (rest, _) = lenenc_bytes(input)?;
        Ok((rest, Some(&input[..input.len() - rest.len()])))
    } else {
        Ok((input, None))
    }
}

/// The client's answer to the greeting (HandshakeResponse41).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse<'a> {
    pub capabilities: u32,
    pub max_packet: u32,
    pub collation: u8,
    pub user: &'a [u8],
    pub auth_response: &'a [u8],
    pub database: Option<&'a [u8]>,
    pub auth_plugin: Option<&'a [u8]>,
    /// Connection attributes exactly as sent (the lenenc-prefixed block), if any.
    pub attributes: Option<&'a [u8]>,
}

fn handshake_response(input: &[u8]) -> IResult<&[u8], HandshakeResponse<'_>> {
    let (input, capabilities) = le_u32(input)?;
    let (input, max_packet) = le_u32(input)?;
    let (input, collation) = le_u8(input)?;
    let (input, _filler) = take(23usize)(input)?;
    let (input, user) = nul_or_eof_bytes(input)?;
    let (input, auth_response) = if capabilities & cap::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        lenenc_bytes(input)?
    } else if capabilities & cap::SECURE_CONNECTION != 0 {
        let (input, len) = le_u8(input)?;
        take(len as usize)(input)?
    } else {
        nul_or_eof_bytes(input)?
    };
    let (input, database) = optional_nul(input, capabilities & cap::CONNECT_WITH_DB != 0)?;
    let (input, auth_plugin) = optional_nul(input, capabilities & cap::PLUGIN_AUTH != 0)?;
    let (input, attributes) = optional_attributes(input, capabilities)?;
    Ok((
        input,
        HandshakeResponse {
            capabilities,
            max_packet,
            collation,
            user,
            auth_response,
            database,
            auth_plugin,
            attributes,
        },
    ))
}

impl<'a> HandshakeResponse<'a> {
    pub fn decode(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        if payload.len() < 32 {
            return Err(ProtocolError::Malformed("handshake response too short"));
        }
        let caps = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
        if caps & cap::PROTOCOL_41 == 0 {
            return Err(ProtocolError::Unsupported(
                "clients older than protocol 4.1",
            ));
        }
        if caps & cap::SSL != 0 && payload.len() == 32 {
            return Err(ProtocolError::Unsupported("TLS towards sluice"));
        }
        handshake_response(payload)
            .map(|(_, r)| r)
            .map_err(|_| ProtocolError::Malformed("handshake response"))
    }

    /// Appends the payload. The auth response is always written length-encoded, so
    /// `PLUGIN_AUTH_LENENC_CLIENT_DATA` must be among `capabilities`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.capabilities.to_le_bytes());
        out.extend_from_slice(&self.max_packet.to_le_bytes());
        out.push(self.collation);
        out.extend_from_slice(&[0u8; 23]);
        put_nul_bytes(out, self.user);
        put_lenenc_bytes(out, self.auth_response);
        if self.capabilities & cap::CONNECT_WITH_DB != 0 {
            put_nul_bytes(out, self.database.unwrap_or(b""));
        }
        if self.capabilities & cap::PLUGIN_AUTH != 0 {
            put_nul_bytes(out, self.auth_plugin.unwrap_or(b""));
        }
        if self.capabilities & cap::CONNECT_ATTRS != 0 {
            match self.attributes {
                Some(a) => out.extend_from_slice(a),
                None => out.push(0),
            }
        }
    }
}

/// AuthSwitchRequest (0xfe): the server asks the client to answer with another plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitch<'a> {
    pub plugin: &'a [u8],
    pub scramble: &'a [u8],
}

impl<'a> AuthSwitch<'a> {
    pub fn decode(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        let body = payload
            .strip_prefix(&[0xfe])
            .ok_or(ProtocolError::Malformed("auth switch request"))?;
        let (rest, plugin) =
            nul_or_eof_bytes(body).map_err(|_| ProtocolError::Malformed("auth switch request"))?;
        let scramble = rest.strip_suffix(&[0]).unwrap_or(rest);
        Ok(Self { plugin, scramble })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(0xfe);
        put_nul_bytes(out, self.plugin);
        put_nul_bytes(out, self.scramble);
    }
}

/// COM_CHANGE_USER as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeUser<'a> {
    pub user: &'a [u8],
    pub auth_response: &'a [u8],
    pub database: &'a [u8],
    pub collation: Option<u16>,
    pub auth_plugin: Option<&'a [u8]>,
    pub attributes: Option<&'a [u8]>,
}

fn change_user(caps: u32) -> impl Fn(&[u8]) -> IResult<&[u8], ChangeUser<'_>> {
    move |input| {
        let (input, _cmd) = le_u8(input)?;
        let (input, user) = nul_or_eof_bytes(input)?;
        let (input, auth_response) = if caps & cap::SECURE_CONNECTION != 0 {
            let (input, len) = le_u8(input)?;
            take(len as usize)(input)?
        } else {
            nul_or_eof_bytes(input)?
        };
        let (input, database) = nul_or_eof_bytes(input)?;
        let (input, collation) = if input.len() >= 2 {
            let (i, c) = le_u16(input)?;
            (i, Some(c))
        } else {
            (input, None)
        };
        let (input, auth_plugin) = optional_nul(input, caps & cap::PLUGIN_AUTH != 0)?;
        let (input, attributes) = optional_attributes(input, caps)?;
        Ok((
            input,
            ChangeUser {
                user,
                auth_response,
                database,
                collation,
                auth_plugin,
                attributes,
            },
        ))
    }
}

impl<'a> ChangeUser<'a> {
    /// Decodes a COM_CHANGE_USER payload (starting with the command byte) sent by a client that
    /// negotiated `caps`.
    pub fn decode(payload: &'a [u8], caps: u32) -> Result<Self, ProtocolError> {
        change_user(caps)(payload)
            .map(|(_, c)| c)
            .map_err(|_| ProtocolError::Malformed("COM_CHANGE_USER"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_greeting() -> Greeting<'static> {
        Greeting {
            server_version: b"8.0.99-test",
            connection_id: 42,
            scramble: (1..=20).collect(),
            capabilities: cap::SUPPORTED,
            collation: 45,
            status: 2,
            auth_plugin: b"caching_sha2_password",
        }
    }

    #[test]
    fn greeting_round_trip() {
        let g = sample_greeting();
        let mut buf = Vec::new();
        g.encode(&mut buf);
        assert_eq!(Greeting::decode(&buf).expect("decodes"), g);
    }

    #[test]
    fn greeting_rejects_garbage() {
        assert!(Greeting::decode(&[10, b'x']).is_err());
        assert!(Greeting::decode(&[9]).is_err());
        assert!(Greeting::decode(&[]).is_err());
    }

    #[test]
    fn response_round_trip() {
        let attrs = [4u8, 1, b'a', 1, b'b'];
        let r = HandshakeResponse {
            capabilities: cap::SUPPORTED,
            max_packet: 1 << 24,
            collation: 45,
            user: b"app",
            auth_response: &[9; 20],
            database: Some(b"sbtest"),
            auth_plugin: Some(b"mysql_native_password"),
            attributes: Some(&attrs),
        };
        let mut buf = Vec::new();
        r.encode(&mut buf);
        assert_eq!(HandshakeResponse::decode(&buf).expect("decodes"), r);
    }

    #[test]
    fn response_without_db_and_attrs() {
        let r = HandshakeResponse {
            capabilities: cap::SUPPORTED & !cap::CONNECT_WITH_DB & !cap::CONNECT_ATTRS,
            max_packet: 0,
            collation: 8,
            user: b"u",
            auth_response: b"",
            database: None,
            auth_plugin: Some(b"p"),
            attributes: None,
        };
        let mut buf = Vec::new();
        r.encode(&mut buf);
        assert_eq!(HandshakeResponse::decode(&buf).expect("decodes"), r);
    }

    #[test]
    fn response_truncated_is_an_error() {
        let mut buf = Vec::new();
        let r = HandshakeResponse {
            capabilities: cap::SUPPORTED,
            max_packet: 0,
            collation: 8,
            user: b"someone",
            auth_response: &[1; 20],
            database: None,
            auth_plugin: None,
            attributes: None,
        };
        r.encode(&mut buf);
        for cut in 0..buf.len() - 1 {
            let _ = HandshakeResponse::decode(&buf[..cut]);
        }
        assert!(HandshakeResponse::decode(&buf[..10]).is_err());
    }

    #[test]
    fn auth_switch_round_trip() {
        let s = AuthSwitch {
            plugin: b"mysql_native_password",
            scramble: &[3; 20],
        };
        let mut buf = Vec::new();
        s.encode(&mut buf);
        assert_eq!(AuthSwitch::decode(&buf).expect("decodes"), s);
    }

    #[test]
    fn change_user_decodes() {
        let mut p = vec![0x11];
        p.extend_from_slice(b"bob\0");
        p.push(3);
        p.extend_from_slice(&[1, 2, 3]);
        p.extend_from_slice(b"db\0");
        p.extend_from_slice(&45u16.to_le_bytes());
        p.extend_from_slice(b"mysql_native_password\0");
        let c = ChangeUser::decode(&p, cap::SUPPORTED).expect("decodes");
        assert_eq!(c.user, b"bob");
        assert_eq!(c.auth_response, &[1, 2, 3]);
        assert_eq!(c.database, b"db");
        assert_eq!(c.collation, Some(45));
        assert_eq!(c.auth_plugin, Some(&b"mysql_native_password"[..]));
    }
}
