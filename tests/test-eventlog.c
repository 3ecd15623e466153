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
#include "fixture.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
}

/* ---- building logs (fixture.h) ------------------------------------------------- */

/* sha1, sha256 and sm3_256 (which vmtrust does not replay) */
static const struct fx_bank banks3[] = { FX_SHA1, FX_SHA256, FX_SM3_256 };

/* attest's replay of log, which must be the fixture's of b */
static void check_replay(const struct attest_eventlog *log, const struct fx_buf *b)
{
	struct policy_pcr_value *values = NULL;
	size_t n = 0;

	ck_assert_int_eq(attest_eventlog_replay(log, &values, &n), 0);
	fx_check_replay(b, values, n);
	free(values);
}

/* A crypto-agile log of every common type; its replay is b's. */
static void build_agile(struct fx_buf *b, bool secure_boot)
{
	static const uint8_t crtm[] = { 'v', 0, '1', 0, 0, 0 };
	static const uint8_t blob[16] = { 0, 0, 0x90, 0, 0, 0, 0, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0 };
	static const uint8_t sep[4] = { 0 };
	static const char action[] = "Calling EFI Application from Boot Option";
	struct fx_buf var = { 0 }, img = { 0 };
	uint8_t sb = secure_boot;

	fx_spec_id(b, banks3, 3, 0);
	fx_startup_locality(b, banks3, 3, 3);
	fx_event2(b, 0, ATTEST_EV_S_CRTM_VERSION, banks3, 3, crtm, sizeof(crtm), NULL);
	fx_event2(b, 0, ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB, banks3, 3, blob, sizeof(blob), NULL);
	fx_event2(b, 0, ATTEST_EV_POST_CODE, banks3, 3, "ACPI DATA", 9, NULL);
	fx_efi_variable(&var, fx_efi_global_guid, "SecureBoot", &sb, 1);
	fx_event2(b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 3, var.p, var.len, NULL);
	for (unsigned pcr = 0; pcr < 8; pcr++)
		fx_event2(b, pcr, ATTEST_EV_SEPARATOR, banks3, 3, sep, 4, NULL);
	fx_event2(b, 4, ATTEST_EV_EFI_ACTION, banks3, 3, action, strlen(action), NULL);
	fx_put_le(&img, 0x7dcf6018, 8);
	fx_put_le(&img, 171464, 8);
	fx_put_le(&img, 0, 8);
	fx_put_le(&img, 4, 8);
	fx_put(&img, "\x7f\xff\x04\x00", 4);
	fx_event2(b, 4, ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION, banks3, 3, img.p, img.len, NULL);
	/* a measurement with two of the three banks, as real logs have */
	fx_event2(b, 14, ATTEST_EV_IPL, banks3, 2, "MokList\0", 8, NULL);
	fx_buf_free(&var);
	fx_buf_free(&img);
}

#define AGILE_EVENTS 17u

START_TEST(test_agile_replay)
{
	struct attest_eventlog *log = NULL;
	const struct attest_eventlog_alg *algs;
	const struct attest_event *ev;
	struct fx_buf b = { 0 };
	size_t n;

	build_agile(&b, true);
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
	check_replay(log, &b);
	attest_eventlog_free(log);
	fx_buf_free(&b);
}
END_TEST

/* A log of the SecureBoot variable of guid (its value[0..len)) in PCR 7,
 * and PCR 7's separator. */
