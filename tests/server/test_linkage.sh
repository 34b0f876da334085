#!/usr/bin/env bash
# test_linkage.sh - lmntkd links no model math: neither its own dynamic
# section (readelf) nor what the loader brings in with it (ldd) names BLAS,
# LAPACK, libsvm, liblinear, gfortran or zlib.  The daemon links
# common/experiment, spec, prompt's task table and store's SHA-256 only;
# a library with such a dependency slipping into server/meson.build's
# lmd_deps shows up here.
#   test_linkage.sh BUILD_DIR/lmntkd
set -u
bin=$1
[ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 1; }
forbidden='lib(open)?blas|liblapack|libsvm|liblinear|libgfortran|libz\.so'
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "FAIL: readelf found no NEEDED entries in $bin"; exit 1; }
loaded=$(ldd "$bin") || { echo "FAIL: ldd $bin"; exit 1; }
echo "lmntkd needs: $(echo $needed)"
bad=$( { echo "$needed"; echo "$loaded"; } | grep -E "$forbidden" | sort -u)
if [ -n "$bad" ]; then
  echo "FAIL: lmntkd links model math:"
  echo "$bad"
  exit 1
fi
# the check can fail: lmntk-worker, which runs the math, is caught by it
worker=$(dirname "$bin")/lmntk-worker
if [ -x "$worker" ] && ! { readelf -d "$worker"; ldd "$worker"; } | grep -qE "$forbidden"; then
  echo "FAIL: the pattern misses the math libraries lmntk-worker links"
  exit 1
fi
echo "test_linkage: ok"
