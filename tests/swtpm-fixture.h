/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private swtpm for one test: a real TPM 2.0 on a free loopback port pair
 * with a fresh state directory, killed with the test process however that
 * ends (PR_SET_PDEATHSIG). Messages go to stderr; this is test code.
 *
 *	struct swtpm_fixture f;
 *	ck_assert_int_eq(swtpm_fixture_start(&f), 0);
 *	... attest_ctx_new(&ctx, f.tcti) ...
 *	swtpm_fixture_stop(&f);
 *
 * The swtpm binary is found in PATH, or named by $SWTPM.
 */
#ifndef VMTRUST_SWTPM_FIXTURE_H
#define VMTRUST_SWTPM_FIXTURE_H

#include <limits.h>
#include <sys/types.h>

struct swtpm_fixture {
	pid_t pid;              /* -1 when not running */
	int port;               /* TPM commands; the control channel is port + 1 */
	char dir[PATH_MAX];     /* state directory; "" once removed */
	char tcti[64];          /* "swtpm:host=127.0.0.1,port=P" */
};

/* Starts swtpm and waits (at most about 5 s) until it accepts connections.
 * Returns 0, or a negative errno: -ENOENT when no swtpm binary is found (a
 * broken test machine: callers fail, they do not skip), -EADDRINUSE when no
 * free port pair was found, -ETIMEDOUT when swtpm never answered, others
 * from mkdtemp/fork. On failure nothing is left running or on disk. */
int swtpm_fixture_start(struct swtpm_fixture *f);

/* Kills swtpm abruptly (SIGKILL) and reaps it, keeping the state directory:
 * for "the TPM went away" tests. Idempotent. */
void swtpm_fixture_kill(struct swtpm_fixture *f);

/* Starts swtpm again on the same state directory (a TPM reset: PCRs are
 * cleared, NV state such as the PCR allocation is kept), on the same port
 * when it is free. f->tcti is updated. Same errors as swtpm_fixture_start. */
int swtpm_fixture_restart(struct swtpm_fixture *f);

/* Kills and reaps swtpm and removes the state directory. Idempotent; safe on
 * a fixture whose start failed. */
void swtpm_fixture_stop(struct swtpm_fixture *f);

/* Removes a directory tree, errors ignored. (A failed Check test exits
 * without its teardown: swtpm dies with the test, and the next start removes
 * the state directories of test processes that are gone. A runner that
 * wants no trace at all points TMPDIR at a directory of its own.) */
void swtpm_fixture_rm_rf(const char *dir);

#endif
