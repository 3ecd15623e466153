/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch/qemuargs.c: a qemu command line read as the domain it would run;
 * what cannot be verified before launch is refused with one logged line. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "launch.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
	n_errors = 0;
	last_error[0] = '\0';
}

#define MAX_ARGS 40

/* argv from a NULL-terminated list of strings, argv[0] the binary; every
 * command line starts with -monitor none, which it needs (test_no_args). */
static int parse(struct launch_domain **d, const char *const *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"/usr/bin/qemu-system-x86_64";
	argv[argc++] = (char *)"-monitor";
	argv[argc++] = (char *)"none";
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
					"-display", "none", "-serial", "stdio")),
			 0);
	ck_assert_str_eq(d->name, "qemu");
	ck_assert_str_eq(d->emulator, "/usr/bin/qemu-system-x86_64");
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
	char *argv[] = { (char *)"/usr/bin/qemu-system-x86_64", (char *)"-nodefaults", NULL };
	char *relative[] = { (char *)"qemu-system-x86_64", (char *)"-nodefaults", NULL };

	/* qemu's default monitor, on its console */
	ck_assert_int_eq(launch_domain_from_qemu_args(1, argv, &d), -EOPNOTSUPP);
	ck_assert_ptr_null(d);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, "qemu: the default monitor is refused: a monitor adds devices"),
		      "%s", last_error);
	/* an emulator found through PATH */
	ck_assert_int_eq(launch_domain_from_qemu_args(2, relative, &d), -EOPNOTSUPP);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(last_error, "qemu: emulator 'qemu-system-x86_64' is not an absolute path"), "%s",
		      last_error);
	ck_assert_int_eq(launch_domain_from_qemu_args(2, argv, &d), 0);
	ck_assert_str_eq(d->name, "qemu");
	ck_assert_str_eq(d->emulator, "/usr/bin/qemu-system-x86_64");
	ck_assert_uint_eq(d->n_disks, 0);
	ck_assert_ptr_null(d->kernel);
	ck_assert_ptr_null(d->loader);
	ck_assert_int_eq(launch_domain_from_qemu_args(0, argv, &d), -EINVAL);
}
END_TEST

START_TEST(test_shortcuts)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	/* -hda and the like have no format=: only an empty removable drive passes */
	ck_assert_int_eq(parse(&d, ARGS("-cdrom", "", "-fda", "")), 0);
	ck_assert_uint_eq(d->n_disks, 2);
	ck_assert_str_eq(disk(d, "cdrom")->device, "cdrom");
	ck_assert_ptr_null(disk(d, "cdrom")->source);
	ck_assert_str_eq(disk(d, "fda")->device, "floppy");
	ck_assert_ptr_null(disk(d, "fda")->source);
	ck_assert_uint_eq(n_errors, 0);
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
					"-drive", "file=/img/f.img,file=/img/g.img,if=floppy,format=raw", "-drive",
					"file=/img/h.img,format=raw,snapshot=off,readonly=on,discard=unmap,throttling.iops-total=100")),
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
	ck_assert_str_eq(disk(d, "drive6")->format, "raw");
	ck_assert(disk(d, "drive6")->readonly);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* What names nothing on the host passes; the network backends are the
 * domain's interfaces, and qemu's default user-mode nic counts as one. */
START_TEST(test_host_resources_accepted)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-object", "memory-backend-memfd,id=m,size=1G,share=on", "-object",
					"rng-random,id=r,filename=/dev/urandom", "-object", "iothread,id=io",
					"-object", "secret,id=s,data=x", "-chardev", "pty,id=c", "-serial",
					"stdio", "-serial", "chardev:c", "-monitor", "none", "-audiodev",
					"none,id=a", "-vnc", "localhost:0,websocket=5700,share=ignore", "-spice",
					"port=5900,addr=127.0.0.1,disable-ticketing=on", "-display", "sdl,gl=off,show-cursor=on",
					"-k", "en-us", "-drive", "if=none,id=cd,media=cdrom,readonly=on", "-nic",
					"none")),
			 0);
	ck_assert_uint_eq(d->n_interfaces, 0);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* Each display type with the keys it may carry. */
