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
#include "launch.h"
#include "swtpm-fixture.h"
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
	"    <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/web1.fd</nvram>\n"
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

#define DOM(devices) "<domain type='qemu'><name>x</name><devices>" devices "</devices></domain>"

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
};

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

	snprintf(path, sizeof(path), "%s/%s", dir, LAUNCH_AUDIT_NAME);
	r = policy_read_file(path, LAUNCH_AUDIT_MAX, &data, len);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(data);
	return data;
}

static void write_log(const char *data)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, LAUNCH_AUDIT_NAME);
	f = fopen(path, "w");
	fputs(data, f);
	fclose(f);
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
	ck_assert_int_ge(asprintf(&mlog_path, "%s/%s", dir, ATTEST_MLOG_NAME), 0);
	ck_assert_int_eq(policy_read_file(mlog_path, ATTEST_MLOG_MAX, &mlog, &mlen), 0);
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
	_cleanup_(freep) char *e = policy_escape(escapes[_i].in);

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

START_TEST(test_audit_escaped)
{
	static const char *const reasons[] = { "already escaped \\n" };
	struct launch_file files[] = { { .path = "/images/a\nb.qcow2", .sha256 = "ab" } };
	struct launch_record rec = {
		.domain = "web1\nvmtrust: forged\x1b[0m\xff", .uuid = "u\r", .operation = "prepare",
		.n_reasons = 1, .reasons = reasons, .n_files = 1, .files = files,
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
	ck_assert_int_eq(launch_audit_verify("log", log, len, NULL, 0), 1);
}
END_TEST

/* ---- the policy file: only root can have written it ---- */

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
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
	Suite *s = suite_create("launch");
	TCase *tc = tcase_create("domain");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_domain_good);
	tcase_add_loop_test(tc, test_domain_bad, 0, (int)ELEMENTSOF(bad_xmls));
	tcase_add_test(tc, test_domain_truncated);
	tcase_add_test(tc, test_domain_oversized);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_audit_chain);
	tcase_add_loop_test(tc, test_audit_tampered, 0, 3);
	tcase_add_test(tc, test_audit_torn_tail_repaired);
	tcase_add_test(tc, test_audit_against_tpm);
	tcase_add_test(tc, test_audit_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_escape, 0, (int)ELEMENTSOF(escapes));
	tcase_add_test(tc, test_decision_reason_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy-trust");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_trusted_modes);
	tcase_add_test(tc, test_trusted_owner);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
