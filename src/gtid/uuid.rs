//! MySQL server UUIDs (source ids) as 16 bytes: parsing the 8-4-4-4-12 hex text in either case and
//! printing it lowercase. Ordering is byte order, which is the order of the printed text. Must not
//! generate UUIDs or know about GTID sets.

use std::fmt;

use super::error::{GtidError, Problem};
use super::scan::Cursor;

/// A server UUID. Byte order = textual order of the lowercase form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uuid(pub [u8; 16]);

const TEXT_LEN: usize = 36;
const DASHES: [usize; 4] = [8, 13, 18, 23];

impl Uuid {
    /// Parses exactly one UUID (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut c = Cursor::new(text, super::Flavor::MySql);
        let u = Self::read(&mut c)?;
        c.finish()?;
        Ok(u)
    }

    pub(super) fn read(c: &mut Cursor<'_>) -> Result<Self, GtidError> {
        c.skip_ws();
        let rest = c.rest();
        let bad = || c.error_at(c.pos(), Problem::BadUuid);
        let text = rest.get(..TEXT_LEN).ok_or_else(bad)?;
        let mut out = [0u8; 16];
        let mut nibbles = 0;
        for (i, &b) in text.iter().enumerate() {
            if DASHES.contains(&i) {
                if b != b'-' {
                    return Err(bad());
                }
                continue;
            }
            let v = hex(b).ok_or_else(bad)?;
            out[nibbles / 2] |= if nibbles % 2 == 0 { v << 4 } else { v };
            nibbles += 1;
        }
        c.advance(TEXT_LEN);
        Ok(Uuid(out))
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_lowercases() {
        let u = Uuid::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562").expect("valid uuid");
        assert_eq!(u.to_string(), "3e11fa47-71ca-11e1-9e33-c80aa9429562");
        assert_eq!(u.0[0], 0x3e);
        assert_eq!(u.0[15], 0x62);
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "3e11fa47-71ca-11e1-9e33-c80aa942956",
            "3e11fa4771ca11e19e33c80aa9429562",
            "3e11fa47-71ca-11e1-9e33-c80aa942956g",
            "3e11fa47_71ca-11e1-9e33-c80aa9429562",
            "3e11fa47-71ca-11e1-9e33-c80aa94295621",
        ] {
            assert!(Uuid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_is_text_order() {
        let a = Uuid::parse("00000000-0000-0000-0000-00000000000f").expect("valid");
        let b = Uuid::parse("00000000-0000-0000-0000-0000000000f0").expect("valid");
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}
