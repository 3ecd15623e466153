/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hypervisor measurement log (JSON lines): parse, describe each
 * record, replay every PCR and bank it names; and as the verifier reads
 * it: parsed with the binding deferred, then bound and judged bank by
 * bank. A log the full parse takes binds in every bank. */
#include <errno.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "attest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL, *deferred = NULL;
	const struct vt_hash_alg *algs;
	size_t n, n_algs;
	int r = attest_mlog_parse("fuzz", (const char *)data, size, &log);

	if (attest_mlog_parse_flags("fuzz", (const char *)data, size, ATTEST_MLOG_DEFER_BINDING,
				    &deferred) == 0) {
		algs = vt_hash_algs(&n_algs);
		for (size_t b = 0; b < n_algs; b++) {
			int bound = attest_mlog_bind_bank(deferred, &algs[b]);
			uint8_t value[VT_DIGEST_MAX] = { 0 };

			if (r == 0 && bound < 0 && bound != -ENOMEM)
				abort();
			if (bound == 0 && attest_mlog_count(deferred) > 0)
				(void)attest_mlog_judge(deferred, attest_mlog_record(deferred, 0)->pcr,
							&algs[b], value, NULL);
		}
	} else if (r == 0) {
		abort();        /* the deferred parse refuses what the full one takes */
	}
	if (r < 0)
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
