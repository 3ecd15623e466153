/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Handing a released key to its consumer without touching a disk: a pipe
 * or socket (raw, or base64 for QEMU's secret objects), or the kernel
 * keyring. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>
#include <openssl/evp.h>

#include "diskcrypt-internal.h"

int diskcrypt_write_key(int fd, const struct diskcrypt_secret *key, bool base64)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *b64 = NULL;
	const uint8_t *p;
	size_t left;
	struct stat st;
	int r;

	if (!key || diskcrypt_secret_size(key) == 0)
		return vt_log_errno(EINVAL, "cannot hand the key over: no key");
	if (fd < 0 || fstat(fd, &st) < 0)
		return vt_log_errno(EBADF, "cannot hand the key over: file descriptor %d is not open", fd);
	if (isatty(fd))
		return vt_log_errno(EINVAL, "refusing to write a key to a terminal (file descriptor %d): "
					"give a pipe", fd);
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return vt_log_errno(EINVAL, "refusing to write a key to file descriptor %d: %s, not a pipe "
					"or a socket", fd,
					S_ISREG(st.st_mode) ? "a regular file" : "another kind of file");

	p = diskcrypt_secret_data(key);
	left = diskcrypt_secret_size(key);
	if (base64) {
		size_t len = 4 * ((left + 2) / 3);

		r = diskcrypt_secret_new(len + 1, &b64);
		if (r < 0)
			return r;
		EVP_EncodeBlock(dc_secret_mut(b64), p, (int)left);
		p = diskcrypt_secret_data(b64);
		left = len;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			return vt_log_errno(EPIPE, "cannot hand the key over: the reader closed the pipe");
		if (n < 0)
			return vt_log_errno(errno, "cannot hand the key over: %s", strerror(errno));
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

int diskcrypt_keyring_add(const struct diskcrypt_secret *key, const char *description,
			  const char *keyring, int32_t *ret_serial)
{
	static const struct {
		const char *name, *alias;
		int32_t id;
	} rings[] = {
		{ "user", "@u", KEY_SPEC_USER_KEYRING },
		{ "session", "@s", KEY_SPEC_SESSION_KEYRING },
		{ "process", "@p", KEY_SPEC_PROCESS_KEYRING },
		{ "thread", "@t", KEY_SPEC_THREAD_KEYRING },
	};
	int32_t ring = 0;
	long serial;

	if (!key || !description || !*description || strlen(description) > 4095)
		return vt_log_errno(EINVAL, "cannot add the key to the keyring: no description");
	if (!keyring)
		keyring = "user";
	for (size_t i = 0; i < ELEMENTSOF(rings); i++)
		if (strcmp(keyring, rings[i].name) == 0 || strcmp(keyring, rings[i].alias) == 0)
			ring = rings[i].id;
	if (!ring)
		return vt_log_errno(EINVAL, "unknown keyring '%s': user, session, process or thread", keyring);
	serial = syscall(SYS_add_key, "user", description, diskcrypt_secret_data(key),
			 diskcrypt_secret_size(key), ring);
	if (serial < 0)
		return vt_log_errno(errno, "cannot add key '%s' to the %s keyring: %s", description,
					keyring, strerror(errno));
	if (ret_serial)
		*ret_serial = (int32_t)serial;
	return 0;
}
