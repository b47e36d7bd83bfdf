//! Buffered packet I/O over any async byte stream, and the relays that move packets between a
//! client and a backend: whole packets for the connection phase and small commands, streamed
//! packets for large commands and LOCAL INFILE data, and reply relay driven by `ReplyTracker`.
//! It copies bytes once from the kernel into a buffer and once back out; it never decodes rows.

mod buffer;
mod conn;
mod relay;

pub use buffer::ReadBuf;
pub use conn::{PacketConn, WireError};
pub use relay::{
    drain_reply, forward_packets, relay_reply, ForwardError, RelayError, RelayOutcome,
};
