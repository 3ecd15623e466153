/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A qemu command line read as the domain it would run, for `vmtrust launch
 * -- qemu-system-x86_64 ...`: the files it boots from, each to be verified
 * as a libvirt domain's are. The syntax is qemu's own (util/qemu-option.c,
 * util/keyval.c, softmmu/vl.c): an option takes its value from the next
 * argument whatever that looks like, so every option that takes one is in
 * the table below; "--opt" is "-opt"; a bare argument is -hda; later values
 * win over earlier ones. What names a file or a data source that cannot be
 * verified before launch is refused, not skipped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attest.h"
#include "launch-internal.h"

/* ---- the domain being built ----------------------------------------------- */

void qemu_ctx_done(struct qemu_ctx *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		qemu_kvlist_done(&c->nodes[i].o);
	free(c->nodes);
	for (size_t i = 0; i < c->n_refs; i++) {
		free(c->refs[i].what);
		free(c->refs[i].key);
	}
	free(c->refs);
	free(c->machine_pflash[0]);
	free(c->machine_pflash[1]);
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* Records where the file of what is named; a later one replaces it (the
 * last value wins, as in qemu). */
int qemu_add_ref(struct qemu_ctx *c, const char *what, int arg, enum qemu_syntax syn, const char *implied,
		 const char *key, bool block, bool writable, int fmt_arg)
{
	struct qemu_ref *r = NULL;

	for (size_t i = 0; i < c->n_refs && !r; i++)
		if (!strcmp(c->refs[i].what, what))
			r = &c->refs[i];
	/* Two drives of one name (a -blockdev node-name like "drive0" or
	 * "kernel"): one of them would not be handed over. */
	if (r && (r->block || block))
		return vt_log_errno(EOPNOTSUPP, "qemu: '%s' names two files: give the -blockdev node another name",
					what);
	if (!r && !(r = LAUNCH_APPEND(c->refs, c->n_refs)))
		return -ENOMEM;
	free(r->key);
	r->key = NULL;
	if ((!r->what && !(r->what = strdup(what))) || (key && !(r->key = strdup(key))))
		return -ENOMEM;
	r->arg = arg;
	r->syn = syn;
	r->implied = implied;
	r->block = block;
	r->writable = writable;
	r->fmt_arg = fmt_arg;
	return 0;
}

/* A plain file: the kernel, the initrd, the firmware. */
static int check_path(const char *what, const char *path)
{
	if (path[0] != '/')
		return vt_log_errno(EOPNOTSUPP, "qemu: %s '%s' is not an absolute path", what, path);
	if (strlen(path) >= PATH_MAX)
		return vt_log_errno(EOPNOTSUPP, "qemu: %s: a path of %zu bytes is too long", what,
					strlen(path));
	return 0;
}

/* A filename the block layer opens: "json:{...}" and "proto:..." (a ':'
 * before any '/', path_has_protocol()) are data sources of their own. */
int qemu_check_block_file(const char *what, const char *path)
{
	size_t n = strcspn(path, ":/");

	if (qemu_startswith(path, "json:"))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: %s: a json: filename cannot be verified before launch", what);
	if (path[n] == ':')
		return vt_log_errno(EOPNOTSUPP,
					"qemu: %s: protocol '%.*s' in '%s' cannot be verified before launch",
					what, (int)n, path, path);
	return check_path(what, path);
}

int qemu_add_disk(struct launch_domain *d, const char *target, const char *device, const char *source,
		  const char *format, bool readonly, bool encrypted)
{
	struct launch_disk *disk;

	if (d->n_disks >= QEMU_DISKS_MAX)
		return vt_log_errno(EOPNOTSUPP, "qemu: more than %d disks", QEMU_DISKS_MAX);
	disk = LAUNCH_APPEND(d->disks, d->n_disks);
	if (!disk)
		return -ENOMEM;
	disk->readonly = readonly;
	disk->encrypted = encrypted;
	if (!(disk->target = strdup(target)) || !(disk->device = strdup(device)) ||
	    (source && !(disk->source = strdup(source))) || (format && !(disk->format = strdup(format))))
		return -ENOMEM;
	return 0;
}

int qemu_set_firmware(struct qemu_ctx *c, enum qemu_firmware fw, const char *what, const char *path)
{
	int r = check_path(what, path);

	if (r < 0)
		return r;
	/* With a pflash unit 0, a pc machine ignores -bios and an isapc one
	 * ignores the pflash: either way one of them would not be the one
	 * verified. */
	if ((c->fw == FW_PFLASH && fw == FW_BIOS) || (c->fw == FW_BIOS && fw == FW_PFLASH))
		return vt_log_errno(EOPNOTSUPP, "qemu: %s '%s': both -bios and a pflash unit 0 are given",
					what, path);
	c->fw = fw;
	return set_str(&c->d->loader, path);
}
/* ---- other options with something to check -------------------------------------- */

static int do_initrd(struct qemu_ctx *c, const char *what, const char *path)
{
	int r = check_path(what, path);

	if (r < 0)
		return r;
	/* A multiboot kernel takes "mod1 args,mod2" here: another file than
	 * the one verified would be loaded. */
	if (strpbrk(path, ", "))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: %s '%s': a ',' or ' ' would make it a list of modules", what, path);
	return set_str(&c->d->initrd, path);
}

static int do_kernel(struct qemu_ctx *c, const char *what, const char *path)
{
	int r = check_path(what, path);

	return r < 0 ? r : set_str(&c->d->kernel, path);
}

/* -machine: -kernel, -initrd and -bios are its kernel=, initrd= and
 * firmware= (last one wins across them), and pflash0=/pflash1= name
 * -blockdev nodes. */
/* -machine keys that name nothing on the host (qemu 7.2's pc, q35 and
 * microvm properties, "-machine TYPE,help", and the accelerator's it
 * forwards), besides kernel=, initrd=, firmware=, pflash0/1= (verified)
 * and dtb=, dumpdtb= (refused with their reason): not boot.splash= (a
 * host picture handed to the firmware), nor sgx-epc, nvdimm and the
 * like. An allow-list: a key qemu adds later is refused. */
static const char *const machine_keys[] = {
	"type", "accel", "kernel_irqchip", "kvm-shadow-mem", "acpi", "append", "auto-kernel-cmdline",
	"bus-lock-ratelimit", "confidential-guest-support", "default-bus-bypass-iommu", "dt-compatible",
	"dump-guest-core", "graphics", "hpet", "i8042", "ioapic2", "isa-serial", "max-fw-size",
	"max-ram-below-4g", "mem-merge", "memory-backend", "memory-encryption", "pcie", "phandle-start",
	"pic", "pit", "rtc", "sata", "smbios-entry-point-type", "smbus", "smm", "suppress-vmdesc", "usb",
	"vmport", "x-oem-id", "x-oem-table-id", "x-option-roms", "memory.size", "memory.slots",
	"memory.maxmem", "smp.cpus", "smp.sockets", "smp.dies", "smp.clusters", "smp.cores", "smp.threads",
	"smp.maxcpus", "boot.order", "boot.once", "boot.menu", "boot.splash-time", "boot.reboot-timeout",
	"boot.strict",
};

static int do_machine(struct qemu_ctx *c, const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	int r;

	r = qemu_kv_parse("machine", arg, KEYVAL, "type", &o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n; i++) {
		const char *k = o.v[i].key, *v = o.v[i].value;

		r = 0;
		if (!strcmp(k, "kernel"))
			r = do_kernel(c, "kernel", v);
		else if (!strcmp(k, "initrd"))
			r = do_initrd(c, "initrd", v);
		else if (!strcmp(k, "firmware"))
			r = qemu_set_firmware(c, FW_BIOS, "bios", v);
		if (r >= 0 && (!strcmp(k, "kernel") || !strcmp(k, "initrd") || !strcmp(k, "firmware")))
			r = qemu_add_ref(c, !strcmp(k, "firmware") ? "loader" : k, c->arg, KEYVAL, "type", k, false,
				    false, -1);
		else if (!strcmp(k, "dtb"))
			r = vt_log_errno(EOPNOTSUPP,
					     "qemu: -machine dtb= is refused: the device tree file is not verified");
		else if (!strcmp(k, "dumpdtb"))
			r = vt_log_errno(EOPNOTSUPP, "qemu: -machine dumpdtb= is refused: it writes a host file");
		else if (!strcmp(k, "pflash0") || !strcmp(k, "pflash1"))
			r = set_str(&c->machine_pflash[k[6] - '0'], v);
		else if (r >= 0 && !qemu_listed(machine_keys, ELEMENTSOF(machine_keys), k))
			r = vt_log_errno(EOPNOTSUPP,
					     "qemu: -machine %s='%s' is refused: not a machine property vmtrust "
					     "knows to name nothing on the host (see launch/qemuargs.c)", k, v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int do_name(struct qemu_ctx *c, const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const char *guest;
	int r;

	r = qemu_kv_parse("name", arg, QEMU_OPTS, "guest", &o);
	if (r < 0)
		return r;
	guest = qemu_kv_get(&o, "guest");
	if (!guest)
		return 0;
	if (!*guest)
		return vt_log_errno(EINVAL, "qemu: -name gives an empty name");
	return set_str(&c->d->name, guest);
}

/* Devices that run or serve a file of their own, or hand the guest a host
 * device or another process's storage. */
static const char *const refused_devices[] = {
	"loader", "guest-loader", "nvdimm", "virtio-pmem", "virtio-pmem-pci", "usb-host",
	"u2f-passthrough", "usb-mtp", "ccid-card-emulated", "pci-assign", "kvm-pci-assign",
	"xen-pci-passthrough",
};
static const char *const refused_device_prefixes[] = {
	"vhost-user-", "vhost-vdpa", "vhost-scsi", "vfio-", "ivshmem", "virtio-9p", "virtio-input-host",
	"spapr-pci-vfio",
};
/* The device properties that may be set (-device, -global): an allow-list,
 * as for the devices themselves. Every property of the allowed devices
 * and of the pc/q35 machines' own (ICH9-LPC, PIIX4_PM, kvm-pit,
 * cfi.pflash01, mch, the host bridges, hpet), as qemu 7.2's "-device
 * NAME,help" lists them, but for the strings that name a host file: pcap=
 * (a USB device's traffic written to a file) and romfile= (option roms,
 * allowed only empty, check_device()). Their other strings name guest
 * things (serial, vendor, model) or other options' ids (drive, netdev,
 * chardev, audiodev, tpmdev, iothread), which are checked where defined.
 * A property another device has that names a host resource (host=,
 * sysfsdev=, vhostfd=, file=...) is not here, nor xhci's host= (which
 * no launch needs). Sorted (strcmp) for
 * bsearch. */
static const char *const device_properties[] = {
	"MCFG", "above-4g-mem-size", "account-failed", "account-invalid", "acpi-index",
	"acpi-pci-hotplug-with-bridge-support", "acpi-root-pci-hotplug", "acpi_disable_cmd",
	"acpi_enable_cmd", "addr", "aer", "aer_log_max", "aer_max_queued", "aerl",
	"always-plugged", "any_layout", "ats", "attached", "audiodev", "autonegotiation",
	"aw-bits", "backend_defaults", "bandwidth", "baudbase", "below-4g-mem-size", "big-endian",
	"big-endian-framebuffer", "bios-chs-trans", "blitter", "blob", "boot-bypass", "bootindex",
	"bootindexA", "bootindexB", "buffer", "bus-reserve", "bus_nr", "bypass-iommu",
	"bypass_iommu", "caching-mode", "cad", "channel", "chardev", "chardev1", "chardev2",
	"chardev3", "chardev4", "chassis", "chassis_nr", "class", "cmb_size_mb", "cmd_per_lun",
	"cmdlog", "commandlog", "config-wce", "cpu-hotplug-legacy", "csum", "ctrl_guest_offloads",
	"ctrl_mac_addr", "ctrl_rx", "ctrl_rx_extra", "ctrl_vlan", "ctrl_vq", "cyls", "debug",
	"deflate-on-oom", "device-iotlb", "device-width", "device_id", "disable-acs",
	"disable-legacy", "disable-modern", "disable_s3", "disable_s4", "disable_vnet_hdr",
	"discard", "discard_granularity", "display", "dma", "dma-drain", "dma-translation",
	"dma16", "dpofua", "drive", "drive-type", "duplex", "edid", "eim", "emergency-write",
	"enable_tco", "esp", "event_idx", "events", "extended-tseg-mbytes", "extra_mac_registers",
	"failover", "failover_pair_id", "fallback", "fdtypeA", "fdtypeB", "firstport",
	"force-pcie-endcap", "free-page-hint", "free-page-reporting", "freq", "global-vmstate",
	"gpe0_blk", "gpe0_blk_len", "gso", "guest-stats", "guest-stats-polling-interval",
	"guest_announce", "guest_csum", "guest_ecn", "guest_hwcursor", "guest_rsc_ext",
	"guest_tso4", "guest_tso6", "guest_ufo", "guestdebug", "hash", "hba_serial", "head",
	"heads", "host_ecn", "host_mtu", "host_tso4", "host_tso6", "host_ufo", "hotplug",
	"hpet-intcap", "hpet-offset-saved", "id0", "id1", "id2", "id3", "index", "indirect_desc",
	"init-vet", "intremap", "intrs", "io-mem", "io-reserve", "iobase", "ioeventfd",
	"iommu_platform", "ioport", "iothread", "irq", "lcyls", "len-reserved-regions", "lheads",
	"logical_block_size", "lost_tick_policy", "lsecs", "lun", "mac", "masterbus", "max-bytes",
	"max-device-width", "max-discard-sectors", "max-write-zeroes-sectors", "max_cmds",
	"max_hostmem", "max_io_size", "max_ioqpairs", "max_outputs", "max_ports", "max_sectors",
	"max_sge", "max_unmap_size", "maxframes", "mcfg_size", "mch", "mdts", "mem-reserve",
	"memory-hotplug-support", "migrate-extra", "migrate_tso_props", "min_io_size",
	"mitigation", "mixer", "model", "modern-pio-notify", "mq", "mrg_rxbuf", "msi", "msix",
	"msix-exclusive-bar", "msix_qsize", "msos-desc", "multi", "multifunction", "name",
	"netdev", "noreboot", "notify_on_empty", "nr", "num-blocks", "num-ports", "num-queues",
	"num_queues", "numa_node", "old-multiple-chip-handling", "old_msi_addr", "opt_io_size",
	"p2", "p3", "packed", "page-per-vq", "page-poison", "param_change", "pci-hole-end",
	"pci-hole-start", "pci-hole64-end", "pci-hole64-size", "pci-hole64-start", "pci-mem",
	"period", "physical_block_size", "pm_io_base", "pmrdev", "port", "port-power",
	"port_index", "port_wwn", "ports", "power_controller_present", "ppi", "pref32-reserve",
	"pref64-reserve", "primary-bus", "product", "prog_if", "pt", "qemu-4-0-config-size",
	"qemu-extended-regs", "queue-size", "queue_reset", "quirk_mode_page_apple_vendor",
	"quirk_mode_page_truncated", "quirk_mode_page_vendor_specific_apple",
	"quirk_mode_sense_rom_use_dbd", "ram-mem", "ram_size", "ram_size_mb", "readback",
	"refresh_rate", "removable", "report-discard-granularity", "request-merging", "rerror",
	"revision", "rng", "rombar", "romfile", "romsize", "rotation_rate", "rsc_interval", "rss",
	"rx_queue_size", "s4_val", "sas_address", "sci_int", "scsi", "scsi-id", "scsi_version",
	"secs", "sector-length", "secure", "seg-max-adjust", "seg_max_adjust", "serial",
	"share-rw", "short_root_bus", "shpc", "slot", "slots", "smart_critical_warning",
	"smb_io_base", "smbase-smram", "smm-compat", "smm-enabled", "snoop-control",
	"spec_version", "speed", "spi", "sriov_max_vfs", "sriov_max_vi_per_vf",
	"sriov_max_vq_per_vf", "sriov_vi_flexible", "sriov_vq_flexible", "status", "streams",
	"subsys", "subsys_ven", "superspeed-ports-first", "surfaces", "system-mem", "timers",
	"tpmdev", "tx", "tx_queue_size", "unit", "usb_version", "use-disabled-flag",
	"use-intel-id", "use-started", "use-timer", "use_jbod", "use_msg", "vectors", "vendor",
	"ver", "version", "vgamem", "vgamem_mb", "virtio-backend",
	"virtio-pci-bus-master-bug-migration", "virtqueue_size", "vram64_size_mb", "vram_size",
	"vram_size_mb", "vsl", "wakeup", "werror", "wheel-axis", "width", "write-cache",
	"write-zeroes", "wwn", "x-ats-page-aligned", "x-buggy-eim",
	"x-config-reg-migration-enabled", "x-device-id", "x-disable-legacy-check",
	"x-disable-pcie", "x-enable-wce-if-config-wce", "x-ignore-backend-features",
	"x-keep-pci-slot-hpc", "x-migrate-msix", "x-mtu-bypass-backend", "x-native-hotplug",
	"x-not-migrate-acpi-index", "x-old-msi-offsets", "x-old-pci-configuration", "x-pasid-mode",
	"x-pci-hole64-fix", "x-pcie-deverr-init", "x-pcie-extcap-init", "x-pcie-flr-init",
	"x-pcie-lnkctl-init", "x-pcie-lnksta-dllla", "x-pcie-pm-init", "x-pixman",
	"x-scalable-mode", "x-smi-broadcast", "x-smi-cpu-hotplug", "x-smi-cpu-hotunplug",
	"x-smi-negotiated-features", "x-speed", "x-txburst", "x-txtimer", "x-width", "xhci-core",
	"xmax", "xres", "ymax", "yres", "zoned.auto_transition", "zoned.zasl",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool device_property_ok(const char *key)
{
	/* qdev's own options of -device, not properties */
	if (!strcmp(key, "driver") || !strcmp(key, "id") || !strcmp(key, "bus"))
		return true;
	return bsearch(&key, device_properties, ELEMENTSOF(device_properties), sizeof(device_properties[0]),
		       cmp_str) != NULL;
}

/* The devices that may be given at all (an allow-list: QEMU has hundreds,
 * and a new one may reach the host): guest-side models whose only host
 * resources are drives, network backends, character devices, objects and
 * TPM backends that this file checks on their own options. Those above
 * only word a refusal better. */
static const char *const allowed_devices[] = {
	/* virtio (and QEMU's aliases, which pick the bus's model) */
	"virtio-net", "virtio-blk", "virtio-scsi", "virtio-rng", "virtio-balloon", "virtio-serial",
	"virtio-gpu", "virtio-keyboard", "virtio-mouse", "virtio-tablet", "virtio-iommu", "lsi",
	"virtio-blk-pci", "virtio-blk-pci-non-transitional", "virtio-blk-device", "virtio-scsi-pci",
	"virtio-scsi-pci-non-transitional", "virtio-scsi-device", "virtio-net-pci",
	"virtio-net-pci-non-transitional", "virtio-net-device", "virtio-rng-pci",
	"virtio-rng-pci-non-transitional", "virtio-rng-device", "virtio-balloon-pci",
	"virtio-balloon-pci-non-transitional", "virtio-balloon-device", "virtio-serial-pci",
	"virtio-serial-pci-non-transitional", "virtio-serial-device", "virtserialport", "virtconsole",
	"virtio-keyboard-pci", "virtio-mouse-pci", "virtio-tablet-pci", "virtio-keyboard-device",
	"virtio-mouse-device", "virtio-tablet-device", "virtio-gpu-pci", "virtio-gpu-device",
	"virtio-vga", "virtio-iommu-pci",
	/* storage front ends (their drive= is a checked -drive) and controllers */
	"ide-hd", "ide-cd", "ide-drive", "scsi-hd", "scsi-cd", "nvme", "usb-storage", "floppy",
	"sd-card", "ahci", "ich9-ahci", "lsi53c895a", "lsi53c810", "megasas", "megasas-gen2",
	"mptsas1068", "pvscsi", "am53c974", "dc390", "isa-fdc",
	/* network cards (their netdev= is a checked -netdev) */
	"e1000", "e1000e", "e1000-82544gc", "e1000-82545em", "rtl8139", "ne2k_pci", "ne2k_isa",
	"pcnet", "vmxnet3", "i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a",
	"i82558b", "i82559a", "i82559b", "i82559c", "i82559er", "i82562", "i82801", "tulip",
	"usb-net",
	/* USB controllers and guest-side devices */
	"qemu-xhci", "nec-usb-xhci", "usb-ehci", "ich9-usb-ehci1", "ich9-usb-ehci2",
	"ich9-usb-uhci1", "ich9-usb-uhci2", "ich9-usb-uhci3", "ich9-usb-uhci4", "ich9-usb-uhci5",
	"ich9-usb-uhci6", "piix3-usb-uhci", "piix4-usb-uhci", "pci-ohci", "usb-tablet", "usb-mouse",
	"usb-kbd", "usb-hub", "usb-serial", "usb-audio",
	/* display and sound */
	"VGA", "cirrus-vga", "isa-cirrus-vga", "qxl", "qxl-vga", "bochs-display", "ramfb",
	"secondary-vga", "ati-vga", "vmware-svga", "intel-hda", "ich9-intel-hda", "hda-duplex",
	"hda-micro", "hda-output", "AC97", "ES1370", "sb16", "adlib", "gus", "cs4231a",
	/* serial and parallel ports (their chardev= is a checked -chardev) */
	"isa-serial", "pci-serial", "pci-serial-2x", "pci-serial-4x", "isa-parallel",
	"isa-debugcon",
	/* buses, bridges, watchdogs, panic, IOMMUs, TPM front ends, misc */
	"pci-bridge", "pci-bridge-seat", "pcie-root-port", "pcie-pci-bridge", "ioh3420",
	"x3130-upstream", "xio3130-downstream", "i82801b11-bridge", "pxb", "pxb-pcie", "usb-bot",
	"i6300esb", "ib700", "pvpanic", "pvpanic-pci", "intel-iommu", "amd-iommu", "tpm-tis",
	"tpm-crb", "vmcoreinfo", "sga",
};

/* A device (-device: it must be on the allow-list) or the driver a -global
 * sets a property of (which creates nothing: a device that is not given
 * does not exist, but the property must not name a host file). */
static int check_device(const char *opt, const char *driver, const char *romfile)
{
	if (qemu_listed(refused_devices, ELEMENTSOF(refused_devices), driver))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -%s %s is refused: what it loads or hands the guest is not verified",
					opt, driver);
	for (size_t i = 0; driver && i < ELEMENTSOF(refused_device_prefixes); i++)
		if (qemu_startswith(driver, refused_device_prefixes[i]))
			return vt_log_errno(EOPNOTSUPP,
						"qemu: -%s %s is refused: a host device, or storage served by "
						"another process, cannot be verified", opt, driver);
	if (!strcmp(opt, "device") && !qemu_listed(allowed_devices, ELEMENTSOF(allowed_devices), driver))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -%s %s is refused: not a device vmtrust knows to reach no host "
					"resource (see launch/qemuargs.c)", opt, driver ? driver : "without a driver");
	if (romfile && *romfile)
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -%s %s: romfile '%s' is refused: option roms are not verified", opt,
					driver ? driver : "?", romfile);
	return 0;
}

static int do_device(struct qemu_ctx *c, const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	int r;

	r = qemu_kv_parse("device", arg, QEMU_OPTS, "driver", &o);
	if (r < 0)
		return r;
	r = check_device("device", qemu_kv_get(&o, "driver"), qemu_kv_get(&o, "romfile"));
	for (size_t i = 0; r >= 0 && i < o.n; i++)
		if (!device_property_ok(o.v[i].key))
			r = vt_log_errno(EOPNOTSUPP,
					     "qemu: -device %s: %s='%s' is refused: not a property vmtrust knows to "
					     "name no host file or device (see launch/qemuargs.c)",
					     qemu_kv_get(&o, "driver") ? qemu_kv_get(&o, "driver") : "?", o.v[i].key, o.v[i].value);
	return r;
}

/* A -global that sets a property naming a host file or device, on
 * whatever device: a machine's own devices take it too. */
static int check_global_property(const char *driver, const char *property)
{
	if (!property || !device_property_ok(property) || !strcmp(property, "driver") || !strcmp(property, "id") ||
	    !strcmp(property, "bus"))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -global %s.%s is refused: not a property vmtrust knows to name no "
					"host file or device (see launch/qemuargs.c)", driver ? driver : "?",
					property ? property : "(none)");
	return 0;
}

/* "-global DRIVER.PROP=VALUE" or "-global driver=,property=,value="
 * (qemu_global_option()). */
static int do_global(struct qemu_ctx *c, const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	size_t dl = strcspn(arg, ".="), pl = arg[dl] == '.' ? strcspn(arg + dl + 1, "=") : 0;
	const char *prop;
	int r;

	if (arg[dl] == '.' && dl >= 1 && dl <= 63 && pl >= 1 && pl <= 63 && arg[dl + 1 + pl] == '=') {
		char driver[64];
		bool romfile = pl == strlen("romfile") && !strncmp(arg + dl + 1, "romfile", pl);

		char property[64];

		snprintf(driver, sizeof(driver), "%.*s", (int)dl, arg);
		snprintf(property, sizeof(property), "%.*s", (int)pl, arg + dl + 1);
		r = check_global_property(driver, property);
		return r < 0 ? r : check_device("global", driver, romfile ? arg + dl + pl + 2 : NULL);
	}
	r = qemu_kv_parse("global", arg, QEMU_OPTS, NULL, &o);
	if (r < 0)
		return r;
	prop = qemu_kv_get(&o, "property");
	r = check_global_property(qemu_kv_get(&o, "driver"), prop);
	if (r < 0)
		return r;
	return check_device("global", qemu_kv_get(&o, "driver"),
			    prop && !strcmp(prop, "romfile") ? qemu_kv_get(&o, "value") : NULL);
}

/* An option whose key names a file, which is not verified. */
static int refuse_key(const char *opt, const char *arg, const char *implied, const char *key, const char *why)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const char *v;
	int r;

	r = qemu_kv_parse(opt, arg, QEMU_OPTS, implied, &o);
	if (r < 0)
		return r;
	v = qemu_kv_get(&o, key);
	if (v && *v)
		return vt_log_errno(EOPNOTSUPP, "qemu: -%s %s='%s' is refused: %s", opt, key, v, why);
	return 0;
}

