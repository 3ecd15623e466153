/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attest/tpm.c against a real TPM 2.0 (swtpm, one per test). Expected PCR
 * values are computed here with OpenSSL from the PC Client reset values, never
 * read back through the code under test.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fixture.h"
#include "attest.h"
#include "swtpm-fixture.h"
#include "test-log.h"
#include "tpm-internal.h"

static struct swtpm_fixture tpm;
static struct attest_ctx *ctx;

/* ---- fixtures --------------------------------------------------------------- */

static void setup_swtpm(void)
{
	test_log_capture();
	ck_assert_int_eq(swtpm_fixture_start(&tpm), 0);
}

static void setup_ctx(void)
{
	setup_swtpm();
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_uint_eq(n_errors, 0);
}

static void teardown(void)
{
	attest_ctx_free(ctx);
	ctx = NULL;
	swtpm_fixture_stop(&tpm);
}

/* ---- helpers ---------------------------------------------------------------- */

static const struct vt_hash_alg *alg(const char *name)
{
	const struct vt_hash_alg *a = vt_hash_alg_by_name(name);

	ck_assert_ptr_nonnull(a);
	return a;
}

static size_t get_banks(struct policy_pcr_bank *banks)
{
	int n = attest_pcr_banks(ctx, banks, ATTEST_PCR_BANKS_MAX);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* The value of a PCR after TPM2_Startup(CLEAR) at locality 0 (PC Client
 * PTP): PCRs 17 to 22 are all ones, the others zero. */
static void reset_value(unsigned pcr, size_t size, uint8_t *out)
{
	memset(out, pcr >= 17 && pcr <= 22 ? 0xff : 0x00, size);
}

/* value = H(value || digest), the TPM's extend, done by OpenSSL. */
static void soft_extend(const struct vt_hash_alg *a, uint8_t *value, const uint8_t *digest)
{
	EVP_MD *md = EVP_MD_fetch(NULL, a->ossl, NULL);
	EVP_MD_CTX *mdctx = EVP_MD_CTX_new();
	unsigned len = 0;

	ck_assert_ptr_nonnull(md);
	ck_assert_ptr_nonnull(mdctx);
	ck_assert_int_eq(EVP_DigestInit_ex(mdctx, md, NULL), 1);
	ck_assert_int_eq(EVP_DigestUpdate(mdctx, value, a->size), 1);
	ck_assert_int_eq(EVP_DigestUpdate(mdctx, digest, a->size), 1);
	ck_assert_int_eq(EVP_DigestFinal_ex(mdctx, value, &len), 1);
	ck_assert_uint_eq(len, a->size);
	EVP_MD_CTX_free(mdctx);
	EVP_MD_free(md);
}

static void random_digest(struct policy_digest *d, const struct vt_hash_alg *a)
{
	memset(d, 0, sizeof(*d));
	d->alg = a;
	ck_assert_int_eq(RAND_bytes(d->value, (int)a->size), 1);
}

static void assert_pcr(const struct vt_hash_alg *a, unsigned pcr, const uint8_t *want)
{
	uint8_t got[VT_DIGEST_MAX];
	char hg[2 * VT_DIGEST_MAX + 1], hw[2 * VT_DIGEST_MAX + 1];

	ck_assert_int_eq(attest_pcr_read(ctx, a, pcr, got), 0);
	vt_hex_encode(got, a->size, hg);
	vt_hex_encode(want, a->size, hw);
	ck_assert_msg(memcmp(got, want, a->size) == 0, "pcr %u of bank %s is %s, expected %s", pcr,
		      a->name, hg, hw);
}

static void assert_pcr_reset(const struct vt_hash_alg *a, unsigned pcr)
{
	uint8_t want[VT_DIGEST_MAX];

	reset_value(pcr, a->size, want);
	assert_pcr(a, pcr, want);
}

/* A loopback port with nothing listening on it (nor on the next one). */
static int dead_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM, 0), fd2, port;

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
		port = ntohs(sa.sin_port);
		sa.sin_port = htons((uint16_t)(port + 1));
		fd2 = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(fd2, 0);
		if (port < 65535 && bind(fd2, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd2);
			close(fd);
			return port;
		}
		close(fd2);
		close(fd);
	}
	ck_abort_msg("no free loopback port pair");
	return -1;
}

/* ---- context -------------------------------------------------------------- */

