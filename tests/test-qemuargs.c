/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch/qemuargs.c: a qemu command line read as the domain it would run;
 * what cannot be verified before launch is refused with one logged line. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
	n_errors = 0;
	last_error[0] = '\0';
}

#define MAX_ARGS 32

/* argv from a NULL-terminated list of strings, argv[0] the binary */
static int parse(struct launch_domain **d, const char *const *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"qemu-system-x86_64";
	for (; *args; args++) {
		ck_assert_int_lt(argc, MAX_ARGS);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	return launch_domain_from_qemu_args(argc, argv, d);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct launch_disk *disk(const struct launch_domain *d, const char *target)
{
	for (size_t i = 0; i < d->n_disks; i++)
		if (!strcmp(d->disks[i].target, target))
			return &d->disks[i];
	ck_abort_msg("no disk '%s'", target);
	return NULL;
}

/* ---- what a command line runs ---- */

START_TEST(test_typical)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-machine", "q35", "-m", "512", "-drive",
					"file=/img/a.qcow2,format=qcow2,if=virtio", "-kernel", "/boot/k", "-initrd",
					"/boot/i", "-append", "console=ttyS0", "-bios", "/usr/share/OVMF.fd",
					"-nographic")),
			 0);
	ck_assert_str_eq(d->name, "qemu");
	ck_assert_ptr_null(d->uuid);
	ck_assert_uint_eq(d->n_disks, 1);
	ck_assert_str_eq(d->disks[0].target, "drive0");
	ck_assert_str_eq(d->disks[0].device, "disk");
	ck_assert_str_eq(d->disks[0].source, "/img/a.qcow2");
	ck_assert_str_eq(d->disks[0].format, "qcow2");
	ck_assert(!d->disks[0].readonly);
	ck_assert(!d->disks[0].encrypted);
	ck_assert(!d->disks[0].block);
	ck_assert_str_eq(d->kernel, "/boot/k");
	ck_assert_str_eq(d->initrd, "/boot/i");
	ck_assert_str_eq(d->loader, "/usr/share/OVMF.fd");
	ck_assert_ptr_null(d->nvram_template);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_no_args)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	char *argv[] = { (char *)"qemu-system-x86_64", NULL };

	ck_assert_int_eq(launch_domain_from_qemu_args(1, argv, &d), 0);
	ck_assert_str_eq(d->name, "qemu");
	ck_assert_uint_eq(d->n_disks, 0);
	ck_assert_ptr_null(d->kernel);
	ck_assert_ptr_null(d->loader);
	ck_assert_int_eq(launch_domain_from_qemu_args(0, argv, &d), -EINVAL);
}
END_TEST

START_TEST(test_shortcuts)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	/* -hda takes its whole value as the file name, commas and all */
	ck_assert_int_eq(parse(&d, ARGS("-hda", "/img/a,format=qcow2", "-hdb", "/img/b.img", "-hdd", "/img/d.img",
					"-cdrom", "/iso/x.iso", "-fda", "", "--hdc", "/img/c.img")),
			 0);
	ck_assert_uint_eq(d->n_disks, 6);
	ck_assert_str_eq(disk(d, "hda")->source, "/img/a,format=qcow2");
	ck_assert_ptr_null(disk(d, "hda")->format);
	ck_assert_str_eq(disk(d, "hdb")->source, "/img/b.img");
	ck_assert_str_eq(disk(d, "hdc")->source, "/img/c.img");
	ck_assert_str_eq(disk(d, "hdd")->source, "/img/d.img");
	ck_assert_str_eq(disk(d, "cdrom")->device, "cdrom");
	ck_assert_str_eq(disk(d, "cdrom")->source, "/iso/x.iso");
	ck_assert(disk(d, "cdrom")->readonly);
	ck_assert_str_eq(disk(d, "fda")->device, "floppy");
	ck_assert_ptr_null(disk(d, "fda")->source);       /* empty */
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_bare_argument_is_hda)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-m", "1G", "/img/disk.img", "-snapshot")), 0);
	ck_assert_uint_eq(d->n_disks, 1);
	ck_assert_str_eq(d->disks[0].target, "hda");
	ck_assert_str_eq(d->disks[0].source, "/img/disk.img");
}
END_TEST

