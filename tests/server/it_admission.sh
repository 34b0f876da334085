#!/usr/bin/env bash
# it_admission.sh - a spec that can never run is refused at submit with a
# 400 naming the field: data paths that are absolute, climb out with "..",
# or leave the data root by a symbolic link; a missing k-shot split folder
# (for any seed, or another k); a missing or misplaced corpus file; a model
# whose config.json is unreadable; a job whose least memory (projection
# dim, batch, model size) is above max_job_memory.  Jobs keep their
# estimate, and a worker is leased only jobs that fit the memory it
# advertises.  A worker without --data-root refuses to serve.
. "$(dirname "$0")/lib.sh"

R="$TMP/dataroot"
mkdir -p "$R/k-shot/SST-2/16-13" "$R/k-shot/SST-2/16-21" "$R/corpus" "$TMP/outside/16-13" \
  "$TMP/models/broken"
echo 'a line' > "$R/corpus/c.txt"
echo 'secret' > "$TMP/outside/secret.txt"
ln -s "$TMP/outside" "$R/escape"
echo '{"model_type": "roberta"}' > "$TMP/models/broken/config.json"
echo "{}" > "$TMP/models/tiny/vocab.json"  # a tokenizer folder for pretrain specs (the checks stop at the corpus)
start_daemon --data-root "$R" --max-job-memory 256M
make_tokens

# refused SPEC FIELD [DETAIL]: 400 invalid_spec naming FIELD (and DETAIL in the text)
refused() {
  local id
  id=$(submit "$1")
  [ -z "$id" ] && [ "$(status)" = 400 ] && [ "$(json '.error' < "$TMP/body")" = invalid_spec ] \
    && [ "$(json '.field' < "$TMP/body")" = "$2" ] || fail "expected 400 on $2 for $1; got $(status) $(cat "$TMP/body")"
  [ -z "${3:-}" ] || grep -q "$3" "$TMP/body" || fail "the error for $1 does not say '$3': $(cat "$TMP/body")"
}
S='"task":"SST-2","model":"tiny"'
refused "{$S,\"data\":\"$R/k-shot/SST-2\",\"seeds\":[13]}" data absolute
refused "{$S,\"data\":\"k-shot/../../outside\",\"seeds\":[13]}" data "'..'"
refused "{$S,\"data\":\"escape\",\"seeds\":[13]}" data 'leads out of the data root'
refused "{$S,\"data\":\"k-shot/RTE\",\"seeds\":[13]}" data 'no such path'
refused "{$S,\"data\":\"k-shot/SST-2\",\"seeds\":[13,21,42]}" data 'seed 42'
refused "{$S,\"data\":\"k-shot/SST-2\"}" data "seed 42" # the default seeds: 13 21 42 87 100
refused "{$S,\"data\":\"k-shot/SST-2\",\"k\":8,\"seeds\":[13]}" data 'k = 8'
refused '{"pretrain":{"tokenizer":"tiny","corpus":["corpus/c.txt","corpus/none.txt"],"out":"r"}}' 'pretrain.corpus[1]'
refused '{"pretrain":{"tokenizer":"tiny","corpus":["/etc/passwd"],"out":"r"}}' 'pretrain.corpus[0]' absolute
refused '{"pretrain":{"tokenizer":"tiny","corpus":["escape/secret.txt"],"out":"r"}}' 'pretrain.corpus[0]'
refused '{"pretrain":{"tokenizer":"tiny","corpus":["corpus"],"out":"r"}}' 'pretrain.corpus[0]' 'not a file'
refused '{"task":"SST-2","model":"broken","data":"k-shot/SST-2","seeds":[13]}' model 'missing key'
refused "{$S,\"data\":\"k-shot/SST-2\",\"seeds\":[13],\"kernel\":{\"projection\":{\"dim\":16777216}}}" \
  kernel.projection.dim 'max_job_memory'
refused "{$S,\"data\":\"k-shot/SST-2\",\"seeds\":[13],\"finetune\":[{\"lr\":0.01,\"batch_size\":[8,1024]}]}" \
  'finetune[0].batch_size' 'needs at least'
note "impossible specs are refused naming the field"

# admitted: each job with its estimate; leases by advertised memory
ID=$(submit "{$S,\"data\":\"k-shot/SST-2\",\"seeds\":[13,21],\"kernel\":{\"projection\":{\"dim\":200000}}}")
[ -n "$ID" ] || fail "a spec that fits is admitted: $(cat "$TMP/body")"
NEED=$(sqlite3 "$TMP/data/lmntk.db" "SELECT MIN(mem_bytes) FROM jobs WHERE experiment_id = '$ID'")
[ "$NEED" -gt $((200000 * 8 * 2 * 64)) ] && [ "$NEED" -lt $((256 << 20)) ] || fail "the jobs' estimate: $NEED"
lease() { api POST /v1/leases -H "Authorization: Bearer $WTOK" -d "$1"; }
lease "{\"worker\":\"small\",\"mem_bytes\":$((NEED - 1))}" >/dev/null
[ "$(status)" = 204 ] || fail "a worker with less memory than the job needs got it: $(status)"
lease '{"worker":"small","mem_bytes":"6G"}' >/dev/null
[ "$(status)" = 400 ] || fail "mem_bytes must be a number"
lease '{"worker":"small","mem_bytes":12}' >/dev/null
[ "$(status)" = 400 ] || fail "mem_bytes below 1 MiB is refused"
[ "$(lease "{\"worker\":\"large\",\"mem_bytes\":$NEED}" | json '.experiment_id')" = "$ID" ] \
  || fail "a worker with enough memory gets it: $(cat "$TMP/body")"
[ "$(lease '{"worker":"any"}' | json '.experiment_id')" = "$ID" ] || fail "a worker that says nothing takes any job"

# a worker without --data-root refuses to serve
"$WORKER" --server "$BASE" --token "$WTOK" --name nodata --once > /dev/null 2> "$TMP/nodata.log"
[ $? = 2 ] || fail "a worker without --data-root ran"
grep -q -- '--data-root DIR is required' "$TMP/nodata.log" || fail "it says why: $(cat "$TMP/nodata.log")"
note "ok"
