/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image manifests: an in-toto Statement v1 whose predicate describes the
 * layers of an image, inside a DSSE envelope. The payload is parsed only
 * after its signature verified, strictly (known keys, types, ranges); the
 * envelope follows DSSE (unknown fields ignored). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "imgverify-internal.h"

#define STRING_MAX 1024
#define SIG_MAX (16 * 1024)
#define CERT_MAX (64 * 1024)
#define SIGNATURES_MAX 16
#define SEQUENCE_MAX (UINT64_MAX >> 11)   /* as policy min_sequence: exact in a double */


/* ---- base64 ---- */

int imgverify_base64_encode(const void *data, size_t len, char **ret)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *in = data;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return -EFBIG;
	out = o = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int imgverify_base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len)
{
	_cleanup_(freep) uint8_t *out = NULL;
	size_t n = 0, pad = 0, full;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if (pad && (len + pad) % 4)
		return -EINVAL;
	if (len % 4 == 1)
		return -EINVAL;
	full = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	out = malloc(full + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* The bits left over must be zero: one encoding per byte string. */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	out[n] = '\0';
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

/* ---- DSSE ---- */

int imgverify_dsse_pae(const char *type, const void *body, size_t body_len, uint8_t **ret,
		       size_t *ret_len)
{
	size_t tlen = strlen(type), hlen;
	char head[96];
	uint8_t *out;
	int n;

	if (tlen > STRING_MAX)
		return -EINVAL;
	n = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;
	hlen = (size_t)n;
	if (body_len > SIZE_MAX - 2 * sizeof(head) - tlen)
		return -EFBIG;
	out = malloc(hlen + tlen + 32 + body_len);
	if (!out)
		return -ENOMEM;
	memcpy(out, head, hlen);
	memcpy(out + hlen, type, tlen);
	n = snprintf((char *)out + hlen + tlen, 32, " %zu ", body_len);
	memcpy(out + hlen + tlen + (size_t)n, body, body_len);
	*ret = out;
	*ret_len = hlen + tlen + (size_t)n + body_len;
	return 0;
}

/* ---- times ---- */

int imgverify_time_parse(const char *s, int64_t *ret)
{
	struct tm tm = { 0 }, back;
	unsigned y, mo, d, h, mi, se;
	char z;
	int n = 0;
	time_t t;

	if (!s || strlen(s) != 20 ||
	    sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%c%n", &y, &mo, &d, &h, &mi, &se, &z, &n) != 7 ||
	    n != 20 || z != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	for (int i = 0; i < 19; i++)
		if ((i == 4 || i == 7 || i == 10 || i == 13 || i == 16) ? false : (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	t = timegm(&tm);
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != (int)d || back.tm_mon != (int)mo - 1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

void imgverify_time_format(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		strcpy(out, "1970-01-01T00:00:00Z");
}

/* ---- freeing ---- */

void layer_done(struct imgverify_layer *l)
{
	free(l->name);
	free(l->path);
	imgverify_digests_done(&l->digests);
	memset(l, 0, sizeof(*l));
}

void imgverify_manifest_free(struct imgverify_manifest *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->version);
	for (size_t i = 0; i < m->n_layers; i++)
		layer_done(&m->layers[i]);
	free(m->layers);
	imgverify_guest_free(m->inspection);
	free(m);
}

void imgverify_envelope_free(struct imgverify_envelope *e)
{
	if (!e)
		return;
	free(e->payload_type);
	free(e->payload);
	for (size_t i = 0; i < e->n_signatures; i++) {
		free(e->signatures[i].keyid);
		free(e->signatures[i].sig);
		free(e->signatures[i].cert);
	}
	free(e->signatures);
	free(e);
}

void hex32(const uint8_t d[IMGVERIFY_DIGEST_SIZE], char out[2 * IMGVERIFY_DIGEST_SIZE + 1])
{
	vt_hex_encode(d, IMGVERIFY_DIGEST_SIZE, out);
}

/* ---- building ---- */

static json_object *hex_string(const uint8_t d[IMGVERIFY_DIGEST_SIZE])
{
	char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

	hex32(d, hex);
	return json_object_new_string(hex);
}

static json_object *time_string(int64_t t)
{
	char buf[21];

	imgverify_time_format(t, buf);
	return json_object_new_string(buf);
}

/* json_object_object_add with a NULL value when allocation failed: the
 * caller checks *ok once at the end. */
static void add(json_object *o, const char *key, json_object *v, bool *ok)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static void push(json_object *a, json_object *v, bool *ok)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static json_object *qcow2_json(const struct imgverify_header *h, bool *ok)
{
	json_object *o = json_object_new_object();

	add(o, "version", json_object_new_int((int)h->version), ok);
	add(o, "cluster_size", json_object_new_int64((int64_t)1 << h->cluster_bits), ok);
	add(o, "incompatible_features", json_object_new_uint64(h->incompatible_features), ok);
	add(o, "compatible_features", json_object_new_uint64(h->compatible_features), ok);
	add(o, "autoclear_features", json_object_new_uint64(h->autoclear_features), ok);
	add(o, "refcount_order", json_object_new_int((int)h->refcount_order), ok);
	add(o, "compression_type", json_object_new_string(h->compression_type ? "zstd" : "zlib"), ok);
	add(o, "snapshots", json_object_new_int64(h->nb_snapshots), ok);
	add(o, "encryption", json_object_new_string(h->crypt_method == IMGVERIFY_QCOW2_CRYPT_LUKS ?
							   "luks" : "none"), ok);
	return o;
}

static json_object *layer_json(const struct imgverify_layer *l, bool *ok)
{
	json_object *o = json_object_new_object(), *chunks, *list;

	add(o, "name", json_object_new_string(l->name), ok);
	add(o, "format", json_object_new_string(imgverify_format_name(l->header.format)), ok);
	add(o, "size", json_object_new_uint64(l->size), ok);
	add(o, "virtual_size", json_object_new_uint64(l->header.virtual_size), ok);
	if (l->header.format == IMGVERIFY_FORMAT_QCOW2)
		add(o, "qcow2", qcow2_json(&l->header, ok), ok);
	else if (l->header.crypt_method == IMGVERIFY_QCOW2_CRYPT_LUKS)
		add(o, "encryption", json_object_new_string("luks"), ok);
	if (l->header.has_backing) {
		json_object *b = json_object_new_object();

		add(b, "name", json_object_new_string(l->header.backing), ok);
		add(b, "format", json_object_new_string(l->header.backing_format), ok);
		add(o, "backing", b, ok);
	}
	chunks = json_object_new_object();
	add(chunks, "algorithm", json_object_new_string("sha256"), ok);
	add(chunks, "size", json_object_new_uint64(l->digests.chunk_size), ok);
	add(chunks, "root", hex_string(l->digests.root), ok);
	list = json_object_new_array_ext((int)l->digests.n_chunks);
	for (size_t i = 0; *ok && i < l->digests.n_chunks; i++)
		push(list, hex_string(l->digests.chunks + i * IMGVERIFY_DIGEST_SIZE), ok);
	add(chunks, "digests", list, ok);
	add(o, "chunks", chunks, ok);
	return o;
}

/* The signed guest findings: OS facts, /boot, and the checks that held
 * (a failed check is never signed: signing refuses). */
static json_object *inspection_json(const struct imgverify_guest *g, bool *ok)
{
	json_object *o = json_object_new_object(), *os = json_object_new_object(),
		    *boot = json_object_new_array(), *files = json_object_new_array(),
		    *absent = json_object_new_array();

	add(os, "type", json_object_new_string(g->os_type), ok);
	add(os, "distro", json_object_new_string(g->distro), ok);
	add(os, "major_version", json_object_new_int(g->major_version), ok);
	add(os, "minor_version", json_object_new_int(g->minor_version), ok);
	add(os, "arch", json_object_new_string(g->arch), ok);
	add(os, "hostname", json_object_new_string(g->hostname), ok);
	add(o, "os", os, ok);
	for (size_t i = 0; i < g->n_boot; i++) {
		const struct imgverify_boot_file *b = &g->boot[i];
		json_object *e = json_object_new_object();

		add(e, "path", json_object_new_string(b->path), ok);
		add(e, "kind", json_object_new_string(imgverify_boot_kind_name(b->kind)), ok);
		if (b->link)
			add(e, "link", json_object_new_string(b->link), ok);
		else
			add(e, "sha256", hex_string(b->sha256), ok);
		push(boot, e, ok);
	}
	add(o, "boot", boot, ok);
	for (size_t i = 0; i < g->n_checks; i++) {
		const struct imgverify_guest_check *c = &g->checks[i];

		if (!c->ok)
			continue;
		if (c->kind == IMGVERIFY_CHECK_MATCH) {
			json_object *e = json_object_new_object();

			add(e, "path", json_object_new_string(c->path), ok);
			add(e, "sha256", hex_string(c->found), ok);
			push(files, e, ok);
		} else {
			push(absent, json_object_new_string(c->path), ok);
		}
	}
	add(o, "files", files, ok);
	add(o, "absent", absent, ok);
	return o;
}

int statement_build(const struct imgverify_manifest *m, char **ret, size_t *ret_len)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *subjects = json_object_new_array(), *pred = json_object_new_object(),
		    *image = json_object_new_object(), *layers = json_object_new_array();
	bool ok = true;
	const char *s;
	char *out;

	add(root, "_type", json_object_new_string(IMGVERIFY_STATEMENT_TYPE), &ok);
	add(root, "subject", subjects, &ok);
	add(root, "predicateType", json_object_new_string(IMGVERIFY_PREDICATE_TYPE), &ok);
	add(root, "predicate", pred, &ok);
	add(pred, "image", image, &ok);
	add(pred, "layers", layers, &ok);
	if (m->inspection)
		add(pred, "inspection", inspection_json(m->inspection, &ok), &ok);
	add(image, "name", json_object_new_string(m->name), &ok);
	if (m->version)
		add(image, "version", json_object_new_string(m->version), &ok);
	add(image, "sequence", json_object_new_uint64(m->sequence), &ok);
	add(image, "issued", time_string(m->issued), &ok);
	add(image, "expires", time_string(m->expires), &ok);
	for (size_t i = 0; ok && i < m->n_layers; i++) {
		const struct imgverify_layer *l = &m->layers[i];
		json_object *subj = json_object_new_object(), *digest = json_object_new_object();

		add(subj, "name", json_object_new_string(l->name), &ok);
		add(digest, "sha256", hex_string(l->digests.sha256), &ok);
		add(subj, "digest", digest, &ok);
		push(subjects, subj, &ok);
		push(layers, layer_json(l, &ok), &ok);
	}
	if (!ok)
		return -ENOMEM;
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || !(out = strdup(s)))
		return -ENOMEM;
	*ret_len = strlen(out);
	*ret = out;
	return 0;
}

int envelope_build(const char *payload, size_t payload_len, const char *keyid, const uint8_t *sig,
		   size_t sig_len, const char *cert_pem, char **ret, size_t *ret_len)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	_cleanup_(freep) char *p64 = NULL, *s64 = NULL;
	json_object *sigs = json_object_new_array(), *one = json_object_new_object();
	bool ok = true;
	const char *s;
	char *out;

	if (imgverify_base64_encode(payload, payload_len, &p64) < 0 ||
	    imgverify_base64_encode(sig, sig_len, &s64) < 0) {
		json_object_put(sigs);
		json_object_put(one);
		return -ENOMEM;
	}
	add(root, "payloadType", json_object_new_string(IMGVERIFY_PAYLOAD_TYPE), &ok);
	add(root, "payload", json_object_new_string(p64), &ok);
	add(root, "signatures", sigs, &ok);
	add(one, "keyid", json_object_new_string(keyid), &ok);
	add(one, "sig", json_object_new_string(s64), &ok);
	if (cert_pem)
		add(one, "cert", json_object_new_string(cert_pem), &ok);
	push(sigs, one, &ok);
	if (!ok)
		return -ENOMEM;
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || asprintf(&out, "%s\n", s) < 0)
		return -ENOMEM;
	*ret_len = strlen(out);
	*ret = out;
	return 0;
}

/* ---- parsing ---- */

static int unsupported_(struct vt_json_reader *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define unsupported(w, ...) VT_NEGATIVE(unsupported_((w), __VA_ARGS__))
static int unsupported_(struct vt_json_reader *w, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vt_json_faultv(w, EOPNOTSUPP, fmt, ap);
	va_end(ap);
	return r;
}

/* The member key of obj, which must be there unless optional; *ret NULL
 * when absent. The walk path is extended with the key (pop it after). */
static int member(struct vt_json_reader *w, json_object *obj, const char *key, bool optional,
		  json_object **ret, size_t *mark)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		*ret = NULL;
		*mark = w->p.len;
		return optional ? 0 : vt_json_fault(w, "missing key '%s'", key);
	}
	*mark = vt_json_push_key(&w->p, key);
	*ret = v;
	return 0;
}

