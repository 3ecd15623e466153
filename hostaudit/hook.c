/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust-hook: libvirt runs vmtrust's hook before every qemu domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "hostaudit-internal.h"


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

	n = target[0] == '/' ? ha_snprintf(buf, sizeof(buf), "%s", target) :
			       ha_snprintf(buf, sizeof(buf), "%s/%s", dir, target);
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
		n = ha_snprintf(out + len, PATH_MAX - len, "/%s", c);
		if (n < 0 || (size_t)n >= PATH_MAX - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	if (!len)
		ha_snprintf(out, PATH_MAX, "/");
	return 0;
}

/* One file libvirt runs as a hook (ROOT/rel): a link is followed below the
 * root; the file must be a regular executable that only root (or the
 * auditor) can change, and a vmtrust hook by launch's rule
 * (launch_hook_parse(), the installer's too). */
static enum hook_kind hook_file(const struct run *run, const char *rel, struct sb *ev)
{
	char path[PATH_MAX], target[PATH_MAX], resolved[PATH_MAX], dir[PATH_MAX], reason[REASON_MAX];
	char what[PATH_MAX + 64];
	_cleanup_(freep) char *text = NULL;
	const char *file = rel;         /* below the root: rel, or where its link leads */
	struct stat st;
	ssize_t n;
	size_t len;
	int r;

	if (ha_join(run, rel, path) < 0)
		return HOOK_UNKNOWN;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return HOOK_ABSENT;
		ha_sb_add(ha_sb_part(ev), "cannot read '%s': %s", path, strerror(errno));
		return HOOK_UNKNOWN;
	}
	ha_snprintf(what, sizeof(what), "'%s'", rel);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			ha_sb_add(ha_sb_part(ev), "cannot read the link '%s': %s", path, strerror(errno));
			return HOOK_UNKNOWN;
		}
		target[n] = '\0';
		ha_snprintf(dir, sizeof(dir), "%s", rel);
		*strrchr(dir, '/') = '\0';
		if (resolve_under_root(dir, target, resolved) < 0) {
			ha_sb_add(ha_sb_part(ev), "'%s' links to a path too long", rel);
			return HOOK_OTHER;
		}
		r = ha_stat_input(run, resolved, &st, reason, sizeof(reason));
		if (r == -ENOENT) {
			ha_sb_add(ha_sb_part(ev), "'%s' links to '%s', which does not exist: libvirt cannot run it",
				  rel, resolved);
			return HOOK_OTHER;
		}
		if (r < 0) {
			ha_sb_add(ha_sb_part(ev), "%s", reason);
			return HOOK_UNKNOWN;
		}
		file = resolved;
		ha_snprintf(what, sizeof(what), "'%s' links to '%s', which", rel, resolved);
	}
	if (!S_ISREG(st.st_mode)) {
		ha_sb_add(ha_sb_part(ev), "%s is %s: libvirt does not run it", what,
			  S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		return HOOK_OTHER;
	}
	if (!(st.st_mode & 0111)) {
		ha_sb_add(ha_sb_part(ev), "%s is not executable: libvirt does not run it", what);
		return HOOK_OTHER;
	}
	/* Who may change it decides what libvirt runs. */
	if (st.st_mode & 0022) {
		ha_sb_add(ha_sb_part(ev), "%s is writable by its group or others (mode %04o): anyone "
			  "could change what libvirt runs", what, (unsigned)(st.st_mode & 07777));
		return HOOK_OTHER;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		ha_sb_add(ha_sb_part(ev), "%s is owned by uid %u, not root: its owner could change what "
			  "libvirt runs", what, (unsigned)st.st_uid);
		return HOOK_OTHER;
	}
	r = ha_read_input(run, file, LAUNCH_HOOK_FILE_MAX, &text, &len, reason, sizeof(reason));
	if (r < 0) {
		ha_sb_add(ha_sb_part(ev), "%s", reason);
		return HOOK_UNKNOWN;
	}
	if (!has_prefix(text, "#!") || memchr(text, '\0', len)) {
		if (file != rel)
			ha_sb_add(ha_sb_part(ev), "'%s' links to '%s', not to vmtrust's hook script (a program "
				  "run as a hook gets libvirt's arguments, which vmtrust refuses)", rel, file);
		else
			ha_sb_add(ha_sb_part(ev), "'%s' is not a script (vmtrust's hook is one)", rel);
		return HOOK_OTHER;
	}
	{
		VT_LOG_CAPTURE_SCOPE(reason, sizeof(reason));
		r = launch_hook_parse(file, text, len, NULL);
	}
	if (r == -ENOMEM) {
		ha_sb_add(ha_sb_part(ev), "'%s': out of memory", file);
		return HOOK_UNKNOWN;
	}
	if (r == 0) {
		ha_sb_add(ha_sb_part(ev), "%s is a script that does not run 'vmtrust hook' (no '"
			  LAUNCH_HOOK_MARKER "' line: not one 'vmtrust hook install' wrote)", what);
		return HOOK_OTHER;
	}
	if (r < 0) {
		ha_sb_add(ha_sb_part(ev), "%s", reason);
		return HOOK_OTHER;
	}
	ha_sb_add(ha_sb_part(ev), "%s is a script that runs 'vmtrust hook'", what);
	return HOOK_VMTRUST;
}

