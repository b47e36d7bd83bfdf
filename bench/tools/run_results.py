#!/usr/bin/env python3
"""bench/run.sh's results: one run's output to one JSON line, and the runs to medians.

  record --tool loadgen|sysbench --workload W --connections C --round R --target T --cpu-s S|null|client
      reads loadgen's --json report or sysbench's text output (with --histogram=on) on stdin,
      prints one JSON line: throughput, latency percentiles (µs), queries, errors, and the CPU
      seconds given (a proxy's), or with `client` loadgen's own from its report.
  line
      reads one such JSON line on stdin, prints it as one human line (progress on stderr).
  render --json SUMMARY.json --markdown OUT.md
      the markdown again from a summary (after a change of format, without running again).
  summarize --runs RUNS.jsonl --json OUT.json --markdown OUT.md --target NAME:pid|nopid ... [meta]
      medians of rounds per workload x connections x target, ratios and added latency against
      `direct`; writes the summary JSON (what bench/tools/chart.py draws) and the markdown table.

Standard library only.
"""

import argparse
import json
import math
import re
import statistics
import sys

PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9))


def parse_loadgen(text):
    r = json.loads(text)
    lat = r["latency_us"]
    return {
        "duration_s": r["duration_s"],
        "events": r["events"],
        "queries": r["queries"],
        "throughput": r["throughput_per_sec"],
        "qps": r["queries_per_sec"],
        "p50": lat["p50"],
        "p90": lat["p90"],
        "p99": lat["p99"],
        "p999": lat["p999"],
        "errors": r["errors"]["total"],
        # loadgen's own CPU over the measured part (for `record --cpu-s client`).
        "client_cpu_s": r["cpu_s"]["user"] + r["cpu_s"]["sys"],
    }


def sysbench_percentile(histogram, pct):
    """sysbench's own method (sb_histogram_getpct): the first bucket at which the running count
    reaches pct of all events."""
    total = sum(n for _, n in histogram)
    if total == 0:
        return None
    need = max(1, math.floor(total * pct / 100 + 0.5))
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= need:
            return value
    return histogram[-1][0]


def parse_sysbench(text):
    def number(pattern):
        m = re.search(pattern, text, re.M)
        if not m:
            raise ValueError(f"sysbench output without {pattern!r}")
        return float(m.group(1))

    histogram = [
        (float(m.group(1)) * 1000.0, int(m.group(2)))  # ms -> µs
        for m in re.finditer(r"^\s+([0-9.]+) \|[* ]*\s(\d+)\s*$", text, re.M)
    ]
    if not histogram:
        raise ValueError("sysbench output without a latency histogram (--histogram=on)")
    histogram.sort()
    out = {
        "duration_s": number(r"^\s+total time:\s+([0-9.]+)s"),
        "events": int(number(r"^\s+transactions:\s+(\d+)")),
        "queries": int(number(r"^\s+queries:\s+(\d+)")),
        "throughput": number(r"^\s+transactions:\s+\d+\s+\(([0-9.]+) per sec"),
        "qps": number(r"^\s+queries:\s+\d+\s+\(([0-9.]+) per sec"),
        "errors": int(number(r"^\s+ignored errors:\s+(\d+)")),
    }
    for key, pct in PERCENTILES:
        out[key] = round(sysbench_percentile(histogram, pct))
    return out


def cmd_record(a):
    text = sys.stdin.read()
    parsed = parse_loadgen(text) if a.tool == "loadgen" else parse_sysbench(text)
    if a.cpu_s == "client":
        cpu_s = parsed.pop("client_cpu_s")
    else:
        parsed.pop("client_cpu_s", None)
        cpu_s = None if a.cpu_s in ("null", "-", "") else float(a.cpu_s)
    rec = {
        "tool": a.tool,
        "workload": a.workload,
        "connections": a.connections,
        "round": a.round,
        "target": a.target,
        **parsed,
        "cpu_s": cpu_s,
        "cpu_us_per_query": (cpu_s * 1e6 / parsed["queries"]) if cpu_s is not None and parsed["queries"] else None,
    }
    print(json.dumps(rec, separators=(",", ":")))


