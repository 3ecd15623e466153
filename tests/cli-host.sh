#!/usr/bin/env bash
# vmtrust host audit: on fixture trees (a hardened host passes; a weakness
# fails with exit 1 and one stderr line; missing inputs are unknown, never
# pass; the policy's required checks decide; --json is valid and carries
# every check), then once on this machine: no crash, exit 0 or 1, and no
# pass for a check whose input is not here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/host-fixture.sh"
. "$(dirname "$0")/swtpm.sh"     # swtpm_dead_port only: this script needs no TPM

# policy FILE JSON-HOST-SECTION
policy() { printf '{"schema_version": 1, "sequence": 1, "host": %s}\n' "$2" >"$1"; }

# status JSON ID: the status of a check in a --json report
status() { printf '%s' "$1" | python3 -c 'import json,sys; print({c["id"]: c["status"] for c in json.load(sys.stdin)["checks"]}[sys.argv[1]])' "$2"; }

export VMTRUST_POLICY="$T/none.json"
policy "$T/none.json" '{}'

H="$T/hardened"
hardened "$H"

# ---- a hardened host: everything passes, exit 0
expect 0 "" "$VMTRUST" host audit --root "$H"
expect_out "^PASS    cpu-virt$"
expect_out "^PASS    secure-boot$"
expect_out "^host audit of '$H': 16 pass, 0 fail, 0 unknown: ok \(no check may fail\)$"
[ "$(printf '%s\n' "$out" | grep -c '^PASS ')" = 16 ] && pass || fail "not 16 PASS lines: $out"
expect 0 "" "$VMTRUST" -v host audit --root "$H"
expect_out "^PASS    iommu: IOMMU units active: dmar0; ACPI DMAR table; kernel command line: intel_iommu=on$"
expect_out "^PASS    vmtrust-hook: '/etc/libvirt/hooks/qemu' is a script that runs 'vmtrust hook'$"
expect_out "^        measure: 1. minimal hypervisor privileges$"
expect 0 "" "$VMTRUST" host audit --json --root "$H"
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is True and d["required"] == "default", d
ids = [c["id"] for c in d["checks"]]
assert ids == ["cpu-virt", "kvm", "iommu", "nx", "cpu-mitigations", "qemu-user", "qemu-seccomp",
               "security-driver", "graphics-listen", "vmtrust-hook", "tpm", "boot-log", "secure-boot",
               "policy-key", "domain-nwfilter", "domain-live"], ids
for c in d["checks"]:
    assert c["status"] == "pass" and c["evidence"] and c["measure"] and c["hint"] is None and c["required"] is False, c
' && pass || fail "--json of the hardened host"

# ---- with a policy: min_versions make package checks, required ones
policy "$T/p-min.json" '{"min_versions": {"qemu-system-x86": "1:7.2"}}'
expect 0 "" "$VMTRUST" --policy "$T/p-min.json" host audit --root "$H"
expect_out "^PASS    package:qemu-system-x86 \(required\)$"
policy "$T/p-new.json" '{"min_versions": {"qemu-system-x86": "1:8.2"}}'
expect 1 "^vmtrust: host audit not ok: package:qemu-system-x86 fail$" "$VMTRUST" --policy "$T/p-new.json" host audit --root "$H"
expect_out "^FAIL    package:qemu-system-x86 \(required\): 'qemu-system-x86' 1:7.2\+dfsg-7\+deb12u18 is older than 1:8.2, the minimum$"
expect_out "^        hint: upgrade the package"

