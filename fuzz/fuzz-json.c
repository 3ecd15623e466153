/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict JSON entry every parser of outside JSON goes through
 * (vt_json_parse), with oracles: an accepted text has as many object
 * members in json-c's tree as it has keys (a repeat json-c folded would
 * show), no string that a C string cuts short, and its json-c serialization
 * (of an object or array) is accepted again and equal. The tree-less
 * reader (vt_json_walk, the measurement log's) takes exactly the texts
 * vt_json_parse takes, visits as many members, opens and closes its
 * containers in pairs, and hands over strings without a NUL inside. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "policy.h"

/* Members of objects in the text: the colons outside strings. */
static size_t text_members(const uint8_t *s, size_t len)
{
	bool in_string = false, escape = false;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (escape)
			escape = false;
		else if (in_string && s[i] == '\\')
			escape = true;
		else if (s[i] == '"')
			in_string = !in_string;
		else if (!in_string && s[i] == ':')
			n++;
	}
	return n;
}

/* Members of objects in the tree; aborts on a string with a NUL in it. */
static size_t tree_members(struct json_object *o)
{
	size_t n = 0;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + tree_members(v);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += tree_members(json_object_array_get_idx(o, i));
		break;
	case json_type_string:
		if (strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o))
			abort();
		break;
	default:
		break;
	}
	return n;
}

struct walked {
	size_t members, open;   /* members visited; containers open now */
	bool top_scalar;        /* the text is one number or literal (json-c waits for more) */
};

/* A value's depth is the number of containers open around it. */
static int walk_visit(void *userdata, const struct vt_json_token *t)
{
	struct walked *w = userdata;

	if (t->key && t->type != VT_JSON_END)
		w->members++;
	if (t->type == VT_JSON_END) {
		if (w->open == 0 || t->depth != --w->open)
			abort();
		return 0;
	}
	if (t->depth != w->open)
		abort();
	w->top_scalar = t->depth == 0 && t->type != VT_JSON_OBJECT && t->type != VT_JSON_ARRAY &&
		       t->type != VT_JSON_STRING;
	if (t->type == VT_JSON_OBJECT || t->type == VT_JSON_ARRAY)
		w->open++;
	if (t->type == VT_JSON_STRING && strlen(t->value) != t->value_len)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL, *again = NULL;
	struct vt_json_error err, werr;
	struct walked w = { 0 };
	const char *text;
	int r, rw;

	r = vt_json_parse((const char *)data, size, 32, &o, &err);
	rw = vt_json_walk((const char *)data, size, 32, walk_visit, &w, &werr);
	/* json-c cannot know a number or literal at the end of its input is whole */
	if ((r < 0) != (rw < 0) && !(rw == 0 && w.top_scalar))
		abort();
	if (rw < 0 && (werr.path.buf[0] != '$' || !werr.reason[0]))
		abort();
	if (r < 0) {
		if (strlen(err.path.buf) >= sizeof(err.path.buf) || err.path.buf[0] != '$' || !err.reason[0])
			abort();
		return 0;
	}
	if (w.open != 0 || w.members != text_members(data, size))
		abort();
	if (tree_members(o) != text_members(data, size))
		abort();
	/* a bare scalar needs a delimiter after it to be complete for json-c */
	if (!json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return 0;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text || vt_json_parse(text, strlen(text), 32, &again, &err) < 0 ||
	    !json_object_equal(o, again))
		abort();
	json_object_put(again);
	json_object_put(o);
	return 0;
}
