/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evidence made in software: see verify-fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "fixture.h"
#include "verify-fixture.h"

#define must(x) fx_must(x)

static const TPMA_OBJECT ak_attrs = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;

void vfx_init(struct vfx *f)
{
	memset(f, 0, sizeof(*f));
	f->ak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	must(f->ak);
	f->attrs = ak_attrs;
	f->magic = TPM2_GENERATED_VALUE;
	f->type = TPM2_ST_ATTEST_QUOTE;
	for (size_t i = 0; i < sizeof(f->nonce); i++)
		f->nonce[i] = (uint8_t)i;
	f->nonce_len = sizeof(f->nonce);
	f->sel_sha256 = 0xffu | 1u << 15;
	vfx_add(f, "/usr/bin/qemu-system-x86_64", "qemu-system-x86_64 7.2\n");
	vfx_add(f, "/usr/sbin/libvirtd", "libvirtd 9.0\n");
	vfx_add(f, "/etc/libvirt/qemu.conf", "user = \"libvirt-qemu\"\n");
	f->mlog = true;
	f->uefi = true;
	f->secure_boot = true;
	f->sb_pcr = 7;
	f->second_sb = -1;
	f->sb_type = ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG;
	f->late_sb = -1;
	f->separators = 0xffu;
	f->startup_locality = -1;
}

void vfx_use_rsa(struct vfx *f, bool pss)
{
	EVP_PKEY_free(f->ak);
	f->ak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	must(f->ak);
	f->rsa = true;
	f->rsapss = pss;
}

void vfx_done(struct vfx *f)
{
	EVP_PKEY_free(f->ak);
	EVP_PKEY_free(f->policy_ak);
	f->ak = f->policy_ak = NULL;
}

void vfx_add(struct vfx *f, const char *path, const char *content)
{
	must(f->n_recs < VFX_RECORDS_MAX);
	f->recs[f->n_recs].path = path;
	f->recs[f->n_recs].content = content;
	f->recs[f->n_recs].event_type = NULL;
	f->n_recs++;
	f->n_extended = f->n_recs;
}

void vfx_sha256_hex(const char *s, char out[65])
{
	uint8_t d[32];

	must(EVP_Digest(s, strlen(s), d, NULL, EVP_sha256(), NULL) == 1);
	vt_hex_encode(d, 32, out);
}

/* ---- the measurement log ------------------------------------------------------ */

static void le64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

/* The record as measure.c documents it, computed here. */
static void make_record(const struct vfx_record *r, uint64_t recnum, struct attest_record *rec)
{
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	const char *tag = r->event_type ? "vmtrust-event-v1" : "vmtrust-file-v1";
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t size_le[8];

	memset(rec, 0, sizeof(*rec));
	rec->recnum = recnum;
	rec->pcr = 15;
	rec->kind = r->event_type ? ATTEST_RECORD_EVENT : ATTEST_RECORD_FILE;
	rec->event_type = (char *)r->event_type;
	rec->path = (char *)r->path;
	rec->size = strlen(r->content);
	rec->n_digests = 1;
	rec->file_digests[0].alg = sha256;
	must(EVP_Digest(r->content, rec->size, rec->file_digests[0].value, NULL, EVP_sha256(),
			NULL) == 1);
	le64(size_le, rec->size);
	must(c);
	must(EVP_DigestInit(c, EVP_sha256()) == 1);
	must(EVP_DigestUpdate(c, tag, strlen(tag) + 1) == 1);
	if (r->event_type)
		must(EVP_DigestUpdate(c, r->event_type, strlen(r->event_type) + 1) == 1);
	must(EVP_DigestUpdate(c, r->path, strlen(r->path) + 1) == 1);
	must(EVP_DigestUpdate(c, size_le, 8) == 1);
	must(EVP_DigestUpdate(c, rec->file_digests[0].value, 32) == 1);
	must(EVP_DigestFinal(c, rec->digests[0].value, NULL) == 1);
	rec->digests[0].alg = sha256;
	EVP_MD_CTX_free(c);
}

char *vfx_record_line(const struct vfx_record *r, uint64_t recnum)
{
	struct attest_record rec;
	json_object *o;
	char *line;

	make_record(r, recnum, &rec);
	must(attest_record_to_json(&rec, &o) == 0);
	must(asprintf(&line, "%s\n",
		      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE)) >= 0);
	json_object_put(o);
	return line;
}

