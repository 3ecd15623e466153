/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* attest/eventlog.c on logs built here byte by byte: replay against an
 * independent OpenSSL computation, event decoding, Secure Boot state, and
 * every kind of damage (each truncation point, lying sizes and counts,
 * unknown algorithms, oversized input). The real logs of the conformance
 * set are checked by test-eventlog-conformance. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
}

/* ---- building logs ---------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, size_t n)
{
	uint8_t x[8];

	for (size_t i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, n);
}

struct bank {
	uint16_t id;
	uint16_t size;
	const char *ossl;       /* NULL: an algorithm vmtrust does not know */
};

/* sha1, sha256 and sm3_256 (which vmtrust does not replay) */
static const struct bank banks3[] = {
	{ 0x0004, 20, "SHA1" },
	{ 0x000b, 32, "SHA256" },
	{ 0x0012, 32, NULL },
};

static void digest_of(const struct bank *bk, const void *data, size_t len, uint8_t *out)
{
	unsigned n = 0;

	if (!bk->ossl) {
		memset(out, 0xab, bk->size);
		return;
	}
	ck_assert_int_eq(EVP_Digest(data, len, out, &n, EVP_get_digestbyname(bk->ossl), NULL), 1);
	ck_assert_uint_eq(n, bk->size);
}

static void put_spec_id(struct buf *b, const struct bank *banks, size_t n_banks, uint8_t vendor)
{
	static const uint8_t zero[20];

	put_le(b, 0, 4);                    /* pcr */
	put_le(b, ATTEST_EV_NO_ACTION, 4);
	put(b, zero, 20);
	put_le(b, 28 + 4 * n_banks + 1 + vendor, 4);
	put(b, "Spec ID Event03", 16);
	put_le(b, 0, 4);                    /* platform class */
	put_le(b, 0, 1);
	put_le(b, 2, 1);
	put_le(b, 0, 1);
	put_le(b, 2, 1);                    /* uintn size */
	put_le(b, n_banks, 4);
	for (size_t i = 0; i < n_banks; i++) {
		put_le(b, banks[i].id, 2);
		put_le(b, banks[i].size, 2);
	}
	put_le(b, vendor, 1);
	for (unsigned i = 0; i < vendor; i++)
		put_le(b, 0xc0 + i, 1);
}

/* A TCG_PCR_EVENT2 whose digests are the hash of its data (zero for
 * EV_NO_ACTION) unless digests[] gives them. */
static void put_event2(struct buf *b, uint32_t pcr, uint32_t type, const struct bank *banks,
		       size_t n_banks, const void *data, size_t len, const uint8_t (*digests)[64])
{
	put_le(b, pcr, 4);
	put_le(b, type, 4);
	put_le(b, n_banks, 4);
	for (size_t i = 0; i < n_banks; i++) {
		uint8_t d[64] = { 0 };

		if (digests)
			memcpy(d, digests[i], banks[i].size);
		else if (type != ATTEST_EV_NO_ACTION)
			digest_of(&banks[i], data, len, d);
		put_le(b, banks[i].id, 2);
		put(b, d, banks[i].size);
	}
	put_le(b, len, 4);
	put(b, data, len);
}

static void put_event1(struct buf *b, uint32_t pcr, uint32_t type, const void *data, size_t len)
{
	uint8_t d[20] = { 0 };

	if (type != ATTEST_EV_NO_ACTION)
		digest_of(&banks3[0], data, len, d);
	put_le(b, pcr, 4);
	put_le(b, type, 4);
	put(b, d, 20);
	put_le(b, len, 4);
	put(b, data, len);
}

static void efi_variable(struct buf *v, const uint8_t guid[16], const char *name, const void *data,
			 size_t len)
{
	put(v, guid, 16);
	put_le(v, strlen(name), 8);
	put_le(v, len, 8);
	for (const char *c = name; *c; c++)
		put_le(v, (uint8_t)*c, 2);
	put(v, data, len);
}

static const uint8_t global_guid[16] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
	0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
};

/* ---- the independent replay ------------------------------------------------ */

struct model {
	uint8_t pcr[2][POLICY_PCR_MAX][64];
	uint32_t used[2];
};

