#!/usr/bin/env bash
# it_http.sh - the daemon's HTTP settings from a config file: read access by
# token, the per-token rate limit (429 + Retry-After) and refused tokens
# counted against the address, connection timeouts (idle, and a body that
# trickles in past body_timeout), and the dashboard's static files served
# without path tricks.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/web/js"
echo '<!doctype html><title>lmntk</title>' > "$TMP/web/index.html"
echo 'console.log(1)' > "$TMP/web/js/app.js"
echo 'secret' > "$TMP/secret.txt"
cat > "$TMP/lmntkd.conf" <<CONF
# lmntkd settings (flags win over these)
read_auth = token
rate_limit = 1
rate_burst = 3
connection_timeout = 1
body_timeout = 1.5
max_artifact_bytes = 4000000
web = $TMP/web
CONF
# start_daemon passes --rate-limit 0; the file's value must lose to it, so
# this daemon is started by hand.
"$LMNTKD" --config "$TMP/lmntkd.conf" --listen 127.0.0.1:0 --port-file "$TMP/port" \
  --data "$TMP/data" --models "$TMP/models" 2>>"$TMP/daemon.log" &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
wait_until 10 test -s "$TMP/port" || fail "the daemon did not start"
BASE="http://127.0.0.1:$(cat "$TMP/port")"
make_tokens
ATOK=$("$LMNTKD" token add --kind admin --data "$TMP/data" 2>/dev/null) || fail "token add admin"

# read_auth = token: reads need a token (any kind), health checks never do.
api GET /v1/experiments >/dev/null
[ "$(status)" = 401 ] || fail "anonymous read refused: $(status)"
api GET /healthz >/dev/null
[ "$(status)" = 200 ] || fail "healthz is open"
api GET /v1/models -H "Authorization: Bearer $WTOK" | json '.models[0].name' | grep -qx tiny \
  || fail "a worker token reads"

# The dashboard.
[ "$(api GET /)" = '<!doctype html><title>lmntk</title>' ] || fail "index.html at /"
api GET /js/app.js >/dev/null
[ "$(status)" = 200 ] || fail "a nested file"
curl -s -D "$TMP/headers" -o /dev/null "$BASE/js/app.js"
grep -qi '^content-type: text/javascript' "$TMP/headers" || fail "content type of .js"
for trick in "/../secret.txt" "/js/../../secret.txt" "/%2e%2e/secret.txt" "/js/%2e%2e/%2e%2e/secret.txt" \
             "/.%2e/secret.txt" "/js//app.js"; do
  code=$(curl -s --path-as-is -o "$TMP/body" -w '%{http_code}' "$BASE$trick")
  [ "$code" = 404 ] || fail "static $trick -> $code"
  ! grep -q secret "$TMP/body" || fail "static $trick leaked the file"
done

# Connection timeout: a silent connection is closed after ~1 s, without a
# reply (bash's /dev/tcp; cat ends at the close, timeout gives up after 5 s).
idle_connection_closed() {
  local t0 rc ms
  exec 3<>"/dev/tcp/127.0.0.1/$(cat "$TMP/port")" || return 1
  t0=${EPOCHREALTIME/[.,]/}
  printf 'GET /healthz HTTP/1.1\r\n' >&3  # ... and never the rest
  timeout 5 cat <&3 > "$TMP/idle.reply"
  rc=$?
  exec 3<&-
  ms=$(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 ))
  [ "$rc" = 0 ] || { note "not closed within 5 s (rc $rc)"; return 1; }
  [ ! -s "$TMP/idle.reply" ] || { note "closed with a reply: $(head -c 100 "$TMP/idle.reply")"; return 1; }
  [ "$ms" -lt 4000 ] || { note "closed after $ms ms"; return 1; }
}
idle_connection_closed || fail "an idle connection is closed"

# Body timeout: a body trickled in a byte every 0.3 s (which the 1 s idle
# timeout never sees) is cut 1.5 s after its headers.
"$HOSTILE_CLIENT" slowbody "$(cat "$TMP/port")" "$ATOK" 6 > "$TMP/slowbody.txt"
note "$(cat "$TMP/slowbody.txt")"
cut_after=$(sed -n 's/.*closed_after=\([0-9.]*\) .*/\1/p' "$TMP/slowbody.txt")
[ -n "$cut_after" ] && awk -v t="$cut_after" 'BEGIN { exit !(t >= 1.4 && t < 3) }' \
  || fail "a trickled body was not cut at body_timeout: $(cat "$TMP/slowbody.txt")"

