/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust policy check | sign */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"
#include "policy.h"



static void format_selection(const struct policy_pcr_bank *b, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s:", i ? " " : "", b[i].alg->name);
		for (unsigned pcr = 0, first = 1; pcr < POLICY_PCR_MAX && len < size; pcr++)
			if (b[i].mask & (1u << pcr)) {
				len += (size_t)snprintf(buf + len, size - len, "%s%u", first ? "" : ",", pcr);
				first = 0;
			}
		if (len >= size)
			break;
	}
}

static json_object *selection_json(const struct policy_pcr_bank *b, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < n; i++) {
		json_object *a = json_object_new_array();

		for (unsigned pcr = 0; a && pcr < POLICY_PCR_MAX; pcr++)
			if (b[i].mask & (1u << pcr))
				json_object_array_add(a, json_object_new_int((int)pcr));
		json_object_object_add(o, b[i].alg->name, a);
	}
	return o;
}

static int print_summary(struct cli_ctx *ctx, const char *path, const struct policy *p,
			 const char *signed_by)
{
	size_t n_sel, n_vals, n_refs, n_aks, n_ikeys, n_cas, n_rk, n_rd, n_rules, n_rel, n_chk,
		n_ver, required = 0;
	const struct policy_pcr_bank *sel = policy_quote_selection(p, &n_sel);
	const struct policy_reference *refs = policy_references(p, &n_refs);
	const struct policy_pcr_bank *rel = policy_key_release_selection(p, &n_rel);
	static const char *const sb[] = { "any", "required", "disabled" };
	char buf[512];

	policy_pcr_values(p, &n_vals);
	policy_attestation_keys(p, &n_aks);
	policy_image_keys(p, &n_ikeys);
	policy_image_cas(p, &n_cas);
	policy_revoked_keys(p, &n_rk);
	policy_revoked_digests(p, &n_rd);
	policy_image_rules(p, &n_rules);
	policy_host_required_checks(p, &n_chk);
	policy_host_min_versions(p, &n_ver);
	for (size_t i = 0; i < n_refs; i++)
		required += refs[i].required;

	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();

		if (!o)
			return CLI_EXIT_INTERNAL;
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "valid", json_object_new_boolean(1));
		json_object_object_add(o, "signed_by", signed_by ? json_object_new_string(signed_by) : NULL);
		json_object_object_add(o, "schema_version", json_object_new_int(POLICY_SCHEMA_VERSION));
		json_object_object_add(o, "sequence", json_object_new_uint64(policy_sequence(p)));
		json_object_object_add(o, "measurement_pcr",
				       json_object_new_int((int)policy_measurement_pcr(p)));
		json_object_object_add(o, "pcr_selection", selection_json(sel, n_sel));
		json_object_object_add(o, "pcr_values", json_object_new_uint64(n_vals));
		json_object_object_add(o, "reference_values", json_object_new_uint64(n_refs));
		json_object_object_add(o, "required_files", json_object_new_uint64(required));
		json_object_object_add(o, "attestation_keys", json_object_new_uint64(n_aks));
		json_object_object_add(o, "secure_boot", json_object_new_string(sb[policy_secure_boot(p)]));
		json_object_object_add(o, "image_keys", json_object_new_uint64(n_ikeys));
		json_object_object_add(o, "ca_certificates", json_object_new_uint64(n_cas));
		json_object_object_add(o, "revoked_keys", json_object_new_uint64(n_rk));
		json_object_object_add(o, "revoked_digests", json_object_new_uint64(n_rd));
		json_object_object_add(o, "image_rules", json_object_new_uint64(n_rules));
		json_object_object_add(o, "key_release_selection", selection_json(rel, n_rel));
		json_object_object_add(o, "key_release_authorized",
				       json_object_new_boolean(policy_key_release_authority(p) != NULL));
		json_object_object_add(o, "host_required_checks", json_object_new_uint64(n_chk));
		json_object_object_add(o, "host_min_versions", json_object_new_uint64(n_ver));
		json_object_object_add(o, "verdict_cache_max_age",
				       json_object_new_uint64(policy_verdict_cache_max_age(p)));
		cli_print_json(o);
		return CLI_EXIT_OK;
	}

	printf("policy '%s': valid\n", path);
	printf("  schema version %d, sequence %" PRIu64 "\n", POLICY_SCHEMA_VERSION,
	       policy_sequence(p));
	if (policy_description(p))
		printf("  description: %s\n", policy_description(p));
	printf("  signature: %s%s%s\n", signed_by ? "good, key '" : "not checked (no --key)",
	       signed_by ? signed_by : "", signed_by ? "'" : "");
	printf("  measurement pcr: %u\n", policy_measurement_pcr(p));
	format_selection(sel, n_sel, buf, sizeof(buf));
	printf("  quote selection: %s\n", n_sel ? buf : "none");
	printf("  expected pcr values: %zu\n", n_vals);
	printf("  reference values: %zu paths, %zu required\n", n_refs, required);
	printf("  attestation keys: %zu\n", n_aks);
	printf("  secure boot: %s\n", sb[policy_secure_boot(p)]);
	printf("  image trust: %zu keys, %zu CAs, %zu revoked keys, %zu revoked digests\n", n_ikeys,
	       n_cas, n_rk, n_rd);
	printf("  image rules: %zu\n", n_rules);
	format_selection(rel, n_rel, buf, sizeof(buf));
	printf("  key release: pcrs %s, authorized policy %s, attestation %s\n", n_rel ? buf : "none",
	       policy_key_release_authority(p) ? "yes" : "no",
	       policy_key_release_requires_attestation(p) ? "required" : "not required");
	printf("  host: %zu required checks, %zu minimum versions\n", n_chk, n_ver);
	printf("  verdict cache max age: %" PRIu64 " s\n", policy_verdict_cache_max_age(p));
	return CLI_EXIT_OK;
}