def cmd_line(_a):
    r = json.loads(sys.stdin.read())
    cpu = "" if r["cpu_us_per_query"] is None else f", CPU {r['cpu_us_per_query']:.1f} µs/query"
    print(
        f"round {r['round']} {r['tool']} {r['workload']} c={r['connections']} {r['target']}: "
        f"{r['throughput']:.0f}/s, p50 {r['p50']} p99 {r['p99']} µs, {r['errors']} errors{cpu}"
    )


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs, targets):
    """Rows in run order of (tool, workload, connections), targets in the given order."""
    groups = {}
    for r in runs:
        key = (r["tool"], r["workload"], r["connections"])
        groups.setdefault(key, {}).setdefault(r["target"], []).append(r)
    rows = []
    for (tool, workload, conns), by_target in groups.items():
        direct = by_target.get("direct", [])
        d_thr = median([r["throughput"] for r in direct])
        d_p50 = median([r["p50"] for r in direct])
        for name, _has_pid in targets:
            rs = by_target.get(name)
            if not rs:
                continue
            thr = [r["throughput"] for r in rs]
            m = median(thr)
            row = {
                "tool": tool,
                "workload": workload,
                "connections": conns,
                "target": name,
                "rounds": len(rs),
                "throughput": m,
                "throughput_min": min(thr),
                "throughput_max": max(thr),
                "spread": (max(thr) - min(thr)) / m if m else None,
                "qps": median([r["qps"] for r in rs]),
                "vs_direct": m / d_thr if d_thr else None,
                "errors": sum(r["errors"] for r in rs),
                "cpu_us_per_query": median([r["cpu_us_per_query"] for r in rs]),
            }
            for key, _ in PERCENTILES:
                row[key] = median([r[key] for r in rs])
            row["added_p50"] = row["p50"] - d_p50 if d_p50 is not None else None
            rows.append(row)
    return rows


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def markdown(meta, rows):
    title = f"# One benchmark command: direct, sluice and peers side by side ({meta['flavor']})"
    if meta["label"]:
        title += f" — {meta['label']}"
    out = [title, ""]
    if meta["label"]:
        out += [f"**{meta['label']}** (`--label`)", ""]
    out += [
        f"{meta['date']}, {meta['cores']} cores, {meta['server']}, {meta['sysbench']}; "
        f"{meta['rounds']} interleaved round(s) of {meta['seconds']} s per run (each round: every workload, "
        f"connection count and target in turn); medians of rounds. Load average (1/5/15 min) before / after: "
        f"{meta['load']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"![throughput and latency per target]({meta['chart']})",
        "",
        "| workload | conns | target | req/s | vs direct | spread | p50 µs | p90 µs | p99 µs | p99.9 µs | added p50 µs | CPU µs/query | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    has_pid = dict(meta["targets"])
    for r in rows:
        cpu = fmt(r["cpu_us_per_query"], ".1f") if has_pid.get(r["target"]) else "-"
        spread = f"{r['spread'] * 100:.0f}%" if r["spread"] is not None and r["rounds"] > 1 else "-"
        out.append(
            f"| {r['tool']} {r['workload']} | {r['connections']} | {r['target']} | {r['throughput']:.0f} | "
            f"{fmt(r['vs_direct'], '.2f')} | {spread} | "
            f"{r['p50']:.0f} | {r['p90']:.0f} | {r['p99']:.0f} | {r['p999']:.0f} | "
            f"{fmt(r['added_p50'], '+.0f')} | {cpu} | {r['errors']} |"
        )
    out += [
        "",
        "- **req/s**: requests per second, median of rounds. A request is one sysbench event: one",
        "  `SELECT c FROM sbtestN WHERE id=?` for point-select, one 20-statement transaction for",
        "  read-write. **spread**: (max − min) / median of the rounds' throughput.",
        "- **latency**: per run, the percentile of all its requests; the table shows the median over",
        "  rounds. loadgen: its hdrhistogram (closed loop, send to answer). sysbench: its own latency",
        "  histogram (`--histogram=on`), read with sysbench's percentile method (buckets about 2 % wide).",
        "  **added p50**: the target's p50 minus direct's.",
        "- **CPU µs/query**: utime+stime of the proxy process (/proc/PID/stat, 10 ms ticks) from the",
        "  start to the end of each of its own runs (connection set-up and its monitor included),",
        "  divided by the statements the client sent (BEGIN/COMMIT included); median of rounds. `direct`",
        "  has no proxy; a peer given without `:PID` has no figure.",
        "- Tables: database `sbtest`, 4 tables of 10,000 rows (one `loadgen prepare`, sysbench's schema).",
        "  `direct` is the primary alone; sluice (session consistency) sends reads outside transactions",
        "  to the two replicas, and transactions to the primary.",
        "- Client, servers and proxy share the cores: a run's figures include the contention.",
    ]
    return "\n".join(out) + "\n"


def cmd_summarize(a):
    runs = [json.loads(line) for line in open(a.runs) if line.strip()]
    targets = []
    for t in a.target:
        name, _, pid = t.partition(":")
        targets.append((name, pid == "pid"))
    rows = summarize(runs, targets)
    meta = {
        "flavor": a.flavor,
        "command": a.command,
        "date": a.date,
        "seconds": a.seconds,
        "rounds": a.rounds,
        "cores": a.cores,
        "load": a.load,
        "server": a.server,
        "sysbench": a.sysbench,
        "label": a.label,
        "chart": a.chart,
        "targets": targets,
    }
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
        f.write("\n")
    with open(a.markdown, "w") as f:
        f.write(markdown(meta, rows))


def cmd_render(a):
    with open(a.json) as f:
        summary = json.load(f)
    with open(a.markdown, "w") as f:
        f.write(markdown(summary["meta"], summary["rows"]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--tool", choices=("loadgen", "sysbench"), required=True)
    r.add_argument("--workload", required=True)
    r.add_argument("--connections", type=int, required=True)
    r.add_argument("--round", type=int, required=True)
    r.add_argument("--target", required=True)
    r.add_argument("--cpu-s", default="null")
    sub.add_parser("line")
    s = sub.add_parser("summarize")
    s.add_argument("--runs", required=True)
    s.add_argument("--json", required=True)
    s.add_argument("--markdown", required=True)
    s.add_argument("--target", action="append", required=True, help="NAME:pid or NAME:nopid, in table order")
    for opt in ("flavor", "command", "date", "load", "server", "sysbench", "label", "chart"):
        s.add_argument(f"--{opt}", default="")
    for opt in ("seconds", "rounds", "cores"):
        s.add_argument(f"--{opt}", type=int, default=0)
    d = sub.add_parser("render")
    d.add_argument("--json", required=True)
    d.add_argument("--markdown", required=True)
    a = p.parse_args()
    {"record": cmd_record, "line": cmd_line, "summarize": cmd_summarize, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    main()
