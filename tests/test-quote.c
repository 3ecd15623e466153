/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * attest/keys.c and attest/quote.c against a real TPM 2.0 (swtpm, one per
 * test). What the code under test produces is checked independently: the
 * quote is unmarshalled with tss2-mu and its signature verified with OpenSSL
 * against ak.pem; the pcrDigest is recomputed from the PCR values; the
 * software MakeCredential is checked by the TPM's ActivateCredential, and
 * the TPM's own TPM2_MakeCredential against ours. No test may leave a
 * transient object or a session in the TPM.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <tss2/tss2_mu.h>

#include "attest.h"
#include "hostaudit.h"
#include "swtpm-fixture.h"
#include "tpm-internal.h"

static struct swtpm_fixture tpm;
static struct attest_ctx *ctx;
static char dir[512], state[600];

/* ---- captured log --------------------------------------------------------- */

static unsigned n_errors;
static char last_error[1024], last_warning[1024];

static void capture_log(int level, const char *msg, void *userdata)
{
	if (level == VT_LOG_WARNING)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	if (level > VT_LOG_ERR)
		return;
	n_errors++;
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

#define ck_assert_one_error(want)                                                           \
	do {                                                                                \
		ck_assert_msg(n_errors == 1, "expected one error line, got %u (last: '%s')", \
			      n_errors, last_error);                                        \
		ck_assert_msg(strstr(last_error, (want)) != NULL,                           \
			      "error '%s' does not contain '%s'", last_error, (want));      \
		n_errors = 0;                                                               \
		last_error[0] = '\0';                                                       \
	} while (0)

/* ---- fixtures --------------------------------------------------------------- */

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	vt_set_log(capture_log, NULL);
	n_errors = 0;
	ck_assert_int_eq(swtpm_fixture_start(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	snprintf(dir, sizeof(dir), "%s/vmtrust-quote.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
}

static void teardown(void)
{
	attest_ctx_free(ctx);
	ctx = NULL;
	swtpm_fixture_stop(&tpm);
	swtpm_fixture_rm_rf(dir);
}

/* ---- helpers ------------------------------------------------------------------ */

static const enum attest_key_alg combos[][2] = {  /* { ek, ak } */
	{ ATTEST_KEY_RSA, ATTEST_KEY_ECC },
	{ ATTEST_KEY_RSA, ATTEST_KEY_RSA },
	{ ATTEST_KEY_ECC, ATTEST_KEY_ECC },
	{ ATTEST_KEY_ECC, ATTEST_KEY_RSA },
};

static uint8_t *slurp(const char *name, size_t *ret_len)
{
	char path[PATH_MAX + 64], *data = NULL;

	snprintf(path, sizeof(path), "%s/%s", state, name);
	ck_assert_int_eq(vt_read_file(path, 1 << 20, &data, ret_len), 0);
	return (uint8_t *)data;
}

static unsigned count_handles(TPM2_HANDLE first)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	unsigned n;

	ck_assert_int_eq(Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    TPM2_CAP_HANDLES, first, 64, &more, &cap),
			 TSS2_RC_SUCCESS);
	n = cap->data.handles.count;
	Esys_Free(cap);
	return n;
}

/* TPM2_TRANSIENT_FIRST and friends as unsigned constants (the tss2 macros
 * shift 0x80 into the sign bit of an int, which UBSan rightly refuses). */
#define TRANSIENT_FIRST UINT32_C(0x80000000)
#define LOADED_SESSION_FIRST UINT32_C(0x02000000)
#define POLICY_SESSION_FIRST UINT32_C(0x03000000)

/* Nothing left in the TPM: no transient object, no loaded or saved session. */
static void assert_tpm_clean(void)
{
	ck_assert_uint_eq(count_handles(TRANSIENT_FIRST), 0);
	ck_assert_uint_eq(count_handles(LOADED_SESSION_FIRST), 0);
	ck_assert_uint_eq(count_handles(POLICY_SESSION_FIRST), 0);
}

static void enroll(enum attest_key_alg ek, enum attest_key_alg ak)
{
	ck_assert_int_eq(attest_enroll(ctx, state, ek, ak, false, NULL, NULL), 0);
	ck_assert_uint_eq(n_errors, 0);
}

static struct attest_evidence *quote_default(const uint8_t *nonce, size_t nonce_len)
{
	struct policy_pcr_bank sel[2];
	struct attest_evidence *e = NULL;
	int n;

	n = attest_default_quote_selection(ctx, 15, sel, ELEMENTSOF(sel));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, nonce_len, "", &e), 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(n_errors, 0);
	return e;
}

static void unmarshal_attest(const struct attest_evidence *e, TPMS_ATTEST *a)
{
	size_t off = 0;

	ck_assert_int_eq(Tss2_MU_TPMS_ATTEST_Unmarshal(e->attest, e->attest_len, &off, a),
			 TSS2_RC_SUCCESS);
	ck_assert_uint_eq(off, e->attest_len);
}

/* The signature over SHA-256 of the attest bytes, checked by OpenSSL with
 * ak.pem: ECDSA with r and s put into DER, or RSASSA-PKCS1-v1_5. */
