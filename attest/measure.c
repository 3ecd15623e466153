/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hypervisor measurement log: TCG Canonical Event Log records in JSON,
 * one per line, appended under a lock, each written and fsync'ed before its
 * digests are extended into the TPM (a write-ahead log). A record whose
 * extend never happened (a crash, the TPM gone) can only be the last one:
 * the next measurement completes it, and a verifier accepts it as pending.
 *
 * What is extended binds the path to the content: for each bank,
 * H("vmtrust-file-v1" NUL path NUL size-le64 H(content)).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest.h"
#include "tpm-internal.h"

#define RECORD_TAG "vmtrust-file-v1"
#define EVENT_TAG "vmtrust-event-v1"
#define EVENT_TYPE_MAX 64
#define READ_CHUNK (1024 * 1024)

struct attest_mlog {
	char *name;           /* for messages */
	struct attest_record *records;
	size_t n;
	size_t valid_len;     /* bytes up to the end of the last whole line */
};


static void record_done(struct attest_record *rec)
{
	free(rec->path);
	free(rec->event_type);
	rec->path = NULL;
	rec->event_type = NULL;
}

void attest_mlog_free(struct attest_mlog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++)
		record_done(&log->records[i]);
	free(log->records);
	free(log->name);
	free(log);
}

size_t attest_mlog_count(const struct attest_mlog *log)
{
	return log ? log->n : 0;
}

const struct attest_record *attest_mlog_record(const struct attest_mlog *log, size_t i)
{
	return log && i < log->n ? &log->records[i] : NULL;
}

static void le64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

#define MD_MAX 8                        /* entries of vt_hash_algs() */

static const struct vt_hash_alg *md_algs;
static size_t md_count;
static EVP_MD *md_fetched[MD_MAX];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
	md_algs = vt_hash_algs(&md_count);
	if (md_count > MD_MAX)
		md_count = MD_MAX;
	for (size_t i = 0; i < md_count; i++)
		md_fetched[i] = EVP_MD_fetch(NULL, md_algs[i].ossl, NULL);
}

const EVP_MD *attest_md(const struct vt_hash_alg *alg)
{
	pthread_once(&md_once, md_init);
	if (!alg || alg < md_algs || alg >= md_algs + md_count)
		return NULL;
	return md_fetched[alg - md_algs];
}

/* H(tag NUL [type NUL] name NUL size-le64 H(content)) in the content
 * digest's bank, with the context md. */
static int record_digest_md(EVP_MD_CTX *md, const char *event_type, const char *name, uint64_t size,
			    const struct policy_digest *content, struct policy_digest *ret)
{
	const char *tag = event_type ? EVENT_TAG : RECORD_TAG;
	uint8_t size_le[8];
	unsigned len = 0;
	int ok;

	le64(size_le, size);
	ok = attest_md(content->alg) && EVP_DigestInit_ex2(md, attest_md(content->alg), NULL) == 1 &&
	     EVP_DigestUpdate(md, tag, strlen(tag) + 1) == 1 &&
	     (!event_type || EVP_DigestUpdate(md, event_type, strlen(event_type) + 1) == 1) &&
	     EVP_DigestUpdate(md, name, strlen(name) + 1) == 1 &&
	     EVP_DigestUpdate(md, size_le, sizeof(size_le)) == 1 &&
	     EVP_DigestUpdate(md, content->value, content->alg->size) == 1 &&
	     EVP_DigestFinal_ex(md, ret->value, &len) == 1 && len == content->alg->size;
	if (!ok)
		return -ENOTRECOVERABLE;
	ret->alg = content->alg;
	return 0;
}

static int record_digest(const char *event_type, const char *name, uint64_t size,
			 const struct policy_digest *content, struct policy_digest *ret)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r;

	if (!md)
		return -ENOMEM;
	r = record_digest_md(md, event_type, name, size, content, ret);
	EVP_MD_CTX_free(md);
	return r;
}

int attest_record_event_digest(const char *path, uint64_t size, const struct policy_digest *file,
			       struct policy_digest *ret)
{
	return record_digest(NULL, path, size, file, ret);
}

int attest_event_record_digest(const char *event_type, const char *description, uint64_t size,
			       const struct policy_digest *data, struct policy_digest *ret)
{
	return record_digest(event_type, description, size, data, ret);
}

/* ---- parsing ---- */

static int rec_fault(const char *name, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rec_fault(const char *name, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vt_log_errno(EBADMSG, "measurement log '%s': record on line %zu: %s", name, line,
				msg);
}

static bool valid_event_type(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > EVENT_TYPE_MAX)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '-'))
			return false;
	return true;
}

/* ---- one record, read in one strict pass (vt_json_walk) ----------------------- */

#define REC_LIST_MAX (ATTEST_RECORD_BANKS_MAX + 1)   /* one more: "too many" */

/* A value of the record as the text has it, judged after the walk. */
struct rec_value {
	int type;               /* -1: absent; else enum vt_json_type */
	bool integer;           /* a number without fraction or exponent */
	bool negative;
	uint64_t u;             /* an integer's magnitude */
	size_t str;             /* a string: its offset in the line's strings */
};

