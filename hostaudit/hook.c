/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust-hook: libvirt runs vmtrust's hook before every qemu domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "hostaudit-internal.h"

#define HOOK_MAX (64u * 1024)

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

	if (ha_join(run, rel, path) < 0)
		return HOOK_UNKNOWN;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return HOOK_ABSENT;
		ha_sb_add(ha_sb_part(ev), "cannot read '%s': %s", path, strerror(errno));
		return HOOK_UNKNOWN;
	}
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
		if (!has_prefix(base_name(resolved), "vmtrust")) {
			ha_sb_add(ha_sb_part(ev), "'%s' links to '%s', not to vmtrust", rel, resolved);
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
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
			ha_sb_add(ha_sb_part(ev), "'%s' links to '%s', which is not an executable file", rel,
			       resolved);
			return HOOK_OTHER;
		}
		ha_sb_add(ha_sb_part(ev), "'%s' links to '%s'", rel, resolved);
		return HOOK_VMTRUST;
	}
	if (!S_ISREG(st.st_mode)) {
		ha_sb_add(ha_sb_part(ev), "'%s' is %s: libvirt does not run it", rel,
		       S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		return HOOK_OTHER;
	}
	if (!(st.st_mode & 0111)) {
		ha_sb_add(ha_sb_part(ev), "'%s' is not executable: libvirt does not run it", rel);
		return HOOK_OTHER;
	}
	r = ha_read_input(run, rel, HOOK_MAX, &text, &len, reason, sizeof(reason));
	if (r < 0) {
		ha_sb_add(ha_sb_part(ev), "%s", reason);
		return HOOK_UNKNOWN;
	}
	if (!has_prefix(text, "#!") || memchr(text, '\0', len)) {
		ha_sb_add(ha_sb_part(ev), "'%s' is not a script (a binary that is no link to vmtrust)", rel);
		return HOOK_OTHER;
	}
	if (!script_runs_vmtrust(text)) {
		ha_sb_add(ha_sb_part(ev), "'%s' is a script that does not run 'vmtrust hook'", rel);
		return HOOK_OTHER;
	}
	ha_sb_add(ha_sb_part(ev), "'%s' is a script that runs 'vmtrust hook'", rel);
	return HOOK_VMTRUST;
}

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
			 "install the hook: /etc/libvirt/hooks/qemu a link to vmtrust, or an executable "
			 "script that runs 'vmtrust hook'; then restart libvirtd", &ev);
}

