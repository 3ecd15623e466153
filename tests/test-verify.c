/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline verification of evidence, without a TPM: evidence made and signed
 * in software (verify-fixture.c), each tampering checked for the verdict's
 * specific failed check and reason, and that a fault of the evidence is a
 * reason in the verdict, not a logged error. Also the tpm2-tools import.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "attest.h"
#include "verify-fixture.h"
#include "test-log.h"

static struct vfx f;

static void setup(void)
{
	test_log_capture();
	n_errors = 0;
	last_error[0] = '\0';
	vfx_init(&f);
}

static void teardown(void)
{
	vfx_done(&f);
}

/* Verifies e against the policy of f (pol: another one), nonce f's. */
static struct attest_verdict *verify_with(struct policy *pol, struct attest_evidence *e,
					  const uint8_t *nonce, size_t nonce_len)
{
	struct attest_verdict *v = NULL;

	ck_assert_int_eq(attest_verify(pol, e, nonce, nonce_len, &v), 0);
	ck_assert_ptr_nonnull(v);
	/* faults of the evidence are verdicts, never logged errors */
	ck_assert_msg(n_errors == 0, "an error was logged: %s", last_error);
	return v;
}

static struct attest_verdict *verify(struct attest_evidence *e)
{
	json_object *j = vfx_policy_json(&f);
	struct policy *pol = vfx_policy_load(j);
	struct attest_verdict *v = verify_with(pol, e, f.nonce, f.nonce_len);

	json_object_put(j);
	policy_free(pol);
	return v;
}

/* Verifies e against the policy j (consumed), with the fixture's nonce. */
static struct attest_verdict *verify_json(struct attest_evidence *e, json_object *j)
{
	struct policy *pol = vfx_policy_load(j);
	struct attest_verdict *v = verify_with(pol, e, f.nonce, f.nonce_len);

	policy_free(pol);
	json_object_put(j);
	return v;
}

static void dump(const struct attest_verdict *v)
{
	for (size_t i = 0; i < attest_verdict_count(v); i++) {
		const struct attest_check *c = attest_verdict_check(v, i);

		fprintf(stderr, "  %s %s: %s\n", attest_check_status_name(c->status), c->name, c->reason);
	}
}

static void assert_check(const struct attest_verdict *v, const char *name,
			 enum attest_check_status st, const char *needle)
{
	const struct attest_check *c = attest_verdict_find(v, name);

	if (!c || c->status != st || (needle && !strstr(c->reason, needle)))
		dump(v);
	ck_assert_msg(c, "no check '%s'", name);
	ck_assert_msg(c->status == st, "check '%s' is %s, expected %s: %s", name,
		      attest_check_status_name(c->status), attest_check_status_name(st), c->reason);
	if (needle)
		ck_assert_msg(strstr(c->reason, needle), "check '%s' reason '%s' lacks '%s'", name,
			      c->reason, needle);
}

static void assert_bad(const struct attest_verdict *v, const char *name, const char *needle)
{
	ck_assert(!attest_verdict_ok(v));
	assert_check(v, name, ATTEST_CHECK_FAILED, needle);
}

static void assert_all_ok(const struct attest_verdict *v)
{
	for (size_t i = 0; i < attest_verdict_count(v); i++)
		if (attest_verdict_check(v, i)->status != ATTEST_CHECK_OK) {
			dump(v);
			ck_abort_msg("check '%s' is not ok", attest_verdict_check(v, i)->name);
		}
	ck_assert(attest_verdict_ok(v));
}

/* v judged bad by its check name (reason containing needle), then freed. */
static void bad(struct attest_verdict *v, const char *name, const char *needle)
{
	assert_bad(v, name, needle);
	attest_verdict_free(v);
}

/* v good, every check ok, then freed. */
static void good(struct attest_verdict *v)
{
	assert_all_ok(v);
	attest_verdict_free(v);
}

/* The fixture's evidence as f stands, verified against its own policy. */
static void fixture_bad(const char *name, const char *needle)
{
	struct attest_evidence *e = vfx_evidence(&f);

	bad(verify(e), name, needle);
	attest_evidence_free(e);
}

static void replace_mlog(struct attest_evidence *e, char *text)
{
	free(e->mlog);
	e->mlog = text;
	e->mlog_len = strlen(text);
}

/* A file record of path with one digest per bank of algs, bank k hashing
 * contents[k] (an attacker's re-digested bank), the size of contents[0];
 * its line. */
static char *record_line_banks(const char *path, uint64_t recnum, size_t n, const char *const *algs,
			       const char *const *contents)
{
	struct attest_record rec = { .recnum = recnum, .pcr = 15, .kind = ATTEST_RECORD_FILE,
				     .path = (char *)path, .size = strlen(contents[0]), .n_digests = n };
	json_object *o = NULL;
	char *line;

	for (size_t k = 0; k < n; k++) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_name(algs[k]);

		ck_assert_ptr_nonnull(alg);
		rec.file_digests[k].alg = alg;
		ck_assert(EVP_Digest(contents[k], strlen(contents[k]), rec.file_digests[k].value, NULL,
				     EVP_get_digestbyname(alg->ossl), NULL) == 1);
		ck_assert_int_eq(attest_record_event_digest(path, rec.size, &rec.file_digests[k],
							    &rec.digests[k]), 0);
	}
	ck_assert_int_eq(attest_record_to_json(&rec, &o), 0);
	ck_assert_int_ge(asprintf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
											   JSON_C_TO_STRING_NOSLASHESCAPE)), 0);
	json_object_put(o);
	return line;
}

/* The hex digest of s in alg. */
static void hex_of(const char *alg_name, const char *s, char *out)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_name(alg_name);
	uint8_t d[VT_DIGEST_MAX];

	ck_assert(EVP_Digest(s, strlen(s), d, NULL, EVP_get_digestbyname(alg->ossl), NULL) == 1);
	vt_hex_encode(d, alg->size, out);
}

/* The fixture's UEFI log with a second algorithm in its Spec ID event (the
 * list ends at byte 64 of the log) that no event carries a digest of. */
static void uefi_add_header_alg(struct attest_evidence *e, uint16_t alg, uint16_t size)
{
	uint8_t *p = malloc(e->uefi_log_len + 4);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(e->uefi_log[56], 1);
	memcpy(p, e->uefi_log, 64);
	p[64] = (uint8_t)alg;
	p[65] = (uint8_t)(alg >> 8);
	p[66] = (uint8_t)size;
	p[67] = (uint8_t)(size >> 8);
	memcpy(p + 68, e->uefi_log + 64, e->uefi_log_len - 64);
	p[56] = 2;              /* numberOfAlgorithms */
	p[28] += 4;             /* the Spec ID event's size */
	free(e->uefi_log);
	e->uefi_log = p;
	e->uefi_log_len += 4;
}

/* ---- good evidence -------------------------------------------------------------- */

START_TEST(test_good)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v = verify(e);
	static const char *const names[] = {
		"ak-trusted", "ak-attributes", "signature", "attest-magic", "attest-type", "nonce",
		"pcr-digest", "uefi-log", "secure-boot", "measurement-log",
		"reference:/usr/bin/qemu-system-x86_64", "reference:/usr/sbin/libvirtd",
		"reference:/etc/libvirt/qemu.conf", "required:/usr/bin/qemu-system-x86_64",
		"required:/usr/sbin/libvirtd", "required:/etc/libvirt/qemu.conf", "pcr-value:sha256:0",
	};

	assert_all_ok(v);
	ck_assert_uint_eq(attest_verdict_count(v), ELEMENTSOF(names));
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		ck_assert_str_eq(attest_verdict_check(v, i)->name, names[i]);
	assert_check(v, "measurement-log", ATTEST_CHECK_OK, "3 records replay to the quoted sha256:15");
	assert_check(v, "secure-boot", ATTEST_CHECK_OK, "secure boot is on");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_good_roundtrip_json)
{
	struct attest_evidence *e = vfx_evidence(&f), *back = NULL;
	struct attest_verdict *v;
	json_object *o;
	char *json;

	ck_assert_int_eq(attest_evidence_to_json(e, &json), 0);
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), 0);
	v = verify(back);
	assert_all_ok(v);
	ck_assert_int_eq(attest_verdict_to_json(v, &o), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "verdict")), "good");
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(o, "checks")),
			  attest_verdict_count(v));
	json_object_put(o);
	attest_verdict_free(v);
	attest_evidence_free(back);
	attest_evidence_free(e);
	free(json);
}
END_TEST

static void verify_rsa(bool pss)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	vfx_use_rsa(&f, pss);
	e = vfx_evidence(&f);
	v = verify(e);
	assert_all_ok(v);
	assert_check(v, "signature", ATTEST_CHECK_OK, pss ? "rsapss with sha256" : "rsassa with sha256");
	attest_verdict_free(v);
	attest_evidence_free(e);
}

START_TEST(test_good_rsassa)
{
	verify_rsa(false);
}
END_TEST

START_TEST(test_good_rsapss)
{
	verify_rsa(true);
}
END_TEST

START_TEST(test_no_nonce_is_a_warning)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f);
	struct policy *pol = vfx_policy_load(j);
	struct attest_verdict *v = verify_with(pol, e, NULL, 0);

	/* fresh, or not good */
	assert_bad(v, "nonce", "not checked: no nonce was asked for");
	assert_check(v, "nonce", ATTEST_CHECK_FAILED, "is not trusted unless replays are allowed");
	attest_verdict_free(v);
	/* unless replays are allowed: a warning */
	ck_assert_int_eq(attest_verify_flags(pol, e, NULL, 0, ATTEST_VERIFY_ALLOW_REPLAY, &v), 0);
	ck_assert(attest_verdict_ok(v));
	assert_check(v, "nonce", ATTEST_CHECK_WARNING, "not checked: no nonce was asked for");
	attest_verdict_free(v);
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST


