#!/usr/bin/env bash
# vmtrust hook install/uninstall/status/run and vmtrust launch -- CMD, on one
# swtpm, without libvirtd (tests/cli-hook.sh has libvirtd): the hook fed
# domain XML on stdin as libvirt does, every way it must deny, the audit
# log and the TPM's launch events, and the exec path.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

need qemu-img qemu-system-x86_64 openssl jq python3

swtpm_start
state_dir
vm() { "$VMTRUST" "$@"; }

# --- a host with a measured hypervisor, and a policy from its evidence -------
vm -q attest enroll >/dev/null
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
# the "qemu" prints its arguments and keeps its environment in qemu.env
Q=$T/qemu-system-x86_64
# and the device:inode of every descriptor it was given in qemu.fds
printf '#!/bin/sh\nprintf "%%s\\n" "$*"\nenv >"%s/qemu.env"\npwd >"%s/qemu.cwd"\nstat -L -c "%%n %%d:%%i" /proc/$$/fd/* >"%s/qemu.fds" 2>/dev/null\nexit 0\n' "$T" "$T" "$T" >"$Q"
chmod +x "$Q"
vm -q attest measure --only "$T/qemu-system-x86_64" >/dev/null
# and the real one, which the fd handover tests run
QR=$(command -v qemu-system-x86_64)
vm -q attest measure --only "$QR" >/dev/null
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
vm -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/evidence.json"
vm -q policy init --from-evidence "$T/evidence.json" "${ENROLLMENT[@]}" -o "$T/base.json"
openssl genpkey -algorithm ed25519 -out "$T/pub.key"
openssl pkey -in "$T/pub.key" -pubout -out "$T/pub.pem"
python3 - "$T/base.json" "$T/pub.pem" "$T/policy.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["image_trust"] = {"keys": [{"id": "publisher", "public_key": open(sys.argv[2]).read()}]}
p["images"] = [{"name": "web", "domains": ["web1"]}]
json.dump(p, open(sys.argv[3], "w"), indent=1)
EOF
export VMTRUST_POLICY=$T/policy.json

# --- images: a qcow2 overlay on a raw base, a kernel ---------------------------
qemu-img create -q -f raw "$T/base.raw" 4M
printf 'base data' | dd of="$T/base.raw" conv=notrunc status=none
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw "$T/web.qcow2"
head -c 100000 /dev/urandom >"$T/vmlinuz"
vm -q image sign --key "$T/pub.key" --name web "$T/web.qcow2"
vm -q image sign --key "$T/pub.key" --name kernel "$T/vmlinuz"

domxml() { # NAME DISK FORMAT [EXTRA-DEVICES-XML [EXTRA-DOMAIN-XML]]; $UUID, $NS
	cat <<EOF
<domain type='qemu'${NS:-}>
  <name>$1</name>
  <uuid>${UUID:-6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c}</uuid>
  <memory unit='MiB'>128</memory>
  <os><type arch='x86_64'>hvm</type><kernel>$T/vmlinuz</kernel></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$3'/>
      <source file='$2'/>
      <target dev='vda' bus='virtio'/>
    </disk>${4:-}
  </devices>${5:-}
</domain>
EOF
}
domxml web1 "$T/web.qcow2" qcow2 >"$T/web1.xml"
hook() { "$VMTRUST" hook run --uefi-log '' -- "$@"; }

# --- allowed: host, both layers, the kernel; recorded and measured -----------
expect 0 '' hook web1 prepare begin - <"$T/web1.xml"
if [ -z "$err" ] && [ -z "$out" ]; then pass; else fail "an allowed launch printed: $out $err"; fi
run jq -r '.verdict + " " + .operation + " " + (.files | map(.path) | join(","))' "$VMTRUST_STATE/launches.log"
[ "$out" = "allowed prepare $T/web.qcow2,$T/base.raw,$T/vmlinuz" ] && pass || fail "audit record: $out"
run grep -c '"content_type":"vmtrust_event"' "$VMTRUST_STATE/measurements.log"
[ "$out" = 1 ] && pass || fail "launch events in the measurement log: $out"

# other operations return at once, without reading stdin
for op in "start begin" "started begin" "stopped end" "release end" "reconnect begin"; do
	# shellcheck disable=SC2086
	expect 0 '' hook web1 $op - </dev/null
done

# --- denied: one line, exit 1, recorded ---------------------------------------
cp "$T/base.raw" "$T/base.good"
printf 'X' | dd of="$T/base.raw" bs=1 seek=3 conv=notrunc status=none
expect 1 "^vmtrust: launch of 'web1' denied: vda: '$T/web.qcow2': .*base.raw" hook web1 prepare begin - <"$T/web1.xml"
cp "$T/base.good" "$T/base.raw"
run jq -r '.verdict' "$VMTRUST_STATE/launches.log"
[ "$(printf '%s\n' "$out" | tail -n1)" = denied ] && pass || fail "the denial was not recorded: $out"

# the rule's domains: web may run as web1 only
domxml web2 "$T/web.qcow2" qcow2 >"$T/web2.xml"
expect 1 "image 'web' is not allowed for domain 'web2'" hook web2 prepare begin - <"$T/web2.xml"
# the declared format must be the signed one
domxml web1 "$T/web.qcow2" raw >"$T/raw.xml"
expect 1 "declared as raw, signed as qcow2" hook web1 prepare begin - <"$T/raw.xml"
# an unsigned image, a block device
qemu-img create -q -f raw "$T/unsigned.raw" 1M
domxml web1 "$T/unsigned.raw" raw >"$T/unsigned.xml"
expect 1 "vda: '$T/unsigned.raw': .*manifest" hook web1 prepare begin - <"$T/unsigned.xml"
sed "s|<disk type='file' device='disk'>|<disk type='block' device='disk'>|; s|<source file=|<source dev=|" \
	"$T/web1.xml" >"$T/block.xml"
expect 1 "block device cannot be verified" hook web1 prepare begin - <"$T/block.xml"
# an encrypted disk that no "vmtrust launch" released a key for
enc="
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$T/vmlinuz'><encryption format='luks'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source>
      <target dev='vdb' bus='virtio'/>
    </disk>"
domxml web1 "$T/web.qcow2" qcow2 "$enc" >"$T/enc.xml"
expect 1 "vdb: encrypted, and no key was released for it by a good verdict" hook web1 prepare begin - <"$T/enc.xml"

# bad input on stdin: malformed, a DTD, a network disk, oversized, another name
printf '<domain><name>web1</name>' | expect 1 "^vmtrust: launch of 'web1' denied: .*" hook web1 prepare begin -
printf '<!DOCTYPE d [<!ENTITY x "y">]><domain><name>web1</name></domain>' |
	expect 1 "^vmtrust: launch of 'web1' denied: " hook web1 prepare begin -
sed "s|<disk type='file' device='disk'>|<disk type='network' device='disk'>|; s|<source file='[^']*'/>|<source protocol='nbd' name='x'><host name='h'/></source>|" \
	"$T/web1.xml" >"$T/net.xml"
expect 1 "denied: .*network" hook web1 prepare begin - <"$T/net.xml"
# descriptors libvirt would get from elsewhere (virDomainFDAssociate): not the files verified
sed "s|<source file='\([^']*\)'/>|<source file='\1' fdgroup='g0'/>|" "$T/web1.xml" >"$T/fdgroup.xml"
expect 1 "^vmtrust: launch of 'web1' denied: domain: /domain/devices/disk: a disk handed over by descriptor \(fdgroup\) must name its whole backing chain, ending in an empty <backingStore/>$" \
	hook web1 prepare begin - <"$T/fdgroup.xml"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | expect 1 "domain xml on stdin: larger than the limit" hook web1 prepare begin -