static int get_digest(struct vt_json_reader *w, json_object *v, uint8_t out[IMGVERIFY_DIGEST_SIZE])
{
	const char *s;
	int r = vt_json_get_string(w, v, 4 * IMGVERIFY_DIGEST_SIZE, &s);

	if (r < 0)
		return r;
	if (strlen(s) != 2 * IMGVERIFY_DIGEST_SIZE || vt_hex_decode(s, out, IMGVERIFY_DIGEST_SIZE) < 0)
		return vt_json_fault(w, "a sha256 digest has 64 hex digits");
	return 0;
}

static int get_time(struct vt_json_reader *w, json_object *v, int64_t *ret)
{
	const char *s;
	int r = vt_json_get_string(w, v, 32, &s);

	if (r < 0)
		return r;
	if (imgverify_time_parse(s, ret) < 0)
		return vt_json_fault(w, "'%s' is not a UTC time like 2025-01-31T12:00:00Z", s);
	return 0;
}

static int get_array(struct vt_json_reader *w, json_object *v, size_t min, size_t max, size_t *ret_n)
{
	int r = vt_json_expect_type(w, v, json_type_array, "an array");
	size_t n;

	if (r < 0)
		return r;
	n = json_object_array_length(v);
	if (n < min || n > max)
		return vt_json_fault(w, "expected %zu to %zu entries, got %zu", min, max, n);
	*ret_n = n;
	return 0;
}