/* ---- only what the quote proves (issue 13) ---------------------------------------------- */

/* Class 1: a record re-digested in a bank the quote does not cover matches
 * nothing; the bank the quote covers decides. */
START_TEST(test_unquoted_bank_redigested)
{
	static const char *const algs[] = { "sha256", "sha384" };
	const char *contents[] = { "qemu-system-x86_64 7.2\n", "a good qemu\n" };
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *ref, *d;
	char *l0 = record_line_banks(f.recs[0].path, 0, 2, algs, contents);
	char *l1 = vfx_record_line(&f.recs[1], 1), *l2 = vfx_record_line(&f.recs[2], 2), *text;
	char h256[65], h384[97], msg[256];
	struct attest_verdict *v;
	struct policy *pol;

	/* the policy knows the good qemu in both banks; the host runs another */
	ref = json_object_array_get_idx(json_object_object_get(j, "reference_values"), 0);
	d = json_object_new_object();
	hex_of("sha256", "a good qemu\n", h256);
	hex_of("sha384", "a good qemu\n", h384);
	json_object_object_add(d, "sha256", json_object_new_string(h256));
	json_object_object_add(d, "sha384", json_object_new_string(h384));
	json_object_object_add(ref, "digests", d);
	pol = vfx_policy_load(j);
	ck_assert_int_ge(asprintf(&text, "%s%s%s", l0, l1, l2), 0);
	replace_mlog(e, text);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_check(v, "measurement-log", ATTEST_CHECK_OK, "3 records replay to the quoted sha256:15");
	hex_of("sha256", contents[0], h256);
	snprintf(msg, sizeof(msg), "record 0: sha256 digest %s is not a reference value", h256);
	assert_bad(v, "reference:/usr/bin/qemu-system-x86_64", msg);
	attest_verdict_free(v);

	/* a reference listed only in a bank nothing proves matches nothing */
	json_object_object_del(d, "sha256");
	policy_free(pol);
	pol = vfx_policy_load(j);
	bad(verify_with(pol, e, f.nonce, f.nonce_len), "reference:/usr/bin/qemu-system-x86_64",
		   "record 0: no digest in a bank that the quote proves and the reference values of '/usr/bin/qemu-system-x86_64' list");
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
	free(l0);
	free(l1);
	free(l2);
}
END_TEST

/* Class 1, and what the parse of a verifier leaves out: a record whose
 * digests disagree with its content in a bank the quote does not cover is
 * judged in the quoted bank alone; in a quoted bank it is refused. */
START_TEST(test_unquoted_bank_contradiction)
{
	static const char *const algs[] = { "sha256", "sha384" };
	const char *contents[] = { f.recs[0].content, f.recs[0].content };
	struct attest_evidence *e = vfx_evidence(&f);
	char *l0 = record_line_banks(f.recs[0].path, 0, 2, algs, contents);
	char *l1 = vfx_record_line(&f.recs[1], 1), *l2 = vfx_record_line(&f.recs[2], 2), *text, *p;
	struct attest_verdict *v;

	/* the content's sha384 digest (the last one of the line) changed */
	p = strstr(l0, "\"digests\":{");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "\"sha384\":\"");
	ck_assert_ptr_nonnull(p);
	p += strlen("\"sha384\":\"");
	*p = *p == '0' ? '1' : '0';
	ck_assert_int_ge(asprintf(&text, "%s%s%s", l0, l1, l2), 0);
	replace_mlog(e, text);
	v = verify(e);
	assert_check(v, "measurement-log", ATTEST_CHECK_OK, "3 records replay to the quoted sha256:15");
	assert_all_ok(v);
	attest_verdict_free(v);

	/* the same in the quoted bank */
	*p = *p == '0' ? '1' : '0';
	p = strstr(strstr(e->mlog, "\"digests\":{"), "\"sha256\":\"") + strlen("\"sha256\":\"");
	*p = *p == '0' ? '1' : '0';
	bad(verify(e), "measurement-log", "record on line 1: the sha256 digest does not match its content");
	attest_evidence_free(e);
	free(l0);
	free(l1);
	free(l2);
}
END_TEST

/* Class 1: a fabricated record whose only digest is in an unquoted bank
 * replays to nothing; it is not measured, and the log is refused. */
START_TEST(test_unquoted_bank_fabricated)
{
	static const char *const algs[] = { "sha384" };
	const char *contents[] = { "ovmf\n" };
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *ref = json_object_new_object(), *d = json_object_new_object();
	char *extra = record_line_banks("/usr/share/OVMF/OVMF_CODE.fd", 3, 1, algs, contents), *text;
	char h384[97];
	struct attest_verdict *v;

	hex_of("sha384", contents[0], h384);
	json_object_object_add(d, "sha384", json_object_new_string(h384));
	json_object_object_add(ref, "path", json_object_new_string("/usr/share/OVMF/OVMF_CODE.fd"));
	json_object_object_add(ref, "digests", d);
	json_object_array_add(json_object_object_get(j, "reference_values"), ref);
	ck_assert_int_ge(asprintf(&text, "%s%s", e->mlog, extra), 0);
	replace_mlog(e, text);
	v = verify_json(e, j);
	assert_bad(v, "measurement-log",
		   "record 3 ('/usr/share/OVMF/OVMF_CODE.fd') has no sha256 digest, a bank the quote covers: nothing proves it");
	assert_bad(v, "required:/usr/share/OVMF/OVMF_CODE.fd", "was not measured");
	attest_verdict_free(v);
	attest_evidence_free(e);
	free(extra);
}
END_TEST

/* Class 2: the policy's pcr_selection is the least a quote must cover. */
START_TEST(test_quote_covers_less_than_the_policy)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *sel = json_object_new_object(), *l256, *l1;
	struct attest_verdict *v;
	struct policy *pol;

	l256 = json_object_new_array();
	for (int i = 0; i < 8; i++)
		json_object_array_add(l256, json_object_new_int(i));
	json_object_array_add(l256, json_object_new_int(15));
	json_object_object_add(sel, "sha256", l256);
	json_object_object_add(j, "pcr_selection", sel);
	pol = vfx_policy_load(j);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_all_ok(v);
	assert_check(v, "pcr-selection", ATTEST_CHECK_OK, "the quote covers the policy's pcr_selection");
	attest_verdict_free(v);
	policy_free(pol);

	/* a bank it leaves out, and a PCR */
	l1 = json_object_new_array();
	json_object_array_add(l1, json_object_new_int(0));
	json_object_object_add(sel, "sha1", l1);
	json_object_array_add(l256, json_object_new_int(9));
	pol = vfx_policy_load(j);
	bad(verify_with(pol, e, f.nonce, f.nonce_len), "pcr-selection",
		   "the quote does not cover sha256:9 sha1:0 of the policy's pcr_selection: what it leaves out is not proven");
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

/* Class 3: an event without a digest of every bank of the header, or a
 * header with an algorithm vmtrust cannot compute. */
START_TEST(test_uefi_event_banks)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	uefi_add_header_alg(e, TPM2_ALG_SHA384, 48);
	v = verify(e);
	assert_bad(v, "uefi-log", "event 1 (pcr 0) carries 1 digests, not one for each of the 2 banks of the log's header");
	assert_bad(v, "secure-boot", "not checked");
	attest_verdict_free(v);
	attest_evidence_free(e);

	e = vfx_evidence(&f);
	uefi_add_header_alg(e, 0x0012, 32);     /* sm3_256 */
	v = verify(e);
	assert_bad(v, "uefi-log", "the log's digests of algorithm 0x0012 cannot be checked");
	assert_bad(v, "secure-boot", "not checked");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* Class 3: the Secure Boot state is what every event agrees on. */
START_TEST(test_secure_boot_disagrees)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.second_sb = 0;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_check(v, "uefi-log", ATTEST_CHECK_OK, NULL);
	assert_bad(v, "secure-boot", "event 2 records SecureBoot 1, event 3 0: the log contradicts itself");
	attest_verdict_free(v);
	attest_evidence_free(e);

	f.second_sb = 1;
	e = vfx_evidence(&f);
	good(verify(e));
	attest_evidence_free(e);
}
END_TEST

/* ---- issue 13, Secure Boot: the state only from PCR 7's configuration ---- */

static struct attest_verdict *verify_sb(struct attest_evidence *e, const char *secure_boot)
{
	json_object *j = vfx_policy_json(&f);
	struct policy *pol;
	struct attest_verdict *v;

	json_object_object_add(j, "secure_boot", json_object_new_string(secure_boot));
	pol = vfx_policy_load(j);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	json_object_put(j);
	policy_free(pol);
	return v;
}

/* f's evidence against its policy with secure_boot (NULL: f's): check
 * fails with needle in its reason (NULL check: the verdict is all ok), and
 * the check also is ok with also_ok in its reason (also: NULL, none). */
static void expect_sb(const char *secure_boot, const char *check, const char *needle,
		      const char *also, const char *also_ok)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v = secure_boot ? verify_sb(e, secure_boot) : verify(e);

	if (check)
		assert_bad(v, check, needle);
	else
		assert_all_ok(v);
	if (also)
		assert_check(v, also, ATTEST_CHECK_OK, also_ok);
	attest_verdict_free(v);
	attest_evidence_free(e);
}

/* 1a: the firmware's SecureBoot=0 event relabelled (same digest), a
 * SecureBoot=1 event extended after the separator: the replay matches. */