static bool signature_ok(const uint8_t *attest, size_t attest_len, const uint8_t *sig_bytes,
			 size_t sig_len)
{
	_cleanup_(freep) uint8_t *pem = NULL;
	uint8_t digest[32], der[256], *p = der;
	const uint8_t *sig = NULL;
	TPMT_SIGNATURE s = { 0 };
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *vctx;
	BIO *bio;
	size_t off = 0, pem_len, len = 0;
	unsigned md_len;
	int ok;

	ck_assert_int_eq(Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig_bytes, sig_len, &off, &s), TSS2_RC_SUCCESS);
	ck_assert_uint_eq(off, sig_len);
	pem = slurp(VT_STATE_AK_PEM, &pem_len);
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_eq(EVP_Digest(attest, attest_len, digest, &md_len, EVP_sha256(), NULL), 1);

	if (s.sigAlg == TPM2_ALG_ECDSA) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(s.signature.ecdsa.signatureR.buffer, s.signature.ecdsa.signatureR.size, NULL);
		BIGNUM *ss = BN_bin2bn(s.signature.ecdsa.signatureS.buffer, s.signature.ecdsa.signatureS.size, NULL);

		ck_assert_uint_eq(s.signature.ecdsa.hash, TPM2_ALG_SHA256);
		ck_assert_int_eq(ECDSA_SIG_set0(es, r, ss), 1);
		len = (size_t)i2d_ECDSA_SIG(es, &p);
		ECDSA_SIG_free(es);
		sig = der;
		ck_assert(EVP_PKEY_is_a(pkey, "EC"));
	} else {
		ck_assert_uint_eq(s.sigAlg, TPM2_ALG_RSASSA);
		ck_assert_uint_eq(s.signature.rsassa.hash, TPM2_ALG_SHA256);
		sig = s.signature.rsassa.sig.buffer;
		len = s.signature.rsassa.sig.size;
		ck_assert(EVP_PKEY_is_a(pkey, "RSA"));
	}
	vctx = EVP_PKEY_CTX_new(pkey, NULL);
	ck_assert_int_eq(EVP_PKEY_verify_init(vctx), 1);
	if (s.sigAlg == TPM2_ALG_RSASSA)
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()), 1);
	ok = EVP_PKEY_verify(vctx, sig, len, digest, sizeof(digest));
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	return ok == 1;
}

static uint32_t sel_mask(const TPMS_PCR_SELECTION *s)
{
	uint32_t m = 0;

	for (unsigned b = 0; b < s->sizeofSelect && b < 3; b++)
		m |= (uint32_t)s->pcrSelect[b] << (8 * b);
	return m;
}

/* Everything a verifier checks of the quote, done here independently. */
static void verify_evidence(const struct attest_evidence *e, const uint8_t *nonce, size_t nonce_len)
{
	_cleanup_(freep) uint8_t *ak_pub = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	TPMS_ATTEST a = { 0 };
	size_t k = 0, ak_len;
	unsigned len;

	unmarshal_attest(e, &a);
	ck_assert_uint_eq(a.magic, TPM2_GENERATED_VALUE);
	ck_assert_uint_eq(a.type, TPM2_ST_ATTEST_QUOTE);
	ck_assert_uint_eq(a.extraData.size, nonce_len);
	ck_assert_mem_eq(a.extraData.buffer, nonce, nonce_len);
	ck_assert_uint_eq(e->nonce_len, nonce_len);
	ck_assert_mem_eq(e->nonce, nonce, nonce_len);

	/* The PCR values, in the order of the quote's selection. */
	for (size_t j = 0; j < a.attested.quote.pcrSelect.count; j++) {
		const TPMS_PCR_SELECTION *s = &a.attested.quote.pcrSelect.pcrSelections[j];

		for (unsigned pcr = 0; pcr < 24; pcr++) {
			if (!(sel_mask(s) & (1u << pcr)))
				continue;
			ck_assert_uint_lt(k, e->n_pcrs);
			ck_assert_uint_eq(e->pcrs[k].alg->tpm_alg, s->hash);
			ck_assert_uint_eq(e->pcrs[k].pcr, pcr);
			k++;
		}
	}
	ck_assert_uint_eq(k, e->n_pcrs);
	ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < e->n_pcrs; i++)
		EVP_DigestUpdate(md, e->pcrs[i].value, e->pcrs[i].alg->size);
	ck_assert_int_eq(EVP_DigestFinal_ex(md, digest, &len), 1);
	EVP_MD_CTX_free(md);
	ck_assert_uint_eq(a.attested.quote.pcrDigest.size, 32);
	ck_assert_mem_eq(a.attested.quote.pcrDigest.buffer, digest, 32);

	ck_assert(signature_ok(e->attest, e->attest_len, e->signature, e->signature_len));
	ak_pub = slurp(VT_STATE_AK_PUB, &ak_len);
	ck_assert_uint_eq(e->ak_public_len, ak_len);
	ck_assert_mem_eq(e->ak_public, ak_pub, ak_len);
	ck_assert_ptr_nonnull(e->ak_pem);
}

static void random_nonce(uint8_t *n, size_t len)
{
	ck_assert_int_eq(RAND_bytes(n, (int)len), 1);
}

/* ---- enrollment ---------------------------------------------------------------- */