static const char *const why_host = "it names a host file, device or socket, which is not verified";
static const char *const why_monitor = "a monitor adds devices that are not verified at run time";

/* -monitor and -mon: only none. Any monitor (hmp or qmp) can open host
 * files at run time (blockdev-add, drive_add, chardev-add...). */
static int do_monitor(struct qemu_ctx *c, const char *opt, const char *v)
{
	if (strcmp(v, "none") != 0)
		return vt_log_errno(EOPNOTSUPP, "qemu: -%s '%s' is refused: %s", opt, v, why_monitor);
	c->monitor_none |= !strcmp(opt, "monitor");
	return 0;
}

/* A value every key of which is listed in ok (an allow-list; an entry
 * ending in '*' is a prefix) and, unless any_value, that names nothing on
 * the host: no '/' (a path) and no "unix:" (a socket) in any value. */
static int keys_allowed(const char *opt, const char *arg, const char *implied, const char *const *ok,
			bool any_value)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	int r;

	r = qemu_kv_parse(opt, arg, QEMU_OPTS, implied, &o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n; i++) {
		const struct qemu_kv *kv = &o.v[i];
		bool listed = false;

		for (size_t k = 0; ok[k] && !listed; k++) {
			size_t n = strlen(ok[k]);

			listed = n > 0 && ok[k][n - 1] == '*' ? strncmp(kv->key, ok[k], n - 1) == 0 :
								strcmp(kv->key, ok[k]) == 0;
		}
		if (!listed || (!any_value && (strchr(kv->value, '/') || strstr(kv->value, "unix:") ||
					      (!strcmp(kv->key, "unix") && strcmp(kv->value, "off") != 0))))
			return vt_log_errno(EOPNOTSUPP, "qemu: -%s %s='%s' is refused: %s", opt, kv->key,
						kv->value, why_host);
		/* spice's gl=on opens a host render node (as -display's) */
		if (!any_value && !strcmp(kv->key, "gl") && strcmp(kv->value, "off") != 0 &&
		    strcmp(kv->value, "false") != 0 && strcmp(kv->value, "no") != 0)
			return vt_log_errno(EOPNOTSUPP,
						"qemu: -%s gl='%s' is refused: opengl opens a host render node, "
						"which is not verified", opt, kv->value);
	}
	return 0;
}

