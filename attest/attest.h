/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust attest library: TPM access through tpm2-tss ESAPI (PCRs, keys,
 * quotes), the hypervisor measurement log, UEFI event-log parsing and
 * replay, and offline verification of evidence.
 *
 * Conventions as in policy.h: 0 or a count on success, a negative errno on
 * failure, ret_* written only on success, errors logged once through the
 * vt_set_log() sink. TPM failures map to: -ENODEV (no TPM reachable:
 * TCTI could not be loaded or connected), -ECOMM (the TPM went away in the
 * middle of a command), -EREMOTEIO (the TPM answered with an error code);
 * the TSS2_RC text goes into the log line.
 */
#ifndef VMTRUST_ATTEST_H
#define VMTRUST_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ---- TPM context and PCRs ------------------------------------------------ */

struct attest_ctx;

/* Opens the TPM named by a TCTI string ("swtpm:host=127.0.0.1,port=2321",
 * "device:/dev/tpmrm0", as tpm2-tools' -T). */
int attest_ctx_new(struct attest_ctx **ret, const char *tcti);
void attest_ctx_free(struct attest_ctx *ctx);
DEFINE_CLEANUP_FUNC(struct attest_ctx *, attest_ctx_free)

/* The PCR banks the TPM has allocated with at least one PCR selected, of the
 * algorithms vmtrust supports. Returns the count written to banks[]. */
int attest_pcr_banks(struct attest_ctx *ctx, struct policy_pcr_bank *banks, size_t max);

/* Reads one PCR of one bank into out (alg->size bytes). */
int attest_pcr_read(struct attest_ctx *ctx, const struct vt_hash_alg *alg, unsigned pcr,
		    uint8_t *out);

/* Reads every PCR of a selection (n_sel banks) with as few TPM2_PCR_Read
 * commands as the TPM allows (an answer holds at most 8 digests; the PCR
 * update counter must not move in between: -EAGAIN). Writes at most max
 * values to out (bank and index set in each) and returns their count. */
int attest_pcr_read_selection(struct attest_ctx *ctx, const struct policy_pcr_bank *sel, size_t n_sel,
			      struct policy_pcr_value *out, size_t max);

/* The TPM's resetCount and restartCount (TPM2_ReadClock): a reboot, or a
 * resume without the saved state, changes one of them. */
int attest_tpm_boot_counts(struct attest_ctx *ctx, uint32_t *ret_reset, uint32_t *ret_restart);

/* Extends one PCR with one digest per bank, in a single TPM2_PCR_Extend. */
int attest_pcr_extend(struct attest_ctx *ctx, unsigned pcr, const struct policy_digest *digests,
		      size_t n_digests);

/* The lock that serializes vmtrust's TPM command sequences on one host
 * (STATE_DIR/tpm.lock, flock): a TPM without a resource manager, such as
 * swtpm, interleaves the sequences of several processes and has three
 * object slots. *ret_fd is -1 (and 0 returned) when the state directory
 * does not exist. Hold it around a whole sequence; never take it twice in
 * one process. */
int attest_tpm_lock(const char *state_dir, int *ret_fd);

/* ---- hypervisor measurement log ------------------------------------------ */

/* The log lives in the state directory as JSON lines, one TCG Canonical
 * Event Log record each: {"recnum", "pcr", "digests": [{"hashAlg",
 * "digest"}], "content_type": "vmtrust_file", "content": {"path", "size",
 * "digests": {"sha256": hex, ...}}}. The digest extended per bank is
 * H("vmtrust-file-v1" NUL path NUL size-le64 H(content)), so the path is
 * bound to the content. Each record is written and fsync'ed before its
 * extend; only the last record can be pending (extend not done). */
#define ATTEST_MLOG_MAX (16 * 1024 * 1024)
#define ATTEST_MLOG_RECORDS_MAX 100000
#define ATTEST_RECORD_BANKS_MAX 4

struct json_object;
struct attest_mlog;

enum attest_record_kind {
	ATTEST_RECORD_FILE,     /* a measured file: path, size, content digests */
	ATTEST_RECORD_EVENT,    /* an event (a launch decision, an audit): type,
				 * description, size and digests of its data */
};

struct attest_record {
	uint64_t recnum;
	unsigned pcr;
	enum attest_record_kind kind;
	char *event_type;       /* events: "launch", "host-audit", ...; else NULL */
	char *path;             /* files: the path; events: the description */
	uint64_t size;
	size_t n_digests;
	struct policy_digest digests[ATTEST_RECORD_BANKS_MAX];       /* extended */
	struct policy_digest file_digests[ATTEST_RECORD_BANKS_MAX];  /* same banks, same order */
};

/* Parses a log strictly: consecutive recnums from 0, known keys, every
 * extended digest recomputed from its content. -EBADMSG (logged with the
 * line) on any fault, -EFBIG over the limits. */
int attest_mlog_parse(const char *name, const char *data, size_t len, struct attest_mlog **ret);
/* The same with flags: ATTEST_MLOG_DEFER_BINDING leaves out the check of
 * each extended digest against its content, for a verifier, which needs
 * it only in the banks a quote proves: it calls attest_mlog_bind_bank()
 * for each of them, and no other bank's digests count. */
#define ATTEST_MLOG_DEFER_BINDING (1u << 0)
int attest_mlog_parse_flags(const char *name, const char *data, size_t len, unsigned flags,
			    struct attest_mlog **ret);
/* The check attest_mlog_parse() makes in every bank, in bank alg alone:
 * each record's digest of alg is the one its content gives. 0, -EBADMSG
 * (logged as the parser logs it), -ENOMEM, -ENOTRECOVERABLE. */
int attest_mlog_bind_bank(const struct attest_mlog *log, const struct vt_hash_alg *alg);
/* Opens STATE_DIR/measurements.log under a shared (or, creating it, an
 * exclusive) lock and parses it. A missing log is an empty one when not
 * exclusive. With ret_fd, the locked descriptor is handed over. */
