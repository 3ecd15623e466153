/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust diskcrypt library: LUKS volumes and keyslots (libcryptsetup),
 * keys sealed to the TPM in LUKS2 tokens, released only on a good
 * attestation. Conventions as in policy.h and attest.h: 0 (or a count) on
 * success, a negative errno on failure, ret_* written only on success,
 * errors logged once through the vt_set_log() sink. A key withheld
 * (attestation failed, the TPM refused to unseal, no signed PCR policy
 * matches) is -EKEYREJECTED; libcryptsetup errors keep their errno; TPM
 * errors are those of attest.h (-ENODEV, -ECOMM, -EREMOTEIO).
 *
 * Key material lives only in struct diskcrypt_secret buffers: mmap'ed,
 * mlock'ed, excluded from core dumps and wiped in child processes after
 * fork, cleared before they are unmapped. No key byte is ever logged or
 * written to a file by this library.
 */
#ifndef VMTRUST_DISKCRYPT_H
#define VMTRUST_DISKCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest.h"

/* ---- secrets ------------------------------------------------------------- */

#define DISKCRYPT_KEY_MIN 32             /* bytes of a sealed key: 256 bits at least */
#define DISKCRYPT_KEY_MAX 64
#define DISKCRYPT_PASSPHRASE_MAX 8192    /* an unlock passphrase or key file */

struct diskcrypt_secret;

/* Reads a passphrase or key file whole (a regular file, a pipe, "-" for
 * standard input), at most DISKCRYPT_PASSPHRASE_MAX bytes, every byte kept
 * as cryptsetup's --key-file does. -EFBIG over the limit, -ENOMSG empty. */
int diskcrypt_secret_read(const char *path, struct diskcrypt_secret **ret);
/* Wipes and unmaps. NULL-safe. */
void diskcrypt_secret_free(struct diskcrypt_secret *s);
DEFINE_CLEANUP_FUNC(struct diskcrypt_secret *, diskcrypt_secret_free)
const uint8_t *diskcrypt_secret_data(const struct diskcrypt_secret *s);
size_t diskcrypt_secret_size(const struct diskcrypt_secret *s);

/* ---- PCR sets -------------------------------------------------------------- */

/* "sha256:7,14" into out (size >= 96). */
void diskcrypt_pcrs_format(const struct vt_hash_alg *bank, uint32_t mask, char *out, size_t size);

/* ---- volumes ----------------------------------------------------------------- */

enum diskcrypt_luks {
	DISKCRYPT_LUKS2,
	DISKCRYPT_LUKS1,       /* QEMU opens it natively; tokens live in a side file */
};

#define DISKCRYPT_TOKEN_TYPE "vmtrust-tpm2"
#define DISKCRYPT_RECOVERY_TOKEN_TYPE "vmtrust-recovery"
#define DISKCRYPT_SIDECAR_SUFFIX ".vmtrust-token.json"
#define DISKCRYPT_TOKEN_JSON_MAX (16 * 1024)
#define DISKCRYPT_SIDECAR_MAX (256 * 1024)

struct diskcrypt_ctx;

/* A context for one volume (an image file or a block device). The attest
 * context is borrowed: it seals, unseals and quotes; it may be NULL for
 * what needs no TPM (status, revoke, format without enrolling). No lock is
 * held while waiting for the TPM, so processes sharing a TPM without a
 * resource manager (swtpm) do not deadlock. */
int diskcrypt_ctx_new(struct diskcrypt_ctx **ret, const char *volume, struct attest_ctx *tpm);
void diskcrypt_ctx_free(struct diskcrypt_ctx *ctx);
DEFINE_CLEANUP_FUNC(struct diskcrypt_ctx *, diskcrypt_ctx_free)

/* Where a LUKS1 volume keeps its tokens (JSON): by default the volume's
 * path with DISKCRYPT_SIDECAR_SUFFIX; a block device needs one named. */
int diskcrypt_ctx_set_token_file(struct diskcrypt_ctx *ctx, const char *path);

/* The host's state directory: the AK and the measurement log for the
 * quote of a release, and STATE_DIR/tpm.lock, which serializes the TPM
 * command sequences of vmtrust processes (a TPM without a resource
 * manager, such as swtpm, interleaves them and has three object slots). */
#define DISKCRYPT_TPM_LOCK_FILE VT_STATE_TPM_LOCK
int diskcrypt_ctx_set_state_dir(struct diskcrypt_ctx *ctx, const char *dir);

