//! Tokenizer over the raw bytes of one SQL text (any bytes: non-UTF-8 is fine, nothing panics).
//!
//! Owns what counts as whitespace, a comment, a string literal, a quoted identifier or a variable:
//! it skips whitespace and comments (`-- `, `#`, `/* */`), hands every comment body to
//! [`Hints::absorb`], and treats the content of executable comments (`/*! … */`, `/*!50100 … */`,
//! MariaDB `/*M! … */`) as SQL, whatever version they name (the version of the server that will
//! run the text is not known here, and seeing more SQL can only make routing more careful).
//! String literals (`'…'`, `"…"`, backslash escapes and doubled quotes) and backtick identifiers
//! are single tokens, so keywords inside them never count. Anything unterminated (string,
//! identifier, comment) sets [`Lexer::failed`] and ends the token stream.
//!
//! It must not know SQL keywords or grammar (that is [`super::keyword`] and the parsers) and must
//! not allocate: every token borrows the input. memchr finds the ends of comments and strings.
//!
//! Known limitation: it assumes the default `sql_mode` (backslash escapes in strings). Under
//! `NO_BACKSLASH_ESCAPES` a string ending in a backslash is read as unterminated, which routes
//! the statement to the primary.

use memchr::{memchr, memchr2, memmem};
use nom::bytes::complete::take_while;
use nom::IResult;

use super::hint::Hints;

