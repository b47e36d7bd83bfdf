# shellcheck shell=bash
# scripts/topology/mariadb.sh — the MariaDB 10.11 flavor of scripts/topology.sh:
# Debian bookworm's mariadbd run directly as the mysql user (never the Debian
# service), ports 3307 (primary) / 3308 3309 (replicas), its my.cnf, datadir
# initialization, and MariaDB's replication SQL (CHANGE MASTER ... MASTER_USE_GTID).
# Sourced by scripts/topology.sh after lib.sh.

# shellcheck disable=SC2034  # the variables below are read by lib.sh
FLAVOR=mariadb
PRIMARY_PORT=$((3307 + PORT_OFFSET))
REPLICA_PORTS=($((3308 + PORT_OFFSET)) $((3309 + PORT_OFFSET)))
DATA_ROOT=${SLUICE_ROOT}/mariadb

# MariaDB 10.5+ split REPLICATION CLIENT into BINLOG MONITOR / REPLICA MONITOR.
APP_GLOBAL_PRIVS="PROCESS, RELOAD, BINLOG MONITOR, REPLICA MONITOR"
MONITOR_PRIVS="PROCESS, BINLOG MONITOR, REPLICA MONITOR, REPLICATION SLAVE"

SQL_SHOW_REPLICA="SHOW SLAVE STATUS"
F_IO=Slave_IO_Running
F_SQL=Slave_SQL_Running
F_SECONDS_BEHIND=Seconds_Behind_Master
F_IO_ERR=Last_IO_Error
F_SQL_ERR=Last_SQL_Error
SQL_PRIMARY_GTID="SELECT @@GLOBAL.gtid_binlog_pos"
SQL_REPLICA_GTID="SELECT @@GLOBAL.gtid_slave_pos"
SQL_RESET_BINLOG="RESET MASTER"
SQL_START_REPLICA="START SLAVE"
SQL_LAG_ON="STOP SLAVE SQL_THREAD"
SQL_LAG_OFF="START SLAVE SQL_THREAD"

flavor_install() {
    [[ -x /usr/sbin/mariadbd ]] || die "/usr/sbin/mariadbd missing after installing mariadb-server"
}

flavor_config() {
    local port=$1 role=$2
    cat <<EOF
# Written by scripts/topology.sh (mariadb flavor, ${role} on port ${port}).
[mysqld]
user                           = mysql
$(server_paths_config "$port")
skip_name_resolve
report_host                    = ${TOPO_HOST}
report_port                    = ${port}
server_id                      = ${port}
log_bin                        = mariadb-bin
log_slave_updates              = ON
relay_log                      = relay-bin
binlog_format                  = ROW
slave_net_timeout              = 10
character_set_server           = utf8mb4
max_allowed_packet             = 64M
local_infile                   = ON
max_connections                = 500
performance_schema             = OFF
innodb_buffer_pool_size        = 128M
innodb_log_file_size           = 32M
innodb_flush_log_at_trx_commit = 2
sync_binlog                    = 0
# Test and benchmark runs write gigabytes of binlog: rotate often, keep two hours.
max_binlog_size                = 256M
binlog_expire_logs_seconds     = 7200
EOF
    if [[ $role == replica ]]; then
        echo "read_only                      = ON"
    fi
}

# The server runs as mysql: it must own its directory (socket, pid, log, tmp).
flavor_own_dir() {
    local dir
    dir=$(server_dir "$1")
    chown mysql:mysql "$dir" "$dir/tmp"
    [[ ! -d $dir/data ]] || chown mysql:mysql "$dir/data"
}

flavor_init_datadir() {
    local port=$1 dir
    dir=$(server_dir "$port")
    if ! mariadb-install-db "--defaults-file=$(cnf_path "$port")" \
        --auth-root-authentication-method=socket --auth-root-socket-user=root \
        --skip-test-db --skip-name-resolve >"${dir}/install.log" 2>&1; then
        tail -n 30 "${dir}/install.log" "$(errlog_path "$port")" >&2
        die "mariadb-install-db failed for port $port"
    fi
}

flavor_launch() {
    local port=$1 dir
    dir=$(server_dir "$port")
    setsid /usr/sbin/mariadbd "--defaults-file=$(cnf_path "$port")" \
        >>"${dir}/console.log" 2>&1 </dev/null 9>&- &
    LAUNCHED_PID=$!
}

flavor_prepare_replica_sql() {
    echo "RESET MASTER; SET GLOBAL gtid_slave_pos = '';"
}

flavor_attach_sql() {
    cat <<SQL
CHANGE MASTER TO MASTER_HOST='${TOPO_HOST}', MASTER_PORT=${PRIMARY_PORT},
  MASTER_USER='${REPL_USER}', MASTER_PASSWORD='${REPL_PASSWORD}',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
}

flavor_finish_replica_sql() { echo "DO 0"; }

# Returns 0 once reached, -1 on timeout.
flavor_wait_gtid_sql() { echo "SELECT MASTER_GTID_WAIT('$1', $2)"; }
