/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The suites' shared fixtures that fail a Check test: the replay check, the
 * file writer and the suites as tables (see fixture.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fixture.h"
#include "policy.h"
#include "swtpm-fixture.h"

void fx_check_replay(const struct fx_buf *b, const struct policy_pcr_value *values, size_t n)
{
	size_t at = 0;

	for (size_t k = 0; k < b->n_banks; k++)
		for (unsigned pcr = 0; pcr < FX_PCRS; pcr++) {
			if (!(b->extended[k] & (1u << pcr)))
				continue;
			ck_assert_uint_lt(at, n);
			ck_assert_ptr_nonnull(values[at].alg);
			ck_assert_uint_eq(values[at].alg->tpm_alg, b->banks[k].id);
			ck_assert_uint_eq(values[at].pcr, pcr);
			ck_assert_mem_eq(values[at].value, b->pcr[k][pcr], b->banks[k].size);
			at++;
		}
	ck_assert_uint_eq(n, at);
}

/* ---- files ----------------------------------------------------------------------------- */

void fx_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const uint8_t *p = data;
	int fd;

	if (unlink(path) < 0 && errno != ENOENT)
		ck_abort_msg("cannot replace '%s': %s", path, strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		ck_abort_msg("cannot create '%s': %s", path, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ck_abort_msg("cannot write '%s': %s", path, w < 0 ? strerror(errno) : "short write");
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		ck_abort_msg("cannot finish '%s': %s", path, strerror(errno));
}

void fx_write_text(const char *path, const char *text, mode_t mode)
{
	fx_write_file(path, text, strlen(text), mode);
}

/* ---- text ------------------------------------------------------------------------------ */

char *fx_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	ck_assert_msg(at != NULL, "'%s' is not in '%s'", from, s);
	ck_assert_int_ge(asprintf(&out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)), 0);
	return out;
}

/* ---- keys ------------------------------------------------------------------------------ */

static void write_pem(const char *path, EVP_PKEY *k, bool private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	ck_assert_ptr_nonnull(bio);
	if (private)
		ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	else
		ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, k), 1);
	len = BIO_get_mem_data(bio, &data);
	ck_assert_int_gt(len, 0);
	fx_write_file(path, data, (size_t)len, 0644);
	BIO_free(bio);
}

EVP_PKEY *fx_key_pem(const char *spec, const char *priv, const char *pub)
{
	EVP_PKEY *k = NULL;

	if (strcmp(spec, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(spec, "p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(spec, "p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(spec, "rsa2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(spec, "rsa3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		ck_abort_msg("fx_key_pem: no key spec '%s'", spec);
	ck_assert_ptr_nonnull(k);
	write_pem(priv, k, true);
	if (pub)
		write_pem(pub, k, false);
	return k;
}

/* ---- suites ------------------------------------------------------------------------------ */

Suite *fx_suite(const char *name, const struct fx_tcase *cases, size_t n)
{
	Suite *s = suite_create(name);

	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create(cases[i].name);

		if (cases[i].timeout > 0)
			tcase_set_timeout(tc, cases[i].timeout);
		if (cases[i].setup || cases[i].teardown)
			tcase_add_checked_fixture(tc, cases[i].setup, cases[i].teardown);
		for (size_t t = 0; t < FX_TESTS_MAX && cases[i].tests[t].test; t++) {
			if (cases[i].tests[t].loops > 0)
				tcase_add_loop_test(tc, cases[i].tests[t].test, 0, cases[i].tests[t].loops);
			else
				tcase_add_test(tc, cases[i].tests[t].test);
		}
		suite_add_tcase(s, tc);
	}
	return s;
}

int fx_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int fx_run_scratch(Suite *s, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char scratch[PATH_MAX];
	int r;

	snprintf(scratch, sizeof(scratch), "%s/vmtrust-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(scratch) || setenv("TMPDIR", scratch, 1) < 0) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", name, scratch, strerror(errno));
		return EXIT_FAILURE;
	}
	r = fx_run(s);
	swtpm_fixture_rm_rf(scratch);
	return r;
}
