#!/usr/bin/env bash
# eval.sh - is the built-in model really pre-trained?  SST-2, MR and CR,
# 16-shot, seeds 13 21 42 87 100: the prompt-based sgd eNTK (solver lstsq,
# regularization x f0 scaling grid selected on dev) and zero-shot prompting,
# on the model and on a random initialisation of the same shape, tokenizer
# and seed (what its pre-training started from: `lmntk pretrain --steps 0`
# writes exactly that checkpoint-0, given the seed, init_std and pos_init
# that its trainer_state.json records).  One checkpoint-sweep experiment per
# task, so result.json's pretraining_curve holds both.
#
#   models/eval/eval.sh [BUILD_DIR [OUT_DIR]]     (MODEL=dir to evaluate another)
#
# Prints the markdown table of models/default/README.md; results under OUT_DIR.
# On the 2-core development machine: about 3 minutes per task.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
OUT=${2:-$(mktemp -d "${TMPDIR:-/tmp}/lmntk-eval.XXXXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LMNTK="$BUILD/lmntk"
SHARED=$(cd "$ROOT/.." && pwd)/shared
MODEL=$(cd "${MODEL:-$ROOT/models/default}" && pwd)
command -v jq >/dev/null || { echo "eval: jq is needed (deploy/install-deps.sh)" >&2; exit 1; }

# the random initialisation: the model's shape, tokenizer, seed and init
RANDOM_INIT=$("$ROOT/models/eval/random-init.sh" "$LMNTK" "$MODEL" "$OUT/random-init")

for task in SST-2 mr cr; do
  cat > "$OUT/spec-$task.json" <<JSON
{"name": "built-in model vs random init: $task",
 "checkpoints": ["$RANDOM_INIT", "$MODEL"],
 "task": "$task", "data": "$SHARED/data/k-shot-1k-test/$task", "k": 16,
 "seeds": [13, 21, 42, 87, 100], "prompt": true, "kernel": {"formula": "sgd"},
 "solver": {"name": "lstsq", "regularization": [0, 0.001, 0.01, 0.1], "f0_scaling": [0, 10, 100, 1000]}}
JSON
  "$LMNTK" run "$OUT/spec-$task.json" --out "$OUT/$task" --no-cache > "$OUT/$task.log" 2>&1 \
    || { tail -5 "$OUT/$task.log" >&2; exit 1; }
done

pct() { jq -r "$1" "$2" | awk '{ printf "%.1f", 100 * $1 }'; }
echo "| task (test examples) | majority class | sgd eNTK, pre-trained | zero-shot, pre-trained | sgd eNTK, random init | zero-shot, random init |"
echo "|---|---|---|---|---|---|"
for task in SST-2 mr cr; do
  R="$OUT/$task/result.json"
  cell() {  # cell CHECKPOINT_INDEX KEY: "mean ± std" of test accuracy x 100
    jq -r ".pretraining_curve[$1].methods[0].$2 | \"\(100 * .mean) \(100 * .std)\"" "$R" |
      awk '{ printf "%.1f ± %.1f", $1, $2 }'
  }
  n=$(jq '.jobs[0].test_labels | length' "$R")
  maj=$(jq '.jobs[0].test_labels | (group_by(.) | map(length) | max) / length' "$R" | awk '{ printf "%.1f", 100 * $1 }')
  echo "| $task ($n) | $maj | $(cell 1 test) | $(cell 1 zero_shot_test) | $(cell 0 test) | $(cell 0 zero_shot_test) |"
done
echo
echo "Test accuracy x 100, mean ± population std over the 5 seeds (the solver's grid point chosen on each seed's dev set);"
echo "zero-shot: the label word with the larger logit at <mask>, no training.  Results: $OUT/<task>/result.json."
