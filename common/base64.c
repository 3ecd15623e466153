/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Base64 (RFC 4648, standard alphabet, padded), strict on input. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "common.h"

int vt_base64_encode(const void *data, size_t len, char **ret)
{
	char *s;

	if (len > (size_t)INT_MAX / 4 * 3)
		return -EFBIG;
	s = malloc(4 * ((len + 2) / 3) + 1);
	if (!s)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	*ret = s;
	return 0;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

int vt_base64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
	_cleanup_(freep) uint8_t *out = NULL;
	size_t pad = 0, out_len;
	int n;

	if (len % 4 || len > INT_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=') {
			if (i + 2 < len)
				return -EBADMSG;
			pad++;
		} else if (pad || !b64_char(s[i])) {
			return -EBADMSG;
		}
	}
	if (len / 4 * 3 - pad > max)
		return -EFBIG;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad)
		return -EBADMSG;
	out_len = (size_t)n - pad;
	*ret = TAKE_PTR(out);
	*ret_len = out_len;
	return 0;
}
