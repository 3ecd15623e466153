#!/usr/bin/env bash
# The launch hook end to end with the real thing: swtpm, libvirtd and
# virtlogd (qemu driver, TCG), virsh, a real kernel booting in a domain of
# type qemu. A signed domain starts; one byte changed in its base image and
# libvirt refuses it with vmtrust's reason, as it does a domain with qemu
# passthrough (qemu:commandline) or a console on a host file; an encrypted disk's key reaches
# QEMU only through 'vmtrust launch' after a good verdict; a host whose PCR
# holds an unknown measurement starts nothing and releases no key. libvirt's
# configuration (/etc/libvirt) is left as the test found it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: libvirtd's system instance and its hooks need root" >&2
	exit 77
fi
need virsh libvirtd virtlogd qemu-system-x86_64 qemu-img jq python3 openssl
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n1)
if [ -z "$kernel" ]; then
	echo "FAIL: no kernel in /boot: run scripts/setup.sh (linux-image-amd64)" >&2
	exit 1
fi
. "$here/libvirt.sh"

# --- libvirtd: the machine's, or one started here and stopped at exit ---------
libvirt_start || exit 1
etc_before=$(tree_sum /etc/libvirt)

# qemu runs as libvirt-qemu: it must reach the images
chmod 755 "$T"
swtpm_start
state_dir
vm() { "$VMTRUST" "$@"; }
A=vmtrust-test-$$-a
B=vmtrust-test-$$-b
C=vmtrust-test-$$-c
D=vmtrust-test-$$-d
at_exit "for d in $A $B $C $D; do $V destroy \$d >/dev/null 2>&1; $V undefine \$d >/dev/null 2>&1; done"

# --- the host and its policy ------------------------------------------------------
vm -q attest enroll >/dev/null
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
printf 'qemu\n' >"$T/qemu-system-x86_64"
vm -q attest measure --only "$T/qemu-system-x86_64" >/dev/null
# the qemu the domains run (<emulator>): a reference value of the policy
vm -q attest measure --only "$(command -v qemu-system-x86_64)" >/dev/null
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
vm -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/evidence.json"
vm -q policy init --from-evidence "$T/evidence.json" "${ENROLLMENT[@]}" -o "$T/base.json"
openssl genpkey -algorithm ed25519 -out "$T/pub.key"
openssl pkey -in "$T/pub.key" -pubout -out "$T/pub.pem"
python3 - "$T/base.json" "$T/pub.pem" "$T/policy.json" "$A" "$B" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["image_trust"] = {"keys": [{"id": "publisher", "public_key": open(sys.argv[2]).read()}]}
p["images"] = [{"name": "web", "domains": [sys.argv[4]]}, {"name": "secret", "domains": [sys.argv[5]]}]
# not PCR 15: every launch decision is extended into it
p["key_release"] = {"pcr_selection": {"sha256": [7]}}
json.dump(p, open(sys.argv[3], "w"), indent=1)
EOF
export VMTRUST_POLICY=$T/policy.json

# --- images: a real kernel, a qcow2 overlay on a raw base, a LUKS1 disk ---------
cp "$kernel" "$T/vmlinuz"
qemu-img create -q -f raw "$T/base.raw" 16M
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw "$T/web.qcow2"
vm disk format --luks1 --size 16M "$T/secret.img" >/dev/null
vm -q image sign --key "$T/pub.key" --name kernel "$T/vmlinuz"
vm -q image sign --key "$T/pub.key" --name web "$T/web.qcow2"
vm -q image sign --key "$T/pub.key" --name secret "$T/secret.img"
SECRET_UUID=0a81f5b2-8403-4b23-88d6-21ccc2f80d6f

domxml() { libvirt_domxml "$1" "$T/vmlinuz" "$2"; }
# (with ACPI: its PCI bus takes a hot-plugged device)
domxml "$A" "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$T/web.qcow2'/><target dev='vda' bus='virtio'/></disk>" |
	sed "s|</os>|</os><features><acpi/></features>|" >"$T/a.xml"
domxml "$B" "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$T/secret.img'><encryption format='luks'><secret type='passphrase' uuid='$SECRET_UUID'/></encryption></source><target dev='vda' bus='virtio'/></disk>" >"$T/b.xml"
$V define "$T/a.xml" >/dev/null
$V define "$T/b.xml" >/dev/null

# booted WHAT NAME: the kernel of domain NAME printed its banner (it really runs)
booted() {
	if libvirt_booted "$2"; then
		pass
	else
		fail "$1: domain '$2' did not boot: $(tail -c 300 "$(libvirt_log "$2")" 2>/dev/null)"
	fi
}
running() { [ "$($V domstate "$1" 2>/dev/null)" = running ]; }
# refused NAME REGEX WHAT: virsh start fails with vmtrust's reason, and NAME does not run
refused() {
	run $V start "$1"
	if [ "$rc" != 0 ] && printf '%s\n' "$err" | quiet_grep "$2"; then
		pass
	else
		fail "$3: exit $rc: $err"
	fi
	running "$1" && fail "$3: '$1' runs" || pass
}