START_TEST(test_drive_options)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("--drive", "file=/img/a,,b.qcow2,format=qcow2,readonly=on",
					"-drive", "if=ide,media=cdrom", "-drive",
					"file=/img/c.img,format=raw,readonly,cache.direct=on,file.locking=off",
					"--drive", "file=/img/d.luks,driver=luks,key-secret=sec0", "-drive",
					"file=/img/e.qcow2,format=qcow2,encrypt.format=luks,encrypt.key-secret=sec1",
					"-drive", "file=/img/f.img,file=/img/g.img,if=floppy", "-drive",
					"file=/img/h.img,snapshot=on,discard=unmap,throttling.iops-total=100")),
			 0);
	ck_assert_uint_eq(d->n_disks, 7);
	/* ",," is a comma */
	ck_assert_str_eq(disk(d, "drive0")->source, "/img/a,b.qcow2");
	ck_assert_str_eq(disk(d, "drive0")->format, "qcow2");
	ck_assert(disk(d, "drive0")->readonly);
	/* an empty cdrom */
	ck_assert_str_eq(disk(d, "drive1")->device, "cdrom");
	ck_assert_ptr_null(disk(d, "drive1")->source);
	/* "readonly" alone is readonly=on */
	ck_assert_str_eq(disk(d, "drive2")->format, "raw");
	ck_assert(disk(d, "drive2")->readonly);
	ck_assert(!disk(d, "drive2")->encrypted);
	/* luks is raw data, encrypted */
	ck_assert_str_eq(disk(d, "drive3")->format, "raw");
	ck_assert(disk(d, "drive3")->encrypted);
	ck_assert_str_eq(disk(d, "drive4")->format, "qcow2");
	ck_assert(disk(d, "drive4")->encrypted);
	/* the last file= wins, as in qemu */
	ck_assert_str_eq(disk(d, "drive5")->source, "/img/g.img");
	ck_assert_str_eq(disk(d, "drive5")->device, "floppy");
	/* no format: qemu probes */
	ck_assert_ptr_null(disk(d, "drive6")->format);
	ck_assert(!disk(d, "drive6")->readonly);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_name)
{
	const struct {
		const char *const *args;
		const char *name;
	} cases[] = {
		{ ARGS("-name", "web1"), "web1" },
		{ ARGS("-name", "guest=web2,process=qemu-web2,debug-threads=on"), "web2" },
		{ ARGS("--name", "web3,debug-threads=on"), "web3" },
		{ ARGS("-name", "a,,b"), "a,b" },
		{ ARGS("-name", "first", "-name", "second"), "second" },
		{ ARGS("-name", "kept", "-name", "process=p"), "kept" },
		{ ARGS("-name", "debug-threads=on"), "qemu" },
		{ ARGS("-name", ""), "qemu" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

		ck_assert_int_eq(parse(&d, cases[i].args), 0);
		ck_assert_str_eq(d->name, cases[i].name);
	}
}
END_TEST

START_TEST(test_uuid)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-uuid", "7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11")), 0);
	ck_assert_str_eq(d->uuid, "7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11");
}
END_TEST

START_TEST(test_values_are_not_options)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	/* every value here looks like an option that would add a file */
	ck_assert_int_eq(parse(&d, ARGS("-append", "-kernel /evil", "-append", "-kernel", "-name", "-hda",
					"-serial", "-readconfig", "-monitor", "-drive", "-netdev",
					"user,id=n0", "-device", "virtio-net,netdev=n0", "-chardev",
					"-blockdev", "-object", "-initrd", "-k", "-bios", "-cpu", "-cdrom")),
			 0);
	ck_assert_ptr_null(d->kernel);
	ck_assert_ptr_null(d->initrd);
	ck_assert_ptr_null(d->loader);
	ck_assert_uint_eq(d->n_disks, 0);
	ck_assert_str_eq(d->name, "-hda");
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_last_kernel_wins)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	/* -kernel is -machine kernel=: the last one is what qemu loads */
	ck_assert_int_eq(parse(&d, ARGS("-kernel", "/boot/a", "-machine", "q35,kernel=/boot/b,initrd=/boot/i,accel=kvm",
					"-M", "firmware=/fw/bios.bin")),
			 0);
	ck_assert_str_eq(d->kernel, "/boot/b");
	ck_assert_str_eq(d->initrd, "/boot/i");
	ck_assert_str_eq(d->loader, "/fw/bios.bin");
	d = (launch_domain_free(d), NULL);
	ck_assert_int_eq(parse(&d, ARGS("-machine", "q35,kernel=/boot/b", "-kernel", "/boot/a")), 0);
	ck_assert_str_eq(d->kernel, "/boot/a");
}
END_TEST

