#!/usr/bin/env bash
# loadgen against sysbench, and one loadgen build against another, direct to the primary, side by
# side in one run: per round and connection count, sysbench oltp_point_select, then each loadgen
# point-select, 4 sbtest tables of 10,000 rows (bench/run.sh's prepare makes them). Prints per run
# and the medians: queries/s, p50, and the client's own CPU µs per query (sysbench's from
# /usr/bin/time, loadgen's from its --json report).
# Each run's output is read by bench/tools/run_results.py, as in bench/run.sh (sysbench's p50 from
# its latency histogram).
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

runs=$out/runs.jsonl
: >"$runs"
record() { # tool connections round target cpu_s <output
    python3 bench/tools/run_results.py record --tool "$1" --workload point-select --connections "$2" \
        --round "$3" --target "$4" --cpu-s "$5" | tee -a "$runs" | python3 bench/tools/run_results.py line >&2
}

for ((round = 1; round <= rounds; round++)); do
    for c in $conns; do
        /usr/bin/time -f "%U %S" -o "$out/time" sysbench oltp_point_select --mysql-host=127.0.0.1 \
            --mysql-port="$port" --mysql-user=app --mysql-password=app --mysql-db=sbtest --tables=4 \
            --table-size=10000 --threads="$c" --time="$time_s" --report-interval=0 --histogram=on \
            run >"$out/sb"
        record sysbench "$c" "$round" sysbench "$(awk '{print $1 + $2}' "$out/time")" <"$out/sb"
        for spec in "${loadgens[@]}"; do
            "${spec#*=}" --host 127.0.0.1 --port "$port" -u app -p app --database sbtest --tables 4 \
                --table-size 10000 --workload point-select --connections "$c" \
                --duration "${time_s}s" --json 2>/dev/null >"$out/lg"
            record loadgen "$c" "$round" "${spec%%=*}" client <"$out/lg"
        done
    done
done

echo "# loadgen against sysbench, direct to the $flavor primary ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "$rounds interleaved rounds of ${time_s}s; medians of rounds. Command: \`bench/tools/loadgen-ab.sh --flavor $flavor --time $time_s --rounds $rounds --connections \"$conns\"$(printf ' --loadgen %s' "${loadgens[@]}")\`"
echo
python3 - "$runs" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault((r["connections"], r["target"]), []).append(r)
print("| connections | client | queries/s | vs sysbench | p50 µs | client CPU µs/query |")
print("|---|---|---|---|---|---|")
med = lambda rs, key: statistics.median(r[key] for r in rs)
for (c, name), rs in runs.items():
    base = med(runs[(c, "sysbench")], "qps")
    print(f"| {c} | {name} | {med(rs, 'qps'):.0f} | {med(rs, 'qps') / base:.2f} | "
          f"{med(rs, 'p50'):.0f} | {med(rs, 'cpu_us_per_query'):.1f} |")
PY