START_TEST(test_enroll_files)
{
	enum attest_key_alg ek_alg = combos[_i][0], ak_alg = combos[_i][1];
	_cleanup_(freep) uint8_t *ak_pub = NULL, *ak_name = NULL, *ek_pub = NULL, *ek_pem = NULL,
				 *ak_pem = NULL, *ek_again = NULL, *ek_from_pem = NULL;
	_cleanup_(freep) char *pem = NULL;
	uint8_t name[ATTEST_NAME_MAX], ret_name[ATTEST_NAME_MAX];
	size_t ak_len, name_len, ek_len, ek_pem_len, ak_pem_len, again_len, from_len, n, ret_len;
	TPM2B_PUBLIC p = { 0 };
	char path[PATH_MAX + 64];
	struct stat st;

	ck_assert_int_eq(attest_enroll(ctx, state, ek_alg, ak_alg, false, ret_name, &ret_len), 0);
	ck_assert_uint_eq(n_errors, 0);
	assert_tpm_clean();

	snprintf(path, sizeof(path), "%s/%s", state, VT_STATE_AK_PRIV);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);

	ak_pub = slurp(VT_STATE_AK_PUB, &ak_len);
	ak_name = slurp(VT_STATE_AK_NAME, &name_len);
	ck_assert_int_eq(attest_public_name(ak_pub, ak_len, name, &n), 0);
	ck_assert_uint_eq(n, 34);
	ck_assert_uint_eq(name_len, 34);
	ck_assert_mem_eq(name, ak_name, n);
	ck_assert_uint_eq(ret_len, 34);
	ck_assert_mem_eq(ret_name, name, n);
	ck_assert_int_eq(attest_ak_public_check(ak_pub, ak_len), 0);

	/* The AK as tpm2_createak makes it. */
	n = 0;
	ck_assert_int_eq(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ak_pub, ak_len, &n, &p), TSS2_RC_SUCCESS);
	ck_assert_uint_eq(n, ak_len);
	ck_assert_uint_eq(p.publicArea.objectAttributes,
			  TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			  TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT);
	ck_assert_uint_eq(p.publicArea.nameAlg, TPM2_ALG_SHA256);
	if (ak_alg == ATTEST_KEY_ECC) {
		ck_assert_uint_eq(p.publicArea.type, TPM2_ALG_ECC);
		ck_assert_uint_eq(p.publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
		ck_assert_uint_eq(p.publicArea.parameters.eccDetail.scheme.scheme, TPM2_ALG_ECDSA);
	} else {
		ck_assert_uint_eq(p.publicArea.type, TPM2_ALG_RSA);
		ck_assert_uint_eq(p.publicArea.parameters.rsaDetail.keyBits, 2048);
		ck_assert_uint_eq(p.publicArea.parameters.rsaDetail.scheme.scheme, TPM2_ALG_RSASSA);
	}

	ak_pem = slurp(VT_STATE_AK_PEM, &ak_pem_len);
	ck_assert_int_eq(attest_public_to_pem(ak_pub, ak_len, &pem), 0);
	ck_assert_str_eq(pem, (char *)ak_pem);

	/* The EK: deterministic, and the same from its PEM. */
	ek_pub = slurp(VT_STATE_EK_PUB, &ek_len);
	ek_pem = slurp(VT_STATE_EK_PEM, &ek_pem_len);
	ck_assert_int_eq(attest_ek_public(ctx, ek_alg, &ek_again, &again_len, NULL), 0);
	ck_assert_uint_eq(again_len, ek_len);
	ck_assert_mem_eq(ek_again, ek_pub, ek_len);
	ck_assert_int_eq(attest_ek_public_from_pem((char *)ek_pem, ek_pem_len, &ek_from_pem, &from_len), 0);
	ck_assert_uint_eq(from_len, ek_len);
	ck_assert_mem_eq(ek_from_pem, ek_pub, ek_len);
	/* an EK is no AK */
	ck_assert_int_eq(attest_ak_public_check(ek_pub, ek_len), -EKEYREJECTED);
	ck_assert_one_error("not those of a restricted signing key");
	assert_tpm_clean();
}
END_TEST

START_TEST(test_enroll_exists)
{
	_cleanup_(freep) uint8_t *before = NULL, *after = NULL;
	uint8_t name[ATTEST_NAME_MAX];
	size_t len_before, len_after, name_len;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	before = slurp(VT_STATE_AK_PUB, &len_before);
	ck_assert_int_eq(attest_enroll(ctx, state, ATTEST_KEY_ECC, ATTEST_KEY_ECC, false, NULL, NULL),
			 -EEXIST);
	ck_assert_one_error("an attestation key is enrolled already");
	after = slurp(VT_STATE_AK_PUB, &len_after);
	ck_assert_uint_eq(len_before, len_after);
	ck_assert_mem_eq(before, after, len_after);

	free(after);
	ck_assert_int_eq(attest_enroll(ctx, state, ATTEST_KEY_ECC, ATTEST_KEY_ECC, true, name, &name_len), 0);
	after = slurp(VT_STATE_AK_PUB, &len_after);
	ck_assert(len_before != len_after || memcmp(before, after, len_after) != 0);
	assert_tpm_clean();
}
END_TEST

/* ---- quotes ---------------------------------------------------------------------- */

