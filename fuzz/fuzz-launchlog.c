/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The launch audit log (launches.log) and the measurement log it is
 * checked against. The input is the audit log; when it holds a line
 * "--mlog--", what follows is the measurement log. */
#include <string.h>

#include "fuzz.h"
#include "launch.h"

#define SEPARATOR "--mlog--\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *sep;
	size_t len = size;

	sep = memmem(text, size, SEPARATOR, strlen(SEPARATOR));
	if (sep) {
		len = (size_t)(sep - text);
		sep += strlen(SEPARATOR);
	}
	(void)launch_audit_verify("fuzz", text, len, sep, sep ? size - len - strlen(SEPARATOR) : 0);
	return 0;
}
