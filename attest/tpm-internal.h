/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the attest library: the layout of struct attest_ctx and the
 * helpers every attest source that talks to the TPM shares (TSS2_RC to errno,
 * ESYS output cleanup). Not installed, not for callers of attest.h.
 */
#ifndef VMTRUST_TPM_INTERNAL_H
#define VMTRUST_TPM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti.h>

#include "attest.h"

/* Banks of the algorithms vmtrust supports (vt_hash_algs()). */
#define ATTEST_PCR_BANKS_MAX 8

struct attest_ctx {
	char *tcti_conf;                /* as given, for messages; "default" when NULL */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;

	/* Set when a command failed in transit (-ECOMM): ESAPI then stays in
	 * an error state, so every later command fails with -ECOMM at once. */
	bool lost;

	/* The PCR allocation, read once (it changes only across a TPM reset). */
	bool banks_known;
	size_t n_banks;
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
};

/* Maps a TSS2_RC (not TSS2_RC_SUCCESS) to a negative errno:
 *   TPM layer (and resource manager TPM layer)     -EREMOTEIO
 *   IO_ERROR, NO_CONNECTION, TRY_AGAIN, malformed
 *   or short responses, other TCTI/RM failures     -ECOMM
 *   BAD_VALUE, BAD_REFERENCE, BAD_SIZE, BAD_TR ... -EINVAL
 *   MEMORY                                         -ENOMEM
 *   NOT_SUPPORTED, NOT_IMPLEMENTED                 -EOPNOTSUPP
 *   anything else                                  -ENOTRECOVERABLE
 * -ENODEV (no TPM reachable) is decided by attest_ctx_new(), where the TCTI
 * is loaded and connected. Logs nothing. */
int attest_tss2_errno(TSS2_RC rc);

/* The PCR allocation of the TPM (cached in ctx): the banks of supported
 * algorithms with at least one PCR below POLICY_PCR_MAX. */
int attest_ctx_banks(struct attest_ctx *ctx, const struct policy_pcr_bank **ret_banks,
		     size_t *ret_n);

#endif
