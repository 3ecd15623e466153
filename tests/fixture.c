/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The suites' shared fixtures, the part that needs no Check runner: the TCG
 * event-log builder and its replay (see fixture.h). It aborts on failure: it
 * also serves bench-verify and fuzz-verify. fixture-check.c has the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fixture.h"

#define EV_NO_ACTION 0x00000003u

#define must(x) fx_must(x)

const uint8_t fx_efi_global_guid[16] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
	0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
};

/* ---- the buffer ------------------------------------------------------------------ */

void fx_put(struct fx_buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		must(b->p);
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

void fx_put_le(struct fx_buf *b, uint64_t v, size_t n)
{
	uint8_t x[8];

	must(n <= sizeof(x));
	for (size_t i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	fx_put(b, x, n);
}

void fx_poke_le(struct fx_buf *b, size_t at, uint64_t v, size_t n)
{
	must(at + n <= b->len);
	for (size_t i = 0; i < n; i++)
		b->p[at + i] = (uint8_t)(v >> (8 * i));
}

void fx_buf_free(struct fx_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- the log and its replay ---------------------------------------------------------- */

void fx_digest(const struct fx_bank *bk, const void *data, size_t len, uint8_t *out)
{
	unsigned n = 0;

	if (!bk->ossl) {
		memset(out, 0xab, bk->size);
		return;
	}
	must(EVP_Digest(data, len, out, &n, EVP_get_digestbyname(bk->ossl), NULL) == 1);
	must(n == bk->size);
}

static int bank_index(const struct fx_buf *b, uint16_t alg)
{
	for (size_t i = 0; i < b->n_banks; i++)
		if (b->banks[i].id == alg)
			return (int)i;
	return -1;
}

/* PCR pcr of the log's bank k extended by digest d, as TPM2_PCR_Extend does. */
static void replay_extend(struct fx_buf *b, size_t k, uint32_t pcr, const uint8_t *d)
{
	const struct fx_bank *bk = &b->banks[k];
	uint8_t cat[2 * FX_DIGEST_MAX];

	if (!bk->ossl || pcr >= FX_PCRS)
		return;
	memcpy(cat, b->pcr[k][pcr], bk->size);
	memcpy(cat + bk->size, d, bk->size);
	fx_digest(bk, cat, 2u * bk->size, b->pcr[k][pcr]);
	b->extended[k] |= 1u << pcr;
}

void fx_replay_pcr0_start(struct fx_buf *b, uint8_t locality)
{
	for (size_t k = 0; k < b->n_banks; k++) {
		if (!b->banks[k].ossl)
			continue;
		memset(b->pcr[k][0], 0, FX_DIGEST_MAX);
		b->pcr[k][0][b->banks[k].size - 1] = locality;
	}
}

void fx_spec_id(struct fx_buf *b, const struct fx_bank *banks, size_t n_banks, uint8_t vendor_size)
{
	static const uint8_t zero[20];

	fx_put_le(b, 0, 4);                    /* pcr */
	fx_put_le(b, EV_NO_ACTION, 4);
	fx_put(b, zero, 20);
	fx_put_le(b, 28 + 4 * n_banks + 1 + vendor_size, 4);
	fx_put(b, "Spec ID Event03", 16);
	fx_put_le(b, 0, 4);                    /* platform class */
	fx_put_le(b, 0, 1);                    /* version minor, major, errata */
	fx_put_le(b, 2, 1);
	fx_put_le(b, 0, 1);
	fx_put_le(b, 2, 1);                    /* uintn size */
	fx_put_le(b, n_banks, 4);
	for (size_t i = 0; i < n_banks; i++) {
		fx_put_le(b, banks[i].id, 2);
		fx_put_le(b, banks[i].size, 2);
	}
	fx_put_le(b, vendor_size, 1);
	for (unsigned i = 0; i < vendor_size; i++)
		fx_put_le(b, 0xc0 + i, 1);

	must(n_banks <= FX_BANKS_MAX);
	memcpy(b->banks, banks, n_banks * sizeof(*banks));
	b->n_banks = n_banks;
}

void fx_event2(struct fx_buf *b, uint32_t pcr, uint32_t type, const struct fx_bank *banks,
	       size_t n_banks, const void *data, size_t len, const uint8_t (*digests)[FX_DIGEST_MAX])
{
	static const char locality_sig[16] = "StartupLocality";

	fx_put_le(b, pcr, 4);
	fx_put_le(b, type, 4);
	fx_put_le(b, n_banks, 4);
	for (size_t i = 0; i < n_banks; i++) {
		uint8_t d[FX_DIGEST_MAX] = { 0 };
		int k = bank_index(b, banks[i].id);

		must(banks[i].size <= FX_DIGEST_MAX);
		if (digests)
			memcpy(d, digests[i], banks[i].size);
		else if (type != EV_NO_ACTION)
			fx_digest(&banks[i], data, len, d);
		fx_put_le(b, banks[i].id, 2);
		fx_put(b, d, banks[i].size);
		if (k >= 0 && type != EV_NO_ACTION)
			replay_extend(b, (size_t)k, pcr, d);
	}
	fx_put_le(b, len, 4);
	fx_put(b, data, len);
	if (type == EV_NO_ACTION && len == 17 && memcmp(data, locality_sig, 16) == 0)
		fx_replay_pcr0_start(b, ((const uint8_t *)data)[16]);
}

void fx_startup_locality(struct fx_buf *b, const struct fx_bank *banks, size_t n_banks, uint8_t locality)
{
	uint8_t data[17] = "StartupLocality";

	data[16] = locality;
	fx_event2(b, 0, EV_NO_ACTION, banks, n_banks, data, sizeof(data), NULL);
}

void fx_event1(struct fx_buf *b, uint32_t pcr, uint32_t type, const void *data, size_t len)
{
	static const struct fx_bank sha1 = FX_SHA1;
	uint8_t d[20] = { 0 };

	if (b->n_banks == 0) {
		b->banks[0] = sha1;
		b->n_banks = 1;
	}
	if (type != EV_NO_ACTION)
		fx_digest(&sha1, data, len, d);
	fx_put_le(b, pcr, 4);
	fx_put_le(b, type, 4);
	fx_put(b, d, 20);
	fx_put_le(b, len, 4);
	fx_put(b, data, len);
	if (type != EV_NO_ACTION && bank_index(b, sha1.id) >= 0)
		replay_extend(b, (size_t)bank_index(b, sha1.id), pcr, d);
}

const uint8_t *fx_replay_pcr(const struct fx_buf *b, uint16_t alg, unsigned pcr)
{
	int k = bank_index(b, alg);

	if (k < 0 || pcr >= FX_PCRS || !(b->extended[k] & (1u << pcr)))
		return NULL;
	return b->pcr[k][pcr];
}

void fx_efi_variable(struct fx_buf *v, const uint8_t guid[16], const char *name, const void *data,
		     size_t len)
{
	fx_put(v, guid, 16);
	fx_put_le(v, strlen(name), 8);
	fx_put_le(v, len, 8);
	for (const char *c = name; *c; c++)
		fx_put_le(v, (uint8_t)*c, 2);
	fx_put(v, data, len);
}
