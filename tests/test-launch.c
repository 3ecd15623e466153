/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch/: the domain XML parser (what a VM runs from; what cannot be
 * verified is refused) and the hash-chained audit log, checked against the
 * launch events a real TPM (swtpm) measured. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest.h"
#include "launch-internal.h"
#include "swtpm-fixture.h"
#include "fixture.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
	n_errors = 0;
	last_error[0] = '\0';
}

static const char good_xml[] =
	"<domain type='qemu'>\n"
	"  <name>web1</name>\n"
	"  <uuid>7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11</uuid>\n"
	"  <os><type arch='x86_64'>hvm</type>\n"
	"    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>\n"
	"    <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>\n"
	"    <kernel>/boot/vmlinuz</kernel><initrd>/boot/initrd.img</initrd>\n"
	"  </os>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\n"
	"      <source file='/images/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='raw'/>\n"
	"      <source file='/images/data.img'><encryption format='luks'>\n"
	"        <secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source>\n"
	"      <target dev='vdb' bus='virtio'/></disk>\n"
	"    <disk type='block' device='disk'><driver name='qemu' type='raw'/>\n"
	"      <source dev='/dev/sdb'/><target dev='vdc'/><readonly/></disk>\n"
	"    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>\n"
	"  </devices>\n"
	"</domain>\n";

START_TEST(test_domain_good)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(launch_domain_parse(good_xml, strlen(good_xml), &d), 0);
	ck_assert_str_eq(d->name, "web1");
	ck_assert_str_eq(d->uuid, "7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11");
	ck_assert_str_eq(d->kernel, "/boot/vmlinuz");
	ck_assert_str_eq(d->initrd, "/boot/initrd.img");
	ck_assert_str_eq(d->loader, "/usr/share/OVMF/OVMF_CODE.fd");
	ck_assert_str_eq(d->nvram_template, "/usr/share/OVMF/OVMF_VARS.fd");
	ck_assert_uint_eq(d->n_disks, 4);
	ck_assert_str_eq(d->disks[0].source, "/images/web1.qcow2");
	ck_assert_str_eq(d->disks[0].format, "qcow2");
	ck_assert_str_eq(d->disks[0].target, "vda");
	ck_assert(!d->disks[0].encrypted);
	ck_assert(d->disks[1].encrypted);
	ck_assert_str_eq(d->disks[1].secret_uuid, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f");
	ck_assert(d->disks[2].block);
	ck_assert(d->disks[2].readonly);
	ck_assert_str_eq(d->disks[2].source, "/dev/sdb");
	ck_assert_ptr_null(d->disks[3].source);   /* an empty cdrom */
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* What virt-install / virt-manager write for a desktop guest, and what
 * libvirt adds: accepted as a whole by the allow-list. */
static const char full_xml[] =
	"<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	"  <name>desk</name><uuid>2d6c3b7e-8f1a-4c3d-9e5b-1a2b3c4d5e6f</uuid>\n"
	"  <metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
	"<libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo></metadata>\n"
	"  <memory unit='KiB'>4194304</memory><currentMemory unit='KiB'>4194304</currentMemory>\n"
	"  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n"
	"  <vcpu placement='static'>4</vcpu>\n"
	"  <resource><partition>/machine</partition></resource>\n"
	"  <sysinfo type='smbios'><system><entry name='manufacturer'>ACME</entry></system></sysinfo>\n"
	"  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
	"    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>\n"
	"    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/desk_VARS.fd</nvram>\n"
	"    <boot dev='hd'/><bootmenu enable='yes'/><smbios mode='sysinfo'/></os>\n"
	"  <features><acpi/><apic/><vmport state='off'/><smm state='on'/></features>\n"
	"  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
	"  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='hpet' present='no'/></clock>\n"
	"  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>\n"
	"  <pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>\n"
	"  <devices>\n"
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
	"    <disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/>\n"
	"      <source file='/var/lib/libvirt/images/desk.qcow2'/><target dev='vda' bus='virtio'/>\n"
	"      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></disk>\n"
	"    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/>"
	"<readonly/><address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>\n"
	"    <controller type='usb' index='0' model='qemu-xhci' ports='15'/>\n"
	"    <controller type='pci' index='1' model='pcie-root-port'><model name='pcie-root-port'/>"
	"<target chassis='1' port='0x10'/></controller>\n"
	"    <interface type='network'><mac address='52:54:00:6b:3c:58'/><source network='default'/>"
	"<model type='virtio'/><filterref filter='clean-traffic'/><link state='up'/><tune><sndbuf>1600</sndbuf></tune>"
	"<coalesce><rx><frames max='7'/></rx></coalesce><port isolated='yes'/></interface>\n"
	"    <interface type='bridge'><source bridge='br0'/><model type='virtio'/>"
	"<target dev='vnet7'/><bandwidth><inbound average='1000'/></bandwidth></interface>\n"
	"    <interface type='user'><model type='e1000e'/></interface>\n"
	"    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>\n"
	"    <console type='pty'><target type='serial' port='0'/></console>\n"
	"    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"
	"    <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>\n"
	"    <input type='tablet' bus='usb'/><input type='mouse' bus='ps2'/>\n"
	"    <graphics type='spice' autoport='yes'><listen type='address'/><image compression='off'/>"
	"<gl enable='no'/></graphics>\n"
	"    <sound model='ich9'/><audio id='1' type='spice'/>\n"
	"    <video><model type='virtio' heads='1' primary='yes'><acceleration accel3d='no'/></model></video>\n"
	"    <redirdev bus='usb' type='spicevmc'/><redirdev bus='usb' type='spicevmc'/>\n"
	"    <memballoon model='virtio'/>\n"
	"    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
	"    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\n"
	"    <watchdog model='itco' action='reset'/>\n"
	"  </devices>\n"
	"  <seclabel type='dynamic' model='apparmor' relabel='yes'/>\n"
	"</domain>\n";

START_TEST(test_domain_full)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(launch_domain_parse(full_xml, strlen(full_xml), &d), 0);
	ck_assert_uint_eq(n_errors, 0);
	ck_assert_str_eq(d->emulator, "/usr/bin/qemu-system-x86_64");
	ck_assert_uint_eq(d->n_disks, 2);
	ck_assert_uint_eq(d->n_interfaces, 3);
	ck_assert_str_eq(d->interfaces[0].type, "network");
	ck_assert_str_eq(d->interfaces[0].source, "default");
	ck_assert_str_eq(d->interfaces[0].filter, "clean-traffic");
	ck_assert_str_eq(d->interfaces[0].mac, "52:54:00:6b:3c:58");
	ck_assert_str_eq(d->interfaces[1].type, "bridge");
	ck_assert_str_eq(d->interfaces[1].source, "br0");
	ck_assert_ptr_null(d->interfaces[1].filter);
	ck_assert_str_eq(d->interfaces[2].type, "user");
	ck_assert_ptr_null(d->interfaces[2].source);
}
END_TEST

#define DOM(devices) "<domain type='qemu'><name>x</name><devices>" devices "</devices></domain>"
#define DOMX(top) "<domain type='qemu'><name>x</name>" top "</domain>"
#define QNS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
#define CHR(el, type, inner) "<" el " type='" type "'>" inner "<target port='0'/></" el ">"

