/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TPM access through tpm2-tss ESAPI: the context, PCR banks, reads, extends. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "attest.h"
#include "tpm-internal.h"

#define PCR_SELECT_BYTES (POLICY_PCR_MAX / 8)

int attest_tss2_errno(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;

	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER)
		return -EREMOTEIO;

	switch (rc & ~TSS2_RC_LAYER_MASK) {
	case TSS2_BASE_RC_IO_ERROR:
	case TSS2_BASE_RC_NO_CONNECTION:
	case TSS2_BASE_RC_TRY_AGAIN:
	case TSS2_BASE_RC_MALFORMED_RESPONSE:
	case TSS2_BASE_RC_INSUFFICIENT_RESPONSE:
	/* ESAPI refuses every call after a command whose response never
	 * came: the channel, again. */
	case TSS2_BASE_RC_BAD_SEQUENCE:
		return -ECOMM;
	case TSS2_BASE_RC_BAD_VALUE:
	case TSS2_BASE_RC_BAD_REFERENCE:
	case TSS2_BASE_RC_BAD_SIZE:
	case TSS2_BASE_RC_BAD_TR:
	case TSS2_BASE_RC_BAD_CONTEXT:
	case TSS2_BASE_RC_BAD_TCTI_STRUCTURE:
	case TSS2_BASE_RC_ABI_MISMATCH:
		return -EINVAL;
	case TSS2_BASE_RC_MEMORY:
		return -ENOMEM;
	case TSS2_BASE_RC_NOT_SUPPORTED:
	case TSS2_BASE_RC_NOT_IMPLEMENTED:
		return -EOPNOTSUPP;
	}
	/* Whatever else goes wrong below the ESAPI is still the channel. */
	if (layer == TSS2_TCTI_RC_LAYER || layer == TSS2_RESMGR_RC_LAYER)
		return -ECOMM;
	return -ENOTRECOVERABLE;
}

static const char *errno_kind(int r)
{
	switch (-r) {
	case ENODEV:
		return "tpm unreachable";
	case ECOMM:
		return "connection to the tpm failed";
	case EREMOTEIO:
		return "tpm error";
	case EINVAL:
		return "invalid argument";
	case ENOMEM:
		return "out of memory";
	case EOPNOTSUPP:
		return "not supported";
	default:
		return "tpm2-tss error";
	}
}

__attribute__((format(printf, 4, 0)))
static int log_rc(struct attest_ctx *ctx, int r, TSS2_RC rc, const char *fmt, va_list ap)
{
	char what[512];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (r == -ECOMM && ctx)
		ctx->lost = true;
	return vt_log_errno(-r, "%s: %s: 0x%x: %s", what, errno_kind(r), (unsigned)rc,
				Tss2_RC_Decode(rc));
}

ESYS_CONTEXT *attest_ctx_esys(struct attest_ctx *ctx)
{
	return ctx ? ctx->esys : NULL;
}

bool attest_ctx_lost(const struct attest_ctx *ctx)
{
	return ctx && ctx->lost;
}

int attest_tss2_fail(struct attest_ctx *ctx, TSS2_RC rc, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = attest_tss2_errno(rc);
	/* Once the connection was lost, what fails after is that loss. */
	if (ctx && ctx->lost && r != -ENOMEM)
		r = -ECOMM;
	r = log_rc(ctx, r, rc, fmt, ap);
	va_end(ap);
	return r;
}

/* Loading or connecting the TCTI: any failure there means there is no TPM
 * to talk to, except a malformed configuration string or a lack of memory. */
__attribute__((format(printf, 2, 3)))
static int open_fail(TSS2_RC rc, const char *fmt, ...)
{
	va_list ap;
	int r = attest_tss2_errno(rc);

	if (r != -EINVAL && r != -ENOMEM)
		r = -ENODEV;
	va_start(ap, fmt);
	r = log_rc(NULL, r, rc, fmt, ap);
	va_end(ap);
	return r;
}

int attest_ctx_check(struct attest_ctx *ctx, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (ctx && !ctx->lost)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!ctx)
		return vt_log_errno(EINVAL, "%s: no tpm context", what);
	return vt_log_errno(ECOMM, "%s: connection to tpm '%s' was lost in an earlier command",
				what, ctx->tcti_conf);
}

const struct vt_hash_alg *attest_alg_supported(const struct vt_hash_alg *alg)
{
	const struct vt_hash_alg *known;

	if (!alg)
		return NULL;
	known = vt_hash_alg_by_tpm(alg->tpm_alg);
	if (!known || known->size != alg->size)
		return NULL;
	return known;
}

