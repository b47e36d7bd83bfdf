//! Learns the primary's greeting (version string, capabilities, collation) once at start-up, with
//! a plain blocking socket, so sluice can greet clients as the primary would.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::protocol::handshake::Greeting;
use crate::protocol::packet::{parse_header, HEADER_LEN};
use crate::session::ServerIdentity;

pub fn probe(addr: &SocketAddr, timeout: Duration) -> Option<ServerIdentity> {
    let mut s = TcpStream::connect_timeout(addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    let mut head = [0u8; HEADER_LEN];
    s.read_exact(&mut head).ok()?;
    let h = parse_header(&head)?;
    if h.payload_len > 64 * 1024 {
        return None;
    }
    let mut payload = vec![0u8; h.payload_len];
    s.read_exact(&mut payload).ok()?;
    let g = Greeting::decode(&payload).ok()?;
    Some(ServerIdentity {
        version: String::from_utf8_lossy(g.server_version).into_owned(),
        capabilities: g.capabilities,
        collation: g.collation,
        learned: true,
    })
}
