/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy files: JSON (json-c) into an immutable model, validated strictly:
 * schema version, known keys only, types, ranges, digest lengths, absolute
 * canonical paths, no duplicate entries. Every fault names the file and the
 * JSON path. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy-internal.h"
#include "policy.h"

#define POLICY_LIST_MAX 4096
#define POLICY_STRING_MAX (64 * 1024)
#define MAX_AGE_LIMIT (366ULL * 24 * 3600)

struct policy {
	json_object *root;          /* the strings of the model point into it */
	uint64_t sequence;
	const char *description;
	unsigned measurement_pcr;
	struct policy_pcr_bank quote_sel[4];
	size_t n_quote_sel;
	struct policy_pcr_value *pcr_values;
	size_t n_pcr_values;
	struct policy_reference *refs;
	size_t n_refs;
	struct policy_key *aks;
	size_t n_aks;
	enum policy_secure_boot secure_boot;
	struct policy_key *image_keys;
	size_t n_image_keys;
	const char **cas;
	size_t n_cas;
	const char **revoked_keys;
	size_t n_revoked_keys;
	struct policy_digest *revoked_digests;
	size_t n_revoked_digests;
	struct policy_image_rule *rules;
	size_t n_rules;
	struct policy_pcr_bank release_sel[4];
	size_t n_release_sel;
	struct policy_key release_authority;
	bool has_release_authority;
	bool release_requires_attestation;
	const char **required_checks;
	size_t n_required_checks;
	struct policy_version_min *min_versions;
	size_t n_min_versions;
	uint64_t cache_max_age;
};

/* The walk through the document: common/'s strict reader, whose faults
 * read "policy 'FILE': $.json.path: reason" (EINVAL). */

static int get_string(struct vt_json_reader *w, json_object *v, const char **ret)
{
	return vt_json_get_string(w, v, POLICY_STRING_MAX, ret);
}

