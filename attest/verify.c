/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline verification of evidence: the AK against the policy, the quote's
 * signature and contents, the PCR values against the quoted digest, both
 * logs against the quoted PCRs, then the policy's rules. Pure: bytes in, a
 * verdict out; no TPM, no files.
 *
 * Trust flows one way: the AK (pinned in the policy) vouches for the
 * TPMS_ATTEST, whose pcrDigest vouches for the PCR values of its selection
 * and nothing else, which vouch for the log records that replay to them.
 * PCR values in the evidence that the quote does not select are ignored
 * (a warning check names them): nothing is compared against them.
 *
 * Faults in the evidence are reasons in the verdict, not errors: the
 * parsers' messages are captured (vt_log_capture) into the checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "attest.h"

#define ALGS_MAX 8                      /* entries of vt_hash_algs() */
#define REASON_MAX 1024


/* ---- digests, fetched once per process ------------------------------------ */

static const struct vt_hash_alg *alg_table;
static size_t alg_count;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
	alg_table = vt_hash_algs(&alg_count);
	if (alg_count > ALGS_MAX)
		alg_count = ALGS_MAX;
}

/* The position of alg in vt_hash_algs(), or -1. */
static int alg_index(const struct vt_hash_alg *alg)
{
	pthread_once(&md_once, md_init);
	if (!alg || alg < alg_table || alg >= alg_table + alg_count)
		return -1;
	return (int)(alg - alg_table);
}

static const EVP_MD *md_of(const struct vt_hash_alg *alg)
{
	return alg_index(alg) < 0 ? NULL : attest_md(alg);
}

