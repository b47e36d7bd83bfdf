//! Criterion micro-benchmark of `sluice::classify::classify`: nanoseconds per statement for a
//! representative mix (point select, range select with a join, insert, update, begin/commit,
//! SET NAMES, a hinted select, a 2 KB select), each alone and the whole mix in one loop.
//!
//! Owns only the benchmark inputs and their measurement; it must not assert classification
//! results (the unit tests do) beyond a sanity check that each input classifies as expected.
//! Run with `cargo bench --bench classify` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sluice::classify::{classify, ClassifierConfig, Route};

fn big_select() -> String {
    let mut sql = String::from(
        "SELECT o.id, o.created_at, c.name, SUM(l.qty * l.price) AS total FROM orders o \
         JOIN customers c ON c.id = o.customer_id JOIN lines l ON l.order_id = o.id WHERE o.id IN (",
    );
    let mut i = 0;
    while sql.len() < 2000 {
        sql.push_str(&format!("{}, ", 100_000 + i));
        i += 1;
    }
    sql.push_str(
        "0) AND c.name LIKE 'a%' GROUP BY o.id, o.created_at, c.name ORDER BY total DESC LIMIT 50",
    );
    sql
}

fn statements() -> Vec<(&'static str, String, bool)> {
    vec![
        ("point_select", "SELECT c FROM sbtest1 WHERE id = 4711".into(), true),
        (
            "range_join",
            "SELECT a.id, b.name, COUNT(*) FROM orders a JOIN customers b ON a.cid = b.id \
             WHERE a.created_at BETWEEN '2024-01-01' AND '2024-02-01' GROUP BY a.id, b.name \
             ORDER BY a.id LIMIT 100"
                .into(),
            true,
        ),
        (
            "insert",
            "INSERT INTO sbtest1 (id, k, c, pad) VALUES (0, 5012, '68487932199-96439406143', '22195207048-70116052123')"
                .into(),
            false,
        ),
        ("update", "UPDATE sbtest1 SET k = k + 1 WHERE id = 4711".into(), false),
        ("begin", "BEGIN".into(), false),
        ("commit", "COMMIT".into(), false),
        ("set_names", "SET NAMES utf8mb4".into(), true),
        (
            "hinted_select",
            "/* sluice: consistency=eventual */ SELECT c FROM sbtest1 WHERE id = 4711".into(),
            true,
        ),
        ("select_2kb", big_select(), true),
    ]
}

fn bench(c: &mut Criterion) {
    let cfg = ClassifierConfig::default();
    let stmts = statements();
    for (name, sql, replica) in &stmts {
        let got = classify(sql.as_bytes(), &cfg);
        assert_eq!(got.route == Route::Replica, *replica, "{name}: {got:?}");
    }
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(1));
    for (name, sql, _) in &stmts {
        group.bench_function(*name, |b| {
            b.iter(|| classify(black_box(sql.as_bytes()), &cfg))
        });
    }
    group.throughput(Throughput::Elements(stmts.len() as u64));
    group.bench_function("mix", |b| {
        b.iter(|| {
            for (_, sql, _) in &stmts {
                black_box(classify(black_box(sql.as_bytes()), &cfg));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
