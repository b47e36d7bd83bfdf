//! What a name followed by `(` means: a read-only built-in function, a keyword that is not a call
//! (`IN (`, `OVER (`, `AS (` …), a function that needs special routing, or — anything else — a
//! stored function or UDF that may write.
//!
//! Owns the curated name lists and [`Special`]. Both lists are kept sorted (a unit test checks it)
//! and searched by binary search on the upper-cased name in a stack buffer, so a lookup does not
//! allocate. It must not decide routing from these facts: the scanner records them and
//! [`super::classification`] decides.
//!
//! Decisions for the functions that are neither plainly read-only nor plainly writes:
//! - `SLEEP`, `BENCHMARK`, `RAND`, `UUID`, `NOW`, `SYSDATE`: read-only, fine on a replica (they
//!   only cost time or differ per call wherever they run).
//! - `CONNECTION_ID`, `PS_CURRENT_THREAD_ID`, `PS_THREAD_ID`: the id of a pooled backend
//!   connection, which no routing can keep stable; sent to the primary ([`Special::ServerState`]).
//! - `UUID_SHORT`: unique only per server (its value embeds `server_id` and a per-server counter),
//!   so it goes to the primary, where every session's values come from one counter.
//! - `LOAD_FILE`: reads a file on the server's host, which differs per server: primary.
//! - `IS_FREE_LOCK`, `IS_USED_LOCK`: user locks live on the primary, where `GET_LOCK` ran.
//! - `MASTER_POS_WAIT`, `SOURCE_POS_WAIT`, `MASTER_GTID_WAIT`, `WAIT_FOR_EXECUTED_GTID_SET`,
//!   `WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS`: their meaning depends on which replica runs them and
//!   the application cannot choose one through sluice; on the primary they return at once
//!   (everything committed is executed there), which is what sluice's own consistency levels
//!   provide anyway ([`Special::ReplicationWait`]).
//! - `LAST_INSERT_ID`, `FOUND_ROWS`, `ROW_COUNT`, `LASTVAL`: answered by the connection that ran
//!   the previous statement.
//! - `NEXTVAL`, `SETVAL`, `LASTVAL`: sequences, primary.

