/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the attest library: what keys.c shares with quote.c (loaded TPM
 * objects that flush themselves, loading the AK below its re-created EK, the
 * state files). Not installed, not for callers of attest.h.
 */
#ifndef VMTRUST_KEYS_INTERNAL_H
#define VMTRUST_KEYS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "attest.h"
#include "tpm-internal.h"

/* A transient object or session in the TPM. swtpm and many TPMs without a
 * resource manager have three object slots: every one is flushed after use,
 * on error paths too:
 *	_cleanup_(attest_obj_flush) struct attest_obj ak = ATTEST_OBJ_INIT(ctx); */
struct attest_obj {
	struct attest_ctx *ctx;
	ESYS_TR tr;
};

#define ATTEST_OBJ_INIT(c) ((struct attest_obj){ .ctx = (c), .tr = ESYS_TR_NONE })

/* Flushes the object (errors only logged at debug level: nothing is left to
 * do about them) and sets tr to ESYS_TR_NONE. Skips the flush on a lost
 * connection. */
void attest_obj_flush(struct attest_obj *o);

/* The same on the main path, where a failure matters: a flush that fails in
 * transit leaves ESAPI unusable, so the caller must stop (-ECOMM, logged
 * with what). */
int attest_obj_release(struct attest_obj *o, const char *what);

/* Reads STATE_DIR/name (at most max bytes) into *ret (malloc'ed). */
int attest_state_read(const char *state_dir, const char *name, size_t max, uint8_t **ret,
		      size_t *ret_len);

/* Unmarshals a whole TPM2B_PUBLIC (no trailing bytes); what names it in
 * messages. -EBADMSG, logged. */
int attest_public_unmarshal(const char *what, const uint8_t *data, size_t len, TPM2B_PUBLIC *ret);

/* The enrolled AK, loaded below the re-created EK: ret_ak holds it; the EK
 * is kept in ret_ek when given, else flushed at once. ret_ak_pub receives
 * the bytes of ak.pub (malloc'ed), ret_ak_public their unmarshalled form.
 * -ENOENT (logged, "run 'vmtrust attest enroll'") when not enrolled. */
int attest_ak_load(struct attest_ctx *ctx, const char *state_dir, struct attest_obj *ret_ek,
		   struct attest_obj *ret_ak, uint8_t **ret_ak_pub, size_t *ret_ak_pub_len,
		   TPM2B_PUBLIC *ret_ak_public);

#endif