START_TEST(test_ctx_nothing_listening)
{
	struct attest_ctx *c = (struct attest_ctx *)&tpm; /* must stay untouched */
	char tcti[64], want[160];

	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", dead_port());
	ck_assert_int_eq(attest_ctx_new(&c, tcti), -ENODEV);
	ck_assert_ptr_eq(c, (struct attest_ctx *)&tpm);
	snprintf(want, sizeof(want), "cannot open tpm '%s': tpm unreachable: 0x", tcti);
	ck_assert_one_error(want);
}
END_TEST

/* TCTI configurations that cannot make a context */
static const struct {
	const char *tcti;
	int err;
	const char *error;
} bad_tctis[] = {
	{ "nosuchtcti:whatever", -ENODEV, "cannot open tpm 'nosuchtcti:whatever': tpm unreachable" },
	{ "swtpm:host=127.0.0.1,port=notaport", -EINVAL,
	  "cannot open tpm 'swtpm:host=127.0.0.1,port=notaport': invalid argument" },
};

START_TEST(test_ctx_bad_tcti)
{
	struct attest_ctx *c = NULL;

	ck_assert_int_eq(attest_ctx_new(&c, bad_tctis[_i].tcti), bad_tctis[_i].err);
	ck_assert_ptr_null(c);
	ck_assert_one_error(bad_tctis[_i].error);
}
END_TEST

/* tpm2-tss prints its own errors to stderr unless told not to. */
START_TEST(test_ctx_tss_silent)
{
	char path[PATH_MAX], tcti[64], buf[256];
	int fd, saved = dup(STDERR_FILENO);
	struct attest_ctx *c = NULL;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr.XXXXXX", getenv("TMPDIR"));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	unlink(path);
	unsetenv("TSS2_LOG");
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", dead_port());
	fflush(stderr);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	ck_assert_int_eq(attest_ctx_new(&c, tcti), -ENODEV);
	ck_assert_int_eq(attest_ctx_new(&c, "nosuchtcti"), -ENODEV);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	ck_assert_msg(n == 0, "the library printed to stderr: '%s'", buf);
}
END_TEST

START_TEST(test_ctx_open_free)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *c = NULL;

	attest_ctx_free(NULL);
	ck_assert_int_eq(attest_ctx_new(&c, tpm.tcti), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* ---- banks ---------------------------------------------------------------- */

START_TEST(test_banks_default)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX], small[1];
	bool have_sha1 = false, have_sha256 = false;
	size_t n = get_banks(banks);

	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_eq(banks[i].alg, vt_hash_alg_by_tpm(banks[i].alg->tpm_alg));
		ck_assert_uint_eq(banks[i].mask, 0xffffff);
		for (size_t j = 0; j < i; j++)
			ck_assert_ptr_ne(banks[i].alg, banks[j].alg);
		have_sha1 |= banks[i].alg == alg("sha1");
		have_sha256 |= banks[i].alg == alg("sha256");
	}
	ck_assert(have_sha1 && have_sha256);

	ck_assert_int_eq(attest_pcr_banks(ctx, NULL, 0), (int)n);
	if (n > 1) {
		ck_assert_int_eq(attest_pcr_banks(ctx, small, 1), -ENOBUFS);
		ck_assert_one_error("cannot list the pcr banks");
	}
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* A TPM with only a sha256 bank (TPM2_PCR_Allocate, then a TPM reset). */
START_TEST(test_banks_sha256_only)
{
	TPML_PCR_SELECTION sel = { .count = 0 };
	size_t n_algs;
	const struct vt_hash_alg *algs = vt_hash_algs(&n_algs);
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	struct policy_digest d[2];
	uint8_t want[VT_DIGEST_MAX], out[VT_DIGEST_MAX];
	TPMI_YES_NO ok = TPM2_NO;
	UINT32 max_pcr, needed, available;

	for (size_t i = 0; i < n_algs; i++) {
		TPMS_PCR_SELECTION *s = &sel.pcrSelections[sel.count++];

		s->hash = algs[i].tpm_alg;
		s->sizeofSelect = 3;
		if (strcmp(algs[i].name, "sha256") == 0)
			memset(s->pcrSelect, 0xff, 3);
	}
	ck_assert_int_eq(Esys_PCR_Allocate(ctx->esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD,
					   ESYS_TR_NONE, ESYS_TR_NONE, &sel, &ok, &max_pcr, &needed,
					   &available),
			 TSS2_RC_SUCCESS);
	ck_assert_int_eq(ok, TPM2_YES);
	attest_ctx_free(ctx);
	ctx = NULL;
	ck_assert_int_eq(swtpm_fixture_restart(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);

	ck_assert_int_eq(attest_pcr_banks(ctx, banks, ELEMENTSOF(banks)), 1);
	ck_assert_ptr_eq(banks[0].alg, alg("sha256"));
	ck_assert_uint_eq(banks[0].mask, 0xffffff);

	ck_assert_int_eq(attest_pcr_read(ctx, alg("sha1"), 0, out), -EOPNOTSUPP);
	ck_assert_one_error("cannot read pcr 0 of bank sha1: bank not allocated on tpm 'swtpm:");

	random_digest(&d[0], alg("sha1"));
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, 1), -EOPNOTSUPP);
	ck_assert_one_error("cannot extend pcr 15 of bank sha1: bank not allocated");
	random_digest(&d[1], alg("sha256"));
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, 2), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: 2 digests for 1 allocated banks");
	assert_pcr_reset(alg("sha256"), 15);

	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d[1], 1), 0);
	reset_value(15, 32, want);
	soft_extend(alg("sha256"), want, d[1].value);
	assert_pcr(alg("sha256"), 15, want);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* ---- read ------------------------------------------------------------------- */

