/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* imgverify internals shared by its source files; not installed. */
#ifndef VMTRUST_IMGVERIFY_INTERNAL_H
#define VMTRUST_IMGVERIFY_INTERNAL_H

#include <stdarg.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "imgverify.h"

/* ---- the library's own API, reached by its tests and fuzzers ---------- */

/* Hashing threads: 0 (default) means one per online CPU. */
void imgverify_set_threads(struct imgverify_ctx *ctx, unsigned n);

/* The clock used for expiry and certificate validity (default: time()). */
void imgverify_set_time(struct imgverify_ctx *ctx, time_t now);

/* "raw", "qcow2" back to the format: 0 when unknown. */
enum imgverify_format imgverify_format_from_name(const char *name);

void imgverify_digests_done(struct imgverify_digests *d);

/* Hashes size bytes of an open regular file with pread, chunks in parallel
 * (imgverify_set_threads), skipping holes (SEEK_DATA/SEEK_HOLE: a chunk
 * with no data gets the digest of zeros without being read). With whole,
 * also the sequential SHA-256 of the file. When prefix is given, the first
 * prefix_len bytes read must equal it (what a parser checked is what is
 * hashed). -EBUSY when the file ends early or the prefix differs (it
 * changed while being read), -EIO on read errors, -EFBIG when size needs
 * more than IMGVERIFY_CHUNKS_MAX chunks, -EINVAL for a bad chunk size. */
int imgverify_hash_fd(struct imgverify_ctx *ctx, const char *name, int fd, uint64_t size,
		      uint64_t chunk_size, bool whole, const void *prefix, size_t prefix_len,
		      struct imgverify_digests *ret);

/* The chunk size used when signing a file of this size: the default, or a
 * larger power of two so that there are at most IMGVERIFY_CHUNKS_MAX. */
uint64_t imgverify_chunk_size_for(uint64_t size);

/* Base64 (RFC 4648): encoding with the standard alphabet and padding;
 * decoding accepts the standard or URL-safe alphabet, padding optional,
 * nothing else (no whitespace). -EINVAL on bad input. */
int imgverify_base64_encode(const void *data, size_t len, char **ret);
int imgverify_base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len);

/* The key id vmtrust writes: lowercase hex SHA-256 of the DER
 * SubjectPublicKeyInfo (openssl pkey -pubin -outform DER | sha256sum).
 * out holds 2 * IMGVERIFY_DIGEST_SIZE + 1 bytes. */
int imgverify_key_fingerprint(void *pkey, char *out);

struct extra_key {
	char *name;
	EVP_PKEY *pkey;
};

struct imgverify_ctx {
	const struct policy *policy;
	struct extra_key *keys;
	size_t n_keys;
	unsigned threads;
	bool now_set;
	time_t now;
	imgverify_progress_fn progress;
	void *progress_userdata;
	char *guest_dir;       /* tests: a directory is the guest, not libguestfs */
};

time_t ctx_now(const struct imgverify_ctx *ctx);
unsigned ctx_threads(const struct imgverify_ctx *ctx);

/* Where failures go: each is logged once as "cannot VERB 'IMAGE': MSG"
 * (MSG starting with "layer 'L': " when it is about a layer), and kept in
 * the report when there is one. */
struct sink {
	const char *verb;                 /* "verify", "sign", "read" */
	const char *image;
	struct imgverify_report *report;  /* or NULL */
	int first;                        /* the first error, 0 while none */
	int first_denial;
};

bool error_is_denial(int err);
int sink_fail(struct sink *s, int err, const char *layer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Records a failure already logged by a helper (vt_read_file). */
int sink_record(struct sink *s, int err, const char *layer, const char *msg);

/* ---- format.c ---- */

/* Like imgverify_header_parse() but silent: the reason goes into why. */
int header_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct imgverify_header *h,
		 char *why, size_t why_size);

/* Refuses backing names qemu would not take as a plain file name. */
int check_backing_name(const char *name, size_t len, char *why, size_t why_size);

/* One open layer of a chain: the descriptor every check and every hash
 * reads from, its stat at opening, and the header bytes that were parsed. */
struct chain_layer {
	struct imgverify_layer l;
	int fd;
	struct stat st;
	uint8_t *head;
	size_t head_len;
	bool parsed;           /* the header was read and accepted */
	int lease;             /* F_RDLCK, or F_WRLCK for a top layer opened O_RDWR */
};

struct chain {
	size_t n;
	struct chain_layer layers[IMGVERIFY_CHAIN_MAX];
};

/* Opens the image and each backing file in turn (backing files relative to
 * the directory of the layer naming them, never through a symlink as the
 * last component), parses each header and checks the chain (depth, loops,
 * backing formats). On failure the layers opened so far stay in c (c->n)
 * and the failure is in the sink. */
