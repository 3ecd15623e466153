/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one loader of signing keys: a PEM private key file, a key in a
 * PKCS#11 token (RFC 7512 URI, the module called directly through p11-kit:
 * libp11 0.4.12, Debian 12's, knows no Ed25519 key and cannot even list
 * the RSA and EC keys of a token that also holds one), and a TPM key
 * through the tpm2-openssl provider's OSSL_STORE loader. Signatures have
 * the bytes policy_sign() documents whatever holds the key. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "policy-internal.h"
#include "policy.h"

#define TPM_PROPQ "provider=tpm2"   /* a TPM key signs in its provider */
#define P11_SLOTS_MAX 65536          /* more is a module that misbehaves */

struct policy_signer {
	char *name;                /* the key as given, any PIN redacted */
	EVP_PKEY *pub;             /* the public half, default provider */
	EVP_PKEY *priv;            /* PEM and TPM keys: OpenSSL signs */
	OSSL_PROVIDER *tpm2, *deflt;
	CK_FUNCTION_LIST **modules; /* PKCS#11 keys: the token signs */
	bool registered;           /* modules: p11-kit's registered ones */
	CK_FUNCTION_LIST *p11;     /* the one with the token */
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE object;
	CK_KEY_TYPE key_type;
	bool open;
};

DEFINE_CLEANUP_FUNC(P11KitUri *, p11_kit_uri_free)
DEFINE_CLEANUP_FUNC(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_CLEANUP_FUNC(UI_METHOD *, UI_destroy_method)
DEFINE_CLEANUP_FUNC(ASN1_OCTET_STRING *, ASN1_OCTET_STRING_free)
DEFINE_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)

struct pin {
	char buf[POLICY_PIN_MAX];
	size_t len;
};

static void pin_wipe(struct pin *p)
{
	OPENSSL_cleanse(p->buf, sizeof(p->buf));
	p->len = 0;
}

static void wipe_freep(char **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
	}
}

/* The name of the URI attribute at p, whitespace dropped as p11-kit
 * drops it; folded: also lowercased and percent-decoded, for the PIN check
 * (p11-kit does neither, a user may). *ret_end: the '=' or separator. */
static void attr_name(const char *p, bool fold, char *name, size_t size, const char **ret_end)
{
	size_t n = 0;

	for (; *p && !strchr("=;?&", *p); p++) {
		int c = (unsigned char)*p;

		if (isspace(c))
			continue;
		if (fold && c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };

			c = (int)strtol(hex, NULL, 16);
			p += 2;
		}
		if (n + 1 < size)
			name[n++] = (char)(fold ? tolower(c) : c);
	}
	name[n] = '\0';
	*ret_end = p;
}

/* The key for messages: from the first attribute whose name is a PIN's
 * (pin-value, pin-source, in any case, spacing or percent-encoding) on,
 * nothing but "pin-value=REDACTED": p11-kit's idea of where that value
 * ends is not this function's to guess. */
static char *redact(const char *key)
{
	char prev = '\0';

	for (const char *p = key; *p; p++) {
		if (prev && strchr(":;?&", prev)) {
			const char *end;
			char name[64];

			attr_name(p, true, name, sizeof(name), &end);
			if (strncmp(name, "pin", 3) == 0) {
				char *r = NULL;

				if (asprintf(&r, "%.*s%s=REDACTED", (int)(p - key), key,
					     strcmp(name, "pin-source") == 0 ? "pin-source" : "pin-value") < 0)
					return NULL;
				return r;
			}
		}
		if (!isspace((unsigned char)*p))
			prev = *p;
	}
	return strdup(key);
}

static int get_pin(const struct policy_key_opts *opts, const char *name, const char *where,
		   struct pin *pin)
{
	char what[512];
	int r;

	if (!opts || !opts->get_pin)
		return vt_log_errno(EACCES, "cannot use key '%s': it needs a PIN and none can be asked for",
					name);
	snprintf(what, sizeof(what), "key '%s' (%s)", name, where);
	r = opts->get_pin(what, pin->buf, sizeof(pin->buf), opts->userdata);
	if (r < 0)
		return r;
	pin->len = strnlen(pin->buf, sizeof(pin->buf) - 1);
	return 0;
}

void policy_signer_free(struct policy_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->priv);
	EVP_PKEY_free(s->pub);
	if (s->p11 && s->open) {
		(void)s->p11->C_Logout(s->session);
		(void)s->p11->C_CloseSession(s->session);
	}
	if (s->modules && s->registered)
		p11_kit_modules_finalize_and_release(s->modules);
	else if (s->modules) {
		(void)p11_kit_module_finalize(s->modules[0]);
		p11_kit_module_release(s->modules[0]);
		free(s->modules);
	}
	if (s->tpm2)
		OSSL_PROVIDER_unload(s->tpm2);
	if (s->deflt)
		OSSL_PROVIDER_unload(s->deflt);
	free(s->name);
	free(s);
}

void *policy_signer_public(const struct policy_signer *s)
{
	return s->pub;
}

