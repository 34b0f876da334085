#!/usr/bin/env bash
# it_slowloris.sh - 600 slow connections without a token while a job runs.
# Each sends a request line and then one header byte every 0.5 s, never the
# end of its headers, and comes back 0.5 s after it is closed.  First all
# 600 from one address: the per-address cap (40 here) holds the rest off,
# and the 40 are cut at header_timeout (2 s here) although they never stop
# sending.  Then 600 from 30 addresses: with more than half the table
# waiting for headers, waiting connections are cut after 1 s.  Throughout,
# /healthz from 127.0.0.1 answers in under 1 s, the worker's heartbeats go
# through (lease 3 s), and the job finishes on its first lease.
. "$(dirname "$0")/lib.sh"

# The client holds 600 sockets and the daemon up to 2 x 1024 descriptors;
# both raise their soft limit to the hard one (ulimit -Hn).
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 2400 ]; then
  echo "# ulimit -Hn is $hard: 600 connections against 1024 need 2400 descriptors; skipped"
  exit 77
fi

LEASE=3 start_daemon --header-timeout 2 --max-connections-per-address 40 --max-connections 1024
make_tokens
ID=$(submit '{"task":"SST-2","data":"d","model":"tiny","seeds":[1]}')
[ -n "$ID" ] || fail "submit"
start_worker A LMNTK_TEST_JOB_MS=15000
running() { [ "$(experiment "$ID" | json '.jobs[0].state')" = running ]; }
wait_until 10 running || fail "the job runs"

# /healthz every 0.2 s for the whole attack: status and seconds of each
(
  end=$((SECONDS + 14))
  while [ $SECONDS -lt $end ]; do
    curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$BASE/healthz"
    sleep 0.2
  done > "$TMP/healthz.txt"
) &
POLLER=$!
PIDS+=("$POLLER")

"$HOSTILE_CLIENT" slowloris "$PORT" 600 127.0.0.2 1 6 > "$TMP/one.txt" || fail "slowloris (one address)"
"$HOSTILE_CLIENT" slowloris "$PORT" 600 127.0.0.10 30 7 > "$TMP/many.txt" || fail "slowloris (30 addresses)"
wait "$POLLER"
note "one address:  $(cat "$TMP/one.txt")"
note "30 addresses: $(cat "$TMP/many.txt")"
val() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$TMP/$1.txt"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# one address: at most the cap held; trickling did not extend the deadline
le "$(val one max_alive)" 40 || fail "more than 40 connections held from one address"
[ "$(val one cut)" -ge 40 ] || fail "the held connections were not cut"
le 1.9 "$(val one min_cut_age)" || fail "a connection was cut before header_timeout"
le "$(val one max_cut_age)" 3.0 || fail "a trickling connection outlived header_timeout"
[ "$(val one max_sent)" -gt 42 ] || fail "the connections did trickle"
# 30 addresses: all were let in, and cut early under pressure
le 400 "$(val many max_alive)" || fail "connections from many addresses were refused"
le "$(val many max_cut_age)" 2.6 || fail "waiting connections were not cut under pressure"

# healthz all along
[ "$(wc -l < "$TMP/healthz.txt")" -ge 40 ] || fail "healthz was polled $(wc -l < "$TMP/healthz.txt") times"
awk '$1 != 200 { bad++ } $2 > max { max = $2 }
     END { printf "# healthz: %d answers, slowest %.3f s\n", NR, max; exit !(bad == 0 && max < 1.0) }' \
  "$TMP/healthz.txt" >&2 || fail "healthz failed or took 1 s or more: $(sort -k2 -n "$TMP/healthz.txt" | tail -3)"

# the job: no lease lost
wait_until 20 is_state "$ID" succeeded || fail "the job finished"
[ "$(experiment "$ID" | json '.jobs[0].attempts')" = 1 ] || fail "the lease was lost"
! grep -q 'lease is lost\|heartbeat:' "$TMP/worker-A.log" || fail "heartbeats failed: $(grep heartbeat "$TMP/worker-A.log" | head -3)"
api GET /metrics | grep -q 'lmntk_http_connections_cut_total{reason="pressure"} [1-9]' \
  || fail "the cuts are counted"
note "ok"
