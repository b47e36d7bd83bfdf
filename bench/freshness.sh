#!/usr/bin/env bash
# bench/freshness.sh — how soon after the primary acknowledged a commit sluice's published view
# shows each replica has applied it ("freshness"), with the monitor's push path (binlog followers,
# `[monitor] push = true`) and with polling alone (`push = false`). Starts the release build of
# sluice on tuning/local.toml (or local-mysql.toml) twice, once per mode, drives a steady write
# load through it (loadgen's write-only workload, open loop at --rate transactions/s, on
# sluice_test.sbtest1; a pymysql loop of autocommit UPDATEs if loadgen does not build), then reads
# the freshness_* rows of SHOW SLUICE STATUS (all samples of that run). Writes a markdown table to
# bench/results/freshness-<flavor>.md. Not a test: a shared 2-core VM is noisy.
#
# usage: bench/freshness.sh [--flavor mariadb|mysql] [--seconds N] [--rate R]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb seconds=15 rate=500
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) primary=3307 config=tuning/local.toml ;;
mysql) primary=3317 config=tuning/local-mysql.toml ;;
*) echo "flavor must be mariadb or mysql" >&2; exit 2 ;;
esac
command_line="bench/freshness.sh --flavor $flavor --seconds $seconds --rate $rate"

scripts/topology.sh up --flavor "$flavor" >/dev/null
cargo build --release --bin sluice >/dev/null 2>&1
loadgen=target/release/loadgen
if ! cargo build --release -p loadgen >/dev/null 2>&1; then
    loadgen=""
fi
mkdir -p target/bench bench/results
work=target/bench/freshness-$flavor
mkdir -p "$work"

sluice_pid=""
cleanup() {
    if [[ -n $sluice_pid ]]; then kill -TERM "$sluice_pid" 2>/dev/null || true; wait "$sluice_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
# A port nothing listens on. Each run listens on its own: a port sluice listened on a moment ago
# can still have TIME_WAIT connections (sluice closes first on COM_QUIT), and binding it fails.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
cli() { mariadb -h127.0.0.1 -P"$port" -uapp -papp --protocol=TCP --batch --skip-column-names -e "$1" sluice_test; }

# The table the load writes, created straight on the primary (it reaches the replicas by itself).
if [[ -n $loadgen ]]; then
    direct_args=(--port "$primary" -u app -p app --database sluice_test --tables 1 --table-size 1000)
    "$loadgen" "${direct_args[@]}" prepare >/dev/null
    load_desc="loadgen write-only (BEGIN; 2 UPDATE, DELETE, INSERT; COMMIT), open loop, $rate tx/s, 4 connections"
else
    load_desc="pymysql loop of autocommit UPDATEs, $rate/s"
fi
sleep 1

# Runs the load through sluice for $seconds; prints the achieved rate (tx/s).
run_load() {
    if [[ -n $loadgen ]]; then
        "$loadgen" --port "$port" -u app -p app --database sluice_test --tables 1 --table-size 1000 \
            --workload write-only --protocol text --connections 4 --rate "$rate" \
            --duration "${seconds}s" --json 2>"$work/loadgen.err" |
            python3 -c 'import json,sys; print(round(json.load(sys.stdin)["throughput_per_sec"]))'
    else
        python3 - "$port" "$rate" "$seconds" <<'PY'
import sys, time, pymysql
port, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
c = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database="sluice_test", autocommit=True)
cur = c.cursor()
cur.execute("CREATE TABLE IF NOT EXISTS freshness_bench (id INT PRIMARY KEY, n BIGINT)")
cur.execute("INSERT IGNORE INTO freshness_bench VALUES (1, 0)")
start = time.monotonic(); done = 0
while time.monotonic() - start < seconds:
    cur.execute("UPDATE freshness_bench SET n = n + 1 WHERE id = 1")
    done += 1
    lag = start + done / rate - time.monotonic()
    if lag > 0:
        time.sleep(lag)
print(round(done / (time.monotonic() - start)))
PY
    fi
}

