/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verifying an image before launch: the manifest's signature (a trusted
 * key, or a certificate chaining to a policy CA), its times, the policy's
 * rollback and revocation rules, then every layer of the chain as found on
 * disk against what was signed. The backing reference of a layer is
 * followed only once it matches the signed one; each layer is hashed
 * through the descriptor its header was read from, and checked not to have
 * changed meanwhile. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "imgverify-internal.h"

#define CERTS_MAX 8
#define MISMATCH_SHOWN 8


static void x509_stack_freep(STACK_OF(X509) **sk)
{
	if (*sk)
		sk_X509_pop_free(*sk, X509_free);
}

struct signer {
	EVP_PKEY *pkey;                   /* borrowed, or owned when from a certificate */
	bool owned;
	const char *policy_id;            /* an image_trust key of the policy */
	bool added;                       /* a key given with imgverify_add_key_file() */
	char desc[600];
	char keyid[2 * IMGVERIFY_DIGEST_SIZE + 1];
	size_t n_chain;                   /* key ids of the certificate chain */
	char chain[CERTS_MAX + 2][2 * IMGVERIFY_DIGEST_SIZE + 1];
};

static void signer_done(struct signer *s)
{
	if (s->owned)
		EVP_PKEY_free(s->pkey);
	s->pkey = NULL;
}

static void subject_of(X509 *cert, char *out, size_t size)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	snprintf(out, size, "?");
	if (!bio || X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
				       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		return;
	len = BIO_get_mem_data(bio, &data);
	snprintf(out, size, "%.*s", (int)(len > 200 ? 200 : len), data);
	if (!is_printable(out, strlen(out)))
		snprintf(out, size, "?");
}

static int parse_certs(const char *pem, STACK_OF(X509) **ret)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);
	_cleanup_(x509_stack_freep) STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *cert;

	if (!bio || !sk)
		return -ENOMEM;
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (sk_X509_num(sk) >= CERTS_MAX || !sk_X509_push(sk, cert)) {
			X509_free(cert);
			return -EFBIG;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0)
		return -EINVAL;
	*ret = TAKE_PTR(sk);
	return 0;
}

/* A signature with a certificate: the chain must reach a CA of the policy
 * at the verification time, the certificate must allow digitalSignature
 * (and code signing, when it restricts extended usage), and the signature
 * must verify with its key. */
static int check_cert(struct imgverify_ctx *ctx, const struct imgverify_signature *sig,
		      const uint8_t *pae, size_t pae_len, struct signer *out, char *why, size_t why_size)
{
	_cleanup_(x509_stack_freep) STACK_OF(X509) *certs = NULL, *verified = NULL;
	_cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *xctx = NULL;
	const char *const *cas;
	const char *kwhy;
	char subject[256];
	size_t n_cas;
	EVP_PKEY *key;
	X509 *leaf;
	int r, err;

	r = parse_certs(sig->cert, &certs);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(why, why_size, "the signature's certificate field holds no usable PEM certificates (at most %d)",
			 CERTS_MAX);
		return -EBADMSG;
	}
	leaf = sk_X509_value(certs, 0);
	subject_of(leaf, subject, sizeof(subject));
	key = X509_get0_pubkey(leaf);
	if (!key) {
		snprintf(why, why_size, "certificate '%s' has no usable public key", subject);
		return -EOPNOTSUPP;
	}
	if (policy_pkey_supported(key, &kwhy) < 0) {
		snprintf(why, why_size, "certificate '%s': unsupported algorithm: %s", subject, kwhy);
		return -EOPNOTSUPP;
	}

	store = X509_STORE_new();
	xctx = X509_STORE_CTX_new();
	if (!store || !xctx)
		return -ENOMEM;
	cas = policy_image_cas(ctx->policy, &n_cas);
	for (size_t i = 0; i < n_cas; i++) {
		_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(cas[i], -1);
		X509 *ca = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

		if (!ca || X509_STORE_add_cert(store, ca) != 1) {
			X509_free(ca);
			ERR_clear_error();
			continue;
		}
		X509_free(ca);
	}
	if (X509_STORE_CTX_init(xctx, store, leaf, certs) != 1)
		return -ENOMEM;
	/* Every CA of the policy is an anchor, a root or not. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(xctx), ctx_now(ctx));
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(xctx), X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(xctx) != 1) {
		err = X509_STORE_CTX_get_error(xctx);
		ERR_clear_error();
		if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
			X509 *bad = X509_STORE_CTX_get_current_cert(xctx);
			char s2[256];

			subject_of(bad ? bad : leaf, s2, sizeof(s2));
			snprintf(why, why_size, "certificate '%s' has expired", s2);
			return -EKEYEXPIRED;
		}
		snprintf(why, why_size, "certificate '%s' does not chain to a CA of the policy: %s", subject,
			 X509_verify_cert_error_string(err));
		return -EKEYREJECTED;
	}
	if (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		snprintf(why, why_size, "certificate '%s' does not allow digitalSignature (key usage)", subject);
		return -EKEYREJECTED;
	}
	if (X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE &&
	    !(X509_get_extended_key_usage(leaf) & (XKU_CODE_SIGN | XKU_ANYEKU))) {
		snprintf(why, why_size, "certificate '%s' does not allow code signing (extended key usage)",
			 subject);
		return -EKEYREJECTED;
	}
	r = policy_verify_pkey(key, pae, pae_len, sig->sig, sig->sig_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(why, why_size, "the signature does not verify with certificate '%s': the manifest was changed after signing",
			 subject);
		return -EKEYREJECTED;
	}

	if (EVP_PKEY_up_ref(key) != 1)
		return -ENOMEM;
	out->pkey = key;
	out->owned = true;
	snprintf(out->desc, sizeof(out->desc), "certificate '%s'", subject);
	r = imgverify_key_fingerprint(key, out->keyid);
	if (r < 0)
		return r;
	verified = X509_STORE_CTX_get1_chain(xctx);
	for (int i = 0; verified && i < sk_X509_num(verified) && out->n_chain < ELEMENTSOF(out->chain); i++) {
		EVP_PKEY *k = X509_get0_pubkey(sk_X509_value(verified, i));

		if (k && imgverify_key_fingerprint(k, out->chain[out->n_chain]) == 0)
			out->n_chain++;
	}
	return 0;
}

/* Finds a signature by a trusted key. The keyid of a signature is a hint
 * only: every trusted key is tried on every signature. */
