/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Changing a volume's keys: format, enroll, rotate, revoke. The TPM work
 * (sealing, the release of an old key, proving a new one) happens before
 * or after the volume's exclusive lock is held, never under it, so the TPM
 * lock is never awaited by a process that holds the volume lock: the two
 * locks are taken in one order only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>

#include "diskcrypt-internal.h"


static void token_clearp(struct dc_token *t)
{
	dc_token_clear(t);
}

static void tokens_clearp(struct dc_tokens *t)
{
	dc_tokens_clear(t);
}

static bool keyslot_active(struct crypt_device *cd, int slot)
{
	crypt_keyslot_info st = crypt_keyslot_status(cd, slot);

	return slot >= 0 && (st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST);
}

/* The volume key, unlocked by passphrase from keyslot (CRYPT_ANY_SLOT: any). */
static int volume_key(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int keyslot,
		      const struct diskcrypt_secret *pass, struct diskcrypt_secret **ret)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *vk = NULL;
	int size = crypt_get_volume_key_size(cd);
	size_t vk_size;
	int r;

	if (size <= 0)
		return vt_log_errno(EINVAL, "'%s': no volume key size in the header", ctx->volume);
	r = diskcrypt_secret_new((size_t)size, &vk);
	if (r < 0)
		return r;
	vk_size = (size_t)size;
	r = crypt_volume_key_get(cd, keyslot, (char *)dc_secret_mut(vk), &vk_size,
				 (const char *)diskcrypt_secret_data(pass), diskcrypt_secret_size(pass));
	if (r == -EPERM)
		return vt_log_errno(EKEYREJECTED, "the passphrase opens no keyslot of '%s'", ctx->volume);
	if (r < 0)
		return dc_crypt_fail(ctx, r, "cannot unlock the volume key");
	dc_secret_set_size(vk, vk_size);
	*ret = TAKE_PTR(vk);
	return 0;
}

static int add_keyslot(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct diskcrypt_secret *vk,
		       const struct diskcrypt_secret *pass)
{
	int r = dc_set_minimal_pbkdf(ctx, cd);

	if (r < 0)
		return r;
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, vk ? (const char *)diskcrypt_secret_data(vk) : NULL,
					    vk ? diskcrypt_secret_size(vk) : 0,
					    (const char *)diskcrypt_secret_data(pass), diskcrypt_secret_size(pass));
	if (r < 0)
		return dc_crypt_fail(ctx, r, "cannot add a keyslot");
	return r;
}

/* Adds the keyslot of a new sealed key and its token, then (optionally)
 * a recovery keyslot; a token that cannot be stored takes its keyslot
 * with it. Under the lock. On success the token's id goes to *ret_token
 * and *recovery to *ret_recovery (either may be NULL). */
static int add_sealed(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct diskcrypt_secret *vk,
		      const struct diskcrypt_secret *key, struct dc_token *t,
		      struct diskcrypt_secret **recovery, int *ret_token, struct diskcrypt_secret **ret_recovery)
{
	int slot, id, r;

	slot = add_keyslot(ctx, cd, vk, key);
	if (slot < 0)
		return slot;
	t->keyslot = slot;
	id = dc_token_store(ctx, cd, t);
	if (id < 0) {
		crypt_keyslot_destroy(cd, slot);
		return id;
	}
	t->id = id;
	if (recovery && *recovery) {
		int rslot = add_keyslot(ctx, cd, vk, *recovery);

		if (rslot < 0)
			return rslot;
		r = dc_recovery_store(ctx, cd, rslot);
		if (r < 0) {
			crypt_keyslot_destroy(cd, rslot);
			return r;
		}
	}
	if (ret_token)
		*ret_token = id;
	if (ret_recovery)
		*ret_recovery = TAKE_PTR(*recovery);
	return 0;
}

/* A new random key sealed in the TPM (t), its keyslot passphrase, and a
 * recovery key when asked. Before any lock. */