static void model_extend(struct model *m, size_t k, unsigned pcr, const void *data, size_t len)
{
	uint8_t cat[128], d[64];
	unsigned n;

	digest_of(&banks3[k], data, len, d);
	memcpy(cat, m->pcr[k][pcr], banks3[k].size);
	memcpy(cat + banks3[k].size, d, banks3[k].size);
	ck_assert_int_eq(EVP_Digest(cat, 2 * banks3[k].size, m->pcr[k][pcr], &n,
				    EVP_get_digestbyname(banks3[k].ossl), NULL), 1);
	m->used[k] |= 1u << pcr;
}

static void check_replay(const struct attest_eventlog *log, const struct model *m)
{
	struct policy_pcr_value *values = NULL;
	size_t n = 0, want = 0, at = 0;

	ck_assert_int_eq(attest_eventlog_replay(log, &values, &n), 0);
	for (size_t k = 0; k < 2; k++)
		want += (size_t)__builtin_popcount(m->used[k]);
	ck_assert_uint_eq(n, want);
	for (size_t k = 0; k < 2; k++)
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			if (!(m->used[k] & (1u << pcr)))
				continue;
			ck_assert_ptr_nonnull(values[at].alg);
			ck_assert_uint_eq(values[at].alg->tpm_alg, banks3[k].id);
			ck_assert_uint_eq(values[at].pcr, pcr);
			ck_assert_mem_eq(values[at].value, m->pcr[k][pcr], banks3[k].size);
			at++;
		}
	free(values);
}

/* A crypto-agile log of every common type; m gets the expected PCRs. */
static void build_agile(struct buf *b, struct model *m, bool secure_boot)
{
	static const uint8_t locality[17] = "StartupLocality\0\3";
	static const uint8_t crtm[] = { 'v', 0, '1', 0, 0, 0 };
	static const uint8_t blob[16] = { 0, 0, 0x90, 0, 0, 0, 0, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0 };
	static const uint8_t sep[4] = { 0 };
	static const char action[] = "Calling EFI Application from Boot Option";
	struct buf var = { 0 }, img = { 0 };
	uint8_t sb = secure_boot;

	memset(m, 0, sizeof(*m));
	put_spec_id(b, banks3, 3, 0);
	put_event2(b, 0, ATTEST_EV_NO_ACTION, banks3, 3, locality, sizeof(locality), NULL);
	m->pcr[0][0][19] = 3;
	m->pcr[1][0][31] = 3;

	put_event2(b, 0, ATTEST_EV_S_CRTM_VERSION, banks3, 3, crtm, sizeof(crtm), NULL);
	put_event2(b, 0, ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB, banks3, 3, blob, sizeof(blob), NULL);
	put_event2(b, 0, ATTEST_EV_POST_CODE, banks3, 3, "ACPI DATA", 9, NULL);
	efi_variable(&var, global_guid, "SecureBoot", &sb, 1);
	put_event2(b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 3, var.p, var.len, NULL);
	for (unsigned pcr = 0; pcr < 8; pcr++)
		put_event2(b, pcr, ATTEST_EV_SEPARATOR, banks3, 3, sep, 4, NULL);
	put_event2(b, 4, ATTEST_EV_EFI_ACTION, banks3, 3, action, strlen(action), NULL);
	put_le(&img, 0x7dcf6018, 8);
	put_le(&img, 171464, 8);
	put_le(&img, 0, 8);
	put_le(&img, 4, 8);
	put(&img, "\x7f\xff\x04\x00", 4);
	put_event2(b, 4, ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION, banks3, 3, img.p, img.len, NULL);
	/* a measurement with two of the three banks, as real logs have */
	put_event2(b, 14, ATTEST_EV_IPL, banks3, 2, "MokList\0", 8, NULL);

	for (size_t k = 0; k < 2; k++) {
		model_extend(m, k, 0, crtm, sizeof(crtm));
		model_extend(m, k, 0, blob, sizeof(blob));
		model_extend(m, k, 0, "ACPI DATA", 9);
		model_extend(m, k, 7, var.p, var.len);
		for (unsigned pcr = 0; pcr < 8; pcr++)
			model_extend(m, k, pcr, sep, 4);
		model_extend(m, k, 4, action, strlen(action));
		model_extend(m, k, 4, img.p, img.len);
		model_extend(m, k, 14, "MokList\0", 8);
	}
	free(var.p);
	free(img.p);
}

