/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host audit: the hardening against VM escape that the host shows, each
 * measure checked and evidenced. Reads only, below a root directory, every
 * file bounded; a missing or unreadable input makes a check unknown, with
 * the reason, never a pass. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "attest.h"


#define AUDIT_VERSION 1
#define SMALL_MAX 4096                          /* a sysfs attribute, a comm */
#define CPUINFO_MAX (8u * 1024 * 1024)
#define CMDLINE_MAX (64u * 1024)
#define QEMU_CONF_MAX (1024u * 1024)
#define HOOK_MAX (64u * 1024)
#define DPKG_STATUS_MAX (64u * 1024 * 1024)
#define PROC_STATUS_MAX (64u * 1024)
#define PROC_CMDLINE_MAX (1024u * 1024)
#define DIR_ENTRIES_MAX 1024u
#define PROC_ENTRIES_MAX (4u * 1024 * 1024)     /* /proc entries looked at */
#define QEMU_PROCS_MAX 4096u
#define EVIDENCE_MAX 2048u
#define CONF_ENTRIES_MAX 4096u
#define CONF_LIST_MAX 1024u
#define CONF_DEPTH_MAX 4u
#define VERSION_MAX 256u
#define PACKAGE_NAME_MAX 128u
#define REASON_MAX 512u
#define DOMSTATUS_MAX (4u * 1024 * 1024)        /* as a domain XML the hook reads */
#define LIBVIRT_RUN_QEMU "/run/libvirt/qemu"

#define EFI_SECURE_BOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define PACKAGE_PREFIX "package:"

/* ---- the checks ------------------------------------------------------------ */

enum check_index {
	C_CPU_VIRT,
	C_KVM,
	C_IOMMU,
	C_NX,
	C_MITIGATIONS,
	C_QEMU_USER,
	C_QEMU_SECCOMP,
	C_SECURITY_DRIVER,
	C_GRAPHICS,
	C_HOOK,
	C_TPM,
	C_BOOT_LOG,
	C_SECURE_BOOT,
	C_POLICY_KEY,
	C_NWFILTER,
	C_DOMAIN_LIVE,
	N_FIXED_CHECKS,
};

static const char measure_hw[] =
	"1. activate the hardware protections: Intel VT-x/AMD-V, VT-d/AMD-Vi, NX/XD";
static const char measure_privs[] = "1. minimal hypervisor privileges";
static const char measure_packages[] = "1. regular hypervisor updates";

static const struct check_def {
	const char *id;
	const char *measure;
} check_defs[N_FIXED_CHECKS] = {
	[C_CPU_VIRT] = { "cpu-virt", measure_hw },
	[C_KVM] = { "kvm", measure_hw },
	[C_IOMMU] = { "iommu", measure_hw },
	[C_NX] = { "nx", measure_hw },
	[C_MITIGATIONS] = { "cpu-mitigations",
			    "1. regular updates: the threat stems from flaws of the CPU's "
			    "virtualization support too" },
	[C_QEMU_USER] = { "qemu-user", measure_privs },
	[C_QEMU_SECCOMP] = { "qemu-seccomp", measure_privs },
	[C_SECURITY_DRIVER] = { "security-driver", measure_privs },
	[C_GRAPHICS] = { "graphics-listen",
			 "1. strict hypervisor configuration; 4. authenticated, encrypted "
			 "channels to the guest" },
	[C_HOOK] = { "vmtrust-hook",
		     "7. only trusted VM images; 5. event logging: every launch checked and "
		     "recorded by vmtrust" },
	[C_TPM] = { "tpm", "5. regular security audit: a TPM makes the host's state provable" },
	[C_BOOT_LOG] = { "boot-log",
			 "1. proven hypervisors: the boot chain below the hypervisor is measured, "
			 "so one slipped in below shows" },
	[C_SECURE_BOOT] = { "secure-boot",
			    "1. proven hypervisors: only signed boot code below the hypervisor" },
	[C_POLICY_KEY] = { "policy-key",
			   "7. only trusted VM images; 3. key release: the policy that decides both is "
			   "signed by the operator" },
	[C_NWFILTER] = { "domain-nwfilter",
			 "network segmentation: the traffic of every running VM goes through a "
			 "libvirt nwfilter" },
	[C_DOMAIN_LIVE] = { "domain-live",
			    "7. only trusted VM images: what a running VM holds now (devices hot-plugged, "
			    "monitor commands) passes the launch rules too" },
};

static const char hint_root[] =
	"run as root on the host itself, with /proc, /sys and securityfs mounted";
static const char hint_qemu_conf[] =
	"install libvirt's qemu driver and fix /etc/libvirt/qemu.conf (libvirtd refuses a "
	"malformed one too)";

struct attest_audit {
	struct attest_audit_check *checks;
	size_t n_checks;
};

const char *attest_audit_status_name(enum attest_audit_status s)
{
	switch (s) {
	case ATTEST_AUDIT_PASS: return "pass";
	case ATTEST_AUDIT_FAIL: return "fail";
	case ATTEST_AUDIT_UNKNOWN: return "unknown";
	}
	return "unknown";
}

void attest_audit_free(struct attest_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_checks; i++) {
		free((char *)a->checks[i].id);
		free((char *)a->checks[i].evidence);
	}
	free(a->checks);
	free(a);
}

const struct attest_audit_check *attest_audit_checks(const struct attest_audit *a, size_t *ret_n)
{
	*ret_n = a->n_checks;
	return a->checks;
}

const struct attest_audit_check *attest_audit_find(const struct attest_audit *a, const char *id)
{
	for (size_t i = 0; i < a->n_checks; i++)
		if (strcmp(a->checks[i].id, id) == 0)
			return &a->checks[i];
	return NULL;
}

/* ---- small text helpers ---------------------------------------------------- */

/* snprintf that truncates on purpose (messages, evidence): the same, but
 * out of the compiler's truncation analysis. */
__attribute__((format(printf, 3, 4)))
static int bsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_eol(char c) { return c == '\n' || c == '\r'; }

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Evidence under construction: bounded, parts joined with "; ". */
struct sb {
	char buf[EVIDENCE_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(b->buf) - b->len) {
		b->len = sizeof(b->buf) - 1;
		memcpy(b->buf + b->len - 3, "...", 3);
		return;
	}
	b->len += (size_t)n;
}

/* Starts a new part. */
static struct sb *sb_part(struct sb *b)
{
	if (b->len)
		sb_add(b, "; ");
	return b;
}

/* Puts first in front of what ev holds: the failure first. */
static void sb_lead(struct sb *ev, const struct sb *first)
{
	struct sb out = { .len = 0 };

	sb_add(&out, "%s", first->buf);
	if (ev->len)
		sb_add(&out, "; %s", ev->buf);
	*ev = out;
}

/* Printable ASCII only: any other byte as \xNN, so the evidence is safe on a
 * terminal and in JSON, and the canonical form stays the same bytes. */
static char *sanitize(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += (*c >= 0x20 && *c < 0x7f) ? 1 : 4;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c >= 0x20 && *c < 0x7f)
			*o++ = (char)*c;
		else
			o += sprintf(o, "\\x%02x", *c);
	}
	*o = '\0';
	return out;
}

/* Trims trailing white space and NULs (sysfs values end in "\n"). */
static void rstrip(char *s, size_t *len)
{
	size_t n = len ? *len : strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || is_blank(s[n - 1]) || s[n - 1] == '\0'))
		n--;
	s[n] = '\0';
	if (len)
		*len = n;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- the run: reading below root ------------------------------------------- */

struct text {
	char *data;             /* NULL when it could not be read */
	size_t len;
	int err;
	char reason[REASON_MAX];
};

struct conf_value {
	enum { CONF_STRING, CONF_NUMBER, CONF_LIST } type;
	char *str;
	long long num;
	struct conf_value *items;
	size_t n_items;
};

struct conf_entry {
	char *name;
	struct conf_value value;
	unsigned line;
};

struct conf {
	struct conf_entry *entries;
	size_t n;
};

struct qemu_proc {
	unsigned pid;
	char comm[32];
	bool status_read;
	bool root;              /* real or effective uid 0 */
	long uid;               /* effective */
	int seccomp;            /* Seccomp: of status, -1 unknown */
	bool cmdline_read;
	bool kvm;               /* -accel kvm, -enable-kvm, accel=kvm */
	char exposed[256];      /* graphics on a network address without TLS */
	char label[128];        /* LSM label (attr/current), or "" */
};

struct run {
	char root[PATH_MAX];    /* without a trailing '/'; "" for "/" */
	const struct policy *p;
	struct attest_audit *a;

	struct text cpuinfo;
	struct text cmdline;

	struct conf conf;
	bool conf_ok;
	char conf_reason[REASON_MAX];

	struct qemu_proc *procs;
	size_t n_procs;
	bool procs_ok;
	bool procs_truncated;
	char procs_reason[REASON_MAX];

	struct attest_eventlog *log;
	int log_err;            /* 0 parsed, else -errno */
	bool log_malformed;
	char log_reason[REASON_MAX];
};

static int join(const struct run *run, const char *rel, char out[PATH_MAX])
{
	int n = bsnprintf(out, PATH_MAX, "%s%s", run->root, rel);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* stat of ROOT/rel; on failure, the reason. */
static int stat_input(const struct run *run, const char *rel, struct stat *st, char *reason,
		      size_t size)
{
	char path[PATH_MAX];

	if (join(run, rel, path) < 0) {
		bsnprintf(reason, size, "cannot read '%s%s': path too long", run->root, rel);
		return -ENAMETOOLONG;
	}
	if (stat(path, st) < 0) {
		int r = -errno;

		bsnprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	return 0;
}

/* 1 when ROOT/rel is a directory, 0 when it is something else, -errno
 * with the reason when it cannot be seen. */
static int is_dir(const struct run *run, const char *rel, char *reason, size_t size)
{
	struct stat st;
	int r = stat_input(run, rel, &st, reason, size);

	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode)) {
		bsnprintf(reason, size, "'%s%s' is not a directory", run->root, rel);
		return 0;
	}
	return 1;
}

/* Reads ROOT/rel, a regular file of at most max bytes. A fault is no error
 * of the audit but the reason of an unknown check: vt_read_file's
 * message is captured into reason instead of being logged as an error. */
static int read_input(const struct run *run, const char *rel, size_t max, char **ret,
		      size_t *ret_len, char *reason, size_t size)
{
	char path[PATH_MAX];
	struct stat st;
	int r = stat_input(run, rel, &st, reason, size);

	if (r < 0)
		return r;
	(void)join(run, rel, path);
	if (S_ISDIR(st.st_mode)) {
		bsnprintf(reason, size, "cannot read '%s': is a directory", path);
		return -EISDIR;
	}
	/* Never open a FIFO or a device: it could block or have side effects. */
	if (!S_ISREG(st.st_mode)) {
		bsnprintf(reason, size, "cannot read '%s': not a regular file", path);
		return -EINVAL;
	}
	vt_log_capture(reason, size);
	r = vt_read_file(path, max, ret, ret_len);
	vt_log_capture(NULL, 0);
	return r;
}

static void read_text(const struct run *run, const char *rel, size_t max, struct text *t)
{
	t->err = read_input(run, rel, max, &t->data, &t->len, t->reason, sizeof(t->reason));
}

/* Names in ROOT/rel, sorted, without "." and "..": a NULL-terminated list
 * for attest_strv_free(). */
static int list_dir(const struct run *run, const char *rel, char ***ret, size_t *ret_n,
		    char *reason, size_t size)
{
	char path[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (join(run, rel, path) < 0) {
		bsnprintf(reason, size, "cannot read '%s%s': path too long", run->root, rel);
		return -ENAMETOOLONG;
	}
	d = opendir(path);
	if (!d) {
		r = -errno;
		bsnprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	names = calloc(DIR_ENTRIES_MAX + 1, sizeof(char *));
	if (!names) {
		closedir(d);
		return -ENOMEM;
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == DIR_ENTRIES_MAX) {
			bsnprintf(reason, size, "cannot read '%s': more than %u entries", path,
				 DIR_ENTRIES_MAX);
			r = -E2BIG;
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r == 0 && errno) {
		r = -errno;
		bsnprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
	}
	closedir(d);
	if (r < 0) {
		attest_strv_free(names);
		return r;
	}
	qsort(names, n, sizeof(char *), cmp_strp);
	*ret = names;
	*ret_n = n;
	return 0;
}

/* ---- recording a check ----------------------------------------------------- */

static bool policy_requires(const struct policy *p, const char *id)
{
	size_t n;
	const char *const *req;
	const struct policy_version_min *mv;

	if (!p)
		return false;
	req = policy_host_required_checks(p, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(req[i], id) == 0)
			return true;
	if (!has_prefix(id, PACKAGE_PREFIX))
		return false;
	mv = policy_host_min_versions(p, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(mv[i].package, id + strlen(PACKAGE_PREFIX)) == 0)
			return true;
	return false;
}

static int add_check(struct run *run, const char *id, const char *measure,
		     enum attest_audit_status status, const char *hint, const struct sb *ev)
{
	struct attest_audit_check *c = &run->a->checks[run->a->n_checks];

	c->id = strdup(id);
	c->evidence = sanitize(ev->buf);
	if (!c->id || !c->evidence) {
		free((char *)c->id);
		free((char *)c->evidence);
		return -ENOMEM;
	}
	c->status = status;
	c->measure = measure;
	c->hint = status == ATTEST_AUDIT_PASS ? NULL : hint;
	c->required = policy_requires(run->p, id);
	run->a->n_checks++;
	return 0;
}

static int add_fixed(struct run *run, enum check_index i, enum attest_audit_status status,
		     const char *hint, const struct sb *ev)
{
	return add_check(run, check_defs[i].id, check_defs[i].measure, status, hint, ev);
}

/* ---- the kernel command line ----------------------------------------------- */

/* The value of the last "key=value" (or "" for a bare "key") of the kernel
 * command line, up to a lone "--" (what follows is init's); quotes as the
 * kernel takes them. 1 found, 0 not. */
static int cmdline_get(const struct run *run, const char *key, char *out, size_t size)
{
	const char *s = run->cmdline.data;
	size_t klen = strlen(key);
	int found = 0;

	if (!s)
		return 0;
	while (*s) {
		char tok[1024];
		size_t n = 0;
		bool quoted = false;

		while (*s && (is_blank(*s) || is_eol(*s)))
			s++;
		if (!*s)
			break;
		for (; *s && (quoted || !(is_blank(*s) || is_eol(*s))); s++) {
			if (*s == '"')
				quoted = !quoted;
			else if (n + 1 < sizeof(tok))
				tok[n++] = *s;
		}
		tok[n] = '\0';
		if (strcmp(tok, "--") == 0)
			break;
		if (strncmp(tok, key, klen) == 0 && (tok[klen] == '=' || tok[klen] == '\0')) {
			bsnprintf(out, size, "%s", tok[klen] ? tok + klen + 1 : "");
			found = 1;
		}
	}
	return found;
}

/* ---- CPU: cpu-virt, nx ------------------------------------------------------ */

/* The first x86 "flags" line of /proc/cpuinfo, or NULL. */
static const char *cpu_flags(const struct run *run, size_t *ret_len)
{
	const char *s = run->cpuinfo.data;

	while (s && *s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);

		if (has_prefix(s, "flags")) {
			const char *colon = memchr(s, ':', len);
			const char *name_end = s + 5;

			while (name_end < s + len && is_blank(*name_end))
				name_end++;
			if (colon && name_end == colon) {
				*ret_len = len - (size_t)(colon + 1 - s);
				return colon + 1;
			}
		}
		s = eol ? eol + 1 : s + len;
	}
	return NULL;
}

static bool has_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++)
		if ((i == 0 || is_blank(s[i - 1])) && memcmp(s + i, word, wl) == 0 &&
		    (i + wl == len || is_blank(s[i + wl])))
			return true;
	return false;
}

