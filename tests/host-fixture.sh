# The fixture trees of the host audit tests: source it after lib.sh.

# hardened DIR: a host where every check passes.
hardened() {
	local r=$1
	mkdir -p "$r"/proc/4242/attr "$r"/dev "$r"/sys/module/kvm_intel "$r"/sys/module/kvm \
		"$r"/sys/module/apparmor/parameters "$r"/sys/class/iommu/dmar0 "$r"/sys/class/tpm/tpm0 \
		"$r"/sys/firmware/acpi/tables "$r"/sys/devices/system/cpu/vulnerabilities "$r"/sys/fs \
		"$r"/sys/kernel/security/tpm0 "$r"/sys/firmware/efi/efivars "$r"/etc/libvirt/hooks \
		"$r"/var/lib/dpkg "$r"/run/libvirt/qemu
	printf 'processor\t: 0\nflags\t\t: fpu pae nx lm vmx ept\n' >"$r/proc/cpuinfo"
	printf 'BOOT_IMAGE=/vmlinuz ro intel_iommu=on quiet\n' >"$r/proc/cmdline"
	printf 'qemu-system-x86\n' >"$r/proc/4242/comm"
	printf 'Name:\tqemu-system-x86\nUid:\t64055\t64055\t64055\t64055\nSeccomp:\t2\n' >"$r/proc/4242/status"
	printf 'qemu-system-x86_64\0-accel\0kvm\0-vnc\0127.0.0.1:0\0' >"$r/proc/4242/cmdline"
	printf 'libvirt-0a1b (enforce)\n' >"$r/proc/4242/attr/current"
	if [ "$(id -u)" = 0 ]; then mknod "$r/dev/kvm" c 10 232; else ln -s /dev/null "$r/dev/kvm"; fi
	echo Y >"$r/sys/module/apparmor/parameters/enabled"
	echo 2 >"$r/sys/class/tpm/tpm0/tpm_version_major"
	printf DMAR >"$r/sys/firmware/acpi/tables/DMAR"
	echo "Not affected" >"$r/sys/devices/system/cpu/vulnerabilities/meltdown"
	echo "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional" >"$r/sys/devices/system/cpu/vulnerabilities/spectre_v2"
	echo "capability,yama,apparmor" >"$r/sys/kernel/security/lsm"
	# a crypto-agile log (sha256) that measures SecureBoot = 1
	python3 - "$r/sys/kernel/security/tpm0/binary_bios_measurements" <<'EOF'
import hashlib, struct, sys
def ev(pcr, typ, data):
    return struct.pack('<III', pcr, typ, 1) + struct.pack('<H', 0x0b) + hashlib.sha256(data).digest() + struct.pack('<I', len(data)) + data
spec = b'Spec ID Event03\0' + struct.pack('<IBBBBI', 0, 0, 2, 0, 2, 1) + struct.pack('<HH', 0x0b, 32) + b'\0'
log = struct.pack('<II', 0, 3) + b'\0' * 20 + struct.pack('<I', len(spec)) + spec
guid = bytes.fromhex('61dfe48bca93d211aa0d00e098032b8c')
var = guid + struct.pack('<QQ', 10, 1) + 'SecureBoot'.encode('utf-16-le') + b'\1'
log += ev(7, 0x80000001, var)
for pcr in range(8):
    log += ev(pcr, 4, b'\0\0\0\0')
open(sys.argv[1], 'wb').write(log)
EOF
	printf '\6\0\0\0\1' >"$r/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	cat >"$r/etc/libvirt/qemu.conf" <<'EOF'
# the QEMU driver
user = "libvirt-qemu"
group = "libvirt-qemu"
security_driver = "apparmor"
seccomp_sandbox = 1
vnc_listen = "127.0.0.1"
EOF
	# as `vmtrust hook install` writes it (the audit holds it to the installer's rule)
	printf '#!/bin/sh\n# vmtrust launch hook\nexec '\''/usr/bin/vmtrust'\'' hook run -- "$@"\n' >"$r/etc/libvirt/hooks/qemu"
	chmod 755 "$r/etc/libvirt/hooks/qemu"
	printf 'Package: qemu-system-x86\nStatus: install ok installed\nVersion: 1:7.2+dfsg-7+deb12u18\n' >"$r/var/lib/dpkg/status"
	mkdir -p "$r/etc/vmtrust"
	openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -out "$r/etc/vmtrust/policy.pub"
	chmod 644 "$r/etc/vmtrust/policy.pub"
	# a running domain, as libvirt keeps its status: its interface filtered
	printf "<domstatus state='running' pid='4242'><domain type='kvm' id='1'><name>web</name><devices><interface type='network'><source network='default'/><filterref filter='clean-traffic'/></interface></devices></domain></domstatus>\n" \
		>"$r/run/libvirt/qemu/web.xml"
	# the hook's record of its start (domain-live holds its files to it)
	mkdir -p "$r/var/lib/vmtrust"
	printf '{"seq":0,"domain":"web","operation":"prepare","verdict":"allowed","files":[],"interfaces":[{"type":"network","source":"default","filter":"clean-traffic"}]}\n' \
		>"$r/var/lib/vmtrust/launches.log"
}
