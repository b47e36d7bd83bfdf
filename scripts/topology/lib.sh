# shellcheck shell=bash
# scripts/topology/lib.sh — the flavor-independent part of scripts/topology.sh:
# paths and credentials, host package installation, starting/stopping one server
# by its own pid file, admin SQL over the unix socket, and the up/down/status/lag/env
# commands. Everything flavor-specific (binaries, my.cnf, SQL dialect, chroot) lives
# in scripts/topology/<flavor>.sh, which is sourced after this file and defines:
#   FLAVOR PRIMARY_PORT REPLICA_PORTS[] DATA_ROOT SERVER_PROCESS
#   APP_GLOBAL_PRIVS MONITOR_PRIVS
#   SQL_SHOW_REPLICA F_IO F_SQL F_SECONDS_BEHIND F_IO_ERR F_SQL_ERR
#   SQL_PRIMARY_GTID SQL_REPLICA_GTID SQL_RESET_BINLOG SQL_START_REPLICA
#   SQL_LAG_ON SQL_LAG_OFF
#   flavor_install flavor_config flavor_own_dir flavor_init_datadir flavor_launch
#   flavor_attach_sql flavor_wait_gtid_sql flavor_prepare_replica_sql
#   flavor_finish_replica_sql

# SLUICE_ROOT and SLUICE_PORT_OFFSET exist to test this script in isolation
# (e.g. SLUICE_ROOT=/var/lib/sluice-try SLUICE_PORT_OFFSET=100); everyone else
# uses the defaults.
SLUICE_ROOT=${SLUICE_ROOT:-/var/lib/sluice}
# shellcheck disable=SC2034  # used by the flavor files
PORT_OFFSET=${SLUICE_PORT_OFFSET:-0}
TOPO_HOST=127.0.0.1
APP_USER=app
APP_PASSWORD=app
MONITOR_USER=sluice_monitor
MONITOR_PASSWORD=monitor
REPL_USER=repl
REPL_PASSWORD=repl
DATABASES=(sbtest sluice_test)
START_TIMEOUT=${TOPO_START_TIMEOUT:-180}   # seconds for a server to accept connections
STOP_TIMEOUT=${TOPO_STOP_TIMEOUT:-60}      # seconds after SIGTERM before SIGKILL
SYNC_TIMEOUT=${TOPO_SYNC_TIMEOUT:-120}     # seconds for replicas to catch up
HOST_PACKAGES=(mariadb-server mariadb-client sysbench debootstrap)

log() { printf '[topology %s +%ss] %s\n' "${FLAVOR:-?}" "${SECONDS}" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

require_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (servers, chroot and data live under ${SLUICE_ROOT})"
}

# Serialize up/down/lag of one flavor (CI and a developer may call concurrently).
# fd 9 holds the lock; flavor_launch closes it for the servers (9>&-), or a
# server would keep the lock for its whole life.
take_lock() {
    mkdir -p "${SLUICE_ROOT}"
    exec 9>"${SLUICE_ROOT}/${FLAVOR}.lock"
    flock -w 1200 9 || die "timed out waiting for ${SLUICE_ROOT}/${FLAVOR}.lock"
}

all_ports() { echo "${PRIMARY_PORT}" "${REPLICA_PORTS[@]}"; }
is_replica_port() {
    local p
    for p in "${REPLICA_PORTS[@]}"; do [[ $p == "$1" ]] && return 0; done
    return 1
}
role_of() { if [[ $1 == "${PRIMARY_PORT}" ]]; then echo primary; else echo replica; fi; }
server_dir() { echo "${DATA_ROOT}/$1"; }
cnf_path() { echo "${DATA_ROOT}/$1/my.cnf"; }
sock_path() { echo "${DATA_ROOT}/$1/mysqld.sock"; }
pid_path() { echo "${DATA_ROOT}/$1/mysqld.pid"; }
errlog_path() { echo "${DATA_ROOT}/$1/error.log"; }
ready_marker() { echo "${DATA_ROOT}/.topology-ready"; }

