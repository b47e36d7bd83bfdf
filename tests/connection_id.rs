//! The connection id in sluice's greeting never names a backend thread: a client's
//! `KILL QUERY <greeting id>` (what the mysql CLI sends on Ctrl-C) must fail with "Unknown thread
//! id" instead of killing an unrelated connection on the primary.

mod common;

use common::{each_flavor, server_error, Sluice};
use mysql::prelude::Queryable;

#[test]
fn greeting_id_cannot_kill_a_backend_thread() {
    each_flavor("connid", |ctx| {
        let sluice = Sluice::start_primary_only(ctx.flavor);
        let victim = sluice.conn();
        let id = victim.connection_id();
        assert!(
            id >= 0x8000_0000,
            "greeting id {id} could collide with a backend thread id"
        );
        let mut other = sluice.conn();
        let err = server_error(other.query_drop(format!("KILL QUERY {id}")), "KILL QUERY");
        assert_eq!(err.code, 1094, "{err:?}");
        let mut victim = victim;
        let one: Option<i64> = victim.query_first("SELECT 1").expect("victim still works");
        assert_eq!(one, Some(1));
    });
}
