#!/usr/bin/env bash
# bench/tools/glommio-ab.sh — bench/sysbench.sh's measurement loop, for already-running targets
# only: it starts no sluice (so it needs no free 3380/3390), runs no `topology.sh up`, and does
# not cleanup/prepare sbtest (which other users of the same servers may be reading). Interleaved
# rounds of `sysbench oltp_point_select` against direct (the primary) and every --peer; medians of
# rounds; CPU per query from /proc/PID/stat (utime+stime of the whole process).
#
# usage: bench/tools/glommio-ab.sh [--primary PORT] [--time S] [--rounds N] [--threads "1 8"]
#                                  --peer NAME=PORT:PID ... [--out FILE]
set -euo pipefail
primary=3307 time_s=5 rounds=3 thread_counts="1 8" out=/dev/stdout
peers=()
while (($#)); do
    case $1 in
    --primary) primary=$2; shift 2 ;;
    --time) time_s=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) thread_counts=$2; shift 2 ;;
    --peer) peers+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
targets=("direct $primary -")
for p in "${peers[@]}"; do
    IFS='=:' read -r name pport ppid <<<"$p"
    targets+=("$name $pport ${ppid:--}")
done
SB=(--mysql-host=127.0.0.1 --mysql-user=app --mysql-password=app --mysql-db=sbtest
    --tables=4 --table-size=10000 --report-interval=0 --histogram=off --percentile=50)
ticks() { if [[ $1 == - ]]; then echo 0; else awk '{print $14 + $15}' "/proc/$1/stat"; fi; }
hz=$(getconf CLK_TCK)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
results=$(mktemp)
for threads in $thread_counts; do
    for round in $(seq "$rounds"); do
        for t in "${targets[@]}"; do
            read -r name tport tpid <<<"$t"
            t0=$(ticks "$tpid")
            line=$(sysbench oltp_point_select "${SB[@]}" --mysql-port="$tport" --threads="$threads" --time="$time_s" run |
                awk '/queries:/ {q=$2; gsub(/[(]/,"",$3); qps=$3} /50th percentile/ {p=$3} /ignored errors:/ {e=$3} END {print qps, p * 1000, q, e + 0}')
            t1=$(ticks "$tpid")
            read -r qps p50 queries errors <<<"$line"
            cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v q="$queries" 'BEGIN {printf "%.1f", (q > 0 ? d / hz * 1e6 / q : 0)}')
            echo "$threads $round $name $qps $p50 $cpu $errors" >>"$results"
            echo "threads=$threads round=$round $name: $qps qps, p50 ${p50} µs, cpu ${cpu} µs/query, $errors ignored errors" >&2
        done
    done
done
{
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $rounds interleaved rounds of ${time_s}s; medians of rounds."
    echo
    echo "| threads | target | qps | vs direct | p50 µs | added p50 µs | CPU µs/query |"
    echo "|---|---|---|---|---|---|---|"
    for threads in $thread_counts; do
        dq=$(awk -v t="$threads" '$1 == t && $3 == "direct" {print $4}' "$results" | median)
        dp=$(awk -v t="$threads" '$1 == t && $3 == "direct" {print $5}' "$results" | median)
        for t in "${targets[@]}"; do
            read -r name _ tpid <<<"$t"
            q=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $4}' "$results" | median)
            p=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $5}' "$results" | median)
            c=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $6}' "$results" | median)
            awk -v t="$threads" -v n="$name" -v q="$q" -v dq="$dq" -v p="$p" -v dp="$dp" -v c="$c" -v pid="$tpid" 'BEGIN {
                cpu = (pid == "-") ? "-" : sprintf("%.1f", c)
                printf "| %d | %s | %.0f | %.2f | %.0f | %+.0f | %s |\n", t, n, q, q / dq, p, p - dp, cpu
            }'
        done
    done
    echo
    echo "Raw rounds (threads round target qps p50 cpu errors):"
    echo
    echo '```'
    cat "$results"
    echo '```'
} >"$out"
rm -f "$results"
