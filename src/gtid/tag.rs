//! MySQL 8.4 GTID tags (`uuid:tag:N`): 1 to 32 characters of `[a-z0-9_]`, not starting with a
//! digit, case-insensitive (kept lowercase). Stored inline so a tagged source id stays `Copy` and
//! comparing it never allocates. Must not know about intervals or sets.

use std::fmt;

use super::error::{GtidError, Problem};
use super::scan::Cursor;

const MAX_LEN: usize = 32;

/// A GTID tag. Ordering is the order of the text (bytes are zero-padded; tag bytes are never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    bytes: [u8; MAX_LEN],
    len: u8,
}

impl Tag {
    /// Parses exactly one tag (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut c = Cursor::new(text, super::Flavor::MySql);
        let t = Self::read(&mut c)?;
        c.finish()?;
        Ok(t)
    }

    pub(super) fn read(c: &mut Cursor<'_>) -> Result<Self, GtidError> {
        c.skip_ws();
        let start = c.pos();
        let rest = c.rest();
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if len == 0 || len > MAX_LEN || rest[0].is_ascii_digit() {
            return Err(c.error_at(start, Problem::BadTag));
        }
        let mut bytes = [0u8; MAX_LEN];
        for (d, s) in bytes.iter_mut().zip(&rest[..len]) {
            *d = s.to_ascii_lowercase();
        }
        c.advance(len);
        Ok(Tag {
            bytes,
            len: len as u8,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_tags() {
        for (text, shown) in [("a", "a"), ("_x9", "_x9"), ("Domain_1", "domain_1")] {
            assert_eq!(Tag::parse(text).expect("valid tag").as_str(), shown);
        }
        let longest = "t".repeat(32);
        assert_eq!(Tag::parse(&longest).expect("32 chars").as_str(), longest);
    }

    #[test]
    fn invalid_tags() {
        for bad in ["", "1a", "a-b", "é", &"t".repeat(33)] {
            assert!(Tag::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_is_text_order() {
        let a = Tag::parse("ab").expect("valid");
        let b = Tag::parse("b").expect("valid");
        let c = Tag::parse("abc").expect("valid");
        assert!(a < b && a < c && c < b);
    }
}
