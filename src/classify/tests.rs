//! Tests of [`classify`] as a whole: one or more per classification rule, the tricky lexical
//! cases, and a deterministic random-input run through the fuzz entry's invariants. Tests of
//! single pieces (lexer, hints, SET lists, keywords, function lists) live next to their code.

use super::*;
use crate::config::ConsistencyLevel;

fn c(sql: &str) -> Classification<'_> {
    classify(sql.as_bytes(), &ClassifierConfig::default())
}

#[track_caller]
fn replica(sql: &str) {
    let got = c(sql);
    assert_eq!(got.route, Route::Replica, "{sql}: {got:?}");
    fuzz_entry::classify(sql.as_bytes());
}

#[track_caller]
fn primary(sql: &str, reason: PrimaryReason) {
    let got = c(sql);
    assert_eq!(got.route, Route::Primary(reason), "{sql}: {got:?}");
    fuzz_entry::classify(sql.as_bytes());
}

#[track_caller]
fn kind(sql: &str, kind: StatementKind) {
    assert_eq!(c(sql).kind, kind, "{sql}");
}

use PrimaryReason as R;

// ---- reads -------------------------------------------------------------------------------------

#[test]
fn plain_reads_go_to_replicas() {
    for sql in [
        "SELECT 1",
        "select * from t where id = 1",
        "SELECT a, b FROM t1 JOIN t2 ON (t1.id = t2.id) WHERE a IN (1, 2) AND EXISTS (SELECT 1 FROM t3)",
        "SELECT * FROM t1 LEFT JOIN t2 USING (id) ORDER BY RAND() LIMIT 10;",
        "(SELECT 1) UNION (SELECT 2) UNION ALL SELECT 3",
        "((SELECT a FROM t))",
        "SELECT COUNT(*), SUM(x), AVG(y), GROUP_CONCAT(DISTINCT z ORDER BY z SEPARATOR ',') FROM t GROUP BY w WITH ROLLUP",
        "SELECT NOW(), CURDATE(), CONCAT('a', 'b'), COALESCE(a, b), IFNULL(a, 0), IF(a > 1, 2, 3) FROM t",
        "SELECT JSON_EXTRACT(doc, '$.a'), JSON_OBJECT('k', v), doc->>'$.b' FROM t",
        "SELECT CAST(x AS DECIMAL(10,2)), CONVERT(y, CHAR(10)), CONVERT(z USING utf8mb4), CAST(w AS CHAR(3) CHARACTER SET utf8mb4) FROM t",
        "SELECT DATE_ADD(d, INTERVAL 1 DAY), EXTRACT(YEAR FROM d), TRIM(LEADING 'x' FROM s), SUBSTRING(s FROM 2 FOR 3) FROM t",
        "SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b), SUM(x) OVER w FROM t WINDOW w AS (ORDER BY c)",
        "SELECT * FROM t PARTITION (p0) USE INDEX (i1) FORCE INDEX FOR JOIN (i2) WHERE (a, b) IN ((1, 2))",
        "SELECT * FROM (SELECT 1, 2) AS dt (a, b)",
        "SELECT * FROM (SELECT 1, 2) dt (a, b)",
        "SELECT MATCH (title, body) AGAINST ('x' IN NATURAL LANGUAGE MODE) FROM t",
        "SELECT * FROM JSON_TABLE(@j, '$[*]' COLUMNS (id FOR ORDINALITY, a INT PATH '$.a', NESTED PATH '$.b[*]' COLUMNS (b VARCHAR(10) PATH '$'))) AS jt",
        "SELECT a FROM t WHERE x = ANY (SELECT y FROM u) OR NOT (a > 1) XOR (b < 2)",
        "SELECT CASE WHEN (a) THEN (b) ELSE (c) END FROM t",
        "SELECT INSERT('abc', 1, 1, 'x'), REPLACE('a', 'a', 'b'), LEFT('ab', 1)",
        "SELECT SLEEP(1), BENCHMARK(10, MD5('x')), UUID(), RAND()",
        "SELECT @@port, @@hostname, @@session.sql_mode, @@version",
        "SELECT @x, @`y`",
        "SELECT SQL_NO_CACHE (1)",
        "SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2020-01-01'",
        "SELECT a MEMBER OF ('[1,2]') FROM t",
        "SELECT t.update, t.delete, t.into, t.for FROM t",
    ] {
        replica(sql);
    }
}

#[test]
fn other_read_statements() {
    for (sql, k) in [
        ("TABLE t", StatementKind::Table),
        ("TABLE t ORDER BY a LIMIT 2", StatementKind::Table),
        ("VALUES ROW(1, 2), ROW(3, 4)", StatementKind::Values),
        ("VALUES (1, 2), (3, 4)", StatementKind::Values),
        ("DO 1 + 1", StatementKind::Do),
        ("DO SLEEP(0.1)", StatementKind::Do),
        ("HELP 'contents'", StatementKind::Help),
        ("SHOW TABLES", StatementKind::Show),
        ("SHOW FULL TABLES FROM db LIKE 'a%'", StatementKind::Show),
        ("SHOW CREATE TABLE t", StatementKind::Show),
        ("SHOW VARIABLES LIKE 'sql_mode'", StatementKind::Show),
        ("SHOW DATABASES", StatementKind::Show),
        ("DESCRIBE t", StatementKind::Describe),
        ("DESC `t`", StatementKind::Describe),
        ("EXPLAIN t", StatementKind::Describe),
        ("EXPLAIN SELECT * FROM t", StatementKind::Explain),
        ("EXPLAIN FORMAT=JSON SELECT 1", StatementKind::Explain),
        ("EXPLAIN FORMAT = TREE (SELECT 1)", StatementKind::Explain),
        ("EXPLAIN ANALYZE SELECT * FROM t", StatementKind::Explain),
        ("EXPLAIN EXTENDED SELECT 1", StatementKind::Explain),
        ("DESCRIBE SELECT 1", StatementKind::Explain),
        ("ANALYZE SELECT * FROM t", StatementKind::Explain),
        ("ANALYZE FORMAT=JSON SELECT 1", StatementKind::Explain),
        ("WITH c AS (SELECT 1) SELECT * FROM c", StatementKind::With),
    ] {
        replica(sql);
        kind(sql, k);
    }
}

