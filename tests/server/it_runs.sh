#!/usr/bin/env bash
# it_runs.sh - the runs table and what a researcher does with it, over HTTP
# against the runner test double: headline metrics in the list, sorts,
# filters (task, model incl. "default", state, tag, text), cursors through
# more than 200 experiments, partial results while seeds remain, artifacts
# listed with shape and dtype and fetched by seed and method, id prefixes,
# tags, rename, re-run, delete, the CSV export, GET /v1/workers; and the
# same through `lmntk list|tag|rename|rerun|delete|cancel|workers|results`.
. "$(dirname "$0")/lib.sh"

LEASE=3 start_daemon
make_tokens
AUTH=(-H "Authorization: Bearer $UTOK")
JSON=(-H 'Content-Type: application/json')
export LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK

# A worker that says its memory limit; jobs slow enough to watch.
LMNTK_TEST_JOB_MS=1500 "$WORKER" --server "$BASE" --token "$WTOK" --name A --work "$TMP/work" --data-root "$TMP/dataroot" \
  --mem 2147483648 2>>"$TMP/worker-A.log" &
WA=$!
PIDS+=("$WA")

# ---- partial results: three seeds, one worker, one job (= one seed) at a time
P=$(submit '{"name":"partial run","task":"SST-2","data":"d","model":"tiny","seeds":[13,21,42]}')
[ -n "$P" ] || fail "submit: $(cat "$TMP/body")"
one_done() { experiment "$P" | jq -e '.state == "running" and .jobs_by_state.succeeded == 1' >/dev/null; }
wait_until 20 one_done || fail "the first seed finished while the others wait"
experiment "$P" > "$TMP/p.json"
jq -e '.result == null and .partial_result.partial == true and .partial_result.seeds_done == [13]
       and .partial_result.remaining_seeds == 2 and .seeds_done == 1 and .seeds_total == 3
       and .remaining_seeds == 2 and .metrics_partial == true
       and (.metrics.kernel.test.mean | type) == "number"
       and .partial_result.summary[0].seeds == [.partial_result.summary[0].seeds[0]]' "$TMP/p.json" >/dev/null \
  || fail "partial result of the finished seed: $(jq -c '{partial_result, seeds_done, metrics}' "$TMP/p.json")"
api GET "/v1/experiments?state=running" | jq -e '.experiments[0].remaining_seeds == 2 and .experiments[0].metrics_partial' \
  >/dev/null || fail "the list says how many seeds remain"
"$LMNTK" results "$P" > "$TMP/partial.out" 2>"$TMP/partial.err" || fail "lmntk results of a running experiment"
grep -q 'partial result of 1 finished seed, 2 remain' "$TMP/partial.err" || fail "results says it is partial: $(cat "$TMP/partial.err")"

# ---- workers: name, host, memory limit, its job, alive; queued jobs
api GET /v1/workers > "$TMP/w.json"
jq -e --arg p "$P" '.alive == 1 and .queued_jobs >= 1 and (.workers | length) == 1 and
  (.workers[0] | .name == "A" and (.host | length) > 0 and .mem_limit_bytes == 2147483648 and .alive
   and .job.experiment_id == $p and (.last_heartbeat | test("^[0-9]{4}-")))' "$TMP/w.json" >/dev/null \
  || fail "GET /v1/workers: $(cat "$TMP/w.json")"
"$LMNTK" workers > "$TMP/w.txt" || fail "lmntk workers"
grep -q '^A  .* yes .*2.0 GiB' "$TMP/w.txt" || fail "lmntk workers: $(cat "$TMP/w.txt")"
wait_until 20 is_state "$P" succeeded || fail "the partial run finished"
experiment "$P" | jq -e '.partial_result == null and .result.n == 3 and .seeds_done == 3 and .metrics_partial == false' \
  >/dev/null || fail "the final result replaces the partial one"

