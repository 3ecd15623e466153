/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A qemu command line's disks: -drive and its shortcuts, the pflash units
 * and -blockdev, each followed down to the file it reads. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "launch-internal.h"

/* ---- -drive and its shortcuts ----------------------------------------------- */

/* What a -drive may say to the block layer besides file= and format=: a
 * source of data of its own (backing, data-file, file.filename, a protocol
 * driver) is not followed. */
static const char *const drive_file_opts[] = {
	"file.driver", "file.aio", "file.aio-max-batch", "file.locking", "file.drop-cache",
	"file.x-check-cache-dropped", "file.pr-manager", "file.cache.direct", "file.cache.no-flush",
};

/* The -drive keys that name no host file (qemu_common_drive_opts,
 * qemu_legacy_drive_opts and the raw, qcow2 and luks options); file=,
 * format= and driver= are checked on their own, encrypt.*, file.*, cache.*
 * and throttling.* below. Any other key is refused. */
static const char *const drive_keys[] = {
	"file", "format", "driver", "if", "media", "id", "index", "unit", "bus", "readonly", "read-only",
	"snapshot", "cache", "aio", "aio-max-batch", "discard", "detect-zeroes", "werror", "rerror",
	"copy-on-read", "serial", "addr", "cyls", "heads", "secs", "trans", "boot", "group", "key-secret",
	"auto-read-only", "force-share", "node-name", "l2-cache-size", "l2-cache-entry-size",
	"refcount-cache-size", "cache-clean-interval", "lazy-refcounts", "pass-discard-request",
	"pass-discard-snapshot", "pass-discard-other", "overlap-check", "stats-account-invalid",
	"stats-account-failed", "stats-intervals",
};

/* What a drive with no file may say: where it sits and how the guest sees
 * it, nothing the block layer would open. */
static const char *const empty_drive_keys[] = {
	"if", "media", "id", "index", "unit", "bus", "readonly", "read-only", "serial", "addr",
	"cyls", "heads", "secs", "trans", "boot", "werror", "rerror", "file",
};

static int check_drive_key(const char *what, const struct qemu_kv *kv, bool *encrypted)
{
	const char *k = kv->key;
	bool known = false;

	if (!strcmp(k, "backing") || qemu_startswith(k, "backing."))
		return vt_log_errno(EOPNOTSUPP, "qemu: %s: an explicit backing file (%s=) is not accepted",
					what, k);
	if (!strcmp(k, "data-file") || qemu_startswith(k, "data-file."))
		return vt_log_errno(EOPNOTSUPP, "qemu: %s: an external data file (%s=) is not accepted",
					what, k);
	if (!strcmp(k, "key-secret"))
		*encrypted = true;
	if (qemu_startswith(k, "encrypt.")) {
		if (!strcmp(k, "encrypt.format") && strcmp(kv->value, "luks") != 0)
			return vt_log_errno(EOPNOTSUPP, "qemu: %s: encryption '%s' is not supported", what,
						kv->value);
		*encrypted = true;
		return 0;
	}
	if (qemu_startswith(k, "file.")) {
		for (size_t i = 0; i < ELEMENTSOF(drive_file_opts); i++)
			known |= !strcmp(k, drive_file_opts[i]);
		if (!known || (!strcmp(k, "file.driver") && strcmp(kv->value, "file") != 0))
			return vt_log_errno(EOPNOTSUPP, "qemu: %s: %s='%s' cannot be followed", what, k,
						kv->value);
		return 0;
	}
	if (qemu_startswith(k, "cache.") || qemu_startswith(k, "throttling.") || qemu_listed(drive_keys, ELEMENTSOF(drive_keys), k))
		return 0;
	return vt_log_errno(EOPNOTSUPP, "qemu: %s: %s='%s' cannot be followed", what, k, kv->value);
}

/* An empty cdrom or floppy: a key of another kind (filename=, driver=...)
 * would have the block layer open something all the same. */
static int check_empty_drive(const char *what, const struct qemu_kvlist *o)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct qemu_kv *kv = &o->v[i];

		if (qemu_listed(empty_drive_keys, ELEMENTSOF(empty_drive_keys), kv->key) ||
		    (!strcmp(kv->key, "driver") && !strcmp(kv->value, "none")))
			continue;
		return vt_log_errno(EOPNOTSUPP, "qemu: %s has no file=, so %s='%s' is refused on it", what,
					kv->key, kv->value);
	}
	return 0;
}

