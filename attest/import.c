/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Evidence from tpm2-tools files (tpm2_createak -u, tpm2_quote -m -s -o):
 * the same evidence attest_quote() gathers, for a host that quotes with
 * tpm2-tools.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "attest-internal.h"

/* ---- evidence from tpm2-tools files ----------------------------------------------- */

/* tpm2_quote -o writes, by default ("serialized"), C structs as they lie in
 * memory (tpm2-tools lib/pcr.c, pcr_fwrite_serialized): a TPML_PCR_SELECTION
 * (u32 count, 16 entries of u16 hash, u8 sizeofSelect, u8 pcrSelect[4] and a
 * byte of padding), a u32 count of TPML_DIGESTs, then each (u32 count, 8
 * entries of u16 size and 64 bytes), integers little endian. */
#define SER_SEL_SIZE 132u
#define SER_SEL_ENTRY 8u
#define SER_LIST_SIZE 532u
#define SER_LIST_ENTRY 66u
#define SER_LISTS_MAX 32u               /* tpm2-tools' TPM2_MAX_PCRS lists */

static uint32_t get_le(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static bool is_serialized(const uint8_t *d, size_t len)
{
	size_t lists;

	if (len < SER_SEL_SIZE + 4 || (len - SER_SEL_SIZE - 4) % SER_LIST_SIZE)
		return false;
	lists = (len - SER_SEL_SIZE - 4) / SER_LIST_SIZE;
	return lists >= 1 && lists <= SER_LISTS_MAX && get_le(d + SER_SEL_SIZE, 4) == lists;
}

static int push_pcr(struct policy_pcr_value *out, size_t max, size_t *n,
		    const struct vt_hash_alg *alg, unsigned pcr, const uint8_t *value)
{
	if (*n >= max)
		return -E2BIG;
	out[*n].alg = alg;
	out[*n].pcr = pcr;
	memcpy(out[*n].value, value, alg->size);
	(*n)++;
	return 0;
}

static int pcrs_serialized(const char *name, const uint8_t *d, size_t len,
			   TPML_PCR_SELECTION *sel, struct policy_pcr_value *out, size_t max,
			   size_t *ret_n)
{
	uint32_t count = get_le(d, 4), lists = get_le(d + SER_SEL_SIZE, 4);
	size_t vi = 0, di = 0, n = 0;

	if (count == 0 || count > TPM2_NUM_PCR_BANKS)
		return vt_log_errno(EBADMSG, "pcr file '%s': %" PRIu32 " banks selected", name, count);
	memset(sel, 0, sizeof(*sel));
	sel->count = count;
	for (uint32_t b = 0; b < count; b++) {
		const uint8_t *e = d + 4 + b * SER_SEL_ENTRY;
		TPMS_PCR_SELECTION *ps = &sel->pcrSelections[b];
		const struct vt_hash_alg *alg;

		ps->hash = (uint16_t)get_le(e, 2);
		ps->sizeofSelect = e[2];
		memcpy(ps->pcrSelect, e + 3, TPM2_PCR_SELECT_MAX);
		alg = vt_hash_alg_by_tpm(ps->hash);
		if (!alg)
			return vt_log_errno(EBADMSG, "pcr file '%s': bank 0x%04x is not supported",
						name, ps->hash);
		if (ps->sizeofSelect > 3)
			return vt_log_errno(EBADMSG, "pcr file '%s': a selection of %u bytes", name,
						ps->sizeofSelect);
		for (unsigned pcr = 0; pcr < ps->sizeofSelect * 8u; pcr++) {
			const uint8_t *list, *dg;
			uint32_t in_list;

			if (!(ps->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			if (vi >= lists)
				return vt_log_errno(EBADMSG, "pcr file '%s': fewer values than selected PCRs",
							name);
			list = d + SER_SEL_SIZE + 4 + vi * SER_LIST_SIZE;
			in_list = get_le(list, 4);
			if (in_list == 0 || in_list > 8 || di >= in_list)
				return vt_log_errno(EBADMSG, "pcr file '%s': a digest list of %" PRIu32 " entries",
							name, in_list);
			dg = list + 4 + di * SER_LIST_ENTRY;
			if (get_le(dg, 2) != alg->size)
				return vt_log_errno(EBADMSG, "pcr file '%s': the value of %s:%u has %" PRIu32 " bytes",
							name, alg->name, pcr, get_le(dg, 2));
			if (push_pcr(out, max, &n, alg, pcr, dg + 2) < 0)
				return vt_log_errno(EBADMSG, "pcr file '%s': too many values", name);
			if (++di >= in_list) {
				di = 0;
				vi++;
			}
		}
	}
	if (vi != lists || di != 0)
		return vt_log_errno(EBADMSG, "pcr file '%s': more values than selected PCRs", name);
	*ret_n = n;
	return 0;
}

/* tpm2_quote -o FILE -F values: the bare values, in the quote's order. */
static int pcrs_values(const char *name, const uint8_t *d, size_t len,
		       const TPML_PCR_SELECTION *sel, struct policy_pcr_value *out, size_t max,
		       size_t *ret_n)
{
	size_t at = 0, n = 0;

	for (uint32_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *ps = &sel->pcrSelections[b];
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(ps->hash);

		if (!alg)
			return vt_log_errno(EBADMSG, "quote: bank 0x%04x is not supported", ps->hash);
		for (unsigned pcr = 0; pcr < ps->sizeofSelect * 8u && pcr < TPM2_PCR_SELECT_MAX * 8u; pcr++) {
			if (!(ps->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			if (pcr >= POLICY_PCR_MAX || len - at < alg->size)
				return vt_log_errno(EBADMSG, "pcr file '%s': %zu bytes are neither tpm2-tools' serialized format nor the values the quote selects",
							name, len);
			if (push_pcr(out, max, &n, alg, pcr, d + at) < 0)
				return vt_log_errno(EBADMSG, "pcr file '%s': too many values", name);
			at += alg->size;
		}
	}
	if (at != len)
		return vt_log_errno(EBADMSG, "pcr file '%s': %zu bytes are neither tpm2-tools' serialized format nor the values the quote selects",
					name, len);
	*ret_n = n;
	return 0;
}

static uint32_t sel_mask(const TPMS_PCR_SELECTION *ps)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < ps->sizeofSelect && i < TPM2_PCR_SELECT_MAX; i++)
		m |= (uint32_t)ps->pcrSelect[i] << (8 * i);
	return m;
}

static bool same_selection(const TPML_PCR_SELECTION *a, const TPML_PCR_SELECTION *b)
{
	if (a->count != b->count)
		return false;
	for (uint32_t i = 0; i < a->count; i++) {
		bool found = false;

		for (uint32_t j = 0; j < b->count && !found; j++)
			found = a->pcrSelections[i].hash == b->pcrSelections[j].hash &&
				sel_mask(&a->pcrSelections[i]) == sel_mask(&b->pcrSelections[j]);
		if (!found)
			return false;
	}
	return true;
}

static void selection_text(const TPML_PCR_SELECTION *sel, char *buf, size_t size)
{
	buf[0] = '\0';
	for (uint32_t b = 0; b < sel->count && b < TPM2_NUM_PCR_BANKS; b++) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(sel->pcrSelections[b].hash);

		verify_append_pcrs(buf, size, alg ? alg->name : "?", sel_mask(&sel->pcrSelections[b]));
	}
}

static int blob_dup(const struct attest_blob *b, size_t max, const char *what, uint8_t **ret,
		    size_t *ret_len)
{
	uint8_t *p;

	if (b->len > max)
		return vt_log_errno(EFBIG, "%s '%s': %zu bytes exceed the limit of %zu", what,
					b->name, b->len, max);
	p = malloc(b->len + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, b->data, b->len);
	p[b->len] = 0;
	*ret = p;
	*ret_len = b->len;
	return 0;
}

int attest_evidence_import(const struct attest_import *in, struct attest_evidence **ret)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	_cleanup_(freep) TPMS_ATTEST *attest = NULL;
	_cleanup_(freep) TPMT_SIGNATURE *sig = NULL;
	_cleanup_(freep) TPM2B_PUBLIC *pub = NULL;
	TPML_PCR_SELECTION file_sel;
	char why_buf[256], a_hex[2 * ATTEST_NONCE_MAX + 1], b_hex[2 * ATTEST_NONCE_MAX + 1];
	char text[256];
	size_t off = 0, max_pcrs = ALGS_MAX * POLICY_PCR_MAX;
	int r;

	if (!in->ak_public.data || !in->attest.data || !in->signature.data || !in->nonce)
		return -EINVAL;
	attest = calloc(1, sizeof(*attest));
	sig = calloc(1, sizeof(*sig));
	pub = calloc(1, sizeof(*pub));
	e = calloc(1, sizeof(*e));
	if (!attest || !sig || !pub || !e)
		return -ENOMEM;

	if (in->ak_public.len >= 10 && memcmp(in->ak_public.data, "-----BEGIN", 10) == 0)
		return vt_log_errno(EINVAL, "AK '%s' is a PEM public key: vmtrust needs the TPM2B_PUBLIC to check the key's attributes (tpm2_createak -u FILE, or tpm2_readpublic -o FILE)",
					in->ak_public.name);
	if (verify_unmarshal_public(in->ak_public.data, in->ak_public.len, pub) < 0)
		return vt_log_errno(EBADMSG, "AK '%s' is not a marshalled TPM2B_PUBLIC (tpm2_createak -u FILE)",
					in->ak_public.name);
	r = vt_tpm_public_to_pkey(&pub->publicArea, &pk, why_buf, sizeof(why_buf));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return vt_log_errno(-r, "AK '%s': %s", in->ak_public.name, why_buf);
	r = policy_pkey_to_pem(pk, &e->ak_pem, NULL);
	if (r < 0)
		return r;
	r = blob_dup(&in->ak_public, 64 * 1024, "AK", &e->ak_public, &e->ak_public_len);
	if (r < 0)
		return r;

	if (Tss2_MU_TPMS_ATTEST_Unmarshal(in->attest.data, in->attest.len, &off, attest) !=
		    TSS2_RC_SUCCESS || off != in->attest.len)
		return vt_log_errno(EBADMSG, "message '%s' is not a marshalled TPMS_ATTEST (tpm2_quote -m FILE)",
					in->attest.name);
	if (attest->type != TPM2_ST_ATTEST_QUOTE)
		return vt_log_errno(EBADMSG, "message '%s' is not a quote (type 0x%04x)",
					in->attest.name, attest->type);
	r = blob_dup(&in->attest, 64 * 1024, "message", &e->attest, &e->attest_len);
	if (r < 0)
		return r;
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(in->signature.data, in->signature.len, &off, sig) !=
		    TSS2_RC_SUCCESS || off != in->signature.len)
		return vt_log_errno(EBADMSG, "signature '%s' is not a marshalled TPMT_SIGNATURE (tpm2_quote -s FILE, format tss)",
					in->signature.name);
	r = blob_dup(&in->signature, 64 * 1024, "signature", &e->signature, &e->signature_len);
	if (r < 0)
		return r;

	if (in->nonce_len == 0 || in->nonce_len > ATTEST_NONCE_MAX)
		return vt_log_errno(EINVAL, "nonce of %zu bytes: expected 1 to %d", in->nonce_len,
					ATTEST_NONCE_MAX);
	if (attest->extraData.size != in->nonce_len ||
	    memcmp(attest->extraData.buffer, in->nonce, in->nonce_len) != 0) {
		vt_hex_encode(attest->extraData.buffer, attest->extraData.size, a_hex);
		vt_hex_encode(in->nonce, in->nonce_len, b_hex);
		return vt_log_errno(EINVAL, "message '%s': the quote's nonce is '%s', not '%s'",
					in->attest.name, a_hex, b_hex);
	}
	memcpy(e->nonce, in->nonce, in->nonce_len);
	e->nonce_len = in->nonce_len;

	selection_text(&attest->attested.quote.pcrSelect, text, sizeof(text));
	if (!in->pcrs.data)
		return vt_log_errno(EINVAL, "the quote selects %s, but no PCR values were given (tpm2_quote -o FILE)",
					text);
	e->pcrs = calloc(max_pcrs, sizeof(*e->pcrs));
	if (!e->pcrs)
		return -ENOMEM;
	if (is_serialized(in->pcrs.data, in->pcrs.len)) {
		r = pcrs_serialized(in->pcrs.name, in->pcrs.data, in->pcrs.len, &file_sel, e->pcrs,
				    max_pcrs, &e->n_pcrs);
		if (r < 0)
			return r;
		if (!same_selection(&file_sel, &attest->attested.quote.pcrSelect)) {
			char file_text[256];

			selection_text(&file_sel, file_text, sizeof(file_text));
			return vt_log_errno(EBADMSG, "pcr file '%s' has values of %s, the quote selects %s",
						in->pcrs.name, file_text, text);
		}
	} else {
		r = pcrs_values(in->pcrs.name, in->pcrs.data, in->pcrs.len,
				&attest->attested.quote.pcrSelect, e->pcrs, max_pcrs, &e->n_pcrs);
		if (r < 0)
			return r;
	}
	if (e->n_pcrs == 0)
		return vt_log_errno(EINVAL, "the quote selects no PCR");

	if (in->uefi_log.data) {
		r = blob_dup(&in->uefi_log, ATTEST_EVENTLOG_SIZE_MAX, "event log", &e->uefi_log,
			     &e->uefi_log_len);
		if (r < 0)
			return r;
	}
	if (in->mlog.data) {
		uint8_t *m;

		r = blob_dup(&in->mlog, ATTEST_MLOG_MAX, "measurement log", &m, &e->mlog_len);
		if (r < 0)
			return r;
		e->mlog = (char *)m;
		if (strlen(e->mlog) != e->mlog_len)
			return vt_log_errno(EBADMSG, "measurement log '%s' is not text (a NUL byte)",
						in->mlog.name);
	}
	*ret = TAKE_PTR(e);
	return 0;
}
