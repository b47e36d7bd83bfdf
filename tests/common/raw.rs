//! A minimal hand-written MySQL protocol client for what the client crate cannot send: raw command
//! bytes (unknown commands, COM_RESET_CONNECTION with no fallback), and bytes that are not a valid
//! protocol at all. It logs in with mysql_native_password or caching_sha2_password fast
//! authentication (whichever the greeting or an auth switch names) and reads packets back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const CLIENT_LONG_PASSWORD: u32 = 0x1;
pub const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
pub const CLIENT_PROTOCOL_41: u32 = 0x200;
pub const CLIENT_TRANSACTIONS: u32 = 0x2000;
pub const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
pub const CLIENT_MULTI_RESULTS: u32 = 0x2_0000;
pub const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;

/// A reply packet's payload with its sequence id.
#[derive(Debug, Clone)]
pub struct Packet {
    pub seq: u8,
    pub payload: Vec<u8>,
}

impl Packet {
    pub fn is_ok(&self) -> bool {
        self.payload.first() == Some(&0x00)
    }

    pub fn is_err(&self) -> bool {
        self.payload.first() == Some(&0xff)
    }

    /// `(code, sqlstate, message)` of an ERR packet.
    pub fn err(&self) -> Option<(u16, String, String)> {
        if !self.is_err() || self.payload.len() < 3 {
            return None;
        }
        let code = u16::from_le_bytes([self.payload[1], self.payload[2]]);
        let rest = &self.payload[3..];
        let (state, message) = if rest.first() == Some(&b'#') && rest.len() >= 6 {
            (&rest[1..6], &rest[6..])
        } else {
            (&b""[..], rest)
        };
        Some((
            code,
            String::from_utf8_lossy(state).into_owned(),
            String::from_utf8_lossy(message).into_owned(),
        ))
    }
}

/// A raw protocol connection.
pub struct RawConn {
    pub stream: TcpStream,
}

impl RawConn {
    /// Connects without sending anything.
    pub fn connect(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set read timeout");
        stream.set_nodelay(true).expect("set nodelay");
        RawConn { stream }
    }

