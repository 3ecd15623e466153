/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keys sealed in the TPM. The parent is a storage root key re-created from
 * the TCG provisioning guidance's ECC P-256 template (EK credential profile
 * L-2 with noDA and userWithAuth, as systemd makes its SRK): a primary key
 * is a function of its template and the owner seed, so nothing is kept in
 * NV and the same SRK returns every time. The sealed object is a
 * KEYEDHASH data object (fixedTPM, fixedParent, adminWithPolicy, no
 * userWithAuth) whose authPolicy is either
 *   PolicyPCR over a PCR set and the values it held at enroll, or
 *   PolicyAuthorize(name of a signing key), so that any PolicyPCR digest
 *   the key signs releases it (PCR values may change with an update).
 * The key goes to the TPM encrypted (an HMAC session salted with the SRK,
 * decrypt attribute) and comes back encrypted (the policy session is salted
 * too, encrypt attribute). Every transient object and session is flushed,
 * on error paths too: swtpm has three object slots and no resource manager.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include "diskcrypt-internal.h"

/* ---- transient objects and sessions -------------------------------------- */

struct dc_obj {
	struct attest_ctx *tpm;
	ESYS_TR tr;
};

#define DC_OBJ_INIT(t) ((struct dc_obj){ .tpm = (t), .tr = ESYS_TR_NONE })

static void dc_obj_flush(struct dc_obj *o)
{
	if (o->tr != ESYS_TR_NONE && o->tpm && !attest_ctx_lost(o->tpm)) {
		TSS2_RC rc = Esys_FlushContext(attest_ctx_esys(o->tpm), o->tr);

		if (rc != TSS2_RC_SUCCESS)
			vt_logf(VT_LOG_DEBUG, "cannot flush a transient tpm object: 0x%x", (unsigned)rc);
	}
	o->tr = ESYS_TR_NONE;
}

/* An unsealed TPM2B_SENSITIVE_DATA: wiped before ESAPI frees it. */
static void sensitive_data_freep(TPM2B_SENSITIVE_DATA **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, sizeof(**p));
		Esys_Free(*p);
	}
}


/* ---- hashing ------------------------------------------------------------------ */

struct part {
	const void *data;
	size_t len;
};

static int hash_parts(const char *md_name, const struct part *parts, size_t n, uint8_t *out,
		      size_t *ret_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_get_digestbyname(md_name);
	unsigned len = 0;

	if (!c || !md || EVP_DigestInit_ex(c, md, NULL) != 1)
		return vt_log_errno(EIO, "cannot hash with %s: openssl failed", md_name);
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && EVP_DigestUpdate(c, parts[i].data, parts[i].len) != 1)
			return vt_log_errno(EIO, "cannot hash with %s: openssl failed", md_name);
	if (EVP_DigestFinal_ex(c, out, &len) != 1)
		return vt_log_errno(EIO, "cannot hash with %s: openssl failed", md_name);
	if (ret_len)
		*ret_len = len;
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- policy digests in software ---------------------------------------------- */

static void pcr_selection(const struct vt_hash_alg *bank, uint32_t mask, TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){ .count = 1 };
	sel->pcrSelections[0].hash = bank->tpm_alg;
	sel->pcrSelections[0].sizeofSelect = POLICY_PCR_MAX / 8;
	for (unsigned b = 0; b < POLICY_PCR_MAX / 8; b++)
		sel->pcrSelections[0].pcrSelect[b] = (BYTE)(mask >> (8 * b));
}

