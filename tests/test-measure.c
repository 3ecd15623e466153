/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hypervisor measurement log against a real TPM (swtpm): the log replays
 * to the PCR, computed here independently with OpenSSL; re-measuring adds a
 * record; a pending last record is completed; a changed, removed, reordered
 * or added record is refused; concurrent runs keep log and PCR in step; a TPM
 * reset starts a new log.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest.h"
#include "swtpm-fixture.h"
#include "fixture.h"
#include "test-log.h"

static struct swtpm_fixture tpm;
static struct attest_ctx *ctx;
static char dir[64], state[128], files[4][160];

static void setup(void)
{
	test_log_capture();
	ck_assert_int_eq(swtpm_fixture_start(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	snprintf(dir, sizeof(dir), "/tmp/vmtrust-measure-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	for (int i = 0; i < 4; i++) {
		char content[64];

		snprintf(files[i], sizeof(files[i]), "%s/file%d", dir, i);
		snprintf(content, sizeof(content), "hypervisor component %d\n", i);
		fx_write_text(files[i], content, 0644);
	}
	n_errors = 0;
}

static void teardown(void)
{
	attest_ctx_free(ctx);
	ctx = NULL;
	swtpm_fixture_stop(&tpm);
	swtpm_fixture_rm_rf(dir);
}

/* The expected PCR after measuring the given files in order, computed from
 * the documented record format, not through the code under test. */
static void expected_pcr(const char *md_name, const char *const *paths, size_t n, uint8_t *out)
{
	const EVP_MD *md = EVP_get_digestbyname(md_name);
	size_t size = (size_t)EVP_MD_get_size(md);

	memset(out, 0, size);
	for (size_t i = 0; i < n; i++) {
		uint8_t file[64], event[64], size_le[8] = { 0 };
		char *data;
		size_t len;
		unsigned l;
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		ck_assert_int_eq(vt_read_file(paths[i], 1 << 20, &data, &len), 0);
		ck_assert_int_eq(EVP_Digest(data, len, file, &l, md, NULL), 1);
		free(data);
		for (int k = 0; k < 8; k++)
			size_le[k] = (uint8_t)((uint64_t)len >> (8 * k));
		EVP_DigestInit(c, md);
		EVP_DigestUpdate(c, "vmtrust-file-v1", 16);
		EVP_DigestUpdate(c, paths[i], strlen(paths[i]) + 1);
		EVP_DigestUpdate(c, size_le, 8);
		EVP_DigestUpdate(c, file, size);
		EVP_DigestFinal(c, event, &l);
		EVP_DigestInit(c, md);
		EVP_DigestUpdate(c, out, size);
		EVP_DigestUpdate(c, event, size);
		EVP_DigestFinal(c, out, &l);
		EVP_MD_CTX_free(c);
	}
}

static void assert_pcr(unsigned pcr, const char *const *paths, size_t n)
{
	static const char *const banks[] = { "sha1", "sha256" };

	for (size_t b = 0; b < ELEMENTSOF(banks); b++) {
		const struct vt_hash_alg *alg = vt_hash_alg_by_name(banks[b]);
		uint8_t want[64], got[64];

		expected_pcr(banks[b], paths, n, want);
		ck_assert_int_eq(attest_pcr_read(ctx, alg, pcr, got), 0);
		ck_assert_mem_eq(got, want, alg->size);
	}
}

static char *log_file(void)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", state, VT_STATE_MLOG), 0);
	return p;
}

START_TEST(test_measure_replays)
{
	const char *const set[] = { files[0], files[1] };
	const char *const all[] = { files[0], files[1], files[0] };
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	uint8_t replay[64], tpm_value[64];
	size_t extends;

	ck_assert_int_eq(attest_measure(ctx, state, 15, set, 2, NULL, NULL), 0);
	assert_pcr(15, set, 2);
	/* re-measuring adds a record, as IMA does */
	ck_assert_int_eq(attest_measure(ctx, state, 15, set, 1, NULL, NULL), 0);
	assert_pcr(15, all, 3);

	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), 0);
	ck_assert_uint_eq(attest_mlog_count(log), 3);
	ck_assert_str_eq(attest_mlog_record(log, 2)->path, files[0]);
	ck_assert_uint_eq(attest_mlog_record(log, 2)->recnum, 2);
	ck_assert_uint_eq(attest_mlog_record(log, 1)->size, strlen("hypervisor component 1\n"));
	ck_assert_int_eq(attest_mlog_replay(log, 3, 15, sha256, replay, &extends), 0);
	ck_assert_uint_eq(extends, 3);
	ck_assert_int_eq(attest_pcr_read(ctx, sha256, 15, tpm_value), 0);
	ck_assert_mem_eq(replay, tpm_value, 32);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

