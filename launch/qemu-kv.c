/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A qemu command line's suboptions, "key=value,key2=value2", read as qemu
 * reads them (QemuOpts and keyval) and written back for it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "launch-internal.h"

void qemu_kvlist_done(struct qemu_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->n = 0;
	l->v = NULL;
}


/* A value up to a single ',' (",," is a comma); returns where it stopped. */
static const char *get_value(const char *p, char **ret)
{
	size_t n = 0;
	char *v = malloc(strlen(p) + 1);

	*ret = v;
	if (!v)
		return p;
	while (*p && (*p != ',' || p[1] == ',')) {
		if (*p == ',')
			p++;
		v[n++] = *p++;
	}
	v[n] = '\0';
	return p;
}

/* Last one wins, as in qemu. */
const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key)
{
	for (size_t i = l->n; i > 0; i--)
		if (strcmp(l->v[i - 1].key, key) == 0)
			return l->v[i - 1].value;
	return NULL;
}

int qemu_kv_parse(const char *opt, const char *s, enum qemu_syntax syn, const char *implied, struct qemu_kvlist *l)
{
	const char *p = s;
	size_t cap = 0;

	qemu_kvlist_done(l);
	/* JSON is parsed by qemu's own parser; a second one could read it
	 * differently. */
	if (*p == '{')
		return vt_log_errno(EOPNOTSUPP, "qemu: -%s in JSON form is not accepted: use key=value", opt);
	while (*p) {
		size_t len = strcspn(p, "=,");
		char *key = NULL, *value = NULL;

		if (p[len] != '=' && l->n == 0 && implied && (syn == QEMU_OPTS || len > 0)) {
			key = strdup(implied);
			if (syn == QEMU_OPTS) {
				p = get_value(p, &value);
			} else {
				value = strndup(p, len);
				p += len;
			}
		} else if (p[len] != '=') {
			if (syn == KEYVAL)
				return vt_log_errno(EINVAL, "qemu: -%s '%s': expected '=' after '%.*s'",
							opt, s, (int)len, p);
			/* A flag: "key" is key=on, "nokey" key=off. */
			if (len >= 2 && strncmp(p, "no", 2) == 0) {
				key = strndup(p + 2, len - 2);
				value = strdup("off");
			} else {
				key = strndup(p, len);
				value = strdup("on");
			}
			p += len;
		} else {
			key = strndup(p, len);
			p = get_value(p + len + 1, &value);
		}
		if (*p == ',')
			p++;
		if (key && value && l->n == cap) {
			struct qemu_kv *v = reallocarray(l->v, cap ? 2 * cap : 8, sizeof(*v));

			if (v) {
				l->v = v;
				cap = cap ? 2 * cap : 8;
			}
		}
		if (!key || !value || l->n == cap) {
			free(key);
			free(value);
			return -ENOMEM;
		}
		l->v[l->n++] = (struct qemu_kv){ key, value };
	}
	return 0;
}

bool qemu_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool qemu_listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* qapi_bool_parse */
int qemu_parse_bool(const char *what, const char *key, const char *v, bool *ret)
{
	if (!v) {
		*ret = false;
		return 0;
	}
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y")) {
		*ret = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n")) {
		*ret = false;
		return 0;
	}
	return vt_log_errno(EINVAL, "qemu: %s: %s='%s' is not on or off", what, key, v);
}

/* Suboptions as qemu reads them again: "key=value", a ',' in a value
 * doubled (QemuOpts and keyval both read ",," as a comma). */
int qemu_kv_format(const struct qemu_kvlist *o, char **ret)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < o->n; i++)
		len += strlen(o->v[i].key) + 2 * strlen(o->v[i].value) + 2;
	s = p = malloc(len);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < o->n; i++) {
		if (i)
			*p++ = ',';
		p = stpcpy(p, o->v[i].key);
		*p++ = '=';
		for (const char *v = o->v[i].value; *v; v++) {
			if (*v == ',')
				*p++ = ',';
			*p++ = *v;
		}
	}
	*p = '\0';
	*ret = s;
	return 0;
}

/* Sets key to value in o, every time it is there, or appends it. */
int qemu_kv_set(struct qemu_kvlist *o, const char *key, const char *value, bool append)
{
	struct qemu_kv *v;
	bool found = false;

	for (size_t i = 0; !append && i < o->n; i++)
		if (!strcmp(o->v[i].key, key)) {
			char *n = strdup(value);

			if (!n)
				return -ENOMEM;
			free(o->v[i].value);
			o->v[i].value = n;
			found = true;
		}
	if (found)
		return 0;
	v = reallocarray(o->v, o->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->v = v;
	v[o->n] = (struct qemu_kv){ strdup(key), strdup(value) };
	if (!v[o->n].key || !v[o->n].value) {
		free(v[o->n].key);
		free(v[o->n].value);
		return -ENOMEM;
	}
	o->n++;
	return 0;
}
