/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EK and AK: the templates, creating and loading them, the state files, and
 * enrollment by credential activation: TPM2_MakeCredential in software for a
 * verifier (TPM 2.0 Part 1, 24 "Credential Protection", and Annex C.6/C.7 for
 * the seed), TPM2_ActivateCredential in the host's TPM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "attest.h"
#include "keys-internal.h"
#include "tpm-internal.h"

_Static_assert(ATTEST_NAME_MAX == 2 + sizeof(TPMU_HA), "a name is an algorithm and a digest");
_Static_assert(ATTEST_CREDENTIAL_MAX == sizeof(TPMU_HA), "a credential is a TPM2B_DIGEST");
_Static_assert(ATTEST_ID_OBJECT_MAX >= sizeof(TPM2B_ID_OBJECT), "room for a TPM2B_ID_OBJECT");
_Static_assert(ATTEST_ENCRYPTED_SECRET_MAX >= sizeof(TPM2B_ENCRYPTED_SECRET),
	       "room for a TPM2B_ENCRYPTED_SECRET");

#define PRIVATE_MAX 4096        /* a marshalled TPM2B_PRIVATE we accept from ak.priv */
#define PEM_MAX (64 * 1024)     /* a PEM public key or certificate */
#define KDF_LABEL_MAX 16


/* ---- templates -------------------------------------------------------------- */

/* TCG EK Credential Profile 2.0, B.3.3: PolicySecret(TPM_RH_ENDORSEMENT). */
static const TPM2B_DIGEST ek_policy_sha256 = {
	.size = 32,
	.buffer = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
		    0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
		    0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa },
};

#define EK_ATTRS                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define AK_ATTRS                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)
/* What a verifier requires of an AK (userWithAuth is the host's business). */
#define AK_REQUIRED_ATTRS (AK_ATTRS & ~TPMA_OBJECT_USERWITHAUTH)

static const TPMT_SYM_DEF_OBJECT aes128cfb = {
	.algorithm = TPM2_ALG_AES,
	.keyBits.aes = 128,
	.mode.aes = TPM2_ALG_CFB,
};

/* Templates L-1 (RSA 2048) and L-2 (ECC NIST P-256): the unique field is
 * zeros of the key's size, as the profile asks. */
static void ek_template(enum attest_key_alg alg, TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;

	*t = (TPM2B_PUBLIC){ 0 };
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = EK_ATTRS;
	p->authPolicy = ek_policy_sha256;
	if (alg == ATTEST_KEY_RSA) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric = aes128cfb;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
		p->unique.rsa.size = 256;
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric = aes128cfb;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
	}
}

/* As tpm2_createak -G rsa|ecc -g sha256 -s rsassa|ecdsa. */
static void ak_template(enum attest_key_alg alg, TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;

	*t = (TPM2B_PUBLIC){ 0 };
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = AK_ATTRS;
	if (alg == ATTEST_KEY_RSA) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	}
}

int attest_key_alg_from_string(const char *s, enum attest_key_alg *ret)
{
	if (s && strcmp(s, "rsa") == 0)
		*ret = ATTEST_KEY_RSA;
	else if (s && strcmp(s, "ecc") == 0)
		*ret = ATTEST_KEY_ECC;
	else
		return -EINVAL;
	return 0;
}

const char *attest_key_alg_to_string(enum attest_key_alg alg)
{
	return alg == ATTEST_KEY_RSA ? "rsa" : "ecc";
}

/* ---- marshalling and names ----------------------------------------------- */

int attest_public_unmarshal(const char *what, const uint8_t *data, size_t len, TPM2B_PUBLIC *ret)
{
	TPM2B_PUBLIC pub = { 0 };
	size_t off = 0;
	TSS2_RC rc;

	if (!data || len == 0 || len > ATTEST_PUBLIC_MAX)
		return vt_log_errno(EBADMSG, "%s: %zu bytes are no TPM2B_PUBLIC (at most %d)", what,
					len, ATTEST_PUBLIC_MAX);
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, &pub);
	if (rc != TSS2_RC_SUCCESS)
		return vt_log_errno(EBADMSG, "%s: not a TPM2B_PUBLIC: %s", what, Tss2_RC_Decode(rc));
	if (off != len)
		return vt_log_errno(EBADMSG, "%s: %zu bytes after the TPM2B_PUBLIC", what, len - off);
	if (pub.publicArea.type != TPM2_ALG_RSA && pub.publicArea.type != TPM2_ALG_ECC)
		return vt_log_errno(EOPNOTSUPP, "%s: key type 0x%04x is neither RSA nor ECC", what,
					pub.publicArea.type);
	*ret = pub;
	return 0;
}

static int public_marshal(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_len)
{
	_cleanup_(freep) uint8_t *buf = malloc(sizeof(TPM2B_PUBLIC));
	size_t off = 0;
	TSS2_RC rc;

	if (!buf)
		return -ENOMEM;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(TPM2B_PUBLIC), &off);
	if (rc != TSS2_RC_SUCCESS || off > ATTEST_PUBLIC_MAX)
		return vt_log_errno(EBADMSG, "cannot marshal a TPM2B_PUBLIC: %s", Tss2_RC_Decode(rc));
	*ret = TAKE_PTR(buf);
	*ret_len = off;
	return 0;
}