/// Read-only built-in functions of MySQL and MariaDB (and type names that appear before `(` in
/// `CAST`/`CONVERT`), upper case, sorted by bytes.
#[rustfmt::skip]
pub(crate) const READ_ONLY_FUNCTIONS: &[&str] = &[
    "ABS", "ACOS", "ADDDATE", "ADDTIME", "ADD_MONTHS", "AES_DECRYPT", "AES_ENCRYPT", "ANY_VALUE",
    "ASCII", "ASIN", "ATAN", "ATAN2", "AVG", "BENCHMARK", "BIGINT", "BIN", "BINARY", "BIN_TO_UUID",
    "BIT_AND", "BIT_COUNT", "BIT_LENGTH", "BIT_OR", "BIT_XOR", "BLOB", "BOOL", "BOOLEAN", "CAST",
    "CEIL", "CEILING", "CHAR", "CHARACTER_LENGTH", "CHARSET", "CHAR_LENGTH", "CHR", "COALESCE",
    "COERCIBILITY", "COLLATION", "COLUMN_ADD", "COLUMN_CHECK", "COLUMN_CREATE", "COLUMN_DELETE",
    "COLUMN_EXISTS", "COLUMN_GET", "COLUMN_JSON", "COLUMN_LIST", "COMPRESS", "CONCAT", "CONCAT_WS",
    "CONV", "CONVERT", "CONVERT_TZ", "COS", "COT", "COUNT", "CRC32", "CRC32C", "CUME_DIST",
    "CURDATE", "CURRENT_DATE", "CURRENT_ROLE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
    "CURTIME", "DATABASE", "DATE", "DATEDIFF", "DATETIME", "DATE_ADD", "DATE_FORMAT", "DATE_SUB",
    "DAY", "DAYNAME", "DAYOFMONTH", "DAYOFWEEK", "DAYOFYEAR", "DEC", "DECIMAL", "DECODE",
    "DECODE_HISTOGRAM", "DEFAULT", "DEGREES", "DENSE_RANK", "DES_DECRYPT", "DES_ENCRYPT", "DOUBLE",
    "ELT", "ENCODE", "ENCRYPT", "EXP", "EXPORT_SET", "EXTRACT", "EXTRACTVALUE", "FIELD",
    "FIND_IN_SET", "FIRST_VALUE", "FLOAT", "FLOOR", "FORMAT", "FORMAT_BYTES", "FORMAT_PICO_TIME",
    "FROM_BASE64", "FROM_DAYS", "FROM_UNIXTIME", "FROM_VECTOR", "GEOMCOLLECTION",
    "GEOMETRYCOLLECTION", "GET_FORMAT", "GREATEST", "GROUPING", "GROUP_CONCAT", "GTID_SUBSET",
    "GTID_SUBTRACT", "HEX", "HOUR", "ICU_VERSION", "IF", "IFNULL", "INET6_ATON", "INET6_NTOA",
    "INET_ATON", "INET_NTOA", "INSERT", "INSTR", "INT", "INTEGER", "INTERVAL", "ISNULL", "IS_IPV4",
    "IS_IPV4_COMPAT", "IS_IPV4_MAPPED", "IS_IPV6", "IS_UUID", "JSON", "JSON_ARRAY", "JSON_ARRAYAGG",
    "JSON_ARRAY_APPEND", "JSON_ARRAY_INSERT", "JSON_ARRAY_INTERSECT", "JSON_COMPACT",
    "JSON_CONTAINS", "JSON_CONTAINS_PATH", "JSON_DEPTH", "JSON_DETAILED", "JSON_EQUALS",
    "JSON_EXISTS", "JSON_EXTRACT", "JSON_INSERT", "JSON_KEYS", "JSON_KEY_VALUE", "JSON_LENGTH",
    "JSON_LOOSE", "JSON_MERGE", "JSON_MERGE_PATCH", "JSON_MERGE_PRESERVE", "JSON_NORMALIZE",
    "JSON_OBJECT", "JSON_OBJECTAGG", "JSON_OBJECT_FILTER_KEYS", "JSON_OBJECT_TO_ARRAY",
    "JSON_OVERLAPS", "JSON_PRETTY", "JSON_QUERY", "JSON_QUOTE", "JSON_REMOVE", "JSON_REPLACE",
    "JSON_SCHEMA_VALID", "JSON_SCHEMA_VALIDATION_REPORT", "JSON_SEARCH", "JSON_SET",
    "JSON_STORAGE_FREE", "JSON_STORAGE_SIZE", "JSON_TABLE", "JSON_TYPE", "JSON_UNQUOTE",
    "JSON_VALID", "JSON_VALUE", "KDF", "LAG", "LAST_DAY", "LAST_VALUE", "LCASE", "LEAD", "LEAST",
    "LEFT", "LENGTH", "LENGTHB", "LINESTRING", "LN", "LOCALTIME", "LOCALTIMESTAMP", "LOCATE", "LOG",
    "LOG10", "LOG2", "LOWER", "LPAD", "LTRIM", "MAKEDATE", "MAKETIME", "MAKE_SET", "MAX",
    "MBRCONTAINS", "MBRCOVEREDBY", "MBRCOVERS", "MBRDISJOINT", "MBREQUAL", "MBREQUALS",
    "MBRINTERSECTS", "MBROVERLAPS", "MBRTOUCHES", "MBRWITHIN", "MD5", "MEDIAN", "MICROSECOND",
    "MID", "MIN", "MINUTE", "MOD", "MONTH", "MONTHNAME", "MULTILINESTRING", "MULTIPOINT",
    "MULTIPOLYGON", "NAME_CONST", "NATURAL_SORT_KEY", "NCHAR", "NOW", "NTH_VALUE", "NTILE",
    "NULLIF", "NUMERIC", "NVL", "NVL2", "OCT", "OCTET_LENGTH", "OLD_PASSWORD", "ORD", "PASSWORD",
    "PERCENTILE_CONT", "PERCENTILE_DISC", "PERCENT_RANK", "PERIOD_ADD", "PERIOD_DIFF", "PI",
    "POINT", "POLYGON", "POSITION", "POW", "POWER", "QUARTER", "QUOTE", "RADIANS", "RAND",
    "RANDOM_BYTES", "RANK", "REAL", "REGEXP_INSTR", "REGEXP_LIKE", "REGEXP_REPLACE",
    "REGEXP_SUBSTR", "REPEAT", "REPLACE", "REVERSE", "RIGHT", "ROLES_GRAPHML", "ROUND", "ROWNUM",
    "ROW_NUMBER", "RPAD", "RTRIM", "SCHEMA", "SECOND", "SEC_TO_TIME", "SESSION_USER", "SFORMAT",
    "SHA", "SHA1", "SHA2", "SIGN", "SIGNED", "SIN", "SLEEP", "SOUNDEX", "SPACE", "SQRT",
    "STATEMENT_DIGEST", "STATEMENT_DIGEST_TEXT", "STD", "STDDEV", "STDDEV_POP", "STDDEV_SAMP",
    "STRCMP", "STRING_TO_VECTOR", "STR_TO_DATE", "ST_AREA", "ST_ASBINARY", "ST_ASGEOJSON",
    "ST_ASTEXT", "ST_ASWKB", "ST_ASWKT", "ST_BOUNDARY", "ST_BUFFER", "ST_BUFFER_STRATEGY",
    "ST_CENTROID", "ST_COLLECT", "ST_CONTAINS", "ST_CONVEXHULL", "ST_CROSSES", "ST_DIFFERENCE",
    "ST_DIMENSION", "ST_DISJOINT", "ST_DISTANCE", "ST_DISTANCE_SPHERE", "ST_ENDPOINT",
    "ST_ENVELOPE", "ST_EQUALS", "ST_EXTERIORRING", "ST_FRECHETDISTANCE", "ST_GEOHASH",
    "ST_GEOMCOLLFROMTEXT", "ST_GEOMCOLLFROMTXT", "ST_GEOMCOLLFROMWKB",
    "ST_GEOMETRYCOLLECTIONFROMTEXT", "ST_GEOMETRYCOLLECTIONFROMWKB", "ST_GEOMETRYFROMTEXT",
    "ST_GEOMETRYFROMWKB", "ST_GEOMETRYN", "ST_GEOMETRYTYPE", "ST_GEOMFROMGEOJSON",
    "ST_GEOMFROMTEXT", "ST_GEOMFROMWKB", "ST_HAUSDORFFDISTANCE", "ST_INTERIORRINGN",
    "ST_INTERSECTION", "ST_INTERSECTS", "ST_ISCLOSED", "ST_ISEMPTY", "ST_ISRING", "ST_ISSIMPLE",
    "ST_ISVALID", "ST_LATFROMGEOHASH", "ST_LATITUDE", "ST_LENGTH", "ST_LINEFROMTEXT",
    "ST_LINEFROMWKB", "ST_LINEINTERPOLATEPOINT", "ST_LINEINTERPOLATEPOINTS",
    "ST_LINESTRINGFROMTEXT", "ST_LINESTRINGFROMWKB", "ST_LONGFROMGEOHASH", "ST_LONGITUDE",
    "ST_MAKEENVELOPE", "ST_MLINEFROMTEXT", "ST_MLINEFROMWKB", "ST_MPOINTFROMTEXT",
    "ST_MPOINTFROMWKB", "ST_MPOLYFROMTEXT", "ST_MPOLYFROMWKB", "ST_MULTILINESTRINGFROMTEXT",
    "ST_MULTILINESTRINGFROMWKB", "ST_MULTIPOINTFROMTEXT", "ST_MULTIPOINTFROMWKB",
    "ST_MULTIPOLYGONFROMTEXT", "ST_MULTIPOLYGONFROMWKB", "ST_NUMGEOMETRIES", "ST_NUMINTERIORRING",
    "ST_NUMINTERIORRINGS", "ST_NUMPOINTS", "ST_OVERLAPS", "ST_POINTATDISTANCE",
    "ST_POINTFROMGEOHASH", "ST_POINTFROMTEXT", "ST_POINTFROMWKB", "ST_POINTN", "ST_POINTONSURFACE",
    "ST_POLYFROMTEXT", "ST_POLYFROMWKB", "ST_POLYGONFROMTEXT", "ST_POLYGONFROMWKB", "ST_RELATE",
    "ST_SIMPLIFY", "ST_SRID", "ST_STARTPOINT", "ST_SWAPXY", "ST_SYMDIFFERENCE", "ST_TOUCHES",
    "ST_TRANSFORM", "ST_UNION", "ST_VALIDATE", "ST_WITHIN", "ST_X", "ST_Y", "SUBDATE", "SUBSTR",
    "SUBSTRING", "SUBSTRING_INDEX", "SUBTIME", "SUM", "SYSDATE", "SYSTEM_USER", "SYS_GUID", "TAN",
    "TIME", "TIMEDIFF", "TIMESTAMP", "TIMESTAMPADD", "TIMESTAMPDIFF", "TIME_FORMAT", "TIME_TO_SEC",
    "TO_BASE64", "TO_CHAR", "TO_DAYS", "TO_SECONDS", "TO_VECTOR", "TRIM", "TRUNCATE", "UCASE",
    "UNCOMPRESS", "UNCOMPRESSED_LENGTH", "UNHEX", "UNIX_TIMESTAMP", "UNSIGNED", "UPDATEXML",
    "UPPER", "USER", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "UUID", "UUID_TO_BIN",
    "VALIDATE_PASSWORD_STRENGTH", "VARBINARY", "VARCHAR", "VARIANCE", "VAR_POP", "VAR_SAMP",
    "VECTOR_DIM", "VECTOR_TO_STRING", "VEC_DISTANCE", "VEC_DISTANCE_COSINE",
    "VEC_DISTANCE_EUCLIDEAN", "VEC_FROMTEXT", "VEC_TOTEXT", "VERSION", "WEEK", "WEEKDAY",
    "WEEKOFYEAR", "WEIGHT_STRING", "YEAR", "YEARWEEK",
];

