#!/usr/bin/env bash
# test_install_deps.sh BUILD_DIR - every system header the build compiled
# against and every library it linked comes from a Debian package that
# deploy/install-deps.sh installs (directly or as a dependency of one it
# lists).  A fresh machine has only what that script installs, so a header
# found here by luck (liblapacke-dev's lapack.h once was) fails this test
# instead of the first build on a clean Debian.
set -euo pipefail
build=${1:?usage: test_install_deps.sh BUILD_DIR}
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v dpkg-query >/dev/null || { echo "FAIL: dpkg-query not found (not a Debian system)"; exit 1; }

# The packages install-deps.sh lists: the words of its PACKAGES=( ... ) array.
listed=$(sed -n '/^PACKAGES=(/,/^)/p' "$root/deploy/install-deps.sh" |
         sed -e 's/#.*//' -e 's/PACKAGES=(//' -e 's/)//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
[ -n "$listed" ] || { echo "FAIL: no PACKAGES=( ... ) list in deploy/install-deps.sh"; exit 1; }

# Their closure under Depends/Pre-Depends among installed packages (every
# installed alternative of an "a | b" counts: either satisfies the install).
declare -A have=()
queue=($listed)
while [ ${#queue[@]} -gt 0 ]; do
  p=${queue[0]}; queue=("${queue[@]:1}")
  [ -n "${have[$p]:-}" ] && continue
  have[$p]=1
  deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}, ${Provides}\n' "$p" 2>/dev/null || true)
  for d in $(echo "$deps" | tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/:any//' -e 's/^ *//' -e 's/ *$//' | grep -v '^$'); do
    [ -n "${have[$d]:-}" ] || queue+=("$d")
  done
done

# What the build used: headers from ninja's dependency log, libraries from the
# link lines (full paths, and -lNAME resolved as the compiler resolves it).
headers=$(ninja -C "$build" -t deps | grep -E '^\s+/' | sed 's/^ *//' | grep -v "^$root" | sort -u)
cc=$(sed -n 's/^ *command = \([^ ]*cc\) .*/\1/p' "$build/build.ninja" | head -1); cc=${cc:-cc}
libs=$(grep -oE '/usr/lib[^ ]*\.so' "$build/build.ninja" | sort -u)
for l in $(grep -oE '(^| )-l[A-Za-z0-9_+]+' "$build/build.ninja" | sed 's/ *-l//' | sort -u); do
  f=$($cc -print-file-name="lib$l.so")
  [ "$f" != "lib$l.so" ] && libs+=$'\n'"$f"
done
[ -n "$headers" ] && [ -n "$libs" ] || { echo "FAIL: no headers or libraries found in $build (built?)"; exit 1; }

# Each file's package (dpkg -S knows the path as installed; alternatives and
# usrmerge links are tried resolved too).
missing=0; checked=0
while read -r f; do
  [ -n "$f" ] || continue
  checked=$((checked + 1))
  pkgs=$(dpkg -S "$f" 2>/dev/null | sed 's/: .*//' | tr ', ' '\n\n' | sed 's/:.*//' | grep -v '^$' || true)
  [ -n "$pkgs" ] || pkgs=$(dpkg -S "$(readlink -f "$f")" 2>/dev/null | sed 's/: .*//' | tr ', ' '\n\n' | sed 's/:.*//' | grep -v '^$' || true)
  if [ -z "$pkgs" ]; then echo "FAIL: $f belongs to no Debian package"; missing=$((missing + 1)); continue; fi
  ok=0
  for p in $pkgs; do [ -n "${have[$p]:-}" ] && ok=1; done
  [ $ok = 1 ] || { echo "FAIL: $f comes from $(echo $pkgs) which deploy/install-deps.sh does not install"; missing=$((missing + 1)); }
done <<< "$headers"$'\n'"$libs"
echo "# $checked headers and libraries checked against $(echo "$listed" | wc -l) listed packages (${#have[@]} with their dependencies)"
[ $missing = 0 ]