int attest_ctx_new(struct attest_ctx **ret, const char *tcti)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *ctx = NULL;
	TSS2_RC rc;

	if (!ret)
		return vt_log_errno(EINVAL, "cannot open tpm: no place for the context");
	if (tcti && !*tcti)
		tcti = NULL;

	/* tpm2-tss logs to stderr by default; a library must not print. A user
	 * who sets TSS2_LOG still gets what they asked for. */
	if (setenv("TSS2_LOG", "all+NONE", 0) < 0)
		return -errno;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->tcti_conf = strdup(tcti ? tcti : "default");
	if (!ctx->tcti_conf)
		return -ENOMEM;

	rc = Tss2_TctiLdr_Initialize(tcti, &ctx->tcti);
	if (rc != TSS2_RC_SUCCESS)
		return open_fail(rc, "cannot open tpm '%s'", ctx->tcti_conf);
	rc = Esys_Initialize(&ctx->esys, ctx->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return open_fail(rc, "cannot open tpm '%s'", ctx->tcti_conf);

	*ret = TAKE_PTR(ctx);
	return 0;
}

void attest_ctx_free(struct attest_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->esys)
		Esys_Finalize(&ctx->esys);
	if (ctx->tcti)
		Tss2_TctiLdr_Finalize(&ctx->tcti);
	free(ctx->tcti_conf);
	free(ctx);
}

static void add_bank(struct attest_ctx *ctx, const TPMS_PCR_SELECTION *sel)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(sel->hash);
	uint32_t mask = 0;

	if (!alg) {
		vt_logf(VT_LOG_DEBUG, "tpm '%s': ignoring pcr bank of algorithm 0x%04x",
			    ctx->tcti_conf, sel->hash);
		return;
	}
	for (size_t b = 0; b < sel->sizeofSelect && b < PCR_SELECT_BYTES; b++)
		mask |= (uint32_t)sel->pcrSelect[b] << (8 * b);
	if (mask == 0)
		return;
	for (size_t i = 0; i < ctx->n_banks; i++)
		if (ctx->banks[i].alg == alg)
			return;
	if (ctx->n_banks == ATTEST_PCR_BANKS_MAX)
		return;
	ctx->banks[ctx->n_banks++] = (struct policy_pcr_bank){ .alg = alg, .mask = mask };
}

int attest_ctx_banks(struct attest_ctx *ctx, const struct policy_pcr_bank **ret_banks,
		     size_t *ret_n)
{
	_cleanup_(esys_freep) TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TSS2_RC rc;
	int r;

	r = attest_ctx_check(ctx, "cannot read the pcr allocation");
	if (r < 0)
		return r;
	if (!ctx->banks_known) {
		rc = Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_PCRS, 0, 1, &more, &cap);
		if (rc != TSS2_RC_SUCCESS)
			return attest_tss2_fail(ctx, rc, "cannot read the pcr allocation of tpm '%s'",
						ctx->tcti_conf);
		if (cap->capability != TPM2_CAP_PCRS)
			return vt_log_errno(EREMOTEIO,
						"cannot read the pcr allocation of tpm '%s': "
						"tpm answered with capability 0x%x",
						ctx->tcti_conf, cap->capability);
		ctx->n_banks = 0;
		for (size_t i = 0; i < cap->data.assignedPCR.count && i < TPM2_NUM_PCR_BANKS; i++)
			add_bank(ctx, &cap->data.assignedPCR.pcrSelections[i]);
		ctx->banks_known = true;
	}
	*ret_banks = ctx->banks;
	*ret_n = ctx->n_banks;
	return 0;
}

int attest_pcr_banks(struct attest_ctx *ctx, struct policy_pcr_bank *banks, size_t max)
{
	const struct policy_pcr_bank *have;
	size_t n;
	int r;

	r = attest_ctx_banks(ctx, &have, &n);
	if (r < 0)
		return r;
	/* banks = NULL, max = 0: how many there are. */
	if (!banks && max == 0)
		return (int)n;
	if (!banks || n > max)
		return vt_log_errno(ENOBUFS, "cannot list the pcr banks: tpm has %zu, room for %zu",
					n, banks ? max : 0);
	memcpy(banks, have, n * sizeof(*have));
	return (int)n;
}

/* -EOPNOTSUPP, logged, unless the TPM has allocated this PCR in this bank. */
static int check_allocated(struct attest_ctx *ctx, const char *verb,
			   const struct vt_hash_alg *alg, unsigned pcr)
{
	const struct policy_pcr_bank *banks;
	size_t n;
	int r;

	r = attest_ctx_banks(ctx, &banks, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (banks[i].alg != alg)
			continue;
		if (banks[i].mask & (UINT32_C(1) << pcr))
			return 0;
		return vt_log_errno(EOPNOTSUPP,
					"cannot %s pcr %u of bank %s: pcr not allocated on tpm '%s'",
					verb, pcr, alg->name, ctx->tcti_conf);
	}
	return vt_log_errno(EOPNOTSUPP, "cannot %s pcr %u of bank %s: bank not allocated on tpm '%s'",
				verb, pcr, alg->name, ctx->tcti_conf);
}

