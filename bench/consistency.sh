#!/usr/bin/env bash
# bench/consistency.sh — the consistency levels measured with loadgen's read-after-write checker
# through sluice, against real replication: with no lag, and with one replica's applier stopped
# (`scripts/topology.sh lag PORT on`) while the checker's own writes keep the primary busy.
# For each level it records checked reads, stale reads, reads served by replicas, the read
# latency loadgen saw, and sluice's own wait figures (SHOW SLUICE STATUS: the wait before a read
# is routed, p50/p99/p99.9/max, and fallbacks by reason). Writes bench/results/consistency-<flavor>.md.
# Not a test: figures, recorded with the command that produced them.
#
# With --rate R the checker runs open loop at R events (a write and a read) per second over all
# connections, so the host is not saturated and the waits show sluice rather than CPU starvation;
# without it, closed loop. Each row also records how long sluice's shard and monitor threads were
# runnable but waiting for a CPU (/proc schedstat run delay), which is what stretches a wait past
# read_consistency_timeout on a busy host.
#
# usage: bench/consistency.sh [--flavor mariadb|mysql] [--reads N] [--connections N] [--rate R]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb reads=100000 connections=8 rate=
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --reads) reads=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) primary=3307 lagged=3308 config=tuning/local.toml port=3380 cli=(mariadb) ;;
mysql) primary=3317 lagged=3318 config=tuning/local-mysql.toml port=3390 cli=(mariadb --ssl=0) ;;
*) echo "flavor must be mariadb or mysql" >&2; exit 2 ;;
esac

scripts/topology.sh up --flavor "$flavor" >/dev/null
cargo build --release --bin sluice -p sluice >/dev/null 2>&1
# LOADGEN=path runs another loadgen build (e.g. a copy kept while loadgen itself is being changed).
if [[ -z ${LOADGEN:-} ]]; then
    cargo build --release -p loadgen >/dev/null 2>&1
fi
loadgen=${LOADGEN:-target/release/loadgen}
mkdir -p target/bench

sluice_pid=
cleanup() {
    scripts/topology.sh lag "$lagged" off --flavor "$flavor" >/dev/null 2>&1 || true
    [[ -n $sluice_pid ]] && kill -TERM "$sluice_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

start_sluice() {
    [[ -n $sluice_pid ]] && { kill -TERM "$sluice_pid"; wait "$sluice_pid" 2>/dev/null || true; }
    SLUICE_LOG=warn target/release/sluice --config "$config" 2>target/bench/sluice-consistency.log &
    sluice_pid=$!
    for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    sleep 1 # the monitor's first rounds
}
# "cpu_s run_delay_s" summed over sluice's threads whose name starts with $1.
thread_times() {
    local total_cpu=0 total_delay=0 t cpu delay _
    for t in /proc/"$sluice_pid"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == "$1"* ]] || continue
        read -r cpu delay _ <"$t/schedstat" || continue
        total_cpu=$((total_cpu + cpu)) total_delay=$((total_delay + delay))
    done
    echo "$total_cpu $total_delay"
}
status() { "${cli[@]}" -h127.0.0.1 -P"$port" -uapp -papp -N -B -e "SHOW SLUICE STATUS" | awk -v k="$1" '$1 == k {print $2}'; }

