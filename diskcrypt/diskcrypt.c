/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volumes: the context, libcryptsetup access, vmtrust's lock, status and
 * activation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libcryptsetup.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "diskcrypt-internal.h"


/* The last error libcryptsetup reported in this thread, for the one line
 * vmtrust logs about it. */
static __thread char crypt_error[256];

static void dc_crypt_log(int level, const char *msg, void *userdata)
{
	size_t len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '.'))
		len--;
	if (level == CRYPT_LOG_ERROR)
		snprintf(crypt_error, sizeof(crypt_error), "%.*s", (int)len, msg);
	vt_logf(VT_LOG_DEBUG, "libcryptsetup: %.*s", (int)len, msg);
}

int dc_crypt_fail(struct diskcrypt_ctx *ctx, int r, const char *what)
{
	const char *why = crypt_error[0] ? crypt_error : strerror(-r);

	if (r >= 0)
		r = -EIO;
	r = vt_log_errno(-r, "%s on '%s': %s", what, ctx->volume, why);
	crypt_error[0] = '\0';
	return r;
}

int diskcrypt_ctx_new(struct diskcrypt_ctx **ret, const char *volume, struct attest_ctx *tpm)
{
	struct diskcrypt_ctx *ctx;

	if (!ret || !volume || !*volume)
		return vt_log_errno(EINVAL, "cannot open a volume: no volume given");
	if (strlen(volume) >= PATH_MAX - sizeof(DISKCRYPT_SIDECAR_SUFFIX))
		return vt_log_errno(ENAMETOOLONG, "cannot open volume: path too long");
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->volume = strdup(volume);
	if (!ctx->volume) {
		free(ctx);
		return -ENOMEM;
	}
	ctx->tpm = tpm;
	*ret = ctx;
	return 0;
}

void diskcrypt_ctx_free(struct diskcrypt_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->volume);
	free(ctx->token_file);
	free(ctx->state_dir);
	free(ctx);
}