int dc_policy_pcr_digest(const struct policy_pcr_value *values, size_t n, uint8_t out[32])
{
	uint8_t zero[DC_POLICY_DIGEST_SIZE] = { 0 }, cc[4], sel_buf[sizeof(TPML_PCR_SELECTION)];
	uint8_t pcr_digest[DC_POLICY_DIGEST_SIZE];
	struct part pcr_parts[POLICY_PCR_MAX];
	TPML_PCR_SELECTION sel;
	uint32_t mask = 0;
	size_t off = 0;
	int r;

	if (n == 0 || n > POLICY_PCR_MAX || !values[0].alg)
		return vt_log_errno(EINVAL, "cannot compute a pcr policy: %zu pcr values", n);
	for (size_t i = 0; i < n; i++) {
		if (values[i].alg != values[0].alg || values[i].pcr >= POLICY_PCR_MAX ||
		    (i > 0 && values[i].pcr <= values[i - 1].pcr))
			return vt_log_errno(EINVAL,
						"cannot compute a pcr policy: values not of one bank in pcr order");
		mask |= UINT32_C(1) << values[i].pcr;
		pcr_parts[i] = (struct part){ values[i].value, values[i].alg->size };
	}
	r = hash_parts("SHA256", pcr_parts, n, pcr_digest, NULL);
	if (r < 0)
		return r;
	pcr_selection(values[0].alg, mask, &sel);
	if (Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, sel_buf, sizeof(sel_buf), &off) != TSS2_RC_SUCCESS)
		return vt_log_errno(EINVAL, "cannot compute a pcr policy: cannot marshal the selection");
	put_be32(cc, TPM2_CC_PolicyPCR);
	return hash_parts("SHA256",
			  (struct part[]){ { zero, sizeof(zero) }, { cc, 4 }, { sel_buf, off },
					   { pcr_digest, sizeof(pcr_digest) } },
			  4, out, NULL);
}

int dc_policy_authorize_digest(const uint8_t *name, size_t name_len, uint8_t out[32])
{
	uint8_t zero[DC_POLICY_DIGEST_SIZE] = { 0 }, cc[4], step[DC_POLICY_DIGEST_SIZE];
	int r;

	put_be32(cc, TPM2_CC_PolicyAuthorize);
	r = hash_parts("SHA256", (struct part[]){ { zero, sizeof(zero) }, { cc, 4 }, { name, name_len } },
		       3, step, NULL);
	if (r < 0)
		return r;
	/* PolicyUpdate's second step: H(digest || policyRef), policyRef empty. */
	return hash_parts("SHA256", (struct part[]){ { step, sizeof(step) } }, 1, out, NULL);
}

/* ---- signing keys in TPM form ------------------------------------------------ */

/* The TPMT_PUBLIC a PEM public key becomes for TPM2_LoadExternal, the
 * attributes tpm2_loadexternal and systemd give it, and the hash its
 * signatures (policy_sign's) use, which is also its nameAlg: aHash in
 * PolicyAuthorize is computed with the key's nameAlg. */
static int pkey_to_public(EVP_PKEY *pkey, TPM2B_PUBLIC *ret, const struct vt_hash_alg **ret_hash)
{
	TPM2B_PUBLIC pub = { 0 };
	TPMT_PUBLIC *a = &pub.publicArea;
	const struct vt_hash_alg *hash;
	int id = EVP_PKEY_get_base_id(pkey);

	a->objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
	if (id == EVP_PKEY_RSA) {
		_cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
		int bits = EVP_PKEY_get_bits(pkey);
		BN_ULONG ev;

		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
			return vt_log_errno(EINVAL, "cannot read the rsa authorize key");
		if (bits < 2048 || bits > TPM2_MAX_RSA_KEY_BYTES * 8 || bits % 8)
			return vt_log_errno(EOPNOTSUPP,
						"rsa authorize key of %d bits: the tpm takes 2048 to %d", bits,
						TPM2_MAX_RSA_KEY_BYTES * 8);
		ev = BN_get_word(e);
		if (ev == (BN_ULONG)-1 || ev > UINT32_MAX)
			return vt_log_errno(EOPNOTSUPP, "rsa authorize key: public exponent too large for the tpm");
		hash = vt_hash_alg_by_name("sha256");
		a->type = TPM2_ALG_RSA;
		a->nameAlg = hash->tpm_alg;
		a->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		a->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		a->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
		a->parameters.rsaDetail.exponent = (UINT32)ev;
		a->unique.rsa.size = (UINT16)(bits / 8);
		if (BN_bn2binpad(n, a->unique.rsa.buffer, bits / 8) < 0)
			return vt_log_errno(EINVAL, "cannot read the rsa authorize key's modulus");
	} else if (id == EVP_PKEY_EC) {
		_cleanup_(BN_freep) BIGNUM *x = NULL, *y = NULL;
		char group[64];
		size_t size;

		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
						   NULL) != 1)
			return vt_log_errno(EINVAL, "cannot read the curve of the ecdsa authorize key");
		a->type = TPM2_ALG_ECC;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
			hash = vt_hash_alg_by_name("sha256");
			size = 32;
		} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
			hash = vt_hash_alg_by_name("sha384");
			size = 48;
		} else {
			return vt_log_errno(EOPNOTSUPP,
						"ecdsa authorize key on curve '%s': the tpm takes P-256 or P-384",
						group);
		}
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
		    BN_bn2binpad(x, a->unique.ecc.x.buffer, (int)size) < 0 ||
		    BN_bn2binpad(y, a->unique.ecc.y.buffer, (int)size) < 0)
			return vt_log_errno(EINVAL, "cannot read the ecdsa authorize key's point");
		a->nameAlg = hash->tpm_alg;
		a->unique.ecc.x.size = (UINT16)size;
		a->unique.ecc.y.size = (UINT16)size;
		a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		a->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	} else {
		return vt_log_errno(EOPNOTSUPP,
					"authorize key of type '%s': the tpm verifies only rsa and ecdsa "
					"(P-256, P-384) signatures",
					OBJ_nid2sn(id));
	}
	*ret = pub;
	*ret_hash = hash;
	return 0;
}

