#!/usr/bin/env bash
# setup.sh - prepares the browser tests: Debian's chromium (when missing and
# this runs as root) and the node modules of package-lock.json (../npm_ci.sh:
# playwright-core only: it drives /usr/bin/chromium and downloads no
# browser).  Idempotent: does nothing when both are in place.
# tests/run.sh calls it before the suite; the browser test calls it too when
# node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup.sh: installing chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
      || echo "setup.sh: could not install chromium; the browser test will be skipped"
  else
    echo "setup.sh: /usr/bin/chromium is missing (deploy/install-deps.sh installs it); the browser test will be skipped"
  fi
fi

exec ../npm_ci.sh .
