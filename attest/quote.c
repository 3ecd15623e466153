/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Quotes: the enrolled AK signs a nonce and the PCRs of a selection; the
 * evidence gathers the quote with the PCR values, the AK and both logs.
 *
 * Order matters. Measurers append to the measurement log and extend under
 * the log's exclusive lock; a quote holds the shared lock from reading the
 * log until the TPM has signed, so the log it carries is exactly what the
 * quoted measurement PCR holds (a last record may be pending: written, not
 * yet extended, which a verifier accepts).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "attest.h"
#include "keys-internal.h"
#include "tpm-internal.h"

#define PCR_SELECT_BYTES (POLICY_PCR_MAX / 8)
#define ALL_PCRS ((UINT32_C(1) << POLICY_PCR_MAX) - 1)
#define READ_ATTEMPTS 5     /* the PCRs changed between two TPM2_PCR_Read */
#define QUOTE_ATTEMPTS 3    /* the PCRs changed between reading and quoting */

static uint32_t mask_of(const TPMS_PCR_SELECTION *s)
{
	uint32_t mask = 0;

	for (size_t b = 0; b < s->sizeofSelect && b < PCR_SELECT_BYTES; b++)
		mask |= (uint32_t)s->pcrSelect[b] << (8 * b);
	return mask;
}

static size_t popcount32(uint32_t v)
{
	return (size_t)__builtin_popcount(v);
}

int attest_default_quote_selection(struct attest_ctx *ctx, unsigned measurement_pcr,
				   struct policy_pcr_bank *sel, size_t max)
{
	static const char *const banks[] = { "sha1", "sha256" };
	const struct policy_pcr_bank *have;
	uint32_t want;
	size_t n_have, n = 0;
	int r;

	if (measurement_pcr >= POLICY_PCR_MAX || !sel)
		return vt_log_errno(EINVAL, "cannot select pcrs: measurement pcr %u out of range 0 to %d",
					measurement_pcr, POLICY_PCR_MAX - 1);
	r = attest_ctx_banks(ctx, &have, &n_have);
	if (r < 0)
		return r;
	want = 0xffu | UINT32_C(1) << measurement_pcr;
	for (size_t b = 0; b < ELEMENTSOF(banks); b++) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_name(banks[b]);

		for (size_t i = 0; i < n_have; i++) {
			if (have[i].alg != alg || !(have[i].mask & want))
				continue;
			if (n == max)
				return vt_log_errno(ENOBUFS, "cannot select pcrs: room for %zu banks", max);
			sel[n++] = (struct policy_pcr_bank){ .alg = alg, .mask = have[i].mask & want };
		}
	}
	if (n == 0)
		return vt_log_errno(EOPNOTSUPP, "cannot select pcrs: tpm '%s' has neither a sha1 nor "
						    "a sha256 bank", ctx->tcti_conf);
	return (int)n;
}

/* The selection as the TPM takes it: supported banks, each once (masks of a
 * bank named twice are merged), PCRs that the TPM has allocated. */
static int make_selection(struct attest_ctx *ctx, const struct policy_pcr_bank *sel, size_t n_sel,
			  TPML_PCR_SELECTION *ret, size_t *ret_n_values)
{
	TPML_PCR_SELECTION out = { 0 };
	const struct policy_pcr_bank *have;
	size_t n_have, n_values = 0;
	int r;

	if (!sel || n_sel == 0 || n_sel > ATTEST_PCR_BANKS_MAX)
		return vt_log_errno(EINVAL, "cannot quote: %zu pcr banks selected (1 to %d)", n_sel,
					ATTEST_PCR_BANKS_MAX);
	r = attest_ctx_banks(ctx, &have, &n_have);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_sel; i++) {
		const struct vt_hash_alg *alg = attest_alg_supported(sel[i].alg);
		TPMS_PCR_SELECTION *s = NULL;
		uint32_t allocated = 0, mask;

		if (!alg)
			return vt_log_errno(EINVAL, "cannot quote: unsupported pcr bank '%s'",
						sel[i].alg && sel[i].alg->name ? sel[i].alg->name : "(none)");
		if (sel[i].mask == 0 || (sel[i].mask & ~ALL_PCRS))
			return vt_log_errno(EINVAL, "cannot quote: pcr mask 0x%x of bank %s is empty or "
							"names pcrs above %d", sel[i].mask, alg->name,
						POLICY_PCR_MAX - 1);
		for (size_t j = 0; j < n_have; j++)
			if (have[j].alg == alg)
				allocated = have[j].mask;
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
			if ((sel[i].mask & ~allocated) & (UINT32_C(1) << pcr))
				return vt_log_errno(EOPNOTSUPP,
							"cannot quote pcr %u of bank %s: %s on tpm '%s'",
							pcr, alg->name,
							allocated ? "pcr not allocated" : "bank not allocated",
							ctx->tcti_conf);
		for (size_t j = 0; j < out.count; j++)
			if (out.pcrSelections[j].hash == alg->tpm_alg)
				s = &out.pcrSelections[j];
		if (!s) {
			s = &out.pcrSelections[out.count++];
			s->hash = alg->tpm_alg;
			s->sizeofSelect = PCR_SELECT_BYTES;
		}
		mask = mask_of(s) | sel[i].mask;
		for (size_t b = 0; b < PCR_SELECT_BYTES; b++)
			s->pcrSelect[b] = (BYTE)(mask >> (8 * b));
	}
	for (size_t j = 0; j < out.count; j++)
		n_values += popcount32(mask_of(&out.pcrSelections[j]));
	*ret = out;
	*ret_n_values = n_values;
	return 0;
}

