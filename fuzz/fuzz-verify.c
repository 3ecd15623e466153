/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole of attest_verify() on mutated evidence, as a TPM would have
 * signed it: the input is a measurement log and a UEFI log; the harness
 * quotes (in software, with its own AK, pinned by name in the policy) the
 * PCR values a lenient replay of those logs gives (a record or event
 * extends only the banks it has digests for), with the policy's reference
 * values taken from the log, and verifies. The oracle: a good verdict only
 * when every quoted PCR replays, which here means that every record of the
 * measurement PCR and every UEFI event carries a digest of every quoted
 * bank (of every bank of the UEFI log's header, all of them known), so that
 * what the policy judged is what the quote proves.
 *
 * Input: byte 0 flags (bit 0..3: quote sha1, sha256, sha384, sha512; bit 4:
 * the UEFI log goes in; bit 5: secure boot required; bit 6: the last record
 * left pending; bit 7: one quoted value changed after signing), bytes 1-2 the
 * measurement log's length (little-endian), the log, then the UEFI log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "attest.h"
#include "fuzz.h"
#include "verify-fixture.h"     /* the AK: tests/verify-fixture.c */

#define MEASUREMENT_PCR VT_MEASUREMENT_PCR_DEFAULT
#define UEFI_PCRS 0xffu                 /* PCRs 0-7 */

static struct vfx fx;                   /* its ak signs, with tpm2_createak's attributes */
static bool fx_ready;
static uint8_t ak_public[sizeof(TPM2B_PUBLIC)];
static size_t ak_public_len;
static char ak_name_hex[2 * ATTEST_NAME_MAX + 1];
static char *ak_pem;

#define must(x)                                                                  \
	do {                                                                     \
		if (!(x)) {                                                      \
			fprintf(stderr, "fuzz-verify: %s failed\n", #x);         \
			abort();                                                 \
		}                                                                \
	} while (0)

static void make_ak(void)
{
	vfx_init(&fx);
	vfx_public(&fx, ak_public, &ak_public_len);
	vfx_policy_name(&fx, ak_name_hex);
	ak_pem = vfx_pem(fx.ak);
	fx_ready = true;
}

struct quoted {
	uint32_t mask[4];               /* by bank: sha1, sha256, sha384, sha512 */
	uint8_t value[4][POLICY_PCR_MAX][VT_DIGEST_MAX];
};

static const struct vt_hash_alg *bank_alg(size_t b)
{
	static const char *const names[] = { "sha1", "sha256", "sha384", "sha512" };

	return vt_hash_alg_by_name(names[b]);
}

static void extend(const struct vt_hash_alg *alg, uint8_t *pcr, const uint8_t *digest)
{
	uint8_t cat[2 * VT_DIGEST_MAX];

	memcpy(cat, pcr, alg->size);
	memcpy(cat + alg->size, digest, alg->size);
	must(EVP_Digest(cat, 2 * alg->size, pcr, NULL, EVP_get_digestbyname(alg->ossl), NULL) == 1);
}

/* The lenient replay a TPM would have seen: each record extends the banks
 * it has digests for, the first n of them. Sets *ret_all when every record
 * of the PCR has every quoted bank. */
static void replay_mlog(const struct attest_mlog *log, size_t n, struct quoted *q, bool *ret_all)
{
	*ret_all = true;
	for (size_t b = 0; b < 4; b++) {
		const struct vt_hash_alg *alg = bank_alg(b);

		if (!(q->mask[b] & (1u << MEASUREMENT_PCR)))
			continue;
		memset(q->value[b][MEASUREMENT_PCR], 0, VT_DIGEST_MAX);
		for (size_t i = 0; log && i < attest_mlog_count(log); i++) {
			const struct attest_record *rec = attest_mlog_record(log, i);
			bool has = false;

			if (rec->pcr != MEASUREMENT_PCR)
				continue;
			for (size_t k = 0; k < rec->n_digests; k++)
				if (rec->digests[k].alg == alg) {
					has = true;
					if (i < n)
						extend(alg, q->value[b][MEASUREMENT_PCR], rec->digests[k].value);
				}
			if (!has)
				*ret_all = false;
		}
	}
}

/* The same for the UEFI log: each event but EV_NO_ACTION extends the
 * known banks it has; PCR 0 starts at the StartupLocality, or at 4 after
 * an H-CRTM event. Sets *ret_all
 * when every algorithm of the header is known and every event after the
 * header has one digest of each. */
static void replay_uefi(const struct attest_eventlog *log, struct quoted *q, bool *ret_all)
{
	size_t n_events, n_algs;
	const struct attest_event *ev = attest_eventlog_events(log, &n_events);
	const struct attest_eventlog_alg *algs = attest_eventlog_algs(log, &n_algs);
	/* an H-CRTM event starts PCR 0 at locality 4 (PFP; the parser refuses
	 * one that is not first, and a StartupLocality that disagrees) */
	int locality = attest_eventlog_has_hcrtm(log) ? 4 : attest_eventlog_startup_locality(log);

	*ret_all = true;
	for (size_t k = 0; k < n_algs; k++)
		if (!algs[k].alg)
			*ret_all = false;
	for (size_t i = attest_eventlog_is_crypto_agile(log) ? 1 : 0; i < n_events; i++)
		if (ev[i].n_digests != n_algs)
			*ret_all = false;
	for (size_t b = 0; b < 4; b++) {
		const struct vt_hash_alg *alg = bank_alg(b);

		for (unsigned pcr = 0; pcr < 8; pcr++)
			memset(q->value[b][pcr], 0, VT_DIGEST_MAX);
		if (locality >= 0)
			q->value[b][0][alg->size - 1] = (uint8_t)locality;
		for (size_t i = 0; i < n_events; i++) {
			if (ev[i].type == ATTEST_EV_NO_ACTION || ev[i].pcr >= 8)
				continue;
			for (size_t k = 0; k < ev[i].n_digests; k++)
				if (ev[i].digests[k].bank->alg == alg)
					extend(alg, q->value[b][ev[i].pcr], ev[i].digests[k].value);
		}
	}
}

/* TPMS_ATTEST over the quoted values, signed with the harness's AK. */
static void sign_quote(struct attest_evidence *e, const struct quoted *q)
{
	TPMS_ATTEST a = { 0 };
	uint8_t buf[sizeof(TPMS_ATTEST) + sizeof(TPMT_SIGNATURE)];
	size_t off = 0, n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	must(c && EVP_DigestInit(c, EVP_sha256()) == 1);
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.extraData.size = (UINT16)e->nonce_len;
	memcpy(a.extraData.buffer, e->nonce, e->nonce_len);
	e->pcrs = calloc(4 * POLICY_PCR_MAX, sizeof(*e->pcrs));
	must(e->pcrs);
	for (size_t b = 0; b < 4; b++) {
		TPMS_PCR_SELECTION *ps;

		if (!q->mask[b])
			continue;
		ps = &a.attested.quote.pcrSelect.pcrSelections[a.attested.quote.pcrSelect.count++];
		ps->hash = bank_alg(b)->tpm_alg;
		ps->sizeofSelect = 3;
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			if (!(q->mask[b] & (1u << pcr)))
				continue;
			ps->pcrSelect[pcr / 8] |= (uint8_t)(1u << (pcr % 8));
			e->pcrs[n].alg = bank_alg(b);
			e->pcrs[n].pcr = pcr;
			memcpy(e->pcrs[n++].value, q->value[b][pcr], bank_alg(b)->size);
			must(EVP_DigestUpdate(c, q->value[b][pcr], bank_alg(b)->size) == 1);
		}
	}
	e->n_pcrs = n;
	must(EVP_DigestFinal(c, a.attested.quote.pcrDigest.buffer, NULL) == 1);
	a.attested.quote.pcrDigest.size = 32;
	must(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
	e->attest = malloc(off);
	must(e->attest);
	memcpy(e->attest, buf, off);
	e->attest_len = off;

	EVP_MD_CTX_free(c);
	vfx_sign(&fx, e->attest, e->attest_len, buf, &off);
	e->signature = malloc(off);
	must(e->signature);
	memcpy(e->signature, buf, off);
	e->signature_len = off;
}

/* The policy: the AK pinned by key and name, the quote's selection, each
 * file of the log a reference value with its digests of every bank. */
static struct policy *make_policy(const struct attest_mlog *log, const struct quoted *q, bool sb)
{
	json_object *root = json_object_new_object(), *keys = json_object_new_array(),
		    *key = json_object_new_object(), *refs = json_object_new_array(),
		    *meas = json_object_new_object(), *sel = json_object_new_object();
	struct policy *p = NULL;
	const char *s;

	json_object_object_add(root, "schema_version", json_object_new_int(1));
	json_object_object_add(root, "sequence", json_object_new_int(1));
	json_object_object_add(meas, "pcr", json_object_new_int(MEASUREMENT_PCR));
	json_object_object_add(root, "measurement", meas);
	json_object_object_add(key, "id", json_object_new_string("fuzz"));
	json_object_object_add(key, "public_key", json_object_new_string(ak_pem));
	json_object_object_add(key, "name", json_object_new_string(ak_name_hex));
	json_object_array_add(keys, key);
	json_object_object_add(root, "attestation_keys", keys);
	for (size_t b = 0; b < 4; b++) {
		json_object *l = json_object_new_array();

		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
			if (q->mask[b] & (1u << pcr))
				json_object_array_add(l, json_object_new_int((int)pcr));
		if (json_object_array_length(l))
			json_object_object_add(sel, bank_alg(b)->name, l);
		else
			json_object_put(l);
	}
	json_object_object_add(root, "pcr_selection", sel);
	for (size_t i = 0; log && i < attest_mlog_count(log); i++) {
		const struct attest_record *rec = attest_mlog_record(log, i);
		json_object *ref = NULL, *d;
		char hex[2 * VT_DIGEST_MAX + 1];

		if (rec->kind != ATTEST_RECORD_FILE)
			continue;
		for (size_t j = 0; j < json_object_array_length(refs) && !ref; j++) {
			json_object *r = json_object_array_get_idx(refs, j);

			if (strcmp(json_object_get_string(json_object_object_get(r, "path")), rec->path) == 0)
				ref = r;
		}
		if (!ref) {
			ref = json_object_new_object();
			json_object_object_add(ref, "path", json_object_new_string(rec->path));
			json_object_object_add(ref, "digests", json_object_new_object());
			json_object_array_add(refs, ref);
		}
		d = json_object_object_get(ref, "digests");
		for (size_t k = 0; k < rec->n_digests; k++) {
			json_object *l;

			if (!json_object_object_get_ex(d, rec->file_digests[k].alg->name, &l)) {
				l = json_object_new_array();
				json_object_object_add(d, rec->file_digests[k].alg->name, l);
			}
			vt_hex_encode(rec->file_digests[k].value, rec->file_digests[k].alg->size, hex);
			json_object_array_add(l, json_object_new_string(hex));
		}
	}
	json_object_object_add(root, "reference_values", refs);
	if (sb)
		json_object_object_add(root, "secure_boot", json_object_new_string("required"));
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	/* a policy the log makes invalid (a path twice with one digest, ...)
	 * is no evidence to verify */
	if (policy_load_buffer("fuzz policy", s, strlen(s), &p) < 0)
		p = NULL;
	json_object_put(root);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_(attest_eventlog_freep) struct attest_eventlog *uefi = NULL;
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct quoted q;
	bool mlog_all = true, uefi_all = true;
	size_t mlog_len, n_counted;
	uint8_t flags;

	memset(&q, 0, sizeof(q));
	if (!fx_ready)
		make_ak();
	if (size < 3)
		return 0;
	flags = data[0];
	mlog_len = (size_t)data[1] | (size_t)data[2] << 8;
	data += 3;
	size -= 3;
	if (mlog_len > size)
		mlog_len = size;
	for (size_t b = 0; b < 4; b++)
		if (flags & (1u << b))
			q.mask[b] = 1u << MEASUREMENT_PCR | ((flags & 0x10) ? UEFI_PCRS : 0);
	if (!(flags & 0x0f))
		return 0;

	e = calloc(1, sizeof(*e));
	must(e);
	e->nonce_len = 16;
	memset(e->nonce, 0x42, 16);
	e->ak_public = malloc(ak_public_len);
	e->ak_pem = strdup(ak_pem);
	must(e->ak_public && e->ak_pem);
	memcpy(e->ak_public, ak_public, ak_public_len);
	e->ak_public_len = ak_public_len;
	e->mlog = fuzz_strndup(data, mlog_len);
	e->mlog_len = mlog_len;
	/* as the verifier reads it: the records bound to their content in the
	 * quoted banks of the measurement pcr only (a digest of another bank
	 * proves nothing, contradicting its content or not) */
	if (attest_mlog_parse_flags("fuzz", e->mlog, e->mlog_len, ATTEST_MLOG_DEFER_BINDING, &log) < 0)
		log = NULL;
	for (size_t b = 0; log && b < 4; b++)
		if ((q.mask[b] & (1u << MEASUREMENT_PCR)) && attest_mlog_bind_bank(log, bank_alg(b)) < 0) {
			attest_mlog_free(log);
			log = NULL;
		}
	n_counted = log ? attest_mlog_count(log) : 0;
	if ((flags & 0x40) && n_counted > 0)
		n_counted--;
	replay_mlog(log, n_counted, &q, &mlog_all);
	if (flags & 0x10) {
		e->uefi_log = malloc(size - mlog_len + 1);
		must(e->uefi_log);
		memcpy(e->uefi_log, data + mlog_len, size - mlog_len);
		e->uefi_log_len = size - mlog_len;
		if (attest_eventlog_parse("fuzz", e->uefi_log, e->uefi_log_len, &uefi) == 0)
			replay_uefi(uefi, &q, &uefi_all);
	}
	sign_quote(e, &q);
	if (flags & 0x80)
		e->pcrs[0].value[0] ^= 1;       /* after signing: pcr-digest must fail */
	p = make_policy(log, &q, flags & 0x20);
	if (!p)
		return 0;
	must(attest_verify(p, e, e->nonce, e->nonce_len, &v) == 0);
	if (getenv("VMTRUST_FUZZ_LOG"))       /* why an input is refused */
		for (size_t i = 0; i < attest_verdict_count(v); i++)
			if (attest_verdict_check(v, i)->status != ATTEST_CHECK_OK)
				fprintf(stderr, "  %s %s: %s\n",
					attest_check_status_name(attest_verdict_check(v, i)->status),
					attest_verdict_check(v, i)->name, attest_verdict_check(v, i)->reason);
	if (!attest_verdict_ok(v))
		return 0;
	/* A good verdict: everything it judged must be what the quote proves. */
	if (!log || !mlog_all || (flags & 0x80) || ((flags & 0x10) && (!uefi || !uefi_all))) {
		for (size_t i = 0; i < attest_verdict_count(v); i++)
			fprintf(stderr, "  %s %s: %s\n", attest_check_status_name(attest_verdict_check(v, i)->status),
				attest_verdict_check(v, i)->name, attest_verdict_check(v, i)->reason);
		fprintf(stderr, "fuzz-verify: a good verdict, though a quoted pcr does not replay (log %s, every record in every quoted bank: %d, uefi %s, every event in every bank: %d)\n",
			log ? "parsed" : "unparsed", mlog_all, uefi ? "parsed" : "unparsed", uefi_all);
		abort();
	}
	return 0;
}
