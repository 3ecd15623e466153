/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR sets, and signed PCR policies: the file an authorize key's holder
 * writes after a planned update, so the same sealed key unlocks with the
 * new PCR values (the PolicyAuthorize flow of systemd's --tpm2-public-key). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "diskcrypt-internal.h"


/* ---- PCR sets ------------------------------------------------------------------ */

int diskcrypt_pcrs_parse(const char *s, const struct vt_hash_alg **ret_bank, uint32_t *ret_mask)
{
	const struct vt_hash_alg *bank;
	const char *colon, *p;
	char name[16];
	uint32_t mask = 0;

	if (!s || !(colon = strchr(s, ':')) || (size_t)(colon - s) >= sizeof(name))
		return vt_log_errno(EINVAL, "pcr set '%s': expected BANK:PCR[,PCR...] such as sha256:7,14",
					s ? s : "");
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	bank = vt_hash_alg_by_name(name);
	if (!bank)
		return vt_log_errno(EINVAL, "pcr set '%s': unknown bank '%s' (sha1, sha256, sha384, sha512)",
					s, name);
	p = colon + 1;
	for (;;) {
		unsigned long v;
		char *end;

		if (!isdigit((unsigned char)*p))
			return vt_log_errno(EINVAL, "pcr set '%s': expected a pcr index at '%s'", s, p);
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v >= POLICY_PCR_MAX)
			return vt_log_errno(EINVAL, "pcr set '%s': pcr index out of range 0 to %d", s,
						POLICY_PCR_MAX - 1);
		mask |= UINT32_C(1) << v;
		if (*end == '\0')
			break;
		if (*end != ',')
			return vt_log_errno(EINVAL, "pcr set '%s': unexpected '%c'", s, *end);
		p = end + 1;
	}
	*ret_bank = bank;
	*ret_mask = mask;
	return 0;
}

void diskcrypt_pcrs_format(const struct vt_hash_alg *bank, uint32_t mask, char *out, size_t size)
{
	size_t len;

	if (size == 0)
		return;
	len = (size_t)snprintf(out, size, "%s:", bank ? bank->name : "?");
	for (unsigned i = 0; i < POLICY_PCR_MAX && len < size; i++)
		if (mask & (UINT32_C(1) << i))
			len += (size_t)snprintf(out + len, size - len, "%s%u",
						out[len - 1] == ':' ? "" : ",", i);
}

/* ---- small JSON helpers --------------------------------------------------------- */

static int parse_json(const char *name, const char *data, size_t len, json_object **ret)
{
	struct vt_json_error jerr;
	int r;

	r = vt_json_parse(data, len, 32, ret, &jerr);
	if (r < 0)
		return vt_log_errno(-r, "'%s': %s: %s", name, jerr.path.buf, jerr.reason);
	return 0;
}

/* {"7": hex, ...} of one bank into values for mask; every PCR of mask
 * must be there, others are ignored. */
static int values_from_object(const char *name, json_object *bank_obj, const struct vt_hash_alg *bank,
			      uint32_t mask, struct policy_pcr_value *values, size_t *ret_n)
{
	size_t n = 0;

	if (!json_object_is_type(bank_obj, json_type_object))
		return vt_log_errno(EBADMSG, "'%s': $.%s: expected an object of pcr values", name,
					bank->name);
	for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
		json_object *v;
		char key[4];

		if (!(mask & (UINT32_C(1) << pcr)))
			continue;
		snprintf(key, sizeof(key), "%u", pcr);
		if (!json_object_object_get_ex(bank_obj, key, &v))
			return vt_log_errno(EINVAL, "'%s': $.%s: no value for pcr %u", name, bank->name, pcr);
		values[n] = (struct policy_pcr_value){ .alg = bank, .pcr = pcr };
		if (!json_object_is_type(v, json_type_string) ||
		    vt_hex_decode(json_object_get_string(v), values[n].value, bank->size) < 0)
			return vt_log_errno(EBADMSG, "'%s': $.%s.%u: a %s value has %zu hex digits", name,
						bank->name, pcr, bank->name, 2 * bank->size);
		n++;
	}
	*ret_n = n;
	return 0;
}

