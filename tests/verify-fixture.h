/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Evidence made in software, for the verification tests and benchmark: an
 * AK-like key made with OpenSSL and its TPM2B_PUBLIC, a TPMS_ATTEST
 * marshalled by hand and signed as a TPM would, PCR values, a measurement
 * log and a UEFI event log that replay to them, and a policy that trusts it
 * all. Every part can be changed before (knobs) or after (the evidence's
 * bytes) signing. Test code: a failure aborts.
 */
#ifndef VMTRUST_VERIFY_FIXTURE_H
#define VMTRUST_VERIFY_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest.h"

#define VFX_RECORDS_MAX 64

struct vfx_record {
	const char *path;       /* files: the path; events: the description */
	const char *content;    /* the file's (or event's) bytes */
	const char *event_type; /* NULL: a file record */
};

struct vfx {
	EVP_PKEY *ak;                   /* signs the quote (owned) */
	EVP_PKEY *policy_ak;            /* pinned by the policy (owned; NULL: ak) */
	bool rsa;                       /* ak is RSA 2048 */
	bool rsapss;                    /* with RSA: sign RSAPSS, not RSASSA */
	uint32_t attrs;                 /* the AK's objectAttributes */
	uint32_t magic;                 /* TPMS_ATTEST.magic */
	uint16_t type;                  /* TPMS_ATTEST.type */
	uint8_t nonce[16];
	size_t nonce_len;
	uint32_t sel_sha256;            /* quoted PCRs of the sha256 bank */
	uint32_t sel_sha1;              /* and of sha1 (0: bank not quoted) */
	uint32_t extra_sha256;          /* values in the evidence, not quoted */
	struct vfx_record recs[VFX_RECORDS_MAX];
	size_t n_recs;                  /* records in the log */
	size_t n_extended;              /* of them, extended into pcr 15 */
	bool mlog;                      /* the evidence carries the log */
	bool uefi;                      /* and a UEFI log */
	bool secure_boot;               /* the built UEFI log's SecureBoot value */
	const char *uefi_file;          /* a log file instead of the built log */
	unsigned sb_pcr;                /* the PCR of the SecureBoot event (7) */
	int second_sb;                  /* a second SecureBoot event, 0 or 1 (-1: none) */
	bool sb_absent;                 /* no first SecureBoot event */
	uint32_t sb_type;               /* the type the first SecureBoot event is logged as */
	const char *sb_data;            /* ...and its logged data (NULL: the variable; the
					 * digest stays the variable's either way) */
	int late_sb;                    /* a SecureBoot event after the separators, 0 or 1
					 * (-1: none), extended into late_sb_pcr */
	unsigned late_sb_pcr;
	uint32_t separators;            /* the PCRs with a separator (0-7) */
	int startup_locality;           /* a StartupLocality event (-1: none) */
	bool hcrtm;                     /* an EV_EFI_HCRTM_EVENT starts PCR 0 */
	uint32_t uefi_empty;            /* PCRs no event extends (their value: the start) */
	uint32_t uefi_hidden;           /* PCRs extended, whose events the log leaves out */
	uint32_t policy_attrs;          /* the attributes of the public area whose name the
					 * policy pins (0: attrs) */
	bool policy_no_name;            /* the policy pins the key alone, as before names */
};

/* Defaults: an ECDSA P-256 AK with tpm2_createak's attributes, a quote of
 * sha256:0-7,15 with nonce 00..0f, three file records all extended, a
 * UEFI log with Secure Boot on. */
void vfx_init(struct vfx *f);
/* Uses an RSA 2048 AK instead (exponent 0 in its TPM2B_PUBLIC). */
void vfx_use_rsa(struct vfx *f, bool pss);
void vfx_done(struct vfx *f);
void vfx_add(struct vfx *f, const char *path, const char *content);

/* The measurement log of recs[0..n) (recnums from 0), JSON lines. */
char *vfx_mlog_text(const struct vfx_record *recs, size_t n);
/* One record's line, with the given recnum. */
char *vfx_record_line(const struct vfx_record *rec, uint64_t recnum);

/* Builds and signs the evidence; free with attest_evidence_free(). */
struct attest_evidence *vfx_evidence(struct vfx *f);

/* The policy that trusts f's evidence: the AK pinned, each file record's
 * sha256 as a required reference value, sha256:0 expected, measurement pcr
 * 15, secure boot required when f->uefi and f->secure_boot. Tests edit the
 * JSON, then load it with vfx_policy_load(). */
json_object *vfx_policy_json(struct vfx *f);
struct policy *vfx_policy_load(json_object *root);

/* A TPMT_SIGNATURE (marshalled, at most sizeof(TPMT_SIGNATURE) bytes) of
 * msg by f->ak, as the TPM signs a quote with it. */
void vfx_sign(struct vfx *f, const uint8_t *msg, size_t len, uint8_t *out, size_t *ret_len);
/* A key's SubjectPublicKeyInfo PEM (malloc'ed). */
char *vfx_pem(EVP_PKEY *k);

/* The marshalled TPM2B_PUBLIC of a key (for import tests). */
void vfx_public(struct vfx *f, uint8_t *out, size_t *ret_len);
/* The TPM name the policy pins: of policy_ak (else ak) with policy_attrs
 * (else attrs), hex. */
void vfx_policy_name(struct vfx *f, char out[2 * ATTEST_NAME_MAX + 1]);
/* The SHA-256 of s, hex. */
void vfx_sha256_hex(const char *s, char out[65]);

#endif
