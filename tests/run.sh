#!/usr/bin/env bash
# run.sh - installs what is needed, builds, runs the whole test suite and
# prints the closing line "N passed, N failed".  Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./deploy/build.sh || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
if [ -x tests/browser/setup.sh ]; then tests/browser/setup.sh || true; fi
tests/npm_ci.sh tests/openapi || true

meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?
log=build/meson-logs/testlog.json
passed=0; failed=0; skipped=0
if [ -f "$log" ]; then
  passed=$(grep -c '"result": "OK"' "$log" || true)
  skipped=$(grep -c '"result": "SKIP"' "$log" || true)
  failed=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
fi
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$skipped" != 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ] && [ "$status" = 0 ]
