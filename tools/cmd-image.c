/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust image sign | verify | show | inspect */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "imgverify.h"
#include "policy.h"


#define DAY 86400
#define DEFAULT_VALID_DAYS 365
#define PROGRESS_MIN (64ull << 20)   /* smaller layers hash too fast to watch */


/* ---- progress: a bar on a terminal, nothing on a pipe ---- */

struct progress {
	struct timespec last;
	bool drawn;
};

static void draw_progress(const char *layer, uint64_t done, uint64_t total, void *userdata)
{
	struct progress *p = userdata;
	struct timespec now;

	if (total < PROGRESS_MIN)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && p->drawn &&
	    (now.tv_sec - p->last.tv_sec) * 1000000000L + (now.tv_nsec - p->last.tv_nsec) < 100000000L)
		return;
	p->last = now;
	if (done >= total) {
		if (p->drawn)
			fputs("\r\033[K", stderr);
		p->drawn = false;
		return;
	}
	fprintf(stderr, "\r\033[Kvmtrust: hashing '%.40s': %3u%% (%" PRIu64 " of %" PRIu64 " MiB)", layer,
		(unsigned)(done * 100 / total), done >> 20, total >> 20);
	p->drawn = true;
}

static void install_progress(struct cli_ctx *ctx, struct imgverify_ctx *ic, struct progress *p)
{
	if (ctx->verbosity >= 0 && isatty(STDERR_FILENO))
		imgverify_set_progress(ic, draw_progress, p);
}

/* ---- sign ---- */

static char *default_name(const char *image)
{
	const char *base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
	const char *dot = strrchr(base, '.');

	return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static int cmd_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "sequence", required_argument, NULL, 's' },
		{ "image-version", required_argument, NULL, 'V' },
		{ "issued", required_argument, NULL, 'i' },
		{ "expires", required_argument, NULL, 'e' },
		{ "valid-days", required_argument, NULL, 'd' },
		{ "chunk-size", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "inspect", no_argument, NULL, 'I' },
		CLI_KEY_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_image, "sign");
	struct cli_key key;
	struct cli_options opt = CLI_OPTIONS("image", verb, argc, argv, ":o:", opts, &key);
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ic = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) char *name = NULL, *def_out = NULL, *json = NULL;
	_cleanup_(freep) const char **certs = NULL;
	struct imgverify_sign_opts o = { .sequence = 1 };
	struct progress progress = { 0 };
	const char *out = NULL, *image;
	uint64_t days = DEFAULT_VALID_DAYS;
	bool days_given = false;
	size_t len;
	int c, r;

	certs = calloc((size_t)argc + 1, sizeof(*certs));
	if (!certs)
		return cli_fail(-ENOMEM, "cannot sign");
	cli_key_init(&key, ctx);
	o.key_opts = &key.opts;
	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'c': certs[o.n_cert_paths++] = optarg; break;
		case 'n': o.name = optarg; break;
		case 'V': o.version = optarg; break;
		case 'o': out = optarg; break;
		case 's':
			if (cli_parse_u64(optarg, &o.sequence) < 0)
				return cli_usage_error("image", verb, "--sequence '%s' is not a number", optarg);
			break;
		case 'i':
			if (imgverify_time_parse(optarg, &o.issued) < 0)
				return cli_usage_error("image", verb, "--issued '%s' is not a time like 2025-01-31T12:00:00Z",
						       optarg);
			break;
		case 'e':
			if (imgverify_time_parse(optarg, &o.expires) < 0)
				return cli_usage_error("image", verb, "--expires '%s' is not a time like 2025-01-31T12:00:00Z",
						       optarg);
			break;
		case 'd':
			if (cli_parse_range(optarg, 1, 100 * 366, &days) < 0)
				return cli_usage_error("image", verb, "--valid-days '%s' is not a number of days from 1 to 36600",
						       optarg);
			days_given = true;
			break;
		case 'C':
			if (cli_parse_u64(optarg, &o.chunk_size) < 0 || o.chunk_size == 0)
				return cli_usage_error("image", verb, "--chunk-size '%s' is not a number", optarg);
			break;
		case 'I': o.inspect = true; break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	o.key_path = key.path;
	if (!o.key_path)
		return cli_usage_error("image", verb, "missing --key");
	if (optind != argc - 1)
		return cli_usage_error("image", verb, "expected one IMAGE");
	if (o.expires && days_given)
		return cli_usage_error("image", verb, "--expires and --valid-days exclude each other");
	image = argv[optind];
	o.cert_paths = certs;
	if (!o.name) {
		o.name = name = default_name(image);
		if (!name)
			return cli_fail(-ENOMEM, "cannot sign '%s'", image);
	}
	if (!o.issued)
		o.issued = (int64_t)time(NULL);
	if (!o.expires)
		o.expires = o.issued + (int64_t)days * DAY;
	if (!out) {
		out = def_out = imgverify_default_manifest_path(image);
		if (!out)
			return cli_fail(-ENOMEM, "cannot sign '%s'", image);
	}

	/* The policy's rule for the name is checked inside the guest. */
	if (o.inspect) {
		r = cli_policy(ctx, false, &p);
		if (r)
			return r;
	}
	r = imgverify_ctx_new(&ic, p);
	if (r < 0)
		return cli_fail(r, "cannot sign '%s'", image);
	install_progress(ctx, ic, &progress);
	r = imgverify_sign(ic, image, &o, &json, &len);
	if (r < 0)
		return cli_fail(r, "cannot sign '%s'", image);
	r = vt_write_file_atomic(out, json, len, 0644);
	if (r < 0)
		return cli_fail(r, "cannot write manifest '%s'", out);
	if (ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: signed '%s' as '%s': manifest '%s'\n", image, o.name, out);
	return CLI_EXIT_OK;
}

