/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust common library: the helpers every vmtrust library shares and
 * nothing else: ownership (cleanup attributes, each library type's cleanup
 * defined once), logging with a scoped capture, escaping of untrusted
 * strings, hash algorithms, hex and base64, bounded file I/O, strict JSON,
 * OpenSSL helpers, and the state directory (what lives in /var/lib/vmtrust).
 *
 * It depends on nothing of vmtrust's; every other library depends on it.
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno on failure; out-parameters named ret_* are written only on
 * success. Errors are reported once, through the log sink, by the function
 * that detects them.
 */
#ifndef VMTRUST_COMMON_H
#define VMTRUST_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "state.h"

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

void vt_closep(int *fd);
#define _cleanup_close_ _cleanup_(vt_closep)

/* The PCR the hypervisor set is measured into when no policy names one. */
#define VT_MEASUREMENT_PCR_DEFAULT 15

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* The cleanups of the library types more than one vmtrust library owns,
 * defined once (common/cleanup.c): _cleanup_(EVP_PKEY_freep) and so on. */
typedef struct json_object json_object;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct bio_st BIO;
typedef struct bignum_st BIGNUM;
typedef struct ossl_param_bld_st OSSL_PARAM_BLD;
typedef struct ossl_param_st OSSL_PARAM;
typedef struct ECDSA_SIG_st ECDSA_SIG;
typedef struct x509_st X509;
typedef struct x509_store_st X509_STORE;
typedef struct x509_store_ctx_st X509_STORE_CTX;
/* ESAPI outputs (Esys_Free): _cleanup_(esys_freep) TPML_DIGEST *values = NULL; */
void esys_freep(void *p);
void json_object_putp(json_object **p);
void EVP_PKEY_freep(EVP_PKEY **p);
void EVP_PKEY_CTX_freep(EVP_PKEY_CTX **p);
void EVP_MD_CTX_freep(EVP_MD_CTX **p);
void EVP_CIPHER_CTX_freep(EVP_CIPHER_CTX **p);
void BIO_freep(BIO **p);
void BN_freep(BIGNUM **p);
void OSSL_PARAM_BLD_freep(OSSL_PARAM_BLD **p);
void OSSL_PARAM_freep(OSSL_PARAM **p);
void ECDSA_SIG_freep(ECDSA_SIG **p);
void X509_freep(X509 **p);
void X509_STORE_freep(X509_STORE **p);
void X509_STORE_CTX_freep(X509_STORE_CTX **p);

/* ---- logging ---------------------------------------------------------- */

enum vt_log_level {
	VT_LOG_ERR = 3,
	VT_LOG_WARNING = 4,
	VT_LOG_INFO = 6,
	VT_LOG_DEBUG = 7,
};

typedef void (*vt_log_fn)(int level, const char *msg, void *userdata);

/* Installs the process-wide log sink used by every vmtrust library (like
 * crypt_set_log_callback(NULL, ...)). With no sink, nothing is printed. */
void vt_set_log(vt_log_fn fn, void *userdata);

/* Formats a message and hands it to the sink. Returns -err (either sign;
 * -EIO for 0) so that a caller can write "return vt_log_errno(EINVAL,
 * ...);". The macro lets the compiler see that the result is negative, so
 * that "if (r < 0) return r;" after it proves a caller's outputs set. */