static int name_of(const TPMT_PUBLIC *p, const char *what, uint8_t *name, size_t *ret_len)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(p->nameAlg);
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	unsigned md_len = 0;
	size_t off = 0;
	TSS2_RC rc;

	if (!alg)
		return vt_log_errno(EOPNOTSUPP, "%s: unsupported name algorithm 0x%04x", what,
					p->nameAlg);
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(p, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS)
		return vt_log_errno(EBADMSG, "%s: cannot marshal the public area: %s", what,
					Tss2_RC_Decode(rc));
	name[0] = (uint8_t)(p->nameAlg >> 8);
	name[1] = (uint8_t)p->nameAlg;
	if (!attest_md(alg) || EVP_Digest(buf, off, name + 2, &md_len, attest_md(alg), NULL) != 1 ||
	    md_len != alg->size)
		return vt_log_errno(EIO, "%s: cannot hash the public area in openssl", what);
	*ret_len = 2 + alg->size;
	return 0;
}

int attest_public_name(const uint8_t *pub, size_t len, uint8_t *ret_name, size_t *ret_name_len)
{
	uint8_t name[ATTEST_NAME_MAX];
	TPM2B_PUBLIC p;
	size_t n;
	int r;

	r = attest_public_unmarshal("public key", pub, len, &p);
	if (r < 0)
		return r;
	r = name_of(&p.publicArea, "public key", name, &n);
	if (r < 0)
		return r;
	memcpy(ret_name, name, n);
	*ret_name_len = n;
	return 0;
}

/* ---- TPM public areas and OpenSSL keys ---------------------------------- */

/* An EVP_PKEY of the key in a public area (common/tpmkey.c), the refusal
 * logged naming what. */
static int public_to_pkey(const TPMT_PUBLIC *p, const char *what, EVP_PKEY **ret)
{
	char why[160];
	int r;

	r = vt_tpm_public_to_pkey(p, ret, why, sizeof(why));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return vt_log_errno(-r, "%s: %s", what, why);
	return 0;
}

static int tpmt_to_pem(const TPMT_PUBLIC *p, const char *what, char **ret)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	int r;

	r = public_to_pkey(p, what, &pkey);
	if (r < 0)
		return r;
	return policy_pkey_to_pem(pkey, ret, NULL);
}

int attest_public_to_pem(const uint8_t *pub, size_t len, char **ret_pem)
{
	TPM2B_PUBLIC p;
	int r;

	r = attest_public_unmarshal("public key", pub, len, &p);
	if (r < 0)
		return r;
	return tpmt_to_pem(&p.publicArea, "public key", ret_pem);
}

int attest_ak_public_check(const uint8_t *pub, size_t len)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	TPM2B_PUBLIC p;
	const TPMT_PUBLIC *a = &p.publicArea;
	TPMI_ALG_HASH hash;
	int r;

	r = attest_public_unmarshal("attestation key", pub, len, &p);
	if (r < 0)
		return r;
	if ((a->objectAttributes & AK_REQUIRED_ATTRS) != AK_REQUIRED_ATTRS ||
	    (a->objectAttributes & TPMA_OBJECT_DECRYPT))
		return vt_log_errno(EKEYREJECTED,
					"attestation key: attributes 0x%08x are not those of a restricted "
					"signing key bound to its tpm (fixedTPM|fixedParent|"
					"sensitiveDataOrigin|restricted|sign, not decrypt)",
					(unsigned)a->objectAttributes);
	if (a->type == TPM2_ALG_RSA && a->parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA)
		hash = a->parameters.rsaDetail.scheme.details.rsassa.hashAlg;
	else if (a->type == TPM2_ALG_ECC && a->parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA)
		hash = a->parameters.eccDetail.scheme.details.ecdsa.hashAlg;
	else
		return vt_log_errno(EKEYREJECTED,
					"attestation key: signing scheme is not RSASSA or ECDSA");
	if (!vt_hash_alg_by_tpm(hash) || !vt_hash_alg_by_tpm(a->nameAlg))
		return vt_log_errno(EKEYREJECTED,
					"attestation key: unsupported hash 0x%04x or name algorithm 0x%04x",
					hash, a->nameAlg);
	r = public_to_pkey(a, "attestation key", &pkey);
	if (r < 0)   /* logged */
		return r == -ENOMEM ? r : -EKEYREJECTED;
	return 0;
}

/* The PEM as a public key, else as a certificate's key. */
static int pem_to_pkey(const char *pem, size_t len, EVP_PKEY **ret)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	EVP_PKEY *pkey;

	if (len > PEM_MAX)
		return vt_log_errno(EFBIG, "ek: %zu bytes of PEM exceed the limit of %d", len, PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey) {
		(void)BIO_reset(bio);
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		pkey = cert ? X509_get_pubkey(cert) : NULL;
	}
	ERR_clear_error();
	if (!pkey)
		return vt_log_errno(EBADMSG, "ek: no PEM public key or certificate");
	*ret = pkey;
	return 0;
}

static int bn_param(EVP_PKEY *pkey, const char *param, uint8_t *out, size_t size)
{
	_cleanup_(BN_freep) BIGNUM *bn = NULL;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1 || BN_num_bytes(bn) > (int)size ||
	    BN_bn2binpad(bn, out, (int)size) != (int)size)
		return -EBADMSG;
	return 0;
}

int attest_ek_public_from_pem(const char *pem, size_t pem_len, uint8_t **ret_public,
			      size_t *ret_len)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	TPM2B_PUBLIC t;
	int r;

	r = pem_to_pkey(pem, pem_len, &pkey);
	if (r < 0)
		return r;
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		uint8_t e[4];

		ek_template(ATTEST_KEY_RSA, &t);
		if (EVP_PKEY_get_bits(pkey) != 2048 ||
		    bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, t.publicArea.unique.rsa.buffer, 256) < 0 ||
		    bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e)) < 0 ||
		    memcmp(e, "\x00\x01\x00\x01", 4) != 0)
			return vt_log_errno(EOPNOTSUPP,
						"ek: an RSA key that is not 2048 bits with exponent 65537 "
						"is no default-template EK");
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[32] = "";

		ek_template(ATTEST_KEY_ECC, &t);
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0) ||
		    bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, t.publicArea.unique.ecc.x.buffer, 32) < 0 ||
		    bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, t.publicArea.unique.ecc.y.buffer, 32) < 0) {
			ERR_clear_error();
			return vt_log_errno(EOPNOTSUPP, "ek: an EC key not on NIST P-256 is no "
							    "default-template EK");
		}
	} else {
		return vt_log_errno(EOPNOTSUPP, "ek: neither an RSA nor an EC key");
	}
	return public_marshal(&t, ret_public, ret_len);
}