/// Keywords that may stand right before `(` without being a function call, upper case, sorted.
#[rustfmt::skip]
pub(crate) const NOT_CALLS: &[&str] = &[
    "AGAINST", "ALL", "AND", "ANY", "ARRAY", "AS", "ASC", "AT", "BETWEEN", "BOTH", "BY", "CASE",
    "CHECK", "COLLATE", "COLUMNS", "CONSTRAINT", "CROSS", "DELAYED", "DESC", "DISTINCT",
    "DISTINCTROW", "DIV", "DO", "DUAL", "ELSE", "ELSEIF", "ESCAPE", "EXCEPT", "EXISTS", "FOLLOWING",
    "FOR", "FORCE", "FOREIGN", "FROM", "GROUP", "GROUPS", "HAVING", "HIGH_PRIORITY", "IGNORE", "IN",
    "INDEX", "INNER", "INTERSECT", "INTO", "IS", "JOIN", "KEY", "KEYS", "LATERAL", "LEADING",
    "LIKE", "LIMIT", "LOW_PRIORITY", "MATCH", "MEMBER", "NATURAL", "NESTED", "NOT", "NULL", "OF",
    "OFFSET", "ON", "OR", "ORDER", "ORDINALITY", "OUTER", "OVER", "PARTITION", "PATH", "PRECEDING",
    "PRIMARY", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "RETURN", "RETURNING", "RLIKE", "ROW",
    "ROWS", "SELECT", "SEPARATOR", "SET", "SOME", "SOUNDS", "SQL_BIG_RESULT", "SQL_BUFFER_RESULT",
    "SQL_CACHE", "SQL_CALC_FOUND_ROWS", "SQL_NO_CACHE", "SQL_SMALL_RESULT", "STRAIGHT_JOIN",
    "TABLE", "THEN", "TRAILING", "UNION", "UNIQUE", "USE", "USING", "VALUE", "VALUES", "WHEN",
    "WHERE", "WINDOW", "WITH", "XOR",
];

