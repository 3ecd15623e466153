/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A private swtpm per test: see swtpm-fixture.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "swtpm-fixture.h"

#define PORT_FIRST 20000        /* below the usual ephemeral range 32768-60999 */
#define PORT_LAST 32000
#define START_ATTEMPTS 8
#define READY_TIMEOUT_MS 5000
#define DIR_PREFIX "vmtrust-swtpm."

/* swtpm control channel: CMD_GET_CAPABILITY, answered by 8 bytes. */
static const uint8_t ctrl_get_capability[4] = { 0, 0, 0, 1 };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
}

static bool port_free(int port)
{
	struct sockaddr_in sa = loopback(port);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static int random_port(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms();
	/* Even, so that P and P + 1 stay in range and pairs do not overlap. */
	return PORT_FIRST + (int)(v % ((PORT_LAST - PORT_FIRST) / 2)) * 2;
}

/* The swtpm binary: $SWTPM, or "swtpm" found in PATH. */
static int find_swtpm(char *out, size_t size)
{
	const char *env = getenv("SWTPM");
	const char *path = getenv("PATH");

	if (env && *env) {
		if (access(env, X_OK) < 0) {
			fprintf(stderr, "swtpm-fixture: cannot run $SWTPM '%s': %s\n", env,
				strerror(errno));
			return -ENOENT;
		}
		snprintf(out, size, "%s", env);
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		if (len > 0 && (size_t)snprintf(out, size, "%.*s/swtpm", (int)len, path) < size &&
		    access(out, X_OK) == 0)
			return 0;
		path += len;
		if (*path == ':')
			path++;
	}
	fprintf(stderr, "swtpm-fixture: cannot find 'swtpm' in PATH: install swtpm "
		"(scripts/setup.sh) or set SWTPM\n");
	return -ENOENT;
}

/* Reaps the child if it has exited; true when it is gone. */
static bool child_exited(pid_t pid, int *ret_status)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == pid || (r < 0 && errno == ECHILD)) {
		*ret_status = r == pid ? status : 0;
		return true;
	}
	return false;
}

static void kill_and_reap(pid_t pid)
{
	int status;

	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* One round trip on the control channel: swtpm is up and serving (a mere
 * connect could reach whoever else took the port). */
static bool swtpm_answers(int ctrl_port, int timeout_ms)
{
	struct sockaddr_in sa = loopback(ctrl_port);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[16];

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return false;
	if (send(fd, ctrl_get_capability, sizeof(ctrl_get_capability), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(ctrl_get_capability))
		return false;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	return recv(fd, buf, sizeof(buf), 0) > 0;
}

static void exec_swtpm(const char *bin, const struct swtpm_fixture *f, pid_t parent)
{
	char server[96], ctrl[96], state[PATH_MAX + 16];
	sigset_t all;
	int null;

	/* Die with the test process, even when it is SIGKILLed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", f->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", f->port + 1);
	snprintf(state, sizeof(state), "dir=%s", f->dir);
	execl(bin, "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl, "--flags",
	      "not-need-init,startup-clear", "--tpmstate", state, (char *)NULL);
	fprintf(stderr, "swtpm-fixture: cannot run '%s': %s\n", bin, strerror(errno));
	_exit(127);
}

/* Starts swtpm on f->port and f->dir. -EADDRINUSE when it exited early (most
 * likely it lost the port to someone else), -ETIMEDOUT when it never
 * answered. */
static int spawn(struct swtpm_fixture *f, const char *bin)
{
	pid_t parent = getpid(), pid;
	int64_t deadline;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_swtpm(bin, f, parent);

	deadline = now_ms() + READY_TIMEOUT_MS;
	for (;;) {
		if (child_exited(pid, &status)) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				return -ENOEXEC;
			return -EADDRINUSE;
		}
		if (swtpm_answers(f->port + 1, 500)) {
			f->pid = pid;
			snprintf(f->tcti, sizeof(f->tcti), "swtpm:host=127.0.0.1,port=%d", f->port);
			return 0;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	kill_and_reap(pid);
	fprintf(stderr, "swtpm-fixture: swtpm on port %d did not answer within %d ms\n", f->port,
		READY_TIMEOUT_MS);
	return -ETIMEDOUT;
}

/* Tries the current port first when keep_port, then fresh free pairs. */
static int spawn_somewhere(struct swtpm_fixture *f, bool keep_port)
{
	char bin[PATH_MAX];
	int r;

	r = find_swtpm(bin, sizeof(bin));
	if (r < 0)
		return r;
	r = -EADDRINUSE;
	for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
		if (!(keep_port && attempt == 0)) {
			int tries = 0;

			do
				f->port = random_port();
			while (!(port_free(f->port) && port_free(f->port + 1)) && ++tries < 100);
		}
		r = spawn(f, bin);
		if (r != -EADDRINUSE)
			break;
	}
	if (r == -EADDRINUSE)
		fprintf(stderr, "swtpm-fixture: swtpm failed to start on %d port pairs\n",
			START_ATTEMPTS);
	else if (r == -ENOEXEC)
		fprintf(stderr, "swtpm-fixture: cannot execute '%s'\n", bin);
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

/* A failed Check test exits without its teardown: swtpm dies with it, its
 * state directory stays. The directory names its owner, "PREFIX<pid>.XXXXXX";
 * the next start removes those whose owner is gone. */
static void sweep_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], *end;
		struct stat st;
		long pid;

		if (strncmp(de->d_name, DIR_PREFIX, strlen(DIR_PREFIX)) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + strlen(DIR_PREFIX), &end, 10);
		if (errno != 0 || pid <= 0 || *end != '.' || strlen(end) != 7)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
			swtpm_fixture_rm_rf(path);
	}
	closedir(d);
}

int swtpm_fixture_start(struct swtpm_fixture *f)
{
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	sweep_stale(tmp);
	*f = (struct swtpm_fixture){ .pid = -1 };
	snprintf(f->dir, sizeof(f->dir), "%s/" DIR_PREFIX "%d.XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(f->dir)) {
		r = -errno;
		fprintf(stderr, "swtpm-fixture: cannot create '%s': %s\n", f->dir, strerror(errno));
		f->dir[0] = '\0';
		return r;
	}
	r = spawn_somewhere(f, false);
	if (r < 0)
		swtpm_fixture_stop(f);
	return r;
}

void swtpm_fixture_kill(struct swtpm_fixture *f)
{
	if (f->pid > 0)
		kill_and_reap(f->pid);
	f->pid = -1;
}

int swtpm_fixture_restart(struct swtpm_fixture *f)
{
	swtpm_fixture_kill(f);
	if (!f->dir[0])
		return -EINVAL;
	return spawn_somewhere(f, port_free(f->port) && port_free(f->port + 1));
}

void swtpm_fixture_rm_rf(const char *dir)
{
	if (dir && *dir)
		(void)nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void swtpm_fixture_stop(struct swtpm_fixture *f)
{
	swtpm_fixture_kill(f);
	swtpm_fixture_rm_rf(f->dir);
	f->dir[0] = '\0';
}