/* ---- TPM objects ---------------------------------------------------------- */

void attest_obj_flush(struct attest_obj *o)
{
	TSS2_RC rc;

	if (!o || o->tr == ESYS_TR_NONE)
		return;
	if (o->ctx && o->ctx->esys && !o->ctx->lost) {
		rc = Esys_FlushContext(o->ctx->esys, o->tr);
		if (rc != TSS2_RC_SUCCESS) {
			if (attest_tss2_errno(rc) == -ECOMM)
				o->ctx->lost = true;
			else
				vt_logf(VT_LOG_WARNING,
					    "cannot flush a transient object from tpm '%s': 0x%x: %s",
					    o->ctx->tcti_conf, (unsigned)rc, Tss2_RC_Decode(rc));
		}
	}
	o->tr = ESYS_TR_NONE;
}

int attest_obj_release(struct attest_obj *o, const char *what)
{
	struct attest_ctx *c = o->ctx;
	TSS2_RC rc;

	if (o->tr == ESYS_TR_NONE)
		return 0;
	if (!c || c->lost) {
		o->tr = ESYS_TR_NONE;
		return attest_ctx_check(c, "cannot %s", what);
	}
	rc = Esys_FlushContext(c->esys, o->tr);
	o->tr = ESYS_TR_NONE;
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(c, rc, "cannot %s: cannot flush a transient object", what);
	return 0;
}

static int path_in(const char *dir, const char *name, char **ret)
{
	return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

int attest_state_read(const char *state_dir, const char *name, size_t max, uint8_t **ret,
		      size_t *ret_len)
{
	_cleanup_(freep) char *path = NULL, *data = NULL;
	size_t len;
	int r;

	r = path_in(state_dir, name, &path);
	if (r < 0)
		return r;
	r = vt_read_file(path, max, &data, &len);
	if (r < 0)
		return r;
	*ret = (uint8_t *)TAKE_PTR(data);
	*ret_len = len;
	return 0;
}

/* A policy session that satisfies the EK's authPolicy. With salt (the EK),
 * the session is salted by it and encrypts the first response parameter. */
static int ek_session(struct attest_ctx *ctx, ESYS_TR salt, const char *what,
		      struct attest_obj *ret)
{
	_cleanup_(attest_obj_flush) struct attest_obj s = ATTEST_OBJ_INIT(ctx);
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPMA_SESSION attrs = TPMA_SESSION_CONTINUESESSION;
	TSS2_RC rc;

	if (salt != ESYS_TR_NONE) {
		sym = (TPMT_SYM_DEF){ .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				      .mode.aes = TPM2_ALG_CFB };
		attrs |= TPMA_SESSION_ENCRYPT;
	}
	rc = Esys_StartAuthSession(ctx->esys, salt, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &s.tr);
	if (rc != TSS2_RC_SUCCESS) {
		s.tr = ESYS_TR_NONE;
		return attest_tss2_fail(ctx, rc, "cannot %s: cannot start a policy session", what);
	}
	/* Kept after use, so that it is flushed here, always. */
	rc = Esys_TRSess_SetAttributes(ctx->esys, s.tr, attrs, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc, "cannot %s: cannot set the session attributes", what);
	rc = Esys_PolicySecret(ctx->esys, ESYS_TR_RH_ENDORSEMENT, s.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc,
					"cannot %s: PolicySecret(endorsement) for the ek failed "
					"(an endorsement hierarchy password is not supported)", what);
	*ret = s;
	s.tr = ESYS_TR_NONE;
	return 0;
}

/* Re-creates the EK from its template; ret_public (may be NULL) receives
 * its public area as the TPM returned it. */
static int ek_create(struct attest_ctx *ctx, enum attest_key_alg alg, const char *what,
		     struct attest_obj *ret, TPM2B_PUBLIC *ret_public)
{
	_cleanup_(attest_obj_flush) struct attest_obj ek = ATTEST_OBJ_INIT(ctx);
	_cleanup_(esys_freep) TPM2B_PUBLIC *out = NULL;
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcrs = { 0 };
	TPM2B_PUBLIC tmpl;
	TSS2_RC rc;

	ek_template(alg, &tmpl);
	rc = Esys_CreatePrimary(ctx->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sensitive, &tmpl, &outside, &creation_pcrs, &ek.tr, &out,
				NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ek.tr = ESYS_TR_NONE;
		return attest_tss2_fail(ctx, rc, "cannot %s: cannot create the %s ek", what,
					attest_key_alg_to_string(alg));
	}
	if (ret_public)
		*ret_public = *out;
	*ret = ek;
	ek.tr = ESYS_TR_NONE;
	return 0;
}

static int write_state(const char *state_dir, const char *name, const void *data, size_t len,
		       unsigned mode)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = path_in(state_dir, name, &path);
	if (r < 0)
		return r;
	return vt_write_file_atomic(path, data, len, mode);
}

