/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-verify [SECONDS] [EVENTLOG]: evidence verifications per second in
 * this process (attest_verify on parsed evidence, with its cache of logs and
 * AKs warm as for a host that quotes again, and cold; and evidence parse +
 * verify), against OpenSSL's raw ECDSA P-256 verification rate
 * (EVP_DigestVerify of the same quote with the same key), in interleaved
 * rounds of the same run, SECONDS in all (default 4). The evidence
 * is made in software (verify-fixture.c): an ECDSA P-256 AK, a quote of
 * sha256:0-7,15, a measurement log of 20 records and, when given and
 * readable, a real UEFI event log. Prints "name value" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <tss2/tss2_mu.h>

#include "attest.h"
#include "verify-fixture.h"

#define ROUNDS 10

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const components[] = {
	"/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-aarch64", "/usr/bin/qemu-img",
	"/usr/sbin/libvirtd", "/usr/sbin/virtqemud", "/usr/sbin/virtlogd",
	"/usr/lib/libvirt/libvirt_iohelper", "/usr/share/OVMF/OVMF_CODE.fd",
	"/usr/share/OVMF/OVMF_VARS.fd", "/usr/share/seabios/bios.bin",
	"/usr/share/seabios/bios-256k.bin", "/lib/modules/6.1.0-18-amd64/kernel/arch/x86/kvm/kvm.ko",
	"/lib/modules/6.1.0-18-amd64/kernel/arch/x86/kvm/kvm-intel.ko",
	"/lib/modules/6.1.0-18-amd64/kernel/arch/x86/kvm/kvm-amd.ko", "/etc/libvirt/qemu.conf",
	"/etc/libvirt/libvirtd.conf", "/etc/libvirt/hooks/qemu", "/usr/lib/x86_64-linux-gnu/libvirt.so.0",
	"/usr/lib/x86_64-linux-gnu/libvirt-qemu.so.0", "/usr/bin/vmtrust",
};

struct bench {
	struct policy *pol;
	struct attest_evidence *e;
	struct vfx *f;
	const char *json;
	EVP_MD_CTX *mdctx;
	EVP_MD *sha256;
	const uint8_t *der;
	size_t der_len;
};

struct timing {
	unsigned long n;
	double t;
};

static int verify_good(struct bench *b, struct attest_evidence *e)
{
	struct attest_verdict *v = NULL;
	int ok = attest_verify(b->pol, e, b->f->nonce, b->f->nonce_len, &v) == 0 && attest_verdict_ok(v);

	attest_verdict_free(v);
	return ok ? 0 : -1;
}

/* verify on parsed evidence: logs and AK as a verifier sees them again
 * from the same host (the cache warm) */
static int op_warm(struct bench *b)
{
	return verify_good(b, b->e);
}

/* the same, every log parsed afresh */
static int op_cold(struct bench *b)
{
	attest_verify_cache_flush();
	return verify_good(b, b->e);
}

/* parse the evidence JSON, then verify (warm) */
static int op_parse(struct bench *b)
{
	struct attest_evidence *pe = NULL;
	int r = attest_evidence_parse("bench", b->json, strlen(b->json), &pe);

	if (r == 0)
		r = verify_good(b, pe);
	attest_evidence_free(pe);
	return r;
}

/* raw: EVP_DigestVerify of the same quote, key and signature */
static int op_raw(struct bench *b)
{
	if (EVP_DigestVerifyInit(b->mdctx, NULL, b->sha256, NULL, b->f->ak) != 1 ||
	    EVP_DigestVerify(b->mdctx, b->der, b->der_len, b->e->attest, b->e->attest_len) != 1)
		return -1;
	return 0;
}

/* op in batches of batch for slice seconds at least, added to *tm. */
static int timed(struct bench *b, int (*op)(struct bench *), int batch, double slice,
		 struct timing *tm)
{
	double t0 = now();

