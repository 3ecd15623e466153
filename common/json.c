/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict JSON shared by the parsers of outside JSON: the one parse entry
 * (json-c, then a scan of the raw text for what json-c lets through and
 * another reader would read differently), the JSON path of the node being
 * read, for one-line error messages, and key checks. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common.h"
#include "common-internal.h"

/* ---- JSON paths ---------------------------------------------------------- */

/* Key bytes shown in a path; a longer key is cut (at a character boundary). */
#define PATH_KEY_MAX 64

static bool is_identifier(const char *s, size_t len)
{
	if (len == 0 || (*s >= '0' && *s <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Appends n bytes, cut at the end of the buffer, never past it. */
static void put(struct vt_json_path *p, const char *s, size_t n)
{
	size_t room = sizeof(p->buf) - 1 - p->len;

	if (n > room)
		n = room;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

/* A key as a path step: .name, or ["..."] with quotes, backslashes and
 * control characters escaped, so that a key cannot break the line. */
static size_t push_key_n(struct vt_json_path *p, const char *key, size_t len)
{
	size_t mark = p->len, n = len;

	if (is_identifier(key, len)) {
		put(p, ".", 1);
		put(p, key, len);
		return mark;
	}
	if (n > PATH_KEY_MAX) {
		n = PATH_KEY_MAX;
		while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
			n--;
	}
	put(p, "[\"", 2);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(p, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(p, esc, 6);
		} else {
			put(p, key + i, 1);
		}
	}
	put(p, "\"]", 2);
	return mark;
}

size_t vt_json_push_key(struct vt_json_path *p, const char *key)
{
	return push_key_n(p, key, strlen(key));
}

size_t vt_json_push_index(struct vt_json_path *p, size_t i)
{
	size_t mark = p->len;
	char step[32];
	int n = snprintf(step, sizeof(step), "[%zu]", i);

	put(p, step, (size_t)n);
	return mark;
}

void vt_json_pop(struct vt_json_path *p, size_t mark)
{
	p->len = mark;
	p->buf[mark] = '\0';
}

const char *vt_json_type_name(struct json_object *v)
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

const char *vt_json_unknown_key(struct json_object *obj, const char *const *allowed)
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

/* ---- the strict parse ------------------------------------------------------ */

/* Characters of a number: no vmtrust input needs more, and a longer one
 * is where readers round differently. */
#define NUMBER_MAX 64

/* A key of an object still open: decoded into the arena. */
struct scan_key {
	size_t off, len;        /* in the arena */
	size_t src;             /* its opening quote in the text */
};

/* A key's bytes (the arena is not allocated before a non-empty key). */
static const char *key_bytes(const char *arena, const struct scan_key *k)
{
	return k->len ? arena + k->off : "";
}

/* An open object or array. */
struct scan_level {
	bool object;
	bool has_key;           /* object: the current member's key is read */
	size_t key;             /* object: the current member's key, in keys[] */
	size_t first;           /* object: its first key in keys[] */
	size_t arena;           /* object: the arena's length when it opened */
	size_t index;           /* array: the current element */
};

struct scan {
	const unsigned char *s;
	size_t len, pos;
	struct scan_level *lv;
	size_t depth, max_depth;
	struct scan_key *keys;
	size_t n_keys, cap_keys;
	char *arena;
	size_t arena_len, arena_cap;
	struct vt_json_error *err;
	vt_json_visit_fn visit;     /* vt_json_walk: each value as it is read */
	void *userdata;
};

/* Bytes a string holds as they are: printable ASCII but the quote and the
 * backslash. */
static const bool plain[256] = {
	[0x20 ... '"' - 1] = true,
	['"' + 1 ... '\\' - 1] = true,
	['\\' + 1 ... 0x7f] = true,
};

/* The end of the run of plain bytes from pos: eight at a time while none
 * of them is below 0x20, above 0x7f, a quote or a backslash (the zero-byte
 * tests have no false negatives; a false positive only ends the fast loop). */
static size_t plain_run(const unsigned char *s, size_t pos, size_t len)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);

	while (len - pos >= 8) {
		uint64_t w, q, b;

		memcpy(&w, s + pos, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & highs)
			break;
		pos += 8;
	}
	while (pos < len && plain[s[pos]])
		pos++;
	return pos;
}

static int vfault(struct vt_json_error *err, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static int vfault(struct vt_json_error *err, const char *fmt, va_list ap)
{
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	return -EBADMSG;
}

static int fault(struct vt_json_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fault(struct vt_json_error *err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfault(err, fmt, ap);
	va_end(ap);
	return r;
}

/* A fault at the node the scan is in: the path of its first n_levels open
 * levels, then key when given. */
static int scan_fault_at(struct scan *sc, size_t n_levels, const struct scan_key *key, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
static int scan_fault_at(struct scan *sc, size_t n_levels, const struct scan_key *key, const char *fmt, ...)
{
	struct vt_json_path *p = &sc->err->path;
	va_list ap;
	int r;

	for (size_t i = 0; i < n_levels; i++) {
		const struct scan_level *l = &sc->lv[i];

		if (!l->object)
			(void)vt_json_push_index(p, l->index);
		else if (l->has_key)
			(void)push_key_n(p, key_bytes(sc->arena, &sc->keys[l->key]), sc->keys[l->key].len);
	}
	if (key)
		(void)push_key_n(p, key_bytes(sc->arena, key), key->len);
	va_start(ap, fmt);
	r = vfault(sc->err, fmt, ap);
	va_end(ap);
	return r;
}

#define scan_fault(sc, ...) scan_fault_at((sc), (sc)->depth, NULL, __VA_ARGS__)

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = reallocarray(*p, c, size);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

static int arena_put(struct scan *sc, const void *b, size_t n)
{
	if (n == 0)
		return 0;
	if (grow((void **)&sc->arena, &sc->arena_cap, sc->arena_len + n, 1) < 0)
		return -ENOMEM;
	memcpy(sc->arena + sc->arena_len, b, n);
	sc->arena_len += n;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

bool vt_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = p[i] < 0x80 ? 1 : utf8_len(p + i, len - i);

		if (n == 0 || p[i] == 0)
			return false;
		i += n;
	}
	return true;
}

static int hex4(const unsigned char *s, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = s[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | c;
	}
	*ret = v;
	return 0;
}

/* The escape at *pos (its backslash); decoded into the arena for a key. */
static int scan_escape(struct scan *sc, size_t *pos, bool key)
{
	/* what each one-letter escape stands for; 0: none */
	static const char simple[256] = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
					  ['f'] = '\f',  ['n'] = '\n',   ['r'] = '\r', ['t'] = '\t' };
	const unsigned char *s = sc->s;
	size_t at = *pos, p = at + 1;
	unsigned char out[4];
	unsigned u, lo;
	size_t n;

	if (p >= sc->len)
		return scan_fault(sc, "unexpected end of input at byte %zu", sc->len);
	if (s[p] != 'u') {
		if (!simple[s[p]])
			return scan_fault(sc, "not valid JSON at byte %zu: invalid string sequence", at);
		*pos = p + 1;
		return key ? arena_put(sc, &simple[s[p]], 1) : 0;
	}
	if (sc->len - p < 5 || hex4(s + p + 1, &u) < 0)
		return scan_fault(sc, "not valid JSON at byte %zu: invalid string sequence", at);
	p += 5;
	if (u == 0)
		/* json-c keeps it, but every reader of its C string stops there */
		return scan_fault(sc, "string contains a NUL character");
	if (u >= 0xdc00 && u <= 0xdfff)
		return scan_fault(sc, "a lone UTF-16 surrogate at byte %zu", at);
	if (u >= 0xd800 && u <= 0xdbff) {
		if (sc->len - p < 6 || s[p] != '\\' || s[p + 1] != 'u' || hex4(s + p + 2, &lo) < 0 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return scan_fault(sc, "a lone UTF-16 surrogate at byte %zu", at);
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	*pos = p;
	if (!key)
		return 0;
	if (u < 0x80) {
		out[0] = (unsigned char)u;
		n = 1;
	} else if (u < 0x800) {
		out[0] = (unsigned char)(0xc0 | u >> 6);
		out[1] = (unsigned char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		out[0] = (unsigned char)(0xe0 | u >> 12);
		out[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		out[0] = (unsigned char)(0xf0 | u >> 18);
		out[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
		out[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		out[3] = (unsigned char)(0x80 | (u & 0x3f));
		n = 4;
	}
	return arena_put(sc, out, n);
}

/* The string at sc->pos (its opening quote); a key (or, for a visitor, any
 * string: key true) is decoded into the arena, so that "a" and "\u0061"
 * compare equal. */
static int scan_string(struct scan *sc, bool key)
{
	const unsigned char *s = sc->s;
	size_t pos = sc->pos + 1;
	int r;

	for (;;) {
		size_t start = pos, n;

		pos = plain_run(s, pos, sc->len);
		if (key && (r = arena_put(sc, s + start, pos - start)) < 0)
			return r;
		if (pos >= sc->len)
			return scan_fault(sc, "unexpected end of input at byte %zu", sc->len);
		if (s[pos] == '"') {
			sc->pos = pos + 1;
			return 0;
		}
		if (s[pos] == '\\') {
			r = scan_escape(sc, &pos, key);
			if (r < 0)
				return r;
			continue;
		}
		if (s[pos] < 0x20)
			return scan_fault(sc, "an unescaped control character at byte %zu", pos);
		n = utf8_len(s + pos, sc->len - pos);
		if (n == 0)
			return scan_fault(sc, "invalid UTF-8 at byte %zu", pos);
		if (key && (r = arena_put(sc, s + pos, n)) < 0)
			return r;
		pos += n;
	}
}

static bool is_digit(const struct scan *sc, size_t pos)
{
	return pos < sc->len && sc->s[pos] >= '0' && sc->s[pos] <= '9';
}

/* A number as RFC 8259 writes it (json-c also takes NaN, Infinity, "01",
 * "1." and saturates integers out of range), of a value json-c keeps. */
static int scan_number(struct scan *sc)
{
	const unsigned char *s = sc->s;
	size_t start = sc->pos, pos = start;
	bool neg = false, integer = true, overflow = false;
	uint64_t v = 0;

	if (s[pos] == '-') {
		neg = true;
		pos++;
	}
	if (!is_digit(sc, pos))
		return scan_fault(sc, "not valid JSON at byte %zu: number expected", start);
	if (s[pos] == '0') {
		pos++;
		if (is_digit(sc, pos))
			return scan_fault(sc, "a number with a leading zero at byte %zu", start);
	}
	for (; is_digit(sc, pos); pos++) {
		unsigned d = s[pos] - '0';

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (pos < sc->len && s[pos] == '.') {
		integer = false;
		if (!is_digit(sc, ++pos))
			return scan_fault(sc, "not valid JSON at byte %zu: a number without digits after its point", start);
		while (is_digit(sc, pos))
			pos++;
	}
	if (pos < sc->len && (s[pos] | 0x20) == 'e') {
		integer = false;
		pos++;
		if (pos < sc->len && (s[pos] == '+' || s[pos] == '-'))
			pos++;
		if (!is_digit(sc, pos))
			return scan_fault(sc, "not valid JSON at byte %zu: a number without digits in its exponent", start);
		while (is_digit(sc, pos))
			pos++;
	}
	if (pos - start > NUMBER_MAX)
		return scan_fault(sc, "a number longer than %d characters at byte %zu", NUMBER_MAX, start);
	if (integer) {
		if (overflow || (neg && v > (uint64_t)INT64_MAX + 1))
			return scan_fault(sc, "an integer out of range at byte %zu", start);
	} else {
		char buf[NUMBER_MAX + 1];

		memcpy(buf, s + start, pos - start);
		buf[pos - start] = '\0';
		if (!isfinite(strtod(buf, NULL)))
			return scan_fault(sc, "a number out of range at byte %zu", start);
	}
	sc->pos = pos;
	return 0;
}

static bool same_key(const char *arena, const struct scan_key *x, const struct scan_key *y)
{
	return x->len == y->len && memcmp(key_bytes(arena, x), key_bytes(arena, y), x->len) == 0;
}

/* Keys in byte order, equal ones in the order of the text. */
static int key_cmp(const void *a, const void *b, void *arena)
{
	const struct scan_key *x = a, *y = b;
	int c = memcmp(key_bytes(arena, x), key_bytes(arena, y), x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

/* At the close of the top object: no two of its keys are equal. Sorting
 * keeps it O(n log n) on an object of many keys; the fault names the first
 * repeat in the text. */
#define DUP_PAIRWISE_MAX 8
static int check_duplicates(struct scan *sc)
{
	struct scan_level *l = &sc->lv[sc->depth - 1];
	struct scan_key *k = sc->keys + l->first;
	size_t n = sc->n_keys - l->first;
	const struct scan_key *dup = NULL;

	if (n < 2)
		return 0;
	if (n <= DUP_PAIRWISE_MAX) {
		/* few keys (every record of a log): each against those before it */
		for (size_t i = 1; i < n && !dup; i++)
			for (size_t j = 0; j < i && !dup; j++)
				if (same_key(sc->arena, &k[j], &k[i]))
					dup = &k[i];
		return dup ? scan_fault_at(sc, sc->depth - 1, dup, "duplicate key") : 0;
	}
	qsort_r(k, n, sizeof(*k), key_cmp, sc->arena);
	for (size_t i = 1; i < n; i++)
		if (same_key(sc->arena, &k[i - 1], &k[i]) && (!dup || k[i].src < dup->src))
			dup = &k[i];
	if (dup)
		return scan_fault_at(sc, sc->depth - 1, dup, "duplicate key");
	return 0;
}

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
				      sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
		sc->pos++;
}

static bool literal(struct scan *sc)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t i = 0; i < ELEMENTSOF(words); i++) {
		size_t n = strlen(words[i]);

		if (sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, words[i], n) == 0) {
			sc->pos += n;
			return true;
		}
	}
	return false;
}

/* Tells the visitor of a value at the current depth (its key or index from
 * the open level); a string's decoded bytes are in the arena from mark. */
static int visit(struct scan *sc, enum vt_json_type type, const char *value, size_t value_len,
		 size_t mark)
{
	struct vt_json_token t = { .type = type, .depth = sc->depth, .value = value,
				       .value_len = value_len };
	const struct scan_level *l = sc->depth ? &sc->lv[sc->depth - 1] : NULL;
	int r;

	if (type == VT_JSON_STRING) {
		/* NUL-terminated: "\u0000" is refused, so it is the only one */
		if (arena_put(sc, "", 1) < 0)
			return -ENOMEM;
		t.value = sc->arena + mark;
		t.value_len = sc->arena_len - mark - 1;
	}
	if (l && l->object) {
		t.key = key_bytes(sc->arena, &sc->keys[l->key]);
		t.key_len = sc->keys[l->key].len;
	} else if (l) {
		t.index = l->index;
	}
	r = sc->visit(sc->userdata, &t);
	sc->arena_len = mark;
	return r;
}

/* One pass over the text, iterative, at most max_depth - 1 levels deep (as
 * json-c counts them). */
static int scan_text(struct scan *sc)
{
	enum { VALUE, MEMBER, NEXT } state = VALUE;
	struct scan_level *l;
	int r;

	for (;;) {
		skip_ws(sc);
		if (sc->pos >= sc->len && !(state == NEXT && sc->depth == 0))
			return scan_fault(sc, "unexpected end of input at byte %zu", sc->len);
		switch (state) {
		case VALUE: {
			unsigned char c = sc->s[sc->pos];

			if (c == '{' || c == '[') {
				if (sc->depth + 1 >= sc->max_depth)
					return scan_fault(sc, "nested deeper than %zu levels", sc->max_depth - 1);
				if (sc->visit &&
				    (r = visit(sc, c == '{' ? VT_JSON_OBJECT : VT_JSON_ARRAY, NULL, 0,
					       sc->arena_len)) < 0)
					return r;
				l = &sc->lv[sc->depth++];
				*l = (struct scan_level){ .object = c == '{', .first = sc->n_keys,
							  .arena = sc->arena_len };
				sc->pos++;
				skip_ws(sc);
				if (sc->pos < sc->len && sc->s[sc->pos] == (c == '{' ? '}' : ']')) {
					sc->pos++;
					sc->depth--;
					if (sc->visit && (r = visit(sc, VT_JSON_END, NULL, 0, sc->arena_len)) < 0)
						return r;
					state = NEXT;
				} else {
					state = c == '{' ? MEMBER : VALUE;
				}
				continue;
			}
			size_t start = sc->pos, mark = sc->arena_len;
			enum vt_json_type type = VT_JSON_NULL;

			if (c == '"') {
				type = VT_JSON_STRING;
				r = scan_string(sc, sc->visit != NULL);
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				type = VT_JSON_NUMBER;
				r = scan_number(sc);
			} else if (literal(sc)) {
				type = c == 't' ? VT_JSON_TRUE : c == 'f' ? VT_JSON_FALSE : VT_JSON_NULL;
				r = 0;
			} else {
				r = scan_fault(sc, "not valid JSON at byte %zu: unexpected character", sc->pos);
			}
			if (r < 0)
				return r;
			if (sc->visit &&
			    (r = visit(sc, type, type == VT_JSON_NUMBER ? (const char *)sc->s + start : NULL,
				       type == VT_JSON_NUMBER ? sc->pos - start : 0, mark)) < 0)
				return r;
			state = NEXT;
			continue;
		}
		case MEMBER: {
			struct scan_key k = { .off = sc->arena_len, .src = sc->pos };

			l = &sc->lv[sc->depth - 1];
			l->has_key = false;
			if (sc->s[sc->pos] != '"')
				return scan_fault(sc, "not valid JSON at byte %zu: a quoted key expected", sc->pos);
			r = scan_string(sc, true);
			if (r < 0)
				return r;
			k.len = sc->arena_len - k.off;
			if (grow((void **)&sc->keys, &sc->cap_keys, sc->n_keys + 1, sizeof(*sc->keys)) < 0)
				return -ENOMEM;
			sc->keys[sc->n_keys] = k;
			l->key = sc->n_keys++;
			l->has_key = true;
			skip_ws(sc);
			if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
				return scan_fault(sc, "not valid JSON at byte %zu: ':' expected", sc->pos);
			sc->pos++;
			state = VALUE;
			continue;
		}
		case NEXT:
			if (sc->depth == 0) {
				if (sc->pos != sc->len)
					return scan_fault(sc, "trailing data at byte %zu", sc->pos);
				return 0;
			}
			l = &sc->lv[sc->depth - 1];
			if (sc->s[sc->pos] == ',') {
				sc->pos++;
				if (l->object)
					state = MEMBER;
				else {
					l->index++;
					state = VALUE;
				}
				continue;
			}
			if (sc->s[sc->pos] != (l->object ? '}' : ']'))
				return scan_fault(sc, "not valid JSON at byte %zu: unexpected character", sc->pos);
			sc->pos++;
			if (l->object) {
				r = check_duplicates(sc);
				if (r < 0)
					return r;
				sc->n_keys = l->first;
				sc->arena_len = l->arena;
			}
			sc->depth--;
			if (sc->visit && (r = visit(sc, VT_JSON_END, NULL, 0, sc->arena_len)) < 0)
				return r;
			continue;
		}
	}
}

/* What both entries refuse before reading: a bad depth, a size json-c
 * cannot take, a NUL byte. */
static int scan_begin(const char *data, size_t len, unsigned max_depth, struct vt_json_error *err)
{
	const char *nul;

	*err = (struct vt_json_error){ .path = VT_JSON_PATH_INIT };
	if (max_depth < 2 || max_depth > VT_JSON_DEPTH_MAX)
		return -EINVAL;
	if (len > INT_MAX) {
		(void)fault(err, "%zu bytes exceed the limit of %d", len, INT_MAX);
		return -EFBIG;
	}
	/* json-c stops at a NUL and calls what came before the document */
	nul = memchr(data, '\0', len);
	if (nul)
		return fault(err, "a NUL byte at byte %zu", (size_t)(nul - data));
	return 0;
}

int vt_json_walk(const char *data, size_t len, unsigned max_depth, vt_json_visit_fn fn,
		     void *userdata, struct vt_json_error *err)
{
	struct scan_level levels[VT_JSON_DEPTH_MAX];
	struct scan sc = { .s = (const unsigned char *)data, .len = len, .lv = levels,
			   .max_depth = max_depth, .err = err, .visit = fn, .userdata = userdata };
	int r;

	if (!fn)
		return -EINVAL;
	r = scan_begin(data, len, max_depth, err);
	if (r < 0)
		return r;
	r = scan_text(&sc);
	free(sc.keys);
	free(sc.arena);
	if (r == -ENOMEM)
		(void)fault(err, "out of memory");
	return r;
}

int vt_json_parse(const char *data, size_t len, unsigned max_depth, struct json_object **ret,
		      struct vt_json_error *err)
{
	struct scan_level levels[VT_JSON_DEPTH_MAX];
	struct scan sc = { .s = (const unsigned char *)data, .len = len, .lv = levels,
			   .max_depth = max_depth, .err = err };
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *root;
	size_t end;
	int r;

	r = scan_begin(data, len, max_depth, err);
	if (r < 0)
		return r;
	tok = json_tokener_new_ex((int)max_depth);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, data, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			return fault(err, "unexpected end of input at byte %zu", len);
		return fault(err, "not valid JSON at byte %zu: %s", end, json_tokener_error_desc(jerr));
	}
	if (end != len) {
		json_object_put(root);
		return fault(err, "trailing data at byte %zu", end);
	}
	r = scan_text(&sc);
	free(sc.keys);
	free(sc.arena);
	if (r < 0) {
		json_object_put(root);
		if (r == -ENOMEM)
			(void)fault(err, "out of memory");
		return r;
	}
	*ret = root;
	return 0;
}
