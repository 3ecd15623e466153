/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust attest enroll | enroll-challenge | enroll-response | enroll-verify
 *
 * The host makes an EK and an AK (enroll); the verifier, without a TPM,
 * seals a random secret to the AK's name in the TPM of the EK (challenge);
 * the host's TPM opens it only if the AK lives there (response); the
 * verifier compares (verify) and takes the AK's public key into its policy.
 *
 * Files: a challenge is JSON {"vmtrust_enroll_challenge": 1, "ek_public",
 * "ak_name", "ak_public" (optional), "credential_blob", "encrypted_secret"
 * (base64 TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET), "secret_sha256"};
 * the secret itself never reaches the verifier's disk. A response is
 * {"vmtrust_enroll_response": 1, "ak_name", "ak_public", "secret"}.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"

#define ENROLL_FILE_MAX (64 * 1024)
#define SECRET_SIZE 32


static const char *const state_files[] = {
	VT_STATE_AK_PUB, VT_STATE_AK_PRIV, VT_STATE_AK_PEM,
	VT_STATE_AK_NAME, VT_STATE_EK_PUB, VT_STATE_EK_PEM,
};

/* ---- small helpers ------------------------------------------------------- */

static json_object *json_base64(const uint8_t *data, size_t len)
{
	_cleanup_(freep) char *b = NULL;

	if (vt_base64_encode(data, len, &b) < 0)
		return NULL;
	return json_object_new_string(b);
}

static json_object *json_hex(const uint8_t *data, size_t len)
{
	_cleanup_(freep) char *h = malloc(2 * len + 1);

	if (!h)
		return NULL;
	vt_hex_encode(data, len, h);
	return json_object_new_string(h);
}

/* Adds key: value to o, consuming value; false when out of memory. */
static bool add(json_object *o, const char *key, json_object *value)
{
	if (!value || json_object_object_add(o, key, value) < 0) {
		json_object_put(value);
		return false;
	}
	return true;
}

static int file_fault(const char *path, const char *field, const char *what)
{
	return vt_log_errno(EBADMSG, "'%s': %s: %s", path, field, what);
}

/* A response holds a one-time secret: its text is wiped before it is freed. */
static void erase_freep(char **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
	}
}