START_TEST(test_sb_relabelled_and_appended)
{
	f.secure_boot = false;
	f.sb_type = ATTEST_EV_POST_CODE;
	f.sb_data = "x";
	f.late_sb = 1;
	f.late_sb_pcr = 7;
	expect_sb("required", "secure-boot",
		  "event 2 (pcr 7, EV_POST_CODE) before the separator is not a Secure Boot configuration event vmtrust understands",
		  "uefi-log", "sha256:0,1,2,3,4,5,6,7");

	/* relabelled as a type PCR 7 may hold, but not what it hashed */
	f.sb_type = ATTEST_EV_EFI_ACTION;
	f.sb_data = "Exit Boot Services Invocation";
	expect_sb("required", "secure-boot",
		  "event 2 (pcr 7, EV_EFI_ACTION) before the separator: its sha256 digest is not the hash of its data",
		  "uefi-log", NULL);

	/* relabelled with its data: SecureBoot in another event type */
	f.sb_type = ATTEST_EV_EFI_VARIABLE_AUTHORITY;
	f.sb_data = NULL;
	expect_sb("required", "secure-boot",
		  "event 2 (pcr 7, EV_EFI_VARIABLE_AUTHORITY) records the SecureBoot variable in another event type than EV_EFI_VARIABLE_DRIVER_CONFIG: the log contradicts itself",
		  NULL, NULL);

	/* an event after the separator counts for nothing but contradiction,
	 * even when it agrees; "disabled" is judged alike, "any" not at all */
	f.sb_type = ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG;
	f.secure_boot = true;
	expect_sb(NULL, "secure-boot",
		  "(pcr 7, EV_EFI_VARIABLE_DRIVER_CONFIG) records the SecureBoot variable after pcr 7's separator: the log contradicts itself",
		  NULL, NULL);
	expect_sb("disabled", "secure-boot", "after pcr 7's separator: the log contradicts itself", NULL, NULL);
	expect_sb("any", NULL, NULL, NULL, NULL);
}
END_TEST

/* 1b: the SecureBoot event in a PCR root can reset and extend (16), quoted. */
START_TEST(test_sb_in_another_pcr)
{
	f.sb_pcr = 16;
	f.sel_sha256 |= 1u << 16;
	expect_sb(NULL, "secure-boot",
		  "event 2 (pcr 16, EV_EFI_VARIABLE_DRIVER_CONFIG) records the SecureBoot variable outside pcr 7: the log contradicts itself",
		  "uefi-log", "sha256:0,1,2,3,4,5,6,7,16");

	/* beside the firmware's own, agreeing with it */
	f.sb_pcr = 7;
	f.late_sb = 1;
	f.late_sb_pcr = 16;
	expect_sb(NULL, "secure-boot", "records the SecureBoot variable outside pcr 7: the log contradicts itself",
		  NULL, NULL);
}
END_TEST

/* 1c, rule (a): every quoted PCR 0-7 replays, those the log never extends
 * included. */
START_TEST(test_uefi_log_leaves_out_a_quoted_pcr)
{
	f.uefi_hidden = 1u << 7;
	expect_sb(NULL, "uefi-log",
		  "the log's replay differs from the quoted sha256:7: the log has no events for pcr:7, which the quote shows extended",
		  NULL, NULL);
	expect_sb(NULL, "secure-boot", "not checked: the UEFI event log is unreadable or does not replay to the quote",
		  NULL, NULL);
	expect_sb("any", "uefi-log", "the log has no events for pcr:7", NULL, NULL);

	/* PCR 0 as well (no StartupLocality: it starts at zero) */
	f.uefi_hidden = 1u << 0 | 1u << 3;
	expect_sb(NULL, "uefi-log", "the log has no events for pcr:0,3", NULL, NULL);

	/* a PCR the quote leaves out is not compared */
	f.uefi_hidden = 1u << 3;
	f.sel_sha256 &= ~(1u << 3);
	expect_sb(NULL, NULL, NULL, NULL, NULL);
}
END_TEST

/* Rule (a): a quoted firmware PCR with no events holds its start value:
 * zero, PCR 0 the StartupLocality. */
START_TEST(test_uefi_log_pcr_without_events)
{
	struct attest_evidence *e;

	f.uefi_empty = 1u << 0;
	f.startup_locality = 3;
	e = vfx_evidence(&f);
	ck_assert_uint_eq(e->pcrs[0].pcr, 0);
	ck_assert_uint_eq(e->pcrs[0].value[31], 3);
	attest_evidence_free(e);
	expect_sb(NULL, NULL, NULL, NULL, NULL);

	f.startup_locality = -1;
	e = vfx_evidence(&f);
	ck_assert_uint_eq(e->pcrs[0].value[31], 0);
	attest_evidence_free(e);
	expect_sb(NULL, NULL, NULL, NULL, NULL);
}
END_TEST

/* PCR 0 after an H-CRTM event: 0...04 (_TPM_Hash_Start at locality 4), then
 * the event's digest, then the firmware's events; computed here. A
 * verifier that replayed PCR 0 from zero would refuse the quote, and one
 * that took the event for any other would accept a log that is not the
 * boot's: with its type changed, the log no longer replays. */
static void sha256_extend(uint8_t pcr[32], const void *data, size_t len)
{
	uint8_t cat[64];

	ck_assert_int_eq(EVP_Digest(data, len, cat + 32, NULL, EVP_sha256(), NULL), 1);
	memcpy(cat, pcr, 32);
	ck_assert_int_eq(EVP_Digest(cat, sizeof(cat), pcr, NULL, EVP_sha256(), NULL), 1);
}

START_TEST(test_uefi_log_hcrtm)
{
	static const uint8_t hcrtm_type[8] = { 0, 0, 0, 0, 0x10, 0, 0, 0x80 };   /* pcr 0, the type */
	uint8_t want[32] = { 0 };
	struct attest_evidence *e;
	struct attest_verdict *v;
	const struct policy_pcr_value *pcr0 = NULL;
	uint8_t *at;

	want[31] = 4;
	sha256_extend(want, "HCRTM", 5);
	sha256_extend(want, "ACPI DATA", 9);
	sha256_extend(want, "\0\0\0\0", 4);
	f.hcrtm = true;
	e = vfx_evidence(&f);
	for (size_t i = 0; i < e->n_pcrs && !pcr0; i++)
		if (e->pcrs[i].pcr == 0 && strcmp(e->pcrs[i].alg->name, "sha256") == 0)
			pcr0 = &e->pcrs[i];
	ck_assert_ptr_nonnull(pcr0);
	ck_assert_mem_eq(pcr0->value, want, 32);
	v = verify(e);
	assert_check(v, "uefi-log", ATTEST_CHECK_OK, "the log replays to the quoted sha256:0,1,2,3,4,5,6,7");
	assert_all_ok(v);
	attest_verdict_free(v);

	at = memmem(e->uefi_log, e->uefi_log_len, hcrtm_type, sizeof(hcrtm_type));
	ck_assert_ptr_nonnull(at);
	at[4] = ATTEST_EV_POST_CODE;
	at[7] = 0;
	bad(verify(e), "uefi-log", "the log's replay differs from the quoted sha256:0:");
	attest_evidence_free(e);
}
END_TEST

/* Rule (b): no SecureBoot event, or no separator in PCR 7, proves no state. */
START_TEST(test_sb_not_established)
{
	f.separators = 0x7fu;
	expect_sb(NULL, "secure-boot",
		  "pcr 7 has no EV_SEPARATOR, so nothing tells its Secure Boot configuration from later events, the policy requires secure boot on",
		  "uefi-log", "sha256:0,1,2,3,4,5,6,7");

	f.separators = 0xffu;
	f.sb_absent = true;
	expect_sb(NULL, "secure-boot",
		  "no EV_EFI_VARIABLE_DRIVER_CONFIG event of the SecureBoot variable in pcr 7 before its separator, the policy requires secure boot on",
		  NULL, NULL);
	expect_sb("disabled", "secure-boot", "the policy requires secure boot off", NULL, NULL);
	expect_sb("any", NULL, NULL, NULL, NULL);
}
END_TEST

/* Rule (c): PCR 7 in the quote, in a bank of the log, when the policy asks. */
START_TEST(test_sb_pcr7_in_the_quote)
{
	f.sel_sha256 &= ~(1u << 7);
	expect_sb("disabled", "secure-boot",
		  "pcr 7 is not in the quote: nothing proves the Secure Boot configuration, the policy requires secure boot off",
		  NULL, NULL);
	expect_sb("any", NULL, NULL, NULL, NULL);

	/* quoted in sha1 only, which the (sha256) log does not carry */
	f.sel_sha1 = 1u << 7;
	expect_sb(NULL, "secure-boot",
		  "pcr 7 is quoted in no bank of the UEFI event log: nothing proves the Secure Boot configuration",
		  NULL, NULL);
}
END_TEST

/* Class 4: the AK is pinned by its TPM name, which binds its attributes. */
START_TEST(test_ak_attributes_flipped)
{
	struct attest_evidence *e;
	struct attest_verdict *v;
	char name[2 * ATTEST_NAME_MAX + 1], msg[300];

	/* the key the policy pinned is a plain signing key; the evidence
	 * claims it is restricted, and it signed a quote */
	f.policy_attrs = f.attrs & ~TPMA_OBJECT_RESTRICTED;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_check(v, "ak-attributes", ATTEST_CHECK_OK, NULL);
	assert_check(v, "signature", ATTEST_CHECK_OK, NULL);
	f.policy_attrs = 0;             /* the name of what the evidence claims */
	vfx_policy_name(&f, name);
	snprintf(msg, sizeof(msg), "ak.public is not the public area the policy pins for 'host-a': its name %s is not the policy's",
		 name);
	assert_bad(v, "ak-trusted", msg);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_ak_pinned_by_key_alone)
{
	f.policy_no_name = true;
	fixture_bad("ak-trusted", "the policy pins attestation key 'host-a' by its public key alone, which does not bind its attributes");
}
END_TEST

/* ---- the quote -------------------------------------------------------------------- */

