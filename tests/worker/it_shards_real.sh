#!/usr/bin/env bash
# it_shards_real.sh - a kernel split into tiles across real workers equals
# the unsharded kernel bit for bit.  One spec (sgd and asymmetric_signgd on
# the small reference RoBERTa, SST-2 16-shot seed 42, blocks of 64 tokens so
# that each split has several) with kernel.shards 1, 2, 3 and 7, submitted
# together to a real lmntkd and run by 3 real lmntk-worker: A and B share a
# cache, C has its own (the tiles reach the merge jobs through the daemon,
# not through a folder).  Every kernel and f0 .npy of 2, 3 and 7 shards is
# cmp-equal to that of 1, result.json is the same but for the shards, the
# tile jobs are labelled and each merge job ran after its tiles.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/real_lib.sh"

spec() {
  cat <<SPEC
{"name": "shards $1", "task": "SST-2", "data": "kshot", "k": 16, "seeds": [42], "model": "small", "binary": true,
 "kernel": {"formula": ["sgd", "asymmetric_signgd"], "shards": $1, "block_tokens": 64},
 "solver": {"name": ["lstsq", "asym"]}}
SPEC
}

LEASE=5 start_daemon --data-root "$TMP"
make_tokens
declare -A ID
for n in 1 2 3 7; do
  ID[$n]=$(submit "$(spec $n)")
  [ -n "${ID[$n]}" ] || fail "submit shards $n: $(cat "$TMP/body")"
done
# a formula's kernel: n tile jobs and a merge job (1: one job)
for n in 1 2 3 7; do
  want=$(( n == 1 ? 2 : 2 * (n + 1) ))
  [ "$(experiment "${ID[$n]}" | json '.n_jobs')" = "$want" ] || fail "shards $n: $want jobs expected"
done
experiment "${ID[7]}" | jq -e '.jobs[0].label == "K(SGD) tile 1/7" and .jobs[6].label == "K(SGD) tile 7/7"
  and .jobs[7].label == "K(SGD)" and .jobs[7].job.after == [0,1,2,3,4,5,6]
  and .jobs[15].label == "K(A-SignGD)"' >/dev/null || fail "tile jobs and merge jobs labelled"

real_worker A --data-root "$TMP"
real_worker B --data-root "$TMP"
real_worker C --data-root "$TMP" --cache "$TMP/cache-C"
for n in 1 2 3 7; do
  LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK "$LMNTK" wait "${ID[$n]}" --timeout 240 --interval 0.5 --quiet \
    || fail "shards $n did not succeed: $(experiment "${ID[$n]}" | json '.error')"
  LMNTK_SERVER=$BASE "$LMNTK" results "${ID[$n]}" --out "$TMP/r$n" --token "$UTOK" > /dev/null \
    || fail "lmntk results (shards $n)"
done
note "workers of the tiles: $(experiment "${ID[7]}" | json '[.jobs[].worker] | group_by(.) | map("\(.[0]) \(length)") | join(", ")')"

# the kernels, bit for bit
n_files=0
for f in kernel-train kernel-dev kernel-test f0-train f0-dev f0-test; do
  for m in kernel-sgd kernel-asymmetric_signgd; do
    [ -s "$TMP/r1/seed42/$m/$f.npy" ] || fail "shards 1: no $m/$f.npy"
    for n in 2 3 7; do
      cmp -s "$TMP/r1/seed42/$m/$f.npy" "$TMP/r$n/seed42/$m/$f.npy" \
        || fail "shards $n: seed42/$m/$f.npy differs from the unsharded kernel's"
      n_files=$((n_files + 1))
    done
  done
done
note "$n_files kernel and f0 files of 2, 3 and 7 shards equal the unsharded ones byte for byte"

# the results: the same but for the shards (tests/worker/same_result.jq)
unsharded() { jq 'del(.spec.name, .spec.kernel.shards) | del(.jobs[].shards)' "$1"; }
for n in 2 3 7; do
  jq -n --slurpfile a <(unsharded "$TMP/r1/result.json") --slurpfile b <(unsharded "$TMP/r$n/result.json") \
    -f "$(dirname "$0")/same_result.jq" || fail "shards $n: result.json differs"
  jq -e --argjson n "$n" '[.jobs[].shards.tiles] == [$n, $n]' "$TMP/r$n/result.json" >/dev/null \
    || fail "shards $n: the merge results say how many tiles"
done

# each merge job after its tiles; every tile job left its tiles; the tiles
# of one part cover a run of rows of each set
E7=$(experiment "${ID[7]}")
echo "$E7" | jq -e '.jobs as $j | all($j[] | select(.job.merge); . as $m
  | ($m.job.after | map($j[.].finished_at) | max) <= $m.started_at)' >/dev/null || fail "a merge job ran before its tiles"
echo "$E7" | jq -e '[.jobs[] | select(.job.tile) | .artifacts == ["\(.index)/kernel-tiles.bin"]] | all' >/dev/null \
  || fail "each tile job uploads kernel-tiles.bin"
echo "$E7" | jq -e '[.jobs[] | select(.job.tile and .method == "kernel:sgd") | .result.tiles[]
  | select(.set == "dev") | .cols] | (.[0][0] == 0) and (.[-1][1] == 32)
  and ([range(1; length) as $i | .[$i][0] == .[$i - 1][1]] | all)' >/dev/null \
  || fail "the dev parts of the 7 tiles are consecutive runs covering 0..32"
echo "$E7" | jq -e '[.jobs[] | select(.job.tile) | .result.cache.features_hit] | any' >/dev/null \
  || note "no tile found the training features in its cache"
# a tile job's file by its folder, as lmntk run --out lays it out
api GET "/v1/experiments/${ID[7]}/artifacts/seed42/kernel-sgd-tile-3/kernel-tiles.bin" >/dev/null
[ "$(status)" = 200 ] && [ "$(head -c 8 "$TMP/body")" = LMTILES1 ] \
  || fail "a tile's file by seed and method: $(status) $(head -c 200 "$TMP/body")"
cmp -s "$TMP/body" "$TMP/r7/seed42/kernel-sgd-tile-3/kernel-tiles.bin" || fail "lmntk results put the tile by its folder"
note "ok: 1, 2, 3 and 7 shards across 3 workers give the same kernels and results"