const char *policy_signer_name(const struct policy_signer *s)
{
	return s->name;
}

/* A copy of a key's public half in the default provider (a TPM key's own
 * is the provider's), and the check that it is a kind vmtrust signs with. */
static int set_public(struct policy_signer *s, EVP_PKEY *key)
{
	_cleanup_(freep) unsigned char *der = NULL;
	const unsigned char *p;
	const char *why;
	int len;

	len = i2d_PUBKEY(key, &der);
	if (len <= 0)
		return vt_log_errno(EINVAL, "cannot use key '%s': no public key", s->name);
	p = der;
	s->pub = d2i_PUBKEY(NULL, &p, len);
	ERR_clear_error();
	if (!s->pub)
		return vt_log_errno(EINVAL, "cannot use key '%s': no public key", s->name);
	if (policy_pkey_supported(s->pub, &why) < 0)
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': %s", s->name, why);
	return 0;
}

/* Possession: a fixed probe signed by the private key must verify with the
 * public key the loader returns (a token's public object is writable by
 * whoever holds no PIN). */
static const uint8_t probe[32] = "vmtrust: a key's first signature";

static int check_probe(struct policy_signer *s, const uint8_t *sig, size_t sig_len)
{
	if (policy_verify_pkey(s->pub, probe, sizeof(probe), sig, sig_len) < 0)
		return vt_log_errno(EKEYREJECTED, "cannot use key '%s': %s does not match its private key",
					s->name, s->p11 ? "the token's public object" : "its public key");
	return 0;
}

/* ---- PEM ------------------------------------------------------------------ */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;   /* an encrypted PEM key is refused, never prompted for */
}

static int load_tpm(struct policy_signer *s, const char *uri, BIO *bytes, const struct policy_key_opts *opts);

static int load_pem(struct policy_signer *s, const char *path, const struct policy_key_opts *opts)
{
	_cleanup_(wipe_freep) char *pem = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(freep) uint8_t *sig = NULL;
	size_t len, sig_len;
	int r;

	/* Read once: a TPM key blob goes to the provider as these bytes,
	 * never re-opened by a name OSSL_STORE may read as a URI ("file:"). */
	r = vt_read_file(path, POLICY_KEY_FILE_MAX, &pem, &len);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	if (strstr(pem, "-----BEGIN TSS2 PRIVATE KEY-----"))
		return load_tpm(s, NULL, bio, opts);
	s->priv = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	ERR_clear_error();
	if (!s->priv)
		return vt_log_errno(EINVAL,
					"cannot use key '%s': not a PEM private key (unencrypted), a pkcs11: URI or a TPM key",
					s->name);
	r = set_public(s, s->priv);
	if (r < 0)
		return r;
	r = policy_pkey_sign(s->priv, NULL, probe, sizeof(probe), &sig, &sig_len);
	if (r < 0) {
		ERR_clear_error();
		return vt_log_errno(EINVAL, "cannot use key '%s': it cannot sign", s->name);
	}
	return check_probe(s, sig, sig_len);
}

/* ---- the TPM (tpm2-openssl) ---------------------------------------------- */

struct pem_cb_data {
	const struct policy_key_opts *opts;
	const char *name;
	int error;
};

static int tpm_pin_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_cb_data *d = u;
	struct pin pin = { 0 };
	int r;

	r = get_pin(d->opts, d->name, "the TPM key", &pin);
	if (r < 0 || pin.len >= (size_t)size) {
		d->error = r < 0 ? r : -EINVAL;
		pin_wipe(&pin);
		return -1;
	}
	memcpy(buf, pin.buf, pin.len);
	r = (int)pin.len;
	pin_wipe(&pin);
	return r;
}

/* The reason a TPM operation failed, from the provider's error data. */
static int tpm_error(const char *name, const char *doing)
{
	const char *data = NULL, *reason;
	unsigned long e, last = 0;
	char detail[256] = "";
	int flags = 0;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags))) {
		last = e;
		if (data && (flags & ERR_TXT_STRING) && !detail[0])
			snprintf(detail, sizeof(detail), "%s", data);
	}
	reason = last ? ERR_reason_error_string(last) : NULL;
	vt_logf(VT_LOG_DEBUG, "key '%s': %s: %s: %s", name, doing, reason ? reason : "?", detail);
	if (strstr(detail, "lockout"))
		return vt_log_errno(EPERM, "cannot use key '%s': locked: the TPM is in dictionary-attack lockout",
					name);
	if (strstr(detail, "HMAC check failed") || strstr(detail, "authorization"))
		return vt_log_errno(EACCES, "cannot use key '%s': wrong PIN%s", name,
					strchr(name, '?') || strncmp(name, "handle:", 7) != 0 ? "" :
					" (a handle whose key has a PIN takes ?pass)");
	if (strstr(detail, "handle") || strstr(detail, "0x18b") || strstr(detail, "0x184"))
		return vt_log_errno(ENOKEY, "cannot use key '%s': no such key in the TPM", name);
	if (strstr(detail, "tcti") || strstr(detail, "TCTI") || (reason && strstr(reason, "connect")) ||
	    strstr(detail, "Connection") || strstr(detail, "0xa000a"))
		return vt_log_errno(ENODEV, "cannot use key '%s': no TPM: %s", name, detail);
	return vt_log_errno(ENODEV, "cannot use key '%s': %s: %s", name, doing,
				detail[0] ? detail : reason ? reason : "unknown error");
}