static int digest2(EVP_MD_CTX *ctx, const struct vt_hash_alg *alg, const void *a, size_t a_len,
		   const void *b, size_t b_len, uint8_t *out)
{
	const EVP_MD *md = md_of(alg);

	if (!md || EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    (b_len && EVP_DigestUpdate(ctx, b, b_len) != 1) || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -ENOTRECOVERABLE;
	return 0;
}

/* ---- the verdict ----------------------------------------------------------- */

/* The names and reasons live in one text buffer; while it grows, a check
 * holds offsets into it (in .name and .reason), made pointers when the
 * verdict is complete. */
struct attest_verdict {
	struct attest_check *checks;
	size_t n, cap;
	size_t n_failed;
	char *text;
	size_t text_len, text_cap;
};

void attest_verdict_free(struct attest_verdict *v)
{
	if (!v)
		return;
	free(v->checks);
	free(v->text);
	free(v);
}

bool attest_verdict_ok(const struct attest_verdict *v)
{
	return v && v->n_failed == 0;
}

size_t attest_verdict_count(const struct attest_verdict *v)
{
	return v ? v->n : 0;
}

const struct attest_check *attest_verdict_check(const struct attest_verdict *v, size_t i)
{
	return v && i < v->n ? &v->checks[i] : NULL;
}

const struct attest_check *attest_verdict_find(const struct attest_verdict *v, const char *name)
{
	for (size_t i = 0; v && name && i < v->n; i++)
		if (strcmp(v->checks[i].name, name) == 0)
			return &v->checks[i];
	return NULL;
}

const char *attest_check_status_name(enum attest_check_status s)
{
	switch (s) {
	case ATTEST_CHECK_OK: return "ok";
	case ATTEST_CHECK_WARNING: return "warning";
	case ATTEST_CHECK_FAILED: return "failed";
	}
	return "failed";
}

int attest_verdict_to_json(const struct attest_verdict *v, struct json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *checks = json_object_new_array();

	if (!o || !checks || json_object_object_add(o, "verdict",
						    json_object_new_string(attest_verdict_ok(v) ? "good" : "bad")) < 0 ||
	    json_object_object_add(o, "checks", checks) < 0) {
		json_object_put(checks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < attest_verdict_count(v); i++) {
		json_object *c = json_object_new_object();

		if (!c || json_object_array_add(checks, c) < 0) {
			json_object_put(c);
			return -ENOMEM;
		}
		if (json_object_object_add(c, "name", json_object_new_string(v->checks[i].name)) < 0 ||
		    json_object_object_add(c, "status",
					   json_object_new_string(attest_check_status_name(v->checks[i].status))) < 0 ||
		    json_object_object_add(c, "reason", json_object_new_string(v->checks[i].reason)) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(o);
	return 0;
}

/* ---- the state of one verification ------------------------------------------ */

struct quoted_bank {
	uint32_t mask;                                  /* PCRs the quote covers */
	uint8_t value[POLICY_PCR_MAX][VT_DIGEST_MAX];
};

struct verify {
	const struct policy *p;
	const struct attest_evidence *e;
	struct attest_verdict *v;
	EVP_MD_CTX *md;
	int err;                        /* the first internal failure */
	char why[512];                  /* a captured library message */

	struct log_entry *ak_entry;
	EVP_PKEY *ak;                   /* the key the signature is checked with */
	TPM2B_PUBLIC ak_public;

	TPMT_SIGNATURE sig;
	const struct vt_hash_alg *sig_hash;

	TPMS_ATTEST attest;
	bool have_attest;
	struct quoted_bank quoted[ALGS_MAX];    /* by alg_index() */

	unsigned flags;                 /* ATTEST_VERIFY_* */

	struct log_entry *uefi_entry;
	const struct attest_eventlog *uefi;
	bool uefi_ok;                   /* the log replays to every quoted PCR it extends
					 * and to each quoted PCR 0-7 of its banks */
	uint32_t uefi_proven[ALGS_MAX]; /* by bank: PCRs the log's replay equals as quoted */

	struct log_entry *mlog_entry;
	const struct attest_mlog *mlog;
	size_t n_measured;              /* records that count: all but a pending last */
	bool mlog_bound;                /* the log replays to the quoted measurement PCR */
	uint32_t mlog_banks;            /* by alg_index(): the banks that prove its records */
};

static int text_room(struct attest_verdict *v, size_t need)
{
	char *t;
	size_t cap;

	if (v->text_cap - v->text_len >= need)
		return 0;
	cap = v->text_cap ? v->text_cap : 4096;
	while (cap - v->text_len < need)
		cap *= 2;
	t = realloc(v->text, cap);
	if (!t)
		return -ENOMEM;
	v->text = t;
	v->text_cap = cap;
	return 0;
}

/* A check named prefix + suffix (suffix may be NULL). */
__attribute__((format(printf, 5, 0)))
static int add_checkv(struct verify *s, enum attest_check_status st, const char *prefix,
		      const char *suffix, const char *fmt, va_list ap)
{
	struct attest_verdict *v = s->v;
	size_t lp = strlen(prefix), ls = suffix ? strlen(suffix) : 0, name_off;
	struct attest_check *c;
	int n;

	if (s->err < 0)
		return s->err;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 32;
		struct attest_check *nc = realloc(v->checks, cap * sizeof(*nc));

		if (!nc)
			return (s->err = -ENOMEM);
		v->checks = nc;
		v->cap = cap;
	}
	if (text_room(v, lp + ls + 1 + REASON_MAX) < 0)
		return (s->err = -ENOMEM);
	name_off = v->text_len;
	memcpy(v->text + v->text_len, prefix, lp);
	if (ls)
		memcpy(v->text + v->text_len + lp, suffix, ls);
	v->text[v->text_len + lp + ls] = '\0';
	v->text_len += lp + ls + 1;
	n = vsnprintf(v->text + v->text_len, REASON_MAX, fmt, ap);
	c = &v->checks[v->n++];
	c->name = (const char *)(uintptr_t)name_off;
	c->reason = (const char *)(uintptr_t)v->text_len;
	c->status = st;
	v->text_len += (n < 0 ? 0 : (size_t)n >= REASON_MAX ? REASON_MAX - 1 : (size_t)n) + 1;
	if (n < 0)
		v->text[v->text_len - 1] = '\0';
	if (st == ATTEST_CHECK_FAILED)
		v->n_failed++;
	return 0;
}

static void verdict_finish(struct attest_verdict *v)
{
	for (size_t i = 0; i < v->n; i++) {
		v->checks[i].name = v->text + (uintptr_t)v->checks[i].name;
		v->checks[i].reason = v->text + (uintptr_t)v->checks[i].reason;
	}
}

static int add_check2(struct verify *s, enum attest_check_status st, const char *prefix,
		      const char *suffix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add_check2(struct verify *s, enum attest_check_status st, const char *prefix,
		      const char *suffix, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_checkv(s, st, prefix, suffix, fmt, ap);
	va_end(ap);
	return r;
}

static int add_check(struct verify *s, enum attest_check_status st, const char *name,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int add_check(struct verify *s, enum attest_check_status st, const char *name,
		     const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_checkv(s, st, name, NULL, fmt, ap);
	va_end(ap);
	return r;
}

#define OK(s, name, ...) add_check(s, ATTEST_CHECK_OK, name, __VA_ARGS__)
#define WARN(s, name, ...) add_check(s, ATTEST_CHECK_WARNING, name, __VA_ARGS__)
#define FAIL(s, name, ...) add_check(s, ATTEST_CHECK_FAILED, name, __VA_ARGS__)

static int internal(struct verify *s, int r)
{
	if (s->err == 0)
		s->err = r;
	return r;
}

/* The captured message, or a fallback for a failure that logged nothing. */
static const char *why(struct verify *s, int r)
{
	return s->why[0] ? s->why : strerror(-r);
}

/* ---- logs and keys seen before ---------------------------------------------------- */

/* A host sends the same AK and logs quote after quote (the UEFI log is fixed
 * for a boot, the measurement log only grows): what parsing them gives (the
 * EVP_PKEY of the AK, the parsed logs and their replays) is kept for the
 * last few, keyed by their exact bytes (compared, not hashed). Entries are
 * immutable but for the lazily replayed banks, filled under the lock, and
 * shared by reference count. */
#define CACHE_SLOTS 8
#define CACHE_BYTES_MAX (1024 * 1024)

enum { CACHE_UEFI, CACHE_MLOG, CACHE_AK, CACHE_KINDS };

struct log_entry {
	unsigned refs;
	uint8_t *bytes;                 /* NULL: too large to keep */
	size_t len;
	struct attest_eventlog *uefi;
	struct attest_mlog *mlog;
	EVP_PKEY *ak;                   /* AK: the key of a TPM2B_PUBLIC */
	uint8_t name[ATTEST_NAME_MAX];  /* AK: its TPM name (0 bytes: none) */
	size_t name_len;
	uint32_t banks_done;            /* UEFI: banks replayed, by alg_index() */
	uint32_t used[ALGS_MAX];        /* UEFI: the PCRs with an extend */
	uint8_t pcr[ALGS_MAX][POLICY_PCR_MAX][VT_DIGEST_MAX];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_entry *cache[CACHE_KINDS][CACHE_SLOTS];   /* most recent first */

static void entry_free(struct log_entry *e)
{
	if (!e)
		return;
	free(e->bytes);
	attest_eventlog_free(e->uefi);
	attest_mlog_free(e->mlog);
	EVP_PKEY_free(e->ak);
	free(e);
}

static void entry_unref(struct log_entry *e)
{
	bool last;

	if (!e)
		return;
	pthread_mutex_lock(&cache_lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (last)
		entry_free(e);
}

static struct log_entry *cache_get(int kind, const void *bytes, size_t len)
{
	struct log_entry *hit = NULL;

	if (len > CACHE_BYTES_MAX)
		return NULL;
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS && cache[kind][i] && !hit; i++) {
		struct log_entry *e = cache[kind][i];

		if (e->len != len || memcmp(e->bytes, bytes, len) != 0)
			continue;
		memmove(&cache[kind][1], &cache[kind][0], i * sizeof(cache[kind][0]));
		cache[kind][0] = e;
		e->refs++;
		hit = e;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

/* Keeps e (the caller's reference stays the caller's) when small enough. */
static void cache_put(int kind, struct log_entry *e)
{
	struct log_entry *old = NULL;

	if (!e->bytes)
		return;
	pthread_mutex_lock(&cache_lock);
	old = cache[kind][CACHE_SLOTS - 1];
	memmove(&cache[kind][1], &cache[kind][0], (CACHE_SLOTS - 1) * sizeof(cache[kind][0]));
	cache[kind][0] = e;
	e->refs++;
	if (old && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&cache_lock);
	entry_free(old);
}

void attest_verify_cache_flush(void)
{
	struct log_entry *drop[CACHE_KINDS * CACHE_SLOTS];
	size_t n = 0;

	pthread_mutex_lock(&cache_lock);
	for (int k = 0; k < CACHE_KINDS; k++)
		for (size_t i = 0; i < CACHE_SLOTS; i++) {
			struct log_entry *e = cache[k][i];

			cache[k][i] = NULL;
			if (e && --e->refs == 0)
				drop[n++] = e;
		}
	pthread_mutex_unlock(&cache_lock);
	for (size_t i = 0; i < n; i++)
		entry_free(drop[i]);
}

/* A new entry for bytes; parse is the caller's. */
static struct log_entry *entry_new(const void *bytes, size_t len)
{
	struct log_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->refs = 1;
	e->len = len;
	if (len <= CACHE_BYTES_MAX) {
		e->bytes = malloc(len ? len : 1);
		if (!e->bytes) {
			free(e);
			return NULL;
		}
		memcpy(e->bytes, bytes, len);
	}
	return e;
}

/* ---- the AK ------------------------------------------------------------------ */

static EVP_PKEY *pkey_from_params(const char *type, const OSSL_PARAM *params)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1)
		return NULL;
	return pkey;
}

#define ECC_POINT_MAX (1 + 2 * 48)

/* The uncompressed point (0x04 x y, *ret_len bytes) of an ECC public area
 * and its curve's OpenSSL name. */
static int ecc_point(const TPMT_PUBLIC *pub, const char **ret_group, uint8_t point[ECC_POINT_MAX],
		     size_t *ret_len, char *why_buf, size_t why_size)
{
	const TPMS_ECC_POINT *pt = &pub->unique.ecc;
	size_t n;

	switch (pub->parameters.eccDetail.curveID) {
	case TPM2_ECC_NIST_P256: *ret_group = "P-256"; n = 32; break;
	case TPM2_ECC_NIST_P384: *ret_group = "P-384"; n = 48; break;
	default:
		snprintf(why_buf, why_size, "curve 0x%04x is not supported (nist p-256, p-384)",
			 pub->parameters.eccDetail.curveID);
		return -EOPNOTSUPP;
	}
	if (pt->x.size == 0 || pt->x.size > n || pt->y.size == 0 || pt->y.size > n) {
		snprintf(why_buf, why_size, "the point has coordinates of %u and %u bytes, not %zu",
			 pt->x.size, pt->y.size, n);
		return -EBADMSG;
	}
	memset(point, 0, ECC_POINT_MAX);
	point[0] = 0x04;
	memcpy(point + 1 + n - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * n - pt->y.size, pt->y.buffer, pt->y.size);
	*ret_len = 1 + 2 * n;
	return 0;
}

/* An EVP_PKEY from the public area; 0, or -EOPNOTSUPP/-EBADMSG with *ret_why. */
static int ak_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **ret, char *why_buf, size_t why_size)
{
	switch (pub->type) {
	case TPM2_ALG_ECC: {
		const char *group;
		uint8_t point[ECC_POINT_MAX];
		size_t n;
		OSSL_PARAM params[3];
		int r = ecc_point(pub, &group, point, &n, why_buf, why_size);

		if (r < 0)
			return r;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, n);
		params[2] = OSSL_PARAM_construct_end();
		*ret = pkey_from_params("EC", params);
		if (!*ret) {
			snprintf(why_buf, why_size, "the point is not on curve %s", group);
			return -EBADMSG;
		}
		return 0;
	}
	case TPM2_ALG_RSA: {
		_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
		_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
		_cleanup_(BN_freep) BIGNUM *nn = NULL, *ee = NULL;
		unsigned bits = pub->parameters.rsaDetail.keyBits;
		uint32_t exponent = pub->parameters.rsaDetail.exponent;

		if (bits < 2048 || bits > 4096 || bits % 8) {
			snprintf(why_buf, why_size, "an rsa key of %u bits is not supported (2048 to 4096)",
				 bits);
			return -EOPNOTSUPP;
		}
		if (pub->unique.rsa.size != bits / 8) {
			snprintf(why_buf, why_size, "the modulus has %u bytes, not %u", pub->unique.rsa.size,
				 bits / 8);
			return -EBADMSG;
		}
		nn = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
		ee = BN_new();
		bld = OSSL_PARAM_BLD_new();
		if (!nn || !ee || !bld || BN_set_word(ee, exponent ? exponent : 65537) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nn) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ee) != 1 ||
		    !(params = OSSL_PARAM_BLD_to_param(bld)))
			return -ENOMEM;
		*ret = pkey_from_params("RSA", params);
		if (!*ret) {
			snprintf(why_buf, why_size, "not a valid rsa public key");
			return -EBADMSG;
		}
		return 0;
	}
	default:
		snprintf(why_buf, why_size, "a key of type 0x%04x is not supported (ecc, rsa)", pub->type);
		return -EOPNOTSUPP;
	}
}

/* The policy's own key for an ECC public area it pins (the same TPM name,
 * the same curve and point), a new reference; else NULL. That key was
 * parsed once, with the policy: making one from the area builds an EC
 * group each time, a sixth of a verification that parses everything. */
static EVP_PKEY *pinned_key(struct verify *s, const TPMT_PUBLIC *pub, const uint8_t *name,
			    size_t name_len)
{
	const struct policy_key *keys;
	uint8_t point[ECC_POINT_MAX], have[ECC_POINT_MAX];
	const char *group;
	char why_buf[128], have_group[16];
	size_t n_keys, len, have_len;

	if (pub->type != TPM2_ALG_ECC || name_len == 0 ||
	    ecc_point(pub, &group, point, &len, why_buf, sizeof(why_buf)) < 0)
		return NULL;
	keys = policy_attestation_keys(s->p, &n_keys);
	for (size_t i = 0; i < n_keys; i++) {
		EVP_PKEY *k = keys[i].pkey;

		if (!k || keys[i].name_len != name_len || memcmp(keys[i].name, name, name_len) != 0 ||
		    EVP_PKEY_is_a(k, "EC") != 1 ||
		    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, have_group,
						   sizeof(have_group), NULL) != 1 ||
		    OBJ_txt2nid(have_group) != EC_curve_nist2nid(group) ||
		    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, have,
						    sizeof(have), &have_len) != 1 ||
		    have_len != len || memcmp(have, point, len) != 0)
			continue;
		if (EVP_PKEY_up_ref(k) != 1)
			return NULL;
		return k;
	}
	return NULL;
}

