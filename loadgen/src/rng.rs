//! A small, fast pseudo-random generator (SplitMix64) for picking rows and filling strings, one per
//! connection, plus the sysbench string shapes (`c` and `pad` values) and a seed for run ids.
//!
//! It must not be used where unpredictability matters: it only spreads load.

use std::time::{SystemTime, UNIX_EPOCH};

/// Groups of 11 digits in sysbench's `c` values (119 characters with the dashes).
pub const C_GROUPS: usize = 10;
/// Groups of 11 digits in sysbench's `pad` values (59 characters with the dashes).
pub const PAD_GROUPS: usize = 5;

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A seed that differs between runs and processes (time and process id).
    pub fn seed_from_clock() -> u64 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut rng = Rng::new(nanos ^ (u64::from(std::process::id()) << 32));
        rng.next_u64()
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.wrapping_add(self.below(span) as i64)
    }

    /// Replaces `out` with `groups` groups of 11 random digits joined by `-`, like sysbench's
    /// `###########-...` templates.
    pub fn digit_groups(&mut self, groups: usize, out: &mut String) {
        out.clear();
        for group in 0..groups {
            if group > 0 {
                out.push('-');
            }
            for _ in 0..11 {
                out.push(char::from(b'0' + self.below(10) as u8));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_stays_in_bounds_and_covers_them() {
        let mut rng = Rng::new(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = rng.between(3, 7);
            assert!((3..=7).contains(&v));
            seen[(v - 3) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.between(5, 5), 5);
    }

    #[test]
    fn sysbench_string_shapes() {
        let mut rng = Rng::new(1);
        let mut out = String::new();
        rng.digit_groups(C_GROUPS, &mut out);
        assert_eq!(out.len(), 119);
        assert_eq!(out.matches('-').count(), 9);
        rng.digit_groups(PAD_GROUPS, &mut out);
        assert_eq!(out.len(), 59);
        assert!(out.chars().all(|c| c == '-' || c.is_ascii_digit()));
    }

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
