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

/* ---- ownership helpers ------------------------------------------------ */

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_PTR(p)                           \
	({                                    \
		__typeof__(p) _p_ = (p);      \
		(p) = NULL;                   \
		_p_;                          \
	})

#define DEFINE_CLEANUP_FUNC(type, func)               \
	static inline void func##p(type *p)           \
	{                                             \
		if (*p)                               \
			func(*p);                     \
	}

#define TAKE_FD(fd)                           \
	({                                    \
		int _fd_ = (fd);              \
		(fd) = -1;                    \
		_fd_;                         \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

void policy_closep(int *fd);
#define _cleanup_close_ _cleanup_(policy_closep)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- logging ---------------------------------------------------------- */

enum policy_log_level {
	POLICY_LOG_ERR = 3,
	POLICY_LOG_WARNING = 4,
	POLICY_LOG_INFO = 6,
	POLICY_LOG_DEBUG = 7,
};

typedef void (*policy_log_fn)(int level, const char *msg, void *userdata);

/* Installs the process-wide log sink used by every vmtrust library (like
 * crypt_set_log_callback(NULL, ...)). With no sink, nothing is printed. */
void policy_set_log(policy_log_fn fn, void *userdata);

/* Formats a message and hands it to the sink. Returns -err (either sign;
 * -EIO for 0) so that a caller can write "return policy_log_errno(EINVAL,
 * ...);". The macro lets the compiler see that the result is negative, so
 * that "if (r < 0) return r;" after it proves a caller's outputs set. */
int policy_log_errno_(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define policy_log_errno(err, ...) POLICY_NEGATIVE(policy_log_errno_((err), __VA_ARGS__))

/* The int x, known to be a negative errno, made visibly negative to the
 * compiler (a variadic function is never inlined, so its callers cannot see
 * that it never returns 0): wrap such error helpers in it. */
#define POLICY_NEGATIVE(x)                                  \
	__extension__({                                     \
		int policy_negative_ = (x);                 \
		policy_negative_ < 0 ? policy_negative_ : -EIO; \
	})
void policy_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Diverts the calling thread's error messages into buf (size bytes, the
 * first error kept) instead of the sink, which sees them as debug lines,
 * until called again with a NULL buf. For a library that reports a fault of
 * untrusted input as data (a verdict's reason) rather than as an error.
 * buf starts out empty. Captures nest: each call with a buffer is undone
 * by one call with NULL, which resumes the capture around it (if any). */
void policy_log_capture(char *buf, size_t size);

/* The calling thread's last error message (policy_log_errno(), or
 * policy_logf() at POLICY_LOG_ERR, captured or not) since the last
 * policy_log_clear_error(); "" when none. Valid until the next error. */
const char *policy_log_last_error(void);
void policy_log_clear_error(void);

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
 * policy_log_last_error(), escaped here. Priority info when good,
 * warning when not. Returns 0 or a negative errno (a warning is logged):
 * the decision stands whether or not the system log took it. */
int policy_syslog_decision(enum policy_event event, const char *subject, bool good,
			   const char *const *reasons, size_t n_reasons);

/* An untrusted string (a domain name, a path, a message that quotes one)
 * made safe for a one-line message, a log line or a terminal: C-style
 * escapes for a backslash (\\), \n, \r, \t, every other byte below 0x20,
 * DEL and each byte of invalid UTF-8 (\xNN), and \u with four hex digits for the code points
 * that break or reorder a line (C1 controls, U+2028/9, bidirectional
 * formatting). Printable ASCII and other valid UTF-8 pass unchanged.
 * Returns a malloc'ed string (NULL: out of memory); NULL s is "". */
char *policy_escape(const char *s);
/* Formats, then escapes the whole: for a message that quotes strings from
 * outside (its format holds no control character of its own). */
char *policy_escape_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* true when s[0..len) is well-formed UTF-8 without NUL (what the strict JSON
 * parser takes back in a string). */
bool policy_utf8_valid(const char *s, size_t len);

/* ---- hash algorithms --------------------------------------------------- */

#define POLICY_DIGEST_MAX 64

struct policy_hash_alg {
	const char *name;   /* "sha256", as in JSON and tpm2-tools */
	const char *ossl;   /* OpenSSL digest name */
	uint16_t tpm_alg;   /* TPM2_ALG_ID */
	size_t size;        /* digest size in bytes */
};

/* Look-ups in the table of supported algorithms (sha1, sha256, sha384,
 * sha512); NULL when unknown. */
const struct policy_hash_alg *policy_hash_alg_by_name(const char *name);
const struct policy_hash_alg *policy_hash_alg_by_tpm(uint16_t tpm_alg);
const struct policy_hash_alg *policy_hash_algs(size_t *ret_n);

/* ---- hex ---------------------------------------------------------------- */

/* Decodes exactly out_len bytes from a hex string of exactly 2*out_len
 * digits (either case). -EINVAL on any other input. */
int policy_hex_decode(const char *hex, uint8_t *out, size_t out_len);
/* Writes 2*len lowercase digits and a NUL into out (size >= 2*len+1). */
void policy_hex_encode(const uint8_t *in, size_t len, char *out);

/* ---- bounded file I/O --------------------------------------------------- */

/* Reads a whole regular file of at most max_size bytes into a NUL-terminated
 * buffer. -EFBIG when larger, -EISDIR/-EINVAL for a non-regular file, other
 * errnos from open/read. The error is logged naming the file. */
int policy_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len);

/* The same on an open descriptor (path names it in messages). */
int policy_read_fd(int fd, const char *path, size_t max_size, char **ret_data, size_t *ret_len);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. On failure nothing is left behind
 * and an existing file is untouched. */
int policy_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* ---- the policy model ---------------------------------------------------- */

#define POLICY_SCHEMA_VERSION 1
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_PCR_MAX 24

struct policy;

struct policy_digest {
	const struct policy_hash_alg *alg;
	uint8_t value[POLICY_DIGEST_MAX];
};

/* A set of PCR indexes per bank: bit i of mask set for PCR i. */
struct policy_pcr_bank {
	const struct policy_hash_alg *alg;
	uint32_t mask;
};

struct policy_pcr_value {
	const struct policy_hash_alg *alg;
	unsigned pcr;
	uint8_t value[POLICY_DIGEST_MAX];
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
	uint8_t name[2 + POLICY_DIGEST_MAX];
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

/* ---- strict JSON walking -------------------------------------------------- */

/* The JSON path of the node a parser is reading ("$.a[2][\"/etc/x\"]"),
 * for its one-line error messages. A push returns the mark to pop back
 * to; a path longer than the buffer is cut, never overrun. */
struct policy_json_path {
	char buf[512];
	size_t len;
};
#define POLICY_JSON_PATH_INIT { .buf = "$", .len = 1 }
struct json_object;
size_t policy_json_push_key(struct policy_json_path *p, const char *key);
size_t policy_json_push_index(struct policy_json_path *p, size_t i);
void policy_json_pop(struct policy_json_path *p, size_t mark);
/* "an object", "a string", ...: for "expected X, got Y". */
const char *policy_json_type_name(struct json_object *v);
/* The first key of obj that allowed (NULL-terminated) does not name, or
 * NULL when there is none. */
const char *policy_json_unknown_key(struct json_object *obj, const char *const *allowed);

/* The deepest max_depth policy_json_parse takes. */
#define POLICY_JSON_DEPTH_MAX 128

/* Why policy_json_parse refused a text, for the caller's own one-line
 * message ("policy 'p.json': $.a[0].b: duplicate key"): the JSON path of the
 * faulty node ("$" when the text is not JSON at all) and the reason. */
struct policy_json_error {
	struct policy_json_path path;
	char reason[160];
};

/* The one way vmtrust parses outside JSON. Parses len bytes of data (no
 * NUL needed) with json-c's strict mode, nesting at most max_depth - 1
 * levels (json_tokener_new_ex()'s depth, 2 to POLICY_JSON_DEPTH_MAX), and
 * refuses what lets two JSON readers read the text differently: an object
 * with two equal keys at any depth (compared decoded: "a" and "\u0061" are
 * one key; json-c keeps the last), anything but whitespace after the value,
 * a NUL byte, "\u0000" (a C string stops there), invalid UTF-8 (overlong
 * forms, surrogates, above U+10FFFF), lone surrogate escapes, unescaped
 * control characters, numbers RFC 8259 does not write (NaN, Infinity, "01",
 * "1.": json-c takes them), integers outside int64/uint64 (json-c saturates
 * them), numbers that overflow a double or are longer than 64 characters.
 * One pass after json-c's: linear in len, but for the keys of each object,
 * sorted to find repeats (n log n); never logs.
 * Returns 0 and the root in *ret (the caller owns it), or -EBADMSG with err
 * filled; -EFBIG above INT_MAX bytes, -ENOMEM, -EINVAL for a bad max_depth. */
int policy_json_parse(const char *data, size_t len, unsigned max_depth, struct json_object **ret,
		      struct policy_json_error *err);

/* A strict reader without a tree, for the hot paths (the measurement log):
 * the same text policy_json_parse() accepts or refuses, with the same
 * faults (duplicate keys at any depth with their JSON path, escapes, UTF-8,
 * numbers, depth, NUL), read in one pass, each value handed to fn as it is
 * read, in document order: an object or array as it opens (its members
 * follow, one level deeper, then POLICY_JSON_END at the depth it opened
 * at), a scalar with its text. Duplicate keys are found when their object
 * closes: fn has seen both members by then, and the walk fails after. */
enum policy_json_type {
	POLICY_JSON_OBJECT,
	POLICY_JSON_ARRAY,
	POLICY_JSON_END,            /* the object or array that opened at depth closed */
	POLICY_JSON_STRING,
	POLICY_JSON_NUMBER,
	POLICY_JSON_TRUE,
	POLICY_JSON_FALSE,
	POLICY_JSON_NULL,
};
struct policy_json_token {
	enum policy_json_type type;
	size_t depth;               /* 0: the top value */
	const char *key;            /* a member: its key, decoded (key_len bytes) */
	size_t key_len;
	size_t index;               /* an element of an array: its index */
	const char *value;          /* a string: decoded, NUL-terminated, no NUL inside;
				     * a number: its text; else NULL */
	size_t value_len;
};
/* Returns 0 to go on, or a negative errno that ends the walk (returned as it is). */
typedef int (*policy_json_visit_fn)(void *userdata, const struct policy_json_token *t);
/* 0 when the whole text was walked; -EBADMSG with err filled; -EFBIG, -ENOMEM,
 * -EINVAL as policy_json_parse(); or what fn returned. The token's strings
 * live only for the call. Never logs. */
int policy_json_walk(const char *data, size_t len, unsigned max_depth, policy_json_visit_fn fn,
		     void *userdata, struct policy_json_error *err);

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

const char *const *policy_host_required_checks(const struct policy *p, size_t *ret_n);
const struct policy_version_min *policy_host_min_versions(const struct policy *p, size_t *ret_n);
uint64_t policy_verdict_cache_max_age(const struct policy *p);

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

/* Verifies a signature made by policy_sign with a PEM public key file
 * (or a certificate). 0 when good, -EKEYREJECTED when not. */
int policy_verify(const char *pub_path, const void *data, size_t len, const uint8_t *sig,
		  size_t sig_len);
/* The same with a loaded EVP_PKEY (void * keeps OpenSSL out of this header). */
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

/* Verifies the detached signature of a policy file's bytes (data, len):
 * sig_path, default FILE.sig, with pkey (an EVP_PKEY *; key_name names it
 * in messages). -EKEYREJECTED (logged) when unsigned or it does not verify. */
int policy_verify_detached(const char *path, const void *data, size_t len, const char *sig_path,
			   void *pkey, const char *key_name);

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
#define POLICY_SEQUENCE_NAME "policy-sequence"

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
 * and its sequence may not be lower than STATE_DIR/POLICY_SEQUENCE_NAME,
 * which is raised to it (atomically, 0600). ret_id (may be NULL) gets the
 * hex SHA-256 of the bytes loaded. Errors logged: -EPERM untrusted file,
 * -EKEYREJECTED unsigned or bad signature, -ESTALE rollback, and those of
 * policy_load(). */
int policy_load_trusted(const char *path, const char *state_dir, struct policy **ret, char ret_id[65]);

/* The path of the policy key for a policy file; *ret malloc'ed. */
int policy_key_path(const char *policy_path, char **ret);

#endif