int attest_ek_public(struct attest_ctx *ctx, enum attest_key_alg alg, uint8_t **ret_public,
		     size_t *ret_len, char **ret_pem)
{
	_cleanup_(attest_obj_flush) struct attest_obj ek = ATTEST_OBJ_INIT(ctx);
	_cleanup_(freep) uint8_t *pub = NULL;
	_cleanup_(freep) char *pem = NULL;
	TPM2B_PUBLIC p;
	size_t len;
	int r;

	r = attest_ctx_check(ctx, "cannot create the ek");
	if (r < 0)
		return r;
	r = ek_create(ctx, alg, "read the ek", &ek, &p);
	if (r < 0)
		return r;
	r = attest_obj_release(&ek, "read the ek");
	if (r < 0)
		return r;
	r = public_marshal(&p, &pub, &len);
	if (r < 0)
		return r;
	r = tpmt_to_pem(&p.publicArea, "ek", &pem);
	if (r < 0)
		return r;
	if (ret_public) {
		*ret_public = TAKE_PTR(pub);
		*ret_len = len;
	}
	if (ret_pem)
		*ret_pem = TAKE_PTR(pem);
	return 0;
}

int attest_enroll(struct attest_ctx *ctx, const char *state_dir, enum attest_key_alg ek_alg,
		  enum attest_key_alg ak_alg, bool replace, uint8_t *ret_name,
		  size_t *ret_name_len)
{
	_cleanup_(attest_obj_flush) struct attest_obj ek = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_obj_flush) struct attest_obj session = ATTEST_OBJ_INIT(ctx);
	_cleanup_(esys_freep) TPM2B_PRIVATE *priv = NULL;
	_cleanup_(esys_freep) TPM2B_PUBLIC *pub = NULL;
	_cleanup_(freep) uint8_t *ek_bytes = NULL, *ak_bytes = NULL;
	_cleanup_(freep) char *ek_pem = NULL, *ak_pem = NULL, *ak_path = NULL;
	uint8_t priv_bytes[sizeof(TPM2B_PRIVATE)], name[ATTEST_NAME_MAX];
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcrs = { 0 };
	TPM2B_PUBLIC ek_public, tmpl;
	size_t ek_len, ak_len, priv_len = 0, name_len;
	TSS2_RC rc;
	int r;

	if (!state_dir || (ek_alg != ATTEST_KEY_RSA && ek_alg != ATTEST_KEY_ECC) ||
	    (ak_alg != ATTEST_KEY_RSA && ak_alg != ATTEST_KEY_ECC))
		return vt_log_errno(EINVAL, "cannot enroll: no state directory or unknown key algorithm");
	r = attest_ctx_check(ctx, "cannot enroll");
	if (r < 0)
		return r;
	r = path_in(state_dir, VT_STATE_AK_PUB, &ak_path);
	if (r < 0)
		return r;
	if (!replace && access(ak_path, F_OK) == 0)
		return vt_log_errno(EEXIST,
					"cannot enroll: '%s' exists: an attestation key is enrolled already "
					"(replacing it means enrolling the new one with every verifier)",
					ak_path);
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create state directory '%s': %s", state_dir,
					strerror(errno));

	r = ek_create(ctx, ek_alg, "enroll", &ek, &ek_public);
	if (r < 0)
		return r;
	r = ek_session(ctx, ESYS_TR_NONE, "enroll", &session);
	if (r < 0)
		return r;
	ak_template(ak_alg, &tmpl);
	rc = Esys_Create(ctx->esys, ek.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
			 &outside, &creation_pcrs, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc, "cannot enroll: cannot create the %s attestation key",
					attest_key_alg_to_string(ak_alg));
	r = attest_obj_release(&session, "enroll");
	if (r >= 0)
		r = attest_obj_release(&ek, "enroll");
	if (r < 0)
		return r;

	r = public_marshal(&ek_public, &ek_bytes, &ek_len);
	if (r < 0)
		return r;
	r = public_marshal(pub, &ak_bytes, &ak_len);
	if (r < 0)
		return r;
	rc = Tss2_MU_TPM2B_PRIVATE_Marshal(priv, priv_bytes, sizeof(priv_bytes), &priv_len);
	if (rc != TSS2_RC_SUCCESS)
		return vt_log_errno(EBADMSG, "cannot enroll: cannot marshal the ak's private part: %s",
					Tss2_RC_Decode(rc));
	r = tpmt_to_pem(&ek_public.publicArea, "ek", &ek_pem);
	if (r < 0)
		return r;
	r = tpmt_to_pem(&pub->publicArea, "ak", &ak_pem);
	if (r < 0)
		return r;
	r = name_of(&pub->publicArea, "ak", name, &name_len);
	if (r < 0)
		return r;

	/* The AK's public part last: it marks a complete enrollment. */
	r = write_state(state_dir, VT_STATE_EK_PUB, ek_bytes, ek_len, 0644);
	if (r >= 0)
		r = write_state(state_dir, VT_STATE_EK_PEM, ek_pem, strlen(ek_pem), 0644);
	if (r >= 0)
		r = write_state(state_dir, VT_STATE_AK_PRIV, priv_bytes, priv_len, 0600);
	if (r >= 0)
		r = write_state(state_dir, VT_STATE_AK_PEM, ak_pem, strlen(ak_pem), 0644);
	if (r >= 0)
		r = write_state(state_dir, VT_STATE_AK_NAME, name, name_len, 0644);
	if (r >= 0)
		r = write_state(state_dir, VT_STATE_AK_PUB, ak_bytes, ak_len, 0644);
	if (r < 0)
		return r;
	if (ret_name) {
		memcpy(ret_name, name, name_len);
		*ret_name_len = name_len;
	}
	return 0;
}

