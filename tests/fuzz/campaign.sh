#!/usr/bin/env bash
# campaign.sh FUZZ_BUILD_DIR TARGET [SECONDS] - one fuzzing campaign, as
# README.md records them: TARGET (built by tests/fuzz/build.sh into
# FUZZ_BUILD_DIR) runs for SECONDS (default 600) at the lowest priority,
# from the committed seeds and its dictionary, with a fresh working corpus
# in FUZZ_BUILD_DIR/campaign/TARGET/.  Prints the figures of the README's
# table: executions, corpus size, coverage (cov = edges, ft = features)
# and the crashes found (their inputs are left in .../artifacts/).
set -euo pipefail
dir=${1:?usage: campaign.sh FUZZ_BUILD_DIR TARGET [SECONDS]}
t=${2:?usage: campaign.sh FUZZ_BUILD_DIR TARGET [SECONDS]}
secs=${3:-600}
here=$(cd "$(dirname "$0")" && pwd)
work="$dir/campaign/$t"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
# The scratch files of the harness (tokenizer folders, the lease queue's
# database) on tmpfs when there is one: they are rewritten every run.
tmp=$(mktemp -d "${FUZZ_TMPDIR:-/dev/shm}/lmntk-campaign.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dict=()
[ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
start=$(date +%s)
set +e
ASAN_OPTIONS=detect_leaks=1 TMPDIR="$tmp" nice -n 19 "$dir/tests/fuzz/$t" \
  -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" "$here/corpus/$t" > "$work/log" 2>&1
rc=$?
set -e
wall=$(( $(date +%s) - start ))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
last=$(grep -E '^#[0-9]+' "$work/log" | tail -1)
cov=$(echo "$last" | grep -o 'cov: [0-9]*' | cut -d' ' -f2)
ft=$(echo "$last" | grep -o 'ft: [0-9]*' | cut -d' ' -f2)
corp=$(echo "$last" | grep -o 'corp: [0-9]*/[0-9A-Za-z]*' | cut -d' ' -f2)
crashes=$(find "$work/artifacts" -type f | wc -l)
echo "$t: ${wall} s, ${execs:-?} execs ($(( ${execs:-0} / (wall > 0 ? wall : 1) ))/s), corpus ${corp:-?}, cov ${cov:-?}, ft ${ft:-?}, crashes $crashes, exit $rc"
[ "$rc" = 0 ] && [ "$crashes" = 0 ]
