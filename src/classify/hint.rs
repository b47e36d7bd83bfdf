//! Routing hints written in SQL comments: `/* sluice: primary */`, `/* sluice: replica */`,
//! `/* sluice: consistency=eventual|session|global */`, `/* sluice: min_gtid=<GTID set> */`,
//! several items in one comment separated by commas or whitespace (`/* sluice: replica,
//! consistency=eventual */`). The word `sluice`, the keys and the values are case-insensitive.
//!
//! Owns the hint grammar (written with nom, which stays inside this file) and [`Hints`]. It must
//! not decide what a hint does to routing: [`super::classification`] applies hints, and the
//! router interprets consistency and GTIDs. It never allocates: `min_gtid` borrows the SQL text.
//!
//! A `min_gtid` value may contain commas (`uuid:1-5,uuid2:1-9` or `0-1-100,1-2-7`): a bare value
//! runs until whitespace or a comma that is followed by another hint item (or the end of the
//! comment); it may also be quoted with `'` or `"`. Items not understood set
//! [`Hints::malformed`] and are otherwise ignored; when the same key appears twice the later one
//! wins, and `primary` wins over `replica` whatever the order.

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_till, take_while, take_while1};
use nom::character::complete::{char, multispace0};
use nom::combinator::{not, peek};
use nom::sequence::{delimited, preceded, terminated, tuple};
use nom::IResult;

use crate::config::ConsistencyLevel;

/// Where a hint asks the statement to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteHint {
    /// `/* sluice: primary */`: run on the primary even if a replica could.
    Primary,
    /// `/* sluice: replica */`: the application vouches that the statement is a read, so a call
    /// of a function sluice does not know (or that asks about server state) may run on a
    /// replica. It never sends a write, a locking read or anything else with effects there.
    Replica,
}

/// The sluice hints found in the comments of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hints<'a> {
    /// `primary` or `replica`.
    pub route: Option<RouteHint>,
    /// `consistency=eventual|session|global`: the level for this statement only.
    pub consistency: Option<ConsistencyLevel>,
    /// `min_gtid=<set>`: the statement must see at least this GTID set; the text as written
    /// (without quotes), not validated here.
    pub min_gtid: Option<&'a [u8]>,
    /// A `sluice:` comment held something not understood (an unknown key or a bad value).
    pub malformed: bool,
}

impl<'a> Hints<'a> {
    /// True when no hint was given.
    pub fn is_empty(&self) -> bool {
        self.route.is_none() && self.consistency.is_none() && self.min_gtid.is_none()
    }

    /// Reads the hints in one comment body (the text between `/*` and `*/`, or after `--`/`#`).
    /// Comments that do not start with `sluice:` are ignored cheaply.
    pub(crate) fn absorb(&mut self, body: &'a [u8]) {
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        if !matches!(body.get(start), Some(b's' | b'S')) {
            return;
        }
        let Ok((mut rest, ())) = prefix(&body[start..]) else {
            return;
        };
        loop {
            rest = skip_separators(rest);
            if rest.is_empty() {
                return;
            }
            rest = match item(rest) {
                Ok((next, it)) => {
                    self.apply(it);
                    next
                }
                Err(_) => {
                    self.malformed = true;
                    let (next, _) = until_separator(rest);
                    next
                }
            };
        }
    }

    fn apply(&mut self, item: Item<'a>) {
        match item {
            Item::Route(RouteHint::Primary) => self.route = Some(RouteHint::Primary),
            Item::Route(RouteHint::Replica) => {
                if self.route != Some(RouteHint::Primary) {
                    self.route = Some(RouteHint::Replica);
                }
            }
            Item::Consistency(value) => match level(value) {
                Some(l) => self.consistency = Some(l),
                None => self.malformed = true,
            },
            Item::MinGtid(value) => self.min_gtid = Some(value),
        }
    }
}

enum Item<'a> {
    Route(RouteHint),
    Consistency(&'a [u8]),
    MinGtid(&'a [u8]),
}

type Res<'a, T> = IResult<&'a [u8], T>;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_separator(b: u8) -> bool {
    b == b',' || b.is_ascii_whitespace()
}

/// `sluice` `:` with optional whitespace around the colon.
fn prefix(i: &[u8]) -> Res<'_, ()> {
    let (i, _) = tuple((tag_no_case("sluice"), multispace0, char(':')))(i)?;
    Ok((i, ()))
}

/// A whole word, case-insensitive: `name` not followed by another word byte.
fn word<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> Res<'a, &'a [u8]> {
    terminated(tag_no_case(name), not(peek(take_while1(is_word_byte))))
}