char *vfx_mlog_text(const struct vfx_record *recs, size_t n)
{
	char *text = strdup("");

	must(text);
	for (size_t i = 0; i < n; i++) {
		char *line = vfx_record_line(&recs[i], i), *t;

		must(asprintf(&t, "%s%s", text, line) >= 0);
		free(text);
		free(line);
		text = t;
	}
	return text;
}

static void mlog_pcr(const struct vfx *f, uint8_t out[32])
{
	memset(out, 0, 32);
	for (size_t i = 0; i < f->n_extended; i++) {
		struct attest_record rec;
		uint8_t cat[64];

		make_record(&f->recs[i], i, &rec);
		memcpy(cat, out, 32);
		memcpy(cat + 32, rec.digests[0].value, 32);
		must(EVP_Digest(cat, 64, out, NULL, EVP_sha256(), NULL) == 1);
	}
}

/* ---- a UEFI log (fixture.h) ------------------------------------------------------- */

static const struct fx_bank sha256_bank[] = { FX_SHA256 };

static void put_event(struct fx_buf *b, uint32_t pcr, uint32_t type, const void *data, size_t len)
{
	fx_event2(b, pcr, type, sha256_bank, 1, data, len, NULL);
}

/* Spec ID (sha256 only), StartupLocality, a POST code, the SecureBoot
 * variable, separators, a late SecureBoot variable; no event of the PCRs
 * in omit. b's replay is the log's. */
static void build_uefi(const struct vfx *f, struct fx_buf *b, uint32_t omit)
{
	static const uint8_t sep[4];
	struct fx_buf var = { 0 };
	uint8_t sb = f->secure_boot;

	fx_spec_id(b, sha256_bank, 1, 0);
	if (f->startup_locality >= 0)
		fx_startup_locality(b, sha256_bank, 1, (uint8_t)f->startup_locality);
	if (f->hcrtm) {
		/* _TPM_Hash_Start: PCR 0 from locality 4, then the H-CRTM's measurement */
		fx_replay_pcr0_start(b, 4);
		put_event(b, 0, ATTEST_EV_EFI_HCRTM_EVENT, "HCRTM", 5);
	}
#define OMITTED(pcr) (omit & (1u << (pcr)))
	if (!OMITTED(0))
		put_event(b, 0, ATTEST_EV_POST_CODE, "ACPI DATA", 9);
	fx_efi_variable(&var, fx_efi_global_guid, "SecureBoot", &sb, 1);
	if (!OMITTED(f->sb_pcr) && !f->sb_absent) {
		if (f->sb_data) {
			/* the data logged is not what the digest is of */
			uint8_t d[1][FX_DIGEST_MAX];

			fx_digest(&sha256_bank[0], var.p, var.len, d[0]);
			fx_event2(b, f->sb_pcr, f->sb_type, sha256_bank, 1, f->sb_data, strlen(f->sb_data), d);
		} else {
			put_event(b, f->sb_pcr, f->sb_type, var.p, var.len);
		}
		if (f->second_sb >= 0) {
			var.p[var.len - 1] = (uint8_t)f->second_sb;
			put_event(b, f->sb_pcr, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, var.p, var.len);
		}
	}
	for (unsigned pcr = 0; pcr < 8; pcr++)
		if ((f->separators & (1u << pcr)) && !OMITTED(pcr))
			put_event(b, pcr, ATTEST_EV_SEPARATOR, sep, 4);
	if (f->late_sb >= 0 && !OMITTED(f->late_sb_pcr)) {
		var.p[var.len - 1] = (uint8_t)f->late_sb;
		put_event(b, f->late_sb_pcr, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, var.p, var.len);
	}
#undef OMITTED
	fx_buf_free(&var);
}

/* ---- the AK ----------------------------------------------------------------------- */

static void bn_pad(EVP_PKEY *k, const char *param, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;

	must(EVP_PKEY_get_bn_param(k, param, &bn) == 1);
	must(BN_bn2binpad(bn, out, (int)len) == (int)len);
	BN_free(bn);
}

static void public_of(struct vfx *f, EVP_PKEY *key, uint32_t attrs, uint8_t *out, size_t *ret_len)
{
	TPM2B_PUBLIC pub = { 0 };
	TPMT_PUBLIC *p = &pub.publicArea;
	size_t off = 0;

	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = attrs;
	if (f->rsa) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;          /* 65537 */
		p->unique.rsa.size = 256;
		bn_pad(key, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, 256);
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
		bn_pad(key, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, 32);
		bn_pad(key, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, 32);
	}
	must(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out, sizeof(TPM2B_PUBLIC), &off) == TSS2_RC_SUCCESS);
	*ret_len = off;
}

