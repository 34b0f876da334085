#!/usr/bin/env bash
# it_pretrain.sh - the service's pre-training job type and checkpoint sweeps,
# with the real lmntkd and lmntk-worker: a pretrain experiment writes models
# "<out>/checkpoint-<step>" that GET /v1/models lists; kill -9 of its worker
# mid-run and the re-leased job continues from the newest checkpoint; a sweep
# over the checkpoints gives result.json's "pretraining_curve" in step order;
# bad pretrain specs are refused naming the field.
. "$(dirname "$0")/../server/lib.sh"

CORPUS="$SHARED_DIR/data/corpus/wikipedia_enwiki_slice.txt.gz"
[ -f "$CORPUS" ] || { echo "# no corpus at $CORPUS: skipped"; exit 77; }
# a small byte-level BPE tokenizer, the kind a run is given ("tok" is not a model)
"$LMNTK" bpe-train --corpus "$CORPUS" --vocab-size 2000 --max-bytes 2M --out "$TMP/models/tok" \
  > "$TMP/bpe.log" 2>&1 || fail "bpe-train: $(tail -3 "$TMP/bpe.log")"

LEASE=2 start_daemon --data-root "$SHARED_DIR/data"
make_tokens
worker() {  # worker NAME: a real lmntk-worker reading corpora and splits under the shared data
  "$WORKER" --server "$BASE" --token "$WTOK" --name "$1" --cache "$TMP/cache" --models "$TMP/models" \
    --data-root "$SHARED_DIR/data" --work "$TMP/work" --poll 0.2 --threads 1 2>>"$TMP/worker-$1.log" &
  LAST_WORKER_PID=$!
  PIDS+=("$LAST_WORKER_PID")
}
refused() {  # refused SPEC STATUS FIELD: submit is refused with STATUS naming FIELD
  local id
  id=$(submit "$1")
  [ -z "$id" ] && [ "$(status)" = "$2" ] && [ "$(json '.field' < "$TMP/body")" = "$3" ] \
    || fail "expected $2 on $3 for $1; got $(status) $(cat "$TMP/body")"
}

# ---- bad input: each refused with the field that is wrong
refused '{"pretrain": {"tokenizer": "nope", "corpus": ["corpus/x.txt"], "out": "r"}}' 400 pretrain.tokenizer
refused '{"pretrain": {"tokenizer": "tok", "corpus": ["corpus/x.txt"], "out": "../r"}}' 400 pretrain.out
refused '{"pretrain": {"tokenizer": "tok", "corpus": ["corpus/x.txt"], "out": "tiny"}}' 409 pretrain.out
refused '{"pretrain": {"tokenizer": "tok", "corpus": [], "out": "r"}}' 400 pretrain.corpus
refused '{"pretrain": {"tokenizer": "tok", "corpus": ["a"], "out": "r", "hidden": 30, "heads": 4}}' 400 pretrain.heads
refused '{"pretrain": {"tokenizer": "tok", "corpus": ["a"], "out": "r", "steps": 5, "save_steps": [9]}}' 400 'pretrain.save_steps[0]'
refused '{"pretrain": {"tokenizer": "tok", "corpus": ["a"], "out": "r"}, "task": "SST-2"}' 400 task
refused '{"data": "k-shot-1k-test/SST-2"}' 400 task
note "bad pretrain specs are refused naming the field"

# ---- a pretrain experiment; its worker is killed after checkpoint-40
SHAPE='"layers": 1, "hidden": 32, "heads": 2, "ffn": 64, "block": 256, "batch": 2'
PRE="{\"name\": \"tiny mlm\", \"pretrain\": {\"tokenizer\": \"tok\", \"out\": \"mlm\",
  \"corpus\": [\"corpus/wikipedia_enwiki_slice.txt.gz\"], $SHAPE, \"steps\": 400, \"lr\": 0.003,
  \"save_steps\": [0, 40, 80], \"log_every\": 5}}"
ID=$(submit "$PRE")
[ -n "$ID" ] || fail "submit pretrain: $(cat "$TMP/body")"
worker A
A=$LAST_WORKER_PID
wait_until 60 test -f "$TMP/models/mlm/checkpoint-40.state" || fail "no checkpoint-40 from worker A"
kill -9 "$A"
worker B
LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK "$LMNTK" wait "$ID" --timeout 120 --interval 0.3 --quiet \
  || fail "the pretrain experiment did not succeed: $(experiment "$ID" | json '.error')"