static int get_bool(struct vt_json_reader *w, json_object *v, bool *ret)
{
	int r = vt_json_expect_type(w, v, json_type_boolean, "a boolean");

	if (r < 0)
		return r;
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_array(struct vt_json_reader *w, json_object *v, size_t *ret_n)
{
	int r = vt_json_expect_type(w, v, json_type_array, "an array");
	size_t n;

	if (r < 0)
		return r;
	n = json_object_array_length(v);
	if (n > POLICY_LIST_MAX)
		return vt_json_fault(w, "more than %d entries", POLICY_LIST_MAX);
	*ret_n = n;
	return 0;
}

static int get_path(struct vt_json_reader *w, json_object *v, const char **ret)
{
	const char *s;
	int r = get_string(w, v, &s);

	if (r < 0)
		return r;
	if (s[0] != '/')
		return vt_json_fault(w, "'%s' is not an absolute path", s);
	if (strlen(s) >= PATH_MAX)
		return vt_json_fault(w, "path longer than %d bytes", PATH_MAX - 1);
	if (strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../") ||
	    (strlen(s) > 1 && s[strlen(s) - 1] == '/') ||
	    (strlen(s) >= 2 && strcmp(s + strlen(s) - 2, "/.") == 0) ||
	    (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
		return vt_json_fault(w, "'%s' is not a canonical path", s);
	*ret = s;
	return 0;
}

static int get_digest(struct vt_json_reader *w, json_object *v, const struct vt_hash_alg *alg,
		      struct policy_digest *ret)
{
	const char *s;
	int r = get_string(w, v, &s);

	if (r < 0)
		return r;
	if (strlen(s) != 2 * alg->size)
		return vt_json_fault(w, "a %s digest has %zu hex digits, not %zu", alg->name, 2 * alg->size,
			     strlen(s));
	if (vt_hex_decode(s, ret->value, alg->size) < 0)
		return vt_json_fault(w, "not a hex string");
	ret->alg = alg;
	return 0;
}

static int get_alg(struct vt_json_reader *w, const char *name, const struct vt_hash_alg **ret)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_name(name);

	if (!alg)
		return vt_json_fault(w, "unknown hash algorithm (sha1, sha256, sha384, sha512)");
	*ret = alg;
	return 0;
}

static bool digest_eq(const struct policy_digest *a, const struct policy_digest *b)
{
	return a->alg == b->alg && memcmp(a->value, b->value, a->alg->size) == 0;
}

/* {"sha256": ["hex", ...], "sha1": "hex"}: one digest or a list per bank. */
static int get_digest_set(struct vt_json_reader *w, json_object *v, struct policy_digest **ret,
			  size_t *ret_n)
{
	_cleanup_(freep) struct policy_digest *d = NULL;
	size_t n = 0, cap = 0;
	int r = vt_json_expect_type(w, v, json_type_object, "an object of digests by algorithm");

	if (r < 0)
		return r;
	json_object_object_foreach(v, key, val) {
		const struct vt_hash_alg *alg = NULL;
		size_t m = vt_json_push_key(&w->p, key), count = 1;

		r = get_alg(w, key, &alg);
		if (r < 0)
			return r;
		if (json_object_is_type(val, json_type_array)) {
			r = get_array(w, val, &count);
			if (r < 0)
				return r;
			if (count == 0)
				return vt_json_fault(w, "empty list of digests");
		}
		if (n + count > cap) {
			struct policy_digest *nd;

			cap = n + count;
			nd = realloc(d, cap * sizeof(*d));
			if (!nd)
				return -ENOMEM;
			d = nd;
		}
		for (size_t i = 0; i < count; i++) {
			json_object *item = json_object_is_type(val, json_type_array) ?
						    json_object_array_get_idx(val, i) : val;
			size_t mi = json_object_is_type(val, json_type_array) ? vt_json_push_index(&w->p, i) : w->p.len;

			r = get_digest(w, item, alg, &d[n]);
			if (r < 0)
				return r;
			for (size_t k = 0; k < n; k++)
				if (digest_eq(&d[k], &d[n]))
					return vt_json_fault(w, "duplicate entry: digest listed twice");
			n++;
			vt_json_pop(&w->p, mi);
		}
		vt_json_pop(&w->p, m);
	}
	if (n == 0)
		return vt_json_fault(w, "no digests");
	*ret = TAKE_PTR(d);
	*ret_n = n;
	return 0;
}

/* {"sha256": [0, 7, 14]} */
static int get_pcr_selection(struct vt_json_reader *w, json_object *v, struct policy_pcr_bank *banks,
			     size_t *ret_n)
{
	size_t n = 0;
	int r = vt_json_expect_type(w, v, json_type_object, "an object of PCR lists by bank");

	if (r < 0)
		return r;
	json_object_object_foreach(v, key, val) {
		const struct vt_hash_alg *alg = NULL;
		size_t m = vt_json_push_key(&w->p, key), count;
		uint32_t mask = 0;

		r = get_alg(w, key, &alg);
		if (r < 0)
			return r;
		r = get_array(w, val, &count);
		if (r < 0)
			return r;
		if (count == 0)
			return vt_json_fault(w, "empty PCR list");
		for (size_t i = 0; i < count; i++) {
			size_t mi = vt_json_push_index(&w->p, i);
			uint64_t pcr;

			r = vt_json_get_uint(w, json_object_array_get_idx(val, i), POLICY_PCR_MAX - 1, &pcr);
			if (r < 0)
				return r;
			if (mask & (1u << pcr))
				return vt_json_fault(w, "duplicate entry: PCR %u listed twice", (unsigned)pcr);
			mask |= 1u << pcr;
			vt_json_pop(&w->p, mi);
		}
		banks[n].alg = alg;
		banks[n].mask = mask;
		n++;
		vt_json_pop(&w->p, m);
	}
	if (n == 0)
		return vt_json_fault(w, "no bank selected");
	*ret_n = n;
	return 0;
}

/* A list of unique strings. With paths, each must be an absolute path. */
static int get_string_set(struct vt_json_reader *w, json_object *v, bool paths, const char ***ret,
			  size_t *ret_n)
{
	_cleanup_(freep) const char **s = NULL;
	size_t n;
	int r = get_array(w, v, &n);

	if (r < 0)
		return r;
	s = calloc(n + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t m = vt_json_push_index(&w->p, i);

		r = paths ? get_path(w, json_object_array_get_idx(v, i), &s[i]) :
			    get_string(w, json_object_array_get_idx(v, i), &s[i]);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(s[k], s[i]) == 0)
				return vt_json_fault(w, "duplicate entry: '%s' listed twice", s[i]);
		vt_json_pop(&w->p, m);
	}
	*ret = TAKE_PTR(s);
	*ret_n = n;
	return 0;
}

static int get_public_key(struct vt_json_reader *w, json_object *v, struct policy_key *key)
{
	const char *pem, *why;
	EVP_PKEY *pkey;
	int r = get_string(w, v, &pem);

	if (r < 0)
		return r;
	pkey = policy_pkey_from_pem(pem, strlen(pem));
	if (!pkey)
		return vt_json_fault(w, "not a PEM public key or certificate");
	if (policy_pkey_supported(pkey, &why) < 0) {
		EVP_PKEY_free(pkey);
		return vt_json_fault(w, "unsupported key: %s", why);
	}
	key->pem = pem;
	key->pkey = pkey;
	return 0;
}

/* An AK's TPM name in hex: a nameAlg of sha256, sha384 or sha512 (two
 * bytes, big-endian) and a digest of its size. */
static int get_tpm_name(struct vt_json_reader *w, json_object *v, struct policy_key *key)
{
	const struct vt_hash_alg *alg;
	const char *hex;
	size_t len;
	int r = get_string(w, v, &hex);

	if (r < 0)
		return r;
	len = strlen(hex);
	if (len < 4 || len % 2 || len / 2 > sizeof(key->name) ||
	    vt_hex_decode(hex, key->name, len / 2) < 0)
		return vt_json_fault(w, "not a TPM name in hex (name algorithm and digest)");
	alg = vt_hash_alg_by_tpm((uint16_t)(key->name[0] << 8 | key->name[1]));
	if (!alg || alg->size < 32)
		return vt_json_fault(w, "name algorithm 0x%02x%02x is not sha256, sha384 or sha512",
			     key->name[0], key->name[1]);
	if (len / 2 != 2 + alg->size)
		return vt_json_fault(w, "a %s name has %zu hex digits, not %zu", alg->name, 2 * (2 + alg->size),
			     len);
	key->name_len = len / 2;
	return 0;
}

/* [{"id": "...", "public_key": "PEM"}], and for attestation keys an
 * optional "name" (get_tpm_name). */
static int get_keys(struct vt_json_reader *w, json_object *v, bool tpm_names, struct policy_key **ret,
		    size_t *ret_n)
{
	static const char *const plain_keys[] = { "id", "public_key", NULL };
	static const char *const ak_keys[] = { "id", "public_key", "name", NULL };
	const char *const *keys = tpm_names ? ak_keys : plain_keys;
	struct policy_key *k;
	size_t n;
	int r = get_array(w, v, &n);

	if (r < 0)
		return r;
	k = calloc(n + 1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	/* Handed over before filling, so that policy_free() frees what is done. */
	*ret = k;
	*ret_n = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i), *x;
		size_t m = vt_json_push_index(&w->p, i), mk;

		r = vt_json_expect_type(w, e, json_type_object, "an object");
		if (r < 0)
			return r;
		r = vt_json_check_keys(w, e, keys);
		if (r < 0)
			return r;
		if (!json_object_object_get_ex(e, "id", &x))
			return vt_json_fault(w, "missing key 'id'");
		mk = vt_json_push_key(&w->p, "id");
		r = get_string(w, x, &k[i].id);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(k[j].id, k[i].id) == 0)
				return vt_json_fault(w, "duplicate entry: key id '%s' listed twice", k[i].id);
		vt_json_pop(&w->p, mk);
		if (!json_object_object_get_ex(e, "public_key", &x))
			return vt_json_fault(w, "missing key 'public_key'");
		mk = vt_json_push_key(&w->p, "public_key");
		r = get_public_key(w, x, &k[i]);
		if (r < 0)
			return r;
		*ret_n = i + 1;
		vt_json_pop(&w->p, mk);
		if (tpm_names && json_object_object_get_ex(e, "name", &x)) {
			mk = vt_json_push_key(&w->p, "name");
			r = get_tpm_name(w, x, &k[i]);
			if (r < 0)
				return r;
			for (size_t j = 0; j < i; j++)
				if (k[j].name_len == k[i].name_len &&
				    memcmp(k[j].name, k[i].name, k[i].name_len) == 0)
					return vt_json_fault(w, "duplicate entry: the name of key '%s' is pinned twice",
						     k[j].id);
			vt_json_pop(&w->p, mk);
		}
		vt_json_pop(&w->p, m);
	}
	return 0;
}

