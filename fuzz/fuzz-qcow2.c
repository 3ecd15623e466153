/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first bytes of an image file. The input is the file's prefix; the
 * file is taken to end right after it (where offsets in the header point
 * past the end), and to be much longer (where they point into it). */
#include "fuzz.h"
#include "imgverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint64_t file_sizes[] = { size, (uint64_t)size + (1u << 20), IMGVERIFY_SIZE_MAX };

	for (size_t i = 0; i < ELEMENTSOF(file_sizes); i++) {
		struct imgverify_header h;

		(void)imgverify_header_parse("fuzz", data, size, file_sizes[i], &h);
	}
	return 0;
}