/* Where a value sits in a record. */
enum rec_place {
	IN_OTHER,               /* inside a value no field reads */
	IN_TOP,
	IN_DIGESTS,             /* the array $.digests */
	IN_DIGEST,              /* an object of $.digests[] */
	IN_CONTENT,
	IN_CONTENT_DIGESTS,     /* the object $.content.digests */
};

struct rec_read {
	enum rec_place place[32];               /* by depth: what the open level is */
	bool top_object, unknown_top, unknown_content;
	struct rec_value recnum, pcr, content_type, digests, content;
	struct rec_value path, description, type, size, fdigests;
	size_t n_digests, n_fdigests;
	struct rec_digest {
		int type;
		bool unknown;
		struct rec_value alg, digest;
	} digest[REC_LIST_MAX];
	struct {
		size_t name;            /* the key, in the line's strings */
		struct rec_value value;
	} fdigest[REC_LIST_MAX];
	char *strings;                          /* the line's decoded strings */
	size_t strings_len, strings_cap;
};

static int rec_string(struct rec_read *rr, const char *s, size_t len, size_t *ret)
{
	if (rr->strings_len + len + 1 > rr->strings_cap) {
		size_t cap = rr->strings_cap ? rr->strings_cap : 1024;
		char *n;

		while (cap < rr->strings_len + len + 1)
			cap *= 2;
		n = realloc(rr->strings, cap);
		if (!n)
			return -ENOMEM;
		rr->strings = n;
		rr->strings_cap = cap;
	}
	memcpy(rr->strings + rr->strings_len, s, len);
	rr->strings[rr->strings_len + len] = '\0';
	*ret = rr->strings_len;
	rr->strings_len += len + 1;
	return 0;
}

static const char *rec_str(const struct rec_read *rr, const struct rec_value *v)
{
	return v->type == VT_JSON_STRING ? rr->strings + v->str : NULL;
}

static int rec_take(struct rec_read *rr, struct rec_value *v, const struct vt_json_token *t)
{
	v->type = (int)t->type;
	if (t->type == VT_JSON_STRING)
		return rec_string(rr, t->value, t->value_len, &v->str);
	if (t->type == VT_JSON_NUMBER) {
		size_t i = 0;

		v->negative = t->value[0] == '-';
		v->integer = true;
		v->u = 0;
		for (i = v->negative; i < t->value_len; i++) {
			unsigned d = (unsigned char)t->value[i] - '0';

			if (d > 9) {
				v->integer = false;     /* a fraction or an exponent */
				break;
			}
			v->u = v->u > (UINT64_MAX - d) / 10 ? UINT64_MAX : v->u * 10 + d;
		}
	}
	return 0;
}

/* The keys of one level of a record: where each one's value goes (an
 * offset in base, the level's struct), and what its members are. */
struct rec_key {
	const char *key;
	size_t off;
	enum rec_place inner;
};

#define TOP(k, f, in) { k, offsetof(struct rec_read, f), in }
static const struct rec_key top_keys[] = {
	TOP("recnum", recnum, IN_OTHER), TOP("pcr", pcr, IN_OTHER),
	TOP("content_type", content_type, IN_OTHER), TOP("digests", digests, IN_DIGESTS),
	TOP("content", content, IN_CONTENT), { NULL, 0, IN_OTHER },
};
static const struct rec_key content_keys[] = {
	TOP("path", path, IN_OTHER), TOP("description", description, IN_OTHER),
	TOP("type", type, IN_OTHER), TOP("size", size, IN_OTHER),
	TOP("digests", fdigests, IN_CONTENT_DIGESTS), { NULL, 0, IN_OTHER },
};
#undef TOP
static const struct rec_key digest_keys[] = {
	{ "hashAlg", offsetof(struct rec_digest, alg), IN_OTHER },
	{ "digest", offsetof(struct rec_digest, digest), IN_OTHER },
	{ NULL, 0, IN_OTHER },
};

/* The slot of t's key among keys (inner set), or NULL with *unknown set. */
static struct rec_value *rec_slot(void *base, const struct rec_key *keys, const struct vt_json_token *t,
				  enum rec_place *inner, bool *unknown)
{
	for (; keys->key; keys++)
		if (t->key_len == strlen(keys->key) && memcmp(t->key, keys->key, t->key_len) == 0) {
			*inner = keys->inner;
			return (struct rec_value *)((char *)base + keys->off);
		}
	*unknown = true;
	return NULL;
}