/* Where PCR pcr of selection entry bank goes in the flat list of values:
 * selection order, PCRs ascending, the order of the quote's pcrDigest. */
static size_t value_index(const TPML_PCR_SELECTION *sel, size_t bank, unsigned pcr)
{
	size_t idx = 0;

	for (size_t j = 0; j < bank; j++)
		idx += popcount32(mask_of(&sel->pcrSelections[j]));
	return idx + popcount32(mask_of(&sel->pcrSelections[bank]) & ((UINT32_C(1) << pcr) - 1));
}

/* One round of TPM2_PCR_Read calls over the whole selection (the TPM
 * answers at most 8 digests a call). 1 when the PCRs changed in between
 * (pcrUpdateCounter moved), 0 when values[] is complete. */
static int read_round(struct attest_ctx *ctx, const TPML_PCR_SELECTION *want,
		      struct policy_pcr_value *values)
{
	TPML_PCR_SELECTION left = *want;
	bool have_counter = false;
	UINT32 first = 0;

	for (;;) {
		_cleanup_(esys_freep) TPML_PCR_SELECTION *got_sel = NULL;
		_cleanup_(esys_freep) TPML_DIGEST *got = NULL;
		size_t k = 0, remaining = 0;
		UINT32 counter;
		TSS2_RC rc;

		for (size_t j = 0; j < left.count; j++)
			remaining += popcount32(mask_of(&left.pcrSelections[j]));
		if (remaining == 0)
			return 0;
		rc = Esys_PCR_Read(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &left, &counter,
				   &got_sel, &got);
		if (rc != TSS2_RC_SUCCESS)
			return attest_tss2_fail(ctx, rc, "cannot read the pcrs to quote");
		if (have_counter && counter != first)
			return 1;
		first = counter;
		have_counter = true;
		for (size_t s = 0; s < got_sel->count && s < TPM2_NUM_PCR_BANKS; s++) {
			const TPMS_PCR_SELECTION *gs = &got_sel->pcrSelections[s];
			const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(gs->hash);
			uint32_t mask = mask_of(gs);
			size_t bank = left.count;

			for (size_t j = 0; j < left.count; j++)
				if (left.pcrSelections[j].hash == gs->hash)
					bank = j;
			if (mask && (bank == left.count || !alg || (mask & ~mask_of(&left.pcrSelections[bank]))))
				return vt_log_errno(EREMOTEIO, "cannot read the pcrs to quote: tpm '%s' "
								   "answered with pcrs not asked for",
							ctx->tcti_conf);
			for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
				struct policy_pcr_value *v;

				if (!(mask & (UINT32_C(1) << pcr)))
					continue;
				if (k >= got->count || got->digests[k].size != alg->size)
					return vt_log_errno(EREMOTEIO,
								"cannot read the pcrs to quote: tpm '%s' "
								"answered with %u digests that do not fit "
								"its selection", ctx->tcti_conf,
								(unsigned)got->count);
				v = &values[value_index(want, bank, pcr)];
				memcpy(v->value, got->digests[k].buffer, alg->size);
				left.pcrSelections[bank].pcrSelect[pcr / 8] &= (BYTE)~(1u << (pcr % 8));
				k++;
			}
		}
		if (k == 0 || k != got->count)
			return vt_log_errno(EREMOTEIO,
						"cannot read the pcrs to quote: tpm '%s' answered with %zu of "
						"%zu values", ctx->tcti_conf, k, remaining);
	}
}