/* The provider did not load: not installed, or it found no TPM. */
static int tpm_provider_error(const char *name)
{
	const char *dir = getenv("OPENSSL_MODULES"), *v = OpenSSL_version(OPENSSL_MODULES_DIR);
	char path[4096] = "";

	ERR_clear_error();
	/* "MODULESDIR: \"/usr/lib/x86_64-linux-gnu/ossl-modules\"" */
	if (!dir && v && strchr(v, '"'))
		snprintf(path, sizeof(path), "%.*s/tpm2.so", (int)strcspn(strchr(v, '"') + 1, "\""),
			 strchr(v, '"') + 1);
	else if (dir)
		snprintf(path, sizeof(path), "%s/tpm2.so", dir);
	if (path[0] && access(path, F_OK) < 0)
		return vt_log_errno(ENOENT, "cannot use key '%s': no tpm2 OpenSSL provider (install tpm2-openssl)",
					name);
	return vt_log_errno(ENODEV, "cannot use key '%s': no TPM: the tpm2 provider cannot reach TCTI '%s'",
				name, getenv("TPM2OPENSSL_TCTI") ? getenv("TPM2OPENSSL_TCTI") : "default");
}

/* A TPM key by URI (handle:) or as the bytes of a key blob. */
static int load_tpm(struct policy_signer *s, const char *uri, BIO *bytes, const struct policy_key_opts *opts)
{
	_cleanup_(UI_destroy_methodp) UI_METHOD *ui = NULL;
	_cleanup_(OSSL_STORE_closep) OSSL_STORE_CTX *store = NULL;
	struct pem_cb_data cb = { .opts = opts, .name = s->name };
	_cleanup_(freep) uint8_t *sig = NULL;
	size_t sig_len;
	int r;

	/* tpm2-tss (inside the provider) logs to stderr by default; a library
	 * does not print. A user who sets TSS2_LOG gets what they asked for. */
	if (setenv("TSS2_LOG", "all+NONE", 0) < 0)
		return -errno;
	/* The default library context, where EVP fetches the provider's
	 * signature. Loading one provider stops the implicit default, so
	 * both; and everything but the key (the image's hashing above all)
	 * stays with the default provider. */
	s->tpm2 = OSSL_PROVIDER_load(NULL, "tpm2");
	if (!s->tpm2)
		return tpm_provider_error(s->name);
	s->deflt = OSSL_PROVIDER_load(NULL, "default");
	if (!s->deflt || EVP_set_default_properties(NULL, "?provider=default") != 1)
		return vt_log_errno(ENOMEM, "cannot use key '%s': no default OpenSSL provider", s->name);
	ui = UI_UTIL_wrap_read_pem_callback(tpm_pin_cb, 0);
	if (!ui)
		return -ENOMEM;
	if (bytes)
		store = OSSL_STORE_attach(bytes, "file", NULL, "?provider=tpm2", ui, &cb, NULL, NULL, NULL);
	else
		store = OSSL_STORE_open_ex(uri, NULL, "?provider=tpm2", ui, &cb, NULL, NULL, NULL);
	if (!store)
		return cb.error < 0 ? cb.error : tpm_error(s->name, "cannot open");
	(void)OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
	while (!s->priv && !OSSL_STORE_eof(store)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(store);

		if (!info) {
			if (cb.error < 0)
				return cb.error;
			if (OSSL_STORE_error(store))
				return tpm_error(s->name, "cannot load");
			continue;
		}
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			s->priv = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	if (!s->priv)
		return cb.error < 0 ? cb.error : tpm_error(s->name, "no key");
	r = set_public(s, s->priv);
	if (r < 0)
		return r;
	/* The TPM checks the PIN when it signs: fail here, not after an hour
	 * of hashing, with the reason. */
	r = policy_pkey_sign(s->priv, TPM_PROPQ, probe, sizeof(probe), &sig, &sig_len);
	if (r == -EINVAL)
		return cb.error < 0 ? cb.error : tpm_error(s->name, "cannot sign");
	if (r < 0)
		return r;
	return check_probe(s, sig, sig_len);
}

/* ---- PKCS#11 ---------------------------------------------------------------- */

static int p11_error(const char *name, const char *doing, CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return vt_log_errno(EACCES, "cannot use key '%s': wrong PIN", name);
	case CKR_PIN_LOCKED:
	case CKR_PIN_EXPIRED:
		return vt_log_errno(EPERM, "cannot use key '%s': locked: the token refuses the PIN", name);
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_SESSION_HANDLE_INVALID:
		return vt_log_errno(ENODEV, "cannot use key '%s': no token: it is gone", name);
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_MECHANISM_INVALID:
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': the token does not let it sign (0x%lx)", name,
					(unsigned long)rv);
	case CKR_USER_NOT_LOGGED_IN:
		return vt_log_errno(EACCES, "cannot use key '%s': the token wants a login to sign", name);
	default:
		return vt_log_errno(EIO, "cannot use key '%s': %s: PKCS#11 error 0x%lx", name, doing,
					(unsigned long)rv);
	}
}