void vfx_public(struct vfx *f, uint8_t *out, size_t *ret_len)
{
	public_of(f, f->ak, f->attrs, out, ret_len);
}

void vfx_policy_name(struct vfx *f, char out[2 * ATTEST_NAME_MAX + 1])
{
	uint8_t pub[sizeof(TPM2B_PUBLIC)], name[ATTEST_NAME_MAX];
	size_t len, name_len;

	public_of(f, f->policy_ak ? f->policy_ak : f->ak, f->policy_attrs ? f->policy_attrs : f->attrs,
		  pub, &len);
	must(attest_public_name(pub, len, name, &name_len) == 0);
	vt_hex_encode(name, name_len, out);
}

void vfx_sign(struct vfx *f, const uint8_t *msg, size_t len, uint8_t *out, size_t *ret_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	TPMT_SIGNATURE sig = { 0 };
	uint8_t raw[512];
	size_t raw_len = sizeof(raw), off = 0;

	must(c && EVP_DigestSignInit(c, &pctx, EVP_sha256(), NULL, f->ak) == 1);
	if (f->rsa)
		must(EVP_PKEY_CTX_set_rsa_padding(pctx, f->rsapss ? RSA_PKCS1_PSS_PADDING :
								      RSA_PKCS1_PADDING) == 1);
	if (f->rsapss)
		must(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1);
	must(EVP_DigestSign(c, raw, &raw_len, msg, len) == 1);
	EVP_MD_CTX_free(c);
	if (f->rsa) {
		sig.sigAlg = f->rsapss ? TPM2_ALG_RSAPSS : TPM2_ALG_RSASSA;
		sig.signature.rsassa.hash = TPM2_ALG_SHA256;
		sig.signature.rsassa.sig.size = (UINT16)raw_len;
		memcpy(sig.signature.rsassa.sig.buffer, raw, raw_len);
	} else {
		const unsigned char *p = raw;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)raw_len);
		const BIGNUM *r, *s;

		must(es);
		ECDSA_SIG_get0(es, &r, &s);
		sig.sigAlg = TPM2_ALG_ECDSA;
		sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
		sig.signature.ecdsa.signatureR.size = 32;
		sig.signature.ecdsa.signatureS.size = 32;
		must(BN_bn2binpad(r, sig.signature.ecdsa.signatureR.buffer, 32) == 32);
		must(BN_bn2binpad(s, sig.signature.ecdsa.signatureS.buffer, 32) == 32);
		ECDSA_SIG_free(es);
	}
	must(Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, out, sizeof(TPMT_SIGNATURE), &off) == TSS2_RC_SUCCESS);
	*ret_len = off;
}

char *vfx_pem(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long len;

	must(bio && PEM_write_bio_PUBKEY(bio, k) == 1);
	len = BIO_get_mem_data(bio, &data);
	s = strndup(data, (size_t)len);
	must(s);
	BIO_free(bio);
	return s;
}

/* ---- the evidence -------------------------------------------------------------------- */

static void *dup_mem(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	must(d);
	memcpy(d, p, n);
	return d;
}

struct attest_evidence *vfx_evidence(struct vfx *f)
{
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	const struct vt_hash_alg *sha1 = vt_hash_alg_by_name("sha1");
	struct attest_evidence *e = calloc(1, sizeof(*e));
	struct policy_pcr_value *uefi_values = NULL;
	size_t n_uefi = 0, off = 0;
	uint8_t pcr256[POLICY_PCR_MAX][32], pcr1[POLICY_PCR_MAX][20];
	uint8_t buf[sizeof(TPMT_SIGNATURE) + sizeof(TPMS_ATTEST) + sizeof(TPM2B_PUBLIC)];
	TPMS_ATTEST a = { 0 };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct fx_buf uefi = { 0 };
	size_t len, n = 0;

