/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict JSON walking shared by the parsers of outside JSON: the JSON path
 * of the node being read, for one-line error messages, and key checks. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "policy.h"

static bool is_identifier(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static size_t advance(struct policy_json_path *p, size_t mark, int n)
{
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->buf) ? p->len + (size_t)n : sizeof(p->buf) - 1;
	return mark;
}

size_t policy_json_push_key(struct policy_json_path *p, const char *key)
{
	size_t mark = p->len;

	if (is_identifier(key))
		return advance(p, mark, snprintf(p->buf + p->len, sizeof(p->buf) - p->len, ".%s", key));
	return advance(p, mark, snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[\"%.64s\"]", key));
}

size_t policy_json_push_index(struct policy_json_path *p, size_t i)
{
	return advance(p, p->len, snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i));
}

void policy_json_pop(struct policy_json_path *p, size_t mark)
{
	p->len = mark;
	p->buf[mark] = '\0';
}

const char *policy_json_type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "unknown";
}

const char *policy_json_unknown_key(struct json_object *obj, const char *const *allowed)
{
	json_object_object_foreach(obj, key, val) {
		bool ok = false;

		(void)val;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			return key;
	}
	return NULL;
}