expect 1 "the domain xml names 'web1'" hook other prepare begin - <"$T/web1.xml"
expect 0 '' hook web1 prepare begin - <"$T/web1.xml"

# --- whatever else gives qemu or the guest a host resource: denied, with its XPath ---
QNS=" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
NS=$QNS domxml web1 "$T/web.qcow2" qcow2 "" "<qemu:commandline><qemu:arg value='-hdb'/><qemu:arg value='$T/base.raw'/></qemu:commandline>" >"$T/qarg.xml"
expect 1 "^vmtrust: launch of 'web1' denied: domain: /domain/qemu:commandline: qemu passthrough" hook web1 prepare begin - <"$T/qarg.xml"
NS=$QNS domxml web1 "$T/web.qcow2" qcow2 "" "<qemu:commandline><qemu:env name='LD_PRELOAD' value='$T/evil.so'/></qemu:commandline>" >"$T/qenv.xml"
expect 1 "denied: domain: /domain/qemu:commandline: qemu passthrough" hook web1 prepare begin - <"$T/qenv.xml"
NS=$QNS domxml web1 "$T/web.qcow2" qcow2 "" "<qemu:override><qemu:device alias='virtio-disk0'><qemu:frontend><qemu:property name='drive' type='string' value='x'/></qemu:frontend></qemu:device></qemu:override>" >"$T/qovr.xml"
expect 1 "denied: domain: /domain/qemu:override: qemu passthrough" hook web1 prepare begin - <"$T/qovr.xml"
NS=$QNS domxml web1 "$T/web.qcow2" qcow2 "" "<qemu:capabilities><qemu:del capability='blockdev'/></qemu:capabilities>" >"$T/qcap.xml"
expect 1 "denied: domain: /domain/qemu:capabilities: qemu passthrough" hook web1 prepare begin - <"$T/qcap.xml"
# class by class: host devices, host memory, firmware blobs, tpm, sockets, interfaces, sVirt
while IFS='|' read -r devices top reason; do
	domxml web1 "$T/web.qcow2" qcow2 "$devices" "$top" >"$T/res.xml"
	expect 1 "^vmtrust: launch of 'web1' denied: domain: $reason" hook web1 prepare begin - <"$T/res.xml"
done <<EOF
<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>||/domain/devices/hostdev: host device assignment
<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source></hostdev>||/domain/devices/hostdev: host device assignment
<memory model='nvdimm'><source><path>$T/nvdimm</path></source><target><size unit='KiB'>1024</size><node>0</node></target></memory>||/domain/devices/memory: a memory device of model 'nvdimm'
|<memoryBacking><source type='file'/></memoryBacking>|/domain/memoryBacking/source: guest memory backed by a host file
|<sysinfo type='fwcfg'><entry name='opt/x' file='/etc/shadow'/></sysinfo>|/domain/sysinfo/entry/@file: a firmware config entry from a host file
<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>||/domain/devices/tpm/backend: a tpm backend of type 'passthrough'
<interface type='direct'><source dev='eth0' mode='bridge'/></interface>||/domain/devices/interface: an interface of type 'direct' bypasses libvirt's networking
<interface type='vhostuser'><source type='unix' path='$T/vu.sock' mode='server'/></interface>||/domain/devices/interface: an interface of type 'vhostuser'
<serial type='file'><source path='/etc/cron.d/x'/><target port='0'/></serial>||/domain/devices/serial: a character device of type 'file'
<channel type='unix'><source mode='bind' path='$T/ch.sock'/><target type='virtio' name='x'/></channel>||/domain/devices/channel: a character device of type 'unix'
|<seclabel type='none'/>|/domain/seclabel: a seclabel of type 'none'
|<seclabel type='dynamic' model='selinux' relabel='no'/>|/domain/seclabel: seclabel relabel='no'
<gadget path='/dev/mem'/>||/domain/devices/gadget: an element vmtrust does not know
EOF
sed "s|<os><type arch='x86_64'>hvm</type>|<os><type arch='x86_64'>hvm</type><nvram>$T/VARS.fd</nvram><dtb>$T/x.dtb</dtb>|" "$T/web1.xml" >"$T/nvram.xml"
expect 1 "denied: domain: /domain/os/nvram: an nvram file without a template" hook web1 prepare begin - <"$T/nvram.xml"
# a writable firmware file: the guest would rewrite the verified code
sed "s|<os><type arch='x86_64'>hvm</type>|<os><type arch='x86_64'>hvm</type><loader type='pflash'>$T/web.qcow2</loader>|" "$T/web1.xml" >"$T/loader-rw.xml"
expect 1 "^vmtrust: launch of 'web1' denied: domain: /domain/os/loader: a pflash loader without readonly='yes' lets the guest rewrite the verified firmware code: the writable part is the nvram$" hook web1 prepare begin - <"$T/loader-rw.xml"
sed "s|<os><type arch='x86_64'>hvm</type>|<os><type arch='x86_64'>hvm</type><acpi><table type='slic'>$T/slic</table></acpi>|" "$T/web1.xml" >"$T/acpi.xml"
expect 1 "denied: domain: /domain/os/acpi: acpi tables from host files" hook web1 prepare begin - <"$T/acpi.xml"

# the qemu libvirt would run: one the host attestation covers
sed "s|<devices>|<devices><emulator>$T/qemu-system-x86_64</emulator>|" "$T/web1.xml" >"$T/emu.xml"
expect 0 '' hook web1 prepare begin - <"$T/emu.xml"
printf 'evil qemu\n' >"$T/evil-qemu"
sed "s|<devices>|<devices><emulator>$T/evil-qemu</emulator>|" "$T/web1.xml" >"$T/evil-emu.xml"
expect 1 "denied: emulator: '$T/evil-qemu' is not a hypervisor binary the host attestation covers" hook web1 prepare begin - <"$T/evil-emu.xml"

# --- names and UUIDs: a rule's "uuids" match the UUID, never a name like it ---------
U=0d9a6c1e-3b2f-4e8d-a7c6-5b4a3f2e1d0c
jq --arg u "$U" '.images[0].uuids = [$u]' "$T/policy.json" >"$T/uuids.json"
UUID=$U domxml web9 "$T/web.qcow2" qcow2 >"$T/web9.xml"
expect 0 '' "$VMTRUST" --policy "$T/uuids.json" hook run --uefi-log '' -- web9 prepare begin - <"$T/web9.xml"
domxml "$U" "$T/web.qcow2" qcow2 >"$T/named-uuid.xml"
expect 1 "image 'web' is not allowed for domain '$U' by its policy rule" \
	"$VMTRUST" --policy "$T/uuids.json" hook run --uefi-log '' -- "$U" prepare begin - <"$T/named-uuid.xml"
UUID=$(printf '%s' "$U" | tr a-f A-F) domxml web8 "$T/web.qcow2" qcow2 >"$T/web8.xml"
expect 0 '' "$VMTRUST" --policy "$T/uuids.json" hook run --uefi-log '' -- web8 prepare begin - <"$T/web8.xml"
# a UUID among the names is refused: it would be read as a name
jq --arg u "$U" '.images[0].domains += [$u]' "$T/policy.json" >"$T/uuid-in-domains.json"
expect 1 "denied: no policy: .*images\[0\]\.domains\[1\]: '$U' is a UUID: list it in \"uuids\"" \
	"$VMTRUST" --policy "$T/uuid-in-domains.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
