#!/usr/bin/env bash
# random-init.sh LMNTK MODEL_DIR OUT_DIR - the random initialisation a model's
# pre-training started from: `lmntk pretrain --steps 0` with the model's shape
# (config.json), tokenizer, and the seed, init_std and pos_init that its
# trainer_state.json records (a model without them: 42, 0.02, normal, the
# values of the runs that predate them).  Writes OUT_DIR/checkpoint-0; prints
# its path.  Used by eval.sh and tests/run/test_default_model.sh.
set -euo pipefail
LMNTK=$1
MODEL=$2
OUT=$3
command -v jq >/dev/null || { echo "random-init: jq is needed (deploy/install-deps.sh)" >&2; exit 1; }
cfg() { jq -r ".$1" "$MODEL/config.json"; }
state() { jq -r ".$1 // \"$2\"" "$MODEL/trainer_state.json" 2>/dev/null || echo "$2"; }
rm -rf "$OUT"
# no step is taken, so the corpus is opened and never read: any text file does
"$LMNTK" pretrain --tokenizer "$MODEL" --corpus "$MODEL/vocab.json" \
  --out "$OUT" --layers "$(cfg num_hidden_layers)" --hidden "$(cfg hidden_size)" \
  --heads "$(cfg num_attention_heads)" --ffn "$(cfg intermediate_size)" \
  --block "$(( $(cfg max_position_embeddings) - 2 ))" --seed "$(state seed 42)" \
  --init-std "$(state init_std 0.02)" --pos-init "$(state pos_init normal)" \
  --steps 0 > "$OUT.log" 2>&1 || { cat "$OUT.log" >&2; exit 1; }
echo "$OUT/checkpoint-0"