#define AGILE_EVENTS 17u

START_TEST(test_agile_replay)
{
	struct attest_eventlog *log = NULL;
	const struct attest_eventlog_alg *algs;
	const struct attest_event *ev;
	struct buf b = { 0 };
	struct model m;
	size_t n;

	build_agile(&b, &m, true);
	ck_assert_int_eq(attest_eventlog_parse("agile", b.p, b.len, &log), 0);
	ck_assert_uint_eq(n_errors, 0);
	ck_assert(attest_eventlog_is_crypto_agile(log));
	algs = attest_eventlog_algs(log, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(algs[0].alg->name, "sha1");
	ck_assert_str_eq(algs[1].alg->name, "sha256");
	ck_assert_ptr_null(algs[2].alg);
	ck_assert_uint_eq(algs[2].alg_id, 0x0012);
	ck_assert_uint_eq(algs[2].size, 32);

	ev = attest_eventlog_events(log, &n);
	ck_assert_uint_eq(n, AGILE_EVENTS);
	ck_assert_uint_eq(ev[0].offset, 0);
	for (size_t i = 1; i < n; i++) {
		ck_assert_uint_eq(ev[i].index, i);
		ck_assert_uint_eq(ev[i].offset, ev[i - 1].offset + ev[i - 1].size);
	}
	ck_assert_uint_eq(ev[n - 1].offset + ev[n - 1].size, b.len);
	ck_assert_uint_eq(ev[1].type, ATTEST_EV_NO_ACTION);
	ck_assert_uint_eq(ev[2].n_digests, 3);
	ck_assert_uint_eq(ev[16].n_digests, 2);
	ck_assert_uint_eq(ev[16].pcr, 14);
	ck_assert_int_eq(attest_eventlog_startup_locality(log), 3);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 1);
	ck_assert_uint_eq(attest_eventlog_n_mismatches(log), 0);
	ck_assert(ev[5].digest_checked);        /* the SecureBoot variable */
	ck_assert(!ev[5].digest_mismatch);
	check_replay(log, &m);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

/* The replay of one bank and the PCRs asked for, as the verifier asks: those
 * are the model's, the others keep their start value (PCR 0 the
 * StartupLocality's 3), and every PCR extended is reported used. */
START_TEST(test_replay_bank_mask)
{
	struct attest_eventlog *log = NULL;
	uint8_t pcrs[POLICY_PCR_MAX][VT_DIGEST_MAX], start[32] = { 0 };
	struct buf b = { 0 };
	struct model m;
	uint32_t used = 0;

	build_agile(&b, &m, true);
	ck_assert_int_eq(attest_eventlog_parse_flags("agile", b.p, b.len, ATTEST_EVENTLOG_NO_DATA_CHECK,
						     &log), 0);
	ck_assert(!attest_eventlog_has_hcrtm(log));
	ck_assert_int_eq(attest_eventlog_pcr0_locality(log), 3);
	ck_assert_int_eq(attest_eventlog_replay_bank(log, vt_hash_alg_by_name("sha256"), 1u << 4 | 1u << 7,
						     pcrs, &used), 0);
	ck_assert_uint_eq(used, m.used[1]);
	ck_assert_mem_eq(pcrs[4], m.pcr[1][4], 32);
	ck_assert_mem_eq(pcrs[7], m.pcr[1][7], 32);
	start[31] = 3;
	ck_assert_mem_eq(pcrs[0], start, 32);
	start[31] = 0;
	ck_assert_mem_eq(pcrs[14], start, 32);
	/* a bank the log does not have: nothing extended */
	ck_assert_int_eq(attest_eventlog_replay_bank(log, vt_hash_alg_by_name("sha384"), UINT32_MAX,
						     pcrs, &used), 0);
	ck_assert_uint_eq(used, 0);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

START_TEST(test_secure_boot_states)
{
	struct attest_eventlog *log = NULL;
	struct buf b = { 0 }, var = { 0 };
	struct model m;

	build_agile(&b, &m, false);
	ck_assert_int_eq(attest_eventlog_parse("sb-off", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 0);
	attest_eventlog_free(log);
	free(b.p);

	/* measured empty (the variable does not exist): off */
	b = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 0);
	efi_variable(&var, global_guid, "SecureBoot", NULL, 0);
	put_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	put_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 2, "\0\0\0\0", 4, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-empty", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 0);
	attest_eventlog_free(log);
	free(b.p);
	free(var.p);

	/* two bytes of value: malformed */
	b = (struct buf){ 0 };
	var = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 0);
	efi_variable(&var, global_guid, "SecureBoot", "\1\1", 2);
	put_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	put_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 2, "\0\0\0\0", 4, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-long", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(last_error, "SecureBoot value of 2 bytes"));
	attest_eventlog_free(log);
	free(b.p);
	free(var.p);

	/* no such event; a SecureBoot of another GUID does not count */
	b = (struct buf){ 0 };
	var = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 0);
	efi_variable(&var, (const uint8_t *)"0123456789abcdef", "SecureBoot", "\1", 1);
	put_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	put_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 2, "\0\0\0\0", 4, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-none", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -ENOENT);
	ck_assert_int_eq(attest_eventlog_startup_locality(log), -ENOENT);
	attest_eventlog_free(log);
	free(b.p);
	free(var.p);

	/* the rule the host audit shares with the verifier: a SecureBoot
	 * event after PCR 7's separator contradicts the log, even agreeing */
	b = (struct buf){ 0 };
	var = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 0);
	efi_variable(&var, global_guid, "SecureBoot", "\1", 1);
	put_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	put_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 2, "\0\0\0\0", 4, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-late", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 1);
	attest_eventlog_free(log);
	put_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-late", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(last_error, "records the SecureBoot variable after pcr 7's separator"));
	attest_eventlog_free(log);
	free(b.p);
	free(var.p);
}
END_TEST