int chain_open(struct sink *s, const char *image, struct chain *c);
/* The same a step at a time: chain_start() opens the image as layer 0,
 * chain_next() the backing file of the last layer (1 when it opened one, 0
 * at the end of the chain). Verification compares each header with the
 * manifest before it follows the backing reference it names. */
int chain_start(struct sink *s, const char *image, struct chain *c);
/* chain_start() for a top layer that will be written (IMGVERIFY_WRITABLE):
 * opened O_RDWR under a write lease (F_WRLCK), which the kernel grants only
 * while no other descriptor of the file is open anywhere, and breaks at any
 * other open, for reading too (-ETXTBSY while anything has it open). */
int chain_start_writable(struct sink *s, const char *image, struct chain *c);
int chain_next(struct sink *s, struct chain *c);
void chain_close(struct chain *c);

/* Every layer is opened under a read lease (fcntl F_SETLEASE): a layer open
 * for writing is refused (-ETXTBSY) and the lease breaks when anyone opens
 * a layer for writing or truncates it later. */

/* Moves the descriptors of the chain's layers, leases and all, into fds
 * (c->n of them): the chain no longer closes them. */
void chain_take_fds(struct chain *c, int *fds);

/* Hashes one opened layer (whole: also the plain SHA-256) and checks that
 * its lease held (nobody opened it for writing meanwhile). On success the
 * digests are in c->l.digests. Returns -EBUSY, not logged, when the file
 * ended early or the lease broke: the caller says what it means for it. */
int chain_hash_layer(struct imgverify_ctx *ctx, struct sink *s, struct chain_layer *c,
		     uint64_t chunk_size, bool whole);

/* 0 when the lease of every open layer is intact; else -err, logged as
 * "'PATH' was opened for writing WHILE_WHAT". */
int chain_leases_held(struct sink *s, const struct chain *c, int err, const char *while_what);

/* A path for a backing reference as qemu resolves it: absolute as is, else
 * relative to the directory of the layer that names it. */
int backing_path(const char *layer_path, const char *backing, char **ret);

/* ---- manifest.c ---- */

/* Builds the in-toto Statement (compact JSON, malloc'ed) for a manifest. */
int statement_build(const struct imgverify_manifest *m, char **ret, size_t *ret_len);
/* Builds the DSSE envelope around a payload with one signature. */
int envelope_build(const char *payload, size_t payload_len, const char *keyid,
		   const uint8_t *sig, size_t sig_len, const char *cert_pem, char **ret,
		   size_t *ret_len);

/* The public parsers, with a copy of the logged message in err. */
int statement_parse(const char *name, const char *payload, size_t len,
		    struct imgverify_manifest **ret, char *err, size_t err_size);
int envelope_parse(const char *name, const char *json, size_t len, struct imgverify_envelope **ret,
		   char *err, size_t err_size);

void layer_done(struct imgverify_layer *l);

/* ---- inspect.c ---- */

/* One check to run inside a guest, and who asks for it (for messages:
 * "policy rule 'golden'", "the signed inspection"). */
struct guest_spec {
	const char *path;
	enum imgverify_check_kind kind;
	const uint8_t *want;              /* MATCH: IMGVERIFY_DIGEST_SIZE bytes */
	const char *origin;
};

/* Inspects the guest of an open, checked chain (one appliance launch, or
 * the test directory of ctx), runs the checks and sorts the result.
 * Failures go to the sink. */
int guest_run(struct imgverify_ctx *ctx, struct sink *s, const struct chain *c,
	      const struct guest_spec *specs, size_t n_specs, const char *rule,
	      struct imgverify_guest **ret);

/* The checks of a rule's inspect section (none without one); *ret is
 * malloc'ed and borrows from rule and origin. */
int rule_specs(struct sink *s, const struct policy_image_rule *rule, const char *origin,
	       struct guest_spec **ret, size_t *ret_n);

/* Sets c->ok and c->message from what was found (present, hashed, found). */
int check_eval(struct imgverify_guest_check *c, const char *origin);

/* Absolute, canonical, printable, at most max bytes. */
bool guest_path_ok(const char *path, size_t max);

/* The kind of a /boot entry by its name, 0 when it is neither. */
int boot_kind_of(const char *name);

/* Sorts boot files and checks by path. */
void guest_sort(struct imgverify_guest *g);

/* Tests: inspect this directory as the guest's root instead of launching
 * libguestfs on the image (the image is still walked and checked). */
int ctx_set_guest_dir(struct imgverify_ctx *ctx, const char *dir);

/* ---- helpers ---- */

/* The kinds of key vmtrust signs with, as policy/sign.c accepts them:
 * Ed25519, ECDSA P-256/P-384, RSA of 2048 bits or more. -EOPNOTSUPP with
 * a static reason in *why otherwise. */

void hex32(const uint8_t d[IMGVERIFY_DIGEST_SIZE], char out[2 * IMGVERIFY_DIGEST_SIZE + 1]);

/* true when an untrusted string is printable text we may quote in a
 * message (no control characters). */
bool is_printable(const char *s, size_t len);

#endif