expect 2 "is a UUID: list it in" "$VMTRUST" policy check "$T/uuid-in-domains.json"

# --- network segmentation: the networks, bridges and nwfilter of the image's rule ---
jq '.images[0].networks = ["isolated"] | .images[0].bridges = ["br-guests"] | .images[0].nwfilter = "clean-traffic"' \
	"$T/policy.json" >"$T/seg.json"
seg() { "$VMTRUST" --policy "$T/seg.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/$1"; }
ok_if="<interface type='network'><source network='isolated'/><filterref filter='clean-traffic'/></interface><interface type='bridge'><source bridge='br-guests'/><filterref filter='clean-traffic'/></interface>"
domxml web1 "$T/web.qcow2" qcow2 "$ok_if" >"$T/seg-ok.xml"
expect 0 '' seg seg-ok.xml
# the record of the start lists its interfaces (domain-live holds the running domain to them)
run jq -c '.interfaces' <(tail -n1 "$VMTRUST_STATE/launches.log")
[ "$out" = '[{"type":"network","source":"isolated","filter":"clean-traffic"},{"type":"bridge","source":"br-guests","filter":"clean-traffic"}]' ] &&
	pass || fail "the launch record's interfaces: $out"
# what weakens the filter or picks another segment than the network or bridge named
while IFS='|' read -r devices reason; do
	domxml web1 "$T/web.qcow2" qcow2 "$devices" >"$T/seg-esc.xml"
	expect 1 "^vmtrust: launch of 'web1' denied: domain: $reason" seg seg-esc.xml
done <<EOF
<interface type='network'><source network='isolated'/><filterref filter='clean-traffic'><parameter name='IP' value='GATEWAY'/></filterref></interface>|/domain/devices/interface/filterref/parameter: an nwfilter parameter changes what the filter the policy requires lets through$
<interface type='network'><source network='isolated'/><filterref filter='clean-traffic'><parameter name='CTRL_IP_LEARNING' value='none'/></filterref></interface>|/domain/devices/interface/filterref/parameter: an nwfilter parameter
<interface type='bridge'><source bridge='br-guests'/><vlan trunk='yes'><tag id='42'/><tag id='43'/></vlan><filterref filter='clean-traffic'/></interface>|/domain/devices/interface/vlan: a vlan tag or trunk puts the interface on another segment than the network or bridge it names$
<interface type='bridge'><source bridge='br-guests'/><virtualport type='openvswitch'/><filterref filter='clean-traffic'/></interface>|/domain/devices/interface/virtualport: a virtual port profile \(openvswitch, 802.1Qbh, 802.1Qbg, midonet\) picks the segment
<interface type='network'><source network='isolated' portgroup='lab'/><filterref filter='clean-traffic'/></interface>|/domain/devices/interface/source/@portgroup: a portgroup applies its own vlan and virtual port
<interface type='network'><source network='isolated'/><teaming type='persistent'/><filterref filter='clean-traffic'/></interface>|/domain/devices/interface/teaming: failover teaming
<interface type='user'><route family='ipv4' address='10.0.0.0' prefix='8' gateway='10.0.2.2'/></interface>|/domain/devices/interface/route: a host route
EOF
domxml web1 "$T/web.qcow2" qcow2 "$ok_if<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><filterref filter='clean-traffic'/></interface>" >"$T/seg-net.xml"
expect 1 "denied: interface 2 \(network 'default', mac 52:54:00:aa:bb:cc\): image 'web' may attach only to the networks its policy rule names" seg seg-net.xml
domxml web1 "$T/web.qcow2" qcow2 "<interface type='bridge'><source bridge='isolated'/><filterref filter='clean-traffic'/></interface>" >"$T/seg-br.xml"
expect 1 "denied: interface 0 \(bridge 'isolated'\): image 'web' may attach only to the bridges its policy rule names" seg seg-br.xml
domxml web1 "$T/web.qcow2" qcow2 "<interface type='user'/>" >"$T/seg-user.xml"
expect 1 "denied: interface 0 \(user\): image 'web' may attach only to the networks and bridges" seg seg-user.xml
domxml web1 "$T/web.qcow2" qcow2 "<interface type='network'><source network='isolated'/></interface>" >"$T/seg-nofilter.xml"
expect 1 "denied: interface 0 \(network 'isolated'\): image 'web' requires nwfilter 'clean-traffic' on every interface, it has none" seg seg-nofilter.xml
domxml web1 "$T/web.qcow2" qcow2 "<interface type='network'><source network='isolated'/><filterref filter='allow-all'/></interface>" >"$T/seg-otherfilter.xml"
expect 1 "requires nwfilter 'clean-traffic' on every interface, it has 'allow-all'" seg seg-otherfilter.xml
# a domain with no disk (its kernel is an image without a rule) is under no rule: denied
# while the policy segments networks, allowed by a policy that does not
sed -e '/<disk /,/<\/disk>/d' -e "s|</devices>|<interface type='network'><source network='isolated'/><filterref filter='clean-traffic'/></interface></devices>|" \
	"$T/web1.xml" >"$T/seg-nodisk.xml"
expect 1 "denied: interface 0 \(network 'isolated'\): no image rule of this domain names its networks, bridges or nwfilter, and the policy segments networks" seg seg-nodisk.xml
expect 0 '' hook web1 prepare begin - <"$T/seg-nodisk.xml"
# a rule with only a filter: a user-mode interface carries one on paper, none in force
jq '.images[0].nwfilter = "clean-traffic"' "$T/policy.json" >"$T/seg.json"
domxml web1 "$T/web.qcow2" qcow2 "<interface type='user'><filterref filter='clean-traffic'/></interface>" >"$T/seg-user-filter.xml"
expect 1 "denied: interface 0 \(user\): image 'web' requires nwfilter 'clean-traffic', which libvirt does not apply to a user-mode interface" seg seg-user-filter.xml
run jq -r 'select(.domain == "web1") | .verdict' "$VMTRUST_STATE/launches.log"
[ "$(printf '%s\n' "$out" | tail -n1)" = denied ] && pass || fail "a segmentation denial was not recorded"
# restore and incoming migration: the guest's memory comes from a save file or a
# stream that nothing verified; attach: a qemu started by someone else
for op in restore migrate attach; do
	expect 1 "^vmtrust: $op of 'web1' denied: " hook web1 $op begin - <"$T/web1.xml"
done

# usage errors: exit 2, one line
expect 2 "libvirt passes NAME OPERATION SUB-OPERATION" "$VMTRUST" hook run -- web1
expect 2 "--timeout: '0' is not 1..3600 seconds" "$VMTRUST" hook run --timeout 0 -- web1 prepare begin -
expect 2 "give one DOMAIN, or -- and a qemu command" "$VMTRUST" launch
expect 2 "missing the qemu command after --" "$VMTRUST" launch --

# fail closed: no policy, a policy that does not load, the TPM gone
expect 1 "denied: no policy: " "$VMTRUST" --policy "$T/none.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
printf '{"schema_version": 1,' >"$T/trunc.json"
expect 1 "denied: no policy: " "$VMTRUST" --policy "$T/trunc.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
dead=$(swtpm_dead_port)
before=$(wc -l <"$VMTRUST_STATE/launches.log")
expect 1 "denied: host: no fresh attestation: .*; the decision cannot be recorded: " \
	"$VMTRUST" --tcti "swtpm:host=127.0.0.1,port=$dead" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
