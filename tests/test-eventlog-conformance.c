/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* attest/eventlog.c on the real logs of $VMTRUST_SHARED/conformance/eventlogs:
 * the replay of every *.bin equals expected-pcrs.json, bank by bank and PCR
 * by PCR, with no PCR more; every truncation of each log parses cleanly at
 * an event boundary or fails with -EBADMSG; Secure Boot state; the digest
 * check flags only the event known to be wrong. Skips (77) with a message
 * when the set is not there. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "attest.h"
#include "test-log.h"

static char dir[4096];
static void setup(void)
{
	test_log_capture();
}

static char *read_log(const char *name, size_t *ret_len)
{
	char path[8192], *data = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(vt_read_file(path, ATTEST_EVENTLOG_SIZE_MAX, &data, ret_len) == 0,
		      "cannot read %s: %s", path, last_error);
	return data;
}

static struct attest_eventlog *parse_log(const char *name)
{
	struct attest_eventlog *log = NULL;
	size_t len;
	char *data = read_log(name, &len);

	ck_assert_msg(attest_eventlog_parse(name, (const uint8_t *)data, len, &log) == 0,
		      "%s: %s", name, last_error);
	free(data);
	return log;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.bin files of the set, sorted; NULL-terminated. */
static char **list_logs(size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".bin") != 0)
			continue;
		names = realloc(names, (n + 2) * sizeof(*names));
		ck_assert_ptr_nonnull(names);
		names[n++] = strdup(de->d_name);
		names[n] = NULL;
	}
	closedir(d);
	ck_assert_uint_gt(n, 0);
	qsort(names, n, sizeof(*names), cmp_names);
	*ret_n = n;
	return names;
}

static void free_names(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

START_TEST(test_replay_equals_expected)
{
	char path[8192];
	struct json_object *expected;
	size_t n_logs, n_checked = 0;
	char **names = list_logs(&n_logs);

	snprintf(path, sizeof(path), "%s/expected-pcrs.json", dir);
	expected = json_object_from_file(path);
	ck_assert_msg(expected != NULL, "cannot parse %s", path);
	ck_assert_uint_eq((size_t)json_object_object_length(expected), n_logs);

	for (size_t i = 0; i < n_logs; i++) {
		struct attest_eventlog *log = parse_log(names[i]);
		struct policy_pcr_value *values = NULL;
		struct json_object *banks;
		size_t n_values, n_expected = 0;

		ck_assert_msg(json_object_object_get_ex(expected, names[i], &banks),
			      "%s has no expected values", names[i]);
		ck_assert_int_eq(attest_eventlog_replay(log, &values, &n_values), 0);

		json_object_object_foreach(banks, bank, pcrs) {
			const struct vt_hash_alg *alg = vt_hash_alg_by_name(bank);

			ck_assert_msg(alg, "%s: unknown bank %s", names[i], bank);
			json_object_object_foreach(pcrs, pcr, hex) {
				uint8_t want[VT_DIGEST_MAX];
				bool found = false;

				ck_assert_int_eq(vt_hex_decode(json_object_get_string(hex), want, alg->size), 0);
				for (size_t v = 0; v < n_values; v++) {
					if (values[v].alg != alg || values[v].pcr != (unsigned)atoi(pcr))
						continue;
					ck_assert_msg(memcmp(values[v].value, want, alg->size) == 0,
						      "%s: %s pcr %s differs", names[i], bank, pcr);
					found = true;
				}
				ck_assert_msg(found, "%s: %s pcr %s not replayed", names[i], bank, pcr);
				n_expected++;
			}
		}
		ck_assert_msg(n_values == n_expected, "%s: %zu PCR values, %zu expected", names[i],
			      n_values, n_expected);
		for (size_t v = 1; v < n_values; v++)
			ck_assert(values[v - 1].alg->tpm_alg < values[v].alg->tpm_alg ||
				  (values[v - 1].alg == values[v].alg && values[v - 1].pcr < values[v].pcr));
		n_checked++;
		free(values);
		attest_eventlog_free(log);
	}
	ck_assert_uint_eq(n_checked, n_logs);
	json_object_put(expected);
	free_names(names);
}
END_TEST

START_TEST(test_every_truncation)
{
	size_t n_logs;
	char **names = list_logs(&n_logs);

	for (size_t i = 0; i < n_logs; i++) {
		struct attest_eventlog *full = parse_log(names[i]);
		const struct attest_event *ev;
		size_t len, n_full, next = 0, boundary = 0, n_whole = 0;
		char *data = read_log(names[i], &len);

		ev = attest_eventlog_events(full, &n_full);
		for (size_t cut = 1; cut < len; cut++) {
			struct attest_eventlog *log = NULL;
			uint8_t *copy = malloc(cut);
			int r;

			/* an exact-size heap copy: ASan sees any read past the cut */
			memcpy(copy, data, cut);
			while (next < n_full && ev[next].offset + ev[next].size <= cut) {
				boundary = ev[next].offset + ev[next].size;
				n_whole = ++next;
			}
			n_errors = 0;
			r = attest_eventlog_parse(names[i], copy, cut, &log);
			if (cut == boundary) {
				size_t n_got;

				ck_assert_msg(r == 0, "%s cut at %zu (boundary): %s", names[i], cut, last_error);
				attest_eventlog_events(log, &n_got);
				ck_assert_uint_eq(n_got, n_whole);
			} else {
				ck_assert_msg(r == -EBADMSG, "%s cut at %zu gave %d", names[i], cut, r);
				ck_assert_uint_eq(n_errors, 1);
				ck_assert_msg(strstr(last_error, " at byte "), "%s", last_error);
			}
			attest_eventlog_free(log);
			free(copy);
		}
		free(data);
		attest_eventlog_free(full);
	}
	free_names(names);
}
END_TEST

START_TEST(test_secure_boot)
{
	struct attest_eventlog *log;

	/* SecureBoot=1, but PCR 7 is never closed by a separator: what
	 * follows could be anyone's, so the log proves no state */
	log = parse_log("event-uefivar.bin");
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -ENOENT);
	attest_eventlog_free(log);

	/* shim's EV_EFI_VARIABLE_AUTHORITY events after the separator */
	log = parse_log("event-moklisttrusted.bin");
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 1);
	attest_eventlog_free(log);

	/* SecureBoot measured empty: off */
	log = parse_log("event-sd-boot-fedora37.bin");
	ck_assert_int_eq(attest_eventlog_secure_boot(log), 0);
	attest_eventlog_free(log);

	log = parse_log("event.bin");
	ck_assert_int_eq(attest_eventlog_secure_boot(log), -ENOENT);
	attest_eventlog_free(log);
}
END_TEST

