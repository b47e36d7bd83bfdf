//! MySQL GTID sets: `uuid:interval[:interval...][,uuid:...]`, intervals `N` or `N-M`, and MySQL
//! 8.4 tagged GTIDs (`uuid:tag:N`, several tags per UUID as in `uuid:1-5:tag_a:1-3`). Parsing
//! (any case, any whitespace between tokens), printing as MySQL prints `@@gtid_executed` (lowercase,
//! sorted by UUID then tag, untagged first, merged intervals, `,` between UUIDs), union, and
//! `covers`. Must not know about MariaDB or about where the text came from.
//!
//! Representation: a vector sorted by [`Sid`] of (sid, canonical interval list), never holding an
//! empty list, so equal sets are equal values and `covers` is binary searches with no allocation.

use std::fmt;

use super::error::{GtidError, Problem};
use super::interval::{self, Interval};
use super::scan::Cursor;
use super::{Flavor, Tag, Uuid};

/// Largest transaction number MySQL uses (`GNO_END` is `i64::MAX`).
pub const MAX_TRANSACTION: u64 = i64::MAX as u64;

/// A source id: server UUID plus an optional 8.4 tag. Untagged sorts before tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sid {
    pub uuid: Uuid,
    pub tag: Option<Tag>,
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            None => write!(f, "{}", self.uuid),
            Some(t) => write!(f, "{}:{}", self.uuid, t),
        }
    }
}

/// One MySQL transaction: `uuid:N` or `uuid:tag:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MySqlGtid {
    pub sid: Sid,
    pub transaction: u64,
}

impl MySqlGtid {
    /// Parses `uuid:N` or `uuid:tag:N` (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut c = Cursor::new(text, Flavor::MySql);
        let uuid = Uuid::read(&mut c)?;
        c.expect(b':')?;
        let tag = match c.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let t = Tag::read(&mut c)?;
                c.expect(b':')?;
                Some(t)
            }
            _ => None,
        };
        let transaction = transaction_number(&mut c)?;
        c.finish()?;
        Ok(Self {
            sid: Sid { uuid, tag },
            transaction,
        })
    }
}

impl fmt::Display for MySqlGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.sid, self.transaction)
    }
}

/// A set of MySQL transactions, as in `@@gtid_executed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MySqlGtidSet {
    entries: Vec<(Sid, Vec<Interval>)>,
}

impl MySqlGtidSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a set; empty or all-whitespace text is the empty set.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut set = Self::new();
        let mut c = Cursor::new(text, Flavor::MySql);
        if c.at_end() {
            return Ok(set);
        }
        loop {
            let uuid = Uuid::read(&mut c)?;
            let mut sid = Sid { uuid, tag: None };
            c.expect(b':')?;
            loop {
                if matches!(c.peek(), Some(b) if b.is_ascii_alphabetic() || b == b'_') {
                    sid.tag = Some(Tag::read(&mut c)?);
                    c.expect(b':')?;
                }
                let start_at = {
                    c.skip_ws();
                    c.pos()
                };
                let start = transaction_number(&mut c)?;
                let end = if c.eat(b'-') {
                    transaction_number(&mut c)?
                } else {
                    start
                };
                if end < start {
                    return Err(c.error_at(start_at, Problem::ReversedInterval { start, end }));
                }
                set.insert(sid, Interval::new(start, end));
                if !c.eat(b':') {
                    break;
                }
            }
            if c.at_end() {
                return Ok(set);
            }
            c.expect(b',')?;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Source ids with their canonical interval lists, sorted by sid.
    pub fn iter(&self) -> impl Iterator<Item = (&Sid, &[Interval])> {
        self.entries.iter().map(|(s, l)| (s, l.as_slice()))
    }

    /// Intervals of one source id (empty if absent).
    pub fn intervals(&self, sid: &Sid) -> &[Interval] {
        match self.find(sid) {
            Ok(i) => &self.entries[i].1,
            Err(_) => &[],
        }
    }

    fn find(&self, sid: &Sid) -> Result<usize, usize> {
        self.entries.binary_search_by(|(s, _)| s.cmp(sid))
    }

    /// Adds a range of transactions of `sid`; returns whether the set changed.
    pub fn insert(&mut self, sid: Sid, iv: Interval) -> bool {
        match self.find(&sid) {
            Ok(i) => interval::insert(&mut self.entries[i].1, iv),
            Err(i) => {
                self.entries.insert(i, (sid, vec![iv]));
                true
            }
        }
    }

    /// Adds one transaction; returns whether it was new.
    pub fn add(&mut self, gtid: &MySqlGtid) -> bool {
        self.insert(gtid.sid, Interval::single(gtid.transaction))
    }

    /// Whether one transaction is in the set.
    pub fn contains(&self, gtid: &MySqlGtid) -> bool {
        interval::contains(
            self.intervals(&gtid.sid),
            Interval::single(gtid.transaction),
        )
    }

    /// Union in place; returns whether `self` changed. Allocates only for what is new.
    pub fn merge(&mut self, other: &MySqlGtidSet) -> bool {
        let mut changed = false;
        for (sid, list) in &other.entries {
            match self.find(sid) {
                Ok(i) => changed |= interval::merge(&mut self.entries[i].1, list),
                Err(i) => {
                    self.entries.insert(i, (*sid, list.clone()));
                    changed = true;
                }
            }
        }
        changed
    }

    /// Whether every transaction of `required` is in `self`. No allocation.
    pub fn covers(&self, required: &MySqlGtidSet) -> bool {
        required
            .entries
            .iter()
            .all(|(sid, list)| interval::contains_all(self.intervals(sid), list))
    }

    /// Whether the representation invariants hold (for tests).
    pub fn is_canonical(&self) -> bool {
        self.entries.windows(2).all(|w| w[0].0 < w[1].0)
            && self
                .entries
                .iter()
                .all(|(_, l)| !l.is_empty() && interval::is_canonical(l))
    }
}

