#!/usr/bin/env bash
# Starts a PgBouncer in transaction pooling mode in front of the local PostgreSQL, for agentstore's pooler tests
# (PgBouncerTest) and for trying agentstore behind a pooler by hand.
#
#   1. installs Debian's `pgbouncer` package when the binary is missing (apt-get, needs root);
#   2. writes its configuration under $WORKDIR: every database of the server, `pool_mode = transaction`, a small
#      pool per database/user (so that concurrent clients really share server connections), SCRAM logins for the
#      roles in userlist.txt (`agentstore`, password `agentstore`), `ignore_startup_parameters = extra_float_digits`
#      (pgjdbc sends it; PgBouncer 1.18 refuses unknown startup parameters);
#   3. starts it (as OS user postgres: PgBouncer refuses to run as root) unless one started from the same
#      configuration is already running, and waits until it accepts connections.
#
# Idempotent: a running PgBouncer with an unchanged configuration is left alone; a changed configuration restarts it.
# Debian's own service (systemd, /etc/pgbouncer, port 6432) is neither used nor touched: this one has its own port.
#
# Environment overrides (defaults in brackets):
#   AGENTSTORE_PGBOUNCER_PORT       [6433]  where PgBouncer listens (127.0.0.1)
#   AGENTSTORE_PGBOUNCER_POOL_SIZE  [4]     server connections per database and user
#   AGENTSTORE_SETUP_PGHOST         [127.0.0.1]  the PostgreSQL behind it
#   AGENTSTORE_SETUP_PGPORT         [5432]
#   AGENTSTORE_PGBOUNCER_WORKDIR    [/var/tmp/agentstore-pgbouncer]  configuration, pidfile, log
#   AGENTSTORE_PGBOUNCER_USER       [postgres]  OS user PgBouncer runs as
set -euo pipefail

PORT="${AGENTSTORE_PGBOUNCER_PORT:-6433}"
POOL_SIZE="${AGENTSTORE_PGBOUNCER_POOL_SIZE:-4}"
PGHOST_="${AGENTSTORE_SETUP_PGHOST:-127.0.0.1}"
PGPORT_="${AGENTSTORE_SETUP_PGPORT:-5432}"
WORKDIR="${AGENTSTORE_PGBOUNCER_WORKDIR:-/var/tmp/agentstore-pgbouncer}"
RUN_AS="${AGENTSTORE_PGBOUNCER_USER:-postgres}"
INI="$WORKDIR/pgbouncer.ini"
PIDFILE="$WORKDIR/pgbouncer.pid"

log() { echo "[setup-pgbouncer] $*"; }
die() {
    echo "[setup-pgbouncer] ERROR: $*" >&2
    exit 1
}

install_pgbouncer() {
    if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then
        log "$(/usr/sbin/pgbouncer --version 2>/dev/null | head -n1 || pgbouncer --version | head -n1) installed"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "pgbouncer is not installed and installing it needs root. Re-run as root: sudo bash $0"
    command -v apt-get >/dev/null 2>&1 ||
        die "pgbouncer is not installed and this is not a Debian/apt system. Install PgBouncer and re-run."
    log "installing Debian's pgbouncer package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends pgbouncer ||
        { apt-get update -q && apt-get install -y -q --no-install-recommends pgbouncer; } ||
        die "apt-get install pgbouncer failed (see messages above)."
}

write_config() {
    mkdir -p "$WORKDIR"
    local tmp="$WORKDIR/pgbouncer.ini.new"
    cat >"$tmp" <<INI
; written by agentstore scripts/setup-pgbouncer.sh; rewritten on every run
[databases]
* = host=$PGHOST_ port=$PGPORT_

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
pool_mode = transaction
default_pool_size = $POOL_SIZE
max_client_conn = 500
auth_type = scram-sha-256
auth_file = $WORKDIR/userlist.txt
admin_users = postgres
ignore_startup_parameters = extra_float_digits
server_reset_query =
logfile = $WORKDIR/pgbouncer.log
pidfile = $PIDFILE
INI
    printf '"agentstore" "agentstore"\n"postgres" "postgres"\n' >"$WORKDIR/userlist.txt"
    chmod 600 "$WORKDIR/userlist.txt"
    if [ -f "$INI" ] && cmp -s "$tmp" "$INI"; then
        rm -f "$tmp"
        CONFIG_CHANGED=0
    else
        mv "$tmp" "$INI"
        CONFIG_CHANGED=1
    fi
    chown -R "$RUN_AS" "$WORKDIR" 2>/dev/null || true
}

running_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qa pgbouncer "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

accepting() {
    pg_isready -q -h 127.0.0.1 -p "$PORT" -d agentstore -U agentstore
}

start() {
    local pid
    if pid="$(running_pid)"; then
        if [ "$CONFIG_CHANGED" -eq 0 ]; then
            log "PgBouncer (pid $pid) already running on 127.0.0.1:$PORT with this configuration"
            return
        fi
        log "configuration changed: stopping PgBouncer (pid $pid)"
        kill "$pid"
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    if accepting; then
        die "something else listens on 127.0.0.1:$PORT. Stop it or choose another port with AGENTSTORE_PGBOUNCER_PORT."
    fi
    log "starting PgBouncer on 127.0.0.1:$PORT (transaction pooling, $POOL_SIZE server connections per database/user) in front of $PGHOST_:$PGPORT_"
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$RUN_AS" -- /usr/sbin/pgbouncer -d -q "$INI" ||
            die "pgbouncer did not start; see $WORKDIR/pgbouncer.log"
    else
        /usr/sbin/pgbouncer -d -q "$INI" || die "pgbouncer did not start; see $WORKDIR/pgbouncer.log"
    fi
    local waited=0
    until accepting; do
        [ "$waited" -lt 100 ] || die "PgBouncer did not accept connections on 127.0.0.1:$PORT within 10 s; see $WORKDIR/pgbouncer.log"
        sleep 0.1
        waited=$((waited + 1))
    done
    log "PgBouncer is up: postgres://agentstore:agentstore@127.0.0.1:$PORT/agentstore (pid $(cat "$PIDFILE"))"
}

install_pgbouncer
write_config
start
