#!/usr/bin/env bash
# it_worker_kill.sh - kill -9 of a worker in the middle of a job: its lease
# (3 s) expires, the job goes back to the queue, the other worker runs it,
# and the result is the one an undisturbed run gives.
. "$(dirname "$0")/../server/lib.sh"

LEASE=3 start_daemon
make_tokens
SPEC='{"task":"SST-2","data":"d","model":"tiny","seeds":[42]}'
ID=$(submit "$SPEC")
start_worker A LMNTK_TEST_JOB_MS=20000
A=$LAST_WORKER_PID
job0() { experiment "$ID" | json ".jobs[0].$1"; }
running_on_a() { [ "$(job0 state)" = running ] && [ "$(job0 worker)" = A ]; }
wait_until 10 running_on_a || fail "worker A took the job"
sleep 0.5
kill -9 "$A"
note "killed worker A mid-job"

start_worker B LMNTK_TEST_JOB_MS=300
wait_until 20 is_state "$ID" succeeded || fail "the job finished on worker B"
[ "$(job0 worker)" = B ] || fail "worker B ran it"
[ "$(job0 attempts)" = 2 ] || fail "the lost lease counted as an attempt"
grep -q 'lease expired' "$TMP/daemon.log" || fail "the daemon logged the expiry"

# The same spec, undisturbed, for comparison.
ID2=$(submit "$SPEC")
wait_until 20 is_state "$ID2" succeeded || fail "reference run"
R1=$(experiment "$ID" | json '.result')
R2=$(experiment "$ID2" | json '.result')
[ "$R1" = "$R2" ] || fail "results differ: $R1 vs $R2"
[ "$(experiment "$ID" | json '.jobs[0].result')" = \
  "$(experiment "$ID2" | json '.jobs[0].result')" ] || fail "job results differ"
note "ok: $R1"