int attest_mlog_load(const char *state_dir, bool exclusive, int *ret_fd, struct attest_mlog **ret);
void attest_mlog_free(struct attest_mlog *log);
DEFINE_CLEANUP_FUNC(struct attest_mlog *, attest_mlog_free)
size_t attest_mlog_count(const struct attest_mlog *log);
const struct attest_record *attest_mlog_record(const struct attest_mlog *log, size_t i);

/* Replays the first n_records records into one PCR of one bank, from zero;
 * *ret_extends (may be NULL) counts the extends. */
int attest_mlog_replay(const struct attest_mlog *log, size_t n_records, unsigned pcr,
		       const struct vt_hash_alg *alg, uint8_t *out, size_t *ret_extends);

/* The one rule that binds a log to a PCR value, for the verifier (the
 * quoted value) and for attest_measure() (the TPM's): the records of pcr
 * replayed in bank alg from zero give value (ATTEST_MLOG_REPLAYS), or all
 * but the last do and the last is of pcr (ATTEST_MLOG_PENDING: its extend
 * is missing), or neither (ATTEST_MLOG_DIFFERS). A record of pcr without a
 * digest of alg changes nothing in that bank, so nothing in it proves the
 * record: ATTEST_MLOG_UNPROVEN, its index in *ret_record (may be NULL).
 * -ENOMEM, -ENOTRECOVERABLE (OpenSSL). */
enum attest_mlog_verdict {
	ATTEST_MLOG_REPLAYS,
	ATTEST_MLOG_PENDING,
	ATTEST_MLOG_DIFFERS,
	ATTEST_MLOG_UNPROVEN,
};
int attest_mlog_judge(const struct attest_mlog *log, unsigned pcr, const struct vt_hash_alg *alg,
		      const uint8_t *value, size_t *ret_record);

/* The OpenSSL digest of a vt_hash_alg (an EVP_MD *), fetched once per
 * process and never freed; NULL for an algorithm not in vt_hash_algs()
 * or that OpenSSL lacks. Digesting with it skips OpenSSL's look-up of an
 * implicit fetch at every init. */
struct evp_md_st;
const struct evp_md_st *attest_md(const struct vt_hash_alg *alg);

/* The digest a file record extends, for one bank. */
int attest_record_event_digest(const char *path, uint64_t size, const struct policy_digest *file,
			       struct policy_digest *ret);
int attest_record_to_json(const struct attest_record *rec, struct json_object **ret);
/* The digest an event record extends, for the bank of data (the digest of
 * its data): see the event records below. */
int attest_event_record_digest(const char *event_type, const char *description, uint64_t size,
			       const struct policy_digest *data, struct policy_digest *ret);

/* Event records: content_type "vmtrust_event", content {"type",
 * "description", "size", "digests"}; extended per bank:
 * H("vmtrust-event-v1" NUL type NUL description NUL size-le64 H(data)).
 * attest_measure_event() hashes data, appends and extends under the same
 * lock and rules as files. The type is [a-z0-9-]{1,64}. With ret, the
 * record's numbers and digests are copied (ret->path and event_type NULL). */
int attest_measure_event(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
			 const char *event_type, const char *description, const void *data,
			 size_t len, struct attest_record *ret);

typedef void (*attest_measured_fn)(const struct attest_record *rec, void *userdata);

/* Measures files into pcr (every bank that has it allocated): under the log's
 * lock, first reconciles log and TPM (a pending last record is extended
 * now; any other disagreement is -EUCLEAN), then for each file hashes it,
 * appends and fsyncs its record, extends, and calls cb. Re-measuring a file
 * adds a record. PCRs 16 and 23 are refused (resettable at locality 0). */
int attest_measure(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
		   const char *const *paths, size_t n_paths, attest_measured_fn cb, void *userdata);

/* The default hypervisor set, when the policy names no reference values:
 * the qemu-system binaries, libvirtd/virtqemud, OVMF and SeaBIOS firmware,
 * the kvm modules of the running kernel, libvirt's qemu.conf and hooks;
 * those that exist as regular files below root (NULL: /). A NULL-terminated
 * list, freed with attest_strv_free(). */
int attest_default_set(const char *root, char ***ret, size_t *ret_n);
void attest_strv_free(char **v);

/* ---- keys and enrollment ------------------------------------------------- */
/*
 * The endorsement key (EK) is re-created from a TCG EK Credential Profile
 * default template whenever it is needed: a primary key is a function of
 * its template and the TPM's endorsement seed, so nothing is written to NV.
 * RSA 2048 (template L-1) or ECC NIST P-256 (L-2), both AES-128-CFB storage
 * keys with the PolicySecret(TPM_RH_ENDORSEMENT) authPolicy, as
 * tpm2_createek makes them.
 *
 * The attestation key (AK) is a restricted signing key (fixedTPM,
 * fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign) created
 * as a child of the EK, as tpm2_createak does: ECDSA P-256 with SHA-256, or
 * RSASSA 2048 with SHA-256. Each use re-creates the EK, loads the AK below
 * it and flushes both. Files in the state directory, the bytes tpm2-tools
 * writes:
 *   ak.pub   TPM2B_PUBLIC (tpm2_createak -u)    ek.pub  TPM2B_PUBLIC (tpm2_createek -u)
 *   ak.priv  TPM2B_PRIVATE (tpm2_createak -r)   ek.pem  SubjectPublicKeyInfo, PEM
 *   ak.pem   SubjectPublicKeyInfo, PEM          ak.name the AK's name (tpm2_createak -n)
 * ak.priv is wrapped by the EK (it loads only in this TPM) and kept 0600.
 *
 * Enrollment proves to a verifier, who needs no TPM, that the AK lives in
 * the TPM of a given EK (TPM 2.0 Part 1, 24: MakeCredential in software on
 * the verifier, TPM2_ActivateCredential on the host).
 */