START_TEST(test_tampered_attest)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	/* a byte of clockInfo: still a well-formed TPMS_ATTEST */
	e->attest[6 + 34 + 2 + 16 + 3] ^= 0x01;
	v = verify(e);
	assert_bad(v, "signature", "does not verify with the AK");
	assert_check(v, "nonce", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_tampered_signature)
{
	struct attest_evidence *e = vfx_evidence(&f);

	e->signature[e->signature_len - 1] ^= 0x80;
	bad(verify(e), "signature", "the ecdsa signature does not verify with the AK over quote.attest");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_unreadable_signature_and_attest)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	e->signature_len -= 1;
	e->attest_len -= 1;
	v = verify(e);
	assert_bad(v, "signature", "is not a marshalled TPMT_SIGNATURE");
	assert_bad(v, "attest-magic", "is not a marshalled TPMS_ATTEST");
	assert_bad(v, "attest-type", "not checked");
	assert_bad(v, "nonce", "not checked");
	assert_bad(v, "pcr-digest", "not checked");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_tampered_pcr_value)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	for (size_t i = 0; i < e->n_pcrs; i++)
		if (e->pcrs[i].pcr == 4)
			e->pcrs[i].value[7] ^= 0x10;
	v = verify(e);
	assert_bad(v, "pcr-digest", "do not hash to the quote's pcrDigest");
	assert_check(v, "signature", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_missing_pcr_value)
{
	struct attest_evidence *e = vfx_evidence(&f);

	e->n_pcrs--;            /* the last one: sha256:15 */
	bad(verify(e), "pcr-digest", "the quote selects sha256:15, the evidence has no value for it");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_unquoted_values_are_ignored)
{
	struct attest_evidence *e;
	struct attest_verdict *v;
	json_object *j, *bank;

	f.extra_sha256 = 1u << 9;
	e = vfx_evidence(&f);
	j = vfx_policy_json(&f);
	/* the policy expects the very value the evidence claims for sha256:9 */
	bank = json_object_object_get(json_object_object_get(j, "pcr_values"), "sha256");
	json_object_object_add(bank, "9", json_object_new_string(
		"a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9"));
	v = verify_json(e, j);
	assert_check(v, "unquoted-pcrs", ATTEST_CHECK_WARNING, "sha256:9");
	assert_bad(v, "pcr-value:sha256:9", "not covered by the quote");
	assert_check(v, "pcr-digest", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_wrong_nonce)
{
	static const uint8_t other[16] = { 0xff };
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f);
	struct policy *pol = vfx_policy_load(j);
	struct attest_verdict *v = verify_with(pol, e, other, sizeof(other));

	assert_bad(v, "nonce", "is not the one asked for 'ff000000000000000000000000000000': replayed");
	attest_verdict_free(v);
	/* the evidence's claimed nonce is not the quote's */
	e->nonce[0] ^= 1;
	bad(verify_with(pol, e, f.nonce, f.nonce_len), "nonce", "the evidence's nonce '0101");
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_wrong_magic)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.magic = 0x12345678;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_bad(v, "attest-magic", "magic 0x12345678 is not TPM_GENERATED_VALUE");
	assert_check(v, "signature", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_wrong_type)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.type = TPM2_ST_ATTEST_CERTIFY;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_bad(v, "attest-type", "type 0x8017 is not a quote");
	assert_bad(v, "pcr-digest", "not checked");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* ---- the AK ------------------------------------------------------------------------- */

START_TEST(test_unknown_ak)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.policy_ak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	e = vfx_evidence(&f);
	v = verify(e);
	assert_bad(v, "ak-trusted", "the AK is not one of the policy's 1 attestation keys");
	/* the signature is good, with a key nobody trusts */
	assert_check(v, "signature", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_no_ak_in_policy)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f);

	json_object_object_del(j, "attestation_keys");
	bad(verify_json(e, j), "ak-trusted", "the policy pins no attestation key");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_ak_pem_differs)
{
	struct attest_evidence *e = vfx_evidence(&f);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, other), 1);
	len = BIO_get_mem_data(bio, &data);
	free(e->ak_pem);
	e->ak_pem = strndup(data, (size_t)len);
	bad(verify(e), "ak-trusted", "ak.pem is not the key of ak.public");
	attest_evidence_free(e);
	BIO_free(bio);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_ak_not_restricted)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.attrs &= ~TPMA_OBJECT_RESTRICTED;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_bad(v, "ak-attributes", "not a restricted signing key");
	assert_check(v, "ak-trusted", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);

	f.attrs |= TPMA_OBJECT_RESTRICTED;
	f.attrs &= ~TPMA_OBJECT_SENSITIVEDATAORIGIN;
	fixture_bad("ak-attributes", "was not made in the TPM");
}
END_TEST

START_TEST(test_ak_unreadable)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	e->ak_public[1] += 1;           /* the TPM2B size: one byte more than there is */
	v = verify(e);
	assert_bad(v, "ak-trusted", "is not a marshalled TPM2B_PUBLIC");
	assert_bad(v, "signature", "not checked: the AK is unusable");
	attest_verdict_free(v);
	e->ak_public[1] -= 1;

	/* a point off the curve: the last byte of y */
	e->ak_public[e->ak_public_len - 1] ^= 0x01;
	v = verify(e);
	assert_bad(v, "ak-trusted", "ak.public is not a usable key: the point is not on curve P-256");
	assert_bad(v, "signature", "not checked: the AK is unusable");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* ---- the measurement log --------------------------------------------------------------- */

START_TEST(test_mlog_record_changed)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct vfx_record recs[VFX_RECORDS_MAX];
	struct attest_verdict *v;

	/* consistently: the record's digests recomputed for other content */
	memcpy(recs, f.recs, sizeof(recs));
	recs[1].content = "libvirtd 6.6 with a hole\n";
	replace_mlog(e, vfx_mlog_text(recs, f.n_recs));
	v = verify(e);
	assert_bad(v, "measurement-log", "the replay of 3 records differs from the quoted sha256:15");
	/* a log that does not replay proves no record */
	assert_bad(v, "required:/usr/sbin/libvirtd", "was not measured: the measurement log proves nothing");
	ck_assert_ptr_null(attest_verdict_find(v, "reference:/usr/sbin/libvirtd"));
	attest_verdict_free(v);

	/* only the content's digest: the record contradicts itself */
	replace_mlog(e, vfx_mlog_text(f.recs, f.n_recs));
	{
		char *p = strstr(e->mlog, "\"sha256\":\"");

		ck_assert_ptr_nonnull(p);
		p += strlen("\"sha256\":\"");
		*p = *p == '0' ? '1' : '0';
	}
	bad(verify(e), "measurement-log", "record on line 1: the sha256 digest does not match its content");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_mlog_record_removed)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct vfx_record recs[VFX_RECORDS_MAX];
	struct attest_verdict *v;
	char *l0 = vfx_record_line(&f.recs[0], 0), *l2 = vfx_record_line(&f.recs[2], 2), *text;

	/* as it was: a gap in the recnums */
	ck_assert_int_ge(asprintf(&text, "%s%s", l0, l2), 0);
	replace_mlog(e, text);
	bad(verify(e), "measurement-log", "recnum is not 1: a record is missing, added or reordered");

	/* renumbered */
	recs[0] = f.recs[0];
	recs[1] = f.recs[2];
	replace_mlog(e, vfx_mlog_text(recs, 2));
	v = verify(e);
	assert_bad(v, "measurement-log", "the replay of 2 records differs");
	assert_bad(v, "required:/usr/sbin/libvirtd", "is required and was not measured");
	attest_verdict_free(v);

	/* the last one */
	replace_mlog(e, vfx_mlog_text(f.recs, 2));
	bad(verify(e), "measurement-log", "the replay of 2 records differs");
	attest_evidence_free(e);
	free(l0);
	free(l2);
}
END_TEST

START_TEST(test_mlog_record_reordered)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct vfx_record recs[VFX_RECORDS_MAX];
	char *l0 = vfx_record_line(&f.recs[0], 0), *l1 = vfx_record_line(&f.recs[1], 1),
	     *l2 = vfx_record_line(&f.recs[2], 2), *text;

	ck_assert_int_ge(asprintf(&text, "%s%s%s", l1, l0, l2), 0);
	replace_mlog(e, text);
	bad(verify(e), "measurement-log", "recnum is not 0");

	recs[0] = f.recs[1];
	recs[1] = f.recs[0];
	recs[2] = f.recs[2];
	replace_mlog(e, vfx_mlog_text(recs, 3));
	bad(verify(e), "measurement-log", "the replay of 3 records differs from the quoted sha256:15: a record was changed, removed, reordered or added");
	attest_evidence_free(e);
	free(l0);
	free(l1);
	free(l2);
}
END_TEST