/* Wipes the string value of key in o (the secret of a parsed response). */
static void erase_member(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		OPENSSL_cleanse((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* A JSON object file of at most ENROLL_FILE_MAX bytes whose version key is 1. */
static int load_json(const char *path, const char *version_key, json_object **ret)
{
	_cleanup_(erase_freep) char *data = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	struct vt_json_error jerr;
	json_object *v;
	size_t len;
	int r;

	r = vt_read_file(path, ENROLL_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	r = vt_json_parse(data, len, 32, &o, &jerr);
	if (r < 0)
		return r == -EBADMSG ? file_fault(path, jerr.path.buf, jerr.reason) : r;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, version_key, &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
		return file_fault(path, version_key, "missing, or not version 1: not the right kind of file");
	*ret = TAKE_PTR(o);
	return 0;
}

/* A base64 member of at most max bytes. */
static int get_base64(const char *path, json_object *o, const char *key, bool required,
		      uint8_t *out, size_t max, size_t *ret_len)
{
	_cleanup_(freep) uint8_t *buf = NULL;
	json_object *v;
	size_t len, n;
	int r;

	if (!json_object_object_get_ex(o, key, &v)) {
		*ret_len = 0;
		return required ? file_fault(path, key, "missing") : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return file_fault(path, key, "not a base64 string");
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len % 4 || len / 4 * 3 > max + 2)
		return file_fault(path, key, "not base64, or too large");
	r = vt_base64_decode(json_object_get_string(v), len, max, &buf, &n);
	if (r == -EBADMSG)
		return file_fault(path, key, "not base64");
	if (r == -EFBIG)
		return file_fault(path, key, "too large");
	if (r < 0)
		return r;
	memcpy(out, buf, n);
	*ret_len = n;
	return 0;
}

/* A hex member of 1 to max bytes (exactly max when exact). */
static int get_hex(const char *path, json_object *o, const char *key, uint8_t *out, size_t max,
		   bool exact, size_t *ret_len)
{
	json_object *v;
	size_t len;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return file_fault(path, key, "missing, or not a hex string");
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len % 2 || len / 2 > max || (exact && len / 2 != max) ||
	    vt_hex_decode(json_object_get_string(v), out, len / 2) < 0)
		return file_fault(path, key, "not a hex string of the right size");
	*ret_len = len / 2;
	return 0;
}

static int parse_alg(const char *area, const struct cli_verb *verb, const char *opt,
		     const char *arg, enum attest_key_alg *ret)
{
	if (attest_key_alg_from_string(arg, ret) < 0)
		return cli_usage_error(area, verb, "%s '%s': expected rsa or ecc", opt, arg);
	return 0;
}

int cmd_attest_parse_ak_name(const char *hex, uint8_t ret_name[ATTEST_NAME_MAX], size_t *ret_len)
{
	size_t hl = strlen(hex);

	if (hl < 4 || hl % 2 || hl / 2 > ATTEST_NAME_MAX || vt_hex_decode(hex, ret_name, hl / 2) < 0)
		return -EINVAL;
	*ret_len = hl / 2;
	return 0;
}

/* ---- enroll ----------------------------------------------------------------- */

int cmd_attest_enroll(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ak-alg", required_argument, NULL, 'a' },
		{ "ek-alg", required_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "enroll");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":", opts, NULL);
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	enum attest_key_alg ak_alg = ATTEST_KEY_ECC, ek_alg = ATTEST_KEY_RSA;
	uint8_t name[ATTEST_NAME_MAX];
	char hex[2 * ATTEST_NAME_MAX + 1];
	size_t name_len;
	bool force = false;
	_cleanup_close_ int tpm_lock = -1;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		if (c == 'f')
			force = true;
		else if (parse_alg("attest", verb, c == 'a' ? "--ak-alg" : "--ek-alg", optarg,
				   c == 'a' ? &ak_alg : &ek_alg) != 0)
			return CLI_EXIT_BAD_INPUT;
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = cli_args_at_most(&opt, 0);
	if (r)
		return r;

	r = cli_open_tpm(ctx, &tpm_lock, "cannot serialize tpm use", &tpm);
	if (r)
		return r;
	r = attest_enroll(tpm, ctx->state_dir, ek_alg, ak_alg, force, name, &name_len);
	if (r < 0)
		return cli_fail(r, "cannot enroll");
	vt_hex_encode(name, name_len, hex);

	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();
		json_object *files = json_object_new_object();
		bool ok = o && add(o, "files", files) && add(o, "ak_name", json_object_new_string(hex)) &&
			  add(o, "ak_alg", json_object_new_string(attest_key_alg_to_string(ak_alg))) &&
			  add(o, "ek_alg", json_object_new_string(attest_key_alg_to_string(ek_alg))) &&
			  add(o, "state_dir", json_object_new_string(ctx->state_dir));

		for (size_t i = 0; ok && i < ELEMENTSOF(state_files); i++) {
			_cleanup_(freep) char *path = NULL;

			ok = vt_state_path(ctx->state_dir, state_files[i], &path) >= 0 &&
			     add(files, state_files[i], json_object_new_string(path));
		}
		if (!ok)
			return cli_fail(-ENOMEM, "cannot format the result");
		cli_print_json(o);
	} else {
		printf("ak name: %s\n", hex);
		printf("ak public key: %s/%s (add it to the policy's attestation_keys once enrolled)\n",
		       ctx->state_dir, VT_STATE_AK_PEM);
		printf("files in %s:", ctx->state_dir);
		for (size_t i = 0; i < ELEMENTSOF(state_files); i++)
			printf(" %s", state_files[i]);
		printf("\n");
	}
	return cli_flush_stdout();
}

/* ---- enroll-challenge (verifier, no TPM) ------------------------------------- */

static int read_ek(const char *path, uint8_t **ret, size_t *ret_len)
{
	_cleanup_(freep) char *data = NULL;
	size_t len;
	int r;

	r = vt_read_file(path, ENROLL_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	if (memmem(data, len, "-----BEGIN ", 11))
		return attest_ek_public_from_pem(data, len, ret, ret_len);
	/* Else a TPM2B_PUBLIC, which attest_make_credential() checks. */
	*ret = (uint8_t *)TAKE_PTR(data);
	*ret_len = len;
	return 0;
}

int cmd_attest_enroll_challenge(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ek", required_argument, NULL, 'e' },
		{ "ak-name", required_argument, NULL, 'n' },
		{ "ak", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "enroll-challenge");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":o:", opts, NULL);
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_(freep) uint8_t *ek = NULL;
	_cleanup_(freep) char *ak_data = NULL;
	const char *ek_path = NULL, *name_hex = NULL, *ak_path = NULL, *out = NULL;
	struct attest_credential cred;
	uint8_t name[ATTEST_NAME_MAX], secret[SECRET_SIZE], digest[32];
	size_t ek_len = 0, name_len = 0, ak_len = 0;
	unsigned md_len = 0;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'e': ek_path = optarg; break;
		case 'n': name_hex = optarg; break;
		case 'a': ak_path = optarg; break;
		case 'o': out = optarg; break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = cli_args_at_most(&opt, 0);
	if (r)
		return r;
	if (!ek_path || !out)
		return cli_usage_error("attest", verb, "--ek and -o are required");
	if (!!name_hex == !!ak_path)
		return cli_usage_error("attest", verb, "give either --ak-name or --ak");
	if (name_hex && cmd_attest_parse_ak_name(name_hex, name, &name_len) < 0)
		return cli_usage_error("attest", verb, "--ak-name '%s' is not a hex name", name_hex);

	r = read_ek(ek_path, &ek, &ek_len);
	if (r < 0)
		return cli_fail(r, "cannot read ek '%s'", ek_path);
	if (ak_path) {
		r = vt_read_file(ak_path, ATTEST_PUBLIC_MAX, &ak_data, &ak_len);
		if (r < 0)
			return cli_fail(r, "cannot read ak '%s'", ak_path);
		r = attest_ak_public_check((const uint8_t *)ak_data, ak_len);
		if (r < 0)
			return cli_fail(r, "ak '%s' cannot be enrolled", ak_path);
		r = attest_public_name((const uint8_t *)ak_data, ak_len, name, &name_len);
		if (r < 0)
			return cli_fail(r, "cannot compute the name of ak '%s'", ak_path);
	}

	if (RAND_bytes(secret, sizeof(secret)) != 1)
		return cli_fail(-EIO, "cannot get random bytes");
	r = attest_make_credential(ek, ek_len, name, name_len, secret, sizeof(secret), &cred);
	if (r >= 0 && (EVP_Digest(secret, sizeof(secret), digest, &md_len, EVP_sha256(), NULL) != 1 ||
		       md_len != sizeof(digest)))
		r = -EIO;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r < 0)
		return cli_fail(r, "cannot make the challenge");

	o = json_object_new_object();
	if (!o || !add(o, "vmtrust_enroll_challenge", json_object_new_int(1)) ||
	    !add(o, "ek_public", json_base64(ek, ek_len)) || !add(o, "ak_name", json_hex(name, name_len)) ||
	    (ak_data && !add(o, "ak_public", json_base64((const uint8_t *)ak_data, ak_len))) ||
	    !add(o, "credential_blob", json_base64(cred.blob, cred.blob_len)) ||
	    !add(o, "encrypted_secret", json_base64(cred.secret, cred.secret_len)) ||
	    !add(o, "secret_sha256", json_hex(digest, sizeof(digest))))
		return cli_fail(-ENOMEM, "cannot format the challenge");
	{
		_cleanup_(freep) char *text = NULL;

		if (asprintf(&text, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
			return cli_fail(-ENOMEM, "cannot format the challenge");
		r = cli_write_output(out, text, 0644, "challenge");
		if (r)
			return r;
	}
	if (strcmp(out, "-") != 0 && ctx->verbosity >= 0) {
		char hex[2 * ATTEST_NAME_MAX + 1];

		vt_hex_encode(name, name_len, hex);
		fprintf(stderr, "vmtrust: challenge for ak %s written to '%s': the host answers it with "
			"'vmtrust attest enroll-response'\n", hex, out);
	}
	return CLI_EXIT_OK;
}

/* ---- enroll-response (host, TPM) --------------------------------------------- */

static int read_state(const char *dir, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = vt_state_path(dir, name, &path);
	if (r < 0)
		return r;
	return vt_read_file(path, ATTEST_PUBLIC_MAX, ret, ret_len);
}

int cmd_attest_enroll_response(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "enroll-response");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":o:", opts, NULL);
	_cleanup_(json_object_putp) json_object *chal = NULL, *o = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(freep) char *ak_pub = NULL;
	uint8_t ak_name[ATTEST_NAME_MAX];
	struct attest_credential cred = { 0 };
	uint8_t secret[ATTEST_CREDENTIAL_MAX];
	char secret_hex[2 * ATTEST_CREDENTIAL_MAX + 1];
	const char *in, *out = NULL;
	json_object *secret_obj = NULL;
	size_t secret_len = 0, ak_pub_len = 0, ak_name_len = 0;
	char *text = NULL;
	_cleanup_close_ int tpm_lock = -1;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		out = optarg;   /* -o, the only option */
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (argc - optind != 1 || !out)
		return cli_usage_error("attest", verb, "expected one CHALLENGE and -o RESPONSE");
	in = argv[optind];

	r = load_json(in, "vmtrust_enroll_challenge", &chal);
	if (r < 0)
		return cli_fail(r, "cannot read challenge '%s'", in);
	r = get_base64(in, chal, "credential_blob", true, cred.blob, sizeof(cred.blob), &cred.blob_len);
	if (r >= 0)
		r = get_base64(in, chal, "encrypted_secret", true, cred.secret, sizeof(cred.secret),
			       &cred.secret_len);
	if (r < 0)
		return cli_fail(r, "cannot read challenge '%s'", in);

	r = cli_open_tpm(ctx, &tpm_lock, "cannot serialize tpm use", &tpm);
	if (r)
		return r;
	r = attest_activate_credential(tpm, ctx->state_dir, &cred, secret, &secret_len);
	if (r < 0)
		return cli_fail(r, "cannot answer challenge '%s'", in);
	r = read_state(ctx->state_dir, VT_STATE_AK_PUB, &ak_pub, &ak_pub_len);
	if (r >= 0)
		r = attest_public_name((const uint8_t *)ak_pub, ak_pub_len, ak_name, &ak_name_len);
	if (r < 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return cli_fail(r, "cannot read the attestation key in '%s'", ctx->state_dir);
	}

	vt_hex_encode(secret, secret_len, secret_hex);
	OPENSSL_cleanse(secret, sizeof(secret));
	o = json_object_new_object();
	secret_obj = json_object_new_string(secret_hex);
	OPENSSL_cleanse(secret_hex, sizeof(secret_hex));
	if (!o || !add(o, "vmtrust_enroll_response", json_object_new_int(1)) ||
	    !add(o, "ak_name", json_hex(ak_name, ak_name_len)) ||
	    !add(o, "ak_public", json_base64((const uint8_t *)ak_pub, ak_pub_len)) || !secret_obj) {
		json_object_put(secret_obj);
		return cli_fail(-ENOMEM, "cannot format the response");
	}
	json_object_get(secret_obj);
	if (!add(o, "secret", secret_obj)) {
		json_object_put(secret_obj);
		return cli_fail(-ENOMEM, "cannot format the response");
	}
	{
		const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

		if (!s || asprintf(&text, "%s\n", s) < 0)
			text = NULL;
		/* The one-time secret: wiped wherever this process held it. */
		if (s)
			OPENSSL_cleanse((char *)s, strlen(s));
	}
	OPENSSL_cleanse((char *)json_object_get_string(secret_obj),
			(size_t)json_object_get_string_len(secret_obj));
	json_object_put(secret_obj);
	if (!text)
		return cli_fail(-ENOMEM, "cannot format the response");
	r = cli_write_output(out, text, 0600, "response");
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (r)
		return r;
	if (strcmp(out, "-") != 0 && ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: challenge answered: response written to '%s': the verifier "
			"checks it with 'vmtrust attest enroll-verify'\n", out);
	return CLI_EXIT_OK;
}

