#!/usr/bin/env bash
# load.sh - lmntkd under load on loopback, with wrk: requests/s and p99
# latency of GET /v1/experiments/{id} (a 10-job experiment with its jobs)
# and of POST /v1/experiments (validate, expand into 10 jobs, one fsynced
# transaction each).
#
#   bench/load.sh [BUILD_DIR]      (default: build)
#   DURATION=10s CONNECTIONS=32 THREADS=2 DAEMON_THREADS=4 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DAEMON_THREADS=${DAEMON_THREADS:-4}
LMNTKD="$BUILD/lmntkd"
[ -x "$LMNTKD" ] || { echo "load.sh: $LMNTKD not built (meson compile -C $BUILD)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-load.XXXXXX")
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p "$TMP/models/tiny"
echo '{}' > "$TMP/models/tiny/config.json"

TOKEN=$("$LMNTKD" token add --kind user --data "$TMP/data" 2>/dev/null)
"$LMNTKD" --listen 127.0.0.1:0 --port-file "$TMP/port" --data "$TMP/data" --models "$TMP/models" \
  --rate-limit 0 --threads "$DAEMON_THREADS" --max-connections 1024 --log-level warn 2>"$TMP/daemon.log" &
PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
BASE="http://127.0.0.1:$(cat "$TMP/port")"
ID=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data-binary @bench/load_spec.json "$BASE/v1/experiments" | sed 's/.*"id":"\([^"]*\)".*/\1/')
[ -n "$ID" ] || { echo "load.sh: cannot submit the experiment" >&2; cat "$TMP/daemon.log" >&2; exit 1; }

# run NAME WRK-ARGS...: one wrk run; prints its line of the summary.
run() {
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$TMP/wrk.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$TMP/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.txt")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$TMP/wrk.txt")
  printf "%-32s %12s req/s   p50 %9s   p99 %9s   non-2xx %s\n" "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "lmntkd load on loopback: wrk -t$THREADS -c$CONNECTIONS -d$DURATION; daemon threads $DAEMON_THREADS; $(nproc) CPUs"
run "GET /v1/experiments/{id}" "$BASE/v1/experiments/$ID"
LMNTK_TOKEN=$TOKEN run "POST /v1/experiments" -s bench/post_experiment.lua "$BASE/v1/experiments"
echo "experiments in the database after the run: $(curl -s "$BASE/metrics" | awk -F'} ' '/^lmntk_experiments\{/ {n += $2} END {print n}')"
