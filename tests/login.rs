//! Client login through sluice: right and wrong passwords, unknown users, connect-with-db (good and
//! bad), both listener auth plugins (with and without an auth switch), and COM_CHANGE_USER.

mod common;

use common::{each_flavor, mariadb_cli, server_error, Sluice, DATABASE, USER};
use mysql::prelude::Queryable;
use mysql::{ChangeUserOpts, Conn, Value};

/// MySQL's wording for a refused login from 127.0.0.1.
fn access_denied(user: &str) -> String {
    format!("Access denied for user '{user}'@'127.0.0.1' (using password: YES)")
}

fn native_listener(cfg: String) -> String {
    let out = cfg.replacen(
        "[shards]",
        "auth_plugin = \"mysql_native_password\"\n\n[shards]",
        1,
    );
    assert_ne!(out, cfg, "config edit did not apply");
    out
}

fn select_one(conn: &mut Conn) -> Option<i64> {
    conn.query_first("SELECT 1").expect("SELECT 1 after login")
}

#[test]
fn correct_password_logs_in_with_crate_and_cli() {
    each_flavor("login_ok", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let mut conn = sluice.conn();
        assert_eq!(select_one(&mut conn), Some(1));
        let user: Option<String> = conn
            .query_first("SELECT CURRENT_USER()")
            .expect("CURRENT_USER()");
        assert_eq!(
            user.as_deref().and_then(|u| u.split('@').next()),
            Some(USER),
            "backend user"
        );

        let sql = "SELECT 1 + 1, 'x', DATABASE()";
        let through = sluice.cli(sql);
        let direct = ctx.flavor.direct_cli(sql);
        assert_eq!(
            through.ok(),
            direct.ok(),
            "CLI output through sluice vs direct"
        );
        assert_eq!(through.ok(), format!("2\tx\t{DATABASE}\n"));
    });
}

#[test]
fn wrong_password_is_access_denied() {
    each_flavor("login_bad_pw", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let err = server_error(
            Conn::new(sluice.opts().pass(Some("not-the-password"))),
            "login with a wrong password",
        );
        assert_eq!(
            (err.code, err.state.as_str(), err.message.as_str()),
            (1045, "28000", access_denied(USER).as_str())
        );

        let cli = mariadb_cli(sluice.port, "SELECT 1", &["-pwrong"]);
        assert!(!cli.status.success(), "CLI with a wrong password succeeded");
        assert!(
            cli.stderr
                .contains(&format!("ERROR 1045 (28000): {}", access_denied(USER))),
            "CLI stderr: {}",
            cli.stderr
        );
        // A good session still works afterwards.
        assert_eq!(select_one(&mut sluice.conn()), Some(1));
    });
}

#[test]
fn unknown_user_is_access_denied() {
    each_flavor("login_unknown", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let err = server_error(
            Conn::new(sluice.opts().user(Some("nobody_here")).pass(Some("x"))),
            "login as an unknown user",
        );
        assert_eq!(
            (err.code, err.state.as_str(), err.message.as_str()),
            (1045, "28000", access_denied("nobody_here").as_str())
        );
    });
}

#[test]
fn connect_with_database() {
    each_flavor("login_db", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        for db in ["sluice_test", "sbtest"] {
            let mut conn = Conn::new(sluice.opts().db_name(Some(db)))
                .unwrap_or_else(|err| panic!("connect with db {db}: {err}"));
            let current: Option<String> = conn
                .query_first("SELECT DATABASE()")
                .expect("SELECT DATABASE()");
            assert_eq!(current.as_deref(), Some(db));
        }
        // No database at all.
        let mut conn = Conn::new(sluice.opts().db_name(None::<String>)).expect("connect, no db");
        let current: Option<Value> = conn
            .query_first("SELECT DATABASE()")
            .expect("SELECT DATABASE()");
        assert_eq!(current, Some(Value::NULL));
    });
}

#[test]
fn unknown_database_error_is_relayed() {
    each_flavor("login_nodb", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        // `app` holds ALL ON `sluice_test`.*, where `_` is a wildcard: `sluicextest` is covered by
        // the grant but does not exist (1049); a name outside the grants is refused (1044).
        for (db, code) in [("sluicextest", 1049), ("sluice_no_such_database", 1044)] {
            let expected = server_error(
                Conn::new(ctx.flavor.direct_opts().db_name(Some(db))),
                "direct connect to a missing database",
            );
            assert_eq!(expected.code, code, "direct: {expected:?}");
            let got = server_error(
                Conn::new(sluice.opts().db_name(Some(db))),
                "connect through sluice to a missing database",
            );
            assert_eq!(
                (got.code, got.state, got.message),
                (expected.code, expected.state, expected.message)
            );
        }
        assert_eq!(select_one(&mut sluice.conn()), Some(1));
    });
}