int attest_ak_load(struct attest_ctx *ctx, const char *state_dir, struct attest_obj *ret_ek,
		   struct attest_obj *ret_ak, uint8_t **ret_ak_pub, size_t *ret_ak_pub_len,
		   TPM2B_PUBLIC *ret_ak_public)
{
	_cleanup_(attest_obj_flush) struct attest_obj ek = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_obj_flush) struct attest_obj ak = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_obj_flush) struct attest_obj session = ATTEST_OBJ_INIT(ctx);
	_cleanup_(freep) uint8_t *ek_bytes = NULL, *ak_bytes = NULL, *priv_bytes = NULL;
	_cleanup_(freep) uint8_t *made = NULL;
	_cleanup_(freep) char *ak_path = NULL;
	TPM2B_PUBLIC ek_file, ek_made, ak_public;
	TPM2B_PRIVATE priv = { 0 };
	size_t ek_len, ak_len, priv_len, made_len, off = 0;
	TSS2_RC rc;
	int r;

	r = path_in(state_dir, VT_STATE_AK_PUB, &ak_path);
	if (r < 0)
		return r;
	if (access(ak_path, F_OK) < 0 && errno == ENOENT)
		return vt_log_errno(ENOENT, "no attestation key enrolled in '%s' (no %s): enroll one first",
					state_dir, VT_STATE_AK_PUB);
	r = attest_state_read(state_dir, VT_STATE_AK_PUB, ATTEST_PUBLIC_MAX, &ak_bytes, &ak_len);
	if (r < 0)
		return r;
	r = attest_public_unmarshal(ak_path, ak_bytes, ak_len, &ak_public);
	if (r < 0)
		return r;
	r = attest_state_read(state_dir, VT_STATE_AK_PRIV, PRIVATE_MAX, &priv_bytes, &priv_len);
	if (r < 0)
		return r;
	rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv_bytes, priv_len, &off, &priv);
	if (rc != TSS2_RC_SUCCESS || off != priv_len)
		return vt_log_errno(EBADMSG, "'%s/%s': not a TPM2B_PRIVATE", state_dir,
					VT_STATE_AK_PRIV);
	r = attest_state_read(state_dir, VT_STATE_EK_PUB, ATTEST_PUBLIC_MAX, &ek_bytes, &ek_len);
	if (r < 0)
		return r;
	r = attest_public_unmarshal(VT_STATE_EK_PUB, ek_bytes, ek_len, &ek_file);
	if (r < 0)
		return r;

	r = ek_create(ctx, ek_file.publicArea.type == TPM2_ALG_RSA ? ATTEST_KEY_RSA : ATTEST_KEY_ECC,
		      "load the attestation key", &ek, &ek_made);
	if (r < 0)
		return r;
	r = public_marshal(&ek_made, &made, &made_len);
	if (r < 0)
		return r;
	if (made_len != ek_len || memcmp(made, ek_bytes, ek_len) != 0)
		return vt_log_errno(ESTALE,
					"cannot load the attestation key: '%s/%s' is not the ek of tpm '%s' "
					"(another tpm, or its endorsement seed changed): enroll again",
					state_dir, VT_STATE_EK_PUB, ctx->tcti_conf);
	r = ek_session(ctx, ESYS_TR_NONE, "load the attestation key", &session);
	if (r < 0)
		return r;
	rc = Esys_Load(ctx->esys, ek.tr, session.tr, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &ak_public,
		       &ak.tr);
	if (rc != TSS2_RC_SUCCESS) {
		ak.tr = ESYS_TR_NONE;
		return attest_tss2_fail(ctx, rc, "cannot load the attestation key of '%s'", state_dir);
	}
	r = attest_obj_release(&session, "load the attestation key");
	if (r < 0)
		return r;
	if (ret_ek) {
		*ret_ek = ek;
		ek.tr = ESYS_TR_NONE;
	} else {
		/* The AK stays loaded without its parent: one slot less in use. */
		r = attest_obj_release(&ek, "load the attestation key");
		if (r < 0)
			return r;
	}
	*ret_ak = ak;
	ak.tr = ESYS_TR_NONE;
	if (ret_ak_pub) {
		*ret_ak_pub = TAKE_PTR(ak_bytes);
		*ret_ak_pub_len = ak_len;
	}
	if (ret_ak_public)
		*ret_ak_public = ak_public;
	return 0;
}

/* ---- credentials ------------------------------------------------------------ */

