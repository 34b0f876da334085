# lib.sh - helpers of the daemon/worker integration tests (sourced).
#
# Everything runs on 127.0.0.1 with ports the daemon picks itself (port 0,
# read back from --port-file), in one temporary folder, and every process a
# test starts is recorded and killed by its pid at exit.
#
# Environment from meson: LMNTKD, WORKER (binaries to run), LMNTK (the CLI),
# HOSTILE_CLIENT (it_hostile.sh's request storm).  JSON is read with jq; no
# interpreter is needed.

set -u
command -v jq >/dev/null || { echo "FAIL: jq is needed (deploy/install-deps.sh)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-it.XXXXXX")
# The cache's MAC secret is made on first use under here, not in ~/.config.
export XDG_CONFIG_HOME=$TMP/config
PIDS=()
FAILED=0
mkdir -p "$TMP/models/tiny" "$TMP/work" "$TMP/dataroot"
# "tiny": a registered model whose config.json the daemon reads (for the
# memory estimate); the runner test double never loads its weights.
cat > "$TMP/models/tiny/config.json" <<'JSON'
{"model_type": "roberta", "vocab_size": 1000, "hidden_size": 32, "num_hidden_layers": 2,
 "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 130,
 "type_vocab_size": 1, "pad_token_id": 1, "layer_norm_eps": 1e-05, "hidden_act": "gelu"}
JSON

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
    for f in "$TMP"/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -n 40 "$f"; }; done
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILED=1; exit 1; }
note() { echo "# $*" >&2; }

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

# start_daemon [FLAGS...]: starts $LMNTKD on $PORT (0 = any) with $TMP/data.
PORT=${PORT:-0}
start_daemon() {
  rm -f "$TMP/port"
  "$LMNTKD" --listen "127.0.0.1:$PORT" --port-file "$TMP/port" --data "$TMP/data" \
    --models "$TMP/models" --lease-seconds "${LEASE:-3}" --rate-limit 0 --log-level info \
    "$@" 2>>"$TMP/daemon.log" &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  wait_until 10 test -s "$TMP/port" || fail "the daemon did not start"
  PORT=$(cat "$TMP/port")
  BASE="http://127.0.0.1:$PORT"
}

stop_daemon() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; }

# Tokens straight into the database file (works with or without a daemon).
make_tokens() {
  UTOK=$("$LMNTKD" token add --kind user --data "$TMP/data" 2>/dev/null) || fail "token add"
  WTOK=$("$LMNTKD" token add --kind worker --data "$TMP/data" 2>/dev/null) || fail "token add"
}

# start_worker NAME [ENV=VALUE...]: a worker of $WORKER in the background,
# with the flags in $WORKER_FLAGS too.
start_worker() {
  local name=$1; shift
  # shellcheck disable=SC2086 # WORKER_FLAGS is a list of words
  env "$@" "$WORKER" --server "$BASE" --token "$WTOK" --name "$name" --work "$TMP/work" \
    --data-root "$TMP/dataroot" ${WORKER_FLAGS:-} 2>>"$TMP/worker-$name.log" &
  LAST_WORKER_PID=$!
  PIDS+=("$LAST_WORKER_PID")
}

# api METHOD PATH [CURL ARGS...]: the body on stdout, the status in $TMP/status.
api() {
  local method=$1 path=$2; shift 2
  curl -s -o "$TMP/body" -w '%{http_code}' -X "$method" "$BASE$path" "$@" > "$TMP/status"
  cat "$TMP/body"
}
status() { cat "$TMP/status"; }

# json FILTER: the jq FILTER of the JSON on stdin; strings print raw,
# arrays and objects compact (["a","b"]), null as null.  A key that is not
# there reads as null: where null is the expected answer, test has("key").
json() { jq -rc "$1"; }

submit() {  # submit SPEC_JSON -> prints the experiment id (nothing when refused)
  api POST /v1/experiments -H "Authorization: Bearer $UTOK" -H 'Content-Type: application/json' \
    --data-binary "$1" | json '.id | strings'
}

experiment() { local id=$1; shift; api GET "/v1/experiments/$id" "$@"; }
state_of() { experiment "$1" | json '.state'; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

SPEC_4='{"task":"SST-2","data":"data/k-shot/SST-2","model":"tiny","seeds":[13,21,42,87]}'