# ---- a weakness: exit 1, the check fails with its evidence and a hint
W="$T/weak"
hardened "$W"
sed -i 's/^vnc_listen = .*/vnc_listen = "0.0.0.0"/' "$W/etc/libvirt/qemu.conf"
expect 1 "^vmtrust: host audit not ok: graphics-listen fail$" "$VMTRUST" host audit --root "$W"
expect_out "^FAIL    graphics-listen: qemu.conf: vnc_listen = \"0.0.0.0\" without vnc_tls"
expect_out "^        hint: keep vnc_listen and spice_listen on 127.0.0.1"
expect 1 "" "$VMTRUST" host audit --json --root "$W"
[ "$(status "$out" graphics-listen)" = fail ] && pass || fail "--json: graphics-listen not fail"
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] is False' && pass || fail "--json ok is not false"
# a running domain whose interface carries no nwfilter
N="$T/nofilter"
hardened "$N"
sed -i "s|<filterref filter='clean-traffic'/>||" "$N/run/libvirt/qemu/web.xml"
# (and not as its start recorded it)
expect 1 "^vmtrust: host audit not ok: domain-nwfilter fail, domain-live fail$" "$VMTRUST" host audit --root "$N"
expect_out "^FAIL    domain-nwfilter: 'web.xml': interface 0 has no nwfilter$"
expect_out "^FAIL    domain-live: 'web.xml': interface 0 \(network 'default', nwfilter none\): not an interface its start allowed"
expect_out "^        hint: give every <interface> a <filterref filter='clean-traffic'/>"
# a running domain a monitor command reached, and one with a host device hot-plugged:
# libvirt runs no hook for either
M="$T/monitor"
hardened "$M"
sed -i "s|<domstatus state='running' pid='4242'>|&<taint flag='custom-monitor'/>|" "$M/run/libvirt/qemu/web.xml"
expect 1 "^vmtrust: host audit not ok: domain-live fail$" "$VMTRUST" host audit --root "$M"
expect_out "^FAIL    domain-live: 'web.xml': libvirt tainted it 'custom-monitor'$"
expect_out "^        hint: destroy the domain and start it again, so that the hook checks it; restrict hot-plug"
M="$T/hotplug"
hardened "$M"
sed -i "s|</devices>|<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>&|" \
	"$M/run/libvirt/qemu/web.xml"
expect 1 "^vmtrust: host audit not ok: domain-live fail$" "$VMTRUST" host audit --root "$M"
expect_out "^FAIL    domain-live: 'web.xml': domain: /domstatus/domain/devices/hostdev: host device assignment hands the guest a host device"
# an interface hot-plugged onto another network; a start the hook recorded before it recorded interfaces
M="$T/hotplug-net"
hardened "$M"
sed -i "s|</devices>|<interface type='network'><source network='lab'/><filterref filter='clean-traffic'/></interface>&|" \
	"$M/run/libvirt/qemu/web.xml"
expect 1 "^vmtrust: host audit not ok: domain-live fail$" "$VMTRUST" host audit --root "$M"
expect_out "^FAIL    domain-live: 'web.xml': interface 1 \(network 'lab', nwfilter 'clean-traffic'\): not an interface its start allowed \(hot-plugged or changed since\?\)$"
M="$T/oldlog"
hardened "$M"
sed -i 's|,"interfaces":\[[^]]*\]||' "$M/var/lib/vmtrust/launches.log"
expect 1 "^vmtrust: host audit not ok: domain-live fail$" "$VMTRUST" host audit --root "$M"
expect_out "^FAIL    domain-live: 'web.xml': interface 0 \(network 'default', nwfilter 'clean-traffic'\): the start record of domain 'web' in '$M/var/lib/vmtrust/launches.log' predates vmtrust's record of interfaces, which allows none: restart the domain through the hook$"

# the policy requires other checks: the weakness does not count
policy "$T/p-req.json" '{"required_checks": ["iommu", "kvm"]}'
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" host audit --root "$W"
expect_out "^PASS    iommu \(required\)$"
expect_out "^FAIL    graphics-listen: "
expect_out "\(the policy's required checks\)$"
# ...or requires it
policy "$T/p-gr.json" '{"required_checks": ["graphics-listen"]}'
expect 1 "^vmtrust: host audit not ok: graphics-listen fail$" "$VMTRUST" --policy "$T/p-gr.json" host audit --root "$W"

# ---- missing inputs: unknown, never pass; unknown does not fail the default rule
E="$T/empty"
mkdir -p "$E"
expect 0 "" "$VMTRUST" host audit --json --root "$E"
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is True, d
for c in d["checks"]:
    assert c["status"] == "unknown" and "cannot read" in c["evidence"], c