static int find_signer(struct imgverify_ctx *ctx, struct sink *s, const char *manifest,
		       const struct imgverify_envelope *env, const uint8_t *pae, size_t pae_len,
		       struct signer *out)
{
	size_t n_policy_keys = 0, n_cas = 0;
	const struct policy_key *pkeys = ctx->policy ? policy_image_keys(ctx->policy, &n_policy_keys) : NULL;
	const char *hinted = NULL;
	char cert_why[512] = "";
	int cert_err = 0;

	if (ctx->policy)
		policy_image_cas(ctx->policy, &n_cas);
	if (ctx->n_keys == 0 && n_policy_keys == 0 && n_cas == 0)
		return sink_fail(s, EKEYREJECTED, NULL,
				 "no trusted key: the policy has no image_trust keys or CAs, and no key was given");
	if (env->n_signatures == 0)
		return sink_fail(s, EKEYREJECTED, NULL, "manifest '%s' is not signed", manifest);

	for (size_t i = 0; i < env->n_signatures; i++) {
		const struct imgverify_signature *sig = &env->signatures[i];

		for (size_t k = 0; k < ctx->n_keys + n_policy_keys; k++) {
			bool added = k < ctx->n_keys;
			EVP_PKEY *key = added ? ctx->keys[k].pkey : pkeys[k - ctx->n_keys].pkey;
			const char *name = added ? ctx->keys[k].name : pkeys[k - ctx->n_keys].id;
			char fp[2 * IMGVERIFY_DIGEST_SIZE + 1];
			int r;

			if (imgverify_key_fingerprint(key, fp) < 0)
				continue;
			r = policy_verify_pkey(key, pae, pae_len, sig->sig, sig->sig_len);
			if (r == -ENOMEM)
				return r;
			if (r == 0) {
				out->pkey = key;
				out->added = added;
				out->policy_id = added ? NULL : name;
				snprintf(out->desc, sizeof(out->desc), "key '%s'", name);
				memcpy(out->keyid, fp, sizeof(fp));
				return 0;
			}
			if (sig->keyid && strcmp(sig->keyid, fp) == 0 && !hinted)
				hinted = name;
		}
		if (sig->cert && n_cas > 0) {
			char why[512];
			int r = check_cert(ctx, sig, pae, pae_len, out, why, sizeof(why));

			if (r == 0)
				return 0;
			if (r == -ENOMEM)
				return r;
			signer_done(out);
			if (!cert_err) {
				cert_err = r;
				snprintf(cert_why, sizeof(cert_why), "%s", why);
			}
		}
	}
	if (cert_err)
		return sink_fail(s, cert_err, NULL, "%s", cert_why);
	if (hinted)
		return sink_fail(s, EKEYREJECTED, NULL,
				 "the signature by key '%s' does not verify: manifest '%s' was changed after signing",
				 hinted, manifest);
	return sink_fail(s, EKEYREJECTED, NULL,
			 "manifest '%s' is not signed by a trusted key (it names key id '%.16s')", manifest,
			 env->signatures[0].keyid ? env->signatures[0].keyid : "");
}

