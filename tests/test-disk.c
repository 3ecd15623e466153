/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * diskcrypt against real peers: a TPM 2.0 (swtpm, one per test) and
 * libcryptsetup on LUKS image files. Policy digests are recomputed here
 * from the TPM 2.0 specification with OpenSSL; keys are checked by
 * libcryptsetup directly, not through the code under test. Every log line
 * is kept and searched for key material.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libcryptsetup.h>
#include <linux/keyctl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "diskcrypt-internal.h"
#include "diskcrypt.h"
#include "fixture.h"
#include "swtpm-fixture.h"
#include "test-log.h"
#include "tpm-internal.h"


static struct swtpm_fixture tpm;
static struct attest_ctx *ctx;
static char dir[64], state[128], vol[160];

/* ---- the captured log (test-log.h) ---------------------------------------------- */

/* No log line so far holds the secret, raw, in hex or in base64. */
static void assert_not_logged(const uint8_t *s, size_t len)
{
	char hex[2 * 128 + 1], b64[4 * 64 + 1];

	ck_assert_uint_le(len, 128);
	vt_hex_encode(s, len, hex);
	if (all_log) {
		ck_assert_ptr_null(memmem(all_log, all_log_len, s, len));
		ck_assert_ptr_null(strstr(all_log, hex));
		if (len <= 48) {
			EVP_EncodeBlock((unsigned char *)b64, s, (int)len);
			ck_assert_ptr_null(strstr(all_log, b64));
		}
	}
}

/* ---- fixtures ---------------------------------------------------------------------- */

static void setup_dir(void)
{
	test_log_capture_all();
	snprintf(dir, sizeof(dir), "/tmp/vmtrust-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	snprintf(vol, sizeof(vol), "%s/disk.img", dir);
}

static void setup(void)
{
	setup_dir();
	ck_assert_int_eq(swtpm_fixture_start(&tpm), 0);
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
}

static void teardown_dir(void)
{
	swtpm_fixture_rm_rf(dir);
	test_log_release();
}

static void teardown(void)
{
	attest_ctx_free(ctx);
	ctx = NULL;
	swtpm_fixture_stop(&tpm);
	teardown_dir();
}

/* The TPM holds no transient object and no session: everything was flushed. */
static void assert_tpm_empty(void)
{
	static const TPM2_HANDLE kinds[] = { TPM2_TRANSIENT_FIRST, TPM2_LOADED_SESSION_FIRST,
					     TPM2_POLICY_SESSION_FIRST };

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		TPMS_CAPABILITY_DATA *cap = NULL;
		TPMI_YES_NO more;

		ck_assert_int_eq(Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
						    TPM2_CAP_HANDLES, kinds[i], 16, &more, &cap), 0);
		ck_assert_msg(cap->data.handles.count == 0, "%u handles of kind 0x%x left in the tpm",
			      cap->data.handles.count, kinds[i]);
		Esys_Free(cap);
	}
}

static void extend(unsigned pcr, uint8_t byte)
{
	struct policy_digest d = { .alg = vt_hash_alg_by_name("sha256") };

	memset(d.value, byte, 32);
	ck_assert_int_eq(attest_pcr_extend(ctx, pcr, &d, 1), 0);
}

static struct policy *load_policy(const char *json)
{
	struct policy *p = NULL;

	ck_assert_msg(policy_load_buffer("test policy", json, strlen(json), &p) == 0, "policy: %s", last_error);
	return p;
}

static const char plain_policy[] =
	"{\"schema_version\": 1, \"sequence\": 1, \"key_release\": {\"pcr_selection\": "
	"{\"sha256\": [7, 14]}, \"require_attestation\": false}}";

static struct diskcrypt_ctx *volume_ctx(const char *path)
{
	struct diskcrypt_ctx *dc = NULL;

	ck_assert_int_eq(diskcrypt_ctx_new(&dc, path, ctx), 0);
	ck_assert_int_eq(diskcrypt_ctx_set_state_dir(dc, state), 0);
	return dc;
}

/* Does pass open a keyslot of path? Asked of libcryptsetup directly. */
static int opens(const char *path, int keyslot, const struct diskcrypt_secret *pass)
{
	struct crypt_device *cd = NULL;
	int r;

	ck_assert_int_eq(crypt_init(&cd, path), 0);
	ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS, NULL), 0);
	r = crypt_activate_by_passphrase(cd, NULL, keyslot, (const char *)diskcrypt_secret_data(pass),
					 diskcrypt_secret_size(pass), 0);
	crypt_free(cd);
	return r;
}

static void format_volume(const struct policy *p, enum diskcrypt_luks type,
			  struct diskcrypt_secret **ret_recovery)
{
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = volume_ctx(vol);
	struct diskcrypt_format_params fp = { .type = type, .size = 24 << 20 };
	struct diskcrypt_seal_params sp;
	int token = -1;

	ck_assert_int_eq(diskcrypt_seal_params_from_policy(p, NULL, false, &sp), 0);
	ck_assert_msg(diskcrypt_format(dc, &fp, &sp, &token, ret_recovery) == 0, "format: %s", last_error);
	ck_assert_int_eq(token, 0);
}

static int release(const struct policy *p, const char *pcr_policy, struct diskcrypt_secret **key,
		   int *keyslot)
{
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = volume_ctx(vol);
	struct diskcrypt_release_params rp = { .policy = p, .pcr_policy = pcr_policy, .uefi_log = "",
					       .token = -1 };

	return diskcrypt_release(dc, &rp, key, NULL, keyslot);
}

static json_object *status(void)
{
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = volume_ctx(vol);
	json_object *st = NULL;

	ck_assert_int_eq(diskcrypt_status(dc, &st), 0);
	return st;
}

static size_t n_tokens(void)
{
	_cleanup_(json_object_putp) json_object *st = status();
	json_object *t;

	ck_assert(json_object_object_get_ex(st, "tokens", &t));
	return json_object_array_length(t);
}

