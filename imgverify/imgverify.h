/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust imgverify library: VM image formats (raw, qcow2 and its backing
 * chain, parsed with hard bounds, never probed by qemu), chunked parallel
 * hashing, signed image manifests (an in-toto Statement in a DSSE envelope)
 * and their verification against a trust policy.
 *
 * Conventions as in policy.h: 0 (or a count) on success, a negative errno on
 * failure, every error logged once through the policy log sink by the
 * function that detects it, ret_* written only on success.
 *
 * Errors that mean "this image must not run" (exit 1 in the CLI):
 *   -EKEYREJECTED  no signature by a trusted key, a bad signature, a
 *                  certificate that does not chain to a policy CA, a signer
 *                  the image's rule does not allow
 *   -EKEYEXPIRED   the manifest (or the signing certificate) expired, or was
 *                  issued in the future
 *   -EKEYREVOKED   the signing key or a layer digest is revoked by the policy
 *   -ESTALE        the manifest's sequence is older than the policy allows
 *   -EUCLEAN       the image on disk differs from the signed one (size,
 *                  format, header facts, backing reference, a chunk digest,
 *                  a subject digest when computed), or a layer was opened
 *                  for writing while being verified (each layer is read
 *                  under a read lease, F_SETLEASE)
 * -ETXTBSY: a layer is open for writing (the lease is refused), or a top
 * layer to be written (IMGVERIFY_WRITABLE) is open at all: it can be
 * neither signed nor verified now (exit 3).
 * Errors that mean "the input cannot be checked" (exit 2): -EBADMSG
 * (malformed header or manifest), -EINVAL, -ENOENT, -ELOOP (a backing file
 * that is a symbolic link), -EFBIG (over a limit), -EOPNOTSUPP (an
 * unsupported algorithm, key or feature), -EMEDIUMTYPE (not raw or qcow2).
 *
 * Guest inspection (libguestfs) adds: -EIO the appliance or a call into it
 * failed (its own message is a debug line), -EMEDIUMTYPE no operating
 * system found, -EOPNOTSUPP several operating systems or an encrypted
 * layer, -EBADMSG a fact of the guest that is not bounded printable text,
 * -EFBIG a guest over a limit below, -EBUSY an image file that changed or
 * was replaced while the appliance read it.
 */
#ifndef VMTRUST_IMGVERIFY_H
#define VMTRUST_IMGVERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "policy.h"

/* ---- limits and names ---------------------------------------------------- */

#define IMGVERIFY_CHAIN_MAX 16                   /* layers in a backing chain */
#define IMGVERIFY_BACKING_NAME_MAX 1023          /* as qcow2 itself allows */
#define IMGVERIFY_FORMAT_NAME_MAX 15             /* backing format extension */
#define IMGVERIFY_HEADER_READ_MAX (2u << 20)     /* the first cluster, at most */
#define IMGVERIFY_MANIFEST_MAX (32 * 1024 * 1024)
#define IMGVERIFY_CHUNK_SIZE_DEFAULT (4u << 20)
#define IMGVERIFY_CHUNK_SIZE_MIN (64u << 10)
#define IMGVERIFY_CHUNK_SIZE_MAX (1u << 30)
#define IMGVERIFY_CHUNKS_MAX 16384               /* per layer; chunks grow beyond */
#define IMGVERIFY_SIZE_MAX (1ull << 56)          /* a virtual or file size */
#define IMGVERIFY_CLOCK_SKEW 300                 /* seconds an issue time may lead */
#define IMGVERIFY_THREADS_MAX 64

#define IMGVERIFY_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define IMGVERIFY_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define IMGVERIFY_PREDICATE_TYPE "urn:vmtrust:image-manifest:v1"

/* ---- the context ------------------------------------------------------- */

struct imgverify_ctx;

/* A context that carries the trust policy (borrowed, may be NULL when keys
 * are given with imgverify_add_key_file() instead). */
int imgverify_ctx_new(struct imgverify_ctx **ret, const struct policy *policy);
void imgverify_ctx_free(struct imgverify_ctx *ctx);
DEFINE_CLEANUP_FUNC(struct imgverify_ctx *, imgverify_ctx_free)

/* Trusts one more public key (PEM SubjectPublicKeyInfo or certificate) for
 * verification, besides the policy's image_trust keys; the context owns it.
 * Errors as policy_load_public_key(). */
int imgverify_add_key_file(struct imgverify_ctx *ctx, const char *path);

