//! The one error type of configuration loading, and the mapping from byte spans to `LINE:COL`.
//!
//! Owns `ConfigError` (whose `Display` is `FILE:LINE:COL: message`) and `Source`, the file name plus
//! text that turns a byte span into a located error. It must not decide what is valid: the rules live
//! in the validation modules, which only call `Source::error`.

use std::ops::Range;

/// Everything that can go wrong while loading a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{file}: cannot read configuration file: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The TOML parser rejected the text: syntax, a wrong type, a missing or unknown key.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The TOML was well formed but a value breaks a rule of the configuration.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl ConfigError {
    /// The 1-based line the error points at, if it points into the file.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { line, .. } | ConfigError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The 1-based column (in characters) the error points at, if it points into the file.
    pub fn column(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { column, .. } | ConfigError::Invalid { column, .. } => {
                Some(*column)
            }
        }
    }

    /// The message without the `FILE:LINE:COL: ` prefix.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Read { source, .. } => format!("cannot read configuration file: {source}"),
            ConfigError::Syntax { message, .. } | ConfigError::Invalid { message, .. } => {
                message.clone()
            }
        }
    }
}

/// A configuration text and the name it is reported under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Source { name, text }
    }

    /// A validation error pointing at the start of `span`.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.line_col(span.start);
        ConfigError::Invalid {
            file: self.name.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A TOML parser error, located with the span the parser gives (or 1:1 without one).
    pub fn syntax(&self, err: &toml::de::Error) -> ConfigError {
        let (line, column) = self.line_col(err.span().map_or(0, |span| span.start));
        ConfigError::Syntax {
            file: self.name.to_owned(),
            line,
            column,
            // toml's messages may span lines ("invalid string\nexpected ..."): keep one line.
            message: err
                .message()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The 1-based line of a byte offset, for messages like "first defined at line 3".
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end or inside a
    /// multi-byte character are clamped to the nearest character start before them.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let source = Source::new("f.toml", "ab\ncdé\nxyz");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(1), (1, 2));
        assert_eq!(source.line_col(3), (2, 1));
        // 'é' is two bytes: the character after it is column 4, byte offset 7.
        assert_eq!(source.line_col(7), (2, 4));
        assert_eq!(source.line_col(8), (3, 1));
        assert_eq!(source.line_col(1000), (3, 4));
    }

    #[test]
    fn offsets_inside_a_character_are_clamped() {
        let source = Source::new("f.toml", "é");
        assert_eq!(source.line_col(1), (1, 1));
    }

    #[test]
    fn display_is_file_line_column_message() {
        let source = Source::new("tuning/x.toml", "a = 1\nb = 2\n");
        let err = source.error(10..11, "b is wrong");
        assert_eq!(err.to_string(), "tuning/x.toml:2:5: b is wrong");
        assert_eq!(err.line(), Some(2));
        assert_eq!(err.column(), Some(5));
        assert_eq!(err.message(), "b is wrong");
    }
}