experiment "$ID" -H "Authorization: Bearer $UTOK" | jq .result > "$TMP/pre.json"
jq -e '.kind == "pretrain" and .pretrain.final_step == 400 and .pretrain.out == "mlm"
       and ([.pretrain.checkpoints[].step] == [0, 40, 80, 400])
       and ([.pretrain.checkpoints[].model] | index("mlm/checkpoint-400")) != null
       and (.pretrain.loss | length) >= 80 and .pretrain.final_loss < .pretrain.loss[0].loss
       and .pretrain.parameters > 0' "$TMP/pre.json" > /dev/null \
  || fail "pretrain result: $(jq -c '.pretrain | del(.loss)' "$TMP/pre.json")"
jq -e '.jobs[0].resumed_from_step >= 40' "$TMP/pre.json" > /dev/null \
  || fail "the re-leased job did not continue from a checkpoint: $(jq -c '.jobs[0] | del(.pretrain)' "$TMP/pre.json")"
note "pretrain: 400 steps, loss $(jq '.pretrain.loss[0].loss' "$TMP/pre.json") -> $(jq .pretrain.final_loss "$TMP/pre.json"), resumed at step $(jq '.jobs[0].resumed_from_step' "$TMP/pre.json") after kill -9"
api GET /v1/models -H "Authorization: Bearer $UTOK" > "$TMP/models.json"
jq -e '[.models[] | select(.name | startswith("mlm/")) | [.name, .pretrain_step]]
       == [["mlm/checkpoint-0",0],["mlm/checkpoint-40",40],["mlm/checkpoint-80",80],["mlm/checkpoint-400",400]]' \
  "$TMP/models.json" > /dev/null || fail "GET /v1/models: $(cat "$TMP/models.json")"

# ---- a sweep over its checkpoints, given out of order
SWEEP='{"name": "sweep", "checkpoints": ["mlm/checkpoint-400", "mlm/checkpoint-0", "mlm/checkpoint-80"],
  "task": "SST-2", "data": "k-shot-1k-test/SST-2", "seeds": [13, 21], "max_length": 256, "kernel": {"formula": "sgd"},
  "solver": {"name": "lstsq"}, "finetune": [{"optimizer": "sgd", "lr": 0.001, "steps": 4, "eval_every": 2}]}'
ID2=$(submit "$SWEEP")
[ -n "$ID2" ] || fail "submit sweep: $(cat "$TMP/body")"
LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK "$LMNTK" wait "$ID2" --timeout 150 --interval 0.3 --quiet \
  || fail "the sweep did not succeed: $(experiment "$ID2" | json '.error')"
experiment "$ID2" -H "Authorization: Bearer $UTOK" | jq .result > "$TMP/sweep.json"
jq -e '([.pretraining_curve[].pretrain_step] == [0, 80, 400])
       and ([.pretraining_curve[].model] == ["mlm/checkpoint-0", "mlm/checkpoint-80", "mlm/checkpoint-400"])
       and all(.pretraining_curve[]; ([.methods[].method] == ["kernel:sgd", "finetune:0"])
               and (.methods[0].test.mean | type) == "number"
               and (.diagnostics[0].method == "finetune:0")
               and (.diagnostics[0].values["agreement.kernel_ft_ratio"].mean | type) == "number")
       and .pretraining_curve[2].pretrain_tokens == 400 * 2 * 256' "$TMP/sweep.json" > /dev/null \
  || fail "pretraining_curve: $(jq -c '[.pretraining_curve[] | {model, pretrain_step, pretrain_tokens}]' "$TMP/sweep.json")"
# the fine-tuning jobs' own files, named by checkpoint, seed and method
experiment "$ID2" > "$TMP/sweep-exp.json"
jq -e '[.files[] | select(.method == "finetune:0" and .seed == 13 and .model == "mlm/checkpoint-80") | .name] | sort
       == ["kernel-ft-train.npy", "kernel-pt-train.npy", "test-logits-linearized.npy", "test-logits.npy"]' \
  "$TMP/sweep-exp.json" > /dev/null || fail "a fine-tuning job's artifacts: $(jq -c '[.files[] | .path]' "$TMP/sweep-exp.json")"
jq -e '.files[] | select(.path == "mlm/checkpoint-80/seed13/finetune-0/test-logits.npy") | .dtype == "<f4" and .shape[1] == 2' \
  "$TMP/sweep-exp.json" > /dev/null || fail "test logits listed with their shape"
curl -sf -o /dev/null "$BASE/v1/experiments/$ID2/artifacts/mlm/checkpoint-80/seed13/finetune-0/kernel-ft-train.npy" \
  || fail "K(θ_FT) of a checkpoint by its path"
api GET "/v1/experiments/$ID2/artifacts/seed13/finetune-0/test-logits.npy" >/dev/null
[ "$(status)" = 409 ] && json '.detail' < "$TMP/body" | grep -q 'name the model first' \
  || fail "a sweep's file without its checkpoint is ambiguous: $(status) $(cat "$TMP/body")"
note "ok: sweep of 3 checkpoints in step order with accuracy and diagnostics per checkpoint"
