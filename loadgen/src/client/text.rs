//! Text-protocol statements: a SQL text with `?` placeholders split once into its literal pieces,
//! then rendered with the parameters into a caller-owned buffer (reused, so rendering does not
//! allocate once the buffer has grown).
//!
//! It must not talk to a server or know which client sends the rendered text. Placeholders are
//! every `?` in the text: the statements loadgen sends have none inside string literals.

use std::fmt::Write as _;

use super::Param;

/// A statement to be sent as text, split at its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<String>,
}

impl Template {
    /// Splits `sql` at each `?`.
    pub fn parse(sql: &str) -> Template {
        Template {
            pieces: sql.split('?').map(str::to_owned).collect(),
        }
    }

    /// How many parameters the statement takes.
    pub fn params(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Writes the statement with `params` in place of the placeholders into `out` (cleared first).
    /// Returns `false` (leaving `out` unspecified) if the number of parameters does not match.
    pub fn render(&self, params: &[Param<'_>], out: &mut String) -> bool {
        if params.len() != self.params() {
            return false;
        }
        out.clear();
        let mut pieces = self.pieces.iter();
        if let Some(first) = pieces.next() {
            out.push_str(first);
        }
        for (piece, param) in pieces.zip(params) {
            match param {
                Param::Int(value) => {
                    // Writing into a String cannot fail.
                    let _ = write!(out, "{value}");
                }
                Param::Str(text) => push_quoted(out, text),
            }
            out.push_str(piece);
        }
        true
    }
}

/// Appends `text` as a single-quoted SQL string literal, escaping what needs it.
pub fn push_quoted(out: &mut String, text: &str) {
    out.push('\'');
    for ch in text.chars() {
        match ch {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            other => out.push(other),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_integers_and_quoted_strings() {
        let t = Template::parse("UPDATE t SET c=? WHERE id=?");
        assert_eq!(t.params(), 2);
        let mut out = String::from("leftover");
        assert!(t.render(&[Param::Str("a'b\\c"), Param::Int(-42)], &mut out));
        assert_eq!(out, r"UPDATE t SET c='a''b\\c' WHERE id=-42");
    }

    #[test]
    fn no_placeholders_and_wrong_counts() {
        let t = Template::parse("BEGIN");
        assert_eq!(t.params(), 0);
        let mut out = String::new();
        assert!(t.render(&[], &mut out));
        assert_eq!(out, "BEGIN");
        assert!(!t.render(&[Param::Int(1)], &mut out));
        let trailing = Template::parse("SELECT c FROM t WHERE id=?");
        assert!(trailing.render(&[Param::Int(7)], &mut out));
        assert_eq!(out, "SELECT c FROM t WHERE id=7");
    }
}
