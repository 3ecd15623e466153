/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The imgverify context, failure reporting, key helpers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "imgverify-internal.h"

int imgverify_ctx_new(struct imgverify_ctx **ret, const struct policy *policy)
{
	struct imgverify_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->policy = policy;
	*ret = ctx;
	return 0;
}

void imgverify_ctx_free(struct imgverify_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->n_keys; i++) {
		free(ctx->keys[i].name);
		EVP_PKEY_free(ctx->keys[i].pkey);
	}
	free(ctx->keys);
	free(ctx->guest_dir);
	free(ctx);
}

int ctx_set_guest_dir(struct imgverify_ctx *ctx, const char *dir)
{
	char *d = dir ? strdup(dir) : NULL;

	if (dir && !d)
		return -ENOMEM;
	free(ctx->guest_dir);
	ctx->guest_dir = d;
	return 0;
}

int imgverify_add_key_file(struct imgverify_ctx *ctx, const char *path)
{
	struct extra_key *keys;
	void *pkey = NULL;
	char *name;
	int r;

	r = policy_load_public_key(path, &pkey);
	if (r < 0)
		return r;
	name = strdup(path);
	keys = realloc(ctx->keys, (ctx->n_keys + 1) * sizeof(*keys));
	if (!name || !keys) {
		free(name);
		if (keys)
			ctx->keys = keys;
		policy_pkey_free(pkey);
		return -ENOMEM;
	}
	ctx->keys = keys;
	ctx->keys[ctx->n_keys].name = name;
	ctx->keys[ctx->n_keys].pkey = pkey;
	ctx->n_keys++;
	return 0;
}

void imgverify_set_threads(struct imgverify_ctx *ctx, unsigned n)
{
	ctx->threads = n > IMGVERIFY_THREADS_MAX ? IMGVERIFY_THREADS_MAX : n;
}

void imgverify_set_time(struct imgverify_ctx *ctx, time_t now)
{
	ctx->now = now;
	ctx->now_set = true;
}

void imgverify_set_progress(struct imgverify_ctx *ctx, imgverify_progress_fn fn, void *userdata)
{
	ctx->progress = fn;
	ctx->progress_userdata = userdata;
}

time_t ctx_now(const struct imgverify_ctx *ctx)
{
	return ctx && ctx->now_set ? ctx->now : time(NULL);
}

unsigned ctx_threads(const struct imgverify_ctx *ctx)
{
	long n;

	if (ctx && ctx->threads)
		return ctx->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > IMGVERIFY_THREADS_MAX ? IMGVERIFY_THREADS_MAX : (unsigned)n;
}

/* ---- failures ---- */

bool error_is_denial(int err)
{
	switch (err < 0 ? -err : err) {
	case EKEYREJECTED: case EKEYEXPIRED: case EKEYREVOKED: case ESTALE: case EUCLEAN:
		return true;
	default:
		return false;
	}
}

int sink_record(struct sink *s, int err, const char *layer, const char *msg)
{
	struct imgverify_report *rep = s->report;

	err = err < 0 ? err : -err;
	if (!s->first)
		s->first = err;
	if (!s->first_denial && error_is_denial(err))
		s->first_denial = err;
	if (rep) {
		struct imgverify_failure *f = realloc(rep->failures,
						      (rep->n_failures + 1) * sizeof(*f));

		if (!f)
			return -ENOMEM;
		rep->failures = f;
		f += rep->n_failures;
		f->error = err;
		f->layer = layer ? strdup(layer) : NULL;
		f->message = strdup(msg);
		if (!f->message || (layer && !f->layer)) {
			free(f->layer);
			free(f->message);
			return -ENOMEM;
		}
		rep->n_failures++;
	}
	return err;
}

int sink_fail(struct sink *s, int err, const char *layer, const char *fmt, ...)
{
	char msg[1024], full[1400];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (layer)
		snprintf(full, sizeof(full), "layer '%s': %s", layer, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);
	vt_logf(VT_LOG_ERR, "cannot %s '%s': %s", s->verb, s->image, full);
	r = sink_record(s, err, layer, full);
	return r == -ENOMEM ? r : (err < 0 ? err : -err);
}

void imgverify_report_free(struct imgverify_report *r)
{
	if (!r)
		return;
	free(r->image);
	free(r->manifest_path);
	free(r->signer);
	free(r->keyid);
	imgverify_manifest_free(r->manifest);
	for (size_t i = 0; i < r->n_layers; i++)
		layer_done(&r->layers[i]);
	free(r->layers);
	for (size_t i = 0; i < r->n_failures; i++) {
		free(r->failures[i].layer);
		free(r->failures[i].message);
	}
	free(r->failures);
	imgverify_guest_free(r->guest);
	for (size_t i = 0; i < r->n_fds; i++)
		vt_closep(&r->fds[i]);
	free(r->fds);
	free(r);
}

int imgverify_report_take_fd(struct imgverify_report *r, size_t i)
{
	int fd;

	if (!r || i >= r->n_fds)
		return -1;
	fd = r->fds[i];
	r->fds[i] = -1;
	return fd;
}

char *imgverify_default_manifest_path(const char *image)
{
	char *p;

	return asprintf(&p, "%s.manifest.json", image) < 0 ? NULL : p;
}

/* ---- keys ---- */

int imgverify_key_fingerprint(void *pkey, char *out)
{
	uint8_t *der = NULL, d[IMGVERIFY_DIGEST_SIZE];
	unsigned dlen;
	int len = i2d_PUBKEY(pkey, &der);

	if (len <= 0)
		return -EINVAL;
	if (EVP_Digest(der, (size_t)len, d, &dlen, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	OPENSSL_free(der);
	hex32(d, out);
	return 0;
}