static int check_cpu_virt(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t len = 0;
	const char *flags = cpu_flags(run, &len);

	if (!run->cpuinfo.data) {
		sb_add(&ev, "%s", run->cpuinfo.reason);
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (!flags) {
		sb_add(&ev, "'/proc/cpuinfo' has no 'flags' line (not an x86 CPU?)");
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (has_word(flags, len, "vmx")) {
		sb_add(&ev, "cpu flag 'vmx' (Intel VT-x)");
		s = ATTEST_AUDIT_PASS;
	} else if (has_word(flags, len, "svm")) {
		sb_add(&ev, "cpu flag 'svm' (AMD-V)");
		s = ATTEST_AUDIT_PASS;
	} else {
		sb_add(&ev, "the cpu flags have neither 'vmx' nor 'svm'%s",
		       has_word(flags, len, "hypervisor") ?
		       " (a virtual machine without nested virtualization)" : "");
		s = ATTEST_AUDIT_FAIL;
	}
	return add_fixed(run, C_CPU_VIRT, s,
			 s == ATTEST_AUDIT_FAIL ?
			 "enable Intel VT-x or AMD-V (SVM) in the firmware setup; in a virtual machine, "
			 "enable nested virtualization" : hint_root, &ev);
}

static int check_nx(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t len = 0;
	const char *flags = cpu_flags(run, &len);
	char val[64];

	if (!run->cpuinfo.data) {
		sb_add(&ev, "%s", run->cpuinfo.reason);
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (!flags) {
		sb_add(&ev, "'/proc/cpuinfo' has no 'flags' line (not an x86 CPU?)");
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (has_word(flags, len, "nx")) {
		sb_add(&ev, "cpu flag 'nx'");
		s = ATTEST_AUDIT_PASS;
	} else {
		sb_add(&ev, "the cpu flags have no 'nx': execute-disable is off");
		s = ATTEST_AUDIT_FAIL;
	}
	/* noexec=off turns non-executable mappings off in the kernel. */
	if (s != ATTEST_AUDIT_UNKNOWN && cmdline_get(run, "noexec", val, sizeof(val)) &&
	    strcmp(val, "off") == 0) {
		sb_add(sb_part(&ev), "kernel command line has 'noexec=off'");
		s = ATTEST_AUDIT_FAIL;
	}
	return add_fixed(run, C_NX, s,
			 s == ATTEST_AUDIT_FAIL ?
			 "enable NX/XD (\"Execute Disable Bit\") in the firmware setup and drop "
			 "'noexec=off' from the kernel command line" : hint_root, &ev);
}

/* ---- KVM -------------------------------------------------------------------- */

static void list_kvm_modules(const struct run *run, struct sb *ev)
{
	char reason[REASON_MAX];
	char **names = NULL;
	size_t n = 0, shown = 0;

	if (list_dir(run, "/sys/module", &names, &n, reason, sizeof(reason)) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!has_prefix(names[i], "kvm"))
			continue;
		sb_add(ev, "%s%s", shown ? ", " : "; kvm modules: ", names[i]);
		shown++;
	}
	if (!shown)
		sb_add(ev, "; no kvm module in '/sys/module'");
	attest_strv_free(names);
}

static int check_kvm(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = hint_root;
	char reason[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;
	int r;

	r = stat_input(run, "/dev/kvm", &st, reason, sizeof(reason));
	if (r == 0 && S_ISCHR(st.st_mode)) {
		sb_add(&ev, "'/dev/kvm' is a character device (%u:%u)", major(st.st_rdev),
		       minor(st.st_rdev));
		s = ATTEST_AUDIT_PASS;
	} else if (r == 0) {
		sb_add(&ev, "'/dev/kvm' is not a character device: KVM is not usable");
		s = ATTEST_AUDIT_FAIL;
	} else if (r == -ENOENT && is_dir(run, "/dev", reason, sizeof(reason)) == 1) {
		sb_add(&ev, "no '/dev/kvm': qemu can only emulate (TCG)");
		s = ATTEST_AUDIT_FAIL;
	} else {
		sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	if (s != ATTEST_AUDIT_UNKNOWN) {
		list_kvm_modules(run, &ev);
		if (s == ATTEST_AUDIT_FAIL)
			hint = "enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd";
	}
	/* KVM in use: a running qemu without it runs its guest in emulation. */
	if (run->procs_ok) {
		size_t with = 0, without = 0;
		const struct qemu_proc *first = NULL;

		for (size_t i = 0; i < run->n_procs; i++) {
			if (!run->procs[i].cmdline_read)
				continue;
			if (run->procs[i].kvm) {
				with++;
			} else {
				without++;
				if (!first)
					first = &run->procs[i];
			}
		}
		if (with + without)
			sb_part(&ev);
		if (with)
			sb_add(&ev, "%zu running qemu with KVM", with);
		if (without) {
			sb_add(&ev, "%s%zu running qemu without KVM (pid %u)", with ? ", " : "",
			       without, first->pid);
			if (s != ATTEST_AUDIT_UNKNOWN) {
				s = ATTEST_AUDIT_FAIL;
				hint = "give the domains type='kvm' (not 'qemu') and restart them";
			}
		}
	}
	return add_fixed(run, C_KVM, s, hint, &ev);
}

/* ---- IOMMU ------------------------------------------------------------------ */

static int check_iommu(struct run *run)
{
	static const char *const params[] = { "intel_iommu", "amd_iommu", "iommu" };
	char reason[REASON_MAX], val[256], off[300] = "";
	enum attest_audit_status s;
	const char *hint = hint_root;
	struct sb ev = { 0 }, opts = { 0 };
	char **units = NULL;
	size_t n = 0;
	bool dmar = false, ivrs = false, tables_seen = false;
	struct stat st;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(params); i++) {
		if (!cmdline_get(run, params[i], val, sizeof(val)))
			continue;
		sb_part(&opts);
		sb_add(&opts, "%s=%s", params[i], val);
		if (has_prefix(val, "off") && !off[0])
			bsnprintf(off, sizeof(off), "%s=%s", params[i], val);
	}
	if (stat_input(run, "/sys/firmware/acpi/tables/DMAR", &st, reason, sizeof(reason)) == 0)
		dmar = true;
	if (stat_input(run, "/sys/firmware/acpi/tables/IVRS", &st, reason, sizeof(reason)) == 0)
		ivrs = true;
	tables_seen = is_dir(run, "/sys/firmware/acpi/tables", reason, sizeof(reason)) == 1;

	r = list_dir(run, "/sys/class/iommu", &units, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0 && n > 0) {
		sb_add(&ev, "IOMMU units active: ");
		for (size_t i = 0; i < n; i++)
			sb_add(&ev, "%s%s", i ? ", " : "", units[i]);
		s = ATTEST_AUDIT_PASS;
	} else if (r == 0 || (r == -ENOENT && is_dir(run, "/sys/class", reason, sizeof(reason)) == 1)) {
		sb_add(&ev, "no IOMMU active ('/sys/class/iommu' %s)", r == 0 ? "is empty" : "absent");
		s = ATTEST_AUDIT_FAIL;
		if (off[0]) {
			sb_add(&ev, "; disabled on the kernel command line: '%s'", off);
			hint = "remove the IOMMU 'off' option from the kernel command line and reboot";
		} else if (dmar || ivrs) {
			hint = "add intel_iommu=on (Intel) or amd_iommu=on (AMD) to the kernel command "
			       "line and reboot";
		} else {
			hint = "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, then "
			       "intel_iommu=on or amd_iommu=on on the kernel command line";
		}
	} else {
		sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	attest_strv_free(units);
	if (s != ATTEST_AUDIT_UNKNOWN) {
		if (dmar || ivrs)
			sb_add(&ev, "; ACPI %s%s%s table", dmar ? "DMAR" : "", dmar && ivrs ? " and " : "",
			       ivrs ? "IVRS" : "");
		else if (tables_seen)
			sb_add(&ev, "; no ACPI DMAR or IVRS table: VT-d/AMD-Vi absent or off in firmware");
		if (opts.len)
			sb_add(&ev, "; kernel command line: %s", opts.buf);
	}
	return add_fixed(run, C_IOMMU, s, hint, &ev);
}

/* ---- CPU vulnerabilities ---------------------------------------------------- */

static int check_mitigations(struct run *run)
{
	static const char dir[] = "/sys/devices/system/cpu/vulnerabilities";
	char reason[REASON_MAX], val[64];
	struct sb ev = { 0 }, bad = { 0 }, unclear = { 0 };
	enum attest_audit_status s;
	char **names = NULL;
	size_t n = 0, n_ok = 0, n_bad = 0, n_unclear = 0;
	bool off = cmdline_get(run, "mitigations", val, sizeof(val)) && strcmp(val, "off") == 0;
	int r;

	r = list_dir(run, dir, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (n == 0) {
		sb_add(&ev, "'%s' has no entries", dir);
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		for (size_t i = 0; i < n; i++) {
			_cleanup_(freep) char *v = NULL;
			char rel[PATH_MAX];
			size_t len;

			bsnprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
			r = read_input(run, rel, SMALL_MAX, &v, &len, reason, sizeof(reason));
			if (r == -ENOMEM) {
				attest_strv_free(names);
				return r;
			}
			if (r < 0) {
				sb_part(&unclear);
				sb_add(&unclear, "%s", reason);
				n_unclear++;
				continue;
			}
			rstrip(v, &len);
			/* "Vulnerable", or a clause of a mitigation such as "BHI:
			 * Vulnerable" or "SMT vulnerable": not mitigated. */
			if (strcasestr(v, "vulnerable")) {
				sb_part(&bad);
				sb_add(&bad, "%s (%s)", names[i], v);
				n_bad++;
			} else if (has_prefix(v, "Not affected") || strstr(v, "Mitigation")) {
				n_ok++;
			} else {
				sb_part(&unclear);
				sb_add(&unclear, "%s (%s)", names[i], v);
				n_unclear++;
			}
		}
		if (n_bad || off) {
			s = ATTEST_AUDIT_FAIL;
			if (off)
				sb_add(&ev, "kernel command line has 'mitigations=off'");
			if (n_bad)
				sb_add(sb_part(&ev), "vulnerable: %s", bad.buf);
		} else if (n_unclear) {
			s = ATTEST_AUDIT_UNKNOWN;
			sb_add(&ev, "cannot tell: %s", unclear.buf);
		} else {
			s = ATTEST_AUDIT_PASS;
		}
		sb_add(sb_part(&ev), "%zu of %zu mitigated or not affected", n_ok, n);
	}
	attest_strv_free(names);
	return add_fixed(run, C_MITIGATIONS, s,
			 s == ATTEST_AUDIT_FAIL ?
			 "update the CPU microcode and the kernel, keep mitigations=auto; where SMT "
			 "is named vulnerable, consider nosmt" : hint_root, &ev);
}

/* ---- libvirt's qemu.conf ---------------------------------------------------- */
/*
 * The syntax of libvirt's virconf: NAME = VALUE statements separated by
 * newlines or ';', NAME a letter then letters, digits, '_'; VALUE a string
 * in "..." or '...' (one line, no escapes) or """...""" (lines), a number
 * (optional sign, digits), or a list [v, v, ...] over lines; comments from
 * '#' to the end of the line, not inside lists. Like libvirt, the first of
 * repeated names counts.
 */

struct conf_parser {
	const char *cur, *end;
	unsigned line;
	char *err;
	size_t err_size;
};

__attribute__((format(printf, 2, 3)))
static int conf_error(struct conf_parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bsnprintf(ps->err, ps->err_size, "line %u: %s", ps->line, msg);
	return -EBADMSG;
}

static void conf_value_clear(struct conf_value *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n_items; i++)
		conf_value_clear(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void conf_clear(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].name);
		conf_value_clear(&c->entries[i].value);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

static void skip_blanks(struct conf_parser *ps)
{
	while (ps->cur < ps->end && is_blank(*ps->cur))
		ps->cur++;
}

static void skip_blanks_and_eol(struct conf_parser *ps)
{
	while (ps->cur < ps->end && (is_blank(*ps->cur) || is_eol(*ps->cur))) {
		if (*ps->cur == '\n')
			ps->line++;
		ps->cur++;
	}
}

static int conf_string_value(struct conf_parser *ps, struct conf_value *v)
{
	const char *base;
	size_t len;

	if ((size_t)(ps->end - ps->cur) >= 3 && memcmp(ps->cur, "\"\"\"", 3) == 0) {
		const char *close;

		base = ps->cur + 3;
		for (close = base; close + 3 <= ps->end && memcmp(close, "\"\"\"", 3) != 0; close++)
			;
		if (close + 3 > ps->end)
			return conf_error(ps, "unterminated string");
		for (const char *c = base; c < close; c++)
			ps->line += *c == '\n';
		len = (size_t)(close - base);
		ps->cur = close + 3;
	} else {
		char quote = *ps->cur++;

		base = ps->cur;
		while (ps->cur < ps->end && *ps->cur != quote && !is_eol(*ps->cur))
			ps->cur++;
		if (ps->cur >= ps->end || *ps->cur != quote)
			return conf_error(ps, "unterminated string");
		len = (size_t)(ps->cur - base);
		ps->cur++;
	}
	v->type = CONF_STRING;
	v->str = strndup(base, len);
	return v->str ? 0 : -ENOMEM;
}

static int conf_parse_value(struct conf_parser *ps, unsigned depth, struct conf_value *v)
{
	skip_blanks(ps);
	if (ps->cur >= ps->end)
		return conf_error(ps, "expecting a value");
	if (*ps->cur == '"' || *ps->cur == '\'')
		return conf_string_value(ps, v);
	if (*ps->cur == '[') {
		if (depth >= CONF_DEPTH_MAX)
			return conf_error(ps, "lists nested deeper than %u", CONF_DEPTH_MAX);
		v->type = CONF_LIST;
		ps->cur++;
		skip_blanks_and_eol(ps);
		while (ps->cur < ps->end && *ps->cur != ']') {
			struct conf_value *items;
			int r;

			if (v->n_items > 0) {
				if (*ps->cur != ',')
					return conf_error(ps, "expecting a separator in list");
				ps->cur++;
				skip_blanks_and_eol(ps);
				if (ps->cur < ps->end && *ps->cur == ']')
					break;
			}
			if (v->n_items == CONF_LIST_MAX)
				return conf_error(ps, "a list of more than %u values", CONF_LIST_MAX);
			items = realloc(v->items, (v->n_items + 1) * sizeof(*items));
			if (!items)
				return -ENOMEM;
			v->items = items;
			memset(&v->items[v->n_items], 0, sizeof(*items));
			r = conf_parse_value(ps, depth + 1, &v->items[v->n_items++]);
			if (r < 0)
				return r;
			skip_blanks_and_eol(ps);
		}
		if (ps->cur >= ps->end)
			return conf_error(ps, "list is not closed with ]");
		ps->cur++;
		return 0;
	}
	if (is_digit(*ps->cur) || *ps->cur == '-' || *ps->cur == '+') {
		bool neg = *ps->cur == '-';
		long long num = 0;
		unsigned digits = 0;

		if (!is_digit(*ps->cur))
			ps->cur++;
		if (ps->cur >= ps->end || !is_digit(*ps->cur))
			return conf_error(ps, "unterminated number");
		for (; ps->cur < ps->end && is_digit(*ps->cur); ps->cur++) {
			if (++digits > 18)
				return conf_error(ps, "number too large");
			num = num * 10 + (*ps->cur - '0');
		}
		v->type = CONF_NUMBER;
		v->num = neg ? -num : num;
		return 0;
	}
	return conf_error(ps, "expecting a value");
}

static int conf_parse_statement(struct conf_parser *ps, struct conf *c)
{
	struct conf_entry *e;
	const char *name;
	int r;

	skip_blanks_and_eol(ps);
	if (ps->cur >= ps->end)
		return 0;
	if (*ps->cur == '#') {
		while (ps->cur < ps->end && !is_eol(*ps->cur))
			ps->cur++;
		return 0;
	}
	name = ps->cur;
	if (!is_alpha(*ps->cur))
		return conf_error(ps, "expecting a name");
	while (ps->cur < ps->end && (is_alnum(*ps->cur) || *ps->cur == '_'))
		ps->cur++;
	if (c->n == CONF_ENTRIES_MAX)
		return conf_error(ps, "more than %u settings", CONF_ENTRIES_MAX);
	e = realloc(c->entries, (c->n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	c->entries = e;
	e = &c->entries[c->n];
	memset(e, 0, sizeof(*e));
	e->line = ps->line;
	e->name = strndup(name, (size_t)(ps->cur - name));
	if (!e->name)
		return -ENOMEM;
	c->n++;
	skip_blanks(ps);
	if (ps->cur >= ps->end || *ps->cur != '=')
		return conf_error(ps, "expecting an assignment");
	ps->cur++;
	r = conf_parse_value(ps, 0, &e->value);
	if (r < 0)
		return r;
	skip_blanks(ps);
	if (ps->cur < ps->end && *ps->cur == '#')
		while (ps->cur < ps->end && !is_eol(*ps->cur))
			ps->cur++;
	return 0;
}

static int conf_parse_separator(struct conf_parser *ps)
{
	skip_blanks(ps);
	if (ps->cur >= ps->end)
		return 0;
	if (is_eol(*ps->cur)) {
		skip_blanks_and_eol(ps);
	} else if (*ps->cur == ';') {
		ps->cur++;
		skip_blanks_and_eol(ps);
	} else {
		return conf_error(ps, "expecting a separator");
	}
	return 0;
}

static int conf_parse(const char *data, size_t len, struct conf *ret, char *err, size_t err_size)
{
	struct conf_parser ps = { data, data + len, 1, err, err_size };
	struct conf c = { 0 };
	const char *nul = memchr(data, '\0', len);
	int r = 0;

	if (nul) {
		for (const char *x = data; x < nul; x++)
			ps.line += *x == '\n';
		ps.cur = nul;
		return conf_error(&ps, "a NUL byte");
	}
	while (ps.cur < ps.end) {
		r = conf_parse_statement(&ps, &c);
		if (r >= 0)
			r = conf_parse_separator(&ps);
		if (r < 0) {
			conf_clear(&c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

static const struct conf_value *conf_get(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i].value;
	return NULL;
}

static void load_qemu_conf(struct run *run)
{
	static const char rel[] = "/etc/libvirt/qemu.conf";
	_cleanup_(freep) char *data = NULL;
	char err[256];
	size_t len;
	int r;

	r = read_input(run, rel, QEMU_CONF_MAX, &data, &len, run->conf_reason,
		       sizeof(run->conf_reason));
	if (r < 0)
		return;
	r = conf_parse(data, len, &run->conf, err, sizeof(err));
	if (r < 0) {
		bsnprintf(run->conf_reason, sizeof(run->conf_reason), "'%s%s' %s", run->root, rel,
			 r == -ENOMEM ? "cannot be parsed: out of memory" : err);
		return;
	}
	run->conf_ok = true;
}

/* A string setting: 1 set (*ret), 0 not set, -EINVAL set to something else
 * (libvirtd refuses it too), with the reason in ev. */
static int conf_string(const struct run *run, const char *name, const char **ret, struct sb *ev)
{
	const struct conf_value *v = conf_get(&run->conf, name);

	if (!v)
		return 0;
	if (v->type != CONF_STRING) {
		sb_add(sb_part(ev), "qemu.conf: '%s' must be a string", name);
		return -EINVAL;
	}
	*ret = v->str;
	return 1;
}

/* A 0/1 setting, def when not set. */
static int conf_bool(const struct run *run, const char *name, int def, int *ret, struct sb *ev)
{
	const struct conf_value *v = conf_get(&run->conf, name);

	if (!v) {
		*ret = def;
		return 0;
	}
	if (v->type != CONF_NUMBER || (v->num != 0 && v->num != 1)) {
		sb_add(sb_part(ev), "qemu.conf: '%s' must be 0 or 1", name);
		return -EINVAL;
	}
	*ret = (int)v->num;
	return 1;
}

/* ---- running qemu processes ------------------------------------------------- */

static bool is_qemu_comm(const char *comm)
{
	return has_prefix(comm, "qemu-system") || strcmp(comm, "qemu-kvm") == 0;
}

/* A numeric field of a /proc/PID/status line "Key:\tA\tB...", the n-th. */
static bool status_field(const char *status, const char *key, unsigned nth, long *ret)
{
	size_t klen = strlen(key);

	for (const char *s = status; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		const char *p;
		char *end;
		long v = 0;

		if (strncmp(s, key, klen) != 0 || s[klen] != ':')
			continue;
		p = s + klen + 1;
		for (unsigned i = 0; i <= nth; i++) {
			while (is_blank(*p))
				p++;
			if (!is_digit(*p))
				return false;
			errno = 0;
			v = strtol(p, &end, 10);
			if (errno)
				return false;
			p = end;
		}
		*ret = v;
		return true;
	}
	return false;
}

static bool is_loopback(const char *host, size_t len)
{
	static const char *const names[] = { "::1", "[::1]", "localhost", "ip6-localhost" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (len == strlen(names[i]) && memcmp(host, names[i], len) == 0)
			return true;
	return (len > 4 && memcmp(host, "127.", 4) == 0) ||
	       (len > 11 && strncasecmp(host, "::ffff:127.", 11) == 0);
}

/* -vnc [vnc=]HOST:DISPLAY[,opts] | unix:PATH | none: a network address
 * that is not loopback, without TLS, is exposed. */
static bool vnc_exposed(const char *arg)
{
	const char *opts, *colon, *host = arg;
	size_t addr_len, host_len;

	if (has_prefix(host, "vnc="))
		host += 4;
	if (has_prefix(host, "unix:") || has_prefix(host, "none"))
		return false;
	opts = strchr(host, ',');
	addr_len = opts ? (size_t)(opts - host) : strlen(host);
	if (host[0] == '[') {
		const char *close = memchr(host, ']', addr_len);

		host_len = close ? (size_t)(close - host) + 1 : addr_len;
	} else {
		colon = memrchr(host, ':', addr_len);
		host_len = colon ? (size_t)(colon - host) : addr_len;
	}
	if (is_loopback(host, host_len))
		return false;
	for (const char *o = opts; o; o = strchr(o + 1, ','))
		if (has_prefix(o + 1, "tls-creds=") || strcmp(o + 1, "tls") == 0 ||
		    has_prefix(o + 1, "tls,") || has_prefix(o + 1, "tls=on"))
			return false;
	return true;
}

/* -spice port=N,addr=A,tls-port=M,...: a plain port on an address that is
 * not loopback (none given: every address) is exposed. */
static bool spice_exposed(const char *arg)
{
	const char *addr = NULL;
	size_t addr_len = 0;
	bool plain = false;

	for (const char *o = arg; o; o = strchr(o, ','), o = o ? o + 1 : NULL) {
		size_t len = strcspn(o, ",");

		if (has_prefix(o, "port=") && len > 5 && !(len == 6 && o[5] == '0'))
			plain = true;
		else if (has_prefix(o, "addr="))
			addr = o + 5, addr_len = len - 5;
		else if (has_prefix(o, "unix=on") || (len == 4 && has_prefix(o, "unix")))
			return false;
	}
	return plain && !(addr && is_loopback(addr, addr_len));
}

static void parse_qemu_cmdline(struct qemu_proc *q, const char *data, size_t len)
{
	const char *args[PROC_CMDLINE_MAX / 1024];
	size_t n = 0;

	for (size_t i = 0; i < len && n < ELEMENTSOF(args);) {
		args[n++] = data + i;
		i += strnlen(data + i, len - i) + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i], *next = i + 1 < n ? args[i + 1] : NULL;

		/* "--vnc" is "-vnc" to qemu. */
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-enable-kvm") == 0)
			q->kvm = true;
		if (!next)
			continue;
		if (strcmp(a, "-accel") == 0 && (has_prefix(next, "kvm") || strstr(next, "accel=kvm")))
			q->kvm = true;
		else if ((strcmp(a, "-machine") == 0 || strcmp(a, "-M") == 0) &&
			 strstr(next, "accel=kvm"))
			q->kvm = true;
		else if (strcmp(a, "-vnc") == 0 && !q->exposed[0] && vnc_exposed(next))
			bsnprintf(q->exposed, sizeof(q->exposed), "-vnc %.200s", next);
		else if (strcmp(a, "-spice") == 0 && !q->exposed[0] && spice_exposed(next))
			bsnprintf(q->exposed, sizeof(q->exposed), "-spice %.200s", next);
	}
}

static int read_qemu_proc(const struct run *run, const char *pid, struct qemu_proc *q)
{
	_cleanup_(freep) char *status = NULL, *cmdline = NULL, *label = NULL;
	char rel[64], reason[REASON_MAX];
	size_t len;
	long v;
	int r;

	bsnprintf(rel, sizeof(rel), "/proc/%s/status", pid);
	r = read_input(run, rel, PROC_STATUS_MAX, &status, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		long ruid;

		q->status_read = status_field(status, "Uid", 0, &ruid) &&
				 status_field(status, "Uid", 1, &q->uid);
		q->root = q->status_read && (ruid == 0 || q->uid == 0);
		q->seccomp = status_field(status, "Seccomp", 0, &v) ? (int)v : -1;
	}
	bsnprintf(rel, sizeof(rel), "/proc/%s/cmdline", pid);
	r = read_input(run, rel, PROC_CMDLINE_MAX, &cmdline, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		q->cmdline_read = true;
		parse_qemu_cmdline(q, cmdline, len);
	}
	bsnprintf(rel, sizeof(rel), "/proc/%s/attr/current", pid);
	r = read_input(run, rel, SMALL_MAX, &label, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		rstrip(label, &len);
		bsnprintf(q->label, sizeof(q->label), "%s", label);
	}
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct qemu_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The running qemu processes, by pid; a process that ends meanwhile is
 * skipped. */
static int scan_procs(struct run *run)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned seen = 0;
	DIR *d;
	int r = 0;

	(void)join(run, "/proc", path);
	d = opendir(path);
	if (!d) {
		bsnprintf(run->procs_reason, sizeof(run->procs_reason), "cannot read '%s': %s", path,
			 strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) && seen++ < PROC_ENTRIES_MAX) {
		_cleanup_(freep) char *comm = NULL;
		char rel[64], reason[REASON_MAX];
		struct qemu_proc *q;
		size_t len, digits = strspn(de->d_name, "0123456789");
		unsigned long pid;

		if (digits == 0 || de->d_name[digits] || digits > 9)
			continue;
		pid = strtoul(de->d_name, NULL, 10);
		bsnprintf(rel, sizeof(rel), "/proc/%s/comm", de->d_name);
		r = read_input(run, rel, SMALL_MAX, &comm, &len, reason, sizeof(reason));
		if (r == -ENOMEM)
			break;
		r = 0;
		if (!comm)
			continue;
		rstrip(comm, &len);
		if (!is_qemu_comm(comm))
			continue;
		if (run->n_procs == QEMU_PROCS_MAX) {
			run->procs_truncated = true;
			break;
		}
		if (!run->procs) {
			run->procs = calloc(QEMU_PROCS_MAX, sizeof(*run->procs));
			if (!run->procs) {
				r = -ENOMEM;
				break;
			}
		}
		q = &run->procs[run->n_procs];
		q->pid = (unsigned)pid;
		bsnprintf(q->comm, sizeof(q->comm), "%s", comm);
		q->seccomp = -1;
		r = read_qemu_proc(run, de->d_name, q);
		if (r < 0)
			break;
		run->n_procs++;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (run->n_procs)
		qsort(run->procs, run->n_procs, sizeof(*run->procs), cmp_proc);
	run->procs_ok = true;
	return 0;
}

static void describe_procs(const struct run *run, struct sb *ev)
{
	if (!run->procs_ok)
		sb_add(sb_part(ev), "running processes not examined: %s", run->procs_reason);
	else if (run->n_procs == 0)
		sb_add(sb_part(ev), "no qemu process runs");
	else
		sb_add(sb_part(ev), "%zu%s running qemu process%s", run->n_procs,
		       run->procs_truncated ? "+" : "", run->n_procs == 1 ? "" : "es");
}

/* ---- qemu-user, qemu-seccomp ------------------------------------------------ */

static bool is_root_id(const char *s)
{
	return strcmp(s, "root") == 0 || strcmp(s, "0") == 0 || strcmp(s, "+0") == 0;
}

static int check_qemu_user(struct run *run)
{
	const char *user = NULL, *group = NULL;
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	size_t n_nonroot = 0;
	int ru = 0, rg = 0;

	for (size_t i = 0; i < run->n_procs; i++) {
		const struct qemu_proc *q = &run->procs[i];

		if (q->root && !bad.len)
			sb_add(&bad, "qemu process %u (%s) runs as root", q->pid, q->comm);
		n_nonroot += q->status_read && !q->root;
	}
	if (run->conf_ok) {
		ru = conf_string(run, "user", &user, &ev);
		rg = conf_string(run, "group", &group, &ev);
		if (ru > 0 && is_root_id(user))
			sb_add(sb_part(&bad), "qemu.conf: user = \"%s\"", user);
		if (rg > 0 && is_root_id(group))
			sb_add(sb_part(&bad), "qemu.conf: group = \"%s\"", group);
	}
	if (bad.len) {
		s = ATTEST_AUDIT_FAIL;
		sb_lead(&ev, &bad);
	} else if (!run->conf_ok) {
		s = ATTEST_AUDIT_UNKNOWN;
		sb_add(&ev, "%s", run->conf_reason);
	} else if (ru < 0 || rg < 0) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (ru > 0) {
		s = ATTEST_AUDIT_PASS;
		sb_add(&ev, "qemu.conf: user = \"%s\"", user);
		if (rg > 0)
			sb_add(&ev, ", group = \"%s\"", group);
	} else if (n_nonroot) {
		s = ATTEST_AUDIT_PASS;
		sb_add(&ev, "no user in qemu.conf (the build's default); running qemu not as root");
	} else {
		s = ATTEST_AUDIT_UNKNOWN;
		sb_add(&ev, "no user in qemu.conf: the build's default applies (root upstream, "
			    "libvirt-qemu on Debian), and no running qemu shows it");
	}
	describe_procs(run, &ev);
	return add_fixed(run, C_QEMU_USER, s,
			 s == ATTEST_AUDIT_FAIL || run->conf_ok ?
			 "set user = \"libvirt-qemu\" and group = \"libvirt-qemu\" in "
			 "/etc/libvirt/qemu.conf, restart libvirtd and the domains" : hint_qemu_conf,
			 &ev);
}

static int check_qemu_seccomp(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	size_t n_filtered = 0;
	int r = 0;

	for (size_t i = 0; i < run->n_procs; i++) {
		const struct qemu_proc *q = &run->procs[i];

		if (q->seccomp == 0 && !bad.len)
			sb_add(&bad, "qemu process %u (%s) runs without a seccomp filter (Seccomp: 0)",
			       q->pid, q->comm);
		n_filtered += q->seccomp > 0;
	}
	if (run->conf_ok) {
		const struct conf_value *v = conf_get(&run->conf, "seccomp_sandbox");

		if (v && (v->type != CONF_NUMBER || v->num < -1 || v->num > 1)) {
			sb_add(&ev, "qemu.conf: 'seccomp_sandbox' must be 0 or 1");
			r = -EINVAL;
		} else if (v && v->num == 0) {
			sb_add(sb_part(&bad), "qemu.conf: seccomp_sandbox = 0");
		} else {
			r = v ? 1 : 0;
		}
	}
	if (bad.len) {
		s = ATTEST_AUDIT_FAIL;
		sb_lead(&ev, &bad);
	} else if (!run->conf_ok) {
		s = ATTEST_AUDIT_UNKNOWN;
		sb_add(&ev, "%s", run->conf_reason);
	} else if (r < 0) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		s = ATTEST_AUDIT_PASS;
		sb_add(&ev, r ? "qemu.conf: seccomp_sandbox = 1" :
			   "qemu.conf: seccomp_sandbox not set (libvirt's default: on)");
	}
	describe_procs(run, &ev);
	if (n_filtered)
		sb_add(&ev, ", %zu with a seccomp filter", n_filtered);
	return add_fixed(run, C_QEMU_SECCOMP, s,
			 s == ATTEST_AUDIT_FAIL || run->conf_ok ?
			 "set seccomp_sandbox = 1 in /etc/libvirt/qemu.conf (or remove the line), "
			 "restart libvirtd and the domains" : hint_qemu_conf, &ev);
}

/* ---- security-driver ---------------------------------------------------------- */

enum lsm_state { LSM_UNKNOWN, LSM_ABSENT, LSM_OFF, LSM_ON };

/* SELinux: enforcing (on), permissive (off), not there (absent). */
static enum lsm_state selinux_state(const struct run *run, struct sb *why)
{
	_cleanup_(freep) char *v = NULL;
	char reason[REASON_MAX];
	size_t len;
	int r = read_input(run, "/sys/fs/selinux/enforce", SMALL_MAX, &v, &len, reason,
			   sizeof(reason));

	if (r == 0) {
		rstrip(v, &len);
		return strcmp(v, "1") == 0 ? LSM_ON : strcmp(v, "0") == 0 ? LSM_OFF : LSM_UNKNOWN;
	}
	if (r == -ENOENT && is_dir(run, "/sys/fs", reason, sizeof(reason)) == 1)
		return LSM_ABSENT;
	sb_add(sb_part(why), "%s", reason);
	return LSM_UNKNOWN;
}

static enum lsm_state apparmor_state(const struct run *run, struct sb *why)
{
	_cleanup_(freep) char *v = NULL;
	char reason[REASON_MAX];
	size_t len;
	int r = read_input(run, "/sys/module/apparmor/parameters/enabled", SMALL_MAX, &v, &len,
			   reason, sizeof(reason));

	if (r == 0) {
		rstrip(v, &len);
		return strcmp(v, "Y") == 0 ? LSM_ON : strcmp(v, "N") == 0 ? LSM_OFF : LSM_UNKNOWN;
	}
	if (r == -ENOENT && is_dir(run, "/sys/module", reason, sizeof(reason)) == 1)
		return LSM_ABSENT;
	sb_add(sb_part(why), "%s", reason);
	return LSM_UNKNOWN;
}

static const char *lsm_word(enum lsm_state s, bool selinux)
{
	switch (s) {
	case LSM_ON: return selinux ? "enforcing" : "enabled";
	case LSM_OFF: return selinux ? "permissive" : "disabled";
	case LSM_ABSENT: return "absent";
	default: return "state unknown";
	}
}

static int check_security_driver(struct run *run)
{
	enum attest_audit_status s = ATTEST_AUDIT_UNKNOWN;
	struct sb ev = { 0 }, bad = { 0 }, why = { 0 };
	const struct conf_value *drv = NULL;
	enum lsm_state se, aa;
	int confined = 1;
	bool any_on = false, any_unknown = false, bad_value = false;

	for (size_t i = 0; i < run->n_procs; i++) {
		const char *l = run->procs[i].label;

		if ((has_prefix(l, "unconfined") || strstr(l, ":unconfined_t:")) && !bad.len)
			sb_add(&bad, "qemu process %u (%s) runs unconfined ('%s')",
			       run->procs[i].pid, run->procs[i].comm, l);
	}
	se = selinux_state(run, &why);
	aa = apparmor_state(run, &why);

	if (run->conf_ok) {
		drv = conf_get(&run->conf, "security_driver");
		if (drv && drv->type == CONF_LIST) {
			for (size_t i = 0; i < drv->n_items; i++)
				bad_value = bad_value || drv->items[i].type != CONF_STRING;
		} else if (drv && drv->type != CONF_STRING) {
			bad_value = true;
		}
		if (bad_value)
			sb_add(&ev, "qemu.conf: 'security_driver' must be a string or a list of strings");
		if (conf_bool(run, "security_default_confined", 1, &confined, &ev) < 0)
			bad_value = true;
		else if (!confined)
			sb_add(sb_part(&bad), "qemu.conf: security_default_confined = 0");
	}
	if (run->conf_ok && !bad_value) {
		const struct conf_value *one = drv && drv->type == CONF_STRING ? drv : NULL;
		size_t n = one ? 1 : drv ? drv->n_items : 0;

		for (size_t i = 0; i < n; i++) {
			const char *name = one ? one->str : drv->items[i].str;

			if (strcmp(name, "none") == 0) {
				sb_add(sb_part(&bad), "qemu.conf: security_driver = \"none\"");
			} else if (strcmp(name, "selinux") == 0 || strcmp(name, "apparmor") == 0) {
				bool is_se = name[0] == 's';
				enum lsm_state st = is_se ? se : aa;

				any_on = any_on || st == LSM_ON;
				any_unknown = any_unknown || st == LSM_UNKNOWN;
				sb_add(sb_part(&ev), "security_driver \"%s\": %s %s", name,
				       is_se ? "SELinux" : "AppArmor", lsm_word(st, is_se));
			} else if (strcmp(name, "dac") != 0) {
				sb_add(sb_part(&ev), "qemu.conf: unknown security_driver \"%s\"", name);
				any_unknown = true;
			}
		}
		if (n == 0) {
			/* Not set: libvirt takes the first of SELinux and AppArmor that
			 * the kernel has. */
			any_on = se == LSM_ON || aa == LSM_ON;
			any_unknown = se == LSM_UNKNOWN || aa == LSM_UNKNOWN;
			sb_add(sb_part(&ev), "security_driver not set: SELinux %s, AppArmor %s",
			       lsm_word(se, true), lsm_word(aa, false));
		}
	}
	if (bad.len) {
		s = ATTEST_AUDIT_FAIL;
		sb_lead(&ev, &bad);
	} else if (!run->conf_ok) {
		sb_add(&ev, "%s", run->conf_reason);
	} else if (bad_value) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (any_on) {
		s = ATTEST_AUDIT_PASS;
	} else if (any_unknown) {
		if (why.len)
			sb_add(sb_part(&ev), "%s", why.buf);
	} else {
		s = ATTEST_AUDIT_FAIL;
		sb_add(sb_part(&ev), "no sVirt confinement: qemu runs with DAC only");
	}
	describe_procs(run, &ev);
	return add_fixed(run, C_SECURITY_DRIVER, s,
			 s == ATTEST_AUDIT_FAIL || run->conf_ok ?
			 "enable AppArmor (Debian: package apparmor, apparmor=1 security=apparmor) or "
			 "SELinux enforcing; leave security_driver unset or name it, and "
			 "security_default_confined = 1" : hint_qemu_conf, &ev);
}

/* ---- graphics-listen ---------------------------------------------------------- */

static int graphics_one(const struct run *run, const char *proto, struct sb *ev, struct sb *bad)
{
	char key[32];
	const char *listen = "127.0.0.1";
	int unix_socket = 0, tls = 0, r;

	bsnprintf(key, sizeof(key), "%s_auto_unix_socket", proto);
	r = conf_bool(run, key, 0, &unix_socket, ev);
	if (r < 0)
		return r;
	bsnprintf(key, sizeof(key), "%s_tls", proto);
	r = conf_bool(run, key, 0, &tls, ev);
	if (r < 0)
		return r;
	bsnprintf(key, sizeof(key), "%s_listen", proto);
	r = conf_string(run, key, &listen, ev);
	if (r < 0)
		return r;
	if (unix_socket) {
		sb_add(sb_part(ev), "%s on a unix socket", proto);
	} else if (is_loopback(listen, strlen(listen))) {
		sb_add(sb_part(ev), "%s_listen \"%s\"%s", proto, listen, r ? "" : " (default)");
	} else if (tls) {
		sb_add(sb_part(ev), "%s_listen \"%s\" with %s_tls = 1", proto, listen, proto);
	} else {
		sb_add(sb_part(bad), "qemu.conf: %s_listen = \"%s\" without %s_tls", proto, listen,
		       proto);
	}
	return 0;
}

static int check_graphics(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	int r = 0;

	if (run->conf_ok) {
		r = graphics_one(run, "vnc", &ev, &bad);
		if (r >= 0)
			r = graphics_one(run, "spice", &ev, &bad);
	}
	for (size_t i = 0; i < run->n_procs; i++)
		if (run->procs[i].exposed[0]) {
			sb_add(sb_part(&bad), "qemu process %u listens with %s without TLS",
			       run->procs[i].pid, run->procs[i].exposed);
			break;
		}
	if (bad.len) {
		s = ATTEST_AUDIT_FAIL;
		sb_lead(&ev, &bad);
	} else if (!run->conf_ok) {
		s = ATTEST_AUDIT_UNKNOWN;
		sb_add(&ev, "%s", run->conf_reason);
	} else {
		s = r < 0 ? ATTEST_AUDIT_UNKNOWN : ATTEST_AUDIT_PASS;
	}
	describe_procs(run, &ev);
	return add_fixed(run, C_GRAPHICS, s,
			 s == ATTEST_AUDIT_FAIL || run->conf_ok ?
			 "keep vnc_listen and spice_listen on 127.0.0.1 (reach them through an SSH "
			 "tunnel), or set vnc_tls/spice_tls = 1 with certificates; check the domains' "
			 "<graphics listen=...> too" : hint_qemu_conf, &ev);
}

/* ---- domain-nwfilter --------------------------------------------------------- */

static bool xml_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* One running domain's status file, LIBVIRT_RUN_QEMU/file: its text and
 * document, and the <domain> in it (below <domstatus>, or the root). What
 * makes it unreadable is said in unread: -EBADMSG, or -ENOMEM. */
static int load_domstatus(const struct run *run, const char *file, char **ret_text, size_t *ret_len,
			  xmlDocPtr *ret_doc, xmlNodePtr *ret_dom, struct sb *unread)
{
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	char rel[PATH_MAX], reason[REASON_MAX];
	xmlNodePtr dom;
	size_t len;
	int r;

	bsnprintf(rel, sizeof(rel), LIBVIRT_RUN_QEMU "/%s", file);
	r = read_input(run, rel, DOMSTATUS_MAX, &text, &len, reason, sizeof(reason));
	if (r >= 0 && len <= INT_MAX)
		doc = xmlReadMemory(text, (int)len, file, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (r < 0 || !doc || doc->intSubset) {
		if (r >= 0)
			bsnprintf(reason, sizeof(reason), "'%s%s' is not well-formed xml without a dtd", run->root,
				  rel);
		sb_add(sb_part(unread), "%s", reason);
		xmlFreeDoc(doc);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	dom = xmlDocGetRootElement(doc);
	if (xml_is(dom, "domstatus"))
		for (dom = dom->children; dom && !xml_is(dom, "domain"); dom = dom->next)
			;
	if (!xml_is(dom, "domain")) {
		sb_add(sb_part(unread), "'%s%s' holds no <domain>", run->root, rel);
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	*ret_text = TAKE_PTR(text);
	*ret_len = len;
	*ret_doc = doc;
	*ret_dom = dom;
	return 0;
}

/* The interfaces of one running domain, from libvirt's status XML
 * (<domstatus><domain>...</domain></domstatus>): 1 when each carries a
 * <filterref filter=...>, 0 when one does not (said in bad), -errno when
 * the file cannot be read (said in unread). */
static int domain_filtered(const struct run *run, const char *file, void *data, struct sb *bad,
			   struct sb *unread)
{
	size_t *n_if = data;
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr dom;
	size_t len, index = 0;
	int ok = 1, r;

	r = load_domstatus(run, file, &text, &len, &doc, &dom, unread);
	if (r < 0)
		return r;
	/* every <devices>, as libvirt reads them */
	for (xmlNodePtr d = dom->children; d; d = d->next)
		for (xmlNodePtr in = xml_is(d, "devices") ? d->children : NULL; in; in = in->next) {
			xmlChar *filter = NULL;

			if (!xml_is(in, "interface"))
				continue;
			(*n_if)++;
			for (xmlNodePtr f = in->children; f && !filter; f = f->next)
				if (xml_is(f, "filterref"))
					filter = xmlGetNoNsProp(f, (const xmlChar *)"filter");
			if (!filter || !*filter) {
				sb_add(sb_part(bad), "'%s': interface %zu has no nwfilter", file, index);
				ok = 0;
			}
			xmlFree(filter);
			index++;
		}
	xmlFreeDoc(doc);
	return ok;
}

/* Runs fn on every running domain's status file (LIBVIRT_RUN_QEMU/NAME.xml),
 * counted in n_dom, and says in *s and ev what came of it: fail with what
 * fn found bad, else unknown with what could not be read, else pass (ev
 * left for the caller). 1 when the directory was listed, 0 when it could
 * not be (unknown, the reason in ev), -ENOMEM. */
typedef int (*domain_fn)(const struct run *run, const char *file, void *data, struct sb *bad, struct sb *unread);

static int each_domain(struct run *run, domain_fn fn, void *data, size_t *n_dom, enum attest_audit_status *s,
		       struct sb *ev)
{
	struct sb bad = { 0 }, unread = { 0 };
	char **names = NULL, reason[REASON_MAX];
	size_t n = 0;
	int r;

	*n_dom = 0;
	*s = ATTEST_AUDIT_PASS;
	r = list_dir(run, LIBVIRT_RUN_QEMU, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*s = ATTEST_AUDIT_UNKNOWN;
		sb_add(ev, "%s (libvirtd not running?)", reason);
		return 0;
	}
	for (size_t i = 0; i < n && r != -ENOMEM; i++) {
		size_t l = strlen(names[i]);

		if (l < 5 || strcmp(names[i] + l - 4, ".xml") != 0)
			continue;
		(*n_dom)++;
		r = fn(run, names[i], data, &bad, &unread);
	}
	attest_strv_free(names);
	if (r == -ENOMEM)
		return r;
	if (bad.len) {
		*s = ATTEST_AUDIT_FAIL;
		sb_add(ev, "%s", bad.buf);
	} else if (unread.len) {
		*s = ATTEST_AUDIT_UNKNOWN;
		sb_add(ev, "%s", unread.buf);
	}
	return 1;
}

static const char hint_libvirtd[] =
	"run the audit on the host with libvirtd running: its running domains are in " LIBVIRT_RUN_QEMU;

static int check_nwfilter(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t n_dom, n_if = 0;
	int r;

	r = each_domain(run, domain_filtered, &n_if, &n_dom, &s, &ev);
	if (r < 0)
		return r;
	if (r > 0 && s == ATTEST_AUDIT_PASS)
		sb_add(&ev, "%zu running domains, %zu interfaces, each with an nwfilter", n_dom, n_if);
	return add_fixed(run, C_NWFILTER, s,
			 r == 0 ? hint_libvirtd :
			 "give every <interface> a <filterref filter='clean-traffic'/> (or the "
			 "operator's own filter), require it in the image rules' \"nwfilter\", and "
			 "restart the domains", &ev);
}

/* ---- domain-live --------------------------------------------------------------- */

/* libvirt gives no hook for hot-plug (attach-device, update-device) nor for
 * monitor commands: what a running domain holds now is checked here, in
 * its status XML, with the launch library's walk (attest does not link
 * it: the caller hands it over) and by libvirt's taint flags. */
static attest_audit_domain_walker domain_walker;
static const char *domain_walker_state;

void attest_audit_set_domain_walker(attest_audit_domain_walker walker, const char *state_dir)
{
	domain_walker = walker;
	domain_walker_state = state_dir;
}

/* Taints that say nothing of a host resource handed to the guest or of
 * the hypervisor changed behind libvirt: a host CPU model, a deprecated
 * setting. Every other flag (custom-monitor, custom-argv, custom-device,
 * custom-ga-command, custom-dtb, shell-scripts, disk-probing,
 * external-launch, high-privileges, hook-script, cdrom-passthrough,
 * custom-hypervisor-feature, and any new one) fails. */
static const char *const harmless_taints[] = { "host-cpu", "deprecated-config" };

static int domain_live(const struct run *run, const char *file, void *data, struct sb *bad, struct sb *unread)
{
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr dom, root;
	char reason[REASON_MAX] = "", state[PATH_MAX];
	size_t len;
	int ok = 1, r;

	r = load_domstatus(run, file, &text, &len, &doc, &dom, unread);
	if (r < 0)
		return r;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr t = root != dom ? root->children : NULL; t; t = t->next) {
		xmlChar *flag;
		bool harmless = false;

		if (!xml_is(t, "taint"))
			continue;
		flag = xmlGetNoNsProp(t, (const xmlChar *)"flag");
		for (size_t i = 0; flag && i < ELEMENTSOF(harmless_taints); i++)
			harmless |= xmlStrcmp(flag, (const xmlChar *)harmless_taints[i]) == 0;
		if (!harmless) {
			_cleanup_(freep) char *esc = vt_escape(flag ? (const char *)flag : "");

			sb_add(sb_part(bad), "'%s': libvirt tainted it '%s'", file, esc ? esc : "?");
			ok = 0;
		}
		xmlFree(flag);
	}
	xmlFreeDoc(doc);
	r = join(run, domain_walker_state, state);
	if (r < 0)
		return r;
	vt_log_capture(reason, sizeof(reason));
	r = domain_walker(text, len, state);
	vt_log_capture(NULL, 0);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		sb_add(sb_part(bad), "'%s': %s", file, reason[0] ? reason : "refused by the launch rules");
		ok = 0;
	}
	return ok;
}

static int check_domain_live(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t n_dom;
	int r;

	if (!domain_walker || !domain_walker_state || domain_walker_state[0] != '/') {
		sb_add(&ev, "no walk of the domain xml: the launch library is not part of this program");
		return add_fixed(run, C_DOMAIN_LIVE, ATTEST_AUDIT_UNKNOWN, "run 'vmtrust host audit'", &ev);
	}
	r = each_domain(run, domain_live, NULL, &n_dom, &s, &ev);
	if (r < 0)
		return r;
	if (r > 0 && s == ATTEST_AUDIT_PASS)
		sb_add(&ev, "%zu running domains, each as the launch rules allow, none tainted", n_dom);
	return add_fixed(run, C_DOMAIN_LIVE, s,
			 r == 0 ? hint_libvirtd :
			 "destroy the domain and start it again, so that the hook checks it; restrict hot-plug and "
			 "monitor commands with libvirt's polkit access driver (org.libvirt.api.domain.write, "
			 "see the README)", &ev);
}

/* ---- vmtrust-hook ----------------------------------------------------------- */

enum hook_kind { HOOK_ABSENT, HOOK_VMTRUST, HOOK_OTHER, HOOK_UNKNOWN };

/* Resolves a link target lexically under root: ".." never climbs above
 * it, as in a chroot. */
static int resolve_under_root(const char *dir, const char *target, char out[PATH_MAX])
{
	char buf[2 * PATH_MAX];
	size_t len = 0;
	char *save = NULL, *c;
	int n;

	n = target[0] == '/' ? bsnprintf(buf, sizeof(buf), "%s", target) :
			       bsnprintf(buf, sizeof(buf), "%s/%s", dir, target);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			char *slash = strrchr(out, '/');

			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
			continue;
		}
		n = bsnprintf(out + len, PATH_MAX - len, "/%s", c);
		if (n < 0 || (size_t)n >= PATH_MAX - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	if (!len)
		bsnprintf(out, PATH_MAX, "/");
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Does a script run "vmtrust hook"? A line (not a comment) with a word
 * whose base name is vmtrust, and after it the word "hook". */
static bool script_runs_vmtrust(char *text)
{
	char *save_line = NULL;

	for (char *line = strtok_r(text, "\n", &save_line); line;
	     line = strtok_r(NULL, "\n", &save_line)) {
		char *save = NULL;
		bool seen = false;

		line += strspn(line, " \t");
		if (line[0] == '#')
			continue;
		for (char *w = strtok_r(line, " \t\"';&|()`", &save); w;
		     w = strtok_r(NULL, " \t\"';&|()`", &save)) {
			if (strcmp(base_name(w), "vmtrust") == 0)
				seen = true;
			else if (seen && strcmp(w, "hook") == 0)
				return true;
		}
	}
	return false;
}

static enum hook_kind hook_file(const struct run *run, const char *rel, struct sb *ev)
{
	char path[PATH_MAX], target[PATH_MAX], resolved[PATH_MAX], dir[PATH_MAX], reason[REASON_MAX];
	_cleanup_(freep) char *text = NULL;
	struct stat st;
	ssize_t n;
	size_t len;
	int r;

	if (join(run, rel, path) < 0)
		return HOOK_UNKNOWN;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return HOOK_ABSENT;
		sb_add(sb_part(ev), "cannot read '%s': %s", path, strerror(errno));
		return HOOK_UNKNOWN;
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			sb_add(sb_part(ev), "cannot read the link '%s': %s", path, strerror(errno));
			return HOOK_UNKNOWN;
		}
		target[n] = '\0';
		bsnprintf(dir, sizeof(dir), "%s", rel);
		*strrchr(dir, '/') = '\0';
		if (resolve_under_root(dir, target, resolved) < 0) {
			sb_add(sb_part(ev), "'%s' links to a path too long", rel);
			return HOOK_OTHER;
		}
		if (!has_prefix(base_name(resolved), "vmtrust")) {
			sb_add(sb_part(ev), "'%s' links to '%s', not to vmtrust", rel, resolved);
			return HOOK_OTHER;
		}
		r = stat_input(run, resolved, &st, reason, sizeof(reason));
		if (r == -ENOENT) {
			sb_add(sb_part(ev), "'%s' links to '%s', which does not exist: libvirt cannot run it",
			       rel, resolved);
			return HOOK_OTHER;
		}
		if (r < 0) {
			sb_add(sb_part(ev), "%s", reason);
			return HOOK_UNKNOWN;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
			sb_add(sb_part(ev), "'%s' links to '%s', which is not an executable file", rel,
			       resolved);
			return HOOK_OTHER;
		}
		sb_add(sb_part(ev), "'%s' links to '%s'", rel, resolved);
		return HOOK_VMTRUST;
	}
	if (!S_ISREG(st.st_mode)) {
		sb_add(sb_part(ev), "'%s' is %s: libvirt does not run it", rel,
		       S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		return HOOK_OTHER;
	}
	if (!(st.st_mode & 0111)) {
		sb_add(sb_part(ev), "'%s' is not executable: libvirt does not run it", rel);
		return HOOK_OTHER;
	}
	r = read_input(run, rel, HOOK_MAX, &text, &len, reason, sizeof(reason));
	if (r < 0) {
		sb_add(sb_part(ev), "%s", reason);
		return HOOK_UNKNOWN;
	}
	if (!has_prefix(text, "#!") || memchr(text, '\0', len)) {
		sb_add(sb_part(ev), "'%s' is not a script (a binary that is no link to vmtrust)", rel);
		return HOOK_OTHER;
	}
	if (!script_runs_vmtrust(text)) {
		sb_add(sb_part(ev), "'%s' is a script that does not run 'vmtrust hook'", rel);
		return HOOK_OTHER;
	}
	sb_add(sb_part(ev), "'%s' is a script that runs 'vmtrust hook'", rel);
	return HOOK_VMTRUST;
}

static int check_hook(struct run *run)
{
	static const char qemu_d[] = "/etc/libvirt/hooks/qemu.d";
	enum attest_audit_status s;
	char reason[REASON_MAX];
	struct sb ev = { 0 }, other = { 0 };
	enum hook_kind k;
	bool unknown = false;
	char **names = NULL;
	size_t n = 0;
	int r;

	r = is_dir(run, "/etc/libvirt", reason, sizeof(reason));
	if (r <= 0) {
		sb_add(&ev, "%s (libvirt not installed?)", reason);
		return add_fixed(run, C_HOOK, ATTEST_AUDIT_UNKNOWN, "install libvirt, then the vmtrust "
				 "hook", &ev);
	}
	k = hook_file(run, "/etc/libvirt/hooks/qemu", &other);
	unknown = k == HOOK_UNKNOWN;
	if (k == HOOK_VMTRUST) {
		ev = other;
		return add_fixed(run, C_HOOK, ATTEST_AUDIT_PASS, NULL, &ev);
	}
	/* libvirt 6.5 and later also run every executable in hooks/qemu.d. */
	r = list_dir(run, qemu_d, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		sb_add(sb_part(&other), "%s", reason);
		unknown = true;
	}
	for (size_t i = 0; i < n; i++) {
		char rel[PATH_MAX];
		struct sb one = { 0 };

		bsnprintf(rel, sizeof(rel), "%s/%s", qemu_d, names[i]);
		k = hook_file(run, rel, &one);
		if (k == HOOK_VMTRUST) {
			attest_strv_free(names);
			return add_fixed(run, C_HOOK, ATTEST_AUDIT_PASS, NULL, &one);
		}
		unknown = unknown || k == HOOK_UNKNOWN;
		if (one.len)
			sb_add(sb_part(&other), "%s", one.buf);
	}
	attest_strv_free(names);
	if (unknown) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		s = ATTEST_AUDIT_FAIL;
		if (!other.len)
			sb_add(&ev, "no '/etc/libvirt/hooks/qemu' and no vmtrust hook in '%s': VMs start "
				    "unchecked", qemu_d);
	}
	if (other.len)
		sb_add(sb_part(&ev), "%s", other.buf);
	return add_fixed(run, C_HOOK, s,
			 "install the hook: /etc/libvirt/hooks/qemu a link to vmtrust, or an executable "
			 "script that runs 'vmtrust hook'; then restart libvirtd", &ev);
}

/* ---- TPM, boot log, Secure Boot ------------------------------------------------ */

static int check_tpm(struct run *run)
{
	_cleanup_(freep) char *major = NULL;
	enum attest_audit_status s;
	char reason[REASON_MAX], why[REASON_MAX];
	const char *hint = hint_root;
	struct sb ev = { 0 };
	struct stat st;
	size_t len;
	int r;

	r = is_dir(run, "/sys/class/tpm/tpm0", reason, sizeof(reason));
	if (r == 1) {
		r = read_input(run, "/sys/class/tpm/tpm0/tpm_version_major", SMALL_MAX, &major, &len,
			       why, sizeof(why));
		if (r == -ENOMEM)
			return r;
		if (major)
			rstrip(major, &len);
		if (major && strcmp(major, "2") == 0) {
			sb_add(&ev, "TPM 2.0 ('/sys/class/tpm/tpm0')");
			s = ATTEST_AUDIT_PASS;
		} else if (major) {
			sb_add(&ev, "TPM %s ('/sys/class/tpm/tpm0'): vmtrust needs a TPM 2.0", major);
			s = ATTEST_AUDIT_FAIL;
			hint = "use a TPM 2.0 (or switch a firmware TPM to 2.0 in the setup)";
		} else if (is_dir(run, "/sys/class/tpmrm/tpmrm0", reason, sizeof(reason)) == 1) {
			/* Only a TPM 2.0 gets a resource manager device. */
			sb_add(&ev, "TPM 2.0 ('/sys/class/tpm/tpm0', with 'tpmrm0')");
			s = ATTEST_AUDIT_PASS;
		} else {
			sb_add(&ev, "'/sys/class/tpm/tpm0' present, version unknown: %s", why);
			s = ATTEST_AUDIT_UNKNOWN;
		}
	} else if (stat_input(run, "/dev/tpmrm0", &st, why, sizeof(why)) == 0 && S_ISCHR(st.st_mode)) {
		sb_add(&ev, "'/dev/tpmrm0' is a character device (TPM 2.0)");
		s = ATTEST_AUDIT_PASS;
	} else if (r == -ENOENT && is_dir(run, "/sys/class", why, sizeof(why)) == 1) {
		sb_add(&ev, "no TPM: '/sys/class/tpm/tpm0' absent, no '/dev/tpmrm0'");
		s = ATTEST_AUDIT_FAIL;
		hint = "enable the TPM 2.0 (or firmware TPM: Intel PTT, AMD fTPM) in the firmware setup";
	} else {
		sb_add(&ev, "%s", r == -ENOENT ? why : reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	return add_fixed(run, C_TPM, s, hint, &ev);
}

/* The operator's policy key next to the default policy: with it, the hook
 * and disk unlock take only a policy it signed (policy_load_trusted()). */
static int check_policy_key(struct run *run)
{
	_cleanup_close_ int fd = -1;
	_cleanup_(freep) char *pem = NULL;
	void *pkey = NULL;
	char path[PATH_MAX], err[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;
	size_t len;
	int r;

	r = is_dir(run, "/etc", err, sizeof(err));
	if (r <= 0) {
		sb_add(&ev, "%s", err);
		return add_fixed(run, C_POLICY_KEY, ATTEST_AUDIT_UNKNOWN, hint_root, &ev);
	}
	r = join(run, "/etc/vmtrust/" POLICY_KEY_NAME, path);
	if (r < 0)
		return r;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		sb_add(&ev, "no '/etc/vmtrust/%s': any policy file only root can write is taken unsigned",
		       POLICY_KEY_NAME);
		return add_fixed(run, C_POLICY_KEY, ATTEST_AUDIT_FAIL,
				 "sign the policy ('vmtrust policy sign'), then 'vmtrust hook install "
				 "--policy-key PUB'", &ev);
	}
	vt_log_capture(err, sizeof(err));
	r = policy_open_trusted("policy key", path, &fd);
	if (r >= 0)
		r = vt_read_fd(fd, path, POLICY_KEY_FILE_MAX, &pem, &len);
	if (r >= 0)
		r = policy_public_key_from_pem(path, pem, len, &pkey);
	vt_log_capture(NULL, 0);
	policy_pkey_free(pkey);
	if (r == -ENOMEM)
		return r;
	if (r == -EACCES) {
		sb_add(&ev, "%s", err);
		return add_fixed(run, C_POLICY_KEY, ATTEST_AUDIT_UNKNOWN, hint_root, &ev);
	}
	if (r < 0) {
		sb_add(&ev, "%s: every launch and key release is refused", err);
		return add_fixed(run, C_POLICY_KEY, ATTEST_AUDIT_FAIL,
				 "install the key again: 'vmtrust hook install --policy-key PUB'", &ev);
	}
	sb_add(&ev, "'/etc/vmtrust/%s' is installed: the hook and disk unlock take only a policy it signed",
	       POLICY_KEY_NAME);
	return add_fixed(run, C_POLICY_KEY, ATTEST_AUDIT_PASS, NULL, &ev);
}

static int load_boot_log(struct run *run)
{
	_cleanup_(freep) char *data = NULL;
	size_t len;
	int r;

	r = read_input(run, ATTEST_EVENTLOG_DEFAULT_PATH, ATTEST_EVENTLOG_SIZE_MAX, &data, &len,
		       run->log_reason, sizeof(run->log_reason));
	if (r == -ENOMEM)
		return r;
	run->log_err = r;
	if (r < 0)
		return 0;
	vt_log_capture(run->log_reason, sizeof(run->log_reason));
	r = attest_eventlog_parse(ATTEST_EVENTLOG_DEFAULT_PATH, (const uint8_t *)data, len, &run->log);
	vt_log_capture(NULL, 0);
	if (r == -ENOMEM)
		return r;
	run->log_err = r;
	run->log_malformed = r < 0;
	return 0;
}

static int check_boot_log(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = hint_root;
	char reason[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;

	if (run->log) {
		const struct attest_eventlog_alg *algs;
		size_t n_ev, n_algs;

		attest_eventlog_events(run->log, &n_ev);
		algs = attest_eventlog_algs(run->log, &n_algs);
		sb_add(&ev, "'%s': %zu events, %s, banks ", ATTEST_EVENTLOG_DEFAULT_PATH, n_ev,
		       attest_eventlog_is_crypto_agile(run->log) ? "crypto-agile" : "SHA-1 only");
		for (size_t i = 0; i < n_algs; i++)
			sb_add(&ev, "%s%s", i ? ", " : "", algs[i].alg ? algs[i].alg->name : "other");
		if (attest_eventlog_n_mismatches(run->log))
			sb_add(&ev, "; %zu events whose digest does not match their data",
			       attest_eventlog_n_mismatches(run->log));
		s = ATTEST_AUDIT_PASS;
	} else if (run->log_malformed) {
		sb_add(&ev, "the measured-boot log is malformed: %s", run->log_reason);
		s = ATTEST_AUDIT_FAIL;
		hint = "update the firmware and the kernel: a log that does not parse cannot be "
		       "replayed by a verifier";
	} else if (run->log_err == -ENOENT &&
		   stat_input(run, "/sys/kernel/security/lsm", &st, reason, sizeof(reason)) == 0) {
		sb_add(&ev, "no measured-boot log: '%s' absent", ATTEST_EVENTLOG_DEFAULT_PATH);
		s = ATTEST_AUDIT_FAIL;
		hint = "boot with UEFI firmware that has a TPM 2.0 and measured boot enabled";
	} else if (run->log_err == -ENOENT) {
		sb_add(&ev, "%s; securityfs not mounted ('/sys/kernel/security/lsm' absent)",
		       run->log_reason);
		s = ATTEST_AUDIT_UNKNOWN;
		hint = "mount securityfs: mount -t securityfs securityfs /sys/kernel/security";
	} else {
		sb_add(&ev, "%s", run->log_reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	return add_fixed(run, C_BOOT_LOG, s, hint, &ev);
}

/* The SecureBoot EFI variable: 4 bytes of attributes, then the value.
 * 1 on, 0 off, -errno (reason in ev) when it cannot be seen, -ENODATA
 * when the firmware is not UEFI or has no such variable (in ev). */
static int efivar_secure_boot(const struct run *run, struct sb *ev)
{
	_cleanup_(freep) char *v = NULL;
	char reason[REASON_MAX], why[REASON_MAX];
	char **names = NULL;
	size_t len, n = 0;
	int r;

	r = read_input(run, EFI_SECURE_BOOT_VAR, 64, &v, &len, reason, sizeof(reason));
	if (r == 0) {
		if (len != 5 || (v[4] != 0 && v[4] != 1)) {
			sb_add(ev, "efivars: SecureBoot is %zu bytes, not 4 of attributes and 1 of 0 or 1",
			       len);
			return -EBADMSG;
		}
		return v[4];
	}
	if (r != -ENOENT) {
		sb_add(ev, "%s", reason);
		return r;
	}
	r = list_dir(run, "/sys/firmware/efi/efivars", &names, &n, why, sizeof(why));
	attest_strv_free(names);
	if (r == -ENOMEM)
		return r;
	if ((r == 0 && n > 0) || r == -E2BIG) {
		sb_add(ev, "the firmware has no SecureBoot variable");
		return -ENODATA;
	}
	if (r == 0 || is_dir(run, "/sys/firmware/efi", why, sizeof(why)) == 1) {
		sb_add(ev, "%s; efivarfs not mounted on '/sys/firmware/efi/efivars'", reason);
		return -ENOENT;
	}
	if (is_dir(run, "/sys/firmware", why, sizeof(why)) == 1) {
		sb_add(ev, "not booted with UEFI (no '/sys/firmware/efi'): no Secure Boot");
		return -ENODATA;
	}
	sb_add(ev, "%s", why);
	return -ENOENT;
}

static int check_secure_boot(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = "enable Secure Boot in the firmware setup (Debian boots signed shim and "
			   "kernel)";
	char reason[REASON_MAX] = "";
	struct sb ev = { 0 }, var = { 0 };
	int in_log = -ENOENT, in_var;

	if (run->log) {
		vt_log_capture(reason, sizeof(reason));
		in_log = attest_eventlog_secure_boot(run->log);
		vt_log_capture(NULL, 0);
	}
	in_var = efivar_secure_boot(run, &var);
	if (in_var == -ENOMEM)
		return in_var;
	if (in_log == 0 || in_log == 1) {
		sb_add(&ev, "SecureBoot=%d measured in the boot log", in_log);
		s = in_log ? ATTEST_AUDIT_PASS : ATTEST_AUDIT_FAIL;
		if (in_var >= 0 && in_var != in_log) {
			sb_add(&ev, "; efivars says %d", in_var);
			s = ATTEST_AUDIT_FAIL;
			hint = "the boot log and the firmware disagree: investigate this host";
		}
	} else if (in_log == -EBADMSG) {
		sb_add(&ev, "the boot log's Secure Boot state is malformed or contradicts itself: %s", reason);
		s = ATTEST_AUDIT_FAIL;
		hint = "investigate this host's firmware";
	} else if (in_var == 0 || in_var == 1) {
		sb_add(&ev, "efivars: SecureBoot=%d%s", in_var,
		       run->log ? " (the boot log does not measure it)" : "");
		s = in_var ? ATTEST_AUDIT_PASS : ATTEST_AUDIT_FAIL;
	} else {
		sb_add(&ev, "%s", var.buf);
		s = in_var == -ENODATA ? ATTEST_AUDIT_FAIL : ATTEST_AUDIT_UNKNOWN;
		if (s == ATTEST_AUDIT_UNKNOWN)
			hint = hint_root;
	}
	return add_fixed(run, C_SECURE_BOOT, s, hint, &ev);
}

/* ---- Debian versions ---------------------------------------------------------- */

struct deb_version {
	unsigned long epoch;
	char upstream[VERSION_MAX];
	char revision[VERSION_MAX];
};

static int deb_version_parse(const char *s, struct deb_version *v)
{
	const char *colon, *hyphen, *up;
	size_t len = strlen(s), up_len;

	if (len == 0 || len >= VERSION_MAX)
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if (!(*c > 0x20 && *c < 0x7f))
			return -EINVAL;
	colon = strchr(s, ':');
	v->epoch = 0;
	up = s;
	if (colon) {
		if (colon == s)
			return -EINVAL;
		for (const char *c = s; c < colon; c++)
			if (!is_digit(*c))
				return -EINVAL;
		errno = 0;
		v->epoch = strtoul(s, NULL, 10);
		if (errno || v->epoch > INT_MAX)
			return -EINVAL;
		up = colon + 1;
	}
	hyphen = strrchr(up, '-');
	up_len = hyphen ? (size_t)(hyphen - up) : strlen(up);
	if (up_len == 0 || (hyphen && !hyphen[1]))
		return -EINVAL;
	memcpy(v->upstream, up, up_len);
	v->upstream[up_len] = '\0';
	bsnprintf(v->revision, sizeof(v->revision), "%s", hyphen ? hyphen + 1 : "");
	if (!is_digit(v->upstream[0]))
		return -EINVAL;
	for (const char *c = v->upstream; *c; c++)
		if (!is_alnum(*c) && !strchr(".-+~:", *c))
			return -EINVAL;
	for (const char *c = v->revision; *c; c++)
		if (!is_alnum(*c) && !strchr(".+~", *c))
			return -EINVAL;
	return 0;
}

/* dpkg's order of a character: '~' before the end, the end before
 * letters, letters before everything else. */
static int deb_order(char c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return (unsigned char)c;
	if (c == '~')
		return -1;
	if (c)
		return (unsigned char)c + 256;
	return 0;
}

/* dpkg's verrevcmp: alternate runs of non-digits (compared by deb_order)
 * and digits (compared as numbers). */
static int deb_verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !is_digit(*a)) || (*b && !is_digit(*b))) {
			int ac = deb_order(*a), bc = deb_order(*b);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (is_digit(*a))
			return 1;
		if (is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

int attest_deb_version_compare(const char *a, const char *b, int *ret_cmp)
{
	struct deb_version va, vb;
	int c;

	if (!a || !b || deb_version_parse(a, &va) < 0 || deb_version_parse(b, &vb) < 0)
		return -EINVAL;
	if (va.epoch != vb.epoch)
		c = va.epoch < vb.epoch ? -1 : 1;
	else if ((c = deb_verrevcmp(va.upstream, vb.upstream)) == 0)
		c = deb_verrevcmp(va.revision, vb.revision);
	*ret_cmp = c < 0 ? -1 : c > 0;
	return 0;
}

/* ---- packages ------------------------------------------------------------------ */

static bool valid_package_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PACKAGE_NAME_MAX || !(is_digit(s[0]) || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (const char *c = s; *c; c++)
		if (!(is_digit(*c) || (*c >= 'a' && *c <= 'z') || strchr("+-.", *c)))
			return false;
	return true;
}

struct pkg_state {
	const struct policy_version_min *min;
	struct sb ev;               /* installed instances, or the fault */
	bool present;               /* some instance has its files installed */
	bool older;
	bool invalid;
};

/* A deb822 field "Name: value" of a stanza line; value trimmed. */
static bool field(const char *line, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	*val = line + nl + 1;
	*vlen = len - nl - 1;
	while (*vlen && is_blank(**val))
		(*val)++, (*vlen)--;
	while (*vlen && (is_blank((*val)[*vlen - 1]) || (*val)[*vlen - 1] == '\r'))
		(*vlen)--;
	return true;
}

struct stanza {
	const char *pkg, *status, *version, *arch;
	size_t pkg_len, status_len, version_len, arch_len;
};

static void stanza_done(const struct stanza *st, struct pkg_state *pk, size_t n_pk)
{
	for (size_t i = 0; st->pkg && i < n_pk; i++) {
		struct pkg_state *p = &pk[i];
		char version[VERSION_MAX], status[64];
		const char *state;
		int cmp;

		if (strlen(p->min->package) != st->pkg_len ||
		    memcmp(p->min->package, st->pkg, st->pkg_len) != 0)
			continue;
		bsnprintf(status, sizeof(status), "%.*s", (int)st->status_len, st->status ? st->status : "");
		state = strrchr(status, ' ');
		state = state ? state + 1 : status;
		/* Files on disk unless never installed or removed (config-files). */
		if (!st->status || strcmp(state, "not-installed") == 0 ||
		    strcmp(state, "config-files") == 0)
			continue;
		p->present = true;
		bsnprintf(version, sizeof(version), "%.*s", (int)st->version_len,
			 st->version ? st->version : "");
		sb_part(&p->ev);
		sb_add(&p->ev, "'%.*s' %s%s%.*s%s", (int)st->pkg_len, st->pkg,
		       version[0] ? version : "(no version)", st->arch ? " (" : "",
		       (int)st->arch_len, st->arch ? st->arch : "", st->arch ? ")" : "");
		if (strcmp(state, "installed") != 0)
			sb_add(&p->ev, " %s", state);
		if (st->version_len >= VERSION_MAX ||
		    attest_deb_version_compare(version, p->min->version, &cmp) < 0) {
			sb_add(&p->ev, ": not a valid version");
			p->invalid = true;
		} else if (cmp < 0) {
			sb_add(&p->ev, " is older than %s, the minimum", p->min->version);
			p->older = true;
		}
	}
}

static int check_packages(struct run *run)
{
	_cleanup_(freep) struct pkg_state *pk = NULL;
	_cleanup_(freep) char *data = NULL;
	const struct policy_version_min *mv = NULL;
	char reason[REASON_MAX];
	struct stanza st = { 0 };
	size_t n = 0, len = 0;
	int r;

	if (run->p)
		mv = policy_host_min_versions(run->p, &n);
	if (n == 0)
		return 0;
	pk = calloc(n, sizeof(*pk));
	if (!pk)
		return -ENOMEM;
	/* Checks by package name, for a stable order. */
	for (size_t i = 0; i < n; i++) {
		size_t at = i;

		while (at > 0 && strcmp(pk[at - 1].min->package, mv[i].package) > 0) {
			pk[at] = pk[at - 1];
			at--;
		}
		memset(&pk[at], 0, sizeof(pk[at]));
		pk[at].min = &mv[i];
	}
	r = read_input(run, "/var/lib/dpkg/status", DPKG_STATUS_MAX, &data, &len, reason,
		       sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		for (const char *line = data; line < data + len;) {
			const char *eol = memchr(line, '\n', (size_t)(data + len - line));
			size_t ll = eol ? (size_t)(eol - line) : (size_t)(data + len - line);

			if (ll == 0 || (ll == 1 && line[0] == '\r')) {
				stanza_done(&st, pk, n);
				memset(&st, 0, sizeof(st));
			} else if (!is_blank(line[0])) {
				(void)(field(line, ll, "Package", &st.pkg, &st.pkg_len) ||
				       field(line, ll, "Status", &st.status, &st.status_len) ||
				       field(line, ll, "Version", &st.version, &st.version_len) ||
				       field(line, ll, "Architecture", &st.arch, &st.arch_len));
			}
			line += ll + 1;
		}
		stanza_done(&st, pk, n);
	}
	for (size_t i = 0; i < n; i++) {
		char id[sizeof(PACKAGE_PREFIX) + PACKAGE_NAME_MAX];
		enum attest_audit_status s;
		const char *hint = NULL;
		struct sb ev = { 0 };

		bsnprintf(id, sizeof(id), PACKAGE_PREFIX "%s", pk[i].min->package);
		if (r < 0) {
			sb_add(&ev, "%s (not a Debian host?)", reason);
			s = ATTEST_AUDIT_UNKNOWN;
			hint = "the package check reads dpkg's database; other package managers are "
			       "not supported";
		} else if (!pk[i].present) {
			sb_add(&ev, "'%s' is not installed (minimum %s)", pk[i].min->package,
			       pk[i].min->version);
			s = ATTEST_AUDIT_FAIL;
			hint = "install it, or remove it from the policy's host.min_versions";
		} else if (pk[i].older) {
			sb_add(&ev, "%s", pk[i].ev.buf);
			s = ATTEST_AUDIT_FAIL;
			hint = "upgrade the package (apt-get install --only-upgrade), then restart the "
			       "domains so that they run the new binaries";
		} else if (pk[i].invalid) {
			sb_add(&ev, "%s", pk[i].ev.buf);
			s = ATTEST_AUDIT_UNKNOWN;
			hint = "repair dpkg's database";
		} else {
			sb_add(&ev, "%s (minimum %s)", pk[i].ev.buf, pk[i].min->version);
			s = ATTEST_AUDIT_PASS;
		}
		if (add_check(run, id, measure_packages, s, hint, &ev) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- policy ------------------------------------------------------------------- */

static bool known_fixed_id(const char *id)
{
	for (size_t i = 0; i < N_FIXED_CHECKS; i++)
		if (strcmp(check_defs[i].id, id) == 0)
			return true;
	return false;
}

int attest_audit_check_policy(const struct policy *p)
{
	const struct policy_version_min *mv;
	const char *const *req;
	size_t n_mv, n_req;

	if (!p)
		return 0;
	mv = policy_host_min_versions(p, &n_mv);
	for (size_t i = 0; i < n_mv; i++) {
		int cmp;

		if (!valid_package_name(mv[i].package))
			return vt_log_errno(EINVAL, "policy: $.host.min_versions: '%s' is not a valid "
						"Debian package name", mv[i].package);
		if (attest_deb_version_compare(mv[i].version, mv[i].version, &cmp) < 0)
			return vt_log_errno(EINVAL, "policy: $.host.min_versions.%s: '%s' is not a "
						"valid Debian version", mv[i].package, mv[i].version);
	}
	req = policy_host_required_checks(p, &n_req);
	for (size_t i = 0; i < n_req; i++) {
		bool ok = known_fixed_id(req[i]);

		for (size_t k = 0; !ok && k < n_mv && has_prefix(req[i], PACKAGE_PREFIX); k++)
			ok = strcmp(req[i] + strlen(PACKAGE_PREFIX), mv[k].package) == 0;
		if (ok)
			continue;
		if (has_prefix(req[i], PACKAGE_PREFIX))
			return vt_log_errno(EINVAL, "policy: $.host.required_checks[%zu]: '%s' names "
						"no package of host.min_versions", i, req[i]);
		return vt_log_errno(EINVAL, "policy: $.host.required_checks[%zu]: unknown audit "
					"check '%s' (known: cpu-virt, kvm, iommu, nx, "
					"cpu-mitigations, qemu-user, qemu-seccomp, security-driver, "
					"graphics-listen, vmtrust-hook, tpm, boot-log, secure-boot, "
					"package:NAME)", i, req[i]);
	}
	return 0;
}

int attest_audit_ok(const struct attest_audit *a, const struct policy *p)
{
	const struct policy_version_min *mv = NULL;
	const char *const *req = NULL;
	size_t n_req = 0, n_mv = 0;
	int r = attest_audit_check_policy(p);

	if (r < 0)
		return r;
	if (p) {
		req = policy_host_required_checks(p, &n_req);
		mv = policy_host_min_versions(p, &n_mv);
	}
	for (size_t i = 0; i < n_req; i++) {
		const struct attest_audit_check *c = attest_audit_find(a, req[i]);

		if (!c || c->status != ATTEST_AUDIT_PASS)
			return 0;
	}
	for (size_t i = 0; i < n_mv; i++) {
		char id[sizeof(PACKAGE_PREFIX) + PACKAGE_NAME_MAX];
		const struct attest_audit_check *c;

		bsnprintf(id, sizeof(id), PACKAGE_PREFIX "%s", mv[i].package);
		c = attest_audit_find(a, id);
		if (!c || c->status != ATTEST_AUDIT_PASS)
			return 0;
	}
	if (n_req == 0)
		for (size_t i = 0; i < a->n_checks; i++)
			if (a->checks[i].status == ATTEST_AUDIT_FAIL)
				return 0;
	return 1;
}

/* Appends one failing check to a reason list: "a fail, b unknown". */
__attribute__((format(printf, 3, 4)))
static void reason_add(char *reason, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(reason, size);
	va_list ap;

	if (size == 0 || len + 1 >= size)
		return;
	if (len > 0)
		len += (size_t)snprintf(reason + len, size - len, ", ");
	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(reason + len, size - len, fmt, ap);
	va_end(ap);
}

/* The minimum a passed package check was audited against: the "V" of the
 * "(minimum V)" that ends its evidence; NULL when there is none. */
static const char *audited_minimum(const char *evidence, char *buf, size_t size)
{
	static const char tag[] = " (minimum ";
	const char *at = NULL, *end;
	size_t len;

	for (const char *p = strstr(evidence, tag); p; p = strstr(p + 1, tag))
		at = p;
	if (!at)
		return NULL;
	at += strlen(tag);
	end = at + strlen(at);
	if (end == at || end[-1] != ')')
		return NULL;
	len = (size_t)(end - 1 - at);
	if (len == 0 || len >= size)
		return NULL;
	memcpy(buf, at, len);
	buf[len] = '\0';
	return buf;
}

int attest_audit_evaluate(const struct attest_audit *a, const struct policy *p, char *reason,
			  size_t size)
{
	const struct policy_version_min *mv = NULL;
	const char *const *req = NULL;
	size_t n_req = 0, n_mv = 0;
	bool ok = true;
	int r;

	if (size > 0)
		reason[0] = '\0';
	r = attest_audit_check_policy(p);
	if (r < 0)
		return r;
	if (p) {
		req = policy_host_required_checks(p, &n_req);
		mv = policy_host_min_versions(p, &n_mv);
	}
	/* package:NAME ids are min_versions entries (checked above): below. */
	for (size_t i = 0; i < n_req; i++) {
		const struct attest_audit_check *c = attest_audit_find(a, req[i]);

		if (has_prefix(req[i], PACKAGE_PREFIX))
			continue;
		if (c && c->status == ATTEST_AUDIT_PASS)
			continue;
		ok = false;
		if (c)
			reason_add(reason, size, "%s %s", req[i], attest_audit_status_name(c->status));
		else
			reason_add(reason, size, "%s not in the audit", req[i]);
	}
	for (size_t i = 0; i < n_mv; i++) {
		char id[sizeof(PACKAGE_PREFIX) + PACKAGE_NAME_MAX], buf[VERSION_MAX];
		const struct attest_audit_check *c;
		const char *min;
		int cmp;

		bsnprintf(id, sizeof(id), PACKAGE_PREFIX "%s", mv[i].package);
		c = attest_audit_find(a, id);
		if (!c) {
			ok = false;
			reason_add(reason, size, "%s not in the audit", id);
			continue;
		}
		if (c->status != ATTEST_AUDIT_PASS) {
			ok = false;
			reason_add(reason, size, "%s %s", id, attest_audit_status_name(c->status));
			continue;
		}
		/* A pass says: at least the minimum the host audited against. */
		min = audited_minimum(c->evidence, buf, sizeof(buf));
		if (!min || attest_deb_version_compare(min, mv[i].version, &cmp) < 0) {
			ok = false;
			reason_add(reason, size, "%s passed against no minimum it names", id);
		} else if (cmp < 0) {
			ok = false;
			reason_add(reason, size, "%s passed against the minimum %s, below the policy's %s",
				   id, min, mv[i].version);
		}
	}
	return ok ? 1 : 0;
}

/* ---- the run ------------------------------------------------------------------ */

static void run_clear(struct run *run)
{
	free(run->cpuinfo.data);
	free(run->cmdline.data);
	conf_clear(&run->conf);
	free(run->procs);
	attest_eventlog_free(run->log);
}

int attest_audit_run(const char *root, const struct policy *p, struct attest_audit **ret)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	struct run *run;
	struct stat st;
	size_t n_mv = 0, len;
	int r;

	r = attest_audit_check_policy(p);
	if (r < 0)
		return r;
	if (!root || !*root)
		root = "/";
	if (stat(root, &st) < 0)
		return vt_log_errno(errno, "cannot audit root '%s': %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vt_log_errno(ENOTDIR, "cannot audit root '%s': not a directory", root);
	len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len >= PATH_MAX - 256)
		return vt_log_errno(ENAMETOOLONG, "cannot audit root '%s': path too long", root);
	if (p)
		policy_host_min_versions(p, &n_mv);

	a = calloc(1, sizeof(*a));
	run = calloc(1, sizeof(*run));
	if (!a || !run) {
		free(run);
		return -ENOMEM;
	}
	a->checks = calloc(N_FIXED_CHECKS + n_mv, sizeof(*a->checks));
	if (!a->checks) {
		free(run);
		return -ENOMEM;
	}
	memcpy(run->root, root, len);
	run->root[len] = '\0';
	run->p = p;
	run->a = a;

	read_text(run, "/proc/cpuinfo", CPUINFO_MAX, &run->cpuinfo);
	read_text(run, "/proc/cmdline", CMDLINE_MAX, &run->cmdline);
	load_qemu_conf(run);
	r = scan_procs(run);
	if (r >= 0)
		r = load_boot_log(run);
	if (r == -ENOMEM || run->cpuinfo.err == -ENOMEM || run->cmdline.err == -ENOMEM)
		r = -ENOMEM;

	if (r >= 0)
		r = check_cpu_virt(run);
	if (r >= 0)
		r = check_kvm(run);
	if (r >= 0)
		r = check_iommu(run);
	if (r >= 0)
		r = check_nx(run);
	if (r >= 0)
		r = check_mitigations(run);
	if (r >= 0)
		r = check_qemu_user(run);
	if (r >= 0)
		r = check_qemu_seccomp(run);
	if (r >= 0)
		r = check_security_driver(run);
	if (r >= 0)
		r = check_graphics(run);
	if (r >= 0)
		r = check_hook(run);
	if (r >= 0)
		r = check_tpm(run);
	if (r >= 0)
		r = check_boot_log(run);
	if (r >= 0)
		r = check_secure_boot(run);
	if (r >= 0)
		r = check_policy_key(run);
	if (r >= 0)
		r = check_nwfilter(run);
	if (r >= 0)
		r = check_domain_live(run);
	if (r >= 0)
		r = check_packages(run);
	run_clear(run);
	free(run);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- JSON --------------------------------------------------------------------- */

int attest_audit_to_json(const struct attest_audit *a, char **ret)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *checks = json_object_new_array();
	char *s;

	if (!root || !checks) {
		json_object_put(checks);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "vmtrust_host_audit", json_object_new_int(AUDIT_VERSION)) < 0 ||
	    json_object_object_add(root, "checks", checks) < 0) {
		json_object_put(checks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n_checks; i++) {
		json_object *c = json_object_new_object();

		if (!c || json_object_array_add(checks, c) < 0) {
			json_object_put(c);
			return -ENOMEM;
		}
		if (json_object_object_add(c, "id", json_object_new_string(a->checks[i].id)) < 0 ||
		    json_object_object_add(c, "status", json_object_new_string(
			    attest_audit_status_name(a->checks[i].status))) < 0 ||
		    json_object_object_add(c, "evidence",
					   json_object_new_string(a->checks[i].evidence)) < 0)
			return -ENOMEM;
	}
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int audit_fault(const char *name, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vt_log_errno(EBADMSG, "host audit '%s': %s: %s", name, path, msg);
}

static int parse_check(const char *name, size_t idx, json_object *o, struct attest_audit *a)
{
	static const char *const keys[] = { "id", "status", "evidence" };
	struct attest_audit_check *c = &a->checks[a->n_checks];
	const char *id, *status, *evidence;
	json_object *v[3];
	char path[64];

	bsnprintf(path, sizeof(path), "$.checks[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return audit_fault(name, path, "expected an object");
	if (json_object_object_length(o) != 3)
		return audit_fault(name, path, "expected exactly the keys id, status, evidence");
	for (size_t k = 0; k < 3; k++)
		if (!json_object_object_get_ex(o, keys[k], &v[k]) ||
		    !json_object_is_type(v[k], json_type_string))
			return audit_fault(name, path, "'%s' missing or not a string", keys[k]);
	id = json_object_get_string(v[0]);
	status = json_object_get_string(v[1]);
	evidence = json_object_get_string(v[2]);
	c->measure = NULL;
	for (size_t k = 0; k < N_FIXED_CHECKS; k++)
		if (strcmp(check_defs[k].id, id) == 0)
			c->measure = check_defs[k].measure;
	if (!c->measure && has_prefix(id, PACKAGE_PREFIX) &&
	    valid_package_name(id + strlen(PACKAGE_PREFIX)))
		c->measure = measure_packages;
	if (!c->measure)
		return audit_fault(name, path, "unknown check id '%.64s'", id);
	if (attest_audit_find(a, id))
		return audit_fault(name, path, "duplicate check id '%.64s'", id);
	if (strcmp(status, "pass") == 0)
		c->status = ATTEST_AUDIT_PASS;
	else if (strcmp(status, "fail") == 0)
		c->status = ATTEST_AUDIT_FAIL;
	else if (strcmp(status, "unknown") == 0)
		c->status = ATTEST_AUDIT_UNKNOWN;
	else
		return audit_fault(name, path, "status '%.64s' is not pass, fail or unknown", status);
	if (strlen(evidence) > 4 * EVIDENCE_MAX)
		return audit_fault(name, path, "evidence longer than %u bytes", 4 * EVIDENCE_MAX);
	for (const char *e = evidence; *e; e++)
		if (!(*e >= 0x20 && *e < 0x7f))
			return audit_fault(name, path, "evidence has a byte that is not printable ASCII");
	c->id = strdup(id);
	c->evidence = strdup(evidence);
	if (!c->id || !c->evidence) {
		free((char *)c->id);
		free((char *)c->evidence);
		return -ENOMEM;
	}
	c->hint = NULL;
	c->required = false;
	a->n_checks++;
	return 0;
}

int attest_audit_parse(const char *name, const char *json, size_t len, struct attest_audit **ret)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	_cleanup_(json_object_putp) json_object *root = NULL;
	json_object *v, *checks;
	struct vt_json_error jerr;
	size_t n;
	int r;

	if (len > ATTEST_AUDIT_JSON_MAX)
		return vt_log_errno(EFBIG, "host audit '%s': %zu bytes exceed the limit of %d",
					name, len, ATTEST_AUDIT_JSON_MAX);
	r = vt_json_parse(json, len, 8, &root, &jerr);
	if (r < 0)
		return r == -EBADMSG ? audit_fault(name, jerr.path.buf, "%s", jerr.reason) : r;
	if (!json_object_is_type(root, json_type_object))
		return audit_fault(name, "$", "expected an object at the top level");
	if (json_object_object_length(root) != 2 ||
	    !json_object_object_get_ex(root, "vmtrust_host_audit", &v) ||
	    !json_object_object_get_ex(root, "checks", &checks))
		return audit_fault(name, "$", "expected exactly the keys vmtrust_host_audit, checks");
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != AUDIT_VERSION)
		return audit_fault(name, "$.vmtrust_host_audit", "not version %d", AUDIT_VERSION);
	if (!json_object_is_type(checks, json_type_array))
		return audit_fault(name, "$.checks", "expected an array");
	n = json_object_array_length(checks);
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->checks = calloc(n ? n : 1, sizeof(*a->checks));
	if (!a->checks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = parse_check(name, i, json_object_array_get_idx(checks, i), a);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- measuring -------------------------------------------------------------- */

int attest_audit_measure(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
			 const struct attest_audit *a, struct attest_record *ret)
{
	_cleanup_(freep) char *json = NULL, *path = NULL;
	char description[128];
	size_t count[3] = { 0 };
	struct attest_record rec;
	int r;

	if (!ctx || !state_dir || !a)
		return vt_log_errno(EINVAL, "cannot measure the host audit: missing argument");
	for (size_t i = 0; i < a->n_checks; i++)
		count[a->checks[i].status]++;
	bsnprintf(description, sizeof(description), "host audit: %zu pass, %zu fail, %zu unknown",
		  count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_FAIL], count[ATTEST_AUDIT_UNKNOWN]);
	r = attest_audit_to_json(a, &json);
	if (r < 0)
		return r;
	if (vt_state_path(state_dir, VT_STATE_HOST_AUDIT, &path) < 0)
		return -ENOMEM;
	r = attest_measure_event(ctx, state_dir, pcr, ATTEST_HOST_AUDIT_EVENT, description, json,
				 strlen(json), &rec);
	if (r < 0)
		return r;
	r = vt_write_file_atomic(path, json, strlen(json), 0600);
	if (r < 0)
		return r;
	if (ret)
		*ret = rec;
	return 0;
}
