/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signing an image: walk the backing chain with the checks verification
 * makes, hash every layer (chunks in parallel, and the plain SHA-256),
 * build the in-toto Statement and sign its DSSE pre-authentication
 * encoding. Also inspection: the chain and its facts without signing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "imgverify-internal.h"

#define CERT_FILE_MAX (64 * 1024)
#define CERTS_MAX 8
#define SEQUENCE_MAX (UINT64_MAX >> 11)


/* Reads the certificates (PEM, several per file allowed), checks the
 * first is the key's, warns about what verifiers will refuse, and returns
 * the chain re-encoded as one PEM string. */
static int load_certs(const struct imgverify_sign_opts *o, EVP_PKEY *key, const char *key_name,
		      time_t now, char **ret)
{
	_cleanup_(BIO_freep) BIO *out = BIO_new(BIO_s_mem());
	size_t n = 0;
	char *data;
	long len;
	int r;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_cert_paths; i++) {
		_cleanup_(freep) char *pem = NULL;
		_cleanup_(BIO_freep) BIO *bio = NULL;
		size_t plen;
		X509 *cert;
		size_t in_file = 0;

		r = vt_read_file(o->cert_paths[i], CERT_FILE_MAX, &pem, &plen);
		if (r < 0)
			return r;
		bio = BIO_new_mem_buf(pem, (int)plen);
		if (!bio)
			return -ENOMEM;
		while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			_cleanup_(X509_freep) X509 *c = cert;

			if (++n > CERTS_MAX)
				return vt_log_errno(EFBIG, "cannot sign: more than %d certificates",
							CERTS_MAX);
			in_file++;
			if (n == 1) {
				EVP_PKEY *pub = X509_get0_pubkey(c);
				uint32_t ku = X509_get_key_usage(c);

				if (!pub || EVP_PKEY_eq(pub, key) != 1)
					return vt_log_errno(EINVAL, "cannot sign: certificate '%s' is not for key '%s'",
								o->cert_paths[i], key_name);
				if (X509_cmp_time(X509_get0_notAfter(c), &now) < 0 ||
				    X509_cmp_time(X509_get0_notBefore(c), &now) > 0)
					vt_logf(VT_LOG_WARNING,
						    "certificate '%s' is not valid now: verifiers will refuse the manifest",
						    o->cert_paths[i]);
				if (!(X509_get_extension_flags(c) & EXFLAG_KUSAGE) ||
				    !(ku & KU_DIGITAL_SIGNATURE))
					vt_logf(VT_LOG_WARNING,
						    "certificate '%s' does not allow digitalSignature: verifiers will refuse the manifest",
						    o->cert_paths[i]);
			}
			if (PEM_write_bio_X509(out, c) != 1)
				return -ENOMEM;
		}
		ERR_clear_error();
		if (in_file == 0)
			return vt_log_errno(EINVAL, "cannot sign: '%s' holds no PEM certificate",
						o->cert_paths[i]);
	}
	len = BIO_get_mem_data(out, &data);
	*ret = strndup(data, (size_t)len);
	return *ret ? 0 : -ENOMEM;
}

static int check_opts(const struct imgverify_sign_opts *o, int64_t issued)
{
	if (!o->key_path)
		return vt_log_errno(EINVAL, "cannot sign: no key");
	if (!o->name || !*o->name || strlen(o->name) > 255 || !is_printable(o->name, strlen(o->name)))
		return vt_log_errno(EINVAL, "cannot sign: the image name must be 1 to 255 printable characters");
	if (o->version && (!*o->version || strlen(o->version) > 255 ||
			   !is_printable(o->version, strlen(o->version))))
		return vt_log_errno(EINVAL, "cannot sign: the version must be 1 to 255 printable characters");
	if (o->sequence > SEQUENCE_MAX)
		return vt_log_errno(EINVAL, "cannot sign: sequence %llu exceeds %llu",
					(unsigned long long)o->sequence, (unsigned long long)SEQUENCE_MAX);
	if (o->expires <= issued)
		return vt_log_errno(EINVAL, "cannot sign: the expiry time is not after the issue time");
	if (o->chunk_size && (o->chunk_size < IMGVERIFY_CHUNK_SIZE_MIN ||
			      o->chunk_size > IMGVERIFY_CHUNK_SIZE_MAX ||
			      (o->chunk_size & (o->chunk_size - 1))))
		return vt_log_errno(EINVAL, "cannot sign: chunk size %llu is not a power of two between %u and %u",
					(unsigned long long)o->chunk_size, IMGVERIFY_CHUNK_SIZE_MIN,
					IMGVERIFY_CHUNK_SIZE_MAX);
	return 0;
}