START_TEST(test_bad_inputs)
{
	const char *const missing[] = { "/nonexistent/qemu" };
	const char *const a_dir[] = { "/tmp" };
	const char *const set[] = { files[0] };

	ck_assert_int_eq(attest_measure(ctx, state, 15, missing, 1, NULL, NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(last_error, "cannot measure '/nonexistent/qemu'"));
	ck_assert_int_eq(attest_measure(ctx, state, 15, a_dir, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(attest_measure(ctx, state, 16, set, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(attest_measure(ctx, state, 23, set, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(attest_measure(ctx, state, 24, set, 1, NULL, NULL), -EINVAL);
	/* nothing was extended */
	assert_pcr(15, set, 0);
}
END_TEST

/* Rewrites line `line` (0-based) of the log with edit(), or drops/moves it. */
static void edit_log(int op, size_t line)
{
	_cleanup_(freep) char *path = log_file(), *data = NULL;
	char *lines[16];
	size_t len, n = 0;
	FILE *f;

	ck_assert_int_eq(vt_read_file(path, 1 << 20, &data, &len), 0);
	for (char *save = NULL, *l = strtok_r(data, "\n", &save); l && n < 16; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	ck_assert_uint_gt(n, line);
	f = fopen(path, "w");
	for (size_t i = 0; i < n; i++) {
		if (op == 0 && i == line) {            /* change one digest character */
			char *d = strstr(lines[i], "\"digest\":\"");

			ck_assert_ptr_nonnull(d);
			d[10] = d[10] == '0' ? '1' : '0';
		}
		if (op == 1 && i == line)              /* remove */
			continue;
		if (op == 2 && i == line && i + 1 < n) { /* swap with the next */
			fprintf(f, "%s\n%s\n", lines[i + 1], lines[i]);
			i++;
			continue;
		}
		fprintf(f, "%s\n", lines[i]);
	}
	fclose(f);
}

START_TEST(test_tampered_log)
{
	const char *const set[] = { files[0], files[1], files[2] };
	struct attest_mlog *log = NULL;
	static const char *const reasons[] = {
		"digest does not match its content",
		"recnum is not 1: a record is missing, added or reordered",
		"recnum is not 0: a record is missing, added or reordered",
	};

	ck_assert_int_eq(attest_measure(ctx, state, 15, set, 3, NULL, NULL), 0);
	/* _i: 0 changed, 1 removed, 2 reordered */
	edit_log(_i, _i == 0 ? 1 : (_i == 1 ? 1 : 0));
	n_errors = 0;
	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), -EBADMSG);
	ck_assert_ptr_null(log);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_msg(strstr(last_error, reasons[_i]), "'%s' lacks '%s'", last_error, reasons[_i]);
	/* and measuring refuses to go on from a broken log */
	ck_assert_int_eq(attest_measure(ctx, state, 15, set, 1, NULL, NULL), -EBADMSG);
}
END_TEST

/* A record appended without its extend: what a crash between the fsync and
 * the extend leaves; with digests of the first n_banks of swtpm's four. */
static void append_unextended_banks(const char *path, uint64_t recnum, size_t n_banks)
{
	static const char *const banks[] = { "sha1", "sha256", "sha384", "sha512" };
	_cleanup_(freep) char *lf = log_file();
	struct attest_record rec = { .recnum = recnum, .pcr = 15, .path = (char *)path };
	json_object *o;
	char *data;
	size_t len;
	unsigned l;
	FILE *f;

	ck_assert_int_eq(vt_read_file(path, 1 << 20, &data, &len), 0);
	rec.n_digests = n_banks;
	rec.size = len;
	for (size_t k = 0; k < n_banks; k++) {
		rec.file_digests[k].alg = vt_hash_alg_by_name(banks[k]);
		EVP_Digest(data, len, rec.file_digests[k].value, &l,
			   EVP_get_digestbyname(rec.file_digests[k].alg->ossl), NULL);
		ck_assert_int_eq(attest_record_event_digest(path, len, &rec.file_digests[k], &rec.digests[k]), 0);
	}
	free(data);
	ck_assert_int_eq(attest_record_to_json(&rec, &o), 0);
	f = fopen(lf, "a");
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fclose(f);
	json_object_put(o);
}

static void append_unextended(const char *path, uint64_t recnum)
{
	append_unextended_banks(path, recnum, 4);
}

/* A record without a digest of a bank the PCR has extends nothing in it:
 * the log is refused, as a verifier refuses it (attest_mlog_judge). */
START_TEST(test_pending_record_missing_a_bank)
{
	const char *const first[] = { files[0] };
	const char *const next[] = { files[2] };

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), 0);
	append_unextended_banks(files[1], 1, 2);
	ck_assert_int_eq(attest_measure(ctx, state, 15, next, 1, NULL, NULL), -EUCLEAN);
	ck_assert_msg(strstr(last_error, "record 1 has no sha384 digest, a bank pcr 15 has: the log was changed"),
		      "%s", last_error);
}
END_TEST

START_TEST(test_pending_record_completed)
{
	const char *const first[] = { files[0] };
	const char *const next[] = { files[2] };
	const char *const all[] = { files[0], files[1], files[2] };

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), 0);
	append_unextended(files[1], 1);
	/* the next run completes the pending extend, then measures */
	ck_assert_int_eq(attest_measure(ctx, state, 15, next, 1, NULL, NULL), 0);
	assert_pcr(15, all, 3);
}
END_TEST

START_TEST(test_added_record_refused)
{
	const char *const first[] = { files[0] };

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), 0);
	/* two records that were never extended: not a crash, a forgery */
	append_unextended(files[1], 1);
	append_unextended(files[2], 2);
	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), -EUCLEAN);
	ck_assert_ptr_nonnull(strstr(last_error, "does not replay to pcr 15"));
}
END_TEST