int vt_log_errno_(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vt_log_errno(err, ...) VT_NEGATIVE(vt_log_errno_((err), __VA_ARGS__))

/* The int x, known to be a negative errno, made visibly negative to the
 * compiler (a variadic function is never inlined, so its callers cannot see
 * that it never returns 0): wrap such error helpers in it. */
#define VT_NEGATIVE(x)                                  \
	__extension__({                                     \
		int vt_negative_ = (x);                 \
		vt_negative_ < 0 ? vt_negative_ : -EIO; \
	})
void vt_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Diverts the calling thread's error messages into buf (size bytes, the
 * first error kept) instead of the sink, which sees them as debug lines,
 * until called again with a NULL buf. For a library that reports a fault of
 * untrusted input as data (a verdict's reason) rather than as an error.
 * buf starts out empty. Captures nest: each call with a buffer is undone
 * by one call with NULL, which resumes the capture around it (if any). */
void vt_log_capture(char *buf, size_t size);
/* The capture as a scope guard: on from here until the enclosing block is
 * left, by any path (an early return included). Prefer it to explicit
 * vt_log_capture(buf)/vt_log_capture(NULL) pairs:
 *	{
 *		VT_LOG_CAPTURE_SCOPE(why, sizeof(why));
 *		r = parse(...);
 *	}
 */
#define VT_CONCAT_(a, b) a##b
#define VT_CONCAT(a, b) VT_CONCAT_(a, b)
void vt_log_capture_end(int *scope);
#define VT_LOG_CAPTURE_SCOPE(buf, size)                                                  \
	_cleanup_(vt_log_capture_end) __attribute__((unused)) int VT_CONCAT(vt_capture_, __COUNTER__) = \
		(vt_log_capture((buf), (size)), 1)

/* The calling thread's last error message (vt_log_errno(), or
 * vt_logf() at VT_LOG_ERR, captured or not) since the last
 * vt_log_clear_error(); "" when none. Valid until the next error. */
const char *vt_log_last_error(void);
void vt_log_clear_error(void);

/* An untrusted string (a domain name, a path, a message that quotes one)
 * made safe for a one-line message, a log line or a terminal: C-style
 * escapes for a backslash (\\), \n, \r, \t, every other byte below 0x20,
 * DEL and each byte of invalid UTF-8 (\xNN), and \u with four hex digits for the code points
 * that break or reorder a line (C1 controls, U+2028/9, bidirectional
 * formatting). Printable ASCII and other valid UTF-8 pass unchanged.
 * Returns a malloc'ed string (NULL: out of memory); NULL s is "". */
char *vt_escape(const char *s);
/* Formats, then escapes the whole: for a message that quotes strings from
 * outside (its format holds no control character of its own). */
char *vt_escape_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* true when s[0..len) is well-formed UTF-8 without NUL (what the strict JSON
 * parser takes back in a string). */
bool vt_utf8_valid(const char *s, size_t len);

/* ---- hash algorithms --------------------------------------------------- */

#define VT_DIGEST_MAX 64

struct vt_hash_alg {
	const char *name;   /* "sha256", as in JSON and tpm2-tools */
	const char *ossl;   /* OpenSSL digest name */
	uint16_t tpm_alg;   /* TPM2_ALG_ID */
	size_t size;        /* digest size in bytes */
};

/* Look-ups in the table of supported algorithms (sha1, sha256, sha384,
 * sha512); NULL when unknown. */
const struct vt_hash_alg *vt_hash_alg_by_name(const char *name);
const struct vt_hash_alg *vt_hash_alg_by_tpm(uint16_t tpm_alg);
const struct vt_hash_alg *vt_hash_algs(size_t *ret_n);

/* ---- hex ---------------------------------------------------------------- */

/* Decodes exactly out_len bytes from a hex string of exactly 2*out_len
 * digits (either case). -EINVAL on any other input. */
int vt_hex_decode(const char *hex, uint8_t *out, size_t out_len);
/* Writes 2*len lowercase digits and a NUL into out (size >= 2*len+1). */
void vt_hex_encode(const uint8_t *in, size_t len, char *out);

/* ---- base64 ------------------------------------------------------------- */

/* RFC 4648 base64 with padding, NUL-terminated in *ret. -EFBIG when len
 * cannot be encoded in one go (above 1.5 GiB), -ENOMEM. */
int vt_base64_encode(const void *data, size_t len, char **ret);
/* Decodes exactly len characters of s: a multiple of 4 of the standard
 * alphabet, '=' only as one or two final pads (no whitespace, no URL-safe
 * alphabet). -EBADMSG for anything else, -EFBIG when the result would be
 * over max bytes, -ENOMEM. Never logs: the caller names what was bad. */
int vt_base64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len);

/* ---- bounded file I/O --------------------------------------------------- */

/* Reads a whole regular file of at most max_size bytes into a NUL-terminated
 * buffer. -EFBIG when larger, -EISDIR/-EINVAL for a non-regular file, other
 * errnos from open/read. The error is logged naming the file. */
int vt_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len);

/* The whole file at path (at most max bytes, as vt_read_file()) handed to
 * parse(path, data, len, ...), whose result it is: the one shape of every
 * "load FILE" next to its "parse buffer" ("return VT_LOAD_FILE(path,
 * POLICY_FILE_MAX, policy_load_buffer, ret);"). */
#define VT_LOAD_FILE(path, max, parse, ...)                                        \
	__extension__({                                                             \
		_cleanup_(freep) char *vt_data_ = NULL;                             \
		size_t vt_len_ = 0;                                                 \
		int vt_r_ = vt_read_file((path), (max), &vt_data_, &vt_len_);       \
		vt_r_ < 0 ? vt_r_ : parse((path), vt_data_, vt_len_, __VA_ARGS__);  \
	})