static void file_digest(const char *path, uint8_t out[32])
{
	uint8_t buf[65536];
	unsigned len;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(c, buf, (size_t)n);
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
	close(fd);
}

/* ---- secrets ----------------------------------------------------------------------- */

static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* The VmFlags of the mapping holding addr, from /proc/self/smaps. */
static void vm_flags(const void *addr, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	ck_assert_ptr_nonnull(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (unsigned long)addr >= lo && (unsigned long)addr < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(out, size, "%.200s", line + 8);
			break;
		}
	}
	fclose(f);
}

START_TEST(test_secret_locked)
{
	struct diskcrypt_secret *s = NULL;
	long before = status_kb("VmLck:");
	char flags[256];

	ck_assert_int_eq(diskcrypt_secret_new(64, &s), 0);
	ck_assert_uint_eq(diskcrypt_secret_size(s), 64);
	for (size_t i = 0; i < 64; i++)
		ck_assert_uint_eq(diskcrypt_secret_data(s)[i], 0);
	/* locked in RAM ("lo"), left out of core dumps ("dd"), wiped for a child
	 * ("wf"). AddressSanitizer turns mlock() into a no-op. */
	vm_flags(diskcrypt_secret_data(s), flags, sizeof(flags));
	ck_assert_msg(strstr(flags, " dd") && strstr(flags, " wf"), "VmFlags of a secret: %s", flags);
#ifndef __SANITIZE_ADDRESS__
	ck_assert_int_gt(status_kb("VmLck:"), before);
	ck_assert_msg(strstr(flags, " lo"), "VmFlags of a secret: %s", flags);
#endif
	diskcrypt_secret_free(s);
	ck_assert_int_eq(status_kb("VmLck:"), before);
	diskcrypt_secret_free(NULL);

	ck_assert_int_eq(diskcrypt_secret_new(0, &s), -EINVAL);
	ck_assert_one_error("cannot allocate a secret of 0 bytes");
}
END_TEST

START_TEST(test_secret_wiped_for_child)
{
	struct diskcrypt_secret *s = NULL;
	int status;
	pid_t pid;

	ck_assert_int_eq(diskcrypt_secret_new(32, &s), 0);
	memset(dc_secret_mut(s), 0xa5, 32);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (size_t i = 0; i < 32; i++)
			if (diskcrypt_secret_data(s)[i] != 0)
				_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child sees the secret");
	ck_assert_uint_eq(diskcrypt_secret_data(s)[0], 0xa5);
	diskcrypt_secret_free(s);
}
END_TEST

START_TEST(test_secret_read)
{
	struct diskcrypt_secret *s = NULL;
	char path[256], big[DISKCRYPT_PASSPHRASE_MAX + 1];
	int fds[2];

	snprintf(path, sizeof(path), "%s/key", dir);
	fx_write_file(path, "pass\nword\n", 10, 0600);
	ck_assert_int_eq(diskcrypt_secret_read(path, &s), 0);
	ck_assert_uint_eq(diskcrypt_secret_size(s), 10);
	ck_assert_mem_eq(diskcrypt_secret_data(s), "pass\nword\n", 10);
	diskcrypt_secret_free(s);

	/* a pipe, read whole */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "\0\1\2", 3), 3);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	ck_assert_int_eq(diskcrypt_secret_read(path, &s), 0);
	ck_assert_uint_eq(diskcrypt_secret_size(s), 3);
	ck_assert_mem_eq(diskcrypt_secret_data(s), "\0\1\2", 3);
	diskcrypt_secret_free(s);
	close(fds[0]);

	s = NULL;
	snprintf(path, sizeof(path), "%s/empty", dir);
	fx_write_file(path, "", 0, 0600);
	ck_assert_int_eq(diskcrypt_secret_read(path, &s), -ENOMSG);
	ck_assert_one_error("it is empty");
	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/big", dir);
	fx_write_file(path, big, sizeof(big), 0600);
	ck_assert_int_eq(diskcrypt_secret_read(path, &s), -EFBIG);
	ck_assert_one_error("at most 8192 allowed");
	ck_assert_int_eq(diskcrypt_secret_read(dir, &s), -EISDIR);
	ck_assert_one_error("is a directory");
	snprintf(path, sizeof(path), "%s/absent", dir);
	ck_assert_int_eq(diskcrypt_secret_read(path, &s), -ENOENT);
	ck_assert_one_error("cannot open key file");
	ck_assert_ptr_null(s);
}
END_TEST

/* ---- PCR sets and policy digests ------------------------------------------------ */

static const struct {
	const char *in;
	const char *bank;
	uint32_t mask;
	const char *error;
} pcr_sets[] = {
	{ "sha256:7,14", "sha256", (1u << 7) | (1u << 14), NULL },
	{ "sha1:0", "sha1", 1, NULL },
	{ "sha384:23,0,7", "sha384", (1u << 23) | 1 | (1u << 7), NULL },
	{ "sha256", NULL, 0, "expected BANK:PCR" },
	{ "md5:1", NULL, 0, "unknown bank 'md5'" },
	{ "sha256:24", NULL, 0, "out of range 0 to 23" },
	{ "sha256:7,", NULL, 0, "expected a pcr index" },
	{ "sha256:7;8", NULL, 0, "unexpected ';'" },
	{ "sha256:-1", NULL, 0, "expected a pcr index" },
	{ "sha256:", NULL, 0, "expected a pcr index" },
};

START_TEST(test_pcrs_parse)
{
	const struct vt_hash_alg *bank = NULL;
	uint32_t mask = 0;
	char back[96];
	int r = diskcrypt_pcrs_parse(pcr_sets[_i].in, &bank, &mask);

	if (!pcr_sets[_i].error) {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(bank->name, pcr_sets[_i].bank);
		ck_assert_uint_eq(mask, pcr_sets[_i].mask);
		diskcrypt_pcrs_format(bank, mask, back, sizeof(back));
		ck_assert_ptr_nonnull(strstr(back, pcr_sets[_i].bank));
		return;
	}
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_one_error(pcr_sets[_i].error);
}
END_TEST

