#!/usr/bin/env bash
# it_ownership.sh - experiments belong to the user of the token that
# submitted them: with read_auth = token another user's token gets 404 on
# every experiment route (read, list, artifacts, result.json, cancel),
# exactly as for an id that does not exist; a second token of the same user
# and an admin token see and cancel them; a worker token reads none.  With
# read_auth = open anyone reads, but only the owner or an admin cancels.
# Last, a database made before ownership existed is migrated: its tokens
# become users of their own and keep their experiments.
. "$(dirname "$0")/lib.sh"

start_daemon --read-auth token
tok() { "$LMNTKD" token add --data "$TMP/data" "$@" 2>/dev/null || fail "token add $*"; }
ALICE=$(tok --kind user --user alice)
ALICE2=$(tok --kind user --user alice --note "alice's second token")
BOB=$(tok --kind user --user bob)
ADMIN=$(tok --kind admin --user root)
WTOK=$(tok --kind worker)
"$LMNTKD" token add --kind user --user 'not a name' --data "$TMP/data" >/dev/null 2>&1 \
  && fail "a user name with spaces is refused"
"$LMNTKD" token list --data "$TMP/data" | grep -q '^4 *admin *root ' || fail "token list shows kind and user"

as() {  # as TOKEN METHOD PATH [CURL ARGS]: api with TOKEN ("": none)
  local t=$1; shift
  if [ -n "$t" ]; then api "$@" -H "Authorization: Bearer $t"; else api "$@"; fi
}
code() { as "$@" >/dev/null; status; }  # code TOKEN METHOD PATH: the status
submit_as() {
  as "$1" POST /v1/experiments -H 'Content-Type: application/json' --data-binary "$2" | json '.id | strings'
}
E_A=$(submit_as "$ALICE" '{"task":"SST-2","data":"d","model":"tiny","seeds":[1]}')
E_B=$(submit_as "$BOB" '{"task":"SST-2","data":"d","model":"tiny","seeds":[2,3]}')
[ -n "$E_A" ] && [ -n "$E_B" ] || fail "submit"
FAKE=00000000-0000-4000-8000-000000000000
as "$BOB" GET "/v1/experiments/$FAKE" > "$TMP/missing.json"

# alice's job runs: an artifact and result.json exist to be asked for
LEASE_ID=$(as "$WTOK" POST /v1/leases -d '{"worker":"w"}' | json '.lease')
printf 'secret of alice' > "$TMP/x.txt"
as "$WTOK" PUT "/v1/leases/$LEASE_ID/artifacts/x.txt" -T "$TMP/x.txt" >/dev/null
[ "$(status)" = 201 ] || fail "upload"
as "$WTOK" POST "/v1/leases/$LEASE_ID/complete" -d '{"result":{"score":0.5}}' >/dev/null
[ "$(status)" = 200 ] || fail "complete"

# reads: the owner (either token), admins; nobody else, and nothing tells a
# hidden experiment from a missing one
for path in "/v1/experiments/$E_A" "/v1/experiments/$E_A/artifacts/result.json" \
            "/v1/experiments/$E_A/artifacts/0/x.txt"; do
  [ "$(code "$ALICE" GET "$path")" = 200 ] || fail "alice reads $path"
  [ "$(code "$ALICE2" GET "$path")" = 200 ] || fail "alice's second token reads $path"
  [ "$(code "$ADMIN" GET "$path")" = 200 ] || fail "the admin reads $path"
  [ "$(code "$BOB" GET "$path")" = 404 ] || fail "bob reads $path: $(status)"
  [ "$(code "$WTOK" GET "$path")" = 404 ] || fail "a worker token reads $path: $(status)"
  [ "$(code "" GET "$path")" = 401 ] || fail "an anonymous read of $path: $(status)"
done
as "$BOB" GET "/v1/experiments/$E_A" | grep -q 'secret' && fail "bob saw alice's artifact"
as "$BOB" GET "/v1/experiments/$E_A" > "$TMP/hidden.json"
cmp -s "$TMP/hidden.json" "$TMP/missing.json" || fail "a hidden experiment reads like a missing one"
[ "$(as "$ALICE" GET "/v1/experiments/$E_A" | json '.owner')" = alice ] || fail "the owner is shown"