/* The same on an open descriptor (path names it in messages). */
int vt_read_fd(int fd, const char *path, size_t max_size, char **ret_data, size_t *ret_len);

/* Appends len bytes to fd (opened O_APPEND) whole, then fsyncs: a record
 * of a log. A write that fails part-way is taken back out (truncated), so
 * the log never holds a torn record. 0 or -errno (-EIO for a write of
 * nothing); never logs: the caller names the log. */
int vt_append(int fd, const void *data, size_t len);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. On failure nothing is left behind
 * and an existing file is untouched. */
int vt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* ---- strict JSON walking -------------------------------------------------- */

/* The JSON path of the node a parser is reading ("$.a[2][\"/etc/x\"]"),
 * for its one-line error messages. A push returns the mark to pop back
 * to; a path longer than the buffer is cut, never overrun. */
struct vt_json_path {
	char buf[512];
	size_t len;
};
#define VT_JSON_PATH_INIT { .buf = "$", .len = 1 }
struct json_object;
size_t vt_json_push_key(struct vt_json_path *p, const char *key);
size_t vt_json_push_index(struct vt_json_path *p, size_t i);
void vt_json_pop(struct vt_json_path *p, size_t mark);
/* "an object", "a string", ...: for "expected X, got Y". */
const char *vt_json_type_name(struct json_object *v);
/* The first key of obj that allowed (NULL-terminated) does not name, or
 * NULL when there is none. */
const char *vt_json_unknown_key(struct json_object *obj, const char *const *allowed);

/* The deepest max_depth vt_json_parse takes. */
#define VT_JSON_DEPTH_MAX 128

/* Why vt_json_parse refused a text, for the caller's own one-line
 * message ("policy 'p.json': $.a[0].b: duplicate key"): the JSON path of the
 * faulty node ("$" when the text is not JSON at all) and the reason. */
struct vt_json_error {
	struct vt_json_path path;
	char reason[160];
};

/* The one way vmtrust parses outside JSON. Parses len bytes of data (no
 * NUL needed) with json-c's strict mode, nesting at most max_depth - 1
 * levels (json_tokener_new_ex()'s depth, 2 to VT_JSON_DEPTH_MAX), and
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
int vt_json_parse(const char *data, size_t len, unsigned max_depth, struct json_object **ret,
		      struct vt_json_error *err);

/* A strict reader without a tree, for the hot paths (the measurement log):
 * the same text vt_json_parse() accepts or refuses, with the same
 * faults (duplicate keys at any depth with their JSON path, escapes, UTF-8,
 * numbers, depth, NUL), read in one pass, each value handed to fn as it is
 * read, in document order: an object or array as it opens (its members
 * follow, one level deeper, then VT_JSON_END at the depth it opened
 * at), a scalar with its text. Duplicate keys are found when their object
 * closes: fn has seen both members by then, and the walk fails after. */
enum vt_json_type {
	VT_JSON_OBJECT,
	VT_JSON_ARRAY,
	VT_JSON_END,            /* the object or array that opened at depth closed */
	VT_JSON_STRING,
	VT_JSON_NUMBER,
	VT_JSON_TRUE,
	VT_JSON_FALSE,
	VT_JSON_NULL,
};
struct vt_json_token {
	enum vt_json_type type;
	size_t depth;               /* 0: the top value */
	const char *key;            /* a member: its key, decoded (key_len bytes) */
	size_t key_len;
	size_t index;               /* an element of an array: its index */
	const char *value;          /* a string: decoded, NUL-terminated, no NUL inside;
				     * a number: its text; else NULL */
	size_t value_len;
};
/* Returns 0 to go on, or a negative errno that ends the walk (returned as it is). */
typedef int (*vt_json_visit_fn)(void *userdata, const struct vt_json_token *t);
/* 0 when the whole text was walked; -EBADMSG with err filled; -EFBIG, -ENOMEM,
 * -EINVAL as vt_json_parse(); or what fn returned. The token's strings
 * live only for the call. Never logs. */
int vt_json_walk(const char *data, size_t len, unsigned max_depth, vt_json_visit_fn fn,
		     void *userdata, struct vt_json_error *err);

/* ---- OpenSSL helpers (ossl.c) ------------------------------------------ */

/* The SubjectPublicKeyInfo of pkey as PEM ("-----BEGIN PUBLIC KEY-----"),
 * NUL-terminated and malloc'ed in *ret, its length (without the NUL) in
 * *ret_len (may be NULL). -ENOMEM, or -EIO when OpenSSL cannot write the
 * key. Never logs: the caller names the key. */