START_TEST(test_read_reset_values)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	size_t n = get_banks(banks);

	for (size_t i = 0; i < n; i++)
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
			assert_pcr_reset(banks[i].alg, pcr);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* ---- extend ----------------------------------------------------------------- */

/* One bank at a time: the other banks of the PCR do not move. */
static const unsigned extend_pcrs[] = { 0, 7, 15, 16, 23 };

START_TEST(test_extend_each_bank)
{
	unsigned pcr = extend_pcrs[_i];
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	uint8_t want[ATTEST_PCR_BANKS_MAX][VT_DIGEST_MAX];
	size_t n = get_banks(banks);

	for (size_t i = 0; i < n; i++)
		reset_value(pcr, banks[i].alg->size, want[i]);
	for (size_t i = 0; i < n; i++) {
		struct policy_digest d;

		random_digest(&d, banks[i].alg);
		ck_assert_int_eq(attest_pcr_extend(ctx, pcr, &d, 1), 0);
		soft_extend(banks[i].alg, want[i], d.value);
		for (size_t j = 0; j < n; j++)
			assert_pcr(banks[j].alg, pcr, want[j]);
	}
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* Every bank in one command, many times; neighbours stay untouched. */
START_TEST(test_extend_sequence_all_banks)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	uint8_t want15[ATTEST_PCR_BANKS_MAX][VT_DIGEST_MAX];
	uint8_t want23[ATTEST_PCR_BANKS_MAX][VT_DIGEST_MAX];
	struct policy_digest d[ATTEST_PCR_BANKS_MAX];
	size_t n = get_banks(banks);

	for (size_t i = 0; i < n; i++) {
		reset_value(15, banks[i].alg->size, want15[i]);
		reset_value(23, banks[i].alg->size, want23[i]);
	}
	for (int round = 0; round < 8; round++) {
		unsigned pcr = round % 2 ? 23 : 15;

		/* Digests in reverse bank order: the TPM matches by algorithm. */
		for (size_t i = 0; i < n; i++) {
			struct policy_digest *di = &d[n - 1 - i];

			random_digest(di, banks[i].alg);
			soft_extend(banks[i].alg, pcr == 15 ? want15[i] : want23[i], di->value);
		}
		ck_assert_int_eq(attest_pcr_extend(ctx, pcr, d, n), 0);
	}
	for (size_t i = 0; i < n; i++) {
		assert_pcr(banks[i].alg, 15, want15[i]);
		assert_pcr(banks[i].alg, 23, want23[i]);
		assert_pcr_reset(banks[i].alg, 14);
		assert_pcr_reset(banks[i].alg, 16);
	}
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* A well-known vector: extending zeros with zeros, in sha256. */
START_TEST(test_extend_known_vector)
{
	struct policy_digest d = { .alg = alg("sha256") };
	uint8_t want[32];

	ck_assert_int_eq(attest_pcr_extend(ctx, 16, &d, 1), 0);
	/* sha256 of 64 zero bytes */
	ck_assert_int_eq(vt_hex_decode("f5a5fd42d16a20302798ef6ed309979b"
					   "43003d2320d9f0e8ea9831a92759fb4b",
					   want, sizeof(want)),
			 0);
	assert_pcr(alg("sha256"), 16, want);
}
END_TEST

/* ---- bad input -------------------------------------------------------------- */

static const struct vt_hash_alg fake_sm3 = { "sm3_256", "SM3", 0x0012, 32 };
static const struct vt_hash_alg fake_sha256 = { "sha256", "SHA256", 0x000b, 20 };

/* Nothing moved: PCR 15 of every bank still holds its reset value. */
static void assert_untouched(void)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	size_t n = get_banks(banks);

	for (size_t i = 0; i < n; i++)
		assert_pcr_reset(banks[i].alg, 15);
	ck_assert_uint_eq(n_errors, 0);
}