    /// Reads one packet (no 16 MiB continuation: tests only read small ones).
    pub fn read_packet(&mut self) -> std::io::Result<Packet> {
        let mut header = [0u8; 4];
        self.stream.read_exact(&mut header)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload)?;
        Ok(Packet {
            seq: header[3],
            payload,
        })
    }

    pub fn write_packet(&mut self, seq: u8, payload: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(payload.len()).expect("small packet");
        let mut out = Vec::with_capacity(payload.len() + 4);
        out.extend_from_slice(&len.to_le_bytes()[..3]);
        out.push(seq);
        out.extend_from_slice(payload);
        self.stream.write_all(&out)
    }

    /// Sends a command packet (sequence 0) and returns the first reply packet.
    pub fn command(&mut self, payload: &[u8]) -> std::io::Result<Packet> {
        self.write_packet(0, payload)?;
        self.read_packet()
    }

    /// Sends COM_QUERY and reads the whole reply (no multi-results, classic EOF packets); returns
    /// the final packet (OK, ERR or EOF) and the number of rows.
    pub fn query(&mut self, sql: &str) -> std::io::Result<(Packet, usize)> {
        let mut payload = vec![0x03];
        payload.extend_from_slice(sql.as_bytes());
        let first = self.command(&payload)?;
        if first.is_ok() || first.is_err() {
            return Ok((first, 0));
        }
        // Column definitions, then EOF, then rows, then EOF (or ERR).
        loop {
            let packet = self.read_packet()?;
            if packet.payload.first() == Some(&0xfe) && packet.payload.len() < 9 {
                break;
            }
        }
        let mut rows = 0;
        loop {
            let packet = self.read_packet()?;
            if packet.is_err()
                || (packet.payload.first() == Some(&0xfe) && packet.payload.len() < 9)
            {
                return Ok((packet, rows));
            }
            rows += 1;
        }
    }

    /// Connects and logs in; returns the connection or the final ERR packet.
    pub fn login(port: u16, user: &str, password: &str, db: &str) -> Result<RawConn, Packet> {
        let mut conn = RawConn::connect(port);
        let greeting = conn.read_packet().expect("read greeting");
        let (scramble, plugin) = parse_greeting(&greeting.payload);
        let caps = CLIENT_LONG_PASSWORD
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_RESULTS
            | CLIENT_PLUGIN_AUTH;
        let token = scramble_for(&plugin, password.as_bytes(), &scramble);
        let mut resp = Vec::new();
        resp.extend_from_slice(&caps.to_le_bytes());
        resp.extend_from_slice(&(16u32 * 1024 * 1024).to_le_bytes());
        resp.push(45); // utf8mb4_general_ci
        resp.extend_from_slice(&[0u8; 23]);
        resp.extend_from_slice(user.as_bytes());
        resp.push(0);
        resp.push(u8::try_from(token.len()).expect("short token"));
        resp.extend_from_slice(&token);
        resp.extend_from_slice(db.as_bytes());
        resp.push(0);
        resp.extend_from_slice(plugin.as_bytes());
        resp.push(0);
        conn.write_packet(1, &resp)
            .expect("send handshake response");
        loop {
            let packet = conn.read_packet().expect("read login reply");
            match packet.payload.first() {
                Some(0x00) => return Ok(conn),
                Some(0xff) => return Err(packet),
                Some(0x01) if packet.payload.get(1) == Some(&3) => continue, // fast auth ok
                Some(0xfe) => {
                    // Auth switch: plugin name, then the new scramble.
                    let body = &packet.payload[1..];
                    let nul = body.iter().position(|&b| b == 0).expect("plugin name");
                    let plugin = String::from_utf8_lossy(&body[..nul]).into_owned();
                    let mut data = body[nul + 1..].to_vec();
                    if data.last() == Some(&0) {
                        data.pop();
                    }
                    let token = scramble_for(&plugin, password.as_bytes(), &data);
                    conn.write_packet(packet.seq.wrapping_add(1), &token)
                        .expect("send auth switch answer");
                }
                _ => panic!("unexpected login packet {packet:?}"),
            }
        }
    }
}

fn parse_greeting(p: &[u8]) -> (Vec<u8>, String) {
    assert_eq!(p.first(), Some(&10), "protocol v10 greeting: {p:?}");
    let mut i = 1;
    i += p[i..].iter().position(|&b| b == 0).expect("server version") + 1;
    i += 4; // connection id
    let mut scramble = p[i..i + 8].to_vec();
    i += 8 + 1; // part 1, filler
    i += 2 + 1 + 2 + 2; // capabilities (low), charset, status, capabilities (high)
    let data_len = usize::from(p[i]);
    i += 1 + 10;
    let part2 = data_len.saturating_sub(8).max(13);
    scramble.extend_from_slice(&p[i..i + part2 - 1]);
    i += part2;
    let end = p[i..]
        .iter()
        .position(|&b| b == 0)
        .map_or(p.len(), |n| i + n);
    let plugin = String::from_utf8_lossy(&p[i..end]).into_owned();
    (scramble, plugin)
}

/// The auth token for `plugin` (mysql_native_password or caching_sha2_password fast auth).
pub fn scramble_for(plugin: &str, password: &[u8], scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    match plugin {
        "mysql_native_password" => {
            let stage1 = Sha1::digest(password);
            let stage2 = Sha1::digest(stage1);
            let mut h = Sha1::new();
            h.update(scramble);
            h.update(stage2);
            let mix = h.finalize();
            stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
        }
        "caching_sha2_password" => {
            let stage1 = Sha256::digest(password);
            let stage2 = Sha256::digest(stage1);
            let mut h = Sha256::new();
            h.update(stage2);
            h.update(scramble);
            let mix = h.finalize();
            stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
        }
        other => panic!("raw client does not speak {other}"),
    }
}
