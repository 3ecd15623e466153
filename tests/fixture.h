/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fixtures the test suites share (test code: a failure aborts the test).
 *
 * A TCG PC Client event log built byte by byte, with the replay a test
 * expects computed here, independently of attest/:
 *
 *	static const struct fx_bank banks[] = { FX_SHA1, FX_SHA256 };
 *	struct fx_buf b = { 0 };
 *
 *	fx_spec_id(&b, banks, 2, 0);
 *	fx_startup_locality(&b, banks, 2, 3);
 *	fx_event2(&b, 7, ATTEST_EV_SEPARATOR, banks, 2, "\0\0\0\0", 4, NULL);
 *	attest_eventlog_parse("log", b.p, b.len, &log);
 *	... fx_check_replay(&b, values, n) ...
 *	fx_buf_free(&b);
 *
 * a file writer for the suites' fixture files, and their suites as tables:
 *
 *	const struct fx_tcase cases[] = {
 *		{ "replay", setup, NULL, 0, { FX_T(test_agile), FX_LOOP(test_bad, ELEMENTSOF(bad)) } },
 *	};
 *	return fx_run(fx_suite("eventlog", cases, ELEMENTSOF(cases)));
 *
 * The builder (fixture.c) needs no Check runner: bench-verify and fuzz-verify
 * link it. The rest (fixture-check.c) fails the Check test it runs in.
 */
#ifndef VMTRUST_TEST_FIXTURE_H
#define VMTRUST_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <check.h>

struct policy_pcr_value;

/* For fixture code outside a Check test (bench-verify, fuzz-verify): x holds,
 * or the process aborts naming it. */