static bool fail_fast(const struct sink *s, unsigned flags)
{
	return (flags & IMGVERIFY_FAIL_FAST) && s->first;
}

static void check_times(struct imgverify_ctx *ctx, struct sink *s, const struct imgverify_manifest *m)
{
	int64_t now = (int64_t)ctx_now(ctx);
	char t[21];

	if (now >= m->expires) {
		imgverify_time_format(m->expires, t);
		sink_fail(s, EKEYEXPIRED, NULL, "the manifest expired at %s", t);
	}
	if (m->issued > now + IMGVERIFY_CLOCK_SKEW) {
		imgverify_time_format(m->issued, t);
		sink_fail(s, EKEYREJECTED, NULL, "the manifest is issued in the future, at %s", t);
	}
}

static void check_rule(struct imgverify_ctx *ctx, struct sink *s, const struct imgverify_manifest *m,
		       const struct signer *signer)
{
	const struct policy_image_rule *rules, *rule = NULL;
	size_t n;

	if (!ctx->policy)
		return;
	rules = policy_image_rules(ctx->policy, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].name, m->name) == 0)
			rule = &rules[i];
	if (!rule)
		return;
	if (m->sequence < rule->min_sequence)
		sink_fail(s, ESTALE, NULL,
			  "image '%s' has sequence %" PRIu64 ", older than %" PRIu64 ", the minimum the policy accepts (rollback)",
			  m->name, m->sequence, rule->min_sequence);
	if (rule->n_keys > 0 && !signer->added) {
		bool allowed = false;

		for (size_t i = 0; signer->policy_id && i < rule->n_keys; i++)
			if (strcmp(rule->keys[i], signer->policy_id) == 0)
				allowed = true;
		if (!allowed)
			sink_fail(s, EKEYREJECTED, NULL,
				  "image '%s' may only be signed by the keys its policy rule names ('%s'%s), not by %s",
				  m->name, rule->keys[0], rule->n_keys > 1 ? ", ..." : "", signer->desc);
	}
}