/* ---- enroll-verify (verifier, no TPM) ------------------------------------------ */

int cmd_attest_enrollment_check(const char *chal_path, const char *resp_path,
				uint8_t ret_name[ATTEST_NAME_MAX], size_t *ret_name_len, char **ret_pem)
{
	_cleanup_(json_object_putp) json_object *chal = NULL, *resp = NULL;
	uint8_t name[ATTEST_NAME_MAX], digest[32], secret[ATTEST_CREDENTIAL_MAX];
	uint8_t ak[ATTEST_PUBLIC_MAX], chal_ak[ATTEST_PUBLIC_MAX];
	size_t name_len, digest_len, secret_len = 0, ak_len, chal_ak_len;
	char *pem = NULL;
	int r;

	r = load_json(chal_path, "vmtrust_enroll_challenge", &chal);
	if (r >= 0)
		r = get_hex(chal_path, chal, "ak_name", name, sizeof(name), false, &name_len);
	if (r >= 0)
		r = get_hex(chal_path, chal, "secret_sha256", digest, sizeof(digest), true, &digest_len);
	if (r >= 0)
		r = get_base64(chal_path, chal, "ak_public", false, chal_ak, sizeof(chal_ak), &chal_ak_len);
	if (r < 0) {
		cli_fail(r, "cannot read challenge '%s'", chal_path);
		return r;
	}
	r = load_json(resp_path, "vmtrust_enroll_response", &resp);
	if (r >= 0)
		r = get_base64(resp_path, resp, "ak_public", true, ak, sizeof(ak), &ak_len);
	if (r >= 0)
		r = get_hex(resp_path, resp, "secret", secret, sizeof(secret), false, &secret_len);
	erase_member(resp, "secret");
	if (r < 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		cli_fail(r, "cannot read response '%s'", resp_path);
		return r;
	}
	if (chal_ak_len && (chal_ak_len != ak_len || memcmp(chal_ak, ak, ak_len) != 0)) {
		OPENSSL_cleanse(secret, sizeof(secret));
		r = vt_log_errno(EKEYREJECTED, "enrollment failed: response '%s' names another "
						   "attestation key than challenge '%s'",
				     resp_path, chal_path);
		cli_fail(r, "enrollment failed");
		return r;
	}
	r = attest_enroll_check(name, name_len, digest, secret, secret_len, ak, ak_len);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r < 0) {
		cli_fail(r, "enrollment failed");
		return r;
	}
	r = attest_public_to_pem(ak, ak_len, &pem);
	if (r < 0) {
		cli_fail(r, "cannot convert the attestation key to PEM");
		return r;
	}
	memcpy(ret_name, name, name_len);
	*ret_name_len = name_len;
	*ret_pem = pem;
	return 0;
}

