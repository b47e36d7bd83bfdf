//! `SHOW SLUICE BACKENDS` (issue 3, item 7), a result set sluice answers itself: one row per
//! backend with at least `name`, `role` (primary / replica), `address` and `statements`, and the
//! counters grow where statements are routed. Only these four columns are asserted; the others
//! are the session layer's to define.

mod common;

use common::{each_flavor, location_check, mariadb_cli, show_backends, BackendRow, Flavor, Sluice};
use mysql::prelude::Queryable;
use mysql::Conn;

/// The row of the backend listening on `port`.
fn backend(rows: &[BackendRow], port: u16) -> &BackendRow {
    rows.iter()
        .find(|b| b.port() == port)
        .unwrap_or_else(|| panic!("SHOW SLUICE BACKENDS has no backend on port {port}: {rows:?}"))
}

/// Growth of each backend's `statements` between two snapshots: (primary, [replica 1, replica 2]).
fn growth(flavor: Flavor, before: &[BackendRow], after: &[BackendRow]) -> (u64, [u64; 2]) {
    let delta = |port: u16| {
        let (b, a) = (backend(before, port), backend(after, port));
        assert!(
            a.statements >= b.statements,
            "the statements counter of {} went down: {b:?} -> {a:?}",
            a.name
        );
        a.statements - b.statements
    };
    let [r1, r2] = flavor.replica_ports();
    (delta(flavor.primary_port()), [delta(r1), delta(r2)])
}

fn run(conn: &mut Conn, sql: &str, times: usize) {
    for _ in 0..times {
        conn.query_drop(sql)
            .unwrap_or_else(|err| panic!("{sql:?}: {err}"));
    }
}

#[test]
fn show_sluice_backends_lists_every_backend_with_counters() {
    each_flavor("admin_backends", |ctx| {
        let sluice = Sluice::start(ctx.flavor);
        let mut conn = sluice.conn();
        let rows = show_backends(&mut conn);
        assert_eq!(rows.len(), 3, "one row per backend: {rows:?}");
        let primary = backend(&rows, ctx.flavor.primary_port());
        assert_eq!(primary.role, "primary", "{primary:?}");
        assert_eq!(primary.address, ctx.flavor.primary_addr(), "{primary:?}");
        for port in ctx.flavor.replica_ports() {
            let replica = backend(&rows, port);
            assert_eq!(replica.role, "replica", "{replica:?}");
            assert_eq!(replica.address, format!("127.0.0.1:{port}"), "{replica:?}");
        }
        let mut names: Vec<&str> = rows.iter().map(|b| b.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            3,
            "backend names are distinct and non-empty: {rows:?}"
        );
        assert!(names.iter().all(|n| !n.is_empty()), "{rows:?}");

        // Plain reads: counted on the replicas, both of them.
        let before = show_backends(&mut conn);
        run(&mut conn, "SELECT 1", 40);
        let after = show_backends(&mut conn);
        let (primary, [r1, r2]) = growth(ctx.flavor, &before, &after);
        location_check(r1 > 0 && r2 > 0 && r1 + r2 >= 40, || {
            format!(
                "40 plain reads: expected them counted on both replicas; the counters grew by \
                 {primary} on the primary, {r1} and {r2} on the replicas"
            )
        });

        // Writes and hinted reads: counted on the primary only.
        let before = after;
        run(&mut conn, "/* sluice: primary */ SELECT 1", 10);
        run(&mut conn, "SELECT 1 FROM DUAL FOR UPDATE", 10);
        let after = show_backends(&mut conn);
        let (primary, [r1, r2]) = growth(ctx.flavor, &before, &after);
        location_check(primary >= 20 && r1 == 0 && r2 == 0, || {
            format!(
                "20 primary statements: expected them counted on the primary only; the counters \
                 grew by {primary} on the primary, {r1} and {r2} on the replicas"
            )
        });

        // sluice answers it on any client, e.g. the mariadb CLI (text, with column names).
        let out = mariadb_cli(sluice.port, "SHOW SLUICE BACKENDS", &["--column-names"]);
        let text = out.ok();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        for column in ["name", "role", "address", "statements"] {
            assert!(
                header.iter().any(|h| h.eq_ignore_ascii_case(column)),
                "the CLI's SHOW SLUICE BACKENDS has no {column:?} column: {text}"
            );
        }
        assert_eq!(lines.count(), 3, "three backends in the CLI output: {text}");
    });
}
