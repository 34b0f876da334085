#!/usr/bin/env bash
# npm_ci.sh DIR - the node modules of DIR/package-lock.json, exactly (npm ci,
# no install scripts, no browser downloads).  Idempotent: a stamp of the
# lock file's hash in DIR/node_modules makes a second call a no-op.  Used by
# the node-driven tests (tests/browser, tests/openapi); tests/run.sh calls
# it through their setup before the suite.
set -euo pipefail
cd "$1"

# Debian's nodejs comes without npm (NodeSource's has it): add Debian's npm
# only when there is none, so that a NodeSource node is left alone.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "npm_ci.sh: installing npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm || true
fi
command -v npm >/dev/null || { echo "npm_ci.sh: npm not found (Debian: apt-get install npm)" >&2; exit 1; }
stamp=node_modules/.lmntk-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "npm_ci.sh: $1: node modules up to date"
  exit 0
fi
echo "npm_ci.sh: $1: npm ci"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
echo "$want" > "$stamp"
