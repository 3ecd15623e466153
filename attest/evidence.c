/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evidence documents: JSON in, bounded and strict; JSON out. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest.h"

#define EVIDENCE_VERSION 1
#define BLOB_MAX (64 * 1024)          /* a TPM structure */
#define EVENTLOG_MAX (16 * 1024 * 1024)


void attest_evidence_free(struct attest_evidence *e)
{
	if (!e)
		return;
	free(e->ak_public);
	free(e->ak_pem);
	free(e->attest);
	free(e->signature);
	free(e->pcrs);
	free(e->uefi_log);
	free(e->mlog);
	free(e->host_audit);
	free(e);
}

static int ev_fault(const char *name, const char *path, const char *what)
{
	return vt_log_errno(EBADMSG, "evidence '%s': %s: %s", name, path, what);
}

static int get_member(const char *name, json_object *o, const char *key, const char *path,
		      enum json_type t, bool required, json_object **ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		*ret = NULL;
		return required ? ev_fault(name, path, "missing") : 0;
	}
	if (!json_object_is_type(v, t))
		return ev_fault(name, path, t == json_type_string ? "expected a string" :
					    t == json_type_object ? "expected an object" : "wrong type");
	*ret = v;
	return 0;
}

static int only_keys(const char *name, json_object *o, const char *path, const char *const *keys)
{
	json_object_object_foreach(o, k, v) {
		bool ok = false;

		(void)v;
		for (const char *const *a = keys; *a; a++)
			ok = ok || strcmp(*a, k) == 0;
		if (!ok) {
			char p[256];

			snprintf(p, sizeof(p), "%s.%.64s", path, k);
			return ev_fault(name, p, "unknown key");
		}
	}
	return 0;
}

static int base64_decode(const char *name, const char *path, json_object *v, size_t max,
			 uint8_t **ret, size_t *ret_len)
{
	int r = vt_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), max, ret,
				 ret_len);

	if (r == -EBADMSG)
		return ev_fault(name, path, "not base64");
	if (r == -EFBIG)
		return ev_fault(name, path, "too large");
	return r;
}

/* The required base64 member key of o (at path), decoded into *ret. */
static int get_blob(const char *name, json_object *o, const char *key, const char *path,
		    uint8_t **ret, size_t *ret_len)
{
	json_object *v;
	int r = get_member(name, o, key, path, json_type_string, true, &v);

	if (r < 0)
		return r;
	return base64_decode(name, path, v, BLOB_MAX, ret, ret_len);
}

static int parse_pcrs(const char *name, json_object *o, struct attest_evidence *e)
{
	size_t n = 0;

	json_object_object_foreach(o, bank, vals) {
		(void)bank;
		if (!json_object_is_type(vals, json_type_object))
			return ev_fault(name, "$.pcrs", "expected an object of PCR values per bank");
		n += (size_t)json_object_object_length(vals);
	}
	if (n == 0 || n > 8 * POLICY_PCR_MAX)
		return ev_fault(name, "$.pcrs", "no PCR values, or too many");
	e->pcrs = calloc(n, sizeof(*e->pcrs));
	if (!e->pcrs)
		return -ENOMEM;
	json_object_object_foreach(o, key, val) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_name(key);
		char path[128];

		snprintf(path, sizeof(path), "$.pcrs.%.32s", key);
		if (!alg)
			return ev_fault(name, path, "unknown hash algorithm");
		json_object_object_foreach(val, idx, hex) {
			struct policy_pcr_value *pv = &e->pcrs[e->n_pcrs];
			char *end;
			unsigned long pcr;

			snprintf(path, sizeof(path), "$.pcrs.%.32s[\"%.8s\"]", key, idx);
			errno = 0;
			pcr = strtoul(idx, &end, 10);
			if (!*idx || *end || errno || pcr >= POLICY_PCR_MAX || idx[0] == '-' || idx[0] == '+' ||
			    (idx[0] == '0' && idx[1]))
				return ev_fault(name, path, "not a PCR index");
			if (!json_object_is_type(hex, json_type_string) ||
			    vt_hex_decode(json_object_get_string(hex), pv->value, alg->size) < 0)
				return ev_fault(name, path, "not a hex digest of the bank's size");
			pv->alg = alg;
			pv->pcr = (unsigned)pcr;
			e->n_pcrs++;
		}
	}
	return 0;
}

