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
	double t0, t_verify = 0, t_cold = 0, t_parse = 0, t_raw = 0;
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

	/* Rounds of each, interleaved, so that a busy machine slows all alike. */
	for (int round = 0; round < ROUNDS; round++) {
		double slice = seconds / ROUNDS / 4;

		/* verify on parsed evidence: logs and AK as a verifier sees them
		 * again from the same host (the cache warm) */
		t0 = now();
		do {
			for (int k = 0; k < 16; k++) {
				if (attest_verify(pol, e, f.nonce, f.nonce_len, &v) < 0 || !attest_verdict_ok(v))
					return 1;
				attest_verdict_free(v);
				n_verify++;
			}
		} while (now() - t0 < slice);
		t_verify += now() - t0;

		/* the same, every log parsed afresh */
		t0 = now();
		do {
			for (int k = 0; k < 4; k++) {
				attest_verify_cache_flush();
				if (attest_verify(pol, e, f.nonce, f.nonce_len, &v) < 0 || !attest_verdict_ok(v))
					return 1;
				attest_verdict_free(v);
				n_cold++;
			}
		} while (now() - t0 < slice);
		t_cold += now() - t0;

		/* parse the evidence JSON, then verify (warm) */
		t0 = now();
		do {
			for (int k = 0; k < 4; k++) {
				struct attest_evidence *pe = NULL;

				if (attest_evidence_parse("bench", json, strlen(json), &pe) < 0 ||
				    attest_verify(pol, pe, f.nonce, f.nonce_len, &v) < 0 || !attest_verdict_ok(v))
					return 1;
				attest_verdict_free(v);
				attest_evidence_free(pe);
				n_parse++;
			}
		} while (now() - t0 < slice);
		t_parse += now() - t0;

		/* raw: EVP_DigestVerify of the same quote, key and signature */
		t0 = now();
		do {
			for (int k = 0; k < 16; k++) {
				if (EVP_DigestVerifyInit(mdctx, NULL, sha256, NULL, f.ak) != 1 ||
				    EVP_DigestVerify(mdctx, der, (size_t)der_len, e->attest, e->attest_len) != 1)
					return 1;
				n_raw++;
			}
		} while (now() - t0 < slice);
		t_raw += now() - t0;
	}

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
