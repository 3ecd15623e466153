/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Key release, gated by (1) a fresh attestation of this host that verifies
 * against the policy (the attest verifier, in process), (2) the TPM
 * unsealing the key under its PCR policy, (3) the key opening its keyslot.
 * When a condition fails nothing is released, and the one error line says
 * which condition, for which token, and why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libcryptsetup.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "diskcrypt-internal.h"


#define NONCE_SIZE 32
#define RELEASE_ATTEMPTS 3

static void tokens_clearp(struct dc_tokens *t)
{
	dc_tokens_clear(t);
}

__attribute__((format(printf, 4, 5)))
static void add_reason(char *reason, size_t size, int token, const char *fmt, ...)
{
	size_t len = strnlen(reason, size);
	va_list ap;
	int n;

	if (len + 1 >= size)
		return;
	n = snprintf(reason + len, size - len, "%stoken %d: ", len ? "; " : "", token);
	if (n < 0 || (size_t)n >= size - len)
		return;
	len += (size_t)n;
	va_start(ap, fmt);
	vsnprintf(reason + len, size - len, fmt, ap);
	va_end(ap);
}

/* An authorized token releases only under the authorize key the policy
 * names now: a key the policy dropped authorizes nothing. */
static int authority_matches(const struct policy *p, const struct dc_token *t, char *why, size_t size)
{
	const struct policy_key *k = policy_key_release_authority(p);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *tk = NULL;
	uint8_t a[32], b[32];
	BIO *bio;
	int r;

	if (!k) {
		snprintf(why, size, "sealed to signed pcr policies, and the policy names no "
			 "key_release.authorize_key");
		return -EKEYREJECTED;
	}
	bio = BIO_new_mem_buf(t->pubkey_pem, -1);
	tk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!tk)
		return vt_log_errno(EBADMSG, "token %d: tpm2-pubkey is no pem public key", t->id);
	r = dc_pkey_fingerprint(tk, a);
	if (r < 0)
		return r;
	r = dc_pkey_fingerprint(k->pkey, b);
	if (r < 0)
		return r;
	if (memcmp(a, b, sizeof(a)) != 0) {
		snprintf(why, size, "sealed to another authorize key than the policy's "
			 "key_release.authorize_key");
		return -EKEYREJECTED;
	}
	return 0;
}

int dc_unseal_any(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct dc_tokens *toks,
		  const struct diskcrypt_release_params *rp, char *reason, size_t reason_size,
		  struct diskcrypt_secret **ret_key, int *ret_token, int *ret_keyslot)
{
	_cleanup_(dc_pcr_policies_freep) struct dc_pcr_policies *signed_policies = NULL;
	bool loaded = false;
	size_t tried = 0;
	int r;

	reason[0] = '\0';
	for (size_t i = 0; i < toks->n; i++) {
		_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *raw = NULL, *key = NULL;
		const struct dc_token *t = &toks->v[i];
		crypt_keyslot_info st;
		char why[DC_REASON_MAX] = "";

		if (rp->token >= 0 && t->id != rp->token)
			continue;
		tried++;
		if (t->malformed) {
			add_reason(reason, reason_size, t->id, "%s", t->error);
			continue;
		}
		st = crypt_keyslot_status(cd, t->keyslot);
		if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST) {
			add_reason(reason, reason_size, t->id, "its keyslot %d is not active", t->keyslot);
			continue;
		}
		if (t->pubkey_pem) {
			struct stat sb;

			r = authority_matches(rp->policy, t, why, sizeof(why));
			if (r == -EKEYREJECTED) {
				add_reason(reason, reason_size, t->id, "%s", why);
				continue;
			}
			if (r < 0)
				return r;
			if (!loaded && rp->pcr_policy && stat(rp->pcr_policy, &sb) == 0) {
				r = dc_pcr_policies_load(rp->pcr_policy, &signed_policies);
				if (r < 0)
					return r;
			}
			loaded = true;
		}
		r = dc_unseal(ctx->tpm, t, signed_policies, rp->pcr_policy, why, sizeof(why), &raw);
		if (r == -EKEYREJECTED) {
			add_reason(reason, reason_size, t->id, "%s", why);
			continue;
		}
		if (r < 0)
			return r;
		r = dc_key_passphrase(raw, &key);
		if (r < 0)
			return r;
		{
			/* The TPM lock is held: the volume lock is taken only after it. */
			_cleanup_close_ int lock = -1;

			r = dc_lock(ctx, true, &lock);
			if (r < 0)
				return r;
			r = crypt_activate_by_passphrase(cd, NULL, t->keyslot,
							 (const char *)diskcrypt_secret_data(key),
							 diskcrypt_secret_size(key), 0);
		}
		if (r == -EPERM) {
			add_reason(reason, reason_size, t->id, "the unsealed key does not open its keyslot %d",
				   t->keyslot);
			continue;
		}
		if (r < 0)
			return dc_crypt_fail(ctx, r, "cannot check the unsealed key");
		if (ret_token)
			*ret_token = t->id;
		if (ret_keyslot)
			*ret_keyslot = t->keyslot;
		*ret_key = TAKE_PTR(key);
		return 0;
	}
	if (tried == 0) {
		if (rp->token >= 0)
			return vt_log_errno(ENOENT, "'%s' has no vmtrust token %d", ctx->volume, rp->token);
		return vt_log_errno(ENOENT, "'%s' has no vmtrust token: run 'vmtrust disk enroll'",
					ctx->volume);
	}
	return -EKEYREJECTED;
}

