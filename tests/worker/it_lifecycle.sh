#!/usr/bin/env bash
# it_lifecycle.sh - one experiment end to end on the runner test double:
# `lmntk submit`, two workers share its jobs, `lmntk wait`, `lmntk status`,
# `lmntk results --out` (result.json and every job's artifact), the list
# filters and pages, and /metrics afterwards.
. "$(dirname "$0")/../server/lib.sh"

start_daemon
make_tokens
export LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK
echo "$SPEC_4" > "$TMP/spec.json"
ID=$("$LMNTK" submit "$TMP/spec.json") || fail "lmntk submit"
note "experiment $ID"
[ "$(state_of "$ID")" = queued ] || fail "a new experiment is queued"

start_worker A LMNTK_TEST_JOB_MS=600
start_worker B LMNTK_TEST_JOB_MS=600
"$LMNTK" wait "$ID" --timeout 30 --interval 0.2 2>"$TMP/wait.log" || fail "lmntk wait: $(cat "$TMP/wait.log")"
grep -q '100.0% succeeded 4/4 jobs' "$TMP/wait.log" || fail "wait shows the progress"

"$LMNTK" status "$ID" > "$TMP/status.txt" || fail "lmntk status"
grep -q '^state *succeeded' "$TMP/status.txt" || fail "status says succeeded"
"$LMNTK" results "$ID" --out "$TMP/out" > "$TMP/result.json" 2>"$TMP/results.log" || fail "lmntk results"

# The aggregate is the double's arithmetic over the four job results.
# cJSON prints doubles with 15 significant digits when they read back within
# its epsilon: compare at 1e-14, not bit for bit.
for f in "$TMP/result.json" "$TMP/out/result.json"; do
  jq -e '
    def abs: if . < 0 then -. else . end;
    def zip($x; $y): [range([$x, $y] | map(length) | min) as $i | [$x[$i], $y[$i]]];
    [(13, 21, 42, 87) | (. % 97) / 97 + ("kernel:sgd" | length) / 1000] as $want |
    .n == 4 and (.scores | type) == "array" and
    all(zip(.scores; $want)[]; (.[0] - .[1]) | abs < 1e-14) and
    ((.mean_score - ($want | add) / 4) | abs < 1e-12)' "$f" >/dev/null || fail "result.json: $(cat "$f")"
done
# every artifact at the path the daemon serves it by: seed<S>/<method>/<file>
for seed in 13 21 42 87; do
  for f in scores.txt scores.npy extra/note.txt; do
    [ -s "$TMP/out/seed$seed/kernel-sgd/$f" ] || fail "artifact seed$seed/kernel-sgd/$f downloaded"
  done
done
grep -qx 'seed 42 method kernel:sgd' "$TMP/out/seed42/kernel-sgd/scores.txt" || fail "job 2's artifact is its own"

experiment "$ID" > "$TMP/exp.json"
view_is() { jq -e "$1" "$TMP/exp.json" >/dev/null || fail "experiment view: $2"; }
view_is '.state == "succeeded" and .progress == 1' "succeeded"
view_is '[.jobs[].worker] | unique == ["A", "B"]' "both workers took jobs"
view_is 'all(.jobs[]; .state == "succeeded" and .attempts == 1)' "every job succeeded at once"
view_is '.jobs_by_state.succeeded == 4' "jobs by state"
view_is '.artifacts == ["result.json"]' "its artifacts"
view_is '.jobs[1].artifacts == ["1/extra/note.txt", "1/scores.npy", "1/scores.txt"]' "a job's artifacts"
view_is '[.jobs[].label] | unique == ["K(SGD)"]' "the jobs carry the method's label"
view_is '.spec.seeds == [13, 21, 42, 87]' "its spec"

# Live workers: those heard from within two lease times (6 s here).  A and
# B are still polling (every 2 s), so both count now.  This is checked while
# they run: once they are stopped the count stays 2 until two lease times
# have passed since their last poll, and on a loaded machine the rest of
# the test may take more or less than that.
live_workers() { api GET /metrics | grep -qx "lmntk_workers_live $1"; }
live_workers 2 || fail "metrics: live workers ($(api GET /metrics | grep '^lmntk_workers_live'))"

# Lists: filters and pages (two more experiments, left queued: no workers).
kill -TERM "${PIDS[1]}" "${PIDS[2]}"
wait "${PIDS[1]}" "${PIDS[2]}" 2>/dev/null
ID2=$(submit '{"task":"RTE","data":"d","model":"tiny","seeds":[1]}')
ID3=$(submit '{"task":"RTE","data":"d","seeds":[2]}')
[ "$(api GET '/v1/experiments?state=succeeded' | json '[.experiments[].id]')" = "[\"$ID\"]" ] \
  || fail "filter by state"
[ "$(api GET '/v1/experiments?task=RTE' | json '.experiments | length')" = 2 ] || fail "filter by task"
[ "$(api GET '/v1/experiments?model=tiny&task=RTE' | json '[.experiments[].id]')" = "[\"$ID2\"]" ] \
  || fail "filter by model"
P1=$(api GET '/v1/experiments?limit=2')
[ "$(echo "$P1" | json '[.experiments[].id]')" = "[\"$ID3\",\"$ID2\"]" ] || fail "newest first"
CUR=$(echo "$P1" | json '.next_cursor')
P2=$(api GET "/v1/experiments?limit=2&cursor=$CUR")
[ "$(echo "$P2" | json '[.experiments[].id]')" = "[\"$ID\"]" ] || fail "second page"
[ "$(echo "$P2" | json 'has("next_cursor") and .next_cursor == null')" = true ] \
  || fail "last page has no cursor"

api GET /metrics > "$TMP/metrics.txt"
grep -qx 'lmntk_jobs{state="succeeded"} 4' "$TMP/metrics.txt" || fail "metrics: jobs by state"
grep -qx 'lmntk_queue_depth 2' "$TMP/metrics.txt" || fail "metrics: queue depth"
grep -qx 'lmntk_job_duration_seconds_count 4' "$TMP/metrics.txt" || fail "metrics: durations"
grep -q '^lmntk_job_duration_seconds_bucket{le="1"} 4$' "$TMP/metrics.txt" || fail "metrics: buckets"
# The stopped workers drop out of the count two lease times after their last
# poll (the daemon notes a worker at most every quarter lease: <= 6.75 s).
wait_until 15 live_workers 0 || fail "metrics: stopped workers are no longer live"
note "ok"
