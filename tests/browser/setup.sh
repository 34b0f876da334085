#!/usr/bin/env bash
# setup.sh - prepares the browser tests: Debian's chromium (when missing and
# this runs as root) and the node modules of package-lock.json (npm ci,
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

# Debian's nodejs comes without npm (NodeSource's has it): add Debian's npm
# only when there is none, so that a NodeSource node is left alone.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup.sh: installing npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm || true
fi
command -v npm >/dev/null || { echo "setup.sh: npm not found (Debian: apt-get install npm)" >&2; exit 1; }
stamp=node_modules/.lmntk-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f node_modules/playwright-core/package.json ]; then
  echo "setup.sh: node modules up to date"
  exit 0
fi
echo "setup.sh: npm ci"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
echo "$want" > "$stamp"
