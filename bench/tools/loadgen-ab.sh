#!/usr/bin/env bash
# loadgen against sysbench, and one loadgen build against another, direct to the primary, side by
# side in one run: per round and connection count, sysbench oltp_point_select, then each loadgen
# point-select, 4 sbtest tables of 10,000 rows (bench/run.sh's prepare makes them). Prints per run
# and the medians: queries/s, p50, and the client's own CPU µs per query (sysbench's from
# /usr/bin/time, loadgen's from its --json report).
#
#   bench/tools/loadgen-ab.sh [--flavor mariadb|mysql] [--time S] [--rounds N] [--connections "1 8"]
#                             [--loadgen NAME=PATH]...
# Default: one loadgen, target/release/loadgen (built if missing), named "loadgen".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

flavor=mariadb time_s=5 rounds=3 conns="1 8" loadgens=()
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --time) time_s=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --loadgen) loadgens+=("$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
case $flavor in mariadb) port=3307 ;; mysql) port=3317 ;; *) echo "unknown flavor $flavor" >&2; exit 2 ;; esac
if ((${#loadgens[@]} == 0)); then
    [[ -x target/release/loadgen ]] || cargo build --release -p loadgen >&2
    loadgens=("loadgen=target/release/loadgen")
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

sb() { # connections -> "qps p50_us cpu_us_per_query"
    /usr/bin/time -f "%U %S" -o "$out/time" sysbench oltp_point_select --mysql-host=127.0.0.1 \
        --mysql-port="$port" --mysql-user=app --mysql-password=app --mysql-db=sbtest --tables=4 \
        --table-size=10000 --threads="$1" --time="$time_s" --report-interval=0 --percentile=50 \
        run >"$out/sb" 2>&1
    python3 - "$out/sb" "$out/time" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
queries = int(re.search(r"queries:\s+(\d+)", text).group(1))
qps = float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", text).group(1))
p50 = float(re.search(r"50th percentile:\s+([\d.]+)", text).group(1)) * 1000
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
print(f"{qps:.0f} {p50:.0f} {(user + system) / queries * 1e6:.1f}")
PY
}

lg() { # binary connections -> "qps p50_us cpu_us_per_query"
    "$1" --host 127.0.0.1 --port "$port" -u app -p app --database sbtest --tables 4 \
        --table-size 10000 --workload point-select --connections "$2" --duration "${time_s}s" \
        --json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("%.0f %s %.1f" % (r["throughput_per_sec"], r["latency_us"]["p50"], r["cpu_us_per_query"]))'
}

: >"$out/runs"
for ((round = 1; round <= rounds; round++)); do
    for c in $conns; do
        line=$(sb "$c")
        echo "round=$round connections=$c sysbench: $line" >&2
        echo "$c sysbench $line" >>"$out/runs"
        for spec in "${loadgens[@]}"; do
            line=$(lg "${spec#*=}" "$c")
            echo "round=$round connections=$c ${spec%%=*}: $line" >&2
            echo "$c ${spec%%=*} $line" >>"$out/runs"
        done
    done
done

echo "# loadgen against sysbench, direct to the $flavor primary ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "$rounds interleaved rounds of ${time_s}s; medians of rounds. Command: \`bench/tools/loadgen-ab.sh --flavor $flavor --time $time_s --rounds $rounds --connections \"$conns\"$(printf ' --loadgen %s' "${loadgens[@]}")\`"
echo
python3 - "$out/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    c, name, qps, p50, cpu = line.split()
    runs.setdefault((int(c), name), []).append((float(qps), float(p50), float(cpu)))
print("| connections | client | queries/s | vs sysbench | p50 µs | client CPU µs/query |")
print("|---|---|---|---|---|---|")
for (c, name), rs in runs.items():
    med = [statistics.median(x) for x in zip(*rs)]
    base = statistics.median(r[0] for r in runs[(c, "sysbench")])
    print(f"| {c} | {name} | {med[0]:.0f} | {med[0] / base:.2f} | {med[1]:.0f} | {med[2]:.1f} |")
PY