int vt_pkey_to_pem(const EVP_PKEY *pkey, char **ret, size_t *ret_len);

/* ---- strict JSON reading with its path (jsonread.c) -------------------- */

/* A parser's place in a JSON tree it reads (vt_json_parse()'s), for its
 * one-line errors: "WHAT 'NAME': $.path: reason". */
struct vt_json_reader {
	const char *what;          /* "manifest", "policy": the file's kind */
	const char *name;          /* the file, quoted in messages */
	int err;                   /* the errno of vt_json_fault(): EBADMSG, EINVAL */
	struct vt_json_path p;     /* the value being read */
	char *copy;                /* each fault's message copied here too, or NULL */
	size_t copy_size;
};

/* Logs "WHAT 'NAME': PATH: message" (and copies it) and returns -err. */
int vt_json_faultv(struct vt_json_reader *r, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int vt_json_fault_(struct vt_json_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vt_json_fault(r, ...) VT_NEGATIVE(vt_json_fault_((r), __VA_ARGS__))
/* A fault ("expected a string, got an array") unless v is of json-c's
 * type (an enum json_type); what names it. */
int vt_json_expect_type(struct vt_json_reader *r, struct json_object *v, int type, const char *what);
/* A fault ("unknown key", at its path) for the first key of obj that
 * allowed (NULL-terminated) does not name. */
int vt_json_check_keys(struct vt_json_reader *r, struct json_object *obj, const char *const *allowed);
/* A string of 1 to max bytes without NUL (valid while v is). */
int vt_json_get_string(struct vt_json_reader *r, struct json_object *v, size_t max, const char **ret);
/* An integer from 0 to max. */
int vt_json_get_uint(struct vt_json_reader *r, struct json_object *v, uint64_t max, uint64_t *ret);

/* ---- TPM public areas as OpenSSL keys (common/tpmkey.c) ------------------ */

/* The one conversion from a TPMT_PUBLIC (tss2_tpm2_types.h) to an EVP_PKEY,
 * with one set of supported keys: RSA of 2048 to 4096 bits, ECC on NIST
 * P-256 and P-384. Never logs: the reason of a refusal goes to why (a
 * lowercase phrase, "curve 0x0004 is not supported (nist p-256, p-384)"),
 * for the caller's own message. */
struct TPMT_PUBLIC;
struct vt_tpm_curve {
	uint16_t id;            /* TPM2_ECC_CURVE */
	const char *name;       /* OpenSSL group name, "P-256" */
	size_t size;            /* bytes of a coordinate */
};
/* The supported curve of that TPM2_ECC_CURVE, or NULL. */
const struct vt_tpm_curve *vt_tpm_curve_by_id(uint16_t curve_id);
#define VT_TPM_ECC_POINT_MAX (1 + 2 * 48)
/* The uncompressed point (0x04 x y, *ret_len bytes) of an ECC public area
 * and its curve. -EOPNOTSUPP (not ECC, another curve), -EBADMSG
 * (coordinates longer than the field or empty), why filled. */
int vt_tpm_ecc_point(const struct TPMT_PUBLIC *pub, const struct vt_tpm_curve **ret_curve,
		     uint8_t point[VT_TPM_ECC_POINT_MAX], size_t *ret_len, char *why, size_t why_size);
/* The public key of the area (*ret, the caller's). -EOPNOTSUPP for a kind
 * not supported, -EBADMSG for a malformed key or a point not on its curve
 * (why filled), -ENOMEM. */
int vt_tpm_public_to_pkey(const struct TPMT_PUBLIC *pub, EVP_PKEY **ret, char *why, size_t why_size);

/* ---- bounded reads of a descriptor (readall.c) ----------------------------- */

/* Reads fd from its position to end of file (a pipe, stdin, a PIN file):
 * fewer than size bytes, NUL-terminated in buf (size > 0), their count in
 * *ret_len. -EFBIG when the input fills buf (longer than size - 1 bytes),
 * -errno when a read fails (EINTR retried). On every failure what was read
 * is wiped (explicit_bzero) and *ret_len left alone. Never logs. */
int vt_read_all(int fd, char *buf, size_t size, size_t *ret_len);
/* Reads size bytes at offset off (pread), fewer at end of file: the count
 * in *ret_len. -errno when a read fails, what was read wiped. Never logs. */
int vt_pread_full(int fd, void *buf, size_t size, uint64_t off, size_t *ret_len);

#endif