static int rec_visit(void *userdata, const struct vt_json_token *t)
{
	struct rec_read *rr = userdata;
	enum rec_place at = t->depth == 0 ? IN_OTHER : rr->place[t->depth - 1], inner = IN_OTHER;
	struct rec_value *v = NULL, scratch;
	int r;

	if (t->type == VT_JSON_END)
		return 0;
	if (t->depth == 0) {
		rr->top_object = t->type == VT_JSON_OBJECT;
		inner = IN_TOP;
	} else if (at == IN_TOP) {
		v = rec_slot(rr, top_keys, t, &inner, &rr->unknown_top);
	} else if (at == IN_DIGESTS) {
		if (rr->n_digests < REC_LIST_MAX) {
			rr->digest[rr->n_digests].type = (int)t->type;
			inner = IN_DIGEST;
		}
		rr->n_digests++;
	} else if (at == IN_DIGEST) {
		struct rec_digest *d = &rr->digest[rr->n_digests - 1];

		v = rec_slot(d, digest_keys, t, &inner, &d->unknown);
	} else if (at == IN_CONTENT) {
		v = rec_slot(rr, content_keys, t, &inner, &rr->unknown_content);
	} else if (at == IN_CONTENT_DIGESTS) {
		if (rr->n_fdigests < REC_LIST_MAX) {
			r = rec_string(rr, t->key, t->key_len, &rr->fdigest[rr->n_fdigests].name);
			if (r < 0)
				return r;
			v = &rr->fdigest[rr->n_fdigests].value;
		}
		rr->n_fdigests++;
	}
	if (!v)
		v = &scratch;
	r = rec_take(rr, v, t);
	if (r < 0)
		return r;
	if ((t->type == VT_JSON_OBJECT || t->type == VT_JSON_ARRAY) && t->depth < ELEMENTSOF(rr->place))
		rr->place[t->depth] = (inner == IN_DIGESTS && t->type != VT_JSON_ARRAY) ||
				      (inner != IN_DIGESTS && t->type != VT_JSON_OBJECT) ? IN_OTHER : inner;
	return 0;
}

static void rec_read_reset(struct rec_read *rr)
{
	char *strings = rr->strings;
	size_t cap = rr->strings_cap;
	struct rec_value absent = { .type = -1 };

	memset(rr, 0, sizeof(*rr));
	rr->strings = strings;
	rr->strings_cap = cap;
	rr->recnum = rr->pcr = rr->content_type = rr->digests = rr->content = absent;
	rr->path = rr->description = rr->type = rr->size = rr->fdigests = absent;
	for (size_t i = 0; i < REC_LIST_MAX; i++) {
		rr->digest[i].alg = rr->digest[i].digest = absent;
		rr->fdigest[i].value = absent;
	}
}

static int get_hex_digest(const struct rec_read *rr, const struct rec_value *v,
			  const struct vt_hash_alg *alg, struct policy_digest *out)
{
	if (v->type != VT_JSON_STRING || vt_hex_decode(rec_str(rr, v), out->value, alg->size) < 0)
		return -EBADMSG;
	out->alg = alg;
	return 0;
}

/* A non-negative integer of the record, or -1. */
static int64_t rec_int(const struct rec_value *v)
{
	if (v->type != VT_JSON_NUMBER || !v->integer || v->u > INT64_MAX)
		return -1;
	return v->negative ? (v->u ? -1 : 0) : (int64_t)v->u;
}

/* The record read from one line (a strict JSON walk, then its fields judged
 * in the order a reader of the format would). */
/* Whether record rec's extended digest k is the one its content gives:
 * 1, 0 (logged, naming the line), or -ENOTRECOVERABLE. */
static int record_binds(const char *name, size_t line, EVP_MD_CTX *md,
			const struct attest_record *rec, size_t k)
{
	struct policy_digest expect;

	if (record_digest_md(md, rec->event_type, rec->path, rec->size, &rec->file_digests[k],
			     &expect) < 0)
		return -ENOTRECOVERABLE;
	if (memcmp(expect.value, rec->digests[k].value, rec->digests[k].alg->size) != 0)
		return rec_fault(name, line, "the %s digest does not match its content",
				 rec->digests[k].alg->name);
	return 1;
}

static int parse_record(const char *name, size_t line, const char *text, size_t len,
			struct rec_read *rr, EVP_MD_CTX *md, unsigned flags, uint64_t want_recnum,
			struct attest_record *rec)
{
	struct vt_json_error jerr;
	const struct rec_value *label_v;
	const char *label, *str;
	int64_t i;
	size_t n;
	int r;