START_TEST(test_mismatch_is_a_warning)
{
	struct attest_eventlog *log = NULL;
	const struct attest_event *ev;
	struct policy_pcr_value *values = NULL;
	uint8_t forged[3][64], cat[40];
	uint8_t expect[20] = { 0 };
	struct buf b = { 0 };
	unsigned md_len;
	size_t n;

	/* a separator whose digests are not the hash of its data: the replay
	 * extends what is logged */
	memset(forged, 0x5a, sizeof(forged));
	put_spec_id(&b, banks3, 3, 0);
	put_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 3, "\0\0\0\0", 4, forged);
	put_event2(&b, 3, ATTEST_EV_PLATFORM_CONFIG_FLAGS, banks3, 3, "x", 1, forged);
	ck_assert_int_eq(attest_eventlog_parse("forged", b.p, b.len, &log), 0);
	ck_assert_uint_eq(n_errors, 0);
	ev = attest_eventlog_events(log, &n);
	ck_assert(ev[1].digest_checked);
	ck_assert(ev[1].digest_mismatch);
	ck_assert(!ev[2].digest_checked);       /* no rule for this type */
	ck_assert(!ev[2].digest_mismatch);
	ck_assert_uint_eq(attest_eventlog_n_mismatches(log), 1);

	ck_assert_int_eq(attest_eventlog_replay(log, &values, &n), 0);
	ck_assert_uint_eq(n, 4);
	memcpy(cat, expect, 20);
	memcpy(cat + 20, forged[0], 20);
	ck_assert_int_eq(EVP_Digest(cat, 40, expect, &md_len, EVP_sha1(), NULL), 1);
	ck_assert_uint_eq(values[1].pcr, 7);
	ck_assert_mem_eq(values[1].value, expect, 20);
	free(values);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

/* StartupLocality in a log that also has an algorithm vmtrust does not know,
 * whose digests are longer than any it knows (UBSan, with the input
 * fuzz/corpus/eventlog/regress-locality-unknown-bank.bin): that bank is not
 * replayed, so the locality must not be written into it either, nor past it
 * into the next bank. */