static int parse_image(struct vt_json_reader *w, json_object *v, struct imgverify_manifest *m)
{
	static const char *const keys[] = { "name", "version", "sequence", "issued", "expires", NULL };
	json_object *x;
	const char *s;
	size_t mk;
	int r;

	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	if ((r = member(w, v, "name", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 255, &s)) < 0)
		return r;
	if (!is_printable(s, strlen(s)))
		return vt_json_fault(w, "contains control characters");
	if (!(m->name = strdup(s)))
		return -ENOMEM;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "version", true, &x, &mk)) < 0)
		return r;
	if (x) {
		if ((r = vt_json_get_string(w, x, 255, &s)) < 0)
			return r;
		if (!is_printable(s, strlen(s)))
			return vt_json_fault(w, "contains control characters");
		if (!(m->version = strdup(s)))
			return -ENOMEM;
		vt_json_pop(&w->p, mk);
	}
	if ((r = member(w, v, "sequence", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, SEQUENCE_MAX, &m->sequence)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "issued", false, &x, &mk)) < 0 || (r = get_time(w, x, &m->issued)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "expires", false, &x, &mk)) < 0 || (r = get_time(w, x, &m->expires)) < 0)
		return r;
	if (m->expires <= m->issued)
		return vt_json_fault(w, "expires before it was issued");
	vt_json_pop(&w->p, mk);
	return 0;
}

