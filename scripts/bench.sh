#!/usr/bin/env bash
# Runs one benchmark against a fresh stack in .run/bench (own ports and database):
#   scripts/bench.sh pipeline [args for the bench]   ->   node dist/bench/pipeline/run.js [args]
#   scripts/bench.sh webhooks --uploads 100   (see bench/README.md for each bench's flags)
#   INTAKE_BENCH_SLOT=4 scripts/bench.sh video --only crash   (segmented transcoding; starts its own workers)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
source "$INTAKE_ROOT/scripts/lib/stack.sh"

[ $# -ge 1 ] || die "usage: scripts/bench.sh <bench name> [args...]   (a folder under bench/)"
BENCH=$1; shift

# INTAKE_BENCH_SLOT (default 2) picks the ports, as INTAKE_TEST_SLOT does for scripts/test.sh: a
# checkout whose test slot is free can bench there while slot 2 runs someone's suite.
slot=${INTAKE_BENCH_SLOT:-2}
[[ $slot =~ ^[1-5]$ ]] || die "INTAKE_BENCH_SLOT must be 1-5"
use_throwaway_stack "bench$([ "$slot" = 2 ] || echo "$slot")" "$slot"

cd "$INTAKE_ROOT"
bash scripts/bootstrap.sh
npm run build --silent
[ -f "dist/bench/$BENCH/run.js" ] || die "no benchmark dist/bench/$BENCH/run.js (is bench/$BENCH/run.ts there?)"

start_throwaway_stack stop_all

status=0
node "dist/bench/$BENCH/run.js" "$@" || status=$?
exit "$status"
