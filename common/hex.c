/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hash algorithms (the TPM banks vmtrust reads) and hex. */
#include <errno.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "common.h"
#include "common-internal.h"

static const struct vt_hash_alg hash_algs[] = {
	{ "sha1", "SHA1", TPM2_ALG_SHA1, 20 },
	{ "sha256", "SHA256", TPM2_ALG_SHA256, 32 },
	{ "sha384", "SHA384", TPM2_ALG_SHA384, 48 },
	{ "sha512", "SHA512", TPM2_ALG_SHA512, 64 },
};

const struct vt_hash_alg *vt_hash_alg_by_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(hash_algs); i++)
		if (strcmp(hash_algs[i].name, name) == 0)
			return &hash_algs[i];
	return NULL;
}

const struct vt_hash_alg *vt_hash_alg_by_tpm(uint16_t tpm_alg)
{
	for (size_t i = 0; i < ELEMENTSOF(hash_algs); i++)
		if (hash_algs[i].tpm_alg == tpm_alg)
			return &hash_algs[i];
	return NULL;
}

const struct vt_hash_alg *vt_hash_algs(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(hash_algs);
	return hash_algs;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vt_hex_decode(const char *hex, uint8_t *out, size_t out_len)
{
	if (!hex || strlen(hex) != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void vt_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

