#!/usr/bin/env bash
# vmtrust image inspect, sign --inspect and verify --inspect on a real guest
# image that libguestfs itself builds here. Each libguestfs appliance launch
# costs about 12 s or more under TCG, so the script makes five: one to build
# the guest, one inspection of a qcow2 overlay over it (the policy rule
# fails: an SSH host key present, a digest that differs), one to sign with
# the findings, two to verify with a new inspection (once good, once failing
# its rule). Everything else (the signed findings against a rule) launches
# nothing.
. "$(dirname "$0")/lib.sh"

command -v guestfish >/dev/null || { echo "guestfish is not installed: skipped"; exit 77; }
command -v qemu-img >/dev/null || { echo "qemu-img is not installed: skipped"; exit 77; }
command -v jq >/dev/null || { echo "jq is not installed: skipped"; exit 77; }
compgen -G "/boot/vmlinuz-*" >/dev/null || { echo "no kernel for the libguestfs appliance: skipped"; exit 77; }

# The direct backend (no libvirtd); TCG, as nested KVM asserts in qemu here.
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
unset VMTRUST_POLICY

D="$T/work"
K="$T/keys"
mkdir -p "$D" "$K"
V="$VMTRUST"
openssl genpkey -algorithm ed25519 -out "$K/pub.key"
openssl pkey -in "$K/pub.key" -pubout -out "$K/pub.pub"
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
launches=0

# ---- launch 1: a small Linux guest, made by libguestfs in one session.
# Inspection recognizes a Linux root by /etc/os-release; a binary in /bin
# gives the architecture.
OS_RELEASE='NAME=Debian\nID=debian\nVERSION_ID=12\nPRETTY_NAME=Debian-12\n'   # no quotes: guestfish's own
(cd "$D" && guestfish -N disk.img=fs:ext4:64M -m /dev/sda1) <<EOF
mkdir-p /etc/ssh
mkdir-p /boot
mkdir-p /bin
mkdir-p /root/.ssh
write /etc/os-release "$OS_RELEASE"
write /etc/hostname "golden\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n"
upload /bin/true /bin/ls
write /boot/vmlinuz-6.1.0-test "a kernel"
write /boot/initrd.img-6.1.0-test "an initrd"
ln-s vmlinuz-6.1.0-test /boot/vmlinuz
write /boot/config-6.1.0-test "not hashed"
write /etc/ssh/ssh_host_rsa_key "a host key a golden image must not carry"
EOF
launches=$((launches + 1))
[ -s "$D/disk.img" ] && pass || fail "guestfish made no image"
qemu-img create -q -f qcow2 -b disk.img -F raw "$D/overlay.qcow2"

HOSTNAME_SHA=$(sha $'golden\n')
OS_SHA=$(printf "$OS_RELEASE" | sha256sum | cut -d' ' -f1)
KERNEL_SHA=$(sha 'a kernel')
INITRD_SHA=$(sha 'an initrd')
ZERO=0000000000000000000000000000000000000000000000000000000000000000

policy() { # FILE RULE-INSPECT-JSON
	printf '{"schema_version": 1, "sequence": 1, "images": [{"name": "golden", "inspect": %s}]}\n' "$2" >"$1"
}
# what a golden image must be: its files as published, no SSH host keys of its own
policy "$T/good.json" "{\"must_match\": {\"/etc/hostname\": {\"sha256\": \"$HOSTNAME_SHA\"}, \"/etc/os-release\": {\"sha256\": \"$OS_SHA\"}},
	\"must_be_absent\": [\"/etc/ssh/ssh_host_ed25519_key\", \"/root/.ssh/authorized_keys\"]}"
policy "$T/hostkey.json" '{"must_be_absent": ["/etc/ssh/ssh_host_rsa_key"]}'
policy "$T/digest.json" "{\"must_match\": {\"/etc/hostname\": {\"sha256\": \"$ZERO\"}}}"
policy "$T/both.json" "{\"must_match\": {\"/etc/hostname\": {\"sha256\": \"$ZERO\"}, \"/etc/os-release\": {\"sha256\": \"$OS_SHA\"}},
	\"must_be_absent\": [\"/etc/ssh/ssh_host_rsa_key\", \"/etc/ssh/ssh_host_dsa_key\"]}"

# ---- launch 2: inspect a qcow2 overlay (qcow2 over raw, both formats
# explicit) against a rule that fails twice: exit 1, each file named.
start=$(date +%s)
run "$V" --policy "$T/both.json" --json image inspect --name golden "$D/overlay.qcow2"
launches=$((launches + 1))
echo "inspect: $(($(date +%s) - start)) s"
[ "$rc" = 1 ] && pass || fail "inspect with a failing rule: exit $rc, expected 1; stderr: $err"
[ "$(printf '%s\n' "$err" | grep -c .)" = 2 ] && pass || fail "inspect: expected two error lines, got: $err"
printf '%s\n' "$err" | quiet_grep -x "vmtrust: image '$D/overlay.qcow2': guest file '/etc/ssh/ssh_host_rsa_key' is present: policy rule 'golden' requires it absent" &&
	pass || fail "inspect: the host key is not named: $err"
printf '%s\n' "$err" | quiet_grep -x "vmtrust: image '$D/overlay.qcow2': guest file '/etc/hostname' has sha256:$HOSTNAME_SHA, policy rule 'golden' requires sha256:$ZERO" &&
	pass || fail "inspect: the digest mismatch is not named: $err"
