/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference values from a known-good host: a policy written from evidence.
 * Each measured file becomes a reference value for its path, the quoted PCR
 * values become expected values, the AK is pinned. Evidence of several hosts
 * (or a policy written before) merges: digests are added per path, AKs are
 * added, and a PCR whose value differs between hosts is left out, since one
 * expected value cannot hold for both.
 *
 * Only what the quote covers is taken: its selection, the values of the
 * PCRs it selects, file digests of the banks it covers for the measurement
 * PCR. The AK is pinned by its public key and its TPM name, and only when it
 * is a restricted signing key fixed to its TPM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "attest.h"


static json_object *get_or_add(json_object *parent, const char *key, enum json_type t)
{
	json_object *v;

	if (json_object_object_get_ex(parent, key, &v) && json_object_is_type(v, t))
		return v;
	v = t == json_type_array ? json_object_new_array() : json_object_new_object();
	if (v)
		json_object_object_add(parent, key, v);
	return v;
}

static bool array_has_string(json_object *a, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

/* Whether the quote selects pcr in the bank of TPM_ALG_ID alg. */
static bool selects(const TPML_PCR_SELECTION *sel, uint16_t alg, unsigned pcr)
{
	for (uint32_t b = 0; b < sel->count && b < TPM2_NUM_PCR_BANKS; b++) {
		const TPMS_PCR_SELECTION *ps = &sel->pcrSelections[b];

		if (ps->hash == alg && pcr / 8 < ps->sizeofSelect && pcr / 8 < TPM2_PCR_SELECT_MAX &&
		    (ps->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
			return true;
	}
	return false;
}

/* reference_values: add the record's digests of the banks (by TPM_ALG_ID,
 * the quote's selection) to its path's entry. */
static int add_reference(json_object *refs, const struct attest_record *rec,
			 const TPML_PCR_SELECTION *sel, unsigned pcr)
{
	json_object *entry = NULL, *digests;

	for (size_t i = 0; i < json_object_array_length(refs); i++) {
		json_object *e = json_object_array_get_idx(refs, i), *p;

		if (json_object_object_get_ex(e, "path", &p) &&
		    strcmp(json_object_get_string(p), rec->path) == 0)
			entry = e;
	}
	if (!entry) {
		entry = json_object_new_object();
		if (!entry)
			return -ENOMEM;
		json_object_object_add(entry, "path", json_object_new_string(rec->path));
		json_object_object_add(entry, "required", json_object_new_boolean(1));
		json_object_array_add(refs, entry);
	}
	digests = get_or_add(entry, "digests", json_type_object);
	if (!digests)
		return -ENOMEM;
	for (size_t k = 0; k < rec->n_digests; k++) {
		const struct policy_digest *d = &rec->file_digests[k];
		char hex[2 * VT_DIGEST_MAX + 1];
		json_object *list, *one;

		if (!selects(sel, d->alg->tpm_alg, pcr))
			continue;
		vt_hex_encode(d->value, d->alg->size, hex);
		if (json_object_object_get_ex(digests, d->alg->name, &one) &&
		    json_object_is_type(one, json_type_string)) {
			/* one digest written as a string: make it a list */
			list = json_object_new_array();
			if (!list)
				return -ENOMEM;
			json_object_array_add(list, json_object_get(one));
			json_object_object_add(digests, d->alg->name, list);
		}
		list = get_or_add(digests, d->alg->name, json_type_array);
		if (!list)
			return -ENOMEM;
		if (!array_has_string(list, hex))
			json_object_array_add(list, json_object_new_string(hex));
	}
	return 0;
}

/* Whether name is one of the proven AK names. */
static bool ak_proven(const struct attest_ak_name *proven, size_t n_proven, const uint8_t *name,
		      size_t name_len)
{
	for (size_t i = 0; i < n_proven; i++)
		if (proven[i].len == name_len && memcmp(proven[i].bytes, name, name_len) == 0)
			return true;
	return false;
}

/* The quote of e verifies under e's own AK (signature, TPM_GENERATED, a
 * quote, pcrDigest, every log replaying to the quoted PCRs it extends): the
 * verifier's own checks, on a policy that asks nothing else, every check of
 * the chain passed (a warning is no failure: the nonce, which only the
 * verifier of a fresh quote has, or a pending last record). 1 when the
 * measurement log's last record is pending: nothing proves it. */
static int quote_proven(const struct attest_evidence *e, const char *ev_name, const char *name_hex,
			unsigned measurement_pcr)
{
	static const struct {
		const char *name;
		bool required;          /* else: when the evidence has its input */
	} chain[] = {
		{ "ak-attributes", true }, { "ak-trusted", true }, { "signature", true },
		{ "attest-magic", true },  { "attest-type", true }, { "pcr-digest", true },
		{ "uefi-log", false },     { "measurement-log", false },
	};
	_cleanup_(policy_freep) struct policy *empty = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	const struct attest_check *c;
	char json[128];
	int r;

	snprintf(json, sizeof(json), "{\"schema_version\": %d, \"sequence\": 1, \"measurement\": {\"pcr\": %u}}",
		 POLICY_SCHEMA_VERSION, measurement_pcr);
	r = policy_load_buffer("policy init", json, strlen(json), &empty);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOTRECOVERABLE;
	r = attest_verify_flags(empty, e, NULL, 0,
				ATTEST_VERIFY_ALLOW_REPLAY | ATTEST_VERIFY_EVIDENCE_AK, &v);
	if (r < 0)
		return r;
	/* The chain from the AK to the logs; the policy's own rules (reference
	 * values, an audit's results) are what this policy is about to say. */
	for (size_t i = 0; i < ELEMENTSOF(chain); i++) {
		c = attest_verdict_find(v, chain[i].name);
		if (!c && !chain[i].required)
			continue;
		if (!c)
			return vt_log_errno(EKEYREJECTED, "evidence '%s': attestation key %s: the quote does not verify under it: %s: not checked: not pinned",
						ev_name, name_hex, chain[i].name);
		if (c->status == ATTEST_CHECK_FAILED)
			return vt_log_errno(EKEYREJECTED, "evidence '%s': attestation key %s: the quote does not verify under it: %s: %s: not pinned",
						ev_name, name_hex, c->name, c->reason);
	}
	/* The one warning of the log: its last record is not in the quote. */
	c = attest_verdict_find(v, "measurement-log");
	return c && c->status == ATTEST_CHECK_WARNING ? 1 : 0;
}

/* attestation_keys: the AK of evidence e, pinned by key and TPM name, once
 * it is known to be an AK in a TPM and to have signed this very quote: a
 * key that signs anything signs forged quotes, and attributes are only
 * what the public area claims. 1 when the log's last record is pending. */
static int add_ak(json_object *aks, const struct attest_evidence *e, const char *ev_name,
		  const struct attest_ak_name *proven, size_t n_proven, unsigned measurement_pcr)
{
	_cleanup_(freep) char *pem = NULL;
	uint8_t md[32], name[ATTEST_NAME_MAX];
	char id[20], name_hex[2 * ATTEST_NAME_MAX + 1], why[256];
	size_t name_len;
	json_object *k;
	int r, pending;

	{
		VT_LOG_CAPTURE_SCOPE(why, sizeof(why));
		r = attest_ak_public_check(e->ak_public, e->ak_public_len);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return vt_log_errno(EKEYREJECTED, "evidence '%s': %s: not pinned", ev_name,
					why[0] ? why : "ak.public is not a restricted signing key fixed to its tpm");
	r = attest_public_name(e->ak_public, e->ak_public_len, name, &name_len);
	if (r < 0)
		return r;
	vt_hex_encode(name, name_len, name_hex);
	/* The attributes are what the public area claims: only an enrollment
	 * (the TPM of an EK opened a credential made for this name) or the
	 * operator's word proves the key lives in a TPM. */
	if (!ak_proven(proven, n_proven, name, name_len))
		return vt_log_errno(EKEYREJECTED, "evidence '%s': attestation key %s is not proven to live in a tpm (give --enrollment CHALLENGE RESPONSE that enroll-verify accepts, or --ak-name): not pinned",
					ev_name, name_hex);
	pending = quote_proven(e, ev_name, name_hex, measurement_pcr);
	if (pending < 0)
		return pending;
	r = attest_public_to_pem(e->ak_public, e->ak_public_len, &pem);
	if (r < 0)
		return r;
	for (size_t j = 0; j < json_object_array_length(aks); j++) {
		json_object *o = json_object_array_get_idx(aks, j), *p, *n;

		if (!json_object_object_get_ex(o, "public_key", &p) ||
		    strcmp(json_object_get_string(p), pem) != 0)
			continue;
		if (!json_object_object_get_ex(o, "name", &n)) {
			/* pinned before names were: now by its name too */
			json_object_object_add(o, "name", json_object_new_string(name_hex));
			return pending;
		}
		if (strcmp(json_object_get_string(n), name_hex) == 0)
			return pending;
	}
	if (EVP_Digest(name, name_len, md, NULL, EVP_sha256(), NULL) != 1)
		return -ENOTRECOVERABLE;
	snprintf(id, sizeof(id), "ak-%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4],
		 md[5]);
	k = json_object_new_object();
	if (!k)
		return -ENOMEM;
	json_object_object_add(k, "id", json_object_new_string(id));
	json_object_object_add(k, "public_key", json_object_new_string(pem));
	json_object_object_add(k, "name", json_object_new_string(name_hex));
	json_object_array_add(aks, k);
	return pending;
}

/* pcr_values: a value this host agrees with stays; one that differs goes. */
static void merge_pcr_values(json_object *values, const struct attest_evidence *e,
			     const TPML_PCR_SELECTION *sel, bool first, json_object *dropped)
{
	for (size_t i = 0; i < e->n_pcrs; i++) {
		const struct policy_pcr_value *v = &e->pcrs[i];
		char hex[2 * VT_DIGEST_MAX + 1], idx[8], key[32];
		json_object *bank, *old;

		if (!selects(sel, v->alg->tpm_alg, v->pcr))
			continue;
		bank = get_or_add(values, v->alg->name, json_type_object);
		if (!bank)
			continue;
		snprintf(idx, sizeof(idx), "%u", v->pcr);
		snprintf(key, sizeof(key), "%s:%u", v->alg->name, v->pcr);
		vt_hex_encode(v->value, v->alg->size, hex);
		if (json_object_object_get_ex(dropped, key, NULL))
			continue;
		if (json_object_object_get_ex(bank, idx, &old)) {
			if (strcmp(json_object_get_string(old), hex) != 0) {
				json_object_object_del(bank, idx);
				json_object_object_add(dropped, key, NULL);
			}
		} else if (first) {
			json_object_object_add(bank, idx, json_object_new_string(hex));
		}
	}
}

int attest_policy_from_evidence(const char *base_json, size_t base_len,
				const struct attest_evidence *const *evidence,
				const char *const *names, size_t n,
				const struct attest_ak_name *proven, size_t n_proven,
				unsigned measurement_pcr, char **ret)
{
	_cleanup_(json_object_putp) json_object *root = NULL, *dropped = NULL;
	json_object *refs, *aks, *values, *sel, *v;
	bool first_values;
	char *s;
	int r;

	if (base_json) {
		struct vt_json_error jerr;

		/* as policy_load_buffer reads it */
		r = vt_json_parse(base_json, base_len, 64, &root, &jerr);
		if (r < 0)
			return r == -EBADMSG ? vt_log_errno(EBADMSG, "cannot merge: the base policy: %s: %s",
								jerr.path.buf, jerr.reason) : r;
		if (!json_object_is_type(root, json_type_object))
			return vt_log_errno(EBADMSG, "cannot merge: the base policy is not a JSON object");
		/* A new policy: the sequence grows, so hosts can refuse the old one. */
		if (json_object_object_get_ex(root, "sequence", &v))
			json_object_object_add(root, "sequence",
					       json_object_new_int64(json_object_get_int64(v) + 1));
		first_values = !json_object_object_get_ex(root, "pcr_values", NULL);
	} else {
		root = json_object_new_object();
		if (!root)
			return -ENOMEM;
		json_object_object_add(root, "schema_version", json_object_new_int(POLICY_SCHEMA_VERSION));
		json_object_object_add(root, "sequence", json_object_new_int(1));
		json_object_object_add(root, "description",
				       json_object_new_string("reference values from known-good evidence; review before signing"));
		v = json_object_new_object();
		json_object_object_add(v, "pcr", json_object_new_int((int)measurement_pcr));
		json_object_object_add(root, "measurement", v);
		first_values = true;
	}
	dropped = json_object_new_object();
	refs = get_or_add(root, "reference_values", json_type_array);
	aks = get_or_add(root, "attestation_keys", json_type_array);
	values = get_or_add(root, "pcr_values", json_type_object);
	sel = get_or_add(root, "pcr_selection", json_type_object);
	if (!dropped || !refs || !aks || !values || !sel)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		const struct attest_evidence *e = evidence[i];
		_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
		_cleanup_(freep) TPMS_ATTEST *attest = calloc(1, sizeof(*attest));
		const TPML_PCR_SELECTION *qs;
		size_t off = 0;

		if (!attest)
			return -ENOMEM;
		if (Tss2_MU_TPMS_ATTEST_Unmarshal(e->attest, e->attest_len, &off, attest) != TSS2_RC_SUCCESS ||
		    off != e->attest_len || attest->type != TPM2_ST_ATTEST_QUOTE)
			return vt_log_errno(EBADMSG, "evidence '%s': quote.attest is not a TPMS_ATTEST of a quote",
						names[i]);
		qs = &attest->attested.quote.pcrSelect;
		if (e->mlog) {
			bool covered = false;

			r = attest_mlog_parse("evidence measurement log", e->mlog, e->mlog_len, &log);
			if (r < 0)
				return r;
			for (uint32_t b = 0; b < qs->count && b < TPM2_NUM_PCR_BANKS; b++)
				covered = covered || selects(qs, qs->pcrSelections[b].hash, measurement_pcr);
			if (!covered && attest_mlog_count(log) > 0)
				return vt_log_errno(EBADMSG, "evidence '%s': the quote does not cover pcr %u, so its measurement log proves nothing",
							names[i], measurement_pcr);
		}
		r = add_ak(aks, e, names[i], proven, n_proven, measurement_pcr);
		if (r < 0)
			return r;
		if (log) {
			size_t n_proven_recs = attest_mlog_count(log) - (r == 1 ? 1 : 0);

			if (r == 1)
				vt_logf(VT_LOG_WARNING, "evidence '%s': the last record of its measurement log ('%s') is pending, not in the quote: not taken",
					    names[i], attest_mlog_record(log, n_proven_recs)->path);
			for (size_t k = 0; k < n_proven_recs; k++) {
				/* Events (launch decisions, audits) are no files. */
				if (attest_mlog_record(log, k)->kind != ATTEST_RECORD_FILE)
					continue;
				r = add_reference(refs, attest_mlog_record(log, k), qs, measurement_pcr);
				if (r < 0)
					return r;
			}
		}
		merge_pcr_values(values, e, qs, first_values && i == 0, dropped);
		/* The selection covers what the evidence quoted. */
		for (size_t k = 0; k < e->n_pcrs; k++) {
			json_object *list;
			bool have = false;

			if (!selects(qs, e->pcrs[k].alg->tpm_alg, e->pcrs[k].pcr))
				continue;
			list = get_or_add(sel, e->pcrs[k].alg->name, json_type_array);
			if (!list)
				return -ENOMEM;
			for (size_t j = 0; j < json_object_array_length(list); j++)
				have = have || json_object_get_int(json_object_array_get_idx(list, j)) ==
						       (int)e->pcrs[k].pcr;
			if (!have)
				json_object_array_add(list, json_object_new_int((int)e->pcrs[k].pcr));
		}
	}
	json_object_object_foreach(dropped, key, unused) {
		(void)unused;
		vt_logf(VT_LOG_WARNING, "pcr %s differs between the hosts: no expected value kept",
			    key);
	}
	/* The measurement PCR changes with every measurement: its value is the
	 * log's to prove, not a fixed expectation. */
	json_object_object_foreach(values, bank, pcrs) {
		char idx[8];

		(void)bank;
		snprintf(idx, sizeof(idx), "%u", measurement_pcr);
		json_object_object_del(pcrs, idx);
	}
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