static int parse_qcow2(struct vt_json_reader *w, json_object *v, struct imgverify_header *h)
{
	static const char *const keys[] = { "version", "cluster_size", "incompatible_features",
					    "compatible_features", "autoclear_features",
					    "refcount_order", "compression_type", "snapshots",
					    "encryption", NULL };
	json_object *x;
	const char *s;
	uint64_t u;
	size_t mk;
	int r;

	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	if ((r = member(w, v, "version", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, 3, &u)) < 0)
		return r;
	if (u < 2)
		return vt_json_fault(w, "qcow2 version is 2 or 3");
	h->version = (uint32_t)u;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "cluster_size", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, 1u << 21, &u)) < 0)
		return r;
	if (u < 512 || (u & (u - 1)))
		return vt_json_fault(w, "a cluster size is a power of two from 512 to 2097152");
	h->cluster_bits = (uint32_t)__builtin_ctzll(u);
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "incompatible_features", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, UINT64_MAX, &h->incompatible_features)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "compatible_features", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, UINT64_MAX, &h->compatible_features)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "autoclear_features", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, UINT64_MAX, &h->autoclear_features)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "refcount_order", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, 6, &u)) < 0)
		return r;
	h->refcount_order = (uint32_t)u;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "compression_type", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 16, &s)) < 0)
		return r;
	if (strcmp(s, "zlib") == 0)
		h->compression_type = 0;
	else if (strcmp(s, "zstd") == 0)
		h->compression_type = 1;
	else
		return unsupported(w, "compression type '%s' is not supported", s);
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "snapshots", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, UINT32_MAX, &u)) < 0)
		return r;
	h->nb_snapshots = (uint32_t)u;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "encryption", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 16, &s)) < 0)
		return r;
	if (strcmp(s, "none") == 0)
		h->crypt_method = IMGVERIFY_QCOW2_CRYPT_NONE;
	else if (strcmp(s, "luks") == 0)
		h->crypt_method = IMGVERIFY_QCOW2_CRYPT_LUKS;
	else
		return unsupported(w, "encryption '%s' is not supported", s);
	vt_json_pop(&w->p, mk);
	return 0;
}

