//! The report as one JSON object (the `--json` contract; the schema is in loadgen/README.md).
//!
//! It must not drop or rename a field scripts rely on: `throughput_per_sec`, `latency_us`
//! {`p50`,`p90`,`p99`,`p999`,`max`}, `errors` (code -> count, plus `total`), `stale_reads`,
//! `cpu_us_per_query`, and for read-after-write the checker's counts.

use serde_json::{json, Map, Value};

use super::{Percentiles, Report};

fn latency(p: Percentiles) -> Value {
    json!({
        "p50": p.p50,
        "p90": p.p90,
        "p99": p.p99,
        "p999": p.p999,
        "max": p.max,
        "mean": p.mean,
    })
}

/// The report as a JSON object.
pub fn render(report: &Report) -> Value {
    let totals = &report.totals;
    let mut errors = Map::new();
    for (code, count) in &totals.errors {
        errors.insert(code.to_string(), json!(count));
    }
    errors.insert("total".into(), json!(totals.errors_total()));
    let mut out = json!({
        "workload": report.run.workload,
        "protocol": report.run.protocol,
        "connections": report.run.connections,
        "threads": report.run.threads,
        "rate": report.run.rate,
        "warmup_s": report.run.warmup.as_secs_f64(),
        "duration_s": report.measured.as_secs_f64(),
        "events": totals.events,
        "queries": totals.queries,
        "throughput_per_sec": report.throughput(),
        "queries_per_sec": report.queries_per_second(),
        "latency_us": latency(Percentiles::of(&totals.latency)),
        "errors": errors,
        "stale_reads": totals.stale_reads,
        "unsent": totals.unsent,
        "cpu_us_per_query": report.cpu_us_per_query(),
        "cpu_s": {
            "user": report.cpu.user.as_secs_f64(),
            "sys": report.cpu.sys.as_secs_f64(),
        },
    });
    if let (Some(check), Value::Object(fields)) = (&report.check, &mut out) {
        let by_port: Map<String, Value> = totals
            .reads_by_port
            .iter()
            .map(|(port, count)| (port.to_string(), json!(count)))
            .collect();
        let split = report.primary_and_replica_reads();
        let extra = json!({
            "check": check.kind,
            "checked_reads": totals.checked_reads,
            "missing_rows": totals.missing_rows,
            "reads_by_port": by_port,
            "primary_port": check.primary_port,
            "primary_reads": split.map(|(primary, _)| primary),
            "replica_reads": split.map(|(_, replica)| replica),
            "read_latency_us": latency(Percentiles::of(&totals.read_latency)),
            "write_latency_us": latency(Percentiles::of(&totals.write_latency)),
            "writes": totals.write_latency.len(),
            "max_stale": check.max_stale,
        });
        if let Value::Object(extra) = extra {
            fields.extend(extra);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn the_contract_fields_are_there() {
        let report = sample();
        let value = render(&report);
        assert_eq!(value["throughput_per_sec"], json!(500.0));
        assert_eq!(value["latency_us"]["p50"], json!(500));
        assert_eq!(value["latency_us"]["p999"], json!(999));
        assert_eq!(value["latency_us"]["max"], json!(1000));
        assert_eq!(value["errors"]["1213"], json!(2));
        assert_eq!(value["errors"]["total"], json!(2));
        assert_eq!(value["stale_reads"], json!(3));
        assert_eq!(value["cpu_us_per_query"], json!(20.0));
        assert_eq!(value["reads_by_port"]["3308"], json!(600));
        assert_eq!(value["primary_reads"], json!(400));
        assert_eq!(value["replica_reads"], json!(600));
        assert_eq!(value["checked_reads"], json!(1000));
        // One line of valid JSON.
        let text = value.to_string();
        assert!(!text.contains('\n'));
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn no_checker_fields_for_oltp() {
        let mut report = sample();
        report.check = None;
        let value = render(&report);
        assert!(value.get("checked_reads").is_none());
        assert_eq!(value["stale_reads"], json!(3));
    }
}