START_TEST(test_quote_verifies)
{
	enum attest_key_alg ek_alg = combos[_i][0], ak_alg = combos[_i][1];
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(freep) uint8_t *log = NULL;
	char file[700];
	const char *files[] = { file };
	uint8_t nonce[32], value[VT_DIGEST_MAX];
	size_t log_len;
	FILE *f;

	enroll(ek_alg, ak_alg);
	snprintf(file, sizeof(file), "%s/qemu", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a hypervisor\n", f);
	fclose(f);
	ck_assert_int_eq(attest_measure(ctx, state, 15, files, 1, NULL, NULL), 0);

	random_nonce(nonce, sizeof(nonce));
	e = quote_default(nonce, sizeof(nonce));
	verify_evidence(e, nonce, sizeof(nonce));
	/* sha1 and sha256, PCRs 0-7 and 15 */
	ck_assert_uint_eq(e->n_pcrs, 18);
	for (size_t i = 0; i < e->n_pcrs; i++) {
		ck_assert_int_eq(attest_pcr_read(ctx, e->pcrs[i].alg, e->pcrs[i].pcr, value), 0);
		ck_assert_mem_eq(value, e->pcrs[i].value, e->pcrs[i].alg->size);
	}
	/* the measurement log as it is on disk */
	log = slurp(VT_STATE_MLOG, &log_len);
	ck_assert_ptr_nonnull(e->mlog);
	ck_assert_uint_eq(e->mlog_len, log_len);
	ck_assert_mem_eq(e->mlog, log, log_len);
	ck_assert_ptr_null(e->uefi_log);

	/* one changed byte, and the signature no longer holds */
	e->attest[e->attest_len - 1] ^= 1;
	ck_assert(!signature_ok(e->attest, e->attest_len, e->signature, e->signature_len));
	assert_tpm_clean();
}
END_TEST

START_TEST(test_quote_many)
{
	struct policy_pcr_bank sel[2];
	struct timespec t0, t1;
	int n;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	n = attest_default_quote_selection(ctx, 15, sel, ELEMENTSOF(sel));
	ck_assert_int_eq(n, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < 1000; i++) {
		_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
		uint8_t nonce[8];
		TPMS_ATTEST a = { 0 };

		memcpy(nonce, &i, sizeof(i));
		memcpy(nonce + 4, "vmtq", 4);
		ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), "", &e), 0);
		unmarshal_attest(e, &a);
		ck_assert_mem_eq(a.extraData.buffer, nonce, sizeof(nonce));
		if (i % 250 == 0) {
			verify_evidence(e, nonce, sizeof(nonce));
			assert_tpm_clean();
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "test-quote: 1000 quotes in %.1f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ck_assert_uint_eq(n_errors, 0);
	assert_tpm_clean();
}
END_TEST

START_TEST(test_quote_large_selection)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	const struct policy_pcr_bank sel[] = {
		{ vt_hash_alg_by_name("sha256"), 0x00ffffff },
		{ vt_hash_alg_by_name("sha1"), 0x00800001 },
		{ vt_hash_alg_by_name("sha384"), 0x00000080 },
		{ vt_hash_alg_by_name("sha1"), 0x00000002 },     /* merged with the sha1 above */
	};
	struct policy_digest d = { .alg = vt_hash_alg_by_name("sha384") };
	uint8_t nonce[ATTEST_NONCE_MAX];

	enroll(ATTEST_KEY_RSA, ATTEST_KEY_ECC);
	memset(d.value, 0x5a, 48);
	ck_assert_int_eq(attest_pcr_extend(ctx, 7, &d, 1), 0);
	random_nonce(nonce, sizeof(nonce));
	ck_assert_int_eq(attest_quote(ctx, state, sel, ELEMENTSOF(sel), nonce, sizeof(nonce), "", &e), 0);
	/* 24 + 3 + 1 values: several TPM2_PCR_Read calls of at most 8 */
	ck_assert_uint_eq(e->n_pcrs, 28);
	ck_assert_str_eq(e->pcrs[0].alg->name, "sha256");
	ck_assert_str_eq(e->pcrs[24].alg->name, "sha1");
	ck_assert_uint_eq(e->pcrs[25].pcr, 1);
	ck_assert_uint_eq(e->pcrs[26].pcr, 23);
	ck_assert_str_eq(e->pcrs[27].alg->name, "sha384");
	verify_evidence(e, nonce, sizeof(nonce));
	assert_tpm_clean();
}
END_TEST

START_TEST(test_quote_uefi_log)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	struct policy_pcr_bank sel[2];
	char path[700];
	uint8_t blob[3000], nonce[4] = { 1, 2, 3, 4 };
	FILE *f;
	int n;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	random_nonce(blob, sizeof(blob));
	snprintf(path, sizeof(path), "%s/bios_measurements", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(blob, 1, sizeof(blob), f), sizeof(blob));
	fclose(f);
	n = attest_default_quote_selection(ctx, 15, sel, ELEMENTSOF(sel));
	ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), path, &e), 0);
	ck_assert_uint_eq(e->uefi_log_len, sizeof(blob));
	ck_assert_mem_eq(e->uefi_log, blob, sizeof(blob));
	/* no measurement yet: an empty log, created */
	ck_assert_uint_eq(e->mlog_len, 0);
	ck_assert_int_eq(access(state, F_OK), 0);
	attest_evidence_free(TAKE_PTR(e));

	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), path, &e), -ENOENT);
	ck_assert_one_error("missing");
	assert_tpm_clean();
}
END_TEST

/* A measurer holds the log's exclusive lock: the quote waits for it. */
START_TEST(test_quote_waits_for_measurer)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	struct policy_pcr_bank sel[2];
	struct timespec t0, t1;
	char path[PATH_MAX + 64];
	uint8_t nonce[4] = { 9 };
	int fd, n, status, pipefd[2];
	pid_t pid;
	char c;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	snprintf(path, sizeof(path), "%s/%s", state, VT_STATE_MLOG);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int lfd = open(path, O_RDWR);

		if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
			_exit(1);
		(void)!write(pipefd[1], "x", 1);
		usleep(400 * 1000);
		_exit(0);
	}
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	n = attest_default_quote_selection(ctx, 15, sel, ELEMENTSOF(sel));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), "", &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_ge((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 250);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_tpm_clean();
}
END_TEST

/* ---- the host audit in the evidence ------------------------------------------------ */

static const char audit_a[] =
	"{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"iommu\",\"status\":\"pass\",\"evidence\":\"IOMMU units active: dmar0\"},"
	"{\"id\":\"tpm\",\"status\":\"fail\",\"evidence\":\"no TPM\"}]}";