int attest_pcr_read(struct attest_ctx *ctx, const struct vt_hash_alg *alg, unsigned pcr,
		    uint8_t *out)
{
	_cleanup_(esys_freep) TPML_PCR_SELECTION *sel_out = NULL;
	_cleanup_(esys_freep) TPML_DIGEST *values = NULL;
	const struct vt_hash_alg *a = attest_alg_supported(alg);
	TPML_PCR_SELECTION sel = { .count = 1 };
	UINT32 counter;
	TSS2_RC rc;
	int r;

	if (!a)
		return vt_log_errno(EINVAL, "cannot read pcr %u: unsupported hash algorithm '%s'",
					pcr, alg && alg->name ? alg->name : "(none)");
	if (pcr >= POLICY_PCR_MAX)
		return vt_log_errno(EINVAL, "cannot read pcr %u of bank %s: pcr index out of range 0 to %d",
					pcr, a->name, POLICY_PCR_MAX - 1);
	if (!out)
		return vt_log_errno(EINVAL, "cannot read pcr %u of bank %s: no output buffer",
					pcr, a->name);
	r = attest_ctx_check(ctx, "cannot read pcr %u of bank %s", pcr, a->name);
	if (r < 0)
		return r;
	r = check_allocated(ctx, "read", a, pcr);
	if (r < 0)
		return r;

	sel.pcrSelections[0].hash = a->tpm_alg;
	sel.pcrSelections[0].sizeofSelect = PCR_SELECT_BYTES;
	sel.pcrSelections[0].pcrSelect[pcr / 8] = (BYTE)(1u << (pcr % 8));
	rc = Esys_PCR_Read(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &sel_out, &values);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc, "cannot read pcr %u of bank %s", pcr, a->name);
	if (values->count != 1 || values->digests[0].size != a->size)
		return vt_log_errno(EREMOTEIO,
					"cannot read pcr %u of bank %s: tpm answered with %u digests, "
					"expected one of %zu bytes",
					pcr, a->name, (unsigned)values->count, a->size);
	memcpy(out, values->digests[0].buffer, a->size);
	return 0;
}

int attest_pcr_extend(struct attest_ctx *ctx, unsigned pcr, const struct policy_digest *digests,
		      size_t n_digests)
{
	TPML_DIGEST_VALUES values = { 0 };
	const struct policy_pcr_bank *banks;
	size_t n_banks;
	TSS2_RC rc;
	int r;

	if (pcr >= POLICY_PCR_MAX)
		return vt_log_errno(EINVAL, "cannot extend pcr %u: pcr index out of range 0 to %d",
					pcr, POLICY_PCR_MAX - 1);
	if (!digests || n_digests == 0)
		return vt_log_errno(EINVAL, "cannot extend pcr %u: no digest given", pcr);
	if (n_digests > TPM2_NUM_PCR_BANKS)
		return vt_log_errno(EINVAL, "cannot extend pcr %u: %zu digests, at most %d banks exist",
					pcr, n_digests, TPM2_NUM_PCR_BANKS);
	for (size_t i = 0; i < n_digests; i++) {
		const struct vt_hash_alg *a = attest_alg_supported(digests[i].alg);

		if (!a)
			return vt_log_errno(EINVAL,
						"cannot extend pcr %u: unsupported hash algorithm '%s'", pcr,
						digests[i].alg && digests[i].alg->name ?
							digests[i].alg->name : "(none)");
		for (size_t j = 0; j < i; j++)
			if (values.digests[j].hashAlg == a->tpm_alg)
				return vt_log_errno(EINVAL,
							"cannot extend pcr %u: two digests for bank %s",
							pcr, a->name);
		values.digests[i].hashAlg = a->tpm_alg;
		memcpy(&values.digests[i].digest, digests[i].value, a->size);
	}
	values.count = (UINT32)n_digests;

	r = attest_ctx_check(ctx, "cannot extend pcr %u", pcr);
	if (r < 0)
		return r;
	r = attest_ctx_banks(ctx, &banks, &n_banks);
	if (r < 0)
		return r;
	if (n_digests > n_banks)
		return vt_log_errno(EINVAL, "cannot extend pcr %u: %zu digests for %zu allocated banks",
					pcr, n_digests, n_banks);
	for (size_t i = 0; i < n_digests; i++) {
		const struct vt_hash_alg *a = vt_hash_alg_by_tpm(values.digests[i].hashAlg);

		r = check_allocated(ctx, "extend", a, pcr);
		if (r < 0)
			return r;
	}

	rc = Esys_PCR_Extend(ctx->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &values);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc, "cannot extend pcr %u", pcr);
	return 0;
}

