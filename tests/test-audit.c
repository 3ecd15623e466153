/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hostaudit/ on fixture trees built here, one per test: a hardened host
 * where every check passes; each weakness and the check that fails on it;
 * missing and unreadable inputs, which make checks unknown (never pass);
 * qemu.conf syntax; Debian version order; the required-check rules of a
 * policy; the canonical JSON and its strict parser. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hostaudit.h"
#include "launch.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
}

/* ---- fixture trees ------------------------------------------------------------ */

/* Every tree is made below base, which main() removes at the end: a test
 * that fails (in its own process) leaves nothing behind. */
static char base[] = "/tmp/vmtrust-audit.XXXXXX";

static char *new_root(void)
{
	char *root = NULL;

	ck_assert_int_ge(asprintf(&root, "%s/root.XXXXXX", base), 0);
	ck_assert_ptr_nonnull(mkdtemp(root));
	return root;
}

static void mkdirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", buf);
		*s = '/';
	}
	ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", buf);
}

static void parent_dirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	*strrchr(buf, '/') = '\0';
	mkdirs(buf);
}

static void put_file(const char *root, const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	parent_dirs(path);
	(void)unlink(path);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %m", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void put_text(const char *root, const char *rel, const char *text)
{
	put_file(root, rel, text, strlen(text), 0644);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_path(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (lstat(path, &st) < 0)
		return;
	ck_assert_int_eq(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void put_dir(const char *root, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	rm_path(root, rel);
	mkdirs(path);
}

static void put_link(const char *root, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	parent_dirs(path);
	rm_path(root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* /dev/kvm, a character device: made as root; else a link to /dev/null,
 * which stat() follows. */
static void put_kvm(const char *root)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/dev/kvm", root);
	parent_dirs(path);
	if (geteuid() == 0)
		ck_assert_msg(mknod(path, S_IFCHR | 0660, makedev(10, 232)) == 0, "mknod %s: %m", path);
	else
		ck_assert_int_eq(symlink("/dev/null", path), 0);
}

/* "a|b|c" as a NUL-separated argument vector, as /proc/PID/cmdline. */
static void put_argv(const char *root, const char *rel, const char *args)
{
	char buf[1024];
	size_t len = strlen(args);

	memcpy(buf, args, len + 1);
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '|')
			buf[i] = '\0';
	put_file(root, rel, buf, len + 1, 0444);
}

/* ---- a measured-boot log (crypto-agile, sha256) ----------------------------------- */

struct buf {
	uint8_t p[4096];
	size_t len;
};

static void put(struct buf *b, const void *data, size_t n)
{
	ck_assert_uint_le(b->len + n, sizeof(b->p));
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = (uint8_t)(v >> (8 * i));

		put(b, &x, 1);
	}
}

static void put_event(struct buf *b, uint32_t pcr, uint32_t type, const void *data, size_t len)
{
	uint8_t d[32];
	unsigned n;

	ck_assert_int_eq(EVP_Digest(data, len, d, &n, EVP_sha256(), NULL), 1);
	put_le(b, pcr, 4);
	put_le(b, type, 4);
	put_le(b, 1, 4);
	put_le(b, 0x000b, 2);
	put(b, d, 32);
	put_le(b, len, 4);
	put(b, data, len);
}

/* secure_boot: 0 or 1 measured, -1 not measured at all. */
static void put_boot_log(const char *root, int secure_boot)
{
	static const uint8_t zero[20];
	static const uint8_t global_guid[16] = {
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
		0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
	};
	static const uint8_t sep[4] = { 0 };
	struct buf b = { .len = 0 }, var = { .len = 0 };

	put_le(&b, 0, 4);
	put_le(&b, ATTEST_EV_NO_ACTION, 4);
	put(&b, zero, 20);
	put_le(&b, 33, 4);
	put(&b, "Spec ID Event03", 16);
	put_le(&b, 0, 4);                   /* platform class */
	put_le(&b, 0, 1);                   /* version minor, major, errata */
	put_le(&b, 2, 1);
	put_le(&b, 0, 1);
	put_le(&b, 2, 1);                   /* uintn size */
	put_le(&b, 1, 4);
	put_le(&b, 0x000b, 2);
	put_le(&b, 32, 2);
	put_le(&b, 0, 1);                   /* vendor info size */
	if (secure_boot >= 0) {
		uint8_t v = (uint8_t)secure_boot;
		const char *name = "SecureBoot";

		put(&var, global_guid, 16);
		put_le(&var, strlen(name), 8);
		put_le(&var, 1, 8);
		for (const char *c = name; *c; c++)
			put_le(&var, (uint8_t)*c, 2);
		put(&var, &v, 1);
		put_event(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, var.p, var.len);
	}
	for (unsigned pcr = 0; pcr < 8; pcr++)
		put_event(&b, pcr, ATTEST_EV_SEPARATOR, sep, 4);
	put_file(root, ATTEST_EVENTLOG_DEFAULT_PATH, b.p, b.len, 0440);
}

#define EFIVAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

static void put_efivar(const char *root, int value)
{
	uint8_t v[5] = { 0x06, 0, 0, 0, (uint8_t)value };

	put_file(root, EFIVAR, v, sizeof(v), 0644);
}

static const char cpuinfo_intel[] =
	"processor\t: 0\n"
	"vendor_id\t: GenuineIntel\n"
	"model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "
	"clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc vmx ept vpid\n"
	"bugs\t\t: spectre_v1 spectre_v2\n\n";

static const char qemu_conf[] =
	"# Master configuration file for the QEMU driver.\n"
	"#vnc_listen = \"0.0.0.0\"\n"
	"vnc_listen = \"127.0.0.1\"\n"
	"spice_listen = \"::1\"\n"
	"security_driver = \"apparmor\"\n"
	"security_default_confined = 1\n"
	"user = \"libvirt-qemu\"\n"
	"group = \"libvirt-qemu\"\n"
	"seccomp_sandbox = 1\n"
	"cgroup_device_acl = [\n"
	"    \"/dev/null\", \"/dev/full\", \"/dev/zero\",\n"
	"    \"/dev/random\", \"/dev/urandom\",\n"
	"]\n";

static const char qemu_status[] =
	"Name:\tqemu-system-x86\nUmask:\t0007\nState:\tS (sleeping)\n"
	"Uid:\t64055\t64055\t64055\t64055\nGid:\t64055\t64055\t64055\t64055\n"
	"Seccomp:\t2\nSeccomp_filters:\t1\n";

static const char qemu_argv[] =
	"/usr/bin/qemu-system-x86_64|-name|guest=web1|-accel|kvm|-vnc|127.0.0.1:0,audiodev=a|"
	"-spice|port=5901,addr=127.0.0.1,seamless-migration=on";

static const char dpkg_status[] =
	"Package: libvirt-daemon\nStatus: install ok installed\nVersion: 9.0.0-4\n\n"
	"Package: qemu-system-x86\n"
	"Status: install ok installed\n"
	"Priority: optional\n"
	"Architecture: amd64\n"
	"Version: 1:7.2+dfsg-7+deb12u18\n"
	"Description: QEMU full system emulation binaries (x86)\n"
	" QEMU is a fast processor emulator.\n"
	" .\n"
	" Version: 0.1 is a continuation line, not a field\n";

static const char policy_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEACCOtZMgAhFQA0C3Y18dGlvGWEmAKUkTV9HVt0qEWyFU=\n"
	"-----END PUBLIC KEY-----\n";

/* As 'vmtrust hook install' writes it (launch_hook_script()). */
#define HOOK_HEAD "#!/bin/sh\n" LAUNCH_HOOK_MARKER "\n# Written by 'vmtrust hook install'.\n"
static const char hook_script[] = HOOK_HEAD "exec '/usr/bin/vmtrust' --policy '/etc/vmtrust/policy.json' hook run -- \"$@\"\n";

/* A host where every check passes. */
/* libvirt's status XML of a running domain: every interface filtered */
/* The hook's records of the domains' starts: what domain-live holds their
 * files to (a denied start of db and web's older start come first). */
#define LOG_DB_FILES                                                                              \
	"{\"seq\":0,\"domain\":\"db\",\"operation\":\"prepare\",\"verdict\":\"allowed\",\"files\":"  \
	"[{\"path\":\"/img/db.qcow2\"},{\"path\":\"/img/base.raw\"}]"
#define IF_ISOLATED "{\"type\":\"network\",\"source\":\"isolated\",\"filter\":\"clean-traffic\"}"
#define LOG_WEB                                                                                   \
	"{\"seq\":1,\"domain\":\"web\",\"operation\":\"prepare\",\"verdict\":\"allowed\",\"files\":[]," \
	"\"interfaces\":[" IF_ISOLATED ",{\"type\":\"bridge\",\"source\":\"br0\",\"filter\":\"no-spoofing\"}]}\n"
#define LOG_DENIED "{\"seq\":2,\"domain\":\"db\",\"operation\":\"prepare\",\"verdict\":\"denied\",\"files\":[]}\n"
static const char launches_log[] = LOG_DB_FILES ",\"interfaces\":[" IF_ISOLATED "]}\n" LOG_WEB LOG_DENIED;

static const char domstatus_filtered[] =
	"<domstatus state='running' reason='booted' pid='4242'>\n"
	"  <monitor path='/var/lib/libvirt/qemu/domain-1-web/monitor.sock' type='unix'/>\n"
	"  <domain type='kvm' id='1'><name>web</name><devices>\n"
	"    <interface type='network'><source network='isolated'/><target dev='vnet0'/>\n"
	"      <filterref filter='clean-traffic'/></interface>\n"
	"    <interface type='bridge'><source bridge='br0'/><filterref filter='no-spoofing'/></interface>\n"
	"  </devices></domain>\n"
	"</domstatus>\n";

static char *hardened(void)
{
	char *root = new_root();

	put_text(root, "/proc/cpuinfo", cpuinfo_intel);
	put_text(root, "/proc/cmdline",
		 "BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=12 ro intel_iommu=on quiet\n");
	put_text(root, "/proc/1/comm", "systemd\n");
	put_text(root, "/proc/4242/comm", "qemu-system-x86\n");
	put_text(root, "/proc/4242/status", qemu_status);
	put_argv(root, "/proc/4242/cmdline", qemu_argv);
	put_text(root, "/proc/4242/attr/current",
		 "libvirt-7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11 (enforce)\n");
	put_kvm(root);
	put_text(root, "/sys/module/kvm_intel/parameters/nested", "Y\n");
	put_dir(root, "/sys/module/kvm");
	put_text(root, "/sys/module/apparmor/parameters/enabled", "Y\n");
	put_dir(root, "/sys/class/iommu/dmar0");
	put_text(root, "/sys/class/tpm/tpm0/tpm_version_major", "2\n");
	put_text(root, "/sys/firmware/acpi/tables/DMAR", "DMAR");
	put_text(root, "/sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n");
	put_text(root, "/sys/devices/system/cpu/vulnerabilities/spectre_v2",
		 "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling; "
		 "PBRSB-eIBRS: SW sequence; BHI: BHI_DIS_S\n");
	put_text(root, "/sys/devices/system/cpu/vulnerabilities/itlb_multihit",
		 "KVM: Mitigation: Split huge pages\n");
	put_dir(root, "/sys/fs/cgroup");
	put_text(root, "/sys/kernel/security/lsm", "lockdown,capability,landlock,yama,apparmor\n");
	put_boot_log(root, 1);
	put_efivar(root, 1);
	put_text(root, "/etc/libvirt/qemu.conf", qemu_conf);
	put_file(root, "/etc/libvirt/hooks/qemu", hook_script, strlen(hook_script), 0755);
	put_text(root, "/var/lib/dpkg/status", dpkg_status);
	put_text(root, "/etc/vmtrust/policy.pub", policy_pub);
	put_text(root, "/run/libvirt/qemu/web.xml", domstatus_filtered);
	put_text(root, "/run/libvirt/qemu/web.pid", "4242");
	put_text(root, "/var/lib/vmtrust/launches.log", launches_log);
	return root;
}

static void drop(char *root)
{
	ck_assert_int_eq(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(root);
}

static struct policy *load_policy(const char *json)
{
	struct policy *p = NULL;

	ck_assert_msg(policy_load_buffer("test", json, strlen(json), &p) == 0, "%s", last_error);
	return p;
}

static const char policy_min[] =
	"{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"min_versions\": "
	"{\"qemu-system-x86\": \"1:7.2+dfsg-7+deb12u3\"}}}";

static const char *const all_ids[] = {
	"cpu-virt", "kvm", "iommu", "nx", "cpu-mitigations", "qemu-user", "qemu-seccomp",
	"security-driver", "graphics-listen", "vmtrust-hook", "tpm", "boot-log", "secure-boot",
	"policy-key", "domain-nwfilter", "domain-live", "package:qemu-system-x86",
};

static struct attest_audit *audit(const char *root, const struct policy *p)
{
	struct attest_audit *a = NULL;

	ck_assert_msg(hostaudit_run(root, NULL, p, &a) == 0, "%s", last_error);
	ck_assert_uint_eq(n_errors, 0);
	return a;
}

static const char *const status_names[] = { "pass", "fail", "unknown" };

static void expect_check(const struct attest_audit *a, const char *id, enum attest_audit_status s,
			 const char *evidence)
{
	const struct attest_audit_check *c = attest_audit_find(a, id);

	ck_assert_msg(c != NULL, "no check '%s'", id);
	ck_assert_msg(c->status == s, "%s: %s, expected %s: %s", id, status_names[c->status],
		      status_names[s], c->evidence);
	if (evidence)
		ck_assert_msg(strstr(c->evidence, evidence), "%s: evidence '%s' lacks '%s'", id,
			      c->evidence, evidence);
	ck_assert_ptr_nonnull(c->measure);
	if (s == ATTEST_AUDIT_FAIL)
		ck_assert_msg(c->hint != NULL, "%s: a fail without a hint", id);
	if (s == ATTEST_AUDIT_PASS)
		ck_assert_ptr_null(c->hint);
}

/* ---- the hardened host ----------------------------------------------------------- */

START_TEST(test_hardened)
{
	struct policy *p = load_policy(policy_min);
	char *root = hardened();
	struct attest_audit *a = audit(root, p);
	const struct attest_audit_check *c;
	size_t n;

	c = attest_audit_checks(a, &n);
	ck_assert_uint_eq(n, ELEMENTSOF(all_ids));
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(c[i].id, all_ids[i]);
		expect_check(a, all_ids[i], ATTEST_AUDIT_PASS, NULL);
	}
	expect_check(a, "cpu-virt", ATTEST_AUDIT_PASS, "cpu flag 'vmx' (Intel VT-x)");
	expect_check(a, "kvm", ATTEST_AUDIT_PASS, "kvm modules: kvm, kvm_intel; 1 running qemu with KVM");
	if (geteuid() == 0)
		expect_check(a, "kvm", ATTEST_AUDIT_PASS, "'/dev/kvm' is a character device (10:232)");
	expect_check(a, "iommu", ATTEST_AUDIT_PASS,
		     "IOMMU units active: dmar0; ACPI DMAR table; kernel command line: intel_iommu=on");
	expect_check(a, "cpu-mitigations", ATTEST_AUDIT_PASS, "3 of 3 mitigated or not affected");
	expect_check(a, "qemu-user", ATTEST_AUDIT_PASS,
		     "qemu.conf: user = \"libvirt-qemu\", group = \"libvirt-qemu\"; 1 running qemu process");
	expect_check(a, "qemu-seccomp", ATTEST_AUDIT_PASS, "1 with a seccomp filter");
	expect_check(a, "security-driver", ATTEST_AUDIT_PASS,
		     "security_driver \"apparmor\": AppArmor enabled");
	expect_check(a, "graphics-listen", ATTEST_AUDIT_PASS,
		     "vnc_listen \"127.0.0.1\"; spice_listen \"::1\"");
	expect_check(a, "vmtrust-hook", ATTEST_AUDIT_PASS, "a script that runs 'vmtrust hook'");
	expect_check(a, "tpm", ATTEST_AUDIT_PASS, "TPM 2.0");
	expect_check(a, "boot-log", ATTEST_AUDIT_PASS, "10 events, crypto-agile, banks sha256");
	expect_check(a, "secure-boot", ATTEST_AUDIT_PASS, "SecureBoot=1 measured in the boot log");
	expect_check(a, "domain-nwfilter", ATTEST_AUDIT_PASS, "1 running domains, 2 interfaces, each with an nwfilter");
	expect_check(a, "domain-live", ATTEST_AUDIT_PASS, "1 running domains, each as the launch rules allow, none tainted");
	expect_check(a, "package:qemu-system-x86", ATTEST_AUDIT_PASS,
		     "'qemu-system-x86' 1:7.2+dfsg-7+deb12u18 (amd64) (minimum 1:7.2+dfsg-7+deb12u3)");
	ck_assert(attest_audit_find(a, "package:qemu-system-x86")->required);
	ck_assert(!attest_audit_find(a, "tpm")->required);
	ck_assert_int_eq(hostaudit_ok(a, p), 1);
	ck_assert_int_eq(hostaudit_ok(a, NULL), 1);
	ck_assert_ptr_null(attest_audit_find(a, "package:other"));

	/* a trailing slash on the root is the same root */
	{
		char slash[4096];
		struct attest_audit *b;
		char *ja = NULL, *jb = NULL;

		snprintf(slash, sizeof(slash), "%s//", root);
		b = audit(slash, p);
		ck_assert_int_eq(attest_audit_to_json(a, &ja), 0);
		ck_assert_int_eq(attest_audit_to_json(b, &jb), 0);
		ck_assert_str_eq(ja, jb);
		free(ja);
		free(jb);
		attest_audit_free(b);
	}
	attest_audit_free(a);
	policy_free(p);
	drop(root);
}
END_TEST

/* ---- each weakness, and each missing input ------------------------------------------ */

enum op_kind { OP_END, OP_TEXT, OP_EXEC, OP_NOEXEC, OP_EXEC_GW, OP_RM, OP_DIR, OP_LINK, OP_FIFO, OP_ARGV, OP_LOG,
	       OP_EFIVAR };

struct op {
	enum op_kind kind;
	const char *path;
	const char *data;      /* OP_LOG, OP_EFIVAR: "0", "1", "none", "garbage", "short" */
};

struct expect {
	const char *id;
	enum attest_audit_status status;
	const char *evidence;
};

struct fixture_case {
	const char *name;
	struct op ops[6];
	struct expect expect[6];   /* every other check passes */
};

#define PASS ATTEST_AUDIT_PASS
#define FAIL ATTEST_AUDIT_FAIL
#define UNKNOWN ATTEST_AUDIT_UNKNOWN
#define CONF "/etc/libvirt/qemu.conf"
#define VULN "/sys/devices/system/cpu/vulnerabilities/"
#define HOOK "/etc/libvirt/hooks/qemu"
#define Q "/proc/4242/"
#define RM(p) { OP_RM, p, NULL }
#define MKDIR(p) { OP_DIR, p, NULL }
#define FIFO(p) { OP_FIFO, p, NULL }
#define LOG(what) { OP_LOG, NULL, what }
#define EFI(what) { OP_EFIVAR, NULL, what }

/* A running domain's status file as libvirt 9.0 writes it: taints, the
 * backing chain it found, its private data, the paths it picked. */
#define DOMSTATUS_LIVE(taints, devices)                                                                   \
	"<domstatus state='running' reason='booted' pid='4242'>" taints                                   \
	"<monitor path='/var/lib/libvirt/qemu/domain-1-db/monitor.sock' type='unix'/>"                   \
	"<domain type='kvm' id='1'><name>db</name><devices>"                                              \
	"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"                              \
	"<source file='/img/db.qcow2' index='2'/><backingStore type='file' index='3'><format type='raw'/>" \
	"<source file='/img/base.raw'/><backingStore/></backingStore><target dev='vda' bus='virtio'/>"   \
	"<alias name='virtio-disk0'/><privateData><qom name='/machine/peripheral/virtio-disk0'/>"        \
	"</privateData></disk>"                                                                           \
	"<interface type='network'><source network='isolated' portid='5f0b' bridge='virbr1'/>"            \
	"<actual type='bridge'><source bridge='virbr1'/></actual><target dev='vnet0'/>"                   \
	"<filterref filter='clean-traffic'/></interface>"                                                 \
	"<channel type='unix'><source mode='bind' "                                                       \
	"path='/var/lib/libvirt/qemu/channel/target/domain-1-db/org.qemu.guest_agent.0'/>"                \
	"<target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel>"           \
	"<console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/><target type='serial' port='0'/>" \
	"</console>" devices "</devices>"                                                                 \
	"<seclabel type='dynamic' model='dac' relabel='yes'><label>+64055:+64055</label></seclabel>"      \
	"</domain></domstatus>"

static const struct fixture_case weak_cases[] = {
	{ "a running domain as libvirt reports it", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE("", "") } },
	  { { "domain-live", PASS, "2 running domains, each as the launch rules allow, none tainted" } } },
	{ "an interface without a filter",
	  { { OP_TEXT, "/run/libvirt/qemu/db.xml",
	      "<domstatus><domain><name>db</name><devices><interface type='network'><source network='default'/>"
	      "<filterref filter='clean-traffic'/></interface></devices><devices><interface type='bridge'>"
	      "<source bridge='br0'/></interface></devices></domain></domstatus>" } },
	  { { "domain-nwfilter", FAIL, "'db.xml': interface 1 has no nwfilter" },
	    { "domain-live", FAIL, "'db.xml': interface 0 (network 'default', nwfilter 'clean-traffic'): not an "
	      "interface its start allowed" } } },
	{ "an empty filter name", { { OP_TEXT, "/run/libvirt/qemu/db.xml",
				     "<domain><name>db</name><devices><interface type='user'><filterref filter=''/></interface>"
				     "</devices></domain>" } },
	  { { "domain-nwfilter", FAIL, "'db.xml': interface 0 has no nwfilter" },
	    { "domain-live", FAIL, "'db.xml': interface 0 (user, nwfilter ''): not an interface its start allowed" } } },
	{ "no running domain", { RM("/run/libvirt/qemu/web.xml") },
	  { { "domain-nwfilter", PASS, "0 running domains, 0 interfaces" },
	    { "domain-live", PASS, "0 running domains" } } },
	/* hot-plug and monitor commands run no hook: the live XML and libvirt's taints */
	{ "a monitor command (virsh qemu-monitor-command)", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "<taint flag='custom-monitor'/><taint flag='host-cpu'/>", "") } },
	  { { "domain-live", FAIL, "'db.xml': libvirt tainted it 'custom-monitor'" } } },
	{ "a taint vmtrust does not know", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "<taint flag='something-new&#10;'/>", "") } },
	  { { "domain-live", FAIL, "'db.xml': libvirt tainted it 'something-new\\n'" } } },
	{ "a host device hot-plugged (virsh attach-device)", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' "
	      "slot='0x00' function='0x0'/></source><alias name='hostdev0'/></hostdev>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/hostdev: host device assignment" } } },
	{ "a console on a host file (virsh update-device)", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<serial type='file'><source path='/etc/cron.d/x'/><target port='1'/></serial>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/serial: a character device of type 'file'" } } },
	{ "a channel whose path libvirt picked elsewhere", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-1-db/../../../../../../tmp/s'/>"
	      "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>") } },
	  { { "domain-live", FAIL, "a character device of type 'unix'" } } },
	{ "a disk hot-plugged (virsh attach-disk)", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/img/other.raw'/>"
	      "<target dev='vdb' bus='virtio'/></disk>") } },
	  { { "domain-live", FAIL, "'db.xml': disk 'vdb': '/img/other.raw' is not among the files its start verified" } } },
	{ "a domain the hook never allowed", { { OP_TEXT, "/var/lib/vmtrust/launches.log",
	      "{\"seq\":0,\"domain\":\"db\",\"operation\":\"prepare\",\"verdict\":\"denied\",\"files\":[]}\n" } },
	  { { "domain-live", FAIL, "'web.xml': domain 'web': no allowed start of it in" } } },
	{ "a launch log that is not json", { { OP_TEXT, "/var/lib/vmtrust/launches.log", "{\"seq\":0,\n" } },
	  { { "domain-live", FAIL, "'web.xml': audit log" } } },
	{ "a network that hands out host devices", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<interface type='network'><source network='pool' bridge='x'/><actual type='hostdev'/>"
	      "<filterref filter='clean-traffic'/></interface>") } },
	  { { "domain-live", FAIL, "/domstatus/domain/devices/interface[2]/actual: the network gave the interface a host resource of type 'hostdev'" } } },
	/* segmentation after hot-plug: each interface one its start recorded */
	{ "an interface hot-plugged onto another network", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<interface type='network'><source network='default' bridge='virbr0'/><target dev='vnet9'/>"
	      "<filterref filter='clean-traffic'/></interface>") } },
	  { { "domain-live", FAIL, "'db.xml': interface 1 (network 'default', nwfilter 'clean-traffic'): not an interface "
	      "its start allowed (hot-plugged or changed since?)" } } },
	{ "an interface hot-plugged with a weaker filter", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<interface type='network'><source network='isolated'/><filterref filter='allow-ipv4'/></interface>") } },
	  { { "domain-live", FAIL, "'db.xml': interface 1 (network 'isolated', nwfilter 'allow-ipv4'): not an interface "
	      "its start allowed" } } },
	{ "a start recorded before interfaces were", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE("", "") },
	      { OP_TEXT, "/var/lib/vmtrust/launches.log", LOG_DB_FILES "}\n" LOG_WEB } },
	  { { "domain-live", FAIL, "'db.xml': interface 0 (network 'isolated', nwfilter 'clean-traffic'): the start record "
	      "of domain 'db' in '" } } },
	{ "a filter parameter hot-plugged", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<interface type='network'><source network='isolated'/><filterref filter='clean-traffic'>"
	      "<parameter name='CTRL_IP_LEARNING' value='none'/></filterref></interface>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/interface[2]/filterref/parameter: an "
	      "nwfilter parameter changes what the filter the policy requires lets through" } } },
	{ "a vlan hot-plugged", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<interface type='network'><source network='isolated'/><vlan trunk='yes'><tag id='1'/><tag id='2'/>"
	      "</vlan><filterref filter='clean-traffic'/></interface>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/interface[2]/vlan: a vlan tag or trunk" } } },
	{ "a backing file no start verified", { { OP_TEXT, "/run/libvirt/qemu/db.xml",
	      "<domstatus state='running' pid='4242'><domain type='kvm' id='1'><name>db</name><devices>"
	      "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/db.qcow2' index='1'/>"
	      "<backingStore type='file' index='2'><format type='raw'/><source file='/etc/shadow'/><backingStore/>"
	      "</backingStore><target dev='vda' bus='virtio'/></disk></devices></domain></domstatus>" } },
	  { { "domain-live", FAIL, "'db.xml': disk 'vda': backing file '/etc/shadow' is not among the files its start "
	      "verified" } } },
	{ "a pty on a host device", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<serial type='pty'><source path='/dev/sda'/><target port='1'/></serial>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/serial/source: a pty's path '/dev/sda' is "
	      "not a pseudo-terminal (/dev/pts/N)" } } },
	/* another domain's sockets */
	{ "a channel in another domain's directory", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<channel type='unix'><source mode='connect' path='/var/lib/libvirt/qemu/channel/target/domain-7-victim/"
	      "org.qemu.guest_agent.0'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/channel[2]: a character device of type "
	      "'unix' names a host file, device or socket" } } },
	{ "a channel on libvirt's runtime sockets", { { OP_TEXT, "/run/libvirt/qemu/db.xml", DOMSTATUS_LIVE(
	      "", "<channel type='unix'><source mode='connect' path='/run/libvirt/qemu/swtpm/1-db-swtpm.sock'/>"
	      "<target type='virtio' name='x.0'/></channel>") } },
	  { { "domain-live", FAIL, "'db.xml': domain: /domstatus/domain/devices/channel[2]: a character device of type "
	      "'unix'" } } },
	{ "no vmx", { { OP_TEXT, "/proc/cpuinfo", "flags\t\t: fpu nx lm hypervisor\n" } },
	  { { "cpu-virt", FAIL, "neither 'vmx' nor 'svm' (a virtual machine without nested" } } },
	{ "svm is AMD-V", { { OP_TEXT, "/proc/cpuinfo", "flags\t: fpu nx lm svm npt\n" } },
	  { { "cpu-virt", PASS, "cpu flag 'svm' (AMD-V)" } } },
	{ "vmx only as part of a word", { { OP_TEXT, "/proc/cpuinfo", "flags : nx vmxx xsvm\n" } },
	  { { "cpu-virt", FAIL, "neither" } } },
	{ "no nx", { { OP_TEXT, "/proc/cpuinfo", "flags\t\t: fpu vmx lm\n" } },
	  { { "nx", FAIL, "no 'nx'" } } },
	{ "noexec=off", { { OP_TEXT, "/proc/cmdline", "ro intel_iommu=on noexec=off\n" } },
	  { { "nx", FAIL, "cpu flag 'nx'; kernel command line has 'noexec=off'" } } },
	{ "noexec=off after -- is init's", { { OP_TEXT, "/proc/cmdline", "intel_iommu=on -- noexec=off\n" } },
	  { { "nx", PASS, NULL } } },
	{ "no /dev/kvm", { RM("/dev/kvm") },
	  { { "kvm", FAIL, "no '/dev/kvm': qemu can only emulate (TCG); kvm modules: kvm, kvm_intel" } } },
	{ "/dev/kvm a regular file", { { OP_TEXT, "/dev/kvm", "" } },
	  { { "kvm", FAIL, "not a character device" } } },
	{ "qemu under TCG", { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-accel|tcg" } },
	  { { "kvm", FAIL, "1 running qemu without KVM (pid 4242)" } } },
	{ "qemu with -machine accel=kvm", { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-machine|pc,accel=kvm" } },
	  { { "kvm", PASS, "1 running qemu with KVM" } } },
	{ "no IOMMU unit", { RM("/sys/class/iommu/dmar0") },
	  { { "iommu", FAIL, "no IOMMU active ('/sys/class/iommu' is empty); ACPI DMAR table" } } },
	{ "IOMMU off on the command line",
	  { RM("/sys/class/iommu/dmar0"), { OP_TEXT, "/proc/cmdline", "ro intel_iommu=off\n" } },
	  { { "iommu", FAIL, "disabled on the kernel command line: 'intel_iommu=off'" } } },
	{ "no IOMMU in firmware",
	  { RM("/sys/class/iommu"), RM("/sys/firmware/acpi/tables/DMAR") },
	  { { "iommu", FAIL, "'/sys/class/iommu' absent); no ACPI DMAR or IVRS table" } } },
	{ "a vulnerability", { { OP_TEXT, VULN "spectre_v2", "Vulnerable: eIBRS with unprivileged eBPF\n" } },
	  { { "cpu-mitigations", FAIL, "vulnerable: spectre_v2 (Vulnerable: eIBRS with unprivileged eBPF); 2 of 3" } } },
	{ "SMT vulnerable", { { OP_TEXT, VULN "mds", "Mitigation: Clear CPU buffers; SMT vulnerable\n" } },
	  { { "cpu-mitigations", FAIL, "mds (Mitigation: Clear CPU buffers; SMT vulnerable)" } } },
	{ "mitigations=off", { { OP_TEXT, "/proc/cmdline", "intel_iommu=on mitigations=off\n" } },
	  { { "cpu-mitigations", FAIL, "kernel command line has 'mitigations=off'" } } },
	{ "user root", { { OP_TEXT, CONF, "user = \"root\"\n" } },
	  { { "qemu-user", FAIL, "qemu.conf: user = \"root\"" } } },
	{ "group +0", { { OP_TEXT, CONF, "user = \"libvirt-qemu\"\ngroup = \"+0\"\n" } },
	  { { "qemu-user", FAIL, "qemu.conf: group = \"+0\"" } } },
	{ "qemu runs as root", { { OP_TEXT, Q "status", "Name:\tqemu\nUid:\t0\t0\t0\t0\nSeccomp:\t2\n" } },
	  { { "qemu-user", FAIL, "qemu process 4242 (qemu-system-x86) runs as root" } } },
	{ "user unset, qemu runs as another user", { { OP_TEXT, CONF, "# nothing\n" } },
	  { { "qemu-user", PASS, "no user in qemu.conf (the build's default); running qemu not as root" } } },
	{ "seccomp_sandbox = 0", { { OP_TEXT, CONF, "user = \"qemu\"\nseccomp_sandbox = 0\n" } },
	  { { "qemu-seccomp", FAIL, "qemu.conf: seccomp_sandbox = 0" } } },
	{ "qemu without a seccomp filter",
	  { { OP_TEXT, Q "status", "Uid:\t64055\t64055\t64055\t64055\nSeccomp:\t0\n" } },
	  { { "qemu-seccomp", FAIL, "qemu process 4242 (qemu-system-x86) runs without a seccomp filter" } } },
	{ "security_driver none", { { OP_TEXT, CONF, "user = \"qemu\"\nsecurity_driver = \"none\"\n" } },
	  { { "security-driver", FAIL, "qemu.conf: security_driver = \"none\"" } } },
	{ "AppArmor disabled", { { OP_TEXT, "/sys/module/apparmor/parameters/enabled", "N\n" } },
	  { { "security-driver", FAIL, "AppArmor disabled; no sVirt confinement" } } },
	{ "no LSM at all", { RM("/sys/module/apparmor"), { OP_TEXT, CONF, "user = \"qemu\"\n" } },
	  { { "security-driver", FAIL, "security_driver not set: SELinux absent, AppArmor absent; no sVirt" } } },
	{ "confinement off", { { OP_TEXT, CONF, "user = \"qemu\"\nsecurity_default_confined = 0\n" } },
	  { { "security-driver", FAIL, "security_default_confined = 0" } } },
	{ "qemu unconfined", { { OP_TEXT, Q "attr/current", "unconfined\n" } },
	  { { "security-driver", FAIL, "qemu process 4242 (qemu-system-x86) runs unconfined ('unconfined')" } } },
	{ "SELinux enforcing",
	  { { OP_TEXT, CONF, "user = \"qemu\"\nsecurity_driver = \"selinux\"\n" },
	    { OP_TEXT, "/sys/fs/selinux/enforce", "1" }, RM("/sys/module/apparmor") },
	  { { "security-driver", PASS, "security_driver \"selinux\": SELinux enforcing" } } },
	{ "SELinux permissive",
	  { { OP_TEXT, CONF, "user = \"qemu\"\nsecurity_driver = [ \"selinux\" ]\n" },
	    { OP_TEXT, "/sys/fs/selinux/enforce", "0" } },
	  { { "security-driver", FAIL, "SELinux permissive; no sVirt confinement" } } },
	{ "vnc on every address", { { OP_TEXT, CONF, "user = \"qemu\"\nvnc_listen = \"0.0.0.0\"\n" } },
	  { { "graphics-listen", FAIL, "qemu.conf: vnc_listen = \"0.0.0.0\" without vnc_tls" } } },
	{ "vnc on every address with TLS",
	  { { OP_TEXT, CONF, "user = \"qemu\"\nvnc_listen = \"0.0.0.0\"\nvnc_tls = 1\n" } },
	  { { "graphics-listen", PASS, "vnc_listen \"0.0.0.0\" with vnc_tls = 1" } } },
	{ "vnc on a unix socket",
	  { { OP_TEXT, CONF, "user = \"qemu\"\nvnc_listen = \"::\"\nvnc_auto_unix_socket = 1\n" } },
	  { { "graphics-listen", PASS, "vnc on a unix socket" } } },
	{ "spice on a public address", { { OP_TEXT, CONF, "user = \"qemu\"\nspice_listen = \"192.0.2.7\"\n" } },
	  { { "graphics-listen", FAIL, "spice_listen = \"192.0.2.7\" without spice_tls" } } },
	{ "running qemu: -vnc on every address",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-accel|kvm|-vnc|0.0.0.0:0,password=on" } },
	  { { "graphics-listen", FAIL, "qemu process 4242 listens with -vnc 0.0.0.0:0,password=on without TLS" } } },
	{ "running qemu: -vnc :1 is every address",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-enable-kvm|-vnc|:1" } },
	  { { "graphics-listen", FAIL, "-vnc :1" } } },
	{ "running qemu: -vnc with TLS",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-enable-kvm|-vnc|0.0.0.0:0,tls-creds=vnc-tls0" } },
	  { { "graphics-listen", PASS, NULL } } },
	{ "running qemu: -vnc on a unix socket",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-enable-kvm|-vnc|unix:/run/vnc.sock" } },
	  { { "graphics-listen", PASS, NULL } } },
	{ "running qemu: -spice plain port on every address",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-enable-kvm|-spice|port=5900,disable-ticketing=on" } },
	  { { "graphics-listen", FAIL, "-spice port=5900" } } },
	{ "running qemu: -spice TLS port only",
	  { { OP_ARGV, Q "cmdline", "qemu-system-x86_64|-enable-kvm|-spice|tls-port=5901,addr=0.0.0.0" } },
	  { { "graphics-listen", PASS, NULL } } },
	{ "no hook", { RM(HOOK) },
	  { { "vmtrust-hook", FAIL, "no '/etc/libvirt/hooks/qemu' and no vmtrust hook in" } } },
	{ "hook not executable", { { OP_NOEXEC, HOOK, hook_script } },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' is not executable" } } },
	{ "hook another script", { { OP_EXEC, HOOK, "#!/bin/sh\nexit 0\n" } },
	  { { "vmtrust-hook", FAIL, "a script that does not run 'vmtrust hook' (no '# vmtrust launch hook' line" } } },
	{ "hook names vmtrust in a comment only",
	  { { OP_EXEC, HOOK, "#!/bin/sh\n# exec /usr/bin/vmtrust hook qemu\nexit 0\n" } },
	  { { "vmtrust-hook", FAIL, "does not run 'vmtrust hook'" } } },
	{ "hook runs another program's hook verb",
	  { { OP_EXEC, HOOK, "#!/bin/sh\nexec /usr/bin/notvmtrust hook \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "does not run 'vmtrust hook'" } } },
	/* the one rule, launch's (launch_hook_parse): only what the installer
	 * writes is understood */
	{ "hook runs vmtrust without the installer's marker",
	  { { OP_EXEC, HOOK, "#!/bin/sh\nexec /usr/bin/vmtrust hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' is a script that does not run 'vmtrust hook' "
				    "(no '# vmtrust launch hook' line: not one 'vmtrust hook install' wrote)" } } },
	{ "hook exits before vmtrust",
	  { { OP_EXEC, HOOK, HOOK_HEAD "exit 0\nexec /usr/bin/vmtrust hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' is a vmtrust hook that does not run 'vmtrust hook run': "
				    "line 5: a command besides the exec of vmtrust" } } },
	{ "hook ignores vmtrust's verdict",
	  { { OP_EXEC, HOOK, HOOK_HEAD "/usr/bin/vmtrust hook run -- \"$@\"; exit 0\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: \"$@\" joined to another word" } } },
	{ "hook runs vmtrust without exec",
	  { { OP_EXEC, HOOK, HOOK_HEAD "/usr/bin/vmtrust hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: its command is not 'exec vmtrust ... hook run -- \"$@\"'" } } },
	{ "hook runs another verb of vmtrust",
	  { { OP_EXEC, HOOK, HOOK_HEAD "exec /usr/bin/vmtrust hook qemu \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: it does not run 'vmtrust hook run'" } } },
	{ "hook drops libvirt's arguments",
	  { { OP_EXEC, HOOK, HOOK_HEAD "exec /usr/bin/vmtrust hook run -- web prepare begin -\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: it does not hand libvirt's arguments over as '-- \"$@\"'" } } },
	{ "hook runs vmtrust from a variable",
	  { { OP_EXEC, HOOK, HOOK_HEAD "exec $VMTRUST hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: shell syntax that is not the installer's" } } },
	{ "hook runs vmtrust by a relative path",
	  { { OP_EXEC, HOOK, HOOK_HEAD "exec vmtrust hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "line 4: it does not exec vmtrust by an absolute path" } } },
	{ "hook in another interpreter",
	  { { OP_EXEC, HOOK, "#!/usr/bin/python3\n" LAUNCH_HOOK_MARKER "\nexec '/usr/bin/vmtrust' hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", FAIL, "line 1: its first line is not '#!/bin/sh' (or bash, dash)" } } },
	{ "hook writable by its group", { { OP_EXEC_GW, HOOK, hook_script } },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' is writable by its group or others (mode 0775)" } } },
	{ "hook a binary", { { OP_EXEC, HOOK, "\177ELF\2\1\1" } },
	  { { "vmtrust-hook", FAIL, "is not a script" } } },
	/* vmtrust run by libvirt as the hook itself gets 'NAME prepare begin
	 * -' as its arguments: it refuses them, so no VM starts and none is
	 * checked (the old audit passed this) */
	{ "hook a link to vmtrust",
	  { { OP_EXEC, "/usr/bin/vmtrust", "\177ELF" }, { OP_LINK, HOOK, "../../../../../usr/bin/vmtrust" } },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' links to '/usr/bin/vmtrust', not to vmtrust's hook script" } } },
	{ "hook a link to vmtrust's hook script",
	  { { OP_EXEC, "/usr/share/vmtrust/hook", hook_script }, { OP_LINK, HOOK, "../../../usr/share/vmtrust/hook" } },
	  { { "vmtrust-hook", PASS, "'/etc/libvirt/hooks/qemu' links to '/usr/share/vmtrust/hook', which is a script that runs 'vmtrust hook'" } } },
	{ "hook a dangling link", { { OP_LINK, HOOK, "/usr/bin/vmtrust" } },
	  { { "vmtrust-hook", FAIL, "links to '/usr/bin/vmtrust', which does not exist" } } },
	{ "hook a link to something else", { { OP_EXEC, "/bin/true", "\177ELF" }, { OP_LINK, HOOK, "/bin/true" } },
	  { { "vmtrust-hook", FAIL, "links to '/bin/true', not to vmtrust" } } },
	{ "hook in qemu.d",
	  { RM(HOOK), { OP_EXEC, HOOK ".d/50-vmtrust", "#!/bin/bash\n" LAUNCH_HOOK_MARKER "\n\n  exec /usr/local/bin/vmtrust -q hook run -- \"$@\"\n" } },
	  { { "vmtrust-hook", PASS, "'/etc/libvirt/hooks/qemu.d/50-vmtrust' is a script that runs" } } },
	{ "hook a directory", { MKDIR(HOOK) },
	  { { "vmtrust-hook", FAIL, "'/etc/libvirt/hooks/qemu' is a directory: libvirt does not run it" } } },
	{ "no policy key", { RM("/etc/vmtrust/policy.pub") },
	  { { "policy-key", FAIL, "no '/etc/vmtrust/policy.pub': any policy file only root can write is taken unsigned" } } },
	{ "a policy key that is none", { { OP_TEXT, "/etc/vmtrust/policy.pub", "not a key\n" } },
	  { { "policy-key", FAIL, "not a PEM public key or certificate: every launch and key release is refused" } } },
	{ "no TPM", { RM("/sys/class/tpm") },
	  { { "tpm", FAIL, "no TPM: '/sys/class/tpm/tpm0' absent" } } },
	{ "TPM 1.2", { { OP_TEXT, "/sys/class/tpm/tpm0/tpm_version_major", "1\n" } },
	  { { "tpm", FAIL, "TPM 1 ('/sys/class/tpm/tpm0'): vmtrust needs a TPM 2.0" } } },
	{ "TPM 2.0 by its resource manager",
	  { RM("/sys/class/tpm/tpm0/tpm_version_major"), MKDIR("/sys/class/tpmrm/tpmrm0") },
	  { { "tpm", PASS, "with 'tpmrm0'" } } },
	{ "Secure Boot off", { LOG("0"), EFI("0") },
	  { { "secure-boot", FAIL, "SecureBoot=0 measured in the boot log" } } },
	{ "log and efivars disagree", { EFI("0") },
	  { { "secure-boot", FAIL, "SecureBoot=1 measured in the boot log; efivars says 0" } } },
	{ "Secure Boot not measured, efivars on", { LOG("none") },
	  { { "secure-boot", PASS, "efivars: SecureBoot=1 (the boot log does not measure it)" } } },
	{ "malformed boot log", { LOG("garbage") },
	  { { "boot-log", FAIL, "the measured-boot log is malformed: event log" },
	    { "secure-boot", PASS, "efivars: SecureBoot=1" } } },
	{ "no boot log", { RM(ATTEST_EVENTLOG_DEFAULT_PATH) },
	  { { "boot-log", FAIL, "no measured-boot log" } } },
	{ "not UEFI", { RM("/sys/kernel/security/tpm0"), RM("/sys/firmware/efi") },
	  { { "boot-log", FAIL, "no measured-boot log" },
	    { "secure-boot", FAIL, "not booted with UEFI (no '/sys/firmware/efi')" } } },
	{ "UEFI without a SecureBoot variable",
	  { RM("/sys/kernel/security/tpm0"), RM(EFIVAR), { OP_TEXT, "/sys/firmware/efi/efivars/Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c", "x" } },
	  { { "boot-log", FAIL, NULL },
	    { "secure-boot", FAIL, "the firmware has no SecureBoot variable" } } },
	{ "package older", { { OP_TEXT, "/var/lib/dpkg/status",
			       "Package: qemu-system-x86\nStatus: install ok installed\nVersion: 1:7.2+dfsg-7+deb12u1\n" } },
	  { { "package:qemu-system-x86", FAIL, "'qemu-system-x86' 1:7.2+dfsg-7+deb12u1 is older than 1:7.2+dfsg-7+deb12u3, the minimum" } } },
	{ "package older on one architecture", { { OP_TEXT, "/var/lib/dpkg/status",
			       "Package: qemu-system-x86\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:8.0\n\n"
			       "Package: qemu-system-x86\nStatus: install ok installed\nArchitecture: i386\nVersion: 1:7.0\n" } },
	  { { "package:qemu-system-x86", FAIL, "1:7.0 (i386) is older" } } },
	{ "package removed, config files left", { { OP_TEXT, "/var/lib/dpkg/status",
			       "Package: qemu-system-x86\nStatus: deinstall ok config-files\nVersion: 1:9.0\n" } },
	  { { "package:qemu-system-x86", FAIL, "'qemu-system-x86' is not installed (minimum 1:7.2+dfsg-7+deb12u3)" } } },
	{ "package absent", { { OP_TEXT, "/var/lib/dpkg/status", "Package: qemu-utils\nStatus: install ok installed\nVersion: 1:9.0\n" } },
	  { { "package:qemu-system-x86", FAIL, "is not installed" } } },
	{ "package half-configured but new", { { OP_TEXT, "/var/lib/dpkg/status",
			       "package: qemu-system-x86\nstatus: install ok half-configured\nversion: 1:7.2+dfsg-7+deb12u4\n" } },
	  { { "package:qemu-system-x86", PASS, "1:7.2+dfsg-7+deb12u4 half-configured (minimum" } } },
};

static const struct fixture_case unknown_cases[] = {
	{ "libvirt's runtime directory missing", { RM("/run/libvirt") },
	  { { "domain-nwfilter", UNKNOWN, "/run/libvirt/qemu': No such file or directory (libvirtd not running?)" },
	    { "domain-live", UNKNOWN, "/run/libvirt/qemu': No such file or directory (libvirtd not running?)" } } },
	{ "a status file that is not xml", { { OP_TEXT, "/run/libvirt/qemu/db.xml", "<domstatus><domain>" } },
	  { { "domain-nwfilter", UNKNOWN, "/run/libvirt/qemu/db.xml' is not well-formed xml without a dtd" },
	    { "domain-live", UNKNOWN, "/run/libvirt/qemu/db.xml' is not well-formed xml without a dtd" } } },
	{ "a status file with a dtd", { { OP_TEXT, "/run/libvirt/qemu/db.xml",
					 "<!DOCTYPE d [<!ENTITY x 'y'>]><domain/>" } },
	  { { "domain-nwfilter", UNKNOWN, "is not well-formed xml without a dtd" },
	    { "domain-live", UNKNOWN, "is not well-formed xml without a dtd" } } },
	{ "a status file a FIFO", { FIFO("/run/libvirt/qemu/db.xml") },
	  { { "domain-nwfilter", UNKNOWN, "db.xml': not a regular file" },
	    { "domain-live", UNKNOWN, "db.xml': not a regular file" } } },
	{ "cpuinfo missing", { RM("/proc/cpuinfo") },
	  { { "cpu-virt", UNKNOWN, "/proc/cpuinfo': No such file or directory" },
	    { "nx", UNKNOWN, "/proc/cpuinfo': No such file or directory" } } },
	{ "cpuinfo a directory", { MKDIR("/proc/cpuinfo") },
	  { { "cpu-virt", UNKNOWN, "/proc/cpuinfo': is a directory" }, { "nx", UNKNOWN, "is a directory" } } },
	{ "cpuinfo a dangling link", { { OP_LINK, "/proc/cpuinfo", "/nonexistent/cpuinfo" } },
	  { { "cpu-virt", UNKNOWN, "No such file or directory" }, { "nx", UNKNOWN, NULL } } },
	{ "cpuinfo a FIFO is not opened (it would block)", { FIFO("/proc/cpuinfo") },
	  { { "cpu-virt", UNKNOWN, "not a regular file" }, { "nx", UNKNOWN, "not a regular file" } } },
	{ "cpuinfo without flags (not x86)", { { OP_TEXT, "/proc/cpuinfo", "processor : 0\nFeatures : fp asimd\n" } },
	  { { "cpu-virt", UNKNOWN, "no 'flags' line" }, { "nx", UNKNOWN, "no 'flags' line" } } },
	{ "no /dev", { RM("/dev") },
	  { { "kvm", UNKNOWN, "/dev': No such file or directory" } } },
	{ "no /sys/class",
	  { RM("/sys/class") },
	  { { "iommu", UNKNOWN, "/sys/class': No such file or directory" },
	    { "tpm", UNKNOWN, "/sys/class': No such file or directory" } } },
	{ "no vulnerabilities directory", { RM("/sys/devices/system/cpu/vulnerabilities") },
	  { { "cpu-mitigations", UNKNOWN, "vulnerabilities': No such file or directory" } } },
	{ "a vulnerability entry unreadable", { MKDIR(VULN "l1tf") },
	  { { "cpu-mitigations", UNKNOWN, "cannot tell: cannot read '" } } },
	{ "a vulnerability state unknown", { { OP_TEXT, VULN "srbds", "Unknown: Dependent on hypervisor status\n" } },
	  { { "cpu-mitigations", UNKNOWN, "cannot tell: srbds (Unknown: Dependent on hypervisor status); 3 of 4" } } },
	{ "qemu.conf missing", { RM(CONF) },
	  { { "qemu-user", UNKNOWN, "qemu.conf': No such file or directory" },
	    { "qemu-seccomp", UNKNOWN, "qemu.conf': No such file or directory" },
	    { "security-driver", UNKNOWN, "qemu.conf': No such file or directory" },
	    { "graphics-listen", UNKNOWN, "qemu.conf': No such file or directory" } } },
	{ "qemu.conf a directory", { MKDIR(CONF) },
	  { { "qemu-user", UNKNOWN, "is a directory" }, { "qemu-seccomp", UNKNOWN, NULL },
	    { "security-driver", UNKNOWN, NULL }, { "graphics-listen", UNKNOWN, NULL } } },
	{ "no user, no qemu running", { { OP_TEXT, CONF, "#user = \"root\"\n" }, RM("/proc/4242") },
	  { { "qemu-user", UNKNOWN, "no user in qemu.conf: the build's default applies" } } },
	{ "no /etc/libvirt", { RM("/etc/libvirt") },
	  { { "vmtrust-hook", UNKNOWN, "/etc/libvirt': No such file or directory (libvirt not installed?)" },
	    { "qemu-user", UNKNOWN, NULL }, { "qemu-seccomp", UNKNOWN, NULL },
	    { "security-driver", UNKNOWN, NULL }, { "graphics-listen", UNKNOWN, NULL } } },
	{ "LSM state unreadable", { MKDIR("/sys/module/apparmor/parameters/enabled") },
	  { { "security-driver", UNKNOWN, "enabled': is a directory" } } },
	{ "TPM version unreadable", { MKDIR("/sys/class/tpm/tpm0/tpm_version_major") },
	  { { "tpm", UNKNOWN, "'/sys/class/tpm/tpm0' present, version unknown: cannot read" } } },
	{ "boot log unreadable", { MKDIR(ATTEST_EVENTLOG_DEFAULT_PATH) },
	  { { "boot-log", UNKNOWN, "binary_bios_measurements': is a directory" },
	    { "secure-boot", PASS, "efivars: SecureBoot=1" } } },
	{ "securityfs not mounted", { RM("/sys/kernel/security") },
	  { { "boot-log", UNKNOWN, "securityfs not mounted" }, { "secure-boot", PASS, "efivars" } } },
	{ "efivarfs not mounted", { RM("/sys/kernel/security/tpm0"), RM(EFIVAR) },
	  { { "boot-log", FAIL, NULL }, { "secure-boot", UNKNOWN, "efivarfs not mounted" } } },
	{ "efivar of a wrong size", { LOG("none"), EFI("short") },
	  { { "secure-boot", UNKNOWN, "SecureBoot is 4 bytes" } } },
	{ "no dpkg database", { RM("/var/lib/dpkg") },
	  { { "package:qemu-system-x86", UNKNOWN, "status': No such file or directory (not a Debian host?)" } } },
	{ "an invalid installed version", { { OP_TEXT, "/var/lib/dpkg/status",
			       "Package: qemu-system-x86\nStatus: install ok installed\nVersion: x.y\n" } },
	  { { "package:qemu-system-x86", UNKNOWN, "'qemu-system-x86' x.y: not a valid version" } } },
};

static void apply(const char *root, const struct op *op)
{
	for (; op->kind != OP_END; op++) {
		switch (op->kind) {
		case OP_TEXT: put_text(root, op->path, op->data); break;
		case OP_EXEC:
			put_file(root, op->path, op->data, strlen(op->data), 0755);
			break;
		case OP_NOEXEC:
			put_file(root, op->path, op->data, strlen(op->data), 0644);
			break;
		case OP_EXEC_GW:
			put_file(root, op->path, op->data, strlen(op->data), 0775);
			break;
		case OP_RM: rm_path(root, op->path); break;
		case OP_DIR: put_dir(root, op->path); break;
		case OP_LINK: put_link(root, op->path, op->data); break;
		case OP_FIFO: {
			char path[4096];

			snprintf(path, sizeof(path), "%s%s", root, op->path);
			rm_path(root, op->path);
			ck_assert_int_eq(mkfifo(path, 0644), 0);
			break;
		}
		case OP_ARGV: put_argv(root, op->path, op->data); break;
		case OP_LOG:
			if (strcmp(op->data, "garbage") == 0)
				put_text(root, ATTEST_EVENTLOG_DEFAULT_PATH, "this is no event log");
			else
				put_boot_log(root, strcmp(op->data, "none") == 0 ? -1 : atoi(op->data));
			break;
		case OP_EFIVAR:
			if (strcmp(op->data, "short") == 0)
				put_file(root, EFIVAR, "\6\0\0\0", 4, 0644);
			else
				put_efivar(root, atoi(op->data));
			break;
		case OP_END: break;
		}
	}
}

static void run_case(const struct fixture_case *fc)
{
	struct policy *p = load_policy(policy_min);
	char *root = hardened();
	struct attest_audit *a;

	apply(root, fc->ops);
	a = audit(root, p);
	for (size_t i = 0; i < ELEMENTSOF(all_ids); i++) {
		const struct expect *e = NULL;

		for (size_t k = 0; k < ELEMENTSOF(fc->expect) && fc->expect[k].id; k++)
			if (strcmp(fc->expect[k].id, all_ids[i]) == 0)
				e = &fc->expect[k];
		if (e)
			expect_check(a, all_ids[i], e->status, e->evidence);
		else
			expect_check(a, all_ids[i], ATTEST_AUDIT_PASS, NULL);
	}
	attest_audit_free(a);
	policy_free(p);
	drop(root);
}

START_TEST(test_weak)
{
	run_case(&weak_cases[_i]);
}
END_TEST

START_TEST(test_unknown)
{
	run_case(&unknown_cases[_i]);
}
END_TEST

START_TEST(test_empty_root)
{
	struct policy *p = load_policy(policy_min);
	char *root = new_root();
	struct attest_audit *a;
	const struct attest_audit_check *c;
	size_t n;

	a = audit(root, p);
	c = attest_audit_checks(a, &n);
	ck_assert_uint_eq(n, ELEMENTSOF(all_ids));
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(c[i].status == ATTEST_AUDIT_UNKNOWN, "%s: %s", c[i].id, c[i].evidence);
		ck_assert_msg(c[i].evidence[0], "%s: no reason", c[i].id);
	}
	/* nothing fails, but a required check (the package) is unknown */
	ck_assert_int_eq(hostaudit_ok(a, NULL), 1);
	ck_assert_int_eq(hostaudit_ok(a, p), 0);
	attest_audit_free(a);
	drop(root);
	policy_free(p);
}
END_TEST

START_TEST(test_bad_root)
{
	struct attest_audit *a = NULL;

	ck_assert_int_eq(hostaudit_run("/nonexistent/root", NULL, NULL, &a), -ENOENT);
	ck_assert_str_eq(last_error, "cannot audit root '/nonexistent/root': No such file or directory");
	ck_assert_int_eq(hostaudit_run("/dev/null", NULL, NULL, &a), -ENOTDIR);
	ck_assert_str_eq(last_error, "cannot audit root '/dev/null': not a directory");
	ck_assert_ptr_null(a);
}
END_TEST

/* The installer and the audit hold a hook to one rule (launch_hook_parse):
 * what `hook install` writes passes the audit and `hook status`; a vmtrust
 * hook edited since fails both (and install writes it again); another
 * program's hook fails both and is left alone. */
START_TEST(test_hook_one_rule)
{
	const struct launch_hook_opts o = {
		.exe = "/usr/bin/vmtrust", .policy = "/etc/vmtrust/it's.json", .state_dir = "/var/lib/vmtrust",
		.tcti = "swtpm:host=127.0.0.1,port=2321", .uefi_log = "",
	};
	char *root = hardened(), *script = NULL, *hooks = NULL;
	struct attest_audit *a;
	size_t len;

	ck_assert_int_ge(asprintf(&hooks, "%s/etc/libvirt/hooks", root), 0);
	ck_assert_int_eq(launch_hook_script(&o, &script, &len), 0);
	put_file(root, HOOK, script, len, 0755);
	a = audit(root, NULL);
	expect_check(a, "vmtrust-hook", ATTEST_AUDIT_PASS, "'/etc/libvirt/hooks/qemu' is a script that runs 'vmtrust hook'");
	attest_audit_free(a);
	ck_assert_int_eq(launch_hook_installed(hooks, false), 1);

	/* edited: a command after the exec line */
	script = realloc(script, len + 16);
	strcpy(script + len, "exit 0\n");
	put_file(root, HOOK, script, strlen(script), 0755);
	a = audit(root, NULL);
	expect_check(a, "vmtrust-hook", ATTEST_AUDIT_FAIL, "a command besides the exec of vmtrust");
	attest_audit_free(a);
	n_errors = 0;
	ck_assert_int_eq(launch_hook_installed(hooks, false), -EBADMSG);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, "is a vmtrust hook that does not run 'vmtrust hook run': line 7: a command besides"),
		      "%s", last_error);
	n_errors = 0;
	ck_assert_int_eq(launch_hook_install(&(struct launch_hook_opts){ .hooks_dir = hooks, .exe = o.exe }, NULL), 0);
	ck_assert_uint_eq(n_errors, 0);
	ck_assert_int_eq(launch_hook_installed(hooks, false), 1);

	/* another program's */
	put_file(root, HOOK, "#!/bin/sh\nexec /usr/bin/vmtrust hook run -- \"$@\"\n", 49, 0755);
	a = audit(root, NULL);
	expect_check(a, "vmtrust-hook", ATTEST_AUDIT_FAIL, "not one 'vmtrust hook install' wrote");
	attest_audit_free(a);
	n_errors = 0;
	ck_assert_int_eq(launch_hook_installed(hooks, false), -EPERM);
	ck_assert_int_eq(launch_hook_install(&(struct launch_hook_opts){ .hooks_dir = hooks, .exe = o.exe }, NULL), -EPERM);
	ck_assert_msg(strstr(last_error, "another program's hook: left alone"), "%s", last_error);
	free(script);
	free(hooks);
	drop(root);
}
END_TEST

/* ---- qemu.conf syntax --------------------------------------------------------------- */

static const struct conf_case {
	const char *text;
	const char *error;          /* NULL: parses */
	enum attest_audit_status user;
} conf_cases[] = {
	{ "user = ", "qemu.conf' line 1: expecting a value", UNKNOWN },
	{ "user = \"root", "line 1: unterminated string", UNKNOWN },
	{ "user = 'root\n'", "line 1: unterminated string", UNKNOWN },
	{ "user \"root\"", "line 1: expecting an assignment", UNKNOWN },
	{ "1user = \"x\"", "line 1: expecting a name", UNKNOWN },
	{ "\n\n# c\nx = [ \"a\" \"b\" ]\n", "line 4: expecting a separator in list", UNKNOWN },
	{ "x = [ \"a\" ", "list is not closed with ]", UNKNOWN },
	{ "x = [ \"a\", ", "expecting a value", UNKNOWN },
	{ "x = [ # no comments in lists\n \"a\" ]", "line 1: expecting a value", UNKNOWN },
	{ "user = \"a\" junk", "line 1: expecting a separator", UNKNOWN },
	{ "x = 1234567890123456789", "number too large", UNKNOWN },
	{ "x = -", "unterminated number", UNKNOWN },
	{ "x = [[[[[1]]]]]", "lists nested deeper than 4", UNKNOWN },
	{ "x = \"\"\"abc\"\"", "unterminated string", UNKNOWN },
	{ "x = yes", "expecting a value", UNKNOWN },
	{ "user = 'root'", NULL, FAIL },
	{ "user = \"\"\"root\"\"\"", NULL, FAIL },
	{ "x = \"\"\"a\nb\"\"\"\nuser = \"root\"", NULL, FAIL },
	{ "user = \"root\" # a comment", NULL, FAIL },
	{ "user=\"qemu\";group=\"root\"", NULL, FAIL },
	{ "user = \"libvirt-qemu\"\nuser = \"root\"\n", NULL, PASS },   /* the first counts */
	{ "  user\t=\t\"qemu\"  ;  \r\n\r\n", NULL, PASS },
	{ "x = [\n \"a\",\n \"b\",\n]\nx2 = [ ]\nx3 = [ 1, [ 2, 'c' ] ]\nuser = \"qemu\"", NULL, PASS },
	{ "user = 0", NULL, UNKNOWN },
	{ "user = [ \"root\" ]", NULL, UNKNOWN },
	{ "", NULL, PASS },        /* an empty file: no user, qemu runs as another user */
};

START_TEST(test_qemu_conf)
{
	static const char *const conf_ids[] = { "qemu-user", "qemu-seccomp", "security-driver",
						"graphics-listen" };
	const struct conf_case *cc = &conf_cases[_i];
	char *root = hardened();
	struct attest_audit *a;

	put_text(root, CONF, cc->text);
	a = audit(root, NULL);
	if (cc->error) {
		for (size_t i = 0; i < ELEMENTSOF(conf_ids); i++)
			expect_check(a, conf_ids[i], ATTEST_AUDIT_UNKNOWN, cc->error);
	} else {
		expect_check(a, "qemu-user", cc->user,
			     cc->user == UNKNOWN ? "qemu.conf: 'user' must be a string" : NULL);
		expect_check(a, "qemu-seccomp", ATTEST_AUDIT_PASS, NULL);
	}
	attest_audit_free(a);
	drop(root);
}
END_TEST

START_TEST(test_conf_nul)
{
	char *root = hardened();
	struct attest_audit *a;

	put_file(root, CONF, "user = \"a\"\n\0", 13, 0644);
	a = audit(root, NULL);
	expect_check(a, "qemu-user", ATTEST_AUDIT_UNKNOWN, "qemu.conf' line 2: a NUL byte");
	attest_audit_free(a);
	drop(root);
}
END_TEST

START_TEST(test_conf_types)
{
	static const struct { const char *text, *id, *evidence; } cases[] = {
		{ "user = \"q\"\nvnc_tls = 2\n", "graphics-listen", "qemu.conf: 'vnc_tls' must be 0 or 1" },
		{ "user = \"q\"\nspice_tls = \"1\"\n", "graphics-listen", "'spice_tls' must be 0 or 1" },
		{ "user = \"q\"\nvnc_listen = 0\n", "graphics-listen", "'vnc_listen' must be a string" },
		{ "user = \"q\"\nsecurity_driver = 1\n", "security-driver", "must be a string or a list of strings" },
		{ "user = \"q\"\nsecurity_driver = \"smack\"\n", "security-driver", "unknown security_driver \"smack\"" },
		{ "user = \"q\"\nseccomp_sandbox = 2\n", "qemu-seccomp", "'seccomp_sandbox' must be 0 or 1" },
		{ "user = \"q\"\ngroup = 5\n", "qemu-user", "'group' must be a string" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *root = hardened();
		struct attest_audit *a;

		put_text(root, CONF, cases[i].text);
		a = audit(root, NULL);
		expect_check(a, cases[i].id, ATTEST_AUDIT_UNKNOWN, cases[i].evidence);
		attest_audit_free(a);
		drop(root);
	}
}
END_TEST

/* ---- Debian versions ------------------------------------------------------------------ */

static const struct { const char *a, *b; int cmp; } version_cases[] = {
	{ "1.0", "1.0", 0 },
	{ "1.0", "1.1", -1 },
	{ "1.1", "1.0", 1 },
	{ "1.2.3", "1.10", -1 },
	{ "1.10", "1.9", 1 },
	{ "001", "1", 0 },
	{ "1.0", "1.0.0", -1 },
	{ "1.0a", "1.0b", -1 },
	{ "1.0a", "1.0", 1 },
	{ "1.0+dfsg", "1.0", 1 },
	{ "1.0+", "1.0.", -1 },             /* '+' before '.', as in ASCII */
	/* '~' sorts before everything, even the end */
	{ "1.0~rc1", "1.0", -1 },
	{ "1.0~rc1", "1.0~rc2", -1 },
	{ "1.0~~", "1.0~~a", -1 },
	{ "1.0~~a", "1.0~", -1 },
	{ "1.0~", "1.0", -1 },
	{ "1.0", "1.0a", -1 },
	{ "1.0-1~bpo12+1", "1.0-1", -1 },
	/* epochs */
	{ "1:1.0", "2.0", 1 },
	{ "0:1.0", "1.0", 0 },
	{ "2:0.1", "1:9.9", 1 },
	{ "1:7.2", "7.2", 1 },
	/* revisions */
	{ "1.0-1", "1.0-2", -1 },
	{ "1.0-10", "1.0-9", 1 },
	{ "1.0", "1.0-0", 0 },
	{ "1.0-1", "1.0", 1 },
	{ "2.30-1", "2.3-1", 1 },
	{ "1-2-3", "1-2-4", -1 },           /* upstream "1-2", revision "3" */
	{ "1:7.2+dfsg-7+deb12u18", "1:7.2+dfsg-7+deb12u3", 1 },
	{ "1:7.2+dfsg-7+deb12u18", "1:7.2", 1 },
	{ "9.0.0-4", "9.0.0-4+deb12u1", -1 },
	{ "5.4~rc1-1", "5.4-1", -1 },
	{ "1:1.0:1", "1:1.0:2", -1 },       /* a colon in upstream, after an epoch */
};

static const char *const invalid_versions[] = {
	"", "a1.0", ":1.0", "a:1.0", "1:", "-1:1.0", "1.0-", "1 0", "1.0_1", "1.0-1_2",
	"1:abc", "99999999999:1", "1.0\n", "1.0-1:2",
};

START_TEST(test_versions)
{
	for (size_t i = 0; i < ELEMENTSOF(version_cases); i++) {
		int cmp = 99;

		ck_assert_msg(policy_deb_version_compare(version_cases[i].a, version_cases[i].b, &cmp) == 0,
			      "%s", version_cases[i].a);
		ck_assert_msg(cmp == version_cases[i].cmp, "'%s' vs '%s': %d, expected %d",
			      version_cases[i].a, version_cases[i].b, cmp, version_cases[i].cmp);
		ck_assert_int_eq(policy_deb_version_compare(version_cases[i].b, version_cases[i].a, &cmp), 0);
		ck_assert_int_eq(cmp, -version_cases[i].cmp);
	}
	for (size_t i = 0; i < ELEMENTSOF(invalid_versions); i++) {
		int cmp = 99;

		ck_assert_msg(policy_deb_version_compare(invalid_versions[i], "1.0", &cmp) == -EINVAL,
			      "'%s' accepted", invalid_versions[i]);
		ck_assert_int_eq(policy_deb_version_compare("1.0", invalid_versions[i], &cmp), -EINVAL);
		ck_assert_int_eq(cmp, 99);
	}
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* ---- required checks -------------------------------------------------------------------- */

static struct attest_audit *audit_with(const char *root, const char *policy_json,
				       struct policy **ret_p)
{
	struct policy *p = load_policy(policy_json);

	*ret_p = p;
	return audit(root, p);
}

START_TEST(test_required)
{
	char *root = hardened();
	struct attest_audit *a;
	struct policy *p;

	/* tpm fails, iommu is unknown */
	rm_path(root, "/sys/class/tpm");
	rm_path(root, "/sys/class/iommu");
	put_text(root, "/sys/class/iommu", "not a directory");

	/* no policy: a fail is not ok */
	a = audit(root, NULL);
	ck_assert_uint_eq(attest_audit_find(a, "tpm")->status, ATTEST_AUDIT_FAIL);
	ck_assert_uint_eq(attest_audit_find(a, "iommu")->status, ATTEST_AUDIT_UNKNOWN);
	ck_assert_int_eq(hostaudit_ok(a, NULL), 0);
	ck_assert(!attest_audit_find(a, "tpm")->required);
	attest_audit_free(a);

	/* the policy requires kvm only: tpm's fail does not count */
	a = audit_with(root, "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"kvm\"]}}", &p);
	ck_assert(attest_audit_find(a, "kvm")->required);
	ck_assert(!attest_audit_find(a, "tpm")->required);
	ck_assert_int_eq(hostaudit_ok(a, p), 1);
	/* ...but judged without the policy it does */
	ck_assert_int_eq(hostaudit_ok(a, NULL), 0);
	attest_audit_free(a);
	policy_free(p);

	/* a required check that is unknown is not ok */
	a = audit_with(root, "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"kvm\", \"iommu\"]}}", &p);
	ck_assert_int_eq(hostaudit_ok(a, p), 0);
	attest_audit_free(a);
	policy_free(p);

	/* a required check that fails is not ok */
	a = audit_with(root, "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"tpm\"]}}", &p);
	ck_assert_int_eq(hostaudit_ok(a, p), 0);
	attest_audit_free(a);
	policy_free(p);

	/* min_versions are required: an older package is not ok, even with
	 * required_checks that pass */
	put_text(root, "/var/lib/dpkg/status", "Package: qemu-system-x86\nStatus: install ok installed\nVersion: 1:7.1\n");
	a = audit_with(root, "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"kvm\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.2\"}}}", &p);
	ck_assert(attest_audit_find(a, "package:qemu-system-x86")->required);
	ck_assert_int_eq(hostaudit_ok(a, p), 0);
	attest_audit_free(a);
	policy_free(p);

	/* no policy with required checks, nothing fails: ok, whatever is unknown */
	rm_path(root, "/sys/class");
	a = audit(root, NULL);
	ck_assert_uint_eq(attest_audit_find(a, "tpm")->status, ATTEST_AUDIT_UNKNOWN);
	ck_assert_int_eq(hostaudit_ok(a, NULL), 1);
	attest_audit_free(a);
	drop(root);
}
END_TEST

/* The host section is the policy's to validate: policy_load refuses a
 * typo, so `policy check` does too, and no audit runs on it. */
START_TEST(test_bad_policy)
{
	static const struct { const char *json, *error; } cases[] = {
		{ "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"kvm\", \"iommmu\"]}}",
		  "policy 'test': $.host.required_checks[1]: unknown audit check 'iommmu' (known: cpu-virt, kvm, "
		  "iommu, nx, cpu-mitigations, qemu-user, qemu-seccomp, security-driver, graphics-listen, "
		  "vmtrust-hook, tpm, boot-log, secure-boot, policy-key, domain-nwfilter, domain-live, package:NAME)" },
		{ "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": [\"package:qemu\"]}}",
		  "policy 'test': $.host.required_checks[0]: 'package:qemu' names no package of host.min_versions" },
		{ "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"min_versions\": {\"qemu\": \"seven\"}}}",
		  "policy 'test': $.host.min_versions.qemu: 'seven' is not a valid Debian version" },
		{ "{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"min_versions\": {\"Qemu\": \"7.2\"}}}",
		  "policy 'test': $.host.min_versions.Qemu: 'Qemu' is not a valid Debian package name" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct policy *p = NULL;

		n_errors = 0;
		ck_assert_int_eq(policy_load_buffer("test", cases[i].json, strlen(cases[i].json), &p), -EINVAL);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_str_eq(last_error, cases[i].error);
	}
}
END_TEST

/* The audit's checks are the policy's: the same ids, in the same order. */
START_TEST(test_ids_are_the_policys)
{
	char *root = hardened();
	struct attest_audit *a = audit(root, NULL);
	const struct policy_host_check *known;
	const struct attest_audit_check *c;
	size_t n_known, n;

	known = policy_host_checks(&n_known);
	c = attest_audit_checks(a, &n);
	ck_assert_uint_eq(n, n_known);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(c[i].id, known[i].id);
		ck_assert_str_eq(c[i].measure, known[i].measure);
	}
	attest_audit_free(a);
	drop(root);
}
END_TEST

/* A verifier's rule (attest_audit_evaluate): on an audit made under one
 * policy, read back from its canonical JSON, judged by other policies. */
static const struct {
	const char *host;
	int want;
	const char *reason;
} evaluate_cases[] = {
	{ "{}", 1, "" },
	{ "{\"required_checks\": [\"kvm\", \"nx\"]}", 1, "" },
	{ "{\"min_versions\": {\"qemu-system-x86\": \"1:7.2\"}}", 1, "" },
	{ "{\"min_versions\": {\"qemu-system-x86\": \"1:7.2+dfsg-7+deb12u3\"}}", 1, "" },
	{ "{\"required_checks\": [\"package:qemu-system-x86\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.0\"}}", 1, "" },
	/* the host audited against u3: that proves no more than u3 */
	{ "{\"min_versions\": {\"qemu-system-x86\": \"1:7.2+dfsg-7+deb12u10\"}}", 0,
	  "package:qemu-system-x86 passed against the minimum 1:7.2+dfsg-7+deb12u3, below the policy's 1:7.2+dfsg-7+deb12u10" },
	{ "{\"min_versions\": {\"libvirt-daemon\": \"9.0\"}}", 0, "package:libvirt-daemon not in the audit" },
	{ "{\"required_checks\": [\"tpm\", \"kvm\", \"iommu\"]}", 0, "tpm fail, iommu unknown" },
};

START_TEST(test_evaluate)
{
	struct policy *host = load_policy(policy_min), *p;
	char *root = hardened(), *json, reason[256], *doc;
	struct attest_audit *made, *a = NULL;

	/* tpm fails, iommu is unknown */
	rm_path(root, "/sys/class/tpm");
	rm_path(root, "/sys/class/iommu");
	put_text(root, "/sys/class/iommu", "not a directory");
	made = audit(root, host);
	ck_assert_int_eq(attest_audit_to_json(made, &json), 0);
	ck_assert_int_eq(attest_audit_parse("a.json", json, strlen(json), &a), 0);

	ck_assert_int_ge(asprintf(&doc, "{\"schema_version\": 1, \"sequence\": 1, \"host\": %s}",
				  evaluate_cases[_i].host), 0);
	p = load_policy(doc);
	strcpy(reason, "stale");
	ck_assert_int_eq(attest_audit_evaluate(a, p, reason, sizeof(reason)), evaluate_cases[_i].want);
	ck_assert_str_eq(reason, evaluate_cases[_i].reason);
	ck_assert_uint_eq(n_errors, 0);
	/* no policy: nothing required */
	ck_assert_int_eq(attest_audit_evaluate(a, NULL, reason, sizeof(reason)), 1);
	policy_free(p);
	free(doc);
	attest_audit_free(a);
	attest_audit_free(made);
	policy_free(host);
	free(json);
	drop(root);
}
END_TEST

START_TEST(test_evaluate_faults)
{
	static const char no_minimum[] = "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"package:qemu\","
					 "\"status\":\"pass\",\"evidence\":\"'qemu' 1:9.0 (amd64)\"}]}";
	struct policy *p = load_policy("{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"min_versions\": {\"qemu\": \"1:8.0\"}}}");
	struct attest_audit *a = NULL;
	char reason[64];

	/* a pass that names no minimum proves nothing */
	ck_assert_int_eq(attest_audit_parse("a.json", no_minimum, strlen(no_minimum), &a), 0);
	ck_assert_int_eq(attest_audit_evaluate(a, p, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "package:qemu passed against no minimum it names");
	/* a short buffer: cut, never overrun */
	ck_assert_int_eq(attest_audit_evaluate(a, p, reason, 8), 0);
	ck_assert_str_eq(reason, "package");
	policy_free(p);
	attest_audit_free(a);
}
END_TEST

/* ---- JSON ----------------------------------------------------------------------------------- */

START_TEST(test_json_roundtrip)
{
	struct policy *p = load_policy(policy_min);
	char *root = hardened();
	struct attest_audit *a, *b = NULL;
	const struct attest_audit_check *ca, *cb;
	char *j1 = NULL, *j2 = NULL;
	size_t na, nb;

	/* hostile bytes in an input end up escaped in the evidence */
	put_text(root, VULN "spectre_v2", "Vulnerable: \x1b[31mred\xff\n");
	a = audit(root, p);
	expect_check(a, "cpu-mitigations", ATTEST_AUDIT_FAIL, "Vulnerable: \\x1b[31mred\\xff)");
	ck_assert_int_eq(attest_audit_to_json(a, &j1), 0);
	ck_assert(strncmp(j1, "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"cpu-virt\",\"status\":\"pass\",\"evidence\":\"cpu flag 'vmx' (Intel VT-x)\"},", 96) == 0);
	ck_assert_ptr_null(strchr(j1, '\n'));
	ck_assert_ptr_null(strstr(j1, "\\/"));
	ck_assert_int_eq(attest_audit_parse("j1", j1, strlen(j1), &b), 0);
	ck_assert_int_eq(attest_audit_to_json(b, &j2), 0);
	ck_assert_str_eq(j1, j2);
	ca = attest_audit_checks(a, &na);
	cb = attest_audit_checks(b, &nb);
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(ca[i].id, cb[i].id);
		ck_assert_uint_eq(ca[i].status, cb[i].status);
		ck_assert_str_eq(ca[i].evidence, cb[i].evidence);
		ck_assert_str_eq(ca[i].measure, cb[i].measure);
		ck_assert_ptr_null(cb[i].hint);
		ck_assert(!cb[i].required);
	}
	/* a verifier judges the parsed audit with its own policy */
	ck_assert_int_eq(hostaudit_ok(b, NULL), 0);
	ck_assert_int_eq(hostaudit_ok(b, p), 0);
	policy_free(p);
	p = load_policy("{\"schema_version\": 1, \"sequence\": 1, \"host\": {\"required_checks\": "
			"[\"kvm\", \"tpm\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.2\"}}}");
	ck_assert_int_eq(hostaudit_ok(b, p), 1);
	free(j1);
	free(j2);
	attest_audit_free(a);
	attest_audit_free(b);
	/* a trailing newline is allowed */
	ck_assert_int_eq(attest_audit_parse("nl", "{\"vmtrust_host_audit\":1,\"checks\":[]}\n", 37, &b), 0);
	attest_audit_free(b);
	policy_free(p);
	drop(root);
}
END_TEST

static const struct { const char *json, *error; } bad_json[] = {
	{ "", "host audit 'bad': $: unexpected end of input at byte 0" },
	{ "{\"vmtrust_host_audit\":1,", "$: unexpected end of input" },
	{ "[]", "$: expected an object at the top level" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[]} x", "$: " },
	{ "{\"vmtrust_host_audit\":1}", "$: expected exactly the keys vmtrust_host_audit, checks" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[],\"extra\":0}", "$: expected exactly the keys" },
	{ "{\"vmtrust_host_audit\":2,\"checks\":[]}", "$.vmtrust_host_audit: not version 1" },
	{ "{\"vmtrust_host_audit\":\"1\",\"checks\":[]}", "$.vmtrust_host_audit: not version 1" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":{}}", "$.checks: expected an array" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[1]}", "$.checks[0]: expected an object" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\"}]}",
	  "$.checks[0]: expected exactly the keys id, status, evidence" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":1}]}",
	  "$.checks[0]: 'evidence' missing or not a string" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"hint\":\"\"}]}",
	  "$.checks[0]: 'evidence' missing or not a string" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm2\",\"status\":\"pass\",\"evidence\":\"\"}]}",
	  "$.checks[0]: unknown check id 'tpm2'" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"package:Qemu\",\"status\":\"pass\",\"evidence\":\"\"}]}",
	  "$.checks[0]: unknown check id 'package:Qemu'" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"ok\",\"evidence\":\"\"}]}",
	  "$.checks[0]: status 'ok' is not pass, fail or unknown" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":\"a\"},"
	  "{\"id\":\"tpm\",\"status\":\"fail\",\"evidence\":\"b\"}]}", "$.checks[1]: duplicate check id 'tpm'" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":\"\\u0007\"}]}",
	  "$.checks[0]: evidence has a byte that is not printable ASCII" },
	{ "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":\"\xc3\xa9\"}]}",
	  "$.checks[0]: evidence has a byte that is not printable ASCII" },
};

START_TEST(test_json_bad)
{
	struct attest_audit *a = NULL;

	n_errors = 0;
	ck_assert_int_eq(attest_audit_parse("bad", bad_json[_i].json, strlen(bad_json[_i].json), &a),
			 -EBADMSG);
	ck_assert_ptr_null(a);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, bad_json[_i].error), "%s", last_error);
	ck_assert(strncmp(last_error, "host audit 'bad': ", 18) == 0);
}
END_TEST

START_TEST(test_json_too_big)
{
	size_t len = ATTEST_AUDIT_JSON_MAX + 1;
	char *big = malloc(len);
	struct attest_audit *a = NULL;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	ck_assert_int_eq(attest_audit_parse("big", big, len, &a), -EFBIG);
	ck_assert_str_eq(last_error, "host audit 'big': 1048577 bytes exceed the limit of 1048576");
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc;
	SRunner *sr;
	int failed;

	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tc = tcase_create("hosts");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_hardened);
	tcase_add_loop_test(tc, test_weak, 0, ELEMENTSOF(weak_cases));
	tcase_add_loop_test(tc, test_unknown, 0, ELEMENTSOF(unknown_cases));
	tcase_add_test(tc, test_empty_root);
	tcase_add_test(tc, test_bad_root);
	tcase_add_test(tc, test_hook_one_rule);
	suite_add_tcase(s, tc);

	tc = tcase_create("qemu-conf");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_qemu_conf, 0, ELEMENTSOF(conf_cases));
	tcase_add_test(tc, test_conf_types);
	tcase_add_test(tc, test_conf_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("versions");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_versions);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_bad_policy);
	tcase_add_test(tc, test_ids_are_the_policys);
	tcase_add_loop_test(tc, test_evaluate, 0, ELEMENTSOF(evaluate_cases));
	tcase_add_test(tc, test_evaluate_faults);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_loop_test(tc, test_json_bad, 0, ELEMENTSOF(bad_json));
	tcase_add_test(tc, test_json_too_big);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