static int read_pcrs(struct attest_ctx *ctx, const TPML_PCR_SELECTION *want,
		     struct policy_pcr_value *values)
{
	for (size_t j = 0; j < want->count; j++) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(want->pcrSelections[j].hash);
		uint32_t mask = mask_of(&want->pcrSelections[j]);

		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
			if (mask & (UINT32_C(1) << pcr)) {
				struct policy_pcr_value *v = &values[value_index(want, j, pcr)];

				v->alg = alg;
				v->pcr = pcr;
			}
	}
	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		int r = read_round(ctx, want, values);

		if (r <= 0)
			return r;
	}
	return vt_log_errno(EAGAIN, "cannot read the pcrs to quote: they changed during each of "
					"%d reads", READ_ATTEMPTS);
}

/* Checks what the TPM signed: a quote of this nonce and selection. 1 when
 * its pcrDigest is that of values[], 0 when the PCRs changed in between. */
static int check_quote(struct attest_ctx *ctx, const TPM2B_ATTEST *quoted, const uint8_t *nonce,
		       size_t nonce_len, const TPML_PCR_SELECTION *want,
		       const struct policy_pcr_value *values, size_t n_values,
		       const struct vt_hash_alg *hash)
{
	const TPMS_QUOTE_INFO *q;
	EVP_MD_CTX *md;
	TPMS_ATTEST a = { 0 };
	uint8_t digest[VT_DIGEST_MAX];
	unsigned len = 0;
	size_t off = 0;
	bool ok;

	if (Tss2_MU_TPMS_ATTEST_Unmarshal(quoted->attestationData, quoted->size, &off, &a) !=
		    TSS2_RC_SUCCESS || off != quoted->size || a.magic != TPM2_GENERATED_VALUE ||
	    a.type != TPM2_ST_ATTEST_QUOTE || a.extraData.size != nonce_len ||
	    memcmp(a.extraData.buffer, nonce, nonce_len) != 0)
		return vt_log_errno(EREMOTEIO, "cannot quote: tpm '%s' returned an attestation that "
						   "is not a quote of the nonce", ctx->tcti_conf);
	q = &a.attested.quote;
	ok = q->pcrSelect.count == want->count;
	for (size_t j = 0; ok && j < want->count; j++)
		ok = q->pcrSelect.pcrSelections[j].hash == want->pcrSelections[j].hash &&
		     mask_of(&q->pcrSelect.pcrSelections[j]) == mask_of(&want->pcrSelections[j]);
	if (!ok || q->pcrDigest.size != hash->size)
		return vt_log_errno(EREMOTEIO, "cannot quote: tpm '%s' quoted another pcr selection",
					ctx->tcti_conf);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestInit_ex2(md, EVP_get_digestbyname(hash->ossl), NULL) == 1;
	for (size_t i = 0; ok && i < n_values; i++)
		ok = EVP_DigestUpdate(md, values[i].value, values[i].alg->size) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, &len) == 1 && len == hash->size;
	EVP_MD_CTX_free(md);
	if (!ok)
		return vt_log_errno(EIO, "cannot quote: hashing the pcr values failed in openssl");
	return memcmp(digest, q->pcrDigest.buffer, hash->size) == 0;
}

/* The measurement log's text and records, read under its lock, which stays
 * held by *ret_fd. A log that does not exist yet is created (empty) and
 * locked exclusively: a first measurement cannot slip in before the quote. */