/* How a new key is sealed. */
struct diskcrypt_seal_params {
	const struct vt_hash_alg *bank;   /* the PCR bank of PolicyPCR */
	uint32_t pcr_mask;                    /* PCRs bound (bit i: PCR i); may be 0 when authorized */
	void *authorize_key;                  /* EVP_PKEY *: PolicyAuthorize with this key (signed
					       * PCR policies); NULL: PolicyPCR on the values now */
	size_t key_size;                      /* bytes, DISKCRYPT_KEY_MIN..MAX; 0: 32 */
};

/* The seal parameters a policy asks for: key_release.pcr_selection (one
 * bank; sha256 when it names several) or pcrs ("sha256:7,14") instead,
 * and key_release.authorize_key unless no_authorize. The key is borrowed
 * from the policy. -EINVAL (logged) when no PCR set results and no key
 * authorizes. */
int diskcrypt_seal_params_from_policy(const struct policy *p, const char *pcrs, bool no_authorize,
				      struct diskcrypt_seal_params *ret);

/* What a release needs. */
struct diskcrypt_release_params {
	const struct policy *policy;   /* the verifier's policy (and the authorize key) */
	const char *pcr_policy;        /* signed PCR policies, for authorized tokens (may be NULL) */
	const char *uefi_log;          /* for the quote: NULL the kernel's, "" none */
	int token;                     /* a token id, or -1: each vmtrust token in turn */
};

/* Formats the volume (LUKS2, or LUKS1) with a new random volume key
 * (aes-xts-plain64, 512-bit key, sha256), then enrolls a sealed key as
 * diskcrypt_enroll does, and with ret_recovery a recovery key. size > 0
 * creates (or extends) an image file of that many bytes first. An existing
 * LUKS header is kept (-EEXIST) unless force. */
struct diskcrypt_format_params {
	enum diskcrypt_luks type;
	uint64_t size;
	bool force;
};
int diskcrypt_format(struct diskcrypt_ctx *ctx, const struct diskcrypt_format_params *fp,
		     const struct diskcrypt_seal_params *sp, int *ret_token,
		     struct diskcrypt_secret **ret_recovery);

/* Generates a random key of sp->key_size bytes, adds it (in base64) as a
 * keyslot (PBKDF2-SHA512, 1000 iterations: the key has full entropy), seals it in
 * the TPM under sp's policy and stores the sealed blob in a token bound to
 * that keyslot. The volume is unlocked by passphrase (an existing
 * passphrase or recovery key) or, when NULL, by a release through the
 * TPM (rp: attestation and unseal). With ret_recovery, also adds a
 * recovery key (printable, ~256 bits) as a keyslot of its own. */
int diskcrypt_enroll(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *passphrase,
		     const struct diskcrypt_release_params *rp, const struct diskcrypt_seal_params *sp,
		     int *ret_token, struct diskcrypt_secret **ret_recovery);

/* Releases a sealed key. The key a release hands out is the keyslot's
 * passphrase: the random bytes the TPM unseals, in base64 (text, as
 * systemd-cryptenroll makes it: QEMU takes only UTF-8 passphrases), which
 * `cryptsetup open --key-file` and QEMU's LUKS driver accept as they are.
 * Conditions, in order: (1) unless the policy says
 * key_release.require_attestation false, a fresh quote of this host (new
 * random nonce) must verify against the policy; (2) the TPM must unseal the
 * key under its PCR policy (for an authorized token, PolicyPCR and then
 * PolicyAuthorize with a signed PCR policy from rp->pcr_policy that matches
 * the PCRs now); (3) the key must open its keyslot (checked, nothing
 * activated). Only then is *ret_key written. -EKEYREJECTED, logged as
 * "key withheld for 'VOL': <which condition failed and why>", when a
 * condition does not hold. ret_token and ret_keyslot may be NULL. */
int diskcrypt_release(struct diskcrypt_ctx *ctx, const struct diskcrypt_release_params *rp,
		      struct diskcrypt_secret **ret_key, int *ret_token, int *ret_keyslot);

/* 0 when volumes can be activated here (device-mapper), else -EOPNOTSUPP
 * (logged): ask before releasing a key only to activate it. */
int diskcrypt_can_activate(struct diskcrypt_ctx *ctx);

/* Activates the volume as /dev/mapper/NAME with a released key (dm-crypt),
 * or with name NULL only checks that key opens keyslot (-1: any). -EPERM
 * when the key does not open it; -EOPNOTSUPP (logged) without
 * device-mapper. */
