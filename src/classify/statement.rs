//! The first keywords of a statement: what kind it is ([`StatementKind`]), where it may run before
//! its expressions are looked at ([`Base`]), and the effects its form alone implies (pins,
//! transaction control, session changes, sluice's own statements).
//!
//! Owns the dispatch on the first keyword and the short grammars that hang off it (`EXPLAIN`
//! options, `CREATE`/`DROP [TEMPORARY]`, `LOCK`/`UNLOCK`, `FLUSH … WITH READ LOCK`, `HANDLER`,
//! `USE`, `SELECT @@sluice_*`), delegating `SET`, `SHOW` and transaction statements to their own
//! files. It must not scan expressions (that is [`super::scan`]) nor combine the two
//! ([`super::classification`]).

use super::effects::{
    Ident, SessionChanges, SluiceCommand, TransactionAccess, TransactionControl, TransactionScope,
    XaVerb,
};
use super::flags::{Pins, SameConnection};
use super::keyword::{keyword, Kw};
use super::kind::StatementKind;
use super::lexer::{Lexer, Tok};
use super::route::PrimaryReason;
use super::scan::ScanOptions;
use super::set::{split_system_variable, VarScope};
use super::set_form::{parse_set, SetForm};
use super::show::{show, ShowClass};
use super::transaction;

/// How deep `SET STATEMENT … FOR` may nest before the statement counts as unknown.
const MAX_NESTING: u8 = 4;

/// Where a statement may run judging by its form alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// A replica, unless the scan finds something that needs the primary; DML found inside
    /// gets `dml` as its reason.
    Replica { dml: PrimaryReason },
    /// The primary, whatever the expressions hold.
    Primary(PrimaryReason),
    /// sluice answers it.
    Sluice,
}

/// What the first keywords say.
#[derive(Debug, Clone)]
pub(crate) struct Head<'a> {
    pub kind: StatementKind,
    pub base: Base,
    pub pins: Pins,
    pub unpins: Pins,
    pub same_connection: SameConnection,
    pub transaction: Option<TransactionControl>,
    pub implicit_commit: bool,
    pub session: SessionChanges<'a>,
    pub sluice: Option<SluiceCommand<'a>>,
    pub scan: ScanOptions,
}

impl<'a> Head<'a> {
    fn new(kind: StatementKind, base: Base) -> Self {
        Head {
            kind,
            base,
            pins: Pins::empty(),
            unpins: Pins::empty(),
            same_connection: SameConnection::empty(),
            transaction: None,
            implicit_commit: false,
            session: SessionChanges::default(),
            sluice: None,
            scan: ScanOptions::default(),
        }
    }

    fn read(kind: StatementKind) -> Self {
        Head::new(
            kind,
            Base::Replica {
                dml: PrimaryReason::Write,
            },
        )
    }

    fn primary(kind: StatementKind, reason: PrimaryReason) -> Self {
        Head::new(kind, Base::Primary(reason))
    }

    fn sluice(kind: StatementKind, command: SluiceCommand<'a>) -> Self {
        Head {
            sluice: Some(command),
            ..Head::new(kind, Base::Sluice)
        }
    }

    fn unknown() -> Self {
        Head::primary(StatementKind::Unknown, PrimaryReason::Unknown)
    }

    fn with_pins(mut self, pins: Pins) -> Self {
        self.pins |= pins;
        self
    }

    fn with_unpins(mut self, unpins: Pins) -> Self {
        self.unpins |= unpins;
        self
    }

    fn committing(mut self) -> Self {
        self.implicit_commit = true;
        self
    }
}

fn kw_of(tok: Option<Tok<'_>>) -> Kw {
    match tok {
        Some(Tok::Word(w)) => keyword(w),
        _ => Kw::Other,
    }
}

fn is_word(tok: Option<Tok<'_>>, text: &[u8]) -> bool {
    matches!(tok, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(text))
}

