#!/usr/bin/env bash
# demo.sh - the main job of lmntk on a fresh Debian 12 machine: installs what
# is needed, builds, starts the daemon (lmntkd) and a worker on loopback,
# submits the demo experiment (SST-2, 16-shot, 5 seeds, the sgd eNTK of the
# built-in default model with a least-squares grid, fine-tuning with SGD and
# the kernel-behaviour diagnostics), waits with a progress display, prints the
# result table and the dashboard address.
#
#   ./deploy/demo.sh            (PORT=8080 by default; LMNTK_DEMO_DIR keeps state)
# On a terminal the daemon keeps serving the dashboard until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
./deploy/install-deps.sh
./deploy/build.sh >/dev/null

SHARED=$(cd "$ROOT/.." && pwd)/shared
[ -d "$SHARED/data" ] || { echo "demo: the shared data is not at $SHARED/data" >&2; exit 1; }
DIR=${LMNTK_DEMO_DIR:-$(mktemp -d /tmp/lmntk-demo.XXXXXX)}
mkdir -p "$DIR/models" "$DIR/cache"
# the secret that keys the cache entries' MACs (workers sharing a cache share it)
[ -s "$DIR/cache-secret" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/cache-secret")

# the built-in default model (models/default); a spec that names no model uses it
MODEL="$ROOT/models/default"
if [ ! -f "$MODEL/config.json" ]; then
  echo "demo: the built-in default model is missing ($MODEL);" >&2
  echo "demo: using the small random-weight reference RoBERTa instead: expect chance accuracy." >&2
  MODEL="$SHARED/reference/lmkft-small/model"
fi
ln -sfn "$MODEL" "$DIR/models/default"

LMNTKD="$ROOT/build/lmntkd" WORKER="$ROOT/build/lmntk-worker" LMNTK="$ROOT/build/lmntk"
UTOK=$("$LMNTKD" token add --kind user --user demo --data "$DIR/state" --note demo)
WTOK=$("$LMNTKD" token add --kind worker --data "$DIR/state" --note demo-worker)
rm -f "$DIR/port"
"$LMNTKD" --listen "127.0.0.1:${PORT:-8080}" --data "$DIR/state" --models "$DIR/models" \
  --web "$ROOT/web" --data-root "$SHARED/data" --port_file "$DIR/port" 2>"$DIR/lmntkd.log" &
DAEMON=$!
cleanup() { kill "$WORKER_PID" "$DAEMON" 2>/dev/null || true; wait 2>/dev/null || true; }
WORKER_PID=
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$DIR/port" ] && break; sleep 0.1; done
[ -s "$DIR/port" ] || { echo "demo: lmntkd did not start:" >&2; cat "$DIR/lmntkd.log" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$DIR/port")"
"$WORKER" --server "$URL" --token "$WTOK" --cache "$DIR/cache" --cache-secret-file "$DIR/cache-secret" --models "$DIR/models" \
  --data-root "$SHARED/data" 2>"$DIR/worker.log" &
WORKER_PID=$!

cat > "$DIR/spec.json" <<JSON
{
  "name": "demo: SST-2 16-shot, sgd eNTK vs SGD fine-tuning",
  "model": "default",
  "task": "SST-2",
  "data": "k-shot-1k-test/SST-2",
  "k": 16,
  "seeds": [13, 21, 42, 87, 100],
  "prompt": true,
  "kernel": {"formula": "sgd"},
  "solver": {"name": "lstsq", "regularization": [0, 0.001, 0.01, 0.1], "f0_scaling": [0, 10, 100, 1000]},
  "finetune": [{"optimizer": "sgd", "lr": [0.01], "batch_size": [8], "steps": 100, "eval_every": 20}]
}
JSON
export LMNTK_SERVER="$URL" LMNTK_TOKEN="$UTOK"
ID=$("$LMNTK" submit "$DIR/spec.json")
echo "demo: submitted experiment $ID to $URL"
"$LMNTK" wait "$ID"
"$LMNTK" results "$ID" --out "$DIR/results" --table
echo
echo "dashboard:  $URL/#/experiments/$ID"
echo "result:     $DIR/results/result.json   (curl $URL/v1/experiments/$ID)"
if [ -t 0 ]; then
  echo "demo: serving the dashboard; Ctrl-C stops the daemon and the worker."
  wait "$DAEMON"
fi
