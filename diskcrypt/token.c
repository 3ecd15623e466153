/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens: where a sealed key lives. LUKS2 keeps them in its header
 * (crypt_token_json_set), where `cryptsetup luksDump` shows them:
 *   {"type": "vmtrust-tpm2", "keyslots": ["1"],
 *    "tpm2-blob": base64(TPM2B_PRIVATE || TPM2B_PUBLIC),
 *    "tpm2-pcrs": [7, 15], "tpm2-pcr-bank": "sha256",
 *    "tpm2-policy-hash": hex (the sealed object's authPolicy),
 *    "tpm2-pubkey": PEM (only when PolicyAuthorize'd),
 *    "tpm2-srk-name": hex (the parent's name), "vmtrust-version": 1}
 * and a recovery keyslot is marked by {"type": "vmtrust-recovery",
 * "keyslots": ["2"]}. LUKS1 has no tokens: the same token objects live in a
 * side file next to the volume, bound to its UUID:
 *   {"vmtrust_luks1_tokens": 1, "volume_uuid": "...",
 *    "tokens": {"0": {token}, ...}, "recovery_keyslots": [2]}
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libcryptsetup.h>

#include "diskcrypt-internal.h"


#define TOKEN_VERSION 1

/* ---- one token ------------------------------------------------------------------- */

void dc_token_clear(struct dc_token *t)
{
	free(t->blob);
	free(t->pubkey_pem);
	*t = (struct dc_token){ .id = -1, .keyslot = -1 };
}

void dc_tokens_clear(struct dc_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		dc_token_clear(&t->v[i]);
	t->n = 0;
	t->n_recovery = 0;
}

static int add_string(json_object *o, const char *key, const char *value)
{
	json_object *v = json_object_new_string(value);

	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static json_object *keyslots_array(int keyslot)
{
	json_object *a = json_object_new_array();
	char s[12];

	if (!a)
		return NULL;
	snprintf(s, sizeof(s), "%d", keyslot);
	if (json_object_array_add(a, json_object_new_string(s)) < 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static int token_to_object(const struct dc_token *t, json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	_cleanup_(freep) char *blob = NULL;
	char hex[2 * DC_NAME_MAX + 1];
	json_object *pcrs;
	int r;

	if (!o)
		return -ENOMEM;
	r = vt_base64_encode(t->blob, t->blob_len, &blob);
	if (r < 0)
		return r;
	if (add_string(o, "type", DISKCRYPT_TOKEN_TYPE) < 0 ||
	    json_object_object_add(o, "keyslots", keyslots_array(t->keyslot)) < 0 ||
	    add_string(o, "tpm2-blob", blob) < 0)
		return -ENOMEM;
	pcrs = json_object_new_array();
	if (!pcrs || json_object_object_add(o, "tpm2-pcrs", pcrs) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++)
		if (t->pcr_mask & (UINT32_C(1) << i))
			json_object_array_add(pcrs, json_object_new_int((int)i));
	if (add_string(o, "tpm2-pcr-bank", t->bank->name) < 0)
		return -ENOMEM;
	vt_hex_encode(t->policy_hash, sizeof(t->policy_hash), hex);
	if (add_string(o, "tpm2-policy-hash", hex) < 0)
		return -ENOMEM;
	if (t->pubkey_pem && add_string(o, "tpm2-pubkey", t->pubkey_pem) < 0)
		return -ENOMEM;
	vt_hex_encode(t->srk_name, t->srk_name_len, hex);
	if (add_string(o, "tpm2-srk-name", hex) < 0 ||
	    json_object_object_add(o, "vmtrust-version", json_object_new_int(TOKEN_VERSION)) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int dc_token_to_json(const struct dc_token *t, char **ret)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	const char *s;
	char *copy;
	int r;

	r = token_to_object(t, &o);
	if (r < 0)
		return r;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	if (strlen(s) > DISKCRYPT_TOKEN_JSON_MAX)
		return vt_log_errno(EFBIG, "token of %zu bytes: at most %d fit", strlen(s),
					DISKCRYPT_TOKEN_JSON_MAX);
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

/* "3" into 3 (0 to 31). */
static int keyslot_from_string(const char *s)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EBADMSG;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v >= DC_KEYSLOTS_MAX)
		return -EBADMSG;
	return (int)v;
}

static int single_keyslot(json_object *o)
{
	json_object *a;

	if (!json_object_object_get_ex(o, "keyslots", &a) || !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != 1 ||
	    !json_object_is_type(json_object_array_get_idx(a, 0), json_type_string))
		return -EBADMSG;
	return keyslot_from_string(json_object_get_string(json_object_array_get_idx(a, 0)));
}

__attribute__((format(printf, 2, 3)))
static int bad_token(const char *name, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return vt_log_errno(EBADMSG, "%s: %s (remove it with 'vmtrust disk revoke')", name, what);
}

static int token_from_object(const char *name, json_object *o, struct dc_token *ret)
{
	static const char *const keys[] = {
		"type", "keyslots", "tpm2-blob", "tpm2-pcrs", "tpm2-pcr-bank", "tpm2-policy-hash",
		"tpm2-pubkey", "tpm2-srk-name", "vmtrust-version", NULL,
	};
	struct dc_token t = { .id = -1, .keyslot = -1 };
	json_object *v;
	int r;

	if (!o || !json_object_is_type(o, json_type_object))
		return bad_token(name, "not a json object");
	json_object_object_foreach(o, k, val) {
		bool known = false;

		(void)val;
		for (size_t i = 0; keys[i]; i++)
			known = known || strcmp(k, keys[i]) == 0;
		if (!known)
			return bad_token(name, "unknown key '%s'", k);
	}
	if (!json_object_object_get_ex(o, "vmtrust-version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != TOKEN_VERSION)
		return bad_token(name, "vmtrust-version: expected %d", TOKEN_VERSION);
	r = single_keyslot(o);
	if (r < 0)
		return bad_token(name, "keyslots: expected one keyslot number 0 to %d", DC_KEYSLOTS_MAX - 1);
	t.keyslot = r;

	if (!json_object_object_get_ex(o, "tpm2-pcr-bank", &v) || !json_object_is_type(v, json_type_string) ||
	    !(t.bank = vt_hash_alg_by_name(json_object_get_string(v))))
		return bad_token(name, "tpm2-pcr-bank: expected sha1, sha256, sha384 or sha512");
	if (!json_object_object_get_ex(o, "tpm2-pcrs", &v) || !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > POLICY_PCR_MAX)
		return bad_token(name, "tpm2-pcrs: expected an array of pcr indexes");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *p = json_object_array_get_idx(v, i);
		int64_t pcr;

		if (!json_object_is_type(p, json_type_int) || (pcr = json_object_get_int64(p)) < 0 ||
		    pcr >= POLICY_PCR_MAX)
			return bad_token(name, "tpm2-pcrs[%zu]: expected a pcr index 0 to %d", i,
					 POLICY_PCR_MAX - 1);
		t.pcr_mask |= UINT32_C(1) << pcr;
	}
	if (!json_object_object_get_ex(o, "tpm2-policy-hash", &v) || !json_object_is_type(v, json_type_string) ||
	    vt_hex_decode(json_object_get_string(v), t.policy_hash, sizeof(t.policy_hash)) < 0)
		return bad_token(name, "tpm2-policy-hash: expected 64 hex digits");
	if (!json_object_object_get_ex(o, "tpm2-srk-name", &v) || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) % 2 || strlen(json_object_get_string(v)) > 2 * DC_NAME_MAX ||
	    vt_hex_decode(json_object_get_string(v), t.srk_name, strlen(json_object_get_string(v)) / 2) < 0)
		return bad_token(name, "tpm2-srk-name: expected a tpm name in hex");
	t.srk_name_len = strlen(json_object_get_string(v)) / 2;

	if (json_object_object_get_ex(o, "tpm2-pubkey", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) >= DC_PUBKEY_PEM_MAX ||
		    !strstr(json_object_get_string(v), "-----BEGIN PUBLIC KEY-----"))
			return bad_token(name, "tpm2-pubkey: expected a pem public key");
		t.pubkey_pem = strdup(json_object_get_string(v));
		if (!t.pubkey_pem)
			return -ENOMEM;
	} else if (t.pcr_mask == 0) {
		dc_token_clear(&t);
		return bad_token(name, "tpm2-pcrs: empty, and no tpm2-pubkey");
	}

	if (!json_object_object_get_ex(o, "tpm2-blob", &v) || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) > DC_BLOB_MAX * 4 / 3 + 4 ||
	    vt_base64_decode(json_object_get_string(v), strlen(json_object_get_string(v)), SIZE_MAX, &t.blob,
			     &t.blob_len) < 0 ||
	    t.blob_len == 0) {
		dc_token_clear(&t);
		return bad_token(name, "tpm2-blob: expected base64 of at most %d bytes", DC_BLOB_MAX);
	}
	*ret = t;
	return 0;
}

/* A token's JSON text, strictly (no repeated key, see vt_json_parse). */
static int token_json(const char *name, const char *json, json_object **ret)
{
	struct vt_json_error jerr;
	size_t len = strlen(json);
	int r;

	if (len > DISKCRYPT_TOKEN_JSON_MAX)
		return bad_token(name, "more than %d bytes", DISKCRYPT_TOKEN_JSON_MAX);
	r = vt_json_parse(json, len, 32, ret, &jerr);
	return r == -EBADMSG ? bad_token(name, "%s: %s", jerr.path.buf, jerr.reason) : r;
}

/* A recovery token's object, or NULL when its JSON is not strict: the
 * caller skips it. */
static json_object *recovery_json(const char *json)
{
	struct vt_json_error jerr;
	json_object *o;

	return vt_json_parse(json, strlen(json), 32, &o, &jerr) < 0 ? NULL : o;
}

int dc_token_from_json(const char *name, const char *json, struct dc_token *ret)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	int r;

	r = token_json(name, json, &o);
	if (r < 0)
		return r;
	return token_from_object(name, o, ret);
}

/* ---- LUKS1 side file ----------------------------------------------------------- */

static int sidecar_read(struct diskcrypt_ctx *ctx, const char *uuid, json_object **ret)
{
	_cleanup_(freep) char *path = NULL, *data = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	struct vt_json_error jerr;
	json_object *v;
	struct stat st;
	size_t len;
	int r;

	r = dc_sidecar_path(ctx, &path);
	if (r < 0)
		return r;
	if (stat(path, &st) < 0 && errno == ENOENT) {
		*ret = NULL;
		return 0;
	}
	r = vt_read_file(path, DISKCRYPT_SIDECAR_MAX, &data, &len);
	if (r < 0)
		return r;
	r = vt_json_parse(data, len, 32, &o, &jerr);
	if (r < 0)
		return r == -EBADMSG ? vt_log_errno(EBADMSG, "token file '%s': %s: %s", path, jerr.path.buf,
							jerr.reason) : r;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "vmtrust_luks1_tokens", &v) || json_object_get_int64(v) != 1 ||
	    !json_object_object_get_ex(o, "tokens", &v) || !json_object_is_type(v, json_type_object))
		return vt_log_errno(EBADMSG, "token file '%s': not a vmtrust luks1 token file", path);
	if (!json_object_object_get_ex(o, "volume_uuid", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), uuid) != 0)
		return vt_log_errno(EBADMSG, "token file '%s': belongs to volume %s, not to '%s' (%s)",
					path, v && json_object_is_type(v, json_type_string) ?
					json_object_get_string(v) : "(none)", ctx->volume, uuid);
	*ret = TAKE_PTR(o);
	return 0;
}

static int sidecar_write(struct diskcrypt_ctx *ctx, json_object *o)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;
	const char *s;
	int r;

	r = dc_sidecar_path(ctx, &path);
	if (r < 0)
		return r;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || asprintf(&text, "%s\n", s) < 0)
		return -ENOMEM;
	if (strlen(text) > DISKCRYPT_SIDECAR_MAX)
		return vt_log_errno(EFBIG, "token file '%s': would grow beyond %d bytes", path,
					DISKCRYPT_SIDECAR_MAX);
	return vt_write_file_atomic(path, text, strlen(text), 0600);
}

