//! Property tests for GTID sets of both flavours, driven by a small deterministic PRNG (no
//! proptest in this workspace): union laws, covers laws, parse/print round trips, and agreement
//! with a naive model. Unit tests of single pieces live next to them; this file must not test
//! parsing details already covered there.

use super::fuzz_entry;
use super::*;

use crate::test_rng::TestRng as Rng;

const CASES: usize = 2000;

fn uuid(i: u64) -> Uuid {
    let mut b = [0u8; 16];
    b[0] = 0x3e;
    b[15] = i as u8;
    b[7] = (i * 37) as u8;
    Uuid(b)
}

fn sid(rng: &mut Rng) -> Sid {
    let tag = match rng.below(4) {
        0 => Some(Tag::parse("a").expect("valid tag")),
        1 => Some(Tag::parse("b_2").expect("valid tag")),
        _ => None,
    };
    Sid {
        uuid: uuid(rng.below(3)),
        tag,
    }
}

/// Small numbers so that sets overlap often.
fn mysql_set(rng: &mut Rng) -> MySqlGtidSet {
    let mut s = MySqlGtidSet::new();
    for _ in 0..rng.below(6) {
        let start = 1 + rng.below(40);
        let end = start + rng.below(6);
        s.insert(sid(rng), Interval::new(start, end));
    }
    s
}

fn mariadb_pos(rng: &mut Rng) -> MariaDbPosition {
    let mut p = MariaDbPosition::new();
    for _ in 0..rng.below(5) {
        p.add(&MariaDbGtid {
            domain: rng.below(4) as u32,
            server: 1 + rng.below(3) as u32,
            seq: rng.below(20),
        });
    }
    p
}

fn any_set(rng: &mut Rng, flavor: Flavor) -> GtidSet {
    match flavor {
        Flavor::MySql => GtidSet::MySql(mysql_set(rng)),
        Flavor::MariaDb => GtidSet::MariaDb(mariadb_pos(rng)),
    }
}

fn union(a: &GtidSet, b: &GtidSet) -> GtidSet {
    a.union(b).expect("same flavour")
}

/// The MySQL model: the explicit set of (sid, transaction) pairs.
fn members(s: &MySqlGtidSet) -> std::collections::BTreeSet<(Sid, u64)> {
    s.iter()
        .flat_map(|(sid, list)| {
            list.iter()
                .flat_map(move |iv| (iv.start..=iv.end).map(move |n| (*sid, n)))
        })
        .collect()
}

#[test]
fn round_trip_and_canonical_form() {
    let mut rng = Rng(0x5eed_0001);
    for flavor in [Flavor::MySql, Flavor::MariaDb] {
        for _ in 0..CASES {
            let x = any_set(&mut rng, flavor);
            let text = x.to_string();
            assert_eq!(GtidSet::parse(&text, flavor).as_ref(), Ok(&x), "{text}");
            // MySQL's long-output layout parses to the same set.
            let spaced = text.replace(',', ",\n ");
            assert_eq!(GtidSet::parse(&spaced, flavor).as_ref(), Ok(&x), "{spaced}");
            if let GtidSet::MySql(s) = &x {
                assert!(s.is_canonical());
            }
        }
    }
}

#[test]
fn union_laws() {
    let mut rng = Rng(0x5eed_0002);
    for flavor in [Flavor::MySql, Flavor::MariaDb] {
        for _ in 0..CASES {
            let a = any_set(&mut rng, flavor);
            let b = any_set(&mut rng, flavor);
            let c = any_set(&mut rng, flavor);
            assert_eq!(union(&a, &b), union(&b, &a), "commutative: {a} / {b}");
            assert_eq!(
                union(&union(&a, &b), &c),
                union(&a, &union(&b, &c)),
                "associative: {a} / {b} / {c}"
            );
            assert_eq!(union(&a, &a), a, "idempotent: {a}");
            let ab = union(&a, &b);
            assert!(
                ab.covers(&a) && ab.covers(&b),
                "{ab} must cover {a} and {b}"
            );
            assert_eq!(union(&a, &GtidSet::empty(flavor)), a);
        }
    }
}

