#!/usr/bin/env bash
# it_restart.sh - the daemon killed with kill -9 in the middle of a queue,
# then restarted on the same port: no experiment, job or result is lost, and
# the workers finish the queue.  Then a SIGTERM stop with a job running: its
# lease survives in the database and the same worker completes it.
. "$(dirname "$0")/lib.sh"

LEASE=3 start_daemon
make_tokens
IDS=()
for i in 1 2 3; do IDS+=("$(submit "$SPEC_4")"); done
start_worker A LMNTK_TEST_JOB_MS=400
A=$LAST_WORKER_PID
start_worker B LMNTK_TEST_JOB_MS=400
B=$LAST_WORKER_PID

succeeded_jobs() { api GET /metrics | sed -n 's/^lmntk_jobs{state="succeeded"} //p'; }
at_least() { [ "$(succeeded_jobs)" -ge "$1" ]; }
wait_until 20 at_least 3 || fail "some jobs finished"
# What was reported before the crash must be there after it.
for id in "${IDS[@]}"; do experiment "$id" | json '[.jobs[].result]'; done > "$TMP/before.txt"
kill -9 "$DAEMON_PID"
note "daemon killed with $(grep -c score "$TMP/before.txt") reported job results; 12 jobs in all"
sleep 1
start_daemon
for id in "${IDS[@]}"; do
  wait_until 30 is_state "$id" succeeded || fail "experiment $id finished after the restart"
done
for id in "${IDS[@]}"; do experiment "$id" | json '[.jobs[].result]'; done > "$TMP/after.txt"
# Three experiments after; each job result reported before is unchanged,
# and every job has one now.
jq -n -e --slurpfile before "$TMP/before.txt" --slurpfile after "$TMP/after.txt" '
  def zip($x; $y): [range([$x, $y] | map(length) | min) as $i | [$x[$i], $y[$i]]];
  ($after | length) == 3 and
  all(zip($before; $after)[]; .[0] as $b | .[1] as $a |
      all(zip($b; $a)[]; .[0] == null or .[0] == .[1]) and all($a[]; . != null))' >/dev/null \
  || fail "results changed or were lost: $(cat "$TMP/before.txt") -> $(cat "$TMP/after.txt")"
for id in "${IDS[@]}"; do
  [ "$(experiment "$id" | json '.result.n')" = 4 ] || fail "aggregate of $id"
  api GET "/v1/experiments/$id/artifacts/result.json" >/dev/null
  [ "$(status)" = 200 ] || fail "result.json of $id"
done
[ "$(api GET /v1/experiments | json '.experiments | length')" = 3 ] || fail "three experiments"

# A clean stop (SIGTERM) in the middle of a job keeps its lease.
kill -TERM "$A" "$B"
wait "$A" "$B" 2>/dev/null
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[7]}')
running() { [ "$(experiment "$ID" | json '.jobs[0].state')" = running ]; }
start_worker C LMNTK_TEST_JOB_MS=4000
wait_until 10 running || fail "the job runs"
LEASE_BEFORE=$(sqlite3 "$TMP/data/lmntk.db" "SELECT lease_id FROM jobs WHERE experiment_id='$ID'")
stop_daemon
grep -q 'lmntkd: stopped' "$TMP/daemon.log" || fail "clean stop"
[ "$(sqlite3 "$TMP/data/lmntk.db" "SELECT state, lease_id FROM jobs WHERE experiment_id='$ID'")" = \
  "running|$LEASE_BEFORE" ] || fail "the lease is in the database"
start_daemon
wait_until 20 is_state "$ID" succeeded || fail "the job finished after the restart"
[ "$(experiment "$ID" | json '.jobs[0].attempts')" = 1 ] || fail "the lease survived: one attempt"
[ "$(experiment "$ID" | json '.jobs[0].worker')" = C ] || fail "by the same worker"
note "ok"
