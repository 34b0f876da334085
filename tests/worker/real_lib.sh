# real_lib.sh - for the tests of the real binaries, sourced after
# ../server/lib.sh: the small reference RoBERTa as model "small", its SST-2
# 16-shot split in $TMP/kshot/16-42, and real_worker.  Skips (77) when the
# shared reference model is not there.
REF="$SHARED_DIR/reference/lmkft-small"
[ -d "$REF/model" ] || { echo "# no reference model at $REF: skipped"; exit 77; }
rm -rf "$TMP/models/tiny"
ln -s "$(cd "$REF/model" && pwd)" "$TMP/models/small"
mkdir -p "$TMP/kshot/16-42"
cp "$REF/SST-2-signgd/data/"*.tsv "$TMP/kshot/16-42/"

# real_worker NAME [FLAGS...]: a real lmntk-worker on the cache $TMP/cache,
# run by the command in $RUN_AS (words; none: this user).
real_worker() {
  local name=$1; shift
  # shellcheck disable=SC2086 # RUN_AS is a list of words
  ${RUN_AS:-} "$WORKER" --server "$BASE" --token "$WTOK" --name "$name" --cache "$TMP/cache" \
    --models "$TMP/models" --work "$TMP/work" --poll 0.2 "$@" 2>>"$TMP/worker-$name.log" &
  LAST_WORKER_PID=$!
  PIDS+=("$LAST_WORKER_PID")
}