static int parse_chunks(struct vt_json_reader *w, json_object *v, struct imgverify_layer *l)
{
	static const char *const keys[] = { "algorithm", "size", "root", "digests", NULL };
	uint8_t root[IMGVERIFY_DIGEST_SIZE];
	json_object *x;
	const char *s;
	uint64_t cs, want;
	size_t mk, n;
	unsigned dlen;
	int r;

	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	if ((r = member(w, v, "algorithm", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 32, &s)) < 0)
		return r;
	if (strcmp(s, "sha256") != 0)
		return unsupported(w, "digest algorithm '%s' is not supported (sha256)", s);
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "size", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, IMGVERIFY_CHUNK_SIZE_MAX, &cs)) < 0)
		return r;
	if (cs < IMGVERIFY_CHUNK_SIZE_MIN || (cs & (cs - 1)))
		return vt_json_fault(w, "a chunk size is a power of two from %u to %u", IMGVERIFY_CHUNK_SIZE_MIN,
			     IMGVERIFY_CHUNK_SIZE_MAX);
	vt_json_pop(&w->p, mk);
	want = (l->size + cs - 1) / cs;
	if ((r = member(w, v, "digests", false, &x, &mk)) < 0 ||
	    (r = get_array(w, x, 0, IMGVERIFY_CHUNKS_MAX, &n)) < 0)
		return r;
	if (n != want)
		return vt_json_fault(w, "%zu digests for %" PRIu64 " bytes in chunks of %" PRIu64 ", not %" PRIu64,
			     n, l->size, cs, want);
	l->digests.chunks = malloc(n ? n * IMGVERIFY_DIGEST_SIZE : 1);
	if (!l->digests.chunks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t mi = vt_json_push_index(&w->p, i);

		r = get_digest(w, json_object_array_get_idx(x, i), l->digests.chunks + i * IMGVERIFY_DIGEST_SIZE);
		if (r < 0)
			return r;
		vt_json_pop(&w->p, mi);
	}
	l->digests.n_chunks = n;
	l->digests.chunk_size = cs;
	l->digests.size = l->size;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "root", false, &x, &mk)) < 0 || (r = get_digest(w, x, l->digests.root)) < 0)
		return r;
	if (EVP_Digest(l->digests.chunks, n * IMGVERIFY_DIGEST_SIZE, root, &dlen, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	if (memcmp(root, l->digests.root, IMGVERIFY_DIGEST_SIZE) != 0)
		return vt_json_fault(w, "the root is not the SHA-256 of the chunk digests");
	vt_json_pop(&w->p, mk);
	return 0;
}

static int parse_layer(struct vt_json_reader *w, json_object *v, struct imgverify_layer *l)
{
	static const char *const keys[] = { "name", "format", "size", "virtual_size", "qcow2",
					    "encryption", "backing", "chunks", NULL };
	static const char *const backing_keys[] = { "name", "format", NULL };
	json_object *x, *y;
	const char *s;
	size_t mk, my;
	char why[256];
	int r;

	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	if ((r = member(w, v, "name", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_string(w, x, IMGVERIFY_BACKING_NAME_MAX, &s)) < 0)
		return r;
	if (!is_printable(s, strlen(s)))
		return vt_json_fault(w, "contains control characters");
	if (!(l->name = strdup(s)))
		return -ENOMEM;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "format", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 16, &s)) < 0)
		return r;
	l->header.format = imgverify_format_from_name(s);
	if (!l->header.format)
		return unsupported(w, "format '%s' is not supported (raw or qcow2)", s);
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "size", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, IMGVERIFY_SIZE_MAX, &l->size)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "virtual_size", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_uint(w, x, IMGVERIFY_SIZE_MAX, &l->header.virtual_size)) < 0)
		return r;
	if (l->header.format == IMGVERIFY_FORMAT_RAW && l->header.virtual_size != l->size)
		return vt_json_fault(w, "a raw layer's virtual size is its size");
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "qcow2", true, &x, &mk)) < 0)
		return r;
	if (!x != (l->header.format != IMGVERIFY_FORMAT_QCOW2))
		return vt_json_fault(w, x ? "only a qcow2 layer has qcow2 facts" : "missing key 'qcow2'");
	if (x) {
		if ((r = parse_qcow2(w, x, &l->header)) < 0)
			return r;
		vt_json_pop(&w->p, mk);
	}
	/* A raw layer that is a LUKS container says so; qcow2 says it in "qcow2". */
	if ((r = member(w, v, "encryption", true, &x, &mk)) < 0)
		return r;
	if (x) {
		if (l->header.format != IMGVERIFY_FORMAT_RAW)
			return vt_json_fault(w, "only a raw layer has this key (a qcow2 layer's is in 'qcow2')");
		if ((r = vt_json_get_string(w, x, 16, &s)) < 0)
			return r;
		if (strcmp(s, "luks") != 0)
			return unsupported(w, "encryption '%s' is not supported (luks)", s);
		l->header.crypt_method = IMGVERIFY_QCOW2_CRYPT_LUKS;
		vt_json_pop(&w->p, mk);
	}
	if ((r = member(w, v, "backing", true, &x, &mk)) < 0)
		return r;
	if (x) {
		if (l->header.format != IMGVERIFY_FORMAT_QCOW2)
			return vt_json_fault(w, "only a qcow2 layer has a backing file");
		if ((r = vt_json_expect_type(w, x, json_type_object, "an object")) < 0 ||
		    (r = vt_json_check_keys(w, x, backing_keys)) < 0)
			return r;
		if ((r = member(w, x, "name", false, &y, &my)) < 0 ||
		    (r = vt_json_get_string(w, y, IMGVERIFY_BACKING_NAME_MAX, &s)) < 0)
			return r;
		if (check_backing_name(s, strlen(s), why, sizeof(why)) < 0)
			return vt_json_fault(w, "%s", why);
		strcpy(l->header.backing, s);
		l->header.has_backing = true;
		vt_json_pop(&w->p, my);
		if ((r = member(w, x, "format", false, &y, &my)) < 0 || (r = vt_json_get_string(w, y, 16, &s)) < 0)
			return r;
		if (!imgverify_format_from_name(s))
			return unsupported(w, "format '%s' is not supported (raw or qcow2)", s);
		strcpy(l->header.backing_format, s);
		vt_json_pop(&w->p, my);
		vt_json_pop(&w->p, mk);
	}
	if ((r = member(w, v, "chunks", false, &x, &mk)) < 0 || (r = parse_chunks(w, x, l)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	return 0;
}

/* ---- the signed guest findings ---- */

static int get_guest_text(struct vt_json_reader *w, json_object *v, char **ret)
{
	const char *s;
	int r = vt_json_get_string(w, v, IMGVERIFY_GUEST_TEXT_MAX, &s);

	if (r < 0)
		return r;
	if (!is_printable(s, strlen(s)))
		return vt_json_fault(w, "contains control characters");
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int get_guest_path(struct vt_json_reader *w, json_object *v, const char *prev, const char **ret)
{
	const char *s;
	int r = vt_json_get_string(w, v, IMGVERIFY_GUEST_PATH_MAX, &s);

	if (r < 0)
		return r;
	if (!guest_path_ok(s, IMGVERIFY_GUEST_PATH_MAX))
		return vt_json_fault(w, "'%.64s' is not an absolute canonical path",
			     is_printable(s, strlen(s)) ? s : "?");
	/* Sorted: one order per set, so that the signed bytes are canonical. */
	if (prev && strcmp(prev, s) >= 0)
		return vt_json_fault(w, "'%.64s' is not after '%.64s': paths are sorted and listed once", s, prev);
	*ret = s;
	return 0;
}

static int parse_guest_os(struct vt_json_reader *w, json_object *v, struct imgverify_guest *g)
{
	static const char *const keys[] = { "type", "distro", "major_version", "minor_version", "arch",
					    "hostname", NULL };
	char **texts[] = { &g->os_type, &g->distro, &g->arch, &g->hostname };
	const char *names[] = { "type", "distro", "arch", "hostname" };
	json_object *x;
	uint64_t u;
	size_t mk;
	int r;

	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		if ((r = member(w, v, names[i], false, &x, &mk)) < 0 || (r = get_guest_text(w, x, texts[i])) < 0)
			return r;
		vt_json_pop(&w->p, mk);
	}
	if ((r = member(w, v, "major_version", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, INT_MAX, &u)) < 0)
		return r;
	g->major_version = (int)u;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "minor_version", false, &x, &mk)) < 0 || (r = vt_json_get_uint(w, x, INT_MAX, &u)) < 0)
		return r;
	g->minor_version = (int)u;
	vt_json_pop(&w->p, mk);
	return 0;
}