# Uploads stream to disk: a 3 MB artifact round-trips byte for byte; more
# than max_artifact_bytes is refused whether declared or chunked, leaving no
# partial file behind.
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[5]}')
LEASE=$(api POST /v1/leases -H "Authorization: Bearer $WTOK" -d '{"worker":"curl"}' | json '.lease')
head -c 3000000 /dev/urandom > "$TMP/big.bin"
head -c 5000000 /dev/urandom > "$TMP/huge.bin"
api PUT "/v1/leases/$LEASE/artifacts/big.bin" -H "Authorization: Bearer $WTOK" -T "$TMP/big.bin" \
  | json '[.name, .bytes]' | grep -qxF '["0/big.bin",3000000]' || fail "upload: $(cat "$TMP/body")"
curl -s -H "Authorization: Bearer $ATOK" -o "$TMP/big.back" "$BASE/v1/experiments/$ID/artifacts/0/big.bin"
cmp -s "$TMP/big.bin" "$TMP/big.back" || fail "the artifact comes back byte for byte"
api PUT "/v1/leases/$LEASE/artifacts/huge.bin" -H "Authorization: Bearer $WTOK" -T "$TMP/huge.bin" >/dev/null
[ "$(status)" = 413 ] || fail "declared oversize upload: $(status)"
api PUT "/v1/leases/$LEASE/artifacts/huge.bin" -H "Authorization: Bearer $WTOK" \
  -H 'Transfer-Encoding: chunked' -T "$TMP/huge.bin" >/dev/null
[ "$(status)" = 413 ] || fail "chunked oversize upload: $(status)"
[ -z "$(find "$TMP/data/artifacts" -name '.*')" ] || fail "partial uploads left behind"
[ ! -e "$TMP/data/artifacts/$ID/0/huge.bin" ] || fail "an oversize artifact was stored"
api POST "/v1/leases/$LEASE/complete" -H "Authorization: Bearer $WTOK" -d '{"result":{"score":0.5}}' >/dev/null
[ "$(status)" = 200 ] || fail "complete: $(cat "$TMP/body")"
experiment "$ID" -H "Authorization: Bearer $ATOK" | json '[.state, .jobs[0].artifacts]' \
  | grep -qxF '["succeeded",["0/big.bin"]]' || fail "the experiment lists its artifact"

# Rate limit: 1 per second with a burst of 3, per token: within 20 quick
# requests one is refused, with Retry-After and the JSON error.
limited=0
for i in $(seq 1 20); do
  code=$(curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $UTOK" \
    "$BASE/v1/experiments")
  [ "$code" = 429 ] && { limited=1; break; }
done
[ "$limited" = 1 ] || fail "20 requests in a row are never limited"
grep -qi '^retry-after: [0-9]' "$TMP/headers" || fail "Retry-After on 429"
json '.error' < "$TMP/body" | grep -qx rate_limited || fail "429 body"
sleep 1.2
api GET /v1/experiments -H "Authorization: Bearer $UTOK" >/dev/null
[ "$(status)" = 200 ] || fail "the bucket refills"
api GET /metrics -H "Authorization: Bearer $WTOK" | grep -q '^lmntk_http_rate_limited_total [1-9]' \
  || fail "rate-limited requests are counted"

# Token management: a revoked token stops working.
"$LMNTKD" token list --data "$TMP/data" | grep -q '^1 *user' || fail "token list"
"$LMNTKD" token revoke --id 1 --data "$TMP/data" || fail "token revoke"
api GET /v1/experiments -H "Authorization: Bearer $UTOK" >/dev/null
[ "$(status)" = 401 ] || fail "a revoked token is refused"

# Refused tokens count against the client address like any anonymous
# request (1/s, burst 3 here): guessing tokens is rate-limited too.
limited=0
for i in $(seq 1 20); do
  code=$(curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' \
    -H "Authorization: Bearer lmntk_u_guess$i" "$BASE/healthz")
  [ "$code" = 429 ] && { limited=1; break; }
  [ "$code" = 401 ] || fail "a wrong token: $code"
done
[ "$limited" = 1 ] || fail "20 wrong tokens in a row are never limited"
grep -qi '^retry-after: [0-9]' "$TMP/headers" || fail "Retry-After for a token guesser"
api GET /v1/experiments -H "Authorization: Bearer $ATOK" >/dev/null
[ "$(status)" = 200 ] || fail "a valid token from the same address is served: $(status)"
note "ok"