START_TEST(test_foreign_extend_refused)
{
	const char *const first[] = { files[0] };
	struct policy_digest d[2] = { { .alg = vt_hash_alg_by_name("sha1") },
				      { .alg = vt_hash_alg_by_name("sha256") } };

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), 0);
	ck_assert_int_eq(attest_pcr_extend(ctx, 15, d, 2), 0);
	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), -EUCLEAN);
}
END_TEST

START_TEST(test_concurrent)
{
	enum { WORKERS = 4, ROUNDS = 5 };
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	uint8_t replay[64], value[64];
	pid_t pids[WORKERS];

	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0) {
			struct attest_ctx *c;
			const char *const one[] = { files[w] };

			/* swtpm serves one connection at a time: retry while busy */
			for (int round = 0; round < ROUNDS; round++) {
				int r = -1;

				for (int tries = 0; tries < 200 && r < 0; tries++) {
					if (attest_ctx_new(&c, tpm.tcti) < 0) {
						usleep(20000);
						continue;
					}
					r = attest_measure(c, state, 15, one, 1, NULL, NULL);
					attest_ctx_free(c);
				}
				if (r < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	/* the parent's own connection would block the workers */
	attest_ctx_free(ctx);
	ctx = NULL;
	for (int w = 0; w < WORKERS; w++) {
		int status;

		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker %d failed", w);
	}
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), 0);
	ck_assert_uint_eq(attest_mlog_count(log), WORKERS * ROUNDS);
	ck_assert_int_eq(attest_mlog_replay(log, WORKERS * ROUNDS, 15, sha256, replay, NULL), 0);
	ck_assert_int_eq(attest_pcr_read(ctx, sha256, 15, value), 0);
	ck_assert_mem_eq(replay, value, 32);
}
END_TEST

START_TEST(test_tpm_reset_starts_new_log)
{
	const char *const first[] = { files[0], files[1] };
	const char *const next[] = { files[2] };
	_cleanup_(freep) char *prev = NULL;
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 2, NULL, NULL), 0);
	attest_ctx_free(ctx);
	ctx = NULL;
	ck_assert_int_eq(swtpm_fixture_restart(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	ck_assert_int_eq(attest_measure(ctx, state, 15, next, 1, NULL, NULL), 0);
	assert_pcr(15, next, 1);
	ck_assert_int_ge(asprintf(&prev, "%s/%s.prev", state, VT_STATE_MLOG), 0);
	ck_assert_int_eq(access(prev, F_OK), 0);
	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), 0);
	ck_assert_uint_eq(attest_mlog_count(log), 1);
}
END_TEST

START_TEST(test_tpm_gone)
{
	const char *const first[] = { files[0] };
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	int r;

	swtpm_fixture_kill(&tpm);
	r = attest_measure(ctx, state, 15, first, 1, NULL, NULL);
	ck_assert_msg(r == -ECOMM || r == -ENODEV, "got %d", r);
	/* nothing half-written: the log is whole (empty, or one pending record) */
	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), 0);
	ck_assert_uint_le(attest_mlog_count(log), 1);
}
END_TEST