static const char audit_b[] =
	"{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"iommu\",\"status\":\"pass\",\"evidence\":\"IOMMU units active: dmar0\"},"
	"{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":\"TPM 2.0\"}]}";

static void measure_audit(const char *json, uint64_t want_recnum)
{
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	_cleanup_(freep) uint8_t *kept = NULL;
	struct attest_record rec;
	size_t len;

	ck_assert_int_eq(attest_audit_parse("audit", json, strlen(json), &a), 0);
	ck_assert_int_eq(hostaudit_measure(ctx, state, 15, a, &rec), 0);
	ck_assert_uint_eq(rec.recnum, want_recnum);
	ck_assert_uint_eq(rec.size, strlen(json));
	kept = slurp(VT_STATE_HOST_AUDIT, &len);
	ck_assert_uint_eq(len, strlen(json));
	ck_assert_mem_eq(kept, json, len);
}

/* attest_verify with a policy that pins the enrolled AK and requires the
 * audit's checks (host: the policy's host section). */
static struct attest_verdict *verify_with_host(const struct attest_evidence *e, const uint8_t *nonce,
					       size_t nonce_len, const char *host)
{
	_cleanup_(freep) uint8_t *pem = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct attest_verdict *v = NULL;
	json_object *root = json_object_new_object(), *keys = json_object_new_array(),
		    *key = json_object_new_object();
	const char *s;
	size_t len;

	pem = slurp(VT_STATE_AK_PEM, &len);
	json_object_object_add(root, "schema_version", json_object_new_int(1));
	json_object_object_add(root, "sequence", json_object_new_int(1));
	json_object_object_add(key, "id", json_object_new_string("host"));
	json_object_object_add(key, "public_key", json_object_new_string_len((const char *)pem, (int)len));
	{
		_cleanup_(freep) uint8_t *name = slurp(VT_STATE_AK_NAME, &len);
		char hex[2 * ATTEST_NAME_MAX + 1];

		ck_assert_uint_le(len, ATTEST_NAME_MAX);
		vt_hex_encode(name, len, hex);
		json_object_object_add(key, "name", json_object_new_string(hex));
	}
	json_object_array_add(keys, key);
	json_object_object_add(root, "attestation_keys", keys);
	json_object_object_add(root, "host", json_tokener_parse(host));
	s = json_object_to_json_string(root);
	ck_assert_int_eq(policy_load_buffer("policy", s, strlen(s), &p), 0);
	json_object_put(root);
	ck_assert_int_eq(attest_verify(p, e, nonce, nonce_len, &v), 0);
	return v;
}

static void assert_host_audit(const struct attest_verdict *v, enum attest_check_status st,
			      const char *needle)
{
	const struct attest_check *c = attest_verdict_find(v, "host-audit");

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(c->status == st && strstr(c->reason, needle), "host-audit: %s: %s",
		      attest_check_status_name(c->status), c->reason);
	ck_assert(attest_verdict_ok(v) == (st != ATTEST_CHECK_FAILED));
}

START_TEST(test_quote_host_audit)
{
	static const char requires_tpm[] = "{\"required_checks\": [\"iommu\", \"tpm\"]}";
	struct attest_evidence *e;
	struct attest_verdict *v;
	uint8_t nonce[16];
	char path[PATH_MAX + 64];

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	random_nonce(nonce, sizeof(nonce));

	/* nothing measured: no audit, and a policy that requires one refuses */
	e = quote_default(nonce, sizeof(nonce));
	ck_assert_ptr_null(e->host_audit);
	v = verify_with_host(e, nonce, sizeof(nonce), requires_tpm);
	assert_host_audit(v, ATTEST_CHECK_FAILED, "the evidence has no host audit (measure one");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* measured: the quote carries the exact bytes, bound to the quote */
	measure_audit(audit_a, 0);
	ck_assert_int_eq(attest_measure_event(ctx, state, 15, "launch", "web1 allowed", "x", 1, NULL), 0);
	e = quote_default(nonce, sizeof(nonce));
	ck_assert_uint_eq(e->host_audit_len, strlen(audit_a));
	ck_assert_mem_eq(e->host_audit, audit_a, strlen(audit_a));
	v = verify_with_host(e, nonce, sizeof(nonce), "{\"required_checks\": [\"iommu\"]}");
	assert_host_audit(v, ATTEST_CHECK_OK, "record 0: the policy's 1 required checks pass");
	attest_verdict_free(v);
	/* tpm fails in it */
	v = verify_with_host(e, nonce, sizeof(nonce), requires_tpm);
	assert_host_audit(v, ATTEST_CHECK_FAILED, "does not satisfy the policy: tpm fail");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* a newer audit replaces it */
	measure_audit(audit_b, 2);
	e = quote_default(nonce, sizeof(nonce));
	ck_assert_mem_eq(e->host_audit, audit_b, strlen(audit_b));
	v = verify_with_host(e, nonce, sizeof(nonce), requires_tpm);
	assert_host_audit(v, ATTEST_CHECK_OK, "record 2: the policy's 2 required checks pass");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* the kept copy changed on the host: left out, with a warning */
	snprintf(path, sizeof(path), "%s/%s", state, VT_STATE_HOST_AUDIT);
	ck_assert_int_eq(vt_write_file_atomic(path, audit_a, strlen(audit_a), 0600), 0);
	last_warning[0] = '\0';
	e = quote_default(nonce, sizeof(nonce));
	ck_assert_ptr_null(e->host_audit);
	ck_assert_msg(strstr(last_warning, "host-audit.json' left out of the evidence: it is not the audit of record 2, the last one measured"),
		      "%s", last_warning);
	v = verify_with_host(e, nonce, sizeof(nonce), requires_tpm);
	assert_host_audit(v, ATTEST_CHECK_FAILED, "though the measurement log has one (record 2)");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* ...or is gone */
	ck_assert_int_eq(unlink(path), 0);
	last_warning[0] = '\0';
	e = quote_default(nonce, sizeof(nonce));
	ck_assert_ptr_null(e->host_audit);
	ck_assert_msg(strstr(last_warning, "host audit left out of the evidence: cannot open"), "%s",
		      last_warning);
	attest_evidence_free(e);
	assert_tpm_clean();
}
END_TEST

