//! Sorted lists of inclusive transaction-number ranges (`1-5:11-18`) for one MySQL source id:
//! insert with merging of overlapping and adjacent ranges, containment by binary search. Lists
//! are kept canonical (sorted, non-empty ranges, no two overlapping or touching), which makes
//! equality structural and printing unique. Must not parse or know about UUIDs.

use std::fmt;

/// Transactions `start..=end` (1-based). Invariant: `1 <= start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
}

impl Interval {
    pub fn new(start: u64, end: u64) -> Self {
        debug_assert!(1 <= start && start <= end, "bad interval {start}-{end}");
        Self { start, end }
    }

    pub fn single(n: u64) -> Self {
        Self::new(n, n)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// Adds `iv` to the canonical list; returns whether the list changed. Allocates nothing when
/// `iv` is already contained.
pub fn insert(list: &mut Vec<Interval>, iv: Interval) -> bool {
    // First range that overlaps or touches `iv`, and one past the last.
    let i = list.partition_point(|x| x.end.saturating_add(1) < iv.start);
    let j = i + list[i..].partition_point(|x| x.start <= iv.end.saturating_add(1));
    if i == j {
        list.insert(i, iv);
        return true;
    }
    let merged = Interval {
        start: list[i].start.min(iv.start),
        end: list[j - 1].end.max(iv.end),
    };
    if j - i == 1 && list[i] == merged {
        return false;
    }
    list[i] = merged;
    list.drain(i + 1..j);
    true
}

/// Adds every range of `other` (canonical) to `list`; returns whether `list` changed.
pub fn merge(list: &mut Vec<Interval>, other: &[Interval]) -> bool {
    let mut changed = false;
    for &iv in other {
        changed |= insert(list, iv);
    }
    changed
}

/// Whether the canonical `list` contains all of `iv`.
pub fn contains(list: &[Interval], iv: Interval) -> bool {
    let i = list.partition_point(|x| x.end < iv.start);
    list.get(i)
        .is_some_and(|x| x.start <= iv.start && iv.end <= x.end)
}

/// Whether the canonical `list` contains every range of the canonical `required`.
pub fn contains_all(list: &[Interval], required: &[Interval]) -> bool {
    let mut rest = list;
    for &iv in required {
        let i = rest.partition_point(|x| x.end < iv.start);
        rest = &rest[i..];
        match rest.first() {
            Some(x) if x.start <= iv.start && iv.end <= x.end => {}
            _ => return false,
        }
    }
    true
}

/// Whether `list` is canonical (used by tests and debug assertions).
pub fn is_canonical(list: &[Interval]) -> bool {
    list.iter().all(|x| 1 <= x.start && x.start <= x.end)
        && list
            .windows(2)
            .all(|w| w[0].end.saturating_add(1) < w[1].start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ranges: &[(u64, u64)]) -> Vec<Interval> {
        ranges.iter().map(|&(s, e)| Interval::new(s, e)).collect()
    }

    #[test]
    fn insert_merges_overlapping_and_adjacent() {
        let mut l = list(&[(1, 5), (11, 18)]);
        assert!(insert(&mut l, Interval::single(6)));
        assert_eq!(l, list(&[(1, 6), (11, 18)]));
        assert!(insert(&mut l, Interval::new(7, 10)));
        assert_eq!(l, list(&[(1, 18)]));
        assert!(!insert(&mut l, Interval::new(3, 18)));
        assert!(insert(&mut l, Interval::new(30, 40)));
        assert!(insert(&mut l, Interval::new(20, 25)));
        assert_eq!(l, list(&[(1, 18), (20, 25), (30, 40)]));
        assert!(insert(&mut l, Interval::new(19, 35)));
        assert_eq!(l, list(&[(1, 40)]));
        assert!(is_canonical(&l));
    }

    #[test]
    fn insert_at_the_top_of_the_range() {
        let max = i64::MAX as u64;
        let mut l = list(&[(max, max)]);
        assert!(!insert(&mut l, Interval::single(max)));
        assert!(insert(&mut l, Interval::single(max - 1)));
        assert_eq!(l, list(&[(max - 1, max)]));
        let mut l = list(&[(u64::MAX - 1, u64::MAX)]);
        assert!(!insert(&mut l, Interval::single(u64::MAX)));
    }

    #[test]
    fn containment() {
        let l = list(&[(1, 5), (11, 18)]);
        assert!(contains(&l, Interval::new(2, 5)));
        assert!(contains(&l, Interval::single(11)));
        assert!(!contains(&l, Interval::new(5, 11)));
        assert!(!contains(&l, Interval::single(19)));
        assert!(contains_all(&l, &list(&[(1, 1), (3, 4), (12, 18)])));
        assert!(!contains_all(&l, &list(&[(1, 1), (6, 6)])));
        assert!(contains_all(&l, &[]));
        assert!(!contains_all(&[], &list(&[(1, 1)])));
    }

    #[test]
    fn display() {
        assert_eq!(Interval::single(7).to_string(), "7");
        assert_eq!(Interval::new(1, 5).to_string(), "1-5");
    }
}