/* The audit's exact bytes, checked as the verifier will read them, so that
 * a malformed one is bad input here rather than a verdict later. */
static int parse_host_audit(const char *name, json_object *v, struct attest_evidence *e)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	const char *s = json_object_get_string(v), *msg;
	size_t len = (size_t)json_object_get_string_len(v);
	char why[512], what[600];
	int r;

	if (len > ATTEST_AUDIT_JSON_MAX) {
		snprintf(what, sizeof(what), "too large: %zu bytes, the limit is %d", len,
			 ATTEST_AUDIT_JSON_MAX);
		return ev_fault(name, "$.host_audit", what);
	}
	if (memchr(s, '\0', len))
		return ev_fault(name, "$.host_audit", "contains a NUL byte");
	{
		VT_LOG_CAPTURE_SCOPE(why, sizeof(why));
		r = attest_audit_parse("$.host_audit", s, len, &a);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* "host audit '$.host_audit': $.checks[0]: ...": the part after the name */
		msg = strstr(why, "': ");
		snprintf(what, sizeof(what), "not a host audit: %s", msg ? msg + 3 : why);
		return ev_fault(name, "$.host_audit", what);
	}
	e->host_audit = strndup(s, len);
	if (!e->host_audit)
		return -ENOMEM;
	e->host_audit_len = len;
	return 0;
}

int attest_evidence_parse(const char *name, const char *json, size_t len,
			  struct attest_evidence **ret)
{
	static const char *const top_keys[] = { "vmtrust_evidence", "nonce", "ak", "quote", "pcrs",
						"uefi_eventlog", "measurement_log", "host_audit",
						NULL };
	static const char *const ak_keys[] = { "public", "pem", NULL };
	static const char *const quote_keys[] = { "attest", "signature", NULL };
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(json_object_putp) json_object *root = NULL;
	json_object *v, *ak, *quote;
	struct vt_json_error jerr;
	const char *s;
	int r;

	if (len > ATTEST_EVIDENCE_MAX)
		return vt_log_errno(EFBIG, "evidence '%s': %zu bytes exceed the limit of %d", name,
					len, ATTEST_EVIDENCE_MAX);
	r = vt_json_parse(json, len, 32, &root, &jerr);
	if (r < 0)
		return vt_log_errno(-r, "evidence '%s': %s: %s", name, jerr.path.buf, jerr.reason);
	if (!json_object_is_type(root, json_type_object))
		return ev_fault(name, "$", "expected an object at the top level");
	r = only_keys(name, root, "$", top_keys);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(root, "vmtrust_evidence", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != EVIDENCE_VERSION)
		return ev_fault(name, "$.vmtrust_evidence", "missing, or not version 1");

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;

	r = get_member(name, root, "nonce", "$.nonce", json_type_string, true, &v);
	if (r < 0)
		return r;
	s = json_object_get_string(v);
	e->nonce_len = strlen(s) / 2;
	if (strlen(s) % 2 || e->nonce_len == 0 || e->nonce_len > ATTEST_NONCE_MAX ||
	    vt_hex_decode(s, e->nonce, e->nonce_len) < 0)
		return ev_fault(name, "$.nonce", "not a hex string of 1 to 64 bytes");

	r = get_member(name, root, "ak", "$.ak", json_type_object, true, &ak);
	if (r < 0)
		return r;
	r = only_keys(name, ak, "$.ak", ak_keys);
	if (r < 0)
		return r;
	r = get_blob(name, ak, "public", "$.ak.public", &e->ak_public, &e->ak_public_len);
	if (r < 0)
		return r;
	r = get_member(name, ak, "pem", "$.ak.pem", json_type_string, false, &v);
	if (r < 0)
		return r;
	if (v) {
		if ((size_t)json_object_get_string_len(v) > BLOB_MAX)
			return ev_fault(name, "$.ak.pem", "too large");
		e->ak_pem = strdup(json_object_get_string(v));
		if (!e->ak_pem)
			return -ENOMEM;
	}