static void be32(uint8_t *out, uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

/* KDFa (Part 1, 11.4.10.2; SP 800-108 counter mode with HMAC):
 * K(i) = HMAC(key, [i]32 || label || 00 || contextU || [bits]32). */
static int kdfa(const struct vt_hash_alg *alg, const uint8_t *key, size_t key_len,
		const char *label, const uint8_t *context, size_t context_len, uint8_t *out,
		size_t out_len)
{
	uint8_t in[4 + KDF_LABEL_MAX + 1 + ATTEST_NAME_MAX + 4], block[VT_DIGEST_MAX];
	size_t label_len = strlen(label) + 1, n, done = 0;
	int r = 0;

	if (label_len > KDF_LABEL_MAX + 1 || context_len > ATTEST_NAME_MAX)
		return -EINVAL;
	for (uint32_t counter = 1; done < out_len; counter++) {
		size_t got = 0;

		n = 0;
		be32(in, counter);
		n += 4;
		memcpy(in + n, label, label_len);
		n += label_len;
		if (context_len)
			memcpy(in + n, context, context_len);
		n += context_len;
		be32(in + n, (uint32_t)(out_len * 8));
		n += 4;
		if (!EVP_Q_mac(NULL, "HMAC", NULL, alg->ossl, NULL, key, key_len, in, n, block,
			       sizeof(block), &got) || got != alg->size) {
			r = -EIO;
			break;
		}
		got = out_len - done < alg->size ? out_len - done : alg->size;
		memcpy(out + done, block, got);
		done += got;
	}
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(in, sizeof(in));
	return r;
}

/* KDFe (Part 1, 11.4.10.3; SP 800-56A concatenation):
 * K(i) = H([i]32 || Z || label || 00 || partyU || partyV). */
static int kdfe(const struct vt_hash_alg *alg, const uint8_t *z, size_t z_len,
		const char *label, const uint8_t *party_u, size_t u_len, const uint8_t *party_v,
		size_t v_len, uint8_t *out, size_t out_len)
{
	uint8_t in[4 + 3 * 66 + KDF_LABEL_MAX + 1], block[VT_DIGEST_MAX];
	size_t label_len = strlen(label) + 1, done = 0;
	int r = 0;

	if (z_len > 66 || u_len > 66 || v_len > 66 || label_len > KDF_LABEL_MAX + 1)
		return -EINVAL;
	for (uint32_t counter = 1; done < out_len; counter++) {
		unsigned md_len = 0;
		size_t n = 0, got;

		be32(in, counter);
		n += 4;
		memcpy(in + n, z, z_len);
		n += z_len;
		memcpy(in + n, label, label_len);
		n += label_len;
		memcpy(in + n, party_u, u_len);
		n += u_len;
		memcpy(in + n, party_v, v_len);
		n += v_len;
		if (EVP_Digest(in, n, block, &md_len, EVP_get_digestbyname(alg->ossl), NULL) != 1 ||
		    md_len != alg->size) {
			r = -EIO;
			break;
		}
		got = out_len - done < alg->size ? out_len - done : alg->size;
		memcpy(out + done, block, got);
		done += got;
	}
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(in, sizeof(in));
	return r;
}

/* The seed, RSA: random, encrypted with OAEP (nameAlg, label "IDENTITY"). */
static int seed_rsa(EVP_PKEY *ek, const struct vt_hash_alg *alg, uint8_t *seed,
		    TPM2B_ENCRYPTED_SECRET *out)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL);
	size_t out_len = sizeof(out->secret);
	unsigned char *label;

	if (!pctx)
		return -ENOMEM;
	if (RAND_bytes(seed, (int)alg->size) != 1)
		return vt_log_errno(EIO, "cannot make a credential: no random bytes from openssl");
	label = OPENSSL_memdup("IDENTITY", sizeof("IDENTITY"));
	if (!label)
		return -ENOMEM;
	if (EVP_PKEY_encrypt_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(pctx, alg->ossl, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg->ossl, NULL) != 1) {
		OPENSSL_free(label);
		ERR_clear_error();
		return vt_log_errno(EIO, "cannot make a credential: openssl refuses RSA-OAEP");
	}
	/* The context owns the label from here. */
	if (EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, label, sizeof("IDENTITY")) != 1) {
		OPENSSL_free(label);
		ERR_clear_error();
		return vt_log_errno(EIO, "cannot make a credential: openssl refuses the OAEP label");
	}
	if (EVP_PKEY_encrypt(pctx, out->secret, &out_len, seed, alg->size) != 1) {
		ERR_clear_error();
		return vt_log_errno(EIO, "cannot make a credential: RSA-OAEP encryption failed");
	}
	out->size = (UINT16)out_len;
	return 0;
}

/* The seed, ECC: an ephemeral key on the EK's curve, Z = x of ECDH, seed =
 * KDFe(nameAlg, Z, "IDENTITY", x of the ephemeral key, x of the EK). */
static int seed_ecc(EVP_PKEY *ek, const TPMT_PUBLIC *ek_area, const struct vt_hash_alg *alg,
		    uint8_t *seed, TPM2B_ENCRYPTED_SECRET *out)
{
	const struct vt_tpm_curve *c = vt_tpm_curve_by_id(ek_area->parameters.eccDetail.curveID);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = NULL;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *dctx = NULL;
	uint8_t z[66];
	TPMS_ECC_POINT q = { 0 };
	size_t z_len = sizeof(z), off = 0;
	TSS2_RC rc;
	int r;

	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->name);
	if (!eph)
		goto fail;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, ek) != 1 ||
	    EVP_PKEY_derive(dctx, z, &z_len) != 1 || z_len != c->size)
		goto fail;
	if (bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_X, q.x.buffer, c->size) < 0 ||
	    bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_Y, q.y.buffer, c->size) < 0)
		goto fail;
	q.x.size = q.y.size = (UINT16)c->size;
	/* The EK's x as the TPM holds it: the bytes of its own TPM2B. */
	r = kdfe(alg, z, z_len, "IDENTITY", q.x.buffer, c->size, ek_area->unique.ecc.x.buffer,
		 ek_area->unique.ecc.x.size, seed, alg->size);
	OPENSSL_cleanse(z, sizeof(z));
	if (r < 0)
		return vt_log_errno(EIO, "cannot make a credential: KDFe failed in openssl");
	rc = Tss2_MU_TPMS_ECC_POINT_Marshal(&q, out->secret, sizeof(out->secret), &off);
	if (rc != TSS2_RC_SUCCESS)
		return vt_log_errno(EIO, "cannot make a credential: cannot marshal the ephemeral point");
	out->size = (UINT16)off;
	return 0;
fail:
	OPENSSL_cleanse(z, sizeof(z));
	ERR_clear_error();
	return vt_log_errno(EIO, "cannot make a credential: ECDH on %s failed in openssl", c->name);
}

static const EVP_CIPHER *aes_cfb(unsigned bits)
{
	switch (bits) {
	case 128:
		return EVP_aes_128_cfb128();
	case 192:
		return EVP_aes_192_cfb128();
	case 256:
		return EVP_aes_256_cfb128();
	}
	return NULL;
}