# every line of the audit log is one the TPM measured: without a TPM, none
[ "$(wc -l <"$VMTRUST_STATE/launches.log")" = "$before" ] && pass || fail "a decision the TPM did not measure was logged"
# the host changed: an unknown measurement in the PCR
printf 'evil\n' >"$T/evil"
vm -q attest measure --only "$T/evil" >/dev/null
expect 1 "denied: host: " hook web1 prepare begin - <"$T/web1.xml"

# --- the audit log: a chain the TPM's launch events vouch for ------------------
n=$(wc -l <"$VMTRUST_STATE/launches.log")
[ "$n" -ge 9 ] && pass || fail "audit log has $n records"
python3 - "$VMTRUST_STATE/launches.log" <<'EOF' && pass || fail "audit chain broken"
import hashlib, json, sys
prev = "0" * 64
for i, line in enumerate(open(sys.argv[1], "rb")):
    rec = json.loads(line)
    assert rec["seq"] == i and rec["prev"] == prev, (i, rec["prev"], prev)
    prev = hashlib.sha256(line.rstrip(b"\n")).hexdigest()
EOF

# hook log: the chain and the TPM's launch events agree; any edit is seen
expect 0 '' "$VMTRUST" hook log
expect_out "^$n records, chain intact"
run "$VMTRUST" --json hook log
[ "$(printf '%s' "$out" | jq length)" = "$n" ] && pass || fail "hook log --json: $out"
L=$VMTRUST_STATE/launches.log
cp "$L" "$T/launches.good"
sed -i '2d' "$L"
expect 1 "record 1 is missing" "$VMTRUST" hook log
cp "$T/launches.good" "$L"
sed -i '$d' "$L"
expect 1 "records were removed" "$VMTRUST" hook log
cp "$T/launches.good" "$L"
sed -i '1s/"verdict":"allowed"/"verdict":"denied"/' "$L"
expect 1 "record 1 does not chain|record 0 is not the one the TPM measured" "$VMTRUST" hook log
cp "$T/launches.good" "$L"
vm -q --policy "$T/empty.json" attest quote --nonce 01 --no-eventlog -o "$T/evidence-log.json"
expect 0 '' "$VMTRUST" hook log --evidence "$T/evidence-log.json"
expect 2 "launches.none" "$VMTRUST" hook log "$T/launches.none"

# --- vmtrust launch -- CMD: verified, recorded, then exec'ed --------------------
vm -q image sign --key "$T/pub.key" --name web "$T/base.raw" -o "$T/base.raw.manifest.json"
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
vm -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/evidence2.json"
vm -q policy init --from-evidence "$T/evidence2.json" "${ENROLLMENT[@]}" -o "$T/base2.json"
jq --slurpfile p "$T/policy.json" '. + {image_trust: $p[0].image_trust}' "$T/base2.json" >"$T/policy2.json"
export VMTRUST_POLICY=$T/policy2.json
run "$VMTRUST" launch -- "$Q" -monitor none -name guest=g1 -drive "file=$T/base.raw,format=raw,if=virtio" -kernel "$T/vmlinuz"
# the drive from the verified descriptor (an fd set), the kernel from its /proc link;
# no default config file, and neither QEMU's default display nor its default audio
re='^-no-user-config -display none -audiodev none,id=vmtrust-noaudio -add-fd fd=([0-9]+),set=1 -monitor none -name guest=g1 -drive file=/dev/fdset/1,format=raw,if=virtio,auto-read-only=off -kernel /proc/self/fd/([0-9]+)$'
if [ "$rc" = 0 ] && [[ $out =~ $re ]]; then
	pass
	fds=$(cat "$T/qemu.fds")
	[[ $fds == *"/fd/${BASH_REMATCH[1]} $(stat -c %d:%i "$T/base.raw")"* ]] && pass || fail "the drive's descriptor is not base.raw: $fds"
	[[ $fds == *"/fd/${BASH_REMATCH[2]} $(stat -c %d:%i "$T/vmlinuz")"* ]] && pass || fail "the kernel's descriptor is not vmlinuz: $fds"
	# only the verified descriptors cross the exec: besides stdio (and the
	# shell's own script) those two
	others=$(printf '%s\n' "$fds" | grep -v -e '/fd/[012] ' -e " $(stat -c %d:%i "$Q")\$" | grep -c . || true)
	[ "$others" = 2 ] && pass || fail "qemu inherited other descriptors: $fds"
else
	fail "launch -- echo: exit $rc, out '$out', err '$err'"
fi
run jq -r 'select(.operation == "exec") | .domain + " " + .verdict' "$VMTRUST_STATE/launches.log"
[ "$out" = "g1 allowed" ] && pass || fail "exec record: $out"
printf 'Y' | dd of="$T/base.raw" bs=1 seek=5 conv=notrunc status=none
expect 1 "^vmtrust: launch of 'g1' denied: drive0: '$T/base.raw': " \
	"$VMTRUST" launch -- "$Q" -monitor none -name g1 -drive "file=$T/base.raw,format=raw"
[ -z "$out" ] && pass || fail "a denied launch ran the command: $out"
expect 2 "json:" "$VMTRUST" launch -- "$Q" -monitor none -drive 'file=json:{"file.filename":"/x"}'
cp "$T/base.good" "$T/base.raw"
# no format=: qemu would probe; host files, sockets and passthrough refused
expect 2 "qemu: hda '$T/base.raw' has no format=, so qemu would probe it" "$VMTRUST" launch -- "$Q" -monitor none -hda "$T/base.raw"
expect 2 "qemu: cdrom '$T/base.raw' has no format=" "$VMTRUST" launch -- "$Q" -monitor none -cdrom "$T/base.raw"
expect 2 "qemu: drive0 '$T/base.raw' has no format=" "$VMTRUST" launch -- "$Q" -monitor none -drive "file=$T/base.raw,if=virtio"
expect 2 "qemu: -object memory-backend-file is refused" \
	"$VMTRUST" launch -- "$Q" -monitor none -object "memory-backend-file,id=m,size=64M,mem-path=$T/mem" -drive "file=$T/base.raw,format=raw"
expect 2 "qemu: -chardev socket is refused" "$VMTRUST" launch -- "$Q" -monitor none -chardev "socket,id=c,path=$T/s,server=on"
expect 2 "qemu: -device vfio-pci is refused" "$VMTRUST" launch -- "$Q" -monitor none -device vfio-pci,host=01:00.0
expect 2 "qemu: -netdev tap is refused" "$VMTRUST" launch -- "$Q" -monitor none -netdev tap,id=n,script=/tmp/ifup
# the emulator: an absolute path the host attestation covers, run without a
# PATH search, with an allow-listed environment only
expect 1 "^vmtrust: launch of 'g1' denied: emulator: '/bin/echo' is not a hypervisor binary the host attestation covers" \
	"$VMTRUST" launch -- /bin/echo -monitor none -name g1 -drive "file=$T/base.raw,format=raw"
[ -z "$out" ] && pass || fail "an emulator the attestation does not cover ran: $out"
expect 2 "^vmtrust: qemu: emulator 'qemu-system-x86_64' is not an absolute path" \
	env PATH="$T:$PATH" "$VMTRUST" launch -- qemu-system-x86_64 -monitor none -name g1 -drive "file=$T/base.raw,format=raw"
[ -z "$out" ] && pass || fail "an emulator found through PATH ran: $out"
rm -f "$T/qemu.env"
expect 0 '' env LD_PRELOAD= LD_LIBRARY_PATH="$T/nolib" GCONV_PATH="$T" FOO=bar TZ=:/etc/localtime LANG=C LC_ALL=C \
	HOME="$T" XDG_CONFIG_HOME="$T" XDG_RUNTIME_DIR="$T" GTK_PATH="$T" LC_CTYPE="$T/loc" TMPDIR="$T" \
	PATH="$T:$PATH" "$VMTRUST" launch -- "$Q" -monitor none -name g1 -drive "file=$T/base.raw,format=raw"