START_TEST(test_bad_pcr_index)
{
	struct policy_digest d;
	uint8_t out[VT_DIGEST_MAX];

	random_digest(&d, alg("sha256"));
	ck_assert_int_eq(attest_pcr_read(ctx, alg("sha256"), 24, out), -EINVAL);
	ck_assert_one_error("cannot read pcr 24 of bank sha256: pcr index out of range 0 to 23");
	ck_assert_int_eq(attest_pcr_read(ctx, alg("sha256"), UINT_MAX, out), -EINVAL);
	ck_assert_one_error("pcr index out of range");
	ck_assert_int_eq(attest_pcr_extend(ctx, 24, &d, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 24: pcr index out of range 0 to 23");
	ck_assert_int_eq(attest_pcr_extend(ctx, UINT_MAX, &d, 1), -EINVAL);
	ck_assert_one_error("pcr index out of range");
	assert_untouched();
}
END_TEST

START_TEST(test_bad_alg)
{
	struct policy_digest d = { .alg = &fake_sm3 };
	uint8_t out[VT_DIGEST_MAX];

	ck_assert_int_eq(attest_pcr_read(ctx, &fake_sm3, 0, out), -EINVAL);
	ck_assert_one_error("cannot read pcr 0: unsupported hash algorithm 'sm3_256'");
	ck_assert_int_eq(attest_pcr_read(ctx, &fake_sha256, 0, out), -EINVAL);
	ck_assert_one_error("unsupported hash algorithm 'sha256'");
	ck_assert_int_eq(attest_pcr_read(ctx, NULL, 0, out), -EINVAL);
	ck_assert_one_error("cannot read pcr 0: unsupported hash algorithm");
	ck_assert_int_eq(attest_pcr_read(ctx, alg("sha256"), 0, NULL), -EINVAL);
	ck_assert_one_error("cannot read pcr 0 of bank sha256: no output buffer");

	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: unsupported hash algorithm 'sm3_256'");
	d.alg = &fake_sha256;
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: unsupported hash algorithm 'sha256'");
	d.alg = NULL;
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: unsupported hash algorithm");
	assert_untouched();
}
END_TEST

START_TEST(test_bad_digest_count)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	struct policy_digest d[TPM2_NUM_PCR_BANKS + 1];
	size_t n = get_banks(banks);

	for (size_t i = 0; i < ELEMENTSOF(d); i++)
		random_digest(&d[i], banks[i % n].alg);

	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, 0), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: no digest given");
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, NULL, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: no digest given");
	/* one more digest than there are banks: one bank twice */
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, n + 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: two digests for bank");
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, ELEMENTSOF(d)), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: 17 digests, at most 16 banks exist");
	d[1].alg = d[0].alg;
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, 2), -EINVAL);
	ck_assert_one_error("two digests for bank");
	assert_untouched();
}
END_TEST

START_TEST(test_bad_ctx)
{
	struct policy_digest d;
	uint8_t out[VT_DIGEST_MAX];
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];

	random_digest(&d, alg("sha256"));
	ck_assert_int_eq(attest_pcr_read(NULL, alg("sha256"), 0, out), -EINVAL);
	ck_assert_one_error("cannot read pcr 0 of bank sha256: no tpm context");
	ck_assert_int_eq(attest_pcr_extend(NULL, 15, &d, 1), -EINVAL);
	ck_assert_one_error("cannot extend pcr 15: no tpm context");
	ck_assert_int_eq(attest_pcr_banks(NULL, banks, ELEMENTSOF(banks)), -EINVAL);
	ck_assert_one_error("no tpm context");
	ck_assert_int_eq(attest_ctx_new(NULL, tpm.tcti), -EINVAL);
	ck_assert_one_error("cannot open tpm");
}
END_TEST

/* ---- the TPM says no ---------------------------------------------------------- */

/* PCRs 17 to 22 cannot be extended from locality 0: the TPM answers an error
 * code, the context stays usable. */
