#!/usr/bin/env bash
# The CLI paths under valgrind memcheck: every command of the main flow, and
# the bad-input paths, with no invalid access, no use of uninitialized
# memory and no definite leak (valgrind's exit code 99 when it finds one).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

need valgrind qemu-img openssl jq
swtpm_start
state_dir

# mc WANT-EXIT ARGS...: vmtrust ARGS under memcheck exits WANT-EXIT, and
# memcheck found nothing (it would exit 99).
mc() {
	local want=$1
	shift
	set +e
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$T/vg.log" "$VMTRUST" "$@" >"$T/vg.out" 2>"$T/vg.err" <"${MC_STDIN:-/dev/null}"
	rc=$?
	set -e
	if [ "$rc" = 99 ] || [ -s "$T/vg.log" ]; then
		fail "memcheck: vmtrust $*: $(head -c 2000 "$T/vg.log")"
	elif [ "$rc" != "$want" ]; then
		fail "vmtrust $*: exit $rc, expected $want: $(cat "$T/vg.err")"
	else
		pass
	fi
}

printf '#!/bin/sh\nexit 0\n' >"$T/qemu"
chmod +x "$T/qemu"
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
openssl genpkey -algorithm ed25519 -out "$T/k.pem"
openssl pkey -in "$T/k.pem" -pubout -out "$T/k.pub"
qemu-img create -q -f raw "$T/base.raw" 2M
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw "$T/top.qcow2"

mc 0 attest enroll --ek-alg ecc
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
mc 0 attest measure --only "$T/qemu"
mc 0 --policy "$T/empty.json" attest quote --nonce 01 --no-eventlog -o "$T/ev.json"
mc 0 policy init --from-evidence "$T/ev.json" "${ENROLLMENT[@]}" -o "$T/base.json"
jq --rawfile k "$T/k.pub" '. + {image_trust: {keys: [{id: "p", public_key: $k}]},
	key_release: {pcr_selection: {sha256: [7]}}}' "$T/base.json" >"$T/policy.json"
export VMTRUST_POLICY=$T/policy.json
mc 0 policy check "$T/policy.json"
mc 0 policy sign --key "$T/k.pem" "$T/policy.json"
mc 0 policy check --key "$T/k.pub" "$T/policy.json"
mc 0 attest verify --nonce 01 "$T/ev.json"
mc 1 attest verify --nonce 02 "$T/ev.json"
mc 0 image sign --key "$T/k.pem" "$T/top.qcow2"
mc 0 image verify "$T/top.qcow2"
mc 0 disk format --luks1 --size 16M "$T/vol.img"
mc 0 disk unlock --check "$T/vol.img"
mc 0 disk status "$T/vol.img"
mc 0 host audit --root "$T" --json
cat >"$T/dom.xml" <<EOF
<domain type='qemu'><name>d</name><devices><disk type='file' device='disk'>
<driver name='qemu' type='qcow2'/><source file='$T/top.qcow2'/><target dev='vda'/></disk></devices></domain>
EOF
MC_STDIN=$T/dom.xml mc 0 hook run --uefi-log '' -- d prepare begin -
mc 0 hook log
mc 0 launch -- "$T/qemu" -monitor none -drive "file=$T/top.qcow2,format=qcow2"

# bad input
printf 'X' | dd of="$T/base.raw" bs=1 seek=1 conv=notrunc status=none
mc 1 image verify "$T/top.qcow2"
MC_STDIN=$T/dom.xml mc 1 hook run --uefi-log '' -- d prepare begin -
printf '<domain><name>d' >"$T/bad.xml"
MC_STDIN=$T/bad.xml mc 1 hook run --uefi-log '' -- d prepare begin -
head -c 300 "$T/ev.json" >"$T/trunc.json"
mc 2 attest verify --nonce 01 "$T/trunc.json"
printf '{"schema_version": 1,' >"$T/trunc-policy.json"
mc 2 policy check "$T/trunc-policy.json"
head -c 100 "$T/top.qcow2.manifest.json" >"$T/m.json"
mc 2 image verify --manifest "$T/m.json" "$T/top.qcow2"
dead=$(swtpm_dead_port)
mc 4 --tcti "swtpm:host=127.0.0.1,port=$dead" attest quote --nonce 01 -o "$T/x.json"

finish
