#!/usr/bin/env bash
# One command runs the full suite: toolchain, build, a throwaway stack in .run/test on its own
# ports and database (so it never touches `npm run dev`'s data), then jest. Arguments go to jest:
#   scripts/test.sh --selectProjects unit      scripts/test.sh test/e2e/pipeline.spec.ts
# Exits with jest's status; the stack is stopped however the run ends.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
source "$INTAKE_ROOT/scripts/lib/stack.sh"

# INTAKE_TEST_SLOT (1-5, default 1) picks the stack's name and ports, so up to five checkouts can run
# their suites side by side: slot 3 is .run/test3 on 37233, 39000, 33310, 33000, intake_test3.
# Slot 2 shares its ports with scripts/bench.sh: never run both at once.
slot=${INTAKE_TEST_SLOT:-1}
[[ $slot =~ ^[1-5]$ ]] || { echo "INTAKE_TEST_SLOT must be 1-5 (ports are the slot digit + 4 digits)" >&2; exit 2; }
use_throwaway_stack "test$([ "$slot" = 1 ] || echo "$slot")" "$slot"
# test/support/stack.ts refuses to run integration/e2e specs without it.
export INTAKE_TEST_STACK=1

# Phase timings, printed as they finish and again at the end.
TIMINGS=()
phase() { PHASE=$1; PHASE_START=${EPOCHREALTIME/[.,]/}; echo "==> $1"; }
phase_done() {
  local ms=$(((${EPOCHREALTIME/[.,]/} - PHASE_START) / 1000))
  TIMINGS+=("$(printf '%-10s %6d.%01ds' "$PHASE" $((ms / 1000)) $((ms % 1000 / 100)))")
  echo "    $PHASE took ${TIMINGS[-1]##* }"
}
# shellcheck disable=SC2317  # called from the EXIT trap
finish() {
  phase stop
  stop_all
  phase_done
  echo "==> timings"
  printf '    %s\n' "${TIMINGS[@]}"
}

cd "$INTAKE_ROOT"
phase bootstrap
bash scripts/bootstrap.sh
phase_done

phase build
npm run build --silent
# jest compiles specs with swc, which strips types without checking them: check them here.
npm run typecheck --silent
phase_done

phase stack
start_throwaway_stack finish
phase_done

phase jest
status=0
npx --no -- jest --ci "$@" || status=$?
phase_done
exit "$status"