START_TEST(test_quote_bad_input)
{
	struct attest_evidence *e = NULL;
	struct policy_pcr_bank sel[] = { { vt_hash_alg_by_name("sha256"), 0x80ff } };
	struct policy_pcr_bank bad = { vt_hash_alg_by_name("sha256"), 1u << 24 };
	struct policy_pcr_bank none = { NULL, 1 };
	uint8_t nonce[ATTEST_NONCE_MAX + 1] = { 0 };

	/* not enrolled: nothing created */
	ck_assert_int_eq(attest_quote(ctx, state, sel, 1, nonce, 8, "", &e), -ENOENT);
	ck_assert_one_error("no attestation key enrolled in");
	ck_assert_int_eq(access(state, F_OK), -1);

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	ck_assert_int_eq(attest_quote(ctx, state, sel, 1, nonce, 0, "", &e), -EINVAL);
	ck_assert_one_error("a nonce of 0 bytes");
	ck_assert_int_eq(attest_quote(ctx, state, sel, 1, nonce, ATTEST_NONCE_MAX + 1, "", &e), -EINVAL);
	ck_assert_one_error("a nonce of 65 bytes");
	ck_assert_int_eq(attest_quote(ctx, state, sel, 0, nonce, 8, "", &e), -EINVAL);
	ck_assert_one_error("0 pcr banks selected");
	ck_assert_int_eq(attest_quote(ctx, state, &bad, 1, nonce, 8, "", &e), -EINVAL);
	ck_assert_one_error("names pcrs above 23");
	ck_assert_int_eq(attest_quote(ctx, state, &none, 1, nonce, 8, "", &e), -EINVAL);
	ck_assert_one_error("unsupported pcr bank");
	ck_assert_int_eq(attest_default_quote_selection(ctx, 24, sel, 1), -EINVAL);
	ck_assert_one_error("out of range");
	ck_assert_ptr_null(e);
	assert_tpm_clean();
}
END_TEST

START_TEST(test_default_selection)
{
	struct policy_pcr_bank sel[2];

	ck_assert_int_eq(attest_default_quote_selection(ctx, 15, sel, 2), 2);
	ck_assert_str_eq(sel[0].alg->name, "sha1");
	ck_assert_uint_eq(sel[0].mask, 0x80ff);
	ck_assert_str_eq(sel[1].alg->name, "sha256");
	ck_assert_uint_eq(sel[1].mask, 0x80ff);
	ck_assert_int_eq(attest_default_quote_selection(ctx, 3, sel, 2), 2);
	ck_assert_uint_eq(sel[1].mask, 0xff);
	ck_assert_int_eq(attest_default_quote_selection(ctx, 15, sel, 1), -ENOBUFS);
	ck_assert_one_error("room for 1 banks");
}
END_TEST

/* ---- credentials ---------------------------------------------------------------- */

static void activate_ok(const struct attest_credential *cred, const uint8_t *secret, size_t len)
{
	uint8_t got[ATTEST_CREDENTIAL_MAX];
	size_t got_len = 0;

	ck_assert_int_eq(attest_activate_credential(ctx, state, cred, got, &got_len), 0);
	ck_assert_uint_eq(got_len, len);
	ck_assert_mem_eq(got, secret, len);
	ck_assert_uint_eq(n_errors, 0);
}

START_TEST(test_credential_roundtrip)
{
	enum attest_key_alg ek_alg = combos[_i][0], ak_alg = combos[_i][1];
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL;
	static const size_t sizes[] = { 32, 1, 20 };
	size_t ek_len, name_len;

	enroll(ek_alg, ak_alg);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		struct attest_credential cred;
		uint8_t secret[32];

		random_nonce(secret, sizes[i]);
		ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, sizes[i], &cred), 0);
		ck_assert_uint_gt(cred.blob_len, 2);
		/* RSA: 256 bytes of OAEP; ECC: a P-256 point */
		ck_assert_uint_eq(cred.secret_len, ek_alg == ATTEST_KEY_RSA ? 2 + 256 : 2 + 2 + 32 + 2 + 32);
		activate_ok(&cred, secret, sizes[i]);
	}
	assert_tpm_clean();
}
END_TEST

/* The TPM's own TPM2_MakeCredential (EK public loaded with LoadExternal)
 * opens with attest_activate_credential() just as ours does. */