/* Condition (1): a fresh quote, verified in process against the policy. */
static int attest_host(struct diskcrypt_ctx *ctx, const struct diskcrypt_release_params *rp)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *ev = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	struct policy_pcr_bank sel_buf[2];
	const struct policy_pcr_bank *sel;
	const struct attest_check *first = NULL;
	uint8_t nonce[NONCE_SIZE];
	char error[512];
	size_t n_sel, n_failed = 0;
	int r;

	if (!ctx->state_dir)
		return vt_log_errno(EINVAL, "key withheld for '%s': attestation needs the state directory",
					ctx->volume);
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return vt_log_errno(EIO, "key withheld for '%s': cannot make a nonce", ctx->volume);
	sel = policy_quote_selection(rp->policy, &n_sel);

	/* attest's own error becomes the reason of the one line logged here. */
	{
		VT_LOG_CAPTURE_SCOPE(error, sizeof(error));
		if (n_sel == 0) {
			r = attest_default_quote_selection(ctx->tpm, policy_measurement_pcr(rp->policy), sel_buf,
							   ELEMENTSOF(sel_buf));
			if (r >= 0) {
				sel = sel_buf;
				n_sel = (size_t)r;
			}
		} else {
			r = 0;
		}
		if (r >= 0)
			r = attest_quote(ctx->tpm, ctx->state_dir, sel, n_sel, nonce, sizeof(nonce), rp->uefi_log, &ev);
		if (r >= 0)
			r = attest_verify(rp->policy, ev, nonce, sizeof(nonce), &v);
	}
	if (r < 0)
		return vt_log_errno(-r, "key withheld for '%s': attestation failed: %s", ctx->volume,
					error[0] ? error : strerror(-r));

	if (attest_verdict_ok(v))
		return 0;
	for (size_t i = 0; i < attest_verdict_count(v); i++) {
		const struct attest_check *c = attest_verdict_check(v, i);

		if (c->status != ATTEST_CHECK_FAILED)
			continue;
		if (!first)
			first = c;
		n_failed++;
	}
	if (!first)
		return vt_log_errno(EKEYREJECTED, "key withheld for '%s': attestation failed",
					ctx->volume);
	if (n_failed > 1)
		return vt_log_errno(EKEYREJECTED,
					"key withheld for '%s': attestation failed: %s: %s (and %zu more failed checks)",
					ctx->volume, first->name, first->reason, n_failed - 1);
	return vt_log_errno(EKEYREJECTED, "key withheld for '%s': attestation failed: %s: %s",
				ctx->volume, first->name, first->reason);
}

static bool tokens_same(const struct dc_tokens *a, const struct dc_tokens *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].id != b->v[i].id || a->v[i].keyslot != b->v[i].keyslot ||
		    memcmp(a->v[i].policy_hash, b->v[i].policy_hash, DC_POLICY_DIGEST_SIZE) != 0)
			return false;
	return true;
}

static int release_key(struct diskcrypt_ctx *ctx, const struct diskcrypt_release_params *rp,
		       struct diskcrypt_secret **ret_key, int *ret_token, int *ret_keyslot)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(tokens_clearp) struct dc_tokens toks = { 0 }, again = { 0 };
	_cleanup_close_ int tpm_lock = -1;
	char reason[2 * DC_REASON_MAX];
	int r;

	if (!rp || !rp->policy)
		return vt_log_errno(EINVAL, "key withheld for '%s': no policy to verify the host against",
					ctx->volume);
	if (!ctx->tpm)
		return vt_log_errno(EINVAL, "key withheld for '%s': no tpm", ctx->volume);
	if (!ret_key)
		return vt_log_errno(EINVAL, "cannot release the key of '%s': nowhere to put it", ctx->volume);
	r = dc_open_tokens(ctx, true, &cd, &toks);
	if (r < 0)
		return r;
	if (toks.n == 0)
		return vt_log_errno(ENOENT, "'%s' has no vmtrust token: run 'vmtrust disk enroll'",
					ctx->volume);

	r = dc_tpm_lock(ctx, &tpm_lock);
	if (r < 0)
		return r;
	if (policy_key_release_requires_attestation(rp->policy)) {
		r = attest_host(ctx, rp);
		if (r < 0)
			return r;
	} else {
		vt_logf(VT_LOG_INFO, "'%s': the policy releases keys without attestation",
			    ctx->volume);
	}

	/* A rotate may have replaced the token between reading and unsealing:
	 * then its successor is tried. */
	for (int attempt = 0;; attempt++) {
		r = dc_unseal_any(ctx, cd, &toks, rp, reason, sizeof(reason), ret_key, ret_token,
				  ret_keyslot);
		if (r != -EKEYREJECTED || attempt + 1 == RELEASE_ATTEMPTS)
			break;
		crypt_free(cd);
		cd = NULL;
		r = dc_open_tokens(ctx, true, &cd, &again);
		if (r < 0)
			return r;
		if (tokens_same(&toks, &again)) {
			r = -EKEYREJECTED;
			break;
		}
		dc_tokens_clear(&toks);
		toks = again;
		again = (struct dc_tokens){ 0 };
	}
	if (r == -EKEYREJECTED)
		return vt_log_errno(EKEYREJECTED, "key withheld for '%s': %s", ctx->volume, reason);
	return r;
}

/* Each release or refusal also goes to the system log, the refusal with
 * the error that made it. */
int diskcrypt_release(struct diskcrypt_ctx *ctx, const struct diskcrypt_release_params *rp,
		      struct diskcrypt_secret **ret_key, int *ret_token, int *ret_keyslot)
{
	int r;

	vt_log_clear_error();
	r = release_key(ctx, rp, ret_key, ret_token, ret_keyslot);
	(void)policy_syslog_decision(POLICY_EVENT_KEY_RELEASE, ctx->volume, r >= 0, NULL, 0);
	return r;
}
