//! Fuzzing entry point for the classifier: classifies arbitrary bytes and checks what must hold
//! for every input. Called by the cargo-fuzz target `classify` in `fuzz/` and, on stable, by
//! `tests/fuzz_corpus.rs`, which replays the committed corpus.
//!
//! A panic here is a bug report. This module must not change how the classifier behaves and does
//! no I/O. The invariants use the classifier's own lexer (trusted: it has its own tests) to look
//! at the tokens independently of the parsers.

use std::sync::OnceLock;

use super::lexer::{Lexer, Tok};
use super::{classify as run, Classification, ClassifierConfig, Route, StatementKind};

fn configured() -> &'static ClassifierConfig {
    static CFG: OnceLock<ClassifierConfig> = OnceLock::new();
    CFG.get_or_init(|| ClassifierConfig::new(["my_func", "shop.price", "f"]))
}

/// Classifies `data` with an empty and a non-empty configuration and checks the invariants.
pub fn classify(data: &[u8]) {
    let plain = run(data, &ClassifierConfig::default());
    let cfg = run(data, configured());
    // Configured read-only functions can only move a statement towards a replica.
    if plain.route == Route::Replica {
        assert_eq!(
            cfg.route,
            Route::Replica,
            "configuration made a read primary"
        );
    }
    check(data, &plain);
    check(data, &cfg);

    // Letter case does not matter (keywords, names, hints are all case-insensitive).
    let upper = data.to_ascii_uppercase();
    let c = run(&upper, &ClassifierConfig::default());
    assert_eq!(
        shape(&c),
        shape(&plain),
        "upper-casing changed the classification"
    );

    // Trailing whitespace does not matter.
    let mut spaced = data.to_vec();
    spaced.extend_from_slice(b" \n");
    let c = run(&spaced, &ClassifierConfig::default());
    assert_eq!(
        shape(&c),
        shape(&plain),
        "trailing whitespace changed the classification"
    );

    // A primary hint in front never yields a replica.
    let mut hinted = b"/* sluice: primary */ ".to_vec();
    hinted.extend_from_slice(data);
    let c = run(&hinted, &ClassifierConfig::default());
    assert_ne!(c.route, Route::Replica, "primary hint ignored");
}

/// The parts of a classification that must not depend on letter case or trailing whitespace.
fn shape(c: &Classification<'_>) -> impl PartialEq + std::fmt::Debug {
    (
        c.kind,
        c.route,
        c.same_connection,
        c.pins,
        c.unpins,
        c.multi_statement,
        c.calc_found_rows,
        c.transaction,
        c.sluice.is_some(),
    )
}

/// What a replica-safe classification must never contain, checked on the raw tokens.
fn check(data: &[u8], c: &Classification<'_>) {
    if c.route == Route::Sluice {
        assert!(c.sluice.is_some(), "sluice route without a command");
    }
    if c.route != Route::Replica {
        return;
    }
    assert!(c.pins.is_empty(), "a replica statement pins the session");
    assert!(
        c.same_connection.is_empty(),
        "a replica statement needs the same connection"
    );
    assert!(!c.multi_statement);
    assert!(
        !matches!(
            c.kind,
            StatementKind::Insert
                | StatementKind::Replace
                | StatementKind::Update
                | StatementKind::Delete
                | StatementKind::Call
                | StatementKind::Ddl
                | StatementKind::Empty
                | StatementKind::Unknown
        ),
        "a {:?} on a replica",
        c.kind
    );
    let mut lex = Lexer::new(data);
    let mut toks = Vec::new();
    while let Some(tok) = lex.next_token() {
        toks.push(tok);
    }
    assert!(!lex.failed(), "unparseable text on a replica");
    let word = |i: usize, text: &[u8]| matches!(toks.get(i), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(text));
    let mut after_semicolon = false;
    for (i, tok) in toks.iter().enumerate() {
        assert!(
            !after_semicolon || tok.is(b';'),
            "a second statement on a replica"
        );
        after_semicolon |= tok.is(b';');
        if *tok == Tok::Assign {
            assert_eq!(c.kind, StatementKind::Set, "`:=` on a replica");
        }
        // A word after `.` is a name, whatever it spells.
        if i > 0 && toks[i - 1].is(b'.') {
            continue;
        }
        let locking = (word(i, b"FOR") && (word(i + 1, b"UPDATE") || word(i + 1, b"SHARE")))
            || (word(i, b"LOCK") && word(i + 1, b"IN"));
        assert!(!locking, "a locking read on a replica");
        assert!(!word(i, b"INTO"), "INTO on a replica");
        let called = toks.get(i + 1).is_some_and(|t| t.is(b'('));
        for f in [
            &b"GET_LOCK"[..],
            b"NEXTVAL",
            b"LAST_INSERT_ID",
            b"FOUND_ROWS",
            b"SETVAL",
        ] {
            assert!(
                !(called && word(i, f)),
                "{} on a replica",
                String::from_utf8_lossy(f)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_statements_pass() {
        for sql in [
            &b"SELECT 1"[..],
            b"SELECT * FROM t WHERE id = 1 FOR UPDATE",
            b"SET NAMES utf8mb4",
            b"/* sluice: replica */ SELECT f(1)",
            b"\xff\xfe'",
            b"",
        ] {
            classify(sql);
        }
    }
}
