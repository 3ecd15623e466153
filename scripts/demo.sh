#!/usr/bin/env bash
# The main job, end to end on an embedded default: installs what it needs,
# builds vmtrust, starts a software TPM (swtpm) on loopback with a temporary
# state, and runs the flow, printing each step and its verdict. It exits 0
# only when every step gave the verdict it should.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
VMTRUST="$top/build/tools/vmtrust"

W=$(mktemp -d "${TMPDIR:-/tmp}/vmtrust-demo.XXXXXX")
chmod 700 "$W"
_cleanups=()
at_exit() { _cleanups+=("$1"); }
# last registered, first run, as in tests/lib.sh
trap 'for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" || true; done; rm -rf "$W"' EXIT
T="$W"   # the scratch directory tests/swtpm.sh works in
. "$top/tests/swtpm.sh"

export VMTRUST_STATE="$W/state"
mkdir -p "$VMTRUST_STATE"
n=0
bad=0

# step TITLE EXPECTED-EXIT CMD...: runs one step, shows its output indented,
# and its verdict against the exit code it should have.
step() {
	local title=$1 want=$2 rc
	shift 2
	n=$((n + 1))
	printf '\n[%d] %s\n    $ %s\n' "$n" "$title" "$*"
	set +e
	"$@" >"$W/.out" 2>&1
	rc=$?
	set -e
	sed 's/^/    /' "$W/.out" | head -n 40
	if [ "$rc" = "$want" ]; then
		if [ "$want" = 0 ]; then echo "    verdict: ok"; else echo "    verdict: refused, as it should be (exit $rc)"; fi
	else
		echo "    verdict: WRONG (exit $rc, expected $want)"
		bad=$((bad + 1))
	fi
}

echo "vmtrust main job: a software TPM, local files, state in $W"
swtpm_start
echo "software TPM: $VMTRUST_TCTI"

cp testdata/policy/full.json "$W/policy.json"
openssl genpkey -algorithm ed25519 -out "$W/operator.key"
openssl pkey -in "$W/operator.key" -pubout -out "$W/operator.pub"

step "policy: validate the host policy" 0 "$VMTRUST" policy check "$W/policy.json"
step "policy: the operator signs it" 0 "$VMTRUST" policy sign --key "$W/operator.key" "$W/policy.json"
step "policy: the host accepts it only with a good signature" 0 \
	"$VMTRUST" policy check --key "$W/operator.pub" --min-sequence 42 "$W/policy.json"
sed 's/"sequence": 42/"sequence": 99/' "$W/policy.json" >"$W/forged.json"
cp "$W/policy.json.sig" "$W/forged.json.sig"
step "policy: a forged policy is refused" 1 "$VMTRUST" policy check --key "$W/operator.pub" "$W/forged.json"
step "policy: an older policy is refused (rollback)" 1 \
	"$VMTRUST" policy check --key "$W/operator.pub" --min-sequence 43 "$W/policy.json"
step "tpm: read the PCRs of the software TPM" 0 "$VMTRUST" attest pcrs --bank sha256 0 7 15

log=""
for f in /sys/kernel/security/tpm0/binary_bios_measurements "$top/../shared/conformance/eventlogs/event-sd-boot-fedora37.bin"; do
	if [ -r "$f" ] && [ -s "$f" ]; then log=$f; break; fi
done
if [ -n "$log" ]; then
	step "boot: replay a UEFI measured-boot log" 0 bash -c "set -o pipefail; '$VMTRUST' attest eventlog '$log' | sed -n '/^pcrs:/,\$p'"
	head -c 1000 "$log" >"$W/truncated.bin"
	step "boot: a truncated event log is rejected" 2 "$VMTRUST" attest eventlog "$W/truncated.bin"
else
	echo; echo "boot: no UEFI event log on this machine and no ../shared/conformance: step skipped"
fi


# --- the trusted launch flow -------------------------------------------------------
# measure the hypervisor → enroll → quote → verify → sign an image → verify it
# → enroll a disk key → a VM launch allowed through libvirt → a tampered image
# denied → the key withheld.
. "$top/tests/libvirt.sh"
chmod 755 "$W"   # qemu runs as libvirt-qemu and must reach the images
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n1)
cp "$kernel" "$W/vmlinuz"
printf '{"schema_version": 1, "sequence": 1}\n' >"$W/bootstrap.json"

step "attest: measure the hypervisor (qemu, libvirt, firmware, KVM modules, config) into PCR 15" 0 \
	"$VMTRUST" attest measure
step "attest: enroll an EK and an AK" 0 "$VMTRUST" attest enroll
step "attest: the verifier seals a challenge to that AK in the TPM of that EK" 0 \
	"$VMTRUST" attest enroll-challenge --ek "$VMTRUST_STATE/ek.pem" --ak "$VMTRUST_STATE/ak.pub" \
	-o "$W/enroll-challenge.json"
step "attest: the host's TPM opens it (the AK lives there)" 0 \
	"$VMTRUST" attest enroll-response "$W/enroll-challenge.json" -o "$W/enroll-response.json"
step "attest: the verifier checks the response" 0 \
	"$VMTRUST" attest enroll-verify "$W/enroll-challenge.json" "$W/enroll-response.json"
step "attest: quote PCRs and logs for a verifier (nonce 5eed)" 0 \
	"$VMTRUST" --policy "$W/bootstrap.json" attest quote --nonce 5eed --no-eventlog -o "$W/evidence.json"
