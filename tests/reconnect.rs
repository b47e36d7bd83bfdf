//! A session whose backend connection is lost: with only replayable state (schema chosen with
//! `USE`, `SET NAMES`, session variables) it gets an ERR for the failed command and then goes on
//! with exactly the same settings on a new connection; with connection-bound state (an open
//! transaction, a temporary table) it gets the ERR and is then closed, as a server restart would
//! close it, instead of going on silently without that state.

mod common;

use std::time::Duration;

use common::forwarder::{with_primary, Forwarder};
use common::{each_flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::Conn;

type Settings = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn settings(conn: &mut Conn) -> mysql::Result<Option<Settings>> {
    conn.query_first("SELECT DATABASE(), @@character_set_client, @@sql_mode, @@time_zone")
}

#[test]
fn replayable_state_survives_a_lost_backend() {
    each_flavor("reconnect_state", |ctx| {
        let mut forwarder = Forwarder::start(ctx.flavor.primary_addr());
        let sluice =
            Sluice::start_primary_only_with(ctx.flavor, with_primary(ctx.flavor, forwarder.addr()));
        let mut conn = Conn::new(sluice.opts().read_timeout(Some(Duration::from_secs(15))))
            .expect("login through sluice");
        conn.query_drop("USE sbtest").expect("USE");
        conn.query_drop("SET NAMES latin1").expect("SET NAMES");
        conn.query_drop("SET SESSION sql_mode = 'ANSI_QUOTES', time_zone = '+03:00'")
            .expect("SET SESSION");
        let before = settings(&mut conn).expect("settings before");

        forwarder.down();
        assert!(
            matches!(settings(&mut conn), Err(mysql::Error::MySqlError(_))),
            "a query with the primary down gets an ERR"
        );
        forwarder.up();
        let after = settings(&mut conn).expect("the session works again");
        assert_eq!(
            after, before,
            "schema, character set and session variables restored"
        );
    });
}

#[test]
fn connection_bound_state_closes_the_session_on_loss() {
    each_flavor("reconnect_bound", |ctx| {
        for setup in [
            "BEGIN",
            "CREATE TEMPORARY TABLE t_reconnect_tmp (a INT)",
            "SET @user_variable = 1",
        ] {
            let mut forwarder = Forwarder::start(ctx.flavor.primary_addr());
            let sluice = Sluice::start_primary_only_with(
                ctx.flavor,
                with_primary(ctx.flavor, forwarder.addr()),
            );
            let mut conn = Conn::new(sluice.opts().read_timeout(Some(Duration::from_secs(15))))
                .expect("login through sluice");
            conn.query_drop(setup).expect(setup);
            forwarder.down();
            let first = conn.query_drop("SELECT 1");
            assert!(
                first.is_err(),
                "{setup}: the query with the primary down must fail"
            );
            forwarder.up();
            let second = conn.query_drop("SELECT 1");
            assert!(
                matches!(second, Err(ref e) if !matches!(e, mysql::Error::MySqlError(_))),
                "{setup}: the session must be closed rather than go on without its state, got {second:?}"
            );
            // Other sessions are fine.
            let mut fresh = sluice.conn();
            fresh.query_drop("SELECT 1").expect("a new session works");
        }
    });
}