START_TEST(test_credential_made_by_tpm)
{
	enum attest_key_alg ek_alg = _i ? ATTEST_KEY_ECC : ATTEST_KEY_RSA;
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL;
	TPM2B_ID_OBJECT *blob = NULL;
	TPM2B_ENCRYPTED_SECRET *enc = NULL;
	struct attest_credential cred = { 0 };
	TPM2B_DIGEST secret = { .size = 32 };
	TPM2B_NAME obj_name = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	ESYS_TR h = ESYS_TR_NONE;
	size_t ek_len, name_len, off = 0;

	enroll(ek_alg, ATTEST_KEY_ECC);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	ck_assert_int_eq(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ek, ek_len, &off, &pub), TSS2_RC_SUCCESS);
	obj_name.size = (UINT16)name_len;
	memcpy(obj_name.name, name, name_len);
	random_nonce(secret.buffer, 32);

	ck_assert_int_eq(Esys_LoadExternal(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
					   &pub, ESYS_TR_RH_NULL, &h), TSS2_RC_SUCCESS);
	ck_assert_int_eq(Esys_MakeCredential(ctx->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					     &secret, &obj_name, &blob, &enc), TSS2_RC_SUCCESS);
	ck_assert_int_eq(Esys_FlushContext(ctx->esys, h), TSS2_RC_SUCCESS);
	off = 0;
	ck_assert_int_eq(Tss2_MU_TPM2B_ID_OBJECT_Marshal(blob, cred.blob, sizeof(cred.blob), &off), 0);
	cred.blob_len = off;
	off = 0;
	ck_assert_int_eq(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(enc, cred.secret, sizeof(cred.secret), &off), 0);
	cred.secret_len = off;
	Esys_Free(blob);
	Esys_Free(enc);
	activate_ok(&cred, secret.buffer, 32);
	assert_tpm_clean();
}
END_TEST

START_TEST(test_credential_refused)
{
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL, *other_ek = NULL;
	struct attest_credential cred;
	uint8_t secret[32], other_name[34], got[ATTEST_CREDENTIAL_MAX];
	size_t ek_len, name_len, other_len, got_len;

	enroll(ATTEST_KEY_RSA, ATTEST_KEY_ECC);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	random_nonce(secret, sizeof(secret));

	/* made for another AK's name */
	memcpy(other_name, name, 34);
	other_name[33] ^= 0x01;
	ck_assert_int_eq(attest_make_credential(ek, ek_len, other_name, 34, secret, 32, &cred), 0);
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), -EKEYREJECTED);
	ck_assert_one_error("it was not made for this tpm's ek and attestation key");
	assert_tpm_clean();

	/* made for the TPM's other EK */
	ck_assert_int_eq(attest_ek_public(ctx, ATTEST_KEY_ECC, &other_ek, &other_len, NULL), 0);
	ck_assert_int_eq(attest_make_credential(other_ek, other_len, name, name_len, secret, 32, &cred), 0);
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), -EKEYREJECTED);
	ck_assert_one_error("it was not made for this tpm's ek and attestation key");
	assert_tpm_clean();

	/* one bit of the encrypted credential changed */
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, 32, &cred), 0);
	cred.blob[cred.blob_len - 1] ^= 0x80;
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), -EKEYREJECTED);
	ck_assert_one_error("not made for this tpm");

	/* malformed blobs are refused before the TPM sees them */
	cred.blob_len = 1;
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), -EBADMSG);
	ck_assert_one_error("not a TPM2B_ID_OBJECT");
	assert_tpm_clean();
}
END_TEST

START_TEST(test_make_credential_bad_input)
{
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL, *ak = NULL;
	struct attest_credential cred;
	uint8_t secret[65] = { 0 };
	size_t ek_len, name_len, ak_len;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	ak = slurp(VT_STATE_AK_PUB, &ak_len);

	ck_assert_int_eq(attest_make_credential(ek, ek_len - 1, name, name_len, secret, 32, &cred), -EBADMSG);
	ck_assert_one_error("ek public");
	ck_assert_int_eq(attest_make_credential(ak, ak_len, name, name_len, secret, 32, &cred), -EINVAL);
	ck_assert_one_error("not a restricted decryption key");
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len - 1, secret, 32, &cred), -EINVAL);
	ck_assert_one_error("ak name");
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, 0, &cred), -EINVAL);
	ck_assert_one_error("a secret of 0 bytes");
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, 33, &cred), -EINVAL);
	ck_assert_one_error("a secret of 33 bytes");
	ck_assert_int_eq(attest_ek_public_from_pem("not pem", 7, &ak, &ak_len), -EBADMSG);
	ck_assert_one_error("no PEM public key");
}
END_TEST

START_TEST(test_enroll_check)
{
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL, *ak = NULL, *other = NULL;
	struct attest_credential cred;
	uint8_t secret[32], got[ATTEST_CREDENTIAL_MAX], digest[32], ek_name[ATTEST_NAME_MAX];
	size_t ek_len, name_len, ak_len, got_len, other_len, ek_name_len;
	unsigned md_len;

	enroll(ATTEST_KEY_RSA, ATTEST_KEY_RSA);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	ak = slurp(VT_STATE_AK_PUB, &ak_len);
	random_nonce(secret, sizeof(secret));
	ck_assert_int_eq(EVP_Digest(secret, 32, digest, &md_len, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, 32, &cred), 0);
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), 0);

	ck_assert_int_eq(attest_enroll_check(name, name_len, digest, got, got_len, ak, ak_len), 0);
	got[0] ^= 1;
	ck_assert_int_eq(attest_enroll_check(name, name_len, digest, got, got_len, ak, ak_len),
			 -EKEYREJECTED);
	ck_assert_one_error("is not the one sealed");
	got[0] ^= 1;

	/* another AK than the one named */
	ck_assert_int_eq(attest_enroll(ctx, state, ATTEST_KEY_RSA, ATTEST_KEY_ECC, true, NULL, NULL), 0);
	other = slurp(VT_STATE_AK_PUB, &other_len);
	ck_assert_int_eq(attest_enroll_check(name, name_len, digest, got, got_len, other, other_len),
			 -EKEYREJECTED);
	ck_assert_one_error("its name differs");
	/* the EK itself: the right name, but no signing key */
	ck_assert_int_eq(attest_public_name(ek, ek_len, ek_name, &ek_name_len), 0);
	ck_assert_int_eq(attest_enroll_check(ek_name, ek_name_len, digest, got, got_len, ek, ek_len),
			 -EKEYREJECTED);
	ck_assert_one_error("not those of a restricted signing key");
	assert_tpm_clean();
}
END_TEST