START_TEST(test_locality_unknown_long_digest)
{
	static const uint8_t locality[17] = "StartupLocality\0\3";
	static const uint8_t sep[4] = { 0 };
	/* The unknown bank's digest size puts its last byte where the sha256
	 * bank's PCR 0 starts, one row of 24 PCRs of 64 bytes (and a mask)
	 * further. */
	static const struct bank banks[] = {
		{ 0x7777, 4 + POLICY_PCR_MAX * 64 + 1, NULL },
		{ 0x000b, 32, "SHA256" },
	};
	struct attest_eventlog *log = NULL;
	struct buf b = { 0 };
	struct model m = { 0 };

	put_spec_id(&b, banks, 2, 0);
	put_event2(&b, 0, ATTEST_EV_NO_ACTION, &banks[1], 1, locality, sizeof(locality), NULL);
	put_event2(&b, 0, ATTEST_EV_SEPARATOR, &banks[1], 1, sep, sizeof(sep), NULL);
	m.pcr[1][0][31] = 3;
	model_extend(&m, 1, 0, sep, sizeof(sep));

	ck_assert_int_eq(attest_eventlog_parse("unknown", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_startup_locality(log), 3);
	check_replay(log, &m);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

START_TEST(test_legacy_replay)
{
	static const char *const data[] = { "v1.0", "ACPI DATA", "\0\0\0\0", "boot" };
	static const unsigned pcrs[] = { 0, 0, 4, 4 };
	struct attest_eventlog *log = NULL;
	const struct attest_eventlog_alg *algs;
	struct buf b = { 0 };
	struct model m = { 0 };
	size_t n;

	put_event1(&b, 0, ATTEST_EV_S_CRTM_VERSION, data[0], 4);
	put_event1(&b, 0, ATTEST_EV_POST_CODE, data[1], 9);
	put_event1(&b, 4, ATTEST_EV_SEPARATOR, data[2], 4);
	put_event1(&b, 2, ATTEST_EV_NO_ACTION, "ignored", 7);
	put_event1(&b, 4, ATTEST_EV_EFI_ACTION, data[3], 4);
	for (size_t i = 0; i < ELEMENTSOF(data); i++)
		model_extend(&m, 0, pcrs[i], data[i], i == 1 ? 9 : 4);

	ck_assert_int_eq(attest_eventlog_parse("legacy", b.p, b.len, &log), 0);
	ck_assert(!attest_eventlog_is_crypto_agile(log));
	algs = attest_eventlog_algs(log, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(algs[0].alg->name, "sha1");
	attest_eventlog_events(log, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(attest_eventlog_n_mismatches(log), 0);
	check_replay(log, &m);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

START_TEST(test_header_only)
{
	struct attest_eventlog *log = NULL;
	struct policy_pcr_value *values = NULL;
	struct buf b = { 0 };
	size_t n = 99;

	put_spec_id(&b, banks3, 2, 3);
	ck_assert_int_eq(attest_eventlog_parse("header", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_replay(log, &values, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(values);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

/* ---- descriptions ------------------------------------------------------------ */

static const char *jstr(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		ck_assert_msg(json_object_object_get_ex(o, key, &o), "no key %s", key);
		path = dot + 1;
	}
	ck_assert_msg(json_object_object_get_ex(o, path, &o), "no key %s", path);
	return json_object_get_string(o);
}

START_TEST(test_describe)
{
	struct attest_eventlog *log = NULL;
	const struct attest_event *ev;
	struct json_object *o;
	struct buf b = { 0 };
	struct model m;
	size_t n;

	build_agile(&b, &m, true);
	put_event2(&b, 5, ATTEST_EV_EFI_ACTION, banks3, 2, "a\x01\xff\\b\"", 6, NULL);
	put_event2(&b, 9, ATTEST_EV_IPL, banks3, 2, "i\0n\0i\0t\0\0", 9, NULL);
	put_event2(&b, 9, 0x12345678, banks3, 2, "\x01\x02", 2, NULL);
	ck_assert_int_eq(attest_eventlog_parse("describe", b.p, b.len, &log), 0);
	ev = attest_eventlog_events(log, &n);
	ck_assert_uint_eq(n, AGILE_EVENTS + 3);

	ck_assert_int_eq(attest_event_to_json(&ev[0], &o), 0);
	ck_assert_str_eq(jstr(o, "type"), "EV_NO_ACTION");
	ck_assert_str_eq(jstr(o, "event.spec_id.signature"), "Spec ID Event03");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[1], &o), 0);
	ck_assert_str_eq(jstr(o, "event.startup_locality"), "3");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[2], &o), 0);
	ck_assert_str_eq(jstr(o, "event.string"), "v1");
	ck_assert_str_eq(jstr(o, "data_check"), "ok");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[3], &o), 0);
	ck_assert_str_eq(jstr(o, "event.blob_base"), "0x900000");
	ck_assert_str_eq(jstr(o, "event.blob_length"), "11534336");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[4], &o), 0);
	ck_assert_str_eq(jstr(o, "event.string"), "ACPI DATA");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[5], &o), 0);
	ck_assert_str_eq(jstr(o, "type"), "EV_EFI_VARIABLE_DRIVER_CONFIG");
	ck_assert_str_eq(jstr(o, "event.guid"), "8be4df61-93ca-11d2-aa0d-00e098032b8c");
	ck_assert_str_eq(jstr(o, "event.name"), "SecureBoot");
	ck_assert_str_eq(jstr(o, "event.data_length"), "1");
	ck_assert_str_eq(jstr(o, "event.data"), "01");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[6], &o), 0);
	ck_assert_str_eq(jstr(o, "event.separator"), "0x00000000");
	ck_assert_str_eq(jstr(o, "pcr"), "0");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[14], &o), 0);
	ck_assert_str_eq(jstr(o, "event.string"), "Calling EFI Application from Boot Option");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[15], &o), 0);
	ck_assert_str_eq(jstr(o, "event.image_location"), "0x7dcf6018");
	ck_assert_str_eq(jstr(o, "event.image_length"), "171464");
	ck_assert_str_eq(jstr(o, "event.device_path_length"), "4");
	ck_assert_str_eq(jstr(o, "event.device_path"), "7fff0400");
	json_object_put(o);

	/* non-printable bytes escaped, a backslash doubled: no raw byte out */
	ck_assert_int_eq(attest_event_to_json(&ev[AGILE_EVENTS], &o), 0);
	ck_assert_str_eq(jstr(o, "event.string"), "a\\x01\\xff\\\\b\"");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[AGILE_EVENTS + 1], &o), 0);
	ck_assert_str_eq(jstr(o, "event.string"), "init");
	json_object_put(o);

	ck_assert_int_eq(attest_event_to_json(&ev[AGILE_EVENTS + 2], &o), 0);
	ck_assert_str_eq(jstr(o, "type"), "0x12345678");
	ck_assert_str_eq(jstr(o, "event.hex"), "0102");
	ck_assert_str_eq(jstr(o, "size"), "2");
	json_object_put(o);

	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(attest_event_type_name(ATTEST_EV_SEPARATOR), "EV_SEPARATOR");
	ck_assert_str_eq(attest_event_type_name(ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION),
			 "EV_EFI_BOOT_SERVICES_APPLICATION");
	ck_assert_str_eq(attest_event_type_name(ATTEST_EV_EFI_VARIABLE_AUTHORITY),
			 "EV_EFI_VARIABLE_AUTHORITY");
	ck_assert_ptr_null(attest_event_type_name(0x7fffffff));
}
END_TEST

