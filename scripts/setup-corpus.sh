#!/usr/bin/env bash
# Installs the demo corpus: the PostgreSQL 15 manual as HTML, from Debian's postgresql-doc-15 package.
#
# Idempotent: when the HTML directory is already there, nothing is installed. Prints the directory on its last line
# of standard output (`HTML_DIR=...`), so scripts can pick it up with `tail -n1`.
#
# Environment overrides:
#   AGENTSTORE_CORPUS_DIR   use this directory instead (it must hold bookindex.html); nothing is installed
set -euo pipefail

log() { echo "[setup-corpus] $*" >&2; }
die() {
    echo "[setup-corpus] ERROR: $*" >&2
    exit 1
}

if [ -n "${AGENTSTORE_CORPUS_DIR:-}" ]; then
    [ -f "$AGENTSTORE_CORPUS_DIR/bookindex.html" ] ||
        die "AGENTSTORE_CORPUS_DIR=$AGENTSTORE_CORPUS_DIR has no bookindex.html; point it at the manual's HTML directory."
    echo "HTML_DIR=$AGENTSTORE_CORPUS_DIR"
    exit 0
fi

find_html_dir() {
    # the package's documented location first, then whatever dpkg says it installed
    local d
    for d in /usr/share/doc/postgresql-doc-15/html; do
        [ -f "$d/bookindex.html" ] && { echo "$d"; return 0; }
    done
    if dpkg -s postgresql-doc-15 >/dev/null 2>&1; then
        d="$(dpkg -L postgresql-doc-15 | grep '/bookindex\.html$' | head -n1 || true)"
        [ -n "$d" ] && { dirname "$d"; return 0; }
    fi
    return 1
}

if dir="$(find_html_dir)"; then
    log "the PostgreSQL 15 manual is installed"
else
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install Debian's postgresql-doc-15 package by hand, or set AGENTSTORE_CORPUS_DIR."
    [ "$(id -u)" -eq 0 ] || die "installing postgresql-doc-15 needs root (run: sudo apt-get install -y postgresql-doc-15)."
    log "installing postgresql-doc-15 (the PostgreSQL 15 manual as HTML)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql-doc-15 >&2; then
        log "apt-get install failed; refreshing the package lists and retrying"
        apt-get update -q >&2
        apt-get install -y -q postgresql-doc-15 >&2 || die "apt-get install postgresql-doc-15 failed"
    fi
    dir="$(find_html_dir)" || die "postgresql-doc-15 is installed but no bookindex.html was found in it (dpkg -L postgresql-doc-15)"
fi

pages="$(find "$dir" -maxdepth 1 -name '*.html' | wc -l)"
log "manual: $dir ($pages HTML pages)"
echo "HTML_DIR=$dir"