#define fx_must(x)                                                                             \
	do {                                                                                   \
		if (!(x)) {                                                                    \
			fprintf(stderr, "%s:%d: fixture failed: %s\n", __FILE__, __LINE__, #x); \
			abort();                                                               \
		}                                                                              \
	} while (0)

/* ---- a growable buffer ------------------------------------------------------- */

#define FX_BANKS_MAX 8
#define FX_PCRS 24
#define FX_DIGEST_MAX 64

/* A bank of the log: its TPM2_ALG_ID, its digest size and its OpenSSL digest
 * name (NULL: an algorithm vmtrust does not know; its digests are 0xab bytes
 * and it is not replayed). */
struct fx_bank {
	uint16_t id;
	uint16_t size;
	const char *ossl;
};
#define FX_SHA1 { 0x0004, 20, "SHA1" }
#define FX_SHA256 { 0x000b, 32, "SHA256" }
#define FX_SHA384 { 0x000c, 48, "SHA384" }
#define FX_SM3_256 { 0x0012, 32, NULL }

/* Bytes, and when they are an event log built by fx_spec_id/fx_event*, the
 * banks of its Spec ID event and the PCR values its replay gives. Starts
 * zeroed ({ 0 }); fx_buf_free() frees and zeroes it again. */
struct fx_buf {
	uint8_t *p;
	size_t len, cap;
	struct fx_bank banks[FX_BANKS_MAX];     /* the Spec ID event's (legacy: sha1) */
	size_t n_banks;
	uint8_t pcr[FX_BANKS_MAX][FX_PCRS][FX_DIGEST_MAX];
	uint32_t extended[FX_BANKS_MAX];        /* the PCRs an event extended, by bank */
};

void fx_put(struct fx_buf *b, const void *data, size_t n);
/* v as n little-endian bytes. */
void fx_put_le(struct fx_buf *b, uint64_t v, size_t n);
/* Overwrites n little-endian bytes at offset at (a field of a built log). */
void fx_poke_le(struct fx_buf *b, size_t at, uint64_t v, size_t n);
void fx_buf_free(struct fx_buf *b);

/* ---- a TCG event log ------------------------------------------------------------ */

/* The digest of data in bank bk (0xab bytes for an unknown algorithm). */
void fx_digest(const struct fx_bank *bk, const void *data, size_t len, uint8_t *out);

/* The Spec ID event (TCG_EfiSpecIDEvent, "Spec ID Event03") listing banks,
 * with vendor_size bytes of vendor info (0xc0, 0xc1, ...). The replay's
 * banks are these. */
void fx_spec_id(struct fx_buf *b, const struct fx_bank *banks, size_t n_banks, uint8_t vendor_size);

/* A TCG_PCR_EVENT2 with a digest for each of banks[0..n_banks): the hash of
 * data (zero for EV_NO_ACTION), or digests[i] when digests is given (to
 * forge wrong ones). The replay extends what is logged, as a TPM would have
 * been; an EV_NO_ACTION is not extended, a StartupLocality one sets the
 * value PCR 0 starts at. */
void fx_event2(struct fx_buf *b, uint32_t pcr, uint32_t type, const struct fx_bank *banks,
	       size_t n_banks, const void *data, size_t len, const uint8_t (*digests)[FX_DIGEST_MAX]);

/* EV_NO_ACTION "StartupLocality" with the given locality. */
void fx_startup_locality(struct fx_buf *b, const struct fx_bank *banks, size_t n_banks, uint8_t locality);

/* A legacy TCG_PCClientPCREvent (sha1 only), for logs without a Spec ID
 * event. */
void fx_event1(struct fx_buf *b, uint32_t pcr, uint32_t type, const void *data, size_t len);

/* The value PCR 0 starts at in every bank of the replay: the locality in its
 * last byte (what StartupLocality does, and an H-CRTM's locality 4). */
void fx_replay_pcr0_start(struct fx_buf *b, uint8_t locality);

/* The replayed value of pcr in the bank alg (a TPM2_ALG_ID), NULL when no
 * event extended it. */
const uint8_t *fx_replay_pcr(const struct fx_buf *b, uint16_t alg, unsigned pcr);

/* Asserts that values[0..n) (attest_eventlog_replay's: bank by bank in the
 * Spec ID event's order, PCRs ascending) is exactly b's replay. */
void fx_check_replay(const struct fx_buf *b, const struct policy_pcr_value *values, size_t n);

/* UEFI_VARIABLE_DATA: the GUID, the name (ASCII, written UCS-2), data. */
void fx_efi_variable(struct fx_buf *v, const uint8_t guid[16], const char *name, const void *data,
		     size_t len);
/* EFI_GLOBAL_VARIABLE, the GUID of SecureBoot */
extern const uint8_t fx_efi_global_guid[16];

/* ---- files ------------------------------------------------------------------------ */

/* Writes data[0..len) to path with exactly mode (umask aside), replacing
 * whatever path named (a link is replaced, not followed). ck_abort with the
 * path and errno on failure. */
void fx_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* The same for a string. */
void fx_write_text(const char *path, const char *text, mode_t mode);

/* ---- text --------------------------------------------------------------------------- */

/* s with the first occurrence of from replaced by to (malloc'ed); from must
 * occur. */
char *fx_replace(const char *s, const char *from, const char *to);

/* ---- keys ------------------------------------------------------------------------- */

typedef struct evp_pkey_st EVP_PKEY;

/* A new key of spec ("ed25519", "p256", "p384", "rsa2048" or "rsa3072"),
 * written as PEM: the private key (PKCS#8) to priv, and its public key
 * (SubjectPublicKeyInfo) to pub unless pub is NULL, both mode 0644. Returns
 * the key, which the caller frees. */
EVP_PKEY *fx_key_pem(const char *spec, const char *priv, const char *pub);

/* ---- suites ------------------------------------------------------------------------ */

/* A test of a TCase: loops > 0 makes it a loop test over _i = 0..loops-1. */
struct fx_test {
	const TTest *test;
	int loops;
};

#define FX_T(test) { (test), 0 }
#define FX_LOOP(test, n) { (test), (int)(n) }

#define FX_TESTS_MAX 24

/* A TCase: its name, its checked fixture (either may be NULL), its timeout
 * in seconds (0: Check's default, CK_DEFAULT_TIMEOUT) and its tests in the
 * order they run, up to the first without a test. */
struct fx_tcase {
	const char *name;
	SFun setup, teardown;
	double timeout;
	struct fx_test tests[FX_TESTS_MAX];
};

/* A suite of the TCases cases[0..n). */
Suite *fx_suite(const char *name, const struct fx_tcase *cases, size_t n);

/* Runs s (CK_NORMAL) and frees it: EXIT_SUCCESS when every test passed,
 * else EXIT_FAILURE. */
int fx_run(Suite *s);

/* The same with $TMPDIR a scratch directory of its own (prefix "vmtrust-"
 * name), removed afterwards: what the tests leave there (swtpm state, keys)
 * goes, also when a failed test skipped its teardown. */
int fx_run_scratch(Suite *s, const char *name);

#endif