/// A function that is routed by its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    /// `LAST_INSERT_ID`: the previous statement's connection.
    LastInsertId,
    /// `FOUND_ROWS`: the previous statement's connection.
    FoundRows,
    /// `ROW_COUNT`: the previous statement's connection.
    RowCount,
    /// `GET_LOCK`: primary, pins the session.
    GetLock,
    /// `RELEASE_LOCK`, `RELEASE_ALL_LOCKS`: primary, may end the pin.
    ReleaseLock,
    /// `IS_FREE_LOCK`, `IS_USED_LOCK`: primary.
    LockQuery,
    /// `NEXTVAL`, `SETVAL`: primary.
    Sequence,
    /// `LASTVAL`: primary, on the previous statement's connection.
    LastSequenceValue,
    /// Depends on which server or connection answers: primary.
    ServerState,
    /// Replication waits: primary.
    ReplicationWait,
}

/// Upper-cases `name` into `buf`; `None` when it does not fit (no listed name is that long).
pub(crate) fn upper<'b>(name: &[u8], buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    for (d, s) in out.iter_mut().zip(name) {
        *d = s.to_ascii_uppercase();
    }
    Some(out)
}

fn listed(list: &[&str], upper_name: &[u8]) -> bool {
    list.binary_search_by(|probe| probe.as_bytes().cmp(upper_name))
        .is_ok()
}

