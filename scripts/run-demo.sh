#!/usr/bin/env bash
# The main job in one command: prepares PostgreSQL + pgvector (scripts/setup-postgres.sh) and the corpus, the
# PostgreSQL 15 manual (scripts/setup-corpus.sh), builds the CLI jar, then runs `bin/agentstore demo`.
#
#   scripts/run-demo.sh                      # 200 questions over the whole manual
#   scripts/run-demo.sh --questions 20       # any `agentstore demo` option is passed through
#
# Idempotent: setup steps check first; a second run reuses the stored chunks (nothing is embedded again).
# AGENTSTORE_DB_* variables point the demo at another database (default: the local one setup-postgres.sh prepares,
# schema `agentstore`); AGENTSTORE_SKIP_BUILD=true reuses an existing cli/target/agentstore-cli.jar.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[run-demo] $*" >&2; }

if [ -z "${AGENTSTORE_DB_URL:-}${AGENTSTORE_DB_HOST:-}" ]; then
    scripts/setup-postgres.sh
else
    log "AGENTSTORE_DB_URL/HOST set: skipping the local PostgreSQL setup"
fi

html_dir="$(scripts/setup-corpus.sh | tail -n1)"
html_dir="${html_dir#HTML_DIR=}"

jar=cli/target/agentstore-cli.jar
if [ "${AGENTSTORE_SKIP_BUILD:-false}" = "true" ] && [ -f "$jar" ]; then
    log "reusing $jar"
else
    log "building the CLI (mvn -pl cli -am package, tests skipped)"
    mvn -B -q -pl cli -am -DskipTests package
fi

exec bin/agentstore demo --corpus "$html_dir" "$@"