static int p11_attr(struct policy_signer *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
		    uint8_t *buf, size_t size, size_t *ret_len)
{
	CK_ATTRIBUTE a = { .type = type, .pValue = buf, .ulValueLen = size };
	CK_RV rv = s->p11->C_GetAttributeValue(s->session, o, &a, 1);

	if (rv != CKR_OK || a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen > size)
		return -ENOKEY;
	*ret_len = a.ulValueLen;
	return 0;
}

/* The one object of a class that the template matches. */
static int p11_find(struct policy_signer *s, CK_OBJECT_CLASS cls, CK_ATTRIBUTE *attrs, CK_ULONG n,
		    CK_OBJECT_HANDLE *ret)
{
	CK_ATTRIBUTE t[8];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG nt = 0, nfound = 0;
	CK_RV rv;

	t[nt++] = (CK_ATTRIBUTE){ .type = CKA_CLASS, .pValue = &cls, .ulValueLen = sizeof(cls) };
	for (CK_ULONG i = 0; i < n && nt < ELEMENTSOF(t); i++)
		if (attrs[i].type == CKA_LABEL || attrs[i].type == CKA_ID)
			t[nt++] = attrs[i];
	rv = s->p11->C_FindObjectsInit(s->session, t, nt);
	if (rv != CKR_OK)
		return p11_error(s->name, "cannot search the token", rv);
	rv = s->p11->C_FindObjects(s->session, found, ELEMENTSOF(found), &nfound);
	(void)s->p11->C_FindObjectsFinal(s->session);
	if (rv != CKR_OK)
		return p11_error(s->name, "cannot search the token", rv);
	if (nfound > 1)
		return vt_log_errno(EINVAL, "cannot use key '%s': it names more than one key", s->name);
	if (nfound == 0)
		return -ENOKEY;
	*ret = found[0];
	return 0;
}

/* A public key from the parameters in bld (which point into the caller's
 * buffers: built before those go). */
static int pkey_fromdata(struct policy_signer *s, const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);

	if (!ctx || !params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ERR_clear_error();
		return vt_log_errno(EINVAL, "cannot use key '%s': a malformed public key", s->name);
	}
	return 0;
}

/* The public key object next to the private one (same CKA_ID, else the
 * URI's attributes) as an EVP_PKEY. */
static int p11_public(struct policy_signer *s, CK_ATTRIBUTE *attrs, CK_ULONG n)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
	uint8_t id[256], a[1024], b[1024];
	size_t id_len, a_len, b_len;
	CK_ATTRIBUTE by_id = { .type = CKA_ID, .pValue = id };
	CK_OBJECT_HANDLE o;
	int r;

	r = p11_attr(s, s->object, CKA_ID, id, sizeof(id), &id_len);
	if (r == 0 && id_len > 0) {
		by_id.ulValueLen = id_len;
		r = p11_find(s, CKO_PUBLIC_KEY, &by_id, 1, &o);
	} else
		r = p11_find(s, CKO_PUBLIC_KEY, attrs, n, &o);
	if (r == -ENOKEY)
		return vt_log_errno(ENOKEY, "cannot use key '%s': the token holds no public key for it",
					s->name);
	if (r < 0)
		return r;

	bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return -ENOMEM;
	switch (s->key_type) {
	case CKK_EC_EDWARDS:
	case CKK_EC: {
		_cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *point = NULL;
		_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *oid = NULL;
		const unsigned char *p;

		if (p11_attr(s, o, CKA_EC_POINT, a, sizeof(a), &a_len) < 0 ||
		    p11_attr(s, o, CKA_EC_PARAMS, b, sizeof(b), &b_len) < 0)
			return vt_log_errno(EINVAL, "cannot use key '%s': its public key has no point", s->name);
		p = a;
		point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)a_len);
		if (!point) {
			ERR_clear_error();
			return vt_log_errno(EINVAL, "cannot use key '%s': a malformed public point", s->name);
		}
		if (s->key_type == CKK_EC_EDWARDS) {
			/* SoftHSM2 names the curve by a PrintableString, others by
			 * OID 1.3.101.112: the 32-byte point decides. */
			pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							   ASN1_STRING_get0_data(point),
							   (size_t)ASN1_STRING_length(point));
			if (!pkey) {
				ERR_clear_error();
				return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': an Edwards key other than Ed25519",
							s->name);
			}
			break;
		}
		p = b;
		oid = d2i_ASN1_OBJECT(NULL, &p, (long)b_len);
		ERR_clear_error();
		if (!oid || OBJ_obj2nid(oid) == NID_undef)
			return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': an unknown elliptic curve", s->name);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						     OBJ_nid2sn(OBJ_obj2nid(oid)), 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
						      ASN1_STRING_get0_data(point),
						      (size_t)ASN1_STRING_length(point)))
			return -ENOMEM;
		r = pkey_fromdata(s, "EC", bld, &pkey);   /* while point lives */
		if (r < 0)
			return r;
		break;
	}
	case CKK_RSA: {
		_cleanup_(BN_freep) BIGNUM *nn = NULL, *e = NULL;

		if (p11_attr(s, o, CKA_MODULUS, a, sizeof(a), &a_len) < 0 ||
		    p11_attr(s, o, CKA_PUBLIC_EXPONENT, b, sizeof(b), &b_len) < 0)
			return vt_log_errno(EINVAL, "cannot use key '%s': its public key has no modulus", s->name);
		nn = BN_bin2bn(a, (int)a_len, NULL);
		e = BN_bin2bn(b, (int)b_len, NULL);
		if (!nn || !e || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			return -ENOMEM;
		r = pkey_fromdata(s, "RSA", bld, &pkey);   /* while nn, e live */
		if (r < 0)
			return r;
		break;
	}
	default:
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': not an Ed25519, EC or RSA key", s->name);
	}
	return set_public(s, pkey);
}

