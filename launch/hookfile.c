/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installing vmtrust as libvirt's qemu hook: a small shell script that
 * execs vmtrust with the settings fixed at install time (libvirtd runs
 * hooks with a scrubbed environment, so nothing may come from it). A hook
 * that is not ours is never overwritten nor removed.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

/* ---- the one rule of what a vmtrust hook is ----------------------------------- */

/* The shells a hook may name on its first line: the installer writes
 * "#!/bin/sh"; another interpreter would read the command line otherwise. */
static const char *const hook_shells[] = {
	"#!/bin/sh", "#!/bin/bash", "#!/bin/dash", "#!/usr/bin/sh", "#!/usr/bin/bash", "#!/usr/bin/dash",
};

/* A byte sh takes literally outside quotes (and not at a word's start
 * only, as '#' and '~' are not here). */
static bool sh_plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_./:=,+@%-", c));
}

#define HOOK_ARGS_MAX 32
#define HOOK_ALL_ARGS "\"$@\""

/* Splits the hook's command line into words as sh does for the installer's
 * quoting only: plain bytes, '...' (no escapes inside), \' between them,
 * and "$@" as a word of its own; anything else (variables, globs,
 * redirections, separators, other quotes) is not understood. words point
 * into buf. 0, or -EBADMSG with the reason. */
static int hook_words(const char *line, size_t len, char *buf, char *words[HOOK_ARGS_MAX],
		      size_t *ret_n, const char **why)
{
	const char *c = line, *end = line + len;
	size_t n = 0;
	char *o = buf;

	for (;;) {
		while (c < end && (*c == ' ' || *c == '\t'))
			c++;
		if (c == end)
			break;
		if (n == HOOK_ARGS_MAX)
			return *why = "too many words", -EBADMSG;
		words[n++] = o;
		if ((size_t)(end - c) >= strlen(HOOK_ALL_ARGS) &&
		    memcmp(c, HOOK_ALL_ARGS, strlen(HOOK_ALL_ARGS)) == 0) {
			o = stpcpy(o, HOOK_ALL_ARGS) + 1;
			c += strlen(HOOK_ALL_ARGS);
			if (c < end && *c != ' ' && *c != '\t')
				return *why = "\"$@\" joined to another word", -EBADMSG;
			continue;
		}
		while (c < end && *c != ' ' && *c != '\t') {
			if (*c == '\'') {
				const char *close = memchr(c + 1, '\'', (size_t)(end - c - 1));

				if (!close)
					return *why = "an unterminated quote", -EBADMSG;
				memcpy(o, c + 1, (size_t)(close - c - 1));
				o += close - c - 1;
				c = close + 1;
			} else if (*c == '\\' && c + 1 < end && c[1] == '\'') {
				*o++ = '\'';
				c += 2;
			} else if (sh_plain(*c)) {
				*o++ = *c++;
			} else {
				return *why = "shell syntax that is not the installer's", -EBADMSG;
			}
		}
		*o++ = '\0';
	}
	*ret_n = n;
	return 0;
}

/* The command: exec VMTRUST [OPTIONS] hook run [OPTIONS] -- "$@", with
 * VMTRUST an absolute path whose base name starts with "vmtrust". */
static int hook_command(const char *line, size_t len, char **ret_exe, const char **why)
{
	_cleanup_(freep) char *buf = malloc(len + 1);
	char *w[HOOK_ARGS_MAX];
	const char *base;
	size_t n = 0, h;
	int r;

	if (!buf)
		return -ENOMEM;
	r = hook_words(line, len, buf, w, &n, why);
	if (r < 0)
		return r;
	if (n < 2 || strcmp(w[0], "exec") != 0)
		return *why = "its command is not 'exec vmtrust ... hook run -- \"$@\"'", -EBADMSG;
	base = strrchr(w[1], '/');
	if (w[1][0] != '/' || strncmp(base + 1, "vmtrust", strlen("vmtrust")) != 0)
		return *why = "it does not exec vmtrust by an absolute path", -EBADMSG;
	for (h = 2; h + 1 < n && !(strcmp(w[h], "hook") == 0 && strcmp(w[h + 1], "run") == 0); h++)
		;
	if (h + 1 >= n)
		return *why = "it does not run 'vmtrust hook run'", -EBADMSG;
	if (h + 4 > n || strcmp(w[n - 2], "--") != 0 || strcmp(w[n - 1], HOOK_ALL_ARGS) != 0)
		return *why = "it does not hand libvirt's arguments over as '-- \"$@\"'", -EBADMSG;
	if (ret_exe) {
		*ret_exe = strdup(w[1]);
		if (!*ret_exe)
			return -ENOMEM;
	}
	return 0;
}

