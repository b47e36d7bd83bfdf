#!/usr/bin/env bash
# scripts/demo.sh — the main job on a fresh machine: starts the local MariaDB topology (primary
# and two replicas), builds sluice, starts it with tuning/local.toml, runs a short workload through
# it with independent clients (the mariadb CLI and sysbench), prints what happened, and stops
# sluice with SIGTERM. Leaves the topology running (stop it with scripts/topology.sh down).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if ! command -v cargo >/dev/null && [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

PORT=3380
WORK=target/demo
mkdir -p "$WORK"
say() { printf '\n==> %s\n' "$*"; }

say "starting the MariaDB topology (primary 3307, replicas 3308 3309)"
scripts/topology.sh up --flavor mariadb

say "building sluice (release)"
cargo build --release --bin sluice

say "checking tuning/local.toml"
target/release/sluice check-config tuning/local.toml

say "starting sluice on 127.0.0.1:$PORT"
SLUICE_LOG=info target/release/sluice --config tuning/local.toml 2>"$WORK/sluice.log" &
SLUICE_PID=$!
cleanup() { kill -TERM "$SLUICE_PID" 2>/dev/null || true; wait "$SLUICE_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    if mariadb -h127.0.0.1 -P$PORT -uapp -papp -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    sleep 0.1
done

sql() { mariadb -h127.0.0.1 -P$PORT -uapp -papp --table sluice_test -e "$1"; }

say "a session through sluice (mariadb CLI)"
sql "DROP TABLE IF EXISTS demo;
     CREATE TABLE demo (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64));
     INSERT INTO demo (note) VALUES ('written through sluice'), ('second row');
     SELECT id, note, @@hostname AS host, @@port AS served_by_port FROM demo;
     SELECT LAST_INSERT_ID() AS last_insert_id, VERSION() AS server_version;"

say "wrong password (expect ERROR 1045)"
mariadb -h127.0.0.1 -P$PORT -uapp -pnot-the-password -e 'SELECT 1' 2>&1 || true

say "sysbench oltp_read_write through sluice: 4 threads, 10 s"
SB=(--mysql-host=127.0.0.1 "--mysql-port=$PORT" --mysql-user=app --mysql-password=app
    --mysql-db=sbtest --tables=2 --table-size=10000)
sysbench oltp_read_write "${SB[@]}" cleanup >/dev/null 2>&1 || true
sysbench oltp_read_write "${SB[@]}" prepare >/dev/null
sysbench oltp_read_write "${SB[@]}" --threads=4 --time=10 --report-interval=0 run |
    grep -E 'queries:|transactions:|ignored errors:|reconnects:|min:|avg:|max:|95th'
sysbench oltp_read_write "${SB[@]}" cleanup >/dev/null

say "replicas caught up with what went through sluice"
for p in 3308 3309; do
    printf 'replica %s: ' "$p"
    mariadb -h127.0.0.1 -P$p -uapp -papp -N sluice_test -e 'SELECT COUNT(*), "rows in demo" FROM demo'
done

say "stopping sluice (SIGTERM)"
cleanup
trap - EXIT
echo "sluice log ($WORK/sluice.log):"
sed -e 's/\x1b\[[0-9;]*m//g' "$WORK/sluice.log" | tail -n 20