/* A module's slots with a token, as many as it has. */
static int p11_slots(CK_FUNCTION_LIST *mod, CK_SLOT_ID **ret, CK_ULONG *ret_n, CK_RV *ret_rv)
{
	_cleanup_(freep) CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, got;
	CK_RV rv;

	for (unsigned tries = 0; tries < 4; tries++) {
		rv = mod->C_GetSlotList(CK_TRUE, NULL, &n);
		if (rv != CKR_OK || n == 0 || n > P11_SLOTS_MAX) {
			*ret_rv = rv == CKR_OK && n > P11_SLOTS_MAX ? CKR_GENERAL_ERROR : rv;
			*ret_n = 0;
			return 0;
		}
		free(slots);
		slots = calloc(n, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		got = n;
		rv = mod->C_GetSlotList(CK_TRUE, slots, &got);
		if (rv == CKR_BUFFER_TOO_SMALL)   /* a token came: ask again */
			continue;
		*ret_rv = rv;
		*ret_n = rv == CKR_OK && got <= n ? got : 0;
		*ret = TAKE_PTR(slots);
		return 0;
	}
	*ret_rv = CKR_BUFFER_TOO_SMALL;
	*ret_n = 0;
	return 0;
}

/* The single token the URI matches, in any of the modules. */
static int p11_token(struct policy_signer *s, P11KitUri *uri, CK_SLOT_ID *ret, CK_TOKEN_INFO *ret_info)
{
	size_t matches = 0;

	for (size_t m = 0; s->modules[m]; m++) {
		CK_FUNCTION_LIST *mod = s->modules[m];
		_cleanup_(freep) CK_SLOT_ID *slots = NULL;
		CK_ULONG n = 0;
		CK_INFO minfo;
		CK_RV rv;
		int r;

		if (mod->C_GetInfo(&minfo) != CKR_OK || !p11_kit_uri_match_module_info(uri, &minfo))
			continue;
		r = p11_slots(mod, &slots, &n, &rv);
		if (r < 0)
			return r;
		if (rv != CKR_OK) {
			vt_logf(VT_LOG_DEBUG, "key '%s': a module cannot list its slots: 0x%lx", s->name,
				    (unsigned long)rv);
			continue;
		}
		for (CK_ULONG i = 0; i < n; i++) {
			CK_TOKEN_INFO info;
			CK_SLOT_INFO sinfo;

			if (mod->C_GetSlotInfo(slots[i], &sinfo) != CKR_OK ||
			    mod->C_GetTokenInfo(slots[i], &info) != CKR_OK)
				continue;
			if (!p11_kit_uri_match_slot_info(uri, &sinfo) || !p11_kit_uri_match_token_info(uri, &info))
				continue;
			if (p11_kit_uri_get_slot_id(uri) != (CK_SLOT_ID)-1 &&
			    p11_kit_uri_get_slot_id(uri) != slots[i])
				continue;
			if (matches++ == 0) {
				s->p11 = mod;
				*ret = slots[i];
				*ret_info = info;
			}
		}
	}
	if (matches == 0)
		return vt_log_errno(ENODEV, "cannot use key '%s': no token: none of the PKCS#11 modules has one that matches",
					s->name);
	if (matches > 1)
		return vt_log_errno(EINVAL, "cannot use key '%s': it matches %zu tokens", s->name, matches);
	return 0;
}

/* The attributes vmtrust understands (RFC 7512 as p11-kit reads them, for
 * one object on one token of one module), each at most once: an allow-list
 * checked before p11-kit, which ignores unknown query attributes and keeps
 * the last of two. */
static const char *const p11_path_attrs[] = {
	"token", "manufacturer", "serial", "model", "object", "id", "type", "slot-id", "slot-description",
	"slot-manufacturer", "library-description", "library-manufacturer", "library-version",
};

static int p11_check_uri(struct policy_signer *s, const char *key)
{
	bool seen[ELEMENTSOF(p11_path_attrs) + 1] = { false }, query = false;
	const char *p = key + strlen("pkcs11:");

	while (*p) {
		char name[64], folded[64];
		const char *end;
		size_t i;

		attr_name(p, true, folded, sizeof(folded), &end);
		attr_name(p, false, name, sizeof(name), &end);
		if (strncmp(folded, "pin", 3) == 0)
			return vt_log_errno(EINVAL, "cannot use key '%s': a PIN in the URI is refused: use --pin-file",
						s->name);
		if (name[0] || *end == '=') {
			_cleanup_(freep) char *shown = NULL;

			if (query)
				i = strcmp(name, "module-path") == 0 ? ELEMENTSOF(p11_path_attrs) : SIZE_MAX;
			else
				for (i = 0; i < ELEMENTSOF(p11_path_attrs) && strcmp(name, p11_path_attrs[i]) != 0; i++)
					;
			if (i == SIZE_MAX || (!query && i == ELEMENTSOF(p11_path_attrs))) {
				shown = vt_escape(name);
				return vt_log_errno(EINVAL, "cannot use key '%s': unknown attribute '%s'", s->name,
							shown ? shown : "?");
			}
			if (seen[i]) {
				shown = vt_escape(name);
				return vt_log_errno(EINVAL, "cannot use key '%s': attribute '%s' given twice", s->name,
							shown ? shown : "?");
			}
			seen[i] = true;
		}
		/* the value: to the next separator (in the query, ';' is a value's) */
		end += strcspn(end, query ? "&" : ";?");
		if (*end == '?')
			query = true;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int p11_sign(struct policy_signer *s, const void *data, size_t len, uint8_t **ret_sig,
		    size_t *ret_sig_len);

static int load_pkcs11(struct policy_signer *s, const char *key, const struct policy_key_opts *opts)
{
	_cleanup_(p11_kit_uri_freep) P11KitUri *uri = NULL;
	CK_ATTRIBUTE *attrs, *type;
	CK_ULONG n_attrs;
	CK_SLOT_ID slot = 0;
	CK_TOKEN_INFO info;
	_cleanup_(freep) uint8_t *sig = NULL;
	CK_BBOOL always = CK_FALSE;
	size_t kt_len, aa_len, sig_len;
	const char *module;
	CK_RV rv;
	int r;

	r = p11_check_uri(s, key);
	if (r < 0)
		return r;
	uri = p11_kit_uri_new();
	if (!uri)
		return -ENOMEM;
	if (p11_kit_uri_parse(key, P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE | P11_KIT_URI_FOR_SLOT, uri) != P11_KIT_URI_OK)
		return vt_log_errno(EINVAL, "cannot use key '%s': not a valid pkcs11: URI (RFC 7512)",
					s->name);
	/* A PIN in the URI is on the command line and in logs. */
	if (p11_kit_uri_get_pin_value(uri) || p11_kit_uri_get_pin_source(uri))
		return vt_log_errno(EINVAL, "cannot use key '%s': a PIN in the URI is refused: use --pin-file",
					s->name);
	if (p11_kit_uri_any_unrecognized(uri) || p11_kit_uri_get_module_name(uri))
		return vt_log_errno(EINVAL, "cannot use key '%s': an attribute p11-kit does not know", s->name);
	attrs = p11_kit_uri_get_attributes(uri, &n_attrs);
	type = p11_kit_uri_get_attribute(uri, CKA_CLASS);
	if (type && (type->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
		     *(CK_OBJECT_CLASS *)type->pValue != CKO_PRIVATE_KEY))
		return vt_log_errno(EINVAL, "cannot use key '%s': type must be private", s->name);
	if (!p11_kit_uri_get_attribute(uri, CKA_LABEL) && !p11_kit_uri_get_attribute(uri, CKA_ID))
		return vt_log_errno(EINVAL, "cannot use key '%s': the URI names no object or id", s->name);

	/* Messages show the module-path decoded, as p11-kit loads it (the
	 * query holds nothing else: checked above). */
	if (p11_kit_uri_get_module_path(uri)) {
		_cleanup_(freep) char *shown = vt_escape(p11_kit_uri_get_module_path(uri));
		char *name = NULL;

		if (!shown || asprintf(&name, "%.*s?module-path=%s", (int)strcspn(s->name, "?"), s->name, shown) < 0)
			return -ENOMEM;
		free(s->name);
		s->name = name;
	}
	/* Two names for the module to load (code, run in this process): refused. */
	if (opts && opts->pkcs11_module && p11_kit_uri_get_module_path(uri))
		return vt_log_errno(EINVAL, "cannot use key '%s': both --pkcs11-module and the URI's module-path name a module",
					s->name);
	module = opts && opts->pkcs11_module ? opts->pkcs11_module : p11_kit_uri_get_module_path(uri);
	if (module) {
		_cleanup_(freep) char *shown = vt_escape(module);

		if (!shown)
			return -ENOMEM;
		/* the path decoded: the URI may hide it in percent-encoding */
		vt_logf(VT_LOG_DEBUG, "key '%s': PKCS#11 module '%s'", s->name, shown);
		CK_FUNCTION_LIST *mod = p11_kit_module_load(module, 0);

		if (!mod)
			return vt_log_errno(ENOENT, "cannot use key '%s': no module: cannot load PKCS#11 module '%s'",
						s->name, shown);
		rv = p11_kit_module_initialize(mod);
		if (rv != CKR_OK) {
			p11_kit_module_release(mod);
			return vt_log_errno(ENOENT, "cannot use key '%s': no module: PKCS#11 module '%s' fails to start (0x%lx)",
						s->name, shown, (unsigned long)rv);
		}
		s->modules = calloc(2, sizeof(*s->modules));
		if (!s->modules) {
			(void)p11_kit_module_finalize(mod);
			p11_kit_module_release(mod);
			return -ENOMEM;
		}
		s->modules[0] = mod;
	} else {
		/* The modules registered with p11-kit (/usr/share/p11-kit/modules). */
		s->modules = p11_kit_modules_load_and_initialize(0);
		s->registered = true;
		if (!s->modules || !s->modules[0])
			return vt_log_errno(ENOENT, "cannot use key '%s': no module: no PKCS#11 module is registered with p11-kit "
						"(give --pkcs11-module or module-path)", s->name);
	}
	r = p11_token(s, uri, &slot, &info);
	if (r < 0)
		return r;
	rv = s->p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s->session);
	if (rv != CKR_OK)
		return p11_error(s->name, "cannot open a session", rv);
	s->open = true;
	if (info.flags & CKF_USER_PIN_LOCKED)
		return vt_log_errno(EPERM, "cannot use key '%s': locked: the token refuses the PIN", s->name);
	if (info.flags & CKF_LOGIN_REQUIRED) {
		struct pin pin = { 0 };
		char label[sizeof(info.label) + 1], what[sizeof(info.label) * 4 + 16];
		_cleanup_(freep) char *shown = NULL;

		/* the token's label is the token's to choose: escaped for the terminal */
		snprintf(label, sizeof(label), "%.*s", (int)p11_kit_space_strlen(info.label, sizeof(info.label)),
			 info.label);
		shown = vt_escape(label);
		if (!shown)
			return -ENOMEM;
		snprintf(what, sizeof(what), "token '%s'", shown);
		if (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH)
			rv = s->p11->C_Login(s->session, CKU_USER, NULL, 0);
		else {
			r = get_pin(opts, s->name, what, &pin);
			if (r < 0)
				return r;
			rv = s->p11->C_Login(s->session, CKU_USER, (CK_UTF8CHAR *)pin.buf, pin.len);
			pin_wipe(&pin);
		}
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
			return p11_error(s->name, "cannot log in", rv);
	}
	r = p11_find(s, CKO_PRIVATE_KEY, attrs, n_attrs, &s->object);
	if (r == -ENOKEY)
		return vt_log_errno(ENOKEY, "cannot use key '%s': no object: the token holds no such private key",
					s->name);
	if (r < 0)
		return r;
	if (p11_attr(s, s->object, CKA_KEY_TYPE, (uint8_t *)&s->key_type, sizeof(s->key_type), &kt_len) < 0)
		return vt_log_errno(EINVAL, "cannot use key '%s': the key has no type", s->name);
	if (p11_attr(s, s->object, CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always), &aa_len) == 0 &&
	    aa_len == sizeof(always) && always)
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': it wants the PIN again for each signature "
					"(CKA_ALWAYS_AUTHENTICATE), which vmtrust does not do", s->name);
	r = p11_public(s, attrs, n_attrs);
	if (r < 0)
		return r;
	/* Sign the probe now: the public object proven, a key that cannot
	 * sign refused before any hashing. */
	r = p11_sign(s, probe, sizeof(probe), &sig, &sig_len);
	if (r < 0)
		return r;
	return check_probe(s, sig, sig_len);
}

