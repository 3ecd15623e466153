/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A file of signed PCR policies (`vmtrust disk` PolicyAuthorize'd keys). */
#include "diskcrypt-internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(dc_pcr_policies_freep) struct dc_pcr_policies *p = NULL;

	(void)dc_pcr_policies_parse("fuzz", (const char *)data, size, &p);
	return 0;
}
