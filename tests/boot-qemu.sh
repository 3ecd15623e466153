#!/usr/bin/env bash
# A real boot, twice, under Secure Boot: QEMU (TCG, KVM where the host has it)
# with Debian's OVMF, its Secure Boot build with Microsoft's keys enrolled
# (OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd), and an swtpm vTPM on
# tpm-crb boots Debian's signed shim, Debian's signed GRUB and the host's own
# (Debian-signed) kernel from an ESP made as a file (mtools), with an
# initramfs holding vmtrust, its libraries and a qemu-system-x86_64 at
# /usr/bin. In the guest, through the kernel's TPM driver
# (device:/dev/tpmrm0): the UEFI event log OVMF wrote is read from
# securityfs, an AK is enrolled, the hypervisor set measured (attest measure)
# and a quote made. Outside, the verifier answers the AK with its own
# challenge (enroll-challenge); the second boot, same vTPM and the same AK,
# answers it (enroll-response). A policy made from the first boot's evidence
# and that enrollment (policy init --from-evidence --enrollment) verifies it:
# the firmware's log replays PCRs 0-7 in each bank, Secure Boot is enabled as
# OVMF measured it; a policy requiring it disabled is refused, the evidence
# with one digest of the firmware's log changed is refused naming uefi-log,
# and the second boot's evidence, whose qemu-system-x86_64 has one byte
# changed, is refused naming that file and nothing else. A third boot, OVMF's
# plain build loading the kernel itself, same vTPM and AK: Secure Boot off as
# the firmware measured it, refused by the policy that requires it on, that
# check passed by one that requires it off. And in the first
# guest, where device-mapper is: a LUKS volume whose key is sealed to the
# vTPM, released by 'disk unlock --name' after a good attestation against a
# policy made from the guest's evidence, opens a dm-crypt mapping that holds
# an ext4 file system. One initramfs, one ESP, one vTPM state for all boots:
# what the second boot brings (the AK's files, the challenge, the changed
# qemu) is a second initramfs GRUB loads after the first, so it lands only in
# GRUB's PCR 9, which the quote does not cover.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.ms.fd}
OVMF_CODE_PLAIN=${OVMF_CODE_PLAIN:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS_PLAIN=${OVMF_VARS_PLAIN:-/usr/share/OVMF/OVMF_VARS_4M.fd}
SHIM=${SHIM:-/usr/lib/shim/shimx64.efi.signed}
GRUB=${GRUB:-/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
for need in qemu-system-x86_64 swtpm swtpm_ioctl cpio mkfs.vfat mcopy mmd base64; do
	command -v "$need" >/dev/null || { echo "SKIP: no $need"; exit 77; }
done
for f in "$OVMF_CODE" "$OVMF_VARS" "$OVMF_CODE_PLAIN" "$OVMF_VARS_PLAIN"; do
	[ -f "$f" ] || { echo "SKIP: no $f (the ovmf package)"; exit 77; }
done
[ -f "$SHIM" ] || { echo "SKIP: no signed shim (the shim-signed package)"; exit 77; }
[ -f "$GRUB" ] || { echo "SKIP: no signed GRUB (the grub-efi-amd64-signed package)"; exit 77; }
[ -n "$kernel" ] && [ -r "$kernel" ] || { echo "SKIP: no readable kernel in /boot"; exit 77; }
qemu_bin=$(readlink -f "$(command -v qemu-system-x86_64)")

# ---- the initramfs: bash as /init, a few tools, vmtrust, their libraries,
# the TCTI tpm2-tss opens at run time, and a qemu binary where the default
# hypervisor set has it
ir="$T/initramfs"
mkdir -p "$ir"/{bin,dev,proc,sys,tmp,state,mnt,usr/bin}
tcti=$(ldconfig -p | sed -n 's/.*libtss2-tcti-device.so.0 .*=> //p' | head -1)
tools=("$(command -v bash)" "$(command -v mount)" "$(command -v umount)" "$(command -v cat)"
	"$(command -v insmod)" "$(command -v mkfs.ext4)" "$(command -v base64)" "$VMTRUST")
for b in "${tools[@]}"; do cp "$b" "$ir/bin/"; done
for b in "${tools[@]}" "$tcti"; do
	for f in $(ldd "$b" | grep -o '/[^ ]*') $([ "$b" = "$tcti" ] && echo "$tcti"); do
		mkdir -p "$ir$(dirname "$f")"
		cp -L "$f" "$ir$f"
	done
done
cp "$qemu_bin" "$ir/usr/bin/qemu-system-x86_64"
# dm-crypt on a loop device, ext4 on the mapping: the guest kernel's modules
# (Debian signs them: Secure Boot's lockdown loads them), in their dependency order
kver=$(basename "$kernel" | sed 's/^vmlinuz-//')
mkdir -p "$ir/modules"
mods="loop dm-mod dm-bufio dm-crypt ecb xts af_alg algif_skcipher crc16 mbcache jbd2 crc32c_generic ext4"
for m in $mods; do
	f=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || { echo "SKIP: no module $m for $kver"; exit 77; }
	cp "$f" "$ir/modules/$m.ko${f##*.ko}"
done
echo "$mods" >"$ir/modules/order"
cat >"$ir/init" <<'INIT'
#!/bin/bash
export PATH=/bin VMTRUST_TCTI=device:/dev/tpmrm0 VMTRUST_STATE=/state
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security
# show NAME FILE: FILE on the console, base64 between two marker lines
show() {
	echo "GUEST: $1-BEGIN"
	base64 "$2"
	echo "GUEST: $1-END"
}
[ -c /dev/tpmrm0 ] && echo "GUEST: tpmrm0"
echo "GUEST: lockdown $(cat /sys/kernel/security/lockdown)"
vmtrust attest eventlog >/tmp/eventlog.txt
echo "GUEST: eventlog rc=$?"
if [ -f /boot3 ]; then
	# the third boot, without Secure Boot: the AK of the first quotes
	vmtrust attest quote --nonce 0c0c0c -o /tmp/ev.json
	echo "GUEST: quote rc=$?"
	show EVIDENCE /tmp/ev.json
	echo o >/proc/sysrq-trigger
	exit 0
fi
if [ -f /boot2/ch.json ]; then
	# the second boot: the AK of the first, the verifier's challenge to it
	vmtrust attest enroll-response /boot2/ch.json -o /tmp/resp.json
	echo "GUEST: enroll-response rc=$?"
	vmtrust attest measure >/dev/null
	echo "GUEST: measure rc=$?"
	vmtrust attest quote --nonce 0d0e0f -o /tmp/ev.json
	echo "GUEST: quote rc=$?"
	show RESPONSE /tmp/resp.json
	show EVIDENCE /tmp/ev.json
	echo o >/proc/sysrq-trigger
	exit 0
fi
vmtrust attest enroll >/dev/null
echo "GUEST: enroll rc=$?"
vmtrust attest measure >/dev/null
echo "GUEST: measure rc=$?"
vmtrust attest quote --nonce 0a0b0c -o /tmp/ev.json
echo "GUEST: quote rc=$?"
for m in $(cat /modules/order); do insmod /modules/$m.ko* || echo "GUEST: insmod $m failed"; done
# the disk's policy, from the guest's own evidence and an enrollment made here
# (a verifier's two verbs need no TPM)
vmtrust attest enroll-challenge --ek /state/ek.pem --ak /state/ak.pub -o /tmp/gch.json 2>/dev/null
vmtrust attest enroll-response /tmp/gch.json -o /tmp/gresp.json 2>/dev/null
vmtrust policy init --from-evidence /tmp/ev.json --enrollment /tmp/gch.json /tmp/gresp.json -o /tmp/policy.json >/dev/null
echo "GUEST: policy rc=$?"
vmtrust --policy /tmp/policy.json disk format --size 32M --pcrs sha256:0,7 /tmp/vol.img >/dev/null
echo "GUEST: format rc=$?"
out=$(vmtrust --policy /tmp/policy.json disk unlock --name vm0 /tmp/vol.img 2>&1)
echo "GUEST: unlock rc=$?"
echo "GUEST: unlock said: $out"
[ -b /dev/mapper/vm0 ] && echo "GUEST: mapping"
echo "GUEST: mkfs said: $(mkfs.ext4 -q -F /dev/mapper/vm0 2>&1)"
fs() {
	local e
	e=$(mount -t ext4 /dev/mapper/vm0 /mnt 2>&1) || { echo "GUEST: mount said: $e"; return 1; }
	echo sealed >/mnt/file || return 2
	umount /mnt || return 3
	mount -t ext4 -o ro /dev/mapper/vm0 /mnt || return 4
	[ "$(cat /mnt/file)" = sealed ] || return 5
}
fs 2>&1 && echo "GUEST: filesystem on the mapping" || echo "GUEST: filesystem step $? failed"
show EVIDENCE /tmp/ev.json
for f in ak.pub ak.priv ak.pem ak.name ek.pub ek.pem; do show "STATE-$f" "/state/$f"; done
echo o >/proc/sysrq-trigger
INIT
chmod +x "$ir/init"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$T/initrd.gz")

# ---- the ESP, a FAT file system in a file: shim as the removable-media
# loader, GRUB next to it (shim loads grubx64.efi from its own directory),
# GRUB's configuration where Debian's signed GRUB looks (its prefix
# /EFI/debian), the kernel and the two initramfs images
export MTOOLS_SKIP_CHECK=1
cat >"$T/grub.cfg" <<'CFG'
set timeout=0
linux /vmlinuz console=ttyS0 panic=-1 quiet
initrd /initrd.gz /boot.gz
boot
CFG
mkfs.vfat -C "$T/esp.img" $((128 * 1024)) >/dev/null
mmd -i "$T/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$T/esp.img" "$SHIM" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$T/esp.img" "$GRUB" ::/EFI/BOOT/grubx64.efi
mcopy -i "$T/esp.img" "$T/grub.cfg" ::/EFI/debian/grub.cfg
mcopy -i "$T/esp.img" "$kernel" ::/vmlinuz
mcopy -i "$T/esp.img" "$T/initrd.gz" ::/initrd.gz

mkdir "$T/tpm"
accel=tcg
[ -w /dev/kvm ] && accel=kvm:tcg
# boot N EXTRA [direct]: boots with EXTRA (a directory, laid over the
# initramfs) and the vTPM state of $T/tpm; the console in $T/serial-N.txt.
# Under Secure Boot from the ESP (EXTRA as its /boot.gz), or with "direct"
# without it: OVMF's plain build loads the kernel and both initramfs images
# (concatenated) itself.
boot() {
	local n=$1 extra=$2 sock="$T/swtpm-$1.sock" pid
	local -a fw
	(cd "$extra" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$T/boot.gz")
	if [ "${3:-}" = direct ]; then
		cat "$T/initrd.gz" "$T/boot.gz" >"$T/initrd-$n.gz"
		cp "$OVMF_VARS_PLAIN" "$T/vars.fd"
		fw=(-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE_PLAIN"
			-drive if=pflash,format=raw,file="$T/vars.fd"
			-kernel "$kernel" -initrd "$T/initrd-$n.gz" -append "console=ttyS0 panic=-1 quiet")
	else
		mcopy -o -i "$T/esp.img" "$T/boot.gz" ::/boot.gz
		cp "$OVMF_VARS" "$T/vars.fd"
		fw=(-global driver=cfi.pflash01,property=secure,value=on
			-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE"
			-drive if=pflash,format=raw,file="$T/vars.fd"
			-drive if=none,id=esp,format=raw,file="$T/esp.img" -device virtio-blk-pci,drive=esp)
	fi
	# the vTPM (--daemon returns once its socket is there)
	swtpm socket --tpm2 --daemon --tpmstate "dir=$T/tpm" --ctrl "type=unixio,path=$sock" \
		--flags startup-clear --pid "file=$T/swtpm-$n.pid" --log "file=$T/swtpm-$n.log"
	pid=$(cat "$T/swtpm-$n.pid")
	at_exit "kill $pid 2>/dev/null"
	timeout 600 qemu-system-x86_64 -machine q35,smm=on,accel=$accel -m 1024 -nographic -no-reboot -nodefaults \
		-serial stdio "${fw[@]}" -chardev socket,id=chrtpm,path="$sock" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0 </dev/null >"$T/serial-$n.log" 2>&1 || true
	tr -d '\r' <"$T/serial-$n.log" >"$T/serial-$n.txt"
	# the vTPM stops (its state is on disk) before the next one opens it
	swtpm_ioctl --unix "$sock" -s >/dev/null 2>&1 || true
	while kill -0 "$pid" 2>/dev/null; do wait_pid "$pid"; done
}
# wait_pid PID: returns when PID (not our child) has exited
wait_pid() { tail --pid="$1" -f /dev/null; }
# shown N NAME: what the guest of boot N showed as NAME
shown() { sed -n "/^GUEST: $2-BEGIN\$/,/^GUEST: $2-END\$/p" "$T/serial-$1.txt" | sed '1d;$d' | base64 -d; }
guest_says() {
	local n=$1 l
	shift
	for l in "$@"; do
		grep -qxF "$l" "$T/serial-$n.txt" && pass ||
			fail "guest $n: no '$l' (serial: $(grep -a GUEST "$T/serial-$n.txt" | grep -v -- '-BEGIN$' | head -14))"
	done
}

# ---- the first boot
mkdir "$T/extra-1"
boot 1 "$T/extra-1"
guest_says 1 "GUEST: tpmrm0" "GUEST: lockdown none [integrity] confidentiality" "GUEST: eventlog rc=0" \
	"GUEST: enroll rc=0" "GUEST: measure rc=0" "GUEST: quote rc=0" "GUEST: policy rc=0" \
	"GUEST: format rc=0" "GUEST: unlock rc=0" "GUEST: mapping" "GUEST: filesystem on the mapping"
shown 1 EVIDENCE >"$T/ev.json"
mkdir -p "$T/extra-2/state" "$T/extra-2/boot2" "$T/extra-2/usr/bin"
for f in ak.pub ak.priv ak.pem ak.name ek.pub ek.pem; do shown 1 "STATE-$f" >"$T/extra-2/state/$f"; done
chmod 600 "$T/extra-2/state/ak.priv"

# ---- the verifier's challenge to that AK, answered by the second boot,
# whose qemu binary has one byte changed
expect 0 "" "$VMTRUST" attest enroll-challenge --ek "$T/extra-2/state/ek.pem" --ak "$T/extra-2/state/ak.pub" \
	-o "$T/ch.json"
cp "$T/ch.json" "$T/extra-2/boot2/ch.json"
cp "$qemu_bin" "$T/extra-2/usr/bin/qemu-system-x86_64"
python3 - "$T/extra-2/usr/bin/qemu-system-x86_64" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:                   # one byte in the middle, flipped
    f.seek(os.fstat(f.fileno()).st_size // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x01]))
PY
cmp -s "$qemu_bin" "$T/extra-2/usr/bin/qemu-system-x86_64" && fail "the changed qemu binary is not changed"
boot 2 "$T/extra-2"
guest_says 2 "GUEST: tpmrm0" "GUEST: eventlog rc=0" "GUEST: enroll-response rc=0" "GUEST: measure rc=0" \
	"GUEST: quote rc=0"
shown 2 RESPONSE >"$T/resp.json"
shown 2 EVIDENCE >"$T/ev-2.json"

# ---- the third boot: OVMF without Secure Boot, the same AK
mkdir -p "$T/extra-3/state"
cp "$T/extra-2/state/"* "$T/extra-3/state/"
touch "$T/extra-3/boot3"
boot 3 "$T/extra-3" direct
guest_says 3 "GUEST: tpmrm0" "GUEST: lockdown [none] integrity confidentiality" "GUEST: eventlog rc=0" \
	"GUEST: quote rc=0"
shown 3 EVIDENCE >"$T/ev-3.json"

# ---- outside: a policy from the first boot's evidence and the verifier's
# enrollment of its AK, Secure Boot required; the first boot verifies
expect 0 "" "$VMTRUST" policy init --from-evidence "$T/ev.json" --enrollment "$T/ch.json" "$T/resp.json" \
	-o "$T/policy-init.json"
sb_policy() {
	python3 - "$T/policy-init.json" "$1" "$2" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["secure_boot"] = sys.argv[3]
json.dump(p, open(sys.argv[2], "w"))
PY
}
sb_policy "$T/policy.json" required
expect 0 "" "$VMTRUST" --policy "$T/policy.json" -v attest verify --nonce 0a0b0c "$T/ev.json"
expect_out "^verdict: good$"
expect_out "ok +uefi-log: the log replays to the quoted sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7$"
expect_out "^  ok   secure-boot: secure boot is on, as the policy requires$"
expect_out "^  ok   reference:/usr/bin/qemu-system-x86_64: record [0-9]+: a reference digest$"

# ---- Secure Boot as OVMF measured it: a policy that wants it off refuses
sb_policy "$T/policy-off.json" disabled
expect 1 "^vmtrust: evidence '$T/ev.json' is not trusted: secure-boot: secure boot is on, the policy requires it off$" \
	"$VMTRUST" --policy "$T/policy-off.json" attest verify --nonce 0a0b0c "$T/ev.json"

# ---- the third boot, Secure Boot off as OVMF measured it: refused by the
# policy that requires it, accepted by that check of one that requires it off
run "$VMTRUST" --policy "$T/policy.json" -v attest verify --nonce 0c0c0c "$T/ev-3.json"
[ "$rc" = 1 ] && pass || fail "the third boot's evidence: exit $rc, expected 1: $err"
expect_out "^  FAIL secure-boot: secure boot is off, the policy requires it on$"
expect_out "ok +uefi-log: the log replays to the quoted sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7$"
run "$VMTRUST" --policy "$T/policy-off.json" -v attest verify --nonce 0c0c0c "$T/ev-3.json"
expect_out "^  ok   secure-boot: secure boot is off, as the policy requires$"

# ---- the second boot, one byte of its qemu binary changed: refused, that
# file named, and nothing else failing (the same firmware, PCRs and AK)
run "$VMTRUST" --policy "$T/policy.json" -v attest verify --nonce 0d0e0f "$T/ev-2.json"
[ "$rc" = 1 ] && pass || fail "the second boot's evidence: exit $rc, expected 1: $err"
sha1=$(sha1sum "$T/extra-2/usr/bin/qemu-system-x86_64" | cut -d' ' -f1)
q=/usr/bin/qemu-system-x86_64
why="reference:$q: record 0: sha1 digest $sha1 is not a reference value for '$q'"
expect_out "^  FAIL $why$"
[ "$err" = "vmtrust: evidence '$T/ev-2.json' is not trusted: $why" ] && pass ||
	fail "the second boot: the error line is not the qemu binary's: $err"
[ "$(printf '%s\n' "$out" | grep -c '^  FAIL ')" = 1 ] && pass ||
	fail "the second boot: more fails than the qemu binary: $(printf '%s\n' "$out" | grep '^  FAIL ')"
expect_out "^  ok   secure-boot: secure boot is on, as the policy requires$"

# ---- one digest of OVMF's log changed: refused, naming uefi-log
python3 - "$T/ev.json" "$T/ev-bad.json" <<'PY'
import base64, json, sys
e = json.load(open(sys.argv[1]))
log = bytearray(base64.b64decode(e["uefi_eventlog"]))
sizes = {0x4: 20, 0xb: 32, 0xc: 48, 0xd: 64}
off = 32 + int.from_bytes(log[28:32], "little")      # past the SHA-1 form Spec ID event
pcr, etype, count = (int.from_bytes(log[off + k:off + k + 4], "little") for k in (0, 4, 8))
assert pcr == 0, pcr                                 # the first event: PCR 0's
p = off + 12
while True:                                          # to its sha256 digest
    alg = int.from_bytes(log[p:p + 2], "little")
    if alg == 0xb:
        break
    p += 2 + sizes[alg]
log[p + 2] ^= 0x01
e["uefi_eventlog"] = base64.b64encode(bytes(log)).decode()
json.dump(e, open(sys.argv[2], "w"))
PY
run "$VMTRUST" --policy "$T/policy.json" attest verify --nonce 0a0b0c "$T/ev-bad.json"
[ "$rc" = 1 ] && [[ $err == *"uefi-log"* ]] && pass || fail "a changed firmware log: rc $rc: $err"

finish