int diskcrypt_activate(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *key, int keyslot,
		       const char *name, bool readonly);

/* Replaces a sealed key: releases the old one (rp) unless passphrase is
 * given, adds a new key in a new keyslot and a new token, proves the new
 * token (the TPM unseals it and the key opens its keyslot), and only then
 * removes the old token and its keyslot. A process killed at any point
 * leaves at least one working sealed key. token: the token to replace (-1:
 * the only vmtrust token; -EINVAL when there are several). */
int diskcrypt_rotate(struct diskcrypt_ctx *ctx, const struct diskcrypt_secret *passphrase,
		     const struct diskcrypt_release_params *rp, const struct diskcrypt_seal_params *sp,
		     int token, int *ret_token);

/* Removes a vmtrust token (-1: every one) and wipes its keyslot. A keyslot
 * that is the last of the volume is kept (-EPERM, logged) unless force:
 * without any keyslot the data can never be read again. Returns the number
 * of tokens removed. */
int diskcrypt_revoke(struct diskcrypt_ctx *ctx, int token, bool force);

/* The volume's LUKS version, UUID, keyslots, vmtrust tokens and recovery
 * keyslots as JSON (struct json_object *, to put with json_object_put()). */
struct json_object;
int diskcrypt_status(struct diskcrypt_ctx *ctx, struct json_object **ret);

/* ---- handing a released key over ----------------------------------------- */

/* Writes the key to fd, raw or base64 (the form QEMU's --object
 * secret,format=base64 reads). fd must be a pipe or a socket: a terminal,
 * a regular file or anything else is refused (-EINVAL, logged) so that no
 * key lands on a screen or a disk. */
int diskcrypt_write_key(int fd, const struct diskcrypt_secret *key, bool base64);

/* Adds the key as a "user" key with description to the kernel keyring
 * ("user" @u, "session" @s, "process" @p, or "thread" @t). *ret_serial
 * (may be NULL) receives the key's serial. */
int diskcrypt_keyring_add(const struct diskcrypt_secret *key, const char *description,
			  const char *keyring, int32_t *ret_serial);

/* ---- signed PCR policies --------------------------------------------------- */
/*
 * A file of PCR policies signed by key_release.authorize_key, which unlock
 * offers to PolicyAuthorize:
 *   {"vmtrust_pcr_policy": 1,
 *    "policies": [{"bank": "sha256", "pcrs": [7, 15],
 *                  "values": {"7": hex, "15": hex},
 *                  "policy": hex (the PolicyPCR digest, sha256),
 *                  "key_fingerprint": hex (sha256 of the DER public key),
 *                  "signature": base64}]}
 * The signature is policy_sign()'s over the policy digest (policyRef
 * empty): ECDSA P-256/SHA-256, ECDSA P-384/SHA-384 or RSA-PSS/SHA-256,
 * which the TPM checks (TPM2_VerifySignature) for TPM2_PolicyAuthorize.
 */
#define DISKCRYPT_PCR_POLICY_MAX (1024 * 1024)
#define DISKCRYPT_PCR_POLICIES_MAX 256

/* The current values of a PCR set, read from the TPM, in PCR order; the
 * number written to values (room for POLICY_PCR_MAX). */
int diskcrypt_pcr_values_from_tpm(struct attest_ctx *tpm, const struct vt_hash_alg *bank,
				  uint32_t mask, struct policy_pcr_value *values);
/* The values of a PCR set from a JSON file {"sha256": {"7": hex, ...}}
 * (the form of a policy's pcr_values); every PCR of the set must be there. */
int diskcrypt_pcr_values_from_file(const char *path, const struct vt_hash_alg *bank,
				   uint32_t mask, struct policy_pcr_value *values);

/* Signs the PolicyPCR digest of values (n, one bank, sorted) with the key
 * (a PEM file, a pkcs11: URI or a TPM key: policy_signer_load(); key_opts
 * may be NULL) and returns the policy file (JSON text,
 * malloc'ed) with the new entry, added to the entries of base (a policy
 * file's text, may be NULL). -EOPNOTSUPP (logged) for a key the TPM cannot
 * verify (Ed25519). */
int diskcrypt_pcr_policy_sign(const char *key_path, const struct policy_key_opts *key_opts,
			      const struct policy_pcr_value *values, size_t n, const char *base,
			      size_t base_len, char **ret_json);

#endif