static int load_measurement(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "pcr", NULL };
	json_object *x;
	int r = vt_json_expect_type(w, v, json_type_object, "an object");

	if (r < 0)
		return r;
	r = vt_json_check_keys(w, v, keys);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(v, "pcr", &x)) {
		size_t m = vt_json_push_key(&w->p, "pcr");
		uint64_t pcr;

		r = vt_json_get_uint(w, x, POLICY_PCR_MAX - 1, &pcr);
		if (r < 0)
			return r;
		/* 16 (debug) and 23 (application) can be reset at locality 0, so
		 * they cannot hold a measurement that the host must not undo. */
		if (pcr == 16 || pcr == 23)
			return vt_json_fault(w, "PCR %u can be reset at locality 0", (unsigned)pcr);
		p->measurement_pcr = (unsigned)pcr;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

/* {"sha256": {"0": "hex", ...}} */
static int load_pcr_values(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	size_t n = 0;
	int r = vt_json_expect_type(w, v, json_type_object, "an object of PCR values by bank");

	if (r < 0)
		return r;
	json_object_object_foreach(v, bank, pcrs) {
		(void)bank;
		if (json_object_is_type(pcrs, json_type_object))
			n += (size_t)json_object_object_length(pcrs);
	}
	p->pcr_values = calloc(n + 1, sizeof(*p->pcr_values));
	if (!p->pcr_values)
		return -ENOMEM;
	json_object_object_foreach(v, key, val) {
		const struct vt_hash_alg *alg = NULL;
		size_t m = vt_json_push_key(&w->p, key);

		r = get_alg(w, key, &alg);
		if (r < 0)
			return r;
		r = vt_json_expect_type(w, val, json_type_object, "an object of PCR values by index");
		if (r < 0)
			return r;
		json_object_object_foreach(val, idx, digest) {
			struct policy_pcr_value *pv = &p->pcr_values[p->n_pcr_values];
			struct policy_digest d;
			size_t mi = vt_json_push_key(&w->p, idx);
			char *end;
			unsigned long pcr;

			errno = 0;
			pcr = strtoul(idx, &end, 10);
			if (!*idx || *end || idx[0] == '-' || idx[0] == '+' || errno ||
			    pcr >= POLICY_PCR_MAX || (idx[0] == '0' && idx[1]))
				return vt_json_fault(w, "not a PCR index (0 to %d)", POLICY_PCR_MAX - 1);
			r = get_digest(w, digest, alg, &d);
			if (r < 0)
				return r;
			pv->alg = alg;
			pv->pcr = (unsigned)pcr;
			memcpy(pv->value, d.value, alg->size);
			p->n_pcr_values++;
			vt_json_pop(&w->p, mi);
		}
		vt_json_pop(&w->p, m);
	}
	return 0;
}

/* [{"path": "/usr/bin/qemu-system-x86_64", "required": true, "digests": {...}}] */
static int load_references(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "path", "required", "digests", NULL };
	size_t n;
	int r = get_array(w, v, &n);

	if (r < 0)
		return r;
	p->refs = calloc(n + 1, sizeof(*p->refs));
	if (!p->refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct policy_reference *ref = &p->refs[i];
		json_object *e = json_object_array_get_idx(v, i), *x;
		size_t m = vt_json_push_index(&w->p, i), mk;
		struct policy_digest *d;

		r = vt_json_expect_type(w, e, json_type_object, "an object");
		if (r < 0)
			return r;
		r = vt_json_check_keys(w, e, keys);
		if (r < 0)
			return r;
		if (!json_object_object_get_ex(e, "path", &x))
			return vt_json_fault(w, "missing key 'path'");
		mk = vt_json_push_key(&w->p, "path");
		r = get_path(w, x, &ref->path);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->refs[k].path, ref->path) == 0)
				return vt_json_fault(w, "duplicate entry: '%s' is also at $.reference_values[%zu]",
					     ref->path, k);
		vt_json_pop(&w->p, mk);
		ref->required = true;
		if (json_object_object_get_ex(e, "required", &x)) {
			mk = vt_json_push_key(&w->p, "required");
			r = get_bool(w, x, &ref->required);
			if (r < 0)
				return r;
			vt_json_pop(&w->p, mk);
		}
		if (!json_object_object_get_ex(e, "digests", &x))
			return vt_json_fault(w, "missing key 'digests'");
		mk = vt_json_push_key(&w->p, "digests");
		r = get_digest_set(w, x, &d, &ref->n_digests);
		if (r < 0)
			return r;
		ref->digests = d;
		p->n_refs = i + 1;
		vt_json_pop(&w->p, mk);
		vt_json_pop(&w->p, m);
	}
	return 0;
}

