/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Detached signatures over files with OpenSSL 3 EVP: Ed25519, ECDSA
 * P-256/P-384, RSA-PSS. The bytes are those of the openssl CLI, so a
 * signature can be checked without vmtrust (README has the recipe). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "policy-internal.h"
#include "policy.h"

#define KEY_FILE_MAX POLICY_KEY_FILE_MAX
#define SIG_FILE_MAX (16 * 1024)


int policy_pkey_supported(void *key, const char **ret_why)
{
	EVP_PKEY *pkey = key;
	char group[64];

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		return 0;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) != 1)
			break;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0)
			return 0;
		*ret_why = "elliptic curve other than P-256 or P-384";
		return -EOPNOTSUPP;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		if (EVP_PKEY_get_bits(pkey) >= 2048)
			return 0;
		*ret_why = "RSA key shorter than 2048 bits";
		return -EOPNOTSUPP;
	default:
		break;
	}
	*ret_why = "not an Ed25519, ECDSA P-256/P-384 or RSA key";
	return -EOPNOTSUPP;
}

EVP_PKEY *policy_pkey_from_pem(const char *pem, size_t len)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	EVP_PKEY *pkey;
	X509 *cert;

	if (len > INT32_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey)
		return pkey;
	(void)BIO_reset(bio);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	ERR_clear_error();
	if (!cert)
		return NULL;
	pkey = X509_get_pubkey(cert);
	X509_free(cert);
	return pkey;
}

/* The digest for a key: none for Ed25519 (pure EdDSA), SHA-384 for P-384,
 * SHA-256 otherwise. */
static const char *digest_for(EVP_PKEY *pkey)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		return NULL;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) == 1 &&
		    strcmp(group, "secp384r1") == 0)
			return "SHA384";
		return "SHA256";
	default:
		return "SHA256";
	}
}

static int set_pss(EVP_PKEY *pkey, EVP_PKEY_CTX *pctx)
{
	int id = EVP_PKEY_get_base_id(pkey);

	if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
		return 0;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return -EINVAL;
	return 0;
}

int policy_pkey_sign(void *key, const char *propq, const void *data, size_t len, uint8_t **ret_sig,
		     size_t *ret_sig_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	_cleanup_(freep) uint8_t *sig = NULL;
	EVP_PKEY *pkey = key;
	EVP_PKEY_CTX *pctx = NULL;
	size_t sig_len = 0;

	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit_ex(md, &pctx, digest_for(pkey), NULL, propq, pkey, NULL) != 1 ||
	    set_pss(pkey, pctx) < 0 ||
	    EVP_DigestSign(md, NULL, &sig_len, data, len) != 1)
		return -EINVAL;
	sig = malloc(sig_len);
	if (!sig)
		return -ENOMEM;
	if (EVP_DigestSign(md, sig, &sig_len, data, len) != 1)
		return -EINVAL;
	*ret_sig = TAKE_PTR(sig);
	*ret_sig_len = sig_len;
	return 0;
}

const char *policy_pkey_digest(void *pkey)
{
	return digest_for(pkey);
}

int policy_sign(const char *key_path, const void *data, size_t len, uint8_t **ret_sig,
		size_t *ret_sig_len)
{
	_cleanup_(policy_signer_freep) struct policy_signer *s = NULL;
	int r;

	r = policy_signer_load(key_path, NULL, &s);
	if (r < 0)
		return r;
	return policy_signer_sign(s, data, len, ret_sig, ret_sig_len);
}

int policy_verify_pkey(void *key, const void *data, size_t len, const uint8_t *sig,
		       size_t sig_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey = key;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestVerifyInit_ex(md, &pctx, digest_for(pkey), NULL, NULL, pkey, NULL) != 1 ||
	    set_pss(pkey, pctx) < 0) {
		ERR_clear_error();
		return -EINVAL;
	}
	ok = EVP_DigestVerify(md, sig, sig_len, data, len);
	ERR_clear_error();
	return ok == 1 ? 0 : -EKEYREJECTED;
}

