/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the attest library: what the files of the verifier share (the
 * state of one verification, the verdict under construction, the cache of
 * parsed logs and keys, the checks in the order attest_verify_flags() runs
 * them). Not installed, not for callers of attest.h.
 */
#ifndef VMTRUST_ATTEST_INTERNAL_H
#define VMTRUST_ATTEST_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "attest.h"

#define ALGS_MAX 8                      /* entries of vt_hash_algs() */
#define REASON_MAX 1024

/* ---- digests, fetched once per process (verify.c) ------------------------- */

extern const struct vt_hash_alg *verify_alg_table;
extern size_t verify_alg_count;
/* The position of alg in vt_hash_algs(), or -1. */
int verify_alg_index(const struct vt_hash_alg *alg);
const struct evp_md_st *verify_md(const struct vt_hash_alg *alg);
/* out = H(a || b) in alg; -ENOTRECOVERABLE. */
int verify_digest2(struct evp_md_ctx_st *ctx, const struct vt_hash_alg *alg, const void *a,
		   size_t a_len, const void *b, size_t b_len, uint8_t *out);

/* ---- the verdict (verdict.c) ------------------------------------------------ */

/* The names and reasons live in one text buffer; while it grows, a check
 * holds offsets into it (in .name and .reason), made pointers when the
 * verdict is complete. */
struct attest_verdict {
	struct attest_check *checks;
	size_t n, cap;
	size_t n_failed;
	char *text;
	size_t text_len, text_cap;
};

struct quoted_bank {
	uint32_t mask;                                  /* PCRs the quote covers */
	uint8_t value[POLICY_PCR_MAX][VT_DIGEST_MAX];
};

struct verify {
	const struct policy *p;
	const struct attest_evidence *e;
	struct attest_verdict *v;
	EVP_MD_CTX *md;
	int err;                        /* the first internal failure */
	char why[512];                  /* a captured library message */

	struct log_entry *ak_entry;
	EVP_PKEY *ak;                   /* the key the signature is checked with */
	TPM2B_PUBLIC ak_public;

	TPMT_SIGNATURE sig;
	const struct vt_hash_alg *sig_hash;

	TPMS_ATTEST attest;
	bool have_attest;
	struct quoted_bank quoted[ALGS_MAX];    /* by verify_alg_index() */

	unsigned flags;                 /* ATTEST_VERIFY_* */

	struct log_entry *uefi_entry;
	const struct attest_eventlog *uefi;
	bool uefi_ok;                   /* the log replays to every quoted PCR it extends
					 * and to each quoted PCR 0-7 of its banks */
	uint32_t uefi_proven[ALGS_MAX]; /* by bank: PCRs the log's replay equals as quoted */

	struct log_entry *mlog_entry;
	const struct attest_mlog *mlog;
	size_t n_measured;              /* records that count: all but a pending last */
	bool mlog_bound;                /* the log replays to the quoted measurement PCR */
	uint32_t mlog_banks;            /* by verify_alg_index(): the banks that prove its records */
};


/* A check named prefix + suffix (suffix may be NULL); the first internal
 * failure sticks in s->err. */
int verify_add_check2(struct verify *s, enum attest_check_status st, const char *prefix,
		      const char *suffix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define verify_add_check(s, st, name, ...) verify_add_check2(s, st, name, NULL, __VA_ARGS__)
#define OK(s, name, ...) verify_add_check(s, ATTEST_CHECK_OK, name, __VA_ARGS__)
#define WARN(s, name, ...) verify_add_check(s, ATTEST_CHECK_WARNING, name, __VA_ARGS__)
#define FAIL(s, name, ...) verify_add_check(s, ATTEST_CHECK_FAILED, name, __VA_ARGS__)

/* Records an internal failure (the first one is returned by attest_verify). */
int verify_internal(struct verify *s, int r);
/* The captured message, or a fallback for a failure that logged nothing. */
const char *verify_why(struct verify *s, int r);
/* Makes the checks' offsets pointers, once every check is in. */
void verify_verdict_finish(struct attest_verdict *v);
/* Appends "sha256:0,7" style text for a set of PCRs to buf. */
void verify_append_pcrs(char *buf, size_t size, const char *bank, uint32_t mask);

/* ---- logs and keys seen before (verify-cache.c) ------------------------------ */

#define CACHE_SLOTS 8
#define CACHE_BYTES_MAX (1024 * 1024)

enum { CACHE_UEFI, CACHE_MLOG, CACHE_AK, CACHE_KINDS };

struct log_entry {
	unsigned refs;
	uint8_t *bytes;                 /* NULL: too large to keep */
	size_t len;
	struct attest_eventlog *uefi;
	struct attest_mlog *mlog;
	EVP_PKEY *ak;                   /* AK: the key of a TPM2B_PUBLIC */
	uint8_t name[ATTEST_NAME_MAX];  /* AK: its TPM name (0 bytes: none) */
	size_t name_len;
	uint32_t pcrs_done[ALGS_MAX];   /* UEFI: by bank (verify_alg_index()), the PCRs
					 * replayed in pcr[] */
	uint32_t mlog_bound;            /* measurement log: banks whose digests were
					 * checked against their content */
	uint32_t used[ALGS_MAX];        /* UEFI: the PCRs with an extend */
	uint8_t pcr[ALGS_MAX][POLICY_PCR_MAX][VT_DIGEST_MAX];
};

extern pthread_mutex_t verify_cache_lock;
/* A cached entry of kind for exactly these bytes (a new reference), or NULL. */
struct log_entry *verify_cache_get(int kind, const void *bytes, size_t len);
/* Keeps e (the caller's reference stays the caller's) when small enough. */
void verify_cache_put(int kind, struct log_entry *e);
/* A new entry for bytes (one reference); parse is the caller's. */
struct log_entry *verify_entry_new(const void *bytes, size_t len);
void verify_entry_free(struct log_entry *e);
void verify_entry_unref(struct log_entry *e);
/* The UEFI log's replay of the PCRs of mask in bank a (by
 * verify_alg_index()), each once per entry: e->pcr[a], e->used[a]. */
int verify_uefi_replay_bank(struct log_entry *e, int a, uint32_t mask);
/* The measurement log's binding of digests to content in bank a, once per
 * entry (attest_mlog_bind_bank: 0, or -EBADMSG logged). */
int verify_mlog_bind_bank(struct log_entry *e, int a);

/* ---- the checks, in order ------------------------------------------------------ */

/* verify-quote.c: the AK, the signature, TPMS_ATTEST, the PCR digest and selection */
int verify_unmarshal_public(const uint8_t *data, size_t len, TPM2B_PUBLIC *out);
int verify_check_ak(struct verify *s);
int verify_check_signature(struct verify *s);
int verify_check_attest(struct verify *s, const uint8_t *nonce, size_t nonce_len);
int verify_check_pcr_digest(struct verify *s);
int verify_check_pcr_selection(struct verify *s);
/* verify-logs.c: the UEFI log, Secure Boot, the measurement log, references,
 * expected PCR values, the host audit record */
int verify_check_uefi_log(struct verify *s);
int verify_check_secure_boot(struct verify *s);
int verify_check_mlog_replay(struct verify *s);
int verify_check_references(struct verify *s);
int verify_check_pcr_values(struct verify *s);
int verify_check_host_audit(struct verify *s);

#endif
