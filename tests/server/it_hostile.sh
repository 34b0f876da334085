#!/usr/bin/env bash
# it_hostile.sh - 200+ malformed or hostile requests: bad JSON, bad UTF-8,
# huge numbers, unknown fields, wrong types, deep nesting, oversize bodies,
# path tricks, bad tokens, bad queries, protocol garbage.  Every one must get
# a 4xx (JSON errors naming the field where there is one), and the daemon
# must still serve afterwards.
. "$(dirname "$0")/lib.sh"

start_daemon --max-spec-bytes 65536 --max-body-bytes 131072 --connection-timeout 2
make_tokens
ID=$(submit "$SPEC_4")
[ -n "$ID" ] || fail "a valid spec is accepted"

# The storm itself: tests/server/hostile_client.c (the cases, and what
# counts as a right answer, are listed there).
"$HOSTILE_CLIENT" "$PORT" "$UTOK" "$WTOK" "$ID" || fail "hostile requests"

# Still serving, still correct.
api GET /healthz >/dev/null
[ "$(status)" = 200 ] || fail "healthz after the storm"
ID2=$(submit "$SPEC_4")
[ "$(state_of "$ID2")" = queued ] || fail "a valid spec is still accepted"
kill -0 "$DAEMON_PID" || fail "the daemon is alive"
! grep -q ' ERROR ' "$TMP/daemon.log" || fail "the daemon logged errors"
note "ok"