static int lock_mlog(const char *state_dir, int *ret_fd, char **ret_text, size_t *ret_len,
		     struct attest_mlog **ret_log)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_(freep) char *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	r = attest_mlog_load(state_dir, false, &fd, &log);
	if (r < 0)
		return r;
	if (fd < 0) {
		attest_mlog_free(TAKE_PTR(log));
		r = attest_mlog_load(state_dir, true, &fd, &log);
		if (r < 0)
			return r;
	}
	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot stat measurement log '%s/%s': %s", state_dir,
					VT_STATE_MLOG, strerror(errno));
	if (st.st_size < 0 || (uint64_t)st.st_size > ATTEST_MLOG_MAX)
		return vt_log_errno(EFBIG, "measurement log '%s/%s': %lld bytes exceed the limit of %d",
					state_dir, VT_STATE_MLOG, (long long)st.st_size,
					ATTEST_MLOG_MAX);
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(fd, text + len, (size_t)st.st_size - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vt_log_errno(errno, "cannot read measurement log '%s/%s': %s", state_dir,
						VT_STATE_MLOG, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	*ret_fd = TAKE_FD(fd);
	*ret_text = TAKE_PTR(text);
	*ret_len = len;
	*ret_log = TAKE_PTR(log);
	return 0;
}

/* The host audit the log's last host-audit event measured: the bytes of
 * STATE_DIR/host-audit.json when their size and digest are that record's.
 * Anything else leaves the audit out of the evidence (the verifier says
 * what is missing); a warning says why, when the log has such a record. */
static int read_host_audit(const char *state_dir, const struct attest_mlog *log, char **ret,
			   size_t *ret_len)
{
	_cleanup_(freep) char *path = NULL, *data = NULL;
	const struct attest_record *rec = NULL;
	char why[512];
	size_t len = 0;
	bool same;
	int r;

	*ret = NULL;
	*ret_len = 0;
	for (size_t i = attest_mlog_count(log); i > 0 && !rec; i--) {
		const struct attest_record *c = attest_mlog_record(log, i - 1);

		if (c->kind == ATTEST_RECORD_EVENT && strcmp(c->event_type, ATTEST_HOST_AUDIT_EVENT) == 0)
			rec = c;
	}
	if (!rec)
		return 0;
	r = vt_state_path(state_dir, VT_STATE_HOST_AUDIT, &path);
	if (r < 0)
		return r;
	{
		VT_LOG_CAPTURE_SCOPE(why, sizeof(why));
		r = vt_read_file(path, ATTEST_AUDIT_JSON_MAX, &data, &len);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		vt_logf(VT_LOG_WARNING, "host audit left out of the evidence: %s (measured as "
			    "record %" PRIu64 ")", why, rec->recnum);
		return 0;
	}
	same = len == rec->size;
	for (size_t k = 0; k < rec->n_digests && same; k++) {
		const struct policy_digest *want = &rec->file_digests[k];
		uint8_t d[EVP_MAX_MD_SIZE];

		if (EVP_Digest(data, len, d, NULL, EVP_get_digestbyname(want->alg->ossl), NULL) != 1)
			return vt_log_errno(ENOTRECOVERABLE, "cannot hash host audit '%s': openssl failed",
						path);
		same = memcmp(d, want->value, want->alg->size) == 0;
	}
	if (!same) {
		vt_logf(VT_LOG_WARNING, "host audit '%s' left out of the evidence: it is not the "
			    "audit of record %" PRIu64 ", the last one measured", path, rec->recnum);
		return 0;
	}
	*ret = TAKE_PTR(data);
	*ret_len = len;
	return 0;
}

int attest_uefi_log_read(const char *path, uint8_t **ret, size_t *ret_len)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	*ret_len = 0;
	if (path && !*path)
		return 0;
	if (!path) {
		if (access(ATTEST_EVENTLOG_DEFAULT_PATH, F_OK) < 0)
			return 0;
		path = ATTEST_EVENTLOG_DEFAULT_PATH;
	}
	r = vt_read_file(path, ATTEST_EVENTLOG_SIZE_MAX, &data, &len);
	if (r < 0)
		return r;
	*ret = (uint8_t *)data;
	*ret_len = len;
	return 0;
}

static const struct vt_hash_alg *signing_hash(const TPMT_PUBLIC *p)
{
	if (p->type == TPM2_ALG_RSA && p->parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA)
		return vt_hash_alg_by_tpm(p->parameters.rsaDetail.scheme.details.rsassa.hashAlg);
	if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA)
		return vt_hash_alg_by_tpm(p->parameters.eccDetail.scheme.details.ecdsa.hashAlg);
	return NULL;
}

