//! The flavour-agnostic API: [`GtidSet`] (a MySQL GTID set or a MariaDB position) and [`Gtid`]
//! (one transaction of either), so the session, the monitor and the router handle "the executed
//! position" without matching on the flavour. Must not add semantics of its own: every answer
//! is the flavour module's.
//!
//! Values of two flavours never mix: `covers` answers `false` (unless nothing is required) and
//! `merge`/`add` return [`GtidError::FlavorMismatch`], except that an empty set takes on the
//! flavour of what is merged into it.

use std::fmt;

use super::error::GtidError;
use super::{Flavor, MariaDbGtid, MariaDbPosition, MySqlGtid, MySqlGtidSet};

/// An executed or required position of either flavour.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GtidSet {
    MySql(MySqlGtidSet),
    MariaDb(MariaDbPosition),
}

/// One transaction of either flavour (MySQL `uuid:N`, MariaDB `domain-server-seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gtid {
    MySql(MySqlGtid),
    MariaDb(MariaDbGtid),
}

impl GtidSet {
    pub fn empty(flavor: Flavor) -> Self {
        match flavor {
            Flavor::MySql => GtidSet::MySql(MySqlGtidSet::new()),
            Flavor::MariaDb => GtidSet::MariaDb(MariaDbPosition::new()),
        }
    }

    /// Parses set text of `flavor` (`@@gtid_executed`, `@@gtid_current_pos`, a session-state
    /// GTID entry, a `min_gtid` hint). Errors are attributed to the backend; re-tag with
    /// [`GtidError::with_origin`] for client text.
    pub fn parse(text: &str, flavor: Flavor) -> Result<Self, GtidError> {
        Ok(match flavor {
            Flavor::MySql => GtidSet::MySql(MySqlGtidSet::parse(text)?),
            Flavor::MariaDb => GtidSet::MariaDb(MariaDbPosition::parse(text)?),
        })
    }

    pub fn flavor(&self) -> Flavor {
        match self {
            GtidSet::MySql(_) => Flavor::MySql,
            GtidSet::MariaDb(_) => Flavor::MariaDb,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            GtidSet::MySql(s) => s.is_empty(),
            GtidSet::MariaDb(p) => p.is_empty(),
        }
    }

    /// Whether this executed set contains everything in `required`. No allocation.
    pub fn covers(&self, required: &GtidSet) -> bool {
        match (self, required) {
            (GtidSet::MySql(a), GtidSet::MySql(b)) => a.covers(b),
            (GtidSet::MariaDb(a), GtidSet::MariaDb(b)) => a.covers(b),
            _ => required.is_empty(),
        }
    }

    /// Whether one transaction is contained (MariaDB: reached in its domain).
    pub fn contains(&self, gtid: &Gtid) -> bool {
        match (self, gtid) {
            (GtidSet::MySql(s), Gtid::MySql(g)) => s.contains(g),
            (GtidSet::MariaDb(p), Gtid::MariaDb(g)) => p.contains(g),
            _ => false,
        }
    }

    /// Union in place; returns whether `self` changed. Allocates only for what is new.
    pub fn merge(&mut self, other: &GtidSet) -> Result<bool, GtidError> {
        if self.flavor() != other.flavor() {
            if other.is_empty() {
                return Ok(false);
            }
            if self.is_empty() {
                *self = other.clone();
                return Ok(true);
            }
            return Err(self.mismatch(other.flavor()));
        }
        Ok(match (self, other) {
            (GtidSet::MySql(a), GtidSet::MySql(b)) => a.merge(b),
            (GtidSet::MariaDb(a), GtidSet::MariaDb(b)) => a.merge(b),
            // Flavours differ: handled above.
            _ => false,
        })
    }

    /// A new set holding both; see [`GtidSet::merge`].
    pub fn union(&self, other: &GtidSet) -> Result<GtidSet, GtidError> {
        let mut out = self.clone();
        out.merge(other)?;
        Ok(out)
    }

    /// Records one transaction; returns whether `self` changed.
    pub fn add(&mut self, gtid: &Gtid) -> Result<bool, GtidError> {
        if self.flavor() != gtid.flavor() {
            if !self.is_empty() {
                return Err(self.mismatch(gtid.flavor()));
            }
            *self = GtidSet::empty(gtid.flavor());
        }
        Ok(match (self, gtid) {
            (GtidSet::MySql(s), Gtid::MySql(g)) => s.add(g),
            (GtidSet::MariaDb(p), Gtid::MariaDb(g)) => p.add(g),
            // Flavours differ: handled above.
            _ => false,
        })
    }