static int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "signature", required_argument, NULL, 's' },
		{ "min-sequence", required_argument, NULL, 'm' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_policy, "check");
	struct cli_options o = CLI_OPTIONS("policy", verb, argc, argv, ":", opts, NULL);
	_cleanup_(policy_freep) struct policy *p = NULL;
	const char *key = NULL, *sig = NULL;
	uint64_t min_seq = 0;
	int c, r;

	while ((c = cli_next_option(&o)) > 0)
		switch (c) {
		case 'k': key = optarg; break;
		case 's': sig = optarg; break;
		case 'm':
			if (cli_parse_u64(optarg, &min_seq) < 0)
				return cli_usage_error("policy", verb, "--min-sequence '%s' is not a number", optarg);
			break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (optind != argc - 1)
		return cli_usage_error("policy", verb, "expected one policy FILE");
	if (sig && !key)
		return cli_usage_error("policy", verb, "--signature needs --key");

	r = key ? policy_load_signed(argv[optind], sig, key, &p) : policy_load(argv[optind], &p);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", argv[optind]);
	r = policy_check_sequence(p, argv[optind], min_seq);
	if (r < 0)
		return cli_fail(r, "policy '%s' refused", argv[optind]);
	return print_summary(ctx, argv[optind], p, key);
}

/* sign and pubkey: the key options and -o, one parse; operands at optind. */
static int key_verb_options(struct cli_ctx *ctx, const struct cli_verb *verb, int argc, char **argv,
			    struct cli_key *ko, const char **ret_out)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		CLI_KEY_OPTIONS,
		{ 0 },
	};
	struct cli_options o = CLI_OPTIONS("policy", verb, argc, argv, ":o:", opts, ko);
	int c;

	cli_key_init(ko, ctx);
	while ((c = cli_next_option(&o)) > 0)
		*ret_out = optarg;   /* -o, --output: the only option left */
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (!ko->path)
		return cli_usage_error("policy", verb, "missing --key");
	return CLI_EXIT_OK;
}

static int cmd_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *verb = cli_verb_of(&cli_area_policy, "sign");
	const char *out = NULL;
	struct cli_key ko;
	int r;

	r = key_verb_options(ctx, verb, argc, argv, &ko, &out);
	if (r)
		return r;
	if (optind != argc - 1)
		return cli_usage_error("policy", verb, "expected one policy FILE");
	r = policy_sign_file(ko.path, &ko.opts, argv[optind], out);
	if (r < 0)
		return cli_fail(r, "cannot sign policy '%s'", argv[optind]);
	if (ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: signed '%s'\n", argv[optind]);
	return CLI_EXIT_OK;
}