START_TEST(test_tpm_error_locality)
{
	struct policy_digest d;

	random_digest(&d, alg("sha256"));
	ck_assert_int_eq(attest_pcr_extend(ctx, 17, &d, 1), -EREMOTEIO);
	ck_assert_one_error("cannot extend pcr 17: tpm error: 0x907: ");
	assert_pcr_reset(alg("sha256"), 17);
	ck_assert_int_eq(attest_pcr_extend(ctx, 16, &d, 1), 0);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

/* ---- the TPM goes away -------------------------------------------------------- */

static void assert_gone(int r)
{
	ck_assert_msg(r == -ECOMM || r == -ENODEV, "expected -ECOMM or -ENODEV, got %d (%s)", r,
		      strerror(-r));
	ck_assert_msg(n_errors == 1, "expected one error line, got %u (last: '%s')", n_errors,
		      last_error);
	test_log_reset();
}

START_TEST(test_gone_after_open)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	struct policy_digest d;
	uint8_t out[VT_DIGEST_MAX];
	struct attest_ctx *c = NULL;

	/* the banks are cached after this */
	get_banks(banks);
	assert_pcr_reset(alg("sha256"), 0);
	swtpm_fixture_kill(&tpm);

	assert_gone(attest_pcr_read(ctx, alg("sha256"), 0, out));
	random_digest(&d, alg("sha256"));
	assert_gone(attest_pcr_extend(ctx, 15, &d, 1));
	assert_gone(attest_pcr_read(ctx, alg("sha1"), 1, out));

	ck_assert_int_eq(attest_ctx_new(&c, tpm.tcti), -ENODEV);
	ck_assert_ptr_null(c);
	ck_assert_one_error("tpm unreachable");
}
END_TEST

/* Gone before the first command: the bank query is what fails. */
START_TEST(test_gone_before_first_command)
{
	struct policy_pcr_bank banks[ATTEST_PCR_BANKS_MAX];
	uint8_t out[VT_DIGEST_MAX];

	swtpm_fixture_kill(&tpm);
	assert_gone(attest_pcr_banks(ctx, banks, ELEMENTSOF(banks)));
	assert_gone(attest_pcr_read(ctx, alg("sha256"), 0, out));
}
END_TEST

/* The TPM comes back (reset): an old context stays failed, a new one works
 * and sees the reset PCRs. */
START_TEST(test_gone_and_back)
{
	struct policy_digest d;
	uint8_t out[VT_DIGEST_MAX];

	random_digest(&d, alg("sha256"));
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d, 1), 0);
	swtpm_fixture_kill(&tpm);
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, &d, 1), -ECOMM);
	ck_assert_one_error("cannot extend pcr 15: connection to the tpm failed: 0x");
	ck_assert_int_eq(swtpm_fixture_restart(&tpm), 0);
	ck_assert_int_eq(attest_pcr_read(ctx, alg("sha256"), 15, out), -ECOMM);
	ck_assert_one_error("cannot read pcr 15 of bank sha256: connection to tpm 'swtpm:");

	attest_ctx_free(ctx);
	ctx = NULL;
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	assert_pcr_reset(alg("sha256"), 15);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

int main(void)
{
	const struct fx_tcase cases[] = {
		{ "context", setup_swtpm, teardown, 0, { FX_T(test_ctx_nothing_listening),
			 FX_LOOP(test_ctx_bad_tcti, ELEMENTSOF(bad_tctis)),
			 FX_T(test_ctx_tss_silent), FX_T(test_ctx_open_free) } },
		{ "banks", setup_ctx, teardown, 0, { FX_T(test_banks_default),
			 FX_T(test_banks_sha256_only) } },
		{ "read", setup_ctx, teardown, 0, { FX_T(test_read_reset_values) } },
		{ "extend", setup_ctx, teardown, 0, {
			 FX_LOOP(test_extend_each_bank, ELEMENTSOF(extend_pcrs)),
			 FX_T(test_extend_sequence_all_banks), FX_T(test_extend_known_vector) } },
		{ "bad-input", setup_ctx, teardown, 0, { FX_T(test_bad_pcr_index), FX_T(test_bad_alg),
			 FX_T(test_bad_digest_count), FX_T(test_bad_ctx) } },
		{ "tpm-error", setup_ctx, teardown, 0, { FX_T(test_tpm_error_locality) } },
		{ "tpm-gone", setup_ctx, teardown, 0, { FX_T(test_gone_after_open),
			 FX_T(test_gone_before_first_command), FX_T(test_gone_and_back) } },
	};

	/* The swtpm state directories go below a scratch directory removed
	 * here, also when a failed test skipped its teardown. */
	return fx_run_scratch(fx_suite("tpm", cases, ELEMENTSOF(cases)), "test-tpm");
}
