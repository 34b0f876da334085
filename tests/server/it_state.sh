#!/usr/bin/env bash
# it_state.sh - the daemon's state on disk, checked at start: an empty
# (0-byte) or damaged lmntk.db stops it with an error that says so (PRAGMA
# quick_check), --data naming a file is refused as such, and a second daemon
# on a port in use is refused (no SO_REUSEPORT sharing of the port).
. "$(dirname "$0")/lib.sh"

# refused_start NAME PATTERN FLAGS...: lmntkd exits non-zero within 10 s and
# its error matches PATTERN.
refused_start() {
  local name=$1 pattern=$2; shift 2
  timeout 10 "$LMNTKD" --listen 127.0.0.1:0 --models "$TMP/models" "$@" 2> "$TMP/$name.err"
  local rc=$?
  [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$name: the daemon did not stop at start (rc $rc)"
  grep -qE "$pattern" "$TMP/$name.err" || fail "$name: the error does not say '$pattern': $(cat "$TMP/$name.err")"
}

# a database with content, then stopped cleanly (no -wal file left)
start_daemon
make_tokens
ID=$(submit "$SPEC_4")
[ -n "$ID" ] || fail "submit"
stop_daemon
[ ! -e "$TMP/data/lmntk.db-wal" ] || fail "a clean stop leaves no WAL"
cp -r "$TMP/data" "$TMP/good"

# 0 bytes: a truncated database is not taken for a new, empty one
mkdir -p "$TMP/empty"
: > "$TMP/empty/lmntk.db"
refused_start empty 'lmntk.db is empty \(0 bytes\)' --data "$TMP/empty"
[ ! -s "$TMP/empty/lmntk.db" ] || fail "the empty file was written to"
"$LMNTKD" token add --kind user --data "$TMP/empty" >/dev/null 2>"$TMP/empty-token.err" \
  && fail "token add on an empty database"
grep -q 'is empty (0 bytes)' "$TMP/empty-token.err" || fail "token add says why"

# a damaged b-tree page (the header intact): PRAGMA quick_check finds it
cp -r "$TMP/good" "$TMP/damaged"
PAGE=$(sqlite3 "$TMP/good/lmntk.db" 'PRAGMA page_size;')
N_PAGES=$(sqlite3 "$TMP/good/lmntk.db" 'PRAGMA page_count;')
[ "$N_PAGES" -ge 4 ] || fail "the test database has $N_PAGES pages"
for p in $(seq 2 "$N_PAGES"); do  # every page but the first: garbage
  head -c "$PAGE" /dev/zero | tr '\0' '\377' \
    | dd of="$TMP/damaged/lmntk.db" bs="$PAGE" seek=$((p - 1)) count=1 conv=notrunc status=none
done
refused_start damaged 'lmntk.db is damaged' --data "$TMP/damaged"
# a damaged header: not a database at all
cp -r "$TMP/good" "$TMP/noheader"
printf 'this is not a database file at all....' \
  | dd of="$TMP/noheader/lmntk.db" bs=1 seek=0 conv=notrunc status=none
refused_start noheader 'lmntk.db is damaged' --data "$TMP/noheader"

# --data naming a file
echo 'not a folder' > "$TMP/afile"
refused_start datafile 'is a file, not a folder' --data "$TMP/afile"
"$LMNTKD" token add --kind user --data "$TMP/afile" >/dev/null 2>"$TMP/datafile-token.err" \
  && fail "token add --data FILE"
grep -q 'is a file, not a folder' "$TMP/datafile-token.err" || fail "token add says why"

# the good copy still starts, and a second daemon on its port is refused
rm -rf "$TMP/data"
mv "$TMP/good" "$TMP/data"
start_daemon
[ "$(state_of "$ID")" = queued ] || fail "the good database serves"
timeout 10 "$LMNTKD" --listen "127.0.0.1:$PORT" --data "$TMP/other" --models "$TMP/models" \
  2> "$TMP/second.err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second daemon on port $PORT started (rc $rc)"
grep -q 'Address already in use' "$TMP/second.err" || fail "the second daemon says why: $(cat "$TMP/second.err")"
for _ in $(seq 20); do  # every request still reaches the first daemon
  [ "$(api GET /healthz | json '.status')" = ok ] || fail "healthz of the first daemon"
done
note "ok"
