/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A host-audit result in its canonical JSON form, as a verifier receives
 * it: parse, judge without a policy, write back, and parse what was written
 * (which must succeed). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hostaudit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL, *again = NULL;
	_cleanup_(freep) char *json = NULL;
	const struct attest_audit_check *checks;
	size_t n;

	if (attest_audit_parse("fuzz", (const char *)data, size, &a) < 0)
		return 0;
	checks = attest_audit_checks(a, &n);
	for (size_t i = 0; i < n; i++)
		(void)attest_audit_find(a, checks[i].id);
	(void)hostaudit_ok(a, NULL);
	if (attest_audit_to_json(a, &json) < 0)
		return 0;
	if (attest_audit_parse("fuzz (written back)", json, strlen(json), &again) < 0)
		abort();
	return 0;
}