static int cmd_pubkey(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *verb = cli_verb_of(&cli_area_policy, "pubkey");
	_cleanup_(policy_signer_freep) struct policy_signer *signer = NULL;
	_cleanup_(freep) char *pem = NULL;
	const char *out = NULL;
	struct cli_key ko;
	size_t len;
	int r;

	r = key_verb_options(ctx, verb, argc, argv, &ko, &out);
	if (r)
		return r;
	if (optind != argc)
		return cli_usage_error("policy", verb, "unexpected argument '%s'", argv[optind]);
	r = policy_signer_load(ko.path, &ko.opts, &signer);
	if (r < 0)
		return cli_fail(r, "cannot use key '%s'", ko.path);
	r = policy_pkey_to_pem(policy_signer_public(signer), &pem, &len);
	if (r < 0)
		return cli_fail(r, "cannot write the public key");
	if (out) {
		r = vt_write_file_atomic(out, pem, len, 0644);
		if (r < 0)
			return cli_fail(r, "cannot write '%s'", out);
	} else if (fwrite(pem, 1, len, stdout) != len || fflush(stdout) != 0)
		return cli_fail(-EIO, "cannot write the public key");
	return CLI_EXIT_OK;
}

static void evidence_list_freep(struct attest_evidence ***list)
{
	for (size_t i = 0; *list && (*list)[i]; i++)
		attest_evidence_free((*list)[i]);
	free(*list);
}

static int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-evidence", required_argument, NULL, 'e' },
		{ "merge", required_argument, NULL, 'm' },
		{ "pcr", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "enrollment", required_argument, NULL, 'E' },
		{ "ak-name", required_argument, NULL, 'n' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_policy, "init");
	struct cli_options o = CLI_OPTIONS("policy", verb, argc, argv, ":o:", opts, NULL);
	_cleanup_(evidence_list_freep) struct attest_evidence **ev = NULL;
	_cleanup_(freep) const char **names = NULL;
	_cleanup_(freep) struct attest_ak_name *proven = NULL;
	_cleanup_(freep) char *base = NULL, *out_json = NULL;
	_cleanup_(policy_freep) struct policy *checked = NULL, *base_policy = NULL;
	const char *merge = NULL, *out = NULL;
	size_t n = 0, n_proven = 0, base_len = 0;
	uint64_t pcr = VT_MEASUREMENT_PCR_DEFAULT;
	int c, r;

	ev = calloc((size_t)argc + 1, sizeof(*ev));
	names = calloc((size_t)argc + 1, sizeof(*names));
	proven = calloc((size_t)argc + 1, sizeof(*proven));
	if (!ev || !names || !proven)
		return cli_fail(-ENOMEM, "cannot write policy");
	while ((c = cli_next_option(&o)) > 0)
		switch (c) {
		case 'e': {
			_cleanup_(freep) char *data = NULL;
			size_t len;

			r = vt_read_file(optarg, ATTEST_EVIDENCE_MAX, &data, &len);
			if (r < 0)
				return cli_fail(r, "cannot read evidence '%s'", optarg);
			r = attest_evidence_parse(optarg, data, len, &ev[n]);
			if (r < 0)
				return cli_fail(r, "cannot read evidence '%s'", optarg);
			names[n++] = optarg;
			break;
		}
		case 'E': {
			_cleanup_(freep) char *pem = NULL;

			/* CHALLENGE RESPONSE: the second is the next argument */
			if (optind >= argc)
				return cli_usage_error("policy", verb, "--enrollment needs CHALLENGE and RESPONSE");
			r = cmd_attest_enrollment_check(optarg, argv[optind], proven[n_proven].bytes,
							&proven[n_proven].len, &pem);
			if (r < 0)
				return cli_exit_code(r);
			optind++;
			n_proven++;
			break;
		}
		case 'n':
			if (cmd_attest_parse_ak_name(optarg, proven[n_proven].bytes, &proven[n_proven].len) < 0)
				return cli_usage_error("policy", verb, "--ak-name '%s' is not a hex name", optarg);
			n_proven++;
			break;
		case 'm': merge = optarg; break;
		case 'o': out = optarg; break;
		case 'p':
			if (cli_parse_range(optarg, 0, POLICY_PCR_MAX - 1, &pcr) < 0)
				return cli_usage_error("policy", verb, "--pcr '%s' is not a PCR index", optarg);
			break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (n == 0)
		return cli_usage_error("policy", verb, "missing --from-evidence");
	if (!out)
		return cli_usage_error("policy", verb, "missing -o OUT");
	if (optind != argc)
		return cli_usage_error("policy", verb, "unexpected argument '%s'", argv[optind]);
	if (merge) {
		/* Merge only into a policy that is valid as it stands. */
		r = vt_read_file(merge, POLICY_FILE_MAX, &base, &base_len);
		if (r < 0)
			return cli_fail(r, "cannot read policy '%s'", merge);
		r = policy_load_buffer(merge, base, base_len, &base_policy);
		if (r < 0)
			return cli_fail(r, "cannot merge into policy '%s'", merge);
		pcr = policy_measurement_pcr(base_policy);
	}
	r = attest_policy_from_evidence(base, base_len, (const struct attest_evidence *const *)ev,
					names, n, proven, n_proven, (unsigned)pcr, &out_json);
	if (r < 0)
		return cli_fail(r, "cannot write policy '%s'", out);
	/* What is written must load: never leave a policy a host would refuse. */
	r = policy_load_buffer(out, out_json, strlen(out_json), &checked);
	if (r < 0)
		return cli_fail(r, "cannot write policy '%s'", out);
	r = vt_write_file_atomic(out, out_json, strlen(out_json), 0644);
	if (r < 0)
		return cli_fail(r, "cannot write policy '%s'", out);
	if (ctx->verbosity >= 0) {
		size_t n_refs, n_aks;

		policy_references(checked, &n_refs);
		policy_attestation_keys(checked, &n_aks);
		fprintf(stderr, "vmtrust: wrote '%s': sequence %" PRIu64 ", %zu reference paths, %zu attestation keys; review and sign it\n",
			out, policy_sequence(checked), n_refs, n_aks);
	}
	return CLI_EXIT_OK;
}