/* -k: a keymap by its name, never a path. */
static int do_keymap(const char *v)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

	if (!*v || v[n])
		return vt_log_errno(EOPNOTSUPP, "qemu: -k '%s' is refused: a keymap is a layout name "
					"(letters, digits, '-', '_')", v);
	return 0;
}

/* An option whose first value (type, driver, backend) must be one of ok;
 * ret_o keeps the parsed options for the caller. */
static int check_type(const char *opt, const char *arg, enum qemu_syntax syn, const char *implied,
		      const char *const *ok, bool absent_ok, struct qemu_kvlist *ret_o)
{
	const char *type;
	int r;

	r = qemu_kv_parse(opt, arg, syn, implied, ret_o);
	if (r < 0)
		return r;
	type = qemu_kv_get(ret_o, implied);
	if (!type && absent_ok)
		return 0;
	for (size_t i = 0; type && ok[i]; i++)
		if (!strcmp(type, ok[i]))
			return 0;
	return vt_log_errno(EOPNOTSUPP, "qemu: -%s %s is refused: %s", opt, type ? type : "(no type)",
				why_host);
}

/* -object: only objects that name nothing on the host (memory-backend-file,
 * tls credentials, sev-guest's files... are not among them). */
static int do_object(struct qemu_ctx *c, const char *arg)
{
	static const char *const ok[] = { "memory-backend-ram", "memory-backend-memfd", "iothread",
					  "main-loop", "thread-context", "throttle-group", "rng-builtin",
					  "rng-random", "secret", "cryptodev-backend-builtin", "authz-simple",
					  NULL };
	static const char *const rng_sources[] = { "/dev/random", "/dev/urandom", "/dev/hwrng" };
	/* the keys of those objects (qemu 7.2's qapi/qom.json) but secret's
	 * file= */
	static const char *const keys[] = {
		"qom-type", "id", "size", "share", "merge", "dump", "prealloc", "prealloc-threads",
		"prealloc-context", "host-nodes", "policy", "reserve", "seal", "hugetlb", "hugetlbsize",
		"x-use-canonical-path-for-ramblock-id", "poll-max-ns", "poll-grow", "poll-shrink",
		"aio-max-batch", "thread-pool-min", "thread-pool-max", "cpu-affinity", "node-affinity",
		"limits.*", "x-iops-*", "x-bps-*", "filename", "data", "format", "keyid", "iv", "queues",
		"identity", NULL,
	};
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const char *f;
	int r;

	r = check_type("object", arg, KEYVAL, "qom-type", ok, false, &o);
	if (r < 0)
		return r;
	f = qemu_kv_get(&o, "filename");
	if (f && !qemu_listed(rng_sources, ELEMENTSOF(rng_sources), f))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -object %s: filename='%s' is refused: not /dev/random, /dev/urandom "
					"or /dev/hwrng", qemu_kv_get(&o, "qom-type"), f);
	return keys_allowed("object", arg, "qom-type", keys, true);
}