static int sidecar_new(const char *uuid, json_object **ret)
{
	json_object *o = json_object_new_object();

	if (!o || json_object_object_add(o, "vmtrust_luks1_tokens", json_object_new_int(1)) < 0 ||
	    add_string(o, "volume_uuid", uuid) < 0 ||
	    json_object_object_add(o, "tokens", json_object_new_object()) < 0 ||
	    json_object_object_add(o, "recovery_keyslots", json_object_new_array()) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

/* The side file's object, or a new one when the volume has none yet. */
static int sidecar_open(struct diskcrypt_ctx *ctx, const char *uuid, json_object **ret)
{
	int r = sidecar_read(ctx, uuid, ret);

	if (r < 0 || *ret)
		return r;
	return sidecar_new(uuid, ret);
}

/* ---- reading ---------------------------------------------------------------------- */

static bool is_luks1(struct crypt_device *cd)
{
	const char *type = crypt_get_type(cd);

	return type && strcmp(type, CRYPT_LUKS1) == 0;
}

static int add_recovery(struct dc_tokens *toks, int keyslot)
{
	for (size_t i = 0; i < toks->n_recovery; i++)
		if (toks->recovery[i] == keyslot)
			return 0;
	if (toks->n_recovery == DC_KEYSLOTS_MAX)
		return -E2BIG;
	toks->recovery[toks->n_recovery++] = keyslot;
	return 0;
}

/* One token from its JSON text when json is given (the tree in *parsed),
 * else from its object o. */
static int token_parse(const char *name, json_object *o, const char *json, json_object **parsed,
		       struct dc_token *t)
{
	int r;

	if (json) {
		r = token_json(name, json, parsed);
		if (r < 0)
			return r;
		o = *parsed;
	}
	return token_from_object(name, o, t);
}

/* Parses one token, from its JSON text when json is given, else from its
 * object o, into the next free entry. Lenient: a malformed token is kept,
 * marked, with its fault and (when it can be told) its keyslot, so that
 * status shows it and revoke removes it; strict: the fault is logged and
 * returned. */
static int take_token(const char *name, json_object *o, const char *json, int id, bool lenient,
		      struct dc_tokens *toks)
{
	_cleanup_(json_object_putp) json_object *parsed = NULL;
	struct dc_token *t = &toks->v[toks->n];
	int r = 0;

	if (lenient) {
		VT_LOG_CAPTURE_SCOPE(t->error, sizeof(t->error));
		r = token_parse(name, o, json, &parsed, t);
	} else {
		r = token_parse(name, o, json, &parsed, t);
	}
	if (parsed)
		o = parsed;
	if (r < 0 && (!lenient || r == -ENOMEM))
		return r;
	if (r < 0) {
		char error[sizeof(t->error)];

		memcpy(error, t->error, sizeof(error));
		*t = (struct dc_token){ .malformed = true };
		memcpy(t->error, error, sizeof(error));
		r = o ? single_keyslot(o) : -EBADMSG;
		t->keyslot = r < 0 ? -1 : r;
	}
	t->id = id;
	toks->n++;
	return 0;
}

static int read_luks2(struct diskcrypt_ctx *ctx, struct crypt_device *cd, bool lenient,
		      struct dc_tokens *toks)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	for (int id = 0; id < max && id < DC_TOKENS_MAX; id++) {
		const char *type = NULL, *json = NULL;
		crypt_token_info st = crypt_token_status(cd, id, &type);
		char name[PATH_MAX + 32];
		int r;

		if (st == CRYPT_TOKEN_INVALID || st == CRYPT_TOKEN_INACTIVE || !type)
			continue;
		if (strcmp(type, DISKCRYPT_RECOVERY_TOKEN_TYPE) == 0) {
			_cleanup_(json_object_putp) json_object *o = NULL;

			if (crypt_token_json_get(cd, id, &json) < 0 || !(o = recovery_json(json)) ||
			    (r = single_keyslot(o)) < 0)
				continue;
			add_recovery(toks, r);
			continue;
		}
		if (strcmp(type, DISKCRYPT_TOKEN_TYPE) != 0)
			continue;
		r = crypt_token_json_get(cd, id, &json);
		if (r < 0)
			return dc_crypt_fail(ctx, r, "cannot read a token");
		snprintf(name, sizeof(name), "'%s': token %d", ctx->volume, id);
		r = take_token(name, NULL, json, id, lenient, toks);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_luks1(struct diskcrypt_ctx *ctx, const char *uuid, bool lenient, struct dc_tokens *toks)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_(freep) char *path = NULL;
	json_object *tokens, *rec;
	int r;

	r = sidecar_read(ctx, uuid, &o);
	if (r < 0 || !o)
		return r;
	r = dc_sidecar_path(ctx, &path);
	if (r < 0)
		return r;
	json_object_object_get_ex(o, "tokens", &tokens);
	for (int id = 0; id < DC_TOKENS_MAX; id++) {
		char key[4], name[PATH_MAX + 32];
		json_object *t;

		snprintf(key, sizeof(key), "%d", id);
		if (!json_object_object_get_ex(tokens, key, &t))
			continue;
		snprintf(name, sizeof(name), "token file '%s': token %d", path, id);
		r = take_token(name, t, NULL, id, lenient, toks);
		if (r < 0)
			return r;
	}
	if (json_object_object_length(tokens) != (int)toks->n)
		return vt_log_errno(EBADMSG, "token file '%s': token ids other than 0 to %d", path,
					DC_TOKENS_MAX - 1);
	if (json_object_object_get_ex(o, "recovery_keyslots", &rec) && json_object_is_type(rec, json_type_array))
		for (size_t i = 0; i < json_object_array_length(rec); i++) {
			int64_t k = json_object_get_int64(json_object_array_get_idx(rec, i));

			if (k >= 0 && k < DC_KEYSLOTS_MAX)
				add_recovery(toks, (int)k);
		}
	return 0;
}

int dc_tokens_read(struct diskcrypt_ctx *ctx, struct crypt_device *cd, bool lenient,
		   struct dc_tokens *ret)
{
	const char *uuid = crypt_get_uuid(cd);
	int r;

	dc_tokens_clear(ret);
	ret->type = is_luks1(cd) ? DISKCRYPT_LUKS1 : DISKCRYPT_LUKS2;
	snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid ? uuid : "");
	r = ret->type == DISKCRYPT_LUKS1 ? read_luks1(ctx, ret->uuid, lenient, ret) :
					   read_luks2(ctx, cd, lenient, ret);
	if (r < 0)
		dc_tokens_clear(ret);
	return r;
}

/* ---- writing (the caller holds the lock) --------------------------------------- */

int dc_token_store(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct dc_token *t)
{
	_cleanup_(json_object_putp) json_object *side = NULL, *o = NULL;
	json_object *tokens;
	const char *uuid = crypt_get_uuid(cd);
	int r;

	if (!is_luks1(cd)) {
		_cleanup_(freep) char *json = NULL;

		r = dc_token_to_json(t, &json);
		if (r < 0)
			return r;
		r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
		if (r < 0)
			return dc_crypt_fail(ctx, r, "cannot store a token");
		return r;
	}

	r = sidecar_open(ctx, uuid, &side);
	if (r < 0)
		return r;
	json_object_object_get_ex(side, "tokens", &tokens);
	r = token_to_object(t, &o);
	if (r < 0)
		return r;
	for (int id = 0; id < DC_TOKENS_MAX; id++) {
		char key[4];

		snprintf(key, sizeof(key), "%d", id);
		if (json_object_object_get_ex(tokens, key, NULL))
			continue;
		if (json_object_object_add(tokens, key, TAKE_PTR(o)) < 0)
			return -ENOMEM;
		r = sidecar_write(ctx, side);
		return r < 0 ? r : id;
	}
	return vt_log_errno(ENOSPC, "'%s': no free token id (at most %d)", ctx->volume, DC_TOKENS_MAX);
}

int dc_token_remove(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int id)
{
	_cleanup_(json_object_putp) json_object *side = NULL;
	json_object *tokens;
	char key[12];
	int r;

	if (!is_luks1(cd)) {
		r = crypt_token_json_set(cd, id, NULL);
		return r < 0 ? dc_crypt_fail(ctx, r, "cannot remove a token") : 0;
	}
	r = sidecar_read(ctx, crypt_get_uuid(cd), &side);
	if (r < 0)
		return r;
	if (!side)
		return 0;
	json_object_object_get_ex(side, "tokens", &tokens);
	snprintf(key, sizeof(key), "%d", id);
	json_object_object_del(tokens, key);
	return sidecar_write(ctx, side);
}

int dc_recovery_store(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int keyslot)
{
	_cleanup_(json_object_putp) json_object *side = NULL, *o = NULL;
	json_object *rec;
	const char *uuid = crypt_get_uuid(cd);
	int r;

	if (!is_luks1(cd)) {
		o = json_object_new_object();
		if (!o || add_string(o, "type", DISKCRYPT_RECOVERY_TOKEN_TYPE) < 0 ||
		    json_object_object_add(o, "keyslots", keyslots_array(keyslot)) < 0)
			return -ENOMEM;
		r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN,
					 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		return r < 0 ? dc_crypt_fail(ctx, r, "cannot mark the recovery keyslot") : 0;
	}
	r = sidecar_open(ctx, uuid, &side);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(side, "recovery_keyslots", &rec)) {
		rec = json_object_new_array();
		if (!rec || json_object_object_add(side, "recovery_keyslots", rec) < 0)
			return -ENOMEM;
	}
	json_object_array_add(rec, json_object_new_int(keyslot));
	return sidecar_write(ctx, side);
}

