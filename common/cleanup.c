/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Each library type's cleanup, defined once. */
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <tss2/tss2_esys.h>

#include "common.h"

#define DEFINE_CLEANUP_OUTLINE(type, func)  \
	void func##p(type **p)              \
	{                                   \
		if (*p)                     \
			func(*p);           \
	}

DEFINE_CLEANUP_OUTLINE(json_object, json_object_put)
DEFINE_CLEANUP_OUTLINE(EVP_PKEY, EVP_PKEY_free)
DEFINE_CLEANUP_OUTLINE(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
DEFINE_CLEANUP_OUTLINE(EVP_MD_CTX, EVP_MD_CTX_free)
DEFINE_CLEANUP_OUTLINE(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
DEFINE_CLEANUP_OUTLINE(BIO, BIO_free)
DEFINE_CLEANUP_OUTLINE(BIGNUM, BN_free)
DEFINE_CLEANUP_OUTLINE(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
DEFINE_CLEANUP_OUTLINE(OSSL_PARAM, OSSL_PARAM_free)
DEFINE_CLEANUP_OUTLINE(ECDSA_SIG, ECDSA_SIG_free)
DEFINE_CLEANUP_OUTLINE(X509, X509_free)
DEFINE_CLEANUP_OUTLINE(X509_STORE, X509_STORE_free)
DEFINE_CLEANUP_OUTLINE(X509_STORE_CTX, X509_STORE_CTX_free)

void esys_freep(void *p)
{
	Esys_Free(*(void **)p);
}