START_TEST(test_display_accepted)
{
	static const char *const ok[] = {
		"none", "sdl,full-screen=on,gl=off", "sdl,grab-mod=rctrl",
		"curses,charset=CP437", "dbus,p2p=yes,audiodev=a", "vnc=localhost:0,websocket=5700", "type=sdl",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

		ck_assert_msg(parse(&d, ARGS("-display", ok[i])) == 0, "-display %s: %s", ok[i], last_error);
	}
	ck_assert_uint_eq(n_errors, 0);
	{
		_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

		ck_assert_msg(parse(&d, ARGS("-trace", "enable=virtio_*", "-icount", "shift=auto,align=on,sleep=off",
					     "-smbios", "type=0,vendor=ACME,date=01/02/2023", "-smbios",
					     "type=11,value=hello", "-fw_cfg", "name=opt/x,string=y", "-boot",
					     "order=c,menu=on,splash-time=5,strict=on")) == 0,
			      "%s", last_error);
	}
}
END_TEST

START_TEST(test_network)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	ck_assert_int_eq(parse(&d, ARGS("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0", "-nic",
					"bridge,br=virbr1,model=virtio", "-netdev", "bridge,id=n2")),
			 0);
	ck_assert_uint_eq(d->n_interfaces, 3);
	ck_assert_str_eq(d->interfaces[0].type, "user");
	ck_assert_ptr_null(d->interfaces[0].source);
	ck_assert_str_eq(d->interfaces[1].type, "bridge");
	ck_assert_str_eq(d->interfaces[1].source, "virbr1");
	ck_assert_str_eq(d->interfaces[2].source, "br0");
	ck_assert_ptr_null(d->interfaces[2].filter);
	d = (launch_domain_free(d), NULL);
	ck_assert_int_eq(parse(&d, ARGS("-m", "1G")), 0);
	ck_assert_uint_eq(d->n_interfaces, 1);
	ck_assert_str_eq(d->interfaces[0].type, "user");
	d = (launch_domain_free(d), NULL);
	ck_assert_int_eq(parse(&d, ARGS("-nodefaults")), 0);
	ck_assert_uint_eq(d->n_interfaces, 0);
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
					"-k", "-readconfig", "-cpu", "-drive", "-netdev",
					"user,id=n0", "-device", "virtio-net,netdev=n0", "-msg",
					"-blockdev", "-rtc", "-initrd", "-k", "-bios", "-cpu", "-cdrom")),
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
	/* -device by allow-list: a model not known to reach no host resource */
	{ ARGS("-device", "vhost-vsock-pci,guest-cid=3"), -EOPNOTSUPP,
	  "-device vhost-vsock-pci is refused: not a device vmtrust knows to reach no host resource" },
	{ ARGS("-device", "some-future-device"), -EOPNOTSUPP,
	  "-device some-future-device is refused: not a device vmtrust knows" },
	{ ARGS("-device", "id=x"), -EOPNOTSUPP, "-device without a driver is refused" },
	{ ARGS("-global", "isa-fdc.file=/evil"), -EOPNOTSUPP, "-global isa-fdc.file is refused" },
	{ ARGS("-global", "driver=pflash,property=host,value=x"), -EOPNOTSUPP, "-global pflash.host is refused" },
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
	{ ARGS("-drive", "driver=nbd,host=10.0.0.1,export=x"), -EOPNOTSUPP, "host='10.0.0.1' cannot be followed" },
	{ ARGS("-drive", "file=/img/a,driver=nbd"), -EOPNOTSUPP, "format 'nbd' cannot be verified" },
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
	/* one name, two files: one of them would not be handed over */
	{ ARGS("-drive", "file=/a,format=raw", "-blockdev", "driver=file,filename=/b,node-name=drive0"), -EOPNOTSUPP,
	  "qemu: 'drive0' names two files: give the -blockdev node another name" },
	{ ARGS("-kernel", "/k", "-blockdev", "driver=file,filename=/b,node-name=kernel"), -EOPNOTSUPP,
	  "qemu: 'kernel' names two files" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f,read-only"), -EINVAL, "expected '=' after 'read-only'" },
	{ ARGS("-blockdev", "driver=file,filename=/a,node-name=f", "-machine", "pflash0=g"), -EOPNOTSUPP,
	  "-machine pflash0='g' is not a -blockdev node" },
	/* firmware twice */
	{ ARGS("-bios", "/fw/bios.bin", "-drive", "if=pflash,format=raw,file=/fw/OVMF.fd"), -EOPNOTSUPP,
	  "both -bios and a pflash unit 0 are given" },
	{ ARGS("-drive", "if=pflash,unit=0,format=raw,file=/fw/a.fd", "-drive",
	       "if=pflash,unit=0,format=raw,file=/fw/b.fd"),
	  -EINVAL, "pflash unit 0 is given twice" },
	{ ARGS("-drive", "if=pflash,unit=x,file=/fw/a.fd"), -EINVAL, "pflash unit 'x' is not one of" },
	/* no format=: qemu would probe the file (a raw image taken for another format) */
	{ ARGS("-hda", "/img/a.img"), -EOPNOTSUPP, "qemu: hda '/img/a.img' has no format=, so qemu would probe it" },
	{ ARGS("-hdb", "/img/b,format=raw"), -EOPNOTSUPP, "hdb '/img/b,format=raw' has no format=" },
	{ ARGS("--hdc", "/img/c"), -EOPNOTSUPP, "hdc '/img/c' has no format=" },
	{ ARGS("-hdd", "/img/d"), -EOPNOTSUPP, "hdd '/img/d' has no format=" },
	{ ARGS("-cdrom", "/iso/x.iso"), -EOPNOTSUPP, "cdrom '/iso/x.iso' has no format=" },
	{ ARGS("-fda", "/img/f"), -EOPNOTSUPP, "fda '/img/f' has no format=" },
	{ ARGS("-fdb", "/img/f"), -EOPNOTSUPP, "fdb '/img/f' has no format=" },
	{ ARGS("-sd", "/img/s"), -EOPNOTSUPP, "sd '/img/s' has no format=" },
	{ ARGS("-mtdblock", "/img/m"), -EOPNOTSUPP, "mtdblock '/img/m' has no format=" },
	{ ARGS("-m", "1G", "/img/disk.img"), -EOPNOTSUPP, "hda '/img/disk.img' has no format=" },
	{ ARGS("-drive", "file=/img/h.img,if=virtio"), -EOPNOTSUPP, "drive0 '/img/h.img' has no format=" },
	{ ARGS("-drive", "file=/iso/x.iso,media=cdrom"), -EOPNOTSUPP, "drive0 '/iso/x.iso' has no format=" },
	{ ARGS("-drive", "if=pflash,file=/fw/CODE.fd"), -EOPNOTSUPP, "drive0 '/fw/CODE.fd' has no format=" },
	{ ARGS("-pflash", "/fw/CODE.fd"), -EOPNOTSUPP, "-pflash '/fw/CODE.fd' has no format=" },
	/* memory from host files */
	{ ARGS("-object", "memory-backend-file,id=m,size=1G,mem-path=/dev/shm/x,share=on"), -EOPNOTSUPP,
	  "-object memory-backend-file is refused" },
	{ ARGS("-object", "qom-type=memory-backend-file,id=m,mem-path=/x"), -EOPNOTSUPP,
	  "-object memory-backend-file is refused" },
	{ ARGS("-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"m\"}"), -EOPNOTSUPP,
	  "-object in JSON form" },
	{ ARGS("-mem-path", "/dev/hugepages"), -EOPNOTSUPP, "-mem-path is refused: guest memory backed by a host file" },
	{ ARGS("-device", "nvdimm,memdev=m,id=nv"), -EOPNOTSUPP, "-device nvdimm is refused" },
	/* other objects that name host files */
	{ ARGS("-object", "secret,id=s,file=/etc/key"), -EOPNOTSUPP, "-object file='/etc/key' is refused" },
	{ ARGS("-object", "rng-random,id=r,filename=/dev/sda"), -EOPNOTSUPP, "filename='/dev/sda' is refused" },
	{ ARGS("-object", "tls-creds-x509,id=t,dir=/etc/pki"), -EOPNOTSUPP, "-object tls-creds-x509 is refused" },
	{ ARGS("-object", "sev-guest,id=sev,dh-cert-file=/x"), -EOPNOTSUPP, "-object sev-guest is refused" },
	/* character devices on host files, pipes, devices, sockets */
	{ ARGS("-chardev", "socket,id=c,path=/tmp/s,server=on"), -EOPNOTSUPP, "-chardev socket is refused" },
	{ ARGS("-chardev", "file,id=c,path=/etc/cron.d/x"), -EOPNOTSUPP, "-chardev file is refused" },
	{ ARGS("-chardev", "pty,id=c,logfile=/etc/passwd"), -EOPNOTSUPP, "-chardev logfile='/etc/passwd' is refused" },
	{ ARGS("-serial", "file:/etc/cron.d/x"), -EOPNOTSUPP, "-serial 'file:/etc/cron.d/x' is refused" },
	{ ARGS("-serial", "/dev/ttyS0"), -EOPNOTSUPP, "-serial '/dev/ttyS0' is refused" },
	{ ARGS("-parallel", "pipe:/tmp/p"), -EOPNOTSUPP, "-parallel 'pipe:/tmp/p' is refused" },
	{ ARGS("-monitor", "tcp::4444,server,nowait"), -EOPNOTSUPP, "-monitor 'tcp::4444,server,nowait' is refused" },
	/* a monitor: it adds devices (blockdev-add opens any host file) at run time */
	{ ARGS("-qmp", "unix:/tmp/qmp.sock,server"), -EOPNOTSUPP, "-qmp is refused: a monitor adds devices" },
	{ ARGS("-qmp", "stdio"), -EOPNOTSUPP, "-qmp is refused: a monitor adds devices" },
	{ ARGS("-qmp-pretty", "stdio"), -EOPNOTSUPP, "-qmp-pretty is refused: a monitor adds devices" },
	{ ARGS("-monitor", "stdio"), -EOPNOTSUPP, "-monitor 'stdio' is refused: a monitor adds devices" },
	{ ARGS("-monitor", "vc"), -EOPNOTSUPP, "-monitor 'vc' is refused: a monitor adds devices" },
	{ ARGS("-mon", "chardev=c,mode=control"), -EOPNOTSUPP, "-mon 'chardev=c,mode=control' is refused" },
	{ ARGS("-serial", "mon:stdio"), -EOPNOTSUPP, "-serial 'mon:stdio' is refused: a monitor adds devices" },
	{ ARGS("-nographic"), -EOPNOTSUPP, "-nographic is refused: it puts a monitor on stdio" },
	{ ARGS("--nographic"), -EOPNOTSUPP, "-nographic is refused: it puts a monitor on stdio" },
	{ ARGS("-serial", "mon:unix:/tmp/s,server"), -EOPNOTSUPP, "-serial 'mon:unix:/tmp/s,server' is refused" },
	{ ARGS("-gdb", "tcp::1234"), -EOPNOTSUPP, "-gdb is refused: its gdb server carries a monitor" },
	{ ARGS("-gdb", "pty"), -EOPNOTSUPP, "-gdb is refused: its gdb server carries a monitor" },
	{ ARGS("-gdb", "chardev:c0"), -EOPNOTSUPP, "-gdb is refused" },
	/* a temporary overlay qemu opens by name */
	{ ARGS("-drive", "file=/img/a.raw,format=raw,snapshot=on"), -EOPNOTSUPP,
	  "drive0: snapshot='on' is refused: qemu opens its temporary overlay by name" },
	{ ARGS("-snapshot", "-drive", "file=/img/a.raw,format=raw,readonly=on"), -EOPNOTSUPP,
	  "-snapshot is refused: qemu opens its temporary overlay by name" },
	{ ARGS("-s"), -EOPNOTSUPP, "-s is refused: a gdb server" },
	/* networks that bypass what the host controls */
	{ ARGS("-netdev", "tap,id=n,script=/tmp/ifup"), -EOPNOTSUPP, "-netdev tap is refused" },
	{ ARGS("-netdev", "user,id=n,smb=/srv"), -EOPNOTSUPP, "-netdev smb='/srv' is refused" },
	{ ARGS("-netdev", "user,id=n,guestfwd=tcp:10.0.2.100:1234-cmd:/bin/sh"), -EOPNOTSUPP,
	  "-netdev guestfwd='tcp:10.0.2.100:1234-cmd:/bin/sh' is refused" },
	{ ARGS("-nic", "user,hostfwd=tcp::2222-:22"), -EOPNOTSUPP, "-nic hostfwd='tcp::2222-:22' is refused" },
	{ ARGS("-netdev", "bridge,id=n,br=br0,helper=/tmp/helper"), -EOPNOTSUPP, "-netdev helper='/tmp/helper'" },
	{ ARGS("-netdev", "vhost-user,id=n,chardev=c"), -EOPNOTSUPP, "-netdev vhost-user is refused" },
	{ ARGS("-net", "socket,listen=:1234"), -EOPNOTSUPP, "-net socket is refused" },
	{ ARGS("-netdev", "{\"type\":\"tap\",\"id\":\"n\"}"), -EOPNOTSUPP, "-netdev in JSON form" },
	/* host devices */
	{ ARGS("-device", "vfio-pci,host=01:00.0"), -EOPNOTSUPP, "-device vfio-pci is refused: a host device" },
	{ ARGS("-device", "usb-host,hostbus=1,hostaddr=2"), -EOPNOTSUPP, "-device usb-host is refused" },
	{ ARGS("-device", "virtio-net-pci,netdev=n,vhostfd=5"), -EOPNOTSUPP,
	  "-device virtio-net-pci: vhostfd='5' is refused" },
	{ ARGS("-device", "ivshmem-plain,memdev=m"), -EOPNOTSUPP, "-device ivshmem-plain is refused" },
	{ ARGS("-device", "vhost-vdpa-device-pci,vhostdev=/dev/vhost-vdpa-0"), -EOPNOTSUPP,
	  "-device vhost-vdpa-device-pci is refused" },
	{ ARGS("-device", "virtio-input-host-pci,evdev=/dev/input/event0"), -EOPNOTSUPP,
	  "-device virtio-input-host-pci is refused" },
	{ ARGS("-usbdevice", "host:1.2"), -EOPNOTSUPP, "-usbdevice 'host:1.2' is refused" },
	{ ARGS("-pcidevice", "01:00.0"), -EOPNOTSUPP, "-pcidevice is refused" },
	{ ARGS("-tpmdev", "passthrough,id=t,path=/dev/tpm0"), -EOPNOTSUPP, "-tpmdev passthrough is refused" },
	/* audio, display, host files written */
	{ ARGS("-audiodev", "wav,id=a,path=/etc/x.wav"), -EOPNOTSUPP, "-audiodev wav is refused" },
	{ ARGS("-audiodev", "pa,id=a,server=unix:/run/pulse"), -EOPNOTSUPP, "-audiodev pa is refused" },
	{ ARGS("-vnc", "unix:/tmp/vnc.sock"), -EOPNOTSUPP, "-vnc vnc='unix:/tmp/vnc.sock' is refused" },
	{ ARGS("-vnc", "vnc=unix:/tmp/vnc.sock"), -EOPNOTSUPP, "-vnc vnc='unix:/tmp/vnc.sock' is refused" },
	{ ARGS("-vnc", ":0,vnc=unix:/tmp/v"), -EOPNOTSUPP, "-vnc vnc='unix:/tmp/v' is refused" },
	{ ARGS("-vnc", ":0,websocket=unix:/tmp/w"), -EOPNOTSUPP, "-vnc websocket='unix:/tmp/w' is refused" },
	{ ARGS("-vnc", ":0,x509=/etc/pki"), -EOPNOTSUPP, "-vnc x509='/etc/pki' is refused" },
	{ ARGS("-vnc", ":0,x509verify"), -EOPNOTSUPP, "-vnc x509verify='on' is refused" },
	{ ARGS("-vnc", ":0,newkey=x"), -EOPNOTSUPP, "-vnc newkey='x' is refused" },
	{ ARGS("-spice", "port=5900,addr=/tmp/spice.sock"), -EOPNOTSUPP, "-spice addr='/tmp/spice.sock' is refused" },
	{ ARGS("-spice", "port=5900,rendernode=/dev/dri/renderD128"), -EOPNOTSUPP,
	  "-spice rendernode='/dev/dri/renderD128' is refused" },
	{ ARGS("-spice", "unix=on,addr=/tmp/spice.sock"), -EOPNOTSUPP, "-spice unix='on' is refused" },
	{ ARGS("-spice", "port=5900,x509-dir=/etc/pki"), -EOPNOTSUPP, "-spice x509-dir='/etc/pki' is refused" },
	/* -display: per type, the keys vmtrust knows; gl only off */
	{ ARGS("-display", "egl-headless,rendernode=/dev/dri/renderD128"), -EOPNOTSUPP,
	  "-display egl-headless is refused: not a display vmtrust knows" },
	{ ARGS("-display", "egl-headless"), -EOPNOTSUPP, "-display egl-headless is refused" },
	{ ARGS("-display", "spice-app"), -EOPNOTSUPP, "-display spice-app is refused" },
	{ ARGS("-display", "sdl,gl=on"), -EOPNOTSUPP,
	  "-display sdl: gl='on' is refused: opengl opens a host render node" },
	/* gtk loads the modules the user's GTK settings and the X server's
	 * XSETTINGS name */
	{ ARGS("-display", "gtk"), -EOPNOTSUPP, "-display gtk is refused: not a display vmtrust knows" },
	/* a window into an image, as <slices> */
	{ ARGS("-blockdev", "driver=file,node-name=f,filename=/img/a.raw,read-only=on", "-blockdev",
	       "driver=raw,node-name=r,file=f,offset=1048576,size=4096,read-only=on"), -EOPNOTSUPP,
	  "blockdev 'r': offset='1048576' cannot be followed" },
	{ ARGS("-blockdev", "driver=file,node-name=f,filename=/img/a.raw,locking=off"), -EOPNOTSUPP,
	  "blockdev 'f': locking='off' cannot be followed" },
	{ ARGS("-display", "sdl,gl=es"), -EOPNOTSUPP, "-display sdl: gl='es' is refused" },
	{ ARGS("-display", "dbus,addr=unix:path=/tmp/b"), -EOPNOTSUPP,
	  "-display dbus: addr='unix:path=/tmp/b' is refused" },
	{ ARGS("-display", "dbus,rendernode=/dev/dri/renderD128"), -EOPNOTSUPP,
	  "-display dbus: rendernode='/dev/dri/renderD128' is refused" },
	{ ARGS("-display", "sdl,charset=CP437"), -EOPNOTSUPP, "-display sdl: charset='CP437' is refused" },
	{ ARGS("-display", "none,type=gtk"), -EOPNOTSUPP, "-display none: type='gtk' is refused" },
	{ ARGS("-display", "vnc=unix:/tmp/v"), -EOPNOTSUPP, "-display vnc='unix:/tmp/v' is refused" },
	{ ARGS("-display", "vnc=:0,x509=/etc/pki"), -EOPNOTSUPP, "-display x509='/etc/pki' is refused" },
	{ ARGS("-display", "gtk,gl"), -EINVAL, "-display 'gtk,gl': expected '='" },
	/* JSON forms of options read as keys: a second parser could read them otherwise */
	{ ARGS("-display", "{\"type\":\"egl-headless\",\"rendernode\":\"/secret\"}"), -EOPNOTSUPP,
	  "-display in JSON form is not accepted" },
	{ ARGS("-spice", "{\"unix\":true}"), -EOPNOTSUPP, "-spice in JSON form is not accepted" },
	{ ARGS("-vnc", "{\"vnc\":\"unix:/x\"}"), -EOPNOTSUPP, "-vnc in JSON form is not accepted" },
	{ ARGS("-trace", "{\"file\":\"/x\"}"), -EOPNOTSUPP, "-trace in JSON form is not accepted" },
	{ ARGS("-machine", "{\"type\":\"q35\"}"), -EOPNOTSUPP, "-machine in JSON form is not accepted" },
	{ ARGS("-device", "{\"driver\":\"loader\"}"), -EOPNOTSUPP, "-device in JSON form is not accepted" },
	/* a keymap file */
	{ ARGS("-k", "/etc/evil"), -EOPNOTSUPP, "-k '/etc/evil' is refused: a keymap is a layout name" },
	{ ARGS("-k", "../x"), -EOPNOTSUPP, "-k '../x' is refused" },
	{ ARGS("-k", ""), -EOPNOTSUPP, "-k '' is refused" },
	/* an empty drive that names a file all the same */
	{ ARGS("-drive", "driver=file,filename=/secret,media=cdrom"), -EOPNOTSUPP,
	  "drive0: filename='/secret' cannot be followed" },
	{ ARGS("-drive", "if=none,id=d0,media=cdrom,filename=/secret"), -EOPNOTSUPP,
	  "drive0: filename='/secret' cannot be followed" },
	{ ARGS("-drive", "driver=file,media=cdrom"), -EOPNOTSUPP,
	  "drive0 has no file=, so driver='file' is refused on it" },
	{ ARGS("-drive", "if=none,id=d0,media=cdrom,aio=native", "-device", "virtio-blk-pci,drive=d0"),
	  -EOPNOTSUPP, "drive0 has no file=, so aio='native' is refused on it" },
	{ ARGS("-drive", "if=none,id=d0,media=cdrom,format=raw,filename=/secret", "-device",
	       "virtio-blk-pci,drive=d0"), -EOPNOTSUPP, "drive0: filename='/secret' cannot be followed" },
	{ ARGS("-drive", "if=floppy,format=raw"), -EOPNOTSUPP, "drive0 has no file=, so format='raw' is refused" },
	{ ARGS("-drive", "file=/img/a.raw,format=raw,filename=/secret"), -EOPNOTSUPP,
	  "drive0: filename='/secret' cannot be followed" },
	{ ARGS("-drive", "file=/img/a.raw,format=raw,locking=off"), -EOPNOTSUPP,
	  "drive0: locking='off' cannot be followed" },
	{ ARGS("-pidfile", "/etc/passwd"), -EOPNOTSUPP, "-pidfile is refused: it writes a host file" },
	{ ARGS("-D", "/etc/passwd"), -EOPNOTSUPP, "-D is refused: it writes a host file" },
	{ ARGS("-trace", "file=/etc/passwd"), -EOPNOTSUPP, "-trace file='/etc/passwd' is refused" },
	{ ARGS("-icount", "shift=auto,rr=record,rrfile=/tmp/r"), -EOPNOTSUPP, "-icount rrfile='/tmp/r' is refused" },
	/* options read as keys: an allow-list of the keys that name no host file */
	{ ARGS("-trace", "events=/etc/trace-events"), -EOPNOTSUPP,
	  "-trace events='/etc/trace-events' is refused" },
	{ ARGS("-icount", "shift=auto,rr=replay,rrsnapshot=init"), -EOPNOTSUPP, "-icount rrsnapshot='init' is refused" },
	{ ARGS("-smbios", "type=11,path=/etc/shadow"), -EOPNOTSUPP, "-smbios path='/etc/shadow' is refused" },
	{ ARGS("-fw_cfg", "name=opt/x,gen_id=1"), -EOPNOTSUPP, "-fw_cfg gen_id='1' is refused" },
	{ ARGS("-boot", "order=c,splash-time=5,hidden=/x"), -EOPNOTSUPP, "-boot hidden='/x' is refused" },
	{ ARGS("-machine", "q35,dumpdtb=/etc/x"), -EOPNOTSUPP, "-machine dumpdtb= is refused" },
	/* device properties, machine keys and option keys by allow-lists */
	{ ARGS("-device", "qemu-xhci", "-device", "usb-tablet,pcap=/tmp/v"), -EOPNOTSUPP,
	  "-device usb-tablet: pcap='/tmp/v' is refused: not a property vmtrust knows" },
	{ ARGS("-device", "usb-storage,pcap=1"), -EOPNOTSUPP, "-device usb-storage: pcap='1' is refused" },
	{ ARGS("-global", "usb-tablet.pcap=/tmp/v"), -EOPNOTSUPP, "-global usb-tablet.pcap is refused" },
	{ ARGS("-global", "driver=usb-device,property=pcap,value=/tmp/v"), -EOPNOTSUPP,
	  "-global usb-device.pcap is refused" },
	{ ARGS("-device", "virtio-blk-pci,x-new-file=/x"), -EOPNOTSUPP, "x-new-file='/x' is refused" },
	{ ARGS("-machine", "pc,boot.splash=/etc/passwd,boot.menu=on"), -EOPNOTSUPP,
	  "-machine boot.splash='/etc/passwd' is refused: not a machine property" },
	{ ARGS("-machine", "q35,nvdimm=on"), -EOPNOTSUPP, "-machine nvdimm='on' is refused" },
	{ ARGS("-spice", "gl=on,disable-ticketing=on"), -EOPNOTSUPP,
	  "-spice gl='on' is refused: opengl opens a host render node" },
	{ ARGS("-chardev", "null,id=c,logfile=off"), -EOPNOTSUPP, "-chardev logfile='off' is refused" },
	{ ARGS("-netdev", "user,id=n,smb=off"), -EOPNOTSUPP, "-netdev smb='off' is refused" },
	{ ARGS("-netdev", "user,id=n,x-future=1"), -EOPNOTSUPP, "-netdev x-future='1' is refused" },
	{ ARGS("-object", "iothread,id=i,x-future=1"), -EOPNOTSUPP, "-object x-future='1' is refused" },
	/* a value missing at the end */
	{ ARGS("-m"), -EINVAL, "option '-m' needs a value" },
	{ ARGS("-m", "1G", "--drive"), -EINVAL, "option '--drive' needs a value" },
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
	const struct fx_tcase cases[] = {
		{ "domain", setup, NULL, 0, { FX_T(test_typical), FX_T(test_no_args),
			 FX_T(test_shortcuts), FX_T(test_host_resources_accepted),
			 FX_T(test_display_accepted), FX_T(test_network), FX_T(test_drive_options),
			 FX_T(test_name), FX_T(test_uuid), FX_T(test_values_are_not_options),
			 FX_T(test_last_kernel_wins), FX_T(test_pflash), FX_T(test_blockdev),
			 FX_T(test_blockdev_pflash) } },
		{ "refused", setup, NULL, 0, { FX_LOOP(test_refused, ELEMENTSOF(bad_args)) } },
	};

	return fx_run(fx_suite("qemuargs", cases, ELEMENTSOF(cases)));
}