START_TEST(test_pflash)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/fw/OVMF_CODE.fd",
					"-drive", "if=pflash,format=raw,unit=1,file=/vm/VARS.fd")),
			 0);
	ck_assert_str_eq(d->loader, "/fw/OVMF_CODE.fd");
	ck_assert_uint_eq(d->n_disks, 1);
	ck_assert_str_eq(d->disks[0].target, "pflash1");
	ck_assert_str_eq(d->disks[0].source, "/vm/VARS.fd");
	d = (launch_domain_free(d), NULL);

	/* -pflash takes the next free unit */
	ck_assert_int_eq(parse(&d, ARGS("-pflash", "/fw/CODE.fd", "-pflash", "/vm/VARS.fd")), 0);
	ck_assert_str_eq(d->loader, "/fw/CODE.fd");
	ck_assert_str_eq(disk(d, "pflash1")->source, "/vm/VARS.fd");
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_blockdev)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-blockdev", "driver=file,filename=/img/a.qcow2,node-name=a-file",
					"-blockdev", "qcow2,file=a-file,node-name=a,read-only=on,cache.direct=on",
					"-blockdev", "driver=raw,node-name=b,file.driver=file,file.filename=/img/b,,x.img",
					"-blockdev", "driver=file,filename=/img/c.luks,node-name=c-file", "-blockdev",
					"driver=luks,file=c-file,node-name=c-luks,key-secret=s0", "-blockdev",
					"driver=raw,file=c-luks,node-name=c", "-blockdev",
					"driver=file,filename=/img/plain.img,node-name=plain", "-blockdev",
					"driver=qcow2,node-name=e,file.driver=file,file.filename=/img/e.qcow2,"
					"encrypt.format=luks,encrypt.key-secret=s1,backing=",
					"-device", "virtio-blk-pci,drive=a")),
			 0);
	ck_assert_uint_eq(d->n_disks, 5);
	ck_assert_str_eq(disk(d, "a")->source, "/img/a.qcow2");
	ck_assert_str_eq(disk(d, "a")->format, "qcow2");
	ck_assert(disk(d, "a")->readonly);
	ck_assert_str_eq(disk(d, "b")->source, "/img/b,x.img");
	ck_assert_str_eq(disk(d, "b")->format, "raw");
	ck_assert_str_eq(disk(d, "c")->source, "/img/c.luks");
	ck_assert_str_eq(disk(d, "c")->format, "raw");
	ck_assert(disk(d, "c")->encrypted);
	ck_assert_str_eq(disk(d, "plain")->format, "raw");
	ck_assert(!disk(d, "plain")->encrypted);
	ck_assert_str_eq(disk(d, "e")->format, "qcow2");
	ck_assert(disk(d, "e")->encrypted);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_blockdev_pflash)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-blockdev", "driver=file,filename=/fw/CODE.fd,node-name=p0,read-only=on",
					"-blockdev", "driver=file,filename=/vm/VARS.fd,node-name=p1-file", "-blockdev",
					"driver=raw,file=p1-file,node-name=p1", "-machine",
					"q35,pflash0=p0,pflash1=p1")),
			 0);
	ck_assert_str_eq(d->loader, "/fw/CODE.fd");
	ck_assert_uint_eq(d->n_disks, 1);
	ck_assert_str_eq(d->disks[0].target, "pflash1");
	ck_assert_str_eq(d->disks[0].source, "/vm/VARS.fd");
}
END_TEST

/* ---- refusals: each with one logged line ---- */

