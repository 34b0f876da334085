#!/usr/bin/env bash
# cut_split.sh - the small SST-2 split the runner's tests use, cut from
# ../shared/data: for data seeds 13 and 42, 6 examples per label in train and
# dev (rows 2-7 and 18-23 of the 16-shot files, whose labels are sorted) and
# the first 12 test examples, as OUT/SST-2/6-<seed>/{train,dev,test}.tsv.
#   cut_split.sh SHARED_DIR OUT
set -eu
shared=$1 out=$2
for seed in 42 13; do
  d=$out/SST-2/6-$seed
  mkdir -p "$d"
  s=$shared/data/k-shot-1k-test/SST-2/16-$seed
  for f in train dev; do
    { sed -n 1p "$s/$f.tsv"; sed -n 2,7p "$s/$f.tsv"; sed -n 18,23p "$s/$f.tsv"; } > "$d/$f.tsv"
  done
  head -n 13 "$s/test.tsv" > "$d/test.tsv"
done