# ---- a few experiments with results, and more than 200 queued ones
kill -TERM "$WA"; wait "$WA" 2>/dev/null
start_worker F LMNTK_TEST_JOB_MS=100
WF=$LAST_WORKER_PID
A=$(submit '{"name":"Alpha run","task":"SST-2","data":"d","model":"tiny","seeds":[1,2]}')
B=$(submit '{"name":"beta run","task":"RTE","data":"d","model":"tiny","seeds":[50,60],"kernel":{"formula":["sgd","signgd"]}}')
C=$(submit '{"name":"gamma","task":"SST-2","data":"d","seeds":[90],"k":8}')
for id in "$A" "$B" "$C"; do wait_until 30 is_state "$id" succeeded || fail "experiment $id finished"; done
kill -TERM "$WF"; wait "$WF" 2>/dev/null
# 230 submits in one curl process (a config of requests separated by "next")
for i in $(seq 1 230); do
  printf 'url = "%s/v1/experiments"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' \
    "$BASE" "$UTOK"
  printf 'data = "{\\"name\\":\\"bulk %d\\",\\"task\\":\\"MNLI\\",\\"data\\":\\"d\\",\\"model\\":\\"tiny\\",\\"seeds\\":[%d]}"\n' "$i" "$i"
  [ "$i" = 230 ] || echo next
done > "$TMP/bulk.curl"
curl -s -K "$TMP/bulk.curl" > "$TMP/bulk.out"
[ "$(grep -o '"state":"queued"' "$TMP/bulk.out" | wc -l)" = 230 ] || fail "230 bulk submits: $(head -c 300 "$TMP/bulk.out")"

# headline metrics: the double scores (seed % 97) / 97 + len(method) / 1000
api GET "/v1/experiments?task=SST-2&sort=kernel_test" > "$TMP/l.json"
jq -e --arg a "$A" --arg c "$C" --arg p "$P" '[.experiments[].id] == [$c, $p, $a] and .total == 3' "$TMP/l.json" >/dev/null \
  || fail "sort by the kernel's test mean, best first: $(jq -c '[.experiments[] | [.name, .metrics.kernel.test.mean]]' "$TMP/l.json")"
jq -e '.experiments[0].metrics | .kernel.method == "kernel:sgd" and .kernel.label == "K(SGD)"
       and (.kernel.test.mean - (90 / 97 + 0.01) | fabs) < 1e-12 and .zero_shot.mean == 0.5 and .finetune == []
       and .metric == "acc" and .seeds == 1' "$TMP/l.json" >/dev/null || fail "headline: $(jq -c '.experiments[0].metrics' "$TMP/l.json")"
# k: the spec's, or its default 16 when the spec names none
jq -e '[.experiments[].k] == [8, 16, 16]' "$TMP/l.json" >/dev/null || fail "k in the summary: $(jq -c '[.experiments[].k]' "$TMP/l.json")"
api GET "/v1/experiments?task=SST-2&sort=kernel_test&order=asc" | jq -e --arg a "$A" '.experiments[0].id == $a' >/dev/null \
  || fail "ascending"
api GET "/v1/experiments?sort=name&order=asc&state=succeeded" | jq -e '[.experiments[].name] == ["Alpha run", "beta run", "gamma", "partial run"]' \
  >/dev/null || fail "sort by name, any case"
api GET "/v1/experiments?task=RTE" | jq -e '.experiments[0].metrics.kernel.method == "kernel"' >/dev/null \
  || fail "two formulas: the best kernel over them"
# filters
[ "$(api GET '/v1/experiments?model=default' | json '[.experiments[].id]')" = "[\"$C\"]" ] || fail "model=default"
[ "$(api GET '/v1/experiments?q=ALPHA' | json '[.experiments[].id]')" = "[\"$A\"]" ] || fail "text in the name"
api GET "/v1/experiments?q=${A:0:8}" | jq -e --arg a "$A" '[.experiments[].id] == [$a]' >/dev/null || fail "q finds an id prefix"
api GET '/v1/experiments?state=succeeded,queued&limit=1' | jq -e '.total == 234' >/dev/null || fail "a list of states"
api GET '/v1/experiments?state=failed' | jq -e '.total == 0 and .experiments == []' >/dev/null || fail "no failed"

# more than 200: pages of 100 by cursor, in name order, each id once
cursor=""; : > "$TMP/paged.txt"
for page in 1 2 3 4; do
  api GET "/v1/experiments?task=MNLI&sort=name&limit=100${cursor:+&cursor=$cursor}" > "$TMP/page.json"
  [ "$(status)" = 200 ] || fail "page $page: $(cat "$TMP/page.json")"
  jq -r '.experiments[].name' "$TMP/page.json" >> "$TMP/paged.txt"
  cursor=$(json '.next_cursor // empty' < "$TMP/page.json")
  [ -n "$cursor" ] || break
