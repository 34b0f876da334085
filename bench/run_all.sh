#!/usr/bin/env bash
# run_all.sh - every benchmark of lmntk against the machine's SGEMM and the
# PyTorch way of the same work, each pair in the same run, one JSON line per
# measurement.  Takes about 30 minutes on 2 cores; set ONLY=engine|kernel|
# train|tokenize|load|shards to run one part.
#
#   bench/run_all.sh [BUILD_DIR] | tee bench.jsonl
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
PY=/usr/bin/python3
has_torch() { "$PY" -c 'import torch, functorch' 2>/dev/null; }
part() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }
if part tokenize; then "$B/bench/bench_tokenize" ../shared/data; fi
if part engine; then
  "$B/bench/bench_engine" --batches 6
  has_torch && "$PY" bench/torch_engine.py --batches 6
fi
if part train; then
  "$B/bench/bench_train" --steps 3 --batch 8
  has_torch && "$PY" bench/torch_train.py --steps 3 --batch 8
fi
if part kernel; then
  "$B/bench/bench_kernel" --data ../shared/data --formulas sgd,signgd,asymmetric_signgd --mnli
  has_torch && "$PY" bench/torch_kernel.py --train 2 --eval 3
  has_torch && "$PY" bench/torch_kernel.py --formula signgd --train 2 --eval 3
fi
if part load; then bench/load.sh "$B"; fi
if part shards; then bench/shards.sh "$B"; fi
