//! `UserStore`: the users clients may log in as, with their passwords, built from the
//! configuration. Lookups only; it does not know about packets.

use std::collections::HashMap;

use crate::config::UserConfig;

#[derive(Clone, Default)]
pub struct UserStore {
    passwords: HashMap<Vec<u8>, Vec<u8>>,
}

impl UserStore {
    pub fn new(users: &[UserConfig]) -> Self {
        let passwords = users
            .iter()
            .map(|u| (u.name.as_bytes().to_vec(), u.password.as_bytes().to_vec()))
            .collect();
        Self { passwords }
    }

    /// The password of `user`, if sluice knows the user.
    pub fn password(&self, user: &[u8]) -> Option<&[u8]> {
        self.passwords.get(user).map(Vec::as_slice)
    }
}

impl std::fmt::Debug for UserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserStore")
            .field("users", &self.passwords.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup() {
        let store = UserStore::new(&[UserConfig {
            name: "app".into(),
            password: "pw".into(),
        }]);
        assert_eq!(store.password(b"app"), Some(&b"pw"[..]));
        assert_eq!(store.password(b"root"), None);
    }
}
