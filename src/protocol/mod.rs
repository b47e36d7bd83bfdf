//! The MySQL client/server protocol as pure functions over bytes: framing (with 16 MiB
//! continuation), the connection-phase messages, commands, OK/ERR/EOF, and the reply tracker that
//! finds where a server's reply ends. Nothing here does I/O or knows about glommio, sessions or
//! routing; nom stays inside this module.

pub mod command;
pub mod constants;
mod error;
/// Entry points for the fuzz targets in `fuzz/` and the corpus replay test: never panic.
pub mod fuzz_entry;
pub mod handshake;
pub mod lenenc;
pub mod packet;
pub mod reply;
pub mod response;
pub mod resultset;
pub mod session_state;

pub use error::ProtocolError;
