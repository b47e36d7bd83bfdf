//! Fuzz target `binlog_event`: feeds libFuzzer's input to `sluice::monitor::binlog::fuzz_entry::binlog_event`.
//! Holds no logic of its own; checks belong in `fuzz_entry` so the stable corpus replay runs them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sluice::monitor::binlog::fuzz_entry::binlog_event(data));