j() { printf '%s\n' "$out" | jq -r "$1"; }
jcheck() { # JQ-EXPR EXPECTED
	local got
	got=$(j "$1")
	[ "$got" = "$2" ] && pass || fail "inspect --json: $1 is '$got', expected '$2'"
}
jcheck '.os.type' linux
jcheck '.os.distro' debian
jcheck '.os.major_version' 12
jcheck '.os.arch' x86_64
jcheck '.os.hostname' golden
jcheck '.verified' false
jcheck '.failed' 2
jcheck '.rule' golden
jcheck '[.boot[] | "\(.kind) \(.path) \(.sha256 // .link)"] | join(",")' \
	"initrd /boot/initrd.img-6.1.0-test $INITRD_SHA,kernel /boot/vmlinuz vmlinuz-6.1.0-test,kernel /boot/vmlinuz-6.1.0-test $KERNEL_SHA"
jcheck '[.checks[] | "\(.path) \(.check) \(.ok)"] | join(",")' \
	"/etc/hostname must_match false,/etc/os-release must_match true,/etc/ssh/ssh_host_dsa_key must_be_absent true,/etc/ssh/ssh_host_rsa_key must_be_absent false"
jcheck '.checks[] | select(.path == "/etc/os-release") | .sha256' "$OS_SHA"

# ---- launch 3: sign with the findings, under the rule the image meets
M="$D/disk.img.manifest.json"
expect 0 "" "$V" -q --policy "$T/good.json" image sign --key "$K/pub.key" --name golden --inspect "$D/disk.img"
launches=$((launches + 1))
P=$(jq -r .payload "$M" | base64 -d)
ins() { printf '%s\n' "$P" | jq -c "$1"; }
[ "$(ins '.predicate.inspection.os')" = '{"type":"linux","distro":"debian","major_version":12,"minor_version":0,"arch":"x86_64","hostname":"golden"}' ] &&
	pass || fail "signed os: $(ins '.predicate.inspection.os')"
[ "$(ins '[.predicate.inspection.boot[].path]')" = '["/boot/initrd.img-6.1.0-test","/boot/vmlinuz","/boot/vmlinuz-6.1.0-test"]' ] &&
	pass || fail "signed boot: $(ins '.predicate.inspection.boot')"
[ "$(ins '.predicate.inspection.files')" = "[{\"path\":\"/etc/hostname\",\"sha256\":\"$HOSTNAME_SHA\"},{\"path\":\"/etc/os-release\",\"sha256\":\"$OS_SHA\"}]" ] &&
	pass || fail "signed files: $(ins '.predicate.inspection.files')"
[ "$(ins '.predicate.inspection.absent')" = '["/etc/ssh/ssh_host_ed25519_key","/root/.ssh/authorized_keys"]' ] &&
	pass || fail "signed absent: $(ins '.predicate.inspection.absent')"

# Without --inspect nothing is launched: the rule is answered by the signed
# findings, or the image is denied.
deny() { # CODE REGEX CMD...: and nothing below $D changed
	local before
	before=$(tree_sum "$D")
	expect "$@"
	[ "$(tree_sum "$D")" = "$before" ] && pass || fail "$*: files changed"
}
start=$(date +%s)
expect 0 "" "$V" -q --policy "$T/good.json" image verify --key "$K/pub.pub" "$D/disk.img"
deny 1 "^vmtrust: cannot verify '$D/disk.img': policy rule 'golden' checks guest file '/etc/ssh/ssh_host_rsa_key', which the signed inspection does not record: verify with --inspect$" \
	"$V" --policy "$T/hostkey.json" image verify --key "$K/pub.pub" "$D/disk.img"
deny 1 "^vmtrust: cannot verify '$D/disk.img': guest file '/etc/hostname' has sha256:$HOSTNAME_SHA, policy rule 'golden' requires sha256:$ZERO \(signed inspection\)$" \
	"$V" --policy "$T/digest.json" image verify --key "$K/pub.pub" "$D/disk.img"
[ $(($(date +%s) - start)) -lt 10 ] && pass || fail "verify without --inspect took $(($(date +%s) - start)) s: did it launch libguestfs?"

# ---- launch 4: verify with a new inspection: the findings and the rule hold
expect 0 "" "$V" --policy "$T/good.json" image verify --inspect --key "$K/pub.pub" "$D/disk.img"
launches=$((launches + 1))
expect_out "^image '$D/disk.img': verified$"
expect_out "^  guest: linux debian 12\.0, arch x86_64, hostname 'golden'$"
expect_out "^  kernel '/boot/vmlinuz-6\.1\.0-test': sha256 $KERNEL_SHA$"
expect_out "^  policy rule 'golden': 4 of 4 checks held$"

# ---- launch 5: verify with a new inspection under a rule the guest fails:
# denied, the file named, nothing written
deny 1 "^vmtrust: cannot verify '$D/disk.img': guest file '/etc/ssh/ssh_host_rsa_key' is present: policy rule 'golden' requires it absent$" \
	"$V" --policy "$T/hostkey.json" image verify --inspect --key "$K/pub.pub" "$D/disk.img"
launches=$((launches + 1))

echo "libguestfs appliance launches: $launches"
finish