START_TEST(test_mlog_record_added)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct vfx_record recs[VFX_RECORDS_MAX];
	struct attest_verdict *v;

	recs[0] = f.recs[0];
	recs[1] = (struct vfx_record){ "/usr/lib/evil.so", "payload", NULL };
	recs[2] = f.recs[1];
	recs[3] = f.recs[2];
	replace_mlog(e, vfx_mlog_text(recs, 4));
	v = verify(e);
	assert_bad(v, "measurement-log", "the replay of 4 records differs");
	assert_bad(v, "required:/usr/bin/qemu-system-x86_64", "the measurement log proves nothing");
	attest_verdict_free(v);

	/* at the end it reads as a pending record: not measured, but the host
	 * was measuring a file the policy does not know */
	recs[0] = f.recs[0];
	recs[1] = f.recs[1];
	recs[2] = f.recs[2];
	recs[3] = (struct vfx_record){ "/usr/lib/evil.so", "payload", NULL };
	replace_mlog(e, vfx_mlog_text(recs, 4));
	v = verify(e);
	assert_check(v, "measurement-log", ATTEST_CHECK_WARNING, "'/usr/lib/evil.so') is pending");
	assert_bad(v, "reference:/usr/lib/evil.so",
		   "unknown component: '/usr/lib/evil.so' (record 3, pending) is not in the policy's reference values");
	attest_verdict_free(v);

	/* a pending file the policy knows, of another digest: bad as well */
	recs[3] = (struct vfx_record){ "/usr/sbin/libvirtd", "libvirtd 6.6 with a hole\n", NULL };
	replace_mlog(e, vfx_mlog_text(recs, 4));
	bad(verify(e), "reference:/usr/sbin/libvirtd", "record 3, pending: sha256 digest");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_mlog_pending_last)
{
	struct attest_evidence *e;
	struct attest_verdict *v;
	json_object *j, *refs;
	struct policy *pol;

	vfx_add(&f, "/usr/share/OVMF/OVMF_CODE.fd", "ovmf");
	f.n_extended = f.n_recs - 1;
	e = vfx_evidence(&f);
	j = vfx_policy_json(&f);
	/* OVMF is in the policy but not required */
	refs = json_object_object_get(j, "reference_values");
	json_object_object_add(json_object_array_get_idx(refs, 3), "required",
			       json_object_new_boolean(0));
	pol = vfx_policy_load(j);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	ck_assert(attest_verdict_ok(v));
	assert_check(v, "measurement-log", ATTEST_CHECK_WARNING,
		     "the last record (3, '/usr/share/OVMF/OVMF_CODE.fd') is pending");
	ck_assert_ptr_null(attest_verdict_find(v, "reference:/usr/share/OVMF/OVMF_CODE.fd"));
	attest_verdict_free(v);
	policy_free(pol);

	/* required, it counts as not measured */
	json_object_object_add(json_object_array_get_idx(refs, 3), "required",
			       json_object_new_boolean(1));
	pol = vfx_policy_load(j);
	bad(verify_with(pol, e, f.nonce, f.nonce_len), "required:/usr/share/OVMF/OVMF_CODE.fd", "its only record is pending");
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_mlog_with_events)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.recs[f.n_recs++] = (struct vfx_record){ "domain web1 allowed", "launch data", "launch" };
	vfx_add(&f, "/usr/bin/qemu-system-x86_64", "qemu-system-x86_64 7.2\n");
	e = vfx_evidence(&f);
	v = verify(e);
	assert_all_ok(v);
	assert_check(v, "reference:/usr/bin/qemu-system-x86_64", ATTEST_CHECK_OK, "2 records");
	ck_assert_ptr_null(attest_verdict_find(v, "reference:domain web1 allowed"));
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_mlog_absent)
{
	f.mlog = false;
	fixture_bad("measurement-log", "the evidence has no measurement log, the policy names 3 reference values");
}
END_TEST

START_TEST(test_measurement_pcr_not_quoted)
{
	f.sel_sha256 &= ~(1u << 15);
	fixture_bad("measurement-log", "pcr 15 (the policy's measurement pcr) is not in the quote's selection");
}
END_TEST

START_TEST(test_banks_disagree)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	/* sha1:15 is quoted, but the records have sha256 digests only: they
	 * extend nothing in sha1, so nothing in sha1 proves them */
	f.sel_sha1 = 1u << 15;
	e = vfx_evidence(&f);
	v = verify(e);
	assert_bad(v, "measurement-log",
		   "record 0 ('/usr/bin/qemu-system-x86_64') has no sha1 digest, a bank the quote covers: nothing proves it");
	assert_bad(v, "required:/usr/bin/qemu-system-x86_64", "the measurement log proves nothing");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* ---- the policy ------------------------------------------------------------------------- */

START_TEST(test_reference_mismatch)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *ref;
	struct attest_verdict *v;
	char want[65], msg[256];

	ref = json_object_array_get_idx(json_object_object_get(j, "reference_values"), 0);
	json_object_object_add(json_object_object_get(ref, "digests"), "sha256",
			       json_object_new_string("0101010101010101010101010101010101010101010101010101010101010101"));
	v = verify_json(e, j);
	vfx_sha256_hex(f.recs[0].content, want);
	snprintf(msg, sizeof(msg), "record 0: sha256 digest %s is not a reference value for '/usr/bin/qemu-system-x86_64'",
		 want);
	assert_bad(v, "reference:/usr/bin/qemu-system-x86_64", msg);
	/* measured it was, only not to the reference */
	assert_check(v, "required:/usr/bin/qemu-system-x86_64", ATTEST_CHECK_OK, NULL);
	assert_check(v, "measurement-log", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_required_missing)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *ref = json_object_new_object(), *d = json_object_new_object();

	json_object_object_add(d, "sha256", json_object_new_string(
		"0202020202020202020202020202020202020202020202020202020202020202"));
	json_object_object_add(ref, "path", json_object_new_string("/usr/sbin/virtqemud"));
	json_object_object_add(ref, "digests", d);
	json_object_array_add(json_object_object_get(j, "reference_values"), ref);
	bad(verify_json(e, j), "required:/usr/sbin/virtqemud", "'/usr/sbin/virtqemud' is required and was not measured");
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_unknown_component)
{
	struct attest_evidence *e;
	json_object *j;
	struct attest_verdict *v;

	j = vfx_policy_json(&f);        /* without the next record */
	vfx_add(&f, "/usr/local/bin/qemu-wrapper", "#!/bin/sh\n");
	e = vfx_evidence(&f);
	v = verify_json(e, j);
	assert_bad(v, "reference:/usr/local/bin/qemu-wrapper",
		   "unknown component: '/usr/local/bin/qemu-wrapper' (record 3) is not in the policy's reference values");
	assert_check(v, "measurement-log", ATTEST_CHECK_OK, NULL);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_pcr_value_mismatch)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f), *bank;
	struct attest_verdict *v;

	bank = json_object_object_get(json_object_object_get(j, "pcr_values"), "sha256");
	json_object_object_add(bank, "0", json_object_new_string(
		"0303030303030303030303030303030303030303030303030303030303030303"));
	json_object_object_add(bank, "17", json_object_new_string(
		"0303030303030303030303030303030303030303030303030303030303030303"));
	v = verify_json(e, j);
	assert_bad(v, "pcr-value:sha256:0", "is not the policy's 0303030303030303030303030303030303030303030303030303030303030303");
	assert_bad(v, "pcr-value:sha256:17", "not covered by the quote");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* ---- the UEFI log and Secure Boot ---------------------------------------------------------- */

START_TEST(test_secure_boot_off)
{
	struct attest_evidence *e;
	json_object *j = vfx_policy_json(&f);   /* requires it */
	struct attest_verdict *v;
	struct policy *pol = vfx_policy_load(j);

	f.secure_boot = false;
	e = vfx_evidence(&f);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_bad(v, "secure-boot", "secure boot is off, the policy requires it on");
	assert_check(v, "uefi-log", ATTEST_CHECK_OK, "sha256:0,1,2,3,4,5,6,7");
	attest_verdict_free(v);
	policy_free(pol);

	/* and the other way round */
	json_object_object_add(j, "secure_boot", json_object_new_string("disabled"));
	pol = vfx_policy_load(j);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_check(v, "secure-boot", ATTEST_CHECK_OK, "secure boot is off");
	attest_verdict_free(v);
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_secure_boot_no_log)
{
	struct attest_evidence *e;
	json_object *j = vfx_policy_json(&f);
	struct attest_verdict *v;
	struct policy *pol = vfx_policy_load(j);

	f.uefi = false;
	e = vfx_evidence(&f);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_bad(v, "secure-boot", "the evidence has no UEFI event log, the policy requires secure boot on");
	ck_assert_ptr_null(attest_verdict_find(v, "uefi-log"));
	attest_verdict_free(v);
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_secure_boot_unproven)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	/* the SecureBoot event in PCR 7, which the quote leaves out */
	f.sel_sha256 &= ~(1u << 7);
	e = vfx_evidence(&f);
	v = verify(e);
	assert_check(v, "uefi-log", ATTEST_CHECK_OK, NULL);
	assert_bad(v, "secure-boot", "pcr 7 is not in the quote: nothing proves the Secure Boot configuration, the policy requires secure boot on");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_uefi_log_tampered)
{
	struct attest_evidence *e = vfx_evidence(&f);
	struct attest_verdict *v;

	/* the last byte: the data of the last separator, in PCR 7; its digest
	 * no longer matches, and the replay stays what it was: flip a digest */
	e->uefi_log[e->uefi_log_len - 4 - 4 - 32 + 5] ^= 0x01;
	v = verify(e);
	assert_bad(v, "uefi-log", "the log's replay differs from the quoted sha256:7");
	assert_bad(v, "secure-boot", "not checked: the UEFI event log is unreadable or does not replay to the quote");
	attest_verdict_free(v);

	/* truncated: a reason from the parser */
	e->uefi_log_len -= 3;
	v = verify(e);
	assert_bad(v, "uefi-log", "event log '$.uefi_eventlog'");
	assert_bad(v, "secure-boot", "not checked: the UEFI event log is unreadable");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_conformance_log)
{
	const char *shared = getenv("VMTRUST_SHARED");
	char path[4096];
	struct attest_evidence *e;
	struct attest_verdict *v;
	json_object *j;

	if (!shared)
		return;
	snprintf(path, sizeof(path), "%s/conformance/eventlogs/event-gce-ubuntu-2104-log.bin", shared);
	if (access(path, R_OK) < 0)
		return;
	f.uefi_file = path;
	f.sel_sha1 = 0xff;
	e = vfx_evidence(&f);
	j = vfx_policy_json(&f);
	json_object_object_add(j, "secure_boot", json_object_new_string("required"));
	v = verify_json(e, j);
	assert_check(v, "uefi-log", ATTEST_CHECK_OK, "sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7");
	assert_bad(v, "secure-boot", "secure boot is off, the policy requires it on");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* ---- the cache of logs and keys ------------------------------------------------------------- */

START_TEST(test_cache_is_keyed_by_bytes)
{
	struct attest_evidence *e = vfx_evidence(&f);
	json_object *j = vfx_policy_json(&f);
	struct policy *pol = vfx_policy_load(j);
	struct attest_verdict *v;
	char *p, was;

	good(verify_with(pol, e, f.nonce, f.nonce_len));

	/* the same lengths, other bytes: parsed again, and found out */
	p = strstr(e->mlog, "\"sha256\":\"");
	ck_assert_ptr_nonnull(p);
	p += strlen("\"sha256\":\"");
	was = *p;
	*p = was == '0' ? '1' : '0';
	e->uefi_log[e->uefi_log_len - 4 - 4 - 32 + 5] ^= 0x01;
	e->ak_public[e->ak_public_len - 1] ^= 0x01;
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	assert_bad(v, "measurement-log", "does not match its content");
	assert_bad(v, "uefi-log", "differs from the quoted sha256:7");
	assert_bad(v, "ak-trusted", "not on curve");
	attest_verdict_free(v);

	*p = was;
	e->uefi_log[e->uefi_log_len - 4 - 4 - 32 + 5] ^= 0x01;
	e->ak_public[e->ak_public_len - 1] ^= 0x01;
	good(verify_with(pol, e, f.nonce, f.nonce_len));
	attest_verify_cache_flush();
	good(verify_with(pol, e, f.nonce, f.nonce_len));
	policy_free(pol);
	json_object_put(j);
	attest_evidence_free(e);
}
END_TEST

struct worker {
	const struct policy *pol;
	struct attest_evidence *e[3];
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 60; i++) {
		struct attest_verdict *v = NULL;

		if (i % 7 == 3)
			attest_verify_cache_flush();
		if (attest_verify(w->pol, w->e[i % 3], f.nonce, f.nonce_len, &v) < 0 ||
		    !attest_verdict_ok(v))
			w->bad++;
		attest_verdict_free(v);
	}
	return NULL;
}

