/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of hostaudit/ share: the run (what was read below the
 * root, once, for every check), reading below the root, the evidence
 * buffer, and one function per check. Private to the folder. */
#ifndef VMTRUST_HOSTAUDIT_INTERNAL_H
#define VMTRUST_HOSTAUDIT_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "hostaudit.h"

/* Bounds of what is read (every input comes from the audited host). */
#define SMALL_MAX 4096                          /* a sysfs attribute, a comm */
#define CPUINFO_MAX (8u * 1024 * 1024)
#define CMDLINE_MAX (64u * 1024)
#define QEMU_CONF_MAX (1024u * 1024)
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
#define REASON_MAX 512u
#define DOMSTATUS_MAX (4u * 1024 * 1024)        /* as a domain XML the hook reads */

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
static inline bool is_blank(char c) { return c == ' ' || c == '\t'; }
static inline bool is_eol(char c) { return c == '\n' || c == '\r'; }
static inline bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* snprintf that truncates on purpose (messages, evidence): the same, but
 * out of the compiler's truncation analysis. */
int ha_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Evidence under construction: bounded, parts joined with "; ". */
struct sb {
	char buf[EVIDENCE_MAX];
	size_t len;
};
void ha_sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts a new part. */
struct sb *ha_sb_part(struct sb *b);
/* Puts first in front of what ev holds: the failure first. */
void ha_sb_lead(struct sb *ev, const struct sb *first);
/* Trims trailing white space and NULs (sysfs values end in "\n"). */
void ha_rstrip(char *s, size_t *len);

/* ---- the run ---------------------------------------------------------------- */

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
	const char *state_dir;  /* the state directory on the audited host */
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

/* ---- reading below the root (read.c) --------------------------------------- */

/* ROOT/rel into out; -ENAMETOOLONG. */
int ha_join(const struct run *run, const char *rel, char out[PATH_MAX]);
/* stat of ROOT/rel; on failure, the reason. */
int ha_stat_input(const struct run *run, const char *rel, struct stat *st, char *reason, size_t size);
/* 1 when ROOT/rel is a directory, 0 when it is something else, -errno
 * with the reason when it cannot be seen. */
int ha_is_dir(const struct run *run, const char *rel, char *reason, size_t size);
/* Reads ROOT/rel, a regular file of at most max bytes (never a FIFO or a
 * device). A fault is no error of the audit but the reason of an unknown
 * check: it goes to reason, not to the log. */
int ha_read_input(const struct run *run, const char *rel, size_t max, char **ret, size_t *ret_len,
		  char *reason, size_t size);
void ha_read_text(const struct run *run, const char *rel, size_t max, struct text *t);
/* Names in ROOT/rel, sorted, without "." and "..": a NULL-terminated list
 * for attest_strv_free(). */
int ha_list_dir(const struct run *run, const char *rel, char ***ret, size_t *ret_n, char *reason,
		size_t size);

/* ---- what the checks share -------------------------------------------------- */

extern const char ha_hint_root[];
extern const char ha_hint_qemu_conf[];

/* Records a check of the run (id one of policy_host_check_measure()'s);
 * required as the run's policy says. -ENOMEM, -EINVAL for an unknown id. */
int ha_add_check(struct run *run, const char *id, enum attest_audit_status status, const char *hint,
		 const struct sb *ev);

/* qemu.conf (qemuconf.c): parsed once into run->conf (conf_ok), else the
 * reason in run->conf_reason. */
void ha_conf_load(struct run *run);
void ha_conf_clear(struct conf *c);
const struct conf_value *ha_conf_get(const struct conf *c, const char *name);
/* A string setting: 1 set (*ret), 0 not set, -EINVAL set to something else
 * (libvirtd refuses it too), with the reason in ev. */
int ha_conf_string(const struct run *run, const char *name, const char **ret, struct sb *ev);
/* A 0/1 setting, def when not set. */
int ha_conf_bool(const struct run *run, const char *name, int def, int *ret, struct sb *ev);
/* The first verdict of a check that reads qemu.conf and running qemu: a
 * fail when bad holds something (put first in ev), else unknown when
 * qemu.conf could not be read (the reason in ev). true when one of them
 * decided *s, false when the check decides. */
bool ha_conf_verdict(const struct run *run, struct sb *ev, const struct sb *bad,
		     enum attest_audit_status *s);
/* Adds what runs (ha_describe_procs) to ev and records the check, with
 * hint for a fail or when qemu.conf was read, else how to fix qemu.conf. */
int ha_add_conf_check(struct run *run, const char *id, enum attest_audit_status s, const char *hint,
		      struct sb *ev);

/* The running qemu processes (procs.c), by pid, into run->procs. */
int ha_scan_procs(struct run *run);
void ha_describe_procs(const struct run *run, struct sb *ev);

/* The measured-boot log (boot.c), parsed once into run->log. */
int ha_load_boot_log(struct run *run);

/* ---- the checks, one function each, in the policy's order ------------------- */

/* Each records one check into run->a; 0, or -ENOMEM. */
typedef int ha_check_fn(struct run *run);
ha_check_fn ha_check_cpu_virt, ha_check_kvm, ha_check_iommu, ha_check_nx,        /* cpu.c */
	ha_check_mitigations;
ha_check_fn ha_check_qemu_user, ha_check_qemu_seccomp, ha_check_graphics;         /* procs.c */
ha_check_fn ha_check_security_driver;                                            /* lsm.c */
ha_check_fn ha_check_hook;                                                       /* hook.c */
ha_check_fn ha_check_tpm, ha_check_boot_log, ha_check_secure_boot,                /* boot.c */
	ha_check_policy_key;
ha_check_fn ha_check_nwfilter, ha_check_domain_live;                              /* domains.c */
/* package:NAME for each package of the policy's host.min_versions, by name */
ha_check_fn ha_check_packages;                                                   /* packages.c */

#endif
