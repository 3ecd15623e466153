#!/usr/bin/env bash
# A real boot: QEMU (TCG, KVM where the host has it) with Debian's OVMF as
# the firmware and an swtpm vTPM on tpm-crb boots the host's own kernel
# with an initramfs holding vmtrust and its libraries. In the guest, through
# the kernel's TPM driver: the UEFI event log OVMF wrote is read from
# securityfs, an AK is enrolled and a quote made (device:/dev/tpmrm0).
# Outside: a policy made from that evidence (policy init --from-evidence)
# verifies it, the firmware's log replaying PCRs 0-7 in each bank, and the
# same evidence with one digest of the firmware's log changed is refused,
# naming uefi-log. And in the guest, where device-mapper is: a LUKS volume
# whose key is sealed to the vTPM, released by 'disk unlock --name' after a
# good attestation against a policy made from the guest's evidence, opens a
# dm-crypt mapping that holds an ext4 file system. About 2 minutes under TCG.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
for need in qemu-system-x86_64 swtpm cpio; do
	command -v "$need" >/dev/null || { echo "SKIP: no $need"; exit 77; }
done
[ -f "$OVMF_CODE" ] && [ -f "$OVMF_VARS" ] || { echo "SKIP: no OVMF (the ovmf package)"; exit 77; }
[ -n "$kernel" ] && [ -r "$kernel" ] || { echo "SKIP: no readable kernel in /boot"; exit 77; }

# ---- the initramfs: bash as /init, a few tools, vmtrust, their libraries,
# and the TCTI tpm2-tss opens at run time
ir="$T/initramfs"
mkdir -p "$ir"/{bin,dev,proc,sys,tmp,state,mnt}
tcti=$(ldconfig -p | sed -n 's/.*libtss2-tcti-device.so.0 .*=> //p' | head -1)
tools=("$(command -v bash)" "$(command -v mount)" "$(command -v umount)" "$(command -v cat)"
	"$(command -v insmod)" "$(command -v mkfs.ext4)" "$VMTRUST")
for b in "${tools[@]}"; do cp "$b" "$ir/bin/"; done
for b in "${tools[@]}" "$tcti"; do
	for f in $(ldd "$b" | grep -o '/[^ ]*') $([ "$b" = "$tcti" ] && echo "$tcti"); do
		mkdir -p "$ir$(dirname "$f")"
		cp -L "$f" "$ir$f"
	done
done
# dm-crypt on a loop device, ext4 on the mapping: the guest kernel's modules,
# in their dependency order
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
[ -c /dev/tpmrm0 ] && echo "GUEST: tpmrm0"
vmtrust attest eventlog >/tmp/eventlog.txt
echo "GUEST: eventlog rc=$?"
vmtrust attest enroll >/dev/null
echo "GUEST: enroll rc=$?"
vmtrust attest quote --nonce 0a0b0c -o /tmp/ev.json
echo "GUEST: quote rc=$?"
for m in $(cat /modules/order); do insmod /modules/$m.ko* || echo "GUEST: insmod $m failed"; done
vmtrust policy init --from-evidence /tmp/ev.json -o /tmp/policy.json >/dev/null
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
echo "GUEST: EVIDENCE-BEGIN"
cat /tmp/ev.json
echo
echo "GUEST: EVIDENCE-END"
echo o >/proc/sysrq-trigger
INIT
chmod +x "$ir/init"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$T/initrd.gz")

# ---- the vTPM (--daemon returns once its socket is there) and the boot
mkdir "$T/tpm"
swtpm socket --tpm2 --daemon --tpmstate "dir=$T/tpm" --ctrl "type=unixio,path=$T/swtpm.sock" \
	--flags startup-clear --pid "file=$T/swtpm.pid" --log "file=$T/swtpm.log"
at_exit 'kill "$(cat "$T/swtpm.pid")" 2>/dev/null'
cp "$OVMF_VARS" "$T/vars.fd"
accel=tcg
[ -w /dev/kvm ] && accel=kvm:tcg
timeout 600 qemu-system-x86_64 -machine q35,accel=$accel -m 1024 -nographic -no-reboot -nodefaults -serial stdio \
	-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" -drive if=pflash,format=raw,file="$T/vars.fd" \
	-chardev socket,id=chrtpm,path="$T/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-crb,tpmdev=tpm0 -kernel "$kernel" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" </dev/null >"$T/serial.log" 2>&1 || true
tr -d '\r' <"$T/serial.log" >"$T/serial.txt"

for l in "GUEST: tpmrm0" "GUEST: eventlog rc=0" "GUEST: enroll rc=0" "GUEST: quote rc=0" \
	"GUEST: format rc=0" "GUEST: unlock rc=0" "GUEST: mapping" "GUEST: filesystem on the mapping"; do
	grep -qxF "$l" "$T/serial.txt" && pass || fail "guest: no '$l' (serial: $(grep -a GUEST "$T/serial.txt" | grep -v '^GUEST: [{ ]' | head -12))"
done
sed -n '/^GUEST: EVIDENCE-BEGIN$/,/^GUEST: EVIDENCE-END$/p' "$T/serial.txt" | sed '1d;$d' >"$T/ev.json"

# ---- outside: a policy from the first boot's evidence, which verifies
expect 0 "" "$VMTRUST" policy init --from-evidence "$T/ev.json" -o "$T/policy.json"
expect 0 "" "$VMTRUST" --policy "$T/policy.json" -v attest verify --nonce 0a0b0c "$T/ev.json"
expect_out "^verdict: good$"
expect_out "ok +uefi-log: the log replays to the quoted sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7$"

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
