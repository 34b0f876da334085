#!/usr/bin/env bash
# sweep.sh - kernel behaviour against pre-training: one checkpoint-sweep
# experiment over the checkpoints of a pre-training run (SST-2 16-shot,
# prompt-based sgd eNTK, lstsq grid selected on dev, zero-shot prompting)
# and the table of its result.json's pretraining_curve.
#
#   models/eval/sweep.sh RUN_DIR [BUILD_DIR [OUT_DIR]]   (SEEDS="13 42 100", TASK=SST-2, STEPS="0 1000 ...")
#
# RUN_DIR is an `lmntk pretrain --out` folder; every checkpoint-N in it is
# swept unless STEPS names some.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$(cd "$1" && pwd)
BUILD=$(cd "${2:-$ROOT/build}" && pwd)
OUT=${3:-$(mktemp -d "${TMPDIR:-/tmp}/lmntk-sweep.XXXXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
TASK=${TASK:-SST-2}
SEEDS=${SEEDS:-13 42 100}
command -v jq >/dev/null || { echo "sweep: jq is needed (deploy/install-deps.sh)" >&2; exit 1; }

if [ -n "${STEPS:-}" ]; then
  CKS=$(for s in $STEPS; do echo "$RUN/checkpoint-$s"; done)
else
  CKS=$(ls -d "$RUN"/checkpoint-* | grep -v '\.state$' | sort -t- -k2 -n)
fi
jq -n --arg task "$TASK" --arg data "$SHARED/data/k-shot-1k-test/$TASK" \
  --argjson seeds "[$(echo $SEEDS | tr ' ' ',')]" --argjson cks "$(printf '%s\n' $CKS | jq -R . | jq -s .)" \
  '{name: "pre-training sweep: \($task)", checkpoints: $cks, task: $task, data: $data, k: 16,
    seeds: $seeds, prompt: true, kernel: {formula: "sgd"},
    solver: {name: "lstsq", regularization: [0, 0.001, 0.01, 0.1], f0_scaling: [0, 10, 100, 1000]}}' \
  > "$OUT/spec.json"
"$BUILD/lmntk" run "$OUT/spec.json" --out "$OUT/result" --cache "$OUT/cache" > "$OUT/run.log" 2>&1 \
  || { tail -5 "$OUT/run.log" >&2; exit 1; }

echo "| step | tokens (M) | MLM loss | sgd eNTK test acc | zero-shot test acc |"
echo "|---|---|---|---|---|"
jq -r '.pretraining_curve[] | [.model, .pretrain_step, (.pretrain_tokens // 0),
        (.methods[0].test.mean * 100), (.methods[0].test.std * 100), (.methods[0].zero_shot_test.mean * 100)] | @tsv' \
  "$OUT/result/result.json" |
while IFS=$'\t' read -r model step tokens k ks z; do
  loss=$(awk -F'\t' -v s="$step" 'NR > 1 && $1 == s { printf "%.3f", $3 }' "$RUN/loss.tsv" 2>/dev/null)
  [ "$tokens" != 0 ] || tokens=$(awk -F'\t' -v s="$step" 'NR > 1 && $1 == s { print $2 }' "$RUN/loss.tsv" 2>/dev/null)
  awk -v s="$step" -v t="${tokens:-0}" -v l="${loss:--}" -v k="$k" -v ks="$ks" -v z="$z" \
    'BEGIN { printf "| %s | %.1f | %s | %.1f ± %.1f | %.1f |\n", s, t / 1e6, l, k, ks, z }'
done
echo
echo "$TASK 16-shot, seeds $SEEDS: test accuracy x 100, mean ± population std over seeds.  Result: $OUT/result/result.json"