int attest_make_credential(const uint8_t *ek_public, size_t ek_public_len, const uint8_t *ak_name,
			   size_t ak_name_len, const uint8_t *secret, size_t secret_len,
			   struct attest_credential *ret)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ek = NULL;
	_cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *cctx = NULL;
	const struct vt_hash_alg *alg, *name_alg;
	const TPMT_SYM_DEF_OBJECT *sym;
	const EVP_CIPHER *cipher;
	TPM2B_PUBLIC pub;
	TPM2B_ENCRYPTED_SECRET enc_seed = { 0 };
	TPM2B_ID_OBJECT id = { 0 };
	struct attest_credential out = { 0 };
	uint8_t seed[VT_DIGEST_MAX], sym_key[32], hmac_key[VT_DIGEST_MAX];
	uint8_t plain[2 + ATTEST_CREDENTIAL_MAX], enc[2 + ATTEST_CREDENTIAL_MAX];
	uint8_t mac_in[sizeof(enc) + ATTEST_NAME_MAX], mac[VT_DIGEST_MAX];
	const uint8_t zero_iv[16] = { 0 };
	size_t mac_len = 0, off;
	int n1 = 0, n2 = 0, r;
	TSS2_RC rc;

	if (!ret || !ak_name || !secret)
		return vt_log_errno(EINVAL, "cannot make a credential: missing argument");
	r = attest_public_unmarshal("ek public", ek_public, ek_public_len, &pub);
	if (r < 0)
		return r;
	alg = vt_hash_alg_by_tpm(pub.publicArea.nameAlg);
	if (!alg)
		return vt_log_errno(EOPNOTSUPP, "ek public: unsupported name algorithm 0x%04x",
					pub.publicArea.nameAlg);
	if (!(pub.publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED) ||
	    !(pub.publicArea.objectAttributes & TPMA_OBJECT_DECRYPT) ||
	    (pub.publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return vt_log_errno(EINVAL, "ek public: not a restricted decryption key");
	sym = pub.publicArea.type == TPM2_ALG_RSA ? &pub.publicArea.parameters.rsaDetail.symmetric :
						    &pub.publicArea.parameters.eccDetail.symmetric;
	cipher = sym->algorithm == TPM2_ALG_AES && sym->mode.aes == TPM2_ALG_CFB ?
			 aes_cfb(sym->keyBits.aes) : NULL;
	if (!cipher)
		return vt_log_errno(EOPNOTSUPP, "ek public: its symmetric algorithm is not AES-CFB");
	if (ak_name_len < 2 || ak_name_len > ATTEST_NAME_MAX ||
	    !(name_alg = vt_hash_alg_by_tpm((uint16_t)(ak_name[0] << 8 | ak_name[1]))) ||
	    ak_name_len != 2 + name_alg->size)
		return vt_log_errno(EINVAL, "ak name: %zu bytes are not a hash algorithm and its digest",
					ak_name_len);
	if (secret_len == 0 || secret_len > alg->size)
		return vt_log_errno(EINVAL, "cannot make a credential: a secret of %zu bytes "
						"(1 to %zu for this ek)", secret_len, alg->size);
	r = public_to_pkey(&pub.publicArea, "ek public", &ek);
	if (r < 0)
		return r;

	if (pub.publicArea.type == TPM2_ALG_RSA)
		r = seed_rsa(ek, alg, seed, &enc_seed);
	else
		r = seed_ecc(ek, &pub.publicArea, alg, seed, &enc_seed);
	if (r < 0)
		goto out;

	/* encIdentity = CFB(KDFa(seed, "STORAGE", name), the marshalled TPM2B_DIGEST) */
	r = kdfa(alg, seed, alg->size, "STORAGE", ak_name, ak_name_len, sym_key,
		 sym->keyBits.aes / 8);
	if (r < 0)
		goto crypto_fail;
	plain[0] = (uint8_t)(secret_len >> 8);
	plain[1] = (uint8_t)secret_len;
	memcpy(plain + 2, secret, secret_len);
	cctx = EVP_CIPHER_CTX_new();
	if (!cctx || EVP_EncryptInit_ex2(cctx, cipher, sym_key, zero_iv, NULL) != 1 ||
	    EVP_EncryptUpdate(cctx, enc, &n1, plain, (int)(2 + secret_len)) != 1 ||
	    EVP_EncryptFinal_ex(cctx, enc + n1, &n2) != 1 || (size_t)(n1 + n2) != 2 + secret_len)
		goto crypto_fail;

	/* outerHMAC = HMAC(KDFa(seed, "INTEGRITY"), encIdentity || name) */
	r = kdfa(alg, seed, alg->size, "INTEGRITY", NULL, 0, hmac_key, alg->size);
	if (r < 0)
		goto crypto_fail;
	memcpy(mac_in, enc, 2 + secret_len);
	memcpy(mac_in + 2 + secret_len, ak_name, ak_name_len);
	if (!EVP_Q_mac(NULL, "HMAC", NULL, alg->ossl, NULL, hmac_key, alg->size, mac_in,
		       2 + secret_len + ak_name_len, mac, sizeof(mac), &mac_len) ||
	    mac_len != alg->size)
		goto crypto_fail;

	/* TPMS_ID_OBJECT: integrityHMAC as a TPM2B, then encIdentity bare. */
	id.credential[0] = (uint8_t)(mac_len >> 8);
	id.credential[1] = (uint8_t)mac_len;
	memcpy(id.credential + 2, mac, mac_len);
	memcpy(id.credential + 2 + mac_len, enc, 2 + secret_len);
	id.size = (UINT16)(2 + mac_len + 2 + secret_len);

	off = 0;
	rc = Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, out.blob, sizeof(out.blob), &off);
	if (rc != TSS2_RC_SUCCESS)
		goto crypto_fail;
	out.blob_len = off;
	off = 0;
	rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc_seed, out.secret, sizeof(out.secret), &off);
	if (rc != TSS2_RC_SUCCESS)
		goto crypto_fail;
	out.secret_len = off;
	*ret = out;
	r = 0;
	goto out;

