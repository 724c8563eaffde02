#!/usr/bin/env bash
# Creates a PostgreSQL streaming replica for agentstore's read-replica tests and for trying replicas locally.
#
#   scripts/setup-replica.sh [up]        primary (own cluster) + streaming replica, both running (default)
#   scripts/setup-replica.sh stop-replica | start-replica
#   scripts/setup-replica.sh down        stops both clusters (the directories stay; 'up' starts them again)
#   scripts/setup-replica.sh destroy     stops both and deletes the directory
#
# 'up' is idempotent: it creates what is missing and starts what is stopped.
#
#   1. the primary: by default a cluster of its own (initdb) under $BASE/primary on 127.0.0.1:$PRIMARY_PORT, with
#      wal_level=replica, trust authentication on 127.0.0.1 (replication included), role agentstore/agentstore and
#      database agentstore with the vector extension (pgvector must be installed, as scripts/setup-postgres.sh does).
#      The machine's main cluster (5432) is never reconfigured or restarted. With AGENTSTORE_REPLICA_SOURCE_PORT set,
#      no primary is created: the replica copies the server on that port, which must already accept replication
#      connections from the superuser on 127.0.0.1 (max_wal_senders > 0 and a 'replication' line in pg_hba.conf).
#   2. the replica: pg_basebackup -R (streaming WAL, standby.signal and primary_conninfo written) into $BASE/replica,
#      on 127.0.0.1:$REPLICA_PORT, hot_standby on.
#
# Runs as root (the servers then run as OS user postgres, through runuser) or as an ordinary user (the servers run
# as that user). Installs nothing: it needs the PostgreSQL 15 server packages (apt-get install postgresql-15) and,
# for the own primary, pgvector.
#
# Environment overrides (defaults in brackets):
#   AGENTSTORE_PG_BIN               [/usr/lib/postgresql/15/bin]
#   AGENTSTORE_REPLICA_DIR          [/var/tmp/agentstore-replica]
#   AGENTSTORE_REPLICA_PRIMARY_PORT [5442]
#   AGENTSTORE_REPLICA_PORT         [5443]
#   AGENTSTORE_REPLICA_SOURCE_PORT  [unset: own primary]
#   AGENTSTORE_REPLICA_DB           [agentstore]  the database created on the own primary (the WildFly integration
#                                   tests use their own pair: agentstore_it on 5444/5445, see integration-tests/pom.xml)
#
# Prints, last, the two JDBC URLs: PRIMARY_URL=… and REPLICA_URL=…
set -euo pipefail

BIN="${AGENTSTORE_PG_BIN:-/usr/lib/postgresql/15/bin}"
BASE="${AGENTSTORE_REPLICA_DIR:-/var/tmp/agentstore-replica}"
SOURCE_PORT="${AGENTSTORE_REPLICA_SOURCE_PORT:-}"
PRIMARY_PORT="${SOURCE_PORT:-${AGENTSTORE_REPLICA_PRIMARY_PORT:-5442}}"
REPLICA_PORT="${AGENTSTORE_REPLICA_PORT:-5443}"
PRIMARY="$BASE/primary"
REPLICA="$BASE/replica"
SUPERUSER=postgres
APP_ROLE=agentstore
APP_DB="${AGENTSTORE_REPLICA_DB:-agentstore}"

log() { echo "[setup-replica] $*"; }
die() {
    echo "[setup-replica] ERROR: $*" >&2
    exit 1
}

