//! MariaDB GTID positions: `domain-server-seq[,...]` as in `@@gtid_slave_pos`,
//! `@@gtid_binlog_pos`, `@@gtid_current_pos` and the `last_gtid` session variable. A position
//! keeps, per replication domain, the last applied GTID; within a domain sequence numbers grow
//! across servers, so "covers" compares sequence numbers per domain and ignores server ids. Must
//! not know about MySQL sets or where the text came from.
//!
//! Representation: a vector sorted by domain with one GTID per domain. A text naming a domain
//! twice (as `@@gtid_binlog_state` does, one entry per server) keeps the larger sequence number;
//! on equal sequence numbers the larger server id wins, so merging is commutative.

use std::fmt;

use super::error::GtidError;
use super::scan::Cursor;
use super::Flavor;

/// One MariaDB transaction: `domain-server-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MariaDbGtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl MariaDbGtid {
    /// Parses one `domain-server-seq` (surrounding whitespace allowed), e.g. `last_gtid`.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut c = Cursor::new(text, Flavor::MariaDb);
        let g = Self::read(&mut c)?;
        c.finish()?;
        Ok(g)
    }

    fn read(c: &mut Cursor<'_>) -> Result<Self, GtidError> {
        let domain = number_u32(c)?;
        c.expect(b'-')?;
        let server = number_u32(c)?;
        c.expect(b'-')?;
        let seq = c.number(u64::MAX)?;
        Ok(Self {
            domain,
            server,
            seq,
        })
    }

    /// The order that decides which of two GTIDs of one domain a position keeps.
    fn rank(&self) -> (u64, u32) {
        (self.seq, self.server)
    }
}

fn number_u32(c: &mut Cursor<'_>) -> Result<u32, GtidError> {
    let n = c.number(u64::from(u32::MAX))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl fmt::Display for MariaDbGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

/// A MariaDB GTID position: the last GTID per domain, sorted by domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MariaDbPosition {
    gtids: Vec<MariaDbGtid>,
}

impl MariaDbPosition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a position; empty or all-whitespace text is the empty position.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut pos = Self::new();
        let mut c = Cursor::new(text, Flavor::MariaDb);
        if c.at_end() {
            return Ok(pos);
        }
        loop {
            let g = MariaDbGtid::read(&mut c)?;
            pos.add(&g);
            if c.at_end() {
                return Ok(pos);
            }
            c.expect(b',')?;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.gtids.is_empty()
    }

    /// The GTIDs, one per domain, sorted by domain.
    pub fn gtids(&self) -> &[MariaDbGtid] {
        &self.gtids
    }

    /// The GTID kept for `domain`.
    pub fn domain(&self, domain: u32) -> Option<&MariaDbGtid> {
        self.find(domain).ok().map(|i| &self.gtids[i])
    }

    fn find(&self, domain: u32) -> Result<usize, usize> {
        self.gtids.binary_search_by_key(&domain, |g| g.domain)
    }

    /// Records a transaction; returns whether the position moved.
    pub fn add(&mut self, gtid: &MariaDbGtid) -> bool {
        match self.find(gtid.domain) {
            Ok(i) if gtid.rank() > self.gtids[i].rank() => {
                self.gtids[i] = *gtid;
                true
            }
            Ok(_) => false,
            Err(i) => {
                self.gtids.insert(i, *gtid);
                true
            }
        }
    }

    /// Whether the transaction is at or before this position in its domain.
    pub fn contains(&self, gtid: &MariaDbGtid) -> bool {
        self.domain(gtid.domain).is_some_and(|g| g.seq >= gtid.seq)
    }

    /// Per-domain maximum in place; returns whether `self` changed.
    pub fn merge(&mut self, other: &MariaDbPosition) -> bool {
        let mut changed = false;
        for g in &other.gtids {
            changed |= self.add(g);
        }
        changed
    }

    /// Whether, for every domain of `required`, `self` has reached its sequence number.
    pub fn covers(&self, required: &MariaDbPosition) -> bool {
        // Both sorted by domain: one forward walk.
        let mut mine = self.gtids.iter().peekable();
        'next: for r in &required.gtids {
            while let Some(g) = mine.peek() {
                if g.domain < r.domain {
                    mine.next();
                    continue;
                }
                if g.domain == r.domain && g.seq >= r.seq {
                    continue 'next;
                }
                return false;
            }
            return false;
        }
        true
    }
}