/* ---- verify ---- */

static const char *failure_kind(int err)
{
	switch (-err) {
	case EKEYREJECTED: return "rejected";
	case EKEYEXPIRED: return "expired";
	case EKEYREVOKED: return "revoked";
	case ESTALE: return "rollback";
	case EUCLEAN: return "mismatch";
	case EOPNOTSUPP: case EMEDIUMTYPE: return "unsupported";
	default:
		return cli_exit_code(err) == CLI_EXIT_BAD_INPUT ? "input" :
		       cli_exit_code(err) == CLI_EXIT_IO ? "io" : "error";
	}
}

static json_object *time_json(int64_t t)
{
	char buf[21];

	imgverify_time_format(t, buf);
	return json_object_new_string(buf);
}

static json_object *layer_json(const struct imgverify_layer *l, bool digests)
{
	json_object *o = json_object_new_object();
	const struct imgverify_header *h = &l->header;
	char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(l->name ? l->name : ""));
	json_object_object_add(o, "path", l->path ? json_object_new_string(l->path) : NULL);
	json_object_object_add(o, "format", h->format ? json_object_new_string(imgverify_format_name(h->format)) : NULL);
	json_object_object_add(o, "size", json_object_new_uint64(l->size));
	json_object_object_add(o, "virtual_size", json_object_new_uint64(h->virtual_size));
	if (h->format == IMGVERIFY_FORMAT_QCOW2) {
		json_object *q = json_object_new_object();

		json_object_object_add(q, "version", json_object_new_int((int)h->version));
		json_object_object_add(q, "cluster_size", json_object_new_int64(1ll << h->cluster_bits));
		json_object_object_add(q, "incompatible_features", json_object_new_uint64(h->incompatible_features));
		json_object_object_add(q, "compatible_features", json_object_new_uint64(h->compatible_features));
		json_object_object_add(q, "autoclear_features", json_object_new_uint64(h->autoclear_features));
		json_object_object_add(q, "refcount_order", json_object_new_int((int)h->refcount_order));
		json_object_object_add(q, "compression_type", json_object_new_string(h->compression_type ? "zstd" : "zlib"));
		json_object_object_add(q, "snapshots", json_object_new_int64(h->nb_snapshots));
		json_object_object_add(q, "encryption", json_object_new_string(h->crypt_method ? "luks" : "none"));
		json_object_object_add(o, "qcow2", q);
	}
	if (h->has_backing) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "name", json_object_new_string(h->backing));
		json_object_object_add(b, "format", json_object_new_string(h->backing_format));
		json_object_object_add(o, "backing", b);
	} else {
		json_object_object_add(o, "backing", NULL);
	}
	if (digests && l->hashed) {
		json_object_object_add(o, "chunk_size", json_object_new_uint64(l->digests.chunk_size));
		json_object_object_add(o, "chunks", json_object_new_uint64(l->digests.n_chunks));
		vt_hex_encode(l->digests.root, IMGVERIFY_DIGEST_SIZE, hex);
		json_object_object_add(o, "chunk_root", json_object_new_string(hex));
		if (l->digests.has_sha256) {
			vt_hex_encode(l->digests.sha256, IMGVERIFY_DIGEST_SIZE, hex);
			json_object_object_add(o, "sha256", json_object_new_string(hex));
		}
	}
	return o;
}