static int public_name(const TPM2B_PUBLIC *pub, uint8_t *name, size_t *name_len)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(pub->publicArea.nameAlg);
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	int r;

	if (!alg || 2 + alg->size > DC_NAME_MAX)
		return vt_log_errno(EINVAL, "cannot name a public key: name algorithm 0x%x",
					pub->publicArea.nameAlg);
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return vt_log_errno(EINVAL, "cannot name a public key: cannot marshal it");
	name[0] = (uint8_t)(alg->tpm_alg >> 8);
	name[1] = (uint8_t)alg->tpm_alg;
	r = hash_parts(alg->ossl, (struct part[]){ { buf, off } }, 1, name + 2, NULL);
	if (r < 0)
		return r;
	*name_len = 2 + alg->size;
	return 0;
}

int dc_pkey_tpm_name(void *pkey, uint8_t *name, size_t *name_len)
{
	const struct vt_hash_alg *hash;
	TPM2B_PUBLIC pub;
	int r;

	r = pkey_to_public(pkey, &pub, &hash);
	if (r < 0)
		return r;
	return public_name(&pub, name, name_len);
}

/* policy_sign()'s signature (ECDSA DER, or RSA-PSS) as a TPMT_SIGNATURE. */
static int signature_to_tpm(const TPM2B_PUBLIC *pub, const struct vt_hash_alg *hash,
			    const uint8_t *sig, size_t sig_len, TPMT_SIGNATURE *ret)
{
	TPMT_SIGNATURE s = { 0 };

	if (pub->publicArea.type == TPM2_ALG_RSA) {
		if (sig_len != pub->publicArea.unique.rsa.size)
			return -EBADMSG;
		s.sigAlg = TPM2_ALG_RSAPSS;
		s.signature.rsapss.hash = hash->tpm_alg;
		s.signature.rsapss.sig.size = (UINT16)sig_len;
		memcpy(s.signature.rsapss.sig.buffer, sig, sig_len);
	} else {
		_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = NULL;
		const unsigned char *p = sig;
		const BIGNUM *r, *sv;
		int size = pub->publicArea.unique.ecc.x.size;

		es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
		if (!es || p != sig + sig_len)
			return -EBADMSG;
		ECDSA_SIG_get0(es, &r, &sv);
		if (BN_num_bytes(r) > size || BN_num_bytes(sv) > size)
			return -EBADMSG;
		s.sigAlg = TPM2_ALG_ECDSA;
		s.signature.ecdsa.hash = hash->tpm_alg;
		s.signature.ecdsa.signatureR.size = (UINT16)size;
		s.signature.ecdsa.signatureS.size = (UINT16)size;
		BN_bn2binpad(r, s.signature.ecdsa.signatureR.buffer, size);
		BN_bn2binpad(sv, s.signature.ecdsa.signatureS.buffer, size);
	}
	*ret = s;
	return 0;
}

static int pkey_from_pem(const char *pem, EVP_PKEY **ret)
{
	_cleanup_(BIO_freep) BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;

	if (!b)
		return -ENOMEM;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!k)
		return -EBADMSG;
	*ret = k;
	return 0;
}

static int pkey_to_pem(EVP_PKEY *pkey, char **ret)
{
	_cleanup_(freep) char *s = NULL;
	size_t len;
	int r;

	r = vt_pkey_to_pem(pkey, &s, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || len >= DC_PUBKEY_PEM_MAX)
		return vt_log_errno(EIO, "cannot write the authorize key as pem");
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- the TPM ------------------------------------------------------------------ */

static int check_rc_layer_fmt1(TSS2_RC rc, TSS2_RC want)
{
	TSS2_RC base = rc & ~TSS2_RC_LAYER_MASK;

	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER || !(base & TPM2_RC_FMT1))
		return 0;
	return (base & (TPM2_RC_FMT1 | 0x3f)) == want;
}