[[ $out == "-no-user-config "* ]] && pass || fail "qemu read its default config files: $out"
run grep -E '^(LD_|GCONV_|FOO|TZ|VMTRUST|HOME|XDG_|GTK_|LC_CTYPE|TMPDIR)' "$T/qemu.env"
[ "$rc" = 1 ] && pass || fail "qemu got the caller's environment: $out"
run grep -c -E '^(LANG=C|LC_ALL=C|PATH=/usr/sbin:/usr/bin:/sbin:/bin)$' "$T/qemu.env"
[ "$out" = 3 ] && pass || fail "qemu did not get LANG, LC_ALL and PATH: $(cat "$T/qemu.env")"
[ "$(cat "$T/qemu.cwd")" = / ] && pass || fail "qemu ran in '$(cat "$T/qemu.cwd")', not in /"
# a monitor adds devices that are not verified at run time
expect 2 "qemu: the default monitor is refused" "$VMTRUST" launch -- "$Q" -name g1 -drive "file=$T/base.raw,format=raw"
expect 2 "qemu: -qmp is refused: a monitor adds devices" "$VMTRUST" launch -- "$Q" -monitor none -qmp stdio
expect 2 "qemu: -monitor 'stdio' is refused: a monitor adds devices" "$VMTRUST" launch -- "$Q" -monitor stdio
expect 2 "qemu: -nographic is refused" "$VMTRUST" launch -- "$Q" -monitor none -nographic
expect 2 "qemu: -serial 'mon:stdio' is refused" "$VMTRUST" launch -- "$Q" -monitor none -serial mon:stdio
# an empty drive that names a file; display and keymap options that do
expect 2 "qemu: drive0: filename='$T/base.raw' cannot be followed" \
	"$VMTRUST" launch -- "$Q" -monitor none -drive "driver=file,filename=$T/base.raw,media=cdrom"
expect 2 "qemu: drive0 has no file=, so driver='file' is refused on it" \
	"$VMTRUST" launch -- "$Q" -monitor none -drive "driver=file,media=cdrom"
expect 2 "qemu: -vnc vnc='unix:$T/v' is refused" "$VMTRUST" launch -- "$Q" -monitor none -vnc "vnc=unix:$T/v"
expect 2 "qemu: -display in JSON form is not accepted" \
	"$VMTRUST" launch -- "$Q" -monitor none -display '{"type":"egl-headless","rendernode":"/secret"}'
expect 2 "qemu: -display egl-headless is refused: not a display vmtrust knows" \
	"$VMTRUST" launch -- "$Q" -monitor none -display egl-headless
expect 2 "qemu: -display sdl: gl='on' is refused: opengl opens a host render node" \
	"$VMTRUST" launch -- "$Q" -monitor none -display sdl,gl=on
expect 2 "qemu: -k '$T/km' is refused" "$VMTRUST" launch -- "$Q" -monitor none -k "$T/km"
# segmentation: qemu's own user-mode nic is not on the rule's bridge
jq '.images = [{"name": "web", "bridges": ["br-guests"]}]' "$T/policy2.json" >"$T/seg2.json"
expect 1 "denied: interface 0 \(user\): image 'web' may attach only to the networks and bridges" \
	"$VMTRUST" --policy "$T/seg2.json" launch -- "$Q" -monitor none -name g1 -drive "file=$T/base.raw,format=raw"
expect 0 '' "$VMTRUST" --policy "$T/seg2.json" launch -- "$Q" -monitor none -name g1 -drive "file=$T/base.raw,format=raw" -nic bridge,br=br-guests
expect 1 "denied: interface 0 \(bridge 'br-guests'\): no image rule of this domain names its networks" \
	"$VMTRUST" --policy "$T/seg2.json" launch -- "$Q" -monitor none -name g1 -nic bridge,br=br-guests

# --- launch -- qemu, the real one: QEMU holds the very inodes that were verified ---
# vmtrust pauses right before it execs qemu (tests/pause-preload.c), every
# file is renamed away and another put at its path; qemu, daemonized (its
# parent exits once the drives are open), must hold each verified inode and
# none of the files swapped in.
F=$T/fd
mkdir -p "$F"
qemu-img create -q -f raw "$F/disk.raw" 1M
qemu-img create -q -f raw "$F/base.raw" 1M
qemu-img create -q -f qcow2 -b base.raw -F raw "$F/mid.qcow2"
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$F/top.qcow2"
qemu-img create -q -f raw "$F/wbase.raw" 1M
qemu-img create -q -f qcow2 -b wbase.raw -F raw "$F/rw.qcow2"
for f in disk.raw top.qcow2 rw.qcow2; do vm -q image sign --key "$T/pub.key" --name web "$F/$f"; done
for f in disk.raw base.raw mid.qcow2 top.qcow2 wbase.raw rw.qcow2; do cp "$F/$f" "$F/$f.other"; done
P=$T/pause
mkdir -p "$P"
mkfifo "$P/paused" "$P/resume"
# swapped_launch NAME FILE... -- QEMU-ARGS: sets $qpid; FILE.verified is the file verified
swapped_launch() {
	local name=$1 launcher f
	local files=()
	shift
	while [ "$1" != -- ]; do files+=("$1"); shift; done
	shift
	VMTRUST_PAUSE_AT=exec VMTRUST_PAUSE_DIR="$P" LD_PRELOAD="$VMTRUST_PAUSE_PRELOAD" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$VMTRUST" launch -- "$QR" -name "guest=$name" -machine none -nodefaults \
		-display none -S -daemonize "$@" >"$T/q.out" 2>"$T/q.err" &
	launcher=$!
	read -r -n1 _ <"$P/paused"
	for f in "${files[@]}"; do
		mv "$f" "$f.verified"
		mv "$f.other" "$f"
	done
	echo r >"$P/resume"
	set +e
	wait $launcher
	rc=$?
	set -e
	qpid=$(pgrep -f "guest=$name" || true)
	if [ "$rc" = 0 ] && [ -n "$qpid" ]; then
		at_exit "kill $qpid 2>/dev/null"
		pass
	else
		fail "$name: launch exit $rc, qemu '$qpid': $(cat "$T/q.err")"
		qpid=0
	fi
}
# held PID FILE [MODE]: qemu holds FILE's inode (MODE: only opened that way, 0 read-only, 2 read-write)
held() {
	local want fd modes=""
	want=$(stat -c %d:%i "$2")
	for fd in /proc/"$1"/fd/*; do
		[ "$(stat -L -c %d:%i "$fd" 2>/dev/null)" = "$want" ] || continue
		modes="$modes $(($(awk '/^flags/ {print "0" $2}' /proc/"$1"/fdinfo/"${fd##*/}") & 3))"
	done
	[ -n "$modes" ] && { [ -z "${3:-}" ] || [ -z "$(printf '%s\n' $modes | grep -v "^$3$")" ]; }
}
# a raw disk
swapped_launch "fd$$-raw" "$F/disk.raw" -- -drive "if=none,id=d0,format=raw,readonly=on,file=$F/disk.raw"
held "$qpid" "$F/disk.raw.verified" 0 && pass || fail "raw: qemu does not hold the verified disk.raw"
held "$qpid" "$F/disk.raw" && fail "raw: qemu opened the file swapped in" || pass
kill "$qpid" 2>/dev/null || true
# a qcow2 on a qcow2 on a raw base: the whole chain from the verified descriptors
swapped_launch "fd$$-chain" "$F/top.qcow2" "$F/mid.qcow2" "$F/base.raw" -- -drive "if=none,id=d0,format=qcow2,readonly=on,file=$F/top.qcow2"
for f in top.qcow2 mid.qcow2 base.raw; do
	held "$qpid" "$F/$f.verified" 0 && pass || fail "chain: qemu does not hold the verified $f read-only"
	held "$qpid" "$F/$f" && fail "chain: qemu opened the $f swapped in" || pass