/* Progress of hashing, called in the calling thread (never from a worker)
 * after each chunk: bytes done and total of one layer. Libraries do not
 * print: the CLI draws a bar when stderr is a terminal. */
typedef void (*imgverify_progress_fn)(const char *layer, uint64_t done, uint64_t total,
				      void *userdata);
void imgverify_set_progress(struct imgverify_ctx *ctx, imgverify_progress_fn fn, void *userdata);

/* ---- formats -------------------------------------------------------------- */

enum imgverify_format {
	IMGVERIFY_FORMAT_RAW = 1,
	IMGVERIFY_FORMAT_QCOW2 = 2,
};

/* "raw", "qcow2"; NULL for anything else. */
const char *imgverify_format_name(enum imgverify_format f);

#define IMGVERIFY_QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define IMGVERIFY_QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define IMGVERIFY_QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define IMGVERIFY_QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define IMGVERIFY_QCOW2_INCOMPAT_EXTL2 (1ull << 4)
#define IMGVERIFY_QCOW2_AUTOCLEAR_BITMAPS (1ull << 0)
#define IMGVERIFY_QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ull << 1)

#define IMGVERIFY_QCOW2_CRYPT_NONE 0
#define IMGVERIFY_QCOW2_CRYPT_AES 1
#define IMGVERIFY_QCOW2_CRYPT_LUKS 2

/* The facts of an image header that decide how qemu reads it. For raw,
 * only format is set (virtual_size is the file size, filled by the caller
 * that knows it). Fixed-size: no allocation, no free. */
struct imgverify_header {
	enum imgverify_format format;
	uint64_t virtual_size;
	uint32_t version;                 /* qcow2: 2 or 3 */
	uint32_t cluster_bits;            /* 9..21 */
	uint32_t crypt_method;            /* IMGVERIFY_QCOW2_CRYPT_* (AES is refused); raw:
					   * LUKS for a LUKS container, else NONE */
	uint32_t refcount_order;          /* 0..6 */
	uint32_t header_length;           /* 72 for v2 */
	uint32_t nb_snapshots;
	uint64_t incompatible_features;
	uint64_t compatible_features;
	uint64_t autoclear_features;
	uint8_t compression_type;         /* 0 zlib, 1 zstd */
	bool has_backing;
	char backing[IMGVERIFY_BACKING_NAME_MAX + 1];               /* as written */
	char backing_format[IMGVERIFY_FORMAT_NAME_MAX + 1];         /* "raw", "qcow2" */
	uint32_t parsed_bytes;            /* the prefix of the file the parse read */
};

/* Parses the first bytes of an image file (len bytes of buf, at most
 * IMGVERIFY_HEADER_READ_MAX are looked at; file_size bounds offsets) with
 * hard bounds on every field. name is used in messages. Refuses (and logs):
 * -EBADMSG a malformed or truncated qcow2 header, or header extensions
 * QEMU and libvirt could read differently (an unknown one whose length is
 * not a multiple of 8, one seen twice, padding that is not zero or runs
 * past the extension area, a backing format or data file only libvirt's
 * reading finds, a backing name beyond what libvirt reads); -EMEDIUMTYPE
 * what a format probe of QEMU or libvirt takes for another format (qcow1,
 * QED, VMDK and VMDK text descriptors, VHDX, VHD, VDI, Parallels, Bochs,
 * cloop, COW); -EOPNOTSUPP unknown incompatible features, a dirty or
 * corrupt image, an external data file, legacy AES encryption; -EINVAL a
 * backing name that is json:, has a protocol (nbd:, http:, file: ...), is
 * empty or not text, a missing or unsupported backing format. Anything
 * else is raw (a LUKS container too, with crypt_method LUKS). The probes
 * that need the file's name or end (DMG, VHD footers) are the chain's. */
int imgverify_header_parse(const char *name, const void *buf, size_t len, uint64_t file_size,
			   struct imgverify_header *ret);

/* ---- hashing -------------------------------------------------------------- */

#define IMGVERIFY_DIGEST_SIZE 32   /* SHA-256 */

/* The digests of one file: SHA-256 of every chunk_size piece (the last may
 * be shorter), root = SHA-256 of the concatenated chunk digests, and the
 * plain SHA-256 of the whole file when asked for. */
struct imgverify_digests {
	uint64_t size;
	uint64_t chunk_size;
	size_t n_chunks;
	uint8_t *chunks;                        /* n_chunks * IMGVERIFY_DIGEST_SIZE */
	uint8_t root[IMGVERIFY_DIGEST_SIZE];
	bool has_sha256;
	uint8_t sha256[IMGVERIFY_DIGEST_SIZE];
	uint64_t bytes_read;                    /* data read: holes are not */
};

