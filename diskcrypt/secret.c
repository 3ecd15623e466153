/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secret buffers: key material in its own mapping, locked in RAM, left out
 * of core dumps, zeroed in children after fork, wiped before unmapping. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "diskcrypt-internal.h"

#define SECRET_SIZE_MAX (2 * DISKCRYPT_PASSPHRASE_MAX)

struct diskcrypt_secret {
	uint8_t *data;
	size_t size;
	size_t map_len;
};

int diskcrypt_secret_new(size_t size, struct diskcrypt_secret **ret)
{
	struct diskcrypt_secret *s;
	long page = sysconf(_SC_PAGESIZE);
	size_t map_len;
	void *p;

	if (size == 0 || size > SECRET_SIZE_MAX)
		return vt_log_errno(EINVAL, "cannot allocate a secret of %zu bytes: 1 to %d allowed",
					size, SECRET_SIZE_MAX);
	if (page <= 0)
		page = 4096;
	map_len = (size + (size_t)page - 1) / (size_t)page * (size_t)page;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(s);
		return vt_log_errno(ENOMEM, "cannot map memory for a secret: %s", strerror(errno));
	}
	/* Out of core dumps and wiped for a child after fork: neither may fail
	 * silently, or the key could reach a dump or a helper process. */
	if (madvise(p, map_len, MADV_DONTDUMP) < 0 || madvise(p, map_len, MADV_WIPEONFORK) < 0) {
		int err = errno;

		munmap(p, map_len);
		free(s);
		return vt_log_errno(err, "cannot keep a secret out of core dumps: madvise: %s",
					strerror(err));
	}
	if (mlock(p, map_len) < 0) {
		int err = errno;

		munmap(p, map_len);
		free(s);
		return vt_log_errno(ENOMEM,
					"cannot lock a secret in memory: mlock: %s (raise RLIMIT_MEMLOCK)",
					strerror(err));
	}
	s->data = p;
	s->size = size;
	s->map_len = map_len;
	*ret = s;
	return 0;
}

void diskcrypt_secret_free(struct diskcrypt_secret *s)
{
	if (!s)
		return;
	if (s->data) {
		OPENSSL_cleanse(s->data, s->map_len);
		munlock(s->data, s->map_len);
		munmap(s->data, s->map_len);
	}
	free(s);
}

const uint8_t *diskcrypt_secret_data(const struct diskcrypt_secret *s)
{
	return s ? s->data : NULL;
}

size_t diskcrypt_secret_size(const struct diskcrypt_secret *s)
{
	return s ? s->size : 0;
}

uint8_t *dc_secret_mut(struct diskcrypt_secret *s)
{
	return s->data;
}

void dc_secret_set_size(struct diskcrypt_secret *s, size_t size)
{
	if (size < s->size)
		OPENSSL_cleanse(s->data + size, s->size - size);
	if (size <= s->map_len)
		s->size = size;
}

/* N for "/dev/fd/N" or "/proc/self/fd/N" (a pipe from the shell's <(...)),
 * else -1: such a path is used through the descriptor itself, which still
 * works once the process is no longer dumpable and /proc/self is root's. */
static int inherited_fd(const char *path)
{
	const char *n = NULL;
	char *end;
	long v;

	if (strncmp(path, "/dev/fd/", 8) == 0)
		n = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		n = path + 14;
	if (!n || *n < '0' || *n > '9')
		return -1;
	errno = 0;
	v = strtol(n, &end, 10);
	if (errno || *end || v > INT32_MAX || fcntl((int)v, F_GETFD) < 0)
		return -1;
	return (int)v;
}

int diskcrypt_secret_read(const char *path, struct diskcrypt_secret **ret)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *s = NULL;
	_cleanup_close_ int fd = -1;
	const char *name = path && strcmp(path, "-") != 0 ? path : "standard input";
	struct stat st;
	size_t len = 0;
	int inherited, r;

	if (!path || !*path)
		return vt_log_errno(EINVAL, "cannot read a key file: no path given");
	if (strcmp(path, "-") == 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	else if ((inherited = inherited_fd(path)) >= 0)
		fd = fcntl(inherited, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vt_log_errno(errno, "cannot open key file '%s': %s", name, strerror(errno));
	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot read key file '%s': %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vt_log_errno(EISDIR, "cannot read key file '%s': is a directory", name);
	if (S_ISREG(st.st_mode) && st.st_size > DISKCRYPT_PASSPHRASE_MAX)
		return vt_log_errno(EFBIG, "cannot read key file '%s': %lld bytes, at most %d allowed",
					name, (long long)st.st_size, DISKCRYPT_PASSPHRASE_MAX);

	/* One byte of room beyond the limit tells an oversized pipe apart. */
	r = diskcrypt_secret_new(DISKCRYPT_PASSPHRASE_MAX + 1, &s);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = read(fd, s->data + len, s->size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vt_log_errno(errno, "cannot read key file '%s': %s", name, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DISKCRYPT_PASSPHRASE_MAX)
			return vt_log_errno(EFBIG, "cannot read key file '%s': more than %d bytes",
						name, DISKCRYPT_PASSPHRASE_MAX);
	}
	if (len == 0)
		return vt_log_errno(ENOMSG, "cannot read key file '%s': it is empty", name);
	dc_secret_set_size(s, len);
	*ret = TAKE_PTR(s);
	return 0;
}