static int srk_create(struct attest_ctx *tpm, struct dc_obj *ret, uint8_t *name, size_t *name_len)
{
	_cleanup_(esys_freep) TPM2B_PUBLIC *out_public = NULL;
	_cleanup_(esys_freep) TPM2B_CREATION_DATA *cdata = NULL;
	_cleanup_(esys_freep) TPM2B_DIGEST *chash = NULL;
	_cleanup_(esys_freep) TPMT_TK_CREATION *ticket = NULL;
	_cleanup_(esys_freep) TPM2B_NAME *tpm_name = NULL;
	const TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_NODA |
					    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
					       .mode.aes = TPM2_ALG_CFB },
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION creation_pcrs = { 0 };
	TSS2_RC rc;

	rc = Esys_CreatePrimary(attest_ctx_esys(tpm), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &creation_pcrs, &ret->tr,
				&out_public, &cdata, &chash, &ticket);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot create the storage root key");
	rc = Esys_TR_GetName(attest_ctx_esys(tpm), ret->tr, &tpm_name);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot name the storage root key");
	if (tpm_name->size > DC_NAME_MAX)
		return vt_log_errno(EREMOTEIO, "storage root key name of %u bytes", tpm_name->size);
	memcpy(name, tpm_name->name, tpm_name->size);
	*name_len = tpm_name->size;
	return 0;
}

/* A session salted with the SRK (its secret reaches the TPM encrypted to
 * the SRK), AES-128-CFB parameter encryption, sha256. */
static int start_session(struct attest_ctx *tpm, ESYS_TR srk, TPM2_SE type, TPMA_SESSION attrs,
			 struct dc_obj *ret)
{
	const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				   .mode.aes = TPM2_ALG_CFB };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(attest_ctx_esys(tpm), srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, type, &sym, TPM2_ALG_SHA256, &ret->tr);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot start a tpm session");
	rc = Esys_TRSess_SetAttributes(attest_ctx_esys(tpm), ret->tr, attrs, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot set the attributes of a tpm session");
	return 0;
}

static int read_values(struct attest_ctx *tpm, const struct vt_hash_alg *bank, uint32_t mask,
		       struct policy_pcr_value *values, size_t *ret_n)
{
	size_t n = 0;
	int r;