static void sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, a, alen);
	if (b)
		EVP_DigestUpdate(c, b, blen);
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

/* TPM 2.0 Part 3, 23.7: policyDigest' = H(policyDigest || TPM_CC_PolicyPCR ||
 * pcrs || digestTPM), written out byte by byte. */
START_TEST(test_policy_pcr_digest)
{
	const struct vt_hash_alg *alg = vt_hash_alg_by_name("sha256");
	struct policy_pcr_value v[2] = { { .alg = alg, .pcr = 7 }, { .alg = alg, .pcr = 14 } };
	uint8_t concat[64], pcr_digest[32], msg[32 + 4 + 10 + 32], want[32], got[32];

	memset(v[0].value, 0x11, 32);
	memset(v[1].value, 0x22, 32);
	memcpy(concat, v[0].value, 32);
	memcpy(concat + 32, v[1].value, 32);
	sha256(concat, 64, NULL, 0, pcr_digest);
	memset(msg, 0, 32);
	memcpy(msg + 32, "\x00\x00\x01\x7f", 4);                 /* TPM_CC_PolicyPCR */
	memcpy(msg + 36, "\x00\x00\x00\x01\x00\x0b\x03\x80\x40\x00", 10); /* 1 bank, sha256, 7 and 14 */
	memcpy(msg + 46, pcr_digest, 32);
	sha256(msg, sizeof(msg), NULL, 0, want);
	ck_assert_int_eq(dc_policy_pcr_digest(v, 2, got), 0);
	ck_assert_mem_eq(got, want, 32);

	/* not one bank in pcr order */
	v[1].pcr = 3;
	ck_assert_int_eq(dc_policy_pcr_digest(v, 2, got), -EINVAL);
	ck_assert_one_error("not of one bank in pcr order");
}
END_TEST

/* Part 3, 23.16: H(H(0 || TPM_CC_PolicyAuthorize || keyName) || policyRef). */
START_TEST(test_policy_authorize_digest)
{
	uint8_t name[34], msg[32 + 4 + 34], step[32], want[32], got[32];

	memset(name, 0x5a, sizeof(name));
	name[0] = 0x00;
	name[1] = 0x0b;
	memset(msg, 0, 32);
	memcpy(msg + 32, "\x00\x00\x01\x6a", 4);
	memcpy(msg + 36, name, sizeof(name));
	sha256(msg, sizeof(msg), NULL, 0, step);
	sha256(step, 32, NULL, 0, want);
	ck_assert_int_eq(dc_policy_authorize_digest(name, sizeof(name), got), 0);
	ck_assert_mem_eq(got, want, 32);
}
END_TEST

/* ---- sealing ------------------------------------------------------------------------ */

static struct diskcrypt_secret *random_secret(size_t n)
{
	struct diskcrypt_secret *s = NULL;

	ck_assert_int_eq(dc_random_key(n, &s), 0);
	return s;
}