expect 0 "" vm --tcti "$VMTRUST_TCTI" hook install --uefi-log ''
sleep 1

# --- a signed domain starts, and really runs -------------------------------------
expect 0 "" $V start "$A"
booted "signed domain" "$A"
# --- hot-plug and monitor commands run no hook: host audit walks what runs --------
live() {
	vm --json host audit 2>/dev/null | jq -r '.checks[] | select(.id == "domain-live") | .status + ": " + .evidence' || true
}
[ "$(live)" = "pass: 1 running domains, each as the launch rules allow, none tainted" ] && pass ||
	fail "domain-live of '$A' as it started: $(live)"
# a disk no start verified, hot-plugged: refused by what the start verified
truncate -s 1M "$T/plugged.raw"
expect 0 "" $V attach-disk "$A" "$T/plugged.raw" vdb --driver qemu --subdriver raw --live
[[ $(live) == "fail: '$A.xml': disk 'vdb': '$T/plugged.raw' is not among the files its start verified"* ]] &&
	pass || fail "a hot-plugged disk: $(live)"
printf "<rng model='virtio'><backend model='random'>/dev/zero</backend></rng>" >"$T/rng.xml"
expect 0 "" $V attach-device "$A" "$T/rng.xml" --live
[[ $(live) == "fail: '$A.xml': domain: /domstatus/domain/devices/rng/backend: the entropy source '/dev/zero' is not"* ]] &&
	pass || fail "a hot-plugged rng on /dev/zero: $(live)"
run $V qemu-monitor-command "$A" --hmp 'info status'
[[ $(live) == *"'$A.xml': libvirt tainted it 'custom-monitor'"* ]] && pass || fail "a monitor command: $(live)"
$V destroy "$A" >/dev/null
run jq -r 'select(.domain == "'"$A"'") | .operation + " " + .verdict' "$VMTRUST_STATE/launches.log"
[ "$out" = "prepare allowed" ] && pass || fail "audit log for $A: $out"

# --- one byte of its base image changed: refused with vmtrust's reason ------------
cp "$T/base.raw" "$T/base.good"
printf 'X' | dd of="$T/base.raw" bs=1 seek=4096 conv=notrunc status=none
refused "$A" "vmtrust: launch of '$A' denied: vda: '$T/web.qcow2': .*base.raw" "tampered base image"
cp "$T/base.good" "$T/base.raw"

# --- vmtrust launch DOMAIN: libvirt gets the very descriptors that were verified --
# vmtrust pauses once both layers are verified, their descriptors held, the
# launch ticket written (tests/pause-preload.c, VMTRUST_PAUSE_AT=ticket);
# both files are renamed away and copies put at their paths. The running
# QEMU must hold the verified inodes and none of the files swapped in, and
# the definition is the operator's again once the domain runs.
P=$T/pause
mkdir -p "$P"
mkfifo "$P/paused" "$P/resume"
$V dumpxml --inactive --security-info "$A" >"$T/a.defined.xml"
cp "$T/web.qcow2" "$T/web.other"
cp "$T/base.raw" "$T/base.other"
rm -f "$(libvirt_log "$A")"
VMTRUST_PAUSE_AT=ticket VMTRUST_PAUSE_DIR="$P" LD_PRELOAD="$VMTRUST_PAUSE_PRELOAD" \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$VMTRUST" launch "$A" >"$T/l.out" 2>"$T/l.err" &
launcher=$!
read -r -n1 _ <"$P/paused"
for f in web.qcow2 base.raw; do mv "$T/$f" "$T/$f.verified"; done
mv "$T/web.other" "$T/web.qcow2"
mv "$T/base.other" "$T/base.raw"
echo r >"$P/resume"
set +e
wait $launcher
rc=$?
set -e
[ "$rc" = 0 ] && grep -q "launch '$A': allowed (3 files verified)" "$T/l.out" && pass ||
	fail "vmtrust launch by descriptor: exit $rc: $(cat "$T/l.out" "$T/l.err")"