static void chain_closep(struct chain *c)
{
	chain_close(c);
}

/* Moves the layers of an open chain into a manifest. */
static int take_layers(struct chain *c, struct imgverify_manifest *m)
{
	m->layers = calloc(c->n, sizeof(*m->layers));
	if (!m->layers)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		m->layers[i] = c->layers[i].l;
		memset(&c->layers[i].l, 0, sizeof(c->layers[i].l));
	}
	m->n_layers = c->n;
	return 0;
}

#define WHILE_READ "while being read: try again when nothing writes to it"

static int hash_chain(struct imgverify_ctx *ctx, struct sink *s, struct chain *c,
		      uint64_t chunk_size)
{
	for (size_t i = 0; i < c->n; i++) {
		struct chain_layer *cl = &c->layers[i];
		uint64_t cs = chunk_size ? chunk_size : imgverify_chunk_size_for(cl->l.size);
		int r;

		if ((cl->l.size + cs - 1) / cs > IMGVERIFY_CHUNKS_MAX)
			cs = imgverify_chunk_size_for(cl->l.size);
		r = chain_hash_layer(ctx, s, cl, cs, true);
		if (r == -EBUSY) {
			r = chain_leases_held(s, c, EBUSY, WHILE_READ);
			return r < 0 ? r : sink_fail(s, EBUSY, cl->l.name,
						      "'%s' changed while being read: try again when nothing writes to it",
						      cl->l.path);
		}
		if (r < 0)
			return r;
	}
	/* An earlier layer may have been opened while a later one was read. */
	return chain_leases_held(s, c, EBUSY, WHILE_READ);
}

int imgverify_inspect(struct imgverify_ctx *ctx, const char *image, bool hash,
		      struct imgverify_manifest **ret)
{
	_cleanup_(chain_closep) struct chain c = { 0 };
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	struct sink s = { .verb = "read", .image = image };
	int r;

