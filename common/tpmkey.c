/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one way from a TPM public area (TPMT_PUBLIC) to an OpenSSL key, with
 * the one set of supported kinds: RSA of 2048 to 4096 bits (whole bytes),
 * ECC on NIST P-256 and P-384 (the point checked on its curve). Used by
 * the attest library's keys (EK, AK, enrollment) and by the verifier.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <tss2/tss2_tpm2_types.h>

#include "common.h"

static const struct vt_tpm_curve curves[] = {
	{ TPM2_ECC_NIST_P256, "P-256", 32 },
	{ TPM2_ECC_NIST_P384, "P-384", 48 },
};

const struct vt_tpm_curve *vt_tpm_curve_by_id(uint16_t curve_id)
{
	for (size_t i = 0; i < ELEMENTSOF(curves); i++)
		if (curves[i].id == curve_id)
			return &curves[i];
	return NULL;
}

int vt_tpm_ecc_point(const TPMT_PUBLIC *pub, const struct vt_tpm_curve **ret_curve,
		     uint8_t point[VT_TPM_ECC_POINT_MAX], size_t *ret_len, char *why, size_t why_size)
{
	const TPMS_ECC_POINT *pt = &pub->unique.ecc;
	const struct vt_tpm_curve *c;

	if (pub->type != TPM2_ALG_ECC) {
		snprintf(why, why_size, "a key of type 0x%04x is not an ecc key", pub->type);
		return -EOPNOTSUPP;
	}
	c = vt_tpm_curve_by_id(pub->parameters.eccDetail.curveID);
	if (!c) {
		snprintf(why, why_size, "curve 0x%04x is not supported (nist p-256, p-384)",
			 pub->parameters.eccDetail.curveID);
		return -EOPNOTSUPP;
	}
	if (pt->x.size == 0 || pt->x.size > c->size || pt->y.size == 0 || pt->y.size > c->size) {
		snprintf(why, why_size, "the point has coordinates of %u and %u bytes, not %zu",
			 pt->x.size, pt->y.size, c->size);
		return -EBADMSG;
	}
	/* uncompressed, each coordinate left-padded to the field */
	memset(point, 0, VT_TPM_ECC_POINT_MAX);
	point[0] = 0x04;
	memcpy(point + 1 + c->size - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * c->size - pt->y.size, pt->y.buffer, pt->y.size);
	*ret_curve = c;
	*ret_len = 1 + 2 * c->size;
	return 0;
}

static int pkey_from_params(const char *type, const OSSL_PARAM *params, EVP_PKEY **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	*ret = pkey;
	return 0;
}

static int ecc_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **ret, char *why, size_t why_size)
{
	const struct vt_tpm_curve *c;
	uint8_t point[VT_TPM_ECC_POINT_MAX];
	OSSL_PARAM params[3];
	size_t n;
	int r;

	r = vt_tpm_ecc_point(pub, &c, point, &n, why, why_size);
	if (r < 0)
		return r;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, n);
	params[2] = OSSL_PARAM_construct_end();
	r = pkey_from_params("EC", params, ret);
	if (r == -EBADMSG)
		snprintf(why, why_size, "the point is not on curve %s", c->name);
	return r;
}

static int rsa_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **ret, char *why, size_t why_size)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
	_cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
	unsigned bits = pub->parameters.rsaDetail.keyBits;
	uint32_t exponent = pub->parameters.rsaDetail.exponent;
	int r;

	if (bits < 2048 || bits > 4096 || bits % 8) {
		snprintf(why, why_size, "an rsa key of %u bits is not supported (2048 to 4096)", bits);
		return -EOPNOTSUPP;
	}
	/* A TPM's RSA keys use F4: 0 in the public area means 65537. Another
	 * exponent (1, 3, an even one) is no key a TPM made. */
	if (exponent != 0 && exponent != 65537) {
		snprintf(why, why_size, "an rsa exponent of %" PRIu32 " is not supported (65537)", exponent);
		return -EOPNOTSUPP;
	}
	if (pub->unique.rsa.size != bits / 8) {
		snprintf(why, why_size, "the modulus has %u bytes, not %u", pub->unique.rsa.size,
			 bits / 8);
		return -EBADMSG;
	}
	n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (!n || !e || !bld || BN_set_word(e, exponent ? exponent : 65537) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		return -ENOMEM;
	r = pkey_from_params("RSA", params, ret);
	if (r == -EBADMSG)
		snprintf(why, why_size, "not a valid rsa public key");
	return r;
}

int vt_tpm_public_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **ret, char *why, size_t why_size)
{
	if (why_size)
		why[0] = '\0';
	switch (pub->type) {
	case TPM2_ALG_ECC:
		return ecc_to_pkey(pub, ret, why, why_size);
	case TPM2_ALG_RSA:
		return rsa_to_pkey(pub, ret, why, why_size);
	default:
		snprintf(why, why_size, "a key of type 0x%04x is not supported (ecc, rsa)", pub->type);
		return -EOPNOTSUPP;
	}
}