fn transaction_number(c: &mut Cursor<'_>) -> Result<u64, GtidError> {
    c.skip_ws();
    let at = c.pos();
    let n = c.number(MAX_TRANSACTION)?;
    if n == 0 {
        return Err(c.error_at(at, Problem::ZeroTransaction));
    }
    Ok(n)
}

impl fmt::Display for MySqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut previous: Option<Uuid> = None;
        for (sid, list) in &self.entries {
            if previous == Some(sid.uuid) {
                // Same UUID, next tag: `uuid:1-5:tag:1-3`.
            } else {
                if previous.is_some() {
                    f.write_str(",")?;
                }
                write!(f, "{}", sid.uuid)?;
                previous = Some(sid.uuid);
            }
            if let Some(tag) = &sid.tag {
                write!(f, ":{tag}")?;
            }
            for iv in list {
                write!(f, ":{iv}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "4f22ab58-82db-22f2-af44-d91bb0530673";

    fn set(text: &str) -> MySqlGtidSet {
        MySqlGtidSet::parse(text).expect("valid GTID set")
    }

    #[test]
    fn round_trips_real_output() {
        for text in [
            "",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:23",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4f22ab58-82db-22f2-af44-d91bb0530673:1-100",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:domain_a:1-3:zz:9",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:t:1",
        ] {
            let s = set(text);
            assert!(s.is_canonical());
            assert_eq!(s.to_string(), text);
        }
    }

    #[test]
    fn normalises_like_mysql() {
        let text = format!(
            " {}:11-18:1-3:4-5:7 ,\n{}:1-100:T1:5:2 ,\n\t{}:6\n",
            B.to_uppercase(),
            A.to_uppercase(),
            A
        );
        assert_eq!(
            set(&text).to_string(),
            format!("{A}:1-100:t1:2:5,{B}:1-5:7:11-18")
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases: &[(&str, usize, Problem)] = &[
            ("3e11fa47-71ca-11e1-9e33-c80aa94295:1", 0, Problem::BadUuid),
            (&format!("{A}:0"), 37, Problem::ZeroTransaction),
            (
                &format!("{A}:5-3"),
                37,
                Problem::ReversedInterval { start: 5, end: 3 },
            ),
            (
                &format!("{A}:1-9223372036854775808"),
                39,
                Problem::Overflow {
                    max: MAX_TRANSACTION,
                },
            ),
            (A, 36, Problem::Expected(':')),
            (&format!("{A}:"), 37, Problem::ExpectedNumber),
            (&format!("{A}:1,"), 39, Problem::BadUuid),
            (&format!("{A}:1;"), 38, Problem::Expected(',')),
            (&format!("{A}:1tag"), 38, Problem::Expected(',')),
            (&format!("{A}:tag"), 40, Problem::Expected(':')),
            (&format!("{A}:1ag:1"), 38, Problem::Expected(',')),
            (&format!("{A}:a-b:1"), 38, Problem::Expected(':')),
        ];
        for (text, at, problem) in cases {
            match MySqlGtidSet::parse(text) {
                Err(GtidError::Malformed {
                    at: got_at,
                    problem: got,
                    flavor: Flavor::MySql,
                    ..
                }) => assert_eq!((got_at, got), (*at, *problem), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn largest_transaction_is_accepted() {
        let s = set(&format!("{A}:9223372036854775807"));
        assert_eq!(s.to_string(), format!("{A}:9223372036854775807"));
    }

    #[test]
    fn union_and_covers() {
        let mut x = set(&format!("{A}:1-5"));
        let y = set(&format!("{A}:3-9,{B}:1"));
        assert!(!x.covers(&y));
        assert!(x.merge(&y));
        assert_eq!(x.to_string(), format!("{A}:1-9,{B}:1"));
        assert!(x.covers(&y));
        assert!(!x.merge(&y));
        assert!(x.covers(&MySqlGtidSet::new()));
        assert!(!MySqlGtidSet::new().covers(&x));
    }

    #[test]
    fn tags_are_separate_keys() {
        let x = set(&format!("{A}:1-10"));
        let tagged = set(&format!("{A}:t:1"));
        assert!(!x.covers(&tagged));
        assert!(!tagged.covers(&x));
    }

    #[test]
    fn single_gtid() {
        let g = MySqlGtid::parse(&format!(" {}:23 ", A.to_uppercase())).expect("valid gtid");
        assert_eq!(g.to_string(), format!("{A}:23"));
        let t = MySqlGtid::parse(&format!("{A}:Tag:7")).expect("valid tagged gtid");
        assert_eq!(t.to_string(), format!("{A}:tag:7"));
        let mut s = MySqlGtidSet::new();
        assert!(s.add(&g));
        assert!(!s.add(&g));
        assert!(s.contains(&g));
        assert!(!s.contains(&t));
        for bad in [format!("{A}:1-2"), format!("{A}:0"), format!("{A}:1,")] {
            assert!(MySqlGtid::parse(&bad).is_err(), "{bad}");
        }
    }
}