#[test]
fn ctes_that_are_reads() {
    for sql in [
        "WITH c AS (SELECT 1 AS a) SELECT * FROM c",
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
        "WITH a (x) AS (SELECT 1), b (y) AS (SELECT 2) SELECT * FROM a, b",
        "WITH a AS (SELECT 1) (SELECT * FROM a)",
        "WITH a AS (SELECT 1) TABLE a",
        "SELECT * FROM (WITH c (x) AS (SELECT 1) SELECT x FROM c) AS d",
    ] {
        replica(sql);
    }
}

// ---- locking reads, INTO, assignments -----------------------------------------------------------

#[test]
fn locking_reads_go_to_the_primary() {
    for sql in [
        "SELECT * FROM t WHERE id = 1 FOR UPDATE",
        "SELECT * FROM t FOR SHARE",
        "SELECT * FROM t LOCK IN SHARE MODE",
        "SELECT * FROM t FOR UPDATE NOWAIT",
        "SELECT * FROM t FOR UPDATE SKIP LOCKED",
        "SELECT * FROM t FOR UPDATE OF t WAIT 5",
        "select * from t for update",
        "SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)",
        "SELECT (SELECT a FROM u LOCK IN SHARE MODE) FROM t",
        "WITH c AS (SELECT * FROM t FOR UPDATE) SELECT * FROM c",
        "(SELECT 1 FROM t FOR UPDATE) UNION (SELECT 2)",
        "SELECT * FROM t /*!50100 FOR UPDATE */",
        "SELECT * FROM t /*M! FOR SHARE */",
        "SELECT * FROM t /*!FOR*/ UPDATE",
        "EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE",
        "TABLE t FOR UPDATE",
    ] {
        primary(sql, R::LockingRead);
    }
}

#[test]
fn select_into_goes_to_the_primary() {
    for sql in [
        "SELECT a INTO @x FROM t",
        "SELECT a FROM t INTO @x",
        "SELECT a, b FROM t WHERE id = 1 INTO @x, @y",
        "SELECT * FROM t INTO OUTFILE '/tmp/x'",
        "SELECT a FROM t INTO DUMPFILE '/tmp/y'",
        "SELECT a FROM t LIMIT 1 INTO @x FOR UPDATE",
        "(SELECT a FROM t) INTO @x",
    ] {
        let got = c(sql);
        assert!(
            matches!(got.route, Route::Primary(R::SelectInto | R::LockingRead)),
            "{sql}: {got:?}"
        );
    }
    assert!(c("SELECT a INTO @x FROM t")
        .pins
        .contains(Pins::USER_VARIABLE));
    assert!(c("SELECT a INTO OUTFILE '/tmp/x' FROM t").pins.is_empty());
}

#[test]
fn user_variable_assignment_pins() {
    for sql in [
        "SELECT @x := 1",
        "SELECT @rownum := @rownum + 1 AS n, a FROM t",
        "SELECT a FROM t WHERE (@x := a) > 1",
    ] {
        primary(sql, R::UserVariableAssignment);
        assert!(c(sql).pins.contains(Pins::USER_VARIABLE), "{sql}");
    }
    // Comparing with `=` is not an assignment.
    replica("SELECT a FROM t WHERE @x = a");
}

// ---- sequences and functions --------------------------------------------------------------------

#[test]
fn sequences_go_to_the_primary() {
    for sql in [
        "SELECT NEXTVAL(s)",
        "SELECT NEXT VALUE FOR s",
        "SELECT SETVAL(s, 10)",
        "SELECT s.nextval",
        "SELECT LASTVAL(s)",
        "SELECT PREVIOUS VALUE FOR s",
        "SELECT s.CURRVAL FROM dual",
    ] {
        primary(sql, R::Sequence);
    }
    for sql in [
        "SELECT LASTVAL(s)",
        "SELECT PREVIOUS VALUE FOR s",
        "SELECT s.currval",
    ] {
        assert!(
            c(sql).same_connection.contains(SameConnection::SEQUENCE),
            "{sql}"
        );
    }
    assert!(c("SELECT NEXTVAL(s)").same_connection.is_empty());
}

#[test]
fn unknown_functions_go_to_the_primary() {
    for sql in [
        "SELECT my_func(1)",
        "SELECT my_func (1)",
        "SELECT a FROM t WHERE b = shop.price(a)",
        "SELECT `now`()",
        "SELECT `shop`.`f`(1)",
        "SELECT COUNT(*) FROM t WHERE f(a)",
        "SELECT * FROM t WHERE a IN (SELECT g(b) FROM u)",
        "DO my_proc_fn()",
        "SHOW TABLES WHERE f(1)",
        "SELECT now.f(1)",
    ] {
        primary(sql, R::StoredOrUnknownFunction);
    }
}

#[test]
fn configured_read_only_functions_go_to_replicas() {
    let cfg = ClassifierConfig::new(["My_Func", "shop.price"]);
    for sql in [
        "SELECT my_func(1)",
        "SELECT MY_FUNC(1), other.my_func(2)",
        "SELECT `my_func`(1)",
        "SELECT shop.price(1)",
        "SELECT `SHOP`.`PRICE`(1)",
    ] {
        assert_eq!(
            classify(sql.as_bytes(), &cfg).route,
            Route::Replica,
            "{sql}"
        );
    }
    for sql in [
        "SELECT price(1)",
        "SELECT other.price(1)",
        "SELECT my_func(1) FOR UPDATE",
    ] {
        assert!(!classify(sql.as_bytes(), &cfg).is_replica_safe(), "{sql}");
    }
}

