#!/usr/bin/env bash
# Runs one benchmark against a fresh stack in .run/bench (own ports and database):
#   scripts/bench.sh pipeline [args for the bench]   ->   node dist/bench/pipeline/run.js [args]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
source "$INTAKE_ROOT/scripts/lib/stack.sh"

[ $# -ge 1 ] || die "usage: scripts/bench.sh <bench name> [args...]   (a folder under bench/)"
BENCH=$1; shift

# Fixed on purpose, like test.sh: the database is dropped and recreated.
RUN_DIR="$INTAKE_ROOT/.run/bench"
TEMPORAL_PORT=27233 TEMPORAL_UI_PORT=28233
S3_PORT=29000 S3_CONSOLE_PORT=29001
CLAMD_PORT=23310
PORT=23000
DATABASE_URL=postgres://postgres@127.0.0.1:5432/intake_bench
unset TEMPORAL_ADDRESS S3_ENDPOINT CLAMD_HOST WORK_DIR
LOG_LEVEL=${LOG_LEVEL:-warn}
stack_export_app_env

cd "$INTAKE_ROOT"
bash scripts/bootstrap.sh
npm run build --silent
[ -f "dist/bench/$BENCH/run.js" ] || die "no benchmark dist/bench/$BENCH/run.js (is bench/$BENCH/run.ts there?)"

# A fresh stack each time, so figures do not depend on what earlier runs left behind.
mkdir -p "$RUN_DIR"
stack_stop_leftovers
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
ensure_postgres fresh
start_temporal
start_minio
start_clamd
npm run migrate --silent

status=0
node "dist/bench/$BENCH/run.js" "$@" || status=$?
exit "$status"