done
[ "$page" = 3 ] || fail "230 rows in 3 pages of 100, not $page"
[ "$(wc -l < "$TMP/paged.txt")" = 230 ] && [ "$(sort -u "$TMP/paged.txt" | wc -l)" = 230 ] || fail "each row once"
sort -f "$TMP/paged.txt" | cmp -s - "$TMP/paged.txt" || fail "pages continue the name order"
api GET '/v1/experiments?limit=1000' | jq -e '(.experiments | length) == 234 and .next_cursor == null' >/dev/null \
  || fail "one page of 1000"
"$LMNTK" list --task MNLI --all --json | jq -e 'length == 230' >/dev/null || fail "lmntk list --all"
api GET "/v1/experiments?sort=name&cursor=12" >/dev/null; [ "$(status)" = 400 ] || fail "a cursor of another order"

# ---- ids by prefix, in the URL and the CLI
api GET "/v1/experiments/${A:0:8}" | jq -e --arg a "$A" '.id == $a' >/dev/null || fail "GET by an 8-character prefix"
api GET "/v1/experiments/${A:0:7}" >/dev/null; [ "$(status)" = 404 ] || fail "7 characters are not enough"
api GET "/v1/experiments/$(echo "${A:0:13}" | tr a-f A-F)" | jq -e --arg a "$A" '.id == $a' >/dev/null || fail "any case"
"$LMNTK" status "${A:0:8}" > "$TMP/status.txt" || fail "lmntk status PREFIX"
grep -q "^experiment $A" "$TMP/status.txt" && grep -q '^seeds      2 of 2 done$' "$TMP/status.txt" \
  && grep -q ' kernel:sgd *K(SGD) *succeeded ' "$TMP/status.txt" || fail "lmntk status: $(cat "$TMP/status.txt")"
"$LMNTK" wait "${A:0:8}" --quiet --timeout 5 || fail "lmntk wait PREFIX"

# ---- artifacts: listed with job, seed, method, shape, dtype; by seed and method
experiment "$B" > "$TMP/b.json"
jq -e '(.files | length) == 13 and .files[0].path == "result.json" and .files[0].job == null' "$TMP/b.json" >/dev/null \
  || fail "files: $(jq -c '.files' "$TMP/b.json")"
jq -e --arg b "$B" '.files[] | select(.path == "seed60/kernel-signgd/scores.npy") | .job == 3 and .seed == 60
   and .method == "kernel:signgd" and .label == "K(SignGD)" and .name == "scores.npy" and .dtype == "<f8"
   and .shape == [2] and .bytes == 144 and .url == "/v1/experiments/\($b)/artifacts/seed60/kernel-signgd/scores.npy"' \
   "$TMP/b.json" >/dev/null || fail "an .npy artifact described"
jq -e '.files[] | select(.path == "seed50/kernel-sgd/extra/note.txt") | .dtype == null and .shape == null' \
  "$TMP/b.json" >/dev/null || fail "a file in a folder"
curl -sf -o "$TMP/by-seed.npy" "$BASE/v1/experiments/$B/artifacts/seed60/kernel-signgd/scores.npy" || fail "GET by seed and method"
curl -sf -o "$TMP/by-index.npy" "$BASE/v1/experiments/$B/artifacts/3/scores.npy" || fail "GET by job index"
cmp -s "$TMP/by-seed.npy" "$TMP/by-index.npy" || fail "the same file both ways"
curl -sf "$BASE/v1/experiments/${B:0:8}/artifacts/seed50/kernel-sgd/extra/note.txt" | grep -qx 'seed 50 method kernel:sgd' \
  || fail "a file in a folder, under an id prefix"
api GET "/v1/experiments/$B/artifacts/seed42/kernel-sgd/scores.npy" >/dev/null
[ "$(status)" = 404 ] && json '.detail' < "$TMP/body" | grep -q 'no job of seed 42' || fail "no such seed: $(cat "$TMP/body")"