/// One token, borrowing the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// An unquoted identifier or keyword (letters, digits, `_`, `$`, bytes >= 0x80).
    Word(&'a [u8]),
    /// A backtick-quoted identifier: the bytes between the backticks (doubled backticks kept).
    Quoted(&'a [u8]),
    /// A string literal: the bytes between the quotes (escapes kept as written).
    Str(&'a [u8]),
    /// A number (or an identifier starting with a digit).
    Number(&'a [u8]),
    /// A user variable `@name`, `@'name'`, `` @`name` ``: the name without `@` and quotes.
    UserVar(&'a [u8]),
    /// A system variable `@@name` or `@@scope.name`: the text after `@@`.
    SysVar(&'a [u8]),
    /// `:=`.
    Assign,
    /// Any other single byte: `(`, `)`, `,`, `;`, `.`, `=`, `*`, …
    Punct(u8),
}

impl Tok<'_> {
    /// True for `Punct(b)`.
    pub(crate) fn is(&self, b: u8) -> bool {
        *self == Tok::Punct(b)
    }
}

const WS: u8 = 1;
const IDENT: u8 = 2;

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            WS
        } else if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
            IDENT
        } else {
            0
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

/// True for bytes that may appear in an unquoted identifier.
pub(crate) fn is_ident_byte(b: u8) -> bool {
    CLASS[b as usize] == IDENT
}

fn ident_run(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(is_ident_byte)(i)
}

fn number_run(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(|b| is_ident_byte(b) || b == b'.')(i)
}

fn user_var_run(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(|b| is_ident_byte(b) || b == b'.')(i)
}

/// The length of the run at the start of `i` that `parser` takes (0 when it fails).
/// A nom parser of a byte run.
type Run = fn(&[u8]) -> IResult<&[u8], &[u8]>;

fn run_len(i: &[u8], parser: Run) -> usize {
    parser(i).map_or(0, |(_, run)| run.len())
}

/// A saved lexer position, to resume lexing later (e.g. to iterate a `SET` list on demand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Checkpoint {
    pos: usize,
    exec_depth: u32,
}

/// A cursor over the SQL text. Cheap to clone, for lookahead.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Start of the last token returned.
    start: usize,
    /// Open executable comments (`/*!` not yet closed by `*/`).
    exec_depth: u32,
    /// Whether comment bodies are parsed for hints.
    collect_hints: bool,
    hints: Hints<'a>,
    failed: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src` that collects hints.
    pub(crate) fn new(src: &'a [u8]) -> Self {
        Lexer {
            src,
            pos: 0,
            start: 0,
            exec_depth: 0,
            collect_hints: true,
            hints: Hints::default(),
            failed: false,
        }
    }

    /// A lexer resuming at `at` in `src`, without hint collection.
    pub(crate) fn resume(src: &'a [u8], at: Checkpoint) -> Self {
        Lexer {
            src,
            pos: at.pos.min(src.len()),
            start: at.pos.min(src.len()),
            exec_depth: at.exec_depth,
            collect_hints: false,
            hints: Hints::default(),
            failed: false,
        }
    }

    /// The current position (after the last token returned).
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            pos: self.pos,
            exec_depth: self.exec_depth,
        }
    }

    /// The same position, without hint collection (for lookahead passes whose hints would be
    /// counted twice).
    pub(crate) fn quiet(&self) -> Self {
        Lexer {
            collect_hints: false,
            ..self.clone()
        }
    }

    /// The whole SQL text.
    pub(crate) fn src(&self) -> &'a [u8] {
        self.src
    }

    /// Byte offset of the start of the last token returned.
    pub(crate) fn token_start(&self) -> usize {
        self.start
    }

    /// Byte offset just after the last token returned.
    pub(crate) fn token_end(&self) -> usize {
        self.pos
    }

    /// True when the text had an unterminated string, identifier or comment.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// The hints collected so far.
    pub(crate) fn hints(&self) -> Hints<'a> {
        self.hints
    }

    /// The next token, or `None` at the end of the text or after a lexical error.
    pub(crate) fn next_token(&mut self) -> Option<Tok<'a>> {
        if self.failed {
            return None;
        }
        self.skip_trivia();
        if self.failed {
            return None;
        }
        let Some(&b) = self.src.get(self.pos) else {
            if self.exec_depth > 0 {
                self.failed = true;
            }
            return None;
        };
        self.start = self.pos;
        let tok = match b {
            b'\'' | b'"' => Tok::Str(self.quoted(b)?),
            b'`' => Tok::Quoted(self.quoted(b'`')?),
            b'@' => self.variable()?,
            b':' if self.src.get(self.pos + 1) == Some(&b':') => {
                self.pos += 1;
                Tok::Punct(b':')
            }
            b':' if self.src.get(self.pos + 1) == Some(&b'=') => {
                self.pos += 2;
                Tok::Assign
            }
            b'0'..=b'9' => {
                let n = run_len(&self.src[self.pos..], number_run);
                Tok::Number(self.take(n))
            }
            _ if is_ident_byte(b) => {
                let n = run_len(&self.src[self.pos..], ident_run);
                Tok::Word(self.take(n))
            }
            _ => {
                self.pos += 1;
                Tok::Punct(b)
            }
        };
        Some(tok)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.src[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    /// Skips whitespace, comments, and the openings and closings of executable comments.
    fn skip_trivia(&mut self) {
        let src = self.src;
        loop {
            while self.pos < src.len() && CLASS[src[self.pos] as usize] == WS {
                self.pos += 1;
            }
            let next = src.get(self.pos + 1).copied();
            match src.get(self.pos) {
                Some(b'#') => self.line_comment(self.pos + 1),
                // `--` starts a comment only when followed by whitespace, a control byte or the end.
                Some(b'-')
                    if next == Some(b'-') && src.get(self.pos + 2).map_or(true, |&c| c <= b' ') =>
                {
                    self.line_comment(self.pos + 2)
                }
                Some(b'/') if next == Some(b'*') => {
                    if !self.block_comment() {
                        return;
                    }
                }
                Some(b'*') if next == Some(b'/') && self.exec_depth > 0 => {
                    self.exec_depth -= 1;
                    self.pos += 2;
                }
                _ => return,
            }
        }
    }

    #[cold]
    fn line_comment(&mut self, body_start: usize) {
        let rest = &self.src[body_start..];
        let end = memchr(b'\n', rest).map_or(self.src.len(), |i| body_start + i);
        if self.collect_hints {
            self.hints.absorb(&self.src[body_start..end]);
        }
        self.pos = end;
    }

    /// At `/*`. Returns false after a lexical error.
    #[cold]
    fn block_comment(&mut self) -> bool {
        let body_start = self.pos + 2;
        let rest = &self.src[body_start..];
        let exec_open = match rest {
            [b'!', ..] => Some(1),
            [b'M' | b'm', b'!', ..] => Some(2),
            _ => None,
        };
        if let Some(open) = exec_open {
            let after = body_start + open;
            let digits = self.src[after..]
                .iter()
                .take(6)
                .take_while(|b| b.is_ascii_digit())
                .count();
            self.pos = after + digits;
            self.exec_depth += 1;
            return true;
        }
        match memmem::find(rest, b"*/") {
            Some(len) => {
                if self.collect_hints {
                    self.hints.absorb(&rest[..len]);
                }
                self.pos = body_start + len + 2;
                true
            }
            None => {
                self.failed = true;
                false
            }
        }
    }

    /// At an opening quote `q`: the content up to the matching close. Backslash escapes apply to
    /// `'` and `"` strings; doubling the quote escapes it in all three.
    #[inline(never)]
    fn quoted(&mut self, q: u8) -> Option<&'a [u8]> {
        let content_start = self.pos + 1;
        let mut i = content_start;
        loop {
            let rest = self.src.get(i..).unwrap_or_default();
            let found = if q == b'`' {
                memchr(q, rest)
            } else {
                memchr2(q, b'\\', rest)
            };
            let Some(off) = found else {
                self.failed = true;
                return None;
            };
            let at = i + off;
            // A backslash escapes the next byte; a doubled quote is a quote.
            if self.src[at] == b'\\' || self.src.get(at + 1) == Some(&q) {
                i = at + 2;
            } else {
                self.pos = at + 1;
                return Some(&self.src[content_start..at]);
            }
        }
    }

    /// At `@`: a user or system variable, or a lone `@` as punctuation.
    #[inline(never)]
    fn variable(&mut self) -> Option<Tok<'a>> {
        let src = self.src;
        match src.get(self.pos + 1) {
            Some(b'@') => {
                let name_start = self.pos + 2;
                let mut end = name_start + run_len(&src[name_start..], ident_run);
                if src.get(end) == Some(&b'.')
                    && src.get(end + 1).is_some_and(|&b| is_ident_byte(b))
                {
                    end += 1 + run_len(&src[end + 1..], ident_run);
                }
                self.pos = end;
                Some(Tok::SysVar(&src[name_start..end]))
            }
            Some(&q @ (b'\'' | b'"' | b'`')) => {
                self.pos += 1;
                let name = self.quoted(q)?;
                Some(Tok::UserVar(name))
            }
            _ => {
                let n = run_len(&src[self.pos + 1..], user_var_run);
                if n == 0 {
                    self.pos += 1;
                    return Some(Tok::Punct(b'@'));
                }
                self.pos += 1;
                Some(Tok::UserVar(self.take(n)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(sql: &[u8]) -> (Vec<Tok<'_>>, bool) {
        let mut l = Lexer::new(sql);
        let mut v = Vec::new();
        while let Some(t) = l.next_token() {
            v.push(t);
        }
        (v, l.failed())
    }

    #[test]
    fn words_strings_and_punctuation() {
        let (t, failed) = toks(b"SELECT a.b, 'it''s \\' x', \"q\", `we``ird` FROM t;");
        assert!(!failed);
        assert_eq!(
            t,
            [
                Tok::Word(b"SELECT"),
                Tok::Word(b"a"),
                Tok::Punct(b'.'),
                Tok::Word(b"b"),
                Tok::Punct(b','),
                Tok::Str(b"it''s \\' x"),
                Tok::Punct(b','),
                Tok::Str(b"q"),
                Tok::Punct(b','),
                Tok::Quoted(b"we``ird"),
                Tok::Word(b"FROM"),
                Tok::Word(b"t"),
                Tok::Punct(b';'),
            ]
        );
    }

    #[test]
    fn comments_are_skipped() {
        let (t, failed) = toks(b"-- x\n# y\n/* z */ SELECT 1--2 -- trailing");
        assert!(!failed);
        assert_eq!(
            t,
            [
                Tok::Word(b"SELECT"),
                Tok::Number(b"1"),
                Tok::Punct(b'-'),
                Tok::Punct(b'-'),
                Tok::Number(b"2"),
            ]
        );
    }

    #[test]
    fn executable_comments_are_sql() {
        let (t, failed) = toks(b"/*!40101 SET */ /*M!100100 NAMES*/ /*!x*/");
        assert!(!failed);
        assert_eq!(t, [Tok::Word(b"SET"), Tok::Word(b"NAMES"), Tok::Word(b"x")]);
        assert!(toks(b"/*!40101 SET NAMES utf8").1);
    }

    #[test]
    fn variables() {
        let (t, _) = toks(b"@a.b @'q x' @@session.sql_mode @@x @ := ::");
        assert_eq!(
            t,
            [
                Tok::UserVar(b"a.b"),
                Tok::UserVar(b"q x"),
                Tok::SysVar(b"session.sql_mode"),
                Tok::SysVar(b"x"),
                Tok::Punct(b'@'),
                Tok::Assign,
                Tok::Punct(b':'),
                Tok::Punct(b':'),
            ]
        );
    }

    #[test]
    fn unterminated_things_fail() {
        for sql in [
            &b"SELECT 'abc"[..],
            b"SELECT `a",
            b"SELECT /* x",
            b"SELECT 'a\\'",
            b"@'x",
        ] {
            assert!(toks(sql).1, "{:?}", String::from_utf8_lossy(sql));
        }
    }

    #[test]
    fn hints_are_collected_from_all_comment_kinds() {
        let mut l = Lexer::new(b"SELECT /* sluice: replica */ 1 -- sluice: consistency=global\n");
        while l.next_token().is_some() {}
        let h = l.hints();
        assert!(h.route.is_some() && h.consistency.is_some());
        let mut q = Lexer::new(b"/* sluice: primary */ SELECT 1").quiet();
        while q.next_token().is_some() {}
        assert!(q.hints().is_empty());
    }

    #[test]
    fn token_positions() {
        let mut l = Lexer::new(b"  SET 'ab'");
        l.next_token();
        assert_eq!((l.token_start(), l.token_end()), (2, 5));
        l.next_token();
        assert_eq!((l.token_start(), l.token_end()), (6, 10));
    }
}
