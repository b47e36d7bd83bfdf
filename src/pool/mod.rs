//! Backend connections: opening one and logging in as the client's user (whatever plugin the
//! server asks for, including `caching_sha2_password` full authentication with the server's RSA
//! key), and the errors that can happen on the way. Per-shard pooling of these connections
//! arrives with read/write splitting; routing decisions do not belong here.

mod backend;
mod error;
mod login;

pub use backend::{BackendConn, BackendTarget, LoginParams};
pub use error::BackendError;