	r = get_member(name, root, "quote", "$.quote", json_type_object, true, &quote);
	if (r < 0)
		return r;
	r = only_keys(name, quote, "$.quote", quote_keys);
	if (r < 0)
		return r;
	r = get_blob(name, quote, "attest", "$.quote.attest", &e->attest, &e->attest_len);
	if (r < 0)
		return r;
	r = get_blob(name, quote, "signature", "$.quote.signature", &e->signature, &e->signature_len);
	if (r < 0)
		return r;

	r = get_member(name, root, "pcrs", "$.pcrs", json_type_object, true, &v);
	if (r < 0)
		return r;
	r = parse_pcrs(name, v, e);
	if (r < 0)
		return r;

	r = get_member(name, root, "uefi_eventlog", "$.uefi_eventlog", json_type_string, false, &v);
	if (r < 0)
		return r;
	if (v) {
		r = base64_decode(name, "$.uefi_eventlog", v, EVENTLOG_MAX, &e->uefi_log,
				  &e->uefi_log_len);
		if (r < 0)
			return r;
	}
	r = get_member(name, root, "measurement_log", "$.measurement_log", json_type_string, false, &v);
	if (r < 0)
		return r;
	if (v) {
		e->mlog_len = (size_t)json_object_get_string_len(v);
		if (e->mlog_len > ATTEST_MLOG_MAX)
			return ev_fault(name, "$.measurement_log", "too large");
		/* Text: a NUL ("\u0000") would end the copy short of mlog_len. */
		if (strlen(json_object_get_string(v)) != e->mlog_len)
			return ev_fault(name, "$.measurement_log", "contains a NUL byte");
		e->mlog = strndup(json_object_get_string(v), e->mlog_len);
		if (!e->mlog)
			return -ENOMEM;
	}
	r = get_member(name, root, "host_audit", "$.host_audit", json_type_string, false, &v);
	if (r < 0)
		return r;
	if (v) {
		r = parse_host_audit(name, v, e);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(e);
	return 0;
}

static json_object *base64_json(const uint8_t *data, size_t len)
{
	_cleanup_(freep) char *b = NULL;

	if (vt_base64_encode(data, len, &b) < 0)
		return NULL;
	return json_object_new_string(b);
}

int attest_evidence_to_json(const struct attest_evidence *e, char **ret)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *ak, *quote, *pcrs;
	char hex[2 * VT_DIGEST_MAX + 1];
	char *s;

	if (!root)
		return -ENOMEM;
	json_object_object_add(root, "vmtrust_evidence", json_object_new_int(EVIDENCE_VERSION));
	vt_hex_encode(e->nonce, e->nonce_len, hex);
	json_object_object_add(root, "nonce", json_object_new_string(hex));
	ak = json_object_new_object();
	json_object_object_add(root, "ak", ak);
	json_object_object_add(ak, "public", base64_json(e->ak_public, e->ak_public_len));
	if (e->ak_pem)
		json_object_object_add(ak, "pem", json_object_new_string(e->ak_pem));
	quote = json_object_new_object();
	json_object_object_add(root, "quote", quote);
	json_object_object_add(quote, "attest", base64_json(e->attest, e->attest_len));
	json_object_object_add(quote, "signature", base64_json(e->signature, e->signature_len));
	pcrs = json_object_new_object();
	json_object_object_add(root, "pcrs", pcrs);
	for (size_t i = 0; i < e->n_pcrs; i++) {
		json_object *bank;
		char idx[8];

		if (!json_object_object_get_ex(pcrs, e->pcrs[i].alg->name, &bank)) {
			bank = json_object_new_object();
			json_object_object_add(pcrs, e->pcrs[i].alg->name, bank);
		}
		snprintf(idx, sizeof(idx), "%u", e->pcrs[i].pcr);
		vt_hex_encode(e->pcrs[i].value, e->pcrs[i].alg->size, hex);
		json_object_object_add(bank, idx, json_object_new_string(hex));
	}
	if (e->uefi_log)
		json_object_object_add(root, "uefi_eventlog", base64_json(e->uefi_log, e->uefi_log_len));
	if (e->mlog)
		json_object_object_add(root, "measurement_log",
				       json_object_new_string_len(e->mlog, (int)e->mlog_len));
	if (e->host_audit)
		json_object_object_add(root, "host_audit",
				       json_object_new_string_len(e->host_audit, (int)e->host_audit_len));
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
