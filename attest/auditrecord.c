/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host audit's record as evidence: the checks with their status and
 * evidence, the canonical JSON measured on the host and carried by a
 * quote, its strict parser, and a verifier's rule over it. The audit that
 * makes a record runs on the host (hostaudit/, above attest); the record
 * is here because the verifier reads it. Check ids are the policy's
 * (policy_host_check_measure). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "attest.h"

#define AUDIT_VERSION 1
#define EVIDENCE_PARSE_MAX (4u * 2048)

struct attest_audit {
	struct attest_audit_check *checks;
	size_t n_checks;
	size_t max_checks;
};

static const char *const status_names[] = {
	[ATTEST_AUDIT_PASS] = "pass",
	[ATTEST_AUDIT_FAIL] = "fail",
	[ATTEST_AUDIT_UNKNOWN] = "unknown",
};

const char *attest_audit_status_name(enum attest_audit_status s)
{
	return (size_t)s < ELEMENTSOF(status_names) ? status_names[s] : "unknown";
}

void attest_audit_free(struct attest_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_checks; i++) {
		free((char *)a->checks[i].id);
		free((char *)a->checks[i].evidence);
	}
	free(a->checks);
	free(a);
}

const struct attest_audit_check *attest_audit_checks(const struct attest_audit *a, size_t *ret_n)
{
	*ret_n = a->n_checks;
	return a->checks;
}

const struct attest_audit_check *attest_audit_find(const struct attest_audit *a, const char *id)
{
	for (size_t i = 0; i < a->n_checks; i++)
		if (strcmp(a->checks[i].id, id) == 0)
			return &a->checks[i];
	return NULL;
}

int attest_audit_new(size_t max_checks, struct attest_audit **ret)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->checks = calloc(max_checks ? max_checks : 1, sizeof(*a->checks));
	if (!a->checks)
		return -ENOMEM;
	a->max_checks = max_checks;
	*ret = TAKE_PTR(a);
	return 0;
}

/* Printable ASCII only: any other byte as \xNN, so the evidence is safe on a
 * terminal and in JSON, and the canonical form stays the same bytes. */
static char *sanitize(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += (*c >= 0x20 && *c < 0x7f) ? 1 : 4;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c >= 0x20 && *c < 0x7f)
			*o++ = (char)*c;
		else
			o += sprintf(o, "\\x%02x", *c);
	}
	*o = '\0';
	return out;
}

int attest_audit_add(struct attest_audit *a, const char *id, enum attest_audit_status status,
		     const char *evidence, const char *hint, bool required)
{
	struct attest_audit_check *c;
	const char *measure = policy_host_check_measure(id);

	if (!measure || attest_audit_find(a, id) || status > ATTEST_AUDIT_UNKNOWN)
		return -EINVAL;
	if (a->n_checks == a->max_checks)
		return -E2BIG;
	c = &a->checks[a->n_checks];
	c->id = strdup(id);
	c->evidence = sanitize(evidence);
	if (!c->id || !c->evidence) {
		free((char *)c->id);
		free((char *)c->evidence);
		return -ENOMEM;
	}
	c->status = status;
	c->measure = measure;
	c->hint = status == ATTEST_AUDIT_PASS ? NULL : hint;
	c->required = required;
	a->n_checks++;
	return 0;
}

/* ---- a verifier's rule ------------------------------------------------------ */

/* Appends one failing check to a reason list: "a fail, b unknown". */
__attribute__((format(printf, 3, 4)))
static void reason_add(char *reason, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(reason, size);
	va_list ap;

	if (size == 0 || len + 1 >= size)
		return;
	if (len > 0)
		len += (size_t)snprintf(reason + len, size - len, ", ");
	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(reason + len, size - len, fmt, ap);
	va_end(ap);
}

/* The minimum a passed package check was audited against: the "V" of the
 * "(minimum V)" that ends its evidence; NULL when there is none. */
static const char *audited_minimum(const char *evidence, char *buf, size_t size)
{
	static const char tag[] = " (minimum ";
	const char *at = NULL, *end;
	size_t len;

	for (const char *p = strstr(evidence, tag); p; p = strstr(p + 1, tag))
		at = p;
	if (!at)
		return NULL;
	at += strlen(tag);
	end = at + strlen(at);
	if (end == at || end[-1] != ')')
		return NULL;
	len = (size_t)(end - 1 - at);
	if (len == 0 || len >= size)
		return NULL;
	memcpy(buf, at, len);
	buf[len] = '\0';
	return buf;
}