/* vmtrust-hook
 *   reads:  /etc/libvirt/hooks/qemu, each file of /etc/libvirt/hooks/qemu.d
 *   passes: one is vmtrust's hook by launch_hook_parse() (links followed
 *         below the root), a regular executable only root can change; fails: none is */
int ha_check_hook(struct run *run)
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

	r = ha_is_dir(run, "/etc/libvirt", reason, sizeof(reason));
	if (r <= 0) {
		ha_sb_add(&ev, "%s (libvirt not installed?)", reason);
		return ha_add_check(run, "vmtrust-hook", ATTEST_AUDIT_UNKNOWN, "install libvirt, then the vmtrust "
				 "hook", &ev);
	}
	k = hook_file(run, "/etc/libvirt/hooks/qemu", &other);
	unknown = k == HOOK_UNKNOWN;
	if (k == HOOK_VMTRUST) {
		ev = other;
		return ha_add_check(run, "vmtrust-hook", ATTEST_AUDIT_PASS, NULL, &ev);
	}
	/* libvirt 6.5 and later also run every executable in hooks/qemu.d. */
	r = ha_list_dir(run, qemu_d, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		ha_sb_add(ha_sb_part(&other), "%s", reason);
		unknown = true;
	}
	for (size_t i = 0; i < n; i++) {
		char rel[PATH_MAX];
		struct sb one = { 0 };

		ha_snprintf(rel, sizeof(rel), "%s/%s", qemu_d, names[i]);
		k = hook_file(run, rel, &one);
		if (k == HOOK_VMTRUST) {
			attest_strv_free(names);
			return ha_add_check(run, "vmtrust-hook", ATTEST_AUDIT_PASS, NULL, &one);
		}
		unknown = unknown || k == HOOK_UNKNOWN;
		if (one.len)
			ha_sb_add(ha_sb_part(&other), "%s", one.buf);
	}
	attest_strv_free(names);
	if (unknown) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		s = ATTEST_AUDIT_FAIL;
		if (!other.len)
			ha_sb_add(&ev, "no '/etc/libvirt/hooks/qemu' and no vmtrust hook in '%s': VMs start "
				    "unchecked", qemu_d);
	}
	if (other.len)
		ha_sb_add(ha_sb_part(&ev), "%s", other.buf);
	return ha_add_check(run, "vmtrust-hook", s,
			 "install the hook with 'vmtrust hook install' (root's script in "
			 "/etc/libvirt/hooks/qemu that execs 'vmtrust ... hook run -- \"$@\"'), which "
			 "reloads libvirtd", &ev);
}

