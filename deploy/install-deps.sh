#!/usr/bin/env bash
# install-deps.sh - installs every Debian package lmntk needs to build, test
# and run, on a fresh Debian 12 machine (run as root, or with sudo present).
# Idempotent: packages already installed are left as they are.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config
  # libraries of the product
  libopenblas-dev liblapack-dev liblapacke-dev libcjson-dev libsqlite3-dev uuid-dev
  libmicrohttpd-dev libcurl4-openssl-dev libsvm-dev liblinear-dev zlib1g-dev
  # tests: the integration tests drive the daemon with curl; the browser
  # tests use Debian's Chromium through playwright-core (npm)
  curl jq sqlite3 chromium nodejs
  # tests: the fuzz targets (tests/fuzz) build with clang; libFuzzer's and
  # the sanitizers' runtime is libclang-rt-dev (clang does not pull it in)
  clang libclang-rt-dev
  # tests of the Python client (clients/python/lmntk.py, stdlib only; it
  # gives numpy arrays and pandas frames when they are there, and its test
  # checks both ways)
  python3 python3-numpy python3-pandas
  # benchmarks and fixture scripts (never needed by the product or the tests at run time)
  wrk python3-torch python3-sklearn python3-regex
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PACKAGES[@]} packages present"
fi
