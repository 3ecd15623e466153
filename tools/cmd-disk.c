/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

static const struct cli_verb disk_verbs[] = {
	{ 0 },
};

const struct cli_area cli_area_disk = {
	"disk", "LUKS disk keys sealed to the TPM", disk_verbs,
};
