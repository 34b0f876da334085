#!/usr/bin/env bash
# it_help.sh - the three programs say their version with --version and their
# usage with --help on stdout (exit 0, nothing on stderr), every lmntk
# command too; a usage error goes to stderr with exit 2.
set -u
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmntk-help.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$(dirname "$0")/../../meson.build")
[ -n "$version" ] || fail "no version in meson.build"

# on_stdout NAME COMMAND...: exit 0, something on stdout, nothing on stderr
on_stdout() {
  local name=$1; shift
  "$@" > "$tmp/out" 2> "$tmp/err"
  local rc=$?
  [ "$rc" = 0 ] || fail "$name: exit $rc"
  [ -s "$tmp/out" ] || fail "$name: nothing on stdout"
  [ ! -s "$tmp/err" ] || fail "$name: wrote to stderr: $(head -3 "$tmp/err")"
}

for p in "$LMNTK:lmntk" "$LMNTKD:lmntkd" "$WORKER:lmntk-worker"; do
  bin=${p%%:*} name=${p##*:}
  on_stdout "$name --version" "$bin" --version
  grep -q "^$name $version" "$tmp/out" || fail "$name --version: $(cat "$tmp/out")"
  on_stdout "$name --help" "$bin" --help
  grep -q "^usage: $name" "$tmp/out" || fail "$name --help: $(head -2 "$tmp/out")"
done
on_stdout "lmntkd token --help" "$LMNTKD" token --help

# every command lmntk --help lists
"$LMNTK" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p' > "$tmp/commands"
[ "$(wc -l < "$tmp/commands")" -ge 17 ] || fail "lmntk --help lists $(wc -l < "$tmp/commands") commands"
while read -r c; do
  on_stdout "lmntk $c --help" "$LMNTK" "$c" --help
  grep -q "^usage: lmntk $c" "$tmp/out" || fail "lmntk $c --help: $(head -1 "$tmp/out")"
done < "$tmp/commands"

# usage errors: stderr, exit 2
for args in "" "list --bogus" "tag" "results" "nosuchcommand"; do
  # shellcheck disable=SC2086
  "$LMNTK" $args > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ "$rc" = 2 ] || fail "lmntk $args: exit $rc, not 2"
  [ -s "$tmp/err" ] && [ ! -s "$tmp/out" ] || fail "lmntk $args: the usage error is not on stderr alone"
done
"$LMNTKD" --bogus-flag > "$tmp/out" 2> "$tmp/err"
[ "$?" = 2 ] && [ -s "$tmp/err" ] && [ ! -s "$tmp/out" ] || fail "lmntkd --bogus-flag: stderr, exit 2"

echo "it_help: $fails failed"
[ "$fails" = 0 ]
