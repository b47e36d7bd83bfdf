//! Replays the committed corpus of loadgen's fuzz targets (`fuzz/corpus/loadgen_result_reply/*`,
//! `fuzz/corpus/loadgen_prepare_reply/*`) through `loadgen::fuzz_entry` on stable, so every input
//! the fuzzers found stays a regression test in CI. Also holds the seed generator
//! (`--ignored write_seeds`) that wrote the hand-made seeds. It must not need nightly, a network
//! or a database, and must not change the corpus unless the seed generator is run explicitly.

use std::path::{Path, PathBuf};

use loadgen::fuzz_entry;
use sluice::error::MysqlError;
use sluice::protocol::constants::status;
use sluice::protocol::response::{encode_eof, encode_err, encode_ok};

#[path = "../../tests/fuzz_replay/mod.rs"]
mod fuzz_replay;

use fuzz_replay::Entry;

fn result_reply(data: &[u8]) {
    fuzz_entry::result_reply(data);
}

fn prepare_reply(data: &[u8]) {
    fuzz_entry::prepare_reply(data);
}

/// Every fuzz target, by the name of its corpus directory.
const TARGETS: &[(&str, Entry)] = &[
    ("loadgen_result_reply", result_reply),
    ("loadgen_prepare_reply", prepare_reply),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn replay_corpus() {
    fuzz_replay::replay(&repo_root(), TARGETS);
}

/// Writes the hand-made seeds into `fuzz/corpus/<target>/seed-*`. Run with
/// `cargo test -p loadgen --test fuzz_corpus -- --ignored write_seeds`.
#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seeds() {
    fuzz_replay::write_seeds(&repo_root(), seeds());
}

/// The seeds are whole, valid replies: each is read to its end.
#[test]
fn seeds_are_read_to_the_end() {
    for (name, data) in result_seeds() {
        let found = name != "ok" && name != "err";
        let expected = (name != "err").then_some(found);
        assert_eq!(fuzz_entry::result_reply(&data), expected, "{name}");
    }
    for (name, data) in prepare_seeds() {
        assert_eq!(fuzz_entry::prepare_reply(&data), Some((7, 2)), "{name}");
    }
}

fn seeds() -> fuzz_replay::Seeds {
    vec![
        ("loadgen_result_reply", result_seeds()),
        ("loadgen_prepare_reply", prepare_seeds()),
    ]
}

/// Option byte: DEPRECATE_EOF, binary rows, columns to read (see `fuzz_entry`).
fn options(deprecate_eof: bool, binary: bool, columns: u8) -> u8 {
    u8::from(deprecate_eof) | (u8::from(binary) << 1) | (columns << 2)
}

/// The fuzz input: the option byte, then each packet as a length byte and its payload.
fn input(options: u8, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![options];
    for p in packets {
        out.push(u8::try_from(p.len()).expect("seed packets are short"));
        out.extend_from_slice(p);
    }
    out
}

/// A column definition named `name` of MYSQL_TYPE `kind`.
fn column(name: &str, kind: u8, unsigned: bool) -> Vec<u8> {
    let mut p = Vec::new();
    for s in ["def", "sbtest", "t", "t", name, name] {
        p.push(s.len() as u8);
        p.extend_from_slice(s.as_bytes());
    }
    p.push(0x0c);
    p.extend_from_slice(&[0x3f, 0, 20, 0, 0, 0, kind]);
    p.extend_from_slice(&u16::from(unsigned).wrapping_mul(32).to_le_bytes());
    p.extend_from_slice(&[0, 0, 0]);
    p
}

fn ok(flags: u16, header: u8) -> Vec<u8> {
    let mut p = Vec::new();
    encode_ok(&mut p, 1, flags, header);
    p
}

fn eof(flags: u16) -> Vec<u8> {
    let mut p = Vec::new();
    encode_eof(&mut p, flags);
    p
}

fn result_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let done = status::AUTOCOMMIT;
    let more = done | status::MORE_RESULTS_EXISTS;
    let mut err = Vec::new();
    encode_err(
        &mut err,
        &MysqlError::new(1146, "42S02", "Table 'sbtest.t' doesn't exist"),
    );
    // A binary row: 0x00, NULL bitmap of (2 + 2 columns) bits, LONG 7, LONGLONG unsigned 9.
    let mut binary_row = vec![0, 0];
    binary_row.extend_from_slice(&7u32.to_le_bytes());
    binary_row.extend_from_slice(&9u64.to_le_bytes());
    vec![
        (
            "text-deprecate-eof",
            input(
                options(true, false, 1),
                &[
                    vec![1],
                    column("k", 8, false),
                    vec![1, b'7'],
                    ok(done, 0xfe),
                ],
            ),
        ),
        (
            "binary-eof",
            input(
                options(false, true, 2),
                &[
                    vec![2],
                    column("a", 3, false),
                    column("b", 8, true),
                    eof(done),
                    binary_row,
                    eof(done),
                ],
            ),
        ),
        (
            "multi-result",
            input(
                options(true, false, 1),
                &[
                    ok(more, 0),
                    vec![1],
                    column("c", 253, false),
                    vec![2, b'4', b'2'],
                    ok(done, 0xfe),
                ],
            ),
        ),
        ("ok", input(options(true, false, 0), &[ok(done, 0)])),
        ("err", input(options(false, false, 1), &[err])),
    ]
}

fn prepare_seeds() -> Vec<(&'static str, Vec<u8>)> {
    // PREPARE_OK: statement 7, 1 column, 2 parameters, 0 warnings.
    let prepare_ok = vec![0, 7, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0];
    let params = [column("?", 8, false), column("?", 8, false)];
    let col = column("c", 253, false);
    let with_eof = vec![
        prepare_ok.clone(),
        params[0].clone(),
        params[1].clone(),
        eof(0),
        col.clone(),
        eof(0),
    ];
    let deprecate_eof = vec![prepare_ok, params[0].clone(), params[1].clone(), col];
    vec![
        ("prepare-eof", input(options(false, false, 0), &with_eof)),
        (
            "prepare-deprecate-eof",
            input(options(true, false, 0), &deprecate_eof),
        ),
    ]
}
