//! The one error type of GTID handling, [`GtidError`], and how it maps to an ERR packet. Owns the
//! wording of GTID errors; must not be used for errors of other subsystems.
//!
//! A malformed text records who sent it ([`Origin::Backend`] for server output, which is what
//! the parsers assume; callers parsing a client's `min_gtid` hint re-tag it with
//! [`GtidError::with_origin`]). The client sees ER_MALFORMED_GTID_SET_SPECIFICATION (1772,
//! HY000), the error MySQL itself gives for a bad GTID set text (`WAIT_FOR_EXECUTED_GTID_SET`,
//! `GTID_SUBSET`), naming the text; MariaDB has no closer code. Nothing here is retryable: the same
//! text fails the same way.

use thiserror::Error;

use super::Flavor;
use crate::error::{ErrorInfo, MysqlError, Origin};

/// ER_MALFORMED_GTID_SET_SPECIFICATION, SQLSTATE HY000.
pub const MALFORMED_GTID_SET: u16 = 1772;
/// ER_INTERNAL_ERROR, SQLSTATE HY000: sluice mixed GTIDs of two flavours (a bug or a
/// misconfigured cluster).
pub const INTERNAL_ERROR: u16 = 1815;

/// Longest excerpt of the offending text kept in an error (bytes, cut at a character boundary).
const MAX_QUOTED: usize = 96;

/// What exactly is wrong at the reported offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("expected a UUID (8-4-4-4-12 hex digits)")]
    BadUuid,
    #[error("expected a number")]
    ExpectedNumber,
    #[error("number larger than {max}")]
    Overflow { max: u64 },
    #[error("transaction number 0 (they start at 1)")]
    ZeroTransaction,
    #[error("interval {start}-{end} ends before it starts")]
    ReversedInterval { start: u64, end: u64 },
    #[error("bad tag (1 to 32 of a-z, 0-9, _, not starting with a digit)")]
    BadTag,
    #[error("expected '{0}'")]
    Expected(char),
    #[error("unexpected text after the GTID")]
    Trailing,
}

/// A GTID text that cannot be parsed, or values of two flavours combined.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GtidError {
    #[error("malformed {flavor} GTID '{text}' at byte {at}: {problem}")]
    Malformed {
        origin: Origin,
        flavor: Flavor,
        /// Byte offset of the problem in the original text.
        at: usize,
        /// The text (an excerpt if long).
        text: Box<str>,
        problem: Problem,
    },
    #[error("cannot combine a {found} GTID with a {expected} GTID set")]
    FlavorMismatch { expected: Flavor, found: Flavor },
}

impl GtidError {
    pub(super) fn malformed(flavor: Flavor, text: &str, at: usize, problem: Problem) -> Self {
        GtidError::Malformed {
            origin: Origin::Backend,
            flavor,
            at,
            text: excerpt(text).into(),
            problem,
        }
    }

    /// The same error attributed to `origin` (for example [`Origin::Client`] for a `min_gtid`
    /// hint). No effect on [`GtidError::FlavorMismatch`], which is always sluice's own.
    pub fn with_origin(mut self, new: Origin) -> Self {
        if let GtidError::Malformed { origin, .. } = &mut self {
            *origin = new;
        }
        self
    }
}

fn excerpt(text: &str) -> String {
    if text.len() <= MAX_QUOTED {
        return text.to_owned();
    }
    let mut end = MAX_QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

impl ErrorInfo for GtidError {
    fn origin(&self) -> Origin {
        match self {
            GtidError::Malformed { origin, .. } => *origin,
            GtidError::FlavorMismatch { .. } => Origin::Sluice,
        }
    }

    fn retryable(&self) -> bool {
        false
    }

    fn mysql_error(&self) -> Option<MysqlError> {
        Some(match self {
            GtidError::Malformed {
                origin,
                at,
                text,
                problem,
                ..
            } => {
                let whose = match origin {
                    Origin::Client => "",
                    Origin::Backend => " from a backend",
                    Origin::Sluice => " in sluice",
                };
                MysqlError::new(
                    MALFORMED_GTID_SET,
                    "HY000",
                    format!(
                        "Malformed GTID set specification '{text}'{whose} (byte {at}: {problem})."
                    ),
                )
            }
            GtidError::FlavorMismatch { .. } => {
                MysqlError::new(INTERNAL_ERROR, "HY000", format!("Internal error: {self}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_origin_and_packet() {
        let e = GtidError::malformed(Flavor::MariaDb, "0-1-x", 4, Problem::ExpectedNumber)
            .with_origin(Origin::Client);
        assert_eq!(e.origin(), Origin::Client);
        assert!(!e.retryable());
        let p = e.mysql_error().expect("malformed text has an ERR packet");
        assert_eq!(p.code, 1772);
        assert_eq!(&p.sql_state, b"HY000");
        assert!(p.message.contains("'0-1-x'"), "{}", p.message);
        assert!(p.message.contains("byte 4"), "{}", p.message);
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary() {
        let text = "é".repeat(100);
        let e = GtidError::malformed(Flavor::MySql, &text, 0, Problem::BadUuid);
        let shown = e.to_string();
        assert!(shown.contains("..."));
        assert!(shown.len() < 200);
    }

    #[test]
    fn mismatch_is_internal() {
        let e = GtidError::FlavorMismatch {
            expected: Flavor::MySql,
            found: Flavor::MariaDb,
        };
        assert_eq!(e.origin(), Origin::Sluice);
        assert_eq!(e.mysql_error().map(|p| p.code), Some(INTERNAL_ERROR));
    }
}
