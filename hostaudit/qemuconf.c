/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's /etc/libvirt/qemu.conf, parsed with libvirt's own syntax, once
 * per run, for the checks that read it (qemu-user, qemu-seccomp,
 * security-driver, graphics-listen). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostaudit-internal.h"

/* ---- libvirt's qemu.conf ---------------------------------------------------- */
/*
 * The syntax of libvirt's virconf: NAME = VALUE statements separated by
 * newlines or ';', NAME a letter then letters, digits, '_'; VALUE a string
 * in "..." or '...' (one line, no escapes) or """...""" (lines), a number
 * (optional sign, digits), or a list [v, v, ...] over lines; comments from
 * '#' to the end of the line, not inside lists. Like libvirt, the first of
 * repeated names counts.
 */

struct conf_parser {
	const char *cur, *end;
	unsigned line;
	char *err;
	size_t err_size;
};

__attribute__((format(printf, 2, 3)))
static int conf_error(struct conf_parser *ps, const char *fmt, ...)
{
	int n = ha_snprintf(ps->err, ps->err_size, "line %u: ", ps->line);
	va_list ap;

	if (n >= 0 && (size_t)n < ps->err_size) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static void conf_value_clear(struct conf_value *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n_items; i++)
		conf_value_clear(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

void ha_conf_clear(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].name);
		conf_value_clear(&c->entries[i].value);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

static void skip_blanks(struct conf_parser *ps)
{
	while (ps->cur < ps->end && is_blank(*ps->cur))
		ps->cur++;
}

static void skip_blanks_and_eol(struct conf_parser *ps)
{
	while (ps->cur < ps->end && (is_blank(*ps->cur) || is_eol(*ps->cur))) {
		if (*ps->cur == '\n')
			ps->line++;
		ps->cur++;
	}
}

static int conf_string_value(struct conf_parser *ps, struct conf_value *v)
{
	const char *base;
	size_t len;

	if ((size_t)(ps->end - ps->cur) >= 3 && memcmp(ps->cur, "\"\"\"", 3) == 0) {
		const char *close;

		base = ps->cur + 3;
		for (close = base; close + 3 <= ps->end && memcmp(close, "\"\"\"", 3) != 0; close++)
			;
		if (close + 3 > ps->end)
			return conf_error(ps, "unterminated string");
		for (const char *c = base; c < close; c++)
			ps->line += *c == '\n';
		len = (size_t)(close - base);
		ps->cur = close + 3;
	} else {
		char quote = *ps->cur++;

		base = ps->cur;
		while (ps->cur < ps->end && *ps->cur != quote && !is_eol(*ps->cur))
			ps->cur++;
		if (ps->cur >= ps->end || *ps->cur != quote)
			return conf_error(ps, "unterminated string");
		len = (size_t)(ps->cur - base);
		ps->cur++;
	}
	v->type = CONF_STRING;
	v->str = strndup(base, len);
	return v->str ? 0 : -ENOMEM;
}

static int conf_parse_value(struct conf_parser *ps, unsigned depth, struct conf_value *v)
{
	skip_blanks(ps);
	if (ps->cur >= ps->end)
		return conf_error(ps, "expecting a value");
	if (*ps->cur == '"' || *ps->cur == '\'')
		return conf_string_value(ps, v);
	if (*ps->cur == '[') {
		if (depth >= CONF_DEPTH_MAX)
			return conf_error(ps, "lists nested deeper than %u", CONF_DEPTH_MAX);
		v->type = CONF_LIST;
		ps->cur++;
		skip_blanks_and_eol(ps);
		while (ps->cur < ps->end && *ps->cur != ']') {
			struct conf_value *items;
			int r;

			if (v->n_items > 0) {
				if (*ps->cur != ',')
					return conf_error(ps, "expecting a separator in list");
				ps->cur++;
				skip_blanks_and_eol(ps);
				if (ps->cur < ps->end && *ps->cur == ']')
					break;
			}
			if (v->n_items == CONF_LIST_MAX)
				return conf_error(ps, "a list of more than %u values", CONF_LIST_MAX);
			items = realloc(v->items, (v->n_items + 1) * sizeof(*items));
			if (!items)
				return -ENOMEM;
			v->items = items;
			memset(&v->items[v->n_items], 0, sizeof(*items));
			r = conf_parse_value(ps, depth + 1, &v->items[v->n_items++]);
			if (r < 0)
				return r;
			skip_blanks_and_eol(ps);
		}
		if (ps->cur >= ps->end)
			return conf_error(ps, "list is not closed with ]");
		ps->cur++;
		return 0;
	}
	if (is_digit(*ps->cur) || *ps->cur == '-' || *ps->cur == '+') {
		bool neg = *ps->cur == '-';
		long long num = 0;
		unsigned digits = 0;

		if (!is_digit(*ps->cur))
			ps->cur++;
		if (ps->cur >= ps->end || !is_digit(*ps->cur))
			return conf_error(ps, "unterminated number");
		for (; ps->cur < ps->end && is_digit(*ps->cur); ps->cur++) {
			if (++digits > 18)
				return conf_error(ps, "number too large");
			num = num * 10 + (*ps->cur - '0');
		}
		v->type = CONF_NUMBER;
		v->num = neg ? -num : num;
		return 0;
	}
	return conf_error(ps, "expecting a value");
}

static int conf_parse_statement(struct conf_parser *ps, struct conf *c)
{
	struct conf_entry *e;
	const char *name;
	int r;

	skip_blanks_and_eol(ps);
	if (ps->cur >= ps->end)
		return 0;
	if (*ps->cur == '#') {
		while (ps->cur < ps->end && !is_eol(*ps->cur))
			ps->cur++;
		return 0;
	}
	name = ps->cur;
	if (!is_alpha(*ps->cur))
		return conf_error(ps, "expecting a name");
	while (ps->cur < ps->end && (is_alnum(*ps->cur) || *ps->cur == '_'))
		ps->cur++;
	if (c->n == CONF_ENTRIES_MAX)
		return conf_error(ps, "more than %u settings", CONF_ENTRIES_MAX);
	e = realloc(c->entries, (c->n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	c->entries = e;
	e = &c->entries[c->n];
	memset(e, 0, sizeof(*e));
	e->line = ps->line;
	e->name = strndup(name, (size_t)(ps->cur - name));
	if (!e->name)
		return -ENOMEM;
	c->n++;
	skip_blanks(ps);
	if (ps->cur >= ps->end || *ps->cur != '=')
		return conf_error(ps, "expecting an assignment");
	ps->cur++;
	r = conf_parse_value(ps, 0, &e->value);
	if (r < 0)
		return r;
	skip_blanks(ps);
	if (ps->cur < ps->end && *ps->cur == '#')
		while (ps->cur < ps->end && !is_eol(*ps->cur))
			ps->cur++;
	return 0;
}

static int conf_parse_separator(struct conf_parser *ps)
{
	skip_blanks(ps);
	if (ps->cur >= ps->end)
		return 0;
	if (is_eol(*ps->cur)) {
		skip_blanks_and_eol(ps);
	} else if (*ps->cur == ';') {
		ps->cur++;
		skip_blanks_and_eol(ps);
	} else {
		return conf_error(ps, "expecting a separator");
	}
	return 0;
}

static int conf_parse(const char *data, size_t len, struct conf *ret, char *err, size_t err_size)
{
	struct conf_parser ps = { data, data + len, 1, err, err_size };
	struct conf c = { 0 };
	const char *nul = memchr(data, '\0', len);
	int r = 0;

	if (nul) {
		for (const char *x = data; x < nul; x++)
			ps.line += *x == '\n';
		ps.cur = nul;
		return conf_error(&ps, "a NUL byte");
	}
	while (ps.cur < ps.end) {
		r = conf_parse_statement(&ps, &c);
		if (r >= 0)
			r = conf_parse_separator(&ps);
		if (r < 0) {
			ha_conf_clear(&c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

const struct conf_value *ha_conf_get(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i].value;
	return NULL;
}

void ha_conf_load(struct run *run)
{
	static const char rel[] = "/etc/libvirt/qemu.conf";
	_cleanup_(freep) char *data = NULL;
	char err[256];
	size_t len;
	int r;

	r = ha_read_input(run, rel, QEMU_CONF_MAX, &data, &len, run->conf_reason,
		       sizeof(run->conf_reason));
	if (r < 0)
		return;
	r = conf_parse(data, len, &run->conf, err, sizeof(err));
	if (r < 0) {
		ha_snprintf(run->conf_reason, sizeof(run->conf_reason), "'%s%s' %s", run->root, rel,
			 r == -ENOMEM ? "cannot be parsed: out of memory" : err);
		return;
	}
	run->conf_ok = true;
}

int ha_conf_string(const struct run *run, const char *name, const char **ret, struct sb *ev)
{
	const struct conf_value *v = ha_conf_get(&run->conf, name);

	if (!v)
		return 0;
	if (v->type != CONF_STRING) {
		ha_sb_add(ha_sb_part(ev), "qemu.conf: '%s' must be a string", name);
		return -EINVAL;
	}
	*ret = v->str;
	return 1;
}

int ha_conf_bool(const struct run *run, const char *name, int def, int *ret, struct sb *ev)
{
	const struct conf_value *v = ha_conf_get(&run->conf, name);

	if (!v) {
		*ret = def;
		return 0;
	}
	if (v->type != CONF_NUMBER || (v->num != 0 && v->num != 1)) {
		ha_sb_add(ha_sb_part(ev), "qemu.conf: '%s' must be 0 or 1", name);
		return -EINVAL;
	}
	*ret = (int)v->num;
	return 1;
}


/* ---- the checks that read it ------------------------------------------------ */

bool ha_conf_verdict(const struct run *run, struct sb *ev, const struct sb *bad,
		     enum attest_audit_status *s)
{
	if (bad->len) {
		*s = ATTEST_AUDIT_FAIL;
		ha_sb_lead(ev, bad);
	} else if (!run->conf_ok) {
		*s = ATTEST_AUDIT_UNKNOWN;
		ha_sb_add(ev, "%s", run->conf_reason);
	} else {
		return false;
	}
	return true;
}

int ha_add_conf_check(struct run *run, const char *id, enum attest_audit_status s, const char *hint,
		      struct sb *ev)
{
	ha_describe_procs(run, ev);
	return ha_add_check(run, id, s, s == ATTEST_AUDIT_FAIL || run->conf_ok ? hint : ha_hint_qemu_conf, ev);
}
