#!/usr/bin/env bash
# Prepares a local PostgreSQL for agentstore's integration tests.
#
#   1. starts the local PostgreSQL cluster if it is not accepting connections;
#   2. builds and installs the pgvector extension from Debian's source package
#      (next release, trixie) when `CREATE EXTENSION vector` is not available;
#   3. creates role `agentstore` (password `agentstore`, LOGIN CREATEDB) and
#      databases `agentstore` and `agentstore_it` (a second name to try things with; the WildFly integration tests
#      use a primary and replica of their own, scripts/setup-replica.sh) owned by it, each with the
#      `vector` extension created (pgvector is not a trusted extension: only a superuser can create it).
#
#   4. starts a PgBouncer in transaction mode on 127.0.0.1:6433 for the pooler tests (scripts/setup-pgbouncer.sh;
#      AGENTSTORE_SETUP_SKIP_PGBOUNCER=1 skips it).
#
# Idempotent: every step checks first, so running it again is cheap and safe.
#
# Environment overrides (defaults in brackets):
#   AGENTSTORE_SETUP_PGHOST         [127.0.0.1]
#   AGENTSTORE_SETUP_PGPORT         [5432]
#   AGENTSTORE_SETUP_SUPERUSER      [postgres]
#   AGENTSTORE_SETUP_START_TIMEOUT  [60]   seconds to wait for the cluster
#   AGENTSTORE_SETUP_WORKDIR        [/var/tmp/agentstore-pgvector]  build dir
set -euo pipefail

PGHOST_="${AGENTSTORE_SETUP_PGHOST:-127.0.0.1}"
PGPORT_="${AGENTSTORE_SETUP_PGPORT:-5432}"
SUPERUSER="${AGENTSTORE_SETUP_SUPERUSER:-postgres}"
START_TIMEOUT="${AGENTSTORE_SETUP_START_TIMEOUT:-60}"
WORKDIR="${AGENTSTORE_SETUP_WORKDIR:-/var/tmp/agentstore-pgvector}"
SRC_LIST=/etc/apt/sources.list.d/agentstore-trixie-src.list

APP_ROLE=agentstore
APP_PASSWORD=agentstore
APP_DB=agentstore
# a second database with another name (the WildFly integration tests use the same name on their own primary)
IT_DB=agentstore_it

log() { echo "[setup-postgres] $*"; }
die() {
    echo "[setup-postgres] ERROR: $*" >&2
    exit 1
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 ||
        die "'$1' not found. Install the PostgreSQL client tools (apt-get install postgresql-client) and retry."
}

is_local_host() {
    case "$PGHOST_" in
        127.0.0.1 | localhost | ::1 | /*) return 0 ;;
        *) return 1 ;;
    esac
}

# How the superuser connects: over TCP (trust, ~/.pgpass or PGPASSWORD), or, on a stock Debian install where
# TCP needs a password, as root through the Unix socket with peer authentication (runuser -u postgres).
SU_VIA_SOCKET=0

# psql as the superuser; extra args are passed through (-d DB, -c SQL, ...).
su_psql() {
    if [ "$SU_VIA_SOCKET" -eq 1 ]; then
        runuser -u "$SUPERUSER" -- env PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
            psql -X -q -p "$PGPORT_" -v ON_ERROR_STOP=1 "$@"
    else
        PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -h "$PGHOST_" -p "$PGPORT_" -U "$SUPERUSER" -v ON_ERROR_STOP=1 "$@"
    fi
}

# ---------------------------------------------------------------------------
# 1. PostgreSQL running?
# ---------------------------------------------------------------------------
ensure_running() {
    need_cmd pg_isready
    need_cmd psql
    if pg_isready -q -h "$PGHOST_" -p "$PGPORT_"; then
        log "PostgreSQL is accepting connections on $PGHOST_:$PGPORT_"
        return
    fi
    if ! is_local_host; then
        die "PostgreSQL on $PGHOST_:$PGPORT_ is not accepting connections and is not local, so it cannot be started here. Start it, or point AGENTSTORE_SETUP_PGHOST/AGENTSTORE_SETUP_PGPORT at a running server."
    fi
    command -v pg_ctlcluster >/dev/null 2>&1 ||
        die "PostgreSQL on $PGHOST_:$PGPORT_ is down and pg_ctlcluster is not installed. Install the server (apt-get install postgresql) or start your server by hand."
    local confdir version started=0
    for confdir in /etc/postgresql/*/main; do
        [ -d "$confdir" ] || continue
        version="$(basename "$(dirname "$confdir")")"
        started=1
        log "PostgreSQL is down on $PGHOST_:$PGPORT_; starting cluster $version/main"
        # 'start' on a running cluster exits 2; tolerate it and rely on pg_isready.
        pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
            log "pg_ctlcluster $version main start exited $? (continuing; waiting for the server)"
    done
    [ "$started" -eq 1 ] ||
        die "PostgreSQL on $PGHOST_:$PGPORT_ is down and no cluster exists under /etc/postgresql. Create one (pg_createcluster 15 main) or start your server by hand."

    local waited=0
    until pg_isready -q -h "$PGHOST_" -p "$PGPORT_"; do
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            die "PostgreSQL did not accept connections on $PGHOST_:$PGPORT_ within ${START_TIMEOUT}s. Check the log under /var/log/postgresql/ and 'pg_lsclusters'."
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "PostgreSQL is up on $PGHOST_:$PGPORT_ (waited ${waited}s)"
}