' && pass || fail "an empty root: every check unknown with a reason"
# a required check that is unknown: exit 1
policy "$T/p-tpm.json" '{"required_checks": ["tpm"]}'
expect 1 "^vmtrust: host audit not ok: tpm unknown$" "$VMTRUST" --policy "$T/p-tpm.json" host audit --root "$E"
expect_out "^UNKNOWN tpm \(required\): cannot read '$E/sys/class': No such file or directory$"
# unreadable: a directory where a file is expected, a dangling link
U="$T/unreadable"
hardened "$U"
rm "$U/proc/cpuinfo" && mkdir "$U/proc/cpuinfo"
rm "$U/etc/libvirt/qemu.conf" && ln -s /nonexistent/qemu.conf "$U/etc/libvirt/qemu.conf"
expect 0 "" "$VMTRUST" host audit --root "$U"
expect_out "^UNKNOWN cpu-virt: cannot read '$U/proc/cpuinfo': is a directory$"
expect_out "^UNKNOWN qemu-user: cannot read '$U/etc/libvirt/qemu.conf': No such file or directory"
expect_out "^UNKNOWN graphics-listen: cannot read"
# a malformed qemu.conf: unknown with the line
printf 'user = "qemu"\nvnc_listen = 0.0.0.0\n' >"$U/etc/libvirt/qemu.conf.bad"
rm "$U/etc/libvirt/qemu.conf" && mv "$U/etc/libvirt/qemu.conf.bad" "$U/etc/libvirt/qemu.conf"
expect 0 "" "$VMTRUST" host audit --root "$U"
expect_out "^UNKNOWN graphics-listen: '$U/etc/libvirt/qemu.conf' line 2: expecting a separator"

# ---- bad input: exit 2, one line
expect 2 "^vmtrust: cannot audit root '$T/nonexistent': No such file or directory$" "$VMTRUST" host audit --root "$T/nonexistent"
expect 2 "^vmtrust: cannot audit root '$H/proc/cpuinfo': not a directory$" "$VMTRUST" host audit --root "$H/proc/cpuinfo"
policy "$T/p-typo.json" '{"required_checks": ["iommmu"]}'
typo="^vmtrust: policy '$T/p-typo.json': \\\$.host.required_checks\[0\]: unknown audit check 'iommmu' \(known: cpu-virt, kvm, iommu, nx, cpu-mitigations, qemu-user, qemu-seccomp, security-driver, graphics-listen, vmtrust-hook, tpm, boot-log, secure-boot, policy-key, domain-nwfilter, domain-live, package:NAME\)$"
expect 2 "$typo" "$VMTRUST" --policy "$T/p-typo.json" host audit --root "$H"
[ -z "$out" ] && pass || fail "a bad policy printed a report: $out"
# the policy's host section is the policy's to validate: `policy check`
# refuses the same typo, and the rest of the section's faults, with the JSON path
expect 2 "$typo" "$VMTRUST" policy check "$T/p-typo.json"
[ -z "$out" ] && pass || fail "policy check printed a summary of a bad policy: $out"
policy "$T/p-nopkg.json" '{"required_checks": ["package:qemu-system-x86"]}'
expect 2 "^vmtrust: policy '$T/p-nopkg.json': \\\$.host.required_checks\[0\]: 'package:qemu-system-x86' names no package of host.min_versions$" "$VMTRUST" policy check "$T/p-nopkg.json"
policy "$T/p-badpkg.json" '{"min_versions": {"Qemu": "7.2"}}'
expect 2 "^vmtrust: policy '$T/p-badpkg.json': \\\$.host.min_versions.Qemu: 'Qemu' is not a valid Debian package name$" "$VMTRUST" policy check "$T/p-badpkg.json"
policy "$T/p-badver.json" '{"min_versions": {"qemu-system-x86": "latest"}}'
expect 2 "^vmtrust: policy '$T/p-badver.json': \\\$.host.min_versions\[\"qemu-system-x86\"\]: 'latest' is not a valid Debian version$" "$VMTRUST" --policy "$T/p-badver.json" host audit --root "$H"
expect 2 "^vmtrust: policy '$T/p-badver.json': \\\$.host.min_versions\[\"qemu-system-x86\"\]: 'latest' is not a valid Debian version$" "$VMTRUST" policy check "$T/p-badver.json"
printf 'not json' >"$T/p-broken.json"
expect 2 "^vmtrust: policy '$T/p-broken.json': " "$VMTRUST" --policy "$T/p-broken.json" host audit --root "$H"
expect 2 "^vmtrust: unknown option '--bogus'" "$VMTRUST" host audit --bogus
expect 2 "^vmtrust: option '--root' needs a value" "$VMTRUST" host audit --root
expect 2 "^vmtrust: unexpected argument 'extra'" "$VMTRUST" host audit --root "$H" extra
# the audit reads only: nothing under the root changed
before=$(tree_sum "$H")
run "$VMTRUST" host audit --root "$H"
[ "$(tree_sum "$H")" = "$before" ] && pass || fail "the audit changed the tree"

