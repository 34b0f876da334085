#!/usr/bin/env bash
# test_cli.sh - `lmntk run`, `lmntk kernel` and `lmntk logits` end to end on
# the reference small RoBERTa and a small SST-2 split cut (at test time) from
# ../shared/data: results written, the cache hit on a second run, the runner's
# kernels equal to `lmntk kernel`'s, bad specs refused with the field named.
#   test_cli.sh BUILD_DIR SHARED_DIR
set -u
build=$1 shared=$2
lmntk=$build/lmntk
model=$shared/reference/lmkft-small/model
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d /tmp/lmntk-test-cli.XXXXXX)
export XDG_CONFIG_HOME=$tmp/config # the cache secret is made here, not in ~/.config
trap 'rm -rf "$tmp"' EXIT

# a small split: 6 examples per label in train and dev, 12 in test
"$(dirname "$0")/cut_split.sh" "$shared" "$tmp/data" || fail "cutting the split"

cat > "$tmp/spec.json" <<JSON
{
  "model": "$model",
  "task": "SST-2",
  "data": "$tmp/data/SST-2",
  "k": 6,
  "seeds": [13, 42],
  "prompt": true,
  "kernel": {"formula": "sgd"},
  "solver": {"name": "lstsq", "regularization": [0, 0.001, 0.01], "f0_scaling": [0, 100]}
}
JSON
out=$("$lmntk" run "$tmp/spec.json" --out "$tmp/r1" --cache "$tmp/cache" 2>"$tmp/err1") || fail "lmntk run: $(cat "$tmp/err1")"
[ -f "$tmp/r1/result.json" ] || fail "no result.json"
grep -q '"method":	"kernel:sgd"' "$tmp/r1/result.json" || fail "result.json lacks the kernel:sgd summary"
grep -q 'kernel:sgd  *K(SGD) ' <<<"$out" || fail "no result table printed (a kernel:sgd row labelled K(SGD): common/experiment/methods.c's names)"
# each job's files in seed<S>/<method>/, the names the daemon serves them by
for f in seed13/kernel-sgd/kernel-train seed42/kernel-sgd/kernel-test seed42/kernel-sgd/f0-dev; do
  [ -s "$tmp/r1/$f.npy" ] || fail "missing artifact $f.npy"
done
grep -q '"label":	"K(SGD)"' "$tmp/r1/result.json" || fail "result.json lacks the method's label"
n_points=$(grep -c '"regularization":' "$tmp/r1/result.json")
[ "$n_points" -ge 12 ] || fail "expected 2 seeds x 6 grid points, found $n_points"
grep -q '"misses":	3' "$tmp/r1/result.json" || fail "first run should miss the cache"

"$lmntk" run "$tmp/spec.json" --out "$tmp/r2" --cache "$tmp/cache" >/dev/null 2>&1 || fail "second run failed"
grep -q '"hits":	3' "$tmp/r2/result.json" || fail "second run should hit the cache"
cmp -s "$tmp/r1/seed42/kernel-sgd/kernel-test.npy" "$tmp/r2/seed42/kernel-sgd/kernel-test.npy" || fail "cached kernel differs"

# lmntk kernel on the same split gives the runner's numbers
"$lmntk" kernel --model "$model" --task SST-2 --data "$tmp/data/SST-2/6-42" --formula sgd \
  --out "$tmp/k" --no-cache >"$tmp/kout" 2>&1 || fail "lmntk kernel: $(cat "$tmp/kout")"
grep -q "cache: 0 hits, 3 misses" "$tmp/kout" || fail "lmntk kernel did not report the cache"
for s in train dev test; do
  cmp -s "$tmp/k/kernel-$s.npy" "$tmp/r1/seed42/kernel-sgd/kernel-$s.npy" || fail "kernel-$s.npy differs from the runner's"
done
grep -q '"content":' "$tmp/k/manifest.json" || fail "manifest lacks files"
"$lmntk" kernel --model "$model" --task SST-2 --data "$tmp/data/SST-2/6-42" --formula asymmetric_signgd \
  --out "$tmp/k2" --no-cache >/dev/null 2>"$tmp/kerr" && fail "asymmetric_signgd without --binary accepted"
grep -q "needs --binary" "$tmp/kerr" || fail "asymmetric without --binary: unclear error"

# bad specs: the error names the field, nothing is written
bad() {
  echo "$1" > "$tmp/bad.json"
  rm -rf "$tmp/rb"
  if "$lmntk" run "$tmp/bad.json" --out "$tmp/rb" --no-cache >/dev/null 2>"$tmp/berr"; then
    fail "bad spec accepted: $1"
  elif ! grep -q -- "$2" "$tmp/berr"; then
    fail "error for $1 does not name $2: $(cat "$tmp/berr")"
  fi
  [ ! -e "$tmp/rb/result.json" ] || fail "bad spec wrote a result"
}
bad "{\"model\": \"$model\", \"task\": \"SST-2\", \"data\": \"$tmp/data/SST-2\", \"k\": 6, \"seeds\": [42], \"solver\": {\"name\": \"lstsq\", \"regularization\": [-1]}, \"kernel\": {\"formula\": \"sgd\"}}" "solver.regularization\[0\]"
bad "{\"model\": \"$model\", \"task\": \"SST-2\", \"data\": \"$tmp/data/SST-2\", \"k\": 6, \"seeds\": [42], \"kernel\": {\"formula\": \"sgdd\"}}" "kernel.formula"
bad "{\"model\": \"$model\", \"task\": \"SST-2\", \"data\": \"$tmp/data/SST-2\", \"k\": 6, \"seeds\": [7], \"kernel\": {\"formula\": \"sgd\"}}" "6-7"
bad "{\"model\": \"$tmp/nomodel\", \"task\": \"SST-2\", \"data\": \"$tmp/data/SST-2\", \"k\": 6, \"seeds\": [42]}" "model"
bad "{\"task\": \"SST-2\", \"bogus\": 1}" "bogus"