static const struct cli_verb policy_verbs[] = {
	{ "check", "[--key PUB [--signature SIG]] [--min-sequence N] FILE",
	  "validate a policy file and print a summary",
	  "  --key PUB          refuse the policy unless its detached signature verifies\n"
	  "                     with this public key (PEM key or certificate)\n"
	  "  --signature SIG    the signature file (default: FILE.sig)\n"
	  "  --min-sequence N   refuse a policy whose sequence is below N (rollback)\n",
	  cmd_check },
	{ "sign", "--key KEY [--pin-file FILE] [-o SIG] FILE", "write a detached signature of a policy file",
	  CLI_KEY_HELP
	  "                     Ed25519, ECDSA P-256/P-384 or RSA (PSS)\n"
	  "  -o, --output SIG   where to write the signature (default: FILE.sig)\n",
	  cmd_sign },
	{ "init", "--from-evidence EVIDENCE... (--enrollment CHALLENGE RESPONSE | --ak-name HEX)... [--merge POLICY] -o OUT",
	  "write a policy from a known-good host's evidence",
	  "  --from-evidence E  evidence from 'vmtrust attest quote' (repeatable: several\n"
	  "                     hosts; their file digests and AKs are all allowed)\n"
	  "  --enrollment CHALLENGE RESPONSE\n"
	  "                     an enrollment of an evidence's AK that 'vmtrust attest\n"
	  "                     enroll-verify' accepts: the proof that the AK lives in a TPM\n"
	  "  --ak-name HEX      or the AK's name, as enroll-verify printed it (repeatable)\n"
	  "An AK is pinned only with such a proof and when the quote verifies under it.\n"
	  "  --merge POLICY     add to this policy; its sequence grows by one\n"
	  "  --pcr N            the measurement PCR of a new policy (default 15)\n"
	  "  -o, --output OUT   where to write the policy (atomically)\n"
	  "Review the result and sign it: 'vmtrust policy sign'.\n",
	  cmd_init },
	{ "pubkey", "--key KEY [--pin-file FILE] [-o PUB]",
	  "write the public key of a signing key (PEM), for a policy or a CSR's check",
	  CLI_KEY_HELP
	  "  -o, --output PUB   where to write it, atomically (default: standard output)\n",
	  cmd_pubkey },
	{ 0 },
};

const struct cli_area cli_area_policy = {
	"policy", "Validate, summarize and sign trust policies", policy_verbs,
};