/* Character device backends that name no host file, pipe, device or socket. */
static const char *const chardev_ok[] = { "null", "pty", "vc", "stdio", "ringbuf", "memory", "msmouse",
					  "wctablet", "braille", "testdev", "spicevmc", "spiceport",
					  "qemu-vdagent", "dbus", NULL };

static int do_chardev(struct qemu_ctx *c, const char *arg)
{
	/* those backends' keys (qemu 7.2's qemu_chardev_opts) but logfile=
	 * and path= */
	static const char *const keys[] = { "backend", "id", "mux", "signal", "size", "width", "height",
					    "cols", "rows", "name", "debug", "logappend", "clipboard", "mouse",
					    NULL };
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	int r;

	r = check_type("chardev", arg, QEMU_OPTS, "backend", chardev_ok, false, &o);
	return r < 0 ? r : keys_allowed("chardev", arg, "backend", keys, true);
}

/* -serial, -monitor, -qmp, -gdb...: qemu_chr_parse_compat()'s short forms. */
static int do_chr_spec(const char *opt, const char *v)
{
	const char *p = v;

	if (qemu_startswith(v, "mon:"))
		return vt_log_errno(EOPNOTSUPP, "qemu: -%s '%s' is refused: %s", opt, v, why_monitor);
	if (qemu_startswith(p, "chardev:") || qemu_startswith(p, "vc:") || !strcmp(p, "none"))
		return 0;       /* a -chardev is checked where it is defined */
	if (qemu_listed(chardev_ok, ELEMENTSOF(chardev_ok) - 1, p))
		return 0;
	return vt_log_errno(EOPNOTSUPP, "qemu: -%s '%s' is refused: %s", opt, v, why_host);
}

