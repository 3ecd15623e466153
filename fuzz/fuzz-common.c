/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

static void discard(int level, const char *msg, void *userdata)
{
	/* Read the message once, so that a string the library formatted
	 * from unterminated input shows up here. */
	volatile size_t n = strlen(msg);

	(void)n;
}

static void print(int level, const char *msg, void *userdata)
{
	fprintf(stderr, "vmtrust: %s\n", msg);
}

/* VMTRUST_FUZZ_LOG=1 prints the messages, to see why an input (a seed, a
 * crash) is refused. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("VMTRUST_FUZZ_LOG");

	vt_set_log(e && *e && strcmp(e, "0") != 0 ? print : discard, NULL);
	return 0;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