int dc_recovery_remove(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int keyslot)
{
	_cleanup_(json_object_putp) json_object *side = NULL, *keep = NULL;
	json_object *rec;
	int r;

	if (!is_luks1(cd)) {
		int max = crypt_token_max(CRYPT_LUKS2);

		for (int id = 0; id < max; id++) {
			_cleanup_(json_object_putp) json_object *o = NULL;
			const char *type = NULL, *json = NULL;

			crypt_token_info st = crypt_token_status(cd, id, &type);

			if (st == CRYPT_TOKEN_INVALID || st == CRYPT_TOKEN_INACTIVE || !type ||
			    strcmp(type, DISKCRYPT_RECOVERY_TOKEN_TYPE) != 0)
				continue;
			if (crypt_token_json_get(cd, id, &json) < 0 || !(o = recovery_json(json)) ||
			    single_keyslot(o) != keyslot)
				continue;
			r = crypt_token_json_set(cd, id, NULL);
			if (r < 0)
				return dc_crypt_fail(ctx, r, "cannot remove a recovery token");
		}
		return 0;
	}
	r = sidecar_read(ctx, crypt_get_uuid(cd), &side);
	if (r < 0 || !side)
		return r;
	if (!json_object_object_get_ex(side, "recovery_keyslots", &rec))
		return 0;
	keep = json_object_new_array();
	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(rec); i++) {
		int64_t k = json_object_get_int64(json_object_array_get_idx(rec, i));

		if (k != keyslot)
			json_object_array_add(keep, json_object_new_int((int)k));
	}
	if (json_object_object_add(side, "recovery_keyslots", TAKE_PTR(keep)) < 0)
		return -ENOMEM;
	return sidecar_write(ctx, side);
}
