#!/usr/bin/env bash
# it_e2e_real.sh - the real binaries on a real experiment: lmntkd and two
# lmntk-worker sharing one cache run an SST-2 spec (k = 16, seed 42, sgd and
# signgd kernels) on the small reference RoBERTa, and the result equals
# `lmntk run` of the same spec file (its model a path into the models
# folder, its data relative to the data root); the curl lines of README.md
# and server/README.md run as they are written; then kill -9 of a real
# worker mid-job changes nothing in the result.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/real_lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cat > "$TMP/spec.json" <<SPEC
{"name": "e2e", "task": "SST-2", "data": "kshot", "k": 16, "seeds": [42],
 "model": "$TMP/models/small", "kernel": {"formula": ["sgd", "signgd"]}, "solver": {"name": "lstsq"}}
SPEC

LEASE=3 start_daemon --data-root "$TMP"
make_tokens

# The reference: the same spec file, locally, with the workers' folders.
if ! "$LMNTK" run "$TMP/spec.json" --out "$TMP/local" --cache "$TMP/cache-local" --models "$TMP/models" \
     --data-root "$TMP" > "$TMP/run.log" 2>&1; then
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
# The daemon stored the model's path as its name: the one difference.
same_result() {
  jq --arg p "$TMP/models/small" 'walk(if type == "object" and .model == $p then .model = "small" else . end)' \
    "$1" > "$TMP/a.json"
  jq -n --slurpfile a "$TMP/a.json" --slurpfile b "$2" -f "$(dirname "$0")/same_result.jq"
}
experiment "$ID" | jq -e '.spec.model == "small"' >/dev/null || fail "the model's path is stored as its name"
same_result "$TMP/local/result.json" "$TMP/remote/result.json" || fail "results differ"
note "the daemon's result equals lmntk run's"
# the files are where lmntk run puts them, and the same
for f in seed42/kernel-sgd/kernel-train.npy seed42/kernel-signgd/f0-test.npy; do
  cmp -s "$TMP/local/$f" "$TMP/remote/$f" || fail "$f: lmntk run's and the daemon's differ"
done
experiment "$ID" | jq -e '.files[] | select(.path == "seed42/kernel-sgd/kernel-train.npy")
  | .dtype == "<f8" and .shape == [32, 2, 32, 2] and .method == "kernel:sgd" and .seed == 42' >/dev/null \
  || fail "the kernel listed with its shape and dtype"

# The curl lines of the READMEs, as written: S, AUTH and ID set as they say
# (ID: this experiment; the lines that cancel and delete get the one the
# submit line made, which stays queued: the workers stop first).  Each must
# answer without an error.
kill -TERM "$A" "$B"
wait "$A" "$B" 2>/dev/null
mkdir -p "$TMP/readme"
cp "$TMP/spec.json" "$TMP/readme/"
readme_lines() { sed -n 's/^    \(curl .*\)$/\1/p; s/^    \(CURSOR=.*\)$/\1/p' "$1" | sed 's/   *# .*$//'; }
{ readme_lines "$SRC/README.md"; readme_lines "$SRC/server/README.md"; } > "$TMP/readme/lines.sh"
[ "$(grep -c . "$TMP/readme/lines.sh")" -ge 20 ] || fail "the READMEs' curl lines: $(cat "$TMP/readme/lines.sh")"
THROWAWAY=""
: > "$TMP/readme/made.txt"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  id=$ID
  case "$line" in *"-X DELETE -H \"\$AUTH\" \$S/v1/experiments/\$ID"*|*purge=true*) id=$THROWAWAY ;; esac
  out=$(cd "$TMP/readme" && S=$BASE AUTH="Authorization: Bearer $UTOK" ID=$id CURSOR=${CURSOR:-} \
        bash -c "set -e; $line; [ -z \"\${CURSOR:-}\" ] || echo \"CURSOR=\$CURSOR\" >&2" 2>"$TMP/readme/err") \
    || fail "README line $n failed: $line: $(cat "$TMP/readme/err")"
  c=$(sed -n 's/^CURSOR=//p' "$TMP/readme/err"); [ -z "$c" ] || CURSOR=$c
  case "$line" in *" -o "*|CURSOR=*|*/metrics*) continue ;; esac
  echo "$out" | jq -e 'type == "object" and (has("detail") and has("field") | not)' >/dev/null 2>&1 \
    || fail "README line $n answered an error: $line -> $(echo "$out" | head -c 300)"
  made=$(echo "$out" | jq -r 'select(.state == "queued" and has("url")) | .id')
  [ -z "$made" ] || echo "$made" >> "$TMP/readme/made.txt"
  [ -n "$THROWAWAY" ] || THROWAWAY=$made
done < "$TMP/readme/lines.sh"
note "$n README lines run as written"
[ -n "$THROWAWAY" ] || fail "the submit line made an experiment"
experiment "$THROWAWAY" >/dev/null; [ "$(status)" = 404 ] || fail "the README's delete line deleted it"
# what the other submit and re-run lines queued is not this test's business
while read -r id; do
  [ "$id" = "$THROWAWAY" ] || api DELETE "/v1/experiments/$id" -H "Authorization: Bearer $UTOK" >/dev/null
done < "$TMP/readme/made.txt"
magic() { head -c 6 "$1" | od -An -c | tr -d ' \n'; }
[ "$(magic "$TMP/readme/K.npy")" = '223NUMPY' ] || fail "K.npy is a .npy file"
cmp -s "$TMP/readme/K.npy" "$TMP/local/seed42/kernel-sgd/kernel-train.npy" || fail "K.npy is lmntk run's kernel"
cmp -s "$TMP/readme/K0.npy" "$TMP/readme/K.npy" || fail "by index and by seed, the same file"
head -1 "$TMP/readme/results.csv" | grep -q '^experiment_id,' || fail "results.csv"
jq -e '.kind == "experiment"' "$TMP/readme/result.json" >/dev/null || fail "result.json"

# kill -9 of a real worker mid-job: the job is re-leased after 3 s and the
# result is still lmntk run's.
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