/* ---- damage ------------------------------------------------------------------ */

/* Every prefix either parses as the events that fit whole (cut exactly at
 * an event boundary) or fails with -EBADMSG and one message with the
 * offset. */
static void check_prefixes(const uint8_t *data, size_t len)
{
	struct attest_eventlog *full = NULL;
	const struct attest_event *ev;
	size_t n_full;

	ck_assert_int_eq(attest_eventlog_parse("full", data, len, &full), 0);
	ev = attest_eventlog_events(full, &n_full);

	for (size_t cut = 0; cut < len; cut++) {
		struct attest_eventlog *log = NULL;
		size_t boundary = 0, n = 0;
		uint8_t *copy = malloc(cut ? cut : 1);
		int r;

		/* an exact-size heap copy: ASan sees any read past the cut */
		memcpy(copy, data, cut);
		for (size_t i = 0; i < n_full && ev[i].offset + ev[i].size <= cut; i++)
			boundary = ev[i].offset + ev[i].size, n = i + 1;
		n_errors = 0;
		r = attest_eventlog_parse("cut", copy, cut, &log);
		if (cut > 0 && cut == boundary) {
			size_t n_got;

			ck_assert_msg(r == 0, "cut at %zu (boundary) gave %d", cut, r);
			attest_eventlog_events(log, &n_got);
			ck_assert_uint_eq(n_got, n);
		} else {
			ck_assert_msg(r == -EBADMSG, "cut at %zu gave %d", cut, r);
			ck_assert_uint_eq(n_errors, 1);
			if (cut > 0)
				ck_assert_msg(strstr(last_error, " at byte "), "%s", last_error);
		}
		attest_eventlog_free(log);
		free(copy);
	}
	attest_eventlog_free(full);
}

