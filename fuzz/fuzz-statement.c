/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-toto Statement of an image manifest (a DSSE payload). */
#include "fuzz.h"
#include "imgverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;

	(void)imgverify_statement_parse("fuzz", (const char *)data, size, &m);
	return 0;
}
