//! The assignment list of a `SET` statement (`SET a = 1, SESSION b = 2, @c := 3, NAMES utf8mb4,
//! CHARACTER SET latin1`) as a borrowed, lazily read view: [`SetList`], its [`Assignments`]
//! iterator, and what each [`Assignment`] targets.
//!
//! Owns the grammar of one assignment and of variable scopes. It re-reads the borrowed text on
//! each iteration, so classifying a SET allocates nothing. It must not classify the statement
//! (that is [`super::set_form`]) nor interpret values.

use super::keyword::{keyword, Kw};
use super::lexer::{Checkpoint, Lexer, Tok};

/// The scope written for a system variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarScope {
    /// No scope (`var`, `@@var`): the session value, or the global one for a global-only
    /// variable on MariaDB.
    Default,
    /// `SESSION`, `LOCAL`, `@@session.`, `@@local.`.
    Session,
    /// `GLOBAL`, `@@global.`.
    Global,
    /// `PERSIST`, `@@persist.`.
    Persist,
    /// `PERSIST_ONLY`, `@@persist_only.`.
    PersistOnly,
}

impl VarScope {
    /// True for `GLOBAL`, `PERSIST` and `PERSIST_ONLY`.
    pub fn is_global(self) -> bool {
        matches!(
            self,
            VarScope::Global | VarScope::Persist | VarScope::PersistOnly
        )
    }
}

/// What one assignment of a `SET` list assigns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTarget<'a> {
    /// `NAMES charset [COLLATE collation]` (the value holds both).
    Names,
    /// `CHARACTER SET charset` / `CHARSET charset`.
    CharacterSet,
    /// A system variable.
    System {
        /// As written.
        scope: VarScope,
        /// The name as written (backticks removed).
        name: &'a [u8],
    },
    /// A user variable `@name` (the name without `@` and quotes).
    User(&'a [u8]),
    /// Something that is not a variable assignment.
    Unknown,
}

/// One assignment of a `SET` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment<'a> {
    /// What is assigned.
    pub target: SetTarget<'a>,
    /// The value expression as written (quotes and all), up to the next top-level `,`.
    pub value: &'a [u8],
}

/// The assignment list of a `SET` statement, borrowed; iterate it with
/// [`SetList::assignments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetList<'a> {
    src: &'a [u8],
    at: Checkpoint,
}

impl<'a> SetList<'a> {
    /// The list that starts where `lexer` stands (just past `SET`).
    pub(crate) fn at(lexer: &Lexer<'a>) -> Self {
        SetList {
            src: lexer.src(),
            at: lexer.checkpoint(),
        }
    }

    /// The assignments, read from the text on each call (no allocation).
    pub fn assignments(&self) -> Assignments<'a> {
        Assignments {
            lex: Lexer::resume(self.src, self.at),
            done: false,
        }
    }
}

/// Iterator over the assignments of a [`SetList`].
#[derive(Debug, Clone)]
pub struct Assignments<'a> {
    lex: Lexer<'a>,
    done: bool,
}

impl<'a> Iterator for Assignments<'a> {
    type Item = Assignment<'a>;

    fn next(&mut self) -> Option<Assignment<'a>> {
        if self.done {
            return None;
        }
        let target = match self.lex.next_token() {
            None | Some(Tok::Punct(b';')) => {
                self.done = true;
                return None;
            }
            Some(tok) => self.target(tok),
        };
        if matches!(target, SetTarget::System { .. } | SetTarget::User(_)) {
            let mut look = self.lex.clone();
            if matches!(look.next_token(), Some(Tok::Punct(b'=') | Tok::Assign)) {
                self.lex = look;
            }
        }
        let value = self.value();
        Some(Assignment { target, value })
    }
}