/* format= or driver=: what qemu opens the file as. luks is raw data to the
 * image verifier, as libvirt's <driver type='raw'/><encryption
 * format='luks'/>; no format at all is a probe, as is the verifier's. */
static int drive_format(const char *what, const char *f, const char **ret, bool *encrypted)
{
	if (!f || !strcmp(f, "raw") || !strcmp(f, "qcow2")) {
		*ret = f;
		return 0;
	}
	if (!strcmp(f, "luks") || !strcmp(f, "file")) {
		*encrypted |= !strcmp(f, "luks");
		*ret = "raw";
		return 0;
	}
	return vt_log_errno(EOPNOTSUPP, "qemu: %s: format '%s' cannot be verified before launch", what, f);
}

static int parse_unit(const char *what, const char *v, unsigned *ret)
{
	char *end;
	unsigned long u;

	errno = 0;
	u = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || u >= QEMU_PFLASH_MAX)
		return vt_log_errno(EINVAL, "qemu: %s: pflash unit '%s' is not one of 0..%d", what, v,
					QEMU_PFLASH_MAX - 1);
	*ret = (unsigned)u;
	return 0;
}

/* Without format= qemu probes what the file holds: an image verified as
 * raw could be opened as another format, with files of its own. */
static int no_format(const char *what, const char *path)
{
	return vt_log_errno(EOPNOTSUPP,
				"qemu: %s '%s' has no format=, so qemu would probe it: use -drive "
				"file=...,format=raw or format=qcow2",
				what, path);
}

/* Unit 0 is the firmware the machine runs first (the loader); a further
 * unit (OVMF's variable store) is a disk to verify like any other. */
int qemu_add_pflash(struct qemu_ctx *c, const char *what, const char *unit_str, const char *path,
		    const char *format, bool readonly, bool encrypted)
{
	char target[32];
	unsigned unit = 0;
	int r;

	if (unit_str) {
		r = parse_unit(what, unit_str, &unit);
		if (r < 0)
			return r;
	} else {
		while (unit < QEMU_PFLASH_MAX && (c->pflash_units & (UINT64_C(1) << unit)))
			unit++;
		if (unit == QEMU_PFLASH_MAX)
			return vt_log_errno(EINVAL, "qemu: %s: more than %d pflash units", what,
						QEMU_PFLASH_MAX);
	}
	snprintf(target, sizeof(target), "pflash%u", unit);
	if (!path || !*path)
		return vt_log_errno(EOPNOTSUPP, "qemu: %s (%s) has no file", what, target);
	r = qemu_check_block_file(target, path);
	if (r < 0)
		return r;
	if (!format)
		return no_format(what, path);
	if (c->pflash_units & (UINT64_C(1) << unit))
		return vt_log_errno(EINVAL, "qemu: %s: pflash unit %u is given twice", what, unit);
	c->pflash_units |= UINT64_C(1) << unit;
	if (unit == 0)
		r = qemu_set_firmware(c, FW_PFLASH, target, path);
	else
		r = qemu_add_disk(c->d, target, "disk", path, format, readonly, encrypted);
	if (r < 0)
		return r;
	return qemu_add_ref(c, unit == 0 ? "loader" : target, c->arg, QEMU_OPTS, NULL, "file", true, !readonly,
		       c->arg);
}