done
kill "$qpid" 2>/dev/null || true
# the same chain as -blockdev nodes: a format node over a file node
for f in top.qcow2 mid.qcow2 base.raw; do mv "$F/$f" "$F/$f.other"; mv "$F/$f.verified" "$F/$f"; done
swapped_launch "fd$$-blockdev" "$F/top.qcow2" "$F/mid.qcow2" "$F/base.raw" -- \
	-blockdev "driver=file,node-name=f0,read-only=on,filename=$F/top.qcow2" -blockdev "driver=qcow2,node-name=n0,read-only=on,file=f0"
for f in top.qcow2 mid.qcow2 base.raw; do
	held "$qpid" "$F/$f.verified" 0 && pass || fail "blockdev: qemu does not hold the verified $f read-only"
	held "$qpid" "$F/$f" && fail "blockdev: qemu opened the $f swapped in" || pass
done
kill "$qpid" 2>/dev/null || true
# a writable top: QEMU writes the verified inode (O_RDWR, under the write lease), reads its base
swapped_launch "fd$$-rw" "$F/rw.qcow2" "$F/wbase.raw" -- -drive "if=none,id=d0,format=qcow2,file=$F/rw.qcow2"
held "$qpid" "$F/rw.qcow2.verified" 2 && pass || fail "writable: qemu does not hold the verified rw.qcow2 read-write"
held "$qpid" "$F/wbase.raw.verified" 0 && pass || fail "writable: qemu does not hold the verified wbase.raw read-only"
held "$qpid" "$F/rw.qcow2" && fail "writable: qemu opened the rw.qcow2 swapped in" || pass
held "$qpid" "$F/wbase.raw" && fail "writable: qemu opened the wbase.raw swapped in" || pass
kill "$qpid" 2>/dev/null || true
# what cannot be handed over as verified is denied, exit 1, and nothing runs
exec 8<"$F/disk.raw"
expect 1 "^vmtrust: launch of 'fdbusy' denied: drive0: '$F/disk.raw': layer 'disk.raw': '$F/disk.raw' is open elsewhere: a layer QEMU will write is handed over only when nothing else has it open$" \
	"$VMTRUST" launch -- "$Q" -name fdbusy -nodefaults -drive "if=none,format=raw,file=$F/disk.raw"
exec 8<&-
expect 1 "^vmtrust: launch of 'fdflash' denied: loader: '$F/disk.raw': qemu would open it for writing, but it was verified read-only: give readonly=on$" \
	"$VMTRUST" launch -- "$Q" -name fdflash -nodefaults -drive "if=pflash,format=raw,file=$F/disk.raw"
expect 1 "^vmtrust: launch of 'fdkernel' denied: kernel: '$F/top.qcow2': qemu reads it as a plain file, but it was verified as a qcow2 image$" \
	"$VMTRUST" launch -- "$Q" -name fdkernel -nodefaults -kernel "$F/top.qcow2"
[ -z "$out" ] && pass || fail "a denied handover ran the command: $out"

# --- install, status, uninstall; another program's hook is left alone --------
H=$T/hooks
expect 1 '' "$VMTRUST" hook status --hooks-dir "$H"
expect 0 '' "$VMTRUST" --tcti "$VMTRUST_TCTI" hook install --hooks-dir "$H" --no-reload --uefi-log ''
expect_out "hook installed: $H/qemu"
[ -x "$H/qemu" ] && pass || fail "the hook is not executable"
expect 0 '' "$VMTRUST" hook status --hooks-dir "$H"
# the installed script is the hook: it allows and denies as 'hook run' does
expect 0 "" "$H/qemu" web1 prepare begin - <"$T/web1.xml"
printf 'X' | dd of="$T/base.raw" bs=1 seek=3 conv=notrunc status=none
expect 1 "launch of 'web1' denied: vda:" "$H/qemu" web1 prepare begin - <"$T/web1.xml"
cp "$T/base.good" "$T/base.raw"
expect 0 '' "$VMTRUST" hook uninstall --hooks-dir "$H" --no-reload
[ ! -e "$H/qemu" ] && pass || fail "uninstall left the hook"
expect 2 "no vmtrust hook installed" "$VMTRUST" hook uninstall --hooks-dir "$H" --no-reload
printf '#!/bin/sh\nexit 0\n' >"$H/qemu"
chmod +x "$H/qemu"
sum=$(sha256sum <"$H/qemu")
expect 2 "another program's hook: left alone" "$VMTRUST" hook install --hooks-dir "$H" --no-reload
expect 2 "another program's hook: left alone" "$VMTRUST" hook uninstall --hooks-dir "$H" --no-reload
[ "$(sha256sum <"$H/qemu")" = "$sum" ] && pass || fail "another program's hook was changed"
expect 0 '' "$VMTRUST" hook install --hooks-dir "$H" --drop-in --no-reload
[ -x "$H/qemu.d/vmtrust" ] && pass || fail "no drop-in"
expect 0 '' "$VMTRUST" hook uninstall --hooks-dir "$H" --drop-in --no-reload
expect 2 "trunc.json" "$VMTRUST" --policy "$T/trunc.json" hook install --hooks-dir "$T/h2" --no-reload
[ ! -e "$T/h2/qemu" ] && pass || fail "a hook was installed with a broken policy"

# --- the host verdict cache: only where the policy allows it ------------------
jq '. + {verdict_cache_max_age: 300}' "$T/policy2.json" >"$T/policy3.json"
cached() { "$VMTRUST" --json --policy "$T/policy3.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml" 2>/dev/null |
	jq -r '.verdict + " " + (.host_verdict_cached | tostring)'; }
[ "$(cached)" = "allowed false" ] && pass || fail "first decision with a cache: not a fresh quote"
[ "$(cached)" = "allowed true" ] && pass || fail "second decision: the cached verdict was not used"
[ "$("$VMTRUST" --json hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml" | jq -r .host_verdict_cached)" = false ] &&
	pass || fail "a policy without verdict_cache_max_age used the cache"
printf 'evil2\n' >"$T/evil2"
vm -q attest measure --only "$T/evil2" >/dev/null
[ "$(cached)" = "denied false" ] && pass || fail "a new measurement did not invalidate the cached verdict"
[ ! -e "$VMTRUST_STATE/host-verdict.json" ] && pass || fail "a bad verdict left the cache"

# --- the cached host verdict: keyed on everything the verdict depended on ------
# Each change to the host makes the next decision attest afresh (the -v line
# says why); an unchanged host reuses the cached verdict, launch decisions
# measured in between included.
vm -q --policy "$T/empty.json" attest quote --nonce 04 --no-eventlog -o "$T/evidence-c.json"
vm -q policy init --from-evidence "$T/evidence-c.json" "${ENROLLMENT[@]}" -o "$T/base-c.json"
jq --slurpfile p "$T/policy.json" '. + {image_trust: $p[0].image_trust, verdict_cache_max_age: 3600}' \
	"$T/base-c.json" >"$T/policy-c.json"