enum attest_key_alg {
	ATTEST_KEY_RSA,        /* RSA 2048; an AK signs with RSASSA-PKCS1-v1_5 SHA-256 */
	ATTEST_KEY_ECC,        /* ECC NIST P-256; an AK signs with ECDSA SHA-256 */
};


#define ATTEST_PUBLIC_MAX 1024            /* a marshalled TPM2B_PUBLIC we accept */
#define ATTEST_NAME_MAX 66                /* a name: TPM_ALG_ID and a digest */
#define ATTEST_CREDENTIAL_MAX 64          /* the secret a credential carries */
#define ATTEST_ID_OBJECT_MAX 256          /* a marshalled TPM2B_ID_OBJECT */
#define ATTEST_ENCRYPTED_SECRET_MAX 1024  /* a marshalled TPM2B_ENCRYPTED_SECRET */

/* "rsa" or "ecc" to the enum; -EINVAL (not logged) for anything else. */
int attest_key_alg_from_string(const char *s, enum attest_key_alg *ret);
const char *attest_key_alg_to_string(enum attest_key_alg alg);

/* Creates the EK of ek_alg and a new AK of ak_alg below it, and writes the
 * six files into state_dir (created 0700 if missing; each file atomically).
 * -EEXIST (logged) when state_dir already holds an AK and !replace: a new
 * AK must be enrolled with the verifier again. ret_name (ATTEST_NAME_MAX
 * bytes, may be NULL) receives the AK's name. */
int attest_enroll(struct attest_ctx *ctx, const char *state_dir, enum attest_key_alg ek_alg,
		  enum attest_key_alg ak_alg, bool replace, uint8_t *ret_name,
		  size_t *ret_name_len);

/* The EK's public part, re-created in the TPM and flushed: *ret_public a
 * marshalled TPM2B_PUBLIC, *ret_pem SubjectPublicKeyInfo (both malloc'ed;
 * either may be NULL). */
int attest_ek_public(struct attest_ctx *ctx, enum attest_key_alg alg, uint8_t **ret_public,
		     size_t *ret_len, char **ret_pem);

/* Pure helpers on a marshalled TPM2B_PUBLIC (RSA or ECC), no TPM. Malformed
 * input: -EBADMSG, unsupported key kinds: -EOPNOTSUPP, both logged. */
/* The object's name: nameAlg (2 bytes, big-endian) || H_nameAlg(TPMT_PUBLIC). */
int attest_public_name(const uint8_t *pub, size_t len, uint8_t *ret_name, size_t *ret_name_len);
/* The public key as SubjectPublicKeyInfo PEM (malloc'ed, NUL-terminated). */
int attest_public_to_pem(const uint8_t *pub, size_t len, char **ret_pem);
/* 0 when pub is an AK a verifier may trust for quotes: a restricted signing
 * key, not a decryption key, fixedTPM, fixedParent, sensitiveDataOrigin,
 * RSASSA or ECDSA. -EKEYREJECTED (logged, naming the fault) otherwise. */
int attest_ak_public_check(const uint8_t *pub, size_t len);
/* The TPM2B_PUBLIC of a default-template EK (RSA 2048 or ECC P-256) whose
 * key is in a PEM public key or certificate: what a verifier that knows the
 * EK from its certificate needs for attest_make_credential(). */
int attest_ek_public_from_pem(const char *pem, size_t pem_len, uint8_t **ret_public,
			      size_t *ret_len);

/* A credential: what TPM2_MakeCredential returns. */
struct attest_credential {
	uint8_t blob[ATTEST_ID_OBJECT_MAX];            /* TPM2B_ID_OBJECT, marshalled */
	size_t blob_len;
	uint8_t secret[ATTEST_ENCRYPTED_SECRET_MAX];   /* TPM2B_ENCRYPTED_SECRET, marshalled */
	size_t secret_len;
};

/* TPM2_MakeCredential in software (OpenSSL), for a verifier without a TPM:
 * seals secret (1 to the digest size of the EK's nameAlg bytes) to the key
 * named ak_name in the TPM of ek_public (a marshalled TPM2B_PUBLIC of a
 * restricted decryption key: RSA, seed by OAEP with label "IDENTITY"; or
 * ECC, seed by ECDH and KDFe). -EBADMSG/-EINVAL for malformed input,
 * -EOPNOTSUPP for an EK of an unsupported kind, -EIO for OpenSSL faults. */
int attest_make_credential(const uint8_t *ek_public, size_t ek_public_len, const uint8_t *ak_name,
			   size_t ak_name_len, const uint8_t *secret, size_t secret_len,
			   struct attest_credential *ret);

/* TPM2_ActivateCredential with the enrolled AK and its EK: the secret goes
 * to ret_secret (room for ATTEST_CREDENTIAL_MAX bytes; the caller wipes it).
 * The response is encrypted on the way from the TPM (a session salted with
 * the EK). -EKEYREJECTED (logged) when the credential was not made for this
 * AK and EK; -ENOENT when not enrolled; TPM errors as above. */
int attest_activate_credential(struct attest_ctx *ctx, const char *state_dir,
			       const struct attest_credential *cred, uint8_t *ret_secret,
			       size_t *ret_secret_len);

/* The verifier's judgement of an enrollment: the host answered the
 * credential made for ak_name with secret, whose SHA-256 the verifier kept
 * (secret_sha256), and named ak_public as its AK. 0 when the secret is the
 * one sealed (compared in constant time), ak_public has the name ak_name
 * and passes attest_ak_public_check(); -EKEYREJECTED (logged) otherwise.
 * Pure: no TPM. */
int attest_enroll_check(const uint8_t *ak_name, size_t ak_name_len, const uint8_t secret_sha256[32],
			const uint8_t *secret, size_t secret_len, const uint8_t *ak_public,
			size_t ak_public_len);

/* ---- quotes -------------------------------------------------------------- */

struct attest_evidence;

