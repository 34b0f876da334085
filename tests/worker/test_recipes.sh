#!/usr/bin/env bash
# test_recipes.sh - every shipped recipe that starts lmntk-worker gives it
# --data-root (a worker without one refuses to serve), and every recipe
# that starts the daemon on a data root says where (data_root): systemd,
# Slurm, Kubernetes, the demo and both READMEs.
# Usage: test_recipes.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
failed=0
# logical_lines FILE: a command per line (backslash continuations joined, a
# YAML args list joined up to its closing bracket)
logical_lines() {
  awk '{ line = line $0 }
       /\\$/ { sub(/\\$/, "", line); next }
       /args: \[/ && !/\]/ { open = 1 }
       open && !/\]/ { next }
       { open = 0; print line; line = "" }' "$1"
}
for f in deploy/systemd/lmntk-worker@.service deploy/slurm/workers.sbatch deploy/k8s/lmntk.yaml \
         deploy/demo.sh README.md server/README.md; do
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    case "$cmd" in
      *--data-root*) ;;
      *) echo "FAIL: $f starts a worker without --data-root: $cmd"; failed=1 ;;
    esac
  done < <(logical_lines "$f" | grep -E '(lmntk-worker|\$WORKER)"?,? +"?--server')
  [ "$n" -gt 0 ] || { echo "FAIL: $f starts no worker (this test's pattern is out of date)"; failed=1; }
done
for f in deploy/k8s/lmntk.yaml deploy/demo.sh README.md server/README.md; do
  logical_lines "$f" | grep -E '(lmntkd|\$LMNTKD)"?,? +"?--listen' | grep -qv -- '--data-root' \
    && { echo "FAIL: $f starts lmntkd without --data-root"; failed=1; }
done
grep -q '^data_root = ' deploy/systemd/lmntkd.conf || { echo "FAIL: lmntkd.conf sets no data_root"; failed=1; }
[ "$failed" = 0 ] && echo "# every recipe starts its workers with --data-root"
exit $failed