crypto_fail:
	ERR_clear_error();
	r = vt_log_errno(EIO, "cannot make a credential: encryption failed in openssl");
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym_key, sizeof(sym_key));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&out, sizeof(out));
	return r;
}

/* A format-one TPM error code without its parameter, handle or session number. */
static TPM2_RC tpm_rc_base(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return 0;
	if (rc & TPM2_RC_FMT1)
		return (TPM2_RC)(rc & (TPM2_RC_FMT1 | 0x3f));
	return (TPM2_RC)(rc & 0xfff);
}

int attest_activate_credential(struct attest_ctx *ctx, const char *state_dir,
			       const struct attest_credential *cred, uint8_t *ret_secret,
			       size_t *ret_secret_len)
{
	_cleanup_(attest_obj_flush) struct attest_obj ek = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_obj_flush) struct attest_obj ak = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_obj_flush) struct attest_obj session = ATTEST_OBJ_INIT(ctx);
	TPM2B_DIGEST *cert = NULL;
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_ENCRYPTED_SECRET enc = { 0 };
	size_t off = 0;
	TPM2_RC base;
	TSS2_RC rc;
	int r;

	if (!state_dir || !cred || !ret_secret || !ret_secret_len)
		return vt_log_errno(EINVAL, "cannot activate a credential: missing argument");
	if (cred->blob_len > sizeof(cred->blob) ||
	    Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(cred->blob, cred->blob_len, &off, &id) != TSS2_RC_SUCCESS ||
	    off != cred->blob_len)
		return vt_log_errno(EBADMSG, "cannot activate a credential: the credential blob is "
						 "not a TPM2B_ID_OBJECT");
	off = 0;
	if (cred->secret_len > sizeof(cred->secret) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(cred->secret, cred->secret_len, &off, &enc) !=
		    TSS2_RC_SUCCESS ||
	    off != cred->secret_len)
		return vt_log_errno(EBADMSG, "cannot activate a credential: the encrypted secret is "
						 "not a TPM2B_ENCRYPTED_SECRET");
	r = attest_ctx_check(ctx, "cannot activate a credential");
	if (r < 0)
		return r;
	r = attest_ak_load(ctx, state_dir, &ek, &ak, NULL, NULL, NULL);
	if (r < 0)
		return r;
	r = ek_session(ctx, ek.tr, "activate a credential", &session);
	if (r < 0)
		return r;
	rc = Esys_ActivateCredential(ctx->esys, ak.tr, ek.tr, ESYS_TR_PASSWORD, session.tr,
				     ESYS_TR_NONE, &id, &enc, &cert);
	if (rc != TSS2_RC_SUCCESS) {
		base = tpm_rc_base(rc);
		/* The outer HMAC (the name) or the seed did not check out. */
		if (base == TPM2_RC_INTEGRITY || base == TPM2_RC_VALUE || base == TPM2_RC_ECC_POINT ||
		    base == TPM2_RC_SIZE || base == TPM2_RC_INSUFFICIENT)
			return vt_log_errno(EKEYREJECTED,
						"cannot activate the credential: it was not made for this "
						"tpm's ek and attestation key (tpm: 0x%x: %s)",
						(unsigned)rc, Tss2_RC_Decode(rc));
		return attest_tss2_fail(ctx, rc, "cannot activate the credential");
	}
	if (cert->size == 0 || cert->size > ATTEST_CREDENTIAL_MAX) {
		unsigned size = cert->size;

		OPENSSL_cleanse(cert, sizeof(*cert));
		Esys_Free(cert);
		return vt_log_errno(EREMOTEIO, "cannot activate the credential: the tpm returned "
						   "%u bytes", size);
	}
	memcpy(ret_secret, cert->buffer, cert->size);
	*ret_secret_len = cert->size;
	OPENSSL_cleanse(cert, sizeof(*cert));
	Esys_Free(cert);
	return 0;
}

int attest_enroll_check(const uint8_t *ak_name, size_t ak_name_len, const uint8_t secret_sha256[32],
			const uint8_t *secret, size_t secret_len, const uint8_t *ak_public,
			size_t ak_public_len)
{
	uint8_t digest[32], name[ATTEST_NAME_MAX];
	unsigned md_len = 0;
	size_t name_len;
	int r;

	if (!ak_name || !secret_sha256 || !secret || secret_len == 0 ||
	    secret_len > ATTEST_CREDENTIAL_MAX)
		return vt_log_errno(EINVAL, "cannot check the enrollment: missing or oversized input");
	if (EVP_Digest(secret, secret_len, digest, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
		return vt_log_errno(EIO, "cannot check the enrollment: hashing failed in openssl");
	if (CRYPTO_memcmp(digest, secret_sha256, sizeof(digest)) != 0)
		return vt_log_errno(EKEYREJECTED,
					"enrollment failed: the secret in the response is not the one "
					"sealed to the ek: the attestation key is not in that tpm");
	r = attest_public_name(ak_public, ak_public_len, name, &name_len);
	if (r < 0)   /* logged */
		return r == -ENOMEM ? r : -EKEYREJECTED;
	if (name_len != ak_name_len || CRYPTO_memcmp(name, ak_name, name_len) != 0)
		return vt_log_errno(EKEYREJECTED,
					"enrollment failed: the attestation key in the response is not "
					"the one the credential was made for (its name differs)");
	return attest_ak_public_check(ak_public, ak_public_len);
}