#[test]
fn covers_laws() {
    let mut rng = Rng(0x5eed_0003);
    for flavor in [Flavor::MySql, Flavor::MariaDb] {
        for _ in 0..CASES {
            let a = any_set(&mut rng, flavor);
            let b = any_set(&mut rng, flavor);
            let c = any_set(&mut rng, flavor);
            assert!(a.covers(&a));
            assert!(a.covers(&GtidSet::empty(flavor)));
            if a.covers(&b) && b.covers(&c) {
                assert!(a.covers(&c), "transitive: {a} / {b} / {c}");
            }
            // Built to be transitive: a ∪ b ∪ c ⊇ b ∪ c ⊇ c.
            let bc = union(&b, &c);
            let abc = union(&a, &bc);
            assert!(abc.covers(&bc) && bc.covers(&c) && abc.covers(&c));
            // covers(a, b) exactly when a ∪ b adds nothing (up to MariaDB server ids).
            let mut merged = a.clone();
            let changed = merged.merge(&b).expect("same flavour");
            if !a.covers(&b) {
                assert!(changed);
            }
            if flavor == Flavor::MySql {
                assert_eq!(changed, !a.covers(&b), "{a} / {b}");
            }
            assert_eq!(merged.covers(&a) && a.covers(&merged), a.covers(&b));
        }
    }
}

#[test]
fn mysql_agrees_with_the_member_model() {
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..CASES {
        let a = mysql_set(&mut rng);
        let b = mysql_set(&mut rng);
        let (ma, mb) = (members(&a), members(&b));
        assert_eq!(a.covers(&b), mb.is_subset(&ma), "{a} / {b}");
        let mut u = a.clone();
        u.merge(&b);
        assert_eq!(members(&u), &ma | &mb);
        let probe = MySqlGtid {
            sid: sid(&mut rng),
            transaction: 1 + rng.below(50),
        };
        assert_eq!(
            a.contains(&probe),
            ma.contains(&(probe.sid, probe.transaction))
        );
    }
}

#[test]
fn mariadb_agrees_with_the_domain_model() {
    let mut rng = Rng(0x5eed_0005);
    for _ in 0..CASES {
        let a = mariadb_pos(&mut rng);
        let b = mariadb_pos(&mut rng);
        let expected = b.gtids().iter().all(|r| {
            a.gtids()
                .iter()
                .any(|g| g.domain == r.domain && g.seq >= r.seq)
        });
        assert_eq!(a.covers(&b), expected, "{a} / {b}");
    }
}

#[test]
fn adding_one_by_one_equals_parsing_the_whole() {
    let mut rng = Rng(0x5eed_0006);
    for _ in 0..CASES / 4 {
        let x = mysql_set(&mut rng);
        let mut built = GtidSet::empty(Flavor::MySql);
        for (sid, list) in x.iter() {
            for iv in list {
                for n in iv.start..=iv.end {
                    let g = Gtid::MySql(MySqlGtid {
                        sid: *sid,
                        transaction: n,
                    });
                    assert_eq!(built.add(&g), Ok(true));
                    assert_eq!(built.add(&g), Ok(false));
                    assert!(built.contains(&g));
                }
            }
        }
        assert_eq!(built, GtidSet::MySql(x));
    }
}

#[test]
fn covers_after_merge_of_a_commit() {
    // The session path: executed set moves forward by one commit, required is that commit.
    let executed = GtidSet::parse(
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100,\n4f22ab58-82db-22f2-af44-d91bb0530673:1-5",
        Flavor::MySql,
    )
    .expect("valid set");
    let commit =
        Gtid::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:101", Flavor::MySql).expect("valid gtid");
    let required = GtidSet::from(commit);
    assert!(!executed.covers(&required));
    let mut later = executed.clone();
    assert_eq!(later.add(&commit), Ok(true));
    assert!(later.covers(&required) && later.covers(&executed));
    assert_eq!(
        later.to_string(),
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-101,4f22ab58-82db-22f2-af44-d91bb0530673:1-5"
    );
}

#[test]
fn fuzz_entry_holds_on_random_text() {
    let alphabet = b"0123456789abcdefABCDEF-:,_ \nxt";
    let mut rng = Rng(0x5eed_0007);
    for _ in 0..CASES {
        let len = rng.below(60) as usize;
        let data: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        fuzz_entry::gtid(&data);
    }
    // And on printed random sets, which parse.
    for flavor in [Flavor::MySql, Flavor::MariaDb] {
        for _ in 0..CASES / 4 {
            let a = any_set(&mut rng, flavor);
            fuzz_entry::gtid(a.to_string().as_bytes());
        }
    }
}