static int parse_guest_boot(struct vt_json_reader *w, json_object *v, struct imgverify_guest *g)
{
	static const char *const keys[] = { "path", "kind", "sha256", "link", NULL };
	const char *prev = NULL;
	size_t n;
	int r;

	if ((r = get_array(w, v, 0, IMGVERIFY_GUEST_BOOT_MAX, &n)) < 0)
		return r;
	g->boot = calloc(n ? n : 1, sizeof(*g->boot));
	if (!g->boot)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct imgverify_boot_file *b = &g->boot[i];
		json_object *e = json_object_array_get_idx(v, i), *x, *y;
		size_t mi = vt_json_push_index(&w->p, i), mk;
		const char *path, *s;

		g->n_boot = i + 1;
		if ((r = vt_json_expect_type(w, e, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, e, keys)) < 0)
			return r;
		if ((r = member(w, e, "path", false, &x, &mk)) < 0 || (r = get_guest_path(w, x, prev, &path)) < 0)
			return r;
		if (strncmp(path, "/boot/", 6) != 0 || strchr(path + 6, '/') || !boot_kind_of(path + 6))
			return vt_json_fault(w, "'%.64s' is not a kernel or initrd in /boot", path);
		if (!(b->path = strdup(path)))
			return -ENOMEM;
		prev = b->path;
		vt_json_pop(&w->p, mk);
		if ((r = member(w, e, "kind", false, &x, &mk)) < 0 || (r = vt_json_get_string(w, x, 16, &s)) < 0)
			return r;
		b->kind = (enum imgverify_boot_kind)boot_kind_of(path + 6);
		if (strcmp(s, imgverify_boot_kind_name(b->kind)) != 0)
			return vt_json_fault(w, "'%s' is a %s by its name, not '%.16s'", path,
				     imgverify_boot_kind_name(b->kind), s);
		vt_json_pop(&w->p, mk);
		if ((r = member(w, e, "sha256", true, &x, &mk)) < 0)
			return r;
		if (x) {
			if ((r = get_digest(w, x, b->sha256)) < 0)
				return r;
			vt_json_pop(&w->p, mk);
		}
		if ((r = member(w, e, "link", true, &y, &mk)) < 0)
			return r;
		vt_json_pop(&w->p, mk);
		if (!x == !y)
			return vt_json_fault(w, "a boot file has either a sha256 or a link");
		if (y) {
			mk = vt_json_push_key(&w->p, "link");
			if ((r = vt_json_get_string(w, y, IMGVERIFY_GUEST_PATH_MAX, &s)) < 0)
				return r;
			if (!is_printable(s, strlen(s)))
				return vt_json_fault(w, "contains control characters");
			if (!(b->link = strdup(s)))
				return -ENOMEM;
			vt_json_pop(&w->p, mk);
		}
		vt_json_pop(&w->p, mi);
	}
	return 0;
}

static int parse_inspection(struct vt_json_reader *w, json_object *v, struct imgverify_guest **ret)
{
	static const char *const keys[] = { "os", "boot", "files", "absent", NULL };
	static const char *const file_keys[] = { "path", "sha256", NULL };
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = calloc(1, sizeof(*g));
	json_object *x, *files, *absent;
	const char *prev = NULL;
	size_t mk, ma, n_files, n_absent;
	int r;

	if (!g)
		return -ENOMEM;
	if ((r = vt_json_expect_type(w, v, json_type_object, "an object")) < 0 || (r = vt_json_check_keys(w, v, keys)) < 0)
		return r;
	if ((r = member(w, v, "os", false, &x, &mk)) < 0 || (r = parse_guest_os(w, x, g)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "boot", false, &x, &mk)) < 0 || (r = parse_guest_boot(w, x, g)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "files", false, &files, &mk)) < 0 ||
	    (r = get_array(w, files, 0, IMGVERIFY_GUEST_CHECKS_MAX, &n_files)) < 0)
		return r;
	vt_json_pop(&w->p, mk);
	if ((r = member(w, v, "absent", false, &absent, &ma)) < 0 ||
	    (r = get_array(w, absent, 0, IMGVERIFY_GUEST_CHECKS_MAX - n_files, &n_absent)) < 0)
		return r;
	vt_json_pop(&w->p, ma);
	g->checks = calloc(n_files + n_absent + 1, sizeof(*g->checks));
	if (!g->checks)
		return -ENOMEM;
	mk = vt_json_push_key(&w->p, "files");
	for (size_t i = 0; i < n_files; i++) {
		struct imgverify_guest_check *c = &g->checks[g->n_checks];
		json_object *e = json_object_array_get_idx(files, i);
		size_t mi = vt_json_push_index(&w->p, i), mf;
		const char *path;

		if ((r = vt_json_expect_type(w, e, json_type_object, "an object")) < 0 ||
		    (r = vt_json_check_keys(w, e, file_keys)) < 0)
			return r;
		if ((r = member(w, e, "path", false, &x, &mf)) < 0 || (r = get_guest_path(w, x, prev, &path)) < 0)
			return r;
		if (!(c->path = strdup(path)))
			return -ENOMEM;
		g->n_checks++;
		prev = c->path;
		vt_json_pop(&w->p, mf);
		if ((r = member(w, e, "sha256", false, &x, &mf)) < 0 || (r = get_digest(w, x, c->found)) < 0)
			return r;
		vt_json_pop(&w->p, mf);
		c->kind = IMGVERIFY_CHECK_MATCH;
		memcpy(c->want, c->found, IMGVERIFY_DIGEST_SIZE);
		c->present = c->hashed = c->ok = true;
		vt_json_pop(&w->p, mi);
	}
	vt_json_pop(&w->p, mk);
	prev = NULL;
	mk = vt_json_push_key(&w->p, "absent");
	for (size_t i = 0; i < n_absent; i++) {
		struct imgverify_guest_check *c = &g->checks[g->n_checks];
		size_t mi = vt_json_push_index(&w->p, i);
		const char *path;

		if ((r = get_guest_path(w, json_object_array_get_idx(absent, i), prev, &path)) < 0)
			return r;
		for (size_t k = 0; k < n_files; k++)
			if (strcmp(g->checks[k].path, path) == 0)
				return vt_json_fault(w, "'%.64s' is both a file and absent", path);
		if (!(c->path = strdup(path)))
			return -ENOMEM;
		g->n_checks++;
		prev = c->path;
		c->kind = IMGVERIFY_CHECK_ABSENT;
		c->ok = true;
		vt_json_pop(&w->p, mi);
	}
	vt_json_pop(&w->p, mk);
	guest_sort(g);
	*ret = TAKE_PTR(g);
	return 0;
}

