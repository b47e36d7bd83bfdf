//! `SHOW` statements: most are reads a replica answers as well as the primary; the binlog and
//! replication ones describe the primary's own position (`SHOW MASTER STATUS`,
//! `SHOW BINARY LOG STATUS`, `SHOW BINLOG EVENTS`, `SHOW BINARY LOGS`, `SHOW REPLICAS`,
//! `SHOW SLAVE HOSTS`, `SHOW REPLICA|SLAVE STATUS`, `SHOW RELAYLOG EVENTS`, `SHOW ALL SLAVES
//! STATUS`); server-state ones (`SHOW [FULL] PROCESSLIST`, `SHOW [GLOBAL|SESSION] STATUS`,
//! `SHOW ENGINE … STATUS`) go to the primary, the server the application thinks it talks to;
//! `SHOW WARNINGS|ERRORS|COUNT(*) WARNINGS|PROFILE[S]` describe the previous statement and follow
//! its connection; `SHOW SLUICE …` is answered by sluice.
//!
//! Owns that split of `SHOW` forms. It must not look past the first keywords: `WHERE`/`LIKE`
//! expressions are the scanner's.

use super::flags::SameConnection;
use super::keyword::{keyword, Kw};
use super::lexer::{Lexer, Tok};
use super::route::PrimaryReason;

/// How a `SHOW` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShowClass<'a> {
    /// Any replica can answer.
    Replica,
    /// Only the primary.
    Primary(PrimaryReason),
    /// The previous statement's connection.
    SameConnection(SameConnection),
    /// `SHOW SLUICE <word>`.
    Sluice(&'a [u8]),
}

/// Classifies a `SHOW`; `lex` is just past `SHOW`.
pub(crate) fn show(mut lex: Lexer<'_>) -> ShowClass<'_> {
    let first = lex.next_token();
    let kw1 = match first {
        Some(Tok::Word(w)) => keyword(w),
        _ => Kw::Other,
    };
    let second = lex.next_token();
    let kw2 = match second {
        Some(Tok::Word(w)) => keyword(w),
        _ => Kw::Other,
    };
    let primary_status = ShowClass::Primary(PrimaryReason::ShowPrimaryStatus);
    let server_state = ShowClass::Primary(PrimaryReason::ServerState);
    match kw1 {
        Kw::Sluice => ShowClass::Sluice(match second {
            Some(Tok::Word(w)) => w,
            _ => b"",
        }),
        Kw::Master | Kw::Binary | Kw::Binlog | Kw::Relaylog | Kw::Replicas | Kw::Slave => {
            primary_status
        }
        Kw::Replica if kw2 == Kw::Status => primary_status,
        Kw::All if matches!(kw2, Kw::Slaves | Kw::Replicas) => primary_status,
        Kw::Processlist | Kw::Engine | Kw::Status => server_state,
        Kw::Full if kw2 == Kw::Processlist => server_state,
        Kw::Global | Kw::Session | Kw::Local if kw2 == Kw::Status => server_state,
        Kw::Warnings | Kw::Errors | Kw::Count | Kw::Profile | Kw::Profiles => {
            ShowClass::SameConnection(SameConnection::DIAGNOSTICS)
        }
        _ => ShowClass::Replica,
    }
}
