#!/usr/bin/env bash
# bench/run.sh — the one benchmark command. Brings up a topology, builds sluice and loadgen in
# release mode, starts sluice on the flavor's tuning config, and runs the same workloads against
# every target — direct to the primary, through sluice, and through any other proxy given with
# --peer — interleaved A/B: for each round, for each workload and connection count, every target
# in turn, so that drift on this shared machine hits every target alike. Workloads: loadgen
# `point-select` and `read-write` (closed loop, --json) and sysbench `oltp_point_select`
# (sysbench's own figures, percentiles from its latency histogram), at each connection count.
# For each proxy whose pid it knows it records the CPU time (utime+stime, /proc/PID/stat) the
# process used during its own runs. Medians of rounds go to bench/results/run-<flavor>.md (table)
# and bench/results/run-<flavor>.svg (chart, bench/tools/chart.py); the raw runs and the summary
# stay in target/bench/run-<flavor>-runs.jsonl and target/bench/run-<flavor>.json.
# Not a test: a shared 2-core VM is noisy, hence interleaving and medians of rounds.
#
# usage: bench/run.sh [--flavor mariadb|mysql] [--seconds N] [--rounds N] [--connections "1 8 64"]
#                     [--peer NAME=HOST:PORT[:PID]]... [--warmup N] [--label TEXT]
#   --seconds N     measured seconds per run (default 10)
#   --rounds N      interleaved rounds (default 3); the tables show medians of rounds
#   --connections   client connection counts (default "1 8 64")
#   --peer          another proxy on this host, in front of the same primary; with :PID its CPU
#                   is recorded too (repeatable)
#   --warmup N      before round 1, N seconds of point selects at the largest connection count
#                   through every target, not measured (default 1; 0: none)
#   --label TEXT    shown in the table's and the chart's title (e.g. "smoke run")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

flavor=mariadb seconds=10 rounds=3 connections="1 8 64" warmup=1 label=""
peers=()
argv=("$@")
while (($#)); do
    case $1 in
    --flavor | --seconds | --rounds | --connections | --peer | --warmup | --label)
        (($# >= 2)) || { echo "$1 needs a value" >&2; exit 2; }
        case $1 in
        --flavor) flavor=$2 ;;
        --seconds) seconds=$2 ;;
        --rounds) rounds=$2 ;;
        --connections) connections=$2 ;;
        --peer) peers+=("$2") ;;
        --warmup) warmup=$2 ;;
        --label) label=$2 ;;
        esac
        shift 2
        ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) primary=3307 config=tuning/local.toml port=3380 ;;