START_TEST(test_event_record)
{
	const char *const first[] = { files[0] };
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	const struct vt_hash_alg *sha256 = vt_hash_alg_by_name("sha256");
	const struct attest_record *rec;
	struct attest_record out;
	uint8_t want[32], got[32], file_pcr[32], content[32], event[32], size_le[8] = { 5 };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned l;

	ck_assert_int_eq(attest_measure(ctx, state, 15, first, 1, NULL, NULL), 0);
	ck_assert_int_eq(attest_measure_event(ctx, state, 15, "launch", "domain web1 allowed", "hello", 5,
					      &out), 0);
	ck_assert_uint_eq(out.recnum, 1);
	ck_assert_int_eq(out.kind, ATTEST_RECORD_EVENT);

	/* expected: the file record, then H(tag NUL type NUL desc NUL le64(5) H("hello")) */
	expected_pcr("sha256", first, 1, file_pcr);
	EVP_Digest("hello", 5, content, &l, EVP_sha256(), NULL);
	EVP_DigestInit(c, EVP_sha256());
	EVP_DigestUpdate(c, "vmtrust-event-v1", 17);
	EVP_DigestUpdate(c, "launch", 7);
	EVP_DigestUpdate(c, "domain web1 allowed", 20);
	EVP_DigestUpdate(c, size_le, 8);
	EVP_DigestUpdate(c, content, 32);
	EVP_DigestFinal(c, event, &l);
	EVP_DigestInit(c, EVP_sha256());
	EVP_DigestUpdate(c, file_pcr, 32);
	EVP_DigestUpdate(c, event, 32);
	EVP_DigestFinal(c, want, &l);
	EVP_MD_CTX_free(c);
	ck_assert_int_eq(attest_pcr_read(ctx, sha256, 15, got), 0);
	ck_assert_mem_eq(got, want, 32);

	ck_assert_int_eq(attest_mlog_load(state, false, NULL, &log), 0);
	ck_assert_uint_eq(attest_mlog_count(log), 2);
	rec = attest_mlog_record(log, 1);
	ck_assert_int_eq(rec->kind, ATTEST_RECORD_EVENT);
	ck_assert_str_eq(rec->event_type, "launch");
	ck_assert_str_eq(rec->path, "domain web1 allowed");
	ck_assert_uint_eq(rec->size, 5);

	ck_assert_int_eq(attest_measure_event(ctx, state, 15, "Bad Type", "x", "", 0, NULL), -EINVAL);
	ck_assert_int_eq(attest_measure_event(ctx, state, 15, "launch", "", "", 0, NULL), -EINVAL);
}
END_TEST

static const char *const bad_logs[] = {
	"{\"recnum\":0}",                                                   /* no newline: torn */
	"not json\n",
	"[]\n",
	"{\"recnum\":0,\"pcr\":15,\"digests\":[],\"content_type\":\"vmtrust_file\",\"content\":{\"path\":\"/a\",\"size\":1,\"digests\":{}}}\n",
	"{\"recnum\":0,\"pcr\":99,\"digests\":[],\"content_type\":\"vmtrust_file\",\"content\":{}}\n",
	"{\"recnum\":0,\"pcr\":15,\"digests\":[{\"hashAlg\":\"md5\",\"digest\":\"00\"}],\"content_type\":\"vmtrust_file\",\"content\":{\"path\":\"/a\",\"size\":1,\"digests\":{\"md5\":\"00\"}}}\n",
	"{\"recnum\":0,\"pcr\":15,\"digests\":[],\"content_type\":\"other\",\"content\":{}}\n",
	"{\"recnum\":0,\"pcr\":15,\"extra\":1}\n",
};

START_TEST(test_parse_bad)
{
	struct attest_mlog *log = NULL;

	n_errors = 0;
	ck_assert_int_eq(attest_mlog_parse("t", bad_logs[_i], strlen(bad_logs[_i]), &log), -EBADMSG);
	ck_assert_ptr_null(log);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_ptr_nonnull(strstr(last_error, "measurement log 't': record on line 1"));
}
END_TEST

/* A record as attest_record_to_json writes it: path escapes decoded, and
 * the reader of one strict pass refuses what the format does not hold, at
 * any depth. */
static char *record_text(const char *path)
{
	struct attest_record rec = { .recnum = 0, .pcr = 15, .path = (char *)path, .size = 5,
				     .n_digests = 2 };
	static const char *const banks[] = { "sha256", "sha384" };
	json_object *o;
	char *text;
	unsigned l;

	for (size_t k = 0; k < 2; k++) {
		rec.file_digests[k].alg = vt_hash_alg_by_name(banks[k]);
		EVP_Digest("hello", 5, rec.file_digests[k].value, &l,
			   EVP_get_digestbyname(rec.file_digests[k].alg->ossl), NULL);
		ck_assert_int_eq(attest_record_event_digest(path, 5, &rec.file_digests[k], &rec.digests[k]), 0);
	}
	ck_assert_int_eq(attest_record_to_json(&rec, &o), 0);
	ck_assert_int_ge(asprintf(&text, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)), 0);
	json_object_put(o);
	return text;
}