START_TEST(test_cache_threads)
{
	struct worker w = { 0 };
	json_object *j = vfx_policy_json(&f);
	pthread_t t[4];

	w.pol = vfx_policy_load(j);
	for (int i = 0; i < 3; i++) {
		/* the same AK and UEFI log, measurement logs of 3, 4 and 5 records */
		w.e[i] = vfx_evidence(&f);
		f.recs[f.n_recs++] = (struct vfx_record){ "audit", "ok", "host-audit" };
		f.n_extended = f.n_recs;
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(w.bad, 0);
	for (int i = 0; i < 3; i++)
		attest_evidence_free(w.e[i]);
	policy_free((struct policy *)w.pol);
	json_object_put(j);
}
END_TEST

/* ---- the host audit ------------------------------------------------------------------------------- */

/* A canonical audit (attest_audit_to_json's form): iommu passes, tpm fails,
 * qemu passed against the minimum 1:7.2. */
static const char audit_json[] =
	"{\"vmtrust_host_audit\":1,\"checks\":["
	"{\"id\":\"iommu\",\"status\":\"pass\",\"evidence\":\"IOMMU units active: dmar0\"},"
	"{\"id\":\"tpm\",\"status\":\"fail\",\"evidence\":\"no TPM\"},"
	"{\"id\":\"package:qemu-system-x86\",\"status\":\"pass\",\"evidence\":"
	"\"'qemu-system-x86' 1:7.2+dfsg-7+deb12u18 (amd64) (minimum 1:7.2)\"}]}";

/* The log measures `measured` as a host-audit event (its last record); the
 * evidence carries `carried` (NULL: no audit). */
static struct attest_evidence *audit_evidence(const char *measured, const char *carried)
{
	struct attest_evidence *e;

	if (measured) {
		f.recs[f.n_recs++] = (struct vfx_record){ "host audit: 2 pass, 1 fail, 0 unknown",
							  measured, "host-audit" };
		f.n_extended = f.n_recs;
	}
	e = vfx_evidence(&f);
	if (carried) {
		e->host_audit = strdup(carried);
		ck_assert_ptr_nonnull(e->host_audit);
		e->host_audit_len = strlen(carried);
	}
	return e;
}

/* Verifies e against f's policy with a host section (JSON; NULL: none). */
static struct attest_verdict *verify_host(struct attest_evidence *e, const char *host)
{
	json_object *j = vfx_policy_json(&f);
	struct attest_verdict *v;
	struct policy *pol;

	if (host) {
		json_object *h = json_tokener_parse(host);

		ck_assert_ptr_nonnull(h);
		json_object_object_add(j, "host", h);
	}
	pol = vfx_policy_load(j);
	v = verify_with(pol, e, f.nonce, f.nonce_len);
	policy_free(pol);
	json_object_put(j);
	return v;
}

START_TEST(test_host_audit_required_pass)
{
	struct attest_evidence *e = audit_evidence(audit_json, audit_json), *back = NULL;
	struct attest_verdict *v;
	char *json;

	v = verify_host(e, "{\"required_checks\": [\"iommu\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.2\"}}");
	assert_all_ok(v);
	assert_check(v, "host-audit", ATTEST_CHECK_OK,
		     "record 3: the policy's 2 required checks pass (2 pass, 1 fail, 0 unknown)");
	attest_verdict_free(v);

	/* through the evidence document: the same bytes come back */
	ck_assert_int_eq(attest_evidence_to_json(e, &json), 0);
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), 0);
	ck_assert_uint_eq(back->host_audit_len, strlen(audit_json));
	ck_assert_mem_eq(back->host_audit, audit_json, strlen(audit_json));
	v = verify_host(back, "{\"required_checks\": [\"iommu\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.0\"}}");
	assert_all_ok(v);
	attest_verdict_free(v);
	attest_evidence_free(back);
	attest_evidence_free(e);
	free(json);
}
END_TEST

static const struct {
	const char *host;
	const char *reason;
} audit_denials[] = {
	{ "{\"required_checks\": [\"tpm\"]}",
	  "the host audit of record 3 does not satisfy the policy: tpm fail" },
	{ "{\"required_checks\": [\"iommu\", \"kvm\", \"tpm\"]}",
	  "does not satisfy the policy: kvm not in the audit, tpm fail" },
	{ "{\"min_versions\": {\"qemu-system-x86\": \"1:8.2\"}}",
	  "package:qemu-system-x86 passed against the minimum 1:7.2, below the policy's 1:8.2" },
	{ "{\"min_versions\": {\"libvirt-daemon\": \"9.0\"}}",
	  "package:libvirt-daemon not in the audit" },
	/* an unknown check id: the policy does not load (test-audit, cli-host) */
};

START_TEST(test_host_audit_required_fail)
{
	struct attest_evidence *e = audit_evidence(audit_json, audit_json);
	struct attest_verdict *v = verify_host(e, audit_denials[_i].host);

	assert_bad(v, "host-audit", audit_denials[_i].reason);
	/* the rest of the evidence is good */
	for (size_t i = 0; i < attest_verdict_count(v); i++)
		if (strcmp(attest_verdict_check(v, i)->name, "host-audit") != 0)
			ck_assert_int_eq(attest_verdict_check(v, i)->status, ATTEST_CHECK_OK);
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_host_audit_edited)
{
	char *edited = strdup(audit_json), *at = strstr(edited, "\"fail\"");
	struct attest_evidence *e;
	struct attest_verdict *v;

	/* tpm "fail" made "pass": the same size, another digest */
	memcpy(at, "\"pass\"", 6);
	e = audit_evidence(audit_json, edited);
	v = verify_host(e, "{\"required_checks\": [\"tpm\"]}");
	assert_bad(v, "host-audit", "the host audit is not the data of record 3, the last host-audit record: its sha256 event digest differs");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* another size */
	f.n_recs--;
	e = audit_evidence(audit_json, "{\"vmtrust_host_audit\":1,\"checks\":[]}");
	v = verify_host(e, NULL);
	assert_bad(v, "host-audit", "is not the data of record 3, the last host-audit record: 36 bytes, the record measured");
	attest_verdict_free(v);
	attest_evidence_free(e);
	free(edited);
}
END_TEST

