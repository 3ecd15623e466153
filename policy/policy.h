/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust policy library: what a host trusts (reference values, keys, rules)
 * loaded from a JSON policy file into an immutable model, policy signatures,
 * and the low-level helpers that every vmtrust library shares (logging, hex,
 * hash algorithms, bounded file I/O, cleanup attributes).
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno on failure. Out-parameters named ret_* are written only on
 * success. Errors are reported once, through the log sink, by the function
 * that detects them.
 */
#ifndef VMTRUST_POLICY_H
#define VMTRUST_POLICY_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common.h"

/* ---- the system log ----------------------------------------------------- */

enum policy_event {
	POLICY_EVENT_LAUNCH,            /* VMTRUST_EVENT=launch, VMTRUST_DOMAIN: allowed | denied */
	POLICY_EVENT_KEY_RELEASE,       /* key-release, VMTRUST_VOLUME: released | withheld */
	POLICY_EVENT_ATTEST,            /* attest, VMTRUST_EVIDENCE: good | bad */
	POLICY_EVENT_AUDIT,             /* audit, VMTRUST_ROOT: ok | not-ok */
};

/* Sends one decision to the system log (policy/syslog.c): to the journal
 * (sd_journal_sendv) where /run/systemd/journal/socket is, else syslog(3)
 * (LOG_DAEMON, ident vmtrust). Fields VMTRUST_EVENT, VMTRUST_VERDICT, the
 * subject's field (subject may be NULL; escaped here) and one
 * VMTRUST_REASON a reason (at most 32; escaped by whoever made them, as
 * a launch decision's are). A refusal given no reasons carries
 * vt_log_last_error(), escaped here. Priority info when good,
 * warning when not. Returns 0 or a negative errno (a warning is logged):
 * the decision stands whether or not the system log took it. */
int policy_syslog_decision(enum policy_event event, const char *subject, bool good,
			   const char *const *reasons, size_t n_reasons);

/* ---- the policy model ---------------------------------------------------- */

#define POLICY_SCHEMA_VERSION 1
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_PCR_MAX 24

struct policy;

struct policy_digest {
	const struct vt_hash_alg *alg;
	uint8_t value[VT_DIGEST_MAX];
};

/* A set of PCR indexes per bank: bit i of mask set for PCR i. */
struct policy_pcr_bank {
	const struct vt_hash_alg *alg;
	uint32_t mask;
};

struct policy_pcr_value {
	const struct vt_hash_alg *alg;
	unsigned pcr;
	uint8_t value[VT_DIGEST_MAX];
};

/* A file of the hypervisor stack and the digests it may have. */
struct policy_reference {
	const char *path;
	bool required;
	size_t n_digests;
	const struct policy_digest *digests;
};

/* A trusted public key (attestation key, image signer, policy authority). */
struct policy_key {
	const char *id;
	const char *pem;            /* SubjectPublicKeyInfo, PEM */
	void *pkey;                 /* EVP_PKEY *, owned by the policy */
	/* Attestation keys only: the TPM name (nameAlg, big-endian, and the
	 * digest of the whole public area, attributes included) that pins the
	 * AK; name_len 0 when the policy gives none. */
	uint8_t name[2 + VT_DIGEST_MAX];
	size_t name_len;
};

struct policy_file_digest {
	const char *path;
	struct policy_digest digest;
};

struct policy_image_rule {
	const char *name;
	uint64_t min_sequence;
	size_t n_keys;
	const char *const *keys;            /* ids of image_trust keys; none: any */
	size_t n_domains;
	const char *const *domains;         /* libvirt domain names (never a UUID) */
	size_t n_uuids;
	const char *const *uuids;           /* libvirt domain UUIDs */
	bool attach_restricted;             /* "networks" or "bridges" given */
	size_t n_networks;
	const char *const *networks;        /* libvirt networks its VMs may attach to */
	size_t n_bridges;
	const char *const *bridges;         /* host bridges its VMs may attach to */
	const char *nwfilter;               /* the nwfilter every interface must carry, or NULL */
	bool inspect;
	size_t n_must_match;
	const struct policy_file_digest *must_match;
	size_t n_must_be_absent;
	const char *const *must_be_absent;
};

