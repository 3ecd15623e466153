/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "imgverify.h"

struct imgverify_ctx {
	const struct policy *policy;
};

int imgverify_ctx_new(struct imgverify_ctx **ret, const struct policy *policy)
{
	struct imgverify_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->policy = policy;
	*ret = ctx;
	return 0;
}

void imgverify_ctx_free(struct imgverify_ctx *ctx)
{
	free(ctx);
}