[[ "$APP_DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "AGENTSTORE_REPLICA_DB must be a lower-case SQL identifier, was '$APP_DB'"

for tool in initdb pg_ctl pg_basebackup pg_isready psql; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool not found. Install the PostgreSQL 15 server (apt-get install postgresql-15) or set AGENTSTORE_PG_BIN."
done

# as the OS user that owns the clusters: postgres when run as root, else the caller
if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || die "OS user postgres does not exist (it comes with the postgresql packages)."
    as_owner() { runuser -u postgres -- "$@"; }
    OWNER=postgres
else
    as_owner() { "$@"; }
    OWNER="$(id -un)"
fi

psql_at() { # port database sql
    as_owner env PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$SUPERUSER" -d "$2" -Atc "$3"
}

running() { as_owner "$BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

start() { # datadir name port
    if running "$1"; then
        log "$2 is running on port $3"
    else
        log "starting $2 on port $3 (log $BASE/$2.log)"
        # 9>&-: the server must not inherit the lock below
        as_owner "$BIN/pg_ctl" -D "$1" -l "$BASE/$2.log" -w -t 60 start >/dev/null 9>&- ||
            die "$2 did not start; see $BASE/$2.log"
    fi
    local waited=0
    until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$3"; do
        [ "$waited" -lt 60 ] || die "$2 does not accept connections on port $3; see $BASE/$2.log"
        sleep 1
        waited=$((waited + 1))
    done
}

stop() { # datadir name
    if [ -f "$1/PG_VERSION" ] && running "$1"; then
        log "stopping $2"
        as_owner "$BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null
    else
        log "$2 is not running"
    fi
}

prepare_base() {
    mkdir -p "$BASE"
    chown "$OWNER" "$BASE"
    chmod 700 "$BASE"
}

ensure_primary() {
    if [ -n "$SOURCE_PORT" ]; then
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$SOURCE_PORT" || die "no server accepts connections on port $SOURCE_PORT"
        log "primary: the existing server on port $SOURCE_PORT (not reconfigured)"
        return
    fi
    if [ ! -f "$PRIMARY/PG_VERSION" ]; then
        log "primary: initdb $PRIMARY"
        rm -rf "$PRIMARY"
        # trust on local connections only (listen_addresses below); initdb's pg_hba.conf has 'replication' lines
        as_owner "$BIN/initdb" -D "$PRIMARY" -U "$SUPERUSER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >>"$PRIMARY/postgresql.conf" <<CONF
# agentstore scripts/setup-replica.sh
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
max_connections = 60
shared_buffers = '64MB'
CONF
    fi
    start "$PRIMARY" primary "$PRIMARY_PORT"
    if [ "$(psql_at "$PRIMARY_PORT" postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$APP_ROLE'")" = 0 ]; then
        log "primary: creating role $APP_ROLE"
        psql_at "$PRIMARY_PORT" postgres "CREATE ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_ROLE'" >/dev/null
    fi
    if [ "$(psql_at "$PRIMARY_PORT" postgres "SELECT count(*) FROM pg_database WHERE datname = '$APP_DB'")" = 0 ]; then
        log "primary: creating database $APP_DB"
        psql_at "$PRIMARY_PORT" postgres "CREATE DATABASE $APP_DB OWNER $APP_ROLE" >/dev/null
    fi
    psql_at "$PRIMARY_PORT" "$APP_DB" "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null ||
        die "CREATE EXTENSION vector failed on the primary: install pgvector first (scripts/setup-postgres.sh)"
}

ensure_replica() {
    if [ -f "$REPLICA/PG_VERSION" ] && [ ! -f "$REPLICA/standby.signal" ]; then
        log "replica: $REPLICA is not a standby (no standby.signal, promoted?); copying it again"
        stop "$REPLICA" replica
        rm -rf "$REPLICA"
    fi
    if [ ! -f "$REPLICA/PG_VERSION" ]; then
        log "replica: pg_basebackup -R from port $PRIMARY_PORT into $REPLICA"
        rm -rf "$REPLICA"
        as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$SUPERUSER" -D "$REPLICA" -R -X stream \
            -c fast >/dev/null ||
            die "pg_basebackup from port $PRIMARY_PORT failed: the primary must accept replication connections"
        # later lines win over the copied primary's settings
        cat >>"$REPLICA/postgresql.conf" <<CONF
# agentstore scripts/setup-replica.sh: the replica
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
hot_standby = on
CONF
    fi
    start "$REPLICA" replica "$REPLICA_PORT"
    [ "$(psql_at "$REPLICA_PORT" postgres 'SELECT pg_is_in_recovery()')" = t ] ||
        die "the server on port $REPLICA_PORT is not in recovery (not a replica)"
}

# one caller at a time (test runs of several checkouts may call this at once)
exec 9>"/tmp/agentstore-setup-replica.lock"
flock 9

case "${1:-up}" in
    up)
        prepare_base
        ensure_primary
        ensure_replica
        log "replica streams from the primary: $(psql_at "$PRIMARY_PORT" postgres \
            "SELECT count(*) FROM pg_stat_replication") WAL sender(s) on the primary"
        echo "PRIMARY_URL=jdbc:postgresql://127.0.0.1:$PRIMARY_PORT/$APP_DB"
        echo "REPLICA_URL=jdbc:postgresql://127.0.0.1:$REPLICA_PORT/$APP_DB"
        ;;
    stop-replica) stop "$REPLICA" replica ;;
    start-replica) start "$REPLICA" replica "$REPLICA_PORT" ;;
    down)
        stop "$REPLICA" replica
        [ -n "$SOURCE_PORT" ] || stop "$PRIMARY" primary
        ;;
    destroy)
        stop "$REPLICA" replica
        [ -n "$SOURCE_PORT" ] || stop "$PRIMARY" primary
        log "deleting $BASE"
        rm -rf "$BASE"
        ;;
    *) die "unknown command '$1' (up, stop-replica, start-replica, down, destroy)" ;;
esac
