/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checks of what the AK signs: the AK against the policy, the quote's
 * signature, the TPMS_ATTEST (magic, type, nonce), the PCR values against
 * the quoted digest, the quote's selection against the policy's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "attest-internal.h"

/* ---- the AK ------------------------------------------------------------------ */

/* The policy's own key for an ECC public area it pins (the same TPM name,
 * the same curve and point), a new reference; else NULL. That key was
 * parsed once, with the policy: making one from the area builds an EC
 * group each time, a sixth of a verification that parses everything. */
static EVP_PKEY *pinned_key(struct verify *s, const TPMT_PUBLIC *pub, const uint8_t *name,
			    size_t name_len)
{
	const struct policy_key *keys;
	uint8_t point[VT_TPM_ECC_POINT_MAX], have[VT_TPM_ECC_POINT_MAX];
	const struct vt_tpm_curve *curve;
	char why_buf[128], have_group[16];
	size_t n_keys, len, have_len;

	if (pub->type != TPM2_ALG_ECC || name_len == 0 ||
	    vt_tpm_ecc_point(pub, &curve, point, &len, why_buf, sizeof(why_buf)) < 0)
		return NULL;
	keys = policy_attestation_keys(s->p, &n_keys);
	for (size_t i = 0; i < n_keys; i++) {
		EVP_PKEY *k = keys[i].pkey;

		if (!k || keys[i].name_len != name_len || memcmp(keys[i].name, name, name_len) != 0 ||
		    EVP_PKEY_is_a(k, "EC") != 1 ||
		    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, have_group,
						   sizeof(have_group), NULL) != 1 ||
		    OBJ_txt2nid(have_group) != EC_curve_nist2nid(curve->name) ||
		    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, have,
						    sizeof(have), &have_len) != 1 ||
		    have_len != len || memcmp(have, point, len) != 0)
			continue;
		if (EVP_PKEY_up_ref(k) != 1)
			return NULL;
		return k;
	}
	return NULL;
}

int verify_unmarshal_public(const uint8_t *data, size_t len, TPM2B_PUBLIC *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (!data || Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, out) != TSS2_RC_SUCCESS ||
	    off != len)
		return -EBADMSG;
	return 0;
}

/* Whether two PEM texts are the same bytes but for line breaks and blanks. */
static bool pem_text_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '\n' || *a == '\r' || *a == ' ' || *a == '\t')
			a++;
		while (*b == '\n' || *b == '\r' || *b == ' ' || *b == '\t')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

/* ak.pem, when the evidence has one, is the key of ak.public (pem: a text
 * known to be that key, compared first). 0 when it is; 1 when it is not
 * (the check failed); a negative errno. */
static int check_ak_pem(struct verify *s, EVP_PKEY *pk, const char *pem)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *other = NULL;

	if (!e->ak_pem || (pem && pem_text_eq(e->ak_pem, pem)))
		return 0;
	bio = BIO_new_mem_buf(e->ak_pem, -1);
	if (!bio)
		return verify_internal(s, -ENOMEM);
	other = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!other || EVP_PKEY_eq(other, pk) != 1) {
		FAIL(s, "ak-trusted", "ak.pem is not the key of ak.public");
		return 1;
	}
	return 0;
}

/* The policy's key that pins this AK: the same public key and, since a
 * key alone says nothing of the attributes it was made with, the same TPM
 * name (which hashes the whole public area). */
static int check_ak_pinned(struct verify *s, EVP_PKEY *pk, const uint8_t *name, size_t name_len)
{
	const struct policy_key *keys, *match = NULL, *same_key = NULL;
	char hex[2 * ATTEST_NAME_MAX + 1];
	size_t n_keys;
	int r;

	keys = policy_attestation_keys(s->p, &n_keys);
	if (n_keys == 0)
		return FAIL(s, "ak-trusted", "the policy pins no attestation key: no AK is trusted");
	for (size_t i = 0; i < n_keys && !match; i++) {
		if (!keys[i].pkey || EVP_PKEY_eq(pk, keys[i].pkey) != 1)
			continue;
		if (!same_key)
			same_key = &keys[i];
		if (name_len && keys[i].name_len == name_len &&
		    memcmp(keys[i].name, name, name_len) == 0)
			match = &keys[i];
	}
	if (!same_key)
		return FAIL(s, "ak-trusted", "the AK is not one of the policy's %zu attestation keys", n_keys);
	if (!match && same_key->name_len == 0)
		return FAIL(s, "ak-trusted", "the policy pins attestation key '%s' by its public key alone, which does not bind its attributes: add its TPM name ($.attestation_keys[].name, as vmtrust policy init writes it)",
			    same_key->id);
	if (!match) {
		vt_hex_encode(name, name_len, hex);
		return FAIL(s, "ak-trusted", "ak.public is not the public area the policy pins for '%s': its name %s is not the policy's (its attributes or parameters were changed)",
			    same_key->id, name_len ? hex : "(none)");
	}
	r = check_ak_pem(s, pk, match->pem);
	if (r)
		return r < 0 ? r : 0;
	return OK(s, "ak-trusted", "the AK is the policy's attestation key '%s', its TPM name pinned",
		  match->id);
}