static int unmarshal_public(const uint8_t *data, size_t len, TPM2B_PUBLIC *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (!data || Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, out) != TSS2_RC_SUCCESS ||
	    off != len)
		return -EBADMSG;
	return 0;
}

/* Whether two PEM texts are the same bytes but for line breaks and blanks. */
static bool pem_text_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '\n' || *a == '\r' || *a == ' ' || *a == '\t')
			a++;
		while (*b == '\n' || *b == '\r' || *b == ' ' || *b == '\t')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

/* ak.pem, when the evidence has one, is the key of ak.public (pem: a text
 * known to be that key, compared first). 0 when it is; 1 when it is not
 * (the check failed); a negative errno. */
static int check_ak_pem(struct verify *s, EVP_PKEY *pk, const char *pem)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *other = NULL;

	if (!e->ak_pem || (pem && pem_text_eq(e->ak_pem, pem)))
		return 0;
	bio = BIO_new_mem_buf(e->ak_pem, -1);
	if (!bio)
		return internal(s, -ENOMEM);
	other = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!other || EVP_PKEY_eq(other, pk) != 1) {
		FAIL(s, "ak-trusted", "ak.pem is not the key of ak.public");
		return 1;
	}
	return 0;
}

/* The policy's key that pins this AK: the same public key and, since a
 * key alone says nothing of the attributes it was made with, the same TPM
 * name (which hashes the whole public area). */
static int check_ak_pinned(struct verify *s, EVP_PKEY *pk, const uint8_t *name, size_t name_len)
{
	const struct policy_key *keys, *match = NULL, *same_key = NULL;
	char hex[2 * ATTEST_NAME_MAX + 1];
	size_t n_keys;
	int r;

	keys = policy_attestation_keys(s->p, &n_keys);
	if (n_keys == 0)
		return FAIL(s, "ak-trusted", "the policy pins no attestation key: no AK is trusted");
	for (size_t i = 0; i < n_keys && !match; i++) {
		if (!keys[i].pkey || EVP_PKEY_eq(pk, keys[i].pkey) != 1)
			continue;
		if (!same_key)
			same_key = &keys[i];
		if (name_len && keys[i].name_len == name_len &&
		    memcmp(keys[i].name, name, name_len) == 0)
			match = &keys[i];
	}
	if (!same_key)
		return FAIL(s, "ak-trusted", "the AK is not one of the policy's %zu attestation keys", n_keys);
	if (!match && same_key->name_len == 0)
		return FAIL(s, "ak-trusted", "the policy pins attestation key '%s' by its public key alone, which does not bind its attributes: add its TPM name ($.attestation_keys[].name, as vmtrust policy init writes it)",
			    same_key->id);
	if (!match) {
		vt_hex_encode(name, name_len, hex);
		return FAIL(s, "ak-trusted", "ak.public is not the public area the policy pins for '%s': its name %s is not the policy's (its attributes or parameters were changed)",
			    same_key->id, name_len ? hex : "(none)");
	}
	r = check_ak_pem(s, pk, match->pem);
	if (r)
		return r < 0 ? r : 0;
	return OK(s, "ak-trusted", "the AK is the policy's attestation key '%s', its TPM name pinned",
		  match->id);
}