START_TEST(test_seal_plain)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = random_secret(32), *got = NULL;
	struct diskcrypt_seal_params sp = { .bank = vt_hash_alg_by_name("sha256"),
					    .pcr_mask = (1u << 7) | (1u << 14) };
	struct dc_token t = { .id = 0, .keyslot = 0 };
	char reason[DC_REASON_MAX] = "";

	ck_assert_int_eq(dc_seal(ctx, &sp, key, &t), 0);
	assert_tpm_empty();
	ck_assert_ptr_null(t.pubkey_pem);
	ck_assert_uint_gt(t.blob_len, 0);
	/* the blob is the TPM's wrapping, never the key */
	ck_assert_ptr_null(memmem(t.blob, t.blob_len, diskcrypt_secret_data(key), 32));

	ck_assert_int_eq(dc_unseal(ctx, &t, NULL, NULL, reason, sizeof(reason), &got), 0);
	ck_assert_uint_eq(diskcrypt_secret_size(got), 32);
	ck_assert_mem_eq(diskcrypt_secret_data(got), diskcrypt_secret_data(key), 32);
	assert_tpm_empty();
	diskcrypt_secret_free(got);
	got = NULL;

	/* a bound PCR moves: the TPM refuses */
	extend(14, 0x33);
	ck_assert_int_eq(dc_unseal(ctx, &t, NULL, NULL, reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_ptr_null(got);
	ck_assert_msg(strstr(reason, "pcr sha256:7,14 no longer hold the values"), "reason: %s", reason);
	ck_assert_uint_eq(n_errors, 0);
	assert_tpm_empty();

	/* an unbound one does not matter */
	ck_assert_int_eq(dc_seal(ctx, &sp, key, &t), 0);
	extend(15, 0x44);
	ck_assert_int_eq(dc_unseal(ctx, &t, NULL, NULL, reason, sizeof(reason), &got), 0);

	/* a blob from a TPM whose owner seed differs */
	t.srk_name[5] ^= 1;
	diskcrypt_secret_free(got);
	got = NULL;
	ck_assert_int_eq(dc_unseal(ctx, &t, NULL, NULL, reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(reason, "sealed in another tpm"));
	assert_tpm_empty();
	assert_not_logged(diskcrypt_secret_data(key), 32);
	dc_token_clear(&t);
}
END_TEST

static char *write_key(const char *name, const char *spec, EVP_PKEY **ret)
{
	char *path = NULL;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	*ret = fx_key_pem(spec, path, NULL);
	return path;
}

static struct dc_pcr_policies *sign_now(const char *key_path, const char *base,
					uint32_t mask, char **ret_json)
{
	struct policy_pcr_value values[POLICY_PCR_MAX];
	struct dc_pcr_policies *p = NULL;
	char *json = NULL;
	int n = diskcrypt_pcr_values_from_tpm(ctx, vt_hash_alg_by_name("sha256"), mask, values);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(diskcrypt_pcr_policy_sign(key_path, NULL, values, (size_t)n, base, base ? strlen(base) : 0,
						   &json), 0);
	ck_assert_int_eq(dc_pcr_policies_parse("signed", json, strlen(json), &p), 0);
	if (ret_json)
		*ret_json = json;
	else
		free(json);
	return p;
}

START_TEST(test_seal_authorized)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = random_secret(64), *got = NULL;
	_cleanup_(freep) char *key_path = NULL, *other_path = NULL, *json = NULL, *json2 = NULL;
	EVP_PKEY *pkey = NULL, *other = NULL;
	struct dc_pcr_policies *sp_now = NULL, *sp_other = NULL, *sp_both = NULL;
	uint32_t mask = (1u << 7) | (1u << 14);
	struct diskcrypt_seal_params sp = { .bank = vt_hash_alg_by_name("sha256"), .pcr_mask = mask };
	struct dc_token t = { .id = 0, .keyslot = 0 };
	char reason[DC_REASON_MAX] = "";

	key_path = write_key("auth.pem", _i ? "p384" : "p256", &pkey);
	other_path = write_key("other.pem", "p256", &other);
	sp.authorize_key = pkey;
	ck_assert_int_eq(dc_seal(ctx, &sp, key, &t), 0);
	ck_assert_ptr_nonnull(t.pubkey_pem);

	/* no signed policy at all */
	ck_assert_int_eq(dc_unseal(ctx, &t, NULL, "sp.json", reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(reason, "no signed pcr policy file 'sp.json'"));

	/* signed by another key */
	sp_other = sign_now(other_path, NULL, mask, NULL);
	ck_assert_int_eq(dc_unseal(ctx, &t, sp_other, "x", reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_msg(strstr(reason, "signed by the token's key"), "reason: %s", reason);

	/* signed for the values now */
	sp_now = sign_now(key_path, NULL, mask, &json);
	ck_assert_int_eq(dc_unseal(ctx, &t, sp_now, "x", reason, sizeof(reason), &got), 0);
	ck_assert_mem_eq(diskcrypt_secret_data(got), diskcrypt_secret_data(key), 64);
	assert_tpm_empty();
	diskcrypt_secret_free(got);
	got = NULL;

	/* the PCRs move: that signed policy no longer matches */
	extend(14, 0x55);
	ck_assert_int_eq(dc_unseal(ctx, &t, sp_now, "x", reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_msg(strstr(reason, "none of the 1 signed pcr policies"), "reason: %s", reason);
	assert_tpm_empty();

	/* a policy signed for the new values releases the same sealed key */
	sp_both = sign_now(key_path, json, mask, &json2);
	ck_assert_uint_eq(sp_both->n, 2);
	ck_assert_int_eq(dc_unseal(ctx, &t, sp_both, "x", reason, sizeof(reason), &got), 0);
	ck_assert_mem_eq(diskcrypt_secret_data(got), diskcrypt_secret_data(key), 64);
	diskcrypt_secret_free(got);
	got = NULL;

	/* a signature that does not fit its policy */
	sp_both->v[1].signature[sp_both->v[1].signature_len / 2] ^= 1;
	ck_assert_int_eq(dc_unseal(ctx, &t, sp_both, "x", reason, sizeof(reason), &got), -EKEYREJECTED);
	ck_assert_msg(strstr(reason, "signature") != NULL, "reason: %s", reason);
	assert_tpm_empty();
	assert_not_logged(diskcrypt_secret_data(key), 64);

	dc_pcr_policies_free(sp_now);
	dc_pcr_policies_free(sp_other);
	dc_pcr_policies_free(sp_both);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(other);
	dc_token_clear(&t);
}
END_TEST

START_TEST(test_sign_refuses_ed25519)
{
	struct policy_pcr_value v = { .alg = vt_hash_alg_by_name("sha256"), .pcr = 7 };
	char path[256], *json = NULL;

	snprintf(path, sizeof(path), "%s/ed.pem", dir);
	EVP_PKEY_free(fx_key_pem("ed25519", path, NULL));
	ck_assert_int_eq(diskcrypt_pcr_policy_sign(path, NULL, &v, 1, NULL, 0, &json), -EOPNOTSUPP);
	ck_assert_one_error("the tpm verifies only rsa and ecdsa");
	ck_assert_ptr_null(json);
}
END_TEST

/* Signed policy files that must be refused, each with its fault named. */
static const struct {
	const char *json;
	const char *error;
} bad_pcr_policies[] = {
	{ "[]", "$: expected an object" },
	{ "{\"vmtrust_pcr_policy\": 2, \"policies\": []}", "vmtrust_pcr_policy: expected 1" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [], \"x\": 1}", "unknown key 'x'" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [{}]}", "are required" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [{\"bank\": \"md5\", \"pcrs\": [7], \"values\": {}, "
	  "\"policy\": \"\", \"key_fingerprint\": \"\", \"signature\": \"\"}]}", "unknown pcr bank" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [{\"bank\": \"sha256\", \"pcrs\": [7, 7], \"values\": {}, "
	  "\"policy\": \"\", \"key_fingerprint\": \"\", \"signature\": \"\"}]}", "pcrs[1]" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [{\"bank\": \"sha256\", \"pcrs\": [7], \"values\": "
	  "{\"7\": \"00\"}, \"policy\": \"\", \"key_fingerprint\": \"\", \"signature\": \"\"}]}",
	  "a sha256 value has 64 hex digits" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [{\"bank\": \"sha256\", \"pcrs\": [7], \"values\": "
	  "{\"7\": \"0000000000000000000000000000000000000000000000000000000000000000\"}, \"policy\": "
	  "\"0000000000000000000000000000000000000000000000000000000000000000\", \"key_fingerprint\": "
	  "\"0000000000000000000000000000000000000000000000000000000000000000\", \"signature\": \"AA==\"}]}",
	  "not the PolicyPCR digest of its values" },
	{ "{\"vmtrust_pcr_policy\": 1, \"policies\": [", "unexpected end of input" },
};

START_TEST(test_pcr_policy_bad)
{
	struct dc_pcr_policies *p = NULL;
	const char *json = bad_pcr_policies[_i].json;
	int r = dc_pcr_policies_parse("sp.json", json, strlen(json), &p);

	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_ptr_null(p);
	ck_assert_one_error(bad_pcr_policies[_i].error);
}
END_TEST

/* ---- volumes -------------------------------------------------------------------------- */

static void recovery_format_ok(const struct diskcrypt_secret *rec)
{
	const char *s = (const char *)diskcrypt_secret_data(rec);

	ck_assert_uint_eq(diskcrypt_secret_size(rec), 71);
	for (size_t i = 0; i < 71; i++) {
		if (i % 9 == 8)
			ck_assert_int_eq(s[i], '-');
		else
			ck_assert_ptr_nonnull(strchr("cbdefghijklnrtuv", s[i]));
	}
}

START_TEST(test_format_release_luks2)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL, *key = NULL, *again = NULL;
	_cleanup_(json_object_putp) json_object *st = NULL;
	json_object *v, *t;
	int keyslot = -1;

	format_volume(p, _i ? DISKCRYPT_LUKS1 : DISKCRYPT_LUKS2, &rec);
	assert_tpm_empty();
	recovery_format_ok(rec);
	ck_assert_int_ge(opens(vol, CRYPT_ANY_SLOT, rec), 0);

	st = status();
	ck_assert(json_object_object_get_ex(st, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), _i ? "LUKS1" : "LUKS2");
	ck_assert(json_object_object_get_ex(st, "keyslots", &v));
	ck_assert_uint_eq(json_object_array_length(v), 2);
	ck_assert(json_object_object_get_ex(st, "recovery_keyslots", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	ck_assert(json_object_object_get_ex(st, "tokens", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	t = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(t, "authorized", &v));
	ck_assert(!json_object_get_boolean(v));
	if (_i) {
		char side[256];
		struct stat sb;

		snprintf(side, sizeof(side), "%s%s", vol, DISKCRYPT_SIDECAR_SUFFIX);
		ck_assert_int_eq(stat(side, &sb), 0);
	}

	ck_assert_int_eq(release(p, NULL, &key, &keyslot), 0);
	ck_assert_int_ge(keyslot, 0);
	/* the passphrase is text: 32 random bytes in base64 */
	ck_assert_uint_eq(diskcrypt_secret_size(key), 44);
	ck_assert_int_eq(opens(vol, keyslot, key), keyslot);
	assert_tpm_empty();

	/* again, the same key */
	ck_assert_int_eq(release(p, NULL, &again, NULL), 0);
	ck_assert_mem_eq(diskcrypt_secret_data(again), diskcrypt_secret_data(key), 44);
	diskcrypt_secret_free(again);
	again = NULL;

	/* a bound PCR moves: nothing is released, and the line says why */
	test_log_reset();
	extend(7, 0x66);
	ck_assert_int_eq(release(p, NULL, &again, NULL), -EKEYREJECTED);
	ck_assert_ptr_null(again);
	ck_assert_one_error("key withheld for");
	assert_tpm_empty();
	assert_not_logged(diskcrypt_secret_data(key), diskcrypt_secret_size(key));
	assert_not_logged(diskcrypt_secret_data(rec), diskcrypt_secret_size(rec));
}
END_TEST

/* Copies of needle in this process's writable memory, outside the mapping
 * of skip (the secret itself): the stack, the heap, libraries' data. */
static size_t copies_in_memory(const uint8_t *needle, size_t len, const void *skip)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' || perms[1] != 'w')
			continue;
		if ((unsigned long)skip >= lo && (unsigned long)skip < hi)
			continue;
		if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]") || hi - lo > (1UL << 30))
			continue;
		for (const uint8_t *p = (const uint8_t *)lo; p + len <= (const uint8_t *)hi; p++) {
			p = memchr(p, needle[0], (size_t)((const uint8_t *)hi - p - len + 1));
			if (!p)
				break;
			if (memcmp(p, needle, len) == 0 && p != needle)
				n++;
		}
	}
	fclose(f);
	return n;
}

/* After a release, the unsealed key is nowhere but in its secret buffer:
 * not in ESAPI's response buffer, not in a freed output, not on the stack. */
START_TEST(test_release_leaves_no_copy)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL, *raw = NULL;
	int len;

#ifdef __SANITIZE_ADDRESS__
	/* reading the whole heap trips over AddressSanitizer's redzones */
	return;
#endif
	format_volume(p, DISKCRYPT_LUKS2, NULL);
	ck_assert_int_eq(release(p, NULL, &key, NULL), 0);
	/* the needle lives in a mapping of its own, which the search skips */
	ck_assert_int_eq(diskcrypt_secret_new(64, &raw), 0);
	len = EVP_DecodeBlock(dc_secret_mut(raw), diskcrypt_secret_data(key), (int)diskcrypt_secret_size(key));
	ck_assert_int_eq(len, 33);      /* 32 bytes and one of padding */
	ck_assert_uint_eq(copies_in_memory(diskcrypt_secret_data(raw), 32, diskcrypt_secret_data(raw)), 0);
	ck_assert_uint_eq(copies_in_memory(diskcrypt_secret_data(key), diskcrypt_secret_size(key),
					   diskcrypt_secret_data(key)), 0);
}
END_TEST

START_TEST(test_enroll_rotate_revoke)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL, *key = NULL, *key2 = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	struct diskcrypt_release_params rp = { .policy = p, .uefi_log = "", .token = -1 };
	struct diskcrypt_seal_params sp;
	int token = -1, t1 = -1, t2 = -1, slot = -1, slot2 = -1;

	format_volume(p, _i ? DISKCRYPT_LUKS1 : DISKCRYPT_LUKS2, &rec);
	dc = volume_ctx(vol);
	ck_assert_int_eq(diskcrypt_seal_params_from_policy(p, "sha256:7", false, &sp), 0);

	/* enroll by the recovery key; a wrong passphrase is refused */
	ck_assert_int_eq(diskcrypt_enroll(dc, key = random_secret(32), &rp, &sp, &token, NULL), -EKEYREJECTED);
	ck_assert_one_error("the passphrase opens no keyslot");
	diskcrypt_secret_free(key);
	key = NULL;
	ck_assert_int_eq(n_tokens(), 1);
	ck_assert_int_eq(diskcrypt_enroll(dc, rec, &rp, &sp, &t1, NULL), 0);
	ck_assert_int_eq(n_tokens(), 2);
	/* enroll through a release */
	ck_assert_int_eq(diskcrypt_enroll(dc, NULL, &rp, &sp, &t2, NULL), 0);
	ck_assert_int_eq(n_tokens(), 3);
	ck_assert_int_ne(t1, t2);

	/* several tokens: rotate needs one named */
	ck_assert_int_eq(diskcrypt_rotate(dc, NULL, &rp, &sp, -1, &token), -EINVAL);
	ck_assert_one_error("name one with --token");

	ck_assert_int_eq(diskcrypt_revoke(dc, t2, false), 1);
	ck_assert_int_eq(diskcrypt_revoke(dc, t1, false), 1);
	ck_assert_int_eq(n_tokens(), 1);
	ck_assert_int_eq(diskcrypt_revoke(dc, 17, false), -ENOENT);
	ck_assert_one_error("has no vmtrust token 17");

	rp.token = 0;
	ck_assert_int_eq(diskcrypt_release(dc, &rp, &key, NULL, &slot), 0);
	ck_assert_int_eq(diskcrypt_rotate(dc, NULL, &rp, &sp, -1, &token), 0);
	assert_tpm_empty();
	rp.token = -1;
	ck_assert_int_eq(diskcrypt_release(dc, &rp, &key2, NULL, &slot2), 0);
	ck_assert_int_ne(slot2, slot);
	ck_assert_int_eq(n_tokens(), 1);
	/* the old key opens nothing any more, the new one its keyslot */
	ck_assert_int_eq(opens(vol, CRYPT_ANY_SLOT, key), -EPERM);
	ck_assert_int_eq(opens(vol, slot2, key2), slot2);

	/* rotate by the recovery key, when the PCRs moved */
	extend(7, 0x77);
	diskcrypt_secret_free(key);
	key = NULL;
	ck_assert_int_eq(diskcrypt_release(dc, &rp, &key, NULL, NULL), -EKEYREJECTED);
	test_log_reset();
	ck_assert_int_eq(diskcrypt_rotate(dc, rec, &rp, &sp, -1, &token), 0);
	ck_assert_int_eq(diskcrypt_release(dc, &rp, &key, NULL, NULL), 0);

	/* the last keyslot but the recovery one can go; then none without force */
	ck_assert_int_eq(diskcrypt_revoke(dc, -1, false), 1);
	ck_assert_int_eq(n_tokens(), 0);
	ck_assert_int_ge(opens(vol, CRYPT_ANY_SLOT, rec), 0);
	ck_assert_int_eq(diskcrypt_revoke(dc, -1, false), -ENOENT);
	ck_assert_one_error("has no vmtrust token");
	assert_not_logged(diskcrypt_secret_data(key), diskcrypt_secret_size(key));
	assert_not_logged(diskcrypt_secret_data(key2), diskcrypt_secret_size(key2));
}
END_TEST

START_TEST(test_revoke_last_keyslot)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	uint8_t before[32], after[32];

	format_volume(p, DISKCRYPT_LUKS2, NULL);
	dc = volume_ctx(vol);
	file_digest(vol, before);
	ck_assert_int_eq(diskcrypt_revoke(dc, 0, false), -EPERM);
	ck_assert_one_error("the last keyslot");
	file_digest(vol, after);
	ck_assert_mem_eq(before, after, 32);
	ck_assert_int_eq(diskcrypt_revoke(dc, 0, true), 1);
	ck_assert_int_eq(n_tokens(), 0);
}
END_TEST

START_TEST(test_luks1_foreign_sidecar)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;
	char first[256], side1[300], side2[300], cmd[1024];

	format_volume(p, DISKCRYPT_LUKS1, NULL);
	snprintf(first, sizeof(first), "%s", vol);
	snprintf(side1, sizeof(side1), "%s%s", first, DISKCRYPT_SIDECAR_SUFFIX);
	snprintf(vol, sizeof(vol), "%s/other.img", dir);
	format_volume(p, DISKCRYPT_LUKS1, NULL);
	snprintf(side2, sizeof(side2), "%s%s", vol, DISKCRYPT_SIDECAR_SUFFIX);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", side1, side2);
	ck_assert_int_eq(system(cmd), 0);
	test_log_reset();
	ck_assert_int_eq(release(p, NULL, &key, NULL), -EBADMSG);
	ck_assert_one_error("belongs to volume");
	ck_assert_ptr_null(key);
}
END_TEST

/* Tokens a hand (or an attacker) changed: each is refused with its fault,
 * nothing is released, the volume is not written, and revoke removes it. */
static const struct {
	const char *from, *to;
	const char *error;
} token_edits[] = {
	{ "\"tpm2-policy-hash\":\"", "\"tpm2-policy-hash\":\"zz", "tpm2-policy-hash: expected 64 hex digits" },
	{ "\"tpm2-blob\":\"", "\"tpm2-blob\":\"!", "tpm2-blob: expected base64" },
	{ "\"vmtrust-version\":1", "\"vmtrust-version\":9", "vmtrust-version: expected 1" },
	{ "\"tpm2-pcr-bank\":\"sha256\"", "\"tpm2-pcr-bank\":\"md5\"", "tpm2-pcr-bank: expected" },
	{ "\"tpm2-pcrs\":[", "\"tpm2-pcrs\":[99,", "tpm2-pcrs[0]: expected a pcr index" },
	{ "\"vmtrust-version\":1", "\"vmtrust-version\":1,\"extra\":2", "unknown key 'extra'" },
	{ "\"tpm2-policy-hash\":\"", "\"tpm2-policy-hash\":\"00", "tpm2-policy-hash: expected 64 hex digits" },
};

START_TEST(test_token_tampered)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL, *key = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(freep) char *edited = NULL;
	_cleanup_(json_object_putp) json_object *st = NULL;
	struct crypt_device *cd = NULL;
	const char *json;
	json_object *t, *v;
	uint8_t before[32], after[32];

	format_volume(p, DISKCRYPT_LUKS2, &rec);
	ck_assert_int_eq(crypt_init(&cd, vol), 0);
	ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	ck_assert_int_eq(crypt_token_json_get(cd, 0, &json), 0);
	{
		/* libcryptsetup writes its own JSON form: normalize to json-c's plain one */
		json_object *o = json_tokener_parse(json);

		edited = fx_replace(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE),
				    token_edits[_i].from, token_edits[_i].to);
		json_object_put(o);
	}
	ck_assert_int_eq(crypt_token_json_set(cd, 0, edited), 0);
	crypt_free(cd);

	test_log_reset();
	file_digest(vol, before);
	ck_assert_int_eq(release(p, NULL, &key, NULL), -EKEYREJECTED);
	ck_assert_ptr_null(key);
	ck_assert_one_error(token_edits[_i].error);
	file_digest(vol, after);
	ck_assert_mem_eq(before, after, 32);

	st = status();
	ck_assert(json_object_object_get_ex(st, "tokens", &v));
	t = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(t, "malformed", &v));
	ck_assert(json_object_object_get_ex(t, "error", &v));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(v), token_edits[_i].error));

	dc = volume_ctx(vol);
	ck_assert_int_eq(diskcrypt_revoke(dc, 0, false), 1);
	ck_assert_int_eq(n_tokens(), 0);
	ck_assert_int_ge(opens(vol, CRYPT_ANY_SLOT, rec), 0);
}
END_TEST

START_TEST(test_concurrent_release_enroll)
{
	enum { WORKERS = 4, ROUNDS = 3 };
	_cleanup_(policy_freep) struct policy *p = load_policy(plain_policy);
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL;
	uint8_t rec_copy[128];
	size_t rec_len;
	pid_t pids[WORKERS];

	format_volume(p, _i ? DISKCRYPT_LUKS1 : DISKCRYPT_LUKS2, &rec);
	/* secrets are wiped in a child after fork: hand the recovery key over */
	rec_len = diskcrypt_secret_size(rec);
	memcpy(rec_copy, diskcrypt_secret_data(rec), rec_len);
	/* the parent's connection is closed: each process has its own */
	attest_ctx_free(ctx);
	ctx = NULL;
	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] != 0)
			continue;
		for (int round = 0; round < ROUNDS; round++) {
			struct diskcrypt_secret *key = NULL;
			struct diskcrypt_seal_params sp;
			int slot = -1, token;

			if (attest_ctx_new(&ctx, tpm.tcti) < 0)
				_exit(10);
			if (w == 0) {
				/* one enrolls while the others release */
				_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = volume_ctx(vol);
				_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *pass = NULL;
				struct diskcrypt_release_params rp = { .policy = p, .uefi_log = "", .token = -1 };

				if (diskcrypt_secret_new(rec_len, &pass) < 0)
					_exit(13);
				memcpy(dc_secret_mut(pass), rec_copy, rec_len);

				if (diskcrypt_seal_params_from_policy(p, "sha256:7", false, &sp) < 0 ||
				    diskcrypt_enroll(dc, pass, &rp, &sp, &token, NULL) < 0) {
					fprintf(stderr, "enroll: %s\n", last_error);
					_exit(11);
				}
			} else if (release(p, NULL, &key, &slot) < 0 || opens(vol, slot, key) != slot) {
				fprintf(stderr, "release: %s\n", last_error);
				_exit(12);
			}
			diskcrypt_secret_free(key);
			attest_ctx_free(ctx);
			ctx = NULL;
		}
		_exit(0);
	}
	for (int w = 0; w < WORKERS; w++) {
		int status;

		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker %d: exit %d (%s)", w,
			      WEXITSTATUS(status), last_error);
	}
	ck_assert_int_eq(attest_ctx_new(&ctx, tpm.tcti), 0);
	ck_assert_int_eq(n_tokens(), 1 + ROUNDS);
	assert_tpm_empty();
}
END_TEST

