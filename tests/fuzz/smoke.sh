#!/usr/bin/env bash
# smoke.sh FUZZ_BUILD_DIR TARGET... - the suite's short fuzz run (meson test
# fuzz_smoke).  Builds the libFuzzer targets with clang (tests/fuzz/build.sh;
# no clang is a failure, not a skip: deploy/install-deps.sh installs it),
# then runs each target over its committed corpus plus SMOKE_RUNS new
# inputs (default 2000) from a fixed seed.  Any crash, leak, UB, timeout or
# out-of-memory fails the test and prints the input that caused it.
set -euo pipefail
dir=${1:?usage: smoke.sh FUZZ_BUILD_DIR TARGET...}
shift
here=$(cd "$(dirname "$0")" && pwd)
"$here/build.sh" "$dir"

runs=${SMOKE_RUNS:-2000}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1
failed=0
for t in "$@"; do
  corpus="$here/corpus/$t"
  [ -d "$corpus" ] || { echo "$t: no seed corpus $corpus"; failed=1; continue; }
  dict=()
  [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
  mkdir -p "$scratch/$t/new" "$scratch/$t/tmp"
  n=$(find "$corpus" -type f | wc -l)
  start=$(date +%s%N)
  # New inputs go to the scratch folder (the first corpus folder), never
  # into the committed corpus.
  if TMPDIR="$scratch/$t/tmp" "$dir/tests/fuzz/$t" -seed=1 -runs=$((n + runs)) -timeout=20 \
       -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 -artifact_prefix="$scratch/$t/" \
       "${dict[@]}" "$scratch/$t/new" "$corpus" > "$scratch/$t/log" 2>&1; then
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t/log")
    cov=$(grep -o 'cov: [0-9]*' "$scratch/$t/log" | tail -1 || true)
    printf '%-22s ok: %s inputs (%s seeds), %s, %d ms\n' "$t" "$execs" "$n" "${cov:-cov: ?}" "$ms"
  else
    echo "$t: FAILED; the last lines of its log:"
    tail -60 "$scratch/$t/log"
    for a in "$scratch/$t"/crash-* "$scratch/$t"/leak-* "$scratch/$t"/timeout-* "$scratch/$t"/oom-*; do
      [ -f "$a" ] || continue
      echo "--- input $(basename "$a") (base64; add it to tests/fuzz/corpus/$t once fixed):"
      base64 "$a"
    done
    failed=1
  fi
done
exit $failed