static int load_secure_boot(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	const char *s;
	int r = get_string(w, v, &s);

	if (r < 0)
		return r;
	if (strcmp(s, "required") == 0)
		p->secure_boot = POLICY_SECURE_BOOT_REQUIRED;
	else if (strcmp(s, "disabled") == 0)
		p->secure_boot = POLICY_SECURE_BOOT_DISABLED;
	else if (strcmp(s, "any") == 0)
		p->secure_boot = POLICY_SECURE_BOOT_ANY;
	else
		return vt_json_fault(w, "expected \"required\", \"disabled\" or \"any\"");
	return 0;
}

static int load_image_trust(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "keys", "ca_certificates", "revoked_keys",
					    "revoked_digests", NULL };
	json_object *x;
	size_t m;
	int r = vt_json_expect_type(w, v, json_type_object, "an object");

	if (r < 0)
		return r;
	r = vt_json_check_keys(w, v, keys);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(v, "keys", &x)) {
		m = vt_json_push_key(&w->p, "keys");
		r = get_keys(w, x, false, &p->image_keys, &p->n_image_keys);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "ca_certificates", &x)) {
		m = vt_json_push_key(&w->p, "ca_certificates");
		r = get_string_set(w, x, false, &p->cas, &p->n_cas);
		if (r < 0)
			return r;
		for (size_t i = 0; i < p->n_cas; i++) {
			BIO *bio = BIO_new_mem_buf(p->cas[i], -1);
			X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

			BIO_free(bio);
			if (!cert) {
				vt_json_push_index(&w->p, i);
				return vt_json_fault(w, "not a PEM X.509 certificate");
			}
			X509_free(cert);
		}
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "revoked_keys", &x)) {
		m = vt_json_push_key(&w->p, "revoked_keys");
		r = get_string_set(w, x, false, &p->revoked_keys, &p->n_revoked_keys);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "revoked_digests", &x)) {
		m = vt_json_push_key(&w->p, "revoked_digests");
		r = get_digest_set(w, x, &p->revoked_digests, &p->n_revoked_digests);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

static bool image_key_known(const struct policy *p, const char *id)
{
	for (size_t i = 0; i < p->n_image_keys; i++)
		if (strcmp(p->image_keys[i].id, id) == 0)
			return true;
	return false;
}

static int load_inspect(struct vt_json_reader *w, struct policy_image_rule *rule, json_object *v)
{
	static const char *const keys[] = { "must_match", "must_be_absent", NULL };
	json_object *x;
	size_t m;
	int r = vt_json_expect_type(w, v, json_type_object, "an object");

	if (r < 0)
		return r;
	r = vt_json_check_keys(w, v, keys);
	if (r < 0)
		return r;
	rule->inspect = true;
	if (json_object_object_get_ex(v, "must_match", &x)) {
		struct policy_file_digest *fd;
		size_t i = 0;

		m = vt_json_push_key(&w->p, "must_match");
		r = vt_json_expect_type(w, x, json_type_object, "an object of digests by path");
		if (r < 0)
			return r;
		fd = calloc((size_t)json_object_object_length(x) + 1, sizeof(*fd));
		if (!fd)
			return -ENOMEM;
		rule->must_match = fd;
		json_object_object_foreach(x, path, digest) {
			size_t mp = vt_json_push_key(&w->p, path);
			json_object *ps = json_object_new_string(path);
			_cleanup_(freep) struct policy_digest *d = NULL;
			const char *checked;
			size_t nd;

			if (!ps)
				return -ENOMEM;
			r = get_path(w, ps, &checked);
			json_object_put(ps);
			if (r < 0)
				return r;
			r = get_digest_set(w, digest, &d, &nd);
			if (r < 0)
				return r;
			if (nd != 1)
				return vt_json_fault(w, "expected exactly one digest");
			fd[i].path = path;   /* the key's storage lives as long as the root */
			fd[i].digest = d[0];
			rule->n_must_match = ++i;
			vt_json_pop(&w->p, mp);
		}
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "must_be_absent", &x)) {
		const char **s;

		m = vt_json_push_key(&w->p, "must_be_absent");
		r = get_string_set(w, x, true, &s, &rule->n_must_be_absent);
		if (r < 0)
			return r;
		rule->must_be_absent = s;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

int policy_uuid_parse(const char *s, uint8_t ret[16])
{
	static const char dashes[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	bool dashed = strlen(s) == sizeof(dashes) - 1;
	char hex[33];
	size_t n = 0;

	if (!dashed && strlen(s) != 32)
		return -EINVAL;
	for (size_t i = 0; s[i]; i++) {
		if (dashed && dashes[i] == '-') {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hex[n++] = s[i];
	}
	hex[n] = '\0';
	return vt_hex_decode(hex, ret, 16);
}

/* An optional list of strings in a rule. */
static int rule_strings(struct vt_json_reader *w, json_object *e, const char *key, const char *const **ret,
			size_t *ret_n)
{
	const char **s = NULL;
	json_object *x;
	size_t m;
	int r;

	if (!json_object_object_get_ex(e, key, &x))
		return 0;
	m = vt_json_push_key(&w->p, key);
	r = get_string_set(w, x, false, &s, ret_n);
	if (r < 0)
		return r;
	*ret = s;
	vt_json_pop(&w->p, m);
	return 1;
}

/* "domains" are names and "uuids" UUIDs: a domain can be named like any
 * UUID, so a UUID is never read as a name, nor a name as a UUID. */
static int rule_domains(struct vt_json_reader *w, struct policy_image_rule *rule, json_object *e)
{
	uint8_t u[16], v[16];
	size_t m;
	int r;

	r = rule_strings(w, e, "domains", &rule->domains, &rule->n_domains);
	for (size_t k = 0; r > 0 && k < rule->n_domains; k++)
		if (policy_uuid_parse(rule->domains[k], u) == 0) {
			m = vt_json_push_key(&w->p, "domains");
			vt_json_push_index(&w->p, k);
			return vt_json_fault(w, "'%s' is a UUID: list it in \"uuids\" (\"domains\" are names)",
				     rule->domains[k]);
		}
	if (r < 0)
		return r;
	r = rule_strings(w, e, "uuids", &rule->uuids, &rule->n_uuids);
	if (r <= 0)
		return r;
	m = vt_json_push_key(&w->p, "uuids");
	for (size_t k = 0; k < rule->n_uuids; k++) {
		size_t mi = vt_json_push_index(&w->p, k);

		if (policy_uuid_parse(rule->uuids[k], u) < 0)
			return vt_json_fault(w, "'%s' is not a UUID", rule->uuids[k]);
		for (size_t j = 0; j < k; j++)
			if (policy_uuid_parse(rule->uuids[j], v) == 0 && memcmp(u, v, 16) == 0)
				return vt_json_fault(w, "duplicate entry: '%s' is also at [%zu]", rule->uuids[k], j);
		vt_json_pop(&w->p, mi);
	}
	vt_json_pop(&w->p, m);
	return 0;
}

/* Where its VMs may attach: libvirt networks and host bridges, each in a
 * field of its own (a network and a bridge may share a name), and the
 * nwfilter every interface must carry. */
static int rule_network(struct vt_json_reader *w, struct policy_image_rule *rule, json_object *e)
{
	json_object *x;
	size_t m;
	int r;

	r = rule_strings(w, e, "networks", &rule->networks, &rule->n_networks);
	if (r < 0)
		return r;
	rule->attach_restricted = r > 0;
	r = rule_strings(w, e, "bridges", &rule->bridges, &rule->n_bridges);
	if (r < 0)
		return r;
	rule->attach_restricted |= r > 0;
	if (json_object_object_get_ex(e, "nwfilter", &x)) {
		m = vt_json_push_key(&w->p, "nwfilter");
		r = get_string(w, x, &rule->nwfilter);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

/* [{"name": "debian-12", "min_sequence": 3, "keys": [...], "domains": [...],
 *   "uuids": [...], "networks": [...], "bridges": [...], "nwfilter": "...",
 *   "inspect": {...}}] */
static int load_images(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "name", "min_sequence", "keys", "domains", "uuids",
					    "networks", "bridges", "nwfilter", "inspect", NULL };
	size_t n;
	int r = get_array(w, v, &n);

	if (r < 0)
		return r;
	p->rules = calloc(n + 1, sizeof(*p->rules));
	if (!p->rules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct policy_image_rule *rule = &p->rules[i];
		json_object *e = json_object_array_get_idx(v, i), *x;
		size_t m = vt_json_push_index(&w->p, i), mk;

		p->n_rules = i + 1;
		r = vt_json_expect_type(w, e, json_type_object, "an object");
		if (r < 0)
			return r;
		r = vt_json_check_keys(w, e, keys);
		if (r < 0)
			return r;
		if (!json_object_object_get_ex(e, "name", &x))
			return vt_json_fault(w, "missing key 'name'");
		mk = vt_json_push_key(&w->p, "name");
		r = get_string(w, x, &rule->name);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->rules[k].name, rule->name) == 0)
				return vt_json_fault(w, "duplicate entry: image '%s' is also at $.images[%zu]",
					     rule->name, k);
		vt_json_pop(&w->p, mk);
		if (json_object_object_get_ex(e, "min_sequence", &x)) {
			mk = vt_json_push_key(&w->p, "min_sequence");
			r = vt_json_get_uint(w, x, UINT64_MAX >> 11, &rule->min_sequence);
			if (r < 0)
				return r;
			vt_json_pop(&w->p, mk);
		}
		if (json_object_object_get_ex(e, "keys", &x)) {
			const char **s;

			mk = vt_json_push_key(&w->p, "keys");
			r = get_string_set(w, x, false, &s, &rule->n_keys);
			if (r < 0)
				return r;
			rule->keys = s;
			for (size_t k = 0; k < rule->n_keys; k++)
				if (!image_key_known(p, s[k])) {
					vt_json_push_index(&w->p, k);
					return vt_json_fault(w, "key id '%s' is not in $.image_trust.keys", s[k]);
				}
			vt_json_pop(&w->p, mk);
		}
		r = rule_domains(w, rule, e);
		if (r < 0)
			return r;
		r = rule_network(w, rule, e);
		if (r < 0)
			return r;
		if (json_object_object_get_ex(e, "inspect", &x)) {
			mk = vt_json_push_key(&w->p, "inspect");
			r = load_inspect(w, rule, x);
			if (r < 0)
				return r;
			vt_json_pop(&w->p, mk);
		}
		vt_json_pop(&w->p, m);
	}
	return 0;
}

static int load_key_release(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "pcr_selection", "authorize_key", "require_attestation",
					    NULL };
	json_object *x;
	size_t m;
	int r = vt_json_expect_type(w, v, json_type_object, "an object");

	if (r < 0)
		return r;
	r = vt_json_check_keys(w, v, keys);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(v, "pcr_selection", &x)) {
		m = vt_json_push_key(&w->p, "pcr_selection");
		r = get_pcr_selection(w, x, p->release_sel, &p->n_release_sel);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "authorize_key", &x)) {
		m = vt_json_push_key(&w->p, "authorize_key");
		r = get_public_key(w, x, &p->release_authority);
		if (r < 0)
			return r;
		p->release_authority.id = "authorize_key";
		p->has_release_authority = true;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "require_attestation", &x)) {
		m = vt_json_push_key(&w->p, "require_attestation");
		r = get_bool(w, x, &p->release_requires_attestation);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

/* Each required check is one the audit has: a fixed check, or
 * package:NAME for a package of min_versions (a typo is refused here, by
 * `policy check` too, not only when an audit runs). */
static int check_required_checks(struct vt_json_reader *w, struct policy *p)
{
	size_t plen = strlen(POLICY_HOST_PACKAGE_PREFIX), n_known;
	const struct policy_host_check *known = policy_host_checks(&n_known);

	for (size_t i = 0; i < p->n_required_checks; i++) {
		const char *id = p->required_checks[i];
		bool package = strncmp(id, POLICY_HOST_PACKAGE_PREFIX, plen) == 0, ok = false;
		char list[512] = "";
		size_t m, len = 0;
		int r;

		for (size_t k = 0; !package && k < n_known; k++)
			ok = ok || strcmp(id, known[k].id) == 0;
		for (size_t k = 0; package && k < p->n_min_versions; k++)
			ok = ok || strcmp(id + plen, p->min_versions[k].package) == 0;
		if (ok)
			continue;
		m = vt_json_push_key(&w->p, "required_checks");
		vt_json_push_index(&w->p, i);
		if (package) {
			r = vt_json_fault(w, "'%s' names no package of host.min_versions", id);
		} else {
			for (size_t k = 0; k < n_known && len < sizeof(list); k++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s, ", known[k].id);
			r = vt_json_fault(w, "unknown audit check '%s' (known: %s" POLICY_HOST_PACKAGE_PREFIX "NAME)",
				  id, list);
		}
		vt_json_pop(&w->p, m);
		return r;
	}
	return 0;
}

static int load_host(struct vt_json_reader *w, struct policy *p, json_object *v)
{
	static const char *const keys[] = { "required_checks", "min_versions", NULL };
	json_object *x;
	size_t m;
	int r = vt_json_expect_type(w, v, json_type_object, "an object");

	if (r < 0)
		return r;
	r = vt_json_check_keys(w, v, keys);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(v, "required_checks", &x)) {
		m = vt_json_push_key(&w->p, "required_checks");
		r = get_string_set(w, x, false, &p->required_checks, &p->n_required_checks);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(v, "min_versions", &x)) {
		size_t i = 0;

		m = vt_json_push_key(&w->p, "min_versions");
		r = vt_json_expect_type(w, x, json_type_object, "an object of versions by package");
		if (r < 0)
			return r;
		p->min_versions = calloc((size_t)json_object_object_length(x) + 1,
					 sizeof(*p->min_versions));
		if (!p->min_versions)
			return -ENOMEM;
		json_object_object_foreach(x, pkg, ver) {
			size_t mp = vt_json_push_key(&w->p, pkg);
			int cmp;

			p->min_versions[i].package = pkg;
			r = get_string(w, ver, &p->min_versions[i].version);
			if (r < 0)
				return r;
			if (!policy_deb_package_valid(pkg))
				return vt_json_fault(w, "'%s' is not a valid Debian package name", pkg);
			if (policy_deb_version_compare(p->min_versions[i].version,
						       p->min_versions[i].version, &cmp) < 0)
				return vt_json_fault(w, "'%s' is not a valid Debian version",
					     p->min_versions[i].version);
			p->n_min_versions = ++i;
			vt_json_pop(&w->p, mp);
		}
		vt_json_pop(&w->p, m);
	}
	return check_required_checks(w, p);
}

static int load_root(struct vt_json_reader *w, struct policy *p, json_object *root)
{
	static const char *const keys[] = {
		"schema_version", "sequence", "description", "measurement", "pcr_selection",
		"pcr_values", "reference_values", "attestation_keys", "secure_boot",
		"image_trust", "images", "key_release", "host", "verdict_cache_max_age", NULL,
	};
	json_object *x;
	uint64_t version;
	size_t m;
	int r;

	r = vt_json_expect_type(w, root, json_type_object, "an object at the top level");
	if (r < 0)
		return r;
	r = vt_json_check_keys(w, root, keys);
	if (r < 0)
		return r;

	if (!json_object_object_get_ex(root, "schema_version", &x))
		return vt_json_fault(w, "missing key 'schema_version'");
	m = vt_json_push_key(&w->p, "schema_version");
	r = vt_json_get_uint(w, x, UINT32_MAX, &version);
	if (r < 0)
		return r;
	if (version != POLICY_SCHEMA_VERSION)
		return vt_json_fault(w, "unsupported schema version %llu (this vmtrust reads %d)",
			     (unsigned long long)version, POLICY_SCHEMA_VERSION);
	vt_json_pop(&w->p, m);

	if (!json_object_object_get_ex(root, "sequence", &x))
		return vt_json_fault(w, "missing key 'sequence'");
	m = vt_json_push_key(&w->p, "sequence");
	r = vt_json_get_uint(w, x, UINT64_MAX >> 11, &p->sequence);
	if (r < 0)
		return r;
	vt_json_pop(&w->p, m);

	static const struct {
		const char *key;
		int (*load)(struct vt_json_reader *w, struct policy *p, json_object *v);
	} sections[] = {
		{ "measurement", load_measurement },
		{ "pcr_values", load_pcr_values },
		{ "reference_values", load_references },
		{ "secure_boot", load_secure_boot },
		{ "image_trust", load_image_trust },
		{ "images", load_images },        /* after image_trust: it names its keys */
		{ "key_release", load_key_release },
		{ "host", load_host },
	};
	for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
		if (!json_object_object_get_ex(root, sections[i].key, &x))
			continue;
		m = vt_json_push_key(&w->p, sections[i].key);
		r = sections[i].load(w, p, x);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}

	if (json_object_object_get_ex(root, "description", &x)) {
		m = vt_json_push_key(&w->p, "description");
		r = get_string(w, x, &p->description);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(root, "pcr_selection", &x)) {
		m = vt_json_push_key(&w->p, "pcr_selection");
		r = get_pcr_selection(w, x, p->quote_sel, &p->n_quote_sel);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(root, "attestation_keys", &x)) {
		m = vt_json_push_key(&w->p, "attestation_keys");
		r = get_keys(w, x, true, &p->aks, &p->n_aks);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	if (json_object_object_get_ex(root, "verdict_cache_max_age", &x)) {
		m = vt_json_push_key(&w->p, "verdict_cache_max_age");
		r = vt_json_get_uint(w, x, MAX_AGE_LIMIT, &p->cache_max_age);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, m);
	}
	return 0;
}