/* A path setting of the context: what names it in the error. */
static int set_path(char **dst, const char *path, const char *what)
{
	char *p;

	if (!path || !*path)
		return vt_log_errno(EINVAL, "no %s given", what);
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

int diskcrypt_ctx_set_token_file(struct diskcrypt_ctx *ctx, const char *path)
{
	return set_path(&ctx->token_file, path, "token file");
}

int diskcrypt_ctx_set_state_dir(struct diskcrypt_ctx *ctx, const char *dir)
{
	return set_path(&ctx->state_dir, dir, "state directory");
}

int dc_tpm_lock(struct diskcrypt_ctx *ctx, int *ret_fd)
{
	return attest_tpm_lock(ctx->state_dir, ret_fd);
}

int dc_sidecar_path(struct diskcrypt_ctx *ctx, char **ret)
{
	struct stat st;
	char *p;

	if (ctx->token_file) {
		p = strdup(ctx->token_file);
	} else {
		if (stat(ctx->volume, &st) == 0 && !S_ISREG(st.st_mode))
			return vt_log_errno(EINVAL,
						"'%s' is a luks1 block device: its tokens need a file named "
						"with --token-file", ctx->volume);
		if (asprintf(&p, "%s%s", ctx->volume, DISKCRYPT_SIDECAR_SUFFIX) < 0)
			p = NULL;
	}
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int dc_crypt_init(struct diskcrypt_ctx *ctx, struct crypt_device **ret)
{
	struct crypt_device *cd = NULL;
	int r;

	/* libcryptsetup prints on stdout and stderr unless told otherwise. */
	crypt_set_log_callback(NULL, dc_crypt_log, NULL);
	crypt_error[0] = '\0';
	r = crypt_init(&cd, ctx->volume);
	if (r < 0)
		return dc_crypt_fail(ctx, r, "cannot open volume");
	crypt_set_log_callback(cd, dc_crypt_log, NULL);
	*ret = cd;
	return 0;
}

/* "LUKS\xba\xbe" (LUKS1 and LUKS2) at the start, or "SKUL\xba\xbe" of a
 * LUKS2 secondary header: told apart from a header that does not read. */
static bool has_luks_magic(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	uint8_t m[6];

	if (fd < 0 || read(fd, m, sizeof(m)) != (ssize_t)sizeof(m))
		return false;
	return memcmp(m, "LUKS\xba\xbe", 6) == 0 || memcmp(m, "SKUL\xba\xbe", 6) == 0;
}

int dc_open(struct diskcrypt_ctx *ctx, struct crypt_device **ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct stat st;
	int r;

	if (stat(ctx->volume, &st) < 0)
		return vt_log_errno(errno, "cannot open volume '%s': %s", ctx->volume, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vt_log_errno(EINVAL, "cannot open volume '%s': not an image file or a block device",
					ctx->volume);
	r = dc_crypt_init(ctx, &cd);
	if (r < 0)
		return r;
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		if (r == -EINVAL || !has_luks_magic(ctx->volume)) {
			crypt_error[0] = '\0';
			return vt_log_errno(EINVAL, "'%s' is not a luks volume", ctx->volume);
		}
		return dc_crypt_fail(ctx, r, "cannot read the luks header");
	}
	*ret = TAKE_PTR(cd);
	return 0;
}

int dc_lock(struct diskcrypt_ctx *ctx, bool shared, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct flock fl = {
		.l_type = shared ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = DC_LOCK_OFFSET,
		.l_len = 1,
	};

	fd = open(ctx->volume, (shared ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vt_log_errno(errno, "cannot open volume '%s'%s: %s", ctx->volume,
					shared ? "" : " for writing", strerror(errno));
	while (fcntl(fd, F_OFD_SETLKW, &fl) < 0) {
		if (errno != EINTR)
			return vt_log_errno(errno, "cannot lock volume '%s': %s", ctx->volume,
						strerror(errno));
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int dc_open_locked(struct diskcrypt_ctx *ctx, bool shared, int *ret_lock, struct crypt_device **ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_close_ int lock = -1;
	int r;

	r = dc_lock(ctx, shared, &lock);
	if (r < 0)
		return r;
	r = dc_open(ctx, &cd);
	if (r < 0)
		return r;
	*ret_lock = TAKE_FD(lock);
	*ret = TAKE_PTR(cd);
	return 0;
}

int dc_open_tokens(struct diskcrypt_ctx *ctx, bool lenient, struct crypt_device **ret,
		   struct dc_tokens *toks)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_close_ int lock = -1;
	int r;

	r = dc_open_locked(ctx, true, &lock, &cd);
	if (r < 0)
		return r;
	r = dc_tokens_read(ctx, cd, lenient, toks);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cd);
	return 0;
}

int dc_set_minimal_pbkdf(struct diskcrypt_ctx *ctx, struct crypt_device *cd)
{
	/* The key has full entropy: stretching it protects nothing (as
	 * systemd-cryptenroll does for TPM keys); 1000 is libcryptsetup's floor. */
	const struct crypt_pbkdf_type minimal = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = "sha512",
		.iterations = 1000,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	int r = crypt_set_pbkdf_type(cd, &minimal);

	return r < 0 ? dc_crypt_fail(ctx, r, "cannot set the pbkdf") : 0;
}

int dc_random_key(size_t size, struct diskcrypt_secret **ret)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *s = NULL;
	int r;

	if (size < DISKCRYPT_KEY_MIN || size > DISKCRYPT_KEY_MAX)
		return vt_log_errno(EINVAL, "a key of %zu bytes: %d to %d allowed", size,
					DISKCRYPT_KEY_MIN, DISKCRYPT_KEY_MAX);
	r = diskcrypt_secret_new(size, &s);
	if (r < 0)
		return r;
	if (RAND_priv_bytes(dc_secret_mut(s), (int)size) != 1)
		return vt_log_errno(EIO, "cannot generate a key: the random generator failed");
	*ret = TAKE_PTR(s);
	return 0;
}

int dc_key_passphrase(const struct diskcrypt_secret *key, struct diskcrypt_secret **ret)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *s = NULL;
	size_t n = diskcrypt_secret_size(key), len = 4 * ((n + 2) / 3);
	int r;

	r = diskcrypt_secret_new(len + 1, &s);
	if (r < 0)
		return r;
	EVP_EncodeBlock(dc_secret_mut(s), diskcrypt_secret_data(key), (int)n);
	dc_secret_set_size(s, len);
	*ret = TAKE_PTR(s);
	return 0;
}

int dc_recovery_key(struct diskcrypt_secret **ret)
{
	/* ModHex, as YubiKeys and systemd's recovery keys: typed the same on
	 * every keyboard layout. */
	static const char modhex[] = "cbdefghijklnrtuv";
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *raw = NULL, *s = NULL;
	const uint8_t *b;
	uint8_t *out;
	size_t j = 0;
	int r;

	r = dc_random_key(32, &raw);
	if (r < 0)
		return r;
	r = diskcrypt_secret_new(32 * 2 + 7, &s);
	if (r < 0)
		return r;
	b = diskcrypt_secret_data(raw);
	out = dc_secret_mut(s);
	for (size_t i = 0; i < 32; i++) {
		if (i > 0 && i % 4 == 0)
			out[j++] = '-';
		out[j++] = (uint8_t)modhex[b[i] >> 4];
		out[j++] = (uint8_t)modhex[b[i] & 0xf];
	}
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- status ------------------------------------------------------------------- */

static const char *keyslot_state(crypt_keyslot_info st)
{
	switch (st) {
	case CRYPT_SLOT_ACTIVE:
	case CRYPT_SLOT_ACTIVE_LAST:
		return "active";
	case CRYPT_SLOT_UNBOUND:
		return "unbound";
	case CRYPT_SLOT_INACTIVE:
		return "inactive";
	default:
		return NULL;
	}
}

static bool keyslot_active(struct crypt_device *cd, int slot)
{
	crypt_keyslot_info st = crypt_keyslot_status(cd, slot);

	return slot >= 0 && (st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST);
}

static json_object *token_json(struct crypt_device *cd, const struct dc_token *t)
{
	json_object *o = json_object_new_object(), *pcrs;
	char hex[2 * DC_POLICY_DIGEST_SIZE + 1];

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int(t->id));
	json_object_object_add(o, "keyslot", json_object_new_int(t->keyslot));
	json_object_object_add(o, "keyslot_active", json_object_new_boolean(keyslot_active(cd, t->keyslot)));
	if (t->malformed) {
		json_object_object_add(o, "malformed", json_object_new_boolean(true));
		json_object_object_add(o, "error", json_object_new_string(t->error));
		return o;
	}
	json_object_object_add(o, "bank", json_object_new_string(t->bank->name));
	pcrs = json_object_new_array();
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++)
		if (t->pcr_mask & (UINT32_C(1) << i))
			json_object_array_add(pcrs, json_object_new_int((int)i));
	json_object_object_add(o, "pcrs", pcrs);
	vt_hex_encode(t->policy_hash, sizeof(t->policy_hash), hex);
	json_object_object_add(o, "policy_hash", json_object_new_string(hex));
	json_object_object_add(o, "authorized", json_object_new_boolean(t->pubkey_pem != NULL));
	if (t->pubkey_pem) {
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
		BIO *b = BIO_new_mem_buf(t->pubkey_pem, -1);
		uint8_t fp[32];

		k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (k && dc_pkey_fingerprint(k, fp) == 0) {
			vt_hex_encode(fp, sizeof(fp), hex);
			json_object_object_add(o, "key_fingerprint", json_object_new_string(hex));
		}
	}
	return o;
}

int diskcrypt_status(struct diskcrypt_ctx *ctx, struct json_object **ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	struct dc_tokens toks = { 0 };
	json_object *slots, *tokens, *rec;
	int r, max;

	r = dc_open_tokens(ctx, true, &cd, &toks);
	if (r < 0)
		return r;
	o = json_object_new_object();
	slots = json_object_new_array();
	tokens = json_object_new_array();
	rec = json_object_new_array();
	if (!o || !slots || !tokens || !rec) {
		json_object_put(slots);
		json_object_put(tokens);
		json_object_put(rec);
		dc_tokens_clear(&toks);
		return -ENOMEM;
	}
	json_object_object_add(o, "volume", json_object_new_string(ctx->volume));
	json_object_object_add(o, "type", json_object_new_string(crypt_get_type(cd)));
	json_object_object_add(o, "uuid", json_object_new_string(toks.uuid));
	json_object_object_add(o, "keyslots", slots);
	json_object_object_add(o, "tokens", tokens);
	json_object_object_add(o, "recovery_keyslots", rec);

	max = crypt_keyslot_max(crypt_get_type(cd));
	for (int k = 0; k < max && k < DC_KEYSLOTS_MAX; k++) {
		const char *state = keyslot_state(crypt_keyslot_status(cd, k));
		struct crypt_pbkdf_type pbkdf;
		const char *use = "other";
		json_object *s;

		if (!state || strcmp(state, "inactive") == 0)
			continue;
		for (size_t i = 0; i < toks.n_recovery; i++)
			if (toks.recovery[i] == k)
				use = "recovery";
		for (size_t i = 0; i < toks.n; i++)
			if (toks.v[i].keyslot == k)
				use = DISKCRYPT_TOKEN_TYPE;
		s = json_object_new_object();
		json_object_object_add(s, "keyslot", json_object_new_int(k));
		json_object_object_add(s, "state", json_object_new_string(state));
		if (crypt_keyslot_get_pbkdf(cd, k, &pbkdf) == 0 && pbkdf.type)
			json_object_object_add(s, "pbkdf", json_object_new_string(pbkdf.type));
		json_object_object_add(s, "use", json_object_new_string(use));
		json_object_array_add(slots, s);
	}
	for (size_t i = 0; i < toks.n; i++)
		json_object_array_add(tokens, token_json(cd, &toks.v[i]));
	for (size_t i = 0; i < toks.n_recovery; i++)
		json_object_array_add(rec, json_object_new_int(toks.recovery[i]));
	dc_tokens_clear(&toks);
	*ret = TAKE_PTR(o);
	return 0;
}

/* ---- activation ---------------------------------------------------------------- */

int diskcrypt_can_activate(struct diskcrypt_ctx *ctx)
{
	if (access("/dev/mapper/control", F_OK) == 0)
		return 0;
	return vt_log_errno(EOPNOTSUPP,
				"cannot activate '%s': this kernel has no device-mapper (use --check, or "
				"hand the key over with --key-fd, --keyring or --qemu-secret-fd)",
				ctx->volume);
}

int diskcrypt_activate(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *key, int keyslot,
		       const char *name, bool readonly)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_close_ int lock = -1;
	int r;

	if (!key)
		return vt_log_errno(EINVAL, "cannot activate '%s': no key", ctx->volume);
	r = dc_open_locked(ctx, true, &lock, &cd);
	if (r < 0)
		return r;
	if (name) {
		r = diskcrypt_can_activate(ctx);
		if (r < 0)
			return r;
	}
	r = crypt_activate_by_passphrase(cd, name, keyslot < 0 ? CRYPT_ANY_SLOT : keyslot,
					 (const char *)diskcrypt_secret_data(key),
					 diskcrypt_secret_size(key), readonly ? CRYPT_ACTIVATE_READONLY : 0);
	if (r == -EPERM) {
		crypt_error[0] = '\0';
		if (keyslot < 0)
			return vt_log_errno(EPERM, "the key opens no keyslot of '%s'", ctx->volume);
		return vt_log_errno(EPERM, "the key does not open keyslot %d of '%s'", keyslot, ctx->volume);
	}
	if (r < 0)
		return dc_crypt_fail(ctx, r, name ? "cannot activate the volume" : "cannot check the key");
	return r;
}