#[test]
fn special_functions() {
    primary("SELECT GET_LOCK('a', 10)", R::Lock);
    assert_eq!(c("SELECT GET_LOCK('a', 10)").pins, Pins::USER_LOCK);
    primary("SELECT RELEASE_LOCK('a')", R::Lock);
    assert_eq!(c("SELECT RELEASE_LOCK('a')").unpins, Pins::USER_LOCK);
    assert_eq!(c("DO RELEASE_ALL_LOCKS()").unpins, Pins::USER_LOCK);
    primary("SELECT IS_FREE_LOCK('a')", R::Lock);
    primary("SELECT IS_USED_LOCK('a')", R::Lock);
    assert!(c("SELECT IS_USED_LOCK('a')").pins.is_empty());
    assert_eq!(c("DO GET_LOCK('a', 1)").pins, Pins::USER_LOCK);
    primary("SELECT CONNECTION_ID()", R::ServerState);
    primary("SELECT UUID_SHORT()", R::ServerState);
    primary("SELECT LOAD_FILE('/etc/hosts')", R::ServerState);
    primary("SELECT @@read_only", R::ServerState);
    primary("SELECT @@global.gtid_executed", R::ServerState);
    primary("SELECT @@gtid_binlog_pos", R::ServerState);
    primary("SELECT MASTER_GTID_WAIT('0-1-5', 1)", R::ReplicationWait);
    primary(
        "SELECT WAIT_FOR_EXECUTED_GTID_SET('uuid:1-5', 1)",
        R::ReplicationWait,
    );
    primary("SELECT MASTER_POS_WAIT('bin.1', 4)", R::ReplicationWait);
    // Inside writes the functions still pin.
    let insert = c("INSERT INTO t VALUES (GET_LOCK('a', 1))");
    assert_eq!(insert.route, Route::Primary(R::Write));
    assert_eq!(insert.pins, Pins::USER_LOCK);
}

// ---- same connection ----------------------------------------------------------------------------

#[test]
fn same_connection_statements() {
    for (sql, need) in [
        ("SELECT LAST_INSERT_ID()", SameConnection::LAST_INSERT_ID),
        ("SELECT last_insert_id()", SameConnection::LAST_INSERT_ID),
        ("SELECT @@last_insert_id", SameConnection::LAST_INSERT_ID),
        ("SELECT @@IDENTITY", SameConnection::LAST_INSERT_ID),
        ("SELECT @@session.identity", SameConnection::LAST_INSERT_ID),
        ("SELECT FOUND_ROWS()", SameConnection::FOUND_ROWS),
        ("SELECT ROW_COUNT()", SameConnection::ROW_COUNT),
        ("SHOW WARNINGS", SameConnection::DIAGNOSTICS),
        ("SHOW ERRORS LIMIT 1", SameConnection::DIAGNOSTICS),
        ("SHOW COUNT(*) WARNINGS", SameConnection::DIAGNOSTICS),
        ("SHOW PROFILES", SameConnection::DIAGNOSTICS),
        ("SELECT @@warning_count", SameConnection::DIAGNOSTICS),
        ("SELECT @@last_gtid", SameConnection::LAST_GTID),
        ("SELECT @@session.last_gtid", SameConnection::LAST_GTID),
        ("GET DIAGNOSTICS @n = NUMBER", SameConnection::DIAGNOSTICS),
        (
            "GET CURRENT DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT",
            SameConnection::DIAGNOSTICS,
        ),
    ] {
        let got = c(sql);
        assert_eq!(got.same_connection, need, "{sql}");
        assert!(
            matches!(
                got.route,
                Route::Primary(R::SameConnection | R::UserVariableAssignment)
            ),
            "{sql}: {got:?}"
        );
        fuzz_entry::classify(sql.as_bytes());
    }
    let w = c("INSERT INTO t2 (parent) VALUES (LAST_INSERT_ID())");
    assert_eq!(w.route, Route::Primary(R::Write));
    assert_eq!(w.same_connection, SameConnection::LAST_INSERT_ID);
}

#[test]
fn calc_found_rows_is_reported() {
    let q = c("SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10");
    assert!(q.calc_found_rows);
    assert!(q.is_replica_safe());
    assert!(!c("SELECT * FROM t LIMIT 10").calc_found_rows);
    assert!(!c("SELECT 'SQL_CALC_FOUND_ROWS'").calc_found_rows);
}

// ---- pins ---------------------------------------------------------------------------------------

#[test]
fn pinning_statements() {
    for (sql, reason, pins) in [
        ("LOCK TABLES t READ, u WRITE", R::Lock, Pins::TABLE_LOCK),
        ("lock table t write", R::Lock, Pins::TABLE_LOCK),
        (
            "FLUSH TABLES WITH READ LOCK",
            R::Lock,
            Pins::GLOBAL_READ_LOCK,
        ),
        (
            "FLUSH TABLES t1, t2 WITH READ LOCK",
            R::Lock,
            Pins::TABLE_LOCK,
        ),
        ("FLUSH TABLES t FOR EXPORT", R::Lock, Pins::TABLE_LOCK),
        ("LOCK INSTANCE FOR BACKUP", R::Lock, Pins::BACKUP_LOCK),
        ("BACKUP STAGE START", R::Lock, Pins::BACKUP_LOCK),
        ("BACKUP LOCK t", R::Lock, Pins::BACKUP_LOCK),
        (
            "CREATE TEMPORARY TABLE tmp (a INT)",
            R::TemporaryTable,
            Pins::TEMPORARY_TABLE,
        ),
        (
            "CREATE OR REPLACE TEMPORARY TABLE tmp AS SELECT 1",
            R::TemporaryTable,
            Pins::TEMPORARY_TABLE,
        ),
        (
            "PREPARE s FROM 'SELECT ?'",
            R::PreparedStatement,
            Pins::PREPARED_STATEMENT,
        ),
        ("SET @x = 1", R::UserVariableAssignment, Pins::USER_VARIABLE),
        ("HANDLER t OPEN", R::Handler, Pins::HANDLER),
        ("HANDLER db.t OPEN AS h", R::Handler, Pins::HANDLER),
        ("XA START 'x'", R::Transaction, Pins::XA),
        ("SET ROLE r1", R::SessionState, Pins::SESSION_STATE),
        ("SET RESOURCE GROUP g", R::SessionState, Pins::SESSION_STATE),
    ] {
        let got = c(sql);
        assert_eq!(got.route, Route::Primary(reason), "{sql}: {got:?}");
        assert_eq!(got.pins, pins, "{sql}");
        fuzz_entry::classify(sql.as_bytes());
    }
    assert!(!c("FLUSH TABLES")
        .pins
        .intersects(Pins::TABLE_LOCK | Pins::GLOBAL_READ_LOCK));
    primary("FLUSH PRIVILEGES", R::Admin);
}

