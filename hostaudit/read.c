/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading below the audited root: every input a regular file of bounded
 * size (never a FIFO or a device), a directory listed up to a bound; a
 * fault is the reason of an unknown check, not an error. And the evidence
 * buffer the checks write into. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostaudit-internal.h"

/* ---- the evidence buffer ------------------------------------------------------- */

int ha_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void ha_sb_add(struct sb *b, const char *fmt, ...)
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
struct sb *ha_sb_part(struct sb *b)
{
	if (b->len)
		ha_sb_add(b, "; ");
	return b;
}

/* Puts first in front of what ev holds: the failure first. */
void ha_sb_lead(struct sb *ev, const struct sb *first)
{
	struct sb out = { .len = 0 };

	ha_sb_add(&out, "%s", first->buf);
	if (ev->len)
		ha_sb_add(&out, "; %s", ev->buf);
	*ev = out;
}

/* Trims trailing white space and NULs (sysfs values end in "\n"). */
void ha_rstrip(char *s, size_t *len)
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

int ha_join(const struct run *run, const char *rel, char out[PATH_MAX])
{
	int n = ha_snprintf(out, PATH_MAX, "%s%s", run->root, rel);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* stat of ROOT/rel; on failure, the reason. */
int ha_stat_input(const struct run *run, const char *rel, struct stat *st, char *reason,
		      size_t size)
{
	char path[PATH_MAX];

	if (ha_join(run, rel, path) < 0) {
		ha_snprintf(reason, size, "cannot read '%s%s': path too long", run->root, rel);
		return -ENAMETOOLONG;
	}
	if (stat(path, st) < 0) {
		int r = -errno;

		ha_snprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	return 0;
}

/* 1 when ROOT/rel is a directory, 0 when it is something else, -errno
 * with the reason when it cannot be seen. */
int ha_is_dir(const struct run *run, const char *rel, char *reason, size_t size)
{
	struct stat st;
	int r = ha_stat_input(run, rel, &st, reason, size);

	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode)) {
		ha_snprintf(reason, size, "'%s%s' is not a directory", run->root, rel);
		return 0;
	}
	return 1;
}

/* Reads ROOT/rel, a regular file of at most max bytes. A fault is no error
 * of the audit but the reason of an unknown check: vt_read_file's
 * message is captured into reason instead of being logged as an error. */
int ha_read_input(const struct run *run, const char *rel, size_t max, char **ret,
		      size_t *ret_len, char *reason, size_t size)
{
	char path[PATH_MAX];
	struct stat st;
	int r = ha_stat_input(run, rel, &st, reason, size);

	if (r < 0)
		return r;
	(void)ha_join(run, rel, path);
	if (S_ISDIR(st.st_mode)) {
		ha_snprintf(reason, size, "cannot read '%s': is a directory", path);
		return -EISDIR;
	}
	/* Never open a FIFO or a device: it could block or have side effects. */
	if (!S_ISREG(st.st_mode)) {
		ha_snprintf(reason, size, "cannot read '%s': not a regular file", path);
		return -EINVAL;
	}
	{
		VT_LOG_CAPTURE_SCOPE(reason, size);
		r = vt_read_file(path, max, ret, ret_len);
	}
	return r;
}

void ha_read_text(const struct run *run, const char *rel, size_t max, struct text *t)
{
	t->err = ha_read_input(run, rel, max, &t->data, &t->len, t->reason, sizeof(t->reason));
}

/* Names in ROOT/rel, sorted, without "." and "..": a NULL-terminated list
 * for attest_strv_free(). */
int ha_list_dir(const struct run *run, const char *rel, char ***ret, size_t *ret_n,
		    char *reason, size_t size)
{
	char path[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (ha_join(run, rel, path) < 0) {
		ha_snprintf(reason, size, "cannot read '%s%s': path too long", run->root, rel);
		return -ENAMETOOLONG;
	}
	d = opendir(path);
	if (!d) {
		r = -errno;
		ha_snprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
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
			ha_snprintf(reason, size, "cannot read '%s': more than %u entries", path,
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
		ha_snprintf(reason, size, "cannot read '%s': %s", path, strerror(-r));
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

