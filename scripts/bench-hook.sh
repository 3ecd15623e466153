#!/usr/bin/env bash
# Latency of one launch decision (what `virsh start` waits for at "prepare
# begin"), against what an operator would script with the peers instead.
#
#   vmtrust hook run ... prepare begin   a fresh quote verified against the
#                                        policy, the domain's qcow2 image and
#                                        its raw base (SIZE MiB, fully
#                                        allocated) and kernel verified against
#                                        their signed manifests, the decision
#                                        appended to the audit log and measured
#   the peers                            tpm2_quote + tpm2_checkquote (one
#                                        quote, checked), openssl dgst -sha256
#                                        of the same files and
#                                        tpm2_pcrextend of one digest
#
# Whole command runs, process start included, one swtpm, the median of RUNS.
#
#   bash scripts/bench-hook.sh            # RUNS=10 SIZE=256 by default
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-10}
SIZE=${SIZE:-256}
if [ -z "${VMTRUST_BIN:-}" ]; then
	cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$root/build" -j"$(nproc)" >/dev/null
	export VMTRUST_BIN=$root/build/tools/vmtrust
fi
. "$root/tests/lib.sh"
. "$root/tests/swtpm.sh"
. "$root/scripts/bench-lib.sh"
V=$VMTRUST_BIN


swtpm_start
export VMTRUST_STATE=$T/state TPM2TOOLS_TCTI=$VMTRUST_TCTI
mkdir -p "$VMTRUST_STATE"
"$V" -q attest enroll --ek-alg ecc >/dev/null
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
"$V" -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/ev.json"
"$V" -q policy init --from-evidence "$T/ev.json" "${ENROLLMENT[@]}" -o "$T/base.json"
openssl genpkey -algorithm ed25519 -out "$T/k.pem" 2>/dev/null
openssl pkey -in "$T/k.pem" -pubout -out "$T/k.pub"
jq --rawfile k "$T/k.pub" '. + {image_trust: {keys: [{id: "p", public_key: $k}]}}' "$T/base.json" >"$T/policy.json"
export VMTRUST_POLICY=$T/policy.json
head -c $((SIZE << 20)) /dev/urandom >"$T/base.raw"
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw "$T/top.qcow2"
head -c $((8 << 20)) /dev/urandom >"$T/vmlinuz"
"$V" -q image sign --key "$T/k.pem" "$T/top.qcow2"
"$V" -q image sign --key "$T/k.pem" "$T/vmlinuz"
cat >"$T/dom.xml" <<XML
<domain type='qemu'><name>bench</name><os><kernel>$T/vmlinuz</kernel></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$T/top.qcow2'/><target dev='vda'/></disk>
</devices></domain>
XML

# the peers: an AK of tpm2-tools' own, a quote checked, the files hashed, one extend
tpm2_createek -Q -c "$T/ek.ctx" -G ecc -u "$T/ek.pub"
tpm2_createak -Q -C "$T/ek.ctx" -c "$T/ak.ctx" -G ecc -g sha256 -s ecdsa -u "$T/ak.pub" -f pem
tpm2_flushcontext -t
peers() {
	tpm2_quote -Q -c "$T/ak.ctx" -l sha256:0,1,2,3,4,5,6,7,15 -q 0011 -m "$T/q.msg" -s "$T/q.sig" \
		-o "$T/q.pcrs" -g sha256 &&
		tpm2_flushcontext -t &&
		tpm2_checkquote -Q -u "$T/ak.pub" -m "$T/q.msg" -s "$T/q.sig" -f "$T/q.pcrs" -g sha256 -q 0011 &&
		openssl dgst -sha256 "$T/top.qcow2" "$T/base.raw" "$T/vmlinuz" >/dev/null &&
		tpm2_pcrextend 16:sha256=$(printf '%064d' 0)
}
decide() { "$V" hook run --uefi-log '' -- bench prepare begin - <"$T/dom.xml"; }

echo "== one launch decision, a ${SIZE} MiB image ($(nproc) cores, swtpm)"
stats "vmtrust hook run ... prepare begin" decide
vm=$median
stats "tpm2_quote + tpm2_checkquote + openssl dgst + extend" peers
peer=$median
awk -v a="$vm" -v b="$peer" 'BEGIN { printf "ratio vmtrust / peers: %.2f (below 1: vmtrust is faster)\n", a / (b ? b : 1) }'