int verify_check_ak(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	TPMA_OBJECT attrs;
	char why_buf[256] = "";
	EVP_PKEY *pk = NULL;
	int r;

	if (verify_unmarshal_public(e->ak_public, e->ak_public_len, &s->ak_public) < 0) {
		FAIL(s, "ak-trusted", "ak.public is not a marshalled TPM2B_PUBLIC (%zu bytes)",
		     e->ak_public_len);
		return FAIL(s, "ak-attributes", "not checked: ak.public is unreadable");
	}
	s->ak_entry = verify_cache_get(CACHE_AK, e->ak_public, e->ak_public_len);
	if (s->ak_entry) {
		pk = s->ak_entry->ak;
	} else {
		uint8_t name[ATTEST_NAME_MAX];
		size_t name_len = 0;

		/* A name algorithm vmtrust does not know leaves no name: such a
		 * key matches no pinned name. */
		{
			VT_LOG_CAPTURE_SCOPE(s->why, sizeof(s->why));
			r = attest_public_name(e->ak_public, e->ak_public_len, name, &name_len);
		}
		s->why[0] = '\0';
		if (r == -ENOMEM)
			return verify_internal(s, r);
		if (r < 0)
			name_len = 0;
		pk = pinned_key(s, &s->ak_public.publicArea, name, name_len);
		r = pk ? 0 : vt_tpm_public_to_pkey(&s->ak_public.publicArea, &pk, why_buf, sizeof(why_buf));
		if (r == -ENOMEM)
			return verify_internal(s, r);
		if (r < 0) {
			FAIL(s, "ak-trusted", "ak.public is not a usable key: %s", why_buf);
		} else {
			s->ak_entry = verify_entry_new(e->ak_public, e->ak_public_len);
			if (!s->ak_entry) {
				EVP_PKEY_free(pk);
				return verify_internal(s, -ENOMEM);
			}
			s->ak_entry->ak = pk;
			memcpy(s->ak_entry->name, name, name_len);
			s->ak_entry->name_len = name_len;
			verify_cache_put(CACHE_AK, s->ak_entry);
		}
	}
	s->ak = pk;
	if (pk && !(s->flags & ATTEST_VERIFY_EVIDENCE_AK))
		check_ak_pinned(s, pk, s->ak_entry->name, s->ak_entry->name_len);
	else if (pk && check_ak_pem(s, pk, NULL) == 0)
		WARN(s, "ak-trusted", "not checked against the policy: the evidence's own AK, proven apart");

	/* A key that may sign any data could sign a forged TPMS_ATTEST; a key
	 * made outside the TPM, or that can leave it, may be known to others. */
	attrs = s->ak_public.publicArea.objectAttributes;
	if (!(attrs & TPMA_OBJECT_RESTRICTED) || !(attrs & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (attrs & TPMA_OBJECT_DECRYPT))
		return FAIL(s, "ak-attributes",
			    "the AK is not a restricted signing key (attributes 0x%08" PRIx32
			    "): it could sign a forged quote", attrs);
	if (!(attrs & TPMA_OBJECT_FIXEDTPM) || !(attrs & TPMA_OBJECT_SENSITIVEDATAORIGIN))
		return FAIL(s, "ak-attributes",
			    "the AK was not made in the TPM or can leave it (attributes 0x%08" PRIx32
			    ": fixedTPM and sensitiveDataOrigin needed)", attrs);
	return OK(s, "ak-attributes", "a restricted signing key, fixed to its TPM");
}


/* ---- the signature ---------------------------------------------------------- */

static int ecdsa_der(const TPMS_SIGNATURE_ECC *ecc, uint8_t *out, size_t out_size, size_t *ret_len)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(ecc->signatureR.buffer, ecc->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(ecc->signatureS.buffer, ecc->signatureS.size, NULL);
	uint8_t *p = out;
	int len;

	if (!sig || !r || !sv || ECDSA_SIG_set0(sig, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		return -ENOMEM;
	}
	len = i2d_ECDSA_SIG(sig, NULL);
	if (len <= 0 || (size_t)len > out_size)
		return -EBADMSG;
	len = i2d_ECDSA_SIG(sig, &p);
	if (len <= 0)
		return -ENOMEM;
	*ret_len = (size_t)len;
	return 0;
}

int verify_check_signature(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	uint8_t hash[VT_DIGEST_MAX], der[300];
	const uint8_t *sig;
	size_t off = 0, sig_len;
	TPMI_ALG_HASH halg;
	bool rsa = false;
	int padding = 0, r;

	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(e->signature, e->signature_len, &off, &s->sig) !=
		    TSS2_RC_SUCCESS ||
	    off != e->signature_len)
		return FAIL(s, "signature", "quote.signature is not a marshalled TPMT_SIGNATURE (%zu bytes)",
			    e->signature_len);
	switch (s->sig.sigAlg) {
	case TPM2_ALG_ECDSA:
		halg = s->sig.signature.ecdsa.hash;
		break;
	case TPM2_ALG_RSASSA:
		halg = s->sig.signature.rsassa.hash;
		rsa = true;
		padding = RSA_PKCS1_PADDING;
		break;
	case TPM2_ALG_RSAPSS:
		halg = s->sig.signature.rsapss.hash;
		rsa = true;
		padding = RSA_PKCS1_PSS_PADDING;
		break;
	default:
		return FAIL(s, "signature", "signature scheme 0x%04x is not supported (ecdsa, rsassa, rsapss)",
			    s->sig.sigAlg);
	}
	s->sig_hash = vt_hash_alg_by_tpm(halg);
	if (!s->sig_hash)
		return FAIL(s, "signature", "signature hash 0x%04x is not supported", halg);
	if (s->sig_hash->tpm_alg == TPM2_ALG_SHA1)
		return FAIL(s, "signature", "sha1 signatures are refused: quote with sha256 or stronger");
	if (!s->ak)
		return FAIL(s, "signature", "not checked: the AK is unusable");
	if (EVP_PKEY_is_a(s->ak, rsa ? "RSA" : "EC") != 1)
		return FAIL(s, "signature", "an %s signature cannot come from an %s AK",
			    rsa ? "rsa" : "ecdsa", rsa ? "ecc" : "rsa");
	if (rsa) {
		sig = s->sig.signature.rsassa.sig.buffer;
		sig_len = s->sig.signature.rsassa.sig.size;
	} else {
		r = ecdsa_der(&s->sig.signature.ecdsa, der, sizeof(der), &sig_len);
		if (r == -ENOMEM)
			return verify_internal(s, r);
		if (r < 0)
			return FAIL(s, "signature", "the ecdsa signature is malformed");
		sig = der;
	}
	if (verify_digest2(s->md, s->sig_hash, e->attest, e->attest_len, NULL, 0, hash) < 0)
		return verify_internal(s, -ENOTRECOVERABLE);
	ctx = EVP_PKEY_CTX_new(s->ak, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, verify_md(s->sig_hash)) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, padding) != 1) ||
	    (padding == RSA_PKCS1_PSS_PADDING &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) != 1))
		return verify_internal(s, -ENOTRECOVERABLE);
	if (EVP_PKEY_verify(ctx, sig, sig_len, hash, s->sig_hash->size) != 1)
		return FAIL(s, "signature", "the %s signature does not verify with the AK over quote.attest",
			    rsa ? (padding == RSA_PKCS1_PADDING ? "rsassa" : "rsapss") : "ecdsa");
	return OK(s, "signature", "%s with %s, verified with the AK",
		  rsa ? (padding == RSA_PKCS1_PADDING ? "rsassa" : "rsapss") : "ecdsa", s->sig_hash->name);
}


