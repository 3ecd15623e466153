/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evidence JSON, as a verifier receives it: parse, write back, and parse
 * what was written (which must succeed). */
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL, *again = NULL;
	_cleanup_(freep) char *json = NULL;

	if (attest_evidence_parse("fuzz", (const char *)data, size, &e) < 0)
		return 0;
	if (attest_evidence_to_json(e, &json) < 0)
		return 0;
	if (attest_evidence_parse("fuzz (written back)", json, strlen(json), &again) < 0)
		abort();
	return 0;
}