	for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
		if (!(mask & (UINT32_C(1) << pcr)))
			continue;
		values[n] = (struct policy_pcr_value){ .alg = bank, .pcr = pcr };
		r = attest_pcr_read(tpm, bank, pcr, values[n].value);
		if (r < 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}

/* The PolicyPCR digest of the TPM's values now for bank and mask. */
static int policy_pcr_now(struct attest_ctx *tpm, const struct vt_hash_alg *bank, uint32_t mask,
			  uint8_t out[DC_POLICY_DIGEST_SIZE])
{
	struct policy_pcr_value values[POLICY_PCR_MAX];
	size_t n;
	int r;

	r = read_values(tpm, bank, mask, values, &n);
	if (r < 0)
		return r;
	return dc_policy_pcr_digest(values, n, out);
}

int diskcrypt_pcr_values_from_tpm(struct attest_ctx *tpm, const struct vt_hash_alg *bank,
				  uint32_t mask, struct policy_pcr_value *values)
{
	size_t n;
	int r;

	if (!bank || !values || mask == 0 || mask >> POLICY_PCR_MAX)
		return vt_log_errno(EINVAL, "cannot read pcr values: no pcr set");
	r = read_values(tpm, bank, mask, values, &n);
	return r < 0 ? r : (int)n;
}

int dc_seal(struct attest_ctx *tpm, const struct diskcrypt_seal_params *sp,
	    const struct diskcrypt_secret *key, struct dc_token *t)
{
	_cleanup_(dc_obj_flush) struct dc_obj srk = DC_OBJ_INIT(tpm);
	_cleanup_(dc_obj_flush) struct dc_obj session = DC_OBJ_INIT(tpm);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *sens_buf = NULL;
	_cleanup_(esys_freep) TPM2B_PRIVATE *out_private = NULL;
	_cleanup_(esys_freep) TPM2B_PUBLIC *out_public = NULL;
	_cleanup_(esys_freep) TPM2B_CREATION_DATA *cdata = NULL;
	_cleanup_(esys_freep) TPM2B_DIGEST *chash = NULL;
	_cleanup_(esys_freep) TPMT_TK_CREATION *ticket = NULL;
	_cleanup_(freep) char *pem = NULL;
	_cleanup_(freep) uint8_t *blob = NULL;
	TPM2B_SENSITIVE_CREATE *sens;
	TPM2B_PUBLIC tmpl = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION creation_pcrs = { 0 };
	uint8_t policy[DC_POLICY_DIGEST_SIZE], srk_name[DC_NAME_MAX];
	size_t srk_name_len, off = 0;
	TSS2_RC rc;
	int r;

	if (!sp || !sp->bank || (sp->pcr_mask >> POLICY_PCR_MAX) ||
	    (sp->pcr_mask == 0 && !sp->authorize_key))
		return vt_log_errno(EINVAL, "cannot seal a key: no pcr set and no authorize key");
	if (!attest_alg_supported(sp->bank))
		return vt_log_errno(EINVAL, "cannot seal a key: unsupported pcr bank");
	if (diskcrypt_secret_size(key) < DISKCRYPT_KEY_MIN || diskcrypt_secret_size(key) > DISKCRYPT_KEY_MAX)
		return vt_log_errno(EINVAL, "cannot seal a key of %zu bytes: %d to %d allowed",
					diskcrypt_secret_size(key), DISKCRYPT_KEY_MIN, DISKCRYPT_KEY_MAX);
	r = attest_ctx_check(tpm, "cannot seal a key");
	if (r < 0)
		return r;

	if (sp->authorize_key) {
		uint8_t name[DC_NAME_MAX];
		size_t name_len;

		r = dc_pkey_tpm_name(sp->authorize_key, name, &name_len);
		if (r < 0)
			return r;
		r = dc_policy_authorize_digest(name, name_len, policy);
		if (r < 0)
			return r;
		r = pkey_to_pem(sp->authorize_key, &pem);
		if (r < 0)
			return r;
	} else {
		r = policy_pcr_now(tpm, sp->bank, sp->pcr_mask, policy);
		if (r < 0)
			return r;
	}

	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_ADMINWITHPOLICY;
	tmpl.publicArea.authPolicy.size = DC_POLICY_DIGEST_SIZE;
	memcpy(tmpl.publicArea.authPolicy.buffer, policy, DC_POLICY_DIGEST_SIZE);
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;

	/* The key in the command structure is secret too. */
	r = diskcrypt_secret_new(sizeof(*sens), &sens_buf);
	if (r < 0)
		return r;
	sens = (TPM2B_SENSITIVE_CREATE *)dc_secret_mut(sens_buf);
	sens->sensitive.data.size = (UINT16)diskcrypt_secret_size(key);
	memcpy(sens->sensitive.data.buffer, diskcrypt_secret_data(key), diskcrypt_secret_size(key));

	r = srk_create(tpm, &srk, srk_name, &srk_name_len);
	if (r < 0)
		return r;
	r = start_session(tpm, srk.tr, TPM2_SE_HMAC,
			  TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION, &session);
	if (r < 0)
		return r;
	rc = Esys_Create(attest_ctx_esys(tpm), srk.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, sens, &tmpl,
			 &outside, &creation_pcrs, &out_private, &out_public, &cdata, &chash, &ticket);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot seal a key in the tpm");

	blob = malloc(DC_BLOB_MAX);
	if (!blob)
		return -ENOMEM;
	if (Tss2_MU_TPM2B_PRIVATE_Marshal(out_private, blob, DC_BLOB_MAX, &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(out_public, blob, DC_BLOB_MAX, &off) != TSS2_RC_SUCCESS)
		return vt_log_errno(EREMOTEIO, "cannot store the sealed key: tpm answered with an oversized object");

	t->bank = sp->bank;
	t->pcr_mask = sp->pcr_mask;
	memcpy(t->policy_hash, policy, sizeof(policy));
	free(t->blob);
	t->blob = TAKE_PTR(blob);
	t->blob_len = off;
	free(t->pubkey_pem);
	t->pubkey_pem = TAKE_PTR(pem);
	memcpy(t->srk_name, srk_name, srk_name_len);
	t->srk_name_len = srk_name_len;
	return 0;
}

/* ---- unsealing ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int deny(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, size, fmt, ap);
	va_end(ap);
	return -EKEYREJECTED;
}

static int blob_unmarshal(const struct dc_token *t, TPM2B_PRIVATE *priv, TPM2B_PUBLIC *pub)
{
	size_t off = 0;

	/* tss2-mu refuses to unmarshal into a TPM2B whose size is not zero. */
	*priv = (TPM2B_PRIVATE){ 0 };
	*pub = (TPM2B_PUBLIC){ 0 };
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(t->blob, t->blob_len, &off, priv) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(t->blob, t->blob_len, &off, pub) != TSS2_RC_SUCCESS ||
	    off != t->blob_len)
		return vt_log_errno(EBADMSG, "token %d: tpm2-blob is no TPM2B_PRIVATE and TPM2B_PUBLIC",
					t->id);
	if (pub->publicArea.type != TPM2_ALG_KEYEDHASH || pub->publicArea.nameAlg != TPM2_ALG_SHA256 ||
	    pub->publicArea.authPolicy.size != DC_POLICY_DIGEST_SIZE ||
	    memcmp(pub->publicArea.authPolicy.buffer, t->policy_hash, DC_POLICY_DIGEST_SIZE) != 0 ||
	    (pub->publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH))
		return vt_log_errno(EBADMSG,
					"token %d: the sealed object is not a policy-bound data object "
					"with the token's tpm2-policy-hash", t->id);
	return 0;
}

