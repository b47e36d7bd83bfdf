#!/usr/bin/env bash
# bench/consistency.sh — the consistency levels measured with loadgen's read-after-write checker
# through sluice, against real replication: with no lag, and with one replica's applier stopped
# (`scripts/topology.sh lag PORT on`) while the checker's own writes keep the primary busy.
# For each level it records checked reads, stale reads, reads served by replicas, the read
# latency loadgen saw, and sluice's own wait figures (SHOW SLUICE STATUS: the wait before a read
# is routed, p50/p99/p99.9/max, and fallbacks by reason). Writes bench/results/consistency-<flavor>.md.
# Not a test: figures, recorded with the command that produced them.
#
# usage: bench/consistency.sh [--flavor mariadb|mysql] [--reads N] [--connections N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb reads=100000 connections=8
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --reads) reads=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
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
cargo build --release -p loadgen >/dev/null 2>&1
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
status() { "${cli[@]}" -h127.0.0.1 -P"$port" -uapp -papp -N -B -e "SHOW SLUICE STATUS" | awk -v k="$1" '$1 == k {print $2}'; }

results=target/bench/consistency.txt
: >"$results"
run() { # label level lag(on|off)
    local label=$1 level=$2 lag=$3
    start_sluice
    [[ $lag == on ]] && scripts/topology.sh lag "$lagged" on --flavor "$flavor" >/dev/null
    local json
    json=$(target/release/loadgen --host 127.0.0.1 --port "$port" --user app --password app \
        --database sluice_test --workload read-after-write --check "$([[ $level == global ]] && echo global || echo session)" \
        --connections "$connections" --reads "$reads" --primary-port "$primary" --json \
        --init-sql "SET sluice_consistency = '$level'" 2>target/bench/loadgen-consistency.log)
    [[ $lag == on ]] && scripts/topology.sh lag "$lagged" off --flavor "$flavor" >/dev/null
    local line
    line=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
reads = r.get("checked_reads", 0); replica = r.get("replica_reads", 0)
print(reads, r.get("stale_reads", 0), replica, r["latency_us"]["p50"], r["latency_us"]["p99"], r["latency_us"]["max"])
' "$json")
    echo "$label $level $lag $line $(status wait_p50_us) $(status wait_p99_us) $(status wait_p999_us) $(status wait_max_us) $(status waits) $(status fallback_timeout) $(status fallback_lag)" >>"$results"
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
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $connections connections, $reads checked reads per row; read_consistency_timeout 10ms."
    echo "Command: \`bench/consistency.sh --flavor $flavor --reads $reads --connections $connections\`"
    echo
    echo "session/eventual: each connection writes its own row and reads it back at once; global: half the connections write shared rows, the other half must see every acknowledged write. \"stopped\": \`scripts/topology.sh lag $lagged on\` for the run."
    echo
    echo "| replicas | level | checked reads | stale reads | on replicas | read p50 µs | read p99 µs | read max µs | wait p50 µs | wait p99 µs | wait p99.9 µs | wait max µs | waits | fallbacks timeout / lag |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    python3 - "$results" <<'EOF'
import sys
for line in open(sys.argv[1]):
    f = line.split()
    # label words, then level lag reads stale replica p50 p99 max wp50 wp99 wp999 wmax waits ft fl
    tail = f[-15:]
    label = " ".join(f[:-15])
    level, lag, reads, stale, replica, p50, p99, mx, wp50, wp99, wp999, wmax, waits, ft, fl = tail
    share = f"{int(replica) / max(int(reads), 1):.1%}"
    print(f"| {label} | {level} | {reads} | {stale} | {share} | {p50} | {p99} | {mx} | {wp50} | {wp99} | {wp999} | {wmax} | {waits} | {ft} / {fl} |")
EOF
    echo
    echo "Wait figures are sluice's own (SHOW SLUICE STATUS, log-linear histogram: within 12.5 %), over the whole run, so they include the writes' reads; a wait is never longer than read_consistency_timeout plus scheduling noise."
} >"$out"
cat "$out"