static void free_keys(struct policy_key *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(k[i].pkey);
	free(k);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_refs; i++)
		free((void *)p->refs[i].digests);
	free(p->refs);
	free(p->pcr_values);
	free_keys(p->aks, p->n_aks);
	free_keys(p->image_keys, p->n_image_keys);
	free(p->cas);
	free(p->revoked_keys);
	free(p->revoked_digests);
	for (size_t i = 0; i < p->n_rules; i++) {
		free((void *)p->rules[i].keys);
		free((void *)p->rules[i].domains);
		free((void *)p->rules[i].uuids);
		free((void *)p->rules[i].networks);
		free((void *)p->rules[i].bridges);
		free((void *)p->rules[i].must_match);
		free((void *)p->rules[i].must_be_absent);
	}
	free(p->rules);
	EVP_PKEY_free(p->release_authority.pkey);
	free(p->required_checks);
	free(p->min_versions);
	json_object_put(p->root);
	free(p);
}

int policy_load_buffer(const char *name, const char *data, size_t len, struct policy **ret)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct vt_json_reader w = { .what = "policy", .name = name, .err = EINVAL, .p = VT_JSON_PATH_INIT };
	struct vt_json_error jerr;
	json_object *root;
	int r;

	if (len > POLICY_FILE_MAX)
		return vt_log_errno(EFBIG, "policy '%s': %zu bytes exceed the limit of %d", name,
					len, POLICY_FILE_MAX);
	r = vt_json_parse(data, len, 64, &root, &jerr);
	if (r < 0)
		return vt_log_errno(-r, "policy '%s': %s: %s", name, jerr.path.buf, jerr.reason);
	p = calloc(1, sizeof(*p));
	if (!p) {
		json_object_put(root);
		return -ENOMEM;
	}
	p->root = root;
	p->measurement_pcr = VT_MEASUREMENT_PCR_DEFAULT;
	p->release_requires_attestation = true;
	r = load_root(&w, p, root);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int policy_load(const char *path, struct policy **ret)
{
	return VT_LOAD_FILE(path, POLICY_FILE_MAX, policy_load_buffer, ret);
}

