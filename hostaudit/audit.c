/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host audit: the hardening against VM escape that the host shows, each
 * measure checked and evidenced. Reads only, below a root directory, every
 * file bounded; a missing or unreadable input makes a check unknown, with
 * the reason, never a pass. This file is the runner: what every check
 * reads is read once, then the checks run in the policy's order, one
 * function each (the files of this folder, one per concern). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostaudit-internal.h"

/* The checks, in the policy's order (policy_host_checks(); the two lists
 * are held to each other by tests/test-audit.c). */
static const struct {
	const char *id;
	ha_check_fn *run;
} checks[] = {
	{ "cpu-virt", ha_check_cpu_virt },
	{ "kvm", ha_check_kvm },
	{ "iommu", ha_check_iommu },
	{ "nx", ha_check_nx },
	{ "cpu-mitigations", ha_check_mitigations },
	{ "qemu-user", ha_check_qemu_user },
	{ "qemu-seccomp", ha_check_qemu_seccomp },
	{ "security-driver", ha_check_security_driver },
	{ "graphics-listen", ha_check_graphics },
	{ "vmtrust-hook", ha_check_hook },
	{ "tpm", ha_check_tpm },
	{ "boot-log", ha_check_boot_log },
	{ "secure-boot", ha_check_secure_boot },
	{ "policy-key", ha_check_policy_key },
	{ "domain-nwfilter", ha_check_nwfilter },
	{ "domain-live", ha_check_domain_live },
};

const char ha_hint_root[] =
	"run as root on the host itself, with /proc, /sys and securityfs mounted";
const char ha_hint_qemu_conf[] =
	"install libvirt's qemu driver and fix /etc/libvirt/qemu.conf (libvirtd refuses a "
	"malformed one too)";

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
	if (!has_prefix(id, POLICY_HOST_PACKAGE_PREFIX))
		return false;
	mv = policy_host_min_versions(p, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(mv[i].package, id + strlen(POLICY_HOST_PACKAGE_PREFIX)) == 0)
			return true;
	return false;
}

int ha_add_check(struct run *run, const char *id, enum attest_audit_status status, const char *hint,
		 const struct sb *ev)
{
	return attest_audit_add(run->a, id, status, ev->buf, hint, policy_requires(run->p, id));
}

/* ---- the verdict ------------------------------------------------------------ */

int hostaudit_ok(const struct attest_audit *a, const struct policy *p)
{
	const struct policy_version_min *mv = NULL;
	const struct attest_audit_check *c;
	const char *const *req = NULL;
	size_t n_req = 0, n_mv = 0, n;

	if (p) {
		req = policy_host_required_checks(p, &n_req);
		mv = policy_host_min_versions(p, &n_mv);
	}
	for (size_t i = 0; i < n_req; i++) {
		c = attest_audit_find(a, req[i]);
		if (!c || c->status != ATTEST_AUDIT_PASS)
			return 0;
	}
	for (size_t i = 0; i < n_mv; i++) {
		char id[sizeof(POLICY_HOST_PACKAGE_PREFIX) + POLICY_HOST_PACKAGE_NAME_MAX];

		ha_snprintf(id, sizeof(id), POLICY_HOST_PACKAGE_PREFIX "%s", mv[i].package);
		c = attest_audit_find(a, id);
		if (!c || c->status != ATTEST_AUDIT_PASS)
			return 0;
	}
	c = attest_audit_checks(a, &n);
	for (size_t i = 0; n_req == 0 && i < n; i++)
		if (c[i].status == ATTEST_AUDIT_FAIL)
			return 0;
	return 1;
}

/* ---- the run ------------------------------------------------------------------ */

static void run_free(struct run *run)
{
	if (!run)
		return;
	free(run->cpuinfo.data);
	free(run->cmdline.data);
	ha_conf_clear(&run->conf);
	free(run->procs);
	attest_eventlog_free(run->log);
	free(run);
}
DEFINE_CLEANUP_FUNC(struct run *, run_free)

int hostaudit_run(const char *root, const char *state_dir, const struct policy *p,
		  struct attest_audit **ret)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	_cleanup_(run_freep) struct run *run = NULL;
	struct stat st;
	size_t n_mv = 0, len;
	int r;

	if (!root || !*root)
		root = "/";
	if (!state_dir)
		state_dir = VT_STATE_DIR_DEFAULT;
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

	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	r = attest_audit_new(ELEMENTSOF(checks) + n_mv, &a);
	if (r < 0)
		return r;
	memcpy(run->root, root, len);
	run->root[len] = '\0';
	run->state_dir = state_dir;
	run->p = p;
	run->a = a;

	/* What several checks read, read once. */
	ha_read_text(run, "/proc/cpuinfo", CPUINFO_MAX, &run->cpuinfo);
	ha_read_text(run, "/proc/cmdline", CMDLINE_MAX, &run->cmdline);
	ha_conf_load(run);
	r = ha_scan_procs(run);
	if (r >= 0)
		r = ha_load_boot_log(run);
	if (r == -ENOMEM || run->cpuinfo.err == -ENOMEM || run->cmdline.err == -ENOMEM)
		r = -ENOMEM;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(checks); i++)
		r = checks[i].run(run);
	if (r >= 0)
		r = ha_check_packages(run);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- measuring -------------------------------------------------------------- */

int hostaudit_measure(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
		      const struct attest_audit *a, struct attest_record *ret)
{
	_cleanup_(freep) char *json = NULL, *path = NULL;
	const struct attest_audit_check *c;
	char description[128];
	size_t count[3] = { 0 }, n;
	struct attest_record rec;
	int r;

	if (!ctx || !state_dir || !a)
		return vt_log_errno(EINVAL, "cannot measure the host audit: missing argument");
	c = attest_audit_checks(a, &n);
	for (size_t i = 0; i < n; i++)
		count[c[i].status]++;
	ha_snprintf(description, sizeof(description), "host audit: %zu pass, %zu fail, %zu unknown",
		    count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_FAIL], count[ATTEST_AUDIT_UNKNOWN]);
	r = attest_audit_to_json(a, &json);
	if (r < 0)
		return r;
	r = vt_state_path(state_dir, VT_STATE_HOST_AUDIT, &path);
	if (r < 0)
		return r;
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