	r = chain_open(&s, image, &c);
	if (r < 0)
		return r;
	if (hash) {
		r = hash_chain(ctx, &s, &c, 0);
		if (r < 0)
			return r;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = take_layers(&c, m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

/* Inspects the guest of the chain for its manifest: an image that fails
 * a check of its policy rule is not signed. */
static int inspect_for_signing(struct imgverify_ctx *ctx, struct sink *s, const struct chain *c,
			       const char *name, struct imgverify_guest **ret)
{
	const struct policy_image_rule *rule = imgverify_policy_rule(ctx->policy, name);
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = NULL;
	_cleanup_(freep) struct guest_spec *specs = NULL;
	_cleanup_(freep) char *origin = NULL;
	size_t n_specs;
	int r;

	if (rule && asprintf(&origin, "policy rule '%s'", rule->name) < 0) {
		origin = NULL;
		return -ENOMEM;
	}
	r = rule_specs(s, rule, origin, &specs, &n_specs);
	if (r < 0)
		return r;
	r = guest_run(ctx, s, c, specs, n_specs, rule ? rule->name : NULL, &g);
	if (r < 0)
		return r;
	for (size_t i = 0; i < g->n_checks; i++)
		if (!g->checks[i].ok)
			r = sink_fail(s, EUCLEAN, NULL, "%s", g->checks[i].message ? g->checks[i].message : "?");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(g);
	return 0;
}

int imgverify_sign(struct imgverify_ctx *ctx, const char *image,
		   const struct imgverify_sign_opts *opts, char **ret_json, size_t *ret_len)
{
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *guest = NULL;
	_cleanup_(chain_closep) struct chain c = { 0 };
	_cleanup_(policy_signer_freep) struct policy_signer *signer = NULL;
	_cleanup_(freep) char *certs = NULL, *statement = NULL, *json = NULL;
	_cleanup_(freep) uint8_t *pae = NULL, *sig = NULL;
	struct imgverify_manifest m = { 0 };
	struct sink s = { .verb = "sign", .image = image };
	EVP_PKEY *key;
	int64_t issued = opts->issued ? opts->issued : (int64_t)ctx_now(ctx);
	char keyid[2 * IMGVERIFY_DIGEST_SIZE + 1];
	size_t statement_len, pae_len, sig_len, json_len;
	int r;

	r = check_opts(opts, issued);
	if (r < 0)
		return r;
	if (opts->expires <= (int64_t)ctx_now(ctx))
		vt_logf(VT_LOG_WARNING, "the manifest of '%s' expires before now: verifiers will refuse it",
			    image);
	/* The key first: a token or TPM that cannot sign fails before the
	 * image is hashed. */
	r = policy_signer_load(opts->key_path, opts->key_opts, &signer);
	if (r < 0)
		return r;
	key = policy_signer_public(signer);
	r = imgverify_key_fingerprint(key, keyid);
	if (r < 0)
		return vt_log_errno(r, "cannot use key '%s': no public key", policy_signer_name(signer));
	if (opts->n_cert_paths) {
		r = load_certs(opts, key, policy_signer_name(signer), ctx_now(ctx), &certs);
		if (r < 0)
			return r;
	}

	r = chain_open(&s, image, &c);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c.n; i++)
		if (c.layers[i].l.header.crypt_method != IMGVERIFY_QCOW2_CRYPT_NONE)
			vt_logf(VT_LOG_INFO, "layer '%s' is encrypted (LUKS): the manifest declares it",
				    c.layers[i].l.name);
	r = hash_chain(ctx, &s, &c, opts->chunk_size);
	if (r < 0)
		return r;
	if (opts->inspect) {
		r = inspect_for_signing(ctx, &s, &c, opts->name, &guest);
		if (r < 0)
			return r;
	}

	m.inspection = guest;   /* borrowed */
	m.name = (char *)opts->name;
	m.version = (char *)opts->version;
	m.sequence = opts->sequence;
	m.issued = issued;
	m.expires = opts->expires;
	m.n_layers = c.n;
	m.layers = calloc(c.n, sizeof(*m.layers));
	if (!m.layers)
		return -ENOMEM;
	for (size_t i = 0; i < c.n; i++)
		m.layers[i] = c.layers[i].l;   /* borrowed: the chain frees them */
	r = statement_build(&m, &statement, &statement_len);
	free(m.layers);
	if (r < 0)
		return r;

	r = imgverify_dsse_pae(IMGVERIFY_PAYLOAD_TYPE, statement, statement_len, &pae, &pae_len);
	if (r < 0)
		return r;
	/* Checked with the key's public half: never a manifest that would not
	 * verify with its own key. */
	r = policy_signer_sign(signer, pae, pae_len, &sig, &sig_len);
	if (r < 0)
		return r;
	r = envelope_build(statement, statement_len, keyid, sig, sig_len, certs, &json, &json_len);
	if (r < 0)
		return r;
	if (json_len > IMGVERIFY_MANIFEST_MAX)
		return vt_log_errno(EFBIG, "cannot sign '%s': the manifest of %zu bytes exceeds the limit of %d",
					image, json_len, IMGVERIFY_MANIFEST_MAX);
	*ret_json = TAKE_PTR(json);
	*ret_len = json_len;
	return 0;
}
