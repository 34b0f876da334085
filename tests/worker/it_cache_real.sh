#!/usr/bin/env bash
# it_cache_real.sh - the real lmntkd and lmntk-worker on a shared cache:
# workers that share the cache's secret reuse each other's entries; a worker
# with another secret ignores them (one logged miss per entry), recomputes
# and gets the same result; a worker whose cache folder is read-only logs
# one warning and computes without it.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/real_lib.sh"

(umask 077
 echo "the workers' shared cache secret" > "$TMP/secret"
 echo "somebody else's cache secret" > "$TMP/other-secret")
SPEC='{"task": "SST-2", "data": "kshot", "k": 16, "seeds": [42], "model": "small",
       "kernel": {"formula": "sgd"}, "solver": {"name": "lstsq"}}'
LEASE=3 start_daemon
make_tokens

# run_on NAME SECRET [FLAGS...]: worker NAME runs the spec to success; prints
# the job's cache "hits misses", keeps result.json as $TMP/result-NAME.json.
run_on() {
  local name=$1 secret=$2 id w
  shift 2
  real_worker "$name" --data-root "$TMP" --cache-secret-file "$secret" "$@"
  w=$LAST_WORKER_PID
  id=$(submit "$SPEC")
  wait_until 60 is_state "$id" succeeded || fail "$name: $(experiment "$id" | json '[.state, .error]')"
  kill -TERM "$w"
  wait "$w" 2>/dev/null
  experiment "$id" | json '.result' > "$TMP/result-$name.json"
  experiment "$id" | json '.jobs[0].result.cache | "\(.hits) \(.misses)"'
}
same_result() { jq -n --slurpfile a "$1" --slurpfile b "$2" -f "$(dirname "$0")/same_result.jq"; }

[ "$(run_on A "$TMP/secret")" = "0 3" ] || fail "A fills the cache"
[ "$(run_on B "$TMP/secret")" = "3 0" ] || fail "B, with the same secret, uses A's entries"
[ "$(run_on C "$TMP/other-secret")" = "0 3" ] || fail "C, with another secret, ignores them"
[ "$(grep -c 'has no valid MAC' "$TMP/worker-C.log")" = 3 ] || fail "C logs each entry it ignored"
same_result "$TMP/result-A.json" "$TMP/result-C.json" || fail "C's result differs from A's"
note "shared secret: hits; another secret: misses, logged, the same result"

# A read-only cache folder: a read-only bind mount in a user and mount
# namespace of the worker's own (root too is refused); where the system
# allows no namespaces, a folder without write permission for this user.
mkdir -p "$TMP/ro-cache"
cat > "$TMP/read-only.sh" <<'SH'
#!/bin/sh
# read-only.sh DIR COMMAND...: runs COMMAND with DIR mounted read-only
dir=$1; shift
mount --bind "$dir" "$dir" && mount -o remount,ro,bind "$dir" "$dir" && exec "$@"
SH
chmod +x "$TMP/read-only.sh"
if unshare -rm "$TMP/read-only.sh" "$TMP/ro-cache" true 2>/dev/null; then
  RUN_AS="unshare -rm $TMP/read-only.sh $TMP/ro-cache"
elif [ "$(id -u)" != 0 ]; then
  chmod a-w "$TMP/ro-cache"
else
  echo "# no user namespaces and running as root: the read-only cache is not tested"; exit 0
fi
[ "$(run_on D "$TMP/secret" --cache "$TMP/ro-cache")" = "0 3" ] || fail "D computes without the cache"
RUN_AS=
[ "$(grep -c 'computing without storing entries' "$TMP/worker-D.log")" = 1 ] || fail "D warns once"
grep -q 'Read-only file system\|Permission denied' "$TMP/worker-D.log" || fail "D names the cause"
[ -z "$(find "$TMP/ro-cache" -type f)" ] || fail "something was written to the read-only cache"
same_result "$TMP/result-A.json" "$TMP/result-D.json" || fail "D's result differs from A's"
note "ok: a read-only cache is one warning"