static int prepare_sealed(struct diskcrypt_ctx *ctx, const struct diskcrypt_seal_params *sp,
			  struct diskcrypt_secret **ret_pass, struct dc_token *t,
			  struct diskcrypt_secret **ret_recovery)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL, *pass = NULL, *rec = NULL;
	_cleanup_close_ int tpm_lock = -1;
	int r;

	if (!ctx->tpm)
		return vt_log_errno(EINVAL, "cannot seal a key for '%s': no tpm", ctx->volume);
	r = dc_tpm_lock(ctx, &tpm_lock);
	if (r < 0)
		return r;
	r = dc_random_key(sp->key_size ? sp->key_size : DISKCRYPT_KEY_MIN, &key);
	if (r < 0)
		return r;
	r = dc_key_passphrase(key, &pass);
	if (r < 0)
		return r;
	r = dc_seal(ctx->tpm, sp, key, t);
	if (r < 0)
		return r;
	if (ret_recovery) {
		r = dc_recovery_key(&rec);
		if (r < 0)
			return r;
		*ret_recovery = TAKE_PTR(rec);
	}
	*ret_pass = TAKE_PTR(pass);
	return 0;
}

/* ---- format ---------------------------------------------------------------------- */

/* -ENOSPC (logged) when the header would leave no room for data: in an
 * image of want bytes, or (want 0) in the volume as it is. */
static int check_room(struct diskcrypt_ctx *ctx, enum diskcrypt_luks type, uint64_t want)
{
	uint64_t header = type == DISKCRYPT_LUKS1 ? DC_LUKS1_HEADER_SIZE : DC_LUKS2_HEADER_SIZE;
	uint64_t size = want;

	if (want == 0) {
		_cleanup_close_ int fd = open(ctx->volume, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0)
			return vt_log_errno(errno, "cannot format '%s': %s", ctx->volume, strerror(errno));
		if (S_ISREG(st.st_mode))
			size = (uint64_t)st.st_size;
		else if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &size) < 0)
			return vt_log_errno(errno, "cannot format '%s': %s", ctx->volume, strerror(errno));
	}
	if (size <= header)
		return vt_log_errno(ENOSPC,
					"cannot format '%s': %llu bytes leave no room for data after a %s header "
					"of %llu MiB", ctx->volume, (unsigned long long)size,
					type == DISKCRYPT_LUKS1 ? "LUKS1" : "LUKS2",
					(unsigned long long)(header >> 20));
	return 0;
}

/* -EEXIST (logged) when the volume has a LUKS header, unless force. */
static int check_unformatted(struct diskcrypt_ctx *ctx, bool force)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	if (force)
		return 0;
	r = dc_crypt_init(ctx, &cd);
	if (r < 0)
		return r;
	if (crypt_load(cd, CRYPT_LUKS, NULL) == 0)
		return vt_log_errno(EEXIST, "'%s' is already a %s volume (uuid %s): give --force to format it anew",
					ctx->volume, crypt_get_type(cd), crypt_get_uuid(cd));
	return 0;
}