int policy_public_key_from_pem(const char *name, const char *pem, size_t len, void **ret)
{
	EVP_PKEY *pkey;
	const char *why;

	pkey = policy_pkey_from_pem(pem, len);
	if (!pkey)
		return vt_log_errno(EINVAL, "cannot use key '%s': not a PEM public key or certificate",
					name);
	if (policy_pkey_supported(pkey, &why) < 0) {
		EVP_PKEY_free(pkey);
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': %s", name, why);
	}
	*ret = pkey;
	return 0;
}

int policy_load_public_key(const char *path, void **ret)
{
	return VT_LOAD_FILE(path, KEY_FILE_MAX, policy_public_key_from_pem, ret);
}

int policy_pkey_to_pem(void *pkey, char **ret, size_t *ret_len)
{
	return vt_pkey_to_pem(pkey, ret, ret_len);
}

void policy_pkey_free(void *pkey)
{
	EVP_PKEY_free(pkey);
}

int policy_verify(const char *pub_path, const void *data, size_t len, const uint8_t *sig,
		  size_t sig_len)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	int r;

	r = policy_load_public_key(pub_path, (void **)&pkey);
	if (r < 0)
		return r;
	return policy_verify_pkey(pkey, data, len, sig, sig_len);
}

static char *default_sig_path(const char *path)
{
	char *s;

	return asprintf(&s, "%s.sig", path) < 0 ? NULL : s;
}

int policy_sign_file(const char *key, const struct policy_key_opts *opts, const char *policy_path,
		     const char *sig_path)
{
	_cleanup_(policy_signer_freep) struct policy_signer *signer = NULL;
	_cleanup_(freep) char *data = NULL, *def = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) uint8_t *sig = NULL;
	size_t len, sig_len;
	int r;

	r = vt_read_file(policy_path, POLICY_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	/* Never sign what a host would refuse to load. */
	r = policy_load_buffer(policy_path, data, len, &p);
	if (r < 0)
		return r;
	r = policy_signer_load(key, opts, &signer);
	if (r < 0)
		return r;
	r = policy_signer_sign(signer, data, len, &sig, &sig_len);
	if (r < 0)
		return r;
	if (!sig_path) {
		sig_path = def = default_sig_path(policy_path);
		if (!def)
			return -ENOMEM;
	}
	return vt_write_file_atomic(sig_path, sig, sig_len, 0644);
}

int policy_verify_detached(const char *path, const void *data, size_t len, const char *sig_path,
			   void *pkey, const char *key_name)
{
	_cleanup_(freep) char *sig = NULL, *def = NULL;
	size_t sig_len;
	int r;

	if (!sig_path) {
		sig_path = def = default_sig_path(path);
		if (!def)
			return -ENOMEM;
	}
	if (access(sig_path, F_OK) < 0 && errno == ENOENT)
		return vt_log_errno(EKEYREJECTED, "policy '%s' is not signed: no signature '%s'",
					path, sig_path);
	r = vt_read_file(sig_path, SIG_FILE_MAX, &sig, &sig_len);
	if (r < 0)
		return r;
	r = policy_verify_pkey(pkey, data, len, (const uint8_t *)sig, sig_len);
	if (r == -EKEYREJECTED)
		return vt_log_errno(EKEYREJECTED,
					"policy '%s': signature '%s' does not verify with key '%s'",
					path, sig_path, key_name);
	if (r < 0)
		return vt_log_errno(-r, "policy '%s': cannot verify signature with key '%s'", path,
					key_name);
	return 0;
}

int policy_load_signed(const char *path, const char *sig_path, const char *pub_path,
		       struct policy **ret)
{
	_cleanup_(freep) char *data = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	size_t len;
	int r;

	r = policy_load_public_key(pub_path, (void **)&pkey);
	if (r < 0)
		return r;
	/* Read once: the bytes verified are the bytes parsed. */
	r = vt_read_file(path, POLICY_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	r = policy_verify_detached(path, data, len, sig_path, pkey, pub_path);
	if (r < 0)
		return r;
	return policy_load_buffer(path, data, len, ret);
}