int cmd_attest_enroll_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "print-ak", no_argument, NULL, 'p' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "enroll-verify");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":", opts, NULL);
	_cleanup_(freep) char *pem = NULL;
	uint8_t name[ATTEST_NAME_MAX];
	char hex[2 * ATTEST_NAME_MAX + 1];
	size_t name_len;
	const char *chal_path, *resp_path;
	bool print_ak = false;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		print_ak = true;   /* --print-ak, the only option */
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (argc - optind != 2)
		return cli_usage_error("attest", verb, "expected CHALLENGE and RESPONSE");
	chal_path = argv[optind];
	resp_path = argv[optind + 1];

	r = cmd_attest_enrollment_check(chal_path, resp_path, name, &name_len, &pem);
	if (r < 0)
		return cli_exit_code(r);
	vt_hex_encode(name, name_len, hex);

	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();

		if (!o || !add(o, "verified", json_object_new_boolean(1)) ||
		    !add(o, "ak_name", json_object_new_string(hex)) ||
		    !add(o, "ak_pem", json_object_new_string(pem)))
			return cli_fail(-ENOMEM, "cannot format the result");
		cli_print_json(o);
	} else if (print_ak) {
		fputs(pem, stdout);
	} else {
		printf("enrolled: ak %s lives in the tpm of the challenge's ek\n", hex);
	}
	return cli_flush_stdout();
}