# ---- tags, rename
api PUT "/v1/experiments/$A/tags/paper" "${AUTH[@]}" | jq -e '.tags == ["paper"]' >/dev/null || fail "PUT a tag"
api PUT "/v1/experiments/$A/tags/paper" "${AUTH[@]}" >/dev/null; [ "$(status)" = 200 ] || fail "tagging twice"
api PUT "/v1/experiments/$A/tags/x" >/dev/null; [ "$(status)" = 401 ] || fail "tags need a token"
api PUT "/v1/experiments/$A/tags/x" -H "Authorization: Bearer $WTOK" >/dev/null; [ "$(status)" = 403 ] || fail "a user token"
api PATCH "/v1/experiments/${A:0:8}" "${AUTH[@]}" "${JSON[@]}" -d '{"name":"Alpha renamed","add_tags":["k16","sst2"],"remove_tags":["paper"]}' \
  | jq -e '.name == "Alpha renamed" and .tags == ["k16", "sst2"]' >/dev/null || fail "PATCH: $(cat "$TMP/body")"
"$LMNTK" tag "${B:0:8}" k16 ablation > "$TMP/tag.txt" || fail "lmntk tag"
grep -qx "$B ablation k16" "$TMP/tag.txt" || fail "lmntk tag prints the tags: $(cat "$TMP/tag.txt")"
"$LMNTK" tag "$B" ablation --remove >/dev/null || fail "lmntk tag --remove"
api GET '/v1/experiments?tag=k16&sort=name&order=asc' | jq -e '[.experiments[].name] == ["Alpha renamed", "beta run"]' \
  >/dev/null || fail "filter by tag"
api DELETE "/v1/experiments/$B/tags/k16" "${AUTH[@]}" | jq -e '.tags == []' >/dev/null || fail "DELETE a tag"
"$LMNTK" rename "$C" "gamma renamed" | grep -qx "$C gamma renamed" || fail "lmntk rename"
[ "$(api GET '/v1/experiments?q=gamma' | json '[.experiments[].name]')" = '["gamma renamed"]' ] || fail "the new name lists"
"$LMNTK" list --tag sst2 > "$TMP/list.txt" 2>"$TMP/list.err" || fail "lmntk list"
grep -q "^${A:0:8}  succeeded SST-2   tiny .*Alpha renamed" "$TMP/list.txt" || fail "lmntk list: $(cat "$TMP/list.txt")"
grep -q 'k16 sst2$' "$TMP/list.txt" || fail "lmntk list shows tags"
grep -q '^1 of 1 experiment ' "$TMP/list.err" || fail "lmntk list counts: $(cat "$TMP/list.err")"

# ---- re-run: the same spec, a new experiment linked to the old
R=$("$LMNTK" rerun "${A:0:8}") || fail "lmntk rerun"
experiment "$R" | jq -e --arg a "$A" '.rerun_of == $a and .name == "Alpha renamed" and .state == "queued"
  and .spec.seeds == [1, 2] and .tags == []' >/dev/null || fail "the re-run: $(experiment "$R" | jq -c '{rerun_of, name, state}')"
api POST "/v1/experiments/$A/rerun" "${AUTH[@]}" | jq -e --arg a "$A" '.rerun_of == $a and .n_jobs == 2' >/dev/null \
  || fail "POST rerun: $(cat "$TMP/body")"
[ "$(status)" = 201 ] || fail "rerun is 201"

# ---- CSV: one line per (experiment, method, seed)
api GET '/v1/experiments.csv?state=succeeded&sort=name&order=asc' > "$TMP/runs.csv"
[ "$(status)" = 200 ] || fail "GET /v1/experiments.csv: $(cat "$TMP/runs.csv")"
head -1 "$TMP/runs.csv" | grep -q '^experiment_id,experiment_name,task,state,tags,created_at,metric,model,method,label,seed,from,dev,test,zero_shot_dev,zero_shot_test,solver,regularization' \
  || fail "CSV header: $(head -1 "$TMP/runs.csv")"