START_TEST(test_host_audit_not_the_last)
{
	static const char newer[] = "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"fail\",\"evidence\":\"no TPM\"}]}";
	struct attest_evidence *e;
	struct attest_verdict *v;

	f.recs[f.n_recs++] = (struct vfx_record){ "host audit: 2 pass, 1 fail, 0 unknown", audit_json,
						  "host-audit" };
	f.recs[f.n_recs++] = (struct vfx_record){ "domain web1 allowed", "launch data", "launch" };
	/* the audit of record 3 is carried, record 5 measured a newer one */
	e = audit_evidence(newer, audit_json);
	v = verify_host(e, "{\"required_checks\": [\"iommu\"]}");
	assert_bad(v, "host-audit", "is not the data of record 5, the last host-audit record");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_host_audit_missing)
{
	struct attest_evidence *e;
	struct attest_verdict *v;

	/* required, never measured */
	e = audit_evidence(NULL, NULL);
	v = verify_host(e, "{\"required_checks\": [\"iommu\"], \"min_versions\": {\"qemu-system-x86\": \"1:7.2\"}}");
	assert_bad(v, "host-audit", "the policy requires 2 host audit checks, the evidence has no host audit (measure one on the host: vmtrust host audit --measure)");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* measured, but not in the evidence */
	e = audit_evidence(audit_json, NULL);
	v = verify_host(e, "{\"required_checks\": [\"iommu\"]}");
	assert_bad(v, "host-audit", "the evidence has no host audit, though the measurement log has one (record 3)");
	attest_verdict_free(v);

	/* not required: no check at all */
	v = verify_host(e, NULL);
	assert_all_ok(v);
	ck_assert_ptr_null(attest_verdict_find(v, "host-audit"));
	attest_verdict_free(v);
	v = verify_host(e, "{}");
	ck_assert_ptr_null(attest_verdict_find(v, "host-audit"));
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_host_audit_not_required)
{
	static const char all_pass[] = "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"pass\",\"evidence\":\"TPM 2.0\"},{\"id\":\"kvm\",\"status\":\"unknown\",\"evidence\":\"cannot read\"}]}";
	struct attest_evidence *e = audit_evidence(audit_json, audit_json);
	struct attest_verdict *v = verify_host(e, NULL);

	/* a failed check the policy does not require: a warning */
	ck_assert(attest_verdict_ok(v));
	assert_check(v, "host-audit", ATTEST_CHECK_WARNING, "record 3: 1 checks fail (tpm); the policy requires none");
	attest_verdict_free(v);
	attest_evidence_free(e);

	f.n_recs--;
	e = audit_evidence(all_pass, all_pass);
	v = verify_host(e, NULL);
	assert_all_ok(v);
	assert_check(v, "host-audit", ATTEST_CHECK_OK, "record 3: 1 pass, 0 fail, 1 unknown; the policy requires none");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_host_audit_unproven)
{
	struct attest_evidence *e;
	struct attest_verdict *v;
	char *text;

	/* no host-audit record at all */
	e = audit_evidence(NULL, audit_json);
	v = verify_host(e, NULL);
	assert_bad(v, "host-audit", "the measurement log has no host-audit record: the host audit in the evidence was not measured");
	attest_verdict_free(v);
	attest_evidence_free(e);

	/* its record is pending */
	e = audit_evidence(audit_json, NULL);
	attest_evidence_free(e);
	f.n_extended = f.n_recs - 1;
	e = vfx_evidence(&f);
	e->host_audit = strdup(audit_json);
	e->host_audit_len = strlen(audit_json);
	v = verify_host(e, "{\"required_checks\": [\"iommu\"]}");
	assert_check(v, "measurement-log", ATTEST_CHECK_WARNING, "is pending");
	assert_bad(v, "host-audit", "record 3 of the host audit is pending: its extend is not in the quote");
	attest_verdict_free(v);

	/* a log that does not replay to the quote proves no audit */
	text = vfx_mlog_text(f.recs, f.n_recs - 2);
	replace_mlog(e, text);
	v = verify_host(e, "{\"required_checks\": [\"iommu\"]}");
	assert_bad(v, "measurement-log", "differs from the quoted");
	assert_bad(v, "host-audit", "not checked: the measurement log does not replay to the quote, so it proves no host audit");
	attest_verdict_free(v);

	/* no log */
	free(e->mlog);
	e->mlog = NULL;
	e->mlog_len = 0;
	v = verify_host(e, NULL);
	assert_bad(v, "host-audit", "not checked: the evidence has a host audit but no measurement log to prove it");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_host_audit_malformed_is_a_verdict)
{
	/* measured as it is: the digest matches, the audit does not parse */
	static const char bad[] = "{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm\",\"status\":\"maybe\",\"evidence\":\"\"}]}";
	struct attest_evidence *e = audit_evidence(bad, bad);
	struct attest_verdict *v = verify_host(e, NULL);

	assert_bad(v, "host-audit", "host audit '$.host_audit': $.checks[0]: status 'maybe' is not pass, fail or unknown");
	attest_verdict_free(v);
	attest_evidence_free(e);
}
END_TEST

/* The evidence document with its host_audit replaced by value. */
static char *evidence_with_host_audit(json_object *value)
{
	struct attest_evidence *e = audit_evidence(audit_json, audit_json);
	json_object *j;
	char *json, *out;

	ck_assert_int_eq(attest_evidence_to_json(e, &json), 0);
	j = json_tokener_parse(json);
	ck_assert_ptr_nonnull(j);
	json_object_object_add(j, "host_audit", value);
	out = strdup(json_object_to_json_string(j));
	ck_assert_ptr_nonnull(out);
	json_object_put(j);
	free(json);
	attest_evidence_free(e);
	return out;
}

START_TEST(test_host_audit_malformed_evidence)
{
	static const struct {
		size_t len;             /* of the audit string; 0: the whole */
		const char *error;
	} cases[] = {
		{ 40, "evidence 'e.json': $.host_audit: not a host audit: $: unexpected end of input at byte 40" },
		{ 1, "evidence 'e.json': $.host_audit: not a host audit: $: unexpected end of input at byte 1" },
	};
	struct attest_evidence *back = NULL;
	char *json, *big;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		json = evidence_with_host_audit(json_object_new_string_len(audit_json, (int)cases[i].len));
		n_errors = 0;
		ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
		ck_assert_ptr_null(back);
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_str_eq(last_error, cases[i].error);
		free(json);
	}

	/* over the limit: refused before it is parsed */
	big = malloc(ATTEST_AUDIT_JSON_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', ATTEST_AUDIT_JSON_MAX + 1);
	big[ATTEST_AUDIT_JSON_MAX + 1] = '\0';
	json = evidence_with_host_audit(json_object_new_string(big));
	n_errors = 0;
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_str_eq(last_error, "evidence 'e.json': $.host_audit: too large: 1048577 bytes, the limit is 1048576");
	free(json);
	free(big);

	/* not a string, a NUL, an unknown check */
	json = evidence_with_host_audit(json_tokener_parse(audit_json));
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
	ck_assert_str_eq(last_error, "evidence 'e.json': $.host_audit: expected a string");
	free(json);
	json = evidence_with_host_audit(json_object_new_string_len("{}\0{}", 5));
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
	ck_assert_str_eq(last_error, "evidence 'e.json': $.host_audit: string contains a NUL character");
	free(json);
	json = evidence_with_host_audit(json_object_new_string(
		"{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"tpm2\",\"status\":\"pass\",\"evidence\":\"\"}]}"));
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
	ck_assert_str_eq(last_error, "evidence 'e.json': $.host_audit: not a host audit: $.checks[0]: unknown check id 'tpm2'");
	ck_assert_ptr_null(back);
	free(json);
}
END_TEST

/* ---- malformed evidence ------------------------------------------------------------------------ */

START_TEST(test_truncated_json)
{
	struct attest_evidence *e = vfx_evidence(&f), *back = NULL;
	char *json;

	ck_assert_int_eq(attest_evidence_to_json(e, &json), 0);
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json) / 2, &back), -EBADMSG);
	ck_assert_ptr_null(back);
	ck_assert_msg(strstr(last_error, "evidence 'e.json': $: unexpected end of input"), "%s",
		      last_error);
	free(json);
	attest_evidence_free(e);
}
END_TEST

/* A measurement log with a NUL in it (found by fuzz/fuzz-evidence.c): the
 * copy would end at the NUL while its length went on to the JSON string's. */
START_TEST(test_mlog_with_nul)
{
	static const char text[] = "{}\n\0{}\n";
	struct attest_evidence *e = vfx_evidence(&f), *back = NULL;
	json_object *j;
	char *json;

	ck_assert_int_eq(attest_evidence_to_json(e, &json), 0);
	j = json_tokener_parse(json);
	ck_assert_ptr_nonnull(j);
	json_object_object_add(j, "measurement_log", json_object_new_string_len(text, sizeof(text) - 1));
	free(json);
	json = strdup(json_object_to_json_string(j));
	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_nonnull(strstr(json, "\\u0000"));
	ck_assert_int_eq(attest_evidence_parse("e.json", json, strlen(json), &back), -EBADMSG);
	ck_assert_ptr_null(back);
	ck_assert_msg(strstr(last_error, "evidence 'e.json': $.measurement_log: string contains a NUL character"),
		      "%s", last_error);
	json_object_put(j);
	free(json);
	attest_evidence_free(e);
}
END_TEST

START_TEST(test_oversized_evidence)
{
	size_t len = (size_t)ATTEST_EVIDENCE_MAX + 1;
	char *big = malloc(len);
	struct attest_evidence *back = NULL;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	ck_assert_int_eq(attest_evidence_parse("big.json", big, len, &back), -EFBIG);
	ck_assert_ptr_null(back);
	ck_assert_msg(strstr(last_error, "exceed the limit"), "%s", last_error);
	free(big);
}
END_TEST

/* ---- tpm2-tools import --------------------------------------------------------------------------- */

struct files {
	uint8_t pub[sizeof(TPM2B_PUBLIC)];
	size_t pub_len;
	struct attest_evidence *e;
};

static void put_le(uint8_t *p, uint32_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* tpm2_quote -o as tpm2-tools 5 writes it: C structs, little endian. */
static uint8_t *serialized_pcrs(const struct attest_evidence *e, size_t *ret_len)
{
	size_t lists = (e->n_pcrs + 7) / 8, len = 132 + 4 + lists * 532;
	uint8_t *d = calloc(1, len);
	uint32_t mask = 0;

	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < e->n_pcrs; i++)
		mask |= 1u << e->pcrs[i].pcr;
	put_le(d, 1, 4);
	put_le(d + 4, TPM2_ALG_SHA256, 2);
	d[6] = 3;
	put_le(d + 7, mask, 3);
	d[10] = 0xcc;           /* padding is whatever memory held */
	put_le(d + 132, (uint32_t)lists, 4);
	for (size_t i = 0; i < e->n_pcrs; i++) {
		uint8_t *list = d + 136 + (i / 8) * 532;

		put_le(list, (uint32_t)(e->n_pcrs - (i / 8) * 8 > 8 ? 8 : e->n_pcrs - (i / 8) * 8), 4);
		put_le(list + 4 + (i % 8) * 66, 32, 2);
		memcpy(list + 4 + (i % 8) * 66 + 2, e->pcrs[i].value, 32);
	}
	*ret_len = len;
	return d;
}

