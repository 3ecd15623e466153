/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installing vmtrust as libvirt's qemu hook: a small shell script that
 * execs vmtrust with the settings fixed at install time (libvirtd runs
 * hooks with a scrubbed environment, so nothing may come from it). A hook
 * that is not ours is never overwritten nor removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

#define HOOK_FILE_MAX (64 * 1024)

static int hook_path(const char *hooks_dir, bool drop_in, bool mkdirs, char **ret)
{
	_cleanup_(freep) char *dir = NULL;

	if (!hooks_dir || hooks_dir[0] != '/')
		return vt_log_errno(EINVAL, "hooks directory '%s': not an absolute path",
					hooks_dir ? hooks_dir : "");
	if (mkdirs && mkdir(hooks_dir, 0755) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create '%s': %s", hooks_dir, strerror(errno));
	if (!drop_in)
		return asprintf(ret, "%s/qemu", hooks_dir) < 0 ? -ENOMEM : 0;
	if (asprintf(&dir, "%s/qemu.d", hooks_dir) < 0)
		return -ENOMEM;
	if (mkdirs && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create '%s': %s", dir, strerror(errno));
	return asprintf(ret, "%s/vmtrust", dir) < 0 ? -ENOMEM : 0;
}

/* 1: ours, 0: absent, -EPERM (logged): someone else's. */
static int hook_owner(const char *path)
{
	_cleanup_(freep) char *text = NULL;
	struct stat st;
	size_t len;
	int r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return vt_log_errno(errno, "cannot read '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return vt_log_errno(EPERM, "'%s' is not a vmtrust hook (not a regular file): left alone",
					path);
	r = vt_read_file(path, HOOK_FILE_MAX, &text, &len);
	if (r == -EFBIG)
		return vt_log_errno(EPERM, "'%s' is not a vmtrust hook: left alone", path);
	if (r < 0)
		return r;
	if (!strstr(text, "\n" LAUNCH_HOOK_MARKER "\n"))
		return vt_log_errno(EPERM, "'%s' is another program's hook: left alone", path);
	return 1;
}

/* Single-quoted for sh: ' becomes '\''. */
static int sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '\n')
			return -EINVAL;
		else
			fputc(*s, f);
	}
	fputc('\'', f);
	return 0;
}

int launch_hook_script(const struct launch_hook_opts *o, char **ret, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	const char *names[] = { "--policy", "--state-dir", "--tcti" };
	const char *values[] = { o->policy, o->state_dir, o->tcti };
	size_t len = 0;
	FILE *f;
	int r = 0;

	if (!o->exe || o->exe[0] != '/')
		return vt_log_errno(EINVAL, "hook: vmtrust's path '%s' is not absolute",
					o->exe ? o->exe : "");
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("#!/bin/sh\n" LAUNCH_HOOK_MARKER "\n"
	      "# Written by 'vmtrust hook install'; removed by 'vmtrust hook uninstall'.\n"
	      "# libvirt runs it as: qemu NAME OPERATION SUB-OPERATION EXTRA, the domain\n"
	      "# XML on stdin. Non-zero denies. If vmtrust is gone, exec fails: denied.\n"
	      "exec ", f);
	r |= sh_quote(f, o->exe);
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		if (!values[i])
			continue;
		fprintf(f, " %s ", names[i]);
		r |= sh_quote(f, values[i]);
	}
	fputs(" hook run", f);
	if (o->uefi_log) {
		fputs(" --uefi-log ", f);
		r |= sh_quote(f, o->uefi_log);
	}
	fputs(" -- \"$@\"\n", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	if (r < 0)
		return vt_log_errno(EINVAL, "hook: a path or value holds a newline");
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int launch_hook_install(const struct launch_hook_opts *o, char **ret_path)
{
	_cleanup_(freep) char *path = NULL, *script = NULL;
	size_t len;
	int r;

	r = hook_path(o->hooks_dir, o->drop_in, true, &path);
	if (r < 0)
		return r;
	r = hook_owner(path);
	if (r < 0)
		return r;
	r = launch_hook_script(o, &script, &len);
	if (r < 0)
		return r;
	r = vt_write_file_atomic(path, script, len, 0755);
	if (r < 0)
		return r;
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

int launch_hook_uninstall(const char *hooks_dir, bool drop_in, char **ret_path)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = hook_path(hooks_dir, drop_in, false, &path);
	if (r < 0)
		return r;
	r = hook_owner(path);
	if (r < 0)
		return r;
	if (r == 0)
		return vt_log_errno(ENOENT, "'%s': no vmtrust hook installed", path);
	if (unlink(path) < 0)
		return vt_log_errno(errno, "cannot remove '%s': %s", path, strerror(errno));
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

int launch_hook_installed(const char *hooks_dir, bool drop_in)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = hook_path(hooks_dir, drop_in, false, &path);
	if (r < 0)
		return r;
	return hook_owner(path);
}
