/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libraries' error lines, as the Check suites see them. */
#ifndef VMTRUST_TEST_LOG_H
#define VMTRUST_TEST_LOG_H

extern char last_error[1024];   /* the last error line logged */
extern unsigned n_errors;       /* error lines logged */

/* Empties both and sends the libraries' log (vt_set_log) here. */
void test_log_capture(void);

#endif
