# shellcheck shell=bash
# scripts/topology/mysql.sh — the MySQL 9.7 flavor of scripts/topology.sh:
# the Debian sid chroot that holds mysqld (bookworm has no MySQL and its glibc is
# too old for sid's binary), ports 3317 (primary) / 3318 3319 (replicas), its my.cnf,
# datadir initialization, and MySQL 8.4+ replication SQL (CHANGE REPLICATION SOURCE).
# Sourced by scripts/topology.sh after lib.sh.
#
# Layout: the chroot is ${SLUICE_ROOT}/mysql-chroot (complete once
# ${MYSQL_CHROOT}/.sluice-chroot-complete exists). The data lives inside it at
# ${SLUICE_ROOT}/mysql and the host path ${SLUICE_ROOT}/mysql is a symlink to it, so
# every path in my.cnf (datadir, socket, pid file, log) means the same inside the
# chroot and on the host. mysqld runs as root inside the chroot (no mysql user there).

# shellcheck disable=SC2034  # the variables below are read by lib.sh
FLAVOR=mysql
PRIMARY_PORT=$((3317 + PORT_OFFSET))
REPLICA_PORTS=($((3318 + PORT_OFFSET)) $((3319 + PORT_OFFSET)))
DATA_ROOT=${SLUICE_ROOT}/mysql
MYSQL_CHROOT=${SLUICE_ROOT}/mysql-chroot
MYSQL_CHROOT_MARKER=${MYSQL_CHROOT}/.sluice-chroot-complete
MYSQL_CHROOT_PACKAGES=(mysql-server-core mysql-client-core)

APP_GLOBAL_PRIVS="PROCESS, RELOAD, REPLICATION CLIENT"
MONITOR_PRIVS="PROCESS, REPLICATION CLIENT, REPLICATION SLAVE"

SQL_SHOW_REPLICA="SHOW REPLICA STATUS"
F_IO=Replica_IO_Running
F_SQL=Replica_SQL_Running
F_SECONDS_BEHIND=Seconds_Behind_Source
F_IO_ERR=Last_IO_Error
F_SQL_ERR=Last_SQL_Error
SQL_PRIMARY_GTID="SELECT @@GLOBAL.gtid_executed"
SQL_REPLICA_GTID="SELECT @@GLOBAL.gtid_executed"
SQL_RESET_BINLOG="RESET BINARY LOGS AND GTIDS"
SQL_START_REPLICA="START REPLICA"
SQL_LAG_ON="STOP REPLICA SQL_THREAD"
SQL_LAG_OFF="START REPLICA SQL_THREAD"

in_chroot() { chroot "${MYSQL_CHROOT}" "$@"; }

# Unmount anything left mounted below the chroot (an interrupted debootstrap
# leaves its /proc and /sys mounts behind), deepest first.
unmount_chroot() {
    local m
    [[ -d ${MYSQL_CHROOT} ]] || return 0
    while read -r m; do
        [[ -n $m ]] || continue
        umount "$m" 2>/dev/null || umount -l "$m"
    done < <(awk -v root="${MYSQL_CHROOT}/" 'index($2 "/", root) == 1 { print $2 }' /proc/mounts | sort -r)
}

build_chroot() {
    local mirror buildlog=${SLUICE_ROOT}/mysql-chroot-build.log t0=${SECONDS}
    mirror=$(debian_mirror)
    log "building the MySQL chroot at ${MYSQL_CHROOT} from ${mirror} (log: ${buildlog})"
    # Whatever is there is an incomplete earlier attempt: stop servers that might
    # still run from it, then wipe it.
    if [[ -e ${MYSQL_CHROOT} ]]; then
        stop_all
        unmount_chroot
        rm -rf --one-file-system "${MYSQL_CHROOT}"
    fi
    mkdir -p "${SLUICE_ROOT}"
    : >"$buildlog"
    if ! debootstrap --variant=minbase sid "${MYSQL_CHROOT}" "$mirror" >>"$buildlog" 2>&1; then
        tail -n 30 "$buildlog" >&2
        die "debootstrap failed (log: $buildlog)"
    fi
    # sid's Release file on a snapshot mirror can be past its Valid-Until date.
    if ! {
        in_chroot env DEBIAN_FRONTEND=noninteractive apt-get -q \
            -o Acquire::Check-Valid-Until=false update &&
            in_chroot env DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
                --no-install-recommends "${MYSQL_CHROOT_PACKAGES[@]}" &&
            in_chroot apt-get clean
    } >>"$buildlog" 2>&1; then
        tail -n 30 "$buildlog" >&2
        die "installing ${MYSQL_CHROOT_PACKAGES[*]} in the chroot failed (log: $buildlog)"
    fi
    in_chroot /usr/sbin/mysqld --version >>"$buildlog" 2>&1 || die "mysqld does not run in the chroot"
    touch "${MYSQL_CHROOT_MARKER}"
    log "chroot ready in $((SECONDS - t0))s: $(in_chroot /usr/sbin/mysqld --version)"
}

