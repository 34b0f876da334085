#!/usr/bin/env bash
# it_bad_replies.sh - lmntk-worker against a server (tests/worker/
# lease_server_double.c) that answers its lease calls with a body that is
# not JSON, JSON cut off, a JSON object that is not a lease, a lease whose id
# is a path, a lease with an absurd number, 500, 429, a dropped connection, a
# reply declaring 4 GiB and one that never ends: each is logged and retried
# with growing, capped waits; nothing of a bad lease is used; the worker's
# memory stays bounded; the real lease that follows is run and completed.
. "$(dirname "$0")/../server/lib.sh"

STEPS=(garbage partial incomplete badid badnum 500 429 close huge endless good)
"$LEASE_SERVER" "$TMP/port" "$TMP/server.log" "${STEPS[@]}" 2>>"$TMP/server.log" &
PIDS+=($!)
wait_until 10 test -s "$TMP/port" || fail "the server double did not start"
BASE="http://127.0.0.1:$(cat "$TMP/port")"

# poll 0.1 s; waits double up to 0.4 s, drawn from [wait/2, wait]
"$WORKER" --server "$BASE" --token t --name A --work "$TMP/work" --data-root "$TMP/dataroot" --retry-max 0.4 2>>"$TMP/worker-A.log" &
W=$!
PIDS+=("$W")
completed() { grep -q '^complete ' "$TMP/server.log"; }
wait_until 60 completed || fail "the good lease was not completed: $(tail -3 "$TMP/worker-A.log")"
kill -0 "$W" || fail "the worker exited"

log=$TMP/worker-A.log
expect() {  # expect COUNT TEXT: lines of the worker's log with TEXT
  local n
  n=$(grep -c -F -- "$2" "$log")
  [ "$n" = "$1" ] || fail "$n lines (want $1) of: $2"
}
expect 2 "the server's reply is not JSON"          # garbage, partial
expect 1 'not a lease: "spec" is not a string'     # incomplete
expect 1 'not a lease: "lease" is not a UUID'      # badid
expect 1 'not a lease: "job_index" is not an integer'
expect 1 '500 internal: the database is locked'
expect 1 '429 rate_limited: slow down'
expect 1 'Server returned nothing'                 # close
expect 2 'the reply is larger than 67108864 bytes, the limit'  # huge, endless
expect 10 'retrying in'
note "$(grep -c '^lease ' "$TMP/server.log") lease calls, every bad reply logged and retried"

# The waits grew and stayed under the cap.
waits=$(grep -o 'lease: .*retrying in [0-9.]* s' "$log" | grep -o '[0-9.]* s$' | cut -d' ' -f1 | tr '\n' ' ')
awk -v w="$waits" 'BEGIN { n = split(w, a, " "); for (i = 1; i <= n; i++) { if (a[i] > 0.4) exit 1; if (a[i] > m) m = a[i] }
                          exit !(m > 0.15 && a[1] <= 0.1) }' || fail "waits did not grow within the cap: $waits"
note "waits: $waits"

# One report, for the good lease, with the job's result; no request used the
# bad lease's id (its path would have been logged).
[ "$(grep -c -v '^lease ' "$TMP/server.log")" = 1 ] || fail "reports: $(grep -v '^lease ' "$TMP/server.log")"
grep -q '^complete /v1/leases/3f2b8c1e-5d4a-4b6f-9e21-7a0c4d8e1f90/complete {"result":{"seed":5' "$TMP/server.log" \
  || fail "the completion: $(grep '^complete' "$TMP/server.log")"

# Bounded reads: the endless reply did not grow the worker past the limit.
peak_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$W/status")
[ "$peak_kb" -lt $((200 * 1024)) ] || fail "the worker's peak memory is $peak_kb kB"
note "ok: peak memory $((peak_kb / 1024)) MiB after a 4 GiB and an endless reply"