	rec_read_reset(rr);
	r = vt_json_walk(text, len, ELEMENTSOF(rr->place), rec_visit, rr, &jerr);
	if (r == -EBADMSG)
		return rec_fault(name, line, "%s: %s", jerr.path.buf, jerr.reason);
	if (r < 0)
		return r;
	if (!rr->top_object || rr->unknown_top)
		return rec_fault(name, line, "not a record object, or unknown keys");
	i = rec_int(&rr->recnum);
	if (i < 0 || (uint64_t)i != want_recnum)
		return rec_fault(name, line, "recnum is not %llu: a record is missing, added or reordered",
				 (unsigned long long)want_recnum);
	rec->recnum = (uint64_t)i;
	i = rec_int(&rr->pcr);
	if (i < 0 || i >= POLICY_PCR_MAX)
		return rec_fault(name, line, "pcr is missing or out of range");
	rec->pcr = (unsigned)i;
	str = rec_str(rr, &rr->content_type);
	if (!str)
		return rec_fault(name, line, "content_type is missing");
	if (strcmp(str, "vmtrust_file") == 0)
		rec->kind = ATTEST_RECORD_FILE;
	else if (strcmp(str, "vmtrust_event") == 0)
		rec->kind = ATTEST_RECORD_EVENT;
	else
		return rec_fault(name, line, "content_type is not \"vmtrust_file\" or \"vmtrust_event\"");
	if (rr->content.type != VT_JSON_OBJECT || rr->unknown_content ||
	    (rec->kind == ATTEST_RECORD_FILE && (rr->description.type >= 0 || rr->type.type >= 0)) ||
	    (rec->kind == ATTEST_RECORD_EVENT && rr->path.type >= 0))
		return rec_fault(name, line, "content is missing or has unknown keys");
	label = rec->kind == ATTEST_RECORD_FILE ? "path" : "description";
	label_v = rec->kind == ATTEST_RECORD_FILE ? &rr->path : &rr->description;
	str = rec_str(rr, label_v);
	if (!str || !str[0] || (rec->kind == ATTEST_RECORD_FILE && str[0] != '/'))
		return rec_fault(name, line, "content.%s is missing or invalid%s", label,
				 rec->kind == ATTEST_RECORD_FILE ? " (not an absolute path)" : "");
	rec->path = strdup(str);
	if (!rec->path)
		return -ENOMEM;
	if (rec->kind == ATTEST_RECORD_EVENT) {
		str = rec_str(rr, &rr->type);
		if (!str || !valid_event_type(str))
			return rec_fault(name, line, "content.type is missing or invalid");
		rec->event_type = strdup(str);
		if (!rec->event_type)
			return -ENOMEM;
	}
	i = rec_int(&rr->size);
	if (i < 0)
		return rec_fault(name, line, "content.size is missing or negative");
	rec->size = (uint64_t)i;
	if (rr->fdigests.type != VT_JSON_OBJECT)
		return rec_fault(name, line, "content.digests is missing");
	if (rr->digests.type != VT_JSON_ARRAY)
		return rec_fault(name, line, "digests is missing");
	n = rr->n_digests;
	if (n == 0 || n > ATTEST_RECORD_BANKS_MAX || rr->n_fdigests != n)
		return rec_fault(name, line, "%zu digests: expected one per bank, the same banks in content",
				 n);
	for (size_t k = 0; k < n; k++) {
		const struct vt_hash_alg *a;
		const struct rec_value *fd = NULL;

		str = rec_str(rr, &rr->digest[k].alg);
		if (rr->digest[k].type != VT_JSON_OBJECT || rr->digest[k].unknown ||
		    rr->digest[k].digest.type < 0 || !str || !(a = vt_hash_alg_by_name(str)))
			return rec_fault(name, line, "digests[%zu] is not a known hashAlg and digest", k);
		for (size_t j = 0; j < k; j++)
			if (rec->digests[j].alg == a)
				return rec_fault(name, line, "bank %s listed twice", a->name);
		if (get_hex_digest(rr, &rr->digest[k].digest, a, &rec->digests[k]) < 0)
			return rec_fault(name, line, "digests[%zu] is not a %s digest", k, a->name);
		for (size_t j = 0; j < rr->n_fdigests && !fd; j++)
			if (strcmp(rr->strings + rr->fdigest[j].name, a->name) == 0)
				fd = &rr->fdigest[j].value;
		if (!fd || get_hex_digest(rr, fd, a, &rec->file_digests[k]) < 0)
			return rec_fault(name, line, "content.digests.%s is missing or malformed", a->name);
	}
	rec->n_digests = n;
	/* The extended digest must be the one the content gives. */
	for (size_t k = 0; k < n && !(flags & ATTEST_MLOG_DEFER_BINDING); k++) {
		r = record_binds(name, line, md, rec, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static void rec_read_freep(struct rec_read **rr)
{
	if (*rr)
		free((*rr)->strings);
	free(*rr);
}


int attest_mlog_parse(const char *name, const char *data, size_t len, struct attest_mlog **ret)
{
	return attest_mlog_parse_flags(name, data, len, 0, ret);
}

int attest_mlog_bind_bank(const struct attest_mlog *log, const struct vt_hash_alg *alg)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r;

	if (!md)
		return -ENOMEM;
	for (size_t i = 0; log && i < log->n; i++)
		for (size_t k = 0; k < log->records[i].n_digests; k++) {
			if (log->records[i].digests[k].alg != alg)
				continue;
			/* a record is a line: record i is on line i + 1 */
			r = record_binds(log->name, i + 1, md, &log->records[i], k);
			if (r < 0)
				return r;
		}
	return 0;
}

int attest_mlog_parse_flags(const char *name, const char *data, size_t len, unsigned flags,
			    struct attest_mlog **ret)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_(rec_read_freep) struct rec_read *rr = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	size_t pos = 0, line = 0, cap = 0;

	if (len > ATTEST_MLOG_MAX)
		return vt_log_errno(EFBIG, "measurement log '%s': %zu bytes exceed the limit of %d",
					name, len, ATTEST_MLOG_MAX);
	log = calloc(1, sizeof(*log));
	rr = calloc(1, sizeof(*rr));
	md = EVP_MD_CTX_new();
	if (!log || !rr || !md || !(log->name = strdup(name)))
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t l;
		int r;

		line++;
		if (!nl)
			/* A torn write: never fsync'ed whole, so never extended. */
			return vt_log_errno(EBADMSG,
						"measurement log '%s': record on line %zu is incomplete (no newline) at byte %zu",
						name, line, pos);
		l = (size_t)(nl - (data + pos));
		if (log->n >= ATTEST_MLOG_RECORDS_MAX)
			return vt_log_errno(EFBIG, "measurement log '%s': more than %d records", name,
						ATTEST_MLOG_RECORDS_MAX);
		if (log->n == cap) {
			struct attest_record *nr;

			cap = cap ? cap * 2 : 16;
			nr = realloc(log->records, cap * sizeof(*nr));
			if (!nr)
				return -ENOMEM;
			log->records = nr;
		}
		memset(&log->records[log->n], 0, sizeof(log->records[0]));
		r = parse_record(name, line, data + pos, l, rr, md, flags, log->n, &log->records[log->n]);
		if (r < 0) {
			record_done(&log->records[log->n]);
			return r;
		}
		log->n++;
		pos += l + 1;
	}
	log->valid_len = pos;
	*ret = TAKE_PTR(log);
	return 0;
}

