//! Fuzz target `gtid`: feeds libFuzzer's input to `sluice::gtid::fuzz_entry::gtid`.
//! Holds no logic of its own; checks belong in `fuzz_entry` so the stable corpus replay runs them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sluice::gtid::fuzz_entry::gtid(data));
