//! Authentication: the user store built from the configuration, the password scrambles of
//! `mysql_native_password` and `caching_sha2_password` (to check what clients send and to answer
//! what backends ask), and RSA password encryption for `caching_sha2_password` full
//! authentication. Pure computation: the packet exchange lives in `session` and `pool`.

mod error;
mod plugin;
mod rsa_password;
mod scramble;
mod users;

pub use error::AuthError;
pub use plugin::AuthPlugin;
pub use rsa_password::encrypt_password;
pub use scramble::{new_scramble, token_for, verify_token, SCRAMBLE_LEN};
pub use users::UserStore;