/* pcr := H(pcr || digest) in md's algorithm (size bytes each). */
static int mlog_extend(EVP_MD_CTX *ctx, const EVP_MD *md, uint8_t *pcr, const uint8_t *digest,
		       size_t size)
{
	if (!md || EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pcr, size) != 1 ||
	    EVP_DigestUpdate(ctx, digest, size) != 1 || EVP_DigestFinal_ex(ctx, pcr, NULL) != 1)
		return -ENOTRECOVERABLE;
	return 0;
}

int attest_mlog_replay(const struct attest_mlog *log, size_t n_records, unsigned pcr,
		       const struct vt_hash_alg *alg, uint8_t *out, size_t *ret_extends)
{
	EVP_MD_CTX *md;
	size_t extends = 0;
	int r = 0;

	memset(out, 0, alg->size);
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	for (size_t i = 0; log && i < n_records && i < log->n; i++) {
		const struct attest_record *rec = &log->records[i];

		if (rec->pcr != pcr)
			continue;
		for (size_t k = 0; k < rec->n_digests; k++) {
			if (rec->digests[k].alg != alg)
				continue;
			r = mlog_extend(md, attest_md(alg), out, rec->digests[k].value, alg->size);
			if (r < 0)
				goto out;
			extends++;
		}
	}
	if (ret_extends)
		*ret_extends = extends;
out:
	EVP_MD_CTX_free(md);
	return r;
}

int attest_mlog_judge(const struct attest_mlog *log, unsigned pcr, const struct vt_hash_alg *alg,
		      const uint8_t *value, size_t *ret_record)
{
	const EVP_MD *evp = attest_md(alg);
	uint8_t all[VT_DIGEST_MAX] = { 0 }, prefix[VT_DIGEST_MAX] = { 0 };
	size_t n = log ? log->n : 0;
	bool last_here = false;
	EVP_MD_CTX *md;
	int r = 0;

	md = EVP_MD_CTX_new();
	if (!md || !evp) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct attest_record *rec = &log->records[i];
		const struct policy_digest *d = NULL;

		if (rec->pcr != pcr)
			continue;
		for (size_t k = 0; k < rec->n_digests && !d; k++)
			if (rec->digests[k].alg == alg)
				d = &rec->digests[k];
		/* A record without a digest of this bank changes nothing in
		 * it: nothing in this bank proves the record. */
		if (!d) {
			if (ret_record)
				*ret_record = i;
			r = ATTEST_MLOG_UNPROVEN;
			break;
		}
		memcpy(prefix, all, alg->size);
		last_here = i + 1 == n;
		r = mlog_extend(md, evp, all, d->value, alg->size);
	}
	EVP_MD_CTX_free(md);
	if (r != 0)
		return r;
	if (memcmp(all, value, alg->size) == 0)
		return ATTEST_MLOG_REPLAYS;
	if (last_here && memcmp(prefix, value, alg->size) == 0)
		return ATTEST_MLOG_PENDING;
	return ATTEST_MLOG_DIFFERS;
}

/* ---- measuring ---- */

