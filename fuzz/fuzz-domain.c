/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A libvirt domain XML, as the launch hook receives it on stdin. */
#include "fuzz.h"
#include "launch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;

	(void)launch_domain_parse((const char *)data, size, &d);
	return 0;
}
