//! The SQL keywords the classifier's parsers look at, recognised without allocation.
//!
//! Owns the keyword spellings and [`keyword`], which maps a word (any letter case) to a [`Kw`]. A
//! word of up to 16 bytes is upper-cased into a `u128` and looked up in an open-addressing hash
//! table built at compile time, so a lookup costs one hash and usually one comparison. It must
//! not hold grammar: which keyword matters where is up to the parsers. Function names and the keywords
//! that may stand before `(` without being a call live in [`super::functions`].

/// Packs up to 16 bytes, big-endian, into an integer (the caller upper-cases and bounds them).
const fn pack(s: &[u8]) -> u128 {
    let mut v = 0u128;
    let mut i = 0;
    while i < s.len() {
        v = (v << 8) | s[i] as u128;
        i += 1;
    }
    v
}

/// Clearing bit 5 of every byte upper-cases ASCII letters and leaves `_` alone. Of the other bytes
/// a word can hold (digits, `$`, bytes >= 0x80) none becomes a letter or `_`, and keyword
/// spellings hold only letters and `_`: a word matches a keyword after this exactly when it does
/// case-insensitively. (Only 0x7F would fold onto `_`, and it is never a word byte.)
const UPPER_MASK: u128 = !0x2020_2020_2020_2020_2020_2020_2020_2020;

/// Packs a word of at most 16 bytes like [`pack`], upper-cased by [`UPPER_MASK`].
fn pack_upper(w: &[u8]) -> u128 {
    w.iter().fold(0u128, |v, &b| (v << 8) | b as u128) & UPPER_MASK
}

/// Slots of the open-addressing table (a power of two, about four times the keyword count).
const SLOTS: usize = 512;
/// An empty slot.
const EMPTY: u8 = u8::MAX;

