/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust attest measure [--pcr N] [--only] [FILE]... */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"

DEFINE_CLEANUP_FUNC(char **, attest_strv_free)

struct measured {
	struct cli_ctx *ctx;
	json_object *records;
	size_t count;
};

static void on_measured(const struct attest_record *rec, void *userdata)
{
	struct measured *m = userdata;
	char hex[2 * VT_DIGEST_MAX + 1];

	m->count++;
	if (m->records) {
		json_object *o;

		if (attest_record_to_json(rec, &o) == 0)
			json_object_array_add(m->records, o);
		return;
	}
	if (m->ctx->verbosity < 0)
		return;
	printf("%" PRIu64 " pcr %u %s", rec->recnum, rec->pcr, rec->path);
	for (size_t k = 0; k < rec->n_digests; k++) {
		vt_hex_encode(rec->file_digests[k].value, rec->file_digests[k].alg->size, hex);
		printf(" %s:%s", rec->file_digests[k].alg->name, hex);
	}
	putchar('\n');
}

int cmd_attest_measure(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcr", required_argument, NULL, 'p' },
		{ "only", no_argument, NULL, 'o' },
		{ 0 },
	};
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(attest_strv_freep) char **set = NULL;
	_cleanup_(freep) const char **paths = NULL;
	_cleanup_(json_object_putp) json_object *records = NULL;
	struct measured m = { .ctx = ctx };
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "measure");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":", opts, NULL);
	_cleanup_close_ int tpm_lock = -1;
	size_t n_set = 0, n = 0;
	uint64_t pcr = UINT64_MAX;
	bool only = false;
	int c, r;

	while ((c = cli_next_option(&opt)) > 0)
		if (c == 'o')
			only = true;
		else if (cli_parse_range(optarg, 0, POLICY_PCR_MAX - 1, &pcr) < 0)
			return cli_usage_error("attest", verb, "--pcr '%s' is not a PCR index (0 to 23)", optarg);
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (only && optind == argc)
		return cli_usage_error("attest", verb, "--only needs at least one FILE");

	r = cli_policy(ctx, false, &pol);
	if (r)
		return r;
	if (pcr == UINT64_MAX)
		pcr = pol ? policy_measurement_pcr(pol) : VT_MEASUREMENT_PCR_DEFAULT;

	paths = calloc((size_t)(argc - optind) + 1, sizeof(char *));
	if (!paths)
		return cli_fail(-ENOMEM, "cannot measure");
	if (!only) {
		size_t n_refs = 0;
		const struct policy_reference *refs = pol ? policy_references(pol, &n_refs) : NULL;

		if (n_refs > 0) {
			/* The policy names the set; what is absent is the verifier's
			 * to judge, so it is only mentioned here. */
			const char **np = realloc(paths, (n_refs + (size_t)(argc - optind) + 1) * sizeof(char *));

			if (!np)
				return cli_fail(-ENOMEM, "cannot measure");
			paths = np;
			for (size_t i = 0; i < n_refs; i++) {
				if (access(refs[i].path, F_OK) < 0) {
					vt_logf(VT_LOG_WARNING, "'%s' named in the policy is absent: not measured",
						    refs[i].path);
					continue;
				}
				paths[n++] = refs[i].path;
			}
		} else {
			const char **np;

			r = attest_default_set(NULL, &set, &n_set);
			if (r < 0)
				return cli_fail(r, "cannot list the hypervisor files");
			np = realloc(paths, (n_set + (size_t)(argc - optind) + 1) * sizeof(char *));
			if (!np)
				return cli_fail(-ENOMEM, "cannot measure");
			paths = np;
			for (size_t i = 0; i < n_set; i++)
				paths[n++] = set[i];
		}
	}
	for (int i = optind; i < argc; i++)
		paths[n++] = argv[i];
	if (n == 0)
		return cli_fail(-ENOENT, "nothing to measure: no hypervisor file found and no FILE given");

	r = cli_open_tpm(ctx, &tpm_lock, "cannot serialize tpm use", &tpm);
	if (r)
		return r;
	if (ctx->json) {
		records = json_object_new_array();
		if (!records)
			return cli_fail(-ENOMEM, "cannot measure");
		m.records = records;
	}
	r = attest_measure(tpm, ctx->state_dir, (unsigned)pcr, paths, n, on_measured, &m);
	if (ctx->json)
		cli_print_json(records);
	if (r < 0)
		return cli_fail(r, "cannot measure");
	if (!ctx->json && ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: measured %zu files into pcr %" PRIu64 ", log '%s/%s'\n", m.count, pcr,
			ctx->state_dir, VT_STATE_MLOG);
	return CLI_EXIT_OK;
}