#[test]
fn native_password_listener() {
    each_flavor("login_native", |ctx| {
        let sluice = Sluice::start_primary_only_with(ctx.flavor, native_listener);
        // The crate answers with the plugin the greeting names: no switch.
        assert_eq!(select_one(&mut sluice.conn()), Some(1));
        let err = server_error(
            Conn::new(sluice.opts().pass(Some("nope"))),
            "wrong password, native listener",
        );
        assert_eq!((err.code, err.state.as_str()), (1045, "28000"));
        assert_eq!(err.message, access_denied(USER));
        // The CLI answering with caching_sha2_password first forces an auth switch.
        let cli = mariadb_cli(
            sluice.port,
            "SELECT 7",
            &["--default-auth=caching_sha2_password"],
        );
        assert_eq!(cli.ok(), "7\n");
        let cli = mariadb_cli(sluice.port, "SELECT 8", &[]);
        assert_eq!(cli.ok(), "8\n");
    });
}

#[test]
fn caching_sha2_listener_with_auth_switch() {
    each_flavor("login_switch", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        // The CLI answering with mysql_native_password first forces an auth switch to
        // caching_sha2_password.
        let cli = mariadb_cli(
            sluice.port,
            "SELECT 9",
            &["--default-auth=mysql_native_password"],
        );
        assert_eq!(cli.ok(), "9\n");
        let cli = mariadb_cli(
            sluice.port,
            "SELECT 9",
            &["--default-auth=mysql_native_password", "-pwrong"],
        );
        assert!(
            cli.stderr
                .contains(&format!("ERROR 1045 (28000): {}", access_denied(USER))),
            "CLI stderr: {}",
            cli.stderr
        );
    });
}

#[test]
fn change_user_resets_session() {
    each_flavor("login_change_user", |ctx| {
        for native in [false, true] {
            let sluice = if native {
                Sluice::start_primary_only_with(ctx.flavor, native_listener)
            } else {
                Sluice::start_primary_only(ctx.flavor)
            };
            let listener = if native { "native" } else { "caching_sha2" };
            let mut conn = sluice.conn();
            conn.query_drop("SET @sluice_v = 42")
                .expect("set user variable");
            let before: Option<i64> = conn.query_first("SELECT @sluice_v").expect("read variable");
            assert_eq!(before, Some(42));

            conn.change_user(ChangeUserOpts::DEFAULT)
                .unwrap_or_else(|err| {
                    panic!("{listener}: COM_CHANGE_USER to the same user: {err}")
                });
            let after: Option<Value> = conn.query_first("SELECT @sluice_v").expect("read variable");
            assert_eq!(
                after,
                Some(Value::NULL),
                "{listener}: user variable survived change_user"
            );
            let db: Option<String> = conn.query_first("SELECT DATABASE()").expect("database");
            assert_eq!(db.as_deref(), Some(DATABASE));

            conn.change_user(ChangeUserOpts::default().with_db_name(Some("sbtest".to_owned())))
                .unwrap_or_else(|err| panic!("{listener}: COM_CHANGE_USER with another db: {err}"));
            let db: Option<String> = conn.query_first("SELECT DATABASE()").expect("database");
            assert_eq!(db.as_deref(), Some("sbtest"), "{listener}");

            let err = server_error(
                conn.change_user(ChangeUserOpts::default().with_pass(Some("wrong".to_owned()))),
                "COM_CHANGE_USER with a wrong password",
            );
            assert_eq!(
                (err.code, err.state.as_str()),
                (1045, "28000"),
                "{listener}: {err:?}"
            );
            assert_eq!(err.message, access_denied(USER));

            assert_eq!(select_one(&mut sluice.conn()), Some(1));
        }
    });
}

#[test]
fn change_user_matches_direct_behaviour() {
    each_flavor("login_change_direct", |ctx| {
        // The same sequence directly, to be sure the expectations above are the server's own.
        let mut direct = ctx.flavor.direct_conn();
        direct
            .query_drop("SET @sluice_v = 1")
            .expect("set variable");
        direct
            .change_user(ChangeUserOpts::DEFAULT)
            .expect("direct change_user");
        let after: Option<Value> = direct.query_first("SELECT @sluice_v").expect("read");
        assert_eq!(after, Some(Value::NULL));
        let err = server_error(
            direct.change_user(ChangeUserOpts::default().with_pass(Some("wrong".to_owned()))),
            "direct change_user with a wrong password",
        );
        assert_eq!(err.code, 1045);
    });
}