static int add_interface(struct launch_domain *d, const char *type, const char *source)
{
	struct launch_interface *ni;

	if (d->n_interfaces >= QEMU_DISKS_MAX)
		return vt_log_errno(EOPNOTSUPP, "qemu: more than %d network backends", QEMU_DISKS_MAX);
	ni = LAUNCH_APPEND(d->interfaces, d->n_interfaces);
	if (!ni || !(ni->type = strdup(type)) || (source && !(ni->source = strdup(source))))
		return -ENOMEM;
	return 0;
}

/* -netdev, -net, -nic: user-mode networking without host shares, commands
 * or forwarded ports, or a bridge through qemu's own (measured) helper. */
static int do_net(struct qemu_ctx *c, const char *opt, const char *arg)
{
	static const char *const ok[] = { "user", "bridge", "none", "nic", "hubport", NULL };
	/* the keys of those types (qemu 7.2's qapi/net.json, -net/-nic's nic
	 * ones) but host shares, commands and forwarded ports (smb, tftp,
	 * bootfile, guestfwd, hostfwd, helper) */
	static const char *const keys[] = { "type", "id", "name", "net", "host", "ipv4", "ipv6", "ipv6-net",
					    "ipv6-prefix", "ipv6-prefixlen", "ipv6-host", "restrict", "hostname",
					    "dhcpstart", "dns", "ipv6-dns", "dnssearch", "domainname",
					    "tftp-server-name", "br", "hubid", "netdev", "model", "macaddr", "mac",
					    "addr", "vectors", "vlan", NULL };
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const char *type;
	int r;

	c->network = true;
	r = check_type(opt, arg, QEMU_OPTS, "type", ok, false, &o);
	if (r >= 0)
		r = keys_allowed(opt, arg, "type", keys, true);
	if (r < 0)
		return r;
	type = qemu_kv_get(&o, "type");
	if (!strcmp(type, "user"))
		return add_interface(c->d, "user", NULL);
	if (!strcmp(type, "bridge"))
		return add_interface(c->d, "bridge", qemu_kv_get(&o, "br") ? qemu_kv_get(&o, "br") : "br0");
	return 0;
}

static int do_audio(const char *opt, const char *arg)
{
	static const char *const ok[] = { "none", "spice", "dbus", NULL };
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};

	return check_type(opt, arg, QEMU_OPTS, "driver", ok, !strcmp(opt, "audio"), &o);
}