/* The selection quoted when a policy names none: PCRs 0 to 7 and the
 * measurement PCR, in each of the sha1 and sha256 banks the TPM has
 * allocated (of those PCRs, the ones allocated). Returns the number of
 * banks written to sel (at most 2); -EOPNOTSUPP (logged) when neither bank
 * exists. */
int attest_default_quote_selection(struct attest_ctx *ctx, unsigned measurement_pcr,
				   struct policy_pcr_bank *sel, size_t max);

/* Quotes the selection with the enrolled AK (qualifyingData = nonce, 1 to
 * ATTEST_NONCE_MAX bytes) and gathers the evidence: TPMS_ATTEST and
 * TPMT_SIGNATURE as tpm2_quote -m/-s write them, the PCR values of the
 * selection (in selection order; the quote's pcrDigest is checked against
 * them; PCRs that change in between make it quote again, at most 3 times,
 * then -EAGAIN), ak.pub and its PEM, the UEFI log (uefi_log_path; NULL: the
 * kernel's ATTEST_EVENTLOG_DEFAULT_PATH when it exists, and then it must be
 * readable; "": none) and the measurement log of state_dir. The log's lock
 * is held from reading the log until the quote is signed, so the log always
 * covers what the quoted measurement PCR holds (a log that does not exist
 * yet is created empty and locked). The host audit of
 * STATE_DIR/VT_STATE_HOST_AUDIT goes in as host_audit when it is the data
 * of the log's last "host-audit" event (size and digests compared); else it
 * is left out, with a warning when the log has such an event (no file,
 * another audit, unreadable). Selected banks must be allocated
 * (-EOPNOTSUPP); a bank named twice is quoted once with both masks. Every
 * transient object is flushed. *ret is freed with attest_evidence_free(). */
/* The UEFI log a quote goes with: path, NULL for the kernel's
 * (ATTEST_EVENTLOG_DEFAULT_PATH) when it exists, "" for none. *ret is
 * NULL (and 0 returned) when there is none; else malloc'ed. */
int attest_uefi_log_read(const char *path, uint8_t **ret, size_t *ret_len);

int attest_quote(struct attest_ctx *ctx, const char *state_dir, const struct policy_pcr_bank *sel,
		 size_t n_sel, const uint8_t *nonce, size_t nonce_len, const char *uefi_log_path,
		 struct attest_evidence **ret);

/* ---- evidence ----------------------------------------------------------- */

/* One JSON document that proves a host's state to a verifier:
 *   {"vmtrust_evidence": 1,
 *    "nonce": hex,
 *    "ak": {"public": base64 TPM2B_PUBLIC, "pem": SubjectPublicKeyInfo},
 *    "quote": {"attest": base64 TPMS_ATTEST (as tpm2_quote -m),
 *              "signature": base64 TPMT_SIGNATURE (as tpm2_quote -s)},
 *    "pcrs": {"sha256": {"0": hex, ...}, ...},
 *    "uefi_eventlog": base64 (optional),
 *    "measurement_log": the log's text (optional),
 *    "host_audit": the canonical host audit JSON, as a string: the exact
 *                  bytes a "host-audit" event of the log measured (optional)}
 * The byte fields are those tpm2-tools reads and writes. */
#define ATTEST_EVIDENCE_MAX (48 * 1024 * 1024)
#define ATTEST_NONCE_MAX 64

struct attest_evidence {
	uint8_t nonce[ATTEST_NONCE_MAX];
	size_t nonce_len;
	uint8_t *ak_public;          /* TPM2B_PUBLIC, marshalled */
	size_t ak_public_len;
	char *ak_pem;
	uint8_t *attest;             /* TPMS_ATTEST, marshalled */
	size_t attest_len;
	uint8_t *signature;          /* TPMT_SIGNATURE, marshalled */
	size_t signature_len;
	struct policy_pcr_value *pcrs;
	size_t n_pcrs;
	uint8_t *uefi_log;           /* may be NULL */
	size_t uefi_log_len;
	char *mlog;                  /* may be NULL */
	size_t mlog_len;
	char *host_audit;            /* may be NULL; no NUL inside */
	size_t host_audit_len;       /* at most ATTEST_AUDIT_JSON_MAX */
};

/* Parses evidence JSON with hard bounds (at most ATTEST_EVIDENCE_MAX
 * bytes, known keys, valid base64/hex, digest sizes per bank, a host_audit
 * that attest_audit_parse() takes). -EBADMSG (logged with the JSON path)
 * when malformed, -EFBIG when too large. */
int attest_evidence_parse(const char *name, const char *json, size_t len,
			  struct attest_evidence **ret);
/* Serializes evidence; *ret is malloc'ed, NUL-terminated. */
int attest_evidence_to_json(const struct attest_evidence *e, char **ret);
void attest_evidence_free(struct attest_evidence *e);
DEFINE_CLEANUP_FUNC(struct attest_evidence *, attest_evidence_free)

/* Writes a policy (JSON text, *ret malloc'ed) from known-good evidence
 * (names[i]: evidence[i]'s file, for messages): each measurement-log
 * record's file digests become reference values for its path (required),
 * the AK is pinned only when its name is one of proven (names of AKs whose
 * enrollment the verifier checked, or the operator vouches for) and the
 * quote verifies under it (attest_verify_flags() with
 * ATTEST_VERIFY_EVIDENCE_AK: signature, TPM_GENERATED, a quote, pcrDigest,
 * the logs replaying), else -EKEYREJECTED (logged, naming the evidence and
 * the AK's name); quoted PCR values become expected
 * values (except measurement_pcr, which the log proves), and the quoted
 * PCRs the selection. With base_json (a policy written before), merges into
 * it: digests and AKs are added, a PCR value that differs is dropped with a
 * warning, the sequence grows by one. The caller validates and writes. */
struct attest_ak_name {
	uint8_t bytes[ATTEST_NAME_MAX];
	size_t len;
};
int attest_policy_from_evidence(const char *base_json, size_t base_len,
				const struct attest_evidence *const *evidence,
				const char *const *names, size_t n,
				const struct attest_ak_name *proven, size_t n_proven,
				unsigned measurement_pcr, char **ret);

