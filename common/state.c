/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory's paths and locks (state.h says what lives there). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#include "common.h"

int vt_state_path(const char *state_dir, const char *name, char **ret)
{
	if (!state_dir || !*state_dir)
		return vt_log_errno(EINVAL, "%s: no state directory", name);
	if (asprintf(ret, "%s/%s", state_dir, name) < 0)
		return -ENOMEM;
	return 0;
}

int vt_flock(int fd, int op, const char *what, const char *path)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return vt_log_errno(errno, "cannot lock %s '%s': %s", what, path, strerror(errno));
	return 0;
}