/// True for a read-only built-in (upper-case name).
pub(crate) fn is_read_only_builtin(upper_name: &[u8]) -> bool {
    listed(READ_ONLY_FUNCTIONS, upper_name)
}

/// True for a keyword that is not a call when `(` follows (upper-case name).
pub(crate) fn is_not_call(upper_name: &[u8]) -> bool {
    listed(NOT_CALLS, upper_name)
}

/// The special rule for a function (upper-case name), if any.
pub(crate) fn special(upper_name: &[u8]) -> Option<Special> {
    Some(match upper_name {
        b"LAST_INSERT_ID" => Special::LastInsertId,
        b"FOUND_ROWS" => Special::FoundRows,
        b"ROW_COUNT" => Special::RowCount,
        b"GET_LOCK" => Special::GetLock,
        b"RELEASE_LOCK" | b"RELEASE_ALL_LOCKS" => Special::ReleaseLock,
        b"IS_FREE_LOCK" | b"IS_USED_LOCK" => Special::LockQuery,
        b"NEXTVAL" | b"SETVAL" => Special::Sequence,
        b"LASTVAL" => Special::LastSequenceValue,
        b"CONNECTION_ID"
        | b"UUID_SHORT"
        | b"LOAD_FILE"
        | b"PS_CURRENT_THREAD_ID"
        | b"PS_THREAD_ID" => Special::ServerState,
        b"MASTER_POS_WAIT"
        | b"SOURCE_POS_WAIT"
        | b"MASTER_GTID_WAIT"
        | b"WAIT_FOR_EXECUTED_GTID_SET"
        | b"WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS" => Special::ReplicationWait,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_upper_case_and_disjoint() {
        for list in [READ_ONLY_FUNCTIONS, NOT_CALLS] {
            for pair in list.windows(2) {
                assert!(pair[0].as_bytes() < pair[1].as_bytes(), "{pair:?}");
            }
            for name in list {
                assert!(!name.bytes().any(|b| b.is_ascii_lowercase()), "{name}");
                assert!(name.len() <= 64);
                assert_eq!(special(name.as_bytes()), None, "{name} is special");
            }
        }
        for name in NOT_CALLS {
            assert!(
                !is_read_only_builtin(name.as_bytes()),
                "{name} in both lists"
            );
        }
    }

    #[test]
    fn lookups() {
        let mut buf = [0; 64];
        let name = upper(b"json_extract", &mut buf).expect("fits");
        assert!(is_read_only_builtin(name));
        assert!(is_read_only_builtin(b"COUNT"));
        assert!(!is_read_only_builtin(b"MY_FUNC"));
        assert!(is_not_call(b"EXISTS"));
        assert!(!is_not_call(b"NOW"));
        assert_eq!(special(b"GET_LOCK"), Some(Special::GetLock));
        assert!(upper(&[b'a'; 65], &mut buf).is_none());
    }
}