/* ---- manifests ------------------------------------------------------------ */

struct imgverify_guest;

/* DSSE pre-authentication encoding: "DSSEv1" SP len(type) SP type SP
 * len(body) SP body, lengths in ASCII decimal. *ret is malloc'ed. */
int imgverify_dsse_pae(const char *type, const void *body, size_t body_len, uint8_t **ret,
		       size_t *ret_len);

/* A layer as the manifest signs it, or as found on disk. */
struct imgverify_layer {
	char *name;                    /* top: the file name; below: the backing reference */
	char *path;                    /* the file opened (NULL in a parsed manifest) */
	uint64_t size;                 /* file size */
	struct imgverify_header header;
	struct imgverify_digests digests;
	bool hashed;                   /* digests hold the file's content */
};

struct imgverify_manifest {
	char *name;                    /* the image name policy rules match */
	char *version;                 /* free text, or NULL */
	uint64_t sequence;
	int64_t issued;                /* seconds since the epoch, UTC */
	int64_t expires;
	size_t n_layers;               /* top first, then its backing, and so on */
	struct imgverify_layer *layers;
	struct imgverify_guest *inspection;   /* signed guest findings, or NULL */
};
void imgverify_manifest_free(struct imgverify_manifest *m);
DEFINE_CLEANUP_FUNC(struct imgverify_manifest *, imgverify_manifest_free)

/* Parses an in-toto Statement holding a vmtrust image predicate: strict
 * (known keys only, types, ranges, hex digests, chunk counts that match the
 * sizes, a chain whose backing references name the next layer). Call it
 * only on a payload whose signature verified. -EBADMSG for a malformed
 * statement, -EOPNOTSUPP for another statement or predicate type or an
 * unsupported digest algorithm. */
int imgverify_statement_parse(const char *name, const char *payload, size_t len,
			      struct imgverify_manifest **ret);

struct imgverify_signature {
	char *keyid;                   /* a hint, never trusted: may be NULL */
	uint8_t *sig;
	size_t sig_len;
	char *cert;                    /* PEM: the signing certificate, then intermediates */
};

struct imgverify_envelope {
	char *payload_type;
	uint8_t *payload;              /* NUL-terminated for convenience */
	size_t payload_len;
	size_t n_signatures;
	struct imgverify_signature *signatures;
};
void imgverify_envelope_free(struct imgverify_envelope *e);
DEFINE_CLEANUP_FUNC(struct imgverify_envelope *, imgverify_envelope_free)

/* Parses a DSSE JSON envelope (at most IMGVERIFY_MANIFEST_MAX bytes);
 * unknown fields are ignored, as DSSE requires. -EBADMSG when malformed. */
int imgverify_envelope_parse(const char *name, const char *json, size_t len,
			     struct imgverify_envelope **ret);

/* ---- signing ---------------------------------------------------------------- */

struct imgverify_sign_opts {
	const char *key_path;            /* PEM file, pkcs11: URI or TPM key */
	const struct policy_key_opts *key_opts;   /* its PIN, module; may be NULL */
	const char *const *cert_paths;   /* PEM certificates: the key's first */
	size_t n_cert_paths;
	const char *name;                /* image name (required) */
	const char *version;             /* or NULL */
	uint64_t sequence;
	int64_t issued;                  /* 0: now */
	int64_t expires;                 /* must be after issued */
	uint64_t chunk_size;             /* 0: imgverify_chunk_size_for() */
	bool inspect;                    /* also inspect the guest (one libguestfs
					  * appliance launch), check the inspect
					  * section of the policy rule named name,
					  * record the findings in the manifest */
};

/* Walks the image's backing chain, refusing what verification would refuse,
 * hashes every layer and returns the signed DSSE envelope (JSON text,
 * malloc'ed) in *ret_json. Writes nothing. -EBUSY when a layer changed while
 * being hashed. With opts->inspect, -EUCLEAN (each failure logged) when the
 * guest fails a check of the context policy's rule: such an image is not
 * signed. */
int imgverify_sign(struct imgverify_ctx *ctx, const char *image,
		   const struct imgverify_sign_opts *opts, char **ret_json, size_t *ret_len);

/* "IMAGE.manifest.json", malloc'ed; NULL when out of memory. */
char *imgverify_default_manifest_path(const char *image);

/* Opens the image and walks its backing chain (headers only, or with
 * digests when hash is set), with the same checks as signing. The result
 * is a manifest without name and times (layers only). */