int diskcrypt_pcr_values_from_file(const char *path, const struct vt_hash_alg *bank,
				   uint32_t mask, struct policy_pcr_value *values)
{
	_cleanup_(freep) char *data = NULL;
	_cleanup_(json_object_putp) json_object *root = NULL;
	json_object *pcrs = NULL, *b;
	size_t len, n;
	int r;

	if (!bank || mask == 0 || mask >> POLICY_PCR_MAX)
		return vt_log_errno(EINVAL, "cannot read pcr values: no pcr set");
	r = vt_read_file(path, DISKCRYPT_PCR_POLICY_MAX, &data, &len);
	if (r < 0)
		return r;
	r = parse_json(path, data, len, &root);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return vt_log_errno(EBADMSG, "'%s': $: expected an object", path);
	/* Either {"sha256": {...}} or evidence, whose "pcrs" has that form. */
	if (!json_object_object_get_ex(root, "pcrs", &pcrs) || !json_object_is_type(pcrs, json_type_object))
		pcrs = root;
	if (!json_object_object_get_ex(pcrs, bank->name, &b))
		return vt_log_errno(EINVAL, "'%s': no pcr values of bank %s", path, bank->name);
	r = values_from_object(path, b, bank, mask, values, &n);
	return r < 0 ? r : (int)n;
}

/* ---- keys ----------------------------------------------------------------------- */

int dc_pkey_fingerprint(void *pkey, uint8_t out[32])
{
	unsigned char *der = NULL;
	unsigned len = 0;
	int n = i2d_PUBKEY(pkey, &der);
	int ok;

	if (n <= 0)
		return vt_log_errno(EIO, "cannot encode a public key");
	ok = EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (ok != 1 || len != 32)
		return vt_log_errno(EIO, "cannot hash a public key");
	return 0;
}

/* ---- the signed policy file ---------------------------------------------------- */

void dc_pcr_policies_free(struct dc_pcr_policies *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].signature);
	free(p->v);
	free(p->path);
	free(p);
}

static int check_keys(const char *name, const char *where, json_object *o, const char *const *known)
{
	const char *k = vt_json_unknown_key(o, known);

	if (k)
		return vt_log_errno(EBADMSG, "'%s': %s: unknown key '%s'", name, where, k);
	return 0;
}