int attest_quote(struct attest_ctx *ctx, const char *state_dir, const struct policy_pcr_bank *sel,
		 size_t n_sel, const uint8_t *nonce, size_t nonce_len, const char *uefi_log_path,
		 struct attest_evidence **ret)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(attest_obj_flush) struct attest_obj ak = ATTEST_OBJ_INIT(ctx);
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_close_ int log_fd = -1;
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	const struct vt_hash_alg *hash;
	TPML_PCR_SELECTION want;
	TPM2B_PUBLIC ak_public;
	TPM2B_DATA qualifying = { 0 };
	size_t n_values = 0;
	int r;

	if (!state_dir || !ret)
		return vt_log_errno(EINVAL, "cannot quote: missing argument");
	if (!nonce || nonce_len == 0 || nonce_len > ATTEST_NONCE_MAX)
		return vt_log_errno(EINVAL, "cannot quote: a nonce of %zu bytes (1 to %d)", nonce_len,
					ATTEST_NONCE_MAX);
	r = attest_ctx_check(ctx, "cannot quote");
	if (r < 0)
		return r;
	r = make_selection(ctx, sel, n_sel, &want, &n_values);
	if (r < 0)
		return r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->nonce, nonce, nonce_len);
	e->nonce_len = nonce_len;
	e->pcrs = calloc(n_values, sizeof(*e->pcrs));
	if (!e->pcrs)
		return -ENOMEM;
	e->n_pcrs = n_values;
	r = attest_uefi_log_read(uefi_log_path, &e->uefi_log, &e->uefi_log_len);
	if (r < 0)
		return r;

	r = attest_ak_load(ctx, state_dir, NULL, &ak, &e->ak_public, &e->ak_public_len, &ak_public);
	if (r < 0)
		return r;
	hash = signing_hash(&ak_public.publicArea);
	if (!hash)
		return vt_log_errno(EOPNOTSUPP, "cannot quote: the attestation key in '%s' signs with "
						    "an unsupported scheme", state_dir);
	r = attest_public_to_pem(e->ak_public, e->ak_public_len, &e->ak_pem);
	if (r < 0)
		return r;

	r = lock_mlog(state_dir, &log_fd, &e->mlog, &e->mlog_len, &log);
	if (r < 0)
		return r;
	r = read_host_audit(state_dir, log, &e->host_audit, &e->host_audit_len);
	if (r < 0)
		return r;

	qualifying.size = (UINT16)nonce_len;
	memcpy(qualifying.buffer, nonce, nonce_len);
	for (int attempt = 0;; attempt++) {
		_cleanup_(esys_freep) TPM2B_ATTEST *quoted = NULL;
		_cleanup_(esys_freep) TPMT_SIGNATURE *sig = NULL;
		uint8_t sig_bytes[sizeof(TPMT_SIGNATURE)];
		size_t off = 0;
		TSS2_RC rc;

		if (attempt == QUOTE_ATTEMPTS)
			return vt_log_errno(EAGAIN, "cannot quote: the pcrs changed between reading and "
							"quoting them, %d times", QUOTE_ATTEMPTS);
		r = read_pcrs(ctx, &want, e->pcrs);
		if (r < 0)
			return r;
		rc = Esys_Quote(ctx->esys, ak.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				&qualifying, &scheme, &want, &quoted, &sig);
		if (rc != TSS2_RC_SUCCESS)
			return attest_tss2_fail(ctx, rc, "cannot quote with the attestation key of '%s'",
						state_dir);
		r = check_quote(ctx, quoted, nonce, nonce_len, &want, e->pcrs, e->n_pcrs, hash);
		if (r < 0)
			return r;
		if (r == 0) {
			vt_logf(VT_LOG_DEBUG, "pcrs changed while quoting; quoting again");
			continue;
		}
		rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sig_bytes, sizeof(sig_bytes), &off);
		if (rc != TSS2_RC_SUCCESS)
			return vt_log_errno(EREMOTEIO, "cannot quote: cannot marshal the signature: %s",
						Tss2_RC_Decode(rc));
		e->attest = malloc(quoted->size);
		e->signature = malloc(off);
		if (!e->attest || !e->signature)
			return -ENOMEM;
		memcpy(e->attest, quoted->attestationData, quoted->size);
		e->attest_len = quoted->size;
		memcpy(e->signature, sig_bytes, off);
		e->signature_len = off;
		break;
	}
	*ret = TAKE_PTR(e);
	return 0;
}