	must(e && c);
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++) {
		memset(pcr256[i], (int)(0xa0 + i), 32);
		memset(pcr1[i], (int)(0x10 + i), 20);
	}
	if (f->uefi_file) {
		char *data;

		must(vt_read_file(f->uefi_file, ATTEST_EVENTLOG_SIZE_MAX, &data, &uefi.len) == 0);
		uefi.p = (uint8_t *)data;
	} else {
		build_uefi(f, &uefi, f->uefi_empty);
	}
	/* a firmware PCR no event extends holds its start value */
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++)
		if (f->uefi_empty & (1u << i)) {
			memset(pcr256[i], 0, 32);
			memset(pcr1[i], 0, 20);
			if (i == 0 && f->startup_locality >= 0) {
				pcr256[0][31] = (uint8_t)f->startup_locality;
				pcr1[0][19] = (uint8_t)f->startup_locality;
			}
		}
	if (f->uefi_file) {
		/* a real log: its values as attest replays it */
		struct attest_eventlog *log = NULL;

		must(attest_eventlog_parse("fixture", uefi.p, uefi.len, &log) == 0);
		must(attest_eventlog_replay(log, &uefi_values, &n_uefi) == 0);
		attest_eventlog_free(log);
		for (size_t i = 0; i < n_uefi; i++) {
			if (uefi_values[i].alg == sha256)
				memcpy(pcr256[uefi_values[i].pcr], uefi_values[i].value, 32);
			else if (uefi_values[i].alg == sha1)
				memcpy(pcr1[uefi_values[i].pcr], uefi_values[i].value, 20);
		}
		free(uefi_values);
	} else {
		/* the built log: its values as the fixture replays it */
		for (unsigned i = 0; i < POLICY_PCR_MAX; i++) {
			const uint8_t *v256 = fx_replay_pcr(&uefi, sha256->tpm_alg, i);
			const uint8_t *v1 = fx_replay_pcr(&uefi, sha1->tpm_alg, i);

			if (v256)
				memcpy(pcr256[i], v256, 32);
			if (v1)
				memcpy(pcr1[i], v1, 20);
		}
	}
	mlog_pcr(f, pcr256[15]);

	/* the values: the quoted ones, in the quote's order, and extras */
	e->pcrs = calloc(2 * POLICY_PCR_MAX, sizeof(*e->pcrs));
	must(e->pcrs);
	must(EVP_DigestInit(c, EVP_sha256()) == 1);
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++)
		if ((f->sel_sha256 | f->extra_sha256) & (1u << i)) {
			e->pcrs[n].alg = sha256;
			e->pcrs[n].pcr = i;
			memcpy(e->pcrs[n++].value, pcr256[i], 32);
			if (f->sel_sha256 & (1u << i))
				must(EVP_DigestUpdate(c, pcr256[i], 32) == 1);
		}
	for (unsigned i = 0; i < POLICY_PCR_MAX; i++)
		if (f->sel_sha1 & (1u << i)) {
			e->pcrs[n].alg = sha1;
			e->pcrs[n].pcr = i;
			memcpy(e->pcrs[n++].value, pcr1[i], 20);
			must(EVP_DigestUpdate(c, pcr1[i], 20) == 1);
		}
	e->n_pcrs = n;
	must(EVP_DigestFinal(c, a.attested.quote.pcrDigest.buffer, NULL) == 1);
	EVP_MD_CTX_free(c);
	a.attested.quote.pcrDigest.size = 32;

	a.magic = f->magic;
	a.type = f->type;
	a.qualifiedSigner.size = 34;
	a.qualifiedSigner.name[0] = 0x00;
	a.qualifiedSigner.name[1] = 0x0b;
	memset(a.qualifiedSigner.name + 2, 0x5a, 32);
	a.extraData.size = (UINT16)f->nonce_len;
	memcpy(a.extraData.buffer, f->nonce, f->nonce_len);
	a.clockInfo.clock = 123456789;
	a.clockInfo.resetCount = 3;
	a.clockInfo.restartCount = 1;
	a.clockInfo.safe = 1;
	a.firmwareVersion = 0x2019102300160000ull;
	a.attested.quote.pcrSelect.count = 0;
	if (f->sel_sha256) {
		TPMS_PCR_SELECTION *ps = &a.attested.quote.pcrSelect.pcrSelections[a.attested.quote.pcrSelect.count++];

		ps->hash = TPM2_ALG_SHA256;
		ps->sizeofSelect = 3;
		for (int i = 0; i < 3; i++)
			ps->pcrSelect[i] = (uint8_t)(f->sel_sha256 >> (8 * i));
	}
	if (f->sel_sha1) {
		TPMS_PCR_SELECTION *ps = &a.attested.quote.pcrSelect.pcrSelections[a.attested.quote.pcrSelect.count++];

		ps->hash = TPM2_ALG_SHA1;
		ps->sizeofSelect = 3;
		for (int i = 0; i < 3; i++)
			ps->pcrSelect[i] = (uint8_t)(f->sel_sha1 >> (8 * i));
	}
	if (f->type == TPM2_ST_ATTEST_CERTIFY) {
		memset(&a.attested, 0, sizeof(a.attested));
		a.attested.certify.name.size = 4;
	}
	must(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
	e->attest = dup_mem(buf, off);
	e->attest_len = off;
	vfx_sign(f, e->attest, e->attest_len, buf, &len);
	e->signature = dup_mem(buf, len);
	e->signature_len = len;
	vfx_public(f, buf, &len);
	e->ak_public = dup_mem(buf, len);
	e->ak_public_len = len;
	e->ak_pem = vfx_pem(f->ak);
	memcpy(e->nonce, f->nonce, f->nonce_len);
	e->nonce_len = f->nonce_len;
	if (f->uefi && f->uefi_hidden && !f->uefi_file) {
		fx_buf_free(&uefi);
		build_uefi(f, &uefi, f->uefi_empty | f->uefi_hidden);
	}
	if (f->uefi) {
		e->uefi_log = uefi.p;
		e->uefi_log_len = uefi.len;
	} else {
		free(uefi.p);
	}
	if (f->mlog) {
		e->mlog = vfx_mlog_text(f->recs, f->n_recs);
		e->mlog_len = strlen(e->mlog);
	}
	return e;
}