int policy_check_sequence(const struct policy *p, const char *name, uint64_t min_sequence)
{
	if (p->sequence < min_sequence)
		return vt_log_errno(ESTALE,
					"policy '%s': $.sequence: %llu is older than %llu, the minimum accepted",
					name, (unsigned long long)p->sequence,
					(unsigned long long)min_sequence);
	return 0;
}

uint64_t policy_sequence(const struct policy *p) { return p->sequence; }
const char *policy_description(const struct policy *p) { return p->description; }
unsigned policy_measurement_pcr(const struct policy *p) { return p->measurement_pcr; }
enum policy_secure_boot policy_secure_boot(const struct policy *p) { return p->secure_boot; }
uint64_t policy_verdict_cache_max_age(const struct policy *p) { return p->cache_max_age; }

bool policy_key_release_requires_attestation(const struct policy *p)
{
	return p->release_requires_attestation;
}

const struct policy_key *policy_key_release_authority(const struct policy *p)
{
	return p->has_release_authority ? &p->release_authority : NULL;
}

#define ACCESSOR(type, fn, field)                                 \
	type fn(const struct policy *p, size_t *ret_n)            \
	{                                                         \
		*ret_n = p->n_##field;                            \
		return p->field;                                  \
	}

ACCESSOR(const struct policy_pcr_bank *, policy_quote_selection, quote_sel)
ACCESSOR(const struct policy_pcr_value *, policy_pcr_values, pcr_values)
ACCESSOR(const struct policy_reference *, policy_references, refs)
ACCESSOR(const struct policy_key *, policy_attestation_keys, aks)
ACCESSOR(const struct policy_key *, policy_image_keys, image_keys)
ACCESSOR(const char *const *, policy_image_cas, cas)
ACCESSOR(const char *const *, policy_revoked_keys, revoked_keys)
ACCESSOR(const struct policy_digest *, policy_revoked_digests, revoked_digests)
ACCESSOR(const struct policy_image_rule *, policy_image_rules, rules)
ACCESSOR(const struct policy_pcr_bank *, policy_key_release_selection, release_sel)
ACCESSOR(const char *const *, policy_host_required_checks, required_checks)
ACCESSOR(const struct policy_version_min *, policy_host_min_versions, min_versions)
