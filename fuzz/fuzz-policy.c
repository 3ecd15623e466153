/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A policy file: load, the host section's checks, every accessor. */
#include <stdlib.h>

#include "fuzz.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	size_t n;

	if (policy_load_buffer("fuzz", (const char *)data, size, &p) < 0)
		return 0;
	/* policy_load validated the host section: every required check is
	 * one an audit has */
	{
		const char *const *req = policy_host_required_checks(p, &n);

		for (size_t i = 0; i < n; i++)
			if (!policy_host_check_measure(req[i]))
				abort();
	}
	(void)policy_sequence(p);
	(void)policy_description(p);
	(void)policy_measurement_pcr(p);
	(void)policy_quote_selection(p, &n);
	(void)policy_pcr_values(p, &n);
	(void)policy_references(p, &n);
	(void)policy_attestation_keys(p, &n);
	(void)policy_secure_boot(p);
	(void)policy_image_keys(p, &n);
	(void)policy_image_cas(p, &n);
	(void)policy_revoked_keys(p, &n);
	(void)policy_revoked_digests(p, &n);
	(void)policy_image_rules(p, &n);
	(void)policy_key_release_selection(p, &n);
	(void)policy_key_release_authority(p);
	(void)policy_key_release_requires_attestation(p);
	(void)policy_host_required_checks(p, &n);
	(void)policy_host_min_versions(p, &n);
	(void)policy_verdict_cache_max_age(p);
	(void)policy_check_sequence(p, "fuzz", 1);
	return 0;
}