#[test]
fn unpinning_statements() {
    for (sql, unpins) in [
        ("UNLOCK TABLES", Pins::TABLE_LOCK | Pins::GLOBAL_READ_LOCK),
        ("UNLOCK INSTANCE", Pins::BACKUP_LOCK),
        ("BACKUP STAGE END", Pins::BACKUP_LOCK),
        ("BACKUP UNLOCK", Pins::BACKUP_LOCK),
        ("DEALLOCATE PREPARE s", Pins::PREPARED_STATEMENT),
        ("DROP PREPARE s", Pins::PREPARED_STATEMENT),
        ("DROP TEMPORARY TABLE tmp", Pins::TEMPORARY_TABLE),
        ("DROP TEMPORARY TABLE IF EXISTS tmp", Pins::TEMPORARY_TABLE),
        ("DROP TABLE tmp", Pins::TEMPORARY_TABLE),
        ("HANDLER t CLOSE", Pins::HANDLER),
        ("XA COMMIT 'x'", Pins::XA),
        ("XA ROLLBACK 'x'", Pins::XA),
        ("SELECT RELEASE_LOCK('a')", Pins::USER_LOCK),
    ] {
        let got = c(sql);
        assert_eq!(got.unpins, unpins, "{sql}");
        assert!(!got.is_replica_safe(), "{sql}");
    }
    assert!(!c("DROP TEMPORARY TABLE tmp").implicit_commit);
    assert!(c("DROP TABLE t").implicit_commit);
    assert_eq!(c("DEALLOCATE PREPARE s").kind, StatementKind::Deallocate);
    assert_eq!(c("DROP PREPARE s").kind, StatementKind::Deallocate);
    primary("EXECUTE s USING @a", R::PreparedStatement);
    primary("HANDLER t READ FIRST", R::Handler);
}

// ---- session state ------------------------------------------------------------------------------

#[test]
fn use_database() {
    let u = c("USE shop");
    assert_eq!(u.kind, StatementKind::Use);
    assert!(u.is_replica_safe());
    let db = u.session.use_database.expect("a database");
    assert_eq!((db.text, db.quoted), (&b"shop"[..], false));
    let db = c("use `my``db`;").session.use_database.expect("a database");
    assert_eq!(&*db.name(), b"my`db");
    let db = c("/* x */ USE `shop`")
        .session
        .use_database
        .expect("a database");
    assert_eq!((db.text, db.quoted), (&b"shop"[..], true));
    primary("USE", R::Unknown);
}

#[test]
fn session_sets_are_replayable_and_replica_safe() {
    for sql in [
        "SET NAMES utf8mb4",
        "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'",
        "SET CHARACTER SET utf8mb4",
        "SET CHARSET latin1",
        "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'",
        "SET LOCAL time_zone = '+00:00'",
        "SET @@session.group_concat_max_len = 100000",
        "SET @@SESSION.max_execution_time := 1000",
        "SET sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')",
        "SET time_zone = 'UTC', sql_select_limit = DEFAULT",
        "SET @@sql_mode = ''",
        "SET session_track_system_variables = '*'",
        "/*!40101 SET NAMES utf8 */",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SET SESSION TRANSACTION READ ONLY",
    ] {
        replica(sql);
        assert_eq!(c(sql).kind, StatementKind::Set, "{sql}");
        assert!(!c(sql).session.is_empty(), "{sql}");
    }
    let s = c("SET NAMES utf8mb4").session;
    assert!(s.names && !s.session_variables);
    assert!(c("SET CHARACTER SET utf8").session.character_set);
    let s = c("SET SESSION sql_mode = '', @@session.time_zone = 'UTC'").session;
    assert!(s.session_variables && !s.global_variables && !s.user_variables);
    let names: Vec<_> = s
        .set
        .expect("a set list")
        .assignments()
        .filter_map(|a| match a.target {
            SetTarget::System { name, .. } => Some(name),
            _ => None,
        })
        .collect();
    assert_eq!(names, [&b"sql_mode"[..], b"time_zone"]);
}

#[test]
fn global_sets_go_to_the_primary() {
    for sql in [
        "SET GLOBAL max_connections = 100",
        "SET @@global.max_connections = 100",
        "SET PERSIST max_connections = 100",
        "SET PERSIST_ONLY max_connections = 100",
        "SET @@persist.max_connections = 100",
        "SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SET SESSION sql_mode = '', GLOBAL max_connections = 10",
        // Unqualified and not known to have a session value: MariaDB would set the global one.
        "SET max_connections = 100",
        "SET @@read_only = 1",
    ] {
        primary(sql, R::SetGlobal);
    }
    assert!(c("SET GLOBAL x = 1").session.global_variables);
    assert!(!c("SET max_connections = 1").session.global_variables);
}

