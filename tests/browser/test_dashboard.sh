#!/usr/bin/env bash
# test_dashboard.sh - the dashboard in a real browser: lmntkd (serving web/)
# and one lmntk-worker on a free loopback port, a temporary data folder, the
# small reference RoBERTa as the only registered model, and a tiny SST-2 split
# (k = 4, seeds 13 and 42) cut from ../shared/data into the worker's
# --data-root as k-shot-1k-test/SST-2, and a small corpus (SST-2 test
# sentences) as corpus/sst2-sentences.txt for a tiny pre-training run; then dashboard.test.mjs
# drives headless Chromium through it.  Screenshots go to $SHOT_DIR (by
# default BUILD/meson-logs/browser), printed at the end.
# Skipped (77) only when there is no chromium to drive.
#   test_dashboard.sh BUILD_DIR SOURCE_ROOT SHARED_DIR
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) shared=$3
here=$src/tests/browser
chromium=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  echo "# no chromium at $chromium (deploy/install-deps.sh installs it): skipped"
  exit 77
fi
command -v node >/dev/null || { echo "FAIL: node is missing (deploy/install-deps.sh installs nodejs)"; exit 1; }
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  "$here/setup.sh" || { echo "FAIL: tests/browser/setup.sh could not install playwright-core"; exit 1; }
fi
model=$shared/reference/lmkft-small/model
kshot=$shared/data/k-shot-1k-test/SST-2
for need in "$model/config.json" "$kshot/16-42/train.tsv" "$kshot/16-13/train.tsv"; do
  [ -e "$need" ] || { echo "FAIL: missing $need"; exit 1; }
done
for bin in lmntkd lmntk-worker lmntk; do
  [ -x "$build/$bin" ] || { echo "FAIL: $build/$bin is not built"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-browser.XXXXXX")
daemon_pid=""
cleanup() {
  local rc=$?
  if [ -s "$tmp/worker.pid" ]; then kill -TERM "$(cat "$tmp/worker.pid")" 2>/dev/null; fi
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null
  sleep 0.3
  if [ -s "$tmp/worker.pid" ]; then kill -9 "$(cat "$tmp/worker.pid")" 2>/dev/null; fi
  [ -n "$daemon_pid" ] && { kill -9 "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; }
  if [ "$rc" != 0 ]; then
    for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# models (lmkft-small), cache, work and a tiny data root (k-shot-1k-test/SST-2/<k>-<seed>, a corpus)
"$src/tests/fixtures/tiny_workspace.sh" "$shared" "$tmp" || { echo "FAIL: tests/fixtures/tiny_workspace.sh"; exit 1; }

UTOK=$("$build/lmntkd" token add --kind user --data "$tmp/data" 2>>"$tmp/daemon.log") || { echo "FAIL: token add"; exit 1; }
WTOK=$("$build/lmntkd" token add --kind worker --data "$tmp/data" 2>>"$tmp/daemon.log") || { echo "FAIL: token add"; exit 1; }
"$build/lmntkd" --listen 127.0.0.1:0 --port-file "$tmp/port" --data "$tmp/data" --models "$tmp/models" \
  --web "$src/web" --rate-limit 0 --lease-seconds 10 --threads 4 2>>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "FAIL: lmntkd did not start"; exit 1; }
base=http://127.0.0.1:$(cat "$tmp/port")

shots=${SHOT_DIR:-$build/meson-logs/browser}
mkdir -p "$shots"
rm -f "$shots"/*.png

(umask 077; echo "browser test cache secret $RANDOM$RANDOM" > "$tmp/cache-secret")
BASE=$base UTOK=$UTOK WTOK=$WTOK CHROMIUM=$chromium SHOT_DIR=$shots DATA_DIR=k-shot-1k-test/SST-2 \
  MODEL_NAME=lmkft-small WORKER_BIN=$build/lmntk-worker WORKER_PIDFILE=$tmp/worker.pid LMNTK_BIN=$build/lmntk \
  WORKER_ARGS="--cache $tmp/cache --cache-secret-file $tmp/cache-secret --models $tmp/models --data-root $tmp/data-root --work $tmp/work --poll 0.2 --threads 2 --name browser-worker" \
  WORKER_LOG=$tmp/worker.log \
  timeout 210 node "$here/dashboard.test.mjs"
rc=$?
echo "# screenshots: $shots"
exit $rc