/* ---- release with attestation ------------------------------------------------------ */

/* A policy from this host's evidence (the AK pinned, the measured file a
 * reference value, PCRs 0-7 and 15 expected), plus key_release. */
static struct policy *attested_policy(const char *key_release)
{
	_cleanup_(attest_evidence_freep) struct attest_evidence *ev = NULL;
	_cleanup_(freep) char *json = NULL, *full = NULL;
	const struct attest_evidence *one[1];
	const struct policy_pcr_bank *sel;
	struct policy_pcr_bank def[2];
	char path[256];
	const char *const files[] = { path };
	const char *const names[] = { "evidence" };
	uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct attest_ak_name ak;   /* the AK this test enrolled: its name vouched for */
	int n;

	ck_assert_int_eq(attest_enroll(ctx, state, ATTEST_KEY_ECC, ATTEST_KEY_ECC, false, ak.bytes, &ak.len), 0);
	snprintf(path, sizeof(path), "%s/qemu-system-x86_64", dir);
	fx_write_file(path, "hypervisor\n", 11, 0600);
	ck_assert_int_eq(attest_measure(ctx, state, 15, files, 1, NULL, NULL), 0);
	n = attest_default_quote_selection(ctx, 15, def, 2);
	ck_assert_int_gt(n, 0);
	sel = def;
	ck_assert_int_eq(attest_quote(ctx, state, sel, (size_t)n, nonce, sizeof(nonce), "", &ev), 0);
	one[0] = ev;
	ck_assert_int_eq(attest_policy_from_evidence(NULL, 0, one, names, 1, &ak, 1, 15, &json), 0);
	/* the policy's last brace gets the key_release section */
	ck_assert_ptr_nonnull(strrchr(json, '}'));
	*strrchr(json, '}') = '\0';
	ck_assert_int_ge(asprintf(&full, "%s, \"key_release\": %s}", json, key_release), 0);
	return load_policy(full);
}

