//! Parsing of the duration options (`--duration`, `--warmup`, `--think-time`): a number, possibly
//! with a fraction, followed by a unit `us`, `ms`, `s`, `m` or `h` (a bare number is seconds):
//! `30s`, `2m`, `500ms`, `1.5s`, `0`.
//!
//! It must not know which option it parses.

use std::time::Duration;

use thiserror::Error;

/// A duration text that could not be understood.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("invalid duration {text:?}: {why} (examples: 30s, 2m, 500ms, 1.5s)")]
pub struct DurationError {
    text: String,
    why: &'static str,
}

/// Parses a duration such as `30s`, `2m` or `500ms`.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let fail = |why| DurationError {
        text: text.to_owned(),
        why,
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(fail("it does not start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| fail("the number is malformed"))?;
    let seconds_per_unit = match unit.trim() {
        "" | "s" => 1.0,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(fail("unknown unit (use us, ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| fail("it is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "s", "-1s", "10 parsecs", "1.2.3s", "ms500", "1e3s"] {
            let err = parse(bad).expect_err(bad);
            assert!(err.to_string().contains("invalid duration"), "{err}");
        }
    }
}
