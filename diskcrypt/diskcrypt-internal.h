/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the diskcrypt library: the volume context, the token model and
 * the helpers the sources share (TPM sealing, token storage, signed PCR
 * policies). Not installed, not for callers of diskcrypt.h.
 */
#ifndef VMTRUST_DISKCRYPT_INTERNAL_H
#define VMTRUST_DISKCRYPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libcryptsetup.h>

#include "diskcrypt.h"

DEFINE_CLEANUP_FUNC(struct crypt_device *, crypt_free)

struct crypt_device;

#define DC_POLICY_DIGEST_SIZE 32         /* the policy sessions' hash: sha256 */
#define DC_BLOB_MAX 4096                 /* TPM2B_PRIVATE || TPM2B_PUBLIC */
#define DC_NAME_MAX 66
#define DC_PUBKEY_PEM_MAX 8192
#define DC_REASON_MAX 512
#define DC_TOKENS_MAX 32                 /* LUKS2 has 32 token ids */
#define DC_KEYSLOTS_MAX 32
/* The byte of the volume that vmtrust's own lock (an OFD write lock) covers:
 * far beyond any data, apart from the flock() libcryptsetup takes on image
 * files and from the OFD locks QEMU takes on bytes 100 to 300. */
#define DC_LOCK_OFFSET ((off_t)1 << 62)
/* What the headers format takes: LUKS2's default 16 MiB (metadata and
 * keyslot areas), LUKS1's 2 MiB (eight keyslots of a 512-bit key). */
#define DC_LUKS2_HEADER_SIZE (UINT64_C(16) << 20)
#define DC_LUKS1_HEADER_SIZE (UINT64_C(2) << 20)

struct diskcrypt_ctx {
	char *volume;
	char *token_file;             /* LUKS1: where its tokens live; NULL: the default */
	char *state_dir;              /* NULL: none (no quote, no TPM lock) */
	struct attest_ctx *tpm;       /* borrowed, may be NULL */
};

/* One vmtrust-tpm2 token, as stored in LUKS2 (or the LUKS1 side file). */
struct dc_token {
	int id;
	int keyslot;
	const struct vt_hash_alg *bank;
	uint32_t pcr_mask;
	uint8_t policy_hash[DC_POLICY_DIGEST_SIZE];   /* the sealed object's authPolicy */
	uint8_t *blob;                                /* TPM2B_PRIVATE || TPM2B_PUBLIC */
	size_t blob_len;
	char *pubkey_pem;                             /* PolicyAuthorize key; NULL: plain */
	uint8_t srk_name[DC_NAME_MAX];                /* the parent the blob loads below */
	size_t srk_name_len;
	bool malformed;                               /* read leniently: only id, keyslot (or -1), error */
	char error[256];
};

void dc_token_clear(struct dc_token *t);

/* ---- the library's own API, reached by its tests ---- */

/* A zeroed secret buffer of size bytes (1 to DISKCRYPT_PASSPHRASE_MAX * 2)
 * in locked memory. -ENOMEM (logged) when the memory cannot be locked:
 * raise RLIMIT_MEMLOCK rather than keep keys in swappable memory. */
int diskcrypt_secret_new(size_t size, struct diskcrypt_secret **ret);
/* "sha256:7,14" (one bank, PCRs 0 to 23, tpm2-tools' syntax) into a bank
 * and a mask. -EINVAL, logged, naming the fault. */
int diskcrypt_pcrs_parse(const char *s, const struct vt_hash_alg **ret_bank, uint32_t *ret_mask);

/* ---- helpers ---- */

/* The library's own access to its secrets (secret.c). */
uint8_t *dc_secret_mut(struct diskcrypt_secret *s);
/* Shrinks the used size (the rest is wiped). */
void dc_secret_set_size(struct diskcrypt_secret *s, size_t size);

/* The vmtrust tokens of a volume and its recovery keyslots. */
struct dc_tokens {
	enum diskcrypt_luks type;
	char uuid[40];
	size_t n;
	struct dc_token v[DC_TOKENS_MAX];
	size_t n_recovery;
	int recovery[DC_KEYSLOTS_MAX];
};

void dc_tokens_clear(struct dc_tokens *t);

/* ---- the volume (diskcrypt.c) ---- */

/* crypt_init with the log routed to the sink at debug level. */
int dc_crypt_init(struct diskcrypt_ctx *ctx, struct crypt_device **ret);
/* crypt_init + crypt_load of any LUKS version, the log routed to the sink
 * at debug level. -EINVAL (logged) when it is no LUKS volume. */
int dc_open(struct diskcrypt_ctx *ctx, struct crypt_device **ret);
/* vmtrust's lock of a volume (an OFD lock on DC_LOCK_OFFSET): exclusive
 * while keyslots and tokens change, shared while they are read and a key
 * is checked (LUKS1 has no lock of libcryptsetup's). Never held while
 * waiting for the TPM. Returns the descriptor that holds it. */
int dc_lock(struct diskcrypt_ctx *ctx, bool shared, int *ret_fd);
/* dc_lock, then dc_open: the volume opened under vmtrust's lock, which
 * *ret_lock holds (close it to release). */
int dc_open_locked(struct diskcrypt_ctx *ctx, bool shared, int *ret_lock, struct crypt_device **ret);
/* dc_open and dc_tokens_read under the shared lock. */
int dc_open_tokens(struct diskcrypt_ctx *ctx, bool lenient, struct crypt_device **ret,
		   struct dc_tokens *toks);
