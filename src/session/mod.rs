//! One client session: the login (sluice authenticates the client itself, then logs in to the
//! primary as the same user), then the command loop that forwards each command to the backend
//! and relays the reply. Owns the session's backend connection and what must survive a
//! reconnect (schema, character set). Must not know about glommio (it goes through `net::Net`)
//! or decode result rows (the `wire` relay does the walking).

mod context;
mod error;
mod login;
mod outbox;
mod recovery;
mod run;

pub use context::{ServerIdentity, ShardContext};
pub use error::SessionError;
pub use run::run_session;