step "policy: without the enrollment, the evidence's AK is not pinned" 1 \
	"$VMTRUST" policy init --from-evidence "$W/evidence.json" -o "$W/host.json"
step "policy: reference values from this known-good host, its enrolled AK pinned" 0 \
	"$VMTRUST" policy init --from-evidence "$W/evidence.json" \
	--enrollment "$W/enroll-challenge.json" "$W/enroll-response.json" -o "$W/host.json"
openssl genpkey -algorithm ed25519 -out "$W/publisher.key"
openssl pkey -in "$W/publisher.key" -pubout -out "$W/publisher.pub"
python3 - "$W/host.json" "$W/publisher.pub" "$W/trusted.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["image_trust"] = {"keys": [{"id": "publisher", "public_key": open(sys.argv[2]).read()}]}
p["images"] = [{"name": "web", "domains": ["vmtrust-demo-web"]},
               {"name": "vault", "domains": ["vmtrust-demo-vault"]}]
p["key_release"] = {"pcr_selection": {"sha256": [7]}}
json.dump(p, open(sys.argv[3], "w"), indent=1)
PY
export VMTRUST_POLICY=$W/trusted.json
step "attest: verify the evidence offline against the policy" 0 \
	"$VMTRUST" attest verify --nonce 5eed "$W/evidence.json"
step "attest: the same evidence with another nonce is refused (replay)" 1 \
	"$VMTRUST" attest verify --nonce 0bad "$W/evidence.json"

qemu-img create -q -f raw "$W/web-base.raw" 16M
qemu-img create -q -f qcow2 -b "$W/web-base.raw" -F raw "$W/web.qcow2"
step "image: the publisher signs a qcow2 image and its backing chain" 0 \
	"$VMTRUST" image sign --key "$W/publisher.key" --name web --image-version 1.0 "$W/web.qcow2"
step "image: ... and the kernel the VM boots" 0 \
	"$VMTRUST" image sign --key "$W/publisher.key" --name kernel "$W/vmlinuz"
step "image: verify the image against the policy" 0 "$VMTRUST" image verify "$W/web.qcow2"

step "disk: a LUKS1 volume, its key sealed to the TPM (PCR 7)" 0 \
	"$VMTRUST" disk format --luks1 --size 16M "$W/vault.img"
step "image: sign the encrypted volume too" 0 \
	"$VMTRUST" image sign --key "$W/publisher.key" --name vault "$W/vault.img"
step "disk: the key is released after a good attestation (checked, not handed out)" 0 \
	"$VMTRUST" disk unlock --check "$W/vault.img"

libvirt_start
WEB=vmtrust-demo-web
VAULT=vmtrust-demo-vault
at_exit "for d in $WEB $VAULT; do $V destroy \$d >/dev/null 2>&1; $V undefine \$d >/dev/null 2>&1; done"
libvirt_domxml $WEB "$W/vmlinuz" "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$W/web.qcow2'/><target dev='vda' bus='virtio'/></disk>" >"$W/web.xml"
libvirt_domxml $VAULT "$W/vmlinuz" "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$W/vault.img'><encryption format='luks'><secret type='passphrase' uuid='5d1f0c6e-4b1a-4a8e-9f0d-7c2b3a4d5e6f'/></encryption></source><target dev='vda' bus='virtio'/></disk>" >"$W/vault.xml"
$V define "$W/web.xml" >/dev/null
$V define "$W/vault.xml" >/dev/null
step "hook: install vmtrust as libvirt's qemu hook" 0 \
	"$VMTRUST" --policy "$W/trusted.json" hook install --uefi-log ''
sleep 1
step "launch: libvirt starts the signed VM (the hook allows it)" 0 $V start $WEB
step "launch: ... and it boots" 0 libvirt_booted $WEB
$V destroy $WEB >/dev/null
printf 'X' | dd of="$W/web-base.raw" bs=1 seek=4096 conv=notrunc status=none
step "launch: one byte of the base image changed: libvirt refuses, with vmtrust's reason" 1 $V start $WEB
step "launch: the encrypted VM, its key released to QEMU by 'vmtrust launch'" 0 "$VMTRUST" launch $VAULT
step "launch: ... and it boots (QEMU opened the LUKS volume)" 0 libvirt_booted $VAULT
$V destroy $VAULT >/dev/null
printf 'rootkit\n' >"$W/rootkit.ko"
step "attest: the host changes (an unknown module measured)" 0 "$VMTRUST" attest measure --only "$W/rootkit.ko"
step "launch: the encrypted VM is denied on this host" 1 "$VMTRUST" launch $VAULT
step "disk: the key is withheld" 1 "$VMTRUST" disk unlock --check "$W/vault.img"
step "audit: every decision, hash-chained and extended into the TPM" 0 "$VMTRUST" hook log
sed -i '2d' "$VMTRUST_STATE/launches.log"
step "audit: a deleted record is seen" 1 "$VMTRUST" hook log
$V undefine $WEB >/dev/null
$V undefine $VAULT >/dev/null
step "hook: uninstall" 0 "$VMTRUST" hook uninstall

echo
if [ "$bad" = 0 ]; then
	echo "main job: all $n steps gave the right verdict"
else
	echo "main job: $bad of $n steps gave the WRONG verdict"
	exit 1
fi
