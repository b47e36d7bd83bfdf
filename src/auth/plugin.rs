//! The authentication plugins sluice knows by name.

/// A MySQL authentication plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPlugin {
    MysqlNativePassword,
    CachingSha2Password,
    /// `sha256_password`: like caching_sha2's full authentication, always.
    Sha256Password,
}

impl AuthPlugin {
    pub fn name(self) -> &'static str {
        match self {
            AuthPlugin::MysqlNativePassword => "mysql_native_password",
            AuthPlugin::CachingSha2Password => "caching_sha2_password",
            AuthPlugin::Sha256Password => "sha256_password",
        }
    }

    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"mysql_native_password" => Some(AuthPlugin::MysqlNativePassword),
            b"caching_sha2_password" => Some(AuthPlugin::CachingSha2Password),
            b"sha256_password" => Some(AuthPlugin::Sha256Password),
            _ => None,
        }
    }
}

impl From<crate::config::ClientAuthPlugin> for AuthPlugin {
    fn from(p: crate::config::ClientAuthPlugin) -> Self {
        match p {
            crate::config::ClientAuthPlugin::MysqlNativePassword => AuthPlugin::MysqlNativePassword,
            crate::config::ClientAuthPlugin::CachingSha2Password => AuthPlugin::CachingSha2Password,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [
            AuthPlugin::MysqlNativePassword,
            AuthPlugin::CachingSha2Password,
            AuthPlugin::Sha256Password,
        ] {
            assert_eq!(AuthPlugin::from_name(p.name().as_bytes()), Some(p));
        }
        assert_eq!(AuthPlugin::from_name(b"ed25519"), None);
    }
}
