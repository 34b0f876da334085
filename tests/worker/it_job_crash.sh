#!/usr/bin/env bash
# it_job_crash.sh - jobs that end abnormally are reported with their reason,
# never left to expire as "stopped sending heartbeats": an allocation past
# the worker's --mem-limit ("out of memory"), a crash (SIGSEGV, with the
# job's last log line), a job process killed by SIGKILL (what the kernel's
# out-of-memory killer does).  The daemon shows each error.  A job that does
# not stop when cancelled is killed after the grace time.  The same worker
# then runs a job to success.
. "$(dirname "$0")/../server/lib.sh"

LEASE=3 start_daemon --max-attempts 1
make_tokens
WORKER_FLAGS="--mem-limit 64" start_worker A LMNTK_TEST_JOB_MS=1500 LMNTK_TEST_ALLOC_SEED=11 \
  LMNTK_TEST_CRASH_SEED=12 LMNTK_TEST_DEAF_SEED=14 LMNTK_TEST_PID_FILE="$TMP/job.pid"
A=$LAST_WORKER_PID

failed_with() {  # failed_with SEED TEXT: the experiment of SEED fails with TEXT as the job's error
  local id
  id=$(submit "{\"task\":\"SST-2\",\"data\":\"d\",\"model\":\"tiny\",\"seeds\":[$1]}")
  [ -n "$id" ] || fail "submit: $(cat "$TMP/body")"
  [ "${3:-}" = kill ] && { wait_until 10 test -s "$TMP/job.pid" || fail "no job process"; sleep 0.3; kill -9 "$(cat "$TMP/job.pid")"; }
  T0=$SECONDS
  wait_until 10 is_state "$id" failed || fail "seed $1: $(experiment "$id" | json '.state')"
  local e
  e=$(experiment "$id" | json '.jobs[0].error')
  grep -q -F -- "$2" <<<"$e" || fail "seed $1's error: $e"
  experiment "$id" | json '.error' | grep -q -F -- "$2" || fail "seed $1: the experiment's error"
  note "seed $1 failed in $((SECONDS - T0)) s: $e"
}

failed_with 11 "out of memory: allocating 1073741824 bytes failed (the job's memory limit is 64 MiB"
failed_with 12 "the job process crashed: Segmentation fault (signal 11); its last output:"
grep -q "test double: seed 12 crashes now" "$TMP/worker-A.log" || fail "the job's log passes through"
rm -f "$TMP/job.pid"
failed_with 13 "the job process was killed (signal 9, SIGKILL)" kill

# Seed 14 sleeps 20 s without looking: cancelled, it is killed after 5 s.
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[14]}')
running() { [ "$(experiment "$ID" | json '.jobs[0].state')" = running ]; }
wait_until 10 running || fail "seed 14 runs"
api DELETE "/v1/experiments/$ID" -H "Authorization: Bearer $UTOK" >/dev/null
T0=$SECONDS
wait_until 10 grep -q 'job 0: cancelled' "$TMP/worker-A.log" || fail "the deaf job was not stopped"
grep -q 'not stopped 5 s after it was asked; killed' "$TMP/worker-A.log" || fail "killed after the grace"
note "a job deaf to cancel was killed, $((SECONDS - T0)) s after the cancel"

kill -0 "$A" || fail "the worker exited"
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[21]}')
wait_until 15 is_state "$ID" succeeded || fail "a job after the failures: $(experiment "$ID" | json '.state')"
[ "$(experiment "$ID" | json '.jobs[0].worker')" = A ] || fail "the same worker ran it"
note "ok"