fn item(i: &[u8]) -> Res<'_, Item<'_>> {
    alt((
        |i| word("primary")(i).map(|(r, _)| (r, Item::Route(RouteHint::Primary))),
        |i| word("replica")(i).map(|(r, _)| (r, Item::Route(RouteHint::Replica))),
        |i| {
            preceded(key("consistency"), alt((quoted, take_while1(is_word_byte))))(i)
                .map(|(r, v)| (r, Item::Consistency(v)))
        },
        |i| {
            preceded(key("min_gtid"), alt((quoted, gtid_bare)))(i)
                .map(|(r, v)| (r, Item::MinGtid(v)))
        },
    ))(i)
}

/// `name` `=` with optional whitespace around the `=`.
fn key<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> Res<'a, ()> {
    move |i| {
        let (i, _) = tuple((word(name), multispace0, tag("="), multispace0))(i)?;
        Ok((i, ()))
    }
}

fn quoted(i: &[u8]) -> Res<'_, &[u8]> {
    alt((
        delimited(char('\''), take_till(|b| b == b'\''), char('\'')),
        delimited(char('"'), take_till(|b| b == b'"'), char('"')),
    ))(i)
}

/// True when `i` starts another hint item (so a separator before it ends a bare value).
fn starts_item(i: &[u8]) -> bool {
    let mut any = alt((
        word("primary"),
        word("replica"),
        word("consistency"),
        word("min_gtid"),
    ));
    any(i).is_ok()
}

/// A bare GTID set: up to whitespace or a comma followed by another item or the end.
fn gtid_bare(i: &[u8]) -> Res<'_, &[u8]> {
    let mut end = 0;
    while end < i.len() {
        let b = i[end];
        if b.is_ascii_whitespace() {
            break;
        }
        if b == b',' {
            let after = skip_separators(&i[end..]);
            if after.is_empty() || starts_item(after) {
                break;
            }
        }
        end += 1;
    }
    if end == 0 || matches!(i[0], b'\'' | b'"') {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TakeWhile1,
        )));
    }
    Ok((&i[end..], &i[..end]))
}

fn skip_separators(i: &[u8]) -> &[u8] {
    let r: Res<'_, &[u8]> = take_while(is_separator)(i);
    r.map_or(i, |(rest, _)| rest)
}

fn until_separator(i: &[u8]) -> (&[u8], &[u8]) {
    let r: Res<'_, &[u8]> = take_till(is_separator)(i);
    r.unwrap_or((&i[i.len()..], i))
}

fn level(value: &[u8]) -> Option<ConsistencyLevel> {
    ConsistencyLevel::ALL
        .into_iter()
        .find(|l| l.as_str().as_bytes().eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(body: &str) -> Hints<'_> {
        let mut h = Hints::default();
        h.absorb(body.as_bytes());
        h
    }

    #[test]
    fn route_hints() {
        assert_eq!(hints(" sluice: primary ").route, Some(RouteHint::Primary));
        assert_eq!(hints("SLUICE:Replica").route, Some(RouteHint::Replica));
        assert_eq!(
            hints("sluice : primary, replica").route,
            Some(RouteHint::Primary)
        );
        assert_eq!(
            hints("sluice: replica primary").route,
            Some(RouteHint::Primary)
        );
        assert!(hints("just a comment mentioning sluice: primary").is_empty());
        assert!(hints("sluiceprimary").is_empty());
    }

    #[test]
    fn consistency_and_gtid() {
        let h = hints("sluice: consistency=Global, min_gtid=3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9 replica");
        assert_eq!(h.consistency, Some(ConsistencyLevel::Global));
        assert_eq!(
            h.min_gtid,
            Some(&b"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9"[..])
        );
        assert_eq!(h.route, Some(RouteHint::Replica));
        assert!(!h.malformed);

        let h = hints("sluice: min_gtid = 0-1-100,1-2-7, consistency = 'session'");
        assert_eq!(h.min_gtid, Some(&b"0-1-100,1-2-7"[..]));
        assert_eq!(h.consistency, Some(ConsistencyLevel::Session));

        let h = hints("sluice: MIN_GTID=\"0-1-5, 0-2-6\",");
        assert_eq!(h.min_gtid, Some(&b"0-1-5, 0-2-6"[..]));
        assert!(!h.malformed);
    }

    #[test]
    fn malformed_items_are_flagged_and_skipped() {
        let h = hints("sluice: consistency=strong primary");
        assert!(h.malformed);
        assert_eq!(h.consistency, None);
        assert_eq!(h.route, Some(RouteHint::Primary));
        let h = hints("sluice: bogus=1, replica");
        assert!(h.malformed);
        assert_eq!(h.route, Some(RouteHint::Replica));
        assert!(hints("sluice: min_gtid=").malformed);
        assert!(hints("sluice: min_gtid='unterminated").malformed);
    }
}