flavor_install() {
    if [[ ! -f ${MYSQL_CHROOT_MARKER} ]]; then
        build_chroot
    fi
    mkdir -p "${MYSQL_CHROOT}${DATA_ROOT}" "${MYSQL_CHROOT}/var/lib/mysql-files"
    chmod 700 "${MYSQL_CHROOT}/var/lib/mysql-files"
    if [[ ! -L ${DATA_ROOT} || $(readlink "${DATA_ROOT}") != "${MYSQL_CHROOT}${DATA_ROOT}" ]]; then
        [[ -L ${DATA_ROOT} || ! -e ${DATA_ROOT} ]] || die "${DATA_ROOT} exists and is not our symlink"
        ln -sfn "${MYSQL_CHROOT}${DATA_ROOT}" "${DATA_ROOT}"
    fi
}

flavor_config() {
    local port=$1 role=$2
    cat <<EOF
# Written by scripts/topology.sh (mysql flavor, ${role} on port ${port}).
# Paths are the same inside the chroot and on the host (symlink).
[mysqld]
user                           = root
$(server_paths_config "$port")
mysqlx                         = OFF
skip_name_resolve              = ON
report_host                    = ${TOPO_HOST}
report_port                    = ${port}
server_id                      = ${port}
log_bin                        = binlog
relay_log                      = relay-bin
gtid_mode                      = ON
enforce_gtid_consistency       = ON
log_replica_updates            = ON
replica_net_timeout            = 10
max_allowed_packet             = 64M
local_infile                   = ON
secure_file_priv               = /var/lib/mysql-files
max_connections                = 500
performance_schema             = OFF
innodb_buffer_pool_size        = 128M
innodb_redo_log_capacity       = 64M
innodb_flush_log_at_trx_commit = 2
sync_binlog                    = 0
# Test and benchmark runs write gigabytes of binlog: rotate often, keep two hours.
max_binlog_size                = 256M
binlog_expire_logs_seconds     = 7200
EOF
    if [[ $role == replica ]]; then
        printf '%-30s = ON\n' read_only super_read_only
    fi
}

# mysqld runs as root inside the chroot: nothing to chown.
flavor_own_dir() { :; }

flavor_init_datadir() {
    local port=$1
    if ! in_chroot /usr/sbin/mysqld "--defaults-file=$(cnf_path "$port")" --initialize-insecure \
        >"$(server_dir "$port")/install.log" 2>&1; then
        tail -n 30 "$(server_dir "$port")/install.log" "$(errlog_path "$port")" >&2
        die "mysqld --initialize-insecure failed for port $port"
    fi
}

flavor_launch() {
    local port=$1
    setsid chroot "${MYSQL_CHROOT}" /usr/sbin/mysqld "--defaults-file=$(cnf_path "$port")" \
        >>"$(server_dir "$port")/console.log" 2>&1 </dev/null 9>&- &
    LAUNCHED_PID=$!
}

# super_read_only is lifted only for the reset, so the replica's own
# gtid_executed is empty and auto-positioning fetches everything from the primary.
flavor_prepare_replica_sql() {
    echo "SET GLOBAL super_read_only = OFF; RESET BINARY LOGS AND GTIDS;"
}

flavor_attach_sql() {
    cat <<SQL
CHANGE REPLICATION SOURCE TO SOURCE_HOST='${TOPO_HOST}', SOURCE_PORT=${PRIMARY_PORT},
  SOURCE_USER='${REPL_USER}', SOURCE_PASSWORD='${REPL_PASSWORD}',
  SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1,
  SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=86400;
START REPLICA;
SQL
}

flavor_finish_replica_sql() { echo "SET GLOBAL super_read_only = ON;"; }

# Returns 0 once reached, 1 on timeout.
flavor_wait_gtid_sql() { echo "SELECT WAIT_FOR_EXECUTED_GTID_SET('$1', $2)"; }