/* The signed policy that matches the PCRs now, for the token's key. */
static int pick_signed_policy(struct attest_ctx *tpm, const struct dc_token *t, void *pkey,
			      const struct dc_pcr_policies *sp, const char *path,
			      const struct dc_pcr_policy **ret, char *reason, size_t reason_size)
{
	uint8_t fp[32];
	size_t n_key = 0;
	int r;

	if (!sp)
		return deny(reason, reason_size, "sealed to signed pcr policies, and no signed pcr policy file%s%s%s",
			    path ? " '" : "", path ? path : "", path ? "' exists" : " given");
	r = dc_pkey_fingerprint(pkey, fp);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sp->n; i++) {
		const struct dc_pcr_policy *e = &sp->v[i];
		uint8_t digest[DC_POLICY_DIGEST_SIZE];

		if (memcmp(e->fingerprint, fp, sizeof(fp)) != 0)
			continue;
		n_key++;
		r = policy_pcr_now(tpm, e->bank, e->mask, digest);
		if (r < 0)
			return r;
		if (memcmp(digest, e->policy, sizeof(digest)) == 0) {
			*ret = e;
			return 0;
		}
	}
	if (n_key == 0)
		return deny(reason, reason_size, "no policy in signed pcr policy file '%s' is signed by the token's key",
			    sp->path);
	{
		char sel[96];

		diskcrypt_pcrs_format(t->bank, t->pcr_mask, sel, sizeof(sel));
		return deny(reason, reason_size,
			    "none of the %zu signed pcr policies in '%s' matches the pcr values now (%s)",
			    n_key, sp->path, t->pcr_mask ? sel : "the signed sets");
	}
}

/* VerifySignature on the signed policy, then PolicyAuthorize with the
 * ticket. The key is loaded in the owner hierarchy: a ticket from the null
 * hierarchy would not do for PolicyAuthorize. */