results=target/bench/consistency.txt
: >"$results"
run() { # label level lag(on|off)
    local label=$1 level=$2 lag=$3
    start_sluice
    [[ $lag == on ]] && scripts/topology.sh lag "$lagged" on --flavor "$flavor" >/dev/null
    local json shard0 monitor0 started
    shard0=$(thread_times sluice-shard) monitor0=$(thread_times sluice-monitor) started=$(date +%s.%N)
    json=$("$loadgen" ${rate:+--rate "$rate"} --host 127.0.0.1 --port "$port" --user app --password app \
        --database sluice_test --workload read-after-write --check "$([[ $level == global ]] && echo global || echo session)" \
        --connections "$connections" --reads "$reads" --primary-port "$primary" --json \
        --init-sql "SET sluice_consistency = '$level'" 2>target/bench/loadgen-consistency.log)
    local threads
    threads=$(python3 -c '
import sys, time
s0, s1, m0, m1 = (list(map(int, sys.argv[i].split())) for i in range(1, 5))
wall = time.time() - float(sys.argv[5])
# shard run-queue delay as a share of wall time, monitor CPU seconds
print(f"{(s1[1] - s0[1]) / 1e9 / wall:.0%}", f"{(m1[0] - m0[0]) / 1e9:.1f}")
' "$shard0" "$(thread_times sluice-shard)" "$monitor0" "$(thread_times sluice-monitor)" "$started")
    [[ $lag == on ]] && scripts/topology.sh lag "$lagged" off --flavor "$flavor" >/dev/null
    local line
    line=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
reads = r.get("checked_reads", 0); replica = r.get("replica_reads", 0)
print(reads, r.get("stale_reads", 0), replica, r["latency_us"]["p50"], r["latency_us"]["p99"], r["latency_us"]["max"])
' "$json")
    echo "$label $level $lag $line $(status wait_p50_us) $(status wait_p99_us) $(status wait_p999_us) $(status wait_max_us) $(status waits) $(status fallback_timeout) $(status fallback_lag) $(status global_probes) $(status global_probes_skipped) $threads" >>"$results"
    tail -1 "$results" >&2
}

run "no lag" session off
run "no lag" global off
run "one replica stopped" session on
run "one replica stopped" global on
run "one replica stopped" eventual on

out=bench/results/consistency-$flavor.md
{
    echo "# Consistency levels with loadgen's read-after-write checker ($flavor)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $connections connections, $reads checked reads per row, $(if [[ -n $rate ]]; then echo "open loop at $rate events/s"; else echo "closed loop"; fi); read_consistency_timeout 10ms; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo "Command: \`bench/consistency.sh --flavor $flavor --reads $reads --connections $connections${rate:+ --rate $rate}\`"
    echo
    echo "session/eventual: each connection writes its own row and reads it back at once; global: half the connections write shared rows, the other half must see every acknowledged write. \"stopped\": \`scripts/topology.sh lag $lagged on\` for the run."
    echo
    echo "| replicas | level | checked reads | stale reads | on replicas | read p50 µs | read p99 µs | read max µs | wait p50 µs | wait p99 µs | wait p99.9 µs | wait max µs | waits | fallbacks timeout / lag | global probes asked / proven by commits | shard run-queue delay | monitor CPU s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    python3 - "$results" <<'EOF'
import sys
for line in open(sys.argv[1]):
    f = line.split()
    # label words, then level lag reads stale replica p50 p99 max wp50 wp99 wp999 wmax waits ft fl
    # probes skipped run_delay monitor_cpu
    tail = f[-19:]
    label = " ".join(f[:-19])
    level, lag, reads, stale, replica, p50, p99, mx, wp50, wp99, wp999, wmax, waits, ft, fl, pa, ps, rd, mc = tail
    share = f"{int(replica) / max(int(reads), 1):.1%}"
    print(f"| {label} | {level} | {reads} | {stale} | {share} | {p50} | {p99} | {mx} | {wp50} | {wp99} | {wp999} | {wmax} | {waits} | {ft} / {fl} | {pa} / {ps} | {rd} | {mc} |")
EOF
    echo
    echo "Wait figures are sluice's own (SHOW SLUICE STATUS, log-linear histogram: within 12.5 %), over the whole run, so they include the writes' reads; a wait is never longer than read_consistency_timeout plus scheduling noise. Shard run-queue delay: the time sluice's shard thread was runnable but had no CPU, as a share of the run's wall time (schedstat); a wait that should end at the timeout ends that much later."
} >"$out"
cat "$out"