# The my.cnf lines every flavor writes the same way: where a server keeps its files, and where
# it listens.
server_paths_config() {
    local port=$1 dir
    dir=$(server_dir "$port")
    printf '%-30s = %s\n' datadir "$dir/data" tmpdir "$dir/tmp" socket "$dir/mysqld.sock" \
        pid_file "$dir/mysqld.pid" log_error "$dir/error.log" port "$port" bind_address "$TOPO_HOST"
}

# ---------------------------------------------------------------- host packages

missing_host_packages() {
    local p
    for p in "${HOST_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            echo "$p"
        fi
    done
}

# Install the host packages if any is missing, without letting the Debian
# mariadb service start (a temporary policy-rc.d says "no" to invoke-rc.d).
# Both flavors may do this at once on a fresh machine: one lock for the host.
ensure_host_packages() {
    [[ -n $(missing_host_packages) ]] || return 0
    mkdir -p "${SLUICE_ROOT}"
    {
        flock -w 1200 8 || die "timed out waiting for ${SLUICE_ROOT}/host-packages.lock"
        install_host_packages
    } 8>"${SLUICE_ROOT}/host-packages.lock"
}

install_host_packages() {
    local missing=()
    mapfile -t missing < <(missing_host_packages)
    ((${#missing[@]} > 0)) || return 0
    log "installing host packages: ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0 aptlog=${SLUICE_ROOT}/apt-install.log
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update &&
            DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"
    } >"$aptlog" 2>&1 || rc=$?
    if ((made_policy)); then rm -f "$policy"; fi
    if ((rc != 0)); then
        tail -n 30 "$aptlog" >&2
        die "apt-get install ${missing[*]} failed (log: $aptlog)"
    fi
}

# The Debian mirror named by this machine's own apt sources (deb822 or one-line).
debian_mirror() {
    if [[ -n ${SLUICE_DEBIAN_MIRROR:-} ]]; then
        echo "${SLUICE_DEBIAN_MIRROR}"
        return
    fi
    local uri=""
    if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
        uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list.d/*.sources)
    fi
    if [[ -z $uri && -f /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# ---------------------------------------------------------------- admin SQL

# The admin client: the host's mariadb client as root over the server's unix
# socket (MariaDB: unix_socket auth; MySQL: root@localhost with an empty password).
# On a replica it also turns sql_log_bin off for the session, so an admin
# statement there (FLUSH PRIVILEGES, ANALYZE TABLE, ...) cannot create an errant
# GTID. Printed as one line that word-splits safely (no spaces inside arguments).
admin_client() {
    local extra=""
    if is_replica_port "$1"; then extra=" --init-command=SET@@SESSION.sql_log_bin=0"; fi
    echo "mariadb --no-defaults --protocol=socket --user=root --socket=$(sock_path "$1")${extra}"
}

# admin_sql PORT SQL — run SQL as root; batch output, no column names.
admin_sql() {
    local port=$1
    shift
    # shellcheck disable=SC2046
    timeout --foreground 300 $(admin_client "$port") --connect-timeout=5 --batch --skip-column-names -e "$*"
}

# admin_vertical PORT SQL — vertical (\G) output for SHOW ... STATUS.
admin_vertical() {
    local port=$1
    shift
    # shellcheck disable=SC2046
    timeout --foreground 60 $(admin_client "$port") --connect-timeout=5 --vertical -e "$*"
}

# field NAME < vertical output — value of one "Name: value" line.
field() {
    awk -v k="$1" '{ line = $0; sub(/^ +/, "", line) }
        index(line, k ": ") == 1 { print substr(line, length(k) + 3); exit }
        line == k ":" { exit }'
}

# app_sql PORT SQL — as the app user over TCP, the way a test or sysbench connects.
app_sql() {
    local port=$1
    shift
    timeout --foreground 60 mariadb --no-defaults --protocol=tcp "--host=${TOPO_HOST}" "--port=${port}" \
        "--user=${APP_USER}" "--password=${APP_PASSWORD}" --connect-timeout=5 \
        --batch --skip-column-names -e "$*"
}

# ---------------------------------------------------------------- one server

pid_alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# server_pid PORT — prints the pid from the server's own pid file if that process
# is alive and really is our server for this port (its command line names our my.cnf).
server_pid() {
    local pidf pid
    pidf=$(pid_path "$1")
    [[ -s $pidf ]] || return 1
    pid=$(tr -dc '0-9' <"$pidf")
    [[ -n $pid ]] && pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "$(cnf_path "$1")" || return 1
    echo "$pid"
}

server_answers() { admin_sql "$1" 'SELECT 1' >/dev/null 2>&1; }
server_up() { server_pid "$1" >/dev/null && server_answers "$1"; }

port_taken() { (exec 3<>"/dev/tcp/${TOPO_HOST}/$1") 2>/dev/null; }

show_log_tail() {
    local f
    for f in "$(errlog_path "$1")" "$(server_dir "$1")/console.log"; do
        [[ -s $f ]] || continue
        log "---- last lines of $f"
        tail -n 25 "$f" >&2
    done
}

# start_server PORT — start if not running, wait until it accepts connections.
# Returns non-zero (after showing the error log) if it cannot.
start_server() {
    local port=$1 pid
    if server_pid "$port" >/dev/null; then
        wait_ready "$port" "" || return 1
        return 0
    fi
    if [[ ! -f $(cnf_path "$port") ]]; then
        log "no config for $port ($(cnf_path "$port"))"
        return 1
    fi
    if port_taken "$port"; then
        log "port $port is already taken by a process that is not our $FLAVOR server"
        return 1
    fi
    rm -f "$(pid_path "$port")" "$(sock_path "$port")" "$(sock_path "$port").lock"
    log "starting $(role_of "$port") on ${TOPO_HOST}:$port"
    flavor_launch "$port"
    pid=${LAUNCHED_PID:?}
    wait_ready "$port" "$pid"
}

# wait_ready PORT [PID] — poll until the server answers; fail early if PID dies.
wait_ready() {
    local port=$1 pid=${2:-} deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if server_answers "$port"; then
            return 0
        fi
        if [[ -n $pid ]] && ! pid_alive "$pid"; then
            log "server on port $port exited during startup"
            show_log_tail "$port"
            return 1
        fi
        sleep 0.2
    done
    log "server on port $port did not accept connections within ${START_TIMEOUT}s"
    show_log_tail "$port"
    return 1
}

# stop_server PORT — SIGTERM the pid from its pid file, wait, then SIGKILL.
stop_server() {
    local port=$1 pid deadline
    if ! pid=$(server_pid "$port"); then
        return 0
    fi
    log "stopping $(role_of "$port") on port $port (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_alive "$pid"; then
        log "port $port: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    fi
    rm -f "$(pid_path "$port")"
}

# ---------------------------------------------------------------- replication

# replica_state PORT — sets RS_IO RS_SQL RS_BEHIND RS_GTID RS_ERR.
replica_state() {
    local out
    RS_IO=- RS_SQL=- RS_BEHIND=- RS_GTID=- RS_ERR=""
    out=$(admin_vertical "$1" "${SQL_SHOW_REPLICA}" 2>/dev/null) || return 1
    [[ -n $out ]] || {
        RS_IO=unconfigured RS_SQL=unconfigured
        return 0
    }
    RS_IO=$(field "$F_IO" <<<"$out")
    RS_SQL=$(field "$F_SQL" <<<"$out")
    RS_BEHIND=$(field "$F_SECONDS_BEHIND" <<<"$out")
    RS_ERR="$(field "$F_IO_ERR" <<<"$out") $(field "$F_SQL_ERR" <<<"$out")"
    RS_ERR=${RS_ERR# }
    RS_ERR=${RS_ERR% }
    RS_GTID=$(admin_sql "$1" "${SQL_REPLICA_GTID}" 2>/dev/null | tr -d '\n' | sed 's/\\n//g') || RS_GTID='?'
    [[ -n $RS_GTID ]] || RS_GTID="''"
    RS_BEHIND=${RS_BEHIND:-NULL}
    return 0
}

primary_gtid() { admin_sql "${PRIMARY_PORT}" "${SQL_PRIMARY_GTID}" | tr -d '\n' | sed 's/\\n//g'; }

# wait_replica_synced PORT — wait until the replica has applied everything the
# primary has logged so far. Returns 2 if it is still behind after SYNC_TIMEOUT.
wait_replica_synced() {
    local port=$1 pos res
    pos=$(primary_gtid) || return 1
    res=$(admin_sql "$port" "$(flavor_wait_gtid_sql "$pos" "${SYNC_TIMEOUT}")") || return 1
    if [[ $res != 0 ]]; then
        log "replica $port did not reach primary position '$pos' within ${SYNC_TIMEOUT}s"
        return 2
    fi
}

# replicas_running — all replicas have IO and SQL threads running (no waiting).
replicas_running() {
    local p
    for p in "${REPLICA_PORTS[@]}"; do
        replica_state "$p" || return 1
        [[ $RS_IO == Yes && $RS_SQL == Yes ]] || return 1
    done
}

# wait_replicas_healthy — poll until IO+SQL are running everywhere (IO may be
# "Connecting" for a moment after a restart), then wait for catch-up.
# Returns 1 if replication is broken, 2 if it runs but is still catching up.
wait_replicas_healthy() {
    local p rc deadline=$((SECONDS + SYNC_TIMEOUT))
    for p in "${REPLICA_PORTS[@]}"; do
        while :; do
            replica_state "$p" || return 1
            [[ $RS_IO == Yes && $RS_SQL == Yes ]] && break
            if ((SECONDS >= deadline)); then
                log "replica $p: IO=$RS_IO SQL=$RS_SQL ${RS_ERR}"
                return 1
            fi
            sleep 0.3
        done
        rc=0
        wait_replica_synced "$p" || rc=$?
        ((rc == 0)) || return "$rc"
    done
}

# verify_logins — the app and monitor users log in over TCP on every server
# and see the databases (proves the users and databases replicated).
verify_logins() {
    local p got
    for p in $(all_ports); do
        got=$(app_sql "$p" "SHOW DATABASES LIKE 'sbtest'") || {
            log "app cannot log in on port $p"
            return 1
        }
        [[ $got == sbtest ]] || {
            log "app does not see database sbtest on port $p"
            return 1
        }
        timeout --foreground 60 mariadb --no-defaults --protocol=tcp "--host=${TOPO_HOST}" "--port=$p" \
            "--user=${MONITOR_USER}" "--password=${MONITOR_PASSWORD}" --connect-timeout=5 \
            -e 'SELECT 1' >/dev/null || {
            log "monitor user cannot log in on port $p"
            return 1
        }
    done
}

topology_healthy() {
    local p
    [[ -f $(ready_marker) ]] || return 1
    for p in $(all_ports); do server_up "$p" || return 1; done
    replicas_running
}

# ---------------------------------------------------------------- bootstrap SQL

# Users and databases, created once on the primary so they reach the replicas
# through the binlog (GTIDs from the very first transaction).
bootstrap_sql() {
    local h db
    for db in "${DATABASES[@]}"; do echo "CREATE DATABASE IF NOT EXISTS \`${db}\`;"; done
    for h in 127.0.0.1 localhost; do
        cat <<SQL
CREATE USER IF NOT EXISTS '${APP_USER}'@'${h}' IDENTIFIED BY '${APP_PASSWORD}';
GRANT ${APP_GLOBAL_PRIVS} ON *.* TO '${APP_USER}'@'${h}';
CREATE USER IF NOT EXISTS '${MONITOR_USER}'@'${h}' IDENTIFIED BY '${MONITOR_PASSWORD}';
GRANT ${MONITOR_PRIVS} ON *.* TO '${MONITOR_USER}'@'${h}';
CREATE USER IF NOT EXISTS '${REPL_USER}'@'${h}' IDENTIFIED BY '${REPL_PASSWORD}';
GRANT REPLICATION SLAVE ON *.* TO '${REPL_USER}'@'${h}';
SQL
        for db in "${DATABASES[@]}"; do
            echo "GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${APP_USER}'@'${h}';"
        done
    done
}

# ---------------------------------------------------------------- commands

# write_config PORT — (re)write the server's my.cnf from the flavor file;
# returns 0 if it changed (a running server then needs a restart), 1 if not.
write_config() {
    local port=$1 cnf new
    cnf=$(cnf_path "$port")
    # Each server gets its own tmpdir: a starting server deletes the #sql* files
    # it finds in its tmpdir, which would break another server's temp tables.
    mkdir -p "$(server_dir "$port")/tmp"
    flavor_own_dir "$port"
    new=$(flavor_config "$port" "$(role_of "$port")")
    if [[ -f $cnf && $(<"$cnf") == "$new" ]]; then
        return 1
    fi
    printf '%s\n' "$new" >"$cnf"
}

stop_all() {
    local p
    for p in "${REPLICA_PORTS[@]}" "${PRIMARY_PORT}"; do stop_server "$p"; done
}

purge_all() {
    local p
    stop_all
    rm -f "$(ready_marker)"
    for p in $(all_ports); do rm -rf "$(server_dir "$p")"; done
}

# Build a fresh topology: init all datadirs, primary first with users, then
# attach the replicas with GTID auto-positioning from the primary's first GTID.
init_topology() {
    local p
    log "initializing a fresh topology under ${DATA_ROOT}"
    purge_all
    local pids=() pid
    for p in $(all_ports); do
        mkdir -p "$(server_dir "$p")"
        write_config "$p" || true
        flavor_init_datadir "$p" 9>&- &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "datadir initialization failed"; done
    start_server "${PRIMARY_PORT}" || die "primary did not start"
    admin_sql "${PRIMARY_PORT}" "${SQL_RESET_BINLOG}" || die "cannot reset binlog on the primary"
    admin_sql "${PRIMARY_PORT}" "$(bootstrap_sql)" || die "cannot create users/databases on the primary"
    for p in "${REPLICA_PORTS[@]}"; do
        start_server "$p" || die "replica $p did not start"
        admin_sql "$p" "$(flavor_prepare_replica_sql)" || die "cannot reset replica $p"
        admin_sql "$p" "$(flavor_attach_sql)" || die "cannot attach replica $p"
        admin_sql "$p" "$(flavor_finish_replica_sql)" || die "cannot finish replica $p"
    done
    wait_replicas_healthy || die "replicas did not replicate / catch up"
    verify_logins || die "login check failed"
    touch "$(ready_marker)"
}

# Start an existing (previously complete) topology; non-zero if it is broken.
# A replica that replicates but is still working through a backlog (say after a
# long `lag on`) is not broken: stop with a message instead of re-initializing.
restart_topology() {
    local p rc=0
    start_server "${PRIMARY_PORT}" || return 1
    for p in "${REPLICA_PORTS[@]}"; do start_server "$p" || return 1; done
    for p in "${REPLICA_PORTS[@]}"; do
        # Also undoes a `lag PORT on`: up means a replicating topology.
        admin_sql "$p" "${SQL_START_REPLICA}" >/dev/null 2>&1 || return 1
    done
    wait_replicas_healthy || rc=$?
    if ((rc == 2)); then
        die "replicas run but are still catching up after ${SYNC_TIMEOUT}s; run up again later"
    fi
    ((rc == 0)) || return 1
    verify_logins || return 1
}

cmd_up() {
    require_root
    local t0=${SECONDS}
    take_lock
    ensure_host_packages
    flavor_install
    mkdir -p "${DATA_ROOT}"
    if [[ -f $(ready_marker) ]]; then
        local p
        for p in $(all_ports); do
            if [[ -d $(server_dir "$p")/data ]] && write_config "$p"; then
                log "my.cnf of port $p changed; restarting it"
                stop_server "$p"
            fi
        done
    fi
    if topology_healthy; then
        log "already up and replicating (primary ${PRIMARY_PORT}, replicas ${REPLICA_PORTS[*]})"
        return 0
    fi
    if [[ -f $(ready_marker) ]]; then
        log "not fully up: starting servers and replication threads of the existing topology"
        if ! restart_topology; then
            log "existing topology is not healthy; re-initializing from scratch"
            init_topology
        fi
    else
        init_topology
    fi
    log "up in $((SECONDS - t0))s: primary ${TOPO_HOST}:${PRIMARY_PORT}, replicas ${REPLICA_PORTS[*]}"
    cmd_status || true
}

cmd_down() {
    require_root
    local purge=0 a
    for a in "$@"; do
        case $a in
        --purge) purge=1 ;;
        *) die "down: unknown argument '$a'" ;;
        esac
    done
    take_lock
    if ((purge)); then
        purge_all
        log "stopped and purged ${DATA_ROOT}"
    else
        stop_all
        log "stopped (data kept in ${DATA_ROOT})"
    fi
}

cmd_status() {
    local p bad=0 state gtid
    printf '%-8s %-6s %-8s %-5s %-12s %-12s %-7s %s\n' FLAVOR PORT ROLE STATE IO SQL BEHIND GTID
    for p in $(all_ports); do
        RS_IO=- RS_SQL=- RS_BEHIND=- RS_ERR=""
        if server_up "$p"; then
            state=up
            if is_replica_port "$p"; then
                replica_state "$p" || true
                gtid=$RS_GTID
            else
                gtid=$(primary_gtid 2>/dev/null) || gtid='?'
            fi
        else
            state=down gtid=-
            bad=1
        fi
        [[ -n $gtid ]] || gtid="''"
        printf '%-8s %-6s %-8s %-5s %-12s %-12s %-7s %s\n' "$FLAVOR" "$p" "$(role_of "$p")" \
            "$state" "$RS_IO" "$RS_SQL" "$RS_BEHIND" "$gtid"
        [[ -n $RS_ERR ]] && printf '         error: %s\n' "$RS_ERR"
    done
    return "$bad"
}

cmd_lag() {
    require_root
    local port=${1:-} mode=${2:-}
    [[ $# -eq 2 ]] || die "usage: lag PORT on|off [--flavor ${FLAVOR}]"
    is_replica_port "$port" || die "port '$port' is not a ${FLAVOR} replica (replicas: ${REPLICA_PORTS[*]})"
    take_lock
    server_up "$port" || die "replica $port is not running (run: scripts/topology.sh up --flavor ${FLAVOR})"
    case $mode in
    on) admin_sql "$port" "${SQL_LAG_ON}" ;;
    off) admin_sql "$port" "${SQL_LAG_OFF}" ;;
    *) die "lag: mode must be on or off, not '$mode'" ;;
    esac
    replica_state "$port"
    log "replica $port: lag $mode (IO=$RS_IO SQL=$RS_SQL)"
}

cmd_env() {
    local p
    cat <<EOF
FLAVOR=${FLAVOR}
HOST=${TOPO_HOST}
PRIMARY_PORT=${PRIMARY_PORT}
REPLICA_PORTS="${REPLICA_PORTS[*]}"
ALL_PORTS="$(all_ports)"
APP_USER=${APP_USER}
APP_PASSWORD=${APP_PASSWORD}
MONITOR_USER=${MONITOR_USER}
MONITOR_PASSWORD=${MONITOR_PASSWORD}
REPL_USER=${REPL_USER}
REPL_PASSWORD=${REPL_PASSWORD}
DATABASES="${DATABASES[*]}"
DATA_ROOT=${DATA_ROOT}
EOF
    for p in $(all_ports); do
        echo "SOCKET_${p}=$(sock_path "$p")"
        echo "ADMIN_CLIENT_${p}=\"$(admin_client "$p")\""
    done
    echo "APP_CLIENT=\"mariadb --no-defaults --protocol=tcp --host=${TOPO_HOST} --user=${APP_USER} --password=${APP_PASSWORD}\""
}

# sql PORT [mariadb client args...] — the admin client for one server.
cmd_sql() {
    local port=${1:-}
    [[ -n $port ]] || die "usage: sql PORT [mariadb client arguments] [--flavor ${FLAVOR}]"
    shift
    local p ok=0
    for p in $(all_ports); do [[ $p == "$port" ]] && ok=1; done
    ((ok)) || die "port '$port' is not a ${FLAVOR} server ($(all_ports))"
    # shellcheck disable=SC2046
    exec $(admin_client "$port") "$@"
}