/* The length of the key's signature as PKCS#11 writes it: Ed25519 64,
 * ECDSA r || s of the group order's size each, RSA the modulus's. */
static size_t p11_sig_size(const struct policy_signer *s)
{
	switch (s->key_type) {
	case CKK_EC_EDWARDS:
		return 64;
	case CKK_EC:
		return 2 * (((size_t)EVP_PKEY_get_bits(s->pub) + 7) / 8);
	default:
		return (size_t)EVP_PKEY_get_size(s->pub);
	}
}

static int p11_sign(struct policy_signer *s, const void *data, size_t len, uint8_t **ret_sig,
		    size_t *ret_sig_len)
{
	CK_RSA_PKCS_PSS_PARAMS pss = { .hashAlg = CKM_SHA256, .mgf = CKG_MGF1_SHA256, .sLen = 32 };
	CK_MECHANISM mech = { 0 };
	uint8_t digest[EVP_MAX_MD_SIZE];
	_cleanup_(freep) uint8_t *raw = NULL;
	size_t want = p11_sig_size(s);
	CK_ULONG raw_len = 0;
	const char *md = policy_pkey_digest(s->pub);
	const void *in = data;
	unsigned dlen = 0;
	CK_RV rv;

	/* The host hashes; the token signs one digest (pure EdDSA excepted). */
	if (md) {
		if (EVP_Digest(data, len, digest, &dlen, EVP_get_digestbyname(md), NULL) != 1)
			return -ENOMEM;
		in = digest;
		len = dlen;
	}
	switch (s->key_type) {
	case CKK_EC_EDWARDS:
		mech.mechanism = CKM_EDDSA;
		break;
	case CKK_EC:
		mech.mechanism = CKM_ECDSA;
		break;
	default:
		if (!md || strcmp(md, "SHA256") != 0)
			return -EOPNOTSUPP;
		mech = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
		break;
	}
	if (want == 0 || want > 1024)
		return vt_log_errno(EOPNOTSUPP, "cannot use key '%s': no signature size for its key", s->name);
	/* The length first; the token writes into a buffer of the key's
	 * signature size, and any other length it claims is refused. */
	rv = s->p11->C_SignInit(s->session, &mech, s->object);
	if (rv == CKR_OK)
		rv = s->p11->C_Sign(s->session, (CK_BYTE *)in, len, NULL, &raw_len);
	if (rv == CKR_OK && raw_len == want) {
		raw = calloc(1, want);
		if (!raw)
			return -ENOMEM;
		rv = s->p11->C_Sign(s->session, (CK_BYTE *)in, len, raw, &raw_len);
	}
	if (rv != CKR_OK)
		return p11_error(s->name, "cannot sign", rv);
	if (raw_len != want)
		return vt_log_errno(EIO, "cannot use key '%s': the token returns a %lu-byte signature, its key makes %zu bytes",
					s->name, (unsigned long)raw_len, want);

	if (s->key_type == CKK_EC) {
		/* PKCS#11 gives r || s; OpenSSL writes and reads DER. */
		_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r, *ss;
		unsigned char *der = NULL;
		int der_len;

		if (!es)
			return -ENOMEM;
		r = BN_bin2bn(raw, (int)(want / 2), NULL);
		ss = BN_bin2bn(raw + want / 2, (int)(want / 2), NULL);
		if (!r || !ss || ECDSA_SIG_set0(es, r, ss) != 1) {
			BN_free(r);
			BN_free(ss);
			return -ENOMEM;
		}
		der_len = i2d_ECDSA_SIG(es, &der);
		if (der_len <= 0)
			return -ENOMEM;
		*ret_sig = malloc((size_t)der_len);
		if (*ret_sig)
			memcpy(*ret_sig, der, (size_t)der_len);
		OPENSSL_free(der);
		if (!*ret_sig)
			return -ENOMEM;
		*ret_sig_len = (size_t)der_len;
		return 0;
	}
	*ret_sig = TAKE_PTR(raw);
	*ret_sig_len = want;
	return 0;
}