int imgverify_inspect(struct imgverify_ctx *ctx, const char *image, bool hash,
		      struct imgverify_manifest **ret);

/* ---- verification ------------------------------------------------------------ */

struct imgverify_failure {
	int error;                       /* negative errno, as above */
	char *layer;                     /* or NULL when it is about the manifest */
	char *message;                   /* without the "cannot verify 'IMAGE': " prefix */
};

struct imgverify_report {
	char *image;
	char *manifest_path;
	bool verified;                   /* true only when every check held */
	bool signature_ok;
	char *signer;                    /* "key 'publisher'", "certificate 'CN=...'" */
	char *keyid;                     /* fingerprint of the key that verified */
	struct imgverify_manifest *manifest;   /* once its signature verified; a layer's
						* subject digest (digests.has_sha256) is
						* kept only when verification computed the
						* file's SHA-256 and it was equal: what is
						* handed on is what was checked */
	size_t n_layers;                 /* as found on disk, top first */
	struct imgverify_layer *layers;
	size_t n_failures;
	struct imgverify_failure *failures;
	struct imgverify_guest *guest;   /* the inspection IMGVERIFY_INSPECT made, or NULL */
	size_t n_fds;                    /* IMGVERIFY_KEEP_FDS, verified: one per layer, */
	int *fds;                        /* top first; -1 once taken */
};
/* Frees a report and closes the descriptors it still holds. */
void imgverify_report_free(struct imgverify_report *r);
DEFINE_CLEANUP_FUNC(struct imgverify_report *, imgverify_report_free)

/* Hands over the verified descriptor of layer i (IMGVERIFY_KEEP_FDS): the
 * caller owns it from then on, with its lease. -1 when there is none. */
int imgverify_report_take_fd(struct imgverify_report *r, size_t i);

#define IMGVERIFY_FAIL_FAST (1u << 0)   /* stop at the first failure */
#define IMGVERIFY_INSPECT (1u << 1)     /* also inspect the guest: see below */
#define IMGVERIFY_KEEP_FDS (1u << 2)    /* keep the verified descriptors: see below */
#define IMGVERIFY_WRITABLE (1u << 3)    /* with KEEP_FDS: the top layer will be written */

/* Verifies an image and its backing chain against a manifest (NULL: the
 * default path): a signature by a trusted key (an added key, a policy
 * image_trust key, or a certificate chaining to a policy CA with
 * digitalSignature usage), not expired, not issued in the future, sequence
 * at least the policy rule's min_sequence, key and digests not revoked,
 * every layer's size, format, header facts, backing reference and chunk
 * digests as signed, nothing changed while verifying. When the policy
 * revokes digests, each file's SHA-256 is computed too (one more
 * sequential pass): it must equal the subject's, and revocation matches
 * the digests computed from the files, never the manifest's claims.
 *
 * The inspect section of the policy rule for the image's name, when there
 * is one, is checked against the manifest's signed guest findings (no
 * appliance is launched): a rule check the findings do not cover is a
 * denial. With IMGVERIFY_INSPECT, and only once everything else held, the
 * guest is inspected again (one libguestfs appliance launch): its findings
 * must equal the signed ones (a manifest without findings is denied), and
 * the rule's checks must hold on the guest as it is.
 *
 * With IMGVERIFY_KEEP_FDS, a report of a verified image keeps the
 * descriptors every layer was opened, parsed and hashed through, their
 * leases still held, instead of closing them (report->fds, close-on-exec):
 * a launcher hands these very descriptors to QEMU, never a path that could
 * name another file by then. Each is O_RDONLY under a read lease; with
 * IMGVERIFY_WRITABLE the top layer is opened O_RDWR instead, under a write
 * lease (F_WRLCK), which the kernel grants only while no other descriptor of
 * the file is open anywhere and breaks at any other open: nothing else
 * wrote it while it was verified (-ETXTBSY when something has it open). A
 * report of an image that failed holds no descriptor.
 *
 * Returns 0 when all hold. Otherwise the error of the first denial (or the
 * first failure when none is a denial), each failure logged as one line
 * "cannot verify 'IMAGE': ...". Unlike a ret_ parameter, *report is written
 * on failure too whenever the manifest could be read, so that a caller can
 * show every reason; free it with imgverify_report_free(). */
int imgverify_verify(struct imgverify_ctx *ctx, const char *image, const char *manifest,
		     unsigned flags, struct imgverify_report **report);

/* ---- guest inspection (libguestfs) ------------------------------------------ */

