/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the verbs share, so that each one is parse, inputs, call, output:
 * one option loop, one number parser, the policy, the TPM and the output
 * opened or written in one way each, every failure one line. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "attest.h"
#include "cli.h"

int cli_next_option(struct cli_options *o)
{
	int c;

	if (!o->started) {
		optind = 0;
		opterr = 0;
		o->started = true;
	}
	for (;;) {
		c = getopt_long(o->argc, o->argv, o->shortopts, o->longopts, NULL);
		if (c == -1)
			return 0;
		if (o->key && cli_key_option(o->key, c, optarg))
			continue;
		if (c == ':')
			(void)cli_usage_error(o->area, o->verb, "option '%s' needs a value", o->argv[optind - 1]);
		else if (c == '?')
			(void)cli_usage_error(o->area, o->verb, "unknown option '%s'", o->argv[optind - 1]);
		else
			return c;
		return -CLI_EXIT_BAD_INPUT;
	}
}

int cli_args_at_most(const struct cli_options *o, int n)
{
	if (o->argc - optind > n)
		return cli_usage_error(o->area, o->verb, "unexpected argument '%s'", o->argv[optind + n]);
	return 0;
}

const struct cli_verb *cli_verb_of(const struct cli_area *area, const char *name)
{
	for (const struct cli_verb *v = area->verbs; v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	abort();   /* a verb asks for itself: it is always in its table */
}

/* ---- numbers ---------------------------------------------------------------- */

int cli_parse_u64_prefix(const char *s, const char **ret_end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret_end = p;
	*ret = v;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;

	if (cli_parse_u64_prefix(s, &end, &v) < 0 || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cli_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v;

	if (!s || cli_parse_u64(s, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* ---- inputs ----------------------------------------------------------------- */

int cli_load_policy(struct cli_ctx *ctx, bool required, struct policy **ret)
{
	if (!ctx->policy_given && !required && access(ctx->policy_path, F_OK) < 0 && errno == ENOENT) {
		*ret = NULL;
		return 0;
	}
	return policy_load(ctx->policy_path, ret);
}

int cli_policy(struct cli_ctx *ctx, bool required, struct policy **ret)
{
	int r = cli_load_policy(ctx, required, ret);

	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	return CLI_EXIT_OK;
}

int cli_open_tpm(struct cli_ctx *ctx, int *ret_lock, const char *lock_what, struct attest_ctx **ret)
{
	int r;

	if (ret_lock) {
		r = attest_tpm_lock(ctx->state_dir, ret_lock);
		if (r < 0)
			return cli_fail(r, "%s", lock_what);
	}
	r = attest_ctx_new(ret, ctx->tcti);
	if (r < 0)
		return cli_fail(r, "cannot open tpm '%s'", ctx->tcti);
	return CLI_EXIT_OK;
}

int cli_no_core_dump(void)
{
	struct rlimit no_core = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &no_core) < 0)
		return -errno;
	return 0;
}

/* ---- output ----------------------------------------------------------------- */

void cli_print_json(void *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cli_flush_stdout(void)
{
	if (fflush(stdout) != 0)
		return cli_fail(-EIO, "cannot write to stdout");
	return CLI_EXIT_OK;
}

int cli_write_output(const char *path, const char *text, unsigned mode, const char *what)
{
	int r;

	if (strcmp(path, "-") == 0) {
		if (fputs(text, stdout) < 0)
			return cli_fail(-EIO, "cannot write to stdout");
		return cli_flush_stdout();
	}
	r = vt_write_file_atomic(path, text, strlen(text), mode);
	if (r < 0)
		return cli_fail(r, "cannot write %s '%s'", what, path);
	return CLI_EXIT_OK;
}