static const struct bad_xml {
	const char *xml;
	int err;
	const char *reason;
} bad_xmls[] = {
	{ "<domain><name>x</name>", -EBADMSG, "domain: malformed xml" },
	{ "not xml at all", -EBADMSG, "domain: malformed xml" },
	{ "<vm><name>x</name></vm>", -EBADMSG, "the root element is not <domain>" },
	{ "<domain><devices/></domain>", -EBADMSG, "domain: no <name>" },
	{ "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/shadow'>]><domain><name>&x;</name></domain>",
	  -EOPNOTSUPP, "with a DTD is not accepted" },
	{ DOM("<disk type='network' device='disk'><source protocol='nbd' name='x'><host name='10.0.0.1'/></source>"
	      "<target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "source type 'network' cannot be verified" },
	{ DOM("<disk type='volume' device='disk'><source pool='p' volume='v'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "source type 'volume' cannot be verified" },
	{ DOM("<disk device='disk'><source file='/a'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "source type '(none)'" },
	{ DOM("<disk type='file' device='disk'><source file='images/a.qcow2'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "'images/a.qcow2' is not an absolute path" },
	{ DOM("<disk type='file' device='disk'><target dev='vda'/></disk>"), -EOPNOTSUPP, "has no source" },
	{ DOM("<disk type='file' device='disk'><source file='/a'/><backingStore type='file'>"
	      "<format type='qcow2'/><source file='/evil'/></backingStore><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "an explicit <backingStore> is not accepted" },
	{ DOM("<filesystem type='mount'><source dir='/'/><target dir='root'/></filesystem>"), -EOPNOTSUPP,
	  "<filesystem> passthrough" },
	{ "<domain><name>x</name><os><kernel>vmlinuz</kernel></os></domain>", -EOPNOTSUPP,
	  "kernel 'vmlinuz' is not an absolute path" },

	/* class 1: hypervisor passthrough, with and without the usual prefix */
	{ "<domain type='kvm' " QNS "><name>x</name><qemu:commandline><qemu:arg value='-hda'/>"
	  "<qemu:arg value='/evil.img'/></qemu:commandline></domain>",
	  -EOPNOTSUPP, "domain: /domain/qemu:commandline: qemu passthrough" },
	{ "<domain type='kvm' " QNS "><name>x</name><qemu:commandline><qemu:env name='LD_PRELOAD' "
	  "value='/tmp/x.so'/></qemu:commandline></domain>",
	  -EOPNOTSUPP, "/domain/qemu:commandline: qemu passthrough" },
	{ "<domain type='kvm' " QNS "><name>x</name><qemu:override><qemu:device alias='ua-disk'>"
	  "<qemu:frontend><qemu:property name='drive' type='string' value='x'/></qemu:frontend>"
	  "</qemu:device></qemu:override></domain>",
	  -EOPNOTSUPP, "/domain/qemu:override: qemu passthrough" },
	{ "<domain type='kvm' " QNS "><name>x</name><qemu:capabilities><qemu:del capability='blockdev'/>"
	  "</qemu:capabilities></domain>",
	  -EOPNOTSUPP, "/domain/qemu:capabilities: qemu passthrough" },
	{ "<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'><name>x</name>"
	  "<q:commandline><q:arg value='-incoming'/><q:arg value='tcp:0:4444'/></q:commandline></domain>",
	  -EOPNOTSUPP, "/domain/q:commandline: qemu passthrough" },
	{ "<domain type='kvm'><name>x</name><devices><commandline xmlns='http://libvirt.org/schemas/domain/qemu/1.0'>"
	  "<arg value='-kernel'/></commandline></devices></domain>",
	  -EOPNOTSUPP, "/domain/devices/*: an element of another namespace is passed through" },
	{ "<domain type='lxc' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'><name>x</name>"
	  "<lxc:namespace><lxc:sharenet type='netns' value='red'/></lxc:namespace></domain>",
	  -EOPNOTSUPP, "/domain/lxc:namespace: an element of another namespace" },
	{ DOM("<disk type='file' device='disk' xmlns:z='urn:z' z:x='1'><source file='/a'/></disk>"),
	  -EOPNOTSUPP, "/domain/devices/disk/@z:x: an attribute of another namespace" },

	/* class 2: host devices of every kind */
	{ DOM("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' "
	      "function='0'/></source></hostdev>"),
	  -EOPNOTSUPP, "/domain/devices/hostdev: host device assignment" },
	{ DOM("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
	      "<address bus='0' target='0' unit='0'/></source></hostdev>"),
	  -EOPNOTSUPP, "/domain/devices/hostdev: host device assignment" },
	{ DOM("<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev>"),
	  -EOPNOTSUPP, "/domain/devices/hostdev: host device assignment" },
	{ DOM("<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>"),
	  -EOPNOTSUPP, "/domain/devices/input: an input device of type 'passthrough' is not accepted" },
	{ DOM("<smartcard mode='host'/>"), -EOPNOTSUPP, "/domain/devices/smartcard: a smartcard backed by the host" },
	{ DOM("<redirdev bus='usb' type='tcp'><source mode='connect' host='1.2.3.4' service='4000'/></redirdev>"),
	  -EOPNOTSUPP, "/domain/devices/redirdev: usb redirection" },
	/* memory from host files */
	{ DOMX("<memoryBacking><source type='file'/></memoryBacking>"), -EOPNOTSUPP,
	  "/domain/memoryBacking/source: guest memory backed by a host file" },
	{ DOM("<memory model='nvdimm'><source><path>/tmp/nvdimm</path></source><target><size unit='KiB'>524288"
	      "</size><node>0</node></target></memory>"),
	  -EOPNOTSUPP, "/domain/devices/memory: a memory device of model 'nvdimm'" },
	{ DOM("<memory model='virtio-pmem' access='shared'><source><path>/tmp/pmem</path></source></memory>"),
	  -EOPNOTSUPP, "/domain/devices/memory: a memory device of model 'virtio-pmem'" },
	{ DOM("<memory model='dimm'><source><path>/tmp/x</path></source></memory>"),
	  -EOPNOTSUPP, "/domain/devices/memory/source/path: an element vmtrust does not know" },
	{ DOM("<shmem name='ivshmem'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>"),
	  -EOPNOTSUPP, "/domain/devices/shmem: shared memory" },
	/* firmware blobs */
	{ DOMX("<os><type>hvm</type><acpi><table type='slic'>/tmp/slic.dat</table></acpi></os>"), -EOPNOTSUPP,
	  "/domain/os/acpi: acpi tables from host files" },
	{ DOMX("<os><type>hvm</type><dtb>/tmp/evil.dtb</dtb></os>"), -EOPNOTSUPP, "/domain/os/dtb: a device tree" },
	{ DOMX("<os><type>hvm</type><nvram>/tmp/my_VARS.fd</nvram></os>"), -EOPNOTSUPP,
	  "/domain/os/nvram: an nvram file without a template" },
	{ DOMX("<os><type>hvm</type><nvram type='file'><source file='/tmp/v.fd'/></nvram></os>"), -EOPNOTSUPP,
	  "/domain/os/nvram: an nvram file without a template" },
	/* the variable store: libvirt's own for this domain, never another host file */
	{ DOMX("<os><type>hvm</type><nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/etc/shadow</nvram></os>"),
	  -EOPNOTSUPP, "/domain/os/nvram: '/etc/shadow' is not libvirt's variable store for this domain "
	  "('/var/lib/libvirt/qemu/nvram/x_VARS.fd')" },
	{ DOMX("<os><type>hvm</type><nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/y_VARS.fd</nvram></os>"),
	  -EOPNOTSUPP, "is not libvirt's variable store for this domain" },
	{ DOMX("<os><type>hvm</type><nvram template='/usr/share/OVMF/OVMF_VARS.fd'>relative/x</nvram></os>"),
	  -EOPNOTSUPP, "is not libvirt's variable store for this domain" },
	/* an image read at an offset */
	{ DOM("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/a.qcow2'>"
	      "<slices><slice type='storage' offset='327680' size='327680'/></slices></source>"
	      "<target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "/domain/devices/disk/source/slices: a slice of an image is read at an offset" },
	/* a keymap QEMU would read as a file */
	{ DOM("<graphics type='vnc' keymap='/etc/shadow'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics: keymap '/etc/shadow' is not a layout name" },
	{ DOM("<graphics type='spice' keymap='../../x'/>"), -EOPNOTSUPP, "keymap '../../x' is not a layout name" },
	{ DOMX("<sysinfo type='fwcfg'><entry name='opt/com.example/blob' file='/etc/shadow'/></sysinfo>"),
	  -EOPNOTSUPP, "/domain/sysinfo/entry/@file: a firmware config entry from a host file" },
	{ DOMX("<sysinfo type='smbios'><bios><entry name='vendor'>x</entry></bios></sysinfo>"
	       "<os><type>hvm</type><smbios mode='sysinfo'/></os><devices><rom file='/x'/></devices>"),
	  -EOPNOTSUPP, "/domain/devices/rom: an element vmtrust does not know" },
	{ DOM("<interface type='network'><source network='default'/><rom file='/tmp/efi.rom'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/rom/@file: an option rom from a host file" },
	/* tpm */
	{ DOM("<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>"),
	  -EOPNOTSUPP, "/domain/devices/tpm/backend: a tpm backend of type 'passthrough'" },
	{ DOM("<tpm model='tpm-crb'><backend type='external'><source type='unix' mode='connect' path='/tmp/s'/>"
	      "</backend></tpm>"),
	  -EOPNOTSUPP, "/domain/devices/tpm/backend: a tpm backend of type 'external'" },
	/* interfaces that bypass libvirt's networking */
	{ DOM("<interface type='direct'><source dev='eth0' mode='vepa'/></interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface: an interface of type 'direct' bypasses" },
	{ DOM("<interface type='hostdev' managed='yes'><source><address type='pci' bus='0x02'/></source>"
	      "</interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface: an interface of type 'hostdev' bypasses" },
	{ DOM("<interface type='ethernet'><target dev='mytap1' managed='no'/></interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface: an interface of type 'ethernet' bypasses" },
	{ DOM("<interface type='vhostuser'><source type='unix' path='/tmp/vhost1.sock' mode='server'/>"
	      "</interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface: an interface of type 'vhostuser' bypasses" },
	{ DOM("<interface type='bridge'><source bridge='br0'/><target dev='tap0' managed='no'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/target: an unmanaged tap device" },
	{ DOM("<interface type='bridge'><source bridge='br0'/><script path='/tmp/ifup'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/script: a host script" },
	{ DOM("<interface type='network'><source network='default'/><backend tap='/dev/mytap'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/backend/@tap: an attribute vmtrust does not know" },
	{ DOM("<interface type='network'><source network='default' dev='eth0'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/source/@dev: not a source of an interface of type 'network'" },
	/* sVirt switched off */
	{ DOMX("<seclabel type='none'/>"), -EOPNOTSUPP, "/domain/seclabel: a seclabel of type 'none'" },
	{ DOMX("<seclabel type='dynamic' model='none'/>"), -EOPNOTSUPP, "/domain/seclabel: seclabel model 'none'" },
	{ DOMX("<seclabel type='dynamic' model='selinux' relabel='no'/>"), -EOPNOTSUPP,
	  "/domain/seclabel: seclabel relabel='no'" },
	{ DOMX("<seclabel type='static' model='dac' relabel='yes'><label>+0:+0</label></seclabel>"), -EOPNOTSUPP,
	  "/domain/seclabel: a seclabel of type 'static'" },
	{ DOMX("<seclabel type='dynamic' model='selinux'><baselabel>system_u:system_r:unconfined_t:s0</baselabel>"
	       "</seclabel>"),
	  -EOPNOTSUPP, "/domain/seclabel/baselabel: a seclabel base label" },
	{ DOM("<disk type='file' device='disk'><source file='/a'><seclabel model='selinux' relabel='no'/></source>"
	      "<target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "/domain/devices/disk/source/seclabel: seclabel relabel='no'" },
	/* character devices on files, sockets, pipes, host devices */
	{ DOM(CHR("serial", "file", "<source path='/etc/cron.d/x'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial: a character device of type 'file'" },
	{ DOM(CHR("serial", "unix", "<source mode='bind' path='/tmp/s'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial: a character device of type 'unix'" },
	{ DOM(CHR("console", "dev", "<source path='/dev/ttyS0'/>")), -EOPNOTSUPP,
	  "/domain/devices/console: a character device of type 'dev'" },
	{ DOM(CHR("parallel", "pipe", "<source path='/tmp/p'/>")), -EOPNOTSUPP,
	  "/domain/devices/parallel: a character device of type 'pipe'" },
	{ DOM(CHR("serial", "tcp", "<source mode='bind' host='0.0.0.0' service='2445'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial: a character device of type 'tcp'" },
	{ DOM("<channel type='unix'><source mode='bind' path='/run/x.sock'/><target type='virtio' name='a'/>"
	      "</channel>"),
	  -EOPNOTSUPP, "/domain/devices/channel: a character device of type 'unix'" },
	{ DOM(CHR("serial", "pty", "<log file='/etc/passwd' append='on'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial/log: a log file on the host" },
	{ DOM(CHR("serial", "stdio", "<source path='/tmp/x'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial/source: a host path here is not verified" },
	{ DOM("<rng model='virtio'><backend model='random'>/dev/sda</backend></rng>"), -EOPNOTSUPP,
	  "/domain/devices/rng/backend: the entropy source '/dev/sda'" },
	{ DOM("<rng model='virtio'><backend model='egd' type='unix'><source mode='connect' path='/tmp/e'/>"
	      "</backend></rng>"),
	  -EOPNOTSUPP, "/domain/devices/rng/backend: a character device of type 'unix'" },
	/* other host paths and sockets */
	{ DOM("<graphics type='vnc' socket='/tmp/vnc.sock'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/@socket: a host socket path" },
	{ DOM("<graphics type='spice'><listen type='socket' socket='/tmp/spice.sock'/></graphics>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/listen/@socket: a host socket path" },
	{ DOM("<graphics type='sdl' display=':0' xauth='/root/.Xauthority'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics: graphics of type 'sdl'" },
	{ DOM("<graphics type='spice'><gl rendernode='/dev/dri/renderD128'/></graphics>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/gl/@rendernode: a host render node" },
	/* host resources libvirt picks after the hook ran (libvirt 9.0 runs
	 * "prepare begin" before firmware autoselection and before it looks
	 * for a render node: the XML the hook sees names neither) */
	{ DOMX("<os firmware='efi'><type>hvm</type></os>"), -EOPNOTSUPP,
	  "/domain/os/@firmware: firmware autoselection: libvirt picks the loader and nvram template" },
	{ DOMX("<os firmware='bios'><type>hvm</type></os>"), -EOPNOTSUPP, "/domain/os/@firmware: firmware autoselection" },
	{ DOMX("<os><type>hvm</type><firmware><feature enabled='yes' name='secure-boot'/></firmware></os>"),
	  -EOPNOTSUPP, "/domain/os/firmware: firmware autoselection" },
	{ DOMX("<os><type>hvm</type><loader readonly='yes' type='pflash'/></os>"), -EOPNOTSUPP,
	  "domain: loader '' is not an absolute path" },
	/* a writable firmware file: the guest would rewrite the verified code */
	{ DOMX("<os><type>hvm</type><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"), -EOPNOTSUPP,
	  "/domain/os/loader: a pflash loader without readonly='yes' lets the guest rewrite the verified firmware code" },
	{ DOMX("<os><type>hvm</type><loader readonly='no' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"),
	  -EOPNOTSUPP, "/domain/os/loader: a pflash loader without readonly='yes'" },
	{ DOMX("<os><type>hvm</type><loader>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"), -EOPNOTSUPP,
	  "/domain/os/loader: a pflash loader without readonly='yes'" },
	{ DOMX("<os><type>hvm</type><loader readonly='yes' type='flash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"),
	  -EOPNOTSUPP, "/domain/os/loader: a loader of type 'flash' is not accepted: only rom and pflash" },
	{ DOM(CHR("serial", "pty", "<source path='/dev/sda'/>")), -EOPNOTSUPP,
	  "/domain/devices/serial/source: a pty's path '/dev/sda' is not a pseudo-terminal (/dev/pts/N)" },
	{ DOM("<console tty='/etc/shadow'><target type='serial' port='0'/></console>"), -EOPNOTSUPP,
	  "/domain/devices/console: tty '/etc/shadow' is not a pseudo-terminal (/dev/pts/N)" },
	/* nwfilter parameters weaken the filter the policy requires */
	{ DOM("<interface type='network'><source network='default'/><filterref filter='clean-traffic'>"
	      "<parameter name='IP' value='GATEWAY'/></filterref></interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/filterref/parameter: an nwfilter parameter changes what the filter the policy "
	  "requires lets through" },
	{ DOM("<interface type='network'><source network='default'/><filterref filter='clean-traffic'>"
	      "<parameter name='CTRL_IP_LEARNING' value='none'/></filterref></interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/filterref/parameter: an nwfilter parameter" },
	/* what picks another segment than the network or bridge named */
	{ DOM("<interface type='bridge'><source bridge='br0'/><vlan trunk='yes'><tag id='42'/><tag id='47'/></vlan>"
	      "</interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/vlan: a vlan tag or trunk puts the interface on another segment than the network "
	  "or bridge it names" },
	{ DOM("<interface type='network'><source network='default'/><vlan><tag id='42'/></vlan></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/vlan: a vlan tag or trunk" },
	{ DOM("<interface type='bridge'><source bridge='ovsbr0'/><virtualport type='openvswitch'>"
	      "<parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/virtualport: a virtual port profile (openvswitch, 802.1Qbh, "
	  "802.1Qbg, midonet) picks the segment the interface joins beyond the network or bridge it names" },
	{ DOM("<interface type='network'><source network='default'/><virtualport type='802.1Qbh'>"
	      "<parameters profileid='finance'/></virtualport></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/virtualport: a virtual port profile" },
	{ DOM("<interface type='network'><source network='default' portgroup='engineering'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/source/@portgroup: a portgroup applies its own vlan and virtual "
	  "port: the interface would join another segment than the network's" },
	{ DOM("<interface type='user'><route family='ipv4' address='10.0.0.0' prefix='8' gateway='10.1.1.1'/>"
	      "</interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/route: a host route for the interface changes where its traffic goes" },
	{ DOM("<interface type='network'><source network='default'/><teaming type='transient' persistent='ua-b'/>"
	      "</interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/teaming: failover teaming hands the guest's traffic to another interface" },
	{ DOM("<interface type='network'><source network='default'/><tune><sndbuf>1</sndbuf><vhost/></tune>"
	      "</interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/tune/vhost: an element vmtrust does not know" },
	{ DOM("<interface type='network'><source network='default'/><bandwidth><inbound average='1' "
	      "file='/x'/></bandwidth></interface>"), -EOPNOTSUPP,
	  "/domain/devices/interface/bandwidth/inbound/@file: an attribute vmtrust does not know" },
	{ DOM("<interface type='user'><ip address='192.168.100.0' family='ipv4' prefix='24'><x/></ip></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/ip/x: an element vmtrust does not know" },
	{ DOMX("<os><type>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
	       "<nvram>/var/lib/libvirt/qemu/nvram/x_VARS.fd</nvram></os>"),
	  -EOPNOTSUPP, "/domain/os/nvram: an nvram file without a template" },
	{ DOM("<graphics type='egl-headless'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics: graphics of type 'egl-headless' render on a host render node libvirt picks" },
	{ DOM("<graphics type='spice'><listen type='none'/><gl enable='yes'/></graphics>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/gl: opengl opens a host render node libvirt picks" },
	{ DOM("<graphics type='dbus'><gl enable='yes'/></graphics>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/gl: opengl opens a host render node" },
	{ DOM("<video><model type='virtio'><acceleration accel3d='yes'/></model></video>"), -EOPNOTSUPP,
	  "/domain/devices/video/model/acceleration: 3d acceleration opens a host render node" },
	{ DOM("<video><driver name='vhostuser'/><model type='virtio'/></video>"), -EOPNOTSUPP,
	  "/domain/devices/video/driver: a video driver 'vhostuser' is a host program libvirt picks" },
	{ DOMX("<os><type>hvm</type><smbios mode='host'/></os>"), -EOPNOTSUPP,
	  "/domain/os/smbios: smbios mode 'host' hands the guest the host's own tables" },
	{ DOM("<vsock model='virtio'><cid auto='yes'/></vsock>"), -EOPNOTSUPP,
	  "/domain/devices/vsock: a vsock device opens the host's /dev/vhost-vsock" },
	/* allow-lists where there were deny-lists */
	{ DOM("<graphics type='sdl' display=':0' xauth='/root/.Xauthority'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics: graphics of type 'sdl'" },
	{ DOM("<graphics type='vnc' xauth='/root/.Xauthority'/>"), -EOPNOTSUPP,
	  "/domain/devices/graphics/@xauth: an attribute vmtrust does not know" },
	{ DOM("<video><model type='virtio' romfile='/tmp/x'/></video>"), -EOPNOTSUPP,
	  "/domain/devices/video/model/@romfile: an attribute vmtrust does not know" },
	{ DOM("<input type='joystick' bus='virtio'/>"), -EOPNOTSUPP,
	  "/domain/devices/input: an input device of type 'joystick' is not accepted" },
	{ DOMX("<seclabel type='dynamic' model='smack'/>"), -EOPNOTSUPP,
	  "/domain/seclabel: seclabel model 'smack' is not one vmtrust knows" },
	{ DOM("<interface type='bridge'><source bridge='br0'/><target dev='tap0' managed='maybe'/></interface>"),
	  -EOPNOTSUPP, "/domain/devices/interface/target: an unmanaged tap device" },
	{ DOM("<audio id='1' type='file' path='/tmp/a.wav'/>"), -EOPNOTSUPP,
	  "/domain/devices/audio: an audio backend of type 'file'" },
	{ DOM("<lease><lockspace>s</lockspace><key>k</key><target path='/tmp/lease'/></lease>"), -EOPNOTSUPP,
	  "/domain/devices/lease: a lock lease" },
	{ DOM("<pstore backend='acpi-erst'><path>/tmp/erst</path><size unit='KiB'>8</size></pstore>"), -EOPNOTSUPP,
	  "/domain/devices/pstore: a pstore backend" },
	{ DOM("<disk type='file' device='disk'><source file='/a'><dataStore type='file'><format type='raw'/>"
	      "<source file='/b'/></dataStore></source><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "/domain/devices/disk/source/dataStore: an external data file" },
	{ DOM("<disk type='dir' device='floppy'><source dir='/etc'/><target dev='fda'/></disk>"), -EOPNOTSUPP,
	  "source type 'dir' cannot be verified" },
	{ DOM("<disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'><address "
	      "domain='0' bus='1' slot='0' function='0'/></source><target dev='vde'/></disk>"),
	  -EOPNOTSUPP, "source type 'nvme' cannot be verified" },
	{ DOM("<disk type='vhostuser' device='disk'><source type='unix' path='/tmp/vhost-blk.sock'/>"
	      "<target dev='vdb'/></disk>"),
	  -EOPNOTSUPP, "source type 'vhostuser' cannot be verified" },
	{ DOMX("<bootloader>/usr/bin/pygrub</bootloader>"), -EOPNOTSUPP, "/domain/bootloader: a host bootloader" },
	{ DOMX("<launchSecurity type='tdx'><policy>0x10000000</policy><quoteGenerationService path='/run/qgs.sock'/>"
	       "</launchSecurity>"),
	  -EOPNOTSUPP, "/domain/launchSecurity/quoteGenerationService: a host socket" },
	{ DOMX("<blkiotune><device><path>/dev/sda</path><weight>1000</weight></device></blkiotune>"), -EOPNOTSUPP,
	  "/domain/blkiotune/device: tuning of a host block device" },
	{ DOMX("<resource><partition>/</partition></resource>"), -EOPNOTSUPP,
	  "/domain/resource/partition: a resource partition outside /machine" },
	/* unknown: denied with its XPath, whatever it is */
	{ DOM("<disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk><gadget/>"),
	  -EOPNOTSUPP, "/domain/devices/gadget: an element vmtrust does not know" },
	{ DOM("<disk type='file' device='disk' wormhole='/x'><source file='/a'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "/domain/devices/disk/@wormhole: an attribute vmtrust does not know" },
	{ DOMX("<os><type>hvm</type><shim>/tmp/shim.efi</shim></os>"), -EOPNOTSUPP,
	  "/domain/os/shim: an element vmtrust does not know" },
	/* read twice: libvirt takes the first, or all */
	{ DOMX("<os><type>hvm</type><kernel>/a</kernel><kernel>/b</kernel></os>"), -EOPNOTSUPP,
	  "/domain/os/kernel[2]: <kernel> is given more than once" },
	{ DOMX("<os><type>hvm</type></os><os><type>hvm</type><kernel>/b</kernel></os>"), -EOPNOTSUPP,
	  "/domain/os[2]: <os> is given more than once" },
	{ DOMX("<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
	       "<devices><emulator>/tmp/qemu</emulator></devices>"),
	  -EOPNOTSUPP, "/domain/devices[2]/emulator: <emulator> is given more than once" },
	{ DOMX("<devices/><devices><disk type='file' device='disk'><source file='rel'/><target dev='vda'/>"
	       "</disk></devices>"),
	  -EOPNOTSUPP, "'rel' is not an absolute path" },
	/* handed over by descriptor: the whole chain, each layer with its own fdgroup */
	{ DOM("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	      "<source file='/a' fdgroup='vmtrust-vda-0'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "must name its whole backing chain, ending in an empty <backingStore/>" },
	{ DOM("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	      "<source file='/a' fdgroup='vmtrust-vda-0'/><backingStore type='file'><format type='raw'/>"
	      "<source file='/b'/><backingStore/></backingStore><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "must be of type 'file' with a <format> and a <source file=... fdgroup=...>" },
	{ DOM("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a'/>"
	      "<backingStore type='file'><format type='raw'/><source file='/b' fdgroup='g'/><backingStore/>"
	      "</backingStore><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "an explicit <backingStore> is not accepted" },
	{ DOM("<disk type='block' device='disk'><driver name='qemu' type='raw'/>"
	      "<source dev='/dev/sda' fdgroup='g'/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "an fdgroup on a block device is not accepted" },
	{ DOM("<disk type='file' device='disk'><source file='/a' fdgroup='g'/><backingStore/><target dev='vda'/></disk>"),
	  -EOPNOTSUPP, "must declare its format" },
	/* what a disk by descriptor lifts holds for its chain only */
	{ DOM("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/a' fdgroup='g'/>"
	      "<backingStore/><target dev='vda'/></disk>"
	      "<interface type='network'><source network='default'/><actual type='network'/></interface>"),
	  -EOPNOTSUPP, "an element of libvirt's status files is not accepted in a domain to start" },
};

START_TEST(test_domain_fdgroup)
{
	static const char xml[] =
		DOM("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
		    "<source file='/i/top.qcow2' fdgroup='vmtrust-vda-0'/>"
		    "<backingStore type='file'><format type='qcow2'/><source file='/i/mid.qcow2' fdgroup='vmtrust-vda-1'/>"
		    "<backingStore type='file'><format type='raw'/><source file='/i/base.raw' fdgroup='vmtrust-vda-2'/>"
		    "<backingStore/></backingStore></backingStore><target dev='vda'/></disk>"
		    "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/i/b.raw'/>"
		    "<target dev='vdb'/></disk>");
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(launch_domain_parse(xml, strlen(xml), &d), 0);
	ck_assert_uint_eq(d->n_disks, 2);
	ck_assert_str_eq(d->disks[0].fdgroup, "vmtrust-vda-0");
	ck_assert_uint_eq(d->n_backing, 2);
	ck_assert_str_eq(d->backing[0].target, "vda");
	ck_assert_str_eq(d->backing[0].path, "/i/mid.qcow2");
	ck_assert_str_eq(d->backing[0].format, "qcow2");
	ck_assert_str_eq(d->backing[0].fdgroup, "vmtrust-vda-1");
	ck_assert_str_eq(d->backing[1].path, "/i/base.raw");
	ck_assert_str_eq(d->backing[1].format, "raw");
	ck_assert_str_eq(d->backing[1].fdgroup, "vmtrust-vda-2");
	ck_assert_ptr_null(d->disks[1].fdgroup);
}
END_TEST

START_TEST(test_domain_bad)
{
	const struct bad_xml *c = &bad_xmls[_i];
	struct launch_domain *d = NULL;

	ck_assert_int_eq(launch_domain_parse(c->xml, strlen(c->xml), &d), c->err);
	ck_assert_ptr_null(d);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, c->reason), "'%s' lacks '%s'", last_error, c->reason);
}
END_TEST

START_TEST(test_domain_truncated)
{
	/* every prefix: no crash, and never a domain with fewer disks than asked */
	for (size_t len = 0; len < strlen(good_xml) - 1; len++) {
		struct launch_domain *d = NULL;
		char *copy = malloc(len + 1);

		memcpy(copy, good_xml, len);
		copy[len] = '\0';
		ck_assert_int_lt(launch_domain_parse(copy, len, &d), 0);
		ck_assert_ptr_null(d);
		free(copy);
	}
}
END_TEST

START_TEST(test_domain_oversized)
{
	size_t len = LAUNCH_XML_MAX + 1;
	char *big = malloc(len);
	struct launch_domain *d = NULL;

	memset(big, ' ', len);
	ck_assert_int_eq(launch_domain_parse(big, len, &d), -EFBIG);
	free(big);
}
END_TEST

/* ---- audit log ---- */

static char dir[64];

static void setup_dir(void)
{
	setup();
	snprintf(dir, sizeof(dir), "/tmp/vmtrust-launch-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown_dir(void)
{
	swtpm_fixture_rm_rf(dir);
}

static void append(const char *domain, bool allowed, uint8_t digest[32])
{
	static const char *const reasons[] = { "image 'a.qcow2': chunk 3 digest mismatch" };
	struct launch_file files[] = { { .path = "/images/a.qcow2", .sha256 = "ab" } };
	struct launch_record rec = {
		.domain = domain, .operation = "prepare", .allowed = allowed,
		.n_reasons = allowed ? 0 : 1, .reasons = reasons, .n_files = 1, .files = files,
	};

	ck_assert_int_eq(launch_audit_append(dir, &rec, digest, NULL), 0);
}

static char *read_log(size_t *len)
{
	char path[128], *data = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, VT_STATE_LAUNCH_LOG);
	r = vt_read_file(path, LAUNCH_AUDIT_MAX, &data, len);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(data);
	return data;
}

static void write_log(const char *data)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, VT_STATE_LAUNCH_LOG);
	fx_write_text(path, data, 0644);
}

START_TEST(test_audit_chain)
{
	uint8_t d[32];
	_cleanup_(freep) char *log = NULL;
	size_t len;

	append("web1", true, d);
	append("web2", false, d);
	append("web1", true, d);
	log = read_log(&len);
	ck_assert_int_eq(launch_audit_verify("a", log, len, NULL, 0), 3);
	ck_assert_ptr_nonnull(strstr(log, "\"seq\":1,"));
	ck_assert_ptr_nonnull(strstr(log, "\"verdict\":\"denied\",\"reasons\":[\"image 'a.qcow2': chunk 3"));
}
END_TEST

START_TEST(test_audit_tampered)
{
	static const char *const reasons[] = {
		"record 2 does not chain to the one before",          /* a verdict changed */
		"record 1 is missing, reordered or malformed",        /* a record removed */
		"record 0 is missing, reordered or malformed",        /* two swapped */
	};
	uint8_t d[32];
	_cleanup_(freep) char *log = NULL;
	char *l1, *l2, *l3, buf[8192];
	size_t len;

	append("web1", false, d);
	append("web2", false, d);
	append("web3", false, d);
	log = read_log(&len);
	l1 = log;
	l2 = strchr(l1, '\n') + 1;
	l3 = strchr(l2, '\n') + 1;
	l2[-1] = l3[-1] = '\0';
	if (_i == 0) {
		char *v = strstr(l2, "denied");

		memcpy(v, "allowd", 6);
		snprintf(buf, sizeof(buf), "%s\n%s\n%s", l1, l2, l3);
	} else if (_i == 1) {
		snprintf(buf, sizeof(buf), "%s\n%s", l1, l3);
	} else {
		snprintf(buf, sizeof(buf), "%s\n%s\n%s", l2, l1, l3);
	}
	n_errors = 0;
	ck_assert_int_eq(launch_audit_verify("a", buf, strlen(buf), NULL, 0), -EBADMSG);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, reasons[_i]), "'%s' lacks '%s'", last_error, reasons[_i]);
}
END_TEST

START_TEST(test_audit_torn_tail_repaired)
{
	uint8_t d[32];
	_cleanup_(freep) char *log = NULL, *torn = NULL;
	size_t len;

	append("web1", true, d);
	log = read_log(&len);
	ck_assert_int_ge(asprintf(&torn, "%s{\"seq\":1,\"time\":", log), 0);
	write_log(torn);
	append("web2", true, d);
	free(log);
	log = read_log(&len);
	ck_assert_int_eq(launch_audit_verify("a", log, len, NULL, 0), 2);
}
END_TEST

/* The audit log against the launch events the TPM measured. */
START_TEST(test_audit_against_tpm)
{
	struct swtpm_fixture tpm;
	struct attest_ctx *ctx;
	_cleanup_(freep) char *log = NULL, *mlog = NULL, *mlog_path = NULL;
	size_t len, mlen;
	uint8_t d[32];

	ck_assert_int_eq(swtpm_fixture_start(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	for (int i = 0; i < 3; i++) {
		_cleanup_(freep) char *line = NULL;
		struct launch_record rec = { .domain = "web1", .operation = "prepare", .allowed = i != 1 };

		ck_assert_int_eq(launch_audit_append(dir, &rec, d, &line), 0);
		ck_assert_int_eq(attest_measure_event(ctx, dir, 15, "launch", "web1", line, strlen(line), NULL), 0);
	}
	attest_ctx_free(ctx);
	swtpm_fixture_stop(&tpm);

	log = read_log(&len);
	ck_assert_int_ge(asprintf(&mlog_path, "%s/%s", dir, VT_STATE_MLOG), 0);
	ck_assert_int_eq(vt_read_file(mlog_path, ATTEST_MLOG_MAX, &mlog, &mlen), 0);
	ck_assert_int_eq(launch_audit_verify("a", log, len, mlog, mlen), 3);

	/* the last record deleted: its chain is intact, the TPM says otherwise */
	{
		char *copy = strndup(log, len);
		char *last = NULL;

		for (char *p = copy; (p = strchr(p, '\n')) && p[1]; p++)
			last = p;
		ck_assert_ptr_nonnull(last);
		last[1] = '\0';
		n_errors = 0;
		ck_assert_int_eq(launch_audit_verify("a", copy, strlen(copy), mlog, mlen), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(last_error, "2 records, but the TPM measured 3 launches"));
		free(copy);
	}
	{
		/* the last record changed: no later record to break the chain, the TPM sees it */
		char *copy = strndup(log, len), *v = strstr(strrchr(copy, '{'), "allowed");

		ck_assert_ptr_nonnull(v);
		memcpy(v, "denied!", 7);
		n_errors = 0;
		ck_assert_int_eq(launch_audit_verify("a", copy, strlen(copy), mlog, mlen), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(last_error, "record 2 is not the one the TPM measured"));
		free(copy);
	}
}
END_TEST

/* ---- untrusted strings: escaped once, the same way everywhere ---- */

static const struct {
	const char *in, *out;
} escapes[] = {
	{ "web1", "web1" },
	{ "a\nb", "a\\nb" },
	{ "a\r\tb", "a\\r\\tb" },
	{ "\x1b[2Kx", "\\x1b[2Kx" },
	{ "\x01\x1f\x7f", "\\x01\\x1f\\x7f" },
	{ "back\\slash", "back\\\\slash" },
	{ "\xd0\xb2\xd0\xbc-1", "\xd0\xb2\xd0\xbc-1" },              /* "вм-1": UTF-8 as it is */
	{ "\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92" },                  /* a 4-byte code point */
	{ "\xff", "\\xff" },
	{ "\xc0\x80", "\\xc0\\x80" },                                /* overlong NUL */
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },                        /* overlong '/' */
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },                        /* a surrogate */
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },                /* beyond U+10FFFF */
	{ "\xe2\x82", "\\xe2\\x82" },                                /* cut short */
	{ "\xc2\x85", "\\u0085" },                                   /* NEL, a C1 control */
	{ "\xc2\x9b" "2K", "\\u009b2K" },                            /* CSI */
	{ "a\xe2\x80\xa8" "b", "a\\u2028b" },                        /* LINE SEPARATOR */
	{ "\xe2\x80\xae" "cod.exe", "\\u202ecod.exe" },              /* RIGHT-TO-LEFT OVERRIDE */
	{ "", "" },
};

START_TEST(test_escape)
{
	_cleanup_(freep) char *e = vt_escape(escapes[_i].in);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, escapes[_i].out);
}
END_TEST

START_TEST(test_decision_reason_escaped)
{
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	struct launch_domain dom = { .name = (char *)"x" };
	struct launch_config cfg = { 0 };
	const char *const *reasons;
	size_t n;

	/* No policy: a denial, to which reasons are added. */
	ck_assert_int_eq(launch_decide(&cfg, &dom, &d), 0);
	ck_assert_int_eq(launch_decision_deny(d, "domain '%s': %s", "a\nb", "c\x1b[0m"), 0);
	reasons = launch_decision_reasons(d, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(reasons[1], "domain 'a\\nb': c\\x1b[0m");
	ck_assert(!launch_decision_allowed(d));
}
END_TEST

/* A ticket names each disk handed over by descriptor, layer by layer,
 * and only the disks of the domain (not its kernel). */
START_TEST(test_ticket_disks)
{
	static const char xml[] = "<domain type='qemu'><name>x</name><uuid>7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11</uuid>"
				  "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
				  "<source file='/i/top.qcow2'/><target dev='vda'/></disk></devices></domain>";
	_cleanup_(launch_domain_freep) struct launch_domain *dom = NULL;
	_cleanup_(launch_ticket_freep) struct launch_ticket *t = NULL;
	struct launch_layer_fd layers[2] = {
		{ .fd = -1, .format = "qcow2", .path = (char *)"/i/top.qcow2" },
		{ .fd = -1, .format = "raw", .path = (char *)"/i/base.raw" },
	};
	struct launch_handover h[2] = {
		{ .what = "vda", .path = "/i/top.qcow2", .image = "web", .writable = true, .n_layers = 2, .layers = layers },
		{ .what = "kernel", .path = "/i/vmlinuz", .image = "k", .n_layers = 1, .layers = layers },
	};
	const struct launch_ticket_disk *k;

	memset(layers[0].sha256, 'a', 64);
	memset(layers[1].sha256, 'b', 64);
	ck_assert_int_eq(launch_domain_parse(xml, strlen(xml), &dom), 0);
	ck_assert_int_eq(launch_ticket_write(dir, dom, NULL, 0, h, 2), 0);
	ck_assert_int_eq(launch_ticket_take(dir, dom, &t), 0);
	ck_assert_ptr_null(launch_ticket_disk(t, "kernel"));
	k = launch_ticket_disk(t, "vda");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->image, "web");
	ck_assert_uint_eq(k->n_layers, 2);
	ck_assert_str_eq(k->layers[1].path, "/i/base.raw");
	ck_assert_str_eq(k->layers[1].format, "raw");
	ck_assert_str_eq(k->layers[1].fdgroup, "vmtrust-vda-1");
	ck_assert_str_eq(k->layers[0].sha256, layers[0].sha256);
	/* taken once */
	launch_ticket_free(TAKE_PTR(t));
	ck_assert_int_eq(launch_ticket_take(dir, dom, &t), -ENOENT);
}
END_TEST

START_TEST(test_audit_escaped)
{
	static const char *const reasons[] = { "already escaped \\n" };
	struct launch_file files[] = { { .path = "/images/a\nb.qcow2", .sha256 = "ab" } };
	struct launch_interface ifs[] = { { .type = "network", .source = "net\n1", .filter = "f\x1b" },
					  { .type = "user" } };
	struct launch_record rec = {
		.domain = "web1\nvmtrust: forged\x1b[0m\xff", .uuid = "u\r", .operation = "prepare",
		.n_reasons = 1, .reasons = reasons, .n_files = 1, .files = files, .n_interfaces = 2, .interfaces = ifs,
	};
	_cleanup_(freep) char *log = NULL;
	uint8_t d[32];
	size_t len;

	ck_assert_int_eq(launch_audit_append(dir, &rec, d, NULL), 0);
	log = read_log(&len);
	/* One line, nothing raw in it; reasons were escaped when made. */
	ck_assert_ptr_eq(memchr(log, '\n', len), log + len - 1);
	ck_assert_ptr_nonnull(strstr(log, "\"domain\":\"web1\\\\nvmtrust: forged\\\\x1b[0m\\\\xff\""));
	ck_assert_ptr_nonnull(strstr(log, "\"uuid\":\"u\\\\r\""));
	ck_assert_ptr_nonnull(strstr(log, "\"path\":\"/images/a\\\\nb.qcow2\""));
	ck_assert_ptr_nonnull(strstr(log, "\"reasons\":[\"already escaped \\\\n\"]"));
	ck_assert_ptr_nonnull(strstr(log, "\"interfaces\":[{\"type\":\"network\",\"source\":\"net\\\\n1\","
					  "\"filter\":\"f\\\\x1b\"},{\"type\":\"user\"}]"));
	ck_assert_int_eq(launch_audit_verify("log", log, len, NULL, 0), 1);
}
END_TEST

/* ---- a running domain: its own directories, its recorded interfaces ---- */

#define LONG_NAME "a-domain-with-a-long-name"     /* libvirt's short name: its first 20 characters */
#define UML "\xc3\xbc"                             /* u-umlaut, two bytes */
#define UML10 UML UML UML UML UML UML UML UML UML UML
#define LIVE(id, name, devices) "<domain type='kvm' id='" id "'><name>" name "</name><devices>" devices "</devices></domain>"
#define CHAN(path, target) "<channel type='unix'><source mode='bind' path='" path "'/><target type='virtio' name='" target "'/></channel>"
#define CT "/var/lib/libvirt/qemu/channel/target/"
#define GA "org.qemu.guest_agent.0"
#define NET(src, filter) "<interface type='network'><source network='" src "'/>" filter "</interface>"
#define CLEAN "<filterref filter='clean-traffic'/>"
#define DISK(backing)                                                                                   \
	"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/top.qcow2'/>" \
	"<backingStore type='file' index='2'><format type='raw'/>" backing "<backingStore/></backingStore>" \
	"<target dev='vda' bus='virtio'/></disk>"

static const char live_log[] =
	"{\"seq\":0,\"domain\":\"" LONG_NAME "\",\"operation\":\"prepare\",\"verdict\":\"allowed\",\"files\":"
	"[{\"path\":\"/img/top.qcow2\"},{\"path\":\"/img/base.raw\"}],"
	"\"interfaces\":[{\"type\":\"network\",\"source\":\"isolated\",\"filter\":\"clean-traffic\"},{\"type\":\"user\"}]}\n"
	"{\"seq\":1,\"domain\":\"" UML10 UML10 UML "\",\"operation\":\"prepare\",\"verdict\":\"allowed\",\"files\":[]}\n"
	"{\"seq\":2,\"domain\":\"old\",\"operation\":\"prepare\",\"verdict\":\"allowed\",\"files\":[]}\n";

static const struct live_case {
	const char *xml;
	int err;
	const char *reason;
} live_cases[] = {
	/* libvirt's paths for this domain: ID-NAME, the name cut to 20 characters */
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-12-a-domain-with-a-long/" GA, GA)), 0, NULL },
	{ LIVE("12", LONG_NAME, "<graphics type='vnc'><listen type='socket' "
	       "socket='/var/lib/libvirt/qemu/domain-12-a-domain-with-a-long/vnc.sock'/></graphics>"), 0, NULL },
	{ LIVE("12", LONG_NAME, "<graphics type='spice'><listen type='socket' "
	       "socket='/var/lib/libvirt/qemu/domain-12-a-domain-with-a-long/spice.sock'/></graphics>"), 0, NULL },
	/* a multibyte name: cut to 20 characters (a UTF-8 locale) or 20 bytes (C locale) */
	{ LIVE("3", UML10 UML10 UML, CHAN(CT "domain-3-" UML10 UML10 "/" GA, GA)), 0, NULL },
	{ LIVE("3", UML10 UML10 UML, CHAN(CT "domain-3-" UML10 "/" GA, GA)), 0, NULL },
	/* another domain's directories, or not libvirt's name for this one */
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-7-victim/" GA, GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix' names a host file, device or socket" },
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-13-a-domain-with-a-long/" GA, GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-12-" LONG_NAME "/" GA, GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-12-a-domain-with-a-lon/" GA, GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-12-a-domain-with-a-long/evil.0", GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN(CT "domain-12-a-domain-with-a-long/x/" GA, GA)), -EOPNOTSUPP,
	  "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN("/var/lib/libvirt/qemu/domain-12-a-domain-with-a-long/monitor.sock", GA)),
	  -EOPNOTSUPP, "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, CHAN("/run/libvirt/qemu/swtpm/12-a-domain-with-a-long-swtpm.sock", GA)),
	  -EOPNOTSUPP, "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ "<domain type='kvm'><name>" LONG_NAME "</name><devices>" CHAN(CT "domain--a-domain-with-a-long/" GA, GA)
	  "</devices></domain>", -EOPNOTSUPP, "domain: /domain/devices/channel: a character device of type 'unix'" },
	{ LIVE("12", LONG_NAME, "<graphics type='spice'><listen type='socket' "
	       "socket='/var/lib/libvirt/qemu/domain-12-a-domain-with-a-long/vnc.sock'/></graphics>"), -EOPNOTSUPP,
	  "domain: /domain/devices/graphics/listen/@socket: a host socket path is not verified" },
	{ LIVE("12", LONG_NAME, "<graphics type='vnc'><listen type='socket' "
	       "socket='/run/libvirt/qemu/dbus/12-a-domain-with-a-long-dbus.sock'/></graphics>"), -EOPNOTSUPP,
	  "domain: /domain/devices/graphics/listen/@socket: a host socket path is not verified" },
	/* each interface one its start recorded: type, source, filter */
	{ LIVE("12", LONG_NAME, NET("isolated", CLEAN) "<interface type='user'/>"), 0, NULL },
	{ LIVE("12", LONG_NAME, NET("isolated", CLEAN) NET("default", CLEAN)), -EPERM,
	  "interface 1 (network 'default', nwfilter 'clean-traffic'): not an interface its start allowed "
	  "(hot-plugged or changed since?)" },
	{ LIVE("12", LONG_NAME, NET("isolated", "<filterref filter='allow-all'/>")), -EPERM,
	  "interface 0 (network 'isolated', nwfilter 'allow-all'): not an interface its start allowed" },
	{ LIVE("12", LONG_NAME, NET("isolated", "")), -EPERM,
	  "interface 0 (network 'isolated', nwfilter none): not an interface its start allowed" },
	{ LIVE("12", LONG_NAME, "<interface type='user'>" CLEAN "</interface>"), -EPERM,
	  "interface 0 (user, nwfilter 'clean-traffic'): not an interface its start allowed" },
	{ LIVE("12", LONG_NAME, "<interface type='bridge'><source bridge='isolated'/>" CLEAN "</interface>"), -EPERM,
	  "interface 0 (bridge 'isolated', nwfilter 'clean-traffic'): not an interface its start allowed" },
	/* a record from before interfaces were recorded allows none: fail closed */
	{ LIVE("4", "old", ""), 0, NULL },
	{ LIVE("4", "old", NET("isolated", CLEAN)), -EPERM,
	  "interface 0 (network 'isolated', nwfilter 'clean-traffic'): the start record of domain 'old' in '" },
	{ LIVE("4", "old", NET("isolated", CLEAN)), -EPERM,
	  "/launches.log' predates vmtrust's record of interfaces, which allows none: restart the domain through the hook" },
	/* every file of a backing chain one its start verified */
	{ LIVE("12", LONG_NAME, DISK("<source file='/img/base.raw'/>")), 0, NULL },
	{ LIVE("12", LONG_NAME, DISK("<source file='/etc/shadow'/>")), -EPERM,
	  "disk 'vda': backing file '/etc/shadow' is not among the files its start verified" },
	/* a pty is a pseudo-terminal (virsh console opens the path libvirt reports) */
	{ LIVE("12", LONG_NAME, "<serial type='pty'><source path='/dev/pts/3'/><target port='0'/></serial>"
	       "<console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/><target type='serial' port='0'/>"
	       "</console>"), 0, NULL },
	{ LIVE("12", LONG_NAME, "<serial type='pty'><source path='/dev/sda'/><target port='0'/></serial>"), -EOPNOTSUPP,
	  "domain: /domain/devices/serial/source: a pty's path '/dev/sda' is not a pseudo-terminal (/dev/pts/N)" },
	{ LIVE("12", LONG_NAME, "<serial><source path='/dev/pts/../sda'/><target port='0'/></serial>"), -EOPNOTSUPP,
	  "domain: /domain/devices/serial/source: a pty's path '/dev/pts/../sda' is not a pseudo-terminal" },
	{ LIVE("12", LONG_NAME, "<console type='pty' tty='/dev/sda'><target type='serial' port='0'/></console>"),
	  -EOPNOTSUPP, "domain: /domain/devices/console: tty '/dev/sda' is not a pseudo-terminal (/dev/pts/N)" },
	/* hot-plugged: what the walk refuses at launch it refuses live */
	{ LIVE("12", LONG_NAME, NET("isolated", "<filterref filter='clean-traffic'><parameter name='IP' value='GATEWAY'/>"
				 "</filterref>")), -EOPNOTSUPP,
	  "domain: /domain/devices/interface/filterref/parameter: an nwfilter parameter changes what the filter" },
	{ LIVE("12", LONG_NAME, NET("isolated", CLEAN "<vlan><tag id='7'/></vlan>")), -EOPNOTSUPP,
	  "domain: /domain/devices/interface/vlan: a vlan tag or trunk" },
	{ LIVE("12", LONG_NAME, NET("isolated", CLEAN "<virtualport type='openvswitch'/>")), -EOPNOTSUPP,
	  "domain: /domain/devices/interface/virtualport: a virtual port profile" },
};

START_TEST(test_live)
{
	const struct live_case *c = &live_cases[_i];

	write_log(live_log);
	ck_assert_int_eq(launch_domain_check_live(c->xml, strlen(c->xml), dir), c->err);
	ck_assert_uint_eq(n_errors, c->err ? 1 : 0);
	if (c->reason)
		ck_assert_msg(strstr(last_error, c->reason), "'%s' lacks '%s'", last_error, c->reason);
}
END_TEST

/* ---- the policy file: only root can have written it ---- */

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fx_write_text(path, text, mode);
}

static int open_trusted(const char *rel)
{
	char path[256];
	int fd = -1, r;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	r = policy_open_trusted("policy", path, &fd);
	if (r == 0) {
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	return r;
}

static void at(const char *rel, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", dir, rel);
}

START_TEST(test_trusted_modes)
{
	char p[256], q[256];

	at("etc", p, sizeof(p));
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("etc/p.json", "{}", 0644);
	ck_assert_int_eq(open_trusted("etc/p.json"), 0);
	ck_assert_int_eq(open_trusted("etc/./p.json"), 0);
	ck_assert_int_eq(open_trusted("etc/../etc/p.json"), 0);

	put("etc/g.json", "{}", 0664);
	ck_assert_int_eq(open_trusted("etc/g.json"), -EPERM);
	ck_assert_ptr_nonnull(strstr(last_error, "g.json' is writable by its group (mode 0664)"));
	put("etc/o.json", "{}", 0646);
	ck_assert_int_eq(open_trusted("etc/o.json"), -EPERM);

	ck_assert_int_eq(chmod(p, 0777), 0);
	ck_assert_int_eq(open_trusted("etc/p.json"), -EPERM);
	ck_assert_ptr_nonnull(strstr(last_error, "etc' is writable by others (mode 0777)"));
	/* sticky: others cannot replace root's entries in it */
	ck_assert_int_eq(chmod(p, 01777), 0);
	ck_assert_int_eq(open_trusted("etc/p.json"), 0);
	ck_assert_int_eq(chmod(p, 0755), 0);

	/* links are followed one node at a time; the target is checked too */
	at("etc/p.json", q, sizeof(q));
	at("abs.json", p, sizeof(p));
	ck_assert_int_eq(symlink(q, p), 0);
	ck_assert_int_eq(open_trusted("abs.json"), 0);
	at("rel.json", p, sizeof(p));
	ck_assert_int_eq(symlink("etc/g.json", p), 0);
	ck_assert_int_eq(open_trusted("rel.json"), -EPERM);
	at("loop", p, sizeof(p));
	ck_assert_int_eq(symlink("loop", p), 0);
	ck_assert_int_eq(open_trusted("loop"), -ELOOP);

	ck_assert_int_eq(open_trusted("etc"), -EINVAL);
	ck_assert_int_eq(open_trusted("etc/none.json"), -ENOENT);
	ck_assert_int_eq(open_trusted("etc/p.json/x"), -ENOTDIR);
}
END_TEST

START_TEST(test_trusted_owner)
{
	char p[256];

	if (geteuid() != 0)
		return;                 /* the owner test needs to chown */
	at("etc", p, sizeof(p));
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("etc/p.json", "{}", 0644);
	at("etc/p.json", p, sizeof(p));
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	ck_assert_int_eq(open_trusted("etc/p.json"), -EPERM);
	ck_assert_ptr_nonnull(strstr(last_error, "p.json' is owned by uid 65534, not root"));
	ck_assert_int_eq(chown(p, 0, 0), 0);
	ck_assert_int_eq(open_trusted("etc/p.json"), 0);
	at("etc", p, sizeof(p));
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	ck_assert_int_eq(open_trusted("etc/p.json"), -EPERM);
}
END_TEST

int main(void)
{
	const struct fx_tcase cases[] = {
		{ "domain", setup, NULL, 0, { FX_T(test_domain_good), FX_T(test_domain_fdgroup),
			 FX_T(test_domain_full), FX_LOOP(test_domain_bad, ELEMENTSOF(bad_xmls)),
			 FX_T(test_domain_truncated), FX_T(test_domain_oversized) } },
		{ "audit", setup_dir, teardown_dir, 60, { FX_T(test_audit_chain),
			 FX_LOOP(test_audit_tampered, 3), FX_T(test_audit_torn_tail_repaired),
			 FX_T(test_audit_against_tpm), FX_T(test_audit_escaped),
			 FX_LOOP(test_live, ELEMENTSOF(live_cases)), FX_T(test_ticket_disks) } },
		{ "escape", setup, NULL, 0, { FX_LOOP(test_escape, ELEMENTSOF(escapes)),
			 FX_T(test_decision_reason_escaped) } },
		{ "policy-trust", setup_dir, teardown_dir, 0, { FX_T(test_trusted_modes),
			 FX_T(test_trusted_owner) } },
	};

	return fx_run(fx_suite("launch", cases, ELEMENTSOF(cases)));
}
