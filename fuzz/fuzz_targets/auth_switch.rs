//! Fuzz target `auth_switch`: feeds libFuzzer's input to `sluice::protocol::fuzz_entry::auth_switch`.
//! Holds no logic of its own; checks belong in `fuzz_entry` so the stable corpus replay runs them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sluice::protocol::fuzz_entry::auth_switch(data));
