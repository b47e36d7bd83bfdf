//! The report as text for people: one figure per line, the checker's counts and a per-port table
//! of reads for read-after-write.
//!
//! It must show the same figures as the JSON report, nothing computed differently.

use std::fmt::Write as _;

use super::{Percentiles, Report};

fn latency_line(p: Percentiles) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        p.p50, p.p90, p.p99, p.p999, p.max
    )
}

/// The report as text (ends with a newline).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write_report(report, &mut out);
    out
}

fn write_report(report: &Report, out: &mut String) -> std::fmt::Result {
    let run = &report.run;
    let totals = &report.totals;
    let mode = match run.rate {
        Some(rate) => format!("open loop at {rate} requests/s"),
        None => "closed loop".to_owned(),
    };
    writeln!(
        out,
        "workload        {} ({} protocol), {} connections on {} thread{}, {mode}",
        run.workload,
        run.protocol,
        run.connections,
        run.threads,
        if run.threads == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "measured        {:.2} s (after {:.2} s of warmup)",
        report.measured.as_secs_f64(),
        run.warmup.as_secs_f64()
    )?;
    writeln!(
        out,
        "throughput      {:.1} requests/s ({} requests), {:.1} queries/s ({} queries)",
        report.throughput(),
        totals.events,
        report.queries_per_second(),
        totals.queries
    )?;
    writeln!(
        out,
        "latency (µs)    {}",
        latency_line(Percentiles::of(&totals.latency))
    )?;
    if totals.unsent > 0 {
        writeln!(
            out,
            "unsent          {} (due before the end but never sent: behind the rate)",
            totals.unsent
        )?;
    }
    write!(out, "errors          {}", totals.errors_total())?;
    let codes: Vec<String> = totals
        .errors
        .iter()
        .map(|(code, count)| format!("{code}: {count}"))
        .collect();
    if !codes.is_empty() {
        write!(out, " ({})", codes.join(", "))?;
    }
    writeln!(out)?;
    match report.cpu_us_per_query() {
        Some(per_query) => writeln!(
            out,
            "cpu             {per_query:.1} µs per query (user {:.2} s, sys {:.2} s)",
            report.cpu.user.as_secs_f64(),
            report.cpu.sys.as_secs_f64()
        )?,
        None => writeln!(out, "cpu             no queries")?,
    }
    let Some(check) = &report.check else {
        writeln!(out, "stale reads     {}", totals.stale_reads)?;
        return Ok(());
    };
    writeln!(out, "check           {}", check.kind)?;
    writeln!(out, "checked reads   {}", totals.checked_reads)?;
    write!(out, "stale reads     {}", totals.stale_reads)?;
    if totals.missing_rows > 0 {
        write!(out, " ({} found no row)", totals.missing_rows)?;
    }
    writeln!(out)?;
    if let Some((primary, replica)) = report.primary_and_replica_reads() {
        writeln!(out, "primary reads   {primary}")?;
        writeln!(out, "replica reads   {replica}")?;
    }
    writeln!(out, "reads by port")?;
    for (port, count) in &totals.reads_by_port {
        let role = match check.primary_port {
            Some(primary) if primary == *port => " (primary)",
            Some(_) => " (replica)",
            None => "",
        };
        writeln!(out, "  {port:>6}  {count:>10}{role}")?;
    }
    writeln!(
        out,
        "read (µs)       {}",
        latency_line(Percentiles::of(&totals.read_latency))
    )?;
    writeln!(
        out,
        "write (µs)      {}",
        latency_line(Percentiles::of(&totals.write_latency))
    )?;
    if let Some(max) = check.max_stale {
        let verdict = if report.too_stale() { "FAILED" } else { "ok" };
        writeln!(
            out,
            "max stale       {max}: {verdict} ({} stale)",
            totals.stale_reads
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn shows_the_checker_counts() {
        let text = render(&sample());
        assert!(text.contains("throughput      500.0 requests/s"), "{text}");
        assert!(text.contains("errors          2 (1213: 2)"), "{text}");
        assert!(text.contains("stale reads     3"), "{text}");
        assert!(text.contains("replica reads   600"), "{text}");
        assert!(text.contains("3308         600 (replica)"), "{text}");
        assert!(text.contains("max stale       0: FAILED"), "{text}");
        assert!(text.contains("cpu             20.0 µs per query"), "{text}");
    }
}