    fn mismatch(&self, found: Flavor) -> GtidError {
        GtidError::FlavorMismatch {
            expected: self.flavor(),
            found,
        }
    }
}

impl From<Gtid> for GtidSet {
    fn from(gtid: Gtid) -> Self {
        let mut set = GtidSet::empty(gtid.flavor());
        // Same flavour by construction: cannot fail.
        let _ = set.add(&gtid);
        set
    }
}

impl fmt::Display for GtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GtidSet::MySql(s) => s.fmt(f),
            GtidSet::MariaDb(p) => p.fmt(f),
        }
    }
}

impl Gtid {
    /// Parses one GTID: MySQL `uuid:N` / `uuid:tag:N`, MariaDB `domain-server-seq` (`last_gtid`).
    pub fn parse(text: &str, flavor: Flavor) -> Result<Self, GtidError> {
        Ok(match flavor {
            Flavor::MySql => Gtid::MySql(MySqlGtid::parse(text)?),
            Flavor::MariaDb => Gtid::MariaDb(MariaDbGtid::parse(text)?),
        })
    }

    pub fn flavor(&self) -> Flavor {
        match self {
            Gtid::MySql(_) => Flavor::MySql,
            Gtid::MariaDb(_) => Flavor::MariaDb,
        }
    }
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtid::MySql(g) => g.fmt(f),
            Gtid::MariaDb(g) => g.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn both_flavours_through_one_api() {
        let mut my = GtidSet::parse(&format!("{A}:1-5:11-18"), Flavor::MySql).expect("mysql set");
        let mut maria = GtidSet::parse("0-1-100,1-2-7", Flavor::MariaDb).expect("mariadb pos");
        assert_eq!(my.flavor(), Flavor::MySql);
        assert_eq!(maria.flavor(), Flavor::MariaDb);
        let g = Gtid::parse(&format!("{A}:6"), Flavor::MySql).expect("mysql gtid");
        assert_eq!(my.add(&g), Ok(true));
        assert_eq!(my.to_string(), format!("{A}:1-6:11-18"));
        assert!(my.contains(&g));
        let m = Gtid::parse("1-3-8", Flavor::MariaDb).expect("mariadb gtid");
        assert_eq!(maria.add(&m), Ok(true));
        assert_eq!(maria.to_string(), "0-1-100,1-3-8");
        assert!(maria.covers(&GtidSet::from(m)));
    }

    #[test]
    fn flavours_do_not_mix() {
        let mut my = GtidSet::parse(&format!("{A}:1"), Flavor::MySql).expect("mysql set");
        let maria = GtidSet::parse("0-1-1", Flavor::MariaDb).expect("mariadb pos");
        assert!(!my.covers(&maria));
        assert!(my.covers(&GtidSet::empty(Flavor::MariaDb)));
        assert!(matches!(
            my.merge(&maria),
            Err(GtidError::FlavorMismatch {
                expected: Flavor::MySql,
                found: Flavor::MariaDb
            })
        ));
        assert_eq!(my.merge(&GtidSet::empty(Flavor::MariaDb)), Ok(false));
        let mut empty = GtidSet::empty(Flavor::MySql);
        assert_eq!(empty.merge(&maria), Ok(true));
        assert_eq!(empty, maria);
        let mut empty = GtidSet::empty(Flavor::MySql);
        let m = Gtid::parse("0-1-1", Flavor::MariaDb).expect("mariadb gtid");
        assert_eq!(empty.add(&m), Ok(true));
        assert!(my.add(&m).is_err());
        assert!(!my.contains(&m));
    }

    #[test]
    fn union_leaves_inputs_alone() {
        let a = GtidSet::parse("0-1-5", Flavor::MariaDb).expect("valid");
        let b = GtidSet::parse("1-1-5", Flavor::MariaDb).expect("valid");
        let u = a.union(&b).expect("same flavour");
        assert_eq!(u.to_string(), "0-1-5,1-1-5");
        assert_eq!(a.to_string(), "0-1-5");
    }
}
