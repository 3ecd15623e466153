/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded reads and atomic writes of whole files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "common-internal.h"

void vt_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

int vt_read_fd(int fd, const char *path, size_t max_size, char **ret_data, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vt_log_errno(EISDIR, "cannot read '%s': is a directory", path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_size)
		return vt_log_errno(EFBIG, "cannot read '%s': %lld bytes exceed the limit of %zu",
					path, (long long)st.st_size, max_size);

	/* Sysfs files report size 0 or 4096: read until EOF, bounded. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nbuf;

			if (cap > max_size + 1)
				return vt_log_errno(EFBIG, "cannot read '%s': larger than the limit of %zu bytes",
							path, max_size);
			nbuf = realloc(buf, ncap);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vt_log_errno(errno, "cannot read '%s': %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_size)
			return vt_log_errno(EFBIG, "cannot read '%s': larger than the limit of %zu bytes",
						path, max_size);
	}
	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int vt_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vt_log_errno(errno, "cannot open '%s': %s", path, strerror(errno));
	return vt_read_fd(fd, path, max_size, ret_data, ret_len);
}

/* The length of a valid UTF-8 sequence at s (at most n bytes) that may be
 * shown as it is, or 0: invalid, overlong, a surrogate, beyond U+10FFFF,
 * or a code point that moves text around or breaks lines (C1 controls,
 * U+2028/U+2029, bidirectional formatting), which is escaped as \u and four hex digits. */
int vt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	_cleanup_(freep) char *tmp = NULL, *dircopy = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	const uint8_t *p = data;
	int r;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vt_log_errno(errno, "cannot create a temporary file for '%s': %s", path,
					strerror(errno));
	if (fchmod(fd, mode) < 0) {
		r = vt_log_errno(errno, "cannot set the mode of '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = vt_log_errno(n < 0 ? errno : EIO, "cannot write '%s': %s", path,
					     strerror(n < 0 ? errno : EIO));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		r = vt_log_errno(errno, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = vt_log_errno(errno, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	dircopy = strdup(path);
	if (dircopy) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}

int vt_append(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			struct stat st;

			if (done > 0 && fstat(fd, &st) == 0)
				(void)!ftruncate(fd, st.st_size - (off_t)done);
			return -err;
		}
		done += (size_t)n;
	}
	return fsync(fd) < 0 ? -errno : 0;
}