static void print_layer(const struct imgverify_layer *l)
{
	const struct imgverify_header *h = &l->header;

	if (h->format == IMGVERIFY_FORMAT_QCOW2) {
		printf("  layer '%s': qcow2 v%" PRIu32 ", %" PRIu64 " bytes, virtual size %" PRIu64
		       ", cluster size %llu%s", l->name, h->version, l->size, h->virtual_size,
		       1ull << h->cluster_bits, h->crypt_method ? ", encrypted (LUKS)" : "");
		if (h->has_backing)
			printf(", backing '%s' (%s)", h->backing, h->backing_format);
		printf("\n");
	} else {
		printf("  layer '%s': raw, %" PRIu64 " bytes\n", l->name, l->size);
	}
}

static const char *check_name(enum imgverify_check_kind k)
{
	return k == IMGVERIFY_CHECK_MATCH ? "must_match" : "must_be_absent";
}

static json_object *guest_json(const struct imgverify_guest *g)
{
	json_object *o = json_object_new_object(), *os = json_object_new_object(),
		    *boot = json_object_new_array(), *checks = json_object_new_array();
	char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

	if (!o || !os || !boot || !checks) {
		json_object_put(o);
		json_object_put(os);
		json_object_put(boot);
		json_object_put(checks);
		return NULL;
	}
	json_object_object_add(os, "type", json_object_new_string(g->os_type));
	json_object_object_add(os, "distro", json_object_new_string(g->distro));
	json_object_object_add(os, "major_version", json_object_new_int(g->major_version));
	json_object_object_add(os, "minor_version", json_object_new_int(g->minor_version));
	json_object_object_add(os, "arch", json_object_new_string(g->arch));
	json_object_object_add(os, "hostname", json_object_new_string(g->hostname));
	json_object_object_add(o, "os", os);
	for (size_t i = 0; i < g->n_boot; i++) {
		const struct imgverify_boot_file *b = &g->boot[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string(b->path));
		json_object_object_add(e, "kind", json_object_new_string(imgverify_boot_kind_name(b->kind)));
		if (b->link) {
			json_object_object_add(e, "link", json_object_new_string(b->link));
		} else {
			vt_hex_encode(b->sha256, IMGVERIFY_DIGEST_SIZE, hex);
			json_object_object_add(e, "sha256", json_object_new_string(hex));
		}
		json_object_array_add(boot, e);
	}
	json_object_object_add(o, "boot", boot);
	json_object_object_add(o, "rule", g->rule ? json_object_new_string(g->rule) : NULL);
	for (size_t i = 0; i < g->n_checks; i++) {
		const struct imgverify_guest_check *c = &g->checks[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string(c->path));
		json_object_object_add(e, "check", json_object_new_string(check_name(c->kind)));
		json_object_object_add(e, "ok", json_object_new_boolean(c->ok));
		json_object_object_add(e, "present", json_object_new_boolean(c->present));
		if (c->kind == IMGVERIFY_CHECK_MATCH) {
			vt_hex_encode(c->want, IMGVERIFY_DIGEST_SIZE, hex);
			json_object_object_add(e, "expected", json_object_new_string(hex));
			vt_hex_encode(c->found, IMGVERIFY_DIGEST_SIZE, hex);
			json_object_object_add(e, "sha256", c->hashed ? json_object_new_string(hex) : NULL);
		}
		json_object_object_add(e, "message", c->message ? json_object_new_string(c->message) : NULL);
		json_object_array_add(checks, e);
	}
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "failed", json_object_new_uint64(g->n_failed));
	return o;
}