static int read_all_fd(int fd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot stat '%s': %s", path, strerror(errno));
	if ((uint64_t)st.st_size > ATTEST_MLOG_MAX)
		return vt_log_errno(EFBIG, "measurement log '%s': %lld bytes exceed the limit of %d",
					path, (long long)st.st_size, ATTEST_MLOG_MAX);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + len, (size_t)st.st_size - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vt_log_errno(errno, "cannot read '%s': %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int log_path(const char *state_dir, char **ret)
{
	return vt_state_path(state_dir, VT_STATE_MLOG, ret);
}

int attest_mlog_load(const char *state_dir, bool exclusive, int *ret_fd, struct attest_mlog **ret)
{
	_cleanup_(freep) char *path = NULL, *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	r = log_path(state_dir, &path);
	if (r < 0)
		return r;
	if (exclusive && mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create state directory '%s': %s", state_dir,
					strerror(errno));
	for (;;) {
		struct stat a, b;

		fd = open(path, exclusive ? O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC : O_RDONLY | O_CLOEXEC,
			  0600);
		if (fd < 0 && errno == ENOENT && !exclusive) {
			/* No log yet: nothing was measured. */
			struct attest_mlog *empty = calloc(1, sizeof(*empty));

			if (!empty)
				return -ENOMEM;
			*ret = empty;
			if (ret_fd)
				*ret_fd = -1;
			return 0;
		}
		if (fd < 0)
			return vt_log_errno(errno, "cannot open measurement log '%s': %s", path,
						strerror(errno));
		r = vt_flock(fd, exclusive ? LOCK_EX : LOCK_SH, "measurement log", path);
		if (r < 0)
			return r;
		/* The log may have been moved aside (a TPM reset) while we waited
		 * for the lock: then take the new one. */
		if (fstat(fd, &a) < 0)
			return vt_log_errno(errno, "cannot stat '%s': %s", path, strerror(errno));
		if (stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(TAKE_FD(fd));
	}
	r = read_all_fd(fd, path, &data, &len);
	if (r < 0)
		return r;
	r = attest_mlog_parse(path, data, len, ret);
	if (r < 0)
		return r;
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;
}

/* After a TPM reset (a reboot) the PCR starts from zero again, and the log
 * of the previous boot no longer applies: it is kept as measurements.log.prev
 * and a new log begins. Returns 1 when the log was moved aside. */
static int rotate_after_reset(struct attest_ctx *ctx, const char *state_dir,
			      const struct attest_mlog *log, unsigned pcr)
{
	_cleanup_(freep) char *path = NULL, *prev = NULL;
	const struct policy_pcr_bank *banks;
	size_t n_banks;
	int r;

	if (log->n == 0)
		return 0;
	r = attest_ctx_banks(ctx, &banks, &n_banks);
	if (r < 0)
		return r;
	for (size_t b = 0; b < n_banks; b++) {
		static const uint8_t zero[VT_DIGEST_MAX];
		uint8_t tpm[VT_DIGEST_MAX];

		if (!(banks[b].mask & (1u << pcr)))
			continue;
		r = attest_pcr_read(ctx, banks[b].alg, pcr, tpm);
		if (r < 0)
			return r;
		if (memcmp(tpm, zero, banks[b].alg->size) != 0)
			return 0;
	}
	for (size_t i = 0; i < log->n; i++)
		if (log->records[i].pcr == pcr) {
			r = log_path(state_dir, &path);
			if (r < 0 || asprintf(&prev, "%s.prev", path) < 0)
				return -ENOMEM;
			if (rename(path, prev) < 0)
				return vt_log_errno(errno, "cannot move '%s' aside: %s", path,
							strerror(errno));
			vt_logf(VT_LOG_WARNING,
				    "pcr %u was reset since the measurement log was written: "
				    "the old log is now '%s'", pcr, prev);
			return 1;
		}
	return 0;
}

/* Makes the log and the TPM agree before a new record: equal, or the last
 * record pending (then extended now). Anything else: -EUCLEAN. */
static int reconcile(struct attest_ctx *ctx, const char *state_dir, const struct attest_mlog *log,
		     unsigned pcr)
{
	const struct policy_pcr_bank *banks;
	size_t n_banks, rec = 0;
	const char *all = NULL, *pending = NULL;
	int r;

	r = attest_ctx_banks(ctx, &banks, &n_banks);
	if (r < 0)
		return r;
	/* The verifier's rule (attest_mlog_judge): every record carries a
	 * digest of every bank the PCR has, and all banks agree. */
	for (size_t b = 0; b < n_banks; b++) {
		uint8_t tpm[VT_DIGEST_MAX];
		const struct vt_hash_alg *alg = banks[b].alg;

		if (!(banks[b].mask & (1u << pcr)))
			continue;
		r = attest_pcr_read(ctx, alg, pcr, tpm);
		if (r < 0)
			return r;
		r = attest_mlog_judge(log, pcr, alg, tpm, &rec);
		if (r < 0)
			return r;
		if (r == ATTEST_MLOG_REPLAYS) {
			all = alg->name;
			continue;
		}
		if (r == ATTEST_MLOG_PENDING) {
			pending = alg->name;
			continue;
		}
		if (r == ATTEST_MLOG_UNPROVEN)
			return vt_log_errno(EUCLEAN,
						"measurement log '%s/%s': record %llu has no %s digest, a bank pcr %u has: "
						"the log was changed",
						state_dir, VT_STATE_MLOG,
						(unsigned long long)log->records[rec].recnum, alg->name, pcr);
		return vt_log_errno(EUCLEAN,
					"measurement log '%s/%s' does not replay to pcr %u of bank %s: "
					"the log was changed or pcr %u was extended by something else",
					state_dir, VT_STATE_MLOG, pcr, alg->name, pcr);
	}
	if (pending && all)
		return vt_log_errno(EUCLEAN,
					"measurement log '%s/%s': pcr %u of bank %s has every record, of bank %s all but the last: "
					"pcr %u was extended by something else",
					state_dir, VT_STATE_MLOG, pcr, all, pending, pcr);
	if (pending) {
		const struct attest_record *last = &log->records[log->n - 1];

		vt_logf(VT_LOG_WARNING,
			    "measurement of '%s' (record %llu) was interrupted before its extend; completing it",
			    last->path, (unsigned long long)last->recnum);
		return attest_pcr_extend(ctx, pcr, last->digests, last->n_digests);
	}
	return 0;
}

static int hash_file(const char *path, const struct policy_pcr_bank *banks, size_t n_banks,
		     unsigned pcr, struct attest_record *rec)
{
	EVP_MD_CTX *md[ATTEST_RECORD_BANKS_MAX] = { 0 };
	_cleanup_close_ int fd = -1;
	_cleanup_(freep) uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	uint64_t total = 0;
	int r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vt_log_errno(errno, "cannot measure '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot measure '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vt_log_errno(EINVAL, "cannot measure '%s': not a regular file", path);
	buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t b = 0; b < n_banks && n < ATTEST_RECORD_BANKS_MAX; b++) {
		if (!(banks[b].mask & (1u << pcr)))
			continue;
		md[n] = EVP_MD_CTX_new();
		if (!md[n] || EVP_DigestInit_ex2(md[n], EVP_get_digestbyname(banks[b].alg->ossl), NULL) != 1) {
			EVP_MD_CTX_free(md[n]);
			md[n] = NULL;
			r = -ENOMEM;
			goto out;
		}
		rec->file_digests[n].alg = banks[b].alg;
		n++;
	}
	for (;;) {
		ssize_t got = read(fd, buf, READ_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = vt_log_errno(errno, "cannot measure '%s': %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		for (size_t k = 0; k < n; k++)
			EVP_DigestUpdate(md[k], buf, (size_t)got);
		total += (uint64_t)got;
	}
	for (size_t k = 0; k < n; k++) {
		unsigned len;

		if (EVP_DigestFinal_ex(md[k], rec->file_digests[k].value, &len) != 1) {
			r = -ENOTRECOVERABLE;
			goto out;
		}
	}
	rec->size = total;
	rec->n_digests = n;
	rec->pcr = pcr;
	for (size_t k = 0; k < n; k++) {
		r = attest_record_event_digest(path, total, &rec->file_digests[k], &rec->digests[k]);
		if (r < 0)
			goto out;
	}
out:
	for (size_t k = 0; k < ATTEST_RECORD_BANKS_MAX; k++)
		EVP_MD_CTX_free(md[k]);
	return r;
}

int attest_record_to_json(const struct attest_record *rec, json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *digests = json_object_new_array(), *content = json_object_new_object(),
		    *fd = json_object_new_object();
	char hex[2 * VT_DIGEST_MAX + 1];

	if (!o || !digests || !content || !fd) {
		json_object_put(digests);
		json_object_put(content);
		json_object_put(fd);
		return -ENOMEM;
	}
	json_object_object_add(o, "recnum", json_object_new_uint64(rec->recnum));
	json_object_object_add(o, "pcr", json_object_new_int((int)rec->pcr));
	for (size_t k = 0; k < rec->n_digests; k++) {
		json_object *d = json_object_new_object();

		vt_hex_encode(rec->digests[k].value, rec->digests[k].alg->size, hex);
		json_object_object_add(d, "hashAlg", json_object_new_string(rec->digests[k].alg->name));
		json_object_object_add(d, "digest", json_object_new_string(hex));
		json_object_array_add(digests, d);
		vt_hex_encode(rec->file_digests[k].value, rec->file_digests[k].alg->size, hex);
		json_object_object_add(fd, rec->file_digests[k].alg->name, json_object_new_string(hex));
	}
	json_object_object_add(o, "digests", digests);
	if (rec->kind == ATTEST_RECORD_EVENT) {
		json_object_object_add(o, "content_type", json_object_new_string("vmtrust_event"));
		json_object_object_add(content, "type", json_object_new_string(rec->event_type));
		json_object_object_add(content, "description", json_object_new_string(rec->path));
	} else {
		json_object_object_add(o, "content_type", json_object_new_string("vmtrust_file"));
		json_object_object_add(content, "path", json_object_new_string(rec->path));
	}
	json_object_object_add(content, "size", json_object_new_uint64(rec->size));
	json_object_object_add(content, "digests", fd);
	json_object_object_add(o, "content", content);
	*ret = TAKE_PTR(o);
	return 0;
}

static int append_record(int fd, const char *state_dir, const struct attest_record *rec)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_(freep) char *line = NULL;
	const char *s;
	int r;

	r = attest_record_to_json(rec, &o);
	if (r < 0)
		return r;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&line, "%s\n", s) < 0)
		return -ENOMEM;
	/* a torn line is taken back out, so the log stays whole */
	r = vt_append(fd, line, strlen(line));
	if (r < 0)
		return vt_log_errno(-r, "cannot append to measurement log '%s/%s': %s", state_dir, VT_STATE_MLOG,
				    strerror(-r));
	return 0;
}

/* Opens the log for a new record: locked, rotated after a TPM reset,
 * reconciled with the PCR. */
static int open_for_append(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
			   int *ret_fd, struct attest_mlog **ret_log)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (pcr >= POLICY_PCR_MAX || pcr == 16 || pcr == 23)
		return vt_log_errno(EINVAL, "cannot measure into pcr %u: it can be reset at locality 0 or does not exist",
					pcr);
	r = attest_mlog_load(state_dir, true, &fd, &log);
	if (r < 0)
		return r;
	r = rotate_after_reset(ctx, state_dir, log, pcr);
	if (r < 0)
		return r;
	if (r > 0) {
		/* Hold the old lock until the new log is locked. */
		__attribute__((unused)) _cleanup_close_ int old = TAKE_FD(fd);

		attest_mlog_free(TAKE_PTR(log));
		r = attest_mlog_load(state_dir, true, &fd, &log);
		if (r < 0)
			return r;
	}
	r = reconcile(ctx, state_dir, log, pcr);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	*ret_log = TAKE_PTR(log);
	return 0;
}

/* The write-ahead step: the record on disk first, then the extend. */
static int commit_record(struct attest_ctx *ctx, int fd, const char *state_dir,
			 const struct attest_record *rec)
{
	int r;

	if (rec->n_digests == 0)
		return vt_log_errno(EOPNOTSUPP, "cannot measure '%s': pcr %u is in no bank of the tpm",
					rec->path, rec->pcr);
	r = append_record(fd, state_dir, rec);
	if (r < 0)
		return r;
	return attest_pcr_extend(ctx, rec->pcr, rec->digests, rec->n_digests);
}

int attest_measure(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
		   const char *const *paths, size_t n_paths, attest_measured_fn cb, void *userdata)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_close_ int fd = -1;
	const struct policy_pcr_bank *banks;
	size_t n_banks;
	int r;

	r = attest_ctx_banks(ctx, &banks, &n_banks);
	if (r < 0)
		return r;
	r = open_for_append(ctx, state_dir, pcr, &fd, &log);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_paths; i++) {
		struct attest_record rec = { .recnum = log->n + i, .kind = ATTEST_RECORD_FILE };

		/* A record the log's own reader would refuse would stop every later run. */
		if (!vt_utf8_valid(paths[i], strlen(paths[i])))
			return vt_log_errno(EINVAL, "cannot measure '%s': the path is not valid UTF-8, "
						"which the measurement log (JSON) cannot carry", paths[i]);
		r = hash_file(paths[i], banks, n_banks, pcr, &rec);
		if (r < 0)
			return r;
		rec.path = (char *)paths[i];
		r = commit_record(ctx, fd, state_dir, &rec);
		if (r < 0)
			return r;
		if (cb)
			cb(&rec, userdata);
	}
	return 0;
}