declare -A result
for mode in push polling; do
    cfg=$work/$mode.toml
    push=true
    [[ $mode == polling ]] && push=false
    port=$(free_port)
    # The shipped config with its own listener port and `push` set (added to [monitor] if the
    # file has no push line).
    if grep -q '^push *=' "$config"; then
        sed "s/^push *=.*/push = $push/" "$config"
    else
        sed "/^\[monitor\]/a push = $push" "$config"
    fi | sed "s/^address = \"127\.0\.0\.1:33[89]0\"/address = \"127.0.0.1:$port\"/" >"$cfg"
    grep -q "127.0.0.1:$port" "$cfg" || { echo "no listener address to replace in $config" >&2; exit 1; }
    target/release/sluice check-config "$cfg" >/dev/null
    SLUICE_LOG=info target/release/sluice --config "$cfg" 2>"$work/sluice-$mode.log" &
    sluice_pid=$!
    wait_port "$port" || { echo "sluice did not listen on $port:" >&2; cat "$work/sluice-$mode.log" >&2; exit 1; }
    want=$([[ $mode == push ]] && echo "on" || echo "off")
    for _ in $(seq 100); do
        states=$(cli "SHOW SLUICE BACKENDS" | awk -F'\t' '$2 == "replica" {print $NF}' | sort -u)
        [[ $states == "$want" ]] && break
        sleep 0.1
    done
    [[ $states == "$want" ]] || { echo "replica push states are '$states', expected $want" >&2; exit 1; }
    achieved=$(run_load)
    status=$(cli "SHOW SLUICE STATUS")
    for replica in replica1 replica2; do
        get() { awk -F'\t' -v k="freshness_${replica}_$1" '$1 == k {print $2}' <<<"$status"; }
        result[$mode,$replica]="$(get p50_us) $(get p99_us) $(get samples)"
    done
    result[$mode,rate]=$achieved
    result[$mode,given_up]=$(awk -F'\t' '$1 == "freshness_given_up" {print $2}' <<<"$status")
    result[$mode,push]=$(awk -F'\t' '$1 ~ /^push_/ {printf "%s ", $2}' <<<"$status")
    result[$mode,epochs]=$(awk -F'\t' '$1 == "view_epoch" {print $2}' <<<"$status")
    result[$mode,cpu]=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$sluice_pid/stat")
    kill -TERM "$sluice_pid"
    wait "$sluice_pid" || true
    sluice_pid=""
done

out=bench/results/freshness-$flavor.md
{
    echo "# Freshness: ack to applied in the published view ($flavor, $(date -u +%Y-%m-%d))"
    echo
    echo "Time from the primary's OK for a commit (as sluice's session saw it) to the first"
    echo "published ClusterView whose position for the replica covers it: SHOW SLUICE STATUS"
    echo "\`freshness_<replica>_p50_us\` / \`_p99_us\` (log-linear histogram, within 12.5 %)."
    echo "Push: binlog followers wake the poller on each applied GTID. Polling: \`push = false\`,"
    echo "the monitor's idle \`poll_interval\` (100 ms in $config; no read waits, so no fast polls)."
    echo
    echo "Load: $load_desc, ${seconds} s per mode, through sluice on $config."
    echo
    echo "| replica | mode | p50 µs | p99 µs | samples | load tx/s | given up | views published | sluice CPU s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for replica in replica1 replica2; do
        for mode in push polling; do
            read -r p50 p99 n <<<"${result[$mode,$replica]}"
            echo "| $replica | $mode | $p50 | $p99 | $n | ${result[$mode,rate]} | ${result[$mode,given_up]} | ${result[$mode,epochs]} | ${result[$mode,cpu]} |"
        done
    done
    echo
    read -r gtids polls retries unconfirmed <<<"${result[push,push]}"
    echo "Push path (both replicas): $gtids GTID events, $polls polls because of them, $retries of"
    echo "which confirming polls (the previous poll did not show the GTID yet), $unconfirmed left to"
    echo "the regular rounds after the last confirming poll."
    echo
    echo "Views published and CPU time (user + system, the whole sluice process: shard and monitor)"
    echo "cover that mode's whole run, start-up included."
    echo
    echo "Command: \`$command_line\`"
} >"$out"
cat "$out"
