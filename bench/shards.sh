#!/usr/bin/env bash
# shards.sh - one sharded kernel across real workers on this machine: the
# roberta-base-shaped SST-2 16-shot job (seed 42: 32 train, 32 dev, 872
# test; random weights made by `lmntk pretrain --steps 0`) through a real
# lmntkd, with kernel.shards = the number of workers, for 1, 2 and 4
# workers.  Each worker is pinned to its share of the CPUs (taskset) with
# OPENBLAS_NUM_THREADS = CPUs / workers (at least 1); all share one cache,
# so the tiles compute the training features once.  Prints one JSON line
# per run: the wall time from submit to result, the speed-up over one
# worker, the tiles' times, the merge job's time (the overhead: it
# downloads the tiles, assembles the kernels and solves) and whether every
# kernel file equals the one-worker run's byte for byte.
#
#   bench/shards.sh [BUILD_DIR]                 (default: build)
#   WORKERS="1 2 4" FORMULA=sgd LAYERS=12 bench/shards.sh build
#   BENCH_MODELS=DIR keeps the random model between runs (default BUILD_DIR/bench-models)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORKERS=${WORKERS:-1 2 4}
FORMULA=${FORMULA:-sgd}
LAYERS=${LAYERS:-12}
DATA=$(cd .. && pwd)/shared/data
LMNTKD="$BUILD/lmntkd" WORKER="$BUILD/lmntk-worker" LMNTK="$BUILD/lmntk"
for b in "$LMNTKD" "$WORKER" "$LMNTK"; do
  [ -x "$b" ] || { echo "shards.sh: $b not built (meson compile -C $BUILD)" >&2; exit 2; }
done
[ -d "$DATA/k-shot-1k-test/SST-2/16-42" ] || { echo "shards.sh: no SST-2 split under $DATA" >&2; exit 2; }
command -v jq >/dev/null && command -v taskset >/dev/null || { echo "shards.sh: needs jq and taskset" >&2; exit 2; }
NCPU=$(nproc)

# the model: roberta-base's shape (H 768, 12 heads, FFN 3072, 514 positions,
# the real roberta-base vocabulary), normal(0, 0.02) weights
MODELS=${BENCH_MODELS:-$BUILD/bench-models}
MODEL="$MODELS/roberta-base-random-$LAYERS"
if [ ! -f "$MODEL/model.safetensors" ]; then
  mkdir -p "$MODELS"
  "$LMNTK" pretrain --tokenizer "$DATA/tokenizers/roberta-base" \
    --corpus "$DATA/corpus/wikipedia_enwiki_slice.txt.gz" --out "$MODEL.run" \
    --layers "$LAYERS" --hidden 768 --heads 12 --ffn 3072 --block 512 --batch 1 --steps 0 \
    --init-std 0.02 --pos-init normal --seed 1 >/dev/null 2>"$MODELS/pretrain.log" \
    || { cat "$MODELS/pretrain.log" >&2; exit 1; }
  mv "$MODEL.run/checkpoint-0" "$MODEL" && rm -rf "$MODEL.run"
