#!/usr/bin/env bash
# build.sh BUILD_DIR - the libFuzzer build of tests/fuzz: configures BUILD_DIR
# (once) with clang and -Dfuzz=true, so that every library is instrumented
# for libFuzzer, ASan and UBSan, and builds the fuzz targets into
# BUILD_DIR/tests/fuzz/.  The ordinary build (gcc, ./build) is untouched.
set -euo pipefail
dir=${1:?usage: tests/fuzz/build.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null 2>&1; then
  echo "tests/fuzz/build.sh: clang is not installed; deploy/install-deps.sh installs it" \
       "(Debian packages clang and libclang-rt-dev)" >&2
  exit 1
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2> "$probe/err"; then
  cat "$probe/err" >&2
  echo "tests/fuzz/build.sh: clang cannot link libFuzzer with ASan and UBSan; their runtime" \
       "comes from the Debian package libclang-rt-dev (deploy/install-deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang meson setup "$dir" -Dfuzz=true --buildtype=debugoptimized -Db_ndebug=false
fi
meson compile -C "$dir" fuzz