# decide EXPECTED [WHY]: the decision is EXPECTED ("allowed true": allowed
# with the cached verdict) and the host verdict line of -v names WHY
decide() {
	local line
	run "$VMTRUST" -v --json --policy "$T/policy-c.json" hook run --uefi-log "$uefi_log" -- web1 prepare begin - <"$T/web1.xml"
	line=$(printf '%s' "$out" | jq -r '.verdict + " " + (.host_verdict_cached | tostring)')
	# (no grep -q in a pipe: with pipefail, an early exit fails the printf)
	if [ "$line" = "$1" ] && [[ $err == *"host verdict: "*"${2:-}"* ]]; then
		pass
	else
		fail "cache: expected '$1' (${2:-}), got '$line': $err"
	fi
}
# tpm_reset: a reboot as the TPM sees it (an orderly TPM2_Shutdown(CLEAR),
# _TPM_Init, TPM2_Startup(CLEAR)),
# then the measurement PCR extended again with every record of the log, in
# every bank: the same PCR values, the same log, only the reset count moved
tpm_reset() {
	tpm2_shutdown -c
	swtpm_ioctl --tcp "127.0.0.1:$((SWTPM_PORT + 1))" -i
	tpm2_startup -c 2>/dev/null || true
	python3 - "$VMTRUST_STATE/measurements.log" <<'EOF' | while read -r a; do tpm2_pcrextend "$a"; done
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("%d:%s" % (r["pcr"], ",".join(d["hashAlg"] + "=" + d["digest"] for d in r["digests"])))
EOF
}
zero40=$(printf '%040d' 0)
uefi_log=
decide "allowed false" "no verdict cached"
decide "allowed true" "the cached good verdict"
decide "allowed true" "the cached good verdict"
# the policy changed
jq '. + {description: "changed"}' "$T/policy-c.json" >"$T/p.tmp" && mv "$T/p.tmp" "$T/policy-c.json"
decide "allowed false" "the policy changed"
decide "allowed true" "the cached good verdict"
# a reboot that left every PCR and the log as they were
tpm_reset
run tpm2_readclock
[[ $out =~ reset_count:\ [1-9] ]] && pass || fail "the tpm was not reset: $out"
decide "allowed false" "the tpm was reset or restarted"
decide "allowed true" "the cached good verdict"
# a resume (TPM2_Shutdown(STATE), _TPM_Init, TPM2_Startup(STATE)): the PCRs
# restored, the restart count moved
tpm2_shutdown
swtpm_ioctl --tcp "127.0.0.1:$((SWTPM_PORT + 1))" -i
tpm2_startup
run tpm2_readclock
[[ $out =~ restart_count:\ [1-9] ]] && pass || fail "the tpm was not restarted: $out"
decide "allowed false" "the tpm was reset or restarted"
decide "allowed true" "the cached good verdict"
# a quoted PCR other than the measurement PCR, in the sha1 bank only
tpm2_pcrextend "7:sha1=$zero40"
decide "denied false" "a quoted pcr changed"
tpm_reset
decide "allowed false" "no verdict cached"
decide "allowed true" "the cached good verdict"
# the measurement PCR extended behind the log's back
tpm2_pcrextend "15:sha256=$(printf '%064d' 0)"
decide "denied false" "the measurement pcr holds more than the measurement log"
tpm_reset
decide "allowed false" "no verdict cached"
decide "allowed true" "the cached good verdict"
# the UEFI event log quoted with: none, then one with only its Spec ID
# event, then one event more that extends nothing (the PCRs stay the same)
python3 - "$T/uefi1" "$T/uefi2" <<'EOF'
import struct, sys
spec = b'Spec ID Event03\0' + struct.pack('<IBBBBI', 0, 0, 2, 0, 2, 1) + struct.pack('<HH', 0x0b, 32) + b'\0'
log = struct.pack('<II', 0, 3) + b'\0' * 20 + struct.pack('<I', len(spec)) + spec
open(sys.argv[1], 'wb').write(log)
data = b'StartupLocality\0\0'
no_action = struct.pack('<III', 0, 3, 1) + struct.pack('<H', 0x0b) + b'\0' * 32 + struct.pack('<I', len(data)) + data
open(sys.argv[2], 'wb').write(log + no_action)
EOF
uefi_log=$T/uefi1
decide "allowed false" "the uefi event log changed"
decide "allowed true" "the cached good verdict"
uefi_log=$T/uefi2
decide "allowed false" "the uefi event log changed"
uefi_log=
decide "allowed false" "the uefi event log changed"
decide "allowed true" "the cached good verdict"
# the measurement log appended to: a file measured
printf 'late\n' >"$T/late"
vm -q attest measure --only "$T/late" >/dev/null
decide "denied false" "something other than launch decisions was measured"
[ ! -e "$VMTRUST_STATE/host-verdict.json" ] && pass || fail "a bad verdict left the cache"

# --- the policy itself: a file only root can change; signed once a key is set up -
# The hook and disk unlock refuse a policy that someone else could have
# written (owner, group- or world-writable file or directory on its path),
# and once 'hook install --policy-key' put the operator's key next to it, a
# policy without a good signature by that key or older than the newest one
# accepted.
P=$T/etc/vmtrust
mkdir -p "$P"
chmod 755 "$T/etc" "$P"
vm -q --policy "$T/empty.json" attest quote --nonce 05 --no-eventlog -o "$T/evidence-t.json"
vm -q policy init --from-evidence "$T/evidence-t.json" "${ENROLLMENT[@]}" -o "$T/base-t.json"
jq --slurpfile p "$T/policy.json" '. + {image_trust: $p[0].image_trust, sequence: 5,
	key_release: {pcr_selection: {sha256: [7]}}}' "$T/base-t.json" >"$P/policy.json"
chmod 644 "$P/policy.json"
vm -q --policy "$P/policy.json" disk format --size 32M "$T/vol.img" >/dev/null
ph() { "$VMTRUST" --policy "$P/policy.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"; }
pu() { "$VMTRUST" -q --policy "$P/policy.json" disk unlock --uefi-log '' --check "$T/vol.img"; }
# refused: exit 1 from the hook (a denial), exit 2 from disk unlock (bad input)
refused() {
	expect 1 "^vmtrust: launch of 'web1' denied: no policy: policy '$P/policy.json': $1" ph
	expect 2 "^vmtrust: policy '$P/policy.json': $1" pu
}
expect 0 '' ph
expect 0 '' pu
chmod 664 "$P/policy.json"
refused "'$P/policy.json' is writable by its group \(mode 0664\)"
chmod 646 "$P/policy.json"
refused "'$P/policy.json' is writable by others \(mode 0646\)"
chmod 644 "$P/policy.json"
chmod 777 "$P"
refused "'$P' is writable by others \(mode 0777\)"
chmod 775 "$T/etc"
chmod 755 "$P"
refused "'$T/etc' is writable by its group \(mode 0775\)"
# a sticky directory that all may write (as /tmp) keeps others from
# replacing what root owns in it
chmod 1777 "$T/etc"
expect 0 '' ph
chmod 755 "$T/etc"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$P/policy.json"
	refused "'$P/policy.json' is owned by uid 65534, not root"
	chown 0 "$P/policy.json"
	chown 65534 "$T/etc"
	refused "'$T/etc' is owned by uid 65534, not root"
	chown 0 "$T/etc"
	# a symbolic link on the way is a node like the others
	ln -s "$P/policy.json" "$T/link.json"
	chown -h 65534 "$T/link.json"
	expect 1 "'$T/link.json' is owned by uid 65534, not root" \
		"$VMTRUST" --policy "$T/link.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
	chown -h 0 "$T/link.json"
	expect 0 '' "$VMTRUST" --policy "$T/link.json" hook run --uefi-log '' -- web1 prepare begin - <"$T/web1.xml"
