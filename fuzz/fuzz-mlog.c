/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hypervisor measurement log (JSON lines): parse, describe each
 * record, replay every PCR and bank it names. */
#include <json-c/json.h>

#include "attest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	size_t n;

	if (attest_mlog_parse("fuzz", (const char *)data, size, &log) < 0)
		return 0;
	n = attest_mlog_count(log);
	for (size_t i = 0; i < n; i++) {
		const struct attest_record *rec = attest_mlog_record(log, i);
		struct json_object *o = NULL;

		if (attest_record_to_json(rec, &o) == 0) {
			(void)json_object_to_json_string(o);
			json_object_put(o);
		}
		for (size_t k = 0; k < rec->n_digests; k++) {
			uint8_t value[VT_DIGEST_MAX];

			(void)attest_mlog_replay(log, n, rec->pcr, rec->digests[k].alg, value, NULL);
		}
	}
	return 0;
}
