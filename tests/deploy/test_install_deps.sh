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
# installed alternative of an "a | b" counts: either satisfies the install;
# a virtual package counts through the installed packages that provide it).
# One dpkg-query for all installed packages, the walk in awk.
declare -A have=()
while read -r p; do have[$p]=1; done < <(
  dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Depends}, ${Pre-Depends}\t${Provides}\n' |
  awk -F'\t' -v listed="$(echo $listed)" '
    $1 ~ /^ii/ {
      n = split($3, d, /[,|]/)
      for (i = 1; i <= n; i++) { x = d[i]; sub(/\(.*\)/, "", x); sub(/:any/, "", x); gsub(/ /, "", x); if (x != "") deps[$2] = deps[$2] " " x }
      m = split($4, v, /,/)
      for (i = 1; i <= m; i++) { x = v[i]; sub(/\(.*\)/, "", x); gsub(/ /, "", x); if (x != "") deps[x] = deps[x] " " $2 }
    }
    END {
      k = split(listed, q, " ")
      for (i = 1; i <= k; i++) seen[q[i]] = 1
      for (i = 1; i <= k; i++) {
        n = split(deps[q[i]], d, " ")
        for (j = 1; j <= n; j++) if (!(d[j] in seen)) { seen[d[j]] = 1; q[++k] = d[j] }
      }
      for (p in seen) print p
    }')

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

# Each file's package: one dpkg -S for all of them ("pkg[, pkg]: path"
# lines); a path it does not know (an alternatives or usrmerge link) is
# tried again resolved.
declare -A owner=()
lookup() {
  dpkg -S "$@" 2>/dev/null | while IFS= read -r line; do
    printf '%s\t%s\n' "${line#*: }" "$(echo "${line%%: *}" | sed 's/:[a-z0-9]*//g; s/,/ /g')"
  done
}
files=$(printf '%s\n%s\n' "$headers" "$libs" | grep -v '^$' | sort -u)
while IFS=$'\t' read -r f pkgs; do owner[$f]="${owner[$f]:-} $pkgs"; done < <(lookup $files)
missing=0; checked=0
for f in $files; do
  checked=$((checked + 1))
  pkgs=${owner[$f]:-}
  if [ -z "$pkgs" ]; then
    r=$(readlink -f "$f")
    pkgs=$(lookup "$r" | cut -f2 | tr '\n' ' ')
  fi
  if [ -z "${pkgs// /}" ]; then echo "FAIL: $f belongs to no Debian package"; missing=$((missing + 1)); continue; fi
  ok=0
  for p in $pkgs; do [ -n "${have[$p]:-}" ] && ok=1; done
  [ $ok = 1 ] || { echo "FAIL: $f comes from$pkgs, which deploy/install-deps.sh does not install"; missing=$((missing + 1)); }
done
echo "# $checked headers and libraries checked against $(echo "$listed" | wc -l) listed packages (${#have[@]} with their dependencies)"
[ $missing = 0 ]