fi
MODEL=$(cd "$MODEL" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-shards.XXXXXX")
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
trap 'stop_all; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/models"
ln -s "$MODEL" "$TMP/models/rb"
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/secret")

# cpus_of I N: the CPUs worker I of N is pinned to
cpus_of() {
  local i=$1 n=$2
  if [ "$n" -ge "$NCPU" ]; then echo $((i % NCPU)); return; fi
  local per=$((NCPU / n)) lo
  lo=$((i * per))
  echo "$lo-$((lo + per - 1))"
}
# seconds from an ISO time of the daemon (2026-12-03T08:00:00.123Z)
JQ_T='def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber / 1000);'

echo "{\"bench\": \"shards_machine\", \"cpus\": $NCPU, \"model\": \"roberta-base shape, $LAYERS layers\", \"formula\": \"$FORMULA\", \"openblas_coretype\": \"${OPENBLAS_CORETYPE:-}\"}"
T1=""
for n in $WORKERS; do
  D="$TMP/run$n"
  mkdir -p "$D/cache"
  UTOK=$("$LMNTKD" token add --kind user --data "$D/state" 2>/dev/null)
  WTOK=$("$LMNTKD" token add --kind worker --data "$D/state" 2>/dev/null)
  "$LMNTKD" --listen 127.0.0.1:0 --port-file "$D/port" --data "$D/state" --models "$TMP/models" \
    --data-root "$DATA" --log-level warn 2>"$D/daemon.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.1; done
  URL="http://127.0.0.1:$(cat "$D/port")"
  threads=$((NCPU / n)); [ "$threads" -ge 1 ] || threads=1
  mem_gib=$((16 / n)); [ "$mem_gib" -le 6 ] || mem_gib=6
  for i in $(seq 0 $((n - 1))); do
    OPENBLAS_NUM_THREADS=$threads taskset -c "$(cpus_of "$i" "$n")" "$WORKER" --server "$URL" --token "$WTOK" \
      --name "w$i" --cache "$D/cache" --cache-secret-file "$TMP/secret" --models "$TMP/models" \
      --data-root "$DATA" --work "$D" --poll 0.2 --threads "$threads" --mem "${mem_gib}G" \
      --log-level warn 2>"$D/worker$i.log" &
    PIDS+=($!)
  done
  cat > "$D/spec.json" <<JSON
{"name": "bench shards $n", "model": "rb", "task": "SST-2", "data": "k-shot-1k-test/SST-2", "k": 16,
 "seeds": [42], "prompt": true, "kernel": {"formula": "$FORMULA", "shards": $n},
 "solver": {"name": "lstsq", "regularization": [0]}}
JSON
  t0=$(date +%s.%N)
  ID=$(LMNTK_SERVER=$URL LMNTK_TOKEN=$UTOK "$LMNTK" submit "$D/spec.json")
  LMNTK_SERVER=$URL LMNTK_TOKEN=$UTOK "$LMNTK" wait "$ID" --quiet --interval 0.5 \
    || { echo "shards.sh: $n workers: the experiment failed" >&2; cat "$D"/worker*.log >&2; exit 1; }
  t1=$(date +%s.%N)
  LMNTK_SERVER=$URL LMNTK_TOKEN=$UTOK "$LMNTK" results "$ID" --out "$D/results" >/dev/null
  curl -sf -H "Authorization: Bearer $UTOK" "$URL/v1/experiments/$ID" > "$D/experiment.json"
  stop_all
  wall=$(echo "$t1 - $t0" | bc -l)
  [ -n "$T1" ] || T1=$wall
  same=true
  for f in kernel-train kernel-dev kernel-test f0-train f0-dev f0-test; do
    cmp -s "$TMP/run1/results/seed42/kernel-$FORMULA/$f.npy" "$D/results/seed42/kernel-$FORMULA/$f.npy" 2>/dev/null \
      || same=false
  done
  [ -d "$TMP/run1" ] || same=null
  jq -c --argjson n "$n" --argjson threads "$threads" --argjson wall "$wall" --argjson t1 "$T1" \
        --argjson same "$same" --argjson mem "$mem_gib" "$JQ_T"'
    [.jobs[] | select(.job.tile)] as $tiles | [.jobs[] | select(.job.tile | not)] as $main |
    {bench: "shards", workers: $n, openblas_threads_per_worker: $threads, worker_mem_gib: $mem, shards: $n,
     wall_s: ($wall * 10 | round / 10), speedup: (($t1 / $wall) * 100 | round / 100),
     tile_s: [$tiles[] | ((.finished_at | t) - (.started_at | t)) * 10 | round / 10],
     tile_kernel_s: [$tiles[] | .result.timings.kernel_s * 10 | round / 10],
     cpu_s_of_tiles: ([$tiles[] | ((.finished_at | t) - (.started_at | t))] | add // 0 | . * $threads | round),
     tile_features_s: [$tiles[] | .result.timings.features_s * 10 | round / 10],
     tile_features_hit: [$tiles[] | .result.cache.features_hit],
     (if ($tiles | length) > 0 then "merge_s" else "job_s" end):
       ([$main[] | ((.finished_at | t) - (.started_at | t))] | add * 10 | round / 10),
     main_kernel_s: ([$main[] | .result.timings.kernel_s // 0] | add * 10 | round / 10),
     main_solve_s: ([$main[] | .result.timings.solve_s // 0] | add * 10 | round / 10),
     merge_wait_s: (if ($tiles | length) > 0 then ([$main[] | .started_at | t] | min) - ([$tiles[] | .finished_at | t] | max) | . * 10 | round / 10 else 0 end),
     tile_parts: [$tiles[] | [.result.tiles[] | "\(.set) [\(.cols[0]),\(.cols[1])) \(.seconds * 10 | round / 10) s"] | join(", ")],
     set_blocks: ([$tiles[].result.tiles[] | {key: .set, value: .set_blocks}] | from_entries),
     workers_of_tiles: [$tiles[] | .worker], kernels_equal_one_worker: $same}' "$D/experiment.json" | tee -a "$TMP/runs.jsonl"
done

# A cluster of 16 and 64 workers of one CPU each, estimated from the run
# with one worker per CPU here (tiles on their own CPUs, so their times are
# one CPU's): E the tiles' evaluation work (kernel minus training
# features), F the longest training-features step (computed, or waited for
# and read from the shared cache), S the tiles' other time (lease, model
# load, tokenizing, upload), M the merge job.  Blocks have about equal
# tokens, so n tiles take E * ceil(B / n) / B with B the blocks of all
# three sets (no more than B tiles do work):
#   T(n) = S + F + E * ceil(B / min(n, B)) / B + M,   T(1) = S + F + E
jq -sc --argjson ncpu "$NCPU" '
  def r: . * 10 | round / 10;
  [.[] | select(.workers == $ncpu and .shards > 1)][0] as $m |
  if $m == null then {bench: "shards_estimate", error: "no run with one worker per CPU (WORKERS must hold \($ncpu))"} else
  ([$m.tile_kernel_s, $m.tile_features_s] | transpose | map(.[0] - .[1]) | add) as $E |
  ($m.tile_features_s | max) as $F |
  ([$m.tile_s, $m.tile_kernel_s] | transpose | map(.[0] - .[1]) | add / length) as $S |
  $m.merge_s as $M | ($m.set_blocks | add) as $B |
  def T($n): ([$n, $B] | min) as $p | $S + $F + $E * (($B / $p) | ceil) / $B + $M;
  ($S + $F + $E) as $T1 |
  {bench: "shards_estimate", from_workers: $ncpu, eval_cpu_s: ($E | r), features_s: ($F | r), other_s: ($S | r),
   merge_s: $M, blocks: $B, one_cpu_worker_s: ($T1 | r),
   cluster: [16, 64 | {workers: ., tiles: ([., $B] | min), seconds: (T(.) | r), speedup_over_one_cpu: (($T1 / T(.)) * 10 | round / 10)}]}
  end' "$TMP/runs.jsonl"
