//! sluice: a thread-per-core MySQL proxy that makes read/write splitting transparent.
//!
//! The crate is a library so that integration tests, fuzz targets and benchmarks can reach the
//! codec, the classifier and the configuration; `main.rs` only parses the command line.

pub mod auth;
pub mod classify;
pub mod cli;
pub mod config;
pub mod error;
pub mod gtid;
pub mod monitor;
pub mod net;
pub mod pool;
pub mod protocol;
pub mod router;
pub mod runtime;
pub mod session;
pub mod signal;
pub mod wire;

#[cfg(test)]
mod test_rng;