int diskcrypt_format(struct diskcrypt_ctx *ctx, const struct diskcrypt_format_params *fp,
		     const struct diskcrypt_seal_params *sp, int *ret_token,
		     struct diskcrypt_secret **ret_recovery)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL, *rec = NULL;
	_cleanup_(token_clearp) struct dc_token t = { .id = -1, .keyslot = -1 };
	_cleanup_close_ int lock = -1;
	_cleanup_(freep) char *sidecar = NULL;
	struct crypt_params_luks1 p1 = { .hash = "sha256" };
	struct crypt_params_luks2 p2 = { .sector_size = 512 };
	const char *type;
	struct stat st;
	int r;

	if (!fp || (fp->type != DISKCRYPT_LUKS1 && fp->type != DISKCRYPT_LUKS2))
		return vt_log_errno(EINVAL, "cannot format '%s': unknown luks version", ctx->volume);
	if (!sp)
		return vt_log_errno(EINVAL, "cannot format '%s': no key to enroll", ctx->volume);
	type = fp->type == DISKCRYPT_LUKS1 ? CRYPT_LUKS1 : CRYPT_LUKS2;

	/* An existing LUKS volume is refused before anything is written. */
	if (stat(ctx->volume, &st) == 0) {
		r = check_unformatted(ctx, fp->force);
		if (r < 0)
			return r;
	}
	if (fp->size > 0) {
		_cleanup_close_ int fd = -1;

		r = check_room(ctx, fp->type, fp->size);
		if (r < 0)
			return r;
		fd = open(ctx->volume, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

		if (fd < 0)
			return vt_log_errno(errno, "cannot create image '%s': %s", ctx->volume, strerror(errno));
		if (fstat(fd, &st) < 0)
			return vt_log_errno(errno, "cannot create image '%s': %s", ctx->volume, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return vt_log_errno(EINVAL, "cannot size '%s': not an image file", ctx->volume);
		if ((uint64_t)st.st_size < fp->size && ftruncate(fd, (off_t)fp->size) < 0)
			return vt_log_errno(errno, "cannot size image '%s': %s", ctx->volume, strerror(errno));
	} else if (stat(ctx->volume, &st) < 0) {
		return vt_log_errno(errno, "cannot format '%s': %s (give a size to create an image)",
					ctx->volume, strerror(errno));
	}
	r = check_room(ctx, fp->type, 0);
	if (r < 0)
		return r;

	/* Seal before the lock is taken. */
	r = prepare_sealed(ctx, sp, &key, &t, ret_recovery ? &rec : NULL);
	if (r < 0)
		return r;

	r = dc_lock(ctx, false, &lock);
	if (r < 0)
		return r;
	r = check_unformatted(ctx, fp->force);
	if (r < 0)
		return r;
	r = dc_crypt_init(ctx, &cd);
	if (r < 0)
		return r;
	r = dc_set_minimal_pbkdf(ctx, cd);
	if (r < 0)
		return r;
	r = crypt_format(cd, type, "aes", "xts-plain64", NULL, NULL, 64,
			 fp->type == DISKCRYPT_LUKS1 ? (void *)&p1 : (void *)&p2);
	if (r < 0)
		return dc_crypt_fail(ctx, r, "cannot format");
	if (fp->type == DISKCRYPT_LUKS1) {
		/* Tokens of an earlier volume at this path are void. */
		r = dc_sidecar_path(ctx, &sidecar);
		if (r < 0)
			return r;
		if (unlink(sidecar) < 0 && errno != ENOENT)
			return vt_log_errno(errno, "cannot remove the old token file '%s': %s", sidecar,
						strerror(errno));
	}
	return add_sealed(ctx, cd, NULL, key, &t, &rec, ret_token, ret_recovery);
}

/* ---- enroll ---------------------------------------------------------------------- */

/* The volume key: by passphrase, or by a release of a sealed key through
 * the TPM (attestation and unseal). */
static int unlock_volume_key(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *passphrase,
			     const struct diskcrypt_release_params *rp, struct diskcrypt_secret **ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;
	_cleanup_close_ int lock = -1;
	int slot = CRYPT_ANY_SLOT, r;

	if (!passphrase) {
		if (!rp)
			return vt_log_errno(EINVAL, "cannot unlock '%s': no passphrase and no release",
						ctx->volume);
		r = diskcrypt_release(ctx, rp, &key, NULL, &slot);
		if (r < 0)
			return r;
		passphrase = key;
	}
	r = dc_open_locked(ctx, true, &lock, &cd);
	if (r < 0)
		return r;
	return volume_key(ctx, cd, slot, passphrase, ret);
}

int diskcrypt_enroll(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *passphrase,
		     const struct diskcrypt_release_params *rp, const struct diskcrypt_seal_params *sp,
		     int *ret_token, struct diskcrypt_secret **ret_recovery)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *vk = NULL, *key = NULL, *rec = NULL;
	_cleanup_(token_clearp) struct dc_token t = { .id = -1, .keyslot = -1 };
	_cleanup_close_ int lock = -1;
	int r;

	if (!sp)
		return vt_log_errno(EINVAL, "cannot enroll '%s': no seal parameters", ctx->volume);
	r = unlock_volume_key(ctx, passphrase, rp, &vk);
	if (r < 0)
		return r;
	r = prepare_sealed(ctx, sp, &key, &t, ret_recovery ? &rec : NULL);
	if (r < 0)
		return r;

	r = dc_open_locked(ctx, false, &lock, &cd);
	if (r < 0)
		return r;
	return add_sealed(ctx, cd, vk, key, &t, &rec, ret_token, ret_recovery);
}

