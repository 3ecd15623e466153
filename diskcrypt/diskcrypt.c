/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "diskcrypt.h"

struct diskcrypt_ctx {
	char *volume;
	struct attest_ctx *tpm;
};

int diskcrypt_ctx_new(struct diskcrypt_ctx **ret, const char *volume, struct attest_ctx *tpm)
{
	struct diskcrypt_ctx *ctx;

	if (!volume || !*volume)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->volume = strdup(volume);
	if (!ctx->volume) {
		free(ctx);
		return -ENOMEM;
	}
	ctx->tpm = tpm;
	*ret = ctx;
	return 0;
}

void diskcrypt_ctx_free(struct diskcrypt_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->volume);
	free(ctx);
}