/* ---- the host audit record ------------------------------------------------ */
/*
 * What `vmtrust host audit` found (hostaudit/ runs the audit, above attest),
 * as evidence: each check with its status and evidence, in a canonical JSON
 * form that the host measures (event type ATTEST_HOST_AUDIT_EVENT of the
 * measurement log), that a quote carries as host_audit, and that a verifier
 * parses strictly and judges by its own policy (attest_audit_evaluate).
 *
 * Check ids (stable) are the policy's: policy_host_checks() (cpu-virt,
 * kvm, ..., domain-live), and package:NAME for each package of the policy's
 * host.min_versions. A check passes, fails (on positive evidence of a
 * weakness) or is unknown (its input missing or unreadable; never a pass).
 */
#define ATTEST_AUDIT_JSON_MAX (1024 * 1024)
#define ATTEST_HOST_AUDIT_EVENT "host-audit"

enum attest_audit_status {
	ATTEST_AUDIT_PASS,
	ATTEST_AUDIT_FAIL,
	ATTEST_AUDIT_UNKNOWN,
};

struct attest_audit;

struct attest_audit_check {
	const char *id;
	enum attest_audit_status status;
	const char *evidence;       /* what was seen, or why it could not be; printable ASCII */
	const char *measure;        /* the seed measure it serves */
	const char *hint;           /* how to fix a fail or an unknown; may be NULL */
	bool required;              /* under the policy the audit ran with */
};

/* An empty record for at most max_checks checks. -ENOMEM. */
int attest_audit_new(size_t max_checks, struct attest_audit **ret);
/* Appends a check: id one that policy_host_check_measure() knows (its
 * measure filled in), evidence copied with every byte that is not printable
 * ASCII as \xNN, hint (a static string, may be NULL) kept unless the check
 * passes. -EINVAL for an unknown or repeated id, -E2BIG beyond max_checks,
 * -ENOMEM. Not logged. */
int attest_audit_add(struct attest_audit *a, const char *id, enum attest_audit_status status,
		     const char *evidence, const char *hint, bool required);
void attest_audit_free(struct attest_audit *a);
DEFINE_CLEANUP_FUNC(struct attest_audit *, attest_audit_free)

/* The checks in the order they were added (an audit's: the policy's fixed
 * ids, then packages by name). */
const struct attest_audit_check *attest_audit_checks(const struct attest_audit *a, size_t *ret_n);
/* The check of that id, or NULL. */
const struct attest_audit_check *attest_audit_find(const struct attest_audit *a, const char *id);

/* A verifier's rule, for an audit received as evidence (attest_audit_parse)
 * and a policy that may differ from the one the host audited with: each id
 * of host.required_checks is there and passes, and for each entry of
 * host.min_versions package:NAME is there, passes, and passed against a
 * minimum (the "(minimum V)" its evidence ends with) at least the policy's.
 * Other checks do not count. 1 when satisfied; 0 when not, with the
 * failing checks in reason ("iommu fail, tpm unknown", at most size bytes).
 * p may be NULL (nothing required). */
int attest_audit_evaluate(const struct attest_audit *a, const struct policy *p, char *reason,
			  size_t size);

/* The canonical form, for evidence and measurement: compact JSON, keys in
 * this order, checks in their order, no whitespace:
 *   {"vmtrust_host_audit":1,"checks":[{"id":"cpu-virt","status":"pass",
 *    "evidence":"..."},...]}
 * The same audit always gives the same bytes. *ret is malloc'ed. */
int attest_audit_to_json(const struct attest_audit *a, char **ret);
/* Parses the canonical form strictly (known keys and ids, no duplicates, at
 * most ATTEST_AUDIT_JSON_MAX bytes), for a verifier: the checks' measure is
 * filled in, hint is NULL, required false. -EBADMSG (logged with the JSON
 * path), -EFBIG. */
int attest_audit_parse(const char *name, const char *json, size_t len, struct attest_audit **ret);

const char *attest_audit_status_name(enum attest_audit_status s);   /* "pass", ... */

/* ---- verification ---- */
/*
 * Offline verification of evidence against a policy: pure (no TPM, no
 * files, no root), the same code on the host and on a remote verifier.
 * Each check leaves an entry in the verdict, named by a stable id:
 *
 *   ak-trusted       ak.public is one of the policy's attestation keys: the
 *                    same key and the same TPM name (which binds the
 *                    attributes); a key pinned without a name trusts nothing
 *                    (and ak.pem, when present, is the same key)
 *   ak-attributes    the AK is a restricted signing key, fixedTPM and
 *                    sensitiveDataOrigin (a key that signs anything could
 *                    sign a forged TPMS_ATTEST)
 *   signature        quote.signature (ECDSA, RSASSA, RSAPSS; not SHA-1)
 *                    verifies with the AK over quote.attest
 *   attest-magic     TPMS_ATTEST.magic is TPM_GENERATED_VALUE
 *   attest-type      TPMS_ATTEST.type is TPM_ST_ATTEST_QUOTE
 *   nonce            extraData is the evidence's nonce and the one asked for
 *                    (none asked for: failed, or a warning with
 *                    ATTEST_VERIFY_ALLOW_REPLAY)
 *   pcr-digest       pcrDigest = H(the evidence's values of the quote's
 *                    selection, banks in selection order, PCRs ascending),
 *                    H the signature's hash, as tpm2_checkquote computes it
 *   pcr-selection    (with a policy pcr_selection) the quote covers it all
 *   unquoted-pcrs    (warning) values in the evidence the quote does not
 *                    select: ignored, never compared with anything
 *   uefi-log         every algorithm of the header is known, every event
 *                    carries one digest of each, and the replay equals every
 *                    quoted PCR it extends (attest_eventlog_replay_bank:
 *                    PCR 0 from locality 4 after an H-CRTM event)
 *   secure-boot      when the policy asks: the state every SecureBoot event
 *                    agrees on, each event in a PCR the quote proves
 *   measurement-log  every record has a digest of every quoted bank, the
 *                    one its content gives (other banks' are not checked and
 *                    count for nothing), and the log replays to the quoted
 *                    measurement PCR in each; if
 *                    only all but the last record do, that record is pending
 *                    (a warning) and counts as not measured
 *   reference:PATH   each measured file's digests, in the banks the quote
 *                    proves, are reference values for PATH ("unknown
 *                    component" when PATH has none); a pending last record
 *                    the policy would not trust fails too
 *   required:PATH    each required reference has a measured record
 *   pcr-value:ALG:N  the quoted value is the one the policy expects (a
 *                    value the quote does not cover fails)
 *   host-audit       when the evidence has a host audit or the policy's
 *                    host section requires checks: the audit is the data
 *                    of the last "host-audit" event of the measurement log
 *                    (its event digest recomputed), that record is measured
 *                    (the log replays to the quote, the record not
 *                    pending), and it satisfies attest_audit_evaluate();
 *                    with no requirement, failed checks are a warning
 *
 * Checks whose input is missing fail with "not checked: ..." rather than
 * vanish; the verdict is good when no check failed.
 */