static void build_secure_boot(struct fx_buf *b, const uint8_t guid[16], const void *value, size_t len)
{
	struct fx_buf var = { 0 };

	fx_spec_id(b, banks3, 2, 0);
	fx_efi_variable(&var, guid, "SecureBoot", value, len);
	fx_event2(b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	fx_event2(b, 7, ATTEST_EV_SEPARATOR, banks3, 2, "\0\0\0\0", 4, NULL);
	fx_buf_free(&var);
}

static const struct {
	const char *name;
	const uint8_t *guid;
	const char *value;
	size_t len;
	int secure_boot;        /* attest_eventlog_secure_boot() */
	const char *error;      /* in its error line */
} secure_boot_logs[] = {
	/* measured empty (the variable does not exist): off */
	{ "sb-empty", fx_efi_global_guid, NULL, 0, 0, NULL },
	/* two bytes of value: malformed */
	{ "sb-long", fx_efi_global_guid, "\1\1", 2, -EBADMSG, "SecureBoot value of 2 bytes" },
	/* no such event; a SecureBoot of another GUID does not count */
	{ "sb-none", (const uint8_t *)"0123456789abcdef", "\1", 1, -ENOENT, NULL },
};

/* The replay of one bank and the PCRs asked for, as the verifier asks: those
 * are the fixture's, the others keep their start value (PCR 0 the
 * StartupLocality's 3), and every PCR extended is reported used. */
START_TEST(test_replay_bank_mask)
{
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	struct attest_eventlog *log = NULL;
	uint8_t pcrs[POLICY_PCR_MAX][VT_DIGEST_MAX], start[32] = { 0 };
	struct fx_buf b = { 0 };
	uint32_t used = 0, want_used = 0;

	build_agile(&b, true);
	for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
		if (fx_replay_pcr(&b, sha256->tpm_alg, pcr))
			want_used |= 1u << pcr;
	ck_assert_int_eq(attest_eventlog_parse_flags("agile", b.p, b.len, ATTEST_EVENTLOG_NO_DATA_CHECK,
						     &log), 0);
	ck_assert(!attest_eventlog_has_hcrtm(log));
	ck_assert_int_eq(attest_eventlog_pcr0_locality(log), 3);
	ck_assert_int_eq(attest_eventlog_replay_bank(log, sha256, 1u << 4 | 1u << 7, pcrs, &used), 0);
	ck_assert_uint_eq(used, want_used);
	ck_assert_mem_eq(pcrs[4], fx_replay_pcr(&b, sha256->tpm_alg, 4), 32);
	ck_assert_mem_eq(pcrs[7], fx_replay_pcr(&b, sha256->tpm_alg, 7), 32);
	start[31] = 3;
	ck_assert_mem_eq(pcrs[0], start, 32);
	start[31] = 0;
	ck_assert_mem_eq(pcrs[14], start, 32);
	/* a bank the log does not have: nothing extended */
	ck_assert_int_eq(attest_eventlog_replay_bank(log, vt_hash_alg_by_name("sha384"), UINT32_MAX,
						     pcrs, &used), 0);
	ck_assert_uint_eq(used, 0);
	attest_eventlog_free(log);
	fx_buf_free(&b);
}
END_TEST


START_TEST(test_secure_boot_states)
{
	struct attest_eventlog *log = NULL;
	struct fx_buf b = { 0 }, var = { 0 };

	build_agile(&b, false);
	ck_assert_int_eq(attest_eventlog_parse("sb-off", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 0);
	attest_eventlog_free(log);
	fx_buf_free(&b);

	for (size_t i = 0; i < ELEMENTSOF(secure_boot_logs); i++) {
		build_secure_boot(&b, secure_boot_logs[i].guid, secure_boot_logs[i].value,
				  secure_boot_logs[i].len);
		ck_assert_int_eq(attest_eventlog_parse(secure_boot_logs[i].name, b.p, b.len, &log), 0);
		ck_assert_int_eq(attest_eventlog_secure_boot(log), secure_boot_logs[i].secure_boot);
		if (secure_boot_logs[i].error)
			ck_assert_ptr_nonnull(strstr(last_error, secure_boot_logs[i].error));
		ck_assert_int_eq(attest_eventlog_startup_locality(log), -ENOENT);
		attest_eventlog_free(log);
		fx_buf_free(&b);
	}

	/* the rule the host audit shares with the verifier: a SecureBoot
	 * event after PCR 7's separator contradicts the log, even agreeing */
	build_secure_boot(&b, fx_efi_global_guid, "\1", 1);
	ck_assert_int_eq(attest_eventlog_parse("sb-late", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 1);
	attest_eventlog_free(log);
	fx_efi_variable(&var, fx_efi_global_guid, "SecureBoot", "\1", 1);
	fx_event2(&b, 7, ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG, banks3, 2, var.p, var.len, NULL);
	ck_assert_int_eq(attest_eventlog_parse("sb-late", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(last_error, "records the SecureBoot variable after pcr 7's separator"));
	attest_eventlog_free(log);
	fx_buf_free(&b);
	fx_buf_free(&var);
}
END_TEST

START_TEST(test_mismatch_is_a_warning)
{
	struct attest_eventlog *log = NULL;
	const struct attest_event *ev;
	struct policy_pcr_value *values = NULL;
	uint8_t forged[3][64], cat[40];
	uint8_t expect[20] = { 0 };
	struct fx_buf b = { 0 };
	unsigned md_len;
	size_t n;

	/* a separator whose digests are not the hash of its data: the replay
	 * extends what is logged */
	memset(forged, 0x5a, sizeof(forged));
	fx_spec_id(&b, banks3, 3, 0);
	fx_event2(&b, 7, ATTEST_EV_SEPARATOR, banks3, 3, "\0\0\0\0", 4, forged);
	fx_event2(&b, 3, ATTEST_EV_PLATFORM_CONFIG_FLAGS, banks3, 3, "x", 1, forged);
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
	fx_buf_free(&b);
}
END_TEST

/* StartupLocality in a log that also has an algorithm vmtrust does not know,
 * whose digests are longer than any it knows (UBSan, with the input
 * fuzz/corpus/eventlog/regress-locality-unknown-bank.bin): that bank is not
 * replayed, so the locality must not be written into it either, nor past it
 * into the next bank. */
START_TEST(test_locality_unknown_long_digest)
{
	static const uint8_t sep[4] = { 0 };
	/* The unknown bank's digest size puts its last byte where the sha256
	 * bank's PCR 0 starts, one row of 24 PCRs of 64 bytes (and a mask)
	 * further. */
	static const struct fx_bank banks[] = {
		{ 0x7777, 4 + POLICY_PCR_MAX * 64 + 1, NULL },
		{ 0x000b, 32, "SHA256" },
	};
	struct attest_eventlog *log = NULL;
	struct fx_buf b = { 0 };

	fx_spec_id(&b, banks, 2, 0);
	fx_startup_locality(&b, &banks[1], 1, 3);
	fx_event2(&b, 0, ATTEST_EV_SEPARATOR, &banks[1], 1, sep, sizeof(sep), NULL);

	ck_assert_int_eq(attest_eventlog_parse("unknown", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_startup_locality(log), 3);
	check_replay(log, &b);
	attest_eventlog_free(log);
	fx_buf_free(&b);
}
END_TEST

START_TEST(test_legacy_replay)
{
	struct attest_eventlog *log = NULL;
	const struct attest_eventlog_alg *algs;
	struct fx_buf b = { 0 };
	size_t n;

	fx_event1(&b, 0, ATTEST_EV_S_CRTM_VERSION, "v1.0", 4);
	fx_event1(&b, 0, ATTEST_EV_POST_CODE, "ACPI DATA", 9);
	fx_event1(&b, 4, ATTEST_EV_SEPARATOR, "\0\0\0\0", 4);
	fx_event1(&b, 2, ATTEST_EV_NO_ACTION, "ignored", 7);
	fx_event1(&b, 4, ATTEST_EV_EFI_ACTION, "boot", 4);

	ck_assert_int_eq(attest_eventlog_parse("legacy", b.p, b.len, &log), 0);
	ck_assert(!attest_eventlog_is_crypto_agile(log));
	algs = attest_eventlog_algs(log, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(algs[0].alg->name, "sha1");
	attest_eventlog_events(log, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(attest_eventlog_n_mismatches(log), 0);
	check_replay(log, &b);
	attest_eventlog_free(log);
	fx_buf_free(&b);
}
END_TEST

START_TEST(test_header_only)
{
	struct attest_eventlog *log = NULL;
	struct policy_pcr_value *values = NULL;
	struct fx_buf b = { 0 };
	size_t n = 99;

	fx_spec_id(&b, banks3, 2, 3);
	ck_assert_int_eq(attest_eventlog_parse("header", b.p, b.len, &log), 0);
	ck_assert_int_eq(attest_eventlog_replay(log, &values, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(values);
	attest_eventlog_free(log);
	fx_buf_free(&b);
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
	struct fx_buf b = { 0 };
	size_t n;
	/* event, its JSON key, the value */
	const struct {
		size_t event;
		const char *key, *value;
	} want[] = {
		{ 0, "type", "EV_NO_ACTION" },
		{ 0, "event.spec_id.signature", "Spec ID Event03" },
		{ 1, "event.startup_locality", "3" },
		{ 2, "event.string", "v1" },
		{ 2, "data_check", "ok" },
		{ 3, "event.blob_base", "0x900000" },
		{ 3, "event.blob_length", "11534336" },
		{ 4, "event.string", "ACPI DATA" },
		{ 5, "type", "EV_EFI_VARIABLE_DRIVER_CONFIG" },
		{ 5, "event.guid", "8be4df61-93ca-11d2-aa0d-00e098032b8c" },
		{ 5, "event.name", "SecureBoot" },
		{ 5, "event.data_length", "1" },
		{ 5, "event.data", "01" },
		{ 6, "event.separator", "0x00000000" },
		{ 6, "pcr", "0" },
		{ 14, "event.string", "Calling EFI Application from Boot Option" },
		{ 15, "event.image_location", "0x7dcf6018" },
		{ 15, "event.image_length", "171464" },
		{ 15, "event.device_path_length", "4" },
		{ 15, "event.device_path", "7fff0400" },
		/* non-printable bytes escaped, a backslash doubled: no raw byte out */
		{ AGILE_EVENTS, "event.string", "a\\x01\\xff\\\\b\"" },
		{ AGILE_EVENTS + 1, "event.string", "init" },
		{ AGILE_EVENTS + 2, "type", "0x12345678" },
		{ AGILE_EVENTS + 2, "event.hex", "0102" },
		{ AGILE_EVENTS + 2, "size", "2" },
	};

	build_agile(&b, true);
	fx_event2(&b, 5, ATTEST_EV_EFI_ACTION, banks3, 2, "a\x01\xff\\b\"", 6, NULL);
	fx_event2(&b, 9, ATTEST_EV_IPL, banks3, 2, "i\0n\0i\0t\0\0", 9, NULL);
	fx_event2(&b, 9, 0x12345678, banks3, 2, "\x01\x02", 2, NULL);
	ck_assert_int_eq(attest_eventlog_parse("describe", b.p, b.len, &log), 0);
	ev = attest_eventlog_events(log, &n);
	ck_assert_uint_eq(n, AGILE_EVENTS + 3);

	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		ck_assert_int_eq(attest_event_to_json(&ev[want[i].event], &o), 0);
		ck_assert_str_eq(jstr(o, want[i].key), want[i].value);
		json_object_put(o);
	}

	attest_eventlog_free(log);
	fx_buf_free(&b);
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
	struct fx_buf b = { 0 };

	build_agile(&b, true);
	check_prefixes(b.p, b.len);
	fx_buf_free(&b);
}
END_TEST

START_TEST(test_every_truncation_legacy)
{
	struct fx_buf b = { 0 };

	fx_event1(&b, 0, ATTEST_EV_S_CRTM_VERSION, "v1.0", 4);
	fx_event1(&b, 0, ATTEST_EV_POST_CODE, "ACPI DATA", 9);
	fx_event1(&b, 4, ATTEST_EV_SEPARATOR, "\0\0\0\0", 4);
	fx_event1(&b, 4, ATTEST_EV_EFI_ACTION, "", 0);
	check_prefixes(b.p, b.len);
	fx_buf_free(&b);
}
END_TEST

static int parse_expect_fail(const struct fx_buf *b, const char *needle)
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

#define SPEC2_SIZE (32 + 28 + 8 + 1)    /* a Spec ID event with two algorithms */

START_TEST(test_corrupt_sizes)
{
	struct fx_buf b = { 0 };

	fx_spec_id(&b, banks3, 2, 0);
	fx_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, "abc", 3, NULL);
	fx_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, "def", 3, NULL);

	/* event size of the second event: huge, then just one too many */
	size_t second = SPEC2_SIZE + 12 + 22 + 34 + 4 + 3;
	size_t size_at = second + 12 + 22 + 34;
	fx_poke_le(&b, size_at, 0xffffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "truncated event 2 at byte 144: event size 4294967295 exceeds the 3 bytes left"),
			 -EBADMSG);
	fx_poke_le(&b, size_at, 4, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "event size 4 exceeds the 3 bytes left"), -EBADMSG);
	fx_poke_le(&b, size_at, 3, 4);

	/* digest count */
	fx_poke_le(&b, second + 8, 0xffffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "event 2 at byte 144: digest count 4294967295 exceeds the 2 algorithms"),
			 -EBADMSG);
	fx_poke_le(&b, second + 8, 0, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "no digests"), -EBADMSG);
	fx_poke_le(&b, second + 8, 2, 4);

	/* an algorithm the Spec ID event does not list, and one twice */
	fx_poke_le(&b, second + 12, 0x000c, 2);
	ck_assert_int_eq(parse_expect_fail(&b, "digest algorithm 0x000c is not in the spec id event"),
			 -EBADMSG);
	fx_poke_le(&b, second + 12, 0x0004, 2);
	fx_poke_le(&b, second + 12 + 22, 0x0004, 2);
	ck_assert_int_eq(parse_expect_fail(&b, "two sha1 digests"), -EBADMSG);
	fx_poke_le(&b, second + 12 + 22, 0x000b, 2);

	/* a PCR a TPM does not have */
	fx_poke_le(&b, second, 24, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "pcr 24 out of range"), -EBADMSG);
	fx_poke_le(&b, second, 4, 4);

	/* the first record's data size */
	fx_poke_le(&b, 28, 0x7fffffff, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "truncated event 0 at byte 0: event size 2147483647 exceeds"),
			 -EBADMSG);
	fx_buf_free(&b);
}
END_TEST