/* Parses a UUID as libvirt writes it (8-4-4-4-12 hex digits, either case)
 * or as 32 hex digits. 0, or -EINVAL (not logged). */
int policy_uuid_parse(const char *s, uint8_t ret[16]);

enum policy_secure_boot {
	POLICY_SECURE_BOOT_ANY,
	POLICY_SECURE_BOOT_REQUIRED,
	POLICY_SECURE_BOOT_DISABLED,
};

struct policy_version_min {
	const char *package;
	const char *version;
};

/* Loads and validates a policy file (at most POLICY_FILE_MAX bytes). Each
 * fault is logged once as "policy 'FILE': $.json.path: reason". Errors:
 * -ENOENT/-EACCES (file), -EFBIG (too large), -EBADMSG (not JSON, truncated),
 * -EINVAL (schema), -ENOMEM. The result is freed with policy_free(). */
int policy_load(const char *path, struct policy **ret);
/* The same on a buffer; name is used in messages. */
int policy_load_buffer(const char *name, const char *data, size_t len, struct policy **ret);
void policy_free(struct policy *p);
DEFINE_CLEANUP_FUNC(struct policy *, policy_free)

uint64_t policy_sequence(const struct policy *p);
const char *policy_description(const struct policy *p);

/* The PCR into which hypervisor measurements are extended, and the banks. */
unsigned policy_measurement_pcr(const struct policy *p);
const struct policy_pcr_bank *policy_quote_selection(const struct policy *p, size_t *ret_n);
const struct policy_pcr_value *policy_pcr_values(const struct policy *p, size_t *ret_n);
const struct policy_reference *policy_references(const struct policy *p, size_t *ret_n);
const struct policy_key *policy_attestation_keys(const struct policy *p, size_t *ret_n);
enum policy_secure_boot policy_secure_boot(const struct policy *p);

const struct policy_key *policy_image_keys(const struct policy *p, size_t *ret_n);
const char *const *policy_image_cas(const struct policy *p, size_t *ret_n);
const char *const *policy_revoked_keys(const struct policy *p, size_t *ret_n);
const struct policy_digest *policy_revoked_digests(const struct policy *p, size_t *ret_n);
const struct policy_image_rule *policy_image_rules(const struct policy *p, size_t *ret_n);

const struct policy_pcr_bank *policy_key_release_selection(const struct policy *p, size_t *ret_n);
const struct policy_key *policy_key_release_authority(const struct policy *p); /* or NULL */
bool policy_key_release_requires_attestation(const struct policy *p);

/* The host section, validated by policy_load: every id of required_checks
 * is a check of policy_host_checks() or "package:NAME" for a package of
 * min_versions; every package name valid (policy_deb_package_valid) with a
 * valid Debian version. */
const char *const *policy_host_required_checks(const struct policy *p, size_t *ret_n);
const struct policy_version_min *policy_host_min_versions(const struct policy *p, size_t *ret_n);
uint64_t policy_verdict_cache_max_age(const struct policy *p);

/* ---- the host section's vocabulary (policy/host.c) ---------------------------- */

/* A check of the host audit: its stable id and the measure against VM
 * escape it serves. */
struct policy_host_check {
	const char *id;
	const char *measure;
};
/* The host audit's fixed checks, in the audit's order: cpu-virt, kvm, iommu,
 * nx, cpu-mitigations, qemu-user, qemu-seccomp, security-driver,
 * graphics-listen, vmtrust-hook, tpm, boot-log, secure-boot, policy-key,
 * domain-nwfilter, domain-live. Besides them, "package:NAME" checks a
 * package of $.host.min_versions. */