static void print_guest(const struct imgverify_guest *g, bool checks)
{
	char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

	printf("  guest: %s %s %d.%d, arch %s, hostname '%s'\n", g->os_type, g->distro, g->major_version,
	       g->minor_version, g->arch, g->hostname);
	for (size_t i = 0; i < g->n_boot; i++) {
		const struct imgverify_boot_file *b = &g->boot[i];

		vt_hex_encode(b->sha256, IMGVERIFY_DIGEST_SIZE, hex);
		if (b->link)
			printf("  %s '%s': link to '%s'\n", imgverify_boot_kind_name(b->kind), b->path, b->link);
		else
			printf("  %s '%s': sha256 %s\n", imgverify_boot_kind_name(b->kind), b->path, hex);
	}
	if (!checks)
		return;
	if (g->rule)
		printf("  policy rule '%s': %zu of %zu checks held\n", g->rule, g->n_checks - g->n_failed,
		       g->n_checks);
	for (size_t i = 0; i < g->n_checks; i++) {
		const struct imgverify_guest_check *c = &g->checks[i];

		vt_hex_encode(c->found, IMGVERIFY_DIGEST_SIZE, hex);
		if (!c->ok)
			printf("    FAILED %s\n", c->message ? c->message : c->path);
		else if (c->kind == IMGVERIFY_CHECK_MATCH)
			printf("    ok     %s '%s': sha256 %s\n", check_name(c->kind), c->path, hex);
		else
			printf("    ok     %s '%s': absent\n", check_name(c->kind), c->path);
	}
}

static int print_report(struct cli_ctx *ctx, const struct imgverify_report *rep)
{
	const struct imgverify_manifest *m = rep->manifest;
	char t1[21], t2[21];

	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();
		json_object *layers = json_object_new_array(), *failures = json_object_new_array();

		if (!o || !layers || !failures) {
			json_object_put(layers);
			json_object_put(failures);
			return -ENOMEM;
		}
		json_object_object_add(o, "image", json_object_new_string(rep->image));
		json_object_object_add(o, "manifest", json_object_new_string(rep->manifest_path));
		json_object_object_add(o, "verified", json_object_new_boolean(rep->verified));
		json_object_object_add(o, "signed_by", rep->signer ? json_object_new_string(rep->signer) : NULL);
		json_object_object_add(o, "keyid", rep->keyid ? json_object_new_string(rep->keyid) : NULL);
		json_object_object_add(o, "name", m ? json_object_new_string(m->name) : NULL);
		json_object_object_add(o, "version", m && m->version ? json_object_new_string(m->version) : NULL);
		json_object_object_add(o, "sequence", m ? json_object_new_uint64(m->sequence) : NULL);
		json_object_object_add(o, "issued", m ? time_json(m->issued) : NULL);
		json_object_object_add(o, "expires", m ? time_json(m->expires) : NULL);
		for (size_t i = 0; i < rep->n_layers; i++) {
			const struct imgverify_layer *layer = &rep->layers[i];
			json_object *l = layer_json(layer, true);
			bool good = layer->hashed;

			/* A layer holds when it was hashed and no failure names it. */
			for (size_t k = 0; k < rep->n_failures; k++)
				if (rep->failures[k].layer && strcmp(rep->failures[k].layer, layer->name) == 0)
					good = false;
			json_object_object_add(l, "verified", json_object_new_boolean(good));
			json_object_array_add(layers, l);
		}
		json_object_object_add(o, "layers", layers);
		for (size_t i = 0; i < rep->n_failures; i++) {
			const struct imgverify_failure *f = &rep->failures[i];
			json_object *fo = json_object_new_object();

			json_object_object_add(fo, "kind", json_object_new_string(failure_kind(f->error)));
			json_object_object_add(fo, "layer", f->layer ? json_object_new_string(f->layer) : NULL);
			json_object_object_add(fo, "message", json_object_new_string(f->message));
			json_object_array_add(failures, fo);
		}
		json_object_object_add(o, "failures", failures);
		if (rep->guest) {
			json_object *g = guest_json(rep->guest);

			if (!g)
				return -ENOMEM;
			json_object_object_add(o, "guest", g);
		}
		cli_print_json(o);
		return 0;
	}
	if (!rep->verified || ctx->verbosity < 0)
		return 0;
	imgverify_time_format(m->issued, t1);
	imgverify_time_format(m->expires, t2);
	printf("image '%s': verified\n", rep->image);
	printf("  name '%s', sequence %" PRIu64 "%s%s%s\n", m->name, m->sequence,
	       m->version ? ", version '" : "", m->version ? m->version : "", m->version ? "'" : "");
	printf("  signed by %s (key id %.16s)\n", rep->signer, rep->keyid);
	printf("  issued %s, expires %s\n", t1, t2);
	for (size_t i = 0; i < rep->n_layers; i++)
		print_layer(&rep->layers[i]);
	if (rep->guest)
		print_guest(rep->guest, true);
	else if (m->inspection)
		printf("  guest inspection signed (not re-inspected: --inspect)\n");
	return 0;
}

