//! loadgen as a library: the modules behind the `loadgen` binary (`main.rs`), so that the fuzz
//! targets (`fuzz/`) reach the reply readers through [`fuzz_entry`]. Only what the binary and the
//! fuzz targets call is public; everything else stays crate-private, as it was in the binary.

mod check;
mod client;
mod cpu;
mod duration;
mod report;
mod rng;
mod runner;
mod stats;
mod workload;

pub mod app;
pub mod cli;
pub mod error;
pub mod fuzz_entry;
pub mod runtime;
pub mod settings;