/// Reads the first keywords of the statement at `lex` (a quiet lexer: hints are collected by
/// the scan). `nesting` counts enclosing `SET STATEMENT … FOR`.
pub(crate) fn head(mut lex: Lexer<'_>, nesting: u8) -> Head<'_> {
    let mut first = lex.next_token();
    while first.is_some_and(|t| t.is(b';')) {
        first = lex.next_token();
    }
    let w = match first {
        None => return Head::primary(StatementKind::Empty, PrimaryReason::Empty),
        Some(Tok::Punct(b'(')) => return Head::read(StatementKind::Select),
        Some(Tok::Word(w)) => w,
        Some(_) => return Head::unknown(),
    };
    use PrimaryReason as R;
    use StatementKind as K;
    match keyword(w) {
        Kw::Select => select(lex),
        Kw::With => Head {
            scan: ScanOptions {
                with_head: true,
                ..ScanOptions::default()
            },
            ..Head::new(
                K::With,
                Base::Replica {
                    dml: R::WithAroundDml,
                },
            )
        },
        Kw::Table => Head::read(K::Table),
        Kw::Values => Head::read(K::Values),
        Kw::Do => Head::read(K::Do),
        Kw::Help => Head::read(K::Help),
        Kw::Show => match show(lex) {
            ShowClass::Replica => Head::read(K::Show),
            ShowClass::Primary(r) => Head::primary(K::Show, r),
            ShowClass::SameConnection(s) => Head {
                same_connection: s,
                ..Head::primary(K::Show, R::SameConnection)
            },
            ShowClass::Sluice(what) => Head::sluice(K::Sluice, SluiceCommand::Show(what)),
        },
        kw @ (Kw::Describe | Kw::Desc | Kw::Explain | Kw::Analyze) => explain(lex, kw),
        Kw::Handler => handler(lex),
        Kw::Insert => Head::primary(K::Insert, R::Write),
        Kw::Replace => Head::primary(K::Replace, R::Write),
        Kw::Update => Head::primary(K::Update, R::Write),
        Kw::Delete => Head::primary(K::Delete, R::Write),
        Kw::Call => Head::primary(K::Call, R::Call),
        Kw::Load => {
            if is_word(lex.next_token(), b"INDEX") {
                Head::primary(K::Admin, R::Admin).committing()
            } else {
                Head::primary(K::Load, R::Write)
            }
        }
        Kw::Create => create(lex),
        Kw::Alter => routine_ddl(Head::primary(K::Ddl, R::Ddl).committing()),
        Kw::Drop => drop(lex),
        Kw::Rename | Kw::Truncate => Head::primary(K::Ddl, R::Ddl).committing(),
        Kw::Grant | Kw::Revoke => Head::primary(K::Account, R::Ddl).committing(),
        Kw::Set => set(lex, nesting),
        Kw::Use => use_database(lex),
        Kw::Begin => {
            if kw_of(lex.next_token()) == Kw::Not {
                routine_ddl(Head::primary(K::Compound, R::CompoundStatement))
            } else {
                transaction_head(transaction::begin())
            }
        }
        Kw::Start => match transaction::start(lex) {
            Some(tc) => transaction_head(tc),
            None => Head::primary(K::Admin, R::Admin).committing(),
        },
        Kw::Commit => transaction_head(transaction::commit(lex)),
        Kw::Rollback => transaction_head(transaction::rollback(lex)),
        Kw::Savepoint => transaction_head(TransactionControl::Savepoint),
        Kw::Release => match transaction::release(lex) {
            Some(tc) => transaction_head(tc),
            None => Head::unknown(),
        },
        Kw::Xa => transaction_head(TransactionControl::Xa(transaction::xa(lex))),
        Kw::Lock => match kw_of(lex.next_token()) {
            Kw::Table | Kw::Tables => Head::primary(K::Lock, R::Lock)
                .with_pins(Pins::TABLE_LOCK)
                .committing(),
            Kw::Instance => Head::primary(K::Lock, R::Lock).with_pins(Pins::BACKUP_LOCK),
            _ => Head::unknown(),
        },
        Kw::Unlock => match kw_of(lex.next_token()) {
            Kw::Table | Kw::Tables => Head::primary(K::Unlock, R::Lock)
                .with_unpins(Pins::TABLE_LOCK | Pins::GLOBAL_READ_LOCK),
            Kw::Instance => Head::primary(K::Unlock, R::Lock).with_unpins(Pins::BACKUP_LOCK),
            _ => Head::unknown(),
        },
        Kw::Flush => flush(lex),
        Kw::Backup => backup(lex),
        Kw::Prepare => {
            Head::primary(K::Prepare, R::PreparedStatement).with_pins(Pins::PREPARED_STATEMENT)
        }
        Kw::Execute => Head::primary(K::Execute, R::PreparedStatement),
        Kw::Deallocate => {
            Head::primary(K::Deallocate, R::PreparedStatement).with_unpins(Pins::PREPARED_STATEMENT)
        }
        Kw::Get => match kw_of(lex.next_token()) {
            Kw::Diagnostics | Kw::Other => Head {
                same_connection: SameConnection::DIAGNOSTICS,
                ..Head::primary(K::GetDiagnostics, R::SameConnection)
            },
            _ => Head::unknown(),
        },
        Kw::Kill | Kw::Shutdown | Kw::Restart | Kw::Clone | Kw::Binlog | Kw::Checksum => {
            Head::primary(K::Admin, R::Admin)
        }
        Kw::Reset
        | Kw::Purge
        | Kw::Change
        | Kw::Stop
        | Kw::Install
        | Kw::Uninstall
        | Kw::Optimize
        | Kw::Repair
        | Kw::Check
        | Kw::Cache
        | Kw::Import => Head::primary(K::Admin, R::Admin).committing(),
        _ => Head::unknown(),
    }
}

/// Stored-program definitions hold `;` inside their bodies.
fn routine_ddl(mut head: Head<'_>) -> Head<'_> {
    head.scan.inner_semicolons = true;
    head
}

fn transaction_head<'a>(tc: TransactionControl) -> Head<'a> {
    use PrimaryReason as R;
    let mut head = Head::primary(StatementKind::Transaction, R::Transaction);
    head.transaction = Some(tc);
    match tc {
        TransactionControl::Begin { access, .. } => {
            head.implicit_commit = true;
            // A READ ONLY transaction may run on one replica, start to end.
            if access == TransactionAccess::ReadOnly {
                head.base = Base::Replica { dml: R::Write };
            }
        }
        TransactionControl::Xa(XaVerb::Start) => head.pins |= Pins::XA,
        TransactionControl::Xa(XaVerb::Commit | XaVerb::Rollback) => head.unpins |= Pins::XA,
        _ => {}
    }
    head
}

/// After `SELECT`: sluice's own `SELECT @@sluice_consistency` / `@@sluice_last_gtid`, or a read.
fn select(mut lex: Lexer<'_>) -> Head<'_> {
    let Some(Tok::SysVar(raw)) = lex.next_token() else {
        return Head::read(StatementKind::Select);
    };
    let (scope, name) = split_system_variable(raw);
    let command = if !matches!(scope, VarScope::Default | VarScope::Session) {
        None
    } else if name.eq_ignore_ascii_case(b"sluice_consistency") {
        Some(SluiceCommand::SelectConsistency)
    } else if name.eq_ignore_ascii_case(b"sluice_last_gtid") {
        Some(SluiceCommand::SelectLastGtid)
    } else {
        None
    };
    let ends = match lex.next_token() {
        None => true,
        Some(Tok::Punct(b';')) => lex.next_token().is_none(),
        _ => false,
    };
    match command {
        Some(c) if ends => Head::sluice(StatementKind::Sluice, c),
        _ => Head::read(StatementKind::Select),
    }
}

/// After `EXPLAIN`/`DESCRIBE`/`DESC`/`ANALYZE`: options, then a statement or a table name.
fn explain(mut lex: Lexer<'_>, verb: Kw) -> Head<'_> {
    use PrimaryReason as R;
    use StatementKind as K;
    let of_read = || {
        Head::new(
            K::Explain,
            Base::Replica {
                dml: R::ExplainOfDml,
            },
        )
    };
    loop {
        let tok = lex.next_token();
        let kw = kw_of(tok);
        match tok {
            None => return Head::unknown(),
            Some(Tok::Punct(b'(')) => return of_read(),
            Some(Tok::Word(_)) => {}
            Some(Tok::Quoted(_)) if verb != Kw::Analyze => return Head::read(K::Describe),
            Some(_) => return Head::unknown(),
        }
        match kw {
            Kw::Table if verb == Kw::Analyze => {
                return Head::primary(K::Admin, R::Admin).committing()
            }
            Kw::Select | Kw::With | Kw::Table | Kw::Values => return of_read(),
            Kw::Insert | Kw::Update | Kw::Delete | Kw::Replace => {
                return Head::primary(K::Explain, R::ExplainOfDml)
            }
            Kw::Format => {
                // FORMAT = name
                let mut look = lex.clone();
                if look.next_token().is_some_and(|t| t.is(b'=')) {
                    lex = look;
                }
                lex.next_token();
            }
            Kw::Extended | Kw::Partitions | Kw::Analyze => {}
            Kw::Into => {
                lex.next_token();
            }
            Kw::For => return Head::primary(K::Explain, R::ServerState),
            _ if verb == Kw::Analyze => return Head::primary(K::Admin, R::Admin).committing(),
            _ => return Head::read(K::Describe),
        }
    }
}

/// After `CREATE`.
fn create(mut lex: Lexer<'_>) -> Head<'_> {
    use PrimaryReason as R;
    use StatementKind as K;
    let mut first = true;
    while let Some(tok) = lex.next_token() {
        match kw_of(Some(tok)) {
            Kw::Temporary => {
                return Head::primary(K::Ddl, R::TemporaryTable).with_pins(Pins::TEMPORARY_TABLE)
            }
            Kw::Role if first => return Head::primary(K::Account, R::Ddl).committing(),
            _ if first && is_word(Some(tok), b"USER") => {
                return Head::primary(K::Account, R::Ddl).committing()
            }
            Kw::Other if is_word(Some(tok), b"OR") => {}
            Kw::Replace => {}
            _ => break,
        }
        first = false;
    }
    routine_ddl(Head::primary(K::Ddl, R::Ddl).committing())
}

/// After `DROP`.
fn drop(mut lex: Lexer<'_>) -> Head<'_> {
    use PrimaryReason as R;
    use StatementKind as K;
    let tok = lex.next_token();
    match kw_of(tok) {
        Kw::Temporary => {
            Head::primary(K::Ddl, R::TemporaryTable).with_unpins(Pins::TEMPORARY_TABLE)
        }
        // A plain DROP TABLE also drops a temporary table of that name.
        Kw::Table => Head::primary(K::Ddl, R::Ddl)
            .with_unpins(Pins::TEMPORARY_TABLE)
            .committing(),
        Kw::Prepare => {
            Head::primary(K::Deallocate, R::PreparedStatement).with_unpins(Pins::PREPARED_STATEMENT)
        }
        Kw::Role => Head::primary(K::Account, R::Ddl).committing(),
        _ if is_word(tok, b"USER") => Head::primary(K::Account, R::Ddl).committing(),
        _ => Head::primary(K::Ddl, R::Ddl).committing(),
    }
}

/// After `FLUSH`: `TABLES [t, …] WITH READ LOCK` and `TABLES t FOR EXPORT` take locks.
fn flush(mut lex: Lexer<'_>) -> Head<'_> {
    use PrimaryReason as R;
    let (mut tables, mut named, mut read_lock, mut export) = (false, false, false, false);
    let mut prev = Kw::Other;
    while let Some(tok) = lex.next_token() {
        let kw = kw_of(Some(tok));
        match kw {
            Kw::Table | Kw::Tables => tables = true,
            Kw::Lock if prev == Kw::Read => read_lock = true,
            Kw::Export if prev == Kw::For => export = true,
            Kw::With | Kw::For | Kw::Read => {}
            _ if tables && matches!(tok, Tok::Word(_) | Tok::Quoted(_)) => named = true,
            _ => {}
        }
        prev = kw;
    }
    let head = Head::primary(StatementKind::Flush, R::Admin).committing();
    if tables && read_lock && !named {
        Head {
            base: Base::Primary(R::Lock),
            ..head.with_pins(Pins::GLOBAL_READ_LOCK)
        }
    } else if tables && (read_lock || export) {
        Head {
            base: Base::Primary(R::Lock),
            ..head.with_pins(Pins::TABLE_LOCK)
        }
    } else {
        head
    }
}

/// After `BACKUP` (MariaDB): `STAGE START|…|END`, `LOCK t`, `UNLOCK`.
fn backup(mut lex: Lexer<'_>) -> Head<'_> {
    use PrimaryReason as R;
    use StatementKind as K;
    match kw_of(lex.next_token()) {
        Kw::Stage => match kw_of(lex.next_token()) {
            Kw::Start => Head::primary(K::Lock, R::Lock).with_pins(Pins::BACKUP_LOCK),
            Kw::End => Head::primary(K::Unlock, R::Lock).with_unpins(Pins::BACKUP_LOCK),
            _ => Head::primary(K::Lock, R::Lock),
        },
        Kw::Lock => Head::primary(K::Lock, R::Lock).with_pins(Pins::BACKUP_LOCK),
        Kw::Unlock => Head::primary(K::Unlock, R::Lock).with_unpins(Pins::BACKUP_LOCK),
        _ => Head::unknown(),
    }
}

/// After `HANDLER`: `tbl [. tbl] OPEN|READ|CLOSE`.
fn handler(mut lex: Lexer<'_>) -> Head<'_> {
    let head = Head::primary(StatementKind::Handler, PrimaryReason::Handler);
    lex.next_token(); // the table
    let mut verb = lex.next_token();
    if verb.is_some_and(|t| t.is(b'.')) {
        lex.next_token();
        verb = lex.next_token();
    }
    match kw_of(verb) {
        Kw::Open => head.with_pins(Pins::HANDLER),
        Kw::Close => head.with_unpins(Pins::HANDLER),
        _ => head,
    }
}

/// After `USE`.
fn use_database(mut lex: Lexer<'_>) -> Head<'_> {
    let db = match lex.next_token() {
        Some(Tok::Word(text)) => Ident {
            text,
            quoted: false,
        },
        Some(Tok::Quoted(text)) => Ident { text, quoted: true },
        _ => return Head::unknown(),
    };
    let mut head = Head::read(StatementKind::Use);
    head.session.use_database = Some(db);
    head
}

/// After `SET`.
fn set(lex: Lexer<'_>, nesting: u8) -> Head<'_> {
    use PrimaryReason as R;
    use StatementKind as K;
    let set_scan = ScanOptions {
        set_statement: true,
        ..ScanOptions::default()
    };
    match parse_set(&lex) {
        SetForm::Assignments {
            session,
            reason,
            pins,
        } => Head {
            session,
            pins,
            scan: set_scan,
            ..match reason {
                Some(r) => Head::primary(K::Set, r),
                None => Head::read(K::Set),
            }
        },
        SetForm::Transaction(st) => {
            let mut head = if st.scope == TransactionScope::Global {
                Head::primary(K::Set, R::SetGlobal)
            } else {
                Head::read(K::Set)
            };
            head.session.set_transaction = Some(st);
            head.scan = set_scan;
            head
        }
        SetForm::Account => Head::primary(K::Account, R::Ddl).committing(),
        SetForm::SessionState => {
            Head::primary(K::Set, R::SessionState).with_pins(Pins::SESSION_STATE)
        }
        SetForm::Statement(inner) if nesting < MAX_NESTING => head(inner, nesting + 1),
        SetForm::Statement(_) => Head::unknown(),
        SetForm::Sluice(value) => Head::sluice(K::Sluice, SluiceCommand::SetConsistency(value)),
    }
}