START_TEST(test_every_truncation_agile)
{
	struct buf b = { 0 };
	struct model m;

	build_agile(&b, &m, true);
	check_prefixes(b.p, b.len);
	free(b.p);
}
END_TEST

START_TEST(test_every_truncation_legacy)
{
	struct buf b = { 0 };

	put_event1(&b, 0, ATTEST_EV_S_CRTM_VERSION, "v1.0", 4);
	put_event1(&b, 0, ATTEST_EV_POST_CODE, "ACPI DATA", 9);
	put_event1(&b, 4, ATTEST_EV_SEPARATOR, "\0\0\0\0", 4);
	put_event1(&b, 4, ATTEST_EV_EFI_ACTION, "", 0);
	check_prefixes(b.p, b.len);
	free(b.p);
}
END_TEST

static int parse_expect_fail(const struct buf *b, const char *needle)
{
	struct attest_eventlog *log = NULL;
	int r;

	n_errors = 0;
	last_error[0] = '\0';
	r = attest_eventlog_parse("bad.bin", b->p, b->len, &log);
	ck_assert_ptr_null(log);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, needle), "'%s' lacks '%s'", last_error, needle);
	ck_assert_msg(strncmp(last_error, "event log 'bad.bin': ", 21) == 0, "%s", last_error);
	return r;
}

/* Overwrites a little-endian field of a built log. */
static void poke(struct buf *b, size_t at, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b->p[at + i] = (uint8_t)(v >> (8 * i));
}

#define SPEC2_SIZE (32 + 28 + 8 + 1)    /* a Spec ID event with two algorithms */

START_TEST(test_corrupt_sizes)
{
	struct buf b = { 0 };

	put_spec_id(&b, banks3, 2, 0);
	put_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, "abc", 3, NULL);
	put_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, "def", 3, NULL);

	/* event size of the second event: huge, then just one too many */
	size_t second = SPEC2_SIZE + 12 + 22 + 34 + 4 + 3;
	size_t size_at = second + 12 + 22 + 34;
	poke(&b, size_at, 0xffffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "truncated event 2 at byte 144: event size 4294967295 exceeds the 3 bytes left"),
			 -EBADMSG);
	poke(&b, size_at, 4, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "event size 4 exceeds the 3 bytes left"), -EBADMSG);
	poke(&b, size_at, 3, 4);

	/* digest count */
	poke(&b, second + 8, 0xffffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "event 2 at byte 144: digest count 4294967295 exceeds the 2 algorithms"),
			 -EBADMSG);
	poke(&b, second + 8, 0, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "no digests"), -EBADMSG);
	poke(&b, second + 8, 2, 4);

	/* an algorithm the Spec ID event does not list, and one twice */
	poke(&b, second + 12, 0x000c, 2);
	ck_assert_int_eq(parse_expect_fail(&b, "digest algorithm 0x000c is not in the spec id event"),
			 -EBADMSG);
	poke(&b, second + 12, 0x0004, 2);
	poke(&b, second + 12 + 22, 0x0004, 2);
	ck_assert_int_eq(parse_expect_fail(&b, "two sha1 digests"), -EBADMSG);
	poke(&b, second + 12 + 22, 0x000b, 2);

	/* a PCR a TPM does not have */
	poke(&b, second, 24, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "pcr 24 out of range"), -EBADMSG);
	poke(&b, second, 4, 4);

	/* the first record's data size */
	poke(&b, 28, 0x7fffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "truncated event 0 at byte 0: event size 2147483647 exceeds"),
			 -EBADMSG);
	free(b.p);
}
END_TEST