START_TEST(test_parse_strict)
{
	static const char path[] = "/opt/a\"b\\c/\xc3\xa9\tx";
	_cleanup_(freep) char *good = record_text(path), *esc = NULL, *bad = NULL;
	struct attest_mlog *log = NULL;
	const struct attest_record *rec;
	static const struct {
		const char *from, *to, *fault;
	} bad_edits[] = {
		{ "\"size\":5", "\"size\":5,\"size\":5", "content.size: duplicate key" },
		{ "{\"hashAlg\"", "{\"hashAlg\":\"sha1\",\"hashAlg\"", "digests[0].hashAlg: duplicate key" },
		{ "\"pcr\":15", "\"pcr\":15,\"p\\u0063r\":15", "$.pcr: duplicate key" },
		{ "{\"hashAlg\"", "{\"x\":1,\"hashAlg\"", "digests[0] is not a known hashAlg and digest" },
		{ "\"recnum\":0", "\"recnum\":0.0", "recnum is not 0" },
		{ "\"recnum\":0", "\"recnum\":\"0\"", "recnum is not 0" },
		{ "\"size\":5", "\"size\":5,\"type\":\"x\"", "content is missing or has unknown keys" },
		{ "\"size\":5", "\"size\":-5", "content.size is missing or negative" },
		{ "\"content_type\":\"vmtrust_file\"", "\"content_type\":\"vmtrust_event\"",
		  "content is missing or has unknown keys" },
		{ "\"digests\":[", "\"digests\":[1,", "3 digests: expected one per bank" },
		{ "\"hashAlg\":\"sha256\"", "\"hashAlg\":{\"sha256\":1}", "digests[0] is not a known hashAlg" },
		{ "\"recnum\":0", "\"recnum\":0,\"x\":[{\"a\":1,\"a\":2}]", "$.x[0].a: duplicate key" },
		{ "\"path\":\"", "\"path\":\"\\u0000", "string contains a NUL character" },
		{ "\"path\":\"", "\"path\":\"\xc0\xaf", "invalid UTF-8" },
	};

	ck_assert_int_eq(attest_mlog_parse("t", good, strlen(good), &log), 0);
	rec = attest_mlog_record(log, 0);
	ck_assert_str_eq(rec->path, path);
	ck_assert_uint_eq(rec->n_digests, 2);
	ck_assert_uint_eq(rec->size, 5);
	attest_mlog_free(log);
	log = NULL;
	/* a slash written as another escape is the same path */
	esc = fx_replace(good, "\"path\":\"\\/", "\"path\":\"\\u002f");
	ck_assert_int_eq(attest_mlog_parse("t", esc, strlen(esc), &log), 0);
	ck_assert_str_eq(attest_mlog_record(log, 0)->path, path);
	attest_mlog_free(log);
	log = NULL;

	for (size_t i = 0; i < ELEMENTSOF(bad_edits); i++) {
		free(bad);
		bad = fx_replace(good, bad_edits[i].from, bad_edits[i].to);
		n_errors = 0;
		ck_assert_int_eq(attest_mlog_parse("t", bad, strlen(bad), &log), -EBADMSG);
		ck_assert_ptr_null(log);
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_msg(strstr(last_error, "measurement log 't': record on line 1: ") &&
			      strstr(last_error, bad_edits[i].fault), "edit %zu: %s", i, last_error);
	}
}
END_TEST

int main(void)
{
	const struct fx_tcase cases[] = {
		{ "measure", setup, teardown, 120, { FX_T(test_measure_replays), FX_T(test_bad_inputs),
			 FX_LOOP(test_tampered_log, 3), FX_T(test_pending_record_completed),
			 FX_T(test_pending_record_missing_a_bank), FX_T(test_added_record_refused),
			 FX_T(test_foreign_extend_refused), FX_T(test_concurrent),
			 FX_T(test_tpm_reset_starts_new_log), FX_T(test_tpm_gone), FX_T(test_event_record) } },
		{ "parse", setup, teardown, 0, { FX_LOOP(test_parse_bad, ELEMENTSOF(bad_logs)),
			 FX_T(test_parse_strict) } },
	};

	return fx_run(fx_suite("measure", cases, ELEMENTSOF(cases)));
}
