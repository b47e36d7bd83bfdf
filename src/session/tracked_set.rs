//! A session's `SET` as the server computed it: the statement sluice replays on the session's
//! other backend connections is built from the variable values the server reported in the OK's
//! session state (`session_track_system_variables = '*'`), not from the client's text, so
//! `SET time_zone = IF(…)`, `SET sql_mode = CONCAT(@@sql_mode, …)` or `SET wait_timeout =
//! FLOOR(RAND() * 100)` carry the same value everywhere instead of being evaluated again.
//!
//! It only writes SQL text; it must not decide which statements are replayed (that is `state`).

use crate::protocol::session_state::ReportedVariable;
use std::rc::Rc;

/// Variables sluice sets on its connections itself: a client's change to them is replayed from
/// its own text (as before), never from the value.
const SLUICE_OWNED: &[&[u8]] = &[
    b"session_track_system_variables",
    b"session_track_gtids",
    b"session_track_state_change",
    b"session_track_schema",
    b"session_track_transaction_info",
];

/// Variables a server may report that a `SET` cannot write (read-only, or changing by
/// themselves): left out of the replay.
const NOT_SETTABLE: &[&[u8]] = &[
    b"statement_id",
    b"in_transaction",
    b"last_gtid",
    b"warning_count",
    b"error_count",
    b"identity",
    b"last_insert_id",
    b"insert_id",
    b"timestamp",
    b"rand_seed1",
    b"rand_seed2",
    b"pseudo_thread_id",
];

/// `SET SESSION `a` = v, `b` = w` for the reported `(name, value)` pairs, or `None` when nothing
/// settable is left or a value cannot be written back exactly (sluice's own tracking variables, a
/// name or value with characters that would need escaping).
pub fn replay_sql(vars: &[ReportedVariable]) -> Option<Rc<[u8]>> {
    let mut sql = b"SET SESSION ".to_vec();
    let settable = vars
        .iter()
        .filter(|(name, _)| !NOT_SETTABLE.iter().any(|n| n.eq_ignore_ascii_case(name)));
    let mut any = false;
    for (i, (name, value)) in settable.enumerate() {
        any = true;
        if SLUICE_OWNED.iter().any(|o| o.eq_ignore_ascii_case(name))
            || name.is_empty()
            || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            return None;
        }
        if i > 0 {
            sql.extend_from_slice(b", ");
        }
        sql.push(b'`');
        sql.extend_from_slice(name);
        sql.extend_from_slice(b"` = ");
        literal(&mut sql, name, value)?;
    }
    any.then(|| Rc::from(sql))
}

/// The value as SQL: numbers bare (integer variables refuse strings), the empty
/// `character_set_results` as NULL (how the server reports `SET character_set_results = NULL`),
/// everything else quoted. `None` for values with a quote or backslash, whose escaping depends on
/// the session's `sql_mode`.
fn literal(sql: &mut Vec<u8>, name: &[u8], value: &[u8]) -> Option<()> {
    if value.is_empty() && name.eq_ignore_ascii_case(b"character_set_results") {
        sql.extend_from_slice(b"NULL");
        return Some(());
    }
    if is_number(value) {
        sql.extend_from_slice(value);
        return Some(());
    }
    if value.iter().any(|b| matches!(b, b'\'' | b'\\' | 0)) {
        return None;
    }
    sql.push(b'\'');
    sql.extend_from_slice(value);
    sql.push(b'\'');
    Some(())
}

fn is_number(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    let (int, frac) = match digits.iter().position(|b| *b == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.map_or(true, |f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<ReportedVariable> {
        list.iter()
            .map(|(n, v)| (Box::from(n.as_bytes()), Box::from(v.as_bytes())))
            .collect()
    }

    fn text(list: &[(&str, &str)]) -> Option<String> {
        replay_sql(&vars(list)).map(|s| String::from_utf8_lossy(&s).into_owned())
    }

    #[test]
    fn values_become_one_set() {
        assert_eq!(
            text(&[
                ("time_zone", "+02:00"),
                ("wait_timeout", "123"),
                ("long_query_time", "1.500000"),
                ("sql_mode", ""),
                ("character_set_results", ""),
            ])
            .as_deref(),
            Some(
                "SET SESSION `time_zone` = '+02:00', `wait_timeout` = 123, \
                 `long_query_time` = 1.500000, `sql_mode` = '', `character_set_results` = NULL"
            )
        );
    }

    #[test]
    fn what_cannot_be_written_back_exactly_is_refused() {
        assert_eq!(text(&[]), None);
        assert_eq!(text(&[("statement_id", "7")]), None);
        assert_eq!(
            text(&[("statement_id", "7"), ("wait_timeout", "9")]).as_deref(),
            Some("SET SESSION `wait_timeout` = 9")
        );
        assert_eq!(text(&[("session_track_gtids", "OFF")]), None);
        assert_eq!(text(&[("x", "it's")]), None);
        assert_eq!(text(&[("x", "a\\b")]), None);
        assert_eq!(text(&[("bad name", "1")]), None);
        assert_eq!(
            text(&[("x", "-")]).as_deref(),
            Some("SET SESSION `x` = '-'")
        );
        assert_eq!(
            text(&[("x", "1.")]).as_deref(),
            Some("SET SESSION `x` = '1.'")
        );
        assert_eq!(
            text(&[("x", "-7")]).as_deref(),
            Some("SET SESSION `x` = -7")
        );
    }
}