static int do_tpmdev(const char *arg)
{
	static const char *const ok[] = { "emulator", NULL };
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};

	return check_type("tpmdev", arg, QEMU_OPTS, "type", ok, false, &o);
}

/* -vnc and -spice: the keys of qemu 7.2's qemu_vnc_opts and
 * qemu_spice_opts that name no host file or socket (x509*, unix=,
 * rendernode= do). */
static const char *const vnc_keys[] = {
	"vnc", "websocket", "tls-creds", "tls-authz", "share", "display", "head", "connections", "to",
	"ipv4", "ipv6", "password", "password-secret", "reverse", "lock-key-sync", "key-delay-ms",
	"sasl", "sasl-authz", "acl", "lossy", "non-adaptive", "audiodev", "power-control", NULL,
};
static const char *const spice_keys[] = {
	"port", "tls-port", "addr", "ipv4", "ipv6", "face", "password", "password-secret",
	"disable-ticketing", "disable-copy-paste", "disable-agent-file-xfer", "sasl", "tls-ciphers",
	"tls-channel", "plaintext-channel", "image-compression", "jpeg-wan-compression",
	"zlib-glz-wan-compression", "streaming-video", "video-codecs", "agent-mouse",
	"playback-compression", "seamless-migration", "gl", "unix", NULL,
};

static int do_usbdevice(const char *v)
{
	static const char *const ok[] = { "mouse", "tablet", "keyboard", "wacom-tablet", "braille" };

	if (qemu_startswith(v, "disk:"))
		return vt_log_errno(EOPNOTSUPP, "qemu: -usbdevice '%s' is refused: use -drive", v);
	if (!qemu_listed(ok, ELEMENTSOF(ok), v))
		return vt_log_errno(EOPNOTSUPP, "qemu: -usbdevice '%s' is refused: %s", v, why_host);
	return 0;
}

/* -display TYPE,KEY=VALUE...: qemu 7.2 reads it as keyval into its
 * DisplayOptions (parse_display()), "vnc=..." as -vnc. For each display
 * type, the keys that name nothing on the host; gl= only off (any other
 * mode opens a host render node, which egl-headless exists for: refused,
 * as are spice-app, which runs a host program, gtk, which loads the
 * modules the user's GTK settings (the passwd home) and the X server's
 * XSETTINGS name, and types vmtrust does not know). */
static const struct display_type {
	const char *type;
	const char *const keys[8];
} display_types[] = {
	{ "none", { NULL } },
	{ "sdl", { "full-screen", "window-close", "show-cursor", "gl", "grab-mod", NULL } },
	{ "curses", { "charset", NULL } },
	{ "dbus", { "p2p", "audiodev", "gl", NULL } },
};

static int do_display(const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const struct display_type *t = NULL;
	const char *type;
	int r;

	if (qemu_startswith(arg, "vnc="))
		return keys_allowed("display", arg + 4, "vnc", vnc_keys, false);
	r = qemu_kv_parse("display", arg, KEYVAL, "type", &o);
	if (r < 0)
		return r;
	/* the first key: a second type= is refused below */
	type = o.n && !strcmp(o.v[0].key, "type") ? o.v[0].value : NULL;
	for (size_t i = 0; type && i < ELEMENTSOF(display_types); i++)
		if (!strcmp(type, display_types[i].type))
			t = &display_types[i];
	if (!t)
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -display %s is refused: not a display vmtrust knows to reach no host "
					"resource (none, sdl, curses, dbus, vnc=)", type ? type : "(no type)");
	for (size_t i = 0; i < o.n; i++) {
		const struct qemu_kv *kv = &o.v[i];
		size_t k;

		if (i == 0)
			continue;
		for (k = 0; k < ELEMENTSOF(t->keys) && t->keys[k] && strcmp(t->keys[k], kv->key); k++)
			;
		if (k == ELEMENTSOF(t->keys) || !t->keys[k] || strchr(kv->value, '/'))
			return vt_log_errno(EOPNOTSUPP, "qemu: -display %s: %s='%s' is refused: %s", type,
						kv->key, kv->value, why_host);
		if (!strcmp(kv->key, "gl") && strcmp(kv->value, "off") != 0)
			return vt_log_errno(EOPNOTSUPP,
						"qemu: -display %s: gl='%s' is refused: opengl opens a host render "
						"node, which is not verified", type, kv->value);
	}
	return 0;
}
/* Options read as keys: the keys that name no host file (an allow-list;
 * -trace events= and file=, -icount rrfile= and rrsnapshot=, -smbios file=
 * and path=, -fw_cfg file=, -boot splash= are not among them). */
static const char *const trace_keys[] = { "enable", NULL };
static const char *const icount_keys[] = { "shift", "align", "sleep", "rr", NULL };
static const char *const fw_cfg_keys[] = { "name", "string", NULL };
static const char *const boot_keys[] = { "order", "once", "menu", "splash-time", "reboot-timeout", "strict", NULL };
static const char *const smbios_keys[] = {
	"type", "vendor", "version", "date", "release", "uefi", "manufacturer", "product", "serial", "uuid",
	"sku", "family", "asset", "location", "part", "speed", "max-speed", "current-speed", "processor-id",
	"sock_pfx", "loc_pfx", "bank", "value", "designation", "kind", "instance", "pcidev", NULL,
};


/* ---- the option table --------------------------------------------------------- */

enum kind {
	ARG,            /* takes a value, nothing to check */
	FLAG_REFUSED,
	REFUSED,        /* takes a value; refused whatever it is */
	DRIVE,
	DRIVE_FILE,     /* -hda FILE ... */
	PFLASH,
	BLOCKDEV,
	KERNEL,
	INITRD,
	BIOS,
	MACHINE,
	NAME,
	UUID,
	DEVICE,
	GLOBAL,
	FW_CFG,
	SMBIOS,
	BOOT,
	USBDEVICE,
	OBJECT,
	CHARDEV,
	CHR_SPEC,
	NET,
	AUDIO,
	TPMDEV,
	ALLOW_KEYS,     /* keys allowed: a is the implied key */
	MONITOR,
	KEYMAP,
	DISPLAY,
	ONLY_KEYS,      /* keys allowed: a is the implied key */
};

struct qopt {
	const char *name;
	enum kind kind;
	const char *a, *b;      /* DRIVE_FILE: target, device; refused: why */
	const char *const *keys;
};