static int check_ak(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	TPMA_OBJECT attrs;
	char why_buf[256] = "";
	EVP_PKEY *pk = NULL;
	int r;

	if (unmarshal_public(e->ak_public, e->ak_public_len, &s->ak_public) < 0) {
		FAIL(s, "ak-trusted", "ak.public is not a marshalled TPM2B_PUBLIC (%zu bytes)",
		     e->ak_public_len);
		return FAIL(s, "ak-attributes", "not checked: ak.public is unreadable");
	}
	s->ak_entry = cache_get(CACHE_AK, e->ak_public, e->ak_public_len);
	if (s->ak_entry) {
		pk = s->ak_entry->ak;
	} else {
		uint8_t name[ATTEST_NAME_MAX];
		size_t name_len = 0;

		/* A name algorithm vmtrust does not know leaves no name: such a
		 * key matches no pinned name. */
		vt_log_capture(s->why, sizeof(s->why));
		r = attest_public_name(e->ak_public, e->ak_public_len, name, &name_len);
		vt_log_capture(NULL, 0);
		s->why[0] = '\0';
		if (r == -ENOMEM)
			return internal(s, r);
		if (r < 0)
			name_len = 0;
		pk = pinned_key(s, &s->ak_public.publicArea, name, name_len);
		r = pk ? 0 : ak_to_pkey(&s->ak_public.publicArea, &pk, why_buf, sizeof(why_buf));
		if (r == -ENOMEM)
			return internal(s, r);
		if (r < 0) {
			FAIL(s, "ak-trusted", "ak.public is not a usable key: %s", why_buf);
		} else {
			s->ak_entry = entry_new(e->ak_public, e->ak_public_len);
			if (!s->ak_entry) {
				EVP_PKEY_free(pk);
				return internal(s, -ENOMEM);
			}
			s->ak_entry->ak = pk;
			memcpy(s->ak_entry->name, name, name_len);
			s->ak_entry->name_len = name_len;
			cache_put(CACHE_AK, s->ak_entry);
		}
	}
	s->ak = pk;
	if (pk && !(s->flags & ATTEST_VERIFY_EVIDENCE_AK))
		check_ak_pinned(s, pk, s->ak_entry->name, s->ak_entry->name_len);
	else if (pk && check_ak_pem(s, pk, NULL) == 0)
		WARN(s, "ak-trusted", "not checked against the policy: the evidence's own AK, proven apart");

	/* A key that may sign any data could sign a forged TPMS_ATTEST; a key
	 * made outside the TPM, or that can leave it, may be known to others. */
	attrs = s->ak_public.publicArea.objectAttributes;
	if (!(attrs & TPMA_OBJECT_RESTRICTED) || !(attrs & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (attrs & TPMA_OBJECT_DECRYPT))
		return FAIL(s, "ak-attributes",
			    "the AK is not a restricted signing key (attributes 0x%08" PRIx32
			    "): it could sign a forged quote", attrs);
	if (!(attrs & TPMA_OBJECT_FIXEDTPM) || !(attrs & TPMA_OBJECT_SENSITIVEDATAORIGIN))
		return FAIL(s, "ak-attributes",
			    "the AK was not made in the TPM or can leave it (attributes 0x%08" PRIx32
			    ": fixedTPM and sensitiveDataOrigin needed)", attrs);
	return OK(s, "ak-attributes", "a restricted signing key, fixed to its TPM");
}

/* ---- the signature ---------------------------------------------------------- */

static int ecdsa_der(const TPMS_SIGNATURE_ECC *ecc, uint8_t *out, size_t out_size, size_t *ret_len)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(ecc->signatureR.buffer, ecc->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(ecc->signatureS.buffer, ecc->signatureS.size, NULL);
	uint8_t *p = out;
	int len;

	if (!sig || !r || !sv || ECDSA_SIG_set0(sig, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		return -ENOMEM;
	}
	len = i2d_ECDSA_SIG(sig, NULL);
	if (len <= 0 || (size_t)len > out_size)
		return -EBADMSG;
	len = i2d_ECDSA_SIG(sig, &p);
	if (len <= 0)
		return -ENOMEM;
	*ret_len = (size_t)len;
	return 0;
}

static int check_signature(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	uint8_t hash[VT_DIGEST_MAX], der[300];
	const uint8_t *sig;
	size_t off = 0, sig_len;
	TPMI_ALG_HASH halg;
	bool rsa = false;
	int padding = 0, r;

	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(e->signature, e->signature_len, &off, &s->sig) !=
		    TSS2_RC_SUCCESS ||
	    off != e->signature_len)
		return FAIL(s, "signature", "quote.signature is not a marshalled TPMT_SIGNATURE (%zu bytes)",
			    e->signature_len);
	switch (s->sig.sigAlg) {
	case TPM2_ALG_ECDSA:
		halg = s->sig.signature.ecdsa.hash;
		break;
	case TPM2_ALG_RSASSA:
		halg = s->sig.signature.rsassa.hash;
		rsa = true;
		padding = RSA_PKCS1_PADDING;
		break;
	case TPM2_ALG_RSAPSS:
		halg = s->sig.signature.rsapss.hash;
		rsa = true;
		padding = RSA_PKCS1_PSS_PADDING;
		break;
	default:
		return FAIL(s, "signature", "signature scheme 0x%04x is not supported (ecdsa, rsassa, rsapss)",
			    s->sig.sigAlg);
	}
	s->sig_hash = vt_hash_alg_by_tpm(halg);
	if (!s->sig_hash)
		return FAIL(s, "signature", "signature hash 0x%04x is not supported", halg);
	if (s->sig_hash->tpm_alg == TPM2_ALG_SHA1)
		return FAIL(s, "signature", "sha1 signatures are refused: quote with sha256 or stronger");
	if (!s->ak)
		return FAIL(s, "signature", "not checked: the AK is unusable");
	if (EVP_PKEY_is_a(s->ak, rsa ? "RSA" : "EC") != 1)
		return FAIL(s, "signature", "an %s signature cannot come from an %s AK",
			    rsa ? "rsa" : "ecdsa", rsa ? "ecc" : "rsa");
	if (rsa) {
		sig = s->sig.signature.rsassa.sig.buffer;
		sig_len = s->sig.signature.rsassa.sig.size;
	} else {
		r = ecdsa_der(&s->sig.signature.ecdsa, der, sizeof(der), &sig_len);
		if (r == -ENOMEM)
			return internal(s, r);
		if (r < 0)
			return FAIL(s, "signature", "the ecdsa signature is malformed");
		sig = der;
	}
	if (digest2(s->md, s->sig_hash, e->attest, e->attest_len, NULL, 0, hash) < 0)
		return internal(s, -ENOTRECOVERABLE);
	ctx = EVP_PKEY_CTX_new(s->ak, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md_of(s->sig_hash)) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, padding) != 1) ||
	    (padding == RSA_PKCS1_PSS_PADDING &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) != 1))
		return internal(s, -ENOTRECOVERABLE);
	if (EVP_PKEY_verify(ctx, sig, sig_len, hash, s->sig_hash->size) != 1)
		return FAIL(s, "signature", "the %s signature does not verify with the AK over quote.attest",
			    rsa ? (padding == RSA_PKCS1_PADDING ? "rsassa" : "rsapss") : "ecdsa");
	return OK(s, "signature", "%s with %s, verified with the AK",
		  rsa ? (padding == RSA_PKCS1_PADDING ? "rsassa" : "rsapss") : "ecdsa", s->sig_hash->name);
}

/* ---- the quote ---------------------------------------------------------------- */

static int check_attest(struct verify *s, const uint8_t *nonce, size_t nonce_len)
{
	const struct attest_evidence *e = s->e;
	const TPM2B_DATA *x;
	char got[2 * ATTEST_NONCE_MAX + 1], want[2 * ATTEST_NONCE_MAX + 1];
	size_t off = 0;

	if (Tss2_MU_TPMS_ATTEST_Unmarshal(e->attest, e->attest_len, &off, &s->attest) !=
		    TSS2_RC_SUCCESS ||
	    off != e->attest_len) {
		FAIL(s, "attest-magic", "quote.attest is not a marshalled TPMS_ATTEST (%zu bytes)",
		     e->attest_len);
		FAIL(s, "attest-type", "not checked: quote.attest is unreadable");
		return FAIL(s, "nonce", "not checked: quote.attest is unreadable");
	}
	if (s->attest.magic != TPM2_GENERATED_VALUE)
		FAIL(s, "attest-magic", "magic 0x%08" PRIx32 " is not TPM_GENERATED_VALUE (0x%08x): the TPM did not make this structure",
		     s->attest.magic, TPM2_GENERATED_VALUE);
	else
		OK(s, "attest-magic", "TPM_GENERATED_VALUE");
	if (s->attest.type != TPM2_ST_ATTEST_QUOTE) {
		FAIL(s, "attest-type", "type 0x%04x is not a quote (TPM_ST_ATTEST_QUOTE, 0x%04x)",
		     s->attest.type, TPM2_ST_ATTEST_QUOTE);
		return FAIL(s, "nonce", "not checked: quote.attest is not a quote");
	}
	OK(s, "attest-type", "TPM_ST_ATTEST_QUOTE");
	s->have_attest = true;

	x = &s->attest.extraData;
	vt_hex_encode(x->buffer, x->size, got);
	if (x->size != e->nonce_len || memcmp(x->buffer, e->nonce, e->nonce_len) != 0) {
		vt_hex_encode(e->nonce, e->nonce_len, want);
		return FAIL(s, "nonce", "the evidence's nonce '%s' is not the quote's '%s'", want, got);
	}
	if (!nonce && (s->flags & ATTEST_VERIFY_ALLOW_REPLAY))
		return WARN(s, "nonce", "not checked: no nonce was asked for (the quote's is '%s'), the evidence may be replayed",
			    got);
	if (!nonce)
		return FAIL(s, "nonce", "not checked: no nonce was asked for (the quote's is '%s'): the evidence may be a replay, and is not trusted unless replays are allowed",
			    got);
	if (nonce_len > ATTEST_NONCE_MAX)
		return FAIL(s, "nonce", "the nonce asked for has %zu bytes, more than %d", nonce_len,
			    ATTEST_NONCE_MAX);
	if (x->size != nonce_len || memcmp(x->buffer, nonce, nonce_len) != 0) {
		vt_hex_encode(nonce, nonce_len, want);
		return FAIL(s, "nonce", "the quote's nonce '%s' is not the one asked for '%s': replayed or stale evidence",
			    got, want);
	}
	return OK(s, "nonce", "the quote carries the nonce asked for");
}

/* Appends "sha256:0,7" style text for a set of PCRs to buf. */
static void append_pcrs(char *buf, size_t size, const char *bank, uint32_t mask)
{
	size_t len = strlen(buf);
	bool first = true;

	if (len + 1 >= size)
		return;
	snprintf(buf + len, size - len, "%s%s:", len ? " " : "", bank);
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++) {
		if (!(mask & (1u << i)))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%u", first ? "" : ",", i);
		first = false;
	}
}

/* The quote's pcrDigest is H(the selected PCR values, bank after bank in
 * the selection's order, PCRs ascending), H the signature's hash: the TPM
 * computes it so (Part 3, TPM2_Quote), and tpm2_checkquote checks it so. */