/* Parses JSON text strictly: one value, nothing after it, valid UTF-8. */
/* A fault before the walk starts: the whole message is given. */
static int jfault(struct vt_json_reader *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int jfault(struct vt_json_reader *w, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->copy)
		snprintf(w->copy, w->copy_size, "%s", msg);
	return vt_log_errno(err, "%s", msg);
}

static int parse_json(struct vt_json_reader *w, const char *data, size_t len, json_object **ret)
{
	const char *name = w->name, *what = "manifest";
	struct vt_json_error jerr;
	json_object *root;
	int r;

	if (len > IMGVERIFY_MANIFEST_MAX || len > INT_MAX)
		return jfault(w, EFBIG, "%s '%s': %zu bytes exceed the limit of %d", what, name, len,
			      IMGVERIFY_MANIFEST_MAX);
	if (memchr(data, '\0', len))
		return jfault(w, EBADMSG, "%s '%s': $: contains a NUL byte", what, name);
	r = vt_json_parse(data, len, 32, &root, &jerr);
	if (r < 0)
		return jfault(w, -r, "%s '%s': %s: %s", what, name, jerr.path.buf, jerr.reason);
	*ret = root;
	return 0;
}

int statement_parse(const char *name, const char *payload, size_t len,
		    struct imgverify_manifest **ret, char *err, size_t err_size)
{
	static const char *const keys[] = { "_type", "subject", "predicateType", "predicate", NULL };
	static const char *const pred_keys[] = { "image", "layers", "inspection", NULL };
	static const char *const subj_keys[] = { "name", "digest", NULL };
	static const char *const digest_keys[] = { "sha256", NULL };
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	struct vt_json_reader w = {
		.what = "manifest", .name = name, .err = EBADMSG, .p = VT_JSON_PATH_INIT, .copy = err, .copy_size = err_size,
	};
	json_object *x, *pred, *subjects, *layers;
	const char *s;
	size_t mk, mp, n, n_subjects;
	int r;

	r = parse_json(&w, payload, len, &root);
	if (r < 0)
		return r;
	if ((r = vt_json_expect_type(&w, root, json_type_object, "an object")) < 0 ||
	    (r = vt_json_check_keys(&w, root, keys)) < 0)
		return r;
	if ((r = member(&w, root, "_type", false, &x, &mk)) < 0 || (r = vt_json_get_string(&w, x, 256, &s)) < 0)
		return r;
	if (strcmp(s, IMGVERIFY_STATEMENT_TYPE) != 0)
		return unsupported(&w, "statement type '%.64s' is not supported (%s)", s,
				   IMGVERIFY_STATEMENT_TYPE);
	vt_json_pop(&w.p, mk);
	if ((r = member(&w, root, "predicateType", false, &x, &mk)) < 0 || (r = vt_json_get_string(&w, x, 256, &s)) < 0)
		return r;
	if (strcmp(s, IMGVERIFY_PREDICATE_TYPE) != 0)
		return unsupported(&w, "predicate type '%.64s' is not supported (%s)", s,
				   IMGVERIFY_PREDICATE_TYPE);
	vt_json_pop(&w.p, mk);

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if ((r = member(&w, root, "predicate", false, &pred, &mp)) < 0 ||
	    (r = vt_json_expect_type(&w, pred, json_type_object, "an object")) < 0 ||
	    (r = vt_json_check_keys(&w, pred, pred_keys)) < 0)
		return r;
	if ((r = member(&w, pred, "image", false, &x, &mk)) < 0 || (r = parse_image(&w, x, m)) < 0)
		return r;
	vt_json_pop(&w.p, mk);
	if ((r = member(&w, pred, "layers", false, &layers, &mk)) < 0 ||
	    (r = get_array(&w, layers, 1, IMGVERIFY_CHAIN_MAX, &n)) < 0)
		return r;
	m->layers = calloc(n, sizeof(*m->layers));
	if (!m->layers)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t mi = vt_json_push_index(&w.p, i);