/* ---- the TPM goes away ------------------------------------------------------------ */

START_TEST(test_tpm_gone)
{
	_cleanup_(freep) uint8_t *ek = NULL, *name = NULL;
	struct attest_evidence *e = NULL;
	struct policy_pcr_bank sel[] = { { vt_hash_alg_by_name("sha256"), 0xff } };
	struct attest_credential cred;
	uint8_t nonce[4] = { 1 }, secret[32] = { 2 }, got[64];
	size_t ek_len, name_len, got_len;

	enroll(ATTEST_KEY_ECC, ATTEST_KEY_ECC);
	ek = slurp(VT_STATE_EK_PUB, &ek_len);
	name = slurp(VT_STATE_AK_NAME, &name_len);
	ck_assert_int_eq(attest_make_credential(ek, ek_len, name, name_len, secret, 32, &cred), 0);
	swtpm_fixture_kill(&tpm);

	ck_assert_int_eq(attest_quote(ctx, state, sel, 1, nonce, 4, "", &e), -ECOMM);
	ck_assert_one_error("connection to the tpm failed");
	ck_assert_int_eq(attest_quote(ctx, state, sel, 1, nonce, 4, "", &e), -ECOMM);
	ck_assert_one_error("was lost in an earlier command");
	ck_assert_int_eq(attest_activate_credential(ctx, state, &cred, got, &got_len), -ECOMM);
	ck_assert_one_error("was lost in an earlier command");
	ck_assert_int_eq(attest_enroll(ctx, state, ATTEST_KEY_ECC, ATTEST_KEY_ECC, true, NULL, NULL), -ECOMM);
	ck_assert_one_error("was lost in an earlier command");
	ck_assert_ptr_null(e);

	attest_ctx_free(ctx);
	ctx = NULL;
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), -ENODEV);
	ck_assert_one_error("tpm unreachable");
}
END_TEST

static void *kill_later(void *arg)
{
	usleep((useconds_t)(uintptr_t)arg);
	swtpm_fixture_kill(&tpm);
	return NULL;
}

/* Killed while quoting in a loop: some command fails in transit. */
START_TEST(test_tpm_killed_midway)
{
	struct policy_pcr_bank sel[2];
	pthread_t killer;
	uint8_t nonce[4] = { 7 };
	int n, r = 0;

	enroll(ATTEST_KEY_RSA, ATTEST_KEY_ECC);
	n = attest_default_quote_selection(ctx, 15, sel, ELEMENTSOF(sel));
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(pthread_create(&killer, NULL, kill_later, (void *)(uintptr_t)(100000 + _i * 37000)), 0);
	for (int i = 0; i < 100000 && r == 0; i++) {
		struct attest_evidence *e = NULL;

		r = attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), "", &e);
		attest_evidence_free(e);
	}
	ck_assert_int_eq(pthread_join(killer, NULL), 0);
	ck_assert_msg(r == -ECOMM, "quote returned %d, expected -ECOMM: %s", r, last_error);
	ck_assert_uint_eq(n_errors, 1);
}
END_TEST

static Suite *quote_suite(void)
{
	Suite *s = suite_create("quote");
	TCase *tc;

	tc = tcase_create("enroll");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_enroll_files, 0, (int)ELEMENTSOF(combos));
	tcase_add_test(tc, test_enroll_exists);
	suite_add_tcase(s, tc);

	tc = tcase_create("quote");
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_quote_verifies, 0, (int)ELEMENTSOF(combos));
	tcase_add_test(tc, test_quote_many);
	tcase_add_test(tc, test_quote_large_selection);
	tcase_add_test(tc, test_quote_uefi_log);
	tcase_add_test(tc, test_quote_waits_for_measurer);
	tcase_add_test(tc, test_quote_host_audit);
	tcase_add_test(tc, test_quote_bad_input);
	tcase_add_test(tc, test_default_selection);
	suite_add_tcase(s, tc);

	tc = tcase_create("credential");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_credential_roundtrip, 0, (int)ELEMENTSOF(combos));
	tcase_add_loop_test(tc, test_credential_made_by_tpm, 0, 2);
	tcase_add_test(tc, test_credential_refused);
	tcase_add_test(tc, test_make_credential_bad_input);
	tcase_add_test(tc, test_enroll_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("tpm-gone");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tpm_gone);
	tcase_add_loop_test(tc, test_tpm_killed_midway, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char scratch[PATH_MAX];
	SRunner *sr;
	int failed;

	/* swtpm state and key directories go below a scratch directory
	 * removed here, also when a failed test skipped its teardown. */
	snprintf(scratch, sizeof(scratch), "%s/vmtrust-test-quote.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch) || setenv("TMPDIR", scratch, 1) < 0) {
		fprintf(stderr, "test-quote: cannot create '%s': %s\n", scratch, strerror(errno));
		return EXIT_FAILURE;
	}
	sr = srunner_create(quote_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	swtpm_fixture_rm_rf(scratch);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