/* ---- seal parameters ----------------------------------------------------------- */

int diskcrypt_seal_params_from_policy(const struct policy *p, const char *pcrs, bool no_authorize,
				      struct diskcrypt_seal_params *ret)
{
	struct diskcrypt_seal_params sp = { 0 };
	int r;

	if (pcrs) {
		r = diskcrypt_pcrs_parse(pcrs, &sp.bank, &sp.pcr_mask);
		if (r < 0)
			return r;
	} else if (p) {
		size_t n;
		const struct policy_pcr_bank *sel = policy_key_release_selection(p, &n);

		for (size_t i = 0; i < n; i++)
			if (!sp.bank || strcmp(sel[i].alg->name, "sha256") == 0) {
				sp.bank = sel[i].alg;
				sp.pcr_mask = sel[i].mask;
			}
		if (n > 1)
			vt_logf(VT_LOG_INFO, "key_release.pcr_selection names %zu banks: sealing to %s",
				    n, sp.bank->name);
	}
	if (p && !no_authorize) {
		const struct policy_key *k = policy_key_release_authority(p);

		if (k)
			sp.authorize_key = k->pkey;
	}
	if (!sp.bank)
		sp.bank = vt_hash_alg_by_name("sha256");
	if (sp.pcr_mask == 0 && !sp.authorize_key)
		return vt_log_errno(EINVAL, "no pcr set to seal to: the policy has no "
					"key_release.pcr_selection (give --pcrs)");
	*ret = sp;
	return 0;
}
