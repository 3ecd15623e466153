/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UEFI event log: parse, then everything a verifier or `vmtrust attest
 * eventlog` does with a parsed log (describe, replay, Secure Boot): the
 * parse with the data checks (`attest eventlog`) and without (the
 * verifier), which must agree on the log, and the one replay, whole and of
 * the PCRs a quote asks for, which must agree on those. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_eventlog_freep) struct attest_eventlog *log = NULL, *fast = NULL;
	struct policy_pcr_value *values = NULL;
	const struct attest_event *events;
	size_t n_events, n_values, n_algs;
	int r = attest_eventlog_parse("fuzz", data, size, &log);

	if ((attest_eventlog_parse_flags("fuzz", data, size, ATTEST_EVENTLOG_NO_DATA_CHECK, &fast) < 0) !=
	    (r < 0))
		abort();
	if (r < 0)
		return 0;
	events = attest_eventlog_events(log, &n_events);
	for (size_t i = 0; i < n_events; i++) {
		struct json_object *o = NULL;

		if (attest_event_to_json(&events[i], &o) == 0) {
			(void)json_object_to_json_string(o);
			json_object_put(o);
		}
		(void)attest_event_type_name(events[i].type);
	}
	(void)attest_eventlog_startup_locality(log);
	(void)attest_eventlog_pcr0_locality(log);
	{
		const struct attest_eventlog_alg *algs = attest_eventlog_algs(log, &n_algs);
		uint8_t all[POLICY_PCR_MAX][VT_DIGEST_MAX], some[POLICY_PCR_MAX][VT_DIGEST_MAX];
		uint32_t used_all, used_some, mask = size ? 0xffu | (uint32_t)data[size - 1] << 8 : 0xffu;

		for (size_t k = 0; k < n_algs; k++) {
			if (!algs[k].alg)
				continue;
			if (attest_eventlog_replay_bank(log, algs[k].alg, UINT32_MAX, all, &used_all) < 0 ||
			    attest_eventlog_replay_bank(fast, algs[k].alg, mask, some, &used_some) < 0)
				continue;
			if (used_all != used_some)
				abort();
			for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
				if ((mask & (1u << pcr)) && memcmp(all[pcr], some[pcr], algs[k].alg->size) != 0)
					abort();
		}
	}
	(void)attest_eventlog_secure_boot(log);
	(void)attest_eventlog_n_mismatches(log);
	if (attest_eventlog_replay(log, &values, &n_values) == 0)
		free(values);
	return 0;
}