START_TEST(test_digest_checks)
{
	size_t n_logs;
	char **names = list_logs(&n_logs);

	for (size_t i = 0; i < n_logs; i++) {
		struct attest_eventlog *log = parse_log(names[i]);
		const struct attest_event *ev;
		size_t n;
		bool arch = strcmp(names[i], "event-arch-linux.bin") == 0;

		ev = attest_eventlog_events(log, &n);
		ck_assert_msg(attest_eventlog_n_mismatches(log) == (arch ? 1 : 0), "%s: %zu mismatches",
			      names[i], attest_eventlog_n_mismatches(log));
		if (arch) {
			ck_assert(ev[24].digest_mismatch);
			ck_assert_uint_eq(ev[24].type, ATTEST_EV_IPL);
		}
		attest_eventlog_free(log);
	}
	free_names(names);
}
END_TEST

START_TEST(test_formats)
{
	struct attest_eventlog *log;
	const struct attest_eventlog_alg *algs;
	size_t n;

	log = parse_log("event-uefi-sha1-log.bin");
	ck_assert(!attest_eventlog_is_crypto_agile(log));
	algs = attest_eventlog_algs(log, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(algs[0].alg_id, 0x0004);
	attest_eventlog_free(log);

	log = parse_log("event.bin");
	ck_assert(attest_eventlog_is_crypto_agile(log));
	attest_eventlog_algs(log, &n);
	ck_assert_uint_eq(n, 4);
	attest_eventlog_free(log);

	/* every event of every log describes itself */
	size_t n_logs;
	char **names = list_logs(&n_logs);

	for (size_t i = 0; i < n_logs; i++) {
		const struct attest_event *ev;

		log = parse_log(names[i]);
		ev = attest_eventlog_events(log, &n);
		for (size_t j = 0; j < n; j++) {
			struct json_object *o = NULL;

			ck_assert_int_eq(attest_event_to_json(&ev[j], &o), 0);
			json_object_put(o);
		}
		attest_eventlog_free(log);
	}
	free_names(names);
}
END_TEST

int main(void)
{
	const char *shared = getenv("VMTRUST_SHARED");
	const struct fx_tcase cases[] = {
		{ "real-logs", setup, NULL, 0, { FX_T(test_replay_equals_expected),
			 FX_T(test_secure_boot), FX_T(test_digest_checks), FX_T(test_formats) } },
		/* ~150000 parses; seconds under ASan */
		{ "truncation", setup, NULL, 300, { FX_T(test_every_truncation) } },
	};
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/conformance/eventlogs", shared ? shared : "../shared");
	d = opendir(dir);
	if (!d) {
		printf("skipping conformance logs: %s not found\n", dir);
		return 77;
	}
	closedir(d);
	return fx_run(fx_suite("eventlog-conformance", cases, ELEMENTSOF(cases)));
}
