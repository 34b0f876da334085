#!/usr/bin/env bash
# it_results.sh - the real lmntkd checks every job result a worker reports
# before it stores it (common/experiment's reader of results): a malformed
# `complete` is a 400 naming the field and leaves the job running and the
# experiment unaggregated; the result a real worker reported is taken and
# aggregated.  No worker runs: the reports are sent with curl.
#   FIXTURES=tests/fixtures/experiment LMNTKD=build/lmntkd it_results.sh
. "$(dirname "$0")/lib.sh"
start_daemon
make_tokens

# One job: seed 13, kernel:sgd; the result reported for that job in
# tests/fixtures/experiment/kernels (a real run).
ID=$(submit '{"task":"SST-2","data":"SST-2","k":6,"model":"tiny","seeds":[13],"kernel":{"formula":"sgd"},
  "solver":{"name":"lstsq"}}')
[ -n "$ID" ] || fail "submit: $(cat "$TMP/body")"
LEASE=$(api POST /v1/leases -H "Authorization: Bearer $WTOK" -d '{"worker":"curl"}' | json '.lease')
[ -n "$LEASE" ] && [ "$LEASE" != null ] || fail "lease: $(cat "$TMP/body")"
GOOD=$(jq -c '.[0]' "$FIXTURES/kernels/job_results.json")
[ "$(jq -c '[.seed, .method]' <<<"$GOOD")" = '[13,"kernel:sgd"]' ] || fail "the fixture's first result is not seed 13 kernel:sgd"

# complete BODY FIELD: refused with 400 naming FIELD
refused() {
  api POST "/v1/leases/$LEASE/complete" -H "Authorization: Bearer $WTOK" -d "$1" >/dev/null
  [ "$(status)" = 400 ] || fail "accepted ($(status)): $1"
  [ "$(json '.field' < "$TMP/body")" = "$2" ] || fail "for $1: field $(json '.field' < "$TMP/body"), want $2"
}
refused '{"result":{"diagnostics":{}}}' result.seed
refused "{\"result\":$(jq -c '.seed = 21' <<<"$GOOD")}" result.seed
refused "{\"result\":$(jq -c '.method = "kernel:signgd"' <<<"$GOOD")}" result.method
refused "{\"result\":$(jq -c 'del(.selected)' <<<"$GOOD")}" result.selected
refused "{\"result\":$(jq -c '.selected.dev = "0.5"' <<<"$GOOD")}" result.selected.dev
refused "{\"result\":$(jq -c '.selected.index = 99' <<<"$GOOD")}" result.selected.index
refused "{\"result\":$(jq -c '.test_predictions = [0, -1]' <<<"$GOOD")}" 'result.test_predictions[1]'
refused "{\"result\":$(jq -c '.diagnostics = {"agreement": 1}' <<<"$GOOD")}" result.diagnostics.agreement
refused '{"result":{"seed":13,"method":"kernel:sgd","seconds":1}}' result.grid

# nothing of those was stored: the job still runs, nothing was aggregated
experiment "$ID" -H "Authorization: Bearer $UTOK" | json '[.state, .jobs[0].state, .result]' \
  | grep -qxF '["running","running",null]' || fail "a refused result left a trace: $(cat "$TMP/body")"

# the real one is taken and aggregated
api POST "/v1/leases/$LEASE/complete" -H "Authorization: Bearer $WTOK" -d "{\"result\":$GOOD}" >/dev/null
[ "$(status)" = 200 ] || fail "the real result: $(cat "$TMP/body")"
experiment "$ID" -H "Authorization: Bearer $UTOK" | json '[.state, .result.summary[0].method, .result.summary[0].test.mean]' \
  | grep -qxF "[\"succeeded\",\"kernel:sgd\",$(jq '.selected.test' <<<"$GOOD")]" \
  || fail "aggregated: $(cat "$TMP/body" | head -c 400)"
echo "it_results: ok"