# ---------------------------------------------------------------------------
# 2. pgvector available?
# ---------------------------------------------------------------------------
vector_available() {
    [ "$(su_psql -d postgres -Atc "SELECT 1 FROM pg_available_extensions WHERE name='vector'")" = "1" ]
}

# Host of the machine's Debian mirror (same one bookworm comes from).
debian_mirror() {
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri="$(awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' \
            /etc/apt/sources.list.d/debian.sources)"
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri="$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^(https?|ftp):\/\// && $i !~ /security/) {print $i; exit}}' \
            /etc/apt/sources.list)"
    fi
    if [ -z "$uri" ]; then
        uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) if ($i ~ /debian\/?$/ && $i !~ /security/) {print $i; exit}}')"
    fi
    uri="${uri:-http://deb.debian.org/debian}"
    echo "${uri%/}"
}

install_pgvector() {
    if vector_available; then
        log "pgvector: extension 'vector' is available"
        return
    fi
    is_local_host ||
        die "extension 'vector' is not available on $PGHOST_:$PGPORT_ and that server is not local, so pgvector cannot be installed from here. Install pgvector on that server."
    [ "$(id -u)" -eq 0 ] ||
        die "extension 'vector' is not available and installing pgvector needs root (apt-get, make install). Re-run as root: sudo bash $0"
    command -v apt-get >/dev/null 2>&1 ||
        die "extension 'vector' is not available and this is not a Debian/apt system. Install pgvector for your PostgreSQL (https://github.com/pgvector/pgvector#installation) and re-run."

    local server_num major pg_config
    server_num="$(su_psql -d postgres -Atc 'SHOW server_version_num')"
    major=$((server_num / 10000))
    pg_config="/usr/lib/postgresql/$major/bin/pg_config"
    log "pgvector: extension 'vector' is missing; building it from Debian source for PostgreSQL $major"

    export DEBIAN_FRONTEND=noninteractive

    local mirror
    mirror="$(debian_mirror)"
    local line="deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main"
    if [ ! -f "$SRC_LIST" ] || ! grep -qxF "$line" "$SRC_LIST"; then
        log "pgvector: adding source-only apt entry $SRC_LIST ($mirror trixie, deb-src only)"
        printf '# Added by agentstore scripts/setup-postgres.sh: source packages only,\n# used to build pgvector for the local PostgreSQL. No binaries come from here.\n%s\n' \
            "$line" >"$SRC_LIST"
    else
        log "pgvector: source-only apt entry $SRC_LIST already present"
    fi

    log "pgvector: apt-get update"
    apt-get update -q ||
        die "apt-get update failed. Check network access to $mirror and the entry in $SRC_LIST."

    # Only what is missing, so already-installed tools are not upgraded. These
    # come from the machine's own release: the trixie entry is deb-src only.
    local pkg missing=()
    for pkg in "postgresql-server-dev-$major" build-essential dpkg-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "pgvector: installing build dependencies: ${missing[*]}"
        apt-get install -y -q --no-install-recommends "${missing[@]}" ||
            die "could not install ${missing[*]} with apt-get. Fix apt (see messages above) and re-run."
    else
        log "pgvector: build dependencies already installed (postgresql-server-dev-$major build-essential dpkg-dev)"
    fi
    [ -x "$pg_config" ] ||
        die "$pg_config not found after installing postgresql-server-dev-$major."

    log "pgvector: downloading Debian source package pgvector (trixie) into $WORKDIR"
    rm -rf "$WORKDIR"
    mkdir -p "$WORKDIR"
    # _apt must be able to write the download dir, otherwise apt downloads
    # unsandboxed as root and prints a notice; either way works.
    chown _apt "$WORKDIR" 2>/dev/null || true
    (cd "$WORKDIR" && apt-get source -q pgvector/trixie) ||
        die "apt-get source pgvector/trixie failed. Is '$line' reachable (apt-get update above) and does trixie still ship pgvector?"

    local srcdir
    srcdir="$(find "$WORKDIR" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)"
    if [ -z "$srcdir" ] || [ ! -f "$srcdir/Makefile" ]; then
        die "could not find the unpacked pgvector source under $WORKDIR (is dpkg-dev installed?)."
    fi
    log "pgvector: building $(basename "$srcdir") with $pg_config (OPTFLAGS=\"\" for a portable build)"

    # OPTFLAGS="": no -march=native (Debian's no-native patch does the same).
    # with_llvm=no: skip the JIT bitcode (.bc), which is optional and needs clang.
    local build_start=$SECONDS
    make -C "$srcdir" PG_CONFIG="$pg_config" OPTFLAGS="" with_llvm=no ||
        die "building pgvector in $srcdir failed (see compiler output above)."
    make -C "$srcdir" PG_CONFIG="$pg_config" OPTFLAGS="" with_llvm=no install ||
        die "installing pgvector from $srcdir failed (see output above)."
    log "pgvector: build and install took $((SECONDS - build_start))s"

    vector_available ||
        die "pgvector was built and installed into $($pg_config --sharedir)/extension, but the server on $PGHOST_:$PGPORT_ still does not list 'vector' in pg_available_extensions. Is that server PostgreSQL $major from /usr/lib/postgresql/$major?"
    log "pgvector: installed $(su_psql -d postgres -Atc "SELECT default_version FROM pg_available_extensions WHERE name='vector'")"
}