int attest_measure_event(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
			 const char *event_type, const char *description, const void *data,
			 size_t len, struct attest_record *ret)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_close_ int fd = -1;
	const struct policy_pcr_bank *banks;
	struct attest_record rec = { .kind = ATTEST_RECORD_EVENT, .pcr = pcr };
	size_t n_banks;
	int r;

	if (!event_type || !valid_event_type(event_type) || !description || !*description ||
	    !vt_utf8_valid(description, strlen(description)))
		return vt_log_errno(EINVAL, "cannot measure event: invalid type or empty description");
	r = attest_ctx_banks(ctx, &banks, &n_banks);
	if (r < 0)
		return r;
	r = open_for_append(ctx, state_dir, pcr, &fd, &log);
	if (r < 0)
		return r;
	rec.recnum = log->n;
	rec.size = len;
	rec.path = (char *)description;
	rec.event_type = (char *)event_type;
	for (size_t b = 0; b < n_banks && rec.n_digests < ATTEST_RECORD_BANKS_MAX; b++) {
		struct policy_digest *content = &rec.file_digests[rec.n_digests];

		if (!(banks[b].mask & (1u << pcr)))
			continue;
		content->alg = banks[b].alg;
		if (EVP_Digest(data, len, content->value, NULL, EVP_get_digestbyname(banks[b].alg->ossl),
			       NULL) != 1)
			return -ENOTRECOVERABLE;
		r = record_digest(event_type, description, len, content, &rec.digests[rec.n_digests]);
		if (r < 0)
			return r;
		rec.n_digests++;
	}
	r = commit_record(ctx, fd, state_dir, &rec);
	if (r < 0)
		return r;
	if (ret) {
		*ret = rec;
		ret->path = NULL;
		ret->event_type = NULL;
	}
	return 0;
}