/* Every qemu option that takes a value (qemu-options.hx, HAS_ARG, up to
 * qemu 9, and some removed ones), so that a value is never read as an
 * option. An option not here is taken for a flag: qemu itself refuses one
 * it does not know.
 *
 * Refused, as what they bring in cannot be verified before launch:
 * -readconfig, -set, -L, -dtb (and -machine dtb=), -option-rom, -incoming,
 * -loadvm, -add-fd, -fsdev, -virtfs, -acpitable, -plugin, -semihosting,
 * -semihosting-config, -fw_cfg file=, -smbios file=, -boot splash=,
 * -usbdevice but a mouse, tablet, keyboard or braille device, -device (and
 * -global) loader, guest-loader, nvdimm, virtio-pmem, usb-host, vfio-*,
 * vhost-user-*, vhost-vdpa*, ivshmem*, virtio-9p*, ... or a property that
 * names a host file or device (romfile=, host=, vhostfd=, evdev=...),
 * -object, -chardev, -netdev/-net/-nic, -audiodev/-audio and -tpmdev but
 * their allow-lists, the short chardev forms of -serial, -monitor, -qmp,
 * -gdb... on files, pipes, devices or sockets, -s, -mem-path, options that
 * write host files (-pidfile, -D, -trace file=, -machine dumpdtb=...) or
 * share host directories or ports (-smb, -tftp, -redir), -vnc unix:,
 * -spice unix=/x509-*, render nodes, and JSON forms. On drives: no format=
 * (qemu would probe: -hda..., -cdrom, a bare file, -pflash), json: and
 * protocol filenames, relative paths, a drive with no file (but an empty
 * cdrom or floppy), a format or blockdev driver other than raw, qcow2, luks
 * (and file), backing and data-file options, file.* options that name
 * another source, nodes that cannot be followed, an initrd with ',' or ' '
 * (multiboot modules), and -bios together with a pflash unit 0. */
static const struct qopt qopts[] = {
	{ "M", MACHINE, NULL, NULL, NULL },
	{ "machine", MACHINE, NULL, NULL, NULL },
	{ "drive", DRIVE, NULL, NULL, NULL },
	{ "blockdev", BLOCKDEV, NULL, NULL, NULL },
	{ "hda", DRIVE_FILE, "hda", "disk", NULL },
	{ "hdb", DRIVE_FILE, "hdb", "disk", NULL },
	{ "hdc", DRIVE_FILE, "hdc", "disk", NULL },
	{ "hdd", DRIVE_FILE, "hdd", "disk", NULL },
	{ "cdrom", DRIVE_FILE, "cdrom", "cdrom", NULL },
	{ "fda", DRIVE_FILE, "fda", "floppy", NULL },
	{ "fdb", DRIVE_FILE, "fdb", "floppy", NULL },
	{ "sd", DRIVE_FILE, "sd", "disk", NULL },
	{ "mtdblock", DRIVE_FILE, "mtdblock", "disk", NULL },
	{ "pflash", PFLASH, NULL, NULL, NULL },
	{ "kernel", KERNEL, NULL, NULL, NULL },
	{ "initrd", INITRD, NULL, NULL, NULL },
	{ "bios", BIOS, NULL, NULL, NULL },
	{ "name", NAME, NULL, NULL, NULL },
	{ "uuid", UUID, NULL, NULL, NULL },
	{ "device", DEVICE, NULL, NULL, NULL },
	{ "global", GLOBAL, NULL, NULL, NULL },
	{ "fw_cfg", FW_CFG, NULL, NULL, NULL },
	{ "smbios", SMBIOS, NULL, NULL, NULL },
	{ "boot", BOOT, NULL, NULL, NULL },
	{ "usbdevice", USBDEVICE, NULL, NULL, NULL },
	{ "readconfig", REFUSED, "a config file can add what is not verified", NULL, NULL },
	{ "set", REFUSED, "it can change an option after it was checked", NULL, NULL },
	{ "L", REFUSED, "it changes where the default firmware and option roms come from", NULL, NULL },
	{ "dtb", REFUSED, "the device tree file is not verified", NULL, NULL },
	{ "option-rom", REFUSED, "option roms are not verified", NULL, NULL },
	{ "incoming", REFUSED, "the guest state would come from a migration stream", NULL, NULL },
	{ "loadvm", REFUSED, "the guest state would come from a snapshot", NULL, NULL },
	{ "add-fd", REFUSED, "what a passed file descriptor holds cannot be verified", NULL, NULL },
	{ "fsdev", REFUSED, "a host directory passthrough cannot be verified", NULL, NULL },
	{ "virtfs", REFUSED, "a host directory passthrough cannot be verified", NULL, NULL },
	{ "acpitable", REFUSED, "acpi tables from files are not verified", NULL, NULL },
	{ "plugin", REFUSED, "a tcg plugin can change what the guest runs", NULL, NULL },
	{ "semihosting-config", REFUSED, "semihosting gives the guest the host's files", NULL, NULL },
	{ "semihosting", FLAG_REFUSED, "semihosting gives the guest the host's files", NULL, NULL },
	{ "s", FLAG_REFUSED, "a gdb server on a host port controls the guest", NULL, NULL },
	{ "snapshot", FLAG_REFUSED, "qemu opens its temporary overlay by name, which is not verified", NULL,
	  NULL },
	{ "mem-path", REFUSED, "guest memory backed by a host file is not accepted", NULL, NULL },
	{ "pidfile", REFUSED, "it writes a host file", NULL, NULL },
	{ "D", REFUSED, "it writes a host file", NULL, NULL },
	{ "writeconfig", REFUSED, "it writes a host file", NULL, NULL },
	{ "dump-vmstate", REFUSED, "it writes a host file", NULL, NULL },
	{ "qtest", REFUSED, "a test channel on the host controls the guest", NULL, NULL },
	{ "qtest-log", REFUSED, "it writes a host file", NULL, NULL },
	{ "smb", REFUSED, "it shares a host directory with the guest", NULL, NULL },
	{ "tftp", REFUSED, "it shares a host directory with the guest", NULL, NULL },
	{ "bootp", REFUSED, "it serves a host file to the guest", NULL, NULL },
	{ "redir", REFUSED, "it forwards host ports into the guest", NULL, NULL },
	{ "pcidevice", REFUSED, "it hands the guest a host device", NULL, NULL },
	{ "bt", REFUSED, "it can hand the guest a host device", NULL, NULL },
	{ "iscsi", REFUSED, "network storage cannot be verified before launch", NULL, NULL },
	{ "object", OBJECT, NULL, NULL, NULL },
	{ "chardev", CHARDEV, NULL, NULL, NULL },
	{ "serial", CHR_SPEC, NULL, NULL, NULL },
	{ "parallel", CHR_SPEC, NULL, NULL, NULL },
	{ "monitor", MONITOR, NULL, NULL, NULL },
	{ "qmp", REFUSED, "a monitor adds devices that are not verified at run time", NULL, NULL },
	{ "qmp-pretty", REFUSED, "a monitor adds devices that are not verified at run time", NULL, NULL },
	{ "nographic", FLAG_REFUSED,
	  "it puts a monitor on stdio (use -display none -serial stdio -monitor none)", NULL, NULL },
	{ "debugcon", CHR_SPEC, NULL, NULL, NULL },
	{ "virtioconsole", CHR_SPEC, NULL, NULL, NULL },
	{ "gdb", REFUSED, "its gdb server carries a monitor and writes guest memory", NULL, NULL },
	{ "netdev", NET, NULL, NULL, NULL },
	{ "net", NET, NULL, NULL, NULL },
	{ "nic", NET, NULL, NULL, NULL },
	{ "audiodev", AUDIO, NULL, NULL, NULL },
	{ "audio", AUDIO, NULL, NULL, NULL },
	{ "tpmdev", TPMDEV, NULL, NULL, NULL },
	{ "vnc", ALLOW_KEYS, "vnc", NULL, vnc_keys },
	{ "spice", ALLOW_KEYS, NULL, NULL, spice_keys },
	{ "k", KEYMAP, NULL, NULL, NULL },
	{ "mon", MONITOR, NULL, NULL, NULL },
	{ "display", DISPLAY, NULL, NULL, NULL },
	{ "trace", ONLY_KEYS, "enable", NULL, trace_keys },
	{ "icount", ONLY_KEYS, "shift", NULL, icount_keys },
};

