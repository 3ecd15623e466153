/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UEFI event log: parse, then everything a verifier or `vmtrust attest
 * eventlog` does with a parsed log (describe, replay, Secure Boot). */
#include <json-c/json.h>
#include <stdlib.h>

#include "attest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_eventlog_freep) struct attest_eventlog *log = NULL;
	struct policy_pcr_value *values = NULL;
	const struct attest_event *events;
	size_t n_events, n_values;

	if (attest_eventlog_parse("fuzz", data, size, &log) < 0)
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
	(void)attest_eventlog_secure_boot(log);
	(void)attest_eventlog_n_mismatches(log);
	if (attest_eventlog_replay(log, &values, &n_values) == 0)
		free(values);
	return 0;
}