START_TEST(test_release_attested)
{
	_cleanup_(policy_freep) struct policy *p = attested_policy("{\"pcr_selection\": {\"sha256\": [7, 14]}}");
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL, *none = NULL;
	char path[256];
	const char *const files[] = { path };
	int slot = -1;

	format_volume(p, DISKCRYPT_LUKS2, NULL);
	ck_assert_msg(release(p, NULL, &key, &slot) == 0, "release: %s", last_error);
	ck_assert_int_eq(opens(vol, slot, key), slot);
	assert_tpm_empty();

	/* an unknown file joins the hypervisor: attestation fails first, and
	 * the TPM is not even asked */
	snprintf(path, sizeof(path), "%s/implant", dir);
	fx_write_file(path, "implant\n", 8, 0600);
	ck_assert_int_eq(attest_measure(ctx, state, 15, files, 1, NULL, NULL), 0);
	test_log_reset();
	ck_assert_int_eq(release(p, NULL, &none, &slot), -EKEYREJECTED);
	ck_assert_ptr_null(none);
	ck_assert_one_error("attestation failed: reference:");
	assert_tpm_empty();
	assert_not_logged(diskcrypt_secret_data(key), diskcrypt_secret_size(key));
}
END_TEST

START_TEST(test_release_unenrolled_host)
{
	_cleanup_(policy_freep) struct policy *p = load_policy(
		"{\"schema_version\": 1, \"sequence\": 1, \"key_release\": {\"pcr_selection\": "
		"{\"sha256\": [7]}}}");
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;

	format_volume(p, DISKCRYPT_LUKS2, NULL);
	test_log_reset();
	/* no AK in the state directory: one line, saying attestation failed */
	ck_assert_int_eq(release(p, NULL, &key, NULL), -ENOENT);
	ck_assert_one_error("attestation failed");
	ck_assert_ptr_null(key);
	assert_tpm_empty();
}
END_TEST