impl fmt::Display for MariaDbPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.gtids.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{g}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtid::Problem;

    fn pos(text: &str) -> MariaDbPosition {
        MariaDbPosition::parse(text).expect("valid MariaDB position")
    }

    #[test]
    fn round_trips() {
        for text in [
            "",
            "0-1-100",
            "0-1-100,1-2-7",
            "0-3307-1212,1-3308-5",
            "4294967295-4294967295-18446744073709551615",
        ] {
            assert_eq!(pos(text).to_string(), text);
        }
    }

    #[test]
    fn normalises() {
        assert_eq!(pos(" 1-2-7 ,\n 0-1-100 ").to_string(), "0-1-100,1-2-7");
        // gtid_binlog_state style: several servers in one domain.
        assert_eq!(pos("0-1-100,0-2-150,0-3-120").to_string(), "0-2-150");
    }

    #[test]
    fn errors() {
        let cases: &[(&str, usize, Problem)] = &[
            ("0-1", 3, Problem::Expected('-')),
            ("0-1-", 4, Problem::ExpectedNumber),
            ("x", 0, Problem::ExpectedNumber),
            (
                "4294967296-1-1",
                0,
                Problem::Overflow {
                    max: u64::from(u32::MAX),
                },
            ),
            (
                "0-1-18446744073709551616",
                4,
                Problem::Overflow { max: u64::MAX },
            ),
            ("0-1-1,", 6, Problem::ExpectedNumber),
            ("0-1-1;0-1-2", 5, Problem::Expected(',')),
            ("0-1-1 0-1-2", 6, Problem::Expected(',')),
        ];
        for (text, at, problem) in cases {
            match MariaDbPosition::parse(text) {
                Err(GtidError::Malformed {
                    at: got_at,
                    problem: got,
                    flavor: Flavor::MariaDb,
                    ..
                }) => assert_eq!((got_at, got), (*at, *problem), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn covers_ignores_server_ids() {
        let executed = pos("0-1-100,1-2-7");
        assert!(executed.covers(&pos("0-9-100")));
        assert!(executed.covers(&pos("0-1-50,1-2-7")));
        assert!(!executed.covers(&pos("0-1-101")));
        assert!(!executed.covers(&pos("2-1-1")));
        assert!(!executed.covers(&pos("1-2-7,2-1-1")));
        assert!(executed.covers(&MariaDbPosition::new()));
        assert!(!MariaDbPosition::new().covers(&executed));
    }

    #[test]
    fn merge_keeps_the_larger_per_domain() {
        let mut x = pos("0-1-100,1-2-7");
        assert!(x.merge(&pos("0-3-90,1-4-8,2-5-1")));
        assert_eq!(x.to_string(), "0-1-100,1-4-8,2-5-1");
        assert!(!x.merge(&pos("0-1-100")));
        // Equal seq, different server: the larger server id wins, whatever the order.
        let mut a = pos("0-1-5");
        let mut b = pos("0-2-5");
        a.merge(&pos("0-2-5"));
        b.merge(&pos("0-1-5"));
        assert_eq!(a, b);
    }

    #[test]
    fn single_gtid() {
        let g = MariaDbGtid::parse(" 0-3307-1212\n").expect("valid gtid");
        assert_eq!((g.domain, g.server, g.seq), (0, 3307, 1212));
        assert_eq!(g.to_string(), "0-3307-1212");
        assert!(MariaDbGtid::parse("0-1-2,1-1-1").is_err());
        let mut p = MariaDbPosition::new();
        assert!(p.add(&g));
        assert!(p.contains(&MariaDbGtid {
            domain: 0,
            server: 1,
            seq: 1000
        }));
        assert!(!p.contains(&MariaDbGtid {
            domain: 0,
            server: 1,
            seq: 1213
        }));
    }
}