START_TEST(test_corrupt_spec_id)
{
	struct buf b = { 0 };

	put_spec_id(&b, banks3, 0, 0);
	put_event1(&b, 0, ATTEST_EV_SEPARATOR, "\0\0\0\0", 4);
	ck_assert_int_eq(parse_expect_fail(&b, "spec id event lists no algorithms"), -EBADMSG);
	free(b.p);

	b = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 0);
	poke(&b, 32 + 24, 1000, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "1000 algorithms"), -EBADMSG);
	poke(&b, 32 + 24, 3, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "needs 41 bytes, its size is 37"), -EBADMSG);
	poke(&b, 32 + 24, 2, 4);
	poke(&b, 32 + 28 + 6, 20, 2);           /* sha256 of 20 bytes */
	ck_assert_int_eq(parse_expect_fail(&b, "gives sha256 a digest size of 20, not 32"), -EBADMSG);
	poke(&b, 32 + 28 + 4, 0x0004, 2);       /* sha1 twice */
	ck_assert_int_eq(parse_expect_fail(&b, "lists sha1 twice"), -EBADMSG);
	free(b.p);

	/* vendor info past the data size: read as tpm2-tools does when the
	 * bytes are there, an error when they are not */
	b = (struct buf){ 0 };
	put_spec_id(&b, banks3, 2, 4);
	poke(&b, 28, 28 + 8 + 1, 4);
	{
		struct attest_eventlog *log = NULL;
		const struct attest_event *ev;
		size_t n;

		ck_assert_int_eq(attest_eventlog_parse("vendor", b.p, b.len, &log), 0);
		ev = attest_eventlog_events(log, &n);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(ev[0].size, b.len);
		attest_eventlog_free(log);
	}
	b.len -= 1;
	ck_assert_int_eq(parse_expect_fail(&b, "vendor info of 4 bytes exceeds the 3 bytes left"),
			 -EBADMSG);
	free(b.p);
}
END_TEST

START_TEST(test_limits)
{
	struct attest_eventlog *log = NULL;
	struct buf b = { 0 };
	uint8_t *big;

	/* empty */
	ck_assert_int_eq(parse_expect_fail(&b, "empty"), -EBADMSG);

	/* larger than the log limit: refused before any byte is read */
	big = calloc(1, ATTEST_EVENTLOG_SIZE_MAX + 1);
	ck_assert_ptr_nonnull(big);
	n_errors = 0;
	ck_assert_int_eq(attest_eventlog_parse("bad.bin", big, ATTEST_EVENTLOG_SIZE_MAX + 1, &log),
			 -EFBIG);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_ptr_nonnull(strstr(last_error, "exceed the limit"));

	/* one event's data above its limit, though the bytes are there */
	put_spec_id(&b, banks3, 2, 0);
	put_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, big, ATTEST_EVENT_DATA_MAX + 1, NULL);
	ck_assert_int_eq(parse_expect_fail(&b, "exceeds the limit of 1048576 bytes"), -EBADMSG);
	free(b.p);
	free(big);

	/* one event more than allowed */
	b = (struct buf){ 0 };
	for (unsigned i = 0; i <= ATTEST_EVENTLOG_EVENTS_MAX; i++)
		put_event1(&b, 1, ATTEST_EV_POST_CODE, NULL, 0);
	ck_assert_int_eq(parse_expect_fail(&b, "more than 65536 events (the next at byte 2097152)"),
			 -EBADMSG);
	b.len -= 32;
	ck_assert_int_eq(attest_eventlog_parse("max", b.p, b.len, &log), 0);
	attest_eventlog_free(log);
	free(b.p);
}
END_TEST

static Suite *eventlog_suite(void)
{
	Suite *s = suite_create("eventlog");
	TCase *tc;

	tc = tcase_create("replay");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_agile_replay);
	tcase_add_test(tc, test_replay_bank_mask);
	tcase_add_test(tc, test_legacy_replay);
	tcase_add_test(tc, test_header_only);
	tcase_add_test(tc, test_mismatch_is_a_warning);
	tcase_add_test(tc, test_locality_unknown_long_digest);
	suite_add_tcase(s, tc);

	tc = tcase_create("secure-boot");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_secure_boot_states);
	suite_add_tcase(s, tc);

	tc = tcase_create("describe");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("damage");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_every_truncation_agile);
	tcase_add_test(tc, test_every_truncation_legacy);
	tcase_add_test(tc, test_corrupt_sizes);
	tcase_add_test(tc, test_corrupt_spec_id);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(eventlog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