fi
# the operator's key: install refuses a policy it does not sign, and writes nothing
openssl genpkey -algorithm ed25519 -out "$T/op.key"
openssl pkey -in "$T/op.key" -pubout -out "$T/op.pub"
openssl genpkey -algorithm ed25519 -out "$T/other.key"
expect 1 "policy '$P/policy.json' is not signed: no signature '$P/policy.json.sig'" \
	"$VMTRUST" --policy "$P/policy.json" hook install --hooks-dir "$T/h5" --no-reload --policy-key "$T/op.pub"
[ ! -e "$P/policy.pub" ] && [ ! -e "$T/h5/qemu" ] && pass || fail "a refused install left a key or a hook"
vm -q policy sign --key "$T/op.key" "$P/policy.json"
expect 0 '' "$VMTRUST" --policy "$P/policy.json" hook install --hooks-dir "$T/h5" --no-reload --policy-key "$T/op.pub"
[ "$(stat -c '%a %u' "$P/policy.pub")" = "644 $(id -u)" ] && cmp -s "$P/policy.pub" "$T/op.pub" && pass ||
	fail "policy key installed as $(stat -c '%a %u' "$P/policy.pub")"
[ "$(stat -c %a "$VMTRUST_STATE/policy-sequence")" = 600 ] && [ "$(cat "$VMTRUST_STATE/policy-sequence")" = 5 ] &&
	pass || fail "the accepted sequence was not recorded"
expect 0 '' ph
expect 0 '' pu
expect 0 '' "$T/h5/qemu" web1 prepare begin - <"$T/web1.xml"
cp "$P/policy.json" "$T/signed5.json"
cp "$P/policy.json.sig" "$T/signed5.sig"
# no signature
rm "$P/policy.json.sig"
expect 1 "no policy: policy '$P/policy.json' is not signed: no signature '$P/policy.json.sig'" ph
expect 1 "^vmtrust: policy '$P/policy.json' is not signed: no signature '$P/policy.json.sig'" pu
# a signature that does not verify: the policy changed after signing, or another key
jq '. + {description: "edited"}' "$T/signed5.json" >"$P/policy.json"
cp "$T/signed5.sig" "$P/policy.json.sig"
expect 1 "no policy: policy '$P/policy.json': signature '$P/policy.json.sig' does not verify with key '$P/policy.pub'" ph
expect 1 "^vmtrust: policy '$P/policy.json': signature '$P/policy.json.sig' does not verify with key '$P/policy.pub'" pu
vm -q policy sign --key "$T/other.key" "$P/policy.json"
expect 1 "signature '$P/policy.json.sig' does not verify with key '$P/policy.pub'" ph
expect 1 "signature '$P/policy.json.sig' does not verify with key '$P/policy.pub'" pu
# an older policy, well signed: a rollback
jq '.sequence = 4' "$T/signed5.json" >"$P/policy.json"
vm -q policy sign --key "$T/op.key" "$P/policy.json"
expect 1 "no policy: policy '$P/policy.json': sequence 4 is older than 5, the newest this host accepted: refusing a rollback" ph
expect 1 "^vmtrust: policy '$P/policy.json': sequence 4 is older than 5, the newest this host accepted: refusing a rollback" pu
# a newer one is accepted and raises the mark; the older one stays refused
jq '.sequence = 6' "$T/signed5.json" >"$P/policy.json"
vm -q policy sign --key "$T/op.key" "$P/policy.json"
expect 0 '' ph
[ "$(cat "$VMTRUST_STATE/policy-sequence")" = 6 ] && pass || fail "sequence 6 was not recorded"
cp "$T/signed5.json" "$P/policy.json"
cp "$T/signed5.sig" "$P/policy.json.sig"
expect 1 "sequence 5 is older than 6" ph
expect 1 "sequence 5 is older than 6" pu
# the key is held to the same rule as the policy
jq '.sequence = 6' "$T/signed5.json" >"$P/policy.json"
vm -q policy sign --key "$T/op.key" "$P/policy.json"
chmod 664 "$P/policy.pub"
expect 1 "no policy: policy key '$P/policy.pub': '$P/policy.pub' is writable by its group \(mode 0664\)" ph
chmod 644 "$P/policy.pub"
expect 0 '' ph
# policy check, an operator's tool, reads any file it is given
chmod 666 "$P/policy.json"
expect 0 '' "$VMTRUST" -q policy check "$P/policy.json"
chmod 644 "$P/policy.json"

# --- names from outside in one-line reasons and logs: escaped -------------------
# A domain name with a newline, DEL, an ANSI escape, a carriage return or
# invalid UTF-8 cannot forge a second line or repaint the terminal: every
# line out, the audit log and the measurement log carry it C-escaped.
jq --slurpfile p "$T/policy.json" '. + {image_trust: $p[0].image_trust, images: $p[0].images}' \
	"$T/base-t.json" >"$T/policy-n.json"
forged="web1
vmtrust: launch of 'web1' allowed"$'\x7f'
shown="web1\\nvmtrust: launch of 'web1' allowed\\x7f"
sed "s|<name>web1</name>|<name>web1\&#10;vmtrust: launch of 'web1' allowed\&#127;</name>|" "$T/web1.xml" >"$T/forged.xml"
before=$(wc -l <"$VMTRUST_STATE/launches.log")
expect 1 "^vmtrust: launch of 'web1" "$VMTRUST" --policy "$T/policy-n.json" hook run --uefi-log '' -- "$forged" prepare begin - <"$T/forged.xml"
[[ $err == "vmtrust: launch of '$shown' denied: vda: '$T/web.qcow2': image 'web' is not allowed for domain '$shown' by its policy rule" ]] &&
	pass || fail "forged name: $err"
[ "$(wc -l <"$VMTRUST_STATE/launches.log")" = $((before + 1)) ] && pass || fail "the audit record is not one line"
run jq -r '.domain + "|" + .reasons[0]' <(tail -n1 "$VMTRUST_STATE/launches.log")
[ "$out" = "$shown|vda: '$T/web.qcow2': image 'web' is not allowed for domain '$shown' by its policy rule" ] &&
	pass || fail "audit record of the forged name: $out"
run jq -r 'select(.content.type == "launch") | .content.description' <(tail -n1 "$VMTRUST_STATE/measurements.log")
[ "$out" = "$shown denied" ] && pass || fail "launch event of the forged name: $out"
# from libvirt's argument: an ANSI escape, a carriage return, invalid UTF-8,
# a C1 control; other UTF-8 as it is
ansi=$'web1\e[2K\r\xff\xc2\x9bвм'
expect 1 "" "$VMTRUST" --policy "$T/policy-n.json" hook run --uefi-log '' -- "$ansi" prepare begin - <"$T/web1.xml"
[[ $err == "vmtrust: launch of 'web1\\x1b[2K\\r\\xff\\u009bвм' denied: the domain xml names 'web1'" ]] &&
	pass || fail "escaped argument: $err"
# every line of -v as well: no raw control byte anywhere on stderr
run "$VMTRUST" -vv --policy "$T/policy-n.json" hook run --uefi-log '' -- "$forged" prepare begin - <"$T/forged.xml"
if [ "$rc" = 1 ] && ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$T/.err" &&
	[ "$(printf '%s\n' "$err" | grep -vc '^vmtrust: ')" = 0 ]; then
	pass
else
	fail "-vv lines of a forged name: $err"
fi

finish