/* The others that take a value, with nothing in it to check. */
static const char *const value_opts[] = {
	"accel", "action", "append", "balloon", "chroot", "clock", "compat", "cpu", "d", "dfilter",
	"echr", "g", "hdachs", "kvm-shadow-memory", "m", "msg", "numa", "overcommit",
	"prom-env", "realtime", "rotate", "rtc", "run-with", "runas", "sandbox", "seed", "smp",
	"soundhw", "startdate", "tb-size", "vga", "watchdog", "watchdog-action", "xen-domid",
};

static const struct qopt *lookup(const char *name)
{
	static const struct qopt value = { "", ARG, NULL, NULL, NULL };

	for (size_t i = 0; i < ELEMENTSOF(qopts); i++)
		if (!strcmp(qopts[i].name, name))
			return &qopts[i];
	for (size_t i = 0; i < ELEMENTSOF(value_opts); i++)
		if (!strcmp(value_opts[i], name))
			return &value;
	return NULL;
}

/* -kernel FILE and the like: the whole value is the path. */
static int whole_ref(struct qemu_ctx *c, const char *what, int r)
{
	return r < 0 ? r : qemu_add_ref(c, what, c->arg, QEMU_OPTS, NULL, NULL, false, false, -1);
}

static int do_option(struct qemu_ctx *c, const struct qopt *q, const char *v)
{
	int r;

	switch (q->kind) {
	case ARG:
		return 0;
	case FLAG_REFUSED:
	case REFUSED:
		return vt_log_errno(EOPNOTSUPP, "qemu: -%s is refused: %s", q->name, q->a);
	case DRIVE:
		return qemu_do_drive(c, v);
	case DRIVE_FILE:
		return qemu_do_drive_file(c, q->a, q->b, v);
	case PFLASH:
		return qemu_add_pflash(c, "-pflash", NULL, v, NULL, false, false);
	case BLOCKDEV:
		return qemu_do_blockdev(c, v);
	case KERNEL:
		return whole_ref(c, "kernel", do_kernel(c, "kernel", v));
	case INITRD:
		return whole_ref(c, "initrd", do_initrd(c, "initrd", v));
	case BIOS:
		return whole_ref(c, "loader", qemu_set_firmware(c, FW_BIOS, "bios", v));
	case MACHINE:
		return do_machine(c, v);
	case NAME:
		return do_name(c, v);
	case UUID:
		return set_str(&c->d->uuid, v);
	case DEVICE:
		return do_device(c, v);
	case GLOBAL:
		return do_global(c, v);
	case FW_CFG:
		r = refuse_key("fw_cfg", v, "name", "file", "fw_cfg files are not verified");
		return r < 0 ? r : keys_allowed("fw_cfg", v, "name", fw_cfg_keys, true);
	case SMBIOS:
		r = refuse_key("smbios", v, NULL, "file", "smbios files are not verified");
		return r < 0 ? r : keys_allowed("smbios", v, NULL, smbios_keys, true);
	case BOOT:
		r = refuse_key("boot", v, "order", "splash", "the splash image is not verified");
		return r < 0 ? r : keys_allowed("boot", v, "order", boot_keys, true);
	case USBDEVICE:
		return do_usbdevice(v);
	case OBJECT:
		return do_object(c, v);
	case CHARDEV:
		return do_chardev(c, v);
	case CHR_SPEC:
		return do_chr_spec(q->name, v);
	case NET:
		return do_net(c, q->name, v);
	case AUDIO:
		return do_audio(q->name, v);
	case TPMDEV:
		return do_tpmdev(v);
	case ALLOW_KEYS:
		return keys_allowed(q->name, v, q->a, q->keys, false);
	case MONITOR:
		return do_monitor(c, q->name, v);
	case KEYMAP:
		return do_keymap(v);
	case DISPLAY:
		return do_display(v);
	case ONLY_KEYS:
		return keys_allowed(q->name, v, q->a, q->keys, true);
	}
	return 0;
}

int qemu_parse_args(int argc, char *const *argv, struct qemu_ctx *c, struct launch_domain **ret)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	int r;

	if (argc < 1 || !argv || !argv[0])
		return vt_log_errno(EINVAL, "qemu: no command line");
	if (argc > QEMU_ARGS_MAX)
		return vt_log_errno(E2BIG, "qemu: %d arguments, more than %d", argc, QEMU_ARGS_MAX);
	/* The emulator itself: launch_decide() checks that the host
	 * attestation covers it; it runs without a PATH search. */
	r = check_path("emulator", argv[0]);
	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->emulator = strdup(argv[0])))
		return -ENOMEM;
	c->d = d;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct qopt *q;

		if (!a)
			return vt_log_errno(EINVAL, "qemu: argument %d is missing", i);
		/* A bare argument is the first hard disk. */
		if (a[0] != '-') {
			r = qemu_do_drive_file(c, "hda", "disk", a);
			if (r < 0)
				return r;
			continue;
		}
		q = lookup(a + (a[1] == '-' ? 2 : 1));
		if (!strcmp(a + (a[1] == '-' ? 2 : 1), "nodefaults"))
			c->nodefaults = true;
		if (!strcmp(a + (a[1] == '-' ? 2 : 1), "display"))
			c->display_given = true;
		if (!strcmp(a + (a[1] == '-' ? 2 : 1), "audiodev") || !strcmp(a + (a[1] == '-' ? 2 : 1), "audio"))
			c->audio_given = true;
		if (!q)
			continue;
		if (q->kind == FLAG_REFUSED) {
			r = do_option(c, q, NULL);
			if (r < 0)
				return r;
			continue;
		}
		if (i + 1 >= argc || !argv[i + 1])
			return vt_log_errno(EINVAL, "qemu: option '%s' needs a value", a);
		c->arg = ++i;
		r = do_option(c, q, argv[i]);
		if (r < 0)
			return r;
	}
	r = qemu_finish_blockdevs(c);
	if (r < 0)
		return r;
	/* Without -monitor none (or -nodefaults) qemu adds a monitor on its
	 * console, which a display shows. */
	if (!c->monitor_none && !c->nodefaults)
		return vt_log_errno(EOPNOTSUPP, "qemu: the default monitor is refused: %s; give -monitor none",
					why_monitor);
	/* Without any network option qemu gives the guest a user-mode nic. */
	if (!c->network && !c->nodefaults) {
		r = add_interface(d, "user", NULL);
		if (r < 0)
			return r;
	}
	if (!d->name && set_str(&d->name, "qemu") < 0)
		return -ENOMEM;
	/* A caller iterates disks with n_disks; an empty array, as domain.c's. */
	if (!d->disks && !(d->disks = calloc(1, sizeof(*d->disks))))
		return -ENOMEM;
	*ret = TAKE_PTR(d);
	return 0;
}

int launch_domain_from_qemu_args(int argc, char *const *argv, struct launch_domain **ret)
{
	_cleanup_(qemu_ctx_done) struct qemu_ctx c = {};

	return qemu_parse_args(argc, argv, &c, ret);
}
