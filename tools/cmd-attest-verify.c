/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust attest verify (--nonce HEX | --allow-replay) EVIDENCE: offline
 * verification of evidence against the policy, no TPM and no root.
 * vmtrust attest import ... -o EVIDENCE: evidence from tpm2-tools files. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"

#define TPM_FILE_MAX (64 * 1024)        /* a marshalled TPM structure, a PCR file */


/* Decodes a nonce given on the command line: 1 to ATTEST_NONCE_MAX bytes. */
static int parse_nonce(const char *hex, uint8_t *out, size_t *ret_len)
{
	size_t len = strlen(hex);

	if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
		hex += 2;
		len -= 2;
	}
	if (len == 0 || len % 2 || len / 2 > ATTEST_NONCE_MAX ||
	    vt_hex_decode(hex, out, len / 2) < 0)
		return -EINVAL;
	*ret_len = len / 2;
	return 0;
}

/* --nonce HEX (optarg): 0, or the exit code of its usage error. */
static int nonce_option(const struct cli_verb *verb, uint8_t *out, size_t *ret_len)
{
	if (parse_nonce(optarg, out, ret_len) < 0)
		return cli_usage_error("attest", verb, "--nonce '%s' is not 1 to %d bytes in hex", optarg,
				       ATTEST_NONCE_MAX);
	return 0;
}

static void print_check(const struct attest_check *c)
{
	static const char *const tag[] = {
		[ATTEST_CHECK_OK] = "ok  ",
		[ATTEST_CHECK_WARNING] = "WARN",
		[ATTEST_CHECK_FAILED] = "FAIL",
	};

	/* The name and reason quote the evidence (a record's path): escaped, so
	 * that no line of the report is the evidence's own. */
	_cleanup_(freep) char *name = vt_escape(c->name), *reason = vt_escape(c->reason);

	printf("  %s %s: %s\n", tag[c->status], name ? name : "?", reason ? reason : "?");
}

/* The verdict to the system log: each failed check, "name: reason". */
static int syslog_verdict(const char *path, const struct attest_verdict *v)
{
	char *reasons[32];
	size_t n = 0;

	for (size_t i = 0; i < attest_verdict_count(v) && n < ELEMENTSOF(reasons); i++) {
		const struct attest_check *ck = attest_verdict_check(v, i);
		_cleanup_(freep) char *name = NULL, *reason = NULL;

		if (ck->status != ATTEST_CHECK_FAILED)
			continue;
		name = vt_escape(ck->name);
		reason = vt_escape(ck->reason);
		if (!name || !reason || asprintf(&reasons[n], "%s: %s", name, reason) < 0) {
			while (n > 0)
				free(reasons[--n]);
			return -ENOMEM;
		}
		n++;
	}
	(void)policy_syslog_decision(POLICY_EVENT_ATTEST, path, attest_verdict_ok(v),
				     (const char *const *)reasons, n);
	while (n > 0)
		free(reasons[--n]);
	return 0;
}

int cmd_attest_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "allow-replay", no_argument, NULL, 'r' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "verify");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":", opts, NULL);
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	_cleanup_(freep) char *data = NULL;
	const struct attest_check *first_failed = NULL;
	uint8_t nonce[ATTEST_NONCE_MAX];
	size_t nonce_len = 0, len, n_failed = 0;
	bool have_nonce = false;
	unsigned flags = 0;
	const char *path;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		if (c == 'r')
			flags |= ATTEST_VERIFY_ALLOW_REPLAY;
		else if ((r = nonce_option(verb, nonce, &nonce_len)) != 0)
			return r;
		else
			have_nonce = true;
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (optind >= argc)
		return cli_usage_error("attest", verb, "missing EVIDENCE");
	r = cli_args_at_most(&opt, 1);
	if (r)
		return r;
	path = argv[optind];

	r = cli_policy(ctx, true, &pol);
	if (r)
		return r;
	r = vt_read_file(path, ATTEST_EVIDENCE_MAX, &data, &len);
	if (r < 0)
		return cli_fail(r, "cannot read evidence '%s'", path);
	r = attest_evidence_parse(path, data, len, &e);
	if (r < 0)
		return cli_fail(r, "cannot parse evidence '%s'", path);
	r = attest_verify_flags(pol, e, have_nonce ? nonce : NULL, nonce_len, flags, &v);
	if (r < 0)
		return cli_fail(r, "cannot verify evidence '%s'", path);

	for (size_t i = 0; i < attest_verdict_count(v); i++) {
		const struct attest_check *ck = attest_verdict_check(v, i);

		if (ck->status != ATTEST_CHECK_FAILED)
			continue;
		if (!first_failed)
			first_failed = ck;
		n_failed++;
	}
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = NULL;

		r = attest_verdict_to_json(v, &o);
		if (r < 0)
			return cli_fail(r, "cannot describe the verdict");
		cli_print_json(o);
	} else {
		printf("verdict: %s\n", attest_verdict_ok(v) ? "good" : "bad");
		for (size_t i = 0; i < attest_verdict_count(v); i++) {
			const struct attest_check *ck = attest_verdict_check(v, i);

			if (ck->status != ATTEST_CHECK_OK || ctx->verbosity > 0)
				print_check(ck);
		}
	}
	r = syslog_verdict(path, v);
	if (r < 0)
		return cli_fail(r, "cannot describe the verdict");
	if (fflush(stdout) != 0)
		return cli_fail(-errno, "cannot write the output");
	if (first_failed) {
		_cleanup_(freep) char *epath = vt_escape(path), *name = vt_escape(first_failed->name),
				      *reason = vt_escape(first_failed->reason);

		fprintf(stderr, "vmtrust: evidence '%s' is not trusted: %s: %s%s\n", epath ? epath : "?",
			name ? name : "?", reason ? reason : "?",
			n_failed > 1 ? " (and more, see the verdict)" : "");
		return CLI_EXIT_DENIED;
	}
	return CLI_EXIT_OK;
}