/* The volume under the exclusive lock and its tokens, malformed ones
 * listed (a change may remove them). */
static int open_for_change(struct diskcrypt_ctx *ctx, int *ret_lock, struct crypt_device **ret_cd,
			   struct dc_tokens *toks)
{
	int r = dc_open_locked(ctx, false, ret_lock, ret_cd);

	return r < 0 ? r : dc_tokens_read(ctx, *ret_cd, true, toks);
}

/* ---- rotate ---------------------------------------------------------------------- */

static const struct dc_token *find_token(const struct dc_tokens *toks, int id)
{
	for (size_t i = 0; i < toks->n; i++)
		if (toks->v[i].id == id)
			return &toks->v[i];
	return NULL;
}

/* Removes a token, then its keyslot: a crash in between leaves a keyslot
 * whose key nobody holds, never a token without its keyslot. */
static int remove_sealed(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int id, int keyslot)
{
	int r = dc_token_remove(ctx, cd, id);

	if (r < 0)
		return r;
	if (keyslot_active(cd, keyslot)) {
		r = crypt_keyslot_destroy(cd, keyslot);
		if (r < 0)
			return dc_crypt_fail(ctx, r, "cannot wipe a keyslot");
	}
	return 0;
}

/* The new token unseals in the TPM to the new key, and that key opens its
 * keyslot. */
static int prove(struct diskcrypt_ctx *ctx, const struct diskcrypt_release_params *rp, int id,
		 const struct diskcrypt_secret *key)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(tokens_clearp) struct dc_tokens toks = { 0 };
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *got = NULL;
	struct diskcrypt_release_params only = *rp;
	_cleanup_close_ int tpm_lock = -1;
	char reason[DC_REASON_MAX] = "";
	int r;

	r = dc_tpm_lock(ctx, &tpm_lock);
	if (r < 0)
		return r;
	r = dc_open_tokens(ctx, false, &cd, &toks);
	if (r < 0)
		return r;
	only.token = id;
	r = dc_unseal_any(ctx, cd, &toks, &only, reason, sizeof(reason), &got, NULL, NULL);
	if (r == -EKEYREJECTED)
		return vt_log_errno(EKEYREJECTED, "the new sealed key of '%s' does not unseal: %s",
					ctx->volume, reason);
	if (r < 0)
		return r;
	if (diskcrypt_secret_size(got) != diskcrypt_secret_size(key) ||
	    CRYPTO_memcmp(diskcrypt_secret_data(got), diskcrypt_secret_data(key), diskcrypt_secret_size(key)))
		return vt_log_errno(EIO, "the new sealed key of '%s' unseals to another key", ctx->volume);
	return 0;
}

