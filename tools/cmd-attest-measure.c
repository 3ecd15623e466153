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
	size_t n_set = 0, n = 0;
	long pcr = -1;
	bool only = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case 'p': {
			char *end;

			errno = 0;
			pcr = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg || pcr < 0 || pcr >= POLICY_PCR_MAX)
				return cli_usage_error("attest", verb, "--pcr '%s' is not a PCR index (0 to 23)",
						       optarg);
			break;
		}
		case 'o': only = true; break;
		case ':':
			return cli_usage_error("attest", verb, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("attest", verb, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (only && optind == argc)
		return cli_usage_error("attest", verb, "--only needs at least one FILE");

	r = cli_load_policy(ctx, false, &pol);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	if (pcr < 0)
		pcr = pol ? (long)policy_measurement_pcr(pol) : VT_MEASUREMENT_PCR_DEFAULT;

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

	/* One TPM command sequence at a time on this host (swtpm has no
	 * resource manager): the hook and disk unlock take the same lock. */
	_cleanup_close_ int tpm_lock = -1;

	r = attest_tpm_lock(ctx->state_dir, &tpm_lock);
	if (r < 0)
		return cli_fail(r, "cannot serialize tpm use");
	r = attest_ctx_new(&tpm, ctx->tcti);
	if (r < 0)
		return cli_fail(r, "cannot open tpm '%s'", ctx->tcti);
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
		fprintf(stderr, "vmtrust: measured %zu files into pcr %ld, log '%s/%s'\n", m.count, pcr,
			ctx->state_dir, VT_STATE_MLOG);
	return CLI_EXIT_OK;
}