static int policy_authorize(struct attest_ctx *tpm, ESYS_TR session, void *pkey,
			    const struct dc_pcr_policy *e, char *reason, size_t reason_size)
{
	_cleanup_(dc_obj_flush) struct dc_obj ext = DC_OBJ_INIT(tpm);
	_cleanup_(esys_freep) TPMT_TK_VERIFIED *ticket = NULL;
	_cleanup_(esys_freep) TPM2B_NAME *tpm_name = NULL;
	const struct vt_hash_alg *hash;
	TPM2B_PUBLIC pub;
	TPMT_SIGNATURE sig;
	TPM2B_DIGEST ahash = { 0 }, approved = { .size = DC_POLICY_DIGEST_SIZE };
	const TPM2B_NONCE ref = { 0 };
	uint8_t name[DC_NAME_MAX];
	size_t name_len, len;
	TPM2B_NAME key_name = { 0 };
	TSS2_RC rc;
	int r;

	r = policy_verify_pkey(pkey, e->policy, sizeof(e->policy), e->signature, e->signature_len);
	if (r == -EKEYREJECTED)
		return deny(reason, reason_size, "the signature of the signed pcr policy does not verify "
			    "with the token's authorize key");
	if (r < 0)
		return r;
	r = pkey_to_public(pkey, &pub, &hash);
	if (r < 0)
		return r;
	r = public_name(&pub, name, &name_len);
	if (r < 0)
		return r;
	if (signature_to_tpm(&pub, hash, e->signature, e->signature_len, &sig) < 0)
		return deny(reason, reason_size, "the signature of the signed pcr policy is malformed");
	memcpy(approved.buffer, e->policy, DC_POLICY_DIGEST_SIZE);
	r = hash_parts(hash->ossl, (struct part[]){ { e->policy, DC_POLICY_DIGEST_SIZE } }, 1,
		       ahash.buffer, &len);
	if (r < 0)
		return r;
	ahash.size = (UINT16)len;

	rc = Esys_LoadExternal(attest_ctx_esys(tpm), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &pub,
			       ESYS_TR_RH_OWNER, &ext.tr);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot load the authorize key into the tpm");
	rc = Esys_TR_GetName(attest_ctx_esys(tpm), ext.tr, &tpm_name);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot name the authorize key");
	if (tpm_name->size != name_len || memcmp(tpm_name->name, name, name_len) != 0)
		return vt_log_errno(EREMOTEIO, "the tpm names the authorize key differently than vmtrust");
	rc = Esys_VerifySignature(attest_ctx_esys(tpm), ext.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ahash,
				  &sig, &ticket);
	if (rc != TSS2_RC_SUCCESS) {
		if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER)
			return deny(reason, reason_size,
				    "the tpm rejects the signature of the signed pcr policy (0x%x)", (unsigned)rc);
		return attest_tss2_fail(tpm, rc, "cannot verify the signed pcr policy in the tpm");
	}
	dc_obj_flush(&ext);

	key_name.size = (UINT16)name_len;
	memcpy(key_name.name, name, name_len);
	rc = Esys_PolicyAuthorize(attest_ctx_esys(tpm), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &approved,
				  &ref, &key_name, ticket);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(tpm, rc, "cannot authorize the pcr policy in the tpm");
	return 0;
}

/* ESAPI decrypts a response in place, in the buffer its commands and
 * responses share: the unsealed key stays there until a longer response
 * overwrites it. The algorithm list is a few hundred bytes on any TPM. */