static void import_setup(struct files *fs, struct attest_import *in)
{
	memset(in, 0, sizeof(*in));
	fs->e = vfx_evidence(&f);
	vfx_public(&f, fs->pub, &fs->pub_len);
	in->ak_public = (struct attest_blob){ "ak.pub", fs->pub, fs->pub_len };
	in->attest = (struct attest_blob){ "msg", fs->e->attest, fs->e->attest_len };
	in->signature = (struct attest_blob){ "sig", fs->e->signature, fs->e->signature_len };
	in->mlog = (struct attest_blob){ "measurements.log", (const uint8_t *)fs->e->mlog,
					 fs->e->mlog_len };
	in->uefi_log = (struct attest_blob){ "uefi.bin", fs->e->uefi_log, fs->e->uefi_log_len };
	in->nonce = f.nonce;
	in->nonce_len = f.nonce_len;
}

START_TEST(test_import_serialized)
{
	struct attest_evidence *got = NULL;
	struct attest_verdict *v;
	struct attest_import in;
	struct files fs;
	size_t len;
	uint8_t *pcrs;

	f.sel_sha256 = 0xffffffu & ~(1u << 16) & ~(1u << 23);  /* 22 values: three lists */
	import_setup(&fs, &in);
	pcrs = serialized_pcrs(fs.e, &len);
	in.pcrs = (struct attest_blob){ "pcrs", pcrs, len };
	ck_assert_int_eq(attest_evidence_import(&in, &got), 0);
	ck_assert_uint_eq(got->n_pcrs, 22);
	ck_assert_ptr_nonnull(got->ak_pem);
	v = verify(got);
	assert_check(v, "pcr-digest", ATTEST_CHECK_OK, NULL);
	assert_check(v, "ak-trusted", ATTEST_CHECK_OK, NULL);
	ck_assert(attest_verdict_ok(v));
	attest_verdict_free(v);
	attest_evidence_free(got);

	/* a value of the wrong size */
	pcrs[136 + 4 + 66] = 20;
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EBADMSG);
	ck_assert_msg(strstr(last_error, "pcr file 'pcrs': the value of sha256:1 has 20 bytes"), "%s",
		      last_error);
	free(pcrs);
	attest_evidence_free(fs.e);
}
END_TEST

START_TEST(test_import_values)
{
	struct attest_evidence *got = NULL;
	struct attest_import in;
	struct files fs;
	uint8_t values[POLICY_PCR_MAX * 32];

	import_setup(&fs, &in);
	for (size_t i = 0; i < fs.e->n_pcrs; i++)
		memcpy(values + 32 * i, fs.e->pcrs[i].value, 32);
	in.pcrs = (struct attest_blob){ "pcrs", values, 32 * fs.e->n_pcrs };
	ck_assert_int_eq(attest_evidence_import(&in, &got), 0);
	good(verify(got));
	attest_evidence_free(got);

	in.pcrs.len -= 1;
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EBADMSG);
	ck_assert_msg(strstr(last_error, "neither tpm2-tools' serialized format nor the values the quote selects"),
		      "%s", last_error);
	attest_evidence_free(fs.e);
}
END_TEST

START_TEST(test_import_faults)
{
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
	static const uint8_t other[2] = { 1, 2 };
	struct attest_evidence *got = NULL;
	struct attest_import in, good;
	struct files fs;

	import_setup(&fs, &good);

	in = good;      /* no --pcrs */
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EINVAL);
	ck_assert_str_eq(last_error, "the quote selects sha256:0,1,2,3,4,5,6,7,15, but no PCR values were given (tpm2_quote -o FILE)");

	in = good;
	in.ak_public = (struct attest_blob){ "ak.pem", (const uint8_t *)pem, sizeof(pem) - 1 };
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EINVAL);
	ck_assert_msg(strstr(last_error, "AK 'ak.pem' is a PEM public key"), "%s", last_error);

	in = good;
	in.nonce = other;
	in.nonce_len = 2;
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EINVAL);
	ck_assert_msg(strstr(last_error, "the quote's nonce is '000102"), "%s", last_error);

	in = good;
	in.attest.len--;
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EBADMSG);
	ck_assert_msg(strstr(last_error, "message 'msg' is not a marshalled TPMS_ATTEST"), "%s", last_error);

	in = good;
	in.signature.len--;
	ck_assert_int_eq(attest_evidence_import(&in, &got), -EBADMSG);
	ck_assert_msg(strstr(last_error, "signature 'sig' is not a marshalled TPMT_SIGNATURE"), "%s",
		      last_error);
	ck_assert_ptr_null(got);
	attest_evidence_free(fs.e);
}
END_TEST

/* common/tpmkey.c takes an RSA public area only with F4 (0 or 65537): an
 * exponent of 1, 3 or an even one is no key a TPM made. */
START_TEST(test_rsa_exponent)
{
	static const uint32_t good[] = { 0, 65537 }, bad[] = { 1, 2, 3, 17, 65536, 65539 };
	TPMT_PUBLIC pub = { .type = TPM2_ALG_RSA };
	EVP_PKEY *k = NULL;
	char why[160];

	pub.parameters.rsaDetail.keyBits = 2048;
	pub.unique.rsa.size = 256;
	memset(pub.unique.rsa.buffer, 0xa5, 256);
	pub.unique.rsa.buffer[255] |= 1;        /* an odd modulus */
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		pub.parameters.rsaDetail.exponent = good[i];
		ck_assert_int_eq(vt_tpm_public_to_pkey((const struct TPMT_PUBLIC *)&pub, &k, why, sizeof(why)), 0);
		EVP_PKEY_free(TAKE_PTR(k));
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char want[80];

		pub.parameters.rsaDetail.exponent = bad[i];
		ck_assert_int_eq(vt_tpm_public_to_pkey((const struct TPMT_PUBLIC *)&pub, &k, why, sizeof(why)),
				 -EOPNOTSUPP);
		ck_assert_ptr_null(k);
		snprintf(want, sizeof(want), "an rsa exponent of %u is not supported (65537)", (unsigned)bad[i]);
		ck_assert_str_eq(why, want);
	}
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_good_roundtrip_json);
	tcase_add_test(tc, test_good_rsassa);
	tcase_add_test(tc, test_good_rsapss);
	tcase_add_test(tc, test_rsa_exponent);
	tcase_add_test(tc, test_no_nonce_is_a_warning);
	suite_add_tcase(s, tc);

	tc = tcase_create("proven");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unquoted_bank_redigested);
	tcase_add_test(tc, test_unquoted_bank_fabricated);
	tcase_add_test(tc, test_unquoted_bank_contradiction);
	tcase_add_test(tc, test_quote_covers_less_than_the_policy);
	tcase_add_test(tc, test_uefi_event_banks);
	tcase_add_test(tc, test_secure_boot_disagrees);
	tcase_add_test(tc, test_ak_attributes_flipped);
	tcase_add_test(tc, test_ak_pinned_by_key_alone);
	suite_add_tcase(s, tc);

	tc = tcase_create("quote");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tampered_attest);
	tcase_add_test(tc, test_tampered_signature);
	tcase_add_test(tc, test_unreadable_signature_and_attest);
	tcase_add_test(tc, test_tampered_pcr_value);
	tcase_add_test(tc, test_missing_pcr_value);
	tcase_add_test(tc, test_unquoted_values_are_ignored);
	tcase_add_test(tc, test_wrong_nonce);
	tcase_add_test(tc, test_wrong_magic);
	tcase_add_test(tc, test_wrong_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("ak");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_ak);
	tcase_add_test(tc, test_no_ak_in_policy);
	tcase_add_test(tc, test_ak_pem_differs);
	tcase_add_test(tc, test_ak_not_restricted);
	tcase_add_test(tc, test_ak_unreadable);
	suite_add_tcase(s, tc);

	tc = tcase_create("measurement-log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mlog_record_changed);
	tcase_add_test(tc, test_mlog_record_removed);
	tcase_add_test(tc, test_mlog_record_reordered);
	tcase_add_test(tc, test_mlog_record_added);
	tcase_add_test(tc, test_mlog_pending_last);
	tcase_add_test(tc, test_mlog_with_events);
	tcase_add_test(tc, test_mlog_absent);
	tcase_add_test(tc, test_measurement_pcr_not_quoted);
	tcase_add_test(tc, test_banks_disagree);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reference_mismatch);
	tcase_add_test(tc, test_required_missing);
	tcase_add_test(tc, test_unknown_component);
	tcase_add_test(tc, test_pcr_value_mismatch);
	suite_add_tcase(s, tc);

	tc = tcase_create("uefi");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_secure_boot_off);
	tcase_add_test(tc, test_secure_boot_no_log);
	tcase_add_test(tc, test_secure_boot_unproven);
	tcase_add_test(tc, test_sb_relabelled_and_appended);
	tcase_add_test(tc, test_sb_in_another_pcr);
	tcase_add_test(tc, test_uefi_log_leaves_out_a_quoted_pcr);
	tcase_add_test(tc, test_uefi_log_pcr_without_events);
	tcase_add_test(tc, test_uefi_log_hcrtm);
	tcase_add_test(tc, test_sb_not_established);
	tcase_add_test(tc, test_sb_pcr7_in_the_quote);
	tcase_add_test(tc, test_uefi_log_tampered);
	tcase_add_test(tc, test_conformance_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cache_is_keyed_by_bytes);
	tcase_add_test(tc, test_cache_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("host-audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_audit_required_pass);
	tcase_add_loop_test(tc, test_host_audit_required_fail, 0, (int)ELEMENTSOF(audit_denials));
	tcase_add_test(tc, test_host_audit_edited);
	tcase_add_test(tc, test_host_audit_not_the_last);
	tcase_add_test(tc, test_host_audit_missing);
	tcase_add_test(tc, test_host_audit_not_required);
	tcase_add_test(tc, test_host_audit_unproven);
	tcase_add_test(tc, test_host_audit_malformed_is_a_verdict);
	tcase_add_test(tc, test_host_audit_malformed_evidence);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_truncated_json);
	tcase_add_test(tc, test_oversized_evidence);
	tcase_add_test(tc, test_mlog_with_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_import_serialized);
	tcase_add_test(tc, test_import_values);
	tcase_add_test(tc, test_import_faults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
