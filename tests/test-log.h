/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libraries' error lines, as the Check suites see them. */
#ifndef VMTRUST_TEST_LOG_H
#define VMTRUST_TEST_LOG_H

#include <stddef.h>

extern char last_error[1024];   /* the last error line logged */
extern char last_warning[1024]; /* the last warning line logged */
extern unsigned n_errors;       /* error lines logged */
extern char *all_log;           /* with test_log_capture_all(): every line, every level */
extern size_t all_log_len;

/* Empties them all and sends the libraries' log (vt_set_log) here. */
void test_log_capture(void);
/* The same, and keeps every line in all_log (for "no line holds the
 * secret" checks) until test_log_capture() or test_log_release(). */
void test_log_capture_all(void);
void test_log_release(void);
/* Forgets the errors counted so far (n_errors, last_error). */
void test_log_reset(void);

/* The call logged exactly one error, containing want; then forgets it. */
#define ck_assert_one_error(want)                                                           \
	do {                                                                                \
		ck_assert_msg(n_errors == 1, "expected one error line, got %u (last: '%s')", \
			      n_errors, last_error);                                        \
		ck_assert_msg(strstr(last_error, (want)) != NULL,                           \
			      "error '%s' does not contain '%s'", last_error, (want));      \
		test_log_reset();                                                           \
	} while (0)

#endif