enum attest_check_status {
	ATTEST_CHECK_OK,
	ATTEST_CHECK_WARNING,       /* worth a look; the verdict stays good */
	ATTEST_CHECK_FAILED,
};

struct attest_check {
	const char *name;           /* a stable id, above */
	enum attest_check_status status;
	const char *reason;         /* one lowercase line, the failing thing first */
};

struct attest_verdict;

/* Verifies evidence against a policy. nonce (nonce_len bytes) is the one the
 * verifier asked for; NULL: the evidence may be a replay, and the nonce
 * check fails (a warning with ATTEST_VERIFY_ALLOW_REPLAY). Returns 0 when it
 * could evaluate, with the verdict in *ret (which may be bad), a negative
 * errno only for an internal failure (-ENOMEM, -ENOTRECOVERABLE for
 * OpenSSL). Faults of the evidence are reasons in the verdict, not logged
 * errors. attest_verify() is attest_verify_flags() with no flags. */
#define ATTEST_VERIFY_ALLOW_REPLAY (1u << 0)   /* no nonce: a warning, not a failure */
/* The quote is checked under the evidence's own AK, which the policy need
 * not pin (ak-trusted is a warning): for a caller that proved the AK
 * otherwise (policy init, by enrollment). Every other check is the same. */
#define ATTEST_VERIFY_EVIDENCE_AK (1u << 1)
int attest_verify(const struct policy *p, const struct attest_evidence *e, const uint8_t *nonce,
		  size_t nonce_len, struct attest_verdict **ret);
int attest_verify_flags(const struct policy *p, const struct attest_evidence *e,
			const uint8_t *nonce, size_t nonce_len, unsigned flags,
			struct attest_verdict **ret);
void attest_verdict_free(struct attest_verdict *v);
DEFINE_CLEANUP_FUNC(struct attest_verdict *, attest_verdict_free)

/* A host's logs repeat from quote to quote: verification keeps what parsing
 * and replaying the last few gave (at most 8 of each kind, each at most
 * 1 MiB), keyed by their exact bytes. This drops them (for a benchmark, or
 * before exit). Thread-safe, as attest_verify() is. */
void attest_verify_cache_flush(void);

/* True when no check failed (warnings allowed). */
bool attest_verdict_ok(const struct attest_verdict *v);
/* The checks in the order they were made; pointers live as long as v. */
size_t attest_verdict_count(const struct attest_verdict *v);
const struct attest_check *attest_verdict_check(const struct attest_verdict *v, size_t i);
/* The check of that name, or NULL. */
const struct attest_check *attest_verdict_find(const struct attest_verdict *v, const char *name);
/* "ok", "warning", "failed". */
const char *attest_check_status_name(enum attest_check_status s);
/* {"verdict": "good"|"bad", "checks": [{"name", "status", "reason"}]}. */
int attest_verdict_to_json(const struct attest_verdict *v, struct json_object **ret);

