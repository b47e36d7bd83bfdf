//! Fuzz target `loadgen_prepare_reply`: feeds libFuzzer's input to `loadgen::fuzz_entry::prepare_reply`.
//! Holds no logic of its own; checks belong in `fuzz_entry` so the stable corpus replay runs them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = loadgen::fuzz_entry::prepare_reply(data);
});