int attest_audit_evaluate(const struct attest_audit *a, const struct policy *p, char *reason,
			  size_t size)
{
	const size_t plen = strlen(POLICY_HOST_PACKAGE_PREFIX);
	const struct policy_version_min *mv = NULL;
	const char *const *req = NULL;
	size_t n_req = 0, n_mv = 0;
	bool ok = true;

	if (size > 0)
		reason[0] = '\0';
	if (p) {
		req = policy_host_required_checks(p, &n_req);
		mv = policy_host_min_versions(p, &n_mv);
	}
	/* package:NAME ids are min_versions entries (policy_load holds them
	 * to it): below. */
	for (size_t i = 0; i < n_req; i++) {
		const struct attest_audit_check *c = attest_audit_find(a, req[i]);

		if (strncmp(req[i], POLICY_HOST_PACKAGE_PREFIX, plen) == 0)
			continue;
		if (c && c->status == ATTEST_AUDIT_PASS)
			continue;
		ok = false;
		if (c)
			reason_add(reason, size, "%s %s", req[i], attest_audit_status_name(c->status));
		else
			reason_add(reason, size, "%s not in the audit", req[i]);
	}
	for (size_t i = 0; i < n_mv; i++) {
		char id[sizeof(POLICY_HOST_PACKAGE_PREFIX) + POLICY_HOST_PACKAGE_NAME_MAX];
		char buf[POLICY_DEB_VERSION_MAX];
		const struct attest_audit_check *c;
		const char *min;
		int cmp;

		snprintf(id, sizeof(id), POLICY_HOST_PACKAGE_PREFIX "%s", mv[i].package);
		c = attest_audit_find(a, id);
		if (!c) {
			ok = false;
			reason_add(reason, size, "%s not in the audit", id);
			continue;
		}
		if (c->status != ATTEST_AUDIT_PASS) {
			ok = false;
			reason_add(reason, size, "%s %s", id, attest_audit_status_name(c->status));
			continue;
		}
		/* A pass says: at least the minimum the host audited against. */
		min = audited_minimum(c->evidence, buf, sizeof(buf));
		if (!min || policy_deb_version_compare(min, mv[i].version, &cmp) < 0) {
			ok = false;
			reason_add(reason, size, "%s passed against no minimum it names", id);
		} else if (cmp < 0) {
			ok = false;
			reason_add(reason, size, "%s passed against the minimum %s, below the policy's %s",
				   id, min, mv[i].version);
		}
	}
	return ok ? 1 : 0;
}

/* ---- JSON --------------------------------------------------------------------- */

int attest_audit_to_json(const struct attest_audit *a, char **ret)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *checks = json_object_new_array();
	char *s;

	if (!root || !checks) {
		json_object_put(checks);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "vmtrust_host_audit", json_object_new_int(AUDIT_VERSION)) < 0 ||
	    json_object_object_add(root, "checks", checks) < 0) {
		json_object_put(checks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n_checks; i++) {
		json_object *c = json_object_new_object();

		if (!c || json_object_array_add(checks, c) < 0) {
			json_object_put(c);
			return -ENOMEM;
		}
		if (json_object_object_add(c, "id", json_object_new_string(a->checks[i].id)) < 0 ||
		    json_object_object_add(c, "status", json_object_new_string(
			    attest_audit_status_name(a->checks[i].status))) < 0 ||
		    json_object_object_add(c, "evidence",
					   json_object_new_string(a->checks[i].evidence)) < 0)
			return -ENOMEM;
	}
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int audit_fault(const char *name, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vt_log_errno(EBADMSG, "host audit '%s': %s: %s", name, path, msg);
}

static int parse_check(const char *name, size_t idx, json_object *o, struct attest_audit *a)
{
	static const char *const keys[] = { "id", "status", "evidence" };
	const char *id, *status, *evidence;
	json_object *v[3];
	char path[64];
	size_t s;

	snprintf(path, sizeof(path), "$.checks[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return audit_fault(name, path, "expected an object");
	if (json_object_object_length(o) != 3)
		return audit_fault(name, path, "expected exactly the keys id, status, evidence");
	for (size_t k = 0; k < 3; k++)
		if (!json_object_object_get_ex(o, keys[k], &v[k]) ||
		    !json_object_is_type(v[k], json_type_string))
			return audit_fault(name, path, "'%s' missing or not a string", keys[k]);
	id = json_object_get_string(v[0]);
	status = json_object_get_string(v[1]);
	evidence = json_object_get_string(v[2]);
	if (!policy_host_check_measure(id))
		return audit_fault(name, path, "unknown check id '%.64s'", id);
	if (attest_audit_find(a, id))
		return audit_fault(name, path, "duplicate check id '%.64s'", id);
	for (s = 0; s < ELEMENTSOF(status_names) && strcmp(status, status_names[s]) != 0; s++)
		;
	if (s == ELEMENTSOF(status_names))
		return audit_fault(name, path, "status '%.64s' is not pass, fail or unknown", status);
	if (strlen(evidence) > EVIDENCE_PARSE_MAX)
		return audit_fault(name, path, "evidence longer than %u bytes", EVIDENCE_PARSE_MAX);
	for (const char *e = evidence; *e; e++)
		if (!(*e >= 0x20 && *e < 0x7f))
			return audit_fault(name, path, "evidence has a byte that is not printable ASCII");
	return attest_audit_add(a, id, (enum attest_audit_status)s, evidence, NULL, false);
}

int attest_audit_parse(const char *name, const char *json, size_t len, struct attest_audit **ret)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	_cleanup_(json_object_putp) json_object *root = NULL;
	json_object *v, *checks;
	struct vt_json_error jerr;
	size_t n;
	int r;

	if (len > ATTEST_AUDIT_JSON_MAX)
		return vt_log_errno(EFBIG, "host audit '%s': %zu bytes exceed the limit of %d",
					name, len, ATTEST_AUDIT_JSON_MAX);
	r = vt_json_parse(json, len, 8, &root, &jerr);
	if (r < 0)
		return r == -EBADMSG ? audit_fault(name, jerr.path.buf, "%s", jerr.reason) : r;
	if (!json_object_is_type(root, json_type_object))
		return audit_fault(name, "$", "expected an object at the top level");
	if (json_object_object_length(root) != 2 ||
	    !json_object_object_get_ex(root, "vmtrust_host_audit", &v) ||
	    !json_object_object_get_ex(root, "checks", &checks))
		return audit_fault(name, "$", "expected exactly the keys vmtrust_host_audit, checks");
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != AUDIT_VERSION)
		return audit_fault(name, "$.vmtrust_host_audit", "not version %d", AUDIT_VERSION);
	if (!json_object_is_type(checks, json_type_array))
		return audit_fault(name, "$.checks", "expected an array");
	n = json_object_array_length(checks);
	r = attest_audit_new(n, &a);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = parse_check(name, i, json_object_array_get_idx(checks, i), a);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(a);
	return 0;
}
