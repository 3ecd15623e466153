/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline verification of evidence: the AK against the policy, the quote's
 * signature and contents, the PCR values against the quoted digest, both
 * logs against the quoted PCRs, then the policy's rules. Pure: bytes in, a
 * verdict out; no TPM, no files.
 *
 * Trust flows one way: the AK (pinned in the policy) vouches for the
 * TPMS_ATTEST, whose pcrDigest vouches for the PCR values of its selection
 * and nothing else, which vouch for the log records that replay to them.
 * PCR values in the evidence that the quote does not select are ignored
 * (a warning check names them): nothing is compared against them.
 *
 * Faults in the evidence are reasons in the verdict, not errors: the
 * parsers' messages are captured (vt_log_capture) into the checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest-internal.h"

/* ---- digests, fetched once per process ------------------------------------ */

const struct vt_hash_alg *verify_alg_table;
size_t verify_alg_count;
static pthread_once_t verify_md_once = PTHREAD_ONCE_INIT;

static void verify_md_init(void)
{
	verify_alg_table = vt_hash_algs(&verify_alg_count);
	if (verify_alg_count > ALGS_MAX)
		verify_alg_count = ALGS_MAX;
}

/* The position of alg in vt_hash_algs(), or -1. */
int verify_alg_index(const struct vt_hash_alg *alg)
{
	pthread_once(&verify_md_once, verify_md_init);
	if (!alg || alg < verify_alg_table || alg >= verify_alg_table + verify_alg_count)
		return -1;
	return (int)(alg - verify_alg_table);
}

const EVP_MD *verify_md(const struct vt_hash_alg *alg)
{
	return verify_alg_index(alg) < 0 ? NULL : attest_md(alg);
}

int verify_digest2(EVP_MD_CTX *ctx, const struct vt_hash_alg *alg, const void *a, size_t a_len,
		   const void *b, size_t b_len, uint8_t *out)
{
	const EVP_MD *md = verify_md(alg);

	if (!md || EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    (b_len && EVP_DigestUpdate(ctx, b, b_len) != 1) || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -ENOTRECOVERABLE;
	return 0;
}


/* ---- the whole --------------------------------------------------------------------- */

int attest_verify(const struct policy *p, const struct attest_evidence *e, const uint8_t *nonce,
		  size_t nonce_len, struct attest_verdict **ret)
{
	return attest_verify_flags(p, e, nonce, nonce_len, 0, ret);
}

int attest_verify_flags(const struct policy *p, const struct attest_evidence *e,
			const uint8_t *nonce, size_t nonce_len, unsigned flags,
			struct attest_verdict **ret)
{
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	_cleanup_(freep) struct verify *s = NULL;
	int r;

	if (!p || !e || !ret)
		return -EINVAL;
	pthread_once(&verify_md_once, verify_md_init);
	for (size_t i = 0; i < verify_alg_count; i++)
		if (!attest_md(&verify_alg_table[i]))
			return vt_log_errno(ENOTRECOVERABLE, "cannot verify: openssl has no %s",
						verify_alg_table[i].name);
	v = calloc(1, sizeof(*v));
	s = calloc(1, sizeof(*s));
	if (!v || !s)
		return -ENOMEM;
	s->p = p;
	s->e = e;
	s->v = v;
	s->flags = flags;
	s->md = EVP_MD_CTX_new();
	if (!s->md)
		return -ENOMEM;

	verify_check_ak(s);
	verify_check_signature(s);
	verify_check_attest(s, nonce, nonce_len);
	verify_check_pcr_digest(s);
	verify_check_pcr_selection(s);
	verify_check_uefi_log(s);
	verify_check_secure_boot(s);
	verify_check_mlog_replay(s);
	verify_check_references(s);
	verify_check_pcr_values(s);
	verify_check_host_audit(s);

	r = s->err;
	verify_verdict_finish(v);
	EVP_MD_CTX_free(s->md);
	verify_entry_unref(s->ak_entry);
	verify_entry_unref(s->uefi_entry);
	verify_entry_unref(s->mlog_entry);
	if (r < 0)
		return vt_log_errno(-r, "cannot verify evidence: %s", strerror(-r));
	*ret = TAKE_PTR(v);
	return 0;
}