const fn slot(packed: u128) -> usize {
    let folded = (packed as u64) ^ ((packed >> 64) as u64);
    (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

/// A keyword spelling, packed, with its length (so no two spellings can collide) and value.
type Entry = (u128, usize, Kw);

/// Builds the open-addressing table (linear probing) of indexes into `entries`.
const fn build(entries: &[Entry]) -> [u8; SLOTS] {
    let mut table = [EMPTY; SLOTS];
    let mut i = 0;
    while i < entries.len() {
        let mut s = slot(entries[i].0);
        while table[s] != EMPTY {
            s = (s + 1) % SLOTS;
        }
        table[s] = i as u8;
        i += 1;
    }
    table
}

macro_rules! keywords {
    ($($name:ident = $text:literal,)*) => {
        /// A keyword the parsers care about; `Other` for every other word.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Kw {
            $($name,)*
            /// `SQL_CALC_FOUND_ROWS` (longer than 16 bytes, matched apart).
            SqlCalcFoundRows,
            /// Any other word.
            Other,
        }

        const ENTRIES: &[Entry] = &[ $( (pack($text), $text.len(), Kw::$name), )* ];

        #[cfg(test)]
        const SPELLINGS: &[(Kw, &[u8])] = &[ $( (Kw::$name, $text), )* ];
    };
}

const TABLE: [u8; SLOTS] = build(ENTRIES);

/// The keyword `word` spells, in any letter case: one hash and usually one comparison.
pub(crate) fn keyword(word: &[u8]) -> Kw {
    if word.len() < 2 {
        return Kw::Other;
    }
    if word.len() > 16 {
        return if word.eq_ignore_ascii_case(b"SQL_CALC_FOUND_ROWS") {
            Kw::SqlCalcFoundRows
        } else {
            Kw::Other
        };
    }
    let packed = pack_upper(word);
    let mut s = slot(packed);
    loop {
        let index = TABLE[s];
        if index == EMPTY {
            return Kw::Other;
        }
        let (p, len, kw) = ENTRIES[index as usize];
        if p == packed && len == word.len() {
            return kw;
        }
        s = (s + 1) % SLOTS;
    }
}

keywords! {
    Against = b"AGAINST",
    All = b"ALL",
    Alter = b"ALTER",
    Analyze = b"ANALYZE",
    And = b"AND",
    As = b"AS",
    Atomic = b"ATOMIC",
    Backup = b"BACKUP",
    Begin = b"BEGIN",
    Binary = b"BINARY",
    Binlog = b"BINLOG",
    Cache = b"CACHE",
    Call = b"CALL",
    Chain = b"CHAIN",
    Change = b"CHANGE",
    Character = b"CHARACTER",
    Charset = b"CHARSET",
    Check = b"CHECK",
    Checksum = b"CHECKSUM",
    Clone = b"CLONE",
    Close = b"CLOSE",
    Commit = b"COMMIT",
    Connection = b"CONNECTION",
    Consistent = b"CONSISTENT",
    Count = b"COUNT",
    Create = b"CREATE",
    Currval = b"CURRVAL",
    Deallocate = b"DEALLOCATE",
    Default = b"DEFAULT",
    Delete = b"DELETE",
    Desc = b"DESC",
    Describe = b"DESCRIBE",
    Diagnostics = b"DIAGNOSTICS",
    Do = b"DO",
    Drop = b"DROP",
    End = b"END",
    Engine = b"ENGINE",
    Errors = b"ERRORS",
    Execute = b"EXECUTE",
    Explain = b"EXPLAIN",
    Export = b"EXPORT",
    Extended = b"EXTENDED",
    Flush = b"FLUSH",
    For = b"FOR",
    Format = b"FORMAT",
    Full = b"FULL",
    Get = b"GET",
    Global = b"GLOBAL",
    Grant = b"GRANT",
    Handler = b"HANDLER",
    Help = b"HELP",
    Hosts = b"HOSTS",
    Import = b"IMPORT",
    In = b"IN",
    Insert = b"INSERT",
    Install = b"INSTALL",
    Instance = b"INSTANCE",
    Into = b"INTO",
    Kill = b"KILL",
    Load = b"LOAD",
    Local = b"LOCAL",
    Lock = b"LOCK",
    Log = b"LOG",
    Logs = b"LOGS",
    Master = b"MASTER",
    Names = b"NAMES",
    Next = b"NEXT",
    Nextval = b"NEXTVAL",
    No = b"NO",
    Not = b"NOT",
    Only = b"ONLY",
    Open = b"OPEN",
    Optimize = b"OPTIMIZE",
    Partitions = b"PARTITIONS",
    Password = b"PASSWORD",
    Persist = b"PERSIST",
    PersistOnly = b"PERSIST_ONLY",
    Prepare = b"PREPARE",
    Previous = b"PREVIOUS",
    Processlist = b"PROCESSLIST",
    Profile = b"PROFILE",
    Profiles = b"PROFILES",
    Purge = b"PURGE",
    Read = b"READ",
    Recursive = b"RECURSIVE",
    Relaylog = b"RELAYLOG",
    Release = b"RELEASE",
    Rename = b"RENAME",
    Repair = b"REPAIR",
    Replace = b"REPLACE",
    Replica = b"REPLICA",
    Replicas = b"REPLICAS",
    Reset = b"RESET",
    Resource = b"RESOURCE",
    Restart = b"RESTART",
    Returning = b"RETURNING",
    Revoke = b"REVOKE",
    Role = b"ROLE",
    Rollback = b"ROLLBACK",
    Savepoint = b"SAVEPOINT",
    Select = b"SELECT",
    Session = b"SESSION",
    Set = b"SET",
    Share = b"SHARE",
    Show = b"SHOW",
    Shutdown = b"SHUTDOWN",
    Slave = b"SLAVE",
    Slaves = b"SLAVES",
    Sluice = b"SLUICE",
    Snapshot = b"SNAPSHOT",
    Stage = b"STAGE",
    Start = b"START",
    Statement = b"STATEMENT",
    Status = b"STATUS",
    Stop = b"STOP",
    Table = b"TABLE",
    Tables = b"TABLES",
    Temporary = b"TEMPORARY",
    To = b"TO",
    Transaction = b"TRANSACTION",
    Truncate = b"TRUNCATE",
    Uninstall = b"UNINSTALL",
    Unlock = b"UNLOCK",
    Update = b"UPDATE",
    Use = b"USE",
    Value = b"VALUE",
    Values = b"VALUES",
    Warnings = b"WARNINGS",
    With = b"WITH",
    Work = b"WORK",
    Write = b"WRITE",
    Xa = b"XA",
}

/// The keywords the scanner acts on, recognised faster than [`keyword`] (which it agrees with on
/// them): a match on length and first letter, then one comparison. Every other word is `Other`.
pub(crate) fn scan_keyword(word: &[u8]) -> Kw {
    let Some(&first) = word.first() else {
        return Kw::Other;
    };
    let (kw, text): (Kw, &[u8]) = match (word.len(), first | 0x20) {
        (3, b'f') => (Kw::For, b"FOR"),
        (4, b'l') => (Kw::Lock, b"LOCK"),
        (4, b'i') => (Kw::Into, b"INTO"),
        (4, b'n') => (Kw::Next, b"NEXT"),
        (8, b'p') => (Kw::Previous, b"PREVIOUS"),
        (6, b'i') => (Kw::Insert, b"INSERT"),
        (6, b'u') => (Kw::Update, b"UPDATE"),
        (6, b'd') => (Kw::Delete, b"DELETE"),
        (7, b'r') => (Kw::Replace, b"REPLACE"),
        (6, b's') => (Kw::Select, b"SELECT"),
        (5, b't') => (Kw::Table, b"TABLE"),
        (6, b'v') => (Kw::Values, b"VALUES"),
        (9, b'r') => (Kw::Returning, b"RETURNING"),
        (19, b's') => (Kw::SqlCalcFoundRows, b"SQL_CALC_FOUND_ROWS"),
        _ => return Kw::Other,
    };
    if word.eq_ignore_ascii_case(text) {
        kw
    } else {
        Kw::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips_in_any_case() {
        for &(kw, text) in SPELLINGS {
            assert!(text.len() >= 2 && text.len() <= 16);
            assert!(text.iter().all(|&b| b.is_ascii_uppercase() || b == b'_'));
            assert_eq!(keyword(text), kw);
            assert_eq!(keyword(&text.to_ascii_lowercase()), kw);
        }
    }

    #[test]
    fn scan_keyword_agrees_with_keyword() {
        let scanned = [
            Kw::For,
            Kw::Lock,
            Kw::Into,
            Kw::Next,
            Kw::Previous,
            Kw::Insert,
            Kw::Update,
            Kw::Delete,
            Kw::Replace,
            Kw::Select,
            Kw::Table,
            Kw::Values,
            Kw::Returning,
        ];
        for &(kw, text) in SPELLINGS {
            let expect = if scanned.contains(&kw) { kw } else { Kw::Other };
            assert_eq!(
                scan_keyword(text),
                expect,
                "{}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(scan_keyword(&text.to_ascii_lowercase()), expect);
        }
        assert_eq!(scan_keyword(b"Sql_Calc_Found_Rows"), Kw::SqlCalcFoundRows);
        assert_eq!(scan_keyword(b"fox"), Kw::Other);
        assert_eq!(scan_keyword(b""), Kw::Other);
    }

    #[test]
    fn other_words() {
        assert_eq!(keyword(b"SELECTS"), Kw::Other);
        assert_eq!(keyword(b"SELEC"), Kw::Other);
        assert_eq!(keyword(b""), Kw::Other);
        assert_eq!(keyword("sélect".as_bytes()), Kw::Other);
        assert_eq!(keyword(b"sql_calc_found_rows"), Kw::SqlCalcFoundRows);
        assert_eq!(keyword(b"a_very_long_identifier_name"), Kw::Other);
        assert_eq!(keyword(b"\0SELECT"), Kw::Other);
        // Bytes that bit 5 would fold onto letters or `_` never reach `keyword` as word bytes,
        // but must not match anyway.
        assert_eq!(keyword(b"SELEC\x14"), Kw::Other);
        assert_eq!(keyword(b"\x01S"), Kw::Other);
        assert!(ENTRIES.len() < SLOTS / 3 && ENTRIES.len() < EMPTY as usize);
    }
}
