/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust: `vmtrust <area> <verb> [options]`. Parses the global options,
 * installs the log sink and dispatches; the verbs live in cmd-*.c. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "policy.h"

static const struct cli_area *const areas[] = {
	&cli_area_attest, &cli_area_image, &cli_area_disk,
	&cli_area_policy, &cli_area_host,  &cli_area_hook,
};

static int log_verbosity;
static unsigned errors_logged;

static void log_to_stderr(int level, const char *msg, void *userdata)
{
	if (level <= VT_LOG_ERR)
		errors_logged++;
	if (level >= VT_LOG_DEBUG && log_verbosity < 1)
		return;
	if (level >= VT_LOG_INFO && log_verbosity < 0)
		return;
	/* Messages quote names and paths from outside: escaped, each stays one line. */
	_cleanup_(freep) char *e = vt_escape(msg);

	fprintf(stderr, "vmtrust: %s%s\n", level == VT_LOG_WARNING ? "warning: " : "",
		e ? e : "out of memory");
}

int cli_exit_code(int r)
{
	if (r >= 0)
		return CLI_EXIT_OK;
	switch (-r) {
	case EKEYREJECTED: case EKEYEXPIRED: case EKEYREVOKED: case ESTALE: case EUCLEAN:
		return CLI_EXIT_DENIED;
	case EINVAL: case EBADMSG: case EFBIG: case E2BIG: case ENOENT: case EACCES:
	case ENOTDIR: case EISDIR: case ELOOP: case EOPNOTSUPP: case EPROTO: case ENOMSG:
	case EOVERFLOW: case ERANGE: case ENAMETOOLONG: case EPERM: case EMEDIUMTYPE: case ENOKEY:
		return CLI_EXIT_BAD_INPUT;
	case EIO: case ENOSPC: case EROFS: case EDQUOT: case EEXIST: case EBUSY: case EAGAIN:
	case ETXTBSY: case EXDEV:
		return CLI_EXIT_IO;
	case ENODEV: case ECOMM: case EREMOTEIO: case ECONNREFUSED: case ETIMEDOUT:
	case EHOSTUNREACH: case ECONNRESET:
		return CLI_EXIT_TPM;
	default:
		return CLI_EXIT_INTERNAL;
	}
}

int cli_fail(int r, const char *fmt, ...)
{
	if (errors_logged == 0) {
		_cleanup_(freep) char *e = NULL;
		va_list ap;

		va_start(ap, fmt);
		e = vt_escape_vprintf(fmt, ap);
		va_end(ap);
		fprintf(stderr, "vmtrust: %s: %s\n", e ? e : "out of memory", strerror(-r));
	}
	return cli_exit_code(r);
}

int cli_usage_error_(const char *area, const struct cli_verb *verb, const char *fmt, ...)
{
	_cleanup_(freep) char *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	e = vt_escape_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmtrust: %s (usage: vmtrust %s %s %s)\n", e ? e : "out of memory", area, verb->name,
		verb->usage);
	return CLI_EXIT_BAD_INPUT;
}

static const char global_help[] =
	"Global options (anywhere before a lone --):\n"
	"  --tcti TCTI        TPM to use (env VMTRUST_TCTI; default " CLI_DEFAULT_TCTI ")\n"
	"  --state-dir DIR    state directory (env VMTRUST_STATE; default " VT_STATE_DIR_DEFAULT ")\n"
	"  --policy FILE      policy file (env VMTRUST_POLICY; default " CLI_DEFAULT_POLICY ")\n"
	"  --json             machine-readable output on stdout\n"
	"  -v, --verbose      more detail on stderr (twice: debug)\n"
	"  -q, --quiet        errors only\n"
	"  -h, --help         help for this level\n"
	"  --version          print the version\n";

static void print_main_help(void)
{
	printf("usage: vmtrust <area> <verb> [options]\n\n"
	       "Keeps a virtualization host honest: measured hypervisor, signed VM images,\n"
	       "disk keys released only on a good attestation.\n\nAreas:\n");
	for (size_t i = 0; i < ELEMENTSOF(areas); i++)
		printf("  %-8s %s\n", areas[i]->name, areas[i]->summary);
	printf("  %-8s %s\n", "launch", "Start a VM after a good verdict ('hook launch')");
	printf("\n%s\nExit codes: 0 ok, 1 denied (verification failed), 2 bad input, 3 I/O error,\n"
	       "4 TPM error, 5 internal error.\n", global_help);
}

static void print_area_help(const struct cli_area *a)
{
	printf("usage: vmtrust %s <verb> [options]\n\n%s.\n\nVerbs:\n", a->name, a->summary);
	for (const struct cli_verb *v = a->verbs; v->name; v++)
		printf("  %-18s %s\n", v->name, v->summary);
	if (!a->verbs[0].name)
		printf("  (none in this version)\n");
	printf("\nRun 'vmtrust %s <verb> --help' for a verb's options.\n", a->name);
}

