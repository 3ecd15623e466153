/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* policy/: loading, validation (every malformed case names the JSON path),
 * helpers, signatures with every supported key type. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy.h"
#include "policy-internal.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
}

static char *testdata(const char *rel)
{
	const char *dir = getenv("VMTRUST_TESTDATA");
	char *p;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}

/* ---- helpers ---- */

START_TEST(test_hex)
{
	uint8_t b[4];
	char s[9];

	ck_assert_int_eq(vt_hex_decode("00aBcDeF", b, 4), 0);
	ck_assert_int_eq(b[0], 0x00);
	ck_assert_int_eq(b[1], 0xab);
	ck_assert_int_eq(b[3], 0xef);
	vt_hex_encode(b, 4, s);
	ck_assert_str_eq(s, "00abcdef");
	ck_assert_int_eq(vt_hex_decode("00abcde", b, 4), -EINVAL);
	ck_assert_int_eq(vt_hex_decode("00abcdeg", b, 4), -EINVAL);
	ck_assert_int_eq(vt_hex_decode("00abcdef00", b, 4), -EINVAL);
	ck_assert_int_eq(vt_hex_decode(NULL, b, 4), -EINVAL);
}
END_TEST

START_TEST(test_hash_algs)
{
	size_t n;
	const struct vt_hash_alg *algs = vt_hash_algs(&n);

	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, algs[i].ossl, NULL);

		ck_assert_ptr_nonnull(md);
		ck_assert_int_eq((size_t)EVP_MD_get_size(md), algs[i].size);
		EVP_MD_free(md);
		ck_assert_ptr_eq(vt_hash_alg_by_name(algs[i].name), &algs[i]);
		ck_assert_ptr_eq(vt_hash_alg_by_tpm(algs[i].tpm_alg), &algs[i]);
	}
	ck_assert_uint_eq(vt_hash_alg_by_name("sha256")->tpm_alg, 0x000b);
	ck_assert_ptr_null(vt_hash_alg_by_name("md5"));
	ck_assert_ptr_null(vt_hash_alg_by_tpm(0x0012));
}
END_TEST