int launch_hook_parse(const char *name, const char *text, size_t len, char **ret_exe)
{
	const char *line = text, *end = text + len, *why = NULL, *cmd = NULL;
	size_t cmd_len = 0;
	unsigned lineno = 0, cmd_line = 0, why_line = 0;
	bool marker = false, shell = false;
	int r;

	if (memchr(text, '\0', len))
		return 0;
	for (; line < end; lineno++) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
		size_t lead = 0;

		while (lead < ll && (line[lead] == ' ' || line[lead] == '\t'))
			lead++;
		if (lineno == 0) {
			for (size_t i = 0; i < ELEMENTSOF(hook_shells); i++)
				shell = shell || (ll == strlen(hook_shells[i]) &&
						  memcmp(line, hook_shells[i], ll) == 0);
		} else if (ll == strlen(LAUNCH_HOOK_MARKER) && memcmp(line, LAUNCH_HOOK_MARKER, ll) == 0) {
			marker = true;
		} else if (lead < ll && line[lead] != '#') {
			/* One command: any other could exit before it or after it
			 * (exec does not return), or change what it runs. */
			if (!cmd) {
				cmd = line, cmd_len = ll, cmd_line = lineno + 1;
			} else if (!why) {
				why = "a command besides the exec of vmtrust";
				why_line = lineno + 1;
			}
		}
		line += ll + 1;
	}
	if (!marker)
		return 0;
	if (!shell) {
		why = "its first line is not '#!/bin/sh' (or bash, dash)";
		why_line = 1;
	} else if (!why && !cmd) {
		why = "no command";
	} else if (!why) {
		r = hook_command(cmd, cmd_len, ret_exe, &why);
		if (r == -ENOMEM)
			return r;
		why_line = cmd_line;
	}
	if (why)
		return vt_log_errno(EBADMSG, "'%s' is a vmtrust hook that does not run 'vmtrust hook run'%s%.0u: %s",
				    name, why_line ? ": line " : "", why_line, why);
	return 1;
}

/* The installer's paths: HOOKS_DIR/qemu, or HOOKS_DIR/qemu.d/vmtrust. */
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

/* 1: ours (lenient: any file with the marker, which the installer may
 * overwrite and remove; strict: one that also runs vmtrust's hook), 0:
 * absent, -EPERM (logged): someone else's; strict, -EBADMSG (logged): ours,
 * broken. */
static int hook_owner(const char *path, bool strict)
{
	_cleanup_(freep) char *text = NULL;
	char why[256];
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
	r = vt_read_file(path, LAUNCH_HOOK_FILE_MAX, &text, &len);
	if (r == -EFBIG)
		return vt_log_errno(EPERM, "'%s' is not a vmtrust hook: left alone", path);
	if (r < 0)
		return r;
	if (strict) {
		r = launch_hook_parse(path, text, len, NULL);
	} else {
		VT_LOG_CAPTURE_SCOPE(why, sizeof(why));
		r = launch_hook_parse(path, text, len, NULL);
		if (r == -EBADMSG)
			r = 1;
	}
	if (r == 0)
		return vt_log_errno(EPERM, "'%s' is another program's hook: left alone", path);
	return r;
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
	r = hook_owner(path, false);
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
	r = hook_owner(path, false);
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
	return hook_owner(path, true);
}