static bool revoked_id(const struct policy *p, const char *id)
{
	size_t n;
	const char *const *ids = policy_revoked_keys(p, &n);

	for (size_t i = 0; id && i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

static bool revoked_digest(const struct policy *p, const uint8_t d[IMGVERIFY_DIGEST_SIZE])
{
	size_t n;
	const struct policy_digest *ds = policy_revoked_digests(p, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(ds[i].alg->name, "sha256") == 0 && memcmp(ds[i].value, d, IMGVERIFY_DIGEST_SIZE) == 0)
			return true;
	return false;
}

/* Revoked key ids match a policy key's id or a key fingerprint (of the
 * signing key, or of any certificate of its chain). */
static void check_revoked_key(struct imgverify_ctx *ctx, struct sink *s, const struct signer *signer)
{
	const struct policy *p = ctx->policy;
	const char *hit = NULL;

	if (!p)
		return;
	if (revoked_id(p, signer->policy_id))
		hit = signer->policy_id;
	else if (revoked_id(p, signer->keyid))
		hit = signer->keyid;
	for (size_t i = 0; !hit && i < signer->n_chain; i++)
		if (revoked_id(p, signer->chain[i]))
			hit = signer->chain[i];
	if (hit)
		sink_fail(s, EKEYREVOKED, NULL, "%s is revoked by the policy (revoked_keys '%s')",
			  signer->desc, hit);
}

/* Revoked digests match what was computed from the file, never what the
 * manifest claims: the chunk root, and the file's SHA-256 (computed when
 * the policy revokes digests, see needs_sha256()). */
static void check_revoked_digests(struct imgverify_ctx *ctx, struct sink *s, const struct chain_layer *cl)
{
	const struct imgverify_digests *d = &cl->l.digests;
	char hex[2 * IMGVERIFY_DIGEST_SIZE + 1];

	if (!ctx->policy || !cl->l.hashed)
		return;
	if (d->has_sha256 && revoked_digest(ctx->policy, d->sha256)) {
		hex32(d->sha256, hex);
		sink_fail(s, EKEYREVOKED, cl->l.name, "digest sha256:%s is revoked by the policy", hex);
	} else if (revoked_digest(ctx->policy, d->root)) {
		hex32(d->root, hex);
		sink_fail(s, EKEYREVOKED, cl->l.name, "chunk root sha256:%s is revoked by the policy", hex);
	}
}

/* Verification hashes chunks only (in parallel); the plain SHA-256 of a
 * file is one more sequential pass, made when a revoked digest may be
 * one (what sha256sum prints, as a revocation list would name it). */
static bool needs_sha256(const struct imgverify_ctx *ctx)
{
	size_t n = 0;

	if (ctx->policy)
		policy_revoked_digests(ctx->policy, &n);
	return n > 0;
}

/* The subject's digest of a layer against the file's, when computed. */
static void compare_subject(struct sink *s, const struct imgverify_layer *ml, const struct chain_layer *cl)
{
	char now[2 * IMGVERIFY_DIGEST_SIZE + 1], sig[2 * IMGVERIFY_DIGEST_SIZE + 1];

	/* A file whose chunks differ has its failure already. */
	if (!cl->l.hashed || !cl->l.digests.has_sha256 ||
	    memcmp(cl->l.digests.root, ml->digests.root, IMGVERIFY_DIGEST_SIZE) != 0)
		return;
	if (!ml->digests.has_sha256) {
		sink_fail(s, EUCLEAN, cl->l.name, "the manifest has no subject digest for the layer");
		return;
	}
	if (memcmp(cl->l.digests.sha256, ml->digests.sha256, IMGVERIFY_DIGEST_SIZE) != 0) {
		hex32(cl->l.digests.sha256, now);
		hex32(ml->digests.sha256, sig);
		sink_fail(s, EUCLEAN, cl->l.name, "sha256:%s differs from the signed subject digest sha256:%s",
			  now, sig);
	}
}

/* What the report hands on as the signed digests of a layer are only
 * those checked against the file: the chunk root (compared chunk by
 * chunk), and the subject's SHA-256 only when it was computed and equal.
 * An unchecked subject digest is dropped (has_sha256 false). */
static void keep_checked_digests(struct imgverify_manifest *m, const struct chain *c)
{
	for (size_t i = 0; i < m->n_layers; i++) {
		const struct chain_layer *cl = i < c->n ? &c->layers[i] : NULL;
		struct imgverify_digests *d = &m->layers[i].digests;

		if (!cl || !cl->l.hashed || !cl->l.digests.has_sha256 ||
		    memcmp(cl->l.digests.sha256, d->sha256, IMGVERIFY_DIGEST_SIZE) != 0)
			d->has_sha256 = false;
	}
}

#define DIFFER(field, fmt, what)                                                                \
	do {                                                                                    \
		if (h->field != mh->field)                                                      \
			sink_fail(s, EUCLEAN, name, what " " fmt " differs from the signed " fmt, \
				  h->field, mh->field);                                         \
	} while (0)

/* Compares a layer's header with the signed one; true when its backing
 * reference (or its absence) is exactly the signed one, so that the chain
 * may be followed. */
static bool compare_layer(struct sink *s, const struct imgverify_layer *ml, const struct chain_layer *cl)
{
	const struct imgverify_header *h = &cl->l.header, *mh = &ml->header;
	const char *name = cl->l.name;

	if (h->format != mh->format) {
		sink_fail(s, EUCLEAN, name, "format %s differs from the signed %s",
			  imgverify_format_name(h->format), imgverify_format_name(mh->format));
		return false;
	}
	if (cl->l.size != ml->size)
		sink_fail(s, EUCLEAN, name, "size %" PRIu64 " differs from the signed %" PRIu64 " (%s)",
			  cl->l.size, ml->size, cl->l.size < ml->size ? "truncated" : "extended");
	if (h->crypt_method && !mh->crypt_method)
		sink_fail(s, EUCLEAN, name, "the layer is encrypted (LUKS) but the manifest does not declare it");
	else if (!h->crypt_method && mh->crypt_method)
		sink_fail(s, EUCLEAN, name, "the layer is not encrypted but the manifest declares LUKS");
	if (h->format != IMGVERIFY_FORMAT_QCOW2)
		return true;   /* a raw layer's virtual size is its size */
	DIFFER(virtual_size, "%" PRIu64, "virtual size");
	DIFFER(version, "%" PRIu32, "qcow2 version");
	if (h->cluster_bits != mh->cluster_bits)
		sink_fail(s, EUCLEAN, name, "qcow2 cluster size %llu differs from the signed %llu",
			  1ull << h->cluster_bits, 1ull << mh->cluster_bits);
	DIFFER(incompatible_features, "0x%" PRIx64, "qcow2 incompatible features");
	DIFFER(compatible_features, "0x%" PRIx64, "qcow2 compatible features");
	DIFFER(autoclear_features, "0x%" PRIx64, "qcow2 autoclear features");
	DIFFER(refcount_order, "%" PRIu32, "qcow2 refcount order");
	DIFFER(compression_type, "%u", "qcow2 compression type");
	DIFFER(nb_snapshots, "%" PRIu32, "qcow2 snapshot count");
	if (h->has_backing && !mh->has_backing) {
		sink_fail(s, EUCLEAN, name, "backing file '%s' is not in the manifest", h->backing);
		return false;
	}
	if (!h->has_backing && mh->has_backing) {
		sink_fail(s, EUCLEAN, name, "no backing file, but the manifest names '%s'", mh->backing);
		return false;
	}
	if (h->has_backing && (strcmp(h->backing, mh->backing) != 0 ||
			       strcmp(h->backing_format, mh->backing_format) != 0)) {
		sink_fail(s, EUCLEAN, name, "backing file '%s' (%s) differs from the signed '%s' (%s)",
			  h->backing, h->backing_format, mh->backing, mh->backing_format);
		return false;
	}
	return true;
}

static void compare_chunks(struct sink *s, const struct imgverify_layer *ml, const struct chain_layer *cl)
{
	const struct imgverify_digests *a = &cl->l.digests, *b = &ml->digests;
	size_t bad[MISMATCH_SHOWN], n_bad = 0;
	char list[MISMATCH_SHOWN * 24 + 64];
	size_t len = 0;

	for (size_t i = 0; i < a->n_chunks; i++)
		if (memcmp(a->chunks + i * IMGVERIFY_DIGEST_SIZE, b->chunks + i * IMGVERIFY_DIGEST_SIZE,
			   IMGVERIFY_DIGEST_SIZE) != 0) {
			if (n_bad < MISMATCH_SHOWN)
				bad[n_bad] = i;
			n_bad++;
		}
	if (n_bad == 0) {
		if (memcmp(a->root, b->root, IMGVERIFY_DIGEST_SIZE) != 0)
			sink_fail(s, EUCLEAN, cl->l.name, "chunk root mismatch");
		return;
	}
	if (n_bad == 1) {
		sink_fail(s, EUCLEAN, cl->l.name, "chunk %zu digest mismatch", bad[0]);
		return;
	}
	for (size_t i = 0; i < n_bad && i < MISMATCH_SHOWN; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu", i ? ", " : "", bad[i]);
	if (n_bad > MISMATCH_SHOWN)
		snprintf(list + len, sizeof(list) - len, " and %zu more", n_bad - MISMATCH_SHOWN);
	sink_fail(s, EUCLEAN, cl->l.name, "chunks %s digest mismatch (%zu of %zu)", list, n_bad,
		  a->n_chunks);
}

static void chain_closep(struct chain *c)
{
	chain_close(c);
}

static void verify_layers(struct imgverify_ctx *ctx, struct sink *s, const char *image,
			  const struct imgverify_manifest *m, struct chain *c, unsigned flags)
{
	bool whole = needs_sha256(ctx);
	bool writable = (flags & (IMGVERIFY_KEEP_FDS | IMGVERIFY_WRITABLE)) ==
			(IMGVERIFY_KEEP_FDS | IMGVERIFY_WRITABLE);

	if ((writable ? chain_start_writable(s, image, c) : chain_start(s, image, c)) < 0)
		return;
	for (size_t i = 0; i < c->n && i < m->n_layers; i++) {
		struct chain_layer *cl = &c->layers[i];
		const struct imgverify_layer *ml = &m->layers[i];
		bool follow;
		int r;

		if (!cl->parsed)
			return;
		follow = compare_layer(s, ml, cl);
		if (fail_fast(s, flags))
			return;
		if (cl->l.size == ml->size) {
			r = chain_hash_layer(ctx, s, cl, ml->digests.chunk_size, whole);
			if (r == -EBUSY && chain_leases_held(s, c, EUCLEAN, "while being verified") == 0)
				sink_fail(s, EUCLEAN, cl->l.name, "'%s' changed while being verified",
					  cl->l.path);
			else if (r == 0)
				compare_chunks(s, ml, cl);
			/* Only on digests computed from the file (hashed). */
			compare_subject(s, ml, cl);
			check_revoked_digests(ctx, s, cl);
			if (fail_fast(s, flags))
				return;
		}
		if (!follow || !cl->l.header.has_backing)
			return;
		if (chain_next(s, c) <= 0)
			return;
	}
}

/* ---- the guest ---- */

static char *rule_origin(const struct policy_image_rule *rule)
{
	char *o;

	return asprintf(&o, "policy rule '%s'", rule->name) < 0 ? NULL : o;
}

/* What the signed findings say about a path, as a check would find it:
 * false when they do not record it. */
static bool signed_fact(const struct imgverify_guest *sg, const char *path,
			struct imgverify_guest_check *out)
{
	for (size_t i = 0; i < sg->n_checks; i++)
		if (strcmp(sg->checks[i].path, path) == 0) {
			out->present = sg->checks[i].kind == IMGVERIFY_CHECK_MATCH;
			out->hashed = out->present;
			memcpy(out->found, sg->checks[i].found, IMGVERIFY_DIGEST_SIZE);
			return true;
		}
	for (size_t i = 0; i < sg->n_boot; i++)
		if (strcmp(sg->boot[i].path, path) == 0 && !sg->boot[i].link) {
			out->present = out->hashed = true;
			memcpy(out->found, sg->boot[i].sha256, IMGVERIFY_DIGEST_SIZE);
			return true;
		}
	return false;
}

/* Without a new inspection: the rule's inspect checks against the signed
 * findings. A check they do not answer is a denial (fail closed). */
static void check_signed_guest(struct imgverify_ctx *ctx, struct sink *s,
			       const struct imgverify_manifest *m)
{
	const struct policy_image_rule *rule = imgverify_policy_rule(ctx->policy, m->name);
	_cleanup_(freep) struct guest_spec *specs = NULL;
	_cleanup_(freep) char *origin = NULL;
	size_t n;

	if (!rule || !rule->inspect || rule->n_must_match + rule->n_must_be_absent == 0)
		return;
	origin = rule_origin(rule);
	if (!origin) {
		sink_fail(s, ENOMEM, NULL, "cannot check the guest: out of memory");
		return;
	}
	if (rule_specs(s, rule, origin, &specs, &n) < 0)
		return;
	if (!m->inspection) {
		sink_fail(s, EUCLEAN, NULL,
			  "%s checks files inside the guest, but the manifest records no guest inspection: sign the image with --inspect, or verify with --inspect",
			  origin);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct imgverify_guest_check c = { .path = (char *)specs[i].path, .kind = specs[i].kind };

		if (specs[i].want)
			memcpy(c.want, specs[i].want, IMGVERIFY_DIGEST_SIZE);
		if (!signed_fact(m->inspection, specs[i].path, &c)) {
			sink_fail(s, EUCLEAN, NULL,
				  "%s checks guest file '%s', which the signed inspection does not record: verify with --inspect",
				  origin, specs[i].path);
			continue;
		}
		if (check_eval(&c, origin) < 0) {
			sink_fail(s, ENOMEM, NULL, "cannot check the guest: out of memory");
			return;
		}
		if (!c.ok)
			sink_fail(s, EUCLEAN, NULL, "%s (signed inspection)", c.message);
		free(c.message);
	}
}

static void compare_text(struct sink *s, const char *what, const char *now, const char *sig)
{
	if (strcmp(now, sig) != 0)
		sink_fail(s, EUCLEAN, NULL, "guest %s '%s' differs from the signed '%s'", what, now, sig);
}

/* The findings of a new inspection against the signed ones. */
static void compare_guest(struct sink *s, const struct imgverify_guest *now,
			  const struct imgverify_guest *sig)
{
	size_t i = 0, k = 0;

	compare_text(s, "OS type", now->os_type, sig->os_type);
	compare_text(s, "distribution", now->distro, sig->distro);
	if (now->major_version != sig->major_version || now->minor_version != sig->minor_version)
		sink_fail(s, EUCLEAN, NULL, "guest version %d.%d differs from the signed %d.%d",
			  now->major_version, now->minor_version, sig->major_version, sig->minor_version);
	compare_text(s, "architecture", now->arch, sig->arch);
	compare_text(s, "hostname", now->hostname, sig->hostname);
	/* Both sorted by path: one merge. */
	while (i < now->n_boot || k < sig->n_boot) {
		const struct imgverify_boot_file *a = i < now->n_boot ? &now->boot[i] : NULL;
		const struct imgverify_boot_file *b = k < sig->n_boot ? &sig->boot[k] : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);
		char x[2 * IMGVERIFY_DIGEST_SIZE + 1], y[2 * IMGVERIFY_DIGEST_SIZE + 1];

		if (c < 0) {
			sink_fail(s, EUCLEAN, NULL, "guest %s '%s' is not in the manifest",
				  imgverify_boot_kind_name(a->kind), a->path);
			i++;
			continue;
		}
		if (c > 0) {
			sink_fail(s, EUCLEAN, NULL, "guest %s '%s' is missing: the manifest lists it",
				  imgverify_boot_kind_name(b->kind), b->path);
			k++;
			continue;
		}
		if (!a->link != !b->link)
			sink_fail(s, EUCLEAN, NULL, "guest %s '%s' is a %s, the signed one a %s",
				  imgverify_boot_kind_name(a->kind), a->path, a->link ? "symbolic link" : "file",
				  b->link ? "symbolic link" : "file");
		else if (a->link && strcmp(a->link, b->link) != 0)
			sink_fail(s, EUCLEAN, NULL, "guest link '%s' points to '%s', the signed one to '%s'",
				  a->path, a->link, b->link);
		else if (!a->link && memcmp(a->sha256, b->sha256, IMGVERIFY_DIGEST_SIZE) != 0) {
			hex32(a->sha256, x);
			hex32(b->sha256, y);
			sink_fail(s, EUCLEAN, NULL, "guest %s '%s' has sha256:%s, the signed sha256:%s",
				  imgverify_boot_kind_name(a->kind), a->path, x, y);
		}
		i++;
		k++;
	}
}

/* A new inspection (one appliance launch) of the verified chain: the
 * rule's checks and the signed findings must hold on the guest as it is. */
static void verify_guest(struct imgverify_ctx *ctx, struct sink *s, struct imgverify_report *rep,
			 const struct chain *c)
{
	const struct imgverify_manifest *m = rep->manifest;
	const struct imgverify_guest *sig = m->inspection;
	const struct policy_image_rule *rule = imgverify_policy_rule(ctx->policy, m->name);
	_cleanup_(freep) struct guest_spec *specs = NULL, *rule_checks = NULL;
	_cleanup_(freep) char *origin = NULL;
	size_t n = 0, n_rule = 0;
	int r;

	if (!sig) {
		sink_fail(s, EUCLEAN, NULL,
			  "the manifest records no guest inspection to compare with: sign the image with --inspect");
		return;
	}
	if (rule && !(origin = rule_origin(rule))) {
		sink_fail(s, ENOMEM, NULL, "cannot inspect the guest: out of memory");
		return;
	}
	if (rule_specs(s, rule, origin, &rule_checks, &n_rule) < 0)
		return;
	specs = calloc(n_rule + sig->n_checks + 1, sizeof(*specs));
	if (!specs) {
		sink_fail(s, ENOMEM, NULL, "cannot inspect the guest: out of memory");
		return;
	}
	for (size_t i = 0; i < n_rule; i++)
		specs[n++] = rule_checks[i];
	for (size_t i = 0; i < sig->n_checks; i++) {
		const struct imgverify_guest_check *sc = &sig->checks[i];
		bool dup = false;

		/* The same check asked twice runs once. */
		for (size_t k = 0; k < n_rule; k++)
			if (specs[k].kind == sc->kind && strcmp(specs[k].path, sc->path) == 0 &&
			    (sc->kind == IMGVERIFY_CHECK_ABSENT ||
			     memcmp(specs[k].want, sc->found, IMGVERIFY_DIGEST_SIZE) == 0))
				dup = true;
		if (!dup)
			specs[n++] = (struct guest_spec){ sc->path, sc->kind,
							  sc->kind == IMGVERIFY_CHECK_MATCH ? sc->found : NULL,
							  "the signed inspection" };
	}
	r = guest_run(ctx, s, c, specs, n, rule ? rule->name : NULL, &rep->guest);
	if (r < 0) {
		/* Most failures are in the sink already; never leave one out. */
		if (!s->first)
			sink_fail(s, r, NULL, "cannot inspect the guest: %s", strerror(-r));
		return;
	}
	compare_guest(s, rep->guest, sig);
	for (size_t i = 0; i < rep->guest->n_checks; i++)
		if (!rep->guest->checks[i].ok)
			sink_fail(s, EUCLEAN, NULL, "%s",
				  rep->guest->checks[i].message ? rep->guest->checks[i].message : "?");
}

static void move_layers(struct chain *c, struct imgverify_report *rep)
{
	rep->layers = calloc(c->n ? c->n : 1, sizeof(*rep->layers));
	if (!rep->layers)
		return;
	for (size_t i = 0; i < c->n; i++) {
		rep->layers[i] = c->layers[i].l;
		memset(&c->layers[i].l, 0, sizeof(c->layers[i].l));
	}
	rep->n_layers = c->n;
}

int imgverify_verify(struct imgverify_ctx *ctx, const char *image, const char *manifest,
		     unsigned flags, struct imgverify_report **report)
{
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = calloc(1, sizeof(*rep));
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *env = NULL;
	_cleanup_(freep) char *data = NULL;
	_cleanup_(freep) uint8_t *pae = NULL;
	_cleanup_(chain_closep) struct chain c = { 0 };
	struct signer signer = { 0 };
	struct sink s = { .verb = "verify", .image = image, .report = rep };
	char err[640];
	size_t len, pae_len;
	int r;

	if (!rep)
		return -ENOMEM;
	rep->image = strdup(image);
	rep->manifest_path = manifest ? strdup(manifest) : imgverify_default_manifest_path(image);
	if (!rep->image || !rep->manifest_path)
		return -ENOMEM;
	manifest = rep->manifest_path;

	r = vt_read_file(manifest, IMGVERIFY_MANIFEST_MAX, &data, &len);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot read manifest '%s': %s", manifest, strerror(-r));
		sink_record(&s, r, NULL, err);
		goto out;
	}
	r = envelope_parse(manifest, data, len, &env, err, sizeof(err));
	if (r < 0) {
		sink_record(&s, r, NULL, err);
		goto out;
	}
	if (strcmp(env->payload_type, IMGVERIFY_PAYLOAD_TYPE) != 0) {
		sink_fail(&s, EOPNOTSUPP, NULL, "manifest '%s': payload type '%.64s' is not supported (%s)",
			  manifest, is_printable(env->payload_type, strlen(env->payload_type)) ?
					    env->payload_type : "?",
			  IMGVERIFY_PAYLOAD_TYPE);
		goto out;
	}
	r = imgverify_dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, &pae_len);
	if (r < 0)
		return r;
	r = find_signer(ctx, &s, manifest, env, pae, pae_len, &signer);
	if (r < 0)
		goto out;
	rep->signature_ok = true;
	rep->signer = strdup(signer.desc);
	rep->keyid = strdup(signer.keyid);
	r = statement_parse(manifest, (const char *)env->payload, env->payload_len, &rep->manifest, err,
			    sizeof(err));
	if (r < 0) {
		sink_record(&s, r, NULL, err);
		goto out;
	}
	check_times(ctx, &s, rep->manifest);
	check_rule(ctx, &s, rep->manifest, &signer);
	check_revoked_key(ctx, &s, &signer);
	if (!(flags & IMGVERIFY_INSPECT))
		check_signed_guest(ctx, &s, rep->manifest);
	if (!fail_fast(&s, flags)) {
		verify_layers(ctx, &s, image, rep->manifest, &c, flags);
		/* An earlier layer may have been opened while a later one was read. */
		if (s.first == 0)
			chain_leases_held(&s, &c, EUCLEAN, "while being verified");
	}
	/* The slow part last, and only on an image whose every byte is the
	 * signed one: an appliance is never launched on an untrusted disk. */
	if ((flags & IMGVERIFY_INSPECT) && s.first == 0)
		verify_guest(ctx, &s, rep, &c);
	keep_checked_digests(rep->manifest, &c);
	/* Only the descriptors of an image whose every check held. */
	if ((flags & IMGVERIFY_KEEP_FDS) && s.first == 0) {
		rep->fds = calloc(c.n ? c.n : 1, sizeof(*rep->fds));
		if (!rep->fds)
			return -ENOMEM;
		chain_take_fds(&c, rep->fds);
		rep->n_fds = c.n;
	}
	move_layers(&c, rep);
out:
	signer_done(&signer);
	rep->verified = s.first == 0;
	*report = TAKE_PTR(rep);
	if (s.first_denial)
		return s.first_denial;
	return s.first;
}
