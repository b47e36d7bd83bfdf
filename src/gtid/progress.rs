//! How a primary's position moves: which source (MySQL source id, MariaDB domain) advanced
//! between two reads of it, and the position a commit made after a read implies.
//!
//! A `global` read must see every transaction acknowledged before it arrived. When one source
//! writes all new transactions (a single primary, its own UUID or domain), transactions are
//! numbered in commit order, so a commit whose statement reached the primary after the read
//! arrived has a number above every transaction acknowledged before: the primary's earlier
//! position plus that source's transactions up to the commit's number covers them. This file owns
//! only that arithmetic; whether its premise holds (one moving source) is the monitor's
//! observation, and when to use it is the session's decision.

use super::{GtidSet, Interval, Sid};

/// One writer of transactions: a MySQL source id (UUID and tag) or a MariaDB domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    MySql(Sid),
    MariaDb(u32),
}

/// Which sources advanced between two reads of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// Nothing new.
    Still,
    /// Only this source has new transactions.
    One(Source),
    /// Several sources, or positions of different flavours.
    Many,
}

impl GtidSet {
    /// Which sources have transactions in `self` that `older` lacks (MariaDB: a domain whose
    /// position differs).
    pub fn movement_since(&self, older: &GtidSet) -> Movement {
        let mut moved = Movement::Still;
        let mut note = |s: Source| {
            moved = match moved {
                Movement::Still => Movement::One(s),
                Movement::One(t) if t == s => Movement::One(t),
                _ => Movement::Many,
            };
        };
        match (self, older) {
            (GtidSet::MySql(new), GtidSet::MySql(old)) => {
                for (sid, list) in new.iter() {
                    if old.intervals(sid) != list {
                        note(Source::MySql(*sid));
                    }
                }
            }
            (GtidSet::MariaDb(new), GtidSet::MariaDb(old)) => {
                for g in new.gtids() {
                    if old.domain(g.domain) != Some(g) {
                        note(Source::MariaDb(g.domain));
                    }
                }
            }
            _ => return Movement::Many,
        }
        moved
    }

    /// The one source of a commit's GTIDs (`None` if empty or several).
    pub fn sole_source(&self) -> Option<Source> {
        match self {
            GtidSet::MySql(s) => {
                let mut it = s.iter();
                let (sid, _) = it.next()?;
                it.next().is_none().then_some(Source::MySql(*sid))
            }
            GtidSet::MariaDb(p) => match p.gtids() {
                [g] => Some(Source::MariaDb(g.domain)),
                _ => None,
            },
        }
    }

    /// The position implied by `commit`, made after `self` (an earlier position of the same
    /// primary) was read: `self` plus, in the commit's source, every transaction from `self`'s
    /// last one up to the commit's (MariaDB: the per-domain maximum). `None` when the flavours
    /// differ.
    pub fn implied_by_commit(&self, commit: &GtidSet) -> Option<GtidSet> {
        match (self, commit) {
            (GtidSet::MySql(base), GtidSet::MySql(c)) => {
                let mut out = base.clone();
                for (sid, list) in c.iter() {
                    let Some(last) = list.last() else { continue };
                    let start = base.intervals(sid).last().map_or(1, |iv| iv.end + 1);
                    if last.end >= start {
                        out.insert(*sid, Interval::new(start, last.end));
                    }
                }
                Some(GtidSet::MySql(out))
            }
            (GtidSet::MariaDb(_), GtidSet::MariaDb(_)) => self.union(commit).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Flavor;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "4e11fa47-71ca-11e1-9e33-c80aa9429562";

    fn my(text: &str) -> GtidSet {
        GtidSet::parse(text, Flavor::MySql).expect("valid set")
    }

    fn maria(text: &str) -> GtidSet {
        GtidSet::parse(text, Flavor::MariaDb).expect("valid set")
    }

    #[test]
    fn movement_names_the_one_source_that_advanced() {
        let old = my(&format!("{A}:1-10,{B}:1-5"));
        assert_eq!(old.movement_since(&old), Movement::Still);
        let one = my(&format!("{A}:1-12,{B}:1-5"));
        assert!(
            matches!(one.movement_since(&old), Movement::One(Source::MySql(s)) if s.uuid.to_string() == A)
        );
        let both = my(&format!("{A}:1-12,{B}:1-6"));
        assert_eq!(both.movement_since(&old), Movement::Many);
        let m_old = maria("0-1-10,1-1-3");
        assert_eq!(
            maria("0-1-14,1-1-3").movement_since(&m_old),
            Movement::One(Source::MariaDb(0))
        );
        assert_eq!(maria("0-1-14,1-1-4").movement_since(&m_old), Movement::Many);
        assert_eq!(maria("0-1-14").movement_since(&old), Movement::Many);
    }

    #[test]
    fn sole_source_of_a_commit() {
        assert!(matches!(
            my(&format!("{A}:7")).sole_source(),
            Some(Source::MySql(_))
        ));
        assert_eq!(my(&format!("{A}:7,{B}:2")).sole_source(), None);
        assert_eq!(maria("2-1-9").sole_source(), Some(Source::MariaDb(2)));
        assert_eq!(maria("").sole_source(), None);
    }

    #[test]
    fn a_commit_fills_its_source_from_the_base_up_to_its_number() {
        let base = my(&format!("{A}:1-10:15-20,{B}:1-5"));
        let implied = base
            .implied_by_commit(&my(&format!("{A}:31")))
            .expect("same flavour");
        assert_eq!(implied, my(&format!("{A}:1-10:15-31,{B}:1-5")));
        // Gaps before the base's last transaction are not required (nothing new fills them).
        assert!(!implied.covers(&my(&format!("{A}:11"))));
        // A commit the base already has changes nothing.
        assert_eq!(
            base.implied_by_commit(&my(&format!("{A}:3")))
                .expect("same flavour"),
            base
        );
        // A source the base lacks: from its first transaction.
        let fresh = base
            .implied_by_commit(&my(&format!("{B}:5,{A}:1")))
            .expect("same flavour");
        assert!(fresh.covers(&base));
        let c = "5e11fa47-71ca-11e1-9e33-c80aa9429562";
        let implied = base
            .implied_by_commit(&my(&format!("{c}:4")))
            .expect("same flavour");
        assert!(implied.covers(&my(&format!("{c}:1-4"))));
        let m = maria("0-1-10,1-1-3")
            .implied_by_commit(&maria("0-2-15"))
            .expect("same flavour");
        assert_eq!(m, maria("0-2-15,1-1-3"));
        assert_eq!(base.implied_by_commit(&maria("0-1-1")), None);
    }
}
