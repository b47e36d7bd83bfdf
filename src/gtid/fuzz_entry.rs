//! Fuzzing entry point for GTID parsing: parses arbitrary text as both flavours (whole input as a
//! set and as a single GTID, and its two halves as sets) and checks what must hold for every
//! input that parses. Called by the cargo-fuzz target `gtid` in `fuzz/` and, on stable, by
//! `tests/fuzz_corpus.rs`. A panic here is a bug report; this module must not change parsing and
//! does no I/O.

use super::{Flavor, Gtid, GtidSet};

/// Runs every check on `data` (invalid UTF-8 is replaced, so byte-level garbage is still parsed).
pub fn gtid(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mid = (0..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (left, right) = text.split_at(mid);
    for flavor in [Flavor::MySql, Flavor::MariaDb] {
        let whole = check_set(&text, flavor);
        check_single(&text, flavor);
        let a = check_set(left, flavor);
        let b = check_set(right, flavor);
        if let (Some(a), Some(b)) = (a, b) {
            check_pair(&a, &b);
            if let Some(w) = whole {
                check_pair(&w, &a);
                check_pair(&w, &b);
            }
        }
    }
}

fn check_set(text: &str, flavor: Flavor) -> Option<GtidSet> {
    let set = GtidSet::parse(text, flavor).ok()?;
    assert_eq!(set.flavor(), flavor);
    let printed = set.to_string();
    let again = GtidSet::parse(&printed, flavor)
        .unwrap_or_else(|e| panic!("printed form {printed:?} of {text:?} does not parse: {e}"));
    assert_eq!(again, set, "parse(print(x)) != x for {text:?}");
    assert_eq!(again.to_string(), printed, "printing is not stable");
    assert_eq!(set.is_empty(), printed.is_empty());
    assert!(set.covers(&set), "covers is not reflexive for {text:?}");
    let mut twice = set.clone();
    assert_eq!(twice.merge(&set), Ok(false), "self-merge changed {text:?}");
    assert_eq!(twice, set);
    match &set {
        GtidSet::MySql(s) => assert!(s.is_canonical(), "not canonical: {text:?}"),
        GtidSet::MariaDb(p) => assert!(p.gtids().windows(2).all(|w| w[0].domain < w[1].domain)),
    }
    Some(set)
}

fn check_single(text: &str, flavor: Flavor) {
    let Ok(g) = Gtid::parse(text, flavor) else {
        return;
    };
    let printed = g.to_string();
    assert_eq!(
        Gtid::parse(&printed, flavor),
        Ok(g),
        "single GTID round trip"
    );
    // A single GTID is also a one-element set.
    let set = GtidSet::parse(text, flavor).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(set, GtidSet::from(g));
    assert!(set.contains(&g));
}

/// Union and covers agree: merging `b` into `a` changes `a` whenever `a` does not cover `b` (for
/// MySQL exactly then; a MariaDB merge may also swap in a larger server id at an equal sequence
/// number), and the union covers both sides whichever way it is built.
fn check_pair(a: &GtidSet, b: &GtidSet) {
    let mut ab = a.clone();
    let changed = ab.merge(b).unwrap_or_else(|e| panic!("same flavour: {e}"));
    if !a.covers(b) {
        assert!(changed, "merge missed what {a} lacks of {b}");
    }
    if let GtidSet::MySql(_) = a {
        assert_eq!(
            changed,
            !a.covers(b),
            "merge/covers disagree on {a} and {b}"
        );
    }
    let mut ba = b.clone();
    assert!(ba.merge(a).is_ok());
    assert_eq!(ab, ba, "union is not commutative for {a} and {b}");
    assert!(ab.covers(a) && ab.covers(b));
    if a.covers(b) && b.covers(a) {
        assert!(a.covers(&ab));
    }
}
