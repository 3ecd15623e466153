/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a parsed JSON tree strictly, with the JSON path of each fault:
 * the checks every file parser of vmtrust makes on each value. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common.h"

int vt_json_faultv(struct vt_json_reader *r, int err, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (r->copy)
		snprintf(r->copy, r->copy_size, "%s '%s': %s: %s", r->what, r->name, r->p.buf, msg);
	return vt_log_errno(err, "%s '%s': %s: %s", r->what, r->name, r->p.buf, msg);
}

int vt_json_fault_(struct vt_json_reader *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vt_json_faultv(r, r->err, fmt, ap);
	va_end(ap);
	return ret;
}

int vt_json_expect_type(struct vt_json_reader *r, struct json_object *v, int type, const char *what)
{
	if (!json_object_is_type(v, (enum json_type)type))
		return vt_json_fault(r, "expected %s, got %s", what, vt_json_type_name(v));
	return 0;
}

int vt_json_check_keys(struct vt_json_reader *r, struct json_object *obj, const char *const *allowed)
{
	const char *key = vt_json_unknown_key(obj, allowed);
	size_t m;
	int ret;

	if (!key)
		return 0;
	m = vt_json_push_key(&r->p, key);
	ret = vt_json_fault(r, "unknown key");
	vt_json_pop(&r->p, m);
	return ret;
}

int vt_json_get_string(struct vt_json_reader *r, struct json_object *v, size_t max, const char **ret)
{
	int e = vt_json_expect_type(r, v, json_type_string, "a string");
	const char *s;
	size_t len;

	if (e < 0)
		return e;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len != strlen(s))
		return vt_json_fault(r, "string contains a NUL character");
	if (len == 0)
		return vt_json_fault(r, "empty string");
	if (len > max)
		return vt_json_fault(r, "string longer than %zu bytes", max);
	*ret = s;
	return 0;
}

int vt_json_get_uint(struct vt_json_reader *r, struct json_object *v, uint64_t max, uint64_t *ret)
{
	int e = vt_json_expect_type(r, v, json_type_int, "an integer");
	uint64_t u;

	if (e < 0)
		return e;
	/* json-c keeps an integer above INT64_MAX as unsigned */
	if (json_object_get_int64(v) < 0)
		return vt_json_fault(r, "must not be negative");
	u = json_object_get_uint64(v);
	if (u > max)
		return vt_json_fault(r, "out of range (at most %" PRIu64 ")", max);
	*ret = u;
	return 0;
}