static const struct bad_args {
	const char *const *args;
	int err;
	const char *reason;
} bad_args[] = {
	/* options that bring in what is not verified */
	{ ARGS("-readconfig", "/etc/qemu/vm.cfg"), -EOPNOTSUPP, "-readconfig is refused" },
	{ ARGS("--readconfig", "/etc/qemu/vm.cfg"), -EOPNOTSUPP, "-readconfig is refused" },
	{ ARGS("-set", "drive.d0.file=/evil"), -EOPNOTSUPP, "-set is refused" },
	{ ARGS("-L", "/evil/share"), -EOPNOTSUPP, "-L is refused" },
	{ ARGS("-dtb", "/boot/x.dtb"), -EOPNOTSUPP, "-dtb is refused" },
	{ ARGS("-machine", "virt,dtb=/boot/x.dtb"), -EOPNOTSUPP, "-machine dtb= is refused" },
	{ ARGS("-option-rom", "/evil.rom"), -EOPNOTSUPP, "-option-rom is refused" },
	{ ARGS("-incoming", "tcp:0:4444"), -EOPNOTSUPP, "-incoming is refused" },
	{ ARGS("-loadvm", "snap1"), -EOPNOTSUPP, "-loadvm is refused" },
	{ ARGS("-add-fd", "fd=3,set=2"), -EOPNOTSUPP, "-add-fd is refused" },
	{ ARGS("-fsdev", "local,id=f,path=/srv,security_model=none"), -EOPNOTSUPP, "-fsdev is refused" },
	{ ARGS("-virtfs", "local,path=/srv,mount_tag=m,security_model=none"), -EOPNOTSUPP, "-virtfs is refused" },
	{ ARGS("-acpitable", "file=/evil.aml"), -EOPNOTSUPP, "-acpitable is refused" },
	{ ARGS("-plugin", "/evil.so"), -EOPNOTSUPP, "-plugin is refused" },
	{ ARGS("-semihosting"), -EOPNOTSUPP, "-semihosting is refused" },
	{ ARGS("-semihosting-config", "enable=on"), -EOPNOTSUPP, "-semihosting-config is refused" },
	{ ARGS("-fw_cfg", "name=opt/x,file=/evil"), -EOPNOTSUPP, "-fw_cfg file='/evil' is refused" },
	{ ARGS("-fw_cfg", "opt/x,file=/evil"), -EOPNOTSUPP, "-fw_cfg file='/evil' is refused" },
	{ ARGS("-smbios", "file=/evil.bin"), -EOPNOTSUPP, "-smbios file='/evil.bin' is refused" },
	{ ARGS("-boot", "menu=on,splash=/evil.bmp"), -EOPNOTSUPP, "-boot splash='/evil.bmp' is refused" },
	{ ARGS("-usbdevice", "disk:/img/a.img"), -EOPNOTSUPP, "-usbdevice 'disk:/img/a.img' is refused" },
	{ ARGS("-device", "loader,file=/evil.elf"), -EOPNOTSUPP, "-device loader is refused" },
	{ ARGS("-device", "driver=guest-loader,kernel=/evil"), -EOPNOTSUPP, "-device guest-loader is refused" },
	{ ARGS("-device", "vhost-user-blk-pci,chardev=c"), -EOPNOTSUPP, "-device vhost-user-blk-pci is refused" },
	{ ARGS("-device", "virtio-net-pci,romfile=/evil.rom"), -EOPNOTSUPP, "romfile '/evil.rom' is refused" },
	{ ARGS("-device", "{\"driver\":\"loader\",\"file\":\"/evil\"}"), -EOPNOTSUPP, "-device in JSON form" },
	{ ARGS("-global", "virtio-net-pci.romfile=/evil.rom"), -EOPNOTSUPP, "romfile '/evil.rom' is refused" },
	{ ARGS("-global", "driver=e1000,property=romfile,value=/evil.rom"), -EOPNOTSUPP,
	  "romfile '/evil.rom' is refused" },
	/* drive files */
	{ ARGS("-drive", "file=json:{\"driver\":\"nbd\"}"), -EOPNOTSUPP, "drive0: a json: filename" },
	{ ARGS("-drive", "file=nbd:10.0.0.1:10809,format=raw"), -EOPNOTSUPP,
	  "drive0: protocol 'nbd' in 'nbd:10.0.0.1:10809'" },
	{ ARGS("-drive", "file=http://example.com/a.iso,media=cdrom"), -EOPNOTSUPP, "protocol 'http'" },
	{ ARGS("-hda", "fat:rw:/srv"), -EOPNOTSUPP, "hda: protocol 'fat'" },
	{ ARGS("-cdrom", "https://example.com/a.iso"), -EOPNOTSUPP, "cdrom: protocol 'https'" },
	{ ARGS("-drive", "file=img/a.qcow2"), -EOPNOTSUPP, "drive0 'img/a.qcow2' is not an absolute path" },
	{ ARGS("-drive", "file=/img/a.qcow2,nofile"), -EOPNOTSUPP, "drive0 'off' is not an absolute path" },
	{ ARGS("a.img"), -EOPNOTSUPP, "hda 'a.img' is not an absolute path" },
	{ ARGS("-kernel", "vmlinuz"), -EOPNOTSUPP, "kernel 'vmlinuz' is not an absolute path" },
	{ ARGS("-initrd", "./initrd.img"), -EOPNOTSUPP, "initrd './initrd.img' is not an absolute path" },
	{ ARGS("-bios", "bios-256k.bin"), -EOPNOTSUPP, "bios 'bios-256k.bin' is not an absolute path" },
	{ ARGS("-pflash", "OVMF.fd"), -EOPNOTSUPP, "pflash0 'OVMF.fd' is not an absolute path" },
	{ ARGS("-initrd", "/boot/mod1 arg,/boot/mod2"), -EOPNOTSUPP, "would make it a list of modules" },
	{ ARGS("-drive", "if=virtio,format=raw"), -EOPNOTSUPP, "drive0 has no file=" },
	{ ARGS("-drive", "driver=nbd,host=10.0.0.1,export=x"), -EOPNOTSUPP, "format 'nbd' cannot be verified" },
	{ ARGS("-drive", "file=/img/a.vmdk,format=vmdk"), -EOPNOTSUPP, "format 'vmdk' cannot be verified" },
	{ ARGS("-hda", ""), -EOPNOTSUPP, "hda has no file" },
	{ ARGS("-drive", "file=/img/a,format=qcow2,backing.file.filename=/evil"), -EOPNOTSUPP,
	  "an explicit backing file (backing.file.filename=) is not accepted" },
	{ ARGS("-drive", "file=/img/a,format=qcow2,data-file=/evil"), -EOPNOTSUPP, "an external data file" },
	{ ARGS("-drive", "file=/img/a,file.driver=nbd"), -EOPNOTSUPP, "file.driver='nbd' cannot be followed" },
	{ ARGS("-drive", "format=raw,media=cdrom,file.filename=/evil"), -EOPNOTSUPP,
	  "file.filename='/evil' cannot be followed" },
	{ ARGS("-drive", "file=/img/a,format=qcow2,encrypt.format=aes"), -EOPNOTSUPP, "encryption 'aes'" },
	{ ARGS("-drive", "file=/img/a,format=raw,driver=raw"), -EINVAL, "both format= and driver=" },
	{ ARGS("-drive", "file=/img/a,readonly=maybe"), -EINVAL, "readonly='maybe' is not on or off" },
	/* blockdev */
	{ ARGS("-blockdev", "driver=nbd,node-name=n,server.type=inet,server.host=10.0.0.1,export=x"), -EOPNOTSUPP,
	  "blockdev 'n': driver 'nbd' cannot be verified" },
	{ ARGS("-blockdev", "driver=qcow2,node-name=q,file=nowhere"), -EOPNOTSUPP,
	  "node 'nowhere' is not a -blockdev defined before it" },
	{ ARGS("-blockdev", "driver=qcow2,node-name=q,file=f", "-blockdev", "driver=file,filename=/a,node-name=f"),
	  -EOPNOTSUPP, "node 'f' is not a -blockdev defined before it" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-blockdev",
	       "driver=throttle,node-name=t,file=f,throttle-group=g"),
	  -EOPNOTSUPP, "driver 'throttle' cannot be verified" },
	{ ARGS("-blockdev", "driver=qcow2,node-name=q,file.driver=nbd,file.host=h"), -EOPNOTSUPP,
	  "driver 'nbd' cannot be verified" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-blockdev", "driver=raw,file=f,node-name=r",
	       "-blockdev", "driver=qcow2,file=r,node-name=q"),
	  -EOPNOTSUPP, "a qcow2 node over a raw node cannot be followed" },
	{ ARGS("-blockdev", "driver=raw,node-name=r,file.driver=raw,file.file.driver=file,file.file.filename=/a"),
	  -EOPNOTSUPP, "a raw node over a raw node cannot be followed" },
	{ ARGS("-blockdev", "driver=raw,node-name=r,file.driver=luks,file.file.driver=luks,"
	       "file.file.file.driver=luks,file.file.file.file.driver=file,file.file.file.file.filename=/a"),
	  -EOPNOTSUPP, "a chain of more than 3 nodes cannot be followed" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-blockdev",
	       "driver=qcow2,file=f,node-name=q,backing=base"),
	  -EOPNOTSUPP, "an explicit backing node (backing=) is not accepted" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-blockdev",
	       "driver=qcow2,file=f,node-name=q,data-file.driver=file,data-file.filename=/b"),
	  -EOPNOTSUPP, "an external data file" },
	{ ARGS("-blockdev", "driver=file,filename=rel.img,node-name=f"), -EOPNOTSUPP,
	  "blockdev 'f' filename 'rel.img' is not an absolute path" },
	{ ARGS("-blockdev", "driver=file,filename=nbd:h:1,node-name=f"), -EOPNOTSUPP, "protocol 'nbd'" },
	{ ARGS("-blockdev", "{\"driver\":\"file\",\"filename\":\"/a\",\"node-name\":\"f\"}"), -EOPNOTSUPP,
	  "-blockdev in JSON form" },
	{ ARGS("-blockdev", "driver=file,filename=/a"), -EINVAL, "has no node-name=" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f,read-only"), -EINVAL, "expected '=' after 'read-only'" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-machine", "pflash0=g"), -EOPNOTSUPP,
	  "-machine pflash0='g' is not a -blockdev node" },
	/* firmware twice */
	{ ARGS("-bios", "/fw/bios.bin", "-pflash", "/fw/OVMF.fd"), -EOPNOTSUPP,
	  "both -bios and a pflash unit 0 are given" },
	{ ARGS("-drive", "if=pflash,unit=0,file=/fw/a.fd", "-drive", "if=pflash,unit=0,file=/fw/b.fd"), -EINVAL,
	  "pflash unit 0 is given twice" },
	{ ARGS("-drive", "if=pflash,unit=x,file=/fw/a.fd"), -EINVAL, "pflash unit 'x' is not one of" },
	/* a value missing at the end */
	{ ARGS("-m"), -EINVAL, "option '-m' needs a value" },
	{ ARGS("-hda", "/img/a.img", "--drive"), -EINVAL, "option '--drive' needs a value" },
	{ ARGS("-kernel", "/boot/k", "-append"), -EINVAL, "option '-append' needs a value" },
	{ ARGS("-append", "-m", "-m"), -EINVAL, "option '-m' needs a value" },
	{ ARGS("-watchdog-action"), -EINVAL, "option '-watchdog-action' needs a value" },
	{ ARGS("-name", "guest=,process=p"), -EINVAL, "-name gives an empty name" },
};

START_TEST(test_refused)
{
	const struct bad_args *c = &bad_args[_i];
	struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, c->args), c->err);
	ck_assert_ptr_null(d);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, c->reason), "'%s' lacks '%s'", last_error, c->reason);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("qemuargs");
	TCase *tc = tcase_create("domain");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_typical);
	tcase_add_test(tc, test_no_args);
	tcase_add_test(tc, test_shortcuts);
	tcase_add_test(tc, test_bare_argument_is_hda);
	tcase_add_test(tc, test_drive_options);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_values_are_not_options);
	tcase_add_test(tc, test_last_kernel_wins);
	tcase_add_test(tc, test_pflash);
	tcase_add_test(tc, test_blockdev);
	tcase_add_test(tc, test_blockdev_pflash);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_refused, 0, (int)ELEMENTSOF(bad_args));
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
