/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMTRUST_POLICY_INTERNAL_H
#define VMTRUST_POLICY_INTERNAL_H

#include <openssl/evp.h>

/* Checks that a public key is of a kind vmtrust signs and verifies with:
 * Ed25519, ECDSA P-256/P-384, RSA of at least 2048 bits. Returns 0 or
 * -EOPNOTSUPP with a reason in *ret_why (static string). */

/* Parses a PEM public key (SubjectPublicKeyInfo, or the key of an X.509
 * certificate) from memory. NULL when it is none. */
EVP_PKEY *policy_pkey_from_pem(const char *pem, size_t len);

/* Signs with an EVP_PKEY that holds (or reaches) the private key: the
 * formats policy_sign() documents; propq chooses the provider (NULL: any).
 * -EINVAL, not logged, with OpenSSL's
 * error queue left for the caller to read. */
int policy_pkey_sign(void *pkey, const char *propq, const void *data, size_t len, uint8_t **ret_sig,
		     size_t *ret_sig_len);
/* The OpenSSL digest name a key signs with (NULL: Ed25519, pure EdDSA). */
const char *policy_pkey_digest(void *pkey);

/* Verifies a signature made by policy_sign with a PEM public key file
 * (or a certificate). 0 when good, -EKEYREJECTED when not. */
int policy_verify(const char *pub_path, const void *data, size_t len, const uint8_t *sig,
		  size_t sig_len);

/* Verifies the detached signature of a policy file's bytes (data, len):
 * sig_path, default FILE.sig, with pkey (an EVP_PKEY *; key_name names it
 * in messages). -EKEYREJECTED (logged) when unsigned or it does not verify. */
int policy_verify_detached(const char *path, const void *data, size_t len, const char *sig_path,
			   void *pkey, const char *key_name);

#endif
