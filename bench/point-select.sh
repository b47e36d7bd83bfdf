#!/usr/bin/env bash
# bench/point-select.sh — sysbench oltp_point_select, direct to the primary vs through sluice,
# interleaved A/B rounds in one run, at 1 and 8 threads; reports median latency, throughput, the
# sluice/direct ratio, and sluice's CPU time per query (from /proc/PID/stat). Writes a markdown
# table to bench/results/point-select-<flavor>.md. Not a test: numbers on a shared 2-core VM are noisy,
# which is why the rounds are interleaved and the medians of the rounds are reported.
#
# usage: bench/point-select.sh [--flavor mariadb|mysql] [--time SECONDS] [--rounds N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb time_s=10 rounds=3
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --time) time_s=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) primary=3307 config=tuning/local.toml port=3380 ;;
mysql) primary=3317 config=tuning/local-mysql.toml port=3390 ;;
*) echo "flavor must be mariadb or mysql" >&2; exit 2 ;;
esac

scripts/topology.sh up --flavor "$flavor" >/dev/null
cargo build --release --bin sluice >/dev/null 2>&1
target/release/sluice --config "$config" 2>/tmp/sluice-bench.log &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

SB=(--mysql-host=127.0.0.1 --mysql-user=app --mysql-password=app --mysql-db=sbtest
    --tables=4 --table-size=10000 --report-interval=0 --histogram=off --percentile=50)
sysbench oltp_point_select "${SB[@]}" --mysql-port="$primary" cleanup >/dev/null 2>&1 || true
sysbench oltp_point_select "${SB[@]}" --mysql-port="$primary" --threads=4 prepare >/dev/null

# CPU ticks (utime+stime) of the sluice process.
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

# run PORT THREADS -> "qps p50_ms queries"
run() {
    sysbench oltp_point_select "${SB[@]}" --mysql-port="$1" --threads="$2" --time="$time_s" run |
        awk '/queries:/ {q=$2; gsub(/[(]/,"",$3); qps=$3} /50th percentile/ {p=$3} END {print qps, p, q}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

out=bench/results/point-select-$flavor.md
{
    echo "# sysbench oltp_point_select: direct vs sluice ($flavor)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $rounds interleaved rounds of ${time_s}s each, medians of rounds."
    echo "Command: \`bench/point-select.sh --flavor $flavor --time $time_s --rounds $rounds\`"
    echo
    echo "| threads | direct qps | sluice qps | sluice/direct | direct p50 µs | sluice p50 µs | added p50 µs | sluice CPU µs/query | sluice CPU s/100k queries |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
for threads in 1 8; do
    : >/tmp/bench-direct >/tmp/bench-sluice >/tmp/bench-cpu
    for _ in $(seq "$rounds"); do
        run "$primary" "$threads" >>/tmp/bench-direct
        t0=$(ticks)
        r=$(run "$port" "$threads")
        t1=$(ticks)
        echo "$r" >>/tmp/bench-sluice
        q=$(echo "$r" | awk '{print $3}')
        awk -v d=$((t1 - t0)) -v hz="$hz" -v q="$q" 'BEGIN {printf "%.2f\n", d / hz * 1e6 / q}' >>/tmp/bench-cpu
    done
    dq=$(awk '{print $1}' /tmp/bench-direct | median)
    sq=$(awk '{print $1}' /tmp/bench-sluice | median)
    dp=$(awk '{print $2 * 1000}' /tmp/bench-direct | median)
    sp=$(awk '{print $2 * 1000}' /tmp/bench-sluice | median)
    cpu=$(median </tmp/bench-cpu)
    awk -v t="$threads" -v dq="$dq" -v sq="$sq" -v dp="$dp" -v sp="$sp" -v cpu="$cpu" 'BEGIN {
        printf "| %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f | %.2f |\n", t, dq, sq, sq / dq, dp, sp, sp - dp, cpu, cpu / 10
    }' >>"$out"
done
echo >>"$out"
echo "sysbench reports latency percentiles in whole 10 µs steps at this scale; CPU is the sluice process's utime+stime over the sluice rounds." >>"$out"
cat "$out"