static int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "fail-fast", no_argument, NULL, 'f' },
		{ "inspect", no_argument, NULL, 'I' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_image, "verify");
	struct cli_options opt = CLI_OPTIONS("image", verb, argc, argv, ":", opts, NULL);
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ic = NULL;
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) const char **keys = NULL;
	struct progress progress = { 0 };
	const char *manifest = NULL, *image;
	unsigned flags = 0;
	size_t n_keys = 0;
	int c, r;

	keys = calloc((size_t)argc + 1, sizeof(*keys));
	if (!keys)
		return cli_fail(-ENOMEM, "cannot verify");
	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'k': keys[n_keys++] = optarg; break;
		case 'm': manifest = optarg; break;
		case 'f': flags |= IMGVERIFY_FAIL_FAST; break;
		case 'I': flags |= IMGVERIFY_INSPECT; break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (optind != argc - 1)
		return cli_usage_error("image", verb, "expected one IMAGE");
	image = argv[optind];

	/* With --key the policy is used only when named; without, it is required. */
	if (n_keys == 0 || ctx->policy_given) {
		r = cli_policy(ctx, true, &p);
		if (r)
			return r;
	}
	r = imgverify_ctx_new(&ic, p);
	if (r < 0)
		return cli_fail(r, "cannot verify '%s'", image);
	for (size_t i = 0; i < n_keys; i++) {
		r = imgverify_add_key_file(ic, keys[i]);
		if (r < 0)
			return cli_fail(r, "cannot use key '%s'", keys[i]);
	}
	install_progress(ctx, ic, &progress);
	r = imgverify_verify(ic, image, manifest, flags, &rep);
	if (rep && print_report(ctx, rep) < 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return cli_fail(r, "cannot verify '%s'", image);
	return CLI_EXIT_OK;
}

/* ---- show ---- */