const struct policy_host_check *policy_host_checks(size_t *ret_n);
#define POLICY_HOST_PACKAGE_PREFIX "package:"
#define POLICY_HOST_PACKAGE_NAME_MAX 128
#define POLICY_DEB_VERSION_MAX 256
/* The measure a check id serves: a fixed check's, or the package checks'
 * for "package:NAME" with a valid NAME; NULL for any other id. */
const char *policy_host_check_measure(const char *id);
/* A Debian package name: [a-z0-9][a-z0-9+.-]*, at most
 * POLICY_HOST_PACKAGE_NAME_MAX characters. */
bool policy_deb_package_valid(const char *name);
/* Debian version order (dpkg's: epoch, upstream and revision compared with
 * '~' before everything, even the end). *ret_cmp <0, 0 or >0. -EINVAL for
 * a string that is not a valid version (not logged). */
int policy_deb_version_compare(const char *a, const char *b, int *ret_cmp);

/* -ESTALE, logged, when the policy's sequence is below min_sequence: a host
 * refuses a policy older than the one it accepted last. */
int policy_check_sequence(const struct policy *p, const char *name, uint64_t min_sequence);

/* ---- signatures ---------------------------------------------------------- */

/* Signs data with a PEM private key (Ed25519: pure EdDSA; ECDSA: SHA-256
 * for P-256, SHA-384 for P-384, DER; RSA: PSS, SHA-256, salt = digest
 * length), the same bytes the openssl CLI makes and checks. *ret_sig is
 * malloc'ed. -EINVAL when the file holds no PEM private key,
 * -EOPNOTSUPP for an unsupported kind of key. */
int policy_sign(const char *key_path, const void *data, size_t len, uint8_t **ret_sig,
		size_t *ret_sig_len);

/* Verifies a signature made by policy_sign with a loaded EVP_PKEY (void *
 * keeps OpenSSL out of this header): 0 when good, -EKEYREJECTED when not. */
int policy_verify_pkey(void *pkey, const void *data, size_t len, const uint8_t *sig,
		       size_t sig_len);

/* 0 for the kinds of key vmtrust signs and verifies with (Ed25519, ECDSA
 * P-256/P-384, RSA of 2048 bits or more); else -EOPNOTSUPP and why. */
int policy_pkey_supported(void *pkey, const char **ret_why);

/* Reads a PEM public key (SubjectPublicKeyInfo or an X.509 certificate) and
 * checks it is of a supported kind. Returns an EVP_PKEY * in *ret. */
int policy_load_public_key(const char *path, void **ret);
/* The same from PEM text in memory (name names it in messages). */
int policy_public_key_from_pem(const char *name, const char *pem, size_t len, void **ret);
#define POLICY_KEY_FILE_MAX (64 * 1024)
void policy_pkey_free(void *pkey);
/* An EVP_PKEY's public key as PEM (SubjectPublicKeyInfo), malloc'ed;
 * ret_len may be NULL. -ENOMEM. */
int policy_pkey_to_pem(void *pkey, char **ret, size_t *ret_len);

/* ---- signing keys: a PEM file, a PKCS#11 token, the TPM -------------------- */

/* Asks for the PIN of a hardware key (what names it for a prompt or a
 * message: "key 'pkcs11:token=t;object=k' (token 't')"):
 * writes at most size - 1 bytes and a NUL into buf and returns the
 * length, or a negative errno (logged by the callback). The caller wipes
 * buf. The CLI reads --pin-file or the terminal. */
typedef int (*policy_pin_fn)(const char *what, char *buf, size_t size, void *userdata);

struct policy_key_opts {
	policy_pin_fn get_pin;       /* NULL: a key that needs a PIN is refused */
	void *userdata;
	/* NULL: the URI's module-path, else every module registered with
	 * p11-kit (/usr/share/p11-kit/modules, as p11-kit-proxy.so does). */
	const char *pkcs11_module;
};

#define POLICY_PIN_MAX 256

struct policy_signer;

