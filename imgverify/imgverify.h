/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust imgverify library: VM image formats (raw, qcow2 and its backing
 * chain, parsed with hard bounds), signed image manifests, guest inspection.
 * Conventions as in policy.h.
 */
#ifndef VMTRUST_IMGVERIFY_H
#define VMTRUST_IMGVERIFY_H

#include "policy.h"

struct imgverify_ctx;

/* A context that carries the trust policy (borrowed, may be NULL when a
 * single public key is given instead). */
int imgverify_ctx_new(struct imgverify_ctx **ret, const struct policy *policy);
void imgverify_ctx_free(struct imgverify_ctx *ctx);
DEFINE_CLEANUP_FUNC(struct imgverify_ctx *, imgverify_ctx_free)

#endif
