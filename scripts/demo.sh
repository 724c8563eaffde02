#!/usr/bin/env bash
# Runs the standalone workflow demo (examples/WorkflowDemo) against the local PostgreSQL that
# scripts/setup-postgres.sh prepares. AGENTSTORE_DB_* variables point it elsewhere; it works in
# schema agentstore_demo unless AGENTSTORE_DB_SCHEMA says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -q -Pdemo -pl examples -am -DskipTests verify
