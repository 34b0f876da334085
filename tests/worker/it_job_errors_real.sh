#!/usr/bin/env bash
# it_job_errors_real.sh - the real lmntkd and lmntk-worker on jobs that fail
# for a reason, which the daemon then shows: a split whose train.tsv has a
# label the task does not know (the reader's error names file, line and
# field), and a job past the worker's --mem-limit ("out of memory", from the
# job process, not a lease that expires).  The worker serves on.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/real_lib.sh"

mkdir -p "$TMP/bad/16-42"
cp "$TMP/kshot/16-42/"*.tsv "$TMP/bad/16-42/"
printf 'sentence\tlabel\na fine film\t1\nhello there\t7\n' > "$TMP/bad/16-42/train.tsv"
spec() {  # spec DATA: the SST-2 sgd-kernel spec on the split folder DATA (under --data-root)
  echo "{\"task\": \"SST-2\", \"data\": \"$1\", \"k\": 16, \"seeds\": [42], \"model\": \"small\",
         \"kernel\": {\"formula\": \"sgd\"}, \"solver\": {\"name\": \"lstsq\"}}"
}

LEASE=3 start_daemon --max-attempts 1
make_tokens
failed_with() {  # failed_with SPEC TEXT: the experiment fails, its job's error holds TEXT
  local id e
  id=$(submit "$1")
  [ -n "$id" ] || fail "submit: $(cat "$TMP/body")"
  wait_until 60 is_state "$id" failed || fail "not failed: $(experiment "$id" | json '[.state, .error]')"
  e=$(experiment "$id" | json '.jobs[0].error')
  grep -q -F -- "$2" <<<"$e" || fail "the job's error: $e"
  experiment "$id" | json '.error' | grep -q -F -- "$2" || fail "the experiment's error"
  note "failed as it should: $e"
}

real_worker A --data-root "$TMP"
failed_with "$(spec bad)" "bad/16-42/train.tsv: line 3, field 2 (label): unknown label '7'"
kill -TERM "$LAST_WORKER_PID"; wait "$LAST_WORKER_PID" 2>/dev/null

# 16 MiB of heap is far below what loading the model and computing takes.
real_worker B --data-root "$TMP" --mem-limit 16M
failed_with "$(spec kshot)" "out of memory: allocating"
grep -q "the job's memory limit is 16 MiB" "$TMP/worker-B.log" || fail "the limit is named"
kill -0 "$LAST_WORKER_PID" || fail "worker B exited"
note "ok"