# fine-tuning (diagnosed without asking), and a no-prompt kernel, through the
# runner; the spec names its model and data as lmntk-worker would see them
mkdir -p "$tmp/models"
ln -s "$model" "$tmp/models/small"
cat > "$tmp/ft.json" <<JSON
{
  "model": "small", "task": "SST-2", "data": "SST-2", "k": 6, "seeds": [42],
  "kernel": {"formula": "sgd"}, "solver": {"name": "lstsq", "regularization": [0, 0.01]},
  "finetune": [{"optimizer": "sgd", "lr": [1e-3], "batch_size": [4], "steps": 10, "eval_every": 5,
                "save_weights": true}]
}
JSON
"$lmntk" run "$tmp/ft.json" --out "$tmp/rf" --no-cache --models "$tmp/models" --data-root "$tmp/data" \
  >"$tmp/fout" 2>&1 || fail "finetune run: $(tail -3 "$tmp/fout")"
grep -q 'finetune:0 *SGD-FT' "$tmp/fout" || fail "no finetune row (id and label) in the table"
grep -q '"prediction_agreement":' "$tmp/rf/result.json" || fail "diagnostics lack the kernel/FT agreement"
grep -q '"kernel_distance":' "$tmp/rf/result.json" || fail "diagnostics lack the kernel distance"
grep -q '"effective_rank_participation"' "$tmp/rf/result.json" || fail "diagnostics lack the spectrum"
grep -q '"outcome":' "$tmp/rf/result.json" || fail "the verdict lacks its outcome"
# the fine-tuning job's own files: K(θ_FT), logits, the model folder
for f in test-logits.npy test-logits-linearized.npy kernel-ft-train.npy kernel-pt-train.npy \
         finetuned-model/config.json finetuned-model/model.safetensors finetuned-model/vocab.json; do
  [ -s "$tmp/rf/seed42/finetune-0/$f" ] || fail "the fine-tuning job left no $f"
done
"$lmntk" logits --model "$tmp/rf/seed42/finetune-0/finetuned-model" --text "It was <mask>." --top 2 \
  >/dev/null 2>&1 || fail "the fine-tuned model folder does not load"
# a path to a model of --models is that model; a path elsewhere is refused
sed "s|\"small\"|\"$tmp/models/small\"|" "$tmp/ft.json" > "$tmp/ft-path.json"
sed -i 's|"save_weights": true|"save_weights": false|' "$tmp/ft-path.json"
"$lmntk" run "$tmp/ft-path.json" --out "$tmp/rf2" --no-cache --models "$tmp/models" --data-root "$tmp/data" \
  >/dev/null 2>"$tmp/ferr2" || fail "a model path inside --models: $(tail -3 "$tmp/ferr2")"
sed "s|\"small\"|\"$model\"|" "$tmp/ft.json" > "$tmp/ft-out.json"
"$lmntk" run "$tmp/ft-out.json" --out "$tmp/rf3" --no-cache --models "$tmp/models" --data-root "$tmp/data" \
  >/dev/null 2>"$tmp/ferr3" && fail "a model path outside --models accepted"
grep -q 'neither a model name' "$tmp/ferr3" || fail "model outside --models: unclear error: $(cat "$tmp/ferr3")"
cat > "$tmp/np.json" <<JSON
{"model": "$model", "task": "SST-2", "data": "$tmp/data/SST-2", "k": 6, "seeds": [42], "prompt": false,
 "kernel": {"formula": ["sgd", "signgd"]}, "solver": {"name": ["lstsq", "svc"]}}
JSON
"$lmntk" run "$tmp/np.json" --out "$tmp/rn" --no-cache >"$tmp/nout" 2>&1 || fail "no-prompt run: $(tail -3 "$tmp/nout")"
grep -q '^kernel:signgd  *K(SignGD) ' "$tmp/nout" || fail "no-prompt run lacks the K(SignGD) row"
grep -q '^kernel  *Best kernel (dev) ' "$tmp/nout" || fail "no row selecting over formulas (Best kernel (dev))"

# lmntk logits
"$lmntk" logits --model "$model" --text "It was <mask>." --top 3 >"$tmp/lg" 2>&1 || fail "lmntk logits: $(cat "$tmp/lg")"
[ "$(grep -c '"logit":' "$tmp/lg")" = 3 ] || fail "lmntk logits: expected 3 entries"
"$lmntk" logits --model "$model" --text "no mask here" >/dev/null 2>&1 && fail "logits without a mask accepted"

echo "test_cli: $fails failed"
[ "$fails" = 0 ]