/* Loads a signing key, the one way vmtrust does (key, opts may be NULL):
 *   pkcs11:token=...;object=...   RFC 7512, through the PKCS#11 module;
 *                                 a pin-value or pin-source is refused
 *   handle:0x81000000             a TPM persistent key (tpm2-openssl
 *   handle:0x81000000?pass        provider; ?pass: it has a PIN); a file
 *                                 holding a TSS2 PRIVATE KEY likewise
 *   anything else                 an unencrypted PEM private key file
 * The key must be of a kind policy_pkey_supported() takes. Hardware keys
 * are logged in and tried once (a signature checked with their public
 * key) before this returns. Errors (logged, naming the key with any PIN
 * redacted): -ENOENT no such file or PKCS#11 module, -ENODEV no token
 * or TPM, -ENOKEY no such key object, -EACCES wrong or missing PIN,
 * -EPERM PIN locked, -EINVAL not a key or a bad URI, -EOPNOTSUPP a kind
 * of key vmtrust does not sign with. */
int policy_signer_load(const char *key, const struct policy_key_opts *opts,
		       struct policy_signer **ret);
void policy_signer_free(struct policy_signer *s);
DEFINE_CLEANUP_FUNC(struct policy_signer *, policy_signer_free)

/* The key's public half (an EVP_PKEY *, owned by s) and its name for
 * messages (the URI with any PIN redacted). */
void *policy_signer_public(const struct policy_signer *s);
const char *policy_signer_name(const struct policy_signer *s);

/* Signs data as policy_sign() does, whatever holds the key; the
 * signature is checked with the public key before it is returned.
 * *ret_sig is malloc'ed. */
int policy_signer_sign(struct policy_signer *s, const void *data, size_t len, uint8_t **ret_sig,
		       size_t *ret_sig_len);

/* Signs a policy file, writing FILE.sig (or sig_path) atomically, only
 * after the signature is made. key and opts as for policy_signer_load(). */
int policy_sign_file(const char *key, const struct policy_key_opts *opts, const char *policy_path,
		     const char *sig_path);

/* Loads a policy only if its detached signature (sig_path, default
 * FILE.sig) verifies with the public key; -EKEYREJECTED when unsigned or
 * tampered. */
int policy_load_signed(const char *path, const char *sig_path, const char *pub_path,
		       struct policy **ret);

/* ---- the policy a host decides with -------------------------------------- */

/* The operator's policy key, next to the policy file (the directory of
 * the path as given), and the highest signed sequence accepted, in the
 * state directory. */
#define POLICY_KEY_NAME "policy.pub"

/* Opens a file that only root can have written: every node from / to it
 * (symbolic links followed one component at a time, each link checked as
 * well) owned by root, or by the caller when the caller is not root, and
 * writable by no group or others; a directory that others may write is
 * accepted with the sticky bit only (/tmp). The last node must be a
 * regular file. what names it in messages ("policy"). -EPERM (logged)
 * for an owner or mode refused, other errnos from the walk; *ret_fd is
 * opened for reading. */
int policy_open_trusted(const char *what, const char *path, int *ret_fd);

/* Loads the policy a privileged decision runs on (the launch hook,
 * vmtrust launch, disk unlock): the file must pass policy_open_trusted();
 * when the directory holds POLICY_KEY_NAME (itself passing the same
 * check), the policy must carry a detached signature by it (FILE.sig),
 * and its sequence may not be lower than STATE_DIR/VT_STATE_POLICY_SEQUENCE,
 * which is raised to it (atomically, 0600). ret_id (may be NULL) gets the
 * hex SHA-256 of the bytes loaded. Errors logged: -EPERM untrusted file,
 * -EKEYREJECTED unsigned or bad signature, -ESTALE rollback, and those of
 * policy_load(). */
int policy_load_trusted(const char *path, const char *state_dir, struct policy **ret, char ret_id[65]);

/* The path of the policy key for a policy file; *ret malloc'ed. */
int policy_key_path(const char *policy_path, char **ret);

#endif
