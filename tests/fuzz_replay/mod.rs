//! Replaying a committed fuzz corpus on stable, and writing hand-made seeds into it: shared by
//! sluice's `tests/fuzz_corpus.rs` and loadgen's `loadgen/tests/fuzz_corpus.rs` (which includes
//! this file by path). It must not need nightly, a network or a database, and writes to the
//! corpus only from `write_seeds`.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

/// A fuzz entry point: takes one input, panics when a check fails.
pub type Entry = fn(&[u8]);

/// Hand-made seeds: per target, (file name suffix, input).
pub type Seeds = Vec<(&'static str, Vec<(&'static str, Vec<u8>)>)>;

/// `fuzz/corpus/<target>` under the repository root `root`.
fn corpus_dir(root: &Path, target: &str) -> PathBuf {
    root.join("fuzz").join("corpus").join(target)
}

/// Runs every file of each target's corpus through its entry; fails naming the inputs that
/// panic, or when a target's corpus is missing or empty.
pub fn replay(root: &Path, targets: &[(&str, Entry)]) {
    let mut failures = Vec::new();
    for &(target, entry) in targets {
        let dir = corpus_dir(root, target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()))
            .map(|e| e.expect("readable corpus directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus of {target} is empty");
        for file in &files {
            let data = fs::read(file).expect("readable corpus file");
            if panic::catch_unwind(|| entry(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
        println!("{target}: {} inputs", files.len());
    }
    assert!(failures.is_empty(), "inputs that panic: {failures:#?}");
}

/// Writes `seeds` into `fuzz/corpus/<target>/seed-<name>`.
pub fn write_seeds(root: &Path, seeds: Seeds) {
    for (target, seeds) in seeds {
        let dir = corpus_dir(root, target);
        fs::create_dir_all(&dir).expect("create corpus directory");
        for (name, data) in seeds {
            fs::write(dir.join(format!("seed-{name}")), data).expect("write seed");
        }
    }
}
