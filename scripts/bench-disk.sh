#!/usr/bin/env bash
# Release latency of a sealed disk key, against what a user would run instead.
#
#   vmtrust disk unlock --check    a fresh quote verified against the policy,
#                                  the TPM unsealing the key under its PCR
#                                  policy, the key checked against its keyslot
#   cryptsetup open --test-passphrase
#                                  the same volume's check with cryptsetup's
#                                  default LUKS2 keyslot (argon2id, benchmarked
#                                  by luksFormat on this machine)
#
# Both are whole command runs (process start included), on the same machine,
# in the same run, against one swtpm; the median of RUNS runs each, and the
# ratio. The attestation key's EK is made both ways (RSA 2048, attest's
# default, whose re-creation dominates a quote; and ECC P-256).
#
#   bash scripts/bench-disk.sh            # builds build/ first when needed
#   RUNS=20 VMTRUST_BIN=build-disk/tools/vmtrust bash scripts/bench-disk.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-10}
if [ -z "${VMTRUST_BIN:-}" ]; then
	if [ ! -x "$root/build/tools/vmtrust" ]; then
		cmake -S "$root" -B "$root/build" >/dev/null
		cmake --build "$root/build" -j"$(nproc)" >/dev/null
	fi
	export VMTRUST_BIN=$root/build/tools/vmtrust
fi
. "$root/tests/lib.sh"
. "$root/tests/swtpm.sh"
. "$root/scripts/bench-lib.sh"
V=$VMTRUST_BIN



swtpm_start
printf 'qemu\n' >"$T/qemu-system-x86_64"
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"

echo "== release latency: vmtrust disk unlock --check vs cryptsetup open --test-passphrase"
echo "   ($(nproc) cores, $(cryptsetup --version), swtpm $(swtpm --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p'))"

# The cryptsetup side: cryptsetup's own defaults, benchmarked here.
printf 'a passphrase a user types' >"$T/pass"
truncate -s 32M "$T/cs.img"
cryptsetup luksFormat --type luks2 --batch-mode --key-file "$T/pass" "$T/cs.img"
pbkdf=$(cryptsetup luksDump "$T/cs.img" | sed -n '/^  0: luks2/,/Digest ID/p' |
	sed -n 's/^\s*\(PBKDF\|Time cost\|Memory\|Threads\):\s*/\1 /p' | paste -sd, - | sed 's/,/, /g')
echo "   cryptsetup's default keyslot: $pbkdf"
stats "cryptsetup open --test-passphrase (default keyslot)" \
	cryptsetup open --test-passphrase --key-file "$T/pass" "$T/cs.img"
cs=$median

for ek in rsa ecc; do
	state=$T/state-$ek
	mkdir -p "$state"
	# every EK gets a fresh TPM: the measurement PCR starts from zero
	swtpm_stop
	swtpm_start
	export VMTRUST_STATE=$state
	"$V" -q attest enroll --ek-alg "$ek" >/dev/null
	ak_enrollment "$state"   # the verifier's proof that the AK lives in the TPM
	"$V" -q attest measure --only "$T/qemu-system-x86_64" >/dev/null
	"$V" -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/ev-$ek.json"
	"$V" -q policy init --from-evidence "$T/ev-$ek.json" "${ENROLLMENT[@]}" -o "$T/base-$ek.json"
	jq '.key_release = {"pcr_selection": {"sha256": [7, 14]}}' "$T/base-$ek.json" >"$T/pol-$ek.json"
	jq '.key_release.require_attestation = false' "$T/pol-$ek.json" >"$T/pol-$ek-noatt.json"
	export VMTRUST_POLICY=$T/pol-$ek.json
	"$V" -q disk format --size 32M "$T/vm-$ek.img"

	stats "vmtrust disk unlock --check (ek $ek): attest+unseal+check" \
		"$V" -q disk unlock --check --uefi-log "" "$T/vm-$ek.img"
	eval "vm_$ek=$median"
	stats "  of which: unseal+check alone (no attestation)" \
		"$V" -q --policy "$T/pol-$ek-noatt.json" disk unlock --check "$T/vm-$ek.img"
	stats "  of which: vmtrust attest quote alone (ek $ek)" \
		"$V" -q --policy "$T/pol-$ek.json" attest quote --nonce 00 --no-eventlog -o "$T/q.json"
done

echo "== ratio (release latency / cryptsetup's default keyslot check), goal at most 0.10"
for ek in rsa ecc; do
	v=$(eval echo "\$vm_$ek")
	printf '  ek %s: %d ms / %d ms = %s\n' "$ek" "$v" "$cs" "$(awk -v a="$v" -v b="$cs" 'BEGIN { printf "%.3f", a / b }')"
done
