//! Which GTID dialect a text or value belongs to. Owns only the two-valued choice and its name;
//! must not grow server-detection logic (that belongs to whoever reads the server greeting).

use std::fmt;

/// The server family whose GTID syntax and semantics apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// MySQL GTID sets: `uuid:interval[:interval...]`, sets of transactions.
    MySql,
    /// MariaDB GTID positions: `domain-server-seq`, the last transaction per domain.
    MariaDb,
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::MySql => "MySQL",
            Flavor::MariaDb => "MariaDB",
        })
    }
}
