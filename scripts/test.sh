#!/usr/bin/env bash
# The tests: installs what they need (scripts/setup.sh), builds vmtrust twice
# (plain, and with ASan+UBSan), runs the whole suite on the plain build and
# the unit, integration and asan labels on the sanitizer build, then the
# fuzzers and the Debian package's test. Prints ctest's summaries; exits
# non-zero if any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
# Warnings are errors here (VMTRUST_WERROR), not in a user's or packager's
# build. The plain build is a packager's optimised one (gcc -O3, with debug
# information for valgrind's reports), the sanitizer build gcc -O0, the fuzz
# build clang -O2: the code must compile clean in each.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DVMTRUST_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMTRUST_SANITIZE=ON -DVMTRUST_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

status=0
echo "== tests (plain build)"
ctest --test-dir build --output-on-failure -j"$jobs" || status=1
echo "== tests under ASan+UBSan (labels unit, integration, asan)"
ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|integration|asan' || status=1
echo "== fuzzing (scripts/fuzz.sh: every parser of outside data, FUZZ_SECONDS each)"
bash scripts/fuzz.sh || status=1
echo "== the Debian package (scripts/package-test.sh: built, linted, installed, removed, purged)"
bash scripts/package-test.sh || status=1
exit $status