START_TEST(test_corrupt_spec_id)
{
	struct fx_buf b = { 0 };

	fx_spec_id(&b, banks3, 0, 0);
	fx_event1(&b, 0, ATTEST_EV_SEPARATOR, "\0\0\0\0", 4);
	ck_assert_int_eq(parse_expect_fail(&b, "spec id event lists no algorithms"), -EBADMSG);
	fx_buf_free(&b);

	fx_spec_id(&b, banks3, 2, 0);
	fx_poke_le(&b, 32 + 24, 1000, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "1000 algorithms"), -EBADMSG);
	fx_poke_le(&b, 32 + 24, 3, 4);
	ck_assert_int_eq(parse_expect_fail(&b, "needs 41 bytes, its size is 37"), -EBADMSG);
	fx_poke_le(&b, 32 + 24, 2, 4);
	fx_poke_le(&b, 32 + 28 + 6, 20, 2);           /* sha256 of 20 bytes */
	ck_assert_int_eq(parse_expect_fail(&b, "gives sha256 a digest size of 20, not 32"), -EBADMSG);
	fx_poke_le(&b, 32 + 28 + 4, 0x0004, 2);       /* sha1 twice */
	ck_assert_int_eq(parse_expect_fail(&b, "lists sha1 twice"), -EBADMSG);
	fx_buf_free(&b);

	/* vendor info past the data size: read as tpm2-tools does when the
	 * bytes are there, an error when they are not */
	fx_spec_id(&b, banks3, 2, 4);
	fx_poke_le(&b, 28, 28 + 8 + 1, 4);
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
	fx_buf_free(&b);
}
END_TEST

START_TEST(test_limits)
{
	struct attest_eventlog *log = NULL;
	struct fx_buf b = { 0 };
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
	fx_spec_id(&b, banks3, 2, 0);
	fx_event2(&b, 4, ATTEST_EV_EFI_ACTION, banks3, 2, big, ATTEST_EVENT_DATA_MAX + 1, NULL);
	ck_assert_int_eq(parse_expect_fail(&b, "exceeds the limit of 1048576 bytes"), -EBADMSG);
	fx_buf_free(&b);
	free(big);

	/* one event more than allowed */
	for (unsigned i = 0; i <= ATTEST_EVENTLOG_EVENTS_MAX; i++)
		fx_event1(&b, 1, ATTEST_EV_POST_CODE, NULL, 0);
	ck_assert_int_eq(parse_expect_fail(&b, "more than 65536 events (the next at byte 2097152)"),
			 -EBADMSG);
	b.len -= 32;
	ck_assert_int_eq(attest_eventlog_parse("max", b.p, b.len, &log), 0);
	attest_eventlog_free(log);
	fx_buf_free(&b);
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
	return fx_run(eventlog_suite());
}