int qemu_do_drive(struct qemu_ctx *c, const char *arg)
{
	_cleanup_(qemu_kvlist_done) struct qemu_kvlist o = {};
	const char *file, *fmt, *drv, *iface, *media, *format = NULL, *device = "disk";
	bool readonly = false, encrypted = false, snapshot = false;
	char what[32];
	int r;

	snprintf(what, sizeof(what), "drive%u", c->n_drives++);
	r = qemu_kv_parse("drive", arg, QEMU_OPTS, NULL, &o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n; i++) {
		r = check_drive_key(what, &o.v[i], &encrypted);
		if (r < 0)
			return r;
		if (!strcmp(o.v[i].key, "readonly") || !strcmp(o.v[i].key, "read-only")) {
			r = qemu_parse_bool(what, o.v[i].key, o.v[i].value, &readonly);
			if (r < 0)
				return r;
		}
		/* snapshot=on: qemu makes a temporary overlay in TMPDIR and
		 * opens it by name again and again before it unlinks it: what
		 * the guest reads is not what was verified. */
		if (!strcmp(o.v[i].key, "snapshot")) {
			r = qemu_parse_bool(what, o.v[i].key, o.v[i].value, &snapshot);
			if (r >= 0 && snapshot)
				r = vt_log_errno(EOPNOTSUPP, "qemu: %s: snapshot='%s' is refused: qemu opens "
						     "its temporary overlay by name, which is not verified", what,
						     o.v[i].value);
			if (r < 0)
				return r;
		}
	}
	readonly |= snapshot;
	file = qemu_kv_get(&o, "file");
	fmt = qemu_kv_get(&o, "format");
	drv = qemu_kv_get(&o, "driver");
	iface = qemu_kv_get(&o, "if");
	media = qemu_kv_get(&o, "media");
	if (fmt && drv)
		return vt_log_errno(EINVAL, "qemu: %s: both format= and driver= are given", what);
	if ((!file || !*file) && !(iface && !strcmp(iface, "pflash"))) {
		r = check_empty_drive(what, &o);
		if (r < 0)
			return r;
	} else {
		r = drive_format(what, fmt ? fmt : drv, &format, &encrypted);
		if (r < 0)
			return r;
	}
	if (iface && !strcmp(iface, "pflash")) {
		const char *unit = qemu_kv_get(&o, "unit");

		if (!unit)
			unit = qemu_kv_get(&o, "index");
		return qemu_add_pflash(c, what, unit, file, format, readonly, encrypted);
	}
	if (media && !strcmp(media, "cdrom")) {
		device = "cdrom";
		readonly = true;        /* as qemu opens it */
	} else if (iface && !strcmp(iface, "floppy")) {
		device = "floppy";
	}
	if (!file || !*file) {
		/* An empty removable drive runs nothing. */
		if (strcmp(device, "disk") != 0)
			return qemu_add_disk(c->d, what, device, NULL, format, readonly, encrypted);
		return vt_log_errno(EOPNOTSUPP, "qemu: %s has no file=", what);
	}
	r = qemu_check_block_file(what, file);
	if (r < 0)
		return r;
	if (!format)
		return no_format(what, file);
	r = qemu_add_ref(c, what, c->arg, QEMU_OPTS, NULL, "file", true, !readonly, c->arg);
	if (r < 0)
		return r;
	return qemu_add_disk(c->d, what, device, file, format, readonly, encrypted);
}

/* -hda FILE and the like: the whole value is the file name, commas and all
 * (drive_add()), and there is no format=: only an empty drive passes. */
int qemu_do_drive_file(struct qemu_ctx *c, const char *target, const char *device, const char *file)
{
	int r;

	if (!*file) {
		if (strcmp(device, "disk") != 0)
			return qemu_add_disk(c->d, target, device, NULL, NULL, !strcmp(device, "cdrom"), false);
		return vt_log_errno(EOPNOTSUPP, "qemu: %s has no file", target);
	}
	r = qemu_check_block_file(target, file);
	if (r < 0)
		return r;
	return no_format(target, file);
}

/* ---- -blockdev ------------------------------------------------------------------ */

struct chain {
	const char *top;        /* the driver of the first node */
	const char *path;
	const char *format;
	bool encrypted;
	size_t file_node;       /* the node whose file_key is path */
	char file_key[32];
};

static struct qemu_node *find_node(struct qemu_ctx *c, size_t before, const char *name)
{
	for (size_t i = 0; i < before; i++)
		if (!strcmp(c->nodes[i].name, name))
			return &c->nodes[i];
	return NULL;
}

/* Follows a node down to its file: o's keys under prefix ("" or "file.",
 * for a child given inline) make the node; a child given by name must be
 * a node defined before (as qemu requires). Only file, a raw, qcow2 or luks
 * node over a file node, and raw over luks over file are followed. */
/* The keys of a file, raw, qcow2 or luks node that leave what QEMU reads
 * the bytes that were verified (qemu 7.2's BlockdevOptions*): an
 * allow-list, so raw's offset= and size= (a window into the image, as
 * <slices>), locking=, pr-manager= and a key QEMU adds later are refused. */
static const char *const node_keys[] = {
	"driver", "node-name", "file", "filename", "read-only", "auto-read-only", "force-share", "discard",
	"detect-zeroes", "cache.direct", "cache.no-flush", "aio", "aio-max-batch", "drop-cache",
	"key-secret", "encrypt.format", "encrypt.key-secret", "lazy-refcounts", "pass-discard-request",
	"pass-discard-snapshot", "pass-discard-other", "overlap-check", "cache-size", "l2-cache-size",
	"l2-cache-entry-size", "refcount-cache-size", "cache-clean-interval",
};