mysql) primary=3317 config=tuning/local-mysql.toml port=3390 ;;
*) echo "--flavor must be mariadb or mysql" >&2; exit 2 ;;
esac
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "--seconds must be a positive integer" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive integer" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "--warmup must be a whole number of seconds" >&2; exit 2; }
read -r -a conns <<<"$connections"
((${#conns[@]})) || { echo "--connections needs at least one count" >&2; exit 2; }
for c in "${conns[@]}"; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "--connections: '$c' is not a positive integer" >&2; exit 2; }
done
replicas=($((primary + 1)) $((primary + 2)))
tables=4 table_size=10000

# The exact command, for the results' header.
command="bench/run.sh"
for a in "${argv[@]}"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then command+=" $a"; else command+=" \"$a\""; fi
done

# Targets: "name host port pid" (pid "-" when unknown: no CPU figure).
targets=("direct 127.0.0.1 $primary -")
peer_targets=()
for p in "${peers[@]}"; do
    [[ $p =~ ^([A-Za-z0-9_.-]+)=([^:=]+):([0-9]+)(:([0-9]+))?$ ]] ||
        { echo "--peer $p: expected NAME=HOST:PORT[:PID]" >&2; exit 2; }
    name=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} pport=${BASH_REMATCH[3]} ppid=${BASH_REMATCH[5]:--}
    [[ $name != direct && $name != sluice ]] || { echo "--peer: the name $name is taken" >&2; exit 2; }
    if [[ $ppid != - ]]; then
        [[ -r /proc/$ppid/stat ]] || { echo "--peer $p: no process $ppid on this host" >&2; exit 2; }
    fi
    peer_targets+=("$name $host $pport $ppid")
done

mkdir -p target/bench bench/results
log=target/bench/run-$flavor.log
: >"$log"
echo "bench/run.sh: topology $flavor, release builds (log: $log)" >&2
scripts/topology.sh up --flavor "$flavor" >>"$log" 2>&1 || die "scripts/topology.sh up --flavor $flavor failed (see $log)"
cargo build --release --bin sluice -p sluice >>"$log" 2>&1 || die "cargo build --release -p sluice failed (see $log)"
cargo build --release -p loadgen >>"$log" 2>&1 || die "cargo build --release -p loadgen failed (see $log)"
command -v sysbench >/dev/null || die "sysbench is not installed"
command -v mariadb >/dev/null || die "the mariadb client is not installed"

sluice_pid=
cleanup() {
    if [[ -n $sluice_pid ]] && kill -0 "$sluice_pid" 2>/dev/null; then
        kill -TERM "$sluice_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$sluice_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$sluice_pid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (echo >"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
sql() { # PORT SQL: as the app user over TCP
    mariadb --no-defaults --protocol=tcp --host=127.0.0.1 --port="$1" --user=app --password=app \
        --ssl=0 --database=sbtest --connect-timeout=5 --batch --skip-column-names -e "$2"
}

# One prepare for both tools: loadgen creates the sbtest tables that are missing with sysbench's
# schema. A table left with another size (an interrupted prepare, another --table-size) is
# dropped and made again: database sbtest belongs to the benchmarks (tests use sluice_test).
counts=() sizes=()
for t in $(seq "$tables"); do counts+=("(SELECT COUNT(*) FROM sbtest$t)") sizes+=("$table_size"); done
sizes_sql="SELECT CONCAT_WS(',', $(IFS=,; echo "${counts[*]}"))"
want=$(IFS=,; echo "${sizes[*]}")
prepare() {
    target/release/loadgen --port "$primary" -u app -p app --database sbtest \
        --tables "$tables" --table-size "$table_size" prepare >>"$log" 2>&1 ||
        die "loadgen prepare on $primary failed (see $log)"
}
prepare
if [[ $(sql "$primary" "$sizes_sql" 2>>"$log") != "$want" ]]; then
    echo "bench/run.sh: sbtest tables on $primary are not $tables x $table_size rows; making them again" >&2
    sql "$primary" "DROP TABLE IF EXISTS $(seq -f 'sbtest%g' -s, 1 "$tables")" >>"$log" 2>&1 || die "cannot drop the sbtest tables"
    prepare
    [[ $(sql "$primary" "$sizes_sql" 2>>"$log") == "$want" ]] || die "sbtest tables still have the wrong size after prepare"
fi
# Reads through sluice go to the replicas: wait until they have every row.
for r in "${replicas[@]}"; do
    for i in $(seq 300); do
        [[ $(sql "$r" "$sizes_sql" 2>/dev/null) == "$want" ]] && break
        ((i < 300)) || die "replica $r does not have the sbtest tables after 30 s"
        sleep 0.1
    done
done
server_version=$(sql "$primary" "SELECT VERSION()" 2>>"$log") || server_version="?"
[[ $server_version == *MariaDB* ]] || server_version="MySQL $server_version"

# sluice, on the flavor's tuning config and its port.
if port_open "$port"; then
    echo "bench/run.sh: port $port is in use (another sluice? see: ss -ltnp 'sport = :$port'); waiting up to 60 s" >&2
    for _ in $(seq 120); do port_open "$port" || break; sleep 0.5; done
    port_open "$port" && die "port $port is still in use: stop whatever listens there (another sluice?) and run again"
fi
SLUICE_LOG=warn target/release/sluice --config "$config" 2>"target/bench/sluice-run-$flavor.log" &
sluice_pid=$!
for _ in $(seq 100); do port_open "$port" && break; kill -0 "$sluice_pid" 2>/dev/null || break; sleep 0.1; done
{ port_open "$port" && kill -0 "$sluice_pid" 2>/dev/null; } ||
    die "sluice did not start on $port: $(tail -5 "target/bench/sluice-run-$flavor.log")"
sleep 1 # the monitor's first rounds, so reads can go to the replicas
targets+=("sluice 127.0.0.1 $port $sluice_pid" "${peer_targets[@]}")
for t in "${targets[@]}"; do
    read -r name host tport _ <<<"$t"
    port_open "$tport" "$host" || die "target $name ($host:$tport) does not accept connections"
done

ticks() { if [[ $1 == - ]]; then echo -; else awk '{print $14 + $15}' "/proc/$1/stat"; fi; }
hz=$(getconf CLK_TCK)
runs=target/bench/run-$flavor-runs.jsonl
: >"$runs"
out_file=target/bench/run-$flavor.out
SB=(--mysql-user=app --mysql-password=app --mysql-db=sbtest --tables="$tables"
    --table-size="$table_size" --report-interval=0 --histogram=on --percentile=50)
LG=(-u app -p app --database sbtest --tables "$tables" --table-size "$table_size")

# run TOOL WORKLOAD CONNECTIONS ROUND TARGET-LINE: one measured run, one line in $runs.
run() {
    local tool=$1 workload=$2 c=$3 round=$4 name host tport tpid t0 t1 rc=0
    read -r name host tport tpid <<<"$5"
    t0=$(ticks "$tpid")
    if [[ $tool == loadgen ]]; then
        target/release/loadgen --host "$host" --port "$tport" "${LG[@]}" --workload "$workload" \
            --connections "$c" --duration "${seconds}s" --json >"$out_file" 2>>"$log" || rc=$?
    else
        sysbench "$workload" "${SB[@]}" --mysql-host="$host" --mysql-port="$tport" --threads="$c" \
            --time="$seconds" run >"$out_file" 2>>"$log" || rc=$?
    fi
    t1=$(ticks "$tpid")
    ((rc == 0)) || die "$tool $workload, $c connections, through $name failed (exit $rc): $(tail -3 "$log")"
    [[ $name != sluice ]] || kill -0 "$sluice_pid" 2>/dev/null ||
        die "sluice exited during the run: $(tail -5 "target/bench/sluice-run-$flavor.log")"
    local cpu=null
    [[ $t0 == - ]] || cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN {printf "%.2f", d / hz}')
    python3 bench/tools/run_results.py record --tool "$tool" --workload "$workload" \
        --connections "$c" --round "$round" --target "$name" --cpu-s "$cpu" <"$out_file" >>"$runs" ||
        die "could not read the output of $tool (kept in $out_file)"
    python3 bench/tools/run_results.py line <<<"$(tail -1 "$runs")" >&2
}

if ((warmup > 0)); then
    max_c=$(printf '%s\n' "${conns[@]}" | sort -n | tail -1)
    for t in "${targets[@]}"; do
        read -r name host tport _ <<<"$t"
        target/release/loadgen --host "$host" --port "$tport" "${LG[@]}" --workload point-select \
            --connections "$max_c" --duration "${warmup}s" --json >/dev/null 2>>"$log" ||
            die "warmup through $name failed: $(tail -3 "$log")"
    done
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
workloads=("loadgen point-select" "loadgen read-write" "sysbench oltp_point_select")
for round in $(seq "$rounds"); do
    for w in "${workloads[@]}"; do
        read -r tool workload <<<"$w"
        for c in "${conns[@]}"; do
            for t in "${targets[@]}"; do
                run "$tool" "$workload" "$c" "$round" "$t"
            done
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

target_args=()
for t in "${targets[@]}"; do
    read -r name _ _ tpid <<<"$t"
    target_args+=(--target "$name:$([[ $tpid == - ]] && echo nopid || echo pid)")
done
python3 bench/tools/run_results.py summarize --runs "$runs" \
    --json "target/bench/run-$flavor.json" --markdown "bench/results/run-$flavor.md" \
    --flavor "$flavor" --command "$command" --date "$started" --seconds "$seconds" --rounds "$rounds" \
    --cores "$(nproc)" --load "$load_before / $load_after" --server "$server_version" \
    --sysbench "$(sysbench --version)" --label "$label" --chart "run-$flavor.svg" "${target_args[@]}"
python3 bench/tools/chart.py "target/bench/run-$flavor.json" "bench/results/run-$flavor.svg"
cat "bench/results/run-$flavor.md"
echo "bench/run.sh: wrote bench/results/run-$flavor.md and bench/results/run-$flavor.svg" >&2
