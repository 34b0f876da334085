#!/usr/bin/env bash
# job_memory.sh - the least-memory estimate of common/admit/memory.h beside
# the peak RSS of real jobs (bench_job_memory: one job per process, nothing
# cached): kernels (exact and projected), fine-tuning (AdamW; SGD
# linearized) and pre-training, on the built-in default model and the small
# reference RoBERTa, SST-2 16-shot seed 42 from ../shared/data.  One JSON
# line per job; "estimate_below_peak" must be true everywhere.
#
#   bench/job_memory.sh [BUILD_DIR]            (~6 min on 2 cores)
#   ONLY=pretrain bench/job_memory.sh          (one spec's first job: kernel,
#                                              kernel-small, projected, finetune, pretrain)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
DATA=$(cd ../shared/data && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-jobmem.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/models"
ln -s "$(pwd)/models/default" "$TMP/models/default"
ln -s "$(cd ../shared/reference/lmkft-small/model && pwd)" "$TMP/models/small"
S='"task": "SST-2", "data": "k-shot-1k-test/SST-2", "k": 16, "seeds": [42]'
cat > "$TMP/kernel.json" <<JSON
{$S, "model": "default", "kernel": {"formula": "sgd"}, "solver": {"name": "lstsq"}}
JSON
cat > "$TMP/kernel-small.json" <<JSON
{$S, "model": "small", "kernel": {"formula": "signgd"}, "solver": {"name": "lstsq"}}
JSON
cat > "$TMP/projected.json" <<JSON
{$S, "model": "default", "binary": true, "kernel": {"formula": "asymmetric_signgd", "projection": {"dim": 20000}},
 "solver": {"name": "asym"}}
JSON
cat > "$TMP/finetune.json" <<JSON
{$S, "model": "default", "finetune": [{"optimizer": "adam", "lr": 1e-4, "batch_size": 8, "steps": 20,
 "eval_every": 10}, {"optimizer": "sgd", "lr": 1e-2, "batch_size": 16, "steps": 10, "eval_every": 10,
 "linearized": true}]}
JSON
cat > "$TMP/pretrain.json" <<JSON
{"pretrain": {"tokenizer": "default", "corpus": ["corpus/wikipedia_enwiki_slice.txt.gz"], "out": "run",
 "layers": 2, "hidden": 128, "heads": 2, "ffn": 256, "block": 128, "batch": 8, "steps": 20,
 "save_steps": [], "log_every": 10}}
JSON
run() { "$B/bench/bench_job_memory" "$TMP/$1.json" "$2" "$TMP/models" "$DATA" || echo "{\"spec\": \"$1\", \"ok\": false}"; }
[ -z "${ONLY:-}" ] || { run "$ONLY" 0; exit 0; }
run kernel 0
run kernel-small 0
run projected 0
run finetune 0
run finetune 1
run pretrain 0
