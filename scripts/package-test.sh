#!/usr/bin/env bash
# Builds the Debian package and installs, removes and purges it in a clean
# Debian 12 root (tests/package.sh, CTest label 'package'). As root; 2 to
# 10 minutes on the 2-core build machine, the first run longer (mmdebstrap
# fetches the root, then cached in build-package/package-cache/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-package -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMTRUST_PACKAGE_TEST=ON >/dev/null
cmake --build build-package -j"$(nproc)" >/dev/null
ctest --test-dir build-package -L package --output-on-failure
