/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

static const struct cli_verb hook_verbs[] = {
	{ 0 },
};

const struct cli_area cli_area_hook = {
	"hook", "The libvirt launch hook", hook_verbs,
};