#define IMGVERIFY_GUEST_BOOT_MAX 32             /* kernels and initrds in /boot */
#define IMGVERIFY_GUEST_CHECKS_MAX 256          /* paths a rule or a manifest checks */
#define IMGVERIFY_GUEST_MOUNTS_MAX 64           /* file systems of one guest */
#define IMGVERIFY_GUEST_PATH_MAX 1024           /* bytes of a path inside the guest */
#define IMGVERIFY_GUEST_TEXT_MAX 255            /* an OS fact: distro, hostname, ... */
#define IMGVERIFY_GUEST_FILE_MAX (1ull << 30)   /* bytes of a guest file to hash */

enum imgverify_boot_kind {
	IMGVERIFY_BOOT_KERNEL = 1,     /* /boot/vmlinuz* */
	IMGVERIFY_BOOT_INITRD = 2,     /* /boot/initrd*, /boot/initramfs* */
};

/* A kernel or initrd in the guest's /boot: a regular file and its SHA-256,
 * or a symbolic link and its target (not followed, not hashed). */
struct imgverify_boot_file {
	char *path;
	enum imgverify_boot_kind kind;
	char *link;                              /* NULL for a regular file */
	uint8_t sha256[IMGVERIFY_DIGEST_SIZE];
};

enum imgverify_check_kind {
	IMGVERIFY_CHECK_MATCH = 1,     /* a regular file (symbolic links followed inside
					* the guest) whose SHA-256 is want */
	IMGVERIFY_CHECK_ABSENT = 2,    /* nothing at the path, not even a symbolic link */
};

/* One check of a path inside the guest, and what was found there. */
struct imgverify_guest_check {
	char *path;
	enum imgverify_check_kind kind;
	uint8_t want[IMGVERIFY_DIGEST_SIZE];     /* MATCH: the digest required */
	bool present;                            /* something is at the path (lstat) */
	bool hashed;                             /* a regular file: found is its SHA-256 */
	uint8_t found[IMGVERIFY_DIGEST_SIZE];
	bool ok;                                 /* the check held */
	char *message;                           /* why not ("guest file '/x' is ..."), or NULL */
};

/* What inspection found in a guest. The strings are libguestfs's names
 * ("linux", "debian", "x86_64"; "unknown" when it cannot tell), checked to
 * be printable text of at most IMGVERIFY_GUEST_TEXT_MAX bytes. Boot files
 * and checks are sorted by path. */
struct imgverify_guest {
	char *os_type;
	char *distro;
	int major_version;
	int minor_version;
	char *arch;
	char *hostname;
	size_t n_boot;
	struct imgverify_boot_file *boot;
	char *rule;                              /* the policy rule checked, or NULL */
	size_t n_checks;
	struct imgverify_guest_check *checks;
	size_t n_failed;                         /* checks that did not hold */
};
void imgverify_guest_free(struct imgverify_guest *g);
DEFINE_CLEANUP_FUNC(struct imgverify_guest *, imgverify_guest_free)

/* Inspects the operating system inside an image with libguestfs, with one
 * appliance launch: the image and its backing chain are first walked and
 * checked as for signing (the format of every layer is vmtrust's own
 * parse, handed to libguestfs and qemu explicitly: nothing is probed), the
 * disk is added read-only, the appliance has no network, the guest's file
 * systems are mounted read-only inside the appliance (never on the host).
 * Finds the OS facts, hashes the kernels and initrds in /boot, and runs the
 * checks of rule's inspect section (rule may be NULL: no checks). A failed
 * check is a finding, not an error: 0 is returned and g->n_failed counts
 * them. Errors as above; libguestfs never prints: its messages and
 * debug output go to the log sink. *ret is freed with
 * imgverify_guest_free(). */
int imgverify_guest_inspect(struct imgverify_ctx *ctx, const char *image,
			    const struct policy_image_rule *rule, struct imgverify_guest **ret);

/* The rule of a policy for an image name, or NULL. */
const struct policy_image_rule *imgverify_policy_rule(const struct policy *p, const char *name);

/* "kernel", "initrd". */
const char *imgverify_boot_kind_name(enum imgverify_boot_kind k);

/* ---- times --------------------------------------------------------------- */

/* RFC 3339 UTC times as the manifest writes them: "2025-01-31T12:00:00Z"
 * (exactly that form). -EINVAL otherwise. out holds 21 bytes. */
int imgverify_time_parse(const char *s, int64_t *ret);
void imgverify_time_format(int64_t t, char *out);

#endif