static int follow(struct qemu_ctx *c, size_t self, const char *name, const struct qemu_kvlist *o, const char *prefix,
		  unsigned depth, struct chain *ret)
{
	size_t plen = strlen(prefix);
	char k_driver[32], k_file[32], k_filename[32];
	const char *driver, *ref, *filename;
	bool encrypted = false, inline_child = false, is_format;
	struct chain child = {};
	int r;

	if (depth > QEMU_CHAIN_MAX)
		return vt_log_errno(EOPNOTSUPP,
					"qemu: blockdev '%s': a chain of more than %d nodes cannot be followed",
					name, QEMU_CHAIN_MAX);
	/* prefix is at most QEMU_CHAIN_MAX times "file." */
	snprintf(k_driver, sizeof(k_driver), "%sdriver", prefix);
	snprintf(k_file, sizeof(k_file), "%sfile", prefix);
	snprintf(k_filename, sizeof(k_filename), "%sfilename", prefix);
	driver = qemu_kv_get(o, k_driver);
	if (!driver)
		return vt_log_errno(EINVAL, "qemu: blockdev '%s': no %s=", name, k_driver);
	is_format = !strcmp(driver, "raw") || !strcmp(driver, "qcow2") || !strcmp(driver, "luks");
	if (strcmp(driver, "file") != 0 && !is_format)
		return vt_log_errno(EOPNOTSUPP,
					"qemu: blockdev '%s': driver '%s' cannot be verified before launch",
					name, driver);

	for (size_t i = 0; i < o->n; i++) {
		const char *k = o->v[i].key, *rest = k + plen, *v = o->v[i].value;

		if (!qemu_startswith(k, prefix))
			continue;
		if (is_format && qemu_startswith(rest, "file.")) {
			inline_child = true;    /* the child's own, checked there */
			continue;
		}
		if (!strcmp(rest, "backing") || qemu_startswith(rest, "backing.")) {
			if (!strcmp(rest, "backing") && !*v)
				continue;       /* none */
			return vt_log_errno(EOPNOTSUPP,
						"qemu: blockdev '%s': an explicit backing node (%s=) is not accepted",
						name, k);
		}
		if (!strcmp(rest, "data-file") || qemu_startswith(rest, "data-file."))
			return vt_log_errno(EOPNOTSUPP,
						"qemu: blockdev '%s': an external data file (%s=) is not accepted",
						name, k);
		if (!strcmp(rest, "key-secret"))
			encrypted = true;
		if (qemu_startswith(rest, "encrypt.") && !strcmp(driver, "qcow2")) {
			if (!strcmp(rest, "encrypt.format") && strcmp(v, "luks") != 0)
				return vt_log_errno(EOPNOTSUPP,
							"qemu: blockdev '%s': encryption '%s' is not supported",
							name, v);
			encrypted = true;
			continue;
		}
		if (!qemu_listed(node_keys, ELEMENTSOF(node_keys), rest))
			return vt_log_errno(EOPNOTSUPP, "qemu: blockdev '%s': %s='%s' cannot be followed",
						name, k, v);
	}

	if (!strcmp(driver, "file")) {
		char what[96];

		filename = qemu_kv_get(o, k_filename);
		snprintf(what, sizeof(what), "blockdev '%s' filename", name);
		if (!filename || !*filename)
			return vt_log_errno(EINVAL, "qemu: blockdev '%s': no %s=", name, k_filename);
		r = qemu_check_block_file(what, filename);
		if (r < 0)
			return r;
		*ret = (struct chain){ .top = driver, .path = filename, .format = "raw", .file_node = self };
		snprintf(ret->file_key, sizeof(ret->file_key), "%s", k_filename);
		return 0;
	}

	ref = qemu_kv_get(o, k_file);
	if (ref && inline_child)
		return vt_log_errno(EINVAL, "qemu: blockdev '%s': both %s= and %s.* are given", name,
					k_file, k_file);
	if (ref) {
		struct qemu_node *n = find_node(c, self, ref);

		if (!n)
			return vt_log_errno(EOPNOTSUPP,
						"qemu: blockdev '%s': node '%s' is not a -blockdev defined before it",
						name, ref);
		n->referenced = true;
		r = follow(c, (size_t)(n - c->nodes), n->name, &n->o, "", depth + 1, &child);
	} else if (inline_child) {
		char p[32];

		snprintf(p, sizeof(p), "%sfile.", prefix);
		r = follow(c, self, name, o, p, depth + 1, &child);
	} else {
		return vt_log_errno(EINVAL, "qemu: blockdev '%s': no %s=", name, k_file);
	}
	if (r < 0)
		return r;
	if (strcmp(child.top, "file") != 0 && !(!strcmp(driver, "raw") && !strcmp(child.top, "luks")))
		return vt_log_errno(EOPNOTSUPP,
					"qemu: blockdev '%s': a %s node over a %s node cannot be followed", name,
					driver, child.top);
	*ret = (struct chain){
		.top = driver,
		.path = child.path,
		.format = strcmp(driver, "qcow2") == 0 ? "qcow2" : "raw",
		.encrypted = encrypted || child.encrypted || !strcmp(driver, "luks"),
		.file_node = child.file_node,
	};
	memcpy(ret->file_key, child.file_key, sizeof(ret->file_key));
	return 0;
}