/* ---- the policy ------------------------------------------------------------------------ */

json_object *vfx_policy_json(struct vfx *f)
{
	json_object *root = json_object_new_object(), *keys = json_object_new_array(),
		    *key = json_object_new_object(), *refs = json_object_new_array(),
		    *meas = json_object_new_object(), *pv = json_object_new_object(),
		    *bank = json_object_new_object();
	struct attest_evidence *e;
	char *pem = vfx_pem(f->policy_ak ? f->policy_ak : f->ak), hex[65];

	json_object_object_add(root, "schema_version", json_object_new_int(1));
	json_object_object_add(root, "sequence", json_object_new_int(1));
	json_object_object_add(meas, "pcr", json_object_new_int(15));
	json_object_object_add(root, "measurement", meas);
	json_object_object_add(key, "id", json_object_new_string("host-a"));
	json_object_object_add(key, "public_key", json_object_new_string(pem));
	if (!f->policy_no_name) {
		char name[2 * ATTEST_NAME_MAX + 1];

		vfx_policy_name(f, name);
		json_object_object_add(key, "name", json_object_new_string(name));
	}
	json_object_array_add(keys, key);
	json_object_object_add(root, "attestation_keys", keys);
	for (size_t i = 0; i < f->n_recs; i++) {
		json_object *ref, *d;
		bool dup = false;

		if (f->recs[i].event_type)
			continue;
		for (size_t j = 0; j < i; j++)
			dup = dup || (!f->recs[j].event_type && strcmp(f->recs[j].path, f->recs[i].path) == 0);
		if (dup)
			continue;
		ref = json_object_new_object();
		d = json_object_new_object();
		vfx_sha256_hex(f->recs[i].content, hex);
		json_object_object_add(ref, "path", json_object_new_string(f->recs[i].path));
		json_object_object_add(d, "sha256", json_object_new_string(hex));
		json_object_object_add(ref, "digests", d);
		json_object_array_add(refs, ref);
	}
	json_object_object_add(root, "reference_values", refs);
	/* sha256:0 as the evidence has it */
	e = vfx_evidence(f);
	for (size_t i = 0; i < e->n_pcrs; i++)
		if (e->pcrs[i].pcr == 0 && e->pcrs[i].alg == vt_hash_alg_by_name("sha256")) {
			vt_hex_encode(e->pcrs[i].value, 32, hex);
			json_object_object_add(bank, "0", json_object_new_string(hex));
		}
	attest_evidence_free(e);
	json_object_object_add(pv, "sha256", bank);
	json_object_object_add(root, "pcr_values", pv);
	if (f->uefi && f->secure_boot)
		json_object_object_add(root, "secure_boot", json_object_new_string("required"));
	free(pem);
	return root;
}

struct policy *vfx_policy_load(json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	struct policy *p = NULL;

	must(policy_load_buffer("fixture-policy", s, strlen(s), &p) == 0);
	return p;
}
