/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded reads of a descriptor into the caller's buffer: a pipe, stdin, a
 * PIN file, a header at an offset. What was read is wiped on every path
 * that fails, so that a secret read halfway never stays behind. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* Reads until end of file or until size bytes are in buf: from the file
 * position, or with pread() from off when at is set. */
static int read_loop(int fd, void *buf, size_t size, bool at, uint64_t off, size_t *ret_len)
{
	uint8_t *p = buf;
	size_t len = 0;

	while (len < size) {
		ssize_t n = at ? pread(fd, p + len, size - len, (off_t)(off + len)) : read(fd, p + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			explicit_bzero(buf, len);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	return 0;
}

int vt_read_all(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	int r;

	if (size == 0)
		return -EINVAL;
	r = read_loop(fd, buf, size, false, 0, &len);
	if (r < 0)
		return r;
	if (len == size) {
		explicit_bzero(buf, size);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret_len = len;
	return 0;
}

int vt_pread_full(int fd, void *buf, size_t size, uint64_t off, size_t *ret_len)
{
	return read_loop(fd, buf, size, true, off, ret_len);
}