	do {
		for (int k = 0; k < batch; k++) {
			if (op(b) < 0)
				return -1;
			tm->n++;
		}
	} while (now() - t0 < slice);
	tm->t += now() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 4.0;
	const char *eventlog = argc > 2 ? argv[2] : NULL;
	struct attest_evidence *e;
	struct attest_verdict *v = NULL;
	struct policy *pol;
	json_object *j;
	struct vfx f;
	char *json;
	double t_verify = 0, t_cold = 0, t_parse = 0, t_raw = 0;
	struct timing warm = { 0 }, cold = { 0 }, parse = { 0 }, raw = { 0 };
	struct bench b;
	unsigned long n_verify = 0, n_cold = 0, n_parse = 0, n_raw = 0;
	TPMT_SIGNATURE sig;
	size_t off = 0;
	uint8_t der[128], *p = der;
	int der_len;
	EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *mdctx = EVP_MD_CTX_new();

	if (seconds <= 0)
		seconds = 4.0;
	vfx_init(&f);
	f.n_recs = 0;
	for (size_t i = 0; i < ELEMENTSOF(components); i++)
		vfx_add(&f, components[i], components[i]);  /* content: any bytes do */
	f.secure_boot = false;
	if (eventlog && access(eventlog, R_OK) == 0)
		f.uefi_file = eventlog;
	e = vfx_evidence(&f);
	j = vfx_policy_json(&f);
	json_object_object_add(j, "secure_boot", json_object_new_string("disabled"));
	pol = vfx_policy_load(j);
	if (attest_verify(pol, e, f.nonce, f.nonce_len, &v) < 0 || !attest_verdict_ok(v)) {
		for (size_t i = 0; i < attest_verdict_count(v); i++)
			fprintf(stderr, "%s: %s\n", attest_verdict_check(v, i)->name,
				attest_verdict_check(v, i)->reason);
		fprintf(stderr, "bench-verify: the fixture's evidence does not verify\n");
		return 1;
	}
	attest_verdict_free(v);
	if (attest_evidence_to_json(e, &json) < 0)
		return 1;

	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(e->signature, e->signature_len, &off, &sig) != 0)
		return 1;
	{
		ECDSA_SIG *es = ECDSA_SIG_new();

		ECDSA_SIG_set0(es, BN_bin2bn(sig.signature.ecdsa.signatureR.buffer,
					     sig.signature.ecdsa.signatureR.size, NULL),
			       BN_bin2bn(sig.signature.ecdsa.signatureS.buffer,
					 sig.signature.ecdsa.signatureS.size, NULL));
		der_len = i2d_ECDSA_SIG(es, &p);
		ECDSA_SIG_free(es);
	}

	b = (struct bench){ .pol = pol, .e = e, .f = &f, .json = json, .mdctx = mdctx,
			    .sha256 = sha256, .der = der, .der_len = (size_t)der_len };
	/* Rounds of each, interleaved, so that a busy machine slows all alike. */
	for (int round = 0; round < ROUNDS; round++) {
		double slice = seconds / ROUNDS / 4;

		if (timed(&b, op_warm, 16, slice, &warm) < 0 || timed(&b, op_cold, 4, slice, &cold) < 0 ||
		    timed(&b, op_parse, 4, slice, &parse) < 0 || timed(&b, op_raw, 16, slice, &raw) < 0)
			return 1;
	}
	n_verify = warm.n, t_verify = warm.t;
	n_cold = cold.n, t_cold = cold.t;
	n_parse = parse.n, t_parse = parse.t;
	n_raw = raw.n, t_raw = raw.t;

	printf("evidence_bytes %zu\n", strlen(json));
	printf("mlog_records %zu\n", f.n_recs);
	printf("uefi_log %s\n", f.uefi_file ? f.uefi_file : "(built, 11 events)");
	printf("raw_ecdsa_p256_verify_per_s %.0f\n", (double)n_raw / t_raw);
	printf("verify_per_s %.0f\n", (double)n_verify / t_verify);
	printf("verify_cold_per_s %.0f\n", (double)n_cold / t_cold);
	printf("parse_verify_per_s %.0f\n", (double)n_parse / t_parse);
	printf("ratio_verify_raw %.3f\n", ((double)n_verify / t_verify) / ((double)n_raw / t_raw));
	printf("ratio_verify_cold_raw %.3f\n", ((double)n_cold / t_cold) / ((double)n_raw / t_raw));
	printf("ratio_parse_verify_raw %.3f\n", ((double)n_parse / t_parse) / ((double)n_raw / t_raw));

	free(json);
	attest_evidence_free(e);
	policy_free(pol);
	json_object_put(j);
	vfx_done(&f);
	EVP_MD_free(sha256);
	EVP_MD_CTX_free(mdctx);
	return 0;
}
