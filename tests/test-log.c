/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "test-log.h"

char last_error[1024];
char last_warning[1024];
unsigned n_errors;
char *all_log;
size_t all_log_len;
static bool keep_all;

static void keep_line(const char *msg)
{
	size_t len = strlen(msg);
	char *p = realloc(all_log, all_log_len + len + 2);

	if (!p)
		return;
	all_log = p;
	memcpy(all_log + all_log_len, msg, len);
	all_log[all_log_len + len] = '\n';
	all_log_len += len + 1;
	all_log[all_log_len] = '\0';
}

static void capture(int level, const char *msg, void *userdata)
{
	if (keep_all)
		keep_line(msg);
	if (level == VT_LOG_WARNING)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	if (level <= VT_LOG_ERR) {
		snprintf(last_error, sizeof(last_error), "%s", msg);
		n_errors++;
	}
}

void test_log_reset(void)
{
	last_error[0] = '\0';
	n_errors = 0;
}

void test_log_release(void)
{
	free(all_log);
	all_log = NULL;
	all_log_len = 0;
	keep_all = false;
}

void test_log_capture(void)
{
	test_log_release();
	test_log_reset();
	last_warning[0] = '\0';
	vt_set_log(capture, NULL);
}

void test_log_capture_all(void)
{
	test_log_capture();
	keep_all = true;
}
