#!/usr/bin/env bash
# token_budget.sh - the GPU study of models/runs/2026-11-27-gpu: how
# many tokens the built-in model's shape needs before zero-shot prompting
# leaves chance (models/eval/token_budget.py, a PyTorch replica of the recipe).
#
#   models/eval/token_budget.sh prepare DIR [BUILD_DIR]
#       here: DIR gets what the run reads, small enough to travel to a GPU
#       machine (29 MB): the tokenizer of models/default, the corpus files
#       recompressed with xz (Gutenberg cut to its first 15 MB of text), the
#       SST-2/MR/CR test sets encoded by `lmntk encode`, and tokcheck.json
#       (corpus lines with the ids bpe_ref.py gives, to check the tokenizer
#       the replica uses against lmntk's).
#   models/eval/token_budget.sh run DIR SECONDS OUT
#       there (python3 with torch and tokenizers): tokenise once, then the
#       recipe at lr 1e-3 (A) and 2e-3 (B) side by side until SECONDS after
#       the start; A.tsv, B.tsv, run.log and F16 checkpoints land in OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cmd=${1:?usage: token_budget.sh prepare DIR [BUILD_DIR] | run DIR SECONDS OUT}
DIR=${2:?the inputs folder}

if [ "$cmd" = prepare ]; then
  LMNTK=$(cd "${3:-$ROOT/build}" && pwd)/lmntk
  CORPUS=$(cd "$ROOT/.." && pwd)/shared/data/corpus
  DATA=$(cd "$ROOT/.." && pwd)/shared/data/k-shot-1k-test
  mkdir -p "$DIR/T"
  cp "$ROOT/models/default/vocab.json" "$ROOT/models/default/merges.txt" "$DIR/T/"
  for f in imdb_unsup_part1 imdb_unsup_part2 wikipedia_enwiki_slice; do
    zcat "$CORPUS/$f.txt.gz" | xz -9e -T1 > "$DIR/$f.txt.xz"
  done
  # whole lines of the first 15 MB: the four files must fit the 64 MiB a call carries
  # (zcat under a process substitution: its SIGPIPE when head is done is no failure)
  head -c 15000000 < <(zcat "$CORPUS/gutenberg.txt.gz") | head -n -1 | xz -9e -T1 > "$DIR/gutenberg_part.txt.xz"
  for t in SST-2 mr cr; do
    "$LMNTK" encode --model "$ROOT/models/default" --task $t --data "$DATA/$t/16-42" --split test > "$DIR/$t.test.jsonl"
  done
  /usr/bin/python3 - "$ROOT" "$CORPUS" "$DIR" <<'PY'
import gzip, itertools, json, sys
root, corpus, out = sys.argv[1:]
sys.path.insert(0, root + '/tests/fixtures/tokenize')
import bpe_ref
tok = bpe_ref.load(root + '/models/default')
cases = []
for f in ('imdb_unsup_part1', 'imdb_unsup_part2', 'wikipedia_enwiki_slice'):
    with gzip.open(f'{corpus}/{f}.txt.gz', 'rt', encoding='utf-8') as fh:
        cases += [[l.rstrip('\n'), tok.encode(l.rstrip('\n'))] for l in itertools.islice(fh, 15) if l.strip()]
json.dump(cases, open(out + '/tokcheck.json', 'w'))
PY
  du -sh "$DIR"
  exit 0
fi

[ "$cmd" = run ] || { echo "token_budget.sh: unknown command $cmd" >&2; exit 2; }
SECONDS_LEFT=${3:?seconds}
OUT=${4:?output folder}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)     # the run works from DIR
DEADLINE=$(( $(date +%s) + SECONDS_LEFT ))
P="$ROOT/models/eval/token_budget.py"
cd "$DIR"
python3 -u "$P" --tok T --check tokcheck.json --stream /tmp/token_budget_stream.npy --tokenize-only \
  --corpus imdb_unsup_part1.txt.xz,gutenberg_part.txt.xz,imdb_unsup_part2.txt.xz,wikipedia_enwiki_slice.txt.xz \
  >> "$OUT/run.log" 2>&1 || { tail -20 "$OUT/run.log"; exit 1; }
E="--tok T --corpus none --stream /tmp/token_budget_stream.npy --eval SST-2.test.jsonl,mr.test.jsonl,cr.test.jsonl"
E="$E --out $OUT --deadline $DEADLINE --eval-every 1000"
python3 -u "$P" $E --tag A --lr 1e-3 --save-steps 8000,24000 >> "$OUT/run.log" 2>&1 &
python3 -u "$P" $E --tag B --lr 2e-3 >> "$OUT/run.log" 2>&1
wait
grep -v '^[AB] step' "$OUT/run.log" | tail -12
