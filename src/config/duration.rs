//! Human durations in the configuration: `"500us"`, `"10ms"`, `"1.5s"`, `"30s"`, `"2m"`.
//!
//! Owns the text → `std::time::Duration` conversion and its messages. It must not know which key a
//! duration belongs to or where it sits in the file: callers add the key name and the location.

use std::time::Duration;

/// Units a duration may carry, with their length in nanoseconds.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// The hint given when a duration has no unit.
const HINT: &str = "durations need a unit (ns, us, ms, s, m, h), e.g. \"10ms\" or \"1.5s\"";

/// Parses a duration written as a decimal number followed by a unit, e.g. `"1.5s"`.
///
/// A bare number (`"10"`) is refused with a hint rather than guessed at. The error is the message
/// only; the caller prefixes the key and location.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim_start());
    if number.is_empty() {
        return Err(format!("{text:?} is not a duration: {HINT}"));
    }
    if unit.is_empty() {
        return Err(format!("{text:?} has no unit: {HINT}"));
    }
    let Some(&(_, unit_nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!("{text:?} has an unknown unit {unit:?}: {HINT}"));
    };
    let nanos =
        scale(number, unit_nanos).ok_or_else(|| format!("{text:?} is not a duration: {HINT}"))?;
    let nanos = u64::try_from(nanos).map_err(|_| format!("{text:?} is too long a duration"))?;
    Ok(Duration::from_nanos(nanos))
}

/// The message for a duration written as a TOML number instead of a string.
pub(crate) fn number_hint(value: impl std::fmt::Display) -> String {
    format!("{value} has no unit: write it as a string, e.g. \"{value}ms\" or \"{value}s\"")
}

/// `number × unit_nanos` in exact integer arithmetic; `None` if `number` is not `digits[.digits]`.
fn scale(number: &str, unit_nanos: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits_only(whole) || !digits_only(fraction) || fraction.len() > 18 {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(unit_nanos)?;
    if !fraction.is_empty() {
        let denominator = 10u128.pow(u32::try_from(fraction.len()).ok()?);
        let fraction: u128 = fraction.parse().ok()?;
        nanos = nanos.checked_add(fraction.checked_mul(unit_nanos)? / denominator)?;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Duration {
        parse_duration(text).expect(text)
    }

    #[test]
    fn parses_each_unit() {
        assert_eq!(ok("250ns"), Duration::from_nanos(250));
        assert_eq!(ok("500us"), Duration::from_micros(500));
        assert_eq!(ok("500µs"), Duration::from_micros(500));
        assert_eq!(ok("10ms"), Duration::from_millis(10));
        assert_eq!(ok("30s"), Duration::from_secs(30));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("0s"), Duration::ZERO);
    }

    #[test]
    fn parses_fractions_exactly() {
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("0.25ms"), Duration::from_micros(250));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("2.s"), Duration::from_secs(2));
        assert_eq!(ok("0.1s"), Duration::from_millis(100));
    }

    #[test]
    fn tolerates_spaces_around_and_before_the_unit() {
        assert_eq!(ok(" 10 ms "), Duration::from_millis(10));
    }

    #[test]
    fn a_bare_number_is_refused_with_a_hint() {
        let err = parse_duration("10").expect_err("no unit");
        assert!(err.contains("no unit"), "{err}");
        assert!(err.contains("\"10ms\""), "{err}");
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "",
            "ms",
            "-1s",
            "1.2.3s",
            "10 parsecs",
            "10sec",
            "1e3ms",
            "s10",
            ".",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn rejects_overflow() {
        assert!(parse_duration("99999999999999999999h").is_err());
        assert!(parse_duration("999999999999h").is_err());
    }

    #[test]
    fn number_hint_suggests_units() {
        assert_eq!(
            number_hint(10),
            "10 has no unit: write it as a string, e.g. \"10ms\" or \"10s\""
        );
    }
}