/* ---- the quote ---------------------------------------------------------------- */

int verify_check_attest(struct verify *s, const uint8_t *nonce, size_t nonce_len)
{
	const struct attest_evidence *e = s->e;
	const TPM2B_DATA *x;
	char got[2 * ATTEST_NONCE_MAX + 1], want[2 * ATTEST_NONCE_MAX + 1];
	size_t off = 0;

	if (Tss2_MU_TPMS_ATTEST_Unmarshal(e->attest, e->attest_len, &off, &s->attest) !=
		    TSS2_RC_SUCCESS ||
	    off != e->attest_len) {
		FAIL(s, "attest-magic", "quote.attest is not a marshalled TPMS_ATTEST (%zu bytes)",
		     e->attest_len);
		FAIL(s, "attest-type", "not checked: quote.attest is unreadable");
		return FAIL(s, "nonce", "not checked: quote.attest is unreadable");
	}
	if (s->attest.magic != TPM2_GENERATED_VALUE)
		FAIL(s, "attest-magic", "magic 0x%08" PRIx32 " is not TPM_GENERATED_VALUE (0x%08x): the TPM did not make this structure",
		     s->attest.magic, TPM2_GENERATED_VALUE);
	else
		OK(s, "attest-magic", "TPM_GENERATED_VALUE");
	if (s->attest.type != TPM2_ST_ATTEST_QUOTE) {
		FAIL(s, "attest-type", "type 0x%04x is not a quote (TPM_ST_ATTEST_QUOTE, 0x%04x)",
		     s->attest.type, TPM2_ST_ATTEST_QUOTE);
		return FAIL(s, "nonce", "not checked: quote.attest is not a quote");
	}
	OK(s, "attest-type", "TPM_ST_ATTEST_QUOTE");
	s->have_attest = true;

	x = &s->attest.extraData;
	vt_hex_encode(x->buffer, x->size, got);
	if (x->size != e->nonce_len || memcmp(x->buffer, e->nonce, e->nonce_len) != 0) {
		vt_hex_encode(e->nonce, e->nonce_len, want);
		return FAIL(s, "nonce", "the evidence's nonce '%s' is not the quote's '%s'", want, got);
	}
	if (!nonce && (s->flags & ATTEST_VERIFY_ALLOW_REPLAY))
		return WARN(s, "nonce", "not checked: no nonce was asked for (the quote's is '%s'), the evidence may be replayed",
			    got);
	if (!nonce)
		return FAIL(s, "nonce", "not checked: no nonce was asked for (the quote's is '%s'): the evidence may be a replay, and is not trusted unless replays are allowed",
			    got);
	if (nonce_len > ATTEST_NONCE_MAX)
		return FAIL(s, "nonce", "the nonce asked for has %zu bytes, more than %d", nonce_len,
			    ATTEST_NONCE_MAX);
	if (x->size != nonce_len || memcmp(x->buffer, nonce, nonce_len) != 0) {
		vt_hex_encode(nonce, nonce_len, want);
		return FAIL(s, "nonce", "the quote's nonce '%s' is not the one asked for '%s': replayed or stale evidence",
			    got, want);
	}
	return OK(s, "nonce", "the quote carries the nonce asked for");
}