# lists: each user's own; all for the admin; none for a worker
[ "$(as "$ALICE" GET /v1/experiments | json '[.experiments[].id]')" = "[\"$E_A\"]" ] || fail "alice's list"
[ "$(as "$BOB" GET /v1/experiments | json '[.experiments[].id]')" = "[\"$E_B\"]" ] || fail "bob's list"
[ "$(as "$ADMIN" GET /v1/experiments | json '[.experiments[].id]')" = "[\"$E_B\",\"$E_A\"]" ] \
  || fail "the admin's list"
[ "$(as "$WTOK" GET /v1/experiments | json '.experiments | length')" = 0 ] || fail "a worker's list"
[ "$(as "$BOB" GET "/v1/experiments?state=succeeded" | json '.experiments | length')" = 0 ] \
  || fail "filters do not widen the scope"

# cancel: the owner or an admin
[ "$(code "$ALICE" DELETE "/v1/experiments/$E_B")" = 404 ] || fail "alice cancels bob's: $(status)"
[ "$(code "$WTOK" DELETE "/v1/experiments/$E_B")" = 403 ] || fail "a worker cancels: $(status)"
[ "$(as "$BOB" GET "/v1/experiments/$E_B" | json '.state')" = queued ] || fail "bob's is untouched"
[ "$(code "$ADMIN" DELETE "/v1/experiments/$E_B")" = 200 ] || fail "the admin cancels bob's"
[ "$(code "$BOB" DELETE "/v1/experiments/$E_A")" = 404 ] || fail "bob cancels alice's: $(status)"
[ "$(code "$ALICE2" DELETE "/v1/experiments/$E_A")" = 409 ] || fail "alice's token reaches hers: $(status)"
E_A2=$(submit_as "$ADMIN" '{"task":"SST-2","data":"d","model":"tiny","seeds":[4]}')
[ "$(as "$ADMIN" GET "/v1/experiments/$E_A2" | json '.owner')" = root ] || fail "an admin submits as itself"
[ "$(code "$ALICE" GET "/v1/experiments/$E_A2")" = 404 ] || fail "users do not see the admin's"

# read_auth = open: a public dashboard; cancelling still needs the owner
stop_daemon
start_daemon --read-auth open
[ "$(code "" GET "/v1/experiments/$E_A")" = 200 ] || fail "an open read"
[ "$(api GET /v1/experiments | json '.experiments | length')" = 3 ] || fail "an open list shows all"
E_C=$(submit_as "$ALICE" '{"task":"SST-2","data":"d","model":"tiny","seeds":[5]}')
[ "$(code "$BOB" DELETE "/v1/experiments/$E_C")" = 404 ] || fail "bob cancels alice's (open reads)"
[ "$(code "$ALICE" DELETE "/v1/experiments/$E_C")" = 200 ] || fail "alice cancels hers (open reads)"
stop_daemon

# A database of schema 1 (before owners): tokens become users of their own.
OLD="$TMP/old"
mkdir -p "$OLD"
OLDTOK=lmntk_u_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
OLDHASH=$(printf '%s' "$OLDTOK" | sha256sum | cut -d' ' -f1)
{ cat "$(dirname "$0")/../../schema/migrations/0001_init.sql"
  echo "PRAGMA user_version=1;"
  echo "INSERT INTO tokens(id, kind, hash, created_at) VALUES (7, 'user', '$OLDHASH', 0);"
  echo "INSERT INTO experiments(id, spec, n_jobs, token_id, created_at, updated_at)
        VALUES ('11111111-1111-4111-8111-111111111111', '{}', 0, 7, 0, 0);"
} | sqlite3 "$OLD/lmntk.db" || fail "making a schema-1 database"
"$LMNTKD" --listen 127.0.0.1:0 --port-file "$TMP/port2" --data "$OLD" --models "$TMP/models" \
  --read-auth token 2>>"$TMP/daemon.log" &
PIDS+=("$!")
wait_until 10 test -s "$TMP/port2" || fail "the daemon did not start on the old database"
BASE="http://127.0.0.1:$(cat "$TMP/port2")"
[ "$(as "$OLDTOK" GET /v1/experiments/11111111-1111-4111-8111-111111111111 | json '.owner')" = token-7 ] \
  || fail "an old experiment belongs to its token's user: $(cat "$TMP/body")"
[ "$(sqlite3 "$OLD/lmntk.db" 'PRAGMA user_version; PRAGMA foreign_key_check;' | tr '\n' ' ')" \
  = "$(sqlite3 "$TMP/data/lmntk.db" 'PRAGMA user_version;') " ] || fail "migrated to the current schema"
note "ok"