/* Bytes of one input file; data NULL when not given, name for messages. */
struct attest_blob {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* What tpm2-tools writes: ak_public as tpm2_createak -u (TPM2B_PUBLIC),
 * attest and signature as tpm2_quote -m and -s (TPMS_ATTEST, TPMT_SIGNATURE
 * in the default tss format), pcrs as tpm2_quote -o (the default serialized
 * structs of tpm2-tools 5, or -F values); logs optional. */
struct attest_import {
	struct attest_blob ak_public, attest, signature, pcrs, uefi_log, mlog;
	const uint8_t *nonce;       /* the qualifying data given to tpm2_quote -q */
	size_t nonce_len;
};

/* Builds evidence from tpm2-tools files, checking each is what it should be
 * (not its signature: that is attest_verify's). ak.pem is derived from
 * ak.public. -EINVAL for a PEM AK, a nonce other than the quote's, no PCR
 * values; -EBADMSG for a malformed file; -EFBIG over the limits. Logged. */
int attest_evidence_import(const struct attest_import *in, struct attest_evidence **ret);

/* ---- UEFI event log ------------------------------------------------------ */
/*
 * The TCG PC Client measured-boot event log, crypto-agile (TCG_PCR_EVENT2
 * records after a "Spec ID Event03" header) or legacy SHA-1 (TCG_PCR_EVENT
 * records only), as /sys/kernel/security/tpm0/binary_bios_measurements
 * gives it. Parsing and replay are pure: bytes in, events and PCR values
 * out, no TPM and no files.
 */

#define ATTEST_EVENTLOG_DEFAULT_PATH "/sys/kernel/security/tpm0/binary_bios_measurements"
#define ATTEST_EVENTLOG_SIZE_MAX (16u * 1024 * 1024)  /* a whole log */
#define ATTEST_EVENT_DATA_MAX (1u * 1024 * 1024)      /* the data of one event */
#define ATTEST_EVENTLOG_EVENTS_MAX 65536u             /* records in one log */
#define ATTEST_EVENTLOG_ALGS_MAX 16u                  /* algorithms in a Spec ID event */
#define ATTEST_SECURE_BOOT_PCR 7u                     /* the Secure Boot configuration */

/* Event types (TCG PC Client Platform Firmware Profile, 10.4.1). */
enum attest_event_type {
	ATTEST_EV_PREBOOT_CERT = 0x00000000,
	ATTEST_EV_POST_CODE = 0x00000001,
	ATTEST_EV_UNUSED = 0x00000002,
	ATTEST_EV_NO_ACTION = 0x00000003,
	ATTEST_EV_SEPARATOR = 0x00000004,
	ATTEST_EV_ACTION = 0x00000005,
	ATTEST_EV_EVENT_TAG = 0x00000006,
	ATTEST_EV_S_CRTM_CONTENTS = 0x00000007,
	ATTEST_EV_S_CRTM_VERSION = 0x00000008,
	ATTEST_EV_CPU_MICROCODE = 0x00000009,
	ATTEST_EV_PLATFORM_CONFIG_FLAGS = 0x0000000a,
	ATTEST_EV_TABLE_OF_DEVICES = 0x0000000b,
	ATTEST_EV_COMPACT_HASH = 0x0000000c,
	ATTEST_EV_IPL = 0x0000000d,
	ATTEST_EV_IPL_PARTITION_DATA = 0x0000000e,
	ATTEST_EV_NONHOST_CODE = 0x0000000f,
	ATTEST_EV_NONHOST_CONFIG = 0x00000010,
	ATTEST_EV_NONHOST_INFO = 0x00000011,
	ATTEST_EV_OMIT_BOOT_DEVICE_EVENTS = 0x00000012,
	ATTEST_EV_POST_CODE2 = 0x00000013,
	ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001,
	ATTEST_EV_EFI_VARIABLE_BOOT = 0x80000002,
	ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003,
	ATTEST_EV_EFI_BOOT_SERVICES_DRIVER = 0x80000004,
	ATTEST_EV_EFI_RUNTIME_SERVICES_DRIVER = 0x80000005,
	ATTEST_EV_EFI_GPT_EVENT = 0x80000006,
	ATTEST_EV_EFI_ACTION = 0x80000007,
	ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008,
	ATTEST_EV_EFI_HANDOFF_TABLES = 0x80000009,
	ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000a,
	ATTEST_EV_EFI_HANDOFF_TABLES2 = 0x8000000b,
	ATTEST_EV_EFI_VARIABLE_BOOT2 = 0x8000000c,
	ATTEST_EV_EFI_GPT_EVENT2 = 0x8000000d,
	ATTEST_EV_EFI_HCRTM_EVENT = 0x80000010,
	ATTEST_EV_EFI_VARIABLE_AUTHORITY = 0x800000e0,
	ATTEST_EV_EFI_SPDM_FIRMWARE_BLOB = 0x800000e1,
	ATTEST_EV_EFI_SPDM_FIRMWARE_CONFIG = 0x800000e2,
};

struct attest_eventlog;
struct json_object;

/* A digest algorithm of the log, as its Spec ID event declares it (a legacy
 * log has one: sha1, 20 bytes). */
struct attest_eventlog_alg {
	uint16_t alg_id;                    /* TPM_ALG_ID */
	uint16_t size;                      /* digest size in bytes */
	const struct vt_hash_alg *alg;  /* NULL: unknown to vmtrust, not replayed */
};

/* One logged digest of an event; value points into the log's own copy. */
struct attest_event_digest {
	const struct attest_eventlog_alg *bank;
	const uint8_t *value;               /* bank->size bytes */
};

/* One record of the log; pointers stay valid until attest_eventlog_free(). */
struct attest_event {
	uint32_t index;                     /* 0 for the first record (the Spec ID event) */
	uint32_t pcr;
	uint32_t type;                      /* enum attest_event_type, or any other value */
	size_t offset;                      /* byte offset of the record in the log */
	size_t size;                        /* bytes of the whole record */
	size_t n_digests;
	const struct attest_event_digest *digests;
	const uint8_t *data;
	size_t data_len;
	bool digest_checked;                /* the type's digest is a hash of its data... */
	bool digest_mismatch;               /* ...and a logged digest is not (a warning) */
};

/* Parses a whole log of len bytes (at most ATTEST_EVENTLOG_SIZE_MAX; the log
 * keeps its own copy); name is used in messages. Each length is checked
 * against the bytes left and the limits above; a fault is logged once as
 * "event log 'NAME': truncated event 37 at byte 15012: ..." and returns
 * -EBADMSG (-EFBIG for an oversized input, -ENOMEM). A digest that does not
 * match its data is no error: see attest_event.digest_mismatch. */
int attest_eventlog_parse(const char *name, const uint8_t *data, size_t len,
			  struct attest_eventlog **ret);
/* The same with flags: ATTEST_EVENTLOG_NO_DATA_CHECK skips the check of
 * each event's digests against its data (digest_checked stays false), for
 * the verifier, which judges events only in the banks a quote proves and
 * hashes what it relies on there itself. PCR 0's start is checked
 * always: an H-CRTM event (data "HCRTM", in PCR 0, once, before anything
 * extends PCR 0) and a StartupLocality event (once, before anything
 * extends PCR 0; with an H-CRTM event only of locality 4). */
#define ATTEST_EVENTLOG_NO_DATA_CHECK (1u << 0)
int attest_eventlog_parse_flags(const char *name, const uint8_t *data, size_t len, unsigned flags,
				struct attest_eventlog **ret);
void attest_eventlog_free(struct attest_eventlog *log);
DEFINE_CLEANUP_FUNC(struct attest_eventlog *, attest_eventlog_free)

const struct attest_event *attest_eventlog_events(const struct attest_eventlog *log, size_t *ret_n);
bool attest_eventlog_is_crypto_agile(const struct attest_eventlog *log);
/* The log's digest algorithms, in the order of its Spec ID event. */
const struct attest_eventlog_alg *attest_eventlog_algs(const struct attest_eventlog *log,
							size_t *ret_n);
/* The locality of the StartupLocality event (0..4), or -ENOENT. */
int attest_eventlog_startup_locality(const struct attest_eventlog *log);
/* Whether an EV_EFI_HCRTM_EVENT starts PCR 0 (it then starts at locality
 * 4's value, 0...04, and the event's digest is its first extend). */
bool attest_eventlog_has_hcrtm(const struct attest_eventlog *log);
/* The locality PCR 0 starts from: 4 with an H-CRTM event, else the
 * StartupLocality event's, else 0. */
int attest_eventlog_pcr0_locality(const struct attest_eventlog *log);
/* Events whose digest does not match their data. */
size_t attest_eventlog_n_mismatches(const struct attest_eventlog *log);

/* Replays one bank of the log into pcrs (POLICY_PCR_MAX rows): every PCR
 * starts at zero but PCR 0, at attest_eventlog_pcr0_locality() in its last
 * byte; each event but EV_NO_ACTION extends its digest of alg, into the
 * PCRs of mask only (the others keep their start value). *ret_used: the
 * PCRs with at least one extend, in mask or not (0 for a bank the log does
 * not have). The one replay: attest_eventlog_replay() and the verifier
 * use it. -ENOMEM, -EIO (OpenSSL, logged). */
int attest_eventlog_replay_bank(const struct attest_eventlog *log, const struct vt_hash_alg *alg,
				uint32_t mask, uint8_t pcrs[][VT_DIGEST_MAX], uint32_t *ret_used);
/* Replays the log in every bank of it that vmtrust knows
 * (attest_eventlog_replay_bank). *ret_values (malloc'ed, free()) holds the PCRs
 * that had at least one extend, sorted by bank (TPM_ALG_ID) then PCR; none
 * for a log without measurements. -ENOMEM, -EIO (OpenSSL). */
int attest_eventlog_replay(const struct attest_eventlog *log, struct policy_pcr_value **ret_values,
			   size_t *ret_n);

/* "EV_EFI_ACTION"; NULL for a type this table does not know. */
const char *attest_event_type_name(uint32_t type);

/* Describes an event as a JSON object: index, offset, pcr, type, digests,
 * size, data_check, and "event" with the decoded data (EFI variable,
 * image load, firmware blob, separator, action and post code strings,
 * Spec ID, StartupLocality; else hex). Strings are printable ASCII, any
 * other byte escaped as \xNN. -ENOMEM. */
int attest_event_to_json(const struct attest_event *ev, struct json_object **ret);

/* Secure Boot as the firmware measured it: the EV_EFI_VARIABLE_DRIVER_CONFIG
 * events of the SecureBoot variable (EFI global variable GUID) in PCR 7
 * before PCR 7's first EV_SEPARATOR. Every event of PCR 7 up to that
 * separator must be of a type understood there (the separator, variable
 * driver config or authority, EFI action) with its digest in each bank of
 * banks (n_banks; NULL: every bank vmtrust knows) the hash of its data, at
 * least one. Returns 1 on, 0 off (or the variable measured empty); -ENOENT
 * (logged) when PCR 7 has no separator or no such event before it;
 * -EBADMSG (logged) for a value that is not one byte, events that
 * disagree, SecureBoot variable data anywhere else (another PCR, after the
 * separator, another event type) or a PCR 7 event that fails the rule
 * above; -ENOMEM, -EIO. */
int attest_eventlog_secure_boot_in(const struct attest_eventlog *log,
				   const struct vt_hash_alg *const *banks, size_t n_banks);
/* The same with every bank vmtrust knows (the host's own log). */
int attest_eventlog_secure_boot(const struct attest_eventlog *log);
/* One event alone, whatever its place in the log: 1, 0, -ENOENT when it
 * is not an EV_EFI_VARIABLE_DRIVER_CONFIG of the SecureBoot variable, -EBADMSG (not logged) for a value that is not one byte. */
int attest_event_secure_boot(const struct attest_event *ev);

/* ---- ESAPI, for the libraries that run TPM commands of their own -------- */

/* diskcrypt seals and unseals with ESAPI on attest's context. The handle
 * is an ESYS_CONTEXT * of tss2_esys.h; errors go through the two helpers
 * below so that a lost TPM is reported and remembered the same way. */
struct ESYS_CONTEXT;
struct ESYS_CONTEXT *attest_ctx_esys(struct attest_ctx *ctx);
/* true when an earlier command failed in transit: ESAPI then stays in an
 * error state, and a cleanup (a flush) should not be sent. */
bool attest_ctx_lost(const struct attest_ctx *ctx);

/* Logs one error line "<fmt>: <kind>: 0x<rc>: <Tss2_RC_Decode text>" and
 * returns attest_tss2_errno(rc). On -ECOMM marks ctx as lost (ctx may be
 * NULL). Use it where a TSS2 call fails:
 *	return attest_tss2_fail(ctx, rc, "cannot read pcr %u of bank %s", pcr, alg->name); */
int attest_tss2_fail(struct attest_ctx *ctx, uint32_t rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 0 when the context can send commands. Otherwise logs one line,
 * "<fmt>: connection to tpm '<tcti>' was lost in an earlier command", and
 * returns -ECOMM (an earlier command failed in transit), or -EINVAL for a
 * NULL ctx. */
int attest_ctx_check(struct attest_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The table entry of a supported algorithm, or NULL (also for NULL or a
 * look-alike whose size does not match). */
const struct vt_hash_alg *attest_alg_supported(const struct vt_hash_alg *alg);

#endif
