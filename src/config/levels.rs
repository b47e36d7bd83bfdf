//! The named choices of the configuration: consistency levels and client authentication plugins.
//!
//! Owns their spellings (in TOML, on the command line, in messages). It must not hold routing or
//! authentication behaviour: the router and the auth module decide what a level or plugin means.

use std::fmt;
use std::str::FromStr;

/// How fresh a read must be (see the design notes: eventual, session, global).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsistencyLevel {
    /// Any healthy replica inside the latency threshold; reads may be stale.
    Eventual,
    /// A read sees every transaction this session committed.
    #[default]
    Session,
    /// A read sees every transaction committed anywhere before the read arrived.
    Global,
}

impl ConsistencyLevel {
    /// Every level, in order of increasing strength.
    pub const ALL: [ConsistencyLevel; 3] = [
        ConsistencyLevel::Eventual,
        ConsistencyLevel::Session,
        ConsistencyLevel::Global,
    ];

    /// The lower-case name used in the configuration: `"eventual"`, `"session"` or `"global"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConsistencyLevel::Eventual => "eventual",
            ConsistencyLevel::Session => "session",
            ConsistencyLevel::Global => "global",
        }
    }
}

impl fmt::Display for ConsistencyLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A consistency level name that is none of `eventual`, `session`, `global`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown consistency level {0:?}: expected \"eventual\", \"session\" or \"global\"")]
pub struct UnknownConsistencyLevel(pub String);

impl FromStr for ConsistencyLevel {
    type Err = UnknownConsistencyLevel;

    /// Case-insensitive: `"Session"` and `"SESSION"` are `Session`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConsistencyLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownConsistencyLevel(s.to_owned()))
    }
}

/// The authentication plugin a listener offers to clients in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientAuthPlugin {
    /// SHA-1 challenge/response; what old clients and many drivers expect.
    MysqlNativePassword,
    /// SHA-256 with a fast path; the default of MySQL 8.
    #[default]
    CachingSha2Password,
}

impl ClientAuthPlugin {
    /// Every plugin a listener can offer.
    pub const ALL: [ClientAuthPlugin; 2] = [
        ClientAuthPlugin::MysqlNativePassword,
        ClientAuthPlugin::CachingSha2Password,
    ];

    /// The plugin's protocol name, as written in the configuration and sent in the handshake.
    pub fn name(&self) -> &'static str {
        match self {
            ClientAuthPlugin::MysqlNativePassword => "mysql_native_password",
            ClientAuthPlugin::CachingSha2Password => "caching_sha2_password",
        }
    }

    /// The plugin with exactly this protocol name (names are case-sensitive on the wire).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        ClientAuthPlugin::ALL
            .into_iter()
            .find(|plugin| plugin.name() == name)
    }
}

impl fmt::Display for ClientAuthPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistency_level_round_trips_and_ignores_case() {
        for level in ConsistencyLevel::ALL {
            assert_eq!(level.as_str().parse(), Ok(level));
            assert_eq!(level.as_str().to_uppercase().parse(), Ok(level));
        }
        assert_eq!("Global".parse(), Ok(ConsistencyLevel::Global));
        assert_eq!(ConsistencyLevel::default(), ConsistencyLevel::Session);
    }

    #[test]
    fn unknown_consistency_level_is_an_error() {
        let err = "strong"
            .parse::<ConsistencyLevel>()
            .expect_err("not a level");
        assert_eq!(err, UnknownConsistencyLevel("strong".to_owned()));
        assert!(err.to_string().contains("\"session\""));
    }

    #[test]
    fn auth_plugin_names() {
        assert_eq!(
            ClientAuthPlugin::MysqlNativePassword.name(),
            "mysql_native_password"
        );
        assert_eq!(
            ClientAuthPlugin::CachingSha2Password.name(),
            "caching_sha2_password"
        );
        for plugin in ClientAuthPlugin::ALL {
            assert_eq!(ClientAuthPlugin::from_name(plugin.name()), Some(plugin));
        }
        assert_eq!(ClientAuthPlugin::from_name("sha256_password"), None);
        assert_eq!(
            ClientAuthPlugin::default(),
            ClientAuthPlugin::CachingSha2Password
        );
    }
}
