/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust diskcrypt library: LUKS volumes and keyslots (libcryptsetup),
 * keys sealed to the TPM in LUKS2 tokens, released only on a good
 * attestation. Conventions as in policy.h.
 */
#ifndef VMTRUST_DISKCRYPT_H
#define VMTRUST_DISKCRYPT_H

#include "attest.h"

struct diskcrypt_ctx;

/* A context for one volume (an image file or a block device). The attest
 * context is borrowed and used for unsealing. */
int diskcrypt_ctx_new(struct diskcrypt_ctx **ret, const char *volume, struct attest_ctx *tpm);
void diskcrypt_ctx_free(struct diskcrypt_ctx *ctx);
DEFINE_CLEANUP_FUNC(struct diskcrypt_ctx *, diskcrypt_ctx_free)

#endif