/* ---- the front --------------------------------------------------------------- */

int policy_signer_load(const char *key, const struct policy_key_opts *opts,
		       struct policy_signer **ret)
{
	_cleanup_(policy_signer_freep) struct policy_signer *s = NULL;
	int r;

	if (!key || !*key)
		return vt_log_errno(EINVAL, "cannot sign: no key");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = redact(key);
	if (!s->name)
		return -ENOMEM;
	if (strncmp(key, "pkcs11:", 7) == 0)
		r = load_pkcs11(s, key, opts);
	else if (strncmp(key, "handle:", 7) == 0)
		r = load_tpm(s, key, NULL, opts);
	else
		r = load_pem(s, key, opts);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int policy_signer_sign(struct policy_signer *s, const void *data, size_t len, uint8_t **ret_sig,
		       size_t *ret_sig_len)
{
	_cleanup_(freep) uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;

	if (s->priv) {
		r = policy_pkey_sign(s->priv, s->tpm2 ? TPM_PROPQ : NULL, data, len, &sig, &sig_len);
		if (r == -EINVAL && s->tpm2)
			return tpm_error(s->name, "cannot sign");
		if (r == -EINVAL) {
			unsigned long e = ERR_get_error();

			ERR_clear_error();
			return vt_log_errno(EINVAL, "cannot sign with key '%s': %s", s->name,
						e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
										   "unknown error");
		}
	} else
		r = p11_sign(s, data, len, &sig, &sig_len);
	if (r < 0)
		return r;
	/* A token may hold a public key that is not the private key's. */
	if (policy_verify_pkey(s->pub, data, len, sig, sig_len) < 0)
		return vt_log_errno(EIO, "cannot sign with key '%s': the signature just made does not verify",
					s->name);
	*ret_sig = TAKE_PTR(sig);
	*ret_sig_len = sig_len;
	return 0;
}
