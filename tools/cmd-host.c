/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

static const struct cli_verb host_verbs[] = {
	{ 0 },
};

const struct cli_area cli_area_host = {
	"host", "Audit the host's hardening against VM escape", host_verbs,
};