/* ---- handing over ------------------------------------------------------------------- */

START_TEST(test_write_key)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = random_secret(32);
	char path[256], buf[128], b64[64];
	int fds[2], fd;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(diskcrypt_write_key(fds[1], key, false), 0);
	ck_assert_int_eq(read(fds[0], buf, sizeof(buf)), 32);
	ck_assert_mem_eq(buf, diskcrypt_secret_data(key), 32);
	ck_assert_int_eq(diskcrypt_write_key(fds[1], key, true), 0);
	n = read(fds[0], buf, sizeof(buf));
	EVP_EncodeBlock((unsigned char *)b64, diskcrypt_secret_data(key), 32);
	ck_assert_int_eq(n, 44);
	ck_assert_mem_eq(buf, b64, 44);
	close(fds[0]);
	/* the reader went away */
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(diskcrypt_write_key(fds[1], key, false), -EPIPE);
	ck_assert_one_error("the reader closed the pipe");
	close(fds[1]);

	snprintf(path, sizeof(path), "%s/key.out", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(diskcrypt_write_key(fd, key, false), -EINVAL);
	ck_assert_one_error("a regular file, not a pipe");
	close(fd);
	{
		struct stat sb;

		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, 0);
	}
	fd = open("/dev/null", O_WRONLY);
	ck_assert_int_eq(diskcrypt_write_key(fd, key, false), -EINVAL);
	ck_assert_one_error("not a pipe or a socket");
	close(fd);
}
END_TEST

