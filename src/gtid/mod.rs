//! GTID sets and positions for both server flavours: MySQL GTID sets (`uuid:1-5:11-18,...`,
//! including MySQL 8.4 tagged GTIDs `uuid:tag:1-3`) and MariaDB GTID positions
//! (`domain-server-seq,...`). Parsing, printing, union and "covers" (does an executed set contain
//! everything a read must see), with no allocation on the `covers` path.
//!
//! This module owns only the values and their text form. It must not do I/O, know about packets
//! or sessions, or decide routing: the session-state parser hands it text, the monitor and the
//! router ask it questions.
//!
//! Layout: [`flavor`] (which server family), [`error`] ([`GtidError`]), [`scan`] (the shared
//! text cursor), [`uuid`] and [`tag`] (MySQL source ids), [`interval`] (sorted transaction-number
//! ranges), [`mysql`] ([`MySqlGtidSet`]), [`mariadb`] ([`MariaDbPosition`]), [`progress`]
//! (which source a primary's position moved in, what a later commit implies), [`set`] (the
//! flavour-agnostic [`GtidSet`] and [`Gtid`]), [`fuzz_entry`] (checks for the `gtid` fuzz target).

pub mod error;
pub mod flavor;
pub mod fuzz_entry;
pub mod interval;
pub mod mariadb;
pub mod mysql;
pub mod progress;
mod scan;
pub mod set;
pub mod tag;
pub mod uuid;

#[cfg(test)]
mod tests;

pub use error::{GtidError, Problem};
pub use flavor::Flavor;
pub use interval::Interval;
pub use mariadb::{MariaDbGtid, MariaDbPosition};
pub use mysql::{MySqlGtid, MySqlGtidSet, Sid};
pub use progress::{Movement, Source};
pub use set::{Gtid, GtidSet};
pub use tag::Tag;
pub use uuid::Uuid;