/* The lock that serializes TPM command sequences (STATE_DIR/tpm.lock);
 * *ret_fd -1 when there is no state directory. Never taken while the
 * volume lock is held, nor the other way round. */
int dc_tpm_lock(struct diskcrypt_ctx *ctx, int *ret_fd);
/* LUKS1 side file path (malloc'ed). */
int dc_sidecar_path(struct diskcrypt_ctx *ctx, char **ret);
/* Translates a libcryptsetup error of what on the volume into a logged
 * error line and returns it. */
int dc_crypt_fail(struct diskcrypt_ctx *ctx, int r, const char *what);
/* Sets the minimal PBKDF (PBKDF2, 1000 iterations) for keys of full
 * entropy. */
int dc_set_minimal_pbkdf(struct diskcrypt_ctx *ctx, struct crypt_device *cd);
/* A random key of size bytes in a secret buffer. */
int dc_random_key(size_t size, struct diskcrypt_secret **ret);
/* The keyslot passphrase of a sealed key: the key in base64, text as
 * systemd-cryptenroll makes it (QEMU takes only UTF-8 passphrases). */
int dc_key_passphrase(const struct diskcrypt_secret *key, struct diskcrypt_secret **ret);
/* A recovery key: 32 random bytes as 8 groups of 8 modhex characters. */
int dc_recovery_key(struct diskcrypt_secret **ret);

/* ---- tokens (token.c) ---- */

int dc_token_to_json(const struct dc_token *t, char **ret);
/* name: for messages. -EBADMSG (logged) on any fault. */
int dc_token_from_json(const char *name, const char *json, struct dc_token *ret);
/* The volume's tokens. Strict: a malformed token is an error (logged);
 * lenient: it is listed, marked malformed, with its fault. */
int dc_tokens_read(struct diskcrypt_ctx *ctx, struct crypt_device *cd, bool lenient,
		   struct dc_tokens *ret);
/* Stores a token (its keyslot set), returns its id. Caller holds the lock. */
int dc_token_store(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct dc_token *t);
int dc_token_remove(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int id);
int dc_recovery_store(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int keyslot);
int dc_recovery_remove(struct diskcrypt_ctx *ctx, struct crypt_device *cd, int keyslot);

/* ---- signed PCR policies (pcrpolicy.c) ---- */

struct dc_pcr_policy {
	const struct vt_hash_alg *bank;
	uint32_t mask;
	size_t n_values;
	struct policy_pcr_value values[POLICY_PCR_MAX];
	uint8_t policy[DC_POLICY_DIGEST_SIZE];
	uint8_t fingerprint[32];
	uint8_t *signature;
	size_t signature_len;
};

struct dc_pcr_policies {
	char *path;
	size_t n;
	struct dc_pcr_policy *v;
};

int dc_pcr_policies_load(const char *path, struct dc_pcr_policies **ret);
int dc_pcr_policies_parse(const char *name, const char *json, size_t len,
			  struct dc_pcr_policies **ret);
void dc_pcr_policies_free(struct dc_pcr_policies *p);
DEFINE_CLEANUP_FUNC(struct dc_pcr_policies *, dc_pcr_policies_free)
/* sha256 of the DER SubjectPublicKeyInfo. */
int dc_pkey_fingerprint(void *pkey, uint8_t out[32]);

/* ---- TPM sealing (seal.c) ---- */

/* PolicyPCR's digest from zero: H(0 || TPM_CC_PolicyPCR || selection ||
 * H(values)), sha256, values in PCR order. */
int dc_policy_pcr_digest(const struct policy_pcr_value *values, size_t n, uint8_t out[32]);
/* PolicyAuthorize's digest from zero for a key name, policyRef empty. */
int dc_policy_authorize_digest(const uint8_t *name, size_t name_len, uint8_t out[32]);
/* The TPM name a public key gets in TPM2_LoadExternal (as tpm2_loadexternal
 * names it). -EOPNOTSUPP (logged) for keys the TPM cannot verify with. */
int dc_pkey_tpm_name(void *pkey, uint8_t *name, size_t *name_len);

/* Seals key: fills t (bank, mask, policy_hash, blob, pubkey_pem,
 * srk_name); t->id and t->keyslot are left. */
int dc_seal(struct attest_ctx *tpm, const struct diskcrypt_seal_params *sp,
	    const struct diskcrypt_secret *key, struct dc_token *t);
/* Unseals a token's key. When the TPM state does not satisfy the policy,
 * returns -EKEYREJECTED with the reason in reason (nothing logged); other
 * errors are logged. */
int dc_unseal(struct attest_ctx *tpm, const struct dc_token *t, const struct dc_pcr_policies *signed_policies,
	      const char *pcr_policy_path, char *reason, size_t reason_size,
	      struct diskcrypt_secret **ret);

/* ---- release (release.c) ---- */

/* Conditions (2) and (3) of a release, without the attestation: the first
 * of toks' tokens (rp->token: only that one) that the TPM unseals and whose
 * key opens its keyslot. -EKEYREJECTED with the reasons of every token in
 * reason (not logged) when none does; other errors logged. */
int dc_unseal_any(struct diskcrypt_ctx *ctx, struct crypt_device *cd, const struct dc_tokens *toks,
		  const struct diskcrypt_release_params *rp, char *reason, size_t reason_size,
		  struct diskcrypt_secret **ret_key, int *ret_token, int *ret_keyslot);

#endif
