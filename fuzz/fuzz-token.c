/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A vmtrust-tpm2 LUKS token (JSON from a LUKS2 header or the LUKS1 side
 * file): parse, write back, and parse what was written (which must
 * succeed). */
#include <stdlib.h>

#include "diskcrypt-internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *json = fuzz_strndup(data, size), *out = NULL;
	struct dc_token t, again;

	if (dc_token_from_json("fuzz", json, &t) < 0)
		return 0;
	if (dc_token_to_json(&t, &out) == 0) {
		if (dc_token_from_json("fuzz (written back)", out, &again) < 0)
			abort();
		dc_token_clear(&again);
	}
	dc_token_clear(&t);
	return 0;
}
