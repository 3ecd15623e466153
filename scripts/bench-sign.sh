#!/usr/bin/env bash
# The signing-key benchmark (issue 17): signing a 1 GiB image with the key
# inside a SoftHSM2 token against the same kind of key in a PEM file, in
# the same run, as a ratio. The image is hashed on the host either way and
# the token signs one digest (Ed25519: the DSSE pre-authentication
# encoding, a few KiB), so the goal is at most 1.05x for each key type.
#
# The token lives in a temporary directory (SOFTHSM2_CONF), the keys are
# made inside it; warm page cache; RUNS runs each (default 5), alternating
# between the two commands; the median. Exits 1 when a goal is missed.
# Usage: bash scripts/bench-sign.sh   (VMTRUST_BIN=... to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
. scripts/bench-lib.sh
V=$(vmtrust_bin)
module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && module=$m && break
done
[ -n "$module" ] || { echo "bench: softhsm2 is not installed (scripts/setup.sh)" >&2; exit 1; }

W=$(mktemp -d /var/tmp/vmtrust-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export SOFTHSM2_CONF="$W/softhsm2.conf"
mkdir "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/tokens" >"$SOFTHSM2_CONF"
pin="bench-$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$pin" >"$W/pin")   # --pin-file takes mode 600 only

echo "== setting up in $W ($(nproc) cores, $(openssl version | cut -d' ' -f1-2), $(softhsm2-util --version | head -1 | sed 's/^/SoftHSM /'))"
softhsm2-util --init-token --free --label bench --pin "$pin" --so-pin "so-$pin" >/dev/null
for k in "EC:prime256v1 p256" "EC:edwards25519 ed25519"; do
	set -- $k
	pkcs11-tool --module "$module" --token-label bench --login --pin "$pin" --keypairgen --key-type "$1" \
		--label "$2" >/dev/null 2>&1
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/p256.pem"
openssl genpkey -algorithm ed25519 -out "$W/ed25519.pem"
head -c $((1024 << 20)) /dev/urandom >"$W/dense.raw"
cat "$W/dense.raw" >/dev/null   # warm the cache

echo "== $runs runs each, median wall time of 'vmtrust image sign' of 1 GiB"
printf '%-34s %9s %9s %9s\n' "" "token" "PEM" "ratio"
for type in p256 ed25519; do
	paired hsm pem -- "$V" -q image sign --key "pkcs11:token=bench;object=$type" --pin-file "$W/pin" \
		-o "$W/hsm.json" "$W/dense.raw" -- \
		"$V" -q image sign --key "$W/$type.pem" -o "$W/pem.json" "$W/dense.raw"
	report "$type: SoftHSM2 key vs PEM key" "$hsm" "$pem" 1.05
done
exit $status