booted "a domain started by descriptor" "$A"
qpid=$(cat "/run/libvirt/qemu/$A.pid" 2>/dev/null || echo 0)
# holds PID FILE: the process holds FILE's inode open
holds() {
	local want fd
	want=$(stat -c %d:%i "$2")
	for fd in /proc/"$1"/fd/*; do
		[ "$(stat -L -c %d:%i "$fd" 2>/dev/null)" = "$want" ] && return 0
	done
	return 1
}
for f in web.qcow2 base.raw; do
	holds "$qpid" "$T/$f.verified" && pass || fail "qemu ($qpid) does not hold the verified '$f'"
	holds "$qpid" "$T/$f" && fail "qemu ($qpid) holds the '$f' swapped in after verification" || pass
done
$V dumpxml --inactive --security-info "$A" >"$T/a.after.xml"
cmp -s "$T/a.defined.xml" "$T/a.after.xml" && pass ||
	fail "the definition of '$A' is not the operator's after the start: $(diff "$T/a.defined.xml" "$T/a.after.xml")"
$V dumpxml "$A" | quiet_grep "fdgroup='vmtrust-vda-1'" && pass || fail "the running '$A' has no fdgroup on its base layer"
[ -z "$(ls -A "$VMTRUST_STATE/launch-tickets" 2>/dev/null)" ] && pass || fail "a launch ticket is left"
# host audit: the running domain, fdgroups and explicit chain, is what its start verified
[[ $(live) == "pass: "* ]] && pass || fail "domain-live of '$A' started by descriptor: $(live)"
$V destroy "$A" >/dev/null
for f in web.qcow2 base.raw; do mv "$T/$f.verified" "$T/$f"; done
# the same definition started by anything but 'vmtrust launch': no ticket names its descriptors
sed "s|<source file='$T/web.qcow2'/>|<source file='$T/web.qcow2' fdgroup='vmtrust-vda-0'/><backingStore type='file'><format type='raw'/><source file='$T/base.raw' fdgroup='vmtrust-vda-1'/><backingStore/></backingStore>|" \
	"$T/a.xml" >"$T/a.fd.xml"
grep -q "fdgroup='vmtrust-vda-1'" "$T/a.fd.xml" && pass || fail "no fdgroup put into '$T/a.fd.xml'"
expect 1 "^vmtrust: launch of '$A' denied: vda: handed over by descriptor \(fdgroup 'vmtrust-vda-0'\), and no launch ticket of 'vmtrust launch' names it$" \
	vm hook run -- "$A" prepare begin - <"$T/a.fd.xml"
# an fdgroup on the top only: libvirt would open the backing file its header names by path
sed "s|<source file='$T/web.qcow2'/>|<source file='$T/web.qcow2' fdgroup='vmtrust-vda-0'/>|" "$T/a.xml" >"$T/a.fd1.xml"
expect 1 "^vmtrust: launch of '$A' denied: domain: /domain/devices/disk: a disk handed over by descriptor \(fdgroup\) must name its whole backing chain, ending in an empty <backingStore/>$" \
	vm hook run -- "$A" prepare begin - <"$T/a.fd1.xml"

# --- hypervisor passthrough and host files: libvirt refuses, with vmtrust's reason --
# C: the signed disk, and qemu:commandline adding a drive and LD_PRELOAD into qemu
domxml "$C" "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$T/web.qcow2'/><target dev='vda' bus='virtio'/></disk>" |
	sed "s|^<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|
	     s|^</domain>|<qemu:commandline><qemu:arg value='-hdb'/><qemu:arg value='$T/base.raw'/><qemu:env name='LD_PRELOAD' value='$T/evil.so'/></qemu:commandline></domain>|" >"$T/c.xml"
$V define "$T/c.xml" >/dev/null
$V dumpxml "$C" | quiet_grep "qemu:commandline" && pass || fail "libvirt dropped the qemu namespace of '$C'"
refused "$C" "vmtrust: launch of '$C' denied: domain: /domain/qemu:commandline: qemu passthrough" "qemu passthrough"
# D: its serial console on a host file of its choosing, which libvirt would relabel for qemu
sed "s|<serial type='stdio'><target port='0'/></serial>|<serial type='file'><source path='$T/d.console'/><target port='0'/></serial>|
     s|<name>$A</name>|<name>$D</name>|" "$T/a.xml" >"$T/d.xml"
$V define "$T/d.xml" >/dev/null
refused "$D" "vmtrust: launch of '$D' denied: domain: /domain/devices/serial: a character device of type 'file'" "serial console on a host file"
[ ! -e "$T/d.console" ] && pass || fail "qemu wrote the refused console file"

# --- an encrypted disk: its key only through 'vmtrust launch' ---------------------
refused "$B" "vda: encrypted, and no key was released for it by a good verdict" "encrypted domain started without vmtrust launch"
expect 0 "" vm launch "$B"
expect_out "launch '$B': allowed"
running "$B" && pass || fail "vmtrust launch did not start '$B'"
booted "encrypted domain (QEMU opened the LUKS1 disk with the released key)" "$B"
$V secret-list | quiet_grep "$SECRET_UUID" && fail "the key is still defined in libvirt" || pass
[ -z "$(ls -A "$VMTRUST_STATE/launch-tickets" 2>/dev/null)" ] && pass || fail "a launch ticket is left"
$V destroy "$B" >/dev/null
# a key defined by someone else is not a key released by a good verdict
printf "<secret ephemeral='yes' private='yes'><uuid>%s</uuid><usage type='volume'><volume>%s</volume></usage></secret>" \
	"$SECRET_UUID" "$T/secret.img" >"$T/secret.xml"
$V secret-define "$T/secret.xml" >/dev/null
run $V start "$B"
[ "$rc" != 0 ] && pass || fail "a domain with a foreign secret started"
expect 1 "secret $SECRET_UUID is already defined in libvirt" vm launch "$B"
$V secret-undefine "$SECRET_UUID" >/dev/null

# --- the policy: a file only root can change, signed once a key is set up ----------
chmod 664 "$T/policy.json"
run $V start "$A"
if [ "$rc" != 0 ] && [[ $err == *"vmtrust: launch of '$A' denied: no policy: policy '$T/policy.json': '$T/policy.json' is writable by its group"* ]]; then
	pass
else
	fail "a group-writable policy did not deny: exit $rc: $err"
fi
running "$A" && fail "'$A' runs on a group-writable policy" || pass
chmod 644 "$T/policy.json"
openssl genpkey -algorithm ed25519 -out "$T/op.key"
openssl pkey -in "$T/op.key" -pubout -out "$T/op.pub"
vm -q policy sign --key "$T/op.key" "$T/policy.json"
expect 0 "" vm --tcti "$VMTRUST_TCTI" hook install --uefi-log '' --policy-key "$T/op.pub"
expect 0 "" $V start "$A"
booted "signed policy" "$A"
$V destroy "$A" >/dev/null
mv "$T/policy.json.sig" "$T/policy.sig.keep"
run $V start "$A"
if [ "$rc" != 0 ] && [[ $err == *"policy '$T/policy.json' is not signed"* ]]; then
	pass
else
	fail "an unsigned policy did not deny once the key is installed: exit $rc: $err"
fi
mv "$T/policy.sig.keep" "$T/policy.json.sig"

# --- the host changed: an unknown measurement in PCR 15 ----------------------------
printf 'evil\n' >"$T/evil"
vm -q attest measure --only "$T/evil" >/dev/null
run $V start "$A"
if [ "$rc" != 0 ] && printf '%s\n' "$err" | quiet_grep "vmtrust: launch of '$A' denied: host: "; then
	pass
else
	fail "a failed host attestation did not deny: exit $rc: $err"
fi
expect 1 "launch of '$B' denied: host: " vm launch "$B"
running "$B" && fail "'$B' runs after a failed attestation" || pass
$V secret-list | quiet_grep "$SECRET_UUID" && fail "a key was handed to libvirt after a failed attestation" || pass
expect 1 "key withheld for '$T/secret.img'" vm disk unlock --check "$T/secret.img"

# --- every decision recorded, the chain intact, the TPM's launch events agree ------
python3 - "$VMTRUST_STATE/launches.log" "$VMTRUST_STATE/measurements.log" <<'EOF' && pass || fail "audit log against the measurement log"
import hashlib, json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
prev = "0" * 64
digests = []
for i, line in enumerate(lines):
    rec = json.loads(line)
    assert rec["seq"] == i and rec["prev"] == prev
    prev = hashlib.sha256(line).hexdigest()
events = [json.loads(l) for l in open(sys.argv[2]) if '"vmtrust_event"' in l]
launch = [e for e in events if e["content"]["type"] == "launch"]
assert len(launch) == len(lines), (len(launch), len(lines))
EOF

expect 0 "" vm hook log
expect_out "records, chain intact, each one measured into the tpm in order"

# --- uninstall; libvirt's configuration as found ---------------------------------
for d in "$A" "$B" "$C" "$D"; do $V undefine "$d" >/dev/null; done
expect 0 "" vm hook uninstall
[ "$(tree_sum /etc/libvirt)" = "$etc_before" ] && pass || fail "/etc/libvirt changed"

# --- JSON read two ways: an audit record with a repeated key (json-c keeps the
# last) is no record: the log does not verify, exit 1, nothing printed
L=$VMTRUST_STATE/launches.log
cp "$L" "$T/launches.bak"
last=$(($(wc -l <"$L") - 1))
sed -i '$s|"verdict":"|"verdict":"allowed","verdict":"|' "$L"
grep -q '"verdict":"allowed","verdict":"' "$L" && pass || fail "no repeated key made in '$L'"
expect 1 "^vmtrust: audit log '$L': record $last: \\\$.verdict: duplicate key$" vm hook log
[ -z "$out" ] && pass || fail "hook log printed records of a log that does not verify: $out"
cp "$T/launches.bak" "$L"
expect 0 "" vm hook log

finish
