#!/usr/bin/env bash
# The image verification benchmark: what a VM launch pays, against what a
# user would run instead, measured in the same run and given as ratios.
#
#   1 GiB fully allocated raw image:  vmtrust image verify  vs  openssl dgst -sha256
#       goal: at most 0.6x (the chunks are hashed on every core)
#   16 GiB sparse raw image holding 256 MiB of data:  vmtrust image verify
#       vs  openssl dgst -sha256 of 256 MiB
#       goal: at most 2x (holes are not read)
#
# Warm page cache for both sides (each file is read once before timing),
# RUNS runs each (default 5), alternating between the two commands so that
# both meet the same load, the median. Files live in a temporary
# directory under /var/tmp, removed at the end. Exits 1 when a goal is missed.
# Usage: bash scripts/bench-image.sh   (VMTRUST_BIN=... to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
. scripts/bench-lib.sh
V=$(vmtrust_bin)

W=$(mktemp -d /var/tmp/vmtrust-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

echo "== setting up in $W ($(nproc) cores, $(openssl version | cut -d' ' -f1-2))"
openssl genpkey -algorithm ed25519 -out "$W/key.pem"
openssl pkey -in "$W/key.pem" -pubout -out "$W/key.pub"
head -c $((1024 << 20)) /dev/urandom >"$W/dense.raw"
# 16 extents of 16 MiB, one per GiB: 256 MiB of data in 16 GiB
truncate -s 16G "$W/sparse.raw"
for i in $(seq 0 15); do
	dd if="$W/dense.raw" of="$W/sparse.raw" bs=1M count=16 skip=$((i * 16)) seek=$((i * 1024)) \
		conv=notrunc status=none
done
head -c $((256 << 20)) "$W/dense.raw" >"$W/data256.raw"
echo "   sparse image: $(du -m "$W/sparse.raw" | cut -f1) MiB allocated of $(($(stat -c %s "$W/sparse.raw") >> 20)) MiB"
"$V" -q image sign --key "$W/key.pem" "$W/dense.raw"
"$V" -q image sign --key "$W/key.pem" "$W/sparse.raw"
cat "$W/dense.raw" "$W/data256.raw" >/dev/null   # warm the cache

echo "== $runs runs each, median wall time"
printf '%-34s %9s %9s %9s\n' "" "vmtrust" "openssl" "ratio"
paired dense_v dense_o -- "$V" image verify --key "$W/key.pub" "$W/dense.raw" -- \
	openssl dgst -sha256 "$W/dense.raw"
report "1 GiB dense raw (vs 1 GiB)" "$dense_v" "$dense_o" 0.6
paired sparse_v sparse_o -- "$V" image verify --key "$W/key.pub" "$W/sparse.raw" -- \
	openssl dgst -sha256 "$W/data256.raw"
report "16 GiB sparse, 256 MiB data" "$sparse_v" "$sparse_o" 2
awk -v o="$dense_o" -v v="$dense_v" 'BEGIN { printf "throughput: openssl dgst %.2f GB/s, vmtrust verify %.2f GB/s\n", 1.073741824 / o, 1.073741824 / v }'
exit $status
