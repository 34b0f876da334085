#!/usr/bin/env bash
# it_e2e_real.sh - the real binaries on a real experiment: lmntkd and two
# lmntk-worker sharing one cache run an SST-2 spec (k = 16, seed 42, sgd and
# signgd kernels) on the small reference RoBERTa, and the result equals
# `lmntk run` on the same spec; then kill -9 of a real worker mid-job changes
# nothing in the result.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/real_lib.sh"
cat > "$TMP/spec.json" <<SPEC
{"name": "e2e", "task": "SST-2", "data": "kshot", "k": 16, "seeds": [42],
 "model": "small", "kernel": {"formula": ["sgd", "signgd"]}, "solver": {"name": "lstsq"}}
SPEC

LEASE=3 start_daemon --data-root "$TMP"
make_tokens

# The reference: the same spec, locally.  lmntk run takes the model name as
# a path and the data as a path, so it runs with a link to both.
ln -s "$TMP/kshot" "$TMP/models/kshot"
if ! (cd "$TMP/models" && "$LMNTK" run "$TMP/spec.json" --out "$TMP/local" --cache "$TMP/cache-local") \
     > "$TMP/run.log" 2>&1; then
  fail "lmntk run: $(tail -5 "$TMP/run.log")"
fi

ID=$(submit "$(cat "$TMP/spec.json")")
[ -n "$ID" ] || fail "submit: $(cat "$TMP/body")"
real_worker A --data-root "$TMP"
A=$LAST_WORKER_PID
real_worker B --data-root "$TMP"
B=$LAST_WORKER_PID
LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK "$LMNTK" wait "$ID" --timeout 240 --interval 0.5 --quiet \
  || fail "the experiment did not succeed: $(experiment "$ID" | json '.error')"
LMNTK_SERVER=$BASE "$LMNTK" results "$ID" --out "$TMP/remote" --token "$UTOK" > /dev/null \
  || fail "lmntk results"
[ "$(experiment "$ID" | json '[.jobs[].worker] | unique')" = '["A","B"]' ] \
  || note "one worker took both jobs"

# Wall-clock figures and cache hit counts differ run to run; everything else
# must not (numbers within 1e-9 relative): tests/worker/same_result.jq.
same_result() {
  jq -n --slurpfile a "$1" --slurpfile b "$2" -f "$(dirname "$0")/same_result.jq"
}
same_result "$TMP/local/result.json" "$TMP/remote/result.json" || fail "results differ"
note "the daemon's result equals lmntk run's"

# kill -9 of a real worker mid-job: the job is re-leased after 3 s and the
# result is still lmntk run's.
kill -TERM "$A" "$B"
wait "$A" "$B" 2>/dev/null
ID2=$(submit "$(cat "$TMP/spec.json")")
real_worker C --data-root "$TMP"
C=$LAST_WORKER_PID
on_c() { experiment "$ID2" | jq -e 'any(.jobs[]; .state == "running" and .worker == "C")' >/dev/null; }
wait_until 30 on_c || fail "worker C took a job"
kill -9 "$C"
real_worker D --data-root "$TMP"
LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK "$LMNTK" wait "$ID2" --timeout 240 --interval 0.5 --quiet \
  || fail "the experiment did not succeed after the kill"
[ "$(experiment "$ID2" | json '[.jobs[].attempts] | max')" = 2 ] || fail "a job was re-leased"
LMNTK_SERVER=$BASE "$LMNTK" results "$ID2" --out "$TMP/remote2" --token "$UTOK" > /dev/null || fail "results 2"
same_result "$TMP/local/result.json" "$TMP/remote2/result.json" || fail "results differ after the kill"
note "ok: the same result after kill -9 of a worker"