#[test]
fn set_transaction() {
    let st = c("SET TRANSACTION READ ONLY")
        .session
        .set_transaction
        .expect("set transaction");
    assert_eq!(st.scope, TransactionScope::Next);
    assert_eq!(st.access, TransactionAccess::ReadOnly);
    assert!(!st.isolation);
    let st = c("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE")
        .session
        .set_transaction
        .expect("set transaction");
    assert_eq!(st.scope, TransactionScope::Session);
    assert_eq!(st.access, TransactionAccess::ReadWrite);
    assert!(st.isolation);
    let st = c("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
        .session
        .set_transaction
        .expect("set transaction");
    assert_eq!(st.access, TransactionAccess::Default);
    assert_eq!(
        c("SET GLOBAL TRANSACTION READ ONLY")
            .session
            .set_transaction
            .map(|s| s.scope),
        Some(TransactionScope::Global)
    );
}

#[test]
fn autocommit() {
    for (sql, value) in [
        ("SET autocommit = 0", Autocommit::Off),
        ("SET autocommit=1", Autocommit::On),
        ("SET AUTOCOMMIT = OFF", Autocommit::Off),
        ("set @@autocommit = on", Autocommit::On),
        ("SET SESSION autocommit = 'ON'", Autocommit::On),
        ("SET @@session.autocommit = @saved", Autocommit::Other),
    ] {
        let got = c(sql);
        assert_eq!(got.session.autocommit, Some(value), "{sql}");
        assert_eq!(got.route, Route::Primary(R::Transaction), "{sql}");
    }
}

#[test]
fn user_variables_and_mixed_sets() {
    let s = c("SET @a = 1, @b := 2");
    assert_eq!(s.route, Route::Primary(R::UserVariableAssignment));
    assert!(s.session.user_variables);
    assert_eq!(s.pins, Pins::USER_VARIABLE);
    let s = c("SET @a = 1, NAMES utf8mb4");
    assert!(s.session.user_variables && s.session.names);
    // Functions in a session SET are scanned like anywhere else.
    primary(
        "SET SESSION sql_mode = my_func()",
        R::StoredOrUnknownFunction,
    );
    primary(
        "SET @x = (SELECT a FROM t FOR UPDATE)",
        R::UserVariableAssignment,
    );
    primary(
        "SET SESSION sql_mode = (SELECT a FROM t FOR UPDATE)",
        R::LockingRead,
    );
    assert_eq!(
        c("SET @x = GET_LOCK('a', 1)").pins,
        Pins::USER_VARIABLE | Pins::USER_LOCK
    );
}

#[test]
fn other_set_forms() {
    primary("SET PASSWORD = 'x'", R::Ddl);
    primary("SET PASSWORD FOR 'u'@'%' = 'x'", R::Ddl);
    primary("SET DEFAULT ROLE r TO 'u'@'%'", R::Ddl);
    assert_eq!(c("SET PASSWORD = 'x'").kind, StatementKind::Account);
    // MariaDB SET STATEMENT … FOR s is classified as s.
    replica("SET STATEMENT max_statement_time = 1 FOR SELECT * FROM t");
    primary(
        "SET STATEMENT max_statement_time = 1 FOR UPDATE t SET a = 1",
        R::Write,
    );
    assert_eq!(
        c("SET STATEMENT a = 1 FOR SET STATEMENT b = 2 FOR SET STATEMENT c = 3 FOR SET STATEMENT d = 4 FOR SET STATEMENT e = 5 FOR SELECT 1")
            .route,
        Route::Primary(R::Unknown)
    );
}

// ---- transactions -------------------------------------------------------------------------------

#[test]
fn transaction_control() {
    let begin = TransactionControl::Begin {
        access: TransactionAccess::Default,
        consistent_snapshot: false,
    };
    for (sql, tc) in [
        ("BEGIN", begin),
        ("begin work;", begin),
        ("START TRANSACTION", begin),
        (
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE",
            TransactionControl::Begin {
                access: TransactionAccess::ReadWrite,
                consistent_snapshot: true,
            },
        ),
        (
            "COMMIT",
            TransactionControl::Commit {
                chain: false,
                release: false,
            },
        ),
        (
            "COMMIT WORK AND CHAIN",
            TransactionControl::Commit {
                chain: true,
                release: false,
            },
        ),
        (
            "COMMIT AND NO CHAIN RELEASE",
            TransactionControl::Commit {
                chain: false,
                release: true,
            },
        ),
        (
            "COMMIT NO RELEASE",
            TransactionControl::Commit {
                chain: false,
                release: false,
            },
        ),
        (
            "ROLLBACK",
            TransactionControl::Rollback {
                chain: false,
                release: false,
            },
        ),
        (
            "ROLLBACK WORK AND CHAIN",
            TransactionControl::Rollback {
                chain: true,
                release: false,
            },
        ),
        (
            "ROLLBACK TO SAVEPOINT s1",
            TransactionControl::RollbackToSavepoint,
        ),
        (
            "ROLLBACK WORK TO s1",
            TransactionControl::RollbackToSavepoint,
        ),
        ("SAVEPOINT s1", TransactionControl::Savepoint),
        ("RELEASE SAVEPOINT s1", TransactionControl::ReleaseSavepoint),
        ("XA START 'x'", TransactionControl::Xa(XaVerb::Start)),
        ("XA BEGIN 'x'", TransactionControl::Xa(XaVerb::Start)),
        ("XA END 'x'", TransactionControl::Xa(XaVerb::End)),
        ("XA PREPARE 'x'", TransactionControl::Xa(XaVerb::Prepare)),
        (
            "XA COMMIT 'x' ONE PHASE",
            TransactionControl::Xa(XaVerb::Commit),
        ),
        ("XA ROLLBACK 'x'", TransactionControl::Xa(XaVerb::Rollback)),
        ("XA RECOVER", TransactionControl::Xa(XaVerb::Recover)),
    ] {
        let got = c(sql);
        assert_eq!(got.transaction, Some(tc), "{sql}");
        assert_eq!(got.kind, StatementKind::Transaction, "{sql}");
        assert_eq!(got.route, Route::Primary(R::Transaction), "{sql}");
        fuzz_entry::classify(sql.as_bytes());
    }
    assert!(c("BEGIN").implicit_commit);
    assert!(!c("COMMIT").implicit_commit);
}

#[test]
fn read_only_transactions_may_run_on_a_replica() {
    let ro = c("START TRANSACTION READ ONLY");
    assert!(ro.is_replica_safe());
    assert_eq!(
        ro.transaction,
        Some(TransactionControl::Begin {
            access: TransactionAccess::ReadOnly,
            consistent_snapshot: false
        })
    );
    let ro = c("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
    assert!(ro.is_replica_safe());
    assert_eq!(
        c("/* sluice: primary */ START TRANSACTION READ ONLY").route,
        Route::Primary(R::Hint)
    );
}

#[test]
fn ddl_commits_implicitly() {
    for sql in [
        "CREATE TABLE t (a INT)",
        "ALTER TABLE t ADD COLUMN b INT",
        "DROP TABLE t",
        "DROP DATABASE d",
        "RENAME TABLE a TO b",
        "TRUNCATE TABLE t",
        "CREATE INDEX i ON t (a)",
        "CREATE VIEW v AS SELECT 1",
        "GRANT SELECT ON *.* TO 'u'@'%'",
        "REVOKE ALL ON *.* FROM 'u'@'%'",
        "CREATE USER 'u'@'%' IDENTIFIED BY 'x'",
    ] {
        primary(sql, R::Ddl);
        assert!(c(sql).implicit_commit, "{sql}");
    }
    assert!(c("LOCK TABLES t READ").implicit_commit);
    assert!(!c("CREATE TEMPORARY TABLE t (a INT)").implicit_commit);
    assert!(!c("SELECT 1").implicit_commit);
}

#[test]
fn stored_programs_and_compound_statements() {
    let body = "CREATE PROCEDURE p() BEGIN SELECT 1; UPDATE t SET a = 1; END";
    let got = c(body);
    assert_eq!(got.route, Route::Primary(R::Ddl));
    assert!(!got.multi_statement);
    let anon = c("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END");
    assert_eq!(anon.route, Route::Primary(R::CompoundStatement));
    assert_eq!(anon.kind, StatementKind::Compound);
    primary("CALL p(1, @out)", R::Call);
}

// ---- writes and everything else ---------------------------------------------------------------

#[test]
fn writes_and_other_statements_go_to_the_primary() {
    for (sql, reason) in [
        ("INSERT INTO t (a) VALUES (1)", R::Write),
        ("INSERT INTO t SELECT * FROM u", R::Write),
        (
            "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)",
            R::Write,
        ),
        ("REPLACE INTO t VALUES (1)", R::Write),
        ("UPDATE t SET a = 1 WHERE id = 2", R::Write),
        ("DELETE FROM t WHERE id = 1", R::Write),
        ("LOAD DATA INFILE '/tmp/x' INTO TABLE t", R::Write),
        ("LOAD DATA LOCAL INFILE 'x' INTO TABLE t", R::Write),
        ("INSERT INTO t VALUES (1) RETURNING id", R::Returning),
        ("DELETE FROM t RETURNING *", R::Returning),
        ("REPLACE INTO t VALUES (1) RETURNING a", R::Returning),
        (
            "INSERT INTO t SELECT a FROM (SELECT 1 RETURNING) x",
            R::Write,
        ),
        ("KILL 42", R::Admin),
        ("KILL QUERY 42", R::Admin),
        ("ANALYZE TABLE t", R::Admin),
        ("OPTIMIZE TABLE t", R::Admin),
        ("RESET MASTER", R::Admin),
        ("PURGE BINARY LOGS TO 'x'", R::Admin),
        ("START REPLICA", R::Admin),
        ("STOP SLAVE", R::Admin),
        ("CHANGE MASTER TO MASTER_HOST='h'", R::Admin),
        ("INSTALL PLUGIN p SONAME 'p.so'", R::Admin),
        ("EXPLAIN FOR CONNECTION 5", R::ServerState),
        ("FROBNICATE everything", R::Unknown),
        ("SIGNAL SQLSTATE '45000'", R::Unknown),
        ("42", R::Unknown),
        ("", R::Empty),
        ("   ", R::Empty),
        ("-- only a comment", R::Empty),
        ("/* only */ # comments", R::Empty),
        (";", R::Empty),
    ] {
        primary(sql, reason);
    }
    kind("", StatementKind::Empty);
    kind("UPDATE t SET a = 1", StatementKind::Update);
    kind("LOAD DATA INFILE 'x' INTO TABLE t", StatementKind::Load);
}

#[test]
fn explain_and_with_around_dml() {
    for sql in [
        "EXPLAIN UPDATE t SET a = 1",
        "EXPLAIN DELETE FROM t",
        "EXPLAIN INSERT INTO t VALUES (1)",
        "EXPLAIN FORMAT=JSON REPLACE INTO t VALUES (1)",
        "DESCRIBE UPDATE t SET a = 1",
        "ANALYZE UPDATE t SET a = 1",
        "EXPLAIN ANALYZE DELETE FROM t",
        "EXPLAIN WITH c AS (SELECT 1) UPDATE t SET a = 1",
    ] {
        primary(sql, R::ExplainOfDml);
    }
    for sql in [
        "WITH c AS (SELECT 1) UPDATE t SET a = 1",
        "WITH c AS (SELECT id FROM u) DELETE FROM t WHERE id IN (SELECT id FROM c)",
        "WITH c (x) AS (SELECT 1), d AS (SELECT 2) UPDATE t, c SET t.a = c.x",
        "with c as (select 1) insert into t select * from c",
    ] {
        primary(sql, R::WithAroundDml);
    }
}

#[test]
fn show_primary_status() {
    for sql in [
        "SHOW MASTER STATUS",
        "SHOW BINARY LOG STATUS",
        "SHOW BINARY LOGS",
        "SHOW MASTER LOGS",
        "SHOW BINLOG EVENTS IN 'bin.1'",
        "SHOW BINLOG STATUS",
        "SHOW REPLICA STATUS",
        "SHOW SLAVE STATUS",
        "SHOW ALL SLAVES STATUS",
        "SHOW REPLICAS",
        "SHOW SLAVE HOSTS",
        "SHOW RELAYLOG EVENTS",
        "show master status",
    ] {
        primary(sql, R::ShowPrimaryStatus);
    }
    for sql in [
        "SHOW PROCESSLIST",
        "SHOW FULL PROCESSLIST",
        "SHOW STATUS",
        "SHOW GLOBAL STATUS LIKE 'x'",
        "SHOW SESSION STATUS",
        "SHOW ENGINE INNODB STATUS",
    ] {
        primary(sql, R::ServerState);
    }
    replica("SHOW GLOBAL VARIABLES");
    replica("SHOW FULL COLUMNS FROM t");
    replica("SHOW REPLICA HOSTS LIKE");
}

// ---- multi-statements ---------------------------------------------------------------------------

#[test]
fn multi_statements() {
    for sql in [
        "SELECT 1; SELECT 2",
        "SELECT 1;SELECT 2;",
        "SELECT 1; /* c */ SELECT 2",
        "SELECT 1; UPDATE t SET a = 1",
        "UPDATE t SET a = 1; SELECT 1",
        "SET NAMES utf8; SELECT 1",
        "SELECT @@sluice_consistency; SELECT 1",
        "; SELECT 1",
    ] {
        primary(sql, R::MultiStatement);
        assert!(c(sql).multi_statement, "{sql}");
    }
    for sql in [
        "SELECT 1;",
        "SELECT 1 ;  \n",
        "SELECT 1; -- trailing comment",
        "SELECT 1; /* trailing */",
        "SELECT 1;;",
        "SELECT 'a;b' FROM t",
        "SELECT \"x; DELETE FROM t\"",
        "SELECT `we;ird` FROM t",
        "SELECT 1 /* ; DELETE FROM t */",
        "SELECT 1 -- ; DELETE FROM t",
        "SELECT 1 # ; DELETE FROM t",
    ] {
        replica(sql);
        assert!(!c(sql).multi_statement, "{sql}");
    }
    // Pins of later statements are still reported.
    let m = c("SELECT 1; SELECT GET_LOCK('a', 1)");
    assert!(m.multi_statement && m.pins.contains(Pins::USER_LOCK));
}

// ---- sluice's own statements --------------------------------------------------------------------

#[test]
fn sluice_set_consistency() {
    for (sql, value) in [
        ("SET sluice_consistency = 'global'", &b"global"[..]),
        ("set SLUICE_CONSISTENCY=\"Eventual\"", b"Eventual"),
        ("SET SESSION sluice_consistency = session", b"session"),
        ("SET LOCAL sluice_consistency := 'global';", b"global"),
        ("SET @@session.sluice_consistency = 'global'", b"global"),
        ("SET @@sluice_consistency = 'eventual' ; ", b"eventual"),
        (
            "/* hi */ SET @@SESSION.Sluice_Consistency='session'",
            b"session",
        ),
        ("SET sluice_consistency = DEFAULT", b"DEFAULT"),
    ] {
        let got = c(sql);
        assert_eq!(got.route, Route::Sluice, "{sql}");
        assert_eq!(got.kind, StatementKind::Sluice, "{sql}");
        assert_eq!(
            got.sluice,
            Some(SluiceCommand::SetConsistency(value)),
            "{sql}"
        );
        fuzz_entry::classify(sql.as_bytes());
    }
    // Not sluice's: other scopes, several assignments, expressions, a second statement.
    for sql in [
        "SET GLOBAL sluice_consistency = 'global'",
        "SET sluice_consistency = 'global', autocommit = 1",
        "SET sluice_consistency = CONCAT('glo', 'bal')",
        "SET sluice_consistency = 'global'; SELECT 1",
        "SET sluice_consistency_x = 'global'",
    ] {
        assert_ne!(c(sql).route, Route::Sluice, "{sql}");
        assert_eq!(c(sql).sluice, None, "{sql}");
    }
}

#[test]
fn sluice_selects_and_show() {
    for (sql, cmd) in [
        (
            "SELECT @@sluice_consistency",
            SluiceCommand::SelectConsistency,
        ),
        (
            "select @@SESSION.sluice_consistency;",
            SluiceCommand::SelectConsistency,
        ),
        (
            "SELECT @@sluice_last_gtid ;\n",
            SluiceCommand::SelectLastGtid,
        ),
        (
            "SELECT @@session.SLUICE_LAST_GTID",
            SluiceCommand::SelectLastGtid,
        ),
        ("SHOW SLUICE BACKENDS", SluiceCommand::Show(b"BACKENDS")),
        ("show sluice backends;", SluiceCommand::Show(b"backends")),
    ] {
        let got = c(sql);
        assert_eq!(got.route, Route::Sluice, "{sql}");
        assert_eq!(got.sluice, Some(cmd), "{sql}");
    }
    for sql in [
        "SELECT @@sluice_consistency, 1",
        "SELECT @@global.sluice_consistency",
        "SELECT @@sluice_consistency FROM t",
    ] {
        assert_ne!(c(sql).route, Route::Sluice, "{sql}");
    }
}

// ---- hints --------------------------------------------------------------------------------------

#[test]
fn hints() {
    let h = c("/* sluice: primary */ SELECT 1");
    assert_eq!(h.route, Route::Primary(R::Hint));
    assert_eq!(h.hints.route, Some(RouteHint::Primary));
    // A primary hint on a write keeps the write's own reason.
    assert_eq!(
        c("/* sluice: primary */ UPDATE t SET a = 1").route,
        Route::Primary(R::Write)
    );
    // A replica hint vouches for unknown functions and server state only.
    assert!(c("SELECT my_func(1) /* sluice: replica */").is_replica_safe());
    assert!(c("/* SLUICE: REPLICA */ SELECT CONNECTION_ID()").is_replica_safe());
    for sql in [
        "/* sluice: replica */ UPDATE t SET a = 1",
        "/* sluice: replica */ SELECT * FROM t FOR UPDATE",
        "/* sluice: replica */ SELECT my_func(1) FOR UPDATE",
        "/* sluice: replica */ SELECT GET_LOCK('a', 1)",
        "/* sluice: replica */ SELECT LAST_INSERT_ID()",
        "/* sluice: replica */ SELECT 1; SELECT 2",
        "/* sluice: replica */ SHOW MASTER STATUS",
        "/* sluice: replica,primary */ SELECT 1",
    ] {
        assert!(!c(sql).is_replica_safe(), "{sql}");
    }
    let h = c("SELECT /* sluice: consistency=global, min_gtid=0-1-100,0-2-5 */ a FROM t").hints;
    assert_eq!(h.consistency, Some(ConsistencyLevel::Global));
    assert_eq!(h.min_gtid, Some(&b"0-1-100,0-2-5"[..]));
    assert!(c("SELECT /* sluice: consistency=global */ 1").is_replica_safe());
    let h = c("-- sluice: Consistency=Eventual replica\nSELECT 1").hints;
    assert_eq!(h.consistency, Some(ConsistencyLevel::Eventual));
    assert_eq!(h.route, Some(RouteHint::Replica));
    // Executable comments are SQL, not hints.
    assert!(c("SELECT 1 /*! sluice: primary */").hints.is_empty());
    // Not a hint: a comment that merely mentions sluice.
    assert!(c("/* ask sluice: primary */ SELECT 1").is_replica_safe());
    // Hints borrow from the input.
    let sql = b"/* sluice: min_gtid=3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5 */ SELECT 1".to_vec();
    let got = classify(&sql, &ClassifierConfig::default());
    let gtid = got.hints.min_gtid.expect("a gtid");
    let range = sql.as_ptr_range();
    assert!(range.contains(&gtid.as_ptr()));
}

// ---- lexical tricks -----------------------------------------------------------------------------

#[test]
fn keywords_inside_strings_comments_and_identifiers_do_not_count() {
    for sql in [
        "SELECT 'FOR UPDATE' FROM t",
        "SELECT \"LOCK IN SHARE MODE\" FROM t",
        "SELECT 'it''s FOR UPDATE' FROM t",
        "SELECT 'a\\' FOR UPDATE' FROM t",
        "SELECT `for update` FROM t",
        "SELECT 1 /* FOR UPDATE */ FROM t",
        "SELECT 1 -- FOR UPDATE\n FROM t",
        "SELECT 1 # INTO @x\n FROM t",
        "SELECT 'x := 1', 'my_func(1)', 'NEXTVAL(s)' FROM t",
        "SELECT `my_func` FROM t",
        "SELECT 1 FROM t WHERE a = 'GET_LOCK(''x'', 1)'",
        "SELECT 'SELECT 1; DELETE FROM t'",
        "SELECT _utf8mb4'for update', X'4142', N'into'",
    ] {
        replica(sql);
    }
}

#[test]
fn unterminated_text_is_unparseable() {
    for sql in [
        "SELECT 'abc",
        "SELECT \"abc",
        "SELECT `abc",
        "SELECT 1 /* comment",
        "SELECT 1 /*! FOR UPDATE",
        "SELECT 'a\\'",
        "SELECT @'x",
        "SET sluice_consistency = 'global",
        "/* sluice: replica */ SELECT 'x",
    ] {
        primary(sql, R::Unparseable);
    }
    assert_eq!(c("SELECT 'abc").sluice, None);
}

#[test]
fn non_utf8_bytes() {
    let sql = b"SELECT '\xff\xfe' FROM t WHERE a = '\xc3\x28'";
    assert!(classify(sql, &ClassifierConfig::default()).is_replica_safe());
    let sql = b"SELECT \xe9t\xe9 FROM t";
    assert!(classify(sql, &ClassifierConfig::default()).is_replica_safe());
    let sql = b"SELECT \xe9t\xe9(1) FROM t";
    assert_eq!(
        classify(sql, &ClassifierConfig::default()).route,
        Route::Primary(R::StoredOrUnknownFunction)
    );
    let sql = b"\x00\x01\x02 SELECT";
    assert_eq!(
        classify(sql, &ClassifierConfig::default()).route,
        Route::Primary(R::Unknown)
    );
}

#[test]
fn letter_case_does_not_matter() {
    for sql in [
        "sElEcT * FrOm t FoR uPdAtE",
        "select * from t lock in share mode",
        "Select Get_Lock('a', 1)",
        "insert into t values (1)",
    ] {
        assert!(!c(sql).is_replica_safe(), "{sql}");
        assert_eq!(c(sql).route, c(&sql.to_ascii_uppercase()).route, "{sql}");
    }
}

// ---- robustness ---------------------------------------------------------------------------------

use crate::test_rng::TestRng as Rng;

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.index(64);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        fuzz_entry::classify(&data);
    }
}

