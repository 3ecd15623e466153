/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --key's companions for the verbs that sign (image sign, policy sign,
 * disk sign-pcr-policy): --pin-file, --pkcs11-module, and the PIN asked
 * for when a hardware key needs one: from the file or pipe, else from the
 * terminal without echo. Never from argv or the environment. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "policy.h"

/* "/dev/fd/N", "/proc/self/fd/N", "/dev/stdin": the descriptor itself
 * (those are symbolic links, which the PIN file may not be otherwise). */
static int pin_fd(const char *path)
{
	const char *n = NULL;
	uint64_t fd;

	if (strcmp(path, "/dev/stdin") == 0)
		n = "0";
	else if (strncmp(path, "/dev/fd/", 8) == 0)
		n = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		n = path + 14;
	if (!n || !*n)
		return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (cli_parse_range(n, 0, INT_MAX, &fd) < 0) {
		errno = ENOENT;
		return -1;
	}
	return fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
}

static int pin_from_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0, line;
	int r;

	/* A FIFO or /dev/fd/N blocks here until the writer comes. */
	fd = pin_fd(path);
	if (fd < 0 && errno == ELOOP)
		return vt_log_errno(ELOOP, "cannot read pin file '%s': a symbolic link", path);
	if (fd < 0)
		return vt_log_errno(errno, "cannot read pin file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot read pin file '%s': %s", path, strerror(errno));
	/* A file others may read holds no secret; a pipe, FIFO or device
	 * (a descriptor handed over) has no such mode to check. */
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return vt_log_errno(EACCES, "cannot read pin file '%s': group or others may read or write it (chmod 600)",
					path);
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISSOCK(st.st_mode))
		return vt_log_errno(EINVAL, "cannot read pin file '%s': not a file, a pipe or a device", path);
	r = vt_read_all(fd, buf, size, &len);
	if (r == -EFBIG)
		return vt_log_errno(EFBIG, "cannot read pin file '%s': longer than %zu bytes", path,
					size - 1);
	if (r < 0)
		return vt_log_errno(-r, "cannot read pin file '%s': %s", path, strerror(-r));
	/* Exactly the first line: after it, only line ends. */
	line = strcspn(buf, "\n");
	if (line > len)
		line = len;
	for (size_t i = line; i < len; i++)
		if (buf[i] != '\n' && buf[i] != '\r')
			return vt_log_errno(EINVAL, "cannot read pin file '%s': more than one line", path);
	len = line;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || strlen(buf) != len)
		return vt_log_errno(EINVAL, "cannot read pin file '%s': no PIN on its first line", path);
	return (int)len;
}

/* The terminal's state while echo is off, for the signal handler. */
static volatile sig_atomic_t tty_signal;

static void on_tty_signal(int sig)
{
	tty_signal = sig;
}

static int pin_from_tty(const char *what, char *buf, size_t size)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction act = { .sa_handler = on_tty_signal }, old_act[ELEMENTSOF(sigs)];
	_cleanup_close_ int fd = -1;
	struct termios old, quiet;
	ssize_t n;
	size_t len;
	char c;
	int sig;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || tcgetattr(fd, &old) < 0)
		return vt_log_errno(EACCES, "cannot use %s: no terminal to ask for its PIN", what);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* A signal (Ctrl-C, Ctrl-Z, a kill) interrupts the read (no
	 * SA_RESTART): echo comes back before the signal takes its course. */
	sigemptyset(&act.sa_mask);
	for (;;) {
		tty_signal = 0;
		for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
			(void)sigaction(sigs[i], &act, &old_act[i]);
		len = 0;
		n = 0;
		/* Echo off before the prompt: what is typed after it is never shown. */
		if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0 || dprintf(fd, "PIN for %s: ", what) < 0)
			n = -1;
		else
			while (!tty_signal && (n = read(fd, &c, 1)) == 1 && c != '\n') {
				if (len + 1 < size)
					buf[len++] = c;
			}
		c = 0;
		buf[len] = '\0';
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		(void)!write(fd, "\n", 1);
		for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
			(void)sigaction(sigs[i], &old_act[i], NULL);
		sig = tty_signal;
		if (!sig)
			break;
		OPENSSL_cleanse(buf, size);
		/* the signal now, with the caller's disposition: stopped, the
		 * prompt comes again when continued; killed, the terminal is sane */
		(void)raise(sig);
		if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
			return vt_log_errno(EINTR, "cannot use %s: interrupted at the PIN prompt", what);
	}
	if (n < 0 || len == 0)
		return vt_log_errno(EACCES, "cannot use %s: no PIN read from the terminal", what);
	return (int)len;
}

static int get_pin(const char *what, char *buf, size_t size, void *userdata)
{
	struct cli_key *k = userdata;
	int r;

	if (k->pin_file)
		r = pin_from_file(k->pin_file, buf, size);
	else if (isatty(STDIN_FILENO))
		r = pin_from_tty(what, buf, size);
	else
		r = vt_log_errno(EACCES, "cannot use %s: it needs a PIN: give --pin-file FILE or run on a terminal",
				     what);
	if (r < 0)
		OPENSSL_cleanse(buf, size);
	return r;
}

void cli_key_init(struct cli_key *k, const struct cli_ctx *ctx)
{
	*k = (struct cli_key){ .opts = { .get_pin = get_pin, .userdata = k } };
	/* A process that holds a key or a PIN leaves no core dump. Best
	 * effort: a failure leaves signing possible, as it was. */
	(void)cli_no_core_dump();
	/* tpm2-openssl takes its TPM from the environment: vmtrust's --tcti
	 * unless the caller chose one for the provider. Not a secret. */
	if (ctx && ctx->tcti && !getenv("TPM2OPENSSL_TCTI"))
		(void)setenv("TPM2OPENSSL_TCTI", ctx->tcti, 0);
}

int cli_key_option(struct cli_key *k, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_KEY:
		k->path = arg;
		return 1;
	case CLI_OPT_PIN_FILE:
		k->pin_file = arg;
		return 1;
	case CLI_OPT_PKCS11_MODULE:
		k->opts.pkcs11_module = arg;
		return 1;
	default:
		return 0;
	}
}