impl<'a> Assignments<'a> {
    fn target(&mut self, tok: Tok<'a>) -> SetTarget<'a> {
        match tok {
            Tok::Word(w) => {
                let scope = match keyword(w) {
                    Kw::Names => return SetTarget::Names,
                    Kw::Charset => return SetTarget::CharacterSet,
                    Kw::Character => {
                        let mut look = self.lex.clone();
                        if let Some(Tok::Word(s)) = look.next_token() {
                            if keyword(s) == Kw::Set {
                                self.lex = look;
                                return SetTarget::CharacterSet;
                            }
                        }
                        return SetTarget::System {
                            scope: VarScope::Default,
                            name: w,
                        };
                    }
                    Kw::Global => VarScope::Global,
                    Kw::Session | Kw::Local => VarScope::Session,
                    Kw::Persist => VarScope::Persist,
                    Kw::PersistOnly => VarScope::PersistOnly,
                    _ => {
                        return SetTarget::System {
                            scope: VarScope::Default,
                            name: w,
                        }
                    }
                };
                match self.lex.next_token() {
                    Some(Tok::Word(name) | Tok::Quoted(name)) => SetTarget::System { scope, name },
                    _ => SetTarget::Unknown,
                }
            }
            Tok::Quoted(name) => SetTarget::System {
                scope: VarScope::Default,
                name,
            },
            Tok::SysVar(raw) => {
                let (scope, name) = split_system_variable(raw);
                SetTarget::System { scope, name }
            }
            Tok::UserVar(name) => SetTarget::User(name),
            _ => SetTarget::Unknown,
        }
    }

    /// The value: every token up to a top-level `,` (consumed), `;` or the end.
    fn value(&mut self) -> &'a [u8] {
        let mut depth = 0u32;
        let mut span: Option<(usize, usize)> = None;
        loop {
            match self.lex.next_token() {
                None => {
                    self.done = true;
                    break;
                }
                Some(Tok::Punct(b';')) if depth == 0 => {
                    self.done = true;
                    break;
                }
                Some(Tok::Punct(b',')) if depth == 0 => break,
                Some(tok) => {
                    if tok.is(b'(') {
                        depth += 1;
                    } else if tok.is(b')') {
                        depth = depth.saturating_sub(1);
                    }
                    let (start, end) = (self.lex.token_start(), self.lex.token_end());
                    span = Some((span.map_or(start, |(s, _)| s), end));
                }
            }
        }
        span.map_or(&[][..], |(s, e)| &self.lex.src()[s..e])
    }
}

/// Splits the text after `@@` into its scope and name: `session.sql_mode` → (Session,
/// `sql_mode`); `sql_mode` → (Default, `sql_mode`).
pub(crate) fn split_system_variable(raw: &[u8]) -> (VarScope, &[u8]) {
    let Some(dot) = raw.iter().position(|&b| b == b'.') else {
        return (VarScope::Default, raw);
    };
    let (prefix, name) = (&raw[..dot], &raw[dot + 1..]);
    let scope = match keyword(prefix) {
        Kw::Session | Kw::Local => VarScope::Session,
        Kw::Global => VarScope::Global,
        Kw::Persist => VarScope::Persist,
        Kw::PersistOnly => VarScope::PersistOnly,
        _ => return (VarScope::Default, raw),
    };
    (scope, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(sql: &str) -> Vec<Assignment<'_>> {
        let mut lex = Lexer::new(sql.as_bytes());
        lex.next_token(); // SET
        SetList::at(&lex).assignments().collect()
    }

    #[test]
    fn assignment_list() {
        let a = list("SET a = 1, SESSION b := f(1, 2), @@global.c = 'x,y', @`u` = 2, NAMES utf8mb4 COLLATE utf8mb4_bin, CHARACTER SET latin1, `q` = DEFAULT;");
        let targets: Vec<_> = a.iter().map(|a| a.target).collect();
        assert_eq!(
            targets,
            [
                SetTarget::System {
                    scope: VarScope::Default,
                    name: b"a"
                },
                SetTarget::System {
                    scope: VarScope::Session,
                    name: b"b"
                },
                SetTarget::System {
                    scope: VarScope::Global,
                    name: b"c"
                },
                SetTarget::User(b"u"),
                SetTarget::Names,
                SetTarget::CharacterSet,
                SetTarget::System {
                    scope: VarScope::Default,
                    name: b"q"
                },
            ]
        );
        let values: Vec<_> = a.iter().map(|a| a.value).collect();
        assert_eq!(
            values,
            [
                &b"1"[..],
                b"f(1, 2)",
                b"'x,y'",
                b"2",
                b"utf8mb4 COLLATE utf8mb4_bin",
                b"latin1",
                b"DEFAULT"
            ]
        );
    }

    #[test]
    fn system_variable_scopes() {
        assert_eq!(split_system_variable(b"x"), (VarScope::Default, &b"x"[..]));
        assert_eq!(
            split_system_variable(b"LOCAL.x"),
            (VarScope::Session, &b"x"[..])
        );
        assert_eq!(
            split_system_variable(b"persist_only.x"),
            (VarScope::PersistOnly, &b"x"[..])
        );
        assert_eq!(
            split_system_variable(b"a.b"),
            (VarScope::Default, &b"a.b"[..])
        );
    }
}