		m->n_layers = i + 1;
		r = parse_layer(&w, json_object_array_get_idx(layers, i), &m->layers[i]);
		if (r < 0)
			return r;
		if (i > 0) {
			const struct imgverify_layer *up = &m->layers[i - 1], *l = &m->layers[i];

			if (!up->header.has_backing || strcmp(up->header.backing, l->name) != 0 ||
			    imgverify_format_from_name(up->header.backing_format) != l->header.format)
				return vt_json_fault(&w, "layer '%s' is not the backing file (with its format) of the layer before it",
					     l->name);
		}
		vt_json_pop(&w.p, mi);
	}
	if (m->layers[n - 1].header.has_backing) {
		vt_json_push_index(&w.p, n - 1);
		return vt_json_fault(&w, "the last layer has a backing file the manifest does not describe");
	}
	vt_json_pop(&w.p, mk);
	if ((r = member(&w, pred, "inspection", true, &x, &mk)) < 0)
		return r;
	if (x) {
		if ((r = parse_inspection(&w, x, &m->inspection)) < 0)
			return r;
		vt_json_pop(&w.p, mk);
	}
	vt_json_pop(&w.p, mp);

	if ((r = member(&w, root, "subject", false, &subjects, &mk)) < 0 ||
	    (r = get_array(&w, subjects, 1, IMGVERIFY_CHAIN_MAX, &n_subjects)) < 0)
		return r;
	if (n_subjects != n)
		return vt_json_fault(&w, "%zu subjects for %zu layers", n_subjects, n);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(subjects, i), *d;
		size_t mi = vt_json_push_index(&w.p, i), ms;

		if ((r = vt_json_expect_type(&w, e, json_type_object, "an object")) < 0 ||
		    (r = vt_json_check_keys(&w, e, subj_keys)) < 0)
			return r;
		if ((r = member(&w, e, "name", false, &x, &ms)) < 0 ||
		    (r = vt_json_get_string(&w, x, IMGVERIFY_BACKING_NAME_MAX, &s)) < 0)
			return r;
		if (strcmp(s, m->layers[i].name) != 0)
			return vt_json_fault(&w, "subject '%.64s' is not layer '%s'", s, m->layers[i].name);
		vt_json_pop(&w.p, ms);
		if ((r = member(&w, e, "digest", false, &d, &ms)) < 0 ||
		    (r = vt_json_expect_type(&w, d, json_type_object, "an object")) < 0 ||
		    (r = vt_json_check_keys(&w, d, digest_keys)) < 0)
			return r;
		if ((r = member(&w, d, "sha256", false, &x, &ms)) < 0 ||
		    (r = get_digest(&w, x, m->layers[i].digests.sha256)) < 0)
			return r;
		m->layers[i].digests.has_sha256 = true;
		vt_json_pop(&w.p, mi);
	}
	*ret = TAKE_PTR(m);
	return 0;
}

int envelope_parse(const char *name, const char *json, size_t len, struct imgverify_envelope **ret,
		   char *err, size_t err_size)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *e = NULL;
	struct vt_json_reader w = {
		.what = "manifest", .name = name, .err = EBADMSG, .p = VT_JSON_PATH_INIT, .copy = err, .copy_size = err_size,
	};
	json_object *x, *sigs;
	const char *s;
	size_t mk, n;
	int r;

	r = parse_json(&w, json, len, &root);
	if (r < 0)
		return r;
	if ((r = vt_json_expect_type(&w, root, json_type_object, "a DSSE envelope (an object)")) < 0)
		return r;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if ((r = member(&w, root, "payloadType", false, &x, &mk)) < 0 || (r = vt_json_get_string(&w, x, 256, &s)) < 0)
		return r;
	if (!(e->payload_type = strdup(s)))
		return -ENOMEM;
	vt_json_pop(&w.p, mk);
	if ((r = member(&w, root, "payload", false, &x, &mk)) < 0 ||
	    (r = vt_json_get_string(&w, x, IMGVERIFY_MANIFEST_MAX, &s)) < 0)
		return r;
	r = imgverify_base64_decode(s, strlen(s), &e->payload, &e->payload_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return vt_json_fault(&w, "not base64");
	vt_json_pop(&w.p, mk);
	if ((r = member(&w, root, "signatures", false, &sigs, &mk)) < 0 ||
	    (r = get_array(&w, sigs, 0, SIGNATURES_MAX, &n)) < 0)
		return r;
	e->signatures = calloc(n ? n : 1, sizeof(*e->signatures));
	if (!e->signatures)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct imgverify_signature *sig = &e->signatures[i];
		json_object *o = json_object_array_get_idx(sigs, i);
		size_t mi = vt_json_push_index(&w.p, i), ms;

		e->n_signatures = i + 1;
		if ((r = vt_json_expect_type(&w, o, json_type_object, "an object")) < 0)
			return r;
		if ((r = member(&w, o, "sig", false, &x, &ms)) < 0 || (r = vt_json_get_string(&w, x, SIG_MAX, &s)) < 0)
			return r;
		r = imgverify_base64_decode(s, strlen(s), &sig->sig, &sig->sig_len);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return vt_json_fault(&w, "not base64");
		vt_json_pop(&w.p, ms);
		if ((r = member(&w, o, "keyid", true, &x, &ms)) < 0)
			return r;
		/* DSSE: an unset keyid is the same as an empty one. */
		if (x && json_object_get_string_len(x) > 0) {
			if ((r = vt_json_get_string(&w, x, 256, &s)) < 0)
				return r;
			if (!is_printable(s, strlen(s)))
				return vt_json_fault(&w, "contains control characters");
			if (!(sig->keyid = strdup(s)))
				return -ENOMEM;
			vt_json_pop(&w.p, ms);
		}
		if ((r = member(&w, o, "cert", true, &x, &ms)) < 0)
			return r;
		if (x) {
			if ((r = vt_json_get_string(&w, x, CERT_MAX, &s)) < 0)
				return r;
			if (!(sig->cert = strdup(s)))
				return -ENOMEM;
			vt_json_pop(&w.p, ms);
		}
		vt_json_pop(&w.p, mi);
	}
	*ret = TAKE_PTR(e);
	return 0;
}

int imgverify_statement_parse(const char *name, const char *payload, size_t len,
			      struct imgverify_manifest **ret)
{
	return statement_parse(name, payload, len, ret, NULL, 0);
}

int imgverify_envelope_parse(const char *name, const char *json, size_t len,
			     struct imgverify_envelope **ret)
{
	return envelope_parse(name, json, len, ret, NULL, 0);
}