static int check_pcr_digest(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	const TPML_PCR_SELECTION *sel = &s->attest.attested.quote.pcrSelect;
	const TPM2B_DIGEST *want = &s->attest.attested.quote.pcrDigest;
	const struct policy_pcr_value *by[ALGS_MAX][POLICY_PCR_MAX] = { { NULL } };
	const struct vt_hash_alg *halg = s->sig_hash;
	uint32_t unquoted[ALGS_MAX] = { 0 };
	uint8_t got[VT_DIGEST_MAX];
	char list[256] = "";
	bool any_unquoted = false;

	if (!s->have_attest)
		return FAIL(s, "pcr-digest", "not checked: there is no readable quote");
	for (size_t i = 0; i < e->n_pcrs; i++) {
		const struct policy_pcr_value *pv = &e->pcrs[i];
		int a = alg_index(pv->alg);

		if (a < 0 || pv->pcr >= POLICY_PCR_MAX)
			return FAIL(s, "pcr-digest", "the evidence has a PCR value of an unknown bank");
		if (by[a][pv->pcr] && memcmp(by[a][pv->pcr]->value, pv->value, pv->alg->size) != 0)
			return FAIL(s, "pcr-digest", "the evidence has two values for %s:%u", pv->alg->name,
				    pv->pcr);
		by[a][pv->pcr] = pv;
		unquoted[a] |= 1u << pv->pcr;
	}
	if (!halg) {
		/* no readable signature: take the hash its size names */
		size_t n;
		const struct vt_hash_alg *t = vt_hash_algs(&n);

		for (size_t i = 0; i < n && !halg; i++)
			if (t[i].size == want->size)
				halg = &t[i];
		if (!halg)
			return FAIL(s, "pcr-digest", "pcrDigest has %u bytes, the size of no known hash",
				    want->size);
	}

	if (EVP_DigestInit_ex2(s->md, md_of(halg), NULL) != 1)
		return internal(s, -ENOTRECOVERABLE);
	if (sel->count == 0 || sel->count > TPM2_NUM_PCR_BANKS)
		return FAIL(s, "pcr-digest", "the quote selects %" PRIu32 " banks", sel->count);
	for (uint32_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *ps = &sel->pcrSelections[b];
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(ps->hash);
		int a = alg_index(alg);

		if (a < 0)
			return FAIL(s, "pcr-digest", "the quote selects bank 0x%04x, which vmtrust does not support",
				    ps->hash);
		if (s->quoted[a].mask)
			return FAIL(s, "pcr-digest", "the quote selects bank %s twice", alg->name);
		if (ps->sizeofSelect > TPM2_PCR_SELECT_MAX)
			return FAIL(s, "pcr-digest", "the quote's selection of %s has %u bytes", alg->name,
				    ps->sizeofSelect);
		for (unsigned pcr = 0; pcr < ps->sizeofSelect * 8u; pcr++) {
			if (!(ps->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			if (pcr >= POLICY_PCR_MAX)
				return FAIL(s, "pcr-digest", "the quote selects %s:%u, beyond the last PCR",
					    alg->name, pcr);
			if (!by[a][pcr])
				return FAIL(s, "pcr-digest", "the quote selects %s:%u, the evidence has no value for it",
					    alg->name, pcr);
			if (EVP_DigestUpdate(s->md, by[a][pcr]->value, alg->size) != 1)
				return internal(s, -ENOTRECOVERABLE);
			s->quoted[a].mask |= 1u << pcr;
			memcpy(s->quoted[a].value[pcr], by[a][pcr]->value, alg->size);
			unquoted[a] &= ~(1u << pcr);
		}
	}
	if (EVP_DigestFinal_ex(s->md, got, NULL) != 1)
		return internal(s, -ENOTRECOVERABLE);

	for (size_t a = 0; a < alg_count; a++)
		any_unquoted = any_unquoted || unquoted[a];
	/* The values stay in s->quoted: the checks that follow still compare
	 * them, for their reasons; the verdict is bad already. */
	if (want->size != halg->size || memcmp(want->buffer, got, halg->size) != 0)
		return FAIL(s, "pcr-digest", "the PCR values of the evidence do not hash to the quote's pcrDigest (%s): a value was changed",
			    halg->name);
	for (size_t a = 0; a < alg_count; a++)
		if (s->quoted[a].mask)
			append_pcrs(list, sizeof(list), alg_table[a].name, s->quoted[a].mask);
	OK(s, "pcr-digest", "the PCR values hash to the quote's pcrDigest (%s)", list);
	if (any_unquoted) {
		list[0] = '\0';
		for (size_t a = 0; a < alg_count; a++)
			if (unquoted[a])
				append_pcrs(list, sizeof(list), alg_table[a].name, unquoted[a]);
		WARN(s, "unquoted-pcrs", "ignored, not covered by the quote: %s", list);
	}
	return 0;
}

/* The policy's pcr_selection is the least a quote must cover: a quote that
 * leaves out a bank or a PCR of it proves nothing of what it left out, and
 * the host (or whoever made the evidence) chose what to leave out. */
static int check_pcr_selection(struct verify *s)
{
	const struct policy_pcr_bank *want;
	char missing[256] = "";
	size_t n;

	want = policy_quote_selection(s->p, &n);
	if (n == 0)
		return 0;
	if (!s->have_attest)
		return FAIL(s, "pcr-selection", "not checked: there is no readable quote");
	for (size_t i = 0; i < n; i++) {
		int a = alg_index(want[i].alg);
		uint32_t left = want[i].mask & ~(a < 0 ? 0 : s->quoted[a].mask);

		if (left)
			append_pcrs(missing, sizeof(missing), want[i].alg->name, left);
	}
	if (missing[0])
		return FAIL(s, "pcr-selection", "the quote does not cover %s of the policy's pcr_selection: what it leaves out is not proven",
			    missing);
	return OK(s, "pcr-selection", "the quote covers the policy's pcr_selection");
}

/* Replays one bank of a UEFI log, once per entry: every PCR from zero (PCR
 * 0 from the StartupLocality), each event but EV_NO_ACTION extending its
 * digest of that bank. */
static int uefi_replay_bank(EVP_MD_CTX *md, struct log_entry *e, int a)
{
	const struct vt_hash_alg *alg = &alg_table[a];
	const struct attest_event *events;
	int locality = attest_eventlog_startup_locality(e->uefi), r = 0;
	size_t n;

	pthread_mutex_lock(&cache_lock);
	if (e->banks_done & (1u << a))
		goto out;
	memset(e->pcr[a], 0, sizeof(e->pcr[a]));
	e->used[a] = 0;
	if (locality >= 0)
		e->pcr[a][0][alg->size - 1] = (uint8_t)locality;
	events = attest_eventlog_events(e->uefi, &n);
	for (size_t i = 0; i < n; i++) {
		const struct attest_event *ev = &events[i];

		if (ev->type == ATTEST_EV_NO_ACTION || ev->pcr >= POLICY_PCR_MAX)
			continue;
		for (size_t k = 0; k < ev->n_digests; k++) {
			const struct attest_event_digest *d = &ev->digests[k];
			uint8_t *v = e->pcr[a][ev->pcr];

			if (d->bank->alg != alg || d->bank->size != alg->size)
				continue;
			r = digest2(md, alg, v, alg->size, d->value, alg->size, v);
			if (r < 0)
				goto out;
			e->used[a] |= 1u << ev->pcr;
		}
	}
	e->banks_done |= 1u << a;
out:
	pthread_mutex_unlock(&cache_lock);
	return r;
}

/* ---- the UEFI event log ---------------------------------------------------------- */

#define UEFI_FIRMWARE_PCRS 0xffu        /* PCRs 0-7: the firmware's */

static int check_uefi_log(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	char bad[256] = "", good[256] = "";
	uint32_t bad_mask[ALGS_MAX] = { 0 }, good_mask[ALGS_MAX] = { 0 }, mismatched = 0;
	uint32_t in_log = 0, no_events = 0;
	struct log_entry *le;
	size_t compared = 0;
	int r;

	if (!e->uefi_log)
		return 0;
	le = cache_get(CACHE_UEFI, e->uefi_log, e->uefi_log_len);
	if (!le) {
		le = entry_new(e->uefi_log, e->uefi_log_len);
		if (!le)
			return internal(s, -ENOMEM);
		vt_log_capture(s->why, sizeof(s->why));
		r = attest_eventlog_parse("$.uefi_eventlog", e->uefi_log, e->uefi_log_len, &le->uefi);
		vt_log_capture(NULL, 0);
		if (r < 0) {
			entry_free(le);
			if (r == -ENOMEM)
				return internal(s, r);
			return FAIL(s, "uefi-log", "%s", why(s, r));
		}
		cache_put(CACHE_UEFI, le);
	}
	s->uefi_entry = le;
	s->uefi = le->uefi;

	/* Digests of an algorithm vmtrust cannot compute are neither replayed
	 * nor checked: what they would prove cannot be known. */
	{
		const struct attest_eventlog_alg *algs;
		const struct attest_event *events;
		size_t n_algs, n_events;

		algs = attest_eventlog_algs(le->uefi, &n_algs);
		for (size_t k = 0; k < n_algs; k++)
			if (!algs[k].alg || alg_index(algs[k].alg) < 0)
				return FAIL(s, "uefi-log", "the log's digests of algorithm 0x%04x cannot be checked: vmtrust knows sha1, sha256, sha384 and sha512 only",
					    algs[k].alg_id);
		/* An event that leaves a bank out extends nothing in it: that
		 * bank's replay would vouch for a log it never saw. The parser
		 * refuses a bank twice, so a count is the set. */
		events = attest_eventlog_events(le->uefi, &n_events);
		for (size_t i = attest_eventlog_is_crypto_agile(le->uefi) ? 1 : 0; i < n_events; i++)
			if (events[i].n_digests != n_algs)
				return FAIL(s, "uefi-log", "event %" PRIu32 " (pcr %" PRIu32 ") carries %zu digests, not one for each of the %zu banks of the log's header",
					    events[i].index, events[i].pcr, events[i].n_digests, n_algs);
	}

	/* Each quoted firmware PCR (0-7) of a bank the log has must replay
	 * from the log, those it never extends included (they must still
	 * hold their start value): a log that leaves a quoted PCR out would
	 * otherwise hide what the firmware measured there. */
	{
		const struct attest_eventlog_alg *algs;
		size_t n_algs;

		algs = attest_eventlog_algs(le->uefi, &n_algs);
		for (size_t k = 0; k < n_algs; k++)
			in_log |= 1u << alg_index(algs[k].alg);
	}
	for (size_t a = 0; a < alg_count; a++) {
		uint32_t both;

		if (!s->quoted[a].mask)
			continue;
		if (uefi_replay_bank(s->md, le, (int)a) < 0)
			return internal(s, -ENOTRECOVERABLE);
		both = (le->used[a] | ((in_log & (1u << a)) ? UEFI_FIRMWARE_PCRS : 0)) & s->quoted[a].mask;
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			uint32_t bit = 1u << pcr;

			if (!(both & bit))
				continue;
			compared++;
			if (memcmp(le->pcr[a][pcr], s->quoted[a].value[pcr], alg_table[a].size) != 0) {
				bad_mask[a] |= bit;
				mismatched |= bit;
				if (!(le->used[a] & bit))
					no_events |= bit;
			} else {
				good_mask[a] |= bit;
			}
		}
	}
	for (size_t a = 0; a < alg_count; a++) {
		if (bad_mask[a])
			append_pcrs(bad, sizeof(bad), alg_table[a].name, bad_mask[a]);
		if (good_mask[a])
			append_pcrs(good, sizeof(good), alg_table[a].name, good_mask[a]);
	}
	if (no_events) {
		char pcrs[64] = "";

		append_pcrs(pcrs, sizeof(pcrs), "pcr", no_events);
		return FAIL(s, "uefi-log", "the log's replay differs from the quoted %s: the log has no events for %s, which the quote shows extended",
			    bad, pcrs);
	}
	if (mismatched)
		return FAIL(s, "uefi-log", "the log's replay differs from the quoted %s: the log was changed or is not this boot's",
			    bad);
	memcpy(s->uefi_proven, good_mask, sizeof(s->uefi_proven));
	s->uefi_ok = true;
	if (compared == 0)
		return WARN(s, "uefi-log", "the log proves nothing: none of the PCRs it extends is quoted");
	return OK(s, "uefi-log", "the log replays to the quoted %s", good);
}

/* The Secure Boot state is taken only from PCR 7, which must be quoted and
 * replay from the log in at least one bank; the events are judged in the
 * banks that prove PCR 7 (attest_eventlog_secure_boot_in has the rule). */
static int check_secure_boot(struct verify *s)
{
	enum policy_secure_boot want = policy_secure_boot(s->p);
	const char *want_text = want == POLICY_SECURE_BOOT_REQUIRED ? "on" : "off";
	const struct vt_hash_alg *proven[ALGS_MAX];
	size_t n_proven = 0;
	bool quoted = false;
	int r;

	if (want == POLICY_SECURE_BOOT_ANY)
		return 0;
	if (!s->e->uefi_log)
		return FAIL(s, "secure-boot", "the evidence has no UEFI event log, the policy requires secure boot %s",
			    want_text);
	for (size_t a = 0; a < alg_count; a++)
		quoted = quoted || (s->quoted[a].mask & (1u << ATTEST_SECURE_BOOT_PCR));
	if (!quoted)
		return FAIL(s, "secure-boot", "pcr 7 is not in the quote: nothing proves the Secure Boot configuration, the policy requires secure boot %s",
			    want_text);
	if (!s->uefi || !s->uefi_ok)
		return FAIL(s, "secure-boot", "not checked: the UEFI event log is unreadable or does not replay to the quote");
	for (size_t a = 0; a < alg_count; a++)
		if (s->uefi_proven[a] & (1u << ATTEST_SECURE_BOOT_PCR))
			proven[n_proven++] = &alg_table[a];
	if (n_proven == 0)
		return FAIL(s, "secure-boot", "pcr 7 is quoted in no bank of the UEFI event log: nothing proves the Secure Boot configuration");
	vt_log_capture(s->why, sizeof(s->why));
	r = attest_eventlog_secure_boot_in(s->uefi, proven, n_proven);
	vt_log_capture(NULL, 0);
	if (r == -ENOMEM)
		return internal(s, r);
	if (r == -ENOENT)
		return FAIL(s, "secure-boot", "%s, the policy requires secure boot %s", why(s, r), want_text);
	if (r < 0)
		return FAIL(s, "secure-boot", "%s", why(s, r));
	if ((r == 1) != (want == POLICY_SECURE_BOOT_REQUIRED))
		return FAIL(s, "secure-boot", "secure boot is %s, the policy requires it %s",
			    r ? "on" : "off", want_text);
	return OK(s, "secure-boot", "secure boot is %s, as the policy requires", want_text);
}

/* ---- the measurement log ----------------------------------------------------------- */

static int check_mlog_replay(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	unsigned pcr = policy_measurement_pcr(s->p);
	size_t n_refs, n;
	char all[128] = "", pending[128] = "", bad[128] = "";
	uint32_t any = 0;
	int r;

	policy_references(s->p, &n_refs);
	if (!e->mlog) {
		if (n_refs > 0)
			return FAIL(s, "measurement-log", "the evidence has no measurement log, the policy names %zu reference values",
				    n_refs);
		return 0;
	}
	s->mlog_entry = cache_get(CACHE_MLOG, e->mlog, e->mlog_len);
	if (!s->mlog_entry) {
		struct log_entry *le = entry_new(e->mlog, e->mlog_len);

		if (!le)
			return internal(s, -ENOMEM);
		vt_log_capture(s->why, sizeof(s->why));
		r = attest_mlog_parse("$.measurement_log", e->mlog, e->mlog_len, &le->mlog);
		vt_log_capture(NULL, 0);
		if (r < 0) {
			entry_free(le);
			if (r == -ENOMEM || r == -ENOTRECOVERABLE)
				return internal(s, r);
			return FAIL(s, "measurement-log", "%s", why(s, r));
		}
		cache_put(CACHE_MLOG, le);
		s->mlog_entry = le;
	}
	s->mlog = s->mlog_entry->mlog;
	n = attest_mlog_count(s->mlog);
	for (size_t i = 0; i < n; i++) {
		const struct attest_record *rec = attest_mlog_record(s->mlog, i);

		if (rec->pcr != pcr) {
			s->mlog = NULL;
			return FAIL(s, "measurement-log", "record %" PRIu64 " ('%s') extends pcr %u, not the policy's measurement pcr %u",
				    rec->recnum, rec->path, rec->pcr, pcr);
		}
	}
	s->n_measured = n;

	/* Each quoted bank of the measurement PCR judges the log alone: a
	 * record is evidence only through the banks that replay. */
	for (size_t a = 0; a < alg_count; a++) {
		size_t at = 0;

		if (!(s->quoted[a].mask & (1u << pcr)))
			continue;
		any |= 1u << a;
		r = attest_mlog_judge(s->mlog, pcr, &alg_table[a], s->quoted[a].value[pcr], &at);
		if (r < 0)
			return internal(s, r);
		if (r == ATTEST_MLOG_UNPROVEN) {
			const struct attest_record *rec = attest_mlog_record(s->mlog, at);

			return FAIL(s, "measurement-log", "record %" PRIu64 " ('%s') has no %s digest, a bank the quote covers: nothing proves it",
				    rec->recnum, rec->path, alg_table[a].name);
		}
		append_pcrs(r == ATTEST_MLOG_REPLAYS ? all : r == ATTEST_MLOG_PENDING ? pending : bad,
			    sizeof(all), alg_table[a].name, 1u << pcr);
	}
	if (!any)
		return FAIL(s, "measurement-log", "pcr %u (the policy's measurement pcr) is not in the quote's selection: the log proves nothing",
			    pcr);
	if (bad[0])
		return FAIL(s, "measurement-log", "the replay of %zu records differs from the quoted %s: a record was changed, removed, reordered or added",
			    n, bad);
	if (pending[0] && all[0])
		return FAIL(s, "measurement-log", "the banks disagree: %s has every record, %s all but the last",
			    all, pending);
	s->mlog_banks = any;
	s->mlog_bound = true;
	if (pending[0]) {
		const struct attest_record *last = attest_mlog_record(s->mlog, n - 1);

		s->n_measured = n - 1;
		return WARN(s, "measurement-log", "the last record (%" PRIu64 ", '%s') is pending: its extend is not in the quoted %s, so it counts as not measured",
			    last->recnum, last->path, pending);
	}
	return OK(s, "measurement-log", "%zu records replay to the quoted %s", n, all);
}

struct rec_ref {
	const struct attest_record *rec;
	size_t idx;
};

static int cmp_rec_path(const void *x, const void *y)
{
	const struct rec_ref *a = x, *b = y;
	int c = strcmp(a->rec->path, b->rec->path);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_ref_path(const void *x, const void *y)
{
	const struct policy_reference *const *a = x, *const *b = y;

	return strcmp((*a)->path, (*b)->path);
}

static int cmp_key_ref(const void *key, const void *y)
{
	const struct policy_reference *const *b = y;

	return strcmp(key, (*b)->path);
}

/* One record against its reference, in the banks that prove the record
 * alone (banks, by alg_index()): 1 when it shares at least one of them with
 * the reference and in each one shared its digest is a reference value; 0
 * (reason set) when not. A digest in a bank nothing proves says nothing. */
static int record_matches(const struct attest_record *rec, const struct policy_reference *ref,
			  uint32_t banks, const char *pending, char *reason, size_t size)
{
	char hex[2 * VT_DIGEST_MAX + 1];
	size_t common = 0;

	for (size_t k = 0; k < rec->n_digests; k++) {
		const struct policy_digest *fd = &rec->file_digests[k];
		int a = alg_index(fd->alg);
		bool listed = false, found = false;

		if (a < 0 || !(banks & (1u << a)))
			continue;
		for (size_t j = 0; j < ref->n_digests; j++) {
			if (ref->digests[j].alg != fd->alg)
				continue;
			listed = true;
			found = found || memcmp(ref->digests[j].value, fd->value, fd->alg->size) == 0;
		}
		if (!listed)
			continue;
		common++;
		if (!found) {
			vt_hex_encode(fd->value, fd->alg->size, hex);
			snprintf(reason, size, "record %" PRIu64 "%s: %s digest %s is not a reference value for '%s'",
				 rec->recnum, pending, fd->alg->name, hex, rec->path);
			return 0;
		}
	}
	if (common == 0) {
		snprintf(reason, size, "record %" PRIu64 "%s: no digest in a bank that the quote proves and the reference values of '%s' list",
			 rec->recnum, pending, rec->path);
		return 0;
	}
	return 1;
}

struct path_result {
	size_t first;                   /* the index of its first record */
	const char *path;
	bool ok;
	size_t n_records;               /* measured ones: a pending record is not */
	char reason[REASON_MAX / 2];
};

static int cmp_result_first(const void *x, const void *y)
{
	const struct path_result *a = x, *b = y;

	return (a->first > b->first) - (a->first < b->first);
}

/* Each measured file against the reference values of its path, in the
 * banks that prove the log. A pending last record counts as not measured,
 * but one the policy would not trust (an unknown file, a digest that is no
 * reference value) still fails: the host was measuring it. */
static int check_references(struct verify *s)
{
	const struct policy_reference *refs = NULL;
	_cleanup_(freep) const struct policy_reference **sorted = NULL;
	_cleanup_(freep) struct rec_ref *recs = NULL;
	_cleanup_(freep) struct path_result *results = NULL;
	_cleanup_(freep) bool *measured = NULL;
	size_t n_refs = 0, n, n_results = 0, n_files = 0;
	const struct attest_record *pending = NULL;

	refs = policy_references(s->p, &n_refs);
	if (!s->mlog)
		return 0;
	/* A log that does not replay proves no record: no file was measured. */
	n = s->mlog_bound ? attest_mlog_count(s->mlog) : 0;
	if (s->mlog_bound && n > s->n_measured)
		pending = attest_mlog_record(s->mlog, s->n_measured);
	sorted = calloc(n_refs ? n_refs : 1, sizeof(*sorted));
	measured = calloc(n_refs ? n_refs : 1, sizeof(*measured));
	recs = calloc(n ? n : 1, sizeof(*recs));
	results = calloc(n ? n : 1, sizeof(*results));
	if (!sorted || !measured || !recs || !results)
		return internal(s, -ENOMEM);
	for (size_t i = 0; i < n_refs; i++)
		sorted[i] = &refs[i];
	qsort(sorted, n_refs, sizeof(*sorted), cmp_ref_path);
	/* Event records (launch decisions, audits) extend the PCR too, but
	 * name no file: the replay covers them, the reference values do not. */
	for (size_t i = 0; i < n; i++) {
		const struct attest_record *rec = attest_mlog_record(s->mlog, i);

		if (rec->kind != ATTEST_RECORD_FILE)
			continue;
		recs[n_files].rec = rec;
		recs[n_files].idx = i;
		n_files++;
	}
	n = n_files;
	qsort(recs, n, sizeof(*recs), cmp_rec_path);

	for (size_t i = 0; i < n;) {
		struct path_result *res = &results[n_results++];
		const struct policy_reference *const *hit;
		size_t j = i;

		memset(res, 0, sizeof(*res));
		res->path = recs[i].rec->path;
		res->first = recs[i].idx;
		res->ok = true;
		hit = n_refs ? bsearch(res->path, sorted, n_refs, sizeof(*sorted), cmp_key_ref) : NULL;
		for (; j < n && strcmp(recs[j].rec->path, res->path) == 0; j++) {
			bool is_pending = recs[j].rec == pending;
			const char *tag = is_pending ? ", pending" : "";

			if (!is_pending)
				res->n_records++;
			if (!hit) {
				res->ok = false;
				snprintf(res->reason, sizeof(res->reason),
					 "unknown component: '%s' (record %" PRIu64 "%s) is not in the policy's reference values",
					 res->path, recs[j].rec->recnum, tag);
			} else if (res->ok && !record_matches(recs[j].rec, *hit, s->mlog_banks, tag,
							      res->reason, sizeof(res->reason))) {
				res->ok = false;
			}
		}
		if (hit && res->n_records > 0)
			measured[*hit - refs] = true;
		if (res->ok && res->n_records == 0)
			n_results--;    /* only a pending record the policy trusts: nothing to say */
		else if (res->ok && res->n_records == 1)
			snprintf(res->reason, sizeof(res->reason), "record %" PRIu64 ": a reference digest",
				 recs[i].rec->recnum);
		else if (res->ok)
			snprintf(res->reason, sizeof(res->reason), "%zu records, each with a reference digest",
				 res->n_records);
		i = j;
	}
	qsort(results, n_results, sizeof(*results), cmp_result_first);
	for (size_t i = 0; i < n_results; i++)
		add_check2(s, results[i].ok ? ATTEST_CHECK_OK : ATTEST_CHECK_FAILED, "reference:",
			   results[i].path, "%s", results[i].reason);
	for (size_t i = 0; i < n_refs; i++) {
		const char *path = refs[i].path;

		if (!refs[i].required)
			continue;
		if (measured[i])
			add_check2(s, ATTEST_CHECK_OK, "required:", path, "measured");
		else if (pending && pending->kind == ATTEST_RECORD_FILE && strcmp(pending->path, path) == 0)
			add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required, its only record is pending", path);
		else if (!s->mlog_bound)
			add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required and was not measured: the measurement log proves nothing", path);
		else
			add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required and was not measured", path);
	}
	return 0;
}

/* ---- the host audit ------------------------------------------------------------------ */

/* The digest an event record extends (attest_event_record_digest), in
 * rec's bank k, recomputed from the data: 1 when it is the record's, 0 when
 * not. */
static int event_digest_matches(const struct attest_record *rec, size_t k, const void *data,
				size_t len)
{
	const struct vt_hash_alg *alg = rec->digests[k].alg;
	struct policy_digest content = { .alg = alg }, digest;

	if (!md_of(alg) || EVP_Digest(data, len, content.value, NULL, md_of(alg), NULL) != 1 ||
	    attest_event_record_digest(rec->event_type, rec->path, len, &content, &digest) < 0)
		return -ENOTRECOVERABLE;
	return memcmp(digest.value, rec->digests[k].value, alg->size) == 0;
}

/* The evidence's host audit must be what the log's last host-audit event
 * measured, that record must count as measured, and the audit must satisfy
 * the policy's host section. */
static int check_host_audit(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	const struct attest_record *rec = NULL;
	const struct attest_audit_check *c;
	size_t n_req = 0, n_mv = 0, n_checks, idx = 0, count[3] = { 0 };
	char reason[REASON_MAX / 2];
	int r;

	policy_host_required_checks(s->p, &n_req);
	policy_host_min_versions(s->p, &n_mv);
	for (size_t i = attest_mlog_count(s->mlog); i > 0 && !rec; i--) {
		const struct attest_record *x = attest_mlog_record(s->mlog, i - 1);

		if (x->kind == ATTEST_RECORD_EVENT && strcmp(x->event_type, ATTEST_HOST_AUDIT_EVENT) == 0) {
			rec = x;
			idx = i - 1;
		}
	}
	if (!e->host_audit) {
		if (n_req + n_mv == 0)
			return 0;
		if (rec)
			return FAIL(s, "host-audit", "the policy requires %zu host audit checks, the evidence has no host audit, though the measurement log has one (record %" PRIu64 "): the host lost or changed its copy",
				    n_req + n_mv, rec->recnum);
		return FAIL(s, "host-audit", "the policy requires %zu host audit checks, the evidence has no host audit (measure one on the host: vmtrust host audit --measure)",
			    n_req + n_mv);
	}
	if (!e->mlog)
		return FAIL(s, "host-audit", "not checked: the evidence has a host audit but no measurement log to prove it");
	if (!s->mlog_bound)
		return FAIL(s, "host-audit", "not checked: the measurement log does not replay to the quote, so it proves no host audit");
	if (!rec)
		return FAIL(s, "host-audit", "the measurement log has no host-audit record: the host audit in the evidence was not measured");
	if (rec->size != e->host_audit_len)
		return FAIL(s, "host-audit", "the host audit is not the data of record %" PRIu64 ", the last host-audit record: %zu bytes, the record measured %" PRIu64,
			    rec->recnum, e->host_audit_len, rec->size);
	for (size_t k = 0; k < rec->n_digests; k++) {
		r = event_digest_matches(rec, k, e->host_audit, e->host_audit_len);
		if (r < 0)
			return internal(s, r);
		if (r == 0)
			return FAIL(s, "host-audit", "the host audit is not the data of record %" PRIu64 ", the last host-audit record: its %s event digest differs (the audit was changed, or is another one)",
				    rec->recnum, rec->digests[k].alg->name);
	}
	if (idx >= s->n_measured)
		return FAIL(s, "host-audit", "record %" PRIu64 " of the host audit is pending: its extend is not in the quote, so the audit is not measured",
			    rec->recnum);

	vt_log_capture(s->why, sizeof(s->why));
	r = attest_audit_parse("$.host_audit", e->host_audit, e->host_audit_len, &a);
	if (r >= 0)
		r = attest_audit_evaluate(a, s->p, reason, sizeof(reason));
	vt_log_capture(NULL, 0);
	if (r == -ENOMEM)
		return internal(s, r);
	if (r < 0)
		return FAIL(s, "host-audit", "%s", why(s, r));
	c = attest_audit_checks(a, &n_checks);
	for (size_t i = 0; i < n_checks; i++)
		count[c[i].status]++;
	if (r == 0)
		return FAIL(s, "host-audit", "the host audit of record %" PRIu64 " does not satisfy the policy: %s",
			    rec->recnum, reason);
	if (n_req + n_mv > 0)
		return OK(s, "host-audit", "record %" PRIu64 ": the policy's %zu required checks pass (%zu pass, %zu fail, %zu unknown)",
			  rec->recnum, n_req + n_mv, count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_FAIL],
			  count[ATTEST_AUDIT_UNKNOWN]);
	if (count[ATTEST_AUDIT_FAIL] > 0) {
		reason[0] = '\0';
		for (size_t i = 0, len = 0; i < n_checks && len < sizeof(reason); i++)
			if (c[i].status == ATTEST_AUDIT_FAIL)
				len += (size_t)snprintf(reason + len, sizeof(reason) - len, "%s%s",
							len ? ", " : "", c[i].id);
		return WARN(s, "host-audit", "record %" PRIu64 ": %zu checks fail (%s); the policy requires none",
			    rec->recnum, count[ATTEST_AUDIT_FAIL], reason);
	}
	return OK(s, "host-audit", "record %" PRIu64 ": %zu pass, 0 fail, %zu unknown; the policy requires none",
		  rec->recnum, count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_UNKNOWN]);
}

