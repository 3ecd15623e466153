/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test helper, preloaded (LD_PRELOAD) into vmtrust by tests/cli-image.sh
 * so that a test acts at a known point inside a verification, without
 * sleeping: the first pread at or past byte VMTRUST_PAUSE_OFFSET (default
 * 1 MiB, past every header: a hashing read) writes one byte to the FIFO
 * $VMTRUST_PAUSE_DIR/paused and then waits for one byte on
 * $VMTRUST_PAUSE_DIR/resume before it reads. Without VMTRUST_PAUSE_DIR it
 * only reads. With VMTRUST_PAUSE_AT=exec it pauses in execve instead, once
 * everything is verified and before the program (qemu) runs. With
 * VMTRUST_PAUSE_AT=ticket it pauses in the rename that puts a launch ticket
 * in place (`vmtrust launch DOMAIN`): everything is verified, the
 * descriptors are held, libvirt has not been told anything yet. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_flag paused_once = ATOMIC_FLAG_INIT;

static void handshake(const char *dir)
{
	char path[PATH_MAX], c = 'p';
	int fd;

	snprintf(path, sizeof(path), "%s/paused", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, &c, 1) != 1)
		abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/resume", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort();
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	close(fd);
}

static bool pause_at(const char *where)
{
	const char *at = getenv("VMTRUST_PAUSE_AT");

	return at && !strcmp(at, where);
}

static bool at_exec(void)
{
	return pause_at("exec");
}

static void maybe_pause(off_t off)
{
	const char *dir = getenv("VMTRUST_PAUSE_DIR"), *at = getenv("VMTRUST_PAUSE_OFFSET");
	long long from = at ? atoll(at) : 1 << 20;

	if (dir && !getenv("VMTRUST_PAUSE_AT") && off >= from && !atomic_flag_test_and_set(&paused_once))
		handshake(dir);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	static int (*real)(const char *, char *const[], char *const[]);
	const char *dir = getenv("VMTRUST_PAUSE_DIR");

	if (!real)
		real = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	if (dir && at_exec() && !atomic_flag_test_and_set(&paused_once))
		handshake(dir);
	return real(path, argv, envp);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (!real)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
	maybe_pause(off);
	return real(fd, buf, count, off);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	return pread(fd, buf, count, off);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *dir = getenv("VMTRUST_PAUSE_DIR");

	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (dir && pause_at("ticket") && strstr(to, "/launch-tickets/") && !atomic_flag_test_and_set(&paused_once))
		handshake(dir);
	return real(from, to);
}