int qemu_do_blockdev(struct qemu_ctx *c, const char *arg)
{
	struct qemu_node *n;
	int r;

	/* JSON is parsed by qemu's own parser; a second one could read it
	 * differently. */
	if (arg[0] == '{')
		return vt_log_errno(EOPNOTSUPP,
					"qemu: -blockdev in JSON form is not accepted: use key=value");
	if (c->n_nodes >= QEMU_NODES_MAX)
		return vt_log_errno(EOPNOTSUPP, "qemu: more than %d -blockdev", QEMU_NODES_MAX);
	n = LAUNCH_APPEND(c->nodes, c->n_nodes);
	if (!n)
		return -ENOMEM;
	*n = (struct qemu_node){ .pflash = -1, .arg = c->arg };
	r = qemu_kv_parse("blockdev", arg, KEYVAL, "driver", &n->o);
	if (r < 0)
		return r;
	n->name = qemu_kv_get(&n->o, "node-name");
	if (!n->name || !*n->name)
		return vt_log_errno(EINVAL, "qemu: -blockdev '%s' has no node-name=", arg);
	if (find_node(c, c->n_nodes - 1, n->name))
		return vt_log_errno(EINVAL, "qemu: blockdev '%s' is defined twice", n->name);
	return 0;
}

/* After the whole command line: -machine pflash0=/pflash1= name nodes, and
 * every node that is no other's file is a disk (or the firmware). */
int qemu_finish_blockdevs(struct qemu_ctx *c)
{
	int r;

	for (size_t i = 0; i < c->n_nodes; i++) {
		struct qemu_node *n = &c->nodes[i];
		struct chain ch;
		char what[96];

		r = follow(c, i, n->name, &n->o, "", 0, &ch);
		if (r < 0)
			return r;
		n->path = ch.path;
		n->format = ch.format;
		n->encrypted = ch.encrypted;
		n->file_node = (int)ch.file_node;
		memcpy(n->file_key, ch.file_key, sizeof(n->file_key));
		snprintf(what, sizeof(what), "blockdev '%s'", n->name);
		r = qemu_parse_bool(what, "read-only", qemu_kv_get(&n->o, "read-only"), &n->readonly);
		if (r < 0)
			return r;
	}
	for (int u = 0; u < 2; u++) {
		struct qemu_node *n;

		if (!c->machine_pflash[u])
			continue;
		n = find_node(c, c->n_nodes, c->machine_pflash[u]);
		if (!n)
			return vt_log_errno(EOPNOTSUPP,
						"qemu: -machine pflash%d='%s' is not a -blockdev node", u,
						c->machine_pflash[u]);
		if (c->pflash_units & (UINT64_C(1) << u))
			return vt_log_errno(EINVAL, "qemu: pflash unit %d is given twice", u);
		c->pflash_units |= UINT64_C(1) << u;
		n->pflash = u;
		if (u == 0) {
			r = qemu_set_firmware(c, FW_PFLASH, "pflash0", n->path);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct qemu_node *n = &c->nodes[i];
		const char *what = n->pflash == 0 ? "loader" : n->pflash == 1 ? "pflash1" : n->name;

		if (n->referenced)
			continue;
		r = qemu_add_ref(c, what, c->nodes[n->file_node].arg, KEYVAL, "driver", n->file_key, true,
			    !n->readonly, n->arg);
		if (r >= 0 && n->pflash != 0)
			r = qemu_add_disk(c->d, what, "disk", n->path, n->format, n->readonly, n->encrypted);
		if (r < 0)
			return r;
	}
	return 0;
}