# Alpha renamed: 2 seeds; beta run: 2 formulas + the best kernel x 2 seeds; gamma renamed: 1;
# partial run: 3 seeds; in name order
[ "$(tail -n +2 "$TMP/runs.csv" | wc -l)" = 12 ] || fail "CSV rows: $(cat "$TMP/runs.csv")"
[ "$(tail -n +2 "$TMP/runs.csv" | cut -d, -f2 | uniq | tr '\n' '/')" = "Alpha renamed/beta run/gamma renamed/partial run/" ] \
  || fail "CSV in the list's order"
grep -q "^$A,Alpha renamed,SST-2,succeeded,k16 sst2,[^,]*,acc,tiny,kernel:sgd,K(SGD),2,," "$TMP/runs.csv" \
  || fail "an Alpha row: $(grep "^$A" "$TMP/runs.csv")"
# dev and test of seed 2 (the double scores (seed % 97) / 97 + len(method) / 1000), the selected point
awk -F, -v a="$A" '$1 == a && $11 == 2 { d = $14 - (2 / 97 + 0.01); ok = (d < 1e-12 && d > -1e-12) &&
  $13 == $14 && $17 == "lstsq" && $18 == 0 } END { exit !ok }' "$TMP/runs.csv" || fail "Alpha's seed 2 numbers"
grep -q "^$B,beta run,RTE,succeeded,,[^,]*,acc,tiny,kernel,Best kernel (dev),60,kernel:signgd," "$TMP/runs.csv" \
  || fail "the best kernel's row names the formula it took: $(grep "^$B" "$TMP/runs.csv")"
"$LMNTK" results "${B:0:8}" --csv > "$TMP/b.csv" || fail "lmntk results --csv"
api GET "/v1/experiments.csv?id=$B" | cmp -s - "$TMP/b.csv" || fail "lmntk results --csv is GET /v1/experiments.csv?id="
[ "$(wc -l < "$TMP/b.csv")" = 7 ] || fail "B: header and 6 rows"
"$LMNTK" list --csv --task RTE | cmp -s - "$TMP/b.csv" || fail "lmntk list --csv"

# ---- delete: only finished experiments, with their artifacts
api DELETE "/v1/experiments/$R?purge=true" "${AUTH[@]}" >/dev/null
[ "$(status)" = 409 ] && json '.detail' < "$TMP/body" | grep -q 'cancel it first' || fail "a queued experiment is not deleted"
"$LMNTK" cancel "${R:0:8}" | grep -qx "$R cancelled" || fail "lmntk cancel"
api DELETE "/v1/experiments/$R?purge=true" "${AUTH[@]}" | jq -e '.state == "deleted"' >/dev/null || fail "a cancelled one is"
[ -d "$TMP/data/artifacts/$B" ] || fail "B has artifacts on disk"
"$LMNTK" delete "${B:0:8}" | grep -qx "$B deleted" || fail "lmntk delete"
api GET "/v1/experiments/$B" >/dev/null; [ "$(status)" = 404 ] || fail "a deleted experiment is gone"
[ ! -e "$TMP/data/artifacts/$B" ] || fail "its artifacts are gone"
[ -z "$(ls -A "$TMP/data/artifacts" | grep '^\.')" ] || fail "nothing left aside"
api GET '/v1/experiments?task=RTE' | jq -e '.total == 0' >/dev/null || fail "the list no longer has it"
api DELETE "/v1/experiments/$A" "${AUTH[@]}" >/dev/null
[ "$(status)" = 409 ] && json '.detail' < "$TMP/body" | grep -q 'purge=true' || fail "cancel of a finished one says how to delete"

# ---- a delete a crash interrupted is settled at the next start: a folder
# renamed aside for a live experiment comes back, one for a deleted is removed
stop_daemon
mv "$TMP/data/artifacts/$A" "$TMP/data/artifacts/.deleted-$A"
mkdir -p "$TMP/data/artifacts/.deleted-00000000-0000-4000-8000-000000000000/0"
start_daemon
[ -s "$TMP/data/artifacts/$A/result.json" ] || fail "the interrupted delete's folder is back"
[ ! -e "$TMP/data/artifacts/.deleted-00000000-0000-4000-8000-000000000000" ] || fail "the finished delete's folder is gone"
curl -sf -o /dev/null "$BASE/v1/experiments/$A/artifacts/seed1/kernel-sgd/scores.npy" || fail "its artifacts serve again"
note "ok"
