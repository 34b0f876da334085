#!/usr/bin/env bash
# it_cancel_fail.sh - DELETE reaches a running worker at its next heartbeat
# (the worker stops the job and takes the next one), and a job that fails
# max_attempts times fails the experiment with its error text.
. "$(dirname "$0")/../server/lib.sh"

LEASE=3 start_daemon --max-attempts 2
make_tokens
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[13]}')
start_worker A LMNTK_TEST_JOB_MS=30000 LMNTK_TEST_FAIL_SEED=21
running() { [ "$(experiment "$ID" | json '.jobs[0].state')" = running ]; }
wait_until 10 running || fail "the job runs"
T0=$SECONDS
api DELETE "/v1/experiments/$ID" -H "Authorization: Bearer $UTOK" >/dev/null
[ "$(status)" = 200 ] || fail "DELETE: $(status) $(cat "$TMP/body")"
[ "$(state_of "$ID")" = cancelled ] || fail "cancelled at once"
wait_until 5 grep -q 'job 0: cancelled' "$TMP/worker-A.log" || fail "the worker stopped the job"
[ $((SECONDS - T0)) -le 3 ] || fail "cancel took $((SECONDS - T0)) s (heartbeat every 1 s)"
[ "$(experiment "$ID" | json '.jobs[0].state')" = cancelled ] || fail "job cancelled"
api DELETE "/v1/experiments/$ID" -H "Authorization: Bearer $UTOK" >/dev/null
[ "$(status)" = 200 ] || fail "cancelling twice is fine"

# Seed 21 always fails on A: two attempts, then the experiment fails.
ID2=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[21]}')
wait_until 15 is_state "$ID2" failed || fail "the experiment failed"
E=$(experiment "$ID2")
[ "$(echo "$E" | json '.jobs[0].attempts')" = 2 ] || fail "two attempts"
echo "$E" | json '.jobs[0].error' | grep -q 'seed 21 fails' || fail "job error text"
echo "$E" | json '.error' | grep -q 'job 0 failed after 2 attempts: test double: seed 21 fails' \
  || fail "experiment error: $(echo "$E" | json '.error')"
api DELETE "/v1/experiments/$ID2" -H "Authorization: Bearer $UTOK" >/dev/null
[ "$(status)" = 409 ] || fail "a failed experiment cannot be cancelled"
kill -0 "$LAST_WORKER_PID" || fail "the worker is still serving"

# SIGTERM in the middle of a job hands it back: queued, no attempt used.
kill -TERM "$LAST_WORKER_PID"
wait "$LAST_WORKER_PID" 2>/dev/null
start_worker B LMNTK_TEST_JOB_MS=30000
B=$LAST_WORKER_PID
ID3=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[31]}')
running3() { [ "$(experiment "$ID3" | json '.jobs[0].state')" = running ]; }
wait_until 10 running3 || fail "B runs the job"
kill -TERM "$B"
wait "$B" 2>/dev/null
[ "$(experiment "$ID3" | json '[.jobs[0].state, .jobs[0].attempts]')" = '["queued",0]' ] \
  || fail "handed back: $(experiment "$ID3" | json '.jobs[0]')"
grep -q 'job 0: handed back' "$TMP/worker-B.log" || fail "the worker says so"
note "ok"