static void scrub_response_buffer(struct attest_ctx *tpm)
{
	_cleanup_(esys_freep) TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(attest_ctx_esys(tpm), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_ALGS,
				TPM2_ALG_FIRST, TPM2_MAX_CAP_ALGS, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		vt_logf(VT_LOG_DEBUG, "cannot overwrite the tpm response buffer: 0x%x", (unsigned)rc);
}

int dc_unseal(struct attest_ctx *tpm, const struct dc_token *t, const struct dc_pcr_policies *signed_policies,
	      const char *pcr_policy_path, char *reason, size_t reason_size,
	      struct diskcrypt_secret **ret)
{
	_cleanup_(dc_obj_flush) struct dc_obj srk = DC_OBJ_INIT(tpm);
	_cleanup_(dc_obj_flush) struct dc_obj session = DC_OBJ_INIT(tpm);
	_cleanup_(dc_obj_flush) struct dc_obj sealed = DC_OBJ_INIT(tpm);
	_cleanup_(sensitive_data_freep) TPM2B_SENSITIVE_DATA *out = NULL;
	_cleanup_(esys_freep) TPM2B_DIGEST *digest = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;
	EVP_PKEY *pkey = NULL;
	const struct dc_pcr_policy *e = NULL;
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST pcr_digest = { 0 };
	uint8_t srk_name[DC_NAME_MAX];
	size_t srk_name_len;
	char pcrs[96];
	TSS2_RC rc;
	int r;

	r = attest_ctx_check(tpm, "cannot unseal token %d", t->id);
	if (r < 0)
		return r;
	r = blob_unmarshal(t, &priv, &pub);
	if (r < 0)
		return r;
	diskcrypt_pcrs_format(t->bank, t->pcr_mask, pcrs, sizeof(pcrs));
	if (t->pubkey_pem) {
		r = pkey_from_pem(t->pubkey_pem, &pkey);
		if (r < 0)
			return vt_log_errno(EBADMSG, "token %d: tpm2-pubkey is no pem public key", t->id);
	}

	r = srk_create(tpm, &srk, srk_name, &srk_name_len);
	if (r < 0)
		goto out;
	if (t->srk_name_len && (t->srk_name_len != srk_name_len || memcmp(t->srk_name, srk_name, srk_name_len))) {
		r = deny(reason, reason_size,
			 "the key was sealed in another tpm, or this tpm's owner hierarchy was cleared");
		goto out;
	}
	r = start_session(tpm, srk.tr, TPM2_SE_POLICY,
			  TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, &session);
	if (r < 0)
		goto out;

	if (pkey) {
		struct part parts[POLICY_PCR_MAX];
		size_t len;

		r = pick_signed_policy(tpm, t, pkey, signed_policies, pcr_policy_path, &e, reason,
				       reason_size);
		if (r < 0)
			goto out;
		for (size_t i = 0; i < e->n_values; i++)
			parts[i] = (struct part){ e->values[i].value, e->bank->size };
		r = hash_parts("SHA256", parts, e->n_values, pcr_digest.buffer, &len);
		if (r < 0)
			goto out;
		pcr_digest.size = (UINT16)len;
		pcr_selection(e->bank, e->mask, &sel);
	} else {
		pcr_selection(t->bank, t->pcr_mask, &sel);
	}
	/* With the signed values given, the TPM checks them against the PCRs
	 * now (TPM_RC_VALUE when they moved since they were read). */
	rc = Esys_PolicyPCR(attest_ctx_esys(tpm), session.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    &pcr_digest, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		if (check_rc_layer_fmt1(rc, TPM2_RC_VALUE))
			r = deny(reason, reason_size, "pcr values changed while unsealing");
		else
			r = attest_tss2_fail(tpm, rc, "cannot run PolicyPCR for token %d", t->id);
		goto out;
	}
	if (pkey) {
		r = policy_authorize(tpm, session.tr, pkey, e, reason, reason_size);
		if (r < 0)
			goto out;
	}
	rc = Esys_PolicyGetDigest(attest_ctx_esys(tpm), session.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  &digest);
	if (rc != TSS2_RC_SUCCESS) {
		r = attest_tss2_fail(tpm, rc, "cannot read the policy digest for token %d", t->id);
		goto out;
	}
	if (digest->size != DC_POLICY_DIGEST_SIZE ||
	    memcmp(digest->buffer, t->policy_hash, DC_POLICY_DIGEST_SIZE) != 0) {
		if (pkey)
			r = deny(reason, reason_size, "the signed pcr policy does not lead to the sealed policy");
		else
			r = deny(reason, reason_size,
				 "pcr %s no longer hold the values the key was sealed to", pcrs);
		goto out;
	}

	rc = Esys_Load(attest_ctx_esys(tpm), srk.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
		       &sealed.tr);
	if (rc != TSS2_RC_SUCCESS) {
		if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER)
			r = deny(reason, reason_size,
				 "the tpm cannot load the sealed key (0x%x): another tpm, or a cleared one",
				 (unsigned)rc);
		else
			r = attest_tss2_fail(tpm, rc, "cannot load the sealed key of token %d", t->id);
		goto out;
	}
	dc_obj_flush(&srk);

	rc = Esys_Unseal(attest_ctx_esys(tpm), sealed.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &out);
	if (rc != TSS2_RC_SUCCESS) {
		if (check_rc_layer_fmt1(rc, TPM2_RC_POLICY_FAIL))
			r = deny(reason, reason_size, "the tpm refused to unseal: policy check failed for pcr %s",
				 pcrs);
		else
			r = attest_tss2_fail(tpm, rc, "cannot unseal the key of token %d", t->id);
		goto out;
	}
	if (out->size < DISKCRYPT_KEY_MIN || out->size > DISKCRYPT_KEY_MAX) {
		r = vt_log_errno(EBADMSG, "token %d: the sealed key has %u bytes, %d to %d expected",
				     t->id, out->size, DISKCRYPT_KEY_MIN, DISKCRYPT_KEY_MAX);
		goto out;
	}
	r = diskcrypt_secret_new(out->size, &key);
	if (r < 0)
		goto out;
	memcpy(dc_secret_mut(key), out->buffer, out->size);
	scrub_response_buffer(tpm);
	*ret = TAKE_PTR(key);
	r = 0;
out:
	EVP_PKEY_free(pkey);
	return r;
}