static int parse_entry(const char *name, size_t idx, json_object *o, struct dc_pcr_policy *e)
{
	static const char *const keys[] = { "bank", "pcrs", "values", "policy", "key_fingerprint",
					    "signature", NULL };
	json_object *bank, *pcrs, *values, *policy, *fp, *sig;
	uint8_t digest[DC_POLICY_DIGEST_SIZE];
	char where[64];
	const char *s;
	size_t n, slen;
	int r;

	snprintf(where, sizeof(where), "$.policies[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return vt_log_errno(EBADMSG, "'%s': %s: expected an object", name, where);
	r = check_keys(name, where, o, keys);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "bank", &bank) || !json_object_object_get_ex(o, "pcrs", &pcrs) ||
	    !json_object_object_get_ex(o, "values", &values) ||
	    !json_object_object_get_ex(o, "policy", &policy) ||
	    !json_object_object_get_ex(o, "key_fingerprint", &fp) ||
	    !json_object_object_get_ex(o, "signature", &sig))
		return vt_log_errno(EBADMSG,
					"'%s': %s: bank, pcrs, values, policy, key_fingerprint and signature "
					"are required", name, where);
	e->bank = json_object_is_type(bank, json_type_string) ?
		vt_hash_alg_by_name(json_object_get_string(bank)) : NULL;
	if (!e->bank)
		return vt_log_errno(EBADMSG, "'%s': %s.bank: unknown pcr bank", name, where);
	if (!json_object_is_type(pcrs, json_type_array) || json_object_array_length(pcrs) == 0 ||
	    json_object_array_length(pcrs) > POLICY_PCR_MAX)
		return vt_log_errno(EBADMSG, "'%s': %s.pcrs: expected 1 to %d pcr indexes", name, where,
					POLICY_PCR_MAX);
	e->mask = 0;
	for (size_t i = 0; i < json_object_array_length(pcrs); i++) {
		json_object *p = json_object_array_get_idx(pcrs, i);
		int64_t v;

		if (!json_object_is_type(p, json_type_int) || (v = json_object_get_int64(p)) < 0 ||
		    v >= POLICY_PCR_MAX || (e->mask & (UINT32_C(1) << v)))
			return vt_log_errno(EBADMSG, "'%s': %s.pcrs[%zu]: expected a new pcr index 0 to %d",
						name, where, i, POLICY_PCR_MAX - 1);
		e->mask |= UINT32_C(1) << v;
	}
	r = values_from_object(name, values, e->bank, e->mask, e->values, &n);
	if (r < 0)
		return r == -EINVAL ? -EBADMSG : r;
	if (json_object_object_length(values) != (int)n)
		return vt_log_errno(EBADMSG, "'%s': %s.values: values for pcrs not in the set", name, where);
	e->n_values = n;
	if (!json_object_is_type(policy, json_type_string) ||
	    vt_hex_decode(json_object_get_string(policy), e->policy, sizeof(e->policy)) < 0)
		return vt_log_errno(EBADMSG, "'%s': %s.policy: expected 64 hex digits", name, where);
	if (!json_object_is_type(fp, json_type_string) ||
	    vt_hex_decode(json_object_get_string(fp), e->fingerprint, sizeof(e->fingerprint)) < 0)
		return vt_log_errno(EBADMSG, "'%s': %s.key_fingerprint: expected 64 hex digits", name, where);
	/* The digest is recomputed: the values are what was signed, not a comment. */
	r = dc_policy_pcr_digest(e->values, e->n_values, digest);
	if (r < 0)
		return r;
	if (memcmp(digest, e->policy, sizeof(digest)) != 0)
		return vt_log_errno(EBADMSG, "'%s': %s.policy: not the PolicyPCR digest of its values",
					name, where);
	if (!json_object_is_type(sig, json_type_string))
		return vt_log_errno(EBADMSG, "'%s': %s.signature: expected base64", name, where);
	s = json_object_get_string(sig);
	slen = strlen(s);
	if (slen == 0 || slen > 4096)
		return vt_log_errno(EBADMSG, "'%s': %s.signature: expected base64 of 1 to 3072 bytes",
					name, where);
	r = vt_base64_decode(s, slen, SIZE_MAX, &e->signature, &e->signature_len);
	if (r < 0)
		return vt_log_errno(EBADMSG, "'%s': %s.signature: not base64", name, where);
	return 0;
}