#[test]
fn random_token_soup_keeps_the_invariants() {
    const VOCAB: &[&str] = &[
        "SELECT",
        "select",
        "FROM",
        "t",
        "WHERE",
        "FOR",
        "UPDATE",
        "SHARE",
        "LOCK",
        "IN",
        "MODE",
        "INTO",
        "@x",
        "@@x",
        "@@session.",
        "@@last_insert_id",
        ":=",
        "=",
        "(",
        ")",
        ",",
        ";",
        ".",
        "'s'",
        "\"d\"",
        "`q`",
        "'",
        "\"",
        "`",
        "/*",
        "*/",
        "/*!",
        "/*M!",
        "--",
        "-- ",
        "#",
        "\n",
        " ",
        "WITH",
        "AS",
        "RECURSIVE",
        "INSERT",
        "DELETE",
        "REPLACE",
        "VALUES",
        "TABLE",
        "SET",
        "NAMES",
        "SESSION",
        "GLOBAL",
        "sluice_consistency",
        "@@sluice_consistency",
        "SHOW",
        "SLUICE",
        "MASTER",
        "STATUS",
        "EXPLAIN",
        "ANALYZE",
        "FORMAT",
        "my_func",
        "NOW",
        "COUNT",
        "GET_LOCK",
        "NEXTVAL",
        "NEXT",
        "VALUE",
        "LAST_INSERT_ID",
        "FOUND_ROWS",
        "BEGIN",
        "START",
        "TRANSACTION",
        "READ",
        "ONLY",
        "COMMIT",
        "XA",
        "USE",
        "db",
        "DO",
        "HANDLER",
        "OPEN",
        "CREATE",
        "TEMPORARY",
        "DROP",
        "PREPARE",
        "STATEMENT",
        "/* sluice: replica */",
        "/* sluice: primary */",
        "1",
        "\\",
        "\u{e9}",
        "CALL",
        "RETURNING",
        "DUAL",
        "NOT",
        "ATOMIC",
    ];
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let n = 1 + rng.below(14);
        let mut sql = Vec::new();
        for _ in 0..n {
            sql.extend_from_slice(VOCAB[rng.index(VOCAB.len())].as_bytes());
            if rng.below(3) > 0 {
                sql.push(b' ');
            }
        }
        fuzz_entry::classify(&sql);
    }
}

#[test]
fn long_and_deep_inputs() {
    let deep = "(".repeat(100_000);
    assert!(!c(&deep).is_replica_safe() || c(&deep).kind == StatementKind::Select);
    let sets = "SET STATEMENT a = 1 FOR ".repeat(10_000);
    assert_eq!(c(&sets).route, Route::Primary(R::Unknown));
    let mut big = String::from("SELECT a FROM t WHERE id IN (");
    for i in 0..2_000 {
        big.push_str(&format!("{i}, "));
    }
    big.push_str("0)");
    replica(&big);
    let comments = "/*".repeat(50_000);
    primary(&comments, R::Unparseable);
}

#[test]
fn special_functions_count_after_a_closing_parenthesis() {
    // Found by the fuzzer: `) name (` reads like a derived-table column list, but a special
    // function there must still count.
    primary("SELECT f() LAST_INSERT_ID()", R::SameConnection);
    primary("SELECT (1) GET_LOCK('a', 1)", R::Lock);
    primary("/* sluice: replica */ SELECT (2) NEXTVAL(s)", R::Sequence);
}
