/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Launch tickets: the link between `vmtrust launch DOMAIN`, which releases
 * the keys of encrypted disks after a good verdict and defines them as
 * libvirt secrets, and the hook, which must not call back into libvirt and
 * so cannot ask who defined a secret. A ticket names secrets, never keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "launch.h"

#define TICKET_FILE_MAX 16384

struct launch_ticket {
	size_t n;
	char **secrets;
};

void launch_ticket_free(struct launch_ticket *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->secrets[i]);
	free(t->secrets);
	free(t);
}

bool launch_ticket_covers(const struct launch_ticket *t, const char *secret_uuid)
{
	for (size_t i = 0; t && secret_uuid && i < t->n; i++)
		if (strcasecmp(t->secrets[i], secret_uuid) == 0)
			return true;
	return false;
}

/* STATE_DIR/launch-tickets/NAME.json; libvirt's names hold no '/', but
 * nothing here relies on that. */
static int ticket_path(const char *state_dir, const char *name, bool mkdirs, char **ret)
{
	_cleanup_(freep) char *dir = NULL;

	if (!state_dir || !name || !*name || name[0] == '.' || strchr(name, '/') || strlen(name) > 200)
		return policy_log_errno(EINVAL, "launch ticket: bad domain name '%s'", name ? name : "");
	if (asprintf(&dir, "%s/%s", state_dir, LAUNCH_TICKET_DIR) < 0)
		return -ENOMEM;
	if (mkdirs && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return policy_log_errno(errno, "cannot create '%s': %s", dir, strerror(errno));
	if (asprintf(ret, "%s/%s.json", dir, name) < 0)
		return -ENOMEM;
	return 0;
}

int launch_ticket_write(const char *state_dir, const struct launch_domain *dom,
			const char *const *secret_uuids, size_t n)
{
	_cleanup_(freep) char *path = NULL;
	struct json_object *o, *a;
	const char *text;
	int r;

	if (n > LAUNCH_TICKET_SECRETS_MAX)
		return policy_log_errno(E2BIG, "launch ticket for '%s': too many secrets", dom->name);
	r = ticket_path(state_dir, dom->name, true, &path);
	if (r < 0)
		return r;
	o = json_object_new_object();
	a = json_object_new_array();
	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return -ENOMEM;
	}
	json_object_object_add(o, "domain", json_object_new_string(dom->name));
	if (dom->uuid)
		json_object_object_add(o, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(secret_uuids[i]));
	json_object_object_add(o, "secrets", a);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = text ? policy_write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
	json_object_put(o);
	return r;
}

static int ticket_parse(const char *text, size_t len, const struct launch_domain *dom,
			struct launch_ticket *t)
{
	struct json_object *o = NULL, *v, *a;
	struct policy_json_error jerr;
	int64_t now = (int64_t)time(NULL), when;
	int r = -EBADMSG;
	size_t n;

	if (policy_json_parse(text, len, 32, &o, &jerr) < 0 || !json_object_is_type(o, json_type_object))
		goto out;
	if (!json_object_object_get_ex(o, "domain", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), dom->name) != 0)
		goto out;
	if (json_object_object_get_ex(o, "uuid", &v) &&
	    (!json_object_is_type(v, json_type_string) || !dom->uuid ||
	     strcasecmp(json_object_get_string(v), dom->uuid) != 0))
		goto out;
	if (!json_object_object_get_ex(o, "time", &v) || !json_object_is_type(v, json_type_int))
		goto out;
	when = json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "secrets", &a) || !json_object_is_type(a, json_type_array))
		goto out;
	n = json_object_array_length(a);
	if (n > LAUNCH_TICKET_SECRETS_MAX)
		goto out;
	t->secrets = calloc(n ? n : 1, sizeof(*t->secrets));
	if (!t->secrets) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			goto out;
		t->secrets[i] = strdup(json_object_get_string(v));
		if (!t->secrets[i]) {
			r = -ENOMEM;
			goto out;
		}
		t->n++;
	}
	r = when > now || now - when > LAUNCH_TICKET_MAX_AGE ? -ESTALE : 0;
out:
	json_object_put(o);
	return r;
}

int launch_ticket_take(const char *state_dir, const struct launch_domain *dom,
		       struct launch_ticket **ret)
{
	_cleanup_(launch_ticket_freep) struct launch_ticket *t = NULL;
	_cleanup_(freep) char *path = NULL, *text = NULL;
	size_t len;
	int r;

	r = ticket_path(state_dir, dom->name, false, &path);
	if (r < 0)
		return r;
	r = policy_read_file(path, TICKET_FILE_MAX, &text, &len);
	/* One start per ticket, whatever it holds. */
	if (unlink(path) < 0 && errno != ENOENT && r >= 0)
		r = policy_log_errno(errno, "cannot remove the launch ticket '%s': %s", path, strerror(errno));
	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = ticket_parse(text, len, dom, t);
	if (r == -EBADMSG)
		return policy_log_errno(EBADMSG, "launch ticket '%s': malformed, or for another domain", path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int launch_ticket_remove(const char *state_dir, const char *domain_name)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = ticket_path(state_dir, domain_name, false, &path);
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return policy_log_errno(errno, "cannot remove the launch ticket '%s': %s", path, strerror(errno));
	return 0;
}