/* Appends "sha256:0,7" style text for a set of PCRs to buf. */
void verify_append_pcrs(char *buf, size_t size, const char *bank, uint32_t mask)
{
	size_t len = strlen(buf);
	bool first = true;

	if (len + 1 >= size)
		return;
	snprintf(buf + len, size - len, "%s%s:", len ? " " : "", bank);
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++) {
		if (!(mask & (1u << i)))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%u", first ? "" : ",", i);
		first = false;
	}
}

/* The quote's pcrDigest is H(the selected PCR values, bank after bank in
 * the selection's order, PCRs ascending), H the signature's hash: the TPM
 * computes it so (Part 3, TPM2_Quote), and tpm2_checkquote checks it so. */
int verify_check_pcr_digest(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	const TPML_PCR_SELECTION *sel = &s->attest.attested.quote.pcrSelect;
	const TPM2B_DIGEST *want = &s->attest.attested.quote.pcrDigest;
	const struct policy_pcr_value *by[ALGS_MAX][POLICY_PCR_MAX] = { { NULL } };
	const struct vt_hash_alg *halg = s->sig_hash;
	uint32_t unquoted[ALGS_MAX] = { 0 };
	uint8_t got[VT_DIGEST_MAX];
	char list[256] = "";
	bool any_unquoted = false;

	if (!s->have_attest)
		return FAIL(s, "pcr-digest", "not checked: there is no readable quote");
	for (size_t i = 0; i < e->n_pcrs; i++) {
		const struct policy_pcr_value *pv = &e->pcrs[i];
		int a = verify_alg_index(pv->alg);

		if (a < 0 || pv->pcr >= POLICY_PCR_MAX)
			return FAIL(s, "pcr-digest", "the evidence has a PCR value of an unknown bank");
		if (by[a][pv->pcr] && memcmp(by[a][pv->pcr]->value, pv->value, pv->alg->size) != 0)
			return FAIL(s, "pcr-digest", "the evidence has two values for %s:%u", pv->alg->name,
				    pv->pcr);
		by[a][pv->pcr] = pv;
		unquoted[a] |= 1u << pv->pcr;
	}
	if (!halg) {
		/* no readable signature: take the hash its size names */
		size_t n;
		const struct vt_hash_alg *t = vt_hash_algs(&n);

		for (size_t i = 0; i < n && !halg; i++)
			if (t[i].size == want->size)
				halg = &t[i];
		if (!halg)
			return FAIL(s, "pcr-digest", "pcrDigest has %u bytes, the size of no known hash",
				    want->size);
	}

	if (EVP_DigestInit_ex2(s->md, verify_md(halg), NULL) != 1)
		return verify_internal(s, -ENOTRECOVERABLE);
	if (sel->count == 0 || sel->count > TPM2_NUM_PCR_BANKS)
		return FAIL(s, "pcr-digest", "the quote selects %" PRIu32 " banks", sel->count);
	for (uint32_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *ps = &sel->pcrSelections[b];
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(ps->hash);
		int a = verify_alg_index(alg);

		if (a < 0)
			return FAIL(s, "pcr-digest", "the quote selects bank 0x%04x, which vmtrust does not support",
				    ps->hash);
		if (s->quoted[a].mask)
			return FAIL(s, "pcr-digest", "the quote selects bank %s twice", alg->name);
		if (ps->sizeofSelect > TPM2_PCR_SELECT_MAX)
			return FAIL(s, "pcr-digest", "the quote's selection of %s has %u bytes", alg->name,
				    ps->sizeofSelect);
		for (unsigned pcr = 0; pcr < ps->sizeofSelect * 8u; pcr++) {
			if (!(ps->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			if (pcr >= POLICY_PCR_MAX)
				return FAIL(s, "pcr-digest", "the quote selects %s:%u, beyond the last PCR",
					    alg->name, pcr);
			if (!by[a][pcr])
				return FAIL(s, "pcr-digest", "the quote selects %s:%u, the evidence has no value for it",
					    alg->name, pcr);
			if (EVP_DigestUpdate(s->md, by[a][pcr]->value, alg->size) != 1)
				return verify_internal(s, -ENOTRECOVERABLE);
			s->quoted[a].mask |= 1u << pcr;
			memcpy(s->quoted[a].value[pcr], by[a][pcr]->value, alg->size);
			unquoted[a] &= ~(1u << pcr);
		}
	}
	if (EVP_DigestFinal_ex(s->md, got, NULL) != 1)
		return verify_internal(s, -ENOTRECOVERABLE);

	for (size_t a = 0; a < verify_alg_count; a++)
		any_unquoted = any_unquoted || unquoted[a];
	/* The values stay in s->quoted: the checks that follow still compare
	 * them, for their reasons; the verdict is bad already. */
	if (want->size != halg->size || memcmp(want->buffer, got, halg->size) != 0)
		return FAIL(s, "pcr-digest", "the PCR values of the evidence do not hash to the quote's pcrDigest (%s): a value was changed",
			    halg->name);
	for (size_t a = 0; a < verify_alg_count; a++)
		if (s->quoted[a].mask)
			verify_append_pcrs(list, sizeof(list), verify_alg_table[a].name, s->quoted[a].mask);
	OK(s, "pcr-digest", "the PCR values hash to the quote's pcrDigest (%s)", list);
	if (any_unquoted) {
		list[0] = '\0';
		for (size_t a = 0; a < verify_alg_count; a++)
			if (unquoted[a])
				verify_append_pcrs(list, sizeof(list), verify_alg_table[a].name, unquoted[a]);
		WARN(s, "unquoted-pcrs", "ignored, not covered by the quote: %s", list);
	}
	return 0;
}

/* The policy's pcr_selection is the least a quote must cover: a quote that
 * leaves out a bank or a PCR of it proves nothing of what it left out, and
 * the host (or whoever made the evidence) chose what to leave out. */
int verify_check_pcr_selection(struct verify *s)
{
	const struct policy_pcr_bank *want;
	char missing[256] = "";
	size_t n;

	want = policy_quote_selection(s->p, &n);
	if (n == 0)
		return 0;
	if (!s->have_attest)
		return FAIL(s, "pcr-selection", "not checked: there is no readable quote");
	for (size_t i = 0; i < n; i++) {
		int a = verify_alg_index(want[i].alg);
		uint32_t left = want[i].mask & ~(a < 0 ? 0 : s->quoted[a].mask);

		if (left)
			verify_append_pcrs(missing, sizeof(missing), want[i].alg->name, left);
	}
	if (missing[0])
		return FAIL(s, "pcr-selection", "the quote does not cover %s of the policy's pcr_selection: what it leaves out is not proven",
			    missing);
	return OK(s, "pcr-selection", "the quote covers the policy's pcr_selection");
}

/* Replays one bank of a UEFI log, once per entry: every PCR from zero (PCR
 * 0 from the StartupLocality), each event but EV_NO_ACTION extending its
 * digest of that bank. */
