/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust attest pcrs: PCR values from the TPM, printed as tpm2_pcrread does. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"

#define BANKS_MAX 8
#define ALL_PCRS ((UINT32_C(1) << POLICY_PCR_MAX) - 1)

struct pcr_values {
	const struct vt_hash_alg *alg;
	uint32_t mask;
	uint8_t value[POLICY_PCR_MAX][VT_DIGEST_MAX];
};

static void bank_names(char *out, size_t size)
{
	size_t n, len = 0;
	const struct vt_hash_alg *algs = vt_hash_algs(&n);

	out[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";

		len += (size_t)snprintf(out + len, size - len, "%s%s", sep, algs[i].name);
	}
}

/* "7", "0,1,7": PCR indexes into *mask; false on anything else. */
static bool parse_pcrs(const char *arg, uint32_t *mask)
{
	const char *p = arg;

	for (;;) {
		const char *end;
		uint64_t v;

		if (cli_parse_u64_prefix(p, &end, &v) < 0 || v >= POLICY_PCR_MAX)
			return false;
		*mask |= UINT32_C(1) << v;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		p = end + 1;
	}
}

static int add_bank(const struct vt_hash_alg **want, size_t *n_want,
		    const struct vt_hash_alg *alg)
{
	for (size_t i = 0; i < *n_want; i++)
		if (want[i] == alg)
			return 0;
	if (*n_want == BANKS_MAX)
		return -E2BIG;
	want[(*n_want)++] = alg;
	return 0;
}

static void print_text(const struct pcr_values *banks, size_t n)
{
	char hex[2 * VT_DIGEST_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		printf("  %s:\n", banks[i].alg->name);
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			if (!(banks[i].mask & (UINT32_C(1) << pcr)))
				continue;
			vt_hex_encode(banks[i].value[pcr], banks[i].alg->size, hex);
			for (char *c = hex; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			printf("    %-2u: 0x%s\n", pcr, hex);
		}
	}
}

static int print_json(const struct pcr_values *banks, size_t n)
{
	json_object *root = json_object_new_object();
	char hex[2 * VT_DIGEST_MAX + 1], key[4];

	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *bank = json_object_new_object();

		if (!bank || json_object_object_add(root, banks[i].alg->name, bank) < 0) {
			json_object_put(bank);
			json_object_put(root);
			return -ENOMEM;
		}
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			json_object *v;

			if (!(banks[i].mask & (UINT32_C(1) << pcr)))
				continue;
			vt_hex_encode(banks[i].value[pcr], banks[i].alg->size, hex);
			snprintf(key, sizeof(key), "%u", pcr);
			v = json_object_new_string(hex);
			if (!v || json_object_object_add(bank, key, v) < 0) {
				json_object_put(v);
				json_object_put(root);
				return -ENOMEM;
			}
		}
	}
	cli_print_json(root);
	json_object_put(root);
	return 0;
}

int cmd_attest_pcrs(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "bank", required_argument, NULL, 'b' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "pcrs");
	struct cli_options opt = CLI_OPTIONS("attest", verb, argc, argv, ":", options, NULL);
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(freep) struct pcr_values *values = NULL;
	const struct vt_hash_alg *want[BANKS_MAX];
	struct policy_pcr_bank active[BANKS_MAX];
	size_t n_want = 0, n_active;
	uint32_t pcrs = 0;
	char names[64];
	int c, r;

	while ((c = cli_next_option(&opt)) > 0) {
		/* --bank, the only option */
		const struct vt_hash_alg *alg = vt_hash_alg_by_name(optarg);

		if (!alg) {
			bank_names(names, sizeof(names));
			return cli_usage_error("attest", verb, "unknown bank '%s': expected %s", optarg, names);
		}
		if (add_bank(want, &n_want, alg) < 0)
			return cli_usage_error("attest", verb, "too many banks");
	}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	for (int i = optind; i < argc; i++)
		if (!parse_pcrs(argv[i], &pcrs))
			return cli_usage_error("attest", verb,
					       "invalid pcr '%s': expected a number from 0 to %d",
					       argv[i], POLICY_PCR_MAX - 1);

	r = cli_open_tpm(ctx, NULL, NULL, &tpm);
	if (r)
		return r;
	r = attest_pcr_banks(tpm, active, ELEMENTSOF(active));
	if (r < 0)
		return cli_fail(r, "cannot list the pcr banks of tpm '%s'", ctx->tcti);
	n_active = (size_t)r;
	if (n_want == 0)
		for (size_t i = 0; i < n_active && n_want < BANKS_MAX; i++)
			want[n_want++] = active[i].alg;

	values = calloc(n_want, sizeof(*values));
	if (!values && n_want > 0)
		return cli_fail(-ENOMEM, "cannot read pcrs");
	/* Read everything first: no half a listing on stdout when one fails. */
	for (size_t i = 0; i < n_want; i++) {
		uint32_t allocated = 0;

		for (size_t j = 0; j < n_active; j++)
			if (active[j].alg == want[i])
				allocated = active[j].mask;
		values[i].alg = want[i];
		/* By default the PCRs the bank has; asked-for ones must be there. */
		values[i].mask = pcrs ? pcrs : allocated ? allocated : ALL_PCRS;
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			if (!(values[i].mask & (UINT32_C(1) << pcr)))
				continue;
			r = attest_pcr_read(tpm, want[i], pcr, values[i].value[pcr]);
			if (r < 0)
				return cli_fail(r, "cannot read pcr %u of bank %s", pcr, want[i]->name);
		}
	}

	if (ctx->json) {
		r = print_json(values, n_want);
		if (r < 0)
			return cli_fail(r, "cannot format the pcr values");
	} else {
		print_text(values, n_want);
	}
	return cli_flush_stdout();
}
