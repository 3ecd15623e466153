/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verdict of a verification: its checks (a stable name, a status, a
 * reason), added in order while the checks run, and its JSON form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "attest-internal.h"


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

void verify_verdict_finish(struct attest_verdict *v)
{
	for (size_t i = 0; i < v->n; i++) {
		v->checks[i].name = v->text + (uintptr_t)v->checks[i].name;
		v->checks[i].reason = v->text + (uintptr_t)v->checks[i].reason;
	}
}

int verify_add_check2(struct verify *s, enum attest_check_status st, const char *prefix,
		      const char *suffix, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_checkv(s, st, prefix, suffix, fmt, ap);
	va_end(ap);
	return r;
}

int verify_internal(struct verify *s, int r)
{
	if (s->err == 0)
		s->err = r;
	return r;
}

/* The captured message, or a fallback for a failure that logged nothing. */
const char *verify_why(struct verify *s, int r)
{
	return s->why[0] ? s->why : strerror(-r);
}
