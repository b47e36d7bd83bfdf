//! `BackendConn`: one logged-in connection to a backend server, and what is needed to open one.

use std::net::SocketAddr;
use std::rc::Rc;

use crate::wire::PacketConn;

/// A backend server sluice can connect to.
#[derive(Debug, Clone)]
pub struct BackendTarget {
    pub name: Rc<str>,
    pub addr: SocketAddr,
}

/// Who to log in as, and with which connection options (taken from the client's handshake).
#[derive(Debug, Clone, Copy)]
pub struct LoginParams<'a> {
    pub user: &'a [u8],
    pub password: &'a [u8],
    pub database: Option<&'a [u8]>,
    /// Capability flags wanted (the client's, as negotiated with sluice).
    pub capabilities: u32,
    pub collation: u8,
    /// Connection attributes block as the client sent it.
    pub attributes: Option<&'a [u8]>,
}

/// A logged-in backend connection.
pub struct BackendConn<S> {
    pub conn: PacketConn<S>,
    pub target: BackendTarget,
    /// Capability flags in force on this connection.
    pub capabilities: u32,
    pub connection_id: u32,
    pub server_version: String,
    /// What the server's greeting offered (before negotiation) and its default collation.
    pub server_capabilities: u32,
    pub server_collation: u8,
    /// The collation the login asked for (the client's): the connection's character set.
    pub collation: u8,
}

impl<S> BackendConn<S> {
    /// Which server family this is, from its version string.
    pub fn flavor(&self) -> crate::gtid::Flavor {
        if self.server_version.contains("MariaDB") {
            crate::gtid::Flavor::MariaDb
        } else {
            crate::gtid::Flavor::MySql
        }
    }
}