static int cmd_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "digests", no_argument, NULL, 'D' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_image, "show");
	struct cli_options opt = CLI_OPTIONS("image", verb, argc, argv, ":", opts, NULL);
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ic = NULL;
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	struct progress progress = { 0 };
	bool digests = false;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		digests = true;   /* --digests, the only option */
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (optind != argc - 1)
		return cli_usage_error("image", verb, "expected one IMAGE");
	r = imgverify_ctx_new(&ic, NULL);
	if (r < 0)
		return cli_fail(r, "cannot read '%s'", argv[optind]);
	install_progress(ctx, ic, &progress);
	r = imgverify_inspect(ic, argv[optind], digests, &m);
	if (r < 0)
		return cli_fail(r, "cannot read '%s'", argv[optind]);
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();
		json_object *layers = json_object_new_array();

		if (!o || !layers) {
			json_object_put(layers);
			return cli_fail(-ENOMEM, "cannot read '%s'", argv[optind]);
		}
		json_object_object_add(o, "image", json_object_new_string(argv[optind]));
		for (size_t i = 0; i < m->n_layers; i++)
			json_object_array_add(layers, layer_json(&m->layers[i], digests));
		json_object_object_add(o, "layers", layers);
		cli_print_json(o);
		return CLI_EXIT_OK;
	}
	printf("image '%s': %zu layer%s\n", argv[optind], m->n_layers, m->n_layers == 1 ? "" : "s");
	for (size_t i = 0; i < m->n_layers; i++) {
		const struct imgverify_layer *l = &m->layers[i];
		char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

		print_layer(l);
		if (digests && l->hashed) {
			vt_hex_encode(l->digests.sha256, IMGVERIFY_DIGEST_SIZE, hex);
			printf("    sha256 %s\n", hex);
			vt_hex_encode(l->digests.root, IMGVERIFY_DIGEST_SIZE, hex);
			printf("    chunk root %s (%zu chunks of %" PRIu64 " bytes)\n", hex, l->digests.n_chunks,
			       l->digests.chunk_size);
		}
	}
	return CLI_EXIT_OK;
}

/* ---- inspect ---- */

/* The image name in a manifest, to pick the policy rule: the statement is
 * parsed (strictly) but its signature is not checked, and the name is
 * used for nothing else. 0 and NULL when there is no manifest. */
static int manifest_name(const char *path, bool given, char **ret)
{
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *env = NULL;
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	_cleanup_(freep) char *data = NULL;
	size_t len;
	int r;

	*ret = NULL;
	if (!given && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	r = vt_read_file(path, IMGVERIFY_MANIFEST_MAX, &data, &len);
	if (r < 0)
		return r;
	r = imgverify_envelope_parse(path, data, len, &env);
	if (r < 0)
		return r;
	if (strcmp(env->payload_type, IMGVERIFY_PAYLOAD_TYPE) != 0) {
		fprintf(stderr, "vmtrust: manifest '%s': payload type is not %s\n", path, IMGVERIFY_PAYLOAD_TYPE);
		return -EOPNOTSUPP;
	}
	r = imgverify_statement_parse(path, (const char *)env->payload, env->payload_len, &m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m->name);
	return 0;
}

static int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "manifest", required_argument, NULL, 'm' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_image, "inspect");
	struct cli_options opt = CLI_OPTIONS("image", verb, argc, argv, ":", opts, NULL);
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ic = NULL;
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) char *def_manifest = NULL, *from_manifest = NULL;
	const struct policy_image_rule *rule = NULL;
	const char *name = NULL, *manifest = NULL, *image;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'n': name = optarg; break;
		case 'm': manifest = optarg; break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (optind != argc - 1)
		return cli_usage_error("image", verb, "expected one IMAGE");
	if (name && manifest)
		return cli_usage_error("image", verb, "--name and --manifest exclude each other");
	image = argv[optind];

	if (!name) {
		bool given = manifest != NULL;

		if (!manifest) {
			manifest = def_manifest = imgverify_default_manifest_path(image);
			if (!manifest)
				return cli_fail(-ENOMEM, "cannot inspect '%s'", image);
		}
		r = manifest_name(manifest, given, &from_manifest);
		if (r < 0)
			return cli_fail(r, "cannot read manifest '%s'", manifest);
		name = from_manifest;
	}
	/* A rule named on the command line must exist; one found through a
	 * manifest may not (no rule: no checks). */
	r = cli_policy(ctx, name && !from_manifest, &p);
	if (r)
		return r;
	rule = imgverify_policy_rule(p, name);
	if (name && !from_manifest && !rule) {
		fprintf(stderr, "vmtrust: policy '%s' has no rule for image '%s'\n", ctx->policy_path, name);
		return CLI_EXIT_BAD_INPUT;
	}

	r = imgverify_ctx_new(&ic, p);
	if (r < 0)
		return cli_fail(r, "cannot inspect '%s'", image);
	r = imgverify_guest_inspect(ic, image, rule, &g);
	if (r < 0)
		return cli_fail(r, "cannot inspect '%s'", image);
	for (size_t i = 0; i < g->n_checks; i++)
		if (!g->checks[i].ok && ctx->verbosity >= 0)
			fprintf(stderr, "vmtrust: image '%s': %s\n", image, g->checks[i].message);
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = guest_json(g);

		if (!o)
			return cli_fail(-ENOMEM, "cannot inspect '%s'", image);
		json_object_object_add(o, "image", json_object_new_string(image));
		json_object_object_add(o, "verified", json_object_new_boolean(g->n_failed == 0));
		cli_print_json(o);
	} else if (ctx->verbosity >= 0) {
		printf("image '%s': %s\n", image,
		       g->n_failed ? "a check failed" : rule ? "every check held" : "inspected");
		print_guest(g, true);
	}
	return g->n_failed ? CLI_EXIT_DENIED : CLI_EXIT_OK;
}