/* ---- expected PCR values ------------------------------------------------------------- */

static int check_pcr_values(struct verify *s)
{
	const struct policy_pcr_value *want;
	size_t n;
	char name[64], a_hex[2 * VT_DIGEST_MAX + 1], b_hex[2 * VT_DIGEST_MAX + 1];

	want = policy_pcr_values(s->p, &n);
	for (size_t i = 0; i < n; i++) {
		int a = alg_index(want[i].alg);

		snprintf(name, sizeof(name), "pcr-value:%s:%u", want[i].alg->name, want[i].pcr);
		if (a < 0 || want[i].pcr >= POLICY_PCR_MAX || !(s->quoted[a].mask & (1u << want[i].pcr))) {
			FAIL(s, name, "not covered by the quote: the policy expects a value for %s:%u",
			     want[i].alg->name, want[i].pcr);
			continue;
		}
		if (memcmp(s->quoted[a].value[want[i].pcr], want[i].value, want[i].alg->size) != 0) {
			vt_hex_encode(s->quoted[a].value[want[i].pcr], want[i].alg->size, a_hex);
			vt_hex_encode(want[i].value, want[i].alg->size, b_hex);
			FAIL(s, name, "the quoted value %s is not the policy's %s", a_hex, b_hex);
			continue;
		}
		OK(s, name, "the quoted value is the policy's");
	}
	return 0;
}