int diskcrypt_rotate(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *passphrase,
		     const struct diskcrypt_release_params *rp, const struct diskcrypt_seal_params *sp,
		     int token, int *ret_token)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(tokens_clearp) struct dc_tokens toks = { 0 };
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *vk = NULL, *key = NULL;
	_cleanup_(token_clearp) struct dc_token t = { .id = -1, .keyslot = -1 };
	struct diskcrypt_release_params old_rp;
	const struct dc_token *old;
	int old_id, old_slot, id = -1, r;

	if (!sp || !rp)
		return vt_log_errno(EINVAL, "cannot rotate the key of '%s': no seal or release parameters",
					ctx->volume);
	r = dc_open_tokens(ctx, true, &cd, &toks);
	if (r < 0)
		return r;
	if (token < 0) {
		if (toks.n == 0)
			return vt_log_errno(ENOENT, "'%s' has no vmtrust token to rotate: run 'vmtrust disk enroll'",
						ctx->volume);
		if (toks.n > 1)
			return vt_log_errno(EINVAL, "'%s' has %zu vmtrust tokens: name one with --token",
						ctx->volume, toks.n);
		old = &toks.v[0];
	} else if (!(old = find_token(&toks, token))) {
		return vt_log_errno(ENOENT, "'%s' has no vmtrust token %d", ctx->volume, token);
	}
	old_id = old->id;
	old_slot = old->keyslot;
	crypt_free(cd);
	cd = NULL;

	/* The old key, through the full release (or the passphrase given). */
	old_rp = *rp;
	old_rp.token = old_id;
	r = unlock_volume_key(ctx, passphrase, &old_rp, &vk);
	if (r < 0)
		return r;
	r = prepare_sealed(ctx, sp, &key, &t, NULL);
	if (r < 0)
		return r;

	{
		_cleanup_close_ int lock = -1;

		r = open_for_change(ctx, &lock, &cd, &toks);
		if (r < 0)
			return r;
		old = find_token(&toks, old_id);
		if (!old || old->keyslot != old_slot)
			return vt_log_errno(EAGAIN, "token %d of '%s' changed while rotating: nothing done",
						old_id, ctx->volume);
		r = add_sealed(ctx, cd, vk, key, &t, NULL, &id, NULL);
		if (r < 0)
			return r;
		crypt_free(cd);
		cd = NULL;
	}

	/* Both keys work from here on. The old one goes only when the new one
	 * is proven; if it is not, the new one goes. */
	r = prove(ctx, rp, id, key);
	{
		_cleanup_close_ int lock = -1;
		int q;

		q = dc_open_locked(ctx, false, &lock, &cd);
		if (q < 0)
			return q;
		if (r < 0) {
			remove_sealed(ctx, cd, id, t.keyslot);
			return r;
		}
		q = remove_sealed(ctx, cd, old_id, old_slot);
		if (q < 0)
			return q;
	}
	if (ret_token)
		*ret_token = id;
	return 0;
}

/* ---- revoke ---------------------------------------------------------------------- */

int diskcrypt_revoke(struct diskcrypt_ctx *ctx, int token, bool force)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(tokens_clearp) struct dc_tokens toks = { 0 };
	_cleanup_close_ int lock = -1;
	uint32_t doomed = 0, active = 0;
	int n = 0, max, r;

	r = open_for_change(ctx, &lock, &cd, &toks);
	if (r < 0)
		return r;
	max = crypt_keyslot_max(crypt_get_type(cd));
	for (int k = 0; k < max && k < DC_KEYSLOTS_MAX; k++)
		if (keyslot_active(cd, k))
			active |= UINT32_C(1) << k;
	for (size_t i = 0; i < toks.n; i++)
		if ((token < 0 || toks.v[i].id == token) && toks.v[i].keyslot >= 0)
			doomed |= (UINT32_C(1) << toks.v[i].keyslot) & active;
	if (token >= 0 && !find_token(&toks, token))
		return vt_log_errno(ENOENT, "'%s' has no vmtrust token %d", ctx->volume, token);
	if (toks.n == 0)
		return vt_log_errno(ENOENT, "'%s' has no vmtrust token", ctx->volume);
	if (active && (active & ~doomed) == 0 && !force)
		return vt_log_errno(EPERM,
					"revoking would wipe the last keyslot of '%s' and its data could never "
					"be read again: enroll a recovery key first, or give --force",
					ctx->volume);
	for (size_t i = 0; i < toks.n; i++) {
		if (token >= 0 && toks.v[i].id != token)
			continue;
		r = remove_sealed(ctx, cd, toks.v[i].id, toks.v[i].keyslot);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}
