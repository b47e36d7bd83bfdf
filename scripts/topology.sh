#!/usr/bin/env bash
# scripts/topology.sh — entry point for the local test topologies (one primary and
# two GTID replicas per flavor): parses the command line, loads the shared library
# (scripts/topology/lib.sh) and one flavor file (scripts/topology/<flavor>.sh), and
# dispatches. Run as root.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/topology.sh COMMAND [ARGS] [--flavor mariadb|mysql]

  up               install what is missing, then start (or create) the topology and
                   wait until both replicas replicate; quick if already up
  down [--purge]   stop the servers (pid files); --purge also deletes their data
  status           per server: port, role, up/down, replication state;
                   exits non-zero if any server is down
  lag PORT on|off  stop / start the replica's SQL (applier) thread
  env              print connection facts as shell assignments
  sql PORT [ARGS]  run the admin client (root over the unix socket) on one server

flavors:
  mariadb (default)  MariaDB 10.11 from Debian bookworm: primary 3307, replicas 3308 3309
  mysql              MySQL 9.7 in a Debian sid chroot:   primary 3317, replicas 3318 3319

--flavor may appear anywhere. State lives under /var/lib/sluice. For testing this
script in isolation only: SLUICE_ROOT=/other/dir SLUICE_PORT_OFFSET=100.
EOF
}

TOPOLOGY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/topology

flavor=mariadb
args=()
while (($# > 0)); do
    case $1 in
    --flavor)
        (($# >= 2)) || {
            echo "--flavor needs a value (mariadb or mysql)" >&2
            exit 2
        }
        flavor=$2
        shift 2
        ;;
    --flavor=*)
        flavor=${1#--flavor=}
        shift
        ;;
    -h | --help | help)
        usage
        exit 0
        ;;
    *)
        args+=("$1")
        shift
        ;;
    esac
done

case $flavor in
mariadb | mysql) ;;
*)
    echo "unknown flavor '$flavor' (mariadb or mysql)" >&2
    exit 2
    ;;
esac

# shellcheck source=topology/lib.sh
source "${TOPOLOGY_DIR}/lib.sh"
# shellcheck source=topology/mariadb.sh
source "${TOPOLOGY_DIR}/${flavor}.sh"

command=${args[0]:-}
rest=("${args[@]:1}")
case $command in
up) cmd_up "${rest[@]}" ;;
down) cmd_down "${rest[@]}" ;;
status) cmd_status "${rest[@]}" ;;
lag) cmd_lag "${rest[@]}" ;;
env) cmd_env "${rest[@]}" ;;
sql) cmd_sql "${rest[@]}" ;;
"")
    usage >&2
    exit 2
    ;;
*)
    echo "unknown command '$command'" >&2
    usage >&2
    exit 2
    ;;
esac
