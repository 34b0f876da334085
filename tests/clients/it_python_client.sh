#!/usr/bin/env bash
# it_python_client.sh - clients/python/lmntk.py against the real binaries:
# lmntkd and a real lmntk-worker on the small reference RoBERTa and a tiny
# SST-2 split (tests/fixtures/tiny_workspace.sh: k = 4, seeds 13 and 42),
# then test_python_client.py drives them through the client only.
# Python 3 with numpy and pandas (deploy/install-deps.sh) runs the client
# test; the product never needs Python.  About 10 s.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/../worker/real_lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# the first python3 with numpy and pandas (the test hides them in turn to
# check the client without them too): $PYTHON, the one on PATH, Debian's
PY=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import numpy, pandas' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "no python3 with numpy and pandas (deploy/install-deps.sh installs python3-numpy python3-pandas)"

"$SRC/tests/fixtures/tiny_workspace.sh" "$SHARED_DIR" "$TMP" >/dev/null || fail "tests/fixtures/tiny_workspace.sh"
start_daemon --data-root "$TMP/data-root"
make_tokens
real_worker pyclient --data-root "$TMP/data-root" --threads 2

LMNTK_SERVER=$BASE LMNTK_TOKEN=$UTOK PYTHONPATH="$SRC/clients/python" PYTHONDONTWRITEBYTECODE=1 \
  LMNTK_TEST_MODEL=small LMNTK_TEST_DATA=k-shot-1k-test/SST-2 LMNTK_TEST_WORKER=pyclient \
  timeout 150 "$PY" "$(dirname "$0")/test_python_client.py" -v \
  || fail "test_python_client.py ($("$PY" --version 2>&1))"
