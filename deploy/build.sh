#!/usr/bin/env bash
# build.sh - configures (once) and builds lmntk into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build
