//! `GlommioNet`: the `net::Net` implementation on glommio's io_uring TCP streams and timers.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use glommio::net::TcpStream;

use crate::net::Net;

#[derive(Debug, Clone, Copy, Default)]
pub struct GlommioNet;

impl Net for GlommioNet {
    type Stream = TcpStream;

    async fn connect(&self, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        let s = TcpStream::connect_timeout(addr, timeout)
            .await
            .map_err(io::Error::from)?;
        s.set_nodelay(true).map_err(io::Error::from)?;
        Ok(s)
    }

    async fn sleep(&self, d: Duration) {
        glommio::timer::sleep(d).await;
    }
}
