#!/usr/bin/env bash
# bench/tools/glommio-ab.sh — bench/sysbench.sh's measurement loop and table
# (bench/tools/sysbench-rounds.sh), for already-running targets only: it starts no sluice (so it needs no free 3380/3390), runs no `topology.sh up`, and does
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
EXTRA=()
source "$(dirname "${BASH_SOURCE[0]}")/sysbench-rounds.sh"
results=$(mktemp)
sb_rounds oltp_point_select "$thread_counts" "$rounds" "$time_s" "$results"
{
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $rounds interleaved rounds of ${time_s}s; medians of rounds."
    echo
    sb_table "$thread_counts" "$results"
    echo
    echo "Raw rounds (threads round target qps p50 cpu errors):"
    echo
    echo '```'
    cat "$results"
    echo '```'
} >"$out"
rm -f "$results"