int attest_tpm_lock(const char *state_dir, int *ret_fd)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	*ret_fd = -1;
	if (!state_dir)
		return 0;
	r = vt_state_path(state_dir, VT_STATE_TPM_LOCK, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 && errno == ENOENT) {
		vt_logf(VT_LOG_DEBUG, "no state directory '%s': tpm use not serialized", state_dir);
		return 0;
	}
	if (fd < 0)
		return vt_log_errno(errno, "cannot open the tpm lock '%s': %s", path, strerror(errno));
	r = vt_flock(fd, LOCK_EX, "the tpm lock", path);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int attest_pcr_read_selection(struct attest_ctx *ctx, const struct policy_pcr_bank *sel, size_t n_sel,
			      struct policy_pcr_value *out, size_t max)
{
	TPML_PCR_SELECTION want = { 0 };
	UINT32 first_counter = 0;
	size_t n = 0;
	int r;

	r = attest_ctx_check(ctx, "cannot read the pcrs");
	if (r < 0)
		return r;
	if (n_sel > TPM2_NUM_PCR_BANKS)
		return vt_log_errno(EINVAL, "cannot read the pcrs: %zu banks, at most %d exist", n_sel,
					TPM2_NUM_PCR_BANKS);
	for (size_t i = 0; i < n_sel; i++) {
		const struct vt_hash_alg *a = attest_alg_supported(sel[i].alg);

		if (!a)
			return vt_log_errno(EINVAL, "cannot read the pcrs: unsupported hash algorithm");
		want.pcrSelections[i].hash = a->tpm_alg;
		want.pcrSelections[i].sizeofSelect = PCR_SELECT_BYTES;
		for (unsigned b = 0; b < PCR_SELECT_BYTES; b++)
			want.pcrSelections[i].pcrSelect[b] = (BYTE)(sel[i].mask >> (8 * b));
	}
	want.count = (UINT32)n_sel;

	/* A TPM answers with at most 8 digests: ask again for the rest. The
	 * update counter must stay the same across the answers. */
	for (unsigned round = 0;; round++) {
		_cleanup_(esys_freep) TPML_PCR_SELECTION *got = NULL;
		_cleanup_(esys_freep) TPML_DIGEST *values = NULL;
		size_t k = 0;
		bool any = false, more = false;
		UINT32 counter;
		TSS2_RC rc;

		rc = Esys_PCR_Read(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &counter, &got,
				   &values);
		if (rc != TSS2_RC_SUCCESS)
			return attest_tss2_fail(ctx, rc, "cannot read the pcrs");
		if (round == 0)
			first_counter = counter;
		else if (counter != first_counter)
			return vt_log_errno(EAGAIN, "cannot read the pcrs: they changed while read");
		for (UINT32 s = 0; s < got->count; s++) {
			const struct vt_hash_alg *a = vt_hash_alg_by_tpm(got->pcrSelections[s].hash);

			for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
				if (pcr / 8 >= got->pcrSelections[s].sizeofSelect ||
				    !(got->pcrSelections[s].pcrSelect[pcr / 8] & (1u << (pcr % 8))))
					continue;
				if (!a || k >= values->count || values->digests[k].size != a->size || n >= max)
					return vt_log_errno(EREMOTEIO, "cannot read the pcrs: the tpm's answer "
								"does not match the selection");
				out[n].alg = a;
				out[n].pcr = pcr;
				memcpy(out[n].value, values->digests[k].buffer, a->size);
				n++;
				k++;
				any = true;
				for (UINT32 w = 0; w < want.count; w++)
					if (want.pcrSelections[w].hash == got->pcrSelections[s].hash)
						want.pcrSelections[w].pcrSelect[pcr / 8] &= (BYTE) ~(1u << (pcr % 8));
			}
		}
		for (UINT32 w = 0; w < want.count; w++)
			for (unsigned b = 0; b < PCR_SELECT_BYTES; b++)
				more |= want.pcrSelections[w].pcrSelect[b] != 0;
		if (!more)
			return (int)n;
		if (!any)
			return vt_log_errno(EOPNOTSUPP, "cannot read the pcrs: the tpm has not allocated "
							    "every pcr of the selection");
	}
}

int attest_tpm_boot_counts(struct attest_ctx *ctx, uint32_t *ret_reset, uint32_t *ret_restart)
{
	_cleanup_(esys_freep) TPMS_TIME_INFO *t = NULL;
	TSS2_RC rc;
	int r;

	r = attest_ctx_check(ctx, "cannot read the tpm's clock");
	if (r < 0)
		return r;
	rc = Esys_ReadClock(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t);
	if (rc != TSS2_RC_SUCCESS)
		return attest_tss2_fail(ctx, rc, "cannot read the tpm's clock");
	*ret_reset = t->clockInfo.resetCount;
	*ret_restart = t->clockInfo.restartCount;
	return 0;
}
