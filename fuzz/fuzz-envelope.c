/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DSSE envelope (an image manifest file), and its payload's
 * pre-authentication encoding as signature checking builds it. */
#include <stdlib.h>

#include "fuzz.h"
#include "imgverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *e = NULL;
	uint8_t *pae = NULL;
	size_t pae_len;

	if (imgverify_envelope_parse("fuzz", (const char *)data, size, &e) < 0)
		return 0;
	if (imgverify_dsse_pae(e->payload_type, e->payload, e->payload_len, &pae, &pae_len) == 0)
		free(pae);
	return 0;
}
