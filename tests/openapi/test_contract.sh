#!/usr/bin/env bash
# test_contract.sh - schema/openapi.yaml against the real daemon
# (contract.test.mjs says what is checked).  Starts, on free loopback ports
# with temporary folders:
#   the main lmntkd: serving web/, the small reference RoBERTa as its only
#     model, small body/spec/artifact limits (so that 413s are cheap to
#     provoke), max_attempts 1 (one failure fails an experiment), the tiny
#     data root for admission, and 1 GiB for the largest worker;
#   a strict lmntkd: read_auth = token, one request per token per 1000 s,
#     no --web (GET / is a 404);
#   an owners lmntkd: read_auth = token, no rate limit, for the ownership
#     rules (users alice and bob, an admin, a worker);
# and, in the main daemon's database before it starts, two experiments
# whose ids share their first 8 characters (abcdef01-...), so that a prefix
# can be ambiguous (uuids that do so by chance are too rare to wait for),
# with a stored spec that today's checks refuse (as one from an older
# daemon could be);
# and gives the node script a real lmntk-worker to run (a tiny SST-2 split
# and corpus under its --data-root: tests/fixtures/tiny_workspace.sh).
#   test_contract.sh BUILD_DIR SOURCE_ROOT SHARED_DIR
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) shared=$3
here=$src/tests/openapi
command -v node >/dev/null || { echo "FAIL: node is missing (deploy/install-deps.sh installs nodejs)"; exit 1; }
"$src/tests/npm_ci.sh" "$here" >/dev/null || { echo "FAIL: tests/npm_ci.sh could not install tests/openapi's node modules"; exit 1; }
model=$shared/reference/lmkft-small/model
[ -f "$model/config.json" ] || { echo "FAIL: missing $model"; exit 1; }
for bin in lmntkd lmntk-worker; do
  [ -x "$build/$bin" ] || { echo "FAIL: $build/$bin is not built"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-contract.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$rc" != 0 ]; then
    for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# models (lmkft-small), cache, work and a tiny data root (k-shot-1k-test/SST-2/<k>-<seed>, a corpus)
"$src/tests/fixtures/tiny_workspace.sh" "$shared" "$tmp" || { echo "FAIL: tests/fixtures/tiny_workspace.sh"; exit 1; }

# start_daemon NAME FLAGS...: lmntkd on a free port; its URL in $url
start_daemon() {
  local name=$1; shift
  "$build/lmntkd" --listen 127.0.0.1:0 --port-file "$tmp/$name.port" --data "$tmp/$name" --models "$tmp/models" \
    "$@" 2>>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
  [ -s "$tmp/$name.port" ] || { echo "FAIL: lmntkd ($name) did not start"; exit 1; }
  url=http://127.0.0.1:$(cat "$tmp/$name.port")
}
# token DAEMON KIND [USER]: a new token of that daemon's database
token() {
  "$build/lmntkd" token add --kind "$2" ${3:+--user "$3"} --data "$tmp/$1" 2>>"$tmp/$1.log" \
    || { echo "FAIL: token add"; exit 1; }
}

MAX_BODY_BYTES=1048576 MAX_SPEC_BYTES=4096 MAX_ARTIFACT_BYTES=1048576
UTOK=$(token main user alice) BOB=$(token main user bob) ADMIN=$(token main admin) WTOK=$(token main worker)
STRICT_UTOK=$(token strict user)
OWN_ALICE=$(token owners user alice) OWN_ALICE2=$(token owners user alice) OWN_BOB=$(token owners user bob)
OWN_ADMIN=$(token owners admin) OWN_WORKER=$(token owners worker)
AMBIGUOUS=abcdef01
sqlite3 "$tmp/main/lmntk.db" "INSERT INTO experiments(id, owner, spec, n_jobs, state, created_at, updated_at)
  VALUES ('$AMBIGUOUS-1111-4000-8000-000000000001', 'alice', '{}', 0, 'cancelled', 1, 1),
         ('$AMBIGUOUS-2222-4000-8000-000000000002', 'alice', '{}', 0, 'cancelled', 1, 1)" \
  || { echo "FAIL: cannot add the experiments of a shared prefix"; exit 1; }
start_daemon main --web "$src/web" --rate-limit 0 --lease-seconds 120 --max-attempts 1 --data-root "$tmp/data-root" \
  --max-job-memory 1073741824 \
  --max-body-bytes $MAX_BODY_BYTES --max-spec-bytes $MAX_SPEC_BYTES --max-artifact-bytes $MAX_ARTIFACT_BYTES
base=$url
start_daemon strict --read-auth token --rate-limit 0.001 --rate-burst 1
strict=$url
start_daemon owners --read-auth token --rate-limit 0 --data-root "$tmp/data-root"
owners=$url

OPENAPI=${OPENAPI:-$src/schema/openapi.yaml} ROUTES_C=${ROUTES_C:-$src/server/routes.c} BASE=$base STRICT_BASE=$strict \
  OWNERS_BASE=$owners OWN_ALICE=$OWN_ALICE OWN_ALICE2=$OWN_ALICE2 OWN_BOB=$OWN_BOB OWN_ADMIN=$OWN_ADMIN \
  OWN_WORKER=$OWN_WORKER BOB=$BOB ADMIN=$ADMIN AMBIGUOUS=$AMBIGUOUS \
  UTOK=$UTOK WTOK=$WTOK STRICT_UTOK=$STRICT_UTOK MAX_BODY_BYTES=$MAX_BODY_BYTES MAX_SPEC_BYTES=$MAX_SPEC_BYTES \
  MAX_ARTIFACT_BYTES=$MAX_ARTIFACT_BYTES MODEL_NAME=lmkft-small MODELS_DIR=$tmp/models DATA_DIR=k-shot-1k-test/SST-2 \
  WORKER_BIN=$build/lmntk-worker WORKER_LOG=$tmp/worker.log \
  WORKER_ARGS="--cache $tmp/cache --models $tmp/models --data-root $tmp/data-root --work $tmp/work --poll 0.2 --threads 2 --name contract-worker" \
  timeout 240 node "$here/contract.test.mjs"
