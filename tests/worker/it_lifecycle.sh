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
"$PYTHON" - "$TMP/result.json" "$TMP/out/result.json" <<'PY' || fail "result.json"
import json, sys
want = [ (s % 97) / 97 + len("kernel:sgd") / 1000 for s in (13, 21, 42, 87) ]
for path in sys.argv[1:]:
    r = json.load(open(path))
    assert r["n"] == 4, r
    # cJSON prints doubles with 15 significant digits when they read back
    # within its epsilon: compare at 1e-14, not bit for bit.
    assert all(abs(a - b) < 1e-14 for a, b in zip(r["scores"], want)), (r["scores"], want)
    assert abs(r["mean_score"] - sum(want) / 4) < 1e-12, r
PY
for i in 0 1 2 3; do
  [ -s "$TMP/out/$i/scores.txt" ] || fail "artifact $i/scores.txt downloaded"
done
grep -qx 'seed 42 method kernel:sgd' "$TMP/out/2/scores.txt" || fail "job 2's artifact is its own"

experiment "$ID" > "$TMP/exp.json"
"$PYTHON" - "$TMP/exp.json" <<'PY' || fail "experiment view"
import json, sys
e = json.load(open(sys.argv[1]))
assert e["state"] == "succeeded" and e["progress"] == 1, e
assert {j["worker"] for j in e["jobs"]} == {"A", "B"}, "both workers took jobs"
assert all(j["state"] == "succeeded" and j["attempts"] == 1 for j in e["jobs"])
assert e["jobs_by_state"]["succeeded"] == 4
assert e["artifacts"] == ["result.json"], e["artifacts"]
assert e["jobs"][1]["artifacts"] == ["1/scores.txt"]
assert e["spec"]["seeds"] == [13, 21, 42, 87]
PY

# Lists: filters and pages (two more experiments, left queued: no workers).
kill -TERM "${PIDS[1]}" "${PIDS[2]}"
wait "${PIDS[1]}" "${PIDS[2]}" 2>/dev/null
ID2=$(submit '{"task":"RTE","data":"d","model":"tiny","seeds":[1]}')
ID3=$(submit '{"task":"RTE","data":"d","seeds":[2]}')
[ "$(api GET '/v1/experiments?state=succeeded' | json '[e["id"] for e in d["experiments"]]')" = "[\"$ID\"]" ] \
  || fail "filter by state"
[ "$(api GET '/v1/experiments?task=RTE' | json 'len(d["experiments"])')" = 2 ] || fail "filter by task"
[ "$(api GET '/v1/experiments?model=tiny&task=RTE' | json '[e["id"] for e in d["experiments"]]')" = "[\"$ID2\"]" ] \
  || fail "filter by model"
P1=$(api GET '/v1/experiments?limit=2')
[ "$(echo "$P1" | json '[e["id"] for e in d["experiments"]]')" = "[\"$ID3\", \"$ID2\"]" ] || fail "newest first"
CUR=$(echo "$P1" | json 'd["next_cursor"]')
P2=$(api GET "/v1/experiments?limit=2&cursor=$CUR")
[ "$(echo "$P2" | json '[e["id"] for e in d["experiments"]]')" = "[\"$ID\"]" ] || fail "second page"
[ "$(echo "$P2" | json 'd["next_cursor"]')" = None ] || fail "last page has no cursor"

api GET /metrics > "$TMP/metrics.txt"
grep -qx 'lmntk_jobs{state="succeeded"} 4' "$TMP/metrics.txt" || fail "metrics: jobs by state"
grep -qx 'lmntk_queue_depth 2' "$TMP/metrics.txt" || fail "metrics: queue depth"
grep -qx 'lmntk_job_duration_seconds_count 4' "$TMP/metrics.txt" || fail "metrics: durations"
grep -qx 'lmntk_workers_live 2' "$TMP/metrics.txt" || fail "metrics: live workers"
grep -q '^lmntk_job_duration_seconds_bucket{le="1"} 4$' "$TMP/metrics.txt" || fail "metrics: buckets"
note "ok"
