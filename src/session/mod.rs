//! One client session: the login (sluice authenticates the client itself), then the command
//! loop that routes each command (a replica, the primary, or the connection the session is
//! pinned to), borrows a backend connection from the shard's pool for it, relays the reply, and
//! learns what the command changed. Owns the session's state (schema, settings, pins, prepared
//! statements). Must not know about glommio (it goes through `net::Net`) or decode result rows
//! (the `wire` relay does the walking).

mod admin;
mod commit_watermark;
mod consistency;
mod context;
mod error;
mod exec;
mod login;
mod outbox;
mod pins;
mod prepared;
mod run;
mod state;
mod tracked_set;

pub use context::{ServerIdentity, ShardContext, ShardShared};
pub use error::SessionError;
pub use run::run_session;