static const struct cli_verb image_verbs[] = {
	{ "sign", "--key KEY [--cert CERT]... [options] [-o MANIFEST] IMAGE",
	  "sign an image and its backing chain: write a manifest",
	  CLI_KEY_HELP
	  "                     Ed25519, ECDSA P-256/P-384 or RSA (PSS)\n"
	  "  --cert CERT        the key's X.509 certificate, then intermediates (repeatable;\n"
	  "                     a file may hold several PEM certificates)\n"
	  "  --name NAME        the image name policy rules match (default: the file name\n"
	  "                     without its extension)\n"
	  "  --sequence N       a number that grows with every release (default 1)\n"
	  "  --image-version V  a free-text version of the image, e.g. 12.5\n"
	  "  --issued TIME      the issue time, 2025-01-31T12:00:00Z (default: now)\n"
	  "  --expires TIME     the expiry time (default: --valid-days after issue)\n"
	  "  --valid-days N     validity in days (default 365)\n"
	  "  --chunk-size BYTES hashing chunk, a power of two (default 4 MiB, larger for\n"
	  "                     layers over 64 GiB)\n"
	  "  -o, --output FILE  where to write the manifest (default: IMAGE.manifest.json)\n"
	  "  --inspect          also inspect the guest (libguestfs, one appliance launch):\n"
	  "                     record its OS, kernels and initrds in the manifest, and\n"
	  "                     refuse to sign when the policy rule of --name fails\n",
	  cmd_sign },
	{ "verify", "[--key PUB]... [--manifest MANIFEST] [--fail-fast] [--inspect] IMAGE",
	  "verify an image and its backing chain against its signed manifest",
	  "  --key PUB          trust this public key (PEM key or certificate; repeatable);\n"
	  "                     without it the policy (--policy) is required and its\n"
	  "                     image_trust keys and CAs are trusted\n"
	  "  --manifest FILE    the manifest (default: IMAGE.manifest.json)\n"
	  "  --fail-fast        stop at the first failure (default: report every one)\n"
	  "  --inspect          once everything else holds, inspect the guest again\n"
	  "                     (libguestfs, one appliance launch: slow) and compare it with\n"
	  "                     the signed findings and the policy rule\n"
	  "Exit 0 only when every check holds; 1 when the image is denied; 2 when an\n"
	  "input cannot be read or is malformed. Writes nothing.\n",
	  cmd_verify },
	{ "show", "[--digests] IMAGE", "print the format facts of an image and its backing chain",
	  "  --digests          also hash every layer (SHA-256 and chunk root)\n",
	  cmd_show },
	{ "inspect", "[--name NAME] [--manifest MANIFEST] IMAGE",
	  "inspect the guest: OS, kernels and initrds, the policy rule's file checks",
	  "  --name NAME        check the policy rule of this image name (default: the name\n"
	  "                     in the image's manifest, when there is one)\n"
	  "  --manifest FILE    where to read the image name (default: IMAGE.manifest.json);\n"
	  "                     its signature is not checked here: use verify --inspect\n"
	  "Read-only, explicit formats, no network, one libguestfs appliance launch.\n"
	  "Exit 1 when a check of the rule fails.\n",
	  cmd_inspect },
	{ 0 },
};

const struct cli_area cli_area_image = {
	"image", "Sign VM images and verify them before launch", image_verbs,
};