START_TEST(test_read_file_limits)
{
	char dir[] = "/tmp/vmtrust-policy-XXXXXX", path[64];
	char *data = NULL;
	size_t len = 0;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);

	ck_assert_int_eq(vt_read_file(path, 10, &data, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(data, "0123456789");
	free(data);
	data = NULL;
	ck_assert_int_eq(vt_read_file(path, 9, &data, &len), -EFBIG);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(vt_read_file(dir, 100, &data, &len), -EISDIR);
	ck_assert_int_eq(vt_read_file("/nonexistent/x", 100, &data, &len), -ENOENT);
	ck_assert_str_eq(last_error, "cannot open '/nonexistent/x': No such file or directory");
	/* a stream with no size (like sysfs): bounded while reading */
	ck_assert_int_eq(vt_read_file("/dev/zero", 100000, &data, &len), -EFBIG);

	ck_assert_int_eq(vt_write_file_atomic(path, "new", 3, 0640), 0);
	ck_assert_int_eq(vt_read_file(path, 10, &data, &len), 0);
	ck_assert_str_eq(data, "new");
	free(data);
	/* a failed atomic write leaves the old file and no temporary behind */
	ck_assert_int_lt(vt_write_file_atomic("/nonexistent/dir/f", "x", 1, 0600), 0);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- loading ---- */

/* full.json with its attestation key's name set to name (a JSON value, or
 * NULL: none), loaded; the result of policy_load_buffer(). */
static int load_with_ak_name(const char *name, struct policy **ret)
{
	_cleanup_(freep) char *path = testdata("policy/full.json");
	json_object *root = json_object_from_file(path), *key;
	const char *s;
	int r;

	ck_assert_ptr_nonnull(root);
	key = json_object_array_get_idx(json_object_object_get(root, "attestation_keys"), 0);
	if (name)
		json_object_object_add(key, "name", json_tokener_parse(name));
	s = json_object_to_json_string(root);
	r = policy_load_buffer("names", s, strlen(s), ret);
	json_object_put(root);
	return r;
}

/* An attestation key's TPM name: its nameAlg (sha256, sha384, sha512) and
 * a digest of that size, in hex; image keys take no name. */
START_TEST(test_ak_names)
{
	static const struct {
		const char *name;
		const char *error;
	} bad[] = {
		{ "\"000b00\"", "$.attestation_keys[0].name: a sha256 name has 68 hex digits, not 6" },
		{ "\"0004" "0000000000000000000000000000000000000000\"",
		  "$.attestation_keys[0].name: name algorithm 0x0004 is not sha256, sha384 or sha512" },
		{ "\"00zz\"", "$.attestation_keys[0].name: not a TPM name in hex" },
		{ "7", "$.attestation_keys[0].name: expected a string" },
	};
	struct policy *p = NULL;
	const struct policy_key *keys;
	size_t n;

	ck_assert_int_eq(load_with_ak_name("\"000b"
					   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
					   &p), 0);
	keys = policy_attestation_keys(p, &n);
	ck_assert_uint_eq(keys[0].name_len, 34);
	ck_assert_uint_eq(keys[0].name[1], 0x0b);
	policy_free(p);
	p = NULL;
	ck_assert_int_eq(load_with_ak_name(NULL, &p), 0);
	ck_assert_uint_eq(policy_attestation_keys(p, &n)[0].name_len, 0);
	policy_free(p);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		p = NULL;
		ck_assert_int_eq(load_with_ak_name(bad[i].name, &p), -EINVAL);
		ck_assert_msg(strstr(last_error, bad[i].error), "'%s' lacks '%s'", last_error, bad[i].error);
	}
}
END_TEST


START_TEST(test_full_policy)
{
	_cleanup_(freep) char *path = testdata("policy/full.json");
	_cleanup_(policy_freep) struct policy *p = NULL;
	const struct policy_reference *refs;
	const struct policy_pcr_bank *sel;
	const struct policy_pcr_value *vals;
	const struct policy_image_rule *rules;
	const struct policy_key *keys;
	size_t n;

	ck_assert_int_eq(policy_load(path, &p), 0);
	ck_assert_uint_eq(n_errors, 0);
	ck_assert_uint_eq(policy_sequence(p), 42);
	ck_assert_str_eq(policy_description(p), "test policy with every section");
	ck_assert_uint_eq(policy_measurement_pcr(p), 15);

	sel = policy_quote_selection(p, &n);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sel[i].alg->name, "sha256") == 0)
			ck_assert_uint_eq(sel[i].mask, 0x80ff);
		else
			ck_assert_uint_eq(sel[i].mask, 0x81);
	}

	vals = policy_pcr_values(p, &n);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		if (vals[i].pcr == 7)
			ck_assert_uint_eq(vals[i].value[31], 0xab);

	refs = policy_references(p, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(refs[0].path, "/usr/bin/qemu-system-x86_64");
	ck_assert(refs[0].required);
	ck_assert_uint_eq(refs[0].n_digests, 2);
	ck_assert_uint_eq(refs[0].digests[1].value[0], 0x02);
	ck_assert(!refs[1].required);
	ck_assert_uint_eq(refs[1].n_digests, 2);

	keys = policy_attestation_keys(p, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(keys[0].id, "host-a");
	ck_assert_int_eq(EVP_PKEY_get_base_id(keys[0].pkey), EVP_PKEY_EC);
	ck_assert_int_eq(policy_secure_boot(p), POLICY_SECURE_BOOT_REQUIRED);

	keys = policy_image_keys(p, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(EVP_PKEY_get_base_id(keys[0].pkey), EVP_PKEY_ED25519);
	policy_image_cas(p, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(policy_revoked_keys(p, &n)[0], "old-publisher");
	ck_assert_uint_eq(policy_revoked_digests(p, &n)[0].value[0], 0x05);

	rules = policy_image_rules(p, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rules[0].name, "debian-12");
	ck_assert_uint_eq(rules[0].min_sequence, 3);
	ck_assert_uint_eq(rules[0].n_keys, 1);
	ck_assert_uint_eq(rules[0].n_domains, 1);
	ck_assert_str_eq(rules[0].domains[0], "web1");
	ck_assert_uint_eq(rules[0].n_uuids, 1);
	ck_assert_str_eq(rules[0].uuids[0], "7b1c8f1e-5a55-4c8e-9a0e-2f8f0c7d9e11");
	ck_assert(rules[0].attach_restricted);
	ck_assert_str_eq(rules[0].networks[0], "default");
	ck_assert_str_eq(rules[0].bridges[0], "br0");
	ck_assert_str_eq(rules[0].nwfilter, "clean-traffic");
	ck_assert(rules[0].inspect);
	ck_assert_uint_eq(rules[0].n_must_match, 1);
	ck_assert_str_eq(rules[0].must_match[0].path, "/etc/os-release");
	ck_assert_str_eq(rules[0].must_be_absent[0], "/etc/ssh/ssh_host_rsa_key");

	sel = policy_key_release_selection(p, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(sel[0].mask, (1u << 7) | (1u << 15));
	ck_assert_ptr_nonnull(policy_key_release_authority(p));
	ck_assert(policy_key_release_requires_attestation(p));
	ck_assert_str_eq(policy_host_required_checks(p, &n)[1], "kvm");
	ck_assert_str_eq(policy_host_min_versions(p, &n)[0].version, "1:7.2");
	ck_assert_uint_eq(policy_verdict_cache_max_age(p), 300);

	ck_assert_int_eq(policy_check_sequence(p, "x", 42), 0);
	ck_assert_int_eq(policy_check_sequence(p, "x", 43), -ESTALE);
}
END_TEST

START_TEST(test_minimal_defaults)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	static const char json[] = "{\"schema_version\": 1, \"sequence\": 0}";
	size_t n;

	ck_assert_int_eq(policy_load_buffer("m", json, strlen(json), &p), 0);
	ck_assert_uint_eq(policy_measurement_pcr(p), 15);
	ck_assert_int_eq(policy_secure_boot(p), POLICY_SECURE_BOOT_ANY);
	ck_assert(policy_key_release_requires_attestation(p));
	ck_assert_ptr_null(policy_key_release_authority(p));
	policy_references(p, &n);
	ck_assert_uint_eq(n, 0);
}
END_TEST

#define DIGEST64 "0101010101010101010101010101010101010101010101010101010101010101"
#define HEAD "{\"schema_version\":1,\"sequence\":1,"

static const struct bad_case {
	const char *json;
	int err;
	const char *message;   /* the whole line after "policy 'bad': " */
} bad_cases[] = {
	{ "hello", -EBADMSG, "$: not valid JSON at byte 0: unexpected character" },
	{ "{\"schema_version\": 1, \"seq", -EBADMSG, "$: unexpected end of input at byte 26" },
	{ "", -EBADMSG, "$: unexpected end of input at byte 0" },
	{ "{\"schema_version\":1,\"sequence\":1} x", -EBADMSG,
	  "$: not valid JSON at byte 34: unexpected character" },
	{ "[1, 2]", -EINVAL, "$: expected an object at the top level, got an array" },
	{ "{\"sequence\": 1}", -EINVAL, "$: missing key 'schema_version'" },
	{ "{\"schema_version\": 2, \"sequence\": 1}", -EINVAL,
	  "$.schema_version: unsupported schema version 2 (this vmtrust reads 1)" },
	{ "{\"schema_version\": 1}", -EINVAL, "$: missing key 'sequence'" },
	{ "{\"schema_version\": 1, \"sequence\": \"1\"}", -EINVAL,
	  "$.sequence: expected an integer, got a string" },
	{ "{\"schema_version\": 1, \"sequence\": 1.5}", -EINVAL,
	  "$.sequence: expected an integer, got a fraction" },
	{ "{\"schema_version\": 1, \"sequence\": -1}", -EINVAL, "$.sequence: must not be negative" },
	{ HEAD "\"bogus\": true}", -EINVAL, "$.bogus: unknown key" },
	{ HEAD "\"measurement\": {\"pcr\": 16}}", -EINVAL,
	  "$.measurement.pcr: PCR 16 can be reset at locality 0" },
	{ HEAD "\"measurement\": {\"pcr\": 24}}", -EINVAL, "$.measurement.pcr: out of range (at most 23)" },
	{ HEAD "\"measurement\": {\"pcrs\": 1}}", -EINVAL, "$.measurement.pcrs: unknown key" },
	{ HEAD "\"pcr_selection\": {\"md5\": [1]}}", -EINVAL,
	  "$.pcr_selection.md5: unknown hash algorithm (sha1, sha256, sha384, sha512)" },
	{ HEAD "\"pcr_selection\": {\"sha256\": [1, 7, 1]}}", -EINVAL,
	  "$.pcr_selection.sha256[2]: duplicate entry: PCR 1 listed twice" },
	{ HEAD "\"pcr_selection\": {\"sha256\": []}}", -EINVAL, "$.pcr_selection.sha256: empty PCR list" },
	{ HEAD "\"pcr_values\": {\"sha256\": {\"x\": \"" DIGEST64 "\"}}}", -EINVAL,
	  "$.pcr_values.sha256.x: not a PCR index (0 to 23)" },
	{ HEAD "\"pcr_values\": {\"sha1\": {\"0\": \"" DIGEST64 "\"}}}", -EINVAL,
	  "$.pcr_values.sha1[\"0\"]: a sha1 digest has 40 hex digits, not 64" },
	{ HEAD "\"reference_values\": [{\"path\": \"/usr/bin/qemu\", \"digests\": {\"sha256\": [\"0101\"]}}]}",
	  -EINVAL, "$.reference_values[0].digests.sha256[0]: a sha256 digest has 64 hex digits, not 4" },
	{ HEAD "\"reference_values\": [{\"path\": \"/usr/bin/qemu\", \"digests\": {\"sha256\": "
	       "\"zz01010101010101010101010101010101010101010101010101010101010101\"}}]}",
	  -EINVAL, "$.reference_values[0].digests.sha256: not a hex string" },
	{ HEAD "\"reference_values\": [{\"path\": \"usr/bin/qemu\", \"digests\": {\"sha256\": \"" DIGEST64 "\"}}]}",
	  -EINVAL, "$.reference_values[0].path: 'usr/bin/qemu' is not an absolute path" },
	{ HEAD "\"reference_values\": [{\"path\": \"/usr/../bin/qemu\", \"digests\": {\"sha256\": \"" DIGEST64 "\"}}]}",
	  -EINVAL, "$.reference_values[0].path: '/usr/../bin/qemu' is not a canonical path" },
	{ HEAD "\"reference_values\": [{\"path\": \"/a\", \"digests\": {\"sha256\": \"" DIGEST64 "\"}},"
	       "{\"path\": \"/a\", \"digests\": {\"sha256\": \"" DIGEST64 "\"}}]}",
	  -EINVAL, "$.reference_values[1].path: duplicate entry: '/a' is also at $.reference_values[0]" },
	{ HEAD "\"reference_values\": [{\"path\": \"/a\", \"digests\": {\"sha256\": [\"" DIGEST64 "\", \"" DIGEST64 "\"]}}]}",
	  -EINVAL, "$.reference_values[0].digests.sha256[1]: duplicate entry: digest listed twice" },
	{ HEAD "\"reference_values\": [{\"path\": \"/a\"}]}", -EINVAL,
	  "$.reference_values[0]: missing key 'digests'" },
	{ HEAD "\"reference_values\": [{\"path\": \"/a\", \"digests\": {}}]}", -EINVAL,
	  "$.reference_values[0].digests: no digests" },
	{ HEAD "\"reference_values\": [{\"path\": \"/a\\u0000b\", \"digests\": {}}]}", -EBADMSG,
	  "$.reference_values[0].path: string contains a NUL character" },
	{ HEAD "\"reference_values\": {}}", -EINVAL, "$.reference_values: expected an array, got an object" },
	{ HEAD "\"secure_boot\": \"maybe\"}", -EINVAL,
	  "$.secure_boot: expected \"required\", \"disabled\" or \"any\"" },
	{ HEAD "\"attestation_keys\": [{\"id\": \"a\", \"public_key\": \"not a key\"}]}", -EINVAL,
	  "$.attestation_keys[0].public_key: not a PEM public key or certificate" },
	{ HEAD "\"attestation_keys\": [{\"public_key\": \"x\"}]}", -EINVAL,
	  "$.attestation_keys[0]: missing key 'id'" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"keys\": [\"nobody\"]}]}", -EINVAL,
	  "$.images[0].keys[0]: key id 'nobody' is not in $.image_trust.keys" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"domains\": [\"web\", \"7B1C8F1E-5A55-4C8E-9A0E-2F8F0C7D9E11\"]}]}",
	  -EINVAL, "$.images[0].domains[1]: '7B1C8F1E-5A55-4C8E-9A0E-2F8F0C7D9E11' is a UUID: list it in \"uuids\" (\"domains\" are names)" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"uuids\": [\"web1\"]}]}", -EINVAL,
	  "$.images[0].uuids[0]: 'web1' is not a UUID" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"uuids\": [\"7b1c8f1e5a554c8e9a0e2f8f0c7d9e11\", "
	       "\"7B1C8F1E-5A55-4C8E-9A0E-2F8F0C7D9E11\"]}]}", -EINVAL,
	  "$.images[0].uuids[1]: duplicate entry: '7B1C8F1E-5A55-4C8E-9A0E-2F8F0C7D9E11' is also at [0]" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"networks\": [\"default\", 3]}]}", -EINVAL,
	  "$.images[0].networks[1]: expected a string, got an integer" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"nwfilter\": \"\"}]}", -EINVAL,
	  "$.images[0].nwfilter: empty string" },
	{ HEAD "\"images\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", -EINVAL,
	  "$.images[1].name: duplicate entry: image 'a' is also at $.images[0]" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"inspect\": {\"must_be_absent\": [\"/x\", \"/x\"]}}]}", -EINVAL,
	  "$.images[0].inspect.must_be_absent[1]: duplicate entry: '/x' listed twice" },
	{ HEAD "\"images\": [{\"name\": \"a\", \"inspect\": {\"must_match\": {\"etc/x\": {\"sha256\": \"" DIGEST64 "\"}}}}]}",
	  -EINVAL, "$.images[0].inspect.must_match[\"etc/x\"]: 'etc/x' is not an absolute path" },
	{ HEAD "\"image_trust\": {\"ca_certificates\": [\"junk\"]}}", -EINVAL,
	  "$.image_trust.ca_certificates[0]: not a PEM X.509 certificate" },
	{ HEAD "\"key_release\": {\"require_attestation\": 1}}", -EINVAL,
	  "$.key_release.require_attestation: expected a boolean, got an integer" },
	{ HEAD "\"host\": {\"min_versions\": {\"qemu\": 7}}}", -EINVAL,
	  "$.host.min_versions.qemu: expected a string, got an integer" },
	{ HEAD "\"verdict_cache_max_age\": 99999999999}", -EINVAL,
	  "$.verdict_cache_max_age: out of range (at most 31622400)" },
	{ HEAD "\"description\": \"\"}", -EINVAL, "$.description: empty string" },
};

START_TEST(test_bad_policy)
{
	const struct bad_case *c = &bad_cases[_i];
	struct policy *p = (struct policy *)0x1;
	char expected[1024];

	ck_assert_int_eq(policy_load_buffer("bad", c->json, strlen(c->json), &p), c->err);
	ck_assert_ptr_eq(p, (struct policy *)0x1);   /* ret untouched on failure */
	ck_assert_uint_eq(n_errors, 1);
	snprintf(expected, sizeof(expected), "policy 'bad': %s", c->message);
	ck_assert_str_eq(last_error, expected);
}
END_TEST

START_TEST(test_oversized)
{
	size_t len = POLICY_FILE_MAX + 1;
	_cleanup_(freep) char *big = malloc(len);
	struct policy *p = NULL;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	ck_assert_int_eq(policy_load_buffer("big", big, len, &p), -EFBIG);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(last_error, "policy 'big': 1048577 bytes exceed the limit of 1048576");
}
END_TEST

START_TEST(test_missing_file)
{
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load("/nonexistent/policy.json", &p), -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_int_eq(policy_load("/", &p), -EISDIR);
}
END_TEST

/* ---- strict JSON: vt_json_parse ---- */

#define NUMBER65 "12345678901234567890123456789012345678901234567890123456789012345"

static const struct json_case {
	const char *json;
	size_t len;             /* 0: strlen(json) */
	unsigned depth;         /* 0: 32 */
	int err;                /* 0: accepted */
	const char *fault;      /* "PATH: REASON" when refused */
} json_cases[] = {
	/* duplicate keys, at every depth, compared decoded */
	{ "{\"a\":1,\"a\":2}", 0, 0, -EBADMSG, "$.a: duplicate key" },
	{ "{\"a\":1,\"a\":1}", 0, 0, -EBADMSG, "$.a: duplicate key" },
	{ "{\"\":1,\"\":2}", 0, 0, -EBADMSG, "$[\"\"]: duplicate key" },
	{ "{\"x\":{\"y\":{\"z\":1,\"w\":[],\"z\":{}}}}", 0, 0, -EBADMSG, "$.x.y.z: duplicate key" },
	{ "{\"r\":[{\"p\":1},{\"p\":1,\"q\":2,\"p\":3}]}", 0, 0, -EBADMSG, "$.r[1].p: duplicate key" },
	{ "[[{\"a\":1}],[{\"b\":[{\"c\":1,\"c\":2}]}]]", 0, 0, -EBADMSG, "$[1][0].b[0].c: duplicate key" },
	{ "{\"a\":1,\"\\u0061\":2}", 0, 0, -EBADMSG, "$.a: duplicate key" },
	{ "{\"\\u0041b\":1,\"\\u0041\\u0062\":2}", 0, 0, -EBADMSG, "$.Ab: duplicate key" },
	{ "{\"/\":1,\"\\/\":2}", 0, 0, -EBADMSG, "$[\"/\"]: duplicate key" },
	{ "{\"\xc3\xa9\":1,\"\\u00E9\":2}", 0, 0, -EBADMSG, "$[\"\xc3\xa9\"]: duplicate key" },
	{ "{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}", 0, 0, -EBADMSG, "$[\"\xf0\x9f\x98\x80\"]: duplicate key" },
	/* the path escapes what would break the line */
	{ "{\"q\\\"\":1,\"q\\u0022\":2}", 0, 0, -EBADMSG, "$[\"q\\\"\"]: duplicate key" },
	{ "{\"a\\nb\":1,\"a\\u000ab\":2}", 0, 0, -EBADMSG, "$[\"a\\u000ab\"]: duplicate key" },
	/* the first repeat in the text is named */
	{ "{\"b\":1,\"a\":1,\"a\":2,\"b\":2}", 0, 0, -EBADMSG, "$.a: duplicate key" },
	{ "{\"k\":{\"a\":1,\"a\":2},\"k\":3}", 0, 0, -EBADMSG, "$.k.a: duplicate key" },
	/* equal names in different objects, and near misses, are fine */
	{ "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}", 0, 0, 0, NULL },
	{ "{\"a\":1,\"A\":2,\"ab\":3,\"a \":4,\"\":5,\"\\u00e9\":6,\"e\\u0301\":7}", 0, 0, 0, NULL },
	/* what json-c takes and a C string or another reader reads otherwise */
	{ "{\"a\":\"x\\u0000y\"}", 0, 0, -EBADMSG, "$.a: string contains a NUL character" },
	{ "{\"a\\u0000b\":1,\"a\":2}", 0, 0, -EBADMSG, "$: string contains a NUL character" },
	{ "{\"a\":\"x\0y\"}", 11, 0, -EBADMSG, "$: a NUL byte at byte 7" },
	{ "{\"a\":1}\0{\"a\":2}", 15, 0, -EBADMSG, "$: a NUL byte at byte 7" },
	{ "{\"a\":\"\\ud800\"}", 0, 0, -EBADMSG, "$.a: a lone UTF-16 surrogate at byte 6" },
	{ "{\"a\":\"\\udc00\\ud800\"}", 0, 0, -EBADMSG, "$.a: a lone UTF-16 surrogate at byte 6" },
	{ "{\"a\":\"\\ud800\\u0041\"}", 0, 0, -EBADMSG, "$.a: a lone UTF-16 surrogate at byte 6" },
	{ "{\"a\":\"\xc0\xaf\"}", 0, 0, -EBADMSG, "$.a: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xe0\x80\xaf\"}", 0, 0, -EBADMSG, "$.a: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xed\xa0\x80\"}", 0, 0, -EBADMSG, "$.a: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, 0, -EBADMSG, "$.a: invalid UTF-8 at byte 6" },
	{ "{\"\xc0\xaf\":1}", 0, 0, -EBADMSG, "$: invalid UTF-8 at byte 2" },
	{ "{\"a\":\"\xff\"}", 0, 0, -EBADMSG, "$: not valid JSON at byte 6: invalid utf-8 string" },
	{ "{\"a\":\"x\ty\"}", 0, 0, -EBADMSG, "$.a: an unescaped control character at byte 7" },
	/* the same past a run of plain bytes (read eight at a time) */
	{ "{\"a\":\"0123456789abcdef\tx\"}", 0, 0, -EBADMSG, "$.a: an unescaped control character at byte 22" },
	{ "{\"a\":\"0123456789abcdef\xc0\xaf\"}", 0, 0, -EBADMSG, "$.a: invalid UTF-8 at byte 22" },
	{ "{\"a\":\"0123456789abcdef\\u0000\"}", 0, 0, -EBADMSG, "$.a: string contains a NUL character" },
	{ "{\"0123456789abcdef\x7f\":1,\"0123456789abcdef\\u007f\":2}", 0, 0, -EBADMSG,
	  "$[\"0123456789abcdef\\u007f\"]: duplicate key" },
	{ "{\"0123456789abcdef\":\"0123456789abcdef\x7f\xc3\xa9\xf0\x9f\x98\x80\\\"0123456789\"}", 0, 0, 0, NULL },
	{ "{\"a\":[1,00]}", 0, 0, -EBADMSG, "$.a[1]: a number with a leading zero at byte 8" },
	{ "{\"a\":-01}", 0, 0, -EBADMSG, "$.a: a number with a leading zero at byte 5" },
	{ "{\"a\":1.}", 0, 0, -EBADMSG, "$.a: not valid JSON at byte 5: a number without digits after its point" },
	{ "{\"a\":NaN}", 0, 0, -EBADMSG, "$.a: not valid JSON at byte 5: unexpected character" },
	{ "{\"a\":Infinity}", 0, 0, -EBADMSG, "$.a: not valid JSON at byte 5: unexpected character" },
	{ "{\"a\":-Infinity}", 0, 0, -EBADMSG, "$.a: not valid JSON at byte 5: number expected" },
	{ "{\"a\":99999999999999999999}", 0, 0, -EBADMSG, "$.a: an integer out of range at byte 5" },
	{ "{\"a\":18446744073709551616}", 0, 0, -EBADMSG, "$.a: an integer out of range at byte 5" },
	{ "{\"a\":-9223372036854775809}", 0, 0, -EBADMSG, "$.a: an integer out of range at byte 5" },
	{ "{\"a\":1e400}", 0, 0, -EBADMSG, "$.a: a number out of range at byte 5" },
	{ "{\"a\":" NUMBER65 "}", 0, 0, -EBADMSG, "$.a: a number longer than 64 characters at byte 5" },
	{ "{\"a\":18446744073709551615,\"b\":-9223372036854775808,\"c\":-0.5e+3,\"d\":0,\"e\":1E-2}",
	  0, 0, 0, NULL },
	/* one document, nothing after it but whitespace */
	{ "{\"a\":1} \r\n\t", 0, 0, 0, NULL },
	{ "{\"a\":1} x", 0, 0, -EBADMSG, "$: not valid JSON at byte 8: unexpected character" },
	{ "{\"a\":1}{\"a\":2}", 0, 0, -EBADMSG, "$: not valid JSON at byte 7: unexpected character" },
	{ "\xef\xbb\xbf{}", 0, 0, -EBADMSG, "$: not valid JSON at byte 0: invalid utf-8 string" },
	{ "{\"a\":", 0, 0, -EBADMSG, "$: unexpected end of input at byte 5" },
	{ "", 0, 0, -EBADMSG, "$: unexpected end of input at byte 0" },
	/* depth as json-c counts it */
	{ "[[[1]]]", 0, 4, 0, NULL },
	{ "[[[[1]]]]", 0, 4, -EBADMSG, "$: not valid JSON at byte 4: nesting too deep" },
	{ "{}", 0, 1, -EINVAL, "$: " },
	{ "{}", 0, VT_JSON_DEPTH_MAX + 1, -EINVAL, "$: " },
};

static int count_tokens(void *userdata, const struct vt_json_token *t)
{
	(void)t;
	++*(size_t *)userdata;
	return 0;
}

struct walk_log {
	char line[16][64];
	size_t n, stop_at;       /* stop_at: fail at that token (0: never) */
};

static int log_tokens(void *userdata, const struct vt_json_token *t)
{
	static const char *const types[] = { "object", "array", "end", "string", "number",
					     "true", "false", "null" };
	struct walk_log *l = userdata;
	char where[32];

	if (l->stop_at && l->n == l->stop_at)
		return -ECANCELED;
	ck_assert_uint_lt(l->n, ELEMENTSOF(l->line));
	if (t->key)
		snprintf(where, sizeof(where), "%.*s", (int)t->key_len, t->key);
	else if (t->depth)
		snprintf(where, sizeof(where), "%zu", t->index);
	else
		snprintf(where, sizeof(where), "-");
	snprintf(l->line[l->n++], sizeof(l->line[0]), "%zu %s %s %.*s", t->depth, types[t->type], where,
		 t->value ? (int)t->value_len : 1, t->value ? t->value : "-");
	if (t->type == VT_JSON_STRING)
		ck_assert_uint_eq(strlen(t->value), t->value_len);
	return 0;
}

START_TEST(test_json_parse)
{
	const struct json_case *c = &json_cases[_i];
	struct json_object *o = (struct json_object *)0x1;
	struct vt_json_error e;
	char fault[sizeof(e.path.buf) + sizeof(e.reason) + 2];
	int r;

	r = vt_json_parse(c->json, c->len ? c->len : strlen(c->json), c->depth ? c->depth : 32, &o, &e);
	ck_assert_msg(r == c->err, "case %d: %d, not %d (%s: %s)", _i, r, c->err, e.path.buf, e.reason);
	if (c->err == 0) {
		ck_assert_ptr_nonnull(o);
		json_object_put(o);
		return;
	}
	ck_assert_ptr_eq(o, (struct json_object *)0x1);   /* ret untouched on failure */
	snprintf(fault, sizeof(fault), "%s: %s", e.path.buf, e.reason);
	ck_assert_str_eq(fault, c->fault);
	ck_assert_uint_eq(n_errors, 0);                    /* never logs */
}
END_TEST

/* Texts json-c refuses before the strict pass sees them: the walk's words. */
static const struct {
	const char *json, *walk_fault;
} jsonc_faults[] = {
	{ "{\"a\":\"\xff\"}", "$.a: invalid UTF-8 at byte 6" },
	{ "{\"a\":1} x", "$: trailing data at byte 8" },
	{ "{\"a\":1}{\"a\":2}", "$: trailing data at byte 7" },
	{ "\xef\xbb\xbf{}", "$: not valid JSON at byte 0: unexpected character" },
	{ "{\"a\":", "$.a: unexpected end of input at byte 5" },
	{ "[[[[1]]]]", "$[0][0][0]: nested deeper than 3 levels" },
};

/* The walker refuses what the parser refuses, with the same fault where the
 * fault is the strict pass's (json-c's own words differ: json-c is not in
 * the walk), and accepts what it accepts. */
START_TEST(test_json_walk_same)
{
	const struct json_case *c = &json_cases[_i];
	struct vt_json_error e;
	char fault[sizeof(e.path.buf) + sizeof(e.reason) + 2];
	size_t n = 0;
	int r;

	r = vt_json_walk(c->json, c->len ? c->len : strlen(c->json), c->depth ? c->depth : 32,
			     count_tokens, &n, &e);
	ck_assert_msg(r == c->err, "case %d: %d, not %d (%s: %s)", _i, r, c->err, e.path.buf, e.reason);
	ck_assert_uint_eq(n_errors, 0);
	if (c->err == 0) {
		ck_assert_uint_gt(n, 0);
		return;
	}
	snprintf(fault, sizeof(fault), "%s: %s", e.path.buf, e.reason);
	for (size_t i = 0; i < ELEMENTSOF(jsonc_faults); i++)
		if (strcmp(c->json, jsonc_faults[i].json) == 0) {
			ck_assert_str_eq(fault, jsonc_faults[i].walk_fault);
			return;
		}
	ck_assert_str_eq(fault, c->fault);
}
END_TEST

/* What the visitor is told, in document order: keys and strings decoded,
 * numbers as written, containers opened and closed at their depth. */
START_TEST(test_json_walk_tokens)
{
	static const char json[] = "{\"a\": [1, \"x\\u0041\", {\"\\u0062\": null}], \"c\": -0.5e3, \"d\": {}, \"e\": true}";
	static const char *const want[] = {
		"0 object - -", "1 array a -", "2 number 0 1", "2 string 1 xA", "2 object 2 -",
		"3 null b -", "2 end 2 -", "1 end a -", "1 number c -0.5e3", "1 object d -",
		"1 end d -", "1 true e -", "0 end - -",
	};
	struct walk_log log = { 0 };
	struct vt_json_error e;

	ck_assert_int_eq(vt_json_walk(json, strlen(json), 32, log_tokens, &log, &e), 0);
	ck_assert_uint_eq(log.n, ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		ck_assert_str_eq(log.line[i], want[i]);

	/* the visitor's error ends the walk, as it is */
	log.n = 0;
	log.stop_at = 3;
	ck_assert_int_eq(vt_json_walk(json, strlen(json), 32, log_tokens, &log, &e), -ECANCELED);
	ck_assert_uint_eq(log.n, 3);
	/* a duplicate is found when its object closes, after the visitor saw it */
	log.n = 0;
	log.stop_at = 0;
	ck_assert_int_eq(vt_json_walk("{\"k\":1,\"k\":2}", 13, 32, log_tokens, &log, &e), -EBADMSG);
	ck_assert_str_eq(e.path.buf, "$.k");
	ck_assert_str_eq(e.reason, "duplicate key");
	ck_assert_int_eq(vt_json_walk("{}", 2, 32, NULL, NULL, &e), -EINVAL);
}
END_TEST

/* An object of many keys: found in one pass (sorted per object, not
 * compared pairwise), the repeat named wherever it is. */
START_TEST(test_json_many_keys)
{
	enum { N = 200000 };
	size_t size = (size_t)N * 16 + 64, len = 0;
	_cleanup_(freep) char *text = malloc(size);
	struct json_object *o = NULL;
	struct vt_json_error e;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, size - len, "{\"list\":[{");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, size - len, "%s\"k%d\":%d", i ? "," : "", i, i);
	len += (size_t)snprintf(text + len, size - len, "}]}");
	ck_assert_int_eq(vt_json_parse(text, len, 32, &o, &e), 0);
	ck_assert_int_eq(json_object_object_length(json_object_array_get_idx(
				 json_object_object_get(o, "list"), 0)), N);
	json_object_put(o);

	/* the same key again, spelled with an escape, at the end */
	len -= 3;
	len += (size_t)snprintf(text + len, size - len, ",\"k\\u0031234\":0}]}");
	ck_assert_int_eq(vt_json_parse(text, len, 32, &o, &e), -EBADMSG);
	ck_assert_str_eq(e.path.buf, "$.list[0].k1234");
	ck_assert_str_eq(e.reason, "duplicate key");

	/* many small objects */
	len = (size_t)snprintf(text, size, "[");
	for (int i = 0; i < N / 4; i++)
		len += (size_t)snprintf(text + len, size - len, "%s{\"a\":1,\"b\":{\"a\":2}}", i ? "," : "");
	len += (size_t)snprintf(text + len, size - len, ",{\"a\":1,\"b\":2,\"a\":3}]");
	ck_assert_int_eq(vt_json_parse(text, len, 32, &o, &e), -EBADMSG);
	snprintf(text, size, "$[%d].a", N / 4);
	ck_assert_str_eq(e.path.buf, text);
}
END_TEST

/* The parsers of the policy file report it in their own style. */
START_TEST(test_policy_duplicate_key)
{
	static const char json[] = HEAD "\"reference_values\": [{\"path\": \"/a\", \"digests\": {\"sha256\": \""
		DIGEST64 "\"}, \"path\": \"/b\"}]}";
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load_buffer("p.json", json, strlen(json), &p), -EBADMSG);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(n_errors, 1);
	ck_assert_str_eq(last_error, "policy 'p.json': $.reference_values[0].path: duplicate key");
}
END_TEST

/* ---- signatures ---- */

static const char *const key_specs[] = { "ed25519", "p256", "p384", "rsa3072" };

static char *make_key(const char *dir, const char *spec, char **ret_pub)
{
	EVP_PKEY *pkey;
	char *priv, *pub;
	FILE *f;

	if (strcmp(spec, "ed25519") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(spec, "p256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(spec, "p384") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_ge(asprintf(&priv, "%s/%s.key", dir, spec), 0);
	ck_assert_int_ge(asprintf(&pub, "%s/%s.pub", dir, spec), 0);
	f = fopen(priv, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	f = fopen(pub, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, pkey), 1);
	fclose(f);
	EVP_PKEY_free(pkey);
	*ret_pub = pub;
	return priv;
}

START_TEST(test_sign_verify)
{
	char dir[] = "/tmp/vmtrust-sign-XXXXXX";
	_cleanup_(freep) char *priv = NULL, *pub = NULL, *other_priv = NULL, *other_pub = NULL;
	_cleanup_(freep) char *pol = NULL, *sig = NULL;
	_cleanup_(freep) uint8_t *s = NULL;
	struct policy *p = NULL;
	static const char json[] = "{\"schema_version\": 1, \"sequence\": 7}\n";
	size_t s_len;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	priv = make_key(dir, key_specs[_i], &pub);
	other_priv = make_key(dir, key_specs[(_i + 1) % ELEMENTSOF(key_specs)], &other_pub);

	/* raw sign/verify */
	ck_assert_int_eq(policy_sign(priv, "abc", 3, &s, &s_len), 0);
	ck_assert_int_eq(policy_verify(pub, "abc", 3, s, s_len), 0);
	ck_assert_int_eq(policy_verify(pub, "abd", 3, s, s_len), -EKEYREJECTED);
	ck_assert_int_eq(policy_verify(other_pub, "abc", 3, s, s_len), -EKEYREJECTED);
	s[s_len / 2] ^= 1;
	ck_assert_int_eq(policy_verify(pub, "abc", 3, s, s_len), -EKEYREJECTED);

	/* a signed policy file */
	ck_assert_int_ge(asprintf(&pol, "%s/policy.json", dir), 0);
	ck_assert_int_ge(asprintf(&sig, "%s/policy.json.sig", dir), 0);
	f = fopen(pol, "w");
	fputs(json, f);
	fclose(f);
	ck_assert_int_eq(policy_load_signed(pol, NULL, pub, &p), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(last_error, "is not signed: no signature '"));
	ck_assert_int_eq(policy_sign_file(priv, NULL, pol, NULL), 0);
	ck_assert_int_eq(access(sig, F_OK), 0);
	ck_assert_int_eq(policy_load_signed(pol, NULL, pub, &p), 0);
	ck_assert_uint_eq(policy_sequence(p), 7);
	policy_free(p);
	p = NULL;
	ck_assert_int_eq(policy_load_signed(pol, NULL, other_pub, &p), -EKEYREJECTED);
	ck_assert_ptr_null(p);

	/* tampered: one byte of the policy changed, still valid JSON */
	f = fopen(pol, "w");
	fputs("{\"schema_version\": 1, \"sequence\": 8}\n", f);
	fclose(f);
	ck_assert_int_eq(policy_load_signed(pol, NULL, pub, &p), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(last_error, "does not verify"));

	/* a private key where a public one is expected, and the reverse */
	ck_assert_int_eq(policy_sign(pub, "abc", 3, &s, &s_len), -EINVAL);

	unlink(pol);
	unlink(sig);
	unlink(priv);
	unlink(pub);
	unlink(other_priv);
	unlink(other_pub);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_sign_refuses_invalid_policy)
{
	char dir[] = "/tmp/vmtrust-sign-XXXXXX";
	_cleanup_(freep) char *priv = NULL, *pub = NULL, *pol = NULL, *sig = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	priv = make_key(dir, "ed25519", &pub);
	ck_assert_int_ge(asprintf(&pol, "%s/p.json", dir), 0);
	ck_assert_int_ge(asprintf(&sig, "%s/p.json.sig", dir), 0);
	f = fopen(pol, "w");
	fputs("{\"schema_version\": 1}", f);
	fclose(f);
	ck_assert_int_eq(policy_sign_file(priv, NULL, pol, NULL), -EINVAL);
	ck_assert_int_eq(access(sig, F_OK), -1);
	unlink(pol);
	unlink(priv);
	unlink(pub);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_weak_keys_refused)
{
	char dir[] = "/tmp/vmtrust-weak-XXXXXX", path[64];
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	void *loaded = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rsa1024.pub", dir);
	f = fopen(path, "w");
	PEM_write_PUBKEY(f, pkey);
	fclose(f);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(policy_load_public_key(path, &loaded), -EOPNOTSUPP);
	ck_assert_ptr_null(loaded);
	ck_assert_ptr_nonnull(strstr(last_error, "RSA key shorter than 2048 bits"));

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	f = fopen(path, "w");
	PEM_write_PUBKEY(f, pkey);
	fclose(f);
	EVP_PKEY_free(pkey);
	ck_assert_int_eq(policy_load_public_key(path, &loaded), -EOPNOTSUPP);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("helpers");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_hash_algs);
	tcase_add_test(tc, test_read_file_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_full_policy);
	tcase_add_test(tc, test_ak_names);
	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_bad_policy, 0, (int)ELEMENTSOF(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("strict json");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_json_parse, 0, (int)ELEMENTSOF(json_cases));
	tcase_add_loop_test(tc, test_json_walk_same, 0, (int)ELEMENTSOF(json_cases));
	tcase_add_test(tc, test_json_walk_tokens);
	tcase_add_test(tc, test_json_many_keys);
	tcase_add_test(tc, test_policy_duplicate_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("signatures");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_sign_verify, 0, (int)ELEMENTSOF(key_specs));
	tcase_add_test(tc, test_sign_refuses_invalid_policy);
	tcase_add_test(tc, test_weak_keys_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
