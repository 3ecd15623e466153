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

#include "launch-internal.h"

#define TICKET_FILE_MAX 16384

struct launch_ticket {
	size_t n;
	char **secrets;
	size_t n_disks;
	struct launch_ticket_disk *disks;
};

static void ticket_disk_done(struct launch_ticket_disk *k)
{
	for (size_t i = 0; i < k->n_layers; i++) {
		free(k->layers[i].path);
		free(k->layers[i].format);
		free(k->layers[i].fdgroup);
	}
	free(k->layers);
	free(k->target);
	free(k->image);
}

void launch_ticket_free(struct launch_ticket *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->secrets[i]);
	free(t->secrets);
	for (size_t i = 0; i < t->n_disks; i++)
		ticket_disk_done(&t->disks[i]);
	free(t->disks);
	free(t);
}

const struct launch_ticket_disk *launch_ticket_disk(const struct launch_ticket *t, const char *target)
{
	for (size_t i = 0; t && target && i < t->n_disks; i++)
		if (strcmp(t->disks[i].target, target) == 0)
			return &t->disks[i];
	return NULL;
}

int launch_fdgroup_name(const char *target, size_t layer, char **ret)
{
	return asprintf(ret, "vmtrust-%s-%zu", target, layer) < 0 ? -ENOMEM : 0;
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
	int r;

	if (!state_dir || !name || !*name || name[0] == '.' || strchr(name, '/') || strlen(name) > 200)
		return vt_log_errno(EINVAL, "launch ticket: bad domain name '%s'", name ? name : "");
	r = vt_state_path(state_dir, VT_STATE_LAUNCH_TICKETS, &dir);
	if (r < 0)
		return r;
	if (mkdirs && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create '%s': %s", dir, strerror(errno));
	if (asprintf(ret, "%s/%s.json", dir, name) < 0)
		return -ENOMEM;
	return 0;
}

static bool handover_is_disk(const struct launch_domain *dom, const struct launch_handover *h)
{
	for (size_t i = 0; i < dom->n_disks; i++)
		if (dom->disks[i].target && dom->disks[i].source && strcmp(dom->disks[i].target, h->what) == 0 &&
		    strcmp(dom->disks[i].source, h->path) == 0)
			return true;
	return false;
}

static struct json_object *ticket_disk_json(const struct launch_handover *h)
{
	struct json_object *k = json_object_new_object(), *a = json_object_new_array();

	if (!k || !a)
		goto fail;
	json_object_object_add(k, "target", json_object_new_string(h->what));
	json_object_object_add(k, "image", json_object_new_string(h->image ? h->image : ""));
	json_object_object_add(k, "layers", a);
	for (size_t i = 0; i < h->n_layers; i++) {
		_cleanup_(freep) char *group = NULL;
		struct json_object *l = json_object_new_object();

		if (!l || launch_fdgroup_name(h->what, i, &group) < 0) {
			json_object_put(l);
			goto fail;
		}
		json_object_object_add(l, "path", json_object_new_string(h->layers[i].path));
		json_object_object_add(l, "format", json_object_new_string(h->layers[i].format));
		json_object_object_add(l, "sha256", json_object_new_string(h->layers[i].sha256));
		json_object_object_add(l, "fdgroup", json_object_new_string(group));
		json_object_array_add(a, l);
	}
	return k;
fail:
	if (!k)
		json_object_put(a);
	json_object_put(k);
	return NULL;
}

int launch_ticket_write(const char *state_dir, const struct launch_domain *dom,
			const char *const *secret_uuids, size_t n, const struct launch_handover *h,
			size_t n_h)
{
	_cleanup_(freep) char *path = NULL;
	struct json_object *o, *a, *disks;
	const char *text;
	int r;

	if (n > LAUNCH_TICKET_SECRETS_MAX)
		return vt_log_errno(E2BIG, "launch ticket for '%s': too many secrets", dom->name);
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
	disks = json_object_new_array();
	if (!disks) {
		json_object_put(o);
		return -ENOMEM;
	}
	json_object_object_add(o, "disks", disks);
	for (size_t i = 0; i < n_h; i++) {
		struct json_object *k;

		if (!handover_is_disk(dom, &h[i]))
			continue;
		k = ticket_disk_json(&h[i]);
		if (!k) {
			json_object_put(o);
			return -ENOMEM;
		}
		json_object_array_add(disks, k);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = text ? vt_write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
	json_object_put(o);
	return r;
}

static bool json_str_dup(struct json_object *o, const char *key, char **ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	*ret = strdup(json_object_get_string(v));
	return *ret != NULL;
}

/* "disks": [{"target", "image", "layers": [{"path", "format", "sha256", "fdgroup"}...]}...] */
static int ticket_parse_disks(struct json_object *o, struct launch_ticket *t)
{
	struct json_object *a, *k, *layers, *l;
	const char *hex;
	size_t n, n_l;

	if (!json_object_object_get_ex(o, "disks", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array) || (n = json_object_array_length(a)) > 256)
		return -EBADMSG;
	t->disks = calloc(n ? n : 1, sizeof(*t->disks));
	if (!t->disks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct launch_ticket_disk *disk = &t->disks[t->n_disks++];

		k = json_object_array_get_idx(a, i);
		if (!json_object_is_type(k, json_type_object) || !json_str_dup(k, "target", &disk->target) ||
		    !json_str_dup(k, "image", &disk->image) || !json_object_object_get_ex(k, "layers", &layers) ||
		    !json_object_is_type(layers, json_type_array) || (n_l = json_object_array_length(layers)) == 0 ||
		    n_l > LAUNCH_TICKET_LAYERS_MAX + 1)
			return -EBADMSG;
		disk->layers = calloc(n_l, sizeof(*disk->layers));
		if (!disk->layers)
			return -ENOMEM;
		for (size_t j = 0; j < n_l; j++) {
			struct launch_ticket_layer *tl = &disk->layers[disk->n_layers++];

			l = json_object_array_get_idx(layers, j);
			if (!json_object_is_type(l, json_type_object) || !json_str_dup(l, "path", &tl->path) ||
			    !json_str_dup(l, "format", &tl->format) || !json_str_dup(l, "fdgroup", &tl->fdgroup) ||
			    !json_object_object_get_ex(l, "sha256", &k) || !json_object_is_type(k, json_type_string))
				return -EBADMSG;
			hex = json_object_get_string(k);
			if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
				return -EBADMSG;
			memcpy(tl->sha256, hex, 65);
		}
	}
	return 0;
}

static int ticket_parse(const char *text, size_t len, const struct launch_domain *dom,
			struct launch_ticket *t)
{
	struct json_object *o = NULL, *v, *a;
	struct vt_json_error jerr;
	int64_t now = (int64_t)time(NULL), when;
	int r = -EBADMSG;
	size_t n;

	if (vt_json_parse(text, len, 32, &o, &jerr) < 0 || !json_object_is_type(o, json_type_object))
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
	r = ticket_parse_disks(o, t);
	if (r < 0)
		goto out;
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
	r = vt_read_file(path, TICKET_FILE_MAX, &text, &len);
	/* One start per ticket, whatever it holds. */
	if (unlink(path) < 0 && errno != ENOENT && r >= 0)
		r = vt_log_errno(errno, "cannot remove the launch ticket '%s': %s", path, strerror(errno));
	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = ticket_parse(text, len, dom, t);
	if (r == -EBADMSG)
		return vt_log_errno(EBADMSG, "launch ticket '%s': malformed, or for another domain", path);
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
		return vt_log_errno(errno, "cannot remove the launch ticket '%s': %s", path, strerror(errno));
	return 0;
}
