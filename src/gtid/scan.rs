//! A byte cursor over GTID text shared by the MySQL and MariaDB parsers: whitespace skipping,
//! punctuation, bounded decimal numbers, and errors that point at the offending byte. Must not
//! know either grammar.

use super::error::{GtidError, Problem};
use super::Flavor;

pub(super) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    flavor: Flavor,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str, flavor: Flavor) -> Self {
        Self {
            text,
            pos: 0,
            flavor,
        }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Skips ASCII whitespace (MySQL prints `,\n` between UUIDs).
    pub(super) fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The unconsumed bytes (no whitespace skipped).
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.pos..]
    }

    pub(super) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.text.len());
    }

    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Consumes `c` if it comes next.
    pub(super) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, c: u8) -> Result<(), GtidError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(Problem::Expected(char::from(c))))
        }
    }

    /// Fails unless only whitespace is left.
    pub(super) fn finish(&mut self) -> Result<(), GtidError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error(Problem::Trailing))
        }
    }

    /// A decimal number of at most `max`; errors point at its first digit.
    pub(super) fn number(&mut self, max: u64) -> Result<u64, GtidError> {
        self.skip_ws();
        let start = self.pos;
        let mut value: u64 = 0;
        let mut digits = 0;
        for &b in self.rest() {
            if !b.is_ascii_digit() {
                break;
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .filter(|&v| v <= max)
                .ok_or_else(|| self.error_at(start, Problem::Overflow { max }))?;
            digits += 1;
        }
        if digits == 0 {
            return Err(self.error(Problem::ExpectedNumber));
        }
        self.pos += digits;
        Ok(value)
    }

    /// An error at the current position (after whitespace).
    pub(super) fn error(&mut self, problem: Problem) -> GtidError {
        self.skip_ws();
        self.error_at(self.pos, problem)
    }

    pub(super) fn error_at(&self, at: usize, problem: Problem) -> GtidError {
        GtidError::malformed(self.flavor, self.text, at, problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_bounds() {
        let mut c = Cursor::new("  42-x", Flavor::MariaDb);
        assert_eq!(c.number(100).ok(), Some(42));
        assert!(c.eat(b'-'));
        assert!(matches!(
            c.number(100),
            Err(GtidError::Malformed {
                at: 5,
                problem: Problem::ExpectedNumber,
                ..
            })
        ));
        let mut c = Cursor::new("101", Flavor::MariaDb);
        assert!(matches!(
            c.number(100),
            Err(GtidError::Malformed {
                at: 0,
                problem: Problem::Overflow { max: 100 },
                ..
            })
        ));
        let mut c = Cursor::new("99999999999999999999999", Flavor::MySql);
        assert!(c.number(u64::MAX).is_err());
    }

    #[test]
    fn finish_allows_trailing_whitespace_only() {
        let mut c = Cursor::new(" \n\t", Flavor::MySql);
        assert!(c.finish().is_ok());
        let mut c = Cursor::new(" x", Flavor::MySql);
        assert!(matches!(
            c.finish(),
            Err(GtidError::Malformed {
                at: 1,
                problem: Problem::Trailing,
                ..
            })
        ));
    }
}
