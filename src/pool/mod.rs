//! Backend connections: opening one and logging in as the client's user (whatever plugin the
//! server asks for, including `caching_sha2_password` full authentication with the server's RSA
//! key), the per-shard pools that keep them (`ShardPool`), the state each carries and bringing it
//! in line with a session (`state`, `sync`), and the errors on the way. Which backend a statement
//! goes to is not decided here.

mod backend;
mod error;
mod login;
mod pooled;
mod shard_pool;
mod state;
mod sync;

pub use backend::{BackendConn, BackendTarget, LoginParams};
pub use error::BackendError;
pub use pooled::PooledConn;
pub use shard_pool::ShardPool;
pub use state::{settings_suffix, BackendStmt, ConnKey, ConnState, LoginSpec, Settings, Wanted};
