/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust attest quote --nonce HEX [-o FILE] [--eventlog FILE | --no-eventlog] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"


int cmd_attest_quote(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "eventlog", required_argument, NULL, 'e' },
		{ "no-eventlog", no_argument, NULL, 'E' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "quote");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":o:", opts, NULL);
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(attest_evidence_freep) struct attest_evidence *e = NULL;
	_cleanup_(freep) char *json = NULL, *text = NULL;
	_cleanup_close_ int lock = -1;
	struct policy_pcr_bank def[ATTEST_RECORD_BANKS_MAX];
	const struct policy_pcr_bank *sel = NULL;
	const char *nonce_hex = NULL, *out = "-", *eventlog = NULL;
	uint8_t nonce[ATTEST_NONCE_MAX];
	size_t n_sel = 0, nonce_len, n_pcrs = 0;
	bool no_eventlog = false;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case 'n': nonce_hex = optarg; break;
		case 'o': out = optarg; break;
		case 'e':
			if (!*optarg)
				return cli_usage_error("attest", verb, "--eventlog needs a file name");
			eventlog = optarg;
			break;
		case 'E': no_eventlog = true; break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = cli_args_at_most(&opt, 0);
	if (r)
		return r;
	if (!nonce_hex)
		return cli_usage_error("attest", verb, "--nonce is required");
	nonce_len = strlen(nonce_hex) / 2;
	if (strlen(nonce_hex) % 2 || nonce_len == 0 || nonce_len > ATTEST_NONCE_MAX ||
	    vt_hex_decode(nonce_hex, nonce, nonce_len) < 0)
		return cli_usage_error("attest", verb, "--nonce '%.32s%s' is not 1 to %d bytes of hex",
				       nonce_hex, strlen(nonce_hex) > 32 ? "..." : "", ATTEST_NONCE_MAX);
	if (!*out)
		return cli_usage_error("attest", verb, "-o needs a file name, or '-' for stdout");
	if (eventlog && no_eventlog)
		return cli_usage_error("attest", verb, "give either --eventlog or --no-eventlog");
	if (no_eventlog)
		eventlog = "";

	r = cli_policy(ctx, false, &pol);
	if (r)
		return r;
	if (pol)
		sel = policy_quote_selection(pol, &n_sel);

	/* Serialized with measurers such as 'host audit --measure', whose record
	 * and host-audit.json then come as a pair. */
	r = cli_open_tpm(ctx, &lock, "cannot quote", &tpm);
	if (r)
		return r;
	if (n_sel == 0) {
		r = attest_default_quote_selection(tpm, pol ? policy_measurement_pcr(pol) :
							      VT_MEASUREMENT_PCR_DEFAULT,
						   def, ELEMENTSOF(def));
		if (r < 0)
			return cli_fail(r, "cannot select the pcrs to quote");
		sel = def;
		n_sel = (size_t)r;
	}
	r = attest_quote(tpm, ctx->state_dir, sel, n_sel, nonce, nonce_len, eventlog, &e);
	if (r < 0)
		return cli_fail(r, "cannot quote");
	n_pcrs = e->n_pcrs;
	r = attest_evidence_to_json(e, &json);
	if (r < 0 || asprintf(&text, "%s\n", json) < 0)
		return cli_fail(r < 0 ? r : -ENOMEM, "cannot format the evidence");
	r = cli_write_output(out, text, 0644, "evidence");
	if (r || strcmp(out, "-") == 0)
		return r;
	if (ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: quote of %zu pcrs written to '%s'\n", n_pcrs, out);
	return CLI_EXIT_OK;
}