START_TEST(test_keyring)
{
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = random_secret(32);
	char desc[64], buf[64];
	int32_t serial = 0;
	long n;

	snprintf(desc, sizeof(desc), "vmtrust-test:%d", (int)getpid());
	ck_assert_int_eq(diskcrypt_keyring_add(key, desc, "process", &serial), 0);
	ck_assert_int_gt(serial, 0);
	n = syscall(SYS_keyctl, KEYCTL_READ, serial, buf, sizeof(buf));
	ck_assert_int_eq(n, 32);
	ck_assert_mem_eq(buf, diskcrypt_secret_data(key), 32);
	syscall(SYS_keyctl, KEYCTL_REVOKE, serial);
	ck_assert_int_eq(diskcrypt_keyring_add(key, desc, "nowhere", &serial), -EINVAL);
	ck_assert_one_error("unknown keyring 'nowhere'");
}
END_TEST

int main(void)
{
	const struct fx_tcase cases[] = {
		{ "secret", setup_dir, teardown_dir, 0, { FX_T(test_secret_locked),
			 FX_T(test_secret_wiped_for_child), FX_T(test_secret_read), FX_T(test_write_key),
			 FX_T(test_keyring) } },
		{ "policy", setup_dir, teardown_dir, 0, {
			 FX_LOOP(test_pcrs_parse, ELEMENTSOF(pcr_sets)), FX_T(test_policy_pcr_digest),
			 FX_T(test_policy_authorize_digest), FX_T(test_sign_refuses_ed25519),
			 FX_LOOP(test_pcr_policy_bad, ELEMENTSOF(bad_pcr_policies)) } },
		{ "seal", setup, teardown, 0, { FX_T(test_seal_plain), FX_LOOP(test_seal_authorized, 2) } },
		{ "volume", setup, teardown, 0, { FX_LOOP(test_format_release_luks2, 2),
			 FX_LOOP(test_enroll_rotate_revoke, 2), FX_T(test_revoke_last_keyslot),
			 FX_T(test_release_leaves_no_copy), FX_T(test_luks1_foreign_sidecar),
			 FX_LOOP(test_token_tampered, ELEMENTSOF(token_edits)),
			 FX_LOOP(test_concurrent_release_enroll, 2) } },
		{ "attested", setup, teardown, 0, { FX_T(test_release_attested),
			 FX_T(test_release_unenrolled_host) } },
	};

	return fx_run(fx_suite("diskcrypt", cases, ELEMENTSOF(cases)));
}
