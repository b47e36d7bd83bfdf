#!/usr/bin/env bash
# bench/idle-memory.sh — sluice's resident memory per idle client connection: RSS of the sluice
# process before and after N clients log in through it (each runs one read, then stays idle),
# with backend connection pooling on. Writes bench/results/idle-memory-<flavor>.md.
#
# usage: bench/idle-memory.sh [--flavor mariadb|mysql] [--clients N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavor=mariadb clients=1000
while (($#)); do
    case $1 in
    --flavor) flavor=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
case $flavor in
mariadb) config=tuning/local.toml port=3380 ;;
mysql) config=tuning/local-mysql.toml port=3390 ;;
*) echo "flavor must be mariadb or mysql" >&2; exit 2 ;;
esac
python3 -c 'import pymysql' 2>/dev/null || pip install -q pymysql

scripts/topology.sh up --flavor "$flavor" >/dev/null
cargo build --release --bin sluice -p sluice >/dev/null 2>&1
mkdir -p target/bench
ulimit -n 65536 || true
SLUICE_LOG=warn target/release/sluice --config "$config" 2>target/bench/sluice-idle.log &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

line=$(python3 - "$port" "$clients" "$pid" <<'EOF'
import sys, time, pymysql
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1])
def backends():
    c = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database="sluice_test", autocommit=True)
    cur = c.cursor(); cur.execute("SHOW SLUICE BACKENDS")
    cols = [d[0] for d in cur.description]; i = cols.index("connections")
    total = sum(int(r[i]) for r in cur.fetchall()); c.close(); return total
# Warm up: one client, so buffers and pools exist before the baseline.
w = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database="sluice_test", autocommit=True)
w.cursor().execute("SELECT 1"); w.close(); time.sleep(0.5)
before = rss()
conns = []
for _ in range(n):
    c = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database="sluice_test", autocommit=True)
    c.cursor().execute("SELECT 1")
    conns.append(c)
time.sleep(1)
after = rss()
print(before, after, (after - before) / n, backends())
EOF
)
read -r before after per backend_conns <<<"$line"
out=bench/results/idle-memory-$flavor.md
{
    echo "# sluice memory per idle client connection ($flavor)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ). Command: \`bench/idle-memory.sh --flavor $flavor --clients $clients\`"
    echo
    echo "| clients | sluice RSS before (KiB) | after (KiB) | KiB per idle client | backend connections open (all servers) |"
    echo "|---|---|---|---|---|"
    printf '| %s | %s | %s | %.1f | %s |\n' "$clients" "$before" "$after" "$per" "$backend_conns"
    echo
    echo "Each client (pymysql, autocommit on) logs in, runs one read, and stays connected; the backend"
    echo "connections are pooled per shard, so idle clients hold none. (A client left in autocommit=0 after"
    echo "a statement is inside a transaction and holds its primary connection, as on a single server.)"
} >"$out"
cat "$out"
