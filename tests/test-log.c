/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "policy.h"
#include "test-log.h"

char last_error[1024];
unsigned n_errors;

static void capture(int level, const char *msg, void *userdata)
{
	if (level <= VT_LOG_ERR) {
		snprintf(last_error, sizeof(last_error), "%s", msg);
		n_errors++;
	}
}

void test_log_capture(void)
{
	last_error[0] = '\0';
	n_errors = 0;
	vt_set_log(capture, NULL);
}