/* ---- import ------------------------------------------------------------------ */

static int read_blob(const char *path, size_t max, struct attest_blob *b, char **ret_data)
{
	size_t len;
	int r;

	if (!path)
		return 0;
	r = vt_read_file(path, max, ret_data, &len);
	if (r < 0)
		return r;
	b->name = path;
	b->data = (const uint8_t *)*ret_data;
	b->len = len;
	return 0;
}

int cmd_attest_import(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "message", required_argument, NULL, 'm' },
		{ "signature", required_argument, NULL, 's' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "eventlog", required_argument, NULL, 'e' },
		{ "measurement-log", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "import");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":o:", opts, NULL);
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(freep) char *ak = NULL, *msg = NULL, *sig = NULL, *pcrs = NULL, *uefi = NULL,
			      *mlog = NULL, *json = NULL;
	const char *ak_path = NULL, *msg_path = NULL, *sig_path = NULL, *pcrs_path = NULL,
		   *uefi_path = NULL, *mlog_path = NULL, *out = NULL;
	struct attest_import in = { 0 };
	uint8_t nonce[ATTEST_NONCE_MAX];
	size_t nonce_len = 0;
	bool have_nonce = false;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'a': ak_path = optarg; break;
		case 'm': msg_path = optarg; break;
		case 's': sig_path = optarg; break;
		case 'p': pcrs_path = optarg; break;
		case 'e': uefi_path = optarg; break;
		case 'l': mlog_path = optarg; break;
		case 'o': out = optarg; break;
		case 'n':
			r = nonce_option(verb, nonce, &nonce_len);
			if (r)
				return r;
			have_nonce = true;
			break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = cli_args_at_most(&opt, 0);
	if (r)
		return r;
	if (!ak_path || !msg_path || !sig_path || !have_nonce || !out)
		return cli_usage_error("attest", verb, "missing %s",
				       !ak_path ? "--ak" : !msg_path ? "--message" :
				       !sig_path ? "--signature" : !have_nonce ? "--nonce" : "-o");

	if ((r = read_blob(ak_path, TPM_FILE_MAX, &in.ak_public, &ak)) < 0 ||
	    (r = read_blob(msg_path, TPM_FILE_MAX, &in.attest, &msg)) < 0 ||
	    (r = read_blob(sig_path, TPM_FILE_MAX, &in.signature, &sig)) < 0 ||
	    (r = read_blob(pcrs_path, TPM_FILE_MAX, &in.pcrs, &pcrs)) < 0 ||
	    (r = read_blob(uefi_path, ATTEST_EVENTLOG_SIZE_MAX, &in.uefi_log, &uefi)) < 0 ||
	    (r = read_blob(mlog_path, ATTEST_MLOG_MAX, &in.mlog, &mlog)) < 0)
		return cli_fail(r, "cannot read the tpm2-tools files");
	in.nonce = nonce;
	in.nonce_len = nonce_len;
	r = attest_evidence_import(&in, &e);
	if (r < 0)
		return cli_fail(r, "cannot import the quote");
	r = attest_evidence_to_json(e, &json);
	if (r < 0)
		return cli_fail(r, "cannot write the evidence");
	if (strcmp(out, "-") == 0) {
		puts(json);
		if (fflush(stdout) != 0)
			return cli_fail(-errno, "cannot write the output");
		return CLI_EXIT_OK;
	}
	r = vt_write_file_atomic(out, json, strlen(json), 0644);
	if (r < 0)
		return cli_fail(r, "cannot write evidence '%s'", out);
	if (ctx->verbosity > 0)
		fprintf(stderr, "vmtrust: wrote evidence '%s'\n", out);
	return CLI_EXIT_OK;
}
