/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

static const struct cli_verb image_verbs[] = {
	{ 0 },
};

const struct cli_area cli_area_image = {
	"image", "Sign VM images and verify them before launch", image_verbs,
};
