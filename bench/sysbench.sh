#!/usr/bin/env bash
# bench/sysbench.sh — a sysbench workload (oltp_point_select unless --workload says otherwise)
# against several targets side by side, in
# interleaved rounds within one run: direct to the primary, through sluice, through naive_pump
# (bench/tools/naive_pump.rs: a byte-copying TCP relay, the floor for any proxy on this host),
# and through any other proxy given with --peer NAME=HOST:PORT[:PID]. At 1 and 8 threads it
# reports median throughput, the ratio to direct, median latency, latency added over direct, and
# CPU time per query for the processes whose pid it knows (from /proc/PID/stat). Writes a
# markdown table to bench/results/point-select-<flavor>.md. Not a test: a shared 2-core VM is
# noisy, hence interleaving and medians of rounds.
#
# usage: bench/sysbench.sh [--flavor mariadb|mysql] [--time SECONDS] [--rounds N]
#                          [--threads "1 8"] [--workload oltp_point_select|oltp_read_only|...]
#                          [--sysbench-args "--skip_trx=on ..."] [--no-pump]
#                          [--peer NAME=HOST:PORT[:PID]]...
# The table goes to bench/results/<workload>-<flavor>.md (point-select-<flavor>.md for the
# default workload).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb time_s=10 rounds=3 thread_counts="1 8" workload=oltp_point_select extra="" pump=1
peers=()
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --time) time_s=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) thread_counts=$2; shift 2 ;;
    --peer) peers+=("$2"); shift 2 ;;
    --workload) workload=$2; shift 2 ;;
    --sysbench-args) extra=$2; shift 2 ;;
    --no-pump) pump=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) primary=3307 config=tuning/local.toml port=3380 pump_port=3381 ;;
mysql) primary=3317 config=tuning/local-mysql.toml port=3390 pump_port=3391 ;;
*) echo "flavor must be mariadb or mysql" >&2; exit 2 ;;
esac

scripts/topology.sh up --flavor "$flavor" >/dev/null
cargo build --release --bin sluice >/dev/null 2>&1
mkdir -p target/bench
rustc -O --edition 2021 -o target/bench/naive_pump bench/tools/naive_pump.rs

pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
SLUICE_LOG=warn target/release/sluice --config "$config" 2>target/bench/sluice.log &
sluice_pid=$!
pids+=("$sluice_pid")
wait_port() { for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_port "$port"
# name port pid(or -)
targets=("direct $primary -" "sluice $port $sluice_pid")
if ((pump)); then
    target/bench/naive_pump "127.0.0.1:$pump_port" "127.0.0.1:$primary" 2>target/bench/pump.log &
    pump_pid=$!
    pids+=("$pump_pid")
    wait_port "$pump_port"
    targets+=("naive_pump $pump_port $pump_pid")
fi
for p in "${peers[@]}"; do
    IFS='=:' read -r name host pport ppid <<<"$p"
    [[ $host == 127.0.0.1 || $host == localhost ]] || { echo "peers must be on this host" >&2; exit 2; }
    targets+=("$name $pport ${ppid:--}")
done

source bench/tools/sysbench-rounds.sh
read -r -a EXTRA <<<"$extra"
sysbench oltp_point_select "${SB[@]}" --mysql-port="$primary" cleanup >/dev/null 2>&1 || true
sysbench oltp_point_select "${SB[@]}" --mysql-port="$primary" --threads=4 prepare >/dev/null
# Let the replicas apply the fresh tables before reads go there.
sleep 2

results=target/bench/results.txt
sb_rounds "$workload" "$thread_counts" "$rounds" "$time_s" "$results"

if [[ $workload == oltp_point_select ]]; then out=bench/results/point-select-$flavor.md; else out=bench/results/${workload//_/-}-$flavor.md; fi
{
    echo "# sysbench $workload, side by side ($flavor)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $rounds interleaved rounds of ${time_s}s per target and thread count; medians of rounds."
    echo "Command: \`bench/sysbench.sh --flavor $flavor --workload $workload --time $time_s --rounds $rounds --threads \"$thread_counts\"${extra:+ --sysbench-args \"$extra\"}$( ((pump)) || echo ' --no-pump')\`"
    echo
    sb_table "$thread_counts" "$results"
    echo
    echo "sysbench rounds latency percentiles to 10 µs steps at this scale. CPU is utime+stime of the"
    echo "proxy process over its own rounds (direct has no proxy process)."
} >"$out"
cat "$out"
