/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenSSL helpers: a public key to PEM, the one way vmtrust writes one. */
#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "common.h"

int vt_pkey_to_pem(const EVP_PKEY *pkey, char **ret, size_t *ret_len)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	if (!bio)
		return -ENOMEM;
	if (PEM_write_bio_PUBKEY(bio, pkey) != 1)
		return -EIO;
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0)
		return -EIO;
	pem = strndup(data, (size_t)len);
	if (!pem)
		return -ENOMEM;
	*ret = pem;
	if (ret_len)
		*ret_len = (size_t)len;
	return 0;
}