static void print_verb_help(const struct cli_area *a, const struct cli_verb *v)
{
	printf("usage: vmtrust %s %s %s\n\n%s.\n", a->name, v->name, v->usage, v->summary);
	if (v->help)
		printf("\nOptions:\n%s", v->help);
	printf("\n%s", global_help);
}

/* Takes the global options out of argv (they may stand anywhere before a
 * lone "--"), leaving the area, the verb and the verb's own arguments. */
static int take_global_options(struct cli_ctx *ctx, int *argc, char **argv, bool *version)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char **target = NULL;
		const char *value = NULL;

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			ctx->json = true;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			ctx->verbosity = ctx->verbosity < 0 ? 1 : ctx->verbosity + 1;
			continue;
		}
		if (strcmp(a, "-vv") == 0) {
			ctx->verbosity = 2;
			continue;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			ctx->verbosity = -1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ctx->help = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			*version = true;
			continue;
		}
		static const char *const names[] = { "--tcti", "--state-dir", "--policy" };
		const char **targets[] = { &ctx->tcti, &ctx->state_dir, &ctx->policy_path };
		for (size_t k = 0; k < ELEMENTSOF(names); k++) {
			size_t n = strlen(names[k]);

			if (strncmp(a, names[k], n) != 0)
				continue;
			if (a[n] == '=') {
				value = a + n + 1;
			} else if (a[n] == '\0') {
				if (i + 1 >= *argc) {
					fprintf(stderr, "vmtrust: option '%s' needs a value\n", names[k]);
					return -EINVAL;
				}
				value = argv[++i];
			} else {
				continue;
			}
			target = targets[k];
			break;
		}
		if (target) {
			if (!*value) {
				fprintf(stderr, "vmtrust: option '%s' needs a non-empty value\n", a);
				return -EINVAL;
			}
			*target = value;
			if (target == &ctx->policy_path)
				ctx->policy_given = true;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	bool version = false;
	const struct cli_area *area = NULL;
	const struct cli_verb *verb = NULL;

	if (take_global_options(&ctx, &argc, argv, &version) < 0)
		return CLI_EXIT_BAD_INPUT;

	if (!ctx.tcti)
		ctx.tcti = env_or("VMTRUST_TCTI", CLI_DEFAULT_TCTI);
	if (!ctx.state_dir)
		ctx.state_dir = env_or("VMTRUST_STATE", VT_STATE_DIR_DEFAULT);
	if (!ctx.policy_path) {
		ctx.policy_given = getenv("VMTRUST_POLICY") && *getenv("VMTRUST_POLICY");
		ctx.policy_path = env_or("VMTRUST_POLICY", CLI_DEFAULT_POLICY);
	}
	log_verbosity = ctx.verbosity;
	vt_set_log(log_to_stderr, NULL);

	if (version) {
		printf("vmtrust %s\n", VMTRUST_VERSION);
		return CLI_EXIT_OK;
	}
	if (argc < 2) {
		if (ctx.help) {
			print_main_help();
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "vmtrust: missing area (try 'vmtrust --help')\n");
		return CLI_EXIT_BAD_INPUT;
	}
	/* "vmtrust launch ..." is "vmtrust hook launch ...". */
	if (strcmp(argv[1], "launch") == 0) {
		if (ctx.help) {
			print_verb_help(&cli_area_hook, cli_verb_of(&cli_area_hook, "launch"));
			return CLI_EXIT_OK;
		}
		return cmd_hook_launch(&ctx, argc - 1, argv + 1);
	}
	for (size_t i = 0; i < ELEMENTSOF(areas); i++)
		if (strcmp(argv[1], areas[i]->name) == 0)
			area = areas[i];
	if (!area) {
		fprintf(stderr, "vmtrust: unknown area '%s' (try 'vmtrust --help')\n", argv[1]);
		return CLI_EXIT_BAD_INPUT;
	}
	if (argc < 3) {
		if (ctx.help) {
			print_area_help(area);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "vmtrust: missing verb for '%s' (try 'vmtrust %s --help')\n",
			area->name, area->name);
		return CLI_EXIT_BAD_INPUT;
	}
	for (const struct cli_verb *v = area->verbs; v->name; v++)
		if (strcmp(argv[2], v->name) == 0)
			verb = v;
	if (!verb) {
		fprintf(stderr, "vmtrust: unknown verb '%s %s' (try 'vmtrust %s --help')\n",
			area->name, argv[2], area->name);
		return CLI_EXIT_BAD_INPUT;
	}
	if (ctx.help) {
		print_verb_help(area, verb);
		return CLI_EXIT_OK;
	}
	return verb->run(&ctx, argc - 2, argv + 2);
}