int dc_pcr_policies_parse(const char *name, const char *json, size_t len, struct dc_pcr_policies **ret)
{
	static const char *const keys[] = { "vmtrust_pcr_policy", "policies", NULL };
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_(dc_pcr_policies_freep) struct dc_pcr_policies *p = NULL;
	json_object *version, *list;
	size_t n;
	int r;

	if (len > DISKCRYPT_PCR_POLICY_MAX)
		return vt_log_errno(EFBIG, "signed pcr policy '%s': more than %d bytes", name,
					DISKCRYPT_PCR_POLICY_MAX);
	r = parse_json(name, json, len, &root);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return vt_log_errno(EBADMSG, "'%s': $: expected an object", name);
	r = check_keys(name, "$", root, keys);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(root, "vmtrust_pcr_policy", &version) ||
	    !json_object_is_type(version, json_type_int) || json_object_get_int64(version) != 1)
		return vt_log_errno(EBADMSG, "'%s': $.vmtrust_pcr_policy: expected 1", name);
	if (!json_object_object_get_ex(root, "policies", &list) || !json_object_is_type(list, json_type_array))
		return vt_log_errno(EBADMSG, "'%s': $.policies: expected an array", name);
	n = json_object_array_length(list);
	if (n > DISKCRYPT_PCR_POLICIES_MAX)
		return vt_log_errno(EFBIG, "'%s': $.policies: more than %d entries", name,
					DISKCRYPT_PCR_POLICIES_MAX);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(name);
	p->v = calloc(n ? n : 1, sizeof(*p->v));
	if (!p->path || !p->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = parse_entry(name, i, json_object_array_get_idx(list, i), &p->v[i]);
		p->n = i + 1;
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

int dc_pcr_policies_load(const char *path, struct dc_pcr_policies **ret)
{
	return VT_LOAD_FILE(path, DISKCRYPT_PCR_POLICY_MAX, dc_pcr_policies_parse, ret);
}

int diskcrypt_pcr_policy_sign(const char *key_path, const struct policy_key_opts *key_opts,
			      const struct policy_pcr_value *values, size_t n, const char *base,
			      size_t base_len, char **ret_json)
{
	_cleanup_(policy_signer_freep) struct policy_signer *signer = NULL;
	EVP_PKEY *key;
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_(freep) uint8_t *sig = NULL;
	_cleanup_(freep) char *sig_b64 = NULL;
	json_object *list, *entry, *pcrs, *vals;
	uint8_t digest[DC_POLICY_DIGEST_SIZE], fp[32], name[DC_NAME_MAX];
	char hex[2 * VT_DIGEST_MAX + 1];
	size_t sig_len, name_len;
	const char *text;
	char *out;
	int r;

	r = dc_policy_pcr_digest(values, n, digest);
	if (r < 0)
		return r;
	r = policy_signer_load(key_path, key_opts, &signer);
	if (r < 0)
		return r;
	key = policy_signer_public(signer);
	/* Only a key the TPM can verify signatures of can authorize. */
	r = dc_pkey_tpm_name(key, name, &name_len);
	if (r < 0)
		return r;
	r = dc_pkey_fingerprint(key, fp);
	if (r < 0)
		return r;
	/* policy_signer_sign checks it with the public half. */
	r = policy_signer_sign(signer, digest, sizeof(digest), &sig, &sig_len);
	if (r < 0)
		return r;
	r = vt_base64_encode(sig, sig_len, &sig_b64);
	if (r < 0)
		return r;

	if (base) {
		_cleanup_(dc_pcr_policies_freep) struct dc_pcr_policies *old = NULL;

		r = dc_pcr_policies_parse("the signed pcr policy to add to", base, base_len, &old);
		if (r < 0)
			return r;
		r = parse_json("the signed pcr policy to add to", base, base_len, &root);
		if (r < 0)
			return r;
		if (old->n >= DISKCRYPT_PCR_POLICIES_MAX)
			return vt_log_errno(EFBIG, "signed pcr policy: already %d entries",
						DISKCRYPT_PCR_POLICIES_MAX);
	} else {
		root = json_object_new_object();
		if (!root || json_object_object_add(root, "vmtrust_pcr_policy", json_object_new_int(1)) < 0 ||
		    json_object_object_add(root, "policies", json_object_new_array()) < 0)
			return -ENOMEM;
	}
	json_object_object_get_ex(root, "policies", &list);

	entry = json_object_new_object();
	pcrs = json_object_new_array();
	vals = json_object_new_object();
	if (!entry || !pcrs || !vals) {
		json_object_put(entry);
		json_object_put(pcrs);
		json_object_put(vals);
		return -ENOMEM;
	}
	json_object_array_add(list, entry);
	json_object_object_add(entry, "bank", json_object_new_string(values[0].alg->name));
	json_object_object_add(entry, "pcrs", pcrs);
	json_object_object_add(entry, "values", vals);
	for (size_t i = 0; i < n; i++) {
		char key_s[4];

		snprintf(key_s, sizeof(key_s), "%u", values[i].pcr);
		json_object_array_add(pcrs, json_object_new_int((int)values[i].pcr));
		vt_hex_encode(values[i].value, values[i].alg->size, hex);
		json_object_object_add(vals, key_s, json_object_new_string(hex));
	}
	vt_hex_encode(digest, sizeof(digest), hex);
	json_object_object_add(entry, "policy", json_object_new_string(hex));
	vt_hex_encode(fp, sizeof(fp), hex);
	json_object_object_add(entry, "key_fingerprint", json_object_new_string(hex));
	json_object_object_add(entry, "signature", json_object_new_string(sig_b64));

	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	if (asprintf(&out, "%s\n", text) < 0)
		return -ENOMEM;
	*ret_json = out;
	return 0;
}