# ---- --measure without a TPM (the rest is cli-host-attest.sh, on swtpm):
# one line, exit 4, nothing kept, the log untouched
S="$T/state"
mkdir -p "$S"
printf 'a log\n' >"$S/keep"
before=$(tree_sum "$S")
expect 4 "^vmtrust: cannot open tpm 'swtpm:host=127.0.0.1,port=[0-9]+'" \
	"$VMTRUST" --state-dir "$S" --tcti "swtpm:host=127.0.0.1,port=$(swtpm_dead_port)" host audit --root "$H" --measure
[ -z "$out" ] && pass || fail "a failed --measure printed a report: $out"
[ ! -e "$S/host-audit.json" ] && [ ! -e "$S/measurements.log" ] && pass || fail "a failed --measure left files: $(ls "$S")"
rm -f "$S/tpm.lock"
[ "$(tree_sum "$S")" = "$before" ] && pass || fail "a failed --measure changed the state directory"
# bad input comes first: no TPM is opened
expect 2 "^vmtrust: cannot audit root '$T/nonexistent': No such file or directory$" \
	"$VMTRUST" --state-dir "$S" --tcti "swtpm:host=127.0.0.1,port=1" host audit --root "$T/nonexistent" --measure
expect 2 "^vmtrust: unknown option '--measure=yes'" \
	"$VMTRUST" host audit --measure=yes

# ---- this machine: no crash, 0 or 1, and no pass without its input
unset VMTRUST_POLICY
run "$VMTRUST" --policy "$T/none.json" host audit --json
if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then pass; else fail "audit of / exited $rc: $err"; fi
printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' && pass || fail "audit of /: --json not valid"
not_pass() { # ID WHY
	local s
	s=$(status "$out" "$1")
	[ "$s" != pass ] && pass || fail "$1 passes on this machine, but $2"
}
if [ ! -e /sys/class/tpm/tpm0 ] && [ ! -e /dev/tpmrm0 ]; then not_pass tpm "there is no TPM"; fi
if [ ! -e /sys/kernel/security/tpm0/binary_bios_measurements ]; then not_pass boot-log "there is no boot log"; fi
if [ ! -e /sys/firmware/efi ]; then not_pass secure-boot "this machine did not boot with UEFI"; fi
if [ -z "$(ls -A /sys/class/iommu 2>/dev/null)" ]; then not_pass iommu "there is no IOMMU"; fi
if [ ! -e /etc/vmtrust/policy.pub ]; then not_pass policy-key "no policy key is installed"; fi
if [ ! -e /etc/libvirt/hooks/qemu ] && [ -z "$(ls -A /etc/libvirt/hooks/qemu.d 2>/dev/null)" ]; then
	not_pass vmtrust-hook "no hook is installed"
fi
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then not_pass cpu-virt "the cpu has neither vmx nor svm"; fi
if [ ! -e /dev/kvm ]; then not_pass kvm "there is no /dev/kvm"; fi
run "$VMTRUST" --policy "$T/none.json" host audit
if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then pass; else fail "audit of / (text) exited $rc: $err"; fi
printf '%s\n' "$out" | sed -n '$p' | grep -Eq "^host audit of '/': [0-9]+ pass, [0-9]+ fail, [0-9]+ unknown: (ok|not ok)" && pass || fail "audit of /: no summary line"
finish