/* ---- the whole --------------------------------------------------------------------- */

int attest_verify(const struct policy *p, const struct attest_evidence *e, const uint8_t *nonce,
		  size_t nonce_len, struct attest_verdict **ret)
{
	return attest_verify_flags(p, e, nonce, nonce_len, 0, ret);
}

int attest_verify_flags(const struct policy *p, const struct attest_evidence *e,
			const uint8_t *nonce, size_t nonce_len, unsigned flags,
			struct attest_verdict **ret)
{
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	_cleanup_(freep) struct verify *s = NULL;
	int r;

	if (!p || !e || !ret)
		return -EINVAL;
	pthread_once(&md_once, md_init);
	for (size_t i = 0; i < alg_count; i++)
		if (!attest_md(&alg_table[i]))
			return vt_log_errno(ENOTRECOVERABLE, "cannot verify: openssl has no %s",
						alg_table[i].name);
	v = calloc(1, sizeof(*v));
	s = calloc(1, sizeof(*s));
	if (!v || !s)
		return -ENOMEM;
	s->p = p;
	s->e = e;
	s->v = v;
	s->flags = flags;
	s->md = EVP_MD_CTX_new();
	if (!s->md)
		return -ENOMEM;

	check_ak(s);
	check_signature(s);
	check_attest(s, nonce, nonce_len);
	check_pcr_digest(s);
	check_pcr_selection(s);
	check_uefi_log(s);
	check_secure_boot(s);
	check_mlog_replay(s);
	check_references(s);
	check_pcr_values(s);
	check_host_audit(s);

	r = s->err;
	verdict_finish(v);
	EVP_MD_CTX_free(s->md);
	entry_unref(s->ak_entry);
	entry_unref(s->uefi_entry);
	entry_unref(s->mlog_entry);
	if (r < 0)
		return vt_log_errno(-r, "cannot verify evidence: %s", strerror(-r));
	*ret = TAKE_PTR(v);
	return 0;
}

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

		append_pcrs(buf, size, alg ? alg->name : "?", sel_mask(&sel->pcrSelections[b]));
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
	if (unmarshal_public(in->ak_public.data, in->ak_public.len, pub) < 0)
		return vt_log_errno(EBADMSG, "AK '%s' is not a marshalled TPM2B_PUBLIC (tpm2_createak -u FILE)",
					in->ak_public.name);
	r = ak_to_pkey(&pub->publicArea, &pk, why_buf, sizeof(why_buf));
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