# ---------------------------------------------------------------------------
# 3. role, database, extension
# ---------------------------------------------------------------------------
ensure_role_and_db() {
    if [ "$(su_psql -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname='$APP_ROLE'")" = "1" ]; then
        log "role $APP_ROLE exists; ensuring LOGIN CREATEDB and password"
    else
        log "creating role $APP_ROLE (LOGIN CREATEDB)"
    fi
    su_psql -d postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
        CREATE ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
    ELSE
        ALTER ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
    END IF;
END
\$\$;
SQL

    local db
    for db in $APP_DB $IT_DB; do
        if [ "$(su_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$db'")" = "1" ]; then
            log "database $db exists"
        else
            log "creating database $db owned by $APP_ROLE"
            su_psql -d postgres -c "CREATE DATABASE $db OWNER $APP_ROLE"
        fi
        log "granting CREATE on database $db to $APP_ROLE; creating extension vector in $db"
        su_psql -d postgres -c "GRANT CREATE ON DATABASE $db TO $APP_ROLE"
        su_psql -d "$db" -c "CREATE EXTENSION IF NOT EXISTS vector"
    done
    log "database $APP_DB: vector $(su_psql -d "$APP_DB" -Atc "SELECT extversion FROM pg_extension WHERE extname='vector'") ready; connect with postgresql://$APP_ROLE:$APP_PASSWORD@$PGHOST_:$PGPORT_/$APP_DB"
}

main() {
    log "target $SUPERUSER@$PGHOST_:$PGPORT_"
    ensure_running
    if ! su_psql -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && is_local_host &&
        command -v runuser >/dev/null 2>&1 && id -u "$SUPERUSER" >/dev/null 2>&1; then
        log "cannot log in as $SUPERUSER over TCP; using the local socket as OS user $SUPERUSER (peer authentication)"
        SU_VIA_SOCKET=1
    fi
    su_psql -d postgres -Atc 'SELECT 1' >/dev/null ||
        die "cannot connect to $PGHOST_:$PGPORT_ as superuser '$SUPERUSER'. Set AGENTSTORE_SETUP_SUPERUSER to a superuser that can log in without a password (or via ~/.pgpass / PGPASSWORD)."
    [ "$(su_psql -d postgres -Atc 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = "t" ] ||
        die "role '$SUPERUSER' on $PGHOST_:$PGPORT_ is not a superuser; creating roles and the vector extension needs one. Set AGENTSTORE_SETUP_SUPERUSER to a superuser (default: postgres)."
    install_pgvector
    ensure_role_and_db
    # the pooler tests (PgBouncerTest) need a PgBouncer in transaction mode in front of this server
    [ "${AGENTSTORE_SETUP_SKIP_PGBOUNCER:-0}" = 1 ] || "$(dirname "$0")/setup-pgbouncer.sh"
    log "done"
}

main "$@"
